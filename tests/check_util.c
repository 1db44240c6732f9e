/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "blob.h"
#include "lockfile.h"
#include "testutil.h"
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *dir;

static void
setup(void)
{
	dir = tu_tmpdir();
}

static void
teardown(void)
{
	tu_rmrf(dir);
	free(dir);
}

START_TEST(test_str_to_long)
{
	long v;

	ck_assert_int_eq(str_to_long("42", 0, 100, &v), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(str_to_long("-5", -10, 10, &v), 0);
	ck_assert_int_eq(v, -5);
	ck_assert_int_eq(str_to_long("", 0, 100, &v), -1);
	ck_assert_int_eq(str_to_long("4x", 0, 100, &v), -1);
	ck_assert_int_eq(str_to_long("101", 0, 100, &v), -1);
	ck_assert_int_eq(str_to_long("99999999999999999999999", 0, 100, &v), -1);
}
END_TEST

START_TEST(test_mkdir_p)
{
	char *deep = xasprintf("%s/a/b/c", dir);
	char *file = tu_write(dir, "f", "x", 0600);
	char *under = xasprintf("%s/f/g", dir);
	struct stat st;

	ck_assert_int_eq(mkdir_p(deep, 0750), 0);
	ck_assert_int_eq(stat(deep, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(mkdir_p(deep, 0750), 0);
	ck_assert_int_eq(mkdir_p(file, 0750), -1);
	ck_assert_int_eq(mkdir_p(under, 0750), -1);
	free(deep);
	free(file);
	free(under);
}
END_TEST

START_TEST(test_blob)
{
	static const char data[] = "Hej kommunen!\n";
	char id[BLOB_ID_LEN + 1], id2[BLOB_ID_LEN + 1], *err = NULL, buf[64];
	char *path;
	FILE *f;

	ck_assert_int_eq(blob_put(dir, data, strlen(data), id, 1, &err), 0);
	ck_assert_uint_eq(strlen(id), 64);
	ck_assert_int_eq(blob_put(dir, data, strlen(data), id2, 0, &err), 0);
	ck_assert_str_eq(id, id2);
	path = blob_path(dir, id);
	ck_assert_ptr_nonnull(path);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	ck_assert_str_eq(buf, data);
	fclose(f);
	free(path);
	/* SHA-256 of the empty string. */
	ck_assert_int_eq(blob_put(dir, "", 0, id, 0, &err), 0);
	ck_assert_str_eq(id, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	ck_assert_int_eq(blob_sync(dir, &err), 0);
	ck_assert_ptr_null(blob_path(dir, "../../etc/passwd"));
	ck_assert_ptr_null(blob_path(dir, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
}
END_TEST

/* A temporary file left by a process that had this one's numbers (its
   pid and thread id) and died does not stop the write. */
START_TEST(test_write_atomic_stale_tmp)
{
	char *path = xasprintf("%s/fil", dir);
	char *tmp = xasprintf("%s.tmp.%ld.%ld", path, (long)getpid(),
			      (long)gettid());
	char got[8] = "";
	FILE *f = fopen(tmp, "w");

	ck_assert_ptr_nonnull(f);
	fputs("half", f);
	fclose(f);
	ck_assert_int_eq(write_file_atomic(path, "hel\n", 4, 0640, 1), 0);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(got, sizeof(got), f));
	fclose(f);
	ck_assert_str_eq(got, "hel\n");
	ck_assert_int_eq(access(tmp, F_OK), -1);
	free(tmp);
	free(path);
}
END_TEST

START_TEST(test_lockfile)
{
	char *path = xasprintf("%s/lock", dir), *err = NULL;
	pid_t holder, child;
	int fd, status;

	fd = lockfile_acquire(path, &holder, &err);
	ck_assert_int_ge(fd, 0);
	child = fork();
	if (child == 0) {
		int r = lockfile_acquire(path, &holder, &err);

		_exit(r == -2 && holder == getppid() ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(fd);
	/* Released with the descriptor: another process takes it. */
	child = fork();
	if (child == 0)
		_exit(lockfile_acquire(path, &holder, &err) >= 0 ? 0 : 1);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(path);
}
END_TEST

START_TEST(test_scrub)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "550 5.1.1 <anna@example.se>: Recipient address rejected",
		  "550 5.1.1 <<address>>: Recipient address rejected" },
		{ "/srv/cirm/maildir/outbound/anna@example.se/tmp: No space",
		  "<address> No space" },
		{ "to +46701234567 failed", "to <number> failed" },
		{ "tel:070-123 45 67.", "tel:<number>." },
		{ "stat:UNDELIV err:001 +CMS ERROR: 500",
		  "stat:UNDELIV err:001 +CMS ERROR: 500" },
		{ "451 4.3.0 try again in 3600 s", "451 4.3.0 try again in 3600 s" },
		{ "", "" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *o = scrub_personal(v[i].in);

		ck_assert_str_eq(o, v[i].out);
		free(o);
	}
}
END_TEST

START_TEST(test_strlist)
{
	struct strlist l = { 0 };

	for (int i = 0; i < 20; i++)
		strlist_addf(&l, "e%d", i);
	ck_assert_uint_eq(l.n, 20);
	ck_assert_str_eq(l.v[19], "e19");
	strlist_clear(&l);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_ptr_null(l.v);
}
END_TEST

static Suite *
util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_str_to_long);
	tcase_add_test(tc, test_mkdir_p);
	tcase_add_test(tc, test_blob);
	tcase_add_test(tc, test_write_atomic_stale_tmp);
	tcase_add_test(tc, test_lockfile);
	tcase_add_test(tc, test_strlist);
	tcase_add_test(tc, test_scrub);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(util_suite());
}
