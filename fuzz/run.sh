#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs one harness built by fuzz/build.sh for a bounded time, its corpus
# seeded from the test data; findings go to BUILDDIR/fuzz/crashes/TARGET/.
#   fuzz/run.sh BUILDDIR TARGET [SECONDS]
# TARGET is mail, html, reply, handler, gsm, smsin, smstools, smpp,
# template, workflow or scxml.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$1 t=$2 secs=${3:-600}
corpus=$build/fuzz/corpus/$t
mkdir -p "$corpus" "$build/fuzz/crashes/$t"
if [ -z "$(ls -A "$corpus")" ]; then
	case $t in
	mail) find "$top/tests/data/mime" "$top/tests/data/bounces" \
		"$top/tests/data/replies" -name '*.eml' ;;
	html) find "$top/tests/data" -name '*.html' ;;
	reply|handler) find "$top/tests/data/replies" -type f ;;
	workflow) find "$top/tests/data/workflow" "$top/workflows" \
		-name '*.xml' ;;
	scxml) find "$top/tests/data/scxml" -name '*.scxml' ;;
	template) find "$top/templates" "$top/tests/data/workflow/templates" \
		-type f ;;
	*) ;;
	esac | while read -r f; do
		cp "$f" "$corpus/$(echo "$f" | tr / _)"
	done
	# Structured inputs, written here: a fuzzer that starts from "Hej"
	# spends its first minutes finding the shape of a PDU or a spool
	# file.
	case $t in
	smsin)
		printf 'From: 46701234567\nTo: 72345\nId: smpp:abc\n\nGatlampan vid skolan är trasig. KS-2026-00042' >"$corpus/envelope"
		printf 'From: 0701234567\nParts: 2\n\nSTOPP' >"$corpus/stop"
		printf 'From: +46701234567\n\nHej 😀 \303\245\314\212' >"$corpus/emoji" ;;
	smstools)
		printf 'From: 46701234567\nFrom_SMSC: 46705008999\nSent: 25-12-05 10:00:00\nReceived: 25-12-05 10:00:05\nSubject: GSM1\nModem: GSM1\nIMSI: 240011234567890\nReport: no\nAlphabet: UTF-8\nLength: 28\n\nGatlampan är trasig igen. Ö' >"$corpus/utf8"
		printf 'From: 46701234567\nAlphabet: ISO\nUDH-DATA: 05 00 03 A7 02 01\nLength: 7\n\nF\366rsta ' >"$corpus/part1"
		printf 'From: 46701234567\nAlphabet: UCS2\nLength: 6\n\n\000H\000e\000j' >"$corpus/ucs2" ;;
	smpp)
		# deliver_sm: header (length, id, status, sequence), then
		# service_type, source ton/npi/addr, dest ton/npi/addr,
		# esm_class, protocol_id, priority, schedule, validity,
		# registered_delivery, replace, data_coding, default msg id,
		# sm_length and the text
		printf '\000\000\000\000\000\000\000\005\000\000\000\000\000\000\000\001\000\001\00146701234567\000\000\00172345\000\000\000\000\000\000\000\000\000\000\011Hej igen!' >"$corpus/deliver"
		# a delivery receipt (esm_class 4) with its text fields
		printf '\000\000\000\000\000\000\000\005\000\000\000\000\000\000\000\002\000\001\00146701234567\000\000\00172345\000\004\000\000\000\000\000\000\000\000\103id:0A1B2C sub:001 dlvrd:001 submit date:2512051000 done date:2512051001 stat:DELIVRD' >"$corpus/receipt" ;;
	gsm)
		# first octet: encoding and UDHI; second: TP-UDL
		printf '\000\005\310\062\233\375\006' >"$corpus/gsm7"
		printf '\100\014\005\000\003\247\002\001\000H\000e\000j' >"$corpus/ucs2-udh" ;;
	*) ;;
	esac
	[ -n "$(ls -A "$corpus")" ] || printf 'Hej' >"$corpus/seed"
fi
case $t in
mail) max=65536 ;;
html|reply|handler|template) max=32768 ;;
workflow|scxml) max=16384 ;;
*) max=4096 ;;
esac
exec "$build/fuzz/fuzz-$t" -max_len=$max -timeout=5 -rss_limit_mb=2048 \
	-max_total_time="$secs" -artifact_prefix="$build/fuzz/crashes/$t/" \
	"$corpus"
