/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "log.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static struct {
	const char *ident;
	int use_syslog;
	enum log_level level;
} log_state = { "cirm", 0, LOG_LEVEL_INFO };

/* lines held by log_hold, each ending in a newline; for syslog, which
   takes a line a call, each starts with its level's digit. The buffer
   is allocated by the first hold: most threads never hold. It holds
   HOLD_MAX bytes, or more while warnings are held (log_hold). */
#define HOLD_MAX 65536
static __thread struct {
	int on;
	int warnings; /* warnings held too (log_hold) */
	size_t len, cap;
	char *buf;
} held;

/* What one write to a pipe puts in whole: the gateways write their
   lines to the same stderr, which may be a pipe (a supervisor's log),
   and a longer write could take a line of theirs in the middle of one
   of ours. */
#define WHOLE_WRITE PIPE_BUF

static const struct {
	const char *name;
	int value;
} facilities[] = {
	{ "daemon", LOG_DAEMON }, { "mail", LOG_MAIL }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

static const char *const level_names[] = { "error", "warning", "info",
					    "debug" };

void
log_set_level(const char *level)
{
	for (size_t i = 0; i < N_ELEMENTS(level_names); i++) {
		if (level != NULL && strcmp(level, level_names[i]) == 0)
			log_state.level = (enum log_level)i;
	}
}

void
log_init(const char *ident, const char *target, const char *level,
	 const char *facility)
{
	int fac = LOG_MAIL;

	log_close();
	log_state.ident = ident;
	log_set_level(level);
	if (target == NULL || strcmp(target, "syslog") != 0)
		return;
	for (size_t i = 0; i < N_ELEMENTS(facilities); i++) {
		if (facility != NULL && strcmp(facility, facilities[i].name) == 0)
			fac = facilities[i].value;
	}
	openlog(ident, LOG_PID | LOG_NDELAY, fac);
	log_state.use_syslog = 1;
}

void
log_close(void)
{
	if (log_state.use_syslog)
		closelog();
	log_state.use_syslog = 0;
}

static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

/* Writes the held lines, one write for stderr. A held line for syslog
   starts with its level's digit. */
static void
flush_held(void)
{
	char *p = held.buf, *end = held.buf + held.len;

	if (held.len == 0)
		return;
	/* as many whole lines a write as fit in WHOLE_WRITE bytes (a
	   longer line alone) */
	while (!log_state.use_syslog && p < end) {
		char *cut = p, *nl;

		while (cut < end &&
		       (nl = memchr(cut, '\n', (size_t)(end - cut))) != NULL &&
		       (cut == p || nl + 1 - p <= WHOLE_WRITE))
			cut = nl + 1;
		(void)fwrite(p, 1, (size_t)(cut - p), stderr);
		p = cut;
	}
	while (log_state.use_syslog && p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));

		syslog(prio[p[0] - '0'], "%.*s", (int)(nl - p - 1), p + 1);
		p = nl + 1;
	}
	held.len = 0;
}

void
log_hold(int warnings)
{
	if (held.buf == NULL) {
		held.buf = xmalloc(HOLD_MAX);
		held.cap = HOLD_MAX;
	}
	held.on = 1;
	held.warnings = warnings;
}

void
log_release(int keep)
{
	if (keep)
		flush_held();
	held.len = 0;
	held.on = 0;
	held.warnings = 0;
}

static void
log_vwrite(enum log_level level, const char *fmt, va_list ap)
{
	char line[2048];
	int n;

	if (level > log_state.level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	/* One entry is one line: control characters from odd input never
	   forge further entries. */
	for (char *p = line; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	}
	if (held.on && (level >= LOG_LEVEL_INFO ||
			(held.warnings && level == LOG_LEVEL_WARNING))) {
		for (int again = 0; again < 2; again++) {
			size_t room = held.cap - held.len;

			if (log_state.use_syslog)
				n = snprintf(held.buf + held.len, room, "%d%s\n",
					     (int)level, line);
			else
				n = snprintf(held.buf + held.len, room,
					     "%s[%ld]: %s: %s\n",
					     log_state.ident,
					     (long)current_pid(),
					     level_names[level], line);
			if (n >= 0 && (size_t)n < room) {
				held.len += (size_t)n;
				return;
			}
			/* full, holding warnings: work that may be undone,
			   of which nothing goes out before it is kept */
			if (held.warnings && n >= 0) {
				while (held.cap - held.len <= (size_t)n)
					held.cap *= 2;
				held.buf = xrealloc(held.buf, held.cap);
				again--;
				continue;
			}
			/* full: what is held goes out, and the line is
			   held on its own */
			flush_held();
		}
	}
	/* a warning tells what came before it */
	flush_held();
	if (log_state.use_syslog) {
		syslog(prio[level], "%s", line);
		return;
	}
	fprintf(stderr, "%s[%ld]: %s: %s\n", log_state.ident, (long)current_pid(),
		level_names[level], line);
}

#define LOG_FN(name, lvl)                        \
	void name(const char *fmt, ...)          \
	{                                        \
		va_list ap;                      \
		va_start(ap, fmt);               \
		log_vwrite(lvl, fmt, ap);        \
		va_end(ap);                      \
	}

LOG_FN(log_debug, LOG_LEVEL_DEBUG)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_warnx, LOG_LEVEL_WARNING)
LOG_FN(log_errorx, LOG_LEVEL_ERROR)

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}
