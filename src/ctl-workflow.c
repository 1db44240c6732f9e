/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cirmctl workflow check|dot|simulate|run */
#include "config.h"

#include "cfg.h"
#include "ctl.h"
#include "i18n.h"
#include "scxml.h"
#include "util.h"
#include "workflow.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

/* Reads PATH whole, refusing files over MAX bytes. NULL with a message. */
static char *
read_document(const char *path, size_t max, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	size_t len = 0, n;
	char *buf;

	if (f == NULL) {
		ctl_error("%s: %s", path, strerror(errno));
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

	while ((c = getopt_long(argc, argv, "s:e:", opts, NULL)) != -1) {
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

/* The templates a workflow FILE is checked against: --templates, the
   instance's with -c, a templates/ beside the file's directory (an
   instance, or the source tree), else the shipped ones. */
static char *
template_dir_for(const struct ctl *ctl, const char *option, const char *file)
{
	const char *slash = strrchr(file, '/'), *d;
	struct cfg *cfg = NULL;
	char *dir;

	if (option != NULL)
		return xstrdup(option);
	if (ctl->config != NULL) {
		if (ctl_load_config(ctl, &cfg) < 0)
			return NULL;
		dir = xstrdup(cfg_str(cfg, CFG_TEMPLATE_DIR));
		cfg_free(&cfg);
		return dir;
	}
	dir = slash != NULL ? xasprintf("%.*s/../templates",
					(int)(slash - file), file) :
		xstrdup("../templates");
	if (is_dir(dir))
		return dir;
	free(dir);
	d = getenv("CIRM_DATADIR");
	return xasprintf("%s/templates", d != NULL && *d != '\0' ? d :
			 PKGDATADIR);
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
	bool quiet = false;
	int c, bad = 0, ret = 0;

	while ((c = getopt_long(argc, argv, "t:q", opts, NULL)) != -1) {
		if (c == 't')
			templates = optarg;
		else if (c == 'q')
			quiet = true;
		else
			bad = 1;
	}
	if (bad || optind == argc) {
		ctl_error("%s", _("usage: cirmctl workflow check [--templates "
				  "DIR] FILE..."));
		return EX_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		struct workflow *wf = NULL;
		struct strlist errors = { 0 };
		char *err = NULL, *dir;

		if (workflow_load_file(argv[i], &wf, &err) < 0) {
			fprintf(stderr, "%s\n", err);
			free(err);
			ret = 1;
			continue;
		}
		dir = template_dir_for(ctl, templates, argv[i]);
		if (dir == NULL) {
			workflow_free(&wf);
			return 1;
		}
		if (workflow_check(wf, dir, &errors) > 0) {
			err = scxml_join_errors(&errors, argv[i]);
			fprintf(stderr, "%s\n", err);
			free(err);
			ret = 1;
		} else if (!quiet) {
			printf(_("%s: workflow %s version %d is valid (%zu "
				 "states, %zu timers, %zu commands)\n"),
			       argv[i], wf->id, wf->version, wf->nstates,
			       wf->ntimers, wf->ncommands);
		}
		free(dir);
		workflow_free(&wf);
	}
	return ret;
}

int
ctl_workflow(const struct ctl *ctl, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return run(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return check(ctl, argc - 1, argv + 1);
	ctl_error("%s", _("usage: cirmctl workflow check|dot|simulate|run "
			  "..."));
	return EX_USAGE;
}
