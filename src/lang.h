/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_LANG_H
#define CIRM_LANG_H

/* Which language a citizen writes in, so that what cirm writes back
   (acknowledgements, the frame around a handler's answer, reminders)
   is in that language when the instance has its templates. */

/* Bytes of a text looked at, at most: the first lines say enough. */
#define LANG_TEXT_MAX 1024

/* "en" or "sv" when TEXT (UTF-8; NULL is no text) is clearly written in
   that language, else NULL. Only common function words count ("the",
   "och"), never names: a mail in English about Björkvägen is English,
   and a Swedish mail that quotes a title in English stays Swedish. A
   short text with only a word or two of either is NULL, and the caller
   keeps its default. */
const char *lang_guess(const char *text);

#endif
