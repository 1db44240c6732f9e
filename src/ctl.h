/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_CTL_H
#define CIRM_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* cirmctl's commands. Each gets the arguments after its name (argv[0] is
   the command's name) and returns an exit status. */

struct ctl {
	const char *config; /* -c, or NULL for the default */
};

/* Loads the configuration; errors to stderr. 0 or -1. */
struct cfg;
int ctl_load_config(const struct ctl *ctl, struct cfg **cfg_r);
/* As ctl_load_config; on -1 also *WHY_R, the first problem on one line
   (caller frees), for a report that has only one line. */
int ctl_load_config_why(const struct ctl *ctl, struct cfg **cfg_r,
			char **why_r);
/* Opens the database of an existing instance; errors to stderr. */
struct store;
int ctl_open_store(const struct cfg *cfg, struct store **store_r);
/* As ctl_open_store; on -1 also *WHY_R, the problem on one line (caller
   frees), for a report that has only one line. */
int ctl_open_store_why(const struct cfg *cfg, struct store **store_r,
		       char **why_r);
/* Loads the configuration, opens the database and runs FN on them with
   ARGC and ARGV; closes both after. FN's result, EX_CONFIG when the
   configuration has errors, 1 when the database cannot be opened. */
int ctl_with_store(const struct ctl *ctl,
		   int (*fn)(const struct cfg *cfg, struct store *store,
			     int argc, char **argv),
		   int argc, char **argv);
/* getopt_long for a command's ARGV, whose messages ("unrecognized
   option ...") then begin with "cirmctl:" rather than the command's
   word, which getopt takes from ARGV[0]. */
struct option;
int ctl_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts);
/* For a command without options: ends the options at "--" (dropped
   from *ARGC and *ARGV, ARGV[0] kept) and names an option given
   anyway. 0, or -1 after an option (the caller gives the usage). */
int ctl_no_options(int *argc, char ***argv);
/* Whether ARGV (ARGC in all) has more than MAX operands from FIRST on;
   then names the first one too many ("unexpected argument 'x'"),
   before the caller gives the usage. */
bool ctl_too_many(int argc, char **argv, int first, int max);
struct store;
/* An entry in the audit log, now, by whoever runs cirmctl, in a
   transaction of its own (rolled back on failure). 0, or -1. */
int ctl_audit_add(struct store *store, const char *action, const char *object,
		  const char *detail, char **error_r);
/* Prints "cirmctl: " and the message to stderr. */
void ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints S padded with spaces to WIDTH columns (counting characters, not
   bytes), at least one of them a space, cut with "…" when longer; WIDTH 0
   prints S whole. Control characters print as spaces. */
void ctl_print_cell(FILE *out, const char *s, int width);
/* The columns S takes on a terminal ("väntar" is six wide). */
int ctl_cell_width(const char *s);
/* S right-aligned in WIDTH columns, counted as a terminal shows them
   ("väntar" is six wide); S wider than that is printed whole. */
void ctl_print_right(FILE *out, const char *s, int width);
struct mime_address;
/* "LABEL     Name <address>" (or the address alone) on a line of
   standard output, as ctl_field; nothing for an empty address. */
void ctl_print_addr(const char *label, const struct mime_address *a);
/* Prints the lines of TEXT (NULL: none) to standard output, each after
   PREFIX, at most MAX of them (0: all). What is left of TEXT, "" when
   all of it was printed. */
const char *ctl_print_lines(const char *text, const char *prefix, int max);
/* "LABEL     VALUE" on a line of standard output, the value starting in
   column 15 (NULL prints as "-"), as case show and the like print
   their fields. */
void ctl_field(const char *label, const char *value);
/* An address kind or a channel ("email", "phone") in the words people
   read ("e-post", "telefon"); any other as it is. */
const char *ctl_address_kind(const char *kind);
/* Local time as "YYYY-MM-DD HH:MM", or "-" for 0. */
const char *ctl_time(long long t, char buf[32]);

/* Prints case NUMBER as "cirmctl case show" does, phone numbers in full
   when NUMBERS, without the notifications to handlers when
   CONVERSATION. 1, 0 when there is no such case, -1 with *error_r. */
int ctl_case_print(struct store *store, const char *number, bool numbers,
		   bool conversation, char **error_r);
/* Prints a message of a case as "cirmctl case show" does, with its
   attachments; CTX is the store. Always 0. */
struct store_message;
int ctl_print_message(const struct store_message *m, void *ctx);

/* cirmctl case prune (ctl-retention.c), ARGV from "prune". */
/* The mail cirm-mailgate stored that is not in the inbox yet (cirmd
   stopped, or its mailgate gateway down): the files of DIR/new, and the
   oldest one's time in *OLDEST_R (0: none). */
long long ctl_mailgate_waiting(const char *dir, int64_t *oldest_r);
/* The regular files of DIR, not hidden, that WANTS takes (every one,
   when NULL): their number; the oldest's modification time into
   *OLDEST_R when older than the one there (0: none). */
long long ctl_files_waiting(const char *dir, bool (*wants)(const char *name),
			    int64_t *oldest_r);

int ctl_case_prune(const struct cfg *cfg, struct store *store, int argc,
		   char **argv);

int ctl_init(const struct ctl *ctl, int argc, char **argv);
int ctl_config(const struct ctl *ctl, int argc, char **argv);
int ctl_case(const struct ctl *ctl, int argc, char **argv);
int ctl_mail(const struct ctl *ctl, int argc, char **argv);
int ctl_quarantine(const struct ctl *ctl, int argc, char **argv);
int ctl_workflow(const struct ctl *ctl, int argc, char **argv);
int ctl_status(const struct ctl *ctl, int argc, char **argv);
int ctl_handler(const struct ctl *ctl, int argc, char **argv);
int ctl_workflow_migrate(const struct ctl *ctl, int argc, char **argv);
struct strlist;
/* The workflow files of DIR ("DIR/NAME.xml", not hidden ones, as cirmd
   reads them), sorted, into PATHS; none when DIR cannot be read. */
void ctl_workflow_files(const char *dir, struct strlist *paths);
/* workflow export: a version's source as the database recorded it. */
int ctl_workflow_export(const struct ctl *ctl, int argc, char **argv);
/* workflow list: the versions in the database and the files. */
int ctl_workflow_list(const struct ctl *ctl, int argc, char **argv);
int ctl_sms(const struct ctl *ctl, int argc, char **argv);
int ctl_spool(const struct ctl *ctl, int argc, char **argv);
/* Prints quarantined message ID as cirmctl quarantine show does
   (ctl-quarantine.c). 1, 0 when there is none, -1 with *error_r. */
int ctl_quarantine_print(struct store *store, int64_t id, char **error_r);
/* cirmctl maildir prune (ctl-maildir.c). */
int ctl_maildir(const struct ctl *ctl, int argc, char **argv);
int ctl_audit(const struct ctl *ctl, int argc, char **argv);
int ctl_backup(const struct ctl *ctl, int argc, char **argv);
int ctl_restore(const struct ctl *ctl, int argc, char **argv);
int ctl_citizen(const struct ctl *ctl, int argc, char **argv);
int ctl_report(const struct ctl *ctl, int argc, char **argv);

#endif
