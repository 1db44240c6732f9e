/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_INSTANCE_H
#define CIRM_INSTANCE_H

/* Creates a working instance in DIR: the directory (mode 0750), a random
   instance key (0600), the spool and Maildir directories, a copy of the
   shipped templates to edit (DIR/templates), the database at
   the newest schema, and last a commented cirm.conf with the embedded
   defaults, so that an interrupted init can simply be run again. An
   existing cirm.conf is never overwritten. Returns 0, or -1 with *error_r
   (caller frees). */
int instance_init(const char *dir, char **error_r);

struct cfg;
struct strlist;

/* Makes those of CFG's directories that are missing, as instance_init
   makes them (mode 0750 under cirmctl's umask): the spool, the Maildir
   gateway's inbox and outbound Maildirs and cirm-mailgate's Maildir,
   each with tmp/, new/ and cur/. Each one made is added to MADE (may be
   NULL), parents first. 0, or -1 with *error_r (caller frees). */
int instance_make_dirs(const struct cfg *cfg, struct strlist *made,
		       char **error_r);

/* Where the shipped WHAT ("templates", "workflows") are: $CIRM_DATADIR
   (an uninstalled source tree, for tests) or the installed data
   directory. Caller frees. */
char *instance_data_source(const char *what);

/* Why the database CFG names could not be opened or locked by PROGRAM
   ("cirmctl", "cirmd"), told as the administrator can act on it: that
   there is none there (the 'database' setting is wrong, or no instance
   was made), that the path cannot be reached (with the setting's line),
   that the database belongs to another user; else ERROR, what opening
   it said. Caller frees. */
char *instance_database_problem(const struct cfg *cfg, const char *program,
				const char *error);

#endif
