/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cirmctl init DIR, cirmctl config */
#include "config.h"

#include "cfg.h"
#include "ctl.h"
#include "i18n.h"
#include "instance.h"
#include "util.h"
#include "workflow.h"

#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

static int
xml_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 4 &&
	       strcmp(d->d_name + n - 4, ".xml") == 0;
}

/* The handler groups the workflows in DIR give roles to, each once,
   those of workflow FIRST (the default's) first, then in file and
   document order: a new instance has no case officer in them, and a
   case notifies no one until it has. */
static void
workflow_groups(const char *dir, const char *first, struct strlist *groups)
{
	struct strlist others = { 0 };
	struct dirent **files;
	int n = scandir(dir, &files, xml_file, alphasort);

	for (int i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, files[i]->d_name);
		struct workflow *wf = NULL;
		char *err = NULL;

		if (workflow_load_file(path, &wf, &err) == 0) {
			struct strlist *to = strcmp(wf->id, first) == 0 ?
				groups : &others;

			for (size_t j = 0; j < wf->nroles; j++)
				if (!strlist_has(to, wf->roles[j].group))
					strlist_add(to, wf->roles[j].group);
		}
		workflow_free(&wf);
		free(err);
		free(path);
		free(files[i]);
	}
	if (n >= 0)
		free(files);
	for (size_t i = 0; i < others.n; i++)
		if (!strlist_has(groups, others.v[i]))
			strlist_add(groups, others.v[i]);
	strlist_clear(&others);
}

/* The program NAME to name: the one beside this cirmctl when there is
   one (a build directory, where cirmctl and cirmd sit together), else
   the installed one, found on the PATH (caller frees). */
static char *
program(const char *name)
{
	char self[4096], *slash, *beside;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			beside = xasprintf("%s/%s", self, name);
			if (access(beside, X_OK) == 0)
				return beside;
			free(beside);
		}
	}
	return xstrdup(name);
}

/* S as a shell word, to be copied into a shell as it is printed: as it
   is when it holds nothing a shell reads apart, else in single quotes
   (caller frees). */
static char *
sh_quote(const char *s)
{
	static const char plain[] = "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./+-:@,=%";
	size_t n = 3;
	char *out, *o;

	if (*s != '\0' && strspn(s, plain) == strlen(s))
		return xstrdup(s);
	for (const char *p = s; *p != '\0'; p++)
		n += *p == '\'' ? 4 : 1;
	o = out = xmalloc(n);
	*o++ = '\'';
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else
			*o++ = *p;
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

int
ctl_init(const struct ctl *ctl, int argc, char **argv)
{
	char *err = NULL;

	if (ctl_no_options(&argc, &argv) < 0 || ctl_too_many(argc, argv, 1, 1) ||
	    argc != 2 ||
	    argv[1][0] == '-' || argv[1][0] == '\0') {
		ctl_error("%s", _("usage: cirmctl init DIR"));
		return EX_USAGE;
	}
	if (instance_init(argv[1], &err) < 0) {
		ctl_error("%s", err);
		free(err);
		return 1;
	}
	{
		char *cirmd = program("cirmd"), *conf, *q_cirmd, *q_dir;
		struct strlist groups = { 0 };
		struct cfg *cfg;

		/* the command is to be copied: a directory with a blank
		   or a quote in its name is quoted for the shell */
		q_cirmd = sh_quote(cirmd);
		q_dir = sh_quote(argv[1]);
		printf(_("Created a cirm instance in %s.\n"
			 "Start the service with: %s -c %s/cirm.conf\n"),
		       argv[1], q_cirmd, q_dir);
		free(q_cirmd);
		free(q_dir);
		conf = xasprintf("%s/cirm.conf", argv[1]);
		cfg = cfg_defaults(conf);
		workflow_groups(cfg_str(cfg, CFG_WORKFLOW_DIR),
				cfg_str(cfg, CFG_WORKFLOW_DEFAULT), &groups);
		if (groups.n > 0) {
			struct strlist l = { 0 };
			char *names, *text, *wrapped;

			for (size_t i = 0; i < groups.n; i++)
				strlist_addf(&l, "%s%s", i > 0 ? ", " : "",
					     groups.v[i]);
			names = strlist_join(&l);
			text = xasprintf(_("The workflows notify the case "
					   "officers of the groups %s: add "
					   "them, for example:\n"), names);
			wrapped = text_wrap(text, 78);
			fputs(wrapped, stdout);
			free(text);
			text = program("cirmctl");
			q_cirmd = sh_quote(text);
			q_dir = sh_quote(conf);
			printf("  %s -c %s handler add eva --email "
			       "eva@example.org --group %s\n", q_cirmd, q_dir,
			       groups.v[0]);
			free(q_cirmd);
			free(q_dir);
			free(wrapped);
			free(text);
			free(names);
		}
		strlist_clear(&groups);
		cfg_free(&cfg);
		free(conf);
		free(cirmd);
	}
	return 0;
}

int
ctl_config(const struct ctl *ctl, int argc, char **argv)
{
	struct cfg *cfg;

	if (ctl_no_options(&argc, &argv) < 0 || ctl_too_many(argc, argv, 1, 0)) {
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
