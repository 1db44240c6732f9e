#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The manual pages: one for each program, cirm.conf(5) and the workflow
# format; each in ASCII with groff escapes for å, ä and ö (so that it
# reads the same without preconv), and formatted by groff without a
# warning.
. "${top_srcdir:-.}/tests/lib.sh"

command -v groff >/dev/null || skip_all "groff not installed (apt-get install groff-base)"

pages="$top_srcdir/doc/cirmctl.1 $top_srcdir/doc/cirmd.8
$top_srcdir/doc/cirm-gateway.8 $top_srcdir/doc/cirm-mailgate.8
$top_srcdir/doc/cirm-workflow.5 $top_builddir/doc/cirm.conf.5"
for p in $pages; do
	name=$(basename "$p")
	check "$name is there" [ -s "$p" ]
	check "$name is ASCII" sh -c '! LC_ALL=C grep -n "[^ -~	]" "$1" >&2' - "$p"
	groff -man -ww -z "$p" >"$T/out" 2>&1
	check "$name: groff formats it without a warning" [ ! -s "$T/out" ]
	[ -s "$T/out" ] && cat "$T/out" >&2
	# as man(1) shows it in a terminal of 80 columns: a long run of
	# words joined by "\ " cannot be broken there ("cannot adjust
	# line")
	groff -man -ww -z -Tutf8 -rLL=78n "$p" >"$T/out" 2>&1
	check "$name: ... and so at 80 columns" [ ! -s "$T/out" ]
	[ -s "$T/out" ] && cat "$T/out" >&2
done

# "one of three ways:" before a list has that many items (cirmd(8)'s
# engine had four)
for p in $pages; do
	name=$(basename "$p")
	bad=$(awk '
		function flush() {
			if (want != "" && n != want)
				printf "%s line %d: %s items, %d given; ", FILENAME, at, word, n
			want = ""
		}
		want != "" && /^\.(PP|SH|SS|P|LP)( |$)/ { flush() }
		want != "" && /^\.TP/ { n++ }
		match($0, /one of (two|three|four|five|six|seven) [a-z]+:$/) {
			flush()
			split("two three four five six seven", w, " ")
			for (i = 1; i <= 6; i++)
				if (index($0, "one of " w[i] " ")) { want = i + 1; word = w[i] }
			n = 0; at = FNR
		}
		END { flush() }' "$p")
	check "$name: each \"one of N ...:\" list has N items${bad:+ ($bad)}" [ -z "$bad" ]
done

# the pages a program's name is: every program installed has one
for prog in cirmctl cirmd cirm-gateway cirm-mailgate; do
	check "$prog has its manual page" \
		sh -c 'ls "$1"/doc/"$2".[18] >/dev/null 2>&1' - "$top_srcdir" "$prog"
done

done_testing
