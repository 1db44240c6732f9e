/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_GATEWAY_H
#define CIRM_GATEWAY_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "store.h"
#include "util.h"

/* A gateway moves messages between the world and cirm's queues. An
   inbound gateway only writes raw messages to the inbox: it knows
   nothing of cases or workflows. Each transport is one file exporting
   one struct cirm_gateway; gateways/main.c lists them. */

/* Bytes of a reason given to gateway_problem, at most. */
#define GATEWAY_PROBLEM_MAX 256

struct gateway_ctx {
	const struct cfg *cfg;
	struct store *store;
	const char *name;    /* the gateway's, e.g. "imap" */
	const char *channel; /* "email" or "sms" */
	int once;	     /* take what is waiting, then return */
	/* A sending gateway's worker takes share SHARE of SHARES of the
	   outbox (store_outbox_due); SHARES 0 or 1: all of it. */
	int shares, share;
	/* What gateway_problem recorded last ("" when none), and since
	   when. */
	char problem[GATEWAY_PROBLEM_MAX];
	int64_t problem_since;
};

struct cirm_gateway {
	const char *name;
	const char *channel; /* "email" or "sms" */
	/* 1 when the configuration turns this gateway on, else 0. */
	int (*enabled)(const struct cfg *cfg);
	/* Runs until gateway_stopping() (or, with ctx->once, until nothing
	   is waiting). Returns 0, or -1 after logging why. */
	int (*run)(struct gateway_ctx *ctx);
};

/* Opens the database of CFG as a gateway does. 0, or -1 with
   *ERROR_R. */
int gateway_store_open(const struct cfg *cfg, struct store **store_r,
		       char **error_r);

/* The SIGTERM and SIGINT handler that gateway_stopping() reports. */
void gateway_stop_signal(int sig);
/* 1 once SIGTERM or SIGINT arrived. */
int gateway_stopping(void);
/* Sleeps up to SECONDS; returns early when stopping, or when cirmd
   woke the gateway (SIGUSR1: the outbox has new rows). 1 when woken
   (a wake that came while it worked included), else 0. */
int gateway_sleep(int seconds);
/* The SIGUSR1 handler that gateway_sleep() answers to. */
void gateway_wake_signal(int sig);
/* Tells cirmd, when it runs this gateway, that the inbox (or the
   failures it handles) has new rows, so that it need not wait for its
   next poll. */
void gateway_notify(void);

/* Records for cirmctl status that the gateway runs but cannot do its
   work, and why (printf-style FMT: a directory, a server, a step; never
   a citizen's data). Kept in the gateway's gateway_state "problem" as
   "PID SINCE WHY", which status believes only while the gateway of that
   pid runs. Written when it changes; best effort (a busy database only
   delays it: the next call tries again). Not with ctx->once. */
void gateway_problem(struct gateway_ctx *ctx, const char *fmt, ...)
	CIRM_PRINTF(2, 3);
/* The gateway works again: its problem is cleared (""). */
void gateway_problem_clear(struct gateway_ctx *ctx);

/* Says once per PATH (as long as the gateway runs) that an entry of a
   directory the gateway reads is left alone, and WHY, so that it is not
   skipped in silence at every round: a symbolic link or a directory
   someone put there, or a file cirm may not read. NAME prefixes the
   line ("maildir"). */
void gateway_left_alone(const char *name, const char *path, const char *why);

/* Queues one raw message of ctx->channel from gateway ctx->name in the
   inbox in a transaction of its own, with
   RECEIVED_AT the moment it reached us. DEDUPE_KEY (may be NULL) makes a
   second delivery of the same message a no-op while the first is queued.
   When STATE_KEY is not NULL, the gateway's STATE_KEY is set to
   STATE_VALUE in the same transaction, so that a position (such as the
   last IMAP UID) moves exactly when the message is safe. Returns 1 when
   queued, 0 for a duplicate, -1 with *error_r (store_busy() tells a lock
   timeout, which is temporary). */
int gateway_deliver(struct gateway_ctx *ctx, const void *raw, size_t len, int64_t received_at,
		    const char *dedupe_key, const char *state_key,
		    const char *state_value, char **error_r);
/* The same, setting a second state, KEY2 to VALUE2 (KEY2 may be NULL),
   in that transaction too. */
int gateway_deliver2(struct gateway_ctx *ctx, const void *raw, size_t len,
		     int64_t received_at, const char *dedupe_key,
		     const char *state_key, const char *state_value,
		     const char *key2, const char *value2, char **error_r);

/* --- outbound gateways (outbound.c) ---

   The outbox rows of ctx->channel, composed into mail and taken through
   queued -> sending -> sent one at a time, each step committed, so that
   after a crash at most the one message in flight goes out again (with
   the same Message-ID). The sink writes a whole batch and records it
   after, without the claim (outbound_keep_message_ids,
   outbound_sent_all). */

struct outbound_msg {
	int64_t id, created_at;
	char *recipient;
	char *message_id; /* the row's, or a new one stored at the claim */
	int message_id_new; /* not yet stored: the row had none */
	char *data;	  /* the composed message, CRLF line ends */
	size_t len;
	int attempts;	  /* failed attempts before this one */
	int leftover;	  /* left 'sending' by a run that ended before it
			     recorded the row: it may have gone out */
	int claimed, done;
	int sent;	  /* written, for outbound_sent_all */
	void *transport;		/* the transport's own */
	const void *transport_status;	/* the transport's own */
};

struct outbound_batch {
	struct outbound_msg *v;
	size_t n;
	/* not claimed before sending: outbound_sent_all claims each row
	   as it records it (its Message-ID stored, a row another took
	   left alone) */
	int claim_at_sent;
	char *from; /* the envelope sender: mail_address */
};

/* Loads up to LIMIT rows to send, the ones left 'sending' by a previous
   run first (LEFTOVERS), else the due 'queued' ones. A row that cannot
   become a mail is marked failed at once. Returns the number loaded
   into *batch (which outbound_clear frees), or -1 after logging. */
int outbound_load(struct gateway_ctx *ctx, int leftovers, int limit,
		  struct outbound_batch *batch);
void outbound_clear(struct outbound_batch *batch);
/* Claims M ('sending', committed). 1 claimed, 0 taken by another, -1
   after logging. */
int outbound_claim(struct gateway_ctx *ctx, struct outbound_msg *m);
/* M went out ('sent', committed). 0; when it cannot be recorded the
   process exits (see outbound_advance). */
int outbound_sent(struct gateway_ctx *ctx, struct outbound_msg *m);
/* Both in one transaction: SENT (may be NULL) went out and CLAIM (may be
   NULL) is claimed, so that a batch costs one commit per message and
   still no more than one row is ever 'sending'. As outbound_claim; a
   'sent' that cannot be recorded ends the process, since going on would
   put two rows in flight. */
int outbound_advance(struct gateway_ctx *ctx, struct outbound_msg *sent,
		     struct outbound_msg *claim);
/* For a transport that can write a message twice without harm (the
   sink: a message's file is named by its row, so writing it again
   replaces it): every row of B marked .sent recorded as sent in one
   transaction, one commit a batch instead of two a message. With
   B->claim_at_sent each row is claimed as it is recorded. When another
   holds the write lock the rows wait for the next batch's record
   instead (outbound_load skips them meanwhile), up to a limit, and
   outbound_run records them before it sleeps or returns. 0, or -1
   after logging. */
int outbound_sent_all(struct gateway_ctx *ctx, struct outbound_batch *b);
/* Stores the Message-ID made for each row of B that had none, in one
   transaction, without claiming the rows: what a transport that does
   not claim (the sink) writes must carry the same Message-ID when it is
   written again after a crash. 0, or -1 after logging. */
int outbound_keep_message_ids(struct gateway_ctx *ctx,
			      struct outbound_batch *b);
/* M failed for now with REASON: back to 'queued', due again after
   smtp_retry_delay doubled per earlier attempt (at most a day); after
   OUTBOUND_MAX_AGE it fails for good instead. 0, or -1. */
int outbound_retry(struct gateway_ctx *ctx, struct outbound_msg *m,
		   const char *reason);
/* M was not tried (REASON NULL), or could not be for a reason that is
   not its own, such as a full local disk (REASON): back to 'queued', due
   again after DELAY seconds, with no attempt counted, so that it is not
   held back for hours once the trouble is over. 0, or -1. */
int outbound_wait(struct gateway_ctx *ctx, struct outbound_msg *m,
		  const char *reason, int64_t delay);
/* M failed for good with REASON ('failed', for the engine to raise). */
int outbound_fail(struct gateway_ctx *ctx, struct outbound_msg *m,
		  const char *reason);
/* The gateway loop: calls SEND with each batch until stopping (or, with
   ctx->once, until the outbox has nothing due). SEND returns 0, or -1
   when the transport broke (the loop then waits before the next try). */
int outbound_run(struct gateway_ctx *ctx,
		 int (*send)(struct gateway_ctx *ctx,
			     struct outbound_batch *batch, void *arg),
		 void *arg);

#define OUTBOUND_MAX_AGE (5 * 86400) /* s a mail is retried, at most */

extern const struct cirm_gateway gateway_maildir;
extern const struct cirm_gateway gateway_mailgate;
extern const struct cirm_gateway gateway_imap;
extern const struct cirm_gateway gateway_smtp;
extern const struct cirm_gateway gateway_sink;
extern const struct cirm_gateway gateway_smstools;
extern const struct cirm_gateway gateway_smpp;

#endif
