#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The smstools gateway against spool files in smstools3's format (as
# smsd writes and reads them): incoming files in each alphabet become
# inbox rows and are removed, a bad one goes to the quarantine with its
# reason, a file read twice is one row, parts are put together; outbox
# rows become outgoing files byte for byte as smstools3 documents them;
# sent/ and failed/ become receipts; an opted-out number gets nothing;
# after kill -9 every row is written exactly once.
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE=
unset CIRM_CONF
CIRM_GATEWAY=$top_builddir/cirm-gateway

command -v sqlite3 >/dev/null || skip_all "sqlite3 not installed (apt-get install sqlite3)"

I=$T/inst
DB=$I/cirm.db
"$CIRMCTL" init "$I" >/dev/null || exit 99
S=$I/sms
gwpid=
trap '[ -n "$gwpid" ] && kill -9 "$gwpid" 2>/dev/null; rm -rf "$T"' EXIT

sql() {
	sqlite3 -cmd '.timeout 5000' "$DB" "$1"
}
gw() {
	run "$CIRM_GATEWAY" -c "$I/cirm.conf" --once smstools
}
count() { # DIR
	find "$1" -mindepth 1 -maxdepth 1 | wc -l | tr -d ' '
}
file() { # ID: the name of its outbox row's file
	printf 'cirm-%s-%s' "$1" "$(sql "SELECT created_at FROM outbox WHERE id = $1")"
}
inbox_has() { # TEXT
	[ "$(sql "SELECT count(*) FROM inbox_message WHERE channel = 'sms' AND
	  source = 'smstools' AND instr(CAST(raw AS TEXT), '$1') > 0")" -eq 1 ]
}

gw
check "first run: exit 0" [ "$rc" -eq 0 ]
check_all "first run: the spool directories are made" <<-'EOF'
	[ -d "$S/incoming" ] && \
	[ -d "$S/outgoing" ] && [ -d "$S/checked" ] && [ -d "$S/sent" ] && [ -d "$S/failed" ]
EOF

# --- incoming --------------------------------------------------------
hdr() { # ALPHABET [EXTRA]
	printf 'From: 46701234567\nFrom_TOA: 91 international, ISDN/telephone\nFrom_SMSC: 46705008999\nSent: 26-01-12 10:00:00\nReceived: 26-01-12 10:00:04\nSubject: GSM1\nModem: GSM1\n%bAlphabet: %s\n' "${2:-}" "$1"
}
{ hdr UTF-8; printf 'Length: 35\n\nGatlyktan på Storgatan är trasig. Ö'; } >"$S/incoming/GSM1.a1"
cp "$S/incoming/GSM1.a1" "$S/incoming/GSM1.a2"
# ISO-8859-15, as smsd writes without incoming_utf8: å ä ö and €.
{ hdr ISO; printf 'Length: 16\nUDH: no\n\nH\344r \344r \366 och \345 \244'; } >"$S/incoming/GSM1.b1"
# UCS2: UTF-16 big endian, "Hej 😀" (a surrogate pair).
{ hdr UCS2; printf 'Length: 6\n\n\000H\000e\000j\000 \330\075\336\000'; } >"$S/incoming/GSM1.c1"
# Two parts smsd did not put together (internal_combine = no).
{ hdr UTF-8 'UDH-DATA: 05 00 03 A7 02 02\n'; printf '\nandra delen.'; } >"$S/incoming/GSM1.d2"
{ hdr UTF-8 'UDH-DATA: 05 00 03 A7 02 01\n'; printf '\nFörsta delen, '; } >"$S/incoming/GSM1.d1"
printf 'this is not an smstools file' >"$S/incoming/GSM1.e1"
touch -d '1 minute ago' "$S/incoming/GSM1.e1"
{ hdr UCS2; printf '\n\000H\000'; } >"$S/incoming/GSM1.e2"
{ hdr ISO; printf '\nSMS STATUS REPORT\nMessage_id: 117\nStatus: 0,Ok,short message received by the SME\n'; } >"$S/incoming/GSM1.f1"
printf 'From: 46701234567\n\nnot yet' >"$S/incoming/.GSM1.tmp"

gw
check "incoming: exit 0" [ "$rc" -eq 0 ]
check "incoming: four messages in the inbox" [ \
	"$(sql "SELECT count(*) FROM inbox WHERE channel = 'sms'")" -eq 4 ]
check "incoming: each from the sender in E.164" [ \
	"$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE 'From: +46701234567' || char(10) || '%'")" -eq 4 ]
check "incoming: UTF-8 with å ä ö, read once though there twice" \
	inbox_has "Gatlyktan på Storgatan är trasig. Ö"
check "incoming: ISO-8859-15 to UTF-8" inbox_has "Här är ö och å €"
check "incoming: UCS2 with an emoji" inbox_has "Hej 😀"
check "incoming: the two parts, put together" inbox_has "Första delen, andra delen."
check "incoming: no smsd header gets into the text" [ \
	"$(sql "SELECT count(*) FROM inbox_message WHERE instr(CAST(raw AS TEXT), 'SMSC') > 0")" -eq 0 ]
check "incoming: two unreadable files quarantined" [ \
	"$(sql "SELECT count(*) FROM quarantine WHERE source = 'smstools'")" -eq 2 ]
check_all "incoming: with the reason" <<-'EOF'
	[ \
	"$(sql "SELECT count(*) FROM quarantine WHERE reason = 'no empty line after the header lines'")" -eq 1 ] && \
	[ "$(sql "SELECT count(*) FROM quarantine WHERE reason LIKE '%odd number of bytes'")" -eq 1 ]
EOF
check "incoming: the quarantine keeps the file" [ \
	"$(sql "SELECT CAST(raw AS TEXT) FROM quarantine WHERE reason LIKE 'no empty%'")" = \
	"this is not an smstools file" ]
check "incoming: all taken files removed, the hidden one left" [ \
	"$(ls -A "$S/incoming")" = ".GSM1.tmp" ]
check "incoming: the log names no number and no text" [ \
	-z "$(printf '%s' "$err" | grep -e 4670 -e Gatlyktan)" ]
{ hdr UTF-8; printf 'Length: 35\n\nGatlyktan på Storgatan är trasig. Ö'; } >"$S/incoming/GSM1.a3"
gw
check "incoming: the same file again (as after a crash) adds nothing" [ \
	"$(sql "SELECT count(*) FROM inbox WHERE channel = 'sms'")" -eq 4 ]
check "incoming: and is removed" [ ! -e "$S/incoming/GSM1.a3" ]
# A part read again after its message went in (a crash before the file
# was removed) is that part, not a message of its own; the same
# reference with another text is a new message.
{ hdr UTF-8 'UDH-DATA: 05 00 03 A7 02 02\n'; printf '\nandra delen.'; } >"$S/incoming/GSM1.d3"
gw
sql "UPDATE sms_part SET received_at = received_at - 7200"
echo "sms_parts_timeout = 60" >>"$I/cirm.conf"
gw
check_all "incoming: a part again adds nothing, now or later" <<-'EOF'
	[ \
	"$(sql "SELECT count(*) FROM inbox WHERE channel = 'sms'")" -eq 4 ] && \
	[ "$(sql "SELECT count(*) FROM sms_part WHERE done_at IS NULL")" -eq 0 ]
EOF
{ hdr UTF-8 'UDH-DATA: 05 00 03 A7 02 02\n'; printf '\nen ny andra del.'; } >"$S/incoming/GSM1.g2"
{ hdr UTF-8 'UDH-DATA: 05 00 03 A7 02 01\n'; printf '\nEtt nytt sms, '; } >"$S/incoming/GSM1.g1"
gw
check "incoming: the reference used again is a new message" \
	inbox_has "Ett nytt sms, en ny andra del."
# Parts that never came: after sms_parts_timeout what came goes in, the
# gaps marked so that no one reads two pieces as one sentence.
{ hdr UTF-8 'UDH-DATA: 05 00 03 C1 03 01\n'; printf '\nEtt'; } >"$S/incoming/GSM1.h1"
{ hdr UTF-8 'UDH-DATA: 05 00 03 C1 03 03\n'; printf '\ntre.'; } >"$S/incoming/GSM1.h3"
{ hdr UTF-8 'UDH-DATA: 05 00 03 C2 03 02\n'; printf '\ntvå'; } >"$S/incoming/GSM1.i2"
gw
sql "UPDATE sms_part SET received_at = received_at - 7200"
gw
check_all "incoming: parts that never came are marked where they are missing" <<-'EOF'
	inbox_has "Ett […] tre." && inbox_has "[…] två […]" && \
	[ "$(sql "SELECT count(*) FROM inbox_message WHERE instr(CAST(raw AS TEXT), 'Parts: 2/3') > 0")" -eq 1 ]
EOF
# A part the SMPP gateway stored before sms_transport became smstools
# does not wait for ever.
sql "INSERT INTO sms_part (source, sender, recipient, ref, total, seq, text, received_at)
	VALUES ('smpp', '+46701234567', '', 9, 2, 1, 'Från förr', strftime('%s', 'now') - 7200)"
gw
check_all "incoming: a part another transport left goes in after the timeout" <<-'EOF'
	inbox_has "Från förr […]" && [ "$(sql "SELECT count(*) FROM sms_part WHERE done_at IS NULL")" -eq 0 ]
EOF
# smsd makes the file, then writes it: one just made, empty or without
# its empty line yet, waits; once written it is taken; an old one is bad.
: >"$S/incoming/GSM1.w1"
printf 'From: 46701234567\nFrom_TOA: 91 intern' >"$S/incoming/GSM1.w2"
: >"$S/incoming/GSM1.w3"
touch -d '1 minute ago' "$S/incoming/GSM1.w3"
gw
check_all "incoming: a file being written is left for later" <<-'EOF'
	[ -e "$S/incoming/GSM1.w1" ] && \
	[ -e "$S/incoming/GSM1.w2" ] && [ ! -e "$S/incoming/GSM1.w3" ] && \
	[ "$(sql "SELECT count(*) FROM quarantine WHERE source = 'smstools'")" -eq 3 ]
EOF
{ hdr UTF-8; printf '\nSkrivet klart.'; } >"$S/incoming/GSM1.w2"
gw
check_all "incoming: ... and taken once written" <<-'EOF'
	[ ! -e "$S/incoming/GSM1.w2" ] && \
	inbox_has "Skrivet klart."
EOF
# smsd writes the header lines, the empty line, then the text: a file
# read in between has less text than its Length header says. Just made,
# it waits; written, it is taken whole; an old one is taken as it is.
{ hdr UTF-8; printf 'Length: 27\n\nGatan vid skolan är'; } >"$S/incoming/GSM1.w4"
{ hdr UCS2; printf 'Length: 3\n\n\000J\000a'; } >"$S/incoming/GSM1.w5"
{ hdr ISO; printf 'Length: 40\n\nAvbrutet av ett str\366mavbrott'; } >"$S/incoming/GSM1.w6"
touch -d '1 minute ago' "$S/incoming/GSM1.w6"
gw
check_all "incoming: a file with less text than its Length is left for later" <<-'EOF'
	[ -e "$S/incoming/GSM1.w4" ] && [ -e "$S/incoming/GSM1.w5" ] && \
	! inbox_has "Gatan vid skolan" && [ ! -e "$S/incoming/GSM1.w6" ] && \
	inbox_has "Avbrutet av ett str"
EOF
{ hdr UTF-8; printf 'Length: 27\n\nGatan vid skolan är halkig.'; } >"$S/incoming/GSM1.w4"
{ hdr UCS2; printf 'Length: 3\n\n\000J\000a\000!'; } >"$S/incoming/GSM1.w5"
gw
check_all "incoming: ... and taken whole once written" <<-'EOF'
	[ ! -e "$S/incoming/GSM1.w4" ] && [ ! -e "$S/incoming/GSM1.w5" ] && \
	inbox_has "Gatan vid skolan är halkig." && inbox_has "Ja!"
EOF
# An emoji split between two UCS2 parts (its surrogate pair cut in two):
# whole again once the parts are put together.
{ hdr UCS2 'UDH-DATA: 05 00 03 B3 02 01\n'; printf '\n\000H\000e\000j\000 \330\075'; } >"$S/incoming/GSM1.p1"
{ hdr UCS2 'UDH-DATA: 05 00 03 B3 02 02\n'; printf '\n\336\000\000!'; } >"$S/incoming/GSM1.p2"
gw
check "incoming: an emoji split between parts is whole again" inbox_has "Hej 😀!"
# A national number with no From_TOA stays national (the engine adds
# the country code): not made "+070...", which is no number at all.
printf 'From: 0701234567\nAlphabet: UTF-8\n\nNationellt.' >"$S/incoming/GSM1.n1"
gw
check "incoming: a national sender without From_TOA is kept national" [ \
	"$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE 'From: 0701234567' || char(10) || '%Nationellt.'")" -eq 1 ]
# A national number as smsd writes it (From_TOA A1, without the trunk
# prefix): national for the engine, not "+7...".
printf 'From: 701234567\nFrom_TOA: A1 national, ISDN/telephone\nAlphabet: UTF-8\n\nInrikes.' >"$S/incoming/GSM1.n2"
gw
check "incoming: a national sender (From_TOA A1) gets its trunk prefix" [ \
	"$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE 'From: 0701234567' || char(10) || '%Inrikes.'")" -eq 1 ]
# A number of unknown type (From_TOA 81): with the country code it is
# international, without it national, never "+7..." in another country.
printf 'From: 701234568\nFrom_TOA: 81 unknown, ISDN/telephone\nAlphabet: UTF-8\n\nOkand typ.' >"$S/incoming/GSM1.u1"
printf 'From: 46701234569\nFrom_TOA: 81 unknown, ISDN/telephone\nAlphabet: UTF-8\n\nOkand typ, landskod.' >"$S/incoming/GSM1.u2"
gw
check "incoming: a sender of unknown type without the country code is national" [ \
	"$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE 'From: 0701234568' || char(10) || '%Okand typ.'")" -eq 1 ]
check "... with it, international" [ \
	"$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE 'From: +46701234569' || char(10) || '%Okand typ, landskod.'")" -eq 1 ]
# UTF-8 under "Alphabet: ISO" (smsd's incoming_utf8 = yes) or with no
# Alphabet at all (a file another tool wrote) is read as UTF-8, not as
# ISO-8859-15 ("Ã¥"); ISO-8859-15 itself still is (GSM1.b1 above).
printf 'From: 46701234570\nAlphabet: ISO\n\nUnder ISO: åäö €' >"$S/incoming/GSM1.x1"
printf 'From: 46701234571\n\nUtan alfabet: åäö €' >"$S/incoming/GSM1.x2"
gw
check "incoming: UTF-8 under Alphabet ISO is read as UTF-8" \
	inbox_has "Under ISO: åäö €"
check "... and with no Alphabet header" inbox_has "Utan alfabet: åäö €"
# The network delivering an SMS again: smsd writes a second file, with
# another Received time (and modem); it has the same id (sender, Sent,
# text), and is queued once (the engine drops it too, should it come
# once the first has gone on). The same text sent again by the citizen
# (another Sent) is another SMS.
printf 'From: 46701234572\nSent: 26-12-04 10:00:00\nReceived: 26-12-04 10:00:04\nModem: GSM1\nAlphabet: UTF-8\n\nJa' >"$S/incoming/GSM1.y1"
printf 'From: 46701234572\nSent: 26-12-04 10:00:00\nReceived: 26-12-04 10:03:30\nModem: GSM2\nAlphabet: UTF-8\n\nJa' >"$S/incoming/GSM2.y2"
printf 'From: 46701234572\nSent: 26-12-04 10:05:00\nReceived: 26-12-04 10:05:02\nModem: GSM1\nAlphabet: UTF-8\n\nJa' >"$S/incoming/GSM1.y3"
gw
check "incoming: the same SMS delivered again is queued once, the same text sent again twice" [ \
	"$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE 'From: +46701234572%'")" -eq 2 ]
check "... each with an id of its own" [ \
	"$(sql "SELECT count(DISTINCT substr(CAST(raw AS TEXT), instr(CAST(raw AS TEXT), 'Id: '), 36)) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE 'From: +46701234572%'")" -eq 2 ]
check "... and every file removed" [ -z "$(ls "$S/incoming" | grep '\.y[123]$')" ]
# Without Sent (a file another tool wrote, without Received either) the
# SMS has no id: whether a second "Ja" is the first again is the
# engine's to tell by text, time and a handler's answer in between, not
# a file id's for ever. The same file read again while it waits in the
# inbox (removed too late, as after a crash) is queued once all the same.
printf 'From: 46701234574\nAlphabet: UTF-8\n\nJa' >"$T/z"
cp "$T/z" "$S/incoming/GSM1.z1"
gw
cp "$T/z" "$S/incoming/GSM1.z1"
gw
check_all "incoming: without Sent, no id; the same file again queued once" <<-'EOF'
	[ "$rc" -eq 0 ] && [ ! -e "$S/incoming/GSM1.z1" ] && \
	[ "$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE 'From: +46701234574%'")" -eq 1 ] && \
	[ "$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE 'From: +46701234574%' AND instr(CAST(raw AS TEXT), char(10) || 'Id: ') = 0")" -eq 1 ]
EOF
# Blanks after a value (a file written by hand or by another tool, with
# CRLF line ends) are not part of it: the number is still a number.
printf 'From: 46701234567 \r\nFrom_TOA: 91 international, ISDN/telephone\t\r\nAlphabet: UTF-8 \r\n\r\nBlanksteg.' >"$S/incoming/GSM1.b2"
gw
check "incoming: blanks after a header value are not part of it" [ \
	"$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE 'From: +46701234567' || char(10) || '%Blanksteg.'")" -eq 1 ]
printf 'From: 46701234573\r\nAlphabet: UTF-8\r\n\r\nRad ett\r\nrad tv\303\245' >"$S/incoming/GSM1.c1"
gw
check "incoming: CRLF line ends in the text are line breaks, no CR left" [ \
	"$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE 'From: +46701234573%' || char(10) || 'Rad ett' || char(10) || 'rad två' AND instr(CAST(raw AS TEXT), char(13)) = 0")" -eq 1 ]
# What is not a file cirm can read is left alone, but said, not skipped
# in silence at every look.
mkdir "$S/incoming/GSM1.dir"
ln -s /etc/passwd "$S/incoming/GSM1.link"
gw
check_all "incoming: a directory and a symbolic link are left alone" <<-'EOF'
	[ -d "$S/incoming/GSM1.dir" ] && \
	[ -L "$S/incoming/GSM1.link" ] && \
	[ "$(sql "SELECT count(*) FROM quarantine WHERE source = 'smstools'")" -eq 3 ]
EOF
check_all "incoming: ... and the log says so" <<-'EOF'
	contains "$err" "GSM1.dir: not a regular file; left alone" && \
	contains "$err" "GSM1.link: a symbolic link, never followed; left alone"
EOF
rm -r "$S/incoming/GSM1.dir" "$S/incoming/GSM1.link"
printf 'From: 46701234567\000x\nAlphabet: UTF-8\n\nNUL' >"$S/incoming/GSM1.nul"
gw
check_all "incoming: a NUL byte in the headers is quarantined, no crash" <<-'EOF'
	[ "$rc" -eq 0 ] && \
	[ "$(sql "SELECT count(*) FROM quarantine WHERE reason = 'a NUL byte in the header lines'")" -eq 1 ] && \
	[ ! -e "$S/incoming/GSM1.nul" ]
EOF
mkfifo "$S/incoming/GSM1.fifo"
run timeout 20 "$CIRM_GATEWAY" -c "$I/cirm.conf" --once smstools
check_all "incoming: a named pipe does not hang the gateway" <<-'EOF'
	[ "$rc" -eq 0 ] && \
	contains "$err" "GSM1.fifo: not a regular file; left alone"
EOF
rm "$S/incoming/GSM1.fifo"

# --- outgoing --------------------------------------------------------
sql "INSERT INTO sms_optout (number, at, keyword) VALUES ('+46709999999', 0, 'STOPP')"
sql "INSERT INTO outbox (channel, recipient, body, created_at) VALUES
	('sms', '+46701234567', 'Ärende KS-2026-00042 är mottaget. {€}', strftime('%s', 'now')),
	('sms', '+46701234568', 'Tack 😀', strftime('%s', 'now')),
	('sms', '+46709999999', 'Hej igen', strftime('%s', 'now')),
	('sms', '0701234567', 'Hej', strftime('%s', 'now')),
	('sms', '', 'Till ingen', strftime('%s', 'now'))"
id() { sql "SELECT id FROM outbox WHERE recipient = '$1'"; }
g=$(id +46701234567) u=$(id +46701234568) o=$(id +46709999999) n=$(id 0701234567)
e=$(id '')
G=$(file $g) U=$(file $u)
gw
check "outgoing: exit 0" [ "$rc" -eq 0 ]
printf 'To: 46701234567\nAlphabet: UTF-8\n\nÄrende KS-2026-00042 är mottaget. {€}' >"$T/g.ref"
printf 'To: 46701234568\nAlphabet: UCS2\n\n\000T\000a\000c\000k\000 \330\075\336\000' >"$T/u.ref"
check "outgoing: GSM-7 text as smstools3's UTF-8 file" cmp -s "$T/g.ref" "$S/outgoing/$G"
check "outgoing: other text as UCS2, UTF-16 big endian" cmp -s "$T/u.ref" "$S/outgoing/$U"
check "outgoing: both sent, the file name as remote id" [ \
	"$(sql "SELECT group_concat(status || ' ' || remote_id, ',') FROM outbox WHERE id IN ($g, $u) ORDER BY id")" = \
	"sent $G,sent $U" ]
check_all "outgoing: an opted-out number gets no file, the row fails" <<-'EOF'
	[ ! -e "$S/outgoing/$(file $o)" ] && \
	[ "$(sql "SELECT status || '|' || last_error FROM outbox WHERE id = $o")" = \
	"failed|the recipient has opted out of SMS" ]
EOF
check_all "outgoing: a number that is not E.164 fails" <<-'EOF'
	[ \
	"$(sql "SELECT status FROM outbox WHERE id = $n")" = failed ] && [ ! -e "$S/outgoing/$(file $n)" ]
EOF
check "outgoing: an empty recipient fails, read no further than its end" [ \
	"$(sql "SELECT status FROM outbox WHERE id = $e")" = failed ]
check "outgoing: two files, nothing else" [ "$(count "$S/outgoing")" -eq 2 ]
check "outgoing: the log names no number" [ -z "$(printf '%s' "$err" | grep 4670)" ]

# --- what smsd made of them ------------------------------------------
mv "$S/outgoing/$G" "$S/sent/"
{ printf 'To: 46701234568\nAlphabet: UCS2\nModem: GSM1\nFailed: 26-01-12 10:01:00\nFail_reason: +CMS ERROR: 500\n\n'
  printf '\000T\000a\000c\000k'; } >"$S/failed/$U"
rm "$S/outgoing/$U"
printf 'To: 46701234567\n\nsomeone else' >"$S/failed/theirs"
gw
check "outcome: exit 0" [ "$rc" -eq 0 ]
check "outcome: sent/ is only the network's word, not delivery" [ \
	"$(sql "SELECT status || '|' || receipt || '|' || coalesce(delivered_at, '') FROM outbox WHERE id = $g")" = \
	"sent|stat:ACCEPTD|" ]
check "outcome: failed/ fails the row with smsd's reason, in its words" [ \
	"$(sql "SELECT status || '|' || last_error FROM outbox WHERE id = $u")" = \
	"failed|smsd: +CMS ERROR: 500" ]
check_all "outcome: our report files removed, others' left" <<-'EOF'
	[ "$(count "$S/sent")" -eq 0 ] && \
	[ "$(ls "$S/failed")" = theirs ]
EOF

# --- after a crash: a row left 'sending' -----------------------------
# (and rows a cirm before left so, whose files were named cirm-<row id>)
sql "INSERT INTO outbox (channel, recipient, body, status, created_at) VALUES
	('sms', '+46701230001', 'smsd has it', 'sending', strftime('%s', 'now')),
	('sms', '+46701230002', 'never written', 'sending', strftime('%s', 'now')),
	('sms', '+46701230004', 'smsd has it, old name', 'sending', strftime('%s', 'now')),
	('sms', '+46701230005', 'in outgoing/, old name', 'sending', strftime('%s', 'now'))"
a=$(id +46701230001) b=$(id +46701230002) a2=$(id +46701230004) a3=$(id +46701230005)
printf 'To: 46701230001\nAlphabet: UTF-8\n\nsmsd has it' >"$S/checked/$(file $a)"
printf 'To: 46701230004\nAlphabet: UTF-8\n\nsmsd has it, old name' >"$S/checked/cirm-$a2"
printf 'To: 46701230005\nAlphabet: UTF-8\n\nin outgoing/, old name' >"$S/outgoing/cirm-$a3"
gw
check_all "leftover: smsd already has it, not written again" <<-'EOF'
	[ ! -e "$S/outgoing/$(file $a)" ] && \
	[ "$(sql "SELECT status FROM outbox WHERE id = $a")" = sent ]
EOF
check_all "leftover: never written, now written" <<-'EOF'
	[ -e "$S/outgoing/$(file $b)" ] && \
	[ "$(sql "SELECT status FROM outbox WHERE id = $b")" = sent ]
EOF
check_all "leftover of a cirm before: smsd has it under the old name, not written again" <<-'EOF'
	[ ! -e "$S/outgoing/$(file $a2)" ] && [ ! -e "$S/outgoing/cirm-$a2" ] && \
	[ "$(sql "SELECT status || '|' || remote_id FROM outbox WHERE id = $a2")" = "sent|cirm-$a2" ]
EOF
check_all "leftover of a cirm before: waiting in outgoing/, under that name only" <<-'EOF'
	[ ! -e "$S/outgoing/$(file $a3)" ] && [ -e "$S/outgoing/cirm-$a3" ] && \
	[ "$(sql "SELECT status || '|' || remote_id FROM outbox WHERE id = $a3")" = "sent|cirm-$a3" ]
EOF
# The crash came after the write, and smsd sent the file meanwhile: its
# report in sent/ is the row's, not a stranger's to throw away.
sql "INSERT INTO outbox (channel, recipient, body, status, created_at) VALUES
	('sms', '+46701230003', 'smsd sent it', 'sending', strftime('%s', 'now')),
	('sms', '+46701230006', 'smsd sent it, old name', 'sending', strftime('%s', 'now'))"
c=$(id +46701230003) c2=$(id +46701230006)
printf 'To: 46701230003\nAlphabet: UTF-8\nModem: GSM1\nSent: 26-01-12 10:02:00\n\nsmsd sent it' >"$S/sent/$(file $c)"
printf 'To: 46701230006\nAlphabet: UTF-8\nModem: GSM1\nSent: 26-01-12 10:02:00\n\nsmsd sent it, old name' >"$S/sent/cirm-$c2"
gw
check_all "leftover: smsd sent it already, not written again" <<-'EOF'
	[ ! -e "$S/outgoing/$(file $c)" ] && \
	[ "$(sql "SELECT status || '|' || remote_id || '|' || receipt FROM outbox WHERE id = $c")" = \
	"sent|$(file $c)|stat:ACCEPTD" ] && [ ! -e "$S/sent/$(file $c)" ]
EOF
check_all "leftover of a cirm before: sent under the old name, not written again" <<-'EOF'
	[ ! -e "$S/outgoing/$(file $c2)" ] && \
	[ "$(sql "SELECT status || '|' || remote_id || '|' || receipt FROM outbox WHERE id = $c2")" = \
	"sent|cirm-$c2|stat:ACCEPTD" ] && [ ! -e "$S/sent/cirm-$c2" ]
EOF

# --- a row id given again --------------------------------------------
# A restore puts back an outbox without the newest rows (or they went
# with their case): the next row has the id of one whose file smsd
# keeps in checked/. It is written all the same, and the other's
# failure is not its own.
sql "DELETE FROM outbox"
rm -f "$S"/outgoing/* "$S"/checked/*
sql "INSERT INTO outbox (channel, recipient, body, created_at) VALUES
	('sms', '+46701230007', 'Ärende mottaget', strftime('%s', 'now') - 100)"
r=$(id +46701230007)
gw
old=$(file $r)
mv "$S/outgoing/$old" "$S/checked/"
sql "DELETE FROM outbox"
sql "INSERT INTO outbox (id, channel, recipient, body, created_at) VALUES
	($r, 'sms', '+46701230008', 'Ärende mottaget', strftime('%s', 'now'))"
gw
check_all "a row id given again: the new row's file is written" <<-'EOF'
	[ "$rc" -eq 0 ] && [ -e "$S/outgoing/$(file $r)" ] && [ -e "$S/checked/$old" ] && \
	[ "$(sql "SELECT status || '|' || remote_id FROM outbox WHERE id = $r")" = "sent|$(file $r)" ]
EOF
mv "$S/checked/$old" "$S/failed/"
gw
check "... and the other's failure is not its own" \
	[ "$(sql "SELECT status FROM outbox WHERE id = $r")" = sent ]

# --- kill -9 while writing -------------------------------------------
sql "DELETE FROM outbox"
rm -f "$S"/outgoing/* "$S"/checked/*
sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400)
	INSERT INTO outbox (channel, recipient, body, created_at)
	SELECT 'sms', '+4670' || (1000000 + i), 'Meddelande ' || i, strftime('%s', 'now') FROM n"
echo "smtp_batch = 20" >>"$I/cirm.conf"
kill_gateway_when_sent smstools 60
check "kill -9: at most one row was in flight" [ \
	"$(sql "SELECT count(*) FROM outbox WHERE status = 'sending'")" -le 1 ]
gw
check "restart: all 400 sent" [ "$(sql "SELECT count(*) FROM outbox WHERE status = 'sent'")" -eq 400 ]
check_all "restart: 400 files, one per row, no temporary left" <<-'EOF'
	[ "$(ls -A "$S/outgoing" | wc -l)" -eq 400 ] && \
	[ -z "$(ls -A "$S/outgoing" | grep '^\.')" ]
EOF
bad=0
for f in "$S"/outgoing/cirm-*; do
	k=${f##*/cirm-}
	k=${k%%-*}
	num=$(sql "SELECT substr(recipient, 2) || '|' || body FROM outbox_mail WHERE id = $k")
	[ "$(printf 'To: %s\nAlphabet: UTF-8\n\n%s' "${num%%|*}" "${num#*|}" | cmp -s - "$f"; echo $?)" = 0 ] || bad=$((bad + 1))
done
check "restart: every file its row's" [ "$bad" -eq 0 ]

# --- spool directories cirm may read but not write --------------------
# (smsd's, without cirm's user in its group): a file is taken once,
# said once, and its removal tried again without taking it again. (It
# went into the inbox anew at every look, with a warning each time.)
R=$T/ro
"$CIRMCTL" init "$R" >/dev/null || exit 99
echo "sms_poll_interval = 1" >>"$R/cirm.conf"
as=
if [ "$(command id -u)" -eq 0 ]; then
	as="setpriv --reuid=nobody --regid=nogroup --clear-groups"
	CIRM_GATEWAY=$(for_nobody "$CIRM_GATEWAY") || exit 99
	chmod 711 "$T"
	chown -R nobody "$R"
fi
$as "$CIRM_GATEWAY" -c "$R/cirm.conf" --once smstools 2>/dev/null
{ hdr UTF-8; printf 'Length: 15\n\nKvar i spoolen.'; } >"$R/sms/incoming/GSM1.ro1"
touch -d '1 minute ago' "$R/sms/incoming/GSM1.ro1"
[ -n "$as" ] && chown root "$R/sms/incoming"
chmod 555 "$R/sms/incoming"
# So too for a file of ours in sent/ that cannot be removed: its
# outcome is recorded once, and that said once.
$as sqlite3 "$R/cirm.db" "INSERT INTO outbox (channel, recipient, body, created_at, status, remote_id)
	VALUES ('sms', '+46701234567', CAST('Tack.' AS BLOB), strftime('%s', 'now'), 'sent', 'cirm-77')"
printf 'To: 46701234567\nAlphabet: UTF-8\n\nTack.' >"$R/sms/sent/cirm-77"
[ -n "$as" ] && chown root "$R/sms/sent"
chmod 555 "$R/sms/sent"
$as "$CIRM_GATEWAY" -c "$R/cirm.conf" smstools 2>"$T/ro.log" &
gwpid=$!
sleep 3.5
kill "$gwpid"
wait "$gwpid"
gwpid=
check_all "incoming/ not writable: the file is taken once, and that said once" <<-'EOF'
	[ "$(grep -c 'GSM1.ro1: queued but not removed' "$T/ro.log")" -eq 1 ] && \
	[ "$(grep -c 'took 1 incoming file' "$T/ro.log")" -eq 1 ]
EOF
check "sent/ not writable: the outcome is recorded once, and that said once" \
	[ "$(grep -c 'cirm-77: recorded but not removed' "$T/ro.log")" -eq 1 ]
chmod 755 "$R/sms/incoming" "$R/sms/sent"

# incoming/ gone while the gateway runs (smsd's spool unmounted): said
# once, not at every look, and said again when it is back.
$as "$CIRM_GATEWAY" -c "$R/cirm.conf" smstools 2>"$T/gone.log" &
gwpid=$!
sleep 1
mv "$R/sms/incoming" "$R/sms/incoming.away"
sleep 3.5
mv "$R/sms/incoming.away" "$R/sms/incoming"
sleep 1.5
kill "$gwpid"
wait "$gwpid"
gwpid=
check_all "incoming/ missing: said once in three looks, and its return said" <<-'EOF'
	[ "$(grep -c 'cannot read .*incoming' "$T/gone.log")" -eq 1 ] && \
	grep -q 'incoming can be read again' "$T/gone.log"
EOF

# smsd's own error line may quote the sender's number or the text: the
# quarantine's reason, which the log shows, has it masked.
{ hdr UTF-8 'Error: Cannot decode PDU from 46701234567: bad length\n'; printf 'Length: 3\n\nHej'; } >"$S/incoming/GSM1.err1"
gw
check_all "smsd's Error line: quarantined, the number in its reason masked" <<-'EOF'
	[ "$(sql "SELECT count(*) FROM quarantine WHERE reason LIKE 'smsd could not decode it: Cannot decode PDU from %'")" -eq 1 ] && \
	[ "$(sql "SELECT count(*) FROM quarantine WHERE reason LIKE '%46701234567%'")" -eq 0 ]
EOF

# Released from the quarantine, an SMS smsd could not decode is what
# this gateway makes of the file: a national sender (From_TOA A1) with
# its trunk prefix, so +46 and not +7, and the text in ISO-8859-15 or
# UCS-2 read as such; a file the gateway could not read at all goes
# back to the quarantine, saying so, never read as an envelope.
Q=$T/rel
"$CIRMCTL" init "$Q" >/dev/null || exit 99
mkdir -p "$Q/sms/incoming"
qsql() {
	sqlite3 -cmd '.timeout 5000' "$Q/cirm.db" "$1"
}
rhdr() { # ALPHABET FROM_TOA SENT
	printf 'From: 701234567\nFrom_TOA: %s\nSent: %s\nError: Cannot decode PDU\nAlphabet: %s\n\n' "$2" "$3" "$1"
}
{ rhdr ISO 'A1 national, ISDN/telephone' '26-01-12 11:00:00'; printf 'Gatlyktan p\345 Storgatan \344r trasig \244'; } >"$Q/sms/incoming/GSM1.r1"
{ rhdr UCS2 'A1 national, ISDN/telephone' '26-01-12 11:01:00'; printf '\000H\000e\000j\000 \330\075\336\000'; } >"$Q/sms/incoming/GSM1.r2"
{ rhdr UTF-8 'A1 national, ISDN/telephone' '26-01-12 11:03:00'; printf 'Lampan lyser inte.'; } >"$Q/sms/incoming/GSM1.r4"
{ rhdr UCS2 '91 international' '26-01-12 11:02:00'; printf '\000H\000'; } >"$Q/sms/incoming/GSM1.r3"
run "$CIRM_GATEWAY" -c "$Q/cirm.conf" --once smstools
check "release: four files quarantined" [ \
	"$(qsql "SELECT count(*) FROM quarantine WHERE reason LIKE 'smsd could not decode it:%'")" -eq 4 ]
check "release: smsd's header lines kept in the quarantine" [ \
	"$(qsql "SELECT count(*) FROM quarantine WHERE instr(CAST(raw AS TEXT), 'Smsd-From_TOA: A1 national') > 0")" -eq 3 ]
run "$CIRMCTL" -c "$Q/cirm.conf" quarantine release $(qsql "SELECT id FROM quarantine ORDER BY id")
check "release: released" [ "$rc" -eq 0 ]
run "$CIRMD" -c "$Q/cirm.conf" --once
check "release: a case for the national number, in E.164" [ \
	"$(qsql "SELECT count(*) FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = '+46701234567'")" -eq 1 ]
check "release: the acknowledgement goes to the sender" [ \
	"$(qsql "SELECT count(*) FROM outbox WHERE recipient = '+46701234567'")" -ge 1 ]
check "release: no one else written to" [ \
	"$(qsql "SELECT count(*) FROM outbox WHERE recipient <> '+46701234567'")" -eq 0 -a \
	"$(qsql "SELECT count(*) FROM contact_address WHERE address LIKE '+7%'")" -eq 0 ]
check_all "release: the ISO-8859-15 and the UCS-2 text, decoded" <<-'EOF'
	[ "$(qsql "SELECT count(*) FROM message WHERE body_stripped = 'Gatlyktan på Storgatan är trasig €'")" -eq 1 ] && \
	[ "$(qsql "SELECT count(*) FROM message WHERE body_stripped = 'Hej 😀'")" -eq 1 ]
EOF
check "release: a file the gateway could not read is quarantined again, saying so" [ \
	"$(qsql "SELECT count(*) FROM quarantine WHERE released_at IS NULL AND reason LIKE '%file of smsd''s, which the smstools gateway could not read'")" -eq 1 ]

done_testing
