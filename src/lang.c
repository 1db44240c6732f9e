/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "lang.h"

#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Function words of each language that are not words of the other (so
   no "i", "in", "is" (Swedish "ice"), "for", "be", "till", "dig" or
   "min"), lower case.
   A street name or a greeting alone decides nothing. */
static const char *const english[] = {
	"the", "and", "you", "your", "have", "has", "with", "this", "that",
	"would", "could", "should", "please", "thank", "thanks", "hello",
	"dear", "there", "their", "what", "when", "which", "been", "was",
	"were", "are", "not", "our", "it", "of", "to", "on", "my", "we",
	"they", "will", "can", "from", "about", "since", "regards",
	"street", "road", "outside", "broken", "why",
};
static const char *const swedish[] = {
	"och", "att", "det", "är", "jag", "på", "för", "inte", "med",
	"har", "vi", "tack", "hej", "ett", "som", "den", "av", "om",
	"kan", "mina", "vår", "ni", "er", "vill", "skulle", "finns",
	"eller", "när", "hur", "varför", "mig",
	"vad", "bara", "någon", "något", "också", "mvh", "hälsningar",
	"utanför", "fortfarande", "trasig", "gatan",
};

/* A word of at most this many bytes is compared; longer is none. */
#define WORD_MAX 16
/* The smallest count that decides, and how many times the other
   language's count it must be. */
#define LANG_MIN_WORDS 2
#define LANG_FACTOR 3

/* Whether W is on LIST. The first letters are compared before strcmp
   is called: the engine guesses the language of each new citizen's
   mail on its one writing thread, and with a call of strcmp for every
   listed word the guess took nearly 4% of that thread's time. */
static bool
listed(const char *const *list, size_t n, const char *w)
{
	for (size_t i = 0; i < n; i++)
		if (list[i][0] == w[0] && strcmp(list[i], w) == 0)
			return true;
	return false;
}

/* Length of the UTF-8 letter at S (ASCII letters, apostrophes and the
   two-byte letters of Latin-1 and Latin Extended-A), 0 for anything
   else. */
static size_t
letter_len(const unsigned char *s)
{
	if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
		return 1;
	if ((s[0] == 0xc3 || s[0] == 0xc4 || s[0] == 0xc5) &&
	    (s[1] & 0xc0) == 0x80)
		return 2;
	return 0;
}

/* Appends the letter at S of LEN bytes to W in lower case (A-Z, and
   À-Þ as Latin-1 has them: Å Ä Ö É among them). */
static void
add_lower(char *w, size_t *n, const unsigned char *s, size_t len)
{
	if (len == 1) {
		w[(*n)++] = (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
		return;
	}
	w[(*n)++] = (char)s[0];
	w[(*n)++] = (char)(s[0] == 0xc3 && s[1] >= 0x80 && s[1] <= 0x9e &&
			   s[1] != 0x97 ? s[1] + 0x20 : s[1]);
}

const char *
lang_guess(const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	const unsigned char *end;
	int en = 0, sv = 0;

	if (text == NULL)
		return NULL;
	end = p + strnlen(text, LANG_TEXT_MAX);
	while (p < end) {
		char w[WORD_MAX + 1];
		size_t n = 0, len;
		bool fits = true;

		while (p < end && letter_len(p) == 0)
			p++;
		while (p < end && (len = letter_len(p)) > 0 &&
		       p + len <= end) {
			if (n + len <= WORD_MAX)
				add_lower(w, &n, p, len);
			else
				fits = false;
			p += len;
		}
		if (n == 0 || !fits) {
			p += p < end ? 1 : 0;
			continue;
		}
		w[n] = '\0';
		if (listed(english, N_ELEMENTS(english), w))
			en++;
		else if (listed(swedish, N_ELEMENTS(swedish), w))
			sv++;
	}
	if (en >= LANG_MIN_WORDS && en >= LANG_FACTOR * sv)
		return "en";
	if (sv >= LANG_MIN_WORDS && sv >= LANG_FACTOR * en)
		return "sv";
	return NULL;
}
