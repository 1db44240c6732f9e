/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Retention's work on the database: cases, the quarantine and the
   outbox. Apart from the parsing (retention.c), which the settings
   check uses, so that every program reading cirm.conf does not link
   the store. */
#include "config.h"

#include "retention.h"
#include "retention-private.h"

#include "store.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Cases removed per transaction: the engine waits for the write lock
   no longer than a few cases take. */
#define RETENTION_TXN 20
/* Outbox ids looked at per transaction by outbox_retention: at most as
   many rows removed, each with its text (secure_delete overwrites it),
   which the engine's write lock waits for. */
#define RETENTION_OUTBOX 5000
/* Pages of the full-text index merged per transaction after a removal. */
#define RETENTION_MERGE 500

int
retention_quarantine(struct store *store, const char *period, int64_t now,
		     const char *actor, bool dry_run, long *discarded_r,
		     long *erased_r, char **error_r)
{
	int64_t before;
	char *detail;
	int ret;

	*discarded_r = *erased_r = 0;
	if (retention_period_cutoff(period, now, &before, error_r) < 0)
		return -1;
	if (before == 0)
		return 0;
	if (dry_run)
		return store_quarantine_prune(store, before, now, true,
					      discarded_r, erased_r, error_r);
	if (store_begin(store, error_r) < 0)
		return -1;
	ret = store_quarantine_prune(store, before, now, false, discarded_r,
				     erased_r, error_r);
	if (ret == 0 && *discarded_r + *erased_r > 0) {
		detail = xasprintf("retention %s: %ld discarded, %ld released "
				   "copies erased", period, *discarded_r,
				   *erased_r);
		ret = store_audit_add(store, now, actor, "quarantine.prune",
				      NULL, detail, error_r);
		free(detail);
	}
	if (ret == 0)
		ret = store_commit(store, error_r);
	if (ret < 0) {
		store_rollback(store);
		*discarded_r = *erased_r = 0;
	}
	return ret;
}

/* The outbox.prune entry of REMOVED rows, in the transaction that
   removes them: a crash leaves no row removed unaudited. */
static int
audit_outbox(struct store *store, const char *period, int64_t now,
	     const char *actor, long removed, char **error_r)
{
	char *detail = xasprintf("retention %s: %ld sent without a case "
				 "removed", period, removed);
	int ret = store_audit_add(store, now, actor, "outbox.prune", NULL,
				  detail, error_r);

	free(detail);
	return ret;
}

int
retention_outbox(struct store *store, const char *period, int64_t now,
		 const char *actor, bool dry_run, const atomic_int *stop,
		 long *removed_r, char **error_r)
{
	int64_t before, from = 1;
	int ret = 0;

	*removed_r = 0;
	if (retention_period_cutoff(period, now, &before, error_r) < 0)
		return -1;
	while (before != 0 && from != 0 && ret == 0 &&
	       (stop == NULL || !atomic_load(stop))) {
		long n = 0;	/* counted once committed */

		if (dry_run) {
			ret = store_outbox_prune(store, before, from,
						 RETENTION_OUTBOX, true, &from,
						 removed_r, error_r);
			continue;
		}
		/* an entry for each transaction that removed rows: one a
		   night, more on a first run over a large outbox */
		if (store_begin(store, error_r) < 0)
			ret = -1;
		else if (store_outbox_prune(store, before, from,
					    RETENTION_OUTBOX, false, &from, &n,
					    error_r) < 0 ||
			 (n > 0 && audit_outbox(store, period, now, actor, n,
						error_r) < 0) ||
			 store_commit(store, error_r) < 0) {
			store_rollback(store);
			ret = -1;
		} else
			*removed_r += n;
	}
	return ret;
}

struct due {
	int64_t id, before, closed_at;
	char *number, *workflow;
	const struct rule *rule;
	bool removed;
};

struct collect {
	const struct retention *r;
	int64_t now;
	struct due *v;
	size_t n;
};

static int
collect_case(const struct store_closed_case *c, void *arg)
{
	struct collect *cl = arg;
	const struct rule *rule = retention_rule_for(cl->r, c->workflow);
	int64_t before;
	struct due *d;

	if (rule == NULL || (before = retention_rule_cutoff(rule, cl->now)) == 0 ||
	    c->closed_at >= before)
		return 0;
	cl->v = xrealloc(cl->v, (cl->n + 1) * sizeof(*cl->v));
	d = &cl->v[cl->n++];
	d->id = c->id;
	d->before = before;
	d->closed_at = c->closed_at;
	d->number = xstrdup(c->number);
	d->workflow = c->workflow != NULL ? xstrdup(c->workflow) : NULL;
	d->rule = rule;
	d->removed = false;
	return 0;
}

/* "retention P2Y, closed 2024-05-03" for the audit log. */
static char *
audit_detail(const struct due *d)
{
	char day[LOCAL_DAY_SIZE];

	return xasprintf("retention %s (%s), closed %s", d->rule->period,
			 d->rule->workflow, local_day(d->closed_at, day));
}

/* Removes the cases V[0..N) in one transaction, each whole (its outbox
   rows too): what a backup copies meanwhile, or a crash leaves, holds
   a case with all of it or nothing of it. 0, or -1. */
static int
remove_batch(struct store *store, struct due *v, size_t n, int64_t now,
	     const char *actor,
	     void (*fn)(const struct retention_case *c, void *ctx), void *ctx,
	     struct retention_stats *stats, char **error_r)
{
	struct retention_stats s = *stats;

	if (store_begin(store, error_r) < 0)
		return -1;
	if (store_pending_cases(store, error_r) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		char *detail;
		int rc = store_case_remove(store, v[i].id, v[i].before,
					   &s.contacts, error_r);

		if (rc == 2)
			s.left++;
		if (rc != 1) {
			if (rc < 0)
				goto fail;
			continue;
		}
		detail = audit_detail(&v[i]);
		rc = store_audit_add(store, now, actor, "case.removed",
				     v[i].number, detail, error_r);
		free(detail);
		if (rc < 0)
			goto fail;
		v[i].removed = true;
		s.removed++;
	}
	if (store_commit(store, error_r) < 0)
		goto fail;
	*stats = s;
	for (size_t i = 0; fn != NULL && i < n; i++)
		if (v[i].removed) {
			struct retention_case c = {
				v[i].number, v[i].workflow, v[i].rule->period,
				v[i].closed_at
			};

			fn(&c, ctx);
		}
	return 0;
fail:
	store_rollback(store);
	return -1;
}

/* The removed messages' words out of the full-text index: merged in
   steps of RETENTION_MERGE pages, a transaction each, so that the
   engine waits no longer than a step for the write lock. Freed pages
   are overwritten (secure_delete). 0, or -1. */
static int
purge_index(struct store *store, const atomic_int *stop, char **error_r)
{
	bool done = false;

	/* bounded: 10,000 steps are an index of some 20 GB */
	for (int steps = 0; !done && steps < 10000 &&
	     (stop == NULL || !atomic_load(stop)); steps++) {
		if (store_begin(store, error_r) < 0)
			return -1;
		if (store_index_merge(store, RETENTION_MERGE, &done,
				      error_r) < 0 ||
		    store_commit(store, error_r) < 0) {
			store_rollback(store);
			return -1;
		}
	}
	return 0;
}

int
retention_run(struct store *store, const struct retention *r, int64_t now,
	      const char *actor, bool dry_run, const atomic_int *stop,
	      void (*fn)(const struct retention_case *c, void *ctx), void *ctx,
	      struct retention_stats *stats, char **error_r)
{
	struct collect cl = { .r = r, .now = now };
	int64_t latest = 0;
	int ret = 0;

	memset(stats, 0, sizeof(*stats));
	if (r == NULL)
		return 0;
	for (size_t i = 0; i < r->n; i++) {
		int64_t c = retention_rule_cutoff(&r->rules[i], now);

		if (c > latest)
			latest = c;
	}
	if (latest != 0 &&
	    store_cases_closed_before(store, latest, collect_case, &cl,
				      error_r) < 0)
		ret = -1;
	/* store_case_remove deletes what the case holds itself, each by
	   its index */
	if (ret == 0 && cl.n > 0 && !dry_run &&
	    store_foreign_keys(store, false, error_r) < 0)
		ret = -1;
	for (size_t i = 0; ret == 0 && i < cl.n &&
	     (stop == NULL || !atomic_load(stop)); i += RETENTION_TXN) {
		size_t n = cl.n - i < RETENTION_TXN ? cl.n - i : RETENTION_TXN;

		if (!dry_run) {
			ret = remove_batch(store, cl.v + i, n, now, actor, fn,
					   ctx, stats, error_r);
			continue;
		}
		/* as the run would: a case with mail still to send is left
		   for a later run, not listed as one that goes */
		for (size_t j = i; ret == 0 && j < i + n; j++) {
			struct retention_case c = {
				cl.v[j].number, cl.v[j].workflow,
				cl.v[j].rule->period, cl.v[j].closed_at
			};
			int pending = store_case_pending(store, cl.v[j].id,
							 error_r);

			if (pending < 0) {
				ret = -1;
			} else if (pending) {
				stats->left++;
			} else {
				stats->removed++;
				if (fn != NULL)
					fn(&c, ctx);
			}
		}
	}
	if (cl.n > 0 && !dry_run) {
		char *err = NULL;

		if (store_foreign_keys(store, true, ret == 0 ? error_r :
				       &err) < 0)
			ret = -1;
		free(err);
	}
	/* a dry run changes nothing, the index neither */
	if (ret == 0 && !dry_run && stats->removed > 0)
		ret = purge_index(store, stop, error_r);
	for (size_t i = 0; i < cl.n; i++) {
		free(cl.v[i].number);
		free(cl.v[i].workflow);
	}
	free(cl.v);
	return ret;
}

int
retention_unknown_workflows(const struct retention *r, struct store *store,
			    struct strlist *unknown, char **known_r,
			    char **error_r)
{
	struct strlist ids = { 0 }, known = { 0 };

	*known_r = NULL;
	if (store_workflow_ids(store, &ids, error_r) < 0)
		return -1;
	for (size_t i = 0; i < ids.n; i++)
		strlist_addf(&known, "%s%s", i > 0 ? ", " : "", ids.v[i]);
	for (size_t i = 0; ids.n > 0 && i < r->n; i++)
		if (strcmp(r->rules[i].workflow, "*") != 0 &&
		    !strlist_has(&ids, r->rules[i].workflow))
			strlist_add(unknown, r->rules[i].workflow);
	strlist_clear(&ids);
	*known_r = strlist_join(&known);
	return 0;
}
