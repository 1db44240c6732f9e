#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Crash safety: 1,000 mails through the Maildir gateway and the engine,
# cirmd killed with SIGKILL twice while it works, then the Maildir
# gateway killed while it queues 2,000 more, then the mailgate gateway
# killed while it takes in 1,000 that cirm-mailgate stored. Every mail must become exactly
# one case with exactly one acknowledgement, numbered without gaps, and
# a mail that cannot be read be in the quarantine once.
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE=
unset CIRM_CONF

command -v sqlite3 >/dev/null || skip_all "sqlite3 command-line tool not installed (apt-get install sqlite3)"

GATEWAY=$top_builddir/cirm-gateway
MAILGATE=$top_builddir/cirm-mailgate
I=$T/inst
C=$I/cirm.conf
"$CIRMCTL" init "$I" >/dev/null || exit 99
{
	echo "template_dir = $(cd "$top_srcdir" && pwd)/templates"
	echo "engine_batch = 50"
	echo "engine_poll_interval = 1"
} >>"$C"
M=$I/maildir/inbox

# Whatever runs in the background is killed when the script ends.
pids=
trap 'for p in $pids; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM

sql() {
	sqlite3 -cmd '.timeout 5000' "$I/cirm.db" "$1"
}

# Polls SQL (a count) every 20 ms until it is greater than N; at most
# 30 s. Prints the last value.
wait_count() {
	i=0
	while :; do
		v=$(sql "$1")
		if [ "${v:-0}" -gt "$2" ] || [ $i -ge 1500 ]; then
			echo "${v:-0}"
			[ "${v:-0}" -gt "$2" ]
			return
		fi
		i=$((i + 1))
		sleep 0.02
	done
}

# Kills PID with SIGKILL and reaps it.
kill9() {
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	reaped "$1"
}

# Whether a connection holds the write lock: a transaction is open.
write_locked() {
	! sqlite3 -cmd '.timeout 0' "$I/cirm.db" 'BEGIN IMMEDIATE; ROLLBACK;' \
		>/dev/null 2>&1
}

# kill_in_batch PID MIN: once more than MIN cases exist and a batch is
# being worked on, freezes PID (SIGSTOP) and looks again: when it holds
# the write lock (a transaction is open), kills it there (SIGKILL);
# otherwise lets PID go on and tries again. Prints the cases made, and
# writes $T/inside when the kill undid a transaction: the lock was held
# and the cases committed are the same after the kill as before it (a
# frozen cirmd may have written its commit already; see below).
# (It runs in a subshell: the caller waits for PID.)
kill_in_batch() {
	tries=0
	rm -f "$T/inside"
	while :; do
		# no batch came in time: the kill is not tried (a failed
		# check, not a test waiting for ever on a cirmd that runs)
		n=$(wait_count "$busy" "$2") || { kill9 "$1"; echo "$n"; return 1; }
		kill -STOP "$1"
		locked=0
		write_locked && locked=1
		if [ $locked = 1 ] || [ $tries -ge 50 ]; then
			before=$(sql 'SELECT count(*) FROM cases')
			kill9 "$1"
			[ $locked = 0 ] ||
				[ "$(sql 'SELECT count(*) FROM cases')" != "$before" ] ||
				touch "$T/inside"
			echo "$n"
			return 0
		fi
		kill -CONT "$1"
		tries=$((tries + 1))
	done
}

# PID has ended: no longer ours to kill at exit.
reaped() {
	pids=$(echo " $pids " | sed "s/ $1 / /")
}

not() {
	! "$@"
}

between() { # between N LOW HIGH
	[ "$1" -ge "$2" ] && [ "$1" -le "$3" ]
}

# Waits up to 30 s for PID to exit; returns its status (kills it after).
wait_exit() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 300 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	kill -0 "$1" 2>/dev/null && kill -9 "$1"
	wait "$1"
	set -- "$1" $?
	reaped "$1"
	return "$2"
}

# Entries of DIR, without running a program.
count() {
	set -- "$1"/*
	if [ -e "$1" ]; then echo $#; else echo 0; fi
}

# gateway_killed NAME DIR OP N: runs gateway NAME and kills it with
# SIGKILL as soon as DIR holds OP N files (-ge, -le). A gateway queues
# a file in well under a millisecond: the loop polls as fast as it can.
gateway_killed() {
	"$GATEWAY" -c "$C" "$1" >/dev/null 2>"$T/$1.log" &
	gpid=$!
	pids="$pids $gpid"
	i=0
	until [ "$(count "$2")" "$3" "$4" ] || ! kill -0 "$gpid" 2>/dev/null ||
		[ $i -ge 100000 ]; do
		i=$((i + 1))
	done
	kill9 "$gpid"
}

# --- mail generation --------------------------------------------------
# Mail N: a distinct Message-ID, senders repeating a few times (under
# flood_max_cases), bodies in US-ASCII, UTF-8 (8bit and quoted-
# printable) and ISO-8859-1, every 40th with a PDF attachment.
firsts="Anna Erik Maria Lars Karin Per Eva Johan Ingrid Olof"
lasts="Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson Gustafsson"

pick() {
	n=$1
	shift
	eval "printf '%s' \"\${$((n % $# + 1))}\""
}

gen_mail() { # gen_mail N FILE
	n=$1
	f=$(pick "$n" $firsts)
	l=$(pick $((n / 10)) $lasts)
	who=$((n % 400))
	addr=$(printf '%s.%s%d@exempel.se' "$f" "$l" "$who" | tr 'A-Z' 'a-z')
	day=$((n % 28 + 1))
	{
		printf 'Return-Path: <%s>\n' "$addr"
		printf 'Received: from mx.exempel.se (mx.exempel.se [192.0.2.%d])\n' $((n % 250 + 1))
		printf '\tby mail.kommun.example with ESMTPS id %08X\n' "$n"
		printf '\tfor <arende@kommun.example>; Mon, %d Jan 2026 09:%02d:%02d +0100\n' \
			"$day" $((n % 60)) $((n * 7 % 60))
		case $((n % 5)) in
		0) printf 'From: "%s %s" <%s>\n' "$f" "$l" "$addr" ;;
		1) printf 'From: =?UTF-8?Q?Bj=C3=B6rn_=C3=85kesson?= <%s>\n' "$addr" ;;
		2) printf 'From: =?ISO-8859-1?Q?G=F6ran_L=F6fgren?= <%s>\n' "$addr" ;;
		*) printf 'From: %s\n' "$addr" ;;
		esac
		printf 'To: Kommunen <arende@kommun.example>\n'
		printf 'Date: Mon, %d Jan 2026 09:%02d:%02d +0100\n' \
			"$day" $((n % 60)) $((n * 7 % 60))
		printf 'Message-ID: <%d.%04d.crash@mail.exempel.se>\n' "$n" $((n * 37 % 10000))
		printf 'MIME-Version: 1.0\n'
		case $((n % 4)) in
		0)
			printf 'Subject: Trasig gatubelysning %d\n' "$n"
			printf 'Content-Type: text/plain; charset=us-ascii\n\n'
			printf 'Hej,\n\nLampan vid busshallplatsen nummer %d har varit\n' "$n"
			printf 'slackt i tva veckor. Kan ni laga den?\n\nMvh\n%s\n' "$f"
			;;
		1)
			printf 'Subject: =?UTF-8?Q?Sn=C3=B6r=C3=B6jning_p=C3=A5_v=C3=A4g_%d?=\n' "$n"
			printf 'Content-Type: text/plain; charset=utf-8\n'
			printf 'Content-Transfer-Encoding: 8bit\n\n'
			printf 'Hej!\n\nVägen förbi skolan (nr %d) är inte plogad och det är\n' "$n"
			printf 'halt på gångbanan. Äldre personer har svårt att ta sig fram.\n\n'
			printf 'Med vänliga hälsningar\n%s Åström\n' "$f"
			;;
		2)
			printf 'Subject: =?ISO-8859-1?Q?Bygglov_f=F6r_f=F6rr=E5d_%d?=\n' "$n"
			printf 'Content-Type: text/plain; charset=ISO-8859-1\n'
			printf 'Content-Transfer-Encoding: 8bit\n\n'
			printf 'Hej,\n\nJag undrar hur l\345ng tid handl\344ggningen av mitt\n'
			printf 'bygglov f\366r f\366rr\345det (%d) tar.\n\nH\344lsningar\n%s\n' "$n" "$f"
			;;
		*)
			if [ $((n % 40)) -eq 3 ]; then
				printf 'Subject: Ansokan om parkeringstillstand %d\n' "$n"
				printf 'Content-Type: multipart/mixed; boundary="=_b%d"\n\n' "$n"
				printf 'This is a multi-part message in MIME format.\n\n'
				printf -- '--=_b%d\nContent-Type: text/plain; charset=utf-8\n' "$n"
				printf 'Content-Transfer-Encoding: quoted-printable\n\n'
				printf 'Hej,\n\nH=C3=A4r kommer min ans=C3=B6kan (%d) som bilaga.\n\n' "$n"
				printf -- '--=_b%d\nContent-Type: application/pdf; name="ansokan-%d.pdf"\n' "$n" "$n"
				printf 'Content-Disposition: attachment; filename="ansokan-%d.pdf"\n' "$n"
				printf 'Content-Transfer-Encoding: base64\n\n'
				printf 'JVBERi0xLjQKJcOkw7zDtsOfCjEgMCBvYmoKPDwvVHlwZS9DYXRhbG9nPj4KZW5kb2Jq\n'
				printf 'CnRyYWlsZXIKPDwvUm9vdCAxIDAgUj4+CiUlRU9GCg==\n'
				printf -- '--=_b%d--\n' "$n"
			else
				printf 'Subject: =?UTF-8?B?RnLDpWdhIG9tIGF2Z2lmdA==?= %d\n' "$n"
				printf 'Content-Type: text/plain; charset=utf-8\n'
				printf 'Content-Transfer-Encoding: quoted-printable\n\n'
				printf 'Hej,\n\nVarf=C3=B6r har avgiften f=C3=B6r h=C3=A4mtning av hush=C3=A5lls=\n'
				printf 'avfall h=C3=B6jts? Kundnummer %d.\n' "$n"
			fi
			;;
		esac
	} >"$2"
}

# Writes mails FROM..TO to tmp/, then moves them to new/ (Maildir).
make_mails() {
	n=$1
	while [ "$n" -le "$2" ]; do
		gen_mail "$n" "$M/tmp/1768000000.M${n}P$$.kommun.example"
		n=$((n + 1))
	done
	mv "$M"/tmp/* "$M/new/"
}

check_store() { # check_store N
	check "$1 cases" [ "$(sql 'SELECT count(*) FROM cases')" -eq "$1" ]
	check "case numbers 1..$1 without gaps or duplicates" [ \
		"$(sql "SELECT count(*), count(DISTINCT number), count(DISTINCT seq), min(seq), max(seq) FROM cases")" \
		= "$1|$1|$1|1|$1" ]
	check "$1 acknowledgements, one per case" [ \
		"$(sql "SELECT count(*), count(DISTINCT case_id) FROM outbox")" = "$1|$1" ]
	check "every inbound mail stored exactly once" [ \
		"$(sql "SELECT count(*), count(DISTINCT coalesce(dedupe_key, 'mid:' || rfc_message_id)) FROM message WHERE direction = 'in'")" = "$1|$1" ]
	check "every Message-ID of the test once" [ \
		"$(sql "SELECT count(DISTINCT rfc_message_id) FROM message WHERE direction = 'in' AND rfc_message_id LIKE '%.crash@mail.exempel.se'")" -eq "$1" ]
	check "inbox empty" [ "$(sql 'SELECT count(*) FROM inbox')" -eq 0 ]
	check "quarantine empty" [ "$(sql 'SELECT count(*) FROM quarantine')" -eq 0 ]
	check "$1 raw mails, one per inbound mail" [ \
		"$(sql 'SELECT count(*) FROM raw_message')" -eq "$1" ]
	check "every inbound mail's raw is kept" [ \
		"$(sql "SELECT count(*) FROM message m WHERE direction = 'in' AND NOT EXISTS (SELECT 1 FROM raw_message r WHERE r.sha256 = m.raw_sha256)")" -eq 0 ]
}

# --- 1,000 mails, cirmd killed twice ----------------------------------
make_mails 1 1000
check "1000 mails in new/" [ "$(count "$M/new")" -eq 1000 ]
run "$GATEWAY" -c "$C" --once maildir
check "maildir gateway --once exits 0" [ "$rc" -eq 0 ]
check "1000 rows queued" [ "$(sql 'SELECT count(*) FROM inbox')" -eq 1000 ]
check "new/ emptied into cur/" [ "$(count "$M/new")/$(count "$M/cur")" = 0/1000 ]

# Each kill waits for a moment when batches are being worked on, and
# freezes cirmd to see that it holds the write lock, so that the kill
# lands inside a transaction. A frozen cirmd may still have written its
# commit into the WAL: SIGSTOP takes effect when a system call returns,
# and the commit's last write is one. Readers see that batch only after
# the kill (it is committed, as it should be), so the kills go on, each
# after 100 more cases, until at least two were made and one of them
# undid a transaction (at most six).
busy="SELECT count(*) FROM cases WHERE EXISTS (SELECT 1 FROM inbox WHERE attempts > 0)"
kills=0
inside=0
min=150
while [ $kills -lt 6 ]; do
	kills=$((kills + 1))
	"$CIRMD" -c "$C" --no-gateways >/dev/null 2>"$T/d$kills.log" &
	pid=$!
	pids="$pids $pid"
	caught=0
	n=$(kill_in_batch "$pid" "$min") && caught=1
	wait "$pid" 2>/dev/null
	reaped "$pid"
	check "kill $kills: cirmd made cases first ($n)" [ "$n" -gt "$min" ]
	[ $caught = 1 ] || break
	left=$(sql 'SELECT count(*) FROM inbox')
	claimed=$(sql 'SELECT count(*) FROM inbox WHERE attempts > 0')
	check "kill $kills: work was left queued ($left rows)" [ "$left" -gt 0 ]
	echo "# kill $kills: $n cases, $left rows queued, $claimed of them claimed"
	[ ! -e "$T/inside" ] || inside=1
	[ $kills -ge 2 ] && [ $inside -eq 1 ] && break
	min=$((n + 100))
done
check "a kill landed inside a batch's transaction" [ $inside -eq 1 ]

run "$CIRMD" -c "$C" --once
check "cirmd --once after the kills exits 0" [ "$rc" -eq 0 ]
check "no row was retried or quarantined" \
	not grep -q -e 'will retry' -e 'quarantined:' "$T"/d[1-6].log "$T/stderr"
check_store 1000
check "the Swedish text of a UTF-8 mail is kept" [ \
	"$(sql "SELECT count(*) FROM message WHERE direction = 'in' AND coalesce(body_full, body_stripped) LIKE '%gångbanan. Äldre%'")" -eq 250 ]
check "the ISO-8859-1 text is converted to UTF-8" [ \
	"$(sql "SELECT count(*) FROM message WHERE direction = 'in' AND coalesce(body_full, body_stripped) LIKE '%handläggningen%förrådet%'")" -eq 250 ]
check "attachments recorded" [ \
	"$(sql "SELECT count(*) FROM attachment WHERE content_type = 'application/pdf' AND filename LIKE 'ansokan-%.pdf'")" -eq 25 ]

# --- 2,000 more, the Maildir gateway killed while it queues them ------
# (enough batches that the kill lands among them however fast it goes)
"$CIRMD" -c "$C" --no-gateways >/dev/null 2>"$T/d3.log" &
dpid=$!
pids="$pids $dpid"
make_mails 1001 3000
gateway_killed maildir "$M/cur" -ge 1010
moved=$(($(count "$M/cur") - 1000))
check "the gateway was killed in the middle ($moved of 2000 moved)" \
	between "$moved" 10 1999
check "what it had not moved is still in new/" [ "$(count "$M/new")" -eq $((2000 - moved)) ]

# The window between the commit and the move to cur/: a mail that is in
# the database (and may already be a case) but still in new/ is queued
# again after the crash; the engine must recognise it by Message-ID.
for f in $(ls "$M/cur" | grep '\.M1[0-9][0-9]P' | head -5); do
	cp "$M/cur/$f" "$M/new/${f%%:*}"
done
run "$GATEWAY" -c "$C" --once maildir
check "maildir gateway --once after the kill exits 0" [ "$rc" -eq 0 ]
check "all 3000 mails in cur/, none left in new/" \
	[ "$(count "$M/new")/$(count "$M/cur")" = 0/3000 ]
kill -TERM "$dpid"
wait_exit "$dpid"
check "cirmd stops cleanly on SIGTERM" [ $? -eq 0 ]
run "$CIRMD" -c "$C" --once
check "cirmd --once drains the rest" [ "$rc" -eq 0 ]
check_store 3000
check "the mails queued twice were recognised as duplicates" \
	[ "$(cat "$T/d3.log" "$T/stderr" | grep -c ': duplicate on ')" -ge 5 ]

# --- 1,000 more through cirm-mailgate, its gateway killed -------------
# The mailgate gateway removes each file once its row is committed: a
# kill between the two leaves files that are in the database already.
MG=$I/mailgate
make_mails 3001 4000
for f in "$M"/new/*; do
	"$MAILGATE" -c "$C" <"$f" || echo "mailgate failed on $f" >&2
	rm "$f"
done
check "1000 mails stored by cirm-mailgate" [ "$(count "$MG/new")" -eq 1000 ]
mkdir "$T/mg.saved" && cp -p "$MG"/new/* "$T/mg.saved/"
gateway_killed mailgate "$MG/new" -le 990
taken=$((1000 - $(count "$MG/new")))
check "the mailgate gateway was killed in the middle ($taken of 1000 taken)" \
	between "$taken" 1 999
run "$CIRMD" -c "$C" --once
check "cirmd --once takes in the rest and drains it" [ "$rc" -eq 0 ]
check "the mailgate's Maildir is empty" [ "$(count "$MG/new")" -eq 0 ]
# Five that were taken in (and removed) come back, as after a crash
# just before their removal reached the disk; the engine made their
# cases meanwhile.
for f in $(ls "$T/mg.saved" | head -n 300); do
	[ -e "$MG/new/$f" ] && continue
	cp -p "$T/mg.saved/$f" "$MG/new/$f"
	again=$((${again:-0} + 1))
	[ "$again" -ge 5 ] && break
done
check "five taken ones put back" [ "${again:-0}" -eq 5 ]
run "$CIRMD" -c "$C" --once
check "cirmd --once again" [ "$rc" -eq 0 ]
check "the mailgate's Maildir is empty again" [ "$(count "$MG/new")" -eq 0 ]
check_store 4000
check "the mails taken in twice were recognised as duplicates" \
	[ "$(printf '%s\n' "$err" | grep -c ': duplicate on ')" -ge 5 ]

# --- the same window for mail that goes to the quarantine -------------
# One without a sender, one nested deeper than mail_max_depth: neither
# has a key of its own (no sender, or no reading at all). Queued again
# after the crash, each must still be in the quarantine once.
{
	printf 'To: arende@kommun.example\nSubject: Utan avsandare\n'
	printf 'Message-ID: <nofrom.crash@mail.exempel.se>\n\nHej\n'
} >"$M/new/1768000000.M9001P1.kommun.example"
{
	printf 'From: djup@exempel.se\nTo: arende@kommun.example\n'
	printf 'Subject: Djup\nMIME-Version: 1.0\n'
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		printf 'Content-Type: multipart/mixed; boundary="d%d"\n\n--d%d\n' $i $i
	done
	printf 'Content-Type: text/plain\n\nHej\n'
	for i in 12 11 10 9 8 7 6 5 4 3 2 1; do
		printf -- '--d%d--\n' $i
	done
} >"$M/new/1768000000.M9002P1.kommun.example"
run "$GATEWAY" -c "$C" --once maildir
run "$CIRMD" -c "$C" --once
check "the two unreadable mails are quarantined" \
	[ "$(sql 'SELECT count(*) FROM quarantine')" -eq 2 ]
for f in 9001 9002; do
	cp "$M/cur/1768000000.M${f}P1.kommun.example:2,S" \
		"$M/new/1768000000.M${f}P1.kommun.example"
done
run "$GATEWAY" -c "$C" --once maildir
check "queued again after the crash" [ "$rc" -eq 0 ]
run "$CIRMD" -c "$C" --once
check "still once each in the quarantine" \
	[ "$(sql 'SELECT count(*) FROM quarantine')" -eq 2 ]
check "the copies were dropped as duplicates" \
	[ "$(printf '%s\n' "$err" | grep -c 'duplicate of quarantined')" -eq 2 ]

done_testing
