#!/bin/bash
# tests/toolchain/fetch_test.sh -- toolchain/fetch.sh against a fake apt.
#
# fetch.sh and lib.sh are copied into a temp dir next to a test-made
# versions.sh: the real one with its sha256 pins replaced by those of fake
# orig tarballs and wasi-libc .debs made here (the .debs by dpkg-deb --build,
# since fetch.sh reads their Version with dpkg-deb -f). Fake apt-get and
# apt-cache come first on PATH and answer from a per-case directory:
#   $FAKE_APT/<command>/<arg>/     files "delivered" into the working directory
#                                  by "apt-get <command> <arg>" (exit 0) ...
#   $FAKE_APT/<command>/<arg>.rc   ... or with this exit status; an <arg> with
#                                  neither delivers nothing and exits 100
#   $FAKE_APT/showsrc/<pkg>        what "apt-cache showsrc <pkg>" prints
#                                  (missing: exits 100, as with no lists)
#   $FAKE_APT/calls                every apt-get / apt-cache call, one a line
#   $FAKE_APT/apt_config           the APT_CONFIG each apt-get call saw
# A fake sleep (0.05 s) keeps lib.sh's progress loop from costing a second a
# step. No network, no root needed; everything lives under one mktemp -d.
#
# Prints "PASS <name>" or "FAIL <name>: <why>" per case and ends with
# "N passed, M failed" (exit 1 if any failed). KEEP=1 keeps the temp dir
# (each case's cache, fake answers and fetch.sh output under cases/NAME/).
# Usage: tests/toolchain/fetch_test.sh [-k NAME]... [--list]
# (tests/lib/select.sh; each case is `if begin NAME; then new_case NAME ...`).
set -u
# shellcheck source=../lib/select.sh
. "$(dirname "$0")/../lib/select.sh"
select_args "$@"
[ ${#SELECT_REST[@]} -eq 0 ] || { echo "usage: tests/toolchain/fetch_test.sh [-k NAME]... [--list]" >&2; exit 2; }
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD

passed=0 failed=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pyedge-fetch.XXXXXX") || exit 1
if [ -n "${KEEP:-}" ]; then echo "keeping $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi
trap 'exit 130' INT TERM

pass() { reported "$1" || return 0; passed=$((passed + 1)); echo "PASS $1"; }
fail() { reported "$1" || return 0; failed=$((failed + 1)); echo "FAIL $1: $2"; }

listing || for tool in dpkg-deb sha256sum; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        fail setup "$tool not found"
        echo "$passed passed, $failed failed"
        exit 1
    fi
done

sha() { sha256sum "$1" | cut -d' ' -f1; }

# --- fake apt and sleep ---------------------------------------------------------

BIN=$WORK/bin
mkdir -p "$BIN"
cat >"$BIN/apt-get" <<'EOF'
#!/bin/bash
# fake apt-get (see tests/toolchain/fetch_test.sh)
set -u
printf 'apt-get %s\n' "$*" >>"$FAKE_APT/calls"
printf '%s\n' "${APT_CONFIG:-unset}" >>"$FAKE_APT/apt_config"
cmd="" arg=""
for a in "$@"; do
    case $a in
        -*) ;;
        *) if [ -z "$cmd" ]; then cmd=$a; else arg=$a; fi ;;
    esac
done
case $cmd in
    update) echo "Reading package lists... Done"; exit "$(cat "$FAKE_APT/update.rc" 2>/dev/null || echo 0)" ;;
    source|download) ;;
    *) echo "E: fake apt-get: unexpected command: $*" >&2; exit 99 ;;
esac
d=$FAKE_APT/$cmd/$arg
if [ -d "$d" ]; then
    for f in "$d"/*; do
        [ -e "$f" ] || continue
        echo "Get: $(basename "$f")"
        cp "$f" .
    done
    [ ! -f "$d.rc" ] || { echo "E: Failed to fetch some archives (fake)" >&2; exit "$(cat "$d.rc")"; }
    exit 0
fi
if [ -f "$d.rc" ]; then echo "E: Failed to fetch $arg: 404 Not Found (fake)" >&2; exit "$(cat "$d.rc")"; fi
echo "E: Can not find version for $arg (fake)" >&2
exit 100
EOF
cat >"$BIN/apt-cache" <<'EOF'
#!/bin/bash
# fake apt-cache (see tests/toolchain/fetch_test.sh)
set -u
printf 'apt-cache %s\n' "$*" >>"$FAKE_APT/calls"
case ${1:-} in
    showsrc)
        if [ -f "$FAKE_APT/showsrc/$2" ]; then cat "$FAKE_APT/showsrc/$2"; exit 0; fi
        echo "E: You must put some 'deb-src' URIs in your sources.list (fake)" >&2
        exit 100 ;;
    madison) exit 0 ;;
    *) echo "E: fake apt-cache: unexpected command: $*" >&2; exit 99 ;;
esac
EOF
REAL_SLEEP=$(command -v sleep)
printf '#!/bin/sh\nexec %s 0.05\n' "$REAL_SLEEP" >"$BIN/sleep"
chmod +x "$BIN"/*

# --- inputs -------------------------------------------------------------------

TC=$WORK/toolchain
mkdir -p "$TC" "$WORK/assets"
cp "$ROOT/toolchain/fetch.sh" "$ROOT/toolchain/lib.sh" "$ROOT/toolchain/versions.sh" "$TC/"
# shellcheck source-path=SCRIPTDIR source=../../toolchain/versions.sh
. "$TC/versions.sh"   # package and file names as the real pins have them
PY=$PY_ORIG_TARBALL
ZL=$ZLIB_ORIG_TARBALL
WL=$WASI_LIBC_PACKAGE
ZLIB_NEW=1:1.3.dfsg+really1.3.1-2   # revisions apt-cache showsrc lists
ZLIB_OLD=1:1.3.dfsg+really1.3.1-1
WL_OLD=0.0~git20241209.574b88d-1    # wasi-libc versions
WL_ACC=0.0~git20241209.574b88d-2
WL_NEW=0.0~git20241209.574b88d-3

A=$WORK/assets
mkdir -p "$A/py" "$A/zlib" "$A/zlib-changed-new" "$A/zlib-changed-old"
printf 'fake CPython orig tarball\n' >"$A/py/$PY"
printf 'fake zlib orig tarball\n' >"$A/zlib/$ZL"
printf 'zlib orig tarball with other content (-2)\n' >"$A/zlib-changed-new/$ZL"
printf 'zlib orig tarball with other content (-1)\n' >"$A/zlib-changed-old/$ZL"

mkdeb() { # DIR VERSION CONTENT: DIR/wasi-libc_VERSION_all.deb
    local root=$WORK/debroot
    rm -rf "$root"
    mkdir -p "$root/DEBIAN" "$root/usr/share/wasi-sysroot" "$1"
    printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: test <test@example.invalid>\nDescription: fake wasi-libc\n' \
        "$WL" "$2" >"$root/DEBIAN/control"
    printf '%s\n' "$3" >"$root/usr/share/wasi-sysroot/README"
    dpkg-deb --root-owner-group --build "$root" "$1/${WL}_$2_all.deb" >/dev/null
}
mkdeb "$A/wl-acc" "$WL_ACC" "accepted"
mkdeb "$A/wl-new" "$WL_NEW" "new revision"
mkdeb "$A/wl-rebuilt" "$WL_ACC" "same version, rebuilt"
PY_SHA=$(sha "$A/py/$PY")
ZL_SHA=$(sha "$A/zlib/$ZL")
ZL_SHA_NEW=$(sha "$A/zlib-changed-new/$ZL")
ZL_SHA_OLD=$(sha "$A/zlib-changed-old/$ZL")
WL_ACC_SHA=$(sha "$A/wl-acc/${WL}_${WL_ACC}_all.deb")
WL_NEW_SHA=$(sha "$A/wl-new/${WL}_${WL_NEW}_all.deb")
WL_REBUILT_SHA=$(sha "$A/wl-rebuilt/${WL}_${WL_ACC}_all.deb")
WL_OLD_SHA=$(printf 'an older accepted wasi-libc\n' | sha256sum | cut -d' ' -f1)

# pins ACCEPTED: versions.sh with the fake pins (ACCEPTED: WASI_LIBC_ACCEPTED's lines)
pins() {
    cp "$ROOT/toolchain/versions.sh" "$TC/versions.sh"
    printf '\n# --- test pins ---\nPY_ORIG_SHA256=%s\nZLIB_ORIG_SHA256=%s\nWASI_LIBC_ACCEPTED=%s\n' \
        "$PY_SHA" "$ZL_SHA" "'
$1
'" >>"$TC/versions.sh"
}

# --- per case ------------------------------------------------------------------

# new_case NAME: a fresh PYEDGE_CACHE and fake apt answers; the default pins.
new_case() {
    CASE=$1
    C=$WORK/cases/$CASE
    rm -rf "$C"
    mkdir -p "$C/cache" "$C/apt"
    FAKE_APT=$C/apt
    : >"$FAKE_APT/calls"
    errs=()
    pins "$WL_ACC $WL_ACC_SHA"
}

# serve COMMAND ARG [FROM_DIR [RC]]: "apt-get COMMAND ARG" delivers FROM_DIR's
# files and exits RC (0); without FROM_DIR it delivers nothing and exits RC.
serve() {
    local d=$FAKE_APT/$1/$2
    if [ -n "${3:-}" ]; then mkdir -p "$d" && cp "$3"/* "$d/"; fi
    if [ -n "${4:-}" ]; then mkdir -p "$FAKE_APT/$1" && echo "$4" >"$d.rc"; fi
}

# showsrc PKG VERSION...: apt-cache showsrc PKG lists these revisions.
showsrc() {
    local pkg=$1 v
    shift
    mkdir -p "$FAKE_APT/showsrc"
    for v in "$@"; do printf 'Package: %s\nVersion: %s\n\n' "$pkg" "$v"; done >"$FAKE_APT/showsrc/$pkg"
}

# run_fetch: runs the copied fetch.sh; sets rc, out (stdout and stderr).
run_fetch() {
    rc=0
    env PATH="$BIN:$PATH" PYEDGE_CACHE="$C/cache" FAKE_APT="$FAKE_APT" \
        bash "$TC/fetch.sh" >"$C/out" 2>&1 </dev/null || rc=$?
    out=$(cat "$C/out")
}

err() { errs+=("$*"); }
expect_rc() { # zero|nonzero
    case $1 in
        zero) [ "$rc" -eq 0 ] || err "exit $rc, want 0" ;;
        nonzero) [ "$rc" -ne 0 ] || err "exit 0, want non-zero" ;;
    esac
}
expect_out() { # TEXT...: each appears in the output
    local t
    for t in "$@"; do grep -qF -- "$t" <<<"$out" || err "output lacks '$t'"; done
}
expect_line() { # LINE...: each is a whole line of the output
    local t
    for t in "$@"; do grep -qxF -- "$t" <<<"$out" || err "output lacks the line '$t'"; done
}
expect_dl() { # FILE...: exactly these in dl/ (logs aside)
    local want got
    want=$(printf '%s\n' "$@" | sed '/^$/d' | sort)
    got=$(find "$C/cache/dl" -mindepth 1 -maxdepth 1 ! -name '*.log' -printf '%f\n' 2>/dev/null | sort)
    [ "$want" = "$got" ] || err "dl/ holds [$(tr '\n' ' ' <<<"$got")], want [$(tr '\n' ' ' <<<"$want")]"
}
expect_sha() { # FILE SHA256
    [ -f "$C/cache/dl/$1" ] || return 0 # expect_dl says so
    [ "$(sha "$C/cache/dl/$1")" = "$2" ] || err "dl/$1 has sha256 $(sha "$C/cache/dl/$1"), want $2"
}
expect_calls() { # LINE...: exactly these apt calls, in this order
    local want got
    want=$(printf '%s\n' "$@")
    got=$(cat "$FAKE_APT/calls")
    [ "$want" = "$got" ] || err "apt calls were [$(paste -sd';' <<<"$got")], want [$(paste -sd';' <<<"$want")]"
}
expect_private_config() { # every apt-get call ran with the private apt.conf
    local want=$C/cache/apt-trixie/apt.conf
    [ -f "$want" ] || err "no $want"
    if grep -vqxF -- "$want" "$FAKE_APT/apt_config" 2>/dev/null; then
        err "apt-get ran with APT_CONFIG=$(grep -vxF -- "$want" "$FAKE_APT/apt_config" | head -n1), want $want"
    fi
    grep -q 'Dir::State::Lists' "$want" 2>/dev/null || err "$want sets no Dir::State::Lists"
}
finish() {
    if [ ${#errs[@]} -eq 0 ]; then
        pass "$CASE"
    else
        fail "$CASE" "$(printf '%s; ' "${errs[@]}")-- output: $(tr '\n' '|' <<<"$out" | head -c 1500)"
    fi
}

SRC="apt-get -q source --download-only"
DOWN="apt-get -q download"
UPDATE="apt-get -q update"

# --- 1. the .dsc and .debian.tar answer 404: the orig tarball is kept -----------------
if begin dsc-404 already-verified; then
new_case dsc-404
serve source "$PY_SRC_PACKAGE" "$A/py" 100
serve source "$ZLIB_SRC_PACKAGE" "$A/zlib" 100
showsrc "$ZLIB_SRC_PACKAGE" "$ZLIB_NEW"
serve download "$WL=$WL_ACC" "$A/wl-acc"
mkdir -p "$C/cache/dl/tmp.left"   # an interrupted fetch's leftover
run_fetch
expect_rc zero
expect_dl "$PY" "$ZL" "${WL}_${WL_ACC}_all.deb"
expect_sha "$PY" "$PY_SHA"
expect_sha "$ZL" "$ZL_SHA"
expect_sha "${WL}_${WL_ACC}_all.deb" "$WL_ACC_SHA"
expect_out "apt-get exit 100" "$PY verified" "$ZL verified" "$WL_ACC verified"
expect_calls "$UPDATE" \
    "apt-cache showsrc $PY_SRC_PACKAGE" "$SRC $PY_SRC_PACKAGE" \
    "apt-cache showsrc $ZLIB_SRC_PACKAGE" "$SRC $ZLIB_SRC_PACKAGE" \
    "$DOWN $WL=$WL_ACC"
expect_private_config
finish
DSC_404_CACHE=$C/cache
fi

# --- 2. the newest revision is gone: an older one has the tarball -----------------------
if begin newest-revision-gone; then
new_case newest-revision-gone
serve source "$PY_SRC_PACKAGE" "$A/py"
serve source "$ZLIB_SRC_PACKAGE" "" 100
serve source "$ZLIB_SRC_PACKAGE=$ZLIB_NEW" "" 100
serve source "$ZLIB_SRC_PACKAGE=$ZLIB_OLD" "$A/zlib"
showsrc "$ZLIB_SRC_PACKAGE" "$ZLIB_OLD" "$ZLIB_NEW"   # listed oldest first
serve download "$WL=$WL_ACC" "$A/wl-acc"
run_fetch
expect_rc zero
expect_dl "$PY" "$ZL" "${WL}_${WL_ACC}_all.deb"
expect_sha "$ZL" "$ZL_SHA"
expect_out "$ZLIB_SRC_PACKAGE=$ZLIB_NEW (apt-get exit 100): no $ZL" \
    "$ZLIB_SRC_PACKAGE=$ZLIB_OLD ok: $ZL verified"
expect_calls "$UPDATE" \
    "apt-cache showsrc $PY_SRC_PACKAGE" "$SRC $PY_SRC_PACKAGE" \
    "apt-cache showsrc $ZLIB_SRC_PACKAGE" "$SRC $ZLIB_SRC_PACKAGE" \
    "$SRC $ZLIB_SRC_PACKAGE=$ZLIB_NEW" "$SRC $ZLIB_SRC_PACKAGE=$ZLIB_OLD" \
    "$DOWN $WL=$WL_ACC"
finish
fi

# --- 3. changed hash: every revision delivers another tarball ---------------------------
if begin changed-hash; then
new_case changed-hash
serve source "$PY_SRC_PACKAGE" "$A/py"
serve source "$ZLIB_SRC_PACKAGE" "$A/zlib-changed-new"
serve source "$ZLIB_SRC_PACKAGE=$ZLIB_NEW" "$A/zlib-changed-new"
serve source "$ZLIB_SRC_PACKAGE=$ZLIB_OLD" "$A/zlib-changed-old"
showsrc "$ZLIB_SRC_PACKAGE" "$ZLIB_NEW" "$ZLIB_OLD"
serve download "$WL=$WL_ACC" "$A/wl-acc"
run_fetch
expect_rc nonzero
expect_dl "$PY"
expect_out "error: no revision of trixie's $ZLIB_SRC_PACKAGE has $ZL with sha256 $ZL_SHA (pinned in toolchain/versions.sh)" \
    "    $ZLIB_SRC_PACKAGE: $ZL has sha256 $ZL_SHA_NEW" \
    "    $ZLIB_SRC_PACKAGE=$ZLIB_NEW: $ZL has sha256 $ZL_SHA_NEW" \
    "    $ZLIB_SRC_PACKAGE=$ZLIB_OLD: $ZL has sha256 $ZL_SHA_OLD" \
    "$C/cache/dl/$ZLIB_SRC_PACKAGE-source.log" "update toolchain/versions.sh"
grep -q "^$DOWN" "$FAKE_APT/calls" && err "went on to wasi-libc after zlib failed"
finish
fi

# --- 3b. no source lists at all (apt-cache showsrc fails) --------------------------------
if begin no-source-lists; then
new_case no-source-lists
serve source "$PY_SRC_PACKAGE" "$A/py"
serve download "$WL=$WL_ACC" "$A/wl-acc"
run_fetch
expect_rc nonzero
expect_dl "$PY"
expect_out "error: no revision of trixie's $ZLIB_SRC_PACKAGE has $ZL"
expect_line "    $ZLIB_SRC_PACKAGE: no $ZL"
finish
fi

# --- 3c. the upstream version moved: the lists offer another orig tarball ----------------
if begin upstream-moved; then
new_case upstream-moved
mkdir -p "$A/zlib-1.3.2"
printf 'dsc\n' >"$A/zlib-1.3.2/zlib_1.3.2-1.dsc"
printf 'tarball\n' >"$A/zlib-1.3.2/zlib_1.3.2.orig.tar.gz"
serve source "$PY_SRC_PACKAGE" "$A/py"
serve source "$ZLIB_SRC_PACKAGE" "$A/zlib-1.3.2"
serve source "$ZLIB_SRC_PACKAGE=1:1.3.2-1" "$A/zlib-1.3.2"
showsrc "$ZLIB_SRC_PACKAGE" 1:1.3.2-1
run_fetch
expect_rc nonzero
expect_dl "$PY"
expect_line "    $ZLIB_SRC_PACKAGE: no $ZL (got zlib_1.3.2-1.dsc zlib_1.3.2.orig.tar.gz)" \
    "    $ZLIB_SRC_PACKAGE=1:1.3.2-1: no $ZL (got zlib_1.3.2-1.dsc zlib_1.3.2.orig.tar.gz)"
expect_out "If the upstream version moved, update toolchain/versions.sh."
finish
fi

# --- 4a. wasi-libc: the accepted version is still there ---------------------------------
if begin wasi-libc-accepted; then
new_case wasi-libc-accepted
mkdir -p "$C/cache/dl"
cp "$A/py/$PY" "$A/zlib/$ZL" "$C/cache/dl/"
serve download "$WL=$WL_ACC" "$A/wl-acc"
serve download "$WL" "$A/wl-new"
run_fetch
expect_rc zero
expect_dl "$PY" "$ZL" "${WL}_${WL_ACC}_all.deb"
expect_sha "${WL}_${WL_ACC}_all.deb" "$WL_ACC_SHA"
expect_out "apt-get download $WL=$WL_ACC ok: $WL_ACC verified"
expect_calls "$UPDATE" "$DOWN $WL=$WL_ACC"   # sources verified: not fetched again
finish
fi

# --- 4b. wasi-libc: the second accepted version, the first being gone --------------------
if begin wasi-libc-second-accepted; then
new_case wasi-libc-second-accepted
pins "$WL_OLD $WL_OLD_SHA
$WL_ACC $WL_ACC_SHA"
mkdir -p "$C/cache/dl"
cp "$A/py/$PY" "$A/zlib/$ZL" "$C/cache/dl/"
serve download "$WL=$WL_OLD" "" 100
serve download "$WL=$WL_ACC" "$A/wl-acc"
run_fetch
expect_rc zero
expect_dl "$PY" "$ZL" "${WL}_${WL_ACC}_all.deb"
expect_calls "$UPDATE" "$DOWN $WL=$WL_OLD" "$DOWN $WL=$WL_ACC"
finish
fi

# --- 4c. wasi-libc: the accepted version is gone, the candidate is a new revision --------
if begin wasi-libc-new-revision; then
new_case wasi-libc-new-revision
mkdir -p "$C/cache/dl"
cp "$A/py/$PY" "$A/zlib/$ZL" "$C/cache/dl/"
serve download "$WL=$WL_ACC" "" 100
serve download "$WL" "$A/wl-new"
run_fetch
expect_rc nonzero
expect_dl "$PY" "$ZL"
expect_out "error: no accepted $WL .deb could be had from trixie" \
    "    $WL_ACC $WL_ACC_SHA" \
    "    $WL=$WL_ACC: no .deb" \
    "    $WL: got version $WL_NEW, sha256 $WL_NEW_SHA" \
    "add its 'version sha256' line to WASI_LIBC_ACCEPTED in toolchain/versions.sh"
expect_calls "$UPDATE" "$DOWN $WL=$WL_ACC" "$DOWN $WL"
finish
fi

# --- 4d. wasi-libc: the accepted version was rebuilt (same version, other sha256) --------
if begin wasi-libc-rebuilt; then
new_case wasi-libc-rebuilt
mkdir -p "$C/cache/dl"
cp "$A/py/$PY" "$A/zlib/$ZL" "$C/cache/dl/"
serve download "$WL=$WL_ACC" "$A/wl-rebuilt"
serve download "$WL" "$A/wl-rebuilt"
run_fetch
expect_rc nonzero
expect_dl "$PY" "$ZL"
expect_out "    $WL=$WL_ACC: got version $WL_ACC, sha256 $WL_REBUILT_SHA" \
    "    $WL: got version $WL_ACC, sha256 $WL_REBUILT_SHA"
finish
fi

# --- 5. everything verified already: no apt call, no output ------------------------------
if begin already-verified; then
new_case already-verified
mkdir -p "$C/cache"
cp -a "$DSC_404_CACHE/dl" "$C/cache/"
run_fetch
expect_rc zero
expect_dl "$PY" "$ZL" "${WL}_${WL_ACC}_all.deb"
expect_calls ""
[ -z "$out" ] || err "printed something"
[ ! -e "$C/cache/apt-trixie" ] || err "wrote apt-trixie/"
finish
fi

# --- 5b. a file with the wrong sha256 in dl/ is fetched again ----------------------------
if begin stale-file; then
new_case stale-file
mkdir -p "$C/cache/dl"
cp "$A/py/$PY" "$C/cache/dl/"
cp "$A/zlib-changed-old/$ZL" "$C/cache/dl/$ZL"
cp "$A/wl-acc/${WL}_${WL_ACC}_all.deb" "$C/cache/dl/"
serve source "$ZLIB_SRC_PACKAGE" "$A/zlib"
run_fetch
expect_rc zero
expect_dl "$PY" "$ZL" "${WL}_${WL_ACC}_all.deb"
expect_sha "$ZL" "$ZL_SHA"
expect_calls "$UPDATE" "apt-cache showsrc $ZLIB_SRC_PACKAGE" "$SRC $ZLIB_SRC_PACKAGE"
finish
fi

# --- 6. apt-get update fails: stop, showing its log --------------------------------------
if begin update-fails; then
new_case update-fails
echo 100 >"$FAKE_APT/update.rc"
run_fetch
expect_rc nonzero
expect_out "apt-get update (private trixie sources)" "FAILED" "Reading package lists"
expect_calls "$UPDATE"
finish
fi

select_end
[ "$failed" -eq 0 ]
