/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_TESTUTIL_H
#define CIRM_TESTUTIL_H

#include <check.h>

/* Runs SUITE with its results as TAP on stdout (for automake's TAP
   driver, so each test case shows by name); returns the exit status. */
int tu_run(Suite *suite);

/* A new empty directory for one test (under $TMPDIR), and its removal. */
char *tu_tmpdir(void);
void tu_rmrf(const char *path);

/* Writes TEXT to DIR/NAME with MODE; returns the path (caller frees). */
char *tu_write(const char *dir, const char *name, const char *text,
	       unsigned int mode);

/* The source tree ($top_srcdir from the harness, else "."). */
const char *tu_srcdir(void);
/* The whole file PATH, NUL-terminated, its length in *LEN_R (may be
   NULL); fails the test when it cannot be read. */
char *tu_slurp(const char *path, size_t *len_r);

/* What the program writes to stderr (where cirm logs) between
   tu_stderr_capture and tu_stderr_captured, kept in DIR/stderr: the
   text (caller frees). One capture at a time. */
void tu_stderr_capture(const char *dir);
char *tu_stderr_captured(void);

/* The first column of the one row QUERY gives on DB; fails the test
   when there is none. */
struct sqlite3;
long long tu_sql_int(struct sqlite3 *db, const char *query);

#endif
