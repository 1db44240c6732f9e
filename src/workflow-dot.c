/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A workflow drawn as a Graphviz digraph ("cirmctl workflow dot"). */
#include "config.h"

#include "workflow-dot.h"
#include "workflow-private.h"

#include <stdlib.h>
#include <string.h>

/* The longest parts of an edge label, in characters, before they are cut
   with an ellipsis: the picture is an overview, the file has the rest. */
#define DOT_EVENTS_MAX 40
#define DOT_COND_MAX 32
#define DOT_ACTIONS_MAX 48
/* A state's onentry and onexit actions go on lines of about this many
   characters, at most so many lines each, under its name: a node as
   wide as an edge label would push the ranks apart. */
#define DOT_NODE_LINE 36
#define DOT_NODE_LINES 3

#define WS " \t\r\n"

/* An edge between two nodes. A compound state is drawn as a cluster; an
   edge to or from it is clipped at the cluster's border (lhead, ltail)
   and ends at a node inside, its first atomic descendant. Where Graphviz
   cannot clip (a loop, an edge from a cluster into itself) the edge ends
   at an anchor, a small node of the cluster standing for the state. */
struct dot_edge {
	const struct scxml_state *tail, *head;	/* named by their ids */
	const struct scxml_state *ltail, *lhead;	/* clusters, or NULL */
	char *label;
	const char *style;	/* NULL, "dotted" or "dashed" */
};

struct dot {
	const struct workflow *wf;
	const struct scxml *chart;
	FILE *out;
	bool *anchor;		/* by state index: the cluster needs one */
	struct dot_edge *edges;
	size_t nedges;
	/* All transitions in document order, and for each the timer events
	   it handles that are drawn as timer edges instead. */
	const struct scxml_transition **trans;
	struct strlist *covered;
	size_t ntrans;
};

/* --- text ---------------------------------------------------------------- */

struct buf {
	char *s;
	size_t n, cap;
};

static void
buf_add(struct buf *b, const char *s, size_t len)
{
	if (b->n + len + 1 > b->cap) {
		b->cap = (b->n + len + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->n, s, len);
	b->n += len;
	b->s[b->n] = '\0';
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* S with its runs of white space made single spaces, trimmed. */
static char *
squeeze(const char *s)
{
	char *r = xmalloc(strlen(s) + 1), *p = r;

	for (;;) {
		size_t n;

		s += strspn(s, WS);
		if (*s == '\0')
			break;
		if (p != r)
			*p++ = ' ';
		n = strcspn(s, WS);
		memcpy(p, s, n);
		p += n;
		s += n;
	}
	*p = '\0';
	return r;
}

/* Appends S squeezed and, when longer than MAX (> 1) characters, cut to
   MAX - 1 of them and an ellipsis. */
static void
buf_clip(struct buf *b, const char *s, size_t max)
{
	char *t = squeeze(s);
	size_t chars = 0, cut = 0;

	for (size_t i = 0; t[i] != '\0'; i++) {
		if (((unsigned char)t[i] & 0xc0) == 0x80)
			continue;	/* inside a UTF-8 sequence */
		if (chars == max - 1)
			cut = i;
		chars++;
	}
	if (chars > max) {
		while (cut > 0 && t[cut - 1] == ' ')
			cut--;
		buf_add(b, t, cut);
		buf_str(b, "…");
	} else {
		buf_str(b, t);
	}
	free(t);
}

/* S as a DOT double-quoted string: the lexer knows \" only, and labels
   read \\ as a backslash and \n as a line break. */
static void
put_quoted(FILE *out, const char *prefix, const char *s)
{
	putc('"', out);
	fputs(prefix, out);
	for (; *s != '\0'; s++) {
		if (*s == '\n') {
			fputs("\\n", out);
			continue;
		}
		if (*s == '"' || *s == '\\')
			putc('\\', out);
		putc(*s, out);
	}
	putc('"', out);
}

/* S as text in a Graphviz HTML-like label. Graphviz reads \N, \G and
   the like in it as the node's name and so on, after the entities:
   only a doubled backslash is one. */
static void
put_html(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '\\':
			fputs("\\\\", out);
			break;
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		default:
			putc(*s, out);
		}
	}
}

static void
indent(FILE *out, int depth)
{
	for (int i = 0; i < depth; i++)
		putc('\t', out);
}

/* --- labels -------------------------------------------------------------- */

/* "reply acknowledgement", "notify role:chef", ... for the action N, or
   NULL when it is not worth a mention (log). */
static char *
describe_action(const xmlNode *n)
{
	const char *name = (const char *)n->name;
	char *a = NULL, *v = NULL, *s = NULL;

	if (scxml_node_is(n, "raise")) {
		a = workflow_attr(n, "event");
		s = xasprintf("raise %s", a != NULL ? a : "?");
	} else if (workflow_node_is(n, "reply") ||
		   workflow_node_is(n, "notify") ||
		   workflow_node_is(n, "assign")) {
		a = workflow_attr(n, strcmp(name, "reply") == 0 ? "template" :
				  "to");
		s = xasprintf("%s %s", name, a != NULL ? a : "?");
	} else if (workflow_node_is(n, "set")) {
		a = workflow_attr(n, "field");
		if (a != NULL && strcmp(a, "due") == 0)
			v = workflow_attr(n, "after");
		else
			v = workflow_attr(n, "value");
		if (v != NULL && v[0] == '\0')
			s = xasprintf("clear %s", a != NULL ? a : "?");
		else
			s = xasprintf("set %s=%s", a != NULL ? a : "?",
				      v != NULL ? v : "?");
	}
	free(a);
	free(v);
	return s;
}

/* Adds to ACTS what the executable content under NODE does, each once,
   the branches of <if> flattened. */
static void
summarize_actions(const xmlNode *node, struct strlist *acts)
{
	for (const xmlNode *n = node->children; n != NULL; n = n->next) {
		char *s;
		size_t i;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (scxml_node_is(n, "if")) {
			summarize_actions(n, acts);
			continue;
		}
		s = describe_action(n);
		if (s == NULL)
			continue;
		for (i = 0; i < acts->n; i++) {
			if (strcmp(acts->v[i], s) == 0)
				break;
		}
		if (i == acts->n)
			strlist_add(acts, s);
		free(s);
	}
}

/* Adds to LINES "WHEN / action, action, ..." for the executable content
   of the N elements at NODES (a state's onentry or onexit), broken
   between actions into lines of about DOT_NODE_LINE characters, the
   last of DOT_NODE_LINES ending in an ellipsis when more would follow.
   Nothing when they do nothing worth a mention. */
static void
node_actions(const char *when, xmlNode *const *nodes, size_t n,
	     struct strlist *lines)
{
	struct strlist acts = { 0 };
	struct buf line = { 0 };
	size_t first = lines->n;

	for (size_t i = 0; i < n; i++)
		summarize_actions(nodes[i], &acts);
	if (acts.n == 0)
		return;
	buf_str(&line, when);
	buf_str(&line, " /");
	for (size_t i = 0; i < acts.n; i++) {
		struct buf act = { 0 };

		buf_clip(&act, acts.v[i], DOT_ACTIONS_MAX);
		if (i == 0) {
			buf_str(&line, " ");
		} else if (utf8_length(line.s) + 2 + utf8_length(act.s) <=
			   DOT_NODE_LINE) {
			buf_str(&line, ", ");
		} else if (lines->n - first < DOT_NODE_LINES - 1) {
			buf_str(&line, ",");
			strlist_add(lines, line.s);
			line.n = 0;
			line.s[0] = '\0';
		} else {
			buf_str(&line, ", …");
			free(act.s);
			break;
		}
		buf_str(&line, act.s);
		free(act.s);
	}
	strlist_add(lines, line.s);
	strlist_clear(&acts);
	free(line.s);
}

/* Writes the onentry and onexit actions of ST as lines of an HTML-like
   label, each after a break; in small type of their own with FONT, else
   in that of the text before them. */
static void
put_state_actions(FILE *out, const struct scxml_state *st, bool font)
{
	struct strlist lines = { 0 };

	node_actions("entry", st->onentry, st->nonentry, &lines);
	node_actions("exit", st->onexit, st->nonexit, &lines);
	if (lines.n > 0 && font)
		fputs("<font point-size=\"9\">", out);
	for (size_t i = 0; i < lines.n; i++) {
		fputs("<br/>", out);
		put_html(out, lines.v[i]);
	}
	if (lines.n > 0 && font)
		fputs("</font>", out);
	strlist_clear(&lines);
}

/* "FIRST [cond]", then "/ actions" after SEP ("\n": on a second line). */
static char *
edge_label(const char *first, const struct scxml_transition *t,
	   const char *sep)
{
	struct buf b = { 0 }, acts_text = { 0 };
	struct strlist acts = { 0 };

	buf_clip(&b, first, DOT_EVENTS_MAX);
	if (t->cond != NULL) {
		buf_str(&b, " [");
		buf_clip(&b, t->cond, DOT_COND_MAX);
		buf_str(&b, "]");
	}
	summarize_actions(t->node, &acts);
	for (size_t i = 0; i < acts.n; i++) {
		if (i > 0)
			buf_str(&acts_text, ", ");
		buf_str(&acts_text, acts.v[i]);
	}
	if (acts.n > 0) {
		buf_str(&b, sep);
		buf_str(&b, "/ ");
		buf_clip(&b, acts_text.s, DOT_ACTIONS_MAX);
	}
	strlist_clear(&acts);
	free(acts_text.s);
	return b.s;
}

/* Whether the event descriptor of LEN bytes at DESC names exactly the
   event E ("timer.remind" or "timer.remind.*"). */
static bool
names_event(const char *desc, size_t len, const char *e)
{
	size_t n = strlen(e);

	return strncmp(desc, e, n) == 0 &&
		(len == n || (len == n + 2 && desc[n] == '.' &&
			      desc[n + 1] == '*'));
}

/* Whether the event descriptor of LEN bytes at DESC names exactly one
   of the events in COVERED. */
static bool
is_covered(const struct strlist *covered, const char *desc, size_t len)
{
	for (size_t i = 0; i < covered->n; i++) {
		if (names_event(desc, len, covered->v[i]))
			return true;
	}
	return false;
}

/* Appends the event descriptor of LEN bytes at DESC as case officers
   know it: a command's event by the command's word, "#klar" for
   cmd.resolve (the words of several commands taking one event by
   "/"), any other event as it is. A descriptor that matches several
   events by prefix ("cmd.*") stays as written, for a list of words
   would not fit the label. */
static void
buf_event(struct buf *b, const struct workflow *wf, const char *desc,
	  size_t len)
{
	size_t start = b->n;

	for (size_t i = 0; i < wf->ncommands; i++) {
		const struct workflow_command *c = &wf->commands[i];

		if (!names_event(desc, len, c->event))
			continue;
		buf_str(b, b->n > start ? "/#" : "#");
		buf_str(b, c->word);
	}
	if (b->n == start)
		buf_add(b, desc, len);
}

/* The events of T for its own edge: "ε" when eventless, NULL when each
   of its descriptors is drawn as a timer edge already. */
static char *
edge_events(const struct workflow *wf, const struct scxml_transition *t,
	    const struct strlist *covered)
{
	struct buf b = { 0 };
	const char *p = t->event;

	if (p == NULL)
		return xstrdup("ε");
	while (*p != '\0') {
		size_t n;

		p += strspn(p, WS);
		n = strcspn(p, WS);
		if (n > 0 && !is_covered(covered, p, n)) {
			if (b.n > 0)
				buf_str(&b, ", ");
			buf_event(&b, wf, p, n);
		}
		p += n;
	}
	return b.s;
}

static const char *
calendar_name(const struct workflow *wf, const struct workflow_timer *t)
{
	if (t->wall_clock)
		return "wall clock";
	for (size_t i = 0; i < wf->ncalendars; i++) {
		if (wf->calendars[i] == t->calendar)
			return wf->calendar_ids[i];
	}
	return wf->calendar_id;
}

/* --- edges --------------------------------------------------------------- */

static bool
is_cluster(const struct scxml_state *st)
{
	return st->kind != SCXML_KIND_ROOT && st->nchildren > 0;
}

/* The first atomic descendant of ST (ST when atomic). */
static const struct scxml_state *
first_leaf(const struct scxml *chart, const struct scxml_state *st)
{
	for (size_t i = st->index + 1; i <= st->last; i++) {
		if (chart->states[i]->nchildren == 0)
			return chart->states[i];
	}
	return st;
}

/* Adds an edge from state FROM to state TO (FROM for a loop), taking
   LABEL. */
static void
add_edge(struct dot *d, const struct scxml_state *from,
	 const struct scxml_state *to, char *label, const char *style)
{
	struct dot_edge e = { .label = label, .style = style };

	if (!is_cluster(from)) {
		e.tail = from;
	} else if (to == from || scxml_is_descendant(to, from)) {
		e.tail = from;
		d->anchor[from->index] = true;
	} else {
		e.tail = first_leaf(d->chart, from);
		e.ltail = from;
	}
	if (!is_cluster(to)) {
		e.head = to;
	} else if (to == from || scxml_is_descendant(from, to)) {
		e.head = to;
		d->anchor[to->index] = true;
	} else {
		e.head = first_leaf(d->chart, to);
		e.lhead = to;
	}
	SCXML_PUSH(d->edges, d->nedges, e);
}

/* Edges from FROM for transition T: one to each target, or a loop. */
static void
add_edges(struct dot *d, const struct scxml_state *from,
	  const struct scxml_transition *t, char *label, const char *style)
{
	if (t->ntargets == 0) {
		add_edge(d, from, from, label, style);
		return;
	}
	for (size_t i = 0; i < t->ntargets; i++)
		add_edge(d, from, t->targets[i], i == 0 ? label :
			 xstrdup(label), style);
}

static size_t
trans_index(const struct dot *d, const struct scxml_transition *t)
{
	size_t i = 0;

	while (i < d->ntrans - 1 && d->trans[i] != t)
		i++;
	return i;
}

typedef void handler_fn(struct dot *d, const struct workflow_timer *timer,
			const struct scxml_state *from,
			const struct scxml_transition *t);

/* Calls FN for each transition that may take the event of TIMER: those
   of the descendants of its state, from where they are, then as SCXML
   selects among the state and its ancestors, nearest first, up to the
   first one without cond, from the timer's state. */
static void
each_handler(struct dot *d, const struct workflow_timer *timer,
	     handler_fn *fn)
{
	const struct scxml_state *st = scxml_find(d->chart, timer->state);

	if (st == NULL || timer->event == NULL)
		return;
	for (size_t i = st->index + 1; i <= st->last; i++) {
		const struct scxml_state *s = d->chart->states[i];

		for (size_t j = 0; j < s->ntransitions; j++) {
			const struct scxml_transition *t = s->transitions[j];

			if (t->event != NULL &&
			    scxml_event_match(t->event, timer->event))
				fn(d, timer, s, t);
		}
	}
	for (const struct scxml_state *s = st; s != NULL; s = s->parent) {
		for (size_t j = 0; j < s->ntransitions; j++) {
			const struct scxml_transition *t = s->transitions[j];

			if (t->event == NULL ||
			    !scxml_event_match(t->event, timer->event))
				continue;
			fn(d, timer, st, t);
			if (t->cond == NULL)
				return;
		}
	}
}

static void
cover(struct dot *d, const struct workflow_timer *timer,
      const struct scxml_state *from, const struct scxml_transition *t)
{
	(void)from;
	strlist_add(&d->covered[trans_index(d, t)], timer->event);
}

/* "⏱ paminnelse P5D (kontorstid)", dashed. */
static void
timer_edge(struct dot *d, const struct workflow_timer *timer,
	   const struct scxml_state *from, const struct scxml_transition *t)
{
	char *first = xasprintf("⏱ %s %s (%s)", timer->id,
				timer->after_text != NULL ?
				timer->after_text : "?",
				calendar_name(d->wf, timer));

	add_edges(d, from, t, edge_label(first, t, "\n"), "dashed");
	free(first);
}

/* The edges of the transitions of ST, the first of which is d->trans[K]:
   the targetless ones together as one dotted loop, a line each, rather
   than a tangle of loops. */
static void
transition_edges(struct dot *d, const struct scxml_state *st, size_t k)
{
	struct buf loop = { 0 };
	const struct scxml_transition *first = NULL;
	const struct strlist *first_covered = NULL;
	size_t nloop = 0;

	for (size_t j = 0; j < st->ntransitions; j++, k++) {
		const struct scxml_transition *t = st->transitions[j];
		char *events = edge_events(d->wf, t, &d->covered[k]),
		    *label;

		if (events == NULL)
			continue;	/* drawn as timer edges */
		if (t->ntargets > 0) {
			add_edges(d, st, t, edge_label(events, t, "\n"), NULL);
		} else {
			label = edge_label(events, t, " ");
			if (nloop++ > 0)
				buf_str(&loop, "\n");
			buf_str(&loop, label);
			free(label);
			if (first == NULL) {
				first = t;
				first_covered = &d->covered[k];
			}
		}
		free(events);
	}
	if (nloop == 1) {
		/* alone, it looks like the other edges */
		char *events = edge_events(d->wf, first,
					   first_covered);

		free(loop.s);
		loop.s = edge_label(events, first, "\n");
		free(events);
	}
	if (nloop > 0)
		add_edge(d, st, st, loop.s, "dotted");
}

static void
collect_edges(struct dot *d)
{
	const struct scxml *ch = d->chart;

	for (size_t i = 0; i < ch->nstates; i++) {
		for (size_t j = 0; j < ch->states[i]->ntransitions; j++)
			SCXML_PUSH(d->trans, d->ntrans,
				   ch->states[i]->transitions[j]);
	}
	if (d->ntrans == 0)
		return;
	d->covered = xcalloc(d->ntrans, sizeof(*d->covered));
	for (size_t i = 0; i < d->wf->ntimers; i++)
		each_handler(d, &d->wf->timers[i], cover);
	for (size_t i = 0, k = 0; i < ch->nstates; i++) {
		transition_edges(d, ch->states[i], k);
		k += ch->states[i]->ntransitions;
	}
	for (size_t i = 0; i < d->wf->ntimers; i++)
		each_handler(d, &d->wf->timers[i], timer_edge);
}

/* --- output -------------------------------------------------------------- */

static void
put_node(struct dot *d, const struct scxml_state *st, int depth)
{
	static const struct {
		const char *shape, *style;
	} looks[] = {
		[WORKFLOW_INITIAL] = { "ellipse", "bold" },
		[WORKFLOW_ACTIVE] = { "box", "rounded" },
		[WORKFLOW_WAITING] = { "box", "rounded,dashed,filled" },
		[WORKFLOW_INACTIVE] = { "doublecircle", "solid" },
	};
	const struct workflow_state *ws = workflow_state(d->wf, st->id);
	enum workflow_category c = ws != NULL ? ws->category : WORKFLOW_ACTIVE;
	const char *label;

	if (st->kind == SCXML_KIND_FINAL)
		c = WORKFLOW_INACTIVE;
	indent(d->out, depth);
	put_quoted(d->out, "", st->id);
	fputs(" [label=<", d->out);
	/* the name case officers read ("löst"), and the id beside the
	   category when it differs ("lost"), as case show has them */
	label = workflow_state_label(d->wf, st->id);
	put_html(d->out, label != NULL ? label : st->id);
	fputs("<br/><font point-size=\"9\">", d->out);
	if (label != NULL && strcmp(label, st->id) != 0) {
		put_html(d->out, st->id);
		fputs(", ", d->out);
	}
	fputs(workflow_category_name(c), d->out);
	put_state_actions(d->out, st, false);
	fprintf(d->out, "</font>>, shape=%s, style=\"%s\"];\n",
		looks[c].shape, looks[c].style);
}

/* The small point of compound ST (or the root) and its edges to the
   initial states. */
static void
put_initial(struct dot *d, const struct scxml_state *st, int depth)
{
	char *name = st->kind == SCXML_KIND_ROOT ? xstrdup("_init") :
		xasprintf("_init.%s", st->id);

	if (st->ninitial == 0) {
		free(name);
		return;
	}
	indent(d->out, depth);
	put_quoted(d->out, "", name);
	fputs(" [label=\"\", shape=point, width=0.1];\n", d->out);
	for (size_t i = 0; i < st->ninitial; i++) {
		const struct scxml_state *to = st->initial[i];

		indent(d->out, depth);
		put_quoted(d->out, "", name);
		fputs(" -> ", d->out);
		put_quoted(d->out, "", first_leaf(d->chart, to)->id);
		if (is_cluster(to)) {
			fputs(" [lhead=", d->out);
			put_quoted(d->out, "cluster_", to->id);
			putc(']', d->out);
		}
		fputs(";\n", d->out);
	}
	free(name);
}

static void
put_state(struct dot *d, const struct scxml_state *st, int depth)
{
	const char *style = "rounded";

	if (!is_cluster(st)) {
		put_node(d, st, depth);
		return;
	}
	if (st->parent->kind == SCXML_KIND_PARALLEL)
		style = "rounded,dashed";	/* a region */
	else if (st->kind == SCXML_KIND_PARALLEL)
		style = "rounded,bold";
	indent(d->out, depth);
	fputs("subgraph ", d->out);
	put_quoted(d->out, "cluster_", st->id);
	fputs(" {\n", d->out);
	indent(d->out, depth + 1);
	fputs("label=<", d->out);
	put_html(d->out, st->id);
	put_state_actions(d->out, st, true);
	fprintf(d->out, ">; style=\"%s\";\n", style);
	if (d->anchor[st->index]) {
		indent(d->out, depth + 1);
		put_quoted(d->out, "", st->id);
		fputs(" [label=\"\", shape=circle, width=0.15, fixedsize=true, "
		      "color=grey50];\n", d->out);
	}
	for (size_t i = 0; i < st->nchildren; i++)
		put_state(d, st->children[i], depth + 1);
	if (st->kind == SCXML_KIND_STATE)
		put_initial(d, st, depth + 1);
	indent(d->out, depth);
	fputs("}\n", d->out);
}

static void
put_edge(struct dot *d, const struct dot_edge *e)
{
	fputs("\t", d->out);
	put_quoted(d->out, "", e->tail->id);
	fputs(" -> ", d->out);
	put_quoted(d->out, "", e->head->id);
	fputs(" [label=", d->out);
	put_quoted(d->out, "", e->label != NULL ? e->label : "");
	if (e->style != NULL)
		fprintf(d->out, ", style=%s", e->style);
	if (e->ltail != NULL) {
		fputs(", ltail=", d->out);
		put_quoted(d->out, "cluster_", e->ltail->id);
	}
	if (e->lhead != NULL) {
		fputs(", lhead=", d->out);
		put_quoted(d->out, "cluster_", e->lhead->id);
	}
	fputs("];\n", d->out);
}

int
workflow_dot(const struct workflow *wf, FILE *out)
{
	struct dot d = { .wf = wf, .chart = wf->chart, .out = out };
	const struct scxml_state *root = d.chart->states[0];
	char *title = wf->title != NULL ?
		xasprintf("%s (%s, version %d)", wf->title, wf->id,
			  wf->version) :
		xasprintf("%s, version %d", wf->id, wf->version);

	d.anchor = xcalloc(d.chart->nstates, sizeof(*d.anchor));
	collect_edges(&d);
	fputs("digraph ", out);
	put_quoted(out, "", wf->id);
	fputs(" {\n\tgraph [rankdir=LR, compound=true, fontname=\"sans\", "
	      "label=", out);
	put_quoted(out, "", title);
	fputs("];\n\tnode [fontname=\"sans\", fillcolor=grey92];\n"
	      "\tedge [fontname=\"sans\", fontsize=10];\n", out);
	put_initial(&d, root, 1);
	for (size_t i = 0; i < root->nchildren; i++)
		put_state(&d, root->children[i], 1);
	for (size_t i = 0; i < d.nedges; i++) {
		put_edge(&d, &d.edges[i]);
		free(d.edges[i].label);
	}
	fputs("}\n", out);
	for (size_t i = 0; i < d.ntrans; i++)
		strlist_clear(&d.covered[i]);
	free(d.covered);
	free(d.trans);
	free(d.edges);
	free(d.anchor);
	free(title);
	return fflush(out) != 0 || ferror(out) ? -1 : 0;
}
