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

/* Files are removed under the write lock, in the transaction that
   writes the audit entry telling them: another writer that holds the
   lock for all of busy_timeout then stops the prune before a file goes,
   instead of failing the entry after they went. The lock is given back
   every MAILDIR_PRUNE_STEP files, so that the engine never waits long. */
#define MAILDIR_PRUNE_STEP 500

struct step {
	struct store *store;	/* NULL: nothing is audited */
	const char *actor;
	bool open;		/* its transaction is begun */
	struct maildir_prune_stats done; /* removed in it */
};

/* Ends S's transaction, with the audit entry of what it removed. 0, or
   -1 with *error_r. */
static int
step_end(const struct maildir_prune *p, struct step *s, char **error_r)
{
	const struct maildir_prune_stats *st = &s->done;
	char *detail;
	int r = 0;

	if (!s->open)
		return 0;
	s->open = false;
	if (st->removed + st->oversize_removed == 0) {
		store_rollback(s->store);
		return 0;
	}
	detail = xasprintf("retention %s, over mail_max_size %s: "
			   "removed %ld (%llu bytes), over mail_max_size %ld",
			   p->period, p->oversize_period,
			   st->removed + st->oversize_removed,
			   st->removed_bytes, st->oversize_removed);
	if (store_audit_add(s->store, p->now, s->actor, "maildir.prune", NULL,
			    detail, error_r) < 0 ||
	    store_commit(s->store, error_r) < 0) {
		store_rollback(s->store);
		r = -1;
	}
	free(detail);
	memset(&s->done, 0, sizeof(s->done));
	return r;
}

/* Looks at entry NAME of directory DFD: removes it (or, dry, reports
   it) when it is a copy older than its cutoff. -1 with *error_r on a
   failure to remove it. */
static int
one(const struct maildir_prune *p, struct step *s, int dfd, const char *name,
    int64_t before, int64_t oversize_before,
    struct maildir_prune_stats *st, char **error_r)
{
	struct stat sb;
	bool oversize;
	int64_t cutoff;

	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	/* not a copy of ours: a hidden file, one that cannot be read, or
	   no plain file; one gone meanwhile is nothing */
	if (name[0] == '.') {
		st->other++;
		return 0;
	}
	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			st->other++;
		return 0;
	}
	if (!S_ISREG(sb.st_mode)) {
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
	} else {
		if (s->store != NULL && !s->open) {
			if (store_begin(s->store, error_r) < 0)
				return -1;
			s->open = true;
		}
		if (unlinkat(dfd, name, 0) < 0) {
			if (errno == ENOENT)
				return 0;
			*error_r = xasprintf("%s/%s: %s", p->cur_dir, name,
					     strerror(errno));
			return -1;
		}
		s->done.removed += !oversize;
		s->done.oversize_removed += oversize;
		s->done.removed_bytes += (unsigned long long)sb.st_size;
	}
	if (oversize)
		st->oversize_removed++;
	else
		st->removed++;
	st->removed_bytes += (unsigned long long)sb.st_size;
	if (s->done.removed + s->done.oversize_removed >= MAILDIR_PRUNE_STEP)
		return step_end(p, s, error_r);
	return 0;
}

int
maildir_prune(const struct maildir_prune *p, struct store *store,
	      const char *actor, struct maildir_prune_stats *stats,
	      char **error_r)
{
	struct step s = { .store = p->dry_run ? NULL : store, .actor = actor };
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
		ret = one(p, &s, dirfd(d), de->d_name, before,
			  oversize_before, stats, error_r);
	}
	closedir(d);
	/* what was removed is told, an error or not */
	if (s.open) {
		char *err = NULL;

		if (step_end(p, &s, ret < 0 ? &err : error_r) < 0) {
			if (ret < 0)
				free(err);
			ret = -1;
		}
	}
	return ret;
}
