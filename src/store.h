/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_STORE_H
#define CIRM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strlist;

/* The database: SQLite in WAL mode with foreign keys on, a busy timeout,
   synchronous=FULL (a commit that returned survives a power cut), schema
   migrations, and a cache of prepared statements. It is the only module
   that speaks SQL. One struct store is one connection, for one thread. */
struct store;

#define STORE_CASE_NUMBER_MAX 32

struct store_settings {
	int busy_timeout_ms; /* 0: 5000 */
	int create;	     /* create the file when it does not exist */
	int cache_kib;	     /* page cache; 0: SQLite's default (2 MiB) */
	/* Copy the WAL back into the database file in a thread of this
	   process with a connection of its own, instead of in the commit
	   that fills the WAL: for the one busy writer (the engine), which
	   then writes on while the other core checkpoints. 0: SQLite's
	   automatic checkpoint in the committing thread. */
	int background_checkpoint;
	/* Before an older schema is brought up to date, write a copy of
	   the database as it is beside it (store_upgraded says where), so
	   that the cirm that wrote it can be gone back to: for the
	   programs that bring the instance's database up to date (cirmd,
	   cirmctl), not for copies being checked. A copy
	   that cannot be written leaves the database as it was. */
	int keep_older;
	/* Refuse an older schema instead of bringing it up to date: for
	   cirm-gateway, which cirmd starts once it has done that. A newer
	   cirm-gateway that an older cirmd starts (installed while it
	   runs) must not change the schema under it. */
	int current_only;
};

/* Opens PATH and brings its schema to the newest version, each migration
   in its own transaction. A database from a newer cirm is refused.
   Returns 0, or -1 with *error_r (caller frees). */
int store_open(const char *path, const struct store_settings *set,
	       struct store **store_r, char **error_r);
void store_free(struct store **store);
/* The schema version STORE's database had when store_open brought it
   up to date, 0 when it was current (or new); *COPY_R is the copy
   kept of it before (keep_older), else NULL. */
int store_upgraded(const struct store *store, const char **copy_r);
/* Whether this process can write STORE's database (a service must):
   0, also when another process holds the write lock; -1 with *error_r
   naming the file that is read-only for this user (the database, its
   -wal or -shm, or their directory), or SQLite's reason. */
int store_check_write(struct store *store, char **error_r);
/* The database file STORE has open. */
const char *store_path(const struct store *store);
/* Writes a consistent copy of the whole database to PATH, which must not
   exist (VACUUM INTO: one read transaction, so writers go on meanwhile).
   0, or -1 with *error_r, which names PATH when the copy could not be
   written there (a full disk). */
int store_backup(struct store *store, const char *path, char **error_r);
/* What a database file holds, for an administrator choosing between
   two: its schema version, its cases, the newest one's number (caller
   frees) and when that one arrived. */
struct store_summary {
	int schema;
	int64_t cases;
	char *newest;
	int64_t newest_at;
};
/* Reads the summary of STORE's database. 0, or -1 with *error_r. */
int store_summary(struct store *store, struct store_summary *sum_r,
		  char **error_r);
/* The same of the database file PATH, opened on its own and left as it
   is (an older schema is not brought up to date). */
int store_summary_file(const char *path, struct store_summary *sum_r,
		       char **error_r);
/* Checks the database file PATH, opened on its own and left as it is,
   page by page (PRAGMA quick_check): a backup damaged on its medium.
   0, or -1 with *error_r saying what is damaged. */
int store_file_check(const char *path, char **error_r);
/* Replaces the whole database of STORE with the database file FROM (a
   backup), after copying the present one to KEEP (which must not exist).
   STORE takes an exclusive lock first and holds it to the end, so no
   other process (cirm-mailgate, say) writes between the copy and the
   replacement: they wait, or give up for their callers to try again.
   FROM is only read. Close STORE afterwards and open it again, which
   brings an older backup's schema up to date. The audit entries the
   replaced database has after the backup's newest (when the backup's
   log is the start of its own) are kept after it, as they were: how
   many in *AUDIT_KEPT_R (or NULL). 0, or -1 with *error_r. */
int store_restore(struct store *store, const char *from, const char *keep,
		  int64_t *audit_kept_r, char **error_r);
/* SQLite's quick_check of the database file: 1 when it is sound, 0 with
   its first problem in *error_r, -1 with *error_r when it cannot run. */
int store_quick_check(struct store *store, char **error_r);
/* Calls FN with the SHA-256 of every attachment file the database names,
   each once, in order; a non-zero result from FN stops the walk and is
   returned. -1 with *error_r on a database error. */
int store_attachment_files(struct store *store,
			   int (*fn)(const char *sha256, void *ctx), void *ctx,
			   char **error_r);

/* Durability of this connection's commits: FULL (the default) makes a
   commit that returned survive a power cut; with FULL = 0 (SQLite's
   NORMAL in WAL mode) it survives a crash of the process, and a power
   cut may undo the last commits (never corrupt the file). For writers
   that only ever move a row forward and redo work safely when a step is
   undone, such as the sending gateways. 0, or -1. */
int store_set_synchronous(struct store *store, int full, char **error_r);

/* Sets this connection's page cache to KIB KiB. 0, or -1. */
int store_set_cache(struct store *store, int kib, char **error_r);

/* The schema version of the open database. */
int store_schema_version(struct store *store);
/* The newest schema version this cirm knows. */
int store_schema_latest(void);

/* Transactions. store_begin takes the write lock at once (BEGIN
   IMMEDIATE) so that two writers never deadlock; it waits up to the busy
   timeout. Returns 0, or -1 with *error_r; store_busy() then says whether
   the lock was the cause (a temporary failure). */
int store_begin(struct store *store, char **error_r);
/* As store_begin without waiting: 1 when begun, 0 when another
   connection holds the write lock, -1 with *error_r. */
int store_begin_try(struct store *store, char **error_r);
int store_commit(struct store *store, char **error_r);
void store_rollback(struct store *store);
int store_busy(const struct store *store);
/* Savepoints inside a transaction, so one bad row leaves the others. */
int store_savepoint(struct store *store, char **error_r);
int store_savepoint_release(struct store *store, char **error_r);
void store_savepoint_rollback(struct store *store);

/* --- contacts (store-contact.c) --- */

enum store_contact_kind { STORE_CITIZEN, STORE_HANDLER };

/* Adds a contact; LOGIN (handlers only, may be NULL) is the short name
   used in commands like "#assign eva". 0 with *id_r, or -1. */
int store_contact_add(struct store *store, enum store_contact_kind kind,
		      const char *name, const char *login,
		      const char *language, int64_t *id_r, char **error_r);
/* Adds an address of KIND "email" or "phone" to a contact; an address
   belongs to one contact only. 0, or -1. */
int store_contact_address_add(struct store *store, int64_t contact_id,
			      const char *kind, const char *address,
			      char **error_r);
/* The contact holding an address: 1 with *id_r, 0 when none, -1. */
int store_contact_find(struct store *store, const char *kind,
		       const char *address, int64_t *id_r, char **error_r);
/* The same, with whether the contact is a handler and is active, in one
   look: 1, 0 when none, -1. */
int store_contact_find_full(struct store *store, const char *kind,
			    const char *address, int64_t *id_r,
			    bool *handler_r, bool *active_r, char **error_r);

/* --- cases (store-case.c) --- */

struct store_case_new {
	const char *prefix;	 /* case number prefix, e.g. "KS" */
	int64_t received_at;	 /* arrival; its local year numbers the case */
	int64_t citizen_id;	 /* contact, or 0 */
	const char *channel;	 /* "email" or "sms" */
	const char *subject;	 /* may be NULL */
	const char *state;
	const char *workflow;	 /* may be NULL until workflows exist */
	int workflow_version;
	/* the citizen's mail that opens it: what a copy of it sent again
	   has (store_case_resent), or NULL */
	const char *resend_key;
};

/* Creates a case inside the caller's transaction and gives it the next
   number of its prefix and year (PREFIX-YYYY-NNNNN), gap-free: a rolled
   back transaction takes its number back with it. Returns 0 with *id_r
   and NUMBER_R, or -1. */
int store_case_create(struct store *store, const struct store_case_new *c,
		      int64_t *id_r, char number_r[STORE_CASE_NUMBER_MAX],
		      char **error_r);

struct store_case {
	int64_t id;
	const char *number, *state, *channel, *subject, *priority;
	const char *category, *workflow, *assignee, *citizen;
	const char *merged_into;	/* the case it was merged into */
	const char *merged_here;	/* "KS-..., KS-...": merged into it */
	const char *assignee_name;	/* the assignee's name, or NULL */
	int workflow_version;
	int64_t received_at, updated_at, due_at, closed_at; /* 0: none */
};

struct store_case_filter {
	const char *state; /* NULL: any */
	int limit;	   /* <= 0: no limit */
	const char *assignee; /* a handler's login; NULL: any */
	bool open_only;	      /* only cases not closed */
};

/* Calls FN for each case matching FILTER, newest first; the strings are
   valid during the call only. FN returning non-zero stops. 0, or -1. */
int store_case_list(struct store *store, const struct store_case_filter *f,
		    int (*fn)(const struct store_case *c, void *ctx),
		    void *ctx, char **error_r);
/* Calls FN for each state some case is in, in order of the name, with
   how many cases are in it, and the workflow (NULL: none) and version
   of one of them, which name the state; the strings are valid during
   the call only. FN returning non-zero stops. 0, or -1. */
int store_case_states(struct store *store,
		      int (*fn)(const char *state, const char *workflow,
				int version, int64_t n, void *ctx),
		      void *ctx, char **error_r);
/* Calls FN once with the case NUMBER. 1 when found, 0 when not, -1. */
int store_case_get(struct store *store, const char *number,
		   int (*fn)(const struct store_case *c, void *ctx), void *ctx,
		   char **error_r);

struct store_contact {
	char *kind;		/* "citizen" or "handler" */
	char *name;		/* NULL: none */
	char *language;
	int64_t created_at;
};
/* Contact ID: 1 with *C (store_contact_clear frees it), 0 when there is
   none, -1. */
int store_contact_get(struct store *store, int64_t id, struct store_contact *c,
		      char **error_r);
void store_contact_clear(struct store_contact *c);

struct store_address {
	const char *kind, *address;
};
/* Calls FN for each address of a contact. 0, or -1. */
int store_contact_addresses(struct store *store, int64_t contact_id,
			    int (*fn)(const struct store_address *a, void *ctx),
			    void *ctx, char **error_r);
/* The citizen of a case: 1 with *id_r, 0 when it has none, -1. */
int store_case_citizen(struct store *store, int64_t case_id, int64_t *id_r,
		       char **error_r);

/* --- history (store-case.c) --- */

struct store_event {
	int64_t at;
	const char *kind, *actor, *from_state, *to_state, *detail;
};
/* Records an event on a case; ACTOR_ID 0 for the system; FROM/TO states
   and DETAIL may be NULL. DETAIL must not hold personal data. */
int store_event_add(struct store *store, int64_t case_id, int64_t at,
		    const char *kind, int64_t actor_id, const char *from_state,
		    const char *to_state, const char *detail, char **error_r);
/* Records event KIND (DETAIL) by citizen CITIZEN_ID on each of their
   open cases. The number of cases, or -1. */
int store_citizen_event_add(struct store *store, int64_t citizen_id,
			    int64_t at, const char *kind, const char *detail,
			    char **error_r);
struct store_event_new {
	const char *kind;
	int64_t actor_id;
	const char *from_state, *to_state, *detail;
};
/* Records N events on a case at AT, in order, as store_event_add would
   one by one, with one statement for up to STORE_EVENTS_ROWS. */
#define STORE_EVENTS_ROWS 8
int store_events_add(struct store *store, int64_t case_id, int64_t at,
		     const struct store_event_new *ev, size_t n,
		     char **error_r);
int store_case_events(struct store *store, int64_t case_id,
		      int (*fn)(const struct store_event *e, void *ctx),
		      void *ctx, char **error_r);

/* A case received in a period, as cirmctl report counts it. */
struct store_report_case {
	int64_t id, received_at;
	int64_t closed_at;	 /* 0: open */
	int64_t first_answer_at; /* 0: no handler has answered */
	const char *channel;
	const char *workflow;	 /* NULL: none */
	int workflow_version;
	const char *group;	 /* NULL: none */
	const char *handler;	 /* the assignee's login; NULL: none */
};
/* Calls FN on each case received at or after FROM and before TO, oldest
   first, with the time of the first answer a handler wrote to its
   citizen (a "reply.sent" event with the handler as actor; before
   cirm recorded the actor, the "answer" template's). Stops at FN's
   first non-zero. 0, or -1 with *error_r. */
int store_report_cases(struct store *store, int64_t from, int64_t to,
		       int (*fn)(const struct store_report_case *c, void *ctx),
		       void *ctx, char **error_r);

/* A closed case, as retention (gallring) weighs it. */
struct store_closed_case {
	int64_t id, closed_at;
	const char *number;
	const char *workflow;	/* NULL: none */
};
/* Calls FN on each case closed before BEFORE, oldest first, until FN
   returns non-zero. 0, or -1 with *error_r. */
int store_cases_closed_before(struct store *store, int64_t before,
			      int (*fn)(const struct store_closed_case *c,
					void *ctx),
			      void *ctx, char **error_r);
/* Removes case ID, when it is still closed before BEFORE (in the
   caller's transaction, with foreign keys off: store_foreign_keys),
   with all it holds: messages, attachments' records, raw mails,
   recipients, history, timers, parties and outbox rows; then its
   citizen and other parties when they are citizens no other case
   names, with their addresses and numbers.
   Returns 1 when removed (the contacts removed added to *contacts_r);
   0 when it is not, or no longer, closed before BEFORE (reopened,
   say); 2 when its outbox still has a message to send (queued or
   sending, as store_pending_cases noted), and it was left alone; -1
   with *error_r. */
int store_case_remove(struct store *store, int64_t id, int64_t before,
		      long *contacts_r, char **error_r);
/* Notes (in the caller's transaction) which cases have outbox mail
   still to send, for store_case_remove, which must come after it in
   the same transaction. 0, or -1. */
int store_pending_cases(struct store *store, char **error_r);
/* Whether case ID has outbox mail still to send (queued or sending), so
   that store_case_remove would leave it for now: for a dry run. 1, 0,
   or -1 with *error_r. */
int store_case_pending(struct store *store, int64_t id, char **error_r);
/* One step of merging the full-text index (in the caller's
   transaction): FTS5 deletes by writing delete markers, and the words
   of removed messages stay in its older segments until they are merged
   with them; merged into one, they are gone. Writes about PAGES pages;
   *DONE_R is true when there was nothing left to merge. 0, or -1. */
int store_index_merge(struct store *store, int pages, bool *done_r,
		      char **error_r);
/* Foreign keys enforced (as every connection opens) or not, outside a
   transaction. 0, or -1. */
int store_foreign_keys(struct store *store, bool on, char **error_r);

struct store_message {
	int64_t id, at;
	const char *direction, *channel, *visibility, *sender, *subject;
	const char *body; /* stripped text when there is one, else full */
	bool refused;	  /* a handler's reply that was refused: not sent */
	bool officer;	  /* written by a case officer (store_case_messages) */
	bool files;	  /* has attachments (store_case_messages,
			     store_case_recent_messages) */
	/* a case officer's reply that sent the case outside
	   (#vidarebefordra): to whom, "a@b, c@d" (store_case_messages,
	   store_case_recent_messages), else NULL */
	const char *forwarded_to;
	/* the text as it came, when BODY is stripped of something
	   (store_case_messages), else NULL */
	const char *full;
};
struct store_message_new {
	const char *direction;	/* "in" or "out" */
	const char *channel;	/* "email" or "sms" */
	const char *visibility; /* "public" or "internal" */
	const char *kind;	/* "mail" (NULL), "auto-reply", "bounce", "note" */
	int64_t contact_id;	/* 0: unknown */
	const char *rfc_message_id, *in_reply_to, *subject;
	/* The text as it came, and the new text alone (quotes and
	   signature stripped); BODY_FULL is NULL when the two are the same
	   (our own messages, SMS), so that a text is not stored twice:
	   store_message_add stores it so when they are equal, and readers
	   take coalesce(body_full, body_stripped). */
	const char *body_full, *body_stripped;
	const char *raw_sha256; /* the raw message (store_raw_put), or NULL */
	/* what makes a second delivery a duplicate; "mid:" and the
	   message's own RFC_MESSAGE_ID (most mail) is not stored, the
	   Message-ID's index finds it (store_message_by_dedupe) */
	const char *dedupe_key;
	bool refused;		/* a handler's reply refused (internal) */
	int64_t at;
};
int store_message_add(struct store *store, int64_t case_id,
		      const struct store_message_new *m, int64_t *id_r,
		      char **error_r);
/* --- inbound mail (store-mail.c) --- */

/* A case sent to someone outside (#vidarebefordra). */
struct store_forward {
	int64_t id, case_id, handler_id; /* handler_id 0: unknown */
	char *address;			 /* to whom */
	int64_t at;
	char case_number[STORE_CASE_NUMBER_MAX];
	char *subject;	/* the case's, or "" */
	char *text;	/* what the officer wrote them, or "" */
	char *by;	/* the officer's name, or "" */
};
/* Records that MESSAGE_ID (out) sent case CASE_ID to ADDRESS for
   HANDLER_ID, from the handler's reply NOTE_ID (0: none); its id in
   *ID_R. 0, or -1. */
int store_forward_add(struct store *store, int64_t case_id, int64_t message_id,
		      int64_t handler_id, int64_t note_id, const char *address,
		      int64_t at, int64_t *id_r, char **error_r);
/* Forward ID into *F (store_forward_clear it): 1, 0 when none, -1. */
int store_forward_get(struct store *store, int64_t id, struct store_forward *f,
		      char **error_r);
void store_forward_clear(struct store_forward *f);
/* Outbox row OUTBOX_ID: the forward it sends in *FORWARD_ID_R (0:
   none), and in *PUBLIC_R whether it goes to the citizen (its message
   is public). 1, 0 when there is no such row, -1. */
int store_outbox_forward(struct store *store, int64_t outbox_id,
			 int64_t *forward_id_r, bool *public_r, char **error_r);
/* The newest forward of case CASE_ID that ADDRESS was sent, or
   answered as a party "outside": 1 with *ID_R, 0, -1. */
int store_forward_of_sender(struct store *store, int64_t case_id,
			    const char *address, int64_t *id_r,
			    char **error_r);

/* Whether DEDUPE_KEY is "mid:" and RFC_MESSAGE_ID. */
bool store_dedupe_is_mid(const char *dedupe_key, const char *rfc_message_id);
/* An inbound message with DEDUPE_KEY (as store_message_add was given
   it): 1 with its case in *case_id_r, 0 when none, -1. A "mid:" key is
   the same mail only from the same SENDER (an address of the message's
   contact; any, when SENDER or the contact is NULL): another's mail
   with a Message-ID already stored, guessed or copied, is not. When
   PERSON (the mail is no bounce or automatic reply), a message of no
   contact (a bounce's, an automatic reply's) is not it either: the
   sender of one chose its Message-ID, and a citizen's mail with that
   ID would be dropped as its copy. When TEXT is not NULL, a "mid:" key
   is the same mail only with that text as well (the body as it came):
   a sender's mail that reuses a Message-ID for other words is another
   mail, not lost as a copy of the first. */
int store_message_by_dedupe(struct store *store, const char *dedupe_key,
			    const char *sender, bool person,
			    const char *text, int64_t *case_id_r,
			    char **error_r);
/* The case whose last citizen's mail (store_case_create's or
   store_case_followed's) had RESEND_KEY and came at SINCE or later:
   case CASE_ID, or when that is 0 (a mail that opens a case) the one
   citizen CONTACT_ID opened since SINCE whose mail came last. 1 with
   its id in *CASE_ID_R, 0 when none, -1. */
int store_case_resent(struct store *store, const char *resend_key,
		      int64_t since, int64_t case_id, int64_t contact_id,
		      int64_t *case_id_r, char **error_r);
/* The case of a message we received or sent with RFC 5322 Message-ID ID
   (without brackets), in or out: 1 with *case_id_r and, when it was a
   forward (#vidarebefordra), that forward in *forward_id_r (else 0), 0,
   -1. */
int store_case_by_rfc_id(struct store *store, const char *id,
			 int64_t *case_id_r, int64_t *forward_id_r,
			 char **error_r);
/* The id of case NUMBER: 1 with *case_id_r, 0, -1. */
int store_case_id(struct store *store, const char *number, int64_t *case_id_r,
		  char **error_r);
/* The number of case CASE_ID into NUMBER_R. 1, 0 when no such case, -1. */
/* The case that case CASE_ID was merged into (#slå-ihop), as long as
   it is there: 1 with its id in *KEPT_R and its number in NUMBER_R
   (unless NULL), 0 when there is none, -1. One read, for threading. */
int store_case_kept(struct store *store, int64_t case_id, int64_t *kept_r,
		    char number_r[STORE_CASE_NUMBER_MAX], char **error_r);
int store_case_get_number(struct store *store, int64_t case_id,
			  char number_r[STORE_CASE_NUMBER_MAX], char **error_r);
/* Marks the case as changed now. */
int store_case_touch(struct store *store, int64_t case_id, int64_t now,
		     char **error_r);
/* store_case_touch for a citizen's mail that came AT and follows the
   case up: RESEND_KEY (may be NULL) is what a copy of it sent again
   has. */
int store_case_followed(struct store *store, int64_t case_id, int64_t now,
			const char *resend_key, int64_t at, char **error_r);
/* Whether the owner of e-mail ADDRESS is a party to the case: 1, 0, -1. */
int store_case_has_party(struct store *store, int64_t case_id,
			 const char *address, char **error_r);
/* Adds CONTACT_ID to the case in ROLE unless already a party. */
int store_case_party_add(struct store *store, int64_t case_id,
			 int64_t contact_id, const char *role, char **error_r);
/* Cases opened by CONTACT_ID at or after SINCE: *n_r. */
int store_cases_opened_since(struct store *store, int64_t contact_id,
			     int64_t since, int64_t *n_r, char **error_r);
/* Keeps a raw message under its SHA-256 (hex); storing the same bytes
   again is a no-op. The raw of the inbox row being handled is there
   since it arrived: putting it marks it kept, and store_inbox_done
   leaves it for the message that refers to it. */
int store_raw_put(struct store *store, const char *sha256, const void *raw,
		  size_t len, char **error_r);
/* Calls FN with the raw message SHA256. 1 when found, 0, -1. */
int store_raw_get(struct store *store, const char *sha256,
		  int (*fn)(const void *raw, size_t len, void *ctx), void *ctx,
		  char **error_r);
/* CHARSET: a text file's, as its part named it (lower case), or NULL. */
int store_attachment_add(struct store *store, int64_t message_id,
			 const char *sha256, const char *filename,
			 const char *content_type, const char *charset,
			 int64_t size, char **error_r);
int store_message_recipient_add(struct store *store, int64_t message_id,
				const char *kind, const char *address,
				char **error_r);

struct store_outbox_new {
	int64_t case_id, message_id; /* 0: none */
	const char *channel, *recipient, *rfc_message_id, *subject;
	const char *headers; /* "Name: value" lines */
	const char *body;
	/* The text is that of message MESSAGE_ID (its body_stripped),
	   which keeps it: the row does not store it again (the readers
	   take it from the message, as the view outbox_mail does), and
	   BODY must be NULL, so that no other text can seem to be sent */
	bool body_in_message;
	int64_t at;
};
int store_outbox_add(struct store *store, const struct store_outbox_new *o,
		     int64_t *id_r, char **error_r);
/* A row of the outbox that is no message of a case (an SMS opt-out's
   confirmation, a handler's digest or answer to #lista, a handler's
   notice of a refused reply). */
struct store_outbox_unfiled {
	int64_t id, created_at, sent_at; /* sent_at 0: not sent */
	const char *channel, *recipient, *status;
	const char *subject; /* may be NULL */
	const char *body;
	const char *case_number; /* NULL: sent in no case */
};
/* Calls FN for each outbox row that is no message of a case (sent in
   no case, as an SMS opt-out's confirmation or a case officer's digest;
   or about one, as a case officer's notice that a reply was refused)
   whose recipient is RECIPIENT (for an address: in any case of ASCII
   letters), oldest first; strings valid during the call, FN returning
   non-zero stops. Returns the number of rows FN saw, or -1. (By an
   index of those rows alone: for a register extract.) */
int store_outbox_unfiled_to(struct store *store, const char *recipient,
			    int (*fn)(const struct store_outbox_unfiled *r,
				      void *ctx),
			    void *ctx, char **error_r);
/* The outbox row that sent Message-ID ID: 1 with *id_r and *case_id_r
   (0 when it had no case), 0, -1. */
int store_outbox_by_rfc_id(struct store *store, const char *id, int64_t *id_r,
			   int64_t *case_id_r, char **error_r);
/* Marks an outbox row failed for good with REASON. */
int store_outbox_failed(struct store *store, int64_t id, const char *reason,
			char **error_r);

/* --- outbound queue, as the sending gateways see it (store-outbox.c) ---

   A row goes queued -> sending (claimed, committed before a byte of it
   leaves) -> sent, or back to queued with a later next_attempt_at, or to
   failed for good. A row found 'sending' when a gateway starts was in
   flight when the last one died: it is sent again, with the same
   Message-ID. (The sink, whose writes can be repeated, goes from
   queued to sent: see outbound_sent_all.) */

struct store_outbox_row {
	int64_t id, case_id, message_id, created_at; /* ids 0: none */
	const char *channel, *recipient;
	const char *rfc_message_id; /* without brackets, or NULL */
	const char *subject, *headers; /* may be NULL */
	const char *body;	       /* NUL-terminated */
	size_t body_len;
	int attempts; /* failed attempts so far */
};

/* Calls FN for up to LIMIT rows of CHANNEL after row AFTER to send now,
   oldest first: with LEFTOVERS the rows left 'sending', else the
   'queued' ones due at NOW. With SHARES > 1 only share SHARE of them
   (0 to SHARES - 1): the rows of a case are always in the same share,
   a row without a case in the share of its id. Strings are valid
   during the call; FN returning non-zero stops. Returns the number of
   rows FN saw, or -1. */
int store_outbox_due(struct store *store, const char *channel, int64_t now,
		     int64_t after, int shares, int share, int limit,
		     int leftovers,
		     int (*fn)(const struct store_outbox_row *r, void *ctx),
		     void *ctx, char **error_r);
/* Claims row ID for sending: status 'sending', and RFC_MESSAGE_ID (not
   NULL) stored as its Message-ID when it had none. 1 when claimed, 0 when
   the row is no longer queued or sending (taken by another), -1. */
int store_outbox_claim(struct store *store, int64_t id,
		       const char *rfc_message_id, char **error_r);
/* Stores RFC_MESSAGE_ID as row ID's Message-ID when it has none, without
   claiming it. 0, or -1. */
int store_outbox_keep_message_id(struct store *store, int64_t id,
				 const char *rfc_message_id, char **error_r);
/* Row ID went out at NOW: status 'sent'. */
int store_outbox_sent(struct store *store, int64_t id, int64_t now,
		      char **error_r);
/* Row ID failed for now with REASON (kept in last_error; a server's
   answer may name the recipient, so it is not for logs): back to
   'queued', one more failed attempt counted, due again at NEXT_AT. */
int store_outbox_retry(struct store *store, int64_t id, const char *reason,
		       int64_t next_at, char **error_r);
/* Row ID was not tried, or could not be for a reason that is not its own
   (the local disk is full): back to 'queued', due again at NEXT_AT, with
   no attempt counted; REASON, when not NULL, is kept in last_error. */
int store_outbox_requeue(struct store *store, int64_t id, const char *reason,
			 int64_t next_at, char **error_r);

struct store_outbox_failure {
	int64_t id, case_id, message_id; /* 0: none */
	const char *channel, *recipient, *rfc_message_id; /* may be NULL */
	const char *reason; /* last_error: the server's answer, or NULL */
	int attempts;
	int64_t created_at;	/* when it was queued */
	const char *body;	/* the text that did not arrive */
};
/* Calls FN for up to LIMIT rows that failed for good and that the
   engine has not handled yet (store_outbox_failure_handled), oldest
   first; strings valid during the call. Both sending gateways' final
   failures and bounces (store_outbox_failed) show here. 0, or -1. */
int store_outbox_failures(struct store *store, int limit,
			  int (*fn)(const struct store_outbox_failure *f,
				    void *ctx),
			  void *ctx, char **error_r);
/* The engine has handled the failure of row ID (in the transaction that
   raised it): it no longer shows in store_outbox_failures. 1, or 0 when
   ID is not an unhandled failure, -1. */
int store_outbox_failure_handled(struct store *store, int64_t id,
				 char **error_r);
/* Retention of what cirm sent that belongs to no case (digests, answers
   to handlers' commands, SMS opt-out confirmations, quarantine notices):
   of the outbox rows with ids from FROM to FROM + COUNT - 1, those with
   neither case nor message whose sending has ended before BEFORE (by
   sent_at, else created_at) -- sent, or failed and taken up by the
   engine -- are removed (in the caller's transaction), or with DRY_RUN
   counted; *N_R counts them. *NEXT_R is where the next part starts, 0
   after the last. 0, or -1 with *error_r. */
int store_outbox_prune(struct store *store, int64_t before, int64_t from,
		       int64_t count, bool dry_run, int64_t *next_r,
		       long *n_r, char **error_r);

/* --- SMS (store-sms.c) --- */

/* As store_message_by_dedupe, among messages that came at SINCE or
   later and that no handler has answered since: "Ja" twice, to two
   questions, is two answers. */
int store_message_by_dedupe_since(struct store *store, const char *dedupe_key,
				  int64_t since, int64_t *case_id_r,
				  char **error_r);
/* The open case of citizen CITIZEN_ID with the latest activity: 1 with
   *case_id_r and *updated_at_r, 0 when none, -1. */
int store_case_latest_open(struct store *store, int64_t citizen_id,
			   int64_t *case_id_r, int64_t *updated_at_r,
			   char **error_r);
/* The case of citizen CITIZEN_ID closed last: 1 with *case_id_r and
   *closed_at_r, 0 when none, -1. */
int store_case_latest_closed(struct store *store, int64_t citizen_id,
			     int64_t *case_id_r, int64_t *closed_at_r,
			     char **error_r);
/* Whether CONTACT_ID is a party to case CASE_ID: 1, 0, -1. */
int store_case_has_contact(struct store *store, int64_t case_id,
			   int64_t contact_id, char **error_r);

/* One part of a concatenated inbound SMS, waiting for the others. A
   message is named by source (the gateway), sender, recipient (our
   number; "" when unknown), reference and total. */
struct store_sms_part {
	const char *source, *sender, *recipient;
	unsigned ref, total, seq; /* seq 1..total */
	const char *text;	  /* UTF-8 */
	int64_t received_at;
};
/* Stores P: 1, or 0 when that part is there already, waiting, or with
   the same text in a message put in the inbox in the last while (see
   store_sms_parts_done): a part delivered twice. Another part with the
   reference of such a message starts a new message. */
int store_sms_part_add(struct store *store, const struct store_sms_part *p,
		       char **error_r);
/* Calls FN for each stored part of KEY's message in order (KEY's seq
   and text are not used; FN may be NULL to count them). Returns the
   number of parts, or -1. */
int store_sms_parts_of(struct store *store, const struct store_sms_part *key,
		       int (*fn)(const struct store_sms_part *p, void *ctx),
		       void *ctx, char **error_r);
/* KEY's message is in the inbox: its parts no longer wait, but are
   remembered from NOW until store_sms_parts_forget. */
int store_sms_parts_done(struct store *store, const struct store_sms_part *key,
			 int64_t now, char **error_r);
/* Forgets the parts of SOURCE's messages (any source's with SOURCE
   NULL) put in the inbox before BEFORE. */
int store_sms_parts_forget(struct store *store, const char *source,
			   int64_t before, char **error_r);
/* Calls FN once for each of up to LIMIT messages of SOURCE (of any
   source with SOURCE NULL) whose first part came before BEFORE, oldest
   first (received_at is the first part's; text is empty). Returns their
   number, or -1. */
int store_sms_parts_stale(struct store *store, const char *source,
			  int64_t before, int limit,
			  int (*fn)(const struct store_sms_part *p, void *ctx),
			  void *ctx, char **error_r);

/* Row ID went out at NOW and the peer gave it REMOTE_ID (an SMSC's
   message id; may be NULL): status 'sent'. */
int store_outbox_sent_remote(struct store *store, int64_t id, int64_t now,
			     const char *remote_id, char **error_r);

enum store_receipt {
	STORE_RECEIPT_PENDING,	 /* accepted, enroute... nothing final */
	STORE_RECEIPT_DELIVERED, /* delivered_at set */
	STORE_RECEIPT_FAILED	 /* 'failed' with RECEIPT as the reason */
};
/* The delivery receipt RECEIPT (as the peer said it, e.g. "stat:UNDELIV
   err:001") for the message of CHANNEL the peer called REMOTE_ID. A
   failure makes a sent row 'failed' (for the engine to raise), unless it
   was delivered before. 1 when the row was found, 0 when not, -1. */
int store_outbox_receipt(struct store *store, const char *channel,
			 const char *remote_id, const char *receipt,
			 enum store_receipt outcome, int64_t now,
			 char **error_r);

/* The header line of the one SMS that still goes to a number that opted
   out: the confirmation of the opt-out. */
#define STORE_SMS_OPTOUT_CONFIRMATION "Opt-Out-Confirmation: yes"
/* The header line of the SMS that asks the sender of an empty SMS to
   write what it is about. */
#define STORE_SMS_EMPTY_REPLY "Empty-Sms-Reply: yes"
/* 1 when an SMS in no message of a case, with the header line HEADER,
   was queued to NUMBER at SINCE or later, 0, -1. */
int store_sms_sent_since(struct store *store, const char *number,
			 const char *header, int64_t since, char **error_r);
/* Opt-outs: NUMBER (E.164) asked with KEYWORD for no more SMS. 1 when
   recorded now, 0 when it already was. */
int store_sms_optout_add(struct store *store, const char *number,
			 const char *keyword, int64_t at, char **error_r);
/* 1 when NUMBER had opted out (and no longer has), 0, -1. */
int store_sms_optout_remove(struct store *store, const char *number,
			    char **error_r);
/* 1 when NUMBER has opted out, 0, -1. */
int store_sms_optout_has(struct store *store, const char *number,
			 char **error_r);
/* 1 when the number SMS go to for contact CONTACT_ID (its first phone
   address) has opted out, with the number in *NUMBER_R (when not NULL;
   the caller frees it), 0 (or no phone), -1. */
int store_contact_sms_stopped(struct store *store, int64_t contact_id,
			      char **number_r, char **error_r);
/* NUMBER's opt-out: 1 with when (*at_r) and the word it sent
   (*keyword_r, the caller frees it), 0 when it has none, -1. */
int store_sms_optout_get(struct store *store, const char *number, int64_t *at_r,
			 char **keyword_r, char **error_r);

struct store_attachment {
	const char *sha256, *filename, *content_type;
	int64_t size;
	const char *charset;	/* NULL: none known */
};
/* Gives message TO_MESSAGE the attachments of FROM_MESSAGE (the files
   are shared: they are named by content), except Outlook's winmail.dat
   (mime_part_is_tnef) and those whose content WITHHELD names
   (",SHA256,SHA256,", or NULL). Returns how many, or -1. */
int store_attachments_copy(struct store *store, int64_t from_message,
			   int64_t to_message, const char *withheld,
			   char **error_r);
/* Whether an attachment row names the spool file SHA256: 1, 0, or -1. */
int store_attachment_named(struct store *store, const char *sha256,
			   char **error_r);
/* Calls FN for each attachment of message MESSAGE_ID. 0, or -1. */
int store_message_attachments(struct store *store, int64_t message_id,
			      int (*fn)(const struct store_attachment *a,
					void *ctx),
			      void *ctx, char **error_r);

/* Calls FN on each message of a case, in time order. CONVERSATION: not
   the notifications to handlers (outgoing internal messages), only what
   came in and what went to the citizen. 0, or -1. */
int store_case_messages(struct store *store, int64_t case_id,
			bool conversation,
			int (*fn)(const struct store_message *m, void *ctx),
			void *ctx, char **error_r);
/* Calls FN on each message of case CASE_ID that contact CONTACT_ID
   wrote, in time order. 0, or -1. */
int store_case_messages_from(struct store *store, int64_t case_id,
			     int64_t contact_id,
			     int (*fn)(const struct store_message *m,
				       void *ctx),
			     void *ctx, char **error_r);
/* Calls FN for each case contact CONTACT_ID is the citizen of
   (CITIZEN true), another party to, or wrote a message in, oldest
   first, until FN returns non-zero; NUMBER is valid during the call
   only. 0, or -1. */
int store_contact_cases(struct store *store, int64_t contact_id,
			int (*fn)(int64_t case_id, const char *number,
				  bool citizen, void *ctx),
			void *ctx, char **error_r);
/* The newest LIMIT messages of a case's conversation (as above), in time
   order, each text cut to its first 200 bytes, without a handler's
   public replies (what went to the citizen of them is there as sent);
   sender is the name (or login) of a handler who wrote the message,
   NULL for anyone else's. 0, or -1. */
int store_case_recent_messages(struct store *store, int64_t case_id,
			       int limit,
			       int (*fn)(const struct store_message *m,
					 void *ctx),
			       void *ctx, char **error_r);

/* --- inbox and quarantine (store-queue.c) --- */

struct store_inbox_row {
	int64_t id, received_at;
	const char *channel, *source;
	const unsigned char *raw;
	size_t raw_len;
	int attempts;		/* attempts started before, this one included
				   once claimed */
	const char *last_error; /* NULL: none */
	void *prepared;		/* the engine's read-ahead (engine_set_prepare)
				   for the handler, or NULL */
	const char *raw_sha256; /* the raw's key in raw_message, where it
				   was stored as it arrived; NULL for a row
				   queued before (store_raw_put copies it) */
	bool last_attempt;	/* the engine's last: should handling it fail
				   now, it goes to the quarantine */
	const char *dedupe_key; /* the gateway's key (NULL: none) */
};

/* Queues a raw message as it arrived, at RECEIVED_AT. DEDUPE_KEY (may be
   NULL) makes a second delivery of the same message a no-op. Returns 1
   when queued, 0 when it was a duplicate, -1 on error (then nothing of
   it is stored). With SHA256 (blob_id() of the bytes) they go into
   raw_message, shared with identical ones, where the message made of
   them refers to them, and are not copied again; without (a program
   that should not load the hash library: cirm-mailgate), they wait in
   the inbox and the engine stores them as it handles the row. */
int store_inbox_put_keyed(struct store *store, const char *channel,
			  const char *source, int64_t received_at,
			  const char *dedupe_key, const void *raw, size_t len,
			  const char *sha256, int64_t *id_r, char **error_r);
int store_inbox_put(struct store *store, const char *channel,
		    const char *source, int64_t received_at,
		    const char *dedupe_key, const void *raw, size_t len,
		    int64_t *id_r, char **error_r);
/* Fills IDS_R and ATTEMPTS_R with up to LIMIT rows due at NOW after row
   AFTER (0: all), oldest first, and *N_R with their number. 0, or -1. */
int store_inbox_due(struct store *store, int64_t now, int64_t after,
		    int limit, int64_t *ids_r, int *attempts_r, int *n_r,
		    char **error_r);
/* Calls FN with inbox row ID. 1 when found, 0 when gone, -1. Without
   STORED_RAW, a raw a gateway put into raw_message is not read: the
   row's raw is then NULL, and raw_sha256 names it. */
int store_inbox_get(struct store *store, int64_t id, bool stored_raw,
		    int (*fn)(const struct store_inbox_row *r, void *ctx),
		    void *ctx, char **error_r);
/* Counts an attempt at row ID before it is processed, so that a row whose
   processing crashes the engine is noticed when it comes back. */
int store_inbox_claim(struct store *store, int64_t id, char **error_r);
/* Takes the attempt store_inbox_claim counted back, for a row that was
   not tried after all. */
int store_inbox_unclaim(struct store *store, int64_t id, char **error_r);
/* The row is done: removes it, and its raw message unless the handler
   kept it (store_raw_put) or the raw is shared (store_inbox_put). */
int store_inbox_done(struct store *store, int64_t id, char **error_r);
/* The row failed for now: records REASON and makes it due again at
   NEXT_AT. */
int store_inbox_retry(struct store *store, int64_t id, const char *reason,
		      int64_t next_at, char **error_r);
/* Moves the row to the quarantine with REASON; *QID_R (when not NULL)
   is its id there, as cirmctl quarantine shows it. */
int store_inbox_quarantine(struct store *store, int64_t id,
			   const char *reason, int64_t now, int64_t *qid_r,
			   char **error_r);
/* The same, keeping the mail's DEDUPE_KEY (may be NULL) with it. */
int store_inbox_quarantine_keyed(struct store *store, int64_t id,
				 const char *reason, const char *dedupe_key,
				 int64_t now, int64_t *qid_r, char **error_r);
/* A quarantined mail with DEDUPE_KEY, waiting or discarded (not
   released: that one went back to the inbox): 1 with *qid_r, 0, -1. */
int store_quarantine_by_dedupe(struct store *store, const char *dedupe_key,
			       int64_t *qid_r, char **error_r);
/* Whether a quarantined mail with DEDUPE_KEY was released, and had been
   set aside for REASON: 1, 0, -1. A mail released that comes back for
   the same reason was told of already. */
int store_quarantine_released_for(struct store *store,
				  const char *dedupe_key, const char *reason,
				  char **error_r);

struct store_counts {
	int64_t inbox, inbox_due, quarantine, outbox, cases;
	/* when the oldest row still waiting came: 0 when none waits */
	int64_t inbox_oldest, outbox_oldest;
	/* rows waiting after an error (an inbox row put off, an outgoing
	   message after a failed attempt), and the error of the newest of
	   them (the one that came last: what fails now, when an older row
	   may still hold an error of hours ago), scrubbed (scrub_personal)
	   and cut to fit ("" when none). Retries back off, so the time of
	   the next attempt does not tell which failed last. */
	int64_t inbox_failing, outbox_failing;
	char inbox_error[200], outbox_error[200];
	/* case officers' notifications that failed for good in the last
	   24 hours (notify.failed events), and the newest's reason, so
	   scrubbed */
	int64_t notify_failed;
	char notify_error[200];
	/* workflow actions skipped in the last 24 hours for a handler or
	   group the directory lacks (action.skipped events), and the
	   newest's reason ("FILE:LINE: role:...: no handler group ...") */
	int64_t actions_skipped;
	char skip_error[200];
	/* long SMS whose parts came in part: they wait for the rest
	   (sms_parts_timeout) outside the inbox */
	int64_t sms_partial;
};
int store_counts(struct store *store, int64_t now, struct store_counts *c_r,
		 char **error_r);

struct store_quarantined {
	int64_t id, received_at, quarantined_at, released_at; /* 0: not */
	int64_t discarded_at;				      /* 0: not */
	const char *channel, *source, *reason;
	size_t raw_len;
	const char *dedupe_key; /* the gateway's key (NULL: none, or
				   not read: store_quarantine_list) */
};
/* Whether the quarantine has message ID, waiting or not: 1, 0, -1. */
int store_quarantine_exists(struct store *store, int64_t id, char **error_r);
/* Calls FN with quarantined message ID and its raw bytes. 1, 0, -1. */
int store_quarantine_get(struct store *store, int64_t id,
			 int (*fn)(const struct store_quarantined *q,
				   const void *raw, void *ctx),
			 void *ctx, char **error_r);
/* Puts quarantined message ID back in the inbox (source "release", its
   original arrival time) and marks it released; in the caller's
   transaction. 1, 0 when there is no such unreleased message, -1. */
int store_quarantine_release(struct store *store, int64_t id, int64_t now,
			     char **error_r);
/* The quarantined mail with DEDUPE_KEY still waiting (neither released
   nor discarded) is marked released at NOW without going back to the
   inbox: what it stood for came in after all. The ids into *IDS_R (up
   to MAX, may be NULL) and their number into *N_R; in the caller's
   transaction. 0, or -1. */
int store_quarantine_resolve(struct store *store, const char *dedupe_key,
			     int64_t now, int64_t *ids_r, int max, int *n_r,
			     char **error_r);
/* 1 when a quarantined mail with DEDUPE_KEY was discarded (by an
   administrator or by quarantine_retention), 0 when not, -1. */
int store_quarantine_discarded(struct store *store, const char *dedupe_key,
			       char **error_r);
/* What the quarantine holds under one key (see store_quarantine_keys):
   several mails may share it, a note released and queued again, say. */
struct store_quarantine_key {
	const char *dedupe_key;
	bool discarded;		/* one of them was discarded */
	bool released;		/* one of them was released, */
	int64_t released_at;	/* the last at (when RELEASED) */
};
/* Calls FN, in key order, for each key in the quarantine that starts
   with PREFIX (not empty, not all 0xff bytes), with what its mails
   say together; FN returning nonzero stops. In one query, however many
   keys there are: the IMAP gateway asks this every few seconds of its
   list of mail given up. 0, or -1. */
int store_quarantine_keys(struct store *store, const char *prefix,
			  int (*fn)(const struct store_quarantine_key *k,
				    void *ctx),
			  void *ctx, char **error_r);
/* Marks quarantined message ID discarded at NOW and erases its raw
   bytes, in the caller's transaction. 1, 0 when there is no such
   message still waiting (not released, not discarded), -1. */
/* Retention of the quarantine: the messages quarantined before BEFORE
   and still waiting are discarded at NOW (raw bytes erased, the record
   kept, as store_quarantine_discard does), and the raw bytes of those
   released before BEFORE (copies of what went to the inbox) erased.
   With DRY_RUN only counted. The counts in *DISCARDED_R and
   *ERASED_R. 0, or -1. */
int store_quarantine_prune(struct store *store, int64_t before, int64_t now,
			   bool dry_run, long *discarded_r, long *erased_r,
			   char **error_r);
int store_quarantine_discard(struct store *store, int64_t id, int64_t now,
			     char **error_r);
/* How many quarantined messages are still waiting. 0, or -1. */
int store_quarantine_waiting(struct store *store, int64_t *n_r,
			     char **error_r);
/* Calls FN for the LIMIT (<= 0: all) newest messages still waiting. */
int store_quarantine_list(struct store *store, int limit,
			  int (*fn)(const struct store_quarantined *q, void *ctx),
			  void *ctx, char **error_r);

/* --- gateway positions (store-queue.c) --- */

/* GATEWAY's value for KEY: 1 with *value_r (caller frees), 0 when unset,
   -1. */
int store_gateway_state_get(struct store *store, const char *gateway,
			    const char *key, char **value_r, char **error_r);
int store_gateway_state_set(struct store *store, const char *gateway,
			    const char *key, const char *value,
			    char **error_r);

/* --- audit (store-audit.c) --- */

/* Appends to the hash-chained audit log: each entry's SHA-256 covers
   the previous entry's hash, so a changed or removed entry shows. */
int store_audit_add(struct store *store, int64_t at, const char *actor,
		    const char *action, const char *object, const char *detail,
		    char **error_r);
/* Who runs this program, as the audit log names an administrator:
   "cirmctl:LOGIN", with "(sudo by LOGIN)" when root through sudo. */
const char *store_audit_actor(void);
/* How many cases the audit log says retention removed (case.removed)
   are in the database all the same: brought back by a restore of a
   backup older than the removal, in *N_R. 0, or -1. */
int store_removed_cases_back(struct store *store, int64_t *n_r,
			     char **error_r);
/* Recomputes the chain. 1 when intact, 0 when broken (*bad_id_r is the
   first entry that does not match), -1 on error. */
int store_audit_verify(struct store *store, int64_t *bad_id_r,
		       char **error_r);

/* The hash of entry *ID_R, or of the newest when *ID_R is 0 (its id
   then in *ID_R): 1, 0 when there is no such entry, -1. */
int store_audit_hash(struct store *store, int64_t *id_r, char hash_r[65],
		     char **error_r);

struct store_audit_entry {
	int64_t id, at;
	const char *actor, *action, *object, *detail; /* may be NULL */
};

/* Calls FN for the newest LIMIT entries (0: all) whose action is ACTION
   and object OBJECT (NULL: any), newest first; *total_r is how many
   match in all. FN returns non-zero to stop. 0, or -1. */
int store_audit_list(struct store *store, const char *action,
		     const char *object, int limit,
		     int (*fn)(const struct store_audit_entry *e, void *ctx),
		     void *ctx, int64_t *total_r, char **error_r);

/* Calls FN for each action in the audit log, in order of the name,
   with how many entries have it; ACTION is valid during the call only.
   0, or -1. */
int store_audit_actions(struct store *store,
			int (*fn)(const char *action, int64_t n, void *ctx),
			void *ctx, char **error_r);

/* --- workflows, timers, case flow (store-flow.c) --- */

/* Records workflow ID VERSION with its SOURCE (LEN bytes, SHA256 hex).
   1 when it was new, 0 when the same bytes were there, -1 with *error_r
   (also when the version is there with other bytes: a changed workflow
   needs a new version number). */
int store_workflow_def_put(struct store *store, const char *id, int version,
			   const char *sha256, const void *source, size_t len,
			   int64_t now, char **error_r);
/* The source of workflow ID VERSION: 1 with *source_r (caller frees,
   NUL-terminated) and *len_r, 0 when unknown, -1. */
int store_workflow_def_get(struct store *store, const char *id, int version,
			   char **source_r, size_t *len_r, char **error_r);

/* The newest version of workflow ID the database has recorded: 1 with
   *VERSION_R, 0 when none, -1. */
int store_workflow_newest(struct store *store, const char *id,
			  int *version_r, char **error_r);
/* Adds to IDS the id of each workflow the database has recorded (each
   that cirmd has loaded, retired ones too), once each, in order. 0, or
   -1. */
int store_workflow_ids(struct store *store, struct strlist *ids,
		       char **error_r);
/* Adds to VERSIONS each version of workflow ID the database has
   recorded, in order, as text. 0, or -1. */
int store_workflow_version_list(struct store *store, const char *id,
				struct strlist *versions, char **error_r);
/* Calls FN for each workflow version that open cases run, with how
   many they are, by workflow and version (ID valid during the call; FN
   may read the store). 0, or -1. */
int store_workflow_versions_open(struct store *store,
				 int (*fn)(const char *id, int version,
					   int64_t cases, void *ctx),
				 void *ctx, char **error_r);

/* What the workflow engine reads and writes of a case. Strings are owned
   (store_case_flow_clear frees them). */
struct store_case_flow {
	int64_t id, citizen_id, assignee_id, group_id, due_at, closed_at;
	int64_t merged_into;	/* the case it was merged into, or 0 */
	int64_t assignee_away;	/* when the assignee, away, is back, or 0 */
	char *number, *workflow, *state, *channel, *subject, *category;
	char *priority, *assignee_name;
	int workflow_version;
	int64_t received_at;
	bool assignee_active;	/* false too when there is none */
};
/* 1 with *f, 0 when there is no such case, -1. */
int store_case_flow_get(struct store *store, int64_t case_id,
			struct store_case_flow *f, char **error_r);
void store_case_flow_clear(struct store_case_flow *f);
/* The fields a workflow's actions set (priority, category, group, due
   date), written with the state when the run ends rather than one
   statement each: none of them is indexed, so writing them costs the
   state's UPDATE nothing. NULL priority means 'normal'; 0 clears. */
struct store_case_fields {
	const char *priority, *category;
	int64_t group_id, due_at;
};
/* Sets the case's workflow, version and STATE, and FIELDS unless NULL;
   CLOSED sets closed_at to NOW (once), otherwise clears it (a reopened
   case). */
int store_case_flow_set(struct store *store, int64_t case_id,
			const char *workflow, int version, const char *state,
			int closed, int64_t now,
			const struct store_case_fields *fields, char **error_r);
/* Sets the STATE of an open case that stays on its workflow version
   (BEFORE: the state it had, or NULL) and its FIELDS; CLOSED sets
   closed_at to NOW. What store_case_flow_set does for such a case,
   writing only the indexed columns that change. */
int store_case_state_set(struct store *store, int64_t case_id,
			 const char *before, const char *state, int closed,
			 int64_t now, const struct store_case_fields *fields,
			 char **error_r);
/* Sets one field: "priority", "category" (text, NULL clears),
   "assignee_id", "group_id", "due_at" (integers, 0 clears). */
int store_case_set_text(struct store *store, int64_t case_id,
			const char *field, const char *value, char **error_r);
/* Merges case CASE_ID into case INTO: CASE_ID and the cases merged
   into it point at INTO from now on. The caller closes CASE_ID. 0, or
   -1. */
int store_case_merge(struct store *store, int64_t case_id, int64_t into,
		     char **error_r);
int store_case_set_int(struct store *store, int64_t case_id,
		       const char *field, int64_t value, char **error_r);

/* Arms timer NAME of STATE on a case: EVENT at FIRE_AT, in the place of
   the last of that name that fired. REPLACE: an armed one of the same
   name may exist and goes (without, the caller knows there is none,
   and one is an error). A case keeps one timer of each name. */
int store_timer_arm(struct store *store, int64_t case_id, const char *name,
		    const char *state, const char *event, int64_t fire_at,
		    int64_t now, bool replace, char **error_r);
/* Drops the armed timers of STATE on a case. */
int store_timer_drop(struct store *store, int64_t case_id, const char *state,
		     char **error_r);
/* A case's timer, known by its case and name; armed at CREATED_AT. */
struct store_timer {
	int64_t case_id, fire_at, created_at;
	const char *name, *state, *event;
};
/* Calls FN for up to LIMIT armed timers due at NOW, earliest first
   (strings valid during the call). 0, or -1. */
int store_timers_due(struct store *store, int64_t now, int limit,
		     int (*fn)(const struct store_timer *t, void *ctx),
		     void *ctx, char **error_r);
/* Marks timer T (as store_timers_due read it) fired at NOW: 1, or 0
   when it is no longer armed as it was then (dropped, or armed anew by
   a timer that fired before it). */
int store_timer_fired(struct store *store, const struct store_timer *t,
		      int64_t now, char **error_r);

/* Calls FN for each armed timer of a case (strings valid during the
   call; FN may change the table). 0, or -1. */
int store_case_timers(struct store *store, int64_t case_id,
		      int (*fn)(const struct store_timer *t, void *ctx),
		      void *ctx, char **error_r);
/* Calls FN for each timer of a case that has fired (it was not armed
   again since), as store_case_timers() does. */
int store_case_timers_fired(struct store *store, int64_t case_id,
			    int (*fn)(const struct store_timer *t, void *ctx),
			    void *ctx, char **error_r);
/* Removes timer NAME of a case. */
int store_timer_delete(struct store *store, int64_t case_id, const char *name,
		       char **error_r);
/* Moves timer NAME of a case to STATE with EVENT, due at FIRE_AT (its
   arming time stays). */
int store_timer_move(struct store *store, int64_t case_id, const char *name,
		     const char *state, const char *event, int64_t fire_at,
		     char **error_r);

struct store_flow_case {
	int64_t id;
	const char *number, *state;
};
/* Calls FN for each open case on workflow ID VERSION, by id (strings
   valid during the call; FN may change the case). 0, or -1. */
int store_cases_on_version(struct store *store, const char *id, int version,
			   int (*fn)(const struct store_flow_case *c,
				     void *ctx),
			   void *ctx, char **error_r);

/* The visibility of message ID ("public", "internal"): 1 with
   *visibility_r (caller frees), 0 when unknown, -1. */
int store_message_visibility(struct store *store, int64_t id,
			     char **visibility_r, char **error_r);

struct store_case_line {
	const char *number, *state, *subject;
	const char *workflow;	/* NULL: none */
	int workflow_version;
};
/* Calls FN for each open case assigned to HANDLER_ID, oldest first
   (strings valid during the call). 0, or -1. */
int store_handler_cases(struct store *store, int64_t handler_id,
			int (*fn)(const struct store_case_line *c, void *ctx),
			void *ctx, char **error_r);
/* Calls FN for each open case assigned to HANDLER_ID whose citizen
   wrote at SINCE or later and has had no answer since (no public message
   out after the citizen's last): what waits for an officer back from
   leave. Oldest first. 0, or -1. */
int store_handler_unanswered(struct store *store, int64_t handler_id,
			     int64_t since,
			     int (*fn)(const struct store_case_line *c,
				       void *ctx),
			     void *ctx, char **error_r);
/* Since when handler LOGIN has been away, by the audit log: the
   handler.away that began the absence, the earliest of those that each
   came while the one before still ran (a leave made longer while away
   is one absence). 1 with *at_r, 0 when never away, -1. */
int store_audit_away_since(struct store *store, const char *login,
			   int64_t *at_r, char **error_r);
/* A case in a handler's digest. */
struct store_digest_case {
	const char *number, *state, *subject;
	const char *workflow;	/* NULL: none */
	int workflow_version;
	int64_t due_at;		/* 0: none */
	bool assigned;		/* to the handler; else no one's, in one of
				   the handler's groups */
	const char *priority;	/* "low", "normal", "high", "urgent" */
	const char *away_of;	/* not assigned: the colleague's who has
				   it but is away or disabled, or NULL */
};
/* Calls FN for each open case assigned to HANDLER_ID, then for each
   open case assigned to no one in one of the handler's groups; in each
   part by due date (none last), then oldest first. Stops at FN's first
   non-zero. 0, or -1. */
int store_digest_cases(struct store *store, int64_t handler_id,
		       int (*fn)(const struct store_digest_case *c, void *ctx),
		       void *ctx, char **error_r);
/* Whether handler HANDLER_ID may read case CASE_ID (case_access =
   groups): it is assigned to them, in one of their groups, of one of
   ROLE_WORKFLOWS (the workflows that give one of their groups a role;
   may be NULL), or in neither group nor workflow. 1, 0 (or no such
   case), -1. */
int store_case_readable(struct store *store, int64_t case_id,
			int64_t handler_id,
			const struct strlist *role_workflows, char **error_r);
/* Full-text search: cases with a message matching every word of WORDS
   (each taken literally, split as the index splits text; only the first
   STORE_SEARCH_TERMS words count), newest first, at most LIMIT; only
   those HANDLER_ID may read (as store_case_readable; 0: all). 0, or
   -1. */
#define STORE_SEARCH_TERMS 32
int store_search_cases(struct store *store, const char *words, int limit,
		       int64_t handler_id,
		       const struct strlist *role_workflows,
		       int (*fn)(const struct store_case_line *c, void *ctx),
		       void *ctx, char **error_r);
/* The open cases of CITIZEN_ID but EXCEPT_ID, newest first, at most
   LIMIT, of those HANDLER_ID may read (as store_case_readable; 0: all).
   0, or -1. */
int store_citizen_open_cases(struct store *store, int64_t citizen_id,
			     int64_t except_id, int limit, int64_t handler_id,
			     const struct strlist *role_workflows,
			     int (*fn)(const struct store_case_line *c,
				       void *ctx),
			     void *ctx, char **error_r);

/* The texts (as they came) of the newest 20 public messages that came in on
   case CASE_ID from anyone but handlers (the citizen's own mails), one
   after the other in *TEXTS_R (caller frees; "" for none). 0, or -1. */
int store_case_citizen_texts(struct store *store, int64_t case_id,
			     char **texts_r, char **error_r);

/* The texts (without quotes) of the newest LIMIT messages CONTACT_ID
   sent on case CASE_ID, newest first, added to *TEXTS. 0, or -1. */
int store_case_texts_by(struct store *store, int64_t case_id,
			int64_t contact_id, int limit, struct strlist *texts,
			char **error_r);

/* A handler by login: 1 with *id_r, 0, -1. */
int store_handler_by_login(struct store *store, const char *login,
			   int64_t *id_r, char **error_r);
/* The handler group NAME, created when new: 0 with *id_r, or -1. */
int store_group_ensure(struct store *store, const char *name, int64_t now,
		       int64_t *id_r, char **error_r);
/* Takes CONTACT_ID out of group NAME: 1, 0 when it was not a member
   (or there is no such group), -1. */
int store_group_member_remove(struct store *store, const char *name,
			      int64_t contact_id, char **error_r);
/* Sets a contact's name (NULL: none) or language. 0, or -1. */
int store_contact_set_name(struct store *store, int64_t id, const char *name,
			   char **error_r);
int store_contact_set_language(struct store *store, int64_t id,
			       const char *language, char **error_r);
/* Makes EMAIL the contact's only mail address. 0, or -1. */
int store_contact_set_email(struct store *store, int64_t id, const char *email,
			    char **error_r);
/* Takes the address (KIND, ADDRESS) from whoever has it. 0, or -1. */
int store_contact_address_remove(struct store *store, const char *kind,
				 const char *address, char **error_r);
/* Makes CONTACT_ID a member of GROUP_ID: 1, 0 when it was one already,
   or -1. */
int store_group_member_add(struct store *store, int64_t group_id,
			   int64_t contact_id, char **error_r);
struct store_handler {
	int64_t id;
	const char *login, *name, *language, *email, *groups; /* may be NULL */
	int active;
	int64_t away_until;	/* away (#borta) until then, or 0 */
	/* contact.away_until as stored (0: none): when in the past, the
	   handler came back by the day passing and has not been told what
	   came meanwhile (the digest tells them, and clears it) */
	int64_t away_stored;
};
/* Calls FN for each handler, by login (strings valid during the call). */
int store_handler_list(struct store *store,
		       int (*fn)(const struct store_handler *h, void *ctx),
		       void *ctx, char **error_r);
/* Forgets a return day of handler ID that has come (AT or before): the
   handler has been told of it. 0, or -1. */
int store_handler_back_told(struct store *store, int64_t id, int64_t at,
			    char **error_r);
/* Handler LOGIN, disabled or not: 1 with *id_r and *active_r, 0, -1. */
int store_handler_find(struct store *store, const char *login, int64_t *id_r,
		       int *active_r, char **error_r);
/* Sets contact ID active (1) or disabled (0). 0, or -1. */
/* Whether case officer ID is away (#borta): 1 with the moment they are
   back in *UNTIL_R, 0 when present, -1. */
int store_handler_away(struct store *store, int64_t id, int64_t *until_r,
		       char **error_r);
/* Case officer ID's own address's generation (token_address_handler):
   1 with *GENERATION_R, 0 when ID is no handler, -1. */
int store_handler_address_generation(struct store *store, int64_t id,
				     int64_t *generation_r, char **error_r);
/* Replaces case officer ID's own address: the next generation, 1 with it
   in *GENERATION_R, 0 when ID is no handler, -1. */
int store_handler_new_address(struct store *store, int64_t id,
			      int64_t *generation_r, char **error_r);
/* Sets case officer ID away until UNTIL (the moment they are back), or
   present again with 0. 0, or -1. */
int store_handler_set_away(struct store *store, int64_t id, int64_t until,
			   char **error_r);
int store_contact_set_active(struct store *store, int64_t id, int active,
			     char **error_r);
/* A handler group by name: 1 with *id_r, 0, -1. */
int store_group_by_name(struct store *store, const char *name, int64_t *id_r,
			char **error_r);
/* Round robin within a group: the active member with the fewest open
   cases assigned, the lowest id on a tie. 1 with *id_r, 0 when the
   group has no active member, -1. */
int store_group_next_member(struct store *store, int64_t group_id,
			    int64_t *id_r, char **error_r);
/* Calls FN with the id and e-mail address of each active member of a
   group. 0, or -1. */
int store_group_emails(struct store *store, int64_t group_id,
		       int (*fn)(int64_t contact_id, const char *address,
				 void *ctx),
		       void *ctx, char **error_r);
/* Adds the name of every handler group to NAMES, in order. 0, or -1. */
int store_group_names(struct store *store, struct strlist *names,
		      char **error_r);
/* Whether contact CONTACT_ID is a member of the group called NAME. */
int store_group_has_member(struct store *store, const char *name,
			   int64_t contact_id, char **error_r);
/* A group that case CASE_ID's workflow notified of it
   (<notify to="group:NAME">: a notify event in its history) and that
   contact CONTACT_ID is a member of now, or CONTACT_ID itself by login
   (<notify to="handler:LOGIN">), the last so notified: 1 with *NAME_R
   the event's "group:NAME" or "handler:LOGIN" (caller frees), 0, -1. */
int store_case_notified_group(struct store *store, int64_t case_id,
			      int64_t contact_id, char **name_r,
			      char **error_r);
/* Nonzero inside a transaction: while it stays the same, the groups and
   their members read in it still hold (the transaction begins, ends or
   rolls back to a savepoint, or changes a group or its members, with
   another). 0 outside a transaction, where another process may change
   them between any two statements. */
uint64_t store_groups_generation(struct store *store);
/* The kind of a contact ("citizen", "handler") and its language: 1 with
   *kind_r and *language_r (caller frees), 0 when unknown, -1. */
int store_contact_kind(struct store *store, int64_t contact_id,
		       char **kind_r, char **language_r, char **error_r);
/* The login of a contact (a handler's): 1 with *login_r (caller
   frees), 0 when unknown or without one, -1. */
int store_contact_login(struct store *store, int64_t contact_id,
			char **login_r, char **error_r);
/* The name of a contact, or its login when it has none: 1 with *name_r
   (caller frees), 0 when unknown, -1. */
int store_contact_name(struct store *store, int64_t contact_id,
		       char **name_r, char **error_r);
/* The Message-IDs of the first message the citizen sent on a case (the
   root of the citizen's thread) and of the newest (the same when there
   is one), read at once: 1 with both (caller frees), 0 when none, -1. */
int store_case_citizen_thread(struct store *store, int64_t case_id,
			      char **first_r, char **last_r, char **error_r);
/* The text of the last message on a case BY ("handler": the last
   answer a case officer wrote the citizen, as the citizen got it, the
   reply's text below its commands; "citizen": the last mail or SMS a
   citizen party wrote, its new text), not a note, an automatic reply or
   a refused reply: 1 with *text_r (caller frees), 0 when there is none,
   -1. With FULL_R, also the text as it came into *FULL_R when it
   differs (quotes, a signature cut), else NULL there (caller frees). */
int store_case_last_text(struct store *store, int64_t case_id,
			 const char *by, char **text_r, char **full_r,
			 char **error_r);
/* The first address of KIND ("email", "phone") of a contact: 1 with
   *address_r (caller frees), 0, -1. */
int store_contact_first(struct store *store, int64_t contact_id,
			const char *kind, char **address_r, char **error_r);
/* A case officer's first mail address (caller frees) and whether they
   read English, read at once for a notice: 1, 0 when they have no
   address, -1. */
int store_officer_mail(struct store *store, int64_t contact_id,
		       char **address_r, bool *en_r, char **error_r);
/* The same address with the contact's name (as store_contact_name),
   read at once for mail that greets the contact by name: 1 with both
   (caller frees), 0 when there is no such address, -1. */
int store_contact_first_named(struct store *store, int64_t contact_id,
			      const char *kind, char **address_r,
			      char **name_r, char **error_r);
/* The same for a contact that is a citizen, who may have no address of
   KIND: 1 with *address_r (NULL then) and *name_r (caller frees), 0
   when CONTACT_ID is no citizen, -1. */
int store_citizen_first_named(struct store *store, int64_t contact_id,
			      const char *kind, char **address_r,
			      char **name_r, char **error_r);

#endif
