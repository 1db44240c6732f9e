/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "i18n.h"

#include <locale.h>
#include <stdlib.h>

void
i18n_init(void)
{
	const char *dir = getenv("CIRM_LOCALEDIR");

	setlocale(LC_ALL, "");
	bindtextdomain(PACKAGE, dir != NULL && *dir != '\0' ? dir : LOCALEDIR);
	bind_textdomain_codeset(PACKAGE, "UTF-8");
	textdomain(PACKAGE);
}
