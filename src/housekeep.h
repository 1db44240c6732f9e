/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_HOUSEKEEP_H
#define CIRM_HOUSEKEEP_H

/* cirmd's housekeeping: now and then, in a thread with a database
   connection of its own, the retention of cirmctl case prune
   (retention_run) and the spool prune of cirmctl spool prune
   (blob_prune), so that the engine and its gateways never wait for
   them. */
struct housekeep;

/* Starts the quarantine's retention QUARANTINE (quarantine_retention)
   and the cases' RETENTION (case_retention) on DATABASE, then a prune
   of SPOOL_DIR of files older than MIN_AGE seconds; it logs what it
   did. NULL when no thread could be started (logged). */
struct housekeep *housekeep_start(const char *database, const char *spool_dir,
				  long min_age, const char *retention,
				  const char *quarantine);
/* Whether the prune has finished. */
int housekeep_done(struct housekeep *h);
/* Stops the prune where it is (what was removed stays removed), waits
   for the thread and frees *H. */
void housekeep_stop(struct housekeep **h);

#endif
