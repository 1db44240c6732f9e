/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "store-private.h"

#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int put(struct store *store, const char *channel, const char *source,
	       int64_t received_at, const char *dedupe_key, const void *raw,
	       size_t len, const char *sha256, int64_t *id_r, char **error_r);

int
store_inbox_put(struct store *store, const char *channel, const char *source,
		int64_t received_at, const char *dedupe_key, const void *raw,
		size_t len, int64_t *id_r, char **error_r)
{
	return store_inbox_put_keyed(store, channel, source, received_at,
				     dedupe_key, raw, len, NULL, id_r, error_r);
}

/* All or nothing, in or out of a transaction: a row the schema refuses
   leaves no raw message behind. */
int
store_inbox_put_keyed(struct store *store, const char *channel,
		      const char *source, int64_t received_at,
		      const char *dedupe_key, const void *raw, size_t len,
		      const char *sha256, int64_t *id_r, char **error_r)
{
	static const char begin_sql[] = "SAVEPOINT inbox_put";
	static const char end_sql[] = "RELEASE inbox_put";
	sqlite3_stmt *st = store_stmt(store, begin_sql, error_r);
	int r;

	if (st == NULL || store_exec_stmt(store, st, "queue inbound message",
					  error_r) < 0)
		return -1;
	r = put(store, channel, source, received_at, dedupe_key, raw, len,
		sha256, id_r, error_r);
	if (r < 0) {
		(void)sqlite3_exec(store->db, "ROLLBACK TO inbox_put", NULL, NULL,
				   NULL);
		store_groups_forget(store);
	}
	if ((st = store_stmt(store, end_sql, r < 0 ? NULL : error_r)) == NULL ||
	    store_exec_stmt(store, st, "queue inbound message",
			    r < 0 ? NULL : error_r) < 0)
		return -1;
	return r;
}

/* With SHA256, the raw message goes into raw_message, where the message
   made of it will refer to it: written once, as it arrives, and not
   copied by the engine. The inbox row refers to it (raw_id) and owns
   it when it put it there; identical bytes delivered again share the
   row. Without, it waits in inbox.raw. */
static int
put(struct store *store, const char *channel, const char *source,
    int64_t received_at, const char *dedupe_key, const void *raw, size_t len,
    const char *sha256, int64_t *id_r, char **error_r)
{
	static const char seen_sql[] =
		"SELECT id FROM inbox WHERE dedupe_key = ?";
	static const char raw_sql[] =
		"INSERT INTO raw_message (sha256, raw) VALUES (?, ?) "
		"ON CONFLICT (sha256) DO NOTHING";
	static const char raw_id_sql[] =
		"SELECT id FROM raw_message WHERE sha256 = ?";
	static const char sql[] =
		"INSERT INTO inbox (channel, source, received_at, dedupe_key, raw, "
		"raw_id, raw_owned) VALUES (?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st;
	int64_t raw_id = 0;
	int owned = 0, r;

	if (dedupe_key != NULL) {
		if ((st = store_stmt(store, seen_sql, error_r)) == NULL)
			return -1;
		store_bind_text(st, 1, dedupe_key);
		r = store_one_row(store, st, NULL, NULL, "queue inbound message",
				  error_r);
		if (r != 0)
			return r < 0 ? -1 : 0;
	}
	if (sha256 != NULL) {
		if ((st = store_stmt(store, raw_sql, error_r)) == NULL)
			return -1;
		store_bind_text(st, 1, sha256);
		sqlite3_bind_blob64(st, 2, len > 0 ? raw : "", len,
				    SQLITE_STATIC);
		if (store_exec_stmt(store, st, "keep raw message", error_r) < 0)
			return -1;
		owned = sqlite3_changes(store->db) > 0;
		if (owned)
			raw_id = sqlite3_last_insert_rowid(store->db);
		else {
			if ((st = store_stmt(store, raw_id_sql, error_r)) == NULL)
				return -1;
			store_bind_text(st, 1, sha256);
			r = store_one_row(store, st, &raw_id, NULL,
					  "keep raw message", error_r);
			if (r == 0)
				*error_r = xstrdup("the raw message was not stored");
			if (r <= 0)
				return -1;
		}
	}
	if ((st = store_stmt(store, sql, error_r)) == NULL)
		return -1;
	store_bind_text(st, 1, channel);
	store_bind_text(st, 2, source);
	sqlite3_bind_int64(st, 3, received_at);
	store_bind_text(st, 4, dedupe_key);
	/* without a key, the bytes wait here; with one, in raw_message */
	if (sha256 == NULL)
		sqlite3_bind_blob64(st, 5, len > 0 ? raw : "", len,
				    SQLITE_STATIC);
	else {
		sqlite3_bind_zeroblob(st, 5, 0);
		sqlite3_bind_int64(st, 6, raw_id);
	}
	sqlite3_bind_int(st, 7, owned);
	if (store_exec_stmt(store, st, "queue inbound message", error_r) < 0)
		return -1;
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(store->db);
	return 1;
}

static int
each_inbox_row(struct store *store, sqlite3_stmt *st,
	       int (*fn)(const struct store_inbox_row *r, void *ctx), void *ctx,
	       int *found_r, char **error_r)
{
	int rc;

	*found_r = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_inbox_row r = {
			.id = sqlite3_column_int64(st, 0),
			.received_at = sqlite3_column_int64(st, 1),
			.channel = store_col_text(st, 2),
			.source = store_col_text(st, 3),
			.raw = sqlite3_column_blob(st, 4),
			.raw_len = (size_t)sqlite3_column_bytes(st, 4),
			.attempts = sqlite3_column_int(st, 5),
			.last_error = store_col_text(st, 6),
			.raw_sha256 = store_col_text(st, 8),
			.dedupe_key = store_col_text(st, 10),
		};
		const char *sha = r.raw_sha256;

		store->row_id = r.id;
		store->row_raw_id = sqlite3_column_int64(st, 7);
		store->row_raw_owned = sqlite3_column_int(st, 9);
		store->row_raw_kept = 0;
		snprintf(store->row_raw_sha, sizeof(store->row_raw_sha), "%s",
			 sha != NULL ? sha : "");
		(*found_r)++;
		if (fn(&r, ctx) != 0)
			break;
	}
	return store_rows_end(store, st, rc, "read inbox", error_r);
}

/* An inbox row by id, its raw read as RAW (the columns each_inbox_row
   takes). */
#define INBOX_ROW(raw) \
	"SELECT i.id, i.received_at, i.channel, i.source, " raw ", " \
	"i.attempts, i.last_error, i.raw_id, r.sha256, i.raw_owned, " \
	"i.dedupe_key " \
	"FROM inbox i LEFT JOIN raw_message r ON r.id = i.raw_id " \
	"WHERE i.id = ?"

int
store_inbox_due(struct store *store, int64_t now, int64_t after, int limit,
		int64_t *ids_r, int *attempts_r, int *n_r, char **error_r)
{
	static const char sql[] =
		"SELECT id, attempts FROM inbox WHERE next_attempt_at <= ? "
		"AND id > ? ORDER BY id LIMIT ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc = SQLITE_DONE, n = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, after);
	sqlite3_bind_int(st, 3, limit);
	while (n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		ids_r[n] = sqlite3_column_int64(st, 0);
		attempts_r[n] = sqlite3_column_int(st, 1);
		n++;
	}
	*n_r = n;
	/* At the limit the loop stopped on a row (or, for 0, did not step) */
	return store_rows_end(store, st, rc, "read inbox", error_r);
}

int
store_inbox_get(struct store *store, int64_t id, bool stored_raw,
		int (*fn)(const struct store_inbox_row *r, void *ctx), void *ctx,
		char **error_r)
{
	/* a row queued before migration 12 has its raw in inbox.raw */
	static const char sql[] = INBOX_ROW("coalesce(r.raw, i.raw)");
	/* the raw only when it is not in raw_message: a gateway's raw
	   (kilobytes, in overflow pages) is named by raw_sha256 */
	static const char sql_unstored[] =
		INBOX_ROW("CASE WHEN i.raw_id IS NULL THEN i.raw END");
	sqlite3_stmt *st = store_stmt(store, stored_raw ? sql : sql_unstored,
				      error_r);
	int found;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (each_inbox_row(store, st, fn, ctx, &found, error_r) < 0)
		return -1;
	return found > 0;
}

/* Adds DELTA (1 or -1) to the attempts of inbox row ID, never below 0. */
static int
add_attempt(struct store *store, int64_t id, int delta, char **error_r)
{
	static const char sql[] =
		"UPDATE inbox SET attempts = max(attempts + ?, 0) WHERE id = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, delta);
	sqlite3_bind_int64(st, 2, id);
	return store_exec_stmt(store, st, delta > 0 ? "claim inbox row" :
			       "unclaim inbox row", error_r);
}

int
store_inbox_claim(struct store *store, int64_t id, char **error_r)
{
	return add_attempt(store, id, 1, error_r);
}

int
store_inbox_unclaim(struct store *store, int64_t id, char **error_r)
{
	return add_attempt(store, id, -1, error_r);
}

/* Removes inbox row ID, and the raw message it put into raw_message
   unless the row's handler kept it (store_raw_put, for the message it
   made) or another queued row shares it. A kept raw belongs to its
   message: a queued row sharing it no longer owns it. A raw another
   row put there stays, whatever becomes of this one. The row just read
   (store_inbox_get) is removed with what that read found; nothing but
   its removal changes a row's raw_id or its own raw_owned. */
int
store_inbox_done(struct store *store, int64_t id, char **error_r)
{
	static const char sql[] =
		"DELETE FROM inbox WHERE id = ? RETURNING raw_id, raw_owned";
	static const char known_sql[] = "DELETE FROM inbox WHERE id = ?";
	static const char give_sql[] =
		"UPDATE inbox SET raw_owned = 0 WHERE raw_id = ? AND raw_owned = 1";
	static const char drop_sql[] =
		"DELETE FROM raw_message WHERE id = ?1 AND NOT EXISTS "
		"(SELECT 1 FROM inbox WHERE raw_id = ?1)";
	static const char pass_sql[] =
		"UPDATE inbox SET raw_owned = 1 WHERE id = "
		"(SELECT min(id) FROM inbox WHERE raw_id = ?)";
	bool known = store->row_id == id;
	sqlite3_stmt *st = store_stmt(store, known ? known_sql : sql, error_r);
	int64_t raw_id = store->row_raw_id, owned = store->row_raw_owned;
	int kept = store->row_raw_kept && store->row_raw_id != 0;
	int64_t kept_id = store->row_raw_id;

	store_row_forget(store);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (known) {
		if (store_exec_stmt(store, st, "remove inbox row", error_r) < 0)
			return -1;
		if (sqlite3_changes(store->db) == 0)
			return 0;
	} else {
		raw_id = owned = 0;
		if (store_one_row(store, st, &raw_id, &owned,
				  "remove inbox row", error_r) < 0)
			return -1;
	}
	kept = kept && raw_id == kept_id;
	/* a raw this row owned no other row owns: nothing to give */
	if (raw_id == 0 || (!owned && !kept) || (owned && kept))
		return 0;
	st = store_stmt(store, kept ? give_sql : drop_sql, error_r);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, raw_id);
	if (store_exec_stmt(store, st, "remove raw message", error_r) < 0)
		return -1;
	if (kept || sqlite3_changes(store->db) > 0)
		return 0;
	/* shared with rows still queued: one of them owns it now */
	if ((st = store_stmt(store, pass_sql, error_r)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, raw_id);
	return store_exec_stmt(store, st, "remove raw message", error_r);
}

int
store_inbox_retry(struct store *store, int64_t id, const char *reason,
		  int64_t next_at, char **error_r)
{
	static const char sql[] =
		"UPDATE inbox SET last_error = ?, next_attempt_at = ? "
		"WHERE id = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	store_row_forget(store);
	if (st == NULL)
		return -1;
	store_bind_text(st, 1, reason);
	sqlite3_bind_int64(st, 2, next_at);
	sqlite3_bind_int64(st, 3, id);
	return store_exec_stmt(store, st, "postpone inbox row", error_r);
}

int
store_inbox_quarantine(struct store *store, int64_t id, const char *reason,
		       int64_t now, int64_t *qid_r, char **error_r)
{
	return store_inbox_quarantine_keyed(store, id, reason, NULL, now,
					    qid_r, error_r);
}

int
store_inbox_quarantine_keyed(struct store *store, int64_t id,
			     const char *reason, const char *dedupe_key,
			     int64_t now, int64_t *qid_r, char **error_r)
{
	static const char move_sql[] =
		"INSERT INTO quarantine (channel, source, received_at, "
		"quarantined_at, reason, raw, dedupe_key) SELECT i.channel, "
		"i.source, i.received_at, ?, ?, coalesce(r.raw, i.raw), ? "
		"FROM inbox i LEFT JOIN raw_message r ON r.id = i.raw_id "
		"WHERE i.id = ?";
	sqlite3_stmt *st = store_stmt(store, move_sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	store_bind_text(st, 2, reason);
	store_bind_text(st, 3, dedupe_key);
	sqlite3_bind_int64(st, 4, id);
	if (store_exec_stmt(store, st, "quarantine inbox row", error_r) < 0)
		return -1;
	if (qid_r != NULL)
		*qid_r = sqlite3_last_insert_rowid(store->db);
	return store_inbox_done(store, id, error_r);
}

static int
count(struct store *store, const char *sql, int64_t now, int64_t *n_r,
      char **error_r)
{
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	if (sqlite3_bind_parameter_count(st) > 0)
		sqlite3_bind_int64(st, 1, now);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n_r = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : store_fail(store, "count", error_r);
}

int
store_quarantine_by_dedupe(struct store *store, const char *dedupe_key,
			   int64_t *qid_r, char **error_r)
{
	static const char sql[] =
		"SELECT id FROM quarantine WHERE dedupe_key = ? AND "
		"released_at IS NULL ORDER BY id LIMIT 1";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, dedupe_key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*qid_r = sqlite3_column_int64(st, 0);
	return store_row_end(store, st, rc, "find quarantined mail", error_r);
}

int
store_quarantine_released_for(struct store *store, const char *dedupe_key,
			      const char *reason, char **error_r)
{
	static const char sql[] =
		"SELECT 1 FROM quarantine WHERE dedupe_key = ? AND "
		"released_at IS NOT NULL AND reason = ? LIMIT 1";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, dedupe_key);
	store_bind_text(st, 2, reason);
	return store_one_row(store, st, NULL, NULL, "find released mail",
			     error_r);
}

/* The quarantined messages still waiting: neither released nor
   discarded. */
static const char quarantine_waiting[] =
	"SELECT count(*) FROM quarantine "
	"WHERE released_at IS NULL AND discarded_at IS NULL";

int
store_quarantine_waiting(struct store *store, int64_t *n_r, char **error_r)
{
	return count(store, quarantine_waiting, 0, n_r, error_r);
}

/* The text of the one row SQL finds, into BUF ("" when none): scrubbed
   of addresses and numbers (a server's answer may name a citizen) before
   it is cut, so that a cut never leaves part of a number. */
static int
newest_error(struct store *store, const char *sql, char *buf, size_t size,
	     char **error_r)
{
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	char *text = NULL, *clean, *one;
	int r;

	buf[0] = '\0';
	if (st == NULL ||
	    (r = store_one_text(store, st, &text, "count", error_r)) < 0)
		return -1;
	if (r > 0 && text != NULL) {
		clean = scrub_personal(text);
		/* room for the "…" text_excerpt adds */
		one = text_excerpt(clean, size - 4);
		snprintf(buf, size, "%s", one);
		free(one);
		free(clean);
	}
	free(text);
	return 0;
}

int
store_counts(struct store *store, int64_t now, struct store_counts *c_r,
	     char **error_r)
{
	static const char inbox[] = "SELECT count(*) FROM inbox";
	static const char due[] =
		"SELECT count(*) FROM inbox WHERE next_attempt_at <= ?";
	static const char outbox[] =
		"SELECT count(*) FROM outbox WHERE status IN ('queued', 'sending')";
	static const char cases[] = "SELECT count(*) FROM cases";
	static const char inbox_oldest[] =
		"SELECT coalesce(min(received_at), 0) FROM inbox";
	static const char outbox_oldest[] =
		"SELECT coalesce(min(created_at), 0) FROM outbox "
		"WHERE status IN ('queued', 'sending')";
	static const char inbox_failing[] =
		"SELECT count(*) FROM inbox WHERE last_error IS NOT NULL";
	static const char inbox_error[] =
		"SELECT last_error FROM inbox WHERE last_error IS NOT NULL "
		"ORDER BY id DESC LIMIT 1";
	static const char outbox_failing[] =
		"SELECT count(*) FROM outbox WHERE status IN ('queued', "
		"'sending') AND last_error IS NOT NULL";
	static const char outbox_error[] =
		"SELECT last_error FROM outbox WHERE status IN ('queued', "
		"'sending') AND last_error IS NOT NULL "
		"ORDER BY id DESC LIMIT 1";
	static const char notify_failed[] =
		"SELECT count(*) FROM event WHERE kind = 'notify.failed' "
		"AND at > ? - 86400";
	static const char notify_error[] =
		"SELECT detail FROM event WHERE kind = 'notify.failed' "
		"ORDER BY at DESC, id DESC LIMIT 1";
	static const char actions_skipped[] =
		"SELECT count(*) FROM event WHERE kind = 'action.skipped' "
		"AND at > ? - 86400";
	static const char skip_error[] =
		"SELECT detail FROM event WHERE kind = 'action.skipped' "
		"ORDER BY at DESC, id DESC LIMIT 1";
	static const char sms_partial[] =
		"SELECT count(*) FROM (SELECT 1 FROM sms_part WHERE done_at "
		"IS NULL GROUP BY source, sender, recipient, ref, total)";

	if (count(store, inbox, now, &c_r->inbox, error_r) < 0 ||
	    count(store, inbox_oldest, now, &c_r->inbox_oldest, error_r) < 0 ||
	    count(store, outbox_oldest, now, &c_r->outbox_oldest,
		  error_r) < 0 ||
	    count(store, due, now, &c_r->inbox_due, error_r) < 0 ||
	    store_quarantine_waiting(store, &c_r->quarantine, error_r) < 0 ||
	    count(store, outbox, now, &c_r->outbox, error_r) < 0 ||
	    count(store, cases, now, &c_r->cases, error_r) < 0 ||
	    count(store, inbox_failing, now, &c_r->inbox_failing,
		  error_r) < 0 ||
	    count(store, outbox_failing, now, &c_r->outbox_failing,
		  error_r) < 0 ||
	    newest_error(store, inbox_error, c_r->inbox_error,
			 sizeof(c_r->inbox_error), error_r) < 0 ||
	    newest_error(store, outbox_error, c_r->outbox_error,
			 sizeof(c_r->outbox_error), error_r) < 0 ||
	    count(store, notify_failed, now, &c_r->notify_failed,
		  error_r) < 0 ||
	    count(store, actions_skipped, now, &c_r->actions_skipped,
		  error_r) < 0 ||
	    count(store, sms_partial, now, &c_r->sms_partial, error_r) < 0)
		return -1;
	c_r->notify_error[0] = '\0';
	c_r->skip_error[0] = '\0';
	if (c_r->notify_failed > 0 &&
	    newest_error(store, notify_error, c_r->notify_error,
			 sizeof(c_r->notify_error), error_r) < 0)
		return -1;
	if (c_r->actions_skipped > 0 &&
	    newest_error(store, skip_error, c_r->skip_error,
			 sizeof(c_r->skip_error), error_r) < 0)
		return -1;
	return 0;
}

int
store_quarantine_list(struct store *store, int limit,
		      int (*fn)(const struct store_quarantined *q, void *ctx),
		      void *ctx, char **error_r)
{
	static const char sql[] =
		"SELECT id, received_at, quarantined_at, channel, source, reason, "
		"length(raw) FROM quarantine "
		"WHERE released_at IS NULL AND discarded_at IS NULL "
		"ORDER BY id DESC LIMIT ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, limit > 0 ? limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_quarantined q = {
			sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
			sqlite3_column_int64(st, 2), 0, 0, store_col_text(st, 3),
			store_col_text(st, 4), store_col_text(st, 5),
			(size_t)sqlite3_column_int64(st, 6), NULL,
		};

		if (fn(&q, ctx) != 0)
			break;
	}
	return store_rows_end(store, st, rc, "read quarantine", error_r);
}

int
store_gateway_state_get(struct store *store, const char *gateway,
			const char *key, char **value_r, char **error_r)
{
	static const char sql[] =
		"SELECT value FROM gateway_state WHERE gateway = ? AND key = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, gateway);
	store_bind_text(st, 2, key);
	return store_one_text(store, st, value_r, "read gateway state", error_r);
}

int
store_gateway_state_set(struct store *store, const char *gateway,
			const char *key, const char *value, char **error_r)
{
	static const char sql[] =
		"INSERT INTO gateway_state (gateway, key, value) VALUES (?, ?, ?) "
		"ON CONFLICT (gateway, key) DO UPDATE SET value = excluded.value";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, gateway);
	store_bind_text(st, 2, key);
	store_bind_text(st, 3, value);
	return store_exec_stmt(store, st, "write gateway state", error_r);
}

int
store_quarantine_exists(struct store *store, int64_t id, char **error_r)
{
	static const char sql[] = "SELECT 1 FROM quarantine WHERE id = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return store_row_end(store, st, sqlite3_step(st), "read quarantine",
			     error_r);
}

int
store_quarantine_get(struct store *store, int64_t id,
		     int (*fn)(const struct store_quarantined *q, const void *raw,
			       void *ctx),
		     void *ctx, char **error_r)
{
	static const char sql[] =
		"SELECT id, received_at, quarantined_at, coalesce(released_at, 0), "
		"coalesce(discarded_at, 0), channel, source, reason, length(raw), "
		"raw, dedupe_key FROM quarantine WHERE id = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		struct store_quarantined q = {
			sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
			sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
			sqlite3_column_int64(st, 4), store_col_text(st, 5),
			store_col_text(st, 6), store_col_text(st, 7),
			(size_t)sqlite3_column_int64(st, 8),
			store_col_text(st, 10),
		};

		fn(&q, sqlite3_column_blob(st, 9), ctx);
	}
	return store_row_end(store, st, rc, "read quarantine", error_r);
}

int
store_quarantine_release(struct store *store, int64_t id, int64_t now,
			 char **error_r)
{
	static const char copy_sql[] =
		"INSERT INTO inbox (channel, source, received_at, raw) "
		"SELECT channel, 'release', received_at, raw FROM quarantine "
		"WHERE id = ? AND released_at IS NULL AND discarded_at IS NULL";
	static const char mark_sql[] =
		"UPDATE quarantine SET released_at = ? WHERE id = ?";
	sqlite3_stmt *st = store_stmt(store, copy_sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (store_exec_stmt(store, st, "release", error_r) < 0)
		return -1;
	if (sqlite3_changes(store->db) == 0)
		return 0;
	st = store_stmt(store, mark_sql, error_r);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, id);
	return store_exec_stmt(store, st, "release", error_r) < 0 ? -1 : 1;
}

int
store_quarantine_resolve(struct store *store, const char *dedupe_key,
			 int64_t now, int64_t *ids_r, int max, int *n_r,
			 char **error_r)
{
	static const char sql[] =
		"UPDATE quarantine SET released_at = ? WHERE dedupe_key = ? AND "
		"released_at IS NULL AND discarded_at IS NULL RETURNING id";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	*n_r = 0;
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	store_bind_text(st, 2, dedupe_key);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (ids_r != NULL && *n_r < max)
			ids_r[*n_r] = sqlite3_column_int64(st, 0);
		(*n_r)++;
	}
	return store_rows_end(store, st, rc, "resolve quarantined mail",
			      error_r);
}

int
store_quarantine_discarded(struct store *store, const char *dedupe_key,
			   char **error_r)
{
	static const char sql[] =
		"SELECT id FROM quarantine WHERE dedupe_key = ? AND "
		"discarded_at IS NOT NULL LIMIT 1";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, dedupe_key);
	return store_one_row(store, st, NULL, NULL, "find discarded mail",
			     error_r);
}

int
store_quarantine_keys(struct store *store, const char *prefix,
		      int (*fn)(const struct store_quarantine_key *k, void *ctx),
		      void *ctx, char **error_r)
{
	/* a range, not LIKE or substr(): it searches quarantine_dedupe, in
	   key order, so that the GROUP BY needs no sort either */
	static const char sql[] =
		"SELECT dedupe_key, max(discarded_at IS NOT NULL), "
		"count(released_at), max(released_at) FROM quarantine "
		"WHERE dedupe_key >= ? AND dedupe_key < ? GROUP BY dedupe_key";
	size_t len = strlen(prefix);
	char *end = xstrdup(prefix);
	sqlite3_stmt *st;
	int rc, r;

	/* the first string past all those that start with PREFIX: its
	   last byte under 0xff one up, those after it cut */
	while (len > 0 && (unsigned char)end[len - 1] == 0xff)
		end[--len] = '\0';
	if (len == 0) {
		*error_r = xasprintf("read quarantine keys: no bound past "
				     "prefix \"%s\"", prefix);
		free(end);
		return -1;
	}
	end[len - 1]++;
	if ((st = store_stmt(store, sql, error_r)) == NULL) {
		free(end);
		return -1;
	}
	store_bind_text(st, 1, prefix);
	store_bind_text(st, 2, end);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_quarantine_key k = {
			store_col_text(st, 0), sqlite3_column_int(st, 1) != 0,
			sqlite3_column_int64(st, 2) > 0,
			sqlite3_column_int64(st, 3),
		};

		if (fn(&k, ctx) != 0)
			break;
	}
	r = store_rows_end(store, st, rc, "read quarantine keys", error_r);
	free(end);
	return r;
}

int
store_quarantine_prune(struct store *store, int64_t before, int64_t now,
		       bool dry_run, long *discarded_r, long *erased_r,
		       char **error_r)
{
	static const char count_sql[] =
		"SELECT (SELECT count(*) FROM quarantine WHERE released_at IS "
		"NULL AND discarded_at IS NULL AND quarantined_at < ?1), "
		"(SELECT count(*) FROM quarantine WHERE released_at < ?1 AND "
		"length(raw) > 0)";
	static const char discard_sql[] =
		"UPDATE quarantine SET discarded_at = ?2, raw = X'' WHERE "
		"released_at IS NULL AND discarded_at IS NULL AND "
		"quarantined_at < ?1";
	static const char erase_sql[] =
		"UPDATE quarantine SET raw = X'' WHERE released_at < ?1 AND "
		"length(raw) > 0";
	sqlite3_stmt *st;
	int64_t a = 0, b = 0;

	*discarded_r = *erased_r = 0;
	if (dry_run) {
		if ((st = store_stmt(store, count_sql, error_r)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, before);
		if (store_one_row(store, st, &a, &b, "count quarantine",
				  error_r) < 0)
			return -1;
		*discarded_r = (long)a;
		*erased_r = (long)b;
		return 0;
	}
	if ((st = store_stmt(store, discard_sql, error_r)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_int64(st, 2, now);
	if (store_exec_stmt(store, st, "discard quarantine", error_r) < 0)
		return -1;
	*discarded_r = sqlite3_changes(store->db);
	if ((st = store_stmt(store, erase_sql, error_r)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, before);
	if (store_exec_stmt(store, st, "erase released copies", error_r) < 0)
		return -1;
	*erased_r = sqlite3_changes(store->db);
	return 0;
}

int
store_quarantine_discard(struct store *store, int64_t id, int64_t now,
			 char **error_r)
{
	static const char sql[] =
		"UPDATE quarantine SET discarded_at = ?, raw = X'' "
		"WHERE id = ? AND released_at IS NULL AND discarded_at IS NULL";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, id);
	if (store_exec_stmt(store, st, "discard", error_r) < 0)
		return -1;
	return sqlite3_changes(store->db) > 0;
}
