/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "scxml-private.h"

#include <stdlib.h>
#include <string.h>

/* The interpreter follows "Algorithm for SCXML Interpretation" (SCXML
   Appendix D); names in comments refer to its procedures. Sets of states
   are bool arrays by document index, so document order and exit order
   (its reverse) are just the direction of a loop. */

/* A list of transitions (an optimal enabled transition set). */
struct tlist {
	struct scxml_transition **v;
	size_t n;
};

static bool
is_atomic(const struct scxml_state *st)
{
	return st->nchildren == 0 && st->kind != SCXML_KIND_ROOT;
}

static bool
cond_holds(struct scxml_session *s, const struct scxml_transition *t)
{
	char *err = NULL;
	bool v;

	if (t->cond == NULL)
		return true;
	if (scxml_cond_eval(s->doc, t->cond, s, &v, &err) < 0) {
		/* validated at load time; treat as SCXML 5.9: false+error */
		free(err);
		scxml_queue_push(&s->internal, "error.execution");
		return false;
	}
	return v;
}

/* findLCCA: the nearest compound (or root) ancestor of T's source that
   contains all its targets. */
static struct scxml_state *
find_lcca(const struct scxml_transition *t)
{
	for (struct scxml_state *a = t->source->parent; a != NULL;
	     a = a->parent) {
		bool all = scxml_is_compound(a);

		for (size_t i = 0; i < t->ntargets && all; i++)
			all = scxml_is_descendant(t->targets[i], a);
		if (all)
			return a;
	}
	return t->source->kind == SCXML_KIND_ROOT ? t->source : NULL;
}

/* getTransitionDomain; NULL for a targetless transition. */
static struct scxml_state *
transition_domain(const struct scxml_transition *t)
{
	bool inside = scxml_is_compound(t->source);

	if (t->ntargets == 0)
		return NULL;
	for (size_t i = 0; i < t->ntargets && inside; i++)
		inside = scxml_is_descendant(t->targets[i], t->source);
	if (t->internal && inside)
		return t->source;
	return find_lcca(t);
}

/* computeExitSet for one transition, added to SET. */
static void
exit_set(struct scxml_session *s, const struct scxml_transition *t, bool *set)
{
	struct scxml_state *dom = transition_domain(t);

	if (dom == NULL)
		return;
	for (size_t i = dom->index + 1; i <= dom->last; i++) {
		if (s->active[i])
			set[i] = true;
	}
}

static bool
sets_intersect(const bool *a, const bool *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i] && b[i])
			return true;
	}
	return false;
}

/* removeConflictingTransitions: a transition whose exit set meets an
   earlier one's loses, unless its source is a descendant of the other's
   source (then the other loses). */
static void
remove_conflicts(struct scxml_session *s, struct tlist *l)
{
	size_t n = s->doc->nstates, kept = 0;
	bool **sets = xcalloc(l->n, sizeof(*sets));

	for (size_t i = 0; i < l->n; i++) {
		bool preempted = false;

		sets[i] = xcalloc(n, sizeof(bool));
		exit_set(s, l->v[i], sets[i]);
		for (size_t j = 0; j < kept && !preempted; j++) {
			if (!sets_intersect(sets[i], sets[j], n))
				continue;
			if (scxml_is_descendant(l->v[i]->source,
						l->v[j]->source)) {
				free(sets[j]);
				memmove(&sets[j], &sets[j + 1],
					(kept - j - 1) * sizeof(*sets));
				memmove(&l->v[j], &l->v[j + 1],
					(kept - j - 1) * sizeof(*l->v));
				kept--;
				j--;
			} else {
				preempted = true;
			}
		}
		if (preempted) {
			free(sets[i]);
			continue;
		}
		sets[kept] = sets[i];
		l->v[kept++] = l->v[i];
	}
	for (size_t i = 0; i < kept; i++)
		free(sets[i]);
	free(sets);
	l->n = kept;
}

/* selectTransitions / selectEventlessTransitions (EVENT NULL): for each
   atomic active state in document order, the first enabled transition
   of it or its nearest ancestor. */
static void
select_transitions(struct scxml_session *s, const char *event,
		   struct tlist *l)
{
	l->n = 0;
	for (size_t i = 0; i < s->doc->nstates; i++) {
		const struct scxml_state *st = s->doc->states[i];
		struct scxml_transition *found = NULL;

		if (!s->active[i] || !is_atomic(st))
			continue;
		for (; st != NULL && found == NULL; st = st->parent) {
			for (size_t j = 0; j < st->ntransitions; j++) {
				struct scxml_transition *t = st->transitions[j];

				if ((event == NULL) != (t->event == NULL))
					continue;
				if (event != NULL &&
				    !scxml_event_match(t->event, event))
					continue;
				if (cond_holds(s, t)) {
					found = t;
					break;
				}
			}
		}
		for (size_t j = 0; found != NULL && j < l->n; j++) {
			if (l->v[j] == found)
				found = NULL;
		}
		if (found != NULL)
			SCXML_PUSH(l->v, l->n, found);
	}
	remove_conflicts(s, l);
}

static bool
any_descendant_in(const struct scxml_session *s, const bool *set,
		  const struct scxml_state *st)
{
	for (size_t i = st->index + 1; i <= st->last; i++) {
		if (set[i])
			return true;
	}
	return false;
}

static void add_ancestors(struct scxml_session *s, struct scxml_state *st,
			  const struct scxml_state *anc, bool *to_enter);

/* addDescendantStatesToEnter */
static void
add_descendants(struct scxml_session *s, struct scxml_state *st,
		bool *to_enter)
{
	to_enter[st->index] = true;
	if (scxml_is_compound(st)) {
		for (size_t i = 0; i < st->ninitial; i++)
			add_descendants(s, st->initial[i], to_enter);
		for (size_t i = 0; i < st->ninitial; i++)
			add_ancestors(s, st->initial[i], st, to_enter);
	} else if (st->kind == SCXML_KIND_PARALLEL) {
		for (size_t i = 0; i < st->nchildren; i++) {
			if (!any_descendant_in(s, to_enter, st->children[i]) &&
			    !to_enter[st->children[i]->index])
				add_descendants(s, st->children[i], to_enter);
		}
	}
}

/* addAncestorStatesToEnter: the ancestors of ST below ANC. */
static void
add_ancestors(struct scxml_session *s, struct scxml_state *st,
	      const struct scxml_state *anc, bool *to_enter)
{
	for (struct scxml_state *a = st->parent;
	     a != NULL && a != anc && a->kind != SCXML_KIND_ROOT;
	     a = a->parent) {
		to_enter[a->index] = true;
		if (a->kind != SCXML_KIND_PARALLEL)
			continue;
		for (size_t i = 0; i < a->nchildren; i++) {
			struct scxml_state *c = a->children[i];

			if (!to_enter[c->index] &&
			    !any_descendant_in(s, to_enter, c))
				add_descendants(s, c, to_enter);
		}
	}
}

/* isInFinalState */
static bool
in_final_state(const struct scxml_session *s, const struct scxml_state *st)
{
	if (scxml_is_compound(st)) {
		for (size_t i = 0; i < st->nchildren; i++) {
			if (st->children[i]->kind == SCXML_KIND_FINAL &&
			    s->active[st->children[i]->index])
				return true;
		}
		return false;
	}
	if (st->kind == SCXML_KIND_PARALLEL) {
		for (size_t i = 0; i < st->nchildren; i++) {
			if (!in_final_state(s, st->children[i]))
				return false;
		}
		return true;
	}
	return false;
}

static void
raise_done(struct scxml_session *s, const struct scxml_state *st)
{
	char *ev = xasprintf("done.state.%s", st->id);

	scxml_queue_push(&s->internal, ev);
	free(ev);
}

/* Entering a <final>: done.state.PARENT, and for a parallel grandparent
   whose regions are all final, done.state.GRANDPARENT. */
static void
entered_final(struct scxml_session *s, const struct scxml_state *st)
{
	const struct scxml_state *parent = st->parent, *gp;

	if (parent->kind == SCXML_KIND_ROOT) {
		s->done = true;
		return;
	}
	raise_done(s, parent);
	gp = parent->parent;
	if (gp != NULL && gp->kind == SCXML_KIND_PARALLEL &&
	    in_final_state(s, gp))
		raise_done(s, gp);
}

/* enterStates */
static void
enter_states(struct scxml_session *s, const struct tlist *l)
{
	bool *to_enter = xcalloc(s->doc->nstates, sizeof(bool));

	for (size_t i = 0; i < l->n; i++) {
		const struct scxml_transition *t = l->v[i];
		struct scxml_state *dom = transition_domain(t);

		for (size_t j = 0; j < t->ntargets; j++)
			add_descendants(s, t->targets[j], to_enter);
		for (size_t j = 0; j < t->ntargets; j++)
			add_ancestors(s, t->targets[j], dom, to_enter);
	}
	for (size_t i = 1; i < s->doc->nstates; i++) {
		const struct scxml_state *st = s->doc->states[i];

		if (!to_enter[i] || s->active[i])
			continue;
		s->active[i] = true;
		if (s->observe != NULL)
			s->observe(s->observe_ctx, st->id, true);
		for (size_t j = 0; j < st->nonentry; j++)
			scxml_exec_block(s, st->onentry[j]);
		if (st->kind == SCXML_KIND_FINAL)
			entered_final(s, st);
	}
	free(to_enter);
}

/* exitStates, in reverse document order */
static void
exit_states(struct scxml_session *s, const struct tlist *l)
{
	bool *set = xcalloc(s->doc->nstates, sizeof(bool));

	for (size_t i = 0; i < l->n; i++)
		exit_set(s, l->v[i], set);
	for (size_t i = s->doc->nstates; i-- > 1;) {
		const struct scxml_state *st = s->doc->states[i];

		if (!set[i])
			continue;
		for (size_t j = 0; j < st->nonexit; j++)
			scxml_exec_block(s, st->onexit[j]);
		s->active[i] = false;
		if (s->observe != NULL)
			s->observe(s->observe_ctx, st->id, false);
	}
	free(set);
}

static void
microstep(struct scxml_session *s, const struct tlist *l)
{
	exit_states(s, l);
	for (size_t i = 0; i < l->n; i++)
		scxml_exec_block(s, l->v[i]->node);
	enter_states(s, l);
}

/* exitInterpreter: onexit handlers in exit order; the configuration is
   kept so that the host can see where the session ended. */
static void
exit_interpreter(struct scxml_session *s)
{
	for (size_t i = s->doc->nstates; i-- > 1;) {
		const struct scxml_state *st = s->doc->states[i];

		for (size_t j = 0; s->active[i] && j < st->nonexit; j++)
			scxml_exec_block(s, st->onexit[j]);
		if (s->active[i] && s->observe != NULL)
			s->observe(s->observe_ctx, st->id, false);
	}
	scxml_queue_clear(&s->internal);
	scxml_queue_clear(&s->external);
}

static int
fail_loop(struct scxml_session *s, const struct tlist *l, bool eventless)
{
	s->error = xasprintf("%s loop in state %s (more than %d microsteps "
			     "in one macrostep)",
			     eventless ? "eventless transitions" :
			     "internal events", l->v[0]->source->id,
			     SCXML_MAX_MICROSTEPS);
	return -1;
}

/* The inner loop of mainEventLoop: eventless transitions and internal
   events until the configuration is stable, bounded. */
static int
macrostep(struct scxml_session *s)
{
	struct tlist l = { 0 };
	int count = 0, ret = 0;

	while (!s->done) {
		bool eventless = true;

		select_transitions(s, NULL, &l);
		if (l.n == 0) {
			char *ev = scxml_queue_pop(&s->internal);

			if (ev == NULL)
				break;
			select_transitions(s, ev, &l);
			free(ev);
			eventless = false;
		}
		if (l.n > 0 && ++count > SCXML_MAX_MICROSTEPS) {
			ret = fail_loop(s, &l, eventless);
			break;
		}
		if (l.n > 0)
			microstep(s, &l);
	}
	free(l.v);
	if (ret == 0 && s->done)
		exit_interpreter(s);
	return ret;
}

/* Macrosteps for the queued external events until none is left; a
   chain of events that each <send> the next does not end, so it is
   bounded like eventless transitions. */
static int
run_queues(struct scxml_session *s)
{
	struct tlist l = { 0 };
	char *ev;
	int ret = macrostep(s), count = 0;

	while (ret == 0 && !s->done &&
	       (ev = scxml_queue_pop(&s->external)) != NULL) {
		if (++count > SCXML_MAX_MICROSTEPS) {
			s->error = xasprintf("external events loop: '%s' "
					     "after more than %d events sent "
					     "in one step", ev,
					     SCXML_MAX_MICROSTEPS);
			free(ev);
			ret = -1;
			break;
		}
		select_transitions(s, ev, &l);
		free(ev);
		if (l.n > 0)
			microstep(s, &l);
		ret = macrostep(s);
	}
	free(l.v);
	return ret;
}

/* Copies the session's failure into *ERROR_R. */
static int
failed(const struct scxml_session *s, char **error_r)
{
	*error_r = xstrdup(s->error);
	return -1;
}

int
scxml_start(struct scxml_session *s, char **error_r)
{
	struct scxml_state *root = s->doc->states[0];
	struct scxml_transition init = {
		.source = root, .targets = root->initial,
		.ntargets = root->ninitial, .internal = true,
	};
	struct scxml_transition *v = &init;
	struct tlist l = { .v = &v, .n = 1 };

	if (s->error != NULL)
		return failed(s, error_r);
	if (s->started) {
		*error_r = xstrdup("session already started");
		return -1;
	}
	s->started = true;
	enter_states(s, &l);
	return run_queues(s) < 0 ? failed(s, error_r) : 0;
}

int
scxml_send(struct scxml_session *s, const char *name, char **error_r)
{
	if (s->error != NULL)
		return failed(s, error_r);
	if (!s->started) {
		*error_r = xstrdup("session not started");
		return -1;
	}
	if (s->done)
		return 0;
	scxml_queue_push(&s->external, name);
	return run_queues(s) < 0 ? failed(s, error_r) : 0;
}

/* Index of the earliest delayed send due by UNTIL, or -1. */
static ssize_t
next_due(const struct scxml_session *s, uint64_t until)
{
	ssize_t best = -1;

	for (size_t i = 0; i < s->ndelayed; i++) {
		const struct scxml_delayed *d = &s->delayed[i];

		if (d->due > until)
			continue;
		if (best < 0 || d->due < s->delayed[best].due ||
		    (d->due == s->delayed[best].due &&
		     d->seq < s->delayed[best].seq))
			best = (ssize_t)i;
	}
	return best;
}

int
scxml_advance(struct scxml_session *s, uint64_t ms, char **error_r)
{
	uint64_t until = s->now + ms;
	ssize_t i;

	if (s->error != NULL)
		return failed(s, error_r);
	while (s->started && !s->done && (i = next_due(s, until)) >= 0) {
		struct scxml_delayed d = s->delayed[i];

		s->delayed[i] = s->delayed[--s->ndelayed];
		s->now = d.due;
		scxml_queue_push(d.internal ? &s->internal : &s->external,
				 d.event);
		free(d.event);
		free(d.sendid);
		if (run_queues(s) < 0)
			return failed(s, error_r);
	}
	s->now = until;
	return 0;
}

uint64_t
scxml_now(const struct scxml_session *s)
{
	return s->now;
}

struct scxml_session *
scxml_session_new(const struct scxml *doc)
{
	struct scxml_session *s = xcalloc(1, sizeof(*s));

	s->doc = doc;
	s->active = xcalloc(doc->nstates, sizeof(bool));
	return s;
}

void
scxml_session_free(struct scxml_session **sp)
{
	struct scxml_session *s = *sp;

	if (s == NULL)
		return;
	for (size_t i = 0; i < s->ndelayed; i++) {
		free(s->delayed[i].event);
		free(s->delayed[i].sendid);
	}
	free(s->delayed);
	scxml_queue_clear(&s->internal);
	scxml_queue_clear(&s->external);
	free(s->active);
	free(s->error);
	free(s);
	*sp = NULL;
}

void
scxml_configuration(const struct scxml_session *s, scxml_state_fn *fn,
		    void *ctx)
{
	for (size_t i = 1; i < s->doc->nstates; i++) {
		if (s->active[i])
			fn(ctx, s->doc->states[i]->id);
	}
}

bool
scxml_in_final(const struct scxml_session *s)
{
	return s->done;
}

const char *
scxml_passed_through(const struct scxml_session *s, long *line_r)
{
	for (size_t i = 1; i < s->doc->nstates; i++) {
		const struct scxml_state *st = s->doc->states[i];

		if (!s->active[i])
			continue;
		for (size_t j = 0; j < st->ntransitions; j++) {
			const struct scxml_transition *t = st->transitions[j];

			if (t->event == NULL && t->cond == NULL) {
				*line_r = t->node != NULL ?
						  xmlGetLineNo(t->node) : 0;
				return st->id;
			}
		}
	}
	return NULL;
}

const char *
scxml_nested_final(const struct scxml_session *s, const char **parent_r)
{
	for (size_t i = 1; i < s->doc->nstates; i++) {
		const struct scxml_state *st = s->doc->states[i];

		if (s->active[i] && st->kind == SCXML_KIND_FINAL &&
		    st->parent != s->doc->states[0]) {
			*parent_r = st->parent->id;
			return st->id;
		}
	}
	return NULL;
}

bool
scxml_session_in(struct scxml_session *s, const char *id)
{
	const struct scxml_state *st = scxml_find(s->doc, id);

	return st != NULL && s->active[st->index];
}

void
scxml_session_set_predicate(struct scxml_session *s, scxml_pred_fn *fn,
			    void *ctx)
{
	s->pred = fn;
	s->pred_ctx = ctx;
}

void
scxml_session_set_observer(struct scxml_session *s, scxml_observe_fn *fn,
			   void *ctx)
{
	s->observe = fn;
	s->observe_ctx = ctx;
}

void
scxml_atomic_configuration(const struct scxml_session *s, scxml_state_fn *fn,
			   void *ctx)
{
	for (size_t i = 1; i < s->doc->nstates; i++) {
		if (s->active[i] && is_atomic(s->doc->states[i]))
			fn(ctx, s->doc->states[i]->id);
	}
}

/* The first of the NIDS states IDS that is ST or below it. */
static const char *
given_below(const struct scxml *doc, const struct scxml_state *st,
	    const char *const *ids, size_t nids)
{
	for (size_t i = 0; i < nids; i++) {
		const struct scxml_state *g = scxml_find(doc, ids[i]);

		if (g != NULL && g->index >= st->index && g->index <= st->last)
			return ids[i];
	}
	return "?";
}

/* Why the active set is not a legal configuration below ST (caller
   frees), or NULL when it is one: a compound state has exactly one
   active child, a parallel one all of them. The message names the
   states given, IDS, since those are what the caller chose; ST's own
   children first, the outermost problem being the one to fix. */
static char *
illegal_below(const struct scxml_session *s, const struct scxml_state *st,
	      const char *const *ids, size_t nids)
{
	const struct scxml_state *one = NULL;
	char *error = NULL;

	for (size_t i = 0; i < st->nchildren; i++) {
		const struct scxml_state *c = st->children[i];

		if (!s->active[c->index] && st->kind == SCXML_KIND_PARALLEL)
			return xasprintf("'%s' is a <parallel>, and a case in "
					 "it is in all of its regions at once, "
					 "but none of the states given is in "
					 "'%s'", st->id, c->id);
		if (!s->active[c->index] || st->kind == SCXML_KIND_PARALLEL)
			continue;
		if (one != NULL) {
			const char *a = given_below(s->doc, one, ids, nids),
				*b = given_below(s->doc, c, ids, nids);

			return st->kind == SCXML_KIND_ROOT ?
				xasprintf("'%s' and '%s' are in two different "
					  "top-level states, and a case is in "
					  "only one at a time", a, b) :
				xasprintf("'%s' and '%s' are in two different "
					  "states of '%s', and a case there is "
					  "in only one at a time", a, b, st->id);
		}
		one = c;
	}
	for (size_t i = 0; i < st->nchildren && error == NULL; i++) {
		if (s->active[st->children[i]->index])
			error = illegal_below(s, st->children[i], ids, nids);
	}
	return error;
}

int
scxml_restore(struct scxml_session *s, const char *const *ids, size_t nids,
	      char **error_r)
{
	char *error;

	if (s->started) {
		*error_r = xstrdup("session already started");
		return -1;
	}
	for (size_t i = 0; i < nids; i++) {
		const struct scxml_state *st = scxml_find(s->doc, ids[i]);

		if (st == NULL || !is_atomic(st)) {
			/* a compound or parallel state is never all of
			   where a case is: say so, rather than 'atomic' */
			*error_r = st == NULL ?
				xasprintf("'%s' is not a state of the "
					  "document", ids[i]) :
				xasprintf("'%s' holds other states, and a case "
					  "is always in one of those: name one "
					  "of them", ids[i]);
			memset(s->active, 0, s->doc->nstates * sizeof(bool));
			return -1;
		}
		for (; st != NULL; st = st->parent)
			s->active[st->index] = true;
	}
	error = nids == 0 ?
		xstrdup("no state is given, and a case is always in one") :
		illegal_below(s, s->doc->states[0], ids, nids);
	if (error != NULL) {
		*error_r = error;
		memset(s->active, 0, s->doc->nstates * sizeof(bool));
		return -1;
	}
	s->started = true;
	for (size_t i = 1; i < s->doc->nstates; i++) {
		const struct scxml_state *st = s->doc->states[i];

		if (s->active[i] && st->kind == SCXML_KIND_FINAL &&
		    st->parent == s->doc->states[0])
			s->done = true;
	}
	return 0;
}

bool
scxml_handles(const struct scxml_session *s, const char *name)
{
	if (s->done)
		return false;
	for (size_t i = 1; i < s->doc->nstates; i++) {
		const struct scxml_state *st = s->doc->states[i];

		if (!s->active[i])
			continue;
		for (size_t j = 0; j < st->ntransitions; j++) {
			const char *e = st->transitions[j]->event;

			if (e != NULL && scxml_event_match(e, name))
				return true;
		}
	}
	return false;
}
