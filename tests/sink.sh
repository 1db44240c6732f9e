#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The mail sink (smtp_host = none): each outbox mail becomes a file in
# the Maildir maildir_dir/outbound/<recipient>/new, well formed and
# decoding to the row's text; a row that cannot be mail fails with its
# reason; after kill -9 a restart writes each mail exactly once.
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE=
unset CIRM_CONF
CIRM_GATEWAY=$top_builddir/cirm-gateway

for c in sqlite3 python3; do
	command -v $c >/dev/null || skip_all "$c not installed (apt-get install $c)"
done

I=$T/inst
DB=$I/cirm.db
"$CIRMCTL" init "$I" >/dev/null || exit 99
OUT=$I/maildir/outbound
gwpid=
trap '[ -n "$gwpid" ] && kill -9 "$gwpid" 2>/dev/null; rm -rf "$T"' EXIT

sql() {
	sqlite3 -cmd '.timeout 5000' "$DB" "$1"
}
queue() { # N PREFIX
	sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
	  WHERE i < $1) INSERT INTO outbox (channel, recipient, rfc_message_id,
	  subject, headers, body, created_at) SELECT 'email',
	  '$2' || i || '@exempel.se',
	  CASE WHEN i % 2 = 0 THEN '$2.' || i || '@kommun.example' END,
	  'Ärende KS-2026-' || printf('%05d', i) || ': gatlyktan på Storgatan',
	  'From: Växjö kommun <arende@kommun.example>' || char(10) ||
	  'Auto-Submitted: auto-generated' || char(10),
	  'Hej!' || char(10) || 'Ärendet gäller gatlyktan på Storgatan 12.' || char(10) ||
	  'From the start of a line.' || char(10) || '.' || char(10) ||
	  'trailing space ' || char(10),
	  strftime('%s', 'now') FROM n"
}
files() {
	find "$OUT" -path '*/new/*' -type f 2>/dev/null | wc -l | tr -d ' '
}

cat >"$T/inspect.py" <<'EOF'
import email, email.policy, os, sys
root, most = sys.argv[1], int(sys.argv[2])
rows = {}
for rec in sys.stdin.read().split("\x1e"):
    if rec.strip():
        rcpt, mid, subject, body = rec.lstrip("\n").split("\x1f")
        rows[rcpt] = (mid, subject, body)
for rcpt, (mid, subject, body) in rows.items():
    d = os.path.join(root, rcpt)
    for sub in ("tmp", "new", "cur"):
        if not os.path.isdir(os.path.join(d, sub)):
            print("%s: no %s/" % (rcpt, sub))
    names = os.listdir(os.path.join(d, "new")) if os.path.isdir(d) else []
    if len(names) < 1 or len(names) > most:
        print("%s: %d files" % (rcpt, len(names)))
    for n in names:
        raw = open(os.path.join(d, "new", n), "rb").read()
        if b"\r" in raw:
            print("%s: CR in a Maildir file" % n)
        m = email.message_from_bytes(raw, policy=email.policy.default)
        if m["Message-ID"] != "<%s>" % mid or str(m["Subject"]) != subject \
           or m.get_content() != body or str(m["To"]).strip("<>") != rcpt:
            print("%s: not the row's mail" % n)
EOF
rows() {
	sql "SELECT recipient || char(31) || rfc_message_id || char(31) || subject || char(31) || body || char(30) FROM outbox_mail WHERE status = 'sent'"
}

queue 20 sink
sql "INSERT INTO outbox (channel, recipient, subject, headers, body, created_at) VALUES ('email', '../etc@exempel.se', 'x', 'From: <arende@kommun.example>', 'x', 0), ('email', 'not an address', 'x', 'From: <arende@kommun.example>', 'x', 0), ('sms', '+46701234567', NULL, NULL, 'sms', 0)"
run "$CIRM_GATEWAY" -c "$I/cirm.conf" --once sink
check "sink: exit 0" [ "$rc" -eq 0 ]
check "sink: 20 mails written" [ "$(files)" -eq 20 ]
check "sink: 20 rows sent, each with a Message-ID" [ \
	"$(sql "SELECT count(*) FROM outbox WHERE status = 'sent' AND rfc_message_id IS NOT NULL")" -eq 20 ]
problems=$(rows | python3 "$T/inspect.py" "$OUT" 1 2>&1)
check "sink: real Maildirs, each mail the row's, decoding exactly" [ -z "$problems" ]
[ -z "$problems" ] || printf '%s\n' "$problems" | head -5 | sed 's/^/# /'
check "sink: a recipient that would leave the directory fails" [ \
	"$(sql "SELECT status, last_error FROM outbox WHERE recipient = '../etc@exempel.se'")" = \
	"failed|the recipient cannot name a Maildir" ]
check "sink: a bad address fails with its reason" [ \
	"$(sql "SELECT status, last_error FROM outbox WHERE recipient = 'not an address'")" = \
	"failed|the recipient is not a usable mail address" ]
check "sink: the failures wait for the engine" [ \
	"$(sql "SELECT count(*) FROM outbox WHERE status = 'failed' AND failure_handled = 0")" -eq 2 ]
check "sink: SMS rows are not its business" [ \
	"$(sql "SELECT status FROM outbox WHERE channel = 'sms'")" = queued ]
check "sink: nothing escaped the outbound directory" [ ! -e "$I/maildir/etc@exempel.se" ]
check "sink: the log names no recipient" [ -z "$(printf '%s' "$err" | grep 'sink[0-9]*@')" ]
run "$CIRM_GATEWAY" -c "$I/cirm.conf" --once sink
check "sink again: nothing written twice" [ "$(files)" -eq 20 ]

# --- a citizen at an IDN domain: mail to its ASCII form ---------------
sql "INSERT INTO outbox (channel, recipient, subject, headers, body, created_at) VALUES ('email', 'olle@räksmörgås.se', 'Svar', 'From: <arende@kommun.example>', 'Hej', strftime('%s', 'now'))"
run "$CIRM_GATEWAY" -c "$I/cirm.conf" --once sink
check "an IDN domain: sent" [ \
	"$(sql "SELECT status FROM outbox WHERE recipient = 'olle@räksmörgås.se'")" = sent ]
check "... to its ASCII form" grep -q '^To: <olle@xn--rksmrgs-5wao1o.se>' \
	"$OUT"/olle@xn--rksmrgs-5wao1o.se/new/*

# --- a Maildir taken away is made again -------------------------------
# (the sink makes a recipient's Maildir only when writing into it fails)
rm -rf "$OUT/sink1@exempel.se/new" "$OUT/sink2@exempel.se"
queue 2 sink
run "$CIRM_GATEWAY" -c "$I/cirm.conf" --once sink
check "a Maildir taken away: exit 0" [ "$rc" -eq 0 ]
check "a Maildir whose new/ was removed gets it back, with the mail" [ \
	"$(find "$OUT/sink1@exempel.se/new" -type f | wc -l)" -eq 1 ]
check_all "a removed Maildir is made again, with the mail" <<-'EOF'
	[ \
	"$(find "$OUT/sink2@exempel.se/new" -type f | wc -l)" -eq 1 ] && \
	[ -d "$OUT/sink2@exempel.se/cur" ] && [ -d "$OUT/sink2@exempel.se/tmp" ]
EOF
leftover=$(find "$OUT" -path "$OUT/*/tmp/*" -type f)
check "nothing left in tmp/" [ -z "$leftover" ]
[ -z "$leftover" ] || printf '# %s\n' $leftover | head -5

# --- kill -9 while writing ---------------------------------------------
sql "DELETE FROM outbox"
rm -rf "$OUT"
queue 3000 crash
echo "smtp_batch = 50" >>"$I/cirm.conf"
kill_gateway_when_sent sink 300
# The sink records a batch at a time, after writing it (its files are
# named by their rows, so writing one again replaces it): with the write
# lock free at once, at most one batch was written and not recorded,
# and the restart writes those again, each exactly once.
recorded=$(sql "SELECT count(*) FROM outbox WHERE status = 'sent'")
written=$(files)
echo "# kill -9: $written files written, $recorded rows recorded as sent"
check "kill -9: at most one batch was in flight" \
	[ $((written - recorded)) -ge 0 -a $((written - recorded)) -le 50 ]
check "kill -9: no row was left claimed" \
	[ "$(sql "SELECT count(*) FROM outbox WHERE status = 'sending'")" -eq 0 ]
# A file written and not yet recorded carries the Message-ID its row
# has, so the restart writes the same mail again.
cat >"$T/ids.py" <<'EOF'
import email, os, sys
rows = dict(l.split("|", 1) for l in sys.stdin.read().split())
for rcpt in os.listdir(sys.argv[1]):
    d = os.path.join(sys.argv[1], rcpt, "new")
    # (a kill while the sink made the Maildir can leave it without new/)
    for n in os.listdir(d) if os.path.isdir(d) else []:
        m = email.message_from_bytes(open(os.path.join(d, n), "rb").read())
        if "<%s>" % rows.get(rcpt, "") != m["Message-ID"]:
            print("%s: %s, the row has %s" % (n, m["Message-ID"], rows.get(rcpt)))
EOF
problems=$(sql "SELECT recipient || '|' || coalesce(rfc_message_id, '') FROM outbox" |
	python3 "$T/ids.py" "$OUT" 2>&1)
check "kill -9: each file written carries its row's Message-ID" [ -z "$problems" ]
[ -z "$problems" ] || printf '%s\n' "$problems" | head -5 | sed 's/^/# /'
run "$CIRM_GATEWAY" -c "$I/cirm.conf" --once sink
check "restart: all 3000 sent" [ "$(sql "SELECT count(*) FROM outbox WHERE status = 'sent'")" -eq 3000 ]
check "restart: each mail written exactly once" [ "$(files)" -eq 3000 ]
problems=$(rows | python3 "$T/inspect.py" "$OUT" 1 2>&1)
check "restart: every file the row's mail" [ -z "$problems" ]
[ -z "$problems" ] || printf '%s\n' "$problems" | head -5 | sed 's/^/# /'

# locked_sink PREFIX CHECK: 30 rows to send, each with a Message-ID;
# another holds the write lock (CHECK says so); the sink is started
# (gwpid) with batches of 10 and has written what it could.
locked_sink() {
	sql "DELETE FROM outbox"
	rm -rf "$OUT"
	queue 30 "$1"
	sql "UPDATE outbox SET rfc_message_id = '$1.' || id || '@kommun.example'
	  WHERE rfc_message_id IS NULL"
	sed 's/^smtp_batch = .*/smtp_batch = 10/' "$I/cirm.conf" >"$I/busy.conf"
	check "$2" hold_write_lock "$DB"
	"$CIRM_GATEWAY" -c "$I/busy.conf" --once sink 2>"$T/$1.log" &
	gwpid=$!
	i=0
	while [ "$(files)" -lt 30 ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# --- the write lock busy ------------------------------------------------
# While another holds the write lock (the engine, in a batch), the sink
# does not wait for it to record a batch: it writes the next ones, and
# records them all once the lock is free.
locked_sink busy "write lock busy: another holds it"
check "write lock busy: the sink goes on writing all three batches" \
	[ "$(files)" -eq 30 ]
check "... recording none of them meanwhile" \
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM outbox WHERE status = 'sent'")" -eq 0 ]
release_write_lock
wait "$gwpid"
rc=$?
gwpid=
check "... then records them all as sent" [ "$rc" -eq 0 -a \
	"$(sql "SELECT count(*) FROM outbox WHERE status = 'sent'")" -eq 30 ]
check "... each written once" [ "$(files)" -eq 30 ]

# --- killed before it recorded, and read meanwhile ------------------------
# A batch written and not recorded is written again by the next run; a
# copy a mail client has moved to cur/ since (read) is not written
# again, or the reader would see the mail twice.
locked_sink read "killed unrecorded: another holds the write lock"
kill -9 "$gwpid"
wait "$gwpid" 2>/dev/null
gwpid=
release_write_lock
check "killed unrecorded: 30 written, none recorded" [ "$(files)" -eq 30 -a \
	"$(sql "SELECT count(*) FROM outbox WHERE status = 'sent'")" -eq 0 ]
# a mail client reads the first ten
for f in $(find "$OUT" -path '*/new/*' -type f | sort | head -10); do
	mv "$f" "$(dirname "$(dirname "$f")")/cur/$(basename "$f"):2,S"
done
run "$CIRM_GATEWAY" -c "$I/busy.conf" --once sink
check "restart: all 30 recorded as sent" [ "$rc" -eq 0 -a \
	"$(sql "SELECT count(*) FROM outbox WHERE status = 'sent'")" -eq 30 ]
check "... the ten read not written again" [ "$(files)" -eq 20 -a \
	"$(find "$OUT" -path '*/cur/*' -type f | wc -l | tr -d ' ')" -eq 10 ]

done_testing
