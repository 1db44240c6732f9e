/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "testutil.h"

#include "util.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
tu_run(Suite *suite)
{
	SRunner *sr = srunner_create(suite);
	int failed;

	srunner_set_tap(sr, "-");
	/* CK_VERBOSITY=normal adds each failure with its file:line (on
	   stdout, among the TAP lines) */
	srunner_run_all(sr, getenv("CK_VERBOSITY") != NULL ? CK_ENV :
			CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

char *
tu_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *tmpl = xasprintf("%s/cirm-test-XXXXXX",
			       base != NULL && *base != '\0' ? base : "/tmp");

	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		abort();
	}
	return tmpl;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void
tu_rmrf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *
tu_write(const char *dir, const char *name, const char *text,
	 unsigned int mode)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fchmod(fd, mode) < 0 || close(fd) < 0) {
		perror(path);
		abort();
	}
	return path;
}

const char *
tu_srcdir(void)
{
	const char *d = getenv("top_srcdir");

	return d != NULL ? d : ".";
}

char *
tu_slurp(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = xmalloc((size_t)n + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len_r != NULL)
		*len_r = (size_t)n;
	return buf;
}

static int saved_stderr = -1;
static char *stderr_path;

void
tu_stderr_capture(const char *dir)
{
	int fd;

	ck_assert_int_eq(saved_stderr, -1);
	stderr_path = xasprintf("%s/stderr", dir);
	fflush(stderr);
	saved_stderr = dup(2);
	ck_assert_int_ge(saved_stderr, 0);
	fd = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(dup2(fd, 2), 0);
	close(fd);
}

char *
tu_stderr_captured(void)
{
	char *text;

	ck_assert_int_ge(saved_stderr, 0);
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	saved_stderr = -1;
	text = tu_slurp(stderr_path, NULL);
	free(stderr_path);
	stderr_path = NULL;
	return text;
}

long long
tu_sql_int(sqlite3 *db, const char *query)
{
	sqlite3_stmt *st;
	long long n;

	ck_assert_int_eq(sqlite3_prepare_v2(db, query, -1, &st, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}
