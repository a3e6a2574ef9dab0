#!/bin/bash
# bench/serve/run.sh -- HTTP serving benchmark: `pyedge up` serving
# examples/hello (GET /) against, in the same run, nginx returning a fixed
# body, FastAPI on uvicorn (2 workers, httptools + uvloop) and Pyodide in Node (one interpreter
# for all requests), all on loopback. For each: requests/s and latency with
# wrk (1 connection for latency, $CONNS connections / 2 threads for
# throughput), peak RSS of the server's process tree under load, cold start
# (launch to first 200 response). For pyedge also: per-request sandbox
# creation time (median of its access log's "(sandbox X ms)") and, when perf
# works, the top symbols of a cpu-clock profile under load.
#
# Two configurations of the Python servers. The main rows run each one as
# lean as it goes: pyedge --quiet, uvicorn with httptools + uvloop and no
# access log. The "-dflt" rows run both with their default options: pyedge
# up with its access log, uvicorn with its access log (and, by its own
# choice, httptools + uvloop, which are installed); both logs go to a file.
#
# Raw outputs go to build/bench/serve/. Not a test: numbers vary with the
# machine's load, and wrk shares the machine's CPUs with the server.
#
# The machine's speed drifts while the servers are measured one after the
# other, so the ratios that matter are measured once more at the end with
# pyedge, uvicorn (lean), Pyodide and both "-dflt" configurations running
# side by side: ROUNDS rounds of one c$CONNS wrk run each, the order
# rotating, and the median of each round's ratio.
#
# Environment: DURATION (seconds per wrk run, default 10), CONNS (default 32),
# PERF=0 to skip the profile, PYODIDE=0 to skip Pyodide, ROUNDS (default 5,
# 0 to skip the alternating rounds), ROUND_SECONDS (default 4).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
HERE=$ROOT/bench/serve
OUT=$ROOT/build/bench/serve
D=${DURATION:-10}
CONNS=${CONNS:-32}
PYEDGE=$ROOT/build/pyedge
PY=/usr/bin/python3          # Debian's python3: the one python3-fastapi is for
mkdir -p "$OUT"
rm -f "$OUT"/*.txt "$OUT"/*.log "$OUT"/*.conf "$OUT"/perf.data*

log() { echo "serve-bench: $*" >&2; }

# --- dependencies, from Debian ---------------------------------------------
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
APT_UPDATED=
apt_install() {
    [ -n "$APT_UPDATED" ] || { $SUDO apt-get update -qq >/dev/null 2>&1 || true; APT_UPDATED=1; }
    log "installing $* (apt-get)"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >"$OUT/apt.log" 2>&1 ||
        { log "apt-get install $* failed (see $OUT/apt.log)"; return 1; }
}
need() { command -v "$1" >/dev/null 2>&1 || apt_install "$2"; }
need wrk wrk || exit 1
need curl curl || exit 1
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || apt_install nginx || exit 1
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$PY" ] || apt_install python3 || exit 1
"$PY" -c 'import fastapi, uvicorn' 2>/dev/null || apt_install python3-fastapi python3-uvicorn || exit 1
# uvicorn "standard": httptools + uvloop. Its pure-Python h11 protocol (what
# Debian's uvicorn uses without them) stalls ~44 ms per keep-alive request
# here (delayed ACK): 23 req/s at 1 connection and 727 at 32, not a useful
# reference.
"$PY" -c 'import httptools, uvloop' 2>/dev/null || apt_install python3-httptools python3-uvloop || exit 1
if [ "${PERF:-1}" != 0 ] && ! command -v perf >/dev/null; then apt_install linux-perf || true; fi
[ -x "$PYEDGE" ] || { log "$PYEDGE missing; run make"; exit 1; }

# --- process bookkeeping: every server started here is stopped on exit -------
PIDS=()
TMPS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    for t in "${TMPS[@]}"; do rm -rf "$t"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
stop() {                            # stop one server (and wait for it)
    kill -TERM "$1" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null
}
freeport() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# launch NAME CMD...: start a server in the background; sets SPID and COLD (ms)
launch() {
    local name=$1 url=$2; shift 2
    local t0
    t0=$("$PY" -c 'import time; print(time.time_ns())')
    "$@" >"$OUT/$name.server.log" 2>&1 &
    SPID=$!
    PIDS+=("$SPID")
    if COLD=$("$PY" "$HERE/poll.py" "$url" "$t0" 120); then
        log "$name up (pid $SPID) in $COLD ms"
    else
        COLD=
        log "$name did not answer $url (see $OUT/$name.server.log)"
        return 1
    fi
}

# start NAME KIND PORT: starts configuration KIND (pyedge, pyedge-dflt,
# uvicorn, uvicorn-dflt, pyodide) on PORT under launch's NAME. The one place
# each command line is written, so the single runs and the alternating rounds
# measure the same servers.
start() {
    local name=$1 kind=$2 port=$3 url=http://127.0.0.1:$3/
    case $kind in
        pyedge) launch "$name" "$url" "$PYEDGE" up -f examples/hello --listen "127.0.0.1:$port" --quiet ;;
        pyedge-dflt) launch "$name" "$url" "$PYEDGE" up -f examples/hello --listen "127.0.0.1:$port" ;;
        uvicorn) launch "$name" "$url" "$PY" -m uvicorn --app-dir "$HERE" --workers 2 --http httptools \
                     --loop uvloop --host 127.0.0.1 --port "$port" --no-access-log --log-level warning \
                     fastapi_app:app ;;
        uvicorn-dflt) launch "$name" "$url" "$PY" -m uvicorn --app-dir "$HERE" --workers 2 \
                          --host 127.0.0.1 --port "$port" fastapi_app:app ;;
        pyodide) launch "$name" "$url" node "$HERE/pyodide_server.mjs" "$PYO_DIR" "$port" ;;
    esac
}

# wrk output -> numbers in ms / req/s
to_ms() { awk '{ v=$1; if (v ~ /us$/) printf "%.3f", v*0.001; else if (v ~ /ms$/) printf "%.3f", v+0;
                 else if (v ~ /m$/) printf "%.3f", v*60000; else if (v ~ /s$/) printf "%.3f", v*1000; else print v }'; }
wrk_rps() { awk '/^Requests\/sec:/ { print $2 }' "$1"; }
wrk_pct() { awk -v p="$2%" '$1 == p { print $2 }' "$1" | to_ms; }
wrk_errs() { awk '/Non-2xx|Socket errors/ { sub(/^ +/, ""); printf "%s; ", $0 }' "$1"; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
declare -A RPS P50 P99 P50N P99N RPS1 RSS HWM COLDS NOTE
# measure NAME URL PID: warm-up, then 1 connection and $CONNS connections
measure() {
    local name=$1 url=$2 pid=$3
    wrk -t2 -c"$CONNS" -d2s "$url" >"$OUT/$name.wrk-warmup.txt" 2>&1
    "$PY" "$HERE/rss.py" "$pid" $((2 * D + 3)) >"$OUT/$name.rss.txt" &
    local sampler=$!
    wrk -t1 -c1 -d"${D}s" --latency "$url" >"$OUT/$name.wrk-c1.txt" 2>&1
    wrk -t2 -c"$CONNS" -d"${D}s" --latency "$url" >"$OUT/$name.wrk-c$CONNS.txt" 2>&1
    wait "$sampler"
    RPS1[$name]=$(wrk_rps "$OUT/$name.wrk-c1.txt")
    P50[$name]=$(wrk_pct "$OUT/$name.wrk-c1.txt" 50)
    P99[$name]=$(wrk_pct "$OUT/$name.wrk-c1.txt" 99)
    RPS[$name]=$(wrk_rps "$OUT/$name.wrk-c$CONNS.txt")
    P50N[$name]=$(wrk_pct "$OUT/$name.wrk-c$CONNS.txt" 50)
    P99N[$name]=$(wrk_pct "$OUT/$name.wrk-c$CONNS.txt" 99)
    read -r RSS[$name] HWM[$name] <"$OUT/$name.rss.txt"
    local e
    e=$(wrk_errs "$OUT/$name.wrk-c1.txt")$(wrk_errs "$OUT/$name.wrk-c$CONNS.txt")
    [ -z "$e" ] || NOTE[$name]="wrk: $e"
    log "$name: ${RPS[$name]} req/s at c$CONNS, p50 ${P50[$name]} ms at c1"
}

# --- pyedge ------------------------------------------------------------------
# the user's path: `pyedge build` makes the snapshot file, `up` starts from it
"$PYEDGE" build -f examples/hello >"$OUT/pyedge.build.log" 2>&1 || log "pyedge build failed (see $OUT/pyedge.build.log)"
PORT=$(freeport)
URL=http://127.0.0.1:$PORT/
if start pyedge pyedge "$PORT"; then
    COLDS[pyedge]=$COLD
    curl -s "$URL" >"$OUT/pyedge.body.txt"
    measure pyedge "$URL" "$SPID"
    # pyedge's own peak (VmHWM) of its single process
    grep -E 'VmHWM|VmRSS|Threads' "/proc/$SPID/status" >"$OUT/pyedge.status.txt" 2>/dev/null
    if [ "${PERF:-1}" != 0 ] && command -v perf >/dev/null; then
        wrk -t2 -c"$CONNS" -d8s "$URL" >"$OUT/pyedge.wrk-perf.txt" 2>&1 &
        wpid=$!
        sleep 1
        if perf record -e cpu-clock -g -o "$OUT/perf.data" -p "$SPID" -- sleep 5 >"$OUT/perf.record.log" 2>&1; then
            perf report -i "$OUT/perf.data" --no-children -g none --percent-limit 0.5 --stdio \
                --sort sym 2>/dev/null | grep -v '^#' | grep -v '^$' >"$OUT/pyedge.perf-symbols.txt"
            perf report -i "$OUT/perf.data" --no-children -g none --percent-limit 0.5 --stdio \
                --sort dso 2>/dev/null | grep -v '^#' | grep -v '^$' >"$OUT/pyedge.perf-dso.txt"
        else
            log "perf record failed (see $OUT/perf.record.log)"
        fi
        wait "$wpid"
    fi
    stop "$SPID"
    # a short pass with the access log on, for the per-request sandbox time,
    # and with PYEDGE_TRACE_PAGES=1: the pages each request's sandbox mapped
    # and copied (dirty) -- the cost that recycling and freezing keep down
    PORT=$(freeport)
    URL=http://127.0.0.1:$PORT/
    if PYEDGE_TRACE_PAGES=1 launch pyedge-log "$URL" "$PYEDGE" up -f examples/hello --listen "127.0.0.1:$PORT"; then
        wrk -t1 -c1 -d3s "$URL" >"$OUT/pyedge-log.wrk-c1.txt" 2>&1
        sleep 0.3
        n1=$(wc -l <"$OUT/pyedge-log.server.log")
        wrk -t2 -c"$CONNS" -d3s "$URL" >"$OUT/pyedge-log.wrk-c$CONNS.txt" 2>&1
        sleep 0.3
        stop "$SPID"
        med() { sed -n 's/.*(sandbox \([0-9.]*\)ms).*/\1/p' | sort -n |
                awk '{ a[NR] = $1 } END { if (NR) printf "%.3f ms (n=%d)", a[int((NR + 1) / 2)], NR; else print "n/a" }'; }
        medt() { sed -n 's/^GET .* \([0-9.]*\)ms (sandbox.*/\1/p' | sort -n |
                awk '{ a[NR] = $1 } END { if (NR) printf "%.3f ms", a[int((NR + 1) / 2)]; else print "n/a" }'; }
        SB1=$(head -n "$n1" "$OUT/pyedge-log.server.log" | med)
        SBN=$(tail -n +"$((n1 + 1))" "$OUT/pyedge-log.server.log" | med)
        RT1=$(head -n "$n1" "$OUT/pyedge-log.server.log" | medt)
        RTN=$(tail -n +"$((n1 + 1))" "$OUT/pyedge-log.server.log" | medt)
        PAGES=$(sed -n 's/.*pages mapped \([0-9]*\), dirty \([0-9]*\).*/\1 \2/p' "$OUT/pyedge-log.server.log" |
                sort -n -k2 | awk '{ m[NR] = $1; d[NR] = $2 } END { if (NR) printf "median dirty %d of %d mapped 4 KiB pages (n=%d)", d[int((NR + 1) / 2)], m[int((NR + 1) / 2)], NR; else print "n/a" }')
    fi
else
    NOTE[pyedge]="did not start"
fi

# --- pyedge with its defaults (access log on) ------------------------------------
PORT=$(freeport)
URL=http://127.0.0.1:$PORT/
if start pyedge-dflt pyedge-dflt "$PORT"; then
    COLDS[pyedge-dflt]=$COLD
    measure pyedge-dflt "$URL" "$SPID"
    stop "$SPID"
else
    NOTE[pyedge-dflt]="did not start"
fi

# --- nginx, fixed body ---------------------------------------------------------
NT=$(mktemp -d /tmp/serve-bench-nginx.XXXXXX)
TMPS+=("$NT")
PORT=$(freeport)
URL=http://127.0.0.1:$PORT/
BODY='{"service": "hello", "runtime": "cpython-wasm", "ok": true, "timestamp": 1700000000}'
cat >"$NT/nginx.conf" <<EOF
worker_processes 2;
pid $NT/nginx.pid;
error_log $NT/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $NT/body;
    proxy_temp_path $NT/proxy;
    fastcgi_temp_path $NT/fastcgi;
    uwsgi_temp_path $NT/uwsgi;
    scgi_temp_path $NT/scgi;
    server {
        listen 127.0.0.1:$PORT;
        location / {
            default_type application/json;
            add_header cache-control no-store;
            return 200 '$BODY';
        }
    }
}
EOF
cp "$NT/nginx.conf" "$OUT/nginx.conf"
if launch nginx "$URL" "$NGINX" -e "$NT/error.log" -p "$NT" -c "$NT/nginx.conf" -g 'daemon off;'; then
    COLDS[nginx]=$COLD
    measure nginx "$URL" "$SPID"
    stop "$SPID"
else
    NOTE[nginx]="did not start"
fi

# --- FastAPI on uvicorn, 2 workers --------------------------------------------
PORT=$(freeport)
URL=http://127.0.0.1:$PORT/
if start uvicorn uvicorn "$PORT"; then
    COLDS[uvicorn]=$COLD
    curl -s "$URL" >"$OUT/uvicorn.body.txt"
    measure uvicorn "$URL" "$SPID"
    stop "$SPID"
else
    NOTE[uvicorn]="did not start"
fi

# --- uvicorn with its default options (access log on) --------------------------------
PORT=$(freeport)
URL=http://127.0.0.1:$PORT/
if start uvicorn-dflt uvicorn-dflt "$PORT"; then
    COLDS[uvicorn-dflt]=$COLD
    measure uvicorn-dflt "$URL" "$SPID"
    stop "$SPID"
else
    NOTE[uvicorn-dflt]="did not start"
fi

# --- Pyodide in Node, one interpreter --------------------------------------------
if [ "${PYODIDE:-1}" = 0 ]; then
    NOTE[pyodide]="not measured: PYODIDE=0"
elif ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    NOTE[pyodide]="not measured: node/npm not found"
else
    PT=$(mktemp -d /tmp/serve-bench-pyodide.XXXXXX)
    TMPS+=("$PT")
    if (cd "$PT" && timeout 300 npm install --no-audit --no-fund --loglevel=error pyodide) >"$OUT/pyodide.npm.log" 2>&1 &&
            [ -f "$PT/node_modules/pyodide/pyodide.mjs" ]; then
        PYOV=$(node -p "require('$PT/node_modules/pyodide/package.json').version" 2>/dev/null)
        PORT=$(freeport)
        URL=http://127.0.0.1:$PORT/
        PYO_DIR=$PT/node_modules/pyodide
        if start pyodide pyodide "$PORT"; then
            COLDS[pyodide]=$COLD
            curl -s "$URL" >"$OUT/pyodide.body.txt"
            measure pyodide "$URL" "$SPID"
            stop "$SPID"
            PYO_UP=1
            NOTE[pyodide]="${NOTE[pyodide]:-}pyodide $PYOV, node $(node --version)"
        else
            NOTE[pyodide]="not measured: server did not start: $(tail -n 3 "$OUT/pyodide.server.log" | tr '\n' ' ')"
        fi
    else
        NOTE[pyodide]="not measured: npm install pyodide failed: $(tail -n 3 "$OUT/pyodide.npm.log" | tr '\n' ' ')"
    fi
fi

# --- alternating rounds: all the Python servers side by side ---------------------
ROUNDS=${ROUNDS:-5}
RS=${ROUND_SECONDS:-4}
declare -A RURL
ROUND_NAMES=()
ROUND_LINES=()
if [ "$ROUNDS" -gt 0 ]; then
    for kind in pyedge uvicorn pyedge-dflt uvicorn-dflt pyodide; do
        [ "$kind" != pyodide ] || [ -n "${PYO_UP:-}" ] || continue   # not installed, or did not start
        PORT=$(freeport)
        if start "round-$kind" "$kind" "$PORT"; then
            RURL[$kind]=http://127.0.0.1:$PORT/
            ROUND_NAMES+=("$kind")
        fi
    done
    # warm-up: long enough for Node's JIT as well
    for s in "${ROUND_NAMES[@]}"; do wrk -t2 -c"$CONNS" -d5s "${RURL[$s]}" >/dev/null 2>&1; done
    n=${#ROUND_NAMES[@]}
    for r in $(seq "$ROUNDS"); do
        declare -A RR=()
        for k in $(seq 0 $((n - 1))); do    # rotate: round r starts at a different server
            s=${ROUND_NAMES[$(( (k + r) % n ))]}
            wrk -t2 -c"$CONNS" -d"${RS}s" "${RURL[$s]}" >"$OUT/round$r-$s.txt" 2>&1
            RR[$s]=$(wrk_rps "$OUT/round$r-$s.txt")
        done
        ROUND_LINES+=("$(printf 'round %d: pyedge %s, uvicorn %s, pyodide %s, pyedge-dflt %s, uvicorn-dflt %s; pyedge/uvicorn %s, dflt/dflt %s, pyedge/pyodide %s' "$r" \
            "${RR[pyedge]:-n/a}" "${RR[uvicorn]:-n/a}" "${RR[pyodide]:-n/a}" "${RR[pyedge-dflt]:-n/a}" \
            "${RR[uvicorn-dflt]:-n/a}" "$(ratio "${RR[pyedge]:-0}" "${RR[uvicorn]:-0}")" \
            "$(ratio "${RR[pyedge-dflt]:-0}" "${RR[uvicorn-dflt]:-0}")" "$(ratio "${RR[pyedge]:-0}" "${RR[pyodide]:-0}")")")
    done
fi
median_of() { tr ' ' '\n' | grep -v '^n/a$' | grep . | sort -g |
              awk '{ a[NR] = $1 } END { if (NR) print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2); else print "n/a" }'; }

# --- report --------------------------------------------------------------------
mib() { awk -v k="$1" 'BEGIN { if (k > 0) printf "%.1f", k / 1024; else print "-" }'; }
{
echo
echo "== HTTP serving, GET / on loopback ($(nproc) CPUs, wrk ${D}s per run; wrk shares the CPUs)"
printf '%-12s %10s %9s %9s %10s %9s %9s %9s %9s %9s\n' "server" "req/s" "p50 ms" "p99 ms" "req/s" "p50 ms" "p99 ms" "RSS MiB" "HWM MiB" "cold ms"
printf '%-12s %10s %9s %9s %10s %9s %9s %9s %9s %9s\n' "" "c$CONNS" "c$CONNS" "c$CONNS" "c1" "c1" "c1" "peak" "sum" ""
for s in pyedge nginx uvicorn pyodide pyedge-dflt uvicorn-dflt; do
    if [ -n "${RPS[$s]:-}" ]; then
        printf '%-12s %10.0f %9s %9s %10.0f %9s %9s %9s %9s %9s\n' "$s" "${RPS[$s]}" "${P50N[$s]}" "${P99N[$s]}" \
            "${RPS1[$s]}" "${P50[$s]}" "${P99[$s]}" "$(mib "${RSS[$s]}")" "$(mib "${HWM[$s]}")" "${COLDS[$s]:-}"
    else
        printf '%-12s %s\n' "$s" "${NOTE[$s]:-not measured}"
        NOTE[$s]=
    fi
done
echo "  RSS: largest sampled sum of VmRSS over the server's process tree during the c1+c$CONNS runs;"
echo "  HWM: sum of the processes' VmHWM. cold: launch to first 200 response."
for s in pyedge nginx uvicorn pyodide pyedge-dflt uvicorn-dflt; do [ -z "${NOTE[$s]:-}" ] || echo "  $s: ${NOTE[$s]}"; done
echo "  ratio req/s pyedge/uvicorn: c$CONNS $(ratio "${RPS[pyedge]:-0}" "${RPS[uvicorn]:-0}"), c1 $(ratio "${RPS1[pyedge]:-0}" "${RPS1[uvicorn]:-0}")"
echo "  ratio req/s pyedge/pyodide: c$CONNS $(ratio "${RPS[pyedge]:-0}" "${RPS[pyodide]:-0}"), c1 $(ratio "${RPS1[pyedge]:-0}" "${RPS1[pyodide]:-0}")"
echo "  ratio req/s, both with defaults and access logs, pyedge-dflt/uvicorn-dflt: c$CONNS $(ratio "${RPS[pyedge-dflt]:-0}" "${RPS[uvicorn-dflt]:-0}"), c1 $(ratio "${RPS1[pyedge-dflt]:-0}" "${RPS1[uvicorn-dflt]:-0}")"
echo "  ratio req/s pyedge/nginx:   c$CONNS $(ratio "${RPS[pyedge]:-0}" "${RPS[nginx]:-0}"), c1 $(ratio "${RPS1[pyedge]:-0}" "${RPS1[nginx]:-0}")"
if [ "${#ROUND_LINES[@]}" -gt 0 ]; then
    echo "== alternating rounds, c$CONNS, ${RS}s each, servers side by side"
    for l in "${ROUND_LINES[@]}"; do echo "  $l"; done
    echo "  median ratio pyedge/uvicorn $(printf '%s\n' "${ROUND_LINES[@]}" | sed -n 's/.*pyedge\/uvicorn \([^,]*\),.*/\1/p' | median_of)," \
         "both with defaults $(printf '%s\n' "${ROUND_LINES[@]}" | sed -n 's/.*dflt\/dflt \([^,]*\),.*/\1/p' | median_of)," \
         "pyedge/pyodide $(printf '%s\n' "${ROUND_LINES[@]}" | sed -n 's/.*pyedge\/pyodide \(.*\)$/\1/p' | median_of)"
fi
if [ -n "${SB1:-}" ]; then
    echo "== pyedge per request (access log pass, 3 s each): median sandbox creation / whole request"
    echo "  c1:  sandbox $SB1, request $RT1"
    echo "  c$CONNS: sandbox $SBN, request $RTN"
    echo "  pages per request: ${PAGES:-n/a}"
fi
if [ -s "$OUT/pyedge.perf-symbols.txt" ]; then
    echo "== pyedge perf (cpu-clock, 5 s at c$CONNS), top symbols (self)"
    head -n 15 "$OUT/pyedge.perf-symbols.txt"
    echo "  by object:"
    head -n 8 "$OUT/pyedge.perf-dso.txt"
fi
echo "raw outputs: $OUT"
} | tee "$OUT/summary.txt"
