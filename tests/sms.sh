#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Cases by SMS, from the inbox on (the drivers have tests of their own):
# a new case and its SMS acknowledgement, follow-ups by the sender's open
# case or by case number, duplicates, bad senders and envelopes, parts
# that never came, STOP and START, routing by our number, the handler's
# answer as an SMS, and an answer too long for the workflow's limit.
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE=
unset CIRM_CONF

command -v sqlite3 >/dev/null || skip_all "sqlite3 command-line tool not installed (apt-get install sqlite3)"

I=$T/inst
C=$I/cirm.conf
"$CIRMCTL" init "$I" >/dev/null || exit 99
printf 'workflow_routes = 72456=felanmalan 0700000099=felanmalan\n' >>"$C"
"$CIRMCTL" -c "$C" handler add eva --email eva@kommun.example \
	--name "Eva Ek" --group synpunkter >/dev/null || exit 99

sql() {
	sqlite3 -cmd '.timeout 5000' "$I/cirm.db" "$1"
}

# sms ENVELOPE-HEADERS TEXT [AGE]: queues one SMS as the gateways do,
# received AGE seconds ago.
sms() {
	printf '%s\n\n%s' "$1" "$2" >"$T/env"
	sql "INSERT INTO inbox (channel, source, received_at, raw) VALUES ('sms', 'test', strftime('%s','now') - ${3:-0}, readfile('$T/env'))"
}

engine() {
	run "$CIRMD" -c "$C" --once
}

# --- a new case ------------------------------------------------------------
sms "From: 46701234567
To: 46700000000" "Gatlampan på Storgatan 3 är trasig."
engine
check "cirmd handles the SMS" [ "$rc" -eq 0 ]
check "... a case on channel sms" [ "$(sql "SELECT count(*) FROM cases WHERE channel = 'sms'")" -eq 1 ]
case1=$(sql "SELECT number FROM cases WHERE channel = 'sms'")
check "... its subject is the start of the text" \
	[ "$(sql "SELECT subject FROM cases WHERE number = '$case1'")" = "Gatlampan på Storgatan 3 är trasig." ]
check "... the citizen is a contact with the number in E.164" \
	[ "$(sql "SELECT count(*) FROM contact_address WHERE kind = 'phone' AND address = '+46701234567'")" -eq 1 ]
ack=$(sql "SELECT body FROM outbox_mail WHERE channel = 'sms' AND recipient = '+46701234567'")
check "the acknowledgement goes back by SMS" contains "$ack" "$case1"
check "... from the SMS variant of the template" contains "$ack" "Svara på detta sms"
check "... with no subject" [ -z "$(sql "SELECT subject FROM outbox WHERE channel = 'sms'")" ]
check "the handlers are notified by mail" \
	[ "$(sql "SELECT count(*) FROM outbox WHERE channel = 'email' AND recipient = 'eva@kommun.example'")" -ge 1 ]
check "no number or text in the log" sh -c "! grep -q '4670123\|Gatlampan' '$T/stderr'"
run "$CIRMCTL" -c "$C" case show "$case1"
check "cirmctl case show masks the number" contains "$out" "phone: +46 70 *** ** 67"
check "... and never shows it whole" sh -c "! printf '%s' \"\$1\" | grep -q 701234567" - "$out"
check "... the citizen, not the system, opened the case" \
	sh -c "printf '%s' \"\$1\" | grep -q 'case.created  *citizen '" - "$out"
run "$CIRMCTL" -c "$C" case show --numbers "$case1"
check "... unless asked with --numbers" contains "$out" "phone: +46701234567"

# --- follow-ups --------------------------------------------------------------
sms "From: +46701234567" "Den blinkar också."
engine
check "an SMS from the same number joins the open case" \
	[ "$(sql "SELECT count(*) FROM message m JOIN cases c ON c.id = m.case_id WHERE c.number = '$case1' AND m.direction = 'in'")" -eq 2 ]
check "... as the workflow event sms.citizen" \
	[ "$(sql "SELECT count(*) FROM cases")" -eq 1 ]

sms "From: 0701234567
Id: smsc-1" "Och nu är den släckt."
sms "From: 0701234567
Id: smsc-1" "Och nu är den släckt."
engine
check "a national number is the same citizen" \
	[ "$(sql "SELECT count(*) FROM message WHERE direction = 'in' AND channel = 'sms'")" -eq 3 ]
sms "From: 0701234567
Id: smsc-1" "Och nu är den släckt."
engine
check "the same SMSC id delivered again is dropped" \
	[ "$(sql "SELECT count(*) FROM message WHERE direction = 'in' AND channel = 'sms'")" -eq 3 ]
sms "From: 46701234567" "Den blinkar också."
engine
check "the same text again within minutes (no id) is dropped" \
	[ "$(sql "SELECT count(*) FROM message WHERE direction = 'in' AND channel = 'sms'")" -eq 3 ]
check "... but the case's history shows it came again, from the citizen" \
	[ "$(sql "SELECT count(*) FROM event e JOIN cases c ON c.id = e.case_id JOIN contact_address a ON a.contact_id = e.actor_id WHERE c.number = '$case1' AND e.kind = 'sms.again' AND a.address = '+46701234567'")" -eq 1 ]
check "... while the same SMSC id again leaves no trace (the network's)" \
	[ "$(sql "SELECT count(*) FROM event WHERE kind = 'sms.again'")" -eq 1 ]

# Another number naming the case opens a case of its own.
sms "From: 46739876543" "Gäller $case1: jag bor där också."
engine
check "a case number from someone not party to it starts a new case" \
	[ "$(sql "SELECT count(*) FROM cases")" -eq 2 ]
check "... which mentions the number" \
	[ "$(sql "SELECT count(*) FROM event WHERE kind = 'case.created' AND detail = '$case1'")" -eq 1 ]

# The window: a case quiet for longer than sms-window (P7D) is not joined
# by an SMS without its number, but is with it.
sql "UPDATE cases SET updated_at = updated_at - 8 * 86400 WHERE number = '$case1'"
sms "From: 46701234567" "En annan lampa, på Kyrkgatan."
engine
check "after the workflow's window an SMS starts a new case" \
	[ "$(sql "SELECT count(*) FROM cases WHERE citizen_id = (SELECT contact_id FROM contact_address WHERE address = '+46701234567')")" -eq 2 ]
sms "From: 46701234567" "Angående ${case1}: den lyser igen!"
engine
check "... but the case number in the text still finds the old case" \
	[ "$(sql "SELECT count(*) FROM message m JOIN cases c ON c.id = m.case_id WHERE c.number = '$case1' AND m.direction = 'in'")" -eq 4 ]
# ... also written short, in small letters, as typed on a phone
# ("ks-2026-1" for KS-2026-00001)
sql "UPDATE cases SET updated_at = updated_at - 8 * 86400 WHERE citizen_id = (SELECT contact_id FROM contact_address WHERE address = '+46701234567')"
short=$(printf '%s' "$case1" | sed 's/-0*\([0-9]\)/-\1/2' | tr 'A-Z' 'a-z')
sms "From: 46701234567" "Ärende ${short}. Nu är den släckt igen."
engine
check "... and so does the number written without its zeros ($short)" \
	[ "$(sql "SELECT count(*) FROM message m JOIN cases c ON c.id = m.case_id WHERE c.number = '$case1' AND m.direction = 'in'")" -eq 5 ]

# --- routing, parts that never came ------------------------------------------
sms "From: 46705550000
To: 72456
Parts: 2/3" "Trasig gunga i parken vid"
engine
check "an SMS to a routed number starts that workflow" \
	[ "$(sql "SELECT workflow FROM cases WHERE citizen_id = (SELECT contact_id FROM contact_address WHERE address = '+46705550000')")" = felanmalan ]
check "missing parts are noted on the case" \
	[ "$(sql "SELECT detail FROM event WHERE kind = 'sms.incomplete'")" = "2/3" ]
# A long SMS whose other parts have not come yet waits outside the
# inbox: status counts it.
sql "INSERT INTO sms_part (source, sender, recipient, ref, total, seq, text, received_at) VALUES ('smstools', '+46705550009', '', 7, 2, 1, 'Halva', 0)"
run "$CIRMCTL" -c "$C" status
check "status counts a long SMS waiting for its parts" contains "$out" \
	"sms parts   1 long SMS waiting for their other parts"
sql "DELETE FROM sms_part WHERE sender = '+46705550009'"
# Routes name our number as people write it; the gateways give it in
# international form.
sms "From: 46705550001
To: +46700000099" "Vattenläcka på Parkvägen."
engine
check "a route for our number written nationally matches it given internationally" \
	[ "$(sql "SELECT workflow FROM cases WHERE citizen_id = (SELECT contact_id FROM contact_address WHERE address = '+46705550001')")" = felanmalan ]

# --- bad input -----------------------------------------------------------------
sms "From: Banken" "Ditt konto är spärrat."
sms "Nonsense without a colon" "text"
printf 'From: 46701234567\n\nbad \377 byte' >"$T/env"
sql "INSERT INTO inbox (channel, source, received_at, raw) VALUES ('sms', 'test', strftime('%s','now'), readfile('$T/env'))"
# what no UTF-8 encoder writes: a lead byte past 0xf4, a surrogate
# (U+D800), an overlong '/'
for bad in 'F\370\210\200rbud' 'halv \355\240\200 emoji' 'snedstreck \340\200\257'; do
	printf "From: 46701234567\n\n$bad" >"$T/env"
	sql "INSERT INTO inbox (channel, source, received_at, raw) VALUES ('sms', 'test', strftime('%s','now'), readfile('$T/env'))"
done
printf 'From: 46701234567\n\nform\014feed' >"$T/env"
sql "INSERT INTO inbox (channel, source, received_at, raw) VALUES ('sms', 'test', strftime('%s','now'), readfile('$T/env'))"
cases_before=$(sql "SELECT count(*) FROM cases")
sms "From: 46706660001" ""
sms "From: 46706660002" "  
 "
engine
check "an empty SMS, or one of only spaces, opens no case" \
	[ "$(sql "SELECT count(*) FROM cases")" -eq "$cases_before" ]
check "... and is quarantined as such, saying its sender was asked to write" \
	[ "$(sql "SELECT count(*) FROM quarantine WHERE reason = 'SMS without text (empty or only spaces); the sender was asked by SMS to write what it is about (sms-empty.sms)'")" -eq 2 ]
# the citizen hears why nothing happens, in Swedish, in no case
check "... and its sender is asked by SMS to write what it is about" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE channel = 'sms' AND case_id IS NULL AND recipient IN ('+46706660001', '+46706660002') AND body LIKE '%Ditt sms var tomt%Skriv%' AND headers LIKE 'Empty-Sms-Reply: yes%'")" -eq 2 ]
# a phone that sends empty SMS again and again gets one answer a day
sms "From: 46706660001" " "
sms "From: 46706660001" "
"
engine
check_all "more empty SMS the same day: quarantined, the sender not asked again" <<-'EOF'
	[ "$(sql "SELECT count(*) FROM quarantine WHERE reason = 'SMS without text (empty or only spaces); the sender was asked to write again in the last day already: not asked again'")" -eq 2 ]
	[ "$(sql "SELECT count(*) FROM outbox WHERE recipient = '+46706660001'")" -eq 1 ]
EOF
# on the sender's open case: kept there, and nobody is told of nothing
msgs=$(sql "SELECT count(*) FROM message m JOIN cases c ON c.id = m.case_id WHERE c.number = '$case1'")
sent=$(sql "SELECT count(*) FROM outbox")
quarantined=$(sql "SELECT count(*) FROM quarantine")
sql "UPDATE cases SET updated_at = updated_at - 60 WHERE number = '$case1'" >/dev/null
touched=$(sql "SELECT updated_at FROM cases WHERE number = '$case1'")
sms "From: 46701234567" " "
engine
check_all "an empty SMS on the sender's open case is kept there, its history says so, nothing is sent" <<-'EOF'
	[ "$(sql "SELECT updated_at > $touched FROM cases WHERE number = '$case1'")" -eq 1 ]
	[ "$(sql "SELECT count(*) FROM message m JOIN cases c ON c.id = m.case_id WHERE c.number = '$case1'")" -eq $((msgs + 1)) ]
	[ "$(sql "SELECT count(*) FROM event e JOIN cases c ON c.id = e.case_id WHERE c.number = '$case1' AND e.kind = 'sms.empty'")" -eq 1 ]
	[ "$(sql "SELECT count(*) FROM outbox")" -eq "$sent" ]
	[ "$(sql "SELECT count(*) FROM quarantine")" -eq "$quarantined" ]
EOF
check "a sender that is not a number is quarantined" \
	[ "$(sql "SELECT count(*) FROM quarantine WHERE channel = 'sms' AND reason LIKE '%not a phone number%'")" -eq 1 ]
check "... so is a broken envelope" \
	[ "$(sql "SELECT count(*) FROM quarantine WHERE reason LIKE 'not an SMS envelope%'")" -eq 1 ]
check "... and text that is not UTF-8, or UTF-8 of what is no character" \
	[ "$(sql "SELECT count(*) FROM quarantine WHERE reason LIKE '%not valid UTF-8%'")" -eq 4 ]
check "... and text with a control character, said so" \
	[ "$(sql "SELECT count(*) FROM quarantine WHERE reason LIKE '%control character%'")" -eq 1 ]
check "the inbox is empty" [ "$(sql "SELECT count(*) FROM inbox")" -eq 0 ]
# quarantine show: who sent it, and no more of a text of one long line
# than of a mail's (it printed no sender, and the whole line)
{ printf 'From: 46707770123\n\n'; printf 'lång rad %.0s' $(seq 300); printf '\014'; } >"$T/env"
sql "INSERT INTO inbox (channel, source, received_at, raw) VALUES ('sms', 'test', strftime('%s','now'), readfile('$T/env'))"
engine
q=$(sql "SELECT max(id) FROM quarantine WHERE channel = 'sms'")
run "$CIRMCTL" -c "$C" quarantine show "$q"
check_all "quarantine show of an SMS: its sender, 8 lines of its text, the hint" <<-'EOF'
	[ "$rc" -eq 0 ] && contains "$out" "From:" && contains "$out" "46707770123" &&
	[ "$(printf '%s\n' "$out" | grep -c '^  | ')" -eq 8 ] &&
	[ -z "$(printf '%s\n' "$out" | grep '^  | ' | awk 'length($0) > 4 + 80 * 2')" ] &&
	contains "$out" "(the whole message: cirmctl quarantine show $q --raw)"
EOF

# --- the handler answers by mail; the citizen gets an SMS --------------------
note_reply_to() {
	sql "SELECT headers FROM outbox WHERE channel = 'email' AND recipient = 'eva@kommun.example' AND subject LIKE '%$1%' ORDER BY id DESC LIMIT 1" |
		sed -n 's/^Reply-To: //p'
}
handler_mail() {
	printf 'From: Eva Ek <eva@kommun.example>\nTo: %s\nSubject: Re: %s\nMessage-ID: <%s@kommun.example>\n\n%s\n' \
		"$1" "$2" "$3" "$4" >"$T/mail"
	sql "INSERT INTO inbox (channel, source, received_at, raw) VALUES ('email', 'test', strftime('%s','now'), readfile('$T/mail'))"
}
rt=$(note_reply_to "$case1")
check "the notification has a signed reply address" contains "$rt" "+"
handler_mail "$rt" "$case1" h1 "Tack! Vi byter lampan på torsdag."
engine
answer=$(sql "SELECT body FROM outbox_mail WHERE channel = 'sms' AND body LIKE 'Tack! Vi byter%'")
check "the handler's answer goes to the citizen as an SMS" contains "$answer" "ärende $case1"
# A mail signature (title, office, telephone, web, the municipality's
# footer on personal data) stays out of the SMS: the name signs it.
handler_mail "$rt" "$case1" h1s "Hej!

Lampan byts på fredag.

Med vänliga hälsningar

Eva Ek
Handläggare
Gatukontoret, Kommunen
Tel: 0123-45 67 89
https://www.kommun.example

Kommunen behandlar personuppgifter enligt dataskyddsförordningen, läs mer på https://www.kommun.example/gdpr"
engine
check "a handler's answer by SMS: without the mail signature, signed with the name and telephone" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE channel = 'sms' AND body = 'Hej!

Lampan byts på fredag.
/Eva Ek, tel. 0123-45 67 89, Kommunen, ärende $case1'")" -eq 1 ]
# A mail client's signature under "-- " (mutt, Thunderbird), and no
# closing in the text: it still names who signs, with the number.
handler_mail "$rt" "$case1" h1d "Lampan byts på måndag.

-- 
Eva Ek
Handläggare, Gatukontoret
Tel. 0123-45 67 89

Den 7 dec. 2026 skrev Kommunen <kommunen@kommun.example>:
> Gatlampan är trasig."
engine
check "an answer signed under '-- ': the SMS names the officer and the telephone" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE channel = 'sms' AND body = 'Lampan byts på måndag.
/Eva Ek, tel. 0123-45 67 89, Kommunen, ärende $case1'")" -eq 1 ]
# A no-break space from the officer's mail client (kl.&nbsp;8), which
# nobody can see to take out, goes as a space: not UCS-2 for it.
handler_mail "$rt" "$case1" h1n "$(printf 'Vi kommer på torsdag kl.\302\2408.')"
engine
check "a no-break space in an answer goes as a plain space" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE channel = 'sms' AND body LIKE 'Vi kommer på torsdag kl. 8.
/%'")" -eq 1 ]
# The same text again, but after the handler's answer: a new answer to
# it, not the SMSC delivering the first one again.
sms "From: 46701234567" "Den blinkar också."
engine
check "the same text after a handler's answer is not taken for a duplicate" \
	[ "$(sql "SELECT count(*) FROM message WHERE direction = 'in' AND channel = 'sms' AND body_stripped = 'Den blinkar också.'")" -eq 2 ]

long=$(printf 'Lång text. %.0s' $(seq 1 60))
handler_mail "$rt" "$case1" h2 "$long"
engine
check "an answer over the segment limit is not sent" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE channel = 'sms' AND body LIKE 'Lång text.%'")" -eq 0 ]
transcript=$(sql "SELECT body FROM outbox_mail WHERE recipient = 'eva@kommun.example' AND subject LIKE 'Ditt svar är för långt för sms%'")
check "... the handler is told its length, cost and the limit" \
	contains "$transcript" "sms-delar"
check "... (the limit)" contains "$transcript" "högst 3 delar"
check "... and it is kept on the case as an internal note" \
	[ "$(sql "SELECT visibility FROM message WHERE body_stripped LIKE 'Lång text.%'")" = internal ]
# A dash from the mail client's autocorrect makes the whole answer UCS-2
# (67 characters a segment): the handler is shown which characters.
dashed=$(printf 'Vi byter lampan på torsdag – det är bestämt. %.0s' 1 2 3 4 5)
handler_mail "$rt" "$case1" h2u "$dashed"
engine
transcript=$(sql "SELECT body FROM outbox_mail WHERE recipient = 'eva@kommun.example' AND subject LIKE 'Ditt svar är för långt för sms%' ORDER BY id DESC LIMIT 1")
check "an answer too long because of a character outside the SMS alphabet: the handler is shown it" \
	contains_text "$transcript" "rymmer bara 67 tecken: – (U+2013). Byt ut dem"

# The signature under "-- " signs the SMS ("/Eva Ek, tel. ..."): the
# limit is checked with it. 414 characters fit in 3 segments with
# "/Kommunen, ärende ..." alone, not with the name and number too; had
# the check left them out, the SMS would go with the signature alone.
signed=$(printf 'Vi byter stolpen. %.0s' $(seq 1 22))
signed="${signed}Klart om en vecka."
handler_mail "$rt" "$case1" h2s "$signed

-- 
Eva Ek
Handläggare, Gatukontoret
Tel. 0123-45 67 89"
engine
check "an answer that fits only without its '-- ' signature: not sent" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE channel = 'sms' AND body LIKE 'Vi byter stolpen.%'")" -eq 0 ]
check "... and no SMS of the signature alone, the answer dropped from it" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE channel = 'sms' AND ltrim(body, char(10)) LIKE '/Eva Ek%'")" -eq 0 ]
check "... the handler is told it is too long, counted with the signature" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = 'eva@kommun.example' AND subject LIKE 'Ditt svar är för långt för sms%' AND body LIKE '%474 tecken och kosta 4 sms-delar%'")" -eq 1 ]

# An answer with a file: the text goes as an SMS, the file cannot.
printf 'From: Eva Ek <eva@kommun.example>\nTo: %s\nSubject: Re: %s\nMessage-ID: <h4@kommun.example>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b1"\n\n--b1\nContent-Type: text/plain; charset=utf-8\n\nKartan bifogas.\n\n--b1\nContent-Type: application/pdf\nContent-Disposition: attachment; filename="karta.pdf"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--b1--\n' \
	"$rt" "$case1" >"$T/mail"
sql "INSERT INTO inbox (channel, source, received_at, raw) VALUES ('email', 'test', strftime('%s','now'), readfile('$T/mail'))"
engine
check "an answer with a file: its text goes as an SMS" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE channel = 'sms' AND body LIKE 'Kartan bifogas.%'")" -eq 1 ]
check "... and the handler is told the file could not go" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = 'eva@kommun.example' AND subject LIKE 'Bilagorna skickades inte med sms%' AND body LIKE '%utan bilagorna (1)%'")" -eq 1 ]
check "... which the case notes" \
	[ "$(sql "SELECT count(*) FROM event WHERE kind = 'reply.attachments_withheld'")" -eq 1 ]

# A file and no text: no empty SMS, and the handler is told.
printf 'From: Eva Ek <eva@kommun.example>\nTo: %s\nSubject: Re: %s\nMessage-ID: <h5@kommun.example>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b1"\n\n--b1\nContent-Type: text/plain; charset=utf-8\n\n\n--b1\nContent-Type: application/pdf\nContent-Disposition: attachment; filename="karta.pdf"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--b1--\n' \
	"$rt" "$case1" >"$T/mail"
before=$(sql "SELECT count(*) FROM outbox WHERE channel = 'sms'")
sql "INSERT INTO inbox (channel, source, received_at, raw) VALUES ('email', 'test', strftime('%s','now'), readfile('$T/mail'))"
engine
check "a file without a text sends no SMS" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE channel = 'sms'")" -eq "$before" ]
check "... and the handler is told the file did not go" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = 'eva@kommun.example' AND subject LIKE 'Bilagorna skickades inte med sms%' AND body LIKE 'Bilagorna i ditt svar (1) skickades inte%'")" -eq 1 ]

# A delivery receipt said the answer never arrived (the SMS drivers mark
# the row failed): the workflow hears delivery.failed.sms.
sql "UPDATE outbox SET status = 'failed', last_error = 'stat:UNDELIV err:001' WHERE id IN (SELECT id FROM outbox_mail WHERE channel = 'sms' AND body LIKE 'Tack! Vi byter%')"
engine
check "a failed SMS is a delivery failure on its case" \
	[ "$(sql "SELECT count(*) FROM event e JOIN cases c ON c.id = e.case_id WHERE c.number = '$case1' AND e.kind = 'delivery.failed' AND e.detail = 'stat:UNDELIV err:001'")" -eq 1 ]
check "... and the workflow tells the handlers" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE channel = 'email' AND body LIKE '%stat:UNDELIV%'")" -ge 1 ]
# which message: a case has an acknowledgement and answers by SMS
notice=$(sql "SELECT body FROM outbox_mail WHERE channel = 'email' AND body LIKE '%stat:UNDELIV%' ORDER BY id DESC LIMIT 1")
check "... naming the message that did not arrive, as the history does" \
	contains "$notice" "-> Tack! Vi byter"
check "... then what the network said" \
	sh -c "printf '%s' \"\$1\" | grep -A1 -e '-> Tack! Vi byter' | grep -q '^stat:UNDELIV err:001'" - "$notice"
# It asks the officer to ring the citizen: the number in full, which
# notifications otherwise mask.
check "... with the citizen's number in full, to ring them" \
	contains "$notice" "Invånare:     +46701234567 (numret i sin helhet, för att ringa)"
# The last answer, on a case closed with it, never arrived: the workflow
# runs no more, but the handler is told all the same.
sms "From: 46708880001" "Skräp på lekplatsen."
engine
case_c=$(sql "SELECT c.number FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46708880001'")
handler_mail "$(note_reply_to "$case_c")" "$case_c" hc1 "#stang
Det gäller inte kommunen, ring Trafikverket."
engine
check "a case closed with an answer by SMS" \
	[ "$(sql "SELECT closed_at IS NOT NULL FROM cases WHERE number = '$case_c'")" -eq 1 ]
sql "UPDATE outbox SET status = 'failed', last_error = 'stat:UNDELIV err:002' WHERE id IN (SELECT id FROM outbox_mail WHERE channel = 'sms' AND body LIKE 'Det gäller inte kommunen%')"
engine
check "... whose answer failed: the handler is told, though the case is closed" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = 'eva@kommun.example' AND subject LIKE 'Meddelandet nådde inte fram [$case_c]%' AND body LIKE '%stat:UNDELIV err:002%'")" -eq 1 ]
# "Tack!" to the SMS that closed it: kept on the closed case, not a new
# case to acknowledge, assign and close; the same after sms-window (here
# another citizen's case, closed eight days ago) is a new case.
before=$(sql "SELECT count(*) FROM cases")
sent=$(sql "SELECT count(*) FROM outbox")
sms "From: 46708880001" "Ok, tack! 🙂"
engine
check "a thank-you alone after the case closed opens no case" \
	[ "$(sql "SELECT count(*) FROM cases")" -eq "$before" ]
check "... it is kept on the closed case" \
	[ "$(sql "SELECT c.number FROM message m JOIN cases c ON c.id = m.case_id WHERE m.body_stripped = 'Ok, tack! 🙂'")" = "$case_c" ]
check "... whose history says the citizen thanked" \
	[ "$(sql "SELECT count(*) FROM event e JOIN cases c ON c.id = e.case_id WHERE c.number = '$case_c' AND e.kind = 'citizen.thanks'")" -eq 1 ]
check "... and nothing is sent, to the citizen or a case officer" \
	[ "$(sql "SELECT count(*) FROM outbox")" -eq "$sent" ]
# One who writes no capitals signs with a name in small letters: kept
# there too when it is the contact's name, as cirm knows it.
sql "UPDATE contact SET name = 'Anna Svensson' WHERE id = (SELECT contact_id FROM contact_address WHERE address = '+46708880001')"
sms "From: 46708880001" "tack så mycket mvh anna"
engine
check "a thank-you signed in small letters with the contact's name opens no case" \
	[ "$(sql "SELECT count(*) FROM cases")" -eq "$before" ]
check "... it is kept on the closed case" \
	[ "$(sql "SELECT c.number FROM message m JOIN cases c ON c.id = m.case_id WHERE m.body_stripped = 'tack så mycket mvh anna'")" = "$case_c" ]
check "... and nothing is sent" \
	[ "$(sql "SELECT count(*) FROM outbox")" -eq "$sent" ]
# An SMS writer has no name in cirm, but signed the case's first message:
# "tack mvh lisa" is signed with that name, "tack mvh gropen" is not.
sms "From: 46708880055" "Gropen på Storgatan är djup.
/Lisa Berg"
engine
case_l=$(sql "SELECT c.number FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46708880055'")
handler_mail "$(note_reply_to "$case_l")" "$case_l" hl1 "#stang
Gropen lagas på måndag."
engine
before=$(sql "SELECT count(*) FROM cases")
sent=$(sql "SELECT count(*) FROM outbox")
sms "From: 46708880055" "tack mvh lisa"
engine
check "a thank-you signed in small letters as the case's first SMS was opens no case" \
	[ "$(sql "SELECT count(*) FROM cases")" -eq "$before" ]
check_all "... it is kept on the closed case, and nothing is sent" <<-'EOF'
	[ "$(sql "SELECT c.number FROM message m JOIN cases c ON c.id = m.case_id WHERE m.body_stripped = 'tack mvh lisa'")" = "$case_l" ]
	[ "$(sql "SELECT count(*) FROM outbox")" -eq "$sent" ]
EOF
sms "From: 46708880055" "tack mvh gropen"
engine
check "... a small word that was no name of hers opens one" \
	[ "$(sql "SELECT count(*) FROM cases")" -eq $((before + 1)) ]
sms "From: 46708880077" "Trasig skylt vid badet."
engine
sql "UPDATE cases SET state = 'avslutad', closed_at = strftime('%s','now') - 8 * 86400 WHERE id = (SELECT c.id FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46708880077')"
sms "From: 46708880077" "Tack!"
engine
check "... but after sms-window it opens a case" \
	[ "$(sql "SELECT count(*) FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46708880077'")" -eq 2 ]
# The window is the closed case's workflow's: felanmalan version 2 with
# sms-window="P10D" keeps a thank-you eight days after on its case.
sed -i 's/id="felanmalan" version="1"/id="felanmalan" version="2" sms-window="P10D"/' "$I/workflows/felanmalan.xml"
sms "From: 46708880078
To: 72456" "Vattenläcka vid skolan."
engine
sql "UPDATE cases SET state = 'avslutad', closed_at = strftime('%s','now') - 8 * 86400 WHERE id = (SELECT c.id FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46708880078')"
sms "From: 46708880078" "Tack!"
engine
check_all "... within the closed case's own sms-window it is kept there" <<-'EOF'
	[ "$(sql "SELECT c.workflow || c.workflow_version FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46708880078'")" = felanmalan2 ]
	[ "$(sql "SELECT count(*) FROM message m JOIN cases c ON c.id = m.case_id JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46708880078' AND m.body_stripped = 'Tack!'")" -eq 1 ]
	[ "$(sql "SELECT count(*) FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46708880078'")" -eq 1 ]
EOF
sed -i 's/id="felanmalan" version="2" sms-window="P10D"/id="felanmalan" version="1"/' "$I/workflows/felanmalan.xml"
# The citizen writes again, naming the closed case: a new case that
# mentions it, not a message on a case nobody looks at.
sms "From: 46708880001" "$case_c: skräpet ligger kvar."
engine
check "an SMS naming a closed case opens a new case" \
	[ "$(sql "SELECT count(*) FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46708880001' AND c.closed_at IS NULL")" -eq 1 ]
check "... which mentions the closed one" \
	[ "$(sql "SELECT count(*) FROM event WHERE kind = 'case.created' AND detail = '$case_c'")" -eq 1 ]
# An SMS that names both, the closed case first (as the new case's
# texts name them), joins the open one, even after sms-window: not a
# third case that mentions the closed one.
case_d=$(sql "SELECT c.number FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46708880001' AND c.closed_at IS NULL")
sql "UPDATE cases SET updated_at = updated_at - 10 * 86400 WHERE number = '$case_d'"
sms "From: 46708880001" "Gäller $case_c och $case_d: skräpet ligger kvar."
engine
check "an SMS naming a closed and an open case of the sender's joins the open one" \
	[ "$(sql "SELECT count(*) FROM message m JOIN cases c ON c.id = m.case_id WHERE c.number = '$case_d' AND m.body_stripped LIKE 'Gäller%'")" -eq 1 ]
check "... and opens no third case" \
	[ "$(sql "SELECT count(*) FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46708880001'")" -eq 2 ]
# A question to the citizen: the answer joins the case however long the
# citizen took, while the case waits for it (the reminder says "Svara på
# detta sms"), not only within sms-window.
sms "From: 46708880002" "Trasig bänk i parken."
engine
case_q=$(sql "SELECT c.number FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46708880002'")
handler_mail "$(note_reply_to "$case_q")" "$case_q" hq1 "#ta
#fraga
Vilken park gäller det?"
engine
check "a question goes to the citizen as one, asking for an answer by SMS" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = '+46708880002' AND body = 'Vilken park gäller det?
/Kommunen har en fråga om ärende $case_q. Svara på detta sms.'")" -eq 1 ]
sql "UPDATE cases SET updated_at = updated_at - 10 * 86400 WHERE number = '$case_q'"
sms "From: 46708880002" "Stadsparken."
engine
check "an answer to a question after sms-window joins the waiting case" \
	[ "$(sql "SELECT count(*) FROM message m JOIN cases c ON c.id = m.case_id WHERE c.number = '$case_q' AND m.body_stripped = 'Stadsparken.'")" -eq 1 ]
check "... which goes on, not a new case" \
	[ "$(sql "SELECT count(*) FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46708880002'")" -eq 1 ]
# #klar with a text by SMS: one SMS, the answer in "your case is
# resolved", as by mail.
sms "From: 46708880003" "Klotter på skolans vägg."
engine
case_k=$(sql "SELECT c.number FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46708880003'")
acks=$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = '+46708880003'")
handler_mail "$(note_reply_to "$case_k")" "$case_k" hk1 "#klar
Vi har tvättat bort klottret."
engine
check "#klar with a text by SMS: one SMS, the answer in the resolved one" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = '+46708880003'")" -eq $((acks + 1)) ]
check "... the answer first, then that the case is resolved" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = '+46708880003' AND body LIKE 'Vi har tvättat bort klottret.
Kommunen: Ditt ärende $case_k är klart.%'")" -eq 1 ]
# ... signed by the officer, as an answer is: "Ring mig" needs the number.
sms "From: 46708880013" "Klotter på busskuren."
engine
case_ks=$(sql "SELECT c.number FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46708880013'")
handler_mail "$(note_reply_to "$case_ks")" "$case_ks" hk2 "#klar
Vi har tvättat bort klottret. Ring mig om det kommer tillbaka.

Med vänlig hälsning
Eva Ek
Tel: 0123-45 67 89"
engine
check "#klar with a signed text by SMS: the officer's name and telephone above the resolved line" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = '+46708880013' AND body LIKE 'Vi har tvättat bort klottret. Ring mig om det kommer tillbaka.
/Eva Ek, tel. 0123-45 67 89
Kommunen: Ditt ärende $case_ks är klart.%'")" -eq 1 ]
# ... but two, each whole, when the answer fits in sms-segments (3) and
# the two together do not.
sms "From: 46708880004" "Klotter på bron."
engine
case_l=$(sql "SELECT c.number FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46708880004'")
long=$(printf 'Vi har tvättat bort klottret på bron. %.0s' 1 2 3 4 5 6 7 8 9 10)
handler_mail "$(note_reply_to "$case_l")" "$case_l" hl1 "#klar
$long"
engine
check "... an answer too long to go with it: first on its own" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = '+46708880004' AND body LIKE 'Vi har tvättat bort klottret på bron.%' AND id < (SELECT id FROM outbox_mail WHERE recipient = '+46708880004' AND body LIKE '%$case_l är klart%')")" -eq 1 ]
check "... then the resolved SMS, without it" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = '+46708880004' AND body LIKE '%klottret%'")" -eq 1 ]

# A standard answer (#mall) by SMS: the shipped one fits, in GSM 7-bit.
sms "From: 46708880005" "När har ni öppet?"
engine
case_m=$(sql "SELECT c.number FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46708880005'")
handler_mail "$(note_reply_to "$case_m")" "$case_m" hs1 "#mall öppettider"
engine
check "#mall by SMS: the standard answer goes as an SMS" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = '+46708880005' AND body LIKE 'Kommunens kontaktcenter har öppet vardagar klockan 8-16.%'")" -eq 1 ]

# --- STOP and START ---------------------------------------------------------------
sms "From: 46701234567" "stopp"
engine
check "STOPP opts the number out" [ "$(sql "SELECT keyword FROM sms_optout WHERE number = '+46701234567'")" = STOPP ]
check "... confirmed once by SMS" \
	[ "$(sql "SELECT count(*) FROM outbox WHERE recipient = '+46701234567' AND headers LIKE 'Opt-Out-Confirmation: yes%'")" -eq 1 ]
check "... and it opens no case" [ "$(sql "SELECT count(*) FROM message WHERE body_stripped = 'stopp'")" -eq 0 ]
check_all "... but is on each of the citizen's open cases, for the handlers" <<-'EOF'
	open=$(sql "SELECT count(*) FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46701234567' AND c.closed_at IS NULL")
	[ "$open" -ge 1 ] && [ "$(sql "SELECT count(*) FROM event e JOIN cases c ON c.id = e.case_id JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46701234567' AND c.closed_at IS NULL AND e.kind = 'sms.optout' AND e.detail = 'STOPP' AND e.actor_id = a.contact_id")" -eq "$open" ]
EOF
sms "From: 46701234567" "AVSLUTA"
engine
check "a second opt-out is not confirmed again" \
	[ "$(sql "SELECT count(*) FROM outbox WHERE recipient = '+46701234567' AND headers LIKE 'Opt-Out-Confirmation%'")" -eq 1 ]
before=$(sql "SELECT count(*) FROM outbox WHERE recipient = '+46701234567'")
handler_mail "$rt" "$case1" h3 "Lampan är bytt nu."
engine
check "no SMS goes to a number that opted out" \
	[ "$(sql "SELECT count(*) FROM outbox WHERE recipient = '+46701234567'")" -eq "$before" ]
check "... the case records the withheld reply" \
	[ "$(sql "SELECT count(*) FROM event WHERE kind = 'reply.withheld'")" -ge 1 ]
check "... and the handler is told, not left to think it went" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = 'eva@kommun.example' AND subject LIKE 'Ditt svar skickades inte: invånaren har tackat nej till sms%' AND body LIKE '%STOPP%'")" -eq 1 ]
check "... with the number whole, to ring the citizen, which is all cirm has of them" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = 'eva@kommun.example' AND subject LIKE 'Ditt svar skickades inte%' AND body LIKE '%per telefon%Invånarens nummer: +46701234567%'")" -eq 1 ]
# While it stands, the notifications say so, before the officer
# writes an answer that would not reach the citizen.
sms "From: 46701234567" "Lampan lyser fortfarande inte."
engine
check "a notification on a case whose citizen sent STOPP says no answer reaches them" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = 'eva@kommun.example' AND subject LIKE '%[$case1]%' AND body LIKE '%tackat nej till sms (STOPP)%' AND body NOT LIKE '%svaret går som sms%'")" -eq 1 ]
sms "From: 46701234567" "Start!"
engine
check "START opts in again" [ "$(sql "SELECT count(*) FROM sms_optout")" -eq 0 ]
check "... which the open cases show too" \
	[ "$(sql "SELECT count(*) FROM event e JOIN cases c ON c.id = e.case_id JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46701234567' AND c.closed_at IS NULL AND e.kind = 'sms.optin'")" -ge 1 ]
check "... confirmed by SMS" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = '+46701234567' AND body LIKE '%igen%STOPP%'")" -eq 1 ]
# #fråga to a citizen who sent STOPP would leave the case waiting for an
# answer to a question never asked: refused, nothing done. A question
# asked before the STOPP: the case closes unanswered, and the handler is
# not told the citizen knows.
sms "From: 46708880091" "Soptunnan är inte tömd."
sms "From: 46708880092" "Bänken i parken är trasig."
engine
case_q=$(sql "SELECT c.number FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46708880091'")
case_r=$(sql "SELECT c.number FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46708880092'")
handler_mail "$(note_reply_to "$case_r")" "$case_r" hq2 "#fråga
Vilken park gäller det?"
sms "From: 46708880091" "STOPP"
engine
state_q=$(sql "SELECT state FROM cases WHERE number = '$case_q'")
handler_mail "$(note_reply_to "$case_q")" "$case_q" hq1 "#fråga
Vilken adress gäller det?"
engine
check_all "#fråga to a citizen who sent STOPP is refused, and nothing is done" <<-'EOF'
	[ "$(sql "SELECT state FROM cases WHERE number = '$case_q'")" = "$state_q" ]
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = 'eva@kommun.example' AND body LIKE '%#fråga%behöver nå invånaren, som har tackat nej till sms%STOPP%inget sms når hen%#notering. Invånarens nummer: +46708880091%'")" -eq 1 ]
	[ "$(sql "SELECT count(*) FROM outbox WHERE body LIKE '%Vilken adress%' AND recipient <> 'eva@kommun.example'")" -eq 0 ]
EOF
check "... a question that went is still asked" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = '+46708880092' AND body LIKE 'Vilken park gäller det?%'")" -eq 1 ]
sms "From: 46708880092" "STOPP"
engine
sql "UPDATE timer SET fire_at = strftime('%s','now') - 1 WHERE fired_at IS NULL AND case_id = (SELECT id FROM cases WHERE number = '$case_r')"
engine
sql "UPDATE timer SET fire_at = strftime('%s','now') - 1 WHERE fired_at IS NULL AND case_id = (SELECT id FROM cases WHERE number = '$case_r')"
engine
check_all "... unanswered after STOPP, the case closes, and the handler is not told the citizen knows" <<-'EOF'
	[ "$(sql "SELECT closed_at IS NOT NULL FROM cases WHERE number = '$case_r'")" -eq 1 ]
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = 'eva@kommun.example' AND subject LIKE 'Stängt utan svar [$case_r]%' AND body LIKE '%har tackat nej till sms (STOPP) och%har inte fått veta det%' AND body NOT LIKE '%och invånaren har fått veta det%'")" -eq 1 ]
EOF
sql "DELETE FROM sms_optout WHERE number IN ('+46708880091', '+46708880092')"
# A phone's keyboard may put a no-break space (or a zero-width one)
# after the word: it is still the word alone.
sms "From: 46701234568" "$(printf 'Stopp\302\240')"
sms "From: 46701234569" "$(printf '\342\200\213STOP.\r\n')"
engine
check_all "STOPP with a no-break space after it, and STOP after a zero-width space, opt out" <<-'EOF'
	[ "$(sql "SELECT count(*) FROM sms_optout WHERE number IN ('+46701234568', '+46701234569')")" -eq 2 ]
	[ "$(sql "SELECT count(*) FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address IN ('+46701234568', '+46701234569')")" -eq 0 ]
EOF
sql "DELETE FROM sms_optout WHERE number IN ('+46701234568', '+46701234569')"
# ... and so with a thanks after it, which is no message to the
# municipality: it would open a case and be thanked for by SMS
sms "From: 46701234572" "STOPP tack"
sms "From: 46701234573" "$(printf 'Stop, thanks \360\237\231\217')"
sms "From: 46701234574" "Stopp tackar för hjälpen"
# in capitals, as STOPP is often written, "så" too: "SÅ"
sms "From: 46701234575" "STOPP TACK SÅ MYCKET"
engine
check_all "STOPP tack, and Stop thanks with a pictograph, opt out; a longer text does not" <<-'EOF'
	[ "$(sql "SELECT count(*) FROM sms_optout WHERE number IN ('+46701234572', '+46701234573')")" -eq 2 ]
	[ "$(sql "SELECT count(*) FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address IN ('+46701234572', '+46701234573')")" -eq 0 ]
	[ "$(sql "SELECT count(*) FROM sms_optout WHERE number = '+46701234574'")" -eq 0 ]
	[ "$(sql "SELECT count(*) FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46701234574'")" -eq 1 ]
EOF
check_all "STOPP TACK SÅ MYCKET, all in capitals, opts out too" <<-'EOF'
	[ "$(sql "SELECT count(*) FROM sms_optout WHERE number = '+46701234575'")" -eq 1 ]
	[ "$(sql "SELECT count(*) FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46701234575'")" -eq 0 ]
EOF
# an empty SMS after STOPP: not answered, and the quarantine says why
sms "From: 46701234572" ""
engine
check_all "an empty SMS from a number that sent STOPP is quarantined, and not answered" <<-'EOF'
	[ "$(sql "SELECT count(*) FROM quarantine WHERE reason = 'SMS without text (empty or only spaces); the number opted out of SMS: not asked to write again'")" -eq 1 ]
	[ "$(sql "SELECT count(*) FROM outbox WHERE recipient = '+46701234572' AND headers LIKE 'Empty-Sms-Reply%'")" -eq 0 ]
EOF
sql "DELETE FROM sms_optout WHERE number IN ('+46701234572', '+46701234573', '+46701234575')"
# START from a number that never opted out opts nothing in: it is what
# the citizen wrote, and reaches a case as any text (it was swallowed).
sms "From: 46701234571" "Start"
engine
check_all "START from a number never opted out goes to a case, unconfirmed" <<-'EOF'
	[ "$(sql "SELECT count(*) FROM message m JOIN cases c ON c.id = m.case_id JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46701234571' AND m.direction = 'in' AND m.body_stripped = 'Start'")" -eq 1 ] &&
	[ "$(sql "SELECT count(*) FROM outbox WHERE recipient = '+46701234571' AND headers LIKE 'Opt-Out-Confirmation%'")" -eq 0 ]
EOF

# A phone that writes letters decomposed ("a" and U+0308): stored, and
# made a subject, with the letters whole.
sms "From: 46701234570" "$(printf 'Tra\314\210d o\314\210ver va\314\210gen')"
engine
check "a decomposed SMS is stored with whole letters" \
	[ "$(sql "SELECT count(*) FROM cases WHERE subject = 'Träd över vägen'")" -eq 1 ]

# A broken confirmation template: told at start with file:line, and a
# STOP is honoured all the same (only its confirmation is lost).
cp "$I/templates/sv/sms-optout.sms" "$T/optout.good"
printf '{{municipality.name}}: inga fler sms om {{case.number}}.\n' \
	>"$I/templates/sv/sms-optout.sms"
sms "From: 46709876543" "STOPP"
engine
check "a broken sms-optout.sms is told with file:line" contains "$err" \
	"templates/sv/sms-optout.sms:1: unknown variable 'case.number' (it has only {{municipality.name}})"
check "... and STOP is honoured all the same" \
	[ "$(sql "SELECT count(*) FROM sms_optout WHERE number = '+46709876543'")" -eq 1 ]
check "... nothing left to retry" [ "$(sql "SELECT count(*) FROM inbox")" -eq 0 ]
cp "$T/optout.good" "$I/templates/sv/sms-optout.sms"

# --- an SMSC's ids ----------------------------------------------------------------
# An id is the SMSC's to use again: only the same sender's is the same
# message (smsc-1 came from +46701234567 above).
sms "From: 46739990001
Id: smsc-1" "Min granne har samma lampa trasig."
engine
check "another sender's SMS with an id the SMSC used before is not dropped" \
	[ "$(sql "SELECT count(*) FROM message WHERE body_stripped = 'Min granne har samma lampa trasig.'")" -eq 1 ]

# --- a citizen who writes in English ------------------------------------------
sms "From: +46707770001" "Hello, the street light on Storgatan 5 has been broken since Monday."
engine
ack=$(sql "SELECT body FROM outbox_mail WHERE channel = 'sms' AND recipient = '+46707770001'")
check "an SMS in English gets the English acknowledgement" contains "$ack" "Reply to this SMS"
check "... as the citizen's language, kept for the next" \
	[ "$(sql "SELECT c.language FROM contact c JOIN contact_address a ON a.contact_id = c.id WHERE a.address = '+46707770001'")" = en ]
run "$CIRMCTL" -c "$C" case show "$(sql "SELECT number FROM cases WHERE citizen_id = (SELECT contact_id FROM contact_address WHERE address = '+46707770001')")"
check "cirmctl case show tells the citizen's language" contains "$out" "Language:     en"
sms "From: +46707770001" "STOP"
engine
check "STOP from a citizen who writes English is confirmed in English" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = '+46707770001' AND body LIKE '%You will get no more SMS%'")" -eq 1 ]
sms "From: +46707770001" "START"
engine
check "... and so is START" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = '+46707770001' AND body LIKE '%You will get SMS from us again%'")" -eq 1 ]
cp "$I/templates/en/sms-optin.sms" "$T/optin-en.good"
printf '{{municipality.name}}: SMS again about {{case.number}}.\n' \
	>"$I/templates/en/sms-optin.sms"
engine
check "a broken English sms-optin.sms is told at start too" contains "$err" \
	"templates/en/sms-optin.sms:1: unknown variable 'case.number' (it has only {{municipality.name}})"
cp "$T/optin-en.good" "$I/templates/en/sms-optin.sms"

# An instance made by an older cirm has its own copies of the templates
# of its day: one a newer cirm sends that it lacks is told at start, with
# what to do, not only when a citizen's empty SMS goes unanswered.
mv "$I/templates/sv/sms-empty.sms" "$T/empty-sv.good"
mv "$I/templates/en/sms-empty.sms" "$T/empty-en.good"
engine
check "a missing sms-empty.sms is told at start" contains "$err" \
	"templates/sv/sms-empty.sms: no such template, and cirm sends it by SMS to citizens: copy the templates this instance lacks from those cirm installs, keeping its own (cp -rn "
mv "$T/empty-sv.good" "$I/templates/sv/sms-empty.sms"
engine
check "... and not when only sv has it" sh -c '! printf "%s" "$1" | grep -q sms-empty' - "$err"
mv "$T/empty-en.good" "$I/templates/en/sms-empty.sms"

# --- SMS templates at workflow check ------------------------------------------
cp -r "$I/templates" "$T/tpl"
printf '{{municipality.name}}: Läs mer på https://kommun.example/arende\n' >"$T/tpl/sv/acknowledgement.sms"
run "$CIRMCTL" workflow check --templates "$T/tpl" "$I/workflows/synpunkt.xml"
check "workflow check refuses a link in an SMS template" \
	sh -c '[ "$1" -ne 0 ]' - "$rc"
check "... naming the template and the way to allow it" \
	contains "$err" "template 'acknowledgement.sms' (sv) has a link; SMS carry none unless the workflow says sms-links=\"yes\""
sed 's/xml:lang="sv"/sms-links="yes" xml:lang="sv"/' "$I/workflows/synpunkt.xml" >"$T/links.xml"
run "$CIRMCTL" workflow check --templates "$T/tpl" "$T/links.xml"
check "... unless the workflow allows links" [ "$rc" -eq 0 ]
printf '{{case.nummer}}\n' >"$T/tpl/sv/acknowledgement.sms"
run "$CIRMCTL" workflow check --templates "$T/tpl" "$I/workflows/synpunkt.xml"
check "an unknown variable in an SMS template is an error" contains "$err" "acknowledgement.sms"
# A template the citizen gets with no SMS variant: by SMS its mail text
# would go (or, longer than sms-segments, nothing). A warning at the
# line that sends it; the file is good.
cp "$I/templates/sv/acknowledgement.sms" "$T/tpl/sv/acknowledgement.sms"
rm "$T/tpl/sv/question.sms"
run "$CIRMCTL" workflow check --templates "$T/tpl" "$I/workflows/synpunkt.xml"
check "a citizen's template with no SMS variant: workflow check warns at the command that sends it" \
	contains "$err" "synpunkt.xml:77: warning: template 'question' goes to the citizen and has no SMS variant for language 'sv'"
check "... and the file is good" [ "$rc" -eq 0 ]
rm "$T/tpl/en/answer.sms"
run "$CIRMCTL" workflow check --templates "$T/tpl" "$I/workflows/synpunkt.xml"
check "... not of one that takes sv's SMS variant, as cirmd does" \
	sh -c '! printf "%s" "$1" | grep -q "template .answer."' - "$err"
rm "$T/tpl/sv/answer.sms"
run "$CIRMCTL" workflow check --templates "$T/tpl" "$I/workflows/synpunkt.xml"
check "... and of cirm's own answer, at <workflow>" \
	contains "$err" "synpunkt.xml:23: warning: template 'answer' goes to the citizen and has no SMS variant for language 'en'"

# --- a merged case ---------------------------------------------------------
# One citizen, two cases about one hole (the first had gone quiet past
# the window). The case officer merges the second into the first: the
# citizen is told by SMS, and an SMS naming the merged case joins the
# case kept.
sms "From: 46709990001" "Hålet i vägen på Åsgatan är stort."
engine
first=$(sql "SELECT c.number FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46709990001'")
sql "UPDATE cases SET updated_at = updated_at - 8 * 86400 WHERE number = '$first'"
sms "From: 46709990001" "Hålet på Åsgatan är nu ännu större."
engine
second=$(sql "SELECT c.number FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46709990001' AND c.number <> '$first'")
check "the same citizen has two cases" [ -n "$second" ]
handler_mail "$(note_reply_to "$second")" "$second" hm1 "#slå-ihop $first"
engine
check "#slå-ihop closes the second case into the first" \
	[ "$(sql "SELECT m.number FROM cases c JOIN cases m ON m.id = c.merged_into WHERE c.number = '$second' AND c.closed_at IS NOT NULL")" = "$first" ]
merged=$(sql "SELECT body FROM outbox_mail WHERE channel = 'sms' AND recipient = '+46709990001' ORDER BY id DESC LIMIT 1")
check "... the citizen is told by SMS, from the SMS template" \
	contains "$merged" "har slagits ihop med det. Svar får du i $first."
sms "From: 46709990001" "Angående $second: nu har en bil fastnat."
engine
check "... and an SMS naming the merged case joins the one kept" \
	[ "$(sql "SELECT count(*) FROM message m JOIN cases c ON c.id = m.case_id WHERE c.number = '$first' AND m.direction = 'in' AND m.body_stripped LIKE '%en bil fastnat%'")" -eq 1 ]
run "$CIRMCTL" -c "$C" case show "$second"
check "cirmctl case show says where it went" contains "$out" "Merged into:  $first"
run "$CIRMCTL" -c "$C" case show "$first"
check "... and on the case kept, what joined it" contains "$out" "Merged here:  $second"

# --- cirmctl sms encode ------------------------------------------------
# A file's last line break is no part of the text, as cirm sends an SMS
# template: 160 characters and a line break are one segment.
printf '%0160d\n' 0 >"$T/full.sms"
run sh -c '"$1" sms encode - <"$2"' - "$CIRMCTL" "$T/full.sms"
check_all "cirmctl sms encode -: a file of 160 characters and its line break is one segment" <<-'EOF'
	[ "$rc" -eq 0 ] && contains "$out" "Length:   160 septets" && \
	contains "$out" "Segments: 1 "
EOF
# A no-break space counts as the plain space cirm sends for it.
run "$CIRMCTL" sms encode "$(printf 'kl.\302\2408')"
check "cirmctl sms encode: a no-break space costs GSM 7-bit, as sent" \
	contains "$out" "Encoding: GSM 7-bit"
run "$CIRMCTL" sms encode --ucs2 --gsm7 "Hej"
check "cirmctl sms encode: --ucs2 and --gsm7 together are a usage error" [ "$rc" -eq 64 ]

# --- cirmctl sms number ------------------------------------------------
run "$CIRMCTL" sms number --country 46 070-123 45 67
check "cirmctl sms number: more than one number is a usage error" [ "$rc" -eq 64 ]
run "$CIRMCTL" sms number --country 0 +46701234567
check_all "cirmctl sms number: a bad --country is a usage error, not a bad number" <<-'EOF'
	[ "$rc" -eq 64 ] && contains "$err" "--country must be a country code such as +46, not '0'"
EOF
cp "$C" "$I/fi.conf"
echo 'sms_country_code = +358' >>"$I/fi.conf"
run "$CIRMCTL" -c "$I/fi.conf" sms number "040 123 4567"
check_all "cirmctl sms number: a national number with the instance's sms_country_code" <<-'EOF'
	[ "$rc" -eq 0 ] && [ "$out" = +358401234567 ]
EOF
run "$CIRMCTL" sms number --country 47 "070-123 45 67"
check_all "cirmctl sms number: --country without its +" <<-'EOF'
	[ "$rc" -eq 0 ] && [ "$out" = +47701234567 ]
EOF

# --- the subject of a long SMS ----------------------------------------------
sms "From: 46709998877
To: 46700000000" "Hej!
Vattenledningen vid lekplatsen på Björkvägen har läckt i tre veckor nu och det bildas is på gångvägen."
engine
check "a long SMS opens its case" [ "$rc" -eq 0 ]
check "... whose subject ends at a word, on one line, with an ellipsis" \
	[ "$(sql "SELECT subject FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46709998877'")" = "Hej! Vattenledningen vid lekplatsen på Björkvägen har läckt…" ]

# --- an empty Id names no message --------------------------------------------
sms "From: 46708887766
To: 46700000000
Id:  " "Ja" 700
engine
sms "From: 46708887766
To: 46700000000
Id: " "Ja"
engine
check "the same text under an empty Id, minutes later, is not a duplicate" \
	[ "$(sql "SELECT count(*) FROM message m JOIN contact_address a ON a.contact_id = m.contact_id WHERE a.address = '+46708887766'")" -eq 2 ]


# --- a citizen's template with no SMS variant -------------------------------
# Its mail text goes by SMS; when that costs more than sms-segments (a
# long letter), it is not sent as a long chain of SMS but fails at once,
# and the handler is told why, as of any SMS that did not arrive.
cp "$I/templates/sv/resolved" "$T/resolved.good"
cp "$I/templates/sv/resolved.sms" "$T/resolved-sms.good"
rm "$I/templates/sv/resolved.sms"
{
	printf 'Subject: Ditt ärende är klart [{{case.number}}]\n\nHej!\n\n'
	printf 'Vi har nu behandlat ditt ärende {{case.number}}. %.0s\n' $(seq 1 12)
	printf '\nMed vänlig hälsning\n{{municipality.name}}\n'
} >"$I/templates/sv/resolved"
sms "From: 46708880009" "Nedskräpning vid badplatsen."
engine
case_m=$(sql "SELECT c.number FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46708880009'")
handler_mail "$(note_reply_to "$case_m")" "$case_m" hm9 "#klar"
engine
check "a mail template over sms-segments by SMS: not sent" \
	[ "$(sql "SELECT count(*) FROM outbox WHERE recipient = '+46708880009' AND status <> 'failed' AND id IN (SELECT id FROM outbox_mail WHERE body LIKE '%Vi har nu behandlat%')")" -eq 0 ]
check "... the case is resolved all the same" \
	[ "$(sql "SELECT state FROM cases WHERE number = '$case_m'")" = lost ]
check "... and the handler is told it did not go, and why" \
	[ "$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = 'eva@kommun.example' AND subject LIKE 'Meddelandet nådde inte fram [$case_m]%' AND body LIKE '%too long for SMS%' AND body LIKE '%resolved.sms%'")" -eq 1 ]
# An SMS variant is written for SMS: a long one goes, as the
# administrator wrote it (workflow check shows its text).
printf '{{municipality.name}}: Ärende {{case.number}} är klart. %.0s' $(seq 1 12) >"$I/templates/sv/resolved.sms"
sms "From: 46708880011" "Nedskräpning vid bryggan."
engine
case_o=$(sql "SELECT c.number FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46708880011'")
handler_mail "$(note_reply_to "$case_o")" "$case_o" hm11 "#klar"
engine
check "... but a long SMS variant goes" \
	[ "$(sql "SELECT count(*) FROM outbox WHERE recipient = '+46708880011' AND status = 'queued' AND id IN (SELECT id FROM outbox_mail WHERE body LIKE 'Kommunen: Ärende $case_o är klart.%')")" -eq 1 ]
rm "$I/templates/sv/resolved.sms"
# A workflow that answers a delivery failure with that text again: noted
# on the case (reply.withheld), not one more failure for it to hear, for
# ever.
cp "$I/workflows/synpunkt.xml" "$T/synpunkt.good"
sed -e 's/id="synpunkt" version="1"/id="synpunkt" version="2"/' \
	-e '/<state id="lost"/,/<\/state>/s|<transition event="delivery.failed">|&<reply template="resolved"/>|' \
	"$T/synpunkt.good" >"$I/workflows/synpunkt.xml"
sms "From: 46708880010" "Nedskräpning vid stranden."
engine
case_n=$(sql "SELECT c.number FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46708880010'")
handler_mail "$(note_reply_to "$case_n")" "$case_n" hm10 "#klar"
engine
engine
check "a reply too long for SMS, on the delivery failure it made: one failure, not a loop" \
	[ "$(sql "SELECT count(*) FROM outbox WHERE recipient = '+46708880010' AND status = 'failed'")" -eq 1 ]
check "... the second withheld, and the case says why" \
	[ "$(sql "SELECT count(*) FROM event e JOIN cases c ON c.id = e.case_id WHERE c.number = '$case_n' AND e.kind = 'reply.withheld' AND e.detail LIKE 'resolved: not sent: too long for SMS%'")" -eq 1 ]
# An English citizen's, with no en/resolved.sms either: sv's would have
# been taken, so the reason names both.
cp "$I/templates/en/resolved" "$T/resolved-en.good"
cp "$I/templates/en/resolved.sms" "$T/resolved-en-sms.good"
rm "$I/templates/en/resolved.sms"
{
	printf 'Subject: Your case is resolved [{{case.number}}]\n\nHello,\n\n'
	printf 'We have now dealt with your case {{case.number}}. %.0s\n' $(seq 1 12)
	printf '\nKind regards\n{{municipality.name}}\n'
} >"$I/templates/en/resolved"
sms "From: 46708880012" "Hello, there is a lot of litter on the beach by the pier. Could you please have it cleaned up? Thank you."
engine
case_e=$(sql "SELECT c.number FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46708880012'")
check "an English citizen by SMS reads English" \
	[ "$(sql "SELECT c.language FROM contact c JOIN contact_address a ON a.contact_id = c.id WHERE a.address = '+46708880012'")" = en ]
handler_mail "$(note_reply_to "$case_e")" "$case_e" hm12 "#klar"
engine
check "... a mail text too long for SMS: the reason names en's SMS variant and sv's, which it would have taken" \
	[ "$(sql "SELECT count(*) FROM outbox WHERE recipient = '+46708880012' AND status = 'failed' AND last_error LIKE '%as there is no en/resolved.sms nor sv/resolved.sms'")" -eq 1 ]
cp "$T/resolved-en.good" "$I/templates/en/resolved"
cp "$T/resolved-en-sms.good" "$I/templates/en/resolved.sms"
cp "$T/synpunkt.good" "$I/workflows/synpunkt.xml"
cp "$T/resolved.good" "$I/templates/sv/resolved"
cp "$T/resolved-sms.good" "$I/templates/sv/resolved.sms"

done_testing
