# SPDX-License-Identifier: GPL-3.0-or-later
# Shared by the shell tests: TAP output and a scratch directory.
# Sourced with top_srcdir and top_builddir set by the test harness.

: "${top_srcdir:=.}" "${top_builddir:=.}"
# cirmd and cirmctl keep Swedish time when TZ is unset; the tests'
# own dates (date +%Y for a case number's year) must too, or they
# differ from cirm's for an hour at New Year on a host left on UTC.
TZ=${TZ:-Europe/Stockholm}
export TZ
CIRMCTL=$top_builddir/cirmctl
CIRMD=$top_builddir/cirmd
MKCASE=$top_builddir/tests/mkcase

tap_n=0
tap_failed=0

ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $*"
}

not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $*"
}

# check DESCRIPTION COMMAND...: one test, passing when COMMAND succeeds.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# check_all DESCRIPTION <<-'EOF' ... EOF: one test, passing when every
# command of the shell condition on standard input holds. For a condition of
# several commands: in "check D A && B" the shell runs B after check, so
# that only A is the test.
check_all() {
	_check_desc=$1
	_check_cond=$(cat)
	# each line must hold, not only the last: set -e in a subshell run
	# as a command of its own (in an if, or before ||, it is ignored)
	(set -e; eval "$_check_cond")
	_check_rc=$?
	if [ "$_check_rc" -eq 0 ]; then ok "$_check_desc"; else not_ok "$_check_desc"; fi
}

# housekeeping CONF LOG [PATTERN]: runs cirmd on CONF without gateways
# until its log (LOG) has PATTERN, by default until its housekeeping has
# run once (it logs "spool prune:" last); 10 s at most; then stops it.
housekeeping() {
	"$CIRMD" -c "$1" --no-gateways >/dev/null 2>"$2" &
	_hk_pid=$!
	_hk_w=0
	while ! grep -q "${3:-spool prune:}" "$2" && [ $_hk_w -lt 100 ]; do
		sleep 0.1
		_hk_w=$((_hk_w + 1))
	done
	kill -TERM $_hk_pid
	wait $_hk_pid
}

# Skips the whole script with a reason. Under CI nothing may be skipped.
skip_all() {
	if [ -n "${CI:-}" ]; then
		echo "1..1"
		echo "not ok 1 - cannot run under CI: $*"
		exit 1
	fi
	echo "1..0 # SKIP $*"
	exit 0
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

# Runs COMMAND, keeping its stdout, stderr and status in $out, $err, $rc.
run() {
	out=$("$@" 2>"$T/stderr")
	rc=$?
	err=$(cat "$T/stderr")
}

contains() {
	case $1 in *"$2"*) return 0 ;; esac
	echo "# expected to find: $2" >&2
	echo "# in: $1" | head -20 >&2
	return 1
}

# contains_text TEXT NEEDLE: contains, where runs of spaces and line
# breaks count as one space (a mail wrapped at 72 columns).
contains_text() {
	contains "$(printf '%s' "$1" | tr '\n' ' ' | tr -s ' ')" \
		"$(printf '%s' "$2" | tr '\n' ' ' | tr -s ' ')"
}

# make_ca NAME: a test CA, $T/NAME.pem and $T/NAME.key. openssl's
# complaints go to $T/openssl.log.
make_ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-days 2 -subj "/CN=cirm test $1" \
		-addext basicConstraints=critical,CA:TRUE \
		-keyout "$T/$1.key" -out "$T/$1.pem" 2>>"$T/openssl.log"
}

# make_cert NAME CA SUBJECT-ALT-NAMES: a TLS server certificate signed by
# make_ca's CA, $T/NAME.pem and $T/NAME.key.
make_cert() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj "/CN=$1" -keyout "$T/$1.key" -out "$T/$1.csr" \
		2>>"$T/openssl.log" &&
	printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$3" \
		>"$T/$1.ext" &&
	openssl x509 -req -in "$T/$1.csr" -CA "$T/$2.pem" -CAkey "$T/$2.key" \
		-CAcreateserial -days 2 -extfile "$T/$1.ext" -out "$T/$1.pem" \
		2>>"$T/openssl.log"
}

# kill_gateway_when_sent GATEWAY N: runs cirm-gateway GATEWAY on the
# instance $I and kills it with SIGKILL once N of its outbox rows are
# 'sent' (or after 20 s), as a crash in the middle of a batch. Uses the
# test's sql(); sets gwpid while the gateway runs.
kill_gateway_when_sent() {
	"$top_builddir/cirm-gateway" -c "$I/cirm.conf" "$1" 2>"$T/crash.err" &
	gwpid=$!
	i=0
	until [ "$(sql "SELECT count(*) FROM outbox WHERE status = 'sent'")" -ge "$2" ] ||
	      [ $i -gt 400 ]; do
		i=$((i + 1))
		sleep 0.05
	done
	kill -9 "$gwpid"
	wait "$gwpid" 2>/dev/null
	gwpid=
}

mode_of() {
	stat -c %a "$1"
}

T=$(mktemp -d "${TMPDIR:-/tmp}/cirm-test.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT

# for_nobody PROGRAM: prints what the user nobody runs for PROGRAM
# ($T must be open to nobody: chmod 711). cirm's programs are copies in
# $T/bin, all of them side by side as installed (cirmd starts the
# cirm-gateway beside it): the build tree may be where nobody cannot
# go, such as a clone in /root, which is 0700.
for_nobody() {
	case $1 in
	"$top_builddir"/*)
		if [ ! -d "$T/bin" ]; then
			mkdir -m 0755 "$T/bin" &&
			cp "$top_builddir/cirmd" "$top_builddir/cirmctl" \
			   "$top_builddir/cirm-gateway" \
			   "$top_builddir/cirm-mailgate" "$T/bin/" || return 99
		fi
		echo "$T/bin/${1##*/}"
		;;
	*)
		echo "$1"
		;;
	esac
}

# as_nobody PROGRAM [ARG...]: PROGRAM run as the user nobody, as a
# service's own user would run it (root only; see for_nobody).
as_nobody() {
	_as_nobody_p=$(for_nobody "$1") || return 99
	shift
	setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
		"$_as_nobody_p" "$@"
}

# hold_write_lock DB: another writer holds DB's write lock, as cirmd
# would: an sqlite3 shell reading from a FIFO (its pid in $holder, its
# output in $T/holder.out) opens a write transaction and keeps it until
# release_write_lock. Returns once the lock is seen held; 1 if it is
# not within 10 s.
hold_write_lock() {
	rm -f "$T/holder.fifo"
	mkfifo "$T/holder.fifo"
	sqlite3 -cmd '.timeout 10000' "$1" <"$T/holder.fifo" \
		>"$T/holder.out" 2>&1 &
	holder=$!
	exec 3>"$T/holder.fifo"
	echo "BEGIN IMMEDIATE;" >&3
	_i=0
	until sqlite3 -cmd '.timeout 0' "$1" 'BEGIN IMMEDIATE; ROLLBACK;' 2>&1 |
	      grep -q locked; do
		_i=$((_i + 1))
		[ $_i -gt 200 ] && return 1
		sleep 0.05
	done
}

# release_write_lock [COMMIT|ROLLBACK]: ends the holder's transaction
# (COMMIT by default) and waits for it to exit.
release_write_lock() {
	echo "${1:-COMMIT};" >&3
	exec 3>&-
	wait "$holder"
	holder=
}
