/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cirmctl init DIR, cirmctl config */
#include "config.h"

#include "cfg.h"
#include "ctl.h"
#include "i18n.h"
#include "instance.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

/* The cirmd to name: the one beside this cirmctl when there is one (a
   build directory, where cirmctl and cirmd sit together), else the
   installed one, found on the PATH (caller frees). */
static char *
cirmd_program(void)
{
	char self[4096], *slash, *beside;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			beside = xasprintf("%s/cirmd", self);
			if (access(beside, X_OK) == 0)
				return beside;
			free(beside);
		}
	}
	return xstrdup("cirmd");
}

int
ctl_init(const struct ctl *ctl, int argc, char **argv)
{
	char *err = NULL;

	if (argc != 2 || argv[1][0] == '-' || argv[1][0] == '\0') {
		ctl_error("%s", _("usage: cirmctl init DIR"));
		return EX_USAGE;
	}
	if (instance_init(argv[1], &err) < 0) {
		ctl_error("%s", err);
		free(err);
		return 1;
	}
	{
		char *cirmd = cirmd_program();

		printf(_("Created a cirm instance in %s.\n"
			 "Start the service with: %s -c %s/cirm.conf\n"),
		       argv[1], cirmd, argv[1]);
		free(cirmd);
	}
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
