/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Forwarded mail as the common mail clients write it, in Swedish and
   English: whose mail it is, its subject and its text. */
#include "config.h"

#include "forward.h"
#include "testutil.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct mime_limits limits = {
	.max_size = 1 << 20, .max_header_bytes = 65536, .max_depth = 10,
	.max_parts = 100, .max_attachment = 1 << 20,
};

static const struct {
	const char *client, *text;
	const char *addr, *name, *subject, *text_starts, *sent;
} cases[] = {
	{ "Outlook, Swedish",
	  "Se nedan.\n\n________________________________\n"
	  "Från: Anna Andersson <anna@example.se>\n"
	  "Skickat: den 3 december 2026 10:15\nTill: Eva Ek "
	  "<eva@kommun.example>\nÄmne: Trasig gatlykta\n\nHej!\n",
	  "anna@example.se", "Anna Andersson", "Trasig gatlykta", "Hej!\n",
	  "den 3 december 2026 10:15" },
	{ "Outlook desktop, English, mailto",
	  "-----Original Message-----\nFrom: Anna Andersson "
	  "[mailto:Anna@Example.se]\nSent: Thursday, December 3, 2026 10:15 "
	  "AM\nTo: Eva Ek\nSubject: Broken lamp\n\nHello\n",
	  "anna@example.se", "Anna Andersson", "Broken lamp", "Hello\n",
	  "Thursday, December 3, 2026 10:15 AM" },
	{ "Outlook, bold field names, To folded",
	  "*From:* Anna <anna@example.se>\n*Sent:* Thursday\n*To:* Eva Ek "
	  "<eva@kommun.example>; Bo Berg\n<bo@kommun.example>\n"
	  "*Subject:* Lamp\n\nHello\n",
	  "anna@example.se", "Anna", "Lamp", "Hello\n", "Thursday" },
	{ "Gmail, Swedish",
	  "---------- Vidarebefordrat meddelande ---------\n"
	  "Från: Anna <anna@example.se>\nDate: tors 3 dec. 2026 kl 10:15\n"
	  "Subject: Hål\nTo: <eva@kommun.example>\n\n\nEtt hål.\n",
	  "anna@example.se", "Anna", "Hål", "Ett hål.\n",
	  "tors 3 dec. 2026 kl 10:15" },
	{ "Thunderbird, tabs",
	  "\n\n-------- Forwarded Message --------\nSubject: \tBuller\n"
	  "Date: \tThu, 3 Dec 2026 10:15:00 +0100\nFrom: \tanna@example.se\n"
	  "To: \teva@kommun.example\n\nDet bullrar.\n",
	  "anna@example.se", NULL, "Buller", "Det bullrar.\n",
	  "Thu, 3 Dec 2026 10:15:00 +0100" },
	{ "Apple Mail, Swedish",
	  "\n\nVidarebefordrat brev:\n\nFrån: Anna Andersson "
	  "<anna@example.se>\nÄmne: Buller\nDatum: 3 december 2026 10:15:00 "
	  "CET\nTill: eva@kommun.example\n\nDet bullrar.\n",
	  "anna@example.se", "Anna Andersson", "Buller", "Det bullrar.\n",
	  "3 december 2026 10:15:00 CET" },
	{ "mutt",
	  "Se nedan.\n\n----- Forwarded message from Anna Andersson "
	  "<anna@example.se> -----\n\nDate: Thu, 3 Dec 2026 10:15:00 +0100\n"
	  "From: Anna Andersson <anna@example.se>\nTo: eva@kommun.example\n"
	  "Subject: Buller\n\nDet bullrar.\n\n----- End forwarded message "
	  "-----\n",
	  "anna@example.se", "Anna Andersson", "Buller", "Det bullrar.\n\n",
	  "Thu, 3 Dec 2026 10:15:00 +0100" },
};

START_TEST(test_inline)
{
	struct mime_message m = { .text = (char *)cases[_i].text };
	struct forward f;

	ck_assert_msg(forward_find(&m, &limits, &f) == 1, "%s",
		      cases[_i].client);
	ck_assert_str_eq(f.addr, cases[_i].addr);
	if (cases[_i].name == NULL)
		ck_assert_ptr_null(f.name);
	else
		ck_assert_str_eq(f.name, cases[_i].name);
	ck_assert_str_eq(f.subject, cases[_i].subject);
	ck_assert_str_eq(f.sent, cases[_i].sent);
	ck_assert_msg(strncmp(f.text, cases[_i].text_starts,
			      strlen(cases[_i].text_starts)) == 0, "%s: %s",
		      cases[_i].client, f.text);
	ck_assert_msg(strstr(f.text, "End forwarded") == NULL, "%s", f.text);
	forward_clear(&f);
}
END_TEST

/* Not forwards: a lone "Från:" in prose, a block without an address,
   an address that is none. */
START_TEST(test_not_forwards)
{
	static const char *const texts[] = {
		"Från: kommunen fick jag inget svar.\nTack.\n",
		"-----Ursprungligt meddelande-----\nFrån: Anna\nSkickat: i "
		"går\n\nHej\n",
		"Från: Anna <anna@>\nÄmne: x\n\nHej\n",
		"Från: <a@b@c>\nÄmne: x\n\nHej\n",
		"",
	};

	for (size_t i = 0; i < N_ELEMENTS(texts); i++) {
		struct mime_message m = { .text = (char *)texts[i] };
		struct forward f;

		ck_assert_msg(forward_find(&m, &limits, &f) == 0, "%s",
			      texts[i]);
	}
}
END_TEST

/* A text of header-like lines is read in time linear in its length: a
   block is tried a bounded number of times with a bounded number of
   lines, not once for each of its lines (which took minutes for 1 MB of
   "From: x" lines, while the engine held the database). Check's time
   limit fails this test if it is not. */
START_TEST(test_many_header_lines)
{
	static const char *const units[] = {
		"From: x\n",
		"-----Original Message-----\nTo: y\n",
		"Från: Anna <anna@example.se>\n",
	};

	for (size_t u = 0; u < N_ELEMENTS(units); u++) {
		size_t len = strlen(units[u]), n = (4 << 20) / len;
		char *text = xmalloc(n * len + 1);
		struct mime_message m = { .text = text };
		struct forward f;

		for (size_t i = 0; i < n; i++)
			memcpy(text + i * len, units[u], len);
		text[n * len] = '\0';
		/* no client writes a block of a million lines */
		ck_assert_int_eq(forward_find(&m, &limits, &f), 0);
		free(text);
	}
}
END_TEST

/* A thread's quoted history before the forwarded mail: blocks whose
   From has no address are passed over, and the citizen's is found. */
START_TEST(test_after_quoted_history)
{
	struct strlist l = { 0 };
	struct mime_message m;
	struct forward f;

	for (int i = 0; i < 20; i++)
		strlist_addf(&l, "Svar %d\n\nFrån: Eva Ek\nSkickat: i går\n"
			     "Till: Bo Berg\nÄmne: SV: Buller\n\n", i);
	strlist_add(&l, "Från: Anna <anna@example.se>\nÄmne: Buller\n\n"
		    "Det bullrar.\n");
	m = (struct mime_message){ .text = strlist_join(&l) };
	ck_assert_int_eq(forward_find(&m, &limits, &f), 1);
	ck_assert_str_eq(f.addr, "anna@example.se");
	ck_assert_str_eq(f.text, "Det bullrar.\n");
	forward_clear(&f);
	free(m.text);
}
END_TEST

/* 2026-12-06 18:02 in Stockholm (CET), and the same in UTC */
#define SUN_1802 1796576520
#define SUN_1802_UTC 1796580120

/* The date lines of forwards, as the mail clients write them. */
static const struct {
	const char *sent;
	int64_t t;
} sent_times[] = {
	/* Outlook, Swedish and English */
	{ "den 6 december 2026 18:02", SUN_1802 },
	{ "söndag 6 december 2026 18:02", SUN_1802 },
	{ "Sunday, December 6, 2026 6:02 PM", SUN_1802 },
	{ "06 December 2026 18:02", SUN_1802 },
	{ "Thursday, December 3, 2026 10:15 AM", 1796289300 },
	/* Gmail, English (its narrow no-break space too) and Swedish */
	{ "Sun, Dec 6, 2026 at 6:02 PM", SUN_1802 },
	{ "Sun, Dec 6, 2026 at 6:02\xe2\x80\xafPM", SUN_1802 },
	{ "sön 6 dec. 2026 kl. 18:02", SUN_1802 },
	/* no-break spaces between the words */
	{ "6\xc2\xa0" "dec\xc2\xa0" "2026 18:02", SUN_1802 },
	{ "s\xc3\xb6n\xc2\xa0" "6\xc2\xa0" "dec. 2026 kl.\xc2\xa0" "18:02",
	  SUN_1802 },
	{ "tors 3 dec. 2026 kl 10:15", 1796289300 },
	/* Apple Mail, Swedish and English */
	{ "6 december 2026 kl. 18:02:00 CET", SUN_1802 },
	{ "December 6, 2026 at 6:02:00 PM GMT+1", SUN_1802 },
	/* Thunderbird, RFC 5322, ISO 8601 */
	{ "Sun, 6 Dec 2026 18:02:00 +0100", SUN_1802 },
	{ "Sun, 6 Dec 2026 18:02:00 +0100 (CET)", SUN_1802 },
	{ "Sun, 6 Dec 2026 12:02:00 -0500", SUN_1802 },
	{ "2026-12-06 18:02", SUN_1802 },
	{ "2026-12-06T18:02:00Z", SUN_1802_UTC },
	{ "2026-12-06T19:02:00+01:00", SUN_1802_UTC },
	/* any case; a time written with a dot after "kl" */
	{ "SÖNDAG 6 DECEMBER 2026 18:02", SUN_1802 },
	{ "Söndag 6 December 2026 kl. 18.02", SUN_1802 },
	/* summer time (CEST) when the line names no zone */
	{ "den 6 juli 2026 18:02", 1783353720 },
	/* a leap day; midnight and noon on a 12-hour clock */
	{ "den 29 februari 2028 10:00", 1835427600 },
	{ "December 6, 2026 12:02 AM", SUN_1802 - 18 * 3600 },
	{ "December 6, 2026 12:02 PM", SUN_1802 - 6 * 3600 },
};

START_TEST(test_sent_time)
{
	int64_t t = 0;

	ck_assert_msg(forward_sent_time(sent_times[_i].sent, &t) == 1, "%s",
		      sent_times[_i].sent);
	ck_assert_msg(t == sent_times[_i].t, "%s: %lld, not %lld",
		      sent_times[_i].sent, (long long)t,
		      (long long)sent_times[_i].t);
}
END_TEST

/* Every month by its Swedish and English names, full and short, with
   and without a dot, is the month ISO 8601 numbers. */
START_TEST(test_sent_months)
{
	static const char *const names[12][5] = {
		{ "januari", "jan", "january", "Jan.", NULL },
		{ "februari", "feb", "february", "FEB.", NULL },
		{ "mars", "mar", "march", "Mars.", NULL },
		{ "april", "apr", "April", "apr.", NULL },
		{ "maj", "may", "Maj.", NULL },
		{ "juni", "jun", "june", "juni.", NULL },
		{ "juli", "jul", "july", "jul.", NULL },
		{ "augusti", "aug", "august", "aug.", NULL },
		{ "september", "sep", "sept", "sept.", "Sep." },
		{ "oktober", "okt", "october", "oct", "okt." },
		{ "november", "nov", "NOVEMBER", "nov.", NULL },
		{ "december", "dec", "December", "dec.", NULL },
	};

	for (int m = 0; m < 12; m++) {
		char iso[32];
		int64_t want, t;

		snprintf(iso, sizeof(iso), "2027-%02d-15 12:30", m + 1);
		ck_assert_int_eq(forward_sent_time(iso, &want), 1);
		for (int i = 0; i < 5 && names[m][i] != NULL; i++) {
			char *s = xasprintf("den 15 %s 2027 12:30", names[m][i]);

			t = 0;
			ck_assert_msg(forward_sent_time(s, &t) == 1 &&
				      t == want, "%s", s);
			free(s);
		}
	}
}
END_TEST

/* What is no date a client writes, or no day the calendar has: 0,
   never a guess. */
START_TEST(test_sent_bad)
{
	static const char *const bad[] = {
		"igår", "i går", "Thursday", "", "25:61",
		"32 december 2026 18:02", "2026-02-30 10:00",
		"den 29 februari 2027 10:00", "2026-13-01 10:00",
		"den 6 december 2026", "den 6 december 2026 25:61",
		"den 6 december 2026 18:60", "December 6, 2026 13:02 PM",
		"6 december 2026 18:02 PST", "6 december 2026 18:02 +2400",
		"6 december december 2026 18:02", "6 december 2026 18:02 2027",
		"den 6 december 2026 18:02 och 19:00", "6 december 1969 18:02",
		"\xff\xfe\x01\x02", "6 dec\x01 2026 18:02", "+0100",
		"den 6 december 2026 18:02 (CET", "20261206 18:02",
		"2026-12-06 18:02Zulu", "6. 12. 2026 18:02",
	};
	struct strlist l = { 0 };
	char *longer;
	int64_t t;

	for (size_t i = 0; i < N_ELEMENTS(bad); i++)
		ck_assert_msg(forward_sent_time(bad[i], &t) == 0, "%s", bad[i]);
	ck_assert_int_eq(forward_sent_time(NULL, &t), 0);
	/* a good date in a text no client writes */
	for (int i = 0; i < 10000; i++)
		strlist_add(&l, " ");
	strlist_add(&l, "den 6 december 2026 18:02");
	longer = strlist_join(&l);
	ck_assert_int_eq(forward_sent_time(longer, &t), 0);
	free(longer);
}
END_TEST

/* The time of a forward's Skickat line is read with the rest of its
   header block. */
START_TEST(test_sent_at)
{
	struct mime_message m = { .text = (char *)cases[0].text };
	struct forward f;

	ck_assert_int_eq(forward_find(&m, &limits, &f), 1);
	ck_assert_int_eq(f.sent_at, 1796289300);
	forward_clear(&f);
}
END_TEST

START_TEST(test_subject)
{
	ck_assert(forward_subject("VB: Trasig lampa"));
	ck_assert(forward_subject("Fwd: x"));
	ck_assert(forward_subject(" FW: x"));
	ck_assert(!forward_subject("SV: x"));
	ck_assert(!forward_subject("Vbx"));
	ck_assert(!forward_subject(NULL));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("forward");
	TCase *tc = tcase_create("forward");

	/* a date line without a zone is Swedish local time */
	setenv("TZ", "Europe/Stockholm", 1);
	tzset();

	tcase_add_loop_test(tc, test_inline, 0, (int)N_ELEMENTS(cases));
	tcase_add_test(tc, test_not_forwards);
	tcase_add_test(tc, test_many_header_lines);
	tcase_add_test(tc, test_after_quoted_history);
	tcase_add_test(tc, test_subject);
	tcase_add_loop_test(tc, test_sent_time, 0,
			    (int)N_ELEMENTS(sent_times));
	tcase_add_test(tc, test_sent_months);
	tcase_add_test(tc, test_sent_bad);
	tcase_add_test(tc, test_sent_at);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
