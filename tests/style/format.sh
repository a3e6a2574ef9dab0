#!/bin/bash
# tests/style/format.sh -- the C files are laid out as .clang-format says
# (guest/.clang-format for guest/, which follows CPython's PEP 7). One check
# per file: prints "FAIL FILE: N line(s) differ" for each file clang-format
# would change, how to fix them, and "N passed, M failed".
#
# Usage: tests/style/format.sh [-k SUBSTRING]... [--list] [--diff] [--fix]
#   -k SUBSTRING  only the files whose path contains it (repeatable)
#   --list        prints the files it would check, and checks nothing
#   --diff        shows what clang-format would change in each failing file
#   --fix         rewrites the files that differ (`make format`)
#
# Files: the C sources and headers git knows of (tracked, or new and not
# ignored), minus EXCLUDE below. Layout depends on clang-format's version,
# so the check wants Debian 12's clang-format 14 (toolchain/deps.sh host);
# CLANG_FORMAT names another binary.
set -u
cd "$(dirname "$0")/../.." || exit 1

# Files clang-format leaves alone, each with its reason. The headers every
# compiled module is built against are embedded in pyedge (Makefile,
# EMBEDDED_HDRS) and their bytes are part of the AOT cache key: relaying
# them out would make every machine recompile CPython (minutes) for no
# change in code, so they change only when their content does.
EXCLUDE=(
    src/runtime/wasm-rt.h
    src/runtime/pe_rt.h
    src/wasi/pe_wasi_abi.h
    src/hostapi/pe_host_abi.h
)

wants=()
mode="check"
while [ $# -gt 0 ]; do
    case $1 in
        -k)
            if [ $# -lt 2 ] || [ -z "$2" ]; then echo "-k wants a file name or part of one" >&2; exit 2; fi
            wants+=("$2"); shift 2 ;;
        --list) mode="list"; shift ;;
        --diff) mode="diff"; shift ;;
        --fix) mode="fix"; shift ;;
        *) echo "usage: $0 [-k SUBSTRING]... [--list] [--diff] [--fix]" >&2; exit 2 ;;
    esac
done

excluded() {
    local e
    for e in "${EXCLUDE[@]}"; do [ "$1" = "$e" ] && return 0; done
    return 1
}
chosen() {
    local w
    [ ${#wants[@]} -eq 0 ] && return 0
    for w in "${wants[@]}"; do [[ $1 == *"$w"* ]] && return 0; done
    return 1
}

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    mapfile -t all < <(git ls-files --cached --others --exclude-standard -- '*.c' '*.h' | sort -u)
else # an unpacked tarball
    mapfile -t all < <(find src guest tests -name '*.[ch]' | sort)
fi
files=()
for f in "${all[@]}"; do
    [ -f "$f" ] && ! excluded "$f" && chosen "$f" && files+=("$f")
done
if [ $mode = list ]; then
    printf '%s\n' "${files[@]}"
    exit 0
fi
if [ ${#files[@]} -eq 0 ]; then
    echo "FAIL -k ${wants[*]}: no C file matches"
    echo "0 passed, 1 failed"
    exit 1
fi

cf=${CLANG_FORMAT:-$(command -v clang-format-14 || command -v clang-format)}
if [ -z "$cf" ]; then
    echo "FAIL clang-format: not installed (toolchain/deps.sh host installs it)"
    echo "0 passed, 1 failed"
    exit 1
fi
version=$("$cf" --version | sed -nE 's/.*version ([0-9]+)\..*/\1/p')
if [ "$version" != 14 ]; then
    echo "FAIL clang-format: $cf is version ${version:-unknown}; the layout is clang-format 14's (Debian 12)"
    echo "0 passed, 1 failed"
    exit 1
fi
for c in .clang-format guest/.clang-format; do
    if [ ! -f "$c" ]; then
        echo "FAIL $c: missing"
        echo "0 passed, 1 failed"
        exit 1
    fi
done

tmp=$(mktemp)
report=$(mktemp)
trap 'rm -f "$tmp" "$tmp.err" "$report"' EXIT
passed=0
failed=0
for f in "${files[@]}"; do
    if "$cf" --style=file --dry-run -Werror "$f" 2>/dev/null; then
        passed=$((passed + 1))
        continue
    fi
    if ! "$cf" --style=file "$f" >"$tmp" 2>"$tmp.err"; then
        echo "FAIL $f: clang-format failed: $(head -n 1 "$tmp.err")" >>"$report"
        failed=$((failed + 1))
        continue
    fi
    n=$(diff "$f" "$tmp" | grep -c '^<')
    if [ $mode = fix ]; then
        cat "$tmp" >"$f" && echo "formatted $f ($n lines)"
        passed=$((passed + 1))
    else
        echo "FAIL $f: $n line(s) differ" >>"$report"
        [ $mode = diff ] && diff -u --label "$f" --label "$f (clang-format)" "$f" "$tmp" >>"$report"
        failed=$((failed + 1))
    fi
done
# the hint first: tests/run.sh shows only the first lines of a suite's failures
if [ $failed -gt 0 ]; then
    echo "FAIL layout: $failed file(s) differ from .clang-format: \`make format\` rewrites them (--diff shows how)"
    cat "$report"
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
