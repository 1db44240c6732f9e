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

static void
add_field(struct mime_header **h, size_t *n, size_t *cap, const char *name,
	  size_t name_len, struct strlist *value)
{
	char *v = strlist_join(value), *p, *q;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		*h = xrealloc(*h, *cap * sizeof(**h));
	}
	/* Trim, and turn the CR/LF of the folding into nothing. */
	for (p = q = v; *p != '\0'; p++) {
		if (*p != '\r' && *p != '\n')
			*q++ = *p;
	}
	*q = '\0';
	p = v + strspn(v, " \t");
	q = p + strlen(p);
	while (q > p && (q[-1] == ' ' || q[-1] == '\t'))
		*--q = '\0';
	(*h)[*n].name = xstrndup(name, name_len);
	(*h)[*n].value = xstrdup(p);
	free(v);
	(*n)++;
}

int
mime_split_headers(const char *raw, size_t len, struct mime_header **h_r,
		   size_t *n_r)
{
	struct mime_header *h = NULL;
	size_t n = 0, cap = 0, pos = 0, name_len = 0;
	struct strlist value = { 0 };
	const char *name = NULL;

	while (pos < len) {
		const char *line = raw + pos, *nl = memchr(line, '\n', len - pos);
		size_t llen = nl != NULL ? (size_t)(nl - line) + 1 : len - pos;
		size_t fn;
		char *piece;

		pos += llen;
		if (line[0] == ' ' || line[0] == '\t') {
			if (name == NULL)
				continue; /* a stray continuation */
			piece = xstrndup(line, llen);
			strlist_add(&value, piece);
			free(piece);
			continue;
		}
		if (name != NULL)
			add_field(&h, &n, &cap, name, name_len, &value);
		name = NULL;
		fn = field_name_len(line, llen);
		if (fn == 0) {
			if (n == 0 && h == NULL) {
				strlist_clear(&value);
				return -1;
			}
			continue; /* a broken line among good ones: skipped */
		}
		name = line;
		name_len = fn;
		piece = xstrndup(memchr(line, ':', llen) + 1,
				 llen - (size_t)((const char *)memchr(line, ':', llen) + 1 - line));
		strlist_add(&value, piece);
		free(piece);
	}
	if (name != NULL)
		add_field(&h, &n, &cap, name, name_len, &value);
	strlist_clear(&value);
	*h_r = h;
	*n_r = n;
	return n > 0 ? 0 : -1;
}

