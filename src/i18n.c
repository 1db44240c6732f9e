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

void
i18n_init_messages(void)
{
	setlocale(LC_CTYPE, "");
	setlocale(LC_MESSAGES, "");
	bind_domain();
}
