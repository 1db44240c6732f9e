/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_WORKFLOW_PATTERNS_H
#define CIRM_WORKFLOW_PATTERNS_H

#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>

/* A quick yes for a valid workflow: the built-in schema without its
   pattern facets, and those patterns checked apart, each compiled once
   (libxml2 compiles a pattern facet again for every value it checks,
   which was over half of loading a large workflow).

   Returns 1 when DOC follows the built-in schema, 0 when the full
   validation has to decide (DOC may be invalid, or the fast path is not
   in use). Reports nothing. */
int workflow_patterns_valid(xmlDoc *doc);

/* Whether the fast path is in use: false when the schema has a pattern
   where the derivation of its table does not follow it. */
bool workflow_patterns_enabled(void);

/* Whether the fast path could be used with the RelaxNG schema RNG (LEN
   bytes) instead of the built-in one; for tests of the derivation. */
bool workflow_patterns_usable(const char *rng, size_t len);

#endif
