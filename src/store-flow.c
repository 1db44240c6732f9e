/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the workflow engine keeps: workflow versions, case flow fields,
   armed timers, and the handlers and groups actions name. */
#include "config.h"

#include "store-private.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int
store_workflow_def_put(struct store *store, const char *id, int version,
		       const char *sha256, const void *source, size_t len,
		       int64_t now, char **error_r)
{
	static const char get[] =
		"SELECT sha256 FROM workflow_def WHERE workflow = ? AND version = ?";
	static const char put[] =
		"INSERT INTO workflow_def (workflow, version, sha256, source, "
		"loaded_at) VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt *st = store_stmt(store, get, error_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, version);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int same = strcmp(store_col_text(st, 0), sha256) == 0;
		int newest = version;
		char *err = NULL;

		sqlite3_reset(st);
		if (same)
			return 0;
		/* the number to give: one never used, or it is refused
		   again (a version recorded once and its file removed) */
		if (store_workflow_newest(store, id, &newest, &err) < 0)
			free(err);
		/* the other way out: a shipped workflow a newer cirm
		   changed without a new number, copied over the
		   instance's own after an upgrade */
		*error_r = xasprintf("workflow %s version %d is already in use "
				     "with other contents: give the changed "
				     "workflow a new version number, such as "
				     "%d (the newest the database has is %d), "
				     "or put back the file that ran: cirmctl "
				     "workflow export %s --version %d",
				     id, version, newest + 1, newest, id,
				     version);
		return -1;
	}
	if (rc != SQLITE_DONE)
		return store_fail(store, "read workflow", error_r);
	st = store_stmt(store, put, error_r);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, version);
	sqlite3_bind_text(st, 3, sha256, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, source, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now);
	return store_exec_stmt(store, st, "record workflow", error_r) < 0 ? -1 : 1;
}

int
store_workflow_def_get(struct store *store, const char *id, int version,
		       char **source_r, size_t *len_r, char **error_r)
{
	static const char sql[] =
		"SELECT source FROM workflow_def WHERE workflow = ? AND version = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc, n;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, version);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		n = sqlite3_column_bytes(st, 0);
		*source_r = xmalloc((size_t)n + 1);
		memcpy(*source_r, sqlite3_column_blob(st, 0), (size_t)n);
		(*source_r)[n] = '\0';
		*len_r = (size_t)n;
	}
	return store_row_end(store, st, rc, "read workflow", error_r);
}

int
store_workflow_newest(struct store *store, const char *id, int *version_r,
		      char **error_r)
{
	static const char sql[] =
		"SELECT max(version) FROM workflow_def WHERE workflow = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*version_r = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	if (store_rows_end(store, st, rc, "read workflows", error_r) < 0)
		return -1;
	return *version_r > 0;
}

int
store_workflow_ids(struct store *store, struct strlist *ids, char **error_r)
{
	static const char sql[] =
		"SELECT DISTINCT workflow FROM workflow_def ORDER BY workflow";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		strlist_add(ids, store_col_text(st, 0));
	return store_rows_end(store, st, rc, "read workflows", error_r);
}

int
store_workflow_version_list(struct store *store, const char *id,
			    struct strlist *versions, char **error_r)
{
	static const char sql[] =
		"SELECT version FROM workflow_def WHERE workflow = ? "
		"ORDER BY version";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		strlist_addf(versions, "%d", sqlite3_column_int(st, 0));
	return store_rows_end(store, st, rc, "read workflow versions",
			      error_r);
}

int
store_workflow_versions_open(struct store *store,
			     int (*fn)(const char *id, int version,
				       int64_t cases, void *ctx),
			     void *ctx, char **error_r)
{
	/* cases_open_workflow covers it */
	static const char sql[] =
		"SELECT workflow, workflow_version, count(*) FROM cases WHERE "
		"closed_at IS NULL AND workflow IS NOT NULL GROUP BY workflow, "
		"workflow_version ORDER BY workflow, workflow_version";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	struct strlist ids = { 0 };
	int *versions = NULL;
	int64_t *counts = NULL;
	int rc, ret;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		versions = xrealloc(versions,
				    (ids.n + 1) * sizeof(*versions));
		counts = xrealloc(counts, (ids.n + 1) * sizeof(*counts));
		versions[ids.n] = sqlite3_column_int(st, 1);
		counts[ids.n] = sqlite3_column_int64(st, 2);
		strlist_add(&ids, store_col_text(st, 0));
	}
	ret = store_rows_end(store, st, rc, "read cases", error_r);
	for (size_t i = 0; ret == 0 && i < ids.n; i++) {
		if (fn(ids.v[i], versions[i], counts[i], ctx) != 0)
			ret = -1;
	}
	strlist_clear(&ids);
	free(versions);
	free(counts);
	return ret;
}

static char *
dup_col(sqlite3_stmt *st, int col)
{
	const char *s = store_col_text(st, col);

	return s != NULL ? xstrdup(s) : NULL;
}

int
store_case_flow_get(struct store *store, int64_t case_id,
		    struct store_case_flow *f, char **error_r)
{
	static const char sql[] =
		"SELECT c.number, c.workflow, c.workflow_version, c.state, "
		"c.channel, c.subject, c.category, c.priority, c.citizen_id, "
		"c.assignee_id, c.group_id, c.due_at, c.closed_at, "
		"c.received_at, coalesce(nullif(h.name, ''), h.login), "
		"coalesce(h.active, 0), c.merged_into, h.away_until "
		"FROM cases c LEFT JOIN contact h ON h.id = c.assignee_id "
		"WHERE c.id = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	memset(f, 0, sizeof(*f));
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		f->id = case_id;
		f->number = dup_col(st, 0);
		f->workflow = dup_col(st, 1);
		f->workflow_version = sqlite3_column_int(st, 2);
		f->state = dup_col(st, 3);
		f->channel = dup_col(st, 4);
		f->subject = dup_col(st, 5);
		f->category = dup_col(st, 6);
		f->priority = dup_col(st, 7);
		f->citizen_id = sqlite3_column_int64(st, 8);
		f->assignee_id = sqlite3_column_int64(st, 9);
		f->group_id = sqlite3_column_int64(st, 10);
		f->due_at = sqlite3_column_int64(st, 11);
		f->closed_at = sqlite3_column_int64(st, 12);
		f->received_at = sqlite3_column_int64(st, 13);
		f->assignee_name = dup_col(st, 14);
		/* away (#borta) counts as not active until back; compared
		   here rather than in SQL, for the engine reads a case per
		   event */
		f->assignee_away = sqlite3_column_int64(st, 17) > cirm_now() ?
			sqlite3_column_int64(st, 17) : 0;
		f->assignee_active = sqlite3_column_int(st, 15) != 0 &&
			f->assignee_away == 0;
		f->merged_into = sqlite3_column_int64(st, 16);
	}
	return store_row_end(store, st, rc, "read case", error_r);
}

void
store_case_flow_clear(struct store_case_flow *f)
{
	free(f->number);
	free(f->workflow);
	free(f->state);
	free(f->channel);
	free(f->subject);
	free(f->category);
	free(f->priority);
	free(f->assignee_name);
	memset(f, 0, sizeof(*f));
}

/* Binds FIELDS from parameter I on. */
static void
bind_fields(sqlite3_stmt *st, int i, const struct store_case_fields *f)
{
	store_bind_text(st, i, f->priority);
	store_bind_text(st, i + 1, f->category);
	store_bind_id(st, i + 2, f->group_id);
	store_bind_id(st, i + 3, f->due_at);
}

#define FIELDS_SQL \
	"priority = coalesce(?, 'normal'), category = ?, group_id = ?, " \
	"due_at = ?, "

int
store_case_flow_set(struct store *store, int64_t case_id, const char *workflow,
		    int version, const char *state, int closed, int64_t now,
		    const struct store_case_fields *fields, char **error_r)
{
	static const char sql[] =
		"UPDATE cases SET workflow = ?, workflow_version = ?, state = ?, "
		"closed_at = CASE WHEN ? THEN coalesce(closed_at, ?) END, "
		"updated_at = ? WHERE id = ?";
	static const char fields_sql[] =
		"UPDATE cases SET workflow = ?, workflow_version = ?, state = ?, "
		"closed_at = CASE WHEN ? THEN coalesce(closed_at, ?) END, "
		FIELDS_SQL "updated_at = ? WHERE id = ?";
	sqlite3_stmt *st = store_stmt(store, fields != NULL ? fields_sql : sql,
				      error_r);
	int i = 6;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, workflow, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, version);
	sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, closed != 0);
	sqlite3_bind_int64(st, 5, now);
	if (fields != NULL) {
		bind_fields(st, i, fields);
		i += 4;
	}
	sqlite3_bind_int64(st, i, now);
	sqlite3_bind_int64(st, i + 1, case_id);
	return store_exec_stmt(store, st, "update case state", error_r);
}

int
store_case_state_set(struct store *store, int64_t case_id,
		     const char *before, const char *state, int closed,
		     int64_t now, const struct store_case_fields *fields,
		     char **error_r)
{
	/* SQLite updates every index on a column the statement sets, even
	   to the value it had: setting only what changed spares the index
	   on open cases (cases_open_workflow, whose condition reads
	   closed_at) a delete and an insert. The fields have no index. */
	static const char same_sql[] =
		"UPDATE cases SET " FIELDS_SQL "updated_at = ? WHERE id = ?";
	static const char state_sql[] =
		"UPDATE cases SET state = ?, " FIELDS_SQL
		"updated_at = ? WHERE id = ?";
	static const char closed_sql[] =
		"UPDATE cases SET state = ?, closed_at = coalesce(closed_at, ?), "
		FIELDS_SQL "updated_at = ? WHERE id = ?";
	bool same = before != NULL && strcmp(before, state) == 0;
	sqlite3_stmt *st = store_stmt(store, closed ? closed_sql :
				      same ? same_sql : state_sql, error_r);
	int i = 1;

	if (st == NULL)
		return -1;
	if (closed || !same)
		sqlite3_bind_text(st, i++, state, -1, SQLITE_STATIC);
	if (closed)
		sqlite3_bind_int64(st, i++, now);
	bind_fields(st, i, fields);
	i += 4;
	sqlite3_bind_int64(st, i++, now);
	sqlite3_bind_int64(st, i, case_id);
	return store_exec_stmt(store, st, "update case state", error_r);
}

/* The fields actions may set, each with its own statement (no SQL is
   ever built from a name). */
static const struct {
	const char *field, *sql;
} case_fields[] = {
	{ "priority", "UPDATE cases SET priority = coalesce(?, 'normal') "
	  "WHERE id = ?" },
	{ "category", "UPDATE cases SET category = ? WHERE id = ?" },
	{ "assignee_id", "UPDATE cases SET assignee_id = ? WHERE id = ?" },
	{ "group_id", "UPDATE cases SET group_id = ? WHERE id = ?" },
	{ "due_at", "UPDATE cases SET due_at = ? WHERE id = ?" },
};

static sqlite3_stmt *
field_stmt(struct store *store, const char *field, char **error_r)
{
	for (size_t i = 0; i < N_ELEMENTS(case_fields); i++) {
		if (strcmp(case_fields[i].field, field) == 0)
			return store_stmt(store, case_fields[i].sql, error_r);
	}
	*error_r = xasprintf("no case field %s", field);
	return NULL;
}

int
store_case_set_text(struct store *store, int64_t case_id, const char *field,
		    const char *value, char **error_r)
{
	sqlite3_stmt *st = field_stmt(store, field, error_r);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, value);
	sqlite3_bind_int64(st, 2, case_id);
	return store_exec_stmt(store, st, "update case", error_r);
}

int
store_case_set_int(struct store *store, int64_t case_id, const char *field,
		   int64_t value, char **error_r)
{
	sqlite3_stmt *st = field_stmt(store, field, error_r);

	if (st == NULL)
		return -1;
	store_bind_id(st, 1, value);
	sqlite3_bind_int64(st, 2, case_id);
	return store_exec_stmt(store, st, "update case", error_r);
}

int
store_case_merge(struct store *store, int64_t case_id, int64_t into,
		 char **error_r)
{
	static const char sql[] =
		"UPDATE cases SET merged_into = ?2 "
		"WHERE id = ?1 OR merged_into = ?1";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_int64(st, 2, into);
	return store_exec_stmt(store, st, "merge case", error_r);
}

int
store_timer_arm(struct store *store, int64_t case_id, const char *name,
		const char *state, const char *event, int64_t fire_at,
		int64_t now, bool replace, char **error_r)
{
	/* in the place of the timer of that name that fired last, or
	   (REPLACE) of the one armed */
	static const char sql[] =
		"INSERT INTO timer (case_id, name, state, event, fire_at, "
		"created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
		"ON CONFLICT (case_id, name) DO UPDATE SET state = ?3, "
		"event = ?4, fire_at = ?5, created_at = ?6, fired_at = NULL "
		"WHERE ?7 OR fired_at IS NOT NULL";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, event, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, fire_at);
	sqlite3_bind_int64(st, 6, now);
	sqlite3_bind_int(st, 7, replace);
	if (store_exec_stmt(store, st, "arm timer", error_r) < 0)
		return -1;
	if (sqlite3_changes(store->db) == 0) {
		*error_r = xasprintf("timer %s of case %lld is armed already",
				     name, (long long)case_id);
		return -1;
	}
	return 0;
}

int
store_timer_drop(struct store *store, int64_t case_id, const char *state,
		 char **error_r)
{
	static const char sql[] =
		"DELETE FROM timer WHERE case_id = ? AND state = ? "
		"AND fired_at IS NULL";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
	return store_exec_stmt(store, st, "drop timers", error_r);
}

/* The columns timers_each reads, in its order. */
#define TIMER_SELECT \
	"SELECT case_id, name, state, event, fire_at, created_at FROM timer "

/* Reads the timers ST yields (bound by the caller) and calls FN on each
   after the statement is done, so that FN may change the table. */
static int
timers_each(struct store *store, sqlite3_stmt *st,
	    int (*fn)(const struct store_timer *t, void *ctx), void *ctx,
	    char **error_r)
{
	struct store_timer *v = NULL;
	size_t n = 0;
	int rc, ret = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n].case_id = sqlite3_column_int64(st, 0);
		v[n].name = xstrdup(store_col_text(st, 1));
		v[n].state = xstrdup(store_col_text(st, 2));
		v[n].event = xstrdup(store_col_text(st, 3));
		v[n].fire_at = sqlite3_column_int64(st, 4);
		v[n].created_at = sqlite3_column_int64(st, 5);
		n++;
	}
	ret = store_rows_end(store, st, rc, "read timers", error_r);
	for (size_t i = 0; i < n; i++) {
		if (ret == 0 && fn(&v[i], ctx) != 0)
			ret = -1;
		free((char *)v[i].name);
		free((char *)v[i].state);
		free((char *)v[i].event);
	}
	free(v);
	return ret;
}

int
store_timers_due(struct store *store, int64_t now, int limit,
		 int (*fn)(const struct store_timer *t, void *ctx), void *ctx,
		 char **error_r)
{
	static const char sql[] =
		TIMER_SELECT
		"WHERE fired_at IS NULL AND fire_at <= ? "
		"ORDER BY fire_at, case_id, name LIMIT ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int(st, 2, limit);
	return timers_each(store, st, fn, ctx, error_r);
}

int
store_case_timers(struct store *store, int64_t case_id,
		  int (*fn)(const struct store_timer *t, void *ctx), void *ctx,
		  char **error_r)
{
	static const char sql[] =
		TIMER_SELECT
		"WHERE case_id = ? AND fired_at IS NULL ORDER BY fire_at, name";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	return timers_each(store, st, fn, ctx, error_r);
}

int
store_case_timers_fired(struct store *store, int64_t case_id,
			int (*fn)(const struct store_timer *t, void *ctx),
			void *ctx, char **error_r)
{
	static const char sql[] =
		TIMER_SELECT
		"WHERE case_id = ? AND fired_at IS NOT NULL "
		"ORDER BY fired_at, name";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	return timers_each(store, st, fn, ctx, error_r);
}

int
store_timer_delete(struct store *store, int64_t case_id, const char *name,
		   char **error_r)
{
	static const char sql[] =
		"DELETE FROM timer WHERE case_id = ? AND name = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	return store_exec_stmt(store, st, "delete timer", error_r);
}

int
store_timer_move(struct store *store, int64_t case_id, const char *name,
		 const char *state, const char *event, int64_t fire_at,
		 char **error_r)
{
	static const char sql[] =
		"UPDATE timer SET state = ?, event = ?, fire_at = ? "
		"WHERE case_id = ? AND name = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, event, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, fire_at);
	sqlite3_bind_int64(st, 4, case_id);
	sqlite3_bind_text(st, 5, name, -1, SQLITE_STATIC);
	return store_exec_stmt(store, st, "move timer", error_r);
}

int
store_cases_on_version(struct store *store, const char *id, int version,
		       int (*fn)(const struct store_flow_case *c, void *ctx),
		       void *ctx, char **error_r)
{
	static const char sql[] =
		"SELECT id, number, state FROM cases WHERE workflow = ? AND "
		"workflow_version = ? AND closed_at IS NULL ORDER BY id";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	struct strlist numbers = { 0 }, states = { 0 };
	int64_t *ids = NULL;
	size_t n = 0;
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, version);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ids = xrealloc(ids, (n + 1) * sizeof(*ids));
		ids[n++] = sqlite3_column_int64(st, 0);
		strlist_add(&numbers, store_col_text(st, 1));
		strlist_add(&states, store_col_text(st, 2));
	}
	ret = store_rows_end(store, st, rc, "read cases", error_r);
	for (size_t i = 0; ret == 0 && i < n; i++) {
		struct store_flow_case c = { ids[i], numbers.v[i], states.v[i] };

		if (fn(&c, ctx) != 0)
			ret = -1;
	}
	strlist_clear(&numbers);
	strlist_clear(&states);
	free(ids);
	return ret;
}

int
store_timer_fired(struct store *store, const struct store_timer *t,
		  int64_t now, char **error_r)
{
	static const char sql[] =
		"UPDATE timer SET fired_at = ? WHERE case_id = ? AND name = ? "
		"AND fire_at = ? AND created_at = ? AND fired_at IS NULL";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, t->case_id);
	sqlite3_bind_text(st, 3, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, t->fire_at);
	sqlite3_bind_int64(st, 5, t->created_at);
	if (store_exec_stmt(store, st, "fire timer", error_r) < 0)
		return -1;
	return sqlite3_changes(store->db) > 0;
}

/* Runs SQL with one text or integer parameter for one integer result. */
static int
lookup_id(struct store *store, const char *sql, const char *text, int64_t key,
	  int64_t *id_r, const char *what, char **error_r)
{
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	if (text != NULL)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, key);
	return store_one_row(store, st, id_r, NULL, what, error_r);
}

int
store_handler_by_login(struct store *store, const char *login, int64_t *id_r,
		       char **error_r)
{
	static const char sql[] =
		"SELECT id FROM contact WHERE kind = 'handler' AND login = ? "
		"AND active = 1 AND " STORE_PRESENT("contact");

	return lookup_id(store, sql, login, 0, id_r, "find handler", error_r);
}

int
store_handler_find(struct store *store, const char *login, int64_t *id_r,
		   int *active_r, char **error_r)
{
	static const char sql[] =
		"SELECT id, active FROM contact WHERE kind = 'handler' AND "
		"login = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, login);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id_r = sqlite3_column_int64(st, 0);
		*active_r = sqlite3_column_int(st, 1);
	}
	return store_row_end(store, st, rc, "find handler", error_r);
}

int
store_handler_away(struct store *store, int64_t id, int64_t *until_r,
		   char **error_r)
{
	static const char sql[] =
		"SELECT away_until FROM contact WHERE id = ? AND NOT "
		STORE_PRESENT("contact");

	*until_r = 0;
	return lookup_id(store, sql, NULL, id, until_r, "read absence",
			 error_r);
}

int
store_handler_address_generation(struct store *store, int64_t id,
				 int64_t *generation_r, char **error_r)
{
	static const char sql[] =
		"SELECT address_generation FROM contact WHERE id = ? AND "
		"kind = 'handler'";

	*generation_r = 0;
	return lookup_id(store, sql, NULL, id, generation_r,
			 "read own address", error_r);
}

int
store_handler_new_address(struct store *store, int64_t id,
			  int64_t *generation_r, char **error_r)
{
	static const char sql[] =
		"UPDATE contact SET address_generation = address_generation "
		"+ 1 WHERE id = ? AND kind = 'handler' "
		"RETURNING address_generation";

	*generation_r = 0;
	return lookup_id(store, sql, NULL, id, generation_r,
			 "replace own address", error_r);
}

int
store_handler_set_away(struct store *store, int64_t id, int64_t until,
		       char **error_r)
{
	static const char sql[] =
		"UPDATE contact SET away_until = ? WHERE id = ? "
		"AND kind = 'handler'";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	store_bind_id(st, 1, until);
	sqlite3_bind_int64(st, 2, id);
	return store_exec_stmt(store, st, "update contact", error_r);
}

int
store_contact_set_active(struct store *store, int64_t id, int active,
			 char **error_r)
{
	static const char sql[] = "UPDATE contact SET active = ? WHERE id = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, active != 0);
	sqlite3_bind_int64(st, 2, id);
	return store_exec_stmt(store, st, "update contact", error_r);
}

int
store_group_by_name(struct store *store, const char *name, int64_t *id_r,
		    char **error_r)
{
	static const char sql[] = "SELECT id FROM handler_group WHERE name = ?";
	bool txn = !sqlite3_get_autocommit(store->db);
	int rc;

	/* a workflow names its groups in every case's run: in a batch of
	   the engine they are looked up once */
	for (int i = 0; txn && i < store->ngroups; i++) {
		if (strcmp(store->groups[i].name, name) == 0) {
			*id_r = store->groups[i].id;
			return *id_r != 0;
		}
	}
	*id_r = 0;
	rc = lookup_id(store, sql, name, 0, id_r, "find group", error_r);
	if (rc >= 0 && txn && store->ngroups < STORE_GROUPS_SEEN) {
		store->groups[store->ngroups].name = xstrdup(name);
		store->groups[store->ngroups].id = rc > 0 ? *id_r : 0;
		store->ngroups++;
	}
	return rc;
}

int
store_group_next_member(struct store *store, int64_t group_id, int64_t *id_r,
			char **error_r)
{
	static const char sql[] =
		"SELECT c.id FROM group_member m JOIN contact c ON c.id = "
		"m.contact_id WHERE m.group_id = ? AND c.active = 1 "
		"AND " STORE_PRESENT("c") " "
		"ORDER BY (SELECT count(*) FROM cases k WHERE k.assignee_id = "
		"c.id AND k.closed_at IS NULL), c.id LIMIT 1";

	return lookup_id(store, sql, NULL, group_id, id_r, "pick handler",
			 error_r);
}

int
store_group_emails(struct store *store, int64_t group_id,
		   int (*fn)(int64_t contact_id, const char *address, void *ctx),
		   void *ctx, char **error_r)
{
	/* Driven by the group's members (the primary key), each member's
	   first address through its index: without statistics SQLite
	   would otherwise scan every address of every citizen. */
	/* Those away (#borta) only when nobody of the group is present:
	   a case must reach someone, who reads it when back. */
	static const char sql[] =
		"SELECT c.id, (SELECT a.address FROM contact_address a WHERE "
		"a.contact_id = c.id AND a.kind = 'email' ORDER BY a.id "
		"LIMIT 1), " STORE_PRESENT("c") " FROM group_member m "
		"CROSS JOIN contact c "
		"WHERE m.group_id = ? AND c.id = m.contact_id AND c.active = 1 "
		"ORDER BY c.id";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	struct strlist l = { 0 };
	int64_t *ids = NULL;
	size_t n = 0;
	bool present = false;
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, group_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		bool here = sqlite3_column_int(st, 2) != 0;

		if (sqlite3_column_type(st, 1) == SQLITE_NULL)
			continue;	/* a member without an address */
		if (present && !here)
			continue;
		if (here && !present) {
			/* the first present: the away ones before go */
			present = true;
			strlist_clear(&l);
			n = 0;
		}
		ids = xrealloc(ids, (n + 1) * sizeof(*ids));
		ids[n++] = id;
		strlist_add(&l, store_col_text(st, 1));
	}
	ret = store_rows_end(store, st, rc, "read group", error_r);
	for (size_t i = 0; ret == 0 && i < l.n; i++) {
		if (fn(ids[i], l.v[i], ctx) != 0)
			ret = -1;
	}
	strlist_clear(&l);
	free(ids);
	return ret;
}

int
store_group_names(struct store *store, struct strlist *names,
		  char **error_r)
{
	static const char sql[] =
		"SELECT name FROM handler_group ORDER BY name";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		strlist_add(names, store_col_text(st, 0));
	return store_rows_end(store, st, rc, "read groups", error_r);
}

int
store_case_notified_group(struct store *store, int64_t case_id,
			  int64_t contact_id, char **name_r, char **error_r)
{
	/* a group the contact is in, or the contact by login */
	static const char sql[] =
		"SELECT e.detail FROM event e WHERE e.case_id = ?1 AND "
		"e.kind = 'notify' AND ((e.detail GLOB 'group:*' AND EXISTS "
		"(SELECT 1 FROM handler_group g JOIN group_member m ON "
		"m.group_id = g.id WHERE g.name = substr(e.detail, 7) AND "
		"m.contact_id = ?2)) OR e.detail = 'handler:' || (SELECT "
		"login FROM contact WHERE id = ?2)) ORDER BY e.id DESC LIMIT 1";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	*name_r = NULL;
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_int64(st, 2, contact_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*name_r = xstrdup(store_col_text(st, 0));
	rc = store_row_end(store, st, rc, "read notified group", error_r);
	if (rc <= 0) {
		free(*name_r);
		*name_r = NULL;
	}
	return rc;
}

int
store_group_has_member(struct store *store, const char *name,
		       int64_t contact_id, char **error_r)
{
	static const char sql[] =
		"SELECT 1 FROM handler_group g JOIN group_member m ON "
		"m.group_id = g.id WHERE g.name = ? AND m.contact_id = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, contact_id);
	rc = sqlite3_step(st);
	return store_row_end(store, st, rc, "read group", error_r);
}

int
store_contact_kind(struct store *store, int64_t contact_id, char **kind_r,
		   char **language_r, char **error_r)
{
	static const char sql[] =
		"SELECT kind, language FROM contact WHERE id = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, contact_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*kind_r = xstrdup(store_col_text(st, 0));
		*language_r = xstrdup(store_col_text(st, 1));
	}
	return store_row_end(store, st, rc, "read contact", error_r);
}

int
store_contact_name(struct store *store, int64_t contact_id, char **name_r,
		   char **error_r)
{
	static const char sql[] =
		"SELECT coalesce(nullif(name, ''), login, '') FROM contact "
		"WHERE id = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, contact_id);
	return store_one_text(store, st, name_r, "read contact", error_r);
}

int
store_contact_login(struct store *store, int64_t contact_id, char **login_r,
		    char **error_r)
{
	static const char sql[] =
		"SELECT login FROM contact WHERE id = ? AND login IS NOT NULL";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, contact_id);
	return store_one_text(store, st, login_r, "read contact", error_r);
}

int
store_case_citizen_thread(struct store *store, int64_t case_id,
			  char **first_r, char **last_r, char **error_r)
{
	static const char sql[] =
		"WITH c AS (SELECT m.id, m.rfc_message_id AS mid FROM message m "
		"JOIN case_party p ON p.case_id = m.case_id AND "
		"p.contact_id = m.contact_id WHERE m.case_id = ? AND "
		"m.direction = 'in' AND m.rfc_message_id IS NOT NULL AND "
		"p.role = 'citizen') "
		"SELECT (SELECT mid FROM c ORDER BY id LIMIT 1), "
		"(SELECT mid FROM c ORDER BY id DESC LIMIT 1) "
		"WHERE EXISTS (SELECT 1 FROM c)";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	*first_r = *last_r = NULL;
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*first_r = xstrdup(store_col_text(st, 0));
		*last_r = xstrdup(store_col_text(st, 1));
	}
	if (store_row_end(store, st, rc, "read message", error_r) < 0) {
		free(*first_r);
		free(*last_r);
		*first_r = *last_r = NULL;
		return -1;
	}
	return rc == SQLITE_ROW;
}

int
store_case_last_text(struct store *store, int64_t case_id, const char *by,
		     char **text_r, char **full_r, char **error_r)
{
	static const char sql[] =
		"SELECT m.body_stripped, m.body_full FROM message m "
		"JOIN contact c ON c.id = m.contact_id "
		"WHERE m.case_id = ? AND m.direction = 'in' AND "
		"m.visibility = 'public' AND m.kind = 'mail' AND "
		"m.refused = 0 AND c.kind = ? AND "
		"m.body_stripped <> '' ORDER BY m.id DESC LIMIT 1";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	*text_r = NULL;
	if (full_r != NULL)
		*full_r = NULL;
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_text(st, 2, by, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*text_r = xstrdup(store_col_text(st, 0));
		if (full_r != NULL && store_col_text(st, 1) != NULL)
			*full_r = xstrdup(store_col_text(st, 1));
	}
	if (store_row_end(store, st, rc, "read message", error_r) < 0) {
		free(*text_r);
		*text_r = NULL;
		if (full_r != NULL) {
			free(*full_r);
			*full_r = NULL;
		}
		return -1;
	}
	return rc == SQLITE_ROW;
}

int
store_contact_first(struct store *store, int64_t contact_id, const char *kind,
		    char **address_r, char **error_r)
{
	static const char sql[] =
		"SELECT address FROM contact_address WHERE contact_id = ? "
		"AND kind = ? ORDER BY id LIMIT 1";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, contact_id);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	return store_one_text(store, st, address_r, "read address", error_r);
}

int
store_officer_mail(struct store *store, int64_t contact_id, char **address_r,
		   bool *en_r, char **error_r)
{
	static const char sql[] =
		"SELECT a.address, c.language = 'en' "
		"FROM contact_address a JOIN contact c ON c.id = a.contact_id "
		"WHERE a.contact_id = ? AND a.kind = 'email' "
		"ORDER BY a.id LIMIT 1";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	*en_r = false;
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, contact_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*address_r = xstrdup(store_col_text(st, 0));
		*en_r = sqlite3_column_int(st, 1) != 0;
	}
	return store_row_end(store, st, rc, "read address", error_r);
}

int
store_contact_first_named(struct store *store, int64_t contact_id,
			  const char *kind, char **address_r, char **name_r,
			  char **error_r)
{
	static const char sql[] =
		"SELECT a.address, coalesce(nullif(c.name, ''), c.login, '') "
		"FROM contact_address a JOIN contact c ON c.id = a.contact_id "
		"WHERE a.contact_id = ? AND a.kind = ? ORDER BY a.id LIMIT 1";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, contact_id);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*address_r = xstrdup(store_col_text(st, 0));
		*name_r = xstrdup(store_col_text(st, 1));
	}
	return store_row_end(store, st, rc, "read address", error_r);
}

int
store_citizen_first_named(struct store *store, int64_t contact_id,
			  const char *kind, char **address_r, char **name_r,
			  char **error_r)
{
	static const char sql[] =
		"SELECT a.address, coalesce(nullif(c.name, ''), c.login, '') "
		"FROM contact c LEFT JOIN contact_address a "
		"ON a.contact_id = c.id AND a.kind = ? "
		"WHERE c.id = ? AND c.kind = 'citizen' ORDER BY a.id LIMIT 1";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, contact_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *address = store_col_text(st, 0);

		*address_r = address != NULL ? xstrdup(address) : NULL;
		*name_r = xstrdup(store_col_text(st, 1));
	}
	return store_row_end(store, st, rc, "read contact", error_r);
}

static int
case_lines(struct store *store, sqlite3_stmt *st,
	   int (*fn)(const struct store_case_line *c, void *ctx), void *ctx,
	   char **error_r)
{
	int rc, ret = 0;

	while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_case_line c = {
			store_col_text(st, 0), store_col_text(st, 1),
			store_col_text(st, 2), store_col_text(st, 3),
			sqlite3_column_int(st, 4),
		};

		if (fn(&c, ctx) != 0)
			ret = -1;
	}
	if (store_rows_end(store, st, rc, "read cases", error_r) < 0)
		return -1;
	return ret;
}

int
store_handler_cases(struct store *store, int64_t handler_id,
		    int (*fn)(const struct store_case_line *c, void *ctx),
		    void *ctx, char **error_r)
{
	static const char sql[] =
		"SELECT number, state, subject, workflow, workflow_version "
		"FROM cases WHERE assignee_id = ? "
		"AND closed_at IS NULL ORDER BY id";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, handler_id);
	return case_lines(store, st, fn, ctx, error_r);
}

int
store_handler_unanswered(struct store *store, int64_t handler_id,
			 int64_t since,
			 int (*fn)(const struct store_case_line *c, void *ctx),
			 void *ctx, char **error_r)
{
	/* by message ids, not times: an answer in the same second as the
	   citizen's mail still comes after it */
	static const char sql[] =
		"SELECT number, state, subject, workflow, workflow_version "
		"FROM (SELECT c.id, c.number, c.state, c.subject, c.workflow, "
		"c.workflow_version, (SELECT max(m.id) FROM message m WHERE "
		"m.case_id = c.id AND m.direction = 'in' AND m.contact_id = "
		"c.citizen_id AND m.at >= ?2) AS came, (SELECT max(m.id) FROM "
		"message m WHERE m.case_id = c.id AND m.direction = 'out' AND "
		"m.visibility = 'public') AS went FROM cases c WHERE "
		"c.assignee_id = ?1 AND c.closed_at IS NULL) "
		"WHERE came > coalesce(went, 0) ORDER BY id";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, handler_id);
	sqlite3_bind_int64(st, 2, since);
	return case_lines(store, st, fn, ctx, error_r);
}

int
store_digest_cases(struct store *store, int64_t handler_id,
		   int (*fn)(const struct store_digest_case *c, void *ctx),
		   void *ctx, char **error_r)
{
	/* the handler's through cases_assignee; the groups' unassigned
	   through cases_assignee too (assignee_id IS NULL), open ones only */
	/* and, in the handler's groups, the cases of colleagues away
	   (#borta) or disabled, through the few handlers, who would
	   otherwise be in nobody's digest until back */
	static const char sql[] =
		"SELECT number, state, subject, coalesce(due_at, 0), 1, id, "
		"due_at IS NULL, workflow, workflow_version, priority, NULL "
		"FROM cases WHERE "
		"assignee_id = ?1 AND closed_at IS NULL UNION ALL SELECT "
		"number, state, subject, coalesce(due_at, 0), 0, id, "
		"due_at IS NULL, workflow, workflow_version, priority, NULL "
		"FROM cases WHERE "
		"assignee_id IS NULL AND closed_at IS NULL AND group_id IN "
		"(SELECT group_id FROM group_member WHERE contact_id = ?1) "
		"UNION ALL SELECT k.number, k.state, k.subject, "
		"coalesce(k.due_at, 0), 0, k.id, k.due_at IS NULL, k.workflow, "
		"k.workflow_version, k.priority, "
		"coalesce(nullif(h.name, ''), h.login) "
		"FROM contact h CROSS JOIN cases k "
		"WHERE h.kind = 'handler' AND h.id <> ?1 AND "
		"(h.active = 0 OR NOT " STORE_PRESENT("h") ") AND "
		"k.assignee_id = h.id AND k.closed_at IS NULL AND k.group_id IN "
		"(SELECT group_id FROM group_member WHERE contact_id = ?1) "
		"ORDER BY 5 DESC, 7, 4, 6";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, handler_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_digest_case c = {
			.number = store_col_text(st, 0),
			.state = store_col_text(st, 1),
			.subject = store_col_text(st, 2),
			.due_at = sqlite3_column_int64(st, 3),
			.assigned = sqlite3_column_int(st, 4) != 0,
			.workflow = store_col_text(st, 7),
			.workflow_version = sqlite3_column_int(st, 8),
			.priority = store_col_text(st, 9),
			.away_of = store_col_text(st, 10),
		};

		if (fn(&c, ctx) != 0)
			break;
	}
	return store_rows_end(store, st, rc, "read a handler's cases",
			      error_r);
}

/* The characters a searched word needs to find the words it begins. */
#define SEARCH_PREFIX_MIN 4

/* One token of a search: a quoted FTS5 string, so that no operator
   can be injected. The tokens after the first STORE_SEARCH_TERMS are
   not searched for: a search runs while the engine holds the write
   lock, and a line of thousands of words would hold it for seconds. */
static int
add_search_term(void *ctx, int flags, const char *token, int n, int start,
		int end)
{
	struct strlist *terms = ctx;
	char *w;
	size_t k = 0, chars = 0;

	(void)flags;
	(void)start;
	(void)end;
	if (terms->n == STORE_SEARCH_TERMS)
		return SQLITE_DONE;
	w = xmalloc(2 * (size_t)n + 3);
	w[k++] = '"';
	for (int i = 0; i < n; i++) {
		if (token[i] == '"')
			w[k++] = '"';
		w[k++] = token[i];
	}
	w[k++] = '"';
	w[k] = '\0';
	/* a word's start finds its forms: "lampa" finds "lampan",
	   "ängsväg" "Ängsvägen"; a short one only itself, since all the
	   words that begin with "ek" would be a long search */
	for (int i = 0; i < n; i++)
		chars += ((unsigned char)token[i] & 0xc0) != 0x80;
	strlist_addf(terms, "%s%s%s", terms->n > 0 ? " " : "", w,
		     chars >= SEARCH_PREFIX_MIN ? "*" : "");
	free(w);
	return SQLITE_OK;
}

/* WORDS as an FTS5 query that message_fts can answer: split by the
   index's own tokenizer, each token a string of its own. The index
   keeps no positions (migration 13), so a string of two tokens (a
   phrase, as "gatu-belysning" would be) is an error there. *QUERY_R is
   NULL when WORDS hold no token. */
static int
search_query(struct store *store, const char *words, char **query_r,
	     char **error_r)
{
	static const char sql[] = "SELECT fts5(?1)";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	struct strlist terms = { 0 };
	fts5_api *api = NULL;
	fts5_tokenizer tk;
	Fts5Tokenizer *t = NULL;
	void *user = NULL;
	int rc;

	*query_r = NULL;
	if (st == NULL)
		return -1;
	sqlite3_bind_pointer(st, 1, &api, "fts5_api_ptr", NULL);
	rc = sqlite3_step(st);
	if (store_rows_end(store, st, rc, "full-text search", error_r) < 0)
		return -1;
	if (api == NULL || api->iVersion < 2 ||
	    api->xFindTokenizer(api, "unicode61", &user, &tk) != SQLITE_OK ||
	    tk.xCreate(user, NULL, 0, &t) != SQLITE_OK) {
		*error_r = xstrdup("full-text search: no unicode61 tokenizer");
		return -1;
	}
	rc = tk.xTokenize(t, &terms, FTS5_TOKENIZE_QUERY, words,
			  (int)strlen(words), add_search_term);
	tk.xDelete(t);
	if (rc != SQLITE_OK && rc != SQLITE_DONE) {
		strlist_clear(&terms);
		*error_r = xasprintf("full-text search: %s",
				     sqlite3_errstr(rc));
		return -1;
	}
	if (terms.n > 0)
		*query_r = strlist_join(&terms);
	return 0;
}

/* Whether case c is for handler :handler to read (0: anyone; see
   store_case_readable); :workflows are the workflows in which the
   handler has a role, ",a,b,". */
#define CASE_READABLE							\
	"(:handler = 0 OR c.assignee_id = :handler OR "			\
	"c.group_id IN (SELECT group_id FROM group_member WHERE "	\
	"contact_id = :handler) OR "					\
	"instr(:workflows, ',' || c.workflow || ',') > 0 OR "		\
	"(c.group_id IS NULL AND c.workflow IS NULL))"

/* Binds :handler and :workflows of CASE_READABLE in ST. */
static void
bind_readable(sqlite3_stmt *st, int64_t handler_id,
	      const struct strlist *role_workflows)
{
	struct strlist l = { 0 };
	char *set;

	strlist_add(&l, ",");
	for (size_t i = 0; role_workflows != NULL && i < role_workflows->n; i++)
		strlist_addf(&l, "%s,", role_workflows->v[i]);
	set = strlist_join(&l);
	strlist_clear(&l);
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":handler"),
			   handler_id);
	sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":workflows"),
			  set, -1, free);
}

int
store_case_readable(struct store *store, int64_t case_id, int64_t handler_id,
		    const struct strlist *role_workflows, char **error_r)
{
	static const char sql[] =
		"SELECT 1 FROM cases c WHERE c.id = :case AND " CASE_READABLE;
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":case"),
			   case_id);
	bind_readable(st, handler_id, role_workflows);
	rc = sqlite3_step(st);
	return store_row_end(store, st, rc, "read case", error_r);
}

int
store_search_cases(struct store *store, const char *words, int limit,
		   int64_t handler_id, const struct strlist *role_workflows,
		   int (*fn)(const struct store_case_line *c, void *ctx),
		   void *ctx, char **error_r)
{
	static const char sql[] =
		"SELECT c.number, c.state, c.subject, c.workflow, "
		"c.workflow_version FROM cases c WHERE c.id IN "
		"(SELECT m.case_id FROM message_fts f JOIN message m ON "
		"m.id = f.rowid WHERE message_fts MATCH :words) AND "
		CASE_READABLE " ORDER BY c.id DESC LIMIT :limit";
	sqlite3_stmt *st;
	char *query;

	if (search_query(store, words, &query, error_r) < 0)
		return -1;
	if (query == NULL)
		return 0;
	st = store_stmt(store, sql, error_r);
	if (st == NULL) {
		free(query);
		return -1;
	}
	sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":words"),
			  query, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, sqlite3_bind_parameter_index(st, ":limit"),
			 limit);
	bind_readable(st, handler_id, role_workflows);
	free(query);
	return case_lines(store, st, fn, ctx, error_r);
}

int
store_citizen_open_cases(struct store *store, int64_t citizen_id,
			 int64_t except_id, int limit, int64_t handler_id,
			 const struct strlist *role_workflows,
			 int (*fn)(const struct store_case_line *c, void *ctx),
			 void *ctx, char **error_r)
{
	static const char sql[] =
		"SELECT c.number, c.state, c.subject, c.workflow, "
		"c.workflow_version FROM cases c WHERE "
		"c.citizen_id = :citizen AND c.id <> :case AND "
		"c.closed_at IS NULL AND " CASE_READABLE
		" ORDER BY c.id DESC LIMIT :limit";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":citizen"),
			   citizen_id);
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":case"),
			   except_id);
	sqlite3_bind_int(st, sqlite3_bind_parameter_index(st, ":limit"),
			 limit);
	bind_readable(st, handler_id, role_workflows);
	return case_lines(store, st, fn, ctx, error_r);
}

int
store_case_citizen_texts(struct store *store, int64_t case_id, char **texts_r,
			 char **error_r)
{
	/* by the message index on case_id; a case's mail from citizens is
	   a few messages */
	static const char sql[] =
		"SELECT group_concat(body, char(10)) FROM (SELECT "
		"coalesce(m.body_full, m.body_stripped) AS body FROM message m "
		"JOIN contact c ON c.id = "
		"m.contact_id WHERE m.case_id = ? AND m.direction = 'in' AND "
		"m.visibility = 'public' AND c.kind <> 'handler' ORDER BY m.id "
		"DESC LIMIT 20)";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int r;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	/* an aggregate: one row, NULL (so "") for no messages */
	r = store_one_text(store, st, texts_r, "read messages", error_r);
	if (r == 0)
		*texts_r = xstrdup("");
	return r < 0 ? -1 : 0;
}

int
store_case_texts_by(struct store *store, int64_t case_id, int64_t contact_id,
		    int limit, struct strlist *texts, char **error_r)
{
	/* by the message index on case_id */
	static const char sql[] =
		"SELECT body_stripped FROM message WHERE case_id = ? AND "
		"contact_id = ? AND direction = 'in' AND body_stripped <> '' "
		"ORDER BY id DESC LIMIT ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_int64(st, 2, contact_id);
	sqlite3_bind_int(st, 3, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		strlist_add(texts, store_col_text(st, 0));
	return store_rows_end(store, st, rc, "read messages", error_r);
}

int
store_message_visibility(struct store *store, int64_t id, char **visibility_r,
			 char **error_r)
{
	static const char sql[] = "SELECT visibility FROM message WHERE id = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return store_one_text(store, st, visibility_r, "read message", error_r);
}

int
store_group_ensure(struct store *store, const char *name, int64_t now,
		   int64_t *id_r, char **error_r)
{
	static const char sql[] =
		"INSERT INTO handler_group (name, created_at) VALUES (?, ?) "
		"ON CONFLICT (name) DO NOTHING";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	store_groups_forget(store);
	if (store_exec_stmt(store, st, "add group", error_r) < 0)
		return -1;
	rc = store_group_by_name(store, name, id_r, error_r);
	return rc > 0 ? 0 : -1;
}

int
store_group_member_remove(struct store *store, const char *name,
			  int64_t contact_id, char **error_r)
{
	static const char sql[] =
		"DELETE FROM group_member WHERE contact_id = ? AND group_id = "
		"(SELECT id FROM handler_group WHERE name = ?)";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	store_groups_forget(store);
	sqlite3_bind_int64(st, 1, contact_id);
	store_bind_text(st, 2, name);
	if (store_exec_stmt(store, st, "remove group member", error_r) < 0)
		return -1;
	return sqlite3_changes(store->db) > 0;
}

/* Runs SQL, an UPDATE of one contact column, with VALUE and ID. */
static int
contact_set(struct store *store, const char *sql, int64_t id,
	    const char *value, char **error_r)
{
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, value);
	sqlite3_bind_int64(st, 2, id);
	return store_exec_stmt(store, st, "update contact", error_r);
}

int
store_contact_set_name(struct store *store, int64_t id, const char *name,
		       char **error_r)
{
	return contact_set(store, "UPDATE contact SET name = ? WHERE id = ?",
			   id, name, error_r);
}

int
store_contact_set_language(struct store *store, int64_t id,
			   const char *language, char **error_r)
{
	return contact_set(store, "UPDATE contact SET language = ? WHERE id = ?",
			   id, language, error_r);
}

int
store_contact_set_email(struct store *store, int64_t id, const char *email,
			char **error_r)
{
	static const char del_sql[] =
		"DELETE FROM contact_address WHERE contact_id = ? AND "
		"kind = 'email'";
	sqlite3_stmt *st = store_stmt(store, del_sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (store_exec_stmt(store, st, "remove address", error_r) < 0)
		return -1;
	return store_contact_address_add(store, id, "email", email, error_r);
}

int
store_contact_address_remove(struct store *store, const char *kind,
			     const char *address, char **error_r)
{
	static const char sql[] =
		"DELETE FROM contact_address WHERE kind = ? AND address = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, kind);
	store_bind_text(st, 2, address);
	return store_exec_stmt(store, st, "remove address", error_r);
}

int
store_group_member_add(struct store *store, int64_t group_id,
		       int64_t contact_id, char **error_r)
{
	static const char sql[] =
		"INSERT OR IGNORE INTO group_member (group_id, contact_id) "
		"VALUES (?, ?)";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	store_groups_forget(store);
	sqlite3_bind_int64(st, 1, group_id);
	sqlite3_bind_int64(st, 2, contact_id);
	if (store_exec_stmt(store, st, "add group member", error_r) < 0)
		return -1;
	return sqlite3_changes(store->db) > 0;
}

int
store_handler_list(struct store *store,
		   int (*fn)(const struct store_handler *h, void *ctx),
		   void *ctx, char **error_r)
{
	static const char sql[] =
		"SELECT c.id, c.login, c.name, c.language, c.active, "
		"(SELECT address FROM contact_address a WHERE a.contact_id = "
		"c.id AND a.kind = 'email' ORDER BY a.id LIMIT 1), "
		"(SELECT group_concat(g.name, ' ') FROM group_member m JOIN "
		"handler_group g ON g.id = m.group_id WHERE m.contact_id = c.id), "
		"CASE WHEN " STORE_PRESENT("c") " THEN 0 ELSE c.away_until END, "
		"coalesce(c.away_until, 0) "
		"FROM contact c WHERE c.kind = 'handler' ORDER BY c.login";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_handler h = {
			.id = sqlite3_column_int64(st, 0),
			.login = store_col_text(st, 1),
			.name = store_col_text(st, 2),
			.language = store_col_text(st, 3),
			.active = sqlite3_column_int(st, 4),
			.email = store_col_text(st, 5),
			.groups = store_col_text(st, 6),
			.away_until = sqlite3_column_int64(st, 7),
			.away_stored = sqlite3_column_int64(st, 8),
		};

		if (fn(&h, ctx) != 0)
			ret = -1;
	}
	if (store_rows_end(store, st, rc, "read handlers", error_r) < 0)
		return -1;
	return ret;
}

int
store_handler_back_told(struct store *store, int64_t id, int64_t at,
			char **error_r)
{
	static const char sql[] =
		"UPDATE contact SET away_until = NULL WHERE id = ? AND "
		"away_until <= ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, at);
	return store_exec_stmt(store, st, "forget a return day", error_r);
}
