# shellcheck shell=bash
# tests/lib/select.sh -- running some tests of a bash suite by name (-k).
# Sourced by tests/cli/run.sh, tests/cli/new.sh, tests/sandbox/run.sh,
# tests/serve/build.sh, tests/toolchain/fetch_test.sh and tests/cpython/run.sh
# (all of it), tests/platform/run.sh and tests/unit/run.sh (select_glob);
# tests/lib/selection.py is the same for the Python runners.
#
#   -k PATTERN  (repeatable) runs the tests whose name, as printed on its
#               PASS/FAIL line, matches PATTERN:
#                 with * or ? in it: a glob over the whole name ('*' any run
#                   of characters, '?' one; nothing else is special);
#                 else: the test named exactly PATTERN, or, when no test has
#                   that name, every test whose name contains PATTERN.
#               Matching nothing is a failure: "FAIL -k ...: no test matches".
#   --list      prints the suite's test names, one a line, and runs nothing.
#
# How a suite uses it: source this file before its `cd`, call
# `select_args "$@"` (it takes -k and --list out and leaves the rest in
# SELECT_REST), and wrap each case:
#
#   if begin NAME [LATER...]; then
#       ...the case, ending in pass/fail/finish NAME...
#   fi
#
# begin is true when the case is to run: no -k was given, or NAME is
# selected, or one of the LATER names is: cases that need this one's work (it
# then runs but is not reported), or more tests that this block reports. The
# suite's pass and fail start with `reported NAME || return 0`: a test that is
# not selected prints and counts nothing. Names that are no test's (setup,
# compile X) are always reported.
# The suite ends with select_end, which prints "N passed, M failed" from its
# $passed and $failed.
#
# --list, and -k before the cases run, work by running the suite once with
# SELECT_LISTING=1: every begin then writes its NAME to $SELECT_LIST_FILE and
# is false, so no case runs; a suite skips its setup when `listing` is true.
# (begin lists its LATER names too: every test name must be on some begin.)

SELECT_SCRIPT=$(readlink -f "$0")
SELECT_PATTERNS=() # the -k patterns, as given
SELECT_GLOBS=()    # the same as bash patterns (see select_resolve)
SELECT_NAMES=()    # every test name of the suite (with -k)
SELECT_HITS=0      # selected cases begun or reported
SELECT_REST=()
SELECT_CASE="" # the NAME of the last begin (a suite's finish checks it)

listing() { [ -n "${SELECT_LISTING:-}" ]; }

# select_args ARGS...: takes -k PATTERN and --list out of ARGS.
select_args() {
    local list=0
    while [ $# -gt 0 ]; do
        case $1 in
            -k)
                if [ $# -lt 2 ] || [ -z "$2" ]; then
                    echo "-k wants a test name or pattern" >&2
                    exit 2
                fi
                SELECT_PATTERNS+=("$2")
                shift 2
                ;;
            --list) list=1; shift ;;
            *) SELECT_REST+=("$1"); shift ;;
        esac
    done
    listing && return 0
    if [ $list -eq 1 ]; then
        select_list_names
        printf '%s\n' "${SELECT_NAMES[@]}"
        exit 0
    fi
    [ ${#SELECT_PATTERNS[@]} -eq 0 ] && return 0
    select_list_names
    select_resolve
    local n
    for n in "${SELECT_NAMES[@]}"; do selected "$n" && return 0; done
    echo "FAIL -k $(select_describe): no test matches (tests: ${#SELECT_NAMES[@]}; --list shows them)"
    echo "0 passed, 1 failed"
    exit 1
}

# Runs the suite in listing mode; SELECT_NAMES gets its test names.
select_list_names() {
    local f
    f=$(mktemp "${TMPDIR:-/tmp}/pyedge-select.XXXXXX") || exit 1
    SELECT_LISTING=1 SELECT_LIST_FILE=$f "$BASH" "$SELECT_SCRIPT" "${SELECT_REST[@]}" </dev/null >/dev/null 2>&1
    mapfile -t SELECT_NAMES < <(awk '!seen[$0]++' "$f")
    rm -f "$f"
}

# select_glob PATTERN [NAME...]: PATTERN as a bash pattern over the NAMEs: a
# glob with only * and ? special; else the exact name when one of the NAMEs is
# PATTERN, or *PATTERN* when none is.
select_glob() {
    local p=$1 n
    shift
    if [[ $p == *[*?]* ]]; then
        sed 's/[^*?]/\\&/g' <<<"$p"
        return
    fi
    for n in "$@"; do
        if [ "$n" == "$p" ]; then
            sed 's/./\\&/g' <<<"$p"
            return
        fi
    done
    echo "*$(sed 's/./\\&/g' <<<"$p")*"
}

select_resolve() {
    local p
    for p in "${SELECT_PATTERNS[@]}"; do SELECT_GLOBS+=("$(select_glob "$p" "${SELECT_NAMES[@]}")"); done
}

select_describe() { # 'a' 'b'
    local p out=""
    for p in "${SELECT_PATTERNS[@]}"; do out+="${out:+ }'$p'"; done
    echo "$out"
}

# selected NAME...: true when no -k was given or one of the NAMEs matches.
selected() {
    [ ${#SELECT_PATTERNS[@]} -eq 0 ] && return 0
    local n g
    for n in "$@"; do
        for g in "${SELECT_GLOBS[@]}"; do
            # shellcheck disable=SC2053 # $g is a pattern
            [[ $n == $g ]] && return 0
        done
    done
    return 1
}

# begin NAME [LATER...]: true when the case is to run (see the top).
begin() {
    # shellcheck disable=SC2034 # read by the suites
    SELECT_CASE=$1
    if listing; then
        printf '%s\n' "$@" >>"$SELECT_LIST_FILE"
        return 1
    fi
    if selected "$1"; then
        SELECT_HITS=$((SELECT_HITS + 1))
        return 0
    fi
    selected "$@"
}

is_test_name() {
    local n
    for n in "${SELECT_NAMES[@]}"; do [ "$n" == "$1" ] && return 0; done
    return 1
}

# reported NAME: whether a PASS/FAIL line for NAME is printed and counted.
reported() {
    [ ${#SELECT_PATTERNS[@]} -eq 0 ] && return 0
    is_test_name "$1" || return 0
    selected "$1" || return 1
    SELECT_HITS=$((SELECT_HITS + 1))
}

# select_end: the closing "N passed, M failed" (of the suite's $passed and
# $failed); under -k, no selected case having begun is a failure.
select_end() {
    if [ ${#SELECT_PATTERNS[@]} -gt 0 ] && [ "$SELECT_HITS" -eq 0 ]; then
        echo "FAIL -k $(select_describe): the matching tests did not run"
        failed=$((failed + 1))
    fi
    # shellcheck disable=SC2154 # the suite's counters
    echo "$passed passed, $failed failed"
}
