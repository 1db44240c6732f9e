/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Prints the SETTINGS section of cirm.conf(5) in roff, from the same
   settings table that parses the file, so the manual cannot drift from
   the code. */
#include "config.h"

#include "settings.h"

#include <stdio.h>

/* Prints TEXT with roff's special characters escaped, and each letter
   beyond ASCII ("#sök") as groff's \[u00F6]: the page reads the same
   with or without preconv. */
static void
roff(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text;
	     *p != '\0'; p++) {
		unsigned cp;
		int more;

		if (*p == '\\') {
			fputs("\\e", stdout);
			continue;
		}
		if (*p == '-') {
			fputs("\\-", stdout);
			continue;
		}
		if (*p < 0x80) {
			putchar(*p);
			continue;
		}
		/* the help texts are ours, and UTF-8 */
		more = *p >= 0xf0 ? 3 : *p >= 0xe0 ? 2 : 1;
		cp = *p & (0x3fu >> more);
		for (; more > 0 && (p[1] & 0xc0) == 0x80; more--)
			cp = cp << 6 | (*++p & 0x3fu);
		printf("\\[u%04X]", cp);
	}
}

int
main(void)
{
	for (size_t i = 0; i < SETTING_COUNT; i++) {
		const struct setting_def *d = &settings[i];

		fputs(".TP\n.B ", stdout);
		roff(d->name);
		fputs("\n", stdout);
		roff(d->help);
		fputs("\n.br\n", stdout);
		switch (d->type) {
		case SETTING_INT:
			printf("A whole number from %ld to %ld", d->min, d->max);
			if (d->unit != NULL)
				printf(" (%s)", d->unit);
			break;
		case SETTING_BOOL:
			fputs("yes or no", stdout);
			break;
		case SETTING_ENUM:
			fputs("One of:", stdout);
			for (size_t j = 0; d->choices[j] != NULL; j++)
				printf("%s \\fB%s\\fR", j ? "," : "", d->choices[j]);
			break;
		case SETTING_PATH:
			fputs("A path", stdout);
			break;
		case SETTING_SECRET_PATH:
			fputs("A path to a secret file (mode 0600 or stricter)",
			      stdout);
			break;
		case SETTING_STRING:
			fputs("Text", stdout);
			break;
		}
		fputs(". Default: \\fB", stdout);
		roff(d->def);
		fputs("\\fR.\n", stdout);
	}
	return 0;
}
