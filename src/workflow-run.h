/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_WORKFLOW_RUN_H
#define CIRM_WORKFLOW_RUN_H

#include <stdbool.h>

#include "workflow.h"

/* One case running through a workflow: the SCXML session with cirm's
   conditions answered from FACTS and cirm's actions handed to the host.
   The host keeps what lasts (state, timers, outbox) — in the database
   for cases, in memory for `cirmctl workflow simulate`. */

/* What conditions look at. The host updates it as actions change the
   case (the run reads it at each evaluation). */
struct workflow_facts {
	const char *channel;	/* "email" or "sms" */
	const char *category;	/* may be NULL */
	const char *priority;	/* may be NULL: normal */
	const char *text;	/* the message that caused the event, or NULL */
	/* The names its sender is known by, one after another (the
	   contact's, a mail's From name, the name its last messages were
	   signed with), or NULL: thanks() takes them in small letters too
	   (reply_thanks_only_by). Asked of NAMES_CTX only when thanks()
	   needs them; NULL: none known. */
	const char *(*sender_names)(void *ctx);
	void *names_ctx;
	bool assigned;
};

enum workflow_action_kind {
	WORKFLOW_REPLY,		/* template */
	WORKFLOW_NOTIFY,	/* to, template */
	WORKFLOW_ASSIGN,	/* to */
	WORKFLOW_SET,		/* field, value or after */
	WORKFLOW_LOG,		/* value (the label) */
};

struct workflow_action {
	enum workflow_action_kind kind;
	const char *template_id, *to, *field, *value, *after;
	int line;
};

struct workflow_host {
	/* Carries out A; 0, or -1 with *ERROR_R (caller frees): the rest
	   of the block is skipped and error.execution raised, as SCXML
	   does. */
	int (*action)(void *ctx, const struct workflow_action *a,
		      char **error_r);
	/* State ID was entered (before its onentry) or left (after its
	   onexit): arm or drop its timers (workflow_state_timers()). */
	void (*state)(void *ctx, const char *id, bool entered);
	void *ctx;
};

struct workflow_run;

struct workflow_run *workflow_run_new(const struct workflow *wf,
				      const struct workflow_facts *facts,
				      const struct workflow_host *host);
void workflow_run_free(struct workflow_run **run);

/* Enters the initial configuration (a new case). 0 or -1, *ERROR_R. */
int workflow_run_start(struct workflow_run *run, char **error_r);
/* Puts the run back into STATES, space-separated atomic state ids as
   workflow_run_states() gave them; no action runs. */
int workflow_run_restore(struct workflow_run *run, const char *states,
			 char **error_r);
/* Processes EVENT to a stable configuration. */
int workflow_run_send(struct workflow_run *run, const char *event,
		      char **error_r);
/* Whether EVENT would be taken up by some transition now (conditions
   aside): what handlers may ask for in the current state. */
bool workflow_run_handles(const struct workflow_run *run, const char *event);
/* The active atomic states, space-separated (caller frees). */
char *workflow_run_states(const struct workflow_run *run);
/* Whether the run reached a top-level final state (the case is closed). */
bool workflow_run_done(const struct workflow_run *run);

#endif
