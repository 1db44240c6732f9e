/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Where a connection's time goes, statement by statement: with
   CIRM_SQL_PROFILE set in the environment, a connection sums the time
   SQLite reports for each statement (SQLITE_TRACE_PROFILE: its steps,
   with the triggers it fires) by statement text, and writes the table
   to stderr when it is closed. Statement texts hold no data (values are
   bound), so the table is safe to show. For developers and benchmarks
   (bench/README, "Profiling"). */
#include "config.h"
#include "store-private.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define PROFILE_STATEMENTS 256

struct store_profile {
	struct profile_row {
		const char *key; /* sqlite3_sql's pointer, the same each run */
		char *sql;
		int64_t ns;
		long runs;
		long misses; /* pages read from outside the page cache */
	} rows[PROFILE_STATEMENTS];
	size_t n;
	sqlite3 *db;
	int misses; /* the connection's count at the last statement's end */
	long dropped; /* runs of statements past PROFILE_STATEMENTS */
};

/* Page cache misses since the last call: what the statement ending now
   read from the WAL or the database file (with the statements still
   open meanwhile, which are few). */
static int
page_misses(struct store_profile *pr)
{
	int cur = 0, hi = 0, d;

	sqlite3_db_status(pr->db, SQLITE_DBSTATUS_CACHE_MISS, &cur, &hi, 0);
	d = cur - pr->misses;
	pr->misses = cur;
	return d;
}

static int
on_profile(unsigned type, void *ctx, void *p, void *x)
{
	struct store_profile *pr = ctx;
	const char *sql = sqlite3_sql(p);
	size_t i;

	(void)type;
	if (sql == NULL)
		return 0;
	/* by the pointer first (one strcmp, to be sure the address was
	   not given to another statement since), then by the text */
	for (i = 0; i < pr->n; i++)
		if (pr->rows[i].key == sql && strcmp(pr->rows[i].sql, sql) == 0)
			break;
	for (size_t k = 0; i == pr->n && k < pr->n; k++)
		if (strcmp(pr->rows[k].sql, sql) == 0) {
			pr->rows[k].key = sql;
			i = k;
		}
	if (i == pr->n) {
		if (pr->n == PROFILE_STATEMENTS) {
			pr->dropped++;
			return 0;
		}
		pr->rows[pr->n].key = sql;
		pr->rows[pr->n++].sql = xstrdup(sql);
	}
	pr->rows[i].ns += *(sqlite3_int64 *)x;
	pr->rows[i].runs++;
	pr->rows[i].misses += page_misses(pr);
	return 0;
}

void
store_profile_start(struct store *store)
{
	store_profile_stop(store, NULL, 0, NULL);
	store->profile = xcalloc(1, sizeof(*store->profile));
	store->profile->db = store->db;
	page_misses(store->profile);
	sqlite3_trace_v2(store->db, SQLITE_TRACE_PROFILE, on_profile,
			 store->profile);
}

static int
cmp_time(const void *a, const void *b)
{
	int64_t x = ((const struct profile_row *)a)->ns;
	int64_t y = ((const struct profile_row *)b)->ns;

	return x < y ? 1 : x > y ? -1 : 0;
}

void
store_profile_stop(struct store *store, FILE *out, long per,
		   const char *unit)
{
	struct store_profile *pr = store->profile;
	int64_t total = 0;

	if (pr == NULL)
		return;
	sqlite3_trace_v2(store->db, 0, NULL, NULL);
	store->profile = NULL;
	qsort(pr->rows, pr->n, sizeof(*pr->rows), cmp_time);
	for (size_t i = 0; i < pr->n; i++)
		total += pr->rows[i].ns;
	if (out != NULL && per > 0)
		fprintf(out, "sql: %.1f ms in %zu statements, %.1f us a %s; "
			"each: ms, runs, us a run, us a %s, pages read a run, "
			"statement\n",
			(double)total / 1e6, pr->n,
			(double)total / 1e3 / (double)per, unit, unit);
	else if (out != NULL)
		fprintf(out, "sql: %.1f ms in %zu statements; each: ms, runs, "
			"us a run, pages read a run, statement\n", (double)total / 1e6, pr->n);
	for (size_t i = 0; out != NULL && i < pr->n; i++) {
		struct profile_row *r = &pr->rows[i];

		fprintf(out, "sql: %8.1f %8ld %7.1f", (double)r->ns / 1e6,
			r->runs, (double)r->ns / 1e3 / (double)r->runs);
		if (per > 0)
			fprintf(out, " %7.1f", (double)r->ns / 1e3 / (double)per);
		fprintf(out, " %6.1f  %.110s\n",
			(double)r->misses / (double)r->runs, r->sql);
	}
	if (out != NULL && pr->dropped > 0)
		fprintf(out, "sql: %ld runs of further statements not counted "
			"(more than %d statements)\n", pr->dropped,
			PROFILE_STATEMENTS);
	for (size_t i = 0; i < pr->n; i++)
		free(pr->rows[i].sql);
	free(pr);
}
