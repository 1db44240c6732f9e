#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# cirmctl as an administrator uses it: init, config, case list and show,
# and its bad inputs.
. "${top_srcdir:-.}/tests/lib.sh"
export LC_ALL=C LANGUAGE=
unset CIRM_CONF

I=$T/inst
C=$I/cirm.conf

# --- init ---
run "$CIRMCTL" init "$I"
check "init succeeds" [ "$rc" -eq 0 ]
check "init says how to start, with the cirmd beside this cirmctl" \
	contains "$out" "Start the service with: $(cd "$top_builddir" && pwd -P)/cirmd -c $I/cirm.conf"
check "init names the groups the workflows notify, the default's first" \
	contains_text "$out" "The workflows notify the case officers of the groups synpunkter, ledning, gatubelysning,"
check "... and how to add a case officer to one" \
	contains "$out" "/cirmctl -c $I/cirm.conf handler add eva --email eva@example.org --group synpunkter"
# The commands init prints are to be copied into a shell: a directory
# with a blank or a quote in its name is quoted.
Q="$T/kommun dir/it's"
mkdir -p "$T/kommun dir"
run "$CIRMCTL" init "$Q"
cmd=$(printf '%s\n' "$out" | sed -n 's/^  \(.*handler add eva .*\)$/\1/p')
check "init in a directory with a blank and a quote: its handler add command runs as printed" \
	sh -c "$cmd >/dev/null 2>&1"
check "... and adds the handler to that instance" \
	sh -c '"$1" -c "$2/cirm.conf" handler list | grep -q "^eva "' - "$CIRMCTL" "$Q"
cmd=$(printf '%s\n' "$out" | sed -n 's/^Start the service with: //p')
check "... and its cirmd command names that instance's cirm.conf" \
	sh -c 'q=$2; eval "set -- $1"; [ "$3" = "$q/cirm.conf" ]' - "$cmd" "$Q"

check "instance directory is 0750" [ "$(mode_of "$I")" = 750 ]
check "key is 0600" [ "$(mode_of "$I/cirm.key")" = 600 ]
check "key holds 64 hex digits" grep -Eqx '[0-9a-f]{64}' "$I/cirm.key"
check "database created" [ -s "$I/cirm.db" ]
check "spool directory created" [ -d "$I/spool" ]
for d in inbox outbound; do
	for s in tmp new cur; do
		check "maildir $d/$s created" [ -d "$I/maildir/$d/$s" ]
	done
done
check "cirm.conf documents every setting" grep -q '^#case_prefix = KS$' "$C"
cp "$C" "$T/conf.before"
run "$CIRMCTL" init "$I"
check "second init refused" [ "$rc" -eq 1 ]
check "second init says why" contains "$err" "already exists"
check "second init leaves cirm.conf alone" cmp -s "$C" "$T/conf.before"
run "$CIRMCTL" init
check "init without DIR is a usage error" [ "$rc" -eq 64 ]
run "$CIRMCTL" init ""
check "init with an empty DIR (an unset variable) is a usage error" [ "$rc" -eq 64 ]
check "said as usage" contains "$err" "usage: cirmctl init DIR"
# Without the shipped templates (not installed, no CIRM_DATADIR): said,
# and nothing made, not half an instance.
(CIRM_DATADIR=$T/nowhere; export CIRM_DATADIR; run "$CIRMCTL" init "$T/half"; echo "$rc" >"$T/half.rc"; printf '%s' "$err" >"$T/half.err")
check "init without the shipped templates fails" [ "$(cat "$T/half.rc")" -eq 1 ]
check "... saying where it looked and what to do" contains "$(cat "$T/half.err")" "templates not found; install cirm or set CIRM_DATADIR"
check "... and makes nothing" [ ! -e "$T/half" ]
run "$CIRMCTL" init /proc/no/such/place
check "init in an impossible place fails" [ "$rc" -eq 1 ]
check "init failure names the path" contains "$err" "/proc/no"

mkdir -m 777 "$T/open"
run "$CIRMCTL" init "$T/open"
check "init refuses a directory anyone may write to" [ "$rc" -eq 1 ]
check "and says how to close it" contains "$err" "mode 0777) and replace the instance's files; run 'chmod 750 $T/open' first"
check "and makes nothing there" [ ! -e "$T/open/cirm.key" -a ! -e "$T/open/cirm.db" ]

# --- config ---
run "$CIRMCTL" -c "$C" config
check "config succeeds" [ "$rc" -eq 0 ]
check "config marks defaults" contains "$out" "case_prefix = KS  # default"
check "config shows absolute paths" contains "$out" "database = $I/cirm.db"
printf 'case_prefix = BN\n' >>"$C"
run "$CIRMCTL" -c "$C" config
check "config shows a set value unmarked" contains "$out" "
case_prefix = BN
"
run env CIRM_CONF="$C" "$CIRMCTL" config
check "CIRM_CONF names the file" contains "$out" "case_prefix = BN"
cp "$T/conf.before" "$C"

# Every kind of error, all at once, as file:line.
cat >>"$C" <<'CONF'
bogus = 1
engine_batch = many
engine_poll_interval = 0
log_target = file
case_prefix = k s
language = sv
language = en
just words
CONF
base=$(wc -l <"$T/conf.before")
run "$CIRMCTL" -c "$C" config
check "bad config exits 78" [ "$rc" -eq 78 ]
check "unknown setting reported" contains "$err" "$C:$((base + 1)): unknown setting 'bogus'"
check "bad number reported" contains "$err" "$C:$((base + 2)): 'engine_batch' must be a whole number"
check "out of range reported" contains "$err" "$C:$((base + 3)): 'engine_poll_interval' must be a whole number from 1 to 3600"
check "bad choice reported" contains "$err" "$C:$((base + 4)): 'log_target' must be one of: stderr, syslog"
check "bad prefix reported" contains "$err" "$C:$((base + 5)): 'case_prefix'"
check "duplicate reported" contains "$err" "$C:$((base + 7)): 'language' is set twice (first at line $((base + 6)))"
check "bad line reported" contains "$err" "$C:$((base + 8)): expected 'name = value'"
check "seven errors in all" [ "$(printf '%s\n' "$err" | grep -c "^cirmctl: $C:")" -eq 7 ]
cp "$T/conf.before" "$C"

run "$CIRMCTL" -c "$T/missing.conf" config
check "missing config exits 78" [ "$rc" -eq 78 ]
check "missing config named" contains "$err" "$T/missing.conf: cannot read"
check "... with no word on -c: it was given" \
	[ -z "$(printf '%s\n' "$err" | grep "name the instance's configuration")" ]

# Without -c (nor CIRM_CONF) and no configuration where the build puts
# it, the usual first stumble: the error says how to name one.
run "$CIRMCTL" case list
default=$(printf '%s\n' "$err" | sed -n 's/^cirmctl: \(.*\): cannot read: .*/\1/p')
check "no -c and no default configuration: exit 78" [ "$rc" -eq 78 ]
if [ -n "$default" ] && [ ! -e "$default" ]; then
	check "... saying to name one with -c" contains "$err" \
		"cirmctl: name the instance's configuration with -c FILE before the command (or set CIRM_CONF=FILE)"
fi

chmod 666 "$C"
run "$CIRMCTL" -c "$C" config
check "a configuration anyone may write is refused" [ "$rc" -eq 78 ]
check "with its mode and remedy" contains "$err" "$C: anyone may write to the configuration (mode 0666); run 'chmod 640 $C'"
chmod 640 "$C"

chmod 644 "$I/cirm.key"
run "$CIRMCTL" -c "$C" config
check "readable key refused" [ "$rc" -eq 78 ]
check "readable key: mode and remedy" contains "$err" "mode 0644); run 'chmod 600"
chmod 600 "$I/cirm.key"

# --- cases ---
run "$CIRMCTL" -c "$C" case list
check "empty list" contains "$out" "(no cases)"
n1=$("$MKCASE" "$I/cirm.db" new "Trasig gatlampa på Storgatan" "Anna Andersson" anna@example.se "Lampan utanför nr 12 lyser inte.")
n2=$("$MKCASE" "$I/cirm.db" resolved "Snöröjning")
n3=$("$MKCASE" "$I/cirm.db" new "Buller")
year=$(date +%Y)
check "numbers follow the year" [ "$n1 $n2 $n3" = "KS-$year-00001 KS-$year-00002 KS-$year-00003" ]
run "$CIRMCTL" -c "$C" case list
check "list shows all" [ "$(printf '%s\n' "$out" | grep -c "^KS-$year-")" -eq 3 ]
check "list shows the subject" contains "$out" "Trasig gatlampa på Storgatan"
check "list is newest first" [ "$(printf '%s\n' "$out" | sed -n 2p | cut -c1-13)" = "$n3" ]

# init where a database with cases is, but no cirm.conf (one copied by
# hand, or an instance whose cirm.conf lives elsewhere): refused before
# anything is made, not a new key for the old cases' signed addresses.
mkdir "$T/copied" && cp "$I/cirm.db" "$T/copied/"
run "$CIRMCTL" init "$T/copied"
check "init over a database with cases: exit 1" [ "$rc" -eq 1 ]
check "... saying what is there and what to use" contains "$err" \
	"$T/copied/cirm.db holds 3 cases: init makes a new instance; to put a backup in place, init another directory and use cirmctl restore there"
check "... making nothing" [ "$(ls "$T/copied")" = cirm.db ]
run "$CIRMCTL" -c "$C" case list --state resolved
check "state filter" [ "$(printf '%s\n' "$out" | grep -c "^KS-")" -eq 1 ]
check "state filter keeps the right case" contains "$out" "$n2"
run "$CIRMCTL" -c "$C" case list --state registered
check "a state no case is in is not an error" [ "$rc" -eq 0 ]
check "a state no case is in is named" contains "$out" "(no cases in state 'registered')"
check "the states cases are in are listed" contains "$out" "new (2), resolved (1)"
run "$CIRMCTL" -c "$C" case list --limit 2
check "limit" [ "$(printf '%s\n' "$out" | grep -c "^KS-")" -eq 2 ]
for bad in 0 -1 x 2x 99999999999; do
	run "$CIRMCTL" -c "$C" case list --limit "$bad"
	check "limit '$bad' refused" [ "$rc" -eq 64 ]
done
run "$CIRMCTL" -c "$C" case list extra
check "extra argument refused" [ "$rc" -eq 64 ]
run "$CIRMCTL" -c "$C" case list --bogus
check "an unknown option is a usage error" [ "$rc" -eq 64 ]
check "said by cirmctl, not by 'list'" contains "$err" "cirmctl: unrecognized option '--bogus'"
run "$CIRMCTL" -c "$C" case show "$n1"
check "show succeeds" [ "$rc" -eq 0 ]
check "show: number" contains "$out" "$n1"
check "show: citizen" contains "$out" "Anna Andersson"
check "show: address" contains "$out" "email: anna@example.se"
check "show: message" contains "$out" "| Lampan utanför nr 12 lyser inte."
check "show: history" contains "$out" "case.created"
check "show: no timer, said so" contains "$out" "(none armed)"
check "show: no line ends in a blank (the columns' padding)" \
	sh -c '! printf "%s\n" "$1" | grep -q " \$"' sh "$out"
run "$CIRMCTL" -c "$C" audit list --action case.read
check "show is in the read log, with which case and how" \
	sh -c 'printf "%s\n" "$1" | grep "case\.read" | grep "$2" | grep -q "case show\$"' sh "$out" "$n1"
# What a sender wrote reaches the administrator's terminal without its
# escapes: an address, an attachment's name and type, a mail's text.
esc=$(printf '\033')
no_esc() {
	case $1 in *"$esc"*) echo "# an escape in: $1" | cat -v >&2; return 1 ;; esac
}
n4=$("$MKCASE" "$I/cirm.db" new "Bilaga" "Eve" "$(printf '"a\033]0;x\007b"@example.se')" "Se bilagan.")
if command -v sqlite3 >/dev/null; then
	sqlite3 "$I/cirm.db" "INSERT INTO attachment (message_id, sha256, filename, content_type, size) SELECT max(id), '00', 'x'||char(27)||'[2J.pdf', 'application/'||char(27)||'[31m', 5 FROM message" ||
		exit 99
fi
run "$CIRMCTL" -c "$C" case show "$n4"
check "show: no escape from an address or attachment" no_esc "$out"
check "show: the address, blanked" contains "$out" 'email: "a ]0;x b"@example.se'
printf 'From: e@example.se\nTo: arende@kommun.example\nSubject: s\n\nHej \033]0;x\007\033[2J!\nRad 2\n' >"$T/esc.eml"
run "$CIRMCTL" -c "$C" mail inspect "$T/esc.eml"
check "inspect: no escape from the text" no_esc "$out"
check "inspect: the text, blanked" contains "$out" "Hej  ]0;x  [2J!
Rad 2"
check "inspect: In-Reply-To and References shown when there are none" \
	sh -c 'printf "%s\n" "$1" | grep -q "^In-Reply-To: *-\$" &&
	       printf "%s\n" "$1" | grep -q "^References: *-\$"' sh "$out"
run "$CIRMCTL" -c "$C" mail inspect --text "$T/esc.eml"
check "inspect --text: no escape" no_esc "$out"
# The C1 controls in UTF-8 too, though this locale reads bytes: a UTF-8
# terminal takes U+009B for ESC [ and U+009D for ESC ].
printf 'From: e@example.se\nTo: arende@kommun.example\nSubject: =?utf-8?q?S=C2=9B2J?=\n\nHej \302\2352;x\302\234!\n' >"$T/c1.eml"
run "$CIRMCTL" -c "$C" mail inspect "$T/c1.eml"
c1=$(printf '\302\233')
check "inspect: no C1 control from the subject or text" \
	sh -c 'case $1 in *"$2"*|*"$3"*) exit 1 ;; esac' sh "$out" "$c1" "$(printf '\302\235')"
check "inspect: the C1 controls, blanked" contains "$out" "Hej  2;x !"
# Answers between the quotes: inspect shows them as handlers see them.
printf 'From: e@example.se\nTo: arende@kommun.example\nSubject: Re: s\n\n> Vilken adress?\nStorgatan 12.\n> Sedan n\303\244r?\nI l\303\266rdags.\n' >"$T/inline.eml"
run "$CIRMCTL" -c "$C" mail inspect "$T/inline.eml"
check "inspect: the answers alone, then with their questions" contains "$out" "New text:
Storgatan 12.
I lördags.

As handlers see it, with the questions it answers:
> Vilken adress?
Storgatan 12.
> Sedan när?
I lördags."
run "$CIRMCTL" -c "$C" mail inspect --text "$T/inline.eml"
check "inspect --text: the answers alone" [ "$out" = "Storgatan 12.
I lördags." ]
# A web form's mail: inspect says whose it is.
printf 'From: noreply@form.example\nReply-To: Anna@Example.org\nTo: arende@kommun.example\nSubject: s\n\nHej\n' >"$T/form.eml"
cp "$C" "$I/form.conf"
echo "mail_form_senders = @form.example" >>"$I/form.conf"
run "$CIRMCTL" -c "$I/form.conf" mail inspect "$T/form.eml"
check "inspect: a form's mail is the citizen's in Reply-To" \
	contains "$out" "Citizen:      anna@example.org (the Reply-To: From is one of mail_form_senders)"
run "$CIRMCTL" -c "$C" mail inspect "$T/form.eml"
check "... only when the form is named in mail_form_senders" \
	sh -c '! printf "%s" "$1" | grep -q "^Citizen:"' - "$out"
run "$CIRMCTL" -c "$C" case show "$(printf '%s' "$n1" | tr 'A-Z' 'a-z')"
check "a number in small letters finds the case" contains "$out" "Anna Andersson"
run "$CIRMCTL" -c "$C" case show " $n1
"
check "a number with blanks around it, copied from a mail, finds the case" contains "$out" "Anna Andersson"
run "$CIRMCTL" -c "$C" case show KS-1999-00001
check "unknown case exits 1" [ "$rc" -eq 1 ]
check "unknown case named" contains "$err" "no case KS-1999-00001"
check "... with nothing more" [ "$err" = "cirmctl: no case KS-1999-00001" ]
run "$CIRMCTL" -c "$C" case show 00001
check "what is no case number: exits 1" [ "$rc" -eq 1 ]
check "... saying what one looks like" contains "$err" \
	"no case 00001: a case number is PREFIX-YEAR-NUMBER, as in KS-2026-00042"
run "$CIRMCTL" -c "$C" case assign garbage eva
check "case assign of what is no case number says so too" contains "$err" \
	"no case GARBAGE: a case number is PREFIX-YEAR-NUMBER"
run "$CIRMCTL" -c "$C" case show
check "show without number is a usage error" [ "$rc" -eq 64 ]
for opt in --numbers --number -n; do
	run "$CIRMCTL" -c "$C" case show $opt
	check "show $opt without number is a usage error" [ "$rc" -eq 64 ]
	check "which says how it is used" contains "$err" "usage: cirmctl case show [--numbers] NUMBER"
done
# options go before or after the arguments, as with every command
run "$CIRMCTL" -c "$C" case show "$n1" --numbers
check "case show NUMBER --numbers: the case" [ "$rc" -eq 0 ]
check "... as case show --numbers NUMBER shows it" [ "$out" = "$("$CIRMCTL" -c "$C" case show --numbers "$n1" 2>&1)" ]
run env POSIXLY_CORRECT=1 "$CIRMCTL" -c "$C" case show "$n1" --numbers
check "... with POSIXLY_CORRECT set too" [ "$rc" -eq 0 ]
run "$CIRMCTL" -c "$C" case show -- "$n1"
check "case show -- NUMBER: the case" contains "$out" "Anna Andersson"
run "$CIRMCTL" -c "$C" case show "$n1" --numbers --numbers
check "case show with --numbers twice is a usage error" [ "$rc" -eq 64 ]
run "$CIRMCTL" -c "$C" case show "$n1" --nummers
check "case show with a misspelt option is a usage error" [ "$rc" -eq 64 ]
check "... naming it" contains "$err" "cirmctl: unrecognized option '--nummers'"
# -c after the command: the default file was read, and blamed.
for opt in "-c $C" "--config $C" "--config=$C"; do
	run "$CIRMCTL" case list $opt
	check "case list $opt: a usage error" [ "$rc" -eq 64 ]
	check "saying where -c goes" contains "$err" "${opt%% *} goes before the command: cirmctl -c FILE case ..."
done
run "$CIRMCTL" sms encode -- -c
check "but -c after -- is an argument" [ "$rc" -eq 0 ]
# the options may follow the text, so a text like an option goes after --
run "$CIRMCTL" sms encode "-50% i dag"
check "sms encode of a text that begins with '-' is a usage error" [ "$rc" -eq 64 ]
check "... saying where it goes" contains "$err" \
	"cirmctl: '-50% i dag': a text that begins with '-' goes after --, as in: cirmctl sms encode -- TEXT"
check "... once, not for each of its letters" sh -c 'case $1 in *"invalid option"*) exit 1;; esac' - "$err"
run "$CIRMCTL" sms encode -- "-50% i dag"
check "after -- it is encoded" contains "$out" "-50% i dag"
run "$CIRMCTL" -c "$C" case frobnicate
check "unknown case command is a usage error" [ "$rc" -eq 64 ]
check "which names it" contains "$err" "unknown case command 'frobnicate'"
# every command group says which word it does not know, before it
# reads the configuration (here one that is not there)
for g in handler audit quarantine workflow sms spool maildir citizen mail; do
	run "$CIRMCTL" -c "$T/nowhere.conf" $g frobnicate
	check "unknown $g command is a usage error" [ "$rc" -eq 64 ]
	check "which names it" contains "$err" "cirmctl: unknown $g command 'frobnicate'"
	check "... and gives the usage" contains "$err" "usage: cirmctl $g"
done

# a word too many is named, as an unknown one is ("handler list eva",
# a name with a blank not quoted)
for cmd in "handler list eva" "config extra" "status extra" \
	"case list extra" "case show $n1 extra" "case assign $n1 eva extra" \
	"quarantine list extra" "audit list extra" "audit verify extra" \
	"report extra" "handler address eva extra" "handler back eva extra" \
	"handler add eva --email eva@example.se extra" \
	"mail inspect /dev/null extra" "backup $T/b extra"; do
	run "$CIRMCTL" -c "$C" $cmd
	check_all "$cmd: a usage error naming the word too many" <<-'EOF'
		[ "$rc" -eq 64 ] &&
		contains "$err" "cirmctl: unexpected argument '${cmd##* }'" &&
		contains "$err" "usage: cirmctl"
	EOF
done
run "$CIRMCTL" -c "$C" handler add eva Eva Ek --email eva@example.se
check "a name not quoted: its first word is named" contains "$err" \
	"cirmctl: unexpected argument 'Eva'"

# What a command prints must reach its file: "quarantine show ID --raw
# >q.eml" on a full disk is not a success with half a mail.
if [ -w /dev/full ]; then
	run sh -c '"$@" >/dev/full' sh "$CIRMCTL" -c "$C" case show "$n1"
	check "output to a full disk fails" [ "$rc" -eq 1 ]
	check "and says so" contains "$err" "cirmctl: cannot write the output: No space left on device"
	run sh -c '"$@" >/dev/full' sh "$CIRMCTL" --help
	check "help to a full disk fails" [ "$rc" -eq 1 ]
fi
# A reader that stops early is no error, even with SIGPIPE ignored.
run sh -c 'trap "" PIPE; "$@" | head -c 1 >/dev/null' sh "$CIRMCTL" --help
check "a reader that stops early is not an error" [ -z "$err" ]

# --- the rest of the command line ---
run "$CIRMCTL" frobnicate
check "unknown command exits 64" [ "$rc" -eq 64 ]
check "unknown command named" contains "$err" "unknown command 'frobnicate'"
run "$CIRMCTL"
check "no command exits 64" [ "$rc" -eq 64 ]
run "$CIRMCTL" --help
check "help exits 0" [ "$rc" -eq 0 ]
check "help lists case show" contains "$out" "case show [--numbers] NUMBER"
# the options cirmctl(1) gives these commands
check "help gives status its limits" contains "$out" "status [--check [--warning MIN] [--critical MIN]]"
check "help gives workflow simulate all its options" contains "$out" "[--channel email|sms] [--text TEXT] [--name NAME]
      [--templates DIR]"
# cirmctl(1)'s SYNOPSIS has every command --help lists ("handler away
# LOGIN LAST-DAY | handler back LOGIN" is two)
printf '%s\n' "$out" | awk '/^  [a-z]/ {
	n = split(substr($0, 3), seg, / \| /)
	for (i = 1; i <= n; i++)
		if (match(seg[i], /^[a-z]+( [a-z]+)?/))
			print substr(seg[i], 1, RLENGTH)
}' >"$T/commands"
sed -n '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/p' "$top_srcdir/doc/cirmctl.1" \
	>"$T/synopsis"
missing=
while read -r cmd; do
	grep -Eq "^\.B[IR]* \"?(cirmctl )?$cmd\"?( |\$)" "$T/synopsis" ||
		missing="$missing, $cmd"
done <"$T/commands"
check "cirmctl(1)'s SYNOPSIS has every command of --help${missing:+ (not:${missing#,})}" \
	[ -s "$T/commands" -a -z "$missing" ]
# and the other way round: --help has every command and option of
# cirmctl(1) ("handler address", "handler set ... --new-address")
sed -n 's/^\.B[IR]* "\{0,1\}\(cirmctl \)\{0,1\}\([a-z]\{1,\}\( [a-z]\{1,\}\)\{0,1\}\).*/\2/p' \
	"$T/synopsis" | grep -v '^cirmctl$' | sort -u >"$T/syn-commands"
# the options from the SYNOPSIS and the COMMANDS' headings (the
# SYNOPSIS has "handler set login [change]...")
awk '/^\.SH COMMANDS/,/^\.SH ENVIRONMENT/' "$top_srcdir/doc/cirmctl.1" |
	awk 'prev == ".TP" { print } { prev = $0 }' | cat "$T/synopsis" - |
	sed 's/\\fP//g' | grep -o '\\-\\-[a-z0-9\\-]*' | sed 's/\\//g' |
	sort -u >"$T/syn-options"
missing=
while read -r word; do
	case $out in *"$word"*) ;; *) missing="$missing, $word" ;; esac
done <<EOF_SYN
$(cat "$T/syn-commands" "$T/syn-options")
EOF_SYN
check "--help has every command and option of cirmctl(1)${missing:+ (not:${missing#,})}" \
	[ -s "$T/syn-commands" -a -s "$T/syn-options" -a -z "$missing" ]
run "$CIRMCTL" --version
check "version" contains "$out" "cirmctl (cirm)"
schema=$(sqlite3 "$I/cirm.db" "PRAGMA user_version" 2>/dev/null)
check "version: the database schema an upgrade brings (${schema:-?})" \
	contains "$out" "database schema ${schema:-none}"
# Every program says what it is and how it is used.
for p in cirmd cirm-gateway cirm-mailgate; do
	run "$top_builddir/$p" --version
	check "$p --version exits 0" [ "$rc" -eq 0 ]
	check "$p --version names it" contains "$out" "$p (cirm)"
	run "$top_builddir/$p" --help
	check "$p --help exits 0" [ "$rc" -eq 0 ]
	check "$p --help shows usage" contains "$out" "Usage: $p"
done

# --- handlers, and their bad input ---
run "$CIRMCTL" --help
check "help names handler add's --language and --take-address" contains "$out" "      [--language L] [--take-address]
                            add a case officer"
check "... and handler set's --take-address" contains "$out" "handler set LOGIN [--name NAME] [--email ADDRESS [--take-address]]"
run "$CIRMCTL" handler
check "handler's usage gives handler add its --take-address" contains "$err" \
	"[--language sv|en]
                    [--take-address]"
run "$CIRMCTL" -c "$C" handler add eva --email eva@kommun.example \
	--name 'Eva Ek' --group synpunkter
check "handler add succeeds" [ "$rc" -eq 0 ]
# commands without options take -- too, and name an option given anyway
run "$CIRMCTL" -c "$C" handler address -- eva
check "handler address -- LOGIN works" [ "$rc" -eq 0 ] && own=$out
check "... as handler address LOGIN" [ "$own" = "$("$CIRMCTL" -c "$C" handler address eva)" ]
run "$CIRMCTL" -c "$C" handler disable eva --now
check "handler disable with an option is a usage error" [ "$rc" -eq 64 ]
check "... naming it" contains "$err" "cirmctl: unrecognized option '--now'"
run "$CIRMCTL" -c "$C" handler away -- eva 2099-01-01
check "handler away -- LOGIN DAY reads the day (too far ahead here), no usage error" \
	contains "$err" "is more than two years ahead"
run "$CIRMCTL" -c "$C" handler add eva --email eva.ek@kommun.example
check "a second handler eva is refused" [ "$rc" -eq 1 ]
check "in plain words" contains "$err" "there is a handler eva already"
check "not as a database constraint" sh -c "! printf '%s' \"\$1\" | grep -q UNIQUE" sh "$err"
run "$CIRMCTL" -c "$C" handler add bo --email eva@kommun.example
check "an address that is taken is refused" [ "$rc" -eq 1 ]
check "saying so" contains "$err" "the address eva@kommun.example is another handler's already"
# A handler forwarding a citizen's mail: inspect shows it as the
# citizen's, and says it was forwarded.
printf 'From: eva@kommun.example\nTo: arende@kommun.example\nSubject: VB: Lampa\n\nSe nedan.\n\n-----Ursprungligt meddelande-----\nFr\303\245n: Anna <anna@example.se>\nSkickat: i dag\n\nLampan \303\244r trasig.\n' >"$T/fwd.eml"
run "$CIRMCTL" -c "$C" mail inspect "$T/fwd.eml"
check_all "inspect: a forward is the citizen's mail, said to be forwarded" <<-'EOF'
	contains "$out" "Forwarded:    by a case officer, to register the citizen's mail"
	contains "$out" "anna@example.se"
	contains "$out" "Lampan är trasig."
	EOF
run "$CIRMCTL" -c "$C" handler add Bo --email bo@kommun.example
check "a bad login is bad data" [ "$rc" -eq 65 ]
check "which is named, with the rule" contains "$err" "bad login 'Bo': a login is a-z"
run "$CIRMCTL" -c "$C" handler add abcdefghijabcdefghijabcdefghijabc --email q@kommun.example
check "a login of 33 letters is bad data" [ "$rc" -eq 65 ]
check "and the rule names the length" contains "$err" "at most 32 in all"
run "$CIRMCTL" -c "$C" handler add bo --email bo.kommun.example --language de
check "a bad address and language: bad data" [ "$rc" -eq 65 ]
check "the address is named" contains "$err" "bad address 'bo.kommun.example'"
check "and the language, both at once" contains "$err" "bad language 'de': it must be sv or en"
check "the login, being good, is not blamed" sh -c "! printf '%s' \"\$1\" | grep -q 'bad login'" sh "$err"
# Typing slips that no mail can reach, which handler add took.
long=$(printf '%065d' 0)
for bad in bo@kommun bo@kommun.example. bo@.kommun.example \
	bo@kommun..example "$long@kommun.example"; do
	run "$CIRMCTL" -c "$C" handler add bo --email "$bad"
	check "address '$bad' is bad data" [ "$rc" -eq 65 ]
done
run "$CIRMCTL" -c "$C" handler add bo --email "$(printf 'bo\n@kommun.example')"
check "an address with a line break is bad data" [ "$rc" -eq 65 ]
run "$CIRMCTL" -c "$C" handler list
check "handler list shows the one handler" [ "$(printf '%s\n' "$out" | grep -c kommun.example)" -eq 1 ]
# An empty --name is no name, as for handler set: the list shows "-",
# and notifications name the handler by login, not by nothing.
run "$CIRMCTL" -c "$C" handler add kim --email kim@kommun.example --name ''
check "handler add with an empty name succeeds" [ "$rc" -eq 0 ]
run "$CIRMCTL" -c "$C" handler list
check "an empty name is no name" contains "$out" "kim@kommun.example          -   "

# Typed on a Latin-1 terminal: a name, address or group that is not
# UTF-8 would go into notifications as broken text, and such a group
# matches no workflow role.
for opt in "--name $(printf '\305sa')" \
	"--email $(printf '\345sa')@kommun.example" \
	"--group $(printf 'gr\344s')"; do
	run "$CIRMCTL" -c "$C" handler add asa --email asa@kommun.example $opt
	check "handler add ${opt%% *} not in UTF-8 is bad data" [ "$rc" -eq 65 ]
	check "which says so" contains "$err" "is not UTF-8 text (is the terminal set to UTF-8?)"
	run "$CIRMCTL" -c "$C" handler set kim $(printf '%s' "$opt" | sed 's/^--group/--add-group/')
	check "handler set ${opt%% *} not in UTF-8 is bad data" [ "$rc" -eq 65 ]
done
run "$CIRMCTL" -c "$C" handler list
check "and no handler asa was added" sh -c "! printf '%s' \"\$1\" | grep -q '^asa '" sh "$out"
run "$CIRMCTL" -c "$C" handler add asa --email åsa@kommun.example --name 'Åsa Öberg' --group gräs
check "the same in UTF-8: å before the @ is bad data still" [ "$rc" -eq 65 ]
check "... since cirm cannot send to it" contains "$err" "cirm cannot send mail to it"
run "$CIRMCTL" -c "$C" handler add asa --email asa@kommun.example --name 'Åsa Öberg' --group gräs
check "a name and a group in UTF-8 are taken" [ "$rc" -eq 0 ]

# workflow migrate: what is wrong in its options is named, not only the
# usage line ("a = b" is the way most write a pair).
run "$CIRMCTL" -c "$C" workflow migrate synpunkt --from 1 --to 2 --map "registrerad = inkommen"
check "migrate: a map with blanks around = is a usage error" [ "$rc" -eq 64 ]
check "which says how a map is written" contains "$err" "--map takes OLD=NEW pairs, with no blank around '=', separated by commas or blanks"
run "$CIRMCTL" -c "$C" workflow migrate synpunkt --from one --to 2
check "migrate: a version that is no number is a usage error" [ "$rc" -eq 64 ]
check "which is named" contains "$err" "--from must be a version, a whole number from 1 to 1000000, not 'one'"
sed 's/id="synpunkt" version="1"/id="synpunkt" version="2"/' \
	"$I/workflows/synpunkt.xml" >"$I/workflows/synpunkt-2.xml"
run "$CIRMCTL" -c "$C" workflow migrate synpunkt --from 1 --to 2 --map nosuch=registrerad
check "migrate: a map from no state fails" [ "$rc" -eq 1 ]
check "naming it" contains "$err" "--map nosuch=registrerad: version 1 has no state 'nosuch'"
check "and counting one problem as one" [ "${err##*: }" = "1 problem" ]
rm "$I/workflows/synpunkt-2.xml"

# A configuration with an error is a configuration error (78) for every
# command that reads it.
printf 'typo_key = 1\n' >"$T/typo.conf"
for cmd in "status" "handler list" "handler add bo --email bo@kommun.example" \
	"workflow migrate synpunkt --from 1 --to 2" "workflow export synpunkt" \
	"case list" \
	"workflow check $top_srcdir/workflows/synpunkt.xml" \
	"workflow simulate $top_srcdir/workflows/synpunkt.xml"; do
	run "$CIRMCTL" -c "$T/typo.conf" $cmd
	check "$cmd with a broken configuration exits 78" [ "$rc" -eq 78 ]
	check "$cmd names the line" contains "$err" "typo.conf:1: unknown setting 'typo_key'"
done

# The database is not where cirm.conf says.
mv "$I/cirm.db" "$T/moved.db"
run "$CIRMCTL" -c "$C" case list
check "missing database exits 1" [ "$rc" -eq 1 ]
check "missing database named" contains "$err" "$I/cirm.db"
check "missing database: what to check" contains "$err" "$I/cirm.db: there is no database: is 'database' in $C right?"
check "missing database is not created" [ ! -e "$I/cirm.db" ]
mv "$T/moved.db" "$I/cirm.db"

# A database a newer cirm has brought up to date (an upgrade gone back
# on): what happened, and what to do.
if command -v sqlite3 >/dev/null; then
	v=$(sqlite3 "$I/cirm.db" 'PRAGMA user_version')
	sqlite3 "$I/cirm.db" "PRAGMA user_version = $((v + 1))"
	run "$CIRMCTL" -c "$C" case list
	check "a newer schema: exit 1" [ "$rc" -eq 1 ]
	check "... saying what to do" contains "$err" \
		"$I/cirm.db: database schema version $((v + 1)) is newer than this cirm knows ($v): a newer cirm has brought it up to date; run that one, or go back to the copy it kept beside it ($I/cirm.db.before-upgrade-...) or the backup taken before (see Upgrading in cirmd(8))"
	sqlite3 "$I/cirm.db" "PRAGMA user_version = $v"

	# A newer cirmctl installed while an older cirmd runs (here the
	# schema made to look one version older under a running cirmd):
	# it does not change the schema under that cirmd, nor keep a copy.
	"$CIRMD" -c "$C" --no-gateways 2>"$T/old-cirmd.log" &
	oldpid=$!
	i=0
	until grep -q 'started (pid' "$T/old-cirmd.log" || [ $i -gt 100 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	sqlite3 "$I/cirm.db" "PRAGMA user_version = $((v - 1))"
	run "$CIRMCTL" -c "$C" case list
	check_all "an older cirmd running: cirmctl leaves its schema alone" <<-'EOF'
		[ "$rc" -eq 1 ]
		contains "$err" "$I/cirm.db: database schema version $((v - 1)) is older than this cirm's ($v), and is brought up to date only when no older cirmd runs on it: restart cirmd, or start it (see Upgrading in cirmd(8))"
		[ "$(sqlite3 "$I/cirm.db" 'PRAGMA user_version')" -eq $((v - 1)) ]
		[ -z "$(ls "$I" | grep before-upgrade)" ]
		EOF
	sqlite3 "$I/cirm.db" "PRAGMA user_version = $v"
	kill -TERM "$oldpid"
	wait "$oldpid"
fi

# cirmctl run by the wrong user (the administrator's own, not the
# service's): whose the files are, and how to run it, not SQLite's
# "unable to open database file".
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null &&
   id nobody >/dev/null 2>&1; then
	chmod 755 "$T" "$I"
	run as_nobody "$CIRMCTL" -c "$C" case list
	check "another user's configuration: configuration error" [ "$rc" -eq 78 ]
	check "another user's configuration: whose, and how to run" contains "$err" "$C: permission denied: the file belongs to user root; run this as that user (for example with sudo -u root)"
	chmod 644 "$C"
	run as_nobody "$CIRMCTL" -c "$C" case list
	check "another user's key: configuration error" [ "$rc" -eq 78 ]
	check "another user's key: whose, and how to run" contains "$err" "$I/cirm.key: permission denied: the file belongs to user root; run this as that user (for example with sudo -u root)"
	chown nobody "$I/cirm.key"
	run as_nobody "$CIRMCTL" -c "$C" case list
	check "another user's database: exit 1" [ "$rc" -eq 1 ]
	check "another user's database: whose, and how to run" contains "$err" "$I/cirm.db: permission denied: the database belongs to user root; run cirmctl as that user (for example with sudo -u root)"
	chown root "$I/cirm.key"
	chmod 640 "$C"
	chmod 750 "$I"
	# a monitoring user for whom the instance's directory is closed
	run as_nobody "$CIRMCTL" -c "$C" status --check
	check "another user's instance directory: --check UNKNOWN" [ "$rc" -eq 3 ]
	check "... naming the directory, whose it is, and how to run" contains "$out" \
		"$C: permission denied: the directory $I belongs to user root; run this as that user (for example with sudo -u root)"
fi

# A subject of pages (a sender's) is cut in the list, which has a line a
# case; case show has it whole.
long=$(printf 'Långt ämne om gatubelysning %.0s' $(seq 200))
n4=$("$MKCASE" "$I/cirm.db" new "$long")
run "$CIRMCTL" -c "$C" case list
check_all "case list cuts a long subject, at a word, with an ellipsis" <<-'EOF'
	line=$(printf '%s\n' "$out" | grep "^$n4") &&
	[ "$(printf '%s' "$line" | wc -m)" -lt 180 ] &&
	contains "$line" "Långt ämne om gatubelysning Långt ämne om" &&
	contains "$line" "…"
EOF
run "$CIRMCTL" -c "$C" case show "$n4"
check "... case show has it whole" contains "$out" "$long"

# A case's armed timers in the order they fire, whichever was armed first
# (a reminder of the state entered last, before an escalation armed on
# entering its parent).
if command -v sqlite3 >/dev/null; then
	id4=$(sqlite3 "$I/cirm.db" "SELECT id FROM cases WHERE number = '$n4'")
	sqlite3 "$I/cirm.db" "INSERT INTO timer (case_id, name, state, event, fire_at, created_at) VALUES ($id4, 'eskalering', 'oppen', 'timer.escalate', 1800000000, 0), ($id4, 'paminnelse', 'vantar', 'timer.remind', 1790000000, 0)"
	run "$CIRMCTL" -c "$C" case show "$n4"
	check "case show lists the timers in the order they fire" [ \
		"$(printf '%s\n' "$out" | sed -n '/^Timers:/,$p' | grep -o 'timer\.[a-z]*' | tr '\n' ' ')" = "timer.remind timer.escalate " ]
fi

done_testing
