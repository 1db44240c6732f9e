#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# cirm-mailgate as an MTA runs it: one message on stdin, the exit status
# tells the MTA what to do (0 stored, 65 bounce with a one-line reason on
# stdout, 75 try again later).
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE=
unset CIRM_CONF

command -v sqlite3 >/dev/null || skip_all "sqlite3 command-line tool not installed (apt-get install sqlite3)"
command -v mkfifo >/dev/null || skip_all "mkfifo not found"

MAILGATE=$top_builddir/cirm-mailgate
I=$T/inst
C=$I/cirm.conf
DB=$I/cirm.db
"$CIRMCTL" init "$I" >/dev/null || exit 99
{
	echo "template_dir = $(cd "$top_srcdir" && pwd)/templates"
	echo "mail_max_size = 2048"
	echo "busy_timeout = 200"
} >>"$C"
cp "$C" "$T/good.conf"

# Whatever runs in the background is killed when the script ends.
holder=
trap '[ -n "$holder" ] && kill -9 "$holder" 2>/dev/null; rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM

sql() {
	sqlite3 -cmd '.timeout 5000' "$DB" "$1"
}

inbox_rows() {
	sql 'SELECT count(*) FROM inbox'
}

# deliver FILE [ARGS...]: cirm-mailgate -c CONF < FILE, as an MTA runs it.
deliver() {
	f=$1
	shift
	out=$("$MAILGATE" -c "$C" "$@" <"$f" 2>"$T/stderr")
	rc=$?
	err=$(cat "$T/stderr")
}

between() { # between N LOW HIGH
	[ "$1" -ge "$2" ] && [ "$1" -le "$3" ]
}

one_line() {
	[ -n "$1" ] && [ "$(printf '%s\n' "$1" | wc -l)" -eq 1 ]
}

now_ms() {
	date +%s%3N
}

# --- a good mail ------------------------------------------------------
cat >"$T/good.eml" <<'EOF'
Return-Path: <karin.lindqvist@exempel.se>
Received: from mx.exempel.se (mx.exempel.se [192.0.2.10])
	by mail.kommun.example with ESMTPS id 4Xa1b2
	for <arende@kommun.example>; Tue, 3 Mar 2020 08:15:00 +0100
From: =?UTF-8?Q?Karin_Lindqvist?= <karin.lindqvist@exempel.se>
To: Kommunen <arende@kommun.example>
Subject: =?UTF-8?Q?Tr=C3=A4d_som_blockerar_cykelbanan?=
Date: Tue, 3 Mar 2020 08:14:55 +0100
Message-ID: <cykel.42@mail.exempel.se>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Hej!

Ett träd har fallit över cykelbanan vid Åbyvägen. Kan ni ta bort det?

Hälsningar
Karin
EOF
before=$(date +%s)
deliver "$T/good.eml"
after=$(date +%s)
check "a good mail: exit 0" [ "$rc" -eq 0 ]
check "a good mail: nothing on stdout" [ -z "$out" ]
check "a good mail: one inbox row" [ "$(inbox_rows)" -eq 1 ]
check "the row is the mail as received, from the mailgate" [ \
	"$(sql "SELECT channel, source, length(raw) FROM inbox_message")" = \
	"email|mailgate|$(wc -c <"$T/good.eml" | tr -d ' ')" ]
got=$(sql "SELECT received_at FROM inbox")
check "received_at is the moment of delivery, not the Date field ($got in $before..$after)" \
	between "$got" $((before - 1)) $((after + 1))

# Received over SMTP with CRLF line ends, through the environment's
# configuration.
sed 's/$/\r/; s/cykel\.42/cykel.43/' "$T/good.eml" >"$T/crlf.eml"
out=$(CIRM_CONF=$C "$MAILGATE" <"$T/crlf.eml" 2>"$T/stderr")
rc=$?
check "CRLF line ends, CIRM_CONF: exit 0" [ "$rc" -eq 0 ]
check "CRLF line ends: stored" [ "$(inbox_rows)" -eq 2 ]

# An mbox "From " line, as some MTAs put first, is not part of the mail.
{
	echo "From erik.sandberg@exempel.se  Mon Jan 12 10:00:00 2026"
	sed 's/karin\.lindqvist/erik.sandberg/; s/cykel\.42/grus.7/; s/^Subject: .*/Subject: Grus i backen/' \
		"$T/good.eml"
} >"$T/mbox.eml"
deliver "$T/mbox.eml"
check "mbox From line: exit 0" [ "$rc" -eq 0 ]
check "mbox From line: dropped" [ \
	"$(sql "SELECT substr(CAST(raw AS TEXT), 1, 13) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE '%Grus i backen%'")" = \
	"Return-Path: " ]
check "mbox From line: the rest kept whole" [ \
	"$(sql "SELECT length(raw) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE '%Grus i backen%'")" -eq \
	"$(sed 1d "$T/mbox.eml" | wc -c | tr -d ' ')" ]

# --- what must bounce: EX_DATAERR with a reason -----------------------
# mk_sized ID SIZE: a mail of exactly SIZE bytes.
mk_sized() {
	{
		sed '/^$/q' "$T/good.eml" | sed "s/cykel\\.42/$1/"
		i=0
		while [ $i -lt 100 ]; do
			echo "Rad $i av ett långt brev om snöröjningen i kvarteret......"
			i=$((i + 1))
		done
	} | head -c "$2" >"$T/$1.eml"
}
mk_sized stor.1 5000
deliver "$T/stor.1.eml"
check "over mail_max_size (5000 bytes): exit 65" [ "$rc" -eq 65 ]
check "over mail_max_size: a one-line reason on stdout" one_line "$out"
check "over mail_max_size: the reason names the limit" contains "$out" "2048"
mk_sized stor.2 2049
deliver "$T/stor.2.eml"
check "one byte over mail_max_size: exit 65" [ "$rc" -eq 65 ]
check "over mail_max_size: not stored" [ "$(inbox_rows)" -eq 3 ]
mk_sized exakt.1 2048
deliver "$T/exakt.1.eml"
check "exactly mail_max_size: exit 0" [ "$rc" -eq 0 ]
check "exactly mail_max_size: stored whole" \
	[ "$(sql "SELECT length(raw) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE '%exakt.1@%'")" -eq 2048 ]

printf 'Hej!\n\nSnälla ploga vår gata, den är helt igensnöad.\n' >"$T/text.txt"
deliver "$T/text.txt"
check "plain text without header: exit 65" [ "$rc" -eq 65 ]
check "plain text without header: a one-line reason" one_line "$out"
check "plain text without header: says it is not a mail" contains "$out" "not a mail"

: >"$T/empty"
deliver "$T/empty"
check "empty input: exit 65" [ "$rc" -eq 65 ]
check "empty input: a one-line reason" one_line "$out"
check "empty input: says it is not a mail" contains "$out" "not a mail"

printf 'From nobody@exempel.se  Mon Jan 12 10:00:00 2026\n' >"$T/envonly"
deliver "$T/envonly"
check "an mbox From line alone: exit 65" [ "$rc" -eq 65 ]
check "nothing of these stored" [ "$(inbox_rows)" -eq 4 ]

# --- what must be retried: EX_TEMPFAIL --------------------------------
# Another writer holds the database for longer than busy_timeout: an
# sqlite3 shell reading from a FIFO keeps a write transaction open.
check "the lock is held" hold_write_lock "$DB"
sed 's/cykel\.42/lock.1/' "$T/good.eml" >"$T/lock.eml"
t0=$(now_ms)
deliver "$T/lock.eml"
t1=$(now_ms)
check "database locked: exit 75" [ "$rc" -eq 75 ]
check "database locked: a one-line reason" one_line "$out"
check "database locked: gives up after busy_timeout ($((t1 - t0)) ms)" \
	between $((t1 - t0)) 150 4000
release_write_lock
check "the lock holder ended without error" [ ! -s "$T/holder.out" ]
deliver "$T/lock.eml"
check "the same mail once the lock is gone: exit 0" [ "$rc" -eq 0 ]
check "the same mail once the lock is gone: stored once" \
	[ "$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) LIKE '%lock.1@%'")" -eq 1 ]

# A broken configuration is a local mistake: the mail waits for the fix.
printf 'log_level = loud\nnonsense = 1\n' >>"$C"
deliver "$T/good.eml"
check "broken configuration: exit 75" [ "$rc" -eq 75 ]
check "broken configuration: a one-line reason" one_line "$out"
# The MTA would put stderr into the delay notice to the sender: the
# details go to syslog (stderr only when it is a terminal).
check "broken configuration: no paths or details for the MTA to pass on" \
	[ -z "$(printf '%s\n' "$out$err" | grep "$C")" ]
cp "$T/good.conf" "$C"
deliver "$T/good.eml" -c "$T/no-such.conf"
check "missing configuration file: exit 75" [ "$rc" -eq 75 ]

# The database is missing (a mount not there yet, say).
mv "$DB" "$T/db.away"
deliver "$T/good.eml"
check "missing database: exit 75" [ "$rc" -eq 75 ]
check "missing database: a one-line reason" one_line "$out"
check "missing database: not created" [ ! -e "$DB" ]
mv "$T/db.away" "$DB"
check "nothing of these stored" [ "$(inbox_rows)" -eq 5 ]

# A bad command line in the MTA's configuration (master.cf) is the
# administrator's to mend: the mail waits in the MTA's queue (75), as
# for a broken configuration, instead of bouncing (64 is a permanent
# failure to Postfix) with the usage text in the bounce.
run "$MAILGATE" -x <"$T/good.eml"
check_all "bad option, run by the MTA: exit 75, one line, no usage or paths" <<-'EOF'
	[ "$rc" -eq 75 ] && one_line "$out" && [ -z "$err" ] && \
	! printf '%s' "$out" | grep -q -e / -e Usage
EOF
run "$MAILGATE" "$C" <"$T/good.eml"
check_all "a configuration path without -c, run by the MTA: exit 75, one line" <<-'EOF'
	[ "$rc" -eq 75 ] && one_line "$out" && [ -z "$err" ] && \
	! printf '%s' "$out" | grep -q "$C"
EOF
run "$MAILGATE" -c "$C" stray <"$T/good.eml"
check "a stray argument after -c, run by the MTA: exit 75" [ "$rc" -eq 75 ]
if command -v script >/dev/null; then
	# A person at a terminal gets the usage error, and 64.
	script -qec "$MAILGATE -x </dev/null" /dev/null >"$T/tty.out" 2>&1
	check "bad option at a terminal: exit 64" [ $? -eq 64 ]
	script -qec "$MAILGATE $C <$T/good.eml" /dev/null >"$T/tty.out" 2>&1
	rc=$?
	check_all "a configuration path without -c at a terminal: exit 64, naming it" <<-'EOF'
		[ "$rc" -eq 64 ] && grep -q "unexpected argument '$C'" "$T/tty.out"
	EOF
fi
check "none of these stored anything" [ "$(inbox_rows)" -eq 5 ]
run "$MAILGATE" --help
check "--help: exit 0" [ "$rc" -eq 0 ]
check "--help shows the options" contains "$out" "--config=FILE"
run "$MAILGATE" --version
check "--version: exit 0 and the version" contains "$out" "cirm-mailgate (cirm)"
printf 'typo_key = 1\n' >"$T/typo.conf"
if command -v script >/dev/null; then
	# A person at a terminal sees what is wrong with the configuration.
	script -qec "$MAILGATE -c $T/typo.conf </dev/null" /dev/null \
		>"$T/tty.out" 2>&1
	check "at a terminal, the configuration error is shown" \
		grep -q "typo.conf:1: unknown setting" "$T/tty.out"
fi
run "$MAILGATE" -c "$T/typo.conf" <"$T/good.eml"
check "a broken configuration: exit 75" [ "$rc" -eq 75 ]
check "the sender's notice does not show the configuration" \
	sh -c "! printf '%s' \"\$1\" | grep -q typo" sh "$out"

# --- the engine makes cases of what the mailgate stored ----------------
run "$CIRMD" -c "$C" --once
check "cirmd --once: exit 0" [ "$rc" -eq 0 ]
check "inbox drained, nothing quarantined" \
	[ "$(sql "SELECT (SELECT count(*) FROM inbox) + (SELECT count(*) FROM quarantine)")" -eq 0 ]
check "the five mails stored are five cases" [ "$(sql 'SELECT count(*) FROM cases')" -eq 5 ]
check "the good mail is a case" [ \
	"$(sql "SELECT c.subject FROM cases c JOIN message m ON m.case_id = c.id WHERE m.rfc_message_id = 'cykel.42@mail.exempel.se'")" = \
	"Träd som blockerar cykelbanan" ]
check "with an acknowledgement to the sender" [ \
	"$(sql "SELECT count(*) FROM outbox o JOIN message m ON m.case_id = o.case_id WHERE m.rfc_message_id = 'cykel.42@mail.exempel.se' AND o.recipient = 'karin.lindqvist@exempel.se' AND o.status = 'queued'")" -eq 1 ]
check "the CRLF mail is a case too" [ \
	"$(sql "SELECT count(*) FROM message WHERE direction = 'in' AND rfc_message_id = 'cykel.43@mail.exempel.se'")" -eq 1 ]
check "the case arrived when the mailgate took it" [ \
	"$(sql "SELECT received_at FROM cases c JOIN message m ON m.case_id = c.id WHERE m.rfc_message_id = 'cykel.42@mail.exempel.se'")" -eq "$got" ]

# The MTA starts one mailgate per mail: it loads no library it does not
# use. OpenSSL (the audit log's hashes, reached through the settings
# check) doubled the time a mailgate takes to start.
if command -v readelf >/dev/null; then
	check "cirm-mailgate does not load libcrypto" \
		sh -c "! readelf -d '$MAILGATE' | grep -q 'libcrypto'"
else
	not_ok "readelf (binutils) is not installed"
fi

done_testing
