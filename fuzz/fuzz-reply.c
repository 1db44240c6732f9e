/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reply stripping of a plain text body, made UTF-8 as mime_parse hands
   it over, with the answers between quotes; the plain new text must be
   what reply_strip gives. Then what mail to handlers does with such a
   text: wrapped at 72 (only blanks may change, and it stays UTF-8) and
   cut to a history line (at most 70 bytes and "...", UTF-8). And what
   a case officer's answer and a citizen's thank-you go through: the
   sign-off found inside the text, its signer a name within it, and a
   thank-you alone no longer than its limit. */
#include "config.h"

#include "mime.h"
#include "reply.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* S without its spaces and line breaks (in place). */
static char *
unblanked(char *s)
{
	char *o = s;

	for (const char *i = s; *i != '\0'; i++)
		if (*i != ' ' && *i != '\n')
			*o++ = *i;
	*o = '\0';
	return s;
}

static void
check_layout(const char *text)
{
	char *w = text_wrap(text, 72), *e = text_excerpt(text, 70);
	char *a = xstrdup(text);

	if (strcmp(unblanked(a), unblanked(w)) != 0 || utf8_bad_line(w) != 0 ||
	    strlen(e) > 73 || utf8_bad_line(e) != 0)
		abort();
	free(a);
	free(e);
	free(w);
}

static void
check_signoff(const char *text)
{
	const char *signoff = NULL;
	size_t above = reply_split_signoff(text, &signoff);
	char *signer;
	bool plain;

	if (above > strlen(text) ||
	    (signoff != NULL && (signoff < text ||
				 signoff > text + strlen(text) ||
				 text + above > signoff)))
		abort();
	if (signoff != NULL) {
		(void)reply_signoff_plain(signoff);
		signer = reply_signer(signoff);
		if (signer != NULL && (signer[0] == '\0' ||
				       strstr(signoff, signer) == NULL ||
				       utf8_bad_line(signer) != 0))
			abort();
		free(signer);
		/* a number as written, in the sign-off, one line */
		signer = reply_signer_phone(signoff);
		if (signer != NULL && (strlen(signer) < 7 ||
				       strstr(signoff, signer) == NULL ||
				       strchr(signer, '\n') != NULL))
			abort();
		free(signer);
	}
	/* a known name only ever adds a thank-you: the text itself, and
	   its second half, as names; and reply_thanks_maybe bounds them */
	plain = reply_thanks_only(text);
	if (reply_thanks_only_by(text, NULL) != plain ||
	    (plain && (!reply_thanks_only_by(text, text) ||
		       !reply_thanks_only_by(text, text + strlen(text) / 2))) ||
	    (reply_thanks_only_by(text, text + strlen(text) / 2) &&
	     !reply_thanks_maybe(text)))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = mime_to_utf8("utf-8", data, size, NULL), *s, *full, *inter;

	s = reply_strip(text);
	full = reply_strip_full(text, &inter, NULL);
	if (strcmp(s, full) != 0)
		abort();
	check_layout(s);
	check_layout(text);
	check_signoff(s);
	free(inter);
	free(full);
	free(s);
	free(text);
	return 0;
}
