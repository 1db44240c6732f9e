/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_E164_H
#define CIRM_E164_H

#include <stddef.h>

/* Telephone numbers in E.164 form ("+46701234567"): normalised from what
   people write, and masked for logs and listings (numbers are personal
   data). */

/* Digits of an E.164 number at most and at least (country code
   included; the shortest numbers in use, e.g. Niue's, have 7). */
#define E164_DIGITS_MAX 15
#define E164_DIGITS_MIN 7
/* Most bytes of input looked at: longer is refused. */
#define E164_INPUT_MAX 64
/* Room for a normalised number: '+', the digits, NUL. */
#define E164_SIZE (E164_DIGITS_MAX + 2)
/* Room for a masked number. */
#define E164_MASK_SIZE 40
/* Digits of a Swedish national number (after +46) at least (ITU-T
   lists 7 to 13), and of a Swedish mobile one (70, 72, 73, 76, 79). */
#define E164_SE_NSN_MIN 7
#define E164_SE_MOBILE_NSN 9

/* Normalises INPUT to "+<digits>" in OUT. Accepted: an international
   number starting with '+' or "00", where a trunk prefix written as
   "(0)" is dropped ("+46 (0)70 123 45 67"); a national number starting
   with the trunk prefix '0', which is replaced by DEFAULT_CC (digits,
   with or without '+', e.g. "+46"). Spaces, '-', '.', '/' and
   parentheses between digits are ignored. For Sweden a 0 right after
   +46 is dropped (Swedish numbers never start with it) and the
   national number must have at least 7 digits, a mobile one 9. Returns 0, or -1 with a
   reason in *REASON_R (static English text, marked for translation
   with N_(): pass it through gettext to show it): empty, letters,
   other characters, no '+', "00" or '0' in front, too short, too long,
   a country code starting with 0, an invalid DEFAULT_CC. */
int e164_normalise(const char *input, const char *default_cc,
		   char out[E164_SIZE], const char **reason_r);

/* The length of the country code at the start of the digits DIGITS
   (after '+'): 1, 2 or 3 (by ITU-T E.164 assignments). */
size_t e164_cc_len(const char *digits);

/* NUMBER (normalised) with its middle digits masked, for logs and
   listings: "+46 70 *** ** 67" (country code, the first two and the
   last two digits of the national number). A national number of 4
   digits or fewer shows only its last one; something that is not a
   normalised number gives "***". Returns OUT. */
char *e164_mask(const char *number, char out[E164_MASK_SIZE]);
/* NUMBER in full, grouped as e164_mask groups it, for a person to read
   and dial: "+46 70 123 45 67"; something that is not a normalised
   number as it is. Returns OUT. */
char *e164_spaced(const char *number, char out[E164_MASK_SIZE]);

#endif
