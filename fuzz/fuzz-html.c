/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An HTML mail body turned into text, and that text's reply stripping. */
#include "config.h"

#include "html.h"
#include "reply.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	char *t, *s;

	if (!init) {
		html_init();
		init = 1;
	}
	t = html_to_text((const char *)data, size);
	s = reply_strip(t);
	free(s);
	free(t);
	return 0;
}
