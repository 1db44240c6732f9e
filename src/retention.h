/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_RETENTION_H
#define CIRM_RETENTION_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Retention (gallring): a closed case is removed, with everything cirm
   holds of it, once its workflow's retention period has passed since it
   was closed, as the municipality's records management plan
   (informationshanteringsplan) decides. The periods are the setting
   case_retention; without one, nothing is ever removed. */
struct retention;
struct store;
struct strlist;

/* Parses TEXT, as case_retention is written: "none", or WORKFLOW:PERIOD
   pairs separated by blanks or commas, PERIOD an ISO 8601 duration in
   calendar time (P2Y, P18M, P90D) and WORKFLOW a workflow's id, or "*"
   for every other workflow and for cases without one. 0 with *R_R
   (NULL for "none"), or -1 with *error_r (caller frees). */
int retention_parse(const char *text, struct retention **r_r,
		    char **error_r);
void retention_free(struct retention **r);
/* Why TEXT is no case_retention, as a translatable reason for
   cirm.conf's message (marked N_), or NULL when it is one. */
const char *retention_problem(const char *text);

/* A case removed (or, in a dry run, to be removed). */
struct retention_case {
	const char *number;
	const char *workflow;	/* NULL: none */
	const char *period;	/* as written in case_retention */
	int64_t closed_at;
};
struct retention_stats {
	long removed;		/* cases */
	long left;		/* due, but with outbox mail still to send */
	long contacts;		/* citizens no case names any more */
};

/* Removes every case of STORE closed longer ago than its period, as
   of NOW, in transactions of a few cases each; each removal goes to the
   audit log (action case.removed, the case number, the period and the
   day it was closed) as ACTOR. FN (or NULL) hears of each case. With
   DRY_RUN nothing changes. When STOP (or NULL) becomes non-zero, it
   stops after the transaction at hand. 0, or -1 with *error_r (what
   was committed before stays removed). */
int retention_run(struct store *store, const struct retention *r,
		  int64_t now, const char *actor, bool dry_run,
		  const atomic_int *stop,
		  void (*fn)(const struct retention_case *c, void *ctx),
		  void *ctx, struct retention_stats *stats, char **error_r);

/* Adds to UNKNOWN each workflow R names ("*" aside) that STORE has
   never recorded (store_workflow_ids), such as a mistyped id: no case
   of it is ever removed. *KNOWN_R gets the ids STORE has recorded,
   joined by ", " (caller frees). A store that has recorded none (cirmd
   never ran there) finds none unknown. 0, or -1 with *error_r. */
int retention_unknown_workflows(const struct retention *r,
				struct store *store, struct strlist *unknown,
				char **known_r, char **error_r);
/* What cirmd logs (as it is) and cirmctl says (translated) of each:
   "cirm.conf:LINE: case_retention = VALUE", the workflow, the workflow
   ids there are. */
#define RETENTION_UNKNOWN_WORKFLOW \
	/* TRANSLATORS: cirm.conf:LINE: SETTING, workflow, workflow ids */ \
	N_("%s: no workflow %s has run on this instance (its workflows: " \
	   "%s), so none of its cases is ever removed")

/* Whether TEXT is a quarantine_retention: "none" or an ISO 8601 period
   in calendar time (P90D) of at most ten years. 0, or -1 with *error_r;
   -2, also with *error_r, for a period longer than ten years. */
int retention_period_check(const char *text, char **error_r);
/* *BEFORE_R: NOW less PERIOD (a quarantine_retention-like period) in
   local calendar time, or 0 when PERIOD is "none" or reaches back
   before the epoch (nothing is old enough). 0, or -1 with *error_r. */
int retention_period_cutoff(const char *period, int64_t now,
			    int64_t *before_r, char **error_r);
/* Retention of the quarantine, PERIOD being quarantine_retention: what
   was quarantined longer ago than PERIOD and still waits is discarded
   (its raw bytes erased, the record kept), and the raw bytes of what was
   released longer ago erased, in one transaction with a quarantine.prune
   audit entry (the counts) as ACTOR. With DRY_RUN only counted; with
   PERIOD "none" nothing. 0 with the counts, or -1 with *error_r. */
int retention_quarantine(struct store *store, const char *period, int64_t now,
			 const char *actor, bool dry_run, long *discarded_r,
			 long *erased_r, char **error_r);

/* Retention of what cirm sent that belongs to no case, PERIOD being
   outbox_retention: the outbox rows with neither case nor message whose
   sending ended longer ago than PERIOD (store_outbox_prune) are removed
   in transactions of a part of the outbox each, so that the engine
   waits no longer than a part takes, until STOP (may be NULL) is set;
   each transaction that removes rows also writes an outbox.prune audit
   entry as ACTOR (the period and its count, nobody's address). With
   DRY_RUN only counted; with PERIOD "none" nothing. 0 with *REMOVED_R,
   or -1 with *error_r and what was removed before in *REMOVED_R. */
int retention_outbox(struct store *store, const char *period, int64_t now,
		     const char *actor, bool dry_run, const atomic_int *stop,
		     long *removed_r, char **error_r);

#endif
