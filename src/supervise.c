/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "supervise.h"

#include "log.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GATEWAYS_MAX 8
#define BACKOFF_MAX 60
#define STOP_WAIT_MS 10000

struct child {
	char name[16];
	pid_t pid;		/* 0: not running */
	int wanted;
	int64_t started_at, restart_at;	/* restart_at 0: none pending */
	int backoff, restarts;
};

struct supervisor {
	char *program, *config;
	struct store *store;
	struct child c[GATEWAYS_MAX];
	size_t n;
};

char *
supervisor_program(const char *self)
{
	const char *slash = self != NULL ? strrchr(self, '/') : NULL;

	if (slash != NULL) {
		char *beside = xasprintf("%.*s/cirm-gateway",
					 (int)(slash - self), self);

		if (access(beside, X_OK) == 0)
			return beside;
		free(beside);
	}
	return xstrdup(PKGLIBEXECDIR "/cirm-gateway");
}

static void record(struct supervisor *sv, const struct child *c);

const char *const supervisor_gateways[] = { "maildir", "mailgate", "imap",
					    "smtp", "sink", "smstools", "smpp",
					    NULL };

struct supervisor *
supervisor_new(const char *program, const char *config, struct store *store)
{
	struct supervisor *sv = xcalloc(1, sizeof(*sv));

	sv->program = xstrdup(program);
	sv->config = xstrdup(config);
	sv->store = store;
	/* What an earlier cirmd recorded (one killed, or with another
	   configuration) is not what runs now: cirmctl status showed a
	   gateway no longer configured as "down (restarting)". */
	for (size_t i = 0; supervisor_gateways[i] != NULL; i++) {
		struct child c = { .wanted = 0 };

		snprintf(c.name, sizeof(c.name), "%s", supervisor_gateways[i]);
		record(sv, &c);
	}
	return sv;
}

/* Records what runs, for cirmctl status: "PID STARTED RESTARTS", or
   "- 0 RESTARTS" while it is down. Best effort: a busy database only
   delays the picture. */
static void
record(struct supervisor *sv, const struct child *c)
{
	char *key = xasprintf("process.%s", c->name), *err = NULL;
	char *value = c->pid != 0 ?
		xasprintf("%ld %lld %d", (long)c->pid,
			  (long long)c->started_at, c->restarts) :
		xasprintf("- 0 %d", c->restarts);

	if (store_begin(sv->store, &err) < 0 ||
	    store_gateway_state_set(sv->store, "cirmd", key,
				    c->wanted ? value : "", &err) < 0 ||
	    store_commit(sv->store, &err) < 0) {
		store_rollback(sv->store);
		log_warnx("recording gateway %s: %s", c->name, err);
		free(err);
	}
	free(key);
	free(value);
}

/* The environment for a gateway: ours with CIRMD_PID, our pid, which
   the gateway wakes with SIGUSR1 (gateway_notify()). Free with
   free_environ(). */
static char **
gateway_environ(void)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n] != NULL)
		n++;
	env = xcalloc(n + 2, sizeof(*env));
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "CIRMD_PID=", 10) != 0)
			env[k++] = environ[i];
	env[k] = xasprintf("CIRMD_PID=%ld", (long)getpid());
	return env;
}

static void
free_environ(char **env)
{
	size_t k = 0;

	while (env[k + 1] != NULL)
		k++;
	free(env[k]);	/* the one made, after those of environ */
	free(env);
}

static void
start(struct supervisor *sv, struct child *c, int64_t now)
{
	/* All the child needs is made before fork(). cirmd's threads
	   (the engine's read-ahead, housekeeping, checkpoints) may hold
	   a lock of the allocator's when we fork; the child, a copy of
	   this thread alone, would wait for it for ever, a gateway that
	   runs and does nothing. Between fork() and exec only calls
	   that are async-signal-safe, as POSIX asks of a threaded
	   program. */
	char *argv[] = { "cirm-gateway", "-c", sv->config, c->name, NULL };
	char **env = gateway_environ();
	char *failed = xasprintf("cirmd: gateway %s: cannot run %s: ",
				 c->name, sv->program);
	pid_t parent = getpid(), pid = fork();

	if (pid < 0) {
		log_warnx("gateway %s: fork: %s", c->name, strerror(errno));
		c->restart_at = now + c->backoff;
		free_environ(env);
		free(failed);
		return;
	}
	if (pid == 0) {
		struct sigaction ign = { .sa_handler = SIG_IGN };
		sigset_t all;
		const char *why;

		/* a gateway never outlives its cirmd, even one killed with
		   SIGKILL: a restarted cirmd starts its own */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(0);
		/* cirmd blocks the signals it waits for; its children must
		   get them */
		sigfillset(&all);
		sigprocmask(SIG_UNBLOCK, &all, NULL);
		/* A wake-up (SIGUSR1) that comes before the gateway has its
		   handler must not end it: ignored until then (an ignored
		   signal stays ignored across exec). The gateway wakes us
		   in turn, when it knows we are its parent. */
		sigaction(SIGUSR1, &ign, NULL);
		execve(sv->program, argv, env);
		/* strerror() may translate, and so allocate: the text
		   as it is, in English like the log */
		why = strerrordesc_np(errno);
		(void)!write(STDERR_FILENO, failed, strlen(failed));
		(void)!write(STDERR_FILENO, why != NULL ? why : "?",
			     why != NULL ? strlen(why) : 1);
		(void)!write(STDERR_FILENO, "\n", 1);
		_exit(127);
	}
	free_environ(env);
	free(failed);
	c->pid = pid;
	c->started_at = now;
	c->restart_at = 0;
	log_info("gateway %s started (pid %ld)", c->name, (long)pid);
	record(sv, c);
}

static struct child *
find(struct supervisor *sv, const char *name)
{
	for (size_t i = 0; i < sv->n; i++) {
		if (strcmp(sv->c[i].name, name) == 0)
			return &sv->c[i];
	}
	return NULL;
}

static void
want(struct supervisor *sv, const char *name)
{
	struct child *c = find(sv, name);

	if (c == NULL && sv->n < GATEWAYS_MAX) {
		c = &sv->c[sv->n++];
		memset(c, 0, sizeof(*c));
		snprintf(c->name, sizeof(c->name), "%s", name);
		c->backoff = 1;
	}
	if (c != NULL) {
		c->wanted = 1;
		if (c->pid == 0 && c->restart_at == 0)
			c->restart_at = 1;	/* start at the next tick */
	}
}

/* Sends SIGTERM to the children in SET (NULL: all running) and waits
   for them, SIGKILL after STOP_WAIT_MS. */
static void
stop_children(struct supervisor *sv, const int *set)
{
	int left = 0;

	for (size_t i = 0; i < sv->n; i++) {
		if (sv->c[i].pid != 0 && (set == NULL || set[i])) {
			kill(sv->c[i].pid, SIGTERM);
			left++;
		}
	}
	for (int waited = 0; left > 0; waited += 50) {
		for (size_t i = 0; i < sv->n; i++) {
			struct child *c = &sv->c[i];
			int status;

			if (c->pid == 0 || (set != NULL && !set[i]))
				continue;
			if (waited >= STOP_WAIT_MS)
				kill(c->pid, SIGKILL);
			if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
				log_info("gateway %s stopped", c->name);
				c->pid = 0;
				left--;
			}
		}
		if (left > 0) {
			struct timespec ts = { 0, 50 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
}

int
supervisor_senders(const struct cfg *cfg, const char *names[2])
{
	const char *smtp = cfg_str(cfg, CFG_SMTP_HOST);
	const char *smpp = cfg_str(cfg, CFG_SMPP_HOST);
	const char *sms = cfg_str(cfg, CFG_SMS_TRANSPORT);
	int n = 0;

	/* as the gateways' own enabled() decide */
	names[n++] = *smtp != '\0' && strcmp(smtp, "none") != 0 ? "smtp" :
		"sink";
	if (strcmp(sms, "smstools") == 0)
		names[n++] = "smstools";
	else if (strcmp(sms, "smpp") == 0 && *smpp != '\0' &&
		 strcmp(smpp, "none") != 0)
		names[n++] = "smpp";
	return n;
}

void
supervisor_configure(struct supervisor *sv, const struct cfg *cfg, int restart)
{
	const char *imap = cfg_str(cfg, CFG_IMAP_HOST);
	const char *senders[2];
	int drop[GATEWAYS_MAX] = { 0 };
	int nsenders = supervisor_senders(cfg, senders);

	for (size_t i = 0; i < sv->n; i++)
		sv->c[i].wanted = 0;
	/* as the gateways' own enabled() decide */
	want(sv, "maildir");
	want(sv, "mailgate");
	if (*imap != '\0' && strcmp(imap, "none") != 0)
		want(sv, "imap");
	for (int i = 0; i < nsenders; i++)
		want(sv, senders[i]);
	for (size_t i = 0; i < sv->n; i++)
		drop[i] = !sv->c[i].wanted || restart;
	stop_children(sv, drop);
	for (size_t i = 0; i < sv->n; i++) {
		struct child *c = &sv->c[i];

		if (c->wanted && c->pid == 0) {
			c->restart_at = 1;
			c->backoff = 1;
		} else if (!c->wanted) {
			c->restart_at = 0;
			record(sv, c);
		}
	}
}

void
supervisor_reap(struct supervisor *sv)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (size_t i = 0; i < sv->n; i++) {
			struct child *c = &sv->c[i];
			int64_t now = cirm_now();

			if (c->pid != pid)
				continue;
			c->pid = 0;
			/* a child that ran a minute starts its back-off anew */
			if (now - c->started_at >= BACKOFF_MAX)
				c->backoff = 1;
			if (WIFSIGNALED(status))
				log_warnx("gateway %s killed by signal %d; "
					  "restart in %d s", c->name,
					  WTERMSIG(status), c->backoff);
			else
				log_warnx("gateway %s exited with status %d; "
					  "restart in %d s", c->name,
					  WEXITSTATUS(status), c->backoff);
			if (c->wanted) {
				c->restart_at = now + c->backoff;
				c->restarts++;
				c->backoff = c->backoff * 2 > BACKOFF_MAX ?
					BACKOFF_MAX : c->backoff * 2;
			}
			record(sv, c);
		}
	}
}

long
supervisor_tick(struct supervisor *sv, int64_t now)
{
	long next = -1;

	for (size_t i = 0; i < sv->n; i++) {
		struct child *c = &sv->c[i];

		if (!c->wanted || c->pid != 0 || c->restart_at == 0)
			continue;
		if (c->restart_at <= now)
			start(sv, c, now);
		else if (next < 0 || c->restart_at - now < next)
			next = (long)(c->restart_at - now);
	}
	return next;
}

void
supervisor_wake(struct supervisor *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		if (sv->c[i].pid != 0)
			kill(sv->c[i].pid, SIGUSR1);
}

void
supervisor_stop(struct supervisor *sv)
{
	stop_children(sv, NULL);
	for (size_t i = 0; i < sv->n; i++) {
		sv->c[i].restart_at = 0;
		record(sv, &sv->c[i]);
	}
}

void
supervisor_free(struct supervisor **svp)
{
	struct supervisor *sv = *svp;

	if (sv == NULL)
		return;
	supervisor_stop(sv);
	free(sv->program);
	free(sv->config);
	free(sv);
	*svp = NULL;
}
