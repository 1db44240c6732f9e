#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# cirmctl quarantine list, show, release and discard, as an
# administrator uses them on mail quarantined as a flood: what each
# shows, that release and discard happen once and exclude each other,
# that discard erases the raw bytes, is all or nothing and is audited;
# that show explains an IMAP note from before a new UIDVALIDITY.
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE=
unset CIRM_CONF

command -v sqlite3 >/dev/null || skip_all "sqlite3 command-line tool not installed (apt-get install sqlite3)"

I=$T/inst
C=$I/cirm.conf
MAILGATE=$top_builddir/cirm-mailgate

sql() {
	sqlite3 -cmd '.timeout 5000' "$I/cirm.db" "$1"
}

# mail N: a mail from the same sender each time.
mail() {
	cat <<EOF
From: Sven Berg <sven.berg@exempel.se>
To: kommunen@kommun.example
Subject: Klagomål nummer $1
Message-ID: <klagomal.$1@exempel.se>
Date: Wed, 02 Dec 2026 10:0$1:00 +0100
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Det här är klagomål nummer $1.
EOF
}

run "$CIRMCTL" init "$I"
check "init succeeds" [ "$rc" -eq 0 ]
run "$CIRMCTL" -c "$C" quarantine list
check "an empty quarantine says so" contains "$out" "(the quarantine is empty)"
printf 'flood_max_cases = 1\n' >>"$C"
for n in 1 2 3; do
	mail $n >"$T/$n.eml"
	"$MAILGATE" -c "$C" <"$T/$n.eml" || echo "mailgate failed on $n" >&2
done
run "$CIRMD" -c "$C" --once
check "one case" [ "$(sql 'SELECT count(*) FROM cases')" -eq 1 ]
q2=$(sql "SELECT id FROM quarantine WHERE instr(raw, 'klagomal.2@') > 0")
q3=$(sql "SELECT id FROM quarantine WHERE instr(raw, 'klagomal.3@') > 0")
check "two quarantined" [ -n "$q2" -a -n "$q3" -a "$q2" != "$q3" ]

# list and show
run "$CIRMCTL" -c "$C" quarantine list
check "list succeeds" [ "$rc" -eq 0 ]
check "list shows both" [ "$(printf '%s\n' "$out" | grep -c '^[0-9]')" -eq 2 ]
check "list is newest first" [ "$(printf '%s\n' "$out" | sed -n 2p | cut -d' ' -f1)" = "$q3" ]
run "$CIRMCTL" -c "$C" quarantine list --limit 1
check "list --limit 1 shows one" [ "$(printf '%s\n' "$out" | grep -c '^[0-9]')" -eq 1 ]
check "and says how many more there are" contains "$out" "(1 more, older: see --limit)"
for bad in 0 x -1; do
	run "$CIRMCTL" -c "$C" quarantine list --limit "$bad"
	check "list --limit '$bad' is a usage error" [ "$rc" -eq 64 ]
done
run "$CIRMCTL" -c "$C" quarantine list extra
check "list with an extra argument is a usage error" [ "$rc" -eq 64 ]
run "$CIRMCTL" -c "$C" quarantine show "$q2"
check "show succeeds" [ "$rc" -eq 0 ]
check "show names the id" contains "$out" "Id:           $q2"
check "show gives the reason" contains "$out" "flood_max_cases is 1"
check_all "... who it is from, its subject and the start of its text" <<-'EOF'
	contains "$out" "From:         Sven Berg <sven.berg@exempel.se>" &&
	contains "$out" "Subject:      Klagomål nummer 2" &&
	contains "$out" "  | Det här är klagomål nummer 2."
EOF
run "$CIRMCTL" -c "$C" quarantine show "$q2" --raw
check "show --raw gives the mail as received" contains "$out" "Message-ID: <klagomal.2@exempel.se>"
check "reading it is in the read log, each time, --raw said" [ \
	"$(sql "SELECT group_concat(detail, '|') FROM (SELECT detail FROM audit WHERE action = 'quarantine.read' AND object = '$q2' ORDER BY id)")" = \
	"quarantine show|quarantine show --raw" ]
run "$CIRMCTL" -c "$C" audit list --action quarantine.read
check "audit list shows the read" contains "$out" "quarantine show --raw"
run "$CIRMCTL" -c "$C" quarantine show --raw "$q2"
check "show --raw before the id: the same" contains "$out" "Message-ID: <klagomal.2@exempel.se>"
run "$CIRMCTL" -c "$C" quarantine show --raw
check "show --raw without an id is a usage error" [ "$rc" -eq 64 ]
run "$CIRMCTL" -c "$C" quarantine show "$q2" --raw --raw
check "show with --raw twice is a usage error" [ "$rc" -eq 64 ]
run "$CIRMCTL" -c "$C" quarantine show --raw -- "$q2"
check "show --raw -- ID: the same" contains "$out" "Message-ID: <klagomal.2@exempel.se>"
run "$CIRMCTL" -c "$C" quarantine show 999
check "an unknown id exits 1" [ "$rc" -eq 1 ]
check "and is named" contains "$err" "no quarantined message 999"
check "and nothing is logged as read" \
	[ "$(sql "SELECT count(*) FROM audit WHERE action = 'quarantine.read' AND object = '999'")" -eq 0 ]
run "$CIRMCTL" -c "$C" quarantine show x2
check "a bad id is a usage error" [ "$rc" -eq 64 ]
check "which names it" contains "$err" "not a quarantine id: 'x2'"

# discard: all or nothing
run "$CIRMCTL" -c "$C" quarantine discard
check "discard without an id is a usage error" [ "$rc" -eq 64 ]
run "$CIRMCTL" -c "$C" quarantine discard "$q2" "$q2"
check "an id given twice is a usage error" [ "$rc" -eq 64 ]
check "which says so" contains "$err" "given twice"
run "$CIRMCTL" -c "$C" quarantine discard "$q2" 999
check "discard with one unknown id fails" [ "$rc" -eq 1 ]
check "naming it, and that there is none such" contains "$err" \
	"no message 999 in the quarantine (cirmctl quarantine list shows them): nothing discarded"
check "and discards nothing" \
	[ "$(sql "SELECT count(*) FROM quarantine WHERE discarded_at IS NOT NULL")" -eq 0 ]
check "not even the good one's bytes" \
	[ "$(sql "SELECT length(raw) > 0 FROM quarantine WHERE id = $q2")" -eq 1 ]
run "$CIRMCTL" -c "$C" quarantine discard "$q2"
check "discard succeeds" [ "$rc" -eq 0 ]
check "and says what it did" contains "$out" "Message $q2 discarded"
check "the raw bytes are erased" \
	[ "$(sql "SELECT length(raw) FROM quarantine WHERE id = $q2")" -eq 0 ]
check "the audit log keeps that it was" \
	[ "$(sql "SELECT count(*) FROM audit WHERE action = 'quarantine.discard' AND object = '$q2'")" -eq 1 ]
run "$CIRMCTL" -c "$C" quarantine list
check "a discarded message leaves the list" \
	[ "$(printf '%s\n' "$out" | grep -c '^[0-9]')" -eq 1 ]
run "$CIRMCTL" -c "$C" quarantine show "$q2"
check "show still finds it" [ "$rc" -eq 0 ]
check "saying when it was discarded" contains "$out" "Discarded:"
check "and that its bytes are erased, not that it had none" \
	sh -c 'printf "%s\n" "$1" | grep -q "^Bytes: *erased\$"' sh "$out"
run "$CIRMCTL" -c "$C" quarantine show "$q2" --raw
check "show --raw of it fails" [ "$rc" -eq 1 ]
check "saying why" contains "$err" "was discarded"
run "$CIRMCTL" -c "$C" quarantine discard "$q2"
check "it cannot be discarded twice" [ "$rc" -eq 1 ]
run "$CIRMCTL" -c "$C" quarantine release "$q2"
check "nor released" [ "$rc" -eq 1 ]
check "the inbox stays empty" [ "$(sql 'SELECT count(*) FROM inbox')" -eq 0 ]

# release: once, and then it cannot be discarded
run "$CIRMCTL" -c "$C" quarantine release "$q3"
check "release succeeds" [ "$rc" -eq 0 ]
run "$CIRMCTL" -c "$C" quarantine release "$q3"
check "a second release fails" [ "$rc" -eq 1 ]
check "... saying it left already" contains "$err" \
	"no quarantined message $q3 waiting for release (released or discarded already?)"
run "$CIRMCTL" -c "$C" quarantine release 999
check "release of an id that never was says so" contains "$err" \
	"no message 999 in the quarantine (cirmctl quarantine list shows them): nothing released"
run "$CIRMCTL" -c "$C" quarantine discard "$q3"
check "a released message cannot be discarded" [ "$rc" -eq 1 ]
run "$CIRMCTL" -c "$C" quarantine list
check "the quarantine is empty again" contains "$out" "(the quarantine is empty)"
run "$CIRMD" -c "$C" --once
check "the released mail is a case" [ "$(sql 'SELECT count(*) FROM cases')" -eq 2 ]
# retention: quarantine_retention discards what waited too long and
# erases the released copies, keeping the records
run "$CIRMCTL" -c "$C" quarantine prune
check "prune without quarantine_retention keeps everything" \
	contains "$out" "quarantine_retention is none"
for n in 4 5 6; do
	mail $n | "$MAILGATE" -c "$C" || echo "mailgate failed on $n" >&2
done
run "$CIRMD" -c "$C" --once
q5=$(sql "SELECT id FROM quarantine WHERE CAST(raw AS TEXT) LIKE '%nummer 5%'")
q6=$(sql "SELECT id FROM quarantine WHERE CAST(raw AS TEXT) LIKE '%nummer 6%'")
check_all "two more quarantined" <<-'EOF'
	[ -n "$q5" ] && [ -n "$q6" ]
	EOF
# q5 waited 40 days; q3 was released 40 days ago; q6 is new
sql "UPDATE quarantine SET quarantined_at = quarantined_at - 40 * 86400 WHERE id = $q5"
sql "UPDATE quarantine SET released_at = released_at - 40 * 86400 WHERE id = $q3"
printf 'quarantine_retention = P30D\n' >>"$C"
run "$CIRMCTL" -c "$C" quarantine prune --dry-run
check "dry run counts" contains "$out" "Quarantined longer than P30D: 1 waiting would be discarded, 1 released copies erased."
check "and changes nothing" [ "$(sql "SELECT count(*) FROM quarantine WHERE length(raw) > 0")" -eq 4 ]
run "$CIRMCTL" -c "$C" quarantine prune
check "prune: exit 0" [ "$rc" -eq 0 ]
check "says what it did" contains "$out" "Quarantined longer than P30D: 1 waiting discarded, 1 released copies erased."
check "the old waiting one is discarded, its bytes erased" \
	[ "$(sql "SELECT discarded_at IS NOT NULL AND length(raw) = 0 FROM quarantine WHERE id = $q5")" = 1 ]
check "the old released copy is erased, still released" \
	[ "$(sql "SELECT released_at IS NOT NULL AND discarded_at IS NULL AND length(raw) = 0 FROM quarantine WHERE id = $q3")" = 1 ]
check "the new one waits, whole" \
	[ "$(sql "SELECT discarded_at IS NULL AND length(raw) > 0 FROM quarantine WHERE id = $q6")" = 1 ]
check "the records stay" [ "$(sql 'SELECT count(*) FROM quarantine')" -eq 5 ]
check "the prune is audited with its counts" \
	[ "$(sql "SELECT detail FROM audit WHERE action = 'quarantine.prune'")" = "retention P30D: 1 discarded, 1 released copies erased" ]
run "$CIRMCTL" -c "$C" quarantine prune
check "a second prune finds nothing" contains "$out" "0 waiting discarded, 0 released copies erased"
check "and audits nothing" [ "$(sql "SELECT count(*) FROM audit WHERE action = 'quarantine.prune'")" -eq 1 ]
sql "UPDATE quarantine SET quarantined_at = quarantined_at - 40 * 86400 WHERE id = $q6"
housekeeping "$C" "$T/d.log"
check "cirmd's housekeeping discards it too" \
	[ "$(sql "SELECT discarded_at IS NOT NULL FROM quarantine WHERE id = $q6")" = 1 ]
check "and logs the count" grep -q "quarantine retention: discarded 1, erased 0 released copies" "$T/d.log"
sed -i '/^quarantine_retention/d' "$C"
printf 'quarantine_retention = 30 days\n' >>"$C"
run "$CIRMCTL" -c "$C" quarantine prune
check "a period not in ISO 8601 is a configuration error" [ "$rc" -eq 78 ]
check "saying how to write one" contains "$err" "must be none or an ISO 8601 period"
sed -i '/^quarantine_retention/d' "$C"
printf 'quarantine_retention = PT0S\n' >>"$C"
run "$CIRMCTL" -c "$C" quarantine prune --dry-run
check "a period of nothing is a configuration error" [ "$rc" -eq 78 ]
check "... saying so" contains "$err" "an ISO 8601 period longer than nothing"
sed -i '/^quarantine_retention/d' "$C"

# release, like discard, takes several ids: all or none
for n in 7 8; do
	mail $n | "$MAILGATE" -c "$C" || echo "mailgate failed on $n" >&2
done
run "$CIRMD" -c "$C" --once
q7=$(sql "SELECT id FROM quarantine WHERE instr(raw, 'klagomal.7@') > 0")
q8=$(sql "SELECT id FROM quarantine WHERE instr(raw, 'klagomal.8@') > 0")
run "$CIRMCTL" -c "$C" quarantine release "$q7" "$q2"
check "releasing one that cannot be released (discarded): exit 1" [ "$rc" -eq 1 ]
check "... naming it" contains "$err" "no quarantined message $q2 waiting for release"
check "... and releasing none" [ "$(sql 'SELECT count(*) FROM inbox')" -eq 0 ]
run "$CIRMCTL" -c "$C" quarantine release "$q7" "$q7"
check "an id given twice: a usage error" [ "$rc" -eq 64 ]
run "$CIRMCTL" -c "$C" quarantine release "$q7" "$q8"
check_all "two released at once, each audited" <<-'EOF'
	[ "$rc" -eq 0 ] && [ "$(sql 'SELECT count(*) FROM inbox')" -eq 2 ] &&
	[ "$(sql "SELECT count(*) FROM audit WHERE action = 'quarantine.release' AND object IN ('$q7', '$q8')")" -eq 2 ]
EOF
check "... each said" [ "$(printf '%s\n' "$out" | grep -c 'is back in the inbox')" -eq 2 ]

# --raw on a terminal: what the sender wrote cannot act on it (ESC and,
# in UTF-8, the C1 CSI and OSC: a title, the clipboard, a cleared
# screen), shown as cat -v shows it; into a pipe, exactly as stored.
{ mail 9 | sed 's/^Det h.*/Hej \x1b]52;c;ZWNobyBwd24=\x07\xc2\x9b2J\x1b[2J slut./'; } |
	"$MAILGATE" -c "$C" || echo "mailgate failed on 9" >&2
run "$CIRMD" -c "$C" --once
q9=$(sql "SELECT id FROM quarantine WHERE instr(raw, 'klagomal.9@') > 0")
run "$CIRMCTL" -c "$C" quarantine show "$q9" --raw
check "show --raw into a pipe: the bytes as stored" \
	contains "$out" "$(printf 'Hej \033]52;c;ZWNobyBwd24=\007\302\2332J\033[2J slut.')"
if command -v script >/dev/null &&
   script -qec true /dev/null >/dev/null 2>&1; then
	out=$(script -qec "'$CIRMCTL' -c '$C' quarantine show $q9 --raw" \
		/dev/null </dev/null | tr -d '\r')
	check "show --raw on a terminal: no escape reaches it" \
		sh -c 'case $1 in *"$2"*|*"$3"*) exit 1 ;; esac' sh "$out" \
		"$(printf '\033')" "$(printf '\302\233')"
	check "... but shows where they were" \
		contains "$out" 'Hej ^[]52;c;ZWNobyBwd24=^GM-^[2J^[[2J slut.'
elif [ -n "${CI:-}" ]; then
	not_ok "show --raw on a terminal: script(1) from util-linux cannot run under CI"
else
	ok "show --raw on a terminal # SKIP script(1) from util-linux not installed"
	ok "... where they were # SKIP script(1) from util-linux not installed"
fi

# A note for mail the IMAP gateway gave up, from before its mailbox was
# renumbered (a new UIDVALIDITY): its UID names nothing there now, so
# show says so and what to do by hand. A note under the UIDVALIDITY the
# gateway reads now says nothing of it; nor does one when the gateway
# has no position yet.
note() {
	sql "INSERT INTO inbox (channel, source, received_at, dedupe_key, raw) VALUES ('email', 'imap', strftime('%s', 'now'), 'imap:$1:$2', CAST('X-Cirm-Unfetchable: the IMAP server failed 3 times to deliver UID $2 of UIDVALIDITY $1' || char(13, 10, 13, 10) AS BLOB))"
}
note 1111 7
note 2222 8
run "$CIRMD" -c "$C" --once
old=$(sql "SELECT id FROM quarantine WHERE dedupe_key = 'unfetchable:1111:7'")
cur=$(sql "SELECT id FROM quarantine WHERE dedupe_key = 'unfetchable:2222:8'")
check "two notes quarantined" [ -n "$old" -a -n "$cur" ]
run "$CIRMCTL" -c "$C" quarantine show "$old"
check "no position yet: nothing said of a renumbering" \
	sh -c 'case $1 in *renumbered*) exit 1 ;; esac' sh "$out"
sql "INSERT INTO gateway_state (gateway, key, value) VALUES ('imap', 'uid', '2222:40')"
run "$CIRMCTL" -c "$C" quarantine show "$old"
check_all "a note from before a new UIDVALIDITY: show explains it" <<-'EOF'
	[ "$rc" -eq 0 ]
	contains "$out" "This note is from before the mailbox was renumbered (UIDVALIDITY 1111"
	contains "$out" "then, 2222 now): UID 7 names no message there any more"
	contains "$out" "then discard this note."
EOF
run "$CIRMCTL" -c "$C" quarantine show "$cur"
check "a note under the UIDVALIDITY now: nothing of it" \
	sh -c 'case $1 in *renumbered*) exit 1 ;; esac' sh "$out"
run "$CIRMCTL" -c "$C" quarantine discard "$old"
run "$CIRMCTL" -c "$C" quarantine show "$old"
check "discarded: nothing more to do, nothing said" \
	sh -c 'case $1 in *renumbered*) exit 1 ;; esac' sh "$out"

run "$CIRMCTL" -c "$C" quarantine bogus
check "an unknown subcommand is a usage error" [ "$rc" -eq 64 ]
check "whose usage names discard" contains "$err" "release ID... | discard ID..."

done_testing
