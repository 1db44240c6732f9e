#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The SMTP gateway against a real Postfix that this script starts on
# loopback (own configuration, queue and log under $T), with STARTTLS and
# implicit TLS from a test CA and SASL AUTH through a Dovecot auth
# socket, also started here. What Postfix receives goes to files the
# test reads: each mail arrives once and well formed, many mails share
# one connection, a 4xx is retried and then delivered, a 5xx fails the
# row with the server's reason (also as the answer to DATA, from a port
# without CHUNKING, where behind a refused recipient the reason stays
# the recipient's), but not one refusing cirm's sender (the mail waits
# and the log names mail_address), nor one that will not relay for cirm
# or wants a login it has not set (the mail waits, the log names
# smtp_user and cirmctl status tells), a connection dropped
# mid-batch counts no attempt on the mail behind the one in hand, a
# certificate from an unknown CA is refused before any mail, and after
# kill -9 every mail arrives exactly once but for at most one a
# connection (smtp_connections, 2 by default), which keeps its
# Message-ID.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/postfix-lib.sh"
export LC_ALL=C LANGUAGE=
unset CIRM_CONF MAIL_CONFIG
CIRM_GATEWAY=$top_builddir/cirm-gateway

command -v dovecot >/dev/null && [ -x /usr/lib/dovecot/auth ] ||
	skip_all "dovecot not installed (apt-get install dovecot-core)"
for c in sqlite3 python3 openssl; do
	command -v $c >/dev/null || skip_all "$c not installed (apt-get install $c)"
done
getent passwd dovecot >/dev/null && getent passwd dovenull >/dev/null ||
	skip_all "users dovecot and dovenull missing (apt-get install dovecot-core)"

OUT=$T/out
chmod 711 "$T"

# --- certificates ----------------------------------------------------
{ make_ca ca && make_ca otherca &&
  make_cert good ca "DNS:localhost,IP:127.0.0.1" &&
  make_cert untrusted otherca "DNS:localhost,IP:127.0.0.1"; } || {
	echo "Bail out! cannot make certificates: $(cat "$T/openssl.log")"
	exit 99
}
chmod 644 "$T"/*.pem "$T"/*.key

PORT=$(free_port) && TLSPORT=$(free_port) && BADPORT=$(free_port) &&
	SLOWPORT=$(free_port) && SENDERPORT=$(free_port) &&
	EARLYPORT=$(free_port) && SENDASPORT=$(free_port) &&
	DROPPORT=$(free_port) && RELAYPORT=$(free_port) &&
	TLSFIRSTPORT=$(free_port) && DATAPORT=$(free_port) &&
	PLAINPORT=$(free_port) || exit 99

# --- Dovecot: only its auth service, for Postfix's SASL ---------------
DV=$T/dovecot
mkdir -p "$DV"
printf 'cirm:{PLAIN}s3cret::::::\n' >"$DV/users"
cat >"$DV/dovecot.conf" <<EOF
base_dir = $DV/run
state_dir = $DV/state
log_path = $DV/dovecot.log
protocols =
listen = 127.0.0.1
default_internal_user = dovecot
default_login_user = dovenull
auth_mechanisms = plain login
auth_failure_delay = 0
disable_plaintext_auth = no
ssl = no
passdb {
  driver = passwd-file
  args = scheme=PLAIN $DV/users
}
userdb {
  driver = static
  args = uid=nobody gid=$PIPE_GROUP home=/nonexistent
}
service auth {
  unix_listener $T/auth {
    mode = 0666
  }
}
service anvil {
  chroot =
}
EOF
dovecot -F -c "$DV/dovecot.conf" >"$DV/stdout" 2>&1 &
dpid=$!

# --- Postfix ---------------------------------------------------------
"$CIRMCTL" init "$I" >/dev/null || exit 99
mkdir "$PF" "$T/queue" "$T/data" "$OUT" || exit 99
chown "$PIPE_USER:$PIPE_GROUP" "$OUT" && chown postfix "$T/data" || exit 99
: >"$PF/access"
: >"$PF/senders"
: >"$PF/sendas"
: >"$PF/data"
: >"$PF/datasender"
: >"$PF/relayrcpt"
postfix_main_cf >"$PF/main.cf"
# Long queue ids are never reused: the pipe below names each delivered
# file by its queue id, and a reused short id overwrote an earlier file
# in the kill -9 run.
cat >>"$PF/main.cf" <<EOF
enable_long_queue_ids = yes
mydestination =
mynetworks =
relay_domains = exempel.se
smtpd_tls_cert_file = $T/good.pem
smtpd_tls_key_file = $T/good.key
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = $T/auth
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions = check_recipient_access texthash:$PF/access
EOF
# exempel.org is no relay domain: Postfix relays to it only for a
# client it relays for (the port for the relay refusal below).
printf '%s\n' "exempel.se out:" "exempel.org out:" >"$PF/transport"
# On the main port one connection per smtpd process (max_use=1): each
# connection reads the access map as the test last wrote it; a reload
# alone races with an idle smtpd still holding the old one.
cat >"$PF/master.cf" <<EOF
127.0.0.1:$PORT inet n - n - - smtpd
  -o max_use=1
127.0.0.1:$TLSPORT inet n - n - - smtpd
  -o smtpd_tls_wrappermode=yes
127.0.0.1:$BADPORT inet n - n - - smtpd
  -o smtpd_tls_cert_file=$T/untrusted.pem
  -o smtpd_tls_key_file=$T/untrusted.key
127.0.0.1:$SLOWPORT inet n - n - - smtpd
  -o { smtpd_recipient_restrictions = sleep 1, check_recipient_access texthash:$PF/access }
127.0.0.1:$SENDERPORT inet n - n - - smtpd
  -o max_use=1
  -o smtpd_sender_login_maps=texthash:$PF/senders
  -o smtpd_sender_restrictions=reject_sender_login_mismatch
127.0.0.1:$EARLYPORT inet n - n - - smtpd
  -o max_use=1
  -o smtpd_delay_reject=no
  -o smtpd_sender_login_maps=texthash:$PF/senders
  -o smtpd_sender_restrictions=reject_sender_login_mismatch
127.0.0.1:$SENDASPORT inet n - n - - smtpd
  -o max_use=1
  -o { smtpd_end_of_data_restrictions = check_sender_access texthash:$PF/sendas }
127.0.0.1:$DROPPORT inet n - n - - smtpd
  -o max_use=1
  -o smtpd_hard_error_limit=1
127.0.0.1:$RELAYPORT inet n - n - - smtpd
  -o max_use=1
  -o mynetworks=192.0.2.0/24
  -o smtpd_relay_restrictions=permit_mynetworks,permit_sasl_authenticated,reject_unauth_destination
127.0.0.1:$TLSFIRSTPORT inet n - n - - smtpd
  -o max_use=1
  -o smtpd_tls_security_level=encrypt
127.0.0.1:$DATAPORT inet n - n - - smtpd
  -o max_use=1
  -o smtpd_discard_ehlo_keywords=chunking
  -o { smtpd_data_restrictions = check_sender_access texthash:$PF/datasender, check_recipient_access texthash:$PF/data }
127.0.0.1:$PLAINPORT inet n - n - - smtpd
  -o max_use=1
  -o smtpd_discard_ehlo_keywords=enhancedstatuscodes
  -o mynetworks=192.0.2.0/24
  -o smtpd_relay_restrictions=permit_mynetworks,permit_sasl_authenticated,reject_unauth_destination
  -o relay_recipient_maps=texthash:$PF/relayrcpt
EOF
postfix_services >>"$PF/master.cf"
cat >>"$PF/master.cf" <<EOF
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
out       unix  -       n       n       -       -       pipe
  flags=R user=$PIPE_USER argv=/usr/bin/tee $OUT/\${queue_id}
EOF

gwpid=
trap '[ -n "$gwpid" ] && kill -9 "$gwpid" 2>/dev/null; stop_postfix
	kill "$dpid" 2>/dev/null; wait "$dpid" 2>/dev/null; rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM

wait_until() { # COMMAND TENTHS
	i=0
	until eval "$1"; do
		i=$((i + 1))
		[ $i -gt "$2" ] && return 1
		sleep 0.1
	done
}
delivered() { # files Postfix delivered
	find "$OUT" -type f | wc -l | tr -d ' '
}
connects() {
	grep -c "postfix/smtpd\[[0-9]*\]: connect from" "$LOG" 2>/dev/null
}
# queue N RECIPIENT-PREFIX [DOMAIN]: N outbox rows to PREFIXi@DOMAIN
# (exempel.se), some with a Message-ID.
queue() {
	sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
	  WHERE i < $1) INSERT INTO outbox (channel, recipient, rfc_message_id,
	  subject, headers, body, created_at) SELECT 'email',
	  '$2' || i || '@${3:-exempel.se}',
	  CASE WHEN i % 2 = 0 THEN '$2.' || i || '@kommun.example' END,
	  'Ärende KS-2026-' || printf('%05d', i) || ': gatlyktan på Storgatan',
	  'From: Växjö kommun <arende@kommun.example>' || char(10) ||
	  'Reply-To: arende+KS-2026-' || printf('%05d', i) || '.ab12@kommun.example' || char(10) ||
	  'Auto-Submitted: auto-replied' || char(10) ||
	  'In-Reply-To: <orig.' || i || '@mail.exempel.se>' || char(10) ||
	  'References: <orig.' || i || '@mail.exempel.se>' || char(10),
	  'Hej!' || char(10) || char(10) || 'Vi har tagit emot ditt ärende om gatlyktan på Storgatan 12, som är trasig sedan en vecka. En handläggare återkommer.' || char(10) ||
	  'From the start of a line.' || char(10) || '.' || char(10) ||
	  'trailing space ' || char(10) || char(10) || 'Med vänlig hälsning' || char(10) || 'Kommunen' || char(10),
	  strftime('%s', 'now') FROM n"
}

conf() { # NAME SETTING... (smtp_user = cirm unless one is given)
	name=$1
	shift
	case "$*" in
	*"smtp_user ="*) user= ;;
	*) user="smtp_user = cirm" ;;
	esac
	{
		cat "$C"
		printf '%s\n' "smtp_host = 127.0.0.1" ${user:+"$user"} \
			"smtp_ca_file = $T/ca.pem" "smtp_retry_delay = 1" "$@"
	} >"$I/$name.conf"
}
printf 's3cret\n' >"$I/smtp.password"
chmod 600 "$I/smtp.password"
conf starttls "smtp_port = $PORT"
conf implicit "smtp_port = $TLSPORT" "smtp_tls = implicit"
conf badca "smtp_port = $BADPORT"
conf slow "smtp_port = $SLOWPORT"
conf nologin "smtp_port = $PORT" "smtp_user = none"
conf wrongpw "smtp_port = $PORT" "smtp_password_file = wrong.password"
conf starttls465 "smtp_port = $TLSPORT"
conf nopw "smtp_port = $PORT" "smtp_password_file = none.password"
conf implicit587 "smtp_port = $PORT" "smtp_tls = implicit"
conf sender "smtp_port = $SENDERPORT" "smtp_connections = 1"
conf early "smtp_port = $EARLYPORT" "smtp_connections = 1"
conf sendas "smtp_port = $SENDASPORT" "smtp_connections = 1"
conf drop "smtp_port = $DROPPORT" "smtp_connections = 1"
conf relay "smtp_port = $RELAYPORT" "smtp_user = none" "smtp_connections = 1"
conf relaylogin "smtp_port = $RELAYPORT" "smtp_connections = 1"
conf tlsfirst "smtp_port = $TLSFIRSTPORT" "smtp_user = none" \
	"smtp_tls = none" "smtp_connections = 1"
conf data "smtp_port = $DATAPORT" "smtp_connections = 1"
conf plainrelay "smtp_port = $PLAINPORT" "smtp_user = none" "smtp_connections = 1"
conf plainlogin "smtp_port = $PLAINPORT" "smtp_connections = 1"
printf 'wrong\n' >"$I/wrong.password"
chmod 600 "$I/wrong.password"

# Waits until smtpd (on PORT, by default the main one) offers AUTH
# after STARTTLS: Postfix asks Dovecot for the mechanisms when a client
# says EHLO, and offers none until it can.
auth_ready() { # [PORT]
	wait_until "python3 -c 'import smtplib, ssl, sys
s = smtplib.SMTP(\"127.0.0.1\", ${1:-$PORT}, timeout=5)
s.starttls(context=ssl._create_unverified_context())
s.ehlo()
sys.exit(0 if s.has_extn(\"auth\") else 1)' 2>/dev/null" 100
}

# The maps the test wrote are read by each new smtpd (max_use=1); a
# reload makes an idle one that read them before go.
maps_changed() { # [PORT]
	postfix -c "$PF" reload >/dev/null 2>&1
	sleep 1
	auth_ready "$@"
}

gateway() { # CONF
	run "$CIRM_GATEWAY" -c "$I/$1.conf" --once smtp
}

i=0
until [ -S "$T/auth" ] || [ $i -gt 100 ]; do i=$((i + 1)); sleep 0.1; done
check "dovecot's auth socket is up" [ -S "$T/auth" ]
run postfix -c "$PF" check
check "postfix check accepts the configuration" [ "$rc" -eq 0 ]
[ -z "$out$err" ] || printf '%s\n%s\n' "$out" "$err" | sed 's/^/# /'

# --- no TLS only on loopback: an address, not a name like one -------
{ cat "$C"; printf '%s\n' "smtp_host = 127.mail.example.invalid" \
	"smtp_port = $PORT" "smtp_tls = none"; } >"$I/plainname.conf"
run "$CIRM_GATEWAY" -c "$I/plainname.conf" --once smtp
check "no TLS to a host named 127.*: refused, as a configuration error" \
	[ "$rc" -eq 78 ]
check "... as a server that is not on this machine, with the line" contains "$err" \
	"plainname.conf:$(grep -c '' "$I/plainname.conf"): smtp_tls = none would send passwords and mail unencrypted to 127.mail.example.invalid"

# --- a host name that does not resolve: said so ----------------------
{ cat "$C"; printf '%s\n' "smtp_host = nosuch.invalid" "smtp_port = $PORT" \
	"smtp_ca_file = $T/ca.pem"; } >"$I/nosuch.conf"
queue 1 nosuch
run "$CIRM_GATEWAY" -c "$I/nosuch.conf" --once smtp
case $err in
*"cannot connect: Success"*) said= ;;
*"nosuch.invalid:$PORT: cannot connect: "?*) said=1 ;;
*) said= ;;
esac
check "a host that does not resolve: the log says why" [ -n "$said" ]
[ -n "$said" ] || printf '%s\n' "$err" | grep 'cannot connect' | sed 's/^/# /'
sql "DELETE FROM outbox"

# --- Postfix not running yet: a temporary failure, retried ------------
queue 1 early
gateway starttls
check "server down: the gateway reports the failure" [ "$rc" -ne 0 ]
check "server down: the row waits, one attempt counted, with the reason" [ \
	"$(sql "SELECT status, attempts, last_error LIKE 'SMTP session failed%' FROM outbox")" = "queued|1|1" ]
run postfix -c "$PF" start
[ "$rc" -eq 0 ] && started=1
check "postfix starts" [ "$rc" -eq 0 ]
wait_until "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $PORT), 1)' 2>/dev/null" 100
check "smtpd answers" [ $? -eq 0 ]
check "smtpd offers AUTH after STARTTLS" auth_ready
sleep 1.1
gateway starttls
check "server up: the retried mail is sent" [ "$(sql "SELECT status FROM outbox")" = sent ]
check "server up: Postfix delivered it" wait_until '[ "$(delivered)" -eq 1 ]' 100

# --- many mails over one connection, STARTTLS, AUTH -------------------
sql "DELETE FROM outbox"
rm -f "$OUT"/*
before=$(connects)
queue 200 many
gateway starttls
check "200 mails: the gateway succeeds" [ "$rc" -eq 0 ]
check "200 mails: all sent" [ "$(sql "SELECT count(*) FROM outbox WHERE status = 'sent'")" -eq 200 ]
check "200 mails: two SMTP connections (smtp_connections = 2)" [ $(($(connects) - before)) -eq 2 ]
check "200 mails: over TLS, authenticated" \
	grep -q "sasl_method=PLAIN, sasl_username=cirm" "$LOG"
check "200 mails: log says the certificate was verified" contains "$err" "certificate verified"
check "200 mails: all delivered" wait_until '[ "$(delivered)" -eq 200 ]' 200
check "the log names no recipient" [ -z "$(printf '%s' "$err" | grep -i 'exempel.se')" ]
check "every row kept or got a Message-ID" [ \
	"$(sql "SELECT count(*) FROM outbox WHERE rfc_message_id LIKE '%@kommun.example'")" -eq 200 ]

cat >"$T/inspect.py" <<'EOF'
# Checks every delivered mail; prints what is wrong, nothing when all
# is well. Argument: the directory, then "rows" lines on stdin:
# recipient|message-id|subject|body.
import email, email.policy, os, sys
rows = {}
for line in sys.stdin.read().split("\x1e"):
    if not line.strip():
        continue
    rcpt, mid, subject, body = line.lstrip("\n").split("\x1f")
    rows[rcpt] = (mid, subject, body)
seen = {}
for name in sorted(os.listdir(sys.argv[1])):
    raw = open(os.path.join(sys.argv[1], name), "rb").read()
    for l in raw.split(b"\n"):
        if len(l.rstrip(b"\r")) > 998:
            print("%s: a line over 998" % name)
    m = email.message_from_bytes(raw, policy=email.policy.default)
    rcpt = str(m["To"]).strip("<>")
    if rcpt not in rows:
        print("%s: unknown recipient" % name)
        continue
    seen[rcpt] = seen.get(rcpt, 0) + 1
    mid, subject, body = rows[rcpt]
    if m["Message-ID"] != "<%s>" % mid:
        print("%s: Message-ID %s, expected %s" % (name, m["Message-ID"], mid))
    if str(m["Subject"]) != subject:
        print("%s: Subject %r" % (name, str(m["Subject"])))
    if m.get_content_type() != "text/plain" or m.get_content_charset() != "utf-8":
        print("%s: content type %s" % (name, m.get_content_type()))
    if m["Content-Transfer-Encoding"] != "quoted-printable":
        print("%s: not quoted-printable" % name)
    if m.get_content() != body:
        print("%s: body %r" % (name, m.get_content()))
    if m["Auto-Submitted"] != "auto-replied" or not m["Date"] or not m["In-Reply-To"]:
        print("%s: headers missing" % name)
    if m["From"].addresses[0].display_name != "Växjö kommun":
        print("%s: From %s" % (name, m["From"]))
for rcpt, n in seen.items():
    if n > int(sys.argv[2]):
        print("%s: delivered %d times" % (rcpt, n))
if len(seen) != len(rows):
    print("%d of %d recipients got mail" % (len(seen), len(rows)))
EOF
rows() {
	sql "SELECT recipient || char(31) || rfc_message_id || char(31) || subject || char(31) || body || char(30) FROM outbox_mail"
}
problems=$(rows | python3 "$T/inspect.py" "$OUT" 1 2>&1)
check "200 mails: each arrived once, well formed, decoding to the row's text" [ -z "$problems" ]
[ -z "$problems" ] && : || printf '%s\n' "$problems" | head -5 | sed 's/^/# /'

# --- implicit TLS ------------------------------------------------------
sql "DELETE FROM outbox"
rm -f "$OUT"/*
queue 3 implicit
gateway implicit
check "implicit TLS: sent" [ "$(sql "SELECT count(*) FROM outbox WHERE status = 'sent'")" -eq 3 ]
check "implicit TLS: delivered" wait_until '[ "$(delivered)" -eq 3 ]' 100

# --- a certificate from an unknown CA: nothing sent, nothing logged in -
sql "DELETE FROM outbox"
rm -f "$OUT"/*
queue 2 badca
gateway badca
check "unknown CA: the gateway fails" [ "$rc" -ne 0 ]
check "unknown CA: the certificate is refused" contains "$err" "certificate refused"
check "unknown CA: the rows wait" [ "$(sql "SELECT count(*) FROM outbox WHERE status = 'queued' AND attempts = 1")" -eq 2 ]
check "unknown CA: no login on that connection" [ "$(grep -c 'sasl_username=cirm' "$LOG")" -eq "$(grep -c 'sasl_username=cirm' "$LOG")" ]
sleep 1
check "unknown CA: nothing delivered" [ "$(delivered)" -eq 0 ]
# a CA file that is not there: named, with the reason, not OpenSSL's
# "system lib"
sed "s|^smtp_ca_file = .*|smtp_ca_file = $T/nosuch-ca.pem|" "$I/starttls.conf" >"$I/noca.conf"
gateway noca
check "a missing CA file: the gateway fails" [ "$rc" -ne 0 ]
check "... naming the file and why" contains "$err" \
	"smtp_ca_file $T/nosuch-ca.pem: cannot read: No such file or directory"

# smtp_tls that does not fit the port, the most common slip: the log
# line names the setting to change, as for IMAP, and the mail waits.
sql "DELETE FROM outbox"
queue 1 starttls465
gateway starttls465
check "STARTTLS to a port for implicit TLS: within the greeting's 15 s, the log says what to set" contains "$err" \
	"127.0.0.1:$TLSPORT: no SMTP greeting in 15 s: if smtp_port is a port for implicit TLS (usually 465), set smtp_tls = implicit"
check "... and the mail waits" [ "$(sql "SELECT count(*) FROM outbox WHERE status = 'queued' AND attempts = 1")" -eq 1 ]
sql "DELETE FROM outbox"
queue 1 implicit587
gateway implicit587
check "implicit TLS to a plain port: the log says what to set" contains "$err" \
	"if smtp_port is a plain port (usually 587), set smtp_tls = starttls"
check "... and the mail waits" [ "$(sql "SELECT count(*) FROM outbox WHERE status = 'queued' AND attempts = 1")" -eq 1 ]
# smtp_user set, its password file not made yet: said, with what to do.
sql "DELETE FROM outbox"
queue 1 nopw
gateway nopw
check "no password file: the log says what to do" contains "$err" \
	"smtp_password_file: $I/none.password: No such file or directory (smtp_user is set: put its password in that file, mode 0600, or set smtp_user = none); the mail waits"
check "... and the mail waits" [ "$(sql "SELECT count(*) FROM outbox WHERE status = 'queued'")" -eq 1 ]
sleep 1
check "none of them delivered anything" [ "$(delivered)" -eq 0 ]

# --- 4xx, then success; 5xx, failed with the reason --------------------
sql "DELETE FROM outbox"
rm -f "$OUT"/*
queue 3 resp
printf 'resp1@exempel.se 450 4.2.0 try again later\nresp2@exempel.se REJECT no such citizen\n' >"$PF/access"
postfix -c "$PF" reload >/dev/null 2>&1
sleep 1
auth_ready
gateway starttls
row=$(sql "SELECT status, attempts, last_error FROM outbox WHERE recipient = 'resp1@exempel.se'")
# the server's 4xx answer; under load Postfix may give its own 4xx
# (a busy lookup) instead of the access map's: either is temporary
# queued, with the answer; a slow run (sanitizers) may already have
# retried it once its back-off passed, so attempts may exceed one
temporary() { case $1 in 'queued|'[1-9]*'|4'[0-9][0-9]' '*) return 0 ;; esac; return 1; }
check "4xx: the row waits with the server's answer" temporary "$row"
temporary "$row" || echo "# resp1: $row"
check "5xx: the row failed for good with the server's answer" [ \
	"$(sql "SELECT status, last_error LIKE '554 5.7.1 %no such citizen' FROM outbox WHERE recipient = 'resp2@exempel.se'")" = "failed|1" ]
check "5xx: the engine sees the failure" [ \
	"$(sql "SELECT count(*) FROM outbox WHERE status = 'failed' AND failure_handled = 0")" -eq 1 ]
check "the third is sent" [ "$(sql "SELECT status FROM outbox WHERE recipient = 'resp3@exempel.se'")" = sent ]
: >"$PF/access"
postfix -c "$PF" reload >/dev/null 2>&1
sleep 1.5
auth_ready
gateway starttls
check "4xx then 2xx: sent at the second attempt" [ \
	"$(sql "SELECT status FROM outbox WHERE recipient = 'resp1@exempel.se'")" = sent ]
check "5xx: not tried again" [ "$(sql "SELECT status FROM outbox WHERE recipient = 'resp2@exempel.se'")" = failed ]
check "4xx then 2xx: delivered once" wait_until '[ "$(grep -l "To: <resp1@exempel.se>" "$OUT"/* | wc -l)" -eq 1 ]' 100

# --- the server refuses cirm's sender: the mail waits --------------------
# The account smtp_user may not send as mail_address (Postfix's
# reject_sender_login_mismatch, at RCPT by default and at MAIL without
# smtpd_delay_reject; Exchange Online's 5.7.60 SendAsDenied after the
# data). Each mail would fail the same way: none fails, none counts an
# attempt, and the log names the settings, once a batch.
sql "DELETE FROM outbox"
rm -f "$OUT"/*
printf 'arende@kommun.example kansliet\n' >"$PF/senders"
printf 'arende@kommun.example 550 5.7.60 SMTP; Client does not have permissions to send as this sender\n' >"$PF/sendas"
maps_changed
# citizen_writes NAME ADDRESS ID: a citizen's mail opens a case, and
# cirmd queues its acknowledgement to ADDRESS.
citizen_writes() {
	sql "INSERT INTO inbox (channel, source, received_at, raw) VALUES ('email', 'test', strftime('%s','now'), CAST('From: $1 <$2>
To: arende@kommun.example
Subject: Trasig gatlykta
Message-ID: <lykta.$3@exempel.se>

Gatlyktan på Storgatan 12 lyser inte.' AS BLOB))"
	run "$CIRMD" -c "$C" --once
	check "a citizen's mail: a case, its acknowledgement queued" [ \
		"$(sql "SELECT count(*) FROM outbox WHERE recipient = '$2' AND case_id IS NOT NULL")" -eq 1 ]
}
citizen_writes 'Anna Andersson' anna@exempel.se 1
queue 2 sender
# refused CONF PORT WHAT ANSWER LOG: the server refuses every mail for
# a setting of cirm's: each waits, no attempt counted, with the answer
# (LIKE ANSWER), and the log says LOG (grep) once.
refused() {
	auth_ready "$2"
	gateway "$1"
	shift 2
	check "$1: the gateway reports it" [ "$rc" -ne 0 ]
	waiting=$(sql "SELECT count(*) FROM outbox WHERE status = 'queued' AND attempts = 0 AND last_error LIKE '$2'")
	check "$1: each mail waits, no attempt counted, with the server's answer" [ \
		"$waiting" -eq "$(sql "SELECT count(*) FROM outbox")" ]
	[ "$waiting" -eq "$(sql "SELECT count(*) FROM outbox")" ] ||
		sql "SELECT id, recipient, status, attempts, next_attempt_at - strftime('%s','now'), last_error FROM outbox" | sed 's/^/# /'
	check "$1: the log names the settings, once" [ \
		"$(printf '%s\n' "$err" | grep -c "$3")" -eq 1 ]
	printf '%s\n' "$err" | grep -q "$3" ||
		printf '%s\n' "$err" | tail -5 | sed 's/^/# /'
	sleep 1.1 # smtp_retry_delay
}
sender_log="the server refuses mail from arende@kommun.example (.*): check mail_address and that smtp_user may send as it; 3 messages wait until it is fixed"
refused sender "$SENDERPORT" "sender refused at RCPT" '553 5.7.1 %Sender address rejected: not owned by user cirm' "$sender_log"
refused early "$EARLYPORT" "sender refused at MAIL" '553 5.7.1 %Sender address rejected: not owned by user cirm' "$sender_log"
refused sendas "$SENDASPORT" "SendAsDenied after the data" '550 5.7.60 %' "$sender_log"
check "... and the log names no recipient" [ -z "$(printf '%s' "$err" | grep -i 'exempel.se')" ]
run "$CIRMD" -c "$C" --once
check "sender refused: no delivery failure on the case" [ \
	"$(sql "SELECT count(*) FROM event WHERE kind = 'delivery.failed'")" -eq 0 ]
sleep 1
check "sender refused: nothing delivered" [ "$(delivered)" -eq 0 ]
printf 'arende@kommun.example cirm\n' >"$PF/senders"
: >"$PF/sendas"
maps_changed "$SENDERPORT"
gateway sender
check "sender allowed: the mail goes out" [ \
	"$(sql "SELECT count(*) FROM outbox WHERE status = 'sent'")" -eq 3 ]
check "sender allowed: the acknowledgement is delivered" \
	wait_until '[ "$(grep -l "To: .*<anna@exempel.se>" "$OUT"/* 2>/dev/null | wc -l)" -eq 1 ]' 100

# --- the server drops the connection mid-batch --------------------------
# After one error too many (smtpd_hard_error_limit) Postfix answers 421
# and closes: the mail it refused fails, the ones behind it were never
# tried and wait with no attempt counted.
sql "DELETE FROM outbox"
rm -f "$OUT"/*
queue 5 drop
printf 'drop2@exempel.se 550 5.1.1 no such citizen\n' >"$PF/access"
maps_changed "$DROPPORT"
gateway drop
check "dropped mid-batch: the first is sent" [ \
	"$(sql "SELECT status FROM outbox WHERE recipient = 'drop1@exempel.se'")" = sent ]
check "dropped mid-batch: the recipient refused (5.1.1) failed, only it" [ \
	"$(sql "SELECT group_concat(recipient) FROM outbox WHERE status = 'failed'")" = drop2@exempel.se ]
# due again at once, they may have gone out over a new connection of
# the same run
untried=$(sql "SELECT count(*) FROM outbox WHERE recipient NOT IN ('drop1@exempel.se', 'drop2@exempel.se') AND status IN ('queued', 'sent') AND attempts = 0")
check "dropped mid-batch: the ones never tried count no attempt" [ "$untried" -eq 3 ]
[ "$untried" -eq 3 ] || sql "SELECT recipient, status, attempts, last_error FROM outbox" | sed 's/^/# /'
: >"$PF/access"
maps_changed "$DROPPORT"
gateway drop
check "dropped mid-batch: the rest go out" [ \
	"$(sql "SELECT count(*) FROM outbox WHERE status = 'sent'")" -eq 4 ]

# --- the server will not relay for cirm, or wants a login: the mail waits
# The municipality's relay relays only for a login or its own networks
# (Postfix's reject_unauth_destination: "554 5.7.1 Relay access
# denied"), or takes no mail before STARTTLS ("530 5.7.0 Must issue a
# STARTTLS command first"), and cirm has no smtp_user. Each mail would
# fail the same way: none fails, none counts an attempt, the log names
# smtp_user once a batch, and cirmctl status tells.
sql "DELETE FROM outbox"
rm -f "$OUT"/*
# With the login, relay1 (its address holds the word) and relay2 (a
# recipient unknown, 5.1.1, in the words of Postfix's
# relay_recipient_maps) fail as themselves. Three mails, as above: each
# refused one is four errors with CHUNKING (RCPT and three BDATs), and
# Postfix answers errors past ten (smtpd_soft_error_limit) a second late
# and hangs up at twenty (smtpd_hard_error_limit): see below.
printf '%s\n' 'relay1@exempel.org REJECT' \
	'relay2@exempel.org 550 5.1.1 User unknown in relay recipient table' >"$PF/access"
maps_changed "$RELAYPORT"
failed_before=$(sql "SELECT count(*) FROM event WHERE kind = 'delivery.failed'")
citizen_writes 'Bo Berg' bo@exempel.org 2
queue 2 relay exempel.org
refused relay "$RELAYPORT" "relay refused" '554 5.7.1 %Relay access denied' \
	"the server will not relay for cirm (554 5.7.1 .*: Relay access denied): set smtp_user and smtp_password_file to a login it relays for, or have it relay for this host (its mynetworks); 3 messages wait until it is fixed"
refused tlsfirst "$TLSFIRSTPORT" "530 without a login" '530 5.7.0 Must issue a STARTTLS command first' \
	"the server wants a login (530 5.7.0 Must issue a STARTTLS command first): set smtp_user and smtp_password_file (and smtp_tls = starttls, if it wants TLS first); 3 messages wait until it is fixed"
check "... and the log names no recipient" [ -z "$(printf '%s' "$err" | grep -i 'exempel.org')" ]
# cirmd runs the gateway: status says why no mail goes out
"$CIRMD" -c "$I/relay.conf" 2>"$T/cirmd.log" &
gwpid=$!
wait_until '"$CIRMCTL" -c "$C" status 2>/dev/null | grep -q "not working"' 150
run "$CIRMCTL" -c "$C" status
check "relay refused: cirmctl status tells, naming the settings" contains "$out" \
	"but not working since"
check "... with the reason" contains "$out" \
	": 127.0.0.1:$RELAYPORT: the server will not relay (smtp_user, smtp_password_file, or its mynetworks)"
kill -TERM "$gwpid"
wait "$gwpid"
gwpid=
check "relay refused: no delivery failure on the case after cirmd ran" [ \
	"$(sql "SELECT count(*) FROM event WHERE kind = 'delivery.failed'")" -eq "$failed_before" ]
check "... each mail still waits, no attempt counted" [ \
	"$(sql "SELECT count(*) FROM outbox WHERE status = 'queued' AND attempts = 0")" -eq 3 ]
sleep 1
check "relay refused: nothing delivered" [ "$(delivered)" -eq 0 ]
sleep 1.1 # smtp_retry_delay
auth_ready "$RELAYPORT"
gateway relaylogin
check "with the login: the mail goes out" [ \
	"$(sql "SELECT group_concat(recipient) FROM (SELECT recipient FROM outbox WHERE status = 'sent' ORDER BY recipient)")" = "bo@exempel.org" ]
check "... a recipient's own refusal fails that message only" [ \
	"$(sql "SELECT group_concat(recipient) FROM (SELECT recipient FROM outbox WHERE status = 'failed' ORDER BY recipient)")" = "relay1@exempel.org,relay2@exempel.org" ]
check "... the acknowledgement is delivered" \
	wait_until '[ "$(grep -l "To: .*<bo@exempel.org>" "$OUT"/* 2>/dev/null | wc -l)" -eq 1 ]' 100
: >"$PF/access"
maps_changed

# --- a relay that refuses every mail hangs up: the rest wait untried ----
# Four errors a mail (above): past ten Postfix answers each a second
# late, and at twenty it answers 421 and hangs up, some 15 s in. cirm
# waits for those answers (libESMTP once gave up after a second, its
# timeouts taken for milliseconds, and dropped the connection itself
# after two or three mails). The mail refused waits for the setting,
# the mail behind it was not tried: none fails, none counts an attempt.
sql "DELETE FROM outbox"
queue 8 hangup exempel.org
hangups=$(grep -c "too many errors after" "$LOG")
auth_ready "$RELAYPORT"
start=$(date +%s)
gateway relay
took=$(($(date +%s) - start))
# (postlogd writes the log in its own time)
check "relay refused, 8 mails: Postfix hangs up at its error limit, not cirm before it" \
	wait_until '[ "$(grep -c "too many errors after" "$LOG")" -gt "$hangups" ]' 50
[ "$(grep -c "too many errors after" "$LOG")" -gt "$hangups" ] ||
	grep "smtpd.*\(lost connection\|disconnect from\)" "$LOG" | tail -2 | sed 's/^/# /'
refused=$(sql "SELECT count(*) FROM outbox WHERE status = 'queued' AND attempts = 0 AND last_error LIKE '554 5.7.1 %Relay access denied'")
untried=$(sql "SELECT count(*) FROM outbox WHERE status = 'queued' AND attempts = 0 AND coalesce(last_error, '') = ''")
check_all "... those refused wait for the setting, the rest untried, none failed, no attempt counted ($refused + $untried)" <<-'EOF'
	[ "$refused" -gt 0 ] && [ "$untried" -gt 0 ]
	[ $((refused + untried)) -eq 8 ]
EOF
[ $((refused + untried)) -eq 8 ] ||
	sql "SELECT recipient, status, attempts, last_error FROM outbox" | sed 's/^/# /'
check "... the log names the settings, once" [ \
	"$(printf '%s\n' "$err" | grep -c "the server will not relay for cirm (554 5.7.1 .*: Relay access denied): set smtp_user and smtp_password_file .*; $refused messages wait until it is fixed")" -eq 1 ]
check "... within the server's error sleep ($took s)" [ "$took" -lt 40 ]

# --- the same without enhanced status codes: only the text tells -------
# A port that does not offer ENHANCEDSTATUSCODES: libESMTP then reads no
# x.y.z code (Postfix still writes it, in the text). A recipient unknown
# in relay_recipient_maps ("User unknown in relay recipient table", a
# domain Postfix relays to) is that message's own refusal and fails it,
# not a relay refused, which would leave it waiting for ever; a true
# "Relay access denied" still waits and names the settings.
sql "DELETE FROM outbox"
rm -f "$OUT"/*
printf 'dan@exempel.se OK\n' >"$PF/relayrcpt"
maps_changed "$PLAINPORT"
ehlo=$(python3 -c 'import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=5)
s.ehlo()
print("yes" if s.has_extn("enhancedstatuscodes") else "no")
s.quit()' "$PLAINPORT" 2>&1)
check "no enhanced codes: the port does not offer ENHANCEDSTATUSCODES" [ "$ehlo" = no ]
queue 3 plainrelay exempel.org
refused plainrelay "$PLAINPORT" "relay refused, no enhanced codes" '554 5.7.1 %Relay access denied' \
	"the server will not relay for cirm (554 5.7.1 .*: Relay access denied): set smtp_user and smtp_password_file to a login it relays for, or have it relay for this host (its mynetworks); 3 messages wait until it is fixed"
failed_before=$(sql "SELECT count(*) FROM event WHERE kind = 'delivery.failed'")
citizen_writes 'Dan Dahl' dan@exempel.se 4
queue 2 unlisted
auth_ready "$PLAINPORT"
gateway plainlogin
row=$(sql "SELECT group_concat(recipient || ' ' || (last_error LIKE '550 5.1.1 %User unknown in relay recipient table')) FROM (SELECT recipient, last_error FROM outbox WHERE status = 'failed' ORDER BY recipient)")
check "no enhanced codes: a recipient unknown in relay_recipient_maps fails, only it, with the answer" [ \
	"$row" = "unlisted1@exempel.se 1,unlisted2@exempel.se 1" ]
[ "$row" = "unlisted1@exempel.se 1,unlisted2@exempel.se 1" ] ||
	sql "SELECT recipient, status, attempts, last_error FROM outbox" | sed 's/^/# /'
check "... the rest go out with the login" [ \
	"$(sql "SELECT count(*) FROM outbox WHERE status = 'sent'")" -eq 4 ]
check "... and no server problem is reported" [ "$rc" -eq 0 ]
run "$CIRMD" -c "$C" --once
check "... no delivery failure on the citizen's case" [ \
	"$(sql "SELECT count(*) FROM event WHERE kind = 'delivery.failed'")" -eq "$failed_before" ]
check "... the acknowledgement is delivered" \
	wait_until '[ "$(grep -l "To: .*<dan@exempel.se>" "$OUT"/* 2>/dev/null | wc -l)" -eq 1 ]' 100
: >"$PF/relayrcpt"

# --- the server refuses DATA: as the answer says ------------------------
# Without CHUNKING (a port that does not offer it) the data goes after
# DATA, which Postfix answers from its smtpd_data_restrictions. A 5xx
# there, after the recipient was accepted, fails the message with the
# answer; a 4xx puts it back, one attempt counted; a refusal of cirm's
# sender there makes the mail wait, as at MAIL or RCPT. Behind a
# recipient refused at RCPT, Postfix answers the pipelined DATA with
# "554 5.5.1 Error: no valid recipients": the recipient's answer stays
# the reason, and a temporary one keeps the message queued.
sql "DELETE FROM outbox"
rm -f "$OUT"/*
printf '%s\n' 'cecilia@exempel.se 554 5.7.1 not accepted by policy' \
	'data1@exempel.se 451 4.3.0 try again later' >"$PF/data"
printf '%s\n' 'data2@exempel.se 550 5.1.1 no such citizen' \
	'data3@exempel.se 450 4.2.0 mailbox busy' >"$PF/access"
maps_changed "$DATAPORT"
failed_before=$(sql "SELECT count(*) FROM event WHERE kind = 'delivery.failed'")
citizen_writes 'Cecilia Carlsson' cecilia@exempel.se 3
queue 4 data
gateway data
row=$(sql "SELECT status, last_error FROM outbox WHERE recipient = 'cecilia@exempel.se'")
check "5xx to DATA: the message failed for good with the server's answer" \
	eval 'case $row in "failed|554 5.7.1 "*"not accepted by policy") true ;; *) false ;; esac'
[ "${row#failed|554}" != "$row" ] || echo "# cecilia: $row"
check "... refused at DATA, not after the data" \
	grep -q "reject: DATA from .*: 554 5.7.1 .*not accepted by policy" "$LOG"
row=$(sql "SELECT status, attempts, last_error FROM outbox WHERE recipient = 'data1@exempel.se'")
check "4xx to DATA: the message waits, one attempt counted, with the server's answer" \
	eval 'case $row in "queued|1|451 4.3.0 "*"try again later") true ;; *) false ;; esac'
[ "${row#queued|1|451}" != "$row" ] || echo "# data1: $row"
row=$(sql "SELECT status, last_error FROM outbox WHERE recipient = 'data2@exempel.se'")
check "recipient refused, then no valid recipients at DATA: failed with the recipient's answer" \
	eval 'case $row in "failed|550 5.1.1 "*"no such citizen") true ;; *) false ;; esac'
[ "${row#failed|550}" != "$row" ] || echo "# data2: $row"
row=$(sql "SELECT status, attempts, last_error FROM outbox WHERE recipient = 'data3@exempel.se'")
check "recipient refused for now, then no valid recipients at DATA: it waits with the recipient's answer" \
	eval 'case $row in "queued|1|450 4.2.0 "*"mailbox busy") true ;; *) false ;; esac'
[ "${row#queued|1|450}" != "$row" ] || echo "# data3: $row"
# Postfix counts the DATA commands when the session ends: one of five
# taken (no CHUNKING, so no BDAT).
check "... each of the five got a DATA, one taken" grep -q "disconnect from .* data=1/5 " "$LOG"
check "the one DATA took is sent" [ \
	"$(sql "SELECT status FROM outbox WHERE recipient = 'data4@exempel.se'")" = sent ]
check "... and no server problem is reported" [ "$rc" -eq 0 ]
run "$CIRMD" -c "$C" --once
check "5xx to DATA: the case gets delivery.failed" [ \
	"$(sql "SELECT count(*) FROM event WHERE kind = 'delivery.failed'")" -eq $((failed_before + 1)) ]
# The sender refused at DATA (Postfix's check_sender_access there):
# every mail waits, none fails.
sql "DELETE FROM outbox"
: >"$PF/data"
: >"$PF/access"
printf 'arende@kommun.example REJECT not owned by user cirm\n' >"$PF/datasender"
maps_changed "$DATAPORT"
queue 3 datasender
refused data "$DATAPORT" "sender refused at DATA" '554 5.7.1 %Sender address rejected: not owned by user cirm' \
	"the server refuses mail from arende@kommun.example (.*): check mail_address and that smtp_user may send as it; 3 messages wait until it is fixed"
: >"$PF/datasender"
maps_changed "$DATAPORT"
gateway data
check "sender allowed at DATA: the mail goes out" [ \
	"$(sql "SELECT count(*) FROM outbox WHERE status = 'sent'")" -eq 3 ]
# Postfix delivers in its own time: the next test empties $OUT first.
check "... delivered, as the one DATA took before" \
	wait_until '[ "$(grep -l "To: <data\(4\|sender[123]\)@exempel.se>" "$OUT"/* 2>/dev/null | wc -l)" -eq 4 ]' 100
check "... and nothing else" [ "$(delivered)" -eq 4 ]

# --- kill -9 while sending ------------------------------------------
sql "DELETE FROM outbox"
rm -f "$OUT"/*
queue 3000 crash
conf crash "smtp_port = $PORT" "smtp_batch = 100"
auth_ready
"$CIRM_GATEWAY" -c "$I/crash.conf" smtp 2>"$T/crash.err" &
gwpid=$!
wait_until '[ "$(sql "SELECT count(*) FROM outbox WHERE status = '"'sent'"'")" -ge 500 ]' 300
# A second one (run by hand, or left by a killed cirmd) would claim and
# send the same rows.
run "$CIRM_GATEWAY" -c "$I/crash.conf" --once smtp
check "a second SMTP gateway on the database is refused" [ "$rc" -eq 75 ]
check "... naming the one running" contains "$err" "another smtp gateway (pid $gwpid)"
kill -9 "$gwpid"
wait "$gwpid" 2>/dev/null
gwpid=
n_sending=$(sql "SELECT count(*) FROM outbox WHERE status = 'sending'")
check "kill -9: at most one row a connection was in flight ($n_sending)" [ "$n_sending" -le 2 ]
check "kill -9: some were still queued" [ "$(sql "SELECT count(*) FROM outbox WHERE status = 'queued'")" -gt 0 ]
gateway crash
check "restart: all 3000 sent" [ "$(sql "SELECT count(*) FROM outbox WHERE status = 'sent'")" -eq 3000 ]
# Postfix hands 3000 mails to its pipe transport at its own pace (slow
# when the whole suite runs): wait for its queue to empty.
queue_empty() {
	postqueue -c "$PF" -p 2>&1 | grep -q 'Mail queue is empty'
}
wait_until queue_empty 1800 || postqueue -c "$PF" -p 2>&1 | tail -3 | sed 's/^/# /'
check "restart: all delivered" wait_until '[ "$(delivered)" -ge 3000 ]' 100
problems=$(rows | python3 "$T/inspect.py" "$OUT" 2 2>&1)
check "restart: every mail arrived, well formed, none more than twice" [ -z "$problems" ]
[ -z "$problems" ] || printf '%s\n' "$problems" | head -5 | sed 's/^/# /'
dups=$(grep -h '^Message-ID:' "$OUT"/* | sort | uniq -d | wc -l)
check "restart: at most one duplicate a connection ($dups), with the same Message-ID" [ "$dups" -le 2 ]
check "restart: $(delivered) files for 3000 mails" [ "$(delivered)" -le 3002 ]

# --- SIGTERM: after the mail in hand, not after the whole batch ------
# (a second a recipient: a batch of 30 takes half a minute, longer than
# cirmd waits before SIGKILL)
sql "DELETE FROM outbox"
rm -f "$OUT"/*
queue 30 stop
auth_ready
"$CIRM_GATEWAY" -c "$I/slow.conf" smtp 2>"$T/stop.err" &
gwpid=$!
wait_until '[ "$(sql "SELECT count(*) FROM outbox WHERE status = '"'sent'"'")" -ge 1 ]' 300
kill -TERM "$gwpid"
wait_until '! kill -0 "$gwpid" 2>/dev/null' 80
stopped=$?
kill -9 "$gwpid" 2>/dev/null
wait "$gwpid"
rc=$?
gwpid=
check "SIGTERM: the gateway stops within seconds, not after its batch" [ "$stopped" -eq 0 ]
check "SIGTERM: exit status 0" [ "$rc" -eq 0 ]
check "SIGTERM: no row left in flight" [ "$(sql "SELECT count(*) FROM outbox WHERE status = 'sending'")" -eq 0 ]
check "SIGTERM: the rest wait, unattempted" [ \
	"$(sql "SELECT count(*) FROM outbox WHERE status = 'queued' AND attempts = 0")" -gt 0 ]
gateway starttls
check "after SIGTERM: the rest sent" [ "$(sql "SELECT count(*) FROM outbox WHERE status = 'sent'")" -eq 30 ]
wait_until '[ "$(delivered)" -ge 30 ]' 100
sleep 1
problems=$(rows | python3 "$T/inspect.py" "$OUT" 1 2>&1)
check_all "after SIGTERM: each mail arrived once" <<-'EOF'
	[ -z "$problems" ] && [ "$(delivered)" -eq 30 ]
EOF
[ -z "$problems" ] || printf '%s\n' "$problems" | head -5 | sed 's/^/# /'

# --- a wrong password: retried, not failed -----------------------------
sql "DELETE FROM outbox"
queue 1 wrongpw
gateway wrongpw
check "wrong password: reported" contains "$err" "smtp_user"
check "wrong password: the row waits, not failed" [ "$(sql "SELECT status FROM outbox")" = queued ]

stop_postfix
done_testing
