#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The whole SMS loop through cirmd and its gateways: a citizen's SMS ->
# a case and an SMS acknowledgement -> the handler's notification by
# mail -> the handler's reply by mail -> the answer as an SMS; then STOP.
# First on the embedded default (smstools3 spool directories), then
# through an SMSC simulator over SMPP (tests/smsc.js).
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE=
unset CIRM_CONF

command -v sqlite3 >/dev/null || skip_all "sqlite3 command-line tool not installed (apt-get install sqlite3)"
command -v node >/dev/null || skip_all "node not installed (apt-get install nodejs npm)"
NODE_PATH=${NODE_PATH:+$NODE_PATH:}$top_srcdir/tests/smsc/node_modules:$top_builddir/tests/smsc/node_modules
export NODE_PATH
node -e 'require("smpp")' 2>/dev/null ||
	skip_all "the npm package smpp is not installed (npm ci --prefix tests/smsc)"

pids=
trap 'for p in $pids; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; rm -rf "$T"' EXIT

# wait_for CMD...: up to 20 s for CMD to succeed.
wait_for() {
	i=0
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 200 ] && return 1
		sleep 0.1
	done
}

# instance NAME: a fresh instance with eva, its cirmd not yet started.
instance() {
	I=$T/$1
	C=$I/cirm.conf
	"$CIRMCTL" init "$I" >/dev/null || exit 99
	printf 'engine_poll_interval = 1\nmaildir_poll_interval = 1\nsmtp_poll_interval = 1\nsms_poll_interval = 1\n' >>"$C"
	"$CIRMCTL" -c "$C" handler add eva --email eva@kommun.example \
		--name "Eva Ek" --group synpunkter >/dev/null || exit 99
}

sql() {
	sqlite3 -cmd '.timeout 5000' "$I/cirm.db" "$1"
}

start_cirmd() {
	"$CIRMD" -c "$C" >"$I/d.log" 2>&1 &
	pids="$pids $!"
}

# The notification eva got for the newest case; prints its path.
notification() {
	grep -l "Reply-To:" "$I/maildir/outbound/eva@kommun.example/new/"* 2>/dev/null | head -n 1
}

# eva_replies NOTE TEXT: eva answers notification NOTE from her mail
# client, through the Maildir the MTA delivers to.
eva_replies() {
	rt=$(sed -n 's/^Reply-To: //p' "$1" | tr -d '\r')
	f=$I/maildir/inbox/new/reply.$(date +%s%N)
	printf 'From: Eva Ek <eva@kommun.example>\nTo: %s\nSubject: Re: ärende\nMessage-ID: <%s@kommun.example>\n\n%s\n\n> citat\n' \
		"$rt" "$(date +%s%N)" "$2" >"$I/maildir/inbox/tmp/r"
	mv "$I/maildir/inbox/tmp/r" "$f"
}

# --- smstools3 spool directories (the embedded default) ----------------------
instance spool
S=$I/sms
start_cirmd
wait_for test -d "$S/incoming"
check "cirmd runs the smstools gateway by default" test -d "$S/incoming"
printf 'From: 46701234567\nFrom_TOA: 91 international, ISDN/telephone\nSent: 26-12-01 10:00:00\nReceived: 26-12-01 10:00:04\nAlphabet: UTF-8\n\nGatlyktan på Storgatan 5 är trasig.' \
	>"$S/incoming/GSM1.x1"
has_ack() { grep -l "Ärendenummer" "$S/outgoing/"cirm-* >/dev/null; }
wait_for has_ack
ack=$(grep -l "Ärendenummer" "$S/outgoing/"cirm-* 2>/dev/null | head -n 1)
check "the citizen's SMS becomes a case, acknowledged by SMS" [ -n "$ack" ]
number=$(sql "SELECT number FROM cases")
check "... an smstools file to the citizen's number with the case number" \
	sh -c "grep -qx 'To: 46701234567' '$ack' && grep -q '$number' '$ack'"
check "the spool file is taken" [ ! -e "$S/incoming/GSM1.x1" ]
wait_for notification
note=$(notification)
check "the handler is notified by mail" [ -n "$note" ]
check "... with the citizen's text" grep -q "Storgatan 5" "$note"
check "... saying the answer goes by SMS" grep -q "^Kanal: *sms: svaret g" "$note"
check "... and the citizen's number, masked" \
	grep -Eq '^Inv(å|=C3=A5)nare: +\+46 70 \*\*\* \*\* 67$' "$note"
eva_replies "$note" "Tack, vi lagar den i morgon."
has_answer() { grep -l "vi lagar den" "$S/outgoing/"cirm-* >/dev/null; }
wait_for has_answer
answer=$(grep -l "vi lagar den" "$S/outgoing/"cirm-* 2>/dev/null | head -n 1)
check "the handler's mail reply reaches the citizen as an SMS" [ -n "$answer" ]
check "... without the quoted notification" sh -c "! grep -q citat '$answer'"
check "... to the citizen's number" grep -qx 'To: 46701234567' "$answer"

printf 'From: 46701234567\nAlphabet: UTF-8\n\nSTOPP' >"$S/incoming/GSM1.x2"
has_confirm() { grep -l "inga fler sms" "$S/outgoing/"cirm-* >/dev/null; }
wait_for has_confirm
check "STOPP is confirmed by SMS" has_confirm
check "... and recorded" [ "$(sql "SELECT count(*) FROM sms_optout")" -eq 1 ]

# --- SMPP, through the SMSC simulator ----------------------------------------
instance smpp
printf 'hemligt\n' >"$I/smpp.password"
chmod 600 "$I/smpp.password"
mkdir -p "$T/ctl"
node "$top_srcdir/tests/smsc.js" --ready "$T/ready" --record "$T/smsc.rec" \
	--ctl "$T/ctl" >"$T/smsc.log" 2>&1 &
pids="$pids $!"
wait_for test -s "$T/ready"
printf 'sms_transport = smpp\nsmpp_host = 127.0.0.1\nsmpp_tls = none\nsmpp_port = %s\nsmpp_source = +46700000001\n' \
	"$(cat "$T/ready")" >>"$C"
start_cirmd
wait_for grep -q '"ev":"bind","ok":true' "$T/smsc.rec"
check "cirmd binds to the SMSC" grep -q '"ev":"bind","ok":true' "$T/smsc.rec"
printf '[{"from":"46709876543","to":"46700000001","dc":8,"text":"Hej! Soporna har inte hämtats på Ekvägen 😞"}]' >"$T/ctl/mo.tmp"
mv "$T/ctl/mo.tmp" "$T/ctl/mo.json"
ack_submitted() { grep '"ev":"submit"' "$T/smsc.rec" | grep -q 'rendenummer'; }
wait_for ack_submitted
check "an SMS over SMPP becomes a case, acknowledged over SMPP" ack_submitted
check "... to the sender, from our number" \
	sh -c "grep '\"ev\":\"submit\"' '$T/smsc.rec' | grep -q '\"to\":\"46709876543\",\"to_ton\":1,\"from\":\"46700000001\"'"
check "... and its text (with the emoji) is the case's" \
	[ "$(sql "SELECT count(*) FROM message WHERE body_stripped LIKE '%Ekvägen 😞'")" -eq 1 ]
wait_for notification
note=$(notification)
eva_replies "$note" "Vi kommer och hämtar i dag."
answer_submitted() { grep '"ev":"submit"' "$T/smsc.rec" | grep -q 'hämtar i dag'; }
wait_for answer_submitted
check "the handler's answer goes out over SMPP" answer_submitted
delivered() { [ "$(sql "SELECT count(*) FROM outbox WHERE channel = 'sms' AND delivered_at IS NOT NULL")" -ge 2 ]; }
wait_for delivered
check "... and the SMSC's receipts mark them delivered" delivered

for f in "$T"/spool/d.log "$T"/smpp/d.log; do
	check "no phone number in $(basename "$(dirname "$f")")'s log" \
		sh -c "! grep -q '4670123\|4670987' '$f'"
done

done_testing
