#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# cirmctl workflow dot: a workflow drawn as a Graphviz digraph.
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE=
W=$top_srcdir/workflows
F=$W/synpunkt.xml

# One check that needs Graphviz: skipped without it, but never under CI
# (which installs it).
no_graphviz() {
	if [ -n "${CI:-}" ]; then
		not_ok "$1: Graphviz (dot) is not installed"
	else
		ok "$1 # SKIP Graphviz not installed (apt-get install graphviz)"
	fi
}

# Whether the last Graphviz run went without error or warning.
drawn_cleanly() {
	[ "$rc" -eq 0 ] && [ ! -s "$T/dot.err" ] && [ ! -s "$T/ctl.err" ]
}

failed_with_message() {
	[ "$rc" -ne 0 ] && [ -n "$err" ]
}

# Whether a line of $out has both strings.
line_has() {
	printf '%s\n' "$out" | grep -F -- "$1" | grep -q -F -- "$2" && return 0
	echo "# expected a line with both: $1 and $2" >&2
	return 1
}

run "$CIRMCTL" workflow dot "$F"
check "exit status 0" [ "$rc" -eq 0 ]
check "nothing on stderr" [ -z "$err" ]
case $out in digraph*) starts=yes ;; *) starts=no ;; esac
check "the output starts with digraph" [ "$starts" = yes ]
check "a compound state is a cluster" \
	contains "$out" 'subgraph "cluster_oppen" {'
check "the cluster is labelled with the state id and its entry actions" \
	contains "$out" 'label=<oppen<font point-size="9"><br/>entry / set due=P10D</font>>;'
check "an atomic state is a node with its category" \
	line_has '"tilldelad" [label=<tilldelad' '>active<'
check "... by its label, with its id when they differ" \
	line_has '"lost" [label=<löst<br/>' '>lost, waiting<'
check "a state's entry actions are in its node, a line or so each" \
	line_has '"ny" [label=<ny<br/>' \
	'>initial<br/>entry / reply acknowledgement,<br/>set category=synpunkt,<br/>set group=role:handlaggare</font>>'
check "... a log line is not among them" \
	[ "$(printf '%s\n' "$out" | grep -c 'Registrerad som')" -eq 0 ]
check "a state without actions has none" \
	contains "$out" '"tilldelad" [label=<tilldelad<br/><font point-size="9">active</font>>'
check "the initial state is marked" contains "$out" '"_init" -> "ny";'
check "a timer is a dashed edge with its duration and calendar" \
	line_has '"vantar-svar" -> "vantar-svar" [label="⏱ paminnelse P5D (kontorstid)' \
	'style=dashed'
check "a timer's edge goes where its handler leads" \
	line_has '"vantar-svar" -> "avslutad" [label="⏱ ge-upp P15D (kontorstid)' \
	'style=dashed'
check "the handler of a timer event is not drawn twice" \
	[ "$(printf '%s\n' "$out" | grep -c 'timer\.')" -eq 0 ]
check "an eventless transition is labelled" \
	line_has '"ny" -> "registrerad" [label="ε"' 'lhead="cluster_oppen"'
check "an edge from a compound state leaves its cluster" \
	line_has 'label="#klar' 'ltail="cluster_oppen"'
check "a command's event is shown by the command's word" \
	contains "$out" '"registrerad" -> "lost" [label="#klar\n/ assign sender"'
check "... in UTF-8, å and all" \
	contains "$out" '"oppen" -> "vantar-svar" [label="#fråga\n'
check "... in a loop's lines too" \
	line_has '"oppen" -> "oppen" [label="#ta / assign sender\n#tilldela /' \
	'\nmail.citizen, sms.citizen / notify'
check "targetless transitions are a dotted loop" \
	line_has '"lost" -> "lost" [label="mail.citizen, sms.citizen [thanks()]' \
		'delivery.failed / notify assignee, notify role:handlaggare", style=dotted'
check "the graph is labelled with the workflow's <title>" contains "$out" \
	'label="Synpunkter och klagomål (synpunkt, version 1)"'
first=$out
run "$CIRMCTL" workflow dot "$F"
check "the output is the same every time" [ "$out" = "$first" ]

if command -v dot >/dev/null 2>&1; then
	for f in "$W"/*.xml; do
		name=${f##*/}
		"$CIRMCTL" workflow dot "$f" >"$T/$name.dot" 2>"$T/ctl.err"
		dot -Tsvg "$T/$name.dot" >"$T/$name.svg" 2>"$T/dot.err"
		rc=$?
		check "dot -Tsvg accepts $name without a complaint" \
			drawn_cleanly
		sed 's/^/# /' "$T/ctl.err" "$T/dot.err" >&2
	done
	run "$CIRMCTL" workflow dot "$F" --svg
	check "--svg: exit status 0" [ "$rc" -eq 0 ]
	check "--svg gives SVG" contains "$out" "<svg"
	check "--svg draws the states" contains "$out" "registrerad"
else
	no_graphviz "dot -Tsvg accepts the output"
	no_graphviz "--svg gives SVG"
fi
# Graphviz out of reach (an empty PATH): --svg fails with a message.
mkdir "$T/nopath"
run env PATH="$T/nopath" "$CIRMCTL" workflow dot "$F" --svg
check "--svg without Graphviz is an error" failed_with_message

# A title on several lines, with quotes and editor markup in it, is one
# line of the label; without a title the label is the id and version.
sed 's|<title>Synpunkter och klagomål</title>|<title xmlns:ed="urn:example:editor">\
    Synpunkter "och" <ed:i>ej</ed:i>\
    klago<!-- ett ord -->mål</title>|' "$F" >"$T/titled.xml"
run "$CIRMCTL" workflow dot "$T/titled.xml"
check "a title of several lines is one line of the label" contains "$out" \
	'label="Synpunkter \"och\" klagomål (synpunkt, version 1)"'
sed '/<title>/d' "$F" >"$T/untitled.xml"
run "$CIRMCTL" workflow dot "$T/untitled.xml"
check "without a title: the id and version" contains "$out" \
	'label="synpunkt, version 1"'

# drawn_as NAME WHAT TEXT: dot -Tsvg draws $out ($T/NAME.svg) without a
# complaint, with TEXT in it: Graphviz reads WHAT as written.
drawn_as() {
	if command -v dot >/dev/null 2>&1; then
		printf '%s\n' "$out" >"$T/$1.dot"
		dot -Tsvg "$T/$1.dot" >"$T/$1.svg" 2>"$T/dot.err"
		rc=$?
		: >"$T/ctl.err"
		check "dot -Tsvg accepts $2" drawn_cleanly
		sed 's/^/# /' "$T/dot.err" >&2
		check "... and draws it as written, \\N and all" \
			grep -q -F "$3" "$T/$1.svg"
	else
		no_graphviz "dot -Tsvg accepts $2"
	fi
}

# A state's label as it is written, though Graphviz would read markup
# or an escape (\N: the node's name) in it.
sed 's|<state id="lost" label="löst"|<state id="lost" label="löst \\N \&lt;\&amp;\&gt;"|' \
	"$F" >"$T/label.xml"
run "$CIRMCTL" workflow dot "$T/label.xml"
check "a state's label is escaped for an HTML-like label" contains "$out" \
	'"lost" [label=<löst \\N &lt;&amp;&gt;<br/>'
drawn_as label "the escaped label" '>löst \N &lt;&amp;&gt;</text>'

# Actions on entry and exit, with what Graphviz would read as markup
# or as an escape (\N: the node's name) in a group's name; and more
# actions than three lines hold.
sed -e 's|<state id="tilldelad" label="tilldelad" category="active"/>|<state id="tilldelad" label="tilldelad" category="active"><onentry><notify to="group:\&lt;a\&amp;b\&gt;\&quot;ö\\N" template="handler-assigned"/><log label="x"/></onentry><onexit><set field="category" value="övrigt"/></onexit></state>|' \
    -e 's|<notify to="role:handlaggare" template="handler-new-case"/>|&<notify to="role:chef" template="handler-new-case"/><set field="priority" value="high"/><assign to="role:chef"/><set field="due" after="P1D"/><raise event="x.y"/>|' \
	"$F" >"$T/actions.xml"
run "$CIRMCTL" workflow dot "$T/actions.xml"
check "actions: exit status 0" [ "$rc" -eq 0 ]
check "entry and exit actions, escaped for an HTML-like label" contains "$out" \
	'"tilldelad" [label=<tilldelad<br/><font point-size="9">active<br/>entry / notify group:&lt;a&amp;b&gt;&quot;ö\\N<br/>exit / set category=övrigt</font>>'
check "more actions than three lines hold end in an ellipsis" contains "$out" \
	'entry / notify role:handlaggare,<br/>notify role:chef, set priority=high,<br/>assign role:chef, set due=P1D, …</font>>'
drawn_as actions "the escaped actions" \
	'>entry / notify group:&lt;a&amp;b&gt;&quot;ö\N</text>'

# Each event of a transition by its command's word; the words of two
# commands taking one event both; a descriptor for many events as it is.
sed -e 's|<transition event="cmd.close" target="avslutad"/>|<transition event="cmd.close cmd.resolve.* cmd.*" target="avslutad"/>|' \
    -e 's|</commands>|<command word="avsluta" event="cmd.close"/></commands>|' \
	"$F" >"$T/events.xml"
run "$CIRMCTL" workflow dot "$T/events.xml"
check "each event of a transition is mapped on its own" contains "$out" \
	'"lost" -> "avslutad" [label="#stäng/#avsluta, #klar, cmd.*"];'

run "$CIRMCTL" workflow dot "$T/none.xml"
check "missing file" [ "$rc" -eq 1 ]
check "missing file: the file named" contains "$err" "none.xml"
run "$CIRMCTL" workflow dot
check "no file is a usage error" [ "$rc" -eq 64 ]

done_testing
