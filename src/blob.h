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
   rows that name the files. Storing existing content again is a no-op.
   0, or -1 with *error_r (caller frees). */
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

#endif
