/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "blob.h"
#include "retention.h"
#include "store-private.h"
#include "testutil.h"
#include "util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <signal.h>
#include <glob.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *dir, *dbpath;

static void
setup(void)
{
	dir = tu_tmpdir();
	dbpath = xasprintf("%s/cirm.db", dir);
}

static void
teardown(void)
{
	tu_rmrf(dir);
	free(dir);
	free(dbpath);
}

static struct store *
open_db(const char *path)
{
	struct store_settings set = { .create = 1, .busy_timeout_ms = 20000 };
	struct store *store = NULL;
	char *err = NULL;

	ck_assert_msg(store_open(path, &set, &store, &err) == 0, "%s", err);
	return store;
}

/* The schema as text: every object's SQL with white space collapsed,
   and the version. */
static char *
schema_dump(struct store *store)
{
	sqlite3_stmt *st;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	fprintf(f, "user_version %d\n", store_schema_version(store));
	ck_assert_int_eq(sqlite3_prepare_v2(store->db,
		"SELECT type, name, sql FROM sqlite_master "
		"WHERE sql IS NOT NULL ORDER BY type, name", -1, &st, NULL),
		SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *sql = (const char *)sqlite3_column_text(st, 2);
		int space = 0;

		fprintf(f, "%s %s: ", sqlite3_column_text(st, 0),
			sqlite3_column_text(st, 1));
		for (const char *p = sql; *p != '\0'; p++) {
			if (*p == ' ' || *p == '\n' || *p == '\t') {
				space = 1;
				continue;
			}
			if (space)
				fputc(' ', f);
			space = 0;
			fputc(*p, f);
		}
		fputc('\n', f);
	}
	sqlite3_finalize(st);
	fclose(f);
	return out;
}

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = xcalloc(1, (size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

static int64_t
create_case(struct store *store, int64_t at, char number[STORE_CASE_NUMBER_MAX])
{
	struct store_case_new c = {
		.prefix = "KS", .received_at = at, .channel = "email",
		.subject = "Trasig gatlampa", .state = "new",
	};
	char *err = NULL;
	int64_t id;

	ck_assert_msg(store_case_create(store, &c, &id, number, &err) == 0,
		      "%s", err);
	return id;
}

static int64_t
create_case_tx(struct store *store, int64_t at, char number[STORE_CASE_NUMBER_MAX])
{
	char *err = NULL;
	int64_t id;

	ck_assert_msg(store_begin(store, &err) == 0, "%s", err);
	id = create_case(store, at, number);
	ck_assert_msg(store_commit(store, &err) == 0, "%s", err);
	return id;
}

static double
seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void *
commit_later(void *arg)
{
	struct store *holder = arg;
	struct timespec pause = { 0, 100 * 1000 * 1000 };
	char *err = NULL;

	nanosleep(&pause, NULL);
	ck_assert_msg(store_commit(holder, &err) == 0, "%s", err);
	return NULL;
}

/* A connection that finds the write lock taken waits for it, up to its
   busy timeout and no longer, and then says the store was busy. */
START_TEST(test_busy_wait)
{
	struct store_settings set = { .busy_timeout_ms = 300 };
	struct store *holder = open_db(dbpath), *waiter = NULL;
	struct timespec t0;
	pthread_t th;
	char *err = NULL;
	double waited;

	ck_assert_msg(store_open(dbpath, &set, &waiter, &err) == 0, "%s", err);
	/* Released while the other waits: it gets the lock. */
	ck_assert_int_eq(store_begin(holder, &err), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, commit_later, holder), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_msg(store_begin(waiter, &err) == 0, "%s", err);
	waited = seconds_since(&t0);
	pthread_join(th, NULL);
	ck_assert_msg(waited >= 0.05, "got the lock after %.3f s", waited);
	ck_assert_int_eq(store_commit(waiter, &err), 0);
	/* Never released: it gives up after its timeout, and says so. */
	ck_assert_int_eq(store_begin(holder, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(store_begin(waiter, &err), -1);
	waited = seconds_since(&t0);
	ck_assert(store_busy(waiter));
	ck_assert_ptr_nonnull(err);
	free(err);
	err = NULL;
	ck_assert_msg(waited >= 0.29 && waited < 10, "gave up after %.3f s",
		      waited);
	/* It tries again often: a lock let go is taken within 2 ms, not
	   after sleeps of up to 100 ms as SQLite's own handler does. */
	for (int count = 0; count < 100000; count++) {
		long us = store_busy_pause_us(count);

		ck_assert_int_gt(us, 0);
		ck_assert_int_le(us, 2000);
	}
	ck_assert_int_eq(store_busy_pause_us(0), 100);
	store_rollback(holder);
	ck_assert_msg(store_begin(waiter, &err) == 0, "%s", err);
	store_rollback(waiter);
	store_free(&waiter);
	store_free(&holder);
}
END_TEST

/* A connection keeps every statement it prepared, however many texts
   the program uses (the engine's connection runs well over a hundred). */
START_TEST(test_statement_cache_grows)
{
	struct store *store = open_db(dbpath);
	char *sql[300], *err = NULL;
	size_t before = store->ncache;

	for (int i = 0; i < 300; i++)
		sql[i] = xasprintf("SELECT %d", i);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 300; i++) {
			sqlite3_stmt *st = store_stmt(store, sql[i], &err);

			ck_assert_msg(st != NULL, "%s", err);
			ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
			ck_assert_int_eq(sqlite3_column_int(st, 0), i);
			sqlite3_reset(st);
		}
		ck_assert_uint_eq(store->ncache, before + 300);
	}
	store_free(&store);
	for (int i = 0; i < 300; i++)
		free(sql[i]);
}
END_TEST

START_TEST(test_open_pragmas)
{
	struct store *store = open_db(dbpath);
	sqlite3_stmt *st;

	ck_assert_int_eq(store_schema_version(store), store_schema_latest());
	ck_assert_int_eq(sqlite3_prepare_v2(store->db, "PRAGMA journal_mode",
					    -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	ck_assert_int_eq(sqlite3_prepare_v2(store->db, "PRAGMA foreign_keys",
					    -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st, 0), 1);
	sqlite3_finalize(st);
	store_free(&store);
	ck_assert_ptr_null(store);
}
END_TEST

START_TEST(test_open_missing_without_create)
{
	struct store_settings set = { .create = 0 };
	struct store *store = NULL;
	char *err = NULL;

	ck_assert_int_eq(store_open(dbpath, &set, &store, &err), -1);
	ck_assert(strstr(err, "cirm.db") != NULL);
	ck_assert(access(dbpath, F_OK) < 0);
	free(err);
}
END_TEST

START_TEST(test_fresh_matches_golden)
{
	struct store *store = open_db(dbpath);
	char *dump = schema_dump(store);
	char *ref_path = xasprintf("%s/tests/data/schema.ref",
				   getenv("top_srcdir") ? getenv("top_srcdir") : ".");
	char *ref = read_file(ref_path);

	if (getenv("CIRM_UPDATE_GOLDEN") != NULL) {
		FILE *f = fopen(ref_path, "w");

		ck_assert_ptr_nonnull(f);
		fputs(dump, f);
		fclose(f);
	} else {
		ck_assert_msg(ref != NULL, "cannot read %s", ref_path);
		if (strcmp(ref, dump) != 0)
			fprintf(stderr, "schema now:\n%s", dump);
		ck_assert_msg(strcmp(ref, dump) == 0,
			      "schema differs from %s (now on stderr); if the "
			      "change is meant, it needs a migration; then rerun "
			      "with CIRM_UPDATE_GOLDEN=1", ref_path);
	}
	free(ref);
	free(ref_path);
	free(dump);
	store_free(&store);
}
END_TEST

/* A database built at each older version, with data in it, then opened
   by this cirm, ends with the same schema as a fresh one, and keeps its
   data. */
START_TEST(test_stepwise_migration)
{
	int from = _i + 1;
	struct store *fresh = open_db(dbpath), *old;
	char *old_path = xasprintf("%s/old.db", dir), *err = NULL;
	char *want = schema_dump(fresh), *got;
	char number[STORE_CASE_NUMBER_MAX];
	sqlite3 *db;
	int64_t id, msg;

	store_free(&fresh);
	/* Build the old database by hand: only migrations 1..from. */
	ck_assert_int_eq(sqlite3_open(old_path, &db), SQLITE_OK);
	sqlite3_close(db);
	old = xcalloc(1, sizeof(*old));
	old->path = xstrdup(old_path);
	ck_assert_int_eq(sqlite3_open(old_path, &old->db), SQLITE_OK);
	ck_assert_msg(store_migrate(old, from, &err) == 0, "%s", err);
	ck_assert_int_eq(store_schema_version(old), from);
	ck_assert_int_eq(store_begin(old, &err), 0);
	id = create_case(old, 1790000000, number);
	ck_assert_int_eq(sqlite3_exec(old->db,
		"INSERT INTO message (id, case_id, direction, channel, "
		"subject, body_stripped, at) VALUES (40, 1, 'in', 'email', "
		"'Gatlampa', 'lampan lyser inte', 1790000000)", NULL, NULL,
		NULL), SQLITE_OK);
	msg = sqlite3_last_insert_rowid(old->db);
	/* A mail still queued when the instance is upgraded. */
	ck_assert_int_eq(sqlite3_exec(old->db,
		"INSERT INTO inbox (id, channel, source, received_at, raw) "
		"VALUES (7, 'email', 'maildir', 1790000000, 'queued')", NULL,
		NULL, NULL), SQLITE_OK);
	/* An answer still to send: its text stays the row's own. */
	ck_assert_int_eq(sqlite3_exec(old->db,
		"INSERT INTO outbox (channel, recipient, body, created_at) "
		"VALUES ('email', 'anna@example.se', 'Tack för ditt mejl.', "
		"1790000000)", NULL, NULL, NULL), SQLITE_OK);
	/* Timers: one armed again after it fired, one that fired twice
	   (each name's newest is what stays from migration 31 on). */
	if (from < 31)
		ck_assert_int_eq(sqlite3_exec(old->db,
			"INSERT INTO timer (id, case_id, name, state, event, "
			"fire_at, created_at, fired_at) VALUES "
			"(1, 1, 'paminn', 'vantar', 'timer.remind', "
			"1790000100, 1790000000, 1790000100), "
			"(2, 1, 'paminn', 'vantar', 'timer.remind', "
			"1790900000, 1790000200, NULL), "
			"(3, 1, 'ge-upp', 'vantar', 'timer.giveup', "
			"1790000300, 1790000000, 1790000300), "
			"(4, 1, 'ge-upp', 'vantar', 'timer.giveup', "
			"1790000500, 1790000400, 1790000500)", NULL, NULL,
			NULL), SQLITE_OK);
	/* A citizen's mail a case officer forwarded, stored with the
	   officer's whole mail, note included, as its full text (before
	   migration 32); a handler's own mail on the case keeps its. */
	if (from >= 3 && from < 32)
		ck_assert_int_eq(sqlite3_exec(old->db,
			"INSERT INTO contact (id, kind, name, login, "
			"created_at) VALUES (8, 'citizen', 'Anna', NULL, 1), "
			"(9, 'handler', 'Eva', 'eva', 1);"
			"INSERT INTO message (id, case_id, direction, channel, "
			"contact_id, subject, body_full, body_stripped, at) "
			"VALUES (41, 1, 'in', 'email', 8, 'VB: Lampa', "
			"'Hemlig anteckning\n---\nLampan', 'Lampan', "
			"1790000000), (42, 1, 'in', 'email', 9, 'SV: Lampa', "
			"'Svar\n> citat', 'Svar', 1790000000);"
			"INSERT INTO event (case_id, at, kind, actor_id) VALUES "
			"(1, 1790000000, 'mail.forwarded', 9)", NULL, NULL,
			NULL), SQLITE_OK);
	/* A citizen's name kept with an encoded line break and ESC (before
	   migration 33), beside one that has none. */
	if (from < 33)
		ck_assert_int_eq(sqlite3_exec(old->db,
			"INSERT INTO contact (id, kind, name, login, "
			"created_at) VALUES (10, 'citizen', 'Anna' || "
			"char(13, 10) || 'Klart senast: x' || char(27) || "
			"'[31m' || char(9), NULL, 1), (11, 'citizen', "
			"'Åsa Öberg', NULL, 1)", NULL, NULL, NULL), SQLITE_OK);
	/* Sent mail of case 1, and of a case retention removed, which an
	   earlier cirm swept from the outbox only later (before
	   migration 39). */
	if (from < 39)
		ck_assert_int_eq(sqlite3_exec(old->db,
			"INSERT INTO outbox (case_id, channel, recipient, "
			"body, status, created_at) VALUES (1, 'email', "
			"'anna@example.se', 'Svar', 'sent', 1790000000), "
			"(99, 'email', 'bo@example.se', 'Svar', 'sent', "
			"1790000000)", NULL, NULL, NULL), SQLITE_OK);
	/* As store_message_add does, for versions that index at commit. */
	if (from >= 4)
		store_note_message(old);
	ck_assert_int_eq(store_commit(old, &err), 0);
	store_free(&old);

	old = open_db(old_path);
	got = schema_dump(old);
	ck_assert_str_eq(got, want);
	/* The data survived, and the search index covers old messages. */
	{
		sqlite3_stmt *st;

		ck_assert_int_eq(sqlite3_prepare_v2(old->db,
			"SELECT rowid FROM message_fts WHERE message_fts MATCH 'lyser'",
			-1, &st, NULL), SQLITE_OK);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
		ck_assert_int_eq(sqlite3_column_int64(st, 0), msg);
		sqlite3_finalize(st);
	}
	ck_assert_int_eq(id, 1);
	ck_assert_int_eq(tu_sql_int(old->db, "SELECT count(*) FROM "
				    "inbox_message WHERE id = 7 AND "
				    "raw = 'queued'"), 1);
	ck_assert_int_eq(tu_sql_int(old->db, "SELECT count(*) FROM "
				    "outbox_mail WHERE body = 'Tack för ditt "
				    "mejl.' AND status = 'queued'"), 1);
	if (from < 31) {
		ck_assert_int_eq(tu_sql_int(old->db, "SELECT count(*) FROM "
					    "timer"), 2);
		ck_assert_int_eq(tu_sql_int(old->db, "SELECT fire_at FROM "
					    "timer WHERE name = 'paminn' AND "
					    "fired_at IS NULL"), 1790900000);
		ck_assert_int_eq(tu_sql_int(old->db, "SELECT fired_at FROM "
					    "timer WHERE name = 'ge-upp'"),
				 1790000500);
	}
	if (from >= 3 && from < 32) {
		ck_assert_int_eq(tu_sql_int(old->db, "SELECT count(*) FROM "
					    "message WHERE id = 41 AND "
					    "body_full IS NULL AND "
					    "body_stripped = 'Lampan'"), 1);
		ck_assert_int_eq(tu_sql_int(old->db, "SELECT count(*) FROM "
					    "message WHERE id = 42 AND "
					    "body_full IS NOT NULL"), 1);
	}
	if (from < 39) {
		ck_assert_int_eq(tu_sql_int(old->db, "SELECT count(*) FROM "
					    "outbox WHERE case_id = 1"), 1);
		ck_assert_int_eq(tu_sql_int(old->db, "SELECT count(*) FROM "
					    "outbox WHERE case_id = 99"), 0);
	}
	if (from < 33) {
		ck_assert_int_eq(tu_sql_int(old->db, "SELECT count(*) FROM "
					    "contact WHERE id = 10 AND name = "
					    "'Anna  Klart senast: x [31m '"), 1);
		ck_assert_int_eq(tu_sql_int(old->db, "SELECT count(*) FROM "
					    "contact WHERE id = 11 AND name = "
					    "'Åsa Öberg'"), 1);
	}
	/* the next id is past any the log may have named: past every
	   message and quarantined mail there has been, and the queue
	   (migration 23 sets it; a database made at 23 or later has
	   counted its inbox ids from the start) */
	ck_assert_int_eq(sqlite3_exec(old->db,
		"DELETE FROM inbox; INSERT INTO inbox (channel, source, "
		"received_at, raw) VALUES ('email', 'maildir', 1790000000, "
		"'next')", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_gt(sqlite3_last_insert_rowid(old->db),
			 from < 23 ? 40 : 7);
	free(got);
	free(want);
	free(old_path);
	store_free(&old);
}
END_TEST

/* An older database, made by the first FROM migrations, with a mail in
   its inbox; closed. */
static void
make_old_db(const char *path, int from)
{
	struct store *old = xcalloc(1, sizeof(*old));
	char *err = NULL;

	old->path = xstrdup(path);
	ck_assert_int_eq(sqlite3_open(path, &old->db), SQLITE_OK);
	ck_assert_msg(store_migrate(old, from, &err) == 0, "%s", err);
	ck_assert_int_eq(sqlite3_exec(old->db,
		"INSERT INTO inbox (id, channel, source, received_at, raw) "
		"VALUES (7, 'email', 'maildir', 1790000000, 'queued')", NULL,
		NULL, NULL), SQLITE_OK);
	store_free(&old);
}

/* The copies kept beside PATH: how many, the first in *FIRST_R. */
static size_t
kept_copies(const char *path, char **first_r)
{
	char *pattern = xasprintf("%s.before-upgrade-*", path);
	glob_t g;
	size_t n = 0;

	*first_r = NULL;
	if (glob(pattern, 0, NULL, &g) == 0) {
		n = g.gl_pathc;
		*first_r = xstrdup(g.gl_pathv[0]);
		globfree(&g);
	}
	free(pattern);
	return n;
}

/* An upgrade keeps the database as it was, for the older cirm that
   wrote it (the backup an administrator takes with the new cirmctl is
   already of the new schema); only the programs that ask for it. */
START_TEST(test_upgrade_keeps_copy)
{
	int from = store_schema_latest() - 3;
	struct store_settings keep = { .keep_older = 1 }, plain = { 0 };
	struct store *store, *copy;
	const char *kept;
	char *first, *err = NULL, *other = xasprintf("%s/other.db", dir);
	struct stat st;
	sqlite3 *db;
	sqlite3_stmt *st_;

	make_old_db(dbpath, from);
	ck_assert_msg(store_open(dbpath, &keep, &store, &err) == 0, "%s", err);
	ck_assert_int_eq(store_schema_version(store), store_schema_latest());
	ck_assert_int_eq(store_upgraded(store, &kept), from);
	ck_assert_ptr_nonnull(kept);
	ck_assert_uint_eq(kept_copies(dbpath, &first), 1);
	ck_assert_str_eq(first, kept);
	ck_assert_int_eq(stat(kept, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	/* the copy is the old database, which its cirm opens as it was */
	ck_assert_int_eq(sqlite3_open(kept, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT (SELECT user_version "
		"FROM pragma_user_version), (SELECT count(*) FROM inbox)",
		-1, &st_, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st_), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st_, 0), from);
	ck_assert_int_eq(sqlite3_column_int(st_, 1), 1);
	sqlite3_finalize(st_);
	sqlite3_close(db);
	store_free(&store);
	free(first);

	/* opened again, current: nothing more kept, nothing told */
	ck_assert_msg(store_open(dbpath, &keep, &store, &err) == 0, "%s", err);
	ck_assert_int_eq(store_upgraded(store, &kept), 0);
	ck_assert_ptr_null(kept);
	ck_assert_uint_eq(kept_copies(dbpath, &first), 1);
	free(first);
	store_free(&store);

	/* a copy being checked (a backup's) is not copied again */
	make_old_db(other, from);
	ck_assert_msg(store_open(other, &plain, &copy, &err) == 0, "%s", err);
	ck_assert_int_eq(store_upgraded(copy, &kept), from);
	ck_assert_ptr_null(kept);
	ck_assert_uint_eq(kept_copies(other, &first), 0);
	store_free(&copy);

	/* a gateway, which a cirmd older than it may have started (a newer
	   cirm installed while it runs), changes nothing */
	free(other);
	other = xasprintf("%s/gateway.db", dir);
	make_old_db(other, from);
	{
		struct store_settings gw = { .current_only = 1 };

		ck_assert_int_eq(store_open(other, &gw, &copy, &err), -1);
		ck_assert_msg(strstr(err, "is older than this cirm's") != NULL &&
			      strstr(err, "only when no older cirmd runs on it: "
				     "restart cirmd") != NULL, "%s", err);
		free(err);
		err = NULL;
	}
	ck_assert_int_eq(sqlite3_open(other, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA user_version", -1,
					    &st_, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st_), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st_, 0), from);
	sqlite3_finalize(st_);
	sqlite3_close(db);
	ck_assert_uint_eq(kept_copies(other, &first), 0);

	/* nor is a new database */
	free(other);
	other = xasprintf("%s/new.db", dir);
	keep.create = 1;
	ck_assert_msg(store_open(other, &keep, &copy, &err) == 0, "%s", err);
	ck_assert_int_eq(store_upgraded(copy, &kept), 0);
	ck_assert_uint_eq(kept_copies(other, &first), 0);
	store_free(&copy);
	free(other);
}
END_TEST

START_TEST(test_newer_schema_refused)
{
	struct store *store = open_db(dbpath);
	struct store_settings set = { 0 };
	char *err = NULL, *sql = xasprintf("PRAGMA user_version = %d",
					   store_schema_latest() + 1);

	ck_assert_int_eq(store_exec(store, sql, &err), 0);
	store_free(&store);
	ck_assert_int_eq(store_open(dbpath, &set, &store, &err), -1);
	ck_assert_msg(strstr(err, "newer") != NULL, "%s", err);
	free(err);
	free(sql);
}
END_TEST

START_TEST(test_case_numbers)
{
	struct store *store = open_db(dbpath);
	char number[STORE_CASE_NUMBER_MAX];
	char *err = NULL;
	struct tm tm = { .tm_year = 2026 - 1900, .tm_mon = 5, .tm_mday = 1,
			 .tm_hour = 12, .tm_isdst = -1 };
	int64_t t2026 = (int64_t)mktime(&tm), t2027;

	tm.tm_year = 2027 - 1900;
	t2027 = (int64_t)mktime(&tm);
	create_case_tx(store, t2026, number);
	ck_assert_str_eq(number, "KS-2026-00001");
	create_case_tx(store, t2026, number);
	ck_assert_str_eq(number, "KS-2026-00002");
	/* A rolled-back creation gives its number back: no gap. */
	ck_assert_int_eq(store_begin(store, &err), 0);
	create_case(store, t2026, number);
	ck_assert_str_eq(number, "KS-2026-00003");
	store_rollback(store);
	create_case_tx(store, t2026, number);
	ck_assert_str_eq(number, "KS-2026-00003");
	/* Each year starts at 1. */
	create_case_tx(store, t2027, number);
	ck_assert_str_eq(number, "KS-2027-00001");
	/* Outside a transaction is a programming error, reported. */
	{
		struct store_case_new c = { .prefix = "KS", .received_at = t2026,
					    .channel = "email", .state = "new" };
		int64_t id;

		ck_assert_int_eq(store_case_create(store, &c, &id, number, &err), -1);
		free(err);
	}
	store_free(&store);
}
END_TEST

#define RACERS 2
#define RACE_CASES 150

/* Creates RACE_CASES cases in their own transactions once the parent
   says go; every fifth transaction is rolled back after taking a
   number. */
static int
racer(int go_fd)
{
	struct store *store = open_db(dbpath);
	char number[STORE_CASE_NUMBER_MAX], c;
	char *err = NULL;
	int made = 0;

	if (read(go_fd, &c, 1) != 1)
		return 2;
	for (int i = 0; made < RACE_CASES; i++) {
		if (store_begin(store, &err) < 0)
			return 3;
		create_case(store, 1790000000, number);
		if (i % 5 == 4) {
			store_rollback(store);
			continue;
		}
		if (store_commit(store, &err) < 0)
			return 4;
		made++;
	}
	store_free(&store);
	return 0;
}

START_TEST(test_numbering_race)
{
	struct store *store = open_db(dbpath);
	int go[2], status;
	pid_t pids[RACERS];
	sqlite3_stmt *st;

	ck_assert_int_eq(pipe(go), 0);
	for (int i = 0; i < RACERS; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			close(go[1]);
			_exit(racer(go[0]));
		}
	}
	close(go[0]);
	ck_assert_int_eq(write(go[1], "gg", RACERS), RACERS);
	close(go[1]);
	for (int i = 0; i < RACERS; i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "racer %d failed: %d", i, status);
	}
	/* Exactly 1..N, each once, no gap, no duplicate. */
	ck_assert_int_eq(sqlite3_prepare_v2(store->db,
		"SELECT count(*), count(DISTINCT number), min(seq), max(seq) "
		"FROM cases", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st, 0), RACERS * RACE_CASES);
	ck_assert_int_eq(sqlite3_column_int(st, 1), RACERS * RACE_CASES);
	ck_assert_int_eq(sqlite3_column_int(st, 2), 1);
	ck_assert_int_eq(sqlite3_column_int(st, 3), RACERS * RACE_CASES);
	sqlite3_finalize(st);
	store_free(&store);
}
END_TEST

static int
collect(const struct store_case *c, void *ctx)
{
	strlist_add(ctx, c->number);
	return 0;
}

static int
collect_event(const struct store_event *e, void *ctx)
{
	strlist_addf(ctx, "%lld %s %s %s %s %s", (long long)e->at, e->kind,
		     e->actor != NULL ? e->actor : "-",
		     e->from_state != NULL ? e->from_state : "-",
		     e->to_state != NULL ? e->to_state : "-",
		     e->detail != NULL ? e->detail : "-");
	return 0;
}

START_TEST(test_case_list_and_get)
{
	struct store *store = open_db(dbpath);
	char number[STORE_CASE_NUMBER_MAX], *err = NULL;
	struct strlist got = { 0 };
	struct store_case_filter f = { NULL, 0, NULL, false };
	int64_t id;

	for (int i = 0; i < 5; i++)
		create_case_tx(store, 1790000000 + i, number);
	ck_assert_int_eq(store_exec(store, "UPDATE cases SET state = 'resolved' "
				    "WHERE seq IN (2, 4)", &err), 0);
	ck_assert_int_eq(store_case_list(store, &f, collect, &got, &err), 0);
	ck_assert_uint_eq(got.n, 5);
	ck_assert(strstr(got.v[0], "-00005") != NULL); /* newest first */
	strlist_clear(&got);
	f.state = "resolved";
	ck_assert_int_eq(store_case_list(store, &f, collect, &got, &err), 0);
	ck_assert_uint_eq(got.n, 2);
	strlist_clear(&got);
	/* a case in a <parallel> is in one state of each region: any of
	   them finds it, as the whole does; a part of an id does not */
	ck_assert_int_eq(store_exec(store, "UPDATE cases SET state = "
				    "'bygg-vantar miljo-vantar' WHERE seq = 1",
				    &err), 0);
	f.state = "miljo-vantar";
	ck_assert_int_eq(store_case_list(store, &f, collect, &got, &err), 0);
	ck_assert_uint_eq(got.n, 1);
	strlist_clear(&got);
	f.state = "bygg-vantar miljo-vantar";
	ck_assert_int_eq(store_case_list(store, &f, collect, &got, &err), 0);
	ck_assert_uint_eq(got.n, 1);
	strlist_clear(&got);
	f.state = "vantar";
	ck_assert_int_eq(store_case_list(store, &f, collect, &got, &err), 0);
	ck_assert_uint_eq(got.n, 0);
	f.state = NULL;
	f.limit = 3;
	ck_assert_int_eq(store_case_list(store, &f, collect, &got, &err), 0);
	ck_assert_uint_eq(got.n, 3);
	ck_assert_int_eq(store_case_get(store, got.v[2], collect, &got, &err), 1);
	ck_assert_str_eq(got.v[3], got.v[2]);
	ck_assert_int_eq(store_case_get(store, "KS-1999-00001", collect, &got,
					&err), 0);
	strlist_clear(&got);
	/* History and messages are read back in order. */
	id = 1;
	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_int_eq(store_exec(store, "INSERT INTO contact (id, kind, "
				    "name, login, created_at) VALUES (7, "
				    "'handler', 'Eva', 'eva', 0)", &err), 0);
	ck_assert_int_eq(store_event_add(store, id, 5, "case.created", 0, NULL,
					 "new", NULL, &err), 0);
	/* eleven at once: a statement of eight rows, then one of three */
	{
		static const char *const kinds[] = { "a", "b", "c", "d", "e",
						     "f", "g", "h", "i", "j",
						     "k" };
		struct store_event_new ev[11];

		for (int i = 0; i < 11; i++) {
			ev[i] = (struct store_event_new){ kinds[i], 0, NULL,
							  NULL, kinds[i] };
		}
		ev[3].actor_id = 7;
		ev[10].from_state = "new";
		ev[10].to_state = "open";
		ev[10].detail = NULL;
		ck_assert_int_eq(store_events_add(store, id, 6, ev, 11, &err), 0);
	}
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_assert_int_eq(store_case_events(store, id, collect_event, &got,
					   &err), 0);
	ck_assert_uint_eq(got.n, 12);
	ck_assert_str_eq(got.v[0], "5 case.created - - new -");
	ck_assert_str_eq(got.v[1], "6 a - - - a");
	ck_assert_str_eq(got.v[4], "6 d eva - - d");
	ck_assert_str_eq(got.v[8], "6 h - - - h");
	ck_assert_str_eq(got.v[9], "6 i - - - i");
	ck_assert_str_eq(got.v[11], "6 k - new open -");
	strlist_clear(&got);
	store_free(&store);
}
END_TEST

/* A group looked up in a transaction is looked up once there; what
   another connection changes is seen in the next transaction, and a
   group added in this one at once. */
START_TEST(test_group_lookup)
{
	struct store *store = open_db(dbpath), *other = open_db(dbpath);
	char *err = NULL;
	int64_t id = -1, made;

	ck_assert_int_eq(store_exec(other, "INSERT INTO handler_group (id, "
				    "name, created_at) VALUES (5, 'gata', 0)",
				    &err), 0);
	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_int_eq(store_group_by_name(store, "gata", &id, &err), 1);
	ck_assert_int_eq(id, 5);
	ck_assert_int_eq(store_group_by_name(store, "park", &id, &err), 0);
	ck_assert_int_eq(store_group_by_name(store, "park", &id, &err), 0);
	ck_assert_int_eq(store_group_ensure(store, "park", 0, &made, &err), 0);
	ck_assert_int_eq(store_group_by_name(store, "park", &id, &err), 1);
	ck_assert_int_eq(id, made);
	/* a group added in a savepoint rolled back is gone */
	ck_assert_int_eq(store_savepoint(store, &err), 0);
	ck_assert_int_eq(store_group_ensure(store, "tillfallig", 0, &made,
					    &err), 0);
	ck_assert_int_eq(store_group_by_name(store, "tillfallig", &id, &err),
			 1);
	store_savepoint_rollback(store);
	ck_assert_int_eq(store_group_by_name(store, "tillfallig", &id, &err),
			 0);
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_assert_int_eq(store_exec(other, "UPDATE handler_group SET name = "
				    "'gator' WHERE id = 5", &err), 0);
	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_int_eq(store_group_by_name(store, "gata", &id, &err), 0);
	ck_assert_int_eq(store_group_by_name(store, "gator", &id, &err), 1);
	ck_assert_int_eq(id, 5);
	store_rollback(store);
	/* out of a transaction nothing is remembered */
	ck_assert_int_eq(store_exec(other, "UPDATE handler_group SET name = "
				    "'gata' WHERE id = 5", &err), 0);
	ck_assert_int_eq(store_group_by_name(store, "gata", &id, &err), 1);
	store_free(&other);
	store_free(&store);
}
END_TEST

static int64_t
fts_hits(struct store *store, const char *query)
{
	sqlite3_stmt *st;
	int64_t n;

	ck_assert_int_eq(sqlite3_prepare_v2(store->db,
		"SELECT count(*) FROM message_fts WHERE message_fts MATCH ?",
		-1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, query, -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Messages enter the full-text index when their transaction commits,
   and not when it is rolled back; deleted ones leave it. */
START_TEST(test_fulltext_index)
{
	struct store *store = open_db(dbpath);
	char number[STORE_CASE_NUMBER_MAX], *err = NULL;
	struct store_message_new m = {
		.direction = "in", .channel = "email", .subject = "Gatlampa",
		.body_stripped = "lampan vid skolan lyser inte", .at = 1,
	};
	int64_t case_id, id;

	ck_assert_int_eq(store_begin(store, &err), 0);
	case_id = create_case(store, 1790000000, number);
	ck_assert_int_eq(store_message_add(store, case_id, &m, &id, &err), 0);
	store_rollback(store);
	ck_assert_int_eq(fts_hits(store, "skolan"), 0);
	ck_assert_int_eq(store_begin(store, &err), 0);
	case_id = create_case(store, 1790000000, number);
	ck_assert_int_eq(store_message_add(store, case_id, &m, &id, &err), 0);
	m.body_stripped = "snöröjning på ängsvägen";
	ck_assert_int_eq(store_message_add(store, case_id, &m, &id, &err), 0);
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_assert_int_eq(fts_hits(store, "skolan"), 1);
	ck_assert_int_eq(fts_hits(store, "ängsvägen"), 1);
	ck_assert_int_eq(fts_hits(store, "gatlampa"), 2);
	ck_assert_int_eq(store_exec(store, "DELETE FROM message WHERE body_stripped "
				    "LIKE 'snö%'", &err), 0);
	ck_assert_int_eq(fts_hits(store, "ängsvägen"), 0);
	ck_assert_int_eq(fts_hits(store, "skolan"), 1);
	/* What cirm sends is not indexed (it wraps texts people wrote, or
	   is boilerplate); deleting it leaves the index whole. */
	m.direction = "out";
	m.body_stripped = "Vi har tagit emot ditt ärende om skolan";
	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_int_eq(store_message_add(store, case_id, &m, &id, &err), 0);
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_assert_int_eq(fts_hits(store, "ärende"), 0);
	ck_assert_int_eq(fts_hits(store, "skolan"), 1);
	ck_assert_int_eq(store_exec(store, "DELETE FROM message WHERE "
				    "direction = 'out'", &err), 0);
	ck_assert_int_eq(store_exec(store, "INSERT INTO message_fts(message_fts) "
				    "VALUES ('integrity-check')", &err), 0);
	ck_assert_int_eq(fts_hits(store, "skolan"), 1);
	store_free(&store);
}
END_TEST

/* A text with nothing stripped is stored once (body_full NULL), and
   reads back whole; the citizen's texts of a case (for a handler's
   interleaved answer) are those texts, SMS ones (stored the same way)
   among them. */
START_TEST(test_text_stored_once)
{
	struct store *store = open_db(dbpath);
	char number[STORE_CASE_NUMBER_MAX], *err = NULL, *texts = NULL;
	struct store_message_new m = {
		.direction = "in", .channel = "email", .subject = "Gatlampa",
		.body_full = "Lampan lyser inte.",
		.body_stripped = "Lampan lyser inte.", .at = 1,
	};
	int64_t case_id, id, anna;

	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_int_eq(store_contact_add(store, STORE_CITIZEN, "Anna", NULL,
					   "sv", &anna, &err), 0);
	m.contact_id = anna;
	case_id = create_case(store, 1790000000, number);
	ck_assert_int_eq(store_message_add(store, case_id, &m, &id, &err), 0);
	m.body_full = "Den blinkar nu.\n\n> Lampan lyser inte.";
	m.body_stripped = "Den blinkar nu.";
	ck_assert_int_eq(store_message_add(store, case_id, &m, &id, &err), 0);
	m.channel = "sms";
	m.body_full = NULL;
	m.body_stripped = "Nu är den släckt.";
	ck_assert_int_eq(store_message_add(store, case_id, &m, &id, &err), 0);
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_assert_int_eq(tu_sql_int(store->db, "SELECT count(*) FROM message WHERE "
				    "body_full IS NULL"), 2);
	ck_assert_int_eq(store_case_citizen_texts(store, case_id, &texts,
						  &err), 0);
	ck_assert_str_eq(texts, "Nu är den släckt.\nDen blinkar nu.\n\n"
			 "> Lampan lyser inte.\nLampan lyser inte.");
	free(texts);
	store_free(&store);
}
END_TEST

static int
note_due_body(const struct store_outbox_row *r, void *arg)
{
	struct strlist *bodies = arg;

	strlist_add(bodies, r->body);
	ck_assert_uint_eq(r->body_len, strlen(r->body));
	return 0;
}

static int
note_failed_body(const struct store_outbox_failure *f, void *arg)
{
	char **body = arg;

	*body = xstrdup(f->body != NULL ? f->body : "(null)");
	return 0;
}

/* An outgoing text that its message keeps is not stored again in the
   outbox row: the row's body is empty, and the gateways (and the view
   outbox_mail) read the message's. A row without a message keeps its
   own, and so does one whose caller did not say the text is the
   message's. Saying so without a message, or with a body besides, is
   refused: no other text can seem to be sent. */
START_TEST(test_outbox_text_once)
{
	struct store *store = open_db(dbpath);
	char number[STORE_CASE_NUMBER_MAX], *err = NULL, *failed = NULL;
	struct store_message_new m = {
		.direction = "out", .channel = "email", .subject = "Tack",
		.body_stripped = "Vi har tagit emot ditt ärende.", .at = 1,
	};
	struct store_outbox_new o = {
		.channel = "email", .recipient = "anna@example.se",
		.subject = "Tack", .body_in_message = true, .at = 1,
	};
	struct strlist bodies = { 0 };
	int64_t case_id, msg, row;

	ck_assert_int_eq(store_begin(store, &err), 0);
	case_id = create_case(store, 1790000000, number);
	ck_assert_int_eq(store_message_add(store, case_id, &m, &msg, &err), 0);
	o.case_id = case_id;
	o.message_id = msg;
	ck_assert_int_eq(store_outbox_add(store, &o, &row, &err), 0);
	o.body = "Annan text.";	/* a text besides the message's */
	ck_assert_int_eq(store_outbox_add(store, &o, NULL, &err), -1);
	free(err);
	err = NULL;
	o.body = NULL;		/* no message to take it from */
	o.message_id = 0;
	ck_assert_int_eq(store_outbox_add(store, &o, NULL, &err), -1);
	free(err);
	err = NULL;
	o.body_in_message = false;	/* no message: the row keeps it */
	o.body = "Utan meddelande.";
	ck_assert_int_eq(store_outbox_add(store, &o, NULL, &err), 0);
	o.message_id = msg;	/* not the message's text */
	o.body = "Egen text.";
	ck_assert_int_eq(store_outbox_add(store, &o, NULL, &err), 0);
	ck_assert_int_eq(store_commit(store, &err), 0);

	ck_assert_int_eq(tu_sql_int(store->db, "SELECT length(body) FROM "
				    "outbox WHERE body_in_message"), 0);
	ck_assert_int_eq(tu_sql_int(store->db, "SELECT count(*) FROM "
				    "outbox WHERE body_in_message"), 1);
	ck_assert_int_eq(store_outbox_due(store, "email", 10, 0, 1, 0, 10, 0,
					  note_due_body, &bodies, &err), 3);
	ck_assert_str_eq(bodies.v[0], "Vi har tagit emot ditt ärende.");
	ck_assert_str_eq(bodies.v[1], "Utan meddelande.");
	ck_assert_str_eq(bodies.v[2], "Egen text.");
	ck_assert_int_eq(tu_sql_int(store->db, "SELECT count(*) FROM "
				    "outbox_mail WHERE body = 'Vi har tagit emot "
				    "ditt ärende.'"), 1);
	/* a failure the engine takes up reads the text too */
	ck_assert_int_eq(store_exec(store, "UPDATE outbox SET status = 'failed' "
				    "WHERE body_in_message", &err), 0);
	ck_assert_int_eq(store_outbox_failures(store, 10, note_failed_body,
					       &failed, &err), 0);
	ck_assert_ptr_nonnull(failed);
	ck_assert_str_eq(failed, "Vi har tagit emot ditt ärende.");
	free(failed);
	strlist_clear(&bodies);
	(void)row;
	store_free(&store);
}
END_TEST

/* A dedupe key that is "mid:" and the message's own Message-ID is not
   stored (the Message-ID's index finds it); any other is, and one a
   cirm before kept finds its mail still. Only mail that came in is a
   duplicate's original. */
START_TEST(test_dedupe_by_message_id)
{
	struct store *store = open_db(dbpath);
	char number[STORE_CASE_NUMBER_MAX], *err = NULL;
	struct store_message_new m = {
		.direction = "in", .channel = "email", .subject = "Gatlampa",
		.body_stripped = "Lampan lyser inte.", .at = 1,
		.rfc_message_id = "a1@example.se", .dedupe_key = "mid:a1@example.se",
	};
	int64_t case_id, id, found = 0, anna;

	ck_assert_int_eq(store_begin(store, &err), 0);
	case_id = create_case(store, 1790000000, number);
	ck_assert_int_eq(store_message_add(store, case_id, &m, &id, &err), 0);
	m.rfc_message_id = NULL;
	m.dedupe_key = "sha:0123";
	ck_assert_int_eq(store_message_add(store, case_id, &m, &id, &err), 0);
	/* a forwarded mail's key is its citizen's, not the forward's */
	m.rfc_message_id = "fwd@kommun.example";
	m.dedupe_key = "mid:a2@example.se";
	ck_assert_int_eq(store_message_add(store, case_id, &m, &id, &err), 0);
	m.direction = "out";
	m.rfc_message_id = "ack@kommun.example";
	m.dedupe_key = NULL;
	ck_assert_int_eq(store_message_add(store, case_id, &m, &id, &err), 0);
	ck_assert_int_eq(store_exec(store, "INSERT INTO message (case_id, "
				    "direction, channel, rfc_message_id, "
				    "dedupe_key, at) VALUES (1, 'in', 'email', "
				    "'old@example.se', 'mid:old@example.se', 1)",
				    &err), 0);
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_assert_int_eq(tu_sql_int(store->db, "SELECT count(*) FROM message "
				    "WHERE dedupe_key IS NOT NULL"), 3);
	ck_assert_int_eq(store_message_by_dedupe(store, "mid:a1@example.se", NULL, false, NULL,
						 &found, &err), 1);
	ck_assert_int_eq(found, case_id);
	ck_assert_int_eq(store_message_by_dedupe(store, "sha:0123", NULL, false, NULL, &found,
						 &err), 1);
	ck_assert_int_eq(store_message_by_dedupe(store, "mid:a2@example.se", NULL, false, NULL,
						 &found, &err), 1);
	ck_assert_int_eq(store_message_by_dedupe(store, "mid:old@example.se", NULL, false, NULL,
						 &found, &err), 1);
	ck_assert_int_eq(store_message_by_dedupe(store, "mid:fwd@kommun.example", NULL, false, NULL,
						 &found, &err), 0);
	ck_assert_int_eq(store_message_by_dedupe(store, "mid:ack@kommun.example", NULL, false, NULL,
						 &found, &err), 0);
	ck_assert_int_eq(store_message_by_dedupe(store, "mid:b@example.se", NULL, false, NULL,
						 &found, &err), 0);
	ck_assert_int_eq(store_message_by_dedupe(store, "sha:4567", NULL, false, NULL, &found,
						 &err), 0);
	/* the same Message-ID from another sender is another mail */
	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_int_eq(store_contact_add(store, STORE_CITIZEN,
					   "Anna", NULL, "sv", &anna, &err), 0);
	ck_assert_int_eq(store_contact_address_add(store, anna, "email",
						   "anna@example.se", &err), 0);
	m.direction = "in";
	m.contact_id = anna;
	m.rfc_message_id = "c1@example.se";
	m.dedupe_key = "mid:c1@example.se";
	ck_assert_int_eq(store_message_add(store, case_id, &m, &id, &err), 0);
	m.rfc_message_id = "fwd2@kommun.example";
	m.dedupe_key = "mid:c2@example.se";
	ck_assert_int_eq(store_message_add(store, case_id, &m, &id, &err), 0);
	ck_assert_int_eq(store_commit(store, &err), 0);
	for (int i = 1; i <= 2; i++) {
		char *key = xasprintf("mid:c%d@example.se", i);

		ck_assert_int_eq(store_message_by_dedupe(store, key,
							 "anna@example.se", false, NULL,
							 &found, &err), 1);
		ck_assert_int_eq(store_message_by_dedupe(store, key,
							 "Anna@Example.SE", false, NULL,
							 &found, &err), 1);
		ck_assert_int_eq(store_message_by_dedupe(store, key, NULL, false, NULL,
							 &found, &err), 1);
		ck_assert_int_eq(store_message_by_dedupe(store, key,
							 "mallory@example.org", false, NULL,
							 &found, &err), 0);
		free(key);
	}
	/* a digest holds its sender already */
	ck_assert_int_eq(store_message_by_dedupe(store, "sha:0123",
						 "mallory@example.org", false, NULL, &found,
						 &err), 1);
	store_free(&store);
}
END_TEST

static int
collect_line(const struct store_case_line *c, void *ctx)
{
	strlist_add(ctx, c->number);
	return 0;
}

/* The cases whose messages hold every word searched, whatever the
   query's punctuation: the index keeps no positions (migration 13), so
   a word the tokenizer splits must become two terms, not a phrase. */
static char *
search(struct store *store, const char *words)
{
	struct strlist got = { 0 };
	char *err = NULL, *s;

	ck_assert_msg(store_search_cases(store, words, 10, 0, NULL, collect_line, &got,
					 &err) == 0, "%s: %s", words, err);
	s = strlist_join(&got);
	strlist_clear(&got);
	return s;
}

#define ck_search(store, words, want) \
	do { \
		char *got_ = search(store, words); \
		ck_assert_msg(strcmp(got_, want) == 0, "%s: got \"%s\"", \
			      words, got_); \
		free(got_); \
	} while (0)

START_TEST(test_fulltext_search)
{
	struct store *store = open_db(dbpath);
	char one[STORE_CASE_NUMBER_MAX], two[STORE_CASE_NUMBER_MAX];
	char *err = NULL, *both;
	struct store_message_new m = {
		.direction = "in", .channel = "email", .subject = "Gatlampa",
		.body_stripped = "Gatubelysningen vid Ängsvägen 3 är trasig.",
		.at = 1,
	};
	int64_t a, b, id;
	sqlite3_stmt *st;

	ck_assert_int_eq(store_begin(store, &err), 0);
	a = create_case(store, 1790000000, one);
	ck_assert_int_eq(store_message_add(store, a, &m, &id, &err), 0);
	b = create_case(store, 1790000001, two);
	m.subject = "Buller";
	m.body_stripped = "Gatu- och belysningsfrågor: don't know, \"klockan\" 22.";
	ck_assert_int_eq(store_message_add(store, b, &m, &id, &err), 0);
	ck_assert_int_eq(store_commit(store, &err), 0);
	both = xasprintf("%s%s", two, one);	/* newest first */

	ck_search(store, "gatubelysningen", one);
	/* a word of four letters or more finds the words it begins, an
	   inflected form ("ängsväg", "trasi"), not one inside a word */
	ck_search(store, "ängsväg", one);
	ck_search(store, "GATUBELYS trasi", one);
	ck_search(store, "belysning", two);
	ck_search(store, "gatu", both);
	/* shorter, only itself */
	ck_search(store, "gat", "");
	ck_search(store, "vi", "");
	ck_search(store, "ÄNGSVÄGEN trasig", one);
	ck_search(store, "ängsvägen buller", "");	/* all words, one message */
	/* Split by the index's tokenizer: the parts must all be there. */
	ck_search(store, "gatu-och", two);
	ck_search(store, "don’t", two);
	ck_search(store, "klockan:22", two);
	ck_search(store, "ängsvägen,3", one);
	/* Neither operators nor quotes reach FTS5 as syntax. */
	ck_search(store, "gatlampa OR buller", "");
	ck_search(store, "\"gatlampa\" NEAR(buller)", "");
	ck_search(store, "gatlampa*", one);
	ck_search(store, "\"", "");
	ck_search(store, "  -- ... !! ", "");
	ck_search(store, "", "");
	/* Only the first STORE_SEARCH_TERMS words count: a handler's line
	   of thousands of words is not thousands of index lookups. */
	{
		struct strlist w = { 0 };
		char *words;

		for (int i = 0; i < STORE_SEARCH_TERMS; i++)
			strlist_add(&w, "gatlampa ");
		for (int i = 0; i < 100000; i++)
			strlist_add(&w, "saknas ");
		words = strlist_join(&w);
		ck_search(store, words, one);
		strlist_clear(&w);
		free(words);
	}
	m.body_stripped = "gatlampa";
	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_int_eq(store_message_add(store, b, &m, &id, &err), 0);
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_search(store, "Gatlampa", both);
	/* The index holds no positions: a phrase is refused there. */
	ck_assert_int_eq(sqlite3_prepare_v2(store->db,
		"SELECT count(*) FROM message_fts WHERE message_fts MATCH "
		"'\"vid ängsvägen\"'", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ERROR);
	sqlite3_finalize(st);
	free(both);
	store_free(&store);
}
END_TEST

/* A message id the index counts as indexed is never given again: when
   the newest messages go (retention), the next one would get the same
   id, be taken as indexed already and left out, and deleting it later
   would delete from the index what it does not hold (SQLITE_CORRUPT,
   which then stopped retention at that case for good). */
START_TEST(test_fulltext_id_reused)
{
	struct store *store = open_db(dbpath);
	char one[STORE_CASE_NUMBER_MAX];
	char *err = NULL;
	struct store_message_new m = {
		.direction = "in", .channel = "email", .subject = "Gatlampa",
		.body_stripped = "Gatlampan är trasig.", .at = 1,
	};
	int64_t a, id1, id2, id3;

	ck_assert_int_eq(store_begin(store, &err), 0);
	a = create_case(store, 1790000000, one);
	ck_assert_int_eq(store_message_add(store, a, &m, &id1, &err), 0);
	ck_assert_int_eq(store_commit(store, &err), 0);
	m.body_stripped = "Det bullrar.";
	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_int_eq(store_message_add(store, a, &m, &id2, &err), 0);
	ck_assert_int_eq(store_commit(store, &err), 0);
	/* the newest goes */
	{
		char *sql = xasprintf("BEGIN; DELETE FROM message WHERE id = "
				      "%lld; COMMIT", (long long)id2);

		ck_assert_msg(store_exec(store, sql, &err) == 0, "%s", err);
		free(sql);
	}
	ck_search(store, "bullrar", "");
	m.body_stripped = "Snöröjning saknas.";
	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_int_eq(store_message_add(store, a, &m, &id3, &err), 0);
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_search(store, "snöröjning", one);
	{
		char *sql = xasprintf("BEGIN; DELETE FROM message WHERE id = "
				      "%lld; COMMIT", (long long)id3);

		ck_assert_msg(store_exec(store, sql, &err) == 0, "%s", err);
		free(sql);
	}
	ck_search(store, "snöröjning", "");
	ck_search(store, "gatlampan", one);
	/* every message the index holds is one there is, and the other
	   way round (all of them came in) */
	ck_assert_msg(store_exec(store, "INSERT INTO message_fts(message_fts) "
				 "VALUES ('integrity-check')", &err) == 0,
		      "%s", err);
	store_free(&store);
}
END_TEST

/* Outbox retention audits what each of its transactions removed in
   that transaction: a crash between a removal and an entry written
   once at the end lost the entry. 6,000 rows are two parts. */
START_TEST(test_outbox_retention_audited)
{
	struct store *store = open_db(dbpath);
	char *err = NULL;
	long removed = -1;
	sqlite3_stmt *st;

	ck_assert_msg(store_exec(store,
		"BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
		"FROM n WHERE i < 6000) INSERT INTO outbox (channel, "
		"recipient, body, status, created_at, sent_at) SELECT 'sms', "
		"'+46701234567', 'Du får inga fler sms.', 'sent', 1000, 1000 "
		"FROM n; COMMIT", &err) == 0, "%s", err);
	ck_assert_msg(retention_outbox(store, "P30D", 1790000000, "test", false,
				       NULL, &removed, &err) == 0, "%s", err);
	ck_assert_int_eq(removed, 6000);
	ck_assert_int_eq(sqlite3_prepare_v2(store->db,
		"SELECT group_concat(detail, '|') FROM (SELECT detail FROM "
		"audit WHERE action = 'outbox.prune' ORDER BY id)", -1, &st,
		NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0),
			 "retention P30D: 5000 sent without a case removed|"
			 "retention P30D: 1000 sent without a case removed");
	sqlite3_finalize(st);
	store_free(&store);
}
END_TEST

struct whole_seen {
	struct store *store;
	atomic_int stop;
	int cases;
	int dangling;
};

/* Called after each transaction of retention is committed: what a
   backup copying then, or a crash then, finds. Stops the run there, as
   cirmd's shutdown does. */
static void
after_removal(const struct retention_case *c, void *ctx)
{
	struct whole_seen *w = ctx;

	(void)c;
	w->cases++;
	w->dangling += tu_sql_int(w->store->db, "SELECT count(*) FROM "
				  "pragma_foreign_key_check");
	atomic_store(&w->stop, 1);
}

/* Retention removes a case whole in one transaction, its outbox rows
   with it: none is left behind, stopped after the first part or not. */
START_TEST(test_retention_case_whole)
{
	struct store *store = open_db(dbpath);
	struct retention *r = NULL;
	struct retention_stats stats;
	struct whole_seen w = { .store = store };
	char *err = NULL;

	/* 25 cases closed long ago, each with a message and two rows of
	   sent mail: more than one transaction's part */
	ck_assert_msg(store_exec(store,
		"BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
		"FROM n WHERE i < 25) INSERT INTO cases (id, number, prefix, "
		"year, seq, channel, state, received_at, created_at, "
		"updated_at, closed_at) SELECT i, 'KS-2000-' || i, 'KS', 2000, "
		"i, 'email', 'closed', 1000, 1000, 1000, 1000 FROM n; "
		"INSERT INTO message (id, case_id, direction, channel, "
		"body_stripped, at) SELECT id, id, 'out', 'email', 'Tack', "
		"1000 FROM cases; "
		"INSERT INTO outbox (case_id, message_id, channel, recipient, "
		"body, status, created_at, sent_at) SELECT id, id, 'email', "
		"'anna@example.se', 'Tack', 'sent', 1000, 1000 FROM cases "
		"UNION ALL SELECT id, NULL, 'email', 'eva@kommun.example', "
		"'Nytt', 'sent', 1000, 1000 FROM cases; COMMIT", &err) == 0,
		"%s", err);
	ck_assert_int_eq(retention_parse("*:P1Y", &r, &err), 0);
	ck_assert_msg(retention_run(store, r, 1790000000, "test", false,
				    &w.stop, after_removal, &w, &stats,
				    &err) == 0, "%s", err);
	/* the first part, then stopped */
	ck_assert_int_eq(stats.removed, 20);
	ck_assert_int_eq(w.cases, 20);
	ck_assert_int_eq(w.dangling, 0);
	ck_assert_int_eq(tu_sql_int(store->db, "SELECT count(*) FROM "
				    "pragma_foreign_key_check"), 0);
	ck_assert_int_eq(tu_sql_int(store->db, "SELECT count(*) FROM "
				    "outbox"), 10);
	/* the rest */
	atomic_store(&w.stop, 0);
	ck_assert_msg(retention_run(store, r, 1790000000, "test", false,
				    NULL, NULL, NULL, &stats, &err) == 0,
		      "%s", err);
	ck_assert_int_eq(stats.removed, 5);
	ck_assert_int_eq(tu_sql_int(store->db, "SELECT count(*) FROM "
				    "outbox"), 0);
	retention_free(&r);
	store_free(&store);
}
END_TEST

/* A dry run of retention counts what would go, a case with mail still
   to send apart, and writes nothing: not the cases, nor the merge of
   the full-text index that follows a real run (the database is made
   read-only for it here). */
START_TEST(test_retention_dry_run_writes_nothing)
{
	struct store *store = open_db(dbpath);
	struct retention *r = NULL;
	struct retention_stats stats;
	char *err = NULL;

	ck_assert_msg(store_exec(store,
		"BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
		"FROM n WHERE i < 3) INSERT INTO cases (id, number, prefix, "
		"year, seq, channel, state, received_at, created_at, "
		"updated_at, closed_at) SELECT i, 'KS-2000-' || i, 'KS', 2000, "
		"i, 'email', 'closed', 1000, 1000, 1000, 1000 FROM n; "
		"INSERT INTO message (id, case_id, direction, channel, "
		"body_stripped, at) SELECT id, id, 'in', 'email', 'Lampan', "
		"1000 FROM cases; "
		"INSERT INTO outbox (case_id, message_id, channel, recipient, "
		"body, status, created_at) VALUES (3, 3, 'email', "
		"'anna@example.se', 'Tack', 'queued', 1000); COMMIT", &err) == 0,
		"%s", err);
	ck_assert_int_eq(retention_parse("*:P1Y", &r, &err), 0);
	ck_assert_msg(store_exec(store, "PRAGMA query_only = ON", &err) == 0,
		      "%s", err);
	ck_assert_msg(retention_run(store, r, 1790000000, "test", true, NULL,
				    NULL, NULL, &stats, &err) == 0, "%s", err);
	ck_assert_int_eq(stats.removed, 2);
	ck_assert_int_eq(stats.left, 1);
	ck_assert_msg(store_exec(store, "PRAGMA query_only = OFF", &err) == 0,
		      "%s", err);
	ck_assert_int_eq(tu_sql_int(store->db, "SELECT count(*) FROM cases"),
			 3);
	retention_free(&r);
	store_free(&store);
}
END_TEST

START_TEST(test_contacts)
{
	struct store *store = open_db(dbpath);
	int64_t anna, eva, found;
	char *err = NULL, *addr = NULL, *name = NULL;

	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_int_eq(store_contact_add(store, STORE_CITIZEN, "Anna", NULL,
					   "sv", &anna, &err), 0);
	ck_assert_int_eq(store_contact_address_add(store, anna, "email",
						   "anna@example.se", &err), 0);
	ck_assert_int_eq(store_contact_address_add(store, anna, "phone",
						   "+46701234567", &err), 0);
	ck_assert_int_eq(store_contact_add(store, STORE_HANDLER, "Eva", "eva",
					   "sv", &eva, &err), 0);
	/* One address, one contact. */
	ck_assert_int_eq(store_contact_address_add(store, eva, "email",
						   "anna@example.se", &err), -1);
	free(err);
	/* A citizen has no login. */
	ck_assert_int_eq(store_contact_add(store, STORE_CITIZEN, "X", "x", "sv",
					   &found, &err), -1);
	free(err);
	ck_assert_int_eq(store_contact_find(store, "phone", "+46701234567",
					    &found, &err), 1);
	ck_assert_int_eq(found, anna);
	ck_assert_int_eq(store_contact_find(store, "email", "nobody@x", &found,
					    &err), 0);
	/* the address and the name in one read */
	ck_assert_int_eq(store_contact_first_named(store, anna, "email", &addr,
						   &name, &err), 1);
	ck_assert_str_eq(addr, "anna@example.se");
	ck_assert_str_eq(name, "Anna");
	free(addr);
	free(name);
	addr = name = NULL;
	ck_assert_int_eq(store_contact_first_named(store, eva, "email", &addr,
						   &name, &err), 0);
	ck_assert_ptr_null(addr);
	ck_assert_ptr_null(name);
	/* a citizen's name even without an address; a handler is none */
	ck_assert_int_eq(store_contact_add(store, STORE_CITIZEN, "Bo", NULL,
					   "sv", &found, &err), 0);
	ck_assert_int_eq(store_citizen_first_named(store, found, "email",
						   &addr, &name, &err), 1);
	ck_assert_ptr_null(addr);
	ck_assert_str_eq(name, "Bo");
	free(name);
	name = NULL;
	ck_assert_int_eq(store_citizen_first_named(store, anna, "phone",
						   &addr, &name, &err), 1);
	ck_assert_str_eq(addr, "+46701234567");
	ck_assert_str_eq(name, "Anna");
	free(addr);
	free(name);
	addr = name = NULL;
	ck_assert_int_eq(store_citizen_first_named(store, eva, "email", &addr,
						   &name, &err), 0);
	ck_assert_ptr_null(addr);
	ck_assert_ptr_null(name);
	ck_assert_int_eq(store_commit(store, &err), 0);
	store_free(&store);
}
END_TEST

START_TEST(test_inbox)
{
	struct store *store = open_db(dbpath);
	int64_t ids[4], id;
	int attempts[4], n;
	char *err = NULL;

	ck_assert_int_eq(store_inbox_put(store, "email", "test", 100, "<a@x>",
					 "raw1", 4, &id, &err), 1);
	ck_assert_int_eq(store_inbox_put(store, "email", "test", 101, "<a@x>",
					 "raw1", 4, &id, &err), 0);
	ck_assert_int_eq(store_inbox_put(store, "sms", "test", 102, NULL, "r2",
					 2, &id, &err), 1);
	ck_assert_int_eq(store_inbox_put(store, "sms", "test", 103, NULL, "r2",
					 2, &id, &err), 1);
	ck_assert_int_eq(store_inbox_due(store, 1000, 0, 4, ids, attempts, &n,
					 &err), 0);
	ck_assert_int_eq(n, 3);
	/* after a row: the ones after it */
	ck_assert_int_eq(store_inbox_due(store, 1000, ids[0], 4, ids, attempts,
					 &n, &err), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(store_inbox_claim(store, ids[0], &err), 0);
	ck_assert_int_eq(store_inbox_claim(store, ids[0], &err), 0);
	ck_assert_int_eq(store_inbox_unclaim(store, ids[0], &err), 0);
	ck_assert_int_eq(store_inbox_due(store, 1000, 0, 4, ids, attempts, &n,
					 &err), 0);
	ck_assert_int_eq(attempts[1], 1);
	ck_assert_int_eq(attempts[2], 0);
	/* A bad channel is refused by the schema. */
	ck_assert_int_eq(store_inbox_put(store, "fax", "test", 1, NULL, "r", 1,
					 &id, &err), -1);
	free(err);
	err = NULL;
	/* Ids are not used again once the queue is empty: the log names
	   rows by them. */
	ck_assert_int_eq(store_inbox_due(store, 1000, 0, 4, ids, attempts, &n,
					 &err), 0);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(store_inbox_done(store, ids[i], &err), 0);
	ck_assert_int_eq(store_inbox_put(store, "sms", "test", 104, NULL, "r3",
					 2, &id, &err), 1);
	ck_assert_int_gt(id, ids[n - 1]);
	store_free(&store);
}
END_TEST

/* Raw messages are stored once, as they arrive (migration 12): the
   inbox row refers to its raw in raw_message; identical bytes share
   one; the engine's handler keeps it by putting it (no copy), and a
   raw nobody kept goes with the row that put it, unless another queued
   row shares it. A row queued before keeps its raw in inbox.raw. */
struct got_row {
	char raw[64];
	char sha[65];
};

static int
got(const struct store_inbox_row *r, void *ctx)
{
	struct got_row *g = ctx;

	if (r->raw == NULL)
		snprintf(g->raw, sizeof(g->raw), "(null)");
	else
		snprintf(g->raw, sizeof(g->raw), "%.*s", (int)r->raw_len,
			 (const char *)r->raw);
	snprintf(g->sha, sizeof(g->sha), "%s",
		 r->raw_sha256 != NULL ? r->raw_sha256 : "");
	return 0;
}

static int64_t
count_sql(struct store *store, const char *sql)
{
	return tu_sql_int(store->db, sql);
}

/* As the gateways queue a mail: hashed, stored once. */
static int
put_k(struct store *store, const char *channel, int64_t at, const char *key,
      const char *raw, int64_t *id_r, char **error_r)
{
	char sha[BLOB_ID_LEN + 1];

	blob_id(raw, strlen(raw), sha);
	return store_inbox_put_keyed(store, channel, "t", at, key, raw,
				     strlen(raw), sha, id_r, error_r);
}

static int64_t
raw_rows(struct store *store)
{
	return count_sql(store, "SELECT count(*) FROM raw_message");
}

START_TEST(test_inbox_raw_once)
{
	struct store *store = open_db(dbpath);
	struct got_row g;
	int64_t a, b, c, d, legacy;
	char *err = NULL;

	ck_assert_int_eq(put_k(store, "email", 1, "k1", "same", &a, &err), 1);
	ck_assert_int_eq(put_k(store, "email", 2, "k2", "same", &b, &err), 1);
	ck_assert_int_eq(put_k(store, "email", 3, "k1", "other", NULL, &err), 0);
	ck_assert_int_eq(raw_rows(store), 1);
	ck_assert_int_eq(count_sql(store, "SELECT count(*) FROM inbox WHERE "
				   "length(raw) = 0 AND raw_id IS NOT NULL"), 2);
	ck_assert_int_eq(count_sql(store, "SELECT sum(raw_owned) FROM inbox"),
			 1);
	/* a row the schema refuses leaves no raw behind */
	ck_assert_int_eq(put_k(store, "fax", 4, NULL, "fax", NULL, &err), -1);
	free(err);
	err = NULL;
	ck_assert_int_eq(raw_rows(store), 1);

	/* read ahead already: the raw a gateway stored is not read again,
	   its hash names it */
	ck_assert_int_eq(store_inbox_get(store, a, false, got, &g, &err), 1);
	ck_assert_str_eq(g.raw, "(null)");
	ck_assert_int_eq(strlen(g.sha), 64);
	/* not kept, but shared with a queued row: stays */
	ck_assert_int_eq(store_inbox_get(store, a, true, got, &g, &err), 1);
	ck_assert_str_eq(g.raw, "same");
	ck_assert_int_eq(strlen(g.sha), 64);
	ck_assert_int_eq(store_inbox_done(store, a, &err), 0);
	ck_assert_int_eq(raw_rows(store), 1);

	/* kept by a row that does not own it: the owner, handled later
	   and keeping nothing, leaves it to the message */
	{
		int64_t own, other;

		ck_assert_int_eq(put_k(store, "email", 5, "o1", "twice", &own, &err), 1);
		ck_assert_int_eq(put_k(store, "email", 5, "o2", "twice", &other, &err), 1);
		ck_assert_int_eq(store_inbox_get(store, other, true, got, &g, &err), 1);
		ck_assert_int_eq(store_raw_put(store, g.sha, "twice", 5, &err), 0);
		ck_assert_int_eq(store_inbox_done(store, other, &err), 0);
		ck_assert_int_eq(store_inbox_get(store, own, true, got, &g, &err), 1);
		ck_assert_int_eq(store_inbox_done(store, own, &err), 0);
		ck_assert_int_eq(count_sql(store, "SELECT count(*) FROM "
					   "raw_message WHERE CAST(raw AS TEXT) "
					   "= 'twice'"), 1);
	}

	/* a row queued without its key (cirm-mailgate) makes a message of
	   bytes a queued row owns: that row no longer owns them */
	{
		int64_t own, plain;

		ck_assert_int_eq(put_k(store, "email", 5, "m1", "mailgate",
				       &own, &err), 1);
		ck_assert_int_eq(store_inbox_put(store, "email", "t", 5, "m2",
						 "mailgate", 8, &plain, &err), 1);
		/* its raw is only here: read either way */
		ck_assert_int_eq(store_inbox_get(store, plain, false, got, &g,
						 &err), 1);
		ck_assert_str_eq(g.raw, "mailgate");
		ck_assert_int_eq(store_inbox_get(store, plain, true, got, &g, &err), 1);
		ck_assert_str_eq(g.sha, "");
		{
			char sha[BLOB_ID_LEN + 1];

			blob_id("mailgate", 8, sha);
			ck_assert_int_eq(store_raw_put(store, sha, "mailgate", 8,
						       &err), 0);
		}
		ck_assert_int_eq(store_inbox_done(store, plain, &err), 0);
		ck_assert_int_eq(store_inbox_get(store, own, true, got, &g, &err), 1);
		ck_assert_int_eq(store_inbox_done(store, own, &err), 0);
		ck_assert_int_eq(count_sql(store, "SELECT count(*) FROM "
					   "raw_message WHERE CAST(raw AS TEXT) "
					   "= 'mailgate'"), 1);
	}

	/* shared, and nobody keeps it: it goes with the last of them */
	{
		int64_t r1, r2, r3;

		ck_assert_int_eq(put_k(store, "sms", 5, "s1", "STOPP", &r1, &err), 1);
		ck_assert_int_eq(put_k(store, "sms", 5, "s2", "STOPP", &r2, &err), 1);
		ck_assert_int_eq(put_k(store, "sms", 5, "s3", "STOPP", &r3, &err), 1);
		for (int64_t *r = (int64_t[]){ r1, r3, r2, 0 }; *r != 0; r++) {
			ck_assert_int_eq(count_sql(store, "SELECT count(*) FROM "
						   "raw_message WHERE CAST(raw AS "
						   "TEXT) = 'STOPP'"), 1);
			ck_assert_int_eq(store_inbox_get(store, *r, true, got, &g, &err),
					 1);
			ck_assert_int_eq(store_inbox_done(store, *r, &err), 0);
		}
		ck_assert_int_eq(count_sql(store, "SELECT count(*) FROM "
					   "raw_message WHERE CAST(raw AS TEXT) "
					   "= 'STOPP'"), 0);
	}

	/* kept by its handler: stays, and is not written again */
	ck_assert_int_eq(put_k(store, "email", 5, NULL, "keep", &c, &err), 1);
	ck_assert_int_eq(store_inbox_get(store, c, true, got, &g, &err), 1);
	ck_assert_int_eq(store_raw_put(store, g.sha, "keep", 4, &err), 0);
	ck_assert_int_eq(store_inbox_done(store, c, &err), 0);
	ck_assert_int_eq(count_sql(store, "SELECT count(*) FROM raw_message "
				   "WHERE CAST(raw AS TEXT) = 'keep'"), 1);

	/* kept in a savepoint rolled back, then quarantined: the quarantine
	   has its own copy, the raw goes */
	ck_assert_int_eq(put_k(store, "email", 6, NULL, "bad", &d, &err), 1);
	ck_assert_int_eq(count_sql(store, "SELECT count(*) FROM raw_message "
				   "WHERE CAST(raw AS TEXT) = 'bad'"), 1);
	ck_assert_int_eq(store_inbox_get(store, d, true, got, &g, &err), 1);
	ck_assert_int_eq(store_savepoint(store, &err), 0);
	ck_assert_int_eq(store_raw_put(store, g.sha, "bad", 3, &err), 0);
	store_savepoint_rollback(store);
	ck_assert_int_eq(store_inbox_quarantine(store, d, "why", 7, NULL, &err), 0);
	ck_assert_int_eq(count_sql(store, "SELECT count(*) FROM quarantine "
				   "WHERE CAST(raw AS TEXT) = 'bad'"), 1);
	ck_assert_int_eq(count_sql(store, "SELECT count(*) FROM raw_message "
				   "WHERE CAST(raw AS TEXT) = 'bad'"), 0);

	/* queued before migration 12 */
	ck_assert_int_eq(store_exec(store, "INSERT INTO inbox (channel, source, "
				    "received_at, raw) VALUES ('email', 't', 8, "
				    "'legacy')", &err), 0);
	legacy = sqlite3_last_insert_rowid(store->db);
	ck_assert_int_eq(store_inbox_get(store, legacy, false, got, &g, &err), 1);
	ck_assert_str_eq(g.raw, "legacy");
	ck_assert_str_eq(g.sha, "");
	ck_assert_int_eq(count_sql(store, "SELECT count(*) FROM inbox_message "
				   "WHERE CAST(raw AS TEXT) IN ('legacy', 'same')"),
			 2);
	ck_assert_int_eq(store_inbox_done(store, legacy, &err), 0);
	ck_assert_int_eq(store_inbox_done(store, b, &err), 0);
	store_free(&store);
}
END_TEST

START_TEST(test_audit_chain)
{
	struct store *store = open_db(dbpath);
	char *err = NULL;
	int64_t bad = 0;

	ck_assert_int_eq(store_audit_verify(store, &bad, &err), 1);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(store_audit_add(store, 100 + i, "cirmctl",
						 "case.show", "KS-2026-00001",
						 NULL, &err), 0);
	ck_assert_int_eq(store_audit_verify(store, &bad, &err), 1);
	ck_assert_int_eq(store_exec(store, "UPDATE audit SET actor = 'x' "
				    "WHERE id = 3", &err), 0);
	ck_assert_int_eq(store_audit_verify(store, &bad, &err), 0);
	ck_assert_int_eq(bad, 3);
	ck_assert_int_eq(store_exec(store, "UPDATE audit SET actor = 'cirmctl' "
				    "WHERE id = 3; DELETE FROM audit WHERE id = 2",
				    &err), 0);
	ck_assert_int_eq(store_audit_verify(store, &bad, &err), 0);
	ck_assert_int_eq(bad, 2);
	store_free(&store);
}
END_TEST


/* The WAL writes gathered by store-vfs.c: what a connection commits is
   in the WAL file, for connections of other processes using SQLite's
   own VFS, when the commit returns; with synchronous = FULL and with
   NORMAL (where the frames are written when the commit is published),
   for transactions of many buffers' worth of pages, and in a process
   killed right after its commit. */
static void
fill(struct store *store, int from, int n)
{
	char *err = NULL;
	sqlite3_stmt *st;

	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_int_eq(sqlite3_prepare_v2(store->db,
		"INSERT INTO t (k, v, w) VALUES (?, randomblob(200), ?)", -1,
		&st, NULL), SQLITE_OK);
	for (int i = from; i < from + n; i++) {
		char v[32];

		snprintf(v, sizeof(v), "row %d", i);
		sqlite3_bind_int(st, 1, i);
		sqlite3_bind_text(st, 2, v, -1, SQLITE_TRANSIENT);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	ck_assert_msg(store_commit(store, &err) == 0, "%s", err);
}

/* Rows and the last row's text, as SQLite's own VFS reads them:
   ROWS rows, the last of them "row LAST". */
static void
seen_as(int rows, int last)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char want[32];

	ck_assert_int_eq(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY,
					 NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db,
		"SELECT count(*), (SELECT w FROM t ORDER BY k DESC "
		"LIMIT 1), (SELECT integrity_check FROM pragma_integrity_check) "
		"FROM t", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st, 0), rows);
	snprintf(want, sizeof(want), "row %d", last);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 1), want);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 2), "ok");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void
seen(int rows)
{
	seen_as(rows, rows - 1);
}

START_TEST(test_wal_gathered)
{
	struct store *store = open_db(dbpath);
	char *err = NULL, *name = NULL;
	pid_t pid;
	int status;

	ck_assert_int_eq(sqlite3_file_control(store->db, "main",
					      SQLITE_FCNTL_VFSNAME, &name),
			 SQLITE_OK);
	ck_assert_msg(strncmp(name, "cirm/", 5) == 0, "%s", name);
	sqlite3_free(name);
	ck_assert_int_eq(store_exec(store, "CREATE TABLE t (k INTEGER "
				    "PRIMARY KEY, v BLOB, w TEXT)", &err), 0);
	/* ~3,000 pages: a hundred buffers */
	fill(store, 0, 50000);
	seen(50000);
	fill(store, 50000, 1);
	seen(50001);
	ck_assert_int_eq(store_set_synchronous(store, 0, &err), 0);
	fill(store, 50001, 2000);
	seen(52001);
	fill(store, 52001, 3);
	seen(52004);
	store_free(&store);

	/* A transaction that spilled pages into the WAL and rolled back:
	   what it wrote must not land later on frames another connection
	   committed at the same place (here: SQLite's own VFS, then this
	   connection reading and committing again). */
	{
		sqlite3 *other;

		store = open_db(dbpath);
		ck_assert_int_eq(store_exec(store, "PRAGMA cache_size = 10", &err),
				 0);
		ck_assert_int_eq(store_begin(store, &err), 0);
		ck_assert_int_eq(store_exec(store, "INSERT INTO t (k, v, w) "
			"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
			"FROM n WHERE i < 3000) SELECT 1000000 + i, randomblob(300), "
			"'spilled' FROM n", &err), 0);
		store_rollback(store);
		ck_assert_int_eq(sqlite3_open_v2(dbpath, &other,
						 SQLITE_OPEN_READWRITE, NULL),
				 SQLITE_OK);
		ck_assert_int_eq(sqlite3_exec(other, "INSERT INTO t (k, v, w) "
			"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
			"FROM n WHERE i < 2000) SELECT -i, randomblob(300), "
			"'other' FROM n", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(other);
		fill(store, 52004, 1);
		store_free(&store);
		seen_as(54005, 52004);
		store = open_db(dbpath);
		ck_assert_int_eq(store_exec(store, "DELETE FROM t WHERE k < 0",
					    &err), 0);
		store_free(&store);
		seen(52005);
	}

	for (int sync = 1; sync >= 0; sync--) {
		int rows = sync ? 52005 + 777 : 52005 + 777 + 5000;

		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			store = open_db(dbpath);
			if (store_set_synchronous(store, sync, &err) < 0)
				_exit(1);
			fill(store, rows - (sync ? 777 : 5000), sync ? 777 : 5000);
			raise(SIGKILL);
			_exit(1);
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		seen(rows);
	}
}
END_TEST

/* A sending gateway's batch costs what it takes, not what is queued:
   with 3,000 mails queued (a tenth of them backing off), fifty are read
   in id order without a sort, and finding no SMS reads none. The work
   is SQLite's own count of virtual-machine steps. */
static int
count_due(const struct store_outbox_row *r, void *ctx)
{
	int64_t *last = ctx;

	ck_assert_int_gt(r->id, *last);
	*last = r->id;
	return 0;
}

static int
due_steps(struct store *store, const char *channel, int64_t *last, int *sorts)
{
	char *err = NULL;
	sqlite3_stmt *st = NULL;

	ck_assert_msg(store_outbox_due(store, channel, 1000, 0, 1, 0, 50, 0, count_due,
				       last, &err) >= 0, "%s", err);
	while ((st = sqlite3_next_stmt(store->db, st)) != NULL) {
		if (strstr(sqlite3_sql(st), "status = 'queued'") != NULL &&
		    strstr(sqlite3_sql(st), "FROM outbox") != NULL) {
			*sorts = sqlite3_stmt_status(st, SQLITE_STMTSTATUS_SORT, 1);
			return sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 1);
		}
	}
	ck_abort_msg("the due query was not found");
	return -1;
}

START_TEST(test_outbox_due_reads_a_batch)
{
	struct store *store = open_db(dbpath);
	int64_t last = 0;
	int sorts = -1, steps;
	char *err = NULL;

	ck_assert_int_eq(store_exec(store,
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
		"WHERE i < 3000) INSERT INTO outbox (channel, recipient, body, "
		"next_attempt_at, created_at) SELECT 'email', 'a@example.org', "
		"randomblob(2000), CASE WHEN i % 10 = 0 THEN 5000 ELSE 0 END, 1 "
		"FROM n", &err), 0);
	steps = due_steps(store, "sms", &last, &sorts);
	ck_assert_int_eq(last, 0);
	ck_assert_int_eq(sorts, 0);
	ck_assert_int_lt(steps, 200);
	steps = due_steps(store, "email", &last, &sorts);
	ck_assert_int_eq(last, 55); /* rows 10, 20, 30, 40 and 50 wait */
	ck_assert_int_eq(sorts, 0);
	ck_assert_int_lt(steps, 2000);
	store_free(&store);
}
END_TEST

static int
count_caseless(const struct store_outbox_unfiled *r, void *ctx)
{
	int *n = ctx;

	ck_assert_str_eq(r->channel, "email");
	ck_assert_ptr_null(r->case_number);
	ck_assert(strcasecmp(r->recipient, "Anna@Example.org") == 0);
	++*n;
	return 0;
}

/* A citizen's register extract finds what was sent to them that is no
   message of a case by its index, among many rows that are, in any
   capitals. */
START_TEST(test_outbox_caseless_indexed)
{
	struct store *store = open_db(dbpath);
	sqlite3_stmt *st = NULL;
	char *err = NULL;
	int n = 0, scans = -1, steps = -1;

	ck_assert_int_eq(store_exec(store,
		"INSERT INTO cases (id, number, prefix, year, seq, channel, "
		"state, received_at, created_at, updated_at) VALUES (1, "
		"'KS-2026-00001', 'KS', 2026, 1, 'email', 'new', 1, 1, 1); "
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
		"WHERE i < 3000) INSERT INTO message (id, case_id, direction, "
		"channel, body_stripped, at) SELECT i, 1, 'out', 'email', "
		"'text', i FROM n WHERE i % 1000 != 0; "
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
		"WHERE i < 3000) INSERT INTO outbox (case_id, message_id, "
		"channel, recipient, body, created_at) SELECT CASE WHEN i % "
		"1000 = 0 THEN NULL ELSE 1 END, CASE WHEN i % 1000 = 0 THEN "
		"NULL ELSE i END, 'email', CASE WHEN i % 2000 = 0 THEN "
		"'ANNA@example.org' WHEN i % 1000 = 0 THEN 'bo@example.org' "
		"ELSE 'anna@example.org' END, 'text', i FROM n", &err), 0);
	ck_assert_msg(store_outbox_unfiled_to(store, "Anna@Example.org",
					      count_caseless, &n, &err) == 1,
		      "%s", err);
	ck_assert_int_eq(n, 1);
	while ((st = sqlite3_next_stmt(store->db, st)) != NULL) {
		if (strstr(sqlite3_sql(st), "message_id IS NULL AND "
			   "lower(o.recipient)") != NULL) {
			scans = sqlite3_stmt_status(
				st, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0);
			steps = sqlite3_stmt_status(
				st, SQLITE_STMTSTATUS_VM_STEP, 0);
		}
	}
	ck_assert_int_eq(scans, 0);
	ck_assert_int_lt(steps, 200);
	store_free(&store);
}
END_TEST

struct shares_seen {
	int64_t share_of_case[8]; /* case id -> share + 1 */
	int rows;
	int share;
};

static int
note_share(const struct store_outbox_row *r, void *arg)
{
	struct shares_seen *s = arg;

	s->rows++;
	if (r->case_id != 0) {
		ck_assert_int_lt(r->case_id, 8);
		/* every row of a case comes in one share */
		if (s->share_of_case[r->case_id] == 0)
			s->share_of_case[r->case_id] = s->share + 1;
		ck_assert_int_eq(s->share_of_case[r->case_id], s->share + 1);
	}
	return 0;
}

/* The smtp gateway's connections each take a share of the outbox: each
   row comes in exactly one share, and a case's rows in the same. */
START_TEST(test_outbox_due_shares)
{
	struct store *store = open_db(dbpath);
	struct shares_seen seen = { { 0 }, 0, 0 };
	int64_t last = 0;
	char *err = NULL;

	ck_assert_int_eq(store_exec(store,
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
		"WHERE i < 7) INSERT INTO cases (id, number, prefix, year, seq, "
		"channel, state, received_at, created_at, updated_at) SELECT i, "
		"'KS-2026-' || i, 'KS', 2026, i, 'email', 'ny', 1, 1, 1 FROM n; "
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
		"WHERE i < 60) INSERT INTO outbox (case_id, channel, recipient, "
		"body, created_at) SELECT CASE WHEN i % 9 = 0 THEN NULL ELSE "
		"1 + i % 7 END, 'email', 'a@example.org', 'hej', 1 FROM n",
		&err), 0);
	for (int k = 0; k < 3; k++) {
		int before = seen.rows;

		seen.share = k;
		ck_assert_msg(store_outbox_due(store, "email", 1000, 0, 3, k,
					       100, 0, note_share, &seen,
					       &err) >= 0, "%s", err);
		/* no share takes all or nothing */
		ck_assert_int_gt(seen.rows - before, 0);
		ck_assert_int_lt(seen.rows - before, 60);
	}
	ck_assert_int_eq(seen.rows, 60);
	/* one share is all of it */
	ck_assert_int_eq(store_outbox_due(store, "email", 1000, 0, 1, 0, 100,
					  0, count_due, &last, &err), 60);
	store_free(&store);
}
END_TEST

/* A restore keeps each case officer's own address as far on as either
   database had it (cirmctl handler set --new-address): one replaced
   since the backup was replaced because someone else may have it, and
   must not be taken again, nor given again by the next replacement. */
START_TEST(test_restore_keeps_own_address)
{
	struct store *store = open_db(dbpath);
	char *err = NULL, *backup = xasprintf("%s/backup.db", dir);
	char *keep = xasprintf("%s/cirm.db.before-restore", dir);
	int64_t eva, olle, gen;

	ck_assert_msg(store_exec(store,
		"INSERT INTO contact (kind, name, login, created_at) VALUES "
		"('handler', 'Eva Ek', 'eva', 0), "
		"('handler', 'Olle Ek', 'olle', 0)", &err) == 0, "%s", err);
	eva = sqlite3_last_insert_rowid(store->db) - 1;
	olle = eva + 1;
	/* Olle's was replaced before the backup, Eva's after it */
	ck_assert_int_eq(store_handler_new_address(store, olle, &gen, &err), 1);
	ck_assert_int_eq(store_handler_new_address(store, olle, &gen, &err), 1);
	ck_assert_msg(store_backup(store, backup, &err) == 0, "%s", err);
	ck_assert_int_eq(store_handler_new_address(store, eva, &gen, &err), 1);
	ck_assert_int_eq(gen, 1);
	ck_assert_msg(store_restore(store, backup, keep, NULL, &err) == 0,
		      "%s", err);
	ck_assert_int_eq(store_handler_address_generation(store, eva, &gen,
							  &err), 1);
	ck_assert_int_eq(gen, 1);
	ck_assert_int_eq(store_handler_address_generation(store, olle, &gen,
							  &err), 1);
	ck_assert_int_eq(gen, 2);
	/* the next one is one nobody had */
	ck_assert_int_eq(store_handler_new_address(store, eva, &gen, &err), 1);
	ck_assert_int_eq(gen, 2);
	store_free(&store);
	free(backup);
	free(keep);
}
END_TEST

/* A contact id is never given twice: not after a restore of a backup
   older than the newest officer (whose id is in the signed addresses
   they were given), nor after the newest contact was removed. */
START_TEST(test_contact_ids_never_again)
{
	struct store *store = open_db(dbpath);
	char *err = NULL, *backup = xasprintf("%s/backup.db", dir);
	char *keep = xasprintf("%s/cirm.db.before-restore", dir);
	int64_t eva, olle, pia, kim;

	ck_assert_msg(store_contact_add(store, STORE_HANDLER, "Eva Ek", "eva",
					NULL, &eva, &err) == 0, "%s", err);
	ck_assert_msg(store_backup(store, backup, &err) == 0, "%s", err);
	ck_assert_msg(store_contact_add(store, STORE_HANDLER, "Olle Ek",
					"olle", NULL, &olle, &err) == 0, "%s",
		      err);
	ck_assert_int_eq(olle, eva + 1);
	ck_assert_msg(store_restore(store, backup, keep, NULL, &err) == 0,
		      "%s", err);
	ck_assert_msg(store_contact_add(store, STORE_HANDLER, "Pia Ek", "pia",
					NULL, &pia, &err) == 0, "%s", err);
	ck_assert_int_eq(pia, olle + 1);
	ck_assert_msg(store_exec(store, "DELETE FROM contact WHERE login = "
				 "'pia'", &err) == 0, "%s", err);
	ck_assert_msg(store_contact_add(store, STORE_CITIZEN, "Kim", NULL,
					NULL, &kim, &err) == 0, "%s", err);
	ck_assert_int_eq(kim, pia + 1);
	store_free(&store);
	free(backup);
	free(keep);
}
END_TEST

static int64_t
audit_entries(struct store *store)
{
	char *err = NULL;
	int64_t id = 0;
	char hash[65];

	ck_assert_msg(store_audit_hash(store, &id, hash, &err) >= 0, "%s",
		      err);
	return id;
}

/* A restore keeps the audit entries written since the backup (a
   retention's case.removed, a register extract) after the backup's, as
   they were, so that the chain holds and the newest id:hash kept
   elsewhere still verifies; a backup of another instance, whose log is
   not the start of this one's, keeps none (they are in KEEP). */
START_TEST(test_restore_keeps_audit_log)
{
	struct store *store = open_db(dbpath), *other;
	char *err = NULL, *backup = xasprintf("%s/backup.db", dir);
	char *keep = xasprintf("%s/cirm.db.before-restore", dir);
	char *keep2 = xasprintf("%s/cirm.db.before-restore-2", dir);
	char *odb = xasprintf("%s/other.db", dir);
	char *obackup = xasprintf("%s/other-backup.db", dir);
	char hash[65], hash_after[65];
	int64_t kept = -1, bad = 0, id = 0;

	ck_assert_msg(store_audit_add(store, 100, "cirmctl:root",
				      "instance.init", NULL, "0.1", &err) == 0,
		      "%s", err);
	ck_assert_msg(store_backup(store, backup, &err) == 0, "%s", err);
	ck_assert_msg(store_audit_add(store, 200, "cirmd", "case.removed",
				      "KS-2026-00001", "retention P1D", &err) ==
		      0, "%s", err);
	ck_assert_msg(store_audit_add(store, 300, "cirmctl:root",
				      "citizen.extract", "contact 7", NULL,
				      &err) == 0, "%s", err);
	ck_assert_int_eq(store_audit_hash(store, &id, hash, &err), 1);
	ck_assert_int_eq(id, 3);
	ck_assert_msg(store_restore(store, backup, keep, &kept, &err) == 0,
		      "%s", err);
	ck_assert_int_eq(kept, 2);
	ck_assert_int_eq(audit_entries(store), 3);
	ck_assert_int_eq(store_audit_verify(store, &bad, &err), 1);
	ck_assert_int_eq(store_audit_hash(store, &id, hash_after, &err), 1);
	ck_assert_str_eq(hash_after, hash);

	/* another instance's backup: its log alone */
	other = open_db(odb);
	ck_assert_msg(store_audit_add(other, 150, "cirmctl:root",
				      "instance.init", NULL, "0.1", &err) == 0,
		      "%s", err);
	ck_assert_msg(store_backup(other, obackup, &err) == 0, "%s", err);
	store_free(&other);
	ck_assert_msg(store_restore(store, obackup, keep2, &kept, &err) == 0,
		      "%s", err);
	ck_assert_int_eq(kept, 0);
	ck_assert_int_eq(audit_entries(store), 1);
	ck_assert_int_eq(store_audit_verify(store, &bad, &err), 1);
	store_free(&store);
	free(backup);
	free(keep);
	free(keep2);
	free(odb);
	free(obackup);
}
END_TEST

struct keys_seen {
	char text[512];
};

static int
keys_seen(const struct store_quarantine_key *k, void *ctx)
{
	struct keys_seen *ks = ctx;
	size_t len = strlen(ks->text);

	snprintf(ks->text + len, sizeof(ks->text) - len, "%s%s/%d/%d/%lld",
		 len > 0 ? " " : "", k->dedupe_key, k->discarded, k->released,
		 (long long)k->released_at);
	return 0;
}

/* The IMAP gateway learns what became of the notes of all the mail it
   gave up under one UIDVALIDITY in one query: each key with the prefix
   once, discarded when one of its notes was, with the last release of
   one (released at 40 and at 70 is released since 60, not since 75,
   the gateway asks); nothing of another UIDVALIDITY (12 is no prefix of 123) or
   another kind of key. By the index, among many rows. */
START_TEST(test_quarantine_keys)
{
	struct store *store = open_db(dbpath);
	struct keys_seen ks = { "" };
	sqlite3_stmt *st = NULL;
	char *err = NULL;
	int scans = -1, sorts = -1, steps = -1;

	ck_assert_int_eq(store_exec(store,
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
		"WHERE i < 3000) INSERT INTO quarantine (channel, source, "
		"received_at, quarantined_at, reason, raw, dedupe_key) SELECT "
		"'email', 'imap', i, i, 'r', X'', CASE WHEN i % 3 = 0 THEN "
		"'unfetchable:123:' || i WHEN i % 3 = 1 THEN 'mid:' || i END "
		"FROM n; "
		"INSERT INTO quarantine (channel, source, received_at, "
		"quarantined_at, reason, raw, dedupe_key, released_at, "
		"discarded_at) VALUES "
		"('email', 'imap', 1, 1, 'r', X'', 'unfetchable:12:7', 50, NULL), "
		"('email', 'imap', 1, 1, 'r', X'', 'unfetchable:12:7', NULL, NULL), "
		"('email', 'imap', 1, 1, 'r', X'', 'unfetchable:12:8', NULL, 60), "
		"('email', 'imap', 1, 1, 'r', X'', 'unfetchable:12:9', 40, NULL), "
		"('email', 'imap', 1, 1, 'r', X'', 'unfetchable:12:9', 70, NULL), "
		"('email', 'imap', 1, 1, 'r', X'', 'unfetchable:12:9', NULL, 80), "
		"('email', 'imap', 1, 1, 'r', X'', 'unfetchable:12:10', NULL, NULL), "
		"('email', 'imap', 1, 1, 'r', X'', 'unfetchable:13:7', 90, 90), "
		"('email', 'imap', 1, 1, 'r', X'', 'unfetchable:1:7', 90, 90), "
		"('email', 'imap', 1, 1, 'r', X'', 'imap:12:7', 90, 90)", &err),
		0);
	ck_assert_msg(store_quarantine_keys(store, "unfetchable:12:", keys_seen,
					    &ks, &err) == 0, "%s", err);
	ck_assert_str_eq(ks.text, "unfetchable:12:10/0/0/0 "
			 "unfetchable:12:7/0/1/50 unfetchable:12:8/1/0/0 "
			 "unfetchable:12:9/1/1/70");
	while ((st = sqlite3_next_stmt(store->db, st)) != NULL) {
		if (strstr(sqlite3_sql(st), "GROUP BY dedupe_key") != NULL) {
			scans = sqlite3_stmt_status(
				st, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0);
			sorts = sqlite3_stmt_status(
				st, SQLITE_STMTSTATUS_SORT, 0);
			steps = sqlite3_stmt_status(
				st, SQLITE_STMTSTATUS_VM_STEP, 0);
		}
	}
	ck_assert_int_eq(scans, 0);
	ck_assert_int_eq(sorts, 0);
	ck_assert_int_lt(steps, 300);

	/* 1: is no prefix of 12: nor 12: of 1: */
	ks.text[0] = '\0';
	ck_assert_int_eq(store_quarantine_keys(store, "unfetchable:1:",
					       keys_seen, &ks, &err), 0);
	ck_assert_str_eq(ks.text, "unfetchable:1:7/1/1/90");
	ks.text[0] = '\0';
	ck_assert_int_eq(store_quarantine_keys(store, "unfetchable:99:",
					       keys_seen, &ks, &err), 0);
	ck_assert_str_eq(ks.text, "");
	/* a prefix with no bound past it is refused, not read whole */
	ck_assert_int_eq(store_quarantine_keys(store, "", keys_seen, &ks,
					       &err), -1);
	free(err);
	store_free(&store);
}
END_TEST

static Suite *
store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("schema");
	TCase *num = tcase_create("numbers");
	TCase *data = tcase_create("data");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_open_pragmas);
	tcase_add_test(tc, test_busy_wait);
	tcase_add_test(tc, test_statement_cache_grows);
	tcase_add_test(tc, test_open_missing_without_create);
	tcase_add_test(tc, test_fresh_matches_golden);
	/* From every older version (1 .. latest-1). */
	tcase_add_loop_test(tc, test_stepwise_migration, 0,
			    store_schema_latest() - 1);
	tcase_add_test(tc, test_newer_schema_refused);
	tcase_add_test(tc, test_upgrade_keeps_copy);
	tcase_add_test(tc, test_wal_gathered);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(num, setup, teardown);
	tcase_set_timeout(num, 120);
	tcase_add_test(num, test_case_numbers);
	tcase_add_test(num, test_numbering_race);
	suite_add_tcase(s, num);

	tcase_add_checked_fixture(data, setup, teardown);
	tcase_add_test(data, test_case_list_and_get);
	tcase_add_test(data, test_group_lookup);
	tcase_add_test(data, test_contacts);
	tcase_add_test(data, test_fulltext_index);
	tcase_add_test(data, test_text_stored_once);
	tcase_add_test(data, test_outbox_text_once);
	tcase_add_test(data, test_dedupe_by_message_id);
	tcase_add_test(data, test_fulltext_search);
	tcase_add_test(data, test_fulltext_id_reused);
	tcase_add_test(data, test_inbox);
	tcase_add_test(data, test_inbox_raw_once);
	tcase_add_test(data, test_outbox_due_reads_a_batch);
	tcase_add_test(data, test_outbox_caseless_indexed);
	tcase_add_test(data, test_outbox_due_shares);
	tcase_add_test(data, test_audit_chain);
	tcase_add_test(data, test_restore_keeps_own_address);
	tcase_add_test(data, test_contact_ids_never_again);
	tcase_add_test(data, test_restore_keeps_audit_log);
	tcase_add_test(data, test_outbox_retention_audited);
	tcase_add_test(data, test_retention_case_whole);
	tcase_add_test(data, test_retention_dry_run_writes_nothing);
	tcase_add_test(data, test_quarantine_keys);
	suite_add_tcase(s, data);
	return s;
}

int
main(void)
{
	return tu_run(store_suite());
}
