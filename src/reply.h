/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_REPLY_H
#define CIRM_REPLY_H

#include <stdbool.h>
#include <stddef.h>

/* Reply stripping: the new text a person wrote, separated from what they
   quoted and from their signature. Swedish and English patterns:
   attributions ("On ... wrote:", "Den ... skrev:", across two lines too),
   Outlook header blocks ("From:/Sent:/To:/Subject:" and
   "Från:/Skickat:/Till:/Ämne:"), "-----Original Message-----",
   "-----Ursprungligt meddelande-----", "> " quotes, signatures ("-- ",
   "Skickat från min iPhone", "Sent from my iPhone", "Outlook för iOS"...),
   and Outlook's "[cid:...]" placeholders of inline images (a logo).
   Input and output are UTF-8 text with "\n" line ends. */

/* The new text of TEXT, trimmed of blank lines at both ends (caller
   frees); never NULL. When nothing but quotes remains, the result is the
   empty string. */
char *reply_strip(const char *text);

/* reply_strip(TEXT), and in *INTERLEAVED_R (unless NULL) the same text
   with context when TEXT answers what it quotes between the quotes
   (two answers or more, each right below quoted lines): the last lines
   quoted above each answer come along as "> " lines, so that a reader
   sees what each answers; else NULL. Only quotes one level deep are
   shown, at most four lines above an answer. In *SIGNATURE_R (unless
   NULL) reply_delimited_signature(TEXT), from the same reading. */
char *reply_strip_full(const char *text, char **interleaved_r,
		       char **signature_r);

/* reply_strip_full(TEXT, INTERLEAVED_R) for a case officer's answer,
   who may quote on purpose in their own text (a guideline, the
   citizen's sentence): when it does not answer between quotes
   (*INTERLEAVED_R stays NULL), the "> " lines between their own lines
   are kept, where no attribution heads them and no command stands
   right above them (there, at most four, at the very top); from a
   quote under an attribution on, the message replied to is cut as
   reply_strip does. */
char *reply_strip_answer(const char *text, char **interleaved_r);

/* The signature below the delimiter ("-- ") that ends the person's own
   text in TEXT, as mutt and Thunderbird put it (a name, a title, a
   telephone number), without the delimiter, up to a blank line, a quote
   or its attribution; NULL when the own text does not end at one. What
   reply_strip cuts off, for reply_signer and reply_signer_phone when
   the text has no closing of its own. Free it. */
char *reply_delimited_signature(const char *text);

/* Whether TEXT, what a case officer wrote to a citizen, closes with a
   greeting of its own: one of its last three lines begins with a
   closing ("Hälsningar", "Med vänlig hälsning", "Mvh", "Kind regards",
   ...), as a word, with at most a name after it on that line and short
   lines (a name, a title) below, and under them perhaps a footer (a
   last paragraph on personal data, public records, confidentiality).
   The frame around the answer then does not close it a second time. */
bool reply_signed_off(const char *text);
/* Where that closing line begins in TEXT, or NULL when it has none. */
const char *reply_signed_off_at(const char *text);
/* TEXT cut where that closing begins: the length of what is above it,
   without the blank lines between, with the closing into *SIGNOFF_R;
   the whole length and NULL when TEXT has none. */
size_t reply_split_signoff(const char *text, const char **signoff_r);
/* Whether what follows the closing SIGNOFF is a signature alone, to
   leave out where the text is quoted: no question in it and no PS
   ("Mvh Eva / PS. Vilken tid bullrar det?" keeps its question). */
bool reply_signoff_plain(const char *signoff);
/* The length of TEXT without its sign-off when that is plain
   (reply_signoff_plain) and TEXT is more than it, blank lines above it
   left out; else the whole length. What a quote of a case officer's
   text, and an SMS, keep of it. */
size_t reply_plain_cut(const char *text);
/* The name the case officer signed SIGNOFF with (reply_split_signoff's):
   "Eva Ek" of "Med vänlig hälsning / Eva Ek / Handläggare", "Eva" of
   "Mvh Eva" and of "/Eva"; NULL when it names nobody. Free it. */
char *reply_signer(const char *signoff);
/* The telephone number in SIGNOFF above its footer, as written: the
   first on a line that names it the officer's ("Tel: 08-123 45 67",
   "Mobil", "Direkt"), else the first on a line that does not name it,
   else the switchboard's ("Växel"); never one of a fax, opening hours,
   a date, a case or an account, nor in a quote or an address. NULL
   when there is none. Free it. */
char *reply_signer_phone(const char *signoff);
/* Whether a citizen's new TEXT is a thank-you and nothing more ("Ok,
   tack!", "Tusen tack för hjälpen! /Anna", "Thanks a lot"): a thanks,
   and besides it only greetings, what it is for, and a closing with a
   name, in at most 200 bytes before the sign-off (reply_signoff), with
   no question mark. Marks and emoji between the words do not count. */
bool reply_thanks_only(const char *text);
/* The same for a sender whose NAME is known (the contact's, a mail's
   From name; several may follow one another, NULL: none): after the
   closing, a word in small letters is a name too when it is one of
   NAME's words or the initial of one ("tack mvh anna s" from Anna
   Svensson), as a word with a capital always is. A word of a script
   without case (Arabic, Hebrew, CJK) after the closing or in the
   sign-off is a name only when it is one of NAME's. */
bool reply_thanks_only_by(const char *text, const char *name);
/* Whether some name could make TEXT a thank-you (reply_thanks_only_by
   with every word of TEXT as a name): when not, no name need be looked
   up. */
bool reply_thanks_maybe(const char *text);
/* Where the sign-off at the end of a citizen's TEXT begins: its closing
   line ("Med vänlig hälsning", "Mvh Anna"), when below it there are at
   most eight lines of a signature (a name, an address, a telephone
   number: no word in lower case but a mail or web address, or a
   street's "vägen" beside its number); or, with no closing, a last
   paragraph that begins with a name alone ("Anna Andersson") and has
   such lines below it. NULL when TEXT has none. */
const char *reply_signoff(const char *text);

#endif
