/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Forwarded mail as the common mail clients write it, in Swedish and
   English: whose mail it is, its subject and its text. */
#include "config.h"

#include "forward.h"
#include "testutil.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

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

	tcase_add_loop_test(tc, test_inline, 0, (int)N_ELEMENTS(cases));
	tcase_add_test(tc, test_not_forwards);
	tcase_add_test(tc, test_many_header_lines);
	tcase_add_test(tc, test_after_quoted_history);
	tcase_add_test(tc, test_subject);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
