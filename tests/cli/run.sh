#!/bin/bash
# tests/cli/run.sh -- the pyedge command line: help, version, exit codes,
# arguments, environment, stdin, option errors.
#
# Prints "PASS <name>" or "FAIL <name>: <why>" per case and ends with
# "N passed, M failed" (exit 1 if any failed). The wasm modules it needs are
# tiny and hand-assembled (their WAT is next to each), so no wasm compiler is
# needed. No network; temp files live under one mktemp -d, removed on exit.
#
# Usage: tests/cli/run.sh [-k NAME]... [--list]
#   -k NAME  runs only the cases named NAME (else those whose name contains
#            it; with * or ?, a glob): see tests/lib/select.sh. Each case is
#            `if begin NAME; then ... finish NAME` / `fi`.
# Environment: PYEDGE (default build/pyedge).
set -u
# shellcheck source=../lib/select.sh
. "$(dirname "$0")/../lib/select.sh"
select_args "$@"
[ ${#SELECT_REST[@]} -eq 0 ] || { echo "usage: tests/cli/run.sh [-k NAME]... [--list]" >&2; exit 2; }
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
PYEDGE=${PYEDGE:-$ROOT/build/pyedge}

passed=0 failed=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pyedge-cli.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

pass() { reported "$1" || return 0; passed=$((passed + 1)); echo "PASS $1"; }
fail() { reported "$1" || return 0; failed=$((failed + 1)); echo "FAIL $1: $2"; }

if ! listing && [ ! -x "$PYEDGE" ]; then
    fail setup "$PYEDGE is not built (make)"
    select_end
    exit 1
fi

# --- modules ----------------------------------------------------------------

wasm() { # NAME HEX: writes $WORK/NAME.wasm
    printf "$(sed 's/../\\x&/g' <<<"$2")" >"$WORK/$1.wasm"
}
# (module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
#   (memory (export "memory") 1) (func (export "_start") (call $exit (i32.const 3))))
wasm exit3 0061736d0100000001080260017f0060000002240116776173695f736e617073686f745f70726576696577310970726f635f657869740000030201010503010001071302066d656d6f72790200065f737461727400010a08010600410310000b
# (module (memory (export "memory") 1) (func (export "_start") unreachable))
wasm trap 0061736d01000000010401600000030201000503010001071302066d656d6f72790200065f737461727400000a05010300000b
# (module (memory (export "memory") 1) (func (export "_start") (loop $l (br $l))))
wasm spin 0061736d01000000010401600000030201000503010001071302066d656d6f72790200065f737461727400000a0901070003400c000b0b
# (module (memory (export "memory") 1) (func (export "_start")))
wasm ret 0061736d01000000010401600000030201000503010001071302066d656d6f72790200065f737461727400000a040102000b
# (module) -- valid, but not a command: no _start, no memory
wasm empty_module 0061736d01000000
# a module header followed by a section whose size runs past the end
wasm truncated 0061736d0100000001ff
echo "this is not wasm" >"$WORK/text.wasm"
: >"$WORK/zero.wasm"
mkdir -p "$WORK/adir" "$WORK/app"
cat >"$WORK/app/script.py" <<'EOF'
import sys
print("script", sys.argv[1:])
EOF

# Compile the modules once up front, so that no case (in particular the
# timing ones) pays for it.
listing || for w in exit3 trap spin ret; do
    "$PYEDGE" compile "$WORK/$w.wasm" >/dev/null 2>"$WORK/compile.log" ||
        fail "compile $w" "$(head -c 300 "$WORK/compile.log" | tr '\n' ' ')"
done

# --- running a case ---------------------------------------------------------

# runp CMD...: stdin from $STDIN (default /dev/null), 60 s watchdog (exit 137).
# Sets RC, MS, OUT, ERR.
runp() {
    local s e
    s=$(date +%s%N)
    (timeout --signal=KILL 60 "$@" >"$WORK/out" 2>"$WORK/err" <"${STDIN:-/dev/null}"; exit $?) 2>/dev/null
    RC=$?
    e=$(date +%s%N)
    MS=$(((e - s) / 1000000))
    OUT=$(cat "$WORK/out")
    ERR=$(cat "$WORK/err")
}
pe() { runp "$PYEDGE" "$@"; }

WHY=()
why() { WHY+=("$*"); }
finish() {
    [ "$1" == "$SELECT_CASE" ] || why "the case has no 'begin $1' (see tests/lib/select.sh)"
    if [[ $ERR == *"pyedge: fatal"* ]]; then why "host crash report"; fi
    if [ "$RC" -ge 128 ] && [ "$RC" -ne 134 ]; then why "pyedge died of signal $((RC - 128))"; fi
    if [ ${#WHY[@]} -eq 0 ]; then pass "$1"; else
        local IFS=';'
        fail "$1" "${WHY[*]}"
    fi
    WHY=()
}
short() { head -c 200 <<<"$1" | tr '\n' ' '; }
expect_rc() { [ "$RC" -eq "$1" ] || why "exit $RC, expected $1 (stderr: $(short "$ERR"))"; }
expect_out() { [ "$OUT" == "$1" ] || why "stdout '$(short "$OUT")', expected '$1'"; }
expect_out_has() { [[ $OUT == *"$1"* ]] || why "stdout lacks '$1' (got '$(short "$OUT")')"; }
expect_out_re() { [[ $OUT =~ $1 ]] || why "stdout '$(short "$OUT")' does not match $1"; }
expect_err() { [ "$ERR" == "$1" ] || why "stderr '$(short "$ERR")', expected '$1'"; }
expect_err_has() { [[ $ERR == *"$1"* ]] || why "stderr lacks '$1' (got '$(short "$ERR")')"; }
expect_err_empty() { [ -z "$ERR" ] || why "unexpected stderr '$(short "$ERR")'"; }
expect_out_empty() { [ -z "$OUT" ] || why "unexpected stdout '$(short "$OUT")'"; }

# =========================================================================
# help and version
# =========================================================================

for h in --help help -h; do
    begin "help[$h]" || continue
    pe "$h"
    expect_rc 0
    expect_out_has "Usage:"
    expect_out_has "pyedge run [SANDBOX OPTIONS] MODULE.wasm"
    expect_out_has "pyedge python [SANDBOX OPTIONS]"
    expect_out_has "--max-memory SIZE"
    expect_err_empty
    finish "help[$h]"
done

if begin no_command_usage_exit2; then
pe
expect_rc 2
expect_out_empty
expect_err_has "Usage:"
finish no_command_usage_exit2
fi

for v in version --version; do
    begin "version[$v]" version_matches_cpython || continue
    pe "$v"
    expect_rc 0
    expect_out_re '^pyedge [0-9]+\.[0-9]+\.[0-9]+ \(CPython 3\.13\.[0-9]+ for wasm32-wasi\)$'
    expect_err_empty
    finish "version[$v]"
done
if begin version_matches_cpython; then
VERSION_LINE=$OUT

pe python -c 'import platform; print(platform.python_version())'
expect_rc 0
[[ $VERSION_LINE == *"CPython $OUT "* ]] || why "pyedge version says '$VERSION_LINE', the guest runs $OUT"
finish version_matches_cpython
fi

if begin run_help; then
pe run --help
expect_rc 0
expect_out_has "Usage: pyedge run [SANDBOX OPTIONS] MODULE.wasm [ARGS...]"
expect_out_has "--ro-dir HOST[::GUEST]"
expect_out_has "--timeout SECONDS"
finish run_help
fi

if begin python_help; then
pe python --help
expect_rc 0
expect_out_has "Usage: pyedge python [SANDBOX OPTIONS] [--] [PYTHON ARGS...]"
expect_out_has "--env K=V"
finish python_help
fi

if begin compile_help; then
pe compile --help
expect_rc 0
finish compile_help
fi

# =========================================================================
# unknown commands and options
# =========================================================================

if begin unknown_command_exit2; then
pe bogus
expect_rc 2
expect_out_empty
expect_err "pyedge: unknown command 'bogus' (see pyedge --help)"
finish unknown_command_exit2
fi

if begin run_unknown_option_exit2; then
pe run --bogus "$WORK/ret.wasm"
expect_rc 2
expect_err "pyedge run: unknown option '--bogus' (see pyedge run --help)"
finish run_unknown_option_exit2
fi

# Options that are not pyedge's go to python3, which rejects this one.
if begin python_unknown_option_exit2; then
pe python --bogus
expect_rc 2
expect_out_empty
expect_err_has "unknown option --bogus"
finish python_unknown_option_exit2
fi

if begin run_without_module_exit2; then
pe run
expect_rc 2
expect_err_has "Usage: pyedge run"
finish run_without_module_exit2
fi

# =========================================================================
# python basics: output, exit codes, tracebacks
# =========================================================================

if begin python_c_json_dumps; then
pe python -c "import json; print(json.dumps([1]))"
expect_rc 0
expect_out "[1]"
expect_err_empty
finish python_c_json_dumps
fi

if begin python_exit_code_7; then
pe python -c 'raise SystemExit(7)'
expect_rc 7
expect_out_empty
expect_err_empty
finish python_exit_code_7
fi

if begin python_exit_code_0; then
pe python -c 'import sys; sys.exit(0)'
expect_rc 0
finish python_exit_code_0
fi

if begin python_exit_message_1; then
pe python -c 'raise SystemExit("goodbye")'
expect_rc 1
expect_err "goodbye"
finish python_exit_message_1
fi

if begin python_traceback_exit1; then
pe python -c '1/0'
expect_rc 1
expect_out_empty
expect_err_has "Traceback (most recent call last):"
expect_err_has "ZeroDivisionError: division by zero"
finish python_traceback_exit1
fi

if begin python_stdout_stderr_separate; then
pe python -c 'import sys; print("to stdout"); print("to stderr", file=sys.stderr)'
expect_rc 0
expect_out "to stdout"
expect_err "to stderr"
finish python_stdout_stderr_separate
fi

if begin python_script_from_ro_dir; then
pe python --ro-dir "$WORK/app::/app" -- /app/script.py one 'two words'
expect_rc 0
expect_out "script ['one', 'two words']"
finish python_script_from_ro_dir
fi

if begin python_m_json_tool_stdin; then
STDIN=$WORK/json.in
echo '{"b": [1, 2], "a": null}' >"$STDIN"
pe python -m json.tool --sort-keys
unset STDIN
expect_rc 0
expect_out '{
    "a": null,
    "b": [
        1,
        2
    ]
}'
finish python_m_json_tool_stdin
fi

# =========================================================================
# run: exit codes, traps, timeouts
# =========================================================================

if begin run_exit_code_3; then
pe run "$WORK/exit3.wasm"
expect_rc 3
expect_out_empty
expect_err_empty
finish run_exit_code_3
fi

if begin run_start_returns_0; then
pe run "$WORK/ret.wasm"
expect_rc 0
expect_err_empty
finish run_start_returns_0
fi

if begin run_double_dash_module; then
pe run -- "$WORK/exit3.wasm"
expect_rc 3
finish run_double_dash_module
fi

if begin run_trap_134; then
pe run "$WORK/trap.wasm"
expect_rc 134
expect_err "pyedge: trap.wasm: trap: unreachable executed"
finish run_trap_134
fi

if begin run_timeout_124; then
pe run --timeout 0.5 "$WORK/spin.wasm"
expect_rc 124
expect_err "pyedge: spin.wasm: stopped after the 0.5 s timeout"
[ "$MS" -le 1200 ] || why "took $MS ms for a 0.5 s timeout"
finish run_timeout_124
fi

if begin python_timeout_124; then
pe python --timeout 250ms -c 'while True: pass'
expect_rc 124
expect_err "pyedge: python: stopped after the 0.25 s timeout"
[ "$MS" -le 1000 ] || why "took $MS ms for a 250 ms timeout"
finish python_timeout_124
fi

if begin options_with_equals; then
pe python --timeout=5 --max-memory=256M -c 'print("ok")'
expect_rc 0
expect_out ok
finish options_with_equals
fi

# =========================================================================
# arguments, environment, stdin
# =========================================================================

if begin python_argv; then
pe python -c 'import sys; print(sys.argv)' a 'b c' '' -x -- --env ü
expect_rc 0
expect_out "['-c', 'a', 'b c', '', '-x', '--', '--env', 'ü']"
finish python_argv
fi

if begin python_double_dash; then
pe python -- -c 'import sys; print(sys.argv[1:])' --timeout 1
expect_rc 0
expect_out "['--timeout', '1']"
finish python_double_dash
fi

# The host environment has PATH, HOME and a canary; the guest sees only
# PYTHONHOME (set by pyedge for CPython) and the --env variables.
if begin python_env_isolated; then
runp env PYEDGE_CLI_CANARY=leaked HOME=/root PATH="$PATH" "$PYEDGE" python \
    --env A=1 --env 'B=two words' --env 'C=x=y' -c 'import os; print(sorted(os.environ.items()))'
expect_rc 0
expect_out "[('A', '1'), ('B', 'two words'), ('C', 'x=y'), ('PYTHONHOME', '/usr/local')]"
finish python_env_isolated
fi

if begin python_env_path; then
pe python --env PATH=/guest/bin -c 'import os; print(os.environ["PATH"])'
expect_rc 0
expect_out "/guest/bin"
finish python_env_path
fi

if begin python_stdin_file; then
printf 'hi\n' >"$WORK/stdin.txt"
STDIN=$WORK/stdin.txt pe python -c "import sys; print(sys.stdin.read())"
expect_rc 0
[ "$(od -c <"$WORK/out" | head -n 2)" == "$(printf 'hi\n\n' | od -c | head -n 2)" ] ||
    why "stdout is '$(od -c <"$WORK/out" | head -n 1)', expected 'hi\\n\\n'"
finish python_stdin_file
fi

# stdin from a pipe (the brief's example: echo hi | pyedge python ...)
if begin python_stdin_pipe; then
s=$(date +%s%N)
OUT=$(echo hi | timeout --signal=KILL 60 "$PYEDGE" python -c "import sys; print(sys.stdin.read())" 2>"$WORK/err")
RC=$? ERR=$(cat "$WORK/err")
expect_rc 0
expect_out "hi"
finish python_stdin_pipe
fi

# =========================================================================
# bad option values
# =========================================================================

for v in 12Q 0 -1 1.5M 65535 ''; do
    begin "bad_max_memory[$v]" || continue
    pe python --max-memory "$v" -c 1
    expect_rc 2
    expect_out_empty
    expect_err "pyedge: --max-memory wants a size of at least 64K, like 128M; got '$v'"
    finish "bad_max_memory[$v]"
done

for v in -1 0 abc 1x inf nan 1e-12; do
    begin "bad_timeout[$v]" || continue
    pe python --timeout "$v" -c 1
    expect_rc 2
    expect_err "pyedge: --timeout wants seconds > 0, like 2 or 0.5 or 250ms; got '$v'"
    finish "bad_timeout[$v]"
done

for o in --timeout --max-memory --dir --ro-dir --env; do
    begin "missing_value[$o]" || continue
    pe run "$o"
    expect_rc 2
    expect_err "pyedge: $o needs a value"
    finish "missing_value[$o]"
done

for v in NOEQ =x; do
    begin "bad_env[$v]" || continue
    pe python --env "$v" -c 1
    expect_rc 2
    expect_err "pyedge: --env wants K=V, got '$v'"
    finish "bad_env[$v]"
done

for v in '' '::/guest' 'host::'; do
    begin "bad_dir_mapping[$v]" || continue
    pe python --dir "$v" -c 1
    expect_rc 2
    expect_err "pyedge: bad directory mapping '$v' (expected HOST[::GUEST])"
    finish "bad_dir_mapping[$v]"
done

if begin dir_missing_125; then
pe python --dir "$WORK/missing::/data" -c 1
expect_rc 125
expect_out_empty
expect_err "pyedge: python: cannot open directory $WORK/missing: No such file or directory"
finish dir_missing_125
fi

if begin run_ro_dir_missing_125; then
pe run --ro-dir "$WORK/missing" "$WORK/ret.wasm"
expect_rc 125
expect_err "pyedge: ret.wasm: cannot open directory $WORK/missing: No such file or directory"
finish run_ro_dir_missing_125
fi

if begin dir_is_a_file_125; then
pe python --dir "$WORK/app/script.py" -c 1
expect_rc 125
expect_err "pyedge: python: cannot open directory $WORK/app/script.py: Not a directory"
finish dir_is_a_file_125
fi

# =========================================================================
# run: things that are not (runnable) wasm modules
# =========================================================================

if begin run_text_file_125; then
pe run "$WORK/text.wasm"
expect_rc 125
expect_out_empty
expect_err "pyedge: $WORK/text.wasm is not a WebAssembly module"
finish run_text_file_125
fi

if begin run_empty_file_125; then
pe run "$WORK/zero.wasm"
expect_rc 125
expect_err "pyedge: $WORK/zero.wasm is not a WebAssembly module"
finish run_empty_file_125
fi

if begin run_missing_file_125; then
pe run "$WORK/nonexistent.wasm"
expect_rc 125
expect_err "pyedge: cannot open $WORK/nonexistent.wasm: No such file or directory"
finish run_missing_file_125
fi

if begin run_directory_125; then
pe run "$WORK/adir"
expect_rc 125
expect_err_has "$WORK/adir"
finish run_directory_125
fi

if begin run_truncated_module_125; then
pe run "$WORK/truncated.wasm"
expect_rc 125
expect_err_has "wasm2c rejected"
finish run_truncated_module_125
fi

if begin run_module_without_start_125; then
pe run "$WORK/empty_module.wasm"
expect_rc 125
expect_err_has "the module has no '_start' export (not a WASI command?)"
finish run_module_without_start_125
fi

if begin compile_text_file_125; then
pe compile "$WORK/text.wasm"
expect_rc 125
expect_err "pyedge: $WORK/text.wasm is not a WebAssembly module"
finish compile_text_file_125
fi

if begin compile_prints_object; then
pe compile "$WORK/ret.wasm"
expect_rc 0
[ -f "$OUT" ] || why "compile printed '$OUT', not an existing file"
finish compile_prints_object
fi

# =========================================================================
# pyedge up / build options: one table (src/cli/cmd_up.c) is both the
# parser and --help. Every case names a missing manifest, so a run whose
# options all parse stops at "no manifest" instead of serving.
# =========================================================================

NONE=$WORK/no-such-app
NO_MANIFEST="no manifest at $NONE (use -f MANIFEST|DIR)"
up() { pe up -f "$NONE" "$@"; }
expect_parsed() { # CMD: every option was taken
    expect_rc 2
    expect_err "pyedge $1: $NO_MANIFEST"
}
expect_refused() { # MESSAGE
    expect_rc 2
    expect_out_empty
    expect_err "pyedge up: $1"
}

for c in up build; do
    for h in --help -h; do
        begin "${c}_help[$h]" || continue
        pe "$c" "$h"
        expect_rc 0
        expect_out_has "Usage: pyedge $c"
        expect_err_empty
        finish "${c}_help[$h]"
    done
done

if begin build_help_has_up; then
pe build --help
expect_out_has "snapshot file"
expect_out_has "  -u, --up  "
finish build_help_has_up
fi

# defaults come from the struct the parser fills, and --help shows them
# whatever options came before it
if begin up_help_defaults; then
pe up --listen 0.0.0.0:1 --max-instance-memory 1G --help
expect_rc 0
for d in "default 127.0.0.1:3000" "default 128M" "default 30s" "default 512M" "default 16M" \
    "default spin.toml" "default one per CPU" "at least 16M" "1..1024"; do
    expect_out_has "$d"
done
[[ $OUT == *"default 1G"* || $OUT == *"0.0.0.0:1"* ]] && why "--help shows a value given before it"
finish up_help_defaults
fi

# (UP_HELP and BUILD_HELP are for the cases after this one)
if begin watch_help_lists_up_options help_lists_every_table_option up_parses_every_help_option \
    build_parses_every_help_option up_help_aligned build_help_aligned; then
pe up --help
UP_HELP=$OUT
pe build --help
BUILD_HELP=$OUT
pe watch --help
expect_rc 0
expect_out_has "Usage: pyedge watch"
expect_out_has "--max-instance-reuse-count N"
finish watch_help_lists_up_options
fi

# (a) every name in the table is in the help of each command that takes it,
# and --up (build's alone) is not in up's
if begin help_lists_every_table_option; then
TABLE=$(awk '/^static const cli_option up_options/,/^};/' "$ROOT/src/cli/cmd_up.c" | tr '\n' ' ' |
    sed 's/{\.group/\n&/g' | grep '^{\.group')
n=0
while IFS= read -r entry; do
    cmds=$(grep -oE '\.cmds = [A-Z]+' <<<"$entry" | awk '{print $3}')
    for name in $(grep -oE '\.(shortname|name|alias) = "[^"]+"' <<<"$entry" | cut -d'"' -f2); do
        n=$((n + 1))
        in_up=0 in_build=0
        grep -qE "^  (.*[ ,])?$name([ ,]|$)|also $name[,)]" <<<"$UP_HELP" && in_up=1
        grep -qE "^  (.*[ ,])?$name([ ,]|$)|also $name[,)]" <<<"$BUILD_HELP" && in_build=1
        case $cmds in BOTH) want=11 ;; UP) want=10 ;; BUILD) want=01 ;; *) want=none ;; esac
        [ "$in_up$in_build" == "$want" ] ||
            why "$name (${cmds:-no .cmds}): in up --help $in_up, in build --help $in_build"
    done
done <<<"$TABLE"
[ "$n" -ge 25 ] || why "found only $n option names in the table"
RC=0
finish help_lists_every_table_option
fi

# ... and the other way: every option --help lists is one the parser takes
for c in up build; do
    begin "${c}_parses_every_help_option" || continue
    [ $c == up ] && HELP=$UP_HELP || HELP=$BUILD_HELP
    names=$(grep -E '^  --?[a-z]' <<<"$HELP" | sed -E 's/^  //; s/  .*//; s/ [^-][^ ]*$//; s/,//g')
    [ -n "$names" ] || why "no options in pyedge $c --help"
    for name in $names; do
        pe "$c" -f "$NONE" "$name"
        [[ $ERR == *"unknown option"* || $ERR == *"not an option"* ]] && why "$c $name: $ERR"
        [ "$name" == --help ] || [ "$name" == -h ] || [ "$RC" -eq 2 ] || why "$c $name: exit $RC"
    done
    RC=0
    finish "${c}_parses_every_help_option"
done

# --help is aligned: one column for every option's text, 79 columns at most
for c in up build; do
    begin "${c}_help_aligned" || continue
    [ $c == up ] && HELP=$UP_HELP || HELP=$BUILD_HELP
    cols=$(awk '/^  --?[a-z]/ { s = substr($0, 3); if (match(s, /  +/)) print 1 + RSTART + RLENGTH }
                /^     / { match($0, /^ +/); print RLENGTH }' <<<"$HELP" | sort -u)
    [ "$(wc -l <<<"$cols")" -eq 1 ] || why "option text starts at columns $(echo $cols)"
    long=$(awk 'length($0) > 79' <<<"$HELP")
    [ -z "$long" ] || why "lines over 79 columns: $(short "$long")"
    RC=0
    finish "${c}_help_aligned"
done

# (b) each kind of value: taken in both spellings, refused with a message
if begin "up_kind_string_taken"; then
up --listen 127.0.0.1:1 --file="$NONE" -f "$NONE" --log-dir= --state-dir "$WORK/s" \
    --runtime-config-file x.toml --geoip-db x.mmdb --user root
expect_parsed up
finish "up_kind_string_taken"
fi

if begin "up_kind_string_missing"; then
up --listen
expect_refused "--listen needs a value"
finish "up_kind_string_missing"
fi

if begin "up_kind_string_checked"; then
up --user no-such-user-pyedge
expect_refused "--user: no user named 'no-such-user-pyedge'"
finish "up_kind_string_checked"
fi

if begin "up_kind_size_taken"; then
up --max-instance-memory 16M --max-instance-memory=1G --max-log-size 64K --max-bundle-size=1
expect_parsed up
finish "up_kind_size_taken"
fi

for v in 8M 12Q -1 1.5M ''; do
    begin "up_kind_size_refused[$v]" || continue
    up --max-instance-memory "$v"
    expect_refused "--max-instance-memory wants a size of at least 16M, got '$v'"
    finish "up_kind_size_refused[$v]"
done
if begin "up_kind_size_refused_log"; then
up --max-log-size 63K
expect_refused "--max-log-size wants a size of at least 64K, got '63K'"
finish "up_kind_size_refused_log"
fi
for v in lots 0; do
    begin "up_kind_size_refused_bundle[$v]" || continue
    up --max-bundle-size "$v"
    expect_refused "--max-bundle-size wants a size like 512M or 1G, got '$v'"
    finish "up_kind_size_refused_bundle[$v]"
done

if begin "up_kind_duration_taken"; then
up --request-timeout 250ms --request-timeout=0.5 --request-timeout 2s
expect_parsed up
finish "up_kind_duration_taken"
fi

for v in 0 -1 abc 1x inf ''; do
    begin "up_kind_duration_refused[$v]" || continue
    up --request-timeout "$v"
    expect_refused "--request-timeout wants seconds > 0, got '$v'"
    finish "up_kind_duration_refused[$v]"
done

if begin "up_kind_count_taken"; then
up --workers 1 --workers=1024 --max-instance-reuse-count 1000000
expect_parsed up
finish "up_kind_count_taken"
fi

for v in 0 1025 x -1 1.5 ' 4' ''; do
    begin "up_kind_count_refused[$v]" || continue
    up --workers "$v"
    expect_refused "--workers wants 1..1024, got '$v'"
    finish "up_kind_count_refused[$v]"
done
if begin "up_kind_count_refused_reuse"; then
up --max-instance-reuse-count 1000001
expect_refused "--max-instance-reuse-count wants 1..1000000, got '1000001'"
finish "up_kind_count_refused_reuse"
fi

if begin "up_kind_flag_taken"; then
up --quiet --quiet
expect_parsed up
finish "up_kind_flag_taken"
fi

if begin "up_kind_flag_refused"; then
up --quiet=yes
expect_refused "--quiet takes no value, got '--quiet=yes'"
finish "up_kind_flag_refused"
fi

if begin "up_kind_enum_taken"; then
up --seccomp on --seccomp=off --seccomp log
expect_parsed up
finish "up_kind_enum_taken"
fi

for v in maybe ON ''; do
    begin "up_kind_enum_refused[$v]" || continue
    up --seccomp "$v"
    expect_refused "--seccomp wants on, off or log, got '$v'"
    finish "up_kind_enum_refused[$v]"
done

if begin "up_kind_lists_taken"; then
up -e A=1 --env=B=x=y --variable v=1 --key-value k= --sqlite 'select 1' --trusted-proxy 10.0.0.0/8
expect_parsed up
finish "up_kind_lists_taken"
fi

for o in -e --env --variable --key-value; do
    for v in NOEQ =x; do
        begin "up_kind_pairs_refused[$o $v]" || continue
        up "$o" "$v"
        name=$o
        [ "$o" == -e ] && name=--env
        expect_refused "$name wants K=V, got '$v'"
        finish "up_kind_pairs_refused[$o $v]"
    done
done

if begin "up_kind_list_limit"; then
args=()
for i in $(seq 256); do args+=(--sqlite "select $i"); done
up "${args[@]}"
expect_parsed up
up "${args[@]}" --sqlite 'select 257'
expect_refused "too many --sqlite options (at most 256)"
finish "up_kind_list_limit"
fi

if begin up_unknown_option_suggests_typo; then
up --lisen 127.0.0.1:1
expect_refused "unknown option '--lisen'; did you mean --listen? (see pyedge up --help)"
finish up_unknown_option_suggests_typo
fi

if begin up_unknown_option_suggests_words; then
up --timeout 2
expect_refused "unknown option '--timeout'; did you mean --request-timeout? (see pyedge up --help)"
finish up_unknown_option_suggests_words
fi

if begin up_unknown_option; then
up --bogus
expect_refused "unknown option '--bogus' (see pyedge up --help)"
finish up_unknown_option
fi

if begin up_positional_refused; then
up stray
expect_refused "unexpected argument 'stray' (see pyedge up --help)"
finish up_positional_refused
fi

if begin up_refuses_build_only_option; then
up --up
expect_refused "--up is not an option of pyedge up (see pyedge up --help)"
finish up_refuses_build_only_option
fi

if begin build_parses_up_options; then
pe build -f "$NONE" --up --quiet --workers 2
expect_parsed build
finish build_parses_up_options
fi

if begin build_unknown_option; then
pe build --bogus
expect_rc 2
expect_err "pyedge build: unknown option '--bogus' (see pyedge build --help)"
finish build_unknown_option
fi

select_end
[ "$failed" -eq 0 ]
