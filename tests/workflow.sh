#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# cirmctl workflow run --scxml: a plain SCXML document on a virtual clock.
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE=
D=$top_srcdir/tests/data/scxml

run "$CIRMCTL" workflow run --scxml "$D/timer.scxml"
check "without events: the initial configuration" [ "$out" = wait ]
run "$CIRMCTL" workflow run --scxml "$D/timer.scxml" --events "+4s"
check "before the delay: still waiting" [ "$out" = wait ]
run "$CIRMCTL" workflow run --scxml "$D/timer.scxml" --events "+4s, +1s"
check "the delayed send fires on the virtual clock" [ "$out" = expired ]
run "$CIRMCTL" workflow run --scxml "$D/timer.scxml" --events "stop, +10s"
check "cancel stops the delayed send" [ "$out" = stopped ]
run "$CIRMCTL" workflow run --scxml "$D/xxe.scxml"
check "XXE refused" [ "$rc" -eq 1 ]
check "XXE refused with file:line" contains "$err" "xxe.scxml:2: DOCTYPE not allowed"
run "$CIRMCTL" workflow run --scxml "$D/billion-laughs.scxml"
check "billion laughs refused" contains "$err" "DOCTYPE not allowed"
check "... saying what to do" contains "$err" \
	"DOCTYPE not allowed (no DTDs or entities): remove the <!DOCTYPE ...> and write out what its entities stood for"
run "$CIRMCTL" workflow run --scxml "$D/invalid.scxml"
check "invalid document: every error, each file:line" \
	[ "$(printf '%s\n' "$err" | grep -c "invalid.scxml:[0-9]*:")" -ge 5 ]
run "$CIRMCTL" workflow run --scxml "$D/loop.scxml" --events go
check "an eventless loop ends in an error, not a hang" contains "$err" "loop"
run timeout 60 "$CIRMCTL" workflow run --scxml "$D/sendloop.scxml" --events go
check "so does a loop of sent events" contains "$err" "external events loop"
mkfifo "$T/pipe.xml"
run timeout 60 "$CIRMCTL" workflow check "$T/pipe.xml"
check "a named pipe is refused, not waited on" contains "$err" \
	"pipe.xml: not a regular file"
cp -R "$top_srcdir/templates" "$T/tpl"
rm "$T/tpl/sv/resolved"
mkfifo "$T/tpl/sv/resolved"
run timeout 60 "$CIRMCTL" workflow check --templates "$T/tpl" \
	"$top_srcdir/workflows/synpunkt.xml"
check "a named pipe among the templates is refused, not waited on" \
	contains "$err" "tpl/sv/resolved: not a regular file"
run timeout 60 "$CIRMCTL" workflow run --scxml "$T/pipe.xml"
check "... by run --scxml too" contains "$err" "pipe.xml: not a regular file"
run "$CIRMCTL" workflow run --scxml "$T/none.scxml"
check "missing file" [ "$rc" -eq 1 ]
run "$CIRMCTL" workflow run
check "no --scxml is a usage error" [ "$rc" -eq 64 ]
run "$CIRMCTL" workflow frob
check "unknown workflow command is a usage error" [ "$rc" -eq 64 ]
head -c 1100000 /dev/zero | tr '\0' ' ' >"$T/big.scxml"
run "$CIRMCTL" workflow run --scxml "$T/big.scxml"
check "a file over the size limit is refused" contains "$err" "larger than"

# A workflow outside any instance or source tree, with cirm not
# installed: the check says where it looked and what to give instead.
mkdir -p "$T/alone"
cp "$top_srcdir/workflows/synpunkt.xml" "$T/alone/mine.xml"
run env CIRM_DATADIR="$T/nowhere" "$CIRMCTL" workflow check "$T/alone/mine.xml"
check "no templates anywhere: the check fails" [ "$rc" -eq 1 ]
check "and says what to give instead" contains "$err" "give --templates DIR, or -c FILE"
check "... naming where it looked" contains "$err" \
	"no templates directory $T/templates or $T/alone/templates for $T/alone/mine.xml"
run "$CIRMCTL" workflow check --templates "$top_srcdir/templates" "$T/alone/mine.xml"
check "with --templates it passes" [ "$rc" -eq 0 ]
# the counts of the "valid" line, one and more, in their plural forms
W=$top_srcdir/tests/data/workflow
run "$CIRMCTL" workflow check --templates "$W/templates" "$W/sim-loop.xml" \
	"$W/sim-start-loop.xml"
check "one timer is a timer, not timers" contains "$out" \
	"sim-loop.xml: workflow sim-loop version 1 is valid (5 states, 1 timer, 2 commands)"
check "... and one command a command" contains "$out" \
	"sim-start-loop.xml: workflow sim-start-loop version 1 is valid (2 states, 0 timers, 1 command)"
# ... and with its templates kept beside it, in its directory
cp -R "$top_srcdir/templates" "$T/alone/templates"
run env CIRM_DATADIR="$T/nowhere" "$CIRMCTL" workflow check "$T/alone/mine.xml"
check "templates in the workflow's own directory are found" [ "$rc" -eq 0 ]
rm -r "$T/alone/templates"
# ... and those beside its directory, as in an instance, named without
# a "workflows/../" in what the check says
mkdir -p "$T/inst/workflows"
cp -R "$top_srcdir/templates" "$T/inst/templates"
sed 's|<template id="question"/>|<template id="question"/><template id="finns-inte"/>|' \
	"$top_srcdir/workflows/synpunkt.xml" >"$T/inst/workflows/mine.xml"
run env CIRM_DATADIR="$T/nowhere" "$CIRMCTL" workflow check \
	"$T/inst/workflows/mine.xml"
check "a template missing beside the workflows is named by its own path" \
	contains "$err" "template 'finns-inte' is missing for language 'sv' ($T/inst/templates/sv/finns-inte)"

# Every problem at once: a target to nowhere does not hide the others.
sed -e '0,/<transition target="oppen"\/>/s//<transition target="oppenx"\/>/' \
	-e '0,/role="handlaggare chef"/s//role="handlaggare boss"/' \
	-e 's|<template id="question"/>|<template id="question"/><template id="finns-inte"/>|' \
	"$top_srcdir/workflows/synpunkt.xml" >"$T/four.xml"
bad=$(grep -n 'target="oppenx"' "$T/four.xml" | cut -d: -f1)
run "$CIRMCTL" workflow check --templates "$top_srcdir/templates" "$T/four.xml"
check_all "workflow check: a bad target and three more problems, all at once" <<-'EOF'
	[ "$rc" -eq 1 ] &&
	contains "$err" "four.xml:$bad: target 'oppenx': no such state" &&
	contains "$err" "command 'ta': unknown role 'boss'" &&
	contains "$err" "template 'finns-inte' is missing for language 'sv'" &&
	[ "$(printf '%s\n' "$err" | grep -c "four.xml:$bad:")" -eq 1 ]
EOF
run "$CIRMCTL" workflow simulate "$T/four.xml" --events "mail.citizen"
check "... and such a workflow never runs" [ "$rc" -ne 0 ]
# A slip of the keyboard in a state or role id: the message names the
# id meant, as cirm.conf's does a misspelt setting.
sed -e 's/target="tilldelad"/target="tilldeald"/' \
	-e 's/role="handlaggare chef"/role="handlagare chef"/' \
	-e 's/to="role:handlaggare"/to="role:handlagare"/' \
	"$top_srcdir/workflows/synpunkt.xml" >"$T/slip.xml"
run "$CIRMCTL" workflow check --templates "$top_srcdir/templates" "$T/slip.xml"
check_all "workflow check: a misspelt state or role id gets a did you mean" <<-'EOF'
	[ "$rc" -eq 1 ]
	contains "$err" "target 'tilldeald': no such state (did you mean 'tilldelad'?)"
	contains "$err" "unknown role 'handlagare' (not in <roles>; did you mean 'handlaggare'?)"
	contains "$err" "command 'ta': unknown role 'handlagare' (did you mean 'handlaggare'?)"
	EOF

# A state a case can rest in where no transition takes a citizen's
# mail: it would be kept on the case with nobody told (a "klar" state
# written as a plain state). A warning, at the state's line; the
# shipped workflows have none.
cat >"$T/tyst.xml" <<'XML'
<workflow xmlns="urn:x-cirm:workflow:1" id="tyst" version="1"
          initial="ny" xml:lang="sv">
  <commands>
    <command word="klar" event="cmd.resolve"/>
    <command word="stäng" event="cmd.close"/>
  </commands>
  <state id="ny">
    <transition target="oppen"/>
  </state>
  <state id="oppen">
    <transition event="mail.citizen" target="oppen"/>
    <transition event="cmd.resolve" target="klar"/>
  </state>
  <state id="klar">
    <transition event="sms.citizen" target="oppen"/>
    <transition event="cmd.close" target="vilande"/>
  </state>
  <state id="vilande">
    <transition event="cmd.resolve" target="stangd"/>
  </state>
  <final id="stangd"/>
</workflow>
XML
run "$CIRMCTL" workflow check --templates "$top_srcdir/templates" "$T/tyst.xml"
check_all "workflow check: a state no citizen's mail is taken in is warned of" <<-'EOF'
	[ "$rc" -eq 0 ]
	contains "$err" "tyst.xml:10: warning: state 'oppen': no transition in it or around it takes sms.citizen: a citizen who writes while the case is here is kept on the case with nobody told"
	contains "$err" "tyst.xml:14: warning: state 'klar': no transition in it or around it takes mail.citizen:"
	contains "$err" "tyst.xml:18: warning: state 'vilande': no transition in it or around it takes mail.citizen or sms.citizen:"
	contains "$err" '<transition event="mail.citizen sms.citizen"> with a <notify>'
	[ "$(printf '%s\n' "$err" | grep -c "state 'ny'")" -eq 0 ]
	EOF
# Commands without an English translation: English-reading case
# officers would get them in Swedish. One warning, at the first.
check "workflow check: commands with no English translation are warned of" \
	contains "$err" "tyst.xml:4: warning: no <translation xml:lang=\"en\"> for #klar, #stäng: case officers added with --language en are shown them in the workflow's own words and help"
for wf in synpunkt felanmalan; do
	run "$CIRMCTL" workflow check --templates "$top_srcdir/templates" \
		"$top_srcdir/workflows/$wf.xml"
	check "$wf takes a citizen's mail in every state a case rests in" \
		[ "$rc" -eq 0 -a -z "$err" ]
done
# ... but not a state that routes a case on at once by a condition, nor
# SMS in a workflow that takes none (one for mail alone)
cat >"$T/bara-mejl.xml" <<'XML'
<workflow xmlns="urn:x-cirm:workflow:1" id="bara-mejl" version="1"
          initial="ny" xml:lang="sv">
  <commands><command word="klar" event="cmd.resolve">
    <translation xml:lang="en" word="resolve"/></command></commands>
  <state id="ny">
    <transition cond="assigned()" target="oppen"/>
    <transition cond="not assigned()" target="oppen"/>
  </state>
  <state id="oppen">
    <transition event="mail.citizen" target="oppen"/>
    <transition event="cmd.resolve" target="klar"/>
  </state>
  <final id="klar"/>
</workflow>
XML
run "$CIRMCTL" workflow check --templates "$top_srcdir/templates" "$T/bara-mejl.xml"
check "a routing state, and a workflow for mail alone: no warning" \
	[ "$rc" -eq 0 -a -z "$err" ]

# cirm's own template answer, the frame around every handler's answer
# to a citizen, is named by no workflow: it is checked all the same,
# before any answer waits in the inbox for it.
cp -R "$top_srcdir/templates" "$T/own"
sed -i 's/{{message.text}}/{{message.txt}}/' "$T/own/sv/answer"
run "$CIRMCTL" workflow check --templates "$T/own" "$top_srcdir/workflows/synpunkt.xml"
check "a broken answer template fails the check" [ "$rc" -eq 1 ]
check "... with its file and line" contains "$err" \
	"synpunkt.xml:23: template 'answer': $T/own/sv/answer:3: unknown variable 'message.txt'"
# every problem of a template at once, each with its line
printf 'Subject: Svar\n\n{{foo}}\n{{bar}}\n{{#if case.closed}}\nx\n' \
	>"$T/own/sv/answer"
run "$CIRMCTL" workflow check --templates "$T/own" "$top_srcdir/workflows/synpunkt.xml"
check_all "... each of its problems, with its line" <<-'EOF'
	contains "$err" "template 'answer': $T/own/sv/answer:3: unknown variable 'foo'" && \
	contains "$err" "template 'answer': $T/own/sv/answer:4: unknown variable 'bar'" && \
	contains "$err" "template 'answer': $T/own/sv/answer:5: {{#if}} without {{/if}}"
EOF
cp "$top_srcdir/templates/sv/answer" "$T/own/sv/answer"
printf '{{message.text}} Mer: https://kommun.example\n' >"$T/own/en/answer.sms"
run "$CIRMCTL" workflow check --templates "$T/own" "$top_srcdir/workflows/synpunkt.xml"
check "... and its SMS variant" contains "$err" \
	"template 'answer.sms' (en) has a link"
rm "$T/own/en/answer.sms" "$T/own/en/answer"
run "$CIRMCTL" workflow check --templates "$T/own" "$top_srcdir/workflows/synpunkt.xml"
check "one language without it takes sv's, as cirm does" [ "$rc" -eq 0 ]

# The history holds internal notes: a template sent to the citizen may
# not show it (a notification's may), nor the case officers' commands.
rm -rf "$T/own"
cp -R "$top_srcdir/templates" "$T/own"
printf '\nVad som hänt:\n{{case.history}}\n' >>"$T/own/sv/resolved"
run "$CIRMCTL" workflow check --templates "$T/own" "$top_srcdir/workflows/synpunkt.xml"
check "the history in a citizen's template fails the check" [ "$rc" -eq 1 ]
check "... at the <reply> that sends it" contains "$err" \
	"synpunkt.xml:269: template 'resolved' (sv) goes to the citizen but shows {{case.history}}, which is for case officers only (the history holds internal notes)"
cp "$top_srcdir/templates/sv/resolved" "$T/own/sv/resolved"
printf '\n{{case.citizen_text}}\n' >>"$T/own/sv/question-reminder"
run "$CIRMCTL" workflow check --templates "$T/own" "$top_srcdir/workflows/synpunkt.xml"
check "... and so does another party's words" contains "$err" \
	"template 'question-reminder' (sv) goes to the citizen but shows {{case.citizen_text}}, which is for case officers only"
cp "$top_srcdir/templates/sv/question-reminder" "$T/own/sv/question-reminder"
printf '{{#if commands.help}}{{commands.help}}{{/if}}\n' >>"$T/own/en/answer"
run "$CIRMCTL" workflow check --templates "$T/own" "$top_srcdir/workflows/synpunkt.xml"
check "... and cirm's own answer template showing the commands" contains "$err" \
	"synpunkt.xml:23: template 'answer' (en) goes to the citizen but shows"
cp "$top_srcdir/templates/en/answer" "$T/own/en/answer"
printf '\n{{case.history}}\n' >>"$T/own/sv/handler-new-case"
run "$CIRMCTL" workflow check --templates "$T/own" "$top_srcdir/workflows/synpunkt.xml"
check "a notification may show the history" [ "$rc" -eq 0 ]
# {{timer.ID}} names one of the workflow's timers; another is an error
# before any reminder goes out with a gap.
sed -i 's/timer\.ge-upp/timer.ge-uppp/g' "$T/own/sv/question-reminder"
run "$CIRMCTL" workflow check --templates "$T/own" "$top_srcdir/workflows/synpunkt.xml"
check "a template naming a timer the workflow lacks fails the check" \
	[ "$rc" -eq 1 ]
check "... with the template's line" contains "$err" \
	"/own/sv/question-reminder:7: unknown variable 'timer.ge-uppp'"

# A referral: a command that notifies a group only told of the case,
# and takes a text. The text goes to the citizen, not to the group,
# whose question it most likely is: warned of; text="none" is not.
cat >"$T/remiss.xml" <<'XML'
<workflow xmlns="urn:x-cirm:workflow:1" id="remiss" version="1"
          initial="oppen" xml:lang="sv">
  <commands>
    <command word="remiss" event="cmd.refer">
      <translation xml:lang="en" word="refer"/></command>
    <command word="klar" event="cmd.resolve">
      <translation xml:lang="en" word="resolve"/></command>
  </commands>
  <templates><template id="handler-new-case"/></templates>
  <state id="oppen">
    <transition event="mail.citizen sms.citizen"/>
    <transition event="cmd.refer">
      <if cond="assigned()">
        <notify to="group:miljö" template="handler-new-case"/>
      </if>
    </transition>
    <transition event="cmd.resolve" target="klar"/>
  </state>
  <final id="klar"/>
</workflow>
XML
run "$CIRMCTL" workflow check --templates "$top_srcdir/templates" "$T/remiss.xml"
check_all "workflow check: a command's text beside a group's notification is warned of" <<-'EOF'
	[ "$rc" -eq 0 ]
	contains "$err" "remiss.xml:4: warning: command #remiss notifies group:miljö (line 14) and takes a text, which goes to the citizen, while the group reads it too"
	contains "$err" 'give the command text="none"'
	[ "$(printf '%s\n' "$err" | grep -c "#klar")" -eq 0 ]
	EOF
sed -i 's/word="remiss" event="cmd.refer"/& text="none"/' "$T/remiss.xml"
run "$CIRMCTL" workflow check --templates "$top_srcdir/templates" "$T/remiss.xml"
check "... and text=\"none\" is not" [ "$rc" -eq 0 -a -z "$err" ]

done_testing
