#!/bin/bash
# tests/serve/build.sh -- `pyedge build`: snapshot files, and `pyedge up`
# starting from them only while they match the app.
# One PASS/FAIL line per case; the last line is "N passed, M failed".
# Usage: tests/serve/build.sh [-k NAME]... [--list] (tests/lib/select.sh;
# a case runs the earlier ones it needs, silently).
set -u
# shellcheck source=../lib/select.sh
. "$(dirname "$0")/../lib/select.sh"
select_args "$@"
[ ${#SELECT_REST[@]} -eq 0 ] || { echo "usage: tests/serve/build.sh [-k NAME]... [--list]" >&2; exit 2; }
cd "$(dirname "$0")/../.."
PYEDGE=${PYEDGE:-build/pyedge}
WORK=$(mktemp -d /tmp/pe-build-test-XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT
passed=0
failed=0
ok() { reported "$1" || return 0; passed=$((passed + 1)); echo "PASS $1"; }
bad() { reported "$1" || return 0; failed=$((failed + 1)); echo "FAIL $1: $2"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# serve DIR: starts pyedge up, waits for it, sets PORT and LOG
serve() {
    PORT=$(free_port)
    LOG=$WORK/up-$PORT.log
    "$PYEDGE" up -f "$1" --listen "127.0.0.1:$PORT" --quiet >"$LOG" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 100); do
        grep -q '^pyedge: serving' "$LOG" && return 0
        sleep 0.1
    done
    return 1
}
stop() { kill -TERM "${PIDS[-1]}" 2>/dev/null; wait "${PIDS[-1]}" 2>/dev/null; }

cp -r examples/hello "$WORK/app"
rm -rf "$WORK/app/.spin"

# 1. build writes one small snapshot file per component
if begin build_writes_a_small_snapshot up_starts_from_the_snapshot requests_after_a_file_start \
    stale_snapshot_not_used; then
if "$PYEDGE" build -f "$WORK/app" >"$WORK/build.log" 2>&1; then
    snap=$(ls "$WORK"/app/.spin/pyedge/hello-*.snap 2>/dev/null)
    size=$(stat -c %s "$snap" 2>/dev/null || echo 0)
    if [ -n "$snap" ] && [ "$size" -gt 0 ] && [ "$size" -lt $((16 << 20)) ] &&
        grep -q "hello built: app.py pre-initialized" "$WORK/build.log"; then
        ok build_writes_a_small_snapshot
    else
        bad build_writes_a_small_snapshot "snapshot '$snap' of $size bytes; $(tail -2 "$WORK/build.log")"
    fi
else
    bad build_writes_a_small_snapshot "exit $?: $(tail -3 "$WORK/build.log")"
fi
fi

# 2. up starts from it and serves
if begin up_starts_from_the_snapshot requests_after_a_file_start; then
if serve "$WORK/app"; then
    body=$(curl -s "http://127.0.0.1:$PORT/")
    if grep -q "from its snapshot file" "$LOG" && grep -q '"service": "hello"' <<<"$body"; then
        ok up_starts_from_the_snapshot
    else
        bad up_starts_from_the_snapshot "log: $(head -2 "$LOG"); body: $body"
    fi
    # every request still gets a fresh sandbox: two requests, same answer shape
    b2=$(curl -s "http://127.0.0.1:$PORT/")
    grep -q '"ok": true' <<<"$b2" && ok requests_after_a_file_start || bad requests_after_a_file_start "$b2"
    stop
else
    bad up_starts_from_the_snapshot "server did not start: $(tail -3 "$LOG")"
fi
fi

# 3. a changed app does not use the stale snapshot
sed -i 's/"service": "hello"/"service": "changed"/' "$WORK/app/app.py"
if begin stale_snapshot_not_used; then
if serve "$WORK/app"; then
    body=$(curl -s "http://127.0.0.1:$PORT/")
    if grep -q "pre-initialized" "$LOG" && ! grep -q "from its snapshot file" "$LOG" &&
        grep -q '"service": "changed"' <<<"$body"; then
        ok stale_snapshot_not_used
    else
        bad stale_snapshot_not_used "log: $(head -2 "$LOG"); body: $body"
    fi
    stop
else
    bad stale_snapshot_not_used "server did not start: $(tail -3 "$LOG")"
fi
fi

# 4. a corrupt snapshot is refused with a message, and up still serves
if begin corrupt_snapshot_refused; then
"$PYEDGE" build -f "$WORK/app" >"$WORK/build2.log" 2>&1
snap=$(ls -t "$WORK"/app/.spin/pyedge/hello-*.snap | head -n 1)
head -c 1000 "$snap" >"$snap.tmp" && mv "$snap.tmp" "$snap"
if serve "$WORK/app"; then
    body=$(curl -s "http://127.0.0.1:$PORT/")
    if grep -q "not using" "$LOG" && grep -q '"service": "changed"' <<<"$body"; then
        ok corrupt_snapshot_refused
    else
        bad corrupt_snapshot_refused "log: $(head -3 "$LOG"); body: $body"
    fi
    stop
else
    bad corrupt_snapshot_refused "server did not start: $(tail -3 "$LOG")"
fi
fi

# 5. build --help explains itself
if begin build_help; then
"$PYEDGE" build --help | grep -q "snapshot file" && ok build_help || bad build_help "no help text"
fi

# 6. Spin's spellings: `spin up --build` builds then serves, as `build -u`
# does; --find-free-port serves on the next port when the asked one is taken
if begin up_build_builds_then_serves; then
cp -r examples/hello "$WORK/app2"
rm -rf "$WORK/app2/.spin"
printf 'spin-sdk == 3.4.1\n' >"$WORK/app2/requirements.txt" # a build note, said once
PORT=$(free_port)
LOG=$WORK/upbuild.log
"$PYEDGE" up --build -f "$WORK/app2" --listen "127.0.0.1:$PORT" --quiet >"$LOG" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 300); do grep -q '^Available Routes:' "$LOG" && break; sleep 0.1; done
body=$(curl -s "http://127.0.0.1:$PORT/")
if grep -q 'hello built:' "$LOG" && grep -q "^Serving http://127.0.0.1:$PORT\$" "$LOG" &&
    ls "$WORK"/app2/.spin/pyedge/hello-*.snap >/dev/null 2>&1 && [ -n "$body" ] &&
    [ "$(grep -c "'spin-sdk == 3.4.1' skipped" "$LOG")" = 1 ]; then
    ok up_build_builds_then_serves
else
    bad up_build_builds_then_serves "body '$body'; log: $(cat "$LOG" | tr '\n' ' ')"
fi
stop
fi

if begin find_free_port; then
PORT=$(free_port)
# something else holds PORT (listening) for the length of this case
python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(60)' "$PORT" &
HOLDER=$!
PIDS+=($HOLDER)
sleep 0.3
taken=$("$PYEDGE" up -f examples/hello --listen "127.0.0.1:$PORT" --quiet 2>&1)
LOG=$WORK/free.log
"$PYEDGE" up -f examples/hello --listen "127.0.0.1:$PORT" --find-free-port --quiet >"$LOG" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do grep -q '^Available Routes:' "$LOG" && break; sleep 0.1; done
got=$(sed -n 's|^Serving http://127.0.0.1:\([0-9]*\)$|\1|p' "$LOG")
if grep -q 'address already in use' <<<"$taken" && [ -n "$got" ] && [ "$got" -gt "$PORT" ] &&
    [ -n "$(curl -s "http://127.0.0.1:$got/")" ]; then
    ok find_free_port
else
    bad find_free_port "port $PORT taken; without the flag: '$taken'; with it: '$got'; $(head -4 "$LOG" | tr '\n' ' ')"
fi
stop
kill "$HOLDER" 2>/dev/null
fi

# 7. An app built in spin-python-sdk's layout: a -p directory holding an
# older spin_sdk of its own (here one that refuses to be imported) and a -p
# that no longer exists. pyedge's spin_sdk is imported all the same, the
# build says so once, and the missing -p is a warning.
if begin own_spin_sdk_in_a_p_path; then
cp -r examples/hello "$WORK/sdkapp"
rm -rf "$WORK/sdkapp/.spin"
mkdir -p "$WORK/sdkapp/vendor/spin_sdk/http"
echo '# an old copy' >"$WORK/sdkapp/vendor/spin_sdk/__init__.py"
echo 'raise ImportError("the vendored copy was imported")' >"$WORK/sdkapp/vendor/spin_sdk/http/__init__.py"
sed -i 's|componentize app -o app.wasm|componentize -p . -p vendor -p ../gone app -o app.wasm|' \
    "$WORK/sdkapp/spin.toml"
LOG=$WORK/sdkapp.log
if "$PYEDGE" build -f "$WORK/sdkapp" >"$LOG" 2>&1 &&
    [ "$(grep -c "holds its own spin_sdk: pyedge's spin_sdk and componentize_py_\* are used" "$LOG")" = 1 ] &&
    grep -q "warning: .*the -p path '../gone' of the build command is not a directory" "$LOG" &&
    grep -q 'hello built:' "$LOG"; then
    ok own_spin_sdk_in_a_p_path
else
    bad own_spin_sdk_in_a_p_path "$(tr '\n' ' ' <"$LOG" | tail -c 600)"
fi
fi

select_end
[ "$failed" -eq 0 ]
