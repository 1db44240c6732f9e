#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Retention (gallring): case_retention, cirmctl case prune and cirmd's
# housekeeping remove the closed cases whose period has passed, with
# everything cirm holds of them, and the citizens no other case names;
# nothing else. The cases are made the real way (citizen mail, the case
# officer's #stäng); then their closing days are moved into the past.
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE= TZ=Europe/Stockholm
unset CIRM_CONF

command -v sqlite3 >/dev/null || skip_all "sqlite3 command-line tool not installed (apt-get install sqlite3)"

I=$T/inst
C=$I/cirm.conf
MAILGATE=$top_builddir/cirm-mailgate

sql() {
	sqlite3 -cmd '.timeout 5000' "$I/cirm.db" "$1"
}

# mail FROM SUBJECT [CC]: a citizen's mail with a photo (the same photo
# in every mail, so that the spool holds it once).
mail() {
	{
		printf 'From: %s\nTo: arende@kommun.example\n' "$1"
		[ -z "${3:-}" ] || printf 'Cc: %s\n' "$3"
		cat <<EOF
Subject: $2
Message-ID: <$2.$(date +%s%N)@example.se>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain; charset=utf-8

Trottoaren vid ärende $2 är trasig, se bilden.
--b
Content-Type: image/jpeg; name="trottoar.jpg"
Content-Disposition: attachment; filename="trottoar.jpg"
Content-Transfer-Encoding: base64

$(printf 'JPEG data of the pavement\n' | base64)
--b--
EOF
	} | "$MAILGATE" -c "$C" || echo "mailgate failed on $2" >&2
}

case_id() {
	sql "SELECT id FROM cases WHERE subject = '$1'"
}

# close SUBJECT YEARS-AGO: eva closes the case; then it was closed then.
close() {
	id=$(case_id "$1")
	rt=$(sql "SELECT headers FROM outbox WHERE case_id = $id AND recipient = 'eva@kommun.example' ORDER BY id LIMIT 1" |
		sed -n 's/^Reply-To: *//p' | sed 's/.*<//; s/>.*//' | tr -d '\r')
	printf 'From: eva@kommun.example\nTo: %s\nSubject: Re: %s\nMessage-ID: <e.%s@kommun.example>\n\n#stäng\n' \
		"$rt" "$1" "$(date +%s%N)" | "$MAILGATE" -c "$C"
	"$CIRMD" -c "$C" --once 2>>"$T/cirmd.log"
	sql "UPDATE cases SET closed_at = $(date -d "$2 years ago" +%s) WHERE id = $id AND closed_at IS NOT NULL"
}

# counts ID: what the database holds of case ID, in one line.
counts() {
	sql "SELECT (SELECT count(*) FROM cases WHERE id = $1) || ' ' ||
		(SELECT count(*) FROM message WHERE case_id = $1) || ' ' ||
		(SELECT count(*) FROM event WHERE case_id = $1) || ' ' ||
		(SELECT count(*) FROM outbox WHERE case_id = $1) || ' ' ||
		(SELECT count(*) FROM case_party WHERE case_id = $1) || ' ' ||
		(SELECT count(*) FROM attachment a JOIN message m ON m.id = a.message_id WHERE m.case_id = $1)"
}

# retention VALUE: case_retention = VALUE, in place of any earlier one.
retention() {
	sed -i '/^case_retention *=/d' "$C"
	printf 'case_retention = %s\n' "$1" >>"$C"
}

contact() {
	sql "SELECT count(*) FROM contact_address WHERE address = '$1'"
}

"$CIRMCTL" init "$I" >/dev/null || exit 99
"$CIRMCTL" -c "$C" handler add eva --email eva@kommun.example \
	--group synpunkter >/dev/null || exit 99

# Old: anna's only case, closed three years ago: it goes, and anna.
mail anna@example.se Old
# Bo's first case goes; his second, open, stays, and so does he.
mail bo@example.se BoOld
mail bo@example.se BoOpen
# Closed a year ago: synpunkt keeps two years.
mail cilla@example.se Recent
# Closed long ago, but its last mail to the citizen waits to be sent.
mail dan@example.se Pending
# Eva (a citizen here) copied on an old case she also has a new one of.
mail erik@example.se Shared fia@example.se
mail fia@example.se FiaOpen
"$CIRMD" -c "$C" --once 2>>"$T/cirmd.log"
check "seven cases" [ "$(sql 'SELECT count(*) FROM cases')" -eq 7 ]

close Old 3
close BoOld 3
close Recent 1
close Pending 3
close Shared 3
check "five closed" [ "$(sql 'SELECT count(*) FROM cases WHERE closed_at IS NOT NULL')" -eq 5 ]
# The sink would have sent them: all sent but Pending's last.
sql "UPDATE outbox SET status = 'sent'"
sql "UPDATE outbox SET status = 'queued' WHERE id = (SELECT max(id) FROM outbox WHERE case_id = $(case_id Pending))"
# The photo was stored three years ago.
find "$I/spool" -type f -exec touch -d '3 years ago' {} +
photo=$(printf 'JPEG data of the pavement\n' | sha256sum | cut -c1-64)
photo_path=$I/spool/$(echo "$photo" | cut -c1-2)/$(echo "$photo" | cut -c3-)
check "the photo is in the spool" [ -f "$photo_path" ]

old=$(case_id Old)
boold=$(case_id BoOld)
shared=$(case_id Shared)
old_number=$(sql "SELECT number FROM cases WHERE id = $old")
# the mail, the acknowledgement, eva's notification (with the photo)
# and her #stäng; the citizen and eva as parties
check "Old holds messages, history, outbox, parties and the photo" \
	[ "$(counts "$old")" = "1 4 $(sql "SELECT count(*) FROM event WHERE case_id = $old") 2 2 2" ]
raws=$(sql 'SELECT count(*) FROM raw_message')
# bo's new case's notification lists his other open case, BoOld, with
# its subject
boopen=$(case_id BoOpen)
boold_number=$(sql "SELECT number FROM cases WHERE id = $boold")
lists_boold() {
	sql "SELECT count(*) FROM outbox_mail WHERE case_id = $boopen AND instr(body, '$1') > 0"
}
check "BoOpen's notification lists BoOld by number and subject" \
	[ "$(lists_boold "  $boold_number  BoOld
")" -eq 1 ]

# Without case_retention nothing is removed.
run "$CIRMCTL" -c "$C" case prune
check "without case_retention: exit 0" [ "$rc" -eq 0 ]
check "and says nothing is removed" contains "$out" "case_retention is none: no case is ever removed."
check "and nothing is" [ "$(sql 'SELECT count(*) FROM cases')" -eq 7 ]

retention synpunkt:P2Y
run "$CIRMCTL" -c "$C" case prune --dry-run
check "dry run: exit 0" [ "$rc" -eq 0 ]
check "dry run names the cases" contains "$out" "$old_number"
# Pending still has mail to send: the prune leaves it, and so the dry
# run does not count it among those that go, but says so.
check "dry run counts three, as the prune then removes" contains "$out" "3 cases would be removed."
check "... and names the one it would leave" contains "$out" \
	"1 case more is past its retention period, but would be left for now: it still has mail to send."
check "... which is not listed as going" \
	sh -c "! printf '%s\n' \"\$1\" | grep -q \"\$2\"" - "$out" "$(sql "SELECT number FROM cases WHERE id = $(case_id Pending)")"
check "dry run removes nothing" [ "$(sql 'SELECT count(*) FROM cases')" -eq 7 ]

# The word "shared" is in the index's pages before (as "hared" after a
# term sharing its first letter, or whole): what is checked after can
# be seen.
inblock() {
	sql "SELECT count(*) FROM message_fts_data WHERE instr(block, CAST('$1' AS BLOB)) > 0"
}
check "the index's pages hold the words of Shared" [ "$(inblock hared)" -gt 0 ]
# a backup from before the removals, for the restore below
"$CIRMCTL" -c "$C" backup "$T/before-prune" >/dev/null || exit 99
run "$CIRMCTL" -c "$C" case prune
check "prune: exit 0" [ "$rc" -eq 0 ]
check "... and no longer in its pages, merged away, not just marked deleted" \
	[ "$(inblock hared)" -eq 0 ]
check "prune says what it removed" contains "$out" "3 cases removed, and 2 citizens no case names any more."
check "and what it left" contains "$out" "1 case was left for now: it still has mail to send."
check "Old is gone with all it held" [ "$(counts "$old")" = "0 0 0 0 0 0" ]
check "BoOld too" [ "$(counts "$boold")" = "0 0 0 0 0 0" ]
check "... and its subject is out of BoOpen's notification" \
	[ "$(lists_boold "BoOld")" -eq 0 ]
check "... its number kept, where the subject was" \
	[ "$(lists_boold "  $boold_number  …
")" -eq 1 ]
check "... the rest of that notification as it was" \
	[ "$(lists_boold "Invånaren har fler öppna ärenden:")" -eq 1 ]
check "Shared too" [ "$(counts "$shared")" = "0 0 0 0 0 0" ]
check "Recent stays (closed a year ago)" [ "$(sql "SELECT count(*) FROM cases WHERE subject = 'Recent'")" -eq 1 ]
check "Pending stays (mail to send)" [ "$(sql "SELECT count(*) FROM cases WHERE subject = 'Pending'")" -eq 1 ]
check "open cases stay" [ "$(sql "SELECT count(*) FROM cases WHERE closed_at IS NULL")" -eq 2 ]
check "anna is gone" [ "$(contact anna@example.se)" -eq 0 ]
check "erik is gone" [ "$(contact erik@example.se)" -eq 0 ]
check "bo stays: his open case names him" [ "$(contact bo@example.se)" -eq 1 ]
check "fia stays: her own case names her" [ "$(contact fia@example.se)" -eq 1 ]
check "the case officer stays" [ "$(contact eva@kommun.example)" -eq 1 ]
check "their raw mails went (the citizens' and eva's)" \
	[ "$(sql 'SELECT count(*) FROM raw_message')" -eq $((raws - 6)) ]
check "no raw mail is left that no message names" \
	[ "$(sql 'SELECT count(*) FROM raw_message r WHERE NOT EXISTS (SELECT 1 FROM message m WHERE m.raw_sha256 = r.sha256)')" -eq 0 ]
check "the search index no longer finds their text" \
	[ "$(sql "SELECT count(*) FROM message_fts WHERE message_fts MATCH 'trottoaren' AND rowid NOT IN (SELECT id FROM message)")" -eq 0 ]
check "the search index still finds the others' text" \
	[ "$(sql "SELECT count(*) FROM message_fts WHERE message_fts MATCH 'trottoaren'")" -eq 4 ]
check "the database is consistent" [ "$(sql 'PRAGMA foreign_key_check' | wc -l)" -eq 0 ]
check "the photo stays: other messages have it" [ -f "$photo_path" ]
run "$CIRMCTL" -c "$C" audit list --action case.removed
check_all "each removal is audited with its period and closing day" <<-'EOF'
	[ "$(printf '%s\n' "$out" | grep -c 'case.removed')" -eq 3 ] &&
	printf '%s\n' "$out" | grep "$old_number" | grep -q "retention P2Y (synpunkt), closed $(date -d '3 years ago' +%Y-%m-%d)"
	EOF
run "$CIRMCTL" -c "$C" audit verify
check "the audit log verifies" [ "$rc" -eq 0 ]
run "$CIRMCTL" -c "$C" case show "$old_number"
check "case show of a removed case: exit 1" [ "$rc" -eq 1 ]
check "... saying that retention removed it, when, and where to read more" \
	contains "$err" "no case $old_number: retention removed it on $(date +%Y-%m-%d)"
check "... (the audit entry)" contains "$err" "(cirmctl audit list --object $old_number)"
run "$CIRMCTL" -c "$C" case show KS-1999-00001
check "a number never given: no case, as before" [ "$err" = "cirmctl: no case KS-1999-00001" ]

run "$CIRMCTL" -c "$C" case prune
check "a second run removes nothing more" contains "$out" "0 cases removed"

# A restore of a backup older than the removals brings the cases back,
# with their citizens' data: the restore says so, and the next prune
# removes them again.
run "$CIRMCTL" -c "$C" restore --yes "$T/before-prune"
check "restore of a backup from before the removals: exit 0" [ "$rc" -eq 0 ]
check "... says the removed cases are back, and what removes them" contains "$out" \
	"3 cases that retention had removed since the backup are back, with their citizens' data; 'cirmctl case prune --dry-run' shows which go again now"
run "$CIRMCTL" -c "$C" case prune
check "... and the next prune removes them again" contains "$out" "3 cases removed"
# A workflow id longer than its column is listed whole.
recent=$(case_id Recent)
was=$(sql "SELECT workflow || '|' || closed_at FROM cases WHERE id = $recent")
sql "UPDATE cases SET workflow = 'bygglov-och-rivningslov-2026', closed_at = $(date -d '3 days ago' +%s) WHERE id = $recent"
retention '*:P1D synpunkt:P2Y'
run "$CIRMCTL" -c "$C" case prune --dry-run
check "dry run: a long workflow id is listed whole" contains "$out" \
	" bygglov-och-rivningslov-2026 closed $(date -d '3 days ago' +%Y-%m-%d), kept P1D"
sql "UPDATE cases SET workflow = '${was%|*}', closed_at = ${was#*|} WHERE id = $recent"
retention synpunkt:P2Y
run "$CIRMCTL" -c "$C" restore "$T/before-prune"
check "a restore without --yes says nothing of it (nothing is restored)" \
	sh -c "! printf '%s' \"\$1\" | grep -q 'are back'" - "$out"

# The last cases with the photo go: so does the photo. "*" is any
# workflow; cirmd's housekeeping does it at its start.
sql "UPDATE outbox SET status = 'sent'"
sql "UPDATE cases SET closed_at = $(date -d '2 days ago' +%s) WHERE closed_at IS NULL"
retention '*:P1D'
housekeeping "$C" "$T/d.log"
check "cirmd removes the cases at its start" [ "$(sql 'SELECT count(*) FROM cases')" -eq 0 ]
check "and logs how many, naming nobody" \
	grep -q "case retention: removed 4 closed cases and 4 citizens no case names; 0 left for now" "$T/d.log"
check "then the photo no message names" [ ! -e "$photo_path" ]
check "cirmd's removals are audited as cirmd's" \
	[ "$(sql "SELECT count(*) FROM audit WHERE action = 'case.removed' AND actor = 'cirmd'")" -eq 4 ]
check "no contact but the case officer is left" \
	[ "$(sql "SELECT group_concat(kind) FROM contact")" = handler ]

# What cirm sent that belongs to no case (here the answers to eva's
# #lista, to her address): outbox_retention (P30D unless set) removes
# it once sent, or failed for good and taken up, longer ago; not what
# waits to be sent, a failure still to be told of, or a case's mail.
lista() {
	printf 'From: eva@kommun.example\nTo: arende@kommun.example\nSubject: lista\nMessage-ID: <l.%s@kommun.example>\n\n#lista\n' \
		"$(date +%s%N)" | "$MAILGATE" -c "$C"
}
for i in 1 2 3 4 5 6; do lista; done
mail gun@example.se Kept
"$CIRMD" -c "$C" --once 2>>"$T/cirmd.log"
set -- $(sql "SELECT id FROM outbox WHERE case_id IS NULL ORDER BY id")
check "six answers to #lista, belonging to no case" [ $# -eq 6 ]
old_sent=$1 young=$2 queued=$3 sending=$4 failed_told=$5 failed_new=$6
ago40=$(date -d '40 days ago' +%s)
ago10=$(date -d '10 days ago' +%s)
sql "UPDATE outbox SET created_at = $ago40"
sql "UPDATE outbox SET status = 'sent', sent_at = $ago40 WHERE id = $old_sent OR case_id IS NOT NULL"
sql "UPDATE outbox SET status = 'sent', sent_at = $ago10 WHERE id = $young"
sql "UPDATE outbox SET status = 'sending' WHERE id = $sending"
sql "UPDATE outbox SET status = 'failed', failure_handled = 1 WHERE id = $failed_told"
sql "UPDATE outbox SET status = 'failed' WHERE id = $failed_new"
caseless() {
	sql "SELECT group_concat(id, ' ') FROM (SELECT id FROM outbox WHERE case_id IS NULL ORDER BY id)"
}
case_rows=$(sql "SELECT count(*) FROM outbox WHERE case_id IS NOT NULL")
check "Kept's mail, sent 40 days ago too" [ "$case_rows" -ge 2 ]
run "$CIRMCTL" -c "$C" case prune --dry-run
check "dry run: exit 0" [ "$rc" -eq 0 ]
check "dry run counts what was sent without a case" \
	contains "$out" "Sent without a case, longer ago than P30D: 2 copies would be removed."
check "dry run removes none of it" [ "$(caseless)" = "$*" ]
run "$CIRMCTL" -c "$C" case prune
check "prune: exit 0" [ "$rc" -eq 0 ]
check "prune says how many it removed" \
	contains "$out" "Sent without a case, longer ago than P30D: 2 copies removed."
check "the old sent one and the old failure told of go; the younger, the queued, the sending and the failure not yet told of stay" \
	[ "$(caseless)" = "$young $queued $sending $failed_new" ]
check "the case's own mail stays" \
	[ "$(sql "SELECT count(*) FROM outbox WHERE case_id IS NOT NULL")" -eq "$case_rows" ]
run "$CIRMCTL" -c "$C" audit list --action outbox.prune
check_all "one audit entry, with the period and the count, naming nobody" <<-'EOF'
	[ "$(sql "SELECT count(*) FROM audit WHERE action = 'outbox.prune'")" -eq 1 ] &&
	[ "$(sql "SELECT coalesce(object, '') || '|' || detail FROM audit WHERE action = 'outbox.prune'")" = "|retention P30D: 2 sent without a case removed" ]
	EOF
run "$CIRMCTL" -c "$C" audit verify
check "the audit log verifies" [ "$rc" -eq 0 ]
run "$CIRMCTL" -c "$C" case prune
check "a second run removes none, and writes no audit entry" \
	[ "$(sql "SELECT count(*) FROM audit WHERE action = 'outbox.prune'")" -eq 1 ]
# cirmd's housekeeping does it too
sql "UPDATE outbox SET sent_at = $ago40 WHERE id = $young"
sql "UPDATE outbox SET failure_handled = 1 WHERE id = $failed_new"
housekeeping "$C" "$T/g.log"
check "cirmd's housekeeping removes them" [ "$(caseless)" = "$queued $sending" ]
check "and logs how many" grep -q "outbox retention: removed 2 copies of mail sent without a case" "$T/g.log"
check "audited as cirmd's" \
	[ "$(sql "SELECT count(*) FROM audit WHERE action = 'outbox.prune' AND actor = 'cirmd'")" -eq 1 ]
# none keeps them
sql "UPDATE outbox SET status = 'sent', sent_at = $ago40 WHERE case_id IS NULL"
printf 'outbox_retention = none\n' >>"$C"
run "$CIRMCTL" -c "$C" case prune
check "outbox_retention = none: it says so" \
	contains "$out" "outbox_retention is none: what was sent without a case is kept."
check "... and keeps them" [ "$(caseless)" = "$queued $sending" ]
sed -i '/^outbox_retention/d' "$C"
printf 'outbox_retention = 30 dagar\n' >>"$C"
run "$CIRMCTL" -c "$C" case prune --dry-run
check "an outbox_retention not in ISO 8601 is a configuration error" [ "$rc" -eq 78 ]
check "... at its line" contains "$err" \
	"cirm.conf:$(wc -l <"$C"): 'outbox_retention' must be none or an ISO 8601 period"
sed -i '/^outbox_retention/d' "$C"

# bad settings
retention synpunkt
run "$CIRMCTL" -c "$C" case prune
check "a workflow without a period is a configuration error" [ "$rc" -eq 78 ]
check "with file:line" contains "$err" "cirm.conf:"
check "and the form" contains "$err" "WORKFLOW:PERIOD"
retention synpunkt:2Y
run "$CIRMCTL" -c "$C" case prune
check "a period not in ISO 8601" [ "$rc" -eq 78 ]
retention 'synpunkt:P2Y synpunkt:P1Y'
run "$CIRMCTL" -c "$C" case prune
check "a workflow named twice" [ "$rc" -eq 78 ]
# P0D would remove every closed case at the next housekeeping
retention 'synpunkt:P2Y *:P0D'
run "$CIRMCTL" -c "$C" case prune --dry-run
check "a period of nothing is a configuration error" [ "$rc" -eq 78 ]
check "... saying what it must be" contains "$err" \
	"must give each workflow a period longer than nothing (none keeps all)"
# A mistyped workflow id is a valid setting, but the cases meant would
# be kept for ever: both programs say so, with the line and the ids.
retention 'synpunkt:P2Y synpunk:P1Y'
line=$(wc -l <"$C")
run "$CIRMCTL" -c "$C" case prune --dry-run
check "a workflow the instance never had: exit 0" [ "$rc" -eq 0 ]
check "... saying so, with file:line and the workflows there are" \
	contains "$err" "cirm.conf:$line: case_retention = synpunkt:P2Y synpunk:P1Y: no workflow synpunk has run on this instance (its workflows: felanmalan, synpunkt), so none of its cases is ever removed"
check "... and only of that one" [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ]
housekeeping "$C" "$T/e.log"
check "cirmd says so when it loads the configuration" \
	grep -q "cirm.conf:$line: case_retention = .*: no workflow synpunk has run on this instance" "$T/e.log"
retention '*:P1Y synpunkt:P2Y'
run "$CIRMCTL" -c "$C" case prune --dry-run
check "the workflows it has, and '*': no warning" [ -z "$err" ]
# The housekeeping off (spool_prune_interval = 0): the retention with
# it, which cirmd says rather than keep every case unseen.
printf 'spool_prune_interval = 0\n' >>"$C"
housekeeping "$C" "$T/f.log" started
check "housekeeping off with a retention set: cirmd says it is not applied" \
	grep -q "cirm.conf:$(wc -l <"$C"): spool_prune_interval = 0: cirmd's housekeeping is off, and with it case_retention, quarantine_retention, maildir_retention and outbox_retention" "$T/f.log"
sed -i '/^spool_prune_interval = 0$/d' "$C"
retention none
run "$CIRMCTL" -c "$C" case prune --now
check "an unknown option" [ "$rc" -eq 64 ]
run "$CIRMCTL" -c "$C" case prune extra
check "a stray argument" [ "$rc" -eq 64 ]

done_testing
