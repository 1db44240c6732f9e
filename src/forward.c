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

/* Date lines: no client writes one longer than this, and a word in one
   (a month, a week day) is shorter than WORD_MAX bytes. */
#define SENT_MAX 200
#define WORD_MAX 16

/* Month names, Swedish and English, full and short, lower case. */
static const struct {
	const char *name;
	int month;
} month_names[] = {
	{ "januari", 1 }, { "january", 1 }, { "jan", 1 },
	{ "februari", 2 }, { "february", 2 }, { "feb", 2 },
	{ "mars", 3 }, { "march", 3 }, { "mar", 3 },
	{ "april", 4 }, { "apr", 4 },
	{ "maj", 5 }, { "may", 5 },
	{ "juni", 6 }, { "june", 6 }, { "jun", 6 },
	{ "juli", 7 }, { "july", 7 }, { "jul", 7 },
	{ "augusti", 8 }, { "august", 8 }, { "aug", 8 },
	{ "september", 9 }, { "sept", 9 }, { "sep", 9 },
	{ "oktober", 10 }, { "october", 10 }, { "okt", 10 }, { "oct", 10 },
	{ "november", 11 }, { "nov", 11 },
	{ "december", 12 }, { "dec", 12 },
};

/* Words that say nothing of the time: week days, and the words clients
   put between date and time. */
static const char *const filler_words[] = {
	"den", "kl", "at", "on",
	"måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag",
	"söndag", "mån", "tis", "ons", "tor", "tors", "fre", "lör", "sön",
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
	"sunday", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri",
	"sat", "sun",
};

/* Zones by name, in minutes east of UTC. */
static const struct {
	const char *name;
	int minutes;
} zone_names[] = {
	{ "gmt", 0 }, { "utc", 0 }, { "ut", 0 }, { "z", 0 },
	{ "cet", 60 }, { "cest", 120 }, { "met", 60 }, { "mest", 120 },
};

/* What a date line said so far; -1 for what it has not. */
struct sent_when {
	int year, month, day, hour, min, sec;
	int meridiem;		/* 0, or 1 for AM and 2 for PM */
	bool zoned, gmt;	/* a zone named; it was GMT or UTC */
	bool after_kl;		/* the word before was "kl" (18.02) */
	int zone;		/* minutes east of UTC */
};

/* The number of at most MAX digits at *P (*P moves past them), or -1
   when there are none or more. */
static int
sent_digits(const char **p, int max)
{
	int n = 0, len = 0;

	while (isdigit((unsigned char)**p)) {
		if (++len > max)
			return -1;
		n = n * 10 + (**p - '0');
		(*p)++;
	}
	return len > 0 ? n : -1;
}

/* A number at *P: a year, a day, a time "18:02[:00]" (or "18.02" after
   "kl"), or an ISO date "2026-12-06[T]". 0 when it is none or says a
   second time what was said. */
static int
sent_number(const char **p, struct sent_when *w)
{
	const char *start = *p;
	int n = sent_digits(p, 4), len = (int)(*p - start);

	if (n < 0)
		return 0;
	if (len == 4 && **p == '-' && w->year < 0) {
		(*p)++;
		w->year = n;
		if ((w->month = sent_digits(p, 2)) < 0 || *(*p)++ != '-' ||
		    (w->day = sent_digits(p, 2)) < 0)
			return 0;
		if ((**p == 't' || **p == 'T') && isdigit((unsigned char)(*p)[1]))
			(*p)++;
		return 1;
	}
	if (len <= 2 && (**p == ':' || (w->after_kl && **p == '.' &&
					 isdigit((unsigned char)(*p)[1])))) {
		char sep = **p;

		if (w->hour >= 0)
			return 0;
		(*p)++;
		w->hour = n;
		if ((w->min = sent_digits(p, 2)) < 0)
			return 0;
		if (**p == sep && isdigit((unsigned char)(*p)[1])) {
			(*p)++;
			if ((w->sec = sent_digits(p, 2)) < 0)
				return 0;
		}
		return 1;
	}
	if (len == 4 && w->year < 0)
		w->year = n;
	else if (len <= 2 && w->day < 0)
		w->day = n;
	else
		return 0;
	return 1;
}

/* A zone's offset at *P after the time: "+0100", "+01:00", or "+1"
   after "GMT". 0 when it is none. */
static int
sent_offset(const char **p, struct sent_when *w)
{
	int sign = **p == '-' ? -1 : 1, h, m = 0;
	const char *start;

	if (w->hour < 0 || (w->zoned && !w->gmt))
		return 0;
	(*p)++;
	start = *p;
	if ((h = sent_digits(p, 4)) < 0)
		return 0;
	if (*p - start == 4) {
		m = h % 100;
		h /= 100;
	} else if (*p - start <= 2 && **p == ':') {
		(*p)++;
		if ((m = sent_digits(p, 2)) < 0)
			return 0;
	} else if (*p - start > 2 || !w->gmt) {
		return 0;
	}
	if (h > 14 || m > 59)
		return 0;
	w->zoned = true;
	w->gmt = false;
	w->zone += sign * (h * 60 + m);
	return 1;
}

static size_t sent_blank(const char *p);

/* A word at *P, lower case: a month, a zone, AM or PM, or a word that
   says nothing of the time; a no-break space ends it. 0 when it is
   none of these. */
static int
sent_word(const char **p, struct sent_when *w)
{
	char word[WORD_MAX];
	size_t n = 0;

	while ((isalpha((unsigned char)**p) || (unsigned char)**p >= 0x80) &&
	       sent_blank(*p) == 0) {
		unsigned char c = (unsigned char)**p;

		if (n + 2 >= sizeof(word))
			return 0;
		/* Å, Ä, Ö (and the rest of Latin-1's capitals) lower case */
		if (c == 0xC3 && (unsigned char)(*p)[1] >= 0x80 &&
		    (unsigned char)(*p)[1] <= 0x9E &&
		    (unsigned char)(*p)[1] != 0x97) {
			word[n++] = (char)c;
			word[n++] = (char)((unsigned char)(*p)[1] + 0x20);
			*p += 2;
			continue;
		}
		word[n++] = (char)tolower(c);
		(*p)++;
	}
	word[n] = '\0';
	w->after_kl = strcmp(word, "kl") == 0;
	for (size_t i = 0; i < N_ELEMENTS(month_names); i++)
		if (strcmp(word, month_names[i].name) == 0) {
			if (w->month >= 0)
				return 0;
			w->month = month_names[i].month;
			return 1;
		}
	for (size_t i = 0; i < N_ELEMENTS(filler_words); i++)
		if (strcmp(word, filler_words[i]) == 0)
			return 1;
	for (size_t i = 0; i < N_ELEMENTS(zone_names); i++)
		if (strcmp(word, zone_names[i].name) == 0) {
			if (w->zoned)
				return 0;
			w->zoned = true;
			w->gmt = zone_names[i].minutes == 0;
			w->zone = zone_names[i].minutes;
			return 1;
		}
	if ((strcmp(word, "am") == 0 || strcmp(word, "pm") == 0) &&
	    w->hour >= 0 && w->meridiem == 0) {
		w->meridiem = word[0] == 'a' ? 1 : 2;
		return 1;
	}
	return 0;
}

/* The blanks and punctuation between the parts of a date line at P:
   their length, or 0. No-break and narrow no-break spaces too (Gmail
   writes "6:02\u202fPM"). */
static size_t
sent_blank(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	if (strchr(" \t\r,.", *p) != NULL && *p != '\0')
		return 1;
	if (u[0] == 0xC2 && u[1] == 0xA0)
		return 2;
	if (u[0] == 0xE2 && u[1] == 0x80 && (u[2] == 0xAF || u[2] == 0x89))
		return 3;
	return 0;
}

/* Days from 1970-01-01 to Y-M-D of the proleptic Gregorian calendar. */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Whether W names a day the calendar has and a time a clock shows, its
   hour made a 24-hour clock's. */
static bool
sent_valid(struct sent_when *w)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
				     30, 31 };
	bool leap;

	if (w->year < 1970 || w->year > 2999 || w->month < 1 ||
	    w->month > 12 || w->day < 1 || w->hour < 0 || w->min < 0 ||
	    w->min > 59 || w->sec > 59)
		return false;
	leap = (w->year % 4 == 0 && w->year % 100 != 0) || w->year % 400 == 0;
	if (w->day > mdays[w->month - 1] || (w->month == 2 && !leap &&
					     w->day > 28))
		return false;
	if (w->meridiem != 0) {
		if (w->hour < 1 || w->hour > 12)
			return false;
		w->hour = w->hour % 12 + (w->meridiem == 2 ? 12 : 0);
	}
	return w->hour <= 23;
}

int
forward_sent_time(const char *sent, int64_t *t_r)
{
	struct sent_when w = { -1, -1, -1, -1, -1, 0, 0, false, false,
			       false, 0 };
	const char *p = sent;

	if (sent == NULL || strnlen(sent, SENT_MAX + 1) > SENT_MAX)
		return 0;
	while (*p != '\0') {
		size_t blank = sent_blank(p);
		int ok;

		if (blank > 0) {
			p += blank;
			continue;
		}
		if (*p == '(') {	/* "+0100 (CET)": a comment */
			const char *close = strchr(p, ')');

			if (close == NULL)
				return 0;
			p = close + 1;
			continue;
		}
		if (isdigit((unsigned char)*p))
			ok = sent_number(&p, &w);
		else if (*p == '+' || *p == '-')
			ok = sent_offset(&p, &w);
		else if (isalpha((unsigned char)*p) || (unsigned char)*p >= 0x80)
			ok = sent_word(&p, &w);
		else
			ok = 0;
		if (!ok)
			return 0;
	}
	if (!sent_valid(&w))
		return 0;
	if (w.zoned) {
		*t_r = days_from_civil(w.year, w.month, w.day) * 86400 +
		       w.hour * 3600 + w.min * 60 + w.sec - w.zone * 60;
	} else {
		struct tm tm = {
			.tm_year = w.year - 1900, .tm_mon = w.month - 1,
			.tm_mday = w.day, .tm_hour = w.hour, .tm_min = w.min,
			.tm_sec = w.sec, .tm_isdst = -1,
		};
		time_t t = mktime(&tm);

		if (t == (time_t)-1)
			return 0;
		*t_r = (int64_t)t;
	}
	return 1;
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
	if (f->sent != NULL && forward_sent_time(f->sent, &f->sent_at) == 0)
		f->sent_at = 0;
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
			/* when it reached the officer's mailbox: the topmost
			   Received field, which the municipality's server
			   wrote, rather than the Date the sender's computer
			   did (a clock set back makes a late mail look on
			   time); the Date when there is none */
			f->sent_at = mime_received_time(in, 1,
							cirm_now() + 300);
			if (f->sent_at == 0)
				f->sent_at = in->date;
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
