#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# cirmctl spool prune: the attachment file of a mail quarantined as one
# of a flood is named by no message; prune removes it (and only it, and
# only when old enough), and releasing the mail stores it again.
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE=
unset CIRM_CONF

command -v sqlite3 >/dev/null || skip_all "sqlite3 command-line tool not installed (apt-get install sqlite3)"

I=$T/inst
C=$I/cirm.conf
MAILGATE=$top_builddir/cirm-mailgate

sql() {
	sqlite3 -cmd '.timeout 5000' "$I/cirm.db" "$1"
}

files() {
	find "$I/spool" -type f | wc -l
}

# mail N: a mail from the same sender each time, with an attachment of
# its own.
mail() {
	cat <<EOF
From: Sven Berg <sven.berg@exempel.se>
To: kommunen@kommun.example
Subject: Foto nummer $1
Message-ID: <foto.$1@exempel.se>
Date: Wed, 02 Dec 2026 10:0$1:00 +0100
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
printf 'flood_max_cases = 1\n' >>"$C"
for n in 1 2; do
	mail $n >"$T/$n.eml"
	"$MAILGATE" -c "$C" <"$T/$n.eml" || echo "mailgate failed on $n" >&2
done
run "$CIRMD" -c "$C" --once
check "cirmd --once: exit 0" [ "$rc" -eq 0 ]
check "the first mail is a case" [ "$(sql 'SELECT count(*) FROM cases')" -eq 1 ]
check "the second is quarantined as a flood" \
	[ "$(sql "SELECT count(*) FROM quarantine WHERE reason LIKE '%flood%' OR reason LIKE '%per hour%'")" -eq 1 ]
check "the log names it by its quarantine id" \
	contains "$err" "quarantined as $(sql 'SELECT id FROM quarantine'):"
check "both attachments were saved in the spool" [ "$(files)" -eq 2 ]
kept=$(printf 'JPEG data of photo 1\n' | sha256sum | cut -c1-64)
orphan=$(printf 'JPEG data of photo 2\n' | sha256sum | cut -c1-64)
kept_path=$I/spool/$(echo "$kept" | cut -c1-2)/$(echo "$kept" | cut -c3-)
orphan_path=$I/spool/$(echo "$orphan" | cut -c1-2)/$(echo "$orphan" | cut -c3-)
check "the case's message names the first attachment" \
	[ "$(sql "SELECT count(*) FROM attachment WHERE sha256 = '$kept'")" -eq 1 ]
check "no message names the second" \
	[ "$(sql "SELECT count(*) FROM attachment WHERE sha256 = '$orphan'")" -eq 0 ]

# By default only files older than a day go: these are new.
run "$CIRMCTL" -c "$C" spool prune
check "prune succeeds" [ "$rc" -eq 0 ]
check "prune keeps new files" contains "$out" "files removed: 0 "
check "both files still there" [ "$(files)" -eq 2 ]

# A day later (the files' times set back), and a write that died.
touch -d '2 days ago' "$kept_path" "$orphan_path"
printf 'half' >"$kept_path.tmp.99.99"
touch -d '2 days ago' "$kept_path.tmp.99.99"
printf 'not ours\n' >"$I/spool/NOTES"
run "$CIRMCTL" -c "$C" spool prune --dry-run
check "dry run succeeds" [ "$rc" -eq 0 ]
check "dry run names the unnamed file" contains "$out" "would remove $orphan_path (21 bytes)"
check "dry run names nothing else" [ "$(printf '%s\n' "$out" | grep -c 'would remove /')" -eq 1 ]
check "dry run counts the temporary file" contains "$out" "files to remove: 1 (21 bytes); temporary files: 1"
check "dry run removes nothing" [ "$(files)" -eq 4 ]
run "$CIRMCTL" -c "$C" spool prune
check "prune succeeds again" [ "$rc" -eq 0 ]
check "prune says what it did" contains "$out" "files kept: 1; files removed: 1 (21 bytes); temporary files removed: 1"
check "prune leaves foreign files alone and says so" contains "$out" "left alone: 1 entries"
check "the unnamed file is gone" [ ! -e "$orphan_path" ]
check "the case's file stays" [ -f "$kept_path" ]
check "the temporary file is gone" [ ! -e "$kept_path.tmp.99.99" ]
check "the foreign file stays" [ -f "$I/spool/NOTES" ]
run "$CIRMCTL" -c "$C" case show "$(sql 'SELECT number FROM cases')"
check "the case still shows its attachment" contains "$out" "grop1.jpg"

# Released from the quarantine, the mail stores its file again.
id=$(sql 'SELECT id FROM quarantine')
run "$CIRMCTL" -c "$C" quarantine release "$id"
check "release succeeds" [ "$rc" -eq 0 ]
run "$CIRMD" -c "$C" --once
check "the released mail is a case" [ "$(sql 'SELECT count(*) FROM cases')" -eq 2 ]
check "its attachment is in the spool again" [ -f "$orphan_path" ]
touch -d '2 days ago' "$kept_path" "$orphan_path"
run "$CIRMCTL" -c "$C" spool prune --min-age 1
check "with both named, nothing goes" contains "$out" "files kept: 2; files removed: 0"

# cirmd prunes by itself: when it starts, then every
# spool_prune_interval hours, files older than spool_prune_min_age.
# stale FILE CONTENT: an unnamed attachment file made long ago.
stale() {
	s_id=$(printf '%s' "$1" | sha256sum | cut -c1-64)
	s_path=$I/spool/$(echo "$s_id" | cut -c1-2)/$(echo "$s_id" | cut -c3-)
	mkdir -p "$(dirname "$s_path")"
	printf '%s' "$1" >"$s_path"
	touch -d "$2" "$s_path"
	echo "$s_path"
}
# wait_log FILE TEXT: up to 10 s for TEXT in FILE; 0 when it came.
wait_log() {
	w=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		[ $w -ge 100 ] && return 1
		sleep 0.1
		w=$((w + 1))
	done
}
old=$(stale 'left over three days ago' '3 days ago')
young=$(stale 'left over ten hours ago' '10 hours ago')
touch -d '3 days ago' "$kept_path"
"$CIRMD" -c "$C" --no-gateways >/dev/null 2>"$T/d1.log" &
pid=$!
wait_log "$T/d1.log" 'spool prune:'
check "cirmd prunes the spool when it starts" [ $? -eq 0 ]
kill -TERM $pid
wait $pid
check "and stops cleanly" [ $? -eq 0 ]
check "cirmd logs what it kept and removed" \
	grep -q "spool prune: kept 3 files, removed 1 (24 bytes) and 0 temporary files; 1 entries not cirm's left alone" "$T/d1.log"
check "the old unnamed file is gone" [ ! -e "$old" ]
check "an unnamed file younger than a day stays" [ -f "$young" ]
check "a named file stays however old" [ -f "$kept_path" ]
check "the log names no file (no personal data)" \
	sh -c "! grep -q '$I/spool/' '$T/d1.log'"

old=$(stale 'left over four days ago' '4 days ago')
printf 'spool_prune_min_age = 5\n' >>"$C"
"$CIRMD" -c "$C" --no-gateways >/dev/null 2>"$T/d2.log" &
pid=$!
wait_log "$T/d2.log" 'spool prune:'
kill -TERM $pid
wait $pid
check "spool_prune_min_age sets the age" [ ! -e "$young" ]
check "(and the older one went too)" [ ! -e "$old" ]

old=$(stale 'left over five days ago' '5 days ago')
printf 'spool_prune_interval = 0\n' >>"$C"
mail 3 | "$MAILGATE" -c "$C"
# --no-gateways: the mailgate gateway too is someone else's to run
"$top_builddir/cirm-gateway" -c "$C" --once mailgate 2>/dev/null
"$CIRMD" -c "$C" --no-gateways >/dev/null 2>"$T/d3.log" &
pid=$!
wait_log "$T/d3.log" 'engine: '
sleep 1
kill -TERM $pid
wait $pid
check "with spool_prune_interval = 0 the service ran" grep -q 'engine: ' "$T/d3.log"
check "but did not prune" sh -c "! grep -q 'spool prune' '$T/d3.log'"
check "so the old file stays" [ -f "$old" ]
printf 'spool_prune_interval = 9000\n' >>"$C"
run "$CIRMD" -c "$C" --once
check "an interval over a year is a configuration error" [ "$rc" -eq 78 ]
check "which names the setting" contains "$err" "spool_prune_interval"
sed -i '/^spool_prune_interval = 9000$/d' "$C"

# Bad input.
run "$CIRMCTL" -c "$C" spool prune --min-age -1
check "a negative age is a usage error" [ "$rc" -eq 64 ]
check "which says what is allowed" contains "$err" "from 1 to 8760"
run "$CIRMCTL" -c "$C" spool prune --min-age 0
check "no age at all is a usage error (files being recorded would go)" [ "$rc" -eq 64 ]
run "$CIRMCTL" -c "$C" spool prune extra
check "an extra argument is a usage error" [ "$rc" -eq 64 ]
run "$CIRMCTL" -c "$C" spool
check "spool without prune is a usage error" [ "$rc" -eq 64 ]
check "the usage names prune" contains "$err" "spool prune [--dry-run] [--min-age HOURS]"
mkdir "$I/spool/00" 2>/dev/null
if [ "$(id -u)" != 0 ]; then
	chmod 000 "$I/spool/00"
	run "$CIRMCTL" -c "$C" spool prune
	check "an unreadable directory is an error" [ "$rc" -eq 1 ]
	check "which names it" contains "$err" "$I/spool/00"
	chmod 755 "$I/spool/00"
fi

done_testing
