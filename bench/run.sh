#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The mail benchmarks ("make bench"), run from the build directory.
#
# 1. The engine: N generated mails (bench-mail gen) are queued in the
#    inbox of a fresh instance, then "cirmd --once" drains them into
#    committed cases; we time it and take its peak RSS (wait4). It runs
#    for N and N/4 (peak RSS should not grow with N) and for each
#    engine_batch in BENCH_BATCH. Afterwards every inbox row must be
#    accounted for: the inbox is empty, cases = new mails, follow-ups =
#    replies, nothing quarantined.
# 2. cirm-mailgate: BENCH_MAILGATE_N mails, one process per message, one
#    after the other, as an MTA's pipe delivery runs it: once with cirmd
#    running, its mailgate gateway taking each mail into the database
#    and the engine making the cases meanwhile (as in production), once
#    with cirmd stopped. What was stored then goes through cirmd --once
#    and must all end up in cases.
#
# 3. Workflows (bench-flow): a generated workflow of 500 states loaded
#    and checked (median of BENCH_LOAD_RUNS); then BENCH_FLOW_EVENTS
#    events applied to random cases of a database holding
#    BENCH_FLOW_CASES open cases on workflows/synpunkt.xml, 500 to a
#    transaction (engine_batch's default), and up to BENCH_FLOW_TIMERS timers fired; afterwards
#    every case's state must be a legal configuration and the history
#    must count every event.
#
# The figures are printed beside the targets and never fail the run; a
# mail the engine did not handle as expected, or a workflow result that
# is wrong, does (exit status 1).
#
# Environment: BENCH_N (20000), BENCH_BATCH ("100 500"),
# BENCH_MAILGATE_N (2000), BENCH_LOAD_RUNS (20), BENCH_FLOW_CASES
# (100000), BENCH_FLOW_EVENTS (100000), BENCH_FLOW_TIMERS (20000),
# BENCH_ONLY (mail or flow: only those), BENCH_KEEP=1 keeps the
# instances (their cirmd.log too) and prints where, TMPDIR, top_srcdir
# (else derived from $0).
set -eu

n=${BENCH_N:-20000}
batches=${BENCH_BATCH:-100 500}
mg_n=${BENCH_MAILGATE_N:-2000}
engine_target=5000
mailgate_target=500
load_runs=${BENCH_LOAD_RUNS:-20}
flow_cases=${BENCH_FLOW_CASES:-100000}
flow_events=${BENCH_FLOW_EVENTS:-100000}
flow_timers=${BENCH_FLOW_TIMERS:-20000}
only=${BENCH_ONLY:-}
load_target=50
events_target=20000

srcdir=${top_srcdir:-$(dirname "$0")/..}
srcdir=$(cd "$srcdir" && pwd)
bm=./bench/bench-mail
bf=./bench/bench-flow
for p in ./cirmctl ./cirmd ./cirm-mailgate $bm $bf ./bench/bench-noop; do
	if [ ! -x "$p" ]; then
		echo "run.sh: $p not found: run me from the build directory" \
		     "(make bench)" >&2
		exit 1
	fi
done
case $n in ''|*[!0-9]*) echo "run.sh: BENCH_N must be a number" >&2; exit 64 ;; esac
case $mg_n in ''|*[!0-9]*) echo "run.sh: BENCH_MAILGATE_N must be a number" >&2; exit 64 ;; esac
for v in "$load_runs" "$flow_cases" "$flow_events" "$flow_timers"; do
	case $v in ''|*[!0-9]*) echo "run.sh: BENCH_LOAD_RUNS and BENCH_FLOW_* must be numbers" >&2; exit 64 ;; esac
done
case $only in ''|mail|flow) ;; *) echo "run.sh: BENCH_ONLY must be mail or flow" >&2; exit 64 ;; esac
n4=$((n / 4))
sizes="$n4 $n"
[ "$n4" -gt 0 ] || sizes=$n

# cirmctl init copies the shipped templates from here.
CIRM_DATADIR=$srcdir
export CIRM_DATADIR
unset CIRM_CONF

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cirm-bench.XXXXXX")
if [ "${BENCH_KEEP:-0}" = 1 ]; then
	trap 'echo "instances kept in $tmp"' EXIT
else
	trap 'rm -rf "$tmp"' EXIT
fi
trap 'exit 130' INT TERM

failed=0

# calc EXPR: floating point arithmetic, always with a decimal point.
calc() {
	LC_ALL=C awk "BEGIN { printf \"%s\", ($1) }" </dev/null
}

# fields N WORDS...: fails unless a bench-mail step printed N words.
fields() {
	want=$1
	shift
	if [ $# -ne "$want" ]; then
		echo "run.sh: a bench-mail step failed (see above)" >&2
		exit 1
	fi
}

# field NAME "k=v k=v ...": the value of NAME.
field() {
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# The instances stay until the end: removing thousands of spool files
# between runs makes creating the next run's files slower on some file
# systems (ext4 without a journal skips recently freed inodes).
#
# instance DIR BATCH: a fresh instance for the benchmark. Every sender
# opens ~3 cases, far below the flood limit, which is set out of reach
# anyway so that a quarantined mail always means a problem.
instance() {
	./cirmctl init "$1" >/dev/null
	cat >>"$1/cirm.conf" <<EOF
# bench/run.sh
template_dir = $srcdir/templates
flood_max_cases = 100000
engine_batch = $2
EOF
}

nproc=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')

# settle: what a setup step wrote (a database of 100,000 cases is 1.5
# GB) reaches the disk before a measurement starts, so that the figure
# is the work measured and not also the write-back of the setup, which
# the kernel otherwise does meanwhile (events ran 25-40% slower).
settle() {
	sync
}

echo "cirm benchmarks ($nproc CPUs; instances under ${TMPDIR:-/tmp})"
echo

# --- workflows ---
if [ "$only" != mail ]; then
	echo "bench: workflows, load and check" >&2
	if out=$($bf load "$tmp/flow-load" "$load_runs"); then
		med=$(field median_ms "$out")
		met=$(calc "($med < $load_target) ? \"yes\" : \"NO\"")
		load_row=$(LC_ALL=C printf '%6d %6d %6d %5d %9.2f %7s %4s %8.2f %8.2f  ok' \
			"$(field states "$out")" "$(field transitions "$out")" \
			"$(field timers "$out")" "$load_runs" "$med" "<$load_target" \
			"$met" "$(field min_ms "$out")" "$(field max_ms "$out")")
	else
		load_row="FAIL: the generated workflow does not load or check"
		failed=1
	fi
	echo "bench: workflows, $flow_events events on $flow_cases cases" \
	     "(setting up the cases takes a while)" >&2
	set +e
	setup=$($bf setup "$srcdir" "$tmp/flow.db" "$flow_cases")
	status=$?
	[ $status != 0 ] || settle
	[ $status != 0 ] ||
		out=$($bf events "$srcdir" "$tmp/flow.db" "$flow_events" \
			"$flow_timers")
	status=$?
	set -e
	setup_s=$(field setup_s "$setup")
	if [ $status = 0 ] || [ "$(field check "$out")" = FAIL ]; then
		[ $status = 0 ] || failed=1
		rate=$(field events_per_s "$out")
		met=$(calc "($rate >= $events_target) ? \"yes\" : \"NO\"")
		events_row=$(LC_ALL=C printf '%7d %7d %8.2f %6.2f %8.0f %7s %4s %7d %8.2f %6.2f %8.0f %7d %7d  %s' \
			"$flow_cases" "$flow_events" "$(field events_s "$out")" \
			"$(field events_cpu_s "$out")" "$rate" ">=$events_target" \
			"$met" "$(field timers "$out")" "$(field timers_s "$out")" \
			"$(field timers_cpu_s "$out")" \
			"$(field timers_per_s "$out")" "$(field open "$out")" \
			"$(field closed "$out")" "$(field check "$out")")
	else
		events_row="FAIL: bench-flow setup or events: exit status $status"
		failed=1
	fi
	echo "Workflows: load + check a generated workflow (median of $load_runs runs)"
	echo "states transitions timers  runs median ms  target  met   min ms   max ms  check"
	echo "$load_row"
	echo "Workflows: events on open cases (synpunkt.xml, 500 events a transaction, engine_batch's default; setup ${setup_s}s)"
	echo "  cases  events  seconds  cpu s events/s  target  met  timers  seconds  cpu s timers/s    open  closed  check"
	echo "$events_row"
	echo
fi
[ "$only" != flow ] || exit $failed

rows=
rss_lines=
for batch in $batches; do
	for m in $sizes; do
		d=$tmp/engine-$m-$batch
		echo "bench: engine, $m mails, engine_batch $batch" >&2
		instance "$d" "$batch"
		mix=$($bm gen "$d/cirm.db" "$m")
		[ "$m" != "$n" ] || big_mix=$mix
		settle
		set -- $($bm rusage ./cirmd -c "$d/cirm.conf" --once 2>"$d/cirmd.log")
		fields 5 "$@"
		secs=$1 rss=$2 user=$3 sys=$4 status=$5
		set -- $($bm count "$d/cirm.db")
		fields 7 "$@"
		inbox=$1 cases=$2 follow=$3 quar=$4
		new=$(field new "$mix")
		replies=$(field replies "$mix")
		check=ok
		if [ "$status" != 0 ]; then
			check="FAIL: cirmd exit status $status"
		elif [ "$inbox" != 0 ]; then
			check="FAIL: $inbox rows left in the inbox"
		elif [ $((cases + follow + quar)) != "$m" ]; then
			check="FAIL: $cases + $follow + $quar != $m"
		elif [ "$cases" != "$new" ] || [ "$follow" != "$replies" ] ||
		     [ "$quar" != 0 ]; then
			check="FAIL: expected $new cases, $replies follow-ups"
		fi
		case $check in
		FAIL*)
			failed=1
			echo "engine, $m mails, batch $batch: $check; the log ends:" >&2
			grep -v ': info: ' "$d/cirmd.log" | tail -n 5 >&2 || true
			;;
		esac
		rate=$(calc "$m / ($secs > 0 ? $secs : 0.001)")
		met=$(calc "($rate >= $engine_target) ? \"yes\" : \"NO\"")
		rows="$rows$(LC_ALL=C printf '%7d %6d %8.2f %8.0f %7s %4s %8.1f %7.2f %6.2f %7d %10d %11d  %s' \
			"$m" "$batch" "$secs" "$rate" ">=$engine_target" "$met" \
			"$(calc "$rss / 1024")" "$user" "$sys" \
			"$cases" "$follow" "$quar" "$check")
"
		eval "rss_${batch}_$m=$rss"
	done
	[ "$sizes" != "$n" ] || continue
	eval "small=\$rss_${batch}_$n4 big=\$rss_${batch}_$n"
	rss_lines="$rss_lines$(LC_ALL=C printf '  batch %d: %.1f MiB at %d mails, %.1f MiB at %d mails (%+.1f%%)' \
		"$batch" "$(calc "$small / 1024")" "$n4" "$(calc "$big / 1024")" \
		"$n" "$(calc "($big - $small) * 100 / $small")")
"
done

echo "Engine: inbox -> committed cases (cirmd --once, one process)"
echo "mails: $big_mix"
echo "  mails  batch  seconds    msg/s  target  met  RSS MiB  user s  sys s   cases follow-ups quarantined  check"
printf '%s' "$rows"
echo "Peak RSS against N (target: flat):"
printf '%s' "$rss_lines"
echo

# --- End to end through cirmd (bench/e2e.sh) ---
# BENCH_E2E_N (10000) citizen mails dropped into the Maildir of an
# instance on its embedded defaults; cirmd with its gateways writes the
# acknowledgements and notifications. Target: 2,000 messages/s.
# Before the mailgate benchmarks, whose gateway removes each mail's file
# once queued: on ext4 without a journal (these VMs) files are created
# slowly for a few minutes after thousands were removed (see Notes), and
# the sink creates one a message. Its instances go with the others at
# the end, for the same reason.
BENCH_E2E_N=${BENCH_E2E_N:-10000} BENCH_E2E_LEAVE=1 TMPDIR=$tmp \
	top_srcdir=$srcdir sh "$srcdir/bench/e2e.sh" || failed=1
echo

# --- cirm-mailgate ---
# mailgate DIR LABEL: delivers the mails of $mails with one
# cirm-mailgate process each into instance DIR; adds a row to mg_rows.
mailgate() {
	set -- $($bm each "$mails" ./cirm-mailgate -c "$1/cirm.conf" 2>"$1/mailgate.log") "$@"
	fields 6 "$@"
	files=$1 secs=$2 rss=$3 fails=$4 d=$5 label=$6
	# a running cirmd's mailgate gateway takes what is left in the
	# mailgate's Maildir; counted once it has (a file is removed just
	# after its row is committed)
	i=0
	while [ -n "$(ls "$d/mailgate/new")" ] && [ -n "$svc" ] && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	set -- $($bm count "$d/cirm.db")
	fields 7 "$@"
	# in the mailgate's Maildir, in the inbox, or already handled
	queued=$(($(ls "$d/mailgate/new" | wc -l) + $1 + $2 + $3 + $4))
	check=ok
	if [ "$fails" != 0 ] || [ "$queued" != "$files" ]; then
		check="FAIL: $fails failed, $queued of $files queued"
		failed=1
		tail -n 5 "$d/mailgate.log" >&2
	fi
	rate=$(calc "$files / ($secs > 0 ? $secs : 0.001)")
	met=$(calc "($rate >= $mailgate_target) ? \"yes\" : \"NO\"")
	mg_rows="$mg_rows$(LC_ALL=C printf '%7d %8.2f %8.0f %7s %4s %8.1f %7d  %-28s %s' \
		"$files" "$secs" "$rate" ">=$mailgate_target" "$met" \
		"$(calc "$rss / 1024")" "$queued" "$label" "$check")
"
}

echo "bench: cirm-mailgate, $mg_n mails" >&2
mails=$tmp/mailgate-mails
mg_mix=$($bm mailgate-input "$mails" "$mg_n")
settle
mg_rows=

# As in production: cirmd runs, its mailgate gateway takes each mail
# the mailgate stores into the database, and the engine makes the
# cases meanwhile, on the same two cores.
d=$tmp/mailgate-service
instance "$d" 100
echo "engine_poll_interval = 3600" >>"$d/cirm.conf"
./cirmd -c "$d/cirm.conf" 2>"$d/cirmd-service.log" &
svc=$!
trap 'kill "$svc" 2>/dev/null; exit 130' INT TERM
i=0
while ! grep -q 'started' "$d/cirmd-service.log" && [ $i -lt 20 ]; do
	sleep 1
	i=$((i + 1))
done
mailgate "$d" "cirmd running (working)"
kill "$svc" 2>/dev/null || true
wait "$svc" || true
svc=
trap 'exit 130' INT TERM

# With cirmd stopped, the mail waits in the mailgate's Maildir.
d2=$tmp/mailgate-alone
instance "$d2" 100
mailgate "$d2" "cirmd stopped"

# What the mailgate queued, through the engine: all of it in cases.
set -- $($bm rusage ./cirmd -c "$d/cirm.conf" --once 2>"$d/cirmd.log")
fields 5 "$@"
e2e_secs=$1 e2e_status=$5
set -- $($bm count "$d/cirm.db")
fields 7 "$@"
inbox=$1 cases=$2 follow=$3 quar=$4
new=$(field new "$mg_mix")
replies=$(field replies "$mg_mix")
e2e="ok: $cases cases, $follow follow-ups, $quar quarantined, in ${e2e_secs}s"
if [ "$e2e_status" != 0 ] || [ "$inbox" != 0 ] || [ "$cases" != "$new" ] ||
   [ "$follow" != "$replies" ] || [ "$quar" != 0 ]; then
	e2e="FAIL: cirmd status $e2e_status, inbox $inbox, $cases cases (expected $new), $follow follow-ups (expected $replies), $quar quarantined"
	failed=1
fi

# The floor: a program that does nothing, run the same way once per
# mail: bench-noop, linked as the mailgate is (statically by default),
# and true(1), linked dynamically against libc. No mailgate can go
# faster than the machine starts processes.
true_bin=/bin/true
set -- $($bm each "$mails" "$true_bin")
fields 4 "$@"
floor_rate=$(calc "$1 / ($2 > 0 ? $2 : 0.001)")
set -- $($bm each "$mails" ./bench/bench-noop)
fields 4 "$@"
noop_rate=$(calc "$1 / ($2 > 0 ? $2 : 0.001)")
if ! command -v readelf >/dev/null; then
	linked="(readelf, in binutils, tells how)"
elif readelf -d ./cirm-mailgate | grep -q NEEDED; then
	linked=dynamically
else
	linked=statically
fi

echo "cirm-mailgate: one process per message, sequential"
echo "mails: $mg_mix"
echo "  mails  seconds    msg/s  target  met  RSS MiB  stored  while                         check"
printf '%s' "$mg_rows"
LC_ALL=C printf 'Floor: bench-noop, linked %s as cirm-mailgate is, started the same way, once per mail: %.0f processes/s\n' \
	"$linked" "$noop_rate"
LC_ALL=C printf 'Floor: %s (linked dynamically) the same way: %.0f processes/s\n' \
	"$true_bin" "$floor_rate"
echo "Then cirmd --once on what was queued: $e2e"

# --- SMS codec (bench-sms) ---
# A fixed mix of Swedish texts (GSM-7, with extension characters, and
# UCS-2 with emoji) encoded, split and packed into wire user data with
# concatenation headers until BENCH_SMS_SEGMENTS segments are made;
# every text of the mix must first come back unchanged through the wire
# and reassembly.
sms_segments=${BENCH_SMS_SEGMENTS:-2000000}
sms_target=1000000
case $sms_segments in ''|*[!0-9]*) echo "run.sh: BENCH_SMS_SEGMENTS must be a number" >&2; exit 64 ;; esac
echo "bench: SMS codec, $sms_segments segments" >&2
if [ ! -x ./bench/bench-sms ]; then
	sms_row="FAIL: ./bench/bench-sms not found"
	failed=1
elif out=$(./bench/bench-sms "$sms_segments"); then
	rate=$(field segments_per_s "$out")
	met=$(calc "($rate >= $sms_target) ? \"yes\" : \"NO\"")
	sms_row=$(LC_ALL=C printf '%9d %8d %8d %8.2f %6.2f %10.0f %9s %4s  %s' \
		"$(field segments "$out")" "$(field gsm7_segments "$out")" \
		"$(field ucs2_segments "$out")" "$(field seconds "$out")" \
		"$(field cpu_s "$out")" "$rate" ">=$sms_target" "$met" \
		"$(field check "$out")")
else
	sms_row="FAIL: bench-sms: a text did not survive the wire and reassembly"
	failed=1
fi
echo
echo "SMS codec: UTF-8 -> segments -> wire user data (gsm_encode, gsm_split, gsm_part_ud)"
echo " segments    GSM-7    UCS-2  seconds  cpu s  segments/s    target  met  check"
echo "$sms_row"
# --- outbound mail (cirm-gateway smtp) ---
# BENCH_SMTP_N outbox rows (Swedish subject and text, half without a
# Message-ID) sent by "cirm-gateway --once smtp" to Postfix's smtp-sink
# on loopback (smtp_tls = none, allowed on loopback), smtp_batch mails
# per connection; every row must end 'sent' and smtp-sink must count
# every message. Needs smtp-sink (Debian: postfix); skipped without it.
smtp_n=${BENCH_SMTP_N:-20000}
smtp_target=2000
case $smtp_n in ''|*[!0-9]*) echo "run.sh: BENCH_SMTP_N must be a number" >&2; exit 64 ;; esac
smtp_sink=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
if [ ! -x "$smtp_sink" ]; then
	smtp_row="skipped: smtp-sink not installed (apt-get install postfix)"
else
	echo "bench: outbound SMTP, $smtp_n mails" >&2
	sd=$(mktemp -d "${TMPDIR:-/tmp}/cirm-bench-smtp.XXXXXX")
	CIRM_DATADIR=$srcdir ./cirmctl init "$sd/inst" >/dev/null
	sport=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
	printf '%s\n' "smtp_host = 127.0.0.1" "smtp_port = $sport" \
		"smtp_tls = none" "smtp_batch = 1000" >>"$sd/inst/cirm.conf"
	"$smtp_sink" -c -u "$(id -un)" "127.0.0.1:$sport" 1000 >"$sd/sink.out" 2>&1 &
	sink_pid=$!
	sqlite3 "$sd/inst/cirm.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL
	  SELECT i + 1 FROM n WHERE i < $smtp_n) INSERT INTO outbox (channel,
	  recipient, rfc_message_id, subject, headers, body, created_at)
	  SELECT 'email', 'medborgare' || i || '@exempel.se',
	  CASE WHEN i % 2 = 0 THEN 'b.' || i || '@kommun.example' END,
	  'Ärende KS-2026-' || printf('%05d', i) || ': gatlyktan på Storgatan',
	  'From: Kommunen <arende@kommun.example>' || char(10) ||
	  'Auto-Submitted: auto-replied' || char(10),
	  'Hej!' || char(10) || char(10) || 'Tack för ditt meddelande. Vi har tagit emot ärendet och återkommer så snart vi kan.' || char(10),
	  strftime('%s', 'now') FROM n"
	sleep 0.3
	t0=$(date +%s.%N)
	./cirm-gateway -c "$sd/inst/cirm.conf" --once smtp 2>"$sd/gateway.log" || true
	t1=$(date +%s.%N)
	sent=$(sqlite3 "$sd/inst/cirm.db" "SELECT count(*) FROM outbox WHERE status = 'sent'")
	kill "$sink_pid" 2>/dev/null || true
	wait "$sink_pid" 2>/dev/null || true
	got=$(tr '\r' '\n' <"$sd/sink.out" | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -n 1)
	conns=$(grep -c 'over 1 connection' "$sd/gateway.log" || true)
	secs=$(calc "$t1 - $t0")
	rate=$(calc "$sent / $secs")
	met=$(calc "($rate >= $smtp_target) ? \"yes\" : \"NO\"")
	check=ok
	if [ "$sent" -ne "$smtp_n" ] || [ "${got:-0}" -ne "$smtp_n" ]; then
		check="FAIL: $sent of $smtp_n rows sent, smtp-sink took ${got:-0}"
		failed=1
	fi
	smtp_row=$(LC_ALL=C printf '%8d %11d %8.2f %10.0f %9s %4s  %s' \
		"$smtp_n" "$conns" "$secs" "$rate" ">=$smtp_target" "$met" "$check")
	[ -n "${BENCH_KEEP:-}" ] && echo "bench: kept $sd" >&2 || rm -rf "$sd"
fi
echo
echo "Outbound mail: outbox -> SMTP (cirm-gateway --once smtp -> smtp-sink on loopback)"
echo "   mails connections  seconds    mails/s    target  met  check"
echo "$smtp_row"

# --- outbound SMS (cirm-gateway smpp) ---
# BENCH_SMPP_N outbox rows sent by "cirm-gateway --once smpp" to the SMSC
# simulator (tests/smsc.js, npm package smpp) on loopback with
# smpp_window BENCH_SMPP_WINDOW; every row must end 'sent' and the
# simulator must accept every submit_sm exactly once. Skipped without
# node or the module.
smpp_n=${BENCH_SMPP_N:-20000}
smpp_window=${BENCH_SMPP_WINDOW:-10}
smpp_target=1000
echo "bench: outbound SMPP, $smpp_n SMS" >&2
set +e
out=$(top_srcdir=$srcdir sh "$srcdir/bench/bench-smpp" "$smpp_n" "$smpp_window")
rc=$?
set -e
case $rc in
0)
	secs=$(echo "$out" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')
	subs=$(echo "$out" | sed -n 's/.*submits=\([0-9]*\).*/\1/p')
	rate=$(calc "$subs / $secs")
	met=$(calc "($rate >= $smpp_target) ? \"yes\" : \"NO\"")
	smpp_row=$(LC_ALL=C printf '%8d %7d %6d %8.2f %12.0f %9s %4s  ok' \
		"$smpp_n" "$subs" "$smpp_window" "$secs" "$rate" ">=$smpp_target" "$met") ;;
2)	smpp_row=$out ;;
*)	smpp_row="FAIL: $out"; failed=1 ;;
esac
echo
echo "Outbound SMS: outbox -> SMPP (cirm-gateway --once smpp -> tests/smsc.js on loopback)"
echo "     sms  submits window  seconds  submit_sm/s    target  met  check"
echo "$smpp_row"

exit $failed
