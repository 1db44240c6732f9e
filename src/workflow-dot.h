/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_WORKFLOW_DOT_H
#define CIRM_WORKFLOW_DOT_H

#include <stdio.h>

#include "workflow.h"

/* Writes WF as a Graphviz digraph to OUT, in document order: compound
   and parallel states as clusters, atomic states as nodes shaped by
   their category, transitions as edges labelled "event [cond] / actions"
   (targetless ones as dotted loops), timers as dashed edges to where the
   transition handling their event leads. Returns 0, or -1 on a write
   error. */
int workflow_dot(const struct workflow *wf, FILE *out);

#endif
