#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# cirmctl status --check, for a monitoring system (Nagios plugin
# conventions): OK while cirmd and its gateways run and the queues move;
# CRITICAL when cirmd is not running or a gateway is down; WARNING, then
# CRITICAL, when the oldest row of the inbox or outbox has waited longer
# than --warning / --critical minutes, and WARNING when a gateway runs
# but cannot work; UNKNOWN when the instance cannot be read. One line,
# with performance data.
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE=
unset CIRM_CONF

command -v sqlite3 >/dev/null || skip_all "sqlite3 command-line tool not installed (apt-get install sqlite3)"

I=$T/inst
C=$I/cirm.conf
"$CIRMCTL" init "$I" >/dev/null || exit 99
printf 'engine_poll_interval = 1\nmaildir_poll_interval = 1\n' >>"$C"
# the officers the workflow notifies: without them its notifications
# are skipped, which --check warns of (tested below)
"$CIRMCTL" -c "$C" handler add eva --email eva@kommun.example \
	--group synpunkter >/dev/null || exit 99

sql() {
	sqlite3 -cmd '.timeout 5000' "$I/cirm.db" "$1"
}

# until_status [!] PATTERN: waits, 5 s at most, until cirmctl status
# shows PATTERN (with !, no longer shows it).
until_status() {
	_us_not=
	[ "$1" = ! ] && { _us_not=1; shift; }
	_us_i=0
	while [ $_us_i -lt 50 ]; do
		if "$CIRMCTL" -c "$C" status 2>/dev/null | grep -q -e "$1"; then
			[ -z "$_us_not" ] && return 0
		else
			[ -n "$_us_not" ] && return 0
		fi
		_us_i=$((_us_i + 1)); sleep 0.1
	done
	return 1
}

# until_log N PATTERN: waits, 5 s at most, until cirmd's log has N lines
# with PATTERN.
until_log() {
	_ul_i=0
	while [ "$(grep -c -e "$2" "$T/cirmd.log")" -lt "$1" ] && [ $_ul_i -lt 50 ]; do
		_ul_i=$((_ul_i + 1)); sleep 0.1
	done
}

run "$CIRMCTL" -c "$C" status --check
check "cirmd not running: CRITICAL (2)" [ "$rc" -eq 2 ]
check "... one line saying so, with performance data" \
	[ "$out" = "CIRM CRITICAL - cirmd is not running | inbox=0 inbox_oldest_s=0 outbox=0 outbox_oldest_s=0 quarantine=0 cases=0 mailgate=0 inbox_failing=0 outbox_failing=0 notify_failed=0 actions_skipped=0 sms_in=0 sms_out=0" ]
run "$CIRMCTL" -c "$C" status
check "cirmd never ran: the gateways' heading says so, not empty" \
	sh -c 'printf "%s\n" "$1" | grep -A1 "^Gateways:" | tail -1 | grep -q "^  none has run yet: cirmd starts them$"' - "$out"

"$CIRMD" -c "$C" 2>"$T/cirmd.log" &
pid=$!
i=0
until "$CIRMCTL" -c "$C" status 2>/dev/null | grep -q 'sink .*running, pid'; do
	i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1
done
cat >"$I/maildir/inbox/new/1.eml" <<EOF
From: Anna Svensson <anna@example.se>
To: kommunen@kommun.example
Subject: Gatlampan
Message-ID: <lampa.1@example.se>

Gatlampan vid skolan lyser inte.
EOF
i=0
# the acknowledgement and Eva's notification
until [ "$(find "$I/maildir/outbound" -type f 2>/dev/null | wc -l)" -ge 2 ]; do
	i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1
done
sleep 0.5
run "$CIRMCTL" -c "$C" status --check
check "running, queues empty: OK (0)" [ "$rc" -eq 0 ]
check "... saying so" contains "$out" \
	"CIRM OK - cirmd and its gateways run, the queues move | inbox=0 inbox_oldest_s=0 outbox=0"
check "... and counting the case" contains "$out" "cases=1"

# A message the sink cannot send yet, queued 20 minutes ago.
now=$(date +%s)
sql "INSERT INTO outbox (channel, recipient, body, created_at, next_attempt_at)
     VALUES ('email', 'x@example.se', 'x', $((now - 1200)), $((now + 3600)))"
run "$CIRMCTL" -c "$C" status --check
check "an outbox row waiting 20 min: WARNING (1)" [ "$rc" -eq 1 ]
check "... naming the queue and the wait" contains "$out" \
	"CIRM WARNING - outbox: the oldest has waited 20 min | "
check "... its age in the performance data" contains "$out" "outbox=1 outbox_oldest_s=12"
run "$CIRMCTL" -c "$C" status --check --warning 5 --critical 20
check "... CRITICAL (2) from --critical 20" [ "$rc" -eq 2 ]
run "$CIRMCTL" -c "$C" status --check --warning 30 --critical 40
check "... OK under --warning 30" [ "$rc" -eq 0 ]
sql "DELETE FROM outbox WHERE recipient = 'x@example.se'"

# An inbox row nobody takes (its next attempt far ahead).
sql "INSERT INTO inbox (channel, source, received_at, raw, next_attempt_at)
     VALUES ('email', 'test', $((now - 4000)), CAST('x' AS BLOB), $((now + 3600)))"
run "$CIRMCTL" -c "$C" status --check
check "an inbox row waiting over an hour: CRITICAL (2)" [ "$rc" -eq 2 ]
check "... saying so" contains "$out" "inbox: the oldest has waited 66 min"
sql "DELETE FROM inbox"

# Rows that wait after an error: status says why the queue does not
# move, with the error of the newest (what fails now: the older row,
# tried more often, waits longer for its next attempt), and without the
# address or number a server's answer may name.
sql "INSERT INTO inbox (channel, source, received_at, raw, next_attempt_at, last_error)
     VALUES ('email', 'test', $((now - 1500)), CAST('x' AS BLOB), $((now + 60)),
             'spool: No space left on device')"
sql "INSERT INTO outbox (channel, recipient, body, created_at, next_attempt_at, attempts, last_error)
     VALUES ('email', 'bo@example.se', 'x', $((now - 20000)), $((now + 18000)), 6,
             '451 4.7.1 greylisted, hours ago'),
            ('email', 'anna@example.se', 'x', $((now - 60)), $((now + 240)), 1,
             '421 4.3.0 <anna@example.se>: try later, or call +46 70 123 45 67')"
run "$CIRMCTL" -c "$C" status
check "an inbox row put off after an error: status tells" contains "$out" \
	"1 put off after an error: spool: No space left on device"
check "... and outgoing mail after failed attempts, with the newest's error" \
	contains "$out" "2 wait after a failed attempt; the newest: 421 4.3.0"
check "... without the address or the number in the server's answer" \
	sh -c '! printf "%s" "$1" | grep -q -e anna@ -e "70 123"' - "$out"
run "$CIRMCTL" -c "$C" status --check
check "--check: the inbox's age, with the error that holds it up" contains "$out" \
	"inbox: the oldest has waited 25 min (the newest error: spool: No space left on device)"
check "... the rows counted in the performance data" contains "$out" \
	"inbox_failing=1 outbox_failing=2"
# A case officer's notification that failed for good (a mailbox gone):
# the cases move, but the officer hears of none; a warning, with the
# server's reason without the address, for a day.
sql "INSERT INTO event (case_id, at, kind, detail) VALUES
	(1, $((now - 90000)), 'notify.failed', '550 5.1.1 <old@kommun.example>: gone long ago'),
	(1, $((now - 100)), 'notify.failed', '550 5.1.1 <eva@kommun.example>: Recipient address rejected')"
run "$CIRMCTL" -c "$C" status --check
check "a notification failed for good today: in the --check line" contains "$out" \
	"1 notification to case officers failed for good in the last 24 hours (the newest: 550 5.1.1"
check "... without the address" sh -c '! printf "%s" "$1" | grep -q "eva@"' - "$out"
check "... counted in the performance data" contains "$out" "notify_failed=1"
run "$CIRMCTL" -c "$C" status
check "... and in status" contains "$out" \
	"1 notification to case officers failed for good in the last 24 hours: 550 5.1.1"
sql "UPDATE event SET at = at - 86400 WHERE kind = 'notify.failed'"
run "$CIRMCTL" -c "$C" status --check
check "... for a day: then no more" contains "$out" "notify_failed=0"
# A workflow action skipped for a group the instance lacks (a role's
# group misspelt): an escalation reached nobody; a warning for a day.
sql "INSERT INTO event (case_id, at, kind, detail) VALUES
	(1, $((now - 100)), 'action.skipped', 'bygglov.xml:75: role:byggchef: no handler group byggchefr in the directory')"
run "$CIRMCTL" -c "$C" status --check
check "an action skipped today: in the --check line, with the file and line" contains "$out" \
	"1 workflow action skipped in the last 24 hours for a handler or group the instance lacks (the newest: bygglov.xml:75: role:byggchef: no handler group byggchefr"
check "... counted in the performance data" contains "$out" "actions_skipped=1"
run "$CIRMCTL" -c "$C" status
check "... and in status" contains "$out" \
	"1 workflow action skipped in the last 24 hours for a handler or group the instance lacks: bygglov.xml:75"
sql "UPDATE event SET at = at - 86400 WHERE kind = 'action.skipped'"
run "$CIRMCTL" -c "$C" status --check
check "... for a day: then no more" contains "$out" "actions_skipped=0"
sql "DELETE FROM inbox"
sql "DELETE FROM outbox WHERE last_error IS NOT NULL"
run "$CIRMCTL" -c "$C" status
check "... and none said once they are gone" sh -c '! printf "%s" "$1" | grep -q "after"' - "$out"

# A gateway that runs but cannot work: the Maildir gateway without its
# inbox/new (a file system not mounted, a directory removed) takes no
# mail, and status tells, with the reason.
mv "$I/maildir/inbox/new" "$I/maildir/inbox/new.away"
until_status "not working"
run "$CIRMCTL" -c "$C" status
check "a Maildir gateway that cannot read inbox/new: status says so" contains "$out" \
	"but not working since"
check "... with the reason" contains "$out" \
	": cannot read $I/maildir/inbox/new: No such file or directory; no mail is taken"
run "$CIRMCTL" -c "$C" status --check
check "... --check: WARNING (1)" [ "$rc" -eq 1 ]
check "... naming the gateway and why" contains "$out" \
	"CIRM WARNING - gateway maildir runs but does not work: cannot read $I/maildir/inbox/new: No such file or directory"
mv "$I/maildir/inbox/new.away" "$I/maildir/inbox/new"
until_status ! "not working"
run "$CIRMCTL" -c "$C" status --check
check "... OK (0) again once the directory is back" [ "$rc" -eq 0 ]

# A reload with a broken workflow: cirmd keeps the version that ran, and
# status tells that the edit did not take effect, until a reload
# without errors.
W=$I/workflows/felanmalan.xml
cp "$W" "$T/felanmalan.good"
sed 's/target="oppen">/target="nosuch">/; s/id="felanmalan" version="1"/id="felanmalan" version="2"/' \
	"$T/felanmalan.good" >"$W"
kill -HUP $pid
until_log 1 "configuration reloaded"
check "a reload with a broken workflow: each error on its own log line" \
	[ "$(grep -c "felanmalan.xml:[0-9]*: target 'nosuch': no such state$" "$T/cirmd.log")" -ge 2 ]
check "... none run together with the next" \
	sh -c '! grep -q "no such state ." "$1"' - "$T/cirmd.log"
check "... and the log says the reload had errors" \
	grep -q "configuration reloaded with [0-9]* errors; what they concern stays as it was" "$T/cirmd.log"
run "$CIRMCTL" -c "$C" status --check
check "... --check: WARNING (1)" [ "$rc" -eq 1 ]
check "... saying the reload left errors, with the first" sh -c \
	'printf "%s" "$1" | grep -q "^CIRM WARNING - the reload at [-0-9]* [0-9:]* left [0-9]* configuration errors (the first: $2:[0-9]*: target .nosuch.: no such state)"' \
	- "$out" "$W"
run "$CIRMCTL" -c "$C" status
check "... and status too" contains "$out" "errors, and what they concern stays as it was; the first: $W:"
cp "$T/felanmalan.good" "$W"
kill -HUP $pid
until_log 2 "configuration reloaded"
run "$CIRMCTL" -c "$C" status --check
check "... OK (0) after a good reload" [ "$rc" -eq 0 ]
# One refused as a whole (the default workflow is not usable).
cp "$C" "$T/conf.good"
printf 'workflow_default = nosuch\n' >>"$C"
kill -HUP $pid
until_log 1 "old one stays"
run "$CIRMCTL" -c "$C" status --check
check "a reload refused: WARNING (1), saying so" sh -c '[ "$1" -eq 1 ] &&
	printf "%s" "$2" | grep -q "the reload at .* was refused for 1 configuration error (the first: .*workflow_default: workflow nosuch is not usable"' \
	- "$rc" "$out"
cp "$T/conf.good" "$C"
kill -HUP $pid
until_log 3 "configuration reloaded"
run "$CIRMCTL" -c "$C" status --check
check "... OK (0) after a good reload" [ "$rc" -eq 0 ]

# A gateway that died while cirmd cannot restart it.
kill -STOP $pid
sink=$(sql "SELECT value FROM gateway_state WHERE gateway = 'cirmd' AND key = 'process.sink'" | cut -d' ' -f1)
kill -9 "$sink" 2>/dev/null
i=0
# (a zombie: cirmd, stopped, cannot reap it)
while [ -e "/proc/$sink" ] && ! grep -q ') Z ' "/proc/$sink/stat"; do
	i=$((i + 1)); [ $i -gt 50 ] && break; sleep 0.1
done
run "$CIRMCTL" -c "$C" status --check
check "a gateway down: CRITICAL (2)" [ "$rc" -eq 2 ]
check "... naming it" contains "$out" "gateway sink is down"
kill -CONT $pid
kill $pid
wait $pid

# Mail cirm-mailgate stored two hours ago, not taken in (cirmd stopped).
printf 'From: a@exempel.se\n\nx\n' >"$I/mailgate/new/1.M1P1R1.mailgate"
touch -d '2 hours ago' "$I/mailgate/new/1.M1P1R1.mailgate"
run "$CIRMCTL" -c "$C" status --check
check "mail waiting in the mailgate's Maildir for 2 h: CRITICAL (2)" [ "$rc" -eq 2 ]
check "... saying so" contains "$out" "mailgate: the oldest has waited 120 min"
check "... counted in the performance data" contains "$out" " mailgate=1"
run "$CIRMCTL" -c "$C" status
check "... and shown among the queues" contains "$out" "mailgate    1 stored, not yet in the inbox"
rm "$I/mailgate/new/1.M1P1R1.mailgate"
# ... and mail delivered into the Maildir (maildir_dir/inbox/new), which
# cirmd --once leaves for the Maildir gateway: shown as waiting too.
printf 'From: a@exempel.se\n\nx\n' >"$I/maildir/inbox/new/2.M1P1R1.test"
run "$CIRMCTL" -c "$C" status
check "mail in the Maildir's new/ is shown among the queues" \
	contains "$out" "maildir     1 delivered, not yet in the inbox"
rm "$I/maildir/inbox/new/2.M1P1R1.test"
# SMS smsd received into the smstools spool that nobody took in, and SMS
# written for smsd that it never sent (smsd stopped, its modem gone):
# the outbox no longer has them, so only the spool shows them.
mkdir -p "$I/sms/incoming" "$I/sms/outgoing" "$I/sms/checked"
printf 'From: 46701234567\n\nHej\n' >"$I/sms/incoming/GSM1.abc"
printf 'x' >"$I/sms/incoming/GSM1.abc.LOCK"
printf 'To: 46701234567\n\nHej\n' >"$I/sms/outgoing/cirm-7-1700000000"
printf 'To: 46701234567\n\nHej\n' >"$I/sms/checked/cirm-8-1700000000"
printf 'To: 46701234567\n\nHej\n' >"$I/sms/outgoing/other-program"
touch -d '30 minutes ago' "$I/sms/incoming/GSM1.abc"
touch -d '2 hours ago' "$I/sms/outgoing/cirm-7-1700000000"
run "$CIRMCTL" -c "$C" status
check "an SMS in smsd's incoming/ is shown among the queues" \
	contains "$out" "sms in      1 received by smsd, not yet in the inbox"
check "... and SMS written for smsd that it has not sent" \
	contains "$out" "sms out     2 written for smsd, not yet sent by it"
run "$CIRMCTL" -c "$C" status --check
check "an SMS smsd has not sent for 2 h: CRITICAL (2)" [ "$rc" -eq 2 ]
check "... saying so" contains "$out" \
	"sms outgoing (not sent by smsd: does smsd run?): the oldest has waited 120 min"
check "... and the SMS not taken in for 30 min" contains "$out" \
	"sms incoming (smsd's spool): the oldest has waited 30 min"
check "... counted in the performance data" contains "$out" " sms_in=1 sms_out=2"
rm -f "$I/sms/incoming/GSM1.abc" "$I/sms/incoming/GSM1.abc.LOCK" \
	"$I/sms/outgoing/cirm-7-1700000000" "$I/sms/checked/cirm-8-1700000000" \
	"$I/sms/outgoing/other-program"

# Bad input.
run "$CIRMCTL" -c "$C" status --warning 5
check "--warning without --check: a usage error" [ "$rc" -eq 64 ]
# A monitoring check called wrongly: UNKNOWN (3), as plugins say it, in
# its one line (64 would read as "out of bounds" to Nagios)
run "$CIRMCTL" -c "$C" status --check --warning 0
check "--check --warning 0: UNKNOWN (3)" [ "$rc" -eq 3 ]
check "... its line saying what it takes" [ "$out" = \
	"CIRM UNKNOWN - --warning must be a number of minutes from 1 to 10080, not '0'" ]
run "$CIRMCTL" -c "$C" status --warning 90 --check
check "--warning above --critical, --check after it: UNKNOWN (3)" [ "$rc" -eq 3 ]
check "... saying so" contains "$out" "CIRM UNKNOWN - --warning (90) must not be above --critical (60)"
run "$CIRMCTL" -c "$C" status -k --warning 0
check "-k, the short --check, called wrongly: UNKNOWN (3) too" [ "$rc" -eq 3 ]
check "... in its line" contains "$out" "CIRM UNKNOWN - --warning must be a number"
run "$CIRMCTL" -c "$C" status --chec --warning 0
check "--check cut short, as getopt takes it: UNKNOWN (3) too" [ "$rc" -eq 3 ]
run "$CIRMCTL" -c "$C" status --check extra
check "--check with an extra argument: UNKNOWN (3)" [ "$rc" -eq 3 ]
check "... its line naming the word" contains "$out" \
	"CIRM UNKNOWN - unexpected argument 'extra'; usage: cirmctl status"
printf 'no_such_setting = 1\n' >>"$C"
run "$CIRMCTL" -c "$C" status --check
check "a broken configuration: UNKNOWN (3)" [ "$rc" -eq 3 ]
# The monitoring system shows the line alone: it names the problem.
check "... saying which" contains "$out" "CIRM UNKNOWN - the configuration cannot be used: $C:$(wc -l <"$C"): unknown setting 'no_such_setting'"
printf 'log_level = verbose\n' >>"$C"
run "$CIRMCTL" -c "$C" status --check
check "... and how many more there are" contains "$out" "unknown setting 'no_such_setting' (and 1 more)"
run "$CIRMCTL" -c "$T/no-such.conf" status --check
check "a configuration file that cannot be read: UNKNOWN (3)" [ "$rc" -eq 3 ]
check "... saying why, on its one line" [ "$out" = "CIRM UNKNOWN - the configuration cannot be used: $T/no-such.conf: cannot read: No such file or directory" ]

# A database the configuration names and that is not there (cirm.conf
# copied to a new machine before the restore, or a mistyped path): the
# line says so, and what to do, not only that it cannot be opened.
{ grep -v '^no_such_setting\|^log_level = verbose' "$C"; printf 'database = %s\n' "$T/no-such.db"; } >"$T/nodb.conf"
run "$CIRMCTL" -c "$T/nodb.conf" status --check
check "no database: UNKNOWN (3)" [ "$rc" -eq 3 ]
check "... saying why, on its one line" contains "$out" \
	"CIRM UNKNOWN - the database cannot be opened: $T/no-such.db: there is no database: is 'database' in $T/nodb.conf right?"
check "... and that a backup is put in place with restore" contains "$out" \
	"on a new machine 'cirmctl restore --yes BACKUP' puts a backup in place"

done_testing
