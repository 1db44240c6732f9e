/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Text in any charset to UTF-8. */
#include "config.h"

#include "mime-private.h"

#include "util.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

/* Length of the UTF-8 sequence at S (LEN bytes left), or 0 if invalid. */
static size_t
utf8_seq(const unsigned char *s, size_t len)
{
	size_t n;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

int
mime_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(p + i, len - i);

		if (n == 0 || (n == 1 && p[i] == 0))
			return 0;
		i += n;
	}
	return 1;
}

int
mime_utf8_none(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	int eight = 0;

	for (size_t i = 0; i < len; i++) {
		size_t n;

		if (p[i] < 0x80)
			continue;
		eight = 1;
		n = utf8_seq(p + i, len - i);
		if (n > 1)
			return 0;
	}
	return eight;
}

/* UTF-8 input: keeps valid sequences, replaces the rest and NULs. */
static char *
utf8_clean(const char *s, size_t len, int *replaced)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = xmalloc(len * 3 + 1), *o = out;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(p + i, len - i);

		if (n == 0 || (n == 1 && p[i] == 0)) {
			memcpy(o, replacement, 3);
			o += 3;
			*replaced = 1;
			i++;
			continue;
		}
		memcpy(o, p + i, n);
		o += n;
		i += n;
	}
	*o = '\0';
	return out;
}

/* Mail clients label Windows-1252 text as ISO-8859-1 or US-ASCII; the
   superset reads both correctly. Other labels that mail programs write
   (the WHATWG Encoding Standard lists them) but iconv does not know
   go by the name it knows them by: without it, every letter beyond
   ASCII would be lost. */
static const char *
iconv_name(const char *charset)
{
	static const char *const as_1252[] = {
		"us-ascii", "ascii", "iso-8859-1", "iso8859-1", "latin1",
		"iso_8859-1", "l1", "cp819", "ibm819", "windows-1252", "cp1252",
		"x-cp1252", "x-unknown", "unknown-8bit", "x-user-defined",
	};
	static const char *const aliases[][2] = {
		{ "x-mac-roman", "MACINTOSH" },
		{ "x-mac-cyrillic", "MAC-CYRILLIC" },
		{ "csisolatin9", "ISO-8859-15" },
		{ "l9", "ISO-8859-15" },
		{ "iso-8859-6-i", "ISO-8859-6" },
		{ "iso-8859-8-i", "ISO-8859-8" },
		{ "dos-874", "CP874" },
		{ "ks_c_5601-1987", "CP949" },
		{ "csksc56011987", "CP949" },
		{ "iso-ir-149", "CP949" },
		{ "korean", "CP949" },
		{ "windows-949", "CP949" },
		{ "x-sjis", "SHIFT_JIS" },
		{ "x-euc-jp", "EUC-JP" },
		{ "x-gbk", "GBK" },
		{ "x-x-big5", "BIG5-HKSCS" },
	};

	for (size_t i = 0; i < N_ELEMENTS(as_1252); i++) {
		if (strcasecmp(charset, as_1252[i]) == 0)
			return "WINDOWS-1252";
	}
	for (size_t i = 0; i < N_ELEMENTS(aliases); i++) {
		if (strcasecmp(charset, aliases[i][0]) == 0)
			return aliases[i][1];
	}
	return charset;
}

/* Converts with iconv; bytes it cannot read become U+FFFD. Returns NULL
   when iconv does not know the charset. */
static char *
convert(const char *charset, const char *s, size_t len, size_t *len_r,
	int *replaced)
{
	iconv_t cd = iconv_open("UTF-8", iconv_name(charset));
	size_t cap = len * 4 + 16, left_in = len, left_out;
	char *out, *in = (char *)s, *o;

	if (cd == (iconv_t)-1)
		return NULL;
	out = xmalloc(cap);
	o = out;
	left_out = cap - 1;
	while (left_in > 0) {
		if (iconv(cd, &in, &left_in, &o, &left_out) != (size_t)-1)
			break;
		if (errno == E2BIG) {
			size_t used = (size_t)(o - out);

			cap *= 2;
			out = xrealloc(out, cap);
			o = out + used;
			left_out = cap - used - 1;
			continue;
		}
		/* EILSEQ or EINVAL: an unreadable byte. */
		if (left_out < 4) {
			size_t used = (size_t)(o - out);

			cap *= 2;
			out = xrealloc(out, cap);
			o = out + used;
			left_out = cap - used - 1;
		}
		memcpy(o, replacement, 3);
		o += 3;
		left_out -= 3;
		in++;
		left_in--;
		*replaced = 1;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	*o = '\0';
	*len_r = (size_t)(o - out);
	iconv_close(cd);
	return out;
}

/* The Latin-1 letters U+00C0..U+00FF that are a base letter and one
   combining mark (U+0300..U+030A, U+0327: UTF-8 CC 80..CC 8A, CC A7):
   the base, the mark's second byte, and the letter's (C3 xx). From
   Unicode's decompositions. */
static const struct {
	char base;
	unsigned char mark, letter;
} composed[] = {
	{ 'A', 0x80, 0x80 }, { 'A', 0x81, 0x81 }, { 'A', 0x82, 0x82 },
	{ 'A', 0x83, 0x83 }, { 'A', 0x88, 0x84 }, { 'A', 0x8a, 0x85 },
	{ 'C', 0xa7, 0x87 }, { 'E', 0x80, 0x88 }, { 'E', 0x81, 0x89 },
	{ 'E', 0x82, 0x8a }, { 'E', 0x88, 0x8b }, { 'I', 0x80, 0x8c },
	{ 'I', 0x81, 0x8d }, { 'I', 0x82, 0x8e }, { 'I', 0x88, 0x8f },
	{ 'N', 0x83, 0x91 }, { 'O', 0x80, 0x92 }, { 'O', 0x81, 0x93 },
	{ 'O', 0x82, 0x94 }, { 'O', 0x83, 0x95 }, { 'O', 0x88, 0x96 },
	{ 'U', 0x80, 0x99 }, { 'U', 0x81, 0x9a }, { 'U', 0x82, 0x9b },
	{ 'U', 0x88, 0x9c }, { 'Y', 0x81, 0x9d }, { 'a', 0x80, 0xa0 },
	{ 'a', 0x81, 0xa1 }, { 'a', 0x82, 0xa2 }, { 'a', 0x83, 0xa3 },
	{ 'a', 0x88, 0xa4 }, { 'a', 0x8a, 0xa5 }, { 'c', 0xa7, 0xa7 },
	{ 'e', 0x80, 0xa8 }, { 'e', 0x81, 0xa9 }, { 'e', 0x82, 0xaa },
	{ 'e', 0x88, 0xab }, { 'i', 0x80, 0xac }, { 'i', 0x81, 0xad },
	{ 'i', 0x82, 0xae }, { 'i', 0x88, 0xaf }, { 'n', 0x83, 0xb1 },
	{ 'o', 0x80, 0xb2 }, { 'o', 0x81, 0xb3 }, { 'o', 0x82, 0xb4 },
	{ 'o', 0x83, 0xb5 }, { 'o', 0x88, 0xb6 }, { 'u', 0x80, 0xb9 },
	{ 'u', 0x81, 0xba }, { 'u', 0x82, 0xbb }, { 'u', 0x88, 0xbc },
	{ 'y', 0x81, 0xbd }, { 'y', 0x88, 0xbf },
};

/* The second byte of the letter BASE with mark byte MARK, or 0. */
static unsigned char
compose_one(char base, unsigned char mark)
{
	for (size_t i = 0; i < N_ELEMENTS(composed); i++)
		if (composed[i].base == base && composed[i].mark == mark)
			return composed[i].letter;
	return 0;
}

void
mime_utf8_compose(char *s)
{
	/* Each pair of three bytes becomes two: written behind the
	   reading, never ahead of it. */
	char *r = strchr(s, '\xcc'), *w = r;

	if (r == NULL)
		return;
	while (*r != '\0') {
		unsigned char letter = 0;

		if ((unsigned char)*r == 0xcc && w > s &&
		    ((unsigned char)w[-1] & 0x80) == 0 && r[1] != '\0')
			letter = compose_one(w[-1], (unsigned char)r[1]);
		if (letter != 0) {
			w[-1] = '\xc3';
			*w++ = (char)letter;
			r += 2;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

char *
mime_to_utf8(const char *charset, const void *data, size_t len, int *replaced)
{
	int dummy = 0;
	char *out, *clean;
	size_t n;

	if (replaced == NULL)
		replaced = &dummy;
	if (charset == NULL || *charset == '\0')
		charset = "us-ascii";
	/* (the last two, old Outlook's names for it) */
	if (strcasecmp(charset, "utf-8") == 0 ||
	    strcasecmp(charset, "utf8") == 0 ||
	    strcasecmp(charset, "unicode-1-1-utf-8") == 0 ||
	    strcasecmp(charset, "x-unicode20utf8") == 0)
		clean = utf8_clean(data, len, replaced);
	else if (strcasecmp(iconv_name(charset), "WINDOWS-1252") == 0 &&
		 mime_utf8_valid(data, len))
		clean = xstrndup(data, len); /* ASCII, or UTF-8 mislabelled */
	else if ((out = convert(charset, data, len, &n, replaced)) == NULL) {
		/* Unknown charset: keep what is ASCII or valid UTF-8. */
		*replaced = 1;
		clean = utf8_clean(data, len, replaced);
	} else {
		/* iconv may pass NULs through; the text must not hold any. */
		clean = utf8_clean(out, n, replaced);
		free(out);
	}
	mime_utf8_compose(clean);
	return clean;
}
