#!/usr/bin/env python3
"""tests/platform/test_redis.py -- outbound Redis (spin_sdk.redis) in
`pyedge up`, end to end: the SDK in the sandbox (tests/platform/apps/redis),
the host's "redis.*" services and a real redis-server.

Covers every operation and value type in both SDK generations, execute
with integers and bytes (arrays flattened as Spin does), a publish seen by a
SUBSCRIBE here, allowed_outbound_hosts (denied hosts and ports), bad
addresses, AUTH and SELECT from the address, the connection limit, a connection kept in a global, Redis down,
Redis restarted under a request and between requests, the request's
deadline during a BLPOP, concurrent requests, the shape of the SDK's
spin-redis example, the older interfaces, sizes past 16 MiB, and hostile
payloads sent straight through _pyedge.call.

Usage: tests/platform/test_redis.py [-k SUBSTRING]... [-v]
"""

import base64
import socket
import subprocess
import threading
import time

from platform_util import (HOST, REDIS_SERVER, CaseFailure, Redis, Runner, Server, check, copy_app,
                           eq, get_json, post_ok, request)
from platform_util import _read_reply, _resp

import drive  # noqa: E402 -- on sys.path once platform_util is imported

T = Runner(__doc__.split("\n")[0])

_main = {}


def b64(b):
    return base64.b64encode(b).decode()


def main_redis():
    if "redis" not in _main or _main["redis"].proc.poll() is not None:
        _main["redis"] = Redis().start()
        T.cleanups.append(_main["redis"].stop)
    return _main["redis"]


def main_server():
    redis = main_redis()
    if "srv" not in _main or not _main["srv"].alive():
        srv = Server(copy_app("redis"), ["--variable", f"redis_port={redis.port}"], name="redis")
        srv.start()
        T.cleanups.append(srv.stop)
        _main["srv"] = srv
    return _main["srv"]


def ops(srv, address, *operations, path="/v3/ops", timeout=30):
    return post_ok(srv.port, path, {"address": address, "ops": [list(o) for o in operations]},
                   timeout=timeout)


def raw(srv, script):
    return post_ok(srv.port, "/v3/raw", script)


def statuses(results):
    return [r["status"] for r in results]


def is_err(x, name, text=None):
    return isinstance(x, dict) and x.get("err") == name and (
        text is None or text in (x.get("msg") or ""))


# --- operations -----------------------------------------------------------------------

@T.case
def redis_every_operation():
    s, redis = main_server(), main_redis()
    binary = bytes(range(256))
    r = ops(s, redis.url(),
            ("del", ["op-a", "op-n", "op-s", "op-list"]),
            ("get", "op-a"), ("set", "op-a", b64(binary)), ("get", "op-a"),
            ("set", "op-empty", b64(b"")), ("get", "op-empty"),
            ("set", "op-ünï ✓", b64(b"u")), ("get", "op-ünï ✓"),
            ("incr", "op-n"), ("incr", "op-n"),
            ("sadd", "op-s", ["a", "b", "ç"]), ("sadd", "op-s", ["a", "d"]),
            ("smembers", "op-s"), ("srem", "op-s", ["a", "zz"]), ("smembers", "op-s"),
            ("del", ["op-a", "op-empty", "op-absent"]), ("get", "op-a"),
            ("smembers", "op-none"))
    eq(r["results"][1:4], [None, None, b64(binary)], "get absent, set, get every byte value")
    eq(r["results"][4:6], [None, ""], "an empty value is a value")
    eq(r["results"][6:8], [None, b64(b"u")], "a non-ASCII key")
    eq(redis.command("GET", "op-ünï ✓"), b"u", "the key is the UTF-8 Redis key")
    eq(r["results"][8:10], [1, 2], "incr")
    eq(r["results"][10:15], [3, 1, ["a", "b", "d", "ç"], 1, ["b", "d", "ç"]],
       "sadd, smembers, srem")
    eq(r["results"][15:18], [2, None, []], "del counts existing keys; empty set")
    check(r["repr"].startswith("<spin_sdk redis Connection"), f"repr: {r['repr']}")


@T.case
def redis_execute_values():
    s, redis = main_server(), main_redis()
    redis.command("DEL", "ex-k", "ex-n", "ex-list")
    r = ops(s, redis.url(),
            ("execute", "SET", [{"b": b64(b"ex-k")}, {"b": b64(b"\x00\xffbin")}]),
            ("execute", "GET", [{"b": b64(b"ex-k")}]),
            ("execute", "INCRBY", [{"b": b64(b"ex-n")}, {"i": -5}]),
            ("execute", "INCRBY", [{"b": b64(b"ex-n")}, {"i": 9007199254740993}]),
            ("execute", "RPUSH", [{"b": b64(b"ex-list")}, {"i": 1}, {"b": b64(b"two")}]),
            ("execute", "LRANGE", [{"b": b64(b"ex-list")}, {"i": 0}, {"i": -1}]),
            ("execute", "MGET", [{"b": b64(b"ex-k")}, {"b": b64(b"ex-missing")}]),
            ("execute", "ping", []),
            ("execute", "GET", [{"b": b64(b"ex-missing")}]),
            ("execute", "EVAL", [{"b": b64(b"return {1, {'a', {2}}, 'b'}")}, {"i": 0}]),
            ("execute", "NOSUCHCOMMAND", []),
            ("execute", "GET", [{"b": b64(b"ex-list")}]),
            ("execute", "SUBSCRIBE", [{"b": b64(b"c")}]),
            ("execute", "PING", []))
    res = r["results"]
    eq(res[0], [["Status", "OK"]], "SET through execute")
    eq(res[1], [["Binary", b64(b"\x00\xffbin")]], "GET: bytes")
    eq(res[2], [["Int64", -5]], "a negative integer parameter")
    eq(res[3], [["Int64", 9007199254740988]], "a 64-bit integer parameter")
    eq(res[4], [["Int64", 2]], "RPUSH")
    eq(res[5], [["Binary", b64(b"1")], ["Binary", b64(b"two")]], "an array reply, flattened")
    eq(res[6], [["Binary", b64(b"\x00\xffbin")], ["Nil", None]], "MGET with a nil inside")
    eq(res[7], [["Status", "PONG"]], "a status")
    eq(res[8], [["Nil", None]], "nil")
    eq(res[9], [["Int64", 1], ["Binary", b64(b"a")], ["Int64", 2], ["Binary", b64(b"b")]],
       "nested arrays flattened in order")
    check(is_err(res[10], "Error_Other", "unknown command"), f"unknown command: {res[10]}")
    check(is_err(res[11], "Error_Other", "WRONGTYPE"), f"WRONGTYPE: {res[11]}")
    check(is_err(res[12], "Error_Other", "SUBSCRIBE is not supported"), f"SUBSCRIBE: {res[12]}")
    eq(res[13], [["Status", "PONG"]], "the connection still answers in step")


@T.case
def redis_type_errors():
    s, redis = main_server(), main_redis()
    redis.command("DEL", "te-list", "te-str", "te-set")
    redis.command("RPUSH", "te-list", "x")
    redis.command("SET", "te-str", "not a number")
    redis.command("SADD", "te-set", b"\xff\xfe")
    r = ops(s, redis.url(), ("get", "te-list"), ("incr", "te-str"), ("smembers", "te-set"),
            ("sadd", "te-list", ["a"]), ("bad", "key"), ("bad", "value"), ("bad", "param"),
            ("bad", "range"))["results"]
    check(is_err(r[0], "Error_Other", "WRONGTYPE"), f"get of a list (Spin: Other): {r[0]}")
    check(is_err(r[1], "Error_Other", "not an integer"), f"incr of text: {r[1]}")
    check(is_err(r[2], "Error_TypeError"), f"smembers of non-UTF-8 members: {r[2]}")
    check(is_err(r[3], "Error_Other", "WRONGTYPE"), f"sadd to a list: {r[3]}")
    eq(r[4:8], [{"err": "TypeError"}, {"err": "TypeError"}, {"err": "TypeError"},
                {"err": "OverflowError"}], "Python type errors")


@T.case
def redis_publish_reaches_a_subscriber():
    s, redis = main_server(), main_redis()
    with socket.create_connection((HOST, redis.port), timeout=5) as sub:
        f = sub.makefile("rb")
        sub.sendall(_resp("SUBSCRIBE", "pe-chan"))
        eq(_read_reply(f), [b"subscribe", b"pe-chan", 1], "subscribed")
        r = ops(s, redis.url(), ("publish", "pe-chan", b64(b"hello \x00\xff")))
        eq(r["results"], [None], "publish")
        eq(_read_reply(f), [b"message", b"pe-chan", b"hello \x00\xff"], "the message")


@T.case
def redis_v4_async_api():
    s, redis = main_server(), main_redis()
    d = get_json(s.port, f"/v4/roundtrip?addr={redis.url()}")
    eq(d, {"got": "v4-value", "missing": None, "n": 1, "added": 3, "removed": 1,
           "members": ["a", "b"],
           "execute": [["RedisResult_Binary", "v4-value"], ["RedisResult_Nil", None]],
           "deleted": 3, "wrongtype": ["Error_Other", d["wrongtype"][1]]}, "v4 round trip")
    check("WRONGTYPE" in d["wrongtype"][1], f"v4 WRONGTYPE: {d['wrongtype']}")
    eq(get_json(s.port, "/v4/open?addr=redis://127.0.0.1:1"), {"open_err": "Error_InvalidAddress"},
       "v4: a port not allowed")


@T.case
def redis_older_interfaces():
    s, redis = main_server(), main_redis()
    r = ops(s, redis.url(), ("legacy",))["results"][0]
    eq(r[:7], [b64(b"one"), "", 1, 1, ["x"], [["Binary", b64(b"e")]], 3],
       "fermyon_spin_redis: set, get, get of an absent key (b''), incr, sadd, smembers, "
       "execute, del")
    eq(r[7][0], "<Error.ERROR: 1>", "its error")
    check(any("127.0.0.1:1" in n for n in r[7][1]), f"the note says why: {r[7]}")
    eq(get_json(s.port, f"/v4/sync?addr={redis.url()}"), {"got": "s", "deleted": 1},
       "fermyon_spin_redis_2_0_0 in a 4.0 app answers without await")


@T.case
def redis_sdk_example_shape():
    s, redis = main_server(), main_redis()
    redis.command("SET", "test", "from the test")
    resp = request(s.port, "GET", "/example/")
    eq((resp.status, resp.body), (200, b"Hello from Python!"), "the example's response")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any("b'from the test'" in l for l in s.stdout):
        time.sleep(0.05)
    check(any("b'from the test'" in l for l in s.stdout), f"printed value: {s.stdout[-5:]}")


@T.case
def redis_concurrent_requests():
    """Requests on every worker at once, each with its own connection."""
    s, redis = main_server(), main_redis()
    redis.command("DEL", "conc-n")
    errors = []

    def worker():
        for _ in range(20):
            try:
                r = ops(s, redis.url(), ("incr", "conc-n"), ("execute", "PING", []))["results"]
                if not isinstance(r[0], int) or r[1] != [["Status", "PONG"]]:
                    errors.append(r)
            except Exception as e:  # noqa: BLE001 -- collected and reported below
                errors.append(repr(e))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    eq(errors, [], "errors")
    eq(redis.command("GET", "conc-n"), b"160", "every incr counted once")


# --- addresses and limits ---------------------------------------------------------------

@T.case
def redis_denied_hosts():
    s, redis = main_server(), main_redis()
    d = post_ok(s.port, "/none/ops", {"address": redis.url(), "ops": []})
    eq(d.get("open_err"), "Error_InvalidAddress", f"no rules: {d}")
    eq(d["open_err"], "Error_InvalidAddress", "a component without allowed_outbound_hosts")
    check(any(f"redis://127.0.0.1:{redis.port}" in n for n in d["notes"]),
          f"the note does not name the rule to add: {d}")
    d = ops(s, "redis://127.0.0.1:6390")
    eq(d["open_err"], "Error_InvalidAddress", "a port no rule allows")
    d = ops(s, f"redis://[::1]:{redis.port}")
    eq(d.get("open_err"), "Error_InvalidAddress", f"IPv6 loopback is another host: {d}")
    # a name is resolved and allowed by the IP rule it resolves into, as for http.send
    eq(ops(s, f"redis://localhost:{redis.port}", ("execute", "PING", []))["results"],
       [[["Status", "PONG"]]], "localhost through the 127.0.0.1 rule")
    check(s.alive(), "server alive")


@T.case
def redis_bad_addresses():
    s = main_server()
    for a in ("http://127.0.0.1:6379", "redis://", "redis://127.0.0.1:99999", "not a url",
              "redis://127.0.0.1:6379/x", "rediss://127.0.0.1", "redis://127.0.0.1:6379?x=1",
              "redis://h%zz:pw@127.0.0.1"):
        d = ops(s, a)
        eq(d.get("open_err"), "Error_InvalidAddress", f"address {a!r}")


@T.case
def redis_too_many_connections():
    s, redis = main_server(), main_redis()
    r = ops(s, redis.url(), ("open_many", 12), ("open_many", 7), ("get", "x"))["results"]
    eq({k: r[0][k] for k in ("opened", "err")}, {"opened": 7, "err": "Error_TooManyConnections"},
       "8 connections at once, counting the request's first")
    eq(r[1], {"opened": 7}, "closing them frees their places")
    eq(r[2], None, "the first connection still works")


@T.case
def redis_connection_kept_in_a_global():
    redis = main_redis()
    srv = Server(copy_app("redis"), ["--variable", f"redis_port={redis.port}", "--workers", "1",
                                     "--max-instance-reuse-count", "5"], name="redis-reuse")
    srv.start()
    try:
        eq(get_json(srv.port, f"/v3/stale?addr={redis.url()}"), {"kept": True}, "first request")
        d = get_json(srv.port, f"/v3/stale?addr={redis.url()}")
        check(d.get("err") == "Error_Other" and "no open redis connection" in d["msg"],
              f"the kept connection was usable in a later request: {d}")
    finally:
        srv.stop()


class PasswordRedis(Redis):
    """A redis-server that wants a password (--requirepass)."""

    PASSWORD = "pw-s3cret-9f2"

    def start(self):
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", HOST, "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--protected-mode", "no",
             "--requirepass", self.PASSWORD],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=drive._die_with_driver)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if self.command("PING") == "PONG":
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise CaseFailure("redis-server --requirepass did not answer PING within 10 s")

    def command(self, *args, db=None):
        with socket.create_connection((HOST, self.port), timeout=5) as s:
            f = s.makefile("rb")
            for pre in [("AUTH", self.PASSWORD)] + ([("SELECT", str(db))] if db is not None else []):
                s.sendall(_resp(*pre))
                _read_reply(f)
            s.sendall(_resp(*args))
            return _read_reply(f)


@T.case
def redis_password_and_database():
    redis = PasswordRedis().start()
    T.cleanups.append(redis.stop)
    pw = PasswordRedis.PASSWORD
    srv = Server(copy_app("redis"), ["--variable", f"redis_port={redis.port}"], name="redis-pw")
    srv.start()
    try:
        base = f"127.0.0.1:{redis.port}"
        d = ops(srv, f"redis://:{pw}@{base}/2", ("set", "pw-k", b64(b"v")), ("get", "pw-k"))
        eq(d["results"], [None, b64(b"v")], "AUTH with a password, SELECT 2")
        check(pw not in d["repr"], f"the repr shows the password: {d['repr']}")
        eq(redis.command("GET", "pw-k", db=2), b"v", "in database 2")
        eq(redis.command("GET", "pw-k"), None, "not in database 0")
        eq(ops(srv, f"redis://default:{pw}@{base}/2", ("get", "pw-k"))["results"], [b64(b"v")],
           "AUTH with a user and a password")
        d = ops(srv, f"redis://:wrong-pw-77@{base}")
        eq(d.get("open_err"), "Error_Other", f"a wrong password: {d}")
        check("AUTH" in d["msg"] and "wrong-pw-77" not in d["msg"], f"message: {d['msg']}")
        r = ops(srv, f"redis://{base}", ("get", "pw-k"))["results"]
        check(is_err(r[0], "Error_Other", "NOAUTH"), f"no password: {r}")
        check(not any(pw in line or "wrong-pw-77" in line for line in srv.stdout + srv.stderr),
              "a password reached pyedge's output")
    finally:
        srv.stop()


# --- failures ---------------------------------------------------------------------------

@T.case
def redis_down_then_restarted():
    redis = Redis().start()
    T.cleanups.append(redis.stop)
    srv = Server(copy_app("redis"), ["--variable", f"redis_port={redis.port}"], name="redis-down")
    srv.start()
    try:
        eq(ops(srv, redis.url(), ("set", "k", b64(b"v")))["results"], [None], "up")
        # restarted under a request: the call in flight fails, the next reconnects.
        # The request runs in a thread and the restart here: redis-server dies
        # with the thread that started it (PR_SET_PDEATHSIG).
        got = {}
        t = threading.Thread(target=lambda: got.update(r=ops(
            srv, redis.url(), ("get", "k"), ("sleep", 2.0), ("get", "k"), ("set", "k", b64(b"w")),
            ("get", "k"))["results"]))
        t.start()
        time.sleep(0.7)
        redis.stop()
        redis.start()
        t.join()
        r = got["r"]
        eq(r[0], b64(b"v"), "before the restart")
        check(is_err(r[2], "Error_Other", "redis"), f"the call after the restart: {r[2]}")
        eq(r[3:5], [None, b64(b"w")], "the next calls reconnect")
        redis.stop()
        t0 = time.monotonic()
        d = ops(srv, redis.url(), ("get", "k"))
        took = time.monotonic() - t0
        eq(d.get("open_err"), "Error_Other", f"open with Redis down: {d}")
        check("cannot connect" in d["msg"] and "Connection refused" in d["msg"],
              f"message: {d['msg']}")
        check(took < 3, f"took {took:.1f} s")
        check(srv.alive(), "pyedge died when redis went away")
        redis.start()
        eq(ops(srv, redis.url(), ("set", "k", b64(b"back")), ("get", "k"))["results"],
           [None, b64(b"back")], "restarted between requests")
    finally:
        srv.stop()


@T.case
def redis_deadline_ends_a_blpop():
    redis = main_redis()
    srv = Server(copy_app("redis"), ["--variable", f"redis_port={redis.port}",
                                     "--request-timeout", "1.5"], name="redis-deadline")
    srv.start()
    try:
        t0 = time.monotonic()
        resp = request(srv.port, "POST", "/v3/ops",
                       body=(b'{"address": "%s", "ops": [["execute", "BLPOP", '
                             b'[{"b": "YmxvY2tlZA=="}, {"i": 0}]]]}' % redis.url().encode()))
        took = time.monotonic() - t0
        check(1.4 < took < 2.5, f"the BLPOP held a 1.5 s request {took:.2f} s")
        # the wait ends at the deadline; the guest may still answer with the error
        check(resp.status == 504 or b"deadline passed" in resp.body,
              f"status {resp.status}: {resp.body[:300]!r}")
        check(srv.alive(), "server alive")
        eq(ops(srv, redis.url(), ("execute", "PING", []))["results"], [[["Status", "PONG"]]],
           "the next request")
    finally:
        srv.stop()


# --- hostile payloads -------------------------------------------------------------------

@T.case
def redis_hostile_payloads():
    s, redis = main_server(), main_redis()
    u = {"str": redis.url()}
    script = [
        {"svc": "redis.open", "blobs": [u]},                                        # 0 ok
        {"svc": "redis.get", "blobs": [{"u64": 987654321}, {"str": "k"}]},          # 1 forged
        {"svc": "redis.get", "blobs": [{"ref": 0}]},                                # 2 no key
        {"svc": "redis.get", "blobs": [{"ref": 0}, {"str": "k"}, {"str": "x"}]},    # 3 extra
        {"svc": "redis.set", "blobs": [{"ref": 0}, {"str": "k"}]},                  # 4 no value
        {"svc": "redis.get", "blobs": [{"ref": 0}, {"b64": b64(b"\xff")}]},         # 5 key not UTF-8
        {"svc": "redis.execute", "blobs": [{"ref": 0}, {"str": "PING"}, {"b64": b64(b"x")}]},  # 6
        {"svc": "redis.execute", "blobs": [{"ref": 0}, {"str": "PING"}, {"b64": b64(b"i123")}]},  # 7
        {"svc": "redis.execute", "blobs": [{"ref": 0}, {"str": ""}]},               # 8 empty
        {"svc": "redis.execute", "blobs": [{"ref": 0}, {"str": "monitor"}]},        # 9 refused
        {"svc": "redis.get", "raw": b64(b"\x08\x00\x00\x00abc")},                   # 10 truncated
        {"svc": "redis.open", "blobs": [{"b64": b64(b"redis://127.0.0.1\x00:1")}]},  # 11 NUL
        {"svc": "redis.open", "blobs": [{"b64": b64(b"redis://\xff")}]},            # 12 not UTF-8
        {"svc": "redis.open", "blobs": []},                                         # 13 nothing
        {"svc": "redis.frobnicate", "blobs": [{"ref": 0}]},                         # 14
        {"svc": "redis.execute", "blobs": [{"ref": 0}, {"str": "PING"}]},           # 15 ok
        {"svc": "redis.close", "blobs": [{"ref": 0}]},                              # 16 ok
        {"svc": "redis.close", "blobs": [{"ref": 0}]},                              # 17 closed
        {"svc": "redis.get", "blobs": [{"ref": 0}, {"str": "k"}]},                  # 18 closed
        {"svc": "redis.open", "blobs": [{"str": "redis://" + "a" * 3000}]},         # 19 too long
        {"svc": "redis.get", "pad": 100, "blobs": [{"u64": 1}]},                    # 20 lying length
    ]
    r = raw(s, script)
    eq(statuses(r), [0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 7, 0, 0, 3, 3, 3, 3],
       f"statuses: {[(i, x.get('msg')) for i, x in enumerate(r)]}")
    check("no open redis connection" in r[1]["msg"], f"forged: {r[1]}")
    check(base64.b64decode(r[15]["blobs"][0]) == b"sPONG", f"ping: {r[15]}")
    check(s.alive(), "server alive")


@T.case
def redis_size_limits():
    s, redis = main_server(), main_redis()
    mib16 = 16 << 20
    r = ops(s, redis.url(), ("set_big", "big-ok", mib16 - 64), ("get_len", "big-ok"),
            ("set_big", "big-no", mib16 + 1), ("get", "big-no"), ("execute", "PING", []),
            timeout=60)["results"]
    eq(r[0:2], [None, mib16 - 64], "a value just under 16 MiB there and back")
    check(is_err(r[2], "Error_Other", "16 MiB"), f"a value over 16 MiB: {r[2]}")
    eq(r[3], None, "the refused value was not stored")
    redis.command("SETRANGE", "big-server", mib16 + 10, "x")
    r = ops(s, redis.url(), ("get", "big-server"), ("execute", "PING", []), timeout=60)["results"]
    check(is_err(r[0], "Error_Other", "larger than"), f"a reply over 16 MiB: {r[0]}")
    eq(r[1], [["Status", "PONG"]], "the connection is made again after the refused reply")
    redis.command("DEL", "big-ok", "big-server")


if __name__ == "__main__":
    T.main()
