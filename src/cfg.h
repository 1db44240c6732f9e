/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_CFG_H
#define CIRM_CFG_H

#include <stdio.h>

#include "settings.h"
#include "util.h"

/* The effective configuration: cirm.conf over the defaults of the
   settings table. */
struct cfg;

/* Longest line cirm.conf may have, in bytes. */
#define CFG_LINE_MAX 4096

/* Reads PATH. On success returns 0 and sets *cfg_r. On failure returns -1
   and appends every problem found, each as "file:line: message" (or
   "file: message"), to ERRORS: an unknown setting, a bad or out-of-range
   value, a duplicate, a line that is not "name = value", a secret file
   readable by others. */
int cfg_load(const char *path, struct cfg **cfg_r, struct strlist *errors);

/* The embedded defaults, as if PATH were an empty file (relative paths
   resolve against PATH's directory). */
struct cfg *cfg_defaults(const char *path);
void cfg_free(struct cfg **cfg);

/* The value of a setting as text; PATH settings already absolute. */
const char *cfg_str(const struct cfg *cfg, enum setting_id id);
long cfg_int(const struct cfg *cfg, enum setting_id id);
int cfg_bool(const struct cfg *cfg, enum setting_id id);
/* The line of cirm.conf that sets ID, or 0 (the default). */
int cfg_line(const struct cfg *cfg, enum setting_id id);
/* 1 when the value comes from the defaults, 0 when cirm.conf set it. */
int cfg_is_default(const struct cfg *cfg, enum setting_id id);
/* Where a message about setting ID begins: "FILE:LINE: NAME = VALUE"
   when cirm.conf sets it, "FILE: NAME = VALUE (the default)" when not;
   caller frees. */
char *cfg_blame(const struct cfg *cfg, enum setting_id id);
/* The file it was read from (absolute). */
const char *cfg_path(const struct cfg *cfg);
/* Loads the instance key key_file names (secret_key_load) into KEY_R,
   which holds SECRET_KEY_LEN bytes; a failure is said after
   cfg_blame's "FILE:LINE: key_file = PATH", since the setting is what
   to look at. 0, or -1 with *error_r. */
int cfg_load_key(const struct cfg *cfg, unsigned char *key_r,
		 char **error_r);

/* Prints "name = value" for every setting, defaults marked. */
void cfg_dump(const struct cfg *cfg, FILE *out);
/* Writes a commented cirm.conf with every setting at its default. */
void cfg_write_template(FILE *out);

#endif
