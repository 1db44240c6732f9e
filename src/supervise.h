/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_SUPERVISE_H
#define CIRM_SUPERVISE_H

#include <stdint.h>

#include "cfg.h"
#include "store.h"

/* cirmd's gateway processes: one `cirm-gateway -c CONF NAME` per gateway
   the configuration turns on, restarted with back-off when one dies,
   stopped with SIGTERM (then SIGKILL). What runs is recorded in the
   database (gateway_state of "cirmd") for `cirmctl status`. */
struct supervisor;

/* Every gateway cirmd can start, by name (NULL-terminated): the names of
   their lock files (DATABASE.NAME-lock) and of cirmctl status's lines. */
extern const char *const supervisor_gateways[];

/* PROGRAM is the cirm-gateway executable; CONFIG the file the children
   get with -c. */
struct supervisor *supervisor_new(const char *program, const char *config,
				  struct store *store);
/* Stops every child (supervisor_stop) and frees. */
void supervisor_free(struct supervisor **sv);

/* The gateways CFG turns on: maildir always, imap with imap_host, smtp
   with smtp_host, else the sink, and smstools with sms_transport. Starts those not running; stops those
   no longer wanted. RESTART stops and starts every one (a reload). */
void supervisor_configure(struct supervisor *sv, const struct cfg *cfg,
			  int restart);
/* The gateways that send what the outbox holds, as CFG turns them on:
   smtp with smtp_host, else the sink, for mail; then smstools, or smpp
   with smpp_host, for SMS, when sms_transport names one. Their names
   into NAMES; returns how many (1 or 2). */
int supervisor_senders(const struct cfg *cfg, const char *names[2]);
/* Reaps children that exited (after SIGCHLD) and schedules their
   restart: 1 s, doubling to 60 s while a child keeps dying within a
   minute of its start. */
void supervisor_reap(struct supervisor *sv);
/* Starts every child whose restart is due at NOW. Returns the seconds
   until the next one is due, or -1 when none waits. */
long supervisor_tick(struct supervisor *sv, int64_t now);
/* SIGTERM to every child, up to 10 s for them to exit, then SIGKILL. */
void supervisor_stop(struct supervisor *sv);
/* Wakes the running gateways (SIGUSR1): the outbox has new rows. */
void supervisor_wake(struct supervisor *sv);

/* The cirm-gateway to run: the one beside SELF (the running program's
   path, for an uninstalled build) when there is one, else the
   installed one. Caller frees. */
char *supervisor_program(const char *self);

#endif
