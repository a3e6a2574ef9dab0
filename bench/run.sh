#!/bin/bash
# bench/run.sh -- pyedge python against the same CPython 3.13.5 built
# natively by the recipe (build/python/native), measured in the same run.
# Prints each figure and the ratio pyedge/native (lower is better; 1.0 = as
# fast as native). Not a test: numbers vary with the machine's load.
set -euo pipefail
cd "$(dirname "$0")/.."
NATIVE=build/python/native/bin/python3.13
PYEDGE=build/pyedge
RUNS=${RUNS:-20}
command -v hyperfine >/dev/null || toolchain/deps.sh bench
[ -x "$NATIVE" ] || { echo "bench: $NATIVE missing; run make" >&2; exit 1; }
out=build/bench
mkdir -p "$out"

echo "== start-up (hyperfine, $RUNS runs each, mean)"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
for args in "-S -c pass" "-c pass" "-c 'import json'"; do
    hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$out/startup.json" \
        "$NATIVE $args" "$PYEDGE python $args" >/dev/null 2>&1
    n=$(python3 -c "import json; r=json.load(open('$out/startup.json'))['results']; print(r[0]['mean'])")
    p=$(python3 -c "import json; r=json.load(open('$out/startup.json'))['results']; print(r[1]['mean'])")
    printf '  %-22s native %7.2f ms   pyedge %7.2f ms   ratio %s\n' "$args" \
        "$(awk -v x="$n" 'BEGIN{print x*1000}')" "$(awk -v x="$p" 'BEGIN{print x*1000}')" "$(ratio "$p" "$n")"
done

echo "== CPU-bound (best of 5 inside one process)"
"$NATIVE" bench/cpu.py > "$out/cpu-native.txt"
"$PYEDGE" python --ro-dir bench::/bench -- /bench/cpu.py > "$out/cpu-pyedge.txt"
total_n=0
total_p=0
while read -r name n; do
    p=$(awk -v k="$name" '$1 == k { print $2 }' "$out/cpu-pyedge.txt")
    printf '  %-10s native %8.2f ms   pyedge %8.2f ms   ratio %s\n' "$name" \
        "$(awk -v x="$n" 'BEGIN{print x*1000}')" "$(awk -v x="$p" 'BEGIN{print x*1000}')" "$(ratio "$p" "$n")"
    total_n=$(awk -v a="$total_n" -v b="$n" 'BEGIN{print a+b}')
    total_p=$(awk -v a="$total_p" -v b="$p" 'BEGIN{print a+b}')
done < "$out/cpu-native.txt"
printf '  %-10s native %8.2f ms   pyedge %8.2f ms   ratio %s\n' "total" \
    "$(awk -v x="$total_n" 'BEGIN{print x*1000}')" "$(awk -v x="$total_p" 'BEGIN{print x*1000}')" "$(ratio "$total_p" "$total_n")"
