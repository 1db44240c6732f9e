#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The SMPP gateway against an SMSC simulator (tests/smsc.js, on the npm
# package smpp) that this script starts on loopback. What the simulator
# answered is recorded as JSON lines, which the checks read: each SMS
# accepted exactly once with the right data_coding, header and text,
# rows 'sent' with the SMSC's id, receipts recorded (DELIVRD delivered,
# UNDELIV failed), a throttled submit sent again, a connection dropped
# with a full window and every row still accepted exactly once, a
# submit whose answer the SMSC lost sent again after a reconnect, an
# inbound concatenated SMS put together, a second delivery of an inbound
# SMS dropped, one that cannot be read quarantined, and an unbind on
# SIGTERM.
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE=
unset CIRM_CONF
CIRM_GATEWAY=$top_builddir/cirm-gateway
SMSC=$top_srcdir/tests/smsc.js

command -v node >/dev/null || skip_all "node not installed (apt-get install nodejs npm)"
command -v sqlite3 >/dev/null || skip_all "sqlite3 not installed (apt-get install sqlite3)"
# The module: NODE_PATH as CI sets it, else installed beside the
# simulator (npm ci --prefix tests/smsc).
NODE_PATH=${NODE_PATH:+$NODE_PATH:}$top_srcdir/tests/smsc/node_modules:$top_builddir/tests/smsc/node_modules
export NODE_PATH
node -e 'require("smpp")' 2>/dev/null ||
	skip_all "the npm package smpp is not installed (npm ci --prefix tests/smsc)"

I=$T/inst
C=$I/cirm.conf
DB=$I/cirm.db
CIRM_DATADIR=${CIRM_DATADIR:-$top_srcdir} "$CIRMCTL" init "$I" >/dev/null || exit 99
printf 'hemligt\n' >"$I/smpp.password"
chmod 600 "$I/smpp.password"
cat >>"$C" <<EOT
sms_transport = smpp
smpp_host = 127.0.0.1
smpp_tls = none
smpp_source = +46700000001
smpp_system_type = cirmtest
smpp_enquire_link = 5
smtp_retry_delay = 1
smtp_poll_interval = 1
EOT

sql() { sqlite3 "$DB" "$@"; }

smsc_pid=
# start_smsc NAME OPTION...: a fresh simulator recording to $T/NAME.rec.
start_smsc() {
	name=$1
	shift
	rm -f "$T/ready"
	mkdir -p "$T/ctl"
	node "$SMSC" --ready "$T/ready" --record "$T/$name.rec" --ctl "$T/ctl" \
		--undeliv 46700000666 "$@" >"$T/$name.smsc.log" 2>&1 &
	smsc_pid=$!
	for _ in $(seq 100); do
		[ -s "$T/ready" ] && break
		sleep 0.1
	done
	[ -s "$T/ready" ] || { echo "Bail out! the simulator did not start: $(cat "$T/$name.smsc.log")"; exit 99; }
	sed -i '/^smpp_port/d' "$C"
	echo "smpp_port = $(cat "$T/ready")" >>"$C"
	: >>"$T/$name.rec"
}

stop_smsc() {
	[ -n "$smsc_pid" ] && kill "$smsc_pid" 2>/dev/null && wait "$smsc_pid" 2>/dev/null
	smsc_pid=
}

gw_pid=
start_gw() {
	"$CIRM_GATEWAY" -c "$C" smpp 2>>"$T/gateway.log" &
	gw_pid=$!
}

stop_gw() {
	[ -n "$gw_pid" ] && kill -TERM "$gw_pid" 2>/dev/null && wait "$gw_pid" 2>/dev/null
	gw_pid=
}

trap 'stop_gw; stop_smsc; rm -rf "$T"' EXIT

# wait_for SECONDS SQL: until the query prints 1.
wait_for() {
	n=$(($1 * 10))
	while [ "$n" -gt 0 ]; do
		[ "$(sql "$2")" = 1 ] && return 0
		sleep 0.1
		n=$((n - 1))
	done
	echo "# timed out waiting for: $2" >&2
	return 1
}

put() { # RECIPIENT TEXT
	sql "INSERT INTO outbox (channel, recipient, body, created_at)
	     VALUES ('sms', '$1', CAST('$2' AS BLOB), strftime('%s', 'now'))"
}

# accepted REC TEXT: how many submits of exactly TEXT the SMSC took.
accepted() {
	grep -F "\"ev\":\"submit\"" "$1" | grep -cF "\"text\":\"$2\""
}

# --- outbound: encodings, parts, receipts ----------------------------
sv='Hej! Vi har tagit emot ditt ärende om gatlyktan på Åsgatan. Hälsningar, Gatukontoret'
long=$(printf 'Ärendet KS-2026-00042 är nu avslutat. %.0s' 1 2 3 4 5)
long=${long% }
emoji='Tack för bilden 😀👍'
put +46701234567 "$sv"
put +46701234567 "$long"
put +46701234567 "$emoji"
put +46700000666 'Detta når aldrig fram.'
put 0701234567 'Inget internationellt nummer.'
start_smsc basic
start_gw
check "every row is sent or failed" \
	wait_for 20 "SELECT count(*) = 0 FROM outbox WHERE status IN ('queued', 'sending')"
check "receipts: DELIVRD sets delivered_at, UNDELIV fails the row" \
	wait_for 20 "SELECT (SELECT count(*) FROM outbox WHERE delivered_at IS NOT NULL) = 3
	  AND (SELECT count(*) FROM outbox WHERE status = 'failed'
	       AND recipient = '+46700000666' AND last_error LIKE '%UNDELIV%err:001%') = 1"
stop_gw
R=$T/basic.rec
check "bound with system_type" grep -q '"ev":"bind","ok":true,"system_type":"cirmtest"' "$R"
check "Swedish text accepted once, GSM 7-bit (data_coding 0), no UDH" \
	test "$(grep -F "\"text\":\"$sv\"" "$R" | grep -c '"dc":0,"esm":0,"reg":1,"concat":null')" = 1
check "emoji text accepted once as UCS-2 (data_coding 8)" \
	test "$(grep -F "\"text\":\"$emoji\"" "$R" | grep -c '"dc":8,"esm":0')" = 1
n1=$(grep '"concat":"[0-9]*/2/1"' "$R" | sed 's/.*"text":"\(.*\)"}$/\1/')
n2=$(grep '"concat":"[0-9]*/2/2"' "$R" | sed 's/.*"text":"\(.*\)"}$/\1/')
check "the long text goes as 2 parts with UDH (esm_class 0x40), whole" \
	test "$(grep -c '"dc":0,"esm":64,"reg":1,"concat":"[0-9]*/2/[12]"' "$R")" = 2 -a "$n1$n2" = "$long"
check "source number as international (TON 1), destination too" \
	test "$(grep -c '"to":"46701234567","to_ton":1,"from":"46700000001","from_ton":1' "$R")" = 4
check "rows sent carry the SMSC's id of their first part" \
	test "$(sql "SELECT count(*) FROM outbox WHERE remote_id LIKE 'm%'")" = 4
id_long=$(grep '"concat":"[0-9]*/2/1"' "$R" | sed 's/.*"id":"\(m[0-9]*\)".*/\1/')
check "the 2-part row keeps part 1's id" \
	test "$(sql "SELECT remote_id FROM outbox_mail WHERE body = CAST('$long' AS BLOB)")" = "$id_long"
check "a recipient that is not E.164 fails without a submit" \
	test "$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = '0701234567' AND status = 'failed'")" = 1
check "every receipt was answered ESME_ROK" \
	test "$(grep '"ev":"receipt_resp"' "$R" | grep -vc '"status":0')" = 0
check "SIGTERM unbinds" grep -q '"ev":"unbind"' "$R"
check "no phone number or text in the log" \
	sh -c "! grep -Eq '4670|Hej|Ärendet|😀' '$T/gateway.log'"
stop_smsc

# --- throttled once --------------------------------------------------
sql "DELETE FROM outbox"
for i in 1 2 3 4 5; do put +46701234567 "Throttle $i"; done
start_smsc throttle --throttle-at 2
start_gw
check "throttled: every row sent" \
	wait_for 20 "SELECT count(*) = 5 FROM outbox WHERE status = 'sent'"
stop_gw
check "the SMSC throttled once" grep -q '"ev":"throttled"' "$T/throttle.rec"
ok_all=1
for i in 1 2 3 4 5; do
	[ "$(accepted "$T/throttle.rec" "Throttle $i")" = 1 ] || ok_all=0
done
check "throttled: each accepted exactly once" test $ok_all = 1
stop_smsc

# --- a system error of the SMSC: for now, not for good ------------------
sql "DELETE FROM outbox"
for i in 1 2 3; do put +46701234567 "Systemfel $i"; done
start_smsc syserr --syserr-at 2
start_gw
check "system error: every row sent in the end" \
	wait_for 20 "SELECT count(*) = 3 FROM outbox WHERE status = 'sent'"
stop_gw
check "the SMSC answered ESME_RSYSERR once" grep -q '"ev":"syserr"' "$T/syserr.rec"
ok_all=1
for i in 1 2 3; do
	[ "$(accepted "$T/syserr.rec" "Systemfel $i")" = 1 ] || ok_all=0
done
check "system error: each accepted exactly once" test $ok_all = 1
check "system error: the row was tried again, the error kept" \
	test "$(sql "SELECT count(*) FROM outbox WHERE attempts = 1 AND last_error LIKE 'ESME_RSYSERR%'")" = 1
stop_smsc

# --- the connection drops with a full window ---------------------------
sql "DELETE FROM outbox"
for i in $(seq 1 30); do put +46701234567 "Meddelande $i"; done
start_smsc drop --drop-after 5
start_gw
check "dropped: every row sent after the reconnect" \
	wait_for 40 "SELECT count(*) = 30 FROM outbox WHERE status = 'sent'"
stop_gw
check "the SMSC dropped the connection mid-window" grep -q '"ev":"drop"' "$T/drop.rec"
check "the gateway bound again" test "$(grep -c '"ev":"bind","ok":true' "$T/drop.rec")" -ge 2
ok_all=1
for i in $(seq 1 30); do
	[ "$(accepted "$T/drop.rec" "Meddelande $i")" = 1 ] || { ok_all=0; echo "# Meddelande $i: $(accepted "$T/drop.rec" "Meddelande $i")"; }
done
check "dropped: each accepted exactly once" test $ok_all = 1
check "dropped: unanswered rows were put back with a reason" \
	test "$(sql "SELECT count(*) FROM outbox WHERE attempts > 0 AND last_error LIKE '%broke%'")" -ge 1
stop_smsc

# --- an answer that never comes ----------------------------------------
# The SMSC takes a submit_sm and its answer is lost, while the session
# goes on (enquire_link answered): the row must not wait for ever in
# the window, and the rows after it must not wait behind it.
sql "DELETE FROM outbox"
for i in $(seq 1 12); do put +46701234567 "Borttappat svar $i"; done
start_smsc lose --lose-at 3
start_gw
check "lost answer: every row sent in the end" \
	wait_for 40 "SELECT count(*) = 12 FROM outbox WHERE status = 'sent'"
put +46701234567 "Efteråt"
check "... and a row queued afterwards too" \
	wait_for 20 "SELECT count(*) = 13 FROM outbox WHERE status = 'sent'"
stop_gw
check "the SMSC lost an answer" grep -q '"ev":"lost"' "$T/lose.rec"
ok_all=1
for i in $(seq 1 12); do
	[ "$(accepted "$T/lose.rec" "Borttappat svar $i")" = 1 ] || ok_all=0
done
check "lost answer: each accepted exactly once" test $ok_all = 1
stop_smsc

# --- a long text whole in message_payload -----------------------------
sql "DELETE FROM outbox"
put +46701234567 "$long"
echo "smpp_long = payload" >>"$C"
start_smsc payload --no-receipts
run timeout 20 "$CIRM_GATEWAY" -c "$C" --once smpp
check "smpp_long = payload: one submit_sm, whole text in message_payload" \
	test "$(grep -F "\"text\":\"$long\"" "$T/payload.rec" | grep -c '"dc":0,"esm":0,"reg":1,"concat":null,"payload":true')" = 1 -a \
	"$(grep -c '"ev":"submit"' "$T/payload.rec")" = 1
sed -i '/^smpp_long/d' "$C"
stop_smsc

# --- receipts that write the message id in another base ----------------
# An SMSC that answers submit_sm with hex ids and writes its receipts in
# decimal: until smpp_receipt_ids says so no receipt finds its row, and
# the log says what to set; then both are recorded.
sql "DELETE FROM outbox"
put +46701234567 'Kvittot skrivs decimalt.'
put +46700000666 'Kvittot skrivs decimalt, når inte fram.'
start_smsc hexdec --hex-decimal
start_gw
n=200
until [ "$(grep -c '"ev":"receipt_resp"' "$T/hexdec.rec" 2>/dev/null)" = 2 ] ||
      [ "$n" -eq 0 ]; do
	sleep 0.1
	n=$((n - 1))
done
stop_gw
stop_smsc
check_all "ids in hex, receipts in decimal: unmatched as sent, and the log says what to set" <<-'EOF'
	[ "$(sql "SELECT count(*) FROM outbox WHERE status = 'sent' AND delivered_at IS NULL AND remote_id GLOB '1A2B0[12]'")" = 2 ] && \
	grep -q 'smpp_receipt_ids = hex-decimal' "$T/gateway.log"
EOF
sql "DELETE FROM outbox"
put +46701234567 'Kvittot skrivs decimalt.'
put +46700000666 'Kvittot skrivs decimalt, når inte fram.'
echo "smpp_receipt_ids = hex-decimal" >>"$C"
# The second receipt carries the id as the answer gave it in its
# receipted_message_id, as SMPP has it: read in hex, since it is no
# decimal number.
start_smsc hexdec2 --hex-decimal --tlv-as-sent
start_gw
check "smpp_receipt_ids = hex-decimal: DELIVRD and UNDELIV recorded on their rows" \
	wait_for 20 "SELECT (SELECT count(*) FROM outbox WHERE delivered_at IS NOT NULL
	    AND recipient = '+46701234567' AND remote_id = '$((0x1A2B01))') = 1
	  AND (SELECT count(*) FROM outbox WHERE status = 'failed'
	    AND recipient = '+46700000666' AND remote_id = '$((0x1A2B02))'
	    AND last_error LIKE '%UNDELIV%') = 1"
stop_gw
stop_smsc
sed -i '/^smpp_receipt_ids/d' "$C"

# --- inbound ---------------------------------------------------------
sql "DELETE FROM outbox"
start_smsc inbound
start_gw
cat >"$T/ctl/mo.json.tmp" <<'EOT'
[{"from":"46701234567","to":"46700000001","dc":0,"udh":"050003420202","text":" på Storgatan är trasig."},
 {"from":"46701234567","to":"46700000001","dc":0,"udh":"050003420201","text":"Gatlyktan utanför nr 5"},
 {"from":"46701234568","to":"46700000001","dc":8,"text":"Hej 😀 igen","tlvs":{"receipted_message_id":"MO-77"}},
 {"from":"46701234568","to":"46700000001","dc":8,"text":"Hej 😀 igen","tlvs":{"receipted_message_id":"MO-77"}},
 {"from":"46701234569","to":"46700000001","dc":3,"text":"två","tlvs":{"sar_msg_ref_num":7,"sar_total_segments":2,"sar_segment_seqnum":2}},
 {"from":"46701234569","to":"46700000001","dc":0,"text":"Del ett, del ","tlvs":{"sar_msg_ref_num":7,"sar_total_segments":2,"sar_segment_seqnum":1}}]
EOT
mv "$T/ctl/mo.json.tmp" "$T/ctl/mo.json"
check "inbound: every deliver_sm answered ESME_ROK" \
	sh -c "for i in \$(seq 100); do [ \$(grep -c '\"ev\":\"mo_resp\",\"tag\":\"mo\",\"status\":0' '$T/inbound.rec') = 6 ] && exit 0; sleep 0.1; done; exit 1"
stop_gw
env1=$(sql "SELECT CAST(raw AS TEXT) FROM inbox_message WHERE channel = 'sms' AND CAST(raw AS TEXT) LIKE 'From: +46701234567%'")
check "inbound concatenated out of order: one whole message" \
	test "$env1" = "$(printf 'From: +46701234567\nTo: +46700000001\n\nGatlyktan utanför nr 5 på Storgatan är trasig.')"
check "inbound twice with one receipted_message_id: one row" \
	test "$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE 'From: +46701234568%Id: MO-77%Hej 😀 igen'")" = 1
check "inbound parts by SAR TLVs, Latin-1 and GSM: one message" \
	test "$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE 'From: +46701234569%' || char(10) || char(10) || 'Del ett, del två'")" = 1
check "no parts left waiting" test "$(sql "SELECT count(*) FROM sms_part WHERE done_at IS NULL")" = 0
# data_coding as GSM 03.38 has it for a message class (a flash SMS):
# 0x11 the default alphabet, class 1; 0x18 UCS-2, class 0.
start_gw
cat >"$T/ctl/class.json.tmp" <<'EOT'
[{"from":"46701234571","to":"46700000001","dc":17,"hex":"426c697874"},
 {"from":"46701234572","to":"46700000001","dc":24,"hex":"0048006a00e4006c0070"}]
EOT
mv "$T/ctl/class.json.tmp" "$T/ctl/class.json"
check "inbound with a message class in data_coding: answered ESME_ROK" \
	sh -c "for i in \$(seq 100); do [ \$(grep -c '\"ev\":\"mo_resp\",\"tag\":\"class\",\"status\":0' '$T/inbound.rec') = 2 ] && exit 0; sleep 0.1; done; exit 1"
stop_gw
check "... and read as text: GSM 7-bit and UCS-2" \
	test "$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE 'From: +46701234571%' || char(10) || char(10) || 'Blixt'
	  OR CAST(raw AS TEXT) LIKE 'From: +46701234572%' || char(10) || char(10) || 'Hjälp'")" = 2
# An optional parameter cirm does not read, longer than libsmpp34 takes
# (it refused the PDU, and leaked the parameter).
start_gw
cat >"$T/ctl/vendor.json.tmp" <<'EOT'
[{"from":"46701234576","to":"46700000001","dc":0,"text":"Trasig skylt","vendor_octets":1100}]
EOT
mv "$T/ctl/vendor.json.tmp" "$T/ctl/vendor.json"
check "inbound with a vendor parameter of 1100 octets: answered ESME_ROK" \
	sh -c "for i in \$(seq 100); do [ \$(grep -c '\"ev\":\"mo_resp\",\"tag\":\"vendor\",\"status\":0' '$T/inbound.rec') = 1 ] && exit 0; sleep 0.1; done; exit 1"
stop_gw
check "... and read as the citizen's text" \
	test "$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE 'From: +46701234576%' || char(10) || char(10) || 'Trasig skylt'")" = 1
# data_coding 0 from an SMSC whose default alphabet is Latin-1: an
# octet above 0x7f is no GSM septet ("Hälsningar", not "Hdlsningar").
start_gw
cat >"$T/ctl/latin.json.tmp" <<'EOT'
[{"from":"46701234580","to":"46700000001","dc":0,"hex":"48e46c736e696e676172"},
 {"from":"46701234582","to":"46700000001","dc":0,"hex":"ASCII_HEX"}]
EOT
sed -i "s/ASCII_HEX/4d656a6c6120616e6e614065782e7365205b785f795d203524/" "$T/ctl/latin.json.tmp"
mv "$T/ctl/latin.json.tmp" "$T/ctl/latin.json"
check "inbound data_coding 0 in Latin-1: answered ESME_ROK" \
	sh -c "for i in \$(seq 100); do [ \$(grep -c '\"ev\":\"mo_resp\",\"tag\":\"latin\",\"status\":0' '$T/inbound.rec') = 2 ] && exit 0; sleep 0.1; done; exit 1"
stop_gw
check "... and read as Latin-1" \
	test "$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE 'From: +46701234580%' || char(10) || char(10) || 'Hälsningar'")" = 1
check "... and so is the next text of plain ASCII from that SMSC: @ stays @" \
	test "$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE 'From: +46701234582%' || char(10) || char(10) || 'Mejla anna@ex.se [x_y] 5$'")" = 1
# smpp_default_alphabet latin1: plain ASCII is Latin-1 from the first
# text on; gsm: an octet above 0x7f is no GSM text, and is quarantined.
echo "smpp_default_alphabet = latin1" >>"$C"
start_gw
cat >"$T/ctl/latin1.json.tmp" <<'EOT'
[{"from":"46701234586","to":"46700000001","dc":0,"hex":"ASCII_HEX"}]
EOT
sed -i "s/ASCII_HEX/4d656a6c6120616e6e614065782e7365205b785f795d203524/" "$T/ctl/latin1.json.tmp"
mv "$T/ctl/latin1.json.tmp" "$T/ctl/latin1.json"
check "smpp_default_alphabet = latin1: answered ESME_ROK" \
	sh -c "for i in \$(seq 100); do [ \$(grep -c '\"ev\":\"mo_resp\",\"tag\":\"latin1\",\"status\":0' '$T/inbound.rec') = 1 ] && exit 0; sleep 0.1; done; exit 1"
stop_gw
check "... plain ASCII read as Latin-1 from the first text" \
	test "$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE 'From: +46701234586%' || char(10) || char(10) || 'Mejla anna@ex.se [x_y] 5$'")" = 1
sed -i '/^smpp_default_alphabet/d' "$C"
echo "smpp_default_alphabet = gsm" >>"$C"
start_gw
cat >"$T/ctl/gsm.json.tmp" <<'EOT'
[{"from":"46701234587","to":"46700000001","dc":0,"hex":"48e46c736e696e676172"}]
EOT
mv "$T/ctl/gsm.json.tmp" "$T/ctl/gsm.json"
check "smpp_default_alphabet = gsm: an octet above 0x7f, answered ESME_ROK" \
	sh -c "for i in \$(seq 100); do [ \$(grep -c '\"ev\":\"mo_resp\",\"tag\":\"gsm\",\"status\":0' '$T/inbound.rec') = 1 ] && exit 0; sleep 0.1; done; exit 1"
stop_gw
sed -i '/^smpp_default_alphabet/d' "$C"
check "... is quarantined, saying why" \
	test "$(sql "SELECT count(*) FROM quarantine WHERE reason LIKE '%above 0x7f in GSM 7-bit%smpp_default_alphabet gsm%'")" = 1
# An intermediate delivery notification (esm_class 0x20: "buffered,
# still trying") about an SMS we sent comes from the citizen's number
# in a receipt's words: a receipt, never a citizen's SMS.
start_gw
cat >"$T/ctl/interim.json.tmp" <<'EOT'
[{"from":"46701234581","to":"46700000001","dc":0,"text":"id:m999 sub:001 dlvrd:000 submit date:2601011200 done date:2601011201 stat:ENROUTE err:000 text:","tlvs":{"esm_class":32}}]
EOT
mv "$T/ctl/interim.json.tmp" "$T/ctl/interim.json"
check "inbound intermediate notification: answered ESME_ROK" \
	sh -c "for i in \$(seq 100); do [ \$(grep -c '\"ev\":\"mo_resp\",\"tag\":\"interim\",\"status\":0' '$T/inbound.rec') = 1 ] && exit 0; sleep 0.1; done; exit 1"
stop_gw
check "... and not taken for a citizen's SMS" \
	test "$(sql "SELECT (SELECT count(*) FROM inbox_message WHERE instr(raw, CAST('stat:ENROUTE' AS BLOB)) > 0) + (SELECT count(*) FROM quarantine WHERE instr(raw, CAST('stat:ENROUTE' AS BLOB)) > 0)")" = 0
# An emoji split between two UCS-2 parts (its surrogate pair cut in
# two, as some phones do): the parts joined, it is whole again.
start_gw
cat >"$T/ctl/pair.json.tmp" <<'EOT'
[{"from":"46701234576","to":"46700000001","dc":8,"hex":"050003550202de000020006400e5","tlvs":{"esm_class":64}},
 {"from":"46701234576","to":"46700000001","dc":8,"hex":"05000355020100480065006a0020d83d","tlvs":{"esm_class":64}},
 {"from":"46701234578","to":"46700000001","dc":0,"hex":"0500035602015072697320351b","tlvs":{"esm_class":64}},
 {"from":"46701234578","to":"46700000001","dc":0,"hex":"050003560202652c201b3c6f6b1b3e","tlvs":{"esm_class":64}}]
EOT
mv "$T/ctl/pair.json.tmp" "$T/ctl/pair.json"
check "inbound emoji split between parts: answered ESME_ROK" \
	sh -c "for i in \$(seq 100); do [ \$(grep -c '\"ev\":\"mo_resp\",\"tag\":\"pair\",\"status\":0' '$T/inbound.rec') = 4 ] && exit 0; sleep 0.1; done; exit 1"
stop_gw
check "... and the emoji is whole, not two U+FFFD" \
	test "$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE 'From: +46701234576%' || char(10) || char(10) || 'Hej 😀 då'")" = 1
check "a GSM 7-bit escape split between parts: the extended character" \
	test "$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE 'From: +46701234578%' || char(10) || char(10) || 'Pris 5€, [ok]'")" = 1
# A national number (TON 2), which the network gives without its
# trunk prefix: national for the engine ("0..."), not "+7...".
start_gw
cat >"$T/ctl/national.json.tmp" <<'EOT'
[{"from":"701234577","to":"72456","dc":0,"text":"Nationellt","tlvs":{"source_addr_ton":2,"dest_addr_ton":2}},
 {"from":"701234584","to":"72456","dc":0,"text":"Okand typ","tlvs":{"source_addr_ton":0,"dest_addr_ton":0}},
 {"from":"46701234585","to":"72456","dc":0,"text":"Okand med landskod","tlvs":{"source_addr_ton":0,"dest_addr_ton":0}},
 {"from":"0046701234583","to":"46700000001","dc":0,"text":"Med 00","tlvs":{"source_addr_ton":1}},
 {"from":"46701234579","to":"46700000001","dc":8,"text":"","tlvs":{"message_payload":{"message":"LONG_TEXT"}}}]
EOT
# A long text the SMSC put together, whole in message_payload (here
# 1,102 octets, more than the 1,024 libsmpp34 reads).
long_mo=$(printf 'Lång text med åäö. %.0s' $(seq 29))
long_mo=${long_mo% }
sed -i "s/LONG_TEXT/$long_mo/" "$T/ctl/national.json.tmp"
mv "$T/ctl/national.json.tmp" "$T/ctl/national.json"
check "inbound from a national number: answered ESME_ROK" \
	sh -c "for i in \$(seq 100); do [ \$(grep -c '\"ev\":\"mo_resp\",\"tag\":\"national\",\"status\":0' '$T/inbound.rec') = 5 ] && exit 0; sleep 0.1; done; exit 1"
stop_gw
check "... and its sender is national, with the trunk prefix" \
	test "$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE 'From: 0701234577' || char(10) || '%Nationellt'")" = 1
check "a sender of unknown type (TON 0) without the country code is national" \
	test "$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE 'From: 0701234584' || char(10) || '%Okand typ'")" = 1
check "... with it, international, not \"+7...\" abroad" \
	test "$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE 'From: +46701234585' || char(10) || '%Okand med landskod'")" = 1
check "... while our short code stays as it came" \
	test "$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE 'From: 0701234577' || char(10) || 'To: 72456' || char(10) || '%'")" = 1
check "a number labelled international but written with 00 is not made \"+00...\"" \
	test "$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE 'From: 0046701234583' || char(10) || '%Med 00'")" = 1
check "a long text in message_payload is read whole, not quarantined" \
	test "$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) = 'From: +46701234579' || char(10) || 'To: +46700000001' || char(10) || char(10) || '$long_mo'")" = 1
# A very long text the SMSC put together (a 32-part SMS: 2,112
# characters, 4,224 octets of UCS-2): more than one PDU of 4 KB, but
# message_payload takes up to 64 KB. Refused, the SMSC would send it
# again and again, and nothing else would get through meanwhile.
start_gw
huge_mo=$(printf 'Klagomål om snöröjningen på Storgatan, igen. %.0s' $(seq 48))
huge_mo=${huge_mo% }
printf '[{"from":"46701234584","to":"46700000001","dc":8,"text":"","tlvs":{"message_payload":{"message":"%s"}}}]\n' \
	"$huge_mo" >"$T/ctl/huge.json.tmp"
mv "$T/ctl/huge.json.tmp" "$T/ctl/huge.json"
check "inbound PDU larger than 4 KB: answered ESME_ROK" \
	sh -c "for i in \$(seq 100); do [ \$(grep -c '\"ev\":\"mo_resp\",\"tag\":\"huge\",\"status\":0' '$T/inbound.rec') = 1 ] && exit 0; sleep 0.1; done; exit 1"
stop_gw
check "... and read whole" \
	test "$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) = 'From: +46701234584' || char(10) || 'To: +46700000001' || char(10) || char(10) || '$huge_mo'")" = 1
# What cannot be read is kept, not refused (the SMSC would drop it):
# binary data, UCS-2 of an odd number of octets.
start_gw
cat >"$T/ctl/bad.json.tmp" <<'EOT'
[{"from":"46701234573","to":"46700000001","dc":4,"hex":"0a0b0c"},
 {"from":"46701234574","to":"46700000001","dc":8,"hex":"004800"},
 {"from":"46701234575","to":"46700000001","dc":0,"text":"Hej","vendor":300},
 {"from":"46701234588","to":"46700000001","dc":0,"hex":"4142","tlvs":{"message_payload":{"message":"och payload"}}}]
EOT
mv "$T/ctl/bad.json.tmp" "$T/ctl/bad.json"
# (libsmpp34 overruns its message buffer on a PDU of many TLVs.)
check "inbound that cannot be read: answered ESME_ROK" \
	sh -c "for i in \$(seq 100); do [ \$(grep -c '\"ev\":\"mo_resp\",\"tag\":\"bad\",\"status\":0' '$T/inbound.rec') = 4 ] && exit 0; sleep 0.1; done; exit 1"
stop_gw
check "... and quarantined with the reason" \
	test "$(sql "SELECT group_concat(reason, '|') FROM (SELECT reason FROM quarantine WHERE source = 'smpp' AND reason NOT LIKE '%smpp_default_alphabet%' ORDER BY id)")" = \
	"data_coding that is not text (data_coding 0x04)|UCS-2 text of an odd number of octets (data_coding 0x08)|a deliver_sm with more than 20 optional parameters|both short_message and message_payload (SMPP 3.4 5.3.2.32): which is the text?"
check "... the log names no number" sh -c "! grep -q 46701234573 '$T/gateway.log'"
stop_smsc

# --- a sender name citizens cannot answer --------------------------------
sed -i 's/^smpp_source = .*/smpp_source = Kommunen/' "$C"
start_smsc name
run timeout 20 "$CIRM_GATEWAY" -c "$C" --once smpp
check "smpp_source a name: the administrator is warned citizens cannot answer" \
	contains "$err" "smpp_source is the name 'Kommunen': citizens cannot answer"
stop_smsc
# A short code citizens write to and answer: sent as a number (TON 2
# national), not as a name phones cannot answer.
sed -i 's/^smpp_source = .*/smpp_source = 72456/' "$C"
sql "DELETE FROM outbox"
put +46701234567 "Från kortnumret."
start_smsc short --no-receipts
run timeout 20 "$CIRM_GATEWAY" -c "$C" --once smpp
check_all "smpp_source a short code: sent as a national number, without the warning" <<-'EOF'
	grep -F '"text":"Från kortnumret."' "$T/short.rec" | grep -q '"from":"72456","from_ton":2' && \
	! printf "%s" "$err" | grep -q "citizens cannot answer"
EOF
sed -i 's/^smpp_source = .*/smpp_source = +46700000001/' "$C"
stop_smsc

# --- refusals ----------------------------------------------------------
start_smsc refused --password annat
run timeout 20 "$CIRM_GATEWAY" -c "$C" --once smpp
check "a wrong password: the bind is refused and said so" \
	contains "$err" "bind refused: ESME_RINVPASWD"
stop_smsc
# An SMSC that still holds the session of a gateway that died (it has
# not seen the connection end) refuses the bind for now: nothing for
# the administrator to change.
start_smsc refused2 --bind-status 5
run timeout 20 "$CIRM_GATEWAY" -c "$C" --once smpp
check_all "a bind refused as already bound: said so, and not blamed on the password" <<-'EOF'
	contains "$err" "bind refused: ESME_RALYBND" && \
	contains "$err" "the SMSC still holds a session" && \
	! printf '%s' "$err" | grep -q smpp_password_file
EOF
chmod 644 "$I/smpp.password"
run timeout 20 "$CIRM_GATEWAY" -c "$C" --once smpp
check "a world-readable password file is refused" \
	contains "$err" "accessible to group or others"
chmod 600 "$I/smpp.password"
stop_smsc

# --- TLS -------------------------------------------------------------------
# An SMSC speaking TLS with a certificate for 127.0.0.1 from our own CA:
# verified, then bound; one from another CA: refused before the bind,
# so the password never leaves.
command -v openssl >/dev/null || skip_all "openssl not installed (apt-get install openssl)"
make_ca ca && make_cert smsc ca "IP:127.0.0.1" && make_ca other &&
	make_cert forged other "IP:127.0.0.1" || exit 99
sed -i '/^smpp_tls/d' "$C"
printf 'smpp_tls = implicit
smpp_ca_file = %s
' "$T/ca.pem" >>"$C"
sql "DELETE FROM outbox"
put +46701234567 "Över TLS."
start_smsc tls --tls-key "$T/smsc.key" --tls-cert "$T/smsc.pem"
run timeout 20 "$CIRM_GATEWAY" -c "$C" --once smpp
check "TLS: the certificate holds, the gateway binds and sends" \
	test "$rc" -eq 0 -a "$(accepted "$T/tls.rec" "Över TLS.")" = 1
stop_smsc
put +46701234567 "Aldrig i klartext."
start_smsc forged --tls-key "$T/forged.key" --tls-cert "$T/forged.pem"
run timeout 20 "$CIRM_GATEWAY" -c "$C" --once smpp
check "TLS: a certificate from another CA is refused" \
	contains "$err" "certificate"
check "... before any bind (the password stays here)" \
	test "$(grep -c '"ev":"bind"' "$T/forged.rec")" = 0
check "... and the SMS waits in the outbox" \
	test "$(sql "SELECT status FROM outbox_mail WHERE body = CAST('Aldrig i klartext.' AS BLOB)")" = queued
stop_smsc

done_testing
