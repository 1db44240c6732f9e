#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# End to end through cirmd on its embedded defaults (run by bench/run.sh,
# or alone from the build directory): BENCH_E2E_N citizen mails dropped
# into the Maildir of a fresh instance with one case officer, then cirmd
# started as a service with its gateways (Maildir in, sink out). We time
# until every acknowledgement and every notification has been written
# into the recipients' Maildirs, and how long each citizen of that burst
# waited for the acknowledgement: from cirmd's start (every mail already
# waiting) to the acknowledgement going out (whole seconds: the outbox
# keeps seconds). Then, in a second instance, mails arrive one by one
# at a steady rate and we time each one from its arrival to its
# acknowledgement. Fails only when a mail was not handled as expected.
set -eu

n=${BENCH_E2E_N:-10000}
target=2000
srcdir=${top_srcdir:-$(dirname "$0")/..}
srcdir=$(cd "$srcdir" && pwd)
bm=./bench/bench-mail

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cirm-e2e.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	# BENCH_E2E_LEAVE: run.sh removes it with its other instances
	if [ -n "${BENCH_KEEP:-}" ]; then
		echo "kept: $tmp"
	elif [ -z "${BENCH_E2E_LEAVE:-}" ]; then
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT INT TERM

# instance DIR: a fresh instance with one case officer.
instance() {
	CIRM_DATADIR=$srcdir ./cirmctl init "$1" >/dev/null
	cat >>"$1/cirm.conf" <<EOC
engine_poll_interval = 1
maildir_poll_interval = 1
smtp_poll_interval = 1
engine_batch = 500
flood_max_cases = 100000
EOC
	./cirmctl -c "$1/cirm.conf" handler add eva \
		--email eva@kommun.example --group synpunkter >/dev/null
}

I=$tmp/inst
C=$I/cirm.conf
instance "$I"

sql() {
	sqlite3 -cmd '.timeout 10000' "$I/cirm.db" "$1"
}

# the mails, written beside the Maildir and then moved in all at once
mkdir -p "$tmp/mails"
$bm mailgate-input "$tmp/mails" "$n" >/dev/null
for f in "$tmp/mails"/*; do
	mv "$f" "$I/maildir/inbox/new/"
done
# what the setup wrote reaches the disk before the clock starts: the
# figure is cirm's work, not also the write-back of the setup's files
sync

start=$(date +%s.%N)
start_s=${start%.*}
./cirmd -c "$C" >/dev/null 2>"$tmp/cirmd.log" &
pid=$!
# done when nothing is left to take in or to send: bench-mail drained
# watches from one process (a loop of find and sqlite3 here took 5-7%
# of the two cores from cirmd) and prints when it saw that
end=$($bm drained "$I/cirm.db" "$I/maildir/inbox/new")
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=

cases=$(sql "SELECT count(*) FROM cases")
acks=$(sql "SELECT count(*) FROM outbox WHERE status = 'sent' AND headers LIKE '%auto-replied%' AND recipient <> 'eva@kommun.example'")
notes=$(sql "SELECT count(*) FROM outbox WHERE status = 'sent' AND recipient = 'eva@kommun.example'")
written=$(find "$I/maildir/outbound" -path '*/new/*' -type f | wc -l)
quarantined=$(sql "SELECT count(*) FROM quarantine")
secs=$(awk "BEGIN { print $end - $start }")
lat() {
	sql "WITH l AS (SELECT o.sent_at - $start_s AS d FROM outbox o WHERE o.headers LIKE '%auto-replied%' AND o.recipient <> 'eva@kommun.example'), r AS (SELECT d, row_number() OVER (ORDER BY d) AS k, count(*) OVER () AS c FROM l) SELECT d FROM r WHERE k = max(1, CAST(c * $1 AS INTEGER))"
}
p50=$(lat 0.5)
p99=$(lat 0.99)

echo "End to end: $n mails dropped into the Maildir, cirmd with its gateways (Maildir in, sink out); p50/p99: seconds from the start to each acknowledgement"
printf '%7s %7s %7s %8s %8s %9s %10s %7s %4s %7s %6s %6s\n' mails cases acks notices written seconds messages/s target met mails/s p50_s p99_s
mps=$(awk "BEGIN { printf \"%d\", ($acks + $notes) / $secs }")
mails_ps=$(awk "BEGIN { printf \"%d\", $n / $secs }")
met=NO
[ "$mps" -ge "$target" ] && met=yes
printf '%7d %7d %7d %8d %8d %9.2f %10d %7s %4s %7d %6s %6s\n' "$n" "$cases" \
	"$acks" "$notes" "$written" "$secs" "$mps" ">=$target" "$met" \
	"$mails_ps" "$p50" "$p99"
echo "(messages/s: acknowledgements and notifications written a second;" \
     "mails/s: citizen mails taken in a second)"

# Latency as a citizen sees it: mails arriving one by one at a steady
# BENCH_E2E_RATE a second (well below what the burst shows cirm can
# take) into a fresh instance whose cirmd is already running; from each
# mail's arrival in the Maildir to its acknowledgement's file in the
# citizen's Maildir.
rate=${BENCH_E2E_RATE:-200}
m=${BENCH_E2E_STEADY_N:-2000}
I2=$tmp/steady
C2=$I2/cirm.conf
instance "$I2"
mkdir -p "$tmp/steady-mails"
$bm mailgate-input "$tmp/steady-mails" "$m" >/dev/null
./cirmd -c "$C2" >/dev/null 2>"$tmp/cirmd2.log" &
pid=$!
sleep 1
$bm drip "$tmp/steady-mails" "$I2/maildir/inbox/new" "$rate" "$tmp/arrivals" >/dev/null
sql2() {
	sqlite3 -cmd '.timeout 10000' "$I2/cirm.db" "$1"
}
$bm drained "$I2/cirm.db" "$I2/maildir/inbox/new" >/dev/null
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=
steady=$($bm latency "$tmp/arrivals" "$I2/maildir/outbound" eva@kommun.example)
field() {
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}
echo "Steady arrivals: $m mails at $rate a second into a running cirmd; milliseconds from each mail's arrival to its acknowledgement's file"
printf '%7s %6s %7s %8s %8s %8s\n' mails rate acks p50_ms p99_ms max_ms
printf '%7d %6d %7d %8s %8s %8s\n' "$m" "$rate" "$(field answers "$steady")" \
	"$(field p50_ms "$steady")" "$(field p99_ms "$steady")" \
	"$(field max_ms "$steady")"
steady_cases=$(sql2 "SELECT count(*) FROM cases")

# every mail a case (or a follow-up on one), every case acknowledged and
# its officer notified, every message written, nothing set aside
fail=0
[ "$quarantined" -eq 0 ] || { echo "e2e: $quarantined mails quarantined" >&2; fail=1; }
[ "$acks" -eq "$cases" ] || { echo "e2e: $acks acknowledgements for $cases cases" >&2; fail=1; }
[ "$notes" -ge "$cases" ] || { echo "e2e: $notes notifications for $cases cases" >&2; fail=1; }
[ "$written" -eq $((acks + notes)) ] || { echo "e2e: $written files for $((acks + notes)) messages" >&2; fail=1; }
[ "$(field answers "$steady")" -eq "$steady_cases" ] || { echo "e2e: $(field answers "$steady") acknowledgements timed for $steady_cases cases" >&2; fail=1; }
exit $fail
