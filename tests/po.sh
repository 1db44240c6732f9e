#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The Swedish catalogue is complete: every translatable string in the
# sources has a translation, none fuzzy, and every source file with
# translatable strings is listed in po/POTFILES.in.
. "${top_srcdir:-.}/tests/lib.sh"

command -v xgettext >/dev/null || skip_all "gettext tools not installed (apt-get install gettext)"

cd "$top_srcdir" || exit 99
missing=
for f in $(grep -l -e '_("' -e 'N_("' src/*.c gateways/*.c 2>/dev/null); do
	grep -qx "$f" po/POTFILES.in || missing="$missing $f"
done
check "POTFILES.in lists every file with translatable strings${missing:+ (missing:$missing)}" [ -z "$missing" ]

xgettext --keyword=_ --keyword=N_ --from-code=UTF-8 -o "$T/cirm.pot" \
	$(cat po/POTFILES.in) 2>"$T/xg.err"
check "xgettext reads the sources" [ -s "$T/cirm.pot" ]
check "every string has an entry in sv.po" msgcmp po/sv.po "$T/cirm.pot"
stats=$(LC_ALL=C msgfmt -c --statistics -o /dev/null po/sv.po 2>&1)
check "sv.po is valid" [ $? -eq 0 ]
check "sv.po has no fuzzy or untranslated strings ($stats)" \
	sh -c 'case "$1" in *fuzzy*|*untranslated*) exit 1;; esac' sh "$stats"

done_testing
