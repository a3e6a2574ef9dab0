#!/bin/bash
# toolchain/fetch.sh -- fetch the pinned inputs from Debian trixie into $PYEDGE_CACHE/dl:
#   python3.13 orig tarball, zlib orig tarball  (apt-get source --download-only)
#   wasi-libc binary .deb (arch all)           (apt-get download)
# and check them against toolchain/versions.sh. Quiet and offline when they are
# already there.
#
# The system's apt configuration is not touched: apt runs with a private
# configuration file (APT_CONFIG) whose sources, lists, status and archive
# cache all live in $PYEDGE_CACHE/apt-trixie. It keeps the system's
# apt.conf.d (proxies etc.) and trusted keys; debian-archive-keyring (bookworm)
# already carries trixie's signing keys. No root needed.
. "$(dirname "$0")/lib.sh"

DL=$PYEDGE_CACHE/dl
APTDIR=$PYEDGE_CACHE/apt-trixie

have_verified() { # FILE SHA256
    [ -f "$1" ] && [ "$(pe_sha256 "$1")" = "$2" ]
}

# The accepted wasi-libc .deb already in dl/, if any (prints its path).
find_wasi_libc() {
    local ver sha f
    while read -r ver sha; do
        [ -n "$ver" ] || continue
        f=$DL/${WASI_LIBC_PACKAGE}_${ver}_all.deb
        if have_verified "$f" "$sha"; then printf '%s\n' "$f"; return 0; fi
    done <<< "$WASI_LIBC_ACCEPTED"
    return 1
}

if have_verified "$DL/$PY_ORIG_TARBALL" "$PY_ORIG_SHA256" \
   && have_verified "$DL/$ZLIB_ORIG_TARBALL" "$ZLIB_ORIG_SHA256" \
   && find_wasi_libc >/dev/null; then
    exit 0
fi

mkdir -p "$DL" "$APTDIR/sources.list.d" "$APTDIR/preferences.d" "$APTDIR/lists/partial" \
         "$APTDIR/cache/archives/partial"
rm -rf "$DL"/tmp.*   # left by an interrupted fetch
: > "$APTDIR/status"
cat > "$APTDIR/sources.list.d/trixie.sources" <<EOF
Types: deb deb-src
URIs: $DEBIAN_MIRROR
Suites: $TRIXIE_SUITE
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
{
    printf 'Dir::Etc::SourceList "/dev/null";\n'
    printf 'Dir::Etc::SourceParts "%s/sources.list.d";\n' "$APTDIR"
    printf 'Dir::Etc::Preferences "/dev/null";\n'
    printf 'Dir::Etc::PreferencesParts "%s/preferences.d";\n' "$APTDIR"
    printf 'Dir::State::Lists "%s/lists";\n' "$APTDIR"
    printf 'Dir::State::status "%s/status";\n' "$APTDIR"
    printf 'Dir::Cache "%s/cache";\n' "$APTDIR"
    printf 'Dir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n'
    printf 'APT::Architectures { "%s"; };\n' "$(dpkg --print-architecture)"
    printf 'Acquire::Languages "none";\n'
    # Downloads land in our own directories; apt's _apt sandbox user could not
    # write there when they belong to root.
    [ "$(id -u)" -ne 0 ] || printf 'APT::Sandbox::User "root";\n'
} > "$APTDIR/apt.conf"
export APT_CONFIG=$APTDIR/apt.conf

pe_step "apt-get update (private trixie sources)" "" "$APTDIR/update.log" apt-get -q update

# The archive moves under a pin: a security update replaces a revision, and
# for a while the lists can name files that answer 404 (a .dsc or .debian.tar
# gone while the orig tarball is still there). So every revision the lists
# name is tried, newest first, a failed apt-get is only a note, and what
# counts is whether a file with the pinned sha256 arrived.

# try_fetch LOG DIR CMD...: runs CMD in DIR with its output appended to LOG;
# prints "ok" or "exit N" on the progress line.
try_fetch() {
    local log=$1 dir=$2 rc=0; shift 2
    { printf '$ %s\n' "$*"; (cd "$dir" && "$@"); } >>"$log" 2>&1 </dev/null || rc=$?
    if [ "$rc" -eq 0 ]; then printf ' ok' >&2; else printf ' (apt-get exit %d)' "$rc" >&2; fi
    return 0
}

# revisions PKG [--source]: every version of PKG the lists name, newest first.
revisions() {
    if [ "${2:-}" = --source ]; then
        apt-cache showsrc "$1" 2>/dev/null | sed -n 's/^Version: //p'
    else
        apt-cache madison "$1" 2>/dev/null | awk -F'|' '$3 !~ /Sources/ {gsub(/ /, "", $2); print $2}'
    fi | sort -u | sort -r -V
}

# apt_source PKG TARBALL SHA256: the orig tarball of source package PKG with
# the pinned hash, from whichever revision still has it.
apt_source() {
    local pkg=$1 tarball=$2 sha=$3 log=$DL/$1-source.log tmp got v tried=""
    have_verified "$DL/$tarball" "$sha" && return 0
    : > "$log"
    for v in "" $(revisions "$pkg" --source); do
        tmp=$(mktemp -d "$DL/tmp.XXXXXX")
        printf '[python] apt-get source --download-only %s' "$pkg${v:+=$v}" >&2
        try_fetch "$log" "$tmp" apt-get -q source --download-only "$pkg${v:+=$v}"
        if [ ! -f "$tmp/$tarball" ]; then
            printf ': no %s\n' "$tarball" >&2
            got=$(find "$tmp" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ' | sed 's/ $//')
            tried+="    $pkg${v:+=$v}: no $tarball${got:+ (got $got)}"$'\n'
        else
            got=$(pe_sha256 "$tmp/$tarball")
            if [ "$got" = "$sha" ]; then
                mv "$tmp/$tarball" "$DL/$tarball"
                rm -rf "$tmp"
                printf ': %s verified\n' "$tarball" >&2
                return 0
            fi
            printf ': %s has sha256 %s\n' "$tarball" "$got" >&2
            tried+="    $pkg${v:+=$v}: $tarball has sha256 $got"$'\n'
        fi
        rm -rf "$tmp"
    done
    pe_die "no revision of trixie's $pkg has $tarball with sha256 $sha (pinned in toolchain/versions.sh). Tried:
${tried}apt-get's output: $log. If the upstream version moved, update toolchain/versions.sh."
}

apt_source "$PY_SRC_PACKAGE" "$PY_ORIG_TARBALL" "$PY_ORIG_SHA256"
apt_source "$ZLIB_SRC_PACKAGE" "$ZLIB_ORIG_TARBALL" "$ZLIB_ORIG_SHA256"

# wasi-libc: the accepted .deb files by version first, then whatever the
# lists offer (a new revision is reported, not taken).
fetch_wasi_libc() {
    local log=$DL/$WASI_LIBC_PACKAGE-download.log tmp deb ver sha v av as tried="" accepted
    : > "$log"
    accepted=$(printf '%s\n' "$WASI_LIBC_ACCEPTED" | awk 'NF {print $1}')
    for v in $accepted ""; do
        tmp=$(mktemp -d "$DL/tmp.XXXXXX")
        printf '[python] apt-get download %s' "$WASI_LIBC_PACKAGE${v:+=$v}" >&2
        try_fetch "$log" "$tmp" apt-get -q download "$WASI_LIBC_PACKAGE${v:+=$v}"
        deb=$(find "$tmp" -maxdepth 1 -name '*.deb' | head -n 1)
        if [ -z "$deb" ]; then
            printf ': no .deb\n' >&2
            tried+="    $WASI_LIBC_PACKAGE${v:+=$v}: no .deb"$'\n'
            rm -rf "$tmp"
            continue
        fi
        ver=$(dpkg-deb -f "$deb" Version 2>/dev/null || echo '?')
        sha=$(pe_sha256 "$deb")
        while read -r av as; do
            if [ -n "$av" ] && [ "$av" = "$ver" ] && [ "$as" = "$sha" ]; then
                mv "$deb" "$DL/${WASI_LIBC_PACKAGE}_${ver}_all.deb"
                rm -rf "$tmp"
                printf ': %s verified\n' "$ver" >&2
                return 0
            fi
        done <<< "$WASI_LIBC_ACCEPTED"
        printf ': version %s, sha256 %s, not accepted\n' "$ver" "$sha" >&2
        tried+="    $WASI_LIBC_PACKAGE${v:+=$v}: got version $ver, sha256 $sha"$'\n'
        rm -rf "$tmp"
    done
    pe_die "no accepted $WASI_LIBC_PACKAGE .deb could be had from trixie. Accepted:
$(printf '%s\n' "$WASI_LIBC_ACCEPTED" | sed -e '/^$/d' -e 's/^/    /')
Tried:
${tried}apt-get's output: $log. If a new revision builds (make python), add its 'version sha256' line to WASI_LIBC_ACCEPTED in toolchain/versions.sh."
}

find_wasi_libc >/dev/null || fetch_wasi_libc
