#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# With a Swedish locale, cirmctl and cirmd speak Swedish: help, errors,
# configuration errors. Uses the catalogue built from po/sv.po.
. "${top_srcdir:-.}/tests/lib.sh"

sv=$(locale -a 2>/dev/null | grep -i -m1 -x 'sv_SE\.utf-\{0,1\}8')
[ -n "$sv" ] || skip_all "no Swedish locale: generate sv_SE.UTF-8 (locale-gen)"
[ -f "$CIRM_LOCALEDIR/sv/LC_MESSAGES/cirm.mo" ] ||
	skip_all "catalogue not built in $CIRM_LOCALEDIR"
unset CIRM_CONF LANGUAGE

en() { env LC_ALL=C "$@"; }
sv() { env LC_ALL="$sv" "$@"; }

run sv "$CIRMCTL" --help
check "help exits 0" [ "$rc" -eq 0 ]
check "help is in Swedish" contains "$out" "Användning: cirmctl [FLAGGA]"
check "help describes case show in Swedish" contains "$out" "visa ett ärende"
sv_help=$out
run en "$CIRMCTL" --help
check "help is in English in the C locale" contains "$out" "Usage: cirmctl [OPTION]"
check "the two differ" [ "$out" != "$sv_help" ]

# cirm-mailgate is linked statically by default (configure.ac), where
# the C library loads a locale category only if the program links
# something that reads it.
run sv "$top_builddir/cirm-mailgate" --help </dev/null
check "cirm-mailgate's help is in Swedish" \
	contains "$out" "Användning: cirm-mailgate [FLAGGA]"

run sv "$CIRMCTL" frobnicate
check "unknown command in Swedish" contains "$err" "okänt kommando 'frobnicate'"
run sv "$CIRMCTL" -c "$T/none.conf" config
check "unreadable configuration in Swedish" contains "$err" "kan inte läsa"

I=$T/inst
run sv "$CIRMCTL" init "$I"
check "init reports in Swedish" contains "$out" "Skapade en cirm-instans"
printf 'bogus = 1\nengine_batch = 0\n' >>"$I/cirm.conf"
run sv "$CIRMCTL" -c "$I/cirm.conf" config
check "configuration errors in Swedish" contains "$err" "okänd inställning 'bogus'"
check "range errors in Swedish" contains "$err" "'engine_batch' måste vara ett heltal från 1 till 10000"
run sv "$CIRMCTL" -c "$I/cirm.conf" case show KS-1999-00001
check "case errors in Swedish (config checked first)" [ "$rc" -eq 78 ]
run sv "$CIRMD" --help
check "cirmd help in Swedish" contains "$out" "Användning: cirmd"

# One word for the person who wrote in, as the templates say it
# (invånaren), and no English placeholder in Swedish text.
S=${top_srcdir:-.}
check "Swedish texts say invånare, not medborgare" \
	sh -c '! grep -il medborgar "$1"/templates/sv/* "$1"/po/sv.po "$1"/workflows/*.xml' _ "$S"
check "Swedish templates name no LOGIN" \
	sh -c '! grep -l "LOGIN" "$1"/templates/sv/*' _ "$S"
# A login is "inloggning" in every Swedish text, as the usage lines
# (INLOGGNING) and the handlers' transcripts have it.
run sv "$CIRMCTL" -c "$I/cirm.conf" handler add Bo --email bo@kommun.example
check "a bad login is a bad 'inloggning' in Swedish" contains "$err" "felaktig inloggning 'Bo'"
check "Swedish texts say inloggning, not användarnamn" \
	sh -c '! grep -il "användarnamn\|inloggningsnamn" "$1"/po/sv.po' _ "$S"

# case show in Swedish, with the words the handlers' mail uses.
I2=$T/inst2
"$CIRMCTL" init "$I2" >/dev/null
n=$("$MKCASE" "$I2/cirm.db" new "Buller" "Anna Andersson" anna@example.se "Det bullrar.")
run sv "$CIRMCTL" -c "$I2/cirm.conf" case show "$n"
check "case show names the citizen Invånare" contains "$out" "Invånare:     Anna Andersson"
check "and the due date 'Klart senast', as the notifications do" contains "$out" "Klart senast: "
check "and each message in, email, extern, in Swedish columns" contains "$out" \
	"  in   email  extern    "
check "and the citizen's address by its Swedish kind" contains "$out" \
	"e-post: anna@example.se"
check "and the channel in the same word" contains "$out" "Kanal:        e-post"
run sv "$CIRMCTL" -c "$I2/cirm.conf" citizen extract anna@example.se
check "the register extract names the citizen's addresses so too" sh -c \
	'printf "%s\n" "$1" | grep -q "^ *e-post: anna@example.se\$" &&
	 ! printf "%s\n" "$1" | grep -q "^ *email: "' - "$out"
run en "$CIRMCTL" -c "$I2/cirm.conf" case show "$n"
check "... in, email, public in English" contains "$out" "  in   email  public    "
# A label longer than the column (Swedish "Sammanslagna hit:") is whole.
n2=$("$MKCASE" "$I2/cirm.db" new "Buller igen" "Bo Berg" bo@example.se "Igen.")
sqlite3 "$I2/cirm.db" "UPDATE cases SET merged_into = (SELECT id FROM cases WHERE number = '$n'), closed_at = 1 WHERE number = '$n2'"
run sv "$CIRMCTL" -c "$I2/cirm.conf" case show "$n"
check "a long Swedish label is not cut" contains "$out" "Sammanslagna hit: $n2"

# workflow check's counts, each in its Swedish plural form
W=$top_srcdir/tests/data/workflow
run sv "$CIRMCTL" workflow check --templates "$W/templates" "$W/sim-loop.xml" \
	"$W/sim-start-loop.xml"
check "workflow check: 1 timer, 2 kommandon" contains "$out" \
	"är giltigt (5 tillstånd, 1 timer, 2 kommandon)"
check "... 0 timrar, 1 kommando" contains "$out" \
	"är giltigt (2 tillstånd, 0 timrar, 1 kommando)"

done_testing
