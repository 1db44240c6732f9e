#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A full disk is the machine's trouble, not the mail's. With the
# attachment spool full, mail with attachments waits in the inbox,
# counting no attempt, and none of it goes to the quarantine; with the
# outbound Maildirs full, the acknowledgements wait in the outbox,
# counting no attempt either. Once there is room again, every mail becomes
# its case and every acknowledgement goes out at once. The spool and the
# Maildirs are small tmpfs in a mount namespace of the test's own (root,
# unshare). A backup onto a full disk says where it could not write.
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE=
unset CIRM_CONF

command -v sqlite3 >/dev/null || skip_all "sqlite3 command-line tool not installed (apt-get install sqlite3)"
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
	skip_all "a small file system for the spool needs root and unshare (util-linux)"
fi
if ! unshare --mount true 2>/dev/null; then
	# a chroot whose / is no mount point, a container without the right
	skip_all "no mount namespace here (unshare --mount fails)"
fi

I=$T/inst
C=$I/cirm.conf
"$CIRMCTL" init "$I" >/dev/null || exit 99
printf 'inbox_retry_delay = 1\ninbox_max_attempts = 2\nsmtp_retry_delay = 1\n' >>"$C"

# mail N: a new mail from sender N with an attachment of 40 KB of its own.
mail() {
	cat <<EOF
From: Medborgare $1 <m$1@exempel.se>
To: kommunen@kommun.example
Subject: Ritning $1
Message-ID: <ritning.$1@exempel.se>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain; charset=utf-8

Här är ritning nummer $1.
--b
Content-Type: application/pdf; name="ritning$1.pdf"
Content-Disposition: attachment; filename="ritning$1.pdf"
Content-Transfer-Encoding: base64

$(head -c 40000 /dev/urandom | base64)
--b--
EOF
}

for n in 1 2 3 4 5 6 7 8 9 10; do
	mail $n | "$top_builddir/cirm-mailgate" -c "$C" || exit 99
done

# In the namespace: the spool on 100 KB, room for two attachments;
# cirmd --once five times, a retry delay apart (more than
# inbox_max_attempts rounds); then room again, and cirmd --once.
unshare --mount sh -c '
	I=$1 C=$2 CIRMD=$3 GW=$4 CTL=$5
	O=$I/maildir/outbound
	mount -t tmpfs -o size=100k,mode=0750 cirm-spool "$I/spool" || exit 99
	mount -t tmpfs -o size=4k,mode=0750 cirm-out "$O" || exit 99
	for round in 1 2 3 4 5; do
		"$CIRMD" -c "$C" --once --no-gateways 2>>"$I/full.log"
		"$GW" -c "$C" --once sink 2>>"$I/sink.log"
		sleep 1.1
	done
	sqlite3 "$I/cirm.db" "SELECT count(*) FROM quarantine" >"$I/q-full"
	sqlite3 "$I/cirm.db" "SELECT count(*), max(attempts) FROM inbox" >"$I/inbox-full"
	sqlite3 "$I/cirm.db" "SELECT last_error FROM inbox LIMIT 1" >"$I/error-full"
	sqlite3 "$I/cirm.db" "SELECT count(*), max(attempts) FROM outbox
	    WHERE sent_at IS NULL" >"$I/outbox-full"
	"$CTL" -c "$C" status >"$I/status-full" 2>&1
	mount -o remount,size=10m "$I/spool" || exit 99
	mount -o remount,size=10m "$O" || exit 99
	"$CIRMD" -c "$C" --once --no-gateways 2>>"$I/room.log"
	"$GW" -c "$C" --once sink 2>>"$I/sink.log"
	find "$I/spool" -type f | wc -l >"$I/files"
	find "$O" -path "*/new/*" -type f | wc -l >"$I/acks"
' spool-full "$I" "$C" "$top_builddir/cirmd" "$top_builddir/cirm-gateway" \
	"$CIRMCTL"
rc=$?
check "the namespace and its small spool were made" [ "$rc" -ne 99 ]

check "a full spool: nothing quarantined" [ "$(cat "$I/q-full")" = 0 ]
waiting=$(cut -d'|' -f1 "$I/inbox-full")
check "... the mails it cannot take wait in the inbox ($waiting)" \
	[ "$waiting" -ge 5 ]
check "... counting no attempt" [ "$(cut -d'|' -f2 "$I/inbox-full")" = 0 ]
check "... with the reason" grep -q 'No space left on device' "$I/error-full"
check "... and the log says they wait" grep -q 'waits: .*No space left on device' \
	"$I/full.log"
check "... as cirmctl status does" grep -qE \
	"put off after an error(; the newest)?: .*No space left on device" \
	"$I/status-full"
check "room again: every mail is a case" \
	[ "$(sqlite3 "$I/cirm.db" 'SELECT count(*) FROM cases')" -eq 10 ]
check "... each with its attachment" \
	[ "$(sqlite3 "$I/cirm.db" 'SELECT count(DISTINCT sha256) FROM attachment')" -eq 10 ]
check "... whose ten files are in the spool" [ "$(cat "$I/files")" -eq 10 ]
check "... the inbox empty and the quarantine too" \
	[ "$(sqlite3 "$I/cirm.db" 'SELECT (SELECT count(*) FROM inbox) + (SELECT count(*) FROM quarantine)')" -eq 0 ]
check "... and one acknowledgement per case" \
	[ "$(sqlite3 "$I/cirm.db" "SELECT count(*) FROM outbox WHERE recipient LIKE 'm%@exempel.se'")" -eq 10 ]

queued=$(cut -d'|' -f1 "$I/outbox-full")
check "full Maildirs: the acknowledgements wait in the outbox ($queued)" \
	[ "$queued" -ge 1 ]
check "... counting no attempt" [ "$(cut -d'|' -f2 "$I/outbox-full")" = 0 ]
check "... and the sink's log says they wait" \
	grep -q 'waits 1 s (no attempt counted): cannot write to the Maildir: No space left on device' \
	"$I/sink.log"
check "... as cirmctl status does" grep -qE \
	"after a failed attempt(; the newest)?: cannot write to the Maildir: No space left on device" \
	"$I/status-full"
check "room again: all ten go out at once" [ "$(cat "$I/acks")" -eq 10 ]
check "... recorded as sent" \
	[ "$(sqlite3 "$I/cirm.db" "SELECT count(*) FROM outbox WHERE status = 'sent'")" -eq 10 ]

# A backup onto a disk too small for it: the message names where the
# copy goes, not the instance's database, whose disk has room.
mkdir "$T/full"
unshare --mount sh -c '
	mount -t tmpfs -o size=64k cirm-backup "$1" || exit 99
	"$2" -c "$3" backup "$1/b" >/dev/null 2>"$4"
	echo $? >"$5"
' backup-full "$T/full" "$CIRMCTL" "$C" "$T/backup.err" "$T/backup.rc"
check "a backup onto a full disk: exit 1" [ "$(cat "$T/backup.rc")" = 1 ]
check "... naming the copy's path and why" contains "$(cat "$T/backup.err")" \
	"$T/full/b/cirm.db.part: the copy cannot be written: database or disk is full"
check "... and not the instance's database" \
	[ -z "$(grep -F "$I/cirm.db" "$T/backup.err")" ]

done_testing
