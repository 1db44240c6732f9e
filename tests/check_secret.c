/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "secret.h"
#include "testutil.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

static const unsigned int bad_modes[] = { 0644, 0640, 0604, 0620, 0602,
					  0610, 0601, 0660, 0666 };

START_TEST(test_refuses_group_or_world_access)
{
	char *path = tu_write(dir, "k", "x", bad_modes[_i]);
	char *err = NULL, *data = NULL;
	char mode[16];
	size_t len;

	snprintf(mode, sizeof(mode), "mode %04o", bad_modes[_i]);
	ck_assert_int_eq(secret_check(path, &err), -1);
	ck_assert_msg(strstr(err, mode) != NULL, "%s", err);
	ck_assert(strstr(err, "chmod 600") != NULL);
	free(err);
	err = NULL;
	ck_assert_int_eq(secret_read(path, &data, &len, &err), -1);
	ck_assert_ptr_null(data);
	ck_assert_ptr_nonnull(err);
	free(err);
	free(path);
}
END_TEST

START_TEST(test_accepts_private)
{
	char *path = tu_write(dir, "k", "secret", 0600);
	char *err = NULL, *data = NULL;
	size_t len;

	ck_assert_int_eq(secret_check(path, &err), 1);
	ck_assert_int_eq(secret_read(path, &data, &len, &err), 0);
	ck_assert_uint_eq(len, 6);
	ck_assert_str_eq(data, "secret");
	secret_free(&data, len);
	ck_assert_ptr_null(data);
	chmod(path, 0400);
	ck_assert_int_eq(secret_check(path, &err), 1);
	free(path);
}
END_TEST

START_TEST(test_missing_and_not_regular)
{
	char *path = xasprintf("%s/none", dir);
	char *err = NULL, *data = NULL;
	size_t len;

	ck_assert_int_eq(secret_check(path, &err), 0);
	chmod(dir, 0700);
	ck_assert_int_eq(secret_check(dir, &err), -1);
	ck_assert(strstr(err, "not a regular file") != NULL);
	free(err);
	/* a FIFO where the file should be is refused, not waited on */
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	err = NULL;
	ck_assert_int_eq(secret_read(path, &data, &len, &err), -1);
	ck_assert_ptr_null(data);
	ck_assert_msg(strstr(err, "not a regular file") != NULL, "%s", err);
	free(err);
	free(path);
}
END_TEST

START_TEST(test_key_create_and_load)
{
	unsigned char k1[SECRET_KEY_LEN], k2[SECRET_KEY_LEN];
	char *p1 = xasprintf("%s/a.key", dir), *p2 = xasprintf("%s/b.key", dir);
	char *err = NULL;
	struct stat st;

	ck_assert_int_eq(secret_key_create(p1, &err), 0);
	ck_assert_int_eq(secret_key_create(p2, &err), 0);
	ck_assert_int_eq(stat(p1, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(st.st_size, SECRET_KEY_LEN * 2 + 1);
	ck_assert_int_eq(secret_key_load(p1, k1, &err), 0);
	ck_assert_int_eq(secret_key_load(p2, k2, &err), 0);
	ck_assert(memcmp(k1, k2, sizeof(k1)) != 0);
	/* Never overwrites an existing key. */
	ck_assert_int_eq(secret_key_create(p1, &err), -1);
	free(err);
	free(p1);
	free(p2);
}
END_TEST

START_TEST(test_key_malformed)
{
	static const char *const bad[] = {
		"", "abc\n", "zz00000000000000000000000000000000000000000000000000000000000000\n",
		"00000000000000000000000000000000000000000000000000000000000000000\n",
		"0000000000000000000000000000000000000000000000000000000000000000\n\n",
	};
	unsigned char k[SECRET_KEY_LEN];

	for (size_t i = 0; i < N_ELEMENTS(bad); i++) {
		char *path = tu_write(dir, "k", bad[i], 0600), *err = NULL;

		ck_assert_msg(secret_key_load(path, k, &err) == -1, "case %zu", i);
		ck_assert(strstr(err, "64 hexadecimal digits") != NULL);
		free(err);
		free(path);
	}
}
END_TEST

static Suite *
secret_suite(void)
{
	Suite *s = suite_create("secret");
	TCase *tc = tcase_create("secret");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_refuses_group_or_world_access, 0,
			    (int)N_ELEMENTS(bad_modes));
	tcase_add_test(tc, test_accepts_private);
	tcase_add_test(tc, test_missing_and_not_regular);
	tcase_add_test(tc, test_key_create_and_load);
	tcase_add_test(tc, test_key_malformed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(secret_suite());
}
