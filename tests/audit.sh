#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# cirmctl audit list and verify, as an administrator uses them: who did
# what, filtered; a check that the hash chain holds, which finds an
# entry changed or removed inside the log, and, against the newest line
# kept elsewhere (--expect), entries removed from its end.
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE=
unset CIRM_CONF SUDO_USER

command -v sqlite3 >/dev/null || skip_all "sqlite3 command-line tool not installed (apt-get install sqlite3)"

I=$T/inst
C=$I/cirm.conf
me=$(id -un)

sql() {
	sqlite3 -cmd '.timeout 5000' "$1" "$2"
}

run "$CIRMCTL" init "$I"
check "init succeeds" [ "$rc" -eq 0 ]
run "$CIRMCTL" -c "$C" handler add eva --email eva@kommun.example --group synpunkter
check "handler add succeeds" [ "$rc" -eq 0 ]

run "$CIRMCTL" -c "$C" audit list
check "audit list succeeds" [ "$rc" -eq 0 ]
check "it has a header" contains "$out" "ID     TIME"
check "the init is there, with who ran it" \
	sh -c "printf '%s\n' '$out' | grep -q '^1 .* cirmctl:$me  *instance.init'"
check "the handler added, newest first" \
	[ "$(printf '%s\n' "$out" | sed -n 2p | awk '{print $1, $5, $6}')" = "2 handler.add eva" ]

if [ "$(id -u)" -eq 0 ]; then
	SUDO_USER=anna run "$CIRMCTL" -c "$C" handler disable eva
	check "as root through sudo: the administrator is named" \
		contains "$(sql "$I/cirm.db" "SELECT actor FROM audit WHERE action = 'handler.disable'")" "cirmctl:root (sudo by anna)"
else
	run "$CIRMCTL" -c "$C" handler disable eva
	check "not root: the login alone" \
		[ "$(sql "$I/cirm.db" "SELECT actor FROM audit WHERE action = 'handler.disable'")" = "cirmctl:$me" ]
fi
run "$CIRMCTL" -c "$C" handler enable eva
run "$CIRMCTL" -c "$C" audit list --object eva
check "--object: only eva's entries" \
	[ "$(printf '%s\n' "$out" | grep -c ' eva ')" -eq 3 ]
run "$CIRMCTL" -c "$C" audit list --action handler.add
check "--action: only that action" \
	[ "$(printf '%s\n' "$out" | sed 1d | wc -l)" -eq 1 ]
run "$CIRMCTL" -c "$C" audit list --action case.assign --object eva
check "a filter nothing matches says so" contains "$out" "(no entries)"
# A mistyped action: said, with the actions the log has.
run "$CIRMCTL" -c "$C" audit list --action handler.added
check "an action no entry has says so" contains "$out" "(no entries with action 'handler.added')"
check "... and lists those the log has, with how many" contains "$out" \
	"handler.add (1), handler.disable (1), handler.enable (1), instance.init (1)"
run "$CIRMCTL" -c "$C" audit list --limit 2
check "--limit: says how many more there are" contains "$out" "(2 more, older: see --limit)"
run "$CIRMCTL" -c "$C" audit list --limit 0
check "--limit 0 is a usage error" [ "$rc" -eq 64 ]
check "saying what it takes" contains "$err" "--limit must be a whole number from 1 to 1000000, not '0'"
run "$CIRMCTL" -c "$C" audit frob
check "an unknown audit command is a usage error" [ "$rc" -eq 64 ]
check "with the usage" contains "$err" "usage: cirmctl audit list"

run "$CIRMCTL" -c "$C" audit verify
check "verify: intact, exit 0" [ "$rc" -eq 0 ]
check "verify: says so, with the count" contains "$out" "The audit log is intact: 4 entries."
head=$(printf '%s\n' "$out" | sed -n 's/^Newest: //p')
check "verify: prints the newest entry's id and hash" \
	sh -c "printf '%s' '$head' | grep -Eq '^4:[0-9a-f]{64}\$'"
run "$CIRMCTL" -c "$C" handler add bo --email bo@kommun.example
run "$CIRMCTL" -c "$C" audit verify --expect "$head"
check "--expect: the kept line still fits, exit 0" [ "$rc" -eq 0 ]
run "$CIRMCTL" -c "$C" audit verify --expect "Newest: $head"
check "--expect: the whole line as printed, label too, fits" [ "$rc" -eq 0 ]
run "$CIRMCTL" -c "$C" audit verify --expect "4:abc"
check "--expect with a bad line is a usage error" [ "$rc" -eq 64 ]
check "saying what it takes" contains "$err" "--expect takes ID:HASH"

# An entry changed inside the log.
cp "$I/cirm.db" "$T/changed.db"
sql "$T/changed.db" "UPDATE audit SET object = 'olle' WHERE id = 2"
{ cat "$C"; printf 'database = %s\n' "$T/changed.db"; } >"$T/changed.conf"
run "$CIRMCTL" -c "$T/changed.conf" audit verify
check "a changed entry: exit 1" [ "$rc" -eq 1 ]
check "a changed entry: named" contains "$err" "the audit log was altered: entry 2 does not fit the chain"

# An entry removed inside the log.
cp "$I/cirm.db" "$T/changed.db"
sql "$T/changed.db" "DELETE FROM audit WHERE id = 3"
run "$CIRMCTL" -c "$T/changed.conf" audit verify
check "a removed entry: exit 1" [ "$rc" -eq 1 ]
check "a removed entry: where" contains "$err" "entry 3 does not fit the chain"

# The newest entries removed: the chain still holds; the kept line
# shows it.
cp "$I/cirm.db" "$T/changed.db"
sql "$T/changed.db" "DELETE FROM audit WHERE id >= 4"
run "$CIRMCTL" -c "$T/changed.conf" audit verify
check "the end cut off: the chain alone holds" [ "$rc" -eq 0 ]
run "$CIRMCTL" -c "$T/changed.conf" audit verify --expect "$head"
check "the end cut off: --expect finds it, exit 1" [ "$rc" -eq 1 ]
check "the end cut off: said" contains "$err" "entry 4 is gone"

# Where a backup went is the entry's object, a whole path: listed whole,
# never cut (every nightly backup's path begins alike), and with the
# columns after it still in line; so is a long WHO.
bk=$T/backups-of-the-instance/2026-12-07
mkdir -p "$T/backups-of-the-instance"
run "$CIRMCTL" -c "$C" backup "$bk"
check "a backup into a long path succeeds" [ "$rc" -eq 0 ]
SUDO_USER=registrator.med.langt.namn run "$CIRMCTL" -c "$C" handler add \
	stina --email stina@kommun.example
run "$CIRMCTL" -c "$C" audit list --limit 3
check "audit list names the backup's whole path" contains "$out" " $bk "
check "... and, after it, the detail" contains "$out" " $bk  database, spool"
check "the DETAIL column begins where its heading does" \
	[ "$(printf '%s\n' "$out" | sed -n 1p | awk '{ print index($0, "DETAIL") }')" = \
	  "$(printf '%s\n' "$out" | grep instance.backup | awk '{ print index($0, "database, spool") }')" ]
if [ "$(id -u)" -eq 0 ]; then
	check "a long WHO is listed whole" contains "$out" \
		"cirmctl:root (sudo by registrator.med.langt.namn)"
fi

done_testing
