/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_STORE_PRIVATE_H
#define CIRM_STORE_PRIVATE_H

#include "store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <time.h>

#define STORE_GROUPS_SEEN 8

struct store {
	sqlite3 *db;
	char *path;
	int upgraded_from; /* the schema store_open brought up to date */
	char *kept_copy;   /* the copy of it kept before (keep_older) */
	int busy; /* the last failure was a lock held by another */
	int busy_ms; /* how long to wait for a lock (busy_wait) */
	struct timespec busy_since; /* when this wait began */
	/* The inbox row being handled (store_inbox_get): its raw's row in
	   raw_message and key, and whether the handler kept it
	   (store_raw_put of that key); see store_inbox_done. */
	int64_t row_id;
	int64_t row_raw_id;
	int row_raw_owned;
	char row_raw_sha[65];
	int row_raw_kept;
	int row_raw_kept_depth; /* savepoints open when it was kept */
	int unindexed; /* messages added in this transaction */
	/* Groups looked up by name in this transaction (0: no such group):
	   nothing in a transaction of cirm changes them but
	   store_group_ensure, which forgets them, as the start and end of a
	   transaction and the rollback of a savepoint do. */
	struct store_group_seen {
		char *name;
		int64_t id;
	} groups[STORE_GROUPS_SEEN];
	int ngroups;
	/* Counts store_groups_forget: what was read of groups and their
	   members under one value still holds (store_groups_generation). */
	uint64_t groups_gen;
	int savepoints;
	struct store_cached {
		const char *sql; /* the key: a static string's address */
		sqlite3_stmt *stmt;
	} *cache; /* grows: one entry for each statement text used */
	size_t ncache, cache_cap;
	struct store_checkpointer *checkpointer; /* or NULL */
	struct store_profile *profile; /* store-profile.c, or NULL */
};

/* store-profile.c: sums the time of each statement from now on, until
   store_profile_stop writes the table to OUT (NULL: nowhere), per PER
   UNITs of work when PER > 0 ("event", say). store_open starts it when
   CIRM_SQL_PROFILE is set, and store_free stops it to stderr. */
void store_profile_start(struct store *store);
void store_profile_stop(struct store *store, FILE *out, long per,
			const char *unit);

/* store-vfs.c: the VFS that gathers WAL appends into one write. Register
   once, before the first connection; store_vfs_name() is its name for
   sqlite3_open_v2, or NULL (the default VFS) when it could not be. */
int store_vfs_register(void);
const char *store_vfs_name(void);
/* File control on the database handle: its WAL is written through
   (ARG: int *, 1) or gathered again (0). SQLITE_NOTFOUND when the
   connection is not on that VFS. For synchronous = NORMAL, whose
   commits publish WAL frames without syncing them first. */
#define STORE_FCNTL_WAL_THROUGH 0x43524d01
/* How long a connection waiting for a lock sleeps before try COUNT + 1
   (SQLite's busy handler count), in microseconds. */
long store_busy_pause_us(int count);
/* Forgets the inbox row being handled (store_inbox_get's record). */
void store_row_forget(struct store *store);
/* Forgets what store_group_by_name remembered: at the ends of a
   transaction, and when groups change. */
void store_groups_forget(struct store *store);

/* The background checkpointer (store-checkpoint.c): a second connection
   in a thread of its own copies the WAL back into the database while
   this connection goes on writing. */
int store_checkpointer_start(struct store *store, int threshold,
			     char **error_r);
void store_checkpointer_stop(struct store *store);

/* A migration takes the schema from version (index + 1) - 1 to index + 1. */
struct store_migration {
	const char *name;
	const char *sql;
};
extern const struct store_migration store_migrations[];
extern const size_t store_migration_count;

/* Marks that this transaction added messages, which store_commit then
   adds to the full-text index. */
void store_note_message(struct store *store);

/* Brings an open database to schema VERSION (tests use it to build a
   database at an old version). 0, or -1. */
int store_migrate(struct store *store, int version, char **error_r);

/* The prepared statement for SQL (a static string), reset and with its
   bindings cleared; NULL with *error_r. */
sqlite3_stmt *store_stmt(struct store *store, const char *sql,
			 char **error_r);
/* Sets *error_r to WHAT and SQLite's message, notes whether the database
   was busy, and returns -1. */
int store_fail(struct store *store, const char *what, char **error_r);
/* Runs ST (bound already) expecting at most one row with one or two
   integer columns. 1 with the values (A_R, B_R may be NULL), 0 when no
   row, -1. */
int store_one_row(struct store *store, sqlite3_stmt *st, int64_t *a_r,
		  int64_t *b_r, const char *what, char **error_r);
/* Runs ST (bound already) expecting at most one row with a text column:
   1 with *TEXT_R (caller frees; "" for NULL), 0 when no row (*TEXT_R
   untouched), -1. */
int store_one_text(struct store *store, sqlite3_stmt *st, char **text_r,
		   const char *what, char **error_r);
/* Steps a statement that returns no rows (or whose rows are ignored). */
int store_exec_stmt(struct store *store, sqlite3_stmt *st, const char *what,
		    char **error_r);
/* Ends a read of ST's rows, RC being the last sqlite3_step()'s result:
   resets ST and returns 0 when the rows were read (SQLITE_DONE, or
   SQLITE_ROW where the caller stopped early), else -1 through
   store_fail() with WHAT. */
int store_rows_end(struct store *store, sqlite3_stmt *st, int rc,
		   const char *what, char **error_r);
/* Runs SQL, whose rows are a name and a count, calling FN for each
   until it returns non-zero; WHAT for errors. 0, or -1. */
int store_name_counts(struct store *store, const char *sql, const char *what,
		      int (*fn)(const char *name, int64_t n, void *ctx),
		      void *ctx, char **error_r);
/* The same for a statement read for one row at most: 1 when RC is
   SQLITE_ROW, 0 when SQLITE_DONE, else -1 through store_fail(). */
int store_row_end(struct store *store, sqlite3_stmt *st, int rc,
		  const char *what, char **error_r);
/* Runs a statement without parameters (schema, pragmas). */
int store_exec(struct store *store, const char *sql, char **error_r);

/* Text column or NULL, as const char *. */
const char *store_col_text(sqlite3_stmt *st, int col);
/* Binds S, or NULL when S is NULL. */
int store_bind_text(sqlite3_stmt *st, int idx, const char *s);
/* Binds ID, or NULL when ID is 0. */
int store_bind_id(sqlite3_stmt *st, int idx, int64_t id);
/* SQL: whether the contact of table or alias T is not away (#borta):
   never set, or its day of return has come. */
#define STORE_PRESENT(t)                                                \
	"(" t ".away_until IS NULL OR " t ".away_until <= "            \
	"CAST(strftime('%s', 'now') AS INTEGER))"

#endif
