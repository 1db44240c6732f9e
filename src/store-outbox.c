/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The outbound queue as the sending gateways (smtp, sink) work it, and
   its permanent failures as the engine takes them up. */
#include "config.h"

#include "store-private.h"

#include "util.h"

#include <stdlib.h>
#include <string.h>

int
store_outbox_due(struct store *store, const char *channel, int64_t now,
		 int64_t after, int shares, int share, int limit, int leftovers,
		 int (*fn)(const struct store_outbox_row *r, void *ctx),
		 void *ctx, char **error_r)
{
/* the text of a row with body_in_message is its message's (as in the
   view outbox_mail; written out, so that the plan is this one's) */
#define OUTBOX_ROW_COLUMNS \
	"SELECT o.id, coalesce(o.case_id, 0), coalesce(o.message_id, 0), " \
	"o.created_at, o.channel, o.recipient, o.rfc_message_id, o.subject, " \
	"o.headers, CASE WHEN o.body_in_message THEN " \
	"coalesce(m.body_stripped, '') ELSE o.body END, o.attempts " \
	"FROM outbox o LEFT JOIN message m " \
	"ON o.body_in_message AND m.id = o.message_id "
	static const char queued_sql[] = OUTBOX_ROW_COLUMNS
		"WHERE o.status = 'queued' AND o.next_attempt_at <= ? "
		"AND o.channel = ? AND o.id > ? "
		"AND coalesce(o.case_id, o.id) % ? = ? ORDER BY o.id LIMIT ?";
	static const char sending_sql[] = OUTBOX_ROW_COLUMNS
		"WHERE o.status = 'sending' AND ? >= 0 AND o.channel = ? "
		"AND o.id > ? AND coalesce(o.case_id, o.id) % ? = ? "
		"ORDER BY o.id LIMIT ?";
	sqlite3_stmt *st = store_stmt(store, leftovers ? sending_sql : queued_sql,
				      error_r);
	int rc, n = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	store_bind_text(st, 2, channel);
	sqlite3_bind_int64(st, 3, after);
	sqlite3_bind_int(st, 4, shares > 1 ? shares : 1);
	sqlite3_bind_int(st, 5, shares > 1 ? share : 0);
	sqlite3_bind_int(st, 6, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *body = sqlite3_column_blob(st, 9);
		struct store_outbox_row r = {
			.id = sqlite3_column_int64(st, 0),
			.case_id = sqlite3_column_int64(st, 1),
			.message_id = sqlite3_column_int64(st, 2),
			.created_at = sqlite3_column_int64(st, 3),
			.channel = store_col_text(st, 4),
			.recipient = store_col_text(st, 5),
			.rfc_message_id = store_col_text(st, 6),
			.subject = store_col_text(st, 7),
			.headers = store_col_text(st, 8),
			.body_len = (size_t)sqlite3_column_bytes(st, 9),
			.attempts = sqlite3_column_int(st, 10),
		};
		char *copy = NULL;
		int stop;

		/* A blob is not NUL-terminated; a text is. */
		if (sqlite3_column_type(st, 9) == SQLITE_BLOB) {
			copy = xmalloc(r.body_len + 1);
			memcpy(copy, body, r.body_len);
			copy[r.body_len] = '\0';
			r.body = copy;
		} else
			r.body = body != NULL ? (const char *)
				sqlite3_column_text(st, 9) : "";
		n++;
		stop = fn(&r, ctx);
		free(copy);
		if (stop != 0)
			break;
	}
	if (store_rows_end(store, st, rc, "read outbox", error_r) < 0)
		return -1;
	return n;
#undef OUTBOX_ROW_COLUMNS
}

int
store_outbox_claim(struct store *store, int64_t id, const char *rfc_message_id,
		   char **error_r)
{
	static const char sql[] =
		"UPDATE outbox SET status = 'sending', "
		"rfc_message_id = coalesce(rfc_message_id, ?) "
		"WHERE id = ? AND status IN ('queued', 'sending')";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, rfc_message_id);
	sqlite3_bind_int64(st, 2, id);
	if (store_exec_stmt(store, st, "claim outbox row", error_r) < 0)
		return -1;
	return sqlite3_changes(store->db) > 0;
}

int
store_outbox_keep_message_id(struct store *store, int64_t id,
			     const char *rfc_message_id, char **error_r)
{
	static const char sql[] =
		"UPDATE outbox SET rfc_message_id = ? "
		"WHERE id = ? AND rfc_message_id IS NULL";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, rfc_message_id);
	sqlite3_bind_int64(st, 2, id);
	return store_exec_stmt(store, st, "store Message-ID", error_r);
}

int
store_outbox_sent(struct store *store, int64_t id, int64_t now, char **error_r)
{
	static const char sql[] =
		"UPDATE outbox SET status = 'sent', sent_at = ? WHERE id = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, id);
	return store_exec_stmt(store, st, "mark outbox row sent", error_r);
}

/* Back to 'queued', due at NEXT_AT; COUNT: one more failed attempt,
   with REASON as the last error; else no attempt, and REASON kept only
   when there is one. */
static int
put_back(struct store *store, int64_t id, const char *reason,
	 int64_t next_at, int count, char **error_r)
{
	static const char sql[] =
		"UPDATE outbox SET status = 'queued', attempts = attempts + ?4, "
		"last_error = CASE WHEN ?4 THEN ?1 "
		"ELSE coalesce(?1, last_error) END, next_attempt_at = ?2 "
		"WHERE id = ?3 AND status IN ('queued', 'sending')";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, reason);
	sqlite3_bind_int64(st, 2, next_at);
	sqlite3_bind_int64(st, 3, id);
	sqlite3_bind_int(st, 4, count != 0);
	return store_exec_stmt(store, st, count ? "postpone outbox row" :
			       "put outbox row back", error_r);
}

int
store_outbox_retry(struct store *store, int64_t id, const char *reason,
		   int64_t next_at, char **error_r)
{
	return put_back(store, id, reason, next_at, 1, error_r);
}

int
store_outbox_requeue(struct store *store, int64_t id, const char *reason,
		     int64_t next_at, char **error_r)
{
	return put_back(store, id, reason, next_at, 0, error_r);
}

int
store_outbox_failures(struct store *store, int limit,
		      int (*fn)(const struct store_outbox_failure *f, void *ctx),
		      void *ctx, char **error_r)
{
	static const char sql[] =
		"SELECT o.id, coalesce(o.case_id, 0), coalesce(o.message_id, 0), "
		"o.channel, o.recipient, o.rfc_message_id, o.last_error, "
		"o.attempts, o.created_at, CASE WHEN o.body_in_message THEN "
		"coalesce(m.body_stripped, '') ELSE o.body END "
		"FROM outbox o LEFT JOIN message m "
		"ON o.body_in_message AND m.id = o.message_id "
		"WHERE o.status = 'failed' AND o.failure_handled = 0 "
		"ORDER BY o.id LIMIT ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, limit > 0 ? limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_outbox_failure f = {
			.id = sqlite3_column_int64(st, 0),
			.case_id = sqlite3_column_int64(st, 1),
			.message_id = sqlite3_column_int64(st, 2),
			.channel = store_col_text(st, 3),
			.recipient = store_col_text(st, 4),
			.rfc_message_id = store_col_text(st, 5),
			.reason = store_col_text(st, 6),
			.attempts = sqlite3_column_int(st, 7),
			.created_at = sqlite3_column_int64(st, 8),
			.body = store_col_text(st, 9),
		};

		if (fn(&f, ctx) != 0)
			break;
	}
	return store_rows_end(store, st, rc, "read outbox failures", error_r);
}

int
store_outbox_failure_handled(struct store *store, int64_t id, char **error_r)
{
	static const char sql[] =
		"UPDATE outbox SET failure_handled = 1 "
		"WHERE id = ? AND status = 'failed' AND failure_handled = 0";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (store_exec_stmt(store, st, "mark outbox failure handled",
			    error_r) < 0)
		return -1;
	return sqlite3_changes(store->db) > 0;
}

int
store_outbox_prune(struct store *store, int64_t before, int64_t from,
		   int64_t count, bool dry_run, int64_t *next_r, long *n_r,
		   char **error_r)
{
	/* a row with a message belongs to the message's case (message
	   rows always have one); an unhandled failure is still to be told
	   of; queued and sending rows are still to be sent */
#define DUE_ROWS \
	"FROM outbox WHERE id >= ?1 AND id < ?1 + ?2 " \
	"AND case_id IS NULL AND message_id IS NULL " \
	"AND (status = 'sent' OR (status = 'failed' AND failure_handled = 1)) " \
	"AND coalesce(sent_at, created_at) < ?3"
	static const char delete_sql[] = "DELETE " DUE_ROWS;
	static const char count_sql[] = "SELECT count(*) " DUE_ROWS;
	static const char last_sql[] = "SELECT coalesce(max(id), 0) FROM outbox";
#undef DUE_ROWS
	sqlite3_stmt *st;
	int64_t n = 0, last = 0;

	if ((st = store_stmt(store, dry_run ? count_sql : delete_sql,
			     error_r)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, count);
	sqlite3_bind_int64(st, 3, before);
	if (dry_run) {
		if (store_one_row(store, st, &n, NULL, "read outbox",
				  error_r) < 0)
			return -1;
	} else {
		if (store_exec_stmt(store, st, "prune outbox", error_r) < 0)
			return -1;
		n = sqlite3_changes(store->db);
	}
	*n_r += (long)n;
	if ((st = store_stmt(store, last_sql, error_r)) == NULL ||
	    store_one_row(store, st, &last, NULL, "read outbox", error_r) < 0)
		return -1;
	*next_r = from + count <= last ? from + count : 0;
	return 0;
}
