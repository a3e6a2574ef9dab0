# shellcheck shell=bash disable=SC2034
# toolchain/versions.sh -- pinned inputs of the CPython-for-WASI recipe (sourced, not run).
#
# Debian's archive keeps only the current revision of a package (a security
# update replaces python3.13 3.13.5-2+deb13u5 by +deb13u6 and the old .dsc
# disappears), so source packages are pinned by their *upstream* orig tarball,
# which does not change between Debian revisions: whichever trixie revision
# currently carries a tarball with this sha256 is accepted.
#
# wasi-libc is a trixie binary package (arch all); there is no upstream
# tarball to pin, so the accepted .deb files are listed by version and sha256.
# When trixie publishes a new revision the fetch fails with a message that
# says what it got; check the new sysroot (make python) and add a line here.
#
# Every value here is part of the cache keys (the whole file is hashed).

# --- CPython (trixie source package python3.13) -------------------------------
PY_VERSION=3.13.5
PY_SRC_PACKAGE=python3.13
PY_ORIG_TARBALL=python3.13_3.13.5.orig.tar.xz
PY_ORIG_SHA256=93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640
PY_SRC_DIR=Python-3.13.5            # top directory inside the tarball

# --- zlib (trixie source package zlib, Debian version 1:1.3.dfsg+really1.3.1-*) --
ZLIB_VERSION=1.3.1
ZLIB_SRC_PACKAGE=zlib
ZLIB_ORIG_TARBALL=zlib_1.3.dfsg+really1.3.1.orig.tar.gz
ZLIB_ORIG_SHA256=60dd315c07f616887caa029408308a018ace66e3d142726a97db164b3b8f69fb
ZLIB_SRC_DIR=zlib-1.3.1

# --- wasi-libc (trixie binary package, arch all) -------------------------------
# One "version sha256" pair per line.
WASI_LIBC_PACKAGE=wasi-libc
WASI_LIBC_ACCEPTED='
0.0~git20241209.574b88d-2 b7716260051d289248b7667f81fa2792c125d888ff51da3fa09c6272cc0bd11d
'

# --- compilers (bookworm) -------------------------------------------------------
# clang-19 builds the guest (wasm32-wasi) and compiles wasm2c's C output.
CLANG=clang-19
CLANG_VERSION_RE='^Debian clang version 19\.1\.'
WASM_LD=wasm-ld-19
LLVM_AR=llvm-ar-19
LLVM_RANLIB=llvm-ranlib-19
LLVM_NM=llvm-nm-19
LLVM_STRIP=llvm-strip-19

# --- Debian suite that provides the sources above --------------------------------
TRIXIE_SUITE=trixie
DEBIAN_MIRROR=${PYEDGE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
