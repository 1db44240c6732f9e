/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_HOUSEKEEP_H
#define CIRM_HOUSEKEEP_H

/* cirmd's housekeeping: now and then, in a thread with a database
   connection of its own, the retention of cirmctl case prune
   (retention_run, retention_outbox), quarantine prune and maildir
   prune, and the spool prune of cirmctl spool prune (blob_prune), so
   that the engine and its gateways never wait for
   them. */
struct housekeep;

/* What a housekeeping run does, cirmd's settings. */
struct housekeep_settings {
	const char *database;
	const char *spool_dir;
	long min_age;		/* spool_prune_min_age, in seconds */
	const char *retention;	/* case_retention */
	const char *quarantine;	/* quarantine_retention */
	const char *outbox;	/* outbox_retention */
	const char *maildir_cur; /* maildir_dir/inbox/cur */
	const char *maildir_retention;
	long long max_size;	/* mail_max_size */
};

/* Starts the quarantine's retention (quarantine_retention), that of
   what was sent without a case (outbox_retention, retention_outbox),
   the Maildir copies' (maildir_retention, maildir_prune) and the cases'
   (case_retention) on the database, then a prune of the spool of files
   older than min_age; it logs what it did. NULL when no thread could
   be started (logged). */
struct housekeep *housekeep_start(const struct housekeep_settings *set);
/* Whether the prune has finished. */
int housekeep_done(struct housekeep *h);
/* Stops the prune where it is (what was removed stays removed), waits
   for the thread and frees *H. */
void housekeep_stop(struct housekeep **h);

#endif
