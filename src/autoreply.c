/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Mail no person wrote. RFC 3464 reports are read field by field; every
   other sign comes from a table of header fields or phrases, matched
   without regard to (ASCII) case. A bounce that is not an RFC 3464
   report needs two independent signs, one of them a sign only bounces
   have (the sender, a field, the subject), so that a citizen who
   writes that "my mail could not be delivered" (and even attaches the
   bounce they got) still opens a case. */
#include "config.h"

#include "autoreply.h"

#include "util.h"

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Bytes kept of the remote server's words. */
#define AR_MAX_DIAGNOSTIC 200
/* Longest address or Message-ID taken from a report. */
#define AR_MAX_ID 998
/* Bytes of body text or of a report part searched for signs and fields:
   the notice of a bounce is at the top, and a long text must not cost
   a long scan. */
#define AR_MAX_SCAN (64 * 1024)

/* ---- tables ---------------------------------------------------------- */

struct sign {
	const char *text;   /* header name, subject prefix or phrase */
	const char *reason; /* what ar->reason says when it decides */
};

#define HDR(h) { h, h }
#define SUBJ(s) { s, "subject: " s }

/* Local parts and display names of the programs that send bounces. */
static const char *const daemon_locals[] = {
	"mailer-daemon", "mailer_daemon", "mailerdaemon", "mail-daemon",
	"postmaster",
};
static const char *const daemon_names[] = {
	"Mail Delivery System", "Mail Delivery Subsystem",
	"Mail Delivery Service", "Mail Administrator", "MAILER-DAEMON",
	"Postmaster",
};

/* Header fields that only delivery failures carry (Exim and Gmail,
   Exchange). */
static const struct sign bounce_headers[] = {
	HDR("X-Failed-Recipients"),
	HDR("X-MS-Exchange-Message-Is-Ndr"),
};

/* Subjects of bounces, at the start of the subject: a person forwarding
   one writes "Fwd:" or "VB:" before it. */
static const struct sign bounce_subjects[] = {
	SUBJ("Undelivered Mail Returned to Sender"),
	SUBJ("Undeliverable:"),
	SUBJ("Undeliverable mail"),
	SUBJ("Delivery Status Notification (Failure)"),
	SUBJ("Delivery Status Notification (Delay)"),
	SUBJ("Mail delivery failed"),
	SUBJ("Returned mail:"),
	SUBJ("failure notice"),
	SUBJ("Delivery Failure"),
	SUBJ("Delivery delayed:"),
	SUBJ("Delayed Mail"),
	SUBJ("Non-delivery"),
	SUBJ("Olevererbart:"),
	SUBJ("Det gick inte att leverera"),
	SUBJ("Ej levererbart"),
	SUBJ("Leveransen har försenats"),
};

/* Phrases of bounce notices. Alone they prove nothing: people write
   them too. */
static const char *const bounce_phrases[] = {
	"could not be delivered", "couldn't be delivered",
	"The following address(es) failed",
	"following addresses had permanent",
	"Delivery to the following recipient failed",
	"Delivery has failed to these recipients",
	"This is the mail system at host",
	"This is the Postfix program at host",
	"I'm sorry to have to inform you",
	"permanent error", "permanent fatal error", "User unknown",
	"mailbox full", "mailbox is full", "message was rejected",
	"you sent was rejected", "has not yet been delivered",
	"Remote Server returned", "Diagnostic information for administrators",
	"kunde inte levereras", "Leveransen misslyckades",
	"Det gick inte att leverera", "Diagnostikinformation för administratörer",
	"Fjärrservern returnerade",
};

/* Words of a notice that the server is still trying. */
static const char *const delay_phrases[] = {
	"Delivery Status Notification (Delay)", "Delivery delayed",
	"Delayed Mail", "has not yet been delivered", "has been delayed",
	"delivery is delayed", "will continue trying", "will keep trying",
	"will retry", "still trying", "Delivery attempts will continue",
	"Leveransen har försenats",
	"har inte levererats ännu",
};

/* Lines after which a bounce notice quotes the returned message. */
static const char *const copy_markers[] = {
	"copy of the message", "Original message -----",
	"Original message follows", "Original message headers",
	"message headers follow", "Undelivered Message",
	"Ursprungliga meddelande", "Ursprungligt meddelande",
	"kopia av meddelandet",
};
static const char *const header_starts[] = {
	"Received:", "Return-Path:", "DKIM-Signature:",
};

/* Phrases followed (on the same or the next non-empty line) by the
   address that failed. */
static const char *const rcpt_intros[] = {
	"The following address(es) failed:",
	"following addresses had permanent fatal errors",
	"has not yet been delivered is:", "have not yet been delivered are:",
	"Delivery to the following recipient failed permanently:",
	"Delivery to the following recipient has been delayed:",
	"Delivery has failed to these recipients or groups:",
	"could not be delivered to the following recipients",
	"Leveransen misslyckades till följande mottagare",
	"följande mottagare eller grupper:",
	"target mail address:",
};

/* Subjects a person answering or forwarding writes first. */
static const char *const person_prefixes[] = {
	"Re:", "Fwd:", "Fw:", "VB:", "SV:", "AW:", "WG:", "TR:", "RV:",
	"Vs:", "Antw:",
};

/* RFC 3834 Auto-Submitted values; any other value but "no" counts too. */
static const struct sign auto_submitted_values[] = {
	{ "auto-replied", "Auto-Submitted: auto-replied" },
	{ "auto-generated", "Auto-Submitted: auto-generated" },
	{ "auto-notified", "Auto-Submitted: auto-notified" },
};

/* Fields set only by auto-responders; VALUE NULL: any value. */
static const struct {
	const char *name, *value;
} reply_headers[] = {
	{ "X-Autoreply", NULL },
	{ "X-Autorespond", NULL },
	{ "X-Autoresponder", NULL },
	{ "X-Autogenerated", "Reply" },
	{ "X-Apple-Action", "VACATION" },
};

/* Subjects of automatic replies, at the start of the subject. */
static const struct sign reply_subjects[] = {
	SUBJ("Automatic reply:"), SUBJ("Automatiskt svar"),
	SUBJ("Autosvar"), SUBJ("Frånvaromeddelande"),
	SUBJ("Abwesenheitsnotiz"), SUBJ("Automatische Antwort"),
	SUBJ("Out of Office"), SUBJ("Out of the Office"),
	SUBJ("Auto reply"), SUBJ("Auto-reply"), SUBJ("Autoreply"),
	SUBJ("Auto response"), SUBJ("Autoresponse"),
	SUBJ("Réponse automatique"),
};
/* Subjects a person may also choose ("Auto: parking permit",
   "Vacation rental"); they count only with one of weak_reply_headers. */
static const struct sign weak_reply_subjects[] = {
	SUBJ("Auto:"), SUBJ("Vacation"),
};
/* X-Auto-Response-Suppress is set by Outlook and Exchange on ordinary
   mail too (asking others not to answer automatically), and the
   Exchange fields also mark mail that an inbox rule forwarded; so none
   of them is a sign alone. */
static const char *const weak_reply_headers[] = {
	"X-Auto-Response-Suppress", "X-MS-Exchange-Inbox-Rules-Loop",
	"X-MS-Exchange-Generated-Message-Source", "In-Reply-To",
};

static const struct {
	const char *value;
	enum autoreply_kind kind;
	const char *reason;
} precedences[] = {
	{ "bulk", AUTOREPLY_BULK, "Precedence: bulk" },
	{ "junk", AUTOREPLY_BULK, "Precedence: junk" },
	{ "list", AUTOREPLY_BULK, "Precedence: list" },
	{ "auto_reply", AUTOREPLY_REPLY, "Precedence: auto_reply" },
};

static const struct sign list_headers[] = {
	HDR("List-Id"), HDR("List-Unsubscribe"), HDR("List-Post"),
	HDR("Mailing-List"),
};

static const char *const dsn_types[] = {
	"message/delivery-status", "message/global-delivery-status",
};
static const char *const dsn_report_types[] = {
	"delivery-status", "global-delivery-status",
};
/* RFC 8098 read receipts: sent by a program, if at a person's click. */
static const char *const mdn_report_types[] = {
	"disposition-notification",
};
static const char *const enclosed_types[] = {
	"message/rfc822", "message/global", "text/rfc822-headers",
	"message/global-headers",
};
static const char *const original_id_fields[] = {
	"X-Original-Message-ID", "Original-Message-ID",
};

/* ---- small text helpers ---------------------------------------------- */

static int
in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; s != NULL && i < n; i++)
		if (strcasecmp(s, list[i]) == 0)
			return 1;
	return 0;
}
#define IN_LIST(s, list) in_list(s, list, N_ELEMENTS(list))

/* A list of phrases prepared for one pass over a text, instead of one
   strcasestr per phrase (which cost a fifth of the engine's work on a
   mail): for each byte, the phrases that start with it, ASCII case
   aside. */
#define PHRASES_MAX 32
struct phrases {
	const char *const *v;
	size_t n;
	uint32_t first[256];
	size_t len[PHRASES_MAX];
	unsigned char second[PHRASES_MAX]; /* lower-cased */
};

static unsigned char
ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static void
phrases_init(struct phrases *ph, const char *const *v, size_t n)
{
	if (n > PHRASES_MAX)
		abort(); /* raise PHRASES_MAX */
	ph->v = v;
	ph->n = n;
	memset(ph->first, 0, sizeof(ph->first));
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i][0];

		ph->len[i] = strlen(v[i]);
		ph->second[i] = c != '\0' ? ascii_lower((unsigned char)v[i][1]) : 0;
		ph->first[c] |= (uint32_t)1 << i;
		if (c >= 'a' && c <= 'z')
			ph->first[c - 'a' + 'A'] |= (uint32_t)1 << i;
		else if (c >= 'A' && c <= 'Z')
			ph->first[c - 'A' + 'a'] |= (uint32_t)1 << i;
	}
}

/* The first of the phrases (in their list's order) found in S, or NULL:
   what strcasestr for each phrase in turn would find. */
static const char *
phrases_find(const struct phrases *ph, const char *s)
{
	size_t best = ph->n;

	for (const char *p = s; p != NULL && *p != '\0' && best > 0; p++) {
		/* Only a phrase before the best one found so far matters. */
		uint32_t m = ph->first[(unsigned char)*p] &
			     (uint32_t)(((uint64_t)1 << best) - 1);

		for (; m != 0; m &= m - 1) {
			unsigned i = (unsigned)__builtin_ctz(m);

			if (ph->len[i] > 1 &&
			    ascii_lower((unsigned char)p[1]) != ph->second[i])
				continue;
			if (strncasecmp(p, ph->v[i], ph->len[i]) == 0) {
				best = i;
				break;
			}
		}
	}
	return best < ph->n ? ph->v[best] : NULL;
}

/* The first of the N phrases found in S, or NULL. */
static const char *
find_any(const char *s, const char *const *phrases, size_t n)
{
	struct phrases ph;

	if (s == NULL)
		return NULL;
	phrases_init(&ph, phrases, n);
	return phrases_find(&ph, s);
}
#define FIND_ANY(s, list) find_any(s, list, N_ELEMENTS(list))

/* Whether S begins with PREFIX as a whole word. */
static int
starts_word(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncasecmp(s, prefix, n) != 0)
		return 0;
	return prefix[n - 1] == ':' || !isalnum((unsigned char)s[n]);
}

/* The entry of TABLE whose text starts SUBJECT, or NULL. */
static const struct sign *
subject_sign(const char *subject, const struct sign *table, size_t n)
{
	if (subject == NULL)
		return NULL;
	subject += strspn(subject, " \t");
	for (size_t i = 0; i < n; i++)
		if (starts_word(subject, table[i].text))
			return &table[i];
	return NULL;
}

/* The first entry of TABLE present as a top-level field, or NULL. */
static const struct sign *
header_sign(const struct mime_message *msg, const struct sign *table,
	    size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (mime_header(msg, table[i].text) != NULL)
			return &table[i];
	return NULL;
}

/* Whether the field value V starts with the token WORD. */
static int
token_is(const char *v, const char *word)
{
	size_t n = strlen(word);

	if (v == NULL)
		return 0;
	v += strspn(v, " \t");
	return strncasecmp(v, word, n) == 0 &&
	       !(isalnum((unsigned char)v[n]) || v[n] == '-' || v[n] == '_');
}

/* S[0..N) on one line: whitespace runs become one space, ends trimmed,
   cut to MAX bytes on a UTF-8 character boundary. NULL when empty. */
static char *
one_line(const char *s, size_t n, size_t max)
{
	char *out = xmalloc(n + 1);
	size_t len = 0;

	for (size_t i = 0; i < n && s[i] != '\0'; i++) {
		int sp = isspace((unsigned char)s[i]);

		if (sp && (len == 0 || out[len - 1] == ' '))
			continue;
		out[len++] = sp ? ' ' : s[i];
	}
	if (len > max) {
		len = max;
		while (len > 0 && ((unsigned char)out[len] & 0xc0) == 0x80)
			len--;
	}
	while (len > 0 && out[len - 1] == ' ')
		len--;
	out[len] = '\0';
	if (len == 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* ---- lines ----------------------------------------------------------- */

struct lines {
	char *buf;
	char **v;
	size_t n;
};

/* Splits BUF (taken over) into NUL-terminated lines without CR. */
static void
lines_split(struct lines *l, char *buf)
{
	size_t cap = 64;

	l->buf = buf;
	l->n = 0;
	l->v = xmalloc(cap * sizeof(*l->v));
	for (char *p = buf;;) {
		char *nl = strchr(p, '\n');

		if (l->n == cap)
			l->v = xrealloc(l->v, (cap *= 2) * sizeof(*l->v));
		l->v[l->n++] = p;
		if (nl == NULL)
			break;
		*nl = '\0';
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		p = nl + 1;
	}
}

static void
lines_free(struct lines *l)
{
	free(l->v);
	free(l->buf);
}

/* At most AR_MAX_SCAN bytes of TEXT, cut after a whole line if there
   is one, else between characters. */
static char *
scan_copy(const char *text)
{
	size_t n = strlen(text), cut;

	if (n > AR_MAX_SCAN) {
		n = cut = AR_MAX_SCAN;
		while (cut > 0 && text[cut - 1] != '\n')
			cut--;
		if (cut > 0)
			n = cut;
		while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
			n--;
	}
	return xstrndup(text, n);
}

static int
is_blank(const char *s)
{
	return s[strspn(s, " \t")] == '\0';
}

/* The body text prepared for searching: its lines, the line where the
   notice ends and the returned message begins, and all of it on one
   line (phrases are often wrapped). */
struct scan {
	struct lines l;
	size_t notice;
	char *flat;
};

/* Where the notice ends and the returned message begins. */
static size_t
notice_end(const struct lines *l)
{
	struct phrases markers;

	phrases_init(&markers, copy_markers, N_ELEMENTS(copy_markers));
	for (size_t i = 0; i < l->n; i++) {
		const char *s = l->v[i];

		if (phrases_find(&markers, s) != NULL)
			return i;
		for (size_t k = 0; k < N_ELEMENTS(header_starts); k++)
			if (strncasecmp(s, header_starts[k],
					strlen(header_starts[k])) == 0)
				return i;
	}
	return l->n;
}

/* ---- addresses, ids, codes ------------------------------------------- */

static int
is_local_char(char c)
{
	return isalnum((unsigned char)c) ||
	       (c != '\0' && strchr("!#$%&'*+/=?^_`{|}~.-", c) != NULL);
}

static int
is_domain_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '-';
}

/* The first local@domain in S, or NULL. */
static char *
find_addr(const char *s)
{
	for (const char *at = strchr(s, '@'); at != NULL;
	     at = strchr(at + 1, '@')) {
		const char *b = at, *e = at + 1;

		while (b > s && is_local_char(b[-1]))
			b--;
		while (is_domain_char(*e))
			e++;
		while (e > at + 1 && e[-1] == '.')
			e--;
		if (b < at && e > at + 1 && (size_t)(e - b) <= AR_MAX_ID)
			return xstrndup(b, (size_t)(e - b));
	}
	return NULL;
}

/* The address in a DSN recipient field ("rfc822; a@b") or in a list of
   addresses (the first), without angle brackets. */
static char *
addr_value(const char *v)
{
	const char *semi;
	size_t n;

	if (v == NULL)
		return NULL;
	semi = strchr(v, ';');
	if (semi != NULL && (strchr(v, '@') == NULL || semi < strchr(v, '@')))
		v = semi + 1;
	v += strspn(v, " \t<");
	n = strcspn(v, ">, \t");
	return n == 0 || n > AR_MAX_ID ? NULL : xstrndup(v, n);
}

/* A Message-ID field value without its angle brackets. */
static char *
id_value(const char *v)
{
	const char *lt;
	size_t n;

	if (v == NULL)
		return NULL;
	lt = strchr(v, '<');
	if (lt != NULL)
		v = lt + 1;
	v += strspn(v, " \t");
	n = strcspn(v, lt != NULL ? ">" : " \t");
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		n--;
	return n == 0 || n > AR_MAX_ID ? NULL : xstrndup(v, n);
}

/* The digits at S, counted up to MAX + 1 (so that "more than MAX"
   shows). */
static size_t
digits(const char *s, size_t max)
{
	size_t n = 0;

	while (n <= max && isdigit((unsigned char)s[n]))
		n++;
	return n;
}

/* Length of an RFC 3463 status code ("5.1.1") at S, or 0. */
static size_t
status_len(const char *s)
{
	size_t a, b;

	if (s[0] != '2' && s[0] != '4' && s[0] != '5')
		return 0;
	if (s[1] != '.' || (a = digits(s + 2, 3)) == 0 || a > 3 ||
	    s[2 + a] != '.' || (b = digits(s + 3 + a, 3)) == 0 || b > 3)
		return 0;
	if (s[3 + a + b] == '.' || isdigit((unsigned char)s[3 + a + b]))
		return 0;
	return 3 + a + b;
}

/* The first status code in S that is not part of a longer number. */
static char *
find_status(const char *s)
{
	for (const char *p = s; s != NULL && *p != '\0'; p++) {
		size_t n;

		if (p > s && (isdigit((unsigned char)p[-1]) || p[-1] == '.'))
			continue;
		if ((n = status_len(p)) > 0)
			return xstrndup(p, n);
	}
	return NULL;
}

/* An SMTP reply code of failure ("550 ", "451-", "554" at the end) in
   S, or NULL. */
static const char *
smtp_code(const char *s)
{
	for (const char *p = s; p[0] != '\0'; p++) {
		if ((p[0] != '4' && p[0] != '5') || !isdigit((unsigned char)p[1]) ||
		    !isdigit((unsigned char)p[2]))
			continue;
		if (p > s && strchr(" \t:;'\"(", p[-1]) == NULL)
			continue;
		if (p[3] == '\0' || p[3] == ' ' || p[3] == '-')
			return p;
	}
	return NULL;
}

/* ---- RFC 3464 -------------------------------------------------------- */

enum action { ACT_SUCCESS, ACT_UNKNOWN, ACT_DELAYED, ACT_FAILED };

struct dsn_rcpt {
	const char *final, *original, *action, *status, *diag;
};

static const struct {
	const char *name;
	size_t off;
} dsn_fields[] = {
	{ "Final-Recipient", offsetof(struct dsn_rcpt, final) },
	{ "Original-Recipient", offsetof(struct dsn_rcpt, original) },
	{ "Action", offsetof(struct dsn_rcpt, action) },
	{ "Status", offsetof(struct dsn_rcpt, status) },
	{ "Diagnostic-Code", offsetof(struct dsn_rcpt, diag) },
};

struct dsn {
	struct lines l;
	struct dsn_rcpt best; /* the recipient the notice is about */
	enum action act;
	int nrcpt;
	const char *original_id; /* X-Original-Message-ID or the like */
};

/* Copies S with folded lines joined and CR dropped. */
static char *
unfold(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;

	for (; *s != '\0'; s++) {
		if (*s == '\r')
			continue;
		if (*s == '\n' && (s[1] == ' ' || s[1] == '\t')) {
			size_t ws = strspn(s + 1, " \t\r");

			if (s[1 + ws] != '\n' && s[1 + ws] != '\0') {
				*o++ = ' ';
				s += ws;
				continue;
			}
		}
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

/* The value of the field NAME if LINE is one, else NULL. */
static const char *
field_value(const char *line, const char *name)
{
	size_t n = strlen(name);

	if (strncasecmp(line, name, n) != 0)
		return NULL;
	line += n + strspn(line + n, " \t");
	if (*line != ':')
		return NULL;
	return line + 1 + strspn(line + 1, " \t");
}

static enum action
rcpt_action(const struct dsn_rcpt *r)
{
	if (token_is(r->action, "failed"))
		return ACT_FAILED;
	if (token_is(r->action, "delayed"))
		return ACT_DELAYED;
	if (token_is(r->action, "delivered") || token_is(r->action, "relayed") ||
	    token_is(r->action, "expanded"))
		return ACT_SUCCESS;
	/* No usable Action: the status class says it. */
	if (r->status == NULL || status_len(r->status) == 0)
		return ACT_UNKNOWN;
	if (r->status[0] == '2')
		return ACT_SUCCESS;
	return r->status[0] == '4' ? ACT_DELAYED : ACT_FAILED;
}

/* Ends the recipient group CUR: keeps the first one of the gravest
   action (a failure over a delay over a success). */
static void
dsn_end_group(struct dsn *d, struct dsn_rcpt *cur)
{
	enum action act;

	if (cur->final == NULL && cur->original == NULL && cur->action == NULL)
		return;
	act = rcpt_action(cur);
	if (d->nrcpt++ == 0 || act > d->act) {
		d->best = *cur;
		d->act = act;
	}
	memset(cur, 0, sizeof(*cur));
}

static void
dsn_line(struct dsn *d, struct dsn_rcpt *cur, const char *s)
{
	const char *v;

	for (size_t i = 0; i < N_ELEMENTS(original_id_fields); i++)
		if (d->original_id == NULL &&
		    (v = field_value(s, original_id_fields[i])) != NULL)
			d->original_id = v;
	for (size_t i = 0; i < N_ELEMENTS(dsn_fields); i++) {
		const char **slot = (const char **)((char *)cur + dsn_fields[i].off);

		if (*slot == NULL && (v = field_value(s, dsn_fields[i].name)) != NULL)
			*slot = v;
	}
}

/* Reads the per-message and per-recipient groups of TEXT. */
static void
dsn_parse(struct dsn *d, const char *text)
{
	struct dsn_rcpt cur = { 0 };
	char *copy = scan_copy(text);

	memset(d, 0, sizeof(*d));
	d->act = ACT_UNKNOWN;
	lines_split(&d->l, unfold(copy));
	free(copy);
	for (size_t i = 0; i < d->l.n; i++) {
		if (is_blank(d->l.v[i]))
			dsn_end_group(d, &cur);
		else
			dsn_line(d, &cur, d->l.v[i]);
	}
	dsn_end_group(d, &cur);
}

static const struct mime_part *
find_part(const struct mime_message *msg, const char *const *types, size_t n)
{
	for (size_t i = 0; i < msg->nparts; i++)
		if (in_list(msg->parts[i].content_type, types, n))
			return &msg->parts[i];
	return NULL;
}

static int
is_report(const struct mime_message *msg, const char *const *types, size_t n)
{
	return msg->content_type != NULL &&
	       strcasecmp(msg->content_type, "multipart/report") == 0 &&
	       in_list(msg->report_type, types, n);
}

static int
is_dsn(const struct mime_message *msg)
{
	return is_report(msg, dsn_report_types, N_ELEMENTS(dsn_report_types)) ||
	       find_part(msg, dsn_types, N_ELEMENTS(dsn_types)) != NULL;
}

/* The diagnostic code without its type ("smtp; 550 ..." -> "550 ..."). */
static char *
diag_value(const char *v)
{
	const char *semi;

	if (v == NULL)
		return NULL;
	semi = strchr(v, ';');
	if (semi != NULL && semi - v <= 20 &&
	    strcspn(v, " \t") >= (size_t)(semi - v))
		v = semi + 1;
	return one_line(v, strlen(v), AR_MAX_DIAGNOSTIC);
}

/* Whether the notice says that the server is still trying. */
static int
delay_words(const struct mime_message *msg, const struct scan *sc)
{
	return FIND_ANY(msg->subject, delay_phrases) != NULL ||
	       FIND_ANY(sc->flat, delay_phrases) != NULL;
}

/* Fills AR from the report. Returns the report's own original id
   field, to be used when no enclosed message names one (caller frees). */
static char *
classify_dsn(const struct mime_message *msg, const struct scan *sc,
	     struct autoreply *ar)
{
	const struct mime_part *p = find_part(msg, dsn_types,
					      N_ELEMENTS(dsn_types));
	char *text = p != NULL ? mime_to_utf8("utf-8", p->data, p->len, NULL) :
				 NULL;
	struct dsn d;
	char *id;

	/* Without the report part, look for its fields in the text (some
	   servers put them there). */
	dsn_parse(&d, text != NULL ? text : msg->text != NULL ? msg->text : "");
	free(text);
	if (d.nrcpt > 0 && d.act == ACT_SUCCESS) {
		ar->kind = AUTOREPLY_REPLY;
		ar->reason = "delivery status: success";
		lines_free(&d.l);
		return NULL;
	}
	ar->kind = AUTOREPLY_BOUNCE;
	ar->reason = is_report(msg, dsn_report_types,
			       N_ELEMENTS(dsn_report_types)) ?
		"multipart/report delivery-status" : "message/delivery-status part";
	ar->permanent = d.nrcpt > 0 ? d.act != ACT_DELAYED :
				      !delay_words(msg, sc);
	ar->recipient = d.best.original != NULL && strchr(d.best.original, '@') ?
		addr_value(d.best.original) : addr_value(d.best.final);
	if (d.best.status != NULL)
		ar->status = find_status(d.best.status);
	ar->diagnostic = diag_value(d.best.diag);
	id = id_value(d.original_id);
	lines_free(&d.l);
	return id;
}

/* ---- bounces in other shapes ----------------------------------------- */

enum {
	SIGN_SENDER = 1 << 0,	/* MAILER-DAEMON, postmaster... */
	SIGN_HEADER = 1 << 1,	/* X-Failed-Recipients... */
	SIGN_SUBJECT = 1 << 2,	/* "Undeliverable:"... */
	SIGN_MACHINE = 1 << 3,	/* null Return-Path, Auto-Submitted */
	SIGN_BODY = 1 << 4,	/* "could not be delivered"... */
	SIGN_ENCLOSED = 1 << 5, /* a returned message */
};
/* Signs only a bounce has, and signs about the content. */
#define SIGNS_BOUNCE (SIGN_SENDER | SIGN_HEADER | SIGN_SUBJECT)
#define SIGNS_CONTENT (SIGN_HEADER | SIGN_SUBJECT | SIGN_BODY | SIGN_ENCLOSED)

static int
local_is_daemon(const char *addr)
{
	size_t n = addr != NULL ? strcspn(addr, "@") : 0;

	for (size_t i = 0; n > 0 && i < N_ELEMENTS(daemon_locals); i++)
		if (strlen(daemon_locals[i]) == n &&
		    strncasecmp(addr, daemon_locals[i], n) == 0)
			return 1;
	return 0;
}

static int
daemon_sender(const struct mime_message *msg)
{
	return local_is_daemon(msg->from.addr) ||
	       local_is_daemon(msg->sender.addr) ||
	       (msg->has_return_path && local_is_daemon(msg->return_path)) ||
	       IN_LIST(msg->from.name, daemon_names);
}

static int
auto_submitted(const struct mime_message *msg)
{
	const char *v = mime_header(msg, "Auto-Submitted");

	return v != NULL && !token_is(v, "no");
}

static int
null_return_path(const struct mime_message *msg)
{
	return msg->has_return_path && msg->return_path != NULL &&
	       msg->return_path[0] == '\0';
}

static int
has_enclosed(const struct mime_message *msg)
{
	for (size_t i = 0; i < msg->nparts; i++)
		if (msg->parts[i].role == MIME_PART_MESSAGE ||
		    IN_LIST(msg->parts[i].content_type, enclosed_types))
			return 1;
	return 0;
}

/* Whether one of the notice lines holds "550 5.1.1" or the like. */
static int
enhanced_reply(const struct lines *l, size_t end)
{
	for (size_t i = 0; i < end; i++) {
		const char *c = smtp_code(l->v[i]);

		if (c != NULL && c[3] == ' ' && status_len(c + 4) > 0)
			return 1;
	}
	return 0;
}

/* The signs of a bounce in MSG; *REASON_R names the strongest. */
static unsigned
bounce_signs(const struct mime_message *msg, const struct scan *sc,
	     const char **reason_r)
{
	const struct sign *h = header_sign(msg, bounce_headers,
					   N_ELEMENTS(bounce_headers));
	const struct sign *s = subject_sign(msg->subject, bounce_subjects,
					    N_ELEMENTS(bounce_subjects));
	unsigned signs = 0;

	if (daemon_sender(msg)) {
		signs |= SIGN_SENDER;
		*reason_r = "mailer-daemon sender";
	}
	if (s != NULL) {
		signs |= SIGN_SUBJECT;
		*reason_r = s->reason;
	}
	if (h != NULL) {
		signs |= SIGN_HEADER;
		*reason_r = h->reason;
	}
	if (null_return_path(msg) || auto_submitted(msg))
		signs |= SIGN_MACHINE;
	if (FIND_ANY(sc->flat, bounce_phrases) != NULL ||
	    enhanced_reply(&sc->l, sc->notice))
		signs |= SIGN_BODY;
	if (has_enclosed(msg))
		signs |= SIGN_ENCLOSED;
	return signs;
}

/* Two independent signs, one that only bounces have and one about what
   the mail says: a daemon's own auto-reply is not a bounce, and neither
   is a citizen's mail that says so and attaches one. */
static int
is_bounce(unsigned signs)
{
	unsigned n = 0;

	for (unsigned b = signs; b != 0; b &= b - 1)
		n++;
	return n >= 2 && (signs & SIGNS_BOUNCE) && (signs & SIGNS_CONTENT);
}

/* Whether a person answered or forwarded whatever this was. */
static int
person_subject(const char *subject)
{
	if (subject == NULL)
		return 0;
	subject += strspn(subject, " \t");
	for (size_t i = 0; i < N_ELEMENTS(person_prefixes); i++)
		if (starts_word(subject, person_prefixes[i]))
			return 1;
	return 0;
}

static int
classify_heuristic(const struct mime_message *msg, const struct scan *sc,
		   struct autoreply *ar)
{
	const char *reason = NULL;

	if (person_subject(msg->subject) ||
	    !is_bounce(bounce_signs(msg, sc, &reason)))
		return 0;
	ar->kind = AUTOREPLY_BOUNCE;
	ar->reason = reason;
	ar->permanent = !delay_words(msg, sc);
	return 1;
}

/* ---- what a bounce tells ---------------------------------------------- */

/* The address on the next non-empty line after line I, or in REST. */
static char *
rcpt_after(const struct scan *sc, size_t i, const char *rest)
{
	char *a = find_addr(rest);

	for (size_t j = i + 1; a == NULL && j < sc->notice; j++)
		if (!is_blank(sc->l.v[j]))
			return find_addr(sc->l.v[j]);
	return a;
}

/* "<a@b>: host ... said" or "<a@b> (expanded from <c@d>): ..." (Postfix). */
static char *
angle_rcpt(const char *s)
{
	const char *gt = s[0] == '<' ? strchr(s, '>') : NULL;

	if (gt == NULL || (gt[1] != ':' && strncmp(gt + 1, " (", 2) != 0) ||
	    memchr(s, '@', (size_t)(gt - s)) == NULL)
		return NULL;
	return xstrndup(s + 1, (size_t)(gt - s - 1));
}

/* The address the notice lists under "...failed to these recipients". */
static char *
listed_rcpt(const struct scan *sc)
{
	struct phrases intros;

	phrases_init(&intros, rcpt_intros, N_ELEMENTS(rcpt_intros));
	for (size_t i = 0; i < sc->notice; i++) {
		const char *intro = phrases_find(&intros, sc->l.v[i]);

		if (intro != NULL)
			return rcpt_after(sc, i, strcasestr(sc->l.v[i], intro) +
						 strlen(intro));
	}
	return NULL;
}

static char *
postfix_rcpt(const struct scan *sc)
{
	char *a = NULL;

	for (size_t i = 0; a == NULL && i < sc->notice; i++)
		a = angle_rcpt(sc->l.v[i]);
	return a;
}

/* The SMTP reply at CODE on line I and the lines indented under it. */
static char *
diag_from(const struct scan *sc, size_t i, const char *code)
{
	size_t indent = strspn(sc->l.v[i], " \t");
	char quote = code > sc->l.v[i] && strchr("'\"", code[-1]) ? code[-1] : 0;
	char *joined = xstrdup(code), *d;
	size_t n;

	for (size_t j = i + 1; j < sc->notice; j++) {
		const char *s = sc->l.v[j];
		size_t in = strspn(s, " \t");
		char *more;

		if (in == 0 || in < indent || s[in] == '\0' ||
		    strlen(joined) >= AR_MAX_DIAGNOSTIC)
			break;
		more = xasprintf("%s %s", joined, s + in);
		free(joined);
		joined = more;
	}
	d = one_line(joined, strlen(joined), AR_MAX_DIAGNOSTIC);
	free(joined);
	if (d != NULL && quote != 0 && (n = strlen(d)) > 0 && d[n - 1] == quote)
		d[n - 1] = '\0';
	return d;
}

static char *
text_diagnostic(const struct scan *sc)
{
	for (size_t i = 0; i < sc->notice; i++) {
		const char *code = smtp_code(sc->l.v[i]);

		if (code != NULL)
			return diag_from(sc, i, code);
	}
	return NULL;
}

static char *
text_status(const struct scan *sc)
{
	char *st = NULL;

	for (size_t i = 0; st == NULL && i < sc->notice; i++)
		st = find_status(sc->l.v[i]);
	return st;
}

/* The Message-ID of the first enclosed message or header section. */
static char *
enclosed_id(const struct mime_message *msg)
{
	struct mime_limits lim;

	mime_limits_default(&lim);
	for (size_t i = 0; i < msg->nparts; i++) {
		const struct mime_part *p = &msg->parts[i];
		struct mime_message *m = NULL;
		char *err = NULL, *id;

		if ((p->role != MIME_PART_MESSAGE &&
		     !IN_LIST(p->content_type, enclosed_types)) ||
		    p->data == NULL || p->len == 0)
			continue;
		if (mime_parse(p->data, p->len, &lim, &m, &err) < 0) {
			free(err);
			continue;
		}
		/* A bare id the parser refused is still worth matching. */
		id = m->message_id != NULL ? xstrdup(m->message_id) :
					     id_value(mime_header(m, "Message-ID"));
		mime_free(&m);
		if (id != NULL)
			return id;
	}
	return NULL;
}

/* The first Message-ID field quoted in the text. */
static char *
text_message_id(const struct scan *sc)
{
	for (size_t i = 0; i < sc->l.n; i++) {
		char *id = id_value(field_value(sc->l.v[i], "Message-ID"));

		if (id != NULL)
			return id;
	}
	return NULL;
}

/* The returned message's id: from the enclosed message, else from the
   report's or the notice's own field, else from the quoted text. */
static void
fill_original_id(const struct mime_message *msg, const struct scan *sc,
		 struct autoreply *ar, char *report_id)
{
	char *id = enclosed_id(msg);

	if (id == NULL) {
		id = report_id;
		report_id = NULL;
	}
	for (size_t i = 0; id == NULL && i < N_ELEMENTS(original_id_fields); i++)
		id = id_value(mime_header(msg, original_id_fields[i]));
	if (id == NULL)
		id = text_message_id(sc);
	free(report_id);
	ar->original_message_id = id;
}

/* What the report did not say, from other fields and the notice text. */
static void
fill_failure(const struct mime_message *msg, const struct scan *sc,
	     struct autoreply *ar)
{
	/* The list in the notice first: X-Failed-Recipients says the same
	   but may lack the address the sender wrote. */
	if (ar->recipient == NULL)
		ar->recipient = listed_rcpt(sc);
	if (ar->recipient == NULL)
		ar->recipient = addr_value(mime_header(msg, "X-Failed-Recipients"));
	if (ar->recipient == NULL)
		ar->recipient = postfix_rcpt(sc);
	if (ar->diagnostic == NULL)
		ar->diagnostic = text_diagnostic(sc);
	if (ar->status == NULL && ar->diagnostic != NULL)
		ar->status = find_status(ar->diagnostic);
	if (ar->status == NULL)
		ar->status = text_status(sc);
}

/* ---- automatic replies and bulk mail ---------------------------------- */

static const char *
precedence(const struct mime_message *msg, enum autoreply_kind kind)
{
	const char *v = mime_header(msg, "Precedence");

	for (size_t i = 0; v != NULL && i < N_ELEMENTS(precedences); i++)
		if (precedences[i].kind == kind &&
		    token_is(v, precedences[i].value))
			return precedences[i].reason;
	return NULL;
}

/* The reason of the first auto-responder field in MSG, or NULL. */
static const char *
reply_header(const struct mime_message *msg)
{
	const char *v;

	if ((v = mime_header(msg, "Auto-Submitted")) != NULL &&
	    !token_is(v, "no")) {
		for (size_t i = 0; i < N_ELEMENTS(auto_submitted_values); i++)
			if (token_is(v, auto_submitted_values[i].text))
				return auto_submitted_values[i].reason;
		return "Auto-Submitted";
	}
	for (size_t i = 0; i < N_ELEMENTS(reply_headers); i++)
		if ((v = mime_header(msg, reply_headers[i].name)) != NULL &&
		    (reply_headers[i].value == NULL ||
		     token_is(v, reply_headers[i].value)))
			return reply_headers[i].name;
	return precedence(msg, AUTOREPLY_REPLY);
}

static const char *
reply_subject(const struct mime_message *msg)
{
	const struct sign *s;

	if ((s = subject_sign(msg->subject, reply_subjects,
			      N_ELEMENTS(reply_subjects))) != NULL)
		return s->reason;
	if ((s = subject_sign(msg->subject, weak_reply_subjects,
			      N_ELEMENTS(weak_reply_subjects))) == NULL)
		return NULL;
	for (size_t i = 0; i < N_ELEMENTS(weak_reply_headers); i++)
		if (mime_header(msg, weak_reply_headers[i]) != NULL)
			return s->reason;
	return NULL;
}

static int
classify_reply(const struct mime_message *msg, struct autoreply *ar)
{
	const char *reason = reply_header(msg);

	if (reason == NULL && is_report(msg, mdn_report_types,
					N_ELEMENTS(mdn_report_types)))
		reason = "multipart/report disposition-notification";
	if (reason == NULL)
		reason = reply_subject(msg);
	/* Only bounces and automatic mail are sent with a null reverse-path
	   (RFC 5321, 4.5.5; RFC 3834, 3.3); bounces were ruled out. */
	if (reason == NULL && null_return_path(msg))
		reason = "null return path";
	if (reason == NULL)
		return 0;
	ar->kind = AUTOREPLY_REPLY;
	ar->reason = reason;
	return 1;
}

static void
classify_bulk(const struct mime_message *msg, struct autoreply *ar)
{
	const struct sign *h;
	const char *reason = precedence(msg, AUTOREPLY_BULK);

	if (reason == NULL &&
	    (h = header_sign(msg, list_headers, N_ELEMENTS(list_headers))) != NULL)
		reason = h->reason;
	if (reason != NULL) {
		ar->kind = AUTOREPLY_BULK;
		ar->reason = reason;
	}
}

/* ---- public ----------------------------------------------------------- */

static void
scan_init(struct scan *sc, const char *text)
{
	char *copy = scan_copy(text);

	sc->flat = one_line(copy, strlen(copy), SIZE_MAX);
	lines_split(&sc->l, copy);
	sc->notice = notice_end(&sc->l);
}

static void
scan_free(struct scan *sc)
{
	lines_free(&sc->l);
	free(sc->flat);
}

void
autoreply_classify(const struct mime_message *msg, struct autoreply *ar)
{
	struct scan sc;
	char *report_id = NULL;

	memset(ar, 0, sizeof(*ar));
	ar->kind = AUTOREPLY_NONE;
	ar->reason = "no sign of automatic mail";
	if (msg == NULL)
		return;
	scan_init(&sc, msg->text != NULL ? msg->text : "");
	/* Bounces first (they are automatic and often Precedence: bulk
	   too), then automatic replies, then bulk. */
	if (is_dsn(msg))
		report_id = classify_dsn(msg, &sc, ar);
	else if (!classify_heuristic(msg, &sc, ar) && !classify_reply(msg, ar))
		classify_bulk(msg, ar);
	if (ar->kind == AUTOREPLY_BOUNCE) {
		fill_original_id(msg, &sc, ar, report_id);
		fill_failure(msg, &sc, ar);
	} else
		free(report_id);
	scan_free(&sc);
}

void
autoreply_clear(struct autoreply *ar)
{
	if (ar == NULL)
		return;
	free(ar->original_message_id);
	free(ar->recipient);
	free(ar->status);
	free(ar->diagnostic);
	memset(ar, 0, sizeof(*ar));
}

const char *
autoreply_kind_name(enum autoreply_kind kind)
{
	static const char *const names[] = {
		[AUTOREPLY_NONE] = "none",
		[AUTOREPLY_REPLY] = "auto-reply",
		[AUTOREPLY_BOUNCE] = "bounce",
		[AUTOREPLY_BULK] = "bulk",
	};

	if ((unsigned)kind >= N_ELEMENTS(names))
		return "unknown";
	return names[kind];
}
