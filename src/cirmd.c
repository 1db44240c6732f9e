/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cirmd: the service. Loads the configuration, opens the store and runs
   the engine until told to stop. Later it also supervises the gateway
   processes. */
#include "config.h"

#include "calendar.h"
#include "cfg.h"
#include "daemon.h"
#include "i18n.h"
#include "store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

static void
usage(FILE *out)
{
	fprintf(out, _("Usage: cirmd [OPTION]...\n"
		       "Run the cirm service: take citizen messages from the "
		       "inbox and handle them.\n"
		       "\n"
		       "  -c, --config=FILE  read FILE (default: %s)\n"
		       "      --once         handle everything queued, then "
		       "exit\n"
		       "      --send         with --once: then send the "
		       "outbox\n"
		       "      --no-gateways  do not start the gateway processes\n"
		       "  -h, --help         show this help and exit\n"
		       "  -V, --version      show the version and exit\n"
		       "\n"
		       "Signals: SIGHUP reloads the configuration, SIGTERM "
		       "stops.\n"
		       "See cirmd(8).\n"),
		daemon_default_config());
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, 'o' },
		{ "send", no_argument, NULL, 's' },
		{ "no-gateways", no_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon_options o = { .config = NULL, .once = 0 };
	int c;

	/* The database, spool and logs hold personal data: nothing cirm
	   creates is for others to read. */
	umask(027);
	i18n_init();
	/* Swedish opening hours, holidays and dates, whatever the
	   host's time zone (TZ overrides); the gateways inherit it */
	(void)calendar_zone_init();
	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.config = optarg;
			break;
		case 'o':
			o.once = 1;
			break;
		case 's':
			o.send = 1;
			break;
		case 'G':
			o.no_gateways = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("cirmd (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			printf(_("database schema %d\n"), store_schema_latest());
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, _("cirmd: unexpected argument '%s'\n"),
			argv[optind]);
		usage(stderr);
		return EX_USAGE;
	}
	if (o.send && !o.once) {
		/* the service's gateways send as it goes */
		fputs(_("cirmd: --send goes with --once: the service sends "
			"what it queues itself\n"), stderr);
		usage(stderr);
		return EX_USAGE;
	}
	return daemon_run(&o);
}
