/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "scxml-private.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void
scxml_queue_push(struct scxml_queue *q, const char *event)
{
	SCXML_PUSH(q->v, q->n, xstrdup(event));
}

char *
scxml_queue_pop(struct scxml_queue *q)
{
	char *ev;

	if (q->head == q->n)
		return NULL;
	ev = q->v[q->head++];
	if (q->head == q->n)
		q->head = q->n = 0;
	return ev;
}

void
scxml_queue_clear(struct scxml_queue *q)
{
	for (size_t i = q->head; i < q->n; i++)
		free(q->v[i]);
	free(q->v);
	q->v = NULL;
	q->head = q->n = 0;
}

static char *
prop(const xmlNode *node, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(node, (const xmlChar *)name);
	char *s = v != NULL ? xstrdup((const char *)v) : NULL;

	xmlFree(v);
	return s;
}

const char *
scxml_element_name(const struct scxml_element *elem)
{
	return (const char *)((const xmlNode *)(const void *)elem)->name;
}

const char *
scxml_element_ns(const struct scxml_element *elem)
{
	const xmlNode *n = (const xmlNode *)(const void *)elem;

	return n->ns != NULL ? (const char *)n->ns->href : NULL;
}

char *
scxml_element_attr(const struct scxml_element *elem, const char *name)
{
	return prop((const xmlNode *)(const void *)elem, name);
}

int
scxml_element_line(const struct scxml_element *elem)
{
	return (int)xmlGetLineNo((const xmlNode *)(const void *)elem);
}

/* <send>: at once to a queue, or later through the virtual clock. */
static int
exec_send(struct scxml_session *s, const xmlNode *n)
{
	char *event = prop(n, "event"), *target = prop(n, "target");
	char *delay = prop(n, "delay");
	bool internal = target != NULL;
	uint64_t ms = 0;
	int ret = 0;

	if (delay != NULL && scxml_parse_delay(delay, &ms) < 0)
		ret = -1;
	else if (ms == 0)
		scxml_queue_push(internal ? &s->internal : &s->external, event);
	else if (s->ndelayed >= SCXML_MAX_DELAYED)
		ret = -1;
	else {
		struct scxml_delayed d = {
			.due = s->now + ms, .seq = s->seq++,
			.sendid = prop(n, "id"), .event = event,
			.internal = internal,
		};

		SCXML_PUSH(s->delayed, s->ndelayed, d);
		event = NULL;
	}
	free(event);
	free(target);
	free(delay);
	return ret;
}

static void
exec_cancel(struct scxml_session *s, const xmlNode *n)
{
	char *id = prop(n, "sendid");

	for (size_t i = 0; i < s->ndelayed;) {
		struct scxml_delayed *d = &s->delayed[i];

		if (d->sendid != NULL && strcmp(d->sendid, id) == 0) {
			free(d->event);
			free(d->sendid);
			memmove(d, d + 1, (s->ndelayed - i - 1) * sizeof(*d));
			s->ndelayed--;
		} else {
			i++;
		}
	}
	free(id);
}

static int
eval_cond_attr(struct scxml_session *s, const xmlNode *n, bool *v)
{
	char *cond = prop(n, "cond"), *err = NULL;
	int ret = scxml_cond_eval(s->doc, cond != NULL ? cond : "", s, v,
				  &err);

	free(cond);
	free(err);
	return ret;
}

static int exec_one(struct scxml_session *s, const xmlNode *n);

/* <if>/<elseif>/<else>: runs the children of the first branch whose
   condition holds, up to the next elseif/else. */
static int
exec_if(struct scxml_session *s, const xmlNode *node)
{
	bool taken = false, active;

	if (eval_cond_attr(s, node, &active) < 0)
		return -1;
	for (const xmlNode *n = node->children; n != NULL; n = n->next) {
		bool branch = scxml_node_is(n, "elseif") ||
			scxml_node_is(n, "else");

		if (branch && (taken || active)) {
			taken = true;
			active = false;
		} else if (branch && scxml_node_is(n, "else")) {
			active = true;
		} else if (branch && eval_cond_attr(s, n, &active) < 0) {
			return -1;
		} else if (!branch && active && n->type == XML_ELEMENT_NODE &&
			   exec_one(s, n) < 0) {
			return -1;
		}
	}
	return 0;
}

static int
exec_foreign(struct scxml_session *s, const xmlNode *n)
{
	char *err = NULL;
	int ret;

	if (s->action == NULL)
		return 0;
	ret = s->action(s->action_ctx, (const struct scxml_element *)
			(const void *)n, &err);
	if (ret < 0 && s->log != NULL)
		s->log(s->log_ctx, "error.execution", err);
	free(err);
	return ret;
}

static int
exec_one(struct scxml_session *s, const xmlNode *n)
{
	char *a, *b;

	if (n->ns == NULL ||
	    strcmp((const char *)n->ns->href, SCXML_NAMESPACE) != 0)
		return exec_foreign(s, n);
	if (scxml_node_is(n, "raise")) {
		a = prop(n, "event");
		scxml_queue_push(&s->internal, a);
		free(a);
	} else if (scxml_node_is(n, "send")) {
		return exec_send(s, n);
	} else if (scxml_node_is(n, "cancel")) {
		exec_cancel(s, n);
	} else if (scxml_node_is(n, "log")) {
		a = prop(n, "label");
		b = prop(n, "expr");
		if (s->log != NULL)
			s->log(s->log_ctx, a, b);
		free(a);
		free(b);
	} else if (scxml_node_is(n, "if")) {
		return exec_if(s, n);
	}
	return 0;
}

static int
exec_list(struct scxml_session *s, const xmlNode *first)
{
	for (const xmlNode *n = first; n != NULL; n = n->next) {
		if (n->type == XML_ELEMENT_NODE && exec_one(s, n) < 0)
			return -1;
	}
	return 0;
}

void
scxml_exec_block(struct scxml_session *s, const xmlNode *node)
{
	if (exec_list(s, node->children) < 0)
		scxml_queue_push(&s->internal, "error.execution");
}

void
scxml_session_set_log(struct scxml_session *s, scxml_log_fn *fn, void *ctx)
{
	s->log = fn;
	s->log_ctx = ctx;
}

void
scxml_session_set_action(struct scxml_session *s, scxml_action_fn *fn,
			 void *ctx)
{
	s->action = fn;
	s->action_ctx = ctx;
}

/* One step of a script: "+DELAY" or an event name. */
static int
run_step(struct scxml_session *s, const char *step, char **error_r)
{
	uint64_t ms;

	if (step[0] == '+') {
		if (scxml_parse_delay(step + 1, &ms) < 0) {
			*error_r = xasprintf("bad delay '%s' (e.g. +500ms, "
					     "+5s, +2m, +1h)", step);
			return -1;
		}
		return scxml_advance(s, ms, error_r);
	}
	if (strcspn(step, " \t*") != strlen(step)) {
		*error_r = xasprintf("bad event name '%s'", step);
		return -1;
	}
	return scxml_send(s, step, error_r);
}

struct printer {
	FILE *out;
	bool first;
};

static void
print_state(void *ctx, const char *id)
{
	struct printer *p = ctx;

	fprintf(p->out, "%s%s", p->first ? "" : " ", id);
	p->first = false;
}

int
scxml_run_script(const struct scxml *doc, const char *events, FILE *out,
		 char **error_r)
{
	struct scxml_session *s = scxml_session_new(doc);
	char *copy = xstrdup(events != NULL ? events : ""), *save = NULL;
	struct printer pr = { out, true };
	int ret = scxml_start(s, error_r);

	for (char *step = strtok_r(copy, ",", &save); ret == 0 && step != NULL;
	     step = strtok_r(NULL, ",", &save)) {
		size_t len;

		while (isspace((unsigned char)*step))
			step++;
		len = strlen(step);
		while (len > 0 && isspace((unsigned char)step[len - 1]))
			step[--len] = '\0';
		if (len > 0)
			ret = run_step(s, step, error_r);
	}
	if (ret == 0) {
		scxml_configuration(s, print_state, &pr);
		fputc('\n', out);
	}
	free(copy);
	scxml_session_free(&s);
	return ret;
}
