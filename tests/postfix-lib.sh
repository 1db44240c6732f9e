# SPDX-License-Identifier: GPL-3.0-or-later
# Shared by the tests that run their own Postfix on loopback (postfix.sh,
# smtp.sh): sourced after lib.sh. Skips the script unless Postfix can be
# started here, then sets the paths and the helpers each of them needs.
# The caller writes main.cf and master.cf: postfix_main_cf and
# postfix_services give the lines they share, and it adds its own.

PATH=$PATH:/usr/sbin:/sbin
for c in postfix postconf postqueue; do
	command -v $c >/dev/null ||
		skip_all "Postfix not installed (apt-get install postfix)"
done
[ "$(id -u)" -eq 0 ] || skip_all "Postfix must be started as root"
id postfix >/dev/null 2>&1 || skip_all "no user postfix (the Debian package creates it)"
getent group postdrop >/dev/null || skip_all "no group postdrop (the Debian package creates it)"

# Postfix's pipe(8) transport refuses to run its command as root.
PIPE_USER=nobody
PIPE_GROUP=$(id -gn "$PIPE_USER") || skip_all "no user $PIPE_USER"

I=$T/inst
C=$I/cirm.conf
DB=$I/cirm.db
PF=$T/pf
LOG=$T/maillog

# A free TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# The main.cf lines both tests share: queue, data and log under $T, and
# no mail ever leaves the machine.
postfix_main_cf() {
	cat <<EOF
compatibility_level = 3.6
queue_directory = $T/queue
data_directory = $T/data
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file = $LOG
maillog_file_prefixes = $T
myhostname = mail.kommun.example
mydomain = kommun.example
myorigin = \$myhostname
inet_interfaces = loopback-only
inet_protocols = ipv4
smtpd_banner = \$myhostname ESMTP
alias_maps =
alias_database =
transport_maps = texthash:$PF/transport
default_transport = error:no mail leaves this test
relay_transport = error:no mail leaves this test
notify_classes =
biff = no
EOF
}

# Postfix's own services, for master.cf.
postfix_services() {
	cat <<EOF
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

# Stops the Postfix this script started (set started=1 once it runs).
# 0 when its master process is gone.
started=
stop_postfix() {
	[ -n "$started" ] || return 0
	started=
	pid=$(sed 1q "$T/queue/pid/master.pid" 2>/dev/null | tr -d ' ')
	postfix -c "$PF" stop >/dev/null 2>&1
	# postfix stop waits for the master; make sure it is gone.
	i=0
	while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
	[ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null
}

sql() {
	sqlite3 -cmd '.timeout 5000' "$DB" "$1"
}

# Shows the end of the mail log when a check fails.
show_log() {
	echo "# maillog:"
	tail -n 15 "$LOG" 2>/dev/null | sed 's/^/#   /'
}
