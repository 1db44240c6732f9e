/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Queries of inbound mail handling: duplicates, threading, parties,
   floods, attachments, the outbox. */
#include "config.h"

#include "store-private.h"

#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
store_dedupe_is_mid(const char *dedupe_key, const char *rfc_message_id)
{
	return dedupe_key != NULL && rfc_message_id != NULL &&
	       strncmp(dedupe_key, "mid:", 4) == 0 &&
	       strcmp(dedupe_key + 4, rfc_message_id) == 0;
}

int
store_message_by_dedupe(struct store *store, const char *dedupe_key,
			const char *sender, bool person, const char *text,
			int64_t *case_id_r, char **error_r)
{
	/* "mid:ID" is stored as the Message-ID alone (store_message_add),
	   or as itself by a cirm before that */
#define FROM_SENDER "(?2 IS NULL OR ?3 IS NULL OR (m.contact_id IS NULL " \
		"AND NOT ?4) " \
		"OR EXISTS (SELECT 1 FROM contact_address a WHERE " \
		"a.contact_id = m.contact_id AND a.address = ?3 COLLATE NOCASE))"
	/* the text as it came, but for its blanks and line breaks (no
	   blank at all): a mail attached to a forward may have other
	   ones than the same mail sent here, at its end, or within, where
	   the officer's mail program wrote its text anew from its HTML
	   ("kartan<https://...>" for "kartan <https://...>") */
#define BARE(x) "replace(replace(replace(replace(replace(" x ", ' ', ''), " \
		"char(9), ''), char(10), ''), char(13), ''), char(160), '')"
#define SAME_TEXT BARE("coalesce(m.body_full, m.body_stripped)") \
		" IS " BARE("?5")
	static const char sql[] =
		"SELECT case_id FROM message m WHERE rfc_message_id = ?2 "
		"AND dedupe_key IS NULL AND direction = 'in' AND " FROM_SENDER
		" AND (?5 IS NULL OR " SAME_TEXT ")"
		" UNION ALL SELECT case_id FROM message m WHERE dedupe_key = ?1 "
		"AND direction = 'in' AND " FROM_SENDER " AND (?5 IS NULL OR "
		SAME_TEXT ") LIMIT 1";
#undef FROM_SENDER
#undef SAME_TEXT
#undef BARE
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, dedupe_key);
	if (dedupe_key != NULL && strncmp(dedupe_key, "mid:", 4) == 0) {
		store_bind_text(st, 2, dedupe_key + 4);
		store_bind_text(st, 5, text);
	}
	store_bind_text(st, 3, sender);
	sqlite3_bind_int(st, 4, person);
	return store_one_row(store, st, case_id_r, NULL, "find duplicate", error_r);
}

int
store_case_resent(struct store *store, const char *resend_key,
		  int64_t since, int64_t case_id, int64_t contact_id,
		  int64_t *case_id_r, char **error_r)
{
	/* the cases the citizen opened since SINCE (cases_citizen_created:
	   no case is created before its first mail came) */
	static const char on_case[] =
		"SELECT id FROM cases WHERE id = ?1 AND resend_key = ?2 AND "
		"resend_at >= ?3";
	static const char opened[] =
		"SELECT id FROM cases WHERE citizen_id = ?1 AND "
		"created_at >= ?3 AND resend_key = ?2 AND resend_at >= ?3 "
		"ORDER BY resend_at DESC LIMIT 1";
	sqlite3_stmt *st = store_stmt(store, case_id != 0 ? on_case : opened,
				      error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, case_id != 0 ? case_id : contact_id);
	store_bind_text(st, 2, resend_key);
	sqlite3_bind_int64(st, 3, since);
	return store_one_row(store, st, case_id_r, NULL, "find the mail sent "
			     "again", error_r);
}

int
store_case_by_rfc_id(struct store *store, const char *id, int64_t *case_id_r,
		     int64_t *forward_id_r, char **error_r)
{
	/* the forward a message was (#vidarebefordra) in the same look-up:
	   its message is found by this index anyway */
	static const char sql[] =
		"SELECT m.case_id, coalesce(f.id, 0) FROM message m LEFT JOIN "
		"case_forward f ON f.message_id = m.id AND f.case_id = "
		"m.case_id WHERE m.rfc_message_id = ?1 "
		"UNION ALL SELECT case_id, 0 FROM outbox WHERE "
		"rfc_message_id = ?1 AND case_id IS NOT NULL LIMIT 1";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, id);
	return store_one_row(store, st, case_id_r, forward_id_r,
			     "find by Message-ID", error_r);
}

int
store_forward_add(struct store *store, int64_t case_id, int64_t message_id,
		  int64_t handler_id, int64_t note_id, const char *address,
		  int64_t at, int64_t *id_r, char **error_r)
{
	static const char sql[] =
		"INSERT INTO case_forward (case_id, message_id, handler_id, "
		"address, at, note_id) VALUES (?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_int64(st, 2, message_id);
	store_bind_id(st, 3, handler_id);
	store_bind_text(st, 4, address);
	sqlite3_bind_int64(st, 5, at);
	store_bind_id(st, 6, note_id);
	if (store_exec_stmt(store, st, "add forward", error_r) < 0)
		return -1;
	*id_r = sqlite3_last_insert_rowid(store->db);
	return 0;
}

int
store_forward_get(struct store *store, int64_t id, struct store_forward *f,
		  char **error_r)
{
	static const char sql[] =
		"SELECT f.case_id, coalesce(f.handler_id, 0), f.address, "
		"f.at, c.number, c.subject, (SELECT coalesce(m.body_stripped, "
		"m.body_full) FROM message m WHERE m.id = f.note_id), "
		"(SELECT coalesce(h.name, h.login) FROM contact h WHERE "
		"h.id = f.handler_id) FROM case_forward f JOIN cases c ON "
		"c.id = f.case_id WHERE f.id = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		f->id = id;
		f->case_id = sqlite3_column_int64(st, 0);
		f->handler_id = sqlite3_column_int64(st, 1);
		f->address = xstrdup(store_col_text(st, 2));
		f->at = sqlite3_column_int64(st, 3);
		snprintf(f->case_number, sizeof(f->case_number), "%s",
			 store_col_text(st, 4));
		f->subject = xstrdup(store_col_text(st, 5) != NULL ?
				     store_col_text(st, 5) : "");
		f->text = xstrdup(store_col_text(st, 6) != NULL ?
				  store_col_text(st, 6) : "");
		f->by = xstrdup(store_col_text(st, 7) != NULL ?
				store_col_text(st, 7) : "");
	}
	return store_row_end(store, st, rc, "read forward", error_r);
}

void
store_forward_clear(struct store_forward *f)
{
	free(f->address);
	free(f->subject);
	free(f->text);
	free(f->by);
	f->address = f->subject = f->text = f->by = NULL;
}

int
store_forward_of_sender(struct store *store, int64_t case_id,
			const char *address, int64_t *id_r, char **error_r)
{
	static const char sql[] =
		"SELECT coalesce(max(f.id), 0) FROM case_forward f WHERE "
		"f.case_id = ?1 AND (f.address = ?2 OR EXISTS (SELECT 1 FROM "
		"case_party p JOIN contact_address a ON a.contact_id = "
		"p.contact_id WHERE p.case_id = ?1 AND p.role = 'outside' AND "
		"a.kind = 'email' AND a.address = ?2))";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	*id_r = 0;
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	store_bind_text(st, 2, address);
	rc = store_one_row(store, st, id_r, NULL, "find forward", error_r);
	return rc < 0 ? -1 : *id_r != 0;
}

int
store_outbox_forward(struct store *store, int64_t outbox_id,
		     int64_t *forward_id_r, bool *public_r, char **error_r)
{
	static const char sql[] =
		"SELECT coalesce(f.id, 0), coalesce(m.visibility = 'public', 0) "
		"FROM outbox o LEFT JOIN message m ON m.id = o.message_id "
		"LEFT JOIN case_forward f ON f.message_id = o.message_id AND "
		"f.case_id = o.case_id WHERE o.id = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int64_t pub = 0;
	int rc;

	*forward_id_r = 0;
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, outbox_id);
	rc = store_one_row(store, st, forward_id_r, &pub, "read outbox",
			   error_r);
	*public_r = pub != 0;
	return rc;
}

int
store_case_id(struct store *store, const char *number, int64_t *case_id_r,
	      char **error_r)
{
	static const char sql[] = "SELECT id FROM cases WHERE number = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, number);
	return store_one_row(store, st, case_id_r, NULL, "find case", error_r);
}

int
store_case_get_number(struct store *store, int64_t case_id,
		      char number_r[STORE_CASE_NUMBER_MAX], char **error_r)
{
	static const char sql[] = "SELECT number FROM cases WHERE id = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(number_r, STORE_CASE_NUMBER_MAX, "%s", store_col_text(st, 0));
	return store_row_end(store, st, rc, "read case number", error_r);
}

int
store_case_kept(struct store *store, int64_t case_id, int64_t *kept_r,
		char number_r[STORE_CASE_NUMBER_MAX], char **error_r)
{
	static const char sql[] =
		"SELECT k.id, k.number FROM cases c JOIN cases k "
		"ON k.id = c.merged_into WHERE c.id = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*kept_r = sqlite3_column_int64(st, 0);
		if (number_r != NULL)
			snprintf(number_r, STORE_CASE_NUMBER_MAX, "%s",
				 store_col_text(st, 1));
	}
	return store_row_end(store, st, rc, "read case kept", error_r);
}

int
store_case_touch(struct store *store, int64_t case_id, int64_t now,
		 char **error_r)
{
	static const char sql[] = "UPDATE cases SET updated_at = ? WHERE id = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, case_id);
	return store_exec_stmt(store, st, "touch case", error_r);
}

int
store_case_followed(struct store *store, int64_t case_id, int64_t now,
		    const char *resend_key, int64_t at, char **error_r)
{
	static const char sql[] =
		"UPDATE cases SET updated_at = ?, resend_key = ?, resend_at = ? "
		"WHERE id = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	store_bind_text(st, 2, resend_key);
	if (resend_key != NULL)
		sqlite3_bind_int64(st, 3, at);
	sqlite3_bind_int64(st, 4, case_id);
	return store_exec_stmt(store, st, "touch case", error_r);
}

int
store_case_has_party(struct store *store, int64_t case_id, const char *address,
		     char **error_r)
{
	static const char sql[] =
		"SELECT 1 FROM case_party p JOIN contact_address a "
		"ON a.contact_id = p.contact_id WHERE p.case_id = ? "
		"AND a.kind = 'email' AND a.address = ? AND "
		"p.role <> 'outside' LIMIT 1";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	store_bind_text(st, 2, address);
	return store_one_row(store, st, NULL, NULL, "check party", error_r);
}

int
store_case_party_add(struct store *store, int64_t case_id, int64_t contact_id,
		     const char *role, char **error_r)
{
	static const char sql[] =
		"INSERT INTO case_party (case_id, contact_id, role) "
		"VALUES (?, ?, ?) ON CONFLICT DO NOTHING";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_int64(st, 2, contact_id);
	store_bind_text(st, 3, role);
	return store_exec_stmt(store, st, "add party", error_r);
}

int
store_cases_opened_since(struct store *store, int64_t contact_id,
			 int64_t since, int64_t *n_r, char **error_r)
{
	static const char sql[] =
		"SELECT count(*) FROM cases WHERE citizen_id = ? "
		"AND created_at >= ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, contact_id);
	sqlite3_bind_int64(st, 2, since);
	return store_one_row(store, st, n_r, NULL, "count cases", error_r) < 0 ? -1 : 0;
}

int
store_raw_put(struct store *store, const char *sha256, const void *raw,
	      size_t len, char **error_r)
{
	static const char sql[] =
		"INSERT INTO raw_message (sha256, raw) VALUES (?, ?) "
		"ON CONFLICT (sha256) DO NOTHING";
	sqlite3_stmt *st;

	static const char give_sql[] =
		"UPDATE inbox SET raw_owned = 0 WHERE raw_owned = 1 AND raw_id = "
		"(SELECT id FROM raw_message WHERE sha256 = ?)";

	/* the inbox row being handled put it there as it arrived */
	if (store->row_raw_id != 0 && strcmp(sha256, store->row_raw_sha) == 0) {
		store->row_raw_kept = 1;
		store->row_raw_kept_depth = store->savepoints;
		return 0;
	}
	if ((st = store_stmt(store, sql, error_r)) == NULL)
		return -1;
	store_bind_text(st, 1, sha256);
	sqlite3_bind_blob64(st, 2, len > 0 ? raw : "", len, SQLITE_STATIC);
	if (store_exec_stmt(store, st, "keep raw message", error_r) < 0)
		return -1;
	if (sqlite3_changes(store->db) > 0)
		return 0;
	/* There already: a queued row may own it, and must not remove it
	   now that a message refers to it. */
	if ((st = store_stmt(store, give_sql, error_r)) == NULL)
		return -1;
	store_bind_text(st, 1, sha256);
	return store_exec_stmt(store, st, "keep raw message", error_r);
}

int
store_raw_get(struct store *store, const char *sha256,
	      int (*fn)(const void *raw, size_t len, void *ctx), void *ctx,
	      char **error_r)
{
	static const char sql[] = "SELECT raw FROM raw_message WHERE sha256 = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, sha256);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		fn(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
		   ctx);
	return store_row_end(store, st, rc, "read raw message", error_r);
}

int
store_attachment_add(struct store *store, int64_t message_id,
		     const char *sha256, const char *filename,
		     const char *content_type, const char *charset,
		     int64_t size, char **error_r)
{
	static const char sql[] =
		"INSERT INTO attachment (message_id, sha256, filename, "
		"content_type, size, charset) VALUES (?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, message_id);
	store_bind_text(st, 2, sha256);
	store_bind_text(st, 3, filename);
	store_bind_text(st, 4, content_type);
	sqlite3_bind_int64(st, 5, size);
	store_bind_text(st, 6, charset);
	return store_exec_stmt(store, st, "add attachment", error_r);
}

int
store_message_recipient_add(struct store *store, int64_t message_id,
			    const char *kind, const char *address,
			    char **error_r)
{
	static const char sql[] =
		"INSERT INTO message_recipient (message_id, kind, address) "
		"VALUES (?, ?, ?)";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, message_id);
	store_bind_text(st, 2, kind);
	store_bind_text(st, 3, address);
	return store_exec_stmt(store, st, "add recipient", error_r);
}

int
store_outbox_add(struct store *store, const struct store_outbox_new *o,
		 int64_t *id_r, char **error_r)
{
	static const char sql[] =
		"INSERT INTO outbox (case_id, message_id, channel, recipient, "
		"rfc_message_id, subject, headers, body, created_at, "
		"body_in_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	bool in_message = o->body_in_message;
	sqlite3_stmt *st;

	if (in_message && (o->message_id == 0 || o->body != NULL)) {
		*error_r = xstrdup("queue outbound message: a text in the "
				   "message needs the message and no body of "
				   "its own");
		return -1;
	}
	if ((st = store_stmt(store, sql, error_r)) == NULL)
		return -1;
	store_bind_id(st, 1, o->case_id);
	store_bind_id(st, 2, o->message_id);
	store_bind_text(st, 3, o->channel);
	store_bind_text(st, 4, o->recipient);
	store_bind_text(st, 5, o->rfc_message_id);
	store_bind_text(st, 6, o->subject);
	store_bind_text(st, 7, o->headers);
	if (in_message)
		sqlite3_bind_zeroblob(st, 8, 0);
	else
		store_bind_text(st, 8, o->body);
	sqlite3_bind_int64(st, 9, o->at);
	sqlite3_bind_int(st, 10, in_message);
	if (store_exec_stmt(store, st, "queue outbound message", error_r) < 0)
		return -1;
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(store->db);
	return 0;
}

int
store_outbox_by_rfc_id(struct store *store, const char *id, int64_t *id_r,
		       int64_t *case_id_r, char **error_r)
{
	static const char sql[] =
		"SELECT id, coalesce(case_id, 0) FROM outbox "
		"WHERE rfc_message_id = ? LIMIT 1";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, id);
	return store_one_row(store, st, id_r, case_id_r, "find sent message", error_r);
}

int
store_outbox_unfiled_to(struct store *store, const char *recipient,
			int (*fn)(const struct store_outbox_unfiled *r,
				  void *ctx),
			void *ctx, char **error_r)
{
	/* lower() folds ASCII only, as addresses are compared elsewhere */
	static const char sql[] =
		"SELECT o.id, o.created_at, coalesce(o.sent_at, 0), o.channel, "
		"o.recipient, o.status, o.subject, CAST(o.body AS TEXT), "
		"c.number FROM outbox o LEFT JOIN cases c ON c.id = o.case_id "
		"WHERE o.message_id IS NULL AND lower(o.recipient) = lower(?) "
		"ORDER BY o.id";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc, n = 0;

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, recipient);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_outbox_unfiled r = {
			.id = sqlite3_column_int64(st, 0),
			.created_at = sqlite3_column_int64(st, 1),
			.sent_at = sqlite3_column_int64(st, 2),
			.channel = store_col_text(st, 3),
			.recipient = store_col_text(st, 4),
			.status = store_col_text(st, 5),
			.subject = store_col_text(st, 6),
			.body = store_col_text(st, 7),
			.case_number = store_col_text(st, 8),
		};

		if (r.body == NULL)
			r.body = "";
		n++;
		if (fn(&r, ctx) != 0)
			break;
	}
	return store_rows_end(store, st, rc, "read the outbox", error_r) < 0 ?
		-1 : n;
}

int
store_outbox_failed(struct store *store, int64_t id, const char *reason,
		    char **error_r)
{
	static const char sql[] =
		"UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, reason);
	sqlite3_bind_int64(st, 2, id);
	return store_exec_stmt(store, st, "mark delivery failed", error_r);
}

int
store_attachments_copy(struct store *store, int64_t from_message,
		       int64_t to_message, const char *withheld,
		       char **error_r)
{
	static const char sql[] =
		"INSERT INTO attachment (message_id, sha256, filename, "
		"content_type, size, charset) SELECT ?1, sha256, filename, "
		"content_type, size, charset FROM attachment WHERE "
		"message_id = ?2 "
		/* not Outlook's winmail.dat (mime_part_is_tnef) */
		"AND content_type NOT IN ('application/ms-tnef', "
		"'application/vnd.ms-tnef') AND "
		"lower(coalesce(filename, '')) <> 'winmail.dat' AND "
		"(?3 IS NULL OR instr(?3, ',' || sha256 || ',') = 0) "
		"ORDER BY id";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, to_message);
	sqlite3_bind_int64(st, 2, from_message);
	sqlite3_bind_text(st, 3, withheld, -1, SQLITE_STATIC);
	if (store_exec_stmt(store, st, "copy attachments", error_r) < 0)
		return -1;
	return sqlite3_changes(store->db);
}

int
store_attachment_named(struct store *store, const char *sha256,
		       char **error_r)
{
	static const char sql[] =
		"SELECT 1 FROM attachment WHERE sha256 = ? LIMIT 1";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, sha256, -1, SQLITE_STATIC);
	return store_one_row(store, st, NULL, NULL, "look up attachment",
			     error_r);
}

int
store_attachment_files(struct store *store,
		       int (*fn)(const char *sha256, void *ctx), void *ctx,
		       char **error_r)
{
	static const char sql[] =
		"SELECT DISTINCT sha256 FROM attachment ORDER BY sha256";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *sha = store_col_text(st, 0);

		if (sha != NULL && (ret = fn(sha, ctx)) != 0)
			break;
	}
	if (store_rows_end(store, st, rc, "list attachments", error_r) < 0)
		return -1;
	return ret;
}

int
store_message_attachments(struct store *store, int64_t message_id,
			  int (*fn)(const struct store_attachment *a, void *ctx),
			  void *ctx, char **error_r)
{
	static const char sql[] =
		"SELECT sha256, filename, content_type, size, charset FROM "
		"attachment WHERE message_id = ? ORDER BY id";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, message_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_attachment a = {
			store_col_text(st, 0), store_col_text(st, 1),
			store_col_text(st, 2), sqlite3_column_int64(st, 3),
			store_col_text(st, 4),
		};

		if (fn(&a, ctx) != 0)
			break;
	}
	return store_rows_end(store, st, rc, "read attachments", error_r);
}
