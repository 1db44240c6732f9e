/* SPDX-License-Identifier: GPL-3.0-or-later */
/* E.164 telephone numbers: normalisation and masking. */
#include "config.h"

#include "e164.h"

#include "i18n.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define SWEDEN "46"

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Two-digit country codes (ITU-T E.164 assignments); '1' and '7' are
   the one-digit ones, every other code has three digits. */
static const char cc2[][3] = {
	"20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41",
	"43", "44", "45", "46", "47", "48", "49", "51", "52", "53", "54",
	"55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66",
	"81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
};

size_t
e164_cc_len(const char *digits)
{
	if (digits[0] == '1' || digits[0] == '7')
		return 1;
	for (size_t i = 0; i < sizeof(cc2) / sizeof(cc2[0]); i++)
		if (digits[0] == cc2[i][0] && digits[1] == cc2[i][1])
			return 2;
	return 3;
}

/* Whether the Swedish national number NSN is a mobile one (070, 072,
   073, 076, 079; not the longer machine numbers of 0719). */
static int
is_se_mobile(const char *nsn)
{
	return nsn[0] == '7' && strchr("02369", nsn[1]) != NULL &&
	       nsn[1] != '\0' && strncmp(nsn, "719", 3) != 0;
}

/* The digits of DEFAULT_CC ("+46" or "46") in CC, or -1. */
static int
default_country(const char *default_cc, char cc[4])
{
	size_t n;

	if (default_cc == NULL)
		return -1;
	if (*default_cc == '+')
		default_cc++;
	n = strlen(default_cc);
	if (n < 1 || n > 3 || default_cc[0] == '0' ||
	    strspn(default_cc, "0123456789") != n ||
	    e164_cc_len(default_cc) != n)
		return -1;
	memcpy(cc, default_cc, n + 1);
	return 0;
}

/* The length of the separator at P, or 0: a blank, '-', '.', '/', a
   parenthesis, or what word processors and phones write for them (a
   no-break or narrow no-break space, a non-breaking hyphen, a figure or
   en dash, a minus sign: "070–123 45 67" pasted from a letter). */
static size_t
separator_len(const char *p)
{
	static const char *const wide[] = {
		"\xc2\xa0", "\xe2\x80\xaf", "\xe2\x80\x91", "\xe2\x80\x92",
		"\xe2\x80\x93", "\xe2\x88\x92",
	};

	if (*p != '\0' && strchr(" \t-./()", *p) != NULL)
		return 1;
	for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
		if (strncmp(p, wide[i], strlen(wide[i])) == 0)
			return strlen(wide[i]);
	return 0;
}

/* The digits of INPUT into DIGITS (room for E164_INPUT_MAX + 1), a
   leading '+' into *PLUS_R. Returns the number of digits, or -1 with
   *REASON_R. */
static int
scan(const char *input, char *digits, int *plus_r, const char **reason_r)
{
	const char *p = input;
	size_t sep;
	int n = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	*plus_r = *p == '+';
	if (*plus_r)
		p++;
	for (; *p != '\0'; p++) {
		if (is_digit(*p)) {
			digits[n++] = *p;
		} else if (strncmp(p, "(0)", 3) == 0 && (n > 0 || *plus_r)) {
			p += 2;	/* a trunk prefix written in an international
				   number */
		} else if ((sep = separator_len(p)) > 0) {
			p += sep - 1;
		} else {
			*reason_r = *p == '+' ?
				N_("a '+' may only come first") :
				is_letter(*p) ? N_("letters in a number") :
				N_("a character that does not belong in a "
				   "number");
			return -1;
		}
	}
	digits[n] = '\0';
	return n;
}

int
e164_normalise(const char *input, const char *default_cc,
	       char out[E164_SIZE], const char **reason_r)
{
	char digits[E164_INPUT_MAX + 1], cc[4], num[E164_INPUT_MAX + 4];
	const char *d = digits;
	int plus, n;
	size_t nd;

	*out = '\0';
	if (default_country(default_cc, cc) < 0) {
		*reason_r = N_("invalid default country code");
		return -1;
	}
	if (strnlen(input, E164_INPUT_MAX + 1) > E164_INPUT_MAX) {
		*reason_r = N_("too long");
		return -1;
	}
	if ((n = scan(input, digits, &plus, reason_r)) < 0)
		return -1;
	if (n == 0) {
		*reason_r = N_("no digits");
		return -1;
	}
	num[0] = '\0';
	if (!plus && strncmp(d, "00", 2) == 0) {
		d += 2;
	} else if (!plus && d[0] == '0') {
		d++;
		strcpy(num, cc);
	} else if (!plus) {
		*reason_r = N_("no country code: begin with +, 00 or 0");
		return -1;
	}
	if (num[0] == '\0' && d[0] == '0') {
		*reason_r = N_("a country code cannot begin with 0");
		return -1;
	}
	strcat(num, d);
	/* +46 070...: the Swedish trunk prefix kept by mistake. */
	if (strncmp(num, SWEDEN "0", 3) == 0)
		memmove(num + 2, num + 3, strlen(num + 3) + 1);
	nd = strlen(num);
	if (nd > E164_DIGITS_MAX) {
		*reason_r = N_("too long: more than 15 digits");
		return -1;
	}
	if (nd < E164_DIGITS_MIN) {
		*reason_r = N_("too short");
		return -1;
	}
	if (strncmp(num, SWEDEN, 2) == 0 && nd - 2 < E164_SE_NSN_MIN) {
		*reason_r = N_("too short for a Swedish number");
		return -1;
	}
	if (strncmp(num, SWEDEN, 2) == 0 && is_se_mobile(num + 2) &&
	    nd - 2 != E164_SE_MOBILE_NSN) {
		*reason_r = N_("a Swedish mobile number has 10 digits "
			       "(070-123 45 67)");
		return -1;
	}
	out[0] = '+';
	memcpy(out + 1, num, nd + 1);
	return 0;
}

/* NUMBER in groups as e164_mask has them, the middle digits masked
   (HIDE) or shown. */
static char *
grouped(const char *number, char out[E164_MASK_SIZE], bool hide)
{
	size_t n = number != NULL && number[0] == '+' ? strlen(number + 1) : 0;
	size_t cl, nsn, o = 0, shown_head, hidden;
	const char *nat, *mid;

	if (n < E164_DIGITS_MIN || n > E164_DIGITS_MAX ||
	    strspn(number + 1, "0123456789") != n) {
		snprintf(out, E164_MASK_SIZE, "%s", hide || number == NULL ?
			 "***" : number);
		return out;
	}
	cl = e164_cc_len(number + 1);
	nat = number + 1 + cl;
	nsn = n - cl;
	out[o++] = '+';
	memcpy(out + o, number + 1, cl);
	o += cl;
	out[o++] = ' ';
	shown_head = nsn > 4 ? 2 : 0;
	hidden = nsn - shown_head - (nsn > 4 ? 2 : 1);
	memcpy(out + o, nat, shown_head);
	o += shown_head;
	if (shown_head > 0)
		out[o++] = ' ';
	mid = nat + shown_head;
	/* The middle digits in groups of three, the last two of two. */
	while (hidden > 0) {
		size_t g = hidden == 4 ? 2 : hidden > 3 ? 3 : hidden;

		if (hide)
			memset(out + o, '*', g);
		else
			memcpy(out + o, mid, g);
		mid += g;
		o += g;
		out[o++] = ' ';
		hidden -= g;
	}
	memcpy(out + o, nat + nsn - (nsn > 4 ? 2 : 1), nsn > 4 ? 2 : 1);
	o += nsn > 4 ? 2 : 1;
	out[o] = '\0';
	return out;
}

char *
e164_mask(const char *number, char out[E164_MASK_SIZE])
{
	return grouped(number, out, true);
}

char *
e164_spaced(const char *number, char out[E164_MASK_SIZE])
{
	return grouped(number, out, false);
}
