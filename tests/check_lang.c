/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "lang.h"
#include "testutil.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static const struct {
	const char *text, *want;	/* want NULL: undecided */
} cases[] = {
	/* English, also about Swedish places */
	{ "Hello, the street light outside Björkvägen 12 is broken.", "en" },
	{ "Hi, there is a pothole on our road. Thanks", "en" },
	{ "Why have you not answered my mail about the noise?", "en" },
	{ "THE STREET LIGHT IS BROKEN", "en" },
	{ "Dear Sir or Madam,\n\nI would like to complain about the snow "
	  "clearing on Ängsgatan.\n\nKind regards\nJohn", "en" },
	/* Swedish, also with an English title or word in it */
	{ "Hej! Gatlampan utanför Björkvägen 12 är fortfarande trasig.", "sv" },
	{ "Jag vill lämna beröm till personalen på återvinningscentralen.",
	  "sv" },
	{ "ÄR DET NÅGON SOM LÄSER DET HÄR?", "sv" },
	{ "Hej, jag såg filmen \"The Road\" i parken och det var för högt "
	  "ljud hela kvällen. Kan ni göra något åt det?", "sv" },
	{ "Det är is på gatan och jag kan inte gå ut.", "sv" },
	{ "Jag vill be er att ringa mig, 5 min räcker.", "sv" },
	/* too little to tell: the caller keeps its default */
	{ NULL, NULL },
	{ "", NULL },
	{ "Björkvägen 12", NULL },
	{ "Hello", NULL },
	{ "Tack", NULL },
	{ "OK", NULL },
	{ "https://example.se/bild.jpg", NULL },
	{ "1234 5678 !!!", NULL },
	/* as many of each: undecided */
	{ "the and och att", NULL },
	/* broken UTF-8 and a word longer than any listed */
	{ "\xc3 the \xff and \xc3", "en" },
	{ "Pneumonoultramicroscopicsilicovolcanoconiosis the", NULL },
};

START_TEST(test_guess)
{
	const char *got = lang_guess(cases[_i].text);

	if (cases[_i].want == NULL)
		ck_assert_msg(got == NULL, "'%s': %s", cases[_i].text, got);
	else
		ck_assert_msg(got != NULL && strcmp(got, cases[_i].want) == 0,
			      "'%s': %s", cases[_i].text,
			      got != NULL ? got : "NULL");
}
END_TEST

/* Only the first LANG_TEXT_MAX bytes count. */
START_TEST(test_long)
{
	size_t n = LANG_TEXT_MAX + 100;
	char *s = xmalloc(n + 1);

	memset(s, ' ', n);
	memcpy(s, "Hej och tack", 12);
	memcpy(s + LANG_TEXT_MAX, " the and with you", 17);
	s[n] = '\0';
	ck_assert_str_eq(lang_guess(s), "sv");
	free(s);
}
END_TEST

static Suite *
lang_suite(void)
{
	Suite *s = suite_create("lang");
	TCase *tc = tcase_create("lang");

	tcase_add_loop_test(tc, test_guess, 0, N_ELEMENTS(cases));
	tcase_add_test(tc, test_long);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(lang_suite());
}
