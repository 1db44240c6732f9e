#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# cirm-mailgate as an MTA runs it: one message on stdin, the exit status
# tells the MTA what to do (0 stored, 65 bounce with a one-line reason on
# stdout, 75 try again later). It stores the mail in its Maildir
# (mailgate_dir) without opening the database; cirmd's mailgate gateway
# takes it from there into the inbox.
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE=
unset CIRM_CONF

command -v sqlite3 >/dev/null || skip_all "sqlite3 command-line tool not installed (apt-get install sqlite3)"
command -v mkfifo >/dev/null || skip_all "mkfifo not found"

MAILGATE=$top_builddir/cirm-mailgate
I=$T/inst
C=$I/cirm.conf
DB=$I/cirm.db
MG=$I/mailgate
"$CIRMCTL" init "$I" >/dev/null || exit 99
{
	echo "template_dir = $(cd "$top_srcdir" && pwd)/templates"
	echo "mail_max_size = 2048"
} >>"$C"
cp "$C" "$T/good.conf"

# Whatever runs in the background is killed when the script ends.
holder=
trap '[ -n "$holder" ] && kill -9 "$holder" 2>/dev/null; rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM

sql() {
	sqlite3 -cmd '.timeout 5000' "$DB" "$1"
}

# stored: the mails waiting in the mailgate's Maildir
stored() {
	find "$MG/new" -type f | wc -l
}

# stored_with TEXT: the file of new/ that holds TEXT
stored_with() {
	grep -l -F -e "$1" "$MG"/new/* 2>/dev/null
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
# An MTA starts one mailgate for each mail, and every shared library the
# mailgate loads adds to each start: libcrypto alone took 4 ms, more
# than all the rest of its work. It loads none of the libraries cirmd
# needs (readelf is in binutils, which the compiler needs).
heavy=$(readelf -d "$MAILGATE" 2>/dev/null |
	sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' |
	grep -E 'libcrypto|libssl|libsqlite3|libetpan|libxml2|libesmtp|libpsl|libmimalloc' |
	tr '\n' ' ')
check "readelf reads the mailgate's libraries" \
	sh -c 'readelf -d "$1" >/dev/null' sh "$MAILGATE"
check "the mailgate loads none of cirmd's libraries${heavy:+ (it loads $heavy)}" \
	[ -z "$heavy" ]

before=$(date +%s)
deliver "$T/good.eml"
after=$(date +%s)
check "a good mail: exit 0" [ "$rc" -eq 0 ]
check "a good mail: nothing on stdout" [ -z "$out" ]
check "a good mail: one file in the mailgate's new/" [ "$(stored)" -eq 1 ]
f=$(stored_with cykel.42@)
check "the file is the mail as received" cmp -s "$f" "$T/good.eml"
check_all "a Maildir name of its own, the time first" <<-'EOF'
	printf '%s\n' "${f##*/}" | grep -Eq '^[0-9]{10}\.M[0-9]{6}P[0-9]+R[0-9a-f]{8}\.mailgate$'
EOF
check "nothing left in tmp/" [ -z "$(ls "$MG/tmp")" ]
got=$(stat -c %Y "$f")
check "the file's time is the moment of delivery, not the Date field ($got in $before..$after)" \
	between "$got" $((before - 1)) $((after + 1))
check "the database was not opened: no WAL beside it" [ ! -e "$DB-wal" ]

# Received over SMTP with CRLF line ends, through the environment's
# configuration.
sed 's/$/\r/; s/cykel\.42/cykel.43/' "$T/good.eml" >"$T/crlf.eml"
out=$(CIRM_CONF=$C "$MAILGATE" <"$T/crlf.eml" 2>"$T/stderr")
rc=$?
check "CRLF line ends, CIRM_CONF: exit 0" [ "$rc" -eq 0 ]
check "CRLF line ends: stored as received" cmp -s "$(stored_with cykel.43@)" "$T/crlf.eml"

# An mbox "From " line, as some MTAs put first, is not part of the mail.
{
	echo "From erik.sandberg@exempel.se  Mon Jan 12 10:00:00 2026"
	sed 's/karin\.lindqvist/erik.sandberg/; s/cykel\.42/grus.7/; s/^Subject: .*/Subject: Grus i backen/' \
		"$T/good.eml"
} >"$T/mbox.eml"
deliver "$T/mbox.eml"
check "mbox From line: exit 0" [ "$rc" -eq 0 ]
sed 1d "$T/mbox.eml" >"$T/mbox.want"
check "mbox From line: dropped, the rest kept whole" \
	cmp -s "$(stored_with 'Grus i backen')" "$T/mbox.want"

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
check "over mail_max_size: not stored" [ "$(stored)" -eq 3 ]
mk_sized exakt.1 2048
deliver "$T/exakt.1.eml"
check "exactly mail_max_size: exit 0" [ "$rc" -eq 0 ]
check "exactly mail_max_size: stored whole" cmp -s "$(stored_with exakt.1@)" "$T/exakt.1.eml"
# an mbox "From " line first is not counted: the mail is the limit's
mk_sized exakt.2 2048
{ echo "From erik.sandberg@exempel.se  Mon Jan 12 10:00:00 2026"; cat "$T/exakt.2.eml"; } >"$T/exakt.2.mbox"
deliver "$T/exakt.2.mbox"
check "exactly mail_max_size after an mbox From line: exit 0" [ "$rc" -eq 0 ]
check "exactly mail_max_size after an mbox From line: stored whole" \
	cmp -s "$(stored_with exakt.2@)" "$T/exakt.2.eml"
mk_sized stor.3 2049
{ echo "From erik.sandberg@exempel.se  Mon Jan 12 10:00:00 2026"; cat "$T/stor.3.eml"; } >"$T/stor.3.mbox"
deliver "$T/stor.3.mbox"
check "one byte over after an mbox From line: exit 65" [ "$rc" -eq 65 ]

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
check "nothing of these stored" [ "$(stored)" -eq 5 ]

# --- the database is not the mailgate's business ---------------------
# Another writer holds the database's write lock (cirmd's engine in a
# long batch, say): the mailgate takes the mail at once all the same.
check "the lock is held" hold_write_lock "$DB"
sed 's/cykel\.42/lock.1/' "$T/good.eml" >"$T/lock.eml"
t0=$(now_ms)
deliver "$T/lock.eml"
t1=$(now_ms)
check "database locked: exit 0" [ "$rc" -eq 0 ]
check "database locked: stored without waiting for the lock ($((t1 - t0)) ms)" \
	[ $((t1 - t0)) -lt 1500 ]
release_write_lock
check "the lock holder ended without error" [ ! -s "$T/holder.out" ]
check "database locked: stored once" [ "$(grep -l -F lock.1@ "$MG"/new/* | wc -l)" -eq 1 ]

# --- what must be retried: EX_TEMPFAIL --------------------------------
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

# The mailgate's Maildir is missing (a mount not there yet, say).
mv "$MG" "$T/mg.away"
deliver "$T/good.eml"
check "missing mailgate_dir: exit 75" [ "$rc" -eq 75 ]
check "missing mailgate_dir: a one-line reason" one_line "$out"
check "missing mailgate_dir: not made by the mailgate" [ ! -e "$MG" ]
mv "$T/mg.away" "$MG"
# new/ is not a directory (a mistake by hand): nothing half done.
mv "$MG/new" "$T/new.away"
: >"$MG/new"
deliver "$T/good.eml"
check "new/ not a directory: exit 75" [ "$rc" -eq 75 ]
check "new/ not a directory: nothing left in tmp/" [ -z "$(ls "$MG/tmp")" ]
rm "$MG/new"
mv "$T/new.away" "$MG/new"
check "nothing of these stored" [ "$(stored)" -eq 6 ]

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
check "none of these stored anything" [ "$(stored)" -eq 6 ]
run "$MAILGATE" --help </dev/null
check "--help: exit 0" [ "$rc" -eq 0 ]
check "--help shows the options" contains "$out" "--config=FILE"
run "$MAILGATE" --version </dev/null
check "--version: exit 0 and the version" contains "$out" "cirm-mailgate (cirm)"
# --help or --version in master.cf: printing the text and exiting 0
# would tell the MTA each mail was delivered, and lose it.
for opt in --help -h --version -V; do
	run "$MAILGATE" -c "$C" $opt <"$T/good.eml"
	check_all "$opt with a mail on standard input, run by the MTA: exit 75, one line" <<-'EOF'
		[ "$rc" -eq 75 ] && one_line "$out" && [ -z "$err" ] && \
		! printf '%s' "$out" | grep -q -e Usage -e '(cirm)'
	EOF
done
check "none of these stored the mail" [ "$(stored)" -eq 6 ]
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
# The MTA's user cannot read the configuration: the mailgate names its
# owner from /etc/passwd alone. Asking NSS instead, as the statically
# linked mailgate did, loaded libnss_systemd into it for a user not in
# /etc/passwd (LDAP, a removed account), and it crashed there (signal
# 11, where the MTA must see 75 and keep the mail).
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null &&
   id nobody >/dev/null 2>&1; then
	uid=4242
	while getent passwd "$uid" >/dev/null; do uid=$((uid + 1)); done
	chmod 755 "$T"
	mkdir -m 0755 "$T/unread"
	printf 'database = %s/unread/cirm.db\n' "$T" >"$T/unread/cirm.conf"
	chown "$uid:$uid" "$T/unread/cirm.conf"
	chmod 600 "$T/unread/cirm.conf"
	run as_nobody "$MAILGATE" -c "$T/unread/cirm.conf" <"$T/good.eml"
	check "a configuration of user $uid (unknown) the MTA's user cannot read: exit 75 ($rc)" \
		[ "$rc" -eq 75 ]
	check "... with the one-line reason" \
		contains "$out" "temporary failure: cirm is not configured correctly"
else
	not_ok "running the mailgate as another user needs root, setpriv and the user nobody"
fi
check "the sender's notice does not show the configuration" \
	sh -c "! printf '%s' \"\$1\" | grep -q typo" sh "$out"

# --- the engine makes cases of what the mailgate stored ----------------
# A cirmd whose cirm-gateway fails (a broken install, say) cannot take
# the mail in: it says so and fails, and the mail waits.
mkdir "$T/bin" && cp "$CIRMD" "$T/bin/cirmd"
printf '#!/bin/sh\nexit 1\n' >"$T/bin/cirm-gateway"
chmod +x "$T/bin/cirm-gateway"
run "$T/bin/cirmd" -c "$C" --once
check "cirmd --once, its cirm-gateway failing: exit 1" [ "$rc" -eq 1 ]
check "... saying the mail waits, and where" \
	contains "$err" "mailgate failed); it waits in $MG/new"
check "... the mail is still there" [ "$(stored)" -eq 6 ]
# cirmd --once takes the mailgate's Maildir into the inbox first.
run "$CIRMD" -c "$C" --once
check "cirmd --once: exit 0" [ "$rc" -eq 0 ]
check "the mailgate's new/ is empty" [ "$(stored)" -eq 0 ]
check "nothing left in cur/ either" [ -z "$(ls "$MG/cur")" ]
check "inbox drained, nothing quarantined" \
	[ "$(sql "SELECT (SELECT count(*) FROM inbox) + (SELECT count(*) FROM quarantine)")" -eq 0 ]
# one mail under several Message-IDs: some are kept as copies sent again
# (mail_resend_window) on the first one's case, with no case of their own
check "the six mails stored are six messages on cases" [ "$(sql "SELECT count(*) FROM message WHERE direction = 'in'")" -eq 6 ]
check "... each a case, or a copy noted on one" \
	[ "$(sql "SELECT (SELECT count(*) FROM cases) + (SELECT count(*) FROM event WHERE kind = 'mail.again')")" -eq 6 ]
check "the good mail is a case" [ \
	"$(sql "SELECT c.subject FROM cases c JOIN message m ON m.case_id = c.id WHERE m.rfc_message_id = 'cykel.42@mail.exempel.se'")" = \
	"Träd som blockerar cykelbanan" ]
check "with an acknowledgement to the sender" [ \
	"$(sql "SELECT count(*) FROM outbox o JOIN message m ON m.case_id = o.case_id WHERE m.rfc_message_id = 'cykel.42@mail.exempel.se' AND o.recipient = 'karin.lindqvist@exempel.se' AND o.status = 'queued'")" -eq 1 ]
check "the CRLF mail is a case too" [ \
	"$(sql "SELECT count(*) FROM message WHERE direction = 'in' AND rfc_message_id = 'cykel.43@mail.exempel.se'")" -eq 1 ]
check "the case arrived when the mailgate took it" [ \
	"$(sql "SELECT received_at FROM cases c JOIN message m ON m.case_id = c.id WHERE m.rfc_message_id = 'cykel.42@mail.exempel.se'")" -eq "$got" ]

# --- as a service: cirmd's mailgate gateway takes each mail at once ---
"$CIRMD" -c "$C" >/dev/null 2>"$T/service.log" &
svc=$!
trap 'kill -9 "$svc" 2>/dev/null; [ -n "$holder" ] && kill -9 "$holder" 2>/dev/null; rm -rf "$T"' EXIT
sed 's/cykel\.42/tjanst.1/; s/^Subject: .*/Subject: Halka vid skolan/' "$T/good.eml" >"$T/svc.eml"
deliver "$T/svc.eml"
check "with cirmd running: exit 0" [ "$rc" -eq 0 ]
i=0
until [ "$(sql "SELECT count(*) FROM cases WHERE subject = 'Halka vid skolan'")" -eq 1 ] ||
      [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "with cirmd running: a case within 10 s ($i tenths)" [ $i -lt 100 ]
check "with cirmd running: the file is gone from new/" [ "$(stored)" -eq 0 ]
check "cirmd's process list has the mailgate gateway" \
	[ -n "$(sql "SELECT value FROM gateway_state WHERE gateway = 'cirmd' AND key = 'process.mailgate' AND value <> ''")" ]
kill "$svc"
wait "$svc"
check "cirmd stops on SIGTERM" [ $? -eq 0 ]

# The MTA starts one mailgate per mail: it loads no library it does not
# use. OpenSSL (the audit log's hashes, reached through the settings
# check) doubled the time a mailgate takes to start; SQLite is not
# needed either, now that it leaves the database alone.
if command -v readelf >/dev/null; then
	check "cirm-mailgate does not load libcrypto or libsqlite3" \
		sh -c "! readelf -d '$MAILGATE' | grep -q -e 'libcrypto' -e 'libsqlite'"
	# Linked statically (configure's default where the C library
	# allows), it starts without the dynamic loader: a third less time
	# a mail.
	case ${STATIC_MAILGATE:-} in
	yes)	check "cirm-mailgate is linked statically, as configured" \
			sh -c "! readelf -d '$MAILGATE' | grep -q NEEDED" ;;
	no)	check "cirm-mailgate is linked dynamically, as configured" \
			sh -c "readelf -d '$MAILGATE' | grep -q NEEDED" ;;
	*)	not_ok "STATIC_MAILGATE is not set: run me through make check" ;;
	esac
	# It reads mail from outside: its code too is placed at random.
	check "cirm-mailgate is position-independent (a PIE)" \
		sh -c "readelf -h '$MAILGATE' | grep -q 'Type:.*DYN'"
	# Linked statically, it has no libraries for readelf to list: what
	# it holds of them shows in its symbols.
	check "cirm-mailgate holds none of SQLite, OpenSSL, libxml2, libetpan" \
		sh -c "! nm '$MAILGATE' | grep -qE ' [TtUuWw] (sqlite3_|EVP_|SSL_|xml[A-Z]|mailimf_|mailmime_)'"
else
	not_ok "readelf (binutils) is not installed"
fi

done_testing
