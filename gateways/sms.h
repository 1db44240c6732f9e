/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_GATEWAY_SMS_H
#define CIRM_GATEWAY_SMS_H

#include "gateway.h"
#include "gsm.h"

/* What the SMS drivers (smpp, smstools) share: inbound messages put in
   the inbox in one envelope format, parts of concatenated messages kept
   in the store until the whole message is there, and delivery receipts
   recorded on the outbound message.

   The envelope (an inbox row of channel "sms") is a few header lines,
   a blank line and the text in UTF-8:

     From: +46701234567      the sender, as the network gave it
     To: 72456               our number or short code (when known)
     Id: 0A1B2C              the driver's id of the message (when any)
     Parts: 2/3              only when parts never came: 2 of 3 did
                             (the text has "[…]" where they are missing)

   Other lines (the smstools gateway's "Smsd-NAME: value" on an SMS it
   quarantines) are passed over. The engine normalises the numbers;
   the gateways keep what they got. */

struct sms_in {
	const char *from;	  /* required */
	const char *to;		  /* may be NULL */
	const char *id;		  /* may be NULL: a stable id at the source,
				     used to drop a second delivery */
	const char *key;	  /* may be NULL: without ID, what keeps
				     the same delivery read twice (a
				     spool file after a crash) from
				     being queued twice while it waits */
	const char *text;	  /* UTF-8 (need not be NUL-terminated) */
	size_t len;
	int64_t received_at;	  /* when it reached us */
	const struct gsm_concat *concat; /* NULL (or total 1): whole */
};

/* Puts IN in the inbox, or, for a part of a concatenated message,
   stores the part, and once every part is there puts the whole
   message in the inbox, all in one transaction. Returns 1 when a whole
   message was queued, 0 when a part was stored or IN was a duplicate,
   -1 with *ERROR_R (store_busy() tells a temporary failure). Answer the
   peer only after this returned 0 or 1. */
int sms_deliver(struct gateway_ctx *ctx, const struct sms_in *in,
		char **error_r);

/* Puts RAW (what the driver got, as it came) in the quarantine with
   REASON, as an inbox row moved there in the same transaction (the
   quarantine only takes inbox rows), so that an SMS the driver cannot
   read is kept for a human. KEY (may be NULL) drops a second delivery.
   1, 0 for a duplicate, -1. */
int sms_quarantine(struct gateway_ctx *ctx, const void *raw, size_t len,
		   int64_t received_at, const char *key, const char *reason,
		   char **error_r);

/* Puts in the inbox, marked incomplete, the messages whose first part
   came before NOW - TIMEOUT and that still miss parts, whichever driver
   stored them. Returns their number, or -1. */
int sms_flush_parts(struct gateway_ctx *ctx, int64_t now, int64_t timeout,
		    char **error_r);

/* Row M was accepted by the peer, which calls it REMOTE_ID (may be
   NULL): 'sent', committed. 0, or -1 after logging. */
int sms_sent(struct gateway_ctx *ctx, struct outbound_msg *m,
	     const char *remote_id);

/* A delivery receipt for the message the peer calls REMOTE_ID: STAT is
   the final state as SMPP names it (DELIVRD, EXPIRED, DELETED,
   UNDELIV, ACCEPTD, UNKNOWN, REJECTD, ENROUTE) and ERR the network's
   error code (may be NULL). SAID, when not NULL, is what the peer said
   in its own words, recorded instead of "stat:STAT err:ERR" (smsd says
   no SMPP state). A failure becomes a delivery failure the engine
   raises on the case. 1 recorded, 0 no such message, -1. */
int sms_receipt(struct gateway_ctx *ctx, const char *remote_id,
		const char *stat, const char *err, const char *said,
		char **error_r);

/* The UTF-8 text of MSG (caller frees; its length in *LEN_R). For a
   PART of a concatenated message in UCS-2, a high surrogate at its end
   and a low one at its start (phones that split an emoji between two
   parts) are written in their three-byte form, for sms_deliver to join
   with the neighbouring part; anywhere else a lone surrogate is
   U+FFFD, as gsm_decode has it. Likewise a GSM-7 PART that ends in the
   escape to the extension table ends in U+001B, for sms_deliver to
   read the next part's first character as extended ("€" for "e"). */
char *sms_decode(const struct gsm_msg *msg, int part, size_t *len_r);

/* The sender NUMBER (digits, no trunk prefix, nor '+') whose type the
   network gave as unknown (smsd's From_TOA 81, SMPP TON 0), as the
   engine reads it: international ("+46701234567") when it begins with
   COUNTRY_CODE's digits (sms_country_code, "+46"), else national, with
   the trunk prefix ("0701234567"). Read as international, as digits
   alone are, "701234567" would be a number in Russia or Kazakhstan
   (+7), and the acknowledgement and every answer would go there.
   Caller frees. */
char *sms_unknown_type_sender(const char *number, const char *country_code);

/* The envelope of IN, with "Parts: GOT/TOTAL" when GOT < TOTAL
   (caller frees; its length in *LEN_R). Header values have their line
   breaks replaced by spaces. */
char *sms_envelope(const struct sms_in *in, unsigned got, unsigned total,
		   size_t *len_r);

#endif
