/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_BLOB_H
#define CIRM_BLOB_H

#include <stddef.h>

/* Content-addressed files (raw messages, attachments) under a spool
   directory: DIR/ab/cdef... named by the SHA-256 of the content, so the
   same attachment sent twice is stored once. */

#define BLOB_ID_LEN 64 /* hexadecimal SHA-256 */

/* Stores DATA (written to a temporary file and renamed) and gives its
   id. With DURABLE the file is fsynced at once; without, the caller
   makes a whole batch durable with one blob_sync before it commits the
   rows that name the files. Storing existing content again only sets
   the file's modification time to now, which keeps blob_prune off it
   until the row that names it has committed (when that takes less than
   blob_prune's minimum age). 0, or -1 with *error_r (caller frees) and
   errno saying why (ENOSPC, EDQUOT: the spool's file system is full). */
int blob_put(const char *dir, const void *data, size_t len,
	     char id_r[BLOB_ID_LEN + 1], int durable, char **error_r);
/* Reads blob ID of at most MAX bytes into *DATA_R (caller frees) and
   *LEN_R, checking that its content still has its id. 0, or -1 with
   *error_r. */
int blob_get(const char *dir, const char *id, size_t max, void **data_r,
	     size_t *len_r, char **error_r);
/* The SHA-256 of LEN bytes of DATA as lower-case hex. */
void blob_id(const void *data, size_t len, char id_r[BLOB_ID_LEN + 1]);
/* Flushes everything written under DIR to disk (syncfs). 0, or -1. */
int blob_sync(const char *dir, char **error_r);
/* The path of blob ID under DIR (caller frees), or NULL when ID is not a
   well-formed id. */
char *blob_path(const char *dir, const char *id);

struct blob_prune_stats {
	int held;		/* a backup holds DIR: nothing was looked at */
	long kept;		/* named, or stored in the last MIN_AGE seconds */
	long removed;		/* (DRY_RUN: would be) */
	long temporary;		/* left by writes that died, removed */
	long other;		/* not cirm's: left alone */
	unsigned long long removed_bytes;
};

/* Removes the files under DIR that nothing names and that were not
   stored (or stored again) in the last MIN_AGE seconds, and the
   temporary files of writes that died as long ago. MIN_AGE must be
   longer than it can take to commit a row naming a file after it was
   stored (cirmctl spool prune allows an hour at least). NAMED(ID, CTX)
   says whether a row names blob ID: 1, 0, or -1 with *error_r. A file
   stored again while it is being removed stays (see blob_put). With
   DRY_RUN nothing is removed, and REPORT, when not NULL, gets the path
   and size of each file that would be. Files and directories that are
   not cirm's are left alone. While a backup holds DIR (blob_hold),
   nothing is removed: STATS->held is set and the prune is left to the
   next time. 0, or -1 with *error_r (what was removed until then is
   counted in *STATS). */
int blob_prune(const char *dir, long min_age, int dry_run,
	       int (*named)(const char *id, void *ctx, char **error_r),
	       void *ctx,
	       void (*report)(const char *path, unsigned long long size,
			      void *ctx),
	       struct blob_prune_stats *stats, char **error_r);

/* Holds DIR against blob_prune (a shared lock on the directory, which
   the prune's exclusive one excludes; the kernel ends it with the
   process, so a backup killed meanwhile blocks no prune): a backup
   takes it before its database copy and keeps it until it has copied
   every file that copy names, so that none is pruned in between (its
   last row removed meanwhile, by retention). Waits for a prune running
   to end. *FD_R is what blob_release ends, -1 when DIR does not exist
   (nothing was ever stored, so there is nothing to prune). 0, or -1
   with *error_r. */
int blob_hold(const char *dir, int *fd_r, char **error_r);
/* Ends the hold of blob_hold (FD -1: none), setting *FD to -1. */
void blob_release(int *fd);

#endif
