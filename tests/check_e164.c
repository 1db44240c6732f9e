/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "e164.h"
#include "testutil.h"
#include "util.h"

#include <string.h>

static const struct {
	const char *input, *cc, *want;
} good[] = {
	{ "070-123 45 67", "+46", "+46701234567" },
	{ "0046701234567", "+46", "+46701234567" },
	{ "+46 (0)70 123 45 67", "+46", "+46701234567" },
	{ "+46701234567", "+46", "+46701234567" },
	{ "+46 70 123 45 67", "46", "+46701234567" },
	{ "  0701234567  ", "+46", "+46701234567" },
	{ "070/123.45.67", "+46", "+46701234567" },
	{ "+46 070 123 45 67", "+46", "+46701234567" },	/* trunk 0 kept */
	{ "0046 (0)70-123 45 67", "+46", "+46701234567" },
	{ "(08) 123 456 78", "+46", "+46812345678" },
	{ "08-12 34 56", "+46", "+468123456" },	/* the shortest */
	{ "+47 22 33 44 55", "+46", "+4722334455" },
	{ "0044 20 7946 0958", "+46", "+442079460958" },
	{ "+44 (0)20 7946 0958", "+46", "+442079460958" },
	{ "020 7946 0958", "+44", "+442079460958" },
	{ "+1 (212) 555-0123", "+46", "+12125550123" },
	{ "+39 06 1234 5678", "+46", "+390612345678" },	/* Italy keeps 0 */
	{ "0719 123 456 789", "+46", "+46719123456789" }, /* machines */
	{ "0771-123 456", "+46", "+46771123456" },
	{ "+683 4002", "+46", "+6834002" },
	{ "+123456789012345", "+46", "+123456789012345" },
	/* as word processors and phones write them */
	{ "070\xe2\x80\x93" "123 45 67", "+46", "+46701234567" },
	{ "070\xc2\xa0" "1234567", "+46", "+46701234567" },
	{ "+46\xe2\x80\xaf" "70\xe2\x80\x91" "123\xe2\x80\x92" "45"
	  "\xe2\x88\x92" "67", "+46", "+46701234567" },
};

START_TEST(test_good)
{
	char out[E164_SIZE];
	const char *reason = NULL;

	ck_assert_msg(e164_normalise(good[_i].input, good[_i].cc, out,
				     &reason) == 0, "'%s': %s",
		      good[_i].input, reason);
	ck_assert_str_eq(out, good[_i].want);
}
END_TEST

static const struct {
	const char *input, *cc, *reason;
} bad[] = {
	{ "", "+46", "no digits" },
	{ "   ", "+46", "no digits" },
	{ "+", "+46", "no digits" },
	{ "070-ABC 45 67", "+46", "letters in a number" },
	{ "070 123 45 67 ext 5", "+46", "letters in a number" },
	{ "070#1234567", "+46", "a character that does not belong in a number" },
	{ "070\xe2\x80\x94" "1234567", "+46",
	  "a character that does not belong in a number" },
	{ "070\xe2\x80", "+46",
	  "a character that does not belong in a number" },
	{ "+46+701234567", "+46", "a '+' may only come first" },
	{ "701234567", "+46", "no country code: begin with +, 00 or 0" },
	{ "+0701234567", "+46", "a country code cannot begin with 0" },
	{ "000701234567", "+46", "a country code cannot begin with 0" },
	{ "07012", "+46", "too short" },
	{ "+47 123", "+46", "too short" },
	{ "+1234567890123456", "+46", "too long: more than 15 digits" },
	{ "0701234567890", "+46",
	  "a Swedish mobile number has 10 digits (070-123 45 67)" },
	{ "+46 70 123 45 6", "+46",
	  "a Swedish mobile number has 10 digits (070-123 45 67)" },
	{ "08-123 45", "+46", "too short for a Swedish number" },
	{ "+46 70 12", "+46", "too short" },
	{ "08-123 4", "+46", "too short for a Swedish number" },
	{ "0701234567", "46x", "invalid default country code" },
	{ "0701234567", "+046", "invalid default country code" },
	{ "0701234567", "4612", "invalid default country code" },
	{ "0701234567", "+", "invalid default country code" },
	{ "0701234567", "+467", "invalid default country code" },
	{ "0000000000000000000000000000000000000000000000000000000000000000"
	  "0", "+46", "too long" },
};

START_TEST(test_bad)
{
	char out[E164_SIZE];
	const char *reason = NULL;

	ck_assert_int_eq(e164_normalise(bad[_i].input, bad[_i].cc, out,
					&reason), -1);
	ck_assert_str_eq(reason, bad[_i].reason);
	ck_assert_str_eq(out, "");
}
END_TEST

static const struct {
	const char *number, *masked;
} masks[] = {
	{ "+46701234567", "+46 70 *** ** 67" },
	{ "+46812345678", "+46 81 *** ** 78" },
	{ "+4681234567", "+46 81 ** ** 67" },
	{ "+12125550123", "+1 21 *** *** 23" },
	{ "+442079460958", "+44 20 *** *** 58" },
	{ "+6834002", "+683 *** 2" },
	{ "+35312345", "+353 12 * 45" },
	{ "+123456789012345", "+1 23 *** *** ** ** 45" },
	{ "0701234567", "***" },
	{ "+4670123456x", "***" },
	{ "+46", "***" },
	{ "", "***" },
	{ NULL, "***" },
};

START_TEST(test_mask)
{
	char out[E164_MASK_SIZE];

	ck_assert_str_eq(e164_mask(masks[_i].number, out), masks[_i].masked);
}
END_TEST

/* In full, grouped as masked: to read out and dial. */
START_TEST(test_spaced)
{
	char out[E164_MASK_SIZE];

	ck_assert_str_eq(e164_spaced("+46701234567", out), "+46 70 123 45 67");
	ck_assert_str_eq(e164_spaced("+4681234567", out), "+46 81 23 45 67");
	ck_assert_str_eq(e164_spaced("+12125550123", out), "+1 21 255 501 23");
	ck_assert_str_eq(e164_spaced("+6834002", out), "+683 400 2");
	ck_assert_str_eq(e164_spaced("0701234567", out), "0701234567");
	ck_assert_str_eq(e164_spaced(NULL, out), "***");
}
END_TEST

START_TEST(test_cc_len)
{
	ck_assert_uint_eq(e164_cc_len("1212"), 1);
	ck_assert_uint_eq(e164_cc_len("79161234567"), 1);
	ck_assert_uint_eq(e164_cc_len("46701234567"), 2);
	ck_assert_uint_eq(e164_cc_len("358401234567"), 3);
	ck_assert_uint_eq(e164_cc_len("3541234567"), 3);
}
END_TEST

static Suite *
e164_suite(void)
{
	Suite *s = suite_create("e164");
	TCase *tc = tcase_create("e164");

	tcase_add_loop_test(tc, test_good, 0, N_ELEMENTS(good));
	tcase_add_loop_test(tc, test_bad, 0, N_ELEMENTS(bad));
	tcase_add_loop_test(tc, test_mask, 0, N_ELEMENTS(masks));
	tcase_add_test(tc, test_spaced);
	tcase_add_test(tc, test_cc_len);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(e164_suite());
}
