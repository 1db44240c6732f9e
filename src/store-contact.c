/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "store-private.h"

#include "util.h"

#include <stdlib.h>
#include <string.h>

int
store_contact_add(struct store *store, enum store_contact_kind kind,
		  const char *name, const char *login, const char *language,
		  int64_t *id_r, char **error_r)
{
	static const char sql[] =
		"INSERT INTO contact (id, kind, name, login, language, "
		"created_at) VALUES ((SELECT max(s.last, "
		"coalesce((SELECT max(id) FROM contact), 0)) + 1 "
		"FROM contact_sequence s), ?, ?, ?, ?, ?)";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, kind == STORE_HANDLER ? "handler" : "citizen");
	store_bind_text(st, 2, name);
	store_bind_text(st, 3, login);
	store_bind_text(st, 4, language != NULL ? language : "sv");
	sqlite3_bind_int64(st, 5, cirm_now());
	if (store_exec_stmt(store, st, "add contact", error_r) < 0)
		return -1;
	*id_r = sqlite3_last_insert_rowid(store->db);
	return 0;
}

int
store_contact_address_add(struct store *store, int64_t contact_id,
			  const char *kind, const char *address, char **error_r)
{
	static const char sql[] =
		"INSERT INTO contact_address (contact_id, kind, address, "
		"created_at) VALUES (?, ?, ?, ?)";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, contact_id);
	store_bind_text(st, 2, kind);
	store_bind_text(st, 3, address);
	sqlite3_bind_int64(st, 4, cirm_now());
	return store_exec_stmt(store, st, "add address", error_r);
}

int
store_contact_find(struct store *store, const char *kind, const char *address,
		   int64_t *id_r, char **error_r)
{
	static const char sql[] =
		"SELECT contact_id FROM contact_address WHERE kind = ? "
		"AND address = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, kind);
	store_bind_text(st, 2, address);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id_r = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return 1;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail(store, "find contact", error_r);
}

int
store_contact_addresses(struct store *store, int64_t contact_id,
			int (*fn)(const struct store_address *a, void *ctx),
			void *ctx, char **error_r)
{
	static const char sql[] =
		"SELECT kind, address FROM contact_address WHERE contact_id = ? "
		"ORDER BY kind, id";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, contact_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_address a = { store_col_text(st, 0),
					   store_col_text(st, 1) };

		if (fn(&a, ctx) != 0)
			break;
	}
	return store_rows_end(store, st, rc, "list addresses", error_r);
}

int
store_contact_find_full(struct store *store, const char *kind,
			const char *address, int64_t *id_r, bool *handler_r,
			bool *active_r, char **error_r)
{
	static const char sql[] =
		"SELECT c.id, c.kind = 'handler', c.active FROM contact_address a "
		"JOIN contact c ON c.id = a.contact_id WHERE a.kind = ? AND "
		"a.address = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, kind);
	store_bind_text(st, 2, address);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id_r = sqlite3_column_int64(st, 0);
		*handler_r = sqlite3_column_int(st, 1) != 0;
		*active_r = sqlite3_column_int(st, 2) != 0;
	}
	return store_row_end(store, st, rc, "find contact", error_r);
}

int
store_contact_get(struct store *store, int64_t id, struct store_contact *c,
		  char **error_r)
{
	static const char sql[] =
		"SELECT kind, name, language, created_at FROM contact "
		"WHERE id = ?";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	memset(c, 0, sizeof(*c));
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *name = store_col_text(st, 1);

		c->kind = xstrdup(store_col_text(st, 0));
		c->name = name != NULL ? xstrdup(name) : NULL;
		c->language = xstrdup(store_col_text(st, 2));
		c->created_at = sqlite3_column_int64(st, 3);
	}
	return store_row_end(store, st, rc, "read contact", error_r);
}

void
store_contact_clear(struct store_contact *c)
{
	free(c->kind);
	free(c->name);
	free(c->language);
	memset(c, 0, sizeof(*c));
}
