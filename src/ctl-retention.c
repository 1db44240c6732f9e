/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cirmctl case prune [--dry-run]: retention (gallring), the closed cases
   whose retention period (case_retention) has passed removed with all
   cirm holds of them, and the copies of what was sent without a case
   past outbox_retention, as cirmd's housekeeping does each day. */
#include "config.h"

#include "blob.h"
#include "cfg.h"
#include "ctl.h"
#include "i18n.h"
#include "retention.h"
#include "settings.h"
#include "store.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

static void
print_case(const struct retention_case *c, void *ctx)
{
	char day[LOCAL_DAY_SIZE];
	const char *workflow = c->workflow != NULL ? c->workflow : "-";
	int w = ctl_cell_width(workflow) + 1;

	(void)ctx;
	local_day(c->closed_at, day);
	fputs("  ", stdout);
	ctl_print_cell(stdout, c->number, 18);
	/* whole, however long: this list is what the records officer
	   keeps of a culling (a long id only moves what follows it) */
	ctl_print_cell(stdout, workflow, w > 14 ? w : 14);
	/* TRANSLATORS: a case removed by retention: the day it was closed
	   and its retention period, such as P2Y */
	printf(_("closed %s, kept %s\n"), day, c->period);
}

static int
named(const char *id, void *ctx, char **error_r)
{
	return store_attachment_named(ctx, id, error_r);
}

/* A workflow case_retention names that the instance has never had (a
   mistyped id): none of the cases meant is removed, and nothing else
   would show it. */
static void
warn_unknown(const struct cfg *cfg, struct store *store,
	     const struct retention *r)
{
	struct strlist unknown = { 0 };
	char *known = NULL, *err = NULL, *where;

	if (retention_unknown_workflows(r, store, &unknown, &known,
					&err) < 0) {
		ctl_error("%s", err);
		free(err);
		return;
	}
	where = cfg_blame(cfg, CFG_CASE_RETENTION);
	for (size_t i = 0; i < unknown.n; i++)
		ctl_error(_(RETENTION_UNKNOWN_WORKFLOW), where, unknown.v[i],
			  known);
	free(where);
	free(known);
	strlist_clear(&unknown);
}

/* outbox_retention: what was sent without a case. 0, or 1. */
static int
prune_outbox(const struct cfg *cfg, struct store *store, bool dry_run)
{
	const char *period = cfg_str(cfg, CFG_OUTBOX_RETENTION);
	long n;
	char *err = NULL;

	if (strcmp(period, "none") == 0) {
		printf("%s\n", _("outbox_retention is none: what was sent "
				 "without a case is kept."));
		return 0;
	}
	if (retention_outbox(store, period, time(NULL), store_audit_actor(),
			     dry_run, NULL, &n, &err) < 0) {
		ctl_error("%s", err);
		free(err);
		if (!dry_run && n > 0)
			printf(ngettext("%ld copy of mail sent without a case "
					"was removed before the error.\n",
					"%ld copies of mail sent without a "
					"case were removed before the error.\n",
					(unsigned long)n), n);
		return 1;
	}
	/* TRANSLATORS: %s is outbox_retention, such as P30D */
	printf(dry_run ? ngettext("Sent without a case, longer ago than %s: "
				  "%ld copy would be removed.\n",
				  "Sent without a case, longer ago than %s: "
				  "%ld copies would be removed.\n",
				  (unsigned long)n) :
			 ngettext("Sent without a case, longer ago than %s: "
				  "%ld copy removed.\n",
				  "Sent without a case, longer ago than %s: "
				  "%ld copies removed.\n", (unsigned long)n),
	       period, n);
	return 0;
}

/* case_retention. 0, 1, or EX_CONFIG. */
static int
prune_cases(const struct cfg *cfg, struct store *store, bool dry_run)
{
	struct retention *r = NULL;
	struct retention_stats stats;
	struct blob_prune_stats files;
	char *err = NULL;
	int ret = 1;

	/* the setting was checked when the configuration was read */
	if (retention_parse(cfg_str(cfg, CFG_CASE_RETENTION), &r, &err) < 0) {
		ctl_error("case_retention: %s", err);
		free(err);
		return EX_CONFIG;
	}
	if (r == NULL) {
		printf("%s\n", _("case_retention is none: no case is ever "
				 "removed."));
		return 0;
	}
	warn_unknown(cfg, store, r);
	printf("%s\n", dry_run ? _("Closed cases past their retention "
				   "period, to be removed:") :
				 _("Closed cases past their retention period, "
				   "removed:"));
	if (retention_run(store, r, time(NULL), store_audit_actor(), dry_run,
			  NULL, print_case, NULL, &stats, &err) < 0) {
		ctl_error("%s", err);
		if (!dry_run && stats.removed > 0)
			printf(ngettext("%ld case was removed before the "
					"error.\n",
					"%ld cases were removed before the "
					"error.\n", (unsigned long)stats.removed),
			       stats.removed);
		goto out;
	}
	if (dry_run) {
		printf(ngettext("%ld case would be removed.\n",
				"%ld cases would be removed.\n",
				(unsigned long)stats.removed), stats.removed);
		if (stats.left > 0)
			printf(ngettext("%ld case more is past its "
					"retention period, but would be left "
					"for now: it still has mail to "
					"send.\n",
					"%ld cases more are past their "
					"retention period, but would be left "
					"for now: they still have mail to "
					"send.\n",
					(unsigned long)stats.left), stats.left);
		ret = 0;
		goto out;
	}
	printf(ngettext("%ld case removed, ", "%ld cases removed, ",
			(unsigned long)stats.removed), stats.removed);
	printf(ngettext("and %ld citizen no case names any more.\n",
			"and %ld citizens no case names any more.\n",
			(unsigned long)stats.contacts), stats.contacts);
	if (stats.left > 0)
		printf(ngettext("%ld case was left for now: it still has mail "
				"to send.\n",
				"%ld cases were left for now: they still have "
				"mail to send.\n", (unsigned long)stats.left),
		       stats.left);
	/* their attachment files, unless another message has the same */
	if (stats.removed > 0 &&
	    blob_prune(cfg_str(cfg, CFG_SPOOL_DIR),
		       cfg_int(cfg, CFG_SPOOL_PRUNE_MIN_AGE) * 3600, 0, named,
		       store, NULL, &files, &err) < 0) {
		ctl_error("%s", err);
		goto out;
	}
	if (stats.removed > 0 && files.held)
		printf("%s\n", _("Attachment files no message names any more: "
				 "left for now, since a backup is copying the "
				 "spool; the next spool prune removes them."));
	else if (stats.removed > 0)
		printf(_("Attachment files no message names any more: %ld "
			 "removed (%llu bytes).\n"), files.removed,
		       files.removed_bytes);
	ret = 0;
out:
	free(err);
	retention_free(&r);
	return ret;
}

int
ctl_case_prune(const struct cfg *cfg, struct store *store, int argc,
	       char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	bool dry_run = false;
	int c, ret;

	while ((c = ctl_getopt(argc, argv, "n", opts)) != -1) {
		if (c != 'n')
			goto usage;
		dry_run = true;
	}
	if (ctl_too_many(argc, argv, optind, 0))
		goto usage;
	if ((ret = prune_cases(cfg, store, dry_run)) == EX_CONFIG)
		return ret;
	/* the cases' own sent mail went with them; then the rest */
	if (prune_outbox(cfg, store, dry_run) != 0)
		ret = 1;
	return ret;
usage:
	ctl_error("%s", _("usage: cirmctl case prune [--dry-run]"));
	return EX_USAGE;
}
