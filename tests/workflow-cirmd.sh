#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# cirmd runs cases through workflows: routing by address, timers that
# survive restarts and fire once, reloads that never replace a good
# workflow with a bad one, versions kept by running cases.
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE=
unset CIRM_CONF

command -v sqlite3 >/dev/null || skip_all "sqlite3 command-line tool not installed (apt-get install sqlite3)"

I=$T/inst
C=$I/cirm.conf
"$CIRMCTL" init "$I" >/dev/null || exit 99
printf 'engine_poll_interval = 1\nworkflow_routes = felanmalan@kommun.example=felanmalan\n' >>"$C"

sql() {
	sqlite3 -cmd '.timeout 5000' "$I/cirm.db" "$1"
}

# mail FROM TO MESSAGE-ID SUBJECT TEXT: queues one mail in the inbox.
mail() {
	sql "INSERT INTO inbox (channel, source, received_at, raw) VALUES ('email', 'test', strftime('%s','now'), CAST('From: $1
To: $2
Subject: $4
Message-ID: <$3>

$5' AS BLOB))"
}

wait_for() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 300 ] && return 1
		sleep 0.1
	done
}

# A new instance has recorded no workflow yet: export says so, with no
# empty list of the ones known.
run "$CIRMCTL" -c "$C" workflow export synpunkt
check_all "workflow export before any version is recorded: said, no empty list" <<-'EOF'
	[ "$rc" -eq 1 ]
	contains "$err" "the database has no version of workflow synpunkt"
	if contains "$err" "knows are"; then false; fi
EOF
mail anna@example.se arende@kommun.example a1@example.se Buller "Det bullrar."
mail bo@example.se felanmalan@kommun.example b1@example.se Lampa "Gatlampan vid skolan lyser inte."
run "$CIRMD" -c "$C" --once
check "cirmd --once runs" [ "$rc" -eq 0 ]
check "the case address starts the default workflow" [ \
	"$(sql "SELECT workflow || ' ' || workflow_version || ' ' || state FROM cases WHERE number LIKE '%00001'")" = "synpunkt 1 registrerad" ]
check "a routed address starts its workflow, sorted by the text" [ \
	"$(sql "SELECT workflow || ' ' || category FROM cases WHERE number LIKE '%00002'")" = "felanmalan belysning" ]
check "the acknowledgement continues the thread, with a signed Reply-To" [ \
	"$(sql "SELECT count(*) FROM outbox WHERE recipient = 'anna@example.se' AND headers LIKE '%Reply-To: arende+ks-2026-00001.%In-Reply-To: <a1@example.se>%'")" -eq 1 ]
check "the escalation timer is armed in the database" [ \
	"$(sql "SELECT count(*) FROM timer WHERE case_id = 1 AND name = 'eskalering' AND fired_at IS NULL")" -eq 1 ]
check "no handlers yet: the case says so, nothing is lost" [ \
	"$(sql "SELECT count(*) FROM event WHERE case_id = 1 AND kind = 'action.skipped'")" -ge 1 ]

# Times are Swedish whatever the host's zone (many servers and
# containers are left on UTC): 09:00 UTC on 3 December is 10:00.
sql "UPDATE cases SET received_at = 1796288400 WHERE id = 1"
run env -u TZ "$CIRMCTL" -c "$C" case show KS-2026-00001
check "a case's times are Swedish time without TZ" contains "$out" \
	"2026-12-03 10:00"
run env TZ=UTC "$CIRMCTL" -c "$C" case show KS-2026-00001
check "... and TZ still chooses another zone" contains "$out" \
	"2026-12-03 09:00"
# A deadline at a business day's opening (Monday 08:00) is the closing
# of the day before it: case show says Friday, as Eva's mail does.
sql "UPDATE cases SET due_at = $(date -u -d '2026-12-21 07:00' +%s) WHERE id = 1"
run "$CIRMCTL" -c "$C" case show KS-2026-00001
check "case show's due date is the one the case officers read (Friday)" \
	sh -c 'printf "%s\n" "$1" | grep -q "^Due: *2026-12-18 "' sh "$out"
# The state as the case officers' mail names it (the workflow's label),
# with the id that workflow migrate takes; case list --state takes both.
sql "UPDATE cases SET state = 'vantar-svar' WHERE id = 1"
run "$CIRMCTL" -c "$C" case show KS-2026-00001
check "case show: a state by its label, with its id" \
	sh -c 'printf "%s\n" "$1" | grep -q "^State: *väntar på svar (vantar-svar)\$"' sh "$out"
run "$CIRMCTL" -c "$C" case list
check "case list: the state by its label too" \
	sh -c 'printf "%s\n" "$1" | grep -q "^KS-2026-00001  *väntar på svar  *email "' sh "$out"
for s in vantar-svar "väntar på svar" "Väntar på SVAR"; do
	run "$CIRMCTL" -c "$C" case list --state "$s"
	check "case list --state '$s' finds it" \
		[ "$(printf '%s\n' "$out" | grep -c '^KS-2026-00001 ')" -eq 1 ]
done
run "$CIRMCTL" -c "$C" case list --state "väntar"
check "a state no case is in: its label and id listed with the count" \
	contains "$out" "väntar på svar (vantar-svar, 1)"
sql "UPDATE cases SET state = 'registrerad' WHERE id = 1"
run "$CIRMCTL" -c "$C" case show KS-2026-00001
check "... a state whose label is its id, once" \
	sh -c 'printf "%s\n" "$1" | grep -q "^State: *registrerad\$"' sh "$out"
sql "INSERT INTO event (case_id, at, kind, from_state, to_state) VALUES (1, strftime('%s','now'), 'cmd.ask', 'registrerad', 'vantar-svar')"
run "$CIRMCTL" -c "$C" case show KS-2026-00001
check "... and so does its history, each state once when the two agree" \
	contains "$out" "registrerad -> väntar på svar (vantar-svar)"
sql "DELETE FROM event WHERE kind = 'cmd.ask' AND case_id = 1"

# Two business days later, in another process: the timer fires once.
sql "UPDATE timer SET fire_at = strftime('%s','now') - 60 WHERE case_id = 1 AND name = 'eskalering'"
run "$CIRMD" -c "$C" --once
check "a due timer fires after a restart" [ \
	"$(sql "SELECT priority FROM cases WHERE id = 1")" = high ]
run "$CIRMD" -c "$C" --once
check "... exactly once" [ \
	"$(sql "SELECT count(*) FROM event WHERE case_id = 1 AND kind = 'timer.escalate'")" -eq 1 ]

# The citizen writes again: the workflow's mail.citizen.
mail anna@example.se arende@kommun.example a2@example.se "SV: Buller [KS-2026-00001]" "Nu igen."
run "$CIRMD" -c "$C" --once
check "a follow-up is the workflow's mail.citizen" [ \
	"$(sql "SELECT count(*) FROM event WHERE case_id = 1 AND kind = 'mail.citizen' AND to_state = 'registrerad'")" -eq 1 ]

# An old version's file kept beside the new one: whatever the names, the
# newest version starts new cases and the old one is recorded, no error.
I2=$T/inst2
"$CIRMCTL" init "$I2" >/dev/null || exit 99
sed 's/id="synpunkt" version="1"/id="synpunkt" version="2"/' \
	"$I2/workflows/synpunkt.xml" >"$I2/workflows/synpunkt-v2.xml"
run "$CIRMD" -c "$I2/cirm.conf" --once
check "an old version's file beside the new one is no error" sh -c \
	'[ "$1" -eq 0 ] && ! printf "%s\n" "$2" | grep -q "older than"' - "$rc" "$err"
check "... both versions are recorded" [ "$(sqlite3 "$I2/cirm.db" \
	"SELECT group_concat(version) FROM (SELECT version FROM workflow_def WHERE workflow = 'synpunkt' ORDER BY version)")" = "1,2" ]

# The service, reloading workflows on SIGHUP.
"$CIRMD" -c "$C" >"$T/d.out" 2>>"$T/d.log" &
pid=$!
check "service starts" wait_for "$T/d.log" "started"
W=$I/workflows
cp "$W/synpunkt.xml" "$T/synpunkt.good"
printf '<broken' >>"$W/synpunkt.xml"
kill -HUP "$pid"
check "a bad workflow is logged with file:line" wait_for "$T/d.log" "synpunkt.xml:[0-9]*: "
check "... and the reload goes on" wait_for "$T/d.log" "configuration reloaded"
check "... saying which version keeps running" \
	grep -q "workflow synpunkt: version 1, which ran before, keeps running" "$T/d.log"
mail cia@example.se arende@kommun.example c1@example.se Parkering "Bilar på gräset."
check "new cases still get the good version" wait_for "$T/d.log" "1 done"
check "... which is version 1" [ \
	"$(sql "SELECT workflow || ' ' || workflow_version FROM cases WHERE number LIKE '%00003'")" = "synpunkt 1" ]

# Version 2 for new cases; running cases keep version 1.
sed 's/id="synpunkt" version="1"/id="synpunkt" version="2"/' "$T/synpunkt.good" >"$W/synpunkt.xml"
: >"$T/d.log"
kill -HUP "$pid"
check "version 2 loads" wait_for "$T/d.log" "configuration reloaded"
check "... which the log says" \
	grep -q "workflow synpunkt: version 2 ($W/synpunkt.xml) now starts new cases instead of version 1; running cases keep theirs" "$T/d.log"
check "... of that workflow alone" sh -c '! grep -q "felanmalan.*now starts" "$1"' - "$T/d.log"
mail dan@example.se arende@kommun.example d1@example.se Skolan "Skolgården är mörk."
check "a case on version 2" wait_for "$T/d.log" "1 done"
check "... new cases start version 2" [ \
	"$(sql "SELECT workflow_version FROM cases WHERE number LIKE '%00004'")" -eq 2 ]
check "... running cases keep version 1" [ \
	"$(sql "SELECT group_concat(workflow_version) FROM cases WHERE id IN (1, 3)")" = "1,1" ]
check "both versions are kept with their source" [ \
	"$(sql "SELECT count(*) FROM workflow_def WHERE workflow = 'synpunkt'")" -eq 2 ]

# Changing a version in use without a new number is refused.
sed 's/<title>/<title>Ändrad: /' "$W/synpunkt.xml" >"$T/changed" && cp "$T/changed" "$W/synpunkt.xml"
run "$CIRMCTL" -c "$C" workflow check "$W/synpunkt.xml"
check "workflow check -c says so before cirmd is told" [ "$rc" -eq 1 ]
check "... with the reason, at the line of the version" contains "$err" \
	"synpunkt.xml:23: workflow synpunkt version 2 is already in use with other contents"
check "... and the number to give it" contains "$err" \
	"a new version number, such as 3 (the newest the database has is 2)"
check "... or how to put back the file that ran" contains "$err" \
	"or put back the file that ran: cirmctl workflow export synpunkt --version 2"
: >"$T/d.log"
kill -HUP "$pid"
check "an edited version 2 is refused" wait_for "$T/d.log" "give the changed workflow a new version number"
check "... at the line of the version" \
	grep -q "synpunkt.xml:23: workflow synpunkt version 2 is already in use" "$T/d.log"
check "... naming a number no version has had" \
	grep -q "give the changed workflow a new version number, such as 3 (the newest the database has is 2)" "$T/d.log"
check "... or how to put back the file that ran (a shipped one changed by an upgrade)" \
	grep -q "(the newest the database has is 2), or put back the file that ran: cirmctl workflow export synpunkt --version 2" "$T/d.log"
# A named pipe among the workflows does not hang the reload in open(2).
sed 's/id="synpunkt" version="1"/id="synpunkt" version="2"/' "$T/synpunkt.good" >"$W/synpunkt.xml"
mkfifo "$W/pipe.xml"
: >"$T/d.log"
kill -HUP "$pid"
check "a named pipe in workflow_dir does not hang a reload" \
	wait_for "$T/d.log" "configuration reloaded"
check "... and is reported" wait_for "$T/d.log" "pipe.xml: not a regular file"
timeout 1 sh -c ': >"$1"' - "$W/pipe.xml" 2>/dev/null	# frees a stuck reader
rm -f "$W/pipe.xml"
# A copy that keeps the id and version: neither file is taken, both named.
sed 's/<title>/<title>Ny: /' "$W/synpunkt.xml" >"$W/synpunkt-ny.xml"
run "$CIRMCTL" workflow check "$W/synpunkt-ny.xml"
check "workflow check refuses a copy with the same id and version" [ "$rc" -eq 1 ]
check "... naming both files with their lines" sh -c 'printf "%s\n" "$1" |
	grep -q "synpunkt-ny.xml:[0-9]*: workflow synpunkt version 2 is also in .*/synpunkt.xml:[0-9]*: "' - "$err"
: >"$T/d.log"
kill -HUP "$pid"
check "cirmd names both on reload" wait_for "$T/d.log" \
	"synpunkt.xml:[0-9]*: workflow synpunkt version 2 is also in .*synpunkt-ny.xml:[0-9]*:"
check "... and keeps the version that ran before" wait_for "$T/d.log" \
	"workflow synpunkt: version 2, which ran before, keeps running"
check "... which the reload counts among its errors" wait_for "$T/d.log" \
	"configuration reloaded with 3 errors"
# ... also with an older version's file beside them, which must not
# take over the new cases.
cp "$T/synpunkt.good" "$W/synpunkt-v1.xml"
: >"$T/d.log"
kill -HUP "$pid"
check "a copy of the newest version does not hand new cases to an older one" \
	wait_for "$T/d.log" "workflow synpunkt: version 1 ($W/synpunkt-v1.xml) would start new cases instead of version 2 while files of the directory are refused; version 2 keeps running"
mail gun@example.se arende@kommun.example g1@example.se Lekplatsen "Rutschkanan är trasig."
check "... a new case then" wait_for "$T/d.log" "1 done"
check "... gets version 2" [ \
	"$(sql "SELECT c.workflow_version FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = 'gun@example.se'")" -eq 2 ]
rm "$W/synpunkt-ny.xml" "$W/synpunkt-v1.xml"
run "$CIRMCTL" workflow check "$W/synpunkt.xml" "$I/./workflows/synpunkt.xml"
check "... but the same file given twice is no copy" [ "$rc" -eq 0 ]
# With -c, a copy being edited outside workflow_dir is compared with
# the files cirmd loads, not with a backup kept beside it.
mkdir "$T/edit"
cp "$W/synpunkt.xml" "$T/edit/synpunkt.xml"
cp "$W/synpunkt.xml" "$T/edit/synpunkt-gammal.xml"
run "$CIRMCTL" -c "$C" workflow check "$T/edit/synpunkt.xml"
check "with -c, a backup beside a copy being edited is no twin" \
	[ "$rc" -eq 0 -a -z "$err" ]
run "$CIRMCTL" -c "$C" workflow check "$T/edit/synpunkt-gammal.xml"
check "... but a file of workflow_dir with its version is" contains "$err" \
	"synpunkt-gammal.xml:23: workflow synpunkt version 2 is also in $W/synpunkt.xml:23:"
run "$CIRMCTL" workflow check "$T/edit/synpunkt.xml"
check "... and without -c its neighbours are still compared" [ "$rc" -eq 1 ]
# A reload whose default workflow is not usable keeps the old
# configuration as a whole: not only the engine, also the logging and
# the gateways' settings.
cp "$C" "$T/conf.good"
printf 'workflow_default = nosuch\nmaildir_poll_interval = 7\n' >>"$C"
# ... and the templates: one edited meanwhile is not read.
A=$I/templates/sv/acknowledgement
cp "$A" "$T/ack.good"
sed 's/^Hej!$/Hej! REDIGERAD/' "$T/ack.good" >"$A"
: >"$T/d.log"
kill -HUP "$pid"
check "an unusable default workflow on reload is logged" \
	wait_for "$T/d.log" "workflow_default: workflow nosuch is not usable"
check "... and the old configuration stays" wait_for "$T/d.log" "old one stays"
check "... the gateways too" sh -c '! grep -q "gateways restarted" "$1"' - "$T/d.log"
mail eva@example.se arende@kommun.example e1@example.se Gungan "Gungan är trasig."
check "a case after the refused reload" wait_for "$T/d.log" "1 done"
check "... is acknowledged with the template as it was" [ \
	"$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = 'eva@example.se' AND body LIKE 'Hej!%' AND body NOT LIKE '%REDIGERAD%'")" -eq 1 ]
cp "$T/conf.good" "$C"
# A template broken before an accepted reload: told with file:line, and
# the text read before stays; citizens never get a gap or nothing.
sed 's/{{municipality.name}}/{{kommun.namn}}/' "$T/ack.good" >"$A"
: >"$T/d.log"
kill -HUP "$pid"
check "a broken template on reload is told with file:line" wait_for "$T/d.log" \
	"templates/sv/acknowledgement:[0-9]*: unknown variable 'kommun.namn'; the text read before stays"
check "... and the reload goes on" wait_for "$T/d.log" "configuration reloaded"
check "... the workflows it breaks keep their version, not said to be the file's fault" \
	grep -q "workflow synpunkt: version [0-9]*, which ran before, keeps running (no file of it loaded and passed its checks: see the errors)" "$T/d.log"
mail fia@example.se arende@kommun.example f1@example.se Bänken "Bänken är trasig."
check "a case after it" wait_for "$T/d.log" "1 done"
check "... is acknowledged with the text read before" [ \
	"$(sql "SELECT count(*) FROM outbox_mail WHERE recipient = 'fia@example.se' AND body LIKE 'Hej!%' AND body NOT LIKE '%kommun.namn%'")" -eq 1 ]
cp "$T/ack.good" "$A"
# Its file removed while a route still names it: the reload is refused,
# and nothing is said to have changed (the workflow is not retired).
cp "$W/felanmalan.xml" "$T/felanmalan.good"
rm "$W/felanmalan.xml"
: >"$T/d.log"
kill -HUP "$pid"
check "a route to a workflow with no file: the reload is refused" wait_for "$T/d.log" \
	"configuration not reloaded; the old one stays"
check "... and the workflow is not said to be retired" \
	sh -c '! grep -q "no file of it is left" "$1"' - "$T/d.log"
cp "$T/felanmalan.good" "$W/felanmalan.xml"
# A workflow retired: its file and its route removed. New cases no
# longer start on it, its open cases keep their version, and the reload
# has no error, as cirmd started now would have none.
cp "$W/felanmalan.xml" "$T/felanmalan.good"
cp "$C" "$T/conf.routes"
rm "$W/felanmalan.xml"
sed -i '/^workflow_routes = /d' "$C"
: >"$T/d.log"
kill -HUP "$pid"
check "a workflow retired: the reload says so" wait_for "$T/d.log" \
	"workflow felanmalan: no file of it is left: new cases no longer start on it (version 1 was the newest), and its 1 open case keeps the version it is on"
check "... and has no error" wait_for "$T/d.log" "configuration reloaded$"
check "... not one saying it keeps running" \
	sh -c '! grep -q "felanmalan.*keeps running" "$1"' - "$T/d.log"
run "$CIRMCTL" -c "$C" status
check "... nor does status show one" sh -c \
	'! printf "%s\n" "$1" | grep -q "error"' - "$out"
: >"$T/d.log"
kill -HUP "$pid"
check "the next reload has no error either" wait_for "$T/d.log" \
	"configuration reloaded$"
check "... nor says it again" sh -c '! grep -q "felanmalan" "$1"' - "$T/d.log"
mail hans@example.se felanmalan@kommun.example h1@example.se Lampa "Lampan är trasig."
check "a case after it" wait_for "$T/d.log" "1 done"
check "... starts on the default workflow" [ \
	"$(sql "SELECT c.workflow FROM cases c JOIN contact_address a ON a.contact_id = c.citizen_id WHERE a.address = 'hans@example.se'")" = synpunkt ]
cp "$T/felanmalan.good" "$W/felanmalan.xml"
cp "$T/conf.routes" "$C"
kill -TERM "$pid"
wait "$pid"
check "SIGTERM stops the service" [ $? -eq 0 ]

# A template_dir that is not there is cirm.conf's mistake, told with its
# line, not each workflow's.
cp "$C" "$T/conf.before"
printf 'template_dir = %s/nowhere\n' "$I" >>"$C"
line=$(wc -l <"$C")
run "$CIRMD" -c "$C" --once
check "a template_dir that cannot be read stops cirmd (78)" [ "$rc" -eq 78 ]
check "... blaming cirm.conf's line" contains "$err" \
	"$C:$line: template_dir = $I/nowhere: cannot be read"
check "... not the workflow files" sh -c \
	'! printf "%s\n" "$1" | grep -q "\.xml:[0-9]*: template directory"' - "$err"
run "$CIRMCTL" -c "$C" workflow check "$W/synpunkt.xml"
check "workflow check -c blames cirm.conf's line too" contains "$err" \
	"$C:$line: template_dir = $I/nowhere: cannot be read"
cp "$T/conf.before" "$C"

# A file edited without a new version before a restart (a reboot, say)
# does not keep the service from starting: the newest version the
# database has starts new cases, as a reload would keep it, and the
# error says so.
sed 's/id="synpunkt" version="1"/id="synpunkt" version="2"/; s/<title>/<title>Ändrad igen: /' \
	"$T/synpunkt.good" >"$W/synpunkt.xml"
run "$CIRMD" -c "$C" --once
check "a default workflow edited before a restart: cirmd starts" [ "$rc" -eq 0 ]
check "... saying why the file is refused" contains "$err" \
	"synpunkt.xml:23: workflow synpunkt version 2 is already in use with other contents"
check "... and that the database's version 2 starts new cases" contains "$err" \
	"workflow synpunkt: version 2, the newest the database has, starts new cases"

# A default workflow that cannot run stops cirmd from starting.
cp "$T/synpunkt.good" "$W/synpunkt.xml"
printf 'workflow_default = nosuch\n' >>"$C"
run "$CIRMD" -c "$C" --once
check "an unusable default workflow exits 78" [ "$rc" -eq 78 ]
check "... and says which" contains "$err" "workflow_default: workflow nosuch is not usable"
check "... at cirm.conf's line" contains "$err" \
	"$C:$(wc -l <"$C"): workflow_default: workflow nosuch"

# Moving running cases to another version, all or nothing.
cp "$T/synpunkt.good" "$W/synpunkt.xml"
sed -i '/^workflow_default = nosuch$/d' "$C"
run "$CIRMCTL" -c "$C" workflow migrate synpunkt --from 1 --to 1
check "a migration to the same version is a usage error" [ "$rc" -eq 64 ]
check "... that says why" contains "$err" "--from and --to are both 1"
run "$CIRMCTL" -c "$C" workflow migrate synpunkt --from 1 --to 2 --dry-run
check "a dry run lists the cases" contains "$out" "KS-2026-00003: registrerad -> registrerad"
check "... and changes nothing" [ \
	"$(sql "SELECT count(*) FROM cases WHERE workflow = 'synpunkt' AND workflow_version = 1")" -eq 2 ]
run "$CIRMCTL" -c "$C" workflow migrate synpunkt --from 1 --to 2
check "migrate moves the running cases" [ "$rc" -eq 0 ]
check "... and says how many" contains "$out" "2 cases moved from synpunkt version 1 to version 2"
check "... a version cirmd loaded: no note to reload it" [ -z "$err" ]
check "... every one of them" [ \
	"$(sql "SELECT count(*) FROM cases WHERE workflow = 'synpunkt' AND workflow_version = 1")" -eq 0 ]
check "... said in their history" [ \
	"$(sql "SELECT count(*) FROM event WHERE kind = 'workflow.migrated'")" -eq 2 ]
run "$CIRMCTL" -c "$C" case show KS-2026-00003
check "... with the versions, which case show shows" sh -c \
	'printf "%s\n" "$1" | grep -q "workflow.migrated .* version 1 to 2\$"' - "$out"
check "a timer that fired in the state it is still in is not armed again" [ \
	"$(sql "SELECT count(*) FROM timer WHERE case_id = 1 AND fired_at IS NULL")" -eq 0 ]
due=$(sql "SELECT fire_at FROM timer WHERE case_id = 3 AND fired_at IS NULL")
# Version 3 renames a state: cases cannot move without a mapping.
sed -e 's/id="synpunkt" version="1"/id="synpunkt" version="3"/' \
	-e 's/registrerad/inkommen/g' "$T/synpunkt.good" >"$W/synpunkt.xml"
run "$CIRMCTL" -c "$C" workflow migrate synpunkt --from 2 --to 3
check "an unmapped state stops the migration" [ "$rc" -eq 1 ]
check "... naming each case and state" contains "$err" \
	"KS-2026-00003: state 'registrerad' has no counterpart in version 3 (add --map registrerad=STATE)"
check "... and no case moved" [ \
	"$(sql "SELECT count(*) FROM cases WHERE workflow_version = 3")" -eq 0 ]
run "$CIRMCTL" -c "$C" workflow migrate synpunkt --from 2 --to 3 --map registrerad=inkomen
check "a mapping to no state is refused" [ "$rc" -eq 1 ]
check "... naming the pair, not asking for a --map already given" sh -c \
	'case "$1" in *"--map registrerad=inkomen: version 3 has no state '"'inkomen'"'"*) ;; *) exit 1 ;; esac
	 case "$1" in *"add --map"*) exit 1 ;; esac' - "$err"
run "$CIRMCTL" -c "$C" workflow migrate synpunkt --from 2 --to 3 --map "registrerad=inkommen, tildelad=tilldelad"
check "a mapping from a mistyped state is refused" [ "$rc" -eq 1 ]
check "... naming it" contains "$err" "--map tildelad=tilldelad: version 2 has no state 'tildelad'"
check "... and no case moved" [ \
	"$(sql "SELECT count(*) FROM cases WHERE workflow_version = 3")" -eq 0 ]
run "$CIRMCTL" -c "$C" workflow migrate synpunkt --from 2 --to 3 --map registrerad=oppen
check "a mapping into a compound state is refused" [ "$rc" -eq 1 ]
check "... saying why" contains "$err" \
	"KS-2026-00003: 'oppen' holds other states, and a case is always in one of those: name one of them"
run "$CIRMCTL" -c "$C" workflow migrate synpunkt --from 2 --to 3 --map registrerad=avslutad
check "a mapping into a top-level final state is refused" [ "$rc" -eq 1 ]
check "... since the case would stay open in it" contains "$err" \
	"KS-2026-00003: 'avslutad' is a top-level <final> of version 3, and a migration closes no case"
# A <final> inside a state: entering it raises done.state.oppen, which
# leads on; a case moved there gets no such event and stays open.
cp "$W/synpunkt.xml" "$T/synpunkt.v3"
sed 's|<state id="tilldelad" label="tilldelad" category="active"/>|<state id="tilldelad" label="tilldelad" category="active"><transition event="cmd.resolve" target="klar"/></state><final id="klar" label="klar"/><transition event="done.state.oppen" target="lost"/>|' \
	"$T/synpunkt.v3" >"$W/synpunkt.xml"
run "$CIRMCTL" -c "$C" workflow migrate synpunkt --from 2 --to 3 --map registrerad=klar
check "a mapping into a <final> inside a state is refused" [ "$rc" -eq 1 ]
check "... since the case would wait there for ever" contains "$err" \
	"KS-2026-00003: 'klar' is a <final> of version 3; entering it would raise done.state.oppen, which a migration does not"
cp "$T/synpunkt.v3" "$W/synpunkt.xml"
# "ny" is left at once, by a transition without event or condition:
# a case put there would wait for ever, every command refused.
run "$CIRMCTL" -c "$C" workflow migrate synpunkt --from 2 --to 3 --map registrerad=ny
check "a mapping into a state a case only passes through is refused" [ "$rc" -eq 1 ]
check "... saying why" contains "$err" \
	"KS-2026-00003: a case only passes through 'ny' (line "
check "... and no case moved" [ \
	"$(sql "SELECT count(*) FROM cases WHERE workflow_version = 3")" -eq 0 ]
run "$CIRMCTL" -c "$C" workflow migrate synpunkt --from 2 --to 3 --map registrerad=inkommen
check "with --map the cases move" [ \
	"$(sql "SELECT group_concat(state) FROM cases WHERE workflow_version = 3 AND id IN (3, 4)")" = "inkommen,inkommen" ]
check "an armed timer keeps its deadline in the renamed state" [ \
	"$(sql "SELECT fire_at || ' ' || state FROM timer WHERE case_id = 3 AND fired_at IS NULL")" = "$due inkommen" ]
check "a fired one is not armed again there either" [ \
	"$(sql "SELECT count(*) || ' ' || group_concat(state) FROM timer WHERE case_id = 1")" = "1 inkommen" ]
check "the new version is recorded" [ \
	"$(sql "SELECT count(*) FROM workflow_def WHERE workflow = 'synpunkt' AND version = 3")" -eq 1 ]
check "the audit log says how the states were mapped" contains \
	"$(sql "SELECT detail FROM audit WHERE action = 'workflow.migrate' ORDER BY id DESC LIMIT 1")" \
	"synpunkt 2 -> 3: 7 cases; map registrerad=inkommen"
# cirmd read the templates at its start or reload: one that version 3
# sends and that is new since would fail as the cases move on.
check "a version read from its file: the administrator is told to reload cirmd" \
	contains "$err" "note: version 3 was read from $W/synpunkt.xml, which cirmd has not loaded: if cirmd runs, reload it now"
run "$CIRMCTL" -c "$C" workflow migrate synpunkt --from 3 --to 9
check "an unknown version is refused" contains "$err" "workflow synpunkt version 9 is neither in the database"
check "... without a list of the ids, the id being right" sh -c \
	'! printf "%s" "$1" | grep -q "the workflows cirm knows"' - "$err"
check "... but with the versions there are" contains "$err" \
	"the versions of workflow synpunkt the database has: 1, 2, 3"
run "$CIRMCTL" -c "$C" workflow migrate synpunkten --from 3 --to 4
check "an unknown id: the ones cirm knows are listed" contains "$err" \
	"the workflows cirm knows are: felanmalan, synpunkt"
# A timer renamed: the armed one goes and the new one counts from now,
# a deadline moved that the administrator is shown, case by case.
sed 's/id="synpunkt" version="3"/id="synpunkt" version="4"/; s/timer id="eskalering"/timer id="eskalera"/' \
	"$T/synpunkt.v3" >"$W/synpunkt-v4.xml"
run "$CIRMCTL" -c "$C" workflow migrate synpunkt --from 3 --to 4 --dry-run
check_all "a timer dropped and one started are shown below the case" <<-'EOF'
	[ "$rc" -eq 0 ]
	contains "$out" "KS-2026-00003: inkommen -> inkommen
  timer eskalering (inkommen) dropped: it was due "
	contains "$out" "  timer eskalera (inkommen) starts now: due "
	EOF
check "... and a dry run still moves nothing" [ \
	"$(sql "SELECT count(*) FROM cases WHERE workflow_version = 4")" -eq 0 ]
rm -f "$W/synpunkt-v4.xml"
# A mistyped --from is no success of "0 cases"; run twice, the
# migration says there is nothing left to move, and logs nothing.
audits=$(sql "SELECT count(*) FROM audit WHERE action = 'workflow.migrate'")
run "$CIRMCTL" -c "$C" workflow migrate synpunkt --from 7 --to 3
check "a --from version no case ran is an error" [ "$rc" -eq 1 ]
check "... listing the versions there are" contains "$err" \
	"workflow synpunkt has no version 7: no case ever ran it (the versions the database has: 1, 2, 3)"
run "$CIRMCTL" -c "$C" workflow migrate synpunkt --from 2 --to 3 --map registrerad=inkommen
check "a migration made already succeeds" [ "$rc" -eq 0 ]
check "... saying there is nothing to move" contains "$out" \
	"no open case runs synpunkt version 2: nothing to move"
check "... neither of them audited" [ \
	"$(sql "SELECT count(*) FROM audit WHERE action = 'workflow.migrate'")" -eq "$audits" ]
# The version asked for in a file that is not valid: why, not only
# "neither in the database nor a valid file".
sed 's/id="synpunkt" version="3"/id="synpunkt" version="4"/; s/target="tilldelad"/target="tildelad"/' \
	"$T/synpunkt.v3" >"$W/synpunkt-v4.xml"
run "$CIRMCTL" -c "$C" workflow migrate synpunkt --from 3 --to 4 --dry-run
check "a bad file of the version asked for: its problems are told" contains "$err" \
	"$W/synpunkt-v4.xml:"
check "... at their lines" contains "$err" "target 'tildelad': no such state"
printf '<workflow\n' >"$W/synpunkt-v4.xml"
run "$CIRMCTL" -c "$C" workflow migrate synpunkt --from 3 --to 4 --dry-run
check "a file that is no workflow at all: named, as it may be the version" \
	contains "$err" "$W/synpunkt-v4.xml is no workflow cirm can read, and may be that version"
rm -f "$W/synpunkt-v4.xml"
# Version 3 edited in its file without a new number: the cases move to
# version 3 as the database has it, not to the edit; said.
cp "$W/synpunkt.xml" "$T/synpunkt.v3.file"
sed -i 's/after="P2D"/after="P1D"/' "$W/synpunkt.xml"
run "$CIRMCTL" -c "$C" workflow migrate synpunkt --from 2 --to 3 --dry-run
check "an edited file of the version moved to: the administrator is told" contains "$err" \
	"note: $W/synpunkt.xml:"
check "... that it is not what the cases move to" contains "$err" \
	"differs from that version as the database has it, which the cases move to"
run "$CIRMCTL" -c "$C" workflow list
check "workflow list: the edited file, refused" sh -c \
	'printf "%s\n" "$1" | grep -q "^synpunkt  *3  *7  synpunkt.xml (other contents than the database.s: refused)\$"' - "$out"
check "... the versions no file holds, with their open cases" sh -c \
	'printf "%s\n" "$1" | grep -q "^synpunkt  *1  *0  - (in the database only)\$"' - "$out"
check "... and a workflow whose file is the one that runs" sh -c \
	'printf "%s\n" "$1" | grep -q "^felanmalan  *1  *[0-9][0-9]*  felanmalan.xml\$"' - "$out"
sed 's/id="synpunkt" version="3"/id="synpunkt" version="5"/' "$T/synpunkt.v3" >"$W/synpunkt-v5.xml"
run "$CIRMCTL" -c "$C" workflow list
check "... and a file not loaded yet" sh -c \
	'printf "%s\n" "$1" | grep -q "^synpunkt  *5  *-  synpunkt-v5.xml (not loaded yet)\$"' - "$out"
rm -f "$W/synpunkt-v5.xml"
cp "$T/synpunkt.v3.file" "$W/synpunkt.xml"
run "$CIRMCTL" -c "$C" workflow migrate synpunkt --from 2 --to 3 --dry-run
check "... and the file as it was: no note" [ -z "$err" ]

# The file of an older version in place of the newest (a restore on a
# new machine with the shipped workflows): new cases would start on it
# unseen; cirmd says so.
cp "$T/synpunkt.good" "$W/synpunkt.xml"
run "$CIRMD" -c "$C" --once
check "an older version's file: cirmd still runs" [ "$rc" -eq 0 ]
check "... and says new cases start on the older version" contains "$err" \
	"workflow synpunkt: version 1 ($W/synpunkt.xml) starts new cases, but the database has version 3, newer"
check "... whose file is not there" contains "$err" \
	"newer, which has no file in $W: put it back there"
check "... and how to get it from the database" contains "$err" \
	"put it back there (cirmctl workflow export synpunkt --version 3 prints it)"
run "$CIRMCTL" -c "$C" workflow export synpunkt
check "workflow export: the newest version, as it ran" [ "$rc" -eq 0 ]
printf '%s\n' "$out" >"$T/exported"
check "... byte for byte" cmp -s "$T/exported" "$T/synpunkt.v3"
run "$CIRMCTL" -c "$C" workflow export synpunkt --version 1
printf '%s\n' "$out" >"$T/exported"
check "workflow export --version: that one" cmp -s "$T/exported" "$T/synpunkt.good"
run "$CIRMCTL" -c "$C" workflow export synpunkt --version 9
check "a version the database has not: an error" [ "$rc" -eq 1 ]
check "... listing those it has" contains "$err" \
	"the versions of workflow synpunkt the database has: 1, 2, 3"
run "$CIRMCTL" -c "$C" workflow export synpunkten
check "an id the database has not: the ids it has" contains "$err" \
	"the workflows cirm knows are: felanmalan, synpunkt"
run "$CIRMCTL" -c "$C" workflow export
check "workflow export without an id: usage (64)" [ "$rc" -eq 64 ]
# The newest version's file is there but made bad (an edit gone wrong
# before a restart): not "put it back", which it is.
sed 's|</workflow>||' "$T/synpunkt.v3" >"$W/synpunkt-v3.xml"
run "$CIRMD" -c "$C" --once
check "a bad file of the newer version: cirmd still runs" [ "$rc" -eq 0 ]
check "... and says that a file is refused, not that it is missing" contains "$err" \
	"the database has version 3, newer, and a file of $W is refused (see the errors): fix it"
rm -f "$W/synpunkt-v3.xml"

# A reply to a closed case starts its new case in the old case's
# workflow: it goes to the case's signed Reply-To (arende+...@), which
# no route names, and so got the default workflow (a fault report's
# reply became a comment, its case officers never told). And an address
# routes with a +tag too.
I3=$T/inst3
"$CIRMCTL" init "$I3" >/dev/null || exit 99
printf 'workflow_routes = felanmalan@kommun.example=felanmalan\n' >>"$I3/cirm.conf"
sql3() {
	sqlite3 -cmd '.timeout 5000' "$I3/cirm.db" "$1"
}
sql3 "INSERT INTO inbox (channel, source, received_at, raw) VALUES ('email', 'test', strftime('%s','now'), CAST('From: bo@example.se
To: felanmalan@kommun.example
Subject: Lampa
Message-ID: <r1@example.se>

Gatlampan vid skolan lyser inte.' AS BLOB))"
run "$CIRMD" -c "$I3/cirm.conf" --once
sql3 "UPDATE cases SET state = 'avslutad', closed_at = strftime('%s','now') WHERE id = 1"
rt=$(sql3 "SELECT headers FROM outbox WHERE recipient = 'bo@example.se'" | sed -n 's/^Reply-To: *//p' | head -1)
ack=$(sql3 "SELECT rfc_message_id FROM outbox WHERE recipient = 'bo@example.se'" | head -1)
sql3 "INSERT INTO inbox (channel, source, received_at, raw) VALUES ('email', 'test', strftime('%s','now'), CAST('From: bo@example.se
To: $rt
Subject: Re: Lampa
Message-ID: <r2@example.se>
In-Reply-To: <$ack>

Nu är den trasig igen.' AS BLOB))"
sql3 "INSERT INTO inbox (channel, source, received_at, raw) VALUES ('email', 'test', strftime('%s','now'), CAST('From: cia@example.se
To: Felanmalan+Gata@kommun.example
Subject: Hål i vägen
Message-ID: <r3@example.se>

Stort hål på Storgatan.' AS BLOB))"
run "$CIRMD" -c "$I3/cirm.conf" --once
check "a reply to a closed case: a new case in the old case's workflow" [ \
	"$(sql3 "SELECT workflow FROM cases WHERE id = (SELECT case_id FROM message WHERE rfc_message_id = 'r2@example.se')")" = felanmalan ]
check "... which is a new case" [ \
	"$(sql3 "SELECT case_id FROM message WHERE rfc_message_id = 'r2@example.se'")" -ne 1 ]
check "an address with a +tag routes as its base address" [ \
	"$(sql3 "SELECT workflow FROM cases WHERE id = (SELECT case_id FROM message WHERE rfc_message_id = 'r3@example.se')")" = felanmalan ]
# A thank-you alone to the closed case, by mail (quoting ours, signed):
# kept on it, no new case and nothing sent. With a file, it is more.
cases=$(sql3 "SELECT count(*) FROM cases")
sent=$(sql3 "SELECT count(*) FROM outbox")
sql3 "INSERT INTO inbox (channel, source, received_at, raw) VALUES ('email', 'test', strftime('%s','now'), CAST('From: bo@example.se
To: $rt
Subject: Re: Lampa
Message-ID: <r4@example.se>
In-Reply-To: <$ack>

Tusen tack för hjälpen!

Mvh
Bo Ek

Den 1 december 2026 skrev Kommunen <kommun@kommun.example>:
> Tack! Vi har tagit emot ditt meddelande.' AS BLOB))"
run "$CIRMD" -c "$I3/cirm.conf" --once
check "a thank-you alone to a closed case: kept on it" [ \
	"$(sql3 "SELECT case_id FROM message WHERE rfc_message_id = 'r4@example.se'")" -eq 1 ]
check "... no new case" [ "$(sql3 "SELECT count(*) FROM cases")" -eq "$cases" ]
check "... nothing sent" [ "$(sql3 "SELECT count(*) FROM outbox")" -eq "$sent" ]
check "... the history says the citizen thanked" [ \
	"$(sql3 "SELECT count(*) FROM event WHERE case_id = 1 AND kind = 'citizen.thanks'")" -eq 1 ]
run "$CIRMCTL" -c "$I3/cirm.conf" case show "$(sql3 "SELECT number FROM cases WHERE id = 1")"
check "... which case show shows" contains "$out" "citizen.thanks"

# A template that a version still running needs, retired with the
# version that used it: version 2 of a workflow stops sending it, the
# file goes. Its cases on version 1 must not lose the citizen's mail
# unseen: the reload keeps the text read before and says so, and a
# start says that those cases will fail.
I4=$T/inst4
"$CIRMCTL" init "$I4" >/dev/null || exit 99
printf 'engine_poll_interval = 1\nworkflow_routes = tt@kommun.example=tt\n' >>"$I4/cirm.conf"
sql4() {
	sqlite3 -cmd '.timeout 5000' "$I4/cirm.db" "$1"
}
cat >"$T/tt.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<workflow xmlns="urn:x-cirm:workflow:1" id="tt" version="1"
          initial="vantar" calendar="none" xml:lang="sv">
  <title>Påminnelse</title>
  <templates>
    <template id="acknowledgement"/>
    <template id="custom-rem"/>
  </templates>
  <state id="vantar" category="waiting">
    <onentry>
      <reply template="acknowledgement"/>
    </onentry>
    <timer id="pam" after="P1D" event="timer.remind"/>
    <transition event="timer.remind" target="klar">
      <reply template="custom-rem"/>
    </transition>
  </state>
  <final id="klar"/>
</workflow>
EOF
cp "$T/tt.xml" "$I4/workflows/tt.xml"
for l in sv en; do
	printf 'Subject: Påminnelse\n\nDitt ärende väntar på svar.\n' \
		>"$I4/templates/$l/custom-rem"
done
"$CIRMD" -c "$I4/cirm.conf" >/dev/null 2>"$T/d4.log" &
pid=$!
check "a workflow with its own template: the service starts" \
	wait_for "$T/d4.log" "started"
for who in ida jan; do
	sql4 "INSERT INTO inbox (channel, source, received_at, raw) VALUES ('email', 'test', strftime('%s','now'), CAST('From: $who@example.se
To: tt@kommun.example
Subject: Fråga
Message-ID: <$who@example.se>

Hur går det?' AS BLOB))"
done
i=0
until [ "$(sql4 "SELECT count(*) FROM cases WHERE workflow = 'tt' AND workflow_version = 1")" -eq 2 ] ||
      [ $i -gt 100 ]; do
	i=$((i + 1))
	sleep 0.1
done
check "... two cases on its version 1" [ \
	"$(sql4 "SELECT count(*) FROM cases WHERE workflow = 'tt' AND workflow_version = 1")" -eq 2 ]
sed -e 's/id="tt" version="1"/id="tt" version="2"/' \
	-e '/<template id="custom-rem"\/>/d' \
	-e 's/<reply template="custom-rem"\/>/<reply template="acknowledgement"\/>/' \
	"$T/tt.xml" >"$I4/workflows/tt.xml"
rm "$I4"/templates/*/custom-rem
kill -HUP "$pid"
check "version 2 without the template loads" wait_for "$T/d4.log" \
	"configuration reloaded"
check "... and the reload says version 1's cases need it, and keeps it" \
	grep -q "workflow tt version 1 (2 open cases): template 'custom-rem' is missing in sv, en; the text read before stays in use until cirmd restarts: put the file back ($I4/templates/sv/custom-rem)" "$T/d4.log"
check "... as an error of the reload" grep -q \
	"configuration reloaded with 1 error" "$T/d4.log"
run "$CIRMCTL" -c "$I4/cirm.conf" status
check "... which status shows" contains "$out" \
	"had 1 error, and what it concerns stays as it was: workflow tt version 1 (2 open cases): template 'custom-rem' is missing"
sql4 "UPDATE timer SET fire_at = strftime('%s','now') - 60 WHERE case_id = (SELECT min(id) FROM cases)"
i=0
until [ "$(sql4 "SELECT count(*) FROM event WHERE kind = 'timer.remind'")" -eq 1 ] ||
      [ $i -gt 100 ]; do
	i=$((i + 1))
	sleep 0.1
done
check "a version 1 case's timer then sends the citizen the text kept" [ \
	"$(sql4 "SELECT count(*) FROM outbox_mail WHERE recipient = 'ida@example.se' AND body LIKE 'Ditt ärende väntar på svar.%'")" -eq 1 ]
check "... and nothing fails" [ \
	"$(sql4 "SELECT count(*) FROM event WHERE kind = 'action.failed'")" -eq 0 ]
kill -TERM "$pid"
wait "$pid"
run "$CIRMD" -c "$I4/cirm.conf" --once
check "at start the missing template is an error too" contains "$err" \
	"workflow tt version 1 (1 open case): template 'custom-rem' is missing in sv, en: its cases fail where they send it; put the file back ($I4/templates/sv/custom-rem) or move them to another version (cirmctl workflow migrate)"
check "... which does not stop cirmd" [ "$rc" -eq 0 ]
"$CIRMD" -c "$I4/cirm.conf" >/dev/null 2>"$T/d4.log" &
pid=$!
wait_for "$T/d4.log" "started"
run "$CIRMCTL" -c "$I4/cirm.conf" status
check "... and status shows it" contains "$out" \
	"found 1 error in the configuration: workflow tt version 1 (1 open case): template 'custom-rem' is missing"
kill -TERM "$pid"
wait "$pid"

# A role's group misspelt: cirmd would skip each notification to it with
# a line in its log only (an escalation reaching nobody). workflow check
# -c says so, once the instance has another of the workflow's groups (a
# new one, with none yet, is what cirmctl init tells of).
I5=$T/inst5
"$CIRMCTL" init "$I5" >/dev/null || exit 99
run "$CIRMCTL" -c "$I5/cirm.conf" workflow check "$I5/workflows/synpunkt.xml"
check "no group yet: workflow check -c warns of none" [ "$rc" -eq 0 -a -z "$err" ]
"$CIRMCTL" -c "$I5/cirm.conf" handler add eva --email eva@kommun.example \
	--group synpunkter >/dev/null 2>&1 || exit 99
"$CIRMCTL" -c "$I5/cirm.conf" handler add bo --email bo@kommun.example \
	--group ledning >/dev/null 2>&1 || exit 99
run "$CIRMCTL" -c "$I5/cirm.conf" workflow check "$I5/workflows/synpunkt.xml"
check "every group there: no warning" [ "$rc" -eq 0 -a -z "$err" ]
mkdir "$T/edit5"
sed 's/id="synpunkt" version="1"/id="synpunkt" version="2"/; s/group="ledning"/group="ledningen"/' \
	"$I5/workflows/synpunkt.xml" >"$T/edit5/synpunkt.xml"
run "$CIRMCTL" -c "$I5/cirm.conf" workflow check "$T/edit5/synpunkt.xml"
check "a misspelt group: a warning at the role's line, naming the group meant" contains "$err" \
	"synpunkt.xml:47: warning: the instance has no handler group ledningen (did you mean ledning?): what the workflow sends it reaches nobody"
check "... which does not make the file bad" [ "$rc" -eq 0 ]
# A group:NAME of an action misspelt (the group is "ledning"): told at
# the line of that action, not of <workflow>, and once for each place
# that names it, not once for each naming before.
sed 's/id="synpunkt" version="1"/id="synpunkt" version="2"/; s|<notify to="role:chef" template="handler-escalated"/>|<notify to="group:ledningen" template="handler-escalated"/>|; s|<log label="Stängt utan åtgärd"/>|<notify to="group:ledningen" template="handler-escalated"/>|' \
	"$I5/workflows/synpunkt.xml" >"$T/edit5/synpunkt.xml"
l1=$(grep -n 'group:ledningen' "$T/edit5/synpunkt.xml" | sed -n 1p | cut -d: -f1)
l2=$(grep -n 'group:ledningen' "$T/edit5/synpunkt.xml" | sed -n 2p | cut -d: -f1)
run "$CIRMCTL" -c "$I5/cirm.conf" workflow check "$T/edit5/synpunkt.xml"
check_all "group:NAME misspelt: a warning at each action's line, once" <<-'EOF'
	[ "$rc" -eq 0 ] && [ -n "$l1" ] && [ -n "$l2" ]
	contains "$err" "synpunkt.xml:$l1: warning: the instance has no handler group ledningen (did you mean ledning?)"
	contains "$err" "synpunkt.xml:$l2: warning: the instance has no handler group ledningen (did you mean ledning?)"
	[ "$(printf '%s\n' "$err" | grep -c 'no handler group')" -eq 2 ]
	EOF
# Written without Swedish letters for a group made with them (miljö),
# the group meant is named; one like none of the instance's is told with
# another group of the workflow that the instance has.
"$CIRMCTL" -c "$I5/cirm.conf" handler add mia --email mia@kommun.example \
	--group miljö >/dev/null 2>&1 || exit 99
sed 's/id="synpunkt" version="1"/id="synpunkt" version="2"/; s/group="ledning"/group="byggchef"/; s|<notify to="role:chef" template="handler-escalated"/>|<notify to="group:miljo" template="handler-escalated"/>|' \
	"$I5/workflows/synpunkt.xml" >"$T/edit5/synpunkt.xml"
l1=$(grep -n 'group:miljo' "$T/edit5/synpunkt.xml" | cut -d: -f1)
run "$CIRMCTL" -c "$I5/cirm.conf" workflow check "$T/edit5/synpunkt.xml"
check_all "a group spelt without å, ä or ö: the one with them is named" <<-'EOF'
	[ "$rc" -eq 0 ]
	contains "$err" "synpunkt.xml:$l1: warning: the instance has no handler group miljo (did you mean miljö?)"
	contains "$err" "synpunkt.xml:47: warning: the instance has no handler group byggchef (it has synpunkter)"
	EOF

# A new version that changes a timer's duration (a reminder after 5
# days instead of 10): the migration counts the timer again from when
# it was armed, with the new duration, and says so; one whose new
# deadline is past fires at the next timer run, once. A timer the new
# version counts as before keeps its deadline.
I6=$T/inst6
"$CIRMCTL" init "$I6" >/dev/null || exit 99
printf 'workflow_routes = rt@kommun.example=rt\n' >>"$I6/cirm.conf"
sql6() {
	sqlite3 -cmd '.timeout 5000' "$I6/cirm.db" "$1"
}
cat >"$T/rt.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<workflow xmlns="urn:x-cirm:workflow:1" id="rt" version="1"
          initial="vantar" calendar="none" xml:lang="sv">
  <title>Påminnelse</title>
  <templates>
    <template id="acknowledgement"/>
  </templates>
  <state id="vantar" category="waiting">
    <onentry>
      <reply template="acknowledgement"/>
    </onentry>
    <timer id="pam" after="PT240H" event="timer.remind"/>
    <timer id="ge-upp" after="PT480H" event="timer.giveup"/>
    <transition event="timer.remind">
      <log label="Påmind"/>
    </transition>
    <transition event="timer.giveup" target="klar"/>
  </state>
  <final id="klar"/>
</workflow>
EOF
cp "$T/rt.xml" "$I6/workflows/rt.xml"
for who in ida jan; do
	sql6 "INSERT INTO inbox (channel, source, received_at, raw) VALUES ('email', 'test', strftime('%s','now'), CAST('From: $who@example.se
To: rt@kommun.example
Subject: Fråga
Message-ID: <$who@example.se>

Hur går det?' AS BLOB))"
done
run "$CIRMD" -c "$I6/cirm.conf" --once
check "two cases on a workflow with a 10-day reminder" [ \
	"$(sql6 "SELECT count(*) FROM timer WHERE name = 'pam' AND fired_at IS NULL AND fire_at = created_at + 240 * 3600")" -eq 2 ]
# jan's case was armed 6 days ago: 5 days from then is past.
sql6 "UPDATE timer SET created_at = created_at - 144 * 3600, fire_at = fire_at - 144 * 3600 WHERE case_id = 2"
giveup=$(sql6 "SELECT group_concat(fire_at) FROM timer WHERE name = 'ge-upp' ORDER BY case_id")
sed -e 's/id="rt" version="1"/id="rt" version="2"/' -e 's/after="PT240H"/after="PT120H"/' \
	"$T/rt.xml" >"$I6/workflows/rt.xml"
run "$CIRMCTL" -c "$I6/cirm.conf" workflow migrate rt --from 1 --to 2 --dry-run
check_all "migrate: a timer whose duration changed is re-timed, and said" <<-'EOF'
	[ "$rc" -eq 0 ]
	contains "$out" "timer pam (vantar) re-timed to version 2: due "
	[ "$(printf '%s\n' "$out" | grep -c 're-timed')" -eq 2 ]
	[ "$(printf '%s\n' "$out" | grep -c 're-timed.*past, so it fires at cirmd.s next timer run$')" -eq 1 ]
	if contains "$out" "ge-upp"; then false; fi
	EOF
check "... a dry run changes no deadline" [ \
	"$(sql6 "SELECT count(*) FROM timer WHERE name = 'pam' AND fire_at = created_at + 240 * 3600")" -eq 2 ]
run "$CIRMCTL" -c "$I6/cirm.conf" workflow migrate rt --from 1 --to 2
check "migrate re-times the timer from when it was armed, with the new duration" [ \
	"$(sql6 "SELECT count(*) FROM timer WHERE name = 'pam' AND fired_at IS NULL AND fire_at = created_at + 120 * 3600")" -eq 2 ]
check "... a timer the new version counts as before keeps its deadline" [ \
	"$(sql6 "SELECT group_concat(fire_at) FROM timer WHERE name = 'ge-upp' ORDER BY case_id")" = "$giveup" ]
check "... the case's history says so" [ \
	"$(sql6 "SELECT count(*) FROM event WHERE kind = 'workflow.migrated' AND detail LIKE 'version 1 to 2; timer pam re-timed: due %, was %'")" -eq 2 ]
run "$CIRMD" -c "$I6/cirm.conf" --once
run "$CIRMD" -c "$I6/cirm.conf" --once
check "a timer re-timed into the past fires at the next run, once" [ \
	"$(sql6 "SELECT group_concat(case_id) FROM event WHERE kind = 'timer.remind'")" = 2 ]

# workflow check without -c reads the configuration the other commands
# read (CIRM_CONF, else the default): a copy of version 2 edited without
# a new number, which the instance's cirmd would refuse, is not valid.
mkdir "$T/edit6"
sed 's/<title>Påminnelse/<title>Påminnelse igen/' "$I6/workflows/rt.xml" >"$T/edit6/rt.xml"
run env CIRM_CONF="$I6/cirm.conf" "$CIRMCTL" workflow check "$T/edit6/rt.xml"
check_all "workflow check without -c: the default configuration's instance" <<-'EOF'
	[ "$rc" -eq 1 ]
	contains "$err" "rt.xml:3: workflow rt version 2 is already in use with other contents"
	EOF
# With no configuration there, the file is valid as far as it goes, and
# the check says in one line what it could not check.
run env CIRM_CONF="$T/nowhere.conf" "$CIRMCTL" workflow check "$T/edit6/rt.xml"
check_all "workflow check with no configuration: what it did not check is said" <<-'EOF'
	[ "$rc" -eq 0 ]
	contains "$out" "rt.xml: workflow rt version 2 is valid"
	contains "$out" "note: no configuration ($T/nowhere.conf: No such file or directory), so not checked against an instance: the versions its database has (cirmd refuses a file changed without a new version number), its templates, its handler groups and its workflow_dir; give -c FILE"
	[ "$(printf '%s\n' "$out" | grep -c '^note:')" -eq 1 ]
	EOF
run env CIRM_CONF="$T/nowhere.conf" "$CIRMCTL" workflow check --quiet "$T/edit6/rt.xml"
check "... but for --quiet" [ "$rc" -eq 0 -a -z "$out" ]

done_testing
