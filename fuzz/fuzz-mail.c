/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An inbound mail, as mailin reads it before it looks at the database
   (and as cirmctl mail inspect shows it): MIME, headers, charsets, HTML
   to text, reply stripping, auto-reply and bounce recognition, the
   receiving MTA's Authentication-Results, a case number in the
   subject. */
#include "config.h"

#include "autoreply.h"
#include "html.h"
#include "mailin-private.h"
#include "mime.h"
#include "reply.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mime_limits lim;
	static int init;
	struct mime_message *msg = NULL;
	struct autoreply ar;
	char *err = NULL, *s;

	if (!init) {
		html_init();
		mime_limits_default(&lim);
		init = 1;
	}
	if (mime_parse(data, size, &lim, &msg, &err) < 0) {
		free(err);
		return 0;
	}
	s = reply_strip(msg->text);
	free(s);
	autoreply_classify(msg, &ar);
	autoreply_clear(&ar);
	(void)mime_received_time(msg, 0, INT64_MAX);
	(void)mailin_auth_ok(msg, msg->from.addr != NULL ? msg->from.addr :
			     "eva@kommun.se", NULL);
	(void)mailin_auth_ok(msg, msg->from.addr != NULL ? msg->from.addr :
			     "eva@kommun.se", "mx.kommun.se");
	free(mailin_find_number("FEL", msg->subject));
	for (size_t i = 0; i < msg->nparts; i++)
		(void)mime_part_is_file(&msg->parts[i]);
	mime_free(&msg);
	return 0;
}
