/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Header fields: splitting, RFC 2047 decoding, addresses, ids, dates. */
#include "config.h"

#include "mime-private.h"

#include "util.h"

#include <libetpan/libetpan.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* --- RFC 2047 --- */

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes the text of one encoded word into OUT (at least LEN bytes). */
static size_t
decode_word_text(int enc, const char *s, size_t len, char *out)
{
	size_t o = 0;

	if (enc == 'Q' || enc == 'q') {
		for (size_t i = 0; i < len; i++) {
			if (s[i] == '_')
				out[o++] = ' ';
			else if (s[i] == '=' && i + 2 < len &&
				 hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
				out[o++] = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
				i += 2;
			} else
				out[o++] = s[i];
		}
		return o;
	}
	unsigned int acc = 0;
	int bits = 0;

	for (size_t i = 0; i < len; i++) {
		int v = b64val((unsigned char)s[i]);

		if (v < 0)
			continue;
		acc = acc << 6 | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	return o;
}

/* Parses "=?charset?E?text?=" at S. Returns its length, 0 if S does not
   start an encoded word, or (size_t)-1 when no "?=" follows at all, so
   that no later position can start one either (which keeps decoding
   linear on hostile headers). */
static size_t
encoded_word(const char *s, char **charset_r, int *enc_r, const char **text_r,
	     size_t *text_len_r)
{
	const char *cs, *q1, *q2, *end;
	size_t lim;

	if (s[0] != '=' || s[1] != '?')
		return 0;
	cs = s + 2;
	q1 = strchr(cs, '?');
	if (q1 == NULL || q1 == cs || q1[1] == '\0' || q1[2] != '?')
		return 0;
	if (strchr("BbQq", q1[1]) == NULL)
		return 0;
	q2 = q1 + 2;
	/* Encoded words are short (75 bytes by RFC 2047): look no further
	   than a generous bound. */
	lim = strnlen(q2 + 1, 2048);
	end = memmem(q2 + 1, lim, "?=", 2);
	if (end == NULL)
		return lim < 2048 ? (size_t)-1 : 0;
	if (memchr(q2 + 1, ' ', (size_t)(end - q2 - 1)) != NULL ||
	    q1 - cs > 64)
		return 0;
	*charset_r = xstrndup(cs, (size_t)(q1 - cs));
	/* RFC 2231 language suffix: "utf-8*sv". */
	if (strchr(*charset_r, '*') != NULL)
		*strchr(*charset_r, '*') = '\0';
	*enc_r = q1[1];
	*text_r = q2 + 1;
	*text_len_r = (size_t)(end - q2 - 1);
	return (size_t)(end + 2 - s);
}

/* Appends LEN bytes of raw (not encoded) header text, as UTF-8. */
static void
append_raw(struct strlist *parts, const char *s, size_t len, int *replaced)
{
	char *u = mime_utf8_valid(s, len) ? xstrndup(s, len) :
					    mime_to_utf8("windows-1252", s, len,
							 replaced);

	strlist_add(parts, u);
	free(u);
}

/* Converts the bytes PENDING holds (of encoded words in *CHARSET) and
   adds them to PARTS; clears both. */
static void
flush_words(struct strlist *parts, char **charset, char **pending,
	    size_t *plen, int *replaced)
{
	char *u;

	if (*charset == NULL)
		return;
	u = mime_to_utf8(*charset, *pending, *plen, replaced);
	strlist_add(parts, u);
	free(u);
	free(*charset);
	free(*pending);
	*charset = *pending = NULL;
	*plen = 0;
}

char *
mime_decode_words(const char *value, int *replaced)
{
	struct strlist parts = { 0 };
	const char *p = value, *plain = value, *after_word = NULL;
	/* the bytes of adjacent encoded words in one charset, converted
	   together: mail programs split a word inside a character */
	char *pending = NULL, *pending_cs = NULL, *out;
	size_t plen = 0, pcap = 0;

	while (*p != '\0') {
		char *charset;
		const char *text;
		size_t n, text_len;
		int enc;

		n = encoded_word(p, &charset, &enc, &text, &text_len);
		if (n == (size_t)-1) {
			p += strlen(p);
			break;
		}
		if (n == 0) {
			p++;
			continue;
		}
		/* White space between two encoded words is dropped. */
		if (after_word == NULL || plain + strspn(plain, " \t") != p) {
			flush_words(&parts, &pending_cs, &pending, &plen,
				    replaced);
			append_raw(&parts, plain, (size_t)(p - plain), replaced);
		} else if (pending_cs != NULL &&
			   strcasecmp(pending_cs, charset) != 0)
			flush_words(&parts, &pending_cs, &pending, &plen,
				    replaced);
		if (pending_cs == NULL) {
			pending_cs = xstrdup(charset);
			pcap = 0;
		}
		if (plen + text_len + 1 > pcap) {
			/* doubling: a header of many words stays linear */
			pcap = 2 * (plen + text_len + 1);
			pending = xrealloc(pending, pcap);
		}
		plen += decode_word_text(enc, text, text_len, pending + plen);
		free(charset);
		p += n;
		plain = after_word = p;
	}
	flush_words(&parts, &pending_cs, &pending, &plen, replaced);
	append_raw(&parts, plain, (size_t)(p - plain), replaced);
	/* a letter and its mark may be in two parts */
	out = strlist_join(&parts);
	mime_utf8_compose(out);
	return out;
}

/* --- addresses, ids, dates --- */

void
mime_address_clear(struct mime_address *a)
{
	free(a->name);
	free(a->addr);
	a->name = a->addr = NULL;
}

/* Whether the quoted string RAW (RLEN bytes, quotes included) reads
   as Q (QLEN bytes) once its white space is gone. */
static bool
same_but_blanks(const char *raw, size_t rlen, const char *q, size_t qlen)
{
	size_t j = 0;

	for (size_t i = 0; i < rlen; i++) {
		if (strchr(" \t\r\n", raw[i]) != NULL)
			continue;
		if (j >= qlen || raw[i] != q[j++])
			return false;
	}
	return j == qlen;
}

/* libetpan drops the white space inside an address, also inside a
   quoted local part: "anna andersson"@example.se would come out as
   "annaandersson"@example.se, somebody else's mailbox. ADDR's quoted
   local part is taken again from VALUE, the header as it came, with
   its blanks (a folded line unfolded). */
static char *
address_with_blanks(const char *value, const char *addr)
{
	const char *q_end;
	size_t qlen;

	if (addr[0] != '"' || (q_end = strstr(addr + 1, "\"@")) == NULL)
		return xstrdup(addr);
	qlen = (size_t)(q_end + 1 - addr);
	for (const char *p = strchr(value, '"'); p != NULL;
	     p = strchr(p, '"')) {
		const char *e = p + 1;

		while (*e != '\0' && *e != '"')
			e += e[0] == '\\' && e[1] != '\0' ? 2 : 1;
		if (*e == '\0')
			break;
		e++;
		if (same_but_blanks(p, (size_t)(e - p), addr, qlen)) {
			char *out = xmalloc((size_t)(e - p) +
					    strlen(addr + qlen) + 1), *o = out;

			for (const char *c = p; c < e; c++)
				if (*c != '\r' && *c != '\n')
					*o++ = *c;
			strcpy(o, addr + qlen);
			return out;
		}
		p = e;
	}
	return xstrdup(addr);
}

/* ADDR (taken over) without what a missing '>' left in it: libetpan
   reads "Anna <anna@example.se" (no '>') as the one address
   "Anna<anna@example.se", which no mail reaches. A quoted local part
   keeps its '<'. */
static char *
unbracket(char *addr)
{
	char *lt = addr[0] != '"' ? strrchr(addr, '<') : NULL, *out;

	if (lt == NULL || strchr(lt, '@') == NULL)
		return addr;
	out = xstrndup(lt + 1, strcspn(lt + 1, ">"));
	free(addr);
	return out;
}

/* S (taken over) as one line: every control character a blank. An
   encoded "=0A" in a subject or a name would otherwise let the sender
   write lines of their own into a handler's notification or #list,
   and an ESC reach a terminal. */
static char *
one_line(char *s)
{
	for (char *p = s; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	return s;
}

/* A display name as libetpan gives it, decoded, on one line. libetpan
   keeps the quotes of a quoted string that holds encoded words, as
   Outlook and others write a name ("=?utf-8?Q?=C3=85sa?="): they are
   no part of it. */
static char *
display_name(const char *dn)
{
	size_t n = strlen(dn);
	char *inner, *out;

	if (n < 2 || dn[0] != '"' || dn[n - 1] != '"' ||
	    strstr(dn, "=?") == NULL)
		return one_line(mime_decode_words(dn, NULL));
	inner = xstrndup(dn + 1, n - 2);
	out = mime_decode_words(inner, NULL);
	free(inner);
	return one_line(out);
}

static void
add_mailbox(struct mime_address **list, size_t *n,
	    const struct mailimf_mailbox *mb, const char *value)
{
	struct mime_address *a;

	*list = xrealloc(*list, (*n + 1) * sizeof(**list));
	a = &(*list)[(*n)++];
	a->name = mb->mb_display_name != NULL ?
			  display_name(mb->mb_display_name) : NULL;
	a->addr = mb->mb_addr_spec != NULL ?
			  unbracket(address_with_blanks(value,
							mb->mb_addr_spec)) :
			  NULL;
}

static void
add_mailbox_list(struct mime_address **list, size_t *n,
		 const struct mailimf_mailbox_list *ml, const char *value)
{
	if (ml == NULL)
		return;
	for (clistiter *it = clist_begin(ml->mb_list); it != NULL;
	     it = clist_next(it))
		add_mailbox(list, n, clist_content(it), value);
}

void
mime_parse_addresses(const char *value, struct mime_address **list_r,
		     size_t *n_r)
{
	struct mailimf_address_list *al = NULL;
	size_t idx = 0;

	*list_r = NULL;
	*n_r = 0;
	if (mailimf_address_list_parse(value, strlen(value), &idx, &al) !=
	    MAILIMF_NO_ERROR)
		return;
	for (clistiter *it = clist_begin(al->ad_list); it != NULL;
	     it = clist_next(it)) {
		struct mailimf_address *ad = clist_content(it);

		if (ad->ad_type == MAILIMF_ADDRESS_MAILBOX)
			add_mailbox(list_r, n_r, ad->ad_data.ad_mailbox,
				    value);
		else if (ad->ad_type == MAILIMF_ADDRESS_GROUP)
			add_mailbox_list(list_r, n_r,
					 ad->ad_data.ad_group->grp_mb_list,
					 value);
	}
	mailimf_address_list_free(al);
}

/* The first address of VALUE into A (cleared when none). */
static void
first_address(const char *value, struct mime_address *a)
{
	struct mime_address *list;
	size_t n;

	mime_address_clear(a);
	if (value == NULL)
		return;
	mime_parse_addresses(value, &list, &n);
	if (n > 0) {
		*a = list[0];
		for (size_t i = 1; i < n; i++)
			mime_address_clear(&list[i]);
	} else if (strchr(value, '@') != NULL) {
		/* Too broken for the parser: keep the text as the address,
		   undecoded. An encoded word is never part of an address
		   (RFC 2047 5), and one decoded here would make an address
		   no mail system saw: ":; @ =?utf-8?q?=3Ceva=40...=3E?="
		   would be from eva, whose domain DMARC never checked. */
		a->addr = unbracket(xstrdup(value));
	}
	free(list);
}

/* An id without its angle brackets and white space. */
static char *
bare_id(const char *s, size_t len)
{
	while (len > 0 && (*s == '<' || *s == ' ' || *s == '\t'))
		s++, len--;
	while (len > 0 && (s[len - 1] == '>' || s[len - 1] == ' ' ||
			   s[len - 1] == '\t'))
		len--;
	return len > 0 ? xstrndup(s, len) : NULL;
}

/* The ids in VALUE: "<a@b> <c@d>", tolerating missing brackets. */
static void
parse_ids(const char *value, char ***ids_r, size_t *n_r)
{
	const char *p = value;

	while (*p != '\0') {
		const char *open = strchr(p, '<'), *close;
		char *id;

		if (open == NULL) {
			/* No brackets at all: the value is one id. */
			if (*n_r == 0 && p == value && strchr(p, '@') != NULL &&
			    (id = bare_id(p, strlen(p))) != NULL) {
				*ids_r = xrealloc(*ids_r, sizeof(char *));
				(*ids_r)[(*n_r)++] = id;
			}
			return;
		}
		close = strchr(open, '>');
		if (close == NULL)
			return;
		id = bare_id(open, (size_t)(close - open + 1));
		if (id != NULL) {
			*ids_r = xrealloc(*ids_r, (*n_r + 1) * sizeof(char *));
			(*ids_r)[(*n_r)++] = id;
		}
		p = close + 1;
	}
}

static int64_t
parse_date(const char *value)
{
	struct mailimf_date_time *dt = NULL;
	size_t idx = 0;
	struct tm tm;
	int64_t t;

	if (mailimf_date_time_parse(value, strlen(value), &idx, &dt) !=
	    MAILIMF_NO_ERROR)
		return 0;
	/* libetpan takes any number: a year or zone out of range is no
	   date (and no signed overflow below). */
	if (dt->dt_year < 1900 || dt->dt_year > 9999 || dt->dt_month < 1 ||
	    dt->dt_month > 12 || dt->dt_day < 1 || dt->dt_day > 31 ||
	    dt->dt_hour < 0 || dt->dt_hour > 23 || dt->dt_min < 0 ||
	    dt->dt_min > 59 || dt->dt_sec < 0 || dt->dt_sec > 60 ||
	    dt->dt_zone < -9959 || dt->dt_zone > 9959) {
		mailimf_date_time_free(dt);
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = dt->dt_year - 1900;
	tm.tm_mon = dt->dt_month - 1;
	tm.tm_mday = dt->dt_day;
	tm.tm_hour = dt->dt_hour;
	tm.tm_min = dt->dt_min;
	tm.tm_sec = dt->dt_sec;
	t = (int64_t)timegm(&tm);
	/* Zone is +hhmm as a number: 200 is two hours east. */
	t -= (dt->dt_zone / 100) * 3600 + (dt->dt_zone % 100) * 60;
	mailimf_date_time_free(dt);
	return t > 0 ? t : 0;
}

void
mime_read_envelope(struct mime_message *m)
{
	const char *v;
	char **ids = NULL;
	size_t n = 0;

	first_address(mime_header(m, "From"), &m->from);
	first_address(mime_header(m, "Sender"), &m->sender);
	first_address(mime_header(m, "Reply-To"), &m->reply_to);
	if ((v = mime_header(m, "To")) != NULL)
		mime_parse_addresses(v, &m->to, &m->nto);
	if ((v = mime_header(m, "Cc")) != NULL)
		mime_parse_addresses(v, &m->cc, &m->ncc);
	if ((v = mime_header(m, "Subject")) != NULL) {
		m->subject = one_line(mime_decode_words(v,
							&m->charset_replaced));
	}
	if ((v = mime_header(m, "Message-ID")) != NULL) {
		parse_ids(v, &ids, &n);
		if (n > 0)
			m->message_id = ids[0];
		for (size_t i = 1; i < n; i++)
			free(ids[i]);
		free(ids);
		ids = NULL;
		n = 0;
	}
	if ((v = mime_header(m, "In-Reply-To")) != NULL) {
		parse_ids(v, &ids, &n);
		if (n > 0)
			m->in_reply_to = xstrdup(ids[0]);
		for (size_t i = 0; i < n; i++)
			free(ids[i]);
		free(ids);
	}
	if ((v = mime_header(m, "References")) != NULL)
		parse_ids(v, &m->references, &m->nreferences);
	if ((v = mime_header(m, "Date")) != NULL)
		m->date = parse_date(v);
	if ((v = mime_header(m, "Return-Path")) != NULL) {
		char *id = bare_id(v, strlen(v));

		m->has_return_path = 1;
		m->return_path = id != NULL ? id : xstrdup("");
	}
}

int64_t
mime_received_time(const struct mime_message *msg, int64_t not_before,
		   int64_t not_after)
{
	const char *v = mime_header(msg, "Received"), *semi;
	int64_t t;

	if (v == NULL || (semi = strrchr(v, ';')) == NULL)
		return 0;
	t = parse_date(semi + 1);
	return t >= not_before && t <= not_after ? t : 0;
}
