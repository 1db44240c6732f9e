/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GSM 03.38 / UCS-2 codec, segmentation and the user data on the wire
   (3GPP TS 23.038, 23.040). */
#include "config.h"

#include "gsm.h"

#include "i18n.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* The default alphabet by septet (0x1b, the escape, has no character
   of its own). */
static const uint16_t gsm7_basic[128] = {
	0x0040, 0x00a3, 0x0024, 0x00a5, 0x00e8, 0x00e9, 0x00f9, 0x00ec,
	0x00f2, 0x00c7, 0x000a, 0x00d8, 0x00f8, 0x000d, 0x00c5, 0x00e5,
	0x0394, 0x005f, 0x03a6, 0x0393, 0x039b, 0x03a9, 0x03a0, 0x03a8,
	0x03a3, 0x0398, 0x039e, 0x0020, 0x00c6, 0x00e6, 0x00df, 0x00c9,
	0x0020, 0x0021, 0x0022, 0x0023, 0x00a4, 0x0025, 0x0026, 0x0027,
	0x0028, 0x0029, 0x002a, 0x002b, 0x002c, 0x002d, 0x002e, 0x002f,
	0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,
	0x0038, 0x0039, 0x003a, 0x003b, 0x003c, 0x003d, 0x003e, 0x003f,
	0x00a1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
	0x0048, 0x0049, 0x004a, 0x004b, 0x004c, 0x004d, 0x004e, 0x004f,
	0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,
	0x0058, 0x0059, 0x005a, 0x00c4, 0x00d6, 0x00d1, 0x00dc, 0x00a7,
	0x00bf, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,
	0x0068, 0x0069, 0x006a, 0x006b, 0x006c, 0x006d, 0x006e, 0x006f,
	0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
	0x0078, 0x0079, 0x007a, 0x00e4, 0x00f6, 0x00f1, 0x00fc, 0x00e0,
};

/* The extension table: code after the escape, and its character. */
static const struct {
	uint8_t code;
	uint16_t cp;
} gsm7_ext[] = {
	{ 0x0a, 0x000c }, { 0x14, 0x005e }, { 0x28, 0x007b },
	{ 0x29, 0x007d }, { 0x2f, 0x005c }, { 0x3c, 0x005b },
	{ 0x3d, 0x007e }, { 0x3e, 0x005d }, { 0x40, 0x007c },
	{ 0x65, 0x20ac },
};

#define EXT 0x100
/* Code points below 256: 0 when not in GSM-7, else the septet + 1, or
   EXT | the extension code. */
static const uint16_t latin1_to_gsm7[256] = {
	0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000,
	0x000, 0x000, 0x00b, 0x000, 0x10a, 0x00e, 0x000, 0x000,
	0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000,
	0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000,
	0x021, 0x022, 0x023, 0x024, 0x003, 0x026, 0x027, 0x028,
	0x029, 0x02a, 0x02b, 0x02c, 0x02d, 0x02e, 0x02f, 0x030,
	0x031, 0x032, 0x033, 0x034, 0x035, 0x036, 0x037, 0x038,
	0x039, 0x03a, 0x03b, 0x03c, 0x03d, 0x03e, 0x03f, 0x040,
	0x001, 0x042, 0x043, 0x044, 0x045, 0x046, 0x047, 0x048,
	0x049, 0x04a, 0x04b, 0x04c, 0x04d, 0x04e, 0x04f, 0x050,
	0x051, 0x052, 0x053, 0x054, 0x055, 0x056, 0x057, 0x058,
	0x059, 0x05a, 0x05b, 0x13c, 0x12f, 0x13e, 0x114, 0x012,
	0x000, 0x062, 0x063, 0x064, 0x065, 0x066, 0x067, 0x068,
	0x069, 0x06a, 0x06b, 0x06c, 0x06d, 0x06e, 0x06f, 0x070,
	0x071, 0x072, 0x073, 0x074, 0x075, 0x076, 0x077, 0x078,
	0x079, 0x07a, 0x07b, 0x128, 0x140, 0x129, 0x13d, 0x000,
	0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000,
	0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000,
	0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000,
	0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000,
	0x000, 0x041, 0x000, 0x002, 0x025, 0x004, 0x000, 0x060,
	0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000,
	0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000,
	0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x061,
	0x000, 0x000, 0x000, 0x000, 0x05c, 0x00f, 0x01d, 0x00a,
	0x000, 0x020, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000,
	0x000, 0x05e, 0x000, 0x000, 0x000, 0x000, 0x05d, 0x000,
	0x00c, 0x000, 0x000, 0x000, 0x05f, 0x000, 0x000, 0x01f,
	0x080, 0x000, 0x000, 0x000, 0x07c, 0x010, 0x01e, 0x000,
	0x005, 0x006, 0x000, 0x000, 0x008, 0x000, 0x000, 0x000,
	0x000, 0x07e, 0x009, 0x000, 0x000, 0x000, 0x07d, 0x000,
	0x00d, 0x007, 0x000, 0x000, 0x07f, 0x000, 0x000, 0x000,
};

/* U+0393..U+03A9, the Greek capitals of the default alphabet: septet
   + 1, or 0. */
#define GREEK_FIRST 0x0393
#define GREEK_LAST 0x03a9
static const uint8_t greek_to_gsm7[] = {
	20, 17, 0, 0, 0, 26, 0, 0, 21, 0, 0, 27, 0, 23, 0, 0, 25, 0, 0, 19,
	0, 24, 22,
};
#define EURO 0x20ac
#define EURO_CODE 0x65

/* The GSM-7 code of CP: septet + 1, EXT | extension code, or 0. */
static unsigned
gsm7_lookup(uint32_t cp)
{
	if (cp < 256)
		return latin1_to_gsm7[cp];
	if (cp >= GREEK_FIRST && cp <= GREEK_LAST)
		return greek_to_gsm7[cp - GREEK_FIRST];
	if (cp == EURO)
		return EXT | EURO_CODE;
	return 0;
}

int
gsm7_cost(uint32_t cp)
{
	unsigned g = gsm7_lookup(cp);

	return g == 0 ? 0 : (g & EXT) != 0 ? 2 : 1;
}

void
gsm_plain_spaces(char *text)
{
	unsigned char *p = (unsigned char *)text, *o = p;

	while (*p != '\0') {
		size_t n = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
		uint32_t cp = n == 1 ? *p : *p & (0xff >> (n + 1));
		size_t k;

		for (k = 1; k < n && (p[k] & 0xc0) == 0x80; k++)
			cp = cp << 6 | (p[k] & 0x3f);
		if (k < n) {	/* not UTF-8: left as it is */
			*o++ = *p++;
			continue;
		}
		if (cp == '\t' || cp == 0x00a0 ||
		    (cp >= 0x2000 && cp <= 0x200a) || cp == 0x202f ||
		    cp == 0x205f || cp == 0x3000) {
			*o++ = ' ';
		} else if (!(cp == 0x00ad || cp == 0x200b || cp == 0x2060 ||
			     cp == 0xfeff)) {
			memmove(o, p, n);
			o += n;
		}
		p += n;
	}
	*o = '\0';
}

/* The character of extension code CODE, or 0. */
static uint32_t
gsm7_ext_char(unsigned code)
{
	for (size_t i = 0; i < N_ELEMENTS(gsm7_ext); i++)
		if (gsm7_ext[i].code == code)
			return gsm7_ext[i].cp;
	return 0;
}

/* --- UTF-8 --- */

/* The code point at S[*I] (of LEN bytes) into *CP, *I moved past it.
   Returns 0, or -1 for invalid UTF-8 (overlong forms, surrogates,
   beyond U+10FFFF, truncated sequences, stray continuation bytes). */
static int
utf8_next(const unsigned char *s, size_t len, size_t *i, uint32_t *cp)
{
	unsigned char c = s[*i];
	uint32_t v, min;
	size_t need;

	if (c < 0x80) {
		*cp = c;
		(*i)++;
		return 0;
	}
	if (c >= 0xc2 && c <= 0xdf)
		need = 1, v = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		need = 2, v = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3, v = c & 0x07, min = 0x10000;
	else
		return -1;
	if (len - *i <= need)
		return -1;
	for (size_t k = 1; k <= need; k++) {
		unsigned char cc = s[*i + k];

		if ((cc & 0xc0) != 0x80)
			return -1;
		v = v << 6 | (cc & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return -1;
	*cp = v;
	*i += need + 1;
	return 0;
}

static size_t
utf8_put(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* --- encoding --- */

static int
encode_error(struct gsm_msg *msg, char **error_r, char *error)
{
	free(msg->u);
	memset(msg, 0, sizeof(*msg));
	*error_r = error;
	return -1;
}

/* Encodes S into MSG->u as UTF-16 from its start; 0 or -1 at byte
   *AT_R. */
static int
encode_ucs2(const unsigned char *s, size_t len, struct gsm_msg *msg,
	    size_t *at_r)
{
	size_t i = 0, n = 0;
	uint32_t cp;

	while (i < len) {
		*at_r = i;
		if (utf8_next(s, len, &i, &cp) < 0 || cp == 0)
			return -1;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			msg->u[n++] = (uint16_t)(0xd800 | cp >> 10);
			msg->u[n++] = (uint16_t)(0xdc00 | (cp & 0x3ff));
		} else {
			msg->u[n++] = (uint16_t)cp;
		}
	}
	msg->enc = GSM_UCS2;
	msg->n = n;
	return 0;
}

int
gsm_encode(const char *text, size_t len, enum gsm_encoding want,
	   struct gsm_msg *msg_r, char **error_r)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, n = 0, at = 0;
	uint32_t cp = 0;

	memset(msg_r, 0, sizeof(*msg_r));
	if (len > GSM_TEXT_BYTES_MAX)
		return encode_error(msg_r, error_r, xasprintf(
			_("text of %zu bytes, more than %d"), len,
			GSM_TEXT_BYTES_MAX));
	/* At most two septets or UTF-16 units a byte. */
	msg_r->u = xmalloc((2 * len + 1) * sizeof(*msg_r->u));
	msg_r->enc = GSM_GSM7;
	while (want != GSM_UCS2 && i < len) {
		unsigned g;

		at = i;
		if (s[i] < 0x80 && (g = latin1_to_gsm7[s[i]]) != 0 &&
		    (g & EXT) == 0) {
			msg_r->u[n++] = (uint16_t)(g - 1);
			i++;
			continue;
		}
		if (utf8_next(s, len, &i, &cp) < 0 || cp == 0 ||
		    (g = gsm7_lookup(cp)) == 0) {
			i = at;
			break;
		}
		if (g & EXT) {
			msg_r->u[n++] = GSM7_ESC;
			msg_r->u[n++] = (uint16_t)(g & 0x7f);
		} else {
			msg_r->u[n++] = (uint16_t)(g - 1);
		}
	}
	if (want != GSM_UCS2 && i == len) {
		msg_r->n = n;
		return 0;
	}
	if (want == GSM_GSM7 && utf8_next(s, len, &i, &cp) == 0 && cp != 0)
		return encode_error(msg_r, error_r, xasprintf(
			_("U+%04X at byte %zu is not in the GSM 7-bit "
			  "alphabet"), (unsigned)cp, at));
	if (encode_ucs2(s, len, msg_r, &at) < 0)
		return encode_error(msg_r, error_r, s[at] == 0 ?
			xasprintf(_("NUL character at byte %zu"), at) :
			xasprintf(_("invalid UTF-8 at byte %zu"), at));
	return 0;
}

void
gsm_msg_clear(struct gsm_msg *msg)
{
	free(msg->u);
	memset(msg, 0, sizeof(*msg));
}

/* --- decoding --- */

char *
gsm_decode(const struct gsm_msg *msg, size_t off, size_t n, size_t *len_r)
{
	const uint16_t *u = msg->u + off;
	/* A septet or unit is at most 3 UTF-8 bytes; a pair 4. */
	char *out = xmalloc(3 * n + 1);
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t cp;

		if (msg->enc == GSM_UCS2) {
			cp = u[i];
			if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < n &&
			    u[i + 1] >= 0xdc00 && u[i + 1] <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (u[i + 1] - 0xdc00);
				i++;
			} else if (cp >= 0xd800 && cp <= 0xdfff) {
				cp = 0xfffd;
			}
		} else if (u[i] > 0x7f) {
			cp = 0xfffd;
		} else if (u[i] != GSM7_ESC) {
			cp = gsm7_basic[u[i]];
		} else if (i + 1 == n) {
			cp = ' ';
		} else {
			i++;
			cp = u[i] > 0x7f ? 0xfffd : gsm7_ext_char(u[i]);
			if (cp == 0)
				cp = gsm7_basic[u[i]];
		}
		o += utf8_put(cp, out + o);
	}
	out[o] = '\0';
	if (len_r != NULL)
		*len_r = o;
	return out;
}

/* --- segmentation --- */

static void
limits(const struct gsm_msg *msg, enum gsm_ref ref, size_t *single_r,
       size_t *part_r)
{
	if (msg->enc == GSM_UCS2) {
		*single_r = UCS2_SINGLE;
		*part_r = ref == GSM_REF16 ? UCS2_PART16 : UCS2_PART8;
	} else {
		*single_r = GSM7_SINGLE;
		*part_r = ref == GSM_REF16 ? GSM7_PART16 : GSM7_PART8;
	}
}

/* How many units of MSG from OFF go into a part of at most MAX, so that
   no pair is split. */
static size_t
part_len(const struct gsm_msg *msg, size_t off, size_t max)
{
	const uint16_t *u = msg->u;
	size_t take = msg->n - off < max ? msg->n - off : max, i;

	if (off + take == msg->n)
		return take;
	if (msg->enc == GSM_UCS2) {
		uint16_t last = u[off + take - 1], next = u[off + take];

		if (last >= 0xd800 && last <= 0xdbff && next >= 0xdc00 &&
		    next <= 0xdfff)
			take--;
		return take;
	}
	for (i = off; i < off + take; i += u[i] == GSM7_ESC ? 2 : 1)
		;
	return i > off + take ? take - 1 : take;
}

int
gsm_count_parts(const struct gsm_msg *msg, enum gsm_ref ref)
{
	size_t single, part, off = 0;
	int count = 0;

	limits(msg, ref, &single, &part);
	if (msg->n <= single)
		return 1;
	while (off < msg->n) {
		if (count == GSM_PARTS_MAX)
			return -1;
		off += part_len(msg, off, part);
		count++;
	}
	return count;
}

int
gsm_split(const struct gsm_msg *msg, enum gsm_ref ref, struct gsm_part *parts,
	  size_t max, char **error_r)
{
	size_t single, part, off = 0, count = 0;

	if (max > GSM_PARTS_MAX)
		max = GSM_PARTS_MAX;
	limits(msg, ref, &single, &part);
	if (msg->n <= single && max > 0) {
		parts[0].off = 0;
		parts[0].n = msg->n;
		return 1;
	}
	while (off < msg->n) {
		size_t take = part_len(msg, off, part);

		if (count == max) {
			*error_r = xasprintf(_("the text needs more than %zu "
					       "segments"), max);
			return -1;
		}
		parts[count].off = off;
		parts[count].n = take;
		count++;
		off += take;
	}
	return (int)count;
}

/* --- the wire --- */

size_t
gsm7_pack(const uint16_t *septets, size_t n, unsigned fill, uint8_t *out)
{
	size_t bits = fill, len = n == 0 ? 0 : (fill + 7 * n + 7) / 8;

	memset(out, 0, len);
	for (size_t i = 0; i < n; i++, bits += 7) {
		unsigned v = septets[i] & 0x7f, shift = bits % 8;
		size_t at = bits / 8;

		out[at] |= (uint8_t)(v << shift);
		if (shift > 1)
			out[at + 1] |= (uint8_t)(v >> (8 - shift));
	}
	return len;
}

int
gsm7_unpack(const uint8_t *in, size_t len, unsigned fill, size_t n,
	    uint16_t *septets)
{
	size_t bits = fill;

	if (n > 0 && (fill + 7 * n + 7) / 8 > len)
		return -1;
	for (size_t i = 0; i < n; i++, bits += 7) {
		unsigned shift = bits % 8;
		size_t at = bits / 8;
		unsigned v = in[at] >> shift;

		if (shift > 1)
			v |= (unsigned)in[at + 1] << (8 - shift);
		septets[i] = (uint16_t)(v & 0x7f);
	}
	return 0;
}

size_t
gsm_ucs2_pack(const uint16_t *units, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = (uint8_t)(units[i] >> 8);
		out[2 * i + 1] = (uint8_t)units[i];
	}
	return 2 * n;
}

int
gsm_ucs2_unpack(const uint8_t *in, size_t len, uint16_t *units)
{
	if (len % 2 != 0)
		return -1;
	for (size_t i = 0; i < len / 2; i++)
		units[i] = (uint16_t)(in[2 * i] << 8 | in[2 * i + 1]);
	return 0;
}

/* Fill bits after a header of UDH_LEN octets, so that the text starts
   on a septet boundary. */
static unsigned
fill_bits(size_t udh_len)
{
	return udh_len == 0 ? 0 : (unsigned)((7 - udh_len * 8 % 7) % 7);
}

int
gsm_part_ud(const struct gsm_msg *msg, const struct gsm_part *p,
	    enum gsm_ref kind, const struct gsm_concat *c,
	    uint8_t ud[GSM_UD_MAX], size_t *udl_r)
{
	size_t h = 0;

	if (c != NULL && c->total > 1) {
		if (kind == GSM_REF16) {
			const uint8_t udh[] = { 6, 0x08, 4, (uint8_t)(c->ref >> 8),
						(uint8_t)c->ref,
						(uint8_t)c->total,
						(uint8_t)c->seq };

			memcpy(ud, udh, h = sizeof(udh));
		} else {
			const uint8_t udh[] = { 5, 0x00, 3, (uint8_t)c->ref,
						(uint8_t)c->total,
						(uint8_t)c->seq };

			memcpy(ud, udh, h = sizeof(udh));
		}
	}
	if (msg->enc == GSM_UCS2) {
		if (h + 2 * p->n > GSM_UD_MAX)
			return -1;
		*udl_r = h + gsm_ucs2_pack(msg->u + p->off, p->n, ud + h);
		return (int)*udl_r;
	}
	unsigned fill = fill_bits(h);
	size_t hs = (h * 8 + fill) / 7;

	if (hs + p->n > GSM7_SINGLE)
		return -1;
	*udl_r = hs + p->n;
	return (int)(h + gsm7_pack(msg->u + p->off, p->n, fill, ud + h));
}

/* Reads the header UD[0..LEN) (UDHL first) for a concatenation IE:
   1 with *C_R, 0 when there is none (or an invalid one, which the
   standard says to ignore), -1 when malformed. */
static int
udh_parse(const uint8_t *ud, size_t len, struct gsm_concat *c_r)
{
	size_t end = 1 + (size_t)ud[0], i = 1;
	int found = 0;

	if (end > len)
		return -1;
	while (i < end) {
		if (i + 2 > end || i + 2 + ud[i + 1] > end)
			return -1;
		const uint8_t *ie = ud + i + 2;
		unsigned iei = ud[i], iel = ud[i + 1];
		struct gsm_concat c;

		if ((iei == 0x00 && iel == 3) || (iei == 0x08 && iel == 4)) {
			c.ref = iei == 0 ? ie[0] : (unsigned)(ie[0] << 8 | ie[1]);
			c.total = ie[iel - 2];
			c.seq = ie[iel - 1];
			if (c.total > 0 && c.seq > 0 && c.seq <= c.total) {
				*c_r = c;
				found = 1;
			}
		}
		i += 2 + iel;
	}
	return found;
}

int
gsm_ud_parse(enum gsm_encoding enc, const uint8_t *ud, size_t len,
	     size_t udl, int udhi, struct gsm_concat *c_r,
	     struct gsm_msg *msg_r, char **error_r)
{
	size_t h = 0, n;
	int found = 0;

	memset(msg_r, 0, sizeof(*msg_r));
	if (udhi) {
		if (len == 0 || (found = udh_parse(ud, len, c_r)) < 0) {
			*error_r = xstrdup(_("malformed user data header"));
			return -1;
		}
		h = 1 + (size_t)ud[0];
	}
	if (enc == GSM_UCS2) {
		if (udl > len || udl > GSM_UD_MAX || udl < h ||
		    (udl - h) % 2 != 0) {
			*error_r = xasprintf(_("UCS-2 user data of %zu octets "
					       "does not fit its length %zu"),
					     len, udl);
			return -1;
		}
		n = (udl - h) / 2;
		msg_r->u = xmalloc((n + 1) * sizeof(*msg_r->u));
		gsm_ucs2_unpack(ud + h, udl - h, msg_r->u);
	} else {
		unsigned fill = fill_bits(h);
		size_t hs = (h * 8 + fill) / 7;

		if (udl > GSM7_SINGLE || udl < hs) {
			*error_r = xasprintf(_("GSM 7-bit user data length "
					       "%zu is invalid"), udl);
			return -1;
		}
		n = udl - hs;
		msg_r->u = xmalloc((n + 1) * sizeof(*msg_r->u));
		if (gsm7_unpack(ud + h, len - h, fill, n, msg_r->u) < 0) {
			gsm_msg_clear(msg_r);
			*error_r = xasprintf(_("GSM 7-bit user data of %zu "
					       "octets is shorter than %zu "
					       "septets"), len, udl);
			return -1;
		}
	}
	msg_r->enc = enc;
	msg_r->n = n;
	return found;
}
