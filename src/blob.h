/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_BLOB_H
#define CIRM_BLOB_H

#include <stddef.h>

/* Content-addressed files (raw messages, attachments) under a spool
   directory: DIR/ab/cdef... named by the SHA-256 of the content, so the
   same attachment sent twice is stored once. */

#define BLOB_ID_LEN 64 /* hexadecimal SHA-256 */

/* Stores DATA durably (written to a temporary file, fsynced, renamed) and
   gives its id. Storing existing content again is a no-op. 0, or -1 with
   *error_r (caller frees). */
int blob_put(const char *dir, const void *data, size_t len,
	     char id_r[BLOB_ID_LEN + 1], char **error_r);
/* The path of blob ID under DIR (caller frees), or NULL when ID is not a
   well-formed id. */
char *blob_path(const char *dir, const char *id);

#endif
