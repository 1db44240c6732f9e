/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_MIME_PRIVATE_H
#define CIRM_MIME_PRIVATE_H

#include "mime.h"

/* Decodes an unstructured header value: RFC 2047 encoded words in any
   charset, raw 8-bit text as UTF-8 when valid, else as Windows-1252.
   Folding is already undone. Returns UTF-8 (caller frees). */
char *mime_decode_words(const char *value, int *replaced);

/* Splits the header section RAW (up to the blank line, LEN bytes) into
   unfolded fields. Returns 0, or -1 when the first line is not a header
   field (then this is no mail). */
int mime_split_headers(const char *raw, size_t len, struct mime_header **h_r,
		       size_t *n_r);

/* Fills the envelope fields of MSG (addresses, subject, ids, date,
   Return-Path) from its headers. */
void mime_read_envelope(struct mime_message *msg);

/* Addresses in VALUE (an address list), decoded. */
void mime_parse_addresses(const char *value, struct mime_address **list_r,
			  size_t *n_r);
void mime_address_clear(struct mime_address *a);

/* 1 when LEN bytes at S are valid UTF-8. */
int mime_utf8_valid(const char *s, size_t len);
/* 1 when LEN bytes at S have 8-bit bytes but not one UTF-8 sequence of
   several bytes: text in an 8-bit charset, whatever its label says. */
int mime_utf8_none(const char *s, size_t len);

#endif
