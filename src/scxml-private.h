/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_SCXML_PRIVATE_H
#define CIRM_SCXML_PRIVATE_H

#include <libxml/tree.h>

#include "scxml.h"
#include "util.h"

/* Appends X to the array V of N elements (grows by one; documents are
   small and bounded by SCXML_MAX_SIZE). */
#define SCXML_PUSH(v, n, x) do { \
	(v) = xrealloc((v), ((n) + 1) * sizeof(*(v))); \
	(v)[(n)++] = (x); \
} while (0)

enum scxml_kind {
	SCXML_KIND_ROOT,	/* <scxml>: compound, never active */
	SCXML_KIND_STATE,	/* atomic or compound <state> */
	SCXML_KIND_PARALLEL,
	SCXML_KIND_FINAL,
};

struct scxml_state;

struct scxml_transition {
	struct scxml_state *source;
	char *event;		/* descriptors, NULL when eventless */
	char *cond;		/* NULL when unconditional */
	char *target_text;	/* until resolved */
	struct scxml_state **targets;
	size_t ntargets;
	bool internal;
	xmlNode *node;		/* its children are the executable content */
};

struct scxml_state {
	char *id;
	enum scxml_kind kind;
	/* Document order; the descendants are exactly index+1 .. last. */
	size_t index, last;
	int line;
	struct scxml_state *parent;
	struct scxml_state **children;
	size_t nchildren;
	char *initial_text;	/* until resolved */
	struct scxml_state **initial;
	size_t ninitial;
	xmlNode **onentry, **onexit;
	size_t nonentry, nonexit;
	struct scxml_transition **transitions;
	size_t ntransitions;
};

struct scxml {
	char *name;
	xmlDoc *xml;
	/* All states in document order; states[0] is the root. */
	struct scxml_state **states;
	size_t nstates;
	/* The states with ids, sorted by id for lookup. */
	struct scxml_state **by_id;
	size_t nby_id;
	struct scxml_options opts;
};

/* A FIFO of owned event names. */
struct scxml_queue {
	char **v;
	size_t head, n;
};

/* A <send> waiting for the virtual clock. */
struct scxml_delayed {
	uint64_t due, seq;
	char *sendid;		/* NULL without id */
	char *event;
	bool internal;
};

struct scxml_session {
	const struct scxml *doc;
	bool *active;		/* by state index */
	bool started, done;
	char *error;		/* set once the session failed */
	struct scxml_queue internal, external;
	struct scxml_delayed *delayed;
	size_t ndelayed;
	uint64_t now, seq;
	scxml_log_fn *log;
	void *log_ctx;
	scxml_action_fn *action;
	void *action_ctx;
	scxml_pred_fn *pred;
	void *pred_ctx;
	scxml_observe_fn *observe;
	void *observe_ctx;
};

void scxml_queue_push(struct scxml_queue *q, const char *event);
/* The oldest event (caller frees), or NULL when empty. */
char *scxml_queue_pop(struct scxml_queue *q);
void scxml_queue_clear(struct scxml_queue *q);

/* Runs the executable content among the children of NODE (SCXML 4.9:
   an error stops the block and raises error.execution). */
void scxml_exec_block(struct scxml_session *s, const xmlNode *node);
/* In(): whether the state with ID is active in S. */
bool scxml_session_in(struct scxml_session *s, const char *id);

/* The state with ID, or NULL. */
struct scxml_state *scxml_find(const struct scxml *doc, const char *id);

static inline bool
scxml_is_descendant(const struct scxml_state *s, const struct scxml_state *a)
{
	return s->index > a->index && s->index <= a->last;
}

static inline bool
scxml_is_compound(const struct scxml_state *s)
{
	return s->kind == SCXML_KIND_ROOT ||
		(s->kind == SCXML_KIND_STATE && s->nchildren > 0);
}

/* True when NODE is an element in the SCXML namespace named NAME. */
bool scxml_node_is(const xmlNode *node, const char *name);

/* Evaluates the condition TEXT in session S. With S NULL only checks
   the syntax, that each In() id names a state of DOC, and the host
   predicates through DOC's check_pred. Returns 0 with *VALUE_R set, or
   -1 with *ERROR_R set. */
int scxml_cond_eval(const struct scxml *doc, const char *text,
		    struct scxml_session *s, bool *value_r, char **error_r);

/* Validates the executable content among the children of NODE,
   appending "name:line: message" to ERRORS. */
void scxml_check_exec(const struct scxml *doc, const xmlNode *node,
		      struct strlist *errors);

#endif
