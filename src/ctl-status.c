/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cirmctl status: is cirmd running, its gateway processes, the queues. */
#include "config.h"

#include "cfg.h"
#include "ctl.h"
#include "i18n.h"
#include "lockfile.h"
#include "store.h"
#include "supervise.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>


enum gw_state { GW_UNUSED, GW_RUNNING, GW_DOWN, GW_STOPPED };

struct gw_info {
	enum gw_state state;
	long pid;
	long long since;
	int restarts;
	/* running, but it cannot work: why (NULL when it can), since */
	char *problem;
	long long problem_since;
};

/* Whether process PID lives: a zombie does not (its parent, cirmd, has
   not reaped it: stopped or hung). */
static bool
alive(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *f;
	bool zombie = false;

	if (kill(pid, 0) != 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) != NULL) {
		/* "pid (comm) S ...": the state follows the last ')' */
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    (p = strrchr(buf, ')')) != NULL)
			zombie = p[1] == ' ' && p[2] == 'Z';
		fclose(f);
	}
	return !zombie;
}

/* What the running gateway G of NAME recorded that keeps it from
   working (gateway_problem): believed of its own pid only, for one that
   died or an earlier run may have left one. */
static void
gateway_problem(struct store *store, const char *name, struct gw_info *g)
{
	char *value = NULL, *err = NULL;
	long pid;
	long long since;
	int at = 0;

	if (store_gateway_state_get(store, name, "problem", &value,
				    &err) < 0)
		free(err);
	else if (value != NULL &&
		 sscanf(value, "%ld %lld %n", &pid, &since, &at) == 2 &&
		 at > 0 && pid == g->pid && value[at] != '\0') {
		g->problem = xstrdup(value + at);
		g->problem_since = since;
	}
	free(value);
}

/* What cirmd recorded of gateway NAME (CIRMD: its pid, or 0). */
static struct gw_info
gateway_info(struct store *store, const char *name, pid_t cirmd)
{
	char *key = xasprintf("process.%s", name), *value = NULL, *err = NULL;
	struct gw_info g = { GW_UNUSED, 0, 0, 0, NULL, 0 };

	if (store_gateway_state_get(store, "cirmd", key, &value, &err) < 0) {
		free(err);
	} else if (value != NULL && *value != '\0') {
		if (sscanf(value, "%ld %lld %d", &g.pid, &g.since,
			   &g.restarts) != 3)
			g.pid = 0, sscanf(value, "- %lld %d", &g.since,
					  &g.restarts);
		if (cirmd != 0 && g.pid > 0 && alive((pid_t)g.pid)) {
			g.state = GW_RUNNING;
			gateway_problem(store, name, &g);
		} else
			g.state = cirmd != 0 ? GW_DOWN : GW_STOPPED;
	}
	free(value);
	free(key);
	return g;
}

static void
print_gateway(const char *name, const struct gw_info *g, int *shown)
{
	char when[32];

	if (g->state != GW_UNUSED)
		(*shown)++;
	switch (g->state) {
	case GW_RUNNING:
		printf(_("  %-8s running, pid %ld, since %s, %d restarts\n"),
		       name, g->pid, ctl_time(g->since, when), g->restarts);
		if (g->problem != NULL)
			printf(_("           but not working since %s: %s\n"),
			       ctl_time(g->problem_since, when), g->problem);
		break;
	case GW_DOWN:
		printf(_("  %-8s down (restarting), %d restarts\n"), name,
		       g->restarts);
		break;
	case GW_STOPPED:
		printf(_("  %-8s not running\n"), name);
		break;
	case GW_UNUSED:
		break;
	}
}

/* How the running cirmd's last load of the configuration went, when it
   had errors (record_load in daemon.c): 1 with *WHEN_R, *HOW_R
   ("start", "reloaded", "refused"), *N_R and *FIRST_R (caller frees),
   else 0. */
static int
load_info(struct store *store, long long *when_r, char how_r[16], int *n_r,
	  char **first_r)
{
	char *value = NULL, *err = NULL;
	int at = 0, ret = 0;

	if (store_gateway_state_get(store, "cirmd", "load", &value,
				    &err) < 0)
		free(err);
	else if (value != NULL &&
		 sscanf(value, "%lld %15s %d %n", when_r, how_r, n_r,
			&at) == 3 && at > 0 && *n_r > 0) {
		*first_r = xstrdup(value + at);
		ret = 1;
	}
	free(value);
	return ret;
}

/* Under cirmd's line: the errors of its last load of the
   configuration. */
static void
print_load(long long when, const char *how, int n, const char *first)
{
	char t[32];

	ctl_time(when, t);
	if (strcmp(how, "refused") == 0)
		printf(ngettext("  the reload at %s was refused, the "
				"configuration before stays: %d error: %s\n",
				"  the reload at %s was refused, the "
				"configuration before stays: %d errors; the "
				"first: %s\n", (unsigned long)n), t, n, first);
	else if (strcmp(how, "reloaded") == 0)
		printf(ngettext("  the reload at %s had %d error, and what it "
				"concerns stays as it was: %s\n",
				"  the reload at %s had %d errors, and what "
				"they concern stays as it was; the first: %s\n",
				(unsigned long)n), t, n, first);
	else
		printf(ngettext("  the start at %s found %d error in the "
				"configuration: %s\n",
				"  the start at %s found %d errors in the "
				"configuration; the first: %s\n",
				(unsigned long)n), t, n, first);
}

/* Nagios plugin states, for --check. */
enum { CHECK_OK, CHECK_WARNING, CHECK_CRITICAL, CHECK_UNKNOWN };

struct check {
	int state;
	struct strlist problems;
};

static void
problem(struct check *ck, int state, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
problem(struct check *ck, int state, const char *fmt, ...)
{
	va_list ap;
	char *m;

	va_start(ap, fmt);
	m = xvasprintf(fmt, ap);
	va_end(ap);
	strlist_add(&ck->problems, m);
	free(m);
	if (state > ck->state)
		ck->state = state;
}

/* A queue whose oldest row waits longer than the limits; with the
   error of the newest of its rows that failed (ERROR, scrubbed by
   store_counts; "" when none did), for that is why the queue does not
   move. */
static void
check_age(struct check *ck, const char *queue, int64_t oldest, int64_t now,
	  long warn_min, long crit_min, const char *error)
{
	long min = oldest > 0 && now > oldest ? (long)((now - oldest) / 60) : 0;

	if (oldest != 0 && min >= warn_min)
		problem(ck, min >= crit_min ? CHECK_CRITICAL : CHECK_WARNING,
			"%s: the oldest has waited %ld min%s%s%s", queue, min,
			*error != '\0' ? " (the newest error: " : "", error,
			*error != '\0' ? ")" : "");
}

/* Under a queue's line: how many rows wait after an error, and the
   error of the newest of them. */
static void
print_failing(int64_t n, const char *error, int outbox)
{
	const char *why = *error != '\0' ? error : "?";

	if (n == 0)
		return;
	if (outbox)
		printf(ngettext("              %lld waits after a failed "
				"attempt: %s\n",
				"              %lld wait after a failed "
				"attempt; the newest: %s\n",
				(unsigned long)n), (long long)n, why);
	else
		printf(ngettext("              %lld put off after an error: "
				"%s\n",
				"              %lld put off after an error; "
				"the newest: %s\n", (unsigned long)n),
		       (long long)n, why);
}

long long
ctl_files_waiting(const char *dir, bool (*wants)(const char *name),
		  int64_t *oldest_r)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	long long n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		struct stat st;

		if (e->d_name[0] == '.' ||
		    (wants != NULL && !wants(e->d_name)) ||
		    fstatat(dirfd(d), e->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		n++;
		if (*oldest_r == 0 || st.st_mtime < *oldest_r)
			*oldest_r = st.st_mtime;
	}
	closedir(d);
	return n;
}

long long
ctl_mailgate_waiting(const char *dir, int64_t *oldest_r)
{
	char *newdir = xasprintf("%s/new", dir);
	long long n;

	*oldest_r = 0;
	n = ctl_files_waiting(newdir, NULL, oldest_r);
	free(newdir);
	return n;
}

/* An SMS the smstools gateway wrote (cirm-ID-TIME). */
static bool
sms_written(const char *name)
{
	return strncmp(name, "cirm-", 5) == 0;
}

/* The files smsd and cirm share in SUB of the smstools SPOOL that wait:
   in incoming/, the SMS smsd received, which the smstools gateway has
   not taken in; in outgoing/ and checked/, the gateway's own that smsd
   has not sent yet. As ctl_files_waiting. */
static long long
sms_spool_waiting(const char *spool, const char *sub, int64_t *oldest_r)
{
	char *path = xasprintf("%s/%s", spool, sub);
	long long n = ctl_files_waiting(path, strcmp(sub, "incoming") == 0 ?
				    smsd_incoming_name : sms_written, oldest_r);

	free(path);
	return n;
}

static const char *const check_names[] = { "OK", "WARNING", "CRITICAL",
					     "UNKNOWN" };

#define USAGE N_("usage: cirmctl status [--check [--warning MINUTES] " \
		 "[--critical MINUTES]]")

/* A usage error MSG (freed): on standard error with EX_USAGE, or for
   --check as its one line, UNKNOWN. */
static int
usage_result(int check, char *msg)
{
	int ret = EX_USAGE;

	if (check) {
		printf("CIRM UNKNOWN - %s\n", msg);
		ret = CHECK_UNKNOWN;
	} else {
		ctl_error("%s", msg);
	}
	free(msg);
	return ret;
}

static int
compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The copies of the database that restore or an upgrade kept beside it
   (DATABASE.before-restore-YYYYMMDD-HHMMSS, .before-upgrade-...): each
   holds the citizens' data as it was, which retention never reaches,
   so they are named until someone removes them. */
static void
print_kept_copies(const char *database, const char *kind,
		  const char *heading)
{
	char *dir = path_dir(database), *prefix;
	const char *base = strrchr(database, '/');
	struct strlist names = { 0 };
	DIR *d = opendir(dir);
	struct dirent *e;

	base = base != NULL ? base + 1 : database;
	prefix = xasprintf("%s.%s-", base, kind);
	while (d != NULL && (e = readdir(d)) != NULL)
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			strlist_add(&names, e->d_name);
	if (d != NULL)
		closedir(d);
	if (names.n > 0) {
		qsort(names.v, names.n, sizeof(*names.v), compare_strings);
		printf("%s\n", heading);
		for (size_t i = 0; i < names.n; i++)
			printf("  %s/%s\n", dir, names.v[i]);
	}
	strlist_clear(&names);
	free(prefix);
	free(dir);
}

int
ctl_status(const struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "check", no_argument, NULL, 'k' },
		{ "warning", required_argument, NULL, 'w' },
		{ "critical", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	struct cfg *cfg = NULL;
	struct store *store = NULL;
	struct store_counts c;
	struct check ck = { CHECK_OK, { 0 } };
	char *lock, *err = NULL, *why = NULL;
	long warn_min = 15, crit_min = 60;
	int opt, check = 0, asked_check = 0, limits = 0, ret = 1,
	    gateways = 0;
	int64_t now = cirm_now(), mailgate_oldest;
	int64_t sms_in_oldest = 0, sms_out_oldest = 0;
	long long mailgate, load_when = 0, sms_in = 0, sms_out = 0;
	char load_how[16], *load_first = NULL;
	int load_n = 0;
	pid_t pid;

	/* a monitoring check that is called wrongly is UNKNOWN (3), as
	   plugins say it, with its one line: 64 would read as "out of
	   bounds" there */
	/* (a first pass, silent, as getopt_long reads them: -k, --check
	   cut short; then a fresh start for the pass that says what is
	   wrong) */
	opterr = 0;
	while ((opt = ctl_getopt(argc, argv, "kw:C:", opts)) != -1)
		if (opt == 'k')
			asked_check = 1;
	opterr = 1;
	optind = 0;
	while ((opt = ctl_getopt(argc, argv, "kw:C:", opts)) != -1) {
		switch (opt) {
		case 'k':
			check = 1;
			break;
		case 'w':
		case 'C':
			limits = 1;
			if (str_to_long(optarg, 1, 7 * 24 * 60,
					opt == 'w' ? &warn_min : &crit_min) < 0) {
				return usage_result(asked_check, xasprintf(
					_("--%s must be a number of minutes "
					  "from 1 to 10080, not '%s'"),
					opt == 'w' ? "warning" : "critical",
					optarg));
			}
			break;
		default:
			return usage_result(asked_check, xstrdup(_(USAGE)));
		}
	}
	/* with --check, what monitoring reads (stdout) names the word */
	if (asked_check && optind < argc)
		return usage_result(asked_check, xasprintf(
			_("unexpected argument '%s'; %s"), argv[optind],
			_(USAGE)));
	if (ctl_too_many(argc, argv, optind, 0) || (limits && !check))
		return usage_result(asked_check, xstrdup(_(USAGE)));
	if (warn_min > crit_min)
		return usage_result(asked_check, xasprintf(
			_("--warning (%ld) must not be above --critical "
			  "(%ld)"), warn_min, crit_min));
	if (ctl_load_config_why(ctl, &cfg, &why) < 0) {
		ret = check ? CHECK_UNKNOWN : EX_CONFIG;
		/* The monitoring system shows this line alone: what is
		   wrong, such as a key file that its user may not read,
		   while cirmctl config run as the instance's user finds no
		   error at all. */
		if (check)
			printf("CIRM UNKNOWN - the configuration cannot be "
			       "used: %s\n", why);
		free(why);
		goto out;
	}
	if (ctl_open_store_why(cfg, &store, &why) < 0) {
		/* the line alone is what the monitoring system shows: why,
		   such as a database path that names no database */
		if (check) {
			printf("CIRM UNKNOWN - the database cannot be "
			       "opened: %s\n", why);
			ret = CHECK_UNKNOWN;
		}
		free(why);
		goto out;
	}
	lock = xasprintf("%s.cirmd-lock", cfg_str(cfg, CFG_DATABASE));
	pid = lockfile_holder(lock);
	free(lock);
	if (!check) {
		if (pid != 0)
			printf(_("cirmd: running, pid %ld\n"), (long)pid);
		else
			printf("%s\n", _("cirmd: not running"));
	} else if (pid == 0) {
		problem(&ck, CHECK_CRITICAL, "cirmd is not running");
	}
	/* an edit that did not take effect: until a load without errors
	   (a reload, or cirmd's next start) */
	if (pid != 0 && load_info(store, &load_when, load_how, &load_n,
				  &load_first)) {
		char t[32];

		if (!check)
			print_load(load_when, load_how, load_n, load_first);
		else
			problem(&ck, CHECK_WARNING, "the %s at %s %s %d "
				"configuration error%s (the first: %s)",
				strcmp(load_how, "start") == 0 ? "start" :
				"reload", ctl_time(load_when, t),
				strcmp(load_how, "refused") == 0 ?
				"was refused for" : "left", load_n,
				load_n == 1 ? "" : "s", load_first);
		free(load_first);
	}
	if (!check)
		printf("%s\n", _("Gateways:"));
	for (size_t i = 0; supervisor_gateways[i] != NULL; i++) {
		const char *name = supervisor_gateways[i];
		struct gw_info g = gateway_info(store, name, pid);

		if (!check)
			print_gateway(name, &g, &gateways);
		else if (g.state == GW_DOWN)
			problem(&ck, CHECK_CRITICAL, "gateway %s is down "
				"(%d restarts)", name, g.restarts);
		else if (g.problem != NULL)
			problem(&ck, CHECK_WARNING, "gateway %s runs but does "
				"not work: %s", name, g.problem);
		free(g.problem);
	}
	/* an instance cirmd never ran on: not an empty heading */
	if (!check && gateways == 0)
		printf("  %s\n", _("none has run yet: cirmd starts them"));
	if (store_counts(store, now, &c, &err) < 0) {
		ctl_error("%s", err);
		free(err);
		if (check) {
			printf("CIRM UNKNOWN - the database cannot be read\n");
			ret = CHECK_UNKNOWN;
		}
		goto out;
	}
	mailgate = ctl_mailgate_waiting(cfg_str(cfg, CFG_MAILGATE_DIR),
					&mailgate_oldest);
	/* With smstools, an SMS has left the outbox once its file is
	   written: one smsd never takes (smsd stopped, the modem gone)
	   waits in the spool, where only the spool shows it. */
	if (strcmp(cfg_str(cfg, CFG_SMS_TRANSPORT), "smstools") == 0) {
		const char *spool = cfg_str(cfg, CFG_SMS_SPOOL_DIR);

		sms_in = sms_spool_waiting(spool, "incoming", &sms_in_oldest);
		sms_out = sms_spool_waiting(spool, "outgoing",
					    &sms_out_oldest) +
			  sms_spool_waiting(spool, "checked", &sms_out_oldest);
	}
	if (check) {
		char *text;

		check_age(&ck, "mailgate", mailgate_oldest, now, warn_min,
			  crit_min, "");
		check_age(&ck, "inbox", c.inbox_oldest, now, warn_min,
			  crit_min, c.inbox_error);
		check_age(&ck, "outbox", c.outbox_oldest, now, warn_min,
			  crit_min, c.outbox_error);
		check_age(&ck, "sms incoming (smsd's spool)", sms_in_oldest,
			  now, warn_min, crit_min, "");
		check_age(&ck, "sms outgoing (not sent by smsd: does smsd "
			  "run?)", sms_out_oldest, now, warn_min, crit_min,
			  "");
		/* an officer's mailbox gone or mistyped: the cases still
		   move, but that officer hears of none of them */
		if (c.notify_failed > 0)
			problem(&ck, CHECK_WARNING, "%lld notification%s to "
				"case officers failed for good in the last 24 "
				"hours (the newest: %s)",
				(long long)c.notify_failed,
				c.notify_failed == 1 ? "" : "s",
				*c.notify_error != '\0' ? c.notify_error : "?");
		/* a workflow's group or handler missing (misspelt): what
		   it sends there, an escalation say, reaches nobody */
		if (c.actions_skipped > 0)
			problem(&ck, CHECK_WARNING, "%lld workflow action%s "
				"skipped in the last 24 hours for a handler or "
				"group the instance lacks (the newest: %s)",
				(long long)c.actions_skipped,
				c.actions_skipped == 1 ? "" : "s",
				*c.skip_error != '\0' ? c.skip_error : "?");
		for (size_t i = 0; i < ck.problems.n; i++) {
			char *p = ck.problems.v[i];

			ck.problems.v[i] = xasprintf("%s%s", i > 0 ? "; " : "",
						     p);
			free(p);
		}
		/* (empties the list) */
		text = ck.problems.n > 0 ? strlist_join(&ck.problems) :
			xstrdup("cirmd and its gateways run, the queues move");
		/* for monitoring systems: one line, in English, with
		   performance data after the bar */
		printf("CIRM %s - %s | inbox=%lld inbox_oldest_s=%lld "
		       "outbox=%lld outbox_oldest_s=%lld quarantine=%lld "
		       "cases=%lld mailgate=%lld inbox_failing=%lld "
		       "outbox_failing=%lld notify_failed=%lld "
		       "actions_skipped=%lld sms_in=%lld sms_out=%lld\n",
		       check_names[ck.state],
		       text,
		       (long long)c.inbox,
		       (long long)(c.inbox_oldest > 0 ? now - c.inbox_oldest :
				   0),
		       (long long)c.outbox,
		       (long long)(c.outbox_oldest > 0 ?
				   now - c.outbox_oldest : 0),
		       (long long)c.quarantine, (long long)c.cases, mailgate,
		       (long long)c.inbox_failing, (long long)c.outbox_failing,
		       (long long)c.notify_failed,
		       (long long)c.actions_skipped, sms_in, sms_out);
		free(text);
		ret = ck.state;
		goto out;
	}
	printf("%s\n", _("Queues:"));
	printf(_("  mailgate    %lld stored, not yet in the inbox\n"),
	       mailgate);
	/* delivered into the Maildir, which cirm-gateway maildir takes in
	   while cirmd runs as a service (cirmd --once does not) */
	{
		char *dir = xasprintf("%s/inbox",
				      cfg_str(cfg, CFG_MAILDIR_DIR));
		int64_t oldest;

		printf(_("  maildir     %lld delivered, not yet in the inbox\n"),
		       ctl_mailgate_waiting(dir, &oldest));
		free(dir);
	}
	if (strcmp(cfg_str(cfg, CFG_SMS_TRANSPORT), "smstools") == 0) {
		printf(_("  sms in      %lld received by smsd, not yet in the "
			 "inbox\n"), sms_in);
		printf(_("  sms out     %lld written for smsd, not yet sent by "
			 "it\n"), sms_out);
	}
	if (strcmp(cfg_str(cfg, CFG_SMS_TRANSPORT), "none") != 0 ||
	    c.sms_partial > 0)
		/* short, as the other queues' lines: sms_parts_timeout
		   is in cirmctl(1) */
		printf(_("  sms parts   %lld long SMS waiting for their other "
			 "parts\n"), (long long)c.sms_partial);
	printf(_("  inbox       %lld (%lld due now)\n"), (long long)c.inbox,
	       (long long)c.inbox_due);
	print_failing(c.inbox_failing, c.inbox_error, 0);
	printf(_("  outbox      %lld to send\n"), (long long)c.outbox);
	print_failing(c.outbox_failing, c.outbox_error, 1);
	if (c.notify_failed > 0)
		printf(ngettext("              %lld notification to case "
				"officers failed for good in the last 24 "
				"hours: %s\n",
				"              %lld notifications to case "
				"officers failed for good in the last 24 "
				"hours; the newest: %s\n",
				(unsigned long)c.notify_failed),
		       (long long)c.notify_failed,
		       *c.notify_error != '\0' ? c.notify_error : "?");
	printf(_("  quarantine  %lld\n"), (long long)c.quarantine);
	printf(_("  cases       %lld\n"), (long long)c.cases);
	if (c.actions_skipped > 0)
		printf(ngettext("              %lld workflow action skipped "
				"in the last 24 hours for a handler or group "
				"the instance lacks: %s\n",
				"              %lld workflow actions skipped "
				"in the last 24 hours for a handler or group "
				"the instance lacks; the newest: %s\n",
				(unsigned long)c.actions_skipped),
		       (long long)c.actions_skipped,
		       *c.skip_error != '\0' ? c.skip_error : "?");
	print_kept_copies(cfg_str(cfg, CFG_DATABASE), "before-restore",
			  _("Kept by restore, with the citizens' data as "
			    "it was (retention does not reach them; "
			    "remove each once it is no longer needed):"));
	print_kept_copies(cfg_str(cfg, CFG_DATABASE), "before-upgrade",
			  _("Kept by an upgrade, the database as an older "
			    "cirm left it, with the citizens' data as it was "
			    "(retention does not reach them; remove each "
			    "once this cirm runs well):"));
	ret = pid != 0 ? 0 : 3;
out:
	strlist_clear(&ck.problems);
	store_free(&store);
	cfg_free(&cfg);
	return ret;
}
