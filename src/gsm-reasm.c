/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reassembly of concatenated inbound SMS: a table of messages waiting
   for parts, with time passed in by the caller. */
#include "config.h"

#include "gsm.h"

#include "i18n.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct entry {
	char *key;
	unsigned ref, total, received;
	int single;		/* no concatenation: never remembered */
	int done;		/* delivered; kept to ignore late duplicates */
	int64_t first, done_at;
	uint8_t have[GSM_PARTS_MAX / 8 + 1];	/* bit seq - 1 */
	struct gsm_msg *parts;	/* by seq - 1; NULL once done */
};

struct gsm_reasm {
	int64_t timeout;
	struct entry *v;
	size_t n, cap, pending, done;
};

struct gsm_reasm *
gsm_reasm_new(int64_t timeout)
{
	struct gsm_reasm *r = xcalloc(1, sizeof(*r));

	r->timeout = timeout;
	return r;
}

static void
entry_free_parts(struct entry *e)
{
	if (e->parts == NULL)
		return;
	for (unsigned i = 0; i < e->total; i++)
		gsm_msg_clear(&e->parts[i]);
	free(e->parts);
	e->parts = NULL;
}

static void
entry_remove(struct gsm_reasm *r, size_t i)
{
	struct entry *e = &r->v[i];

	if (e->done)
		r->done--;
	else
		r->pending--;
	entry_free_parts(e);
	free(e->key);
	r->v[i] = r->v[--r->n];
}

void
gsm_reasm_free(struct gsm_reasm **rp)
{
	struct gsm_reasm *r = *rp;

	if (r == NULL)
		return;
	while (r->n > 0)
		entry_remove(r, r->n - 1);
	free(r->v);
	free(r);
	*rp = NULL;
}

size_t
gsm_reasm_pending(const struct gsm_reasm *r)
{
	return r->pending;
}

static int
has(const struct entry *e, unsigned seq)
{
	return (e->have[(seq - 1) / 8] >> ((seq - 1) % 8)) & 1;
}

/* The entry of KEY's message C that still takes part SEQ: a waiting
   one, or a delivered one that already had SEQ (a duplicate). */
static struct entry *
find(struct gsm_reasm *r, const char *key, const struct gsm_concat *c)
{
	for (size_t i = 0; i < r->n; i++) {
		struct entry *e = &r->v[i];

		if (e->single || e->ref != c->ref || e->total != c->total ||
		    strcmp(e->key, key) != 0)
			continue;
		if (!e->done || has(e, c->seq))
			return e;
	}
	return NULL;
}

static struct entry *
entry_new(struct gsm_reasm *r, const char *key, unsigned ref, unsigned total,
	  int64_t now)
{
	struct entry *e;

	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 16;
		r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
	}
	e = &r->v[r->n++];
	memset(e, 0, sizeof(*e));
	e->key = xstrdup(key);
	e->ref = ref;
	e->total = total;
	e->first = now;
	e->parts = xcalloc(total, sizeof(*e->parts));
	r->pending++;
	return e;
}

static void
copy_part(struct entry *e, unsigned seq, const struct gsm_msg *part)
{
	struct gsm_msg *m = &e->parts[seq - 1];

	m->enc = part->enc;
	m->n = part->n;
	m->u = xmalloc((part->n + 1) * sizeof(*m->u));
	memcpy(m->u, part->u, part->n * sizeof(*m->u));
	e->have[(seq - 1) / 8] |= (uint8_t)(1u << ((seq - 1) % 8));
	e->received++;
}

int
gsm_reasm_add(struct gsm_reasm *r, const char *key,
	      const struct gsm_concat *c, const struct gsm_msg *part,
	      int64_t now, char **error_r)
{
	struct gsm_concat one = { 0, 1, 1 };
	struct entry *e;

	if (c == NULL)
		c = &one;
	if (c->total == 0 || c->total > GSM_PARTS_MAX || c->seq == 0 ||
	    c->seq > c->total) {
		*error_r = xasprintf(_("invalid concatenation: part %u of %u"),
				     c->seq, c->total);
		return -1;
	}
	e = c->total > 1 ? find(r, key, c) : NULL;
	if (e != NULL && has(e, c->seq))
		return 0;
	if (e == NULL) {
		if (r->pending >= GSM_REASM_PENDING_MAX) {
			*error_r = xasprintf(_("%d messages are waiting for "
					       "parts already"),
					     GSM_REASM_PENDING_MAX);
			return -1;
		}
		e = entry_new(r, key, c->ref, c->total, now);
		e->single = c->total == 1;
	}
	copy_part(e, c->seq, part);
	return 1;
}

/* The text of E's parts, in order: consecutive parts of one encoding
   are decoded together, so that a pair split between them joins. */
static char *
entry_text(const struct entry *e, size_t *len_r)
{
	char *out = NULL;
	size_t len = 0;
	unsigned i = 0;

	while (i < e->total) {
		struct gsm_msg run = { e->parts[i].enc, NULL, 0 };
		unsigned j;
		size_t n;
		char *t;

		if (!has(e, i + 1)) {
			i++;
			continue;
		}
		for (j = i; j < e->total && has(e, j + 1) &&
		     e->parts[j].enc == run.enc; j++)
			run.n += e->parts[j].n;
		run.u = xmalloc((run.n + 1) * sizeof(*run.u));
		run.n = 0;
		for (; i < j; i++) {
			memcpy(run.u + run.n, e->parts[i].u,
			       e->parts[i].n * sizeof(*run.u));
			run.n += e->parts[i].n;
		}
		t = gsm_decode(&run, 0, run.n, &n);
		out = xrealloc(out, len + n + 1);
		memcpy(out + len, t, n + 1);
		len += n;
		free(t);
		free(run.u);
	}
	if (out == NULL)
		out = xstrdup("");
	*len_r = len;
	return out;
}

/* Forgets delivered messages older than the timeout, and the oldest
   beyond GSM_REASM_DONE_MAX. */
static void
expire_done(struct gsm_reasm *r, int64_t now)
{
	size_t oldest;

	for (size_t i = r->n; i-- > 0;)
		if (r->v[i].done && now - r->v[i].done_at >= r->timeout)
			entry_remove(r, i);
	while (r->done > GSM_REASM_DONE_MAX) {
		oldest = r->n;
		for (size_t i = 0; i < r->n; i++)
			if (r->v[i].done && (oldest == r->n ||
			    r->v[i].done_at < r->v[oldest].done_at))
				oldest = i;
		entry_remove(r, oldest);
	}
}

int
gsm_reasm_take(struct gsm_reasm *r, int64_t now, struct gsm_reasm_msg *msg_r)
{
	size_t best;
	int best_complete = 0;

	expire_done(r, now);
	best = r->n;
	for (size_t i = 0; i < r->n; i++) {
		const struct entry *e = &r->v[i];
		int complete = e->received == e->total;

		if (e->done || (!complete && now - e->first < r->timeout))
			continue;
		if (best == r->n || complete > best_complete ||
		    (complete == best_complete && e->first < r->v[best].first)) {
			best = i;
			best_complete = complete;
		}
	}
	if (best == r->n)
		return 0;

	struct entry *e = &r->v[best];

	memset(msg_r, 0, sizeof(*msg_r));
	msg_r->key = xstrdup(e->key);
	msg_r->text = entry_text(e, &msg_r->len);
	msg_r->total = e->total;
	msg_r->received = e->received;
	msg_r->complete = best_complete;
	msg_r->first = e->first;
	if (e->single) {
		entry_remove(r, best);
	} else {
		entry_free_parts(e);
		e->done = 1;
		e->done_at = now;
		r->pending--;
		r->done++;
		expire_done(r, now);
	}
	return 1;
}

void
gsm_reasm_msg_clear(struct gsm_reasm_msg *msg)
{
	free(msg->key);
	free(msg->text);
	memset(msg, 0, sizeof(*msg));
}
