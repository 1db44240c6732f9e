/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "housekeep.h"

#include "blob.h"
#include "log.h"
#include "maildir-prune.h"
#include "retention.h"
#include "store.h"
#include "util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct housekeep {
	pthread_t thread;
	char *database;
	char *spool_dir;
	char *retention;	/* case_retention */
	char *quarantine;	/* quarantine_retention */
	char *outbox;		/* outbox_retention */
	char *maildir_cur;
	char *maildir_retention;
	long long max_size;
	long min_age;
	atomic_int stop;
	atomic_int done;
};

/* blob_prune's question, on the thread's own connection; the stop
   request ends the walk at the next file. */
struct named_ctx {
	struct housekeep *h;
	struct store *store;
};

static int
named(const char *id, void *arg, char **error_r)
{
	struct named_ctx *ctx = arg;

	if (atomic_load(&ctx->h->stop)) {
		*error_r = xstrdup("stopped");
		return -1;
	}
	return store_attachment_named(ctx->store, id, error_r);
}

/* The Maildir gateway's copies in inbox/cur. */
static void
prune_maildir(struct housekeep *h, struct store *store)
{
	struct maildir_prune p = {
		.cur_dir = h->maildir_cur, .period = h->maildir_retention,
		.oversize_period = h->quarantine, .max_size = h->max_size,
		.now = cirm_now(), .stop = &h->stop,
	};
	struct maildir_prune_stats st;
	char *err = NULL;

	if (maildir_prune(&p, store, "cirmd", &st, &err) < 0) {
		if (!atomic_load(&h->stop))
			log_warnx("maildir retention: %s (copies removed "
				  "before: %ld)", err, st.removed +
				  st.oversize_removed);
		free(err);
	} else if (st.removed + st.oversize_removed > 0) {
		log_info("maildir retention: copies of processed mail "
			 "removed: %ld (%llu bytes), over mail_max_size: %ld; "
			 "kept: %ld", st.removed + st.oversize_removed,
			 st.removed_bytes, st.oversize_removed,
			 st.kept + st.oversize_kept);
	}
}

/* What was sent without a case: digests, answers to commands. */
static void
prune_outbox(struct housekeep *h, struct store *store)
{
	long removed;
	char *err = NULL;

	if (retention_outbox(store, h->outbox, cirm_now(), "cirmd", false,
			     &h->stop, &removed, &err) < 0) {
		if (!atomic_load(&h->stop))
			log_warnx("outbox retention: %s (removed before: "
				  "%ld)", err, removed);
		free(err);
	} else if (removed > 0) {
		log_info("outbox retention: removed %ld copies of mail sent "
			 "without a case", removed);
	}
}

/* Retention (gallring), in this order: the quarantine's, the outbox's
   rows without a case, the Maildir's copies, then the cases'; all before
   the spool prune, which then removes the removed cases' files. */
static void
prune_cases(struct housekeep *h, struct store *store)
{
	struct retention *r = NULL;
	struct retention_stats stats;
	long discarded, erased;
	char *err = NULL;

	if (retention_quarantine(store, h->quarantine, cirm_now(), "cirmd",
				 false, &discarded, &erased, &err) < 0) {
		log_warnx("quarantine retention: %s", err);
		free(err);
		err = NULL;
	} else if (discarded + erased > 0) {
		log_info("quarantine retention: discarded %ld, erased %ld "
			 "released copies", discarded, erased);
	}

	prune_outbox(h, store);
	prune_maildir(h, store);
	if (retention_parse(h->retention, &r, &err) < 0 || r == NULL) {
		if (err != NULL)
			log_warnx("case retention: %s", err);
		free(err);
		return;
	}
	if (retention_run(store, r, cirm_now(), "cirmd", false, &h->stop,
			  NULL, NULL, &stats, &err) < 0) {
		log_warnx("case retention: %s (removed before: %ld cases)",
			  err, stats.removed);
		free(err);
	} else if (stats.removed > 0 || stats.left > 0) {
		log_info("case retention: removed %ld closed cases and %ld "
			 "citizens no case names; %ld left for now (mail to "
			 "send)", stats.removed, stats.contacts, stats.left);
	}
	retention_free(&r);
}

static void *
run(void *arg)
{
	struct housekeep *h = arg;
	struct store_settings set = { .busy_timeout_ms = 5000 };
	struct named_ctx ctx = { h, NULL };
	struct blob_prune_stats stats;
	char *err = NULL;

	if (store_open(h->database, &set, &ctx.store, &err) < 0) {
		log_warnx("spool prune: %s", err);
		goto out;
	}
	prune_cases(h, ctx.store);
	if (atomic_load(&h->stop)) {
		/* the spool prune waits for the next time */
	} else if (blob_prune(h->spool_dir, h->min_age, 0, named, &ctx, NULL,
			      &stats, &err) < 0) {
		if (!atomic_load(&h->stop))
			log_warnx("spool prune: %s (removed before: %ld files, "
				  "%llu bytes, and %ld temporary files)", err,
				  stats.removed, stats.removed_bytes,
				  stats.temporary);
	} else if (stats.held) {
		log_info("spool prune: a backup is copying the spool; it is "
			 "pruned next time");
	} else {
		log_info("spool prune: kept %ld files, removed %ld (%llu bytes) "
			 "and %ld temporary files; %ld entries not cirm's "
			 "left alone", stats.kept, stats.removed,
			 stats.removed_bytes, stats.temporary, stats.other);
	}
out:
	free(err);
	store_free(&ctx.store);
	atomic_store(&h->done, 1);
	return NULL;
}

static void
housekeep_free(struct housekeep *h)
{
	free(h->database);
	free(h->spool_dir);
	free(h->retention);
	free(h->quarantine);
	free(h->outbox);
	free(h->maildir_cur);
	free(h->maildir_retention);
	free(h);
}

struct housekeep *
housekeep_start(const struct housekeep_settings *set)
{
	struct housekeep *h = xcalloc(1, sizeof(*h));
	int rc;

	h->database = xstrdup(set->database);
	h->spool_dir = xstrdup(set->spool_dir);
	h->retention = xstrdup(set->retention);
	h->quarantine = xstrdup(set->quarantine);
	h->outbox = xstrdup(set->outbox);
	h->maildir_cur = xstrdup(set->maildir_cur);
	h->maildir_retention = xstrdup(set->maildir_retention);
	h->max_size = set->max_size;
	h->min_age = set->min_age;
	atomic_init(&h->stop, 0);
	atomic_init(&h->done, 0);
	rc = thread_start(&h->thread, "cirm-housekeep", run, h);
	if (rc != 0) {
		log_warnx("spool prune: no thread: %s", strerror(rc));
		housekeep_free(h);
		return NULL;
	}
	return h;
}

int
housekeep_done(struct housekeep *h)
{
	return atomic_load(&h->done);
}

void
housekeep_stop(struct housekeep **hp)
{
	struct housekeep *h = *hp;

	if (h == NULL)
		return;
	atomic_store(&h->stop, 1);
	pthread_join(h->thread, NULL);
	housekeep_free(h);
	*hp = NULL;
}
