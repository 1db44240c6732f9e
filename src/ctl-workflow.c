/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cirmctl workflow run --scxml FILE [--events LIST] */
#include "config.h"

#include "ctl.h"
#include "i18n.h"
#include "scxml.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int
ctl_workflow(const struct ctl *ctl, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return run(argc - 1, argv + 1);
	ctl_error("%s", _("usage: cirmctl workflow run --scxml FILE "
			  "[--events \"a, b, +5s, c\"]"));
	return EX_USAGE;
}
