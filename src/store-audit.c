/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "store-private.h"

#include "util.h"

#include <openssl/evp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HASH_HEX (2 * 32 + 1)

/* SHA-256 over the previous hash and the fields, each field preceded by
   its length so that no two different entries hash alike. */
static void
entry_hash(const char *prev, int64_t id, int64_t at, const char *actor,
	   const char *action, const char *object, const char *detail,
	   char out[HASH_HEX])
{
	static const char hex[] = "0123456789abcdef";
	const char *fields[] = { prev, actor, action, object, detail };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char num[64];

	if (ctx == NULL)
		abort();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	snprintf(num, sizeof(num), "%lld:%lld", (long long)id, (long long)at);
	EVP_DigestUpdate(ctx, num, strlen(num));
	for (size_t i = 0; i < N_ELEMENTS(fields); i++) {
		const char *f = fields[i] != NULL ? fields[i] : "";

		snprintf(num, sizeof(num), "|%zu:", strlen(f));
		EVP_DigestUpdate(ctx, num, strlen(num));
		EVP_DigestUpdate(ctx, f, strlen(f));
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (unsigned int i = 0; i < mdlen && i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

const char *
store_audit_actor(void)
{
	static char actor[160];

	if (actor[0] == '\0') {
		struct passwd *pw = getpwuid(geteuid());
		const char *sudo = getenv("SUDO_USER");
		char uid[24];

		snprintf(uid, sizeof(uid), "uid %lu", (unsigned long)geteuid());
		/* sudo says who the administrator behind root is */
		snprintf(actor, sizeof(actor), "cirmctl:%.60s%s%.60s%s",
			 pw != NULL ? pw->pw_name : uid,
			 sudo != NULL && *sudo != '\0' && geteuid() == 0 ?
			 " (sudo by " : "",
			 sudo != NULL && geteuid() == 0 ? sudo : "",
			 sudo != NULL && *sudo != '\0' && geteuid() == 0 ?
			 ")" : "");
		for (char *p = actor; *p != '\0'; p++) {
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		}
	}
	return actor;
}

int
store_audit_add(struct store *store, int64_t at, const char *actor,
		const char *action, const char *object, const char *detail,
		char **error_r)
{
	static const char last_sql[] =
		"SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1";
	static const char ins_sql[] =
		"INSERT INTO audit (id, at, actor, action, object, detail, hash) "
		"VALUES (?, ?, ?, ?, ?, ?, ?)";
	char prev[HASH_HEX] = "", hash[HASH_HEX];
	sqlite3_stmt *st = store_stmt(store, last_sql, error_r);
	int64_t id = 1;
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0) + 1;
		snprintf(prev, sizeof(prev), "%s", store_col_text(st, 1));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(store, "read audit", error_r);
	entry_hash(prev, id, at, actor, action, object, detail, hash);
	st = store_stmt(store, ins_sql, error_r);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, at);
	store_bind_text(st, 3, actor);
	store_bind_text(st, 4, action);
	store_bind_text(st, 5, object);
	store_bind_text(st, 6, detail);
	store_bind_text(st, 7, hash);
	return store_exec_stmt(store, st, "append audit", error_r);
}

int
store_audit_verify(struct store *store, int64_t *bad_id_r, char **error_r)
{
	static const char sql[] =
		"SELECT id, at, actor, action, object, detail, hash FROM audit "
		"ORDER BY id";
	char prev[HASH_HEX] = "", hash[HASH_HEX];
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int64_t expect = 1;
	int rc, ok = 1;

	if (st == NULL)
		return -1;
	while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		const char *stored = store_col_text(st, 6);

		entry_hash(prev, id, sqlite3_column_int64(st, 1),
			   store_col_text(st, 2), store_col_text(st, 3),
			   store_col_text(st, 4), store_col_text(st, 5), hash);
		if (id != expect || stored == NULL || strcmp(stored, hash) != 0) {
			*bad_id_r = id != expect ? expect : id;
			ok = 0;
			break;
		}
		memcpy(prev, hash, sizeof(prev));
		expect++;
	}
	if (ok && rc != SQLITE_DONE) {
		sqlite3_reset(st);
		return store_fail(store, "read audit", error_r);
	}
	sqlite3_reset(st);
	return ok;
}

int
store_audit_hash(struct store *store, int64_t *id_r, char hash_r[65],
		 char **error_r)
{
	static const char sql[] =
		"SELECT id, hash FROM audit WHERE ?1 = 0 OR id = ?1 "
		"ORDER BY id DESC LIMIT 1";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, *id_r);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id_r = sqlite3_column_int64(st, 0);
		snprintf(hash_r, 65, "%s", store_col_text(st, 1));
	}
	return store_row_end(store, st, rc, "read audit", error_r);
}

int
store_audit_list(struct store *store, const char *action, const char *object,
		 int limit,
		 int (*fn)(const struct store_audit_entry *e, void *ctx),
		 void *ctx, int64_t *total_r, char **error_r)
{
	static const char sql[] =
		"SELECT id, at, actor, action, object, detail FROM audit "
		"WHERE (?1 IS NULL OR action = ?1) AND (?2 IS NULL OR "
		"object = ?2) ORDER BY id DESC LIMIT ?3";
	static const char count_sql[] =
		"SELECT count(*) FROM audit WHERE (?1 IS NULL OR action = ?1) "
		"AND (?2 IS NULL OR object = ?2)";
	sqlite3_stmt *st = store_stmt(store, count_sql, error_r);
	int rc;

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, action);
	store_bind_text(st, 2, object);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*total_r = sqlite3_column_int64(st, 0);
	if (store_row_end(store, st, rc, "count audit", error_r) < 0)
		return -1;
	st = store_stmt(store, sql, error_r);
	if (st == NULL)
		return -1;
	store_bind_text(st, 1, action);
	store_bind_text(st, 2, object);
	sqlite3_bind_int(st, 3, limit > 0 ? limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_audit_entry e = {
			sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
			store_col_text(st, 2), store_col_text(st, 3),
			store_col_text(st, 4), store_col_text(st, 5),
		};

		if (fn(&e, ctx) != 0)
			break;
	}
	return store_rows_end(store, st, rc, "read audit", error_r);
}

int
store_audit_actions(struct store *store,
		    int (*fn)(const char *action, int64_t n, void *ctx),
		    void *ctx, char **error_r)
{
	return store_name_counts(store, "SELECT action, count(*) FROM audit "
				 "GROUP BY action ORDER BY action",
				 "read audit actions", fn, ctx, error_r);
}

int
store_removed_cases_back(struct store *store, int64_t *n_r, char **error_r)
{
	/* case numbers are never given again: a case the log says
	   retention removed that is there is one a restore brought back */
	static const char sql[] =
		"SELECT count(*) FROM cases WHERE number IN (SELECT object "
		"FROM audit WHERE action = 'case.removed')";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);

	*n_r = 0;
	if (st == NULL)
		return -1;
	return store_one_row(store, st, n_r, NULL, "read removed cases",
			     error_r) < 0 ? -1 : 0;
}

int
store_audit_away_since(struct store *store, const char *login, int64_t *at_r,
		       char **error_r)
{
	/* from the newest back: the rows sought are recent */
	static const char sql[] =
		"SELECT at, action = 'handler.away', detail FROM audit WHERE "
		"object = ? AND action IN ('handler.away', 'handler.back') "
		"ORDER BY id DESC LIMIT 100";
	sqlite3_stmt *st = store_stmt(store, sql, error_r);
	int rc, found = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t at = sqlite3_column_int64(st, 0), back;
		const char *day = store_col_text(st, 2);

		if (sqlite3_column_int(st, 1) == 0)
			break;	/* a handler.back: the absence began after */
		/* an older absence that had ended when the newer began */
		if (found && (day == NULL || !local_day_at(day, 1, 0, &back) ||
			      back <= *at_r))
			break;
		*at_r = at;
		found = 1;
	}
	if (rc == SQLITE_ROW) {
		sqlite3_reset(st);
		return found;
	}
	return store_rows_end(store, st, rc, "read the audit log",
			      error_r) < 0 ? -1 : found;
}
