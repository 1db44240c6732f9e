#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The IMAP gateway against a real Dovecot that this script starts on
# loopback with its own configuration and certificates: mail is fetched
# once, a restart fetches nothing again, IDLE sees new mail at once,
# processed mail is moved, oversize mail becomes a header-only row, a
# new UIDVALIDITY starts over, certificates from an unknown CA or for
# another host are refused before any login, STARTTLS works, imap_tls =
# none with AUTHENTICATE PLAIN works, a wrong password is reported,
# a mailbox or processed-mail folder the server refuses is named by its
# setting, imap_processed = flag on a mailbox that cannot keep the
# keyword $cirm (PERMANENTFLAGS say so, or STORE is refused) takes
# nothing (more) and names its setting, so does imap_processed = delete,
# mailbox names beyond ASCII work, a mailbox restored from a backup
# (UIDNEXT below the position) is read again, a move without MOVE that a
# session left half done is never copied twice, a message delete keeps
# on the server is not deleted when the STORE of its mark was refused, a
# message given up (its FETCH cut off three times) is fetched again by
# itself with back-off, or at once when its note is released, and makes
# one case while its note is resolved; once its note is discarded it is
# never fetched again, but marked processed (with delete kept marked);
# the service waiting with IDLE sees a release or a due time within
# seconds.
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE=
unset CIRM_CONF
CIRM_GATEWAY=$top_builddir/cirm-gateway
PATH=$PATH:/usr/sbin:/usr/local/sbin

command -v dovecot >/dev/null ||
	skip_all "dovecot not installed (apt-get install dovecot-imapd)"
found=
for d in /usr/lib/dovecot /usr/libexec/dovecot /usr/local/libexec/dovecot; do
	[ -x "$d/imap-login" ] && [ -x "$d/imap" ] && found=$d
done
[ -n "$found" ] || skip_all "dovecot not installed (apt-get install dovecot-imapd)"
command -v openssl >/dev/null ||
	skip_all "openssl command-line tool not installed (apt-get install openssl)"
command -v sqlite3 >/dev/null ||
	skip_all "sqlite3 command-line tool not installed (apt-get install sqlite3)"
command -v python3 >/dev/null || skip_all "python3 not installed (apt-get install python3)"

# Dovecot refuses to run its login and mail processes as root.
if [ "$(id -u)" -eq 0 ]; then
	getent passwd dovecot >/dev/null && getent passwd dovenull >/dev/null ||
		skip_all "users dovecot and dovenull missing (apt-get install dovecot-core)"
	internal=dovecot login_user=dovenull owner=dovecot
	chmod 711 "$T"
else
	internal=$(id -un) login_user=$internal owner=$internal
fi
group=$(id -gn "$owner")

pids= gpid=
cleanup() {
	for p in $gpid $pids; do kill "$p" 2>/dev/null; done
	for p in $gpid $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- certificates: a trusted CA and an unknown one ---------------------
{ make_ca ca && make_ca otherca &&
  make_cert good ca "DNS:localhost,IP:127.0.0.1" &&
  make_cert wronghost ca "DNS:imap.example.org" &&
  make_cert untrusted otherca "DNS:localhost,IP:127.0.0.3"; } || {
	echo "Bail out! cannot make certificates: $(cat "$T/openssl.log")"
	exit 99
}

# --- Dovecot -----------------------------------------------------------

M=$T/mail/tester
mkdir -p "$M/cur" "$M/new" "$M/tmp"
[ "$(id -u)" -eq 0 ] && chown -R "$owner:$group" "$T/mail"

# The password of a second account, "tecken": å and ö, a quote and a
# backslash. A third, "shortkw", has a server that refuses the keyword
# $cirm at STORE although PERMANENTFLAGS allow it.
odd_pw=$(printf 'H\303\266st"l\303\266v\\\\x')

# dovecot_conf NAME CERT PLAIN-PORT TLS-PORT: one instance in $T/NAME.
# 127.0.0.3 gets the certificate of the unknown CA; 127.0.0.4 allows
# plaintext but claims LOGINDISABLED, so the gateway uses AUTHENTICATE,
# and offers neither MOVE nor UIDPLUS, so it moves by COPY and EXPUNGE.
# The acl plugin reads a dovecot-acl file in a maildir folder, where the
# test puts one; without it the owner has all rights.
dovecot_conf() {
	mkdir -p "$T/$1"
	printf 'tester:{PLAIN}s3cret::::::\n' >"$T/$1/users"
	printf 'tecken:{PLAIN}%s::::::\n' "$odd_pw" >>"$T/$1/users"
	# keywords of 3 characters at most: STORE of $cirm gets a NO
	printf 'shortkw:{PLAIN}s3cret::::::userdb_mail_max_keyword_length=3\n' \
		>>"$T/$1/users"
	cat >"$T/$1/dovecot.conf" <<EOF
base_dir = $T/$1/run
state_dir = $T/$1/state
log_path = $T/$1/dovecot.log
protocols = imap
listen = 127.0.0.1, 127.0.0.2, 127.0.0.3, 127.0.0.4
default_internal_user = $internal
default_internal_group = $group
default_login_user = $login_user
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:$T/mail/%u
auth_mechanisms = plain login
auth_failure_delay = 0
disable_plaintext_auth = no
ssl = required
ssl_cert = <$T/$2.pem
ssl_key = <$T/$2.key
local 127.0.0.3 {
  ssl_cert = <$T/untrusted.pem
  ssl_key = <$T/untrusted.key
}
local 127.0.0.4 {
  ssl = yes
  protocol imap {
    imap_capability = IMAP4rev1 LITERAL+ IDLE LOGINDISABLED
  }
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN $T/$1/users
}
userdb {
  driver = static
  args = uid=$owner gid=$group home=$T/mail/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    port = $3
  }
  inet_listener imaps {
    port = $4
    ssl = yes
  }
}
mail_plugins = acl
plugin {
  acl = vfile
}
service anvil {
  chroot =
}
EOF
}

# start_dovecot NAME CERT: sets $plain_port and $tls_port, trying other
# ports when these are taken.
start_dovecot() {
	for try in 1 2 3 4 5; do
		plain_port=$((20000 + ($$ * 7 + try * 997 + ${#1} * 31) % 40000))
		tls_port=$((plain_port + 1))
		dovecot_conf "$1" "$2" "$plain_port" "$tls_port"
		rm -f "$T/$1/dovecot.log"
		dovecot -F -c "$T/$1/dovecot.conf" >"$T/$1/stdout" 2>&1 &
		dpid=$!
		i=0
		while kill -0 "$dpid" 2>/dev/null &&
		      ! grep -q 'starting up' "$T/$1/dovecot.log" 2>/dev/null; do
			i=$((i + 1))
			[ $i -gt 100 ] && break
			sleep 0.1
		done
		if kill -0 "$dpid" 2>/dev/null &&
		   grep -q 'starting up' "$T/$1/dovecot.log"; then
			pids="$pids $dpid"
			return 0
		fi
		kill "$dpid" 2>/dev/null
		wait "$dpid" 2>/dev/null
	done
	echo "Bail out! dovecot does not start:"
	sed 's/^/# /' "$T/$1/stdout" "$T/$1/dovecot.log" 2>/dev/null
	exit 99
}

start_dovecot wrong wronghost
wrong_port=$tls_port
start_dovecot main good

n_mail=0
# put_mail [PADDING [MTIME]]: delivers a new message to tester's INBOX
# the way an MTA does (tmp/, then new/); the file's time is Dovecot's
# INTERNALDATE.
put_mail() {
	n_mail=$((n_mail + 1))
	f=$M/tmp/$n_mail.cirmtest
	{
		printf 'From: Anna Andersson <anna@example.org>\n'
		printf 'To: kommun@example.org\nSubject: test %s\n' $n_mail
		printf 'Message-ID: <%s.test@example.org>\n' $n_mail
		printf 'Date: Mon, 2 Mar 2026 10:00:00 +0100\n\n'
		printf 'Hej, detta är meddelande %s.\n' $n_mail
		awk -v n="${1:-0}" 'BEGIN { for (; n > 0; n -= 76) printf "%075d\n", 0 }'
	} >"$f"
	[ -n "${2:-}" ] && touch -d "@$2" "$f"
	[ "$(id -u)" -eq 0 ] && chown "$owner:$group" "$f"
	mv "$f" "$M/new/$n_mail.cirmtest.localhost"
}

# put_mail_in DIR [SIZE [MTIME]]: put_mail, into the maildir folder DIR.
put_mail_in() {
	_dir=$1
	shift
	put_mail "$@"
	mv "$M/new/$n_mail.cirmtest.localhost" "$_dir/new/"
}

# Messages in a maildir folder (new and cur).
count_mail() {
	find "$1/new" "$1/cur" -type f 2>/dev/null | wc -l | tr -d ' '
}

# --- the cirm instance -------------------------------------------------

I=$T/inst
"$CIRMCTL" init "$I" >/dev/null || exit 99
cp "$I/cirm.conf" "$I/base.conf"
printf 's3cret\n' >"$I/imap.password"
printf 'secret\n' >"$I/wrong.password"
chmod 600 "$I/imap.password" "$I/wrong.password"

# conf NAME SETTING...: $I/NAME.conf, the instance's with the common IMAP
# settings and SETTINGs.
conf() {
	name=$1
	shift
	{
		cat "$I/base.conf"
		printf '%s\n' "log_level = debug" "imap_user = tester" \
			"imap_ca_file = $T/ca.pem" "imap_poll_interval = 5" "$@"
	} >"$I/$name.conf"
}

sql() {
	sqlite3 -cmd '.timeout 5000' "$I/cirm.db" "$1"
}

rows() {
	sql "SELECT count(*) FROM inbox WHERE source = 'imap'"
}

# Waits up to $2 tenths of a second for command $1 to succeed.
wait_until() {
	i=0
	until eval "$1"; do
		i=$((i + 1))
		[ $i -gt "$2" ] && return 1
		sleep 0.1
	done
}

# Sanitizer reports (the asan build) fail the test whatever the status.
sanitizer_clean() {
	case $1 in
	*Sanitizer* | *"runtime error:"*)
		printf '%s\n' "$1" | sed 's/^/# /' >&2
		return 1 ;;
	esac
}

gateway() {
	run "$CIRM_GATEWAY" -c "$I/$1.conf" --once imap
	sanitizer_clean "$err" || not_ok "$1: sanitizer report"
}

# Logins from the gateway at local address $1 of instance $2.
logins() {
	grep -c "Login: user=<tester>.*lip=$1," "$T/$2/dovecot.log"
}

# The summary of the last IMAP session of instance main, once written.
# Dovecot's log process writes it after the gateway has gone; on a
# loaded machine (the CI's sanitizer stage) that took more than 2 s
# once, so this waits up to 15 s.
last_session() {
	l=$T/main/dovecot.log
	wait_until "[ \$(grep -c 'Login: user=<tester>' '$l') -eq \$(grep -c 'imap(tester).*Disconnected' '$l') ]" 150
	grep 'imap(tester).*Disconnected' "$l" | tail -n 1
}

# service_until NAME PATTERN DESCRIPTION: runs the service on NAME.conf
# until its log ($T/gw.log) has PATTERN, 5 s at most (the test
# DESCRIPTION), then stops it; $stopped is its exit status.
service_until() {
	# emptied first: the pattern must be this gateway's. Matched in
	# the last one's log, the SIGTERM went to the child shell before
	# its exec, whose trap (imap.sh traps TERM) took it and lost it,
	# and the gateway ran on for ever.
	: >"$T/gw.log"
	"$CIRM_GATEWAY" -c "$I/$1.conf" imap 2>"$T/gw.log" &
	gpid=$!
	check "$3" wait_until "grep -q '$2' '$T/gw.log'" 50
	kill -TERM "$gpid"
	wait "$gpid"
	stopped=$?
	gpid=
}

conf flag "imap_host = localhost" "imap_port = $tls_port" \
	"imap_processed = flag"
conf move "imap_host = localhost" "imap_port = $tls_port"

# (1) Fetched once, whole, with the server's arrival time.
put_mail 0 1700000000
put_mail
put_mail
gateway flag
check "--once exits 0" [ "$rc" -eq 0 ]
check "three messages queued" [ "$(rows)" -eq 3 ]
check "the certificate was verified" contains "$err" "certificate verified"
check "dedupe key imap:UIDVALIDITY:UID" \
	[ "$(sql "SELECT count(*) FROM inbox WHERE dedupe_key GLOB 'imap:[1-9]*:[1-3]'")" -eq 3 ]
check "received_at is the INTERNALDATE" \
	[ "$(sql "SELECT count(*) FROM inbox WHERE received_at = 1700000000")" -eq 1 ]
check "received_at is now without an earlier INTERNALDATE" \
	[ "$(sql "SELECT count(*) FROM inbox WHERE received_at > strftime('%s', 'now') - 600")" -eq 2 ]
check "the whole message is stored" \
	contains "$(sql "SELECT raw FROM inbox_message WHERE dedupe_key GLOB '*:2'")" "meddelande 2."
check "the position UIDVALIDITY:UID is stored" \
	[ "$(sql "SELECT count(*) FROM gateway_state WHERE gateway = 'imap' AND key = 'uid' AND value GLOB '[1-9]*:3'")" -eq 1 ]
check "imap_processed = flag: \\Seen and \$cirm set, mail left in the INBOX" \
	[ "$(ls "$M/cur" | grep -c ':2,Sa$')" -eq 3 ]
check "the keyword is \$cirm" grep -q '^0 \$cirm$' "$M/dovecot-keywords"
check "the log names no address or subject" \
	[ -z "$(printf '%s' "$err" | grep -i -e example.org -e anna -e 'test 1')" ]

# (2) A restart fetches nothing again: the position, not the dedupe key.
gateway flag
check "a second --once exits 0" [ "$rc" -eq 0 ]
check "a second --once queues nothing" [ "$(rows)" -eq 3 ]
check "and fetches no body from the server" \
	contains "$(last_session)" "body_count=0"

# (3) IDLE: the running service sees new mail at once; (4) it moves it.
"$CIRM_GATEWAY" -c "$I/move.conf" imap 2>"$T/gw.log" &
gpid=$!
check "the service waits with IDLE" \
	wait_until "grep -q 'waiting for mail with IDLE' '$T/gw.log'" 50
put_mail
check "IDLE: a new message is queued within 3 s" wait_until '[ "$(rows)" -eq 4 ]' 30
check "imap_processed = move: moved to the cirm folder" \
	wait_until '[ "$(count_mail "$M/.cirm")" -eq 1 ]' 20
check "only the message queued now was moved" [ "$(count_mail "$M")" -eq 3 ]
kill -TERM "$gpid"
wait "$gpid"
check "SIGTERM stops the service with status 0" [ $? -eq 0 ]
gpid=
check "the service logged no sanitizer report" sanitizer_clean "$(cat "$T/gw.log")"

# Oversize: the header alone is queued, for the quarantine; the message
# stays on the server.
conf big "imap_host = localhost" "imap_port = $tls_port" "mail_max_size = 1024"
put_mail 4000
gateway big
check "an oversize message: exit 0" [ "$rc" -eq 0 ]
raw=$(sql "SELECT raw FROM inbox_message WHERE dedupe_key GLOB '*:5'")
check "an oversize message is queued as header only" \
	contains "$raw" "X-Cirm-Oversize: "
check "with its header" contains "$raw" "Subject: test 5"
check "without its body" [ -z "$(printf '%s' "$raw" | grep -e meddelande -e 0000000000)" ]
check "the oversize warning names the UID" contains "$err" "UID 5: "
check "the oversize message stays on the server" [ "$(count_mail "$M/.cirm")" -eq 2 ]

# A new UIDVALIDITY starts over from UID 1, but for the mail cirm marked:
# the three messages still in the INBOX are not fetched again.
sql "UPDATE gateway_state SET value = '1:999' WHERE gateway = 'imap'"
gateway flag
check "a changed UIDVALIDITY is a warning" contains "$err" "UIDVALIDITY is now"
check "duplicates are not queued" [ "$(rows)" -eq 5 ]
check "mail marked \$cirm is not fetched again" \
	contains "$(last_session)" "body_count=0"
check "the position starts over" \
	[ "$(sql "SELECT count(*) FROM gateway_state WHERE gateway = 'imap' AND value GLOB '[1-9]*:0'")" -eq 1 ]

# (5) Certificates: refused before any login, nothing fetched.
put_mail
conf unknown_ca "imap_host = 127.0.0.3" "imap_port = $tls_port"
gateway unknown_ca
check "unknown CA: exit 1" [ "$rc" -eq 1 ]
check "unknown CA: a clear log line" \
	contains "$err" "127.0.0.3:$tls_port: certificate refused: unable to get local issuer certificate"
check "unknown CA: no login" [ "$(logins 127.0.0.3 main)" -eq 0 ]
check "unknown CA: nothing fetched" [ "$(rows)" -eq 5 ]
conf wrong_name "imap_host = localhost" "imap_port = $wrong_port"
gateway wrong_name
check "wrong host name: exit 1" [ "$rc" -eq 1 ]
check "wrong host name: a clear log line" \
	contains "$err" "localhost:$wrong_port: certificate refused: hostname mismatch"
check "wrong host name: no login" [ "$(logins 127.0.0.1 wrong)" -eq 0 ]
conf wrong_ip "imap_host = 127.0.0.2" "imap_port = $tls_port"
gateway wrong_ip
check "wrong address: a clear log line" \
	contains "$err" "127.0.0.2:$tls_port: certificate refused: IP address mismatch"
check "wrong address: no login" [ "$(logins 127.0.0.2 main)" -eq 0 ]
check "wrong address: nothing fetched" [ "$(rows)" -eq 5 ]

# (6) STARTTLS on the plain port.
conf starttls "imap_host = localhost" "imap_port = $plain_port" \
	"imap_tls = starttls"
gateway starttls
check "STARTTLS: exit 0" [ "$rc" -eq 0 ]
check "STARTTLS: certificate verified" contains "$err" "certificate verified"
check "STARTTLS: the waiting message is queued" [ "$(rows)" -eq 6 ]
check "STARTTLS: the login was protected" \
	sh -c "grep 'Login: user=<tester>' '$T/main/dovecot.log' | tail -n 1 | grep -q ', TLS'"
conf starttls_ca "imap_host = 127.0.0.3" "imap_port = $plain_port" \
	"imap_tls = starttls"
put_mail
gateway starttls_ca
check "STARTTLS, unknown CA: refused" \
	contains "$err" "certificate refused: unable to get local issuer certificate"
check "STARTTLS, unknown CA: no login" [ "$(logins 127.0.0.3 main)" -eq 0 ]

# The TLS setting that does not fit the port: told within the greeting
# wait, with the setting to change, not after a minute's silence.
conf starttls_on_tls "imap_host = localhost" "imap_port = $tls_port" \
	"imap_tls = starttls"
gateway starttls_on_tls
check "STARTTLS on the implicit TLS port: exit 1" [ "$rc" -eq 1 ]
check "STARTTLS on the implicit TLS port: the log names the setting" \
	contains "$err" "no greeting: if imap_port is a port for implicit TLS (usually 993), set imap_tls = implicit"
conf implicit_on_plain "imap_host = localhost" "imap_port = $plain_port" \
	"imap_tls = implicit"
gateway implicit_on_plain
check "implicit TLS on the plain port: exit 1" [ "$rc" -eq 1 ]
check "implicit TLS on the plain port: the log names the setting" \
	contains "$err" "if imap_port is a plain port (usually 143), set imap_tls = starttls"
check "a TLS setting that does not fit: nothing fetched" [ "$(rows)" -eq 6 ]

# imap_tls = none (loopback only), with AUTHENTICATE PLAIN where the
# server says LOGINDISABLED.
conf none "imap_host = 127.0.0.4" "imap_port = $plain_port" "imap_tls = none"
gateway none
check "imap_tls = none: exit 0" [ "$rc" -eq 0 ]
check "imap_tls = none: a warning" contains "$err" "imap_tls = none"
check "LOGINDISABLED: AUTHENTICATE PLAIN" contains "$err" "AUTHENTICATE PLAIN"
check "imap_tls = none: the message is queued" [ "$(rows)" -eq 7 ]
check "without MOVE: copied to the cirm folder" \
	contains "$err" "no MOVE: COPY, then \\Deleted and EXPUNGE"
check "without MOVE: in the cirm folder" [ "$(count_mail "$M/.cirm")" -eq 4 ]
check "without UIDPLUS: expunged from the INBOX" [ "$(count_mail "$M")" -eq 3 ]

# (7) A wrong password.
conf badpw "imap_host = localhost" "imap_port = $tls_port" \
	"imap_password_file = wrong.password"
put_mail
gateway badpw
check "wrong password: exit 1" [ "$rc" -eq 1 ]
check "wrong password: a clear log line" \
	contains "$err" "login: authentication failed"
check "wrong password: the log says what to check" \
	contains "$err" "check imap_user and imap_password_file"
check "wrong password: the password is not logged" \
	[ -z "$(printf '%s' "$err" | grep -e secret -e s3cret)" ]
check "wrong password: nothing fetched" [ "$(rows)" -eq 7 ]

# A mailbox the server does not have: the log says which setting.
conf nobox "imap_host = localhost" "imap_port = $tls_port" \
	"imap_mailbox = Medborgare"
gateway nobox
check "no such mailbox: exit 1" [ "$rc" -eq 1 ]
check "no such mailbox: the server's refusal is logged" \
	contains "$err" "SELECT: refused by the server (server: Mailbox doesn't exist: Medborgare"
check "no such mailbox: ... and what to check" \
	contains "$err" "; check imap_mailbox"

# imap_processed = flag on a mailbox where the server cannot keep the
# keyword $cirm (here an ACL without the right 'w': PERMANENTFLAGS
# (\Seen), and Dovecot drops the keyword from STORE without a word): no
# mail is taken, and the log names the setting. (The mail was taken,
# never marked, and "marked" again in every session after, for ever.)
K=$M/.Nokw
mkdir -p "$K/cur" "$K/new" "$K/tmp"
printf 'owner lrsip\n' >"$K/dovecot-acl"
[ "$(id -u)" -eq 0 ] && chown -R "$owner:$group" "$K"
put_mail_in "$K"
before=$(rows)
conf nokeyword "imap_host = localhost" "imap_port = $tls_port" \
	"imap_processed = flag" "imap_mailbox = Nokw"
keyword_err="Nokw: the server does not store the keyword \$cirm there"
keyword_hint="no mail is taken from it with imap_processed = flag; check imap_processed: flag and delete need a server that stores the keyword \$cirm"
for n in 1 2; do
	gateway nokeyword
	check_all "no keyword \$cirm: run $n exits 1, saying why and what to check" <<-'EOF'
		[ "$rc" -eq 1 ] &&
		contains "$err" "$keyword_err" &&
		contains "$err" "$keyword_hint"
	EOF
	check_all "no keyword \$cirm: run $n takes nothing" <<-'EOF'
		[ "$(rows)" -eq "$before" ] &&
		contains "$(last_session)" "body_count=0" &&
		[ -z "$(printf '%s' "$err" | grep -e queued -e marking)" ]
	EOF
done
check_all "no keyword \$cirm: the mail stays in the mailbox, not even \\Seen" <<-'EOF'
	[ "$(count_mail "$K")" -eq 1 ] &&
	[ -z "$(ls "$K/cur" | grep ':2,.*S')" ]
EOF
service_until nokeyword 'reconnecting in 2 s' \
	"no keyword \$cirm: the service retries later, with back-off"
check_all "no keyword \$cirm: the service took nothing either" <<-'EOF'
	[ "$(rows)" -eq "$before" ] &&
	[ "$(grep -c "$keyword_hint" "$T/gw.log")" -ge 2 ] &&
	[ -z "$(grep -e queued -e marking "$T/gw.log")" ]
EOF

# Queued but not marked (a crash, a lost connection, here a folder the
# server refuses): the next session marks them, they do not stay in the
# INBOX for ever.
conf badfolder "imap_host = localhost" "imap_port = $tls_port" \
	"imap_processed_folder = ~cirm"
put_mail
gateway badfolder
check "a refused folder: the waiting messages are queued" [ "$(rows)" -eq 9 ]
check "a refused folder: they stay in the INBOX" [ "$(count_mail "$M")" -eq 5 ]
check "a refused folder: the server's refusal is logged" \
	contains "$err" "UID MOVE: refused by the server"
check "a refused folder: ... and what to check" \
	contains "$err" "the mail stays in the mailbox; check imap_processed_folder"
gateway move
check_all "the next session moves them" <<-'EOF'
	[ "$(count_mail "$M")" -eq 3 ] &&
	[ "$(count_mail "$M/.cirm")" -eq 6 ]
EOF
check "and says so" contains "$err" "2 messages queued before but not yet marked"
check "and fetches nothing twice" [ "$(rows)" -eq 9 ]

# A server that is not there.
conf closed "imap_host = localhost" "imap_port = $((tls_port + 2))"
gateway closed
check "no server: exit 1" [ "$rc" -eq 1 ]
check "no server: host, port and what went wrong" \
	contains "$err" "localhost:$((tls_port + 2)): connect: cannot connect"

# The service retries with back-off, and stops at once while it waits.
service_until closed 'reconnecting in 2 s' \
	"no server: the service retries after 1 s, then 2 s"
check "SIGTERM during the back-off: status 0" [ "$stopped" -eq 0 ]

# A message the server fails on (here a file it may not open) ends each
# session before anything is queued: the service backs off instead of
# logging in again every second, finds the message, and after three
# sessions that broke on it queues a note for the quarantine instead, so
# that the mail behind it comes in. The message stays in the mailbox,
# unmarked, to be fetched again later (imap_refetch_after: not in this
# test's time).
put_mail
bad=$n_mail
chmod 000 "$M/new/$bad.cirmtest.localhost"
put_mail
"$CIRM_GATEWAY" -c "$I/move.conf" imap 2>"$T/gw.log" &
gpid=$!
check "a message the server fails on: the service backs off" \
	wait_until "grep -q 'reconnecting in 4 s' '$T/gw.log'" 200
check "it is given up after three sessions" \
	wait_until "grep -q 'UID [0-9]*: the server failed 3 times to deliver it' '$T/gw.log'" 400
check "the mail behind it comes in" wait_until '[ "$(rows)" -eq 11 ]' 100
check "the note stands for it in the inbox" \
	[ "$(sql "SELECT count(*) FROM inbox_message WHERE CAST(raw AS TEXT) GLOB 'X-Cirm-Unfetchable: *'")" -eq 1 ]
check_all "the message stays on the server, in the mailbox, unmarked" <<-'EOF'
	ls "$M/cur" "$M/new" | grep -q "^$bad\.cirmtest"
	[ -z "$(ls "$M/cur" | grep "^$bad\.cirmtest.*:2,.*[Sa]")" ]
EOF
kill -TERM "$gpid"
wait "$gpid"
gpid=
check "the service logged no sanitizer report" sanitizer_clean "$(cat "$T/gw.log")"
run "$CIRMD" -c "$I/cirm.conf" --once
check "the engine quarantines the note with the reason" \
	[ "$(sql "SELECT count(*) FROM quarantine WHERE reason LIKE 'the IMAP server failed 3 times to deliver UID % of UIDVALIDITY %; the mail stays on the server and the gateway fetches it again by itself (imap_refetch_after), at once when this note is released, no more once it is discarded'")" -eq 1 ]

# Folder names beyond ASCII go to the server in modified UTF-7, as IMAP
# wants: Dovecot refused "Åtgärdade" as it was, so mail was queued but
# never moved, and a mailbox so named could not be read at all.
B="$M/.Inkorg f&APY-r medborgare"
mkdir -p "$B/cur" "$B/new" "$B/tmp"
[ "$(id -u)" -eq 0 ] && chown -R "$owner:$group" "$B"
put_mail_in "$B"
before=$(rows)
conf utf8 "imap_host = localhost" "imap_port = $tls_port" \
	"imap_mailbox = Inkorg för medborgare" \
	"imap_processed_folder = Åtgärdade"
gateway utf8
check "a mailbox named in UTF-8: exit 0" [ "$rc" -eq 0 ]
check "a mailbox named in UTF-8: its message is queued" \
	[ "$(rows)" -eq $((before + 1)) ]
check_all "a folder named in UTF-8: the message is moved there" <<-'EOF'
	[ "$(count_mail "$M/.&AMU-tg&AOQ-rdade")" -eq 1 ] &&
	[ "$(count_mail "$B")" -eq 0 ]
EOF
check "a folder named in UTF-8: no refusal" \
	[ -z "$(printf '%s' "$err" | grep -e refused -e mUTF-7)" ]

# A password file with a CRLF line end (written on Windows): the CR is
# not part of the password. (It went to the server inside it, and the
# login failed with "Missing '\"'".)
printf 's3cret\r\n' >"$I/crlf.password"
chmod 600 "$I/crlf.password"
put_mail
before=$(rows)
conf crlf "imap_host = localhost" "imap_port = $tls_port" \
	"imap_password_file = crlf.password"
gateway crlf
check "a password file with CRLF: exit 0" [ "$rc" -eq 0 ]
check "a password file with CRLF: the login succeeds" \
	[ -z "$(printf '%s' "$err" | grep 'login:')" ]
check "a password file with CRLF: the message is queued" \
	[ "$(rows)" -eq $((before + 1)) ]

# The mailbox restored from a backup: the same UIDVALIDITY, but UIDNEXT
# back below the position. New mail gets UIDs cirm thinks it took, and
# was passed over without a word; now the mailbox is read again from
# UID 1, but for the mail marked $cirm, as after a new UIDVALIDITY.
sql "UPDATE gateway_state SET value = substr(value, 1, instr(value, ':')) || '999999' WHERE gateway = 'imap' AND key = 'uid'"
put_mail
before=$(rows)
gateway flag
check "UIDNEXT below the position: a warning" \
	contains "$err" "is past the mailbox's UIDNEXT"
check "UIDNEXT below the position: the new message is queued" \
	[ "$(rows)" -eq $((before + 1)) ]
check "UIDNEXT below the position: nothing marked is fetched again" \
	contains "$(last_session)" "body_count=1"

# The same with --once runs (from a timer): the sessions that broke on
# the message are counted across runs, so that the mail behind it comes
# in too. (Each run started counting anew: it never did.)
put_mail
bad=$n_mail
chmod 000 "$M/new/$bad.cirmtest.localhost"
put_mail
before=$(rows)
runs=0
while [ $runs -lt 6 ] && [ "$(rows)" -lt $((before + 2)) ]; do
	runs=$((runs + 1))
	gateway move
done
check "--once: a message the server fails on is given up after three runs" \
	contains "$err" "the server failed 3 times to deliver it"
check "--once: the mail behind it comes in" [ "$(rows)" -eq $((before + 2)) ]

# A password with Swedish letters, a quote and a backslash (the account
# "tecken"): libetpan sends it as a literal, and it logs in. (A tab in a
# password Dovecot itself refuses, with LOGIN and AUTHENTICATE alike.)
printf '%s\n' "$odd_pw" >"$I/odd.password"
chmod 600 "$I/odd.password"
{
	cat "$I/base.conf"
	printf '%s\n' "imap_user = tecken" "imap_ca_file = $T/ca.pem" \
		"imap_host = localhost" "imap_port = $tls_port" \
		"imap_password_file = odd.password"
} >"$I/odd.conf"
gateway odd
check_all "a password with å and ö, a quote and a backslash: it logs in" <<-'EOF'
	[ "$rc" -eq 0 ]
	[ -z "$(printf '%s' "$err" | grep 'login:')" ]
	grep -q "Login: user=<tecken>, method=PLAIN" "$T/main/dovecot.log"
EOF

# A NO to the STORE of \Seen and $cirm (account "shortkw": PERMANENTFLAGS
# allow any keyword, STORE refuses it): what was queued stays queued,
# but the session ends with the setting named, and no more mail is taken
# until the mail can be marked. (The refusal was logged and passed over:
# mail kept coming in unmarked, and every session marked it in vain.)
S=$T/mail/shortkw
mkdir -p "$S/cur" "$S/new" "$S/tmp"
[ "$(id -u)" -eq 0 ] && chown -R "$owner:$group" "$S"
for n in 1 2; do
	put_mail_in "$S"
done
{
	cat "$I/base.conf"
	printf '%s\n' "imap_user = shortkw" "imap_ca_file = $T/ca.pem" \
		"imap_host = localhost" "imap_port = $tls_port" \
		"imap_processed = flag"
} >"$I/shortkw.conf"
before=$(rows)
gateway shortkw
store_hint="the mail stays unmarked and no more is taken for now; check imap_processed"
check_all "STORE refused: the mail is queued, once" <<-'EOF'
	[ "$(rows)" -eq $((before + 2)) ]
EOF
check_all "STORE refused: exit 1, with the server's words and the setting" <<-'EOF'
	[ "$rc" -eq 1 ] &&
	contains "$err" "UID STORE: refused by the server (server: Keyword length too long" &&
	contains "$err" "$store_hint"
EOF
put_mail_in "$S"
gateway shortkw
check_all "STORE refused: the next run takes no more, and says why" <<-'EOF'
	[ "$rc" -eq 1 ] &&
	[ "$(rows)" -eq $((before + 2)) ] &&
	contains "$err" "$store_hint"
EOF

# imap_processed = delete relies on $cirm too: the oversize mail it keeps
# on the server is told from new mail by the keyword alone. On a mailbox
# that cannot keep it (an ACL with every right but 'w': PERMANENTFLAGS
# (\Seen \Deleted), and Dovecot drops the keyword from STORE without a
# word) no mail is taken, and the log and cirmctl status say why. (The
# mail was taken, the oversize message "marked" again in every session,
# its header queued a second time after a new UIDVALIDITY, and a message
# given up, which stays on the server, deleted by the next session.)
D=$M/.Nokwdel
mkdir -p "$D/cur" "$D/new" "$D/tmp"
printf 'owner lrstipek\n' >"$D/dovecot-acl"
[ "$(id -u)" -eq 0 ] && chown -R "$owner:$group" "$D"
for pad in 0 4000; do
	put_mail_in "$D" $pad
done
before=$(rows)
conf nokwdelete "imap_host = localhost" "imap_port = $tls_port" \
	"imap_processed = delete" "imap_mailbox = Nokwdel" \
	"mail_max_size = 1024"
gateway nokwdelete
check_all "delete, no keyword \$cirm: exit 1, saying why and what to check" <<-'EOF'
	[ "$rc" -eq 1 ]
	contains "$err" "Nokwdel: the server does not store the keyword \$cirm there"
	contains "$err" "no mail is taken from it with imap_processed = delete; check imap_processed: flag and delete need a server that stores the keyword \$cirm"
EOF
check_all "delete, no keyword \$cirm: nothing taken, nothing deleted" <<-'EOF'
	[ "$(rows)" -eq "$before" ]
	[ "$(count_mail "$D")" -eq 2 ]
EOF
service_until nokwdelete 'reconnecting in 2 s' \
	"delete, no keyword \$cirm: the service retries later, with back-off"
check "delete, no keyword \$cirm: the reason is kept for cirmctl status" \
	[ "$(sql "SELECT count(*) FROM gateway_state WHERE gateway = 'imap' AND key = 'problem' AND value LIKE '%: imap_processed = delete: the server does not store the keyword \$cirm'")" -eq 1 ]
check "delete, no keyword \$cirm: the service took nothing either" \
	[ "$(rows)" -eq "$before" ]

# Move needs no keyword: the same mailbox is read, its mail moved.
folder_before=$(count_mail "$M/.cirm")
conf nokwmove "imap_host = localhost" "imap_port = $tls_port" \
	"imap_mailbox = Nokwdel" "mail_max_size = 1024"
gateway nokwmove
check_all "move, no keyword \$cirm: the mail is taken and moved" <<-'EOF'
	[ "$rc" -eq 0 ]
	[ "$(rows)" -eq $((before + 2)) ]
	[ "$(count_mail "$D")" -eq 0 ]
	[ "$(count_mail "$M/.cirm")" -eq $((folder_before + 2)) ]
EOF

# Without MOVE (127.0.0.4) mail is moved by COPY, then \Deleted and
# EXPUNGE, and a session can end between any two steps. The mailbox's
# ACL stands in for the session that ended: without the right 't' the
# \Deleted after the COPY does not hold (as when the session ended right
# after the COPY), without 'e' the EXPUNGE does not. The next session
# must not copy the message again. (It did: one more copy in the folder
# for each session.)
C=$M/.Halvvags
mkdir -p "$C/cur" "$C/new" "$C/tmp"
printf 'owner lrswipk\n' >"$C/dovecot-acl"
[ "$(id -u)" -eq 0 ] && chown -R "$owner:$group" "$C"
put_mail_in "$C"
folder_before=$(count_mail "$M/.cirm")
before=$(rows)
conf halfmove "imap_host = 127.0.0.4" "imap_port = $plain_port" \
	"imap_tls = none" "imap_mailbox = Halvvags"
gateway halfmove
check_all "without MOVE, no \\Deleted after the COPY: queued and copied once" <<-'EOF'
	[ "$(rows)" -eq $((before + 1)) ]
	[ "$(count_mail "$M/.cirm")" -eq $((folder_before + 1)) ]
	[ "$(count_mail "$C")" -eq 1 ]
EOF
for n in 2 3; do
	gateway halfmove
	check_all "without MOVE, no \\Deleted after the COPY: session $n copies nothing again" <<-'EOF'
		[ "$rc" -eq 0 ]
		[ "$(count_mail "$M/.cirm")" -eq $((folder_before + 1)) ]
		[ "$(rows)" -eq $((before + 1)) ]
		[ "$(count_mail "$C")" -eq 1 ]
	EOF
done
check "without MOVE, no \\Deleted after the COPY: the log says it stays, and why" \
	contains "$err" "1 message marked \$cirm stays in the mailbox: cirm took it, but a session ended while it was being copied to cirm"

printf 'owner lrswtipk\n' >"$C/dovecot-acl"
put_mail_in "$C"
for n in 1 2; do
	gateway halfmove
	check_all "without MOVE, no EXPUNGE after the COPY: session $n copies it once" <<-'EOF'
		[ "$(rows)" -eq $((before + 2)) ]
		[ "$(count_mail "$M/.cirm")" -eq $((folder_before + 2)) ]
		[ "$(count_mail "$C")" -eq 2 ]
	EOF
done
printf 'owner lrswtipke\n' >"$C/dovecot-acl"
gateway halfmove
check_all "without MOVE: once EXPUNGE works, the copied message goes, not copied again" <<-'EOF'
	[ "$rc" -eq 0 ]
	[ "$(count_mail "$C")" -eq 1 ]
	[ "$(count_mail "$M/.cirm")" -eq $((folder_before + 2)) ]
	[ "$(rows)" -eq $((before + 2)) ]
EOF
check "without MOVE: ... and says so" \
	contains "$err" "1 message copied to cirm before but not yet expunged: expunging it now"

# A COPY the server refuses (here a folder it cannot make) takes the mark
# back: once the folder is put right, the next session moves the message
# instead of leaving it marked as if it might have been copied.
put_mail_in "$C"
conf halfbad "imap_host = 127.0.0.4" "imap_port = $plain_port" \
	"imap_tls = none" "imap_mailbox = Halvvags" \
	"imap_processed_folder = ~cirm"
gateway halfbad
check_all "without MOVE, a refused COPY: queued, left in the mailbox" <<-'EOF'
	[ "$(rows)" -eq $((before + 3)) ]
	[ "$(count_mail "$C")" -eq 2 ]
	contains "$err" "UID COPY: refused by the server"
EOF
gateway halfmove
check_all "without MOVE, a refused COPY: the next session moves it" <<-'EOF'
	[ "$(count_mail "$C")" -eq 1 ]
	[ "$(count_mail "$M/.cirm")" -eq $((folder_before + 3)) ]
	[ "$(rows)" -eq $((before + 3)) ]
EOF

# imap_processed = delete keeps a message given up on the server,
# unmarked, until it is fetched again; the database says it is to be
# kept. The sessions after must not take it for queued mail left
# unmarked and delete it, here on a server that refuses to store $cirm
# (account shortkw). (Size alone told the two apart: the message was
# deleted, and cirm held only the note that stands for it.)
G=$S/.Kept
mkdir -p "$G/cur" "$G/new" "$G/tmp"
[ "$(id -u)" -eq 0 ] && chown -R "$owner:$group" "$G"
put_mail
bad=$n_mail
mv "$M/new/$bad.cirmtest.localhost" "$G/new/"
chmod 000 "$G/new/$bad.cirmtest.localhost"
{
	cat "$I/base.conf"
	printf '%s\n' "imap_user = shortkw" "imap_ca_file = $T/ca.pem" \
		"imap_host = localhost" "imap_port = $tls_port" \
		"imap_processed = delete" "imap_mailbox = Kept"
} >"$I/keptdel.conf"
before=$(rows)
runs=0
while [ $runs -lt 6 ] && [ "$(rows)" -eq "$before" ]; do
	runs=$((runs + 1))
	gateway keptdel
done
check_all "delete, STORE refused: a message given up is queued as a note" <<-'EOF'
	[ "$(rows)" -eq $((before + 1)) ]
	contains "$err" "the server failed 3 times to deliver it"
EOF
chmod 644 "$G"/*/"$bad".cirmtest*
for n in 1 2; do
	gateway keptdel
	check_all "delete, STORE refused: session $n after it keeps the message on the server" <<-'EOF'
		[ "$rc" -eq 0 ]
		[ "$(count_mail "$G")" -eq 1 ]
		[ "$(rows)" -eq $((before + 1)) ]
	EOF
done

# And where the server stores the keyword: delete deletes the mail it
# took, keeps the oversize message marked, and the note that it is to
# be kept goes once it is marked.
E=$M/.Delok
mkdir -p "$E/cur" "$E/new" "$E/tmp"
[ "$(id -u)" -eq 0 ] && chown -R "$owner:$group" "$E"
for pad in 0 4000; do
	put_mail_in "$E" $pad
done
before=$(rows)
conf delok "imap_host = localhost" "imap_port = $tls_port" \
	"imap_processed = delete" "imap_mailbox = Delok" \
	"mail_max_size = 1024"
gateway delok
check_all "delete: both queued, the oversize one alone kept, marked" <<-'EOF'
	[ "$rc" -eq 0 ]
	[ "$(rows)" -eq $((before + 2)) ]
	[ "$(count_mail "$E")" -eq 1 ]
	ls "$E/cur" | grep -q ':2,Sa$'
	[ -z "$(sql "SELECT value FROM gateway_state WHERE gateway = 'imap' AND key = 'kept'")" ]
EOF
gateway delok
check_all "delete: the next session leaves it, marking nothing again" <<-'EOF'
	[ "$rc" -eq 0 ]
	[ "$(count_mail "$E")" -eq 1 ]
	[ "$(rows)" -eq $((before + 2)) ]
	[ -z "$(printf '%s' "$err" | grep marking)" ]
EOF

# Without MOVE, on a mailbox that cannot keep $cirm, there is no mark
# before the COPY: the mail is moved all the same, and the log says
# that a session ending between COPY and \Deleted would leave a second
# copy.
put_mail_in "$D"
folder_before=$(count_mail "$M/.cirm")
before=$(rows)
conf nokwcopy "imap_host = 127.0.0.4" "imap_port = $plain_port" \
	"imap_tls = none" "imap_mailbox = Nokwdel"
gateway nokwcopy
check_all "without MOVE or keyword: moved, with a warning" <<-'EOF'
	[ "$rc" -eq 0 ]
	[ "$(rows)" -eq $((before + 1)) ]
	[ "$(count_mail "$D")" -eq 0 ]
	[ "$(count_mail "$M/.cirm")" -eq $((folder_before + 1)) ]
	contains "$err" "Nokwdel: the server offers no MOVE and does not store the keyword \$cirm there"
EOF

# The folder of imap_processed = move deleted while the service runs
# (another client, a user tidying up): the next MOVE, or COPY on a
# server without MOVE (127.0.0.4), gets NO [TRYCREATE], and the folder
# is made again, the mail moved there. (The refusal was passed over for
# as long as the session lasted, with IDLE for ever: all new mail stayed
# in the INBOX, unmarked.)
conf gonefolder "imap_host = localhost" "imap_port = $tls_port" \
	"imap_processed_folder = Gone"
conf gonecopy "imap_host = 127.0.0.4" "imap_port = $plain_port" \
	"imap_tls = none" "imap_processed_folder = Gone"
for how in gonefolder gonecopy; do
	inbox_before=$(count_mail "$M")
	before=$(rows)
	: >"$T/gw.log"
	"$CIRM_GATEWAY" -c "$I/$how.conf" imap 2>"$T/gw.log" &
	gpid=$!
	check "$how: the service waits with IDLE" \
		wait_until "grep -q 'waiting for mail with IDLE' '$T/gw.log'" 50
	put_mail
	check "$how: the first is moved to the folder" \
		wait_until '[ "$(count_mail "$M/.Gone")" -eq 1 ]' 50
	doveadm -c "$T/main/dovecot.conf" mailbox delete -u tester -r Gone \
		>"$T/doveadm.log" 2>&1
	check "$how: doveadm deleted the folder" [ ! -d "$M/.Gone" ]
	put_mail
	check "$how: the next is queued" \
		wait_until '[ "$(rows)" -eq $((before + 2)) ]' 50
	check "$how: the folder made again, the mail moved there" \
		wait_until '[ "$(count_mail "$M/.Gone")" -eq 1 ]' 50
	# without MOVE the copy is in the folder a moment before the
	# EXPUNGE takes it from the INBOX
	check "$how: nothing left in the INBOX" \
		wait_until '[ "$(count_mail "$M")" -eq "$inbox_before" ]' 50
	check "$how: the log says the folder was made again" \
		grep -q 'Gone is gone (deleted by another client?): making it again' \
		"$T/gw.log"
	kill -TERM "$gpid"
	wait "$gpid"
	gpid=
	check "$how: the service logged no sanitizer report" \
		sanitizer_clean "$(cat "$T/gw.log")"
	doveadm -c "$T/main/dovecot.conf" mailbox delete -u tester -r Gone \
		>"$T/doveadm.log" 2>&1
done

# The connection cut in the middle of a FETCH (a server restarted, a
# firewall): here a proxy that closes it after 100,000 bytes from the
# server, within the body of a larger message. The run ends with an
# error, queues nothing cut short, and the next fetches the message
# whole. (libetpan read on at the end of the connection for ever, at
# full CPU, deaf to SIGTERM: the gateway hung and took no more mail.)
cat >"$T/cut.py" <<'EOF'
import socket, sys, threading
port, host, dport, cut = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(port)))
ls.listen(5)
open(sys.argv[5], "w").close()
def up(c, s):
    try:
        while True:
            d = c.recv(65536)
            if not d:
                break
            s.sendall(d)
    except OSError:
        pass
while True:
    c, _ = ls.accept()
    s = socket.create_connection((host, int(dport)))
    threading.Thread(target=up, args=(c, s), daemon=True).start()
    left = int(cut)
    # a sixth argument: a file whose number, when there, is the cut
    try:
        left = int(open(sys.argv[6]).read())
    except (IndexError, OSError, ValueError):
        pass
    try:
        while left > 0:
            d = s.recv(65536)
            if not d:
                break
            c.sendall(d[:left])
            left -= len(d)
    except OSError:
        pass
    # shutdown: a close alone sends no FIN while the thread reads
    c.shutdown(socket.SHUT_RDWR)
    c.close()
    s.close()
EOF
put_mail 300000
before=$(rows)
cut_port=$((plain_port + 7))
python3 "$T/cut.py" "$cut_port" 127.0.0.4 "$plain_port" 100000 \
	"$T/cut.ready" 2>"$T/cut.log" &
pids="$pids $!"
wait_until "[ -e '$T/cut.ready' ]" 50
conf cut "imap_host = 127.0.0.1" "imap_port = $cut_port" \
	"imap_tls = none" "imap_processed = flag"
run timeout -k 5 30 "$CIRM_GATEWAY" -c "$I/cut.conf" --once imap
check "the connection cut within a FETCH: the run ends with an error" \
	[ "$rc" -eq 1 ]
check "the connection cut within a FETCH: it says so" \
	contains "$err" "UID FETCH: connection lost"
check "the connection cut within a FETCH: nothing queued" \
	[ "$(rows)" -eq "$before" ]
conf uncut "imap_host = 127.0.0.4" "imap_port = $plain_port" \
	"imap_tls = none" "imap_processed = flag"
gateway uncut
check_all "the connection whole again: the message is queued whole" <<-'EOF'
	[ "$rc" -eq 0 ]
	[ "$(rows)" -eq $((before + 1)) ]
	[ "$(sql "SELECT count(*) FROM inbox_message WHERE length(raw) > 300000")" -eq 1 ]
EOF

# A good message whose FETCH breaks the connection three sessions in a
# row (a server restarted each time, a slow link that times out) is given
# up: a note for the quarantine, and the mail behind it comes in. But it
# stays in the mailbox unmarked and is fetched again by itself after
# imap_refetch_after, four times longer after each failure, and when it
# comes in the note is resolved and it makes one case. A try that fails
# costs that one session; releasing the note fetches it at once. (It was
# moved or flagged as processed, and never came in unless an
# administrator went to the server; a release put the note back in the
# quarantine.)
cut2_port=$((plain_port + 9))
printf '100000\n' >"$T/cut.limit"
python3 "$T/cut.py" "$cut2_port" 127.0.0.4 "$plain_port" 100000 \
	"$T/cut2.ready" "$T/cut.limit" 2>"$T/cut2.log" &
pids="$pids $!"
wait_until "[ -e '$T/cut2.ready' ]" 50
conf refetch "imap_host = 127.0.0.1" "imap_port = $cut2_port" \
	"imap_tls = none" "imap_processed = flag" "imap_refetch_after = 1"
conf refetchlate "imap_host = 127.0.0.1" "imap_port = $cut2_port" \
	"imap_tls = none" "imap_processed = flag" "imap_refetch_after = 3600"
# the engine, for whom Anna has written more than the flood limit by now
{ cat "$I/cirm.conf"; echo "flood_max_cases = 1000"; } >"$I/engine.conf"
# in_case N: how many times message N is in a case
in_case() {
	sql "SELECT count(*) FROM message WHERE direction = 'in' AND rfc_message_id = '$1.test@example.org'"
}
# notes_waiting: notes for messages given up waiting in the quarantine,
# but for those of the tests before
notes_waiting() {
	echo $(($(sql "SELECT count(*) FROM quarantine WHERE reason LIKE 'the IMAP server failed % of UIDVALIDITY %' AND released_at IS NULL AND discarded_at IS NULL") - notes_before))
}
# refetch_n: messages of the INBOX on the list of those to fetch again
refetch_n() {
	sql "SELECT value FROM gateway_state WHERE gateway = 'imap' AND key = 'refetch INBOX'" |
		tr ',' '\n' | grep -c /
}
# give_up_big CONF: a large message with a small one behind it, fetched
# with CONF until the small one is queued (the large one given up)
give_up_big() {
	put_mail 300000
	big=$n_mail
	put_mail
	small=$n_mail
	before=$(rows)
	runs=0
	while [ $runs -lt 6 ] && [ "$(rows)" -lt $((before + 2)) ]; do
		runs=$((runs + 1))
		gateway "$1"
	done
}
run "$CIRMD" -c "$I/engine.conf" --once
notes_before=0
notes_before=$(notes_waiting)
give_up_big refetch
check_all "refetch: the message cut off three times is given up, the next comes in" <<-'EOF'
	contains "$err" "the server failed 3 times to deliver it"
	contains "$err" "the message stays on the server, unmarked, and is fetched again in 1 s"
	[ "$(rows)" -eq $((before + 2)) ]
	[ -z "$(ls "$M/cur" | grep "^$big\.cirmtest.*:2,.*S")" ]
EOF
run "$CIRMD" -c "$I/engine.conf" --once
check_all "refetch: the note waits in the quarantine, the next is a case" <<-'EOF'
	[ "$(notes_waiting)" -eq 1 ]
	[ "$(in_case $small)" -eq 1 ]
	[ "$(in_case $big)" -eq 0 ]
EOF
sleep 1
gateway refetch
check_all "refetch: tried again when due; cut off again, the next try later" <<-'EOF'
	[ "$rc" -eq 1 ]
	contains "$err" "fetching again the message given up"
	contains "$err" "fetching the message given up again failed; the next try is in 4 s"
EOF
gateway refetch
check_all "refetch: not tried again before then: no session lost" <<-'EOF'
	[ "$rc" -eq 0 ]
	[ -z "$(printf '%s' "$err" | grep 'fetching again')" ]
EOF
printf '100000000\n' >"$T/cut.limit"
before=$(rows)
listed=$(refetch_n)
wait_until "gateway refetch; [ \"\$(rows)\" -gt $before ]" 60
check_all "refetch: the link whole again, it comes in by itself, whole" <<-'EOF'
	[ "$rc" -eq 0 ]
	contains "$err" "the message given up came in after all"
	[ "$(rows)" -eq $((before + 1)) ]
	[ "$(refetch_n)" -eq $((listed - 1)) ]
	ls "$M/cur" | grep -q "^$big\.cirmtest.*:2,Sa$"
EOF
gateway refetch
check "refetch: a session after it fetches nothing again" [ "$(rows)" -eq $((before + 1)) ]
run "$CIRMD" -c "$I/engine.conf" --once
check_all "refetch: it is a case, once; its note is resolved, and audited" <<-'EOF'
	[ "$(in_case $big)" -eq 1 ]
	[ "$(notes_waiting)" -eq 0 ]
	[ "$(sql "SELECT count(*) FROM audit WHERE action = 'quarantine.resolve'")" -eq 1 ]
EOF

# Releasing the note fetches the message again at once, before its time
# (an hour here).
printf '100000\n' >"$T/cut.limit"
give_up_big refetchlate
check "release: a second message given up" [ "$(rows)" -eq $((before + 2)) ]
run "$CIRMD" -c "$I/engine.conf" --once
printf '100000000\n' >"$T/cut.limit"
gateway refetchlate
check "release: not due yet, not tried" \
	[ -z "$(printf '%s' "$err" | grep 'fetching again')" ]
qid=$(sql "SELECT max(id) FROM quarantine WHERE reason LIKE 'the IMAP server failed % of UIDVALIDITY %' AND released_at IS NULL")
run "$CIRMCTL" -c "$I/engine.conf" quarantine release "$qid"
before=$(rows)
gateway refetchlate
check_all "release: the next session fetches it at once" <<-'EOF'
	[ "$rc" -eq 0 ]
	contains "$err" "its note released"
	[ "$(rows)" -eq $((before + 1)) ]
EOF
run "$CIRMD" -c "$I/engine.conf" --once
check_all "release: it is a case, once; no note waits for it" <<-'EOF'
	[ "$(in_case $big)" -eq 1 ]
	[ "$(in_case $small)" -eq 1 ]
	[ "$(notes_waiting)" -eq 0 ]
EOF

# Discarding the note stops the tries for good: the message is marked as
# imap_processed says, flagged or moved, or with delete kept marked
# $cirm (never deleted unread), taken off the list, and no case is made
# of it. (It was fetched again until imap_refetch_days, and a case made
# of what the administrator had thrown away.)
conf refetchdel "imap_host = 127.0.0.1" "imap_port = $cut2_port" \
	"imap_tls = none" "imap_processed = delete" "imap_refetch_after = 1"
# discard_given_up CONF: gives up a large message with CONF, discards its
# note, mends the link and runs CONF again past imap_refetch_after
discard_given_up() {
	printf '100000\n' >"$T/cut.limit"
	give_up_big "$1"
	check "discard ($1): a message given up" [ "$(rows)" -eq $((before + 2)) ]
	run "$CIRMD" -c "$I/engine.conf" --once
	qid=$(sql "SELECT max(id) FROM quarantine WHERE reason LIKE 'the IMAP server failed % of UIDVALIDITY %' AND released_at IS NULL AND discarded_at IS NULL")
	run "$CIRMCTL" -c "$I/engine.conf" quarantine discard "$qid"
	check "discard ($1): its note is discarded" [ "$rc" -eq 0 ]
	printf '100000000\n' >"$T/cut.limit"
	sleep 1
	listed=$(refetch_n)
	before=$(rows)
	gateway "$1"
}
discard_given_up refetch
check_all "discard: not fetched again; flagged processed, off the list" <<-'EOF'
	[ "$rc" -eq 0 ]
	contains "$err" "the note of the message given up was discarded: it is not fetched again, and was flagged processed"
	[ -z "$(printf '%s' "$err" | grep 'fetching again')" ]
	[ "$(rows)" -eq $before ]
	[ "$(refetch_n)" -eq $((listed - 1)) ]
	ls "$M/cur" | grep -q "^$big\.cirmtest.*:2,Sa$"
EOF
gateway refetch
run "$CIRMD" -c "$I/engine.conf" --once
check_all "discard: a session after it fetches nothing; no case, no note waits" <<-'EOF'
	[ "$(rows)" -eq $before ]
	[ "$(in_case $big)" -eq 0 ]
	[ "$(notes_waiting)" -eq 0 ]
EOF
# The messages above that Dovecot may not open stay so: delete mode's
# search by size (LARGER) of mail left unmarked, which fails on them as
# a whole, must leave them out.
check "delete: messages Dovecot cannot open are still there" \
	[ -n "$(find "$M/new" "$M/cur" -name '*.cirmtest*' ! -perm -u+r)" ]
discard_given_up refetchdel
check_all "discard, delete: not fetched again; kept marked \$cirm, not deleted" <<-'EOF'
	[ "$rc" -eq 0 ]
	contains "$err" "was discarded: it is not fetched again, and was kept in the mailbox, marked \$cirm"
	[ "$(rows)" -eq $before ]
	[ "$(refetch_n)" -eq $((listed - 1)) ]
	ls "$M/cur" | grep -q "^$big\.cirmtest.*:2,Sa$"
EOF
gateway refetchdel
check_all "discard, delete: a session after it leaves it there" <<-'EOF'
	[ "$rc" -eq 0 ]
	[ "$(rows)" -eq $before ]
	ls "$M/cur" | grep -q "^$big\.cirmtest.*:2,Sa$"
EOF

# The service waiting with IDLE sees a release, and a message given up
# whose time comes, within seconds: it asks the database every 10 s
# while it waits. (It saw them when the IDLE ended, with this
# imap_poll_interval of an hour every 10 min, or an hour without IDLE.)
conf idle "imap_host = 127.0.0.1" "imap_port = $cut2_port" \
	"imap_tls = none" "imap_processed = flag" "imap_refetch_after = 3600"
sed -i 's/^imap_poll_interval = 5$/imap_poll_interval = 3600/' "$I/idle.conf"
# due_in UID SECONDS: message UID given up is due SECONDS from now
due_in() {
	_v=$(sql "SELECT value FROM gateway_state WHERE gateway = 'imap' AND key = 'refetch INBOX'" |
		sed -E "s#(^[0-9]+:|,)$1/([0-9]+)/[0-9]+/#\\1$1/\\2/$(($(date +%s) + $2))/#")
	sql "UPDATE gateway_state SET value = '$_v' WHERE gateway = 'imap' AND key = 'refetch INBOX'"
}
# last_given_up: the UID last put on the list of those to fetch again
last_given_up() {
	sql "SELECT value FROM gateway_state WHERE gateway = 'imap' AND key = 'refetch INBOX'" |
		tr ',' '\n' | tail -n 1 | sed 's/^[0-9]*://' | cut -d/ -f1
}
printf '100000\n' >"$T/cut.limit"
give_up_big idle
released=$big
released_uid=$(last_given_up)
give_up_big idle
due_uid=$(last_given_up)
# release_waiting CONF LABEL WAITING: runs the service on CONF with the
# line unbroken until it logs WAITING ("with IDLE", "by polling"), then
# releases the note of $released_uid, which must be fetched within 15 s.
# The service is left running as $gpid.
release_waiting() {
	run "$CIRMD" -c "$I/engine.conf" --once
	printf '100000000\n' >"$T/cut.limit"
	: >"$T/gw.log"
	"$CIRM_GATEWAY" -c "$I/$1.conf" imap 2>"$T/gw.log" &
	gpid=$!
	check "$2: the service waits $3" \
		wait_until "grep -q 'waiting for mail $3' '$T/gw.log'" 50
	sleep 2
	before=$(rows)
	qid=$(sql "SELECT id FROM quarantine WHERE dedupe_key GLOB 'unfetchable:*:$released_uid' AND released_at IS NULL")
	run "$CIRMCTL" -c "$I/engine.conf" quarantine release "$qid"
	check_all "$2: a release fetches the message within 15 s" <<-'EOF'
		wait_until '[ "$(rows)" -gt $before ]' 150
		grep -q "UID $released_uid: fetching again the message given up .*, its note released)$" "$T/gw.log"
	EOF
}
release_waiting idle IDLE "with IDLE"
before=$(rows)
due_in "$due_uid" 3
check_all "IDLE: one whose time comes is fetched within 15 s of it" <<-'EOF'
	wait_until '[ "$(rows)" -gt $before ]' 180
	grep -q "UID $due_uid: fetching again the message given up .* (try 1)$" "$T/gw.log"
EOF
kill -TERM "$gpid"
wait "$gpid"
gpid=
check "IDLE: the service logged no sanitizer report" \
	sanitizer_clean "$(cat "$T/gw.log")"
run "$CIRMD" -c "$I/engine.conf" --once
check_all "IDLE: both are cases, once; no note waits" <<-'EOF'
	[ "$(in_case $released)" -eq 1 ]
	[ "$(in_case $big)" -eq 1 ]
	[ "$(notes_waiting)" -eq 0 ]
EOF

# The same by polling (imap_idle = no), every hour here: a release is
# seen within seconds too.
conf poll "imap_host = 127.0.0.1" "imap_port = $cut2_port" \
	"imap_tls = none" "imap_processed = flag" "imap_refetch_after = 3600" \
	"imap_idle = no"
sed -i 's/^imap_poll_interval = 5$/imap_poll_interval = 3600/' "$I/poll.conf"
printf '100000\n' >"$T/cut.limit"
give_up_big poll
released=$big
released_uid=$(last_given_up)
release_waiting poll polling "by polling"
kill -TERM "$gpid"
wait "$gpid"
gpid=
check "polling: the service logged no sanitizer report" \
	sanitizer_clean "$(cat "$T/gw.log")"

done_testing
