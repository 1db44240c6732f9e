/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_CASEFLOW_H
#define CIRM_CASEFLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"
#include "util.h"
#include "workflow.h"

/* Cases running through workflows, in the database: the host side of
   workflow-run.h. Every call works inside the caller's transaction, so
   a state change, its timers, its history and its outbox rows commit
   together or not at all. A case keeps the workflow version it started
   with; the definitions of all versions in use live in the database. */
struct caseflow;

struct template_cache;

struct caseflow_settings {
	const char *template_dir;
	struct template_cache *templates;	/* NULL: read files each time */
	const char *municipality;	/* {{municipality.name}}, From name */
	const char *language;		/* of citizens' texts */
	/* For mail to citizens: the case address and the instance key that
	   signs its Reply-To (NULL key: no Reply-To). */
	const char *address;
	const unsigned char *key;
	/* case_access = all: every handler may read every case (else a
	   notification lists only the citizen's other cases the handler
	   may read, as #visa would show them) */
	bool case_access_all;
	/* What names the workflow directory in a message (cirm.conf's
	   "FILE:LINE: workflow_dir = DIR"), or NULL: the directory. */
	const char *where_workflow_dir;
};

/* What caused an event: its channel and text (for conditions and
   {{message.text}}), and the contact who sent it (0: the system). */
struct caseflow_input {
	const char *channel;
	const char *text;
	int64_t sender_id;
	/* The name TEXT came with besides the sender's contact's (a mail's
	   From name), or NULL. */
	const char *from_name;
	int64_t now;
	/* "In-Reply-To: ...\nReferences: ...\n" continuing the citizen's
	   thread in mail answering the event's message, or NULL. */
	const char *thread_headers;
	/* A command's argument (a handler's login, a word), or NULL. */
	const char *argument;
	/* The message whose attachments go along with a reply to the
	   citizen by mail (a handler's answer), or 0; but not those whose
	   content is one of ATTACHMENTS_WITHHELD (",SHA256,SHA256,", or
	   NULL), the pictures of the handler's signature. */
	int64_t attachments_of;
	const char *attachments_withheld;
	/* A handler wrote the text: mail carrying it to the citizen is
	   not marked Auto-Submitted (RFC 3834 5.1: a person wrote it). */
	bool written_by_handler;
	/* The run handles a delivery failure: an SMS reply over
	   sms-segments is noted on the case (reply.withheld) rather than
	   made another failure, which the workflow would hear again. */
	bool delivery_failure;
	/* The citizen's message whose attachments go along with the
	   notifications to handlers about it (a photo may be all a mail
	   has), or 0. */
	int64_t files_of;
	/* TEXT as people are shown it (message.text), when it differs: a
	   citizen's answers between quotes, with the questions they
	   answer; or NULL. Conditions look at TEXT alone: the questions
	   quoted are the municipality's own words. */
	const char *shown_text;
	/* The officer's signature below a "-- " line, which TEXT lost with
	   the mail client's signature (reply_delimited_signature), or
	   NULL: message.signer and message.signer_phone when the sign-off
	   in TEXT names none. */
	const char *signature;
	/* The citizen's signature below a "-- " line, which TEXT lost
	   (reply_delimited_signature: a name, an address, a telephone
	   number; a mobile sign-off is not part of it), or NULL: the
	   handlers a workflow notifies read it as message.signature; the
	   citizen's mail shows none of it. */
	const char *citizen_signature;
	/* TEXT is a note for colleagues (#notering): the handlers a
	   workflow notifies read it as message.text, the citizen's mail
	   (a reply action) shows none of it. */
	bool internal;
	/* When set, TEXT is a handler's answer that goes in the first mail
	   of the run to the citizen whose template shows message.text
	   ("your case is resolved" with the answer above it), instead of
	   in a mail of its own: that mail alone carries ATTACHMENTS_OF and
	   is the handler's (WRITTEN_BY_HANDLER), and *ANSWER_SENT becomes
	   true; the run's other mails are neither. By SMS only while the
	   two fit in the workflow's sms-segments. */
	bool *answer_sent;
	/* When set, counts the messages the run sends the citizen. */
	int *citizen_sent;
	/* When set, gets the actions the run skipped because the directory
	   has nobody for them, so that the handler whose reply ran it can
	   be told that nobody got the notification (a #remiss to a group
	   not set up yet) rather than believe it went. */
	struct caseflow_skips *skipped;
};

/* Why an action was skipped: the directory has nobody for it. */
enum caseflow_skip_why {
	CASEFLOW_NO_GROUP,	/* no such group */
	CASEFLOW_NO_HANDLER,	/* no handler with that login */
	CASEFLOW_NO_ADDRESS,	/* the handler has no mail address */
	CASEFLOW_NOBODY,	/* nobody active (with an address) in the group */
	CASEFLOW_NO_OFFICER,	/* the case has neither an officer nor a group */
};

struct caseflow_skip {
	/* what was skipped: a notification, an assignment, or setting
	   the case's group */
	enum caseflow_skip_what { CASEFLOW_SKIP_NOTIFY, CASEFLOW_SKIP_ASSIGN,
				  CASEFLOW_SKIP_SET_GROUP } what;
	enum caseflow_skip_why why;
	/* the group's name or the handler's login; NULL: the case's
	   officer (or its group) */
	char *who;
	char *detail;		/* as the history and the log say it */
};

struct caseflow_skips {
	struct caseflow_skip *v;
	size_t n;
};

void caseflow_skips_clear(struct caseflow_skips *s);

/* The most of a subject a mail repeats (bytes, UTF-8; text_excerpt):
   anyone can write to the municipality from any address, and an
   acknowledgement or a notice that quoted a subject of kilobytes,
   links and all, would carry an outsider's text to a forged address in
   the municipality's name. The case keeps the whole subject. */
#define CASEFLOW_SUBJECT_SHOWN 150

struct caseflow *caseflow_new(const struct caseflow_settings *set);
/* How a handler's refused reply is marked where handlers read a case's
   messages (EN: in English, else Swedish): it never went. */
const char *caseflow_refused_mark(bool en);
/* What handlers are shown for STATE, a case's state in version VERSION
   of WORKFLOW (NULL: none): its label in the workflow (cirm-workflow(5)),
   or STATE when the workflow gives none or cannot be read. Valid while
   CF and STATE are. */
const char *caseflow_state_label(struct caseflow *cf, struct store *store,
				 const char *workflow, int version,
				 const char *state);
/* A case's deadline DUE (0: none), in version VERSION of WORKFLOW, as
   handlers are shown it: calendar_deadline_shown() by the workflow's
   calendar, or DUE when the workflow cannot be read. */
int64_t caseflow_due_shown(struct caseflow *cf, struct store *store,
			   const char *workflow, int version, int64_t due);
void caseflow_free(struct caseflow **cf);
/* Time T written out as a letter to the citizen writes it in LANG (the
   value of a template's timer.ID): "den 5 december 2026 kl. 06.23". */
#define CASEFLOW_WHEN_LONG_SIZE 64
void caseflow_when_long(int64_t t, const char *lang,
			char buf[CASEFLOW_WHEN_LONG_SIZE]);
/* A trial: runs whose work may be rolled back (a savepoint) and run
   again. Until caseflow_trial_end the warnings of CF's runs are held,
   and then logged (KEPT) or dropped with what they counted (a skipped
   action's "skipped for N more cases"), so that a trial rolled back
   and run again says each thing once. */
void caseflow_trial_begin(struct caseflow *cf);
void caseflow_trial_end(struct caseflow *cf, bool kept);
/* The transaction CF's runs worked in ended: COMMITTED, or rolled back
   (the engine's batch, to be handled again): then what the runs since
   the last commit counted of skipped actions is forgotten, as their
   warnings are (log_hold), so that the runs again log them. */
void caseflow_after_batch(struct caseflow *cf, bool committed);

/* Loads every *.xml in DIR and checks it; a good one becomes the current
   version of its workflow (recorded in STORE, in its own transaction).
   A bad file never replaces a good one: its problems go to ERRORS as
   file:line: lines. Returns how many workflows are usable. */
int caseflow_load_dir(struct caseflow *cf, struct store *store,
		      const char *dir, struct strlist *errors);
/* Makes WF (taken over) the current version of its workflow, recording
   its SOURCE in STORE. 0, or -1 with *error_r (WF freed). */
int caseflow_add(struct caseflow *cf, struct store *store,
		 struct workflow *wf, const char *source, size_t len,
		 char **error_r);
/* After a reload, what ran before keeps running where the new files
   would lose it: each workflow current in FROM that has no current
   version in CF while a file of its id was refused (become bad; or
   whose id could not be read), and, when REFUSED
   (files of the directory were refused), each whose current version in
   CF is older than FROM's (a copy of the newest beside it, or the
   newest made bad). Each is made current again from a copy read back
   from STORE (FROM is left as it is) and told in ERRORS, so the reload
   shows it. A workflow whose file is simply gone (none of its id
   refused) is retired, as a restart would have it: it starts no new
   cases, its open cases keep their versions, and the log says so at
   info level. Logs each workflow whose current version CF changes, or
   that CF adds. Returns how many were kept, or -1 with *error_r. */
int caseflow_adopt(struct caseflow *cf, struct store *store,
		   const struct caseflow *from, bool refused,
		   struct strlist *errors, char **error_r);
/* At start, when no version of workflow ID that ran before is at
   hand: ID has no current version in CF while a file of it (or one
   whose id could not be read) was refused, and the database has a
   version of it (not when workflow_dir itself cannot be read). The newest the database has is made current, as a
   reload keeps the version that ran before, so that a file edited
   badly does not keep the service from starting after a reboot; told
   in ERRORS. 1 when it was, 0 when not, -1 with *error_r. */
int caseflow_keep_newest(struct caseflow *cf, struct store *store,
			 const char *id, struct strlist *errors,
			 char **error_r);
/* Logs what caseflow_adopt found the reload changes (a workflow retired,
   another version starting new cases), once the reload is taken. */
void caseflow_log_changes(struct caseflow *cf);
/* At start and after each reload: the templates of every workflow
   version that open cases run (kept in the database, whether a file of
   it is left or not) and of every current one, in each language cirm
   writes in, as the cases would render them. A template that a reload
   found gone keeps PREVIOUS's text (the cache before the reload, or
   NULL), so that running cases do not lose their citizens' mail; that,
   and each template missing or broken with no text to keep, goes to
   ERRORS as "workflow ID version N (M open cases): template ...".
   0, or -1 with *error_r. */
int caseflow_check_running(struct caseflow *cf, struct store *store,
			   const struct template_cache *previous,
			   struct strlist *errors, char **error_r);
/* The current version of workflow ID, or NULL. */
const struct workflow *caseflow_current(const struct caseflow *cf,
					const char *id);

/* Starts workflow ID (its current version) on a new case: one on no
   workflow yet (-1 otherwise). */
int caseflow_start(struct caseflow *cf, struct store *store, int64_t case_id,
		   const char *id, const struct caseflow_input *in,
		   char **error_r);
/* Sends EVENT to a case's workflow. A closed case ignores it (0). */
int caseflow_event(struct caseflow *cf, struct store *store, int64_t case_id,
		   const char *event, const struct caseflow_input *in,
		   char **error_r);
/* The workflow (version) a case runs on: 1 with *WF_R, 0 when the case
   has none (or is closed), -1. */
int caseflow_workflow_of(struct caseflow *cf, struct store *store,
			 int64_t case_id, const struct workflow **wf_r,
			 char **error_r);
/* The same for a case closed or open: the workflow (version) it ran on,
   whose settings (sms-window) still count for what comes after. */
int caseflow_workflow_ran(struct caseflow *cf, struct store *store,
			  int64_t case_id, const struct workflow **wf_r,
			  char **error_r);
/* The names the sender CONTACT (0: none yet) of a text on case CASE_ID
   (0: none) is known by, one after another, for a thank-you signed in
   small letters (reply_thanks_only_by): the contact's name, FROM_NAME
   (a mail's From name, or NULL), and the names the contact signed its
   last messages on the case with ("Mvh Anna Svensson": an SMS contact
   has no name of its own). *NAMES_R is NULL when none is known. 0, or
   -1. */
int caseflow_known_names(struct store *store, int64_t contact,
			 int64_t case_id, const char *from_name,
			 char **names_r, char **error_r);
/* Whether EVENT would do something on the case now (conditions aside):
   1, 0, or -1. */
int caseflow_handles(struct caseflow *cf, struct store *store,
		     int64_t case_id, const char *event, char **error_r);
/* The commands handler HANDLER may use on the case now, one per line
   with its help, as notifications list them, in English when EN, else
   in Swedish: *HELP_R (caller frees). 0, or -1. */
int caseflow_commands_now(struct caseflow *cf, struct store *store,
			  int64_t case_id, int64_t handler, bool en,
			  char **help_r, char **error_r);
/* Whether handler HANDLER may use command C of WF: a member of the
   group of one of its roles (or any handler when it names none). 1, 0,
   or -1. */
int caseflow_role_ok(struct store *store, const struct workflow *wf,
		     const struct workflow_command *c, int64_t handler,
		     char **error_r);
/* Whether handler HANDLER has a role in WF: a member of one of its
   roles' groups (or WF has no roles). A case officer without one may
   be given a case, but every command of theirs on it is refused. 1, 0,
   or -1. */
int caseflow_has_role(struct store *store, const struct workflow *wf,
		      int64_t handler, char **error_r);
/* Adds to IDS the current workflows that give one of HANDLER's groups a
   role (whose cases the handler may read, as a manager). 0, or -1. */
int caseflow_role_workflows(const struct caseflow *cf, struct store *store,
			    int64_t handler, struct strlist *ids,
			    char **error_r);
/* Sends template TEMPLATE_ID to the case's citizen on the case's
   channel, as a workflow's <reply> does ({{message.text}} is IN's
   text). */
int caseflow_reply(struct caseflow *cf, struct store *store, int64_t case_id,
		   const char *template_id, const struct caseflow_input *in,
		   char **error_r);

/* Sends template TEMPLATE_ID to the case's handler, as a workflow's
   <notify to="assignee"> does (its assignee, else its group), also
   when the case is closed and its workflow runs no more (the mail then
   lists no command but #notering). */
int caseflow_notify(struct caseflow *cf, struct store *store,
		    int64_t case_id, const char *template_id,
		    const struct caseflow_input *in, char **error_r);

struct caseflow_sms_cost {
	int characters;	/* of the text as it would go */
	int segments;	/* it would cost */
	int limit;	/* the workflow's sms-segments */
	int ucs2;	/* 1 when it needs UCS-2 (fewer characters a part) */
	/* With ucs2, the first characters outside the GSM alphabet that
	   make it so ("’ (U+2019), U+00A0"), for the handler to replace;
	   at most CASEFLOW_SMS_OUTSIDE_MAX of them. */
	char outside[128];
};
#define CASEFLOW_SMS_OUTSIDE_MAX 5
/* What TEMPLATE_ID (with IN's text) would cost as an SMS on the case:
   1 with *COST_R when the case's channel is SMS, 0 when it is not, -1. */
int caseflow_sms_cost(struct caseflow *cf, struct store *store,
		      int64_t case_id, const char *template_id,
		      const struct caseflow_input *in,
		      struct caseflow_sms_cost *cost_r, char **error_r);

/* Fires up to LIMIT timers due at NOW, each exactly once; *FIRED_R
   counts them. 0, or -1. */
int caseflow_fire_timers(struct caseflow *cf, struct store *store,
			 int64_t now, int limit, int *fired_r, char **error_r);

#endif
