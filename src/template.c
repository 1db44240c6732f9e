/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "template.h"

#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *
load(const char *path, char **error_r)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (f == NULL) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = xmalloc(TEMPLATE_MAX_SIZE + 1);
	n = fread(buf, 1, TEMPLATE_MAX_SIZE + 1, f);
	fclose(f);
	if (n > TEMPLATE_MAX_SIZE) {
		*error_r = xasprintf("%s: larger than %d bytes", path,
				     TEMPLATE_MAX_SIZE);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

static const char *
lookup(const struct template_var *vars, size_t nvars, const char *name,
       size_t len)
{
	for (size_t i = 0; i < nvars; i++) {
		if (strlen(vars[i].name) == len &&
		    strncmp(vars[i].name, name, len) == 0)
			return vars[i].value;
	}
	return NULL;
}

/* Fills the {{places}} of TEXT (starting at line LINE of PATH). */
static char *
fill(const char *path, int line, const char *text,
     const struct template_var *vars, size_t nvars, char **error_r)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	const char *p = text;

	while (*p != '\0') {
		const char *open = strstr(p, "{{"), *close, *name, *value;
		size_t nlen;

		if (open == NULL) {
			fputs(p, f);
			break;
		}
		for (const char *q = p; q < open; q++)
			line += *q == '\n';
		fwrite(p, 1, (size_t)(open - p), f);
		close = strstr(open, "}}");
		name = open + 2 + strspn(open + 2, " ");
		nlen = close != NULL ? (size_t)(close - name) : 0;
		while (nlen > 0 && name[nlen - 1] == ' ')
			nlen--;
		value = close != NULL ? lookup(vars, nvars, name, nlen) : NULL;
		if (value == NULL) {
			fclose(f);
			free(out);
			*error_r = close == NULL ?
				xasprintf("%s:%d: '{{' without '}}'", path, line) :
				xasprintf("%s:%d: unknown variable '%.*s'", path,
					  line, (int)nlen, name);
			return NULL;
		}
		fputs(value, f);
		p = close + 2;
	}
	fclose(f);
	return out;
}

int
template_render(const char *dir, const char *lang, const char *name,
		const struct template_var *vars, size_t nvars,
		char **subject_r, char **body_r, char **error_r)
{
	char *path = xasprintf("%s/%s/%s", dir, lang, name), *text, *nl, *body;
	int ret = -1;

	if (access(path, F_OK) < 0 && strcmp(lang, "sv") != 0) {
		free(path);
		path = xasprintf("%s/sv/%s", dir, name);
	}
	text = load(path, error_r);
	if (text == NULL)
		goto out;
	nl = strchr(text, '\n');
	if (strncmp(text, "Subject:", 8) != 0 || nl == NULL ||
	    (nl[1] != '\n' && nl[1] != '\0')) {
		*error_r = xasprintf("%s:1: must start with a 'Subject:' line and "
				     "a blank line", path);
		goto out;
	}
	*nl = '\0';
	body = nl[1] == '\0' ? nl + 1 : nl + 2;
	*subject_r = fill(path, 1, text + 8 + strspn(text + 8, " "), vars,
			  nvars, error_r);
	if (*subject_r == NULL)
		goto out;
	*body_r = fill(path, 3, body, vars, nvars, error_r);
	if (*body_r == NULL) {
		free(*subject_r);
		goto out;
	}
	ret = 0;
out:
	free(text);
	free(path);
	return ret;
}
