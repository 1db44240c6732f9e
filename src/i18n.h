/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_I18N_H
#define CIRM_I18N_H

#include <libintl.h>

/* Text shown to people (command-line help, errors for administrators)
   goes through gettext; log lines stay in English. */
#define _(s) gettext(s)
#define N_(s) (s)

/* Sets the locale from the environment and binds the text domain. The
   catalogue directory is LOCALEDIR unless CIRM_LOCALEDIR names another
   (the test suite uses the freshly built catalogues). */
void i18n_init(void);
/* The same for a program that formats no dates, numbers or sorted
   lists for people (cirm-mailgate, one process per mail): only
   LC_CTYPE and LC_MESSAGES are set, which spares loading the other
   locale categories at every start. */
void i18n_init_messages(void);

#endif
