/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "store-private.h"

#include "i18n.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Takes the next number of PREFIX and YEAR. Inside the caller's
   transaction, which holds the write lock from its BEGIN IMMEDIATE, so
   two processes can never take the same number, and a rollback returns
   it. */
static int
next_number(struct store *store, const char *prefix, int year,
	    int64_t *seq_r, char **error_r)
{
	/* two statements, not one upsert with RETURNING: SQLite gathers
	   RETURNING rows in a temporary table that costs more than both */
	static const char up_sql[] =
		"UPDATE case_sequence SET last = last + 1 "
		"WHERE prefix = ? AND year = ?";
	static const char get_sql[] =
		"SELECT last FROM case_sequence WHERE prefix = ? AND year = ?";
	static const char new_sql[] =
		"INSERT INTO case_sequence (prefix, year, last) VALUES (?, ?, 1)";
	sqlite3_stmt *st = store_stmt(store, up_sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, prefix);
	sqlite3_bind_int(st, 2, year);
	if (store_exec_stmt(store, st, "number case", error_r) < 0)
		return -1;
	if (sqlite3_changes(store->db) == 0) {
		/* the first case of the year */
		if ((st = store_stmt(store, new_sql, error_r)) == NULL)
			return -1;
		store_bind_text(st, 1, prefix);
		sqlite3_bind_int(st, 2, year);
		*seq_r = 1;
		return store_exec_stmt(store, st, "number case", error_r);
	}
	if ((st = store_stmt(store, get_sql, error_r)) == NULL)
		return -1;
	store_bind_text(st, 1, prefix);
	sqlite3_bind_int(st, 2, year);
	rc = store_one_row(store, st, seq_r, NULL, "number case", error_r);
	if (rc == 0)
		*error_r = xstrdup("number case: the sequence is gone");
	return rc > 0 ? 0 : -1;
}

int
store_case_create(struct store *store, const struct store_case_new *c,
		  int64_t *id_r, char number_r[STORE_CASE_NUMBER_MAX],
		  char **error_r)
{
	/* the key only when there is one: a case made otherwise (an SMS)
	   is the statement of every schema since the first */
	static const char sql[] =
		"INSERT INTO cases (number, prefix, year, seq, citizen_id, "
		"channel, subject, workflow, workflow_version, state, "
		"received_at, created_at, updated_at) "
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	static const char key_sql[] =
		"INSERT INTO cases (number, prefix, year, seq, citizen_id, "
		"channel, subject, workflow, workflow_version, state, "
		"received_at, created_at, updated_at, resend_key, resend_at) "
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	static const char party_sql[] =
		"INSERT INTO case_party (case_id, contact_id, role) "
		"VALUES (?, ?, 'citizen')";
	time_t t = (time_t)c->received_at;
	int64_t seq, now = cirm_now();
	sqlite3_stmt *st;
	struct tm tm;

	if (sqlite3_get_autocommit(store->db)) {
		*error_r = xasprintf("%s: case created outside a transaction",
				     store->path);
		return -1;
	}
	if (localtime_r(&t, &tm) == NULL) {
		*error_r = xasprintf("%s: bad arrival time %lld", store->path,
				     (long long)c->received_at);
		return -1;
	}
	if (next_number(store, c->prefix, tm.tm_year + 1900, &seq, error_r) < 0)
		return -1;
	snprintf(number_r, STORE_CASE_NUMBER_MAX, "%s-%04d-%05lld", c->prefix,
		 tm.tm_year + 1900, (long long)seq);
	st = store_stmt(store, c->resend_key != NULL ? key_sql : sql, error_r);
	if (st == NULL)
		return -1;
	store_bind_text(st, 1, number_r);
	store_bind_text(st, 2, c->prefix);
	sqlite3_bind_int(st, 3, tm.tm_year + 1900);
	sqlite3_bind_int64(st, 4, seq);
	store_bind_id(st, 5, c->citizen_id);
	store_bind_text(st, 6, c->channel);
	store_bind_text(st, 7, c->subject);
	store_bind_text(st, 8, c->workflow);
	if (c->workflow != NULL)
		sqlite3_bind_int(st, 9, c->workflow_version);
	store_bind_text(st, 10, c->state);
	sqlite3_bind_int64(st, 11, c->received_at);
	sqlite3_bind_int64(st, 12, now);
	sqlite3_bind_int64(st, 13, now);
	if (c->resend_key != NULL) {
		store_bind_text(st, 14, c->resend_key);
		sqlite3_bind_int64(st, 15, c->received_at);
	}
	if (store_exec_stmt(store, st, "create case", error_r) < 0)
		return -1;
	*id_r = sqlite3_last_insert_rowid(store->db);
	if (c->citizen_id == 0)
		return 0;
	st = store_stmt(store, party_sql, error_r);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, *id_r);
	sqlite3_bind_int64(st, 2, c->citizen_id);
	return store_exec_stmt(store, st, "add case party", error_r);
}

#define CASE_COLUMNS                                                         \
	"c.id, c.number, c.state, c.channel, c.subject, c.priority, "        \
	"c.category, c.workflow, c.workflow_version, a.login, p.name, "      \
	"c.received_at, c.updated_at, c.due_at, c.closed_at, m.number, "     \
	"(SELECT group_concat(number, ', ') FROM (SELECT k.number FROM "    \
	"cases k WHERE k.merged_into = c.id ORDER BY k.id)), a.name "        \
	"FROM cases c LEFT JOIN contact a ON a.id = c.assignee_id "          \
	"LEFT JOIN contact p ON p.id = c.citizen_id "                        \
	"LEFT JOIN cases m ON m.id = c.merged_into "

static void
case_from_row(sqlite3_stmt *st, struct store_case *c)
{
	c->id = sqlite3_column_int64(st, 0);
	c->number = store_col_text(st, 1);
	c->state = store_col_text(st, 2);
	c->channel = store_col_text(st, 3);
	c->subject = store_col_text(st, 4);
	c->priority = store_col_text(st, 5);
	c->category = store_col_text(st, 6);
	c->workflow = store_col_text(st, 7);
	c->workflow_version = sqlite3_column_int(st, 8);
	c->assignee = store_col_text(st, 9);
	c->citizen = store_col_text(st, 10);
	c->received_at = sqlite3_column_int64(st, 11);
	c->updated_at = sqlite3_column_int64(st, 12);
	c->due_at = sqlite3_column_int64(st, 13);
	c->closed_at = sqlite3_column_int64(st, 14);
	c->merged_into = store_col_text(st, 15);
	c->merged_here = store_col_text(st, 16);
	c->assignee_name = store_col_text(st, 17);
}

static int
each_case(struct store *store, sqlite3_stmt *st,
	  int (*fn)(const struct store_case *c, void *ctx), void *ctx,
	  int *found_r, char **error_r)
{
	int rc;

	*found_r = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_case c;

		(*found_r)++;
		case_from_row(st, &c);
		if (fn(&c, ctx) != 0)
			break;
	}
	return store_rows_end(store, st, rc, "read cases", error_r);
}

int
store_case_list(struct store *store, const struct store_case_filter *f,
		int (*fn)(const struct store_case *c, void *ctx), void *ctx,
		char **error_r)
{
	static const char sql[] =
		"SELECT " CASE_COLUMNS
		/* a case in a <parallel> is in a state of each region
		   ("bygg-vantar miljo-vantar"): any one of them finds it */
		"WHERE (?1 IS NULL OR instr(' ' || c.state || ' ', "
		"' ' || ?1 || ' ') > 0) "
		"AND (?3 IS NULL OR a.login = ?3) "
		"AND (?4 = 0 OR c.closed_at IS NULL) "
		"ORDER BY c.received_at DESC, c.id DESC LIMIT ?2";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int found;

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, f != NULL ? f->state : NULL);
	sqlite3_bind_int(st, 2, f != NULL && f->limit > 0 ? f->limit : -1);
	store_bind_text(st, 3, f != NULL ? f->assignee : NULL);
	sqlite3_bind_int(st, 4, f != NULL && f->open_only);
	return each_case(store, st, fn, ctx, &found, error_r);
}

int
store_case_states(struct store *store,
		  int (*fn)(const char *state, const char *workflow,
			    int version, int64_t n, void *ctx),
		  void *ctx, char **error_r)
{
	static const char sql[] =
		/* the workflow and version of the newest case in the state
		   (SQLite takes bare columns from the max() row) */
		"SELECT state, workflow, workflow_version, count(*), max(id) "
		"FROM cases GROUP BY state ORDER BY state";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (fn(store_col_text(st, 0), store_col_text(st, 1),
		       sqlite3_column_int(st, 2), sqlite3_column_int64(st, 3),
		       ctx) != 0)
			break;
	}
	return store_rows_end(store, st, rc, "read case states", error_r);
}

int
store_case_get(struct store *store, const char *number,
	       int (*fn)(const struct store_case *c, void *ctx), void *ctx,
	       char **error_r)
{
	static const char sql[] = "SELECT " CASE_COLUMNS "WHERE c.number = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int found;

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, number);
	if (each_case(store, st, fn, ctx, &found, error_r) < 0)
		return -1;
	return found > 0;
}

int
store_case_citizen(struct store *store, int64_t case_id, int64_t *id_r,
		   char **error_r)
{
	static const char sql[] =
		"SELECT citizen_id FROM cases WHERE id = ? "
		"AND citizen_id IS NOT NULL";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id_r = sqlite3_column_int64(st, 0);
	return store_row_end(store, st, rc, "read case citizen", error_r);
}

int
store_event_add(struct store *store, int64_t case_id, int64_t at,
		const char *kind, int64_t actor_id, const char *from_state,
		const char *to_state, const char *detail, char **error_r)
{
	static const char sql[] =
		"INSERT INTO event (case_id, at, kind, actor_id, from_state, "
		"to_state, detail) VALUES (?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_int64(st, 2, at);
	store_bind_text(st, 3, kind);
	store_bind_id(st, 4, actor_id);
	store_bind_text(st, 5, from_state);
	store_bind_text(st, 6, to_state);
	store_bind_text(st, 7, detail);
	return store_exec_stmt(store, st, "add event", error_r);
}

#define EVENT_INSERT \
	"INSERT INTO event (case_id, at, kind, actor_id, from_state, " \
	"to_state, detail) VALUES (?1, ?2, ?, ?, ?, ?, ?)"
#define EVENT_ROW ", (?1, ?2, ?, ?, ?, ?, ?)"

int
store_events_add(struct store *store, int64_t case_id, int64_t at,
		 const struct store_event_new *ev, size_t n, char **error_r)
{
	/* a statement for each number of rows, by its text's address */
	static const char *const sql[STORE_EVENTS_ROWS] = {
		EVENT_INSERT,
		EVENT_INSERT EVENT_ROW,
		EVENT_INSERT EVENT_ROW EVENT_ROW,
		EVENT_INSERT EVENT_ROW EVENT_ROW EVENT_ROW,
		EVENT_INSERT EVENT_ROW EVENT_ROW EVENT_ROW EVENT_ROW,
		EVENT_INSERT EVENT_ROW EVENT_ROW EVENT_ROW EVENT_ROW EVENT_ROW,
		EVENT_INSERT EVENT_ROW EVENT_ROW EVENT_ROW EVENT_ROW EVENT_ROW
			EVENT_ROW,
		EVENT_INSERT EVENT_ROW EVENT_ROW EVENT_ROW EVENT_ROW EVENT_ROW
			EVENT_ROW EVENT_ROW,
	};

	while (n > 0) {
		size_t k = n < STORE_EVENTS_ROWS ? n : STORE_EVENTS_ROWS;
		sqlite3_stmt *st = store_stmt(store, sql[k - 1], error_r);

		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, case_id);
		sqlite3_bind_int64(st, 2, at);
		for (size_t i = 0; i < k; i++) {
			int col = 3 + 5 * (int)i;

			store_bind_text(st, col, ev[i].kind);
			store_bind_id(st, col + 1, ev[i].actor_id);
			store_bind_text(st, col + 2, ev[i].from_state);
			store_bind_text(st, col + 3, ev[i].to_state);
			store_bind_text(st, col + 4, ev[i].detail);
		}
		if (store_exec_stmt(store, st, "add events", error_r) < 0)
			return -1;
		ev += k;
		n -= k;
	}
	return 0;
}

int
store_citizen_event_add(struct store *store, int64_t citizen_id, int64_t at,
			const char *kind, const char *detail, char **error_r)
{
	/* through cases_citizen_created */
	static const char sql[] =
		"INSERT INTO event (case_id, at, kind, actor_id, detail) "
		"SELECT id, ?1, ?2, ?3, ?4 FROM cases WHERE citizen_id = ?3 "
		"AND closed_at IS NULL";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, at);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, citizen_id);
	store_bind_text(st, 4, detail);
	if (store_exec_stmt(store, st, "record an event on a citizen's cases",
			    error_r) < 0)
		return -1;
	return sqlite3_changes(store->db);
}

int
store_case_events(struct store *store, int64_t case_id,
		  int (*fn)(const struct store_event *e, void *ctx), void *ctx,
		  char **error_r)
{
	static const char sql[] =
		/* A citizen has no login and often no name (one who wrote
		   by SMS never has): "citizen" then, not the "system" of
		   no actor, and not the number, which case show masks. */
		"SELECT e.at, e.kind, coalesce(c.login, nullif(c.name, ''), "
		"c.kind), e.from_state, e.to_state, e.detail FROM event e "
		"LEFT JOIN contact c ON c.id = e.actor_id "
		"WHERE e.case_id = ? ORDER BY e.at, e.id";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_event e = {
			sqlite3_column_int64(st, 0), store_col_text(st, 1),
			store_col_text(st, 2), store_col_text(st, 3),
			store_col_text(st, 4), store_col_text(st, 5),
		};

		if (fn(&e, ctx) != 0)
			break;
	}
	return store_rows_end(store, st, rc, "read events", error_r);
}

int
store_report_cases(struct store *store, int64_t from, int64_t to,
		   int (*fn)(const struct store_report_case *c, void *ctx),
		   void *ctx, char **error_r)
{
	/* the cases through cases_received, their answers through
	   event_case */
	static const char sql[] =
		"SELECT c.id, c.received_at, c.closed_at, "
		"(SELECT min(e.at) FROM event e WHERE e.case_id = c.id AND "
		"e.kind = 'reply.sent' AND (e.actor_id IS NOT NULL OR "
		"e.detail = 'answer')), c.channel, c.workflow, "
		"c.workflow_version, g.name, h.login FROM cases c "
		"LEFT JOIN handler_group g ON g.id = c.group_id "
		"LEFT JOIN contact h ON h.id = c.assignee_id "
		"WHERE c.received_at >= ? AND c.received_at < ? "
		"ORDER BY c.received_at, c.id";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_report_case c = {
			.id = sqlite3_column_int64(st, 0),
			.received_at = sqlite3_column_int64(st, 1),
			.closed_at = sqlite3_column_int64(st, 2),
			.first_answer_at = sqlite3_column_int64(st, 3),
			.channel = store_col_text(st, 4),
			.workflow = store_col_text(st, 5),
			.workflow_version = sqlite3_column_int(st, 6),
			.group = store_col_text(st, 7),
			.handler = store_col_text(st, 8),
		};

		if (fn(&c, ctx) != 0)
			break;
	}
	return store_rows_end(store, st, rc, "read cases", error_r);
}

int
store_cases_closed_before(struct store *store, int64_t before,
			  int (*fn)(const struct store_closed_case *c,
				    void *ctx),
			  void *ctx, char **error_r)
{
	/* a scan of cases (no index has closed_at): a daily job's */
	static const char sql[] =
		"SELECT id, closed_at, number, workflow FROM cases "
		"WHERE closed_at IS NOT NULL AND closed_at < ? "
		"ORDER BY closed_at, id";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, before);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_closed_case c = {
			.id = sqlite3_column_int64(st, 0),
			.closed_at = sqlite3_column_int64(st, 1),
			.number = store_col_text(st, 2),
			.workflow = store_col_text(st, 3),
		};

		if (fn(&c, ctx) != 0)
			break;
	}
	return store_rows_end(store, st, rc, "read closed cases", error_r);
}

/* Runs SQL (bound to ID) once. 0, or -1 with *error_r. */
static int
exec_id(struct store *store, const char *sql, int64_t id, const char *what,
	char **error_r)
{
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return store_exec_stmt(store, st, what, error_r);
}

int
store_case_remove(struct store *store, int64_t id, int64_t before,
		  long *contacts_r, char **error_r)
{
	static const char due_sql[] =
		"SELECT closed_at < ?2, EXISTS (SELECT 1 FROM "
		"temp.pending_cases WHERE case_id = ?1) FROM cases "
		"WHERE id = ?1 AND closed_at IS NOT NULL";
	/* What the case names that may be no one else's: its parties
	   (the citizen among them) and its raw mails. */
	static const char keep_sql[] =
		"CREATE TEMP TABLE IF NOT EXISTS removed_refs ("
		"contact_id INTEGER, sha256 TEXT)";
	static const char refs_sql[] =
		"INSERT INTO temp.removed_refs (contact_id, sha256) "
		"SELECT contact_id, NULL FROM case_party WHERE case_id = ?1 "
		"UNION SELECT citizen_id, NULL FROM cases WHERE id = ?1 AND "
		"citizen_id IS NOT NULL "
		"UNION SELECT NULL, raw_sha256 FROM message WHERE case_id = ?1 "
		"AND raw_sha256 IS NOT NULL";
	/* Each table by its index on the case or message: with foreign
	   keys enforced, every removed message would have SQLite read the
	   whole outbox (no index has its message), a second or more a case
	   on a large database. The outbox rows go by outbox_case, with the
	   case: a backup taken meanwhile, or a crash, finds none of a case
	   that is gone. The full-text index goes by trigger. */
	static const char *const case_sql[] = {
		"DELETE FROM outbox WHERE case_id = ?",
		"DELETE FROM message_recipient WHERE message_id IN "
		"(SELECT id FROM message WHERE case_id = ?)",
		"DELETE FROM attachment WHERE message_id IN "
		"(SELECT id FROM message WHERE case_id = ?)",
		"DELETE FROM case_forward WHERE case_id = ?",
		"DELETE FROM message WHERE case_id = ?",
		"DELETE FROM event WHERE case_id = ?",
		"DELETE FROM timer WHERE case_id = ?",
		"DELETE FROM case_party WHERE case_id = ?",
		/* retention runs without foreign keys: the ON DELETE SET
		   NULL of a case merged into this one is done here, or its
		   link would name the next case given this id, another
		   citizen's (ids of deleted cases are given again) */
		"UPDATE cases SET merged_into = NULL WHERE merged_into = ?",
		"DELETE FROM cases WHERE id = ?",
	};
	static const char raws_sql[] =
		"DELETE FROM raw_message WHERE sha256 IN "
		"(SELECT sha256 FROM temp.removed_refs WHERE sha256 IS NOT NULL) "
		"AND NOT EXISTS (SELECT 1 FROM message m WHERE "
		"m.raw_sha256 = raw_message.sha256) AND NOT EXISTS "
		"(SELECT 1 FROM inbox i WHERE i.raw_id = raw_message.id)";
	/* citizens no case names any more: a message or event of theirs
	   is on a case that names them (as a party) */
	static const char gone_sql[] =
		"DELETE FROM temp.removed_refs WHERE contact_id IS NULL OR "
		"contact_id NOT IN (SELECT id FROM contact WHERE kind = "
		"'citizen') OR EXISTS (SELECT 1 FROM cases c WHERE "
		"c.citizen_id = removed_refs.contact_id) OR EXISTS (SELECT 1 "
		"FROM case_party p WHERE p.contact_id = removed_refs.contact_id)";
	static const char addresses_sql[] =
		"DELETE FROM contact_address WHERE contact_id IN "
		"(SELECT contact_id FROM temp.removed_refs)";
	static const char contacts_sql[] =
		"DELETE FROM contact WHERE id IN "
		"(SELECT contact_id FROM temp.removed_refs)";
	static const char clear_sql[] = "DELETE FROM temp.removed_refs";
	/* The notifications of the citizen's other cases list the case
	   among the citizen's open ones ("  KS-2026-00042  Buller ..."):
	   its subject goes from them too, its number stays. Their text
	   is their message's (outbox.body_in_message); the outbox rows
	   written before that (schema 25) keep theirs. */
	static const char redact_sql[] =
		"UPDATE message SET body_stripped = replace(body_stripped, "
		"'  ' || c.number || '  ' || c.subject || char(10), "
		"'  ' || c.number || '  ' || '\u2026' || char(10)) "
		"FROM (SELECT number, subject, citizen_id FROM cases "
		"WHERE id = ?1 AND citizen_id IS NOT NULL AND "
		"coalesce(subject, '') <> '') AS c "
		"WHERE message.case_id IN (SELECT id FROM cases o WHERE "
		"o.citizen_id = c.citizen_id AND o.id <> ?1) "
		"AND message.direction = 'out' AND "
		"instr(message.body_stripped, '  ' || c.number || '  ') > 0";
	sqlite3_stmt *st;
	int64_t due = 0, pending = 0;
	int rc;

	if ((st = store_stmt(store, due_sql, error_r)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, before);
	rc = store_one_row(store, st, &due, &pending, "read case", error_r);
	if (rc <= 0 || !due)
		return rc < 0 ? -1 : 0;
	if (pending > 0)
		return 2;
	if (store_exec(store, keep_sql, error_r) < 0 ||
	    store_exec(store, clear_sql, error_r) < 0 ||
	    exec_id(store, refs_sql, id, "read case references", error_r) < 0 ||
	    exec_id(store, redact_sql, id, "take case subject out", error_r) < 0)
		return -1;
	for (size_t i = 0; i < N_ELEMENTS(case_sql); i++)
		if (exec_id(store, case_sql[i], id, "remove case", error_r) < 0)
			return -1;
	if (store_exec(store, raws_sql, error_r) < 0 ||
	    store_exec(store, gone_sql, error_r) < 0 ||
	    store_exec(store, addresses_sql, error_r) < 0 ||
	    store_exec(store, contacts_sql, error_r) < 0)
		return -1;
	*contacts_r += sqlite3_changes(store->db);
	return store_exec(store, clear_sql, error_r) < 0 ? -1 : 1;
}

int
store_pending_cases(struct store *store, char **error_r)
{
	/* through outbox_queue: the rows still to send, however many */
	return store_exec(store, "CREATE TEMP TABLE IF NOT EXISTS "
			  "pending_cases (case_id INTEGER PRIMARY KEY); "
			  "DELETE FROM temp.pending_cases; "
			  "INSERT OR IGNORE INTO temp.pending_cases "
			  "SELECT case_id FROM outbox WHERE status IN "
			  "('queued', 'sending') AND case_id IS NOT NULL",
			  error_r);
}

int
store_case_pending(struct store *store, int64_t id, char **error_r)
{
	static const char sql[] =
		"SELECT EXISTS (SELECT 1 FROM outbox WHERE case_id = ?1 AND "
		"status IN ('queued', 'sending'))";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int64_t pending = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (store_one_row(store, st, &pending, NULL, "read case outbox",
			  error_r) < 0)
		return -1;
	return pending != 0;
}

int
store_foreign_keys(struct store *store, bool on, char **error_r)
{
	return store_exec(store, on ? "PRAGMA foreign_keys = ON" :
			  "PRAGMA foreign_keys = OFF", error_r);
}

int
store_message_add(struct store *store, int64_t case_id,
		  const struct store_message_new *m, int64_t *id_r,
		  char **error_r)
{
	static const char sql[] =
		"INSERT INTO message (case_id, direction, channel, visibility, "
		"contact_id, rfc_message_id, subject, body_full, body_stripped, "
		"at, kind, in_reply_to, raw_sha256, dedupe_key, refused) "
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	store_bind_text(st, 2, m->direction);
	store_bind_text(st, 3, m->channel);
	store_bind_text(st, 4, m->visibility != NULL ? m->visibility : "public");
	store_bind_id(st, 5, m->contact_id);
	store_bind_text(st, 6, m->rfc_message_id);
	store_bind_text(st, 7, m->subject);
	/* a mail with nothing to strip (a third of them) keeps its text
	   once: body_full NULL means "as body_stripped" */
	store_bind_text(st, 8, m->body_full != NULL &&
			       m->body_stripped != NULL &&
			       strcmp(m->body_full, m->body_stripped) == 0 ?
			       NULL : m->body_full);
	store_bind_text(st, 9, m->body_stripped);
	sqlite3_bind_int64(st, 10, m->at);
	store_bind_text(st, 11, m->kind != NULL ? m->kind : "mail");
	store_bind_text(st, 12, m->in_reply_to);
	store_bind_text(st, 13, m->raw_sha256);
	/* a key that only repeats the Message-ID would be a second
	   index entry, at a random place, for each mail that comes in */
	store_bind_text(st, 14, store_dedupe_is_mid(m->dedupe_key,
						    m->rfc_message_id) ?
			       NULL : m->dedupe_key);
	sqlite3_bind_int(st, 15, m->refused);
	if (store_exec_stmt(store, st, "add message", error_r) < 0)
		return -1;
	*id_r = sqlite3_last_insert_rowid(store->db);
	store_note_message(store);
	return 0;
}

/* Calls FN on each message ST yields (bound by the caller), its columns
   in the order of struct store_message, until FN returns non-zero. */
static int
each_message(struct store *store, sqlite3_stmt *st,
	     int (*fn)(const struct store_message *m, void *ctx), void *ctx,
	     char **error_r)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_message m = {
			sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
			store_col_text(st, 2), store_col_text(st, 3),
			store_col_text(st, 4), store_col_text(st, 5),
			store_col_text(st, 6), store_col_text(st, 7),
			sqlite3_column_int(st, 8) != 0,
			.officer = sqlite3_column_count(st) > 10 &&
				sqlite3_column_int(st, 9) != 0,
			.files = sqlite3_column_count(st) > 10 &&
				sqlite3_column_int(st, 10) != 0,
			.forwarded_to = sqlite3_column_count(st) > 11 ?
				store_col_text(st, 11) : NULL,
			.full = sqlite3_column_count(st) > 12 ?
				store_col_text(st, 12) : NULL,
		};

		if (fn(&m, ctx) != 0)
			break;
	}
	return store_rows_end(store, st, rc, "read messages", error_r);
}

/* The messages of case CASE_ID in time order to FN: only the
   conversation when CONVERSATION, only contact CONTACT_ID's when it is
   not 0. */
static int
case_messages(struct store *store, int64_t case_id, bool conversation,
	      int64_t contact_id,
	      int (*fn)(const struct store_message *m, void *ctx), void *ctx,
	      char **error_r)
{
	static const char sql[] =
		"SELECT m.id, m.at, m.direction, m.channel, m.visibility, "
		"coalesce(c.name, c.login), m.subject, "
		"coalesce(m.body_stripped, m.body_full), m.refused, "
		"coalesce(c.kind = 'handler', 0), EXISTS (SELECT 1 FROM "
		"attachment a WHERE a.message_id = m.id), "
		"(SELECT group_concat(f.address, ', ') FROM case_forward f "
		"WHERE f.note_id = m.id), m.body_full "
		"FROM message m "
		"LEFT JOIN contact c ON c.id = m.contact_id "
		"WHERE m.case_id = ?1 AND (?2 = 0 OR m.direction = 'in' OR "
		"m.visibility = 'public') AND (?3 = 0 OR m.contact_id = ?3) "
		"ORDER BY m.at, m.id";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_int(st, 2, conversation);
	sqlite3_bind_int64(st, 3, contact_id);
	return each_message(store, st, fn, ctx, error_r);
}

int
store_case_messages(struct store *store, int64_t case_id, bool conversation,
		    int (*fn)(const struct store_message *m, void *ctx),
		    void *ctx, char **error_r)
{
	return case_messages(store, case_id, conversation, 0, fn, ctx,
			     error_r);
}

int
store_case_messages_from(struct store *store, int64_t case_id,
			 int64_t contact_id,
			 int (*fn)(const struct store_message *m, void *ctx),
			 void *ctx, char **error_r)
{
	return case_messages(store, case_id, false, contact_id, fn, ctx,
			     error_r);
}

int
store_contact_cases(struct store *store, int64_t contact_id,
		    int (*fn)(int64_t case_id, const char *number,
			      bool citizen, void *ctx),
		    void *ctx, char **error_r)
{
	/* a case they are no party to but wrote in counts too: a case
	   officer's reply whose commands were refused is kept on the
	   case, from them, without making them a party */
	static const char sql[] =
		"SELECT id, number, citizen_id = ?1 FROM cases WHERE "
		"citizen_id = ?1 OR id IN (SELECT case_id FROM case_party "
		"WHERE contact_id = ?1) OR id IN (SELECT case_id FROM "
		"message WHERE contact_id = ?1) ORDER BY received_at, id";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, contact_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(sqlite3_column_int64(st, 0), store_col_text(st, 1),
		       sqlite3_column_int(st, 2) != 0, ctx) != 0)
			break;
	return store_rows_end(store, st, rc, "list a contact's cases", error_r);
}

int
store_case_recent_messages(struct store *store, int64_t case_id, int limit,
			   int (*fn)(const struct store_message *m, void *ctx),
			   void *ctx, char **error_r)
{
	/* the newest LIMIT of the conversation by its index (the WHERE
	   term is the index's, word for word), then in time order; only
	   the first line of each text is wanted, so no whole bodies are
	   read. A handler's public reply is left out: its text is the
	   answer that went to the citizen, listed as that, and a reply of
	   commands alone has none; nor has a refused one (commands that
	   were not carried out, or only quoted lines), which would show as
	   the handler's name and nothing, in the place of a message.
	   Whether a message has files: a photo sent with no text has a
	   line too. */
	static const char sql[] =
		"SELECT m.id, m.at, m.direction, m.channel, m.visibility, "
		"coalesce(c.name, c.login), m.subject, "
		"substr(coalesce(m.body_stripped, m.body_full), 1, 200), "
		"m.refused, 0, EXISTS (SELECT 1 FROM attachment a WHERE "
		"a.message_id = m.id), (SELECT group_concat(f.address, ', ') "
		"FROM case_forward f WHERE f.note_id = m.id) FROM "
		"(SELECT * FROM message WHERE case_id = ?1 AND "
		"(direction = 'in' OR visibility = 'public') AND NOT "
		"(direction = 'in' AND visibility = 'public' AND EXISTS "
		"(SELECT 1 FROM contact WHERE id = message.contact_id AND "
		"kind = 'handler')) AND NOT (refused AND "
		"coalesce(body_stripped, '') = '') "
		"ORDER BY id DESC LIMIT ?2) m "
		"LEFT JOIN contact c ON c.id = m.contact_id AND "
		"c.kind = 'handler' ORDER BY m.at, m.id";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_int(st, 2, limit);
	return each_message(store, st, fn, ctx, error_r);
}
