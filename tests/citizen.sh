#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# cirmctl citizen extract: everything cirm holds about a citizen, by
# e-mail address or phone number, for a register extract; their files
# copied out; a case they only joined shows only what they wrote;
# every extract audited; bad input refused.
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE=
unset CIRM_CONF

command -v sqlite3 >/dev/null || skip_all "sqlite3 command-line tool not installed (apt-get install sqlite3)"

I=$T/inst
C=$I/cirm.conf
"$CIRMCTL" init "$I" >/dev/null || exit 99
"$CIRMCTL" -c "$C" handler add eva --email eva@kommun.example \
	--group synpunkter >/dev/null || exit 99

sql() {
	sqlite3 -cmd '.timeout 5000' "$I/cirm.db" "$1"
}

# queue CHANNEL FILE: into the inbox, as the gateways do
queue() {
	sql "INSERT INTO inbox (channel, source, received_at, raw) VALUES ('$1', 'test', strftime('%s','now'), readfile('$2'))"
}

cat >"$T/john.eml" <<'EOM'
From: John Smith <John@Example.com>
To: arende@kommun.example
Subject: Broken street light
Message-ID: <john1@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain; charset=utf-8

Hello, the street light outside Björkvägen 12 has been broken for a week.
--b
Content-Type: text/plain; name="../notes.txt"
Content-Disposition: attachment; filename="../notes.txt"

The lamp post is number 4711.
--b--
EOM
cat >"$T/anna.eml" <<'EOM'
From: anna@example.se
To: arende@kommun.example
Subject: Buller
Message-ID: <anna1@example.se>

Det bullrar från bygget hela natten, Anna på Storgatan 1.
EOM
cat >"$T/john2.eml" <<'EOM'
From: john@example.com
To: arende@kommun.example
Subject: Re: Buller
Message-ID: <john2@example.com>
In-Reply-To: <anna1@example.se>

I hear the noise too.
EOM
printf 'From: 46707770001\n\nHej, det är is på trottoaren vid skolan och jag har ramlat.' >"$T/sms"
cat >"$T/are.eml" <<'EOM'
From: Siv <siv@xn--re-xia.se>
To: arende@kommun.example
Subject: Skidbacken
Message-ID: <siv1@xn--re-xia.se>

Liften står still.
EOM
queue email "$T/are.eml"
queue email "$T/john.eml"
queue email "$T/anna.eml"
queue sms "$T/sms"
"$CIRMD" -c "$C" --once 2>/dev/null || exit 99
queue email "$T/john2.eml"
"$CIRMD" -c "$C" --once 2>/dev/null || exit 99
john_case=$(sql "SELECT number FROM cases WHERE subject = 'Broken street light'")
anna_case=$(sql "SELECT number FROM cases WHERE subject = 'Buller'")
[ -n "$john_case" ] && [ -n "$anna_case" ] || exit 99

run "$CIRMCTL" -c "$C" citizen extract JOHN@example.COM --files "$T/files"
check "extract by e-mail address, in any case" [ "$rc" -eq 0 ]
check "... who the citizen is to cirm" contains "$out" "email: john@example.com"
check "... the first address on the line of its label, as the extract is read" \
	sh -c "printf '%s\n' \"\$1\" | grep -qx 'Addresses:    email: john@example.com'" - "$out"
check "... the language they read" contains "$out" "Language:     en"
check "... their case" contains "$out" "== $john_case"
check "... what they wrote" contains "$out" "has been broken for a week."
check "... what was sent to them" contains "$out" "We have received your message [$john_case]"
check "... the time it came, written out in English" \
	sh -c 'printf "%s" "$1" | grep -Eq "We received it on$" &&
	       printf "%s" "$1" | grep -Eq "^ *\| [0-9]{1,2} [A-Z][a-z]+ 20[0-9]{2} at [0-2][0-9]:[0-5][0-9] and gave it"' - "$out"
check "... not the notifications to handlers" sh -c '! printf "%s" "$1" | grep -q "Nytt ärende"' - "$out"
check "a case they joined shows what they wrote there" contains "$out" "I hear the noise too."
check "... marked as such" contains "$out" "== $anna_case (a party to it: only what they wrote)"
check "... and nothing another citizen wrote" sh -c '! printf "%s" "$1" | grep -q "bullrar"' - "$out"
check "... nor the other case's citizen" sh -c '! printf "%s" "$1" | grep -q "anna@"' - "$out"
f=$(ls "$T/files")
check "their attachment is copied, without its path" [ "$f" = "$john_case-$(printf 'The lamp post is number 4711.' | sha256sum | cut -c1-8)-_._notes.txt" ]
check "... whole" [ "$(cat "$T/files/$f")" = "The lamp post is number 4711." ]
check "... readable by its owner only" [ "$(stat -c %a "$T/files/$f")" = 600 ]
check "... and listed" contains "$out" "1 attachment copied into $T/files:"
# A state whose id is no word to the citizen ("lost" for "löst"): the
# extract, which goes to them, has the label alone; case show has both.
was=$(sql "SELECT state FROM cases WHERE number = '$john_case'")
sql "UPDATE cases SET state = 'lost' WHERE number = '$john_case'"
run "$CIRMCTL" -c "$C" citizen extract john@example.com
check "the extract shows a state by its label alone" \
	sh -c "printf '%s\n' \"\$1\" | grep -qx 'State:        löst'" - "$out"
run "$CIRMCTL" -c "$C" case show "$john_case"
check "... case show with the id beside it" contains "$out" "löst (lost)"
sql "UPDATE cases SET state = '$was' WHERE number = '$john_case'"
run "$CIRMCTL" -c "$C" citizen extract " <john@example.com> "
check "an address as copied from a mail, with blanks and brackets" [ "$rc" -eq 0 ]
check "... finds the same citizen" contains "$out" "$john_case"
# A domain with å, ä or ö, as mail carried it (xn--) or as typed.
run "$CIRMCTL" -c "$C" citizen extract siv@Åre.se
check "an address typed with å finds the citizen whose mail had xn--" [ "$rc" -eq 0 ]
check "... and her case" contains "$out" "Skidbacken"
run "$CIRMCTL" -c "$C" audit list --action citizen.extract
check "the extract is audited, naming no address" contains "$out" "contact "
check "... not the address" sh -c '! printf "%s" "$1" | grep -q "john@"' - "$out"

audits=$("$CIRMCTL" -c "$C" audit list --action citizen.extract | wc -l)
run "$CIRMCTL" -c "$C" citizen extract john@example.com --files "$T/files"
check "a file already in the directory is not overwritten" [ "$rc" -eq 1 ]
check "... and the administrator is told what to do" contains "$err" \
	"$T/files is not empty (an earlier extract's?): give --files a new or empty directory"
check "... before the extract is printed" [ -z "$out" ]
check "... or audited" [ "$("$CIRMCTL" -c "$C" audit list --action citizen.extract | wc -l)" -eq "$audits" ]

# --files naming a file, not a directory: refused, never a crash
: >"$T/plainfile"
run "$CIRMCTL" -c "$C" citizen extract john@example.com --files "$T/plainfile"
check "--files naming a file is an error, not a crash" [ "$rc" -eq 1 ]
check "... which says why" contains "$err" "$T/plainfile: Not a directory"
check "... before the extract is printed" [ -z "$out" ]

# By phone number as people write it, in full (it is for the citizen).
printf 'From: 46707770001\n\nSTOPP' >"$T/stop"
queue sms "$T/stop"
"$CIRMD" -c "$C" --once 2>/dev/null || exit 99
run "$CIRMCTL" -c "$C" citizen extract "070-777 00 01"
check "extract by a national phone number" [ "$rc" -eq 0 ]
check "... the number in full" contains "$out" "phone: +46707770001"
check "... that they said STOP, with the word and when" contains "$out" "(has asked for no SMS: STOPP, 20"
check "... and the confirmation they were sent, which is in no case" contains "$out" "Sent to them outside the cases' messages"
check "... its text" contains "$out" "$(sql "SELECT CAST(body AS TEXT) FROM outbox WHERE case_id IS NULL AND recipient = '+46707770001'" | head -1)"
check "... once" [ "$(printf '%s\n' "$out" | grep -c ' sms .*+46707770001$')" -eq 1 ]
check "... what they wrote" contains "$out" "is på trottoaren"
check "... in the language they wrote in" contains "$out" "Language:     sv"

# A number that only ever said STOP is no contact, but cirm keeps that
# it did and the confirmation it sent: not "nothing".
printf 'From: 46701112233\n\nSTOP' >"$T/stop2"
queue sms "$T/stop2"
"$CIRMD" -c "$C" --once 2>/dev/null || exit 99
run "$CIRMCTL" -c "$C" citizen extract "070-111 22 33"
check_all "a number known only from its STOP: the opt-out and its confirmation" <<-'EOF'
	[ "$rc" -eq 0 ] && contains "$out" "Numbers that asked for no SMS" && \
	contains "$out" "+46701112233  STOP  20" && \
	contains "$out" "Sent to them outside the cases' messages" && ! contains "$out" "Name:" 2>/dev/null
EOF
check "... audited by what was read, not by the number" \
	[ "$(sql "SELECT count(*) FROM audit WHERE action = 'citizen.extract' AND object LIKE 'sms_optout, outbox %' AND object NOT LIKE '%4670%'")" -eq 1 ]
run "$CIRMCTL" -c "$C" citizen extract "070-111 22 33" +46701112233
check_all "... named twice, in two forms: one extract, not \"nothing\"" <<-'EOF'
	[ "$rc" -eq 0 ] && [ "$(printf '%s\n' "$out" | grep -c '^  +46701112233  STOP')" -eq 1 ]
EOF
sql "DELETE FROM outbox WHERE recipient = '+46701112233'"
sql "DELETE FROM sms_optout WHERE number = '+46701112233'"
run "$CIRMCTL" -c "$C" citizen extract "070-111 22 33"
check "once both are gone, nothing" contains "$err" "cirm holds nothing about"

# Two ways to the same person, one extract; the same contact once.
run "$CIRMCTL" -c "$C" citizen extract john@example.com +46707770001 john@example.com
check "several addresses at once" [ "$rc" -eq 0 ]
check "... the case by mail" contains "$out" "$john_case"
check "... and the one by SMS" contains "$out" "is på trottoaren"
check "... each contact once" [ "$(printf '%s\n' "$out" | grep -c '^Name:')" -eq 2 ]

# Mail set aside before it made any case (a flood, an unreadable mail)
# is theirs too: the extract shows it, and does not say cirm holds
# nothing. An SMS by its sender's number, as networks give it.
sql "INSERT INTO quarantine (channel, source, received_at, quarantined_at, reason, raw) VALUES ('email', 'test', 1796288400, 1796288400, 'more than 20 new cases from this sender in an hour', CAST('From: Fredrik Ek <Fredrik@Evil.example>' || char(10) || 'Subject: Igen' || char(10) || char(10) || 'Ring mig på 070-123 45 67.' || char(10) AS BLOB))"
fq=$(sql "SELECT max(id) FROM quarantine")
sql "INSERT INTO quarantine (channel, source, received_at, quarantined_at, reason, raw) VALUES ('sms', 'test', 1796288400, 1796288400, 'the text is not UTF-8', CAST('From: 46709998877' || char(10) || char(10) || 'Hallå där' AS BLOB))"
sq=$(sql "SELECT max(id) FROM quarantine")
# and one someone else sent, which must not show
sql "INSERT INTO quarantine (channel, source, received_at, quarantined_at, reason, raw) VALUES ('email', 'test', 1796288400, 1796288400, 'flood', CAST('From: other@example.se' || char(10) || char(10) || 'Annat.' || char(10) AS BLOB))"
run "$CIRMCTL" -c "$C" citizen extract fredrik@evil.example
check_all "an address known only from the quarantine: its mail is in the extract" <<-'EOF'
	[ "$rc" -eq 0 ] && contains "$out" "set aside in the quarantine" && \
	contains "$out" "Ring mig på 070-123 45 67." && \
	contains "$out" "more than 20 new cases from this sender" && \
	! contains "$out" "Annat." 2>/dev/null && ! contains "$out" "Hallå" 2>/dev/null
EOF
check "... and the audit log names the quarantined message read" \
	[ "$(sql "SELECT count(*) FROM audit WHERE action = 'citizen.extract' AND object = 'quarantine $fq'")" -eq 1 ]
run "$CIRMCTL" -c "$C" citizen extract "070-999 88 77"
check_all "an SMS in the quarantine, by its sender's number" <<-'EOF'
	[ "$rc" -eq 0 ] && contains "$out" "Hallå där" && ! contains "$out" "Ring mig" 2>/dev/null
EOF
sql "UPDATE quarantine SET discarded_at = 1796288500, raw = zeroblob(0) WHERE id = $sq"
run "$CIRMCTL" -c "$C" citizen extract "070-999 88 77"
check "a discarded one holds nothing any more" contains "$err" "cirm holds nothing about"

# Mail quarantined because cirm refuses to read it whole (here more
# MIME parts than mail_max_parts) is theirs as well: its sender is read
# from its header, so the extract names it, and quarantine show says
# whom it is from.
{
	printf 'From: Greta Berg <greta@example.se>\nSubject: Bilder\n'
	printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n'
	i=0
	while [ $i -lt 205 ]; do
		printf -- '--b\nContent-Type: text/plain\n\nDel %d\n' $i
		i=$((i + 1))
	done
	printf -- '--b--\n'
} >"$T/parts.eml"
sql "INSERT INTO quarantine (channel, source, received_at, quarantined_at, reason, raw) VALUES ('email', 'test', 1796288400, 1796288400, 'more than 200 MIME parts (mail_max_parts)', readfile('$T/parts.eml'))"
gq=$(sql "SELECT max(id) FROM quarantine")
run "$CIRMCTL" -c "$C" citizen extract greta@example.se
check_all "a mail refused whole in the quarantine is in its sender's extract" <<-'EOF'
	[ "$rc" -eq 0 ] && contains "$out" "set aside in the quarantine" && \
	contains "$out" "more than 200 MIME parts" && contains "$out" "Bilder"
EOF
run "$CIRMCTL" -c "$C" quarantine show "$gq"
check "... and quarantine show says whom it is from" \
	contains "$out" "greta@example.se"
check "... and where its text is" \
	contains "$out" "cirmctl quarantine show $gq --raw"

# A case officer's reply whose commands were refused stays on the case,
# from them, without making them a party: it is theirs all the same.
"$CIRMCTL" -c "$C" handler add olle --email olle@kommun.example \
	--group gata-park >/dev/null || exit 99
"$CIRMCTL" -c "$C" case assign "$john_case" olle >/dev/null || exit 99
"$CIRMD" -c "$C" --once 2>/dev/null || exit 99
olle_rt=$(sql "SELECT headers FROM outbox WHERE recipient = 'olle@kommun.example'" | sed -n 's/^Reply-To: //p' | head -n 1)
[ -n "$olle_rt" ] || exit 99
printf 'From: olle@kommun.example\nTo: %s\nSubject: Re: lampan\nMessage-ID: <olle1@kommun.example>\n\n#klar\nOlle skriver att lampan är lagad.\n' \
	"$olle_rt" >"$T/olle.eml"
queue email "$T/olle.eml"
"$CIRMD" -c "$C" --once 2>/dev/null || exit 99
[ "$(sql "SELECT count(*) FROM event WHERE kind = 'handler.refused'")" -ge 1 ] || exit 99
run "$CIRMCTL" -c "$C" citizen extract olle@kommun.example
check_all "a case officer's refused reply is in their extract" <<-'EOF'
	[ "$rc" -eq 0 ] && contains "$out" "== $john_case" && \
	contains "$out" "Olle skriver att lampan är lagad."
EOF
# and so is the notice he was sent of it, which holds his text again: no
# message of the case, but his
notice=$(sql "SELECT subject FROM outbox WHERE recipient = 'olle@kommun.example' AND case_id IS NOT NULL AND message_id IS NULL" | head -n 1)
[ -n "$notice" ] || exit 99
check_all "... and the notice of the refusal sent to him, with the case's number" <<-'EOF'
	contains "$out" "Sent to them outside the cases' messages" && \
	contains "$out" "$notice" && \
	printf '%s\n' "$out" | grep -q "  olle@kommun.example  $john_case\$"
EOF

# Bad input.
run "$CIRMCTL" -c "$C" citizen extract nobody@example.com
check "an address cirm does not know is an error" [ "$rc" -eq 1 ]
check "... saying so" contains "$err" "cirm holds nothing about 'nobody@example.com'"
run "$CIRMCTL" -c "$C" citizen extract john@example.com nobody@example.com
check "... also beside one it knows" [ "$rc" -eq 1 ]
check "... and nothing is printed" [ -z "$out" ]
run "$CIRMCTL" -c "$C" citizen extract "Storgatan 1"
check "neither an address nor a number" [ "$rc" -eq 1 ]
check "... saying so" contains "$err" "is neither an e-mail address nor a phone number"
run "$CIRMCTL" -c "$C" citizen extract
check "no one named is a usage error" [ "$rc" -eq 64 ]
run "$CIRMCTL" -c "$C" citizen show john@example.com
check "an unknown subcommand is a usage error" [ "$rc" -eq 64 ]

done_testing
