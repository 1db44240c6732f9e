/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "store-private.h"

#include "i18n.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Which file of the database at PATH this process may not write, said
   as "FILE is read-only for user NAME (why)", or NULL: the database,
   its -wal and -shm, and the directory when one of those is still to
   be made. SQLite alone says "attempt to write a readonly database". */
static char *
unwritable(const char *path)
{
	const char *suffix[] = { "", "-wal", "-shm" };
	char *file = NULL, *why = NULL;
	int missing = 0;

	for (size_t i = 0; i < N_ELEMENTS(suffix); i++) {
		int r;

		file = xasprintf("%s%s", path, suffix[i]);
		r = faccessat(AT_FDCWD, file, W_OK, AT_EACCESS);
		if (r < 0 && errno != ENOENT) {
			why = strerror(errno);
			break;
		}
		missing |= r < 0;	/* to be made */
		free(file);
		file = NULL;
	}
	if (why == NULL && missing) {
		file = path_dir(path);
		if (faccessat(AT_FDCWD, file, W_OK, AT_EACCESS) < 0)
			why = strerror(errno);
	}
	if (why == NULL) {
		free(file);
		return NULL;
	}
	{
		char me[USER_NAME_SIZE], *out;

		out = xasprintf(_("%s is read-only for user %s (%s)"), file,
				user_name(geteuid(), me), why);
		free(file);
		return out;
	}
}

int
store_check_write(struct store *store, char **error_r)
{
	char *why;
	int code;

	/* SQLite opens a file it may not write read-only, and then
	   fails each write */
	if (sqlite3_db_readonly(store->db, "main") == 1)
		code = SQLITE_READONLY;
	else if (sqlite3_exec(store->db, "BEGIN IMMEDIATE; ROLLBACK", NULL,
			      NULL, NULL) == SQLITE_OK)
		return 0;
	else
		code = sqlite3_errcode(store->db);
	/* another writer holds the lock: the engine waits for it */
	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		return 0;
	if (code == SQLITE_READONLY) {
		why = unwritable(store->path);
		*error_r = why != NULL ? why :
			   xasprintf(_("%s is read-only"), store->path);
		return -1;
	}
	return store_fail(store, "write", error_r);
}

int
store_fail(struct store *store, const char *what, char **error_r)
{
	int code = sqlite3_extended_errcode(store->db);
	char *why;

	store->busy = (code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED;
	/* Another process held the write lock for all of busy_timeout:
	   SQLite's "database is locked" alone reads like damage. */
	if (error_r != NULL && (code & 0xff) == SQLITE_BUSY)
		*error_r = xasprintf(_("%s: %s: the database is locked: another "
				       "process (cirmd, a gateway, cirmctl, an "
				       "sqlite3 shell left open) held it for "
				       "longer than busy_timeout: try again"),
				     store->path, what);
	else if (error_r != NULL && (code & 0xff) == SQLITE_READONLY &&
		 (why = unwritable(store->path)) != NULL) {
		*error_r = xasprintf("%s: %s: %s: %s", store->path, what,
				     sqlite3_errmsg(store->db), why);
		free(why);
	} else if (error_r != NULL)
		*error_r = xasprintf("%s: %s: %s", store->path, what,
				     sqlite3_errmsg(store->db));
	return -1;
}

int
store_busy(const struct store *store)
{
	return store->busy;
}

int
store_exec(struct store *store, const char *sql, char **error_r)
{
	char *msg = NULL;

	store->busy = 0;
	if (sqlite3_exec(store->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	sqlite3_free(msg);
	return store_fail(store, "exec", error_r);
}

sqlite3_stmt *
store_stmt(struct store *store, const char *sql, char **error_r)
{
	sqlite3_stmt *st;

	store->busy = 0;
	for (size_t i = 0; i < store->ncache; i++) {
		if (store->cache[i].sql == sql) {
			st = store->cache[i].stmt;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	}
	if (sqlite3_prepare_v3(store->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &st, NULL) != SQLITE_OK) {
		store_fail(store, "prepare", error_r);
		return NULL;
	}
	if (store->ncache == store->cache_cap) {
		store->cache_cap = store->cache_cap > 0 ? 2 * store->cache_cap : 64;
		store->cache = xrealloc(store->cache, store->cache_cap *
					sizeof(*store->cache));
	}
	store->cache[store->ncache].sql = sql;
	store->cache[store->ncache].stmt = st;
	store->ncache++;
	return st;
}

int
store_exec_stmt(struct store *store, sqlite3_stmt *st, const char *what,
		char **error_r)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE) {
		store_fail(store, what, error_r);
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

int
store_name_counts(struct store *store, const char *sql, const char *what,
		  int (*fn)(const char *name, int64_t n, void *ctx),
		  void *ctx, char **error_r)
{
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (fn((const char *)sqlite3_column_text(st, 0),
		       sqlite3_column_int64(st, 1), ctx) != 0)
			break;
	}
	return store_rows_end(store, st, rc, what, error_r);
}

int
store_rows_end(struct store *store, sqlite3_stmt *st, int rc,
	       const char *what, char **error_r)
{
	int ret = 0;

	/* The message is SQLite's for the failed step: take it before the
	   reset. */
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = store_fail(store, what, error_r);
	sqlite3_reset(st);
	return ret;
}

int
store_row_end(struct store *store, sqlite3_stmt *st, int rc, const char *what,
	      char **error_r)
{
	if (store_rows_end(store, st, rc, what, error_r) < 0)
		return -1;
	return rc == SQLITE_ROW;
}

const char *
store_col_text(sqlite3_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

int
store_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(st, idx);
	return sqlite3_bind_text(st, idx, s, -1, SQLITE_STATIC);
}

int
store_bind_id(sqlite3_stmt *st, int idx, int64_t id)
{
	if (id == 0)
		return sqlite3_bind_null(st, idx);
	return sqlite3_bind_int64(st, idx, id);
}

int
store_schema_latest(void)
{
	return (int)store_migration_count;
}

int
store_schema_version(struct store *store)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(store->db, "PRAGMA user_version", -1, &st,
			       NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

int
store_migrate(struct store *store, int version, char **error_r)
{
	for (;;) {
		int cur;
		char *set;

		if (store_begin(store, error_r) < 0)
			return -1;
		/* Read under the write lock: another process may have
		   migrated while we waited for it. */
		cur = store_schema_version(store);
		if (cur < 0) {
			store_rollback(store);
			return store_fail(store, "read schema version", error_r);
		}
		if (cur > store_schema_latest()) {
			store_rollback(store);
			*error_r = xasprintf(_("%s: database schema version %d is "
					       "newer than this cirm knows (%d): "
					       "a newer cirm has brought it up to "
					       "date; run that one, or go back to "
					       "the copy it kept beside it "
					       "(%s.before-upgrade-...) or the "
					       "backup taken before (see "
					       "Upgrading in cirmd(8))"),
					     store->path, cur, store_schema_latest(),
					     store->path);
			return -1;
		}
		if (cur >= version) {
			store_rollback(store);
			return 0;
		}
		set = xasprintf("PRAGMA user_version = %d", cur + 1);
		if (store_exec(store, store_migrations[cur].sql, error_r) < 0 ||
		    store_exec(store, set, error_r) < 0 ||
		    store_commit(store, error_r) < 0) {
			free(set);
			store_rollback(store);
			return -1;
		}
		free(set);
	}
}

/* The WAL pages at which the background checkpointer starts: SQLite's
   own wal_autocheckpoint default. */
#define STORE_CHECKPOINT_PAGES 1000

/* Waiting for a lock another connection holds. SQLite's own handler
   (sqlite3_busy_timeout) sleeps 1, 2, 5, 10, 15, 20, 25 ms and then up
   to 100 ms between tries: a gateway that finds the engine committing
   a batch could sleep on for tens of milliseconds after the lock was
   free, while its mail waited. Here a try comes every 0.1 ms at first
   and at most every 2 ms, each a failed fcntl(2); the wait ends at the
   connection's busy timeout. */
long
store_busy_pause_us(int count)
{
	return count < 10 ? 100 : count < 50 ? 500 : 2000;
}

static int
busy_wait(void *ctx, int count)
{
	struct store *store = ctx;
	struct timespec now, pause;
	int64_t us;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (count == 0)
		store->busy_since = now;
	us = (int64_t)(now.tv_sec - store->busy_since.tv_sec) * 1000000 +
	     (now.tv_nsec - store->busy_since.tv_nsec) / 1000;
	if (us >= (int64_t)store->busy_ms * 1000)
		return 0;
	us = store_busy_pause_us(count);
	pause.tv_sec = 0;
	pause.tv_nsec = (long)us * 1000;
	nanosleep(&pause, NULL);
	return 1;
}

static int
open_pragmas(struct store *store, int busy_ms, int cache_kib, char **error_r)
{
	sqlite3_stmt *st;
	int wal = 0;

	store->busy_ms = busy_ms;
	sqlite3_busy_handler(store->db, busy_wait, store);
	if (cache_kib > 0 && store_set_cache(store, cache_kib, error_r) < 0)
		return -1;
	/* trusted_schema stays on: the FTS5 index is written by triggers,
	   which SQLite refuses to do for an untrusted schema. Temporary
	   pages (savepoints, sorts) stay in memory: they hold citizens' mail
	   and must not spill to files outside the instance. What is
	   deleted (retention) is overwritten, not left in free pages,
	   whatever SQLite's build chose (Debian's does this already). */
	if (store_exec(store, "PRAGMA foreign_keys = ON; "
				  "PRAGMA synchronous = FULL; "
				  "PRAGMA temp_store = MEMORY; "
				  "PRAGMA secure_delete = ON",
		       error_r) < 0)
		return -1;
	if (sqlite3_prepare_v2(store->db, "PRAGMA journal_mode = WAL", -1, &st,
			       NULL) != SQLITE_OK)
		return store_fail(store, "journal_mode", error_r);
	if (sqlite3_step(st) == SQLITE_ROW)
		wal = strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
	sqlite3_finalize(st);
	if (!wal) {
		*error_r = xasprintf(_("%s: cannot switch the database to WAL "
				       "mode"), store->path);
		return -1;
	}
	return 0;
}

int
store_set_cache(struct store *store, int kib, char **error_r)
{
	char *sql = xasprintf("PRAGMA cache_size = -%d", kib);
	int r = store_exec(store, sql, error_r);

	free(sql);
	return r;
}

/* At NORMAL a commit is published without the WAL synced first: the
   WAL VFS then writes it through (see store-vfs.c). */
int
store_set_synchronous(struct store *store, int full, char **error_r)
{
	int through = !full;

	if (store_exec(store, full ? "PRAGMA synchronous = FULL" :
		       "PRAGMA synchronous = NORMAL", error_r) < 0)
		return -1;
	switch (sqlite3_file_control(store->db, "main", STORE_FCNTL_WAL_THROUGH,
				     &through)) {
	case SQLITE_OK:
	case SQLITE_NOTFOUND:
		return 0;
	default:
		return store_fail(store, "WAL writes", error_r);
	}
}

void
store_groups_forget(struct store *store)
{
	for (int i = 0; i < store->ngroups; i++)
		free(store->groups[i].name);
	store->ngroups = 0;
	store->groups_gen++;
}

uint64_t
store_groups_generation(struct store *store)
{
	if (sqlite3_get_autocommit(store->db))
		return 0;
	return store->groups_gen;
}

void
store_row_forget(struct store *store)
{
	store->row_id = 0;
	store->row_raw_id = 0;
	store->row_raw_owned = 0;
	store->row_raw_sha[0] = '\0';
	store->row_raw_kept = 0;
}

/* SQLite's memory statistics take a global mutex on every allocation,
   across all connections and threads; nothing here reads them. This
   must come before SQLite initialises itself (else it is refused, and
   the statistics stay on). */
static void
sqlite_setup(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	store_vfs_register();
}

/* Writes the copy of STORE's database, at schema version FROM, that an
   upgrade keeps: PATH.before-upgrade-YYYYMMDD-HHMMSS beside it (named
   as restore names the one it keeps), mode 0600 and the database's
   owner (cirmctl run as root on the service's instance), synced. 0, or
   -1 with *error_r. */
static int
keep_copy(struct store *store, int from, char **error_r)
{
	char stamp[40], *err = NULL;
	char *copy = kept_copy_name(store->path, "before-upgrade", cirm_now(),
				    stamp);
	struct stat st;
	int fd;

	if (store_backup(store, copy, &err) < 0 ||
	    chmod(copy, 0600) < 0 ||
	    (stat(store->path, &st) == 0 && geteuid() == 0 &&
	     chown(copy, st.st_uid, st.st_gid) < 0) ||
	    (fd = open(copy, O_RDONLY | O_CLOEXEC)) < 0) {
		*error_r = xasprintf(_("%s: database schema version %d is "
				       "older than this cirm's (%d), and the "
				       "copy of it kept before it is brought "
				       "up to date cannot be written, so it "
				       "is left as it was: %s"),
				     store->path, from, store_schema_latest(),
				     err != NULL ? err : strerror(errno));
		free(err);
		unlink(copy);
		free(copy);
		return -1;
	}
	if (fsync(fd) < 0 || fsync_parent(copy) < 0) {
		*error_r = xasprintf("%s: %s", copy, strerror(errno));
		close(fd);
		unlink(copy);
		free(copy);
		return -1;
	}
	close(fd);
	store->kept_copy = copy;
	return 0;
}

/* Brings STORE's older schema up to date, keeping a copy of it first
   (SET's keep_older) when it is a schema some cirm wrote (not a new
   file); or refuses to (SET's current_only). */
static int
upgrade(struct store *store, const struct store_settings *set,
	char **error_r)
{
	int from = store_schema_version(store), keep = set != NULL &&
						       set->keep_older;

	if (set != NULL && set->current_only && from >= 0 &&
	    from < store_schema_latest()) {
		*error_r = xasprintf(_("%s: database schema version %d is "
				       "older than this cirm's (%d), and is "
				       "brought up to date only when no older "
				       "cirmd runs on it: restart cirmd, or "
				       "start it (see Upgrading in cirmd(8))"),
				     store->path, from, store_schema_latest());
		return -1;
	}
	if (keep && from > 0 && from < store_schema_latest() &&
	    keep_copy(store, from, error_r) < 0)
		return -1;
	if (store_migrate(store, store_schema_latest(), error_r) < 0)
		return -1;
	if (from > 0 && from < store_schema_latest())
		store->upgraded_from = from;
	return 0;
}

int
store_upgraded(const struct store *store, const char **copy_r)
{
	*copy_r = store->kept_copy;
	return store->upgraded_from;
}

int
store_open(const char *path, const struct store_settings *set,
	   struct store **store_r, char **error_r)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
		    SQLITE_OPEN_NOFOLLOW;
	struct store *store = xcalloc(1, sizeof(*store));
	int busy_ms = set != NULL && set->busy_timeout_ms > 0 ?
			      set->busy_timeout_ms : 5000;

	pthread_once(&once, sqlite_setup);
	if (set != NULL && set->create)
		flags |= SQLITE_OPEN_CREATE;
	store->path = xstrdup(path);
	if (sqlite3_open_v2(path, &store->db, flags, store_vfs_name()) !=
	    SQLITE_OK) {
		*error_r = xasprintf(_("%s: cannot open database: %s"), path,
				     store->db != NULL ?
					     sqlite3_errmsg(store->db) :
					     "out of memory");
		store_free(&store);
		return -1;
	}
	sqlite3_extended_result_codes(store->db, 1);
	/* A schema already at the newest version (the usual case) needs no
	   write lock: versions only grow. One process per mail (the MTA's
	   pipe) should not take the lock twice. */
	if (open_pragmas(store, busy_ms, set != NULL ? set->cache_kib : 0,
			 error_r) < 0 ||
	    (store_schema_version(store) != store_schema_latest() &&
	     upgrade(store, set, error_r) < 0) ||
	    (set != NULL && set->background_checkpoint &&
	     store_checkpointer_start(store, STORE_CHECKPOINT_PAGES,
				      error_r) < 0)) {
		store_free(&store);
		return -1;
	}
	if (getenv("CIRM_SQL_PROFILE") != NULL)
		store_profile_start(store);
	*store_r = store;
	return 0;
}

void
store_free(struct store **storep)
{
	struct store *store = *storep;

	if (store == NULL)
		return;
	store_checkpointer_stop(store);
	store_profile_stop(store, stderr, 0, NULL);
	store_groups_forget(store);
	for (size_t i = 0; i < store->ncache; i++)
		sqlite3_finalize(store->cache[i].stmt);
	free(store->cache);
	if (store->db != NULL)
		sqlite3_close(store->db);
	free(store->path);
	free(store->kept_copy);
	free(store);
	*storep = NULL;
}

const char *
store_path(const struct store *store)
{
	return store->path;
}

int
store_backup(struct store *store, const char *path, char **error_r)
{
	sqlite3_stmt *st;
	int rc;

	/* not through store_stmt: VACUUM is not kept prepared */
	if (sqlite3_prepare_v2(store->db, "VACUUM INTO ?", -1, &st, NULL) !=
	    SQLITE_OK)
		return store_fail(store, "back up", error_r);
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	/* The copy's disk is full, or PATH is not writable: the message
	   names PATH, since the database's own disk may well have room. */
	switch (sqlite3_errcode(store->db)) {
	case SQLITE_FULL:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_PERM:
		*error_r = xasprintf(_("%s: the copy cannot be written: %s"),
				     path, sqlite3_errmsg(store->db));
		return -1;
	default:
		return store_fail(store, "back up", error_r);
	}
}

/* The summary of the database DB has open. 0, or -1 with *error_r. */
static int
summarise(sqlite3 *db, struct store_summary *sum_r, char **error_r)
{
	static const char sql[] =
		"SELECT (SELECT count(*) FROM cases), number, received_at "
		"FROM cases ORDER BY id DESC LIMIT 1";
	sqlite3_stmt *st;
	int rc;

	memset(sum_r, 0, sizeof(*sum_r));
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) ==
	    SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			sum_r->schema = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		*error_r = xasprintf("%s", sqlite3_errmsg(db));
		return -1;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *n = (const char *)sqlite3_column_text(st, 1);

		sum_r->cases = sqlite3_column_int64(st, 0);
		sum_r->newest = xstrdup(n != NULL ? n : "");
		sum_r->newest_at = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		*error_r = xasprintf("%s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

int
store_summary(struct store *store, struct store_summary *sum_r,
	      char **error_r)
{
	return summarise(store->db, sum_r, error_r);
}

/* Opens PATH, a database file not the instance's own (a backup), to
   read it: read-write only for a WAL's shared memory; nothing is
   written, and an older schema is not brought up to date. 0, or -1. */
static int
open_file(const char *path, sqlite3 **db_r, char **error_r)
{
	if (sqlite3_open_v2(path, db_r, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		*error_r = xasprintf("%s: %s", path, *db_r != NULL ?
				     sqlite3_errmsg(*db_r) : "out of memory");
		sqlite3_close(*db_r);
		*db_r = NULL;
		return -1;
	}
	sqlite3_busy_timeout(*db_r, 5000);
	return 0;
}

int
store_summary_file(const char *path, struct store_summary *sum_r,
		   char **error_r)
{
	sqlite3 *db = NULL;
	char *err = NULL;
	int r;

	if (open_file(path, &db, error_r) < 0)
		return -1;
	r = summarise(db, sum_r, &err);
	if (r < 0) {
		*error_r = xasprintf(_("%s: not a cirm database (%s)"), path,
				     err);
		free(err);
	}
	sqlite3_close(db);
	return r;
}

/* Takes STORE's database for this connection alone until
   release_exclusive: in WAL mode, exclusive locking mode keeps the lock
   of its first write. */
static int
take_exclusive(struct store *store, char **error_r)
{
	if (store_exec(store, "PRAGMA locking_mode = EXCLUSIVE", error_r) < 0)
		return -1;
	if (store_exec(store, "BEGIN EXCLUSIVE", error_r) < 0)
		return -1;
	return store_exec(store, "COMMIT", error_r);
}

static void
release_exclusive(struct store *store)
{
	char *err = NULL;

	/* the lock goes at the next access in normal mode */
	if (store_exec(store, "PRAGMA locking_mode = NORMAL", &err) < 0 ||
	    store_exec(store, "SELECT count(*) FROM sqlite_schema", &err) < 0)
		free(err);
}

/* Runs SQL, one statement, on STORE: 0, or -1 with WHAT failing. */
static int
keep_step(struct store *store, const char *sql, const char *what,
	  char **error_r)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(store->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_fail(store, what, error_r);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : store_fail(store, what, error_r);
}

/* Runs SQL, keep_numbers' copy of the audit entries written since the
   backup, and counts them into *KEPT_R. 0, or -1. */
static int
keep_audit(struct store *store, const char *sql, int64_t *kept_r,
	   char **error_r)
{
	if (keep_step(store, sql, "keep the audit log", error_r) < 0)
		return -1;
	*kept_r = sqlite3_changes(store->db);
	return 0;
}

/* What the citizens were told since the backup was taken stays true
   (KEEP, the replaced database, at the present schema as the restored
   one is by now):
   - the case numbers given stay given: each sequence goes on from the
     larger of the restored database's and the replaced one's;
   - whoever opted out of SMS (STOP) in either is opted out: a citizen
     who did so after the backup would otherwise get SMS again;
   - a case officer's own address is as far on as in either (cirmctl
     handler set --new-address): one replaced since the backup was
     replaced because someone else may have it, and would be taken
     again, and given again by the next replacement;
   - the contact ids given stay given: an officer added since the
     backup has signed addresses with the id in them, which a new
     contact of that id would inherit;
   - the audit log goes on: the entries written since the backup (a
     retention's case.removed, a register extract, ...) are kept after
     the backup's, as they were, when the backup's log is the start of
     the replaced one (the backup is this instance's), so that its hash
     chain holds and an id:hash kept elsewhere still verifies. How many
     in *AUDIT_KEPT_R. */
static int
keep_numbers(struct store *store, const char *keep, int64_t *audit_kept_r,
	     char **error_r)
{
	static const char sql[] =
		"INSERT INTO case_sequence (prefix, year, last) "
		"SELECT prefix, year, last FROM before.case_sequence WHERE 1 "
		"ON CONFLICT (prefix, year) DO UPDATE "
		"SET last = max(last, excluded.last)";
	static const char optout_sql[] =
		"INSERT INTO sms_optout (number, at, keyword) "
		"SELECT number, at, keyword FROM before.sms_optout WHERE 1 "
		"ON CONFLICT (number) DO NOTHING";
	static const char contact_sql[] =
		"UPDATE contact_sequence SET last = max(last, "
		"coalesce((SELECT max(last) FROM before.contact_sequence), 0), "
		"(SELECT coalesce(max(id), 0) FROM before.contact))";
	static const char own_sql[] =
		"UPDATE contact SET address_generation = b.address_generation "
		"FROM before.contact b WHERE b.id = contact.id AND "
		"b.kind = 'handler' AND contact.kind = 'handler' AND "
		"b.address_generation > contact.address_generation";
	static const char audit_sql[] =
		"INSERT INTO main.audit (id, at, actor, action, object, "
		"detail, hash) SELECT b.id, b.at, b.actor, b.action, "
		"b.object, b.detail, b.hash FROM before.audit b "
		"WHERE b.id > (SELECT coalesce(max(id), 0) FROM main.audit) "
		"AND EXISTS (SELECT 1 FROM main.audit a JOIN before.audit o "
		"ON o.id = a.id AND o.hash = a.hash "
		"WHERE a.id = (SELECT max(id) FROM main.audit)) "
		"ORDER BY b.id";
	sqlite3_stmt *st;
	int rc, ret = 0;

	*audit_kept_r = 0;
	if (sqlite3_prepare_v2(store->db, "ATTACH ? AS before", -1, &st,
			       NULL) != SQLITE_OK)
		return store_fail(store, "attach", error_r);
	sqlite3_bind_text(st, 1, keep, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(store, "attach", error_r);
	if (keep_step(store, "BEGIN", "keep the case numbers", error_r) < 0)
		ret = -1;
	else if (keep_step(store, sql, "keep the case numbers",
			   error_r) < 0 ||
		 keep_step(store, optout_sql, "keep the SMS opt-outs",
			   error_r) < 0 ||
		 keep_step(store, own_sql, "keep the own addresses",
			   error_r) < 0 ||
		 keep_step(store, contact_sql, "keep the contact ids",
			   error_r) < 0 ||
		 keep_audit(store, audit_sql, audit_kept_r, error_r) < 0 ||
		 keep_step(store, "COMMIT", "keep the case numbers",
			   error_r) < 0) {
		ret = -1;
		(void)sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
	}
	{
		char *err = NULL;

		if (store_exec(store, "DETACH before", &err) < 0) {
			if (ret == 0) {
				*error_r = err;
				return -1;
			}
			free(err);
		}
	}
	return ret;
}

int
store_file_check(const char *path, char **error_r)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	const char *text;
	int rc;

	if (open_file(path, &db, error_r) < 0)
		return -1;
	rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	text = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) :
				  sqlite3_errmsg(db);
	rc = rc == SQLITE_ROW && text != NULL && strcmp(text, "ok") == 0 ?
		     0 : -1;
	if (rc < 0) {
		/* SQLite's answer spans lines ("*** in database main ***"
		   first): one line, as every message */
		*error_r = xasprintf(_("%s is damaged (PRAGMA quick_check: "
				       "%s)"), path,
				     text != NULL ? text : "no answer");
		for (char *p = *error_r; *p != '\0'; p++)
			if (*p == '\n')
				*p = ' ';
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

int
store_restore(struct store *store, const char *from, const char *keep,
	      int64_t *audit_kept_r, char **error_r)
{
	int64_t audit_kept = 0;
	struct store_summary sum;
	sqlite3 *src = NULL;
	sqlite3_backup *b;
	char *err = NULL;
	int rc;

	if (take_exclusive(store, error_r) < 0) {
		release_exclusive(store);
		return -1;
	}
	if (store_backup(store, keep, error_r) < 0)
		goto fail;
	if (open_file(from, &src, error_r) < 0)
		goto fail;
	if (summarise(src, &sum, &err) < 0 || sum.schema < 1) {
		*error_r = xasprintf(_("%s: not a cirm database (%s)"), from,
				     err != NULL ? err : "no schema");
		free(err);
		free(sum.newest);
		goto fail;
	}
	free(sum.newest);
	if (sum.schema > store_schema_latest()) {
		*error_r = xasprintf(_("%s: from a newer cirm (schema %d; "
				       "this one knows %d)"), from,
				     sum.schema, store_schema_latest());
		goto fail;
	}
	b = sqlite3_backup_init(store->db, "main", src, "main");
	if (b == NULL) {
		store_fail(store, "restore", error_r);
		goto fail;
	}
	rc = sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		*error_r = xasprintf("restore: %s", sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_close(src);
	src = NULL;
	/* an older backup's schema brought up to date first, under the
	   lock still: what keep_numbers merges into exists then (the
	   replaced database is at the present schema, store_open made it
	   so) */
	if (store_migrate(store, store_schema_latest(), error_r) < 0 ||
	    keep_numbers(store, keep, &audit_kept, error_r) < 0)
		goto fail;
	release_exclusive(store);
	if (audit_kept_r != NULL)
		*audit_kept_r = audit_kept;
	return 0;
fail:
	sqlite3_close(src);
	release_exclusive(store);
	return -1;
}

int
store_quick_check(struct store *store, char **error_r)
{
	sqlite3_stmt *st;
	const char *text;
	int rc, ret;

	if (sqlite3_prepare_v2(store->db, "PRAGMA quick_check(1)", -1, &st,
			       NULL) != SQLITE_OK)
		return store_fail(store, "check the database", error_r);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return store_fail(store, "check the database", error_r);
	}
	text = (const char *)sqlite3_column_text(st, 0);
	ret = text != NULL && strcmp(text, "ok") == 0;
	if (!ret)
		*error_r = xstrdup(text != NULL ? text : "no answer");
	sqlite3_finalize(st);
	return ret;
}

int
store_begin(struct store *store, char **error_r)
{
	static const char sql[] = "BEGIN IMMEDIATE";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	store_groups_forget(store);
	if (st == NULL)
		return -1;
	return store_exec_stmt(store, st, "begin", error_r);
}

int
store_begin_try(struct store *store, char **error_r)
{
	int busy_ms = store->busy_ms, r;

	store->busy_ms = 0; /* the busy handler gives up at once */
	r = store_begin(store, error_r);
	store->busy_ms = busy_ms;
	if (r == 0)
		return 1;
	if (!store_busy(store))
		return -1;
	free(*error_r);
	*error_r = NULL;
	return 0;
}

void
store_note_message(struct store *store)
{
	store->unindexed = 1;
}

int
store_index_merge(struct store *store, int pages, bool *done_r,
		  char **error_r)
{
	/* negative: every segment on one level, and as few as two
	   merged, so that steps end with a single segment */
	static const char sql[] =
		"INSERT INTO message_fts(message_fts, rank) VALUES ('merge', ?)";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int before = sqlite3_total_changes(store->db);

	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, -pages);
	if (store_exec_stmt(store, st, "merge the full-text index",
			    error_r) < 0)
		return -1;
	/* FTS5: fewer than two changes means no work was done */
	*done_r = sqlite3_total_changes(store->db) - before < 2;
	return 0;
}

/* Adds the messages of this transaction to the full-text index, in one
   statement for all of them: the ones people wrote (direction 'in'),
   not what cirm sends (migration 9). */
static int
index_messages(struct store *store, char **error_r)
{
	static const char add_sql[] =
		"INSERT INTO message_fts (rowid, subject, body_stripped) "
		"SELECT id, subject, body_stripped FROM message "
		"WHERE id > (SELECT last_message FROM fts_position) "
		"AND direction = 'in' ORDER BY id";
	static const char pos_sql[] =
		"UPDATE fts_position SET last_message = "
		"max(last_message, (SELECT coalesce(max(id), 0) FROM message))";
	sqlite3_stmt *st;

	if (!store->unindexed)
		return 0;
	st = store_stmt(store, add_sql, error_r);
	if (st == NULL || store_exec_stmt(store, st, "index messages", error_r) < 0)
		return -1;
	st = store_stmt(store, pos_sql, error_r);
	if (st == NULL || store_exec_stmt(store, st, "index messages", error_r) < 0)
		return -1;
	store->unindexed = 0;
	return 0;
}

int
store_commit(struct store *store, char **error_r)
{
	static const char sql[] = "COMMIT";
	sqlite3_stmt *st;

	store_groups_forget(store);
	if (index_messages(store, error_r) < 0)
		return -1;
	st = store_stmt(store, sql, error_r);
	if (st == NULL)
		return -1;
	return store_exec_stmt(store, st, "commit", error_r);
}

void
store_rollback(struct store *store)
{
	if (!sqlite3_get_autocommit(store->db))
		(void)sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
	store->savepoints = 0;
	store->unindexed = 0;
	store_row_forget(store);
	store_groups_forget(store);
}

/* The engine takes a savepoint per row: prepared once, not parsed by
   sqlite3_exec each time. */
int
store_savepoint(struct store *store, char **error_r)
{
	static const char sql[] = "SAVEPOINT row";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	/* outside a transaction, a savepoint begins one */
	if (sqlite3_get_autocommit(store->db))
		store_groups_forget(store);
	if (st == NULL || store_exec_stmt(store, st, "savepoint", error_r) < 0)
		return -1;
	store->savepoints++;
	return 0;
}

int
store_savepoint_release(struct store *store, char **error_r)
{
	static const char sql[] = "RELEASE row";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL || store_exec_stmt(store, st, "release savepoint",
					  error_r) < 0)
		return -1;
	store->savepoints--;
	return 0;
}

void
store_savepoint_rollback(struct store *store)
{
	int level = store->savepoints;

	(void)sqlite3_exec(store->db, "ROLLBACK TO row; RELEASE row", NULL,
			   NULL, NULL);
	store->savepoints--;
	/* a group it added is gone again */
	store_groups_forget(store);
	/* a raw kept inside this savepoint is no longer kept */
	if (store->row_raw_kept && store->row_raw_kept_depth >= level)
		store->row_raw_kept = 0;
}

int
store_one_text(struct store *store, sqlite3_stmt *st, char **text_r,
	       const char *what, char **error_r)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		const char *t = store_col_text(st, 0);

		*text_r = xstrdup(t != NULL ? t : "");
	}
	return store_row_end(store, st, rc, what, error_r);
}

int
store_one_row(struct store *store, sqlite3_stmt *st, int64_t *a_r, int64_t *b_r,
	      const char *what, char **error_r)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		if (a_r != NULL)
			*a_r = sqlite3_column_int64(st, 0);
		if (b_r != NULL)
			*b_r = sqlite3_column_int64(st, 1);
	}
	return store_row_end(store, st, rc, what, error_r);
}
