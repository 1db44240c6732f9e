#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# cirmctl backup: a consistent copy of an instance taken while cirmd
# writes to it; the copy opens as an instance of its own, every attachment
# file it names is there with the right content, the key is there, mode
# 0600; a directory that is not empty, a missing attachment file and a
# readable key are refused with a clear message; the audit log records
# the backup, which also holds the mail cirm-mailgate stored that is not in
# the database yet. cirmctl restore puts it back: only with --yes, never
# while cirmd runs, keeping the database and key it replaces, bringing
# back lost attachment files and the mailgate's mail, and never giving a
# case number twice, making two cases of one mail nor forgetting an SMS
# opt-out.
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE=
unset CIRM_CONF

command -v sqlite3 >/dev/null || skip_all "sqlite3 command-line tool not installed (apt-get install sqlite3)"

I=$T/inst
C=$I/cirm.conf
B=$T/backup
MAILGATE=$top_builddir/cirm-mailgate

sql() {
	sqlite3 -cmd '.timeout 5000' "$1" "$2"
}

# mail N: a new mail from sender N, with an attachment of its own.
mail() {
	cat <<EOF
From: Medborgare $1 <m$1@exempel.se>
To: kommunen@kommun.example
Subject: Foto nummer $1
Message-ID: <foto.$1@exempel.se>
Date: Wed, 02 Dec 2026 10:00:00 +0100
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain; charset=utf-8

Här är foto nummer $1 av gropen.
--b
Content-Type: image/jpeg; name="grop$1.jpg"
Content-Disposition: attachment; filename="grop$1.jpg"
Content-Transfer-Encoding: base64

$(printf 'JPEG data of photo %s\n' "$1" | base64)
--b--
EOF
}

run "$CIRMCTL" init "$I"
check "init succeeds" [ "$rc" -eq 0 ]
for n in 1 2 3 4 5; do
	mail $n | "$MAILGATE" -c "$C" || echo "mailgate failed on $n" >&2
done
run "$CIRMD" -c "$C" --once
check "cirmd --once: five cases" \
	[ "$rc" -eq 0 -a "$(sql "$I/cirm.db" 'SELECT count(*) FROM cases')" -eq 5 ]

# While cirmd runs and mail keeps coming.
"$CIRMD" -c "$C" 2>"$T/cirmd.log" &
pid=$!
(
	n=6
	while [ $n -le 60 ]; do
		mail $n | "$MAILGATE" -c "$C" 2>/dev/null
		n=$((n + 1))
	done
) &
writer=$!
# until cirmd makes cases of them
i=0
while [ "$(sql "$I/cirm.db" 'SELECT count(*) FROM cases')" -le 6 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
run "$CIRMCTL" -c "$C" backup "$B"
check "backup while cirmd runs: exit 0" [ "$rc" -eq 0 ]
check "... says what it wrote" contains "$out" "Backup written to $B"
check "... and what it leaves out, for a restore elsewhere" contains "$out" \
	"cirm.conf, the password files it names, the workflows ($I/workflows) and the templates ($I/templates) are not in it"
wait $writer
i=0
while [ "$(sql "$I/cirm.db" 'SELECT count(*) FROM cases')" -lt 60 ] && [ $i -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "cirmd went on meanwhile: all 60 mails are cases" \
	[ "$(sql "$I/cirm.db" 'SELECT count(*) FROM cases')" -eq 60 ]
kill $pid
wait $pid

check "the directory is the administrator's alone" \
	[ "$(mode_of "$B")" = 700 ]
check "the database copy is 0600" [ "$(mode_of "$B/cirm.db")" = 600 ]
check_all "the key is copied, 0600, the same" <<-'EOF'
	[ "$(mode_of "$B/cirm.key")" = 600 ] && cmp -s "$I/cirm.key" "$B/cirm.key"
EOF
check "no part file is left" [ ! -e "$B/cirm.db.part" ]
check "the copy is sound" \
	[ "$(sql "$B/cirm.db" 'PRAGMA integrity_check')" = ok ]
cases=$(sql "$B/cirm.db" 'SELECT count(*) FROM cases')
pending=$(sql "$B/cirm.db" 'SELECT count(*) FROM inbox')
# Mail the mailgate had stored and its gateway had not taken in when the
# backup began; a mail the gateway took in meanwhile is in the database
# copy as well, and counts once.
waiting=0
for f in "$B"/mailgate/new/*; do
	[ -f "$f" ] || continue
	id=$(sed -n 's/^Message-ID: <\(.*\)>$/\1/p' "$f")
	[ "$(sql "$B/cirm.db" "SELECT (SELECT count(*) FROM message WHERE
	    rfc_message_id = '$id') + (SELECT count(*) FROM inbox i LEFT JOIN
	    raw_message r ON r.id = i.raw_id WHERE instr(CAST(coalesce(r.raw,
	    i.raw) AS TEXT), '<$id>') > 0)")" -eq 0 ] && waiting=$((waiting + 1))
done
check "the copy has the cases of its moment ($cases)" \
	[ "$cases" -ge 5 -a "$cases" -le 60 ]
# Consistent: every case of the copy has its messages, and every
# attachment it names is in its spool with the right content.
check "every case in the copy has its first message" \
	[ "$(sql "$B/cirm.db" 'SELECT count(*) FROM cases c WHERE NOT EXISTS
	    (SELECT 1 FROM message m WHERE m.case_id = c.id)')" -eq 0 ]
bad=0
for h in $(sql "$B/cirm.db" 'SELECT DISTINCT sha256 FROM attachment'); do
	f=$B/spool/$(printf %s "$h" | cut -c1-2)/$(printf %s "$h" | cut -c3-)
	[ "$(sha256sum <"$f" 2>/dev/null | cut -d' ' -f1)" = "$h" ] || bad=$((bad + 1))
done
check "every attachment the copy names is in its spool, intact" [ "$bad" -eq 0 ]
check "... as many as it names" \
	[ "$(find "$B/spool" -type f | wc -l)" -eq \
	  "$(sql "$B/cirm.db" 'SELECT count(DISTINCT sha256) FROM attachment')" ]

# The copy runs as an instance: a configuration naming its files.
{ cat "$C"; printf 'database = %s\nspool_dir = %s\nkey_file = %s\n' \
	"$B/cirm.db" "$B/spool" "$B/cirm.key"; } >"$T/restored.conf"
run "$CIRMCTL" -c "$T/restored.conf" case show KS-$(date +%Y)-00001
check "the copy opens: case 1 with its attachment" contains "$out" "grop1.jpg"

run "$CIRMCTL" -c "$C" audit list --object "$B"
check "the audit log names the backup and where it went" contains "$out" \
	"instance.backup"
# The entry is written before anything is copied: the backup holds it.
check "the backup's own database has its instance.backup entry" \
	[ "$(sql "$B/cirm.db" "SELECT count(*) FROM audit WHERE
	    action = 'instance.backup' AND object = '$B' AND
	    detail = 'database, spool, key, waiting mails'")" -eq 1 ]
run "$CIRMCTL" -c "$C" audit verify
check "the instance's audit chain holds" [ "$rc" -eq 0 ]
run "$CIRMCTL" -c "$T/restored.conf" audit verify
check "... and so does the backup's" [ "$rc" -eq 0 ]
# Given as a relative path, the backup is audited where it is, which
# the log must say a year later, wherever cirmctl was run from.
run sh -c 'cd "$1" && "$2" -c "$3" backup rel' - "$T" \
	"$(cd "$top_builddir" && pwd)/cirmctl" "$C"
run "$CIRMCTL" -c "$C" audit list --object "$T/rel"
check "a relative path: audited as the whole path" contains "$out" \
	"instance.backup"

# Bad input.
run "$CIRMCTL" -c "$C" backup "$B"
check "a directory that is not empty: exit 1" [ "$rc" -eq 1 ]
check "... saying why" contains "$err" "is not empty"
check "... and leaving the backup there alone" \
	[ "$(sql "$B/cirm.db" 'SELECT count(*) FROM cases')" -eq "$cases" ]
run "$CIRMCTL" -c "$C" backup
check "no directory: a usage error" [ "$rc" -eq 64 ]
run "$CIRMCTL" -c "$C" backup "$T/no/such/dir"
check "a directory that cannot be made: exit 1" [ "$rc" -eq 1 ]
check "... naming it" contains "$err" "$T/no/such/dir: cannot create"

h=$(sql "$I/cirm.db" 'SELECT sha256 FROM attachment ORDER BY id LIMIT 1')
rm -f "$I/spool/$(printf %s "$h" | cut -c1-2)/$(printf %s "$h" | cut -c3-)"
mkdir "$T/b2"
run "$CIRMCTL" -c "$C" backup "$T/b2"
check "a missing attachment file: exit 1" [ "$rc" -eq 1 ]
check "... naming the file by its hash" contains "$err" "attachment $h is not copied"
check "... why: not there" contains "$err" "No such file or directory"
check "... and saying the backup lacks it" contains "$err" \
	"1 attachment file the database names could not be read from the spool, and so is not in the backup (see above why)"
check "... with the rest of the backup made" [ -s "$T/b2/cirm.db" ]

run "$CIRMCTL" -c "$C" backup --no-spool "$T/b3"
check "--no-spool: exit 0, the database and key only" \
	[ "$rc" -eq 0 -a -s "$T/b3/cirm.db" -a -s "$T/b3/cirm.key" -a ! -e "$T/b3/spool" ]

chmod 0644 "$I/cirm.key"
run "$CIRMCTL" -c "$C" backup "$T/b4"
check "a key others may read: refused (EX_CONFIG)" [ "$rc" -eq 78 ]
check "... saying why" contains "$err" "secret file is accessible to group or others"
check "... and no database copy left" [ ! -e "$T/b4/cirm.db" -a ! -e "$T/b4/cirm.db.part" ]
chmod 0600 "$I/cirm.key"

# cirmctl restore puts $B back: first it only says what it would do.
run "$CIRMCTL" -c "$C" restore "$B"
check "restore without --yes: exit 0" [ "$rc" -eq 0 ]
check "... shows the instance's cases" contains "$out" \
	"The instance: 60 cases, the newest KS-$(date +%Y)-00060"
check "... and the backup's" contains "$out" "The backup: $cases cases"
check "... and changes nothing" \
	[ "$(sql "$I/cirm.db" 'SELECT count(*) FROM cases')" -eq 60 ]

"$CIRMD" -c "$C" 2>>"$T/cirmd.log" &
pid=$!
i=0
while ! "$CIRMCTL" -c "$C" status 2>/dev/null | grep -q 'cirmd: running'; do
	i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1
done
run "$CIRMCTL" -c "$C" restore --yes "$B"
check "restore while cirmd runs: refused" [ "$rc" -eq 1 ]
check "... saying to stop it" contains "$err" "is running on $I/cirm.db: stop it first"
run "$CIRMCTL" -c "$C" restore "$B"
check_all "without --yes it shows what would change while cirmd runs, and says to stop it" <<-'EOF'
	[ "$rc" -eq 0 ] && contains "$out" "The backup: $cases cases" && \
	contains "$out" "is running on $I/cirm.db: stop it before restore --yes." && \
	contains "$out" "Nothing is changed."
EOF
kill $pid
wait $pid

run "$CIRMCTL" -c "$C" restore --yes "$I"
check "the instance's own directory as the backup: exit 1" [ "$rc" -eq 1 ]
check "... saying what it is and what to give" contains "$err" "$I/cirm.db is the instance's own database, not a backup"
check "... keeping nothing aside" [ -z "$(ls "$I" | grep before-restore)" ]

run "$CIRMCTL" -c "$C" restore --yes "$T/b3/spool"
check "a directory with no backup: exit 1" [ "$rc" -eq 1 ]
check "... saying so" contains "$err" "holds no backup"
check "... keeping nothing aside" [ -z "$(ls "$I" | grep before-restore)" ]
check "... and why, in words (a --no-spool backup has no spool/)" contains "$err" \
	"$T/b3/spool holds no backup: there is no such directory"
mkdir "$T/empty-backup" || exit 99
run "$CIRMCTL" -c "$C" restore --yes "$T/empty-backup"
check "a directory without cirm.db: said so" contains "$err" \
	"$T/empty-backup holds no backup: there is no cirm.db in it"
# The directory the nightly backups go to, given for one of them: the
# backups in it are named, and how to name one.
mkdir -p "$T/nightly/2026-12-06" "$T/nightly/2026-12-07" "$T/nightly/logs" &&
	cp "$T/b3/cirm.db" "$T/nightly/2026-12-06/" &&
	cp "$T/b3/cirm.db" "$T/nightly/2026-12-07/" || exit 99
run "$CIRMCTL" -c "$C" restore "$T/nightly"
check "the directory of the nightly backups: exit 1" [ "$rc" -eq 1 ]
check "... naming the backups in it, and how to give one" contains "$err" \
	"$T/nightly holds no backup itself, but these directories in it do (by name, the last ten): 2026-12-06, 2026-12-07; name the one to restore, as in cirmctl restore $T/nightly/2026-12-07"

# A backup whose key was damaged or lost (copied by hand, a disk error):
# cirmd could not start on it, so nothing is restored.
key_before=$(cat "$I/cirm.key")
mkdir "$T/b8" && cp -p "$B/cirm.db" "$T/b8/" && printf 'abc\n' >"$T/b8/cirm.key" &&
	chmod 0600 "$T/b8/cirm.key"
run "$CIRMCTL" -c "$C" restore --yes "$T/b8"
check "a backup with a damaged key: exit 1" [ "$rc" -eq 1 ]
check "... saying what is wrong with it" contains "$err" \
	"$T/b8/cirm.key: key file must hold 64 hexadecimal digits"
check_all "... restoring nothing, the instance's key kept" <<-'EOF'
	[ -z "$(ls "$I" | grep before-restore)" ] &&
	[ "$(cat "$I/cirm.key")" = "$key_before" ] &&
	[ "$(sql "$I/cirm.db" 'SELECT count(*) FROM cases')" -eq 60 ]
EOF
rm "$T/b8/cirm.key"
run "$CIRMCTL" -c "$C" restore --yes "$T/b8"
check_all "a backup without its key: exit 1, nothing restored" <<-'EOF'
	[ "$rc" -eq 1 ] && [ -z "$(ls "$I" | grep before-restore)" ]
EOF
check "... saying it lacks one" contains "$err" "$T/b8/cirm.key: No such file"
# A backup damaged on its medium (bit rot in a page of the messages,
# which the count of cases and the newest one's number do not read):
# refused, already when only asked what a restore would do.
page=$(sql "$B/cirm.db" "SELECT max(pageno) FROM dbstat WHERE name = 'message'")
mkdir "$T/b9" && cp -p "$B/cirm.db" "$B/cirm.key" "$T/b9/" &&
	dd if=/dev/urandom of="$T/b9/cirm.db" bs=4096 count=1 conv=notrunc \
	   seek=$((page - 1)) 2>/dev/null
run "$CIRMCTL" -c "$C" restore "$T/b9"
check "a damaged backup: exit 1 without --yes" [ "$rc" -eq 1 ]
check "... saying it is damaged" contains "$err" "$T/b9/cirm.db is damaged"
check "... in one line" [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ]
run "$CIRMCTL" -c "$C" restore --yes "$T/b9"
check_all "... and with --yes: exit 1, nothing restored" <<-'EOF'
	[ "$rc" -eq 1 ] && [ -z "$(ls "$I" | grep before-restore)" ] &&
	[ "$(sql "$I/cirm.db" 'PRAGMA quick_check')" = ok ] &&
	[ "$(sql "$I/cirm.db" 'SELECT count(*) FROM cases')" -eq 60 ]
EOF

# A new key since the backup, and the attachment file lost above.
old_key=$(cat "$I/cirm.key")
printf '%064d\n' 7 >"$I/cirm.key"
# As on a server: the instance is the service user's, the restore root's.
owner=$(id -un)
as_owner() { "$@"; }
if [ "$(id -u)" -eq 0 ]; then
	chown -R nobody:nogroup "$I"
	owner=nobody
	# cirmd and the mailgate run as the service's user, as on a
	# server (cirmd refuses root on another user's instance)
	chmod 711 "$T"
	as_owner() { as_nobody "$@"; }
fi
rm -f "$I/cirm.db.cirmd-lock"	# as if cirmd had never run
# A citizen who sent STOP after the backup, and one who had sent it
# before (as it was then).
sql "$I/cirm.db" "INSERT INTO sms_optout (number, at, keyword)
	VALUES ('+46701111111', 2, 'STOPP'), ('+46702222222', 2, 'STOP')"
sql "$B/cirm.db" "INSERT INTO sms_optout (number, at, keyword)
	VALUES ('+46702222222', 1, 'STOP'), ('+46703333333', 1, 'STOP')"
run "$CIRMCTL" -c "$C" restore --yes "$B"
check "restore --yes: exit 0" [ "$rc" -eq 0 ]
check "SMS opt-outs of the backup and of the replaced database are kept" \
	[ "$(sql "$I/cirm.db" 'SELECT group_concat(number, " ") FROM
	    (SELECT number FROM sms_optout ORDER BY number)')" = \
	  "+46701111111 +46702222222 +46703333333" ]
check "the instance has the backup's cases" \
	[ "$(sql "$I/cirm.db" 'SELECT count(*) FROM cases')" -eq "$cases" ]
kept=$(ls "$I"/cirm.db.before-restore-* 2>/dev/null)
check_all "the replaced database is kept, mode 0600" <<-'EOF'
	[ -n "$kept" ] && [ "$(mode_of "$kept")" = 600 ]
EOF
check "... whole" [ "$(sql "$kept" 'SELECT count(*) FROM cases')" -eq 60 ]
check "the lost attachment file is back" contains "$out" \
	"Attachment files put back in the spool: 1"
check "... intact" [ "$(sha256sum <"$I/spool/$(printf %s "$h" | cut -c1-2)/$(printf %s "$h" | cut -c3-)" | cut -d' ' -f1)" = "$h" ]
check "the backup's key is back" [ "$(cat "$I/cirm.key")" = "$old_key" ]
lost=$I/spool/$(printf %s "$h" | cut -c1-2)/$(printf %s "$h" | cut -c3-)
check "what the restore wrote is the instance owner's ($owner)" \
	[ "$(stat -c %U "$I/cirm.key")" = "$owner" -a \
	  "$(stat -c %U "$lost")" = "$owner" -a \
	  "$(stat -c %U "$(dirname "$lost")")" = "$owner" -a \
	  "$(stat -c %U "$I/cirm.db")" = "$owner" -a \
	  "$(stat -c %U "$I/cirm.db.cirmd-lock")" = "$owner" ]
check "... the other kept beside it" \
	[ "$(cat "$I"/cirm.key.before-restore-*)" = "$(printf '%064d' 7)" ]
check "the database is sound" [ "$(sql "$I/cirm.db" 'PRAGMA integrity_check')" = ok ]
run "$CIRMCTL" -c "$C" audit list --object "$B"
check "the audit log has the restore" contains "$out" "instance.restore"
run "$CIRMCTL" -c "$C" audit verify
check "... and its chain holds" [ "$rc" -eq 0 ]

# The numbers given since the backup stay given.
mail 61 | as_owner "$MAILGATE" -c "$C"
run as_owner "$CIRMD" -c "$C" --once
# (with the mails that waited in the backup's inbox and in its mailgate/,
# handled again)
check "a new mail after the restore: a new case" \
	[ "$(sql "$I/cirm.db" 'SELECT count(*) FROM cases')" -eq $((cases + pending + waiting + 1)) ]
check "... numbered after every number given before the restore" \
	[ "$(sql "$I/cirm.db" 'SELECT max(number) FROM cases')" = \
	  "KS-$(date +%Y)-$(printf %05d $((60 + pending + waiting + 1)))" ]
check "no mail is in two cases" [ "$(sql "$I/cirm.db" "SELECT count(*) FROM
	(SELECT 1 FROM message WHERE direction = 'in' GROUP BY rfc_message_id
	 HAVING count(DISTINCT case_id) > 1)")" -eq 0 ]

# With cirmd stopped, mail cirm-mailgate stores waits in its Maildir,
# outside the database: the backup holds it, and the restore puts it back.
mail 62 | as_owner "$MAILGATE" -c "$C" || echo "mailgate failed on 62" >&2
stored=$(ls "$I/mailgate/new")
# Another writer holds the lock for all of busy_timeout: the audit entry
# cannot be written, and so nothing is copied, neither into a directory
# the backup makes (removed again) nor into an empty one given.
{ cat "$C"; echo "busy_timeout = 300"; } >"$I/busy.conf"
mkdir "$T/b11"
entries=$(sql "$I/cirm.db" "SELECT count(*) FROM audit")
check "the lock is held" hold_write_lock "$I/cirm.db"
run "$CIRMCTL" -c "$I/busy.conf" backup "$T/b12"
rc12=$rc err12=$err
run "$CIRMCTL" -c "$I/busy.conf" backup "$T/b11"
release_write_lock ROLLBACK
check "the audit log locked for all of busy_timeout: exit 1" \
	[ "$rc12" -eq 1 -a "$rc" -eq 1 ]
check "... saying no backup was made, and why" contains "$err" \
	"no backup was made: its entry in the audit log comes first, and could not be written: $I/cirm.db: begin: the database is locked"
check "... and to try again" contains "$err12" "try again"
check "... the directory it made is removed" [ ! -e "$T/b12" ]
check_all "... the one given is left, empty: no database, spool, key nor mail" <<-'EOF'
	[ -d "$T/b11" ] && [ -z "$(ls -A "$T/b11")" ]
EOF
check "... and the audit log has no entry more" \
	[ "$(sql "$I/cirm.db" "SELECT count(*) FROM audit")" -eq "$entries" ]
run "$CIRMCTL" -c "$C" backup --no-spool "$T/b5"
check "mail waiting in the mailgate's Maildir: exit 0" [ "$rc" -eq 0 ]
check "... the backup says it holds it" contains "$out" \
	"mailgate/ 1 mail cirm-mailgate stored that was not in the database yet"
check_all "... as the same file, mode 0600, with its arrival time" <<-'EOF'
	cmp -s "$I/mailgate/new/$stored" "$T/b5/mailgate/new/$stored" &&
	[ "$(mode_of "$T/b5/mailgate/new/$stored")" = 600 ] &&
	[ "$(stat -c %Y "$T/b5/mailgate/new/$stored")" = "$(stat -c %Y "$I/mailgate/new/$stored")" ]
EOF
check "... and leaves it where it was" [ -f "$I/mailgate/new/$stored" ]
arrived=$(stat -c %Y "$I/mailgate/new/$stored")
run as_owner "$CIRMD" -c "$C" --once
run "$CIRMCTL" -c "$C" backup --no-spool "$T/b6"
check_all "taken in by cirmd --once: the next backup has it in the database" <<-'EOF'
	[ "$rc" -eq 0 ] &&
	[ "$(sql "$T/b6/cirm.db" "SELECT count(*) FROM message WHERE rfc_message_id = 'foto.62@exempel.se'")" -eq 1 ] &&
	[ -z "$(ls "$T/b6/mailgate/new")" ]
EOF
check "... and says no mail waits" contains "$out" "mailgate/ 0 mails"

ncases=$(sql "$I/cirm.db" 'SELECT count(*) FROM cases')
rm -rf "$I/mailgate"	# an instance older than the mailgate's Maildir
run "$CIRMCTL" -c "$C" restore "$T/b5"
check "restore without --yes names the waiting mail" contains "$out" \
	"The backup also holds 1 mail cirm-mailgate had stored and cirmd had not taken in."
run "$CIRMCTL" -c "$C" restore --yes "$T/b5"
check "restore --yes: exit 0" [ "$rc" -eq 0 ]
check "... puts the mail back for cirmd" contains "$out" \
	"1 mail cirm-mailgate had stored is put back in $I/mailgate/new: cirmd takes it in when it starts"
check_all "... as the same file with its arrival time, the owner's" <<-'EOF'
	cmp -s "$T/b5/mailgate/new/$stored" "$I/mailgate/new/$stored" &&
	[ "$(stat -c %Y "$I/mailgate/new/$stored")" = "$arrived" ] &&
	[ "$(stat -c %U "$I/mailgate/new/$stored")" = "$owner" ] &&
	[ "$(stat -c %U "$I/mailgate/tmp")" = "$owner" ] &&
	[ -z "$(ls "$I/mailgate/tmp")" ]
EOF
run as_owner "$CIRMD" -c "$C" --once
check "cirmd takes it in: its case again, as before the restore" \
	[ "$(sql "$I/cirm.db" 'SELECT count(*) FROM cases')" -eq "$ncases" ]
check "... received when it first arrived" \
	[ "$(sql "$I/cirm.db" "SELECT c.received_at FROM cases c JOIN message m ON m.case_id = c.id WHERE m.rfc_message_id = 'foto.62@exempel.se'")" = "$arrived" ]
# A mail both in the backup's database and in its mailgate/ (taken in
# while the backup ran) is one case.
cp -p "$T/b5/mailgate/new/$stored" "$I/mailgate/new/"
run as_owner "$CIRMD" -c "$C" --once
check "the same mail once more: no new case" \
	[ "$(sql "$I/cirm.db" 'SELECT count(*) FROM cases')" -eq "$ncases" ]
mkdir -p "$T/b7/mailgate/new" && cp -p "$T/b5/cirm.db" "$T/b5/cirm.key" "$T/b7/" &&
	ln -s "$I/cirm.conf" "$T/b7/mailgate/new/link" &&
	mkdir "$T/b7/mailgate/new/dir"
# (and a database kept from a restore in the same second; the names are
# in the time zone cirm shows, set here for date(1) to use it too)
for s in 0 1 2 3 4 5 6 7 8 9 10; do
	: >"$I/cirm.db.before-restore-$(TZ=Europe/Stockholm date -d "+$s sec" +%Y%m%d-%H%M%S)"
done
run env TZ=Europe/Stockholm "$CIRMCTL" -c "$C" restore --yes "$T/b7"
check_all "a link or a directory among the backup's mail: not copied" <<-'EOF'
	[ "$rc" -eq 0 ] && [ ! -e "$I/mailgate/new/link" ] && [ ! -e "$I/mailgate/new/dir" ]
EOF
check "a kept database of the same second: this one is kept beside it" \
	[ -n "$(printf '%s\n' "$out" | grep -E 'before-restore-[0-9]{8}-[0-9]{6}-[0-9]+\.$')" ]
# The copies restore kept hold the citizens' data as it was, where
# retention never reaches: status names each until it is removed.
kept=$(ls "$I" | grep -c '^cirm\.db\.before-restore-')
run "$CIRMCTL" -c "$C" status
check "status names the copies restore kept, and why they matter" contains "$out" \
	"Kept by restore, with the citizens' data as it was (retention does not reach them; remove each once it is no longer needed):"
check "... each of them, with its path" \
	[ "$(printf '%s\n' "$out" | grep -c "^  $I/cirm\.db\.before-restore-")" -eq "$kept" ]
# So do those an upgrade kept (check_store makes one from an older
# schema): they are the database as an older cirm left it.
: >"$I/cirm.db.before-upgrade-20261207-101500"
run "$CIRMCTL" -c "$C" status
check_all "status names the copy an upgrade kept too" <<-'EOF'
	contains "$out" "Kept by an upgrade, the database as an older cirm left it, with the citizens' data as it was (retention does not reach them; remove each once this cirm runs well):"
	contains "$out" "  $I/cirm.db.before-upgrade-20261207-101500"
	[ "$(printf '%s\n' "$out" | grep -c "^  $I/cirm\.db\.before-restore-")" -eq "$kept" ]
	EOF
rm "$I/cirm.db.before-upgrade-20261207-101500"

# An instance whose key is gone (removed by hand, a disk replaced): the
# backup's is put in place, rather than the restore ending without one,
# which would keep cirmd from starting.
rm "$I/cirm.key"
run "$CIRMCTL" -c "$C" restore --yes "$T/b6"
check "an instance without a key: restore exits 0" [ "$rc" -eq 0 ]
check_all "... with the backup's key in place, 0600, the owner's" <<-'EOF'
	cmp -s "$T/b6/cirm.key" "$I/cirm.key" &&
	[ "$(mode_of "$I/cirm.key")" = 600 ] &&
	[ "$(stat -c %U "$I/cirm.key")" = "$owner" ]
EOF

# A new machine: the administrator has put cirm.conf in place, with the
# workflows and templates (which a backup does not hold), and restores
# the backup there (cirmctl init would refuse over cirm.conf); no
# database, key or spool yet.
# Mail an MTA delivered into the Maildir inbox while cirmd was stopped is
# outside the database too: the backup holds it, the restore puts it back.
mail 63 >"$T/delivered" && touch -d '2 hours ago' "$T/delivered" &&
	as_owner cp -p "$T/delivered" "$I/maildir/inbox/new/1800000000.M1P1.mx" ||
	exit 99
# So is an SMS smsd wrote into incoming/ that the smstools gateway has
# not taken in; a file smsd is still writing (.LOCK) is not one.
as_owner mkdir -p "$I/sms/incoming" &&
	printf 'From: 46701234567\n\nHej, lampan vid skolan ar trasig.\n' >"$T/sms1" &&
	as_owner cp "$T/sms1" "$I/sms/incoming/GSM1.backup1" &&
	as_owner touch "$I/sms/incoming/GSM1.busy.LOCK" || exit 99
run "$CIRMCTL" -c "$C" backup "$T/b10"
check "an SMS waiting in smsd's incoming/: the backup says it holds it" \
	contains "$out" "sms/      1 SMS smsd stored in incoming/ that was not in the database yet"
check_all "... as the same file, mode 0600, and not smsd's work in progress" <<-'EOF'
	cmp -s "$T/sms1" "$T/b10/sms/GSM1.backup1" &&
	[ "$(mode_of "$T/b10/sms/GSM1.backup1")" = 600 ] &&
	[ ! -e "$T/b10/sms/GSM1.busy.LOCK" ]
EOF
rm -f "$I/sms/incoming/GSM1.backup1" "$I/sms/incoming/GSM1.busy.LOCK"
check "mail waiting in the Maildir inbox: the backup says it holds it" \
	contains "$out" "inbox/    1 mail delivered into the Maildir inbox that was not in the database yet"
check_all "... as the same file, mode 0600, with its arrival time" <<-'EOF'
	f=$T/b10/inbox/new/1800000000.M1P1.mx
	cmp -s "$T/delivered" "$f" && [ "$(mode_of "$f")" = 600 ] &&
	[ "$(stat -c %Y "$f")" = "$(stat -c %Y "$T/delivered")" ]
EOF
rm -f "$I/maildir/inbox/new/1800000000.M1P1.mx"
N=$T/newhost
mkdir -m 0750 "$N" || exit 99
cp -R "$C" "$I/workflows" "$I/templates" "$N/"
[ "$owner" = nobody ] && chown -R nobody:nogroup "$N"
run "$CIRMCTL" -c "$N/cirm.conf" restore "$T/b10"
check "a new machine: restore without --yes says there is no database yet" \
	contains "$out" "The instance has no database yet: $N/cirm.db"
check_all "... and that --yes puts the backup's in place, making nothing" <<-'EOF'
	[ "$rc" -eq 0 ] &&
	contains "$out" "With --yes the backup's database is put in place as $N/cirm.db." &&
	[ ! -e "$N/cirm.db" ]
EOF
run "$CIRMCTL" -c "$N/cirm.conf" restore --yes "$T/b10"
check "... with --yes: exit 0" [ "$rc" -eq 0 ]
check "... said so" contains "$out" "The database is restored as $N/cirm.db."
check "... the backup's cases" [ "$(sql "$N/cirm.db" 'SELECT count(*) FROM cases')" = \
	"$(sql "$T/b10/cirm.db" 'SELECT count(*) FROM cases')" ]
check "... no empty database kept aside" [ -z "$(ls "$N" | grep before-restore)" ]
check_all "... the key in place, and everything the instance owner's ($owner)" <<-'EOF'
	cmp -s "$T/b10/cirm.key" "$N/cirm.key" &&
	[ -z "$(find "$N" ! -user "$owner")" ]
EOF
check "... the spool and the Maildirs made, as cirmctl init makes them" \
	contains "$out" "directories the instance lacked (spool, Maildirs) are made"
check_all "... all of them, mode 0750" <<-'EOF'
	ok=1
	for d in spool maildir/inbox/tmp maildir/inbox/new maildir/inbox/cur \
		 maildir/outbound/tmp maildir/outbound/new maildir/outbound/cur \
		 mailgate/tmp mailgate/new mailgate/cur; do
		[ -d "$N/$d" ] && [ "$(mode_of "$N/$d")" = 750 ] || ok=0
	done
	[ $ok -eq 1 ]
EOF
check "... the mail delivered into the Maildir inbox is put back" contains "$out" \
	"1 mail delivered into the Maildir inbox is put back in $N/maildir/inbox/new"
check_all "... as the same file with its arrival time, the owner's" <<-'EOF'
	f=$N/maildir/inbox/new/1800000000.M1P1.mx
	cmp -s "$T/delivered" "$f" &&
	[ "$(stat -c %Y "$f")" = "$(stat -c %Y "$T/delivered")" ] &&
	[ "$(stat -c %U "$f")" = "$owner" ] && [ -z "$(ls "$N/maildir/inbox/tmp")" ]
EOF
check "... the SMS smsd had stored is put back" contains "$out" \
	"1 SMS smsd had stored is put back in $N/sms/incoming"
check_all "... as the same file, the owner's, no temporary file left" <<-'EOF'
	cmp -s "$T/sms1" "$N/sms/incoming/GSM1.backup1" &&
	[ "$(stat -c %U "$N/sms/incoming/GSM1.backup1")" = "$owner" ] &&
	[ "$(stat -c %U "$N/sms/incoming")" = "$owner" ] &&
	[ -z "$(ls -A "$N/sms/incoming" | grep -v '^GSM1.backup1$')" ]
EOF
# ... but not where no gateway reads them: on a machine without smstools
# (SMPP, or no SMS), they stay in the backup, and the restore says so.
N3=$T/newhost3
mkdir -m 0750 "$N3" || exit 99
cp -R "$C" "$I/workflows" "$I/templates" "$N3/"
printf 'sms_transport = none\n' >>"$N3/cirm.conf"
[ "$owner" = nobody ] && chown -R nobody:nogroup "$N3"
run "$CIRMCTL" -c "$N3/cirm.conf" restore --yes "$T/b10"
check "SMS in the backup, sms_transport none: exit 1" [ "$rc" -eq 1 ]
check "... saying they are not put back, and where they are" contains "$err" \
	"1 SMS smsd had stored is not put back: sms_transport is none, and no gateway would read it; it is in $T/b10/sms"
check "... and putting none in the SMS spool" [ ! -e "$N3/sms/incoming/GSM1.backup1" ]
run "$CIRMCTL" -c "$N/cirm.conf" audit list
check "... the audit log says the instance had no database" \
	contains "$out" "the instance had no database"
run as_owner "$CIRMD" -c "$N/cirm.conf" --once
check "... and cirmd runs on it" [ "$rc" -eq 0 ]

# A backup made with --no-spool, put on a new machine before the spool
# kept beside it: one message says what is missing and what to do, not
# one line for each of the attachment files.
N2=$T/newhost2
mkdir -m 0750 "$N2" || exit 99
cp -R "$C" "$I/workflows" "$I/templates" "$N2/"
[ "$owner" = nobody ] && chown -R nobody:nogroup "$N2"
files=$(sql "$T/b6/cirm.db" 'SELECT count(DISTINCT sha256) FROM attachment')
run "$CIRMCTL" -c "$N2/cirm.conf" restore --yes "$T/b6"
check "a --no-spool backup on a new machine: exit 1, the spool being empty" [ "$rc" -eq 1 ]
check "... saying once what to copy where" contains "$err" \
	"$files attachment files the restored database names are not in the spool, and the backup has none (made with --no-spool): copy the spool kept beside it into $N2/spool"
check "... on one line" [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ]

# What was audited since the backup (a case officer added, a register
# extract, a retention's removals) stays in the audit log after a
# restore, after the backup's entries, and the chain still verifies
# against the line kept elsewhere before the restore.
run "$CIRMCTL" -c "$C" backup "$T/b20"
check "a backup to restore later: exit 0" [ "$rc" -eq 0 ]
"$CIRMCTL" -c "$C" handler add kim --email kim@kommun.example >/dev/null ||
	exit 99
kept_line=$("$CIRMCTL" -c "$C" audit verify | sed -n 's/^Newest: //p')
run "$CIRMCTL" -c "$C" restore --yes "$T/b20"
check "restore --yes: exit 0" [ "$rc" -eq 0 ]
check "... says the audit log goes on" contains "$out" \
	"The audit log goes on: 1 entry written since the backup is kept after the backup's."
run "$CIRMCTL" -c "$C" audit list --action handler.add --object kim
check "... the entry written since the backup is there" contains "$out" " handler.add "
run "$CIRMCTL" -c "$C" audit verify --expect "$kept_line"
check "... and the line kept before the restore still verifies" [ "$rc" -eq 0 ]

# A backup holds the spool against a prune from before its database copy
# until it has copied the files that copy names: a file whose last row
# retention removed meanwhile is not pruned before it is copied. A held
# spool (a backup running, here flock(1) as one) is not pruned ...
if command -v flock >/dev/null; then
	f=$I/spool/ab/$(printf '%062d' 0)
	mkdir -p "$I/spool/ab" && printf 'named by nothing\n' >"$f" &&
		touch -d '3 days ago' "$f" || exit 99
	rm -f "$T/spool.fifo" && mkfifo "$T/spool.fifo" || exit 99
	flock -s "$I/spool" sh -c 'read x <"$1"' - "$T/spool.fifo" &
	lock=$!
	i=0
	until ! flock -x -n "$I/spool" true; do
		i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.05
	done
	run "$CIRMCTL" -c "$C" spool prune --min-age 1
	echo >"$T/spool.fifo"
	wait $lock
	check "spool prune while a backup holds the spool: exit 1" [ "$rc" -eq 1 ]
	check "... saying why" contains "$err" \
		"the spool is not pruned: a backup is copying it; try again when it is done"
	check "... and removing nothing" [ -e "$f" ]
	run "$CIRMCTL" -c "$C" spool prune --min-age 1
	check "once it is done, the file goes" [ "$rc" -eq 0 -a ! -e "$f" ]
	# ... and a backup waits for a prune at work (flock(1) as one)
	flock -x "$I/spool" sh -c 'read x <"$1"' - "$T/spool.fifo" &
	lock=$!
	i=0
	until ! flock -s -n "$I/spool" true; do
		i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.05
	done
	"$CIRMCTL" -c "$C" backup "$T/b13" >/dev/null 2>"$T/b13.err" &
	bpid=$!
	sleep 1
	check_all "a backup while a prune runs waits for it, copying no database" <<-'EOF'
		kill -0 $bpid 2>/dev/null && [ ! -e "$T/b13/cirm.db" ]
	EOF
	echo >"$T/spool.fifo"
	wait $lock
	wait $bpid
	brc=$?
	check "... then is made: exit 0" [ "$brc" -eq 0 -a -s "$T/b13/cirm.db" ]
fi

done_testing
