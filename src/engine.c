/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "engine.h"

#include "log.h"
#include "util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define ENGINE_CHANNELS 4

/* A prepared row: what the prepare function made, and how to free it. */
struct slot {
	void *prepared;
	void (*free_fn)(void *);
};

/* A batch handed to the read-ahead thread: NEXT counts the rows
   prepared; after the last one the thread runs the prepare sync
   function and then sets SYNCED (with SYNC_ERROR when that failed). */
struct job {
	const int64_t *ids;
	int n, next, synced;
	char *sync_error;
	struct slot *slots;
};

/* The read-ahead thread: it reads the rows of a batch, in order,
   through its own connection, and prepares each into its slot. It
   holds two batches: the one the engine handles (jobs[cur]) and the
   next one, claimed already, which it reads while the engine works
   through the first in its transaction. With a batch behind, the
   engine begins that transaction only once its batch is read and
   synced, so that the write lock, which the gateways need to queue
   mail and record what they sent, is not held while the engine waits
   for the reading. */
struct reader {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct store *store;
	struct job jobs[2];
	int cur, njobs, stop;
	/* Handled rows' slots, freed by the thread while it has nothing to
	   read: freeing a parsed mail is a tenth of the work on it. */
	struct slot *garbage, *spare; /* each for a batch */
	int ngarbage;
};

struct engine {
	struct store *store;
	struct engine_settings set;
	struct {
		const char *channel;
		engine_handler_fn *fn;
		void *ctx;
	} handlers[ENGINE_CHANNELS];
	size_t nhandlers;
	struct {
		const char *channel;
		engine_prepare_fn *fn;
		void (*free_fn)(void *);
		void *ctx;
	} preps[ENGINE_CHANNELS];
	size_t npreps;
	struct reader *reader; /* NULL: the handlers do all the work */
	int (*before_commit)(void *ctx, char **error_r);
	void *before_commit_ctx;
	int (*prepare_sync)(void *ctx, char **error_r);
	void *prepare_sync_ctx;
	void (*after_batch)(void *ctx, int committed);
	void *after_batch_ctx;
	/* the claimed rows of the batch at hand, and of the next one,
	   claimed before the batch at hand commits */
	int64_t *ids, *next_ids;
	int *attempts;
	/* A savepoint for each row (SQLite then copies every page a row
	   changes first into its statement journal: a tenth of the writer's
	   time) only while rows fail: set by a batch that had to be handled
	   again, cleared by a careful batch whose rows all went through. */
	int careful;
	int failed_rows; /* of the careful batch at hand */
};

int
engine_cache_kib(int batch)
{
	return batch > 512 ? batch * 32 : 16 * 1024;
}

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
	engine->next_ids = xcalloc((size_t)engine->set.batch,
				   sizeof(*engine->next_ids));
	engine->attempts = xcalloc((size_t)engine->set.batch,
				   sizeof(*engine->attempts));
	return engine;
}

static void reader_stop(struct engine *engine);

void
engine_free(struct engine **enginep)
{
	struct engine *engine = *enginep;

	if (engine == NULL)
		return;
	reader_stop(engine);
	free(engine->ids);
	free(engine->next_ids);
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

/* In the reader thread: prepares ROW when its channel has a prepare
   function. A row tried before is left to the handler: should reading
   it be what crashed the engine, it must crash no more than the
   handling did, and after max_attempts it goes to the quarantine
   without being read at all. (Its claim, which counted this attempt,
   has committed before the reader gets the row.) */
static int
prepare_row(const struct store_inbox_row *row, void *ctx)
{
	struct engine *engine = ((void **)ctx)[0];
	struct slot *slot = ((void **)ctx)[1];

	if (row->attempts > 1)
		return 0;
	for (size_t i = 0; i < engine->npreps; i++) {
		if (strcmp(engine->preps[i].channel, row->channel) == 0) {
			slot->prepared = engine->preps[i].fn(engine->preps[i].ctx,
							     row);
			slot->free_fn = engine->preps[i].free_fn;
			break;
		}
	}
	return 0;
}

static void slot_free(struct slot *slot);

/* Frees the garbage, outside the lock (the engine may add more to a
   new array meanwhile). Called with r->mu held. */
static void
collect_garbage(struct reader *r)
{
	struct slot *g = r->garbage;
	int n = r->ngarbage;

	r->garbage = r->spare;
	r->spare = NULL;
	r->ngarbage = 0;
	pthread_mutex_unlock(&r->mu);
	for (int i = 0; i < n; i++)
		slot_free(&g[i]);
	pthread_mutex_lock(&r->mu);
	r->spare = g;
}

/* The job the thread reads next: the oldest with rows left. */
static struct job *
job_to_read(struct reader *r)
{
	for (int k = 0; k < r->njobs; k++) {
		struct job *j = &r->jobs[(r->cur + k) & 1];

		if (j->next < j->n)
			return j;
	}
	return NULL;
}

static void *
read_ahead(void *arg)
{
	struct engine *engine = arg;
	struct reader *r = engine->reader;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		struct slot slot = { NULL, NULL };
		void *ctx[2] = { engine, &slot };
		char *err = NULL;
		struct job *j;
		int64_t id;
		int i;

		/* The batch at hand first, then the garbage, then the
		   batch behind it. */
		while (!r->stop) {
			j = job_to_read(r);
			if (j == &r->jobs[r->cur])
				break;
			if (r->ngarbage > 0 && r->spare != NULL) {
				collect_garbage(r);
				continue;
			}
			if (j != NULL)
				break;
			pthread_cond_wait(&r->work, &r->mu);
		}
		if (r->stop)
			break;
		i = j->next;
		id = j->ids[i];
		pthread_mutex_unlock(&r->mu);
		/* A row it cannot read the handler reads and reports. */
		if (store_inbox_get(r->store, id, true, prepare_row, ctx,
				    &err) < 0) {
			log_debug("read-ahead of inbox row %lld: %s",
				  (long long)id, err);
			free(err);
		}
		pthread_mutex_lock(&r->mu);
		j->slots[i] = slot;
		j->next = i + 1;
		if (j->next == j->n) {
			if (engine->prepare_sync != NULL) {
				/* an engine still on earlier rows goes on: the
				   sync overlaps its work */
				char *sync_err = NULL;

				pthread_cond_broadcast(&r->done);
				pthread_mutex_unlock(&r->mu);
				if (engine->prepare_sync(engine->prepare_sync_ctx,
							 &sync_err) < 0 &&
				    sync_err == NULL)
					sync_err = xstrdup("prepare sync failed");
				pthread_mutex_lock(&r->mu);
				j->sync_error = sync_err;
			}
			j->synced = 1;
		}
		pthread_cond_broadcast(&r->done);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

static void
reader_free(struct reader *r)
{
	pthread_cond_destroy(&r->done);
	pthread_cond_destroy(&r->work);
	pthread_mutex_destroy(&r->mu);
	store_free(&r->store);
	for (int i = 0; i < r->ngarbage; i++)
		slot_free(&r->garbage[i]);
	free(r->garbage);
	free(r->spare);
	free(r->jobs[0].slots);
	free(r->jobs[1].slots);
	free(r);
}

/* Starts the reader, with a connection of its own. Without it (no
   connection, no thread) the handlers do the work themselves. */
static void
reader_start(struct engine *engine)
{
	struct store_settings set = { .busy_timeout_ms = 5000 };
	struct reader *r = xcalloc(1, sizeof(*r));
	char *err = NULL;
	int rc;

	if (store_open(store_path(engine->store), &set, &r->store, &err) < 0) {
		log_warnx("no read-ahead: %s", err);
		free(err);
		free(r);
		return;
	}
	for (int k = 0; k < 2; k++)
		r->jobs[k].slots = xcalloc((size_t)engine->set.batch,
					   sizeof(*r->jobs[k].slots));
	r->garbage = xcalloc((size_t)engine->set.batch, sizeof(*r->garbage));
	r->spare = xcalloc((size_t)engine->set.batch, sizeof(*r->spare));
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->work, NULL);
	pthread_cond_init(&r->done, NULL);
	engine->reader = r;
	rc = thread_start(&r->thread, "cirm-read-ahead", read_ahead, engine);
	if (rc != 0) {
		log_warnx("no read-ahead: %s", strerror(rc));
		engine->reader = NULL;
		reader_free(r);
	}
}

/* Hands the N claimed rows IDS to the reader, after the batch it has
   already, if any (it holds two at most). */
static void
reader_job(struct engine *engine, const int64_t *ids, int n)
{
	struct reader *r = engine->reader;
	struct job *j;

	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	if (r->njobs == 2)
		abort();
	j = &r->jobs[(r->cur + r->njobs) & 1];
	j->ids = ids;
	j->next = 0;
	j->n = n;
	j->synced = 0;
	j->sync_error = NULL;
	r->njobs++;
	pthread_cond_signal(&r->work);
	pthread_mutex_unlock(&r->mu);
}

/* Waits until the reader is through the batch at hand (it never stops
   halfway: the rest of a batch is little work) and its sync. Called
   with r->mu held. */
static struct job *
job_wait(struct reader *r)
{
	struct job *j = &r->jobs[r->cur];

	while (r->njobs > 0 && !j->synced)
		pthread_cond_wait(&r->done, &r->mu);
	return r->njobs > 0 ? j : NULL;
}

/* Waits until the batch at hand is read and synced: before its
   transaction begins. */
static void
reader_ready(struct engine *engine)
{
	struct reader *r = engine->reader;

	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	job_wait(r);
	pthread_mutex_unlock(&r->mu);
}

/* Row I of the batch at hand, once the reader has prepared it. */
static struct slot
reader_take(struct engine *engine, int i)
{
	struct reader *r = engine->reader;
	struct slot slot = { NULL, NULL };
	struct job *j;

	if (r == NULL)
		return slot;
	pthread_mutex_lock(&r->mu);
	j = &r->jobs[r->cur];
	while (r->njobs > 0 && j->next <= i && i < j->n)
		pthread_cond_wait(&r->done, &r->mu);
	if (r->njobs > 0 && i < j->n) {
		slot = j->slots[i];
		j->slots[i].prepared = NULL;
	}
	pthread_mutex_unlock(&r->mu);
	return slot;
}

static void
slot_free(struct slot *slot)
{
	if (slot->prepared != NULL && slot->free_fn != NULL)
		slot->free_fn(slot->prepared);
	slot->prepared = NULL;
}

/* A slot the handler is done with: the reader frees it when it next
   waits for work (at the latest, when the engine stops). */
static void
slot_discard(struct engine *engine, struct slot *slot)
{
	struct reader *r = engine->reader;

	if (r == NULL || slot->prepared == NULL) {
		slot_free(slot);
		return;
	}
	pthread_mutex_lock(&r->mu);
	if (r->ngarbage < engine->set.batch) {
		r->garbage[r->ngarbage++] = *slot;
		slot->prepared = NULL;
		if (r->ngarbage % 32 == 0)
			pthread_cond_signal(&r->work);
	}
	pthread_mutex_unlock(&r->mu);
	slot_free(slot); /* the garbage is full: here, then */
}

/* Ends the batch at hand: waits for the reader to be through it (see
   job_wait) and frees what nobody took. The reader goes on with the
   next batch, if it has one. -1 with *error_r when the sync failed. */
static int
reader_end_job(struct engine *engine, char **error_r)
{
	struct reader *r = engine->reader;
	struct job *j;
	char *err;

	if (r == NULL)
		return 0;
	pthread_mutex_lock(&r->mu);
	j = job_wait(r);
	if (j == NULL) {
		pthread_mutex_unlock(&r->mu);
		return 0;
	}
	for (int i = 0; i < j->n; i++)
		slot_free(&j->slots[i]);
	j->n = j->next = 0;
	j->ids = NULL;
	err = j->sync_error;
	j->sync_error = NULL;
	r->cur ^= 1;
	r->njobs--;
	pthread_mutex_unlock(&r->mu);
	if (err == NULL)
		return 0;
	if (error_r != NULL && *error_r == NULL)
		*error_r = err;
	else
		free(err);
	return -1;
}

/* Ends every batch the reader has (after a failure, or at the end). */
static void
reader_end_all(struct engine *engine)
{
	struct reader *r = engine->reader;

	for (int k = 0; r != NULL && k < 2; k++)
		reader_end_job(engine, NULL);
}

static void
reader_stop(struct engine *engine)
{
	struct reader *r = engine->reader;

	if (r == NULL)
		return;
	reader_end_all(engine);
	pthread_mutex_lock(&r->mu);
	r->stop = 1;
	pthread_cond_signal(&r->work);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->thread, NULL);
	reader_free(r);
	engine->reader = NULL;
}

void
engine_set_prepare(struct engine *engine, const char *channel,
		   engine_prepare_fn *prepare, void (*free_fn)(void *),
		   void *ctx)
{
	size_t i;

	for (i = 0; i < engine->npreps; i++) {
		if (strcmp(engine->preps[i].channel, channel) == 0)
			break;
	}
	if (i == ENGINE_CHANNELS)
		abort();
	engine->preps[i].channel = channel;
	engine->preps[i].fn = prepare;
	engine->preps[i].free_fn = free_fn;
	engine->preps[i].ctx = ctx;
	if (i == engine->npreps)
		engine->npreps++;
	if (engine->reader == NULL)
		reader_start(engine);
}

void
engine_set_prepare_sync(struct engine *engine,
			int (*fn)(void *ctx, char **error_r), void *ctx)
{
	engine->prepare_sync = fn;
	engine->prepare_sync_ctx = ctx;
}

void
engine_set_before_commit(struct engine *engine,
			 int (*fn)(void *ctx, char **error_r), void *ctx)
{
	engine->before_commit = fn;
	engine->before_commit_ctx = ctx;
}

void
engine_set_after_batch(struct engine *engine,
		       void (*fn)(void *ctx, int committed), void *ctx)
{
	engine->after_batch = fn;
	engine->after_batch_ctx = ctx;
}

/* The batch's transaction ended (see engine_set_after_batch). */
static void
after_batch(struct engine *engine, int committed)
{
	if (engine->after_batch != NULL)
		engine->after_batch(engine->after_batch_ctx, committed);
}

struct row_job {
	struct engine *engine;
	int64_t now;
	int attempts;
	enum engine_result result;
	char *reason;
	void *prepared; /* from the reader, or NULL */
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
			struct store_inbox_row with = *row;

			with.prepared = job->prepared;
			with.last_attempt =
				row->attempts >= engine->set.max_attempts;
			job->result = engine->handlers[i].fn(
				engine->handlers[i].ctx, engine->store, &with,
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

/* Handles claimed row I. CAREFUL: in a savepoint of its own, so that a
   row that fails (ENGINE_TEMP, ENGINE_WAIT, ENGINE_FINAL) takes back
   what it did and the batch goes on. Otherwise with none, and 1 when
   the row failed: the caller then rolls the batch back and handles it
   again carefully (see handle_batch). */
static int
process_row(struct engine *engine, int i, int64_t now, int careful,
	    struct engine_stats *stats, char **error_r)
{
	struct slot slot = reader_take(engine, i);
	struct row_job job = { engine, now, 0, ENGINE_DONE, NULL,
			       slot.prepared };
	struct store *store = engine->store;
	int64_t id = engine->ids[i], qid = 0;
	int found, ret;

	if (careful && store_savepoint(store, error_r) < 0) {
		slot_discard(engine, &slot);
		return -1;
	}
	/* a row read ahead needs its raw only to store it, which a
	   gateway has done */
	found = store_inbox_get(store, id, slot.prepared == NULL, handle_row,
				&job, error_r);
	slot_discard(engine, &slot);
	if (found <= 0) {
		if (careful)
			store_savepoint_rollback(store);
		return found;
	}
	if (job.result != ENGINE_DONE && job.result != ENGINE_SET_ASIDE) {
		if (!careful) {
			free(job.reason);
			return 1;
		}
		engine->failed_rows++;
		store_savepoint_rollback(store);
	} else if (careful && store_savepoint_release(store, error_r) < 0) {
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
	case ENGINE_SET_ASIDE:
		ret = 0;
		stats->quarantined++;
		break;
	case ENGINE_TEMP:
		log_warnx("inbox row %lld: will retry: %s", (long long)id,
			  job.reason != NULL ? job.reason : "temporary failure");
		ret = store_inbox_retry(store, id, job.reason,
					retry_at(engine, now, job.attempts), error_r);
		stats->retried++;
		break;
	case ENGINE_WAIT:
		/* the claim's attempt taken back; tried again after the
		   first retry delay, for as long as it takes */
		log_warnx("inbox row %lld: waits: %s", (long long)id,
			  job.reason != NULL ? job.reason : "cannot be taken now");
		ret = store_inbox_unclaim(store, id, error_r);
		if (ret == 0)
			ret = store_inbox_retry(store, id, job.reason,
						retry_at(engine, now, 1),
						error_r);
		stats->retried++;
		break;
	default:
		/* Inbox ids are used again once a row is gone; the
		   quarantine's id is what cirmctl quarantine shows. */
		ret = store_inbox_quarantine(store, id,
					     job.reason != NULL ? job.reason : "failed",
					     now, &qid, error_r);
		if (ret == 0)
			log_warnx("inbox row %lld: quarantined as %lld: %s",
				  (long long)id, (long long)qid,
				  job.reason != NULL ? job.reason : "failed");
		stats->quarantined++;
		break;
	}
	free(job.reason);
	return ret;
}

/* Claims, in the transaction at hand, the rows due at NOW after row
   AFTER into IDS: *N_R rows, *UNTRIED_R when none was tried before. A
   row tried before goes alone, so that a row that crashes the engine
   takes no other row down with it. The claim counts an attempt for
   each row, so that a row that crashes the engine goes to the
   quarantine after max_attempts. */
static int
claim_rows(struct engine *engine, int64_t now, int64_t after, int64_t *ids,
	   int *n_r, int *untried_r, char **error_r)
{
	struct store *store = engine->store;
	int n;

	if (store_inbox_due(store, now, after, engine->set.batch, ids,
			    engine->attempts, &n, error_r) < 0)
		return -1;
	*untried_r = n == 0 || engine->attempts[0] == 0;
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
		if (store_inbox_claim(store, ids[i], error_r) < 0)
			return -1;
	}
	*n_r = n;
	return 0;
}

/* Claims a batch (see claim_rows) in a transaction of its own. A row is
   read only once its claim has committed, so that a mail that crashes
   the reader has its attempts counted too.

   The attempts must outlive a crash of the engine, not one of the
   machine (which no row causes). So the claim commits at synchronous =
   NORMAL: its WAL frames are in the kernel when the commit is seen, and
   are synced with the next batch's commit. One fdatasync a batch, not
   two. */
static int
claim_batch(struct engine *engine, int64_t now, int64_t after, int64_t *ids,
	    int *n_r, int *untried_r, char **error_r)
{
	struct store *store = engine->store;
	char *err = NULL;
	int n;

	if (store_set_synchronous(store, 0, error_r) < 0 ||
	    store_begin(store, error_r) < 0 ||
	    claim_rows(engine, now, after, ids, &n, untried_r, error_r) < 0 ||
	    store_commit(store, error_r) < 0) {
		store_rollback(store);
		/* whatever failed, the batches commit at FULL */
		if (store_set_synchronous(store, 1, &err) < 0)
			free(err);
		return -1;
	}
	if (store_set_synchronous(store, 1, error_r) < 0)
		return -1;
	*n_r = n;
	return 0;
}

/* Takes back the claim of the N rows of IDS: rows of a batch that
   failed, or claimed behind it and so never tried. The failure was the
   database's or the spool's (a full disk, say), not the rows': a row's
   own failure is its result (ENGINE_TEMP, ENGINE_FINAL) in a batch that
   commits, and a row that crashes cirmd never gets here. Counted, the
   attempts of a failure that lasts would put good mail into the
   quarantine ("processing never finished"). Best effort: the database
   that failed the batch may fail this too, and then each of them keeps
   one attempt more. */
static void
unclaim(struct engine *engine, const int64_t *ids, int n)
{
	struct store *store = engine->store;
	char *err = NULL;
	int i = 0;

	if (n == 0)
		return;
	if (store_begin(store, &err) == 0) {
		while (i < n && store_inbox_unclaim(store, ids[i], &err) == 0)
			i++;
		if (i == n && store_commit(store, &err) == 0)
			return;
	}
	store_rollback(store);
	log_warnx("inbox: %d rows of a failed batch keep an attempt: %s", n,
		  err != NULL ? err : "failed");
	free(err);
}

/* Handles the batch of the N rows in engine->ids, which the reader
   has. When the next batch was claimed already (NEXT_N rows), the
   reader has that one too and reads it while this one is handled; this
   one's transaction then begins only once the reader is through it
   (see struct reader). A batch with none behind it begins at once, and
   the reading overlaps its rows instead.

   Rows nearly always go through, so a batch is first handled without
   a savepoint a row. When a row fails, the whole transaction is rolled
   back and the batch handled again with one (process_row): the rows
   before it are done twice, which a failing row costs only until a
   careful batch has none (engine->careful). Rows tried before
   (UNTRIED 0) are handled carefully at once. The rows read ahead and
   handled in the first pass are read again by their handlers. -1 with
   the transaction rolled back. */
static int
handle_batch(struct engine *engine, int n, int next_n, int untried,
	     int64_t now, struct engine_stats *stats, char **error_r)
{
	struct store *store = engine->store;
	/* counted only once committed: "done" in the log is done */
	struct engine_stats here;
	int careful = engine->careful || !untried, r;

	if (next_n > 0)
		reader_ready(engine);
again:
	here = (struct engine_stats){ 0 };
	engine->failed_rows = 0;
	if (store_begin(store, error_r) < 0)
		return -1;
	/* a line a mail, written once the batch is committed; in a first
	   pass the warnings too, which the second tells again if the
	   first is undone */
	log_hold(!careful);
	for (int i = 0; i < n; i++) {
		if ((r = process_row(engine, i, now, careful, &here,
				     error_r)) < 0)
			goto fail;
		if (r > 0) {
			store_rollback(store);
			after_batch(engine, 0);
			log_release(0);
			log_debug("inbox row %lld failed: its batch is "
				  "handled again, a savepoint a row",
				  (long long)engine->ids[i]);
			careful = 1;
			goto again;
		}
	}
	/* what the reader wrote beside the database is durable before the
	   rows that refer to it commit */
	if (reader_end_job(engine, error_r) < 0 ||
	    (engine->before_commit != NULL &&
	     engine->before_commit(engine->before_commit_ctx, error_r) < 0) ||
	    store_commit(store, error_r) < 0)
		goto fail;
	after_batch(engine, 1);
	log_release(1);
	engine->careful = careful && engine->failed_rows > 0;
	stats->done += here.done;
	stats->retried += here.retried;
	stats->quarantined += here.quarantined;
	return 0;
fail:
	store_rollback(store);
	after_batch(engine, 0);
	log_release(0);
	return -1;
}

int
engine_drain(struct engine *engine, int64_t now, struct engine_stats *stats,
	     char **error_r)
{
	int n, untried, handed = 0;

	if (claim_batch(engine, now, 0, engine->ids, &n, &untried,
			error_r) < 0)
		return -1;
	while (n > 0) {
		int next_n = 0, next_untried = 0;
		int64_t *ids;

		if (!handed)
			reader_job(engine, engine->ids, n);
		/* The next batch is claimed before this one begins, so that
		   the reader can read it while this one is handled. Not
		   behind a row tried before, which may be one that crashes
		   cirmd: each crash would count an attempt on the rows
		   behind it. */
		if (untried &&
		    claim_batch(engine, now, engine->ids[n - 1],
				engine->next_ids, &next_n, &next_untried,
				error_r) < 0) {
			reader_end_all(engine);
			unclaim(engine, engine->ids, n);
			return -1;
		}
		if (next_n > 0)
			reader_job(engine, engine->next_ids, next_n);
		if (handle_batch(engine, n, next_n, untried, now, stats,
				 error_r) < 0) {
			reader_end_all(engine);
			unclaim(engine, engine->ids, n);
			unclaim(engine, engine->next_ids, next_n);
			return -1;
		}
		ids = engine->ids;
		engine->ids = engine->next_ids;
		engine->next_ids = ids;
		n = next_n;
		untried = next_untried;
		handed = n > 0;
		if (!handed && claim_batch(engine, now, 0, engine->ids, &n,
					   &untried, error_r) < 0)
			return -1;
	}
	reader_end_all(engine);
	return 0;
}
