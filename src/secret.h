/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_SECRET_H
#define CIRM_SECRET_H

#include <stddef.h>

/* Secret files: the instance key, and later passwords. Such a file is
   refused when its group or others may read or write it. */

#define SECRET_KEY_LEN 32	  /* bytes of HMAC-SHA256 key */
#define SECRET_FILE_MAX 65536	  /* largest secret file read */

/* Checks that PATH, when it exists, is a regular file with no permission
   bits for group or others. Returns 1 when it is fine, 0 when it does not
   exist, -1 with a message in *error_r (caller frees) otherwise. */
int secret_check(const char *path, char **error_r);

/* Reads a whole secret file after the check of secret_check (the check
   and the read use the same open file). Returns 0 with *data_r
   (NUL-terminated, caller wipes with secret_free) or -1 with *error_r. */
int secret_read(const char *path, char **data_r, size_t *len_r,
		char **error_r);
/* Wipes and frees a secret. */
void secret_free(char **data, size_t len);

/* Why PATH, which did not open with errno E, may not be read: for a
   file of another user that this one may not open (EACCES), whose it
   is and how to run as them, since running as the wrong user is the
   usual cause. NULL otherwise; caller frees. Also for cirm.conf. */
char *secret_owner_error(const char *path, int e);

/* Loads the instance key: 64 hexadecimal digits, optionally followed by a
   newline. 0, or -1 with *error_r. */
int secret_key_load(const char *path, unsigned char key_r[SECRET_KEY_LEN],
		    char **error_r);
/* Creates PATH (which must not exist) with a new random key, mode 0600.
   0, or -1 with *error_r. */
int secret_key_create(const char *path, char **error_r);

#endif
