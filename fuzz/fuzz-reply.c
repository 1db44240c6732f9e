/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reply stripping of a plain text body, made UTF-8 as mime_parse hands
   it over, with the answers between quotes; the plain new text must be
   what reply_strip gives. */
#include "config.h"

#include "mime.h"
#include "reply.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = mime_to_utf8("utf-8", data, size, NULL), *s, *full, *inter;

	s = reply_strip(text);
	full = reply_strip_full(text, &inter);
	if (strcmp(s, full) != 0)
		abort();
	free(inter);
	free(full);
	free(s);
	free(text);
	return 0;
}
