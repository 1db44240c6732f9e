#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# cirmd as a service: --once, the inbox drained, one instance per
# database, SIGHUP with a good and a bad file, SIGTERM, bad starts.
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE=
unset CIRM_CONF

command -v sqlite3 >/dev/null || skip_all "sqlite3 command-line tool not installed (apt-get install sqlite3)"

I=$T/inst
C=$I/cirm.conf
"$CIRMCTL" init "$I" >/dev/null || exit 99
printf 'engine_poll_interval = 1\n' >>"$C"

sql() {
	sqlite3 -cmd '.timeout 5000' "$I/cirm.db" "$1"
}

# Waits up to 10 s for FILE to contain TEXT.
wait_for() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.1
	done
}

run "$CIRMD" -c "$C" --once
check "--once on an empty inbox exits 0" [ "$rc" -eq 0 ]

# A mail becomes a case; what cannot be handled goes to the quarantine
# with a reason, not lost and not retried for ever.
sql "INSERT INTO inbox (channel, source, received_at, raw) VALUES ('email', 'test', 1, CAST('From: anna@example.se
Subject: Gatlampa
Message-ID: <d1@example.se>

Lampan lyser inte.' AS BLOB)), ('email', 'test', 2, 'no header here'), ('sms', 'test', 3, 'hej')"
run "$CIRMD" -c "$C" --once
check "--once drains the inbox" [ "$(sql 'SELECT count(*) FROM inbox')" -eq 0 ]
check "the mail is a case" [ "$(sql 'SELECT count(*) FROM cases')" -eq 1 ]
check "its acknowledgement is queued" [ "$(sql 'SELECT count(*) FROM outbox')" -eq 1 ]
check "a non-mail is quarantined with a reason" [ "$(sql "SELECT count(*) FROM quarantine WHERE reason LIKE 'not a mail%'")" -eq 1 ]
check "an SMS that is no envelope is quarantined with a reason" [ "$(sql "SELECT count(*) FROM quarantine WHERE reason LIKE 'not an SMS envelope%'")" -eq 1 ]
check "the raw message is kept" [ "$(sql "SELECT raw FROM quarantine WHERE channel = 'sms'")" = hej ]
check "the log names rows, not contents" [ -z "$(printf '%s' "$err" | grep -e anna -e hej -e Lampan)" ]

# --once is the engine alone: what it queues waits in the outbox (the
# benchmarks time the engine with it, and tests look at the outbox
# before a gateway sends). --once --send then sends it, through the
# gateways the configuration turns on (here the sink), as a cron job
# that does all of the service's work needs.
check "--once leaves the acknowledgement queued" [ \
	"$(sql "SELECT count(*) FROM outbox WHERE status = 'queued'")" -eq 1 ]
run "$CIRMD" -c "$C" --once --send
check "--once --send: exit 0" [ "$rc" -eq 0 ]
check "... the outbox is sent" [ \
	"$(sql "SELECT group_concat(status) FROM outbox")" = sent ]
check "... by the sink, into its Maildir" [ \
	"$(find "$I/maildir/outbound/anna@example.se/new" -type f | wc -l)" -eq 1 ]
run "$CIRMD" -c "$C" --send
check "--send without --once is a usage error" [ "$rc" -eq 64 ]
check "... saying why" contains "$err" "--send goes with --once"
# A sending gateway that fails: exit 1, said, the mail kept for later.
sql "INSERT INTO inbox (channel, source, received_at, raw) VALUES ('email', 'test', 5, CAST('From: bo@example.se
Subject: Buller
Message-ID: <d2@example.se>

Det bullrar.' AS BLOB))"
cp "$C" "$T/conf.send"
printf 'smtp_host = 127.0.0.1\nsmtp_port = 1\nsmtp_tls = none\n' >>"$C"
run "$CIRMD" -c "$C" --once --send
check_all "--once --send with an SMTP server that fails: exit 1, said, the mail queued" <<-'EOF'
	[ "$rc" -eq 1 ]
	contains "$err" "the outbox was not all sent ("
	contains "$err" "--once smtp failed); what is left waits for the next run"
	[ "$(sql "SELECT count(*) FROM outbox WHERE status = 'queued' AND recipient = 'bo@example.se'")" -eq 1 ]
	EOF
cp "$T/conf.send" "$C"

# An empty mail (a Maildir file of 0 bytes, an IMAP message of 0 octets).
sql "INSERT INTO inbox (channel, source, received_at, raw) VALUES ('email', 'maildir', 4, X'')"
run "$CIRMD" -c "$C" --once
check "an empty mail: --once exits 0" [ "$rc" -eq 0 ]
check "an empty mail is quarantined with a reason" \
	[ "$(sql "SELECT count(*) FROM quarantine WHERE reason LIKE 'not a mail%'")" -eq 2 ]

# What an earlier cirmd recorded, killed while it ran an SMTP gateway
# that the configuration no longer has.
sql "INSERT INTO gateway_state (gateway, key, value) VALUES ('cirmd', 'process.smtp', '99999 1767258000 6')"

# The service, in the background.
"$CIRMD" -c "$C" >"$T/d.out" 2>"$T/d.log" &
pid=$!
check "service starts" wait_for "$T/d.log" "started"
check "it starts the Maildir gateway" wait_for "$T/d.log" "gateway maildir started"
check "and the embedded outbound sink" wait_for "$T/d.log" "gateway sink started"
run "$CIRMCTL" -c "$C" status
check "cirmctl status shows the service" contains "$out" "cirmd: running, pid $pid"
check "... and its gateways" contains "$out" "maildir  running, pid"
check "... and no gateway an earlier cirmd ran" [ -z "$(printf '%s' "$out" | grep smtp)" ]
# the pid cirmd gave it, from its log: pgrep by command line finds
# nothing while the child has not yet become cirm-gateway, and then
# nothing is killed (an ASan CI run failed here so, it seems)
gw=$(grep 'gateway maildir started' "$T/d.log" | tail -n 1 |
	sed 's/.*(pid \([0-9]*\)).*/\1/')
kill -9 "$gw"
check "a gateway that dies is noticed" wait_for "$T/d.log" "gateway maildir killed by signal 9"
# started N: waits (10 s at most) until the Maildir gateway has started
# N times.
started() {
	i=0
	until [ "$(grep -c "gateway maildir started (pid [0-9]*)" "$T/d.log")" -ge "$1" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.1
	done
}
check "... and restarted" started 2
check "... once" [ "$(grep -c "gateway maildir started" "$T/d.log")" -eq 2 ]
cp "$top_srcdir/tests/data/mime/latin1-plain.eml" "$I/maildir/inbox/new/1.eml"
check "the restarted gateway takes new mail" wait_for "$T/d.log" "1 done"

run "$CIRMD" -c "$C" --once
check "a second cirmd on the same database is refused" [ "$rc" -eq 75 ]
check "the refusal names the running one" contains "$err" "another cirmd (pid $pid)"

sql "INSERT INTO inbox (channel, source, received_at, raw) VALUES ('email', 'test', 3, 'x')"
check "the running service drains new rows" wait_for "$T/d.log" "1 quarantined"

cp "$C" "$T/good.conf"
printf 'engine_batch = lots\n' >>"$C"
kill -HUP "$pid"
check "bad reload is logged with file:line" wait_for "$T/d.log" "$C:[0-9]*: 'engine_batch'"
check "bad reload keeps the old configuration" wait_for "$T/d.log" "old one stays"
check "service still running after a bad reload" kill -0 "$pid"
cp "$T/good.conf" "$C"
printf 'log_level = debug\n' >>"$C"
kill -HUP "$pid"
check "good reload" wait_for "$T/d.log" "configuration reloaded"
check "... a changed cirm.conf restarts the gateways" \
	wait_for "$T/d.log" "gateways restarted: what they read changed"
# the third start of the maildir gateway (first, after kill -9, now)
i=0
until [ "$(grep -c 'gateway maildir started' "$T/d.log")" -ge 3 ]; do
	i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1
done
gw=$(grep 'gateway maildir started' "$T/d.log" | tail -n 1 |
	sed 's/.*(pid \([0-9]*\)).*/\1/')
kill -HUP "$pid"
check "a reload with nothing changed for them keeps the gateways" \
	wait_for "$T/d.log" "gateways kept: nothing they read changed"
sleep 0.5
check "... running as they were (pid $gw)" \
	[ "$(grep -c 'gateway maildir started' "$T/d.log")" -eq 3 -a \
	  -n "$gw" -a -d "/proc/$gw" ]

kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
wait "$pid"
check "SIGTERM stops the service with status 0" [ $? -eq 0 ]
check "stop is logged" grep -q "stopped" "$T/d.log"
check "the gateways stopped with it" [ -z "$(pgrep -f "cirm-gateway -c $C")" ]
run "$CIRMD" -c "$C" --once
check "the lock is gone with the process" [ "$rc" -eq 0 ]

# Bad starts.
cp "$T/good.conf" "$C"
printf 'nonsense = 1\nlog_level = loud\n' >>"$C"
run "$CIRMD" -c "$C" --once
check "bad configuration exits 78" [ "$rc" -eq 78 ]
check "every error is shown" [ "$(printf '%s\n' "$err" | grep -c "$C:[0-9]*:")" -eq 2 ]
cp "$T/good.conf" "$C"
chmod 640 "$I/cirm.key"
run "$CIRMD" -c "$C" --once
check "group-readable key refused" [ "$rc" -eq 78 ]
check "key refusal explains" contains "$err" "mode 0640"
chmod 600 "$I/cirm.key"
cp "$I/cirm.key" "$T/key"
echo short >"$I/cirm.key"
run "$CIRMD" -c "$C" --once
check "malformed key refused" [ "$rc" -eq 78 ]
check "... naming the setting's line, the default's too" contains "$err" \
	"$C: key_file = $I/cirm.key (the default): $I/cirm.key: key file must hold 64 hexadecimal digits"
cp "$T/key" "$I/cirm.key"
# A key_file mistyped in cirm.conf: its line, not only the path.
printf 'key_file = %s\n' "$T/no-such-key" >>"$C"
run "$CIRMD" -c "$C" --once
check "a key_file that is not there: refused (78)" [ "$rc" -eq 78 ]
check "... naming the line that says so" contains "$err" \
	"$C:$(wc -l <"$C"): key_file = $T/no-such-key: $T/no-such-key: No such file or directory"
cp "$T/good.conf" "$C"
mv "$I/cirm.db" "$T/db"
run "$CIRMD" -c "$C" --once
check "missing database exits 1" [ "$rc" -eq 1 ]
check "missing database is not created" [ ! -e "$I/cirm.db" ]
check "... saying so as cirmctl does, with the setting" contains "$err" \
	"cirmd: $I/cirm.db: there is no database: is 'database' in $C right? ('cirmctl init DIR' makes a new instance; on a new machine 'cirmctl restore --yes BACKUP' puts a backup in place)"
mv "$T/db" "$I/cirm.db"
# A database setting naming a directory that is not there: the setting,
# not the lock file cirmd would have made beside it.
printf 'database = nodir/cirm.db\n' >>"$C"
run "$CIRMD" -c "$C" --once
check "a database in no directory exits 1" [ "$rc" -eq 1 ]
check "... naming the setting, not the lock file" contains "$err" \
	"cirmd: $I/nodir/cirm.db: there is no database: is 'database' in $C right?"
check "... and no lock file" [ -z "$(printf '%s\n' "$err" | grep cirmd-lock)" ]
cp "$T/good.conf" "$C"
# A workflow_dir that is not there: its line, and why.
printf 'workflow_dir = wf\n' >>"$C"
run "$CIRMD" -c "$C" --once
check "a missing workflow_dir: refused" [ "$rc" -ne 0 ]
check "... naming the setting's line and the cause" contains "$err" \
	"$C:$(wc -l <"$C"): workflow_dir = $I/wf: cannot be read: No such file or directory"
cp "$T/good.conf" "$C"
run "$CIRMD" --bogus
check "bad option exits 64" [ "$rc" -eq 64 ]

# A database the service's user can read but not write (a chmod, or its
# -wal and -shm left read-only by one): cirmd says which file, instead
# of "workflow synpunkt is not usable" for every workflow it records.
# As root, run as nobody, for whom modes count.
as_owner() { "$@"; }
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null &&
   id nobody >/dev/null 2>&1; then
	chown -R nobody "$I"
	chmod 755 "$T"
	as_owner() { as_nobody "$@"; }
fi
run as_owner "$CIRMD" -c "$C" --once
check "the service's own user: --once exits 0" [ "$rc" -eq 0 ]
chmod 0440 "$I/cirm.db"
run as_owner "$CIRMD" -c "$C" --once
check "a database it cannot write: exit 1" [ "$rc" -eq 1 ]
check "... naming the file and why" contains "$err" \
	"$I/cirm.db: cirmd must write the database, but cannot: $I/cirm.db is read-only for user"
check "... and blaming no workflow" [ -z "$(printf '%s\n' "$err" | grep -i workflow)" ]
# SQLite made the -wal and -shm with the database's mode: after the
# chmod back, they are what stays read-only.
chmod 0640 "$I/cirm.db"
run as_owner "$CIRMD" -c "$C" --once
check_all "the database writable again, its -wal and -shm not: named" <<-'EOF'
	[ "$rc" -eq 1 ] &&
	printf '%s\n' "$err" | grep -Eq "$I/cirm.db-(wal|shm) is read-only for user"
EOF
chmod 0640 "$I/cirm.db-wal" "$I/cirm.db-shm"
run as_owner "$CIRMD" -c "$C" --once
check "all writable: exit 0" [ "$rc" -eq 0 ]
# cirmd run by root (from root's crontab, say) on the service user's
# instance would make files that user cannot use (a lock file, an
# attachment's spool directory): refused, saying how to run it.
if [ "$(id -u)" -eq 0 ] && [ "$(stat -c %U "$I/cirm.db")" = nobody ]; then
	rm -f "$I"/cirm.db.*-lock
	run "$CIRMD" -c "$C" --once
	check "root on the service user's instance: refused (77)" [ "$rc" -eq 77 ]
	check "... saying whose it is and how to run it" [ "$err" = \
		"cirmd: $I/cirm.db belongs to user nobody: run cirmd as that user (runuser -u nobody -- cirmd ...), not as root, whose files the service could not use" ]
	check "... having made no file" [ ! -e "$I/cirm.db.cirmd-lock" ]
	# a lock file root left all the same (an older cirm): whose it
	# is, and that it may go
	: >"$I/cirm.db.cirmd-lock"
	run as_owner "$CIRMD" -c "$C" --once
	check "a lock file root made: exit 1" [ "$rc" -eq 1 ]
	check "... saying whose it is and what to do" contains "$err" \
		"$I/cirm.db.cirmd-lock: Permission denied: the file belongs to user root, and this is user nobody: remove it while no cirm program runs, or give it to nobody"
	rm -f "$I"/cirm.db.*-lock
fi

# Citizens' personal data open to every user of the machine (a chmod, a
# copy by hand): said, with the setting and what to do; the instance
# init made is not.
run as_owner "$CIRMD" -c "$C" --once
check "the instance as init made it: no word of its modes" \
	[ -z "$(printf '%s\n' "$err" | grep 'open to every user')" ]
chmod o+r "$I/cirm.db"
chmod o+rx "$I/spool"
# smsd's spool, where citizens' SMS wait (made by the gateway, or by
# smsd's package)
mkdir -p "$I/sms"
chmod 755 "$I/sms"
run as_owner "$CIRMD" -c "$C" --once
check "a database every user may read: said" contains "$err" \
	"$C: database = $I/cirm.db (the default): open to every user of this machine (mode 0644), and it holds citizens' personal data: chmod o-rwx $I/cirm.db"
check "... and a spool too" contains "$err" "spool_dir = $I/spool (the default): open to every user of this machine (mode 0755)"
check "... and the SMS spool" contains "$err" "sms_spool_dir = $I/sms (the default): open to every user of this machine (mode 0755)"
check "... a warning: the mail is still taken" [ "$rc" -eq 0 ]
chmod o-rwx "$I/cirm.db" "$I/spool" "$I/sms"

done_testing
