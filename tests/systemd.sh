#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The systemd unit (tools/cirmd.service): it names the installed cirmd,
# systemd-analyze finds nothing wrong in it, and cirmd does its work in
# the sandbox the unit asks for: an unprivileged user, no capabilities,
# no new privileges, the whole file system read-only but the instance.
# (This machine may not run systemd itself, so the sandbox is made here
# with unshare and setpriv.)
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE=
unset CIRM_CONF

U=$top_builddir/tools/cirmd.service
[ -f "$U" ] || skip_all "no tools/cirmd.service (configured --without-systemdsystemunitdir)"
command -v systemd-analyze >/dev/null ||
	skip_all "systemd-analyze not installed (apt-get install systemd)"

sbindir=$(sed -n 's/^ExecStart=\(.*\)\/cirmd -c .*/\1/p' "$U")
check "the unit starts cirmd from sbindir, on /var/lib/cirm" \
	grep -q '^ExecStart=/.*/cirmd -c /var/lib/cirm/cirm.conf$' "$U"
check "... no placeholder left" [ -n "$sbindir" -a -z "$(grep @ "$U")" ]
check "SIGHUP reloads" grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$U"
check "a configuration error or a second cirmd is not restarted" \
	grep -q '^RestartPreventExitStatus=75 78$' "$U"

# As installed, with the cirmd of this build.
bd=$(cd "$top_builddir" && pwd)
sed "s|^ExecStart=[^ ]*/cirmd |ExecStart=$bd/cirmd |" "$U" \
	>"$T/cirmd.service"
run systemd-analyze verify --man=no "$T/cirmd.service"
check "systemd-analyze verify: no warnings" [ "$rc" -eq 0 -a -z "$err$out" ]
printf 'Frobnicate=yes\n' >>"$T/cirmd.service"
run systemd-analyze verify --man=no "$T/cirmd.service"
check "... which it would give for a key it does not know" \
	contains "$err$out" "Frobnicate"

why=
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null ||
   ! command -v setpriv >/dev/null; then
	why="the sandbox needs root, unshare and setpriv (util-linux)"
elif ! unshare --mount true 2>/dev/null; then
	# a chroot whose / is no mount point, a container without the right
	why="no mount namespace here (unshare --mount fails)"
fi
if [ -n "$why" ]; then
	if [ -n "${CI:-}" ]; then
		not_ok "cannot run under CI: $why"
	else
		tap_n=$((tap_n + 1))
		echo "ok $tap_n # SKIP $why"
	fi
	done_testing
	exit
fi

# The instance, owned by an unprivileged user, as the unit's User= has it.
I=$T/inst
C=$I/cirm.conf
"$CIRMCTL" init "$I" >/dev/null || exit 99
cat >"$I/maildir/inbox/new/1.eml" <<EOF
From: Anna Svensson <anna@example.se>
To: kommunen@kommun.example
Subject: Gatlampan
Message-ID: <lampa.1@example.se>

Gatlampan vid skolan lyser inte.
EOF
chown -R nobody:nogroup "$I"
chmod 0755 "$T"
# The service user runs a copy (for_nobody), with cirm-gateway beside it.
cirmd=$(for_nobody "$top_builddir/cirmd") || exit 99
unshare --mount sh -c '
	mount --bind "$1" "$1" && mount -o remount,bind,ro / || exit 99
	if touch /probe-$$ 2>/dev/null; then rm -f /probe-$$; exit 98; fi
	exec setpriv --reuid=nobody --regid=nogroup --clear-groups \
		--no-new-privs --inh-caps=-all --bounding-set=-all \
		"$2" -c "$3" 2>"$1/cirmd.log"
' sandbox "$I" "$cirmd" "$C" &
pid=$!
i=0
while [ -z "$(find "$I/maildir/outbound" -type f 2>/dev/null)" ] && [ $i -lt 150 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill "$pid" 2>/dev/null
wait "$pid"
rc=$?
check "in the sandbox: the acknowledgement is written" \
	[ -n "$(find "$I/maildir/outbound/anna@example.se/new" -type f)" ]
check "... the inbox mail is taken" \
	[ -z "$(find "$I/maildir/inbox/new" -type f)" ]
check "... the files are the service user's" \
	[ "$(stat -c %U "$I/cirm.db")" = nobody ]
check "... cirmd stopped cleanly on SIGTERM (exit $rc)" \
	[ "$rc" -eq 0 -a -n "$(grep 'info: stopped' "$I/cirmd.log")" ]
check "... with no warning but the demo's missing handler group" \
	[ -z "$(grep -v 'info:' "$I/cirmd.log" | grep -v 'no handler group')" ]

done_testing
