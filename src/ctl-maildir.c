/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cirmctl maildir prune [--dry-run]: removes the copies of processed
   mail in maildir_dir/inbox/cur past maildir_retention, as cirmd's
   housekeeping does. */
#include "config.h"

#include "cfg.h"
#include "ctl.h"
#include "i18n.h"
#include "maildir-prune.h"
#include "store.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#define USAGE N_("usage: cirmctl maildir prune [--dry-run]")

static void
report(const char *name, unsigned long long size, bool oversize, void *ctx)
{
	(void)ctx;
	printf(oversize ? _("would remove %s (%llu bytes, over "
			    "mail_max_size)\n") :
			  _("would remove %s (%llu bytes)\n"), name, size);
}

/* ARGV: "prune" and its options. */
static int
prune(const struct cfg *cfg, struct store *store, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	char *cur = xasprintf("%s/inbox/cur", cfg_str(cfg, CFG_MAILDIR_DIR));
	struct maildir_prune p = {
		.cur_dir = cur,
		.period = cfg_str(cfg, CFG_MAILDIR_RETENTION),
		.oversize_period = cfg_str(cfg, CFG_QUARANTINE_RETENTION),
		.max_size = cfg_int(cfg, CFG_MAIL_MAX_SIZE),
		.now = cirm_now(), .report = report,
	};
	struct maildir_prune_stats st;
	char *err = NULL;
	int c, ret = 0;

	while ((c = ctl_getopt(argc, argv, "n", opts)) != -1) {
		if (c != 'n') {
			free(cur);
			return EX_USAGE;
		}
		p.dry_run = true;
	}
	if (ctl_too_many(argc, argv, optind, 0)) {
		free(cur);
		return EX_USAGE;
	}
	if (strcmp(p.period, "none") == 0 &&
	    strcmp(p.oversize_period, "none") == 0) {
		printf("%s\n", _("maildir_retention and quarantine_retention "
				 "are none: the copies in the Maildir's cur/ "
				 "are kept."));
		free(cur);
		return 0;
	}
	if (maildir_prune(&p, store, store_audit_actor(), &st, &err) < 0) {
		ctl_error("%s", err);
		free(err);
		ret = 1;
	}
	printf(p.dry_run ? _("%s: copies kept: %ld; would remove: %ld (%llu "
			     "bytes), over mail_max_size: %ld\n") :
			   _("%s: copies kept: %ld; removed: %ld (%llu bytes), "
			     "over mail_max_size: %ld\n"),
	       cur, st.kept + st.oversize_kept,
	       st.removed + st.oversize_removed, st.removed_bytes,
	       st.oversize_removed);
	if (st.other > 0)
		printf(_("left alone: %ld entries that are not cirm's\n"),
		       st.other);
	free(cur);
	return ret;
}

int
ctl_maildir(const struct ctl *ctl, int argc, char **argv)
{
	int ret;

	if (argc < 2 || strcmp(argv[1], "prune") != 0) {
		if (argc >= 2)
			ctl_error(_("unknown maildir command '%s'"), argv[1]);
		ctl_error("%s", _(USAGE));
		return EX_USAGE;
	}
	ret = ctl_with_store(ctl, prune, argc - 1, argv + 1);
	if (ret == EX_USAGE)
		ctl_error("%s", _(USAGE));
	return ret;
}
