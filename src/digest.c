/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "digest.h"

#include "calendar.h"
#include "store.h"
#include "util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Cases listed per part of a digest; the rest are counted. */
#define DIGEST_LINES_MAX 100
/* The subject's part of a line, in characters (in a narrow list, what
   72 characters leave after the number and the state). */
#define DIGEST_SUBJECT_MAX 50

/* Where the day of the last digest is kept (gateway_state: the
   engine's own key). */
#define DIGEST_STATE "engine"
#define DIGEST_KEY "digest-day"

/* Swedish, or English for EN (a conditional of two literals, so that
   the compiler checks both against the format's arguments). */
#define T(en, sv_text, en_text) ((en) ? (en_text) : (sv_text))

struct part {
	struct strlist lines;
	int n;
};

struct build {
	const struct digest_settings *set;
	bool en;
	bool narrow;	/* lines of at most 72 characters */
	int64_t now;
	struct part overdue, mine, unassigned, away;
};

/* At most MAX characters of UTF-8 S (whole characters), "…" included
   when cut, so that the line keeps its width; control characters as
   spaces. */
static char *
cut(const char *s, int max)
{
	size_t len = strlen(s), i = 0;
	int chars = 0;
	char *out;

	if (max < 1)
		max = 1;
	if (utf8_length(s) > (size_t)max)
		max--;	/* room for the "…" */
	while (i < len && chars < max) {
		i++;
		while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		chars++;
	}
	out = xasprintf("%.*s%s", (int)i, s, i < len ? "…" : "");
	for (char *p = out; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return out;
}

/* A case's SUBJECT for a line, cut to MAX characters: a case without
   one says so, rather than leave a blank. */
static char *
subject_cut(const char *subject, int max, bool en)
{
	if (subject == NULL || subject[strspn(subject, " \t\r\n")] == '\0')
		subject = T(en, "(inget ämne)", "(no subject)");
	return cut(subject, max);
}

char *
digest_line_subject(const char *number, size_t state_width,
		    const char *subject, bool en)
{
	/* what 72 characters leave after a longer number or state than
	   the columns hold */
	size_t used = 2 + (strlen(number) > 15 ? strlen(number) : 15) + 1 +
		(state_width > 14 ? state_width : 14) + 1;

	return subject_cut(subject, used + 10 < 72 ? (int)(72 - used) : 10,
			   en);
}

static int
add_case(const struct store_digest_case *c, void *ctx)
{
	struct build *b = ctx;
	/* the deadline as it is shown, "by Friday", which is past on the
	   Saturday even though the business time runs out on Monday */
	int64_t due_at = c->due_at == 0 || b->set->due_shown == NULL ||
			 c->workflow == NULL ? c->due_at :
			 b->set->due_shown(b->set->label_ctx, c->workflow,
					   c->workflow_version, c->due_at);
	struct part *p = c->away_of != NULL ? &b->away :
			 !c->assigned ? &b->unassigned :
			 due_at != 0 && due_at < b->now ? &b->overdue :
			 &b->mine;
	const char *state = c->state;
	char *subject, *due = NULL, day[LOCAL_DAY_SIZE];
	size_t width;

	if (p->n++ >= DIGEST_LINES_MAX)
		return 0;
	/* as the handler's other mail names it: "löst", not "lost" */
	if (b->set->state_label != NULL && c->workflow != NULL) {
		const char *label = b->set->state_label(b->set->label_ctx,
							c->workflow,
							c->workflow_version,
							c->state);

		if (label != NULL)
			state = label;
	}
	width = utf8_length(state);
	if (b->narrow) {
		subject = digest_line_subject(c->number, width, c->subject,
					      b->en);
	} else {
		subject = subject_cut(c->subject, DIGEST_SUBJECT_MAX, b->en);
	}
	if (due_at != 0) {
		local_day(due_at, day);
		due = xasprintf(T(b->en, "klart senast %s", "due %s"), day);
	}
	/* whose it is, who is away */
	if (c->away_of != NULL) {
		char *with = xasprintf("%s%s%s", c->away_of,
				       due != NULL ? ", " : "",
				       due != NULL ? due : "");

		free(due);
		due = with;
	}
	/* a raised priority stands out: the day's order starts there */
	if (c->priority != NULL && (strcmp(c->priority, "high") == 0 ||
				    strcmp(c->priority, "urgent") == 0)) {
		bool high = strcmp(c->priority, "high") == 0;
		char *with = xasprintf("%s%s%s", due != NULL ? due : "",
				       due != NULL ? ", " : "",
				       high ? T(b->en, "hög prioritet",
						"high priority") :
				       T(b->en, "brådskande", "urgent"));

		free(due);
		due = with;
	}
	if (b->narrow)
		/* the deadline and priority on a line of their own, under
		   the state */
		strlist_addf(&p->lines, "  %-15s %s%*s %s\n%s%s%s",
			     c->number, state,
			     width < 14 ? (int)(14 - width) : 1, "", subject,
			     due != NULL ? "                  " : "",
			     due != NULL ? due : "", due != NULL ? "\n" : "");
	else
		strlist_addf(&p->lines, "  %-15s %s%*s %s%s%s%s\n",
			     c->number, state,
			     width < 14 ? (int)(14 - width) : 1, "", subject,
			     due != NULL ? " (" : "",
			     due != NULL ? due : "", due != NULL ? ")" : "");
	free(due);
	free(subject);
	return 0;
}

static void
add_part(struct strlist *body, bool en, const char *title, struct part *p)
{
	if (p->n == 0)
		return;
	strlist_addf(body, "%s\n", title);
	for (size_t i = 0; i < p->lines.n; i++)
		strlist_addf(body, "%s", p->lines.v[i]);
	if (p->n > DIGEST_LINES_MAX) {
		strlist_addf(body, T(en, "  ... och %d till\n",
				     "  ... and %d more\n"),
			     p->n - DIGEST_LINES_MAX);
	}
	strlist_addf(body, "\n");
	strlist_clear(&p->lines);
}

int
digest_list(struct store *store, const struct digest_settings *set,
	    int64_t handler_id, bool en, bool narrow, int64_t now,
	    struct strlist *out, int counts_r[4], char **error_r)
{
	struct build b = { .set = set, .en = en, .narrow = narrow,
			   .now = now };

	if (store_digest_cases(store, handler_id, add_case, &b,
			       error_r) < 0) {
		strlist_clear(&b.overdue.lines);
		strlist_clear(&b.mine.lines);
		strlist_clear(&b.unassigned.lines);
		strlist_clear(&b.away.lines);
		return -1;
	}
	counts_r[0] = b.overdue.n;
	counts_r[1] = b.mine.n;
	counts_r[2] = b.unassigned.n;
	counts_r[3] = b.away.n;
	add_part(out, en, T(en, "Försenade (klart senast har passerat):",
			    "Overdue (past their due date):"), &b.overdue);
	add_part(out, en, T(en, "Tilldelade dig:", "Assigned to you:"),
		 &b.mine);
	add_part(out, en, T(en, "Otilldelade i dina grupper:",
			    "Unassigned in your groups:"), &b.unassigned);
	add_part(out, en, T(en, "I dina grupper, hos kollegor som är borta:",
			    "In your groups, with colleagues who are away:"),
		 &b.away);
	return 0;
}

struct handler {
	int64_t id;
	char *name, *language, *email, *login;
	int64_t back_at;	/* came back then, not yet told; or 0 */
};

static int
add_handler(const struct store_handler *h, void *ctx)
{
	struct handler **v = ctx;
	size_t n = 0;

	/* nor one away (#borta): their cases' notifications go to the
	   groups meanwhile, and the morning digest would wait in vain */
	if (!h->active || h->away_until != 0 || h->email == NULL)
		return 0;
	while (*v != NULL && (*v)[n].email != NULL)
		n++;
	*v = xrealloc(*v, (n + 2) * sizeof(**v));
	(*v)[n].id = h->id;
	(*v)[n].name = xstrdup(h->name != NULL && *h->name != '\0' ? h->name :
			       h->login);
	(*v)[n].language = h->language != NULL ? xstrdup(h->language) : NULL;
	(*v)[n].email = xstrdup(h->email);
	(*v)[n].login = h->login != NULL ? xstrdup(h->login) : NULL;
	/* present (not away, above), with a return day stored: back by
	   the day passing */
	(*v)[n].back_at = h->away_stored;
	memset(&(*v)[n + 1], 0, sizeof(**v));
	return 0;
}

struct waiting {
	const struct digest_settings *set;
	struct strlist *lines;
	bool en;
};

/* A line of the cases whose citizens wrote while the handler was away. */
static int
waiting_line(const struct store_case_line *c, void *ctx)
{
	struct waiting *w = ctx;
	const char *label = w->set->state_label == NULL ? NULL :
		w->set->state_label(w->set->label_ctx, c->workflow,
				    c->workflow_version, c->state);
	const char *state = label != NULL ? label : c->state;
	size_t width = utf8_length(state);
	char *subject = subject_cut(c->subject, DIGEST_SUBJECT_MAX, w->en);

	strlist_addf(w->lines, "  %-15s %s%*s %s\n", c->number, state,
		     width < 14 ? (int)(14 - width) : 1, "", subject);
	free(subject);
	return 0;
}

/* Back by the day passing (H->back_at): the cases whose
   citizens wrote while H was away, have had no answer since and are
   H's, into LINES (with their title), as #tillbaka would have listed
   them; the return is then told, and forgotten. 0, or -1. */
static int
back_part(struct store *store, const struct digest_settings *set,
	  const struct handler *h, bool en, int64_t now, struct strlist *lines,
	  char **error_r)
{
	struct strlist found = { 0 };
	struct waiting w = { set, &found, en };
	int64_t since = 0;
	int rc;

	if (h->back_at == 0)
		return 0;
	rc = h->login != NULL ?
		store_audit_away_since(store, h->login, &since, error_r) : 0;
	if (rc > 0)
		rc = store_handler_unanswered(store, h->id, since,
					      waiting_line, &w, error_r);
	if (rc >= 0 && found.n > 0) {
		strlist_addf(lines, "%s\n", T(en, "Invånare som skrev medan du "
					      "var borta och inte har fått "
					      "svar ännu:", "Citizens who "
					      "wrote while you were away and "
					      "have had no answer yet:"));
		for (size_t i = 0; i < found.n; i++)
			strlist_add(lines, found.v[i]);
		strlist_add(lines, "\n");
	}
	strlist_clear(&found);
	if (rc < 0)
		return -1;
	return store_handler_back_told(store, h->id, h->back_at, error_r);
}

/* Queues handler H's digest when there is anything in it: 1, 0, -1. */
static int
send_one(struct store *store, const struct digest_settings *set,
	 const struct handler *h, int64_t now, const char *day,
	 char **error_r)
{
	const char *lang = h->language != NULL ? h->language : set->language;
	bool en = lang != NULL && strcmp(lang, "en") == 0;
	struct strlist body = { 0 }, list = { 0 };
	char at[32], *subject, *text, *headers, *own;
	int counts[4], ret;

	if (back_part(store, set, h, en, now, &list, error_r) < 0 ||
	    digest_list(store, set, h->id, en, false, now, &list, counts,
			error_r) < 0) {
		strlist_clear(&list);
		return -1;
	}
	if (counts[0] + counts[1] + counts[2] + counts[3] == 0) {
		strlist_clear(&list);
		return 0;
	}
	/* "kl. 07.30" as the acknowledgement writes a time, "at 07:30" */
	snprintf(at, sizeof(at), "%02d%c%02d", set->at / 60, en ? ':' : '.',
		 set->at % 60);
	subject = xasprintf(T(en, "Dina ärenden %s: hos dig %d (försenade "
			      "%d), otilldelade %d", "Your cases %s: yours %d "
			      "(overdue %d), unassigned %d"), day,
			    counts[0] + counts[1], counts[0], counts[2]);
	strlist_addf(&body, T(en, "Hej %s!\n\nDet här är dina öppna ärenden "
			      "i dag, %s.\n\n", "Hello %s,\n\nThese are your "
			      "open cases today, %s.\n\n"), h->name, day);
	for (size_t i = 0; i < list.n; i++)
		strlist_addf(&body, "%s", list.v[i]);
	strlist_clear(&list);
	own = NULL;
	if (set->own_address != NULL &&
	    (own = set->own_address(set->label_ctx, store, h->id,
				    error_r)) == NULL) {
		free(subject);
		strlist_clear(&body);
		return -1;
	}
	strlist_addf(&body, T(en, "Arbeta med ett ärende genom att svara på "
			      "dess avisering. Svara\npå det här mejlet med "
			      "#visa ÄRENDENUMMER för ett ärende med dess\n"
			      "meddelanden, #lista för dina öppna ärenden, "
			      "eller #borta ÅÅÅÅ-MM-DD\nföre en ledighet.\n\n"
			      "Ett automatiskt meddelande från %s, varje "
			      "arbetsdag kl. %s\nnär du har öppna ärenden.\n",
			      "Work on a case by replying to its notification. "
			      "Reply\nto this mail with #show CASE-NUMBER for a "
			      "case with its\nmessages, #list for your open "
			      "cases, or #away YYYY-MM-DD\nbefore a leave.\n\n"
			      "An automatic message from %s, each business day "
			      "at %s\nwhen you have open cases.\n"),
		     set->name, at);
	text = strlist_join(&body);
	headers = xasprintf("From: %s <%s>\n%s%s%sAuto-Submitted: "
			    "auto-generated\n", set->name, set->address,
			    own != NULL ? "Reply-To: " : "",
			    own != NULL ? own : "", own != NULL ? "\n" : "");
	free(own);
	{
		struct store_outbox_new o = {
			.channel = "email", .recipient = h->email,
			.subject = subject, .headers = headers, .body = text,
			.at = now,
		};

		ret = store_outbox_add(store, &o, NULL, error_r) < 0 ? -1 : 1;
	}
	free(headers);
	free(text);
	free(subject);
	return ret;
}

int
digest_run(struct store *store, const struct digest_settings *set,
	   int64_t now, int *sent_r, char **error_r)
{
	time_t t = (time_t)now;
	struct tm tm;
	struct calendar *cal;
	struct handler *v = NULL;
	char day[LOCAL_DAY_SIZE], *last = NULL;
	int business, rc, ret = 0;

	*sent_r = 0;
	if (set->at < 0 || localtime_r(&t, &tm) == NULL ||
	    tm.tm_hour * 60 + tm.tm_min < set->at)
		return 0;
	cal = calendar_new(CALENDAR_SWEDEN);
	business = calendar_is_business_day(cal, tm.tm_year + 1900,
					    tm.tm_mon + 1, tm.tm_mday);
	calendar_free(&cal);
	if (business != 1)
		return 0;
	local_day(now, day);
	rc = store_gateway_state_get(store, DIGEST_STATE, DIGEST_KEY, &last,
				     error_r);
	if (rc < 0)
		return -1;
	rc = rc > 0 && strcmp(last, day) >= 0;
	free(last);
	if (rc)
		return 0;	/* sent today (or the clock went back) */
	if (store_begin(store, error_r) < 0)
		return -1;
	if (store_handler_list(store, add_handler, &v, error_r) < 0)
		ret = -1;
	for (size_t i = 0; ret == 0 && v != NULL && v[i].email != NULL; i++) {
		rc = send_one(store, set, &v[i], now, day, error_r);
		if (rc < 0)
			ret = -1;
		else
			*sent_r += rc;
	}
	if (ret == 0 &&
	    (store_gateway_state_set(store, DIGEST_STATE, DIGEST_KEY, day,
				     error_r) < 0 ||
	     store_commit(store, error_r) < 0))
		ret = -1;
	if (ret < 0) {
		store_rollback(store);
		*sent_r = 0;
	}
	for (size_t i = 0; v != NULL && v[i].email != NULL; i++) {
		free(v[i].name);
		free(v[i].language);
		free(v[i].email);
		free(v[i].login);
	}
	free(v);
	return ret;
}
