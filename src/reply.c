/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reply stripping works on lines and tables of words: one pass marks each
   line kept or dropped and finds where the quoted message or signature
   begins. Patterns only look at lines of a sane length, so a body of
   huge lines costs linear time. */
#include "config.h"

#include "reply.h"
#include "util.h"
#include "workflow.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longer lines are text: no attribution or mail header is this long. */
#define REPLY_PATTERN_LINE_MAX 400
/* Mail clients wrap an attribution over at most this many lines. */
#define ATTRIBUTION_LINES 3
/* Longer "[cid:...]" are text: Outlook's run to some 60 bytes. */
#define CID_MAX 256
/* Lines in which the fields of an Outlook header block must appear. */
#define HEADER_WINDOW 8

enum header {
	HDR_NONE = 0,
	HDR_FROM = 1 << 0,
	HDR_DATE = 1 << 1,
	HDR_TO = 1 << 2,
	HDR_SUBJECT = 1 << 3,
	HDR_CC = 1 << 4,
};

static const struct {
	const char *label;
	enum header kind;
} header_labels[] = {
	{ "From", HDR_FROM }, { "Från", HDR_FROM }, { "Fra", HDR_FROM },
	{ "Von", HDR_FROM }, { "De", HDR_FROM }, { "От", HDR_FROM },
	{ "Sent", HDR_DATE }, { "Date", HDR_DATE }, { "Skickat", HDR_DATE },
	{ "Datum", HDR_DATE }, { "Sendt", HDR_DATE }, { "Dato", HDR_DATE },
	{ "Gesendet", HDR_DATE }, { "Envoyé", HDR_DATE },
	{ "Отправлено", HDR_DATE }, { "Дата", HDR_DATE },
	{ "To", HDR_TO }, { "Till", HDR_TO }, { "Til", HDR_TO },
	{ "An", HDR_TO }, { "À", HDR_TO }, { "Кому", HDR_TO },
	{ "Subject", HDR_SUBJECT }, { "Ämne", HDR_SUBJECT },
	{ "Emne", HDR_SUBJECT }, { "Betreff", HDR_SUBJECT },
	{ "Objet", HDR_SUBJECT }, { "Тема", HDR_SUBJECT },
	{ "Cc", HDR_CC }, { "Kopia", HDR_CC }, { "Kopi", HDR_CC },
};

/* "-----Original Message-----" and its translations, between dashes. */
static const char *const separators[] = {
	"Original Message", "Ursprungligt meddelande", "Originalmeddelande",
	"Oprindelig meddelelse", "Opprinnelig melding",
	"Ursprüngliche Nachricht", "Message d'origine", "Mensaje original",
};

/* Lines that introduce forwarded text, which is content to keep. */
static const char *const forward_markers[] = {
	"Forwarded message", "Begin forwarded message",
	"Vidarebefordrat meddelande", "Början av vidarebefordrat meddelande",
	"Videresendt meddelelse", "Videresendt melding",
	"Weitergeleitete Nachricht", "Message transféré",
};

/* Signatures that mail apps add; the line starts with one of these. */
static const char *const app_signatures[] = {
	"Sent from my iPhone", "Sent from my iPad", "Sent from my Android",
	"Sent from my BlackBerry", "Sent from my Samsung", "Sent from my Galaxy",
	"Sent from my Huawei", "Sent from my mobile", "Sent from my phone",
	"Sent from my Windows Phone", "Sent from my smartphone",
	"Skickat från min iPhone", "Skickat från min iPad",
	"Skickat från min Android", "Skickat från min Samsung",
	"Skickat från min Galaxy", "Skickat från min Huawei",
	"Skickat från min mobil", "Skickat från min smartphone",
	"Skickat från Outlook för iOS", "Skickat från Outlook för Android",
	"Hämta Outlook för iOS", "Hämta Outlook för Android",
	"Get Outlook for iOS", "Get Outlook for Android",
	"Sent from Outlook for iOS", "Sent from Outlook for Android",
	"Sent from Mail for Windows", "Skickat från E-post för Windows",
	"Sent from Yahoo Mail", "Skickat från Yahoo Mail",
	"Sendt fra min iPhone", "Sendt fra min iPad",
	"Von meinem iPhone gesendet", "Envoyé de mon iPhone",
};

/* Verbs of attribution lines: "wrote:", "Den ... skrev Anna:". */
static const char *const attribution_verbs[] = {
	"wrote", "skrev", "skriver", "schrieb", "écrit", "escribió",
	"schreef", "kirjoitti", "napisał", "написал",
};

/* Words that open attributions: "On Mon, ...", "Den 23 nov. ...". */
static const char *const attribution_openers[] = {
	"On ", "Den ", "Am ", "Le ", "El ", "Op ", "Em ", "Il ", "W dniu ",
};

struct text {
	char **line;	/* pointers into one normalised copy */
	size_t n;
};

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* S past spaces, tabs and no-break spaces. */
static const char *
skip_white(const char *s)
{
	for (;;) {
		if (is_space(*s))
			s++;
		else if (s[0] == '\xc2' && s[1] == '\xa0')
			s += 2;
		else
			return s;
	}
}

/* Length of S without trailing spaces, tabs and no-break spaces. */
static size_t
trimmed_len(const char *s)
{
	size_t len = strlen(s);

	for (;;) {
		if (len > 0 && is_space(s[len - 1]))
			len--;
		else if (len > 1 && s[len - 2] == '\xc2' && s[len - 1] == '\xa0')
			len -= 2;
		else
			return len;
	}
}

static int
is_blank(const char *s)
{
	return *skip_white(s) == '\0';
}

static int
is_quoted(const char *s)
{
	return *skip_white(s) == '>';
}

/* Whether S is a line of a quote that a few mail clients mark with '|'
   or only indent (a tab, or two blanks or more), rather than with '>'.
   Read so only right below an attribution. */
static int
quoted_otherwise(const char *s)
{
	return *skip_white(s) == '|' || s[0] == '\t' ||
	       (s[0] == ' ' && s[1] == ' ' && !is_blank(s));
}

static unsigned char
ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') :
				      (unsigned char)c;
}

/* Whether S starts with PREFIX, ignoring ASCII case. Every line is tried
   against dozens of prefixes: the first byte rules out nearly all of
   them without a call. */
static int
starts_ci(const char *s, const char *prefix)
{
	return ascii_lower(s[0]) == ascii_lower(prefix[0]) &&
	       strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static int
short_line(const char *s)
{
	return strlen(s) <= REPLY_PATTERN_LINE_MAX;
}

static int
is_app_signature(const char *s)
{
	s = skip_white(s);
	if (!short_line(s))
		return 0;
	for (size_t i = 0; i < N_ELEMENTS(app_signatures); i++)
		if (starts_ci(s, app_signatures[i]))
			return 1;
	return 0;
}

/* "-----Original Message-----", "----- Ursprungligt meddelande -----". */
static int
is_separator(const char *s)
{
	const char *p = skip_white(s);
	size_t dashes = strspn(p, "-"), len;

	if (dashes < 2 || !short_line(p))
		return 0;
	p = skip_white(p + dashes);
	len = trimmed_len(p);
	while (len > 0 && p[len - 1] == '-')
		len--;
	if (len == trimmed_len(p))
		return 0;
	while (len > 0 && is_space(p[len - 1]))
		len--;
	for (size_t i = 0; i < N_ELEMENTS(separators); i++)
		if (strlen(separators[i]) == len &&
		    strncasecmp(p, separators[i], len) == 0)
			return 1;
	return 0;
}

static int
is_forward_marker(const char *s)
{
	if (!short_line(s))
		return 0;
	for (size_t i = 0; i < N_ELEMENTS(forward_markers); i++)
		if (strcasestr(s, forward_markers[i]) != NULL)
			return 1;
	return 0;
}

static int
is_underscores(const char *s)
{
	const char *p = skip_white(s);
	size_t n = strspn(p, "_");

	return n >= 10 && *skip_white(p + n) == '\0';
}

/* Which header field S starts with: "From: x", "*Från:* x", "De : x". */
static enum header
header_kind(const char *s)
{
	s = skip_white(s);
	s += strspn(s, "*");
	for (size_t i = 0; i < N_ELEMENTS(header_labels); i++) {
		const char *p = s;

		if (!starts_ci(p, header_labels[i].label))
			continue;
		p += strlen(header_labels[i].label);
		p += strspn(p, "*");
		p = skip_white(p);
		if (*p == ':')
			return header_labels[i].kind;
	}
	return HDR_NONE;
}

static size_t
next_nonblank(const struct text *t, size_t i)
{
	while (i < t->n && is_blank(t->line[i]))
		i++;
	return i;
}

/* Whether an Outlook-style header block of the message replied to starts
   at line I: a From field, and two of date, recipient and subject, within
   a few lines (in any order: Hotmail puts Date first). */
static int
header_block_at(const struct text *t, size_t i)
{
	unsigned int seen = 0, others;

	if (header_kind(t->line[i]) == HDR_NONE)
		return 0;
	for (size_t j = i; j < t->n && j < i + HEADER_WINDOW; j++) {
		if (is_quoted(t->line[j]))
			break;
		seen |= header_kind(t->line[j]);
	}
	others = ((seen & HDR_DATE) != 0) + ((seen & HDR_TO) != 0) +
		 ((seen & HDR_SUBJECT) != 0);
	return (seen & HDR_FROM) != 0 && others >= 2;
}

/* Whether line I follows a forward marker (two lines up at most, blank
   lines aside), so that the header block there belongs to forwarded
   content. */
static int
after_forward_marker(const struct text *t, size_t i)
{
	int seen = 0;

	while (i-- > 0 && seen < 2) {
		if (is_blank(t->line[i]))
			continue;
		if (is_forward_marker(t->line[i]))
			return 1;
		seen++;
	}
	return 0;
}

/* Whether the quoted message or a signature starts at line I. */
static int
cuts_at(const struct text *t, size_t i)
{
	const char *s = t->line[i];
	size_t j;

	if (strcmp(s, "-- ") == 0 || strcmp(s, "--") == 0)
		return 1;
	if (is_app_signature(s) || is_separator(s))
		return 1;
	if (is_underscores(s)) {
		j = next_nonblank(t, i + 1);
		return j < t->n && j <= i + 2 && header_kind(t->line[j]) != HDR_NONE;
	}
	return header_block_at(t, i) && !after_forward_marker(t, i);
}

static int
has_digit(const char *s)
{
	return strpbrk(s, "0123456789") != NULL;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A time ("10:12", "10.12") or a date written like one ("26.06"). */
static int
has_time(const char *s)
{
	for (; *s != '\0'; s++)
		if (is_digit(s[0]) && (s[1] == ':' || s[1] == '.') &&
		    is_digit(s[2]) && is_digit(s[3]))
			return 1;
	return 0;
}

/* A year of this century or the last. */
static int
has_year(const char *s)
{
	for (; *s != '\0'; s++)
		if ((starts_ci(s, "19") || starts_ci(s, "20")) &&
		    is_digit(s[2]) && is_digit(s[3]) && !is_digit(s[4]))
			return 1;
	return 0;
}

static int
is_ascii_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Where an attribution verb stands in S as a word, or NULL. */
static const char *
find_verb(const char *s)
{
	for (size_t i = 0; i < N_ELEMENTS(attribution_verbs); i++) {
		const char *v = attribution_verbs[i];
		size_t len = strlen(v);

		for (const char *p = s; (p = strcasestr(p, v)) != NULL; p++)
			if ((p == s || p[-1] == ' ') && !is_ascii_letter(p[len]))
				return p;
	}
	return NULL;
}

/* Whether S starts as attributions do: with the date, or with the word
   before it ("On", "Den", "Am", "Le"...). */
static int
starts_like_attribution(const char *s)
{
	if (is_digit(*s))
		return 1;
	for (size_t i = 0; i < N_ELEMENTS(attribution_openers); i++)
		if (starts_ci(s, attribution_openers[i]))
			return 1;
	return 0;
}

enum attribution { ATTR_NONE, ATTR_WEAK, ATTR_STRONG };

/* How surely S (one line, or wrapped lines joined, trimmed) introduces a
   quote. WEAK: it ends in ':' and has a verb such as "wrote" or "skrev",
   with a date or an address, or the verb right before the colon; trusted
   only when a quote follows, since a person may write "Den 3 mars skrev
   jag till er:". STRONG: it also starts like one and has an address, or a
   time and the verb last ("Den 2026-11-23 kl. 10:12, Anna skrev:"). */
static enum attribution
attribution_kind(const char *s)
{
	size_t len = strlen(s);
	const char *verb;
	int verb_last, address = strchr(s, '@') != NULL;

	if (len == 0 || s[len - 1] != ':' || (verb = find_verb(s)) == NULL)
		return ATTR_NONE;
	verb_last = skip_white(strpbrk(verb, " :")) == s + len - 1;
	if (starts_like_attribution(s) &&
	    (address || (verb_last && has_time(s))))
		return ATTR_STRONG;
	if (address || verb_last || has_digit(s))
		return ATTR_WEAK;
	return ATTR_NONE;
}

/* Lines FROM..TO-1, trimmed and joined with spaces, into BUF; 0 when one
   cannot be part of an attribution. */
static int
join_lines(const struct text *t, size_t from, size_t to, char *buf)
{
	size_t len = 0;

	for (size_t i = from; i < to; i++) {
		const char *s = skip_white(t->line[i]);
		size_t n = trimmed_len(s);

		if (n == 0 || *s == '>' || n > REPLY_PATTERN_LINE_MAX)
			return 0;
		if (len > 0)
			buf[len++] = ' ';
		memcpy(buf + len, s, n);
		len += n;
	}
	buf[len] = '\0';
	return 1;
}

/* Whether lines FROM..TO-1 joined are an attribution; KIND_R its kind. */
static int
attribution_in(const struct text *t, size_t from, size_t to,
	       enum attribution *kind_r)
{
	char buf[ATTRIBUTION_LINES * (REPLY_PATTERN_LINE_MAX + 1) + 1];

	if (!join_lines(t, from, to, buf))
		return 0;
	*kind_r = attribution_kind(buf);
	return *kind_r != ATTR_NONE;
}

/* Whether S has a time or a year outside its addresses: the digits of
   "arende+ks-2026-00001.h1...@kommun.se", a notification's reply
   address, are no date. */
static int
has_date(const char *s)
{
	char *copy = xstrdup(s);
	int found;

	for (char *p = copy; *p != '\0';) {
		size_t n = strcspn(p, " \t<>,;()\"");

		if (n > 0 && memchr(p, '@', n) != NULL)
			memset(p, 'x', n);
		p += n;
		p += strspn(p, " \t<>,;()\"");
	}
	found = has_time(copy) || has_year(copy);
	free(copy);
	return found;
}

/* How many lines (wrapped by the mail client) the attribution starting at
   line I spans, or 0. A wrapped one starts with its date; when a later
   line also starts a dated attribution, line I is the person's own text
   and the attribution starts there. */
static size_t
attribution_at(const struct text *t, size_t i, enum attribution *kind_r)
{
	enum attribution ignored;

	for (size_t k = 1; k <= ATTRIBUTION_LINES && i + k <= t->n; k++) {
		int later = 0;

		if (!attribution_in(t, i, i + k, kind_r))
			continue;
		if (k == 1)
			return 1;
		if (!has_date(t->line[i]))
			return 0;
		for (size_t s = i + 1; s < i + k && !later; s++)
			later = has_date(t->line[s]) &&
				attribution_in(t, s, i + k, &ignored);
		return later ? 0 : k;
	}
	return 0;
}

/* Splits the normalised copy BUF into lines, in place. */
static void
split_lines(char *buf, struct text *t)
{
	size_t n = 1;

	for (const char *p = buf; *p != '\0'; p++)
		n += *p == '\n';
	t->line = xcalloc(n, sizeof(*t->line));
	t->n = 0;
	for (char *p = buf;;) {
		char *nl = strchr(p, '\n');

		t->line[t->n++] = p;
		if (nl == NULL)
			break;
		*nl = '\0';
		p = nl + 1;
	}
}

/* The length of Outlook's placeholder for an inline image at S
   ("[cid:image001.png@01DA4B2C.8F5E3A10]", where the HTML form showed
   the picture, a signature's logo mostly), or 0. */
static size_t
cid_placeholder(const char *s)
{
	size_t n;

	if (strncasecmp(s, "[cid:", 5) != 0)
		return 0;
	n = 5 + strcspn(s + 5, "] \t\r\n");
	return s[n] == ']' && n > 5 && n < CID_MAX ? n + 1 : 0;
}

/* A copy of TEXT with "\r\n" and lone "\r" turned into "\n", and
   without the placeholders of inline images (a line that held nothing
   else goes with them). */
static char *
normalise(const char *text)
{
	char *buf = xstrdup(text), *o = buf, *line = buf;
	bool cid = false, text_seen = false;	/* on the line so far */

	for (const char *p = text; *p != '\0'; p++) {
		size_t n = *p == '[' ? cid_placeholder(p) : 0;

		if (n > 0) {
			p += n - 1;
			cid = true;
		} else if (*p == '\r' || *p == '\n') {
			p += *p == '\r' && p[1] == '\n';
			if (cid && !text_seen) {
				o = line;
			} else {
				*o++ = '\n';
				line = o;
			}
			cid = text_seen = false;
		} else {
			text_seen |= !is_space(*p);
			*o++ = *p;
		}
	}
	*o = '\0';
	return buf;
}

/* Marks in KEEP the lines of the person's own text; returns the line where
   the quoted message or a signature starts (T->n when none does). Quoted
   lines, and the attribution right above them, are dropped wherever they
   are, so that text written below or between quotes stays. */
static size_t
mark_lines(const struct text *t, char *keep)
{
	for (size_t i = 0; i < t->n; i++) {
		enum attribution kind = ATTR_NONE;
		size_t k, j;

		if (is_quoted(t->line[i]))
			continue;
		if (cuts_at(t, i))
			return i;
		k = attribution_at(t, i, &kind);
		if (k == 0) {
			keep[i] = 1;
			continue;
		}
		j = next_nonblank(t, i + k);
		if (j < t->n && is_quoted(t->line[j])) {
			i += k - 1;
			continue;
		}
		/* quoted with '|', or indented, as a few mail clients do:
		   the message replied to follows */
		if (j < t->n && quoted_otherwise(t->line[j]))
			return i;
		/* The message replied to follows unquoted, as from Outlook. */
		if (kind == ATTR_STRONG)
			return i;
		keep[i] = 1;
	}
	return t->n;
}

/* Whether S reads as an attribution without a verb, as Yandex and Mail.ru
   write them: '26.06.2014, 14:41, "Anna" <anna@example.se>:'. */
static int
is_bare_attribution(const char *s)
{
	size_t len = trimmed_len(s);

	return short_line(s) && len > 0 && s[len - 1] == ':' &&
	       (strchr(s, '@') != NULL || has_time(s));
}

/* Drops the last line of own text when only quotes follow it (up to END)
   and it reads like their attribution. */
static void
drop_bare_attribution(const struct text *t, char *keep, size_t end)
{
	int quoted = 0;

	for (size_t i = end; i-- > 0;) {
		if (is_quoted(t->line[i])) {
			quoted = 1;
		} else if (!is_blank(t->line[i])) {
			if (quoted && keep[i] && is_bare_attribution(t->line[i]))
				keep[i] = 0;
			return;
		}
	}
}

/* The kept lines before END, each without trailing white space, with no
   blank line at either end and never two in a row. CAP bounds the size:
   the result only ever drops from the text. */
static char *
join_kept(const struct text *t, const char *keep, size_t end, size_t cap)
{
	char *out = xmalloc(cap + 1);
	size_t len = 0;
	int blank = 0;

	for (size_t i = 0; i < end; i++) {
		size_t n = trimmed_len(t->line[i]);

		if (!keep[i])
			continue;
		if (n == 0) {
			blank = len > 0;
			continue;
		}
		if (len > 0)
			out[len++] = '\n';
		if (blank)
			out[len++] = '\n';
		memcpy(out + len, t->line[i], n);
		len += n;
		blank = 0;
	}
	out[len] = '\0';
	return out;
}

/* Quoted lines shown above an answer written between quotes. */
#define CONTEXT_LINES 4

/* The text of quoted line S without its one '>' (and the space after
   it), or NULL when it is quoted more deeply or holds nothing. */
static const char *
quote_level_one(const char *s)
{
	s = skip_white(s) + 1;
	if (*s == ' ')
		s++;
	if (*skip_white(s) == '>' || is_blank(s))
		return NULL;
	return s;
}

/* Appends LINE (its first N bytes) to OUT, after PREFIX, with the blank
   line BLANK asks for before it. */
static void
add_line(FILE *out, bool *first, bool *blank, const char *prefix,
	 const char *line, size_t n)
{
	if (!*first)
		fputc('\n', out);
	if (*blank && !*first)
		fputc('\n', out);
	fputs(prefix, out);
	fwrite(line, 1, n, out);
	*first = false;
	*blank = false;
}

static bool closing_line(const char *line, size_t len);

/* The text for reply_strip_full's *INTERLEAVED_R, or NULL. */
static char *
interleaved(const struct text *t, const char *keep, size_t end)
{
	size_t answers = 0, len = 0, qstart = 0, qend = 0;
	bool quoted = false, first = true, blank = false;
	char *out = NULL;
	FILE *f;

	/* answers: runs of own text right below a run of quotes */
	for (size_t i = 0; i < end; i++) {
		if (is_quoted(t->line[i]))
			quoted = true;
		else if (keep[i] && !is_blank(t->line[i])) {
			answers += quoted;
			quoted = false;
		}
	}
	if (answers < 2)
		return NULL;
	f = open_memstream(&out, &len);
	quoted = false;
	for (size_t i = 0; i < end; i++) {
		size_t n = trimmed_len(t->line[i]);

		if (is_quoted(t->line[i])) {
			if (!quoted)
				qstart = i;
			qend = i + 1;
			quoted = true;
			continue;
		}
		if (!keep[i])
			continue;
		if (n == 0) {
			blank = true;
			continue;
		}
		/* a closing below quotes ("> Mvh Göran", then "Hälsningar,
		   Eva") answers nothing: the citizen's own sign-off is not
		   shown back to them above the officer's */
		if (quoted && closing_line(t->line[i], n))
			quoted = false;
		if (quoted) {
			/* the last lines quoted above this answer: what it
			   answers */
			size_t from = qend, shown = 0;

			while (from > qstart && shown < CONTEXT_LINES) {
				from--;
				shown += quote_level_one(t->line[from]) != NULL;
			}
			for (size_t q = from; q < qend; q++) {
				const char *l = quote_level_one(t->line[q]);

				if (l != NULL)
					add_line(f, &first, &blank, "> ", l,
						 trimmed_len(l));
			}
			quoted = false;
		}
		add_line(f, &first, &blank, "", t->line[i], n);
	}
	fclose(f);
	return out;
}

/* Whether line S is a command of a case officer's ("#ta", "*#klar*"):
   not text that a quote below it belongs with. */
static bool
command_line(const char *s)
{
	s = skip_white(s);
	while (*s == '*' || *s == '_')
		s++;
	return *s == '#';
}

/* Whether S introduces a quote with "you" and no name or date, as a
   person writes it and no mail client does: "Du skrev:", "Ni skriver:",
   "You wrote:". */
static bool
you_wrote(const char *s)
{
	static const char *const lines[] = {
		"du skrev:", "du skriver:", "ni skrev:", "ni skriver:",
		"you wrote:", "you write:",
	};
	size_t n;

	s = skip_white(s);
	n = trimmed_len(s);
	for (size_t i = 0; i < N_ELEMENTS(lines); i++)
		if (n == strlen(lines[i]) && starts_ci(s, lines[i]))
			return true;
	return false;
}

/* Marks in KEEP the quotes a case officer wrote into their own text
   (reply_strip_answer), of the lines before END that mark_lines left
   out: each run of quoted lines (blank lines between them included)
   quoted one level deep, with own text below it, and above it either
   own text that is not a command, or (at most CONTEXT_LINES lines of
   it) a command or nothing at all. "Du skrev:" above it is the
   officer's own. None from the first run under an attribution (or
   quoted more deeply) on: from there on the message replied to is
   quoted. */
static void
keep_own_quotes(const struct text *t, char *keep, size_t end)
{
	size_t i = 0;

	while (i < end) {
		size_t from, to, last, above, below, lines = 0;
		bool deep = false;

		if (!is_quoted(t->line[i])) {
			i++;
			continue;
		}
		from = i;
		/* the run, through blank lines, up to its last quoted line */
		for (last = i; i < end && (is_quoted(t->line[i]) ||
					   is_blank(t->line[i])); i++) {
			if (!is_quoted(t->line[i]))
				continue;
			last = i;
			if (*skip_white(skip_white(t->line[i]) + 1) == '>')
				deep = true;
			lines += quote_level_one(t->line[i]) != NULL;
		}
		to = last + 1;
		for (above = from; above > 0 && is_blank(t->line[above - 1]);
		     above--)
			;
		below = next_nonblank(t, to);
		/* an attribution above (not kept), or a deeper quote: the
		   message replied to, and everything below it */
		if (deep || (above > 0 && !keep[above - 1] &&
			     !you_wrote(t->line[above - 1])))
			return;
		if (below >= end || !keep[below])
			continue;
		if ((above == 0 || command_line(t->line[above - 1])) &&
		    lines > CONTEXT_LINES)
			continue;
		if (above > 0)
			keep[above - 1] = 1;
		for (size_t q = from; q < to; q++)
			keep[q] = is_quoted(t->line[q]) ||
				  is_blank(t->line[q]);
	}
}

/* The last lines a closing may be among: itself and eight short ones,
   as many as a municipal signature has (name, title, department,
   municipality, visiting and postal address, telephone, web). */
#define SIGNATURE_LINES_MAX 9

/* The signature below the "-- " that ends the own text at line END of
   T (reply_delimited_signature), or NULL. KEEP (T's lines) is used up. */
static char *
delimited_signature(const struct text *t, char *keep, size_t end,
		    size_t text_len)
{
	enum attribution kind;
	char *out;
	size_t stop;

	/* only where the person's own text ends at the delimiter: one in
	   a quote, or below the message replied to, is someone else's */
	if (end >= t->n || (strcmp(t->line[end], "-- ") != 0 &&
			    strcmp(t->line[end], "--") != 0))
		return NULL;
	/* the block under it, up to a blank line, a quote, the
	   attribution of one, or whatever else cuts */
	for (stop = end + 1; stop < t->n && stop - end <= SIGNATURE_LINES_MAX;
	     stop++)
		if (is_blank(t->line[stop]) || is_quoted(t->line[stop]) ||
		    cuts_at(t, stop) || attribution_at(t, stop, &kind) > 0)
			break;
	memset(keep, 0, t->n);
	memset(keep + end + 1, 1, stop - end - 1);
	out = join_kept(t, keep, stop, text_len);
	if (*out == '\0') {
		free(out);
		out = NULL;
	}
	return out;
}

/* reply_strip_full, and with ANSWER reply_strip_answer. */
static char *
strip(const char *text, char **interleaved_r, char **signature_r,
      bool answer)
{
	struct text t;
	char *buf, *keep, *out, *shown = NULL;
	size_t end;

	if (interleaved_r != NULL)
		*interleaved_r = NULL;
	if (signature_r != NULL)
		*signature_r = NULL;
	if (text == NULL)
		return xstrdup("");
	buf = normalise(text);
	split_lines(buf, &t);
	keep = xcalloc(t.n, 1);
	end = mark_lines(&t, keep);
	drop_bare_attribution(&t, keep, end);
	if (interleaved_r != NULL || answer)
		shown = interleaved(&t, keep, end);
	/* answering between the quotes, the quotes are those of the
	   message replied to */
	if (answer && shown == NULL)
		keep_own_quotes(&t, keep, end);
	out = join_kept(&t, keep, end, strlen(text));
	if (interleaved_r != NULL)
		*interleaved_r = shown;
	else
		free(shown);
	if (signature_r != NULL)
		*signature_r = delimited_signature(&t, keep, end, strlen(text));
	free(keep);
	free(t.line);
	free(buf);
	return out;
}

char *
reply_strip_full(const char *text, char **interleaved_r, char **signature_r)
{
	return strip(text, interleaved_r, signature_r, false);
}

char *
reply_strip_answer(const char *text, char **interleaved_r)
{
	return strip(text, interleaved_r, NULL, true);
}

char *
reply_strip(const char *text)
{
	return reply_strip_full(text, NULL, NULL);
}

/* Closings, lower case: the longer of two that start alike first. */
static const char *const closings[] = {
	"med vänliga hälsningar", "med vänlig hälsning", "vänliga hälsningar",
	"vänlig hälsning", "bästa hälsningar", "hälsningar", "hälsning",
	"mvh", "m.v.h", "kind regards", "best regards", "warm regards",
	"regards", "best wishes", "yours sincerely", "sincerely",
	/* Arabic: "with peace", "with my greetings", "greetings" */
	"مع السلامة", "مع تحياتي", "تحياتي",
};

/* The longest a line below a closing, or after the closing on its own
   line, may be (bytes): a name or a title, not more text. */
#define CLOSING_TAIL_MAX 60
/* The longest line that can be one: the longest closing and a name. */
#define CLOSING_LINE_MAX (sizeof("med vänliga hälsningar") - 1 + \
			  CLOSING_TAIL_MAX)

/* How many words the closing LINE (LEN bytes, no line break) begins
   with has ("med vänlig hälsning": 3), when it has at most a name after
   it; 0 when it begins with none. */
static size_t
closing_match(const char *line, size_t len)
{
	char *cut, *f;
	const char *p;
	size_t words = 0;

	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	/* a line of prose, most of them: no closing and name is as long */
	if (len > CLOSING_LINE_MAX)
		return 0;
	cut = xstrndup(line, len);
	f = workflow_fold(cut);	/* case, Å Ä Ö as well */
	free(cut);
	for (size_t i = 0; i < N_ELEMENTS(closings) && words == 0; i++) {
		size_t n = strlen(closings[i]);

		if (strncmp(f, closings[i], n) != 0)
			continue;
		p = f + n;
		/* "hälsningarna", "regardless": not a closing */
		if ((*p == '\0' || strchr(" ,.!/-\t", *p) != NULL ||
		     (unsigned char)*p == 0xe2 ||	/* "–", "—" */
		     strncmp(p, "\u060c", 2) == 0) &&	/* Arabic comma */
		    strlen(p) <= CLOSING_TAIL_MAX) {
			words = 1;
			for (const char *q = closings[i]; *q != '\0'; q++)
				words += *q == ' ';
		}
	}
	free(f);
	return words;
}

/* Whether LINE (LEN bytes, no line break) begins with a closing, as a
   word, and has at most a name after it. */
static bool
closing_line(const char *line, size_t len)
{
	return closing_match(line, len) > 0;
}

/* The code point of the UTF-8 character at P (END bounds it), its
   length in *LEN_R; (unsigned long)-1 and 1 when it is malformed or
   overlong. */
static unsigned long
utf8_char(const unsigned char *p, const unsigned char *end, size_t *len_r)
{
	static const unsigned long least[] = { 0, 0x80, 0x800, 0x10000 };
	unsigned long c = *p;
	int more = c >= 0xf8 ? -1 : c >= 0xf0 ? 3 : c >= 0xe0 ? 2 :
		   c >= 0xc0 ? 1 : c >= 0x80 ? -1 : 0;

	*len_r = 1;
	if (more < 0 || end - p <= more)
		return (unsigned long)-1;
	c &= 0x7fu >> more;
	for (int i = 1; i <= more; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return (unsigned long)-1;
		c = c << 6 | (p[i] & 0x3fu);
	}
	if (c < least[more])
		return (unsigned long)-1;
	*len_r = (size_t)more + 1;
	return c;
}

/* The capitals of the scripts with case whose small letters follow a
   rule: each of FIRST to LAST (or every other one from FIRST) is a
   capital, and its small letter is TO_SMALL on (0: one of another
   length, which folding leaves). Latin, Greek, Cyrillic, Armenian. */
static const struct capital_run {
	unsigned long first, last;
	long to_small;
	bool every_other;
} capital_runs[] = {
	{ 0x41, 0x5a, 0x20, false },	/* A-Z */
	{ 0xc0, 0xd6, 0x20, false },	/* À-Ö */
	{ 0xd8, 0xde, 0x20, false },	/* Ø-Þ */
	{ 0x100, 0x12f, 1, true },	/* Ā-Į */
	{ 0x130, 0x130, 0, false },	/* İ, whose i is one byte */
	{ 0x132, 0x137, 1, true },	/* Ĳ-Ķ */
	{ 0x139, 0x148, 1, true },	/* Ĺ-Ň */
	{ 0x14a, 0x177, 1, true },	/* Ŋ-Ŷ */
	{ 0x178, 0x178, 0xff - 0x178, false },	/* Ÿ; ÿ is U+00FF */
	{ 0x179, 0x17e, 1, true },	/* Ź-Ž */
	{ 0x1a0, 0x1a0, 1, false },	/* Ơ, Vietnamese */
	{ 0x1af, 0x1af, 1, false },	/* Ư, Vietnamese */
	{ 0x1cd, 0x1dc, 1, true },	/* Ǎ-Ǜ */
	{ 0x1de, 0x1ef, 1, true },	/* Ǟ-Ǯ */
	{ 0x1f8, 0x21f, 1, true },	/* Ǹ-Ȟ, Ș and Ț among them */
	{ 0x222, 0x233, 1, true },	/* Ȣ-Ȳ */
	{ 0x386, 0x386, 0x3ac - 0x386, false },	/* Ά */
	{ 0x388, 0x38a, 0x3ad - 0x388, false },	/* Έ-Ί */
	{ 0x38c, 0x38c, 0x3cc - 0x38c, false },	/* Ό */
	{ 0x38e, 0x38f, 0x3cd - 0x38e, false },	/* Ύ-Ώ */
	{ 0x391, 0x3a1, 0x20, false },	/* Α-Ρ */
	{ 0x3a3, 0x3ab, 0x20, false },	/* Σ-Ϋ */
	{ 0x3d8, 0x3ef, 1, true },	/* Ϙ-Ϯ */
	{ 0x400, 0x40f, 0x50, false },	/* Ѐ-Џ */
	{ 0x410, 0x42f, 0x20, false },	/* А-Я */
	{ 0x460, 0x481, 1, true },	/* Ѡ-Ҁ */
	{ 0x48a, 0x4bf, 1, true },	/* Ҋ-Ҿ */
	{ 0x4c0, 0x4c0, 0x4cf - 0x4c0, false },	/* Ӏ */
	{ 0x4c1, 0x4ce, 1, true },	/* Ӂ-Ӎ */
	{ 0x4d0, 0x52f, 1, true },	/* Ӑ-Ԯ */
	{ 0x531, 0x556, 0x30, false },	/* Ա-Ֆ */
	{ 0x1e00, 0x1e95, 1, true },	/* Ḁ-Ẕ */
	{ 0x1e9e, 0x1e9e, 0, false },	/* ẞ, whose ß is one byte shorter */
	{ 0x1ea0, 0x1eff, 1, true },	/* Ạ-Ỿ */
};

/* The blocks of scripts with case where a letter that is no capital
   (capital_runs[]) is a small one: Latin-1, Latin Extended-A, the
   regular runs of Latin Extended-B (Vietnamese's ơ and ư), modern Greek, Cyrillic, Armenian
   and Latin Extended Additional. Other scripts' case, where they have
   one, is not told. */
static const struct {
	unsigned long first, last;
} cased_blocks[] = {
	{ 0xaa, 0x17f }, { 0x1a0, 0x1a1 }, { 0x1af, 0x1b0 }, { 0x1cd, 0x1ef }, { 0x1f8, 0x21f }, { 0x222, 0x233 },
	{ 0x386, 0x3ce }, { 0x3d8, 0x3ef }, { 0x400, 0x52f }, { 0x531, 0x587 },
	{ 0x1e00, 0x1eff },
};

/* How a word's first letter is written: no letter (a digit, a mark),
   a capital, a small letter of a script with case ("срочно" is one),
   or a letter whose case is not told (Arabic, Hebrew, CJK, Thai and
   Devanagari have none: a name there looks like any word). */
enum letter_case {
	LETTER_NONE, LETTER_CAPITAL, LETTER_SMALL, LETTER_CASELESS,
};

/* The small letter of capital C, 0 when C is none (capital_runs[]); C when
   its small letter has a UTF-8 length of its own. */
static unsigned long
small_letter(unsigned long c)
{
	for (size_t i = 0; i < N_ELEMENTS(capital_runs); i++) {
		const struct capital_run *k = &capital_runs[i];

		if (c >= k->first && c <= k->last &&
		    (!k->every_other || (c - k->first) % 2 == 0))
			return (unsigned long)((long)c + k->to_small);
	}
	return 0;
}

/* The case of the character at P (END bounds it; a word's first),
   whatever the process's locale. */
static enum letter_case
letter_case(const unsigned char *p, const unsigned char *end)
{
	size_t len;
	unsigned long c;

	if (*p < 0x80)
		return (*p >= 'A' && *p <= 'Z') ? LETTER_CAPITAL :
		       (*p >= 'a' && *p <= 'z') ? LETTER_SMALL : LETTER_NONE;
	if (!workflow_word_char(p, end))
		return LETTER_NONE;	/* ×, ÷, «, dashes, emoji */
	c = utf8_char(p, end, &len);
	if (c == (unsigned long)-1)
		return LETTER_CASELESS;
	if (small_letter(c) != 0)
		return LETTER_CAPITAL;
	for (size_t i = 0; i < N_ELEMENTS(cased_blocks); i++)
		if (c >= cased_blocks[i].first && c <= cased_blocks[i].last)
			return LETTER_SMALL;
	return LETTER_CASELESS;
}

/* In the N bytes at P, the letters into *LETTERS_R and how many of
   them are capitals into *CAPITALS_R (letter_case). */
static void
count_case(const unsigned char *p, size_t n, size_t *letters_r,
	   size_t *capitals_r)
{
	const unsigned char *end = p + n;
	enum letter_case c;

	*letters_r = *capitals_r = 0;
	for (; p < end; p++) {
		if ((*p & 0xc0) != 0x80 &&
		    (c = letter_case(p, end)) != LETTER_NONE) {
			(*letters_r)++;
			*capitals_r += c == LETTER_CAPITAL;
		}
	}
}

/* Whether the word at W (N bytes) is shouted: three letters or more,
   all capitals ("FARLIGT", "BRÅDSKANDE"). */
static bool
shouted(const unsigned char *w, size_t n)
{
	size_t letters, capitals;

	count_case(w, n, &letters, &capitals);
	return letters >= 3 && capitals == letters;
}

/* Whether the word at W (N bytes) can be part of a signature's line:
   it begins with a capital (or a letter of a script without case:
   letter_case), holds a digit, an '@' or a '.' between
   letters, or no letter at all ("Anna", "14", "070-123",
   "anna@example.se", "www.example.se", "/", "–"). A sentence's last
   word ("lagat.") is none, nor a shouted one ("FARLIGT"). */
static bool
signature_word(const char *w, size_t n)
{
	const unsigned char *p = (const unsigned char *)w, *end = p + n;
	size_t letters, capitals;
	enum letter_case first;

	for (size_t i = 0; i < n; i++) {
		if (isdigit(p[i]) || p[i] == '@' ||
		    (p[i] == '.' && i > 0 && i + 1 < n && isalnum(p[i + 1])))
			return true;
	}
	/* letters of any script, not dashes or quotes */
	count_case(p, n, &letters, &capitals);
	if (letters == 0)
		return true;
	if (letters >= 3 && capitals == letters)
		return false;
	while (p < end && *p < 0x80 && letter_case(p, end) == LETTER_NONE)
		p++;
	/* a name in a script without case looks like any word: taken as
	   one here, for cutting; reply_thanks_only_by asks more */
	first = p < end ? letter_case(p, end) : LETTER_NONE;
	return first == LETTER_CAPITAL || first == LETTER_CASELESS;
}

/* Words of a street address in lower case, which a line of a signature
   may hold beside its number ("Södra vägen 5", "Stora torget 3 lgh
   1102", "c/o Berg"). */
static const char *const street_words[] = {
	"vägen", "väg", "gatan", "gata", "gränd", "gränden", "torget",
	"torg", "backe", "backen", "stigen", "stig", "allé", "allén", "plan",
	"planen", "leden", "led", "platsen", "plats", "parken", "stranden",
	"strand", "gården", "lgh", "vån", "tr", "c/o", "road", "street",
	"lane",
};

static bool
street_word(const char *w, size_t n)
{
	for (size_t i = 0; i < N_ELEMENTS(street_words); i++)
		if (strlen(street_words[i]) == n &&
		    memcmp(street_words[i], w, n) == 0)
			return true;
	return false;
}

/* The next word of LINE (LEN bytes) from *I on, words parted by the
   bytes in SEPS: its start, its length in *N_R, *I past it; NULL when
   there is none. */
static const char *
next_word(const char *line, size_t len, const char *seps, size_t *i,
	  size_t *n_r)
{
	while (*i < len && strchr(seps, line[*i]) != NULL)
		(*i)++;
	if (*i >= len)
		return NULL;
	*n_r = 0;
	while (*i + *n_r < len && strchr(seps, line[*i + *n_r]) == NULL)
		(*n_r)++;
	*i += *n_r;
	return line + *i - *n_r;
}

/* Whether LINE (LEN bytes, no line break) can be a line below a
   closing in a citizen's signature: a name, an address, a telephone
   number, a mail or web address, each word of it a signature_word, or
   on a line with a number a street_word. A word in lower case makes it
   more text ("PS det bullrar igen"). */
static bool
signature_line(const char *line, size_t len)
{
	size_t i = 0, n;
	bool number = false, street = false;
	const char *w;

	if (len > CLOSING_TAIL_MAX)
		return false;
	while ((w = next_word(line, len, " \t,;:", &i, &n)) != NULL) {
		for (size_t k = 0; k < n; k++)
			number |= isdigit((unsigned char)w[k]) != 0;
		if (street_word(w, n))
			street = true;
		else if (!signature_word(w, n))
			return false;
	}
	return number || !street;
}

/* Whether LINE (LEN bytes) is a name and nothing else: one to four
   words of letters (a hyphen or an initial's point among them), each
   beginning with a capital ("Anna Andersson", "Per-Olof E. Berg",
   "Сергей"), or with a letter of a script without case ("أحمد"). */
static bool
name_line(const char *line, size_t len)
{
	size_t i = 0, n, words = 0;
	const char *word;

	while ((word = next_word(line, len, " \t", &i, &n)) != NULL) {
		const unsigned char *w = (const unsigned char *)word;
		enum letter_case c = letter_case(w, w + n);

		if (++words > 4 || !signature_word(word, n) ||
		    (c != LETTER_CAPITAL && c != LETTER_CASELESS))
			return false;
		for (size_t k = 0; k < n; k++)
			if (!(isalpha(w[k]) || w[k] >= 0x80 || w[k] == '-' ||
			      (w[k] == '.' && k == n - 1 && n <= 2)))
				return false;
	}
	return words > 0;
}

/* The line of TEXT that ends at *END (its start in *START_R, its
   length without trailing blanks returned), moving *END to the end of
   the line above it: for reading a text from its end, line by line. */
static size_t
line_before(const char *text, const char **end, const char **start_r)
{
	const char *start = *end;
	size_t len;

	while (start > text && start[-1] != '\n')
		start--;
	len = (size_t)(*end - start);
	while (len > 0 && (start[len - 1] == ' ' || start[len - 1] == '\t' ||
			   start[len - 1] == '\r'))
		len--;
	*end = start > text ? start - 1 : text;
	*start_r = start;
	return len;
}

/* Whether LINE (LEN bytes) holds a digit or an '@'. */
static bool
has_contact(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (isdigit((unsigned char)line[i]) || line[i] == '@')
			return true;
	return false;
}

/* Whether a word of LINE (LEN bytes) begins with a letter of a script
   without case (letter_case). */
static bool
caseless_words(const char *line, size_t len)
{
	size_t i = 0, n;
	const char *w;

	while ((w = next_word(line, len, " \t", &i, &n)) != NULL)
		if (letter_case((const unsigned char *)w,
				(const unsigned char *)w + n) ==
		    LETTER_CASELESS)
			return true;
	return false;
}

/* The start of TEXT's last paragraph when it is a signature without a
   closing above it: a name_line, then signature lines ("Anna
   Andersson", "Storgatan 14", "070-123 45 67"), below a blank line
   under the text. A name in a script without case cannot be told from
   a word ("紧急", "urgent"): with lines below it, one of them must hold
   a digit or an '@' (a telephone number, an address), or the paragraph
   is text ("紧急\n路灯坏了", "urgent / the street light is broken").
   NULL when it is not. */
static const char *
name_paragraph(const char *text)
{
	const char *end = text + strlen(text), *first = NULL;
	size_t lines = 0, first_len = 0;
	bool contact = false;	/* a digit or '@' below the first line */

	while (end > text) {
		const char *start;
		size_t len = line_before(text, &end, &start);

		if (len == 0) {
			if (lines == 0)
				continue;	/* blank lines at the end */
			break;
		}
		if (++lines > SIGNATURE_LINES_MAX - 1 ||
		    !signature_line(start, len))
			return NULL;
		if (first != NULL)
			contact |= has_contact(first, first_len);
		first = start;
		first_len = len;
		if (start == text)
			return NULL;	/* no blank line above: no paragraph */
	}
	if (first == NULL || first <= text + strspn(text, " \t\r\n") ||
	    !name_line(first, first_len))
		return NULL;
	if (lines > 1 && !contact && caseless_words(first, first_len))
		return NULL;
	return first;
}

static const char *closing_signoff(const char *text);

const char *
reply_signoff(const char *text)
{
	const char *at = closing_signoff(text);

	return at != NULL ? at : name_paragraph(text);
}

/* A sign-off that opens with a closing line, or NULL. */
static const char *
closing_signoff(const char *text)
{
	const char *end = text + strlen(text);
	size_t below = 0, words;

	while (below < SIGNATURE_LINES_MAX && end > text) {
		const char *start;
		size_t len = line_before(text, &end, &start);

		if (len == 0)
			continue;
		if ((words = closing_match(start, len)) > 0) {
			/* the closing's line holds a name at most ("Mvh
			   Anna", not "Hälsningar Anna – lampan lyser inte"),
			   and the text is more than its sign-off */
			const char *tail = start + strspn(start, " \t");

			for (size_t w = 0; w < words; w++) {
				tail += strcspn(tail, " \t\r\n");
				tail += strspn(tail, " \t");
			}
			if (tail > start + len)
				tail = start + len;
			if (!signature_line(tail, len - (size_t)(tail - start)))
				return NULL;
			return start > text + strspn(text, " \t\r\n") ?
			       start : NULL;
		}
		if (!signature_line(start, len))
			return NULL;
		below++;
	}
	return NULL;
}

/* Words that make a paragraph a mail footer an organisation puts under
   every signature: how it handles personal data, that mail to it is a
   public record, that the mail is confidential, not to print it. */
static const char *const footer_words[] = {
	"personuppgift", "dataskydd", "gdpr", "allmän handling",
	"allmänna handlingar", "offentlighetsprincip", "sekretess",
	"konfidentiell", "tänk på miljön", "personal data",
	"data protection", "confidential", "public record",
	"before printing", "before you print",
};

/* The longest footer paragraph taken for one (bytes): a few sentences,
   not the answer. */
#define FOOTER_MAX 1000

/* Where the paragraph at the end of TEXT begins when it is a footer
   (footer_words) below a blank line, or NULL. */
static const char *
footer_at(const char *text)
{
	const char *end = text + strlen(text), *first = NULL;
	bool found = false;
	char *f;

	while (end > text) {
		const char *start;
		size_t len = line_before(text, &end, &start);

		if (len == 0) {
			if (first == NULL)
				continue;	/* blank lines at the end */
			break;
		}
		first = start;
		if (start == text)
			return NULL;	/* no blank line above: no paragraph */
	}
	if (first == NULL || strlen(first) > FOOTER_MAX)
		return NULL;
	f = workflow_fold(first);
	for (size_t i = 0; i < N_ELEMENTS(footer_words) && !found; i++)
		found = strstr(f, footer_words[i]) != NULL;
	free(f);
	return found ? first : NULL;
}

bool
reply_signed_off(const char *text)
{
	return reply_signed_off_at(text) != NULL;
}

size_t
reply_split_signoff(const char *text, const char **signoff_r)
{
	const char *at = reply_signed_off_at(text);
	size_t n = at != NULL ? (size_t)(at - text) : strlen(text);

	while (at != NULL && n > 0 && strchr(" \t\r\n", text[n - 1]) != NULL)
		n--;
	*signoff_r = at;
	return n;
}

bool
reply_signoff_plain(const char *signoff)
{
	/* a footer's "Vill du veta mer?" asks the citizen nothing */
	const char *footer = footer_at(signoff);

	for (const char *p = signoff; *p != '\0' && p != footer;
	     p += strcspn(p, "\n"), p += *p == '\n') {
		const char *line = p + strspn(p, " \t");

		if (memchr(p, '?', strcspn(p, "\n")) != NULL ||
		    strncasecmp(line, "ps", 2) == 0 ||
		    strncasecmp(line, "p.s", 3) == 0)
			return false;
	}
	return true;
}

size_t
reply_plain_cut(const char *text)
{
	const char *signoff = NULL;
	size_t n = reply_split_signoff(text, &signoff);

	return signoff != NULL && n > 0 && reply_signoff_plain(signoff) ? n :
	       strlen(text);
}

/* Words that close a letter only on a line of their own, with a name
   below: "Vänligen / Eva Ek", "Tack! / Eva", "Thanks, / Eva"; "Vänligen
   kontakta oss" and "Tack för ditt mejl" are text. */
static const char *const closings_alone[] = {
	"vänligen", "tack", "thanks", "many thanks", "thank you",
};

/* Whether LINE (LEN bytes) is one of closings_alone, with at most
   ",", "." or "!" after it, or "/Eva", the short Swedish signature of a
   slash and a name. */
static bool
closing_alone(const char *line, size_t len)
{
	char *cut, *f;
	size_t n;
	bool found = false;

	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	if (len > 1 && line[0] == '/' && len <= CLOSING_TAIL_MAX)
		return line[1] != '/' && signature_line(line + 1, len - 1);
	if (len > sizeof("many thanks!!"))
		return false;
	cut = xstrndup(line, len);
	f = workflow_fold(cut);
	free(cut);
	n = strlen(f);
	while (n > 0 && strchr(",.! \t", f[n - 1]) != NULL)
		f[--n] = '\0';
	for (size_t i = 0; i < N_ELEMENTS(closings_alone) && !found; i++)
		found = strcmp(f, closings_alone[i]) == 0;
	free(f);
	return found;
}

const char *
reply_signed_off_at(const char *text)
{
	const char *end = footer_at(text);
	size_t below = 0;	/* non-blank lines below the one at hand */

	/* a footer under the signature ("Vi behandlar dina personuppgifter
	   ...") is part of it, whatever its lines' length */
	if (end == NULL)
		end = text + strlen(text);

	/* a closing, then a name, a title, the office, addresses and a
	   telephone number at most: "Vänliga hälsningar / Eva Ek /
	   Handläggare, Samhällsbyggnad / Sundby kommun" is one */
	while (below < SIGNATURE_LINES_MAX && end > text) {
		const char *start;
		size_t len = line_before(text, &end, &start);

		if (len == 0)
			continue;
		if (closing_line(start, len))
			return start;
		/* "Vänligen / Eva": with a name below; "/Eva" is one */
		if (closing_alone(start, len) &&
		    (below > 0 || start[strspn(start, " \t")] == '/'))
			return start;
		if (len > CLOSING_TAIL_MAX)
			return NULL;
		below++;
	}
	return NULL;
}

/* LINE (LEN bytes) past its first WORDS words and the marks between a
   closing and a name (" , . ! - – — ،"): "Mvh, Eva" gives "Eva". */
static const char *
past_closing(const char *line, size_t len, size_t words, size_t *len_r)
{
	const char *p = line, *end = line + len;

	for (size_t w = 0; w < words && p < end; w++) {
		p += strspn(p, " \t");
		while (p < end && *p != ' ' && *p != '\t' && *p != ',' &&
		       !(end - p >= 2 && strncmp(p, "\u060c", 2) == 0))
			p++;
	}
	while (p < end) {
		if (strchr(" \t,.!/-", *p) != NULL)
			p++;
		else if (end - p >= 3 && (strncmp(p, "\u2013", 3) == 0 ||
					  strncmp(p, "\u2014", 3) == 0))
			p += 3;
		else if (end - p >= 2 && strncmp(p, "\u060c", 2) == 0)
			p += 2;
		else
			break;
	}
	*len_r = (size_t)(end - p);
	return p;
}

char *
reply_signer(const char *signoff)
{
	bool first = true;

	for (const char *p = signoff; *p != '\0'; p += strcspn(p, "\n"),
	     p += *p == '\n') {
		const char *line = p + strspn(p, " \t");
		size_t len = strcspn(line, "\n"), words, n;
		const char *name;

		while (len > 0 && strchr(" \t\r", line[len - 1]) != NULL)
			len--;
		if (len == 0)
			continue;
		if (!first)	/* the line below the closing */
			return name_line(line, len) ? xstrndup(line, len) :
			       NULL;
		first = false;
		/* "/Eva", "Mvh Eva", "Med vänlig hälsning, Eva Ek" */
		words = closing_match(line, len);
		if (words > 0 || line[0] == '/') {
			name = past_closing(line, len, words, &n);
			if (n > 0)
				return name_line(name, n) ?
				       xstrndup(name, n) : NULL;
		} else if (!closing_alone(line, len)) {
			/* no closing: a paragraph that begins with a name */
			return name_line(line, len) ? xstrndup(line, len) :
			       NULL;
		}
	}
	return NULL;
}

/* Words a thank-you alone is made of, in small letters: greetings, the
   thanks, what it is for, and closings. Any other word is more than
   thanks ("Tack, men lampan lyser inte"). */
static const char *const thanks_words[] = {
	"tack", "tackar", "thanks", "thank", "thx",
};
static const char *const thanks_closings[] = {
	"mvh", "hälsningar", "hälsning", "regards", "cheers", "best",
	"wishes",
};
static const char *const thanks_others[] = {
	/* Swedish */
	"hej", "hejsan", "hallå", "ok", "okej", "okey", "bra", "super",
	"toppen", "perfekt", "fint", "fin", "jättebra", "underbart",
	"utmärkt", "tusen", "stort", "ett", "så", "mycket", "hemskt",
	"jättemycket", "för", "hjälpen", "hjälp", "er", "din", "ert",
	"ditt", "svaret", "svar", "snabbt", "snabba", "snabb", "beskedet",
	"besked", "informationen", "det", "att", "ni", "du", "fixade",
	"ordnade", "löste", "lagade", "åtgärdade", "och", "igen", "med",
	"vänlig", "vänliga", "bästa", "ha", "en", "trevlig", "dag", "helg",
	"kväll", "god", "jul", "var", "till", "stor", "verkligen",
	"uppskattar", "uppskattas", "jag", "infon",
	/* English */
	"hi", "hello", "okay", "great", "perfect", "wonderful",
	"excellent", "brilliant", "awesome", "nice", "you", "many", "a",
	"lot", "so", "much", "very", "again", "for", "your", "the", "help",
	"quick", "fast", "reply", "response", "answer", "fixing", "it",
	"sorting", "out", "kind", "have", "day", "weekend", "good", "that",
	"was", "really", "helpful", "appreciate", "appreciated", "i", "info",
};

/* The longest text that can be a thank-you alone (bytes, before its
   sign-off). */
#define THANKS_MAX 200
/* Words after a closing in a thank-you's line ("Mvh Anna Ek"). */
#define THANKS_NAME_WORDS 3

/* Whether folded word W (N bytes) is one of LIST (N_LIST of them). */
static bool
word_in(const char *w, size_t n, const char *const *list, size_t n_list)
{
	for (size_t i = 0; i < n_list; i++)
		if (strlen(list[i]) == n && memcmp(list[i], w, n) == 0)
			return true;
	return false;
}

/* The length of the character at P (up to END) when it is part of a
   word (workflow_word_char: a letter or digit of any script), else 0:
   a mark, a space, an emoji parts words. */
static size_t
word_char(const unsigned char *p, const unsigned char *end)
{
	size_t n = 1;

	if (!workflow_word_char(p, end))
		return 0;
	while (p + n < end && n < 4 && (p[n] & 0xc0) == 0x80)
		n++;
	return n;
}

/* Whether folded word W (N bytes) is one of the words of folded NAME, or
   the initial of one ("anna s" of "anna svensson"). */
static bool
name_word(const char *w, size_t n, const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	const unsigned char *end = p + strlen(name);

	while (p < end) {
		size_t m = 0, k, first;

		if ((first = word_char(p, end)) == 0) {
			/* a mark, whole: "Anna–Lisa", "O’Brien" */
			p++;
			while (p < end && (*p & 0xc0) == 0x80)
				p++;
			continue;
		}
		while ((k = word_char(p + m, end)) > 0)
			m += k;
		if ((m == n || first == n) && memcmp(p, w, n) == 0)
			return true;
		p += m;
	}
	return false;
}

/* S folded as workflow_fold folds it, and the capitals of the other
   scripts with case (capital_runs[]: "Сергей", "Γιάννης") to their small
   letters where these are as long, and Greek letters to their plain
   small ones: a name in small letters is found in any of them, and the
   text keeps its length. Free it. */
static char *
name_fold(const char *s)
{
	/* Greek small letters with tonos or dialytika, then the plain
	   ones they fold to: "ΝΊΚΟΣ", "ΝΙΚΟΣ" and "Νίκος" are one name */
	static const char greek_marked[] = "άέήίόύώΐΰϊϋς";
	static const char greek_plain[] = "αεηιουωιυιυσ";
	char *f = workflow_fold(s);
	unsigned char *p = (unsigned char *)f, *end = p + strlen(f);

	while (p < end) {
		size_t len, k;
		unsigned long c = utf8_char(p, end, &len), small;
		const char *m;

		/* as long: two bytes up to U+07FF, three above */
		if (len >= 2 && (small = small_letter(c)) != 0 &&
		    (small <= 0x7ff) == (len == 2)) {
			unsigned char lead = len == 2 ? 0xc0 : 0xe0;

			for (k = len - 1; k > 0; k--, small >>= 6)
				p[k] = (unsigned char)(0x80 | (small & 0x3f));
			p[0] = (unsigned char)(lead | small);
		}
		/* all two bytes long */
		for (m = greek_marked; len == 2 && *m != '\0'; m += 2) {
			if (memcmp(p, m, 2) == 0) {
				memcpy(p, greek_plain + (m - greek_marked), 2);
				break;
			}
		}
		p += len;
	}
	return f;
}

/* Whether each word of SIGNOFF (a sign-off: reply_signoff) that begins
   with a letter of a script without case is one of the words of folded
   NAMES_F (NULL: none). Such a word passes for a name when the sign-off
   is found, but it may as well be a request: "Tack!\nmvh عاجل" is
   "urgent", not a name. */
static bool
caseless_known(const char *signoff, const char *names_f)
{
	char *names = xmalloc(strlen(signoff) + 2), *o = names, *f;
	const unsigned char *p, *end;
	bool known = true;

	/* the closings' words are no names: "مع السلامة\nأحمد" */
	for (const char *l = signoff; *l != '\0'; l += *l == '\n') {
		size_t len = strcspn(l, "\n"), words = closing_match(l, len);
		const char *rest = l;

		if (words > 0)
			rest = past_closing(l, len, words, &len);
		memcpy(o, rest, len);
		o += len;
		*o++ = '\n';
		l = rest + len;
	}
	*o = '\0';
	f = name_fold(names);
	free(names);
	p = (const unsigned char *)f;
	end = p + strlen(f);

	while (p < end && known) {
		size_t n = 0, k;

		if (word_char(p, end) == 0) {
			p++;
			while (p < end && (*p & 0xc0) == 0x80)
				p++;
			continue;
		}
		while ((k = word_char(p + n, end)) > 0)
			n += k;
		known = letter_case(p, end) != LETTER_CASELESS ||
			(names_f != NULL &&
			 name_word((const char *)p, n, names_f));
		p += n;
	}
	free(f);
	return known;
}

/* Words that name a telephone number on a signature's line, folded:
   the officer's own, then the switchboard's. */
static const char *const phone_labels[] = {
	"tel", "telefon", "mobil", "mob", "direkt", "phone", "mobile",
	"cell", "direct",
};
static const char *const switchboard_labels[] = {
	"växel", "vxl", "switchboard",
};
/* Words of a line whose number is no one's to ring: a fax, opening
   hours, a date, a case or an organisation's number, an account. */
static const char *const not_phone_words[] = {
	"fax", "telefax", "telefontid", "telefontider", "öppettider",
	"tider", "datum", "date", "dnr", "diarienummer", "diarienr",
	"ärende", "ärendenummer", "case", "ref", "org", "orgnr",
	"organisationsnummer", "bankgiro", "plusgiro", "bg", "pg", "swish",
	"iban", "bic", "personnummer", "pnr", "kundnummer", "faktura",
};

/* The fewest and most digits of a telephone number ("08-123 45 67",
   "+46 70 123 45 67"); a postal code ("123 45") has fewer. */
#define PHONE_DIGITS_MIN 7
#define PHONE_DIGITS_MAX 15

/* The telephone number on LINE (LEN bytes), as written, or NULL: a run
   of digits, spaces, '-' and "(0)" that begins with '0' or '+' after a
   blank, ':', ',', ';' or '(' (not inside a web or mail address) and
   holds PHONE_DIGITS_MIN to PHONE_DIGITS_MAX digits. A " - " between
   blanks ends it ("09 00 - 12 00"); groups of 2, 2 and 4 digits are a
   date ("07 12 2026"). */
static char *
phone_on(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		size_t j = i, digits = 0, last = i, groups = 0, sizes[4];
		size_t group = 0;

		if ((line[i] != '0' && line[i] != '+') ||
		    (i > 0 && strchr(" \t:,;(", line[i - 1]) == NULL))
			continue;
		if (line[j] == '+')
			j++;
		for (; j < len; j++) {
			if (isdigit((unsigned char)line[j])) {
				digits++;
				group++;
				last = j + 1;
				continue;
			}
			if (group > 0) {
				if (groups < N_ELEMENTS(sizes))
					sizes[groups] = group;
				groups++;
				group = 0;
			}
			if (line[j] == '(' && j + 2 < len &&
			    line[j + 1] == '0' && line[j + 2] == ')')
				j += 2;
			else if (line[j] == '-' && j > 0 && line[j - 1] == ' ' &&
				 j + 1 < len && line[j + 1] == ' ')
				break;
			else if (line[j] != ' ' && line[j] != '-')
				break;
		}
		if (group > 0) {
			if (groups < N_ELEMENTS(sizes))
				sizes[groups] = group;
			groups++;
		}
		/* "0771abc" is no number, nor any run inside it: each
		   ends at J */
		if ((j == len || !isalpha((unsigned char)line[j])) &&
		    digits >= PHONE_DIGITS_MIN && digits <= PHONE_DIGITS_MAX &&
		    !(groups == 3 && sizes[0] == 2 && sizes[1] == 2 &&
		      sizes[2] == 4))
			return xstrndup(line + i, last - i);
		i = j;
	}
	return NULL;
}

/* How LINE (LEN bytes) names its number: 2 as the officer's ("Tel:",
   "Mobil" first), 0 as the switchboard's ("Växel" anywhere), 1 not at
   all; -1 as no one's to ring (not_phone_words anywhere: "Fax"). */
static int
phone_rank(const char *line, size_t len)
{
	char *cut = xstrndup(line, len), *f = workflow_fold(cut);
	const unsigned char *end = (const unsigned char *)f + strlen(f);
	int rank = 1;
	bool first = true;

	free(cut);
	for (char *p = f; *p != '\0' && rank >= 0;) {
		size_t n = 0, k;

		if (word_char((const unsigned char *)p, end) == 0) {
			p++;
			continue;
		}
		while ((k = word_char((const unsigned char *)p + n, end)) > 0)
			n += k;
		if (word_in(p, n, not_phone_words,
			    N_ELEMENTS(not_phone_words)))
			rank = -1;
		else if (word_in(p, n, switchboard_labels,
				 N_ELEMENTS(switchboard_labels)))
			rank = 0;
		else if (first && rank == 1 &&
			 word_in(p, n, phone_labels, N_ELEMENTS(phone_labels)))
			rank = 2;
		first = false;
		p += n;
	}
	free(f);
	return rank;
}

char *
reply_signer_phone(const char *signoff)
{
	/* a footer's number is the municipality's, not the officer's */
	const char *footer = footer_at(signoff);
	char *best = NULL;
	int best_rank = -1;

	for (const char *p = signoff; *p != '\0' && p != footer;
	     p += strcspn(p, "\n"), p += *p == '\n') {
		const char *line = p + strspn(p, " \t");
		size_t len = strcspn(line, "\n");
		char *phone;
		int rank;

		/* a quote is someone else's */
		if (*line == '>' || (phone = phone_on(line, len)) == NULL)
			continue;
		/* the first of the best kind */
		rank = phone_rank(line, len);
		if (rank < 0) {
			free(phone);
		} else if (rank > best_rank) {
			free(best);
			best = phone;
			best_rank = rank;
		} else {
			free(phone);
		}
	}
	return best;
}

bool
reply_thanks_only(const char *text)
{
	return reply_thanks_only_by(text, NULL);
}

bool
reply_thanks_maybe(const char *text)
{
	/* a word after the closing is always one of the text's own */
	return reply_thanks_only_by(text, text);
}

bool
reply_thanks_only_by(const char *text, const char *name)
{
	const char *cut = reply_signoff(text);
	size_t len = cut != NULL ? (size_t)(cut - text) : strlen(text);
	size_t thanks = 0, after_closing = 0, letters, capitals;
	bool closed = false, other = false, caps;
	char *part, *f, *p, *name_f;
	const unsigned char *end;

	/* a question, also in Arabic script (U+061F) */
	if (len > THANKS_MAX || memchr(text, '?', len) != NULL ||
	    memmem(text, len, "\u061f", 2) != NULL)
		return false;
	name_f = name != NULL ? name_fold(name) : NULL;
	/* a sign-off's word in a script without case is a name only when
	   it is one of NAME's; else it is more than thanks, as it is where
	   the text is read on (no thanks word, no closing, no capital) */
	if (cut != NULL && !caseless_known(cut, name_f)) {
		free(name_f);
		return false;
	}
	part = xstrndup(text, len);
	p = f = name_fold(part);	/* of the same length */
	end = (const unsigned char *)f + len;
	/* written all in capitals ("TACK MVH ANNA"), where a name is too */
	count_case((const unsigned char *)part, len, &letters, &capitals);
	caps = capitals == letters;
	while (*p != '\0' && !other) {
		const char *w;
		size_t n = 0, k;

		/* "/Anna" at the end signs it */
		if (*p == '/' && !closed) {
			closed = true;
			p++;
			continue;
		}
		if (word_char((const unsigned char *)p, end) == 0) {
			/* a mark, a space, or a whole emoji */
			p++;
			while ((*(unsigned char *)p & 0xc0) == 0x80)
				p++;
			continue;
		}
		w = p;
		while ((k = word_char((const unsigned char *)p + n, end)) > 0)
			n += k;
		p += n;
		/* after a closing, more of it ("Best regards") */
		if (closed && word_in(w, n, thanks_closings,
				      N_ELEMENTS(thanks_closings)))
			continue;
		/* a name: "Mvh Anna", "/Anna Ek", not "/lampan trasig";
		   in small letters only the sender's own ("tack mvh anna"
		   from Anna Svensson): a small word is as often a request
		   ("tack mvh inte löst"), and so is a shouted one in a text
		   that is not all capitals ("Tack! Mvh FARLIGT") */
		if (closed) {
			const unsigned char *o = (const unsigned char *)part +
						 (w - f);

			other = ++after_closing > THANKS_NAME_WORDS ||
				!((letter_case(o, o + n) == LETTER_CAPITAL &&
				   (caps || !shouted(o, n))) ||
				  (name_f != NULL && name_word(w, n, name_f)));
		}
		else if (word_in(w, n, thanks_words, N_ELEMENTS(thanks_words)))
			thanks++;
		else if (word_in(w, n, thanks_closings,
				 N_ELEMENTS(thanks_closings)))
			closed = true;
		else
			other = !word_in(w, n, thanks_others,
					 N_ELEMENTS(thanks_others));
	}
	free(name_f);
	free(f);
	free(part);
	return thanks > 0 && !other;
}

char *
reply_delimited_signature(const char *text)
{
	struct text t;
	char *buf, *keep, *out;

	if (text == NULL)
		return NULL;
	buf = normalise(text);
	split_lines(buf, &t);
	keep = xcalloc(t.n, 1);
	out = delimited_signature(&t, keep, mark_lines(&t, keep),
				  strlen(text));
	free(keep);
	free(t.line);
	free(buf);
	return out;
}
