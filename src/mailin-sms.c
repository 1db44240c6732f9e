/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Inbound SMS, from an inbox row (the envelope gateways/sms.h
   describes) to its one place: a new case, a follow-up on a case, an
   opt-out or opt-in, a duplicate dropped, or the quarantine. */
#include "config.h"

#include "mailin-private.h"

#include "blob.h"
#include "e164.h"
#include "instance.h"
#include "i18n.h"
#include "log.h"
#include "reply.h"
#include "util.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A second delivery of an SMS without an id at its source (the same
   sender and text) within this time is the same message. */
#define SMS_DUPLICATE_WINDOW 600

/* An SMS with no text from a number with no open case gets one reply
   asking what it is about, at most once in this time: a phone that
   sends empty messages again and again (a loop, a pocket) must not
   make us send as many. */
#define SMS_EMPTY_REPLY_INTERVAL 86400

/* The first characters of a new case's text become its subject. */
#define SMS_SUBJECT_CHARS 60

struct sms_envelope {
	char *from, *to, *id, *parts;
	char *text;
};

static void
envelope_clear(struct sms_envelope *e)
{
	free(e->from);
	free(e->to);
	free(e->id);
	free(e->parts);
	free(e->text);
}

/* NULL for valid UTF-8 (no overlong forms, surrogates or code points
   past U+10FFFF) without NUL or other C0 controls but tab and line
   ends, else what is wrong with it. */
static const char *
text_bad(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len;) {
		size_t n;
		unsigned char c = p[i];

		if (c < 0x80) {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				return "SMS text has a control character "
				       "(other than tab and line ends)";
			i++;
			continue;
		}
		n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 :
		    c >= 0xf0 && c <= 0xf4 ? 4 : 0;
		if (n == 0 || i + n > len)
			return "SMS text is not valid UTF-8 text";
		for (size_t k = 1; k < n; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return "SMS text is not valid UTF-8 text";
		if ((c == 0xe0 && p[i + 1] < 0xa0) ||
		    (c == 0xed && p[i + 1] >= 0xa0) ||
		    (c == 0xf0 && p[i + 1] < 0x90) ||
		    (c == 0xf4 && p[i + 1] >= 0x90))
			return "SMS text is not valid UTF-8 text";
		i += n;
	}
	return NULL;
}

/* Whether the header line NAME (LEN bytes) is one only smsd's spool
   files have (smstools3's doc/fileformat.html), never an envelope. */
static bool
smsd_header(const char *name, size_t len)
{
	static const char *const smsd[] = {
		"From_TOA", "From_SMSC", "Alphabet", "UDH", "UDH-DATA",
		"Error", "Sent", "Received", "Modem", "IMSI", "Length",
		"Report", "Flash", "Incomplete", "PDU", NULL,
	};

	for (size_t i = 0; smsd[i] != NULL; i++)
		if (strlen(smsd[i]) == len && strncmp(name, smsd[i], len) == 0)
			return true;
	return false;
}

/* Parses RAW; -1 with a reason (no personal data) when it is not an
   envelope. A file of smsd's in the quarantine (one the smstools
   gateway could not read: the text of one it could is quarantined as
   an envelope) is not read as one: its sender's From_TOA, its
   Alphabet and its Error line would go unread, and a national number
   become a foreign one. */
static int
parse_envelope(const void *raw, size_t len, struct sms_envelope *e,
	       char **reason_r)
{
	const char *p = raw, *end = p + len, *bad;

	memset(e, 0, sizeof(*e));
	while (p < end && *p != '\n') {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *colon;
		char **slot = NULL;

		if (nl == NULL)
			break;
		colon = memchr(p, ':', (size_t)(nl - p));
		if (colon == NULL) {
			*reason_r = xstrdup("not an SMS envelope: a header line "
					    "without a colon");
			return -1;
		}
		if (smsd_header(p, (size_t)(colon - p))) {
			*reason_r = xstrdup("not an SMS envelope but a file of "
					    "smsd's, which the smstools gateway "
					    "could not read");
			return -1;
		}
		if (colon - p == 4 && strncmp(p, "From", 4) == 0)
			slot = &e->from;
		else if (colon - p == 2 && strncmp(p, "To", 2) == 0)
			slot = &e->to;
		else if (colon - p == 2 && strncmp(p, "Id", 2) == 0)
			slot = &e->id;
		else if (colon - p == 5 && strncmp(p, "Parts", 5) == 0)
			slot = &e->parts;
		if (slot != NULL) {
			const char *v = colon + 1 + strspn(colon + 1, " ");

			free(*slot);
			*slot = xstrndup(v, (size_t)(nl - v));
		}
		p = nl + 1;
	}
	/* an empty Id (an SMSC's id of blanks) names no message: the
	   same text again is then a duplicate only within minutes */
	if (e->id != NULL && *e->id == '\0') {
		free(e->id);
		e->id = NULL;
	}
	if (p >= end || *p != '\n' || e->from == NULL) {
		*reason_r = xstrdup("not an SMS envelope: no From line or no "
				    "blank line before the text");
		return -1;
	}
	p++;
	if ((bad = text_bad((const unsigned char *)p, (size_t)(end - p))) !=
	    NULL) {
		*reason_r = xstrdup(bad);
		return -1;
	}
	e->text = xstrndup(p, (size_t)(end - p));
	/* as mail's text is (a phone may send UCS-2 decomposed) */
	mime_utf8_compose(e->text);
	return 0;
}

/* The sender in E.164. Networks give international numbers without
   their '+' (TON international); a national number starts with 0. */
static int
sender_number(const struct mailin *mi, const char *from, char out[E164_SIZE],
	      char **reason_r)
{
	const char *why = NULL;
	char *with_plus = NULL;
	int r;

	if (from[0] >= '1' && from[0] <= '9' &&
	    strspn(from, "0123456789") == strlen(from))
		with_plus = xasprintf("+%s", from);
	r = e164_normalise(with_plus != NULL ? with_plus : from,
			   mi->sms_country_code, out, &why);
	free(with_plus);
	if (r < 0)
		*reason_r = xasprintf("the SMS sender is not a phone number "
				      "(%s)", why);
	return r;
}

/* "sms:id:NUMBER:ID" when the source named the message (an SMSC's ids
   are its own to recycle: only the same sender's is the same message),
   else "sms:sha:" and a digest of sender and text. */
static char *
sms_dedupe_key(const struct sms_envelope *e, const char *number)
{
	char *what, *key;

	if (e->id != NULL && *e->id != '\0')
		return xasprintf("sms:id:%s:%s", number, e->id);
	what = xasprintf("%s\n%s", number, e->text);
	key = mailin_digest_key("sms:sha:", what);
	free(what);
	return key;
}

enum keyword { KW_NONE, KW_STOP, KW_START };

/* S past blanks (no-break and zero-width spaces too, which phones
   put in), line ends and the characters in ALSO. */
static const char *
skip_around(const char *s, const char *also)
{
	for (const char *p = NULL; p != s;) {
		p = s;
		s = mailin_skip_blank(s);
		s += strspn(s, also);
	}
	return s;
}

/* S past a pictograph a phone puts after a word (🙏, 👍, ☺, with
   its variation selector, skin tone or joiner), or S itself. */
static const char *
skip_pictograph(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t n;

	if (p[0] < 0xe2)
		return s;
	n = p[0] < 0xf0 ? 3 : 4;
	for (size_t k = 1; k < n; k++)
		if ((p[k] & 0xc0) != 0x80)
			return s;
	cp = n == 3 ? (uint32_t)(p[0] & 0x0f) << 12 |
		(uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f) :
		(uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 |
		(uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
	if ((cp >= 0x2600 && cp <= 0x27bf) || cp == 0xfe0f || cp == 0x200d ||
	    (cp >= 0x1f300 && cp <= 0x1faff))
		return s + n;
	return s;
}

/* TEXT, folded to small letters (workflow_fold, Å too), past the
   thanks a citizen may add to a keyword ("STOPP tack", "Stop, thanks
   🙏"): the words of THANKS, punctuation and pictographs. Where it
   stops. */
static const char *
skip_thanks(const char *text)
{
	static const char *const thanks[] = {
		"tack så mycket", "tack", "thank you", "thanks", NULL,
	};

	for (const char *p = NULL; p != text;) {
		p = text;
		text = skip_pictograph(skip_around(text, "\r\n.,!"));
		for (size_t i = 0; thanks[i] != NULL; i++) {
			size_t n = strlen(thanks[i]);

			if (strncmp(text, thanks[i], n) == 0 &&
			    !isalpha((unsigned char)text[n]) &&
			    (unsigned char)text[n] < 0x80) {
				text += n;
				break;
			}
		}
	}
	return text;
}

/* STOP, STOPP or AVSLUTA alone (any case, trailing punctuation, a
   thanks and pictographs ignored) opts out; START or STARTA opts in
   again. */
static enum keyword
keyword(const char *text, char word[16])
{
	static const char *const stop[] = { "STOP", "STOPP", "AVSLUTA", NULL };
	static const char *const start[] = { "START", "STARTA", NULL };
	size_t n = 0;
	char *rest;
	bool alone;

	text = skip_around(text, "\r\n");
	while (n < 15 && isalpha((unsigned char)text[n])) {
		word[n] = (char)toupper((unsigned char)text[n]);
		n++;
	}
	word[n] = '\0';
	/* "Stopp tack": a thanks, never a message to the municipality */
	rest = workflow_fold(text + n);
	alone = n > 0 && *skip_thanks(rest) == '\0';
	free(rest);
	if (!alone)
		return KW_NONE;
	for (size_t i = 0; stop[i] != NULL; i++)
		if (strcmp(word, stop[i]) == 0)
			return KW_STOP;
	for (size_t i = 0; start[i] != NULL; i++)
		if (strcmp(word, start[i]) == 0)
			return KW_START;
	return KW_NONE;
}

/* The SMS sent in no case, which have only {{municipality.name}}. */
static const char *const optout_templates[] = { "sms-optout.sms",
						  "sms-optin.sms",
						  "sms-empty.sms", NULL };

/* Whether ERRORS has S already. */
static bool
has_error(const struct strlist *errors, const char *s)
{
	for (size_t i = 0; i < errors->n; i++)
		if (strcmp(errors->v[i], s) == 0)
			return true;
	return false;
}

void
mailin_check_sms_templates(struct mailin *mi, struct strlist *errors)
{
	const struct template_var vars[] = {
		{ "municipality.name", mi->name },
	};
	/* The instance's language, and those a citizen may read (their
	   confirmation comes in theirs); one that has no template of its
	   own falls back to sv, told once. */
	const char *langs[] = { mi->language, "sv", "en" };

	/* Not there even in sv, which every language falls back to: an
	   instance made by an older cirm, whose templates are its own
	   copies (cirmctl init), lacks what a newer one sends. Found only
	   when a citizen's SMS needs it, it would go unsent. */
	for (size_t i = 0; mi->sms && optout_templates[i] != NULL; i++) {
		char *shipped, *msg;

		if (template_cache_exists(mi->templates, "sv",
					  optout_templates[i]))
			continue;
		shipped = instance_data_source("templates");
		msg = xasprintf("%s/sv/%s: no such template, and cirm sends it "
				"by SMS to citizens: copy the templates this "
				"instance lacks from those cirm installs, "
				"keeping its own (cp -rn %s/. %s/), then "
				"reload", mi->template_dir,
				optout_templates[i], shipped,
				mi->template_dir);
		strlist_add(errors, msg);
		free(msg);
		free(shipped);
	}
	for (size_t l = 0; l < N_ELEMENTS(langs); l++) {
		for (size_t i = 0; optout_templates[i] != NULL; i++) {
			char *subject = NULL, *body = NULL, *err = NULL, *msg;

			if (!template_cache_exists(mi->templates, langs[l],
						   optout_templates[i]) ||
			    template_cache_render(mi->templates, langs[l],
						  optout_templates[i], vars,
						  N_ELEMENTS(vars), &subject,
						  &body, &err) == 0) {
				free(subject);
				free(body);
				continue;
			}
			/* a line for each problem of the file */
			for (char *save, *line = strtok_r(err, "\n", &save);
			     line != NULL; line = strtok_r(NULL, "\n", &save)) {
				msg = xasprintf("%s (it has only "
						"{{municipality.name}})", line);
				if (!has_error(errors, msg))
					strlist_add(errors, msg);
				free(msg);
			}
			free(err);
		}
	}
}

/* The language the owner of NUMBER reads (caller frees): theirs when
   the number is a contact's, else the instance's. NULL on error. */
static char *
number_language(struct mailin *mi, struct store *store, const char *number,
		char **error_r)
{
	char *kind = NULL, *lang = NULL;
	int64_t id;
	int r = store_contact_find(store, "phone", number, &id, error_r);

	if (r > 0)
		r = store_contact_kind(store, id, &kind, &lang, error_r);
	free(kind);
	if (r < 0) {
		free(lang);
		return NULL;
	}
	return lang != NULL ? lang : xstrdup(mi->language);
}

/* An SMS of TEMPLATE_ID (one of optout_templates) to NUMBER in no
   case, marked with the header line HEADER, in the language of its
   owner. A template that does not render costs the SMS, told in the
   log with file:line, never what it tells of. 1 queued, 0 not, -1. */
static int
send_plain(struct mailin *mi, struct store *store, const char *number,
	   const char *template_id, const char *header, char **error_r)
{
	const struct template_var vars[] = {
		{ "municipality.name", mi->name },
	};
	char *subject = NULL, *body = NULL, *err = NULL, *lang, *headers;
	struct store_outbox_new o = {
		.channel = "sms", .recipient = number, .at = cirm_now(),
	};
	int ret;

	if ((lang = number_language(mi, store, number, error_r)) == NULL)
		return -1;
	ret = template_cache_render(mi->templates, lang, template_id, vars,
				    N_ELEMENTS(vars), &subject, &body, &err);
	free(lang);
	if (ret < 0) {
		log_warnx("%s: no SMS sent", err);
		free(err);
		return 0;
	}
	headers = xasprintf("%s\n", header);
	o.headers = headers;
	o.body = body;
	ret = store_outbox_add(store, &o, NULL, error_r) < 0 ? -1 : 1;
	free(headers);
	free(subject);
	free(body);
	return ret;
}

/* The one SMS a number that opted out still gets: the confirmation, in
   the language of the citizen who sent the keyword. */
static int
confirm_optout(struct mailin *mi, struct store *store, const char *number,
	       const char *template_id, char **error_r)
{
	return send_plain(mi, store, number, template_id,
			  STORE_SMS_OPTOUT_CONFIRMATION, error_r) < 0 ? -1 : 0;
}

/* A change of NUMBER's opt-out (KIND sms.optout or sms.optin, the
   keyword WORD) on its citizen's open cases, where case show and the
   history see it: a handler should not learn of a STOP only when an
   answer is withheld. 0, or -1. */
static int
opt_on_cases(struct store *store, const char *number, const char *kind,
	     const char *word, char **error_r)
{
	int64_t contact;
	int r = store_contact_find(store, "phone", number, &contact, error_r);

	if (r > 0)
		r = store_citizen_event_add(store, contact, cirm_now(), kind,
					    word, error_r);
	return r < 0 ? -1 : 0;
}

/* STOP: recorded, and confirmed the first time. START: forgotten.
   1 done; 0 for a START from a number that had not opted out, which
   is then no keyword but what the citizen wrote (an answer, "start"
   of something), to go to the case as any text; -1. */
static int
opt(struct mailin *mi, struct store *store, enum keyword kw,
    const char *word, const char *number, char **error_r)
{
	int r;

	if (kw == KW_STOP) {
		r = store_sms_optout_add(store, number, word, cirm_now(),
					 error_r);
		if (r > 0)
			r = opt_on_cases(store, number, "sms.optout", word,
					 error_r) < 0 ? -1 :
				confirm_optout(mi, store, number,
					       "sms-optout.sms", error_r);
		return r < 0 ? -1 : 1;
	}
	r = store_sms_optout_remove(store, number, error_r);
	if (r > 0)
		r = opt_on_cases(store, number, "sms.optin", word, error_r) < 0 ?
			-1 : confirm_optout(mi, store, number, "sms-optin.sms",
					    error_r) < 0 ? -1 : 1;
	return r;
}

/* The contact owning NUMBER, created when new, in the language of
   TEXT, its first message. */
static int
number_contact(struct mailin *mi, struct store *store, const char *number,
	       const char *text, int64_t *id_r, char **error_r)
{
	int r = store_contact_find(store, "phone", number, id_r, error_r);

	if (r != 0)
		return r < 0 ? -1 : 0;
	if (store_contact_add(store, STORE_CITIZEN, NULL, NULL,
			      mailin_citizen_language(mi, NULL, text),
			      id_r, error_r) < 0)
		return -1;
	return store_contact_address_add(store, *id_r, "phone", number,
					 error_r);
}

struct sms_thread {
	int64_t case_id;
	char number[STORE_CASE_NUMBER_MAX];
	char *mentioned;	/* a case number of someone else's case */
	bool mentioned_theirs;	/* MENTIONED is the sender's closed case */
};

/* Whether case ID of workflow WF is in a state of category waiting
   (for the citizen: an answer to a question, or to a resolution the
   citizen was told to answer within some time). 1, 0, -1. */
static int
case_waiting(struct store *store, const struct workflow *wf, int64_t id,
	     char **error_r)
{
	struct store_case_flow f = { 0 };
	int r = store_case_flow_get(store, id, &f, error_r), waiting = 0;

	if (r > 0 && f.state != NULL) {
		char *states = xstrdup(f.state), *save = NULL;

		for (char *s = strtok_r(states, " ", &save); s != NULL;
		     s = strtok_r(NULL, " ", &save)) {
			const struct workflow_state *ws = workflow_state(wf, s);

			if (ws != NULL && ws->category == WORKFLOW_WAITING)
				waiting = 1;
		}
		free(states);
	}
	store_case_flow_clear(&f);
	return r < 0 ? -1 : waiting;
}

struct contact_ctx {
	struct store *store;
	int64_t contact;
	int64_t open_id;	/* the last open case of the contact's seen */
};

/* Whether case NUMBER is the contact's of CTX (mailin_pick_number's
   SENDERS). */
static int
contacts_case(const char *number, void *ctx, char **error_r)
{
	struct contact_ctx *c = ctx;
	int64_t id;
	int r = store_case_id(c->store, number, &id, error_r);

	if (r > 0)
		r = store_case_has_contact(c->store, id, c->contact, error_r);
	/* a case merged into another stands for the kept one */
	if (r > 0 && store_case_kept(c->store, id, &id, NULL, error_r) < 0)
		r = -1;
	if (r > 0 && (r = mailin_case_closed(c->store, id, error_r)) >= 0)
		r = r > 0 ? 1 : 2;
	if (r == 2)
		c->open_id = id;
	return r;
}

/* Which case the SMS joins: a case number in its text, when the sender
   is a party to that case and it is open (or was merged into an open
   one) (of several, the first such:
   a case opened by an SMS on a closed one names both); else the
   sender's open case with the latest activity, while it is within its
   workflow's sms-window or waits for the citizen (its timers, not the
   window, end that). A number that joins nothing is mentioned by a new
   case: the first of the sender's closed cases, else the first. */
static int
thread(struct mailin *mi, struct store *store, const char *text,
       int64_t contact, int64_t now, struct sms_thread *t, char **error_r)
{
	struct contact_ctx c = { store, contact, 0 };
	const struct workflow *wf = NULL;
	char *theirs, *first;
	int64_t id, updated;
	int r = mailin_pick_number(mi->prefix, text, true, contacts_case, &c,
				   &theirs, &first, error_r);

	if (r < 0)
		return -1;
	if (r == 2) {
		t->case_id = c.open_id;
		free(theirs);
		free(first);
		goto found;
	}
	/* a closed case: a new case that mentions it */
	if (theirs != NULL) {
		t->mentioned = theirs;
		t->mentioned_theirs = true;
		free(first);
	} else {
		t->mentioned = first;
	}
	r = store_case_latest_open(store, contact, &id, &updated, error_r);
	if (r > 0 && mi->flow != NULL &&
	    caseflow_workflow_of(mi->flow, store, id, &wf, error_r) < 0)
		r = -1;
	if (r > 0 && now - updated > (wf != NULL ? wf->sms_window :
				      WORKFLOW_SMS_WINDOW_DEFAULT))
		r = wf != NULL ? case_waiting(store, wf, id, error_r) : 0;
	if (r > 0)
		t->case_id = id;
found:
	if (r > 0)
		r = store_case_get_number(store, t->case_id, t->number,
					  error_r);
	return r;
}

static int
save_message(struct store *store, const struct store_inbox_row *row,
	     const struct sms_envelope *e, int64_t case_id, int64_t contact,
	     const char *dedupe_key, char **error_r)
{
	char raw_id[BLOB_ID_LEN + 1];
	struct store_message_new m = {
		.direction = "in", .channel = "sms", .visibility = "public",
		.contact_id = contact, .body_stripped = e->text, .raw_sha256 = raw_id,
		.dedupe_key = dedupe_key, .at = row->received_at,
	};
	int64_t id;

	mailin_raw_key(row, raw_id);
	if (store_raw_put(store, raw_id, row->raw, row->raw_len, error_r) < 0 ||
	    store_message_add(store, case_id, &m, &id, error_r) < 0)
		return -1;
	/* Parts that never came: the handler should know the text is cut. */
	if (e->parts != NULL)
		return store_event_add(store, case_id, row->received_at,
				       "sms.incomplete", contact, NULL, NULL,
				       e->parts, error_r);
	return 0;
}

/* The subject of a case opened by SMS: the start of its text on one
   line, cut at a word's end with "…" when more follows, so that a
   handler sees in a list that it goes on and no word cut in two. */
static char *
sms_subject(const char *text)
{
	return text_excerpt_chars(text, SMS_SUBJECT_CHARS);
}

static int
to_workflow(struct mailin *mi, struct store *store, int64_t case_id,
	    const char *event, const struct sms_envelope *e, int64_t contact,
	    char **error_r)
{
	struct caseflow_input in = {
		.channel = "sms", .text = e->text, .sender_id = contact,
		.now = cirm_now(),
	};
	char *id;
	int ret;

	if (mi->flow == NULL) {
		*error_r = xstrdup("no workflows loaded");
		return -1;
	}
	if (event != NULL)
		return caseflow_event(mi->flow, store, case_id, event, &in,
				      error_r);
	id = mailin_workflow_for_number(mi, e->to);
	ret = caseflow_start(mi->flow, store, case_id, id, &in, error_r);
	free(id);
	return ret;
}

static int
new_case(struct mailin *mi, struct store *store,
	 const struct store_inbox_row *row, const struct sms_envelope *e,
	 int64_t contact, const char *dedupe_key, struct sms_thread *t,
	 char **error_r)
{
	char *subject = sms_subject(e->text);
	struct store_case_new c = {
		.prefix = mi->prefix, .received_at = row->received_at,
		.citizen_id = contact, .channel = "sms", .subject = subject,
		.state = "new",
	};
	int ret = -1;

	if (store_case_create(store, &c, &t->case_id, t->number,
			      error_r) == 0 &&
	    store_event_add(store, t->case_id, c.received_at, "case.created",
			    contact, NULL, "new", t->mentioned,
			    error_r) == 0 &&
	    save_message(store, row, e, t->case_id, contact, dedupe_key,
			 error_r) == 0)
		ret = to_workflow(mi, store, t->case_id, NULL, e, contact,
				  error_r);
	free(subject);
	return ret;
}

/* The closed case a thank-you alone (mailin_thanks_only) that joins no
   open case is for: the sender's closed case it names, else the one
   closed last, within the sms-window of its workflow. 1 with
   T->case_id and T->number, 0 (a new case, then), -1. */
static int
thanked_case(struct mailin *mi, struct store *store, const char *text,
	     int64_t contact, int64_t now, struct sms_thread *t,
	     char **error_r)
{
	const struct workflow *wf = NULL;
	int64_t id, closed_at;
	int r;

	/* no queries for what no name makes a thank-you */
	if (!reply_thanks_maybe(text))
		return 0;
	if (t->mentioned_theirs)
		r = store_case_id(store, t->mentioned, &id, error_r);
	else
		r = store_case_latest_closed(store, contact, &id, &closed_at,
					     error_r);
	if (r > 0 && !t->mentioned_theirs && mi->flow != NULL &&
	    caseflow_workflow_ran(mi->flow, store, id, &wf, error_r) < 0)
		r = -1;
	/* closed within its workflow's sms-window, as an SMS joins an
	   open case: "Tack!" to the SMS that said it was done */
	if (r > 0 && !t->mentioned_theirs &&
	    now - closed_at > (wf != NULL ? wf->sms_window :
			       WORKFLOW_SMS_WINDOW_DEFAULT))
		r = 0;
	/* the case first: "tack mvh anna" is signed with the name her
	   messages on it were signed with ("/Anna Svensson") */
	if (r > 0)
		r = mailin_thanks_only(store, contact, id, NULL, text,
				       error_r);
	if (r > 0) {
		t->case_id = id;
		r = store_case_get_number(store, id, t->number, error_r);
	}
	return r;
}

/* An SMS with nothing to read (empty, or blanks only: sent from a
   pocket, or a picture the network dropped), not a copy of one before:
   on the open case of the sender's an SMS would join, kept there, its
   history saying it came empty (sms.empty), with no workflow event, as
   there is nothing to answer. Else it is set aside for a human, and
   the sender is asked by SMS (sms-empty.sms, in their language) to
   write what it is about: at most once in SMS_EMPTY_REPLY_INTERVAL,
   and not after a STOP. The quarantine's reason says which. */
static enum engine_result
empty_sms(struct mailin *mi, struct store *store,
	  const struct store_inbox_row *row, const struct sms_envelope *e,
	  const char *number, const char *key, char **reason_r)
{
	struct sms_thread t = { 0 };
	int64_t contact = 0, now = cirm_now(), qid = 0;
	const char *what = "";
	char *err = NULL, *reason;
	int r = store_contact_find(store, "phone", number, &contact, &err);

	if (r > 0)
		r = thread(mi, store, e->text, contact, now, &t, &err);
	free(t.mentioned);
	if (r > 0) {
		if (save_message(store, row, e, t.case_id, contact, key,
				 &err) < 0 ||
		    store_event_add(store, t.case_id, row->received_at,
				    "sms.empty", contact, NULL, NULL, NULL,
				    &err) < 0 ||
		    store_case_touch(store, t.case_id, now, &err) < 0) {
			*reason_r = err;
			return ENGINE_TEMP;
		}
		log_info("inbox row %lld: empty SMS kept on %s",
			 (long long)row->id, t.number);
		return ENGINE_DONE;
	}
	if (r == 0 && (r = store_sms_optout_has(store, number, &err)) > 0)
		what = "; the number opted out of SMS: not asked to write "
		       "again";
	if (r == 0 && (r = store_sms_sent_since(store, number,
						STORE_SMS_EMPTY_REPLY,
						now - SMS_EMPTY_REPLY_INTERVAL,
						&err)) > 0)
		what = "; the sender was asked to write again in the last "
		       "day already: not asked again";
	if (r == 0 && (r = send_plain(mi, store, number, "sms-empty.sms",
				      STORE_SMS_EMPTY_REPLY, &err)) >= 0)
		what = r > 0 ? "; the sender was asked by SMS to write what "
			       "it is about (sms-empty.sms)" :
			       "; sms-empty.sms does not render: the sender "
			       "was not asked to write again";
	if (r >= 0) {
		reason = xasprintf("SMS without text (empty or only "
				   "spaces)%s", what);
		r = store_inbox_quarantine(store, row->id, reason, now, &qid,
					   &err);
		if (r == 0)
			log_warnx("inbox row %lld: quarantined as %lld: %s",
				  (long long)row->id, (long long)qid, reason);
		free(reason);
	}
	if (r < 0) {
		*reason_r = err;
		return ENGINE_TEMP;
	}
	return ENGINE_SET_ASIDE;
}

static enum engine_result
handle(struct mailin *mi, struct store *store, const struct store_inbox_row *row,
       const struct sms_envelope *e, const char *number, char **reason_r)
{
	struct sms_thread t = { 0 };
	int64_t contact = 0, dup_case, now = cirm_now(), n = 0;
	char *key = sms_dedupe_key(e, number), *err = NULL, word[16];
	enum keyword kw = keyword(e->text, word);
	const char *what = "new case";
	int r;

	r = e->id != NULL ?
		store_message_by_dedupe(store, key, NULL, false, NULL,
					&dup_case, &err) :
		store_message_by_dedupe_since(store, key,
					      row->received_at -
					      SMS_DUPLICATE_WINDOW, &dup_case,
					      &err);
	/* Without an SMSC id, the same text within minutes may be the
	   network's second delivery or the citizen asking again ("Hallå?"):
	   one message, but the case's history shows it came again. */
	if (r > 0 && e->id == NULL &&
	    (r = store_contact_find(store, "phone", number, &contact,
				    &err)) >= 0)
		r = store_event_add(store, dup_case, row->received_at,
				    "sms.again", contact, NULL, NULL, NULL,
				    &err) < 0 ? -1 : 1;
	if (r > 0) {
		log_info("inbox row %lld: duplicate SMS", (long long)row->id);
		free(key);
		return ENGINE_DONE;
	}
	/* nothing to read; released, it is taken as it is */
	if (r == 0 && e->text[strspn(e->text, " \t\r\n")] == '\0' &&
	    strcmp(row->source, "release") != 0) {
		enum engine_result res = empty_sms(mi, store, row, e, number,
						   key, reason_r);

		free(key);
		return res;
	}
	if (r == 0 && kw != KW_NONE) {
		r = opt(mi, store, kw, word, number, &err);
		if (r > 0) {
			log_info("inbox row %lld: SMS %s", (long long)row->id,
				 kw == KW_STOP ? "opt-out" : "opt-in");
			free(key);
			return ENGINE_DONE;
		}
		if (r < 0) {
			free(key);
			*reason_r = err;
			return ENGINE_TEMP;
		}
	}
	if (r == 0)
		r = number_contact(mi, store, number, e->text, &contact, &err);
	if (r == 0)
		r = thread(mi, store, e->text, contact, now, &t, &err);
	/* a thank-you alone to a case just closed: kept on it, with no
	   new case to acknowledge, assign and close */
	if (r == 0 && (r = thanked_case(mi, store, e->text, contact, now, &t,
					&err)) > 0) {
		what = "thanks on closed case";
		r = save_message(store, row, e, t.case_id, contact, key, &err);
		if (r == 0)
			r = store_event_add(store, t.case_id, row->received_at,
					    "citizen.thanks", contact, NULL,
					    NULL, NULL, &err);
	} else if (r > 0) {
		what = "follow-up";
		r = save_message(store, row, e, t.case_id, contact, key, &err);
		if (r == 0)
			r = store_case_touch(store, t.case_id, now, &err);
		if (r == 0)
			r = to_workflow(mi, store, t.case_id, "sms.citizen", e,
					contact, &err);
	} else if (r == 0 && strcmp(row->source, "release") != 0 &&
		   (r = store_cases_opened_since(store, contact, now - 3600,
						 &n, &err)) == 0 &&
		   n >= mi->flood_max) {
		*reason_r = xasprintf("sender opened %lld case(s) in the last "
				      "hour (flood_max_cases is %ld)",
				      (long long)n, mi->flood_max);
		free(key);
		free(t.mentioned);
		return ENGINE_FINAL;
	} else if (r == 0) {
		r = new_case(mi, store, row, e, contact, key, &t, &err);
	}
	free(key);
	free(t.mentioned);
	if (r < 0) {
		*reason_r = err;
		return ENGINE_TEMP;
	}
	log_info("inbox row %lld: SMS %s on %s", (long long)row->id, what,
		 t.number);
	return ENGINE_DONE;
}

enum engine_result
mailin_handle_sms(void *ctx, struct store *store,
		  const struct store_inbox_row *row, char **reason_r)
{
	struct mailin *mi = ctx;
	struct sms_envelope e;
	char number[E164_SIZE];
	enum engine_result res;

	if (parse_envelope(row->raw, row->raw_len, &e, reason_r) < 0) {
		envelope_clear(&e);
		return ENGINE_FINAL;
	}
	if (sender_number(mi, e.from, number, reason_r) < 0) {
		envelope_clear(&e);
		return ENGINE_FINAL;
	}
	res = handle(mi, store, row, &e, number, reason_r);
	envelope_clear(&e);
	return res;
}
