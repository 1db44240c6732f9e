#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A case officer who leaves: cirmctl handler disable and enable. A
# disabled handler keeps the login and the cases assigned, gets no
# notifications (the case's group gets them), and mail from the
# handler's address, signed reply address and all, goes to the
# quarantine with the reason; enabled again, all is as before.
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

# mail FROM TO MESSAGE-ID SUBJECT TEXT: one mail through cirm-mailgate.
mail() {
	printf 'From: %s\nTo: %s\nSubject: %s\nMessage-ID: <%s>\n\n%s\n' \
		"$1" "$2" "$4" "$3" "$5" | "$MAILGATE" -c "$C" ||
		echo "mailgate failed on $3" >&2
}

"$CIRMCTL" init "$I" >/dev/null || exit 99
"$CIRMCTL" -c "$C" handler add eva --email eva@kommun.example \
	--group synpunkter >/dev/null || exit 99
"$CIRMCTL" -c "$C" handler add bo --email bo@kommun.example \
	--group synpunkter >/dev/null || exit 99

run "$CIRMCTL" -c "$C" handler list
check "handler list says both are active" \
	[ "$(printf '%s\n' "$out" | grep -c ' active ')" -eq 2 ]

# A case, taken by eva with her signed reply address.
mail anna@example.se arende@kommun.example a1@example.se Buller "Det bullrar."
run "$CIRMD" -c "$C" --once
check "the group is told of the new case" \
	[ "$(sql "SELECT count(*) FROM outbox WHERE recipient IN ('eva@kommun.example', 'bo@kommun.example')")" -eq 2 ]
rt=$(sql "SELECT headers FROM outbox WHERE recipient = 'eva@kommun.example'" |
	sed -n 's/^Reply-To: *//p' | sed 's/.*<//; s/>.*//' | tr -d '\r')
check "eva's notification has a signed reply address" contains "$rt" "arende+"
mail eva@kommun.example "$rt" e1@kommun.example "Re: Buller" "#ta"
run "$CIRMD" -c "$C" --once
check "eva takes the case" [ "$(sql "SELECT h.login FROM cases c JOIN contact h ON h.id = c.assignee_id")" = eva ]

# bad uses
run "$CIRMCTL" -c "$C" handler disable
check "disable without a login is a usage error" [ "$rc" -eq 64 ]
run "$CIRMCTL" -c "$C" handler disable eva bo
check "disable with two logins is a usage error" [ "$rc" -eq 64 ]
run "$CIRMCTL" -c "$C" handler disable nobody
check "disabling an unknown handler fails" [ "$rc" -eq 1 ]
check "naming the login" contains "$err" "there is no handler nobody"

# eva leaves, her case waiting for the citizen's answer
sql "UPDATE cases SET state = 'vantar-svar'"
run "$CIRMCTL" -c "$C" handler disable eva
sql "UPDATE cases SET state = 'tilldelad'"
check "disable succeeds" [ "$rc" -eq 0 ]
check "and says what it means" contains "$out" "handler eva disabled"
check "naming the open case still assigned, in its state as case list shows it" \
	contains "$out" "-00001  väntar på svar"
check "and where its notifications go" contains "$out" "1 open case is still assigned to eva"
check "the audit log has it" \
	[ "$(sql "SELECT count(*) FROM audit WHERE action = 'handler.disable' AND object = 'eva'")" -eq 1 ]
run "$CIRMCTL" -c "$C" handler disable eva
check "disabling twice is no error" [ "$rc" -eq 0 ]
check "but says so" contains "$out" "disabled already"
check "and is not audited twice" \
	[ "$(sql "SELECT count(*) FROM audit WHERE action = 'handler.disable'")" -eq 1 ]
run "$CIRMCTL" -c "$C" handler list
check "handler list marks eva disabled" contains "$out" "eva@kommun.example          -                   disabled"
run "$CIRMCTL" -c "$C" handler add eva --email eva2@kommun.example
check "the login stays hers" [ "$rc" -eq 1 ]
check "in plain words" contains "$err" "there is a handler eva already"

before=$(sql "SELECT count(*) FROM outbox")
mail anna@example.se arende@kommun.example a2@example.se "SV: Buller [KS-$(date +%Y)-00001]" "Nu igen."
mail eva@kommun.example "$rt" e2@kommun.example "Re: Buller" "Hej Anna, vi tittar på det."
run "$CIRMD" -c "$C" --once
check "the citizen's mail joins the case" \
	[ "$(sql "SELECT count(*) FROM message WHERE case_id = 1 AND direction = 'in'")" -ge 2 ]
check "its notification goes to the group, not to eva" \
	[ "$(sql "SELECT group_concat(recipient) FROM outbox_mail WHERE id > $before AND subject NOT LIKE 'Ditt meddelande har inte%'")" = bo@kommun.example ]
check "eva is told her reply was not carried out, and why" \
	contains "$(sql "SELECT body FROM outbox_mail WHERE id > $before AND recipient = 'eva@kommun.example'")" "avstängd i cirm"
check "eva's reply goes to the quarantine" \
	[ "$(sql "SELECT count(*) FROM quarantine WHERE reason LIKE '%disabled handler%'")" -eq 1 ]
check "nothing of it reaches the citizen" \
	[ "$(sql "SELECT count(*) FROM outbox WHERE recipient = 'anna@example.se' AND id > $before")" -eq 0 ]
check "the cirmd log names the reason" contains "$err" "disabled handler"
mail eva@kommun.example arende@kommun.example e4@kommun.example "Ny fråga" "Hej, en ny fråga."
run "$CIRMD" -c "$C" --once
check "plain mail from her address opens no case" \
	[ "$(sql "SELECT count(*) FROM cases")" -eq 1 ]
check "but goes to the quarantine too" \
	[ "$(sql "SELECT count(*) FROM quarantine WHERE reason LIKE '%disabled handler%'")" -eq 2 ]

run "$CIRMCTL" -c "$C" case list --assignee eva --open
check "case list --assignee eva --open finds her case" \
	[ "$(printf '%s\n' "$out" | grep -c '^KS-')" -eq 1 ]
run "$CIRMCTL" -c "$C" case list --assignee bo
check "bo has none" contains "$out" "(no cases)"
run "$CIRMCTL" -c "$C" case list --assignee evaa
check "a login that is no handler's is an error" [ "$rc" -eq 1 ]
check "naming it" contains "$err" "there is no handler evaa"

# the administrator gives eva's case to bo
n1=$(sql "SELECT number FROM cases WHERE id = 1")
run "$CIRMCTL" -c "$C" case assign "$n1"
check "case assign without a login is a usage error" [ "$rc" -eq 64 ]
run "$CIRMCTL" -c "$C" case assign KS-1999-00001 bo
check "case assign of an unknown case fails" [ "$rc" -eq 1 ]
check "naming it" contains "$err" "no case KS-1999-00001"
run "$CIRMCTL" -c "$C" case assign "$n1" eva
check "a disabled handler cannot be assigned" [ "$rc" -eq 1 ]
check "saying so" contains "$err" "there is no active handler eva"
run "$CIRMCTL" -c "$C" case assign "$n1" nobody
check "nor an unknown one" [ "$rc" -eq 1 ]
before=$(sql "SELECT count(*) FROM outbox")
run "$CIRMCTL" -c "$C" case assign "$(echo "$n1" | tr 'A-Z' 'a-z')" bo
check "case assign succeeds, the number in small letters too" [ "$rc" -eq 0 ]
check "and says so" contains "$out" "$n1: assigned to bo"
check "bo has the case" [ "$(sql "SELECT h.login FROM cases c JOIN contact h ON h.id = c.assignee_id")" = bo ]
check "through the workflow, in its history" \
	[ "$(sql "SELECT count(*) FROM event WHERE case_id = 1 AND kind = 'cmd.assign'")" -eq 1 ]
check "bo is notified, as the workflow says" \
	[ "$(sql "SELECT count(*) FROM outbox WHERE id > $before AND recipient = 'bo@kommun.example'")" -eq 1 ]
check "the audit log has it" \
	[ "$(sql "SELECT count(*) FROM audit WHERE action = 'case.assign' AND object = '$n1' AND detail = 'bo'")" -eq 1 ]
run "$CIRMCTL" -c "$C" audit list --object " $(echo "$n1" | tr 'A-Z' 'a-z')"
check "audit list --object finds it by the number in small letters too" \
	contains "$out" "case.assign         $n1   bo"
run "$CIRMCTL" -c "$C" case list --assignee eva --open
check "eva has no open case left" contains "$out" "(no cases)"
before=$(sql "SELECT count(*) FROM outbox")
run "$CIRMCTL" -c "$C" case assign "$n1" bo
check "assigning to the assignee is no error" [ "$rc" -eq 0 ]
check "but says so" contains "$out" "is assigned to bo already"
check "and notifies nobody again" [ "$(sql "SELECT count(*) FROM outbox")" -eq "$before" ]

# eva comes back
run "$CIRMCTL" -c "$C" handler enable eva
check "enable succeeds" [ "$rc" -eq 0 ]
check "and says so" contains "$out" "handler eva enabled"
check "the audit log has it" \
	[ "$(sql "SELECT count(*) FROM audit WHERE action = 'handler.enable' AND object = 'eva'")" -eq 1 ]
before=$(sql "SELECT count(*) FROM outbox")
mail eva@kommun.example "$rt" e3@kommun.example "Re: Buller" "Hej Anna, vi tittar på det."
run "$CIRMD" -c "$C" --once
check "her reply reaches the citizen again" \
	[ "$(sql "SELECT count(*) FROM outbox WHERE recipient = 'anna@example.se' AND id > $before")" -eq 1 ]
run "$CIRMCTL" -c "$C" handler enable eva
check "enabling an active handler says so" contains "$out" "active already"

# a handler's details change
run "$CIRMCTL" -c "$C" handler set bo
check "handler set without a change is a usage error" [ "$rc" -eq 64 ]
check "... saying what is missing" contains "$err" "nothing to change: give at least one of the options"
run "$CIRMCTL" -c "$C" handler add olle
check "handler add without --email is a usage error" [ "$rc" -eq 64 ]
check "... saying what is missing" contains "$err" "a handler needs a mail address: --email ADDRESS"
run "$CIRMCTL" -c "$C" handler set bo --email 'bo at kommun'
check "a bad address is bad data" [ "$rc" -eq 65 ]
run "$CIRMCTL" -c "$C" handler set bo --add-group ''
check "an empty group name is bad data" [ "$rc" -eq 65 ]
run "$CIRMCTL" -c "$C" handler set bo --name "$(printf 'Bo\nBerg')"
check "a name of two lines is bad data" [ "$rc" -eq 65 ]
run "$CIRMCTL" -c "$C" handler set bo --email EVA@Kommun.Example
check "another's address in capitals is refused too" [ "$rc" -eq 1 ]
run "$CIRMCTL" -c "$C" handler set bo --language fi
check "a bad language is bad data" [ "$rc" -eq 65 ]
run "$CIRMCTL" -c "$C" handler set nobody --name X
check "an unknown handler fails" [ "$rc" -eq 1 ]
check "naming the login" contains "$err" "there is no handler nobody"
run "$CIRMCTL" -c "$C" handler set bo --email eva@kommun.example
check "another's address is refused" [ "$rc" -eq 1 ]
check "in plain words" contains "$err" "the address eva@kommun.example is another handler's already"
run "$CIRMCTL" -c "$C" handler set bo --name "Bo Berg" --remove-group ledning
check "leaving a group one is not in fails" [ "$rc" -eq 1 ]
check "saying so" contains "$err" "bo is not in group ledning"
check "and changes nothing" [ -z "$(sql "SELECT name FROM contact WHERE login = 'bo'")" ]
run "$CIRMCTL" -c "$C" handler set bo --name "Bo Berg" \
	--email bo.berg@kommun.example --language en --add-group ledning \
	--remove-group synpunkter
check "handler set succeeds" [ "$rc" -eq 0 ]
check "and says so" contains "$out" "handler bo changed"
run "$CIRMCTL" -c "$C" handler list
check "the new address, name and group show" \
	contains "$out" "bo.berg@kommun.example      Bo Berg             active                ledning"
check "the old address is gone" \
	[ "$(sql "SELECT count(*) FROM contact_address WHERE address = 'bo@kommun.example'")" -eq 0 ]
check "the language is set" [ "$(sql "SELECT language FROM contact WHERE login = 'bo'")" = en ]
check "the audit log has it" \
	[ "$(sql "SELECT count(*) FROM audit WHERE action = 'handler.set' AND object = 'bo'")" -eq 1 ]
run "$CIRMCTL" -c "$C" handler set bo --email Bo.Berg@Kommun.Example
check "setting the address one has is no error" [ "$rc" -eq 0 ]
check "in any capitals" \
	[ "$(sql "SELECT address FROM contact_address a JOIN contact c ON c.id = a.contact_id WHERE c.login = 'bo'")" = bo.berg@kommun.example ]
run "$CIRMCTL" -c "$C" handler set bo --remove-group ledning
check "leaving a group" [ "$rc" -eq 0 ]
check "that is left with nobody is warned of" contains "$err" "cirmctl: warning: group ledning has no active member now"
check "and so are the handler's open cases" contains "$out" "bo still has 1 open case"

# Staff try cirm from their own address before they are handlers, and so
# become citizens: the address is not taken from the citizen unasked;
# with --take-address it is, and the citizen's case stays.
mail lisa@kommun.example arende@kommun.example k1@kommun.example Test "Ett prov."
run "$CIRMD" -c "$C" --once
lisa_cases=$(sql "SELECT count(*) FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = 'lisa@kommun.example'")
check "lisa's try made a case" [ "$lisa_cases" -eq 1 ]
run "$CIRMCTL" -c "$C" handler add lisa --email Lisa@Kommun.Example --group synpunkter
check "a citizen's address is not taken unasked" [ "$rc" -eq 1 ]
check "saying whose it is and what to do" contains "$err" \
	"the address lisa@kommun.example is a citizen's who wrote in (a try from the handler's own address?): give --take-address to make it the handler's; the citizen's cases stay, without the address"
check "and nothing is added" [ "$(sql "SELECT count(*) FROM contact WHERE login = 'lisa'")" -eq 0 ]
run "$CIRMCTL" -c "$C" handler add lisa --email lisa@kommun.example --group synpunkter --take-address
check "with --take-address the handler is added" [ "$rc" -eq 0 ]
check "told what became of the citizen's" contains "$out" \
	"the address lisa@kommun.example was a citizen's: their cases stay, without it"
check "the address is the handler's" \
	[ "$(sql "SELECT c.login FROM contact c JOIN contact_address a ON a.contact_id = c.id WHERE a.address = 'lisa@kommun.example'")" = lisa ]
check "the try's case stays, with its citizen" \
	[ "$(sql "SELECT count(*) FROM cases c JOIN contact p ON p.id = c.citizen_id WHERE p.kind = 'citizen' AND c.subject = 'Test'")" -eq 1 ]
check "the audit log says so" \
	[ "$(sql "SELECT detail FROM audit WHERE action = 'handler.add' AND object = 'lisa'")" = "address taken from a citizen" ]
mail lisa@kommun.example arende@kommun.example k2@kommun.example x "#lista"
run "$CIRMD" -c "$C" --once
check "lisa's mail is now a handler's commands" \
	[ "$(sql "SELECT count(*) FROM outbox WHERE recipient = 'lisa@kommun.example' AND subject = 'Dina kommandon'")" -eq 1 ]
# #borta and #tillbaka are taken only at her own signed address, which
# the answer's Reply-To gives: a From alone is anyone's to write
own=$(sql "SELECT headers FROM outbox WHERE recipient = 'lisa@kommun.example' AND subject = 'Dina kommandon'" |
	sed -n 's/^Reply-To: *//p' | tr -d '\r')
check "the answer's Reply-To is her own address" sh -c 'printf "%s\n" "$1" | grep -q "^arende+h[0-9]*\.[0-9a-f]\{16\}@kommun.example$"' - "$own"
leave=$(date -d '+5 days' +%F)
lisa_away() {
	sql "SELECT count(*) FROM contact WHERE login = 'lisa' AND away_until IS NOT NULL"
}
mail lisa@kommun.example arende@kommun.example k3@kommun.example x "#borta $leave"
run "$CIRMD" -c "$C" --once
check "#borta to the case address is not done" \
	[ "$(lisa_away)" -eq 0 ]
check "... and she is told where to write it" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = 'lisa@kommun.example' AND body LIKE '%utförs inte: #borta och #tillbaka tar%' AND body LIKE '%adress, $own, så att%'")" -eq 1 ]
mail lisa@kommun.example "$own" k4@kommun.example "Re: Dina kommandon" "#borta $leave"
run "$CIRMD" -c "$C" --once
check "#borta to her own address is done" \
	[ "$(lisa_away)" -eq 1 ]
mail bo@kommun.example "$own" k5@kommun.example "Re: Dina kommandon" "#tillbaka"
run "$CIRMD" -c "$C" --once
check "a colleague's mail to her own address is set aside" \
	[ "$(sql "SELECT count(*) FROM quarantine WHERE reason LIKE 'reply to a handler''s signed address from another sender%'")" -eq 1 ]
check "... and she is still away" \
	[ "$(lisa_away)" -eq 1 ]
mail lisa@kommun.example "$own" k6@kommun.example "Re: Dina kommandon" "#tillbaka"
run "$CIRMD" -c "$C" --once
check "#tillbaka to her own address is done" \
	[ "$(lisa_away)" -eq 0 ]
# The way the README gives: she answers her morning digest, whose
# Reply-To is her own address. The digest goes out on business days
# only, so cirmd runs on the days to come (faketime) until one is.
if command -v faketime >/dev/null 2>&1; then
	printf 'handler_digest = 07:30\n' >>"$C"
	d=1
	while [ $d -le 7 ] && [ "$(sql "SELECT count(*) FROM outbox WHERE recipient = 'lisa@kommun.example' AND subject LIKE 'Dina ärenden %'")" -eq 0 ]; do
		# (libfaketime is preloaded ahead of the sanitizers' runtime)
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
			faketime "$(date -d "+$d days" +%F) 08:00:00" "$CIRMD" -c "$C" --once 2>>"$T/faketime.err"
		d=$((d + 1))
	done
	sed -i '/^handler_digest/d' "$C"
	digest_rt=$(sql "SELECT headers FROM outbox WHERE recipient = 'lisa@kommun.example' AND subject LIKE 'Dina ärenden %'" |
		sed -n 's/^Reply-To: *//p' | tr -d '\r')
	check "her digest's Reply-To is her own address" [ "x$digest_rt" = "x$own" ] ||
		sed 's/^/# /' "$T/faketime.err" | tail -5
	check "... and says to answer it with #borta" \
		[ "$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = 'lisa@kommun.example' AND subject LIKE 'Dina ärenden %' AND body LIKE '%#borta ÅÅÅÅ-MM-DD%'")" -eq 1 ]
	mail lisa@kommun.example "$digest_rt" k7@kommun.example "Re: Dina ärenden" "#borta $leave"
	run "$CIRMD" -c "$C" --once
	check "#borta in a reply to the digest is done" \
		[ "$(lisa_away)" -eq 1 ]
	mail lisa@kommun.example "$digest_rt" k8@kommun.example "Re: Dina ärenden" "#tillbaka"
	run "$CIRMD" -c "$C" --once
elif [ -n "${CI:-}" ]; then
	not_ok "the digest's Reply-To: faketime cannot run under CI"
else
	ok "the digest's Reply-To # SKIP faketime not installed"
fi
# Her own address shown, and replaced as a leaked password is: the old
# one takes nothing, and she is told the new one when she writes to it
run "$CIRMCTL" -c "$C" handler address lisa
check "handler address succeeds" [ "$rc" -eq 0 ]
check "... showing her own address" [ "x$out" = "x$own" ]
run "$CIRMCTL" -c "$C" handler address nobody
check "handler address of nobody fails" [ "$rc" -eq 1 ]
check "... saying so" contains "$err" "there is no handler nobody"
run "$CIRMCTL" -c "$C" handler address
check "handler address without a login is a usage error" [ "$rc" -eq 64 ]
run "$CIRMCTL" -c "$C" handler set lisa --new-address
check "handler set --new-address succeeds" [ "$rc" -eq 0 ]
new_own=$(printf '%s\n' "$out" | tail -1)
check "... and gives the new address" sh -c 'printf "%s\n" "$1" | grep -q "^arende+h[0-9]*-1\.[0-9a-f]\{16\}@kommun.example$"' - "$new_own"
run "$CIRMCTL" -c "$C" handler address lisa
check "... which handler address shows" [ "x$out" = "x$new_own" ]
check "... audited" \
	[ "$(sql "SELECT detail FROM audit WHERE action = 'handler.set' AND object = 'lisa' ORDER BY id DESC LIMIT 1")" = own-address ]
# the key read first: with none to sign the new one, the old one stays
grep -v '^key_file' "$C" >"$(dirname "$C")/nokey.conf"
echo "key_file = $T/missing.key" >>"$(dirname "$C")/nokey.conf"
run "$CIRMCTL" -c "$(dirname "$C")/nokey.conf" handler set lisa --new-address
check "handler set --new-address without the key fails" [ "$rc" -eq 1 ]
check "... saying so" contains "$err" "missing.key"
check "... and her address is as it was" \
	[ "$(sql "SELECT address_generation FROM contact WHERE login = 'lisa'")" -eq 1 ]
rm -f "$(dirname "$C")/nokey.conf"
run "$CIRMCTL" -c "$C" handler set nobody --new-address
check "handler set --new-address of nobody fails" [ "$rc" -eq 1 ]
check "... saying so" contains "$err" "there is no handler nobody"
mail lisa@kommun.example "$own" k9@kommun.example "Re: Dina kommandon" "#borta $leave"
run "$CIRMD" -c "$C" --once
check "#borta to her old address is not done" [ "$(lisa_away)" -eq 0 ]
check "... it is set aside" \
	[ "$(sql "SELECT count(*) FROM quarantine WHERE reason LIKE 'mail to a handler''s own address that was replaced%'")" -eq 1 ]
check "... and she is told the new one" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = 'lisa@kommun.example' AND body LIKE '%$new_own%' AND headers LIKE '%Reply-To: $new_own%'")" -eq 1 ]
mail lisa@kommun.example "$new_own" k10@kommun.example "Re: Dina kommandon" "#borta $leave"
run "$CIRMD" -c "$C" --once
check "#borta to her new address is done" [ "$(lisa_away)" -eq 1 ]
mail lisa@kommun.example "$new_own" k11@kommun.example "Re: Dina kommandon" "#tillbaka"
run "$CIRMD" -c "$C" --once
check "... and #tillbaka" [ "$(lisa_away)" -eq 0 ]
run "$CIRMCTL" -c "$C" handler set bo --email lisa@kommun.example --take-address
check "--take-address never takes a handler's address" [ "$rc" -eq 1 ]
check "... saying so" contains "$err" "is another handler's already"
run "$CIRMCTL" -c "$C" handler set bo --take-address --name Bo
check "--take-address without --email is a usage error" [ "$rc" -eq 64 ]
check "... saying so" contains "$err" "--take-address goes with --email ADDRESS"

# cirmd, a gateway or another cirmctl holds the database for longer than
# busy_timeout: cirmctl waits that long, then says so and what to do,
# and changes nothing.
printf 'busy_timeout = 300\n' >>"$C"
check "the lock is held" hold_write_lock "$I/cirm.db"
run "$CIRMCTL" -c "$C" handler add kim --email kim@kommun.example
check "a busy database: the command fails" [ "$rc" -eq 1 ]
# (the holder here is what an administrator may well have left open)
check "saying who may hold it and what to do" contains "$err" "the database is locked: another process (cirmd, a gateway, cirmctl, an sqlite3 shell left open) held it for longer than busy_timeout: try again"
check "in one line" [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ]
# case assign loads the workflows first (one transaction each): it fails
# the same way, and (under the sanitizers) leaks none of them
run "$CIRMCTL" -c "$C" case assign "$n1" eva
check "case assign on a busy database fails cleanly" [ "$rc" -eq 1 ]
check "... saying why" contains "$err" "the database is locked"
check "... and nothing else" sh -c "! printf '%s' \"\$1\" | grep -q -i 'leak\|sanitizer'" - "$err"
release_write_lock ROLLBACK
check "and nothing was added" [ "$(sql "SELECT count(*) FROM contact WHERE login = 'kim'")" -eq 0 ]
run "$CIRMCTL" -c "$C" handler add kim --email kim@kommun.example
check "once the lock is gone, it works" [ "$rc" -eq 0 ]
check "... without a group, without a warning" [ "$out" = "handler kim added" ]
# kim is in no group: given a case, kim may use only the commands open
# to every case officer; the administrator is warned
run "$CIRMCTL" -c "$C" case assign "$n1" kim
check "case assign to a handler with no role in the workflow: done" [ "$rc" -eq 0 ]
check "... with a warning: why, which groups the roles are, how to add kim" contains "$err" \
	"warning: kim has no role in workflow synpunkt, so of its commands kim may use only those open to every case officer; its roles are the groups synpunkter, ledning (cirmctl handler set kim --add-group GROUP)"
check "... the case is kim's" \
	[ "$(sql "SELECT h.login FROM cases c JOIN contact h ON h.id = c.assignee_id WHERE c.number = '$n1'")" = kim ]
run "$CIRMCTL" -c "$C" case assign "$n1" lisa
check "to lisa, who has a role: no warning" [ "$rc" -eq 0 -a -z "$err" ]
# A closed case is refused, to its own assignee too (not "assigned to
# lisa already", status 0, as if it could still be worked on).
sql "UPDATE cases SET closed_at = strftime('%s','now') WHERE number = '$n1'"
run "$CIRMCTL" -c "$C" case assign "$n1" lisa
check "case assign of a closed case to its assignee is refused" [ "$rc" -eq 1 ]
check "... saying it is closed" contains "$err" "case $n1 is closed"
sql "UPDATE cases SET closed_at = NULL WHERE number = '$n1'"

# A group is made when first named: one the workflows spell otherwise
# is a group no case reaches, and its member is told of none.
run "$CIRMCTL" -c "$C" handler add cia --email cia@kommun.example \
	--group Synpunkter --group ledning
check "a group no workflow names: the handler is added" [ "$rc" -eq 0 ]
check "... with a warning, and the groups the workflows name" contains "$err" \
	"/workflows names group Synpunkter, so no case reaches it (they name driftledning, gata-park, gatubelysning, kundtjanst, ledning, synpunkter): is it misspelt?"
check "... for that group alone" [ "$(printf '%s\n' "$err" | grep -c warning)" -eq 1 ]
check "... on standard error, the added handler alone on standard output" \
	[ "$out" = "handler cia added" ]
run "$CIRMCTL" -c "$C" handler set cia --add-group gatbelysning
check "handler set warns too" contains "$err" "names group gatbelysning, so no case reaches it"
run "$CIRMCTL" -c "$C" handler set cia --remove-group gatbelysning
check "leaving it, left empty: no warning of roles, which none has" [ "x$err" = x ]
run "$CIRMCTL" -c "$C" handler set cia --add-group synpunkter --remove-group Synpunkter
check "... and not of a group a workflow names" contains "$out" "handler cia changed"
check "... (no such warning)" sh -c '! printf "%s" "$1" | grep -q "no workflow"' - "$err"
# Joining a group one is in already changes nothing, as leaving one one
# is not in: refused, and the audit log does not say it changed.
before=$(sql "SELECT count(*) FROM audit WHERE action = 'handler.set'")
run "$CIRMCTL" -c "$C" handler set cia --add-group ledning --name "Cia Ek"
check "a group the handler is in already: refused" [ "$rc" -eq 1 ]
check "... saying so" contains "$err" "cia is in group ledning already"
check_all "... nothing changed, nothing audited" <<-'EOF'
	[ "$(sql "SELECT count(*) FROM audit WHERE action = 'handler.set'")" -eq "$before" ] &&
	[ "$(sql "SELECT coalesce(name, '') FROM contact WHERE login = 'cia'")" != "Cia Ek" ]
EOF
run "$CIRMCTL" -c "$C" handler set cia --add-group kundtjanst --add-group kundtjanst
check "a group named twice: joined once" [ "$rc" -eq 0 ]

# A domain with å, ä or ö has two forms: fia@håbo.se, as typed, and
# fia@xn--hbo-ula.se, as mail carries it. cirm keeps the second, where
# it sends and what the handler's replies come from.
run "$CIRMCTL" -c "$C" handler add fia --email Fia@Håbo.se --group synpunkter
check "a domain with å: the handler is added" [ "$rc" -eq 0 ]
check "... with the address as mail carries it" \
	[ "$(sql "SELECT address FROM contact_address a JOIN contact c ON c.id = a.contact_id WHERE c.login = 'fia'")" = fia@xn--hbo-ula.se ]
run "$CIRMCTL" -c "$C" handler add fib --email fia@xn--hbo-ula.se
check "the other form is hers already" [ "$rc" -eq 1 ]
run "$CIRMCTL" -c "$C" handler add jan --email jån@kommun.example
check "å before the @: refused" [ "$rc" -eq 65 ]
check "... saying why" contains "$err" "cirm cannot send mail to it"
mail anna@example.se arende@kommun.example a9@example.se Cykelstället "Det är trasigt."
run "$CIRMD" -c "$C" --once
rt=$(sql "SELECT headers FROM outbox WHERE recipient = 'fia@xn--hbo-ula.se'" |
	sed -n 's/^Reply-To: *//p' | sed 's/.*<//; s/>.*//' | tr -d '\r')
check "fia is told of the new case" contains "$rt" "arende+"
quarantined=$(sql "SELECT count(*) FROM quarantine")
mail fia@xn--hbo-ula.se "$rt" f1@xn--hbo-ula.se "Re: Cykelstället" "#ta"
run "$CIRMD" -c "$C" --once
check "her reply from the xn-- form is hers: she takes the case" \
	[ "$(sql "SELECT h.login FROM cases c JOIN contact h ON h.id = c.assignee_id WHERE c.subject = 'Cykelstället'")" = fia ]
mail "Fia <fia@HÅBO.se>" "$rt" f2@xn--hbo-ula.se "Re: Cykelstället" "#notering
Ringt upp."
run "$CIRMD" -c "$C" --once
check "... and so is one whose From has the domain in UTF-8" \
	[ "$(sql "SELECT count(*) FROM quarantine")" -eq "$quarantined" ]

# --- away: cirmctl handler away and back, as #borta and #tillbaka ------
"$CIRMCTL" -c "$C" handler enable eva >/dev/null 2>&1
run "$CIRMCTL" -c "$C" handler away eva
check "away without a day is a usage error" [ "$rc" -eq 64 ]
run "$CIRMCTL" -c "$C" handler away eva fredag
check "... and so is a word that is no date" [ "$rc" -eq 64 ]
check "... said so" contains "$err" "fredag is not a date YYYY-MM-DD (or D/M)"
run "$CIRMCTL" -c "$C" handler away eva 2026-02-30
check "a day the calendar has not is refused" [ "$rc" -eq 65 ]
check "... said so" contains "$err" "there is no day 2026-02-30"
run "$CIRMCTL" -c "$C" handler away eva 2020-01-01
check "a day past is refused" [ "$rc" -eq 65 ]
run "$CIRMCTL" -c "$C" handler away eva "$(date -d '+800 days' +%F)"
check "... and one more than two years ahead" [ "$rc" -eq 65 ]
check "... said so" contains "$err" "is more than two years ahead"
# a parental leave: more than the year #borta takes
run "$CIRMCTL" -c "$C" handler away eva "$(date -d '+500 days' +%F)"
check "a leave of more than a year, by the administrator" [ "$rc" -eq 0 ]
day=$(date -d '+3 days' +%F)
run "$CIRMCTL" -c "$C" handler away eva "$(date -d '+3 days' +%-d/%-m)"
check "away until a day, written D/M" [ "$rc" -eq 0 ]
check "... says what it means" contains "$out" "handler eva is away until $day inclusive"
run "$CIRMCTL" -c "$C" handler list
check "handler list shows eva away, to when" sh -c "printf '%s\n' \"\$1\" | grep -q '^eva .* away to $day '" - "$out"
check "... audited" [ "$(sql "SELECT count(*) FROM audit WHERE action = 'handler.away' AND object = 'eva' AND detail = '$day'")" -eq 1 ]
before=$(sql "SELECT count(*) FROM outbox WHERE recipient = 'eva@kommun.example'")
mail anna@example.se arende@kommun.example away1@example.se "Re: Buller" "Det bullrar igen."
run "$CIRMD" -c "$C" --once
check "a new case is not told to eva, who is away" \
	[ "$(sql "SELECT count(*) FROM outbox WHERE recipient = 'eva@kommun.example'")" -eq "$before" ]
check "... but to the others of the group" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE recipient LIKE '%@kommun.example' AND recipient <> 'eva@kommun.example' AND body LIKE '%Det bullrar igen.%'")" -ge 1 ]
n_open=$(sql "SELECT number FROM cases WHERE closed_at IS NULL ORDER BY id DESC LIMIT 1")
run "$CIRMCTL" -c "$C" case assign "$n_open" eva
check "cirmctl case assign to eva, away, says until when" contains "$err" "handler eva is away up to and including $day"
run "$CIRMCTL" -c "$C" handler back eva
check "back" contains "$out" "handler eva is back"
run "$CIRMCTL" -c "$C" handler back eva
check "... once" contains "$out" "handler eva is not away"

# an officer the notification cannot reach (no mail address, as a
# database edited by hand may have): case assign does not say "notified"
# alone
bo_addr=$(sql "SELECT address FROM contact_address WHERE contact_id = (SELECT id FROM contact WHERE login = 'bo')")
sql "DELETE FROM contact_address WHERE contact_id = (SELECT id FROM contact WHERE login = 'bo')"
run "$CIRMCTL" -c "$C" case assign "$n_open" bo
check_all "case assign to an officer no notification reaches warns" <<-'EOF'
	[ "$rc" -eq 0 ]
	contains "$out" "$n_open: assigned to bo"
	contains "$err" "warning: the workflow skipped an action, as nobody is there for it: assignee: reached nobody: the case officer has no mail address"
	EOF
sql "INSERT INTO contact_address (contact_id, kind, address, created_at) SELECT id, 'email', '$bo_addr', 0 FROM contact WHERE login = 'bo'"

# Addresses and logins are shown whole, however long: two addresses
# that differ only at their end (one domain mistyped) must not show
# alike, and the columns after them stay in line.
run "$CIRMCTL" -c "$C" handler add anna.karin.svensson.lundgren \
	--email anna-karin.svensson@miljoforvaltningen.kommun.example \
	--name "Anna-Karin Svensson Lundgren"
check "a long login and address: added" [ "$rc" -eq 0 ]
run "$CIRMCTL" -c "$C" handler add akl \
	--email anna-karin.svensson@miljoforvaltningen.kommun.exampel
run "$CIRMCTL" -c "$C" handler list
check "handler list shows the long login and address whole" contains "$out" \
	"anna.karin.svensson.lundgren anna-karin.svensson@miljoforvaltningen.kommun.example Anna-Karin Svensson Lundgren "
check "... and the mistyped one, told apart" contains "$out" \
	"anna-karin.svensson@miljoforvaltningen.kommun.exampel "
check "... with STATUS where its heading is" [ \
	"$(printf '%s\n' "$out" | sed -n 1p | awk '{ print index($0, "STATUS") }')" = \
	"$(printf '%s\n' "$out" | grep '^akl ' | awk '{ print index($0, "active") }')" ]

done_testing
