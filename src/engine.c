/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "engine.h"

#include "log.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define ENGINE_CHANNELS 4

struct engine {
	struct store *store;
	struct engine_settings set;
	struct {
		const char *channel;
		engine_handler_fn *fn;
		void *ctx;
	} handlers[ENGINE_CHANNELS];
	size_t nhandlers;
	int (*before_commit)(void *ctx, char **error_r);
	void *before_commit_ctx;
	int64_t *ids;
	int *attempts;
};

struct engine *
engine_new(struct store *store, const struct engine_settings *set)
{
	struct engine *engine = xcalloc(1, sizeof(*engine));

	engine->store = store;
	engine->set = *set;
	if (engine->set.batch < 1)
		engine->set.batch = 1;
	if (engine->set.max_attempts < 1)
		engine->set.max_attempts = 1;
	engine->ids = xcalloc((size_t)engine->set.batch, sizeof(*engine->ids));
	engine->attempts = xcalloc((size_t)engine->set.batch,
				   sizeof(*engine->attempts));
	return engine;
}

void
engine_free(struct engine **enginep)
{
	struct engine *engine = *enginep;

	if (engine == NULL)
		return;
	free(engine->ids);
	free(engine->attempts);
	free(engine);
	*enginep = NULL;
}

void
engine_set_handler(struct engine *engine, const char *channel,
		   engine_handler_fn *fn, void *ctx)
{
	for (size_t i = 0; i < engine->nhandlers; i++) {
		if (strcmp(engine->handlers[i].channel, channel) == 0) {
			engine->handlers[i].fn = fn;
			engine->handlers[i].ctx = ctx;
			return;
		}
	}
	if (engine->nhandlers == ENGINE_CHANNELS)
		abort();
	engine->handlers[engine->nhandlers].channel = channel;
	engine->handlers[engine->nhandlers].fn = fn;
	engine->handlers[engine->nhandlers].ctx = ctx;
	engine->nhandlers++;
}

void
engine_set_before_commit(struct engine *engine,
			 int (*fn)(void *ctx, char **error_r), void *ctx)
{
	engine->before_commit = fn;
	engine->before_commit_ctx = ctx;
}

struct row_job {
	struct engine *engine;
	int64_t now;
	int attempts;
	enum engine_result result;
	char *reason;
};

static int
handle_row(const struct store_inbox_row *row, void *ctx)
{
	struct row_job *job = ctx;
	struct engine *engine = job->engine;

	job->attempts = row->attempts;
	/* The claim counted this attempt; more than the limit means earlier
	   attempts never finished (the engine died on this row). */
	if (row->attempts > engine->set.max_attempts) {
		job->result = ENGINE_FINAL;
		job->reason = xasprintf("gave up after %d attempts: %s",
					engine->set.max_attempts,
					row->last_error != NULL ?
						row->last_error :
						"processing never finished");
		return 0;
	}
	for (size_t i = 0; i < engine->nhandlers; i++) {
		if (strcmp(engine->handlers[i].channel, row->channel) == 0) {
			job->result = engine->handlers[i].fn(
				engine->handlers[i].ctx, engine->store, row,
				&job->reason);
			if (job->result == ENGINE_TEMP &&
			    row->attempts >= engine->set.max_attempts) {
				char *r = job->reason;

				job->result = ENGINE_FINAL;
				job->reason = xasprintf("gave up after %d attempts: %s",
							row->attempts,
							r != NULL ? r : "temporary failure");
				free(r);
			}
			return 0;
		}
	}
	job->result = ENGINE_FINAL;
	job->reason = xasprintf("no handler for channel '%s' in this version "
				"of cirm", row->channel);
	return 0;
}

static int64_t
retry_at(const struct engine *engine, int64_t now, int attempts)
{
	int64_t delay = engine->set.retry_delay;

	for (int i = 1; i < attempts && delay < 86400; i++)
		delay *= 2;
	return now + (delay < 86400 ? delay : 86400);
}

/* Handles one claimed row in its own savepoint. */
static int
process_row(struct engine *engine, int64_t id, int64_t now,
	    struct engine_stats *stats, char **error_r)
{
	struct row_job job = { engine, now, 0, ENGINE_DONE, NULL };
	struct store *store = engine->store;
	int found, ret;

	if (store_savepoint(store, error_r) < 0)
		return -1;
	found = store_inbox_get(store, id, handle_row, &job, error_r);
	if (found <= 0) {
		store_savepoint_rollback(store);
		return found;
	}
	if (job.result != ENGINE_DONE)
		store_savepoint_rollback(store);
	else if (store_savepoint_release(store, error_r) < 0) {
		store_savepoint_rollback(store);
		job.result = ENGINE_TEMP;
		job.reason = *error_r;
		*error_r = NULL;
	}
	switch (job.result) {
	case ENGINE_DONE:
		ret = store_inbox_done(store, id, error_r);
		stats->done++;
		break;
	case ENGINE_TEMP:
		log_warnx("inbox row %lld: will retry: %s", (long long)id,
			  job.reason != NULL ? job.reason : "temporary failure");
		ret = store_inbox_retry(store, id, job.reason,
					retry_at(engine, now, job.attempts), error_r);
		stats->retried++;
		break;
	default:
		log_warnx("inbox row %lld: quarantined: %s", (long long)id,
			  job.reason != NULL ? job.reason : "failed");
		ret = store_inbox_quarantine(store, id,
					     job.reason != NULL ? job.reason : "failed",
					     now, error_r);
		stats->quarantined++;
		break;
	}
	free(job.reason);
	return ret;
}

/* Claims the rows of the next batch in a transaction of its own. A row
   tried before goes alone, so that a row that crashes the engine takes
   no other row down with it. */
static int
claim_batch(struct engine *engine, int64_t now, int *n_r, char **error_r)
{
	struct store *store = engine->store;
	int n;

	if (store_begin(store, error_r) < 0)
		return -1;
	if (store_inbox_due(store, now, engine->set.batch, engine->ids,
			    engine->attempts, &n, error_r) < 0)
		goto fail;
	for (int i = 0; i < n; i++) {
		if (engine->attempts[i] > 0) {
			if (i == 0)
				n = 1;
			else
				n = i;
			break;
		}
	}
	for (int i = 0; i < n; i++) {
		if (store_inbox_claim(store, engine->ids[i], error_r) < 0)
			goto fail;
	}
	if (store_commit(store, error_r) < 0)
		goto fail;
	*n_r = n;
	return 0;
fail:
	store_rollback(store);
	return -1;
}

int
engine_drain(struct engine *engine, int64_t now, struct engine_stats *stats,
	     char **error_r)
{
	struct store *store = engine->store;

	for (;;) {
		int n;

		if (claim_batch(engine, now, &n, error_r) < 0)
			return -1;
		if (n == 0)
			return 0;
		if (store_begin(store, error_r) < 0)
			return -1;
		for (int i = 0; i < n; i++) {
			if (process_row(engine, engine->ids[i], now, stats,
					error_r) < 0) {
				store_rollback(store);
				return -1;
			}
		}
		if ((engine->before_commit != NULL &&
		     engine->before_commit(engine->before_commit_ctx,
					   error_r) < 0) ||
		    store_commit(store, error_r) < 0) {
			store_rollback(store);
			return -1;
		}
	}
}
