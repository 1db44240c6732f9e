/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Splitting a header section into fields. Apart from libc this file
   needs nothing, so that cirm-mailgate can check its input without
   loading the MIME libraries. */
#include "config.h"

#include "mime-private.h"

#include "util.h"

#include <stdlib.h>
#include <string.h>

static int
is_field_name_char(unsigned char c)
{
	return c > 32 && c < 127 && c != ':';
}

/* Length of the field name at LINE, or 0 if LINE is no field. */
static size_t
field_name_len(const char *line, size_t len)
{
	size_t n = 0;

	while (n < len && is_field_name_char((unsigned char)line[n]))
		n++;
	if (n == 0)
		return 0;
	/* Tolerate "Name :" as some old software writes it. */
	size_t m = n;
	while (m < len && (line[m] == ' ' || line[m] == '\t'))
		m++;
	return m < len && line[m] == ':' ? n : 0;
}

/* Adds the field NAME (NAME_LEN bytes) whose value is the LEN bytes at
   VALUE: the rest of its first line after the colon and its
   continuation lines, unfolded (the line breaks taken out, each line
   read up to a NUL in it) and trimmed. */
static void
add_field(struct mime_header **h, size_t *n, size_t *cap, const char *name,
	  size_t name_len, const char *value, size_t len)
{
	char *v = xmalloc(len + 1), *o = v, *p, *q;
	const char *end = value + len;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		*h = xrealloc(*h, *cap * sizeof(**h));
	}
	for (const char *line = value; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl != NULL ? nl + 1 : end;

		for (const char *c = line; c < eol && *c != '\0'; c++) {
			if (*c != '\r' && *c != '\n')
				*o++ = *c;
		}
		line = eol;
	}
	*o = '\0';
	p = v + strspn(v, " \t");
	q = o;
	while (q > p && (q[-1] == ' ' || q[-1] == '\t'))
		*--q = '\0';
	if (p > v)
		memmove(v, p, (size_t)(q - p) + 1);
	(*h)[*n].name = xstrndup(name, name_len);
	(*h)[*n].value = v;
	(*n)++;
}

int
mime_split_headers(const char *raw, size_t len, struct mime_header **h_r,
		   size_t *n_r)
{
	struct mime_header *h = NULL;
	size_t n = 0, cap = 0, pos = 0, name_len = 0;
	/* the field being read: its name, and its value's bytes so far */
	const char *name = NULL, *value = NULL;
	size_t value_len = 0;

	while (pos < len) {
		const char *line = raw + pos, *nl = memchr(line, '\n', len - pos);
		size_t llen = nl != NULL ? (size_t)(nl - line) + 1 : len - pos;
		const char *colon;
		size_t fn;

		pos += llen;
		if (line[0] == ' ' || line[0] == '\t') {
			/* a stray continuation is skipped */
			if (name != NULL)
				value_len = (size_t)(line + llen - value);
			continue;
		}
		if (name != NULL)
			add_field(&h, &n, &cap, name, name_len, value,
				  value_len);
		name = NULL;
		fn = field_name_len(line, llen);
		if (fn == 0) {
			if (n == 0 && h == NULL)
				return -1;
			continue; /* a broken line among good ones: skipped */
		}
		name = line;
		name_len = fn;
		colon = memchr(line, ':', llen);
		value = colon + 1;
		value_len = (size_t)(line + llen - value);
	}
	if (name != NULL)
		add_field(&h, &n, &cap, name, name_len, value, value_len);
	*h_r = h;
	*n_r = n;
	return n > 0 ? 0 : -1;
}

