/* SPDX-License-Identifier: GPL-3.0-or-later */
/* PLACEHOLDER being replaced by the autoreply tests. */
#include "config.h"
#include "testutil.h"
START_TEST(test_placeholder)
{
	ck_assert(1);
}
END_TEST
int
main(void)
{
	Suite *s = suite_create("autoreply");
	TCase *tc = tcase_create("autoreply");
	tcase_add_test(tc, test_placeholder);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
