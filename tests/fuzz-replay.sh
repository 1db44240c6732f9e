#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The fuzz harnesses, built without libFuzzer (fuzz/replay.c), each run
# over the seeds fuzz/run.sh starts a corpus from, and over a few inputs
# of their own kind: a harness the code has left behind does not build,
# and one whose checks no longer hold aborts here, under the sanitizers
# too. (The fuzzing itself: fuzz/README.)
. "${top_srcdir:-.}/tests/lib.sh"
F=$top_builddir/fuzz
[ -x "$F/replay-mail" ] ||
	skip_all "no replay harnesses: configured with --enable-fuzzing (make fuzz)"
D=$top_srcdir/tests/data

# seeds TARGET: the files fuzz/run.sh seeds TARGET's corpus with.
seeds() {
	case $1 in
	mail) find "$D/mime" "$D/bounces" "$D/replies" -name '*.eml' ;;
	html) find "$D" -name '*.html' ;;
	reply|handler) find "$D/replies" -type f ;;
	workflow) find "$D/workflow" "$top_srcdir/workflows" -name '*.xml' ;;
	scxml) find "$D/scxml" -name '*.scxml' ;;
	template) find "$top_srcdir/templates" "$D/workflow/templates" -type f ;;
	esac
}

# Inputs of the binary kinds, which have no seed files: an SMS text, an
# smsd file, a deliver_sm, a GSM 7-bit user data.
printf 'Hej! Lampan på Storgatan är trasig. €[~]' >"$T/text"
printf 'From: 46701234567\nFrom_TOA: 81 unknown\nSent: 26-12-04 10:00:00\nAlphabet: ISO\n\nH\303\244r \303\244r \303\266' >"$T/smsd"
printf '\000\000\000\000\000\000\000\005\000\000\000\000\000\000\000\001\000\000\00046701234567\000\000\00046700000001\000\000\000\000\000\000\000\000\000\004Hej!' >"$T/pdu"
printf '\000\001Hej' >"$T/empty-ish"

for t in gsm handler html mail reply scxml smpp smsin smstools template workflow; do
	files=$(seeds $t | sort)
	n=$(printf '%s\n' "$files" | grep -c .)
	# shellcheck disable=SC2086
	if "$F/replay-$t" $files "$T/text" "$T/smsd" "$T/pdu" "$T/empty-ish" \
		2>"$T/$t.err"; then
		ok "fuzz/fuzz-$t.c replays its $n seeds and the binary inputs"
	else
		not_ok "fuzz/fuzz-$t.c replays its $n seeds and the binary inputs"
		sed 's/^/# /' "$T/$t.err" | head -20
	fi
done
check "the mail harness has seeds to replay" [ "$(seeds mail | grep -c .)" -ge 20 ]

done_testing
