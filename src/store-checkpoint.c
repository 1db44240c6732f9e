/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "store-private.h"

#include "log.h"
#include "util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* SQLite checkpoints a WAL database in the thread that commits: the
   commit that takes the WAL past wal_autocheckpoint pages (1,000) also
   copies every page in it back into the database file and syncs it. For
   the engine, which commits large batches one after the other, that is
   a good part of its time spent with the other core idle. Here the
   writer's WAL hook only counts, and a thread with its own connection
   runs a PASSIVE checkpoint when the WAL has THRESHOLD pages: it copies
   the committed pages while the writer goes on (a checkpoint never
   blocks a writer, nor a writer it), and the writer starts the WAL
   again from the beginning at its next transaction once all of it is
   back in the database. Durability is SQLite's: the checkpoint is
   SQLite's own, on a connection with synchronous=FULL.

   Should the thread fall behind (a reader holding an old snapshot
   keeps it from finishing, say), the writer checkpoints itself once the
   WAL is WRITER_FACTOR times the threshold, as SQLite would have. */

#define WRITER_FACTOR 16

struct store_checkpointer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	sqlite3 *db;
	const char *path; /* the store's */
	int threshold;
	int frames; /* in the WAL after the writer's last commit */
	int stop;
};

static void *
run(void *arg)
{
	struct store_checkpointer *c = arg;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->stop && c->frames < c->threshold)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stop)
			break;
		c->frames = 0;
		pthread_mutex_unlock(&c->mu);
		/* BUSY (another connection checkpointing) is no failure:
		   that one does the work. */
		int rc = sqlite3_wal_checkpoint_v2(c->db, NULL,
						   SQLITE_CHECKPOINT_PASSIVE,
						   NULL, NULL);
		if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY)
			log_warnx("%s: checkpoint: %s", c->path,
				  sqlite3_errmsg(c->db));
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* The writer's WAL hook, after each commit: FRAMES pages in the WAL. */
static int
wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct store_checkpointer *c = arg;

	pthread_mutex_lock(&c->mu);
	c->frames = frames;
	if (frames >= c->threshold)
		pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	if (frames >= WRITER_FACTOR * c->threshold)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE,
					  NULL, NULL);
	return SQLITE_OK;
}

static void
checkpointer_free(struct store_checkpointer *c)
{
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	sqlite3_close(c->db);
	free(c);
}

int
store_checkpointer_start(struct store *store, int threshold, char **error_r)
{
	struct store_checkpointer *c = xcalloc(1, sizeof(*c));
	int rc;

	c->threshold = threshold;
	c->path = store->path;
	if (sqlite3_open_v2(store->path, &c->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
				    SQLITE_OPEN_NOFOLLOW,
			    NULL) != SQLITE_OK ||
	    sqlite3_exec(c->db, "PRAGMA synchronous = FULL", NULL, NULL,
			 NULL) != SQLITE_OK) {
		*error_r = xasprintf("%s: checkpoint connection: %s",
				     store->path, c->db != NULL ?
					     sqlite3_errmsg(c->db) :
					     "out of memory");
		sqlite3_close(c->db);
		free(c);
		return -1;
	}
	sqlite3_busy_timeout(c->db, 1000);
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	rc = thread_start(&c->thread, "cirm-checkpoint", run, c);
	if (rc != 0) {
		*error_r = xasprintf("%s: checkpoint thread: %s", store->path,
				     strerror(rc));
		checkpointer_free(c);
		return -1;
	}
	store->checkpointer = c;
	sqlite3_wal_hook(store->db, wal_hook, c);
	return 0;
}

void
store_checkpointer_stop(struct store *store)
{
	struct store_checkpointer *c = store->checkpointer;

	if (c == NULL)
		return;
	sqlite3_wal_hook(store->db, NULL, NULL);
	pthread_mutex_lock(&c->mu);
	c->stop = 1;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	checkpointer_free(c);
	store->checkpointer = NULL;
}
