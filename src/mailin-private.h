/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_MAILIN_PRIVATE_H
#define CIRM_MAILIN_PRIVATE_H

#include <stdbool.h>

#include "caseflow.h"
#include "mailin.h"
#include "secret.h"
#include "template.h"

struct mailin {
	unsigned char key[SECRET_KEY_LEN];
	char *prefix, *address, *name, *template_dir, *language, *spool_dir;
	long flood_max;
	long resend_window;	/* mail_resend_window */
	struct mime_limits limits;
	int dirty; /* spool files written since the last sync */
	/* mailin_apply failed for want of space in the spool (ENOSPC,
	   EDQUOT): the mail waits rather than counting an attempt */
	int spool_full;
	/* the same for the files mailin_prepare writes; only the engine's
	   read-ahead thread touches it */
	int prepared_dirty;
	struct template_cache *templates;
	char *workflow_dir, *workflow_default, *workflow_routes;
	/* where cirm.conf sets workflow_default and workflow_routes, for
	   messages: "FILE:LINE: ", or "FILE: " when not set there */
	char *where_default, *where_routes, *where_workflow_dir;
	char *sms_country_code;
	bool sms;		/* sms_transport is not none */
	char *form_senders;	/* mail_form_senders */
	char *auth_server;	/* mail_auth_server, or NULL for none */
	bool case_access_all;	/* case_access = all */
	struct caseflow *flow;	/* NULL until mailin_load_workflows */
	/* notices of set-aside mail sent per handler in the hour since
	   SINCE: at most MAILIN_NOTICES_PER_HOUR, so that a handler's
	   mailbox that answers everything cannot make a loop */
	struct mailin_notices {
		int64_t id, since;
		int n;
	} notices[16];
	/* NOTICES as the last batch that committed left them: a batch
	   rolled back sent none (mailin_after_batch) */
	struct mailin_notices notices_committed[16];
};

#define MAILIN_NOTICES_PER_HOUR 5

/* Makes the spool files written since *DIRTY was set durable (one
   syncfs), and clears it. 0, or -1 with *error_r (*DIRTY stays). */
int mailin_spool_sync(const struct mailin *mi, int *dirty, char **error_r);

/* Sets V's received_at to RECEIVED_AT, when the gateway took it in, and
   its reached_at: when it reached the municipality, the topmost Received
   field of our own mail server when that is earlier (the MTA had to keep
   the mail while cirm was busy or down), read once here. */
void mailin_received(struct mailin_verdict *v, int64_t received_at);

/* When mail V arrived: its reached_at, or, a citizen's mail a case
   officer forwarded, when it reached the officer. */
int64_t mailin_arrival(const struct mailin_verdict *v);

/* Writes what VERDICT decided for inbox ROW: the case, message,
   attachments, events and acknowledgement. 0, or -1 with *error_r. */
int mailin_apply(struct mailin *mi, struct store *store,
		 const struct store_inbox_row *row, struct mailin_verdict *v,
		 char **error_r);

/* The workflow a new case from MSG starts: the route of the first To or
   Cc address that has one, else workflow_default. Caller frees. */
char *mailin_workflow_for(const struct mailin *mi,
			  const struct mime_message *msg);

/* The workflow a new case from an SMS to NUMBER (ours, as the network
   gave it; may be NULL) starts. Caller frees. */
char *mailin_workflow_for_number(const struct mailin *mi, const char *number);
/* The SMS confirming STOP and START (sms-optout.sms, sms-optin.sms)
   and the one asking the sender of an empty SMS to write again
   (sms-empty.sms), which have only {{municipality.name}}: each that is
   there and does not render goes to ERRORS as file:line: message; with
   SMS in use, so does each that is not there at all (an instance made
   by an older cirm, which did not ship it). */
void mailin_check_sms_templates(struct mailin *mi, struct strlist *errors);
/* PREFIX and the SHA-256 of WHAT in hex (caller frees): a duplicate's
   key for a message that has no id of its own. */
char *mailin_digest_key(const char *prefix, const char *what);
/* A case number PREFIX-YYYY-NNNNN in TEXT, upper case, or NULL. */
char *mailin_find_number(const char *prefix, const char *text);
/* SUBJECT without its leading reply and forward prefixes ("Sv: Re:")
   and the case tags of PREFIX ("[KS-2026-00042]") wherever they are,
   blanks run together: what a subject is about. Never NULL. */
char *mailin_subject_core(const char *prefix, const char *subject);
/* The most case numbers of one text that mailin_pick_number looks up. */
#define MAILIN_NUMBERS_MAX 16
/* Of the case numbers in TEXT (a subject, an SMS), in order, the one a
   citizen's message goes by. A text may hold more than one: a case
   opened by a message on a closed case keeps the old number beside the
   new. SENDERS says of each whether it is the sender's: 2 open, 1
   closed, 0 not the sender's or no such case, -1. Returns -1, or what
   SENDERS said of *THEIRS_R: the first open case of the sender's, else
   the first closed one (1), else NULL (0); *FIRST_R is the first number
   that is not the sender's, or NULL. Caller frees both. SHORTENED
   takes a number written without its leading zeros ("KS-2026-42", as
   a citizen types it on a phone) for the one in full. */
int mailin_pick_number(const char *prefix, const char *text, bool shortened,
		       int (*senders)(const char *number, void *ctx,
				      char **error_r),
		       void *ctx, char **theirs_r, char **first_r,
		       char **error_r);
/* Whether case ID is closed: 1, 0 (open or no such case), -1. A
   citizen's message that finds a closed case opens a new case that
   mentions it: a closed case is seen by nobody. */
int mailin_case_closed(struct store *store, int64_t id, char **error_r);
/* Whether TEXT from contact CONTACT (0: nobody yet) to case CASE_ID (0:
   none) is a thank-you and nothing more (reply_thanks_only_by), also
   when signed in small letters with a name the contact is known by
   (caseflow_known_names, with NAME: a mail's From name, or NULL). 1, 0,
   or -1. */
int mailin_thanks_only(struct store *store, int64_t contact, int64_t case_id,
		       const char *name, const char *text, char **error_r);

/* The language of a new citizen: the one SUBJECT and TEXT (either may
   be NULL) are clearly written in (lang_guess), else the instance's. */
const char *mailin_citizen_language(const struct mailin *mi,
				    const char *subject, const char *text);

/* Whether the topmost Authentication-Results of M (if any) shows a pass
   for SENDER's domain. */
int mailin_auth_ok(const struct mime_message *m, const char *sender,
		   const char *server);
/* ID_R: the key (SHA-256) of ROW's raw message, as the gateway stored
   it, or hashed here for a row queued without it. */
void mailin_raw_key(const struct store_inbox_row *row, char id_r[65]);
/* In-Reply-To and References continuing the thread of v->msg, for what
   answers it (the citizen's acknowledgement, a transcript to a
   handler): "In-Reply-To: ...\nReferences: ...\n", or NULL without a
   Message-ID. */
char *mailin_thread_headers(const struct mailin_verdict *v);
/* How a handler's message is kept: sent on (public), a #note, or a
   reply that was refused (internal, marked as not sent). */
enum handler_message { HANDLER_PUBLIC, HANDLER_NOTE, HANDLER_REFUSED };
/* Records a handler's message on v->case_id with TEXT (what follows the
   commands) as its stripped text, kept as HOW says. */
int mailin_save_handler_message(struct mailin *mi, struct store *store,
				const struct store_inbox_row *row,
				const struct mailin_verdict *v,
				const char *text, enum handler_message how,
				int64_t *message_id_r, char **error_r);
/* S past spaces, tabs, no-break spaces, byte order marks and zero-width
   spaces and joiners, which mail clients put before a handler's
   command. */
const char *mailin_skip_blank(const char *s);
/* Whether TEXT has a line that is one of the commands a handler writes
   without a case (#lista, #visa, #sok, #hjalp, in either language),
   under a greeting ("Hej!") as well as at the top. */
bool mailin_has_caseless_command(const char *text);
/* Whether a line of TEXT is a command, anywhere, in marks of emphasis
   too ("*#klar*"), as a handler's reply is read. */
bool mailin_has_command_line(const char *text);
/* TEXT, an answer to a notification for a group's information, past a
   first line that is #notering (#note, #intern) alone, as a member
   writes who means the answer for colleagues only: it is a note all
   the same. NULL when TEXT does not start so, has nothing under it, or
   has another command under it. */
const char *mailin_past_note(const char *text);
/* Moves ROW, whose verdict V is the quarantine of a handler's mail,
   there (as *QID_R) and mails v->notify_id, the handler, why and what
   to do: at the sender's address, or for MAILIN_NOTICE_OTHER_SENDER at
   the handler's own (no mail when the handler is disabled). 0, or -1
   with *error_r. */
int mailin_handler_set_aside(struct mailin *mi, struct store *store,
			     const struct store_inbox_row *row,
			     const struct mailin_verdict *v, int64_t *qid_r,
			     char **error_r);
/* Whether handler HANDLER_ID may read case CASE_ID by case_access
   (assigned to them, in one of their groups, of a workflow that gives
   one of their groups a role; any case with case_access = all): 1, 0,
   or -1 with *error_r. */
int mailin_handler_may_read(struct mailin *mi, struct store *store,
			    int64_t handler_id, int64_t case_id,
			    char **error_r);
/* Applies a handler's reply or command mail (mailin-handler.c). */
/* Whether ADDRESS is the case address or a tagged form of it. */
int mailin_from_ourselves(const struct mailin *mi, const char *address);

/* An answer from outside (MAILIN_OUTSIDE_REPLY), kept on the case as
   MESSAGE_ID: the case officer who forwarded the case is told, or its
   assignee. 0, or -1. */
int mailin_outside_answer(struct mailin *mi, struct store *store,
			  const struct mailin_verdict *v, int64_t message_id,
			  char **error_r);

/* Whether M (or NULL) has a file attached. */
bool mailin_has_files(const struct mime_message *m);
/* The text of a notified group's answer: with the quoted questions it
   answers, when it answers between quotes. */
const char *mailin_group_answer_text(const struct mailin_verdict *v);
/* A notified group's answer (MAILIN_GROUP_ANSWER), kept on the case as
   MESSAGE_ID: its case officer is told, or its group. 0, or -1. */
int mailin_group_answer(struct mailin *mi, struct store *store,
			const struct mailin_verdict *v, int64_t message_id,
			char **error_r);

/* Forward FORWARD_ID did not arrive (REASON, what the server said):
   an event on its case, and the officer who forwarded it (else its case
   officer) is told. 0, or -1. */
int mailin_forward_failed(struct mailin *mi, struct store *store,
			  int64_t forward_id, const char *reason,
			  char **error_r);

int mailin_handler_apply(struct mailin *mi, struct store *store,
			 const struct store_inbox_row *row,
			 struct mailin_verdict *v, char **error_r);

#endif
