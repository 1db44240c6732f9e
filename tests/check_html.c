/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "html.h"
#include "reply.h"
#include "testutil.h"
#include "util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name, *html, *want;
} cases[] = {
	{ "paragraphs",
	  "<p>Hej kommunen,</p><p>Gatlampan \xc3\xa4r trasig.</p>",
	  "Hej kommunen,\n\nGatlampan \xc3\xa4r trasig." },
	{ "br",
	  "Rad ett<br>Rad tv\xc3\xa5<br><br>Rad fyra<br>",
	  "Rad ett\nRad tv\xc3\xa5\n\nRad fyra" },
	{ "outlook writes lines as paragraphs without margins",
	  "<div class=WordSection1><p class=MsoNormal>#ta<o:p></o:p></p>"
	  "<p class=MsoNormal>Hej Anna!<o:p></o:p></p>"
	  "<p class=MsoNormal>Vi tittar p\xc3\xa5 det.<o:p></o:p></p>"
	  "<p class=MsoNormal><o:p>&nbsp;</o:p></p>"
	  "<p class=MsoNormal>Med v\xc3\xa4nlig h\xc3\xa4lsning<o:p></o:p></p>"
	  "<p class=MsoNormal><span>Eva Ek<o:p></o:p></span></p></div>",
	  "#ta\nHej Anna!\nVi tittar p\xc3\xa5 det.\n\nMed v\xc3\xa4nlig "
	  "h\xc3\xa4lsning\nEva Ek" },
	{ "a block of a no-break space alone is a blank line",
	  /* Outlook on the web, Apple Mail: <div>&nbsp;</div> */
	  "<div>Hej Anna!</div><div>Vi tittar p\xc3\xa5 det.</div>"
	  "<div>&nbsp;</div><div>Med v\xc3\xa4nlig h\xc3\xa4lsning</div>"
	  "<div><span>&nbsp;</span></div><div>Eva Ek</div>",
	  "Hej Anna!\nVi tittar p\xc3\xa5 det.\n\nMed v\xc3\xa4nlig "
	  "h\xc3\xa4lsning\n\nEva Ek" },
	{ "no-break spaces beside text are spaces",
	  "<div>&nbsp;Hej&nbsp;d\xc3\xa4r&nbsp;</div><div>du</div>",
	  "Hej d\xc3\xa4r\ndu" },
	{ "br runs give one blank line",
	  "a<br><br><br><br>b", "a\n\nb" },
	{ "white space collapses",
	  "  <div>  Hej\n\t  d\xc3\xa4r  </div>\n<div>du <b>och</b>\r\n  <i>jag</i></div>",
	  "Hej d\xc3\xa4r\ndu och jag" },
	{ "blocks start lines",
	  "<h1>Rubrik</h1>Text<hr>Mer<section>Sektion</section>"
	  "<address>Storgatan 1</address>",
	  "Rubrik\nText\nMer\nSektion\nStorgatan 1" },
	{ "list",
	  "<p>Fel:</p><ul><li>Stolpe 14</li><li>Stolpe <b>15</b></li></ul>"
	  "<p>Tack</p>",
	  "Fel:\n\n- Stolpe 14\n- Stolpe 15\n\nTack" },
	{ "nested list",
	  "<ul><li>A<ul><li>B</li></ul></li><li>C</li><li></li></ul>D",
	  "- A\n  - B\n- C\nD" },
	{ "link",
	  "<p>Se <a href=\"https://karta.example/12\">kartan</a>.</p>",
	  "Se kartan <https://karta.example/12>." },
	{ "link showing its url",
	  "<a href=\"https://kommun.example/\">https://kommun.example</a> och "
	  "<a href=\"http://www.kommun.example\">www.kommun.example</a>",
	  "https://kommun.example och www.kommun.example" },
	{ "mailto of the same text",
	  "<a href=\"mailto:anna@example.se\">anna@example.se</a>",
	  "anna@example.se" },
	{ "mailto with other text",
	  "<a href=\"mailto:anna@example.se\">Anna</a>",
	  "Anna <mailto:anna@example.se>" },
	{ "links without text or target",
	  "<a href=\"https://track.example/x\"><img src=\"x.png\"></a>Hej "
	  "<a href=\"#top\">upp</a> <a href=\"javascript:void(0)\">klick</a>",
	  "Hej upp klick" },
	{ "entities",
	  "<p>Tr&auml;d &amp; buskar &lt;3 &#8364;5&nbsp;kr &eacute;&quot;</p>",
	  "Tr\xc3\xa4" "d & buskar <3 \xe2\x82\xac" "5 kr \xc3\xa9\"" },
	{ "script, style and head dropped",
	  "<html><head><title>Titel</title><style>p{color:red}</style></head>"
	  "<body><script>alert(1)</script><p>Hej</p><noscript>x</noscript>"
	  "<template>t</template><style>.a{}</style></body></html>",
	  "Hej" },
	{ "pre keeps white space",
	  "<pre>  a  b\n   c\n</pre><p>x   y</p>",
	  "  a  b\n   c\n\nx y" },
	{ "table cells",
	  "<table><tr><td>Namn</td><td>Anna</td></tr>"
	  "<tr><th>Tel</th><td>070</td></tr></table>",
	  "Namn Anna\nTel 070" },
	{ "blockquote",
	  "<p>Svar</p><blockquote>a<br><br>b</blockquote>Slut",
	  "Svar\n\n> a\n>\n> b\nSlut" },
	{ "nested blockquote",
	  "<p>Svar</p><blockquote><p>F\xc3\xb6rsta</p><blockquote><p>Andra</p>"
	  "</blockquote></blockquote><p>Slut</p>",
	  "Svar\n\n> F\xc3\xb6rsta\n>\n> > Andra\n\nSlut" },
	{ "gmail quote",
	  "<div dir=\"ltr\">L\xc3\xa5ter bra!</div><br><div class=\"gmail_quote\">"
	  "<div dir=\"ltr\" class=\"gmail_attr\">Den m\xc3\xa5n 23 nov. 2026 kl 10:12 "
	  "skrev Anna Andersson &lt;<a href=\"mailto:anna@example.se\">"
	  "anna@example.se</a>&gt;:<br></div><blockquote class=\"gmail_quote\" "
	  "style=\"margin:0px 0px 0px 0.8ex\"><div dir=\"ltr\">Passar tisdag?"
	  "</div></blockquote></div>",
	  "L\xc3\xa5ter bra!\n\n> Den m\xc3\xa5n 23 nov. 2026 kl 10:12 skrev Anna "
	  "Andersson <anna@example.se>:\n> Passar tisdag?" },
	{ "gmail quote inside gmail quote",
	  "Ja<div class=\"gmail_quote\">A skrev:<blockquote class=\"gmail_quote\">"
	  "Nej<div class=\"gmail_quote\">B skrev:<blockquote class=\"gmail_quote\">"
	  "Kanske</blockquote></div></blockquote></div>",
	  "Ja\n> A skrev:\n> Nej\n> > B skrev:\n> > Kanske" },
	{ "yahoo quote",
	  "<div>Ok</div><div class=\"yahoo_quoted\"><div>Den m\xc3\xa5ndag 23 "
	  "november 2026 10:12:00 CET skrev Anna:</div><div>Hej</div></div>",
	  "Ok\n> Den m\xc3\xa5ndag 23 november 2026 10:12:00 CET skrev Anna:\n> Hej" },
	{ "thunderbird attribution stays text",
	  "Tack<br><div class=\"moz-cite-prefix\">Den 2026-11-23 kl. 10:12, Anna "
	  "Andersson skrev:<br></div><blockquote type=\"cite\">Hej</blockquote>",
	  "Tack\nDen 2026-11-23 kl. 10:12, Anna Andersson skrev:\n> Hej" },
	{ "outlook divRplyFwdMsg and all after it",
	  "<div>Tack!</div><hr style=\"display:inline-block;width:98%\">"
	  "<div id=\"divRplyFwdMsg\" dir=\"ltr\"><font face=\"Calibri\"><b>Fr\xc3\xa5n:"
	  "</b> Anna Andersson &lt;anna@example.se&gt;<br><b>Skickat:</b> den 23 "
	  "november 2026 10:12<br><b>Till:</b> Per<br><b>\xc3\x84mne:</b> Gatlampa"
	  "</font><div>&nbsp;</div></div><div><p>Hej Per!</p></div>",
	  "Tack!\n> Fr\xc3\xa5n: Anna Andersson <anna@example.se>\n> Skickat: den 23 "
	  "november 2026 10:12\n> Till: Per\n> \xc3\x84mne: Gatlampa\n>\n> Hej Per!" },
	{ "outlook on the web, prefixed ids",
	  "<div>Ja.</div><div id=\"x_appendonsend\"></div><div>Gammalt</div>",
	  "Ja.\n> Gammalt" },
	{ "outlook bordered header div",
	  "<p>Tack</p><div style=\"border:none;border-top:solid #E1E1E1 1.0pt;"
	  "padding:3.0pt 0cm 0cm 0cm\"><p><b>Fr\xc3\xa5n:</b> Anna<br>"
	  "<b>Skickat:</b> den 23 november 2026 10:12</p></div><p>Hej!</p>",
	  "Tack\n\n> Fr\xc3\xa5n: Anna\n> Skickat: den 23 november 2026 10:12\n>\n"
	  "> Hej!" },
	{ "bordered div without a header is text",
	  "<div style=\"border-top:solid 1px\">Obs</div><div>Mer</div>",
	  "Obs\nMer" },
	{ "hotmail stopSpelling",
	  "<div>Ja<hr id=\"stopSpelling\">Date: idag<br>From: a@example.se</div>"
	  "<div>Gammalt</div>",
	  "Ja\n> Date: idag\n> From: a@example.se\n> Gammalt" },
	{ "broken and unclosed html",
	  "<p>Hej <b>fet <i>kursiv</p><div>Ny rad<p>Oavslutad <a href=x>l\xc3\xa4nk",
	  "Hej fet kursiv\n\nNy rad\n\nOavslutad l\xc3\xa4nk <x>" },
	{ "stray closing tags and a bad comment",
	  "</div></p>Text<!-- ej st\xc3\xa4ngd</b>",
	  "Text" },
	/* A browser shows what follows these empty comments. */
	{ "abruptly closed empty comments",
	  "<p>F\xc3\xb6re<!--></p><p>Lampan \xc3\xa4r trasig<!---></p>"
	  "<p>Efter<!----></p>",
	  "F\xc3\xb6re\n\nLampan \xc3\xa4r trasig\n\nEfter" },
	{ "plain text",
	  "Bara text &amp; mer\n", "Bara text & mer" },
	{ "white space only", " \n\t ", "" },
	{ "invalid utf-8 becomes U+FFFD",
	  "<p>a\xff" "b \xc3</p><p>\xc3\xa5\xc3\xa4\xc3\xb6 \xed\xa0\x80 \xc0\xaf</p>",
	  "a\xef\xbf\xbd" "b \xef\xbf\xbd\n\n\xc3\xa5\xc3\xa4\xc3\xb6 "
	  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd" },
	{ "a charset in the document is ignored",
	  "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; "
	  "charset=iso-8859-1\"><meta charset=\"iso-2022-jp\"></head>"
	  "<body>Gr\xc3\xb6n</body></html>",
	  "Gr\xc3\xb6n" },
	{ "xml declaration",
	  "<?xml version=\"1.0\" encoding=\"UTF-8\"?><html><body>Hej</body></html>",
	  "Hej" },
	/* The HTML parser knows no internal subset: like a browser it ends
	   the DOCTYPE at the first '>', and never reads the file. */
	{ "no external entities",
	  "<!DOCTYPE html [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><p>a&x;b</p>",
	  "]>\n\na&x;b" },
};

/* Whether S is well-formed UTF-8 (shortest forms, no surrogates). */
static int
valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		int n = *p < 0x80 ? 0 : *p < 0xc2 ? -1 : *p < 0xe0 ? 1 :
			*p < 0xf0 ? 2 : *p < 0xf5 ? 3 : -1;

		if (n < 0)
			return 0;
		if ((*p == 0xe0 && p[1] < 0xa0) || (*p == 0xed && p[1] > 0x9f) ||
		    (*p == 0xf0 && p[1] < 0x90) || (*p == 0xf4 && p[1] > 0x8f))
			return 0;
		for (p++; n > 0; n--, p++)
			if ((*p & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

START_TEST(test_case)
{
	char *got = html_to_text(cases[_i].html, strlen(cases[_i].html));

	ck_assert_msg(strcmp(got, cases[_i].want) == 0,
		      "%s: got\n[%s]\nwant\n[%s]", cases[_i].name, got,
		      cases[_i].want);
	ck_assert_msg(valid_utf8(got), "%s: output is not UTF-8", cases[_i].name);
	free(got);
}
END_TEST

START_TEST(test_empty_and_nul)
{
	char *got = html_to_text("", 0);

	ck_assert_str_eq(got, "");
	free(got);
	got = html_to_text(NULL, 0);
	ck_assert_str_eq(got, "");
	free(got);
	/* The length counts, not a NUL: a NUL byte is not text. */
	got = html_to_text("<p>a\0b</p>tail", 10);
	ck_assert_str_eq(got, "a\xef\xbf\xbd" "b");
	free(got);
}
END_TEST

/* Fills LEN bytes of BUF with copies of UNIT (a whole number of them). */
static size_t
fill(char *buf, size_t len, const char *unit)
{
	size_t ul = strlen(unit), n = len / ul * ul, done = ul;

	memcpy(buf, unit, ul);
	while (done < n) {
		size_t k = done < n - done ? done : n - done;

		memcpy(buf + done, buf, k);
		done += k;
	}
	return n;
}

/* A body 1 MiB over HTML_MAX_INPUT is cut at it, at a character boundary. */
START_TEST(test_size_cap)
{
	size_t len = HTML_MAX_INPUT + (1u << 20);
	size_t chars = (HTML_MAX_INPUT - 3) / 2;
	char *html = xmalloc(len + 1), *want = xmalloc(2 * chars + 1), *got;

	memcpy(html, "<p>", 3);
	fill(html + 3, len - 3, "\xc3\xa4");
	memcpy(html + len - 11, "<p>END</p>", 11);
	want[fill(want, 2 * chars, "\xc3\xa4")] = '\0';
	got = html_to_text(html, len);
	/* every whole "ä" before the cut, no U+FFFD for the split one */
	ck_assert_uint_eq(strlen(got), strlen(want));
	ck_assert(strcmp(got, want) == 0);
	free(got);
	free(want);
	free(html);
}
END_TEST

/* Hostile shapes of a body: deep nesting and a million small elements
   finish with bounded output. */
START_TEST(test_big_bodies)
{
	static const char *const units[] = {
		"<blockquote>x", "<div>", "<li>x", "<a href=\"http://x\">y",
		"<div style=\"border-top:solid 1px\">From:", "<br>", "<p>ab</p>",
		"\xff",
	};
	size_t len = (size_t)3 << 20;
	char *html = xmalloc(len + 1);

	for (size_t u = 0; u < N_ELEMENTS(units); u++) {
		size_t n = fill(html, len, units[u]);
		char *got = html_to_text(html, n);

		ck_assert_msg(strlen(got) <= 3 * len, "%s", units[u]);
		ck_assert_msg(valid_utf8(got), "%s", units[u]);
		free(got);
	}
	free(html);
}
END_TEST

/* Random soup of tags, quotes and bytes: the text is always UTF-8 and
   reply stripping takes it. */
START_TEST(test_random)
{
	static const char *const bits[] = {
		"<p>", "</p>", "<br>", "<div>", "</div>", "<blockquote>",
		"</blockquote>", "<div class=\"gmail_quote\">",
		"<blockquote class=\"gmail_quote\">", "<div id=\"divRplyFwdMsg\">",
		"<div style=\"border-top:solid\">", "From: ", "<pre>", "</pre>",
		"<ul>", "<li>", "<a href=\"http://x\">", "</a>", "<script>", "<!--",
		"-->", "&amp;", "&nbsp;", "&#0;", "&#xD800;", "\xc3", "\xa4", "\xff",
		"\n", " ", "x", "\xc3\xa5", "wrote:", "> ", "<", ">", "\"", "=",
	};
	char html[2048];
	unsigned int seed = 7;

	for (int round = 0; round < 3000; round++) {
		size_t len = 0, want = (size_t)rand_r(&seed) % 1500;
		char *text, *stripped;

		while (len < want) {
			const char *b = bits[(size_t)rand_r(&seed) % N_ELEMENTS(bits)];

			memcpy(html + len, b, strlen(b));
			len += strlen(b);
		}
		text = html_to_text(html, len);
		ck_assert_msg(valid_utf8(text), "round %d", round);
		stripped = reply_strip(text);
		free(stripped);
		free(text);
	}
}
END_TEST

/* Removes all white space from S, in place. */
static void
squeeze(char *s)
{
	char *o = s;

	for (; *s != '\0'; s++)
		if (strchr(" \t\r\n\f\v", *s) == NULL)
			*o++ = *s;
	*o = '\0';
}

/* html_replies__*.html: after reply stripping, the new text is "Hi. I am
   fine.\n\nThanks,\nAlex", compared without white space. */
START_TEST(test_talon_html)
{
	char *dir = xasprintf("%s/tests/data/replies/talon", tu_srcdir());
	char want[] = "Hi. I am fine.\n\nThanks,\nAlex";
	DIR *d = opendir(dir);
	struct dirent *e;
	int seen = 0;

	ck_assert_msg(d != NULL, "no %s", dir);
	squeeze(want);
	while ((e = readdir(d)) != NULL) {
		size_t len, nlen = strlen(e->d_name);
		char *path, *html, *text, *got;

		if (strncmp(e->d_name, "html_replies__", 14) != 0 || nlen < 5 ||
		    strcmp(e->d_name + nlen - 5, ".html") != 0)
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		html = tu_slurp(path, &len);
		text = html_to_text(html, len);
		got = reply_strip(text);
		squeeze(got);
		ck_assert_msg(strcmp(got, want) == 0, "%s: got '%s' from\n%s",
			      e->d_name, got, text);
		seen++;
		free(got);
		free(text);
		free(html);
		free(path);
	}
	closedir(d);
	ck_assert_int_ge(seen, 9);
	free(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("html");
	TCase *tc = tcase_create("cases");
	TCase *limits = tcase_create("limits");
	TCase *talon = tcase_create("talon");

	tcase_add_loop_test(tc, test_case, 0, (int)N_ELEMENTS(cases));
	tcase_add_test(tc, test_empty_and_nul);
	suite_add_tcase(s, tc);
	tcase_set_timeout(limits, 120);
	tcase_add_test(limits, test_size_cap);
	tcase_add_test(limits, test_big_bodies);
	tcase_add_test(limits, test_random);
	suite_add_tcase(s, limits);
	tcase_add_test(talon, test_talon_html);
	suite_add_tcase(s, talon);
	return tu_run(s);
}
