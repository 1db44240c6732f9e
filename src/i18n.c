/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "i18n.h"

#include <locale.h>
#include <stdlib.h>

static void
bind_domain(void)
{
	const char *dir = getenv("CIRM_LOCALEDIR");

	bindtextdomain(PACKAGE, dir != NULL && *dir != '\0' ? dir : LOCALEDIR);
	bind_textdomain_codeset(PACKAGE, "UTF-8");
	textdomain(PACKAGE);
}

void
i18n_init(void)
{
	setlocale(LC_ALL, "");
	bind_domain();
}

/* A statically linked program (cirm-mailgate, see configure.ac) gets a
   locale category from the C library only when it links something that
   reads that category: otherwise setlocale(LC_MESSAGES, "") fails there
   and every message stays in English. rpmatch() reads LC_MESSAGES;
   taking its address links it in, and it is never called. */
int (*volatile i18n_messages_category)(const char *) = rpmatch;

void
i18n_init_messages(void)
{
	setlocale(LC_CTYPE, "");
	setlocale(LC_MESSAGES, "");
	bind_domain();
}
