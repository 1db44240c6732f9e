/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cirmctl spool prune [--dry-run] [--min-age HOURS]: removes the
   attachment files no message names. */
#include "config.h"

#include "blob.h"
#include "cfg.h"
#include "ctl.h"
#include "i18n.h"
#include "store.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#define USAGE N_("usage: cirmctl spool prune [--dry-run] [--min-age HOURS]")

static int
named(const char *id, void *ctx, char **error_r)
{
	return store_attachment_named(ctx, id, error_r);
}

static void
report(const char *path, unsigned long long size, void *ctx)
{
	(void)ctx;
	printf(_("would remove %s (%llu bytes)\n"), path, size);
}

/* ARGV: "prune" and its options. */
static int
prune(const struct cfg *cfg, struct store *store, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "min-age", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct blob_prune_stats stats;
	long hours = 24;	/* at least one: see blob_prune */
	int c, dry_run = 0;
	char *err = NULL;

	while ((c = ctl_getopt(argc, argv, "na:", opts)) != -1) {
		switch (c) {
		case 'n':
			dry_run = 1;
			break;
		case 'a':
			if (str_to_long(optarg, 1, 24 * 365, &hours) < 0) {
				ctl_error(_("--min-age must be a whole number of "
					    "hours from 1 to 8760, not '%s'"),
					  optarg);
				ctl_error("%s", _(USAGE));
				return EX_USAGE;
			}
			break;
		default:
			ctl_error("%s", _(USAGE));
			return EX_USAGE;
		}
	}
	if (ctl_too_many(argc, argv, optind, 0)) {
		ctl_error("%s", _(USAGE));
		return EX_USAGE;
	}
	if (blob_prune(cfg_str(cfg, CFG_SPOOL_DIR), hours * 3600, dry_run,
		       named, store, dry_run ? report : NULL, &stats,
		       &err) < 0) {
		ctl_error("%s", err);
		free(err);
		if (!dry_run && stats.removed + stats.temporary > 0)
			printf(_("removed before the error: %ld files (%llu "
				 "bytes) and %ld temporary files\n"),
			       stats.removed, stats.removed_bytes,
			       stats.temporary);
		return 1;
	}
	if (stats.held) {
		ctl_error("%s", _("the spool is not pruned: a backup is copying "
				  "it; try again when it is done"));
		return 1;
	}
	/* counts after colons, which read the same for one file */
	printf(dry_run ? _("files kept: %ld; files to remove: %ld (%llu "
			   "bytes); temporary files: %ld\n") :
			 _("files kept: %ld; files removed: %ld (%llu bytes); "
			   "temporary files removed: %ld\n"),
	       stats.kept, stats.removed, stats.removed_bytes, stats.temporary);
	if (stats.other > 0)
		printf(_("left alone: %ld entries that are not cirm's\n"),
		       stats.other);
	return 0;
}

int
ctl_spool(const struct ctl *ctl, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "prune") != 0) {
		if (argc >= 2)
			ctl_error(_("unknown spool command '%s'"), argv[1]);
		ctl_error("%s", _(USAGE));
		return EX_USAGE;
	}
	return ctl_with_store(ctl, prune, argc - 1, argv + 1);
}
