/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mailout.h"

#include "util.h"

#include <idn2.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define LINE_MAX_LEN 76	   /* folded header lines and QP lines */
#define WORD_MAX_LEN 75	   /* one encoded word (RFC 2047 section 2) */
#define LINE_HARD_MAX 998  /* any line (RFC 5322 2.1.1) */

struct buf {
	char *p;
	size_t len, cap;
};

/* Room for N more bytes and the NUL. */
static void
buf_need(struct buf *b, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
}

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	buf_need(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void
buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

static const char hex[] = "0123456789ABCDEF";

static void
buf_addhex(struct buf *b, unsigned char c)
{
	char e[3] = { '=', hex[c >> 4], hex[c & 15] };

	buf_add(b, e, 3);
}

/* --- addresses and ids ---------------------------------------------- */

/* Whether S..E holds only characters an unquoted address may have. */
static int
plain_chars(const char *s, const char *e)
{
	for (const char *p = s; p < e; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c >= 0x7f || strchr("<>\"(),;:[]\\", c) != NULL)
			return 0;
	}
	return 1;
}

static int
needs_idn(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s >= 0x80)
			return 1;
	}
	return 0;
}

int
mailout_address_ok(const char *addr)
{
	const char *at, *p;

	if (strlen(addr) > MAILOUT_ADDRESS_MAX)
		return 0;
	/* A quoted local part ("kalle..k"@exempel.se, RFC 5321 4.1.2):
	   printable ASCII and spaces, a backslash quoting the next one. */
	if (addr[0] == '"') {
		for (p = addr + 1; *p != '"'; p++) {
			if (*p == '\\')
				p++;
			if ((unsigned char)*p < ' ' || (unsigned char)*p >= 0x7f)
				return 0;
		}
		at = p + 1;
		if (*at != '@')
			return 0;
	} else {
		at = strchr(addr, '@');
		if (at == NULL || at == addr || !plain_chars(addr, at))
			return 0;
	}
	return at[1] != '\0' && strchr(at + 1, '@') == NULL &&
	       plain_chars(at + 1, at + strlen(at));
}

char *
mailout_address_ascii(const char *addr)
{
	const char *at = strrchr(addr, '@');
	char *domain = NULL, *out;

	if (at == NULL || !needs_idn(addr))
		return xstrdup(addr);
	/* the local part stays as it is: one that is not ASCII needs
	   SMTPUTF8, which we do not speak */
	for (const char *p = addr; p < at; p++) {
		if ((unsigned char)*p >= 0x80)
			return NULL;
	}
	if (idn2_to_ascii_8z(at + 1, &domain,
			     IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) != IDN2_OK) {
		idn2_free(domain);
		return NULL;
	}
	out = xasprintf("%.*s@%s", (int)(at - addr), addr, domain);
	idn2_free(domain);
	return out;
}

/* A msg-id without brackets: dot-atom-ish "left@right", printable
   ASCII without spaces or brackets. */
static int
message_id_ok(const char *id)
{
	const char *at = strchr(id, '@');

	if (at == NULL || at == id || at[1] == '\0' || strlen(id) > 250)
		return 0;
	for (const char *p = id; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '"' ||
		    c == '\\')
			return 0;
	}
	return 1;
}

char *
mailout_new_message_id(const char *address)
{
	const char *at = address != NULL ? strrchr(address, '@') : NULL;
	unsigned char r[12];
	char h[2 * sizeof(r) + 1];

	random_bytes(r, sizeof(r));
	for (size_t i = 0; i < sizeof(r); i++) {
		h[2 * i] = (char)(hex[r[i] >> 4] | 0x20);
		h[2 * i + 1] = (char)(hex[r[i] & 15] | 0x20);
	}
	h[2 * sizeof(r)] = '\0';
	return xasprintf("cirm.%s%s", h, at != NULL && at[1] != '\0' ? at :
			 "@cirm.invalid");
}

/* Splits "Name <addr>" (or a bare address) into its parts, both owned;
   a quoted name loses its quotes. -1 when there is no usable address. */
static int
split_mailbox(const char *value, char **name_r, char **addr_r)
{
	const char *lt = strrchr(value, '<'), *gt;
	size_t n;
	char *name;

	*name_r = *addr_r = NULL;
	if (lt == NULL) {
		while (*value == ' ')
			value++;
		n = strlen(value);
		while (n > 0 && value[n - 1] == ' ')
			n--;
		*addr_r = xstrndup(value, n);
	} else {
		gt = strchr(lt, '>');
		if (gt == NULL)
			return -1;
		*addr_r = xstrndup(lt + 1, (size_t)(gt - lt - 1));
		while (*value == ' ')
			value++;
		n = (size_t)(lt - value);
		while (n > 0 && value[n - 1] == ' ')
			n--;
		name = xmalloc(n + 1);
		if (n >= 2 && value[0] == '"' && value[n - 1] == '"') {
			size_t j = 0;

			for (size_t i = 1; i + 1 < n; i++) {
				if (value[i] == '\\' && i + 2 < n)
					i++;
				name[j++] = value[i];
			}
			name[j] = '\0';
		} else {
			memcpy(name, value, n);
			name[n] = '\0';
		}
		*name_r = name;
	}
	if (!mailout_address_ok(*addr_r)) {
		free(*name_r);
		free(*addr_r);
		*name_r = *addr_r = NULL;
		return -1;
	}
	return 0;
}

/* --- header fields -------------------------------------------------- */

/* A copy of V with every control character a space: CR and LF above
   all, so that no value can end its field and start another. */
static char *
sanitize(const char *v)
{
	char *s = xstrdup(v);

	for (char *p = s; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	return s;
}

static int
needs_encoding(const char *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)w[i] >= 0x80 ||
		    (w[i] == '=' && i + 1 < n && w[i + 1] == '?'))
			return 1;
	}
	return 0;
}

/* Whether byte C stands for itself in a Q encoded word: in a phrase
   (a display name) only letters, digits and !*+-/ (RFC 2047 5(3)). */
static int
q_literal(unsigned char c, int phrase)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	if (phrase)
		return strchr("!*+-/", c) != NULL;
	return c > ' ' && c < 0x7f && c != '=' && c != '?' && c != '_';
}

static size_t
q_len(unsigned char c, int phrase)
{
	return c == ' ' || q_literal(c, phrase) ? 1 : 3;
}

/* Bytes of the UTF-8 character at S (1 for a stray byte). */
static size_t
char_len(const unsigned char *s, size_t n)
{
	size_t k = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 1;

	if (k > n)
		return 1;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 1;
	}
	return k;
}

static void
b64_chunk(struct buf *b, const unsigned char *s, size_t n)
{
	static const char a[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16;
		char o[4];

		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		o[0] = a[v >> 18];
		o[1] = a[(v >> 12) & 63];
		o[2] = i + 1 < n ? a[(v >> 6) & 63] : '=';
		o[3] = i + 2 < n ? a[v & 63] : '=';
		buf_add(b, o, 4);
	}
}

struct folder {
	struct buf *b;
	size_t line;  /* characters on the current line */
	size_t start; /* line length right after "Name:" */
};

/* Adds TOKEN after a space, folding before it when it would make the
   line too long (never before an empty token: no blank lines). */
static void
fold_add(struct folder *f, const char *tok, size_t n)
{
	if (n > 0 && f->line > f->start && f->line + 1 + n > LINE_MAX_LEN) {
		buf_add(f->b, "\r\n", 2);
		f->line = 0;
	}
	buf_addc(f->b, ' ');
	buf_add(f->b, tok, n);
	f->line += 1 + n;
}

/* Encodes S (N bytes) as encoded words, each holding whole characters
   and fitting on its line. */
static void
encode_run(struct folder *f, const unsigned char *s, size_t n, int phrase)
{
	size_t qlen = 0, pos = 0;
	int b64;

	for (size_t i = 0; i < n; i++)
		qlen += q_len(s[i], phrase);
	b64 = qlen > (n + 2) / 3 * 4;
	while (pos < n) {
		struct buf w = { 0 };
		size_t room = f->line + 1 < LINE_MAX_LEN ?
			LINE_MAX_LEN - 1 - f->line : 0;

		/* Too little room left: the word goes on a new line. */
		if (f->line > f->start && room < 20)
			room = WORD_MAX_LEN;
		if (room > WORD_MAX_LEN)
			room = WORD_MAX_LEN;
		if (room < 16)
			room = 16;
		size_t end = pos, cost = 0;

		room -= 12; /* =?UTF-8?X? and ?= */
		while (end < n) {
			size_t k = char_len(s + end, n - end), c = 0;

			if (b64)
				c = (end - pos + k + 2) / 3 * 4;
			else
				for (size_t i = 0; i < k; i++)
					c += q_len(s[end + i], phrase);
			if ((b64 ? c : cost + c) > room && end > pos)
				break;
			cost = b64 ? c : cost + c;
			end += k;
		}
		buf_adds(&w, b64 ? "=?UTF-8?B?" : "=?UTF-8?Q?");
		if (b64)
			b64_chunk(&w, s + pos, end - pos);
		else
			for (size_t i = pos; i < end; i++) {
				if (s[i] == ' ')
					buf_addc(&w, '_');
				else if (q_literal(s[i], phrase))
					buf_addc(&w, (char)s[i]);
				else
					buf_addhex(&w, s[i]);
			}
		buf_adds(&w, "?=");
		fold_add(f, w.p, w.len);
		free(w.p);
		pos = end;
	}
}

/* Unstructured text: each run of words that need it goes into encoded
   words; the others stay as they are, so that the case tag in a subject
   is readable in the raw mail. Runs are apart by a plain word at least,
   since white space between two encoded words is not part of the text. */
static void
add_unstructured(struct folder *f, const char *value, int phrase)
{
	size_t n = 1, k = 0;
	const char **w;
	size_t *len;
	char *enc;

	for (const char *p = value; *p != '\0'; p++)
		n += *p == ' ';
	w = xcalloc(n, sizeof(*w));
	len = xcalloc(n, sizeof(*len));
	enc = xcalloc(n, 1);
	for (const char *p = value;; k++) {
		w[k] = p;
		len[k] = strcspn(p, " ");
		/* A word too long for any line goes in encoded words, which
		   fold: servers refuse lines over 998 octets. */
		enc[k] = (char)(needs_encoding(p, len[k]) ||
				f->start + 1 + len[k] > LINE_HARD_MAX);
		p += len[k];
		if (*p == '\0')
			break;
		p++;
	}
	n = k + 1;
	/* Empty words (double spaces) between two encoded ones join them. */
	for (size_t i = 0; i < n; i++) {
		size_t j = i;

		if (len[i] > 0 || i == 0 || !enc[i - 1])
			continue;
		while (j < n && len[j] == 0)
			j++;
		if (j < n && enc[j])
			for (; i < j; i++)
				enc[i] = 1;
	}
	for (size_t i = 0; i < n;) {
		size_t j = i;

		if (!enc[i]) {
			fold_add(f, w[i], len[i]);
			i++;
			continue;
		}
		while (j + 1 < n && enc[j + 1])
			j++;
		encode_run(f, (const unsigned char *)w[i],
			   (size_t)(w[j] + len[j] - w[i]), phrase);
		i = j + 1;
	}
	free(w);
	free(len);
	free(enc);
}

static int
atext_phrase(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == ' ' ||
		      strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL))
			return 0;
	}
	return 1;
}

static void
add_mailbox(struct folder *f, const char *name, const char *addr)
{
	char *a = xasprintf("<%s>", addr);

	if (name == NULL || *name == '\0') {
		fold_add(f, addr, strlen(addr));
		free(a);
		return;
	}
	/* too long for a line as a quoted string or atoms: encoded words
	   fold anywhere */
	if (needs_encoding(name, strlen(name)) ||
	    f->start + 3 + strlen(name) > LINE_HARD_MAX)
		encode_run(f, (const unsigned char *)name, strlen(name), 1);
	else if (atext_phrase(name) && strstr(name, "  ") == NULL &&
		 name[0] != ' ')
		add_unstructured(f, name, 0);
	else {
		struct buf q = { 0 };

		buf_addc(&q, '"');
		for (const char *p = name; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				buf_addc(&q, '\\');
			buf_addc(&q, *p);
		}
		buf_addc(&q, '"');
		fold_add(f, q.p, q.len);
		free(q.p);
	}
	fold_add(f, a, strlen(a));
	free(a);
}

static void
field_start(struct folder *f, struct buf *b, const char *name)
{
	f->b = b;
	buf_adds(b, name);
	buf_addc(b, ':');
	f->line = f->start = strlen(name) + 1;
}

char *
mailout_header(const char *name, const char *value)
{
	struct buf b = { 0 };
	struct folder f;
	char *v = sanitize(value);

	field_start(&f, &b, name);
	add_unstructured(&f, v, 0);
	buf_add(&b, "\r\n", 2);
	free(v);
	return b.p;
}

/* Structured fields of ASCII tokens (In-Reply-To, References,
   Auto-Submitted): folded between tokens; -1 when not ASCII. */
static int
add_tokens(struct folder *f, const char *v)
{
	const char *p = v;

	if (needs_encoding(v, strlen(v)))
		return -1;
	while (*p != '\0') {
		size_t n;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n > 0)
			fold_add(f, p, n);
		p += n;
	}
	return 0;
}

/* The ids of an In-Reply-To or References value V that can go out as
   they are, "<a@b> <c@d>"; NULL when none can. They come from the mail
   being answered, whose Message-ID its sender chose: one that is not
   ASCII (RFC 6532 allows it) or otherwise unusable is only a hint for
   threading, so it is left out rather than the mail given up. */
static char *
usable_ids(const char *v)
{
	struct buf b = { 0 };

	for (const char *p = v; (p = strchr(p, '<')) != NULL;) {
		const char *close = strchr(p + 1, '>');
		char *id;

		if (close == NULL)
			break;
		id = xstrndup(p + 1, (size_t)(close - p - 1));
		if (message_id_ok(id)) {
			if (b.len > 0)
				buf_addc(&b, ' ');
			buf_addc(&b, '<');
			buf_adds(&b, id);
			buf_addc(&b, '>');
		}
		free(id);
		p = close + 1;
	}
	return b.p;
}

/* --- the row's own fields ------------------------------------------- */

enum field_kind { F_DROP, F_MAILBOX, F_TOKENS, F_TEXT };

static enum field_kind
field_kind(const char *name)
{
	static const char *const mailbox[] = { "From", "Reply-To", "Sender" };
	static const char *const tokens[] = { "In-Reply-To", "References",
					      "Auto-Submitted", "Precedence" };

	for (size_t i = 0; i < N_ELEMENTS(mailbox); i++)
		if (strcasecmp(name, mailbox[i]) == 0)
			return F_MAILBOX;
	for (size_t i = 0; i < N_ELEMENTS(tokens); i++)
		if (strcasecmp(name, tokens[i]) == 0)
			return F_TOKENS;
	/* Our own extension fields pass; anything else (To, Cc, Bcc,
	   Subject, Date, Content-*, ...) is ours to write, or not ours at
	   all. */
	if (strncasecmp(name, "X-", 2) == 0)
		return F_TEXT;
	return F_DROP;
}

static int
field_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] <= ' ' || s[i] >= 0x7f || s[i] == ':')
			return 0;
	}
	return 1;
}

/* Adds the row's header lines; *from_r tells whether a From came. */
static int
add_row_headers(struct buf *b, const char *headers, int *from_r,
		char **error_r)
{
	const char *p = headers;
	int n = 0;

	*from_r = 0;
	while (p != NULL && *p != '\0' && n < MAILOUT_HEADERS_MAX) {
		size_t len = strcspn(p, "\n");
		char *line = xstrndup(p, len), *colon = strchr(line, ':'), *v;
		struct folder f;
		enum field_kind k;

		p += len + (p[len] == '\n');
		if (colon == NULL || !field_name_ok(line, (size_t)(colon - line))) {
			free(line);
			continue;
		}
		*colon = '\0';
		k = field_kind(line);
		if (k == F_DROP || (strcasecmp(line, "From") == 0 && *from_r)) {
			free(line);
			continue;
		}
		v = sanitize(colon + 1);
		if (strcasecmp(line, "In-Reply-To") == 0 ||
		    strcasecmp(line, "References") == 0) {
			char *ids = usable_ids(v);

			free(v);
			if (ids == NULL) {
				free(line);
				continue;
			}
			v = ids;
		}
		field_start(&f, b, line);
		if (k == F_MAILBOX) {
			char *name, *addr;

			if (split_mailbox(v, &name, &addr) < 0) {
				*error_r = xasprintf("the %s field has no usable "
						     "address", line);
				free(v);
				free(line);
				return -1;
			}
			add_mailbox(&f, name, addr);
			free(name);
			free(addr);
			if (strcasecmp(line, "From") == 0)
				*from_r = 1;
		} else if (k == F_TOKENS) {
			if (add_tokens(&f, v) < 0) {
				*error_r = xasprintf("the %s field is not ASCII", line);
				free(v);
				free(line);
				return -1;
			}
		} else {
			char *t = v + strspn(v, " ");

			add_unstructured(&f, t, 0);
		}
		buf_add(b, "\r\n", 2);
		/* Exchange and Outlook heed their own field, not RFC 3834's:
		   without it a handler away answers every notification with
		   an out-of-office mail. Delivery reports are still asked
		   for: a bounce must come back. */
		if (strcasecmp(line, "Auto-Submitted") == 0 &&
		    strcasecmp(v + strspn(v, " "), "no") != 0)
			buf_adds(b, "X-Auto-Response-Suppress: OOF, "
				    "AutoReply\r\n");
		free(v);
		free(line);
		n++;
	}
	return 0;
}

/* The mailbox of the row's first FIELD line: 0 with *NAME_R (NULL when
   none) and *ADDR_R, or -1 when there is none usable. */
static int
row_mailbox(const char *headers, const char *field, char **name_r,
	    char **addr_r)
{
	size_t flen = strlen(field);
	const char *p = headers;

	*name_r = *addr_r = NULL;
	while (p != NULL && *p != '\0') {
		size_t len = strcspn(p, "\n");

		if (len > flen && strncasecmp(p, field, flen) == 0 &&
		    p[flen] == ':') {
			char *line = xstrndup(p + flen + 1, len - flen - 1);
			char *v = sanitize(line);
			int r = split_mailbox(v, name_r, addr_r);

			free(line);
			free(v);
			if (r < 0) {
				free(*name_r);
				free(*addr_r);
				*name_r = *addr_r = NULL;
			}
			return r;
		}
		p += len + (p[len] == '\n');
	}
	return -1;
}

char *
mailout_from_address(const char *headers)
{
	char *name, *addr;

	if (row_mailbox(headers, "From", &name, &addr) < 0)
		return NULL;
	free(name);
	return addr;
}

char *
mailout_row_mailbox(const char *field, const char *name, const char *addr)
{
	char *n = sanitize(name), *a = sanitize(addr);
	char *line = xasprintf("%s: %s <%s>\n", field, n, a);

	free(n);
	free(a);
	return line;
}

/* To: the recipient, with the name the row's To line gives it when
   that line names the same address ("Anna Svensson <anna@...>"): a
   mail program shows the name, and a bare address reads as a form
   letter. The row can never send the mail elsewhere. */
static void
add_to(struct buf *b, const struct mailout *m)
{
	char *name = NULL, *addr = NULL;
	struct folder f;

	if (row_mailbox(m->headers, "To", &name, &addr) < 0 ||
	    strcasecmp(addr, m->recipient) != 0) {
		free(name);
		name = NULL;
	}
	free(addr);
	field_start(&f, b, "To");
	if (name != NULL && *name != '\0') {
		add_mailbox(&f, name, m->recipient);
	} else {
		char *a = xasprintf("<%s>", m->recipient);

		fold_add(&f, a, strlen(a));
		free(a);
	}
	buf_add(b, "\r\n", 2);
	free(name);
}

/* --- body ----------------------------------------------------------- */

/* Quoted-printable, written straight into the buffer: most characters
   are copied as they are, and a call per character cost more than the
   rest of composing a mail. */
char *
mailout_qp(const char *text, size_t len, size_t *len_r)
{
	struct buf b = { 0 };
	size_t i = 0;

	buf_need(&b, len + len / 8 + 16);
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t end = nl != NULL ? (size_t)(nl - text) : len, n = end - i;
		size_t col = 0, rest = 0;

		if (nl != NULL && n > 0 && text[end - 1] == '\r')
			n--;
		for (size_t j = 0; j < n; j++) {
			unsigned char c = (unsigned char)text[i + j];
			int last = j + 1 == n, enc;
			size_t w, k = 1;

			enc = c == '=' || c < ' ' || c >= 0x7f;
			if ((c == ' ' || c == '\t') && last)
				enc = 1;
			if (c == '\t' && !last)
				enc = 0;
			/* At the start of a physical line: a dot (SMTP) and
			   "From " (mbox) are written encoded. */
			if (col == 0 && (c == '.' || (c == 'F' && n - j >= 5 &&
					memcmp(text + i + j, "From ", 5) == 0)))
				enc = 1;
			buf_need(&b, 6); /* a soft break and =XX */
			/* A UTF-8 character goes on one line whole: clients
			   that decode line by line would show a split one
			   as two wrong ones. */
			w = enc ? 3 : 1;
			if (rest > 0) {
				rest--;
				w = 0;
			} else if (c >= 0xc0) {
				k = char_len((const unsigned char *)text + i + j,
					     n - j);
				rest = k - 1;
				w = 3 * k;
			}
			/* Room for the soft break's '=', except on a line's
			   last character before a real line end (text
			   without a final newline ends in a soft break). */
			if (w > 0 && col + w > (j + k == n && nl != NULL ?
						LINE_MAX_LEN :
						LINE_MAX_LEN - 1)) {
				memcpy(b.p + b.len, "=\r\n", 3);
				b.len += 3;
				col = 0;
				if (c == '.' || (c == 'F' && n - j >= 5 &&
				    memcmp(text + i + j, "From ", 5) == 0))
					enc = 1;
			}
			if (enc) {
				b.p[b.len++] = '=';
				b.p[b.len++] = hex[c >> 4];
				b.p[b.len++] = hex[c & 15];
			} else
				b.p[b.len++] = (char)c;
			col += enc ? 3 : 1;
		}
		buf_need(&b, 3);
		if (nl != NULL) {
			memcpy(b.p + b.len, "\r\n", 2);
			b.len += 2;
		} else {
			memcpy(b.p + b.len, "=\r\n", 3); /* no newline at the end */
			b.len += 3;
		}
		i = end + (nl != NULL);
	}
	b.p[b.len] = '\0';
	*len_r = b.len;
	return b.p;
}

/* --- the message ---------------------------------------------------- */

void
mailout_date(int64_t t, char buf[64])
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
					    "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
					      "Jun", "Jul", "Aug", "Sep", "Oct",
					      "Nov", "Dec" };
	time_t tt = (time_t)t;
	struct tm tm;
	long off;

	localtime_r(&tt, &tm);
	off = tm.tm_gmtoff / 60;
	snprintf(buf, 64, "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld",
		 days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
}

/* --- attachments ------------------------------------------------------ */

static void
new_boundary(char out[40])
{
	unsigned char r[12];

	random_bytes(r, sizeof(r));
	memcpy(out, "=_cirm_", 7);
	for (size_t i = 0; i < sizeof(r); i++) {
		out[7 + 2 * i] = hex[r[i] >> 4];
		out[7 + 2 * i + 1] = hex[r[i] & 15];
	}
	out[7 + 2 * sizeof(r)] = '\0';
}

/* A charset name we can write as it is (RFC 2978 mime-charset). */
static bool
charset_ok(const char *cs)
{
	static const char also[] = "!#$%&'+-^_`{}~";
	size_t n = 0;

	for (const char *p = cs; *p != '\0'; p++, n++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr(also, *p) != NULL))
			return false;
	return n > 0 && n <= 40;
}

/* A content type we can write as it is: token "/" token, lower case. */
static bool
content_type_ok(const char *t)
{
	static const char tspecials[] = "()<>@,;:\\\"/[]?= ";
	size_t slashes = 0, n = 0;

	for (const char *p = t; p != NULL && *p != '\0'; p++, n++) {
		if (*p == '/') {
			slashes++;
			if (p == t || p[1] == '\0')
				return false;
			continue;
		}
		if (*p <= ' ' || *p >= 127 || strchr(tspecials, *p) != NULL)
			return false;
	}
	return slashes == 1 && n <= 127;
}

/* NAME without its path: nothing but the name may leave (RFC 2183
   2.3), not a Windows one's folders (C:\Users\login\...) either. */
static const char *
file_base(const char *name)
{
	for (const char *p = name; *p != '\0'; p++) {
		if (*p == '/' || *p == '\\')
			name = p + 1;
	}
	return name;
}

/* The longest file name that goes as a plain quoted string, on a line
   of its own within LINE_MAX_LEN. */
#define FILENAME_PLAIN_MAX 60
/* Bytes of a file name in one encoded word of the name parameter: 56
   characters of base64, on a line within LINE_MAX_LEN. */
#define FILENAME_WORD_BYTES 42

/* Whether NAME can go as a plain quoted string: printable ASCII, no
   quote nor backslash, and short. */
static bool
filename_plain(const char *name)
{
	size_t n = 0;

	for (const char *p = name; *p != '\0'; p++, n++)
		if (*p < ' ' || *p > '~' || *p == '"' || *p == '\\')
			return false;
	return n > 0 && n <= FILENAME_PLAIN_MAX;
}

/* Content-Type's name parameter: plain, else in encoded words (RFC
   2047) inside the quotes. That is not what RFC 2231 says, but it is
   what Outlook reads over IMAP and POP, and what it and Gmail send: a
   client that knows no RFC 2231 showed "Untitled attachment" or
   "ATT00001.bin" where the file had a name. */
static void
add_type_name(struct buf *b, const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n = strlen(name);

	if (filename_plain(name)) {
		buf_adds(b, ";\r\n name=\"");
		buf_adds(b, name);
		buf_addc(b, '"');
		return;
	}
	buf_adds(b, ";\r\n name=\"");
	for (size_t pos = 0; pos < n;) {
		size_t end = pos;

		while (end < n) {
			size_t k = char_len(s + end, n - end);

			if (end + k - pos > FILENAME_WORD_BYTES && end > pos)
				break;
			end += k;
		}
		if (pos > 0)
			buf_adds(b, "\r\n ");
		buf_adds(b, "=?UTF-8?B?");
		b64_chunk(b, s + pos, end - pos);
		buf_adds(b, "?=");
		pos = end;
	}
	buf_addc(b, '"');
}

/* The file name in Content-Disposition: plain when it can be, else as
   an RFC 2231 parameter (UTF-8, percent-encoded, in numbered sections
   on lines of their own so no line grows long), so that
   "Åtgärdsplan.pdf" arrives as it was named. */
static void
add_filename(struct buf *b, const char *name)
{
	struct buf enc = { 0 };
	size_t i = 0;
	int section = 0;

	if (filename_plain(name)) {
		buf_adds(b, ";\r\n filename=\"");
		buf_adds(b, name);
		buf_addc(b, '"');
		return;
	}
	for (const unsigned char *p = (const unsigned char *)name; *p != '\0';
	     p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("!#$&+-.^_`|~", *p))
			buf_addc(&enc, (char)*p);
		else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };

			buf_add(&enc, e, 3);
		}
	}
	while (i < enc.len) {
		size_t n = enc.len - i < 48 ? enc.len - i : 48;
		char *h;

		/* never split a %XX */
		if (n < enc.len - i && enc.p[i + n - 1] == '%')
			n--;
		else if (n < enc.len - i && n >= 2 && enc.p[i + n - 2] == '%')
			n -= 2;
		h = xasprintf(";\r\n filename*%d*=%s%.*s", section,
			      section == 0 ? "UTF-8''" : "", (int)n, enc.p + i);
		buf_adds(b, h);
		free(h);
		i += n;
		section++;
	}
	free(enc.p);
}

/* Whether D (LEN bytes) can go as 7bit: ASCII without NUL or a bare
   CR, in lines of at most LINE_HARD_MAX octets. */
static bool
lines_7bit(const unsigned char *d, size_t len)
{
	size_t col = 0;

	for (size_t i = 0; i < len; i++) {
		if (d[i] == '\n') {
			col = 0;
			continue;
		}
		if (d[i] == 0 || d[i] >= 0x80 ||
		    (d[i] == '\r' && (i + 1 == len || d[i + 1] != '\n')))
			return false;
		if (d[i] != '\r' && ++col > LINE_HARD_MAX)
			return false;
	}
	return true;
}

/* Whether D (LEN bytes) is text with letters beyond ASCII, all of it
   well-formed UTF-8 (no NUL). */
static bool
utf8_beyond_ascii(const unsigned char *d, size_t len)
{
	bool beyond = false;

	for (size_t i = 0; i < len;) {
		size_t n = d[i] < 0x80 ? 1 : d[i] >= 0xc2 && d[i] <= 0xdf ? 2 :
			d[i] >= 0xe0 && d[i] <= 0xef ? 3 :
			d[i] >= 0xf0 && d[i] <= 0xf4 ? 4 : 0;

		if (n == 0 || d[i] == 0 || i + n > len)
			return false;
		for (size_t k = 1; k < n; k++)
			if ((d[i + k] & 0xc0) != 0x80)
				return false;
		if ((n == 3 && ((d[i] == 0xe0 && d[i + 1] < 0xa0) ||
				(d[i] == 0xed && d[i + 1] >= 0xa0))) ||
		    (n == 4 && ((d[i] == 0xf0 && d[i + 1] < 0x90) ||
				(d[i] == 0xf4 && d[i + 1] >= 0x90))))
			return false;
		beyond = beyond || n > 1;
		i += n;
	}
	return beyond;
}

/* An enclosed mail of 7-bit lines, as it is with CRLF line ends. */
static void
add_7bit(struct buf *b, const unsigned char *d, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (d[i] == '\r')
			continue;
		if (d[i] == '\n')
			buf_add(b, "\r\n", 2);
		else
			buf_addc(b, (char)d[i]);
	}
	if (len > 0 && d[len - 1] != '\n')
		buf_add(b, "\r\n", 2);
}

static void
add_attachment(struct buf *b, const struct mailout_attachment *a,
	       const char *boundary)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *d = a->data;
	const char *type = content_type_ok(a->content_type) ?
		a->content_type : "application/octet-stream";
	const char *charset = NULL;
	bool as_is = false;
	char *h;

	/* A composite type may not be base64 (RFC 2045 6.4, RFC 2046
	   5.2.1), and a client reads one that is as a broken mail: an
	   enclosed mail (a decision forwarded as an attachment) goes as
	   it is when it can go as 7bit, else as a file, which the
	   citizen can still open. */
	if (strcmp(type, "message/rfc822") == 0 && lines_7bit(d, a->len))
		as_is = true;
	else if (strncmp(type, "message/", 8) == 0 ||
		 strncmp(type, "multipart/", 10) == 0)
		type = "application/octet-stream";
	/* Without a charset a text part is US-ASCII (RFC 2046 4.1.2):
	   clients showing it inline made "Å" of a UTF-8 file "Ã…". The
	   charset the file came with goes on; else UTF-8 where it is
	   certain. */
	if (strncmp(type, "text/", 5) != 0)
		charset = NULL;
	else if (a->charset != NULL && charset_ok(a->charset))
		charset = a->charset;
	else if (utf8_beyond_ascii(d, a->len))
		charset = "UTF-8";
	const char *name = a->filename != NULL ? file_base(a->filename) : "";

	h = xasprintf("\r\n--%s\r\nContent-Type: %s%s%s", boundary, type,
		      charset != NULL ? "; charset=" : "",
		      charset != NULL ? charset : "");
	buf_adds(b, h);
	free(h);
	if (*name != '\0')
		add_type_name(b, name);
	buf_adds(b, as_is ? "\r\nContent-Transfer-Encoding: 7bit\r\n" :
		 "\r\nContent-Transfer-Encoding: base64\r\n");
	buf_adds(b, "Content-Disposition: attachment");
	if (*name != '\0')
		add_filename(b, name);
	buf_adds(b, "\r\n\r\n");
	if (as_is) {
		add_7bit(b, d, a->len);
		return;
	}
	/* 57 bytes make a line of 76 characters. */
	for (size_t i = 0; i < a->len; i += 57) {
		size_t n = a->len - i < 57 ? a->len - i : 57;

		for (size_t k = 0; k < n; k += 3) {
			unsigned v = (unsigned)d[i + k] << 16;
			char q[4];

			if (k + 1 < n)
				v |= (unsigned)d[i + k + 1] << 8;
			if (k + 2 < n)
				v |= d[i + k + 2];
			q[0] = b64[(v >> 18) & 63];
			q[1] = b64[(v >> 12) & 63];
			q[2] = k + 1 < n ? b64[(v >> 6) & 63] : '=';
			q[3] = k + 2 < n ? b64[v & 63] : '=';
			buf_add(b, q, 4);
		}
		buf_adds(b, "\r\n");
	}
}

int
mailout_compose(const struct mailout *m, char **msg_r, size_t *len_r,
		char **error_r)
{
	struct buf b = { 0 };
	char date[64], *h, *qp, boundary[40];
	size_t qplen;
	int from;

	if (m->recipient == NULL || !mailout_address_ok(m->recipient)) {
		*error_r = xstrdup("the recipient is not a usable mail address");
		return -1;
	}
	if (m->message_id == NULL || !message_id_ok(m->message_id)) {
		*error_r = xstrdup("the Message-ID is not usable");
		return -1;
	}
	if (add_row_headers(&b, m->headers, &from, error_r) < 0) {
		free(b.p);
		return -1;
	}
	if (!from) {
		free(b.p);
		*error_r = xstrdup("the message has no From field");
		return -1;
	}
	add_to(&b, m);
	h = mailout_header("Subject", m->subject != NULL ? m->subject : "");
	buf_adds(&b, h);
	free(h);
	mailout_date(m->date, date);
	h = xasprintf("Date: %s\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\n",
		      date, m->message_id);
	buf_adds(&b, h);
	free(h);
	if (m->nattachments > 0) {
		/* "=_" never occurs in quoted-printable or base64 text. */
		new_boundary(boundary);
		h = xasprintf("Content-Type: multipart/mixed; boundary=\"%s\"\r\n"
			      "\r\nThis is a message in MIME format.\r\n"
			      "\r\n--%s\r\n", boundary, boundary);
		buf_adds(&b, h);
		free(h);
	}
	buf_adds(&b, "Content-Type: text/plain; charset=UTF-8\r\n"
		     "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	qp = mailout_qp(m->body != NULL ? m->body : "",
			m->body != NULL ? strlen(m->body) : 0, &qplen);
	buf_add(&b, qp, qplen);
	free(qp);
	for (size_t i = 0; i < m->nattachments; i++)
		add_attachment(&b, &m->attachments[i], boundary);
	if (m->nattachments > 0) {
		h = xasprintf("\r\n--%s--\r\n", boundary);
		buf_adds(&b, h);
		free(h);
	}
	*msg_r = b.p;
	*len_r = b.len;
	return 0;
}

char *
mailout_message_id(int64_t now, const char *number, const char *what,
		   const char *address)
{
	const char *at = address != NULL ? strrchr(address, '@') : NULL;
	unsigned char r[8];
	char tail[2 * sizeof(r) + 1];

	random_bytes(r, sizeof(r));
	for (size_t i = 0; i < sizeof(r); i++) {
		tail[2 * i] = "0123456789abcdef"[r[i] >> 4];
		tail[2 * i + 1] = "0123456789abcdef"[r[i] & 15];
	}
	tail[2 * sizeof(r)] = '\0';
	/* The time first, fixed width: the Message-ID indexes of message
	   and outbox then grow at their end, where the pages of the last
	   messages are, instead of one page per message somewhere among
	   all the cases' (the case number first made each insert land by
	   its case). The random part keeps it unique and unguessable. */
	return xasprintf("%010lld.%s.%s.%s%s", (long long)now, number, what,
			 tail, at != NULL ? at : "@cirm.invalid");
}
