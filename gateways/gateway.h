/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_GATEWAY_H
#define CIRM_GATEWAY_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "store.h"

/* A gateway moves messages between the world and cirm's queues. An
   inbound gateway only writes raw messages to the inbox: it knows
   nothing of cases or workflows. Each transport is one file exporting
   one struct cirm_gateway; gateways/main.c lists them. */

struct gateway_ctx {
	const struct cfg *cfg;
	struct store *store;
	const char *name;    /* the gateway's, e.g. "imap" */
	const char *channel; /* "email" or "sms" */
	int once;	     /* take what is waiting, then return */
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

/* The SIGTERM and SIGINT handler that gateway_stopping() reports. */
void gateway_stop_signal(int sig);
/* 1 once SIGTERM or SIGINT arrived. */
int gateway_stopping(void);
/* Sleeps up to SECONDS; returns early when stopping. */
void gateway_sleep(int seconds);

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

extern const struct cirm_gateway gateway_maildir;
extern const struct cirm_gateway gateway_imap;

#endif
