/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cirm-mailgate: one RFC 5322 message on stdin, as an MTA delivers it
   (Postfix pipe(8), or an alias "|cirm-mailgate"). It stores the raw
   message in the inbox and nothing else. The exit status tells the MTA
   what to do (sysexits.h): 0 only after the message is durably
   committed; EX_TEMPFAIL when the store is busy or unavailable, so the
   MTA keeps the message and retries; EX_DATAERR, with a one-line reason
   on stdout, for what must bounce. */
#include "config.h"

#include "cfg.h"
#include "i18n.h"
#include "lockfile.h"
#include "log.h"
#include "mime-private.h"
#include "store.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <syslog.h>
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

/* Tells the cirmd running on the database (the holder of its lock)
   that the inbox has a new row, so the citizen's acknowledgement need
   not wait for its next poll. A cirmd of another user cannot be told
   (EPERM): it finds the row at its poll, as before. */
static void
wake_cirmd(const struct cfg *cfg)
{
	char *lock = xasprintf("%s.cirmd-lock", cfg_str(cfg, CFG_DATABASE));
	pid_t pid = lockfile_holder(lock);

	free(lock);
	if (pid > 1)
		kill(pid, SIGUSR1);
}

static int
deliver(const struct cfg *cfg, const char *raw, size_t len, int64_t now)
{
	struct store_settings sset = {
		.busy_timeout_ms = (int)cfg_int(cfg, CFG_BUSY_TIMEOUT),
	};
	struct store *store = NULL;
	char *err = NULL;
	int64_t id;
	int r = -1;

	if (store_open(cfg_str(cfg, CFG_DATABASE), &sset, &store, &err) == 0 &&
	    store_begin(store, &err) == 0) {
		r = store_inbox_put(store, "email", "mailgate", now, NULL, raw, len,
				    &id, &err);
		if (r < 0 || store_commit(store, &err) < 0) {
			store_rollback(store);
			r = -1;
		}
	}
	if (r < 0) {
		log_warnx("not stored, the MTA will retry: %s", err);
		printf("%s\n", "temporary failure: the case store is unavailable");
		free(err);
		store_free(&store);
		return EX_TEMPFAIL;
	}
	log_info("queued inbox row %lld (%zu bytes)", (long long)id, len);
	store_free(&store);
	wake_cirmd(cfg);
	return 0;
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
	int64_t now = cirm_now(); /* the moment it reached us */
	size_t len;
	int c, over, rerr, ret;
	char *buf, *what;
	const char *raw;

	umask(027);
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
			usage(stdout);
			return 0;
		case 'V':
			printf("cirm-mailgate (%s) %s\n", PACKAGE_NAME,
			       PACKAGE_VERSION);
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
	buf = read_stdin((size_t)cfg_int(cfg, CFG_MAIL_MAX_SIZE), &len, &over,
			 &rerr);
	raw = skip_envelope(buf, &len);
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
		ret = deliver(cfg, raw, len, now);
	free(buf);
	cfg_free(&cfg);
	log_close();
	return ret;
}
