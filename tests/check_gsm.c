/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "gsm.h"
#include "testutil.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* TEXT encoded as WANT, failing the test on error. */
static void
encode(const char *text, enum gsm_encoding want, struct gsm_msg *msg)
{
	char *error = NULL;

	ck_assert_msg(gsm_encode(text, strlen(text), want, msg, &error) == 0,
		      "'%s': %s", text, error);
}

/* N copies of the UTF-8 character C. */
static char *
repeat(const char *c, size_t n)
{
	size_t len = strlen(c);
	char *s = xmalloc(n * len + 1);

	for (size_t i = 0; i < n; i++)
		memcpy(s + i * len, c, len);
	s[n * len] = '\0';
	return s;
}

static char *
hex(const uint8_t *p, size_t n)
{
	char *s = xmalloc(2 * n + 1);

	for (size_t i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02X", p[i]);
	s[2 * n] = '\0';
	return s;
}

/* --- the alphabet --- */

/* The default alphabet by septet, as UTF-8 (3GPP TS 23.038 6.2.1);
   0x1b is the escape. */
static const char *const basic[128] = {
	"@", "£", "$", "¥", "è", "é", "ù", "ì", "ò", "Ç", "\n", "Ø", "ø",
	"\r", "Å", "å", "Δ", "_", "Φ", "Γ", "Λ", "Ω", "Π", "Ψ", "Σ", "Θ",
	"Ξ", NULL, "Æ", "æ", "ß", "É", " ", "!", "\"", "#", "¤", "%", "&",
	"'", "(", ")", "*", "+", ",", "-", ".", "/", "0", "1", "2", "3",
	"4", "5", "6", "7", "8", "9", ":", ";", "<", "=", ">", "?", "¡",
	"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M",
	"N", "O", "P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z",
	"Ä", "Ö", "Ñ", "Ü", "§", "¿", "a", "b", "c", "d", "e", "f", "g",
	"h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t",
	"u", "v", "w", "x", "y", "z", "ä", "ö", "ñ", "ü", "à",
};

START_TEST(test_basic)
{
	struct gsm_msg msg;
	char *back;

	if (basic[_i] == NULL)
		return;
	encode(basic[_i], GSM_AUTO, &msg);
	ck_assert_int_eq(msg.enc, GSM_GSM7);
	ck_assert_uint_eq(msg.n, 1);
	ck_assert_uint_eq(msg.u[0], _i);
	back = gsm_decode(&msg, 0, msg.n, NULL);
	ck_assert_str_eq(back, basic[_i]);
	free(back);
	gsm_msg_clear(&msg);
}
END_TEST

static const struct {
	const char *c;
	uint16_t code;
} ext[] = {
	{ "\f", 0x0a }, { "^", 0x14 }, { "{", 0x28 }, { "}", 0x29 },
	{ "\\", 0x2f }, { "[", 0x3c }, { "~", 0x3d }, { "]", 0x3e },
	{ "|", 0x40 }, { "€", 0x65 },
};

START_TEST(test_extension)
{
	struct gsm_msg msg;
	char *back;

	encode(ext[_i].c, GSM_AUTO, &msg);
	ck_assert_int_eq(msg.enc, GSM_GSM7);
	ck_assert_uint_eq(msg.n, 2);
	ck_assert_uint_eq(msg.u[0], GSM7_ESC);
	ck_assert_uint_eq(msg.u[1], ext[_i].code);
	back = gsm_decode(&msg, 0, msg.n, NULL);
	ck_assert_str_eq(back, ext[_i].c);
	free(back);
	gsm_msg_clear(&msg);
}
END_TEST

/* Text and what it costs. */
static const struct {
	const char *text;
	enum gsm_encoding enc;
	size_t units;
} texts[] = {
	{ "Hej! Vägen vid Åsgatan är avstängd. Ärende KS-2026-00042.",
	  GSM_GSM7, 57 },
	{ "åäöÅÄÖéü", GSM_GSM7, 8 },
	{ "Räksmörgås à 45 € [inkl. moms]", GSM_GSM7, 33 },
	{ "Tack 😀", GSM_UCS2, 7 },
	{ "😀", GSM_UCS2, 2 },
	{ "🇸🇪", GSM_UCS2, 4 },
	{ "ça", GSM_UCS2, 2 },		/* only capital Ç is in GSM-7 */
	{ "Łódź", GSM_UCS2, 4 },
	{ "Привет", GSM_UCS2, 6 },
	{ "a\tb", GSM_UCS2, 3 },
	{ "", GSM_GSM7, 0 },
	{ "ΔΦΓΛΩΠΨΣΘΞ", GSM_GSM7, 10 },
	{ "αβ", GSM_UCS2, 2 },		/* small Greek is not */
};

START_TEST(test_text)
{
	struct gsm_msg msg;
	char *back;

	encode(texts[_i].text, GSM_AUTO, &msg);
	ck_assert_int_eq(msg.enc, texts[_i].enc);
	ck_assert_uint_eq(msg.n, texts[_i].units);
	back = gsm_decode(&msg, 0, msg.n, NULL);
	ck_assert_str_eq(back, texts[_i].text);
	free(back);
	gsm_msg_clear(&msg);
}
END_TEST

START_TEST(test_surrogates)
{
	struct gsm_msg msg;

	encode("\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf", GSM_AUTO, &msg);
	ck_assert_uint_eq(msg.n, 4);
	ck_assert_uint_eq(msg.u[0], 0xd83d);
	ck_assert_uint_eq(msg.u[1], 0xde00);
	ck_assert_uint_eq(msg.u[2], 0xdbff);
	ck_assert_uint_eq(msg.u[3], 0xdfff);
	gsm_msg_clear(&msg);
	/* Forcing UCS-2 on GSM-7 text. */
	encode("Hej", GSM_UCS2, &msg);
	ck_assert_int_eq(msg.enc, GSM_UCS2);
	ck_assert_uint_eq(msg.n, 3);
	ck_assert_uint_eq(msg.u[0], 'H');
	gsm_msg_clear(&msg);
}
END_TEST

static const struct {
	const char *text;
	size_t len;		/* 0: strlen */
	enum gsm_encoding want;
	const char *error;
} bad_texts[] = {
	{ "\xff", 0, GSM_AUTO, "invalid UTF-8 at byte 0" },
	{ "ab\xc3", 0, GSM_AUTO, "invalid UTF-8 at byte 2" },
	{ "a\xc0\xaf", 0, GSM_AUTO, "invalid UTF-8 at byte 1" },
	{ "\xe0\x80\xaf", 0, GSM_AUTO, "invalid UTF-8 at byte 0" },
	{ "x\xed\xa0\x80", 0, GSM_AUTO, "invalid UTF-8 at byte 1" },
	{ "\xf4\x90\x80\x80", 0, GSM_AUTO, "invalid UTF-8 at byte 0" },
	{ "\xf5\x80\x80\x80", 0, GSM_AUTO, "invalid UTF-8 at byte 0" },
	{ "a\x80", 0, GSM_AUTO, "invalid UTF-8 at byte 1" },
	{ "😀\x80", 0, GSM_AUTO, "invalid UTF-8 at byte 4" },
	{ "\xe2\x82", 0, GSM_UCS2, "invalid UTF-8 at byte 0" },
	{ "ab\0c", 4, GSM_AUTO, "NUL character at byte 2" },
	{ "Hej 😀", 0, GSM_GSM7,
	  "U+1F600 at byte 4 is not in the GSM 7-bit alphabet" },
	{ "é\xff", 0, GSM_GSM7, "invalid UTF-8 at byte 2" },
};

START_TEST(test_bad_text)
{
	struct gsm_msg msg = { GSM_GSM7, NULL, 1 };
	size_t len = bad_texts[_i].len ? bad_texts[_i].len :
		     strlen(bad_texts[_i].text);
	char *error = NULL;

	ck_assert_int_eq(gsm_encode(bad_texts[_i].text, len,
				    bad_texts[_i].want, &msg, &error), -1);
	ck_assert_str_eq(error, bad_texts[_i].error);
	ck_assert_ptr_null(msg.u);
	ck_assert_uint_eq(msg.n, 0);
	free(error);
}
END_TEST

/* Spaces nobody sees apart from a space, and characters that show
   nothing: out of an SMS, which they would make UCS-2. */
static const struct {
	const char *in, *out;
} plains[] = {
	{ "kl.\u00a08", "kl. 8" },
	{ "08-123\u202f45\u200967\tx", "08-123 45 67 x" },
	{ "ta\u00adbell\u200b\u2060\ufeff", "tabell" },
	{ "\u3000Hej\u2003", " Hej " },
	/* a joiner of an emoji stays, as do letters and marks */
	{ "\U0001F469\u200d\U0001F692 åäö – ’", "\U0001F469\u200d\U0001F692 åäö – ’" },
	/* not UTF-8: byte by byte, as it was */
	{ "a\xc2" "b\xe2\x80", "a\xc2" "b\xe2\x80" },
	{ "", "" },
};

START_TEST(test_plain_spaces)
{
	char *t = strdup(plains[_i].in);
	struct gsm_msg m;
	char *err = NULL;

	gsm_plain_spaces(t);
	ck_assert_str_eq(t, plains[_i].out);
	/* the first four are GSM-7 now */
	if (_i < 4) {
		ck_assert_int_eq(gsm_encode(t, strlen(t), GSM_AUTO, &m, &err), 0);
		ck_assert_int_eq(m.enc, GSM_GSM7);
		gsm_msg_clear(&m);
	}
	free(t);
}
END_TEST

START_TEST(test_too_long)
{
	char *text = repeat("a", GSM_TEXT_BYTES_MAX + 1);
	struct gsm_msg msg;
	char *error = NULL;

	ck_assert_int_eq(gsm_encode(text, GSM_TEXT_BYTES_MAX, GSM_AUTO, &msg,
				    &error), 0);
	ck_assert_uint_eq(msg.n, GSM_TEXT_BYTES_MAX);
	ck_assert_int_eq(gsm_count_parts(&msg, GSM_REF8), -1);
	gsm_msg_clear(&msg);
	ck_assert_int_eq(gsm_encode(text, GSM_TEXT_BYTES_MAX + 1, GSM_AUTO,
				    &msg, &error), -1);
	ck_assert_str_eq(error, "text of 65537 bytes, more than 65536");
	free(error);
	free(text);
}
END_TEST

START_TEST(test_decode_odd)
{
	/* An unknown extension code shows its basic character, a
	   trailing escape a space, a lone surrogate U+FFFD. */
	uint16_t g[] = { 0x41, GSM7_ESC, 0x41, GSM7_ESC };
	uint16_t u[] = { 0xd83d, 'x', 0xde00 };
	struct gsm_msg m7 = { GSM_GSM7, g, 4 }, m16 = { GSM_UCS2, u, 3 };
	char *s;

	s = gsm_decode(&m7, 0, 4, NULL);
	ck_assert_str_eq(s, "AA ");
	free(s);
	s = gsm_decode(&m16, 0, 3, NULL);
	ck_assert_str_eq(s, "\xef\xbf\xbdx\xef\xbf\xbd");
	free(s);
	ck_assert_int_eq(gsm7_cost('a'), 1);
	ck_assert_int_eq(gsm7_cost(0x20ac), 2);
	ck_assert_int_eq(gsm7_cost(0x1f600), 0);
	ck_assert_int_eq(gsm7_cost(0xa0), 0);
}
END_TEST

/* --- segmentation --- */

static const struct {
	const char *c;		/* repeated */
	size_t count;
	enum gsm_ref ref;
	enum gsm_encoding enc;
	int parts;
	size_t first, last;	/* units of the first and last part */
} bounds[] = {
	{ "a", 160, GSM_REF8, GSM_GSM7, 1, 160, 160 },
	{ "a", 161, GSM_REF8, GSM_GSM7, 2, 153, 8 },
	{ "a", 306, GSM_REF8, GSM_GSM7, 2, 153, 153 },
	{ "a", 307, GSM_REF8, GSM_GSM7, 3, 153, 1 },
	{ "å", 153, GSM_REF8, GSM_GSM7, 1, 153, 153 },
	{ "€", 80, GSM_REF8, GSM_GSM7, 1, 160, 160 },
	{ "€", 81, GSM_REF8, GSM_GSM7, 2, 152, 10 },
	{ "a", 304, GSM_REF16, GSM_GSM7, 2, 152, 152 },
	{ "a", 305, GSM_REF16, GSM_GSM7, 3, 152, 1 },
	{ "a", 160, GSM_REF16, GSM_GSM7, 1, 160, 160 },
	{ "ж", 70, GSM_REF8, GSM_UCS2, 1, 70, 70 },
	{ "ж", 71, GSM_REF8, GSM_UCS2, 2, 67, 4 },
	{ "ж", 134, GSM_REF8, GSM_UCS2, 2, 67, 67 },
	{ "ж", 135, GSM_REF8, GSM_UCS2, 3, 67, 1 },
	{ "ж", 132, GSM_REF16, GSM_UCS2, 2, 66, 66 },
	{ "ж", 133, GSM_REF16, GSM_UCS2, 3, 66, 1 },
	{ "😀", 35, GSM_REF8, GSM_UCS2, 1, 70, 70 },
	{ "😀", 36, GSM_REF8, GSM_UCS2, 2, 66, 6 },
	{ "a", 153 * 255, GSM_REF8, GSM_GSM7, 255, 153, 153 },
	{ "a", 153 * 255 + 1, GSM_REF8, GSM_GSM7, -1, 0, 0 },
};

START_TEST(test_bounds)
{
	char *text = repeat(bounds[_i].c, bounds[_i].count);
	struct gsm_part parts[GSM_PARTS_MAX];
	struct gsm_msg msg;
	char *error = NULL;
	int n;

	encode(text, GSM_AUTO, &msg);
	ck_assert_int_eq(msg.enc, bounds[_i].enc);
	n = gsm_split(&msg, bounds[_i].ref, parts, GSM_PARTS_MAX, &error);
	ck_assert_int_eq(n, bounds[_i].parts);
	ck_assert_int_eq(gsm_count_parts(&msg, bounds[_i].ref), n);
	if (n < 0) {
		ck_assert_str_eq(error, "the text needs more than 255 segments");
		free(error);
	} else {
		ck_assert_uint_eq(parts[0].n, bounds[_i].first);
		ck_assert_uint_eq(parts[n - 1].n, bounds[_i].last);
		for (int i = 1; i < n; i++)
			ck_assert_uint_eq(parts[i].off,
					  parts[i - 1].off + parts[i - 1].n);
		ck_assert_uint_eq(parts[n - 1].off + parts[n - 1].n, msg.n);
	}
	gsm_msg_clear(&msg);
	free(text);
}
END_TEST

/* A pair that would straddle the edge of a part moves whole into the
   next one. */
static const struct {
	const char *head;	/* repeated HEAD_N times */
	size_t head_n;
	const char *pair;
	const char *tail;
	enum gsm_ref ref;
	size_t first;		/* units in the first part */
} edges[] = {
	{ "a", 152, "€", "bbbbbbbbbb", GSM_REF8, 152 },
	{ "a", 151, "€", "bbbbbbbbbb", GSM_REF8, 153 },
	{ "a", 151, "€", "bbbbbbbbbb", GSM_REF16, 151 },
	{ "a", 158, "€", "", GSM_REF8, 160 },	/* fits one: 160 */
	{ "a", 159, "€", "", GSM_REF8, 153 },	/* 161: two parts */
	{ "ж", 66, "😀", "жжжжж", GSM_REF8, 66 },
	{ "ж", 65, "😀", "жжжжж", GSM_REF8, 67 },
	{ "ж", 65, "😀", "жжжжж", GSM_REF16, 65 },
	{ "ж", 68, "😀", "", GSM_REF8, 70 },	/* fits one: 70 */
};

START_TEST(test_edge)
{
	char *head = repeat(edges[_i].head, edges[_i].head_n);
	char *text = xasprintf("%s%s%s", head, edges[_i].pair, edges[_i].tail);
	struct gsm_part parts[4];
	struct gsm_msg msg;
	char *error = NULL, *a, *b, *joined;
	int n;

	encode(text, GSM_AUTO, &msg);
	n = gsm_split(&msg, edges[_i].ref, parts, 4, &error);
	ck_assert_int_ge(n, 1);
	ck_assert_uint_eq(parts[0].n, edges[_i].first);
	if (n > 1) {
		/* Each part decodes on its own into whole characters. */
		a = gsm_decode(&msg, parts[0].off, parts[0].n, NULL);
		b = gsm_decode(&msg, parts[1].off, msg.n - parts[1].off, NULL);
		joined = xasprintf("%s%s", a, b);
		ck_assert_str_eq(joined, text);
		ck_assert_ptr_null(strstr(a, "\xef\xbf\xbd"));
		ck_assert_ptr_null(strstr(b, "\xef\xbf\xbd"));
		free(a);
		free(b);
		free(joined);
	}
	gsm_msg_clear(&msg);
	free(text);
	free(head);
}
END_TEST

START_TEST(test_split_max)
{
	char *text = repeat("a", 161);
	struct gsm_part parts[2];
	struct gsm_msg msg;
	char *error = NULL;

	encode(text, GSM_AUTO, &msg);
	ck_assert_int_eq(gsm_split(&msg, GSM_REF8, parts, 1, &error), -1);
	ck_assert_str_eq(error, "the text needs more than 1 segments");
	free(error);
	ck_assert_int_eq(gsm_split(&msg, GSM_REF8, parts, 2, &error), 2);
	gsm_msg_clear(&msg);
	encode("", GSM_AUTO, &msg);
	ck_assert_int_eq(gsm_split(&msg, GSM_REF8, parts, 2, &error), 1);
	ck_assert_uint_eq(parts[0].n, 0);
	gsm_msg_clear(&msg);
	free(text);
}
END_TEST

/* --- the wire --- */

static const struct {
	const char *text;
	unsigned fill;
	const char *hex;
} packs[] = {
	{ "hellohello", 0, "E8329BFD4697D9EC37" },
	{ "hello", 0, "E8329BFD06" },
	{ "Hello", 0, "C8329BFD06" },
	{ "abcdefg", 0, "61F1985C369F01" },
	{ "abcdefgh", 0, "61F1985C369FD1" },
	{ "hello", 1, "D06536FB0D" },
	{ "hellohello", 1, "D06536FB8D2EB3D96F" },
	{ "", 0, "" },
};

START_TEST(test_pack)
{
	struct gsm_msg msg;
	uint8_t out[GSM_UD_MAX];
	uint16_t back[GSM7_SINGLE];
	size_t n;
	char *h;

	encode(packs[_i].text, GSM_GSM7, &msg);
	n = gsm7_pack(msg.u, msg.n, packs[_i].fill, out);
	h = hex(out, n);
	ck_assert_str_eq(h, packs[_i].hex);
	ck_assert_int_eq(gsm7_unpack(out, n, packs[_i].fill, msg.n, back), 0);
	for (size_t i = 0; i < msg.n; i++)
		ck_assert_uint_eq(back[i], msg.u[i]);
	ck_assert_int_eq(gsm7_unpack(out, n, packs[_i].fill, msg.n + 2, back),
			 -1);
	free(h);
	gsm_msg_clear(&msg);
}
END_TEST

/* Every length and fill: packing and unpacking are inverse. */
START_TEST(test_pack_all)
{
	uint16_t s[GSM7_SINGLE], back[GSM7_SINGLE];
	uint8_t out[GSM_UD_MAX + 1];

	for (size_t i = 0; i < GSM7_SINGLE; i++)
		s[i] = (uint16_t)((i * 37 + 11) & 0x7f);
	for (unsigned fill = 0; fill < 7; fill++) {
		for (size_t n = 0; n + (fill ? 1 : 0) <= GSM7_SINGLE; n++) {
			size_t len = gsm7_pack(s, n, fill, out);

			ck_assert_uint_eq(len, n ? (fill + 7 * n + 7) / 8 : 0);
			ck_assert_int_eq(gsm7_unpack(out, len, fill, n, back), 0);
			ck_assert_int_eq(memcmp(s, back, n * sizeof(*s)), 0);
		}
	}
}
END_TEST

START_TEST(test_ucs2_pack)
{
	uint16_t u[] = { 0x0048, 0xd83d, 0xde00 }, back[3];
	uint8_t out[6];
	char *h;

	ck_assert_uint_eq(gsm_ucs2_pack(u, 3, out), 6);
	h = hex(out, 6);
	ck_assert_str_eq(h, "0048D83DDE00");
	free(h);
	ck_assert_int_eq(gsm_ucs2_unpack(out, 6, back), 0);
	ck_assert_int_eq(memcmp(u, back, sizeof(u)), 0);
	ck_assert_int_eq(gsm_ucs2_unpack(out, 5, back), -1);
}
END_TEST

/* A concatenated message to wire user data and back, for each
   encoding and reference kind; the headers checked byte by byte. */
static const struct {
	const char *c;
	size_t count;
	enum gsm_ref ref;
	const char *udh1;	/* the first part's header */
	size_t udl1, len1;	/* its TP-UDL and octets */
} wires[] = {
	{ "a", 400, GSM_REF8, "050003A70301", 160, 140 },
	{ "a", 400, GSM_REF16, "06080412A70301", 160, 140 },
	{ "ö", 100, GSM_REF8, "", 100, 88 },	/* one part, no header */
	{ "ж", 150, GSM_REF8, "050003A70301", 140, 140 },
	{ "ж", 150, GSM_REF16, "06080412A70301", 139, 139 },
};

START_TEST(test_wire)
{
	char *text = repeat(wires[_i].c, wires[_i].count), *back, *error = NULL;
	struct gsm_part parts[GSM_PARTS_MAX];
	struct gsm_msg msg, got;
	uint8_t ud[GSM_UD_MAX];
	char *joined = xstrdup(""), *h;
	size_t udl;
	int n, len;

	encode(text, GSM_AUTO, &msg);
	n = gsm_split(&msg, wires[_i].ref, parts, GSM_PARTS_MAX, &error);
	ck_assert_int_ge(n, 1);
	for (int i = 0; i < n; i++) {
		struct gsm_concat c = { wires[_i].ref == GSM_REF16 ? 0x12a7 : 0xa7,
					(unsigned)n, (unsigned)i + 1 }, rc;
		size_t udhl;

		len = gsm_part_ud(&msg, &parts[i], wires[_i].ref, &c, ud, &udl);
		ck_assert_int_gt(len, 0);
		ck_assert_int_le(len, GSM_UD_MAX);
		udhl = n > 1 ? (size_t)ud[0] + 1 : 0;
		if (i == 0 && n > 1) {
			h = hex(ud, udhl);
			ck_assert_str_eq(h, wires[_i].udh1);
			free(h);
		}
		if (i == 0) {
			ck_assert_uint_eq(udl, wires[_i].udl1);
			ck_assert_int_eq(len, (int)wires[_i].len1);
		}
		ck_assert_int_eq(gsm_ud_parse(msg.enc, ud, (size_t)len, udl,
					      n > 1, &rc, &got, &error),
				 n > 1);
		if (n > 1) {
			ck_assert_uint_eq(rc.ref, c.ref);
			ck_assert_uint_eq(rc.total, c.total);
			ck_assert_uint_eq(rc.seq, c.seq);
		}
		back = gsm_decode(&got, 0, got.n, NULL);
		h = xasprintf("%s%s", joined, back);
		free(joined);
		joined = h;
		free(back);
		gsm_msg_clear(&got);
	}
	ck_assert_str_eq(joined, text);
	free(joined);
	gsm_msg_clear(&msg);
	free(text);
}
END_TEST

static const struct {
	enum gsm_encoding enc;
	const char *hex;
	size_t udl;
	int udhi;
	const char *error;	/* NULL: parses */
	int concat;
} uds[] = {
	{ GSM_GSM7, "E8329BFD06", 5, 0, NULL, 0 },
	{ GSM_GSM7, "E8329BFD06", 7, 0,
	  "GSM 7-bit user data of 5 octets is shorter than 7 septets", 0 },
	{ GSM_GSM7, "E8329BFD06", 161, 0,
	  "GSM 7-bit user data length 161 is invalid", 0 },
	{ GSM_GSM7, "050003", 3, 1, "malformed user data header", 0 },
	{ GSM_GSM7, "0500030102", 7, 1, "malformed user data header", 0 },
	{ GSM_GSM7, "", 0, 1, "malformed user data header", 0 },
	/* seq 0, seq > total: the IE is ignored, as 23.040 says */
	{ GSM_GSM7, "050003010200D06536FB0D", 12, 1, NULL, 0 },
	{ GSM_GSM7, "050003010203D06536FB0D", 12, 1, NULL, 0 },
	/* another IE before the concatenation IE */
	{ GSM_GSM7, "0A0A0300000F0003010201", 13, 1, NULL, 1 },
	{ GSM_UCS2, "00480069", 4, 0, NULL, 0 },
	{ GSM_UCS2, "004800", 3, 0,
	  "UCS-2 user data of 3 octets does not fit its length 3", 0 },
	{ GSM_UCS2, "0608040102020100480069", 11, 1, NULL, 1 },
};

static uint8_t *
unhex(const char *s, size_t *len_r)
{
	size_t n = strlen(s) / 2;
	uint8_t *p = xmalloc(n + 1);

	for (size_t i = 0; i < n; i++) {
		unsigned v;

		ck_assert_int_eq(sscanf(s + 2 * i, "%2x", &v), 1);
		p[i] = (uint8_t)v;
	}
	*len_r = n;
	return p;
}

START_TEST(test_ud_parse)
{
	size_t len;
	uint8_t *ud = unhex(uds[_i].hex, &len);
	struct gsm_concat c;
	struct gsm_msg msg;
	char *error = NULL;
	int r = gsm_ud_parse(uds[_i].enc, ud, len, uds[_i].udl, uds[_i].udhi,
			     &c, &msg, &error);

	if (uds[_i].error != NULL) {
		ck_assert_int_eq(r, -1);
		ck_assert_str_eq(error, uds[_i].error);
		free(error);
	} else {
		ck_assert_int_eq(r, uds[_i].concat);
		gsm_msg_clear(&msg);
	}
	free(ud);
}
END_TEST

/* --- reassembly --- */

struct sent {
	struct gsm_msg part[8];
	int n;
};

/* TEXT split with 8-bit references into parts, as separate messages. */
static void
make_parts(const char *text, struct sent *s)
{
	struct gsm_part p[8];
	struct gsm_msg msg;
	char *error = NULL;

	encode(text, GSM_AUTO, &msg);
	s->n = gsm_split(&msg, GSM_REF8, p, 8, &error);
	ck_assert_int_ge(s->n, 1);
	for (int i = 0; i < s->n; i++) {
		s->part[i].enc = msg.enc;
		s->part[i].n = p[i].n;
		s->part[i].u = xmalloc((p[i].n + 1) * sizeof(uint16_t));
		memcpy(s->part[i].u, msg.u + p[i].off, p[i].n * sizeof(uint16_t));
	}
	gsm_msg_clear(&msg);
}

static void
free_parts(struct sent *s)
{
	for (int i = 0; i < s->n; i++)
		gsm_msg_clear(&s->part[i]);
}

static int
add(struct gsm_reasm *r, const char *key, unsigned ref, struct sent *s,
    int seq, int64_t now)
{
	struct gsm_concat c = { ref, (unsigned)s->n, (unsigned)seq };
	char *error = NULL;
	int ret = gsm_reasm_add(r, key, &c, &s->part[seq - 1], now, &error);

	ck_assert_msg(ret >= 0, "%s", error);
	return ret;
}

/* Orders in which three parts come (with repeats: duplicates). */
static const char *const orders[] = {
	"123", "321", "213", "312", "1123", "3321", "12223", "131312",
};

START_TEST(test_reasm_order)
{
	char *a = repeat("å", 100), *b = repeat("😀", 20);
	char *text = xasprintf("%s%s!", a, b);
	struct gsm_reasm *r = gsm_reasm_new(60);
	struct gsm_reasm_msg m;
	struct sent s;
	int stored = 0;

	make_parts(text, &s);
	ck_assert_int_eq(s.n, 3);
	for (const char *p = orders[_i]; *p != '\0'; p++) {
		ck_assert_int_eq(gsm_reasm_take(r, 100, &m), 0);
		stored += add(r, "+46701234567", 42, &s, *p - '0', 100);
	}
	ck_assert_int_eq(stored, 3);
	ck_assert_int_eq(gsm_reasm_take(r, 100, &m), 1);
	ck_assert_int_eq(m.complete, 1);
	ck_assert_uint_eq(m.received, 3);
	ck_assert_uint_eq(m.total, 3);
	ck_assert_str_eq(m.key, "+46701234567");
	ck_assert_str_eq(m.text, text);
	ck_assert_uint_eq(m.len, strlen(text));
	gsm_reasm_msg_clear(&m);
	ck_assert_int_eq(gsm_reasm_take(r, 100, &m), 0);
	/* A late duplicate of a delivered message is ignored. */
	ck_assert_int_eq(add(r, "+46701234567", 42, &s, 2, 110), 0);
	ck_assert_uint_eq(gsm_reasm_pending(r), 0);
	free_parts(&s);
	gsm_reasm_free(&r);
	ck_assert_ptr_null(r);
	free(text);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_reasm_timeout)
{
	char *text = repeat("x", 400);
	struct gsm_reasm *r = gsm_reasm_new(60);
	struct gsm_reasm_msg m;
	struct sent s;
	char *want;

	make_parts(text, &s);
	ck_assert_int_eq(s.n, 3);
	add(r, "k", 7, &s, 3, 1000);
	add(r, "k", 7, &s, 1, 1030);
	ck_assert_int_eq(gsm_reasm_take(r, 1059, &m), 0);
	ck_assert_uint_eq(gsm_reasm_pending(r), 1);
	ck_assert_int_eq(gsm_reasm_take(r, 1060, &m), 1);
	ck_assert_int_eq(m.complete, 0);
	ck_assert_uint_eq(m.received, 2);
	ck_assert_uint_eq(m.total, 3);
	ck_assert_int_eq(m.first, 1000);
	want = xasprintf("%.153s%.94s", text, text);
	ck_assert_str_eq(m.text, want);
	free(want);
	gsm_reasm_msg_clear(&m);
	ck_assert_uint_eq(gsm_reasm_pending(r), 0);
	/* Parts that came are duplicates; the missing one, late, is kept
	   and delivered on its own in time. */
	ck_assert_int_eq(add(r, "k", 7, &s, 1, 1070), 0);
	ck_assert_int_eq(add(r, "k", 7, &s, 2, 1070), 1);
	ck_assert_int_eq(gsm_reasm_take(r, 1129, &m), 0);
	ck_assert_int_eq(gsm_reasm_take(r, 1130, &m), 1);
	ck_assert_int_eq(m.complete, 0);
	ck_assert_uint_eq(m.received, 1);
	ck_assert_uint_eq(m.len, 153);
	gsm_reasm_msg_clear(&m);
	/* Long after, the reference is forgotten and may be used again. */
	ck_assert_int_eq(gsm_reasm_take(r, 2000, &m), 0);
	ck_assert_int_eq(add(r, "k", 7, &s, 1, 2000), 1);
	free_parts(&s);
	gsm_reasm_free(&r);
	free(text);
}
END_TEST

START_TEST(test_reasm_keys)
{
	char *text = repeat("y", 200);
	struct gsm_reasm *r = gsm_reasm_new(60);
	struct gsm_reasm_msg m;
	struct gsm_concat sar = { 0x1234, 2, 2 };
	struct gsm_msg one;
	struct sent s;
	char *error = NULL;

	make_parts(text, &s);
	/* Same reference, different senders or totals: apart. */
	add(r, "a", 1, &s, 1, 10);
	add(r, "b", 1, &s, 2, 11);
	ck_assert_uint_eq(gsm_reasm_pending(r), 2);
	/* SAR TLV values as plain numbers, a 16-bit reference. */
	ck_assert_int_eq(gsm_reasm_add(r, "c", &sar, &s.part[1], 12, &error), 1);
	sar.seq = 1;
	ck_assert_int_eq(gsm_reasm_add(r, "c", &sar, &s.part[0], 13, &error), 1);
	ck_assert_int_eq(gsm_reasm_take(r, 13, &m), 1);
	ck_assert_str_eq(m.key, "c");
	ck_assert_str_eq(m.text, text);
	ck_assert_int_eq(m.complete, 1);
	gsm_reasm_msg_clear(&m);
	/* A message of one part is ready at once, and is never a
	   duplicate. */
	encode("Hej", GSM_AUTO, &one);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(gsm_reasm_add(r, "d", NULL, &one, 20, &error),
				 1);
		ck_assert_int_eq(gsm_reasm_take(r, 20, &m), 1);
		ck_assert_str_eq(m.text, "Hej");
		ck_assert_int_eq(m.complete, 1);
		gsm_reasm_msg_clear(&m);
	}
	/* Invalid concatenation values. */
	sar.seq = 0;
	ck_assert_int_eq(gsm_reasm_add(r, "e", &sar, &one, 20, &error), -1);
	ck_assert_str_eq(error, "invalid concatenation: part 0 of 2");
	free(error);
	sar.seq = 3;
	ck_assert_int_eq(gsm_reasm_add(r, "e", &sar, &one, 20, &error), -1);
	free(error);
	sar.total = 0;
	sar.seq = 0;
	ck_assert_int_eq(gsm_reasm_add(r, "e", &sar, &one, 20, &error), -1);
	free(error);
	/* The older sender's parts time out first. */
	ck_assert_int_eq(gsm_reasm_take(r, 100, &m), 1);
	ck_assert_str_eq(m.key, "a");
	gsm_reasm_msg_clear(&m);
	ck_assert_int_eq(gsm_reasm_take(r, 100, &m), 1);
	ck_assert_str_eq(m.key, "b");
	gsm_reasm_msg_clear(&m);
	gsm_msg_clear(&one);
	free_parts(&s);
	gsm_reasm_free(&r);
	gsm_reasm_free(&r);
	free(text);
}
END_TEST

START_TEST(test_reasm_limit)
{
	struct gsm_reasm *r = gsm_reasm_new(60);
	struct gsm_msg one;
	char *error = NULL;

	encode("x", GSM_AUTO, &one);
	for (unsigned i = 0; i < GSM_REASM_PENDING_MAX; i++) {
		struct gsm_concat c = { i, 2, 1 };

		ck_assert_int_eq(gsm_reasm_add(r, "k", &c, &one, 1, &error), 1);
	}
	struct gsm_concat c = { 99999, 2, 1 };

	ck_assert_int_eq(gsm_reasm_add(r, "k", &c, &one, 1, &error), -1);
	ck_assert_str_eq(error, "4096 messages are waiting for parts already");
	free(error);
	gsm_msg_clear(&one);
	gsm_reasm_free(&r);
}
END_TEST

/* Parts in UCS-2 with a surrogate pair split between them by another
   sender's software still join into the character. */
START_TEST(test_reasm_split_pair)
{
	uint16_t a[] = { 'h', 0xd83d }, b[] = { 0xde00 };
	struct gsm_msg pa = { GSM_UCS2, a, 2 }, pb = { GSM_UCS2, b, 1 };
	struct gsm_concat c1 = { 5, 2, 1 }, c2 = { 5, 2, 2 };
	struct gsm_reasm *r = gsm_reasm_new(60);
	struct gsm_reasm_msg m;
	char *error = NULL;

	ck_assert_int_eq(gsm_reasm_add(r, "k", &c2, &pb, 1, &error), 1);
	ck_assert_int_eq(gsm_reasm_add(r, "k", &c1, &pa, 1, &error), 1);
	ck_assert_int_eq(gsm_reasm_take(r, 1, &m), 1);
	ck_assert_str_eq(m.text, "h😀");
	gsm_reasm_msg_clear(&m);
	gsm_reasm_free(&r);
}
END_TEST

static Suite *
gsm_suite(void)
{
	Suite *s = suite_create("gsm");
	TCase *tc = tcase_create("gsm");

	tcase_add_loop_test(tc, test_basic, 0, N_ELEMENTS(basic));
	tcase_add_loop_test(tc, test_extension, 0, N_ELEMENTS(ext));
	tcase_add_loop_test(tc, test_text, 0, N_ELEMENTS(texts));
	tcase_add_test(tc, test_surrogates);
	tcase_add_loop_test(tc, test_bad_text, 0, N_ELEMENTS(bad_texts));
	tcase_add_loop_test(tc, test_plain_spaces, 0, N_ELEMENTS(plains));
	tcase_add_test(tc, test_too_long);
	tcase_add_test(tc, test_decode_odd);
	tcase_add_loop_test(tc, test_bounds, 0, N_ELEMENTS(bounds));
	tcase_add_loop_test(tc, test_edge, 0, N_ELEMENTS(edges));
	tcase_add_test(tc, test_split_max);
	tcase_add_loop_test(tc, test_pack, 0, N_ELEMENTS(packs));
	tcase_add_test(tc, test_pack_all);
	tcase_add_test(tc, test_ucs2_pack);
	tcase_add_loop_test(tc, test_wire, 0, N_ELEMENTS(wires));
	tcase_add_loop_test(tc, test_ud_parse, 0, N_ELEMENTS(uds));
	tcase_add_loop_test(tc, test_reasm_order, 0, N_ELEMENTS(orders));
	tcase_add_test(tc, test_reasm_timeout);
	tcase_add_test(tc, test_reasm_keys);
	tcase_add_test(tc, test_reasm_limit);
	tcase_add_test(tc, test_reasm_split_pair);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(gsm_suite());
}
