#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A shipped workflow whose file changes gets a new version: cirmd
# refuses a file whose id and version it has loaded before with other
# contents, so a changed file with the old number would be refused by
# every installation that ran it. tests/workflow-versions.txt lists each
# shipped (id, version) with the SHA-256 of its file, which is how cirm
# fingerprints a version; its header says how to raise one.
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE=
# workflow check compares with no instance's database here
CIRM_CONF=$T/none.conf
export CIRM_CONF

L=$top_srcdir/tests/workflow-versions.txt
W=$top_srcdir/workflows

command -v sha256sum >/dev/null || skip_all "sha256sum not installed (coreutils)"

# The list itself: three fields a line, an id and version once.
bad=$(grep -v '^#' "$L" | grep -v '^[[:space:]]*$' |
	awk 'NF != 3 || $2 !~ /^[1-9][0-9]*$/ || length($3) != 64 || $3 ~ /[^0-9a-f]/ { print; next }
	     seen[$1 " " $2]++ { print }')
check "workflow-versions.txt: each line is ID VERSION SHA256, each version once${bad:+ (not: $bad)}" [ -z "$bad" ]

for f in "$W"/*.xml; do
	name=${f##*/}
	# the id and version as cirm reads them
	run "$CIRMCTL" workflow check --templates "$top_srcdir/templates" "$f"
	line=$(printf '%s\n' "$out" | sed -n 's/^.*: workflow \([^ ]*\) version \([0-9]*\) is valid .*$/\1 \2/p')
	if [ -z "$line" ]; then
		not_ok "workflows/$name: cirmctl workflow check reads no id and version ($err)"
		continue
	fi
	id=${line% *}
	version=${line#* }
	sum=$(sha256sum "$f" | cut -d' ' -f1)
	listed=$(grep -v '^#' "$L" | awk -v id="$id" -v v="$version" '$1 == id && $2 == v { print $3 }')
	if [ -z "$listed" ]; then
		not_ok "workflows/$name: $id version $version is not in tests/workflow-versions.txt: a new version gets its line there, \"$id $version $sum\" (see its header)"
	elif [ "$listed" != "$sum" ]; then
		not_ok "workflows/$name: $id version $version changed without a new version number (sha256 $sum, listed $listed): an installation that loaded version $version refuses the file; raise version=\"$version\" and add a line for the new version to tests/workflow-versions.txt (see its header)"
	else
		ok "workflows/$name: $id version $version is as listed"
		# a number below the newest listed: a version gone back
		newest=$(grep -v '^#' "$L" | awk -v id="$id" '$1 == id && $2 > n { n = $2 } END { print n + 0 }')
		check "workflows/$name: $id version $version is the newest listed ($newest)" [ "$version" -eq "$newest" ]
	fi
done

# The fingerprint is the one cirmd records: load the shipped workflows
# into a new instance and compare its database's with the files'.
if command -v sqlite3 >/dev/null; then
	I=$T/inst
	if CIRM_DATADIR=$top_srcdir "$CIRMCTL" init "$I" >/dev/null 2>&1 &&
	   "$CIRMD" -c "$I/cirm.conf" --once >/dev/null 2>&1; then
		db=$(sqlite3 "$I/cirm.db" "SELECT workflow || ' ' || version || ' ' || sha256 FROM workflow_def ORDER BY workflow" 2>&1)
		files=$(for f in "$I"/workflows/*.xml; do
			run "$CIRMCTL" workflow check --templates "$top_srcdir/templates" "$f"
			printf '%s %s\n' \
				"$(printf '%s\n' "$out" | sed -n 's/^.*: workflow \([^ ]*\) version \([0-9]*\) is valid .*$/\1 \2/p')" \
				"$(sha256sum "$f" | cut -d' ' -f1)"
		done | sort)
		check_all "cirmd fingerprints a version as this test does: the SHA-256 of its file" <<-'EOF'
			[ -n "$db" ]
			[ "$db" = "$files" ]
			EOF
	else
		not_ok "a new instance with the shipped workflows: cirmctl init and cirmd --once"
	fi
else
	ok "# SKIP sqlite3 command-line tool not installed (apt-get install sqlite3)"
fi

done_testing
