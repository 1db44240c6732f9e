/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_UTIL_H
#define CIRM_UTIL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CIRM_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation never fails for the caller: on exhaustion these abort. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) CIRM_PRINTF(1, 2);
char *xvasprintf(const char *fmt, va_list ap) CIRM_PRINTF(1, 0);

/* A growable list of owned strings, used to collect messages such as
   all errors of a configuration file. */
struct strlist {
	char **v;
	size_t n, cap;
};
void strlist_add(struct strlist *l, const char *s);
void strlist_addf(struct strlist *l, const char *fmt, ...) CIRM_PRINTF(2, 3);
void strlist_clear(struct strlist *l);
/* Whether S is one of L's strings. */
bool strlist_has(const struct strlist *l, const char *s);
/* The strings of L joined into one (caller frees); L is cleared. */
char *strlist_join(struct strlist *l);
/* The strings of L with SEP between them; newly allocated. */
char *strlist_join_sep(const struct strlist *l, const char *sep);

/* Parses a whole decimal integer within [min, max]. Returns 0, or -1 when
   the text is not a number or is out of range. */
int str_to_long(const char *s, long min, long max, long *value_r);

/* TEXT (a server's answer, an error with a path) fit for a log: each
   word holding an '@' becomes "<address>" and each run of seven or more
   digits (a phone number, with its '+', spaces or '-' inside) becomes
   "<number>". Caller frees. */
char *scrub_personal(const char *text);

/* Current wall-clock time in seconds since the epoch. */
int64_t cirm_now(void);
/* The local date of T as "YYYY-MM-DD" in BUF, or "?" when T is not a
   time localtime() can give; returns BUF. */
#define LOCAL_DAY_SIZE 16
char *local_day(int64_t t, char buf[LOCAL_DAY_SIZE]);
/* Whether S is a date "YYYY-MM-DD" that the calendar has (digits only,
   no 2026-02-30); its local time at HOUR:00 DAYS days later into *T_R. */
bool local_day_at(const char *s, int days, int hour, int64_t *t_r);
/* A day as people write it, S, as "YYYY-MM-DD" in OUT: the ISO form,
   also without its zeros ("2026-7-1"), or the Swedish short form "D/M"
   ("31/7", "1/12"): of that day last year, this year and next year,
   the first that is at most 30 days before NOW's day (a slip, told it
   is past, rather than a day a year on). Blanks around S are no matter.
   1; 0 when S has no date's shape; -1 when it has the
   shape of a day the calendar lacks (2026-02-30, 30/2). */
int day_parse(const char *s, int64_t now, char out[LOCAL_DAY_SIZE]);
/* The last day of an absence (#borta, cirmctl handler away), S (any
   form day_parse takes), as of NOW: into *BACK_R the moment the absent
   is back, the midnight after, and into DAY the day as "YYYY-MM-DD".
   AWAY_OK, or why not: not a date, no such day, a day past, more than
   YEARS ahead (#borta takes one, against a slip of the year; the
   administrator two, for a parental leave; longer is leaving: cirmctl
   handler disable). */
enum away_day {
	AWAY_OK, AWAY_NO_DATE, AWAY_NO_SUCH_DAY, AWAY_PAST, AWAY_TOO_FAR
};
enum away_day away_day(const char *s, int64_t now, int years, int64_t *back_r,
		       char day[LOCAL_DAY_SIZE]);
/* The local time of T to the minute, "YYYY-MM-DD HH:MM", as cirm's
   mail and cirmctl show times, in BUF, or "?" likewise; returns BUF. */
/* The name of user UID, or its number when it has none, in BUF. */
#define USER_NAME_SIZE 64
const char *user_name(unsigned long uid, char buf[USER_NAME_SIZE]);
/* Where user_name looks: by default the C library's user database
   (NSS: /etc/passwd, LDAP, systemd, ...); with ONLY, /etc/passwd alone.
   A statically linked program (cirm-mailgate) must not use NSS: the C
   library would load NSS's shared modules, and a second libc with them,
   into it, and Debian's libnss_systemd crashes there. */
void user_name_files_only(bool only);

#define LOCAL_MINUTE_SIZE 32
char *local_minute(int64_t t, char buf[LOCAL_MINUTE_SIZE]);

/* N bytes from OpenSSL's random generator, taken from a buffer of
   the calling thread refilled 512 bytes at a time (a call of RAND_bytes
   for each Message-ID cost the engine 2% of its time); refilled after a
   fork too, so that no two processes share bytes. Aborts when the
   generator fails. N at most 64. In src/random.c: only the programs
   that call it link libcrypto for it. */
void random_bytes(void *out, size_t n);

/* getpid(), remembered: a system call costs a microsecond or more on a
   virtual machine, and the engine asked twice a mail (its log line, a
   Message-ID). Brought up to date in the child of a fork(). */
pid_t current_pid(void);

/* Starts FN(ARG) in a thread that takes no signals (the process waits
   for its own with sigtimedwait), named NAME (at most 15 bytes, as
   top -H and perf show it). 0, or an errno value. */
int thread_start(pthread_t *thread, const char *name, void *(*fn)(void *),
		 void *arg);

/* Makes DIR and missing parents with MODE; 0, or -1 with errno set. */
int mkdir_p(const char *dir, unsigned int mode);

/* Whether HOST is this machine's loopback: an address in 127.0.0.0/8,
   ::1 or "localhost" (not a name that starts like an address:
   127.mail.example.org is anywhere). Plain-text connections are allowed
   only there. */
int host_is_loopback(const char *host);

/* Writes all LEN bytes of DATA to FD (again after EINTR). 0, or -1
   with errno. */
int write_all(int fd, const void *data, size_t len);
/* Reads up to WANT bytes of FD (fewer at its end or on an error) into a
   NUL-terminated buffer (caller frees); their number in *LEN_R. */
char *read_upto(int fd, size_t want, size_t *len_r);

/* Writes LEN bytes to PATH atomically (temporary file, rename) with
   MODE; with DURABLE also fsyncs the file and its directory. 0, or -1
   with errno set. */
int write_file_atomic(const char *path, const void *data, size_t len,
		      unsigned int mode, int durable);
/* Makes a rename or a new name in PATH's directory durable. 0, or -1
   with errno set. */
int fsync_parent(const char *path);
/* The directory PATH is in: "." for a bare name, "/" for one in the
   root. Newly allocated. */
char *path_dir(const char *path);
/* The name PATH.KIND-STAMP of a copy kept beside PATH (restore's
   "before-restore", an upgrade's "before-upgrade"): STAMP is the local
   time NOW as YYYYMMDD-HHMMSS, with "-2", "-3"... when a copy of that
   second is there already; it is written to STAMP_R (40 bytes) for
   other copies of the same moment. Newly allocated. */
char *kept_copy_name(const char *path, const char *kind, int64_t now,
		     char stamp_r[40]);

/* The line (from 1) of the first byte of TEXT that is not part of
   well-formed UTF-8, or 0 when all of it is. */
int utf8_bad_line(const char *text);

/* TEXT (UTF-8) on one line, for a list or a subject: line breaks and
   runs of blanks as one space, at most MAX bytes; when cut, at the end
   of a word if one ends near MAX, never through a character nor between
   a letter and its accent, with "\u2026" (3 bytes more) after it.
   Newly allocated. */
char *text_excerpt(const char *text, size_t max);

/* TEXT (UTF-8) on one line as text_excerpt() has it, in at most MAX
   characters, for a line read at a width: when cut, at the end of a
   word if one ends near MAX, never through a character nor between a
   letter and its accent, with "\u2026" after it, one of the MAX.
   Newly allocated. */
char *text_excerpt_chars(const char *text, size_t max);

/* The characters of the UTF-8 string S. */
size_t utf8_length(const char *s);

/* TEXT (UTF-8) with each line longer than WIDTH characters broken at
   spaces, for mail people read: a continuation line is indented as its
   line was (two further for a "#command" line), or under the help of a
   "#word  \u2014 help" line, a row of a command list, which may run six
   further (78 at 72). A quoted line ("> ...") stays whole. A word
   longer than WIDTH (a link) stays whole; spacing inside a line is
   kept. Newly allocated. */
char *text_wrap(const char *text, size_t width);

/* The edits (a byte put in, left out or changed, or two side by side
   swapped) from A to B, ASCII letters compared in small letters, for
   "did you mean": past MAX, MAX + 1. Strings over 64 bytes are past
   any MAX. */
size_t edit_distance(const char *a, const char *b, size_t max);

/* A search for the one name a slip of the keyboard from WORD is: a
   letter off (two in a word of six or more), by edit_distance. Start
   it with near_start, weigh each candidate with near_weigh (KEY as
   compared, SHOWN as returned: a name and its folded form, or the same
   twice), and near_found gives the closest, or NULL when none is that
   close or two different ones are equally close. */
struct near_search {
	const char *word;
	size_t max, best;
	const char *found;
	bool tie;
};
void near_start(struct near_search *n, const char *word);
void near_weigh(struct near_search *n, const char *key, const char *shown);
const char *near_found(const struct near_search *n);

/* Whether NAME in smsd's incoming/ is an SMS it has written whole: not
   a name with a dot in front nor one ending in .LOCK (smsd's, or
   someone's, work in progress). The smstools gateway takes these;
   status counts them and backup copies them. */
bool smsd_incoming_name(const char *name);

#endif
