/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A citizen's mail that a case officer forwarded to the case address,
   as mail clients forward: attached whole (message/rfc822), or inline
   below a block of the original's header fields, in Swedish or English:

     -----Ursprungligt meddelande-----      (Outlook; or a line of
     Från: Anna Andersson <anna@example.se>  underscores, or none)
     Skickat: den 3 december 2026 10:15
     Till: Eva Ek <eva@kommun.example>
     Ämne: Trasig gatlykta

   Gmail's "---------- Forwarded message ---------" and "Vidarebefordrat
   meddelande", Thunderbird's "-------- Forwarded Message --------",
   Apple Mail's "Begin forwarded message:" and "Vidarebefordrat brev:",
   mutt's "----- Forwarded message from ... -----" are read the same
   way; a field may be "*From:*" and its value start after a tab. */
#include "config.h"

#include "forward.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util.h"

void
forward_clear(struct forward *f)
{
	free(f->addr);
	free(f->name);
	free(f->subject);
	free(f->text);
	free(f->sent);
	free(f->message_id);
	free(f->in_reply_to);
	for (size_t i = 0; i < f->nreferences; i++)
		free(f->references[i]);
	free(f->references);
	memset(f, 0, sizeof(*f));
}

bool
forward_subject(const char *subject)
{
	static const char *const prefixes[] = { "vb:", "fwd:", "fw:", "wg:",
						"vs:", "tr:" };

	if (subject == NULL)
		return false;
	subject += strspn(subject, " \t");
	for (size_t i = 0; i < N_ELEMENTS(prefixes); i++)
		if (strncasecmp(subject, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/* The fields of a forwarded header block, by what they name. */
enum field { F_NONE, F_FROM, F_DATE, F_TO, F_CC, F_SUBJECT };

static const struct {
	const char *name;	/* without the colon */
	enum field field;
} field_names[] = {
	{ "From", F_FROM }, { "Från", F_FROM }, { "FRÅN", F_FROM },
	{ "Sent", F_DATE }, { "Skickat", F_DATE }, { "Date", F_DATE },
	{ "Datum", F_DATE }, { "To", F_TO }, { "Till", F_TO },
	{ "Cc", F_CC }, { "Kopia", F_CC }, { "Subject", F_SUBJECT },
	{ "Ämne", F_SUBJECT }, { "ÄMNE", F_SUBJECT },
};

/* The field LINE (LEN bytes) starts, with *VALUE_R where its value
   starts, or F_NONE. */
static enum field
field_of(const char *line, size_t len, const char **value_r)
{
	const char *p = line + strspn(line, " \t");
	bool bold = *p == '*';

	p += bold;
	for (size_t i = 0; i < N_ELEMENTS(field_names); i++) {
		size_t n = strlen(field_names[i].name);
		const char *v = p + n;

		if ((size_t)(v - line) >= len ||
		    strncasecmp(p, field_names[i].name, n) != 0 || *v != ':')
			continue;
		v++;
		v += bold && *v == '*';
		*value_r = v + strspn(v, " \t");
		return field_names[i].field;
	}
	return F_NONE;
}

/* Whether LINE (LEN bytes) announces a forwarded or quoted mail. */
static bool
marker(const char *line, size_t len)
{
	static const char *const words[] = {
		"original message", "ursprungligt meddelande",
		"forwarded message", "vidarebefordrat meddelande",
		"begin forwarded message:", "vidarebefordrat brev:",
		"vidarebefordrat e-postmeddelande",
	};
	size_t u = 0;

	for (size_t i = 0; i < len && line[i] == '_'; i++)
		u++;
	if (u >= 10)
		return true;
	line += strspn(line, " -\t");
	for (size_t i = 0; i < N_ELEMENTS(words); i++)
		if (strncasecmp(line, words[i], strlen(words[i])) == 0)
			return true;
	return false;
}

/* The address in VALUE ("Anna <anna@example.se>", "Anna
   [mailto:anna@example.se]", "anna@example.se") lower case, with the
   name before it in *NAME_R (NULL when none). NULL when there is none. */
static char *
value_address(const char *value, size_t len, char **name_r)
{
	char *v = xstrndup(value, len), *addr = NULL, *open, *close;
	char *mailto = strstr(v, "mailto:");

	*name_r = NULL;
	if ((open = strchr(v, '<')) != NULL &&
	    (close = strchr(open, '>')) != NULL) {
		addr = xstrndup(open + 1, (size_t)(close - open - 1));
		*open = '\0';
	} else if (mailto != NULL) {
		addr = xstrndup(mailto + 7, strcspn(mailto + 7, "] \t>"));
		open = strrchr(v, '[');
		*(open != NULL && open < mailto ? open : mailto) = '\0';
	} else {
		/* a bare address: the word with '@' in it */
		for (char *w = v; *w != '\0' && addr == NULL;) {
			size_t n = strcspn(w, " \t,;\"'()");

			if (memchr(w, '@', n) != NULL)
				addr = xstrndup(w, n);
			w += n + (w[n] != '\0');
		}
		v[0] = '\0';
	}
	if (addr != NULL) {
		char *at = strchr(addr, '@');

		if (at == NULL || at == addr || at[1] == '\0' ||
		    strchr(at + 1, '@') != NULL ||
		    strpbrk(addr, " \t<>[]\"") != NULL) {
			free(addr);
			addr = NULL;
		} else {
			for (char *c = addr; *c != '\0'; c++)
				*c = (char)tolower((unsigned char)*c);
		}
	}
	if (addr != NULL) {
		/* the name, without quotes and blanks around it */
		char *s = v + strspn(v, " \t\"'"), *e = s + strlen(s);

		while (e > s && strchr(" \t\"'", e[-1]) != NULL)
			e--;
		if (e > s)
			*name_r = xstrndup(s, (size_t)(e - s));
	}
	free(v);
	return addr;
}

/* Ends TEXT before mutt's "----- End forwarded message -----". */
static void
cut_end_marker(char *text)
{
	for (char *l = text; *l != '\0';) {
		size_t n = strcspn(l, "\n");
		const char *w = l + strspn(l, " -");

		if (strncasecmp(w, "end forwarded message", 21) == 0) {
			*l = '\0';
			return;
		}
		l += n + (l[n] == '\n');
	}
}

/* VALUE (LEN bytes) without blanks at its end, or NULL when VALUE is
   (or is only blanks); at most 200 bytes of it. */
static char *
field_value(const char *value, size_t len)
{
	if (value == NULL)
		return NULL;
	while (len > 0 && strchr(" \t\r", value[len - 1]) != NULL)
		len--;
	if (len > 200)
		len = 200;
	while (len > 0 && ((unsigned char)value[len] & 0xC0) == 0x80)
		len--;	/* not through a character */
	return len > 0 ? xstrndup(value, len) : NULL;
}

/* A mail's text is the sender's to write: the blocks tried and the lines
   each may have bound the work on a text made of header-like lines
   ("From: x" a million times), which would otherwise be read once for
   each of its lines while the engine holds the database. A client's
   block has a handful of fields and a folded To or Cc; a thread's
   quoted history a block for each mail in it. */
#define FORWARD_BLOCKS_TRIED 64
#define FORWARD_BLOCK_LINES 200

/* The header block starting at line L: 1 with F filled (the text below
   it too) when it has a From with an address and another field, else
   0. */
static int
header_block(const char *l, struct forward *f)
{
	enum field last = F_NONE;
	const char *from = NULL, *subject = NULL, *date = NULL, *body;
	size_t from_len = 0, subject_len = 0, date_len = 0;
	int fields = 0, lines = 0;

	while (*l != '\0') {
		size_t n = strcspn(l, "\n");
		const char *value;
		enum field fl;

		if (l[strspn(l, " \t\r")] == '\n' || l[strspn(l, " \t\r")] == '\0')
			break;
		if (++lines > FORWARD_BLOCK_LINES)
			return 0;
		fl = field_of(l, n, &value);
		if (fl == F_NONE && last == F_NONE)
			return 0;	/* prose, not a header block */
		if (fl != F_NONE) {
			fields++;
			last = fl;
			if (fl == F_FROM && from == NULL) {
				from = value;
				from_len = n - (size_t)(value - l);
			} else if (fl == F_SUBJECT && subject == NULL) {
				subject = value;
				subject_len = n - (size_t)(value - l);
			} else if (fl == F_DATE && date == NULL) {
				date = value;
				date_len = n - (size_t)(value - l);
			}
		}
		/* else a long To: or Cc: folded onto the next line */
		l += n + (l[n] == '\n');
	}
	if (from == NULL || fields < 2)
		return 0;
	f->addr = value_address(from, from_len, &f->name);
	if (f->addr == NULL) {
		free(f->name);
		f->name = NULL;
		return 0;
	}
	f->subject = field_value(subject, subject_len);
	f->sent = field_value(date, date_len);
	body = l + strspn(l, " \t\r\n");
	f->text = xstrdup(body);
	cut_end_marker(f->text);
	return 1;
}

/* An inline forward in TEXT: at a marker line (the block below it) or
   at a From line that opens a block, whose start goes into *AT_R. */
static int
inline_forward(const char *text, struct forward *f, const char **at_r)
{
	int tried = 0;

	for (const char *l = text; *l != '\0' && tried < FORWARD_BLOCKS_TRIED;) {
		size_t n = strcspn(l, "\n");
		const char *next = l + n + (l[n] == '\n'), *value;

		if (marker(l, n)) {
			const char *b = next;

			/* Apple Mail leaves a blank line under its marker */
			while (*b != '\0' && b[strspn(b, " \t\r")] == '\n')
				b += strspn(b, " \t\r") + 1;
			tried++;
			if (header_block(b, f) > 0) {
				*at_r = l;
				return 1;
			}
		} else if (field_of(l, n, &value) == F_FROM) {
			tried++;
			if (header_block(l, f) > 0) {
				*at_r = l;
				return 1;
			}
		}
		l = next;
	}
	return 0;
}

static char **
copy_references(char *const *refs, size_t n)
{
	char **out = n > 0 ? xcalloc(n, sizeof(*out)) : NULL;

	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(refs[i]);
	return out;
}

/* The mail attached whole, message/rfc822. */
static int
attached_forward(const struct mime_message *m, const struct mime_limits *lim,
		 struct forward *f)
{
	for (size_t i = 0; i < m->nparts; i++) {
		const struct mime_part *p = &m->parts[i];
		struct mime_message *in = NULL;
		char *err = NULL;

		if (p->role != MIME_PART_MESSAGE ||
		    strcmp(p->content_type, "message/rfc822") != 0)
			continue;
		if (mime_parse(p->data, p->len, lim, &in, &err) < 0) {
			free(err);
			continue;
		}
		if (in->from.addr != NULL && strchr(in->from.addr, '@') != NULL) {
			f->addr = xstrdup(in->from.addr);
			for (char *c = f->addr; *c != '\0'; c++)
				*c = (char)tolower((unsigned char)*c);
			f->name = in->from.name != NULL ?
				xstrdup(in->from.name) : NULL;
			f->subject = in->subject != NULL ?
				xstrdup(in->subject) : NULL;
			f->text = xstrdup(in->text);
			if (in->date != 0) {
				char buf[32];
				time_t t = (time_t)in->date;
				struct tm tm;

				localtime_r(&t, &tm);
				strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M",
					 &tm);
				f->sent = xstrdup(buf);
			}
			f->message_id = in->message_id != NULL ?
				xstrdup(in->message_id) : NULL;
			f->in_reply_to = in->in_reply_to != NULL ?
				xstrdup(in->in_reply_to) : NULL;
			f->references = copy_references(in->references,
							in->nreferences);
			f->nreferences = in->nreferences;
		}
		mime_free(&in);
		if (f->addr != NULL)
			return 1;
	}
	return 0;
}

int
forward_find(const struct mime_message *m, const struct mime_limits *lim,
	     struct forward *f)
{
	const char *at;

	memset(f, 0, sizeof(*f));
	/* The header block the case officer's client wrote names the mail
	   forwarded; an attached mail is that mail only when there is no
	   such block ("forward as attachment"). Else a mail attached to
	   the forwarded one (anybody's .eml, claiming to be a citizen's)
	   would be taken for it. */
	if (m->text != NULL && inline_forward(m->text, f, &at) > 0)
		return 1;
	forward_clear(f);
	if (attached_forward(m, lim, f) > 0)
		return 1;
	forward_clear(f);
	return 0;
}

size_t
forward_inline_at(const char *text)
{
	struct forward f;
	const char *at = NULL;
	int r;

	memset(&f, 0, sizeof(f));
	r = inline_forward(text, &f, &at);
	forward_clear(&f);
	return r > 0 ? (size_t)(at - text) : strlen(text);
}
