#!/bin/bash
# tests/cli/new.sh -- `pyedge new` (every template, then served by
# `pyedge up`), its refusals, and `pyedge watch` restarting on a change.
#
# Prints "PASS <name>" or "FAIL <name>: <why>" per case and ends with
# "N passed, M failed" (exit 1 if any failed). Loopback only; apps live
# under one mktemp -d, removed on exit together with every server started
# here. Each server gets 30 s to come up; the whole suite takes ~10 s.
#
# Usage: tests/cli/new.sh [-k NAME]... [--list] (tests/lib/select.sh; a
# case runs the earlier ones it needs, silently).
# Environment: PYEDGE (default build/pyedge).
set -u
# shellcheck source=../lib/select.sh
. "$(dirname "$0")/../lib/select.sh"
select_args "$@"
[ ${#SELECT_REST[@]} -eq 0 ] || { echo "usage: tests/cli/new.sh [-k NAME]... [--list]" >&2; exit 2; }
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
PYEDGE=${PYEDGE:-$ROOT/build/pyedge}
case $PYEDGE in /*) ;; *) PYEDGE=$ROOT/$PYEDGE ;; esac

passed=0 failed=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pyedge-new.XXXXXX") || exit 1
PIDS=()
cleanup() {
    local p kids=()
    for p in "${PIDS[@]}"; do kids+=($(pgrep -P "$p")); done # a watch's server
    for p in "${PIDS[@]}" "${kids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass() { reported "$1" || return 0; passed=$((passed + 1)); echo "PASS $1"; }
fail() { reported "$1" || return 0; failed=$((failed + 1)); echo "FAIL $1: $2"; }
finish() { select_end; [ "$failed" -eq 0 ]; exit; }

if ! listing && [ ! -x "$PYEDGE" ]; then
    fail setup "$PYEDGE is not built (make)"
    finish
fi

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# get PORT: sets BODY and CODE ("000" when nothing answers).
get() {
    BODY=$(curl -s --max-time 5 -o - -w '\n%{http_code}' "http://127.0.0.1:$1/" 2>/dev/null)
    CODE=${BODY##*$'\n'}
    BODY=${BODY%$'\n'*}
    BODY=${BODY%$'\n'} # the static body ends with a newline
}

# wait_body PORT WANT SECONDS: polls until the server answers 200 WANT.
wait_body() {
    local end=$((SECONDS + $3))
    while :; do
        get "$1"
        [ "$CODE" = 200 ] && [ "$BODY" = "$2" ] && return 0
        [ $SECONDS -ge $end ] && return 1
        sleep 0.2
    done
}

# stop PID: SIGINT, wait up to 15 s (then SIGKILL); sets RC.
stop() {
    local i
    kill -INT "$1" 2>/dev/null
    for ((i = 0; i < 150; i++)); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$1" 2>/dev/null && { kill -KILL "$1"; echo "(killed $1)"; }
    wait "$1"
    RC=$?
}

cd "$WORK" || exit 1

# --- refusals and help ------------------------------------------------------

if begin "new --help lists templates"; then
out=$("$PYEDGE" new --help 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q '^  http-py-p2 .*spin-sdk 3.x' <<<"$out" &&
    grep -q '^  http-py .*spin-sdk 4.0' <<<"$out" && grep -q '^  static' <<<"$out"; then
    pass "new --help lists templates"
else fail "new --help lists templates" "rc=$rc: $out"; fi
fi

if begin "unknown template exits 2 with the list"; then
out=$("$PYEDGE" new no-such-template my-app 2>&1); rc=$?
if [ $rc -eq 2 ] && grep -q http-py <<<"$out" && [ ! -e my-app ]; then
    pass "unknown template exits 2 with the list"
else fail "unknown template exits 2 with the list" "rc=$rc: $out"; fi
fi

for bad in Bad_Name 1app my--app x- app- "my app" ../up MixedCase; do
    begin "bad name refused: '$bad'" || continue
    out=$("$PYEDGE" new http-py "$bad" 2>&1); rc=$?
    if [ $rc -ne 0 ] && [ ! -e "$bad" ] && grep -qi 'name' <<<"$out"; then
        pass "bad name refused: '$bad'"
    else fail "bad name refused: '$bad'" "rc=$rc: $out"; fi
done

# --- each template: files, then served ----------------------------------

declare -A FILES=(
    [http-py]="spin.toml app.py requirements.txt README.md .gitignore"
    [http-py-p2]="spin.toml app.py requirements.txt README.md .gitignore"
    [static]="spin.toml README.md"
)
declare -A WANT=(
    [http-py]="Hello from Python!"
    [http-py-p2]="Hello from Python!"
    [static]="Hello from app-static!"
)
WATCH_CASES=("watch serves the app" "watch restarts on a change"
             "watch stops on SIGINT, exit 0, no server left")
for t in http-py http-py-p2 static; do
    # the later cases that need this app
    later=("new $t content" "up serves $t")
    [ $t = static ] && later+=("existing directory refused, left alone")
    [ $t = http-py ] && later+=("${WATCH_CASES[@]}")
    begin "new $t creates the app" "${later[@]}" || continue
    app=app-$t
    out=$("$PYEDGE" new "$t" "$app" --accept-defaults 2>&1); rc=$?
    missing=""
    for f in ${FILES[$t]}; do [ -s "$app/$f" ] || missing+=" $f"; done
    if [ $rc -eq 0 ] && [ -z "$missing" ] && ! grep -rq '{{' "$app" &&
        grep -q "^name = \"$app\"" "$app/spin.toml"; then
        pass "new $t creates the app"
    else
        fail "new $t creates the app" "rc=$rc missing:$missing $out"
        continue
    fi
    case $t in
        http-py-p2) grep -q 'class IncomingHandler(http.IncomingHandler)' $app/app.py &&
                    grep -q 'spin-sdk == 3.4.1' $app/requirements.txt &&
                    grep -q 'componentize-py == 0.17.2' $app/requirements.txt &&
                    grep -q 'componentize-py -w spin-http componentize app -o app.wasm' $app/spin.toml ;;
        http-py) grep -q 'class HttpHandler(Handler)' $app/app.py &&
                 grep -q 'async def handle_request' $app/app.py &&
                 grep -q 'spin:up/http-trigger@4.0.0' $app/spin.toml ;;
        static) grep -q 'static_response' $app/spin.toml && ! ls $app/*.py >/dev/null 2>&1 ;;
    esac && pass "new $t content" || fail "new $t content" "$(cat $app/spin.toml)"

    selected "up serves $t" || continue
    port=$(free_port)
    "$PYEDGE" up -f "$WORK/$app" --listen "127.0.0.1:$port" --quiet >"up-$t.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    if wait_body "$port" "${WANT[$t]}" 30; then
        pass "up serves $t"
    else
        fail "up serves $t" "got $CODE '$BODY'; log: $(tail -c 400 up-$t.log | tr '\n' ' ')"
    fi
    stop "$pid"
done

if begin "existing directory refused, left alone"; then
out=$("$PYEDGE" new static app-static 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q 'already exists' <<<"$out" &&
    grep -q 'Hello from app-static' app-static/spin.toml; then
    pass "existing directory refused, left alone"
else fail "existing directory refused, left alone" "rc=$rc: $out"; fi
fi

# Spin's spelling: new -t TEMPLATE NAME; http-py-async, pyedge's earlier
# name for the 4.0 template, still works
if begin "new -t spelling"; then
out1=$("$PYEDGE" new -t http-py-async app-async 2>&1); rc1=$?
out2=$("$PYEDGE" new --template static app-tstatic 2>&1); rc2=$?
out3=$("$PYEDGE" new -t static two words 2>&1); rc3=$?
out4=$("$PYEDGE" new -t 2>&1); rc4=$?
if [ $rc1 -eq 0 ] && grep -q 'class HttpHandler(Handler)' app-async/app.py &&
    [ $rc2 -eq 0 ] && grep -q 'static_response' app-tstatic/spin.toml &&
    [ $rc3 -eq 2 ] && grep -q 'unexpected argument' <<<"$out3" && [ ! -e two ] &&
    [ $rc4 -eq 2 ] && grep -q -- '-t wants a template' <<<"$out4"; then
    pass "new -t spelling"
else
    fail "new -t spelling" "rc $rc1 $rc2 $rc3 $rc4: $out1 | $out2 | $out3 | $out4"
fi
fi

# --- watch -------------------------------------------------------------------

if begin "watch --help"; then
out=$("$PYEDGE" watch --help 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q 'pyedge watch' <<<"$out" && pass "watch --help" ||
    fail "watch --help" "rc=$rc: $out"
fi

if begin "${WATCH_CASES[@]}" && [ -d app-http-py ]; then
    port=$(free_port)
    "$PYEDGE" watch -f "$WORK/app-http-py" --listen "127.0.0.1:$port" --quiet >watch.log 2>&1 &
    wpid=$!
    PIDS+=("$wpid")
    if wait_body "$port" "Hello from Python!" 30; then
        pass "watch serves the app"
    else
        fail "watch serves the app" "got $CODE '$BODY'; log: $(tail -c 400 watch.log | tr '\n' ' ')"
    fi
    sed -i 's/Hello from Python!/Edited while watched/' app-http-py/app.py
    if wait_body "$port" "Edited while watched" 10 &&
        grep -q 'pyedge watch: .*app.py changed, restarting' watch.log; then
        pass "watch restarts on a change"
    else
        fail "watch restarts on a change" "got $CODE '$BODY'; log: $(tail -c 600 watch.log | tr '\n' ' ')"
    fi
    stop "$wpid"
    sleep 0.2
    left=$(pgrep -f -- "up -f $WORK/app-http-py")
    if [ "$RC" -eq 0 ] && [ -z "$left" ]; then
        pass "watch stops on SIGINT, exit 0, no server left"
    else
        fail "watch stops on SIGINT, exit 0, no server left" "rc=$RC left=[$left]"
    fi
fi

finish
