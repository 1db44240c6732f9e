/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void
oom(void)
{
	static const char msg[] = "cirm: out of memory\n";

	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing more can be done */
	}
	abort();
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);

	if (q == NULL)
		oom();
	return q;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		oom();
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		oom();
	return p;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	return s;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

void
strlist_add(struct strlist *l, const char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = xstrdup(s);
}

void
strlist_addf(struct strlist *l, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	strlist_add(l, s);
	free(s);
}

void
strlist_clear(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

bool
strlist_has(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i], s) == 0)
			return true;
	}
	return false;
}

char *
strlist_join(struct strlist *l)
{
	size_t len = 0;
	char *out, *o;

	for (size_t i = 0; i < l->n; i++)
		len += strlen(l->v[i]);
	out = o = xmalloc(len + 1);
	for (size_t i = 0; i < l->n; i++) {
		size_t n = strlen(l->v[i]);

		memcpy(o, l->v[i], n);
		o += n;
	}
	*o = '\0';
	strlist_clear(l);
	return out;
}

char *
strlist_join_sep(const struct strlist *l, const char *sep)
{
	size_t len = 0, seplen = strlen(sep);
	char *out, *o;

	for (size_t i = 0; i < l->n; i++)
		len += strlen(l->v[i]) + (i > 0 ? seplen : 0);
	out = o = xmalloc(len + 1);
	for (size_t i = 0; i < l->n; i++) {
		size_t n = strlen(l->v[i]);

		if (i > 0) {
			memcpy(o, sep, seplen);
			o += seplen;
		}
		memcpy(o, l->v[i], n);
		o += n;
	}
	*o = '\0';
	return out;
}

int
str_to_long(const char *s, long min, long max, long *value_r)
{
	char *end;
	long v;

	if (*s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*value_r = v;
	return 0;
}

int64_t
cirm_now(void)
{
	return (int64_t)time(NULL);
}

bool
local_day_at(const char *s, int days, int hour, int64_t *t_r)
{
	struct tm tm = { 0 };
	char end;
	int y, m, d;

	/* digits only: sscanf would take "+202-01-01" as the year 202 */
	if (strlen(s) != 10 || strspn(s, "0123456789") != 4 || s[4] != '-' ||
	    strspn(s + 5, "0123456789") != 2 || s[7] != '-' ||
	    strspn(s + 8, "0123456789") != 2 ||
	    sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &end) != 3 ||
	    m < 1 || m > 12 || d < 1 || d > 31)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_isdst = -1;
	/* mktime() moves 2026-02-30 on to March: no such date */
	if (mktime(&tm) == (time_t)-1 || tm.tm_mday != d)
		return false;
	tm.tm_mday += days;
	tm.tm_hour = hour;
	tm.tm_isdst = -1;
	*t_r = (int64_t)mktime(&tm);
	return true;
}

/* Reads 1 to MAX digits at *S into *N and moves *S past them. */
static bool
digits(const char **s, size_t max, int *n)
{
	size_t k = strspn(*s, "0123456789");

	if (k < 1 || k > max)
		return false;
	*n = atoi(*s);
	*s += k;
	return true;
}

/* "YYYY-MM-DD" of Y, M, D into OUT. */
static void
day_format(char out[LOCAL_DAY_SIZE], int y, int m, int d)
{
	snprintf(out, LOCAL_DAY_SIZE, "%04u-%02u-%02u", (unsigned)y % 10000u,
		 (unsigned)m % 100u, (unsigned)d % 100u);
}

int
day_parse(const char *s, int64_t now, char out[LOCAL_DAY_SIZE])
{
	const char *p = s + strspn(s, " \t");
	const char *start = p;
	int y, m, d;
	int64_t t;

	if (strchr(p, '/') != NULL) {
		char today[LOCAL_DAY_SIZE];
		int64_t cut;
		time_t tt = (time_t)now;
		struct tm tm;

		if (!digits(&p, 2, &d) || *p++ != '/' || !digits(&p, 2, &m) ||
		    p[strspn(p, " \t")] != '\0' ||
		    localtime_r(&tt, &tm) == NULL)
			return 0;
		if (m < 1 || m > 12 || d < 1 || d > 31)
			return -1;
		/* the first of last year's, this year's and next year's
		   that is at most 30 days (by the calendar) past: "31/7"
		   in December is next summer, "30/12" on 3 January last
		   week, and "1/12" on 5 December a slip that is told it
		   is past */
		local_day(now, today);
		if (!local_day_at(today, -30, 12, &cut))
			return -1;
		for (y = tm.tm_year + 1900 - 1; y <= tm.tm_year + 1900 + 1;
		     y++) {
			day_format(out, y, m, d);
			if (local_day_at(out, 0, 12, &t) && t >= cut)
				return 1;
		}
		/* 29/2 without a leap year near, 31/4 */
		return -1;
	}
	if (!digits(&p, 4, &y) || p - start != 4 || *p++ != '-' ||
	    !digits(&p, 2, &m) || *p++ != '-' || !digits(&p, 2, &d) ||
	    p[strspn(p, " \t")] != '\0')
		return 0;
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	day_format(out, y, m, d);
	return local_day_at(out, 0, 12, &t) ? 1 : -1;
}

enum away_day
away_day(const char *s, int64_t now, int years, int64_t *back_r,
	 char day[LOCAL_DAY_SIZE])
{
	int r = day_parse(s, now, day);

	if (r <= 0)
		return r == 0 ? AWAY_NO_DATE : AWAY_NO_SUCH_DAY;
	if (!local_day_at(day, 1, 0, back_r))
		return AWAY_NO_SUCH_DAY;
	if (*back_r <= now)
		return AWAY_PAST;
	return *back_r > now + years * 366 * (int64_t)86400 ? AWAY_TOO_FAR :
		AWAY_OK;
}

char *
local_day(int64_t t, char buf[LOCAL_DAY_SIZE])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, LOCAL_DAY_SIZE, "%Y-%m-%d", &tm) == 0)
		snprintf(buf, LOCAL_DAY_SIZE, "?");
	return buf;
}

char *
local_minute(int64_t t, char buf[LOCAL_MINUTE_SIZE])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, LOCAL_MINUTE_SIZE, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, LOCAL_MINUTE_SIZE, "?");
	return buf;
}

int
mkdir_p(const char *dir, unsigned int mode)
{
	char *path;
	int ret = 0;

	if (*dir == '\0') {	/* as mkdir("") */
		errno = ENOENT;
		return -1;
	}
	path = xstrdup(dir);
	for (char *p = path + 1; ret == 0; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(path, mode) < 0 && errno != EEXIST)
			ret = -1;
		*p = c;
		if (c == '\0')
			break;
	}
	if (ret == 0) {
		struct stat st;

		if (stat(dir, &st) < 0)
			ret = -1;
		else if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			ret = -1;
		}
	}
	free(path);
	return ret;
}

char *
path_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash == NULL ? xstrdup(".") :
	       slash == path ? xstrdup("/") :
			       xstrndup(path, (size_t)(slash - path));
}

char *
kept_copy_name(const char *path, const char *kind, int64_t now,
	       char stamp_r[40])
{
	time_t t = (time_t)now;
	char when[32], *name = NULL;
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y%m%d-%H%M%S", &tm);
	/* a second copy within the same second keeps its own */
	for (int i = 1; name == NULL || (access(name, F_OK) == 0 && i < 100);
	     i++) {
		snprintf(stamp_r, 40, i == 1 ? "%s" : "%s-%d", when, i);
		free(name);
		name = xasprintf("%s.%s-%s", path, kind, stamp_r);
	}
	return name;
}

int
fsync_parent(const char *path)
{
	char *dir = path_dir(path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = 0;

	free(dir);
	if (fd < 0)
		return -1;
	if (fsync(fd) < 0)
		ret = -1;
	close(fd);
	return ret;
}

int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

char *
read_upto(int fd, size_t want, size_t *len_r)
{
	char *buf = xmalloc(want + 1);
	size_t got = 0;

	while (got < want) {
		ssize_t n = read(fd, buf + got, want - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*len_r = got;
	return buf;
}

int
write_file_atomic(const char *path, const void *data, size_t len,
		  unsigned int mode, int durable)
{
	/* named by thread, not only by process: the engine's two threads
	   may write the same spool file at once */
	char *tmp = xasprintf("%s.tmp.%ld.%ld", path, (long)current_pid(),
			      (long)gettid());
	int fd, saved;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0 && errno == EEXIST) {
		/* left by a process that had our numbers and died */
		unlink(tmp);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	}
	if (fd < 0) {
		free(tmp);
		return -1;
	}
	if (write_all(fd, data, len) < 0)
		goto fail;
	if (fchmod(fd, mode) < 0 || (durable && fsync(fd) < 0))
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	free(tmp);
	return durable ? fsync_parent(path) : 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	errno = saved;
	return -1;
}

/* The length of a phone-number-like run at P: '+' or digits, with
   single spaces, '-' or '.' between digits; 0 when it has fewer than
   seven digits. */
static size_t
number_run(const char *p)
{
	size_t i = 0, digits = 0, end = 0;

	if (p[0] == '+')
		i = 1;
	while (p[i] != '\0') {
		if (p[i] >= '0' && p[i] <= '9') {
			digits++;
			end = ++i;
		} else if ((p[i] == ' ' || p[i] == '-' || p[i] == '.') &&
			   digits > 0 && p[i + 1] >= '0' && p[i + 1] <= '9') {
			i++;
		} else
			break;
	}
	return digits >= 7 ? end : 0;
}

char *
scrub_personal(const char *text)
{
	static const char seps[] = " \t\r\n<>()[],;\"'";
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	const char *p = text;

	if (f == NULL)
		abort();
	while (*p != '\0') {
		int word_start = p == text || strchr(seps, p[-1]) != NULL;
		size_t w = strcspn(p, seps), n;

		if (word_start && w > 0 && memchr(p, '@', w) != NULL) {
			fputs("<address>", f);
			p += w;
		} else if ((p == text || p[-1] < '0' || p[-1] > '9') &&
			   (n = number_run(p)) > 0) {
			fputs("<number>", f);
			p += n;
		} else
			fputc(*p++, f);
	}
	if (fclose(f) != 0)
		abort();
	return out;
}

static pid_t cached_pid;
static pthread_once_t cached_pid_once = PTHREAD_ONCE_INIT;

static void
cached_pid_child(void)
{
	cached_pid = getpid();
}

static void
cached_pid_init(void)
{
	cached_pid = getpid();
	/* only the thread that forked lives on in the child, and it runs
	   this before fork() returns there */
	if (pthread_atfork(NULL, NULL, cached_pid_child) != 0)
		abort();
}

pid_t
current_pid(void)
{
	(void)pthread_once(&cached_pid_once, cached_pid_init);
	return cached_pid;
}

int
thread_start(pthread_t *thread, const char *name, void *(*fn)(void *),
	     void *arg)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc == 0)
		(void)pthread_setname_np(*thread, name); /* only a label */
	return rc;
}

int
host_is_loopback(const char *host)
{
	struct in_addr a;

	return (inet_pton(AF_INET, host, &a) == 1 &&
		(ntohl(a.s_addr) >> 24) == 127) ||
	       strcmp(host, "::1") == 0 || strcmp(host, "localhost") == 0;
}

/* The line of TEXT's first byte that is not part of well-formed UTF-8
   (no overlong forms, surrogates or code points past U+10FFFF), or 0. */
int
utf8_bad_line(const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	int line = 1;

	while (*p != '\0') {
		size_t n = *p < 0x80 ? 1 : *p >= 0xc2 && *p <= 0xdf ? 2 :
			*p >= 0xe0 && *p <= 0xef ? 3 :
			*p >= 0xf0 && *p <= 0xf4 ? 4 : 0;

		if (n == 0)
			return line;
		for (size_t i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return line;
		if ((n == 3 && ((p[0] == 0xe0 && p[1] < 0xa0) ||
				(p[0] == 0xed && p[1] >= 0xa0))) ||
		    (n == 4 && ((p[0] == 0xf0 && p[1] < 0x90) ||
				(p[0] == 0xf4 && p[1] >= 0x90))))
			return line;
		if (*p == '\n')
			line++;
		p += n;
	}
	return 0;
}

/* The characters in the LEN bytes at S (UTF-8 lead bytes). */
static size_t
utf8_width(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

/* How much wider than prose a row of a command list may be (see
   wrap_line): 78 at 72. */
#define TEXT_TABLE_EXTRA 6

size_t
utf8_length(const char *s)
{
	return utf8_width(s, strlen(s));
}

/* The column continuation lines of LINE (LEN bytes) begin at: for a
   command (a line of "#..."), under its help when it is a row of a
   command list ("#word  \u2014 help", or "(no command)  \u2014 help",
   the dash within half the width: *ROW_R set), else two further than
   the command, so that its
   continuation does not read as a line of its own; for other text,
   under its indent. */
static size_t
hanging_indent(const char *line, size_t len, size_t width, bool *row_r)
{
	static const char dash[] = "\xe2\x80\x94 ";
	size_t lead = strspn(line, " ");

	*row_r = false;
	if (lead > len)
		lead = len;
	/* "(inget kommando)  \u2014 ...": a row of the list too */
	if (lead == len || (line[lead] != '#' && line[lead] != '('))
		return lead;
	for (size_t i = lead; i + sizeof(dash) - 1 <= len; i++) {
		if (memcmp(line + i, dash, sizeof(dash) - 1) == 0) {
			size_t col = utf8_width(line, i + sizeof(dash) - 1);

			if (col > width / 2)
				break;
			*row_r = true;
			return col;
		}
	}
	return line[lead] == '#' ? lead + 2 : lead;
}

/* Appends LINE (LEN bytes, no newline) to L, wrapped at WIDTH. A
   quoted line ("> ...") stays whole: wrapped, its rest would read as
   the writer's own words. A row of a command list may run six further
   (78 at 72, RFC 5322's line), a table being read across. */
static void
wrap_line(struct strlist *l, const char *line, size_t len, size_t width)
{
	bool row;
	size_t indent = hanging_indent(line, len, width, &row);
	size_t lead = strspn(line, " "), start = 0, first = 1;
	/* the characters from START on: counted once, not at each break */
	size_t rest = utf8_width(line, len);

	if (lead > len)
		lead = len;
	if (row)
		width += TEXT_TABLE_EXTRA;
	if (lead < len && line[lead] == '>')
		rest = 0;	/* as it came */
	while (rest + (first ? 0 : indent) > width) {
		size_t col = first ? 0 : indent, cut = 0, end;

		/* the last space that keeps the line within WIDTH, past
		   the indent: a break there leaves a word on the line */
		for (size_t i = start; i < len; i++) {
			if (((unsigned char)line[i] & 0xc0) != 0x80)
				col++;
			if (col > width + 1)
				break;
			if (line[i] == ' ' && i > start + (first ? lead : 0) &&
			    line[i - 1] != ' ')
				cut = i;
		}
		if (cut == 0) {
			/* a word longer than the line: to its end */
			for (cut = start + (first ? lead : 0);
			     cut < len && line[cut] != ' '; cut++)
				;
			if (cut == len)
				break;
		}
		end = cut;
		while (end > start && line[end - 1] == ' ')
			end--;
		strlist_addf(l, "%*s%.*s\n", first ? 0 : (int)indent, "",
			     (int)(end - start), line + start);
		while (cut < len && line[cut] == ' ')
			cut++;
		rest -= utf8_width(line + start, cut - start);
		start = cut;
		first = 0;
		if (start == len)
			return;
	}
	strlist_addf(l, "%*s%.*s\n", first ? 0 : (int)indent, "",
		     (int)(len - start), line + start);
}

char *
text_wrap(const char *text, size_t width)
{
	struct strlist l = { 0 };
	const char *p = text;
	char *out;
	size_t n;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);

		wrap_line(&l, p, len, width);
		p += len;
		if (*p == '\n')
			p++;
	}
	out = strlist_join(&l);
	/* the text's last line had no newline: neither has the result */
	n = strlen(out);
	if (n > 0 && (p == text || p[-1] != '\n'))
		out[n - 1] = '\0';
	return out;
}

/* Whether the UTF-8 character at P is a combining mark (U+0300 to
   U+036F, as the accents of decomposed letters are): a cut before it
   would part it from its letter. */
static bool
combining_mark(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return (u[0] == 0xcc && u[1] >= 0x80 && u[1] <= 0xbf) ||
	       (u[0] == 0xcd && u[1] >= 0x80 && u[1] <= 0xaf);
}

/* TEXT on one line into OUT (CAP bytes, and room for a blank, an
   ellipsis and a NUL after them): line breaks and runs of blanks as one space, at most
   MAX characters. *MORE_R tells whether more than blanks was left out;
   then OUT ends with no part of the character the cut went through, nor
   with a letter parted from the accent that followed it. Returns OUT's
   length; OUT is not terminated yet. */
static size_t
excerpt_line(const char *text, char *out, size_t cap, size_t max,
	     bool *more_r)
{
	const char *p = text;
	size_t n = 0, chars = 0;

	*more_r = false;
	for (; *p != '\0'; p++) {
		bool blank = *p == ' ' || *p == '\t' || *p == '\r' ||
			     *p == '\n', lead = ((unsigned char)*p & 0xc0) != 0x80;

		if (blank && (n == 0 || out[n - 1] == ' '))
			continue;
		if ((lead && chars == max) || n == cap) {
			/* only what is more than blanks is cut */
			if (blank)
				continue;
			*more_r = true;
			break;
		}
		chars += lead;
		out[n++] = blank ? ' ' : *p;
	}
	if (!*more_r)
		return n;
	if (p > text && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\r' ||
			 p[-1] == '\n')) {
		/* blanks after the last word: it is whole (one past CAP) */
		if (n > 0 && out[n - 1] != ' ')
			out[n++] = ' ';
		return n;
	}
	while (n > 0 && ((unsigned char)*p & 0xc0) == 0x80)
		p--, n--;
	if (n > 0 && combining_mark(p))
		while (n > 0 && ((unsigned char)out[--n] & 0xc0) == 0x80)
			;
	return n;
}

/* The end of an excerpt of which more was left out: OUT (N bytes from
   excerpt_line) cut at CUT or before it, not between a letter and its
   accent, and at the end of a word when one ends in the last third of
   the ROOM characters (bytes when BYTES) it may keep, which reads
   better than half a word; "\u2026" after it, and a NUL. */
static void
excerpt_end(char *out, size_t n, size_t cut, size_t room, bool bytes)
{
	size_t keep, blank_at = 0;

	while (cut > 0 && cut + 1 < n && combining_mark(out + cut))
		while (cut > 0 && ((unsigned char)out[--cut] & 0xc0) == 0x80)
			;
	/* (a word that ends at the cut, a blank after it, is whole) */
	if ((cut < n && out[cut] == ' ') || (cut > 0 && out[cut - 1] == ' '))
		blank_at = cut;
	for (size_t i = 0; i < cut && blank_at < cut; i++)
		if (out[i] == ' ')
			blank_at = i;
	keep = bytes ? blank_at : utf8_width(out, blank_at);
	if (blank_at > 0 && 3 * keep >= 2 * room)
		cut = blank_at;
	while (cut > 0 && out[cut - 1] == ' ')
		cut--;
	memcpy(out + cut, "\xe2\x80\xa6", 3);
	out[cut + 3] = '\0';
}

char *
text_excerpt(const char *text, size_t max)
{
	char *out = xmalloc(max + 4);
	bool more;
	size_t n = excerpt_line(text, out, max, SIZE_MAX, &more);

	if (more) {
		excerpt_end(out, n, n, max, true);
		return out;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	return out;
}

char *
text_excerpt_chars(const char *text, size_t max)
{
	/* bytes enough for MAX characters; stray continuation bytes count
	   as no character, so they are bounded by bytes */
	size_t cap = 4 * max, n, cut = 0;
	char *out = xmalloc(cap + 4);
	bool more;

	n = excerpt_line(text, out, cap, max, &more);
	if (!more || max == 0) {
		while (n > 0 && out[n - 1] == ' ')
			n--;
		out[more ? 0 : n] = '\0';
		return out;
	}
	/* MAX - 1 characters (fewer when stray bytes filled the buffer
	   first) and the ellipsis */
	for (size_t c = 0; cut < n; cut++)
		if (((unsigned char)out[cut] & 0xc0) != 0x80 && c++ == max - 1)
			break;
	excerpt_end(out, n, cut, max - 1, false);
	return out;
}

static bool names_from_files;

void
user_name_files_only(bool only)
{
	names_from_files = only;
}

/* Weak: a program linked statically (cirm-mailgate, which reads the
   files only) then has no getpwuid, whose NSS modules a static program
   cannot load, and the linker does not warn of it at every build. */
extern struct passwd *getpwuid(uid_t uid) __attribute__((weak));

const char *
user_name(unsigned long uid, char buf[USER_NAME_SIZE])
{
	struct passwd *pw = NULL;
	FILE *f = NULL;

	if (!names_from_files && getpwuid != NULL) {
		pw = getpwuid((uid_t)uid);
	} else if ((f = fopen("/etc/passwd", "re")) != NULL) {
		while ((pw = fgetpwent(f)) != NULL && pw->pw_uid != (uid_t)uid)
			;
	}
	if (pw != NULL)
		snprintf(buf, USER_NAME_SIZE, "%s", pw->pw_name);
	else
		snprintf(buf, USER_NAME_SIZE, "%lu", uid);
	if (f != NULL)
		fclose(f);
	return buf;
}

void
near_start(struct near_search *n, const char *word)
{
	n->word = word;
	n->max = strlen(word) >= 6 ? 2 : 1;
	n->best = n->max + 1;
	n->found = NULL;
	n->tie = false;
}

void
near_weigh(struct near_search *n, const char *key, const char *shown)
{
	size_t d = edit_distance(n->word, key, n->max);

	if (d < n->best) {
		n->best = d;
		n->found = shown;
		n->tie = false;
	} else if (d == n->best && d <= n->max &&
		   strcmp(n->found, shown) != 0) {
		n->tie = true;
	}
}

const char *
near_found(const struct near_search *n)
{
	return n->tie ? NULL : n->found;
}

size_t
edit_distance(const char *a, const char *b, size_t max)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[3][65];

	if (la > 64 || lb > 64 || (la > lb ? la - lb : lb - la) > max)
		return max + 1;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t *row = d[i % 3], *up = d[(i - 1) % 3],
			*up2 = d[(i + 1) % 3];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			int ca = tolower((unsigned char)a[i - 1]);
			int cb = tolower((unsigned char)b[j - 1]);
			size_t v = up[j - 1] + (ca != cb);

			if (up[j] + 1 < v)
				v = up[j] + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb &&
			    up2[j - 2] + 1 < v)
				v = up2[j - 2] + 1;
			row[j] = v;
		}
	}
	return d[la % 3][lb] > max ? max + 1 : d[la % 3][lb];
}

bool
smsd_incoming_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' &&
	       !(n >= 5 && strcmp(name + n - 5, ".LOCK") == 0);
}
