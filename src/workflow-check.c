/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The semantic checks of a loaded workflow, and lookups in it. */
#include "config.h"

#include "workflow-private.h"

#include "settings.h"
#include "template.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Events cirm itself sends to every case's workflow. */
static const char *const builtin_events[] = {
	"mail.citizen", "sms.citizen", "mail.handler", "delivery.failed.email",
	"delivery.failed.sms", "error.execution", NULL
};

struct checker {
	const struct workflow *wf;
	const struct scxml *chart;
	struct strlist *errors;
	size_t count;
	struct strlist raisable;	/* event names that can occur */
	struct strlist roles_used;	/* "LINE role" */
	struct strlist timer_vars;	/* "timer.ID", for try_template */
};

static void CIRM_PRINTF(3, 4)
cerror(struct checker *c, long line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	strlist_addf(c->errors, "%s:%ld: %s", c->wf->name, line, msg);
	free(msg);
	c->count++;
}

char *
workflow_fold(const char *word)
{
	char *s = xstrdup(word);

	for (unsigned char *p = (unsigned char *)s; *p != '\0'; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (unsigned char)(*p + 32);
		/* U+00C0..U+00DE except U+00D7: the Latin-1 capitals, Å Ä Ö
		   among them, are C3 80..C3 9E; lower case is 0x20 on */
		else if (*p == 0xc3 && p[1] >= 0x80 && p[1] <= 0x9e &&
			 p[1] != 0x97)
			p[1] = (unsigned char)(p[1] + 0x20), p++;
		else if (*p == 0xc3 && p[1] != '\0')
			p++;
	}
	return s;
}

char *
workflow_fold_near(const char *word)
{
	char *f = workflow_fold(word), *o = f;
	size_t n;

	for (const char *i = f; *i != '\0'; i++) {
		if (i[0] == '\xc3' && (i[1] == '\xa5' || i[1] == '\xa4' ||
					i[1] == '\xb6' || i[1] == '\xa9')) {
			*o++ = i[1] == '\xb6' ? 'o' : i[1] == '\xa9' ? 'e' : 'a';
			i++;
		} else {
			*o++ = *i;
		}
	}
	*o = '\0';
	n = strlen(f);
	while (n > 0 && (f[n - 1] == ':' || f[n - 1] == '.'))
		f[--n] = '\0';
	return f;
}

const char *const workflow_note_words[] = { "note", "notering", "intern",
					    NULL };
const char *const workflow_help_words[] = { "help", "hjälp", "hjalp", NULL };
const char *const workflow_priority_words[] = { "priority", "prioritet",
						NULL };
const char *const workflow_category_words[] = { "category", "kategori",
						NULL };
const char *const workflow_due_words[] = { "due", "senast", "deadline",
					   NULL };
const char *const workflow_language_words[] = { "language", "språk", "sprak",
						NULL };
const char *const workflow_name_words[] = { "name", "namn", NULL };
const char *const workflow_canned_words[] = { "canned", "mall", "svarsmall",
					      "standardsvar", NULL };
const char *const workflow_forward_words[] = { "forward", "vidarebefordra",
					       NULL };

static bool
in_words(const char *folded, const char *const *words)
{
	for (size_t i = 0; words[i] != NULL; i++)
		if (strcmp(folded, words[i]) == 0)
			return true;
	return false;
}

/* --- states as a graph --------------------------------------------------- */

static bool
is_atomic(const struct scxml_state *st)
{
	return st->nchildren == 0 && st->kind != SCXML_KIND_ROOT;
}

/* The states taking each transition enters (approximated: all of the
   targets' ancestors, and what entering the targets enters by default),
   worked out once, so that the graph checks below take time in
   proportion to the chart and not to its square or cube. */
struct graph {
	size_t n;
	size_t *stamp;		/* per state: the mark it was listed under */
	size_t mark;
	size_t *list, len, cap;	/* being built */
	size_t **entered;	/* per transition, numbered state by state */
	size_t *nentered;
	size_t *first;		/* per state: its first transition's number */
	size_t *start, nstart;	/* what the chart enters when it starts */
};

static void
g_add(struct graph *g, size_t i)
{
	if (g->stamp[i] == g->mark)
		return;
	g->stamp[i] = g->mark;
	if (g->len == g->cap) {
		g->cap = g->cap != 0 ? 2 * g->cap : 16;
		g->list = xrealloc(g->list, g->cap * sizeof(*g->list));
	}
	g->list[g->len++] = i;
}

/* Lists what entering ST enters below it by default. */
static void
g_default_entry(struct graph *g, const struct scxml_state *st)
{
	g_add(g, st->index);
	if (st->kind == SCXML_KIND_PARALLEL) {
		for (size_t i = 0; i < st->nchildren; i++)
			g_default_entry(g, st->children[i]);
	} else if (scxml_is_compound(st)) {
		for (size_t i = 0; i < st->ninitial; i++) {
			const struct scxml_state *s = st->initial[i];

			/* an initial deep inside enters its ancestors */
			for (const struct scxml_state *a = s->parent;
			     a != NULL && a != st; a = a->parent)
				g_add(g, a->index);
			g_default_entry(g, s);
		}
	}
}

/* Starts a new list; g_take() hands it over. */
static void
g_begin(struct graph *g)
{
	g->mark++;
	g->len = 0;
}

static size_t *
g_take(struct graph *g, size_t *n_r)
{
	size_t *v = xmalloc((g->len != 0 ? g->len : 1) * sizeof(*v));

	if (g->len != 0)
		memcpy(v, g->list, g->len * sizeof(*v));
	*n_r = g->len;
	return v;
}

static void
graph_build(struct graph *g, const struct scxml *ch)
{
	size_t nt = 0;

	memset(g, 0, sizeof(*g));
	g->n = ch->nstates;
	g->stamp = xcalloc(ch->nstates, sizeof(*g->stamp));
	g->first = xcalloc(ch->nstates + 1, sizeof(*g->first));
	for (size_t i = 0; i < ch->nstates; i++) {
		g->first[i] = nt;
		nt += ch->states[i]->ntransitions;
	}
	g->first[ch->nstates] = nt;
	g->entered = xcalloc(nt + 1, sizeof(*g->entered));
	g->nentered = xcalloc(nt + 1, sizeof(*g->nentered));
	g_begin(g);
	g_default_entry(g, ch->states[0]);
	g->start = g_take(g, &g->nstart);
	for (size_t i = 0; i < ch->nstates; i++) {
		const struct scxml_state *st = ch->states[i];

		for (size_t j = 0; j < st->ntransitions; j++) {
			const struct scxml_transition *t = st->transitions[j];
			size_t x = g->first[i] + j;

			g_begin(g);
			for (size_t k = 0; k < t->ntargets; k++) {
				for (const struct scxml_state *a =
					     t->targets[k]->parent;
				     a != NULL; a = a->parent)
					g_add(g, a->index);
				g_default_entry(g, t->targets[k]);
			}
			g->entered[x] = g_take(g, &g->nentered[x]);
		}
	}
}

static void
graph_free(struct graph *g)
{
	for (size_t i = 0; i < g->first[g->n]; i++)
		free(g->entered[i]);
	free(g->entered);
	free(g->nentered);
	free(g->first);
	free(g->start);
	free(g->stamp);
	free(g->list);
}

static void
check_reachable(struct checker *c, const struct graph *g, bool *reach)
{
	const struct scxml *ch = c->chart;
	size_t *queue = xmalloc(ch->nstates * sizeof(*queue)), head = 0,
	       tail = 0;

#define REACH(x) do {							\
		size_t x_ = (x);					\
		if (!reach[x_]) {					\
			reach[x_] = true;				\
			queue[tail++] = x_;				\
		}							\
	} while (0)

	for (size_t k = 0; k < g->nstart; k++)
		REACH(g->start[k]);
	while (head < tail) {
		const struct scxml_state *st = ch->states[queue[head++]];

		for (size_t j = 0; j < st->ntransitions; j++) {
			size_t x = g->first[st->index] + j;

			for (size_t k = 0; k < g->nentered[x]; k++)
				REACH(g->entered[x][k]);
		}
		/* a parallel's regions are entered with it */
		if (st->kind == SCXML_KIND_PARALLEL)
			for (size_t k = 0; k < st->nchildren; k++)
				REACH(st->children[k]->index);
	}
#undef REACH
	free(queue);
	for (size_t i = 1; i < ch->nstates; i++) {
		if (!reach[i])
			cerror(c, ch->states[i]->line, "state '%s' can never "
			       "be entered", ch->states[i]->id);
	}
}

/* Which atomic states can reach a top-level final state, worked
   backwards from the finals: once atomic K is known to, every atomic
   state in or below a state with a transition entering K is too. */
static void
check_dead_ends(struct checker *c, const struct graph *g, const bool *reach)
{
	const struct scxml *ch = c->chart;
	size_t n = ch->nstates, nrev = 0, *rev_first, *rev, *fill,
	       *queue = xmalloc(n * sizeof(*queue)), head = 0, tail = 0;
	bool *done = xcalloc(n, sizeof(bool)), *expanded = xcalloc(n,
								 sizeof(bool));
	bool any_final = false;

	/* rev[rev_first[k] .. rev_first[k + 1]): the states owning a
	   transition that enters atomic K */
	rev_first = xcalloc(n + 1, sizeof(*rev_first));
	for (size_t i = 0; i < n; i++)
		for (size_t x = g->first[i]; x < g->first[i + 1]; x++)
			for (size_t k = 0; k < g->nentered[x]; k++)
				if (is_atomic(ch->states[g->entered[x][k]])) {
					rev_first[g->entered[x][k] + 1]++;
					nrev++;
				}
	for (size_t k = 0; k < n; k++)
		rev_first[k + 1] += rev_first[k];
	rev = xmalloc((nrev != 0 ? nrev : 1) * sizeof(*rev));
	fill = xmalloc(n * sizeof(*fill));
	memcpy(fill, rev_first, n * sizeof(*fill));
	for (size_t i = 0; i < n; i++)
		for (size_t x = g->first[i]; x < g->first[i + 1]; x++)
			for (size_t k = 0; k < g->nentered[x]; k++)
				if (is_atomic(ch->states[g->entered[x][k]]))
					rev[fill[g->entered[x][k]]++] = i;
	free(fill);

	for (size_t i = 1; i < n; i++) {
		const struct scxml_state *st = ch->states[i];

		if (st->kind == SCXML_KIND_FINAL && st->parent == ch->states[0]) {
			done[i] = any_final = true;
			queue[tail++] = i;
		}
	}
	if (!any_final) {
		cerror(c, ch->states[0]->line, "no top-level <final> state: "
		       "cases could never be closed");
		tail = 0;
	}
	while (head < tail) {
		size_t k = queue[head++];

		for (size_t r = rev_first[k]; r < rev_first[k + 1]; r++) {
			const struct scxml_state *s = ch->states[rev[r]];

			if (expanded[s->index])
				continue;
			expanded[s->index] = true;
			for (size_t a = s->index; a <= s->last; a++) {
				if (!done[a] && is_atomic(ch->states[a])) {
					done[a] = true;
					queue[tail++] = a;
				}
			}
		}
	}
	for (size_t i = 1; any_final && i < n; i++) {
		const struct scxml_state *st = ch->states[i];

		if (reach[i] && is_atomic(st) && !done[i])
			cerror(c, st->line, "state '%s': no final state can be "
			       "reached from it", st->id);
	}
	free(rev_first);
	free(rev);
	free(queue);
	free(done);
	free(expanded);
}

/* A cond that is always true. */
static bool
always(const char *cond)
{
	return cond == NULL || strcmp(cond, "true") == 0;
}

/* Where the first transition SCXML would pick in atomic state A (A's,
   then its ancestors', in document order) certainly takes the case:
   the one atomic state it enters, when it has no cond and a target;
   else -1. EVENT NULL picks among the eventless transitions, else
   among those whose event list matches EVENT. */
static long
certain_target(const struct scxml *ch, const struct graph *g, size_t a,
	       const char *event)
{
	for (const struct scxml_state *s = ch->states[a]; s != NULL;
	     s = s->parent) {
		for (size_t j = 0; j < s->ntransitions; j++) {
			const struct scxml_transition *t = s->transitions[j];
			size_t x = g->first[s->index] + j;
			long only = -1;

			if (event == NULL ? t->event != NULL :
			    t->event == NULL ||
			    !scxml_event_match(t->event, event))
				continue;
			if (!always(t->cond) || t->ntargets == 0)
				return -1;
			for (size_t k = 0; k < g->nentered[x]; k++) {
				if (!is_atomic(ch->states[g->entered[x][k]]))
					continue;
				if (only >= 0)
					return -1;
				only = (long)g->entered[x][k];
			}
			return only;
		}
	}
	return -1;
}

/* Where the eventless transitions certainly take atomic state A (-1
   too for a targetless one, which check_events reports). */
static long
eventless_next(const struct scxml *ch, const struct graph *g, size_t a)
{
	return certain_target(ch, g, a, NULL);
}

/* A circle of one state through its own eventless transition without
   cond back to itself: check_events tells that one. LAST is the
   circle's last state, which is ST for a circle of one. */
static bool
self_loop_told(const struct scxml_state *st, size_t last)
{
	if (last != st->index)
		return false;
	for (size_t j = 0; j < st->ntransitions; j++) {
		const struct scxml_transition *t = st->transitions[j];

		if (t->event == NULL)
			return always(t->cond) && t->ntargets == 1 &&
			       t->targets[0] == st;
	}
	return false;
}

static bool zero_duration(const struct calendar_duration *d);

/* Whether atomic state A, or a state around it, has an eventless
   transition (which may leave A before any timer fires). */
static bool
any_eventless(const struct scxml *ch, size_t a)
{
	for (const struct scxml_state *s = ch->states[a]; s != NULL;
	     s = s->parent)
		for (size_t j = 0; j < s->ntransitions; j++)
			if (s->transitions[j]->event == NULL)
				return true;
	return false;
}

/* Where a timer of no time certainly takes atomic state A, which has
   no eventless transition: the one atomic state entered by the first
   transition (A's, then its ancestors', in document order) that
   matches the event of A's only timer of no time, when that
   transition has no cond; else -1. *TIMER_R is that timer. */
static long
zero_timer_next(const struct checker *c, const struct graph *g, size_t a,
		const struct workflow_timer **timer_r)
{
	const struct scxml *ch = c->chart;
	const struct workflow_timer *zero = NULL;

	for (size_t i = 0; i < c->wf->ntimers; i++) {
		const struct workflow_timer *t = &c->wf->timers[i];

		if (strcmp(t->state, ch->states[a]->id) != 0 ||
		    !zero_duration(&t->after))
			continue;
		if (zero != NULL)
			return -1;	/* which fires first is not certain */
		zero = t;
	}
	if (zero == NULL || any_eventless(ch, a))
		return -1;
	*timer_r = zero;
	return certain_target(ch, g, a, zero->event);
}

/* Eventless transitions that are always taken, and timers of no time
   whose transitions are, lead round in a circle never let a case
   settle: the engine stops the first at run time with an error, and
   the second would move the case at every turn for ever (mail at each
   step, maybe); here they are found before. */
static void
check_eventless_cycles(struct checker *c, const struct graph *g)
{
	const struct scxml *ch = c->chart;
	size_t n = ch->nstates;
	long *next = xmalloc(n * sizeof(*next));
	const struct workflow_timer **timer = xcalloc(n, sizeof(*timer));
	/* 0: not seen; 1: on the path being followed; 2: finished */
	unsigned char *seen = xcalloc(n, 1);
	size_t *path = xmalloc(n * sizeof(*path));

	for (size_t i = 0; i < n; i++) {
		next[i] = is_atomic(ch->states[i]) ? eventless_next(ch, g, i) :
			-1;
		if (next[i] < 0 && is_atomic(ch->states[i]))
			next[i] = zero_timer_next(c, g, i, &timer[i]);
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = 0;
		long a = (long)i;

		while (a >= 0 && seen[a] == 0) {
			seen[a] = 1;
			path[len++] = (size_t)a;
			a = next[a];
		}
		if (a >= 0 && seen[a] == 1 && !self_loop_told(ch->states[a],
							      path[len - 1]) &&
		    /* check_timers tells a timer entering its own state */
		    !(path[len - 1] == (size_t)a && timer[a] != NULL)) {
			/* the circle: from A round to A */
			char *circle = xstrdup(""), *timers = xstrdup(""), *more;
			size_t from = 0;

			while (path[from] != (size_t)a)
				from++;
			for (size_t k = from; k < len; k++) {
				const struct workflow_timer *t = timer[path[k]];

				more = xasprintf("%s'%s' -> ", circle,
						 ch->states[path[k]]->id);
				free(circle);
				circle = more;
				if (t == NULL)
					continue;
				more = xasprintf("%s%s'%s' at line %d", timers,
						 *timers != '\0' ? ", " : "",
						 t->id, t->line);
				free(timers);
				timers = more;
			}
			if (*timers == '\0')
				cerror(c, ch->states[a]->line, "eventless "
				       "transitions without cond lead round in "
				       "a circle (%s'%s'): a case entering it "
				       "would never settle", circle,
				       ch->states[a]->id);
			else
				cerror(c, ch->states[a]->line, "timers of no "
				       "time (%s) and transitions without cond "
				       "lead round in a circle (%s'%s'): a case "
				       "entering it would go round for ever, "
				       "acting at every turn", timers, circle,
				       ch->states[a]->id);
			free(circle);
			free(timers);
		}
		for (size_t k = 0; k < len; k++)
			seen[path[k]] = 2;
	}
	free(next);
	free(timer);
	free(seen);
	free(path);
}

/* --- events -------------------------------------------------------------- */

/* A due date set by <set field="due"> (N) is counted in the workflow's
   calendar, as a timer is in its own (check_timers): one open little
   stretches a long duration past the years whose holidays cirm knows,
   and every case would then fail there. */
static void
check_due(struct checker *c, const xmlNode *n)
{
	char *after = workflow_attr(n, "after"), *err = NULL;
	struct calendar_duration d;
	int64_t due;

	if (after != NULL && after[0] != '\0' && c->wf->calendar != NULL &&
	    calendar_duration_parse(after, &d, &err) == 0 &&
	    calendar_add(c->wf->calendar, cirm_now(), &d, &due, &err) < 0)
		cerror(c, xmlGetLineNo(n), "set field=\"due\": after=\"%s\" "
		       "cannot be counted in the workflow's calendar from "
		       "today: %s", after, err);
	free(err);
	free(after);
}

/* Collects what actions raise and the roles they name, and checks the
   due dates they set. */
static void
walk_actions(struct checker *c, const xmlNode *node)
{
	for (const xmlNode *n = node->children; n != NULL; n = n->next) {
		char *v = NULL, *field = NULL;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (scxml_node_is(n, "raise") &&
		    (v = workflow_attr(n, "event")) != NULL)
			strlist_add(&c->raisable, v);
		else if (workflow_node_is(n, "notify") ||
			 workflow_node_is(n, "assign"))
			v = workflow_attr(n, "to");
		else if (workflow_node_is(n, "set") &&
			 (field = workflow_attr(n, "field")) != NULL &&
			 strcmp(field, "group") == 0)
			v = workflow_attr(n, "value");
		else if (field != NULL && strcmp(field, "due") == 0)
			check_due(c, n);
		if (v != NULL && strncmp(v, "role:", 5) == 0 &&
		    !scxml_node_is(n, "raise"))
			strlist_addf(&c->roles_used, "%ld %s", xmlGetLineNo(n),
				     v + 5);
		free(v);
		free(field);
		walk_actions(c, n);
	}
}

static bool
can_occur(const struct checker *c, const char *descriptor)
{
	for (size_t i = 0; i < c->raisable.n; i++) {
		if (scxml_event_match(descriptor, c->raisable.v[i]))
			return true;
	}
	return false;
}

/* Each descriptor of each transition must match an event that can
   occur. */
static void
check_events(struct checker *c)
{
	const struct scxml *ch = c->chart;

	for (size_t i = 0; i < ch->nstates; i++) {
		const struct scxml_state *st = ch->states[i];

		for (size_t j = 0; j < st->ntransitions; j++) {
			const struct scxml_transition *t = st->transitions[j];
			struct strlist events = { 0 };

			workflow_split_words(t->event, &events);
			for (size_t k = 0; k < events.n; k++) {
				if (!can_occur(c, events.v[k]))
					cerror(c, xmlGetLineNo(t->node),
					       "event '%s': nothing raises it "
					       "(no command, timer, raise or "
					       "built-in event)", events.v[k]);
			}
			strlist_clear(&events);
			/* (a target to nowhere, already reported, is no
			   missing target) */
			if (t->event == NULL && always(t->cond) &&
			    !(t->ntargets == 0 && t->target_text != NULL) &&
			    (t->ntargets == 0 ||
			     (t->ntargets == 1 && t->targets[0] == st)))
				cerror(c, xmlGetLineNo(t->node), "eventless "
				       "transition %s: it would loop forever",
				       t->ntargets != 0 ? (t->cond == NULL ?
				       "without cond back to its own state" :
				       "with cond 'true' back to its own "
				       "state") : (t->cond == NULL ?
				       "without cond or target" :
				       "with cond 'true' and no target"));
		}
	}
}

/* Whether a transition of ST, an ancestor or a descendant handles EV. */
static bool
handled(const struct scxml *ch, const struct scxml_state *st, const char *ev)
{
	for (size_t i = 1; i < ch->nstates; i++) {
		const struct scxml_state *s = ch->states[i];

		if (s != st && !scxml_is_descendant(s, st) &&
		    !scxml_is_descendant(st, s))
			continue;
		for (size_t j = 0; j < s->ntransitions; j++) {
			const char *e = s->transitions[j]->event;

			if (e != NULL && scxml_event_match(e, ev))
				return true;
		}
	}
	return false;
}

static bool
handled_anywhere(const struct scxml *ch, const char *ev)
{
	return handled(ch, ch->states[0], ev);
}

/* Whether a case can rest in atomic state ST: it is no final one, and
   no transition without event in it or around it may take the case on
   at once (one with a condition counts: a state that routes a case by
   assigned() and not assigned() is left at once, whichever holds). */
static bool
resting(const struct scxml_state *st)
{
	if (st->kind != SCXML_KIND_STATE || !is_atomic(st))
		return false;
	for (const struct scxml_state *s = st; s != NULL; s = s->parent)
		for (size_t j = 0; j < s->ntransitions; j++)
			if (s->transitions[j]->event == NULL)
				return false;
	return true;
}


static bool
zero_duration(const struct calendar_duration *d)
{
	return d->years == 0 && d->months == 0 && d->weeks == 0 &&
		d->days == 0 && d->hours == 0 && d->minutes == 0 &&
		d->seconds == 0;
}

static bool reenters(const struct scxml_transition *t,
		     const struct scxml_state *st);

/* A transition that may take EV in ST and enter ST again: one of ST's,
   then of the states around it, whose event matches, up to the first
   without cond (which takes EV before those after it), when no state
   inside ST takes EV first; else NULL. A cond does not help: while it
   holds, the timer fires at once again and again. */
static const struct scxml_transition *
reentering_taker(const struct scxml *ch, const struct scxml_state *st,
		 const char *ev)
{
	for (size_t i = st->index + 1; i <= st->last; i++)
		for (size_t j = 0; j < ch->states[i]->ntransitions; j++) {
			const char *e = ch->states[i]->transitions[j]->event;

			if (e != NULL && scxml_event_match(e, ev))
				return NULL;
		}
	for (const struct scxml_state *s = st; s != NULL; s = s->parent)
		for (size_t j = 0; j < s->ntransitions; j++) {
			const struct scxml_transition *t = s->transitions[j];

			if (t->event == NULL || !scxml_event_match(t->event, ev))
				continue;
			if (reenters(t, st))
				return t;
			if (always(t->cond))
				return NULL;
		}
	return NULL;
}

/* Whether taking T leaves ST (active) and enters it again: ST lies
   below T's domain, and is a target, around one, or entered by
   default inside one. */
static bool
reenters(const struct scxml_transition *t, const struct scxml_state *st)
{
	const struct scxml_state *dom = NULL;
	bool inside = scxml_is_compound(t->source);

	if (t->ntargets == 0)
		return false;
	for (size_t i = 0; i < t->ntargets && inside; i++)
		inside = scxml_is_descendant(t->targets[i], t->source);
	if (t->internal && inside) {
		dom = t->source;
	} else {
		for (const struct scxml_state *a = t->source->parent;
		     a != NULL && dom == NULL; a = a->parent) {
			bool all = scxml_is_compound(a);

			for (size_t i = 0; i < t->ntargets && all; i++)
				all = scxml_is_descendant(t->targets[i], a);
			if (all)
				dom = a;
		}
	}
	if (dom == NULL || !scxml_is_descendant(st, dom))
		return false;
	for (size_t i = 0; i < t->ntargets; i++) {
		const struct scxml_state *x = t->targets[i];

		if (x == st || scxml_is_descendant(x, st) ||
		    scxml_is_descendant(st, x))
			return true;
	}
	return false;
}

static void
check_timers(struct checker *c)
{
	for (size_t i = 0; i < c->wf->ntimers; i++) {
		const struct workflow_timer *t = &c->wf->timers[i];
		const struct scxml_state *st = scxml_find(c->chart, t->state);
		const struct scxml_transition *taker;

		if (st == NULL) {
			cerror(c, t->line, "timer '%s' is not inside a state",
			       t->id);
			continue;
		}
		if (!handled(c->chart, st, t->event))
			cerror(c, t->line, "timer '%s': no transition in state "
			       "'%s' or around it handles its event '%s'",
			       t->id, t->state, t->event);
		/* due at once, and armed again at once by its own event:
		   the case would never settle, acting at every turn */
		else if (zero_duration(&t->after) &&
			 (taker = reentering_taker(c->chart, st, t->event)) !=
			 NULL)
			cerror(c, t->line, "timer '%s': after=\"%s\" is no "
			       "time, and its event '%s' enters state '%s' "
			       "again (line %d), arming it again at once: it "
			       "would fire for ever", t->id, t->after_text,
			       t->event, t->state,
			       (int)xmlGetLineNo(taker->node));
		/* a calendar open little (an hour a week) stretches a long
		   duration past the years whose holidays cirm knows: then
		   every case entering the state would fail, not only here */
		if (t->calendar != NULL) {
			char *err = NULL;
			int64_t due;

			if (calendar_add(t->calendar, cirm_now(), &t->after,
					 &due, &err) < 0) {
				cerror(c, t->line, "timer '%s': after=\"%s\" "
				       "cannot be counted in its calendar from "
				       "today: %s", t->id, t->after_text, err);
				free(err);
			}
		}
	}
}

/* --- roles, commands, templates ------------------------------------------ */

static bool
known_role(const struct workflow *wf, const char *id)
{
	for (size_t i = 0; i < wf->nroles; i++) {
		if (strcmp(wf->roles[i].id, id) == 0)
			return true;
	}
	return false;
}

/* The one role of WF a slip of the keyboard from ID (a letter off, or
   two in an id of six or more), for "did you mean", or NULL when none
   or several are. */
static const char *
near_role(const struct workflow *wf, const char *id)
{
	struct near_search n;

	near_start(&n, id);
	for (size_t i = 0; i < wf->nroles; i++)
		near_weigh(&n, wf->roles[i].id, wf->roles[i].id);
	return near_found(&n);
}

static void
check_roles(struct checker *c)
{
	const struct workflow *wf = c->wf;

	for (size_t i = 0; i < c->roles_used.n; i++) {
		char *role;
		long line = strtol(c->roles_used.v[i], &role, 10);
		const char *near;

		role++;
		if (known_role(wf, role))
			continue;
		if ((near = near_role(wf, role)) != NULL)
			cerror(c, line, "unknown role '%s' (not in <roles>; "
			       "did you mean '%s'?)", role, near);
		else
			cerror(c, line, "unknown role '%s' (not in <roles>)",
			       role);
	}
	for (size_t i = 0; i < wf->ncommands; i++) {
		for (size_t j = 0; j < wf->commands[i].roles.n; j++) {
			const char *role = wf->commands[i].roles.v[j], *near;

			if (known_role(wf, role))
				continue;
			near = near_role(wf, role);
			cerror(c, wf->commands[i].line, "command '%s': "
			       "unknown role '%s'%s%s%s", wf->commands[i].word,
			       role, near != NULL ? " (did you mean '" : "",
			       near != NULL ? near : "",
			       near != NULL ? "'?)" : "");
		}
	}
}

/* The line where command CMD has WORD: its translation's, when WORD
   came from one, else the command's. */
static int
word_line(const struct workflow_command *cmd, const char *word)
{
	for (size_t i = 0; i < cmd->ntr; i++) {
		if (cmd->tr[i].word != NULL &&
		    strcmp(cmd->tr[i].word, word) == 0)
			return cmd->tr[i].line;
	}
	return cmd->line;
}

/* A command that merges the case into another (argument="case") must
   close it: each transition that takes its event goes to a top-level
   final state, so that a merged case is never left open beside the
   case it joined. */
static void
check_merge(struct checker *c, const struct workflow_command *cmd)
{
	const struct scxml *ch = c->chart;

	for (size_t i = 1; i < ch->nstates; i++) {
		const struct scxml_state *st = ch->states[i];

		for (size_t j = 0; j < st->ntransitions; j++) {
			const struct scxml_transition *t = st->transitions[j];
			bool closes = t->ntargets > 0;

			if (t->event == NULL ||
			    !scxml_event_match(t->event, cmd->event))
				continue;
			for (size_t k = 0; k < t->ntargets; k++)
				closes &= t->targets[k]->kind ==
					SCXML_KIND_FINAL &&
					t->targets[k]->parent == ch->states[0];
			if (!closes)
				cerror(c, xmlGetLineNo(t->node), "command '%s' "
				       "merges the case into another "
				       "(argument=\"case\"), so a transition "
				       "on '%s' must go to a top-level "
				       "<final> state", cmd->word, cmd->event);
			/* a false one would leave it open, linked */
			else if (t->cond != NULL)
				cerror(c, xmlGetLineNo(t->node), "command '%s' "
				       "merges the case into another "
				       "(argument=\"case\"): a transition on "
				       "'%s' takes no cond", cmd->word,
				       cmd->event);
		}
	}
}

static void
check_commands(struct checker *c)
{
	const struct workflow *wf = c->wf;
	struct strlist seen = { 0 };	/* folded words */
	struct strlist spelt = { 0 };	/* the same, as written */
	size_t *lines = NULL, nlines = 0;

	for (size_t i = 0; i < wf->ncommands; i++) {
		const struct workflow_command *cmd = &wf->commands[i];

		for (size_t j = 0; j <= cmd->aliases.n; j++) {
			const char *w = j == 0 ? cmd->word : cmd->aliases.v[j - 1];
			char *f = workflow_fold(w);
			size_t k;

			for (k = 0; k < seen.n; k++) {
				if (strcmp(seen.v[k], f) == 0)
					break;
			}
			/* which word it clashes with, when spelt otherwise:
			   aliases="stang STÄNG" clashes with word="stäng",
			   not with stang */
			if (k < seen.n && strcmp(spelt.v[k], w) != 0)
				cerror(c, word_line(cmd, w), "command word "
				       "'%s' is already used (line %zu, as "
				       "'%s': case does not count)", w,
				       lines[k], spelt.v[k]);
			else if (k < seen.n)
				cerror(c, word_line(cmd, w), "command word "
				       "'%s' is already used (line %zu)", w,
				       lines[k]);
			/* the workflow's words are looked up first: it
			   would take notes, or the help, over */
			else if (in_words(f, workflow_note_words))
				cerror(c, cmd->line, "command word '%s' is "
				       "cirm's own (it makes a reply an "
				       "internal note on any case): choose "
				       "another", w);
			else if (in_words(f, workflow_help_words))
				cerror(c, cmd->line, "command word '%s' is "
				       "cirm's own (it sends a case officer "
				       "the commands a case takes): choose "
				       "another", w);
			strlist_add(&seen, f);
			strlist_add(&spelt, w);
			SCXML_PUSH(lines, nlines, (size_t)cmd->line);
			free(f);
		}
		if (!handled_anywhere(c->chart, cmd->event))
			cerror(c, cmd->line, "command '%s': no transition "
			       "handles its event '%s'", cmd->word, cmd->event);
		else if (cmd->argument == WORKFLOW_ARG_CASE)
			check_merge(c, cmd);
	}
	strlist_clear(&seen);
	strlist_clear(&spelt);
	free(lines);
}

static bool
declared(const struct workflow *wf, const char *id)
{
	for (size_t i = 0; i < wf->ntemplates; i++) {
		if (strcmp(wf->templates[i].id, id) == 0)
			return true;
	}
	return false;
}

/* The line of the first <reply> (or <command>, for the reply's text)
   that sends template ID to the citizen, or 0. */
static int
reply_line(const struct workflow *wf, const char *id)
{
	for (size_t i = 0; i < wf->nused_templates; i++) {
		if (wf->used_templates[i].to_citizen &&
		    strcmp(wf->used_templates[i].id, id) == 0)
			return wf->used_templates[i].line;
	}
	return 0;
}

/* What only case officers may read, and why: the history holds internal
   notes, the notifications' command list is theirs, and the rest are
   another person's words or address, or a colleague's name. Rendered
   for a citizen's template as a marker that names its place here. */
static const struct {
	const char *name, *why;
} officers_only[] = {
	{ "case.history", "the history holds internal notes" },
	{ "commands.help", "the commands are the case officers'" },
	{ "case.citizen_text", "it may be another party's words" },
	{ "message.sender", "it is another party's name and address" },
	{ "continues.last_answer", "it is from another case" },
	{ "continues.handler", "it is a case officer's name" },
	{ "message.signature", "it may be another party's address and "
	  "telephone number" },
};
static const char *const officers_marks[] = {
	"\001officers only 0\001", "\001officers only 1\001",
	"\001officers only 2\001", "\001officers only 3\001",
	"\001officers only 4\001", "\001officers only 5\001",
	"\001officers only 6\001",
};
_Static_assert(N_ELEMENTS(officers_marks) == N_ELEMENTS(officers_only),
	       "a mark for each of officers_only");

/* Which of officers_only RENDERED (a subject or body, or NULL) shows,
   or -1. */
static int
officers_shown(const char *rendered)
{
	for (size_t k = 0; rendered != NULL && k < N_ELEMENTS(officers_marks);
	     k++)
		if (strstr(rendered, officers_marks[k]) != NULL)
			return (int)k;
	return -1;
}

/* Renders template T of language LANG with every variable cirm gives:
   an unknown variable or a broken section is found here, not in a
   citizen's mail. A template a <reply> at line TO_CITIZEN (or 0) sends
   to the citizen must not show what only case officers may read. */
static void
try_template(struct checker *c, const char *dir, const char *lang,
	     const struct workflow_template *t, const char *name,
	     int to_citizen)
{
	size_t nfixed = 0, n = 0;
	struct template_var *vars;
	char *subject = NULL, *body = NULL, *err = NULL;
	int shown = -1;

	while (template_variables[nfixed] != NULL)
		nfixed++;
	vars = xcalloc(nfixed + c->timer_vars.n, sizeof(*vars));
	for (; n < nfixed; n++) {
		vars[n].name = template_variables[n];
		vars[n].value = "x";
		for (size_t k = 0; to_citizen && k < N_ELEMENTS(officers_only);
		     k++) {
			if (strcmp(vars[n].name, officers_only[k].name) == 0)
				vars[n].value = officers_marks[k];
		}
	}
	for (size_t i = 0; i < c->timer_vars.n; i++) {
		vars[n].name = c->timer_vars.v[i];
		vars[n++].value = "x";
	}
	if (template_render(dir, lang, name, vars, n, &subject, &body,
			    &err) < 0) {
		/* each of the file's problems (a line each) at once */
		for (char *save, *line = strtok_r(err, "\n", &save);
		     line != NULL; line = strtok_r(NULL, "\n", &save))
			cerror(c, t->line, "template '%s': %s", name, line);
		free(err);
	} else if (to_citizen &&
		   ((shown = officers_shown(body)) >= 0 ||
		    (shown = officers_shown(subject)) >= 0)) {
		cerror(c, to_citizen, "template '%s' (%s) goes to the citizen "
		       "but shows {{%s}}, which is for case officers only (%s)",
		       name, lang, officers_only[shown].name,
		       officers_only[shown].why);
	} else if (name != t->id && !c->wf->sms_links &&
		   (strcasestr(body, "http://") != NULL ||
		    strcasestr(body, "https://") != NULL ||
		    strcasestr(body, "www.") != NULL)) {
		/* Links in SMS cost segments and look like phishing. */
		cerror(c, t->line, "template '%s' (%s) has a link; SMS carry "
		       "none unless the workflow says sms-links=\"yes\"", name,
		       lang);
	}
	free(subject);
	free(body);
	free(vars);
}

/* Whether NAME is a language cirm writes in (the setting language, a
   handler's --language): only those subdirectories of the template
   directory hold templates; another (old/, a copy kept aside) is no
   language and is left alone. */
static int
template_language(const char *name)
{
	for (const char *const *l = settings[CFG_LANGUAGE].choices; *l != NULL;
	     l++) {
		if (strcmp(*l, name) == 0)
			return 1;
	}
	return 0;
}

/* cirm's own template "answer" (and its SMS variant), the frame around
   every handler's answer to a citizen: no workflow names it, every one
   sends it, and one that does not render would keep each answer in the
   inbox until it is quarantined. Like a named one it is rendered in
   each language directory (falling back to sv), told at the line of
   <workflow>. */
static void
check_answer_template(struct checker *c, const char *dir,
		      const struct strlist *langs)
{
	static char answer[] = "answer", answer_sms[] = "answer.sms";
	const struct workflow_template own = { answer, c->wf->line, true };

	for (size_t j = 0; j < langs->n; j++) {
		char *path = xasprintf("%s/%s/%s", dir, langs->v[j],
				       answer_sms);

		try_template(c, dir, langs->v[j], &own, answer, own.line);
		if (access(path, R_OK) == 0)
			try_template(c, dir, langs->v[j], &own, answer_sms,
				     own.line);
		free(path);
	}
}

static void
check_templates(struct checker *c, const char *dir)
{
	const struct workflow *wf = c->wf;
	struct strlist langs = { 0 };
	DIR *d;
	struct dirent *e;

	for (size_t i = 0; i < wf->nused_templates; i++) {
		if (!declared(wf, wf->used_templates[i].id))
			cerror(c, wf->used_templates[i].line, "template '%s' is "
			       "not declared in <templates>",
			       wf->used_templates[i].id);
	}
	if (dir == NULL)
		return;
	d = opendir(dir);
	if (d == NULL) {
		cerror(c, 1, "template directory %s cannot be read", dir);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		DIR *sub;
		char *path;

		if (!template_language(e->d_name))
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		sub = opendir(path);
		if (sub != NULL) {
			strlist_add(&langs, e->d_name);
			closedir(sub);
		}
		free(path);
	}
	closedir(d);
	/* timer.ID, when its timer will fire: this workflow's timers, named
	   once for all templates and languages */
	for (size_t i = 0; i < wf->ntimers; i++)
		strlist_addf(&c->timer_vars, "timer.%s", wf->timers[i].id);
	for (size_t i = 0; i < wf->ntemplates; i++) {
		int to_citizen = reply_line(wf, wf->templates[i].id);

		for (size_t j = 0; j < langs.n; j++) {
			char *path = xasprintf("%s/%s/%s", dir, langs.v[j],
					       wf->templates[i].id);

			if (access(path, R_OK) != 0)
				cerror(c, wf->templates[i].line, "template '%s' "
				       "is missing for language '%s' (%s)",
				       wf->templates[i].id, langs.v[j], path);
			else
				try_template(c, dir, langs.v[j],
					     &wf->templates[i],
					     wf->templates[i].id, to_citizen);
			free(path);
			/* The SMS variant, where there is one. */
			path = xasprintf("%s/%s/%s.sms", dir, langs.v[j],
					 wf->templates[i].id);
			if (access(path, R_OK) == 0) {
				char *name = xasprintf("%s.sms",
						       wf->templates[i].id);

				try_template(c, dir, langs.v[j],
					     &wf->templates[i], name,
					     to_citizen);
				free(name);
			}
			free(path);
		}
	}
	check_answer_template(c, dir, &langs);
	strlist_clear(&c->timer_vars);
	if (langs.n == 0)
		cerror(c, 1, "template directory %s has no language "
		       "directories", dir);
	strlist_clear(&langs);
}

size_t
workflow_check_citizen_mail(const struct workflow *wf,
			    struct strlist *warnings)
{
	static const char *const events[] = { "mail.citizen", "sms.citizen" };
	const struct scxml *ch = wf->chart;
	/* a workflow that takes no SMS anywhere is one for mail alone (an
	   address routed to it); one that takes neither is still told */
	bool any_sms = handled_anywhere(ch, events[1]);
	bool any_mail = handled_anywhere(ch, events[0]) || !any_sms;
	size_t n = 0;

	for (size_t i = 1; i < ch->nstates; i++) {
		const struct scxml_state *st = ch->states[i], *s;
		bool mail, sms;

		if (!resting(st))
			continue;
		for (s = st->parent; s != NULL; s = s->parent)
			if (s->kind == SCXML_KIND_PARALLEL)
				break;
		if (s != NULL)
			continue;
		mail = !any_mail || handled(ch, st, events[0]);
		sms = !any_sms || handled(ch, st, events[1]);
		if (mail && sms)
			continue;
		strlist_addf(warnings, "%s:%d: warning: state '%s': no "
			     "transition in it or around it takes %s: a "
			     "citizen who writes while the case is here is "
			     "kept on the case with nobody told. Add one, as "
			     "the shipped workflows do around their open "
			     "states: <transition event=\"mail.citizen "
			     "sms.citizen\"> with a <notify>", wf->name,
			     st->line, st->id,
			     !mail && !sms ? "mail.citizen or sms.citizen" :
			     !mail ? "mail.citizen" : "sms.citizen");
		n++;
	}
	return n;
}

size_t
workflow_check_sms_variants(const struct workflow *wf,
			    const char *template_dir, struct strlist *warnings)
{
	size_t n = 0;

	/* and cirm's own "answer", around every handler's answer, told at
	   the line of <workflow> */
	for (size_t i = 0; template_dir != NULL && i <= wf->ntemplates; i++) {
		const char *id = i < wf->ntemplates ? wf->templates[i].id :
			"answer";
		int line = i < wf->ntemplates ? reply_line(wf, id) : wf->line;

		for (size_t j = 0; line > 0 && settings[CFG_LANGUAGE].choices[j]
						!= NULL; j++) {
			const char *lang = settings[CFG_LANGUAGE].choices[j];
			char *mail = xasprintf("%s/%s/%s", template_dir, lang,
					       id);
			char *sms = xasprintf("%s.sms", mail);
			char *variant = xasprintf("%s.sms", id);

			/* a missing mail template is workflow_check's; a
			   language without the variant takes sv's, as cirmd
			   does (template_exists) */
			if (access(mail, R_OK) == 0 &&
			    !template_exists(template_dir, lang, variant)) {
				strlist_addf(warnings, "%s:%d: warning: "
					     "template '%s' goes to the citizen "
					     "and has no SMS variant for "
					     "language '%s' (%s): a case opened "
					     "by SMS gets the mail's text, which "
					     "is not sent when it costs more "
					     "than sms-segments (%d)", wf->name,
					     line, id, lang, sms,
					     wf->sms_segments);
				n++;
			}
			free(mail);
			free(sms);
			free(variant);
		}
	}
	return n;
}

/* The first <notify to="group:..."> among the actions under NODE, its
   line in *LINE_R, or NULL. */
static char *
group_notify(const xmlNode *node, int *line_r)
{
	for (const xmlNode *n = node->children; n != NULL; n = n->next) {
		char *to;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (workflow_node_is(n, "notify") &&
		    (to = workflow_attr(n, "to")) != NULL) {
			if (strncmp(to, "group:", 6) == 0) {
				*line_r = (int)xmlGetLineNo(n);
				return to;
			}
			free(to);
		}
		if ((to = group_notify(n, line_r)) != NULL)
			return to;
	}
	return NULL;
}

size_t
workflow_check_group_text(const struct workflow *wf,
			  struct strlist *warnings)
{
	const struct scxml *ch = wf->chart;
	size_t n = 0;

	for (size_t i = 0; i < wf->ncommands; i++) {
		const struct workflow_command *cm = &wf->commands[i];
		char *to = NULL;
		int line = 0;

		if (cm->text == WORKFLOW_TEXT_NONE || cm->template != NULL)
			continue;
		for (size_t k = 0; to == NULL && k < ch->nstates; k++) {
			const struct scxml_state *st = ch->states[k];

			for (size_t j = 0; to == NULL &&
			     j < st->ntransitions; j++) {
				const struct scxml_transition *t =
					st->transitions[j];

				if (t->event != NULL &&
				    scxml_event_match(t->event, cm->event))
					to = group_notify(t->node, &line);
			}
		}
		if (to == NULL)
			continue;
		strlist_addf(warnings, "%s:%d: warning: command #%s notifies "
			     "%s (line %d) and takes a text, which goes to "
			     "the citizen, while the group reads it too: if "
			     "the text is for the group (a referral's "
			     "question), give the command text=\"none\", so "
			     "that a text without #notering above it is "
			     "refused", wf->name, cm->line, cm->word, to, line);
		free(to);
		n++;
	}
	return n;
}

size_t
workflow_check_translations(const struct workflow *wf,
			    struct strlist *warnings)
{
	size_t n = 0;

	for (size_t j = 0; settings[CFG_LANGUAGE].choices[j] != NULL; j++) {
		const char *lang = settings[CFG_LANGUAGE].choices[j];
		struct strlist words = { 0 };
		int line = 0;

		if (wf->lang != NULL && strcmp(lang, wf->lang) == 0)
			continue;
		for (size_t i = 0; i < wf->ncommands; i++) {
			const struct workflow_command *cm = &wf->commands[i];
			bool has = false;

			for (size_t k = 0; !has && k < cm->ntr; k++)
				has = strcmp(cm->tr[k].lang, lang) == 0;
			if (has)
				continue;
			strlist_addf(&words, "#%s", cm->word);
			if (line == 0)
				line = cm->line;
		}
		if (words.n > 0) {
			char *list = strlist_join_sep(&words, ", ");

			strlist_addf(warnings, "%s:%d: warning: no <translation "
				     "xml:lang=\"%s\"> for %s: case officers "
				     "added with --language %s are shown %s "
				     "in the workflow's own words and help",
				     wf->name, line, lang, list, lang,
				     words.n == 1 ? "it" : "them");
			free(list);
			n++;
		}
		strlist_clear(&words);
	}
	return n;
}

size_t
workflow_check(const struct workflow *wf, const char *template_dir,
	       struct strlist *errors)
{
	struct checker c = { .wf = wf, .chart = wf->chart, .errors = errors };
	struct graph g;
	bool *reach = xcalloc(wf->chart->nstates, sizeof(bool));

	for (size_t i = 0; builtin_events[i] != NULL; i++)
		strlist_add(&c.raisable, builtin_events[i]);
	for (size_t i = 0; i < wf->ncommands; i++)
		strlist_add(&c.raisable, wf->commands[i].event);
	for (size_t i = 0; i < wf->ntimers; i++)
		strlist_add(&c.raisable, wf->timers[i].event);
	for (size_t i = 1; i < wf->chart->nstates; i++) {
		const struct scxml_state *st = wf->chart->states[i];

		if (scxml_is_compound(st) || st->kind == SCXML_KIND_PARALLEL)
			strlist_addf(&c.raisable, "done.state.%s", st->id);
	}
	walk_actions(&c, xmlDocGetRootElement(wf->chart->xml));
	/* a chart whose targets did not all resolve has no graph to walk:
	   its states would read as unreachable or dead ends for want of a
	   transition the loader already reported */
	if (!wf->unresolved) {
		graph_build(&g, wf->chart);
		check_reachable(&c, &g, reach);
		check_dead_ends(&c, &g, reach);
		check_eventless_cycles(&c, &g);
		graph_free(&g);
	}
	check_events(&c);
	check_timers(&c);
	check_roles(&c);
	check_commands(&c);
	check_templates(&c, template_dir);
	free(reach);
	strlist_clear(&c.raisable);
	strlist_clear(&c.roles_used);
	return c.count;
}

/* --- lookups -------------------------------------------------------------- */

const struct workflow_state *
workflow_state(const struct workflow *wf, const char *id)
{
	for (size_t i = 0; i < wf->nstates; i++) {
		if (strcmp(wf->states[i].id, id) == 0)
			return &wf->states[i];
	}
	return NULL;
}

const char *
workflow_state_label(const struct workflow *wf, const char *states)
{
	const char *last = strrchr(states, ' ');
	const struct workflow_state *st = NULL;

	/* several states: the regions of a <parallel>, none of them the
	   innermost; the state around them all is what the case is in
	   (label="granskning"), not the last region's state */
	if (wf != NULL && wf->chart != NULL && last != NULL) {
		const struct scxml_state *around = NULL;
		const char *p = states;

		while (*p != '\0') {
			size_t n = strcspn(p, " ");
			char *id = xstrndup(p, n);
			const struct scxml_state *s = scxml_find(wf->chart, id);

			free(id);
			if (s == NULL) {
				around = NULL;
				break;
			}
			if (around == NULL)
				around = s->parent;
			while (around != NULL &&
			       !scxml_is_descendant(s, around))
				around = around->parent;
			p += n;
			p += strspn(p, " ");
		}
		if (around != NULL && around->kind != SCXML_KIND_ROOT)
			st = workflow_state(wf, around->id);
	}
	if (st == NULL && wf != NULL)
		st = workflow_state(wf, last != NULL ? last + 1 : states);
	return st == NULL ? states : st->label != NULL ? st->label : st->id;
}

void
workflow_state_timers(const struct workflow *wf, const char *id,
		      void (*fn)(void *ctx, const struct workflow_timer *t),
		      void *ctx)
{
	for (size_t i = 0; i < wf->ntimers; i++) {
		if (strcmp(wf->timers[i].state, id) == 0)
			fn(ctx, &wf->timers[i]);
	}
}

bool
workflow_state_has_timers(const struct workflow *wf, const char *id)
{
	for (size_t i = 0; i < wf->ntimers; i++) {
		if (strcmp(wf->timers[i].state, id) == 0)
			return true;
	}
	return false;
}

bool
workflow_command_is(const struct workflow_command *c, const char *word)
{
	char *f = workflow_fold(word);
	bool is = false;

	for (size_t j = 0; j <= c->aliases.n && !is; j++) {
		char *g = workflow_fold(j == 0 ? c->word : c->aliases.v[j - 1]);

		is = strcmp(f, g) == 0;
		free(g);
	}
	free(f);
	return is;
}

const struct workflow_command *
workflow_command(const struct workflow *wf, const char *word)
{
	for (size_t i = 0; i < wf->ncommands; i++) {
		if (workflow_command_is(&wf->commands[i], word))
			return &wf->commands[i];
	}
	return NULL;
}

const char *
workflow_category_name(enum workflow_category c)
{
	static const char *const names[] = { "initial", "active", "waiting",
					     "inactive" };

	return names[c];
}
