#!/usr/bin/env python3
"""tests/platform/test_kv.py -- Spin key-value stores in `pyedge up`,
end to end: the SDK in the sandbox (tests/platform/apps/kv), the host's
"kv.*" services, the SQLite backend on disk and a real redis-server.

Covers every Store operation and both SDK generations, grants (access
denied, unknown labels, labels undefined at start-up), runtime config
errors, --key-value seeds, limits, durability across kill -9, concurrency,
two nodes sharing one Redis, Redis going away and coming back, and hostile
payloads sent straight through _pyedge.call.

Usage: tests/platform/test_kv.py [-k SUBSTRING]... [-v]
"""

import base64
import os
import sqlite3
import threading
import time

from platform_util import (CaseFailure, Redis, Runner, Server, check, copy_app, copy_example, eq,
                           get_json, post, post_ok, request, start_fails, tempdir)

T = Runner(__doc__.split("\n")[0])

_main = {}


def b64(b):
    return base64.b64encode(b).decode()


def main_server():
    """One shared server: the kv app with its runtime config and a private
    state directory."""
    if "srv" not in _main or not _main["srv"].alive():
        app = copy_app("kv")
        state = tempdir("pe-kv-state-")
        srv = Server(app, ["--runtime-config-file", os.path.join(app, "runtime-config.toml"),
                           "--state-dir", state], name="kv")
        srv.start()
        _main.update(srv=srv, app=app, state=state)
    return _main["srv"]


def ops(srv, store, *operations, path="/v3/ops"):
    doc = post_ok(srv.port, path, {"store": store, "ops": [list(o) for o in operations]})
    if "open_err" in doc:
        raise CaseFailure(f"opening {store}: {doc}")
    return doc["results"]


def raw(srv, script, path="/v3/raw"):
    return post_ok(srv.port, path, script)


# --- operations -----------------------------------------------------------------------

@T.case
def kv_every_operation():
    s = main_server()
    binary = bytes(range(256))
    r = ops(s, "default",
            ("delete", "op-a"), ("get", "op-a"), ("exists", "op-a"),
            ("set", "op-a", b64(b"hello")), ("get", "op-a"), ("exists", "op-a"),
            ("set", "op-a", b64(b"again")), ("get", "op-a"),
            ("set", "op-empty", b64(b"")), ("get", "op-empty"), ("exists", "op-empty"),
            ("set", "op-bin", b64(binary)), ("get", "op-bin"),
            ("set", "op-ünï©ødé ✓", b64(b"u")), ("get", "op-ünï©ødé ✓"),
            ("set", "op-nul\x00inside", b64(b"n")), ("get", "op-nul\x00inside"),
            ("delete", "op-a"), ("get", "op-a"), ("exists", "op-a"), ("delete", "op-a"))
    eq(r[0:3], [True, None, False], "absent key")
    eq(r[3:6], [True, b64(b"hello"), True], "set, get, exists")
    eq(r[6:8], [True, b64(b"again")], "overwrite")
    eq(r[8:11], [True, "", True], "empty value is a value, not None")
    eq(r[11:13], [True, b64(binary)], "every byte value")
    eq(r[13:15], [True, b64(b"u")], "non-ASCII key")
    eq(r[15:17], [True, b64(b"n")], "key with a NUL character")
    eq(r[17:21], [True, None, False, True], "delete, and delete of an absent key")
    keys = ops(s, "default", ("keys",))[0]
    for k in ("op-empty", "op-bin", "op-ünï©ødé ✓", "op-nul\x00inside"):
        check(k in keys, f"get_keys lacks {k!r}: {keys}")
    check("op-a" not in keys, "get_keys lists a deleted key")


@T.case
def kv_v4_async_api():
    s = main_server()
    d = get_json(s.port, "/v4/roundtrip")
    eq(d, {"got": "two", "missing": None, "exists": True, "keys": ["v4-a", "v4-b"],
           "streamed": ["v4-a", "v4-b"], "status": "Ok", "gone": True, "other_has_v4": False},
       "v4 round trip")
    eq(get_json(s.port, "/v4/denied"), {"err": "Error_AccessDenied"}, "v4 denied store")


@T.case
def kv_with_block_closes_the_store():
    s = main_server()
    d = get_json(s.port, "/v3/with")
    eq(d["inside"], "inside", "value inside the with block")
    eq(d["after"], {"err": "Error_Other", "msg": "key-value store 'default' is closed"},
       "use after the with block")
    r = ops(s, "default", ("close",), ("get", "x"), ("close",))
    eq(r[1]["err"], "Error_Other", "get after close()")
    eq(r[2], True, "closing twice")


@T.case
def kv_type_errors():
    s = main_server()
    r = ops(s, "default", ("set_text", "t", "a str, not bytes"), ("get_int", 5))
    eq(r[0]["err"], "TypeError", "a str value")
    eq(r[1]["err"], "TypeError", "an int key")


@T.case
def kv_stores_are_separate():
    s = main_server()
    ops(s, "default", ("set", "sep", b64(b"in default")))
    ops(s, "other", ("set", "sep", b64(b"in other")))
    ops(s, "mem", ("set", "sep", b64(b"in mem")))
    eq(ops(s, "default", ("get", "sep"))[0], b64(b"in default"), "default")
    eq(ops(s, "other", ("get", "sep"))[0], b64(b"in other"), "other")
    eq(ops(s, "mem", ("get", "sep"))[0], b64(b"in mem"), "mem (in memory, across requests)")
    ops(s, "other", ("delete", "sep"))
    eq(ops(s, "default", ("get", "sep"))[0], b64(b"in default"), "default after delete in other")


@T.case
def kv_access_denied_and_unknown():
    s = main_server()
    d = post_ok(s.port, "/none/ops", {"store": "default", "ops": []})
    eq(d, {"open_err": "Error_AccessDenied", "msg": None}, "component without key_value_stores")
    d = post_ok(s.port, "/v3/ops", {"store": "secret", "ops": []})
    eq(d, {"open_err": "Error_AccessDenied", "msg": None}, "store defined but not granted")
    d = post_ok(s.port, "/v3/ops", {"store": "no-such-store", "ops": []})
    eq(d, {"open_err": "Error_NoSuchStore", "msg": None}, "store defined nowhere")
    d = post_ok(s.port, "/none/ops", {"store": "mem", "ops": []})
    eq(d["open_err"], "Error_AccessDenied", "another component's store")


@T.case
def kv_limits():
    s = main_server()
    k256, k257 = "k" * 256, "k" * 257
    wide = "é" * 128  # 256 bytes of UTF-8
    mib = b"v" * (1 << 20)
    r = ops(s, "default", ("set", k256, b64(b"ok")), ("get", k256), ("set", k257, b64(b"no")),
            ("get", k257), ("set", wide, b64(b"w")), ("set", wide + "x", b64(b"w")),
            ("set", "big", b64(mib)), ("set", "too-big", b64(mib + b"!")), ("exists", "too-big"))
    eq(r[0:2], [True, b64(b"ok")], "a 256-byte key")
    for i, what in ((2, "set"), (3, "get")):
        check(isinstance(r[i], dict) and r[i]["err"] == "Error_Other" and "256" in r[i]["msg"],
              f"257-byte key ({what}): {r[i]}")
    eq(r[4], True, "256 bytes of two-byte characters")
    check(r[5]["err"] == "Error_Other", f"257 bytes of UTF-8: {r[5]}")
    eq(r[6], True, "a 1 MiB value")
    check(r[7]["err"] == "Error_Other" and "1 MiB" in r[7]["msg"], f"1 MiB + 1: {r[7]}")
    eq(r[8], False, "the refused value was not stored")
    d = ops(s, "default", ("open_many", "default", 100))[0]
    eq(d, {"opened": 63, "err": "Error_StoreTableFull"}, "64 stores open at once, then full")
    eq(ops(s, "default", ("get", k256))[0], b64(b"ok"), "stores usable after closing them")


# --- start-up ---------------------------------------------------------------------------

@T.case
def kv_undefined_label_stops_up():
    app = copy_app("kv")
    err = start_fails(app, ["--state-dir", tempdir("pe-kv-")])
    check("component 'kv3' uses key-value store 'other', which is not defined" in err,
          f"message: {err[-400:]}")
    check("[key_value_store.other]" in err, f"message does not say what to add: {err[-400:]}")


@T.case
def kv_runtime_config_errors():
    app = copy_app("kv")
    cases = [
        ('[key_value_store.other]\ntype = "dynamo"\n', "rc.toml:2: unknown key-value store type 'dynamo'"),
        ('[key_value_store.other]\ntype = "spin"\nurl = "x"\n', "rc.toml:3: unknown key 'url' in [key_value_store.other]"),
        ('[key_value_store.other]\npath = "x.db"\n', "rc.toml:1: [key_value_store.other] has no 'type'"),
        ('[key_value_store.other]\ntype = "spin"\npath = 5\n', "rc.toml:3: expected a string for 'path'"),
        ('[key_value_store.other]\ntype = "redis"\n', "needs a 'url'"),
        ('[key_value_store.other]\ntype = "redis"\nurl = "http://x"\n', "rc.toml:3: bad 'url' in [key_value_store.other]"),
        ('[key_value_store.other]\ntype = "redis"\nurl = "redis://h:99999"\n', "bad port"),
        ('[key_value_stores.other]\ntype = "spin"\n', "rc.toml:1: unknown runtime config key 'key_value_stores'"),
        ('[key_value_store.other\n', "rc.toml:1:"),
    ]
    for text, want in cases:
        rc = os.path.join(app, "rc.toml")
        with open(rc, "w") as f:
            f.write(text)
        err = start_fails(app, ["--runtime-config-file", rc, "--state-dir", tempdir("pe-kv-")])
        check(want in err, f"for {text!r}: expected {want!r} in: {err[-300:]}")
    err = start_fails(app, ["--runtime-config-file", os.path.join(app, "missing.toml")])
    check("missing.toml" in err, f"missing file: {err[-300:]}")


@T.case
def kv_seeds():
    app = copy_app("kv")
    state = tempdir("pe-kv-seed-")
    srv = Server(app, ["--runtime-config-file", os.path.join(app, "runtime-config.toml"),
                       "--state-dir", state, "--key-value", "greeting=hello",
                       "--key-value", "eq=a=b", "--key-value", "empty=",
                       "--key-value", "greeting=hello again"], name="kv-seed")
    srv.start()
    try:
        r = ops(srv, "default", ("get", "greeting"), ("get", "eq"), ("get", "empty"), ("keys",))
        eq(r[0], b64(b"hello again"), "the later seed wins")
        eq(r[1], b64(b"a=b"), "value containing '='")
        eq(r[2], "", "empty value")
        eq(sorted(r[3]), ["empty", "eq", "greeting"], "keys")
    finally:
        srv.stop()
    err = start_fails(app, ["--runtime-config-file", os.path.join(app, "runtime-config.toml"),
                            "--state-dir", state, "--key-value", "k" * 300 + "=v"])
    check("--key-value" in err and "256" in err, f"long seed key: {err[-300:]}")


@T.case
def kv_default_file_layout():
    """Without --state-dir the default store is <app>/.spin/sqlite_key_value.db,
    in Spin's layout, in WAL mode."""
    app = copy_app("kv")
    srv = Server(app, ["--runtime-config-file", os.path.join(app, "runtime-config.toml")],
                 name="kv-layout")
    srv.start()
    try:
        ops(srv, "default", ("set", "layout", b64(b"\x00\x01value")))
        ops(srv, "other", ("set", "layout", b64(b"o")))
    finally:
        srv.stop()
    db = os.path.join(app, ".spin", "sqlite_key_value.db")
    check(os.path.exists(db), f"{db} does not exist")
    con = sqlite3.connect(db)
    try:
        eq(con.execute("PRAGMA journal_mode").fetchone()[0], "wal", "journal mode")
        rows = con.execute("SELECT store, key, value FROM spin_key_value").fetchall()
        eq(rows, [("default", "layout", b"\x00\x01value")], "rows of spin_key_value")
    finally:
        con.close()
    other = os.path.join(app, "other_kv.db")  # relative to the runtime config file
    check(os.path.exists(other), f"{other} (path relative to the config file) does not exist")


# --- durability and concurrency ------------------------------------------------------------

@T.case
def kv_durable_across_kill9():
    app = copy_app("kv")
    state = tempdir("pe-kv-dur-")
    args = ["--runtime-config-file", os.path.join(app, "runtime-config.toml"), "--state-dir", state]
    srv = Server(app, args, name="kv-durable")
    srv.start()
    acked = []
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set():
            try:
                status, d = post(srv.port, "/v3/ops", {"store": "default", "ops": [
                    ["set", f"dur-{i}", b64(f"value-{i}".encode())]]}, timeout=5)
            except OSError:
                return
            if status == 200 and d.get("results") == [True]:
                acked.append(i)
            i += 1

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    deadline = time.monotonic() + 60
    while len(acked) < 150 and time.monotonic() < deadline and t.is_alive():
        time.sleep(0.01)
    srv.proc.kill()  # SIGKILL while the writer is mid-request
    srv.proc.wait(5)
    stop.set()
    t.join(10)
    check(len(acked) >= 150, f"only {len(acked)} writes acknowledged before the kill")
    srv2 = Server(app, args, name="kv-durable-2")
    srv2.start()
    try:
        dump = ops(srv2, "default", ("dump", "dur-"))[0]
        missing = [i for i in acked if dump.get(f"dur-{i}") != f"value-{i}"]
        eq(missing, [], f"acknowledged writes lost after kill -9 (of {len(acked)})")
    finally:
        srv2.stop()


@T.case
def kv_concurrent_increments():
    s = main_server()
    threads, per = 12, 15
    errors = []
    keys = [f"conc-{i}" for i in range(threads)]
    ops(s, "default", *[("delete", k) for k in keys])

    def worker(k):
        for _ in range(per):
            try:
                r = ops(s, "default", ("incr", k))
                if not isinstance(r[0], int):
                    errors.append(r)
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))

    ts = [threading.Thread(target=worker, args=(k,)) for k in keys]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    eq(errors, [], "errors during concurrent requests")
    got = ops(s, "default", *[("get", k) for k in keys])
    eq([base64.b64decode(v).decode() for v in got], [str(per)] * threads, "final counts")


# --- Redis ------------------------------------------------------------------------------------

def redis_config(app, redis, db=None, name="rc-redis.toml"):
    path = os.path.join(app, name)
    with open(path, "w") as f:
        f.write(f'[key_value_store.default]\ntype = "redis"\nurl = "{redis.url(db)}"\n'
                '[key_value_store.other]\ntype = "spin"\npath = "other_kv.db"\n'
                '[key_value_store.mem]\ntype = "spin"\n')
    return path


@T.case
def kv_redis_two_nodes_share_state():
    redis = Redis().start()
    T.cleanups.append(redis.stop)
    app = copy_app("kv")
    rc = redis_config(app, redis)
    a = Server(app, ["--runtime-config-file", rc, "--state-dir", tempdir("pe-kv-a-")], name="node-a")
    b = Server(app, ["--runtime-config-file", rc, "--state-dir", tempdir("pe-kv-b-")], name="node-b")
    a.start()
    b.start()
    try:
        ops(a, "default", ("set", "shared", b64(b"from a")), ("set", "bin", b64(bytes(range(256)))))
        eq(ops(b, "default", ("get", "shared"))[0], b64(b"from a"), "node b reads node a's write")
        eq(ops(b, "default", ("get", "bin"))[0], b64(bytes(range(256))), "binary value via redis")
        eq(redis.command("GET", "shared"), b"from a", "the key is a plain Redis key")
        ops(b, "default", ("delete", "shared"))
        eq(ops(a, "default", ("get", "shared"), ("exists", "shared")), [None, False],
           "node a sees node b's delete")
        redis.command("SET", "from-redis", "x")
        eq(sorted(ops(a, "default", ("keys",))[0]), ["bin", "from-redis"], "get_keys over redis")
        eq(ops(a, "default", ("incr", "n"), ("incr", "n"))[1], 2, "incr on node a")
        eq(ops(b, "default", ("incr", "n"))[0], 3, "then on node b")
        eq(get_json(a.port, "/v4/roundtrip")["got"], "two", "v4 API over redis")
        # a key of the wrong Redis type is a clean error, not a crash
        redis.command("LPUSH", "a-list", "x")
        r = ops(a, "default", ("get", "a-list"))[0]
        check(r["err"] == "Error_Other" and "WRONGTYPE" in r["msg"], f"wrong type: {r}")
    finally:
        a.stop()
        b.stop()


@T.case
def kv_redis_database_number():
    redis = Redis().start()
    T.cleanups.append(redis.stop)
    app = copy_app("kv")
    rc = redis_config(app, redis, db=3)
    srv = Server(app, ["--runtime-config-file", rc, "--state-dir", tempdir("pe-kv-db-")],
                 name="kv-db3")
    srv.start()
    try:
        ops(srv, "default", ("set", "in-db3", b64(b"3")))
        eq(redis.command("GET", "in-db3", db=3), b"3", "key in database 3")
        eq(redis.command("GET", "in-db3"), None, "not in database 0")
    finally:
        srv.stop()


@T.case
def kv_redis_down_then_back():
    redis = Redis().start()
    T.cleanups.append(redis.stop)
    app = copy_app("kv")
    rc = redis_config(app, redis)
    srv = Server(app, ["--runtime-config-file", rc, "--state-dir", tempdir("pe-kv-down-")],
                 name="kv-down")
    srv.start()
    try:
        ops(srv, "default", ("set", "k", b64(b"1")))
        redis.stop()
        t0 = time.monotonic()
        r = ops(srv, "default", ("get", "k"), ("set", "k", b64(b"2")), ("keys",))
        for x in r:
            check(isinstance(x, dict) and x["err"] == "Error_Other" and "redis" in x["msg"],
                  f"with redis down: {r}")
        check(time.monotonic() - t0 < 10, "errors took too long")
        check(srv.alive(), "pyedge died when redis went away")
        eq(ops(srv, "other", ("set", "k", b64(b"x")), ("get", "k")), [True, b64(b"x")],
           "other stores keep working")
        again = Redis(redis.port).start()  # same port: the next call reconnects
        T.cleanups.append(again.stop)
        eq(ops(srv, "default", ("set", "k", b64(b"3")), ("get", "k")), [True, b64(b"3")],
           "after redis came back")
    finally:
        srv.stop()


@T.case
def kv_redis_down_at_start():
    """A Redis that is not up yet does not stop `pyedge up`; calls fail
    until it is."""
    port_holder = Redis()
    app = copy_app("kv")
    rc = redis_config(app, port_holder)
    srv = Server(app, ["--runtime-config-file", rc, "--state-dir", tempdir("pe-kv-late-")],
                 name="kv-late")
    srv.start()
    try:
        r = ops(srv, "default", ("get", "k"))[0]
        check(r["err"] == "Error_Other" and "cannot connect" in r["msg"], f"before redis: {r}")
        redis = port_holder.start()
        T.cleanups.append(redis.stop)
        eq(ops(srv, "default", ("set", "k", b64(b"v")), ("get", "k")), [True, b64(b"v")],
           "once redis is up")
    finally:
        srv.stop()


# --- hostile payloads --------------------------------------------------------------------

def statuses(results):
    return [r["status"] for r in results]


@T.case
def kv_raw_malformed_payloads():
    s = main_server()
    junk = [
        {"svc": "kv.get", "raw": b64(b"junk")},
        {"svc": "kv.open", "raw": b64(b"")},
        {"svc": "kv.open", "raw": b64(b"\xff\xff\xff\xff" + b"default")},
        {"svc": "kv.open", "blobs": [{"str": "default"}], "pad": 0xFFFFFFF0},
        {"svc": "kv.open", "blobs": [{"b64": b64(b"def\x00ault")}]},
        {"svc": "kv.open", "blobs": [{"b64": b64(b"\xff\xfe")}]},
        {"svc": "kv.open", "blobs": [{"str": "x" * 300}]},
        {"svc": "kv.open", "blobs": [{"str": "default"}, {"str": "extra"}]},
        {"svc": "kv.nope", "blobs": []},
        {"svc": "kv.", "blobs": []},
        {"svc": "kv.get", "blobs": [{"u64": 1}, {"str": "k"}]},  # nothing open yet
    ]
    r = raw(s, junk)
    eq(statuses(r), [3, 3, 3, 3, 3, 3, 3, 3, 7, 7, 3], f"statuses: {r}")
    check("no open key-value store with handle 1" in r[10]["msg"], f"bad handle message: {r[10]}")


@T.case
def kv_raw_handles():
    s = main_server()
    script = [
        {"svc": "kv.open", "blobs": [{"str": "default"}]},                        # 0
        {"svc": "kv.open", "blobs": [{"str": "other"}]},                          # 1
        {"svc": "kv.set", "blobs": [{"ref": 1}, {"str": "h-key"}, {"str": "other's"}]},  # 2
        {"svc": "kv.get", "blobs": [{"ref": 0}, {"str": "h-key"}]},               # 3: default
        {"svc": "kv.get", "blobs": [{"ref": 1}, {"str": "h-key"}]},               # 4: other
        {"svc": "kv.get", "blobs": [{"b64": b64(b"\x01\x00\x00\x00")}, {"str": "k"}]},  # 5: 4-byte handle
        {"svc": "kv.get", "blobs": [{"u64": 2**64 - 1}, {"str": "k"}]},           # 6
        {"svc": "kv.get", "blobs": [{"ref": 0}, {"b64": b64(b"\xc3\x28")}]},      # 7: bad UTF-8
        {"svc": "kv.get", "blobs": [{"ref": 0}, {"b64": b64(b"\xed\xa0\x80")}]},  # 8: surrogate
        {"svc": "kv.get", "blobs": [{"ref": 0}, {"b64": b64(b"\xc0\xaf")}]},      # 9: overlong
        {"svc": "kv.get", "blobs": [{"ref": 0}]},                                 # 10: no key
        {"svc": "kv.set", "blobs": [{"ref": 0}, {"str": "k"}]},                   # 11: no value
        {"svc": "kv.get", "blobs": [{"ref": 0}, {"str": "k"}, {"str": "extra"}]},  # 12
        {"svc": "kv.get_keys", "blobs": [{"ref": 0}, {"str": "extra"}]},          # 13
        {"svc": "kv.set", "blobs": [{"ref": 0}, {"str": "big"}, {"b64": b64(b"x" * ((1 << 20) + 1))}]},  # 14
        {"svc": "kv.set", "blobs": [{"ref": 0}, {"b64": b64(b"nul\x00key")}, {"str": "v"}]},  # 15
        {"svc": "kv.get", "blobs": [{"ref": 0}, {"b64": b64(b"nul\x00key")}]},    # 16
        {"svc": "kv.exists", "blobs": [{"ref": 0}, {"b64": b64(b"nul\x00key")}]},  # 17
        {"svc": "kv.close", "blobs": [{"ref": 1}]},                               # 18
        {"svc": "kv.get", "blobs": [{"ref": 1}, {"str": "h-key"}]},               # 19: closed
        {"svc": "kv.close", "blobs": [{"ref": 1}]},                               # 20: twice
        {"svc": "kv.open", "blobs": [{"str": "other"}]},                          # 21: new id
        {"svc": "kv.get", "blobs": [{"ref": 1}, {"str": "h-key"}]},               # 22: old id
    ]
    r = raw(s, script)
    eq(statuses(r), [0, 0, 0, 0, 0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 6, 0, 0, 0, 0, 3, 3, 0, 3],
       f"statuses: {[(i, x) for i, x in enumerate(r)]}")
    eq(r[3]["blobs"], [], "the default store does not see other's key")
    eq(r[4]["blobs"], [b64(b"other's")], "other's key through other's handle")
    eq(r[16]["blobs"], [b64(b"v")], "key with NUL round trip")
    eq(r[17]["blobs"], [b64((1).to_bytes(8, "little"))], "exists reply")
    check(r[21]["blobs"] != r[1]["blobs"], "a closed handle's id was reused")
    # a handle from an earlier request means nothing now
    old = r[0]["blobs"][0]
    r2 = raw(s, [{"svc": "kv.get", "blobs": [{"b64": old}, {"str": "h-key"}]}])
    eq(statuses(r2), [3], "handle from a previous request")
    # a component without grants cannot use forged handles either
    r3 = raw(s, [{"svc": "kv.get", "blobs": [{"u64": 1}, {"str": "k"}]},
                 {"svc": "kv.open", "blobs": [{"str": "default"}]}], path="/none/raw")
    eq(statuses(r3), [3, 1], "forged handle and open in a component without grants")


@T.case
def kv_stale_handle_in_reused_sandbox():
    """A Store kept in a module global of a sandbox reused for the next
    request must fail there, not act on whatever that request opened."""
    app = copy_app("kv")
    srv = Server(app, ["--runtime-config-file", os.path.join(app, "runtime-config.toml"),
                       "--state-dir", tempdir("pe-kv-reuse-"), "--workers", "1",
                       "--max-instance-reuse-count", "5"], name="kv-reuse")
    srv.start()
    try:
        eq(get_json(srv.port, "/v3/stale"), {"first": True}, "first request")
        d = get_json(srv.port, "/v3/stale")
        check(d.get("first") is False, f"the sandbox was not reused: {d}")
        check("err" in d and d["err"]["err"] == "Error_Other" and "no open key-value store" in d["err"]["msg"],
              f"the kept store was usable in a later request: {d}")
    finally:
        srv.stop()


@T.case
def kv_raw_table_full():
    s = main_server()
    script = [{"svc": "kv.open", "blobs": [{"str": "mem"}]} for _ in range(65)]
    r = raw(s, script)
    eq(statuses(r), [0] * 64 + [6], "65th open")
    check(s.alive(), "server alive")


# --- examples/kv-counter ---------------------------------------------------------------------

@T.case
def example_kv_counter():
    app = copy_example("kv-counter")
    srv = Server(app, [], name="kv-counter")
    srv.start()
    try:
        counts = [get_json(srv.port, "/")["count"] for _ in range(3)]
        eq(counts, [1, 2, 3], "counts")
        eq(get_json(srv.port, "/any/path")["count"], 4, "any path counts")
        r = request(srv.port, "POST", "/")
        eq((r.status, r.header("allow")), (405, "GET, DELETE"), "POST")
    finally:
        srv.stop()
    db = os.path.join(app, ".spin", "sqlite_key_value.db")
    check(os.path.exists(db), "the count is in .spin/sqlite_key_value.db")
    srv = Server(app, [], name="kv-counter-2")
    srv.start()
    try:
        eq(get_json(srv.port, "/")["count"], 5, "the count survives a restart")
        r = request(srv.port, "DELETE", "/")
        eq((r.status, r.body), (200, b'{"count": 0}'), "DELETE resets")
        eq(get_json(srv.port, "/")["count"], 1, "after reset")
    finally:
        srv.stop()
    srv = Server(app, ["--key-value", "count=100"], name="kv-counter-seeded")
    srv.start()
    try:
        eq(get_json(srv.port, "/")["count"], 101, "seeded with --key-value count=100")
    finally:
        srv.stop()


if __name__ == "__main__":
    raise SystemExit(T.main())
