/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_MAILIN_H
#define CIRM_MAILIN_H

#include <stdint.h>

#include "autoreply.h"
#include "blob.h"
#include "cfg.h"
#include "engine.h"
#include "mime.h"
#include "store.h"

/* The note the IMAP gateway queues for a mail its server fails to
   deliver: "X-Cirm-Unfetchable: " MAILIN_UNFETCHABLE_FAILED N
   MAILIN_UNFETCHABLE_UID UID MAILIN_UNFETCHABLE_UIDVALIDITY V (notes
   from before the gateway fetched such mail again end after the UID).
   The engine takes only these words for the mark (see unfetchable_mark
   in mailin.c), and quarantines the note with the key
   MAILIN_UNFETCHABLE_KEY "V:UID". When the gateway fetches the mail
   after all, it queues it with the key "imap:V:UID"
   MAILIN_REFETCHED_SUFFIX; the engine, once that row is handled,
   resolves the note waiting in the quarantine (released, not copied
   back to the inbox), so that the mail is in one place. */
#define MAILIN_UNFETCHABLE_FAILED "the IMAP server failed "
#define MAILIN_UNFETCHABLE_UID " times to deliver UID "
#define MAILIN_UNFETCHABLE_UIDVALIDITY " of UIDVALIDITY "
#define MAILIN_UNFETCHABLE_KEY "unfetchable:"
#define MAILIN_REFETCHED_SUFFIX ":refetched"

/* Inbound mail, from an inbox row to its one place: a new case, a
   follow-up on a case, a recognised bounce or automatic reply recorded
   on its case, a copy sent again kept on the first one's case, a
   duplicate dropped, or the quarantine with a reason. */
struct mailin;

enum mailin_kind {
	MAILIN_NEW_CASE,
	MAILIN_FOLLOW_UP,
	MAILIN_DUPLICATE,
	MAILIN_BOUNCE,
	MAILIN_AUTO_REPLY,
	MAILIN_QUARANTINE,
	MAILIN_HANDLER_REPLY,	/* a handler answering on a case */
	MAILIN_HANDLER_COMMAND,	/* a handler's #list, #show... without case */
	MAILIN_OUTSIDE_REPLY,	/* an answer from someone outside the case
				   was forwarded to (#vidarebefordra) */
	MAILIN_THANKS,		/* a citizen's thank-you alone to their
				   closed case: kept there, nothing opened */
	MAILIN_GROUP_ANSWER,	/* a handler's answer on a case the workflow
				   notified their group of for its
				   information (a remiss): kept as a note,
				   its case officer told */
	MAILIN_RESENT,		/* a citizen's mail that repeats one of
				   theirs of a moment before, under another
				   Message-ID (sent twice): kept on its
				   case as a copy, nothing else done */
};

struct mailin_verdict {
	enum mailin_kind kind;
	struct mime_message *msg; /* NULL when the mail could not be read */
	struct autoreply ar;
	char *stripped;		  /* the new text, reply quotes removed */
	char *sender;		  /* From address, lower case (or, when
				     BY_FORM, the Reply-To address) */
	bool by_form;		  /* From is a mail_form_senders sender,
				     writing for the citizen in Reply-To */
	const char *auth_server;  /* mail_auth_server, or NULL for none */
	char *dedupe_key;
	/* a citizen's mail that opens a case or follows one up: what its
	   copy sent a moment later has (mail_resend_window), or NULL */
	char *resend_key;
	int64_t received_at;	  /* when the gateway took it in */
	int64_t reached_at;	  /* when it reached us (mailin_received) */
	int64_t case_id;	  /* the case it belongs to, or 0 */
	char case_number[STORE_CASE_NUMBER_MAX];
	const char *thread_by;	  /* how it was tied to the case (English,
				     marked for translation) */
	char merged_from[STORE_CASE_NUMBER_MAX]; /* the case it was tied
				     to first, which was merged into
				     CASE_NUMBER, or "" */
	char *mentioned;	  /* a case number in the subject of a mail
				     from someone not party to that case,
				     or the sender's closed case */
	bool continues;		  /* MENTIONED is the sender's closed case,
				     which the mail was a reply to */
	int64_t outbox_id;	  /* bounces: the message that failed */
	int64_t handler_id;	  /* the handler a signed address names, or
				     the handler writing commands */
	bool personal;		  /* to HANDLER_ID's own signed address
				     (token_address_handler), on no case */
	int64_t own_generation;	  /* personal: the address's generation */
	int64_t forward_id;	  /* the forward (store_forward_get) an
				     outside answer is to, or 0 */
	bool forward_gone;	  /* to a forward's signed address whose
				     forward is not (any more) on its case:
				     an outside answer all the same */
	bool internal;		  /* a bounce of what went to an officer
				     or outside: kept internal */
	int forged_token;	  /* to a handler's address that does not
				     verify: 1 on a case, 2 an own one */
	char *reason;		  /* quarantine: why */
	/* quarantine of a handler's mail that the handler is told of: who
	   (a contact id, or 0) and why */
	int64_t notify_id;
	enum mailin_notice {
		MAILIN_NOTICE_NONE,
		MAILIN_NOTICE_OVERSIZE,	   /* over mail_max_size */
		MAILIN_NOTICE_NO_TOKEN,	   /* not to the signed address */
		MAILIN_NOTICE_OTHERS_TOKEN, /* to a colleague's address */
		MAILIN_NOTICE_AUTH,	   /* failed authentication */
		MAILIN_NOTICE_DISABLED,	   /* from a disabled handler */
		MAILIN_NOTICE_OTHER_SENDER, /* to the handler's address from
					       another sender: told at the
					       handler's own address */
		MAILIN_NOTICE_BAD_TOKEN,   /* to a reply address whose
					      signature does not verify */
		MAILIN_NOTICE_NOT_READABLE, /* a reply on a case the handler
					       may no longer read */
		MAILIN_NOTICE_FAILED,	   /* handling it failed at every
					      attempt (reason: why) */
		MAILIN_NOTICE_FORWARD_OURS, /* the handler forwarded a mail
					       of cirm's own (told at the
					       handler's own address, as
					       all below) */
		MAILIN_NOTICE_FORWARD_OFFICER, /* forwarded a mail whose
						  sender is a handler */
		MAILIN_NOTICE_OLD_ADDRESS, /* to the handler's own address
					      as it was before it was
					      replaced */
		MAILIN_NOTICE_AUTH_SERVER, /* no Authentication-Results of
					      mail_auth_server at all: no
					      verdict, rather than a failed
					      one */
		/* (told at the sender's address, as those above the
		   forwards) */
		MAILIN_NOTICE_GROUP_COMMANDS, /* commands on a case the
						 handler's group was only
						 notified of */
		MAILIN_NOTICE_GROUP_EMPTY, /* such a group's answer with
					      no text and no file */
		MAILIN_NOTICE_NAMED_COMMANDS, /* commands on a case the
						 workflow notified the
						 handler of by login */
	} notice;
	/* MAILIN_GROUP_ANSWER: the group the workflow notified, which the
	   handler is in; with ANSWER_NAMED the handler's login, whom the
	   workflow notified by it (<notify to="handler:LOGIN">) */
	char *answer_group;
	bool answer_named;
	/* the attachments' files, written by mailin_prepare: the id of
	   part I of msg, or "" when it is for mailin_apply to write */
	char (*blobs)[BLOB_ID_LEN + 1];
	/* the handler who forwarded the citizen's mail this is, or 0; what
	   the handler wrote above it (for colleagues), and when the
	   citizen sent it, as the forward says (or NULL) and in epoch
	   seconds (or 0 when cirm cannot tell) */
	int64_t forwarded_by;
	char *forward_note, *forward_sent;
	int64_t forward_sent_at;
	/* the new text with the quoted questions it answers, when it
	   answers between quotes (reply_strip_full), or NULL: what
	   handlers are shown and the case keeps */
	char *interleaved;
	/* the signature under "-- " that reply_strip_full cut from the
	   writer's text (reply_delimited_signature), or NULL */
	char *signature;
};

/* The engine's read-ahead for a mail row (engine_prepare_fn): parses
   ROW's mail into a verdict that mailin_handle then completes. It needs
   no database and only reads CTX (the struct mailin), so it may run in
   another thread while mailin_handle works on earlier rows. */
void *mailin_prepare(void *ctx, const struct store_inbox_row *row);
void mailin_prepared_free(void *prepared);
/* The engine's prepare sync (engine_set_prepare_sync): makes durable the
   attachment files mailin_prepare wrote for a batch. */
int mailin_prepared_sync(void *ctx, char **error_r);

/* Reads the settings (and the instance key) the mail handling needs.
   Returns NULL with *error_r on a bad key. */
struct mailin *mailin_new(const struct cfg *cfg, char **error_r);

/* Handler HANDLER_ID's own signed address, on no case, where the
   commands that change the handler (#borta, #tillbaka) are taken, as
   it is now (cirmctl handler set --new-address replaces it): caller
   frees; NULL with *ERROR_R when the database fails. */
char *mailin_own_address(const struct mailin *mi, struct store *store,
			 int64_t handler_id, char **error_r);
void mailin_free(struct mailin **mi);
/* The workflows mailin_load_workflows loaded (NULL before). */
struct caseflow *mailin_caseflow(struct mailin *mi);
/* Loads the workflows of workflow_dir (recording them in STORE). A bad
   file goes to ERRORS as file:line: lines and, when PREVIOUS (the mail
   handling being replaced on reload, or NULL) ran a good version of its
   workflow, that version stays; so does PREVIOUS's text of a template
   file that no longer renders, or that is gone while a workflow version
   open cases run sends it (caseflow_check_running, which says so in
   ERRORS, also at start). Fails (-1) when the default workflow or
   one named in workflow_routes is not usable. */
int mailin_load_workflows(struct mailin *mi, struct store *store,
			  struct mailin *previous, struct strlist *errors);
/* Outgoing messages that failed for good (the sending gateways' final
   failures): a message to the citizen is the workflow event
   delivery.failed.CHANNEL on its case (the workflow tells the
   assignee); a failed notification is noted on the case and logged.
   Batches of LIMIT in one transaction; *HANDLED_R counts them. */
int mailin_handle_failures(struct mailin *mi, struct store *store, int limit,
			   int *handled_r, char **error_r);
/* Due workflow timers, fired in one transaction per LIMIT; *FIRED_R
   counts them. 0, or -1. */
int mailin_fire_timers(struct mailin *mi, struct store *store, int64_t now,
		       int limit, int *fired_r, char **error_r);

/* Decides where RAW belongs without changing anything. Returns 0 with
   *V filled (clear it with mailin_verdict_clear), -1 on database
   errors. */
int mailin_analyse(struct mailin *mi, struct store *store, const void *raw,
		   size_t len, int64_t now, struct mailin_verdict *v,
		   char **error_r);
void mailin_verdict_clear(struct mailin_verdict *v);
const char *mailin_kind_name(enum mailin_kind kind);
/* The command an unknown command WORD (without its '#') was probably
   meant as, as a case officer reading LANG ("en", else Swedish) would
   write it: one of WF's (WF may be NULL) or cirm's own, a letter off
   (two in a word of six or more) with case and Swedish letters folded;
   NULL when none is that close or two are equally close. As a reply's
   refusal suggests it (and workflow simulate). */
struct workflow;
const char *mailin_near_command(const struct workflow *wf, const char *word,
				const char *lang);

/* The engine's handler for inbox rows of channel "email" (CTX is the
   struct mailin). A row an administrator released from the quarantine
   (source "release") is exempt from the flood limit. */
engine_handler_fn mailin_handle;

/* The engine's handler for inbox rows of channel "sms" (CTX is the
   struct mailin): the envelope gateways/sms.h describes. */
engine_handler_fn mailin_handle_sms;

/* Makes the spool files written since the last call durable (one
   syncfs for the whole batch); the engine calls it before it commits. */
int mailin_sync(void *ctx, char **error_r);

/* The engine's end of a batch (engine_set_after_batch): the notices to
   handlers counted in a batch rolled back (at most
   MAILIN_NOTICES_PER_HOUR) are forgotten, as their mail is, and the
   workflows' skipped actions counted (caseflow_after_batch). */
void mailin_after_batch(void *ctx, int committed);

#endif
