/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_MAILDIR_PRUNE_H
#define CIRM_MAILDIR_PRUNE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct store;

/* The copies the Maildir gateway leaves in maildir_dir/inbox/cur
   (maildir_processed = move) are cirm's to remove: the database holds
   each mail, under case_retention. A copy over mail_max_size is the
   only whole copy of its mail (the gateway stored its header, and the
   engine quarantined it), so quarantine_retention governs it. */
struct maildir_prune {
	const char *cur_dir;	/* maildir_dir/inbox/cur */
	const char *period;	/* maildir_retention */
	const char *oversize_period; /* quarantine_retention */
	off_t max_size;		/* mail_max_size */
	int64_t now;
	bool dry_run;
	const atomic_int *stop;	/* set: stop at the next file (or NULL) */
	/* with dry_run, called for each file that would go */
	void (*report)(const char *name, unsigned long long size,
		       bool oversize, void *ctx);
	void *ctx;
};

struct maildir_prune_stats {
	long kept, removed, oversize_kept, oversize_removed, other;
	unsigned long long removed_bytes;
};

/* Removes the files of P->cur_dir modified (arrived) before P->now less
   P->period, and those over P->max_size before P->now less
   P->oversize_period; a period of "none" keeps its files. Entries
   whose names start with '.' and anything but regular files are left
   alone (counted as other). A missing directory has nothing to remove.
   When STORE is not NULL, files are removed under its write lock, in
   the transaction that writes their maildir.prune audit entry (the
   counts, never names) as ACTOR: one entry for each part of up to 500
   files. 0, or -1 with *error_r (and the counts of what was done
   before). */
int maildir_prune(const struct maildir_prune *p, struct store *store,
		  const char *actor, struct maildir_prune_stats *stats,
		  char **error_r);

#endif
