/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cirm-mailgate: one RFC 5322 message on stdin, as an MTA delivers it
   (Postfix pipe(8), or an alias "|cirm-mailgate"). It leaves the raw
   message in the mailgate's Maildir, from which cirmd's mailgate
   gateway takes it into the inbox, and does nothing else. The exit
   status tells the MTA what to do (sysexits.h): 0 only after the
   message is durably stored; EX_TEMPFAIL when it cannot be, so the MTA
   keeps the message and retries; EX_DATAERR, with a one-line reason on
   stdout, for what must bounce.

   The database is not opened here. A process per mail that opened it
   took 6 ms and waited for the engine's write lock, and under load the
   MTA had to try again; the MTA's pipe user needs no access to the
   cases either. */
#include "config.h"

#include "cfg.h"
#include "i18n.h"
#include "log.h"
#include "mime-private.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <sys/random.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* Reads stdin up to MAX bytes; *over_r when there is more. */
static char *
read_stdin(size_t max, size_t *len_r, int *over_r, int *error_r)
{
	size_t cap = 65536, len = 0;
	char *buf = xmalloc(cap);

	*over_r = *error_r = 0;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		n = read(STDIN_FILENO, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*error_r = errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			*over_r = 1;
			break;
		}
	}
	*len_r = len;
	return buf;
}

/* A mail starts with a header field. */
static int
looks_like_mail(const char *buf, size_t len)
{
	struct mime_header *h = NULL;
	size_t n = 0, hlen = len;
	int ok;

	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] == '\n' && (buf[i + 1] == '\n' || buf[i + 1] == '\r')) {
			hlen = i + 1;
			break;
		}
	}
	ok = mime_split_headers(buf, hlen, &h, &n) == 0;
	for (size_t i = 0; i < n; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	free(h);
	return ok;
}

/* The longest mbox "From " line read beyond mail_max_size: a line of
   SMTP's envelope (RFC 5321 4.5.3.1.6). */
#define ENVELOPE_MAX 1000

/* Drops an mbox "From " envelope line that some MTAs put first. */
static const char *
skip_envelope(const char *buf, size_t *len)
{
	const char *nl;

	if (*len > 5 && strncmp(buf, "From ", 5) == 0 &&
	    (nl = memchr(buf, '\n', *len)) != NULL) {
		*len -= (size_t)(nl + 1 - buf);
		return nl + 1;
	}
	return buf;
}

/* Writes LEN bytes of RAW to file NAME of tmp/ in Maildir DIR with
   ARRIVED as its time, moves it to new/, and then makes the file and
   its entry in new/ durable. 0, or -1 with errno (and nothing left in
   tmp/). Moved before it is synced, the file is synced where it stays:
   a file system that writes a new file's directory with the file
   (ext4 does, journal or not) then writes new/ once, not tmp/ and then
   new/. The gateway may take the file meanwhile; it reads it whole
   (it was written before the move), and a crash before the sync leaves
   the mail in the database or, the MTA retrying, stored again. */
static int
spool(const char *dir, const char *name, const char *raw, size_t len,
      const struct timespec *arrived)
{
	struct timespec times[2] = { *arrived, *arrived };
	char *tmp = xasprintf("%s/tmp/%s", dir, name);
	char *dst = xasprintf("%s/new/%s", dir, name);
	char *newdir = xasprintf("%s/new", dir);
	int fd, dfd = -1, r = -1, saved;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0)
		goto out;
	/* the file's time is when the mail reached us: the gateway
	   records it as the inbox row's received_at */
	if (write_all(fd, raw, len) < 0 || futimens(fd, times) < 0 ||
	    rename(tmp, dst) < 0) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		goto out;
	}
	/* Should a sync fail, the mail may be in new/ all the same: the
	   MTA tries again, and the engine drops the second copy as a
	   duplicate. */
	if (fsync(fd) < 0 ||
	    (dfd = open(newdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fsync(dfd) < 0)
		goto out;
	r = 0;
out:
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	free(newdir);
	free(dst);
	free(tmp);
	errno = saved;
	return r;
}

static int
deliver(const struct cfg *cfg, const char *raw, size_t len,
	const struct timespec *arrived)
{
	const char *dir = cfg_str(cfg, CFG_MAILGATE_DIR);
	uint32_t rnd = 0;
	char *name;
	int r;

	/* Maildir's unique name: the time first, so that names sort in
	   the order the mail came */
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) < 0)
		rnd = (uint32_t)arrived->tv_nsec;
	name = xasprintf("%lld.M%06ldP%ldR%08x.mailgate",
			 (long long)arrived->tv_sec, arrived->tv_nsec / 1000,
			 (long)getpid(), (unsigned int)rnd);
	r = spool(dir, name, raw, len, arrived);
	if (r < 0) {
		log_warnx("not stored, the MTA will retry: %s/new: %s%s", dir,
			  strerror(errno), errno == ENOENT ? " (mailgate_dir "
			  "is made by cirmctl init and by cirmd)" : "");
		printf("%s\n", "temporary failure: cirm cannot store the mail "
		       "now");
	} else
		log_info("queued %s (%zu bytes)", name, len);
	free(name);
	return r < 0 ? EX_TEMPFAIL : 0;
}

static void
usage(FILE *out)
{
	fprintf(out, _("Usage: cirm-mailgate [OPTION]... < MESSAGE\n"
		       "Queue one mail, as an MTA delivers it on standard input, "
		       "in cirm's inbox.\n"
		       "\n"
		       "  -c, --config=FILE  read FILE (default: %s)\n"
		       "  -h, --help         show this help and exit\n"
		       "  -V, --version      show the version and exit\n"
		       "\n"
		       "Exit status: 0 queued, 65 bounce (reason on standard "
		       "output),\n"
		       "75 try again later, 64 usage. See cirm-mailgate(8).\n"),
		SYSCONFDIR "/cirm/cirm.conf");
}

/* A bad command line. A person at a terminal gets WHAT, the usage and
   EX_USAGE. The MTA gets EX_TEMPFAIL and one line, WHAT going to the
   log: to Postfix 64 is a permanent failure, and a mistake in the
   MTA's command line (master.cf) would bounce every citizen's mail
   until mended, with the usage text and our paths in the bounce. */
static int
usage_error(const char *what)
{
	if (isatty(STDERR_FILENO)) {
		fprintf(stderr, "cirm-mailgate: %s\n", what);
		usage(stderr);
		return EX_USAGE;
	}
	syslog(LOG_MAIL | LOG_ERR, "%s; the MTA keeps the mail and tries "
	       "again: mend the command line it runs cirm-mailgate with",
	       what);
	printf("temporary failure: cirm-mailgate is run with a bad command "
	       "line\n");
	return EX_TEMPFAIL;
}

/* 1 when a mail is coming on standard input: --help or --version in
   the MTA's command line (master.cf) would otherwise print the text
   and exit 0, and the MTA count every citizen's mail delivered. Not a
   terminal, and bytes within a moment (the MTA writes at once). */
static int
mail_on_stdin(void)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	char c;

	return !isatty(STDIN_FILENO) && poll(&p, 1, 200) > 0 &&
	       (p.revents & POLLIN) && read(STDIN_FILENO, &c, 1) == 1;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = getenv("CIRM_CONF");
	struct strlist errors = { 0 };
	struct cfg *cfg = NULL;
	struct timespec now; /* the moment it reached us */
	size_t len, max;
	int c, over, rerr, ret;
	char *buf, *what;
	const char *raw;

	clock_gettime(CLOCK_REALTIME, &now);
	umask(027);
	/* Only a person reads translated text (the usage, a configuration
	   error at a terminal); the MTA and the log get English, and the
	   MTA starts a mailgate per mail: the locale is not loaded for it. */
	if (isatty(STDERR_FILENO))
		i18n_init_messages();
	if (config == NULL || *config == '\0')
		config = SYSCONFDIR "/cirm/cirm.conf";
	opterr = 0; /* usage_error says it, where it should go */
	while ((c = getopt_long(argc, argv, ":c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'h':
		case 'V':
			if (mail_on_stdin())
				return usage_error(c == 'h' ?
						   "--help with a mail to store" :
						   "--version with a mail to store");
			if (c == 'V') {
				printf("cirm-mailgate (%s) %s\n", PACKAGE_NAME,
				       PACKAGE_VERSION);
				return 0;
			}
			i18n_init_messages();
			usage(stdout);
			return 0;
		default:
			what = c == ':' ? xasprintf(_("option '%s' needs a "
						      "value"), argv[optind - 1]) :
				xasprintf(_("unknown option '%s'"),
					  argv[optind - 1]);
			ret = usage_error(what);
			free(what);
			return ret;
		}
	}
	/* A stray argument (a configuration path without -c, say) must not
	   let the mail go to the instance of the default configuration. */
	if (optind < argc) {
		what = xasprintf(_("unexpected argument '%s'"), argv[optind]);
		ret = usage_error(what);
		free(what);
		return ret;
	}
	/* linked statically (configure.ac): no NSS modules loaded, ever */
	user_name_files_only(true);
	if (cfg_load(config, &cfg, &errors) < 0) {
		/* The mail must not bounce for a local mistake: retry later.
		   The details go to the log, and to a person at the terminal,
		   never into the delay notice to the sender. */
		for (size_t i = 0; i < errors.n; i++) {
			syslog(LOG_MAIL | LOG_ERR, "%s", errors.v[i]);
			if (isatty(STDERR_FILENO))
				fprintf(stderr, "cirm-mailgate: %s\n",
					errors.v[i]);
		}
		strlist_clear(&errors);
		printf("temporary failure: cirm is not configured correctly\n");
		return EX_TEMPFAIL;
	}
	/* The MTA puts whatever we print into bounces and delay notices to
	   the sender: only the one-line reason goes to stdout, and log lines
	   go to syslog unless a person is watching the terminal. */
	log_init("cirm-mailgate", isatty(STDERR_FILENO) ?
		 cfg_str(cfg, CFG_LOG_TARGET) : "syslog",
		 cfg_str(cfg, CFG_LOG_LEVEL), cfg_str(cfg, CFG_SYSLOG_FACILITY));
	/* the limit is the mail's: an mbox "From " line before it does
	   not count (ENVELOPE_MAX more is read for it) */
	max = (size_t)cfg_int(cfg, CFG_MAIL_MAX_SIZE);
	buf = read_stdin(max + ENVELOPE_MAX, &len, &over, &rerr);
	raw = skip_envelope(buf, &len);
	over = over || len > max;
	if (rerr != 0) {
		printf("temporary failure: cannot read the message\n");
		ret = EX_TEMPFAIL;
	} else if (over) {
		printf("message too large: the limit is %ld bytes\n",
		       cfg_int(cfg, CFG_MAIL_MAX_SIZE));
		ret = EX_DATAERR;
	} else if (len == 0 || !looks_like_mail(raw, len)) {
		printf("not a mail message: no header section\n");
		ret = EX_DATAERR;
	} else
		ret = deliver(cfg, raw, len, &now);
	free(buf);
	cfg_free(&cfg);
	log_close();
	return ret;
}
