#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A real Postfix delivers citizen mail to cirm-mailgate through a pipe(8)
# transport: a good mail becomes a case, a mail over mail_max_size is
# bounced to its sender with the mailgate's reason, and a mail that meets
# a locked or missing database is deferred and delivered once, later.
# The test runs its own Postfix (own configuration, queue and log under
# $T, SMTP on a free loopback port), never the system's.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/postfix-lib.sh"
export LC_ALL=C LANGUAGE=
unset CIRM_CONF MAIL_CONFIG

command -v sqlite3 >/dev/null || skip_all "sqlite3 command-line tool not installed (apt-get install sqlite3)"
command -v python3 >/dev/null || skip_all "python3 not installed (apt-get install python3)"

# Postfix's unprivileged processes must reach the queue and the instance,
# and the pipe user the program (for_nobody: a copy, as the build tree
# may be where that user cannot go).
chmod 711 "$T"
MAILGATE=$(for_nobody "$top_builddir/cirm-mailgate") || exit 99
"$CIRMCTL" init "$I" >/dev/null || exit 99
{
	echo "template_dir = $(cd "$top_srcdir" && pwd)/templates"
	echo "mail_max_size = 2048"
	echo "busy_timeout = 200"
} >>"$C"
mkdir "$PF" "$T/queue" "$T/data" "$T/sink" || exit 99
# The pipe transport runs cirm-mailgate as $PIPE_USER; the instance
# belongs to it, as it would to a cirm user.
chown -R "$PIPE_USER:$PIPE_GROUP" "$I" "$T/sink" || exit 99
chown postfix "$T/data" || exit 99

PORT=$(free_port) || exit 99

# Mail for kommun.example goes to cirm; mail for exempel.se (the
# citizens: bounces) to files in $T/sink; nothing leaves the machine.
postfix_main_cf >"$PF/main.cf"
cat >>"$PF/main.cf" <<EOF
mydestination = kommun.example
mynetworks = 127.0.0.0/8
local_transport = cirm:
local_recipient_maps =
relay_domains =
cirm_destination_recipient_limit = 1
EOF
echo "exempel.se sink:" >"$PF/transport"
echo "127.0.0.1:$PORT inet n - n - - smtpd" >"$PF/master.cf"
postfix_services >>"$PF/master.cf"
cat >>"$PF/master.cf" <<EOF
cirm      unix  -       n       n       -       -       pipe
  flags=DRq user=$PIPE_USER argv=$MAILGATE -c $C
sink      unix  -       n       n       -       -       pipe
  flags=R user=$PIPE_USER argv=/usr/bin/tee $T/sink/\${queue_id}
EOF

holder=
trap 'exec 3>&-; [ -n "$holder" ] && kill -9 "$holder" 2>/dev/null
	stop_postfix; rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM

between() { # between N LOW HIGH
	[ "$1" -ge "$2" ] && [ "$1" -le "$3" ]
}

cat >"$T/send.py" <<'EOF'
import smtplib, sys
host, port, sender, rcpt = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
try:
    with smtplib.SMTP(host, port, timeout=10) as s:
        if len(sys.argv) < 6:
            s.noop()
        else:
            with open(sys.argv[5], "rb") as f:
                s.sendmail(sender, rcpt.split(","), f.read())
except (smtplib.SMTPException, OSError) as e:
    print("smtp: %s" % e)
    sys.exit(1)
EOF

# send FROM FILE [TO,...]: submits FILE over SMTP to arende@kommun.example
# (or the recipients TO).
send() {
	out=$(python3 "$T/send.py" 127.0.0.1 "$PORT" "$1" "${3:-arende@kommun.example}" "$2" 2>&1)
	rc=$?
	[ $rc -eq 0 ] || echo "# $out"
}

# The Postfix queue ID of the mail with Message-ID MID, from the log.
qid_of() {
	awk -v mid="message-id=<$1>" '$0 ~ /postfix\/cleanup/ && index($0, mid) {
		q = $6; sub(/:$/, "", q); print q; exit }' "$LOG" 2>/dev/null
}

# The last delivery status of MID to cirm: sent, bounced, deferred.
status_of() {
	q=$(qid_of "$1")
	[ -n "$q" ] || return 0
	grep "postfix/pipe\[[0-9]*\]: $q: to=<arende@kommun.example>" "$LOG" |
		tail -n 1 | sed -n 's/.* status=\([a-z]*\).*/\1/p'
}

# Waits up to 20 s until MID's delivery status is STATUS.
wait_status() {
	i=0
	while [ "$(status_of "$1")" != "$2" ]; do
		i=$((i + 1))
		if [ $i -gt 200 ]; then
			echo "# $1: status '$(status_of "$1")', expected $2"
			show_log
			return 1
		fi
		sleep 0.1
	done
}

# The log line of MID's last delivery attempt to cirm.
status_line() {
	grep "postfix/pipe\[[0-9]*\]: $(qid_of "$1"): to=<arende@kommun.example>" "$LOG" |
		tail -n 1
}

# Waits up to 20 s for a file in the sink containing TEXT.
wait_sink() {
	i=0
	until grep -lq "$1" "$T"/sink/* 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 200 ] && return 1
		sleep 0.1
	done
}

MG=$I/mailgate
files_with() { # the files of the mailgate's new/ holding Message-ID MID
	grep -l -F -e "<$1>" "$MG"/new/* 2>/dev/null
}

rows_with() { # how many there are
	files_with "$1" | wc -l
}

in_queue() {
	postqueue -c "$PF" -p 2>/dev/null | grep -q "^$(qid_of "$1")[*! ]"
}

# Waits up to 20 s until the mail MID has left Postfix's queue.
wait_removed() {
	i=0
	until q=$(qid_of "$1") && [ -n "$q" ] &&
		grep -q "postfix/qmgr\[[0-9]*\]: $q: removed" "$LOG"; do
		i=$((i + 1))
		[ $i -gt 200 ] && return 1
		sleep 0.1
	done
	! in_queue "$1"
}

# Waits up to 20 s for an empty queue.
wait_queue_empty() {
	i=0
	until postqueue -c "$PF" -p 2>&1 | grep -q 'Mail queue is empty'; do
		i=$((i + 1))
		if [ $i -gt 200 ]; then
			postqueue -c "$PF" -p 2>&1 | sed 's/^/# /'
			return 1
		fi
		sleep 0.1
	done
}

# mail FILE MID SUBJECT [BODY-LINES]: a citizen's mail.
mail() {
	{
		printf 'From: =?UTF-8?Q?G=C3=B6ran_Sj=C3=B6berg?= <goran.sjoberg@exempel.se>\n'
		printf 'To: Kommunen <arende@kommun.example>\n'
		printf 'Subject: %s\n' "$3"
		printf 'Date: Mon, 12 Jan 2026 10:00:00 +0100\n'
		printf 'Message-ID: <%s>\n' "$2"
		printf 'MIME-Version: 1.0\n'
		printf 'Content-Type: text/plain; charset=utf-8\n'
		printf 'Content-Transfer-Encoding: 8bit\n\n'
		printf 'Hej!\n\nGatlyktan utanför Storgatan 12 är trasig sedan en vecka.\n'
		i=0
		while [ $i -lt "${4:-0}" ]; do
			printf 'Rad %d: mer om gatlyktan, som blinkar hela natten.\n' $i
			i=$((i + 1))
		done
		printf '\nMed vänlig hälsning\nGöran\n'
	} >"$1"
}

# --- Postfix up -------------------------------------------------------
run postfix -c "$PF" check
check "postfix check accepts the configuration" [ "$rc" -eq 0 ]
check "postfix check has no warnings" [ -z "$out$err" ]
[ -z "$out$err" ] || printf '%s\n%s\n' "$out" "$err" | sed 's/^/# /'
run postfix -c "$PF" start
[ "$rc" -eq 0 ] && started=1
check "postfix starts" [ "$rc" -eq 0 ]
i=0
until python3 "$T/send.py" 127.0.0.1 "$PORT" x x >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -gt 100 ] && break
	sleep 0.1
done
check "smtpd answers on 127.0.0.1:$PORT" [ $i -le 100 ]
[ $i -le 100 ] || show_log
check "the pipe user can run cirm-mailgate" \
	su -s /bin/sh "$PIPE_USER" -c "test -x '$MAILGATE' && test -r '$C'"

# --- a good mail ------------------------------------------------------
mail "$T/good.eml" good.1@mail.exempel.se "Trasig gatlykta"
before=$(date +%s)
send goran.sjoberg@exempel.se "$T/good.eml"
check "good mail: accepted over SMTP" [ "$rc" -eq 0 ]
check "good mail: delivered to cirm (status=sent)" wait_status good.1@mail.exempel.se sent
after=$(date +%s)
check "good mail: stored once in the mailgate's Maildir" [ "$(rows_with good.1@mail.exempel.se)" -eq 1 ]
f=$(files_with good.1@mail.exempel.se)
check "good mail: with Postfix's Return-Path first" \
	[ "$(head -n 1 "$f")" = "Return-Path: <goran.sjoberg@exempel.se>" ]
check "good mail: and its Delivered-To" grep -q "^Delivered-To: arende@kommun.example" "$f"
check "good mail: written by the pipe user" [ "$(stat -c %U "$f")" = "$PIPE_USER" ]
check "good mail: the file's time is the time of delivery" \
	between "$(stat -c %Y "$f")" $((before - 1)) $((after + 1))

# --- too big: bounced by Postfix with the mailgate's reason -----------
mail "$T/big.eml" big.1@mail.exempel.se "Lang beskrivning" 100
head -c 5000 "$T/big.eml" >"$T/big5000.eml"
send goran.sjoberg@exempel.se "$T/big5000.eml"
check "5000-byte mail: accepted over SMTP (Postfix's own limit is larger)" [ "$rc" -eq 0 ]
check "5000-byte mail: bounced (status=bounced)" wait_status big.1@mail.exempel.se bounced
line=$(status_line big.1@mail.exempel.se)
check "5000-byte mail: a permanent failure (dsn=5.x)" contains "$line" "dsn=5."
check "5000-byte mail: the log gives the mailgate's reason" contains "$line" "message too large: the limit is 2048 bytes"
check "5000-byte mail: the sender gets a bounce with the reason" \
	wait_sink "Diagnostic-Code: x-unix; message too large: the limit is 2048 bytes"
check "5000-byte mail: not stored" [ "$(rows_with big.1@mail.exempel.se)" -eq 0 ]
check "5000-byte mail: removed from Postfix's queue" wait_removed big.1@mail.exempel.se

# Far larger than a pipe buffer: the mailgate stops reading at the limit
# and Postfix still bounces rather than retries.
mail "$T/huge.eml" huge.1@mail.exempel.se "Mycket lang beskrivning" 6000
send goran.sjoberg@exempel.se "$T/huge.eml"
check "300 kB mail: bounced (status=bounced)" wait_status huge.1@mail.exempel.se bounced
check "300 kB mail: with the mailgate's reason" contains "$(status_line huge.1@mail.exempel.se)" "message too large"
check "300 kB mail: not stored" [ "$(rows_with huge.1@mail.exempel.se)" -eq 0 ]

# --- the database locked: delivered all the same ---------------------
# Another writer holds the database (the engine in a long batch, a
# backup): the mailgate does not open it, and the mail is taken at once.
check "the database is locked" hold_write_lock "$DB"
mail "$T/lock.eml" lock.1@mail.exempel.se "Snoplogning"
send goran.sjoberg@exempel.se "$T/lock.eml"
check "locked database: mail accepted over SMTP" [ "$rc" -eq 0 ]
check "locked database: delivered to cirm all the same (status=sent)" wait_status lock.1@mail.exempel.se sent
check "locked database: stored once" [ "$(rows_with lock.1@mail.exempel.se)" -eq 1 ]
release_write_lock

# --- temporary failures: deferred, then delivered once ----------------
# The pipe user cannot write to the mailgate's Maildir (a wrong owner
# after a restore, say).
chown root:root "$MG/tmp" || exit 99
mail "$T/perm.eml" perm.1@mail.exempel.se "Parkering"
send goran.sjoberg@exempel.se "$T/perm.eml"
check "mailgate_dir not writable: deferred (status=deferred)" wait_status perm.1@mail.exempel.se deferred
line=$(status_line perm.1@mail.exempel.se)
check "mailgate_dir not writable: a temporary failure (dsn=4.x)" contains "$line" "dsn=4."
check "mailgate_dir not writable: the log gives the mailgate's reason" contains "$line" "temporary failure"
check "mailgate_dir not writable: the mail waits in Postfix's queue" in_queue perm.1@mail.exempel.se
check "mailgate_dir not writable: not stored" [ "$(rows_with perm.1@mail.exempel.se)" -eq 0 ]
chown "$PIPE_USER:$PIPE_GROUP" "$MG/tmp" || exit 99
run postqueue -c "$PF" -f
check "postqueue -f" [ "$rc" -eq 0 ]
check "writable again: delivered (status=sent)" wait_status perm.1@mail.exempel.se sent
check "writable again: stored exactly once" [ "$(rows_with perm.1@mail.exempel.se)" -eq 1 ]

check "Postfix's queue is empty" wait_queue_empty

# --- the engine makes cases of what Postfix delivered -----------------
# (run as root here, the instance given to root first: cirmd refuses to
# run as root on another user's instance, whose files it would make
# root's)
chown -R root:root "$I" || exit 99
run "$CIRMD" -c "$C" --once
check "cirmd --once: exit 0" [ "$rc" -eq 0 ]
check "the mailgate's Maildir taken into the inbox" [ -z "$(ls "$MG/new")" ]
check "inbox drained, nothing quarantined" \
	[ "$(sql "SELECT (SELECT count(*) FROM inbox) + (SELECT count(*) FROM quarantine)")" -eq 0 ]
check "three mails delivered, three cases" [ "$(sql 'SELECT count(*) FROM cases')" -eq 3 ]
for mid in good.1 lock.1 perm.1; do
	check "$mid: one inbound message, in its own case" [ \
		"$(sql "SELECT count(*), count(DISTINCT case_id) FROM message WHERE direction = 'in' AND rfc_message_id = '$mid@mail.exempel.se'")" = "1|1" ]
done
check "the good mail's case has an acknowledgement to the sender" [ \
	"$(sql "SELECT count(*) FROM outbox o JOIN message m ON m.case_id = o.case_id WHERE m.direction = 'in' AND m.rfc_message_id = 'good.1@mail.exempel.se' AND o.recipient = 'goran.sjoberg@exempel.se'")" -eq 1 ]
check "one acknowledgement per case" [ \
	"$(sql "SELECT count(*), count(DISTINCT case_id) FROM outbox")" = "3|3" ]

# --- one mail to two of cirm's addresses -----------------------------
# An officer's reply to all, to the signed address and the case address:
# pipe's flag D (Delivered-To) takes one recipient per delivery, which
# cirm_destination_recipient_limit = 1 gives; without it Postfix defers
# the mail for good ("mail system configuration error").
chown -R "$PIPE_USER:$PIPE_GROUP" "$I" || exit 99
mail "$T/two.eml" two.1@mail.exempel.se "Till två adresser"
send goran.sjoberg@exempel.se "$T/two.eml" \
	arende@kommun.example,arende+ks-2026-00001.h1.0123456789abcdef@kommun.example
check "two recipients: accepted over SMTP" [ "$rc" -eq 0 ]
check "two recipients: delivered, not deferred" wait_removed two.1@mail.exempel.se
check "two recipients: stored once for each, with its Delivered-To" \
	[ "$(rows_with two.1@mail.exempel.se)" -eq 2 ]
check "... the signed one's too" sh -c 'grep -l "^Delivered-To: arende+ks-2026-00001" "$@"' - \
	$(files_with two.1@mail.exempel.se)

stop_postfix
check "postfix stops" [ $? -eq 0 ]

done_testing
