/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_ENGINE_H
#define CIRM_ENGINE_H

#include <stdint.h>

#include "store.h"

/* The engine turns inbox rows into case work. It takes due rows in
   batches, handles a batch in one transaction and commits. One bad row
   does not undo the others: the batch is handled again with each row
   in a savepoint (see handle_batch in engine.c). A crash at any
   point leaves each row either done or still queued. An attempt is
   counted (and committed) before a row is read or handled, so a row
   that crashes the engine comes back alone, and after max_attempts goes
   to the quarantine. */
struct engine;

enum engine_result {
	ENGINE_DONE,  /* the row is handled; it leaves the inbox */
	ENGINE_TEMP,  /* try again later (with back-off) */
	ENGINE_FINAL, /* it can never be handled: quarantine it */
	ENGINE_SET_ASIDE, /* the handler moved it to the quarantine itself
			     (store_inbox_quarantine), with what goes with
			     that, such as a notice to its sender */
	ENGINE_WAIT,  /* the row is fine but the machine cannot take it now
			 (its spool's disk is full): try again later, and
			 count no attempt, so that it is never quarantined
			 for that */
};

/* Handles one inbox row inside the engine's transaction, through STORE.
   On TEMP or FINAL sets *reason_r (caller frees), which must not hold
   personal data: it is logged and shown to administrators. */
typedef enum engine_result engine_handler_fn(void *ctx, struct store *store,
					     const struct store_inbox_row *row,
					     char **reason_r);

struct engine_settings {
	int batch;	      /* rows per transaction */
	int max_attempts;     /* then quarantine */
	int retry_delay;      /* seconds before the first retry; doubles */
};

/* The page cache the engine's connection wants for batches of BATCH
   rows, in KiB: a batch's dirty pages must fit, or the pager spills
   them to the WAL mid-transaction and reads them back (a pwrite and a
   pread a page). On 100,000 open cases, 20,000 events in batches of
   1,000 made 193,000 pwrites in 16 MiB and 81,000 in 32 MiB; batches of
   500 fit in 16 MiB. So 32 KiB a row, and at least 16 MiB. Fixed by the
   configuration, so memory does not grow with the database. */
int engine_cache_kib(int batch);

struct engine *engine_new(struct store *store,
			  const struct engine_settings *set);
void engine_free(struct engine **engine);

/* Routes rows of CHANNEL ("email", "sms") to FN. A row of a channel with
   no handler is quarantined. */
void engine_set_handler(struct engine *engine, const char *channel,
			engine_handler_fn *fn, void *ctx);

/* Work on a row that needs no database (reading a mail) can run ahead,
   in a thread with a connection of its own, while the engine handles
   the rows before it: on a machine with two cores the parsing then
   costs the engine nothing. PREPARE gets each claimed row of CHANNEL
   and returns what the handler finds in row->prepared (or NULL: the
   handler does the work itself); FREE releases it after the handler,
   usually in the same thread as PREPARE, while that waits for work
   (freeing a parsed mail is no small part of the work on it). PREPARE
   and FREE run beside the handler, so they must only read CTX. Without a
   prepare function (or without the thread) the handler gets NULL. */
typedef void *engine_prepare_fn(void *ctx, const struct store_inbox_row *row);
void engine_set_prepare(struct engine *engine, const char *channel,
			engine_prepare_fn *prepare, void (*free_fn)(void *),
			void *ctx);

/* FN runs in the read-ahead thread once it has prepared the last row
   of a batch, while the engine still works on earlier ones: to make
   durable what the prepare functions wrote beside the database (spool
   files). The batch commits only after it; a failure rolls the batch
   back. Like them, it must only touch what they do. */
void engine_set_prepare_sync(struct engine *engine,
			     int (*fn)(void *ctx, char **error_r), void *ctx);

/* FN runs before each batch commits (e.g. to make spool files durable);
   a failure rolls the batch back. */
void engine_set_before_commit(struct engine *engine,
			      int (*fn)(void *ctx, char **error_r), void *ctx);

/* FN runs when a batch's transaction ends: COMMITTED 1 once it
   committed, 0 once it was rolled back (to be handled again, or after
   a failure). For what the handlers keep in memory beside the database:
   what they counted in a transaction rolled back did not happen. */
void engine_set_after_batch(struct engine *engine,
			    void (*fn)(void *ctx, int committed), void *ctx);

struct engine_stats {
	int done, retried, quarantined;
};

/* Handles every row due at NOW, batch by batch, adding to *STATS.
   Returns 0, or -1 with *error_r when the database failed (the rows of
   the failed batch stay queued, and the failure counts no attempt). */
int engine_drain(struct engine *engine, int64_t now,
		 struct engine_stats *stats, char **error_r);

#endif
