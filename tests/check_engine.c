/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "engine.h"
#include "log.h"
#include "store-private.h"
#include "testutil.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *dir;
static struct store *store;

static void
setup(void)
{
	struct store_settings set = { .create = 1 };
	char *path, *err = NULL;

	dir = tu_tmpdir();
	path = xasprintf("%s/cirm.db", dir);
	ck_assert_msg(store_open(path, &set, &store, &err) == 0, "%s", err);
	free(path);
}

static void
teardown(void)
{
	store_free(&store);
	tu_rmrf(dir);
	free(dir);
}

static int64_t
count(const char *sql)
{
	return tu_sql_int(store->db, sql);
}

static void
put(const char *channel, const char *raw)
{
	char *err = NULL;

	ck_assert_int_eq(store_inbox_put(store, channel, "test", 1, NULL, raw,
					 strlen(raw), NULL, &err), 1);
}

/* The savepoints open in each call of scripted(), in order. */
static int depths[64];

/* A handler that follows the first word of the raw message, and writes
   a case (so a rolled-back row leaves no trace). */
static enum engine_result
scripted(void *ctx, struct store *s, const struct store_inbox_row *row,
	 char **reason_r)
{
	char number[STORE_CASE_NUMBER_MAX], *err = NULL;
	struct store_case_new c = { .prefix = "KS", .received_at = row->received_at,
				    .channel = "email", .state = "new" };
	int64_t id;
	int *calls = ctx;

	if (*calls < 64)
		depths[*calls] = s->savepoints;
	(*calls)++;
	ck_assert_int_eq(store_case_create(s, &c, &id, number, &err), 0);
	if (row->raw_len >= 2 && memcmp(row->raw, "ok", 2) == 0)
		return ENGINE_DONE;
	if (row->raw_len >= 4 && memcmp(row->raw, "temp", 4) == 0) {
		*reason_r = xstrdup("store busy");
		return ENGINE_TEMP;
	}
	*reason_r = xstrdup("not a mail");
	return ENGINE_FINAL;
}

static struct engine *
new_engine(int batch, int *calls)
{
	struct engine_settings set = { .batch = batch, .max_attempts = 3,
				       .retry_delay = 10 };
	struct engine *e = engine_new(store, &set);

	engine_set_handler(e, "email", scripted, calls);
	return e;
}

START_TEST(test_done_rows_leave)
{
	struct engine_stats stats = { 0 };
	int calls = 0;
	struct engine *e = new_engine(2, &calls);
	char *err = NULL;

	for (int i = 0; i < 5; i++)
		put("email", "ok");
	ck_assert_int_eq(engine_drain(e, 1000, &stats, &err), 0);
	ck_assert_int_eq(stats.done, 5);
	ck_assert_int_eq(calls, 5);
	ck_assert_int_eq(count("SELECT count(*) FROM inbox"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 5);
	engine_free(&e);
	ck_assert_ptr_null(e);
}
END_TEST

START_TEST(test_final_quarantines_and_rolls_back)
{
	struct engine_stats stats = { 0 };
	int calls = 0;
	struct engine *e = new_engine(10, &calls);
	char *err = NULL;

	put("email", "ok");
	put("email", "bad");
	put("email", "ok");
	ck_assert_int_eq(engine_drain(e, 1000, &stats, &err), 0);
	ck_assert_int_eq(stats.done, 2);
	ck_assert_int_eq(stats.quarantined, 1);
	/* The bad row's case was rolled back with its savepoint: the two
	   good rows hold numbers 1 and 2, no gap. */
	ck_assert_int_eq(count("SELECT max(seq) FROM cases"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine "
			       "WHERE reason = 'not a mail' AND CAST(raw AS TEXT) = 'bad'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM inbox"), 0);
	engine_free(&e);
}
END_TEST

START_TEST(test_temp_retries_then_quarantines)
{
	struct engine_stats stats = { 0 };
	int calls = 0;
	struct engine *e = new_engine(10, &calls);
	char *err = NULL;

	put("email", "temp");
	ck_assert_int_eq(engine_drain(e, 1000, &stats, &err), 0);
	ck_assert_int_eq(stats.retried, 1);
	ck_assert_int_eq(count("SELECT next_attempt_at FROM inbox"), 1010);
	/* Not due yet: nothing happens. Its first attempt was handled
	   twice, without a savepoint and then with one (handle_batch). */
	ck_assert_int_eq(engine_drain(e, 1005, &stats, &err), 0);
	ck_assert_int_eq(calls, 2);
	ck_assert_int_eq(engine_drain(e, 1010, &stats, &err), 0);
	ck_assert_int_eq(count("SELECT next_attempt_at FROM inbox"), 1030);
	/* tried before: carefully at once */
	ck_assert_int_eq(engine_drain(e, 1030, &stats, &err), 0);
	ck_assert_int_eq(calls, 4);
	ck_assert_int_eq(stats.quarantined, 1);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE 'gave up after 3 attempts: store busy'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 0);
	engine_free(&e);
}
END_TEST

/* Rows are handled without a savepoint each until one fails: then the
   batch is rolled back and handled again with one a row, and so is the
   next batch, until a batch goes through without a failing row. What
   the first pass did is gone: no case twice, no gap in the numbers. */
START_TEST(test_savepoint_only_while_failing)
{
	static const int want[] = { 0, 0, 0, 0, 1, 1, 1, 1, 0, 0 };
	static const char *const rows[] = { "ok", "ok", "ok", "bad", "ok",
					    "ok", "ok", "ok" };
	struct engine_stats stats = { 0 };
	int calls = 0;
	struct engine *e = new_engine(2, &calls);
	char *err = NULL;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		put("email", rows[i]);
	ck_assert_int_eq(engine_drain(e, 1000, &stats, &err), 0);
	ck_assert_int_eq(stats.done, 7);
	ck_assert_int_eq(stats.quarantined, 1);
	ck_assert_int_eq(calls, 10);
	for (int i = 0; i < 10; i++)
		ck_assert_msg(depths[i] == want[i], "call %d: %d savepoints",
			      i, depths[i]);
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 7);
	ck_assert_int_eq(count("SELECT max(seq) FROM cases"), 7);
	ck_assert_int_eq(count("SELECT count(*) FROM inbox"), 0);
	engine_free(&e);
}
END_TEST

/* scripted(), and a line in the log for each row: a warning for
   "warn", which goes through all the same. */
static enum engine_result
talkative(void *ctx, struct store *s, const struct store_inbox_row *row,
	  char **reason_r)
{
	if (row->raw_len >= 4 && memcmp(row->raw, "warn", 4) == 0) {
		log_warnx("talk: row %lld warned", (long long)row->id);
		scripted(ctx, s, row, reason_r);
		return ENGINE_DONE;
	}
	log_info("talk: row %lld handled", (long long)row->id);
	return scripted(ctx, s, row, reason_r);
}

static int
occurrences(const char *text, const char *what)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, what)) != NULL; p++)
		n++;
	return n;
}

/* A batch handled again after a failing row logs each row's lines
   once: what the first pass logged, warnings too, was undone with it,
   and a warning there brings out no line of a row done before it. */
START_TEST(test_handled_again_logs_once)
{
	static const char *const rows[] = { "ok", "warn", "bad", "ok" };
	struct engine_stats stats = { 0 };
	int calls = 0;
	struct engine *e = new_engine(4, &calls);
	char *err = NULL, *log;

	engine_set_handler(e, "email", talkative, &calls);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		put("email", rows[i]);
	tu_stderr_capture(dir);
	ck_assert_int_eq(engine_drain(e, 1000, &stats, &err), 0);
	log = tu_stderr_captured();
	ck_assert_int_eq(calls, 7);
	ck_assert_int_eq(stats.done, 3);
	ck_assert_int_eq(occurrences(log, "talk: row 1 handled"), 1);
	ck_assert_int_eq(occurrences(log, "talk: row 2 warned"), 1);
	ck_assert_int_eq(occurrences(log, "talk: row 3 handled"), 1);
	ck_assert_int_eq(occurrences(log, "talk: row 4 handled"), 1);
	ck_assert_int_eq(occurrences(log, "quarantined as"), 1);
	/* in the order the rows were handled */
	ck_assert(strstr(log, "talk: row 1 handled") <
		  strstr(log, "talk: row 2 warned"));
	free(log);
	engine_free(&e);
}
END_TEST

START_TEST(test_unhandled_channel)
{
	struct engine_stats stats = { 0 };
	int calls = 0;
	struct engine *e = new_engine(10, &calls);
	char *err = NULL;

	put("sms", "hej");
	ck_assert_int_eq(engine_drain(e, 1000, &stats, &err), 0);
	ck_assert_int_eq(calls, 0);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE 'no handler for channel ''sms''%'"), 1);
	engine_free(&e);
}
END_TEST

/* A row whose handling never finished (the engine was killed) is counted
   as an attempt; it comes back alone, and after the limit it goes to the
   quarantine instead of killing the engine forever. */
START_TEST(test_crashed_row_isolated)
{
	struct engine_stats stats = { 0 };
	int calls = 0;
	struct engine *e = new_engine(10, &calls);
	char *err = NULL;

	put("email", "ok");
	put("email", "ok");
	ck_assert_int_eq(store_exec(store, "UPDATE inbox SET attempts = 3 "
				    "WHERE id = 2", &err), 0);
	put("email", "ok");
	ck_assert_int_eq(engine_drain(e, 1000, &stats, &err), 0);
	ck_assert_int_eq(stats.done, 2);
	ck_assert_int_eq(stats.quarantined, 1);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE '%processing never finished'"), 1);
	engine_free(&e);
}
END_TEST

/* The read-ahead: each email row is prepared (here: a copy of its raw
   text) in the engine's second thread, and its handler finds exactly
   its own row's result; a channel without a prepare function gets
   NULL; whatever was prepared is freed once (by the reader, as it
   waits for work, or at the latest when the engine stops). A row tried before is not
   read ahead (reading it may be what crashed the engine): over its
   attempts, it goes to the quarantine unread. A row is read only once
   its claim has committed (a mail that crashes the reader is counted
   too). */
struct ahead {
	int prepared, freed, calls, with, without, retried, unclaimed;
};

static struct ahead *ahead_seen;

static void *
copy_raw(void *ctx, const struct store_inbox_row *row)
{
	struct ahead *a = ctx;

	a->prepared++; /* read by the test only after engine_drain */
	if (row->attempts < 1)	/* as the reader's connection sees it */
		a->unclaimed++;
	return xstrndup((const char *)row->raw, row->raw_len);
}

static void
free_copy(void *p)
{
	/* in either thread: the reader frees what the engine handled */
	__atomic_fetch_add(&ahead_seen->freed, 1, __ATOMIC_RELAXED);
	free(p);
}

static enum engine_result
check_ahead(void *ctx, struct store *s, const struct store_inbox_row *row,
	    char **reason_r)
{
	struct ahead *a = ctx;

	(void)s;
	(void)reason_r;
	a->calls++;
	if (strcmp(row->channel, "email") == 0 && row->attempts > 1) {
		ck_assert_ptr_null(row->prepared);
		a->retried++;
	} else if (strcmp(row->channel, "email") == 0) {
		ck_assert_ptr_nonnull(row->prepared);
		ck_assert_uint_eq(strlen(row->prepared), row->raw_len);
		ck_assert(memcmp(row->prepared, row->raw, row->raw_len) == 0);
		a->with++;
	} else {
		ck_assert_ptr_null(row->prepared);
		a->without++;
	}
	return ENGINE_DONE;
}

START_TEST(test_read_ahead)
{
	struct engine_settings set = { .batch = 7, .max_attempts = 3,
				       .retry_delay = 10 };
	struct engine_stats stats = { 0 };
	struct ahead a = { 0 };
	struct engine *e = engine_new(store, &set);
	char *err = NULL, text[32];

	ahead_seen = &a;
	engine_set_handler(e, "email", check_ahead, &a);
	engine_set_handler(e, "sms", check_ahead, &a);
	engine_set_prepare(e, "email", copy_raw, free_copy, &a);
	for (int i = 0; i < 40; i++) {
		snprintf(text, sizeof(text), "mail number %d", i);
		put(i % 5 == 4 ? "sms" : "email", text);
	}
	ck_assert_int_eq(store_exec(store, "UPDATE inbox SET attempts = 3 "
				    "WHERE id = 3", &err), 0);
	ck_assert_int_eq(store_exec(store, "UPDATE inbox SET attempts = 1 "
				    "WHERE id = 6", &err), 0);
	ck_assert_int_eq(engine_drain(e, 1000, &stats, &err), 0);
	ck_assert_int_eq(stats.done, 39);
	ck_assert_int_eq(stats.quarantined, 1);
	ck_assert_int_eq(a.calls, 39);
	ck_assert_int_eq(a.with, 30);
	ck_assert_int_eq(a.retried, 1);
	ck_assert_int_eq(a.without, 8);
	ck_assert_int_eq(a.prepared, 30);
	ck_assert_int_eq(a.unclaimed, 0);
	ck_assert_int_eq(count("SELECT count(*) FROM inbox"), 0);
	engine_free(&e);
	ck_assert_int_eq(a.freed, 30);
}
END_TEST

/* A batch read ahead and handled again: the rows of the first pass
   come again without what was read ahead (it was freed), with their
   raw; those after the failing row with it. */
static enum engine_result
fail_fourth(void *ctx, struct store *s, const struct store_inbox_row *row,
	    char **reason_r)
{
	struct ahead *a = ctx;
	int n = a->calls++;

	(void)s;
	ck_assert_uint_gt(row->raw_len, 0);
	ck_assert_ptr_nonnull(row->raw);
	if (n < 4 || n > 7)
		ck_assert_ptr_nonnull(row->prepared);
	else
		ck_assert_ptr_null(row->prepared);
	if (row->prepared != NULL)
		a->with++;
	else
		a->without++;
	if (row->raw_len == 3 && memcmp(row->raw, "bad", 3) == 0) {
		*reason_r = xstrdup("not a mail");
		return ENGINE_FINAL;
	}
	return ENGINE_DONE;
}

START_TEST(test_read_ahead_handled_again)
{
	struct engine_settings set = { .batch = 6, .max_attempts = 3,
				       .retry_delay = 10 };
	struct engine_stats stats = { 0 };
	struct ahead a = { 0 };
	struct engine *e = engine_new(store, &set);
	char *err = NULL;

	ahead_seen = &a;
	engine_set_handler(e, "email", fail_fourth, &a);
	engine_set_prepare(e, "email", copy_raw, free_copy, &a);
	for (int i = 0; i < 6; i++)
		put("email", i == 3 ? "bad" : "ok");
	ck_assert_int_eq(engine_drain(e, 1000, &stats, &err), 0);
	ck_assert_int_eq(stats.done, 5);
	ck_assert_int_eq(stats.quarantined, 1);
	/* 4 in the first pass, 6 in the second */
	ck_assert_int_eq(a.calls, 10);
	ck_assert_int_eq(a.with, 6);
	ck_assert_int_eq(a.without, 4);
	ck_assert_int_eq(count("SELECT count(*) FROM inbox"), 0);
	engine_free(&e);
	ck_assert_int_eq(a.freed, 6);
}
END_TEST

/* The prepare sync runs once a batch, in the read-ahead thread, after
   the batch's last row was prepared and before the batch commits; when
   it fails the batch rolls back and the engine reports why. */
struct sync_seen {
	sqlite3 *db;		/* a connection of the test's own */
	int prepared, syncs, fail_at;
	int64_t prepared_at[8], inbox_at[8];
};

static void *
count_prepared(void *ctx, const struct store_inbox_row *row)
{
	struct sync_seen *a = ctx;

	(void)row;
	a->prepared++;	/* the reader thread's, like the sync */
	return NULL;
}

static int
sync_batch(void *ctx, char **error_r)
{
	struct sync_seen *a = ctx;
	struct timespec slow = { 0, 50 * 1000 * 1000 };
	int k = a->syncs++;

	/* slower than the engine's rows: a commit that did not wait for
	   the sync would come first */
	nanosleep(&slow, NULL);
	ck_assert_int_lt(k, 8);
	a->prepared_at[k] = a->prepared;
	a->inbox_at[k] = tu_sql_int(a->db, "SELECT count(*) FROM inbox");
	if (k == a->fail_at) {
		*error_r = xstrdup("No space left on device");
		return -1;
	}
	return 0;
}

START_TEST(test_prepare_sync)
{
	struct engine_stats stats = { 0 };
	struct sync_seen a = { .fail_at = 1 };
	int calls = 0;
	struct engine *e = new_engine(5, &calls);
	char *path = xasprintf("%s/cirm.db", dir), *err = NULL;

	ck_assert_int_eq(sqlite3_open_v2(path, &a.db, SQLITE_OPEN_READONLY,
					 NULL), SQLITE_OK);
	sqlite3_busy_timeout(a.db, 5000);
	engine_set_prepare(e, "email", count_prepared, NULL, &a);
	engine_set_prepare_sync(e, sync_batch, &a);
	for (int i = 0; i < 12; i++)
		put("email", "ok");
	/* The second batch's sync fails: the first batch is in, the second
	   rolled back, and the error is the sync's. The reader had the
	   third batch (the last two rows) by then, and read and synced it
	   too. */
	ck_assert_int_eq(engine_drain(e, 1000, &stats, &err), -1);
	ck_assert_str_eq(err, "No space left on device");
	free(err);
	err = NULL;
	ck_assert_int_eq(a.syncs, 3);
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 5);
	ck_assert_int_eq(count("SELECT count(*) FROM inbox"), 7);
	/* Then the rest: the failure was the spool's, not the rows', so
	   the five count no attempt and go together again, read ahead,
	   and the last two after them. */
	ck_assert_int_eq(count("SELECT count(*) FROM inbox WHERE attempts > 0"),
			 0);
	ck_assert_int_eq(engine_drain(e, 1000, &stats, &err), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 12);
	ck_assert_int_eq(count("SELECT count(*) FROM inbox"), 0);
	ck_assert_int_eq(a.syncs, 5);
	/* Each after its batch's last row, each before its batch's
	   commit: the rows were still in the inbox. (The reader has the
	   next batch while the one before it is handled: that one may
	   still be there too.) */
	ck_assert_int_eq(a.prepared_at[0], 5);
	ck_assert_int_eq(a.inbox_at[0], 12);
	ck_assert_int_eq(a.prepared_at[1], 10);
	ck_assert_int_ge(a.inbox_at[1], 7);
	ck_assert_int_le(a.inbox_at[1], 12);
	/* handed once the first had committed */
	ck_assert_int_eq(a.prepared_at[2], 12);
	ck_assert_int_eq(a.inbox_at[2], 7);
	ck_assert_int_eq(a.prepared_at[3], 17);
	ck_assert_int_eq(a.inbox_at[3], 7);
	ck_assert_int_eq(a.prepared_at[4], 19);
	ck_assert_int_ge(a.inbox_at[4], 2);
	ck_assert_int_le(a.inbox_at[4], 7);
	engine_free(&e);
	sqlite3_close(a.db);
	free(path);
}
END_TEST

/* With a batch behind it, a batch's transaction begins only once the
   reader is through it: meanwhile a gateway can take the write lock to
   queue mail or record what it sent, instead of waiting for the
   reading too. */
struct lock_seen {
	sqlite3 *db;		/* a writer of the test's own */
	int prepared, free_while_reading;
};

static void *
try_write_lock(void *ctx, const struct store_inbox_row *row)
{
	struct lock_seen *a = ctx;
	struct timespec slow = { 0, 20 * 1000 * 1000 };

	(void)row;
	/* a slow reading: an engine that begins its transaction before
	   the reading ends has written meanwhile */
	nanosleep(&slow, NULL);
	/* the first batch's rows (the second is read while the first is
	   handled, in its transaction) */
	if (a->prepared++ < 5 &&
	    sqlite3_exec(a->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
	    SQLITE_OK) {
		a->free_while_reading++;
		sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
	}
	return NULL;
}

START_TEST(test_lock_free_while_reading)
{
	struct engine_stats stats = { 0 };
	struct lock_seen a = { 0 };
	int calls = 0;
	struct engine *e = new_engine(5, &calls);
	char *path = xasprintf("%s/cirm.db", dir), *err = NULL;

	ck_assert_int_eq(sqlite3_open(path, &a.db), SQLITE_OK);
	/* long enough for the engine's claim of the next batch; far
	   shorter than the reading of a batch the engine waited for in
	   its transaction (never: it waits for this row) */
	sqlite3_busy_timeout(a.db, 500);
	engine_set_prepare(e, "email", try_write_lock, NULL, &a);
	for (int i = 0; i < 12; i++)
		put("email", "ok");
	ck_assert_int_eq(engine_drain(e, 1000, &stats, &err), 0);
	ck_assert_int_eq(stats.done, 12);
	ck_assert_int_eq(a.prepared, 12);
	ck_assert_int_eq(a.free_while_reading, 5);
	engine_free(&e);
	sqlite3_close(a.db);
	free(path);
}
END_TEST

/* The next batch is claimed before the batch before it begins, so that
   the reader can read it while that one commits; when that one fails,
   the claim is taken back (its rows were not tried). */
struct early {
	int commits, fail_at;
	int64_t claimed_at[4];
};

static int
count_claimed(void *ctx, char **error_r)
{
	struct early *a = ctx;
	int k = a->commits++;

	ck_assert_int_lt(k, 4);
	/* through the engine's connection: its transaction's view */
	a->claimed_at[k] = count("SELECT count(*) FROM inbox "
				 "WHERE attempts > 0");
	if (k == a->fail_at) {
		*error_r = xstrdup("disk full");
		return -1;
	}
	return 0;
}

START_TEST(test_next_batch_claimed_early)
{
	struct engine_stats stats = { 0 };
	struct early a = { .fail_at = 1 };
	int calls = 0;
	struct engine *e = new_engine(5, &calls);
	char *err = NULL;

	engine_set_before_commit(e, count_claimed, &a);
	for (int i = 0; i < 12; i++)
		put("email", "ok");
	ck_assert_int_eq(engine_drain(e, 1000, &stats, &err), -1);
	ck_assert_str_eq(err, "disk full");
	free(err);
	err = NULL;
	/* only the batch that committed counts as done (cirmd logs it) */
	ck_assert_int_eq(stats.done, 5);
	/* the first batch done (not yet committed), the second claimed */
	ck_assert_int_eq(a.claimed_at[0], 5);
	/* the second done, the last two claimed */
	ck_assert_int_eq(a.claimed_at[1], 2);
	/* which rolled back: the failure was not the rows', so neither
	   the second batch's rows nor the last two claimed behind them
	   count an attempt */
	ck_assert_int_eq(count("SELECT count(*) FROM inbox"), 7);
	ck_assert_int_eq(count("SELECT count(*) FROM inbox WHERE attempts = 0"),
			 7);
	engine_free(&e);
}
END_TEST

/* A database or disk that fails batch after batch (a full disk) must
   not put the mail into the quarantine once it has failed more often
   than inbox_max_attempts: the attempts are for rows that crash cirmd,
   or whose own handling fails. Once the disk has room, each becomes
   what it should. */
static int
fail_commits(void *ctx, char **error_r)
{
	int *left = ctx;

	if (*left == 0)
		return 0;
	(*left)--;
	*error_r = xstrdup("database or disk is full");
	return -1;
}

START_TEST(test_failed_batches_count_no_attempt)
{
	struct engine_stats stats = { 0 };
	int calls = 0, left = 10;
	struct engine *e = new_engine(2, &calls);
	char *err = NULL;

	engine_set_before_commit(e, fail_commits, &left);
	for (int i = 0; i < 5; i++)
		put("email", "ok");
	for (int round = 0; round < 10; round++) {
		ck_assert_int_eq(engine_drain(e, 1000 + round, &stats, &err), -1);
		ck_assert_str_eq(err, "database or disk is full");
		free(err);
		err = NULL;
	}
	ck_assert_int_eq(count("SELECT count(*) FROM inbox WHERE attempts > 0"),
			 0);
	ck_assert_int_eq(engine_drain(e, 2000, &stats, &err), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM inbox"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 5);
	engine_free(&e);
}
END_TEST

/* The page cache holds a batch's dirty pages: 16 MiB up to 512 rows,
   then 32 KiB a row, up to engine_batch's largest value. */
START_TEST(test_cache_follows_batch)
{
	ck_assert_int_eq(engine_cache_kib(1), 16 * 1024);
	ck_assert_int_eq(engine_cache_kib(500), 16 * 1024);
	ck_assert_int_eq(engine_cache_kib(512), 16 * 1024);
	ck_assert_int_eq(engine_cache_kib(1000), 32000);
	ck_assert_int_eq(engine_cache_kib(10000), 320000);
}
END_TEST

static Suite *
engine_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("engine");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_done_rows_leave);
	tcase_add_test(tc, test_final_quarantines_and_rolls_back);
	tcase_add_test(tc, test_temp_retries_then_quarantines);
	tcase_add_test(tc, test_savepoint_only_while_failing);
	tcase_add_test(tc, test_handled_again_logs_once);
	tcase_add_test(tc, test_unhandled_channel);
	tcase_add_test(tc, test_crashed_row_isolated);
	tcase_add_test(tc, test_read_ahead);
	tcase_add_test(tc, test_read_ahead_handled_again);
	tcase_add_test(tc, test_prepare_sync);
	tcase_add_test(tc, test_lock_free_while_reading);
	tcase_add_test(tc, test_next_batch_claimed_early);
	tcase_add_test(tc, test_failed_batches_count_no_attempt);
	tcase_add_test(tc, test_cache_follows_batch);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(engine_suite());
}
