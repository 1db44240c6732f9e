/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_MAILOUT_H
#define CIRM_MAILOUT_H

#include <stddef.h>
#include <stdint.h>

/* Outbound mail as it goes on the wire: an outbox row (UTF-8 subject,
   "Name: value" header lines and body text) composed into an RFC 5322
   message with MIME (RFC 2045-2047): encoded words for non-ASCII header
   text, the body as text/plain; charset=UTF-8 in quoted-printable, CRLF
   line ends, no line over 78 characters unless one word is. */

#define MAILOUT_HEADERS_MAX 64 /* header lines taken from a row */
#define MAILOUT_ADDRESS_MAX 254 /* RFC 5321 path limit */

struct mailout_attachment {
	const char *filename;	  /* UTF-8, or NULL */
	const char *content_type; /* "type/subtype"; anything else is sent
				     as application/octet-stream */
	const void *data;
	size_t len;
	const char *charset;	  /* a text file's, or NULL: unknown */
};

struct mailout {
	const char *message_id; /* without angle brackets; required */
	const char *recipient;	/* local@domain; required */
	const char *subject;	/* UTF-8, or NULL */
	const char *headers;	/* UTF-8 "Name: value" lines, or NULL */
	const char *body;	/* UTF-8 text, LF or CRLF line ends */
	int64_t date;		/* seconds since the epoch */
	/* With attachments the mail is multipart/mixed: the text, then
	   each attachment in base64 (an enclosed mail, message/rfc822,
	   as it is when 7-bit, else as application/octet-stream). */
	const struct mailout_attachment *attachments;
	size_t nattachments;
};

/* Composes M. The row's own header lines keep their order; the fields
   this module writes itself (Message-ID, Date, To, Subject, MIME-Version,
   Content-*) are dropped from them, as is any line that is not a field.
   CR, LF and other control characters in values are turned into spaces,
   so no value can start a header of its own. Returns 0 with *msg_r
   (NUL-terminated, caller frees) and *len_r, or -1 with *error_r (caller
   frees) when the row cannot become a mail (a bad recipient or
   Message-ID): a permanent failure. */
int mailout_compose(const struct mailout *m, char **msg_r, size_t *len_r,
		    char **error_r);

/* Whether ADDR is a local@domain address that can go into a header
   and an SMTP envelope: printable ASCII, no spaces, brackets or quotes
   but in a quoted local part ("kalle..k"@exempel.se), one @ after it,
   at most MAILOUT_ADDRESS_MAX bytes. */
int mailout_address_ok(const char *addr);

/* ADDR with its domain in ASCII (an IDN domain such as räksmörgås.se
   in its A-labels, xn--rksmrgs-5wao1o.se), for the envelope and the To
   field; a copy when it is ASCII already. NULL when it has no ASCII
   form (a local part that is not ASCII, a domain IDNA refuses). Caller
   frees. */
char *mailout_address_ascii(const char *addr);

/* The address of the first From line in HEADERS (in "Name <addr>" or
   bare), or NULL (caller frees). */
char *mailout_from_address(const char *headers);

/* One line "FIELD: NAME <ADDR>\n" for struct mailout's headers, NAME
   and ADDR with every control character a space, as mailout_compose
   makes them in a value; but here before the line is written, so that
   a name someone chose (a citizen's, decoded from an encoded word with
   a line break in it) cannot end the line and add a field of its own
   to the row. Caller frees. */
char *mailout_row_mailbox(const char *field, const char *name,
			  const char *addr);

/* A new Message-ID (without brackets) at the domain of ADDRESS (or
   cirm.invalid); caller frees. */
char *mailout_new_message_id(const char *address);

/* One unstructured header field NAME with UTF-8 VALUE, encoded (RFC 2047,
   UTF-8, Q or B, whichever is shorter) where it is not plain ASCII and
   folded, ending in CRLF. Caller frees. */
char *mailout_header(const char *name, const char *value);

/* TEXT (LEN bytes) in quoted-printable with CRLF line ends: lines of at
   most 76 characters with soft breaks, trailing white space, "From " and
   a leading dot encoded. A text not ending in a newline ends in a soft
   break, so that decoding gives back exactly TEXT (with LF for CRLF).
   Caller frees; *len_r is the length. */
char *mailout_qp(const char *text, size_t len, size_t *len_r);

/* An RFC 5322 date for T in local time, into BUF. */
void mailout_date(int64_t t, char buf[64]);

/* A Message-ID (without its angle brackets) for what cirm sends on case
   NUMBER at NOW, WHAT it is ("answer", "notify", "forward"), in the
   domain of the case ADDRESS:
   "1796499661.KS-2026-00042.WHAT.1a2b3c4d5e6f7a8b@kommun.example".
   Caller frees. */
char *mailout_message_id(int64_t now, const char *number, const char *what,
			 const char *address);

#endif
