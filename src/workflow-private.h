/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_WORKFLOW_PRIVATE_H
#define CIRM_WORKFLOW_PRIVATE_H

#include <libxml/tree.h>

#include "scxml-private.h"
#include "workflow.h"

/* The RelaxNG schema, built in from workflows/cirm-workflow.rng. */
extern const char workflow_schema_rng[];
extern const size_t workflow_schema_rng_len;

/* True when N is an element in the workflow namespace named NAME (any
   name when NULL). */
bool workflow_node_is(const xmlNode *n, const char *name);
/* The unqualified attribute NAME of N (caller frees), or NULL. */
char *workflow_attr(const xmlNode *n, const char *name);
/* Whether S is in the NULL-terminated LIST. */
bool workflow_in_list(const char *const *list, const char *s);
/* Adds to L the words of TEXT (may be NULL), split at white space as
   SCXML splits an event attribute. */
void workflow_split_words(const char *text, struct strlist *l);

/* Adds to WHY, for each unqualified attribute of N (only ONLY, when not
   NULL; none in the NULL-terminated SKIP) whose value the schema
   refuses, "name=\"value\": expected ..." saying what it takes. */
void workflow_value_problems(const xmlNode *n, const char *only,
			     const char *const *skip, struct strlist *why);

#endif
