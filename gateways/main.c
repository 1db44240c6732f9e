/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cirm-gateway: runs one gateway (cirmd starts one process per gateway;
   an administrator may run one by hand with --once). */
#include "config.h"

#include "cfg.h"
#include "gateway.h"
#include "i18n.h"
#include "lockfile.h"
#include "log.h"
#include "store.h"
#include "util.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

static const struct cirm_gateway *const gateways[] = {
	&gateway_maildir,
	&gateway_mailgate,
	&gateway_imap,
	&gateway_smtp,
	&gateway_sink,
	&gateway_smstools,
	&gateway_smpp,
};

static void
usage(FILE *out)
{
	fprintf(out, _("Usage: cirm-gateway [OPTION]... NAME\n"
		       "Run one cirm gateway. Gateways: maildir, mailgate, imap "
		       "(inbound);\n"
		       "smtp, sink (outbound); smstools, smpp (SMS, both ways).\n"
		       "\n"
		       "  -c, --config=FILE  read FILE\n"
		       "      --once         take what is waiting, then exit\n"
		       "  -h, --help         show this help and exit\n"
		       "  -V, --version      show the version and exit\n"
		       "\n"
		       "See cirm-gateway(8).\n"));
}

static int
run(const char *config, const struct cirm_gateway *gw, int once)
{
	struct strlist errors = { 0 };
	struct gateway_ctx ctx = { .name = gw->name, .channel = gw->channel,
				   .once = once };
	struct cfg *cfg = NULL;
	struct sigaction sa;
	char *err = NULL, *ident, *lock;
	pid_t holder;
	int ret, lock_fd;

	if (cfg_load(config, &cfg, &errors) < 0) {
		for (size_t i = 0; i < errors.n; i++)
			fprintf(stderr, "cirm-gateway: %s\n", errors.v[i]);
		strlist_clear(&errors);
		return EX_CONFIG;
	}
	if (!gw->enabled(cfg)) {
		fprintf(stderr, _("cirm-gateway: %s is not configured in %s\n"),
			gw->name, cfg_path(cfg));
		cfg_free(&cfg);
		return EX_CONFIG;
	}
	/* One process per gateway and database: two sending gateways
	   both claimed and sent the same rows (one left running by a
	   killed cirmd, or one run by hand beside cirmd's). */
	lock = xasprintf("%s.%s-lock", cfg_str(cfg, CFG_DATABASE), gw->name);
	lock_fd = lockfile_acquire(lock, &holder, &err);
	free(lock);
	if (lock_fd < 0) {
		if (lock_fd == -2)
			fprintf(stderr, _("cirm-gateway: another %s gateway (pid "
					  "%ld) is running on %s\n"), gw->name,
				(long)holder, cfg_str(cfg, CFG_DATABASE));
		else
			fprintf(stderr, "cirm-gateway: %s\n", err);
		free(err);
		cfg_free(&cfg);
		return lock_fd == -2 ? EX_TEMPFAIL : 1;
	}
	if (gateway_store_open(cfg, &ctx.store, &err) < 0) {
		fprintf(stderr, "cirm-gateway: %s\n", err);
		free(err);
		close(lock_fd);
		cfg_free(&cfg);
		return 1;
	}
	ident = xasprintf("cirm-%s", gw->name);
	log_init(ident, cfg_str(cfg, CFG_LOG_TARGET), cfg_str(cfg, CFG_LOG_LEVEL),
		 cfg_str(cfg, CFG_SYSLOG_FACILITY));
	/* No SA_RESTART: a blocking read returns so that the gateway sees
	   it must stop. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = gateway_stop_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = gateway_wake_signal;
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	ctx.cfg = cfg;
	ret = gw->run(&ctx) < 0 ? 1 : 0;
	store_free(&ctx.store);
	close(lock_fd);
	cfg_free(&cfg);
	log_close();
	free(ident);
	return ret;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = getenv("CIRM_CONF");
	int c, once = 0;

	umask(027);
	i18n_init();
	if (config == NULL || *config == '\0')
		config = SYSCONFDIR "/cirm/cirm.conf";
	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'o':
			once = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("cirm-gateway (%s) %s\n", PACKAGE_NAME,
			       PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EX_USAGE;
	}
	for (size_t i = 0; i < N_ELEMENTS(gateways); i++) {
		if (strcmp(gateways[i]->name, argv[optind]) == 0)
			return run(config, gateways[i], once);
	}
	fprintf(stderr, _("cirm-gateway: unknown gateway '%s'\n"), argv[optind]);
	return EX_USAGE;
}
