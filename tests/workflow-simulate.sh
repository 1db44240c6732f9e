#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# cirmctl workflow simulate: the shipped workflows on a virtual clock,
# with timers counted in business days across weekends and holidays;
# and cirmctl workflow dot.
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE= TZ=Europe/Stockholm
W=$top_srcdir/workflows
D=$top_srcdir/tests/data/workflow

# A synpunkt case, by the calendar "kontorstid" (Monday to Thursday
# 08:00-16:30, Friday 08:00-15:00, Swedish holidays closed). Thursday
# 3 December 2026, 10:00: a citizen writes.
run "$CIRMCTL" workflow simulate "$W/synpunkt.xml" --start 2026-12-03T10:00 \
	--text "Trasig lampa i parken" --events "@2026-12-07T11:00,
	#tilldela eva, @2026-12-11T15:30, #fraga Var exakt står lampan?,
	+2w, mail.citizen, @2026-12-28T09:00, #klar, +3w"
check "synpunkt: the whole path runs" [ "$rc" -eq 0 -a -z "$err" ]
check "the acknowledgement goes out at the start" \
	contains "$out" "2026-12-03 10:00  start
                  enter ny
                  reply acknowledgement"
# Thursday + 2 business days: Friday, then Monday at the same time.
check "escalation timer: P2D across a weekend" contains "$out" \
	"timer eskalering armed: P2D (kontorstid), due 2026-12-07 10:00"
check "due date: ten business days" contains "$out" \
	"set due P10D -> 2026-12-17 10:00"
check "the escalation fires at its own time, within the jump" contains "$out" \
	"2026-12-03 10:00  wait
2026-12-07 10:00  timer eskalering fired: timer.escalate
                  set priority high
                  notify role:chef handler-escalated
                  log Eskalerat till chef
2026-12-07 11:00  end of wait
2026-12-07 11:00  command #tilldela eva"
check "a wait with a timer firing on the way: its line says no time to come" \
	sh -c '! printf "%s\n" "$1" | grep -q "wait until 2026-12-07 11:00"' - "$out"
check "+2w: the reminder, then where the clock stops" contains "$out" \
	"2026-12-11 15:30  wait +2w
2026-12-21 08:00  timer paminnelse fired: timer.remind
                  reply question-reminder"
check "... and where the clock stops, after it" contains "$out" \
	"2026-12-25 15:30  end of wait +2w
2026-12-25 15:30  event mail.citizen"
# Whatever the steps, the output reads in time order: the times at the
# left never go back, and a time a line names ("wait ... until T") is
# not later than the next line's own.
in_time_order() {
	printf '%s\n' "$1" | awk '
	/^[0-9][0-9][0-9][0-9]-/ {
		t = $1 " " $2
		if (t < last || (said != "" && t < said)) {
			print "out of order: " $0 > "/dev/stderr"
			bad = 1
		}
		last = t
		said = ""
		if (match($0, /until [0-9-]+ [0-9:]+/))
			said = substr($0, RSTART + 6, RLENGTH - 6)
	}
	END { exit bad }'
}
check "the whole run reads in time order" in_time_order "$out"
check "#tilldela eva assigns eva" contains "$out" \
	"2026-12-07 11:00  command #tilldela eva: cmd.assign
                  leave registrerad
                  assign argument: eva
                  notify assignee handler-assigned
                  enter tilldelad"
# Friday 15:30 is after Friday's closing: counting starts Monday 14
# December 08:00; five business days later is Monday 21 December.
check "a question on Friday after closing: reminder P5D" contains "$out" \
	"timer paminnelse armed: P5D (kontorstid), due 2026-12-21 08:00"
# From Monday 14 December 08:00, 15 business days, skipping julafton,
# juldagen, annandag jul (a Saturday), nyårsafton, nyårsdagen,
# trettondedag jul (Wednesday 6 January) and the weekends: 15-18, 21-23,
# 28-30 December, 4, 5, 7, 8 and 11 January.
check "give-up timer P15D across Christmas and New Year" contains "$out" \
	"timer ge-upp armed: P15D (kontorstid), due 2027-01-11 08:00"
check "the reminder goes to the citizen when due" contains "$out" \
	"2026-12-21 08:00  timer paminnelse fired: timer.remind
                  reply question-reminder"
check "the answer drops the give-up timer" contains "$out" \
	"2026-12-25 15:30  event mail.citizen
                  leave vantar-svar
                  timer ge-upp dropped
                  notify assignee handler-citizen-answered
                  enter tilldelad"
# Monday 28 December 09:00 + 10 business days: 29, 30 December, 4, 5,
# 7, 8, 11, 12, 13, 14 January.
check "#klar: resolved, auto-close P10D over the holidays" contains "$out" \
	"timer autostangning armed: P10D (kontorstid), due 2027-01-14 09:00
                  reply resolved"
check "auto-close fires and closes the case" contains "$out" \
	"2027-01-14 09:00  timer autostangning fired: timer.autoclose
                  leave lost
                  enter avslutad
                  leave avslutad
2027-01-18 09:00  end of wait +3w
final: avslutad (closed)"
first=$out
run "$CIRMCTL" workflow simulate "$W/synpunkt.xml" --start 2026-12-03T10:00 \
	--text "Trasig lampa i parken" --events "@2026-12-07T11:00,
	#tilldela eva, @2026-12-11T15:30, #fraga Var exakt står lampan?,
	+2w, mail.citizen, @2026-12-28T09:00, #klar, +3w"
check "the same run gives the same output" [ "$out" = "$first" ]

# Wednesday 23 December 15:00: julafton, juldagen, annandag jul and the
# weekend are closed, so two business days end on Tuesday 29 December.
run "$CIRMCTL" workflow simulate "$W/synpunkt.xml" --start 2026-12-23T15:00 \
	--events "+1w"
check "P2D from 23 December skips Christmas and the weekend" contains "$out" \
	"timer eskalering armed: P2D (kontorstid), due 2026-12-29 15:00"
check "... and fires then" contains "$out" \
	"2026-12-29 15:00  timer eskalering fired: timer.escalate"
# A case that came in December keeps its number into the new year, as
# cirmd gives it once: the reminder in January is about KS-2026-00001.
run "$CIRMCTL" workflow simulate "$W/synpunkt.xml" --start 2026-12-23T15:00 \
	--events "#fråga Var?, +2w"
check "the case number is the year it came in, on mail after New Year" \
	contains "$out" "mail: Subject: Vi väntar på ditt svar [KS-2026-00001]"
run "$CIRMCTL" workflow simulate "$W/synpunkt.xml" --start 2026-12-23T15:00 \
	--events "+1w"
check "an open case stays open" contains "$out" "final: registrerad"
case $out in *"(closed)"*) not_ok "an open case is not closed" ;;
*) ok "an open case is not closed" ;; esac

run "$CIRMCTL" workflow simulate "$W/synpunkt.xml" --start 2026-12-01T09:00 \
	--events "+1d4h30m, cmd.close, mail.citizen, #DONE"
check "+1d4h30m" contains "$out" "wait +1d4h30m until 2026-12-02 13:30"
check "events after closing are ignored" contains "$out" \
	"2026-12-02 13:30  event mail.citizen
                  ignored: the case is closed"
check "command words: aliases, case-folded" contains "$out" \
	"command #klar: cmd.resolve"
# cirmd refuses a command the case's states do not take: the simulation
# says so rather than "nothing happens", as if it had been accepted.
run "$CIRMCTL" workflow simulate "$W/synpunkt.xml" --start 2026-12-01T09:00 \
	--events "#ta, #klar, #fråga Var?"
check "a command the state does not take is refused" contains "$out" \
	"2026-12-01 09:00  command #fråga: cmd.ask
                  text: Var?
                  refused: not possible in the case's current state"
check "... and the simulation goes on" [ "$rc" -eq 0 ]
# a command's own template: the handler's text goes to the citizen in it
run "$CIRMCTL" workflow simulate "$W/synpunkt.xml" --start 2026-12-01T09:00 \
	--events "#ta, #fråga Var?"
check "a command with its own template: the reply in it is shown, first, as cirmd sends it" contains "$out" \
	"text: Var?
                  reply question (the handler's text)
                  mail: Subject: Fråga om ditt ärende [KS-2026-00001]
                  | Var?
                  |"
check "... and then the command" contains "$out" \
	"                  | Kommunen
                  leave tilldelad"
# another command that sends the same event, with no template of its
# own: its text goes out in cirm's "answer", not in the other's
sed 's|^    <command word="klar" |    <command word="kolla" event="cmd.ask" role="handlaggare chef"/>\n&|' \
	"$W/synpunkt.xml" >"$T/same-event.xml"
run "$CIRMCTL" workflow simulate --templates "$top_srcdir/templates" \
	"$T/same-event.xml" --start 2026-12-01T09:00 --events "#ta, #kolla Var?"
check "a command with no template of its own: no other's reply is shown" \
	sh -c '[ "$1" -eq 0 ] && ! printf "%s\n" "$2" | grep -q "reply question"' \
	- "$rc" "$out"
check "an event with no argument for assign to=argument: error.execution" \
	contains "$(
	"$CIRMCTL" workflow simulate "$W/synpunkt.xml" --events cmd.assign)" \
	'error: assign to "argument": the event has no argument'

# felanmalan: the Swedish calendar (08:00-16:30), business hours, a
# wall-clock week, and sorting by the words of the first message.
run "$CIRMCTL" workflow simulate "$W/felanmalan.xml" --start 2026-12-23T15:00 \
	--text "Gatlampan på Storgatan är trasig" \
	--events "+1w, #ta, #klar, +1w"
check "felanmalan: sorted by the text" contains "$out" \
	"set category belysning"
# 1.5 hours on 23 December, then 2.5 hours from Monday 28 December 08:00.
check "PT4H of opening hours across Christmas" contains "$out" \
	"timer eskalering armed: PT4H (sweden), due 2026-12-28 10:30"
check "calendar=none: a wall-clock week" contains "$out" \
	"timer autostangning armed: P7D (wall clock), due 2027-01-06 15:00"
check "felanmalan closes" contains "$out" "final: avslutad (closed)"

# A thank-you and nothing more after the answer leaves the case
# resolved; anything else reopens it.
after_answer() { # WORKFLOW TEXT
	"$CIRMCTL" workflow simulate "$W/$1.xml" --start 2026-12-01T10:00 \
		--text "$2" --events "#ta, #klar, mail.citizen" |
		sed -n 's/^final: //p'
}
check "synpunkt: \"Tack så mycket!\" leaves the case resolved" \
	[ "$(after_answer synpunkt "Tack så mycket!")" = lost ]
check "... as does \"Great, thanks a lot! /John\"" \
	[ "$(after_answer synpunkt "Great, thanks a lot! /John")" = lost ]
check "... and thanks signed off with a name" \
	[ "$(after_answer synpunkt "$(printf 'Tack!\n\nMvh Anna Andersson')")" = lost ]
for t in "Tack så mycket för hjälpen!" "Stort tack för snabbt svar!" \
	"Hej! Tack för ett snabbt svar" "Tack, bra svar!" \
	"Hi, thank you so much for the quick reply! Best, John"; do
	check "... as does \"$t\"" [ "$(after_answer synpunkt "$t")" = lost ]
done
check "... but thanks and a but reopens it" \
	[ "$(after_answer synpunkt "Hej tack för hjälpen men det läcker igen")" = tilldelad ]
check "... but thanks with more reopens it" \
	[ "$(after_answer synpunkt "Tack, men det är fortfarande trasigt")" = tilldelad ]
check "felanmalan: \"Tack!\" leaves the fault fixed" \
	[ "$(after_answer felanmalan "Tack!")" = atgardat ]
check "... \"Thank you 😊\" too" [ "$(after_answer felanmalan "Thank you 😊")" = atgardat ]
check "... \"Tack så mycket för hjälpen!\" too" \
	[ "$(after_answer felanmalan "Tack så mycket för hjälpen!")" = atgardat ]
check "... \"Tack, fortfarande trasig\" reopens it" \
	[ "$(after_answer felanmalan "Tack, fortfarande trasig")" = tilldelad ]
run "$CIRMCTL" workflow simulate "$W/synpunkt.xml" --start 2026-12-01T10:00 \
	--text "Tack!" --events "#ta, #klar, mail.citizen"
check "... the thanks noted in the case's history" contains "$out" \
	"log Tack från invånaren"
# --name: the name the citizen is known by, as cirmd knows it (the
# contact's, the From name, a signature): "tack mvh anna" in small
# letters is signed with it, "tack mvh gropen" is not.
thanks_by() { # NAME TEXT
	"$CIRMCTL" workflow simulate "$W/felanmalan.xml" \
		--start 2026-12-01T10:00 --text "$2" ${1:+--name "$1"} \
		--events "#ta, #klar, sms.citizen" | sed -n 's/^final: //p'
}
check_all "--name: a thank-you signed with it in small letters" <<-'EOF'
	[ "$(thanks_by "Anna Svensson" "tack mvh anna")" = atgardat ]
	[ "$(thanks_by "Anna Svensson" "tack mvh anna s")" = atgardat ]
	[ "$(thanks_by "" "tack mvh anna")" = tilldelad ]
	[ "$(thanks_by "Anna Svensson" "tack mvh gropen")" = tilldelad ]
	[ "$(thanks_by "Anna Svensson" "tack, lampan lyser inte mvh anna")" = tilldelad ]
EOF

# ... in English too; a word inside another ("policy") is not one.
category() {
	"$CIRMCTL" workflow simulate "$W/felanmalan.xml" \
		--start 2026-12-01T10:00 --text "$1" |
		sed -n 's/^ *set category //p'
}
check "felanmalan: an English street light is belysning" \
	[ "$(category "Hello, the street light on Storgatan 5 is out")" = belysning ]
check_all "... as is a Swedish one, by any of its names" <<-'EOF'
	[ "$(category "Gatlyktan vid Ekvägen 5 blinkar")" = belysning ]
	[ "$(category "Lyktorna längs gångvägen är släckta")" = belysning ]
	[ "$(category "Belysningen i tunneln är trasig")" = belysning ]
	[ "$(category "Armaturen har ramlat ner")" = belysning ]
EOF
check "... a pothole vag" \
	[ "$(category "There is a deep pothole in the cycle lane")" = vag ]
check "... an icy pavement vag" [ "$(category "Icy sidewalk, no gritting")" = vag ]
check "... and a question on policy ovrigt" \
	[ "$(category "A question on your privacy policy")" = ovrigt ]
run "$CIRMCTL" workflow simulate "$W/felanmalan.xml" --start 2026-12-01T10:00 \
	--text "Urgent: a dangerous hole by the school"
check "... and \"urgent\" is urgent" contains "$out" "set priority urgent"

# Errors.
run "$CIRMCTL" workflow simulate "$W/synpunkt.xml" --events "#ta, #flyga"
check "unknown command word: exit 1, before the run" \
	[ "$rc" -eq 1 -a -z "$out" ]
check "unknown command word: a clear error" contains "$err" \
	"cirmctl: unknown command #flyga (the workflow has #ta, #tilldela,"
run "$CIRMCTL" workflow simulate "$W/synpunkt.xml" --events "#ta, #tildela eva"
check "a command a letter off: did you mean, as a reply's refusal says" \
	contains "$err" "cirmctl: unknown command #tildela: did you mean #tilldela? (the workflow has #ta,"
run "$CIRMCTL" workflow simulate "$W/synpunkt.xml" --events "#ta, #notering"
check "#notering: cirm's own, not the workflow's" contains "$err" \
	"#notering is cirm's own command, not the workflow's"
run "$CIRMCTL" workflow simulate "$W/synpunkt.xml" --events "#tilldela"
check "#tilldela needs a login" contains "$err" "#tilldela needs a handler"
run "$CIRMCTL" workflow simulate "$W/synpunkt.xml" --events "+3x"
check "a bad time step" contains "$err" "bad time step '+3x' (e.g. +30m, +4h, +3d, +1w, +2d4h, or +PT4H as in a workflow)"
run "$CIRMCTL" workflow simulate "$W/synpunkt.xml" --events "mail.citizen, +P1H"
check "an ISO duration's slip is said as a workflow's is" contains "$err" \
	"bad time step '+P1H': duration \"P1H\": 'H' needs a 'T' before it (e.g. +PT4H, +P3D, +P1DT2H)"
run "$CIRMCTL" workflow simulate "$W/synpunkt.xml" --start 2026-02-30T10:00
check "a --start that is no date" [ "$rc" -eq 64 ]
run "$CIRMCTL" workflow simulate "$W/synpunkt.xml" --start 2026-12-02T10:00 \
	--events "@2026-12-01T10:00"
check "going back in time: exit 1" [ "$rc" -eq 1 ]
check "going back in time: an error" contains "$err" \
	"@2026-12-01T10:00: earlier than the simulated time 2026-12-02 10:00"
run "$CIRMCTL" workflow simulate --templates "$D/templates" \
	"$D/sim-loop.xml" --start 2026-12-01T09:00 --events "#ta, mail.citizen"
check "the loop fixture is valid, and assigned it does not loop" \
	contains "$out" "final: a"
run timeout 120 "$CIRMCTL" workflow simulate --templates "$D/templates" \
	"$D/sim-zero-loop.xml" --start 2026-12-01T09:00 --events "+1h"
check "a timer of no time that arms itself again: exit 1, not a hang" \
	[ "$rc" -eq 1 ]
check "... saying so" contains "$err" \
	"timer genast: more than 1000 timers fired at 2026-12-01 09:00"
run "$CIRMCTL" workflow simulate --templates "$D/templates" \
	"$D/sim-loop.xml" --start 2026-12-01T09:00 --events "+2h, #klar"
check "an eventless loop at runtime: exit 1" [ "$rc" -eq 1 ]
check "... with the run's error" contains "$err" \
	"cirmctl: eventless transitions loop in state"
check "... at the timer that started it" contains "$out" \
	"2026-12-01 10:00  timer paminn fired: timer.remind"
check "... and a trace cut short" contains "$out" \
	"(the rest of this step left out)"
run "$CIRMCTL" workflow simulate --templates "$D/templates" \
	"$D/sim-start-loop.xml"
check "a loop at the very start: exit 1" [ "$rc" -eq 1 ]
check "... with the run's error, not '(null)'" contains "$err" \
	"cirmctl: eventless transitions loop in state ny"
run "$CIRMCTL" workflow simulate --templates "$D/templates" "$D/bad-loop.xml"
check "an invalid workflow is not simulated" [ "$rc" -eq 1 -a -z "$out" ]
check "... and its problems are shown" contains "$err" "loop forever"
run "$CIRMCTL" workflow simulate
check "simulate without a file is a usage error" [ "$rc" -eq 64 ]
run "$CIRMCTL" workflow simulate "$W/synpunkt.xml" --channel fax
check "an unknown channel is a usage error" [ "$rc" -eq 64 ]
# --events may be left out: the case only starts, and comes to rest.
run "$CIRMCTL" workflow simulate "$W/synpunkt.xml" --start 2026-12-03T10:00
check "without --events a new case comes to rest" contains "$out" \
	"final: registrerad"
# ... as --help, cirmctl(1) and cirm-workflow(5) all say
run "$CIRMCTL" --help
check "--help gives --events as optional" contains "$out" \
	"workflow simulate FILE [--events LIST]"
for page in cirmctl.1 cirm-workflow.5; do
	check "$page gives simulate's --events as optional" contains \
		"$(grep 'workflow simulate\\fP' "$top_srcdir/doc/$page")" \
		'\fIfile\fP [\fB\-\-events\fP \fIlist\fP]'
done

# A question with a comma in it: "\," in --events, as the error says.
run "$CIRMCTL" workflow simulate "$W/synpunkt.xml" --start 2026-12-03T10:00 \
	--events "#ta, #fraga Var står lampan, vid skolan?"
check "a comma in a command's text: exit 1" [ "$rc" -eq 1 ]
check "... saying how to write it" contains "$err" \
	"bad event name 'vid skolan?' (a comma in a command's text is written \\,)"
run "$CIRMCTL" workflow simulate "$W/synpunkt.xml" --start 2026-12-03T10:00 \
	--events "#ta, #fraga Var står lampan\\, vid skolan?, +1d"
check "written \\, it is part of the text" contains "$out" \
	"text: Var står lampan, vid skolan?"
check "... and the steps after it run" contains "$out" "wait +1d until"

# pattern() reads UTF-8 whatever the locale: cirmd often runs in "C"
# (this script does), where a regular expression saw bytes, so that
# "[aä]" and "." missed a Swedish letter and "Å" was not "å".
sorted() {
	"$CIRMCTL" workflow simulate --templates "$D/templates" \
		"$D/sim-words.xml" --start 2026-12-01T10:00 --text "$1" |
		sed -n 's/^final: //p'
}
check "pattern() folds Å to å in any locale" \
	[ "$(sorted "Återvinningen är full")" = atervinning ]
check "pattern() brackets hold Swedish letters" \
	[ "$(sorted "Klippt gräs ligger kvar")" = park ]
check "pattern() '.' is one Swedish letter" \
	[ "$(sorted "Ingen snöröjning på gatan")" = park ]
check "... and not any text" [ "$(sorted "Skräp i parken")" = ovrigt ]
# keyword() is a whole word between any punctuation phones and mail
# programs put next to it: an ellipsis, typographic quotes, a dash, a
# no-break space; a letter (Swedish ones too) still joins a word.
check "keyword() before an ellipsis" [ "$(sorted "Det är akut…")" = akut ]
check "keyword() in typographic quotes" \
	[ "$(sorted "Ett ”akut” ärende")" = akut ]
check "keyword() in guillemets" [ "$(sorted "»Akut«")" = akut ]
check "keyword() before a dash" [ "$(sorted "Akut—lampan föll")" = akut ]
check "keyword() after a no-break space" \
	[ "$(sorted "$(printf 'Mycket\302\240akut')")" = akut ]
check "keyword() is not part of a longer word" \
	[ "$(sorted "Till akutmottagningen")" = ovrigt ]
check "... nor of one with Swedish letters" \
	[ "$(sorted "Ett akutärende och en påakut")" = ovrigt ]

# By SMS each reply is shown as the citizen's telephone shows it, with
# what it costs; a case officer's answer without the mail signature.
run "$CIRMCTL" workflow simulate "$W/synpunkt.xml" --channel sms \
	--start 2026-12-03T10:00 --events "sms.citizen, #ta, #fraga Vilken park?

Med vänliga hälsningar
Eva Ek
Handläggare\\, Gatukontoret
Tel 0123-45 67 89"
check "simulate --channel sms: the acknowledgement as an SMS, and its cost" \
	contains "$out" "                  reply acknowledgement
                  sms: 126 characters, 1 segment (GSM 7-bit)
                  | Kommunen: Tack! Vi har tagit emot ditt meddelande. Ärendenummer KS-2026-00001. Svara"
check "... the officer's text, each line under the first" contains "$out" \
	"                  text: Vilken park?"
check "... (the lines below it)" contains "$out" "
                        Med vänliga hälsningar
                        Eva Ek
                        Handläggare, Gatukontoret"
check "... the officer's question, signed with the name and telephone" \
	contains "$out" "                  sms: 93 characters, 1 segment (GSM 7-bit)
                  | Vilken park?
                  | /Eva Ek, tel. 0123-45 67 89, Kommunen, ärende KS-2026-00001. Svara på detta sms."
run "$CIRMCTL" workflow simulate "$W/synpunkt.xml" --events "mail.citizen, #ta"
check "... by mail, none of that" sh -c "! printf '%s' \"\$1\" | grep -q 'sms:'" - "$out"

# By mail (the default channel) each reply is shown as the citizen's
# mail: its subject and its text, in the templates' language.
run "$CIRMCTL" workflow simulate "$W/synpunkt.xml" --start 2026-12-03T10:00 \
	--events "#ta, #fraga Vilken park?

Med vänliga hälsningar
Eva Ek\\, Gatukontoret, +2w"
check "simulate by mail: the acknowledgement's subject and text" \
	contains "$out" "                  reply acknowledgement
                  mail: Subject: Vi har tagit emot ditt ärende [KS-2026-00001]
                  | Hej!
                  |
                  | Tack för ditt meddelande till Kommunen."
check "... received when the case starts, not a gap" contains "$out" \
	"| Tack för ditt meddelande till Kommunen. Vi tog emot det
                  | den 3 december 2026 kl. 10.00 och gav det ärendenumret KS-2026-00001."
check "... to its end" contains "$out" "                  | Det här är ett automatiskt svar.
                  set category synpunkt"
# the mail keeps the officer's signature, and the template signs with
# the municipality's name only when the officer did not
check "... the officer's question, signed as they signed it" contains "$out" \
	"                  reply question (the handler's text)
                  mail: Subject: Fråga om ditt ärende [KS-2026-00001]
                  | Vilken park?
                  |
                  | Med vänliga hälsningar
                  | Eva Ek, Gatukontoret
                  |
                  | Det här är en fråga från oss om ditt ärende KS-2026-00001. Svara på"
check "... the reminder, with the time of the armed give-up timer" \
	contains "$out" "                  reply question-reminder
                  mail: Subject: Vi väntar på ditt svar [KS-2026-00001]"
check "... (the time)" contains "$out" \
	"| Får vi inget svar före den 28 december 2026 kl. 10.00 avslutar vi ärendet."
check "... a handler's notification is not the citizen's: no text" contains "$out" \
	"                  notify role:handlaggare handler-new-case
2026-12-03 10:00  command #ta"
# A long mail is cut after 40 lines, saying how many more there are.
mkdir "$T/long"
cp -r "$top_srcdir/templates" "$T/long/templates"
{
	printf 'Subject: Klart [{{case.number}}]\n\n'
	i=1
	while [ $i -le 45 ]; do echo "Rad $i"; i=$((i + 1)); done
} >"$T/long/templates/sv/resolved"
run "$CIRMCTL" workflow simulate "$W/synpunkt.xml" --templates "$T/long/templates" \
	--events "#ta, #klar"
check "a long mail: its first 40 lines" contains "$out" "                  | Rad 40
                  | ... (5 more lines)
                  set due (cleared)"
# A template with no SMS variant: its mail text goes while it fits in
# sms-segments, and not when it does not, as cirmd decides.
mkdir "$T/sms"
cp -r "$top_srcdir/templates" "$T/sms/templates"
rm "$T/sms/templates/sv/resolved.sms"
sed 's/<workflow /<workflow sms-segments="1" /' "$W/synpunkt.xml" >"$T/sms/one.xml"
run "$CIRMCTL" workflow simulate "$W/synpunkt.xml" --channel sms \
	--templates "$T/sms/templates" --events "sms.citizen, #ta, #klar"
check "simulate --channel sms: a mail text within sms-segments goes, said so" \
	contains "$out" "                  reply resolved
                  sms: 229 characters, 2 segments (GSM 7-bit), the mail text: no SMS variant
                  | Hej!
                  |
                  | Vi har nu behandlat"
run "$CIRMCTL" workflow simulate "$T/sms/one.xml" --channel sms \
	--templates "$T/sms/templates" --events "sms.citizen, #ta, #klar"
check "... and over it, not sent" contains "$out" \
	"sms: not sent: resolved has no SMS variant sv/resolved.sms, and its mail text costs 2 segments (GSM 7-bit), over sms-segments 1; the case officers are told"

# cirmctl workflow dot.
run "$CIRMCTL" workflow dot "$W/synpunkt.xml"
check "dot: a Graphviz digraph" contains "$out" 'digraph "synpunkt"'
run env PATH=/nonexistent "$CIRMCTL" workflow dot --svg "$W/synpunkt.xml"
check "dot --svg without Graphviz: EX_UNAVAILABLE" [ "$rc" -eq 69 ]
check "... naming the package" contains "$err" "Debian package graphviz"
if command -v dot >/dev/null; then
	run "$CIRMCTL" workflow dot --svg "$W/synpunkt.xml"
	check "dot --svg: an SVG picture" contains "$out" "</svg>"
else
	ok "# SKIP dot --svg: Graphviz not installed"
fi
run "$CIRMCTL" workflow dot
check "dot without a file is a usage error" [ "$rc" -eq 64 ]

# A command's text that no reply of its event shows goes to the citizen
# in cirm's own answer, as cirmd sends it: shown, so that a text meant
# for colleagues (#ta with a word for them) is seen to reach the
# citizen; #klar's resolved shows it, and sends no answer besides.
run "$CIRMCTL" workflow simulate "$W/synpunkt.xml" --start 2026-12-01T09:00 \
	--events "#ta Vi kollar med miljö, #klar Lampan är lagad."
check_all "a command's text no reply shows: the answer, as the citizen gets it" <<-'EOF'
	[ "$rc" -eq 0 ]
	contains "$out" "2026-12-01 09:00  command #ta: cmd.take
                  text: Vi kollar med miljö
                  leave registrerad"
	contains "$out" "enter tilldelad
                  reply answer (the handler's text)
                  mail: Subject: Svar: [KS-2026-00001]
                  | Vi kollar med miljö
                  |
                  | Med vänlig hälsning"
	[ "$(printf '%s\n' "$out" | grep -c 'reply answer')" -eq 1 ]
	EOF

done_testing
