/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cirmctl backup [--no-spool] DIR: a consistent copy of a running
   instance's database, its attachment files and its key, in a new
   directory, checked before it is called done. cirmctl restore [--yes]
   DIR: puts such a copy back, keeping what it replaces. */
#include "config.h"

#include "blob.h"
#include "cfg.h"
#include "ctl.h"
#include "i18n.h"
#include "instance.h"
#include "lockfile.h"
#include "secret.h"
#include "settings.h"
#include "store.h"
#include "supervise.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#define USAGE N_("usage: cirmctl backup [--no-spool] DIR")
#define RESTORE_USAGE N_("usage: cirmctl restore [--yes] DIR")

/* The largest attachment file copied: far above any mail_max_size. */
#define BACKUP_FILE_MAX ((size_t)1 << 30)

struct copy_ctx {
	const char *from, *to;	/* spool directories */
	long files, missing;
	unsigned long long bytes;
	char *err;
	/* a restore from a backup made with --no-spool: a file the spool
	   lacks is counted, not named one by one (all of them would be) */
	int no_source;
	/* root restoring an instance: give what it writes to the owner of
	   the instance's database, so that cirmd (user cirm) can read it */
	int give;
	uid_t uid;
	gid_t gid;
};

/* Gives PATH to the instance's owner when C says so. 0, or -1 with
   errno. */
static int
give(const struct copy_ctx *c, const char *path)
{
	return c->give ? chown(path, c->uid, c->gid) : 0;
}

/* Copies one attachment file, checking its content against its name;
   with ONLY_MISSING, one the destination has already is left alone. */
static int
copy_blob(struct copy_ctx *c, const char *sha256, int only_missing)
{
	char id[BLOB_ID_LEN + 1], *err = NULL, *have;
	void *data;
	size_t len;

	if (only_missing && (have = blob_path(c->to, sha256)) != NULL) {
		int there = access(have, F_OK) == 0;

		free(have);
		if (there)
			return 0;
	}
	if (c->no_source) {
		c->missing++;
		return 0;
	}
	if (blob_get(c->from, sha256, BACKUP_FILE_MAX, &data, &len,
		     &err) < 0) {
		/* the backup goes on: it is still the best copy there is */
		ctl_error(_("attachment %s is not copied: %s"), sha256, err);
		free(err);
		c->missing++;
		return 0;
	}
	if (blob_put(c->to, data, len, id, 0, &c->err) < 0) {
		free(data);
		return -1;
	}
	free(data);
	if (c->give) {
		char *path = blob_path(c->to, id), *slash;
		int r = give(c, path);

		if (r == 0 && (slash = strrchr(path, '/')) != NULL) {
			*slash = '\0';	/* its fan-out directory */
			r = give(c, path);
		}
		if (r < 0)
			c->err = xasprintf("%s: %s", path, strerror(errno));
		free(path);
		if (r < 0)
			return -1;
	}
	c->files++;
	c->bytes += len;
	return 0;
}

static int
copy_file(const char *sha256, void *arg)
{
	return copy_blob(arg, sha256, 0);
}

static int
copy_missing_file(const char *sha256, void *arg)
{
	return copy_blob(arg, sha256, 1);
}

/* Makes DIR for the backup: new, or an empty directory. 1 when it is
   made here, 0 when it was there (empty), or -1. */
static int
make_dir(const char *dir)
{
	DIR *d;
	struct dirent *e;
	int empty = 1;

	if (mkdir(dir, 0700) == 0)
		return 1;
	if (errno != EEXIST || (d = opendir(dir)) == NULL) {
		ctl_error(_("%s: cannot create the directory: %s"), dir,
			  strerror(errno));
		return -1;
	}
	while (empty && (e = readdir(d)) != NULL)
		empty = strcmp(e->d_name, ".") == 0 ||
			strcmp(e->d_name, "..") == 0;
	closedir(d);
	if (!empty) {
		ctl_error(_("%s is not empty: a backup goes into a new or "
			    "empty directory, so that it never mixes with an "
			    "older one"), dir);
		return -1;
	}
	return chmod(dir, 0700);
}

/* Flushes PATH to disk. 0 or -1 with errno. */
static int
sync_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

/* Copies the file NAME of the directory FROM (open as FROMFD) to TO,
   keeping its time (for a mail of cirm-mailgate's, the moment it
   reached us) and syncing it; TO must not exist and gets MODE. 0; 1 when NAME is gone
   or is not a regular file (the mailgate gateway took it in meanwhile);
   -1 with *ERROR_R. */
static int
copy_mail_file(const struct copy_ctx *c, int fromfd, const char *from,
	       const char *name, const char *to, unsigned int mode,
	       unsigned long long *bytes, char **error_r)
{
	char buf[65536];
	struct stat st;
	int in, out = -1;
	ssize_t n = 0;

	in = openat(fromfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0 && (errno == ENOENT || errno == ELOOP))
		return 1;
	if (in < 0 || fstat(in, &st) < 0) {
		*error_r = xasprintf("%s/%s: %s", from, name, strerror(errno));
		if (in >= 0)
			close(in);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(in);
		return 1;
	}
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	while (out >= 0 && (n = read(in, buf, sizeof(buf))) > 0 &&
	       write_all(out, buf, (size_t)n) == 0)
		*bytes += (unsigned long long)n;
	if (n < 0)
		*error_r = xasprintf("%s/%s: %s", from, name, strerror(errno));
	else if (out < 0 || n > 0 ||
		 futimens(out, (const struct timespec[]){ st.st_atim,
							  st.st_mtim }) < 0 ||
		 give(c, to) < 0 || fsync(out) < 0)
		*error_r = xasprintf("%s: %s", to, strerror(errno));
	close(in);
	if (out >= 0 && close(out) < 0 && *error_r == NULL)
		*error_r = xasprintf("%s: %s", to, strerror(errno));
	if (*error_r == NULL)
		return 0;
	if (out >= 0)
		unlink(to);
	return -1;
}

/* Where a restore writes NAME before it is renamed into place: a name
   the gateway reading the directory leaves alone. */
static char *
maildir_tmp(const char *to, const char *name)
{
	return xasprintf("%s/tmp/%s", to, name);
}

static char *
dotted_tmp(const char *to, const char *name)
{
	return xasprintf("%s/.%s.restore", to, name);
}

/* What copy_mails and copy_sms share: each file of the directory D
   (FROM) that WANTS takes, copied into DEST under its own name, mode
   0600 for a backup; with TMP_PATH, for a restore, mode 0640, written
   where TMP_PATH(TO, name) says and renamed into place, unless DEST
   has it already. DEST is synced when a file was copied. The number
   copied, or -1 with *ERROR_R. */
static long
copy_files(const struct copy_ctx *c, DIR *d, const char *from,
	   const char *to, const char *dest, bool (*wants)(const char *),
	   char *(*tmp_path)(const char *to, const char *name),
	   unsigned long long *bytes, char **error_r)
{
	struct dirent *e;
	long n = 0;

	while (*error_r == NULL && (e = readdir(d)) != NULL) {
		char *tmp, *path;
		int r;

		if (!wants(e->d_name))
			continue;
		path = xasprintf("%s/%s", dest, e->d_name);
		tmp = tmp_path != NULL ? tmp_path(to, e->d_name) :
					 xstrdup(path);
		if (tmp_path != NULL && access(path, F_OK) == 0)
			r = 1;	/* DEST has it: the same mail or SMS */
		else
			r = copy_mail_file(c, dirfd(d), from, e->d_name, tmp,
					   tmp_path != NULL ? 0640 : 0600,
					   bytes, error_r);
		if (r == 0 && tmp_path != NULL && rename(tmp, path) < 0) {
			*error_r = xasprintf("%s: %s", path, strerror(errno));
			unlink(tmp);
			r = -1;
		}
		n += r == 0;
		free(tmp);
		free(path);
	}
	if (*error_r == NULL && n > 0 && sync_file(dest) < 0)
		*error_r = xasprintf("%s: %s", dest, strerror(errno));
	return *error_r == NULL ? n : -1;
}

/* Any name but a hidden one: a mail of a Maildir's new/. */
static bool
mail_file_name(const char *name)
{
	return name[0] != '.';
}

/* Copies each mail of the directory FROM into TO/new under its own
   name: for a backup, TO is made (mode 0700); with INTO_MAILDIR, for a
   restore, TO is a Maildir (made if missing) and each mail goes by way
   of its tmp/, unless new/ has it already. The number copied, or -1
   with *ERROR_R. */
static long
copy_mails(const struct copy_ctx *c, const char *from, const char *to,
	   int into_maildir, unsigned long long *bytes, char **error_r)
{
	DIR *d = opendir(from);
	char *dest = xasprintf("%s/new", to);
	/* TO and TO/new, and TO/tmp for a restore: made when missing (an
	   instance older than cirm-mailgate's Maildir) */
	const char *subs[] = { "", "/new", into_maildir ? "/tmp" : NULL };
	long n = 0;

	if (d == NULL) {
		free(dest);
		if (errno == ENOENT)
			return 0;
		*error_r = xasprintf("%s: %s", from, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < N_ELEMENTS(subs) && subs[i] != NULL &&
			   *error_r == NULL; i++) {
		char *path = xasprintf("%s%s", to, subs[i]);

		if (access(path, F_OK) < 0 &&
		    (mkdir(path, into_maildir ? 0750 : 0700) < 0 ||
		     give(c, path) < 0))
			*error_r = xasprintf("%s: %s", path, strerror(errno));
		free(path);
	}
	if (*error_r == NULL)
		n = copy_files(c, d, from, to, dest, mail_file_name,
			       into_maildir ? maildir_tmp : NULL, bytes,
			       error_r);
	closedir(d);
	free(dest);
	return *error_r == NULL ? n : -1;
}

/* Copies each SMS of smsd's incoming/ directory FROM into TO under its
   own name: for a backup, TO is made (mode 0700) and each file mode
   0600; with INTO_SPOOL, for a restore, TO is incoming/ (made if
   missing), each file written under a dotted name (which the gateway
   leaves alone) and renamed, unless TO has it already. The number
   copied, or -1 with *ERROR_R. */
static long
copy_sms(const struct copy_ctx *c, const char *from, const char *to,
	 int into_spool, unsigned long long *bytes, char **error_r)
{
	DIR *d = opendir(from);
	long n = 0;

	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		*error_r = xasprintf("%s: %s", from, strerror(errno));
		return -1;
	}
	if (access(to, F_OK) < 0 &&
	    (mkdir(to, into_spool ? 0750 : 0700) < 0 || give(c, to) < 0))
		*error_r = xasprintf("%s: %s", to, strerror(errno));
	if (*error_r == NULL)
		n = copy_files(c, d, from, to, to, smsd_incoming_name,
			       into_spool ? dotted_tmp : NULL, bytes, error_r);
	closedir(d);
	return *error_r == NULL ? n : -1;
}

/* Copies the key file, refused (as everywhere) when others may read it. */
static int
copy_key(const char *from, const char *to, char **error_r)
{
	char *data = NULL;
	size_t len = 0;
	int r;

	if (secret_read(from, &data, &len, error_r) < 0)
		return -1;
	r = write_file_atomic(to, data, len, 0600, 1);
	secret_free(&data, len);
	if (r < 0) {
		*error_r = xasprintf("%s: %s", to, strerror(errno));
		return -1;
	}
	return 0;
}

/* The copy of the database at PART, checked, and its attachment files
   copied (unless NO_SPOOL). 0, 1 when files were missing, -1. */
static int
check_and_copy(const struct cfg *cfg, const char *part, const char *dir,
	       int no_spool, struct copy_ctx *c)
{
	struct store_settings set = { 0 };
	struct store *copy;
	char *err = NULL, *spool;
	int r;

	if (store_open(part, &set, &copy, &err) < 0) {
		ctl_error(_("the copy does not open: %s"), err);
		free(err);
		return -1;
	}
	if ((r = store_quick_check(copy, &err)) <= 0) {
		ctl_error(_("the copy is not sound: %s"), err);
		free(err);
		store_free(&copy);
		return -1;
	}
	if (no_spool) {
		store_free(&copy);
		return 0;
	}
	spool = xasprintf("%s/spool", dir);
	c->from = cfg_str(cfg, CFG_SPOOL_DIR);
	c->to = spool;
	if (mkdir(spool, 0700) < 0) {
		ctl_error(_("%s: cannot create the directory: %s"), spool,
			  strerror(errno));
		r = -1;
	} else if ((r = store_attachment_files(copy, copy_file, c,
					       &err)) != 0) {
		ctl_error("%s", c->err != NULL ? c->err : err);
		r = -1;
	} else if (blob_sync(spool, &err) < 0) {
		ctl_error("%s", err);
		r = -1;
	}
	free(c->err);
	free(err);
	free(spool);
	store_free(&copy);
	return r < 0 ? -1 : c->missing > 0;
}

static int
backup(const struct cfg *cfg, struct store *store, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-spool", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct copy_ctx c = { 0 };
	const char *dir;
	char *db, *part, *key, *err = NULL, *mail_dir, *mail_from, *where;
	char *inbox_dir;
	int opt, no_spool = 0, r, made, hold = -1;
	long mails, delivered, texts = 0;
	unsigned long long mail_bytes = 0, delivered_bytes = 0, text_bytes = 0;
	int sms;
	struct stat sb;

	while ((opt = ctl_getopt(argc, argv, "n", opts)) != -1) {
		if (opt != 'n') {
			ctl_error("%s", _(USAGE));
			return EX_USAGE;
		}
		no_spool = 1;
	}
	if (ctl_too_many(argc, argv, optind, 1) || optind != argc - 1) {
		ctl_error("%s", _(USAGE));
		return EX_USAGE;
	}
	dir = argv[optind];
	if ((made = make_dir(dir)) < 0)
		return 1;
	/* Who took the citizens' mail out of the instance, and where to
	   (the whole path, wherever cirmctl was run from): in the audit
	   log before anything is copied, so that no copy exists that the
	   log does not name, and the backup holds its own entry. With the
	   write lock held elsewhere for all of busy_timeout nothing is
	   copied. */
	if ((where = realpath(dir, NULL)) == NULL)
		where = xstrdup(dir);
	if (ctl_audit_add(store, "instance.backup", where,
			  no_spool ? "database, key, waiting mails "
				     "(--no-spool)" :
				     "database, spool, key, waiting mails",
			  &err) < 0) {
		ctl_error(_("no backup was made: its entry in the audit log "
			    "comes first, and could not be written: %s"),
			  err);
		free(err);
		if (made)
			rmdir(dir);	/* only when still empty */
		free(where);
		return 1;
	}
	db = xasprintf("%s/cirm.db", dir);
	part = xasprintf("%s/cirm.db.part", dir);
	key = xasprintf("%s/cirm.key", dir);
	mail_dir = xasprintf("%s/mailgate", dir);
	mail_from = xasprintf("%s/new", cfg_str(cfg, CFG_MAILGATE_DIR));
	/* Mail cirm-mailgate stored that is not in the database yet (cirmd
	   stopped, or a burst). Copied before the database, so that a mail
	   the mailgate gateway takes in meanwhile is in the database copy:
	   in both at worst, and then the engine keeps one of the two. */
	if ((mails = copy_mails(&c, mail_from, mail_dir, 0, &mail_bytes,
				&err)) < 0) {
		ctl_error(_("mail cirm-mailgate stored is not in the backup: "
			    "%s"), err);
		free(err);
		err = NULL;
	}
	free(mail_from);
	/* So is the mail an MTA delivered into the Maildir inbox that the
	   Maildir gateway has not taken in (cirmd stopped): outside the
	   database too, and lost with the machine if not copied. */
	mail_from = xasprintf("%s/inbox/new", cfg_str(cfg, CFG_MAILDIR_DIR));
	inbox_dir = xasprintf("%s/inbox", dir);
	if ((delivered = copy_mails(&c, mail_from, inbox_dir, 0,
				    &delivered_bytes, &err)) < 0) {
		ctl_error(_("mail delivered into the Maildir inbox is not in "
			    "the backup: %s"), err);
		free(err);
		err = NULL;
	}
	free(mail_from);
	free(inbox_dir);
	/* And the SMS smsd wrote into incoming/ that the smstools gateway
	   has not taken in: outside the database as well. */
	sms = strcmp(cfg_str(cfg, CFG_SMS_TRANSPORT), "smstools") == 0;
	if (sms) {
		mail_from = xasprintf("%s/incoming",
				      cfg_str(cfg, CFG_SMS_SPOOL_DIR));
		inbox_dir = xasprintf("%s/sms", dir);
		if ((texts = copy_sms(&c, mail_from, inbox_dir, 0,
				      &text_bytes, &err)) < 0) {
			ctl_error(_("SMS smsd stored in incoming/ are not in "
				    "the backup: %s"), err);
			free(err);
			err = NULL;
		}
		free(mail_from);
		free(inbox_dir);
	}
	/* The database comes last under its own name: a backup that has
	   cirm.db is whole. From before its copy until the files it names
	   are copied, no spool prune removes one (its last row removed
	   meanwhile by retention): the spool is held. */
	if (!no_spool && blob_hold(cfg_str(cfg, CFG_SPOOL_DIR), &hold,
				   &err) < 0) {
		/* the files are read one by one all the same (a spool this
		   user may not list): the backup is still the best copy
		   there is */
		ctl_error(_("warning: the spool is not held against a prune "
			    "(%s): a file that goes meanwhile is not in the "
			    "backup"), err);
		free(err);
		err = NULL;
	}
	if (store_backup(store, part, &err) < 0) {
		ctl_error("%s", err);
		free(err);
		err = NULL;
		r = -1;
	} else if (chmod(part, 0600) < 0) {
		ctl_error("%s: %s", part, strerror(errno));
		r = -1;
	} else {
		r = check_and_copy(cfg, part, dir, no_spool, &c);
	}
	blob_release(&hold);
	if (r >= 0 && copy_key(cfg_str(cfg, CFG_KEY_FILE), key, &err) < 0) {
		ctl_error("%s", err);
		free(err);
		r = -1;
	}
	if (r >= 0 && (sync_file(part) < 0 || rename(part, db) < 0 ||
		       fsync_parent(db) < 0)) {
		ctl_error("%s: %s", db, strerror(errno));
		r = -1;
	}
	if (r < 0) {
		unlink(part);
		ctl_error(_("no backup was made; %s may hold parts of one"),
			  dir);
		/* the entry above said a backup went there: this one says
		   it did not come whole (best effort, the status is 1 as
		   it is) */
		if (ctl_audit_add(store, "instance.backup", where,
				  "failed: no backup was made; the directory "
				  "may hold parts of one", &err) < 0) {
			ctl_error(_("the audit log does not record that the "
				    "backup failed: %s"), err);
			free(err);
		}
		free(where);
		free(db);
		free(part);
		free(key);
		free(mail_dir);
		return 1;
	}
	free(where);
	printf(_("Backup written to %s:\n"), dir);
	printf(_("  cirm.db   the database (%lld bytes), checked\n"),
	       stat(db, &sb) == 0 ? (long long)sb.st_size : 0LL);
	if (no_spool)
		printf("%s", _("  spool/    not copied (--no-spool): copy the "
			       "instance's spool yourself\n"));
	else
		printf(_("  spool/    %ld attachment files (%llu bytes), "
			 "each checked against its SHA-256\n"),
		       c.files, c.bytes);
	if (mails >= 0)
		printf(ngettext("  mailgate/ %ld mail cirm-mailgate stored that "
				"was not in the database yet (%llu bytes); "
				"restore puts it back\n",
				"  mailgate/ %ld mails cirm-mailgate stored that "
				"were not in the database yet (%llu bytes); "
				"restore puts them back\n",
				(unsigned long)mails),
		       mails, mail_bytes);
	if (delivered >= 0)
		printf(ngettext("  inbox/    %ld mail delivered into the "
				"Maildir inbox that was not in the database "
				"yet (%llu bytes); restore puts it back\n",
				"  inbox/    %ld mails delivered into the "
				"Maildir inbox that were not in the database "
				"yet (%llu bytes); restore puts them back\n",
				(unsigned long)delivered),
		       delivered, delivered_bytes);
	if (sms && texts >= 0)
		printf(ngettext("  sms/      %ld SMS smsd stored in "
				"incoming/ that was not in the database yet "
				"(%llu bytes); restore puts it back\n",
				"  sms/      %ld SMS smsd stored in "
				"incoming/ that were not in the database yet "
				"(%llu bytes); restore puts them back\n",
				(unsigned long)texts),
		       texts, text_bytes);
	printf("%s", _("  cirm.key  the instance key\n"));
	printf("%s", _("It holds citizens' mail and the key that signs reply "
		       "addresses: keep it as safe as the instance.\n"));
	/* what the administrator edits: a restore on another machine
	   starts new cases on the workflows found there */
	printf(_("cirm.conf, the password files it names, the workflows (%s) "
		 "and the templates (%s) are not in it: keep copies of them "
		 "beside it.\n"),
	       cfg_str(cfg, CFG_WORKFLOW_DIR), cfg_str(cfg, CFG_TEMPLATE_DIR));
	if (mails < 0 || delivered < 0 || texts < 0)
		r = 1;
	if (c.missing > 0) {
		/* gone, or not this user's to read (a directory cirmd made
		   as root): the lines above say which */
		ctl_error(ngettext("%ld attachment file the database names "
				   "could not be read from the spool, and so "
				   "is not in the backup (see above why)",
				   "%ld attachment files the database names "
				   "could not be read from the spool, and so "
				   "are not in the backup (see above why)",
				   (unsigned long)c.missing),
			  c.missing);
		r = 1;
	}
	free(db);
	free(part);
	free(key);
	free(mail_dir);
	return r;
}

int
ctl_backup(const struct ctl *ctl, int argc, char **argv)
{
	return ctl_with_store(ctl, backup, argc, argv);
}

/* Refuses while cirmd or one of its gateways runs on the database: they
   would go on with what they hold in memory. Holds cirmd's lock (so that
   none starts meanwhile) until the process ends. 0 or -1. */
static int
instance_stopped(const char *database)
{
	char *lock = xasprintf("%s.cirmd-lock", database), *err = NULL;
	pid_t holder = 0;
	int fd;

	/* cirm-mailgate wakes the holder of cirmd's lock with SIGUSR1 */
	signal(SIGUSR1, SIG_IGN);
	fd = lockfile_acquire(lock, &holder, &err);
	free(lock);
	if (fd == -2) {
		ctl_error(_("cirmd (pid %ld) is running on %s: stop it first "
			    "(systemctl stop cirmd)"), (long)holder, database);
		return -1;
	}
	if (fd < 0) {
		ctl_error("%s", err);
		free(err);
		return -1;
	}
	for (size_t i = 0; supervisor_gateways[i] != NULL; i++) {
		const char *name = supervisor_gateways[i];

		lock = xasprintf("%s.%s-lock", database, name);
		holder = lockfile_holder(lock);
		free(lock);
		if (holder != 0) {
			ctl_error(_("the %s gateway (pid %ld) is running on "
				    "%s: stop it first"), name,
				  (long)holder, database);
			return -1;
		}
	}
	return 0;	/* fd stays open: the lock is held to the end */
}

static void
print_summary(const char *what, const struct store_summary *s)
{
	char t[32];

	if (s->cases == 0)
		printf(_("%s: no cases\n"), what);
	else
		printf(ngettext("%s: %lld case, the newest %s of %s\n",
				"%s: %lld cases, the newest %s of %s\n",
				(unsigned long)s->cases),
		       what, (long long)s->cases, s->newest,
		       ctl_time(s->newest_at, t));
}

/* Puts the key of the backup in place of the instance's when they
   differ, keeping the instance's beside it as KEEP; when the instance
   has none, the backup's is put in place all the same. 0, 1 when they
   are the same, 2 when the instance had none, -1. */
static int
restore_key(const struct copy_ctx *c, const char *from, const char *key,
	    const char *keep, char **error_r)
{
	char *mine = NULL, *theirs = NULL;
	size_t mine_len = 0, theirs_len = 0;
	int r = -1;

	if (secret_read(from, &theirs, &theirs_len, error_r) < 0)
		return -1;
	if (access(key, F_OK) < 0 && errno == ENOENT) {
		if (write_file_atomic(key, theirs, theirs_len, 0600, 1) < 0 ||
		    give(c, key) < 0)
			*error_r = xasprintf("%s: %s", key, strerror(errno));
		else
			r = 2;
		secret_free(&theirs, theirs_len);
		return r;
	}
	if (secret_read(key, &mine, &mine_len, error_r) < 0) {
		secret_free(&theirs, theirs_len);
		return -1;
	}
	if (mine_len == theirs_len && memcmp(mine, theirs, mine_len) == 0)
		r = 1;
	else if (write_file_atomic(keep, mine, mine_len, 0600, 1) < 0)
		*error_r = xasprintf("%s: %s", keep, strerror(errno));
	else if (give(c, keep) < 0 ||
		 write_file_atomic(key, theirs, theirs_len, 0600, 1) < 0 ||
		 give(c, key) < 0)
		*error_r = xasprintf("%s: %s", key, strerror(errno));
	else
		r = 0;
	secret_free(&mine, mine_len);
	secret_free(&theirs, theirs_len);
	return r;
}

/* A new, empty database at the instance's path (the restore then copies
   the backup's over it), its owner C's when root runs this. */
static int
new_database(const struct cfg *cfg, const struct copy_ctx *c,
	     struct store **store_r)
{
	struct store_settings sset = {
		.create = 1,
		.busy_timeout_ms = (int)cfg_int(cfg, CFG_BUSY_TIMEOUT),
	};
	const char *database = cfg_str(cfg, CFG_DATABASE);
	char *err = NULL;

	if (store_open(database, &sset, store_r, &err) < 0) {
		ctl_error(_("nothing restored: %s"), err);
		free(err);
		return -1;
	}
	/* SQLite gives its -wal and -shm the database's owner */
	if (give(c, database) < 0) {
		ctl_error("%s: %s", database, strerror(errno));
		return -1;
	}
	return 0;
}

static bool
ends_in_slash(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && s[n - 1] == '/';
}

/* The SMS files in DIR (a backup's sms/), 0 when none. */
static long long
count_sms(const char *dir)
{
	int64_t oldest = 0;

	return ctl_files_waiting(dir, smsd_incoming_name, &oldest);
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directories of DIR that hold a backup (a cirm.db), by name (a
   nightly backup's name is its day), the last ten of them joined by
   ", "; NULL when there is none. DIR is where the backups go, given for
   one of them: the cron job of cirmctl(1) makes one directory a day. */
static char *
backups_below(const char *dir)
{
	struct strlist names = { 0 }, last = { 0 };
	DIR *d = opendir(dir);
	struct dirent *e;
	char *joined;

	if (d == NULL)
		return NULL;
	while ((e = readdir(d)) != NULL && names.n < 100000) {
		char *db;

		if (e->d_name[0] == '.')
			continue;
		db = xasprintf("%s/%s/cirm.db", dir, e->d_name);
		if (access(db, F_OK) == 0)
			strlist_add(&names, e->d_name);
		free(db);
	}
	closedir(d);
	if (names.n == 0)
		return NULL;
	qsort(names.v, names.n, sizeof(*names.v), compare_names);
	for (size_t i = names.n > 10 ? names.n - 10 : 0; i < names.n; i++)
		strlist_add(&last, names.v[i]);
	joined = strlist_join_sep(&last, ", ");
	strlist_clear(&names);
	strlist_clear(&last);
	return joined;
}

int
ctl_restore(const struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "yes", no_argument, NULL, 'y' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_summary now = { 0 }, then = { 0 };
	struct copy_ctx c = { 0 };
	struct store *store = NULL;
	struct cfg *cfg = NULL;
	const char *dir, *database;
	char *from = NULL, *from_key = NULL, *keep = NULL, *keep_key = NULL;
	char *from_spool = NULL, *err = NULL, stamp[40];
	char *from_mail = NULL, *inbox;
	int opt, yes = 0, ret = 1, r, fresh;
	long mails;
	long long sms_waiting;
	int64_t audit_kept = 0;
	unsigned long long mail_bytes = 0;
	time_t t = time(NULL);
	struct stat sb;

	while ((opt = ctl_getopt(argc, argv, "y", opts)) != -1) {
		if (opt != 'y') {
			ctl_error("%s", _(RESTORE_USAGE));
			return EX_USAGE;
		}
		yes = 1;
	}
	if (ctl_too_many(argc, argv, optind, 1) || optind != argc - 1) {
		ctl_error("%s", _(RESTORE_USAGE));
		return EX_USAGE;
	}
	dir = argv[optind];
	if (ctl_load_config(ctl, &cfg) < 0)
		return EX_CONFIG;
	database = cfg_str(cfg, CFG_DATABASE);
	/* a new machine: cirm.conf in place, and the backup to bring the
	   instance back (cirmctl init would refuse over cirm.conf) */
	fresh = access(database, F_OK) < 0 && errno == ENOENT;
	from = xasprintf("%s/cirm.db", dir);
	from_key = xasprintf("%s/cirm.key", dir);
	from_spool = xasprintf("%s/spool", dir);
	/* Without --yes nothing is changed: what would be is shown while
	   the service runs, and said to need it stopped. */
	if (yes && instance_stopped(database) < 0)
		goto out;
	/* "restore /srv/cirm", the instance's own directory, for the
	   backup's: SQLite would only say the file is locked */
	{
		struct stat a, b;

		if (stat(from, &a) == 0 && stat(database, &b) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			ctl_error(_("%s is the instance's own database, not a "
				    "backup: give the directory that 'cirmctl "
				    "backup' wrote"), from);
			goto out;
		}
	}
	/* root restoring the service user's instance: what is made is that
	   user's, the database's owner (or its directory's, for a new
	   one) */
	if (fresh) {
		char *d = path_dir(database);

		r = stat(d, &sb);
		free(d);
	} else {
		r = stat(database, &sb);
	}
	if (yes && geteuid() == 0 && r == 0 && sb.st_uid != 0) {
		char *lock = xasprintf("%s.cirmd-lock", database);

		c.give = 1;
		c.uid = sb.st_uid;
		c.gid = sb.st_gid;
		/* made now if cirmd never ran: it must be able to open it */
		(void)give(&c, lock);
		free(lock);
	}
	if (store_summary_file(from, &then, &err) < 0) {
		/* a backup root made, restored by cirm: SQLite says only
		   "unable to open database file" */
		char *why = NULL;

		if (access(dir, R_OK | X_OK) < 0)
			why = secret_owner_error(dir, errno);
		else if (access(from, R_OK) < 0)
			why = secret_owner_error(from, errno);
		if (why != NULL)
			ctl_error("%s", why);
		else if ((why = backups_below(dir)) != NULL)
			ctl_error(_("%s holds no backup itself, but these "
				    "directories in it do (by name, the last "
				    "ten): %s; name the one to restore, as in "
				    "cirmctl restore %s%s%s"), dir, why, dir,
				  ends_in_slash(dir) ? "" : "/",
				  strrchr(why, ' ') != NULL ?
					  strrchr(why, ' ') + 1 : why);
		else if (access(dir, F_OK) < 0 && errno == ENOENT)
			ctl_error(_("%s holds no backup: there is no such "
				    "directory"), dir);
		else if (access(from, F_OK) < 0 && errno == ENOENT)
			ctl_error(_("%s holds no backup: there is no cirm.db "
				    "in it"), dir);
		else
			ctl_error(_("%s holds no backup: %s"), dir, err);
		free(why);
		goto out;
	}
	/* damage the newest case does not show (bit rot on the backup's
	   medium) would replace a sound database with a damaged one */
	if (store_file_check(from, &err) < 0) {
		ctl_error(_("nothing restored: %s"), err);
		goto out;
	}
	/* a key cirmd cannot load would stop it from starting on the
	   restored instance: checked before anything is changed */
	{
		unsigned char key[SECRET_KEY_LEN];

		r = secret_key_load(from_key, key, &err);
		explicit_bzero(key, sizeof(key));
		if (r < 0) {
			ctl_error(_("nothing restored: the backup's key is not "
				    "usable: %s"), err);
			goto out;
		}
	}
	if (fresh) {
		printf(_("The instance has no database yet: %s\n"), database);
	} else {
		if (ctl_open_store(cfg, &store) < 0)
			goto out;
		if (store_summary(store, &now, &err) < 0) {
			ctl_error("%s", err);
			goto out;
		}
		print_summary(_("The instance"), &now);
	}
	print_summary(_("The backup"), &then);
	{
		char *mg = xasprintf("%s/mailgate", dir);
		int64_t oldest;
		long long n = ctl_mailgate_waiting(mg, &oldest);

		free(mg);
		if (n > 0)
			printf(ngettext("The backup also holds %lld mail "
					"cirm-mailgate had stored and cirmd "
					"had not taken in.\n",
					"The backup also holds %lld mails "
					"cirm-mailgate had stored and cirmd "
					"had not taken in.\n",
					(unsigned long)n), n);
		mg = xasprintf("%s/inbox", dir);
		n = ctl_mailgate_waiting(mg, &oldest);
		free(mg);
		if (n > 0)
			printf(ngettext("The backup also holds %lld mail "
					"delivered into the Maildir inbox that "
					"cirmd had not taken in.\n",
					"The backup also holds %lld mails "
					"delivered into the Maildir inbox that "
					"cirmd had not taken in.\n",
					(unsigned long)n), n);
		mg = xasprintf("%s/sms", dir);
		n = count_sms(mg);
		free(mg);
		if (n > 0)
			printf(ngettext("The backup also holds %lld SMS smsd "
					"had stored in incoming/ and cirmd had "
					"not taken in.\n",
					"The backup also holds %lld SMS smsd "
					"had stored in incoming/ and cirmd had "
					"not taken in.\n",
					(unsigned long)n), n);
	}
	keep = kept_copy_name(database, "before-restore", (int64_t)t, stamp);
	if (!yes) {
		char *lock = xasprintf("%s.cirmd-lock", database);
		pid_t holder = lockfile_holder(lock);

		free(lock);
		if (holder != 0)
			printf(_("cirmd (pid %ld) is running on %s: stop it "
				 "before restore --yes.\n"), (long)holder,
			       database);
		if (fresh)
			printf(_("Nothing is changed. With --yes the backup's "
				 "database is put in place as %s.\n"),
			       database);
		else
			printf(_("Nothing is changed. With --yes the "
				 "instance's database becomes the backup's, "
				 "and the present one is kept as %s.\n"),
			       keep);
		ret = 0;
		goto out;
	}
	if (fresh && new_database(cfg, &c, &store) < 0)
		goto out;
	if (store_restore(store, from, keep, &audit_kept, &err) < 0) {
		ctl_error(_("nothing restored: %s"), err);
		unlink(keep);
		goto out;
	}
	/* an empty database made a moment ago is nothing to keep */
	if (fresh)
		unlink(keep);
	chmod(keep, 0600);
	(void)give(&c, keep);
	store_free(&store);
	/* brings an older backup's schema up to date */
	if (ctl_open_store(cfg, &store) < 0)
		goto out;
	if (fresh)
		printf(_("The database is restored as %s.\n"), database);
	else
		printf(_("The database is restored; the one before is in "
			 "%s.\n"), keep);
	if (audit_kept > 0)
		printf(ngettext("The audit log goes on: %lld entry written "
				"since the backup is kept after the "
				"backup's.\n",
				"The audit log goes on: %lld entries written "
				"since the backup are kept after the "
				"backup's.\n",
				(unsigned long)audit_kept),
		       (long long)audit_kept);
	/* personal data retention had erased, back from the backup: the
	   records officer is to know; the next prune removes it again when
	   it is past its period */
	{
		int64_t back = 0;

		if (store_removed_cases_back(store, &back, &err) < 0) {
			ctl_error("%s", err);
			free(err);
			err = NULL;
		} else if (back > 0) {
			printf(ngettext("%lld case that retention had removed "
					"since the backup is back, with its "
					"citizen's data; 'cirmctl case prune "
					"--dry-run' shows whether it goes "
					"again now (cirmd's housekeeping "
					"removes it at its start when it "
					"does).\n",
					"%lld cases that retention had removed "
					"since the backup are back, with their "
					"citizens' data; 'cirmctl case prune "
					"--dry-run' shows which go again now "
					"(cirmd's housekeeping removes them at "
					"its start when they do).\n",
					(unsigned long)back), (long long)back);
		}
	}
	ret = 0;
	/* a new machine has no spool or Maildirs yet: made as cirmctl
	   init makes them, or the service would run taking no mail */
	{
		struct strlist made = { 0 };

		if (instance_make_dirs(cfg, &made, &err) < 0) {
			ctl_error("%s", err);
			free(err);
			err = NULL;
			ret = 1;
		}
		for (size_t i = 0; i < made.n; i++) {
			if (give(&c, made.v[i]) < 0) {
				ctl_error("%s: %s", made.v[i],
					  strerror(errno));
				ret = 1;
			}
		}
		if (made.n > 0)
			printf(ngettext("%zu directory the instance lacked "
					"(spool, Maildirs) is made, as cirmctl "
					"init makes it\n",
					"%zu directories the instance lacked "
					"(spool, Maildirs) are made, as cirmctl "
					"init makes them\n",
					(unsigned long)made.n), made.n);
		strlist_clear(&made);
	}
	c.from = from_spool;
	c.to = cfg_str(cfg, CFG_SPOOL_DIR);
	c.no_source = access(from_spool, F_OK) < 0 && errno == ENOENT;
	if (store_attachment_files(store, copy_missing_file, &c, &err) != 0 ||
	    (c.files > 0 && blob_sync(c.to, &err) < 0)) {
		ctl_error("%s", c.err != NULL ? c.err : err);
		ret = 1;
	} else if (c.files > 0 && give(&c, c.to) < 0) {
		/* the spool itself, made with the first file on a new
		   machine */
		ctl_error("%s: %s", c.to, strerror(errno));
		ret = 1;
	} else {
		printf(_("Attachment files put back in the spool: %ld (%llu "
			 "bytes)\n"), c.files, c.bytes);
	}
	/* what the mailgate had stored and cirmd had not taken in: it waits
	   for cirmd again */
	free(err);
	err = NULL;
	from_mail = xasprintf("%s/mailgate/new", dir);
	mails = copy_mails(&c, from_mail, cfg_str(cfg, CFG_MAILGATE_DIR), 1,
			   &mail_bytes, &err);
	if (mails < 0) {
		ctl_error(_("mail cirm-mailgate had stored is not put back: "
			    "%s"), err);
		ret = 1;
	} else if (mails > 0) {
		printf(ngettext("%ld mail cirm-mailgate had stored is put back "
				"in %s/new: cirmd takes it in when it starts\n",
				"%ld mails cirm-mailgate had stored are put "
				"back in %s/new: cirmd takes them in when it "
				"starts\n", (unsigned long)mails),
		       mails, cfg_str(cfg, CFG_MAILGATE_DIR));
	}
	free(err);
	err = NULL;
	/* and what was delivered into the Maildir inbox: it waits for the
	   Maildir gateway again */
	free(from_mail);
	from_mail = xasprintf("%s/inbox/new", dir);
	inbox = xasprintf("%s/inbox", cfg_str(cfg, CFG_MAILDIR_DIR));
	mails = copy_mails(&c, from_mail, inbox, 1, &mail_bytes, &err);
	if (mails < 0) {
		ctl_error(_("mail delivered into the Maildir inbox is not put "
			    "back: %s"), err);
		ret = 1;
	} else if (mails > 0) {
		printf(ngettext("%ld mail delivered into the Maildir inbox is "
				"put back in %s/new: cirmd takes it in when "
				"it starts\n",
				"%ld mails delivered into the Maildir inbox "
				"are put back in %s/new: cirmd takes them in "
				"when it starts\n", (unsigned long)mails),
		       mails, inbox);
	}
	free(inbox);
	free(err);
	err = NULL;
	/* and the SMS smsd had stored: they wait for the smstools gateway
	   again, in incoming/ */
	free(from_mail);
	from_mail = xasprintf("%s/sms", dir);
	inbox = xasprintf("%s/incoming", cfg_str(cfg, CFG_SMS_SPOOL_DIR));
	if (strcmp(cfg_str(cfg, CFG_SMS_TRANSPORT), "smstools") != 0 &&
	    (sms_waiting = count_sms(from_mail)) > 0) {
		/* nothing would read them there: left in the backup, and
		   said, rather than put where no gateway looks */
		ctl_error(ngettext("%lld SMS smsd had stored is not put back: "
				   "sms_transport is %s, and no gateway would "
				   "read it; it is in %s",
				   "%lld SMS smsd had stored are not put back: "
				   "sms_transport is %s, and no gateway would "
				   "read them; they are in %s",
				   (unsigned long)sms_waiting),
			  sms_waiting, cfg_str(cfg, CFG_SMS_TRANSPORT),
			  from_mail);
		ret = 1;
	} else if (strcmp(cfg_str(cfg, CFG_SMS_TRANSPORT), "smstools") != 0) {
		/* none to put back */
	} else if (access(from_mail, F_OK) == 0 &&
		   access(cfg_str(cfg, CFG_SMS_SPOOL_DIR), F_OK) < 0 &&
		   (mkdir(cfg_str(cfg, CFG_SMS_SPOOL_DIR), 0750) < 0 ||
		    give(&c, cfg_str(cfg, CFG_SMS_SPOOL_DIR)) < 0)) {
		ctl_error(_("SMS smsd had stored are not put back: %s: %s"),
			  cfg_str(cfg, CFG_SMS_SPOOL_DIR), strerror(errno));
		ret = 1;
	} else if ((mails = copy_sms(&c, from_mail, inbox, 1, &mail_bytes,
				     &err)) < 0) {
		ctl_error(_("SMS smsd had stored are not put back: %s"), err);
		ret = 1;
	} else if (mails > 0) {
		printf(ngettext("%ld SMS smsd had stored is put back in %s: "
				"cirmd takes it in when it starts\n",
				"%ld SMS smsd had stored are put back in %s: "
				"cirmd takes them in when it starts\n",
				(unsigned long)mails),
		       mails, inbox);
	}
	free(inbox);
	free(err);
	err = NULL;
	keep_key = xasprintf("%s.before-restore-%s",
			     cfg_str(cfg, CFG_KEY_FILE), stamp);
	if ((r = restore_key(&c, from_key, cfg_str(cfg, CFG_KEY_FILE),
			     keep_key, &err)) < 0) {
		ctl_error(_("the key is not restored: %s"), err);
		ret = 1;
	} else if (r == 0) {
		printf(_("The backup's key replaces the instance's, which is "
			 "kept as %s.\n"), keep_key);
	} else if (r == 2) {
		printf(_("The instance had no key: the backup's is put in "
			 "place as %s.\n"), cfg_str(cfg, CFG_KEY_FILE));
	}
	free(err);
	err = NULL;
	{
		char *detail = fresh ?
			xstrdup("the instance had no database") :
			xasprintf("the database before is %s", keep);
		char *where = realpath(dir, NULL);

		if (where == NULL)
			where = xstrdup(dir);
		if (ctl_audit_add(store, "instance.restore", where, detail,
				  &err) < 0) {
			ctl_error(_("the audit log does not record the "
				    "restore: %s"), err);
			ret = 1;
		}
		free(detail);
		free(where);
	}
	if (c.missing > 0 && c.no_source) {
		ctl_error(ngettext("%ld attachment file the restored database "
				   "names is not in the spool, and the backup "
				   "has none (made with --no-spool): copy the "
				   "spool kept beside it into %s",
				   "%ld attachment files the restored database "
				   "names are not in the spool, and the backup "
				   "has none (made with --no-spool): copy the "
				   "spool kept beside it into %s",
				   (unsigned long)c.missing),
			  c.missing, cfg_str(cfg, CFG_SPOOL_DIR));
		ret = 1;
	} else if (c.missing > 0) {
		ctl_error(ngettext("%ld attachment file the restored database "
				   "names is in neither the backup nor the "
				   "spool (see above)",
				   "%ld attachment files the restored database "
				   "names are in neither the backup nor the "
				   "spool (see above)",
				   (unsigned long)c.missing),
			  c.missing);
		ret = 1;
	}
out:
	free(c.err);
	free(err);
	free(now.newest);
	free(then.newest);
	free(from);
	free(from_key);
	free(from_spool);
	free(from_mail);
	free(keep);
	free(keep_key);
	store_free(&store);
	cfg_free(&cfg);
	return ret;
}
