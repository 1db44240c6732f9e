/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_HTML_H
#define CIRM_HTML_H

#include <stddef.h>

#include "util.h"

/* The largest HTML body converted; the bytes after it are ignored (cut
   at a character boundary), so a hostile body costs bounded time and
   memory: libxml2's tree of a body of tiny elements takes some 70 times
   its size. Real mail bodies are far smaller. */
#define HTML_MAX_INPUT ((size_t)1024 * 1024)

/* Turns an HTML body (UTF-8) into readable plain text with libxml2's HTML
   parser (no network, no entities from outside, size-limited): block
   elements become line breaks and paragraphs, <br> a line break, lists
   "- " items, links "text <url>" when they differ, script/style/head
   dropped, white space collapsed as a browser would. Quoted parts
   (<blockquote>, Gmail's gmail_quote, Outlook's divRplyFwdMsg and the
   like) are kept but each of their lines is prefixed with "> ", so that
   reply stripping recognises them; a quote inside a quote gets "> > ",
   and a blank line inside a quote is ">". Bytes that are not UTF-8
   become U+FFFD; the input is cut at HTML_MAX_INPUT. Returns UTF-8 text
   with "\n" line ends, trimmed, never two blank lines in a row (caller
   frees); never NULL. */
char *html_to_text(const char *html, size_t len);
/* Adds to CIDS the Content-IDs (the part after "cid:") of the pictures
   an HTML body shows inside its signature, as Thunderbird
   (class="moz-signature") and Gmail (class="gmail_signature") mark it:
   a handler's logo, which is no file for the citizen. Size-limited as
   html_to_text. */
void html_signature_pictures(const char *html, size_t len,
			     struct strlist *cids);
/* Initialises libxml2 once, before html_to_text runs in more than one
   thread (the engine's read-ahead). */
void html_init(void);

#endif
