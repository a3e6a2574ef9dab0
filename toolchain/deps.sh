#!/bin/bash
# toolchain/deps.sh host|python|bench|fuzz|all -- install the Debian 12 packages a build needs.
#
#   host    build/pyedge and its tests: C compiler, OpenSSL, cmocka, wabt
#           (wasm2c), clang-19 (compiles the C that wasm2c generates),
#           clang-format (the layout check)
#   python  CPython for WASI (make python): clang-19/lld-19/compiler-rt for
#           wasm32, llvm-19 tools, a native toolchain and the -dev packages of
#           the native reference build, dpkg-dev/xz-utils for the sources
#   bench   hyperfine for bench/run.sh
#   fuzz    libFuzzer targets (make fuzz): clang-19 and its compiler-rt
#   all     host and python
#
# Asks dpkg first; runs `apt-get update` and `apt-get install -y` only when a
# package is missing (with sudo when not root). Silent when nothing is to do.
set -euo pipefail

host_pkgs=(gcc make libssl-dev libcmocka-dev pkg-config wabt clang-19 libuv1-dev libhttp-parser-dev
           libcurl4-openssl-dev libsqlite3-dev libhiredis-dev libmaxminddb-dev ca-certificates  # platform services
           libpq-dev libmariadb-dev libmosquitto-dev    # spin_sdk postgres, mysql, mqtt (headers; the libraries are dlopen'ed on first use)
           libseccomp-dev                               # the serving process's system-call filter
           postgresql mariadb-server mosquitto          # service tests: the real servers, started on loopback by the tests
           redis-server python3-jwt python3-cryptography openssl python3-pip  # service tests: a real Redis, tokens made by PyJWT, a test CA, pip bundles
           sqlite3                                      # the soak reads the stores it wrote
           mosquitto-clients                            # test_mqtt.py: a real subscriber (mosquitto_sub)
           clang-format                                 # tests/style/format.sh, make format (Debian 12: 14)
           python3)                                     # python3: the test runners (tests/)
bench_pkgs=(hyperfine python3)
fuzz_pkgs=(clang-19 libclang-rt-19-dev)                  # libFuzzer, ASan and UBSan runtimes for clang-19
python_pkgs=(
    clang-19 lld-19 libclang-rt-19-dev-wasm32 llvm-19      # wasm32-wasi compiler, linker, builtins, llvm-ar/strip
    gcc make pkg-config                                   # native build python
    zlib1g-dev libffi-dev libssl-dev libbz2-dev liblzma-dev libsqlite3-dev uuid-dev
    dpkg-dev xz-utils ca-certificates debian-archive-keyring   # apt-get source, .orig.tar.xz, trixie keys
    util-linux wabt                                       # flock; wasm-objdump checks the exports
)

case "${1:-}" in
    host) pkgs=("${host_pkgs[@]}") ;;
    python) pkgs=("${python_pkgs[@]}") ;;
    bench) pkgs=("${bench_pkgs[@]}") ;;
    fuzz) pkgs=("${fuzz_pkgs[@]}") ;;
    all) pkgs=("${host_pkgs[@]}" "${python_pkgs[@]}") ;;
    *) echo "usage: $0 host|python|bench|fuzz|all" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
    case " ${missing[*]-} " in *" $p "*) continue ;; esac
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "deps.sh: missing packages ${missing[*]}, and not root (no sudo)" >&2; exit 1; }
    sudo=(sudo)
fi
echo "[deps] installing: ${missing[*]}" >&2
"${sudo[@]}" apt-get update -q >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
