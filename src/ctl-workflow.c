/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cirmctl workflow check|dot|simulate|run */
#include "config.h"

#include "blob.h"
#include "caseflow.h"
#include "cfg.h"
#include "ctl.h"
#include "daemon.h"
#include "gsm.h"
#include "i18n.h"
#include "mailin.h"
#include "reply.h"
#include "scxml.h"
#include "store.h"
#include "template.h"
#include "util.h"
#include "workflow-dot.h"
#include "workflow-run.h"
#include "workflow.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

/* Reads PATH whole, refusing files over MAX bytes. NULL with a message. */
static char *
read_document(const char *path, size_t max, size_t *len_r)
{
	char *err = NULL;
	FILE *f = workflow_open_file(path, &err);
	size_t len = 0, n;
	char *buf;

	if (f == NULL) {
		ctl_error("%s", err);
		free(err);
		return NULL;
	}
	buf = xmalloc(max + 2);
	while (len <= max && (n = fread(buf + len, 1, max + 1 - len, f)) > 0)
		len += n;
	if (ferror(f) || len > max) {
		if (ferror(f))
			ctl_error("%s: %s", path, strerror(errno));
		else
			ctl_error(_("%s: larger than %zu bytes"), path, max);
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[len] = '\0';
	*len_r = len;
	return buf;
}

static int
run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "scxml", required_argument, NULL, 's' },
		{ "events", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL, *events = "";
	struct scxml *doc = NULL;
	char *data, *err = NULL;
	size_t len;
	int c, bad = 0, ret = 1;

	while ((c = ctl_getopt(argc, argv, "s:e:", opts)) != -1) {
		if (c == 's')
			file = optarg;
		else if (c == 'e')
			events = optarg;
		else
			bad = 1;
	}
	if (bad || file == NULL || optind != argc) {
		ctl_error("%s", _("usage: cirmctl workflow run --scxml FILE "
				  "[--events \"a, b, +5s, c\"]"));
		return EX_USAGE;
	}
	data = read_document(file, SCXML_MAX_SIZE, &len);
	if (data == NULL)
		return 1;
	if (scxml_load(file, data, len, &doc, &err) < 0 ||
	    scxml_run_script(doc, events, stdout, &err) < 0) {
		/* One problem per line, each already "file:line: message". */
		fprintf(stderr, "%s\n", err);
		free(err);
	} else
		ret = 0;
	scxml_free(&doc);
	free(data);
	return ret;
}

static bool
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
cmp_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
ctl_workflow_files(const char *dir, struct strlist *paths)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);

		if (n > 4 && e->d_name[0] != '.' &&
		    strcmp(e->d_name + n - 4, ".xml") == 0)
			strlist_addf(paths, "%s/%s", dir, e->d_name);
	}
	if (d != NULL)
		closedir(d);
	qsort(paths->v, paths->n, sizeof(*paths->v), cmp_path);
}

/* The templates a workflow FILE is checked against when neither
   --templates nor -c names them: a templates/ beside the file's
   directory (an instance, or the source tree), or in it (a workflow
   kept with its own templates), else the shipped ones. */
/* DIR's sibling "templates" (the first LEN bytes of DIR, the directory
   of a workflow file), written as an administrator would: "workflows"
   gives "templates", "/srv/cirm/workflows" "/srv/cirm/templates".
   A DIR ending in "." or ".." keeps "DIR/../templates". Caller frees. */
static char *
templates_beside(const char *dir, int len)
{
	int base = len;

	while (base > 0 && dir[base - 1] != '/')
		base--;
	if (len == base || (len - base == 1 && dir[base] == '.') ||
	    (len - base == 2 && dir[base] == '.' && dir[base + 1] == '.'))
		return xasprintf("%.*s/../templates", len, dir);
	return xasprintf("%.*stemplates", base, dir);
}

static char *
template_dir_for(const char *file)
{
	const char *slash = strrchr(file, '/'), *d;
	char *up, *in, *dir;

	up = slash != NULL ? templates_beside(file, (int)(slash - file)) :
		xstrdup("../templates");
	in = slash != NULL ? xasprintf("%.*s/templates", (int)(slash - file),
				       file) :
		xstrdup("templates");
	if (is_dir(up)) {
		free(in);
		return up;
	}
	if (is_dir(in)) {
		free(up);
		return in;
	}
	d = getenv("CIRM_DATADIR");
	dir = xasprintf("%s/templates", d != NULL && *d != '\0' ? d :
			PKGDATADIR);
	/* The last resort, and cirm may not be installed: the check will
	   say the directory cannot be read; here is what to do about it. */
	if (!is_dir(dir))
		ctl_error(_("no templates directory %s or %s for %s, and none "
			    "installed in %s: give --templates DIR, or -c FILE "
			    "to use an instance's"), up, in, file, dir);
	free(up);
	free(in);
	return dir;
}

/* With -c and no --templates (*TEMPLATES NULL), the templates are the
   configuration's: *TEMPLATES and *OWNED_R (caller frees) become its
   template_dir, read once for all the files. A configuration that does
   not load is a configuration error, told once. 0, or EX_CONFIG. */
static int
config_templates(const struct ctl *ctl, const char **templates,
		 char **owned_r)
{
	struct cfg *cfg = NULL;
	char *problem;

	*owned_r = NULL;
	if (*templates != NULL || ctl->config == NULL)
		return 0;
	if (ctl_load_config(ctl, &cfg) < 0)
		return EX_CONFIG;
	/* A template_dir that cannot hold templates is cirm.conf's problem:
	   told once, with its line, not as every workflow's. */
	problem = template_dir_problem(cfg_str(cfg, CFG_TEMPLATE_DIR));
	if (problem != NULL) {
		char *where = cfg_blame(cfg, CFG_TEMPLATE_DIR);

		fprintf(stderr, "%s: %s\n", where, problem);
		free(where);
		free(problem);
		cfg_free(&cfg);
		return EX_CONFIG;
	}
	*templates = *owned_r = xstrdup(cfg_str(cfg, CFG_TEMPLATE_DIR));
	cfg_free(&cfg);
	return 0;
}

/* With -c, the instance's workflow_dir into *DIR_R (caller frees), else
   NULL. 0, or EX_CONFIG for a configuration that does not load (told). */
static int
config_workflow_dir(const struct ctl *ctl, char **dir_r)
{
	struct cfg *cfg = NULL;

	*dir_r = NULL;
	if (ctl->config == NULL)
		return 0;
	if (ctl_load_config(ctl, &cfg) < 0)
		return EX_CONFIG;
	*dir_r = xstrdup(cfg_str(cfg, CFG_WORKFLOW_DIR));
	cfg_free(&cfg);
	return 0;
}

/* Loads FILE and runs the checks of cirm-workflow(5) on it, against
   TEMPLATES, or those template_dir_for() finds. Every problem goes to
   stderr. 0 with *WF_R, or -1. */
static int
load_checked(const char *templates, const char *file, struct workflow **wf_r)
{
	struct workflow *wf = NULL;
	struct strlist errors = { 0 };
	char *err = NULL, *dir;

	/* every problem at once: a target to nowhere does not hide an
	   unknown role or a missing template */
	if (workflow_load_file_checking(file, &wf, &errors) < 0) {
		err = scxml_join_errors(&errors, file);
		fprintf(stderr, "%s\n", err);
		free(err);
		return -1;
	}
	dir = templates != NULL ? xstrdup(templates) : template_dir_for(file);
	if (workflow_check(wf, dir, &errors) > 0 || errors.n > 0) {
		err = scxml_join_errors(&errors, file);
		fprintf(stderr, "%s\n", err);
		free(err);
		workflow_free(&wf);
	} else if (workflow_check_citizen_mail(wf, &errors) +
		   workflow_check_sms_variants(wf, dir, &errors) +
		   workflow_check_translations(wf, &errors) +
		   workflow_check_group_text(wf, &errors) > 0) {
		/* warnings: the file is good */
		for (size_t i = 0; i < errors.n; i++)
			fprintf(stderr, "%s\n", errors.v[i]);
		strlist_clear(&errors);
	}
	free(dir);
	*wf_r = wf;
	return wf != NULL ? 0 : -1;
}

/* With -c, an instance whose database already holds WF's id and
   version with other contents would refuse the file (cirm-workflow(5),
   VERSIONS): said here, before cirmd is restarted or reloaded with it.
   A database that is not there yet is not made. 1 when the file is
   refused (said on stderr), else 0. */
static int
version_taken(const struct ctl *ctl, const char *file,
	      const struct workflow *wf, struct store **store)
{
	char *source = NULL, *err = NULL, id[BLOB_ID_LEN + 1];
	size_t len = 0;
	int taken = 0;

	if (ctl->config == NULL)
		return 0;
	if (*store == NULL) {
		struct cfg *cfg = NULL;

		if (ctl_load_config(ctl, &cfg) < 0)
			return 0;
		if (access(cfg_str(cfg, CFG_DATABASE), F_OK) == 0)
			(void)ctl_open_store(cfg, store);
		cfg_free(&cfg);
		if (*store == NULL)
			return 0;
	}
	if (store_workflow_def_get(*store, wf->id, wf->version, &source, &len,
				   &err) < 0) {
		ctl_error("%s", err);
		free(err);
		return 0;
	}
	if (source != NULL) {
		blob_id(source, len, id);
		if (strcmp(id, wf->sha256) != 0) {
			int newest = wf->version;

			/* a number never used: one recorded before and
			   since removed from the directory is taken too */
			if (store_workflow_newest(*store, wf->id, &newest,
						  &err) < 0) {
				free(err);
				err = NULL;
			}
			fprintf(stderr, _("%s:%d: workflow %s version %d is "
					  "already in use with other contents: "
					  "give the changed workflow a new "
					  "version number, such as %d (the "
					  "newest the database has is %d), or "
					  "put back the file that ran: cirmctl "
					  "workflow export %s --version %d\n"),
				file, wf->line, wf->id, wf->version,
				newest + 1, newest, wf->id, wf->version);
			taken = 1;
		}
	}
	free(source);
	return taken;
}

/* The one group of HAVE that NAME is a slip of the keyboard from, with
   Swedish letters and case set aside, or NULL. */
static const char *
near_group(const char *name, const struct strlist *have)
{
	char *f = workflow_fold_near(name);
	struct near_search n;
	const char *near;

	near_start(&n, f);
	for (size_t i = 0; i < have->n; i++) {
		char *g = workflow_fold_near(have->v[i]);

		near_weigh(&n, g, have->v[i]);
		free(g);
	}
	near = near_found(&n);
	free(f);
	return near;
}

/* With -c, the handler groups WF names (its roles', group:NAME) that
   the instance has none of, while it has another of them, or one a
   slip of the keyboard away: most likely misspelt (group="byggchefr",
   group:miljo for miljö), and what the workflow sends there is skipped
   with a line in cirmd's log only, an escalation reaching nobody. A new
   instance, none of whose groups exist yet, is left alone: cirmctl init
   says which to add. Said as a warning, which does not make the file
   bad, at each line that names the group. */
static void
missing_groups(const char *file, const struct workflow *wf,
	       struct store *store)
{
	struct strlist have = { 0 };
	const char *some = NULL;
	bool *missing;
	int64_t id;
	char *err = NULL;

	if (store == NULL || wf->groups.n == 0)
		return;
	if (store_group_names(store, &have, &err) < 0) {
		ctl_error("%s", err);
		free(err);
		return;
	}
	missing = xcalloc(wf->groups.n, sizeof(*missing));
	for (size_t i = 0; i < wf->groups.n; i++) {
		int r = store_group_by_name(store, wf->groups.v[i], &id, &err);

		if (r < 0) {
			ctl_error("%s", err);
			free(err);
			goto out;
		}
		missing[i] = r == 0;
		if (r > 0 && some == NULL)
			some = wf->groups.v[i];
	}
	for (size_t i = 0; i < wf->groups.n; i++) {
		int line = wf->group_lines[i];
		const char *near;
		bool said = false;

		/* none of its groups there yet: a workflow being set up */
		if (!missing[i] || some == NULL)
			continue;
		/* at each line that names it (each may be the misspelt
		   one), once */
		for (size_t j = 0; j < i && !said; j++)
			said = wf->group_lines[j] == line &&
				strcmp(wf->groups.v[j], wf->groups.v[i]) == 0;
		if (said)
			continue;
		near = near_group(wf->groups.v[i], &have);
		if (near != NULL)
			fprintf(stderr, _("%s:%d: warning: the instance has "
					  "no handler group %s (did you mean "
					  "%s?): what the workflow sends it "
					  "reaches nobody. Else add its case "
					  "officers (cirmctl handler add LOGIN "
					  "--email ADDRESS --group %s)\n"),
				file, line, wf->groups.v[i], near,
				wf->groups.v[i]);
		else
			fprintf(stderr, _("%s:%d: warning: the instance has "
					  "no handler group %s (it has %s): "
					  "what the workflow sends it reaches "
					  "nobody. Misspelt? Else add its case "
					  "officers (cirmctl handler add LOGIN "
					  "--email ADDRESS --group %s)\n"),
				file, line, wf->groups.v[i], some,
				wf->groups.v[i]);
	}
out:
	free(missing);
	strlist_clear(&have);
}

static bool
same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
		sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Whether PATH is one of the files FILES[0..N). */
static bool
given(const char *path, char **files, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (same_file(path, files[i]))
			return true;
	}
	return false;
}

/* cirmd loads every *.xml of its workflow directory together, and
   refuses two files with the same id and version: WF (the checked FILE)
   is compared with the other files of its directory that are not among
   FILES[0..N) (those are compared with each other), as cirmd would.
   With -c, WORKFLOW_DIR is the instance's: a FILE elsewhere (a copy
   being edited) is compared with the files there instead, but for the
   one of its name, which it will replace; its own neighbours (a backup
   copy beside it) are none of cirmd's business. Prints each clash;
   returns how many. */
static int
sibling_twins(const char *file, const struct workflow *wf, char **files,
	      size_t n, const char *workflow_dir)
{
	const char *slash = strrchr(file, '/');
	const char *base = slash != NULL ? slash + 1 : file;
	char *dir = slash != NULL ? xstrndup(file, (size_t)(slash - file + 1)) :
		xstrdup("");
	bool elsewhere = workflow_dir != NULL &&
		!same_file(*dir != '\0' ? dir : ".", workflow_dir);
	DIR *d;
	struct dirent *e;
	int twins = 0;

	if (elsewhere) {
		free(dir);
		dir = xasprintf("%s/", workflow_dir);
	}
	d = opendir(*dir != '\0' ? dir : ".");
	while (d != NULL && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		struct workflow *other = NULL;
		char *path, *err = NULL, *msg;

		if (len <= 4 || e->d_name[0] == '.' ||
		    strcmp(e->d_name + len - 4, ".xml") != 0 ||
		    (elsewhere && strcmp(e->d_name, base) == 0))
			continue;
		path = xasprintf("%s%s", dir, e->d_name);
		/* A sibling that does not load is not this file's problem. */
		if (!given(path, files, n) &&
		    workflow_load_file(path, &other, &err) == 0 &&
		    (msg = workflow_same_version(wf, other)) != NULL) {
			fprintf(stderr, "%s\n", msg);
			free(msg);
			twins++;
		}
		workflow_free(&other);
		free(err);
		free(path);
	}
	if (d != NULL)
		closedir(d);
	free(dir);
	return twins;
}

/* Prints each file among WFS[0..N) (NULL: not valid) that has the id and
   version of another file given or beside it (in WORKFLOW_DIR, when
   not NULL, for files elsewhere); returns how many, and leaves them out
   of WFS. */
static int
twins(struct workflow **wfs, char **files, size_t n, const char *workflow_dir)
{
	bool *twin = xcalloc(n + 1, sizeof(bool));
	int count = 0;

	for (size_t i = 0; i < n; i++) {
		if (wfs[i] == NULL)
			continue;
		for (size_t j = 0; j < n; j++) {
			/* the same file given twice is no copy */
			char *msg = j != i && wfs[j] != NULL &&
				!same_file(files[i], files[j]) ?
				workflow_same_version(wfs[i], wfs[j]) : NULL;

			if (msg != NULL) {
				fprintf(stderr, "%s\n", msg);
				free(msg);
				twin[i] = true;
			}
		}
		if (sibling_twins(files[i], wfs[i], files, n,
				  workflow_dir) > 0)
			twin[i] = true;
	}
	for (size_t i = 0; i < n; i++) {
		if (twin[i]) {
			workflow_free(&wfs[i]);
			count++;
		}
	}
	free(twin);
	return count;
}

static int
check(const struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "templates", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	const char *templates = NULL;
	char *owned, *wdir, *unchecked = NULL;
	struct store *store = NULL;
	struct workflow **wfs;
	struct ctl local = *ctl;
	bool quiet = false, valid = false;
	int c, bad = 0, ret = 0;
	size_t n;

	while ((c = ctl_getopt(argc, argv, "t:q", opts)) != -1) {
		if (c == 't')
			templates = optarg;
		else if (c == 'q')
			quiet = true;
		else
			bad = 1;
	}
	if (bad || optind == argc) {
		ctl_error("%s", _("usage: cirmctl workflow check [--templates "
				  "DIR] [--quiet] FILE..."));
		return EX_USAGE;
	}
	/* Without -c, the configuration the other commands read (CIRM_CONF,
	   else the default) when there is one to read: a file valid here
	   and refused by the instance's cirmd (a version its database has
	   with other contents) would otherwise pass. When there is none,
	   what was not checked is said, after the files. */
	if (ctl->config == NULL) {
		const char *path = daemon_default_config();

		if (access(path, R_OK) == 0)
			local.config = path;
		else
			unchecked = xasprintf("%s: %s", path, strerror(errno));
	}
	ctl = &local;
	if (config_templates(ctl, &templates, &owned) != 0) {
		free(unchecked);
		return EX_CONFIG;
	}
	if (config_workflow_dir(ctl, &wdir) != 0) {
		free(owned);
		free(unchecked);
		return EX_CONFIG;
	}
	n = (size_t)(argc - optind);
	wfs = xcalloc(n, sizeof(*wfs));
	for (size_t i = 0; i < n; i++) {
		const char *file = argv[optind + (int)i];

		if (load_checked(templates, file, &wfs[i]) < 0) {
			ret = 1;
			continue;
		}
		if (version_taken(ctl, file, wfs[i], &store)) {
			workflow_free(&wfs[i]);
			ret = 1;
		} else {
			missing_groups(file, wfs[i], store);
		}
	}
	if (twins(wfs, argv + optind, n, wdir) > 0)
		ret = 1;
	for (size_t i = 0; i < n; i++) {
		const struct workflow *wf = wfs[i];

		if (wf != NULL)
			valid = true;
		if (wf != NULL && !quiet) {
			/* each count with its own plural form */
			char *states = xasprintf(ngettext("%zu state",
					"%zu states", (unsigned long)wf->nstates),
					wf->nstates);
			char *timers = xasprintf(ngettext("%zu timer",
					"%zu timers", (unsigned long)wf->ntimers),
					wf->ntimers);
			char *commands = xasprintf(ngettext("%zu command",
					"%zu commands",
					(unsigned long)wf->ncommands),
					wf->ncommands);

			/* TRANSLATORS: file, workflow id, version, then "3
			   states", "1 timer", "2 commands" */
			printf(_("%s: workflow %s version %d is valid (%s, %s, "
				 "%s)\n"), argv[optind + (int)i], wf->id,
			       wf->version, states, timers, commands);
			free(states);
			free(timers);
			free(commands);
		}
		workflow_free(&wfs[i]);
	}
	/* "valid" is not "cirmd will load it": what needs an instance */
	if (unchecked != NULL && valid && !quiet) {
		if (owned == NULL && templates != NULL)
			printf(_("note: no configuration (%s), so not checked "
				 "against an instance: the versions its database "
				 "has (cirmd refuses a file changed without a "
				 "new version number), its handler groups and "
				 "its workflow_dir; give -c FILE\n"), unchecked);
		else
			printf(_("note: no configuration (%s), so not checked "
				 "against an instance: the versions its database "
				 "has (cirmd refuses a file changed without a "
				 "new version number), its templates, its "
				 "handler groups and its workflow_dir; give -c "
				 "FILE\n"), unchecked);
	}
	free(unchecked);
	free(wfs);
	store_free(&store);
	free(owned);
	free(wdir);
	return ret;
}

/* --- dot ---------------------------------------------------------------- */

/* Starts Graphviz's "dot -Tsvg" reading from a pipe, writing to our
   standard output. 0 with *PID_R and *FD_R (the pipe's end to write),
   or an exit status. */
static int
start_graphviz(pid_t *pid_r, int *fd_r)
{
	int in[2], report[2], err = 0;
	ssize_t n;
	pid_t pid;

	fflush(stdout);
	if (pipe(in) < 0 || pipe2(report, O_CLOEXEC) < 0) {
		ctl_error("pipe: %s", strerror(errno));
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		ctl_error("fork: %s", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		dup2(in[0], STDIN_FILENO);
		close(in[0]);
		close(in[1]);
		close(report[0]);
		execlp("dot", "dot", "-Tsvg", (char *)NULL);
		/* Tell the parent why; the report pipe closes on exec. */
		err = errno;
		if (write(report[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(in[0]);
	close(report[1]);
	while ((n = read(report[0], &err, sizeof(err))) < 0 && errno == EINTR)
		;
	close(report[0]);
	if (n == (ssize_t)sizeof(err)) {
		close(in[1]);
		waitpid(pid, NULL, 0);
		if (err == ENOENT) {
			ctl_error("%s", _("Graphviz is not installed: --svg "
					  "needs its program dot (Debian "
					  "package graphviz)"));
			return EX_UNAVAILABLE;
		}
		ctl_error(_("cannot run dot: %s"), strerror(err));
		return EX_UNAVAILABLE;
	}
	*pid_r = pid;
	*fd_r = in[1];
	return 0;
}

/* Draws WF through "dot -Tsvg" to standard output. An exit status. */
static int
dot_svg(const struct workflow *wf)
{
	int fd, status, ret;
	bool written;
	pid_t pid;
	FILE *f;

	ret = start_graphviz(&pid, &fd);
	if (ret != 0)
		return ret;
	/* Should dot stop early, writing gives EPIPE, not death. */
	signal(SIGPIPE, SIG_IGN);
	f = fdopen(fd, "w");
	if (f == NULL) {
		ctl_error("fdopen: %s", strerror(errno));
		close(fd);
		written = false;
	} else {
		written = workflow_dot(wf, f) == 0;
		written = fclose(f) == 0 && written;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			ctl_error("waitpid: %s", strerror(errno));
			return 1;
		}
	}
	/* Whoever reads our output stopped early: quiet, like cat(1). */
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE)
		return 1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		ctl_error(_("dot -Tsvg failed (status %d)"),
			  WIFEXITED(status) ? WEXITSTATUS(status) :
			  128 + WTERMSIG(status));
		return 1;
	}
	if (!written) {
		ctl_error(_("writing to dot: %s"), strerror(errno));
		return 1;
	}
	return 0;
}

static int
dot(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "svg", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct workflow *wf = NULL;
	bool svg = false;
	char *err = NULL;
	int c, bad = 0, ret = 0;

	while ((c = ctl_getopt(argc, argv, "", opts)) != -1) {
		if (c == 's')
			svg = true;
		else
			bad = 1;
	}
	if (bad || optind != argc - 1) {
		ctl_error("%s", _("usage: cirmctl workflow dot [--svg] FILE"));
		return EX_USAGE;
	}
	/* Not checked: drawing a workflow helps to see what is wrong. */
	if (workflow_load_file(argv[optind], &wf, &err) < 0) {
		fprintf(stderr, "%s\n", err);
		free(err);
		return 1;
	}
	if (svg) {
		ret = dot_svg(wf);
	} else if (workflow_dot(wf, stdout) < 0 || fflush(stdout) == EOF) {
		ctl_error("%s", strerror(errno));
		ret = 1;
	}
	workflow_free(&wf);
	return ret;
}

/* --- simulate ----------------------------------------------------------- */

/* The width of "YYYY-MM-DD HH:MM  ", where the lines under a step
   begin. */
#define SIM_INDENT "                  "
/* Lines printed under one step; an eventless loop makes thousands
   before the run gives up. */
#define SIM_LINES_MAX 200
/* Lines of a mail to the citizen shown under its reply: the shipped
   templates' whole (the longest is 21), while a long one does not bury
   the steps around it. */
#define SIM_MAIL_LINES 40

enum step_kind { STEP_EVENT, STEP_COMMAND, STEP_WAIT, STEP_UNTIL };

/* One step of --events, parsed before the simulation starts. */
struct step {
	enum step_kind kind;
	char *spec;		/* as written, trimmed */
	char *label;		/* STEP_COMMAND: "#word argument" */
	const char *event;	/* STEP_EVENT, STEP_COMMAND */
	char *argument, *text;	/* STEP_COMMAND; either may be NULL */
	/* STEP_COMMAND: the template the handler's text goes out in, that
	   of this command (NULL: cirm's own "answer") */
	const char *template;
	struct calendar_duration wait;	/* STEP_WAIT */
	int64_t until;		/* STEP_UNTIL */
};

struct armed_timer {
	const struct workflow_timer *t;
	int64_t due;
};

/* One case on a virtual clock: the host of its workflow_run. */
struct sim {
	const struct workflow *wf;
	struct workflow_run *run;
	struct workflow_facts facts;
	const char *text;	/* --text: the citizen's messages */
	const char *name;	/* --name: the citizen's, for thanks() */
	const char *templates;	/* the replies are rendered from them */
	const char *municipality;	/* mail_name */
	const char *argument;	/* of the command being handled */
	char *category, *priority;
	struct calendar *wall;	/* for +DURATION */
	int64_t received;	/* the case's: the start */
	int64_t now;
	struct armed_timer *armed;	/* in the order armed */
	size_t narmed;
	size_t lines;		/* under the current step */
	/* Of the command being handled: the replies to the citizen its
	   event sent, and whether one showed the handler's text */
	size_t replies;
	bool text_shown;
	char *error;		/* a failure the callbacks could not return */
};

/* The name the citizen is known by (--name), for thanks(): as cirmd
   gives the contact's name and the names the sender signed with. */
static const char *
sim_names(void *ctx)
{
	return ((const struct sim *)ctx)->name;
}

/* Local time as "YYYY-MM-DD HH:MM", with seconds when there are any. */
static const char *
sim_time(int64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL)
		return "?";
	strftime(buf, 32, tm.tm_sec != 0 ? "%Y-%m-%d %H:%M:%S" :
		 "%Y-%m-%d %H:%M", &tm);
	return buf;
}

/* Whole decimal digits S[0..N): 0 with *V_R, or -1. */
static int
digits(const char *s, size_t n, int *v_r)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*v_r = v;
	return 0;
}

/* Parses local time "YYYY-MM-DDTHH:MM[:SS]" (a space may stand for the
   T). 0 with *T_R, or -1 when malformed or not a time that exists. */
static int
parse_local_time(const char *s, int64_t *t_r)
{
	struct tm tm = { 0 }, want;
	size_t len = strlen(s);
	time_t t;

	if ((len != 16 && len != 19) || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != ' ') || s[13] != ':' ||
	    (len == 19 && s[16] != ':') ||
	    digits(s, 4, &tm.tm_year) < 0 || digits(s + 5, 2, &tm.tm_mon) < 0 ||
	    digits(s + 8, 2, &tm.tm_mday) < 0 ||
	    digits(s + 11, 2, &tm.tm_hour) < 0 ||
	    digits(s + 14, 2, &tm.tm_min) < 0 ||
	    (len == 19 && digits(s + 17, 2, &tm.tm_sec) < 0) ||
	    tm.tm_year < CALENDAR_YEAR_MIN || tm.tm_year > CALENDAR_YEAR_MAX)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon--;
	tm.tm_isdst = -1;
	want = tm;
	t = mktime(&tm);
	/* mktime() normalises 31 April and times in a DST gap: refuse */
	if (t == (time_t)-1 || tm.tm_year != want.tm_year ||
	    tm.tm_mon != want.tm_mon || tm.tm_mday != want.tm_mday ||
	    tm.tm_hour != want.tm_hour || tm.tm_min != want.tm_min ||
	    tm.tm_sec != want.tm_sec)
		return -1;
	*t_r = t;
	return 0;
}

/* Parses a wall-clock amount such as "30m", "4h", "3d", "1w", "2d4h",
   or an ISO 8601 duration ("P1DT2H"). 0, or -1 with what is wrong with
   an ISO one in *ERROR_R (else NULL). */
static int
parse_wait(const char *s, struct calendar_duration *d_r, char **error_r)
{
	struct calendar_duration d = { 0 };

	*error_r = NULL;
	if (*s == 'P')
		return calendar_duration_parse(s, d_r, error_r) < 0 ? -1 : 0;
	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		size_t n = strspn(s, "0123456789");
		uint32_t *field;
		int v;

		if (n == 0 || n > 5 || digits(s, n, &v) < 0 ||
		    v > CALENDAR_DURATION_FIELD_MAX)
			return -1;
		switch (s[n]) {
		case 'w': field = &d.weeks; break;
		case 'd': field = &d.days; break;
		case 'h': field = &d.hours; break;
		case 'm': field = &d.minutes; break;
		case 's': field = &d.seconds; break;
		default: return -1;
		}
		if (*field != 0)
			return -1;
		*field = (uint32_t)v;
		s += n + 1;
	}
	*d_r = d;
	return 0;
}

/* The command words of WF, for an error message (caller frees). */
static char *
command_words(const struct workflow *wf)
{
	struct strlist l = { 0 };
	char *s;

	for (size_t i = 0; i < wf->ncommands; i++)
		strlist_addf(&l, "%s#%s", i > 0 ? ", " : "",
			     wf->commands[i].word);
	s = strlist_join(&l);
	return s;
}

/* Whether WORD is one cirm handles itself (#notering, #prioritet, ...)
   when the workflow does not declare it. */
static bool
builtin_word(const char *word)
{
	const char *const *lists[] = {
		workflow_note_words, workflow_priority_words,
		workflow_category_words, workflow_due_words,
		workflow_language_words, workflow_canned_words,
		workflow_forward_words, workflow_name_words,
	};
	char *f = workflow_fold(word);
	bool found = false;

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		for (size_t k = 0; lists[i][k] != NULL && !found; k++)
			found = strcmp(f, lists[i][k]) == 0;
	free(f);
	return found;
}

/* "#word [argument] [text]": the command, its argument if it takes one,
   and the text of the reply. 0, or -1 with the error printed. */
static int
parse_command(const struct workflow *wf, struct step *st)
{
	const char *p = st->spec + 1;
	size_t n = strcspn(p, " \t");
	char *word = xstrndup(p, n), *words;
	const struct workflow_command *c = workflow_command(wf, word);

	if (c == NULL && builtin_word(word)) {
		ctl_error(_("#%s is cirm's own command, not the workflow's: "
			    "it moves no state, so there is nothing to "
			    "simulate (leave it out of --events)"), word);
		free(word);
		return -1;
	}
	if (c == NULL) {
		const char *near = mailin_near_command(wf, word, wf->lang);

		/* cirm's own (#notering) would be refused here in turn */
		if (near != NULL && workflow_command(wf, near) == NULL)
			near = NULL;
		words = command_words(wf);
		if (near != NULL)
			ctl_error(_("unknown command #%s: did you mean #%s? "
				    "(the workflow has %s)"), word, near,
				  *words != '\0' ? words : _("none"));
		else
			ctl_error(_("unknown command #%s (the workflow has %s)"),
				  word, *words != '\0' ? words : _("none"));
		free(words);
		free(word);
		return -1;
	}
	p += n;
	p += strspn(p, " \t");
	if (c->argument != WORKFLOW_ARG_NONE) {
		n = strcspn(p, " \t");
		if (n == 0) {
			ctl_error(c->argument == WORKFLOW_ARG_HANDLER ?
				  _("#%s needs a handler's login, as in "
				    "\"#%s eva\"") :
				  c->argument == WORKFLOW_ARG_CASE ?
				  _("#%s needs a case number, as in "
				    "\"#%s KS-2026-00042\"") :
				  _("#%s needs a word, as in \"#%s word\""),
				  word, word);
			free(word);
			return -1;
		}
		st->argument = xstrndup(p, n);
		p += n;
		p += strspn(p, " \t");
	}
	if (*p != '\0' && c->text == WORKFLOW_TEXT_NONE) {
		ctl_error(_("#%s takes no text: \"%s\""), word, p);
		free(word);
		return -1;
	}
	if (*p == '\0' && c->text == WORKFLOW_TEXT_REQUIRED) {
		ctl_error(_("#%s needs a text for the citizen, as in \"#%s "
			    "Which street?\""), word, word);
		free(word);
		return -1;
	}
	st->text = *p != '\0' ? xstrdup(p) : NULL;
	/* the word as the workflow has it, whichever alias was typed */
	st->label = st->argument != NULL ?
		xasprintf("#%s %s", c->word, st->argument) :
		xasprintf("#%s", c->word);
	st->event = c->event;
	st->template = c->template;
	free(word);
	return 0;
}

/* Parses the step ST->spec. 0, or -1 with the error printed. */
static int
parse_step(const struct workflow *wf, struct step *st)
{
	const char *s = st->spec;

	if (s[0] == '#') {
		st->kind = STEP_COMMAND;
		return parse_command(wf, st);
	}
	if (s[0] == '+') {
		char *err;

		st->kind = STEP_WAIT;
		if (parse_wait(s + 1, &st->wait, &err) == 0)
			return 0;
		if (err != NULL)
			ctl_error(_("bad time step '%s': %s (e.g. +PT4H, "
				    "+P3D, +P1DT2H)"), s, err);
		else
			ctl_error(_("bad time step '%s' (e.g. +30m, +4h, +3d, "
				    "+1w, +2d4h, or +PT4H as in a workflow)"),
				  s);
		free(err);
		return -1;
	}
	if (s[0] == '@') {
		st->kind = STEP_UNTIL;
		if (parse_local_time(s + 1, &st->until) == 0)
			return 0;
		ctl_error(_("bad time '%s' (e.g. @2026-12-24T10:00)"), s);
		return -1;
	}
	st->kind = STEP_EVENT;
	st->event = s;
	if (strcspn(s, " \t*") == strlen(s))
		return 0;
	ctl_error(_("bad event name '%s' (a comma in a command's text is "
		    "written \\,)"), s);
	return -1;
}

static void
free_steps(struct step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(steps[i].spec);
		free(steps[i].label);
		free(steps[i].argument);
		free(steps[i].text);
	}
	free(steps);
}

/* The next step of the list at *P, up to a comma that is not written
   "\\," (a comma in a command's text: "#fråga Var, exakt?"), trimmed
   and with "\\," made ","; *P moves past it. */
static char *
next_step(const char **p)
{
	const char *s = *p;
	char *out = xmalloc(strlen(s) + 1), *o = out, *e;

	for (; *s != '\0' && *s != ','; s++) {
		if (s[0] == '\\' && s[1] == ',')
			s++;
		*o++ = *s;
	}
	*p = *s == ',' ? s + 1 : s;
	*o = '\0';
	for (e = o; e > out && (e[-1] == ' ' || e[-1] == '\t' ||
				e[-1] == '\n'); e--)
		e[-1] = '\0';
	o = out + strspn(out, " \t\n");
	memmove(out, o, strlen(o) + 1);
	return out;
}

/* Splits EVENTS at commas into *STEPS_R, *N_R. 0, or -1 with the error
   printed. */
static int
parse_steps(const struct workflow *wf, const char *events,
	    struct step **steps_r, size_t *n_r)
{
	struct step *steps = NULL;
	const char *p = events;
	size_t n = 0;

	while (*p != '\0') {
		char *spec = next_step(&p);

		if (*spec == '\0') {
			free(spec);
			continue;
		}
		steps = xrealloc(steps, (n + 1) * sizeof(*steps));
		memset(&steps[n], 0, sizeof(*steps));
		steps[n].spec = spec;
		if (parse_step(wf, &steps[n++]) < 0) {
			free_steps(steps, n);
			return -1;
		}
	}
	*steps_r = steps;
	*n_r = n;
	return 0;
}

/* A step's first line, at the virtual time. */
static void CIRM_PRINTF(2, 3)
sim_head(struct sim *sim, const char *fmt, ...)
{
	char buf[32];
	va_list ap;

	printf("%s  ", sim_time(sim->now, buf));
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	sim->lines = 0;
}

/* A line of what a step did. */
static void CIRM_PRINTF(2, 3)
sim_line(struct sim *sim, const char *fmt, ...)
{
	va_list ap;

	if (sim->lines++ == SIM_LINES_MAX)
		printf("%s%s\n", SIM_INDENT, _("(the rest of this step "
						"left out)"));
	if (sim->lines > SIM_LINES_MAX)
		return;
	fputs(SIM_INDENT, stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Prints MSG as the failure of an action and hands it to the run. */
static int
sim_action_error(struct sim *sim, char *msg, char **error_r)
{
	sim_line(sim, _("error: %s"), msg);
	*error_r = msg;
	return -1;
}

static void
replace(char **p, const char *s)
{
	free(*p);
	*p = xstrdup(s);
}

static int
sim_assign(struct sim *sim, const struct workflow_action *a, char **error_r)
{
	if (strcmp(a->to, "argument") == 0) {
		if (sim->argument == NULL)
			return sim_action_error(sim, xasprintf(_("assign to "
				"\"argument\": the event has no argument "
				"(send the command, as in \"#WORD LOGIN\")")),
				error_r);
		sim_line(sim, _("assign argument: %s"), sim->argument);
	} else {
		sim_line(sim, _("assign %s"), a->to);
	}
	sim->facts.assigned = strcmp(a->to, "none") != 0;
	return 0;
}

static int
sim_set(struct sim *sim, const struct workflow_action *a, char **error_r)
{
	struct calendar_duration d;
	const char *value = a->value;
	char *err = NULL, buf[32];
	int64_t due;

	if (strcmp(a->field, "due") == 0) {
		if (a->after == NULL || *a->after == '\0') {
			sim_line(sim, "%s", _("set due (cleared)"));
			return 0;
		}
		if (calendar_duration_parse(a->after, &d, &err) < 0 ||
		    calendar_add(sim->wf->calendar, sim->now, &d, &due,
				 &err) < 0)
			return sim_action_error(sim, err, error_r);
		sim_line(sim, _("set due %s -> %s"), a->after,
			 sim_time(due, buf));
		return 0;
	}
	if (value != NULL && strcmp(value, "argument") == 0 &&
	    strcmp(a->field, "category") == 0) {
		if (sim->argument == NULL)
			return sim_action_error(sim, xasprintf(_("set %s to "
				"\"argument\": the event has no argument "
				"(send the command, as in \"#WORD WORD\")"),
				a->field), error_r);
		value = sim->argument;
		sim_line(sim, _("set %s argument: %s"), a->field, value);
	} else {
		sim_line(sim, _("set %s %s"), a->field,
			 value != NULL ? value : "");
	}
	if (strcmp(a->field, "category") == 0)
		replace(&sim->category, value);
	else if (strcmp(a->field, "priority") == 0)
		replace(&sim->priority, value);
	sim->facts.category = sim->category;
	sim->facts.priority = sim->priority;
	return 0;
}

/* The value of template variable NAME in VARS (N of them) becomes
   VALUE. */
static void
sim_var(struct template_var *vars, size_t n, const char *name,
	const char *value)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(vars[i].name, name) == 0)
			vars[i].value = value;
}

/* Renders template NAME as cirmd fills a reply's (caseflow.c,
   render()): with the event's TEXT, by SMS only what is above a plain
   sign-off (the template signs with the name); the case's number and
   received time; the channel; the armed timers' times. Values the
   simulation has no case for are empty. 0 with *SUBJECT_R and
   *BODY_R, or -1 with *ERROR_R (caller frees each). */
static int
sim_render(struct sim *sim, const char *name, const char *text,
	   char **subject_r, char **body_r, char **error_r)
{
	const char *lang = sim->wf->lang != NULL ? sim->wf->lang : "sv";
	bool by_sms = strcmp(sim->facts.channel, "sms") == 0;
	char *unsigned_text = NULL, *cut = NULL, *signer, *signer_phone;
	size_t nvars = 0, above, n;
	struct template_var *vars;
	char number[32], *times, buf[32], received[LOCAL_MINUTE_SIZE];
	char received_long[CASEFLOW_WHEN_LONG_SIZE];
	const char *signoff = NULL;
	int ret;

	text = text != NULL ? text : "";
	above = reply_split_signoff(text, &signoff);
	if (signoff != NULL)
		unsigned_text = xstrndup(text, above);
	signer = signoff != NULL ? reply_signer(signoff) : NULL;
	signer_phone = signoff != NULL ? reply_signer_phone(signoff) : NULL;
	if (by_sms && (n = reply_plain_cut(text)) < strlen(text))
		text = cut = xstrndup(text, n);
	while (template_variables[nvars] != NULL)
		nvars++;
	vars = xcalloc(nvars + sim->narmed + 1, sizeof(*vars));
	for (size_t i = 0; i < nvars; i++) {
		vars[i].name = template_variables[i];
		vars[i].value = "";
	}
	snprintf(number, sizeof(number), "KS-%.4s-00001",
		 sim_time(sim->received, buf));
	sim_var(vars, nvars, "case.number", number);
	/* "Vi tog emot det den 3 december 2026 kl. 10.00", not a gap */
	sim_var(vars, nvars, "case.received", local_minute(sim->received,
							   received));
	caseflow_when_long(sim->received, lang, received_long);
	sim_var(vars, nvars, "case.received_long", received_long);
	sim_var(vars, nvars, "municipality.name", sim->municipality);
	sim_var(vars, nvars, "case.sms", by_sms ? "1" : "");
	sim_var(vars, nvars, "case.priority", sim->priority != NULL ?
		sim->priority : "normal");
	sim_var(vars, nvars, "case.category", sim->category != NULL ?
		sim->category : "");
	sim_var(vars, nvars, "message.text", text);
	sim_var(vars, nvars, "message.unsigned", unsigned_text != NULL ?
		unsigned_text : text);
	sim_var(vars, nvars, "message.signed", signoff != NULL ? "1" : "");
	sim_var(vars, nvars, "message.signoff", signoff != NULL ? signoff :
		"");
	sim_var(vars, nvars, "message.signer", signer != NULL ? signer : "");
	sim_var(vars, nvars, "message.signer_phone", signer_phone != NULL ?
		signer_phone : "");
	times = xcalloc(sim->narmed + 1, CASEFLOW_WHEN_LONG_SIZE);
	for (size_t i = 0; i < sim->narmed; i++) {
		char *v = times + i * CASEFLOW_WHEN_LONG_SIZE;

		caseflow_when_long(sim->armed[i].due, lang, v);
		vars[nvars + i].name = xasprintf("timer.%s",
						 sim->armed[i].t->id);
		vars[nvars + i].value = v;
	}
	vars[nvars + sim->narmed].name = "timer.*";	/* not armed */
	vars[nvars + sim->narmed].value = "";
	ret = template_render(sim->templates, lang, name, vars,
			      nvars + sim->narmed + 1, subject_r, body_r,
			      error_r);
	for (size_t i = 0; i < sim->narmed; i++)
		free((char *)vars[nvars + i].name);
	free(vars);
	free(times);
	free(signer);
	free(signer_phone);
	free(unsigned_text);
	free(cut);
	return ret;
}

/* BODY under a reply, each line after a "|", as the citizen reads it;
   past MAX lines, how many more there are. */
static void
sim_body(struct sim *sim, const char *body, size_t max)
{
	size_t n = 0, more = 0;
	const char *p;

	for (p = body; *p != '\0'; p += strcspn(p, "\n"), p += *p == '\n') {
		if (n++ < max)
			sim_line(sim, "|%s%.*s", *p != '\n' ? " " : "",
				 (int)strcspn(p, "\n"), p);
		else
			more++;
	}
	if (more > 0)
		sim_line(sim, ngettext("| ... (%zu more line)",
				       "| ... (%zu more lines)", more), more);
}

/* By SMS, after "reply TEMPLATE_ID": what the citizen's telephone
   shows, and what it costs; or that it does not go, as cirmd decides:
   the text of a mail template without an SMS variant, over the
   workflow's sms-segments, is not sent (caseflow.c). */
static void
sim_sms(struct sim *sim, const char *template_id, const char *text)
{
	const char *lang = sim->wf->lang != NULL ? sim->wf->lang : "sv";
	char *name = xasprintf("%s.sms", template_id), *subject = NULL;
	char *body = NULL, *err = NULL;
	bool variant = template_exists(sim->templates, lang, name) != 0;
	struct gsm_msg m;

	if (sim_render(sim, variant ? name : template_id, text, &subject,
		       &body, &err) < 0) {
		sim_line(sim, _("sms: %s"), err);
	} else if (gsm_encode(body, strlen(body), GSM_AUTO, &m, &err) < 0) {
		sim_line(sim, _("sms: %s"), err);
	} else {
		int parts = gsm_count_parts(&m, GSM_REF8);
		const char *alphabet = m.enc == GSM_UCS2 ? "UCS-2" :
				       "GSM 7-bit";

		gsm_msg_clear(&m);
		if (!variant && (parts < 0 || parts > sim->wf->sms_segments))
			sim_line(sim, _("sms: not sent: %s has no SMS variant "
					"%s/%s, and its mail text costs %d "
					"segments (%s), over sms-segments %d; "
					"the case officers are told"),
				 template_id, lang, name, parts, alphabet,
				 sim->wf->sms_segments);
		else
			sim_line(sim, ngettext("sms: %zu characters, %d "
					       "segment (%s)%s",
					       "sms: %zu characters, %d "
					       "segments (%s)%s", parts),
				 utf8_length(body), parts, alphabet,
				 variant ? "" : _(", the mail text: no SMS "
						  "variant"));
		if (parts >= 0)
			sim_body(sim, body, SIZE_MAX);
	}
	free(err);
	free(subject);
	free(body);
	free(name);
}

/* By mail, after "reply TEMPLATE_ID": the mail the citizen gets, its
   subject and text, a long one cut at SIM_MAIL_LINES. */
static void
sim_mail(struct sim *sim, const char *template_id, const char *text)
{
	char *subject = NULL, *body = NULL, *err = NULL;

	if (sim_render(sim, template_id, text, &subject, &body, &err) < 0) {
		sim_line(sim, _("mail: %s"), err);
	} else {
		sim_line(sim, _("mail: Subject: %s"), subject);
		sim_body(sim, body, SIM_MAIL_LINES);
	}
	free(err);
	free(subject);
	free(body);
}

/* Whether TEMPLATE_ID, rendered with the event's text, shows it: as
   cirmd decides that the handler's answer goes in that reply rather
   than in one of its own (caseflow.c, answer_shown). */
static bool
sim_shows_text(struct sim *sim, const char *template_id)
{
	char *s1 = NULL, *b1 = NULL, *s2 = NULL, *b2 = NULL, *err = NULL;
	char *marked = xasprintf("#\n%s", sim->facts.text);
	bool shown = false;

	if (sim_render(sim, template_id, sim->facts.text, &s1, &b1,
		       &err) == 0 &&
	    sim_render(sim, template_id, marked, &s2, &b2, &err) == 0)
		shown = strcmp(b1, b2) != 0 || strcmp(s1, s2) != 0;
	free(err);
	free(marked);
	free(s1);
	free(b1);
	free(s2);
	free(b2);
	return shown;
}

/* What the citizen gets of a reply in TEMPLATE_ID with the event's
   TEXT, by the case's channel. */
static void
sim_reply(struct sim *sim, const char *template_id, const char *text)
{
	if (strcmp(sim->facts.channel, "sms") == 0)
		sim_sms(sim, template_id, text);
	else
		sim_mail(sim, template_id, text);
}

/* The workflow_host action: print it, and keep the facts up to date. */
static int
sim_action(void *ctx, const struct workflow_action *a, char **error_r)
{
	struct sim *sim = ctx;

	switch (a->kind) {
	case WORKFLOW_REPLY:
		sim_line(sim, _("reply %s"), a->template_id);
		sim_reply(sim, a->template_id, sim->facts.text);
		sim->replies++;
		if (!sim->text_shown && sim->facts.text != NULL &&
		    sim->facts.text[0] != '\0')
			sim->text_shown = sim_shows_text(sim, a->template_id);
		break;
	case WORKFLOW_NOTIFY:
		if (strcmp(a->to, "assignee") == 0 && !sim->facts.assigned)
			sim_line(sim, _("notify %s %s (nobody is assigned)"),
				 a->to, a->template_id);
		else
			sim_line(sim, _("notify %s %s"), a->to,
				 a->template_id);
		break;
	case WORKFLOW_ASSIGN:
		return sim_assign(sim, a, error_r);
	case WORKFLOW_SET:
		return sim_set(sim, a, error_r);
	case WORKFLOW_LOG:
		sim_line(sim, _("log %s"), a->value);
		break;
	}
	return 0;
}

/* The id under which WF declares CAL. */
static const char *
calendar_name(const struct workflow *wf, const struct calendar *cal)
{
	for (size_t i = 0; i < wf->ncalendars; i++) {
		if (wf->calendars[i] == cal)
			return wf->calendar_ids[i];
	}
	return "?";
}

static void
arm_timer(void *ctx, const struct workflow_timer *t)
{
	struct sim *sim = ctx;
	char buf[32], *err = NULL;
	int64_t due;

	if (calendar_add(t->calendar, sim->now, &t->after, &due, &err) < 0) {
		if (sim->error == NULL)
			sim->error = xasprintf(_("timer %s: %s"), t->id, err);
		free(err);
		return;
	}
	sim->armed = xrealloc(sim->armed,
			      (sim->narmed + 1) * sizeof(*sim->armed));
	sim->armed[sim->narmed].t = t;
	sim->armed[sim->narmed++].due = due;
	sim_line(sim, _("timer %s armed: %s (%s), due %s"), t->id,
		 t->after_text, t->wall_clock ? _("wall clock") :
		 calendar_name(sim->wf, t->calendar), sim_time(due, buf));
}

static void
remove_timer(struct sim *sim, size_t i)
{
	memmove(&sim->armed[i], &sim->armed[i + 1],
		(sim->narmed - i - 1) * sizeof(*sim->armed));
	sim->narmed--;
}

/* The workflow_host state observer: a state's timers live while it is
   active. */
static void
sim_state(void *ctx, const char *id, bool entered)
{
	struct sim *sim = ctx;

	if (entered) {
		sim_line(sim, _("enter %s"), id);
		workflow_state_timers(sim->wf, id, arm_timer, sim);
		return;
	}
	sim_line(sim, _("leave %s"), id);
	for (size_t i = 0; i < sim->narmed;) {
		if (strcmp(sim->armed[i].t->state, id) == 0) {
			sim_line(sim, _("timer %s dropped"),
				 sim->armed[i].t->id);
			remove_timer(sim, i);
		} else {
			i++;
		}
	}
}

/* Checks the outcome RET (with ERR) of a call into the run: 0, or -1
   with the error printed. */
static int
sim_result(struct sim *sim, int ret, char *err)
{
	if (ret < 0) {
		ctl_error("%s", err);
		free(err);
		return -1;
	}
	if (sim->error != NULL) {
		ctl_error("%s", sim->error);
		return -1;
	}
	if (sim->lines == 0)
		sim_line(sim, "%s", _("nothing happens"));
	return 0;
}

/* Sends EVENT, the message that caused it having TEXT (may be NULL). */
static int
sim_send(struct sim *sim, const char *event, const char *text,
	 const char *argument)
{
	char *err = NULL;
	int ret;

	if (workflow_run_done(sim->run)) {
		sim_line(sim, "%s", _("ignored: the case is closed"));
		return 0;
	}
	sim->facts.text = text;
	sim->argument = argument;
	ret = workflow_run_send(sim->run, event, &err);
	sim->argument = NULL;
	return sim_result(sim, ret, err);
}

/* Fires, in due order, each armed timer due by UNTIL, each at its own
   time, then moves the clock to UNTIL. 0, or -1. */
static int
sim_run_until(struct sim *sim, int64_t until)
{
	int same = 0;	/* timers fired at sim->now */

	while (!workflow_run_done(sim->run)) {
		size_t best = sim->narmed;
		const struct workflow_timer *t;
		char buf[32];

		for (size_t i = 0; i < sim->narmed; i++) {
			if (sim->armed[i].due <= until &&
			    (best == sim->narmed ||
			     sim->armed[i].due < sim->armed[best].due))
				best = i;
		}
		if (best == sim->narmed)
			break;
		t = sim->armed[best].t;
		same = sim->armed[best].due == sim->now ? same + 1 : 1;
		if (same > SCXML_MAX_MICROSTEPS) {
			/* timers that arm each other again due at once */
			ctl_error(_("timer %s: more than %d timers fired at %s: "
				    "they arm one another again at once and "
				    "never settle"), t->id,
				  SCXML_MAX_MICROSTEPS, sim_time(sim->now, buf));
			return -1;
		}
		sim->now = sim->armed[best].due;
		remove_timer(sim, best);
		sim_head(sim, _("timer %s fired: %s"), t->id, t->event);
		if (sim_send(sim, t->event, NULL, NULL) < 0)
			return -1;
	}
	sim->now = until;
	return 0;
}

/* Whether a timer fires by UNTIL: one is armed due by then, and the case
   is open. */
static bool
sim_fires_by(const struct sim *sim, int64_t until)
{
	if (workflow_run_done(sim->run))
		return false;
	for (size_t i = 0; i < sim->narmed; i++)
		if (sim->armed[i].due <= until)
			return true;
	return false;
}

/* Waits until UNTIL, the step written SPEC ("+3w"; NULL for "@TIME").
   Each line is at the time it happens: where the clock stops comes
   after the timers that fire before it, never ahead of them. With none
   to fire, one line says both. 0, or -1. */
static int
sim_wait(struct sim *sim, const char *spec, int64_t until)
{
	char buf[32];

	if (!sim_fires_by(sim, until)) {
		if (spec != NULL)
			sim_head(sim, _("wait %s until %s"), spec,
				 sim_time(until, buf));
		else
			sim_head(sim, _("wait until %s"),
				 sim_time(until, buf));
		sim->now = until;
		return 0;
	}
	if (spec != NULL)
		sim_head(sim, _("wait %s"), spec);
	else
		sim_head(sim, "%s", _("wait"));
	if (sim_run_until(sim, until) < 0)
		return -1;
	if (spec != NULL)
		sim_head(sim, _("end of wait %s"), spec);
	else
		sim_head(sim, "%s", _("end of wait"));
	return 0;
}

static int
sim_step(struct sim *sim, const struct step *st)
{
	char buf[32], *err = NULL;
	int64_t until;

	switch (st->kind) {
	case STEP_WAIT:
		if (calendar_add(sim->wall, sim->now, &st->wait, &until,
				 &err) < 0) {
			ctl_error("%s: %s", st->spec, err);
			free(err);
			return -1;
		}
		return sim_wait(sim, st->spec, until);
	case STEP_UNTIL:
		if (st->until < sim->now) {
			ctl_error(_("%s: earlier than the simulated time %s"),
				  st->spec, sim_time(sim->now, buf));
			return -1;
		}
		return sim_wait(sim, NULL, st->until);
	case STEP_EVENT:
		sim_head(sim, _("event %s"), st->event);
		return sim_send(sim, st->event, sim->text, NULL);
	case STEP_COMMAND:
		sim_head(sim, _("command %s: %s"), st->label, st->event);
		/* a text of several lines under its first, not at the left
		   margin among the times */
		for (const char *p = st->text; p != NULL && *p != '\0';
		     p += strcspn(p, "\n"), p += *p == '\n')
			sim_line(sim, p == st->text ? _("text: %.*s") :
				 "      %.*s", (int)strcspn(p, "\n"), p);
		/* cirmd refuses a command no transition of the current
		   states takes, and tells the handler: not a silent no-op */
		if (!workflow_run_done(sim->run) &&
		    !workflow_run_handles(sim->run, st->event)) {
			sim_line(sim, "%s", _("refused: not possible in the "
					      "case's current state (nothing "
					      "is done, and the handler is "
					      "told so)"));
			return 0;
		}
		/* the handler's text goes to the citizen in the command's
		   own template, as cirmd sends it: this command's, not
		   another's that sends the same event; first, and the
		   command after it (mailin-handler.c, carry_out) */
		if (!workflow_run_done(sim->run) && st->template != NULL &&
		    st->text != NULL) {
			sim_line(sim, _("reply %s (the handler's text)"),
				 st->template);
			sim_reply(sim, st->template, st->text);
		}
		sim->replies = 0;
		sim->text_shown = st->template != NULL ||
			workflow_run_done(sim->run);
		if (sim_send(sim, st->event, st->text, st->argument) < 0)
			return -1;
		/* no reply of the command's showed the text: it goes to the
		   citizen in cirm's own answer, on its own (first, when the
		   command sent the citizen something else) */
		if (st->text != NULL && st->text[0] != '\0' &&
		    !sim->text_shown) {
			sim_line(sim, "%s", sim->replies > 0 ?
				 _("reply answer (the handler's text, sent "
				   "before the replies above)") :
				 _("reply answer (the handler's text)"));
			sim_reply(sim, "answer", st->text);
		}
		return 0;
	}
	return 0;
}

/* Starts the case at SIM->now and takes the STEPS. An exit status. */
static int
sim_run(struct sim *sim, const struct step *steps, size_t nsteps)
{
	const struct workflow_host host = { sim_action, sim_state, sim };
	char *err = NULL, *states;
	int ret;

	sim->run = workflow_run_new(sim->wf, &sim->facts, &host);
	sim->facts.text = sim->text;
	sim_head(sim, "%s", _("start"));
	/* Two statements: the order in which a call's arguments are
	   evaluated is unspecified, and ERR is set by the first. */
	ret = workflow_run_start(sim->run, &err);
	ret = sim_result(sim, ret, err);
	for (size_t i = 0; ret == 0 && i < nsteps; i++)
		ret = sim_step(sim, &steps[i]);
	if (ret == 0) {
		states = workflow_run_states(sim->run);
		if (workflow_run_done(sim->run))
			printf(_("final: %s (closed)\n"), states);
		else
			printf(_("final: %s\n"), states);
		free(states);
	}
	workflow_run_free(&sim->run);
	return ret < 0 ? 1 : 0;
}

static void
simulate_usage(void)
{
	ctl_error("%s", _("usage: cirmctl workflow simulate FILE [--events "
			  "LIST] [--start TIME] [--channel email|sms] "
			  "[--text TEXT] [--name NAME] [--templates DIR]"));
}

static int
simulate(const struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "events", required_argument, NULL, 'e' },
		{ "start", required_argument, NULL, 's' },
		{ "channel", required_argument, NULL, 'c' },
		{ "text", required_argument, NULL, 'x' },
		{ "name", required_argument, NULL, 'n' },
		{ "templates", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *events = "", *start = NULL, *templates = NULL;
	struct sim sim = { .facts = { .channel = "email" } };
	struct workflow *wf = NULL;
	struct step *steps = NULL;
	size_t nsteps = 0;
	char *owned, *tpl_dir = NULL, *municipality = NULL;
	int c, rc, bad = 0, ret = 1;

	while ((c = ctl_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case 'e': events = optarg; break;
		case 's': start = optarg; break;
		case 'c': sim.facts.channel = optarg; break;
		case 'x': sim.text = optarg; break;
		case 'n': sim.name = optarg; break;
		case 't': templates = optarg; break;
		default: bad = 1; break;
		}
	}
	if (bad || optind != argc - 1) {
		simulate_usage();
		return EX_USAGE;
	}
	if (sim.name != NULL) {
		sim.facts.sender_names = sim_names;
		sim.facts.names_ctx = &sim;
	}
	if (strcmp(sim.facts.channel, "email") != 0 &&
	    strcmp(sim.facts.channel, "sms") != 0) {
		ctl_error(_("--channel: '%s' is neither email nor sms"),
			  sim.facts.channel);
		return EX_USAGE;
	}
	if (start == NULL) {
		sim.now = cirm_now();
		sim.now -= sim.now % 60;
	} else if (parse_local_time(start, &sim.now) < 0) {
		ctl_error(_("--start: bad time '%s' (e.g. 2026-12-01T09:00)"),
			  start);
		return EX_USAGE;
	}
	sim.received = sim.now;
	if (config_templates(ctl, &templates, &owned) != 0)
		return EX_CONFIG;
	rc = load_checked(templates, argv[optind], &wf);
	/* each reply is shown as the citizen gets it, by mail or SMS, with
	   the instance's name for the municipality */
	if (rc == 0) {
		struct cfg *cfg = NULL;

		tpl_dir = templates != NULL ? xstrdup(templates) :
			  template_dir_for(argv[optind]);
		if (ctl->config != NULL && ctl_load_config(ctl, &cfg) == 0)
			municipality = xstrdup(cfg_str(cfg, CFG_MAIL_NAME));
		cfg_free(&cfg);
		sim.templates = tpl_dir;
		sim.municipality = municipality != NULL ? municipality :
				   "Kommunen";
	}
	free(owned);
	if (rc < 0)
		return 1;
	if (parse_steps(wf, events, &steps, &nsteps) == 0) {
		sim.wf = wf;
		sim.wall = calendar_new(CALENDAR_NONE);
		ret = sim_run(&sim, steps, nsteps);
		calendar_free(&sim.wall);
	}
	free_steps(steps, nsteps);
	free(tpl_dir);
	free(municipality);
	free(sim.armed);
	free(sim.category);
	free(sim.priority);
	free(sim.error);
	workflow_free(&wf);
	return ret;
}

int
ctl_workflow(const struct ctl *ctl, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return run(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return check(ctl, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "dot") == 0)
		return dot(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "simulate") == 0)
		return simulate(ctl, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "migrate") == 0)
		return ctl_workflow_migrate(ctl, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "export") == 0)
		return ctl_workflow_export(ctl, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return ctl_workflow_list(ctl, argc - 1, argv + 1);
	if (argc >= 2)
		ctl_error(_("unknown workflow command '%s'"), argv[1]);
	/* continuation lines under "cirmctl: usage: " */
	ctl_error("%s", _("usage: cirmctl workflow check [--templates DIR] "
			  "[--quiet] FILE...\n"
			  "                cirmctl workflow dot [--svg] FILE\n"
			  "                cirmctl workflow simulate FILE "
			  "[--events LIST] [--start TIME]\n"
			  "                        [--channel email|sms] "
			  "[--text TEXT] [--name NAME]\n"
			  "                        [--templates DIR]\n"
			  "                cirmctl workflow migrate ID --from "
			  "VERSION --to VERSION [--map MAP] [--dry-run]\n"
			  "                cirmctl workflow list\n"
			  "                cirmctl workflow export ID "
			  "[--version VERSION]\n"
			  "                cirmctl workflow run --scxml FILE "
			  "[--events LIST]"));
	return EX_USAGE;
}
