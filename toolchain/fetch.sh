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

# apt_source PKG TARBALL SHA256 LABEL: download source package PKG and keep its
# orig tarball if it has the pinned hash.
apt_source() {
    local pkg=$1 tarball=$2 sha=$3 tmp got
    have_verified "$DL/$tarball" "$sha" && return 0
    tmp=$(mktemp -d "$DL/tmp.XXXXXX")
    pe_step "apt-get source --download-only $pkg" "" "$DL/$pkg-source.log" \
        bash -c 'cd "$1" && apt-get -q source --download-only "$2"' _ "$tmp" "$pkg"
    if [ ! -f "$tmp/$tarball" ]; then
        got=$(cd "$tmp" && ls | tr '\n' ' ')
        rm -rf "$tmp"
        pe_die "trixie's $pkg no longer ships $tarball (got: ${got% }). The pinned upstream version is gone from the archive: update toolchain/versions.sh."
    fi
    got=$(pe_sha256 "$tmp/$tarball")
    if [ "$got" != "$sha" ]; then
        rm -rf "$tmp"
        pe_die "$tarball from trixie has sha256 $got, toolchain/versions.sh pins $sha"
    fi
    mv "$tmp/$tarball" "$DL/$tarball"
    rm -rf "$tmp"
}

apt_source "$PY_SRC_PACKAGE" "$PY_ORIG_TARBALL" "$PY_ORIG_SHA256"
apt_source "$ZLIB_SRC_PACKAGE" "$ZLIB_ORIG_TARBALL" "$ZLIB_ORIG_SHA256"

if ! find_wasi_libc >/dev/null; then
    tmp=$(mktemp -d "$DL/tmp.XXXXXX")
    pe_step "apt-get download $WASI_LIBC_PACKAGE" "" "$DL/$WASI_LIBC_PACKAGE-download.log" \
        bash -c 'cd "$1" && apt-get -q download "$2"' _ "$tmp" "$WASI_LIBC_PACKAGE"
    deb=$(ls "$tmp"/*.deb)
    ver=$(dpkg-deb -f "$deb" Version)
    sha=$(pe_sha256 "$deb")
    ok=
    while read -r v s; do
        [ "$v" = "$ver" ] && [ "$s" = "$sha" ] && ok=1
    done <<< "$WASI_LIBC_ACCEPTED"
    if [ -z "$ok" ]; then
        rm -rf "$tmp"
        pe_die "trixie's $WASI_LIBC_PACKAGE is version $ver, sha256 $sha: not one of the accepted
$(printf '%s\n' "$WASI_LIBC_ACCEPTED" | sed -e '/^$/d' -e 's/^/    /')
If the new revision builds (make python), add the line '$ver $sha' to WASI_LIBC_ACCEPTED in toolchain/versions.sh."
    fi
    mv "$deb" "$DL/${WASI_LIBC_PACKAGE}_${ver}_all.deb"
    rm -rf "$tmp"
fi
