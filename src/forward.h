/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_FORWARD_H
#define CIRM_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mime.h"

/* A citizen's mail that a case officer forwarded to the case address:
   who wrote it, its subject and text, and (when it came attached as
   message/rfc822) its Message-ID and thread. */
struct forward {
	char *addr, *name;	/* the original sender; addr lower case */
	char *subject;		/* or NULL */
	char *text;		/* its text, never NULL */
	char *sent;		/* when it was sent, as its Date (local time)
				   or the forward's Skickat/Sent line says;
				   or NULL */
	int64_t sent_at;	/* the same in epoch seconds, or 0 when
				   cirm cannot tell */
	char *message_id, *in_reply_to;	/* or NULL */
	char **references;
	size_t nreferences;
};

/* Whether SUBJECT is a forward's: "VB:", "Fwd:", "FW:", "WG:", "Vb:"... */
bool forward_subject(const char *subject);

/* The mail M forwards: the header block that mail clients write above
   a forwarded text ("-----Ursprungligt meddelande-----", Outlook's line
   of underscores, "---------- Forwarded message ---------", "Begin
   forwarded message:", "Vidarebefordrat brev:"...) with a From/Från
   line holding an address; else, when there is no such block, the
   first message/rfc822 part (a forward as an attachment: with a block,
   such a part is only a file the forwarded mail carried). 1 with *F
   filled (forward_clear frees it), 0 when M forwards no mail cirm can
   tell the sender of. */
int forward_find(const struct mime_message *m, const struct mime_limits *lim,
		 struct forward *f);
void forward_clear(struct forward *f);

/* The time SENT says, the date line of a forward's header block as mail
   clients write it ("den 6 december 2026 18:02", "Sun, Dec 6, 2026 at
   6:02 PM", "Sun, 6 Dec 2026 18:02:00 +0100", "2026-12-06 18:02"...),
   in Swedish or English; local time when it names no zone. 1 with
   epoch seconds in *T_R, 0 when SENT is no such date or names a day
   the calendar has not. */
int forward_sent_time(const char *sent, int64_t *t_r);

/* Where in TEXT the header block of a mail forwarded inline starts (its
   marker line, or its From line), as forward_find finds it: the length
   of the words above it, the forwarder's own; strlen(TEXT) for none. */
size_t forward_inline_at(const char *text);

#endif
