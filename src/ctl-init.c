/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cirmctl init DIR, cirmctl config */
#include "config.h"

#include "cfg.h"
#include "ctl.h"
#include "i18n.h"
#include "instance.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

int
ctl_init(const struct ctl *ctl, int argc, char **argv)
{
	char *err = NULL;

	if (argc != 2 || argv[1][0] == '-') {
		ctl_error("%s", _("usage: cirmctl init DIR"));
		return EX_USAGE;
	}
	if (instance_init(argv[1], &err) < 0) {
		ctl_error("%s", err);
		free(err);
		return 1;
	}
	printf(_("Created a cirm instance in %s.\n"
		 "Start the service with: cirmd -c %s/cirm.conf\n"),
	       argv[1], argv[1]);
	return 0;
}

int
ctl_config(const struct ctl *ctl, int argc, char **argv)
{
	struct cfg *cfg;

	if (argc != 1) {
		ctl_error("%s", _("usage: cirmctl config"));
		return EX_USAGE;
	}
	if (ctl_load_config(ctl, &cfg) < 0)
		return EX_CONFIG;
	printf("# %s\n", cfg_path(cfg));
	cfg_dump(cfg, stdout);
	cfg_free(&cfg);
	return 0;
}
