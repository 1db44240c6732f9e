/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_LOG_H
#define CIRM_LOG_H

#include "util.h"

/* One log for every cirm program, to stderr or syslog. Log lines are in
   English and never carry message bodies, addresses, phone numbers or
   secrets: name a case by its number, a row by its id. */

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARNING, LOG_LEVEL_INFO,
		 LOG_LEVEL_DEBUG };

/* Starts logging as IDENT. TARGET is "stderr" or "syslog"; FACILITY a
   syslog facility name ("mail", "daemon", "local0"...), ignored for
   stderr. Before log_init everything goes to stderr at level info. */
void log_init(const char *ident, const char *target, const char *level,
	      const char *facility);
/* Changes the level (on reload). Unknown names leave it as it is. */
void log_set_level(const char *level);
void log_close(void);

/* Holds the calling thread's info and debug lines from now on, to write
   them all at once with log_release: the engine logs a line a mail, and
   a batch of them then costs one write, not hundreds. A warning or an
   error is not held: it writes what is held before it, and then
   itself. With WARNINGS, warnings are held as well (an error still
   is not): for work that may be undone and done again, whose
   warnings the second time tells (the engine's first pass over a
   batch), and then more than the usual buffer is held rather than
   any written early. Other threads are not affected. */
void log_hold(int warnings);
/* Writes the lines held (KEEP) or drops them, and stops holding. The
   engine drops the lines of a batch that rolled back, whose work did
   not happen (all but those a warning in the batch brought out before
   it). Held lines are written in pieces of whole lines, each small
   enough for one write to a pipe to keep whole. */
void log_release(int keep);

void log_debug(const char *fmt, ...) CIRM_PRINTF(1, 2);
void log_info(const char *fmt, ...) CIRM_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) CIRM_PRINTF(1, 2);
void log_errorx(const char *fmt, ...) CIRM_PRINTF(1, 2);
/* Logs at error level and exits with status 1. */
void fatalx(const char *fmt, ...) CIRM_PRINTF(1, 2) __attribute__((noreturn));

#endif
