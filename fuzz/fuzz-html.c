/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An HTML mail body turned into text, that text's reply stripping (with
   the answers between quotes), and the pictures of its signature. */
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
	struct strlist cids = { 0 };
	char *t, *s, *inter;

	if (!init) {
		html_init();
		init = 1;
	}
	t = html_to_text((const char *)data, size);
	s = reply_strip_full(t, &inter, NULL);
	html_signature_pictures((const char *)data, size, &cids);
	strlist_clear(&cids);
	free(inter);
	free(s);
	free(t);
	return 0;
}
