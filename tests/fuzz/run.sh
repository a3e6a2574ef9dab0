#!/bin/bash
# tests/fuzz/run.sh -- the libFuzzer targets (tests/fuzz/fuzz_<name>.c): builds
# them, runs each for FUZZ_SECONDS (default 20) from a copy of its seed corpus,
# then replays every input in tests/fuzz/regressions/<name>/ (crashes found
# before, each fixed). One line per target and a summary:
#   PASS fuzz_<name> (N execs, E exec/s, corpus C)
#   FAIL fuzz_<name> (why; log: build/fuzz/logs/<name>.log)
#   N passed, M failed
#
# Usage: tests/fuzz/run.sh [NAME...]      (default: every target)
#   FUZZ_SECONDS=N   time per target (make fuzz: 60); 0 runs the corpus once
#                    without fuzzing
#   FUZZ_NO_BUILD=1  the targets are built already (make fuzz builds first)
#
# Targets run one after the other (each uses one core). Inputs libFuzzer
# finds go to build/fuzz/corpus/<name> (kept between runs, never into the
# repository); a crash leaves its input in build/fuzz/artifacts/<name>/,
# to be fixed and then added to tests/fuzz/regressions/<name>/.
set -u
cd "$(dirname "$0")/../.."
FUZZ_SECONDS=${FUZZ_SECONDS:-20}

mkdir -p build
if [ -z "${FUZZ_NO_BUILD:-}" ]; then
    if ! make -s fuzz-build >build/fuzz-build.log 2>&1; then
        tail -n 30 build/fuzz-build.log
        echo "FAIL fuzz-build (log: build/fuzz-build.log)"
        echo "0 passed, 1 failed"
        exit 1
    fi
fi

# -max_len per target: a little above its largest meaningful input (the
# snapshot seed is an 8 KiB file; an RSA key and signature are 2 KiB).
max_len() {
    case $1 in
        hostcall | snapshot_file) echo 16384 ;;
        toml | manifest) echo 8192 ;;
        wasi_paths) echo 1024 ;;
        files_tree) echo 256 ;;
        router | outbound_url) echo 2048 ;;
        *) echo 4096 ;;
    esac
}

# -timeout per input: SQL statements may each run 100 ms, RSA signing is slow
# under ASan.
timeout_of() {
    case $1 in
        hostcall) echo 30 ;;
        *) echo 10 ;;
    esac
}

if [ $# -gt 0 ]; then
    targets=("$@")
else
    targets=()
    for f in tests/fuzz/fuzz_*.c; do
        n=${f#tests/fuzz/fuzz_}
        targets+=("${n%.c}")
    done
fi

pass=0
fail=0
mkdir -p build/fuzz/logs
for name in "${targets[@]}"; do
    bin=build/fuzz/fuzz_$name
    log=build/fuzz/logs/$name.log
    corpus=build/fuzz/corpus/$name
    artifacts=build/fuzz/artifacts/$name/
    if [ ! -x "$bin" ]; then
        echo "FAIL fuzz_$name (no $bin)"
        fail=$((fail + 1))
        continue
    fi
    mkdir -p "$corpus" "$artifacts"
    [ -d "tests/fuzz/corpus/$name" ] && cp -n tests/fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null
    opts=(-max_len="$(max_len "$name")" -timeout="$(timeout_of "$name")"
          -artifact_prefix="$artifacts" -print_final_stats=1)
    # libFuzzer reads -max_total_time=0 as "no limit"
    if [ "$FUZZ_SECONDS" -gt 0 ]; then opts+=(-max_total_time="$FUZZ_SECONDS"); else opts+=(-runs=0); fi
    [ -f "tests/fuzz/$name.dict" ] && opts+=(-dict="tests/fuzz/$name.dict")
    "$bin" "${opts[@]}" "$corpus" >"$log" 2>&1
    rc=$?
    if [ $rc -ne 0 ]; then
        what=$(grep -m1 -oE 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer): [^(]*|runtime error: .*|check failed: .*' "$log")
        art=$(grep -m1 -oE "Test unit written to [^ ]+" "$log" | sed 's/Test unit written to //')
        echo "FAIL fuzz_$name (${what:-exit $rc}${art:+; input: $art}; log: $log)"
        fail=$((fail + 1))
        continue
    fi
    execs=$(grep -oE 'Done [0-9]+ runs' "$log" | tail -n 1 | grep -oE '[0-9]+')
    rate=$(grep -E '#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 | grep -oE 'exec/s: [0-9]+' | grep -oE '[0-9]+')
    size=$(find "$corpus" -type f | wc -l)
    # the regressions: each once, none may crash
    regs=()
    if [ -d "tests/fuzz/regressions/$name" ]; then
        while IFS= read -r f; do regs+=("$f"); done < <(find "tests/fuzz/regressions/$name" -type f | sort)
    fi
    if [ ${#regs[@]} -gt 0 ]; then
        if ! "$bin" -timeout="$(timeout_of "$name")" "${regs[@]}" >>"$log" 2>&1; then
            what=$(grep -oE 'Running: [^ ]+' "$log" | tail -n 1 | sed 's/Running: //')
            echo "FAIL fuzz_$name (regression ${what:-input} crashes; log: $log)"
            fail=$((fail + 1))
            continue
        fi
    fi
    echo "PASS fuzz_$name (${execs:-0} execs, ${rate:-0} exec/s, corpus $size${regs[0]:+, ${#regs[@]} regressions})"
    pass=$((pass + 1))
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
