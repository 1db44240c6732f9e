/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_AUTOREPLY_H
#define CIRM_AUTOREPLY_H

#include "mime.h"

/* Mail that no person wrote: delivery failures (RFC 3464 reports and the
   common non-standard bounces of Postfix, Exim, Sendmail, Exchange/Office
   365, Gmail, qmail...), automatic replies (RFC 3834 Auto-Submitted,
   X-Autoreply, X-Autorespond, Precedence: bulk/junk/list, vacation
   notices, an empty Return-Path), and mailing-list traffic. None of them
   may open a case or be acknowledged. */

enum autoreply_kind {
	AUTOREPLY_NONE,	  /* written by a person */
	AUTOREPLY_REPLY,  /* an automatic reply (vacation, auto-responder) */
	AUTOREPLY_BOUNCE, /* a delivery failure or delay notice */
	AUTOREPLY_BULK,	  /* list or bulk mail (Precedence, List-Id...) */
};

struct autoreply {
	enum autoreply_kind kind;
	const char *reason;	/* static English text: which sign decided */
	/* Bounces only, each NULL when not found (caller frees them with
	   autoreply_clear): */
	char *original_message_id; /* Message-ID of the mail that failed,
				      without angle brackets */
	char *recipient;	   /* the address that failed */
	char *status;		   /* RFC 3463 status such as "5.1.1" */
	char *diagnostic;	   /* the remote server's words, one line */
	int permanent;		   /* 1: failed; 0: delayed, will retry */
};

/* Classifies MSG. Fills *AR (to be cleared with autoreply_clear). */
void autoreply_classify(const struct mime_message *msg, struct autoreply *ar);
void autoreply_clear(struct autoreply *ar);
const char *autoreply_kind_name(enum autoreply_kind kind);

#endif
