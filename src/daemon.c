/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "daemon.h"

#include "caseflow.h"
#include "cfg.h"
#include "digest.h"
#include "engine.h"
#include "housekeep.h"
#include "i18n.h"
#include "instance.h"
#include "lockfile.h"
#include "log.h"
#include "mailin.h"
#include "retention.h"
#include "supervise.h"
#include "secret.h"
#include "settings.h"
#include "store.h"
#include "template.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

struct daemon {
	const struct daemon_options *o;
	struct cfg *cfg;
	struct store *store;
	struct engine *engine;
	struct mailin *mailin;
	struct supervisor *gateways;	/* NULL with --once */
	struct housekeep *prune;	/* the spool prune running, or NULL */
	int64_t pruned_at;		/* when the last one started, or 0 */
	char *database; /* as opened: it cannot change until restart */
	long busy_timeout;
	int lock_fd;
	/* of what the gateways read when they start (gateway_inputs) */
	unsigned char gw_digest[EVP_MAX_MD_SIZE];
	/* the errors of the configuration's last load: how many, the
	   first (for cirmctl status: record_load) */
	int load_errors;
	char *load_first;
};

const char *
daemon_default_config(void)
{
	const char *env = getenv("CIRM_CONF");

	return env != NULL && *env != '\0' ? env : SYSCONFDIR "/cirm/cirm.conf";
}

/* Says a configuration error MSG: at startup on the terminal (STDERR),
   else or also (LOG) in the log, one line each of the file:line:
   messages MSG may hold (a workflow's come joined by newlines, which the
   log would run together on one line), and counts them in D. */
static void
config_error(struct daemon *d, const char *msg, int to_stderr, int to_log)
{
	while (*msg != '\0') {
		size_t len = strcspn(msg, "\n");

		if (len > 0) {
			if (to_stderr)
				fprintf(stderr, "cirmd: %.*s\n", (int)len, msg);
			if (to_log)
				log_errorx("%.*s", (int)len, msg);
			if (d->load_errors++ == 0)
				d->load_first = xstrndup(msg, len);
		}
		msg += len + (msg[len] != '\0');
	}
}

/* Loads and checks the configuration and the instance key. Problems go to
   stderr at startup and to the log on reload. */
static int
load_config(struct daemon *d, const char *path, int startup,
	    struct cfg **cfg_r)
{
	unsigned char key[SECRET_KEY_LEN];
	struct strlist errors = { 0 };
	char *err = NULL;
	int ret = 0;

	if (cfg_load(path, cfg_r, &errors) < 0) {
		for (size_t i = 0; i < errors.n; i++)
			config_error(d, errors.v[i], startup, !startup);
		strlist_clear(&errors);
		return -1;
	}
	if (cfg_load_key(*cfg_r, key, &err) < 0) {
		config_error(d, err, startup, !startup);
		free(err);
		cfg_free(cfg_r);
		ret = -1;
	}
	memset(key, 0, sizeof(key));
	return ret;
}

/* Records for cirmctl status how the configuration's last load went, as
   "WHEN HOW ERRORS FIRST" (HOW: start, reloaded or refused), or "" when
   it had no error; the count starts again. Best effort. */
static void
record_load(struct daemon *d, const char *how)
{
	char *value = d->load_errors == 0 ? xstrdup("") :
		xasprintf("%lld %s %d %.300s", (long long)cirm_now(), how,
			  d->load_errors, d->load_first);
	char *err = NULL;

	if (store_begin(d->store, &err) < 0 ||
	    store_gateway_state_set(d->store, "cirmd", "load", value,
				    &err) < 0 ||
	    store_commit(d->store, &err) < 0) {
		store_rollback(d->store);
		log_warnx("recording the configuration's load for cirmctl "
			  "status: %s", err);
		free(err);
	}
	free(value);
	d->load_errors = 0;
	free(d->load_first);
	d->load_first = NULL;
}

static void
start_logging(const struct cfg *cfg)
{
	log_init("cirmd", cfg_str(cfg, CFG_LOG_TARGET),
		 cfg_str(cfg, CFG_LOG_LEVEL), cfg_str(cfg, CFG_SYSLOG_FACILITY));
}

/* A warning about the configuration, at each load: logged, and at
   startup also on the terminal the administrator started cirmd from. */
static void
warn_config(const struct daemon *d, const char *msg)
{
	if (d->mailin == NULL &&
	    strcmp(cfg_str(d->cfg, CFG_LOG_TARGET), "stderr") != 0)
		fprintf(stderr, "cirmd: %s\n", msg);
	log_warnx("%s", msg);
}

/* Citizens' mail and personal data: a database, spool, Maildir or SMS
   spool that every user of the machine may open is said at each load. cirmctl
   init makes them closed (0750 and 0640 under umask 027); a copy by
   hand, a restore from an archive, a chmod for a test opens them. */
static void
check_private(struct daemon *d)
{
	static const enum setting_id keys[] = {
		CFG_DATABASE, CFG_SPOOL_DIR, CFG_MAILDIR_DIR, CFG_MAILGATE_DIR,
		CFG_SMS_SPOOL_DIR,
	};

	for (size_t i = 0; i < N_ELEMENTS(keys); i++) {
		const char *path = cfg_str(d->cfg, keys[i]);
		struct stat st;
		char *where, *msg;

		if (stat(path, &st) < 0 || (st.st_mode & S_IRWXO) == 0)
			continue;
		where = cfg_blame(d->cfg, keys[i]);
		msg = xasprintf("%s: open to every user of this machine (mode "
				"%04o), and it holds citizens' personal data: "
				"chmod o-rwx %s", where,
				(unsigned)(st.st_mode & 07777), path);
		warn_config(d, msg);
		free(msg);
		free(where);
	}
}

/* Retention runs in the housekeeping: with it off, a retention that is
   set is never applied, which nothing else would show. */
static void
check_housekeeping(struct daemon *d)
{
	char *where, *msg;

	if (d->o->once || cfg_int(d->cfg, CFG_SPOOL_PRUNE_INTERVAL) != 0 ||
	    (strcmp(cfg_str(d->cfg, CFG_CASE_RETENTION), "none") == 0 &&
	     strcmp(cfg_str(d->cfg, CFG_QUARANTINE_RETENTION), "none") == 0 &&
	     strcmp(cfg_str(d->cfg, CFG_MAILDIR_RETENTION), "none") == 0 &&
	     strcmp(cfg_str(d->cfg, CFG_OUTBOX_RETENTION), "none") == 0))
		return;
	where = cfg_blame(d->cfg, CFG_SPOOL_PRUNE_INTERVAL);
	msg = xasprintf("%s: cirmd's housekeeping is off, and with it "
			"case_retention, quarantine_retention, "
			"maildir_retention and outbox_retention: nothing is "
			"removed unless cirmctl case prune, quarantine prune "
			"and maildir prune run (from cron, say)", where);
	warn_config(d, msg);
	free(msg);
	free(where);
}

/* case_retention naming a workflow the instance has never had (a
   mistyped id) removes none of the cases meant: said at each load, as
   the workflows' own problems are. */
static void
check_retention(struct daemon *d)
{
	struct retention *r = NULL;
	struct strlist unknown = { 0 };
	char *err = NULL, *known = NULL, *where;

	if (retention_parse(cfg_str(d->cfg, CFG_CASE_RETENTION), &r,
			    &err) < 0 || r == NULL ||
	    retention_unknown_workflows(r, d->store, &unknown, &known,
					&err) < 0) {
		if (err != NULL)
			log_warnx("case retention: %s", err);
		free(err);
		retention_free(&r);
		return;
	}
	where = cfg_blame(d->cfg, CFG_CASE_RETENTION);
	for (size_t i = 0; i < unknown.n; i++) {
		char *msg = xasprintf(RETENTION_UNKNOWN_WORKFLOW, where,
				      unknown.v[i], known);

		warn_config(d, msg);
		free(msg);
	}
	free(where);
	free(known);
	strlist_clear(&unknown);
	retention_free(&r);
}

/* The engine and its mail handling, from the current configuration. */
static int
make_engine(struct daemon *d)
{
	struct engine_settings es = {
		.batch = (int)cfg_int(d->cfg, CFG_ENGINE_BATCH),
		.max_attempts = (int)cfg_int(d->cfg, CFG_INBOX_MAX_ATTEMPTS),
		.retry_delay = (int)cfg_int(d->cfg, CFG_INBOX_RETRY_DELAY),
	};
	char *err = NULL;
	struct mailin *mi = mailin_new(d->cfg, &err);
	struct strlist errors = { 0 };
	char *tdir;
	int bad;

	if (mi == NULL) {
		config_error(d, err, 0, 1);
		free(err);
		return -1;
	}
	/* workflows: every problem is logged, file:line first; a
	   template_dir that cannot hold templates is cirm.conf's problem,
	   not every workflow's */
	tdir = template_dir_problem(cfg_str(d->cfg, CFG_TEMPLATE_DIR));
	if (tdir != NULL) {
		char *where = cfg_blame(d->cfg, CFG_TEMPLATE_DIR);

		strlist_addf(&errors, "%s: %s", where, tdir);
		free(where);
		free(tdir);
		bad = -1;
	} else
		bad = mailin_load_workflows(mi, d->store, d->mailin, &errors);
	for (size_t i = 0; i < errors.n; i++)
		/* at startup the administrator is at the terminal */
		config_error(d, errors.v[i], d->mailin == NULL &&
			     strcmp(cfg_str(d->cfg, CFG_LOG_TARGET),
				    "stderr") != 0, 1);
	strlist_clear(&errors);
	if (bad < 0) {
		mailin_free(&mi);
		return -1;
	}
	check_retention(d);
	check_housekeeping(d);
	check_private(d);
	engine_free(&d->engine);
	mailin_free(&d->mailin);
	d->mailin = mi;
	d->engine = engine_new(d->store, &es);
	engine_set_handler(d->engine, "email", mailin_handle, d->mailin);
	engine_set_prepare(d->engine, "email", mailin_prepare,
			   mailin_prepared_free, d->mailin);
	engine_set_handler(d->engine, "sms", mailin_handle_sms, d->mailin);
	engine_set_prepare_sync(d->engine, mailin_prepared_sync, d->mailin);
	engine_set_before_commit(d->engine, mailin_sync, d->mailin);
	engine_set_after_batch(d->engine, mailin_after_batch, d->mailin);
	return 0;
}

static void
digest_file(EVP_MD_CTX *ctx, const char *path)
{
	char buf[8192];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;

		EVP_DigestUpdate(ctx, &e, sizeof(e));
		return;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	close(fd);
}

/* A digest of what the gateways read when they start: cirm.conf and the
   files it names for them (passwords, CA certificates; the instance key
   too). A reload restarts them only when some of it changed, so that
   editing a workflow and reloading does not cut the IMAP and SMTP
   connections. All zero when it cannot be made (then they restart). */
static void
gateway_inputs(const struct cfg *cfg, unsigned char out[EVP_MAX_MD_SIZE])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 0;

	memset(out, 0, EVP_MAX_MD_SIZE);
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return;
	}
	digest_file(ctx, cfg_path(cfg));
	for (size_t i = 0; i < SETTING_COUNT; i++) {
		const char *name = settings[i].name, *v;
		size_t n = strlen(name);
		int ca = n > 8 && strcmp(name + n - 8, "_ca_file") == 0;

		v = cfg_str(cfg, (enum setting_id)i);
		if (settings[i].type != SETTING_SECRET_PATH &&
		    (!ca || strcmp(v, "system") == 0))
			continue;
		EVP_DigestUpdate(ctx, v, strlen(v) + 1);
		digest_file(ctx, v);
	}
	if (EVP_DigestFinal_ex(ctx, out, &len) != 1)
		memset(out, 0, EVP_MAX_MD_SIZE);
	EVP_MD_CTX_free(ctx);
}

/* SIGHUP: a good file replaces the configuration; a bad one is logged
   and the old one stays. The database cannot move under a running
   service. */
static void
reload(struct daemon *d)
{
	const char *path = cfg_path(d->cfg);
	struct cfg *cfg;

	log_info("reloading %s", path);
	if (load_config(d, path, 0, &cfg) < 0) {
		log_errorx("configuration not reloaded; the old one stays");
		record_load(d, "refused");
		return;
	}
	if (strcmp(cfg_str(cfg, CFG_DATABASE), d->database) != 0)
		log_warnx("database: a new path takes effect at restart only");
	if (cfg_int(cfg, CFG_BUSY_TIMEOUT) != d->busy_timeout)
		log_warnx("busy_timeout: a new value takes effect at restart only");
	/* The workflows are part of the configuration: when the default's
	   or a route's is not usable, none of the new file takes effect
	   (neither the logging nor the gateways' settings). */
	{
		struct cfg *old = d->cfg;

		d->cfg = cfg;
		if (make_engine(d) < 0) {
			d->cfg = old;
			cfg_free(&cfg);
			log_errorx("configuration not reloaded; the old one "
				   "stays");
			record_load(d, "refused");
			return;
		}
		if (cfg_int(cfg, CFG_ENGINE_BATCH) !=
		    cfg_int(old, CFG_ENGINE_BATCH)) {
			char *err = NULL;

			if (store_set_cache(d->store, engine_cache_kib(
				(int)cfg_int(cfg, CFG_ENGINE_BATCH)), &err) < 0) {
				log_warnx("engine_batch: the page cache stays "
					  "as it was: %s", err);
				free(err);
			}
		}
		cfg_free(&old);
	}
	start_logging(d->cfg);
	/* what the errors concern (a workflow, a template) stays as it
	   was: the edit did not take effect */
	if (d->load_errors > 0)
		log_warnx("configuration reloaded with %d error%s; what %s "
			  "stays as it was", d->load_errors,
			  d->load_errors == 1 ? "" : "s",
			  d->load_errors == 1 ? "it concerns" : "they concern");
	else
		log_info("configuration reloaded");
	record_load(d, "reloaded");
	if (d->gateways != NULL) {
		unsigned char now[EVP_MAX_MD_SIZE];
		static const unsigned char zero[EVP_MAX_MD_SIZE];
		int changed;

		gateway_inputs(d->cfg, now);
		changed = memcmp(now, d->gw_digest, sizeof(now)) != 0 ||
			  memcmp(now, zero, sizeof(now)) == 0;
		memcpy(d->gw_digest, now, sizeof(now));
		log_info(changed ? "gateways restarted: what they read changed" :
			 "gateways kept: nothing they read changed");
		supervisor_configure(d->gateways, d->cfg, changed);
	}
}

/* digest_settings.state_label: the label of the running workflows. */
static const char *
state_label(void *ctx, const char *workflow, int version, const char *state)
{
	struct daemon *d = ctx;

	return d->mailin != NULL ?
		caseflow_state_label(mailin_caseflow(d->mailin), d->store,
				     workflow, version, state) : NULL;
}

/* digest_settings.due_shown: by the running workflows' calendars. */
static int64_t
due_shown(void *ctx, const char *workflow, int version, int64_t due)
{
	struct daemon *d = ctx;

	return d->mailin != NULL ?
		caseflow_due_shown(mailin_caseflow(d->mailin), d->store,
				   workflow, version, due) : due;
}

/* digest_settings.own_address: signed with the instance key. */
static char *
own_address(void *ctx, struct store *store, int64_t handler_id,
	    char **error_r)
{
	struct daemon *d = ctx;

	return mailin_own_address(d->mailin, store, handler_id, error_r);
}

/* The case officers' digests, when handler_digest says they are due:
   0 with *SENT_R, or -1 (logged). */
static int
send_digests(struct daemon *d, int *sent_r)
{
	struct digest_settings set = {
		.language = cfg_str(d->cfg, CFG_LANGUAGE),
		.name = cfg_str(d->cfg, CFG_MAIL_NAME),
		.address = cfg_str(d->cfg, CFG_MAIL_ADDRESS),
		.state_label = state_label, .due_shown = due_shown,
		.own_address = own_address, .label_ctx = d,
	};
	char *err = NULL;

	*sent_r = 0;
	if (digest_parse_time(cfg_str(d->cfg, CFG_HANDLER_DIGEST),
			      &set.at) < 0 || set.at < 0)
		return 0;
	if (digest_run(d->store, &set, cirm_now(), sent_r, &err) < 0) {
		log_warnx("digest: %s", err);
		free(err);
		return -1;
	}
	if (*sent_r > 0)
		log_info("digest: %d case officers' digests queued", *sent_r);
	return 0;
}

/* One round of the engine's work: the inbox, due timers, the case
   officers' digests, delivery failures. *HANDLED_R counts what was
   done. */
static int
drain_once(struct daemon *d, int *handled_r)
{
	struct engine_stats stats = { 0 };
	char *err = NULL;
	int ret = 0, fired = 0, failed = 0, digests = 0;

	if (engine_drain(d->engine, cirm_now(), &stats, &err) < 0) {
		/* The rows stay queued; the next round tries again. */
		log_warnx("engine: %s", err);
		free(err);
		ret = -1;
	}
	if (stats.done + stats.retried + stats.quarantined > 0)
		log_info("engine: %d done, %d to retry, %d quarantined",
			 stats.done, stats.retried, stats.quarantined);
	if (mailin_fire_timers(d->mailin, d->store, cirm_now(),
			       (int)cfg_int(d->cfg, CFG_ENGINE_BATCH), &fired,
			       &err) < 0) {
		log_warnx("timers: %s", err);
		free(err);
		ret = -1;
	} else if (fired > 0) {
		log_info("timers: %d fired", fired);
	}
	if (send_digests(d, &digests) < 0)
		ret = -1;
	if (mailin_handle_failures(d->mailin, d->store,
				   (int)cfg_int(d->cfg, CFG_ENGINE_BATCH),
				   &failed, &err) < 0) {
		log_warnx("delivery failures: %s", err);
		free(err);
		ret = -1;
	} else if (failed > 0) {
		log_info("delivery failures: %d handled", failed);
	}
	*handled_r = stats.done + fired + failed + digests;
	return ret;
}

static int
drain(struct daemon *d)
{
	int handled = 0, ret = drain_once(d, &handled);

	/* What was handled may have queued mail or SMS: the sending
	   gateways need not wait for their next poll. */
	if (d->gateways != NULL && handled > 0)
		supervisor_wake(d->gateways);
	return ret;
}


/* Waits for a signal or the poll interval; returns the signal, or 0. */
static int
wait_signal(const sigset_t *set, long seconds)
{
	struct timespec ts = { .tv_sec = seconds, .tv_nsec = 0 };
	int sig = sigtimedwait(set, NULL, &ts);

	return sig < 0 ? 0 : sig;
}

/* Starts the spool prune when it is due (at the start, then every
   spool_prune_interval hours), and frees the last one when it is done. */
static void
housekeeping(struct daemon *d, int64_t now)
{
	int64_t interval = cfg_int(d->cfg, CFG_SPOOL_PRUNE_INTERVAL) * 3600;
	struct housekeep_settings set;
	char *cur;

	if (d->prune != NULL && housekeep_done(d->prune))
		housekeep_stop(&d->prune);
	if (d->prune != NULL || interval == 0 ||
	    (d->pruned_at != 0 && now < d->pruned_at + interval))
		return;
	d->pruned_at = now;
	cur = xasprintf("%s/inbox/cur", cfg_str(d->cfg, CFG_MAILDIR_DIR));
	set = (struct housekeep_settings){
		.database = d->database,
		.spool_dir = cfg_str(d->cfg, CFG_SPOOL_DIR),
		.min_age = cfg_int(d->cfg, CFG_SPOOL_PRUNE_MIN_AGE) * 3600,
		.retention = cfg_str(d->cfg, CFG_CASE_RETENTION),
		.quarantine = cfg_str(d->cfg, CFG_QUARANTINE_RETENTION),
		.outbox = cfg_str(d->cfg, CFG_OUTBOX_RETENTION),
		.maildir_cur = cur,
		.maildir_retention = cfg_str(d->cfg, CFG_MAILDIR_RETENTION),
		.max_size = cfg_int(d->cfg, CFG_MAIL_MAX_SIZE),
	};
	d->prune = housekeep_start(&set);
	free(cur);
}

static int
run_loop(struct daemon *d, const sigset_t *set)
{
	for (;;) {
		long wait = cfg_int(d->cfg, CFG_ENGINE_POLL_INTERVAL), next;
		int sig;

		drain(d);
		housekeeping(d, cirm_now());
		next = d->gateways != NULL ?
			supervisor_tick(d->gateways, cirm_now()) : -1;
		if (next >= 0 && next < wait)
			wait = next > 0 ? next : 1;
		sig = wait_signal(set, wait);
		if (sig == SIGTERM || sig == SIGINT) {
			log_info("stopping on signal %d", sig);
			housekeep_stop(&d->prune);
			if (d->gateways != NULL)
				supervisor_stop(d->gateways);
			return 0;
		}
		if (sig == SIGCHLD && d->gateways != NULL)
			supervisor_reap(d->gateways);
		if (sig == SIGHUP)
			reload(d);
	}
}

static int
open_store(struct daemon *d)
{
	struct store_settings sset = {
		.busy_timeout_ms = (int)cfg_int(d->cfg, CFG_BUSY_TIMEOUT),
		.create = 0,
		.cache_kib = engine_cache_kib((int)cfg_int(d->cfg,
							   CFG_ENGINE_BATCH)),
		.background_checkpoint = 1,
		.keep_older = 1,
	};
	char *lock = xasprintf("%s.cirmd-lock", cfg_str(d->cfg, CFG_DATABASE));

	d->database = xstrdup(cfg_str(d->cfg, CFG_DATABASE));
	d->busy_timeout = cfg_int(d->cfg, CFG_BUSY_TIMEOUT);
	char *err = NULL;
	pid_t holder;
	struct stat st;

	/* root on an instance that is another user's (the service's
	   cirm): every file it made (an attachment's spool directory, a
	   Maildir) would be root's, and the service, its backups and
	   cirmctl could not use them */
	if (geteuid() == 0 && stat(d->database, &st) == 0 && st.st_uid != 0) {
		char owner[USER_NAME_SIZE];

		user_name(st.st_uid, owner);
		fprintf(stderr, _("cirmd: %s belongs to user %s: run cirmd as "
				  "that user (runuser -u %s -- cirmd ...), not "
				  "as root, whose files the service could not "
				  "use\n"), d->database, owner, owner);
		free(lock);
		return EX_NOPERM;
	}
	d->lock_fd = lockfile_acquire(lock, &holder, &err);
	free(lock);
	if (d->lock_fd == -2) {
		fprintf(stderr, _("cirmd: another cirmd (pid %ld) is running on "
				  "%s\n"), (long)holder,
			cfg_str(d->cfg, CFG_DATABASE));
		return EX_TEMPFAIL;
	}
	if (d->lock_fd < 0 ||
	    store_open(cfg_str(d->cfg, CFG_DATABASE), &sset, &d->store, &err) < 0) {
		/* as cirmctl says it: the setting, not the lock file beside
		   a database that is not there */
		char *msg = instance_database_problem(d->cfg, "cirmd", err);

		fprintf(stderr, "cirmd: %s\n", msg);
		free(msg);
		free(err);
		return 1;
	}
	/* read-only for this user: every workflow it records, every
	   mail it takes would fail, each said as its own problem */
	if (store_check_write(d->store, &err) < 0) {
		fprintf(stderr, _("cirmd: %s: cirmd must write the database, "
				  "but cannot: %s\n"),
			cfg_str(d->cfg, CFG_DATABASE), err);
		free(err);
		return 1;
	}
	return 0;
}

/* cirm-gateway, beside this program or where it is installed. */
static char *
gateway_program(void)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	self[n > 0 ? n : 0] = '\0';
	return supervisor_program(self);
}

/* --once: runs `cirm-gateway -c CONF --once NAME` (PROGRAM) and waits
   for it. 0 when it exited 0, else -1 with *WHY_R saying what went
   wrong. */
static int
gateway_once(const struct daemon *d, const char *program, const char *name,
	     const char **why_r)
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		/* (the engine's threads run: nothing but exec here) */
		execl(program, "cirm-gateway", "-c", cfg_path(d->cfg), "--once",
		      name, (char *)NULL);
		_exit(127);
	}
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	*why_r = pid < 0 ? "could not be started" :
		WIFEXITED(status) && WEXITSTATUS(status) == 127 ?
		"could not be run" : "failed";
	return -1;
}

/* --once: what cirm-mailgate left in its Maildir goes into the inbox
   first (cirm-gateway --once mailgate), so that it is handled too. As
   a service, the mailgate gateway runs beside the engine instead.
   0, or -1 when it could not be taken (it stays for the next run). */
static int
take_mailgate(const struct daemon *d)
{
	char *program = gateway_program();
	const char *why = NULL;
	int ret = gateway_once(d, program, "mailgate", &why);

	if (ret < 0)
		log_warnx("the mail cirm-mailgate stored was not taken into "
			  "the inbox (%s --once mailgate %s); it waits in "
			  "%s/new", program, why,
			  cfg_str(d->cfg, CFG_MAILGATE_DIR));
	free(program);
	return ret;
}

/* --once --send: after the run, what the outbox holds goes out through
   the sending gateways the configuration turns on, each run once, as
   the service's would send it (the engine alone is what --once times
   in the benchmarks, and what the tests look at before sending). 0, or
   -1 when one failed (what it did not send waits in the outbox, with
   its back-off, for the next run). */
static int
send_outbox(const struct daemon *d)
{
	char *program = gateway_program();
	const char *names[2], *why = NULL;
	int n = supervisor_senders(d->cfg, names), ret = 0;

	for (int i = 0; i < n; i++) {
		if (gateway_once(d, program, names[i], &why) == 0)
			continue;
		log_warnx("the outbox was not all sent (%s --once %s %s); "
			  "what is left waits for the next run", program,
			  names[i], why);
		ret = -1;
	}
	free(program);
	return ret;
}

int
daemon_run(const struct daemon_options *o)
{
	struct daemon d = { .o = o, .lock_fd = -1 };
	sigset_t set;
	int ret;

	if (load_config(&d, o->config != NULL ? o->config :
			daemon_default_config(), 1, &d.cfg) < 0) {
		free(d.load_first);
		return EX_CONFIG;
	}
	/* The service takes signals synchronously with sigtimedwait, never
	   in a handler running at an odd moment. --once keeps the default
	   actions, so that Ctrl-C stops it (the open transaction is simply
	   not committed). */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	/* a gateway or cirm-mailgate: the inbox has new rows */
	sigaddset(&set, SIGUSR1);
	if (!o->once)
		sigprocmask(SIG_BLOCK, &set, NULL);
	else
		signal(SIGUSR1, SIG_IGN);
	ret = open_store(&d);
	if (ret == 0) {
		const char *kept;
		int from;

		start_logging(d.cfg);
		if ((from = store_upgraded(d.store, &kept)) > 0)
			log_info("database: schema version %d brought up to "
				 "date (%d); the database as it was is kept "
				 "in %s, for going back to the cirm that wrote "
				 "it (cirmd(8)): remove it once this one runs "
				 "well", from, store_schema_latest(),
				 kept != NULL ? kept : "no copy");
		/* the key or the workflows: a configuration problem */
		if (make_engine(&d) < 0)
			ret = EX_CONFIG;
		else	/* what an earlier cirmd recorded is gone */
			record_load(&d, "start");
	}
	if (ret == 0) {
		log_info("started (pid %ld, %s)", (long)getpid(),
			 o->once ? "once" : "service");
		if (o->once) {
			ret = take_mailgate(&d) < 0 ? 1 : 0;
			if (drain(&d) < 0)
				ret = 1;
			if (o->send && send_outbox(&d) < 0)
				ret = 1;
		} else if (o->no_gateways) {
			ret = run_loop(&d, &set);
		} else {
			char *program = gateway_program();

			d.gateways = supervisor_new(program, cfg_path(d.cfg),
						    d.store);
			free(program);
			gateway_inputs(d.cfg, d.gw_digest);
			supervisor_configure(d.gateways, d.cfg, 0);
			ret = run_loop(&d, &set);
		}
		log_info("stopped");
	}
	housekeep_stop(&d.prune);
	supervisor_free(&d.gateways);
	engine_free(&d.engine);
	mailin_free(&d.mailin);
	store_free(&d.store);
	if (d.lock_fd >= 0)
		close(d.lock_fd);
	cfg_free(&d.cfg);
	free(d.database);
	free(d.load_first);
	log_close();
	return ret;
}
