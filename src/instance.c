/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "instance.h"

#include "cfg.h"
#include "i18n.h"
#include "secret.h"
#include "store.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
make_dir(const char *path, char **error_r)
{
	if (mkdir_p(path, 0750) == 0)
		return 0;
	*error_r = xasprintf("%s: %s", path, strerror(errno));
	return -1;
}

/* Refuses a directory DIR (made before) that anyone may write to:
   anyone could then put a cirm.conf of their own in place of ours (its
   smtp_host, its key_file) or a database next to it. */
static int
open_dir(const char *dir, char **error_r)
{
	struct stat st;

	if (stat(dir, &st) < 0) {
		*error_r = xasprintf("%s: %s", dir, strerror(errno));
		return -1;
	}
	if ((st.st_mode & S_IWOTH) != 0) {
		*error_r = xasprintf(_("%s: anyone may write to this directory "
				       "(mode %04o) and replace the instance's "
				       "files; run 'chmod 750 %s' first"), dir,
				     (unsigned int)(st.st_mode & 07777), dir);
		return -1;
	}
	return 0;
}

/* Makes PATH when it is missing, and adds it to MADE (may be NULL). */
static int
make_missing(const char *path, struct strlist *made, char **error_r)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		return 0;
	if (make_dir(path, error_r) < 0)
		return -1;
	if (made != NULL)
		strlist_add(made, path);
	return 0;
}

/* Makes Maildir ROOT/NAME, or ROOT itself when NAME is NULL, where it
   is missing. */
static int
make_maildir(const char *root, const char *name, struct strlist *made,
	     char **error_r)
{
	static const char *const subdirs[] = { "", "/tmp", "/new", "/cur" };
	int ret = 0;

	for (size_t i = 0; ret == 0 && i < N_ELEMENTS(subdirs); i++) {
		char *p = xasprintf("%s%s%s%s", root, name != NULL ? "/" : "",
				    name != NULL ? name : "", subdirs[i]);

		ret = make_missing(p, made, error_r);
		free(p);
	}
	return ret;
}

int
instance_make_dirs(const struct cfg *cfg, struct strlist *made,
		   char **error_r)
{
	const char *maildir = cfg_str(cfg, CFG_MAILDIR_DIR);

	if (make_missing(cfg_str(cfg, CFG_SPOOL_DIR), made, error_r) < 0 ||
	    make_missing(maildir, made, error_r) < 0 ||
	    make_maildir(maildir, "inbox", made, error_r) < 0 ||
	    make_maildir(maildir, "outbound", made, error_r) < 0 ||
	    make_maildir(cfg_str(cfg, CFG_MAILGATE_DIR), NULL, made,
			 error_r) < 0)
		return -1;
	return 0;
}

static int
make_key(const char *path, char **error_r)
{
	unsigned char key[SECRET_KEY_LEN];
	int ret;

	if (access(path, F_OK) < 0)
		return secret_key_create(path, error_r);
	/* Left by an interrupted init: keep it if it is a good key. */
	ret = secret_key_load(path, key, error_r);
	memset(key, 0, sizeof(key));
	return ret;
}

/* Where the shipped WHAT ("templates", "workflows") are: $CIRM_DATADIR
   (an uninstalled source tree, for tests) or the installed data
   directory. */
char *
instance_data_source(const char *what)
{
	const char *d = getenv("CIRM_DATADIR");

	return xasprintf("%s/%s", d != NULL && *d != '\0' ? d : PKGDATADIR,
			 what);
}

/* Whether the shipped WHAT can be read, before anything is made: an
   init that fails for want of them leaves no half instance behind. */
static int
data_present(const char *what, char **error_r)
{
	char *src = instance_data_source(what);
	DIR *d = opendir(src);

	if (d != NULL) {
		closedir(d);
		free(src);
		return 0;
	}
	*error_r = strcmp(what, "templates") == 0 ?
		xasprintf(_("%s: %s (templates not found; install cirm or set "
			    "CIRM_DATADIR to the source tree)"), src,
			  strerror(errno)) :
		xasprintf(_("%s: %s (workflows not found; install cirm or set "
			    "CIRM_DATADIR to the source tree)"), src,
			  strerror(errno));
	free(src);
	return -1;
}

/* Copies one file, refusing to overwrite: an administrator's edited
   template is never replaced. */
static int
copy_file(const char *from, const char *to, char **error_r)
{
	FILE *in = fopen(from, "re");
	char buf[8192], *data = NULL;
	size_t n, len = 0;
	int ret;

	if (in == NULL) {
		*error_r = xasprintf("%s: %s", from, strerror(errno));
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
		data = xrealloc(data, len + n);
		memcpy(data + len, buf, n);
		len += n;
	}
	fclose(in);
	if (access(to, F_OK) == 0) {
		free(data);
		return 0;
	}
	ret = write_file_atomic(to, data != NULL ? data : "", len, 0640, 1);
	if (ret < 0)
		*error_r = xasprintf("%s: %s", to, strerror(errno));
	free(data);
	return ret;
}

/* The files of directory SDIR into DDIR (made), and those of its
   subdirectories DEPTH levels down (a language's answers/). */
static int
copy_dir(const char *sdir, const char *ddir, int depth, char **error_r)
{
	DIR *files = opendir(sdir);
	struct dirent *f;
	int ret;

	if (files == NULL)
		return 0;
	ret = make_dir(ddir, error_r);
	while (ret == 0 && (f = readdir(files)) != NULL) {
		char *a, *b;
		struct stat st;

		if (f->d_name[0] == '.')
			continue;
		a = xasprintf("%s/%s", sdir, f->d_name);
		b = xasprintf("%s/%s", ddir, f->d_name);
		if (stat(a, &st) == 0 && S_ISDIR(st.st_mode))
			ret = depth > 0 ? copy_dir(a, b, depth - 1, error_r) :
				0;
		else
			ret = copy_file(a, b, error_r);
		free(a);
		free(b);
	}
	closedir(files);
	return ret;
}

/* The shipped templates into the instance, where the municipality may
   edit them: one directory per language, with its standard answers
   (answers/). */
static int
copy_templates(const char *dest, char **error_r)
{
	char *src = instance_data_source("templates");
	DIR *langs = opendir(src);
	struct dirent *l;
	int ret = 0;

	if (langs == NULL) {
		free(src);
		return data_present("templates", error_r);
	}
	while (ret == 0 && (l = readdir(langs)) != NULL) {
		char *sdir, *ddir;

		if (l->d_name[0] == '.')
			continue;
		sdir = xasprintf("%s/%s", src, l->d_name);
		ddir = xasprintf("%s/%s", dest, l->d_name);
		ret = copy_dir(sdir, ddir, 1, error_r);
		free(sdir);
		free(ddir);
	}
	closedir(langs);
	free(src);
	return ret;
}

/* The shipped workflows into the instance: cirmd runs what is there, and
   the municipality edits or adds to it. */
static int
copy_workflows(const char *dest, char **error_r)
{
	char *src = instance_data_source("workflows");
	DIR *dir = opendir(src);
	struct dirent *f;
	int ret = 0;

	if (dir == NULL) {
		free(src);
		return data_present("workflows", error_r);
	}
	ret = make_dir(dest, error_r);
	while (ret == 0 && (f = readdir(dir)) != NULL) {
		size_t n = strlen(f->d_name);
		char *a, *b;

		if (f->d_name[0] == '.' || n < 5 ||
		    strcmp(f->d_name + n - 4, ".xml") != 0)
			continue;
		a = xasprintf("%s/%s", src, f->d_name);
		b = xasprintf("%s/%s", dest, f->d_name);
		ret = copy_file(a, b, error_r);
		free(a);
		free(b);
	}
	closedir(dir);
	free(src);
	return ret;
}

static int
write_conf(const char *path, char **error_r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int ret = 0;

	if (f == NULL)
		abort();
	cfg_write_template(f);
	fclose(f);
	if (write_file_atomic(path, buf, len, 0640, 1) < 0) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		ret = -1;
	}
	free(buf);
	return ret;
}

/* A database with cases at PATH is an instance's, not one an
   interrupted init left (which init completes): taken over, it would
   get a new key, and the signed addresses in the handlers' mail would
   no longer verify. 0, or -1 with *error_r. */
static int
existing_cases(const char *path, char **error_r)
{
	struct store_summary sum = { 0 };
	char *err = NULL;

	/* none, or one whose schema an interrupted init left unfinished
	   (store_open finishes it, or says what is wrong with the file) */
	if (access(path, F_OK) < 0 ||
	    store_summary_file(path, &sum, &err) < 0) {
		free(err);
		return 0;
	}
	free(sum.newest);
	if (sum.cases == 0)
		return 0;
	*error_r = xasprintf(ngettext("%s holds %lld case: init makes a new "
				      "instance; to put a backup in place, "
				      "init another directory and use cirmctl "
				      "restore there",
				      "%s holds %lld cases: init makes a new "
				      "instance; to put a backup in place, "
				      "init another directory and use cirmctl "
				      "restore there",
				      (unsigned long)sum.cases),
			     path, (long long)sum.cases);
	return -1;
}

int
instance_init(const char *dir, char **error_r)
{
	struct store_settings sset = { .create = 1 };
	char *conf = xasprintf("%s/cirm.conf", dir);
	struct store *store = NULL;
	struct cfg *cfg = NULL;
	int ret = -1;

	if (access(conf, F_OK) == 0) {
		*error_r = xasprintf(_("%s already exists: %s is an instance "
				       "already"), conf, dir);
		free(conf);
		return -1;
	}
	if (data_present("templates", error_r) < 0 ||
	    data_present("workflows", error_r) < 0 ||
	    make_dir(dir, error_r) < 0 || open_dir(dir, error_r) < 0)
		goto out;
	cfg = cfg_defaults(conf);
	sset.busy_timeout_ms = (int)cfg_int(cfg, CFG_BUSY_TIMEOUT);
	if (existing_cases(cfg_str(cfg, CFG_DATABASE), error_r) < 0)
		goto out;
	if (make_key(cfg_str(cfg, CFG_KEY_FILE), error_r) < 0 ||
	    instance_make_dirs(cfg, NULL, error_r) < 0 ||
	    copy_templates(cfg_str(cfg, CFG_TEMPLATE_DIR), error_r) < 0 ||
	    copy_workflows(cfg_str(cfg, CFG_WORKFLOW_DIR), error_r) < 0 ||
	    store_open(cfg_str(cfg, CFG_DATABASE), &sset, &store, error_r) < 0)
		goto out;
	if (store_begin(store, error_r) < 0 ||
	    store_audit_add(store, cirm_now(), store_audit_actor(),
			    "instance.init", NULL, PACKAGE_VERSION,
			    error_r) < 0 ||
	    store_commit(store, error_r) < 0) {
		store_rollback(store);
		goto out;
	}
	ret = write_conf(conf, error_r);
out:
	store_free(&store);
	cfg_free(&cfg);
	free(conf);
	return ret;
}

char *
instance_database_problem(const struct cfg *cfg, const char *program,
			  const char *error)
{
	const char *path = cfg_str(cfg, CFG_DATABASE);
	char owner[USER_NAME_SIZE], *dir, *where, *msg;
	struct stat st;
	int denied;

	/* SQLite says "unable to open database file" or "attempt to write
	   a readonly database", a lock beside it "No such file or
	   directory": the usual causes, said plainly */
	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return xasprintf(_("%s: there is no database: is "
					   "'database' in %s right? ('cirmctl "
					   "init DIR' makes a new instance; "
					   "on a new machine 'cirmctl restore "
					   "--yes BACKUP' puts a backup in "
					   "place)"),
					 path, cfg_path(cfg));
		where = cfg_blame(cfg, CFG_DATABASE);
		msg = xasprintf("%s: %s", where, strerror(errno));
		free(where);
		return msg;
	}
	dir = path_dir(path);
	denied = st.st_uid != geteuid() &&
		 (access(path, R_OK | W_OK) < 0 || access(dir, W_OK) < 0);
	free(dir);
	if (!denied)
		return xstrdup(error);
	user_name(st.st_uid, owner);
	return xasprintf(_("%s: permission denied: the database belongs to "
			   "user %s; run %s as that user (for example with "
			   "sudo -u %s)"), path, owner, program, owner);
}
