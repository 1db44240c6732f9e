/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the sending gateways (smtp, sink) share: reading the outbox,
   composing each row into a mail, and moving rows through their states
   one committed step at a time. */
#include "config.h"

#include "gateway.h"

#include "blob.h"
#include "log.h"
#include "mailout.h"
#include "util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct loaded {
	struct store *store;
	const char *spool_dir;	/* attachments */
	size_t max_attachment;
	struct outbound_batch *b;
	int leftovers;	/* the rows are ones left 'sending' */
	struct strlist bad; /* "id reason" of rows that cannot be mail */
	int64_t *bad_ids;
	size_t nbad;
};

static void
load_bad(struct loaded *l, int64_t id, const char *reason)
{
	l->bad_ids = xrealloc(l->bad_ids, (l->nbad + 1) * sizeof(int64_t));
	l->bad_ids[l->nbad++] = id;
	strlist_add(&l->bad, reason);
}

/* An SMS row is its text; the driver encodes and splits it. A number
   that opted out gets nothing more, but for the one confirmation of the
   opt-out itself (which the engine marks). */
static int
load_sms_row(struct loaded *l, const struct store_outbox_row *r)
{
	struct outbound_msg *m;
	char *err = NULL;
	int out;

	out = store_sms_optout_has(l->store, r->recipient, &err);
	if (out < 0) {
		log_errorx("cannot read SMS opt-outs: %s", err);
		free(err);
		return -1;
	}
	if (out && (r->headers == NULL ||
		    strstr(r->headers, STORE_SMS_OPTOUT_CONFIRMATION) == NULL)) {
		load_bad(l, r->id, "the recipient has opted out of SMS");
		return 0;
	}
	l->b->v = xrealloc(l->b->v, (l->b->n + 1) * sizeof(*l->b->v));
	m = &l->b->v[l->b->n++];
	memset(m, 0, sizeof(*m));
	m->id = r->id;
	m->created_at = r->created_at;
	m->recipient = xstrdup(r->recipient);
	m->data = xmalloc(r->body_len + 1);
	memcpy(m->data, r->body, r->body_len + 1);
	m->len = r->body_len;
	m->attempts = r->attempts;
	m->leftover = l->leftovers;
	return 0;
}

struct files {
	struct loaded *l;
	struct mailout_attachment *v;
	size_t n;
	char *error;
};

static int
load_file(const struct store_attachment *a, void *arg)
{
	struct files *f = arg;
	struct mailout_attachment *m;
	void *data;
	size_t len;

	if (blob_get(f->l->spool_dir, a->sha256, f->l->max_attachment, &data,
		     &len, &f->error) < 0)
		return 1;
	f->v = xrealloc(f->v, (f->n + 1) * sizeof(*f->v));
	m = &f->v[f->n++];
	m->filename = a->filename != NULL ? xstrdup(a->filename) : NULL;
	m->content_type = xstrdup(a->content_type);
	m->charset = a->charset != NULL ? xstrdup(a->charset) : NULL;
	m->data = data;
	m->len = len;
	return 0;
}

static void
files_clear(struct files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free((char *)f->v[i].filename);
		free((char *)f->v[i].content_type);
		free((char *)f->v[i].charset);
		free((void *)f->v[i].data);
	}
	free(f->v);
	free(f->error);
}

/* The attachments of the message row R sends (a handler's files going
   on to the citizen). 0, 1 when one cannot be read (the row cannot go
   as it should: *f->error says why), -1 on database errors. */
static int
load_files(struct loaded *l, const struct store_outbox_row *r, struct files *f)
{
	char *err = NULL;

	if (r->message_id == 0)
		return 0;
	if (store_message_attachments(l->store, r->message_id, load_file, f,
				      &err) < 0) {
		log_errorx("cannot read attachments: %s", err);
		free(err);
		return -1;
	}
	return f->error != NULL;
}

static int
load_row(const struct store_outbox_row *r, void *arg)
{
	struct loaded *l = arg;
	struct outbound_msg *m;
	struct mailout mo = {
		.message_id = r->rfc_message_id, .recipient = r->recipient,
		.subject = r->subject, .headers = r->headers, .body = r->body,
		.date = r->created_at,
	};
	struct files f = { .l = l };
	char *mid = NULL, *err = NULL, *rcpt;
	int rc;

	if (strcmp(r->channel, "sms") == 0)
		return load_sms_row(l, r);
	/* A citizen at an IDN domain: its ASCII form, in the envelope and
	   the To field alike */
	rcpt = mailout_address_ascii(r->recipient);
	if (rcpt == NULL) {
		load_bad(l, r->id, "the recipient's address has no ASCII form "
			 "(the part before @ is not ASCII, or the domain is "
			 "not a valid IDN)");
		return 0;
	}
	mo.recipient = rcpt;
	rc = load_files(l, r, &f);
	if (rc != 0) {
		if (rc > 0) {
			err = xasprintf("attachment missing: %s", f.error);
			load_bad(l, r->id, err);
			free(err);
		}
		files_clear(&f);
		free(rcpt);
		return rc < 0 ? -1 : 0;
	}
	mo.attachments = f.v;
	mo.nattachments = f.n;
	if (mo.message_id == NULL || *mo.message_id == '\0') {
		char *from = mailout_from_address(r->headers);

		mid = mailout_new_message_id(from);
		free(from);
		mo.message_id = mid;
	}
	l->b->v = xrealloc(l->b->v, (l->b->n + 1) * sizeof(*l->b->v));
	m = &l->b->v[l->b->n];
	memset(m, 0, sizeof(*m));
	rc = mailout_compose(&mo, &m->data, &m->len, &err);
	files_clear(&f);
	if (rc < 0) {
		load_bad(l, r->id, err);
		free(err);
		free(mid);
		free(rcpt);
		return 0;
	}
	m->id = r->id;
	m->created_at = r->created_at;
	m->recipient = rcpt;
	m->message_id = mid != NULL ? mid : xstrdup(mo.message_id);
	m->message_id_new = mid != NULL;
	m->attempts = r->attempts;
	m->leftover = l->leftovers;
	l->b->n++;
	return 0;
}

/* The workers of one gateway (smtp_connections) take turns at the
   database here rather than meeting at SQLite's write lock, whose busy
   handler would make the loser sleep. */
static pthread_mutex_t writing = PTHREAD_MUTEX_INITIALIZER;

/* Runs one state change in a transaction of its own. */
static int
step(struct gateway_ctx *ctx, struct outbound_msg *m, const char *what,
     int (*fn)(struct gateway_ctx *ctx, struct outbound_msg *m,
	       const void *arg, char **error_r),
     const void *arg)
{
	char *err = NULL;
	int r;

	pthread_mutex_lock(&writing);
	if (store_begin(ctx->store, &err) < 0)
		r = -1;
	else if ((r = fn(ctx, m, arg, &err)) < 0 ||
		 store_commit(ctx->store, &err) < 0) {
		store_rollback(ctx->store);
		r = -1;
	}
	pthread_mutex_unlock(&writing);
	if (r < 0) {
		log_errorx("%s: outbox row %lld: cannot %s: %s", ctx->name,
			   (long long)m->id, what, err);
		free(err);
	}
	return r;
}

static int
do_fail(struct gateway_ctx *ctx, struct outbound_msg *m, const void *reason,
	char **error_r)
{
	return store_outbox_failed(ctx->store, m->id, reason, error_r);
}

/* Rows written but not yet recorded as sent (outbound_sent_all): the
   write lock was busy (the engine's batch), and the sink went on with
   the next batch instead of waiting for it. outbound_load skips them
   meanwhile. Written again after a crash, as any written row before its
   record: the same file again. One gateway a process, and one list to
   each of its workers. */
static _Thread_local struct {
	int64_t *ids;
	char **message_ids;	/* to claim with, or NULL: no claim */
	size_t n, cap;
} unrecorded;

/* Rows that may wait for their record; beyond, the sink waits for the
   lock. */
#define OUTBOUND_UNRECORDED_MAX 2000

static void
unrecorded_clear(void)
{
	for (size_t i = 0; i < unrecorded.n; i++)
		free(unrecorded.message_ids[i]);
	unrecorded.n = 0;
}

int
outbound_load(struct gateway_ctx *ctx, int leftovers, int limit,
	      struct outbound_batch *batch)
{
	struct loaded l = {
		.store = ctx->store, .b = batch, .leftovers = leftovers,
		.spool_dir = cfg_str(ctx->cfg, CFG_SPOOL_DIR),
		.max_attachment = (size_t)cfg_int(ctx->cfg, CFG_MAIL_MAX_SIZE),
	};
	char *err = NULL;
	int n;

	memset(batch, 0, sizeof(*batch));
	/* not the rows written and not yet recorded (outbound_sent_all) */
	n = store_outbox_due(ctx->store, ctx->channel, cirm_now(),
			     unrecorded.n > 0 ? unrecorded.ids[unrecorded.n - 1] : 0,
			     ctx->shares, ctx->share, limit, leftovers, load_row,
			     &l, &err);
	if (n < 0) {
		log_errorx("%s: cannot read the outbox: %s", ctx->name, err);
		free(err);
		strlist_clear(&l.bad);
		free(l.bad_ids);
		return -1;
	}
	for (size_t i = 0; i < l.nbad; i++) {
		struct outbound_msg m = { .id = l.bad_ids[i] };
		char *clean = scrub_personal(l.bad.v[i]);

		log_warnx("%s: outbox row %lld cannot be sent: %s", ctx->name,
			  (long long)m.id, clean);
		free(clean);
		if (step(ctx, &m, "mark it failed", do_fail, l.bad.v[i]) < 0)
			n = -1;
	}
	if (l.nbad > 0)
		gateway_notify();
	strlist_clear(&l.bad);
	free(l.bad_ids);
	if (n < 0) {
		outbound_clear(batch);
		return -1;
	}
	batch->from = xstrdup(cfg_str(ctx->cfg, CFG_MAIL_ADDRESS));
	return (int)batch->n;
}

void
outbound_clear(struct outbound_batch *batch)
{
	for (size_t i = 0; i < batch->n; i++) {
		free(batch->v[i].recipient);
		free(batch->v[i].message_id);
		free(batch->v[i].data);
	}
	free(batch->v);
	free(batch->from);
	memset(batch, 0, sizeof(*batch));
}

struct advance_arg {
	struct outbound_msg *sent, *claim;
};

static int
do_advance(struct gateway_ctx *ctx, struct outbound_msg *m, const void *arg,
	   char **error_r)
{
	const struct advance_arg *aa = arg;

	(void)m;
	if (aa->sent != NULL &&
	    store_outbox_sent(ctx->store, aa->sent->id, cirm_now(), error_r) < 0)
		return -1;
	if (aa->claim == NULL)
		return 1;
	return store_outbox_claim(ctx->store, aa->claim->id,
				  aa->claim->message_id, error_r);
}

int
outbound_advance(struct gateway_ctx *ctx, struct outbound_msg *sent,
		 struct outbound_msg *claim)
{
	struct advance_arg aa = { sent, claim };
	int r;

	if (sent != NULL)
		sent->done = 1;
	r = step(ctx, claim != NULL ? claim : sent, claim != NULL ?
		 "claim it" : "mark it sent", do_advance, &aa);
	/* Going on would leave a sent row 'sending' while the next is
	   claimed: two in flight. Stopping here leaves one, which the next
	   run (cirmd restarts the gateway) sends again with its
	   Message-ID. */
	if (r < 0 && sent != NULL)
		fatalx("%s: stopping: a sent message could not be recorded",
		       ctx->name);
	if (r == 1 && claim != NULL)
		claim->claimed = 1;
	else if (r == 0) {
		log_warnx("%s: outbox row %lld was taken by another", ctx->name,
			  (long long)claim->id);
		claim->done = 1;
	}
	return r;
}

int
outbound_claim(struct gateway_ctx *ctx, struct outbound_msg *m)
{
	return outbound_advance(ctx, NULL, m);
}

int
outbound_sent(struct gateway_ctx *ctx, struct outbound_msg *m)
{
	return outbound_advance(ctx, m, NULL) < 0 ? -1 : 0;
}

static int
do_keep_ids(struct gateway_ctx *ctx, struct outbound_msg *m, const void *arg,
	    char **error_r)
{
	const struct outbound_batch *b = arg;

	(void)m;
	for (size_t i = 0; i < b->n; i++) {
		const struct outbound_msg *c = &b->v[i];

		if (!c->done && c->message_id_new &&
		    store_outbox_keep_message_id(ctx->store, c->id,
						 c->message_id, error_r) < 0)
			return -1;
	}
	return 0;
}

int
outbound_keep_message_ids(struct gateway_ctx *ctx, struct outbound_batch *b)
{
	size_t first = 0;

	while (first < b->n && (b->v[first].done || !b->v[first].message_id_new))
		first++;
	if (first == b->n)
		return 0;
	if (step(ctx, &b->v[first], "store Message-IDs", do_keep_ids, b) < 0)
		return -1;
	for (size_t i = first; i < b->n; i++)
		b->v[i].message_id_new = 0;
	return 0;
}

static int
do_sent_all(struct gateway_ctx *ctx, struct outbound_msg *m, const void *arg,
	    char **error_r)
{
	int64_t now = cirm_now();

	(void)m;
	(void)arg;
	for (size_t i = 0; i < unrecorded.n; i++) {
		int64_t id = unrecorded.ids[i];
		const char *mid = unrecorded.message_ids[i];
		int r = 1;

		if (mid != NULL &&
		    (r = store_outbox_claim(ctx->store, id, mid, error_r)) < 0)
			return -1;
		if (r == 0)
			log_warnx("%s: outbox row %lld was taken by another; "
				  "not recorded as sent", ctx->name,
				  (long long)id);
		if (r > 0 && store_outbox_sent(ctx->store, id, now, error_r) < 0)
			return -1;
	}
	return 0;
}

/* Records the unrecorded rows as sent in one transaction; unless WAIT,
   only when the write lock is free at once. 0 (recorded, or left for
   the next time), or -1 after logging (the rows are due again). */
static int
record_sent(struct gateway_ctx *ctx, int wait)
{
	struct outbound_msg first = { 0 };
	char *err = NULL;
	int r;

	if (unrecorded.n == 0)
		return 0;
	if (!wait) {
		if (pthread_mutex_trylock(&writing) != 0)
			return 0;
		r = store_begin_try(ctx->store, &err);
		if (r > 0) {
			r = do_sent_all(ctx, NULL, NULL, &err);
			if (r == 0)
				r = store_commit(ctx->store, &err);
			if (r < 0)
				store_rollback(ctx->store);
		} else if (r == 0) {
			pthread_mutex_unlock(&writing);
			return 0;
		}
		pthread_mutex_unlock(&writing);
		if (r < 0) {
			log_errorx("%s: cannot mark the batch sent: %s",
				   ctx->name, err);
			free(err);
		}
	} else {
		first.id = unrecorded.ids[0];
		r = step(ctx, &first, "mark the batch sent", do_sent_all, NULL);
	}
	unrecorded_clear();
	return r < 0 ? -1 : 0;
}

int
outbound_sent_all(struct gateway_ctx *ctx, struct outbound_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct outbound_msg *m = &b->v[i];

		if (!m->sent)
			continue;
		if (unrecorded.n == unrecorded.cap) {
			unrecorded.cap = unrecorded.cap * 2 + 64;
			unrecorded.ids = xrealloc(unrecorded.ids,
				unrecorded.cap * sizeof(*unrecorded.ids));
			unrecorded.message_ids = xrealloc(unrecorded.message_ids,
				unrecorded.cap * sizeof(*unrecorded.message_ids));
		}
		unrecorded.ids[unrecorded.n] = m->id;
		unrecorded.message_ids[unrecorded.n] =
			b->claim_at_sent ? xstrdup(m->message_id) : NULL;
		unrecorded.n++;
		m->done = 1;
	}
	return record_sent(ctx, unrecorded.n >= OUTBOUND_UNRECORDED_MAX);
}

struct retry_arg {
	const char *reason;
	int64_t next_at;
};

static int
do_retry(struct gateway_ctx *ctx, struct outbound_msg *m, const void *arg,
	 char **error_r)
{
	const struct retry_arg *ra = arg;

	return store_outbox_retry(ctx->store, m->id, ra->reason, ra->next_at,
				  error_r);
}

int
outbound_retry(struct gateway_ctx *ctx, struct outbound_msg *m,
	       const char *reason)
{
	int64_t now = cirm_now(), delay = cfg_int(ctx->cfg, CFG_SMTP_RETRY_DELAY);
	struct retry_arg ra = { reason, 0 };
	char *clean;

	if (now - m->created_at >= OUTBOUND_MAX_AGE) {
		char *why = xasprintf("gave up after %d attempts in %d days: %s",
				      m->attempts + 1, OUTBOUND_MAX_AGE / 86400,
				      reason);
		int r = outbound_fail(ctx, m, why);

		free(why);
		return r;
	}
	for (int i = 0; i < m->attempts && delay < 86400; i++)
		delay *= 2;
	if (delay > 86400)
		delay = 86400;
	ra.next_at = now + delay;
	m->done = 1;
	/* A server's answer often names the recipient: kept whole on the
	   row (cirmctl case show), scrubbed for the log. */
	clean = scrub_personal(reason);
	log_info("%s: outbox row %lld deferred for %lld s: %s", ctx->name,
		 (long long)m->id, (long long)delay, clean);
	free(clean);
	return step(ctx, m, "postpone it", do_retry, &ra) < 0 ? -1 : 0;
}

static int
do_requeue(struct gateway_ctx *ctx, struct outbound_msg *m, const void *arg,
	   char **error_r)
{
	const struct retry_arg *ra = arg;

	return store_outbox_requeue(ctx->store, m->id, ra->reason, ra->next_at,
				    error_r);
}

int
outbound_wait(struct gateway_ctx *ctx, struct outbound_msg *m,
	      const char *reason, int64_t delay)
{
	struct retry_arg ra = { reason, cirm_now() + delay };

	m->done = 1;
	if (reason != NULL) {
		char *clean = scrub_personal(reason);

		log_info("%s: outbox row %lld waits %lld s (no attempt "
			 "counted): %s", ctx->name, (long long)m->id,
			 (long long)delay, clean);
		free(clean);
	}
	return step(ctx, m, "put it back", do_requeue, &ra) < 0 ? -1 : 0;
}

int
outbound_fail(struct gateway_ctx *ctx, struct outbound_msg *m,
	      const char *reason)
{
	char *clean = scrub_personal(reason);

	m->done = 1;
	log_warnx("%s: outbox row %lld failed for good: %s", ctx->name,
		  (long long)m->id, clean);
	free(clean);
	if (step(ctx, m, "mark it failed", do_fail, reason) < 0)
		return -1;
	/* the engine raises it on the case */
	gateway_notify();
	return 0;
}

int
outbound_run(struct gateway_ctx *ctx,
	     int (*send)(struct gateway_ctx *ctx, struct outbound_batch *batch,
			 void *arg),
	     void *arg)
{
	int limit = (int)cfg_int(ctx->cfg, CFG_SMTP_BATCH);
	int poll = (int)cfg_int(ctx->cfg, CFG_SMTP_POLL_INTERVAL);
	int leftovers = 1, pause = 1, ret = 0;

	while (!gateway_stopping()) {
		struct outbound_batch b;
		int n = outbound_load(ctx, leftovers, limit, &b), r;

		if (n < 0) {
			ret = -1;
			if (ctx->once)
				break;
			gateway_sleep(poll);
			continue;
		}
		if (n == 0) {
			outbound_clear(&b);
			if (leftovers) {
				leftovers = 0;
				continue;
			}
			/* Rows written wait for their record only while
			   there is more to write. */
			if (unrecorded.n > 0) {
				if (record_sent(ctx, 1) == 0)
					continue;
				ret = -1;
			}
			if (ctx->once)
				break;
			gateway_sleep(poll);
			continue;
		}
		if (leftovers)
			log_info("%s: sending again %d message%s left in flight "
				 "by the last run", ctx->name, n, n == 1 ? "" : "s");
		r = send(ctx, &b, arg);
		/* A row the transport never got to waits its turn, due at
		   once (the gateway's own pause spaces the tries), with no
		   attempt counted: it did not fail. */
		for (size_t i = 0; i < b.n; i++) {
			if (!b.v[i].done &&
			    outbound_wait(ctx, &b.v[i], NULL, 0) < 0)
				r = -1;
		}
		outbound_clear(&b);
		if (r < 0) {
			ret = -1;
			/* The transport is broken: the rows wait with their
			   own back-off; the gateway waits too, and a --once
			   run ends (its rows may come due again while it runs:
			   with a back-off of a second, a second attempt at a
			   server just found broken). What was written is
			   recorded first. */
			(void)record_sent(ctx, 1);
			if (ctx->once)
				break;
			gateway_sleep(pause);
			pause = pause >= 150 ? 300 : pause * 2;
		} else {
			ret = 0;
			pause = 1;
		}
	}
	if (record_sent(ctx, 1) < 0)
		ret = -1;
	return ret;
}
