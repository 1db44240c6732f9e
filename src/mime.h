/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_MIME_H
#define CIRM_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An inbound mail read with libetpan into a normalised form: every
   header decoded (RFC 2047) to UTF-8, the body text in UTF-8 (text/plain
   preferred, else HTML turned into text), every part listed, attachments
   decoded. The raw message itself is not copied: callers keep it. */

struct mime_limits {
	size_t max_size;	   /* whole message, bytes */
	size_t max_header_bytes;   /* top-level header section, bytes */
	size_t max_attachment;	   /* one decoded part, bytes */
	int max_depth;		   /* nesting of multiparts and messages */
	int max_parts;		   /* leaf parts in all */
};

/* Fills LIMITS with the defaults of the settings table. */
void mime_limits_default(struct mime_limits *limits);

struct mime_address {
	char *name; /* display name, UTF-8, or NULL */
	char *addr; /* local@domain as written, or NULL when unparsable */
};

struct mime_header {
	char *name;  /* as written */
	char *value; /* unfolded, RFC 2047 decoded, UTF-8 */
};

enum mime_part_role {
	MIME_PART_BODY,	      /* the text chosen as the body */
	MIME_PART_ALTERNATIVE,/* another form of the body (e.g. its HTML) */
	MIME_PART_ATTACHMENT, /* an attachment, stored */
	MIME_PART_REPORT,     /* message/delivery-status, text/rfc822-headers */
	MIME_PART_MESSAGE,    /* an enclosed message/rfc822, stored whole */
};

struct mime_part {
	enum mime_part_role role;
	char *content_type; /* lower case "type/subtype" */
	char *filename;	    /* UTF-8, or NULL */
	char *charset;	    /* lower case, or NULL */
	int depth;	    /* 0 for the top-level entity */
	unsigned char *data;/* decoded content (transfer encoding undone;
			       for text the original charset), NUL-terminated */
	size_t len;
	char *content_id;   /* Content-ID without its <>, or NULL: what an
			       HTML part shows it by ("cid:...") */
};

struct mime_message {
	struct mime_header *headers; /* top-level header fields, in order */
	size_t nheaders;
	struct mime_address from, sender, reply_to;
	struct mime_address *to, *cc;
	size_t nto, ncc;
	char *subject;	  /* decoded, or NULL */
	char *message_id; /* without the angle brackets, or NULL */
	char *in_reply_to;/* the first id, without brackets, or NULL */
	char **references;/* oldest first, without brackets */
	size_t nreferences;
	int64_t date;	  /* Date: in seconds, or 0 when absent or bad */
	int has_return_path;
	char *return_path;/* address inside Return-Path, "" for <> */
	char *content_type; /* top-level, lower case "type/subtype" */
	char *report_type;  /* report-type parameter of multipart/report */
	char *text;	  /* the body as UTF-8 text, never NULL */
	int text_from_html;
	struct mime_part *parts; /* every leaf part, in document order */
	size_t nparts;
	int charset_replaced; /* some text had an unknown charset or bad
				 bytes, replaced by U+FFFD */
	const char *encrypted; /* "PGP/MIME" or "S/MIME" when the body came
				  encrypted (kept as attachments, its text
				  unread), else NULL; not to be freed */
};

/* Parses RAW (LEN bytes). Returns 0 with *msg_r, or -1 with a one-line
   reason in *error_r (caller frees) when the message breaks a limit or
   is not a mail at all (no header section). Damaged MIME (a missing
   closing boundary, truncated base64, unknown charsets, 8-bit headers,
   NUL bytes) is read as well as it can be, never refused. */
int mime_parse(const void *raw, size_t len, const struct mime_limits *limits,
	       struct mime_message **msg_r, char **error_r);
void mime_free(struct mime_message **msg);

/* As mime_parse, but of RAW's header section only, under no limit of
   size, parts or nesting of MIME parts: who sent a mail, and what it
   is about, even of one that mime_parse refuses (the quarantine keeps
   such mail). */
int mime_parse_header(const void *raw, size_t len,
		      struct mime_message **msg_r, char **error_r);
/* Whether part P is kept as a file of its own: an attachment or an
   enclosed message. */
int mime_part_is_file(const struct mime_part *p);
/* Whether S starts a handler's command: '#', or '#' behind a mark of
   emphasis ('*', '_', '/') as the text of an HTML mail has bold,
   underlined or italic words ("*#notering*"). */
bool mime_command_start(const char *s);
/* Whether P is a file in Outlook's TNEF ("winmail.dat", its RTF format's
   attachments and formatting), which hardly any other mail client can
   open. store_attachments_copy knows it the same way. */
int mime_part_is_tnef(const struct mime_part *p);

/* The first top-level header called NAME (case-insensitive), or NULL. */
const char *mime_header(const struct mime_message *msg, const char *name);

/* The time in the topmost Received field: when the municipality's own
   mail server took the message, which is its legal arrival. 0 when there
   is none, it cannot be read, or it is not within [NOT_BEFORE,
   NOT_AFTER] (a clock far off, or a forged field). */
int64_t mime_received_time(const struct mime_message *msg,
			   int64_t not_before, int64_t not_after);

/* Converts LEN bytes of text in CHARSET (NULL: us-ascii) to UTF-8 (caller
   frees). Unknown charsets and invalid bytes become U+FFFD, and *replaced
   is set to 1 when that happened (REPLACED may be NULL). ISO-8859-1 is
   read as Windows-1252, as mail clients write it. A Latin letter written
   as its base letter and a combining mark becomes the one letter
   (mime_utf8_compose). */
char *mime_to_utf8(const char *charset, const void *data, size_t len,
		   int *replaced);

/* Makes each Latin-1 letter that UTF-8 text S writes decomposed, as a
   base letter followed by its combining mark (Unicode NFD: "a" U+030A),
   the one precomposed letter ("å", NFC), in place. Text copied from a
   PDF or typed on some Macs comes so; stored as it came, "gångbana"
   would not find it, nor keyword('välta') match it, nor "#stäng" be a
   command. Other combinations are left as they are. */
void mime_utf8_compose(char *s);

#endif
