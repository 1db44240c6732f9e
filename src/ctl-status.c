/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cirmctl status: is cirmd running, its gateway processes, the queues. */
#include "config.h"

#include "cfg.h"
#include "ctl.h"
#include "i18n.h"
#include "lockfile.h"
#include "store.h"
#include "util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

static const char *const gateway_names[] = { "maildir", "imap", "smtp",
					     "sink", "smstools", "smpp", NULL };

static void
print_gateway(struct store *store, const char *name, pid_t cirmd)
{
	char *key = xasprintf("process.%s", name), *value = NULL, *err = NULL;
	long pid = 0;
	long long since = 0;
	int restarts = 0;
	char when[32];

	if (store_gateway_state_get(store, "cirmd", key, &value, &err) < 0) {
		free(err);
	} else if (value != NULL && *value != '\0') {
		if (sscanf(value, "%ld %lld %d", &pid, &since, &restarts) != 3)
			pid = 0, sscanf(value, "- %lld %d", &since, &restarts);
		if (cirmd != 0 && pid > 0 && kill((pid_t)pid, 0) == 0)
			printf(_("  %-8s running, pid %ld, since %s, %d "
				 "restarts\n"), name, pid,
			       ctl_time(since, when), restarts);
		else if (cirmd != 0)
			printf(_("  %-8s down (restarting), %d restarts\n"),
			       name, restarts);
		else
			printf(_("  %-8s not running\n"), name);
	}
	free(value);
	free(key);
}

int
ctl_status(const struct ctl *ctl, int argc, char **argv)
{
	struct cfg *cfg = NULL;
	struct store *store = NULL;
	struct store_counts c;
	char *lock, *err = NULL;
	pid_t pid;
	int ret = 1;

	(void)argv;
	if (argc != 1) {
		ctl_error("%s", _("usage: cirmctl status"));
		return EX_USAGE;
	}
	if (ctl_load_config(ctl, &cfg) < 0) {
		ret = EX_CONFIG;
		goto out;
	}
	if (ctl_open_store(cfg, &store) < 0)
		goto out;
	lock = xasprintf("%s.cirmd-lock", cfg_str(cfg, CFG_DATABASE));
	pid = lockfile_holder(lock);
	free(lock);
	if (pid != 0)
		printf(_("cirmd: running, pid %ld\n"), (long)pid);
	else
		printf("%s\n", _("cirmd: not running"));
	printf("%s\n", _("Gateways:"));
	for (size_t i = 0; gateway_names[i] != NULL; i++)
		print_gateway(store, gateway_names[i], pid);
	if (store_counts(store, cirm_now(), &c, &err) < 0) {
		ctl_error("%s", err);
		free(err);
		goto out;
	}
	printf("%s\n", _("Queues:"));
	printf(_("  inbox       %lld (%lld due now)\n"), (long long)c.inbox,
	       (long long)c.inbox_due);
	printf(_("  outbox      %lld to send\n"), (long long)c.outbox);
	printf(_("  quarantine  %lld\n"), (long long)c.quarantine);
	printf(_("  cases       %lld\n"), (long long)c.cases);
	ret = pid != 0 ? 0 : 3;
out:
	store_free(&store);
	cfg_free(&cfg);
	return ret;
}
