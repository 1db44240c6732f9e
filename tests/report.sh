#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# cirmctl report: how soon the cases of a period got their first answer
# from a case officer, in business days of the workflow's calendar. The
# cases are made the real way (citizen mail, the case officer's reply
# through the signed address); then their times are moved to known
# days, around a weekend and Christmas, so that the deadlines are known.
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE= TZ=Europe/Stockholm
unset CIRM_CONF

command -v sqlite3 >/dev/null || skip_all "sqlite3 command-line tool not installed (apt-get install sqlite3)"
[ "$(date -d '2026-07-01 12:00' +%z)" = "+0200" ] ||
	skip_all "no time zone data for Europe/Stockholm (apt-get install tzdata)"

I=$T/inst
C=$I/cirm.conf
MAILGATE=$top_builddir/cirm-mailgate

sql() {
	sqlite3 -cmd '.timeout 5000' "$I/cirm.db" "$1"
}

at() {
	date -d "$1" +%s
}

# mail FROM TO MESSAGE-ID SUBJECT TEXT: one mail through cirm-mailgate.
mail() {
	printf 'From: %s\nTo: %s\nSubject: %s\nMessage-ID: <%s>\n\n%s\n' \
		"$1" "$2" "$4" "$3" "$5" | "$MAILGATE" -c "$C" ||
		echo "mailgate failed on $3" >&2
}

# case_id SUBJECT: the id of the case with SUBJECT.
case_id() {
	sql "SELECT id FROM cases WHERE subject = '$1'"
}

# answer SUBJECT TEXT: eva replies to her notification of that case.
answer() {
	id=$(case_id "$1")
	rt=$(sql "SELECT headers FROM outbox WHERE case_id = $id AND recipient = 'eva@kommun.example' ORDER BY id LIMIT 1" |
		sed -n 's/^Reply-To: *//p' | sed 's/.*<//; s/>.*//' | tr -d '\r')
	mail eva@kommun.example "$rt" "e-$id-$(date +%s%N)@kommun.example" "Re: $1" "$2"
	"$CIRMD" -c "$C" --once 2>>"$T/cirmd.log"
}

# moved SUBJECT RECEIVED [ANSWERED]: the case was received at RECEIVED
# and eva's answer (when there is one) written at ANSWERED.
moved() {
	id=$(case_id "$1")
	sql "UPDATE cases SET received_at = $(at "$2") WHERE id = $id"
	[ -z "${3:-}" ] || sql "UPDATE event SET at = $(at "$3") WHERE case_id = $id AND kind = 'reply.sent' AND actor_id IS NOT NULL"
}

"$CIRMCTL" init "$I" >/dev/null || exit 99
"$CIRMCTL" -c "$C" handler add eva --email eva@kommun.example \
	--group synpunkter >/dev/null || exit 99

n=0
for s in A B C D E F G H L; do
	n=$((n + 1))
	mail "person$n@example.se" arende@kommun.example "c$n@example.se" "$s" \
		"Hej, gatlampan utanfor nummer $n ar trasig sedan en vecka."
done
"$CIRMD" -c "$C" --once 2>>"$T/cirmd.log"
check "nine cases, each acknowledged" \
	[ "$(sql "SELECT count(*) FROM event WHERE kind = 'reply.sent' AND detail = 'acknowledgement'")" -eq 9 ]

answer A "Hej! Vi lagar lampan i veckan."
answer B "Hej! Lampan ar lagad."
answer C "Hej! Vi har skickat en elektriker."
answer D "Hej! Lampan byts efter helgerna."
answer L "Hej! Tack, vi ordnar det."
answer E "#ta"
answer F "#note
Ringde upp, lampan ar lagad."
answer H "#stäng"
check "a handler's answer names the handler" \
	[ "$(sql "SELECT count(*) FROM event e JOIN contact h ON h.id = e.actor_id WHERE e.kind = 'reply.sent' AND h.login = 'eva'")" -eq 5 ]
check "commands alone and notes are no answers" \
	[ "$(sql "SELECT count(*) FROM event WHERE kind = 'reply.sent' AND detail = 'answer'")" -eq 5 ]
check "H is closed" [ -n "$(sql "SELECT closed_at FROM cases WHERE subject = 'H'")" ]

# A: Monday 10:00, answered Wednesday 09:00: in time (due Wednesday 10:00).
moved A "2026-11-02 10:00" "2026-11-04 09:00"
# B: Monday 10:00, answered Wednesday 11:00: late.
moved B "2026-11-02 10:00" "2026-11-04 11:00"
# C: Friday 17:00, after closing: the two days count from Monday 08:00,
# so an answer Tuesday afternoon, 94 hours later, is in time.
moved C "2026-11-06 17:00" "2026-11-10 15:00"
# D: Tuesday 23 December 2025, 10:00. Christmas Eve, Christmas Day,
# Boxing Day and the weekend are closed: Monday 29 and Tuesday 30 are
# the two days, so an answer on the 30th at 09:30 is in time.
moved D "2025-12-23 10:00" "2025-12-30 09:30"
# L: answered before cirm named the handler on the answer's event.
moved L "2026-11-03 09:00" "2026-11-03 13:00"
sql "UPDATE event SET actor_id = NULL WHERE case_id = $(case_id L) AND kind = 'reply.sent'"
# E (taken, no answer) and F (only a note): open, unanswered, long due.
moved E "2026-11-12 10:00"
moved F "2026-11-13 10:00"
# H: closed without an answer.
moved H "2026-11-16 10:00"
# G: arrived just now, not answered: still waiting.

run "$CIRMCTL" -c "$C" report --from 2026-11-01 --to 2026-11-30 --csv
check "csv exits 0" [ "$rc" -eq 0 ]
check "csv header" [ "$(printf '%s\n' "$out" | sed -n 1p)" = "workflow,received,in_time,late,waiting,overdue,no_answer,in_time_percent,median_hours" ]
# November: A C L in time, B late, E F overdue, H closed unanswered;
# 3 of 6 in time; hours 47, 49, 94, 4: median 48.
check "November, all cases" [ "$(printf '%s\n' "$out" | sed -n 2p)" = "all,7,3,1,0,2,1,50.0,48.0" ]
check "November, by workflow" [ "$(printf '%s\n' "$out" | sed -n 3p)" = "synpunkt,7,3,1,0,2,1,50.0,48.0" ]
check "nothing more" [ "$(printf '%s\n' "$out" | wc -l)" -eq 3 ]

run "$CIRMCTL" -c "$C" report --from 2025-12-01 --to 2025-12-31 --csv
check "December 2025: D in time across Christmas" contains "$out" "all,1,1,0,0,0,0,100.0,167.5"

# From December 2025 to today: G, received today, waits.
run "$CIRMCTL" -c "$C" report --from 2025-12-01 --by month --csv
check_all "by month: December 2025, November, and G this month" <<-'EOF'
	printf '%s\n' "$out" | grep -qx '2025-12,1,1,0,0,0,0,100.0,167.5' &&
	printf '%s\n' "$out" | grep -qx '2026-11,7,3,1,0,2,1,50.0,48.0' &&
	printf '%s\n' "$out" | grep -qx "$(date +%Y-%m),1,0,0,1,0,0,," &&
	printf '%s\n' "$out" | grep -qx 'all,9,4,1,1,2,1,57.1,49.0'
	EOF

run "$CIRMCTL" -c "$C" report --from 2026-11-01 --to 2026-11-30 --within 1 --csv
check "--within 1: only L answered in time" contains "$out" "all,7,1,3,0,2,1,16.7,48.0"

run "$CIRMCTL" -c "$C" report --from 2026-11-01 --to 2026-11-30 --by group
check "table exits 0" [ "$rc" -eq 0 ]
check "table names the period and deadline" contains "$out" "Cases received 2026-11-01 to 2026-11-30: the first answer from a case officer, due within 2 business days"
check "table row of the group" [ -n "$(printf '%s\n' "$out" | grep -E '^synpunkter +7 +3 +1 +0 +2 +1 +50\.0 % +48\.0$')" ]
check "table explains its columns" contains "$out" "no answer: closed"
# Two groups whose names begin alike: each row names its group whole,
# and the numbers stay under their titles.
"$CIRMCTL" -c "$C" handler add stina --email stina@kommun.example \
	--group miljoforvaltningen-bygglov --group miljoforvaltningen-tillsyn \
	>/dev/null 2>&1
old_group=$(sql "SELECT group_id FROM cases WHERE id = $(case_id B)")
sql "UPDATE cases SET group_id = (SELECT id FROM handler_group WHERE name = 'miljoforvaltningen-bygglov') WHERE id = $(case_id B)"
sql "UPDATE cases SET group_id = (SELECT id FROM handler_group WHERE name = 'miljoforvaltningen-tillsyn') WHERE id = $(case_id C)"
run "$CIRMCTL" -c "$C" report --from 2026-11-01 --to 2026-11-30 --by group
check "long group names are shown whole" [ -n "$(printf '%s\n' "$out" | grep -E '^miljoforvaltningen-bygglov +1 +0 +1 ')" ]
check "... each of them" [ -n "$(printf '%s\n' "$out" | grep -E '^miljoforvaltningen-tillsyn +1 +1 +0 ')" ]
check "... and the titles end where their columns do" \
	[ "$(printf '%s\n' "$out" | sed -n 3p | wc -m)" -eq "$(printf '%s\n' "$out" | grep '^all ' | wc -m)" ]
sql "UPDATE cases SET group_id = $old_group WHERE id IN ($(case_id B), $(case_id C))"

run "$CIRMCTL" -c "$C" report --from 2026-11-01 --to 2026-11-30 --by channel --csv
check "by channel" contains "$out" "email,7,3,1,0,2,1,50.0,48.0"
# By handler: the one each case is assigned to now. Eva has all but F
# (never taken) and B, given to Olle.
"$CIRMCTL" -c "$C" handler add olle --email olle@kommun.example \
	--group synpunkter >/dev/null
sql "UPDATE cases SET assignee_id = (SELECT id FROM contact WHERE login = 'olle') WHERE id = $(case_id B)"
run "$CIRMCTL" -c "$C" report --from 2026-11-01 --to 2026-11-30 --by handler --csv
check_all "by handler: eva, olle, and F without one" <<-'EOF'
	[ "$rc" -eq 0 ] &&
	[ "$(printf '%s\n' "$out" | sed -n 1p | cut -d, -f1)" = handler ] &&
	printf '%s\n' "$out" | grep -qx 'eva,5,3,0,0,1,1,75.0,47.0' &&
	printf '%s\n' "$out" | grep -qx 'olle,1,0,1,0,0,0,0.0,49.0' &&
	printf '%s\n' "$out" | grep -q '^-,1,0,0,0,1,0,0.0,'
EOF

# A case whose workflow definition is gone counts in the default calendar.
sql "UPDATE cases SET workflow = NULL WHERE id = $(case_id A)"
run "$CIRMCTL" -c "$C" report --from 2026-11-01 --to 2026-11-30
check "a case without workflow is said to use the default calendar" \
	contains "$out" "1 case has no workflow definition cirm can read"

# bad input
run "$CIRMCTL" -c "$C" report --from 2026-02-30
check "a day that does not exist" [ "$rc" -eq 64 ]
check "is named" contains "$err" "'2026-02-30'"
run "$CIRMCTL" -c "$C" report --from 1/11
check "a day in another form" [ "$rc" -eq 64 ]
run "$CIRMCTL" -c "$C" report --from 2026-12-01 --to 2026-11-01
check "a period that ends before it begins" contains "$err" "ends (2026-11-01) before it begins (2026-12-01)"
next_year=$(date -d '+1 year' +%F)
run "$CIRMCTL" -c "$C" report --from "$next_year"
check "--from alone after today: a usage error" [ "$rc" -eq 64 ]
check "... saying so, not of an end nobody gave" contains "$err" "--from $next_year is after today ($(date +%F))"
run "$CIRMCTL" -c "$C" report --to 2026-11-30
check "--to alone" [ "$rc" -eq 64 ]
run "$CIRMCTL" -c "$C" report --within 0
check "--within 0" contains "$err" "--within takes a number of business days from 1 to 60"
run "$CIRMCTL" -c "$C" report --within 2x
check "--within 2x" [ "$rc" -eq 64 ]
run "$CIRMCTL" -c "$C" report --by person
check "--by person" contains "$err" "--by takes workflow, group, handler, channel or month"
run "$CIRMCTL" -c "$C" report november
check "a stray argument" [ "$rc" -eq 64 ]

# In Swedish: the table speaks Swedish with decimal commas; the CSV's
# numbers keep their decimal points.
sv=$(locale -a 2>/dev/null | grep -i -m1 -x 'sv_SE\.utf-\{0,1\}8')
if [ -n "$sv" ] && [ -f "$CIRM_LOCALEDIR/sv/LC_MESSAGES/cirm.mo" ]; then
	run env LC_ALL="$sv" "$CIRMCTL" -c "$C" report --from 2026-11-01 --to 2026-11-30
	check "Swedish table" contains "$out" "Ärenden inkomna 2026-11-01 till 2026-11-30"
	check "Swedish decimal comma" [ -n "$(printf '%s\n' "$out" | grep -E '^alla +7 +3 +1 +0 +2 +1 +50,0 % +48,0$')" ]
	check "Swedish table: the titles end where their columns do" [ "$(printf '%s\n' "$out" | sed -n 3p | LC_ALL="$sv" wc -m)" -eq "$(printf '%s\n' "$out" | grep '^alla ' | LC_ALL="$sv" wc -m)" ]
	run env LC_ALL="$sv" "$CIRMCTL" -c "$C" report --from 2026-11-01 --to 2026-11-30 --csv
	check "Swedish CSV keeps decimal points" contains "$out" "all,7,3,1,0,2,1,50.0,48.0"
else
	[ -z "${CI:-}" ] || not_ok "no Swedish locale or catalogue under CI"
fi

# The previous month by default.
run "$CIRMCTL" -c "$C" report
check "default period: the previous month" contains "$out" "Cases received $(date -d "$(date +%Y-%m-01) -1 day" +%Y-%m-01) to $(date -d "$(date +%Y-%m-01) -1 day" +%Y-%m-%d):"

done_testing
