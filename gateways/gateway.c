/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "gateway.h"

#include "blob.h"
#include "log.h"
#include "util.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

/* Entries left alone that are named (gateway_left_alone). */
#define GATEWAY_TOLD_MAX 1000

static volatile sig_atomic_t stopping, woken;

void
gateway_stop_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

int
gateway_stopping(void)
{
	return stopping;
}

void
gateway_wake_signal(int sig)
{
	(void)sig;
	woken++;
}

/* A wake counts for every worker thread of the gateway (smtp): each
   answers to the wakes it has not seen yet, one that came while it
   worked included. */
int
gateway_sleep(int seconds)
{
	static _Thread_local sig_atomic_t seen;
	int was;

	for (int i = 0; i < seconds * 100 && !stopping && woken == seen;
	     i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	was = woken != seen;
	seen = woken;
	return was;
}

void
gateway_notify(void)
{
	const char *env = getenv("CIRMD_PID");
	pid_t parent = getppid();

	/* Only the cirmd that started us: SIGUSR1 would end another
	   parent, such as the shell of an administrator's --once run. */
	if (env != NULL && strtol(env, NULL, 10) == (long)parent && parent > 1)
		kill(parent, SIGUSR1);
}

int
gateway_store_open(const struct cfg *cfg, struct store **store_r,
		   char **error_r)
{
	struct store_settings set = {
		.busy_timeout_ms = (int)cfg_int(cfg, CFG_BUSY_TIMEOUT),
		.current_only = 1,
	};

	return store_open(cfg_str(cfg, CFG_DATABASE), &set, store_r, error_r);
}

int
gateway_deliver(struct gateway_ctx *ctx, const void *raw, size_t len,
		int64_t received_at, const char *dedupe_key, const char *state_key,
		const char *state_value, char **error_r)
{
	return gateway_deliver2(ctx, raw, len, received_at, dedupe_key,
				state_key, state_value, NULL, NULL, error_r);
}

int
gateway_deliver2(struct gateway_ctx *ctx, const void *raw, size_t len,
		 int64_t received_at, const char *dedupe_key,
		 const char *state_key, const char *state_value,
		 const char *key2, const char *value2, char **error_r)
{
	struct store *store = ctx->store;
	char sha[BLOB_ID_LEN + 1];
	int64_t id;
	int ret;

	blob_id(raw, len, sha);
	if (store_begin(store, error_r) < 0)
		return -1;
	ret = store_inbox_put_keyed(store, ctx->channel, ctx->name, received_at,
				    dedupe_key, raw, len, sha, &id, error_r);
	if (ret >= 0 && state_key != NULL &&
	    store_gateway_state_set(store, ctx->name, state_key, state_value,
				    error_r) < 0)
		ret = -1;
	if (ret >= 0 && key2 != NULL &&
	    store_gateway_state_set(store, ctx->name, key2, value2,
				    error_r) < 0)
		ret = -1;
	if (ret < 0 || store_commit(store, error_r) < 0) {
		store_rollback(store);
		return -1;
	}
	if (ret > 0)
		gateway_notify();
	return ret;
}

/* Writes VALUE as the gateway's problem. 0, or -1 after logging. */
static int
problem_record(struct gateway_ctx *ctx, const char *value)
{
	char *err = NULL;

	if (store_begin(ctx->store, &err) < 0 ||
	    store_gateway_state_set(ctx->store, ctx->name, "problem", value,
				    &err) < 0 ||
	    store_commit(ctx->store, &err) < 0) {
		store_rollback(ctx->store);
		log_warnx("%s: recording for cirmctl status: %s", ctx->name,
			  err);
		free(err);
		return -1;
	}
	return 0;
}

void
gateway_problem(struct gateway_ctx *ctx, const char *fmt, ...)
{
	char why[GATEWAY_PROBLEM_MAX];
	int64_t since;
	va_list ap;
	char *value;

	if (ctx->once)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	/* one line: status prints it as it is */
	for (char *p = why; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	if (strcmp(why, ctx->problem) == 0)
		return;
	/* since the gateway first could not work, whatever the reason
	   is now */
	since = ctx->problem[0] != '\0' ? ctx->problem_since : cirm_now();
	value = xasprintf("%ld %lld %s", (long)getpid(), (long long)since,
			  why);
	if (problem_record(ctx, value) == 0) {
		memcpy(ctx->problem, why, sizeof(why));
		ctx->problem_since = since;
	}
	free(value);
}

void
gateway_problem_clear(struct gateway_ctx *ctx)
{
	if (ctx->once || ctx->problem[0] == '\0')
		return;
	if (problem_record(ctx, "") == 0)
		ctx->problem[0] = '\0';
}

void
gateway_left_alone(const char *name, const char *path, const char *why)
{
	static struct strlist told;
	static int full;

	for (size_t i = 0; i < told.n; i++)
		if (strcmp(told.v[i], path) == 0)
			return;
	/* Past so many the others are not named: named at every round
	   instead, they would flood the log. */
	if (told.n == GATEWAY_TOLD_MAX) {
		if (!full)
			log_warnx("%s: more than %d entries left alone; the "
				  "others are not named", name, GATEWAY_TOLD_MAX);
		full = 1;
		return;
	}
	strlist_add(&told, path);
	log_warnx("%s: %s: %s; left alone", name, path, why);
}
