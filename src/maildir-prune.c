/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Retention of the Maildir gateway's processed copies (maildir-prune.h). */
#include "config.h"

#include "maildir-prune.h"

#include "retention.h"
#include "store.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes the audit entry of what was removed. */
static int
audit(const struct maildir_prune *p, struct store *store, const char *actor,
      const struct maildir_prune_stats *st, char **error_r)
{
	char *detail = xasprintf("retention %s, over mail_max_size %s: "
				 "removed %ld (%llu bytes), over "
				 "mail_max_size %ld", p->period,
				 p->oversize_period,
				 st->removed + st->oversize_removed,
				 st->removed_bytes, st->oversize_removed);
	int r = 0;

	if (store_begin(store, error_r) < 0)
		r = -1;
	else if (store_audit_add(store, p->now, actor, "maildir.prune", NULL,
				 detail, error_r) < 0 ||
		 store_commit(store, error_r) < 0) {
		store_rollback(store);
		r = -1;
	}
	free(detail);
	return r;
}

/* Looks at entry NAME of directory DFD: removes it (or, dry, reports
   it) when it is a copy older than its cutoff. -1 with *error_r on a
   failure to remove it. */
static int
one(const struct maildir_prune *p, int dfd, const char *name,
    int64_t before, int64_t oversize_before,
    struct maildir_prune_stats *st, char **error_r)
{
	struct stat sb;
	bool oversize;
	int64_t cutoff;

	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	if (name[0] == '.' ||
	    fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(sb.st_mode)) {
		/* gone meanwhile, or not a copy of ours */
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	if (name[0] == '.' || errno != ENOENT)
			st->other++;
		return 0;
	}
	oversize = sb.st_size > p->max_size;
	cutoff = oversize ? oversize_before : before;
	if (cutoff == 0 || (int64_t)sb.st_mtime >= cutoff) {
		if (oversize)
			st->oversize_kept++;
		else
			st->kept++;
		return 0;
	}
	if (p->dry_run) {
		if (p->report != NULL)
			p->report(name, (unsigned long long)sb.st_size,
				  oversize, p->ctx);
	} else if (unlinkat(dfd, name, 0) < 0) {
		if (errno == ENOENT)
			return 0;
		*error_r = xasprintf("%s/%s: %s", p->cur_dir, name,
				     strerror(errno));
		return -1;
	}
	if (oversize)
		st->oversize_removed++;
	else
		st->removed++;
	st->removed_bytes += (unsigned long long)sb.st_size;
	return 0;
}

int
maildir_prune(const struct maildir_prune *p, struct store *store,
	      const char *actor, struct maildir_prune_stats *stats,
	      char **error_r)
{
	int64_t before, oversize_before;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	memset(stats, 0, sizeof(*stats));
	if (retention_period_cutoff(p->period, p->now, &before,
				    error_r) < 0 ||
	    retention_period_cutoff(p->oversize_period, p->now,
				    &oversize_before, error_r) < 0)
		return -1;
	if (before == 0 && oversize_before == 0)
		return 0;
	if ((d = opendir(p->cur_dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		*error_r = xasprintf("%s: %s", p->cur_dir, strerror(errno));
		return -1;
	}
	while (ret == 0) {
		if (p->stop != NULL && atomic_load(p->stop)) {
			*error_r = xstrdup("stopped");
			ret = -1;
			break;
		}
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0) {
				*error_r = xasprintf("%s: %s", p->cur_dir,
						     strerror(errno));
				ret = -1;
			}
			break;
		}
		ret = one(p, dirfd(d), de->d_name, before, oversize_before,
			  stats, error_r);
	}
	closedir(d);
	/* what was removed is told, an error or not */
	if (!p->dry_run && store != NULL &&
	    stats->removed + stats->oversize_removed > 0) {
		char *err = NULL;

		if (audit(p, store, actor, stats, ret < 0 ? &err : error_r) < 0) {
			if (ret < 0)
				free(err);
			ret = -1;
		}
	}
	return ret;
}
