/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SMS in the store: parts of concatenated inbound messages waiting for
   the rest, the SMSC's ids and delivery receipts of sent messages, and
   the numbers that opted out. */
#include "config.h"

#include "store-private.h"

#include "util.h"

#include <stdlib.h>

static void
bind_group(sqlite3_stmt *st, const struct store_sms_part *key)
{
	store_bind_text(st, 1, key->source);
	store_bind_text(st, 2, key->sender);
	store_bind_text(st, 3, key->recipient != NULL ? key->recipient : "");
	sqlite3_bind_int(st, 4, (int)key->ref);
	sqlite3_bind_int(st, 5, (int)key->total);
}

/* Whether P is there already: waiting, or the same text in a message
   put in the inbox lately. 1, 0, -1. */
static int
part_seen(struct store *store, const struct store_sms_part *p,
	  char **error_r)
{
	static const char seen_sql[] =
		"SELECT done_at IS NULL OR text = ?7 FROM sms_part "
		"WHERE source = ?1 AND sender = ?2 AND recipient = ?3 "
		"AND ref = ?4 AND total = ?5 AND seq = ?6";
	sqlite3_stmt *st = store_stmt(store, seen_sql, error_r);
	int64_t seen = 0;
	int r;

	if (st == NULL)
		return -1;
	bind_group(st, p);
	sqlite3_bind_int(st, 6, (int)p->seq);
	store_bind_text(st, 7, p->text);
	r = store_one_row(store, st, &seen, NULL, "read SMS parts", error_r);
	return r <= 0 ? r : seen != 0;
}

int
store_sms_part_add(struct store *store, const struct store_sms_part *p,
		   char **error_r)
{
	/* A part that is not one seen means a new message: the parts of
	   an earlier one with the same reference are forgotten. */
	static const char forget_sql[] =
		"DELETE FROM sms_part WHERE source = ? AND sender = ? "
		"AND recipient = ? AND ref = ? AND total = ? "
		"AND done_at IS NOT NULL";
	static const char sql[] =
		"INSERT INTO sms_part (source, sender, recipient, ref, total, seq, "
		"text, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
		"ON CONFLICT DO NOTHING";
	sqlite3_stmt *st;
	int r = part_seen(store, p, error_r);

	if (r != 0)
		return r < 0 ? -1 : 0;
	if ((st = store_stmt(store, forget_sql, error_r)) == NULL)
		return -1;
	bind_group(st, p);
	if (store_exec_stmt(store, st, "forget SMS parts", error_r) < 0)
		return -1;
	if ((st = store_stmt(store, sql, error_r)) == NULL)
		return -1;
	bind_group(st, p);
	sqlite3_bind_int(st, 6, (int)p->seq);
	store_bind_text(st, 7, p->text);
	sqlite3_bind_int64(st, 8, p->received_at);
	if (store_exec_stmt(store, st, "store SMS part", error_r) < 0)
		return -1;
	return sqlite3_changes(store->db) > 0;
}

static int
each_part(struct store *store, sqlite3_stmt *st,
	  int (*fn)(const struct store_sms_part *p, void *ctx), void *ctx,
	  const char *what, char **error_r)
{
	int rc, n = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_sms_part p = {
			.source = store_col_text(st, 0),
			.sender = store_col_text(st, 1),
			.recipient = store_col_text(st, 2),
			.ref = (unsigned)sqlite3_column_int(st, 3),
			.total = (unsigned)sqlite3_column_int(st, 4),
			.seq = (unsigned)sqlite3_column_int(st, 5),
			.text = store_col_text(st, 6),
			.received_at = sqlite3_column_int64(st, 7),
		};

		n++;
		if (fn != NULL && fn(&p, ctx) != 0)
			break;
	}
	return store_rows_end(store, st, rc, what, error_r) < 0 ? -1 : n;
}

int
store_sms_parts_of(struct store *store, const struct store_sms_part *key,
		   int (*fn)(const struct store_sms_part *p, void *ctx),
		   void *ctx, char **error_r)
{
	static const char sql[] =
		"SELECT source, sender, recipient, ref, total, seq, text, "
		"received_at FROM sms_part WHERE source = ? AND sender = ? "
		"AND recipient = ? AND ref = ? AND total = ? "
		"AND done_at IS NULL ORDER BY seq";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	bind_group(st, key);
	return each_part(store, st, fn, ctx, "read SMS parts", error_r);
}

int
store_sms_parts_done(struct store *store, const struct store_sms_part *key,
		     int64_t now, char **error_r)
{
	static const char sql[] =
		"UPDATE sms_part SET done_at = ?6 WHERE source = ?1 "
		"AND sender = ?2 AND recipient = ?3 AND ref = ?4 AND total = ?5 "
		"AND done_at IS NULL";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	bind_group(st, key);
	sqlite3_bind_int64(st, 6, now);
	return store_exec_stmt(store, st, "mark SMS parts done", error_r);
}

int
store_sms_parts_forget(struct store *store, const char *source,
		       int64_t before, char **error_r)
{
	static const char sql[] =
		"DELETE FROM sms_part WHERE (?1 IS NULL OR source = ?1) "
		"AND done_at < ?2";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, source);
	sqlite3_bind_int64(st, 2, before);
	return store_exec_stmt(store, st, "forget SMS parts", error_r);
}

int
store_sms_parts_stale(struct store *store, const char *source, int64_t before,
		      int limit,
		      int (*fn)(const struct store_sms_part *p, void *ctx),
		      void *ctx, char **error_r)
{
	/* One row per waiting message: its first part's time. */
	static const char sql[] =
		"SELECT source, sender, recipient, ref, total, min(seq), '', "
		"min(received_at) AS first FROM sms_part "
		"WHERE (?1 IS NULL OR source = ?1) AND done_at IS NULL "
		"GROUP BY source, sender, recipient, ref, total "
		"HAVING first < ?2 ORDER BY first LIMIT ?3";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, source);
	sqlite3_bind_int64(st, 2, before);
	sqlite3_bind_int(st, 3, limit);
	return each_part(store, st, fn, ctx, "read waiting SMS parts", error_r);
}

int
store_outbox_sent_remote(struct store *store, int64_t id, int64_t now,
			 const char *remote_id, char **error_r)
{
	static const char sql[] =
		"UPDATE outbox SET status = 'sent', sent_at = ?, remote_id = ? "
		"WHERE id = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	store_bind_text(st, 2, remote_id);
	sqlite3_bind_int64(st, 3, id);
	return store_exec_stmt(store, st, "mark outbox row sent", error_r);
}

int
store_outbox_receipt(struct store *store, const char *channel,
		     const char *remote_id, const char *receipt,
		     enum store_receipt outcome, int64_t now, char **error_r)
{
	/* A receipt that came before the answer to the submit (an SMSC
	   may send them in either order) finds no row; the driver records
	   the id first, so that only a foreign id is lost. A failure after
	   a delivery (or the reverse) keeps the first final word. */
	static const char sql[] =
		"UPDATE outbox SET receipt = ?, "
		"delivered_at = CASE WHEN ? = 1 THEN coalesce(delivered_at, ?) "
		"  ELSE delivered_at END, "
		"status = CASE WHEN ? = 2 AND delivered_at IS NULL "
		"  AND status = 'sent' THEN 'failed' ELSE status END, "
		"last_error = CASE WHEN ? = 2 AND delivered_at IS NULL "
		"  THEN ? ELSE last_error END "
		"WHERE channel = ? AND remote_id = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, receipt);
	sqlite3_bind_int(st, 2, (int)outcome);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int(st, 4, (int)outcome);
	sqlite3_bind_int(st, 5, (int)outcome);
	store_bind_text(st, 6, receipt);
	store_bind_text(st, 7, channel);
	store_bind_text(st, 8, remote_id);
	if (store_exec_stmt(store, st, "record delivery receipt", error_r) < 0)
		return -1;
	return sqlite3_changes(store->db) > 0;
}

int
store_sms_optout_add(struct store *store, const char *number,
		     const char *keyword, int64_t at, char **error_r)
{
	static const char sql[] =
		"INSERT INTO sms_optout (number, at, keyword) VALUES (?, ?, ?) "
		"ON CONFLICT DO NOTHING";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, number);
	sqlite3_bind_int64(st, 2, at);
	store_bind_text(st, 3, keyword);
	if (store_exec_stmt(store, st, "record SMS opt-out", error_r) < 0)
		return -1;
	return sqlite3_changes(store->db) > 0;
}

int
store_sms_optout_remove(struct store *store, const char *number,
			char **error_r)
{
	static const char sql[] = "DELETE FROM sms_optout WHERE number = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, number);
	if (store_exec_stmt(store, st, "remove SMS opt-out", error_r) < 0)
		return -1;
	return sqlite3_changes(store->db) > 0;
}

int
store_sms_optout_has(struct store *store, const char *number, char **error_r)
{
	static const char sql[] = "SELECT 1 FROM sms_optout WHERE number = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, number);
	return store_one_row(store, st, NULL, NULL, "read SMS opt-outs",
			     error_r);
}

int
store_contact_sms_stopped(struct store *store, int64_t contact_id,
			  char **number_r, char **error_r)
{
	char *number = NULL;
	int rc = store_contact_first(store, contact_id, "phone", &number,
				     error_r);

	if (rc > 0)
		rc = store_sms_optout_has(store, number, error_r);
	if (rc > 0 && number_r != NULL) {
		*number_r = number;
		number = NULL;
	}
	free(number);
	return rc;
}

int
store_sms_sent_since(struct store *store, const char *number,
		     const char *header, int64_t since, char **error_r)
{
	/* by outbox_unfiled: what went to NUMBER in no message of a case */
	static const char sql[] =
		"SELECT 1 FROM outbox WHERE message_id IS NULL AND "
		"lower(recipient) = lower(?1) AND channel = 'sms' AND "
		"created_at >= ?2 AND instr(headers, ?3) > 0 LIMIT 1";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, number);
	sqlite3_bind_int64(st, 2, since);
	store_bind_text(st, 3, header);
	return store_one_row(store, st, NULL, NULL, "find an SMS sent",
			     error_r);
}

int
store_message_by_dedupe_since(struct store *store, const char *dedupe_key,
			      int64_t since, int64_t *case_id_r,
			      char **error_r)
{
	static const char sql[] =
		"SELECT m.case_id FROM message m WHERE m.dedupe_key = ? "
		"AND m.direction = 'in' AND m.at >= ? AND NOT EXISTS ("
		"SELECT 1 FROM message h JOIN contact c ON c.id = h.contact_id "
		"WHERE h.case_id = m.case_id AND h.id > m.id AND "
		"h.direction = 'in' AND h.visibility = 'public' AND "
		"c.kind = 'handler') LIMIT 1";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, dedupe_key);
	sqlite3_bind_int64(st, 2, since);
	return store_one_row(store, st, case_id_r, NULL, "find duplicate",
			     error_r);
}

int
store_case_latest_open(struct store *store, int64_t citizen_id,
		       int64_t *case_id_r, int64_t *updated_at_r,
		       char **error_r)
{
	static const char sql[] =
		"SELECT id, updated_at FROM cases WHERE citizen_id = ? "
		"AND closed_at IS NULL ORDER BY updated_at DESC, id DESC LIMIT 1";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, citizen_id);
	return store_one_row(store, st, case_id_r, updated_at_r,
			     "find the open case", error_r);
}

int
store_case_latest_closed(struct store *store, int64_t citizen_id,
			 int64_t *case_id_r, int64_t *closed_at_r,
			 char **error_r)
{
	static const char sql[] =
		"SELECT id, closed_at FROM cases WHERE citizen_id = ? "
		"AND closed_at IS NOT NULL ORDER BY closed_at DESC, id DESC "
		"LIMIT 1";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, citizen_id);
	return store_one_row(store, st, case_id_r, closed_at_r,
			     "find the closed case", error_r);
}

int
store_case_has_contact(struct store *store, int64_t case_id,
		       int64_t contact_id, char **error_r)
{
	static const char sql[] =
		"SELECT 1 FROM case_party WHERE case_id = ? AND contact_id = ? "
		"AND role <> 'outside'";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_int64(st, 2, contact_id);
	return store_one_row(store, st, NULL, NULL, "check party", error_r);
}

int
store_sms_optout_get(struct store *store, const char *number, int64_t *at_r,
		     char **keyword_r, char **error_r)
{
	static const char sql[] =
		"SELECT at, keyword FROM sms_optout WHERE number = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, number);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*at_r = sqlite3_column_int64(st, 0);
		*keyword_r = xstrdup(store_col_text(st, 1));
	}
	return store_row_end(store, st, rc, "read SMS opt-outs", error_r);
}
