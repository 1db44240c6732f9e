/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cirmctl: the administrator's tool. */
#include "config.h"

#include "calendar.h"
#include "cfg.h"
#include "ctl.h"
#include "daemon.h"
#include "i18n.h"
#include "instance.h"
#include "lockfile.h"
#include "mime.h"
#include "store.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

static void
usage(FILE *out)
{
	fprintf(out, _("Usage: cirmctl [OPTION]... COMMAND [ARGUMENT]...\n"
		       "Manage a cirm instance.\n"
		       "\n"
		       "Commands:\n"
		       "  init DIR                  create a new instance in "
		       "DIR\n"
		       "  config                    show the effective "
		       "configuration\n"
		       "  status [--check [--warning MIN] [--critical MIN]]\n"
		       "                            is cirmd running, its "
		       "gateways, the queues\n"
		       "  handler add LOGIN --email ADDRESS [--name NAME] "
		       "[--group G]...\n"
		       "      [--language L] [--take-address]\n"
		       "                            add a case officer\n"
		       "  handler set LOGIN [--name NAME] [--email ADDRESS "
		       "[--take-address]]\n"
		       "      [--language L] [--add-group G]... "
		       "[--remove-group G]... [--new-address]\n"
		       "                            change a case officer's "
		       "details\n"
		       "  handler list              list case officers\n"
		       "  handler address LOGIN     a case officer's own cirm "
		       "address\n"
		       "  handler disable|enable LOGIN\n"
		       "                            a case officer leaves, or "
		       "comes back\n"
		       "  handler away LOGIN LAST-DAY | handler back LOGIN\n"
		       "                            a case officer is away (as "
		       "#away), or back\n"
		       "  case list [--state STATE] [--assignee LOGIN] [--open] "
		       "[--limit N]\n"
		       "                            list cases, newest first\n"
		       "  case assign NUMBER LOGIN  give a case to a case "
		       "officer, as #assign does\n"
		       "  case show [--numbers] NUMBER\n"
		       "                            show a case with its "
		       "messages and history\n"
		       "  case prune [--dry-run]    remove the closed cases past "
		       "their retention\n"
		       "                            period (case_retention), and "
		       "what was sent\n"
		       "                            without a case past "
		       "outbox_retention\n"
		       "  citizen extract [--files DIR] ADDRESS|NUMBER...\n"
		       "                            everything cirm holds about "
		       "a citizen (a register\n"
		       "                            extract), their files "
		       "copied into DIR\n"
		       "  report [--from DAY [--to DAY]] [--within DAYS] "
		       "[--by KIND] [--csv]\n"
		       "                            how soon the cases of a "
		       "period got their first\n"
		       "                            answer, in business days\n"
		       "  mail inspect [--text] FILE\n"
		       "                            show how cirm reads a mail, "
		       "storing nothing\n"
		       "  quarantine list [--limit N]\n"
		       "                            list quarantined messages\n"
		       "  quarantine show ID [--raw]\n"
		       "                            show one, or its raw bytes\n"
		       "  quarantine release ID...  put them back in the inbox\n"
		       "  quarantine discard ID...  discard them for good (spam)\n"
		       "  quarantine prune [--dry-run]\n"
		       "                            discard those older than "
		       "quarantine_retention\n"
		       "  audit list [--limit N] [--action ACTION] [--object "
		       "OBJECT]\n"
		       "                            what administrators did, "
		       "newest first\n"
		       "  audit verify [--expect ID:HASH]\n"
		       "                            check that the audit log "
		       "was not altered\n"
		       "  spool prune [--dry-run] [--min-age HOURS]\n"
		       "                            remove attachment files no "
		       "message names\n"
		       "  maildir prune [--dry-run] remove the copies of processed "
		       "mail past\n"
		       "                            maildir_retention\n"
		       "  backup [--no-spool] DIR   copy the database, the "
		       "attachments and the key\n"
		       "                            into DIR, while cirmd runs\n"
		       "  restore [--yes] DIR       put a backup back (cirmd "
		       "stopped)\n"
		       "  workflow check [--templates DIR] [--quiet] FILE...\n"
		       "                            check workflows\n"
		       "  workflow dot [--svg] FILE draw a workflow (Graphviz)\n"
		       "  workflow simulate FILE [--events LIST] [--start TIME]\n"
		       "      [--channel email|sms] [--text TEXT] [--name NAME]\n"
		       "      [--templates DIR]\n"
		       "                            run a case through a workflow "
		       "on a virtual clock\n"
		       "  workflow migrate ID --from V --to W [--map MAP] "
		       "[--dry-run]\n"
		       "                            move running cases to another "
		       "version\n"
		       "  workflow list             the versions open cases run, "
		       "and their files\n"
		       "  workflow export ID [--version V]\n"
		       "                            a version as the database "
		       "keeps it\n"
		       "  workflow run --scxml FILE [--events LIST]\n"
		       "                            run a statechart on a virtual "
		       "clock\n"
		       "  sms encode [--ucs2|--gsm7] [--ref16] TEXT|-\n"
		       "                            what a text costs as SMS: "
		       "encoding, segments\n"
		       "  sms number [--country CC] [--mask] NUMBER\n"
		       "                            a telephone number in E.164 "
		       "form\n"
		       "\n"
		       "Options:\n"
		       "  -c, --config=FILE  read FILE (default: %s)\n"
		       "  -h, --help         show this help and exit\n"
		       "  -V, --version      show the version and exit\n"
		       "\n"
		       "See cirmctl(1).\n"),
		daemon_default_config());
}

int
ctl_getopt(int argc, char **argv, const char *shortopts,
	   const struct option *longopts)
{
	char *word = argv[0], *posix = NULL;
	int c;

	/* A command's options go before or after its arguments, as
	   cirmctl(1) says, whatever the environment: glibc reads
	   POSIXLY_CORRECT (options end at the first argument) when a
	   fresh getopt starts, so it is hidden for that call only. */
	if (optind == 0 && getenv("POSIXLY_CORRECT") != NULL) {
		posix = xstrdup(getenv("POSIXLY_CORRECT"));
		unsetenv("POSIXLY_CORRECT");
	}
	argv[0] = (char *)"cirmctl";
	c = getopt_long(argc, argv, shortopts, longopts, NULL);
	argv[0] = word;
	if (posix != NULL) {
		setenv("POSIXLY_CORRECT", posix, 1);
		free(posix);
	}
	return c;
}

int
ctl_no_options(int *argc, char ***argv)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };
	int skip;

	if (ctl_getopt(*argc, *argv, "", none) != -1)
		return -1;
	skip = optind - 1;	/* "--", after getopt put the operands last */
	if (skip > 0) {
		(*argv)[skip] = (*argv)[0];
		*argv += skip;
		*argc -= skip;
	}
	return 0;
}

bool
ctl_too_many(int argc, char **argv, int first, int max)
{
	if (argc - first <= max)
		return false;
	ctl_error(_("unexpected argument '%s'"), argv[first + max]);
	return true;
}

void
ctl_error(const char *fmt, ...)
{
	va_list ap;

	fputs("cirmctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
ctl_audit_add(struct store *store, const char *action, const char *object,
	      const char *detail, char **error_r)
{
	if (store_begin(store, error_r) < 0 ||
	    store_audit_add(store, cirm_now(), store_audit_actor(), action,
			    object, detail, error_r) < 0 ||
	    store_commit(store, error_r) < 0) {
		store_rollback(store);
		return -1;
	}
	return 0;
}

int
ctl_load_config(const struct ctl *ctl, struct cfg **cfg_r)
{
	return ctl_load_config_why(ctl, cfg_r, NULL);
}

int
ctl_load_config_why(const struct ctl *ctl, struct cfg **cfg_r,
		    char **why_r)
{
	struct strlist errors = { 0 };
	const char *path = ctl->config != NULL ? ctl->config :
			   daemon_default_config();

	if (cfg_load(path, cfg_r, &errors) == 0)
		return 0;
	for (size_t i = 0; i < errors.n; i++)
		fprintf(stderr, "cirmctl: %s\n", errors.v[i]);
	/* the usual first stumble: the instance is elsewhere */
	if (ctl->config == NULL && getenv("CIRM_CONF") == NULL &&
	    access(path, F_OK) < 0)
		fputs(_("cirmctl: name the instance's configuration with -c "
			"FILE before the command (or set CIRM_CONF=FILE), as "
			"in: cirmctl -c /var/lib/cirm/cirm.conf status (the "
			"service's, see cirmd(8))\n"),
		      stderr);
	if (why_r != NULL)
		*why_r = errors.n > 1 ?
			xasprintf("%s (and %zu more)", errors.v[0],
				  errors.n - 1) :
			xstrdup(errors.n > 0 ? errors.v[0] : "");
	strlist_clear(&errors);
	return -1;
}

int
ctl_open_store_why(const struct cfg *cfg, struct store **store_r,
		   char **why_r)
{
	struct store_settings sset = {
		.busy_timeout_ms = (int)cfg_int(cfg, CFG_BUSY_TIMEOUT),
		.keep_older = 1,
	};
	char *err = NULL, *msg;
	char *lock = xasprintf("%s.cirmd-lock", cfg_str(cfg, CFG_DATABASE));
	const char *kept;
	int from;

	/* A cirmd that runs has brought the schema up to date, unless it
	   is older than this cirmctl (installed while it runs): then the
	   schema must not change under it. */
	if (lockfile_holder(lock) > 0) {
		sset.keep_older = 0;
		sset.current_only = 1;
	}
	free(lock);
	if (store_open(cfg_str(cfg, CFG_DATABASE), &sset, store_r, &err) == 0) {
		/* on stderr, not to mix with what the command prints */
		if ((from = store_upgraded(*store_r, &kept)) > 0)
			fprintf(stderr, _("cirmctl: the database was at schema "
					  "version %d, older than this cirm's "
					  "(%d), and is now brought up to "
					  "date; the database as it was is kept "
					  "in %s, for going back to the cirm "
					  "that wrote it (see RUNNING AS A "
					  "SERVICE in cirmd(8))\n"),
				from, store_schema_latest(), kept);
		return 0;
	}
	msg = instance_database_problem(cfg, "cirmctl", err);
	ctl_error("%s", msg);
	if (why_r != NULL)
		*why_r = msg;
	else
		free(msg);
	free(err);
	return -1;
}

int
ctl_open_store(const struct cfg *cfg, struct store **store_r)
{
	return ctl_open_store_why(cfg, store_r, NULL);
}

int
ctl_with_store(const struct ctl *ctl,
	       int (*fn)(const struct cfg *cfg, struct store *store, int argc,
			 char **argv),
	       int argc, char **argv)
{
	struct store *store;
	struct cfg *cfg;
	int ret;

	if (ctl_load_config(ctl, &cfg) < 0)
		return EX_CONFIG;
	if (ctl_open_store(cfg, &store) < 0) {
		cfg_free(&cfg);
		return 1;
	}
	ret = fn(cfg, store, argc, argv);
	store_free(&store);
	cfg_free(&cfg);
	return ret;
}

/* Decodes the character at S (of LEN bytes): its length in bytes, its
   width in columns in *W_R, and whether to print it as a space. */
static size_t
next_char(const char *s, size_t len, mbstate_t *mb, int *w_r, int *blank_r)
{
	wchar_t wc;
	size_t n;

	if (MB_CUR_MAX == 1) {
		/* A locale without multibyte text (LANG=C over ssh, from
		   a terminal that shows UTF-8): cirm's text is UTF-8, so a
		   sequence of it is one character, never cut in two; any
		   other byte passes through. The terminal is UTF-8 whatever
		   the locale says, and acts on a C1 control written in
		   UTF-8 ("\xc2\x9b", CSI) as on ESC [: blanked, as a lone
		   byte of that range is (CSI to an 8-bit terminal). */
		const unsigned char *u = (const unsigned char *)s;
		size_t k = u[0] >= 0xc2 && u[0] <= 0xdf ? 2 :
			u[0] >= 0xe0 && u[0] <= 0xef ? 3 :
			u[0] >= 0xf0 && u[0] <= 0xf4 ? 4 : 1;

		for (n = 1; n < k && n < len && (u[n] & 0xc0) == 0x80; n++)
			;
		if (n != k)
			k = 1;
		*w_r = 1;
		*blank_r = u[0] < 0x20 || u[0] == 0x7f ||
			(k == 1 && u[0] >= 0x80 && u[0] <= 0x9f) ||
			(k == 2 && u[0] == 0xc2 && u[1] <= 0x9f);
		return k;
	}
	n = mbrtowc(&wc, s, len, mb);
	*blank_r = 0;
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		memset(mb, 0, sizeof(*mb));
		*w_r = 1;
		*blank_r = 1;
		return 1;
	}
	*w_r = wcwidth(wc);
	if (*w_r < 0) {
		*w_r = 1;
		*blank_r = 1;
	}
	return n;
}

void
ctl_print_addr(const char *label, const struct mime_address *a)
{
	char *both;

	if (a->addr == NULL && a->name == NULL)
		return;
	ctl_print_cell(stdout, label, 14);
	if (a->name != NULL) {
		both = xasprintf("%s <%s>", a->name, a->addr != NULL ? a->addr : "");
		ctl_print_cell(stdout, both, 0);
		free(both);
	} else
		ctl_print_cell(stdout, a->addr, 0);
	fputc('\n', stdout);
}

const char *
ctl_print_lines(const char *text, const char *prefix, int max)
{
	const char *p = text != NULL ? text : "";

	for (int lines = 0; *p != '\0' && (max == 0 || lines < max);
	     lines++) {
		size_t n = strcspn(p, "\n");
		char *line = xstrndup(p, n);

		fputs(prefix, stdout);
		ctl_print_cell(stdout, line, 0);
		fputc('\n', stdout);
		free(line);
		p += n + (p[n] == '\n');
	}
	return p;
}

int
ctl_cell_width(const char *s)
{
	int total = 0, w, blank;
	mbstate_t mb;
	size_t len = strlen(s), n;

	memset(&mb, 0, sizeof(mb));
	for (size_t i = 0; i < len; i += n) {
		n = next_char(s + i, len - i, &mb, &w, &blank);
		total += w;
	}
	return total;
}

void
ctl_print_cell(FILE *out, const char *s, int width)
{
	int total, used = 0, limit, w, blank;
	mbstate_t mb;
	size_t len, n;

	if (s == NULL)
		s = "-";
	len = strlen(s);
	total = ctl_cell_width(s);
	/* The last column of a cell is the gap to the next one. */
	limit = width <= 0 || total <= width - 1 ? total : width - 2;
	memset(&mb, 0, sizeof(mb));
	for (size_t i = 0; i < len; i += n) {
		n = next_char(s + i, len - i, &mb, &w, &blank);
		if (used + w > limit)
			break;
		if (blank)
			fputc(' ', out);
		else
			fwrite(s + i, 1, n, out);
		used += w;
	}
	if (limit < total) {
		fputs("\u2026", out);
		used++;
	}
	for (; used < width; used++)
		fputc(' ', out);
}

void
ctl_print_right(FILE *out, const char *s, int width)
{
	int total = ctl_cell_width(s);

	for (; total < width; total++)
		fputc(' ', out);
	fputs(s, out);
}

const char *
ctl_address_kind(const char *kind)
{
	/* TRANSLATORS: the kinds of a citizen's address in case show */
	return strcmp(kind, "phone") == 0 ? _("phone") :
		strcmp(kind, "email") == 0 ? _("email") : kind;
}

/* A label and its value, the value in the column after the label's
   when the label fits in it; a longer label (a translation's,
   "Sammanslagna hit:") is printed whole, never cut. */
void
ctl_field(const char *label, const char *value)
{
	if (ctl_cell_width(label) < 14)
		ctl_print_cell(stdout, label, 14);
	else
		printf("%s ", label);
	ctl_print_cell(stdout, value, 0);
	fputc('\n', stdout);
}

const char *
ctl_time(long long t, char buf[32])
{
	if (t == 0)
		return "-";
	return local_minute(t, buf);
}

/* What the command printed must have reached standard output: "quarantine
   show ID --raw >q.eml" on a full disk must not succeed with half a mail
   (the administrator may discard the message next). A reader that went
   away (EPIPE, "| head" with SIGPIPE ignored) wanted no more: quiet.
   RET, or 1 when it was 0 and the output is lost. */
static int
finish_output(int ret)
{
	int failed = fflush(stdout) != 0, e = errno;

	if (!failed && !ferror(stdout))
		return ret;
	if (failed && e == EPIPE)
		return ret;
	if (failed)
		ctl_error(_("cannot write the output: %s"), strerror(e));
	else
		ctl_error("%s", _("cannot write the output"));
	return ret != 0 ? ret : 1;
}

static const struct {
	const char *name;
	int (*fn)(const struct ctl *ctl, int argc, char **argv);
} commands[] = {
	{ "init", ctl_init },
	{ "config", ctl_config },
	{ "case", ctl_case },
	{ "mail", ctl_mail },
	{ "quarantine", ctl_quarantine },
	{ "workflow", ctl_workflow },
	{ "status", ctl_status },
	{ "handler", ctl_handler },
	{ "sms", ctl_sms },
	{ "spool", ctl_spool },
	{ "maildir", ctl_maildir },
	{ "audit", ctl_audit },
	{ "backup", ctl_backup },
	{ "restore", ctl_restore },
	{ "citizen", ctl_citizen },
	{ "report", ctl_report },
};

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl ctl = { NULL };
	int c;

	/* The database, spool and logs hold personal data: nothing cirm
	   creates is for others to read. */
	umask(027);
	i18n_init();
	/* Swedish opening hours, holidays and dates, whatever the
	   host's time zone (TZ overrides) */
	(void)calendar_zone_init();
	/* '+': options end at the command; each command parses its own. */
	while ((c = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			ctl.config = optarg;
			break;
		case 'h':
			usage(stdout);
			return finish_output(0);
		case 'V':
			printf("cirmctl (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			/* what an upgrade brings the database to */
			printf(_("database schema %d\n"), store_schema_latest());
			return finish_output(0);
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind >= argc) {
		ctl_error("%s", _("no command given"));
		usage(stderr);
		return EX_USAGE;
	}
	/* "cirmctl case list -c FILE": the command would read the default
	   file and blame it, not the one given */
	for (int i = optind + 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-c") == 0 ||
		    (strncmp(argv[i], "--config", 8) == 0 &&
		     (argv[i][8] == '\0' || argv[i][8] == '='))) {
			ctl_error(_("%s goes before the command: cirmctl -c "
				    "FILE %s ..."), argv[i], argv[optind]);
			return EX_USAGE;
		}
	}
	for (size_t i = 0; i < N_ELEMENTS(commands); i++) {
		if (strcmp(argv[optind], commands[i].name) == 0) {
			int sub_argc = argc - optind;
			char **sub_argv = argv + optind;

			optind = 0; /* a fresh getopt for the command */
			return finish_output(commands[i].fn(&ctl, sub_argc,
							    sub_argv));
		}
	}
	ctl_error(_("unknown command '%s'"), argv[optind]);
	usage(stderr);
	return EX_USAGE;
}
