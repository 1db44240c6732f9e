/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reply stripping of a plain text body, made UTF-8 as mime_parse hands
   it over. */
#include "config.h"

#include "mime.h"
#include "reply.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = mime_to_utf8("utf-8", data, size, NULL), *s;

	s = reply_strip(text);
	free(s);
	free(text);
	return 0;
}
