#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs one harness built by fuzz/build.sh for a bounded time, its corpus
# seeded from the test data; findings go to BUILDDIR/fuzz/crashes/TARGET/.
#   fuzz/run.sh BUILDDIR TARGET [SECONDS]
# TARGET is mail, html, reply, handler, gsm, smsin, smstools, smpp,
# template, workflow or scxml.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$1 t=$2 secs=${3:-600}
corpus=$build/fuzz/corpus/$t
mkdir -p "$corpus" "$build/fuzz/crashes/$t"
if [ -z "$(ls -A "$corpus")" ]; then
	case $t in
	mail) find "$top/tests/data/mime" "$top/tests/data/bounces" \
		"$top/tests/data/replies" -name '*.eml' ;;
	html) find "$top/tests/data" -name '*.html' ;;
	reply|handler) find "$top/tests/data/replies" -type f ;;
	workflow) find "$top/tests/data/workflow" "$top/workflows" \
		-name '*.xml' ;;
	scxml) find "$top/tests/data/scxml" -name '*.scxml' ;;
	template) find "$top/templates" "$top/tests/data/workflow/templates" \
		-type f ;;
	*) ;;
	esac | while read -r f; do
		cp "$f" "$corpus/$(echo "$f" | tr / _)"
	done
	[ -n "$(ls -A "$corpus")" ] || printf 'Hej' >"$corpus/seed"
fi
case $t in
mail) max=65536 ;;
html|reply|handler|template) max=32768 ;;
workflow|scxml) max=16384 ;;
*) max=4096 ;;
esac
exec "$build/fuzz/fuzz-$t" -max_len=$max -timeout=5 -rss_limit_mb=2048 \
	-max_total_time="$secs" -artifact_prefix="$build/fuzz/crashes/$t/" \
	"$corpus"
