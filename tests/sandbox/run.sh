#!/bin/bash
# tests/sandbox/run.sh -- hostile guests against the pyedge sandbox.
#
# Builds the C guests in tests/sandbox/guests/*.c into build/sandbox/*.wasm
# (only when a source is newer; files named _*.c are included by the others,
# not built), compiles them ahead of time once (pyedge caches them under
# $PYEDGE_CACHE), then runs every case and prints one line per case:
#
#   PASS <name>
#   FAIL <name>: <why>
#
# and finally "N passed, M failed" (exit 1 if any failed).
#
# Every attempt must fail cleanly and the host must survive. Besides each
# case's own expectations (exact exit code, exact output), every case fails if
#  - the secret file kept outside the preopens, the host's /etc/passwd, or an
#    environment variable set only on the host shows up in the guest's output;
#  - pyedge died of a signal (e.g. 139, SIGSEGV) or printed a crash report.
# The file-system cases also compare the host-side tree before and after.
#
# No network. Temp dirs live under one mktemp -d, removed on exit.
# Usage: tests/sandbox/run.sh [-k NAME]... [--list]
#   -k NAME  runs only the cases named NAME (else those whose name contains
#            it; with * or ?, a glob): see tests/lib/select.sh. Each case is
#            `if begin NAME; then ... finish NAME` / `fi` (in a loop:
#            `begin NAME || continue`).
# Environment: PYEDGE (default build/pyedge), WASI_CC (the wasm C compiler;
# default build/python/sdk/bin/clang, else the newest
# ~/.cache/pyedge/sdk/*/bin/clang).
set -u
# shellcheck source=../lib/select.sh
. "$(dirname "$0")/../lib/select.sh"
select_args "$@"
[ ${#SELECT_REST[@]} -eq 0 ] || { echo "usage: tests/sandbox/run.sh [-k NAME]... [--list]" >&2; exit 2; }
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
PYEDGE=${PYEDGE:-$ROOT/build/pyedge}
GUESTS=tests/sandbox/guests
PYDIR=$ROOT/tests/sandbox/py
MODDIR=$ROOT/build/sandbox

passed=0 failed=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pyedge-sandbox.XXXXXX") || exit 1
BG_PIDS=()
cleanup() {
    local p
    for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass() { reported "$1" || return 0; passed=$((passed + 1)); echo "PASS $1"; }
fail() { reported "$1" || return 0; failed=$((failed + 1)); echo "FAIL $1: $2"; }

# What must never appear in a guest's output.
SECRET="PYEDGE-SECRET-$$-$RANDOM$RANDOM"
export PYEDGE_SANDBOX_CANARY="host-only-$RANDOM$RANDOM"

# --- the wasm C compiler ---------------------------------------------------

find_cc() {
    if [ -n "${WASI_CC:-}" ]; then echo "$WASI_CC"; return; fi
    if [ -x build/python/sdk/bin/clang ]; then echo "$ROOT/build/python/sdk/bin/clang"; return; fi
    local c
    # shellcheck disable=SC2012
    c=$(ls -td "$HOME"/.cache/pyedge/sdk/*/bin/clang 2>/dev/null | head -n 1)
    [ -n "$c" ] && echo "$c"
}

# (listing the cases for -k needs none of the setup)
if ! listing; then
if [ ! -x "$PYEDGE" ]; then
    fail setup "$PYEDGE is not built (make)"
    select_end
    exit 1
fi
CC_WASM=$(find_cc)
if [ -z "$CC_WASM" ] || [ ! -x "$CC_WASM" ]; then
    fail setup "no wasm C compiler (build/python/sdk/bin/clang or ~/.cache/pyedge/sdk/*/bin/clang)"
    select_end
    exit 1
fi

# --- build and precompile the C guests -------------------------------------

mkdir -p "$MODDIR"
declare -A BUILT
for src in "$GUESTS"/*.c; do
    name=$(basename "$src" .c)
    case $name in _*) continue ;; esac
    wasm=$MODDIR/$name.wasm
    flags=(-O1 -Wall)
    # bigmem: initial memory 64 MiB, above the 32M limit the case sets.
    [ "$name" = bigmem ] && flags+=(-Wl,--initial-memory=67108864)
    if [ ! -f "$wasm" ] || [ "$src" -nt "$wasm" ] || [ "$GUESTS/_common.c" -nt "$wasm" ]; then
        if ! "$CC_WASM" "${flags[@]}" -o "$wasm.tmp" "$src" >"$WORK/cc.log" 2>&1; then
            rm -f "$wasm.tmp"
            fail "build $name" "$(head -c 300 "$WORK/cc.log" | tr '\n' ' ')"
            continue
        fi
        mv "$wasm.tmp" "$wasm"
    fi
    BUILT[$name]=1
done

# A module that grows its funcref table by 2^20 elements until table.grow
# fails and exits with the number of successful steps (hand-assembled; a C
# compiler does not emit table.grow). WAT:
#   (module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
#     (memory (export "memory") 1) (table $t 0 funcref)
#     (func (export "_start") (local $i i32)
#       (block $done (loop $l
#         (br_if $done (i32.eq (table.grow $t (ref.null func) (i32.const 1048576))
#                              (i32.const -1)))
#         (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)))
#       (call $exit (local.get $i))))
TABLE_HEX=0061736d0100000001080260017f0060000002240116776173695f736e617073686f745f70726576696577310970726f635f657869740000030201010404017000000503010001071302066d656d6f72790200065f737461727400010a28012601017f02400340d070418080c000fc0f00417f460d01200041016a21000c000b0b200010000b
printf "$(sed 's/../\\x&/g' <<<"$TABLE_HEX")" >"$MODDIR/tablegrow.wasm" && BUILT[tablegrow]=1

# Compile every module ahead of time (in parallel), so that no case -- in
# particular no timing-sensitive one -- pays for compilation.
for name in "${!BUILT[@]}"; do echo "$MODDIR/$name.wasm"; done |
    xargs -P 2 -I{} sh -c '"$0" compile "$1" >/dev/null 2>"$1.compile.log" || echo "$1"' \
        "$PYEDGE" {} >"$WORK/compile-failed"
while read -r w; do
    name=$(basename "$w" .wasm)
    unset "BUILT[$name]"
    fail "compile $name" "$(head -c 300 "$w.compile.log" | tr '\n' ' ')"
done <"$WORK/compile-failed"
fi

# --- running a case --------------------------------------------------------

# runp CMD...: runs CMD with stdin from $STDIN (default /dev/null) under a
# 60 s watchdog (SIGKILL: exit 137). Sets RC, MS (wall time), OUT, ERR.
runp() {
    local s e
    s=$(date +%s%N)
    # (in a subshell, so that bash's own "Segmentation fault" job notice for
    # a crashing pyedge goes to /dev/null, not into this suite's output)
    (timeout --signal=KILL 60 "$@" >"$WORK/out" 2>"$WORK/err" <"${STDIN:-/dev/null}"; exit $?) 2>/dev/null
    RC=$?
    e=$(date +%s%N)
    MS=$(((e - s) / 1000000))
    OUT=$(cat "$WORK/out")
    ERR=$(cat "$WORK/err")
}

pe_run() { runp "$PYEDGE" run "$@"; }
pe_py() { runp "$PYEDGE" python "$@"; }
m() { echo "$MODDIR/$1.wasm"; } # a guest module's path

WHY=()
why() { WHY+=("$*"); }

# Checks every case gets, then PASS/FAIL.
finish() {
    local name=$1 all="$OUT
$ERR"
    [ "$name" == "$SELECT_CASE" ] || why "the case has no 'begin $name' (see tests/lib/select.sh)"
    if [[ $all == *"$SECRET"* ]]; then why "THE SECRET LEAKED into the guest's output"; fi
    if [[ $all == *"root:x:0:"* ]]; then why "the host's /etc/passwd leaked"; fi
    if [[ $all == *"$PYEDGE_SANDBOX_CANARY"* ]]; then why "the host environment leaked"; fi
    # A dead host says it all: its reasons replace the case's own.
    local crash=()
    if [ "$RC" -ge 128 ] && [ "$RC" -ne 134 ]; then
        if [ "$RC" -eq 137 ]; then crash+=("hung (killed by the 60 s watchdog)")
        else crash+=("HOST CRASH: pyedge died of signal $((RC - 128)) (exit $RC)"); fi
    fi
    if [[ $ERR == *"pyedge: fatal"* ]]; then crash+=("$(grep -m1 'pyedge: fatal' <<<"$ERR")"); fi
    if [ ${#crash[@]} -gt 0 ]; then
        local leaks=("${WHY[@]}")
        WHY=("${crash[@]}")
        local w
        for w in "${leaks[@]}"; do
            case $w in *LEAK* | *leaked* | *"was changed"* | *created* | *probes:* | *"runs:"*) WHY+=("$w") ;; esac
        done
    fi
    if [ ${#WHY[@]} -eq 0 ]; then
        pass "$name"
    else
        local IFS=';'
        fail "$name" "${WHY[*]}"
    fi
    WHY=()
}

expect_rc() {
    [ "$RC" -eq "$1" ] || why "exit $RC, expected $1 (stderr: $(head -c 200 <<<"$ERR" | tr '\n' ' '))"
}

# expect_out EXPECTED: stdout exactly (trailing newlines aside).
expect_out() {
    [ "$OUT" == "$1" ] && return
    local d
    d=$(diff <(printf '%s\n' "$1") <(printf '%s\n' "$OUT") | grep -E '^[<>]' | head -n 4 | tr '\n' ' ')
    why "stdout differs from the expected (< expected, > got): $d"
}

expect_err() { [ "$ERR" == "$1" ] || why "stderr is '$(head -c 200 <<<"$ERR" | tr '\n' ' ')', expected '$1'"; }
expect_err_has() { [[ $ERR == *"$1"* ]] || why "stderr lacks '$1' (got '$(head -c 200 <<<"$ERR" | tr '\n' ' ')')"; }
expect_out_has() { [[ $OUT == *"$1"* ]] || why "stdout lacks '$1' (got '$(head -c 300 <<<"$OUT" | tr '\n' ' ')')"; }
expect_ms_le() { [ "$MS" -le "$1" ] || why "took $MS ms, expected at most $1"; }

# A host tree's shape and contents, to compare before/after.
tree_sig() {
    (cd "$1" && find . -printf '%p %y %s %n %m %T@ %l\n' | LC_ALL=C sort &&
        find . -type f -exec md5sum {} + | LC_ALL=C sort)
}

# make_tree DIR: the tree of the file-system cases.
#   DIR/outside/secret      the secret (never to be read), outside/dir/
#   DIR/sb                  the writable preopen, with file.txt, sub/inner.txt
#                           and symlinks planted by the host: h_* (see below)
#   DIR/ro                  a read-only preopen: file.txt, sub/inner.txt,
#                           empty/, link -> file.txt
#   DIR/rw                  an empty writable preopen
make_tree() {
    local t=$1
    mkdir -p "$t/outside/dir" "$t/sb/sub" "$t/ro/sub" "$t/ro/empty" "$t/rw"
    printf '%s\n' "$SECRET" >"$t/outside/secret"
    echo inside-ok >"$t/sb/file.txt"
    echo inner-ok >"$t/sb/sub/inner.txt"
    ln -s "$t/outside/secret" "$t/sb/h_abs_secret"
    ln -s "$t/outside" "$t/sb/h_abs_dir"
    ln -s ../outside/secret "$t/sb/h_rel_secret"
    ln -s ../outside "$t/sb/h_rel_dir"
    ln -s /etc "$t/sb/h_etc"
    ln -s / "$t/sb/h_root"
    ln -s /proc/self "$t/sb/h_proc"
    ln -s h_chain2 "$t/sb/h_chain1"
    ln -s sub/h_chain3 "$t/sb/h_chain2"
    ln -s ../../outside/secret "$t/sb/sub/h_chain3"
    ln -s h_loop "$t/sb/h_loop"
    ln -s sub/inner.txt "$t/sb/h_inside"
    ln -s file.txt "$t/sb/link"
    echo ro-content >"$t/ro/file.txt"
    echo ro-inner >"$t/ro/sub/inner.txt"
    ln -s file.txt "$t/ro/link"
}

new_tree() { # sets T to a fresh tree, and SIG_OUT / SIG_RO to its signatures
    T=$(mktemp -d "$WORK/t.XXXXXX")
    make_tree "$T"
    SIG_OUT=$(tree_sig "$T/outside")
    SIG_RO=$(tree_sig "$T/ro")
}

# The outside tree is as it was and nothing new appeared next to it.
check_outside() {
    [ "$(tree_sig "$T/outside")" == "$SIG_OUT" ] || why "the outside directory was changed"
    local top
    top=$(cd "$T" && ls -A | tr '\n' ' ')
    [ "$top" == "outside ro rw sb " ] || why "new entries next to the preopens: $top"
    [ -z "$(find "$T" -name stolen -o -name created -o -name evil -o -name newdir -o -name planted -o -name made -o -name got)" ] ||
        why "an escape created: $(find "$T" -name stolen -o -name created -o -name evil -o -name newdir -o -name planted -o -name made -o -name got | tr '\n' ' ')"
    [ "$(stat -c %h "$T/outside/secret")" -eq 1 ] || why "the secret gained a hard link"
}
check_ro() { [ "$(tree_sig "$T/ro")" == "$SIG_RO" ] || why "the read-only directory was changed"; }

# =========================================================================
# 1. File-system escapes
# =========================================================================

if begin fs_escape_raw_wasi; then
new_tree
# fds 9 and 10 of the pyedge process itself are open on the secret and
# /etc/passwd: the guest must not reach them by number.
pe_run --dir "$T/sb::/sb" "$(m escape)" 9<"$T/outside/secret" 10</etc/passwd
expect_rc 0
expect_out "$(cat <<'EOF'
preopen 3: SUCCESS /sb
inside file.txt: OPENED read="inside-ok|"
inside sub/inner.txt: OPENED read="inner-ok|"
inside sub/../file.txt: OPENED read="inside-ok|"
..: ENOTCAPABLE
../: ENOTCAPABLE
../outside/secret: ENOTCAPABLE
sub/../../outside/secret: ENOTCAPABLE
sub/../..: ENOTCAPABLE
./sub/./../../outside/secret: ENOTCAPABLE
sub/../sub/../../outside/secret: ENOTCAPABLE
/etc/passwd: ENOTCAPABLE
//etc/passwd: ENOTCAPABLE
/sb/file.txt: ENOTCAPABLE
/proc/self/environ: ENOTCAPABLE
/proc/self/fd/0: ENOTCAPABLE
../ x1400 + etc/passwd: ENAMETOOLONG
path with embedded NUL: EINVAL
h_abs_secret (-> /abs/outside/secret): ENOTCAPABLE
h_abs_dir/secret (-> /abs/outside): ENOTCAPABLE
h_rel_secret (-> ../outside/secret): ENOTCAPABLE
h_rel_dir/secret (-> ../outside): ENOTCAPABLE
h_etc/passwd (-> /etc): ENOTCAPABLE
h_root/etc/passwd (-> /): ENOTCAPABLE
h_proc/environ (-> /proc/self): ENOTCAPABLE
h_chain1 (-> h_chain2 -> sub/h_chain3 -> ../../outside/secret): ENOTCAPABLE
h_loop (-> h_loop): ELOOP
h_inside (-> sub/inner.txt): OPENED read="inner-ok|"
h_abs_secret nofollow: ELOOP
symlink /etc -> g_abs: ENOTCAPABLE
g_abs/passwd: ENOENT
symlink ../.. -> g_up: SUCCESS
g_up/etc/passwd: ENOTCAPABLE
symlink ../outside/secret -> g_rel: SUCCESS
g_rel: ENOTCAPABLE
symlink g_rel -> sub/g_c2: SUCCESS
symlink sub/g_c2 -> g_c1: SUCCESS
g_c1 (-> sub/g_c2 -> ../g_rel -> ../outside/secret): ENOTCAPABLE
symlink .. -> sub/g_dotdot: SUCCESS
sub/g_dotdot/file.txt (stays inside): OPENED read="inside-ok|"
sub/g_dotdot/../outside/secret: ENOTCAPABLE
symlink x at ../evil: ENOTCAPABLE
symlink x at h_abs_dir/evil: ENOTCAPABLE
link ../outside/secret -> hl1: ENOTCAPABLE
link h_abs_dir/secret -> hl2: ENOTCAPABLE
link follow h_abs_secret -> hl3: EINVAL
link nofollow h_abs_secret -> hl4: SUCCESS
hl4: ENOTCAPABLE
link file.txt -> ../outside/planted: ENOTCAPABLE
rename file.txt -> ../stolen: ENOTCAPABLE
rename sub -> ../outside/sub: ENOTCAPABLE
rename sub -> h_abs_dir/sub: ENOTCAPABLE
rename ../outside/secret -> got: ENOTCAPABLE
rename h_abs_dir/secret -> got: ENOTCAPABLE
rename . -> moved: EBUSY
rename .. -> moved: ENOTCAPABLE
create ../created: ENOTCAPABLE
create h_abs_dir/created: ENOTCAPABLE
trunc h_abs_secret: ENOTCAPABLE
create h_rel_secret: ENOTCAPABLE
mkdir ../newdir: ENOTCAPABLE
mkdir h_abs_dir/newdir: ENOTCAPABLE
unlink ../outside/secret: ENOTCAPABLE
unlink h_abs_dir/secret: ENOTCAPABLE
rmdir ../outside/dir: ENOTCAPABLE
rmdir h_abs_dir/dir: ENOTCAPABLE
rmdir ..: ENOTCAPABLE
set_times follow h_abs_secret: ENOTCAPABLE
set_times ../outside/secret: ENOTCAPABLE
stat ../outside/secret: ENOTCAPABLE
stat follow h_abs_secret: ENOTCAPABLE
stat follow h_rel_dir/secret: ENOTCAPABLE
readlink ../outside: ENOTCAPABLE
open dir sub: SUCCESS
sub-fd: inner.txt: OPENED read="inner-ok|"
sub-fd: ..: ENOTCAPABLE
sub-fd: ../file.txt: ENOTCAPABLE
sub-fd: ../../outside/secret: ENOTCAPABLE
fds 4..1100 all EBADF: yes
fdstat fd 0xffffffff: EBADF
fdstat fd 0x80000000: EBADF
renumber 3 -> 10: EBADF
readdir: SUCCESS
EOF
)"
check_outside
[ -L "$T/sb/hl4" ] || why "hl4 (a hard link to the symlink itself) is not a symlink"
finish fs_escape_raw_wasi
fi

if begin fs_escape_libc; then
new_tree
pe_run --dir "$T/sb::/sb" "$(m escape_libc)" 9<"$T/outside/secret" 10</etc/passwd
expect_rc 0
expect_out "$(cat <<'EOF'
fopen /sb/file.txt: OPENED read="inside-ok|"
fopen /etc/passwd: ENOENT
fopen /sb/../outside/secret: ENOTCAPABLE
fopen /sb/sub/../../outside/secret: ENOTCAPABLE
fopen /sb/h_abs_secret: ENOTCAPABLE
fopen /sb/h_rel_secret: ENOTCAPABLE
fopen /sb/h_abs_dir/secret: ENOTCAPABLE
fopen /sb/h_etc/passwd: ENOTCAPABLE
fopen /sb/h_chain1: ENOTCAPABLE
fopen /proc/self/environ: ENOENT
fopen /proc/self/mem: ENOENT
fopen /dev/stdin: ENOENT
fopen ../outside/secret: ENOENT
stat /sb/h_abs_secret: ENOTCAPABLE
stat /sb/..: ENOTCAPABLE
stat /: ENOENT
opendir /: ENOENT
opendir /sb/..: ENOTCAPABLE
opendir /sb/h_abs_dir: ENOTCAPABLE
opendir /sb/h_root: ENOTCAPABLE
symlink /etc -> /sb/l_abs: ENOTCAPABLE
symlink ../.. -> /sb/l_up: SUCCESS
fopen /sb/l_up/etc/passwd: ENOTCAPABLE
link /sb/h_abs_secret -> /sb/l_hard: SUCCESS
fopen /sb/l_hard: ENOTCAPABLE
link /sb/../outside/secret -> /sb/l_hard2: ENOTCAPABLE
rename /sb/file.txt -> /sb/../stolen: ENOTCAPABLE
rename /sb/h_abs_dir/secret -> /sb/got: ENOTCAPABLE
unlink /sb/h_abs_dir/secret: ENOTCAPABLE
mkdir /sb/../made: ENOTCAPABLE
truncate /sb/h_abs_secret: ENOTCAPABLE
open O_CREAT /sb/h_rel_dir/new: ENOTCAPABLE
chdir /sb/sub: SUCCESS
fopen ../../outside/secret: ENOTCAPABLE
fopen ../file.txt: OPENED read="inside-ok|"
chdir ..: SUCCESS
chdir ..: ENOTCAPABLE
fopen outside/secret: ENOENT
chdir /sb/h_abs_dir: ENOTCAPABLE
fopen secret: ENOENT
openat(3) ../outside/secret: ENOTCAPABLE
openat(10) secret: EBADF
read(10) : EBADF
EOF
)"
check_outside
finish fs_escape_libc
fi

if begin fs_escape_python; then
new_tree
pe_py --dir "$T/sb::/sb" --ro-dir "$PYDIR::/t" -- /t/escape.py 9<"$T/outside/secret" 10</etc/passwd
expect_rc 0
expect_out "$(cat <<'EOF'
open /sb/file.txt: OPENED read='inside-ok|'
open /etc/passwd: FileNotFoundError ENOENT
open /sb/../outside/secret: PermissionError ENOTCAPABLE
open /sb/sub/../../outside/secret: PermissionError ENOTCAPABLE
open /sb/h_abs_secret: PermissionError ENOTCAPABLE
open /sb/h_rel_secret: PermissionError ENOTCAPABLE
open /sb/h_abs_dir/secret: PermissionError ENOTCAPABLE
open /sb/h_rel_dir/secret: PermissionError ENOTCAPABLE
open /sb/h_etc/passwd: PermissionError ENOTCAPABLE
open /sb/h_root/etc/passwd: PermissionError ENOTCAPABLE
open /sb/h_proc/environ: PermissionError ENOTCAPABLE
open /sb/h_chain1: PermissionError ENOTCAPABLE
open /proc/self/environ: FileNotFoundError ENOENT
open /proc/self/mem: FileNotFoundError ENOENT
open /dev/mem: FileNotFoundError ENOENT
open /usr/local/lib/../../../etc/passwd: PermissionError ENOTCAPABLE
open ../outside/secret: FileNotFoundError ENOENT
open //etc/passwd: FileNotFoundError ENOENT
os.open ../outside/secret dir_fd=4: PermissionError ENOTCAPABLE
os.open .. dir_fd=4: PermissionError ENOTCAPABLE
listdir /: FileNotFoundError ENOENT
listdir /sb/..: PermissionError ENOTCAPABLE
listdir /sb/h_abs_dir: PermissionError ENOTCAPABLE
listdir /sb/h_root: PermissionError ENOTCAPABLE
listdir /usr/local/lib/..: PermissionError ENOTCAPABLE
stat /sb/..: PermissionError ENOTCAPABLE
stat /sb/h_abs_secret: PermissionError ENOTCAPABLE
stat /etc/passwd: FileNotFoundError ENOENT
symlink /etc -> /sb/p_abs: PermissionError ENOTCAPABLE
symlink ../.. -> /sb/p_up: SUCCESS
open /sb/p_up/etc/passwd: PermissionError ENOTCAPABLE
listdir /sb/p_up: PermissionError ENOTCAPABLE
link /sb/h_abs_secret -> /sb/p_hard: SUCCESS
open /sb/p_hard: PermissionError ENOTCAPABLE
link /sb/h_abs_secret -> /sb/p_hard2 follow: SUCCESS
open /sb/p_hard2: PermissionError ENOTCAPABLE
link /sb/../outside/secret -> /sb/p_hard3: PermissionError ENOTCAPABLE
rename /sb/file.txt -> /sb/../stolen: PermissionError ENOTCAPABLE
rename /sb/h_abs_dir/secret -> /sb/got: PermissionError ENOTCAPABLE
replace /sb/sub -> /sb/h_abs_dir/sub: PermissionError ENOTCAPABLE
remove /sb/h_abs_dir/secret: PermissionError ENOTCAPABLE
mkdir /sb/../made: PermissionError ENOTCAPABLE
open w /sb/h_rel_dir/new: PermissionError ENOTCAPABLE
open w /sb/h_abs_secret: PermissionError ENOTCAPABLE
truncate /sb/h_abs_secret: PermissionError ENOTCAPABLE
utime /sb/h_abs_secret: PermissionError ENOTCAPABLE
chdir /sb/sub: SUCCESS
open ../../outside/secret: PermissionError ENOTCAPABLE
open ../file.txt: OPENED read='inside-ok|'
chdir /sb/h_abs_dir: PermissionError ENOTCAPABLE
write into the stdlib: PermissionError ENOTCAPABLE
fds 6..1099 all EBADF: yes
os.read(10): OSError EBADF
os.fdopen(9).read(): OSError EBADF
EOF
)"
check_outside
finish fs_escape_python
fi

# The host moves directories that the guest holds open out of the preopen.
if begin fs_dirs_moved_out_while_open; then
new_tree
(timeout --signal=KILL 60 "$PYEDGE" run --dir "$T/sb::/sb" "$(m moved)" \
    >"$WORK/out" 2>"$WORK/err" </dev/null; exit $?) 2>/dev/null &
pid=$!
for _ in $(seq 200); do [ -e "$T/sb/ready" ] && break; sleep 0.05; done
mv "$T/sb/sub" "$T/outside/moved" && mv "$T/sb" "$T/outside/sb" && touch "$T/outside/sb/go"
wait "$pid"
RC=$? OUT=$(cat "$WORK/out") ERR=$(cat "$WORK/err")
expect_rc 0
expect_out "$(cat <<'EOF'
open sub: SUCCESS
create ready: SUCCESS
go seen
sub-fd: inner.txt (still works): OPENED read="inner-ok"
sub-fd: ../secret: ENOTCAPABLE
sub-fd: ..: ENOTCAPABLE
sub-fd: ./../secret: ENOTCAPABLE
preopen: ../secret: ENOTCAPABLE
preopen: ../moved/inner.txt: ENOTCAPABLE
preopen: ..: ENOTCAPABLE
sub-fd: symlink ../secret -> esc: SUCCESS
sub-fd: esc: ENOTCAPABLE
sub-fd: rename inner.txt -> ../stolen: ENOTCAPABLE
sub-fd: link ../secret -> hl: ENOTCAPABLE
sub-fd: unlink ../secret: ENOTCAPABLE
EOF
)"
[ "$(cat "$T/outside/secret")" == "$SECRET" ] || why "the secret was changed"
[ -z "$(find "$T" -name stolen -o -name hl)" ] || why "an escape created a file"
finish fs_dirs_moved_out_while_open
fi

# TOCTOU: the host keeps swapping the directory sb/swap for symlinks that lead
# out (absolute, then relative) while the guest opens swap/target.
swap_loop() { # DIR: runs until killed
    cd "$1/sb" || exit 1
    while :; do
        mv swap swap.real
        ln -s "$1/outside" swap
        rm swap
        ln -s ../outside swap
        rm swap
        mv swap.real swap
    done 2>/dev/null
}
toctou_tree() {
    T=$(mktemp -d "$WORK/t.XXXXXX")
    mkdir -p "$T/sb/swap" "$T/outside"
    echo inside >"$T/sb/swap/target"
    printf '%s\n' "$SECRET" >"$T/outside/target"
    swap_loop "$T" &
    SWAP_PID=$!
    BG_PIDS+=("$SWAP_PID")
}
if begin fs_toctou_swap_dir_for_symlink_c; then
toctou_tree
pe_run --dir "$T/sb::/sb" "$(m toctou)" 1.2
kill "$SWAP_PID"; wait "$SWAP_PID" 2>/dev/null
expect_rc 0
expect_out_has "leaked 0"
expect_out_has "RACE HELD"
finish fs_toctou_swap_dir_for_symlink_c
fi

if begin fs_toctou_swap_dir_for_symlink_python; then
toctou_tree
pe_py --dir "$T/sb::/sb" --ro-dir "$PYDIR::/t" -- /t/toctou.py 1.2
kill "$SWAP_PID"; wait "$SWAP_PID" 2>/dev/null
expect_rc 0
expect_out_has "leaked 0"
expect_out_has "RACE HELD"
finish fs_toctou_swap_dir_for_symlink_python
fi

# The descriptor table: renumbering, path calls on non-directories, filling it.
if begin fs_descriptor_table; then
new_tree
pe_run --dir "$T/sb::/sb" --dir "$T/sb::/sb2" "$(m fdtable)"
expect_rc 0
expect_out "$(cat <<'EOF'
open file.txt: SUCCESS
renumber f -> f: SUCCESS
fdstat f after self-renumber: SUCCESS
renumber 3 -> 3: SUCCESS
open beneath 3 after self-renumber: SUCCESS
path_open beneath a file fd: ENOTDIR
path_open .. beneath a file fd: ENOTDIR
path_filestat_get beneath stdout: ENOTDIR
renumber file -> 3: SUCCESS
fd_prestat_get 3 now: EBADF
path_open beneath 3 now: ENOTDIR
read 3 now: SUCCESS
read 3 now got: "inside-ok"
close 3: SUCCESS
close 3 again: EBADF
path_open beneath closed 3: EBADF
poll_oneoff 4096 clocks: SUCCESS
poll_oneoff 4096 clocks: 4096 events
poll_oneoff 4097 clocks: EINVAL
poll_oneoff events over subs: SUCCESS
opened 900+ before EMFILE; highest fd < 1024
open after closing them all: SUCCESS
it is fd 5
EOF
)"
check_outside
finish fs_descriptor_table
fi

# =========================================================================
# 2. Read-only preopens
# =========================================================================

if begin ro_dir_c; then
new_tree
pe_run --ro-dir "$T/ro::/ro" --dir "$T/rw::/rw" "$(m ro)"
expect_rc 0
expect_out "$(cat <<'EOF'
ro preopen mutating rights: SUCCESS base=none inheriting=none
open file.txt for reading: SUCCESS
read file.txt: "ro-content|"
open link (-> file.txt): SUCCESS
read link: "ro-content|"
stat sub/inner.txt: SUCCESS
readdir: SUCCESS
readlink link: SUCCESS
fd_write on it: ENOTCAPABLE
fd_pwrite on it: ENOTCAPABLE
fd_filestat_set_size 0: ENOTCAPABLE
fd_allocate 0 4096: ENOTCAPABLE
fd_filestat_set_times: ENOTCAPABLE
fd_filestat_set_times now: ENOTCAPABLE
fd_fdstat_set_rights +write: ENOTCAPABLE
fd_fdstat_set_flags append: ENOTCAPABLE
fd_write after those: ENOTCAPABLE
open file.txt asking for write: SUCCESS
  granted write: no
  fd_write: ENOTCAPABLE
open file.txt O_TRUNC: ENOTCAPABLE
open new.txt O_CREAT: ENOTCAPABLE
open file.txt O_CREAT (exists): ENOTCAPABLE
mkdir newdir: ENOTCAPABLE
mkdir sub/newdir: ENOTCAPABLE
unlink file.txt: ENOTCAPABLE
unlink link: ENOTCAPABLE
rmdir empty: ENOTCAPABLE
rename file.txt -> renamed: ENOTCAPABLE
rename sub/inner.txt -> inner: ENOTCAPABLE
rename /ro file.txt -> /rw stolen: ENOTCAPABLE
rename /rw x -> /ro x: ENOTCAPABLE
symlink file.txt -> sl: ENOTCAPABLE
link file.txt -> hl: ENOTCAPABLE
link /ro file.txt -> /rw hl: ENOTCAPABLE
link /rw x -> /ro x: ENOTCAPABLE
set_times file.txt: ENOTCAPABLE
set_times link nofollow: ENOTCAPABLE
set_times . now: ENOTCAPABLE
open dir sub asking for all rights: SUCCESS
  sub inheriting write: no
  create sub/made: ENOTCAPABLE
  unlink sub/inner.txt: ENOTCAPABLE
  fd_fdstat_set_rights +create: ENOTCAPABLE
libc fopen r: SUCCESS "ro-content"
libc fopen w: ENOTCAPABLE
libc fopen a: ENOTCAPABLE
libc open O_RDWR: SUCCESS write=EBADF
libc open new O_CREAT: ENOTCAPABLE
libc mkdir: ENOTCAPABLE
libc unlink: ENOTCAPABLE
libc rmdir: ENOTCAPABLE
libc rename: ENOTCAPABLE
libc rename to /rw: ENOTCAPABLE
libc truncate: ENOTCAPABLE
libc symlink: ENOTCAPABLE
libc link: ENOTCAPABLE
libc utimes: ENOTCAPABLE
libc chmod: ENOSYS
EOF
)"
check_ro
[ -z "$(ls -A "$T/rw")" ] || why "something reached the rw directory: $(ls -A "$T/rw" | tr '\n' ' ')"
finish ro_dir_c
fi

if begin ro_dir_python; then
new_tree
pe_py --ro-dir "$T/ro::/ro" --dir "$T/rw::/rw" --ro-dir "$PYDIR::/t" -- /t/ro.py
expect_rc 0
# (os.chmod "succeeds": CPython's WASI build makes it a no-op; the host file's
# mode is checked unchanged below.)
expect_out "$(cat <<'EOF'
read file.txt: SUCCESS 'ro-content'
read link: SUCCESS 'ro-content'
listdir: SUCCESS ['empty', 'file.txt', 'link', 'sub']
stat sub/inner.txt size: SUCCESS 9
readlink link: SUCCESS 'file.txt'
open w: PermissionError ENOTCAPABLE
open a: PermissionError ENOTCAPABLE
open r+ and write: OSError EBADF
open x new: PermissionError ENOTCAPABLE
os.open O_RDWR|O_CREAT new: PermissionError ENOTCAPABLE
os.open O_WRONLY|O_TRUNC: PermissionError ENOTCAPABLE
mkdir: PermissionError ENOTCAPABLE
makedirs sub/a/b: PermissionError ENOTCAPABLE
unlink file.txt: PermissionError ENOTCAPABLE
unlink link: PermissionError ENOTCAPABLE
rmdir empty: PermissionError ENOTCAPABLE
rmtree sub: PermissionError ENOTCAPABLE
rename: PermissionError ENOTCAPABLE
rename to /rw: PermissionError ENOTCAPABLE
rename /rw -> /ro: PermissionError ENOTCAPABLE
truncate: PermissionError ENOTCAPABLE
utime: PermissionError ENOTCAPABLE
utime now: PermissionError ENOTCAPABLE
symlink: PermissionError ENOTCAPABLE
link in place: PermissionError ENOTCAPABLE
link into /rw: PermissionError ENOTCAPABLE
chmod: SUCCESS
copy into /rw then read: SUCCESS 'ro-content'
read file.txt again: SUCCESS 'ro-content'
EOF
)"
check_ro
[ "$(cd "$T/rw" && ls -A | tr '\n' ' ')" == "copy x " ] || why "unexpected files in rw: $(ls -A "$T/rw" | tr '\n' ' ')"
[ "$(stat -c %h "$T/ro/file.txt")" -eq 1 ] || why "ro/file.txt gained a hard link"
finish ro_dir_python
fi

# =========================================================================
# 3. Wild pointers to every WASI function
# =========================================================================

if begin wild_pointers_every_wasi_call; then
new_tree
pe_run --dir "$T/sb::/sb" --env A=B "$(m wildptr)"
expect_rc 0
expect_out "$(cat <<'EOF'
setup open wild.txt: SUCCESS
args_sizes_get argc=ok size=WILD: EFAULT
args_sizes_get argc=END-2 size=ok: EFAULT
args_get argv=WILD buf=ok: EFAULT
args_get argv=ok buf=END-1: EFAULT
environ_sizes_get count=ok size=END: EFAULT
environ_get env=END-2 buf=ok: EFAULT
environ_get env=ok buf=WILD: EFAULT
clock_res_get out=END-4: EFAULT
clock_res_get out=0xFFFFFFFF: EFAULT
clock_res_get clock=0xFFFFFFFF: EINVAL
clock_time_get out=END-7: EFAULT
clock_time_get out=WILD: EFAULT
fd_advise offset+len wrap: EINVAL
fd_advise advice=99: EINVAL
fd_allocate offset=2^63 len=2^63: EFBIG
fd_allocate offset=~0 len=1: EFBIG
fd_close fd=0xFFFFFFFF: EBADF
fd_datasync fd=65536: EBADF
fd_fdstat_set_flags flags=0xFFFF: EINVAL
fd_fdstat_set_rights rights=~0: ENOTCAPABLE
fd_filestat_set_size size=2^63: EFBIG
fd_filestat_set_size size=~0: EFBIG
fd_filestat_set_times flags=0xFFFF: EINVAL
fd_filestat_set_times ATIM|ATIM_NOW: EINVAL
fd_renumber to=0xFFFFFFFF: EBADF
fd_renumber from=0xFFFFFFFF: EBADF
fd_sync fd=0xFFFFFFFF: EBADF
fd_seek whence=99: EINVAL
fd_seek SET -1: EINVAL
fd_seek CUR 2^63-1 from 1: EINVAL
fd_fdstat_get out=END-8: EFAULT
fd_fdstat_get out=WILD: EFAULT
fd_filestat_get out=END-32: EFAULT
fd_filestat_get out=0xFFFFFFC0: EFAULT
fd_prestat_get out=END-4: EFAULT
fd_prestat_get out=0xFFFFFFFF: EFAULT
fd_prestat_dir_name buf=END-1 len=3: EFAULT
fd_prestat_dir_name buf=WILD len=32: EFAULT
fd_prestat_dir_name buf=ok len=0xFFFFFFFF: EFAULT
fd_seek out=END-4: EFAULT
fd_seek out=WILD: EFAULT
fd_tell out=END-7: EFAULT
fd_tell out=WILD: EFAULT
fd_readdir buf=END-10 len=100: EFAULT
fd_readdir buf=WILD len=64: EFAULT
fd_readdir buf=ok len=0xFFFFFFFF: EFAULT
fd_readdir bufused=END-2: EFAULT
fd_readdir cookie=~0: EINVAL
fd_read iovs=WILD: EFAULT
fd_read iovs=END-4: EFAULT
fd_read iovs_len=0xFFFFFFFF: EINVAL
fd_read iovs_len=0x20000000: EINVAL
fd_read entry {WILD,32}: EFAULT
fd_read entry {END-1,2}: EFAULT
fd_read entry {16,0xFFFFFFFF}: EFAULT
fd_read entry {0xFFFFFFFF,0}: EFAULT
fd_read 2nd entry {END-8,16}: EFAULT
fd_read entries summing past 4G: EFAULT
fd_read nread/nwritten=END-3: EFAULT
fd_read nread/nwritten=WILD: EFAULT
fd_read entry {END,0} (empty, at the end: valid): SUCCESS
fd_write iovs=WILD: EFAULT
fd_write iovs=END-4: EFAULT
fd_write iovs_len=0xFFFFFFFF: EINVAL
fd_write iovs_len=0x20000000: EINVAL
fd_write entry {WILD,32}: EFAULT
fd_write entry {END-1,2}: EFAULT
fd_write entry {16,0xFFFFFFFF}: EFAULT
fd_write entry {0xFFFFFFFF,0}: EFAULT
fd_write 2nd entry {END-8,16}: EFAULT
fd_write entries summing past 4G: EFAULT
fd_write nread/nwritten=END-3: EFAULT
fd_write nread/nwritten=WILD: EFAULT
fd_write entry {END,0} (empty, at the end: valid): SUCCESS
fd_pread iovs=WILD: EFAULT
fd_pread iovs=END-4: EFAULT
fd_pread iovs_len=0xFFFFFFFF: EINVAL
fd_pread iovs_len=0x20000000: EINVAL
fd_pread entry {WILD,32}: EFAULT
fd_pread entry {END-1,2}: EFAULT
fd_pread entry {16,0xFFFFFFFF}: EFAULT
fd_pread entry {0xFFFFFFFF,0}: EFAULT
fd_pread 2nd entry {END-8,16}: EFAULT
fd_pread entries summing past 4G: EFAULT
fd_pread nread/nwritten=END-3: EFAULT
fd_pread nread/nwritten=WILD: EFAULT
fd_pread entry {END,0} (empty, at the end: valid): SUCCESS
fd_pwrite iovs=WILD: EFAULT
fd_pwrite iovs=END-4: EFAULT
fd_pwrite iovs_len=0xFFFFFFFF: EINVAL
fd_pwrite iovs_len=0x20000000: EINVAL
fd_pwrite entry {WILD,32}: EFAULT
fd_pwrite entry {END-1,2}: EFAULT
fd_pwrite entry {16,0xFFFFFFFF}: EFAULT
fd_pwrite entry {0xFFFFFFFF,0}: EFAULT
fd_pwrite 2nd entry {END-8,16}: EFAULT
fd_pwrite entries summing past 4G: EFAULT
fd_pwrite nread/nwritten=END-3: EFAULT
fd_pwrite nread/nwritten=WILD: EFAULT
fd_pwrite entry {END,0} (empty, at the end: valid): SUCCESS
fd_write(stdout) iovs=WILD: EFAULT
fd_write(stdout) iovs=END-4: EFAULT
fd_write(stdout) iovs_len=0xFFFFFFFF: EINVAL
fd_write(stdout) iovs_len=0x20000000: EINVAL
fd_write(stdout) entry {WILD,32}: EFAULT
fd_write(stdout) entry {END-1,2}: EFAULT
fd_write(stdout) entry {16,0xFFFFFFFF}: EFAULT
fd_write(stdout) entry {0xFFFFFFFF,0}: EFAULT
fd_write(stdout) 2nd entry {END-8,16}: EFAULT
fd_write(stdout) entries summing past 4G: EFAULT
fd_write(stdout) nread/nwritten=END-3: EFAULT
fd_write(stdout) nread/nwritten=WILD: EFAULT
fd_write(stdout) entry {END,0} (empty, at the end: valid): SUCCESS
fd_read(stdin) iovs=WILD: EFAULT
fd_read(stdin) iovs=END-4: EFAULT
fd_read(stdin) iovs_len=0xFFFFFFFF: EINVAL
fd_read(stdin) iovs_len=0x20000000: EINVAL
fd_read(stdin) entry {WILD,32}: EFAULT
fd_read(stdin) entry {END-1,2}: EFAULT
fd_read(stdin) entry {16,0xFFFFFFFF}: EFAULT
fd_read(stdin) entry {0xFFFFFFFF,0}: EFAULT
fd_read(stdin) 2nd entry {END-8,16}: EFAULT
fd_read(stdin) entries summing past 4G: EFAULT
fd_read(stdin) nread/nwritten=END-3: EFAULT
fd_read(stdin) nread/nwritten=WILD: EFAULT
fd_read(stdin) entry {END,0} (empty, at the end: valid): SUCCESS
fd_pread offset=~0: EINVAL
fd_pwrite offset=~0: EINVAL
path_create_directory path=WILD: EFAULT
path_create_directory path=END-2,len 8: EFAULT
path_create_directory path len=0xFFFFFFFF: EFAULT
path_create_directory path=0xFFFFFFFF,len 1: EFAULT
path_remove_directory path=WILD: EFAULT
path_remove_directory path=END-2,len 8: EFAULT
path_remove_directory path len=0xFFFFFFFF: EFAULT
path_remove_directory path=0xFFFFFFFF,len 1: EFAULT
path_unlink_file path=WILD: EFAULT
path_unlink_file path=END-2,len 8: EFAULT
path_unlink_file path len=0xFFFFFFFF: EFAULT
path_unlink_file path=0xFFFFFFFF,len 1: EFAULT
path_filestat_get path=WILD: EFAULT
path_filestat_get path=END-4 len 8: EFAULT
path_filestat_get out=END-32: EFAULT
path_filestat_get out=WILD: EFAULT
path_filestat_set_times path=WILD: EFAULT
path_filestat_set_times path len=0xFFFFFFFF: EFAULT
path_link old=WILD: EFAULT
path_link new=END-1 len 4: EFAULT
path_link new len=0xFFFFFFFF: EFAULT
path_open path=WILD: EFAULT
path_open path=END-3 len 8: EFAULT
path_open path len=0x7FFFFFFF: EFAULT
path_open fd out=END-2: EFAULT
path_open fd out=WILD: EFAULT
path_open O_CREAT fd out=WILD: EFAULT
path_open after the failures: SUCCESS, fd is the next free one
path_readlink path=WILD: EFAULT
path_readlink buf=END-2 len 64: EFAULT
path_readlink buf=WILD len 64: EFAULT
path_readlink buf len=0xFFFFFFFF: EFAULT
path_readlink bufused=END: EFAULT
path_rename old=WILD: EFAULT
path_rename new=WILD: EFAULT
path_rename new len=0xFFFFFFFF: EFAULT
path_symlink target=WILD: EFAULT
path_symlink target len=0xFFFFFFFF: EFAULT
path_symlink new=END-1 len 8: EFAULT
poll_oneoff in=WILD: EFAULT
poll_oneoff in=END-40: EFAULT
poll_oneoff out=END-16: EFAULT
poll_oneoff out=WILD: EFAULT
poll_oneoff nsubs=0xFFFFFFFF: EINVAL
poll_oneoff nsubs=0x05555556 (48*n wraps u32): EINVAL
poll_oneoff nevents=END-2: EFAULT
poll_oneoff nsubs=0: EINVAL
random_get buf=END-4 len 16: EFAULT
random_get buf=WILD len 32: EFAULT
random_get buf=ok len 0xFFFFFFFF: EFAULT
random_get buf=END len 0 (valid): SUCCESS
proc_raise sig=9: ENOSYS
proc_raise sig=0xFFFFFFFF: ENOSYS
sched_yield : SUCCESS
sock_accept fd=0 out=WILD: ENOTSOCK
sock_accept fd=3 out=END: ENOTSOCK
sock_recv fd=0 iovs=WILD: ENOTSOCK
sock_recv fd=0 outs=WILD: ENOTSOCK
sock_send fd=1 iovs=WILD: ENOTSOCK
sock_send fd=1 entry {WILD,32}: ENOTSOCK
sock_shutdown fd=1 how=99: ENOTSOCK
pyedge.version buf=WILD cap=32: 0
pyedge.version buf=END-2 cap=32: 0
pyedge.version buf=ok cap=0: full length
memory.grow 1 page: ok
fd_fdstat_get out=old END (now valid): SUCCESS
fd_fdstat_get out=new END-8: EFAULT
after all: fd_fdstat_get(1) SUCCESS
EOF
)"
# Of the four pyedge.log calls only the valid one prints.
expect_err "pyedge[guest] warning: valid line"
# Nothing was created, renamed or linked by the failed calls.
extra=$(cd "$T/sb" && ls -A | grep -vxE 'file.txt|sub|link|wild.txt|h_[a-z_0-9]+' | tr '\n' ' ')
[ -z "$extra" ] || why "failed calls left names behind: $extra"
[ "$(cat "$T/sb/file.txt")" == inside-ok ] || why "file.txt was changed"
[ "$(stat -c %s "$T/sb/wild.txt")" -eq 0 ] || why "the failed writes wrote to wild.txt"
check_outside
finish wild_pointers_every_wasi_call
fi

# =========================================================================
# 4. Memory exhaustion
# =========================================================================

if begin mem_c_malloc_until_null_32M; then
pe_run --max-memory 32M "$(m oom)"
expect_rc 42
expect_out "malloc NULL after 24..31 MiB; grew page by page to 512 pages; then grow(1) -1, grow(65535) -1; small malloc ok"
finish mem_c_malloc_until_null_32M
fi

if begin mem_initial_memory_over_limit; then
pe_run --max-memory 32M "$(m bigmem)"
expect_rc 134
expect_out ""
expect_err_has "needs 1024 pages of memory at start, limit is 512"
expect_err_has "pyedge: bigmem.wasm: instantiation failed: memory limit exceeded"
finish mem_initial_memory_over_limit
fi

if begin mem_initial_memory_without_limit; then
pe_run "$(m bigmem)"
expect_rc 0
expect_out "main ran: 1024 pages"
finish mem_initial_memory_without_limit
fi

if begin mem_python_initial_memory_over_limit; then
pe_py --max-memory 16M -c 'print("ran")'
expect_rc 134
expect_out ""
expect_err_has "pyedge: python: instantiation failed: memory limit exceeded"
finish mem_python_initial_memory_over_limit
fi

for c in bytearray grow list str; do
    begin "mem_python_${c}_memoryerror_64M" || continue
    pe_py --max-memory 64M --ro-dir "$PYDIR::/t" -- /t/memory.py "$c"
    expect_rc 0
    expect_out "$c: MemoryError
still alive: 499500"
    finish "mem_python_${c}_memoryerror_64M"
done

# The funcref table is host memory: table.grow must stop at the runtime's
# bound (2^24 elements = 16 steps of 2^20) and fail, not exhaust the host;
# under --max-memory it may take no more bytes than that limit (24 bytes an
# element: 1 MiB holds no step of 2^20, 64 MiB holds two).
if begin mem_table_grow_bounded; then
pe_run "$(m tablegrow)"
expect_rc 16
finish mem_table_grow_bounded
fi
if begin mem_table_grow_within_memory_limit_1M; then
pe_run --max-memory 1M "$(m tablegrow)"
expect_rc 0
finish mem_table_grow_within_memory_limit_1M
fi
if begin mem_table_grow_within_memory_limit_64M; then
pe_run --max-memory 64M "$(m tablegrow)"
expect_rc 2
finish mem_table_grow_within_memory_limit_64M
fi

# =========================================================================
# 5. Stack exhaustion
# =========================================================================

if begin stack_c_recursion; then
pe_run "$(m recurse)" native
expect_rc 134
expect_err "pyedge: recurse.wasm: trap: call stack exhausted"
finish stack_c_recursion
fi

# 4 KiB frames on the shadow stack (in linear memory): it runs below address
# 0 of the linear memory and the access traps.
if begin stack_c_recursion_big_frames; then
pe_run "$(m recurse)" frames
expect_rc 134
expect_err "pyedge: recurse.wasm: trap: out of bounds memory access"
finish stack_c_recursion_big_frames
fi

# Recursion that calls a host function at every level: the native stack runs
# out inside host code (the import), which must still be a guest trap.
# (4, random_get, uses so little host stack that where the overflow lands
# varies from run to run; it is left out to keep the outcome deterministic.)
for w in 0:clock_time_get 1:fd_fdstat_get 2:path_filestat_get 3:fd_write 5:pyedge_log; do
    begin "stack_c_recursion_through_${w#*:}" || continue
    new_tree
    pe_run --dir "$T/sb::/sb" "$(m recurse)" hostcall "${w%%:*}"
    expect_rc 134
    expect_err "pyedge: recurse.wasm: trap: call stack exhausted"
    finish "stack_c_recursion_through_${w#*:}"
done

# memory.grow is a call from generated code straight into the runtime (not a
# WASI import). Where the overflow lands varies with the stack's alignment
# from run to run, so five runs: all must trap.
if begin stack_c_recursion_through_memory_grow; then
rcs=""
for i in 1 2 3 4 5; do
    pe_run "$(m recurse)" hostcall 6
    rcs+=" $RC"
    [ "$RC" -eq 134 ] || break
done
expect_rc 134
expect_err "pyedge: recurse.wasm: trap: call stack exhausted"
[ "$RC" -eq 134 ] || why "exit codes of the runs:$rcs"
finish stack_c_recursion_through_memory_grow
fi

for c in pyrecursion eval compile json json_dumps repr pickle compare reprloop highlimit; do
    begin "stack_python_$c" || continue
    pe_py --ro-dir "$PYDIR::/t" -- /t/deep.py "$c"
    expect_rc 0
    case $c in
        eval) expect_out "$c: MemoryError" ;; # "Parser stack overflowed"
        *) expect_out "$c: RecursionError" ;;
    esac
    finish "stack_python_$c"
done

# A million nested map() iterators: CPython's C code recurses without a
# Python-level check; the sandbox must turn the native overflow into a trap.
if begin stack_python_nested_c_iterators; then
pe_py --ro-dir "$PYDIR::/t" -- /t/deep.py map
expect_rc 134
expect_out ""
expect_err "pyedge: python: trap: call stack exhausted"
finish stack_python_nested_c_iterators
fi

# The same from Python: N nested map() iterators whose innermost level calls
# the host (_pyedge.log). First bisect N between "fits" (exit 0) and "does
# not" (anything else), then probe deeper in steps of 400 levels (~40 KiB of
# native stack) over ~1 MiB: on the way, the host call lands at every
# distance from the end of the stack. Every probe must end in 0 or the trap
# (134), never a host crash.
if begin stack_python_host_call_at_the_stack_limit; then
lo=1000 hi=1000000 probes="" bad=""
while [ $((hi - lo)) -gt 1 ]; do
    mid=$(((lo + hi) / 2))
    pe_py --ro-dir "$PYDIR::/t" -- /t/deep_hostcall.py "$mid"
    probes+=" $mid:$RC"
    if [ "$RC" -eq 0 ]; then lo=$mid; else hi=$mid; fi
    if [ "$RC" -ne 0 ] && [ "$RC" -ne 134 ]; then bad=$mid; break; fi
done
if [ -z "$bad" ]; then
    for ((n = hi; n <= hi + 12000; n += 400)); do
        pe_py --ro-dir "$PYDIR::/t" -- /t/deep_hostcall.py "$n"
        probes+=" $n:$RC"
        if [ "$RC" -ne 0 ] && [ "$RC" -ne 134 ]; then bad=$n; break; fi
    done
fi
[ "$hi" -lt 1000000 ] || why "no depth up to 1000000 exhausted the stack"
if [ -n "$bad" ]; then
    why "at depth $bad (probes:$probes)"
else
    RC=134 OUT="" ERR="" # every probe was 0 or 134; the last was a trap
fi
finish stack_python_host_call_at_the_stack_limit
fi

# =========================================================================
# 6. Infinite loops under --timeout 1
# =========================================================================

# timeout_case NAME STDIN(null|pipe|fifo) ARGS...: pyedge ARGS under --timeout 1
# must end with 124 within 1.5 s. pipe: a pipe whose writer never closes;
# fifo: a named pipe held open for writing by this script.
timeout_case() {
    local name=$1 mode=$2 fd pid s e
    shift 2
    begin "$name" || return 0
    s=$(date +%s%N)
    case $mode in
        null) (timeout --signal=KILL 60 "$PYEDGE" "$@" >"$WORK/out" 2>"$WORK/err" </dev/null; exit $?) 2>/dev/null ;;
        pipe)
            exec {fd}< <(exec sleep 60)
            pid=$!
            BG_PIDS+=("$pid")
            s=$(date +%s%N)
            (timeout --signal=KILL 60 "$PYEDGE" "$@" >"$WORK/out" 2>"$WORK/err" <&"$fd" {fd}<&-; exit $?) 2>/dev/null
            ;;
        fifo)
            rm -f "$WORK/fifo" && mkfifo "$WORK/fifo"
            exec {fd}<>"$WORK/fifo"
            s=$(date +%s%N)
            (timeout --signal=KILL 60 "$PYEDGE" "$@" >"$WORK/out" 2>"$WORK/err" <"$WORK/fifo" {fd}>&-; exit $?) 2>/dev/null
            ;;
    esac
    RC=$?
    e=$(date +%s%N)
    MS=$(((e - s) / 1000000))
    case $mode in
        pipe) exec {fd}<&-; kill "$pid" 2>/dev/null ;;
        fifo) exec {fd}>&- ;;
    esac
    OUT=$(cat "$WORK/out") ERR=$(cat "$WORK/err")
    expect_rc 124
    expect_ms_le 1500
    expect_out ""
    expect_err_has "stopped after the 1 s timeout"
    finish "$name"
}
timeout_case timeout_c_busy_loop null run --timeout 1 "$(m spin)" loop
timeout_case timeout_c_sleep_100s null run --timeout 1 "$(m spin)" sleep
timeout_case timeout_c_read_stdin_pipe pipe run --timeout 1 "$(m spin)" stdin
timeout_case timeout_c_read_stdin_fifo fifo run --timeout 1 "$(m spin)" stdin
timeout_case timeout_c_poll_stdin_forever fifo run --timeout 1 "$(m spin)" poll
timeout_case timeout_python_while_true null python --timeout 1 --ro-dir "$PYDIR::/t" -- /t/spin.py loop
timeout_case timeout_python_sleep_100s null python --timeout 1 --ro-dir "$PYDIR::/t" -- /t/spin.py sleep
timeout_case timeout_python_read_stdin_pipe pipe python --timeout 1 --ro-dir "$PYDIR::/t" -- /t/spin.py stdin
timeout_case timeout_python_select_stdin fifo python --timeout 1 --ro-dir "$PYDIR::/t" -- /t/spin.py select

# A FIFO inside the preopen: without a writer the guest reads end of file at
# once and opening it for writing fails (ENXIO; the host never blocks in
# open); with a writer that never writes, the guest's read blocks until the
# deadline.
T=$(mktemp -d "$WORK/t.XXXXXX")
mkfifo "$T/fifo"
if begin fs_fifo_in_preopen; then
pe_py --timeout 5 --dir "$T::/sb" -c '
import errno
print("read without writer:", repr(open("/sb/fifo").read()))
try:
    open("/sb/fifo", "w")
except OSError as e:
    print("open for writing without reader:", errno.errorcode[e.errno])'
expect_rc 0
expect_out "read without writer: ''
open for writing without reader: ENXIO"
finish fs_fifo_in_preopen
fi

if begin timeout_python_read_fifo_in_preopen; then
exec {wr}<>"$T/fifo"
s=$(date +%s%N)
(timeout --signal=KILL 60 "$PYEDGE" python --timeout 1 --dir "$T::/sb" -c 'open("/sb/fifo").read()' \
    >"$WORK/out" 2>"$WORK/err" </dev/null {wr}>&-; exit $?) 2>/dev/null
RC=$? MS=$((($(date +%s%N) - s) / 1000000)) OUT=$(cat "$WORK/out") ERR=$(cat "$WORK/err")
exec {wr}>&-
expect_rc 124
expect_ms_le 1500
expect_err "pyedge: python: stopped after the 1 s timeout"
finish timeout_python_read_fifo_in_preopen
fi

# stdout a pipe that nobody reads: the blocked write must end at the deadline.
if begin timeout_c_write_blocked_on_full_pipe; then
exec {rd}> >(exec sleep 60)
reader=$!
BG_PIDS+=("$reader")
s=$(date +%s%N)
(timeout --signal=KILL 60 "$PYEDGE" run --timeout 1 "$(m spin)" write >&"$rd" 2>"$WORK/err" </dev/null {rd}>&-; exit $?) 2>/dev/null
RC=$? MS=$((($(date +%s%N) - s) / 1000000)) OUT="" ERR=$(cat "$WORK/err")
exec {rd}>&-
kill "$reader" 2>/dev/null
expect_rc 124
expect_ms_le 1500
expect_err "pyedge: spin.wasm: stopped after the 1 s timeout"
finish timeout_c_write_blocked_on_full_pipe
fi

# stdout a pipe whose reader is gone: EPIPE for the guest, no SIGPIPE for
# the host (which would kill it: exit 141).
if begin stdout_broken_pipe_c; then
exec {rd}> >(exec true)
sleep 0.2
(timeout --signal=KILL 60 "$PYEDGE" run "$(m spin)" write >&"$rd" 2>"$WORK/err" </dev/null {rd}>&-; exit $?) 2>/dev/null
RC=$? OUT="" ERR=$(cat "$WORK/err")
exec {rd}>&-
expect_rc 5
expect_err "write failed: errno 64 (EPIPE)"
finish stdout_broken_pipe_c
fi

if begin stdout_broken_pipe_python; then
exec {rd}> >(exec true)
sleep 0.2
(timeout --signal=KILL 60 "$PYEDGE" python -c 'print("x" * 100000)' >&"$rd" 2>"$WORK/err" </dev/null {rd}>&-; exit $?) 2>/dev/null
RC=$? OUT="" ERR=$(cat "$WORK/err")
exec {rd}>&-
expect_rc 1
expect_err_has "BrokenPipeError: [Errno 64] Broken pipe"
finish stdout_broken_pipe_python
fi

# =========================================================================
# 7. Traps
# =========================================================================

for t in "div0:integer divide by zero" "ovf:integer overflow" "unreachable:unreachable executed" \
    "null:indirect call type mismatch or null" "mistyped:indirect call type mismatch or null" \
    "oob:out of bounds memory access" "conv:invalid conversion to integer"; do
    begin "trap_${t%%:*}" || continue
    pe_run "$(m traps)" "${t%%:*}"
    expect_rc 134
    expect_out ""
    expect_err "pyedge: traps.wasm: trap: ${t#*:}"
    finish "trap_${t%%:*}"
done

# =========================================================================
# 8. No sockets
# =========================================================================

if begin sockets_c; then
new_tree
pe_run --dir "$T/sb::/sb" "$(m sock)"
expect_rc 0
expect_out "$(cat <<'EOF'
file.txt is fd 4
fd 0: accept ENOTSOCK, recv ENOTSOCK, send ENOTSOCK, shutdown ENOTSOCK
fd 1: accept ENOTSOCK, recv ENOTSOCK, send ENOTSOCK, shutdown ENOTSOCK
fd 2: accept ENOTSOCK, recv ENOTSOCK, send ENOTSOCK, shutdown ENOTSOCK
fd 3: accept ENOTSOCK, recv ENOTSOCK, send ENOTSOCK, shutdown ENOTSOCK
fd 4: accept ENOTSOCK, recv ENOTSOCK, send ENOTSOCK, shutdown ENOTSOCK
fd 5: accept EBADF, recv EBADF, send EBADF, shutdown EBADF
EOF
)"
finish sockets_c
fi

if begin sockets_python; then
pe_py --ro-dir "$PYDIR::/t" -- /t/net.py
expect_rc 0
expect_out "$(cat <<'EOF'
import socket: SUCCESS
socket.socket(): OSError ENOTSUP
create_connection: AttributeError
socket(fileno=0): OSError ENOTSOCK
urlopen: AttributeError
EOF
)"
finish sockets_python
fi

# =========================================================================
# 9. Environment isolation, arguments
# =========================================================================

if begin env_args_c; then
pe_run --env A=1 --env 'B=x y' --env 'C==' --env 'D=' "$(m env)" '' 'a b' --env ünï $'new\nline' -x
expect_rc 0
expect_out "$(cat <<'EOF'
argc=7
argv[0]=[env.wasm]
argv[1]=[]
argv[2]=[a b]
argv[3]=[--env]
argv[4]=[ünï]
argv[5]=[new
line]
argv[6]=[-x]
env[0]=[A=1]
env[1]=[B=x y]
env[2]=[C==]
env[3]=[D=]
envc=4
EOF
)"
finish env_args_c
fi

if begin env_empty_c; then
pe_run "$(m env)"
expect_rc 0
expect_out "argc=1
argv[0]=[env.wasm]
envc=0"
finish env_empty_c
fi

if begin env_args_python; then
pe_py --env A=1 --env 'B=x y' --ro-dir "$PYDIR::/t" -- /t/env.py '' 'a b' -c --env
expect_rc 0
expect_out "environ: [('A', '1'), ('B', 'x y'), ('PYTHONHOME', '/usr/local')]
argv: ['/t/env.py', '', 'a b', '-c', '--env']"
finish env_args_python
fi

select_end
[ "$failed" -eq 0 ]
