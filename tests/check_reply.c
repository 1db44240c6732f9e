/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "reply.h"
#include "testutil.h"
#include "util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name, *text, *want;
} cases[] = {
	/* shapes of input */
	{ "empty", "", "" },
	{ "only line ends", "\n\n \n\t\n", "" },
	{ "no line end at the end", "Hej", "Hej" },
	{ "blank lines trimmed", "\n\n  Hej  \n\n\nDå\n\n\n", "  Hej\n\nDå" },
	{ "crlf", "Hej\r\nD\xc3\xa5\r\n\r\n", "Hej\nD\xc3\xa5" },
	{ "lone cr", "Hej\rD\xc3\xa5", "Hej\nD\xc3\xa5" },
	{ "no-break space line is blank", "Hej\n\xc2\xa0\n> citat\n", "Hej" },
	{ "invalid utf-8 passes through", "Hej \xff\xfe!\n> x\n",
	  "Hej \xff\xfe!" },

	/* the message replied to quoted with '|', or only indented, below
	   an attribution, as a few mail clients quote */
	{ "bar quote below an attribution",
	  "Vi tittar på det.\n\nKommunen skrev 2026-12-06 07:52:\n"
	  "| Ett nytt ärende.\n| Eva Ek (intern): Ring.\n",
	  "Vi tittar på det." },
	{ "indented quote below a weak attribution",
	  "Vi tittar på det.\n\nOn Sun, Kommunen wrote:\n"
	  "    Ett nytt ärende.\n    Eva Ek (intern): Ring.\n",
	  "Vi tittar på det." },
	{ "an indented line without an attribution is text",
	  "Adressen:\n    Storgatan 4\n    Ort\nTack!\n",
	  "Adressen:\n    Storgatan 4\n    Ort\nTack!" },

	/* attributions, English */
	{ "en gmail",
	  "Hello\n\nOn Mon, Nov 23, 2026 at 10:12 AM Anna Andersson "
	  "<anna@example.se> wrote:\n\n> Hi\n>\n",
	  "Hello" },
	{ "en wrapped over two lines",
	  "Thanks!\n\nOn Mon, Nov 23, 2026 at 10:12 AM Anna Andersson <\n"
	  "anna@example.se> wrote:\n\n> Hi\n",
	  "Thanks!" },
	{ "en wrapped over three lines",
	  "Thanks!\nOn Mon, Nov 23, 2026 at 10:12 AM Anna\nAndersson "
	  "<anna@example.se>\nwrote:\n> Hi\n",
	  "Thanks!" },
	/* the reply address of a notification holds a case number, and
	   its year is no date of a later attribution */
	{ "en wrapped before a reply address with a case number",
	  "#ta\n\nOn Thu, Dec 3, 2026 at 1:12 PM Kommunen <\n"
	  "arende+ks-2026-00001.h1.bb756dd3ae0762c0@kommun.example> wrote:\n"
	  "\n> Ett nytt \xc3\xa4rende\n",
	  "#ta" },
	{ "en wrapped before the name of a reply address",
	  "#ta\n\nOn Thu, Dec 3, 2026 at 1:12 PM\nKommunen "
	  "<arende+ks-2026-00001.h1.bb756dd3ae0762c0@kommun.example> "
	  "wrote:\n\n> Ett nytt \xc3\xa4rende\n",
	  "#ta" },
	{ "en attribution without date",
	  "Fine by me.\n\nAnna wrote:\n> Is Tuesday ok?\n", "Fine by me." },
	{ "en unquoted message after attribution",
	  "Yes\n\nOn 2026-11-23 10:12, Anna Andersson <anna@example.se> wrote:\n\n"
	  "Old text that the client did not quote.\n",
	  "Yes" },

	/* attributions, Swedish */
	{ "sv gmail",
	  "Tack!\n\nDen m\xc3\xa5n 23 nov. 2026 kl 10:12 skrev Anna Andersson "
	  "<anna@example.se>:\n\n> Hej\n",
	  "Tack!" },
	{ "sv apple mail",
	  "Tack!\n\n23 nov. 2026 kl. 10:12 skrev Anna Andersson "
	  "<anna@example.se>:\n\n> Hej\n",
	  "Tack!" },
	{ "sv thunderbird",
	  "Tack!\n\nDen 2026-11-23 kl. 10:12, Anna Andersson skrev:\n> Hej\n",
	  "Tack!" },
	{ "sv thunderbird, message not quoted",
	  "Tack!\n\nDen 2026-11-23 kl. 10:12, Anna Andersson skrev:\nHej\n",
	  "Tack!" },
	{ "sv name first",
	  "Tack!\n\nAnna Andersson skrev 2026-11-23 10:12:\n> Hej\n", "Tack!" },
	{ "sv wrapped",
	  "Ok.\nDen m\xc3\xa5n 23 nov. 2026 kl 10:12 skrev Anna Andersson <\n"
	  "anna@example.se>:\n> Hej\n",
	  "Ok." },
	{ "da", "Tak\n\nDen 23. nov. 2026 kl. 10.12 skrev Anna Andersson "
	  "<anna@example.se>:\n\n> Hej\n", "Tak" },
	{ "de", "Danke\n\nAm 23.11.2026 um 10:12 schrieb Anna Andersson "
	  "<anna@example.se>:\n> Hallo\n", "Danke" },
	{ "fr", "Merci\n\nLe lun. 23 nov. 2026 \xc3\xa0 10:12, Anna Andersson "
	  "<anna@example.se> a \xc3\xa9" "crit :\n\n> Bonjour\n", "Merci" },
	{ "attribution without verb above the final quote",
	  "Hi\n\n26.06.2014, 14:41, \"Anna\" <anna@example.se>:\n> Hello\n",
	  "Hi" },

	/* what only looks like an attribution stays */
	{ "sv sentence with skrev",
	  "Som jag skrev:\nLampan \xc3\xa4r trasig.",
	  "Som jag skrev:\nLampan \xc3\xa4r trasig." },
	{ "sv dated sentence with skrev",
	  "Den 3 mars kl 10:30 skrev jag till er:\n- Lampan \xc3\xa4r trasig.",
	  "Den 3 mars kl 10:30 skrev jag till er:\n- Lampan \xc3\xa4r trasig." },
	{ "sv colon before a final quote",
	  "Se nedan:\n> citat\n", "Se nedan:" },
	{ "own line above a wrapped attribution",
	  "Vi ses 10:30.\nDen m\xc3\xa5n 23 nov. 2026 kl 10:12 skrev Anna <\n"
	  "anna@example.se>:\n> Hej\n",
	  "Vi ses 10:30." },

	/* Outlook header blocks */
	{ "en outlook",
	  "Yes.\n\nFrom: Anna <anna@example.se>\nSent: Monday, November 23, 2026 "
	  "10:12 AM\nTo: Per <per@example.se>\nSubject: RE: Lamp\n\nOld text\n",
	  "Yes." },
	{ "en outlook bold",
	  "Ok.\n\n*From:* Anna <anna@example.se>\n*Sent:* Monday, November 23, "
	  "2026 10:12 AM\n*To:* Per\n*Subject:* RE: Lamp\n\nOld\n",
	  "Ok." },
	{ "sv outlook",
	  "Ok.\n\nFr\xc3\xa5n: Anna Andersson <anna@example.se>\nSkickat: den 23 "
	  "november 2026 10:12\nTill: Per\n\xc3\x84mne: SV: Lampa\n\nGammalt\n",
	  "Ok." },
	{ "sv outlook bold",
	  "Ok.\n\n*Fr\xc3\xa5n:* Anna Andersson <anna@example.se>\n*Skickat:* den "
	  "23 november 2026 10:12\n*Till:* Per\n*\xc3\x84mne:* SV: Lampa\n\nGammalt\n",
	  "Ok." },
	{ "sv outlook with Datum",
	  "Ok.\nFr\xc3\xa5n: Anna\nDatum: 23 november 2026 10:12\nTill: Per\n",
	  "Ok." },
	{ "hotmail order",
	  "Ok.\n\nDate: Thu, 26 Jun 2014 13:53:45 +0400\nSubject: Test\n"
	  "From: a@example.com\nTo: b@example.com\n\nOld\n",
	  "Ok." },
	{ "one header line is text",
	  "Till: Bygglovsenheten\nJag vill s\xc3\xb6ka bygglov.",
	  "Till: Bygglovsenheten\nJag vill s\xc3\xb6ka bygglov." },
	{ "original message",
	  "Hi\n-----Original Message-----\nFrom: x\n", "Hi" },
	{ "original message with spaces",
	  "Hi\n\n----- Original Message -----\nOld\n", "Hi" },
	{ "ursprungligt meddelande",
	  "Hej\n\n-----Ursprungligt meddelande-----\nGammalt\n", "Hej" },
	{ "underscores before Fr\xc3\xa5n",
	  "Hej\n\n________________________________\nFr\xc3\xa5n: Anna\n"
	  "Skickat: i g\xc3\xa5r\n",
	  "Hej" },
	{ "underscores alone are text",
	  "Namn: ______________\nTack", "Namn: ______________\nTack" },

	/* quotes */
	{ "all quoted", "> a\n>\n> b\n", "" },
	{ "all quoted with attribution",
	  "On Mon, Nov 23, 2026 at 10:12 AM Anna <anna@example.se> wrote:\n> a\n",
	  "" },
	{ "interleaved",
	  "> Vilken adress?\nStorgatan 12.\n\n> N\xc3\xa4r?\n> Datum?\nI l\xc3\xb6rdags.\n",
	  "Storgatan 12.\n\nI l\xc3\xb6rdags." },
	{ "indented quote", "Ja\n  > citat\n", "Ja" },

	/* signatures */
	{ "outlook's inline image placeholders",
	  "Hej Anna!\n\nMed v\xc3\xa4nlig h\xc3\xa4lsning\n"
	  "[cid:image001.png@01DA4B2C.8F5E3A10]\nEva Ek "
	  "[CID:image002.jpg@01DA4B2C.8F5E3A10]\n[cid:inte en bild]\n",
	  "Hej Anna!\n\nMed v\xc3\xa4nlig h\xc3\xa4lsning\nEva Ek\n"
	  "[cid:inte en bild]" },
	{ "dash dash space", "Hej\n\n-- \nSven\n070-123 45 67\n", "Hej" },
	{ "dash dash", "Hej\n--\nSven\n", "Hej" },
	{ "three dashes are text", "Hej\n---\nMer", "Hej\n---\nMer" },
	{ "quoted signature delimiter", "> -- \n> Sig\nHej", "Hej" },

	/* forwarded text is content */
	{ "en forwarded",
	  "See below.\n\nBegin forwarded message:\n\nFrom: A <a@example.com>\n"
	  "Subject: Water\nDate: 23 November 2026 at 10:12:00 CET\n"
	  "To: B <b@example.com>\n\nWater off Thursday.\n",
	  "See below.\n\nBegin forwarded message:\n\nFrom: A <a@example.com>\n"
	  "Subject: Water\nDate: 23 November 2026 at 10:12:00 CET\n"
	  "To: B <b@example.com>\n\nWater off Thursday." },
};

/* Signature lines of mail apps: each ends the new text. */
static const char *const app_signatures[] = {
	"Skickat från min iPhone", "Skickat från min iPad",
	"Sent from my iPhone", "Sent from my iPad", "Sent from my Android",
	"Skickat från Outlook för iOS", "Hämta Outlook för iOS",
	"Hämta Outlook för Android<https://aka.ms/AAb9ysg>",
	"Get Outlook for iOS", "Get Outlook for Android",
	"Sent from Mail for Windows", "Skickat från E-post för Windows",
	"Sent from Yahoo Mail on Android", "Sent from my BlackBerry 10 smartphone.",
	"Sendt fra min iPhone", "Von meinem iPhone gesendet",
};

/* Talon's expected text keeps what cirm strips on purpose: handlers need
   the citizen's words, not the mail app's signature. The .ref holds
   talon's text; cirm's is here. */
static const struct {
	const char *name, *want, *why;
} talon_differences[] = {
	{ "standard_replies__iphone", "Hello",
	  "cirm drops \"Sent from my iPhone\"; talon keeps it" },
	{ "standard_replies__sparrow", "Hello",
	  "cirm drops the \"-- \" signature; talon keeps it" },
};

/* S without trailing white space, in place. */
static char *
rtrim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && strchr(" \t\r\n", s[n - 1]) != NULL)
		s[--n] = '\0';
	return s;
}

START_TEST(test_case)
{
	char *got = reply_strip(cases[_i].text);

	ck_assert_msg(strcmp(got, cases[_i].want) == 0,
		      "%s: got\n[%s]\nwant\n[%s]", cases[_i].name, got,
		      cases[_i].want);
	free(got);
}
END_TEST

/* A citizen answering the questions between them: what handlers are
   shown (reply_strip_full's second result; NULL: the plain new text). */
static const struct {
	const char *name, *text, *want;
} interleaved_cases[] = {
	{ "two answers below their questions",
	  "> Vilken adress?\nStorgatan 12.\n\n> N\xc3\xa4r?\n> Datum?\n"
	  "I l\xc3\xb6rdags.\n",
	  "> Vilken adress?\nStorgatan 12.\n\n> N\xc3\xa4r?\n> Datum?\n"
	  "I l\xc3\xb6rdags." },
	{ "a greeting above, the attribution and the last quotes left out",
	  "Hej, svar nedan.\n\nDen 23 nov. 2026 kl. 10:12 skrev Kommunen "
	  "<arende@kommun.example>:\n> Vilken adress?\n>\nStorgatan 12.\n"
	  "> Sedan n\xc3\xa4r?\nEn vecka.\n> Med v\xc3\xa4nlig "
	  "h\xc3\xa4lsning\n> Kommunen\n",
	  "Hej, svar nedan.\n\n> Vilken adress?\nStorgatan 12.\n"
	  "> Sedan n\xc3\xa4r?\nEn vecka." },
	{ "only the last four lines above an answer, one level deep",
	  "> a\n> b\n>> c\n> d\n> e\n> f\n> g\nSvar 1\n> h\nSvar 2\n",
	  "> d\n> e\n> f\n> g\nSvar 1\n> h\nSvar 2" },
	{ "the signature stays out",
	  "> Fr\xc3\xa5ga 1\nJa\n> Fr\xc3\xa5ga 2\nNej\n-- \nAnna\n",
	  "> Fr\xc3\xa5ga 1\nJa\n> Fr\xc3\xa5ga 2\nNej" },
	{ "the citizen's sign-off quoted above the officer's: not shown",
	  "> Vem ska jag kontakta?\n\nG\xc3\xa5 till kontoret.\n\n"
	  "> Mvh G\xc3\xb6ran\n\nH\xc3\xa4lsningar\nEva Ek\n",
	  "> Vem ska jag kontakta?\nG\xc3\xa5 till kontoret.\n\n"
	  "H\xc3\xa4lsningar\nEva Ek" },
	{ "bottom posting: one answer below the whole message",
	  "> Hej!\n> Vi har tagit emot ditt \xc3\xa4rende.\n\nTack!\n",
	  NULL },
	{ "top posting", "Tack!\n\nOn Mon wrote:\n> a\n> b\n", NULL },
	{ "no quotes", "Hej\nD\xc3\xa5\n", NULL },
	{ "own text, one answer", "Hej\n> Fr\xc3\xa5ga\nSvar\n", NULL },
};

START_TEST(test_interleaved)
{
	char *shown = (char *)"unset";
	char *got = reply_strip_full(interleaved_cases[_i].text, &shown, NULL);
	char *plain = reply_strip(interleaved_cases[_i].text);
	const char *want = interleaved_cases[_i].want;

	/* the plain new text is the same either way */
	ck_assert_str_eq(got, plain);
	if (want == NULL)
		ck_assert_msg(shown == NULL, "%s: got\n[%s]\nwant NULL",
			      interleaved_cases[_i].name, shown);
	else
		ck_assert_msg(shown != NULL && strcmp(shown, want) == 0,
			      "%s: got\n[%s]\nwant\n[%s]",
			      interleaved_cases[_i].name,
			      shown != NULL ? shown : "(null)", want);
	free(shown);
	free(got);
	free(plain);
}
END_TEST

/* A case officer's answer (reply_strip_answer): a quote written into
   their own text is theirs, for the citizen; the message replied to is
   not (WANT NULL: as reply_strip has it). */
static const struct {
	const char *name, *text, *want;
} answer_cases[] = {
	{ "a guideline quoted between own lines",
	  "Hej Anna!\n\nRiktlinjen s\xc3\xa4ger:\n> R\xc3\xb6jning inom "
	  "24 timmar.\n\nVi kommer i morgon.\n\nMvh Eva\n\n"
	  "Den 1 dec. 2026 skrev Anna <anna@example.se>:\n> Gammalt.\n",
	  "Hej Anna!\n\nRiktlinjen s\xc3\xa4ger:\n> R\xc3\xb6jning inom "
	  "24 timmar.\n\nVi kommer i morgon.\n\nMvh Eva" },
	{ "two paragraphs of it, the blank quoted line between kept",
	  "Hej!\n> Ett.\n>\n> Tv\xc3\xa5.\nSvar.\n",
	  "Hej!\n> Ett.\n>\n> Tv\xc3\xa5.\nSvar." },
	{ "a short quote at the very top",
	  "> Det \xc3\xa4r inte plogat.\n\nVi plogar i morgon.\n",
	  "> Det \xc3\xa4r inte plogat.\n\nVi plogar i morgon." },
	{ "\"Du skrev:\" is the officer's own",
	  "Du skrev:\n> Det \xc3\xa4r inte plogat.\n\nVi plogar.\n",
	  "Du skrev:\n> Det \xc3\xa4r inte plogat.\n\nVi plogar." },
	{ "a long quote at the top: the notification, quoted whole",
	  "> a\n> b\n> c\n> d\n> e\n\nSvar.\n", NULL },
	{ "a long quote under a command: the same",
	  "#ta\n> a\n> b\n> c\n> d\n> e\n\nSvar.\n", NULL },
	{ "bottom posting under an attribution",
	  "Kommunen skrev:\n> a\n\nSvar.\n", NULL },
	{ "top posting", "Svar.\n\nOn Mon wrote:\n> a\n> b\n", NULL },
	{ "a quote of a quote: a message replied to",
	  "Hej\n> a\n>> b\nSvar.\n", NULL },
	{ "a trailing quote: nothing of the officer's below it",
	  "Svar.\n\n> a\n", NULL },
	{ "answers between quotes: the quotes are the message's",
	  "Hej\n> Fr\xc3\xa5ga 1\nJa\n> Fr\xc3\xa5ga 2\nNej\n", NULL },
};

START_TEST(test_answer)
{
	char *shown = NULL, *shown_full = NULL;
	char *got = reply_strip_answer(answer_cases[_i].text, &shown);
	char *plain = reply_strip_full(answer_cases[_i].text, &shown_full, NULL);
	char *alone = reply_strip_answer(answer_cases[_i].text, NULL);
	const char *want = answer_cases[_i].want != NULL ?
		answer_cases[_i].want : plain;

	ck_assert_msg(strcmp(got, want) == 0, "%s: got\n[%s]\nwant\n[%s]",
		      answer_cases[_i].name, got, want);
	/* the same text without asking for what answers between quotes
	   show */
	ck_assert_str_eq(alone, got);
	free(alone);
	/* what answers between quotes shows is the same either way */
	ck_assert_msg((shown == NULL) == (shown_full == NULL) &&
		      (shown == NULL || strcmp(shown, shown_full) == 0),
		      "%s", answer_cases[_i].name);
	free(shown);
	free(shown_full);
	free(got);
	free(plain);
}
END_TEST

START_TEST(test_app_signature)
{
	char *text = xasprintf("Tack f\xc3\xb6r hj\xc3\xa4lpen!\n\n%s\n\n"
			       "> Gammalt\n", app_signatures[_i]);
	char *got = reply_strip(text);

	ck_assert_msg(strcmp(got, "Tack f\xc3\xb6r hj\xc3\xa4lpen!") == 0,
		      "%s: got [%s]", app_signatures[_i], got);
	free(got);
	free(text);
}
END_TEST

static const char *
talon_difference(const char *name)
{
	for (size_t i = 0; i < N_ELEMENTS(talon_differences); i++)
		if (strcmp(talon_differences[i].name, name) == 0)
			return talon_differences[i].want;
	return NULL;
}

/* Strips DIR/NAME.txt and compares with DIR/NAME.ref; returns 1. */
static int
check_golden(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s.txt", dir, name);
	char *ref_path = xasprintf("%s/%s.ref", dir, name);
	char *text = tu_slurp(path, NULL), *ref = rtrim(tu_slurp(ref_path, NULL));
	char *got = rtrim(reply_strip(text));
	const char *differs = talon_difference(name);

	if (differs != NULL) {
		ck_assert_msg(strcmp(ref, got) != 0, "%s: talon agrees now", name);
		ck_assert_msg(strcmp(got, differs) == 0, "%s: got\n[%s]", name, got);
	} else {
		ck_assert_msg(strcmp(got, ref) == 0, "%s: got\n[%s]\nwant\n[%s]",
			      name, got, ref);
	}
	free(got);
	free(ref);
	free(text);
	free(ref_path);
	free(path);
	return 1;
}

/* Every NAME.txt in tests/data/replies/SUB; returns how many. */
static int
check_golden_dir(const char *sub)
{
	char *dir = xasprintf("%s/tests/data/replies/%s", tu_srcdir(), sub);
	DIR *d = opendir(dir);
	struct dirent *e;
	int seen = 0;

	ck_assert_msg(d != NULL, "no %s", dir);
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		char *name;

		if (n < 5 || strcmp(e->d_name + n - 4, ".txt") != 0)
			continue;
		name = xstrndup(e->d_name, n - 4);
		seen += check_golden(dir, name);
		free(name);
	}
	closedir(d);
	free(dir);
	return seen;
}

START_TEST(test_talon)
{
	ck_assert_int_ge(check_golden_dir("talon"), 12);
}
END_TEST

START_TEST(test_swedish)
{
	ck_assert_int_ge(check_golden_dir("sv"), 15);
}
END_TEST

/* Inputs made to be slow or to overrun: huge lines, many lines. */
START_TEST(test_big_inputs)
{
	size_t len = (size_t)10 << 20;
	char *text = xmalloc(len + 64), *got;

	memset(text, 'a', len);
	strcpy(text + len, " wrote:\n> q\n");
	got = reply_strip(text);
	ck_assert_uint_eq(strlen(got), len + 7);
	free(got);
	for (size_t i = 0; i < len; i += 4)
		memcpy(text + i, "> x\n", 4);
	text[len] = '\0';
	got = reply_strip(text);
	ck_assert_str_eq(got, "");
	free(got);
	/* every line is tried as an attribution, alone and joined */
	for (size_t i = 0; i + 24 <= len; i += 24)
		memcpy(text + i, "Jag skrev 10:12 om det:\n", 24);
	text[len / 24 * 24] = '\0';
	got = reply_strip(text);
	ck_assert_uint_eq(strlen(got), len / 24 * 24 - 1);
	ck_assert_int_eq(strncmp(got, text, strlen(got)), 0);
	free(got);
	free(text);
}
END_TEST

/* Random bytes from the characters the patterns look at never crash and
   never grow the text. */
START_TEST(test_random)
{
	static const char alphabet[] = "> -_:@\r\n\t*1O2nwrote sFkåÄ\xc2\xa0\xff";
	char text[512];
	unsigned int seed = 42;

	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)rand_r(&seed) % (sizeof(text) - 1);
		char *got;

		for (size_t i = 0; i < len; i++)
			text[i] = alphabet[(size_t)rand_r(&seed) %
					   (sizeof(alphabet) - 1)];
		text[len] = '\0';
		got = reply_strip(text);
		ck_assert_uint_le(strlen(got), len);
		free(got);
	}
}
END_TEST

/* Whether a case officer's answer closes with a greeting of its own. */
static const struct {
	const char *text;
	bool signed_off;
} sign_offs[] = {
	{ "Vi lagar lampan i veckan.\n\nHälsningar Eva", true },
	{ "Vi lagar lampan i veckan.\n\nMed vänlig hälsning\nEva Ek\n"
	  "Handläggare, Exempels kommun\n\n", true },
	{ "Vi lagar lampan.\nMVH /Eva", true },
	{ "Vi lagar lampan.\n\nVÄNLIGA HÄLSNINGAR,\nEva", true },
	{ "We will fix it.\n\nKind regards,\nEva Ek", true },
	/* a whole signature: name, title, office, telephone */
	{ "Vi lagar lampan.\n\nVänliga hälsningar\nEva Ek\nHandläggare, "
	  "Samhällsbyggnad\nSundby kommun\n", true },
	{ "Vi lagar lampan.\n\nMed vänlig hälsning\nLars Lind\n"
	  "Gatubelysning, Sundby kommun\nTel 0123-45 67 89\n"
	  "lars.lind@sundby.se\n", true },
	/* a municipal one: eight lines below the closing */
	{ "Vi lagar lampan.\n\nMed vänlig hälsning\n\nEva Ek\nHandläggare\n"
	  "Gatuenheten, Samhällsbyggnadsförvaltningen\nExempels kommun\n"
	  "Besöksadress: Storgatan 1\n123 45 Exempelstad\n"
	  "Tel 0123-45 67 89\nwww.exempel.se\n", true },
	{ "Vi lagar lampan i veckan.", false },
	{ "", false },
	{ "Hälsningarna från grannarna har vi fått.", false },
	{ "Regardless of the weather we will fix it.", false },
	/* a closing far above the end is not the end's */
	{ "Hälsningar\nEva\n\nPS. Vi har också sett över lamporna på "
	  "Björkvägen, och de fungerar.\nEn rad till.\nOch en till.", false },
	/* more than a name after it is more text */
	{ "Vi lagar den.\nHälsningar till alla på Storgatan som har väntat "
	  "så länge på att lampan ska bli lagad.", false },
	{ "Vi lagar den.\nHälsning\n", true },
	{ "\n\n\n", false },
	/* a word that closes only alone on its line, with a name below */
	{ "Vi lagar den.\n\nVänligen\nEva Ek\n", true },
	{ "Vi lagar den.\n\nTack!\nEva\n", true },
	{ "We will fix it.\n\nThanks,\nEva\n", true },
	{ "Vi lagar den.\nVänligen kontakta oss om den slocknar igen.", false },
	{ "Vi lagar den.\nTack för att du hörde av dig.\nEva", false },
	{ "Vi lagar den.\nTack!", false },
	/* the short Swedish signature: a slash and a name */
	{ "Vi lagar den.\n\n/Eva\n", true },
	{ "Vi lagar den.\n/ Eva Ek", true },
	{ "Vi lagar den och/eller byter den.", false },
	{ "Vi lagar den.\n/ vi hörs", false },
	/* a footer under the signature, in a paragraph of its own */
	{ "Vi lagar lampan.\n\nMed vänliga hälsningar\n\nEva Ek\n"
	  "Handläggare\nGatukontoret, Exempels kommun\nTel: 0123-45 67 89\n"
	  "https://www.exempel.se\n\nExempels kommun behandlar "
	  "personuppgifter enligt dataskyddsförordningen, läs mer på "
	  "https://www.exempel.se/gdpr\n", true },
	{ "Vi lagar lampan.\n\nMvh Eva\n\nE-post till kommunen blir "
	  "allmän handling och kan lämnas ut enligt "
	  "offentlighetsprincipen.\nTänk på miljön innan du skriver ut.\n",
	  true },
	/* a long paragraph below a closing that is no footer: text */
	{ "Vi lagar lampan.\n\nMvh Eva\n\nVi har också sett över alla "
	  "lampor på Björkvägen och bytt de som var trasiga.\n", false },
	/* a footer alone is not a greeting */
	{ "Vi lagar lampan.\n\nVi behandlar dina personuppgifter enligt "
	  "dataskyddsförordningen, det gäller även detta mejl.\n", false },
	/* a footer with no blank line above it is not one */
	{ "Vi lagar lampan.\nMvh Eva\nVi behandlar dina personuppgifter "
	  "enligt dataskyddsförordningen, det gäller även detta mejl.\n",
	  false },
};

/* The name a case officer's sign-off names; NULL: none. */
static const struct {
	const char *signoff, *signer;
} signers[] = {
	{ "Med vänlig hälsning\nEva Ek\nHandläggare\n", "Eva Ek" },
	{ "Med vänliga hälsningar\n\nEva Ek\nHandläggare\n"
	  "Tel 0123-45 67 89", "Eva Ek" },
	{ "Mvh Eva", "Eva" },
	{ "Mvh, Eva", "Eva" },
	{ "Med vänlig hälsning, Eva Ek", "Eva Ek" },
	{ "Hälsningar – Per-Olof E. Berg\n", "Per-Olof E. Berg" },
	{ "مع تحياتي، أحمد علي", "أحمد علي" },
	{ "مع تحياتي،أحمد علي", "أحمد علي" },
	{ "/Eva", "Eva" },
	{ "/ Eva Ek", "Eva Ek" },
	{ "Vänligen\nEva Ek", "Eva Ek" },
	{ "Tack!\nEva", "Eva" },
	{ "Kind regards,\nJohn Smith\n+44 20 7946 0000", "John Smith" },
	/* a signature that begins with the name, with no closing */
	{ "Eva Ek\nHandläggare\n070-123 45 67", "Eva Ek" },
	/* no name */
	{ "Med vänlig hälsning\nGatukontoret, Exempels kommun", NULL },
	{ "Mvh\n070-123 45 67", NULL },
	{ "Med vänlig hälsning", NULL },
	{ "Mvh gatukontoret", NULL },
	/* a capital of any script with case; a small word is none */
	{ "Mvh Сергей", "Сергей" },
	{ "Mvh срочно", NULL },
	{ "", NULL },
};

START_TEST(test_signer)
{
	char *got = reply_signer(signers[_i].signoff);

	if (signers[_i].signer == NULL)
		ck_assert_msg(got == NULL, "%d: \"%s\"", _i, got);
	else
		ck_assert_msg(got != NULL &&
			      strcmp(got, signers[_i].signer) == 0,
			      "%d: \"%s\"", _i, got != NULL ? got : "(null)");
	free(got);
}
END_TEST

/* The telephone number an officer signed with, for an SMS that drops
   the signature. */
static const struct {
	const char *signoff, *phone;
} signer_phones[] = {
	{ "Med vänlig hälsning\nEva Ek\nHandläggare\nTel: 08-123 45 67\n"
	  "www.sundby.se", "08-123 45 67" },
	{ "Mvh\nEva Ek\nSundby kommun, Box 123, 123 45 Sundby\n"
	  "Växel 0771-00 00 00\nDirekt: +46 (0)8-123 45 67",
	  "+46 (0)8-123 45 67" },
	/* the switchboard when it is all there is */
	{ "Mvh\nEva Ek\nVxl: 0771-00 00 00", "0771-00 00 00" },
	{ "Mvh\nEva Ek\nVäxel 0771-00 00 00\n08-123 45 67",
	  "08-123 45 67" },
	/* a labelled line before a bare number above it */
	{ "Mvh\nEva Ek\n0771-00 00 00\nMobil: 070-123 45 67",
	  "070-123 45 67" },
	{ "Best regards,\nJohn Smith\n+44 20 7946 0000", "+44 20 7946 0000" },
	{ "Mvh Eva, 08-12 34 56", "08-12 34 56" },
	/* postal codes, dates, organisation numbers and ids are none */
	{ "Mvh\nEva Ek\nBox 123, 123 45 Sundby\n2026-12-07", NULL },
	{ "Mvh\nEva Ek\nOrg.nr 212000-1234\nDnr KS-2026-0042", NULL },
	{ "/Eva", NULL },
	/* too short, too long, glued to letters */
	{ "Mvh\nEva\nRum 0-12", NULL },
	{ "Mvh\nEva\n0123456789012345678", NULL },
	{ "Mvh\nEva\nID ab0771000000", NULL },
	/* the switchboard wherever the line says so, not a fax */
	{ "Mvh\nEva Ek\nTelefon växel 0771-123 456\nMobil 070-123 45 67",
	  "070-123 45 67" },
	{ "Mvh\nEva Ek\nVäxel 08-123 00 00\nFax 08-123 45 99",
	  "08-123 00 00" },
	/* hours, dates, case numbers, addresses, quotes: none */
	{ "Mvh\nEva Ek\nTelefontid mån-fre 09 00 - 12 00", NULL },
	{ "Mvh\nEva Ek\nÖppet 09 00 - 12 00", NULL },
	{ "Mvh\nEva Ek\n07 12 2026", NULL },
	{ "Mvh\nEva Ek\nDnr 0123-2026-000456", NULL },
	{ "Mvh\nEva Ek\nhttps://x.se/0123456789\nx@0123456.se", NULL },
	{ "Mvh\nEva\n> Tel 070-111 22 33", NULL },
	/* the footer's switchboard is the municipality's */
	{ "Mvh\nEva Ek\n\nVi behandlar dina personuppgifter enligt GDPR. "
	  "Frågor? Ring 0771-00 00 00.", NULL },
};

START_TEST(test_signer_phone)
{
	char *got = reply_signer_phone(signer_phones[_i].signoff);

	if (signer_phones[_i].phone == NULL)
		ck_assert_msg(got == NULL, "%d: \"%s\"", _i, got);
	else
		ck_assert_msg(got != NULL &&
			      strcmp(got, signer_phones[_i].phone) == 0,
			      "%d: \"%s\"", _i, got != NULL ? got : "(null)");
	free(got);
}
END_TEST

/* The signature a mail client puts under "-- ", which reply_strip cuts
   off: it still names who signs an SMS. NULL: none. */
static const struct {
	const char *text, *signature;
} delimited[] = {
	/* Thunderbird: the signature under the answer, the quote below */
	{ "Vi lagar lampan.\n\n-- \nEva Ek\nHandläggare\nTel. 08-123 45 67\n"
	  "\nDen 7 dec. 2026 skrev Kommunen <a@kommun.se>:\n> Hej\n",
	  "Eva Ek\nHandläggare\nTel. 08-123 45 67" },
	/* mutt: the signature at the very end, below the quote */
	{ "Vi lagar lampan.\n\n> Hej\n\n-- \nEva Ek\n", "Eva Ek" },
	{ "Vi lagar lampan.\n--\nEva Ek\n070-123 45 67", "Eva Ek\n070-123 45 67" },
	/* the signature reaches up to the quote's attribution */
	{ "Vi lagar lampan.\n-- \nEva Ek\nDen 7 dec. 2026 skrev Anna "
	  "<anna@example.se>:\n> Hej\n", "Eva Ek" },
	/* one in the quote, or an empty one, is none */
	{ "Vi lagar lampan.\n\n> Hej\n> -- \n> Anna\n", NULL },
	{ "Vi lagar lampan.\n-- \n\nText", NULL },
	/* no delimiter: reply_signer reads the closing in the text */
	{ "Vi lagar lampan.\n\nMvh Eva\n", NULL },
	/* the own text cut at the message replied to, not at "-- " */
	{ "Vi lagar lampan.\n-----Ursprungligt meddelande-----\n"
	  "Från: Anna\n\nHej\n-- \nAnna\n", NULL },
	{ "", NULL },
};

START_TEST(test_delimited_signature)
{
	char *got = reply_delimited_signature(delimited[_i].text), *also;

	if (delimited[_i].signature == NULL)
		ck_assert_msg(got == NULL, "%d: \"%s\"", _i, got);
	else
		ck_assert_msg(got != NULL &&
			      strcmp(got, delimited[_i].signature) == 0,
			      "%d: \"%s\"", _i, got != NULL ? got : "(null)");
	free(got);
	/* the same from reply_strip_full's reading */
	free(reply_strip_full(delimited[_i].text, NULL, &also));
	if (delimited[_i].signature == NULL)
		ck_assert_msg(also == NULL, "%d: \"%s\"", _i, also);
	else
		ck_assert_msg(also != NULL &&
			      strcmp(also, delimited[_i].signature) == 0,
			      "%d: \"%s\"", _i, also != NULL ? also : "(null)");
	free(also);
}
END_TEST

/* A thank-you and nothing more, or more than that. */
static const struct {
	const char *text;
	bool thanks;
} thanks[] = {
	{ "Tack!", true },
	{ "Ok, tack!", true },
	{ "TACK SÅ MYCKET!!!", true },
	{ "Tusen tack för hjälpen! /Anna", true },
	{ "Hej! Stort tack för snabbt svar 🙂", true },
	{ "Tack för ert svar.\n\nMed vänlig hälsning\nAnna Andersson\n"
	  "Storgatan 14\n070-123 45 67\n", true },
	{ "Tack för att ni fixade det! Ha en trevlig helg", true },
	{ "Tack, mvh Åsa Ek", true },
	{ "Great, thanks a lot! /John", true },
	{ "Thank you very much for your help.", true },
	{ "Hi, thank you so much for the quick reply! Best, John", true },
	{ "Thanks again. Best regards, John Smith", true },
	{ "Thanks again, that was very helpful!\n\nJohn", true },
	{ "Thanks, I really appreciate it. /John", true },
	{ "Tack igen, det var till stor hjälp!\n\nAnna", true },
	{ "Tack, jag uppskattar det verkligen!", true },
	{ "Tack! Med vänliga hälsningar, Anna", true },
	{ "Tack!\nmvh Åsa", true },
	{ "Tack!\nmvh Örjan", true },
	/* a name's capital in Cyrillic and Greek */
	{ "Tack!\nmvh Сергей", true },
	{ "Tack!\n\nСергей Иванов", true },
	{ "Tack!\nmvh Γιάννης", true },
	/* one who writes all in capitals signs so too */
	{ "TACK! MVH ANNA", true },
	{ "TACK MVH ANNA SVENSSON", true },
	/* more than thanks */
	{ "Tack, men lampan lyser fortfarande inte.", false },
	{ "Tack! Kan ni titta på lampan vid skolan också?", false },
	{ "Tack för svaret?", false },
	{ "Nej tack", false },
	{ "Tack på förhand!", false },
	{ "Tack / lampan trasig", false },
	{ "Tack mvh Anna Maria Eva Ek", false },
	{ "Hej!", false },
	{ "Ok", false },
	{ "", false },
	{ "Thanks, but it is still broken.", false },
	{ "Thanks, that was not helpful.", false },
	{ "Tack, det var inte till någon hjälp.", false },
	{ "Thanks, I was hoping for another answer.", false },
	{ "Tack, jag väntar fortfarande.", false },
	{ "Tack, лампа", false },
	{ "Tack! Best regards broken lamp", false },
	/* small words after a closing: a request as often as a name */
	{ "tack mvh lampan trasig", false },
	{ "tack mvh inte löst", false },
	{ "ok tack mvh ring mig", false },
	{ "thanks, best, still broken", false },
	{ "tack /nej", false },
	{ "tack mvh 😀 trasig lampa", false },
	/* a shouted word after a closing, in a text that is not all
	   capitals: "dangerous for children" */
	{ "Tack! Mvh FARLIGT", false },
	{ "Tack!\nmvh FARLIGT FÖR BARN", false },
	{ "Tack, mvh Anna BRÅDSKANDE", false },
	/* small letters of other scripts with case: "urgent", "quickly" */
	{ "Tack!\nmvh срочно", false },
	{ "Tack!\n\nсрочно", false },
	{ "Tack!\n/срочно", false },
	{ "Tack!\nmvh γρήγορα", false },
	/* a script without case: a word there may be a request as well as
	   a name ("عاجل" is "urgent"), so it signs only as the sender's */
	{ "Tack!\nmvh أحمد", false },
	{ "Tack!\nmvh عاجل", false },
	{ "Thank you!\n\nأحمد", false },
	{ "Tack!\nmvh 田中", false },
	/* a long text is a letter, whatever its words */
	{ "Tack tack tack tack tack tack tack tack tack tack tack tack tack "
	  "tack tack tack tack tack tack tack tack tack tack tack tack tack "
	  "tack tack tack tack tack tack tack tack tack tack tack tack tack "
	  "tack tack tack tack tack", false },
};

START_TEST(test_thanks_only)
{
	ck_assert_msg(reply_thanks_only(thanks[_i].text) == thanks[_i].thanks,
		      "%d: \"%s\"", _i, thanks[_i].text);
	/* a known name changes none of them */
	ck_assert_msg(reply_thanks_only_by(thanks[_i].text, "Anna Svensson") ==
		      thanks[_i].thanks, "%d: \"%s\" by Anna Svensson", _i,
		      thanks[_i].text);
}
END_TEST

/* In small letters after a closing, the sender's own name signs a
   thank-you; no other word does. */
static const struct {
	const char *text, *name;
	bool thanks;
} thanks_by[] = {
	{ "tack mvh anna", "Anna Svensson", true },
	{ "tack så mycket mvh anna svensson", "Anna Svensson", true },
	{ "tack /anna s", "Anna Svensson", true },
	{ "tack /anna", "anna svensson", true },
	{ "ok tack! mvh åsa", "Åsa Ek", true },
	{ "thanks, regards john", "John Smith", true },
	/* the contact's and the From name, one after the other */
	{ "tack mvh anna", "Eva Ek Anna Svensson", true },
	{ "Tack mvh Anna", "Eva Ek", true },
	{ "tack mvh anna", "Eva Ek", false },
	{ "tack mvh anna", NULL, false },
	{ "tack mvh anna", "", false },
	{ "tack mvh anna trasig", "Anna Svensson", false },
	{ "tack mvh anna e", "Anna Svensson", false },
	{ "tack mvh ann", "Anna Svensson", false },
	{ "tack mvh anna svensson anna s", "Anna Svensson", false },
	{ "tack anna", "Anna Svensson", false },
	{ "tack mvh inte löst", "Anna Svensson", false },
	/* the sender's own name, shouted */
	{ "Tack! Mvh ANNA", "Anna Svensson", true },
	{ "Tack! Mvh FARLIGT", "Anna Svensson", false },
	/* names with marks of more than one byte between their words */
	{ "tack mvh lisa", "Anna-Lisa Ek", true },
	{ "tack mvh lisa", "Anna\u2013Lisa Ek", true },
	{ "tack mvh sean o\u2019brien", "Sean O\u2019Brien", true },
	/* small letters of Cyrillic and Greek names */
	{ "tack mvh сергей", "Сергей Иванов", true },
	{ "tack mvh сергей и", "Сергей Иванов", true },
	{ "tack mvh сергей", "Eva Ek", false },
	{ "Tack!\nmvh срочно", "Сергей Иванов", false },
	{ "tack mvh γιάννης", "Γιάννης Παπαδόπουλος", true },
	/* in a script without case the sender's own name signs it */
	{ "Tack!\nmvh أحمد", "أحمد علي", true },
	{ "Tack!\nmvh أحمد", "Eva Ek", false },
	{ "Tack!\nmvh أحمد", NULL, false },
	{ "Thank you!\n\nأحمد", "أحمد علي", true },
	{ "Tack!\nmvh عاجل", "أحمد علي", false },
	/* a Greek name shouted is the sender's, its last sigma too */
	{ "Tack!\nmvh ΝΙΚΟΣ", "Νίκος Παππάς", true },
	{ "Tack!\nmvh ΝΙΚΟΣ", "Νικος Παππας", true },
	{ "Tack!\nmvh ΝΊΚΟΣ", "Νίκος Παππάς", true },
	{ "Tack!\nmvh ΝΙΚΟΣ", "Νίκη Παππά", false },
	/* Vietnamese capitals: a name, not an unknown word */
	{ "Tack!\nmvh Ưng Văn Ơn", "Eva Ek", true },
	{ "Tack!\nmvh ưng", "Eva Ek", false },
	/* an Arabic closing is no name, nor more than thanks */
	{ "Thanks!\n\nمع السلامة\nأحمد", "أحمد علي", true },
	{ "Tack!\nمع تحياتي، أحمد", "أحمد علي", true },
	{ "Thanks!\n\nمع السلامة\nعاجل", "أحمد علي", false },
	{ "Tack!\nمع تحياتي،عاجل", "أحمد علي", false },
	{ "Tack!\nمع تحياتي،أحمد", "أحمد علي", true },
	/* an Arabic question mark asks */
	{ "Tack! متى؟\nمع تحياتي، أحمد", "أحمد علي", false },
	{ "Tack؟\nmvh Anna", "Anna Svensson", false },
	{ "Tack!\nmvh Anna", "Anna Svensson", true },
	{ "Thanks!\n\nمع السلامة\nأحمد", "Eva Ek", false },
};

/* Whether a name could make it a thank-you: bounds each case above, so
   that no name is looked up for a text none makes one. */
START_TEST(test_thanks_maybe)
{
	if (thanks_by[_i].thanks)
		ck_assert_msg(reply_thanks_maybe(thanks_by[_i].text), "%d", _i);
	ck_assert(reply_thanks_maybe("tack mvh lampan trasig"));
	ck_assert(reply_thanks_maybe("Tack!"));
	ck_assert(!reply_thanks_maybe("Lampan är trasig, mvh anna"));
	ck_assert(!reply_thanks_maybe("tack, men lampan lyser inte mvh anna"));
	ck_assert(!reply_thanks_maybe("tack mvh anna, ring mig?"));
	ck_assert(!reply_thanks_maybe("tack mvh anna svensson ek berg"));
}
END_TEST

START_TEST(test_thanks_only_by)
{
	ck_assert_msg(reply_thanks_only_by(thanks_by[_i].text,
					   thanks_by[_i].name) ==
		      thanks_by[_i].thanks, "%d: \"%s\" by %s", _i,
		      thanks_by[_i].text,
		      thanks_by[_i].name != NULL ? thanks_by[_i].name :
		      "(null)");
}
END_TEST

/* A footer's question asks the citizen nothing; a PS's does. */
START_TEST(test_signoff_plain_footer)
{
	ck_assert(reply_signoff_plain("Mvh Eva\n\nVill du veta hur vi "
				      "behandlar dina personuppgifter? Läs "
				      "mer på www.exempel.se/gdpr\n"));
	ck_assert(!reply_signoff_plain("Mvh Eva\nPS. Vilken tid var det?"));
	ck_assert(!reply_signoff_plain("Mvh Eva\n\nVilken tid var det?"));
}
END_TEST

START_TEST(test_signed_off)
{
	ck_assert_msg(reply_signed_off(sign_offs[_i].text) ==
		      sign_offs[_i].signed_off, "%d: \"%s\"", _i,
		      sign_offs[_i].text);
}
END_TEST

/* Where a citizen's sign-off begins, for the workflow's conditions: the
   text before it is KEPT. */
static const struct {
	const char *text, *kept;
} signoffs[] = {
	{ "Tusen tack för hjälpen!\n\nMed vänlig hälsning\nAnna Andersson\n"
	  "Storgatan 14\n123 45 Exempelstad\n070-123 45 67\n"
	  "anna.andersson@example.se\n", "Tusen tack för hjälpen!\n\n" },
	{ "Tack!\nMvh Anna", "Tack!\n" },
	{ "Thanks a lot!\n\nKind regards,\nJohn Smith\n+44 20 7946 0000",
	  "Thanks a lot!\n\n" },
	/* more text below the closing is no signature: nothing is cut */
	{ "Tack!\nMvh Anna\nPS det bullrar igen i natt", NULL },
	{ "Tack!\nMvh Anna\nPS. Lampan är trasig igen.", NULL },
	{ "Tack!\nMvh Anna\n\nOch tack till Olle, han var snäll.", NULL },
	/* more text on the closing's line, or below it in other guises */
	{ "Tack!\nHälsningar Anna – lampan lyser fortfarande inte", NULL },
	{ "Tack för svaret.\nMvh Anna\nInte lagat.", NULL },
	{ "Thanks.\nRegards, John\nStill broken.", NULL },
	{ "Gatlampan vid skolan är trasig.\nMvh Anna\nFARLIGT FÖR BARN!",
	  NULL },
	/* never the whole text */
	{ "Hälsningar från Storgatan 5: gatlampan är trasig", NULL },
	{ "Mvh Anna\nStorgatan 5", NULL },
	/* what a sign-off may hold */
	{ "Tack!\nMvh   \nAnna Ek AB\nwww.ek.se\n", "Tack!\n" },
	{ "Tack!\nMed vänlig hälsning, Anna Åberg – Storgatan 5",
	  "Tack!\n" },
	{ "Lampan lyser inte.", NULL },
	{ "", NULL },
	/* a street in lower case beside its number */
	{ "Kan ni titta?\n\nMvh\nKarin Berg\nSödra vägen 5\n070-123 45 67\n",
	  "Kan ni titta?\n\n" },
	{ "Tack!\nMvh Anna\nStora torget 3 lgh 1102\n123 45 Exempelstad",
	  "Tack!\n" },
	{ "Tack!\nMvh Anna\nPS vägen är hal", NULL },
	/* no closing: a last paragraph that is a name, and its address */
	{ "Får de arbeta så sent?\n\nAnna Andersson\n",
	  "Får de arbeta så sent?\n\n" },
	{ "Lampan är trasig.\n\nKarin Berg\nVästra vägen 5\n070-123 45 67",
	  "Lampan är trasig.\n\n" },
	{ "Lampan är trasig.\n\nTack!", NULL },
	{ "Lampan är trasig.\n\nStorgatan 5", NULL },
	{ "Lampan är trasig.\nAnna Andersson", NULL },
	{ "Anna Andersson\n", NULL },
	{ "Lampan är trasig.\n\nNu Måste Ni Göra Något Åt Det", NULL },
	/* a small word in Cyrillic is text ("urgent") */
	{ "Kan ni titta?\nmvh срочно", NULL },
	{ "Kan ni titta?\n\nсрочно", NULL },
	{ "Kan ni titta?\nmvh Сергей", "Kan ni titta?\n" },
	/* a script without case: its signature is still cut */
	{ "Thanks!\n\nمع السلامة\nأحمد", "Thanks!\n\n" },
	{ "Tack!\nmvh أحمد", "Tack!\n" },
	{ "Tack!\n\nمع تحياتي\nأحمد علي\n070-123 45 67", "Tack!\n\n" },
	/* ... but a last paragraph of it with no closing and no number
	   may be text: "urgent / the street light is broken" */
	{ "Hej,\nse nedan.\n\n紧急\n路灯坏了", NULL },
	{ "Hej\n\nשלום\nהנורה שבורה דחוף", NULL },
	{ "Lampan är trasig.\n\nأحمد علي\n070-123 45 67",
	  "Lampan är trasig.\n\n" },
	{ "Thank you!\n\nأحمد", "Thank you!\n\n" },
};

START_TEST(test_signoff)
{
	const char *t = signoffs[_i].text, *cut = reply_signoff(t);

	if (signoffs[_i].kept == NULL) {
		ck_assert_msg(cut == NULL, "%d: cut at \"%s\"", _i,
			      cut != NULL ? cut : "");
	} else {
		ck_assert_msg(cut != NULL, "%d: not cut", _i);
		ck_assert_int_eq((int)(cut - t),
				 (int)strlen(signoffs[_i].kept));
		ck_assert(strncmp(t, signoffs[_i].kept, (size_t)(cut - t)) ==
			  0);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("reply");
	TCase *tc = tcase_create("cases");
	TCase *golden = tcase_create("golden");
	TCase *limits = tcase_create("limits");

	tcase_add_loop_test(tc, test_case, 0, (int)N_ELEMENTS(cases));
	tcase_add_loop_test(tc, test_signer, 0, (int)N_ELEMENTS(signers));
	tcase_add_test(tc, test_signoff_plain_footer);
	tcase_add_loop_test(tc, test_delimited_signature, 0,
			    (int)N_ELEMENTS(delimited));
	tcase_add_loop_test(tc, test_signer_phone, 0,
			    (int)N_ELEMENTS(signer_phones));
	tcase_add_loop_test(tc, test_thanks_only, 0,
			    (int)N_ELEMENTS(thanks));
	tcase_add_loop_test(tc, test_thanks_only_by, 0,
			    (int)N_ELEMENTS(thanks_by));
	tcase_add_loop_test(tc, test_thanks_maybe, 0,
			    (int)N_ELEMENTS(thanks_by));
	tcase_add_loop_test(tc, test_interleaved, 0,
			    (int)N_ELEMENTS(interleaved_cases));
	tcase_add_loop_test(tc, test_answer, 0, (int)N_ELEMENTS(answer_cases));
	tcase_add_loop_test(tc, test_app_signature, 0,
			    (int)N_ELEMENTS(app_signatures));
	tcase_add_loop_test(tc, test_signed_off, 0,
			    (int)N_ELEMENTS(sign_offs));
	tcase_add_loop_test(tc, test_signoff, 0, (int)N_ELEMENTS(signoffs));
	suite_add_tcase(s, tc);
	tcase_add_test(golden, test_talon);
	tcase_add_test(golden, test_swedish);
	suite_add_tcase(s, golden);
	tcase_set_timeout(limits, 120);
	tcase_add_test(limits, test_big_inputs);
	tcase_add_test(limits, test_random);
	suite_add_tcase(s, limits);
	return tu_run(s);
}
