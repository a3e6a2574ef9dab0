# shellcheck shell=bash disable=SC2034
# toolchain/lib.sh -- helpers shared by the CPython-for-WASI recipe scripts (sourced).
#
# Cache layout under $PYEDGE_CACHE (default ~/.cache/pyedge):
#   apt-trixie/           private apt configuration, lists and archive cache
#   dl/                   verified downloads, named by upstream file name
#   src/python-<sha12>/   extracted CPython source (read-only use by every build)
#   native/<key>/         native CPython, installed (prefix = that directory)
#   sdk/<key>/            WASI-SDK-shaped wrapper dir (bin/, share/wasi-sysroot)
#   zlib/<key>/           static zlib for wasm32-wasi (include/, lib/)
#   wasm/<key>/           CPython cross-build dir (libpython3.13.a, Makefile)
#   stdlib/<key>/         lib/python313.zip and friends
#   guest/<key>/          pyedge-python.wasm
#   tests/<key>/test/     hard-linked copy of Lib/test with .pyc (build/python/src)
#   python/<key>/         the assembled build/python (symlinks into the above)
# A directory is complete when it holds a file named .done; an incomplete one
# (an interrupted build) is removed and rebuilt. Keys are sha256 prefixes of
# everything that goes into a step: pinned hashes, the recipe scripts, the
# guest sources, compiler versions, and the keys of earlier steps.

set -euo pipefail

PYEDGE_CACHE=${PYEDGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pyedge}
TOOLCHAIN_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PYEDGE_ROOT=$(cd "$TOOLCHAIN_DIR/.." && pwd)
# shellcheck source=versions.sh
. "$TOOLCHAIN_DIR/versions.sh"

# Parallel jobs for the long builds: at most the core count, and at most 4
# (the compiles of CPython need ~300-600 MB each).
if [ -z "${PYEDGE_JOBS:-}" ]; then
    PYEDGE_JOBS=$(nproc 2>/dev/null || echo 2)
    [ "$PYEDGE_JOBS" -le 4 ] || PYEDGE_JOBS=4
fi

pe_say() { printf '[python] %s\n' "$*" >&2; }
pe_die() { printf '[python] error: %s\n' "$*" >&2; exit 1; }

pe_sha256() { sha256sum "$1" | cut -d' ' -f1; }

# pe_key PART...: a 16-hex-digit key. A PART naming an existing file stands
# for that file's content (for *.sh without its comment lines, so that
# editing a comment does not rebuild CPython); any other PART is taken
# literally.
pe_key() {
    local p
    for p in "$@"; do
        if [ -f "$p" ]; then
            case $p in
                *.sh) printf 'script %s\n' "$(grep -v '^[[:space:]]*#' "$p" | sha256sum | cut -d' ' -f1)" ;;
                *) printf 'file %s\n' "$(pe_sha256 "$p")" ;;
            esac
        else
            printf 'str %s\n' "$p"
        fi
    done | sha256sum | cut -c1-16
}

pe_fmt_time() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# pe_try LABEL ESTIMATE LOG CMD...: runs CMD with all output to LOG, prints a
# line when it starts, a dot every 10 s, and the elapsed time at the end.
# Returns CMD's exit status; on failure also shows the end of LOG.
pe_try() {
    local label=$1 estimate=$2 log=$3; shift 3
    local t0=$SECONDS pid rc=0 n=0
    mkdir -p "$(dirname "$log")"
    if [ -n "$estimate" ]; then
        printf '[python] %s (%s, log: %s) ' "$label" "$estimate" "$log" >&2
    else
        printf '[python] %s ' "$label" >&2
    fi
    "$@" >"$log" 2>&1 </dev/null &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        sleep 1
        n=$((n + 1))
        if [ $((n % 10)) -eq 0 ]; then printf '.' >&2; fi
    done
    wait "$pid" || rc=$?
    if [ "$rc" -ne 0 ]; then
        printf ' FAILED after %s\n' "$(pe_fmt_time $((SECONDS - t0)))" >&2
        printf '[python] ---- last lines of %s ----\n' "$log" >&2
        tail -n 40 "$log" >&2
        return "$rc"
    fi
    printf ' %s\n' "$(pe_fmt_time $((SECONDS - t0)))" >&2
}

# pe_step LABEL ESTIMATE LOG CMD...: pe_try, and a failure ends the script.
pe_step() {
    local rc=0
    pe_try "$@" || rc=$?
    [ "$rc" -eq 0 ] || exit "$rc"
}

# pe_fresh_dir DIR: DIR is about to be (re)built: drop a partial one.
pe_fresh_dir() {
    rm -rf "$1"
    mkdir -p "$1"
}

pe_done() { [ -f "$1/.done" ]; }
pe_mark_done() { date -u +%FT%TZ > "$1/.done"; }

# pe_clang_version: the first line of clang's --version, checked against the pin.
pe_clang_version() {
    local v
    command -v "$CLANG" >/dev/null 2>&1 || pe_die "$CLANG not found (run toolchain/deps.sh python)"
    v=$("$CLANG" --version | head -n1)
    printf '%s\n' "$v" | grep -Eq "$CLANG_VERSION_RE" \
        || pe_die "unexpected $CLANG version: '$v' (want /$CLANG_VERSION_RE/, see toolchain/versions.sh)"
    printf '%s\n' "$v"
}

pe_gcc_version() { gcc --version | head -n1; }
