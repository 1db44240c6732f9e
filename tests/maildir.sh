#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The Maildir gateway queues a backlog of large mails without holding
# them all in memory: a transaction takes at most 32 MiB of files, so
# 160 mails of 1 MiB go in several, and the gateway's peak memory stays
# well below the backlog's size (with one transaction of 500 files, as
# without the bound, it would hold all 160 MiB).
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE=
unset CIRM_CONF

command -v sqlite3 >/dev/null || skip_all "sqlite3 command-line tool not installed (apt-get install sqlite3)"
command -v python3 >/dev/null || skip_all "python3 not installed (apt-get install python3)"

I=$T/inst
C=$I/cirm.conf
GATEWAY=$top_builddir/cirm-gateway
N=160

sql() {
	sqlite3 -cmd '.timeout 5000' "$I/cirm.db" "$1"
}

run "$CIRMCTL" init "$I"
check "init succeeds" [ "$rc" -eq 0 ]

# N mails of about 1 MiB each: a photo of 760 KiB, base64.
head -c 786432 /dev/urandom | base64 >"$T/photo.b64"
i=0
while [ $i -lt $N ]; do
	i=$((i + 1))
	{
		printf 'From: Sara Ek <sara.ek%d@exempel.se>\n' $i
		printf 'To: kommunen@kommun.example\nSubject: Foto %d\n' $i
		printf 'Message-ID: <stor.%d@exempel.se>\nMIME-Version: 1.0\n' $i
		printf 'Content-Type: multipart/mixed; boundary="b"\n\n'
		printf -- '--b\nContent-Type: text/plain; charset=utf-8\n\nSe bilden.\n'
		printf -- '--b\nContent-Type: image/jpeg; name="foto.jpg"\n'
		printf 'Content-Transfer-Encoding: base64\n\n'
		cat "$T/photo.b64"
		printf -- '--b--\n'
	} >"$I/maildir/inbox/new/$(printf '%04d' $i).eml"
done
total=$(cat "$I"/maildir/inbox/new/* | wc -c)
check "the backlog is over 160 MiB" [ "$total" -gt $((160 * 1024 * 1024)) ]

# Peak resident memory of one gateway run, in KiB. (AddressSanitizer
# keeps freed memory for a while, which would count: not here.)
peak=$(ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0" python3 - "$GATEWAY" "$C" <<'EOF'
import resource, subprocess, sys
subprocess.run([sys.argv[1], "-c", sys.argv[2], "--once", "maildir"],
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
               check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
EOF
)
check "cirm-gateway --once maildir succeeds" [ -n "$peak" ]
check "every mail is queued" [ "$(sql 'SELECT count(*) FROM inbox')" -eq $N ]
check "new/ is empty, cur/ holds them" \
	[ "$(ls "$I/maildir/inbox/new" | wc -l)/$(ls "$I/maildir/inbox/cur" | wc -l)" = 0/$N ]
echo "# peak memory ${peak} KiB for ${total} bytes of mail"
# 32 MiB of files in a transaction, the SQLite cache and the program
# (about 55 MiB): well below the 160 MiB the backlog would take at once.
check "the gateway's peak memory stays below 100 MiB (${peak} KiB)" \
	[ "${peak:-999999}" -lt 102400 ]

# What new/ holds that is no mail is left alone, and said so, once.
printf 'From: a@b.se\nSubject: x\n\nHej\n' >"$T/elsewhere.eml"
ln -s "$T/elsewhere.eml" "$I/maildir/inbox/new/link"
mkdir "$I/maildir/inbox/new/adir"
mkfifo "$I/maildir/inbox/new/apipe"
run timeout 60 "$GATEWAY" -c "$C" --once maildir
check "junk in new/: the gateway still succeeds" [ "$rc" -eq 0 ]
check "a named pipe does not hang it, and is logged" \
	contains "$err" "new/apipe: not a regular file; left alone"
rm -f "$I/maildir/inbox/new/apipe"
check "a symbolic link is not followed, and that is logged" \
	contains "$err" "new/link: a symbolic link, not a mail; left alone"
check "once, not at every look into new/" \
	[ "$(printf '%s\n' "$err" | grep -c 'new/link:')" -eq 1 ]
check "a directory is logged too" \
	contains "$err" "new/adir: not a regular file; left alone"
check_all "both stay where they are" <<-'EOF'
	[ -L "$I/maildir/inbox/new/link" ] && [ -d "$I/maildir/inbox/new/adir" ]
EOF
check "nothing was queued from them" [ "$(sql 'SELECT count(*) FROM inbox')" -eq $N ]

# cur/ missing: the mail is queued once and stays in new/, said once; a
# --once run ends (it used to queue the file again and again, for ever).
mv "$I/maildir/inbox/cur" "$T/cur"
printf 'From: a@b.se\nSubject: y\nMessage-ID: <nocur@b.se>\n\nHej\n' \
	>"$I/maildir/inbox/new/nocur.eml"
run timeout 60 "$GATEWAY" -c "$C" --once maildir
check "cur/ missing: --once ends, with status 0" [ "$rc" -eq 0 ]
check "cur/ missing: the mail is queued, once" \
	[ "$(sql 'SELECT count(*) FROM inbox')" -eq $((N + 1)) ]
check "cur/ missing: said once, with the reason" \
	[ "$(printf '%s\n' "$err" | grep -c 'nocur.eml: queued but not moved to cur/: cur/ is missing')" -eq 1 ]
check "cur/ missing: the mail stays in new/" [ -f "$I/maildir/inbox/new/nocur.eml" ]
mv "$T/cur" "$I/maildir/inbox/cur"
run timeout 60 "$GATEWAY" -c "$C" --once maildir
check_all "cur/ back: the mail goes there, not into the inbox again" <<-'EOF'
	[ -f "$I/maildir/inbox/cur/nocur.eml:2,S" ] &&
	[ "$(sql 'SELECT count(*) FROM inbox')" -eq $((N + 1)) ]
EOF

# Two mails delivered under the same name, the first still waiting in
# the inbox: both are queued, and cur/ keeps both files.
printf 'From: a@b.se\nSubject: 1\nMessage-ID: <same1@b.se>\n\nEtt\n' \
	>"$I/maildir/inbox/new/same.eml"
run "$GATEWAY" -c "$C" --once maildir
printf 'From: c@d.se\nSubject: 2\nMessage-ID: <same2@b.se>\n\nTva\n' \
	>"$I/maildir/inbox/new/same.eml"
run "$GATEWAY" -c "$C" --once maildir
check "the same name twice: both mails are queued" \
	[ "$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) GLOB '*<same[12]@b.se>*'")" -eq 2 ]
check "the same name twice: cur/ keeps both files" \
	[ "$(cat "$I/maildir/inbox/cur/same.eml"* | grep -c '^Message-ID: <same')" -eq 2 ]
run "$GATEWAY" -c "$C" --once maildir
check "the same name twice: nothing more is queued" \
	[ "$(sql 'SELECT count(*) FROM inbox')" -eq $((N + 3)) ]

# Names in new/ too long for cur/ with ":2,S" added (254 bytes): cut
# there, each mail in a file of its own, nothing left in new/ to be
# queued again.
long=$(printf 'm%.0s' $(seq 1 254))
printf 'From: a@b.se\nSubject: L1\nMessage-ID: <long1@b.se>\n\nEtt\n' \
	>"$I/maildir/inbox/new/$long"
printf 'From: a@b.se\nSubject: L2\nMessage-ID: <long2@b.se>\n\nTva\n' \
	>"$I/maildir/inbox/new/${long%m}n"
run "$GATEWAY" -c "$C" --once maildir
check "a name too long for cur/: both mails are queued" \
	[ "$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) GLOB '*<long[12]@b.se>*'")" -eq 2 ]
check "... and leave new/ for cur/, a file each" \
	[ "$(ls "$I/maildir/inbox/new" | grep -c mmmm)/$(cat "$I/maildir/inbox/cur/mmmm"* | grep -c '^Message-ID: <long')" = 0/2 ]
run "$GATEWAY" -c "$C" --once maildir
check "... and are not queued again" \
	[ "$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) GLOB '*<long[12]@b.se>*'")" -eq 2 ]

# new/ missing: a --once run fails, and the service says it once, not at
# every look.
mv "$I/maildir/inbox/new" "$T/new"
run "$GATEWAY" -c "$C" --once maildir
check "new/ missing: --once fails" [ "$rc" -eq 1 ]
check "new/ missing: says why" contains "$err" "inbox/new: No such file or directory"
cp "$C" "$I/poll.conf"
printf 'maildir_poll_interval = 1\n' >>"$I/poll.conf"
"$GATEWAY" -c "$I/poll.conf" maildir 2>"$T/poll.log" &
gwpid=$!
sleep 4
mv "$T/new" "$I/maildir/inbox/new"
printf 'From: a@b.se\nSubject: z\nMessage-ID: <back@b.se>\n\nHej\n' \
	>"$I/maildir/inbox/new/back.eml"
i=0
while [ ! -f "$I/maildir/inbox/cur/back.eml:2,S" ] && [ $i -lt 100 ]; do
	i=$((i + 1))
	sleep 0.1
done
kill "$gwpid"
wait "$gwpid"
check "new/ missing: the service says so once" \
	[ "$(grep -c 'cannot read' "$T/poll.log")" -eq 1 ]
check "new/ back: the service takes mail again" \
	[ -f "$I/maildir/inbox/cur/back.eml:2,S" ]

# Over the size limit without a blank line: the header kept for the
# quarantine is at most mail_max_header_bytes, in whole lines (it was
# mail_max_size bytes of the file, itself too large then).
cp "$C" "$I/small.conf"
printf 'mail_max_size = 100000\nmail_max_header_bytes = 4096\n' >>"$I/small.conf"
{
	printf 'From: a@b.se\n'
	awk 'BEGIN { for (i = 0; i < 3000; i++) printf "X-Junk: %070d\n", i }'
} >"$I/maildir/inbox/new/noblank.eml"
size=$(wc -c <"$I/maildir/inbox/new/noblank.eml")
run "$GATEWAY" -c "$I/small.conf" --once maildir
raw=$(sql "SELECT CAST(raw AS TEXT) FROM inbox_message WHERE dedupe_key GLOB 'maildir:noblank.eml:*'")
check "no blank line, oversize: queued with the file's size" \
	contains "$raw" "X-Cirm-Oversize: $size"
check "no blank line, oversize: at most mail_max_header_bytes of it" \
	[ "$(printf '%s' "$raw" | wc -c)" -le $((4096 + 32)) ]
check "no blank line, oversize: in whole lines" \
	[ "$(printf '%s\n' "$raw" | tail -n 1 | wc -c)" -eq 79 ]

# What a delivery that died left in tmp/ goes after 36 hours, said so; a
# delivery under way stays.
printf 'From: a@b.se\nSubj' >"$I/maildir/inbox/tmp/dead.1"
touch -d '3 days ago' "$I/maildir/inbox/tmp/dead.1"
printf 'From: a@b.se\nSubj' >"$I/maildir/inbox/tmp/busy.2"
run "$GATEWAY" -c "$C" --once maildir
check "tmp/: a file 3 days old is removed" [ ! -e "$I/maildir/inbox/tmp/dead.1" ]
check "tmp/: and that is logged" \
	contains "$err" "tmp/dead.1: left by a delivery that did not finish"
check "tmp/: a fresh one stays" [ -f "$I/maildir/inbox/tmp/busy.2" ]

# While the engine holds the write lock, the gateway reads on instead of
# waiting with the files it has: each mail is still queued exactly once,
# and moved to cur/ only once queued.
sql "DELETE FROM inbox"
i=0
while [ $i -lt 1200 ]; do
	i=$((i + 1))
	printf 'From: a%d@exempel.se\nSubject: lampa %d\nMessage-ID: <lock.%d@exempel.se>\n\nTrasig.\n' \
		$i $i $i >"$I/maildir/inbox/new/lock.$i"
done
check "write lock busy: another holds it" hold_write_lock "$I/cirm.db"
"$GATEWAY" -c "$C" --once maildir 2>"$T/lock.log" &
gw=$!
sleep 1
check "write lock busy: nothing is moved to cur/ meanwhile" \
	[ "$(ls "$I/maildir/inbox/cur" | grep -c '^lock\.')" -eq 0 ]
release_write_lock
wait "$gw"
rc=$?
check "write lock free again: --once succeeds" [ "$rc" -eq 0 ]
check "... every mail queued once" \
	[ "$(sql "SELECT count(*) FROM inbox WHERE dedupe_key LIKE 'maildir:lock.%'")" -eq 1200 ]
check "... and moved to cur/" [ "$(ls "$I/maildir/inbox/new" | grep -c '^lock\.')" -eq 0 -a \
	"$(ls "$I/maildir/inbox/cur" | grep -c '^lock\.')" -eq 1200 ]

# The file's time is its arrival time, but one in the future (a wrong
# clock) or at the epoch is not: the mail arrived now. (It used to be
# taken as it was: a case of 2040, or one of 1970, overdue at once.)
printf 'From: a@b.se\nSubject: t\nMessage-ID: <future@b.se>\n\nHej\n' \
	>"$I/maildir/inbox/new/future.eml"
touch -d '2040-01-01' "$I/maildir/inbox/new/future.eml"
printf 'From: a@b.se\nSubject: t\nMessage-ID: <epoch@b.se>\n\nHej\n' \
	>"$I/maildir/inbox/new/epoch.eml"
touch -d '@0' "$I/maildir/inbox/new/epoch.eml"
run "$GATEWAY" -c "$C" --once maildir
check "an mtime in the future or at the epoch: the arrival is now" \
	[ "$(sql "SELECT count(*) FROM inbox WHERE (dedupe_key GLOB 'maildir:future.eml:*' OR dedupe_key GLOB 'maildir:epoch.eml:*') AND received_at BETWEEN strftime('%s', 'now') - 600 AND strftime('%s', 'now')")" -eq 2 ]

# More entries left alone than the gateway remembers (an MTA that
# delivered every file unreadable, here 1,001 links): each is named once
# at most, and then one line says the rest are not. (Past 1,000, each
# was named again at every look into new/, every second here.)
i=0
while [ $i -lt 1001 ]; do
	i=$((i + 1))
	ln -s "$T/elsewhere.eml" "$I/maildir/inbox/new/zlink.$(printf '%04d' $i)"
done
"$GATEWAY" -c "$I/poll.conf" maildir 2>"$T/many.log" &
gwpid=$!
sleep 4
kill "$gwpid"
wait "$gwpid"
check "many left alone: none is named twice" \
	[ "$(grep -o 'new/zlink\.[0-9]*' "$T/many.log" | sort | uniq -d | wc -l)" -eq 0 ]
check "many left alone: said that the others are not named" \
	[ "$(grep -c 'the others are not named' "$T/many.log")" -eq 1 ]
rm -f "$I"/maildir/inbox/new/zlink.*

# A file written into new/ in place (cp, a script), against the Maildir
# protocol: while its writer holds it open it is left alone, since read
# then its end would be lost; once closed it is queued whole.
exec 4>"$I/maildir/inbox/new/halv.eml"
printf 'From: a@b.se\nSubject: halv\nMessage-ID: <halv@b.se>\n\nFörsta halvan, ' >&4
run "$GATEWAY" -c "$C" --once maildir
check_all "a file still open for writing in new/ is left alone" <<-'EOF'
	[ "$rc" -eq 0 ] && [ -e "$I/maildir/inbox/new/halv.eml" ] && \
	[ "$(sql "SELECT count(*) FROM inbox WHERE dedupe_key GLOB 'maildir:halv.eml:*'")" -eq 0 ]
EOF
printf 'andra halvan.\n' >&4
exec 4>&-
run "$GATEWAY" -c "$C" --once maildir
check "... and queued whole once closed" [ \
	"$(sql "SELECT count(*) FROM inbox_message WHERE dedupe_key GLOB 'maildir:halv.eml:*' AND instr(CAST(raw AS TEXT), 'andra halvan.') > 0")" -eq 1 ]

# An empty file just made in new/ is taken for one whose writer has
# not written yet (the lease cannot tell for a file of another user's,
# such as one root copies in): left for now; an old empty one is taken.
: >"$I/maildir/inbox/new/tom.eml"
: >"$I/maildir/inbox/new/gammaltom.eml"
touch -d '1 minute ago' "$I/maildir/inbox/new/gammaltom.eml"
run "$GATEWAY" -c "$C" --once maildir
check_all "an empty file just made is left for now, an old one taken" <<-'EOF'
	[ "$rc" -eq 0 ] && [ -e "$I/maildir/inbox/new/tom.eml" ] && \
	[ ! -e "$I/maildir/inbox/new/gammaltom.eml" ] && \
	[ "$(sql "SELECT count(*) FROM inbox WHERE dedupe_key GLOB 'maildir:gammaltom.eml:*'")" -eq 1 ]
EOF
rm -f "$I/maildir/inbox/new/tom.eml"

# Postfix's local(8) and virtual(8), like the Maildir protocol itself,
# put a mail into new/ with link(2) from tmp/: inotify tells that as a
# file created, not moved or written there. It is queued at once, not
# at the next look every maildir_poll_interval seconds.
{ cat "$C"; echo "maildir_poll_interval = 60"; } >"$I/slow.conf"
"$GATEWAY" -c "$I/slow.conf" maildir 2>"$T/slow.log" &
gwpid=$!
i=0
until grep -q 'watching' "$T/slow.log" || [ $i -gt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
sleep 0.5
printf 'From: a@b.se\nSubject: t\nMessage-ID: <lank@b.se>\n\nHej\n' \
	>"$I/maildir/inbox/tmp/lank.eml"
ln "$I/maildir/inbox/tmp/lank.eml" "$I/maildir/inbox/new/lank.eml"
rm "$I/maildir/inbox/tmp/lank.eml"
i=0
until [ "$(sql "SELECT count(*) FROM inbox WHERE dedupe_key GLOB 'maildir:lank.eml:*'")" -eq 1 ] ||
      [ $i -gt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "a mail linked into new/, as Postfix delivers: queued within 5 s" [ $i -le 50 ]
kill "$gwpid"
wait "$gwpid"

# The copy moved to cur/ is the citizen's mail kept outside cirm's
# retention (case_retention never reaches it): maildir_processed =
# delete removes the file once its row is committed instead.
{ cat "$C"; echo "maildir_processed = delete"; } >"$I/delete.conf"
printf 'From: a@b.se\nSubject: t\nMessage-ID: <gallras@b.se>\n\nHej\n' \
	>"$I/maildir/inbox/new/gallras.eml"
run "$GATEWAY" -c "$I/delete.conf" --once maildir
check_all "maildir_processed = delete: queued, then removed, not kept in cur/" <<-'EOF'
	[ "$rc" -eq 0 ] && \
	[ "$(sql "SELECT count(*) FROM inbox WHERE dedupe_key GLOB 'maildir:gallras.eml:*'")" -eq 1 ] && \
	[ ! -e "$I/maildir/inbox/new/gallras.eml" ] && \
	[ -z "$(ls "$I/maildir/inbox/cur" | grep '^gallras')" ]
EOF
# ... but for a file over mail_max_size, of which only the header went
# in: it is the only copy of its body, and goes to cur/.
echo "mail_max_size = 1024" >>"$I/delete.conf"
{
	printf 'From: a@b.se\nSubject: stor\nMessage-ID: <stor@b.se>\n\n'
	head -c 3000 /dev/zero | tr '\0' 'x'
} >"$I/maildir/inbox/new/storgallras.eml"
run "$GATEWAY" -c "$I/delete.conf" --once maildir
check_all "maildir_processed = delete: a file over mail_max_size is kept in cur/" <<-'EOF'
	[ "$rc" -eq 0 ] && \
	[ "$(sql "SELECT count(*) FROM inbox WHERE dedupe_key GLOB 'maildir:storgallras.eml:*'")" -eq 1 ] && \
	[ "$(ls "$I/maildir/inbox/cur" | grep -c '^storgallras')" -eq 1 ]
EOF

# maildir_retention (P30D unless set): the copies in cur/ go once they
# are older, counted from their arrival (the file's time); a copy over
# mail_max_size, the only whole copy of its mail, as
# quarantine_retention says (none here: kept).
cur=$I/maildir/inbox/cur
small=$(find "$cur" -maxdepth 1 -type f -size -1024c ! -name 'storgallras*' | sort)
old=$(basename "$(printf '%s\n' "$small" | sed -n 1p)")
young=$(basename "$(printf '%s\n' "$small" | sed -n 2p)")
big=$(ls "$cur" | grep '^storgallras')
kept=$(($(ls "$cur" | wc -l) - 1))
touch -d '31 days ago' "$cur/$old" "$cur/$big"
touch -d '29 days ago' "$cur/$young"
touch "$cur/.skrap"
mkdir "$cur/katalog"
touch -d '40 days ago' "$cur/.skrap" "$cur/katalog"
run "$CIRMCTL" -c "$I/delete.conf" maildir prune --dry-run
check_all "maildir prune --dry-run names the one copy past 30 days, and removes nothing" <<-'EOF'
	[ "$rc" -eq 0 ] && \
	[ "$(printf '%s\n' "$out" | grep -c '^would remove')" -eq 1 ] && \
	contains "$out" "would remove $old (" && \
	contains "$out" "copies kept: $kept; would remove: 1 (" && \
	contains "$out" "left alone: 2 entries that are not cirm's" && \
	[ -e "$cur/$old" ]
EOF
# Another writer holds the write lock for all of busy_timeout: the
# prune stops before a copy goes (it used to remove them and then fail
# to write their entry in the audit log).
{ cat "$I/delete.conf"; echo "busy_timeout = 200"; } >"$I/busy.conf"
check "maildir prune, the lock held elsewhere: held" hold_write_lock "$I/cirm.db"
run "$CIRMCTL" -c "$I/busy.conf" maildir prune
release_write_lock ROLLBACK
check_all "maildir prune, the lock held elsewhere: fails, and removes nothing unaudited" <<-'EOF'
	[ "$rc" -eq 1 ] && contains "$err" "the database is locked" && \
	[ -e "$cur/$old" ] && \
	[ "$(sql "SELECT count(*) FROM audit WHERE action = 'maildir.prune'")" -eq 0 ]
EOF
run "$CIRMCTL" -c "$I/delete.conf" maildir prune
check_all "maildir prune removes it; the young copy, the one over mail_max_size and what is not a copy stay" <<-'EOF'
	[ "$rc" -eq 0 ] && \
	contains "$out" "removed: 1 (" && contains "$out" "over mail_max_size: 0" && \
	[ ! -e "$cur/$old" ] && [ -e "$cur/$young" ] && [ -e "$cur/$big" ] && \
	[ -e "$cur/.skrap" ] && [ -d "$cur/katalog" ]
EOF
check_all "the audit log has the counts, never the file's name" <<-'EOF'
	[ "$(sql "SELECT count(*) FROM audit WHERE action = 'maildir.prune' AND detail LIKE '%removed 1 (%'")" -eq 1 ] && \
	[ "$(sql "SELECT count(*) FROM audit WHERE instr(detail, '$old') > 0")" -eq 0 ]
EOF
echo "quarantine_retention = P30D" >>"$I/delete.conf"
run "$CIRMCTL" -c "$I/delete.conf" maildir prune
check_all "with quarantine_retention = P30D the copy over mail_max_size goes too" <<-'EOF'
	[ "$rc" -eq 0 ] && contains "$out" "over mail_max_size: 1" && \
	[ ! -e "$cur/$big" ] && [ -e "$cur/$young" ]
EOF
{ grep -v '^quarantine_retention' "$I/delete.conf"; echo "maildir_retention = none"; } >"$I/keep.conf"
touch -d '400 days ago' "$cur/$young"
run "$CIRMCTL" -c "$I/keep.conf" maildir prune
check_all "maildir_retention = none (and no quarantine_retention): nothing is removed" <<-'EOF'
	[ "$rc" -eq 0 ] && contains "$out" "are none" && [ -e "$cur/$young" ]
EOF
{ cat "$C"; echo "maildir_retention = 30 dagar"; } >"$I/bad.conf"
run "$CIRMCTL" -c "$I/bad.conf" maildir prune
check_all "a maildir_retention not in ISO 8601 is a configuration error at its line" <<-'EOF'
	[ "$rc" -eq 78 ] && \
	contains "$err" "bad.conf:$(wc -l <"$I/bad.conf"): 'maildir_retention' must be none or an ISO 8601 period"
EOF
run "$CIRMCTL" -c "$C" maildir prune --now
check_all "maildir prune: an unknown option is a usage error" <<-'EOF'
	[ "$rc" -eq 64 ] && contains "$err" "usage: cirmctl maildir prune"
EOF
# cirmd's housekeeping applies it at its start.
housekeeping "$C" "$T/hk.log"
check_all "cirmd's housekeeping removes the copy past maildir_retention and logs the count" <<-'EOF'
	[ ! -e "$cur/$young" ] && \
	grep -q "maildir retention: copies of processed mail removed: 1 (" "$T/hk.log" && \
	! grep -q "$young" "$T/hk.log"
EOF

done_testing
