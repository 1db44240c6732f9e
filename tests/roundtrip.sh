#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The whole loop through cirmd on its embedded defaults, as the README
# walk-through does it: a citizen's mail dropped in the Maildir -> a case
# and an acknowledgement -> the handler's notification in their mailbox
# -> a reply written by a real mail client (mutt, in batch mode) -> the
# citizen's answer, threaded. A #notering stays internal; forged and
# unauthenticated replies change nothing.
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE=
unset CIRM_CONF

command -v sqlite3 >/dev/null || skip_all "sqlite3 command-line tool not installed (apt-get install sqlite3)"
command -v mutt >/dev/null || skip_all "mutt not installed (apt-get install mutt)"

I=$T/inst
C=$I/cirm.conf
"$CIRMCTL" init "$I" >/dev/null || exit 99
printf 'engine_poll_interval = 1\nmaildir_poll_interval = 1\nsmtp_poll_interval = 1\n' >>"$C"
"$CIRMCTL" -c "$C" handler add eva --email eva@kommun.example \
	--name "Eva Ek" --group synpunkter >/dev/null || exit 99
IN=$I/maildir/inbox
OUT=$I/maildir/outbound

sql() {
	sqlite3 -cmd '.timeout 5000' "$I/cirm.db" "$1"
}

# Waits up to 20 s for a file in DIR/new matching TEXT; prints its path.
wait_mail() {
	i=0
	while [ $i -lt 200 ]; do
		f=$(grep -l -- "$2" "$1"/new/* 2>/dev/null | head -n 1)
		[ -n "$f" ] && { echo "$f"; return 0; }
		i=$((i + 1))
		sleep 0.1
	done
	return 1
}

header() {
	sed -n "/^\$/q; s/^$2: //Ip" "$1" | head -n 1
}

# mutt sends by handing the mail to this "sendmail": into the inbox
# Maildir, as an MTA would deliver it.
cat >"$T/deliver" <<EOS
#!/bin/sh
f=\$(date +%s).\$\$.roundtrip
cat >"$IN/tmp/\$f" && mv "$IN/tmp/\$f" "$IN/new/\$f"
EOS
chmod +x "$T/deliver"

# mutt FROM DRAFT: sends DRAFT (headers, blank line, body) as FROM.
mutt_send() {
	cat >"$T/muttrc" <<EOS
set sendmail="$T/deliver"
set from="$1"
set use_from=yes
set charset="utf-8"
set send_charset="us-ascii:utf-8"
set edit_headers=no
EOS
	if [ -n "${3:-}" ]; then
		HOME=$T mutt -n -F "$T/muttrc" -H "$2" -a "$3" </dev/null
	else
		HOME=$T mutt -n -F "$T/muttrc" -H "$2" </dev/null
	fi
}

"$CIRMD" -c "$C" >"$T/d.out" 2>"$T/d.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$T"' EXIT

cat >"$IN/new/citizen.eml" <<'EOM'
From: Anna Andersson <anna@example.se>
To: arende@kommun.example
Subject: Buller från bygget
Message-ID: <anna.1@example.se>
Date: Tue, 01 Dec 2026 09:00:00 +0100
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Det bullrar från bygget på Storgatan varje natt.
EOM

ack=$(wait_mail "$OUT/anna@example.se" "KS-2026-00001")
check "the citizen gets an acknowledgement with the case number" [ -n "$ack" ]
check "... threaded to her mail" [ "$(header "$ack" In-Reply-To)" = "<anna.1@example.se>" ]
check "... addressed to her by name" \
	[ "$(header "$ack" To)" = "Anna Andersson <anna@example.se>" ]
python3 -c 'import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
sys.stdout.write(m.get_payload(decode=True).decode("utf-8"))' "$ack" \
	>"$T/ack.txt" 2>&1
check "... saying when it came as a letter does" grep -Eq \
	"^den [0-9]{1,2} (januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december) 20[0-9]{2} kl\. [0-2][0-9]\.[0-5][0-9] och gav det" \
	"$T/ack.txt"
note=$(wait_mail "$OUT/eva@kommun.example" "Storgatan")
check "the handler is notified, with the citizen's text" [ -n "$note" ]
reply_to=$(header "$note" Reply-To)
check "... and a signed reply address for her on the case" \
	contains "$reply_to" "arende+ks-2026-00001.h"
check "... the commands she may use" grep -q "#ta " "$note"
# What the case lacks yet is said, not left as an empty field.
python3 -c 'import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
sys.stdout.write(m.get_payload(decode=True).decode("utf-8"))' "$note" \
	>"$T/note.txt" 2>&1
check "... saying that no one handles the case yet" \
	grep -q "^Handläggare:  ingen ännu$" "$T/note.txt"
check "... and the category the workflow set" grep -q "^Kategori:     synpunkt$" "$T/note.txt"
check "the handler's own address is not in the citizen's mail" \
	[ -z "$(grep -il eva "$ack")" ]

# Eva answers from her mail client: a command and a text, quoting the
# notification as mail clients do.
{
	printf 'To: %s\n' "$reply_to"
	printf 'Subject: Re: %s\n' "$(header "$note" Subject)"
	printf 'In-Reply-To: %s\nReferences: %s\n\n' "$(header "$note" Message-ID)" "$(header "$note" Message-ID)"
	printf '#ta\n\nHej Anna! Vi pratar med byggfirman i veckan.\n\n'
	printf 'Eva Ek\nSamhällsbyggnad\n\n'
	sed -n '/^$/,$p' "$note" | sed 's/^/> /'
} >"$T/draft"
mutt_send "Eva Ek <eva@kommun.example>" "$T/draft"
check "mutt sent the reply" [ $? -eq 0 ]
answer=$(wait_mail "$OUT/anna@example.se" "byggfirman")
check "the citizen gets the handler's answer" [ -n "$answer" ]
check "... threaded to her own mail" [ "$(header "$answer" In-Reply-To)" = "<anna.1@example.se>" ]
check "... from the municipality, not from the handler" \
	[ -z "$(grep -i "^From:.*eva" "$answer")" ]
check "... without the quoted notification" [ -z "$(grep "Ett nytt" "$answer")" ]
check "the command took effect: Eva has the case" [ \
	"$(sql "SELECT c.state || ' ' || h.login FROM cases c JOIN contact h ON h.id = c.assignee_id")" = "tilldelad eva" ]

# A file Eva attaches goes on to the citizen, byte for byte and with
# its name.
head -c 3000 /dev/urandom >"$T/Åtgärdsplan.pdf"
{
	printf 'To: %s\nSubject: Re: plan\n\nHär är planen för arbetet.\n' "$reply_to"
} >"$T/draft1"
mutt_send "Eva Ek <eva@kommun.example>" "$T/draft1" "$T/Åtgärdsplan.pdf"
plan=$(wait_mail "$OUT/anna@example.se" "multipart/mixed")
check "the citizen gets the handler's attachment" [ -n "$plan" ]
if [ -n "$plan" ]; then
	python3 - "$plan" "$T/Åtgärdsplan.pdf" >"$T/att" 2>&1 <<'EOP'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
att = [p for p in m.iter_attachments()]
want = open(sys.argv[2], 'rb').read()
body = m.get_body(('plain',)).get_content()
print(len(att), att[0].get_filename() if att else '-',
      att[0].get_content() == want if att else False,
      'planen' in body)
EOP
	check "... intact, named as she named it, with her text" \
		[ "$(cat "$T/att")" = "1 Åtgärdsplan.pdf True True" ]
fi

# Replies as other mail clients build them (the talon fixtures: Apple
# Mail, Gmail, Outlook, Thunderbird, Yahoo...), each with its own way of
# quoting: sent by Eva to her reply address, only her new line reaches
# the citizen.
for fx in "$top_srcdir"/tests/data/replies/talon/standard_replies__*.eml; do
	client=$(basename "$fx" .eml | sed 's/standard_replies__//')
	# base64 bodies cannot be edited here; the others' new text is
	# "Hello".
	grep -q '^Hello' "$fx" || continue
	{
		printf 'From: Eva Ek <eva@kommun.example>\nTo: %s\n' "$reply_to"
		printf 'Subject: Re: Buller\nMessage-ID: <%s.talon@kommun.example>\n' "$client"
		# its own header, but for the fields (and their folded
		# lines) that are Eva's
		awk '/^\r?$/ { exit }
		     /^[ \t]/ { if (!drop) print; next }
		     { drop = $0 ~ /^(From|To|Cc|Subject|Date|Message-I[Dd]|In-Reply-To|References):/ }
		     !drop' "$fx"
		sed '1,/^$/d' "$fx" | sed "0,/^Hello/s//Hello from $client/"
	} >"$IN/tmp/$client"
	mv "$IN/tmp/$client" "$IN/new/$client.talon"
	got=$(wait_mail "$OUT/anna@example.se" "Hello from $client")
	stripped=$(sql "SELECT body_stripped FROM message WHERE rfc_message_id = '$client.talon@kommun.example'")
	check_all "a $client reply: the citizen gets only the new text" <<-'EOF'
		[ -n "$got" ] && [ "$stripped" = "Hello from $client" ]
	EOF
done

# An internal note is never sent.
{
	printf 'To: %s\nSubject: Re: notering\n\n#notering\nRing byggfirman om nattarbetet.\n' "$reply_to"
} >"$T/draft2"
mutt_send "Eva Ek <eva@kommun.example>" "$T/draft2"
i=0
while [ "$(sql "SELECT count(*) FROM message WHERE visibility = 'internal' AND body_stripped LIKE 'Ring byggfirman%'")" -eq 0 ] && [ $i -lt 200 ]; do
	i=$((i + 1)); sleep 0.1
done
check "#notering is kept on the case as internal" [ "$i" -lt 200 ]
sleep 2
check "... and never reaches the citizen" [ -z "$(grep -l "nattarbetet" "$OUT/anna@example.se"/new/* 2>/dev/null)" ]

# Eva asks the contractor, outside the municipality; the contractor's
# mail client answers, and the answer comes back to Eva, not to Anna.
{
	printf 'To: %s\nSubject: Re: Buller\n\n' "$reply_to"
	printf '#vidarebefordra drift@entreprenor.example\n\nHej! Arbetar ni nattetid på Storgatan?\n'
} >"$T/draft4"
mutt_send "Eva Ek <eva@kommun.example>" "$T/draft4"
fwd=$(wait_mail "$OUT/drift@entreprenor.example" "KS-2026-00001")
check "#vidarebefordra sends the case outside" [ -n "$fwd" ]
fwd_to=$(header "$fwd" Reply-To)
check "... with a Reply-To signed for the forward" \
	contains "$fwd_to" "arende+ks-2026-00001.f"
check "... from the case address, never Eva's, nor Anna's" \
	[ -z "$(grep -il -e 'eva@' -e 'anna@' "$fwd")" ]
check "... a person's mail, not marked automatic" \
	[ -z "$(header "$fwd" Auto-Submitted)" ]
{
	printf 'To: %s\nSubject: Re: %s\n' "$fwd_to" "$(header "$fwd" Subject)"
	printf 'In-Reply-To: %s\n\n' "$(header "$fwd" Message-ID)"
	printf 'Nej, vi slutar kl 22. Vi ser över det.\n\n'
	sed -n '/^$/,$p' "$fwd" | sed 's/^/> /'
} >"$T/draft5"
mutt_send "Drift <drift@entreprenor.example>" "$T/draft5"
back=$(wait_mail "$OUT/eva@kommun.example" "slutar kl 22")
check "the answer from outside reaches Eva" [ -n "$back" ]
check "... with a Reply-To signed for her" \
	contains "$(header "$back" Reply-To)" "arende+ks-2026-00001.h"
check "... kept on the case as internal" [ \
	"$(sql "SELECT visibility FROM message WHERE body_stripped LIKE 'Nej, vi slutar%'")" = internal ]
sleep 2
check "... and never reaches the citizen" \
	[ -z "$(grep -l -e "slutar kl 22" -e "nattetid" "$OUT/anna@example.se"/new/* 2>/dev/null)" ]

# Someone else using Eva's reply address changes nothing.
{
	printf 'To: %s\nSubject: Re: Buller\n\n#klar\nLöst.\n' "$reply_to"
} >"$T/draft3"
mutt_send "Mallory <mallory@example.org>" "$T/draft3"
i=0
while [ "$(sql "SELECT count(*) FROM quarantine")" -eq 0 ] && [ $i -lt 200 ]; do
	i=$((i + 1)); sleep 0.1
done
check "a forged reply is quarantined" [ \
	"$(sql "SELECT reason FROM quarantine")" = "reply to a handler's signed address from another sender" ]
check "... and the case is unchanged" [ "$(sql "SELECT state FROM cases")" = tilldelad ]

# Eva's own mail to an altered reply address, and a correctly addressed
# one that her domain's DMARC check failed at our MTA: neither is hers.
forged=$(printf '%s' "$reply_to" | sed 's/\.\([0-9a-f]\)\([0-9a-f]*@\)/.0\2/')
[ "$forged" != "$reply_to" ] || forged=$(printf '%s' "$reply_to" | sed 's/\.\([0-9a-f]\)\([0-9a-f]*@\)/.1\2/')
printf 'From: Eva Ek <eva@kommun.example>\nTo: %s\nSubject: Re: Buller\nMessage-ID: <forged.1@kommun.example>\n\n#klar\nLöst.\n' \
	"$forged" >"$IN/tmp/f1"
mv "$IN/tmp/f1" "$IN/new/f1"
printf 'Authentication-Results: mx.kommun.example; dmarc=fail header.from=kommun.example; spf=fail smtp.mailfrom=eva@kommun.example\nFrom: Eva Ek <eva@kommun.example>\nTo: %s\nSubject: Re: Buller\nMessage-ID: <forged.2@kommun.example>\n\n#klar\nLöst.\n' \
	"$reply_to" >"$IN/tmp/f2"
mv "$IN/tmp/f2" "$IN/new/f2"
i=0
while [ "$(sql "SELECT count(*) FROM quarantine")" -lt 3 ] && [ $i -lt 200 ]; do
	i=$((i + 1)); sleep 0.1
done
check "a reply to an altered reply address is quarantined, with the reason" \
	[ "$(sql "SELECT count(*) FROM quarantine WHERE reason LIKE '%signature does not verify%'")" -eq 1 ]
check "a reply that failed DMARC is quarantined, with the reason" \
	[ "$(sql "SELECT count(*) FROM quarantine WHERE reason LIKE '%did not pass authentication%'")" -eq 1 ]
check "... the case is unchanged, and no new case was opened" \
	[ "$(sql "SELECT group_concat(state) FROM cases")" = tilldelad ]

done_testing
