#!/usr/bin/env python3
"""tests/platform/test_redis_trigger.py -- Spin's Redis trigger in `pyedge up`,
end to end against real redis-servers the test starts: [[trigger.redis]]
subscriptions, messages published by the test running the component's
handle_message (spin-sdk 3.x InboundRedis and 4.0 RedisHandler), proven by
what the handler does (it records each payload in a Redis-backed key-value
store the test reads back, or prints to its component log).

Covers binary payloads, order within a channel, two channels and two
components, the app-wide and a per-trigger address, a handler that raises
or overruns its time limit (the next message is served), Redis restarted
under the subscriber, a full queue (dropped messages counted), an app with
only redis triggers (no listener, Spin's console lines) and one with HTTP
too, the SDK's redis template shape in both generations, and start-up
refusals (unknown component, missing channel, bad address, no handler).

Usage: tests/platform/test_redis_trigger.py [-k SUBSTRING]... [-v]
"""

import os
import re
import signal
import socket
import subprocess
import threading
import time

from platform_util import (HOST, CaseFailure, Redis, Runner, check, copy_app, eq, free_port,
                           request, start_fails)
import drive  # noqa: E402  (on the path platform_util set)

T = Runner(__doc__.split("\n")[0])
CLEAN = []  # what a case started, stopped when it ends (servers, pyedge)


def case(fn):
    def run():
        try:
            fn()
        finally:
            while CLEAN:
                try:
                    CLEAN.pop()()
                except Exception:
                    pass
    run.__name__ = fn.__name__
    return T.case(run)

WAIT = 20  # seconds for a message's effect to show


class App:
    """`pyedge up` on an app that may have no HTTP listener: ready once every
    subscriber says it subscribed (before that, a message would be lost)."""

    def __init__(self, app_dir, args=(), servers=1):
        self.app_dir = app_dir
        self.args = list(args)
        self.servers = servers
        self.port = free_port()
        self.out, self.err = [], []
        self.lock = threading.Lock()

    def start(self):
        cmd = [drive.PYEDGE, "up", "-f", self.app_dir, "--listen", f"{HOST}:{self.port}",
               *self.args]
        self.proc = subprocess.Popen(cmd, cwd=drive.ROOT, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     preexec_fn=drive._die_with_driver)
        CLEAN.append(self.stop)
        for stream, lines in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=self._pump, args=(stream, lines), daemon=True).start()
        if self.servers:
            self.wait_err("redis trigger: subscribed on", count=self.servers, timeout=120)
        else:
            self.wait_err("no HTTP listener", timeout=120)
        return self

    def _pump(self, stream, lines):
        for raw in iter(stream.readline, b""):
            with self.lock:
                lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def lines(self, which):
        with self.lock:
            return list(self.err if which == "err" else self.out)

    def wait_err(self, text, count=1, timeout=WAIT):
        return self._wait("err", text, count, timeout)

    def wait_out(self, text, count=1, timeout=WAIT):
        return self._wait("out", text, count, timeout)

    def _wait(self, which, text, count, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [line for line in self.lines(which) if text in line]
            if len(found) >= count:
                return found
            if self.proc.poll() is not None:
                time.sleep(0.2)  # the last lines
                raise CaseFailure(f"pyedge exited {self.proc.returncode} waiting for {text!r}: "
                                  f"{self.tail()}")
            time.sleep(0.05)
        raise CaseFailure(f"no {which} line with {text!r} after {timeout} s: {self.tail()}")

    def tail(self, n=10):
        return " | ".join(self.lines("err")[-n:]) or "(no stderr)"

    def log(self, component, stream):
        path = os.path.join(self.app_dir, ".spin", "logs", f"{component}_{stream}.txt")
        try:
            with open(path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode


def redis():
    r = Redis().start()
    CLEAN.append(r.stop)
    return r


COMPONENT = """
[component.{id}]
source = "app.wasm"
key_value_stores = ["default"]
environment = {{ TAG = "{id}" }}
[component.{id}.build]
command = "componentize-py -w {world} componentize {module} -o app.wasm"
"""

V3, V4 = "spin-redis", "spin:up/redis-trigger@4.0.0"


def make_app(triggers, components, app_address=None, store=None, extra=""):
    """A copy of apps/redis-trigger with this spin.toml: triggers as
    (channel, component, address or None); components as (id, world,
    module); the default key-value store in `store` (a Redis) when given."""
    app = copy_app("redis-trigger")
    doc = 'spin_manifest_version = 2\n[application]\nname = "redis-trigger-test"\n'
    if app_address:
        doc += f'[application.trigger.redis]\naddress = "{app_address}"\n'
    doc += extra
    for channel, component, address in triggers:
        doc += f'[[trigger.redis]]\nchannel = "{channel}"\ncomponent = "{component}"\n'
        if address:
            doc += f'address = "{address}"\n'
    for cid, world, module in components:
        doc += COMPONENT.format(id=cid, world=world, module=module)
    with open(os.path.join(app, "spin.toml"), "w") as f:
        f.write(doc)
    args = []
    if store is not None:
        rc = os.path.join(app, "rc.toml")
        with open(rc, "w") as f:
            f.write(f'[key_value_store.default]\ntype = "redis"\nurl = "{store.url(15)}"\n')
        args = ["--runtime-config-file", rc]
    return app, args


def publish(r, channel, payload, receivers=1):
    n = r.command("PUBLISH", channel, payload)
    eq(n, receivers, f"subscribers of {channel!r} when publishing")


def publish_many(r, channel, payloads):
    """Every PUBLISH in one write (a burst faster than any handler)."""
    data = b"".join(_resp(b"PUBLISH", channel.encode(), p) for p in payloads)
    with socket.create_connection((HOST, r.port), timeout=10) as s:
        s.sendall(data)
        f = s.makefile("rb")
        for _ in payloads:
            f.readline()


def _resp(*parts):
    out = [b"*%d\r\n" % len(parts)]
    for p in parts:
        out.append(b"$%d\r\n%s\r\n" % (len(p), p))
    return b"".join(out)


def count(store, tag):
    v = store.command("GET", f"count:{tag}", db=15)
    return int(v) if v else 0


def wait_count(store, tag, n, app=None, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if count(store, tag) >= n:
            return
        time.sleep(0.05)
    raise CaseFailure(f"{tag}: {count(store, tag)} messages recorded, expected {n}"
                      + (f": {app.tail()}" if app else ""))


def messages(store, tag):
    return [store.command("GET", f"msg:{tag}:{i}", db=15) for i in range(1, count(store, tag) + 1)]


# --- messages ---------------------------------------------------------------------------------

@case
def v3_and_v4_messages_on_two_channels():
    r = redis()
    app, args = make_app([("ch-a", "c3", None), ("ch-b", "c4", None)],
                         [("c3", V3, "msgapp"), ("c4", V4, "msgapp4")],
                         app_address=r.url(), store=r)
    a = App(app, args).start()
    publish(r, "ch-a", b"hello three")
    publish(r, "ch-b", b"hello four")
    wait_count(r, "c3", 1, a)
    wait_count(r, "c4", 1, a)
    eq(messages(r, "c3"), [b"hello three"], "3.x handler got its channel's message only")
    eq(messages(r, "c4"), [b"hello four"], "4.0 handler got its channel's message only")
    a.wait_out(f"\t{HOST}:{r.port}/ch-b: [c4]")  # the console lines go out in batches
    out = "\n".join(a.lines("out"))
    check(f"Active Channels on {HOST}:{r.port}:" in out, f"Spin's channel lines: {out}")
    check(f"\t{HOST}:{r.port}/ch-a: [c3]" in out and f"\t{HOST}:{r.port}/ch-b: [c4]" in out,
          f"one line per channel: {out}")


@case
def binary_payloads_arrive_unchanged():
    r = redis()
    app, args = make_app([("bin", "c3", None), ("bin4", "c4", None)],
                         [("c3", V3, "msgapp"), ("c4", V4, "msgapp4")],
                         app_address=r.url(), store=r)
    a = App(app, args).start()
    payloads = [bytes(range(256)), b"", b"\x00\xff\r\n" * 1000, os.urandom(300_000)]
    for p in payloads:
        publish(r, "bin", p)
        publish(r, "bin4", p)
    wait_count(r, "c3", len(payloads), a)
    wait_count(r, "c4", len(payloads), a)
    eq(messages(r, "c3"), payloads, "3.x: every byte, NUL and CRLF included, empty too")
    eq(messages(r, "c4"), payloads, "4.0: every byte")


@case
def many_messages_in_order_per_channel():
    r = redis()
    app, args = make_app([("seq", "c3", None), ("seq4", "c4", None)],
                         [("c3", V3, "msgapp"), ("c4", V4, "msgapp4")],
                         app_address=r.url(), store=r)
    a = App(app, args + ["--workers", "4"]).start()
    n = 300
    want = [b"m%04d" % i for i in range(n)]
    publish_many(r, "seq", want)
    publish_many(r, "seq4", want)
    wait_count(r, "c3", n, a, timeout=120)
    wait_count(r, "c4", n, a, timeout=120)
    eq(messages(r, "c3"), want, "3.x: in publishing order, none lost or repeated")
    eq(messages(r, "c4"), want, "4.0: in publishing order")


@case
def app_wide_and_per_trigger_address():
    r1, r2 = redis(), redis()
    app, args = make_app([("same", "c3", None), ("same", "c4", r2.url())],
                         [("c3", V3, "msgapp"), ("c4", V4, "msgapp4")],
                         app_address=r1.url(), store=r1)
    a = App(app, args, servers=2).start()
    publish(r1, "same", b"to one")
    publish(r2, "same", b"to two")
    wait_count(r1, "c3", 1, a)
    wait_count(r1, "c4", 1, a)
    eq(messages(r1, "c3"), [b"to one"], "the app-wide address's trigger")
    eq(messages(r1, "c4"), [b"to two"], "the trigger with its own address")


@case
def address_and_channel_from_variables():
    r = redis()
    extra = ('[variables]\nredis_port = { required = true }\nchan = { default = "from-var" }\n')
    app, args = make_app([("{{ chan }}", "c3", None)], [("c3", V3, "msgapp")],
                         app_address="redis://127.0.0.1:{{ redis_port }}", store=r, extra=extra)
    a = App(app, args + ["--variable", f"redis_port={r.port}"]).start()
    publish(r, "from-var", b"templated")
    wait_count(r, "c3", 1, a)
    eq(messages(r, "c3"), [b"templated"], "channel and address resolved from variables")


@case
def two_components_on_one_channel():
    r = redis()
    app, args = make_app([("shared", "c3", None), ("shared", "c4", None)],
                         [("c3", V3, "msgapp"), ("c4", V4, "msgapp4")],
                         app_address=r.url(), store=r)
    a = App(app, args).start()
    publish(r, "shared", b"both")  # one subscription, both components run
    wait_count(r, "c3", 1, a)
    wait_count(r, "c4", 1, a)
    a.wait_out("/shared: [c3,c4]")  # Spin's line; the console goes out in batches


# --- failures -------------------------------------------------------------------------------

@case
def handler_that_raises_is_logged_and_the_next_served():
    r = redis()
    app, args = make_app([("f", "c3", None), ("f4", "c4", None)],
                         [("c3", V3, "msgapp"), ("c4", V4, "msgapp4")],
                         app_address=r.url(), store=r)
    a = App(app, args).start()
    for ch in ("f", "f4"):
        publish(r, ch, b"raise")
        publish(r, ch, b"after")
    wait_count(r, "c3", 1, a)
    wait_count(r, "c4", 1, a)
    eq(messages(r, "c3"), [b"after"], "3.x: served after the failure")
    eq(messages(r, "c4"), [b"after"], "4.0: served after the failure")
    err = a.log("c3", "stderr")
    check("the handler failed: ValueError: asked to fail by b'raise' (at /app/msgapp.py:" in err
          and ", in fail)" in err, f"the app's frame first: {err[:400]}")
    check("Traceback (most recent call last):" in err, "the traceback in the component log")
    check("ValueError" in a.log("c4", "stderr"), "4.0's failure in its log")
    a.wait_out(f"{HOST}:{r.port}/f failed c3")


@case
def handler_past_its_time_limit():
    r = redis()
    app, args = make_app([("slow", "c3", None), ("fast", "c3", None)], [("c3", V3, "msgapp")],
                         app_address=r.url(), store=r)
    a = App(app, args + ["--request-timeout", "1s", "--workers", "2"]).start()
    t0 = time.monotonic()
    publish(r, "slow", b"spin")
    publish(r, "fast", b"meanwhile")  # another channel runs while one handler spins
    wait_count(r, "c3", 1, a)
    check(time.monotonic() - t0 < 1.0, "a spinning handler did not hold up another channel")
    a.wait_err("redis message on " + f"{HOST}:{r.port}/slow timed out", timeout=10)
    publish(r, "slow", b"next")
    wait_count(r, "c3", 2, a)
    eq(messages(r, "c3"), [b"meanwhile", b"next"], "the channel goes on after a timeout")


@case
def redis_restarted_under_the_subscriber():
    r = redis()
    app, args = make_app([("rs", "c3", None)], [("c3", V3, "msgapp")],
                         app_address=r.url(), store=r)
    a = App(app, args).start()
    publish(r, "rs", b"before")
    wait_count(r, "c3", 1, a)
    r.stop()
    time.sleep(1.5)  # several reconnection attempts while it is away
    r2 = Redis(port=r.port).start()
    CLEAN.append(r2.stop)
    a.wait_err("subscribed again on", timeout=15)
    # the first message's handler prints before its store call (the
    # key-value backend's pooled connection to the old server fails once:
    # kv_redis.c drops it and reconnects on the next call)
    publish(r2, "rs", b"print:after restart")
    deadline = time.monotonic() + WAIT
    while "after restart" not in a.log("c3", "stdout") and time.monotonic() < deadline:
        time.sleep(0.05)
    check("after restart" in a.log("c3", "stdout"), f"handled after the restart: {a.tail()}")
    publish(r2, "rs", b"again")
    wait_count(r2, "c3", 1, a)  # a fresh server: its store starts empty
    eq(messages(r2, "c3")[-1], b"again", "and recorded")
    lost = [l for l in a.lines("err") if "lost " in l or "cannot subscribe" in l]
    check(1 <= len(lost) <= 2, f"the outage logged once (lost, then one failed attempt), "
                               f"not per attempt: {lost}")


@case
def redis_down_at_start_up():
    port = free_port()
    app, args = make_app([("late", "c3", None)], [("c3", V3, "msgapp")],
                         app_address=f"redis://{HOST}:{port}")
    a = App(app, args)
    a.servers = 0  # nothing to subscribe to yet
    a.start()
    a.wait_err("cannot subscribe on", timeout=15)
    time.sleep(1.5)
    r = Redis(port=port).start()
    CLEAN.append(r.stop)
    a.wait_err("redis trigger: subscribed on", timeout=15)
    publish(r, "late", b"print:first message")
    deadline = time.monotonic() + WAIT
    while "first message" not in a.log("c3", "stdout") and time.monotonic() < deadline:
        time.sleep(0.05)
    check("first message" in a.log("c3", "stdout"), f"handled once Redis came: {a.tail()}")
    eq(len([l for l in a.lines("err") if "cannot subscribe" in l]), 1,
       "the failed attempts logged once")


@case
def snapshot_files_from_pyedge_build():
    r = redis()
    app, args = make_app([("built", "c3", None)], [("c3", V3, "msgapp")],
                         app_address=r.url(), store=r)
    p = subprocess.run([drive.PYEDGE, "build", "-f", app, *args], cwd=drive.ROOT,
                       capture_output=True, timeout=300)
    eq(p.returncode, 0, f"pyedge build: {p.stderr.decode()[-400:]}")
    a = App(app, args).start()
    a.wait_err("c3 ready: msgapp.py from its snapshot file")
    publish(r, "built", b"from the file")
    wait_count(r, "c3", 1, a)


@case
def full_queue_drops_and_counts():
    r = redis()
    app, args = make_app([("burst", "c3", None)], [("c3", V3, "msgapp")],
                         app_address=r.url(), store=r)
    a = App(app, args + ["--request-timeout", "2s"]).start()
    publish(r, "burst", b"spin")  # holds the channel for 2 s
    time.sleep(0.3)
    publish_many(r, "burst", [b"b%05d" % i for i in range(1500)])
    lines = a.wait_err("new messages dropped", timeout=10)
    dropped = sum(int(re.search(r"(\d+) new messages dropped", l).group(1)) for l in lines)
    wait_count(r, "c3", 1024, a, timeout=120)
    time.sleep(1.5)
    lines = a.lines("err")
    dropped = sum(int(m.group(1)) for l in lines
                  for m in [re.search(r"(\d+) new messages dropped", l)] if m)
    eq(count(r, "c3"), 1024, "the queue's bound of messages handled")
    eq(dropped, 1500 - 1024, "every drop counted")
    got = messages(r, "c3")
    eq(got, [b"b%05d" % i for i in range(1024)], "the oldest kept, in order; the newest dropped")


class HostileRedis:
    """A MOCK Redis server (real Redis never sends what this does): after
    the SUBSCRIBE confirmation it sends pushes of every wrong shape, one
    good message, then bytes that are not RESP at all; on the next
    connection one more good message. Only a fake can test that the
    subscriber survives a server that breaks the protocol."""

    ODD = [
        b"*2\r\n$7\r\nmessage\r\n$1\r\nc\r\n",                      # two elements
        b"*3\r\n:1\r\n$1\r\nc\r\n$1\r\nx\r\n",                      # kind not a string
        b"*3\r\n$7\r\nmessage\r\n:5\r\n$1\r\nx\r\n",                # channel an integer
        b"*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n*1\r\n$1\r\nx\r\n",  # payload an array
        b"*3\r\n$7\r\nmessage\r\n$5\r\nother\r\n$1\r\nx\r\n",     # a channel not ours
        b"*3\r\n$8\r\npmessage\r\n$1\r\nc\r\n$1\r\nx\r\n",        # another kind
        b"$-1\r\n+OK\r\n:42\r\n-ERR nope\r\n*-1\r\n*0\r\n",          # not arrays
    ]

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind((HOST, 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    @staticmethod
    def _msg(payload):
        return _resp(b"message", b"c", payload)

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(5)
                try:
                    conn.recv(4096)  # SUBSCRIBE c
                    conn.sendall(b"*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n")
                    if self.connections == 1:
                        conn.sendall(b"".join(self.ODD) + self._msg(b"print:good one"))
                        time.sleep(0.5)
                        conn.sendall(b"!!! not RESP\r\n")
                        time.sleep(0.5)
                    else:
                        conn.sendall(self._msg(b"print:good two"))
                        time.sleep(30)
                except OSError:
                    pass

    def stop(self):
        self.sock.close()


@case
def hostile_server_replies_are_survived():
    mock = HostileRedis()
    CLEAN.append(mock.stop)
    app, args = make_app([("c", "c3", None)], [("c3", V3, "msgapp")],
                         app_address=f"redis://{HOST}:{mock.port}")
    a = App(app, args).start()
    deadline = time.monotonic() + WAIT
    while "good two" not in a.log("c3", "stdout") and time.monotonic() < deadline:
        time.sleep(0.05)
    eq(a.log("c3", "stdout"), "good one\ngood two\n",
       f"only the well-formed messages ran: {a.tail()} / stdout {a.lines('out')}")
    check(any("lost " in l and "reconnecting" in l for l in a.lines("err")),
          f"the protocol error dropped the connection: {a.tail()}")
    check(a.proc.poll() is None, "pyedge still runs")


# --- apps ----------------------------------------------------------------------------------

@case
def redis_only_app_has_no_listener():
    r = redis()
    app, args = make_app([("only", "c3", None)], [("c3", V3, "msgapp")],
                         app_address=r.url(), store=r)
    a = App(app, args).start()
    publish(r, "only", b"x")
    wait_count(r, "c3", 1, a)
    a.wait_out("Logging component stdio to")  # the console goes out in batches
    out = a.lines("out")
    check(not any(l.startswith("Serving ") for l in out), f"no Serving line: {out}")
    check(any(l.startswith("Logging component stdio to") for l in out), f"Spin's log line: {out}")
    with socket.socket() as s:
        s.settimeout(2)
        check(s.connect_ex((HOST, a.port)) != 0, "nothing listens on --listen")
    eq(a.stop(), 0, "SIGTERM stops it cleanly")


@case
def app_with_http_and_redis():
    r = redis()
    extra = '[[trigger.http]]\nroute = "/count"\ncomponent = "both"\n'
    app, args = make_app([("mix", "both", None)], [("both", V3, "both")],
                         app_address=r.url(), store=r, extra=extra)
    a = App(app, args).start()
    a.wait_err("pyedge: serving redis-trigger-test on")
    eq(request(a.port, "GET", "/count").body, b"0", "HTTP served by the same component")
    publish(r, "mix", b"one")
    publish(r, "mix", b"two")
    wait_count(r, "both", 2, a)
    eq(request(a.port, "GET", "/count").body, b"2", "HTTP sees what the messages did")
    a.wait_out("Active Channels on")  # the console goes out in batches
    out = a.lines("out")
    check(any(l.startswith("Serving http://") for l in out), f"the HTTP lines too: {out}")
    check(any(l.startswith("Active Channels on") for l in out), f"and the channels: {out}")


def template(name, world_note):
    r = redis()
    app = copy_app(name)
    path = os.path.join(app, "spin.toml")
    with open(path) as f:
        doc = f.read()
    check('address = "redis://localhost:6379"' in doc, "the template's address")
    with open(path, "w") as f:
        f.write(doc.replace("redis://localhost:6379", f"redis://localhost:{r.port}"))
    a = App(app).start()
    publish(r, "messages", b"hello from the template")
    deadline = time.monotonic() + WAIT
    while "hello" not in a.log("echo-message", "stdout") and time.monotonic() < deadline:
        time.sleep(0.05)
    eq(a.log("echo-message", "stdout"), "b'hello from the template'\n",
       f"{world_note}: print(message) in the component's log")
    # the console lines go out in batches (within 50 ms), maybe after the message
    a.wait_out(f"localhost:{r.port}/messages: [echo-message]")


@case
def sdk_template_v3():
    template("tpl-redis-py", "spin-redis world")


@case
def sdk_template_v4():
    template("tpl-redis-py-v4", "spin:up/redis-trigger@4.0.0 world")


# --- start-up refusals ----------------------------------------------------------------------

def refused(triggers, components, app_address="redis://127.0.0.1:6399", extra=""):
    app, _ = make_app(triggers, components, app_address=app_address, extra=extra)
    return start_fails(app, [])


@case
def unknown_component_refused():
    err = refused([("c", "ghost", None)], [("c3", V3, "msgapp")])
    check("[[trigger.redis]] 'ghost-redis-trigger' refers to component 'ghost', which is not "
          "defined" in err, err)


@case
def missing_channel_refused():
    app, _ = make_app([], [("c3", V3, "msgapp")], app_address="redis://127.0.0.1:1",
                      extra='[[trigger.redis]]\ncomponent = "c3"\n')
    err = start_fails(app, [])
    check("missing 'channel' in [[trigger.redis]]" in err or "'channel'" in err, err)


@case
def bad_address_refused():
    for address, want in (("http://127.0.0.1:1", "does not start with redis://"),
                          ("redis://h:99999", "bad port"), ("redis://", "no host")):
        err = refused([("c", "c3", address)], [("c3", V3, "msgapp")])
        check("[[trigger.redis]] 'c3-redis-trigger': bad address" in err and want in err,
              f"{address}: {err}")


@case
def no_address_anywhere_refused():
    err = refused([("c", "c3", None)], [("c3", V3, "msgapp")], app_address=None)
    check("has no 'address', and [application.trigger.redis] sets none" in err, err)


@case
def module_without_redis_handler_refused():
    err = refused([("c", "web", None)], [("web", V3, "httponly")])
    check("has no Redis handler, which [[trigger.redis]] needs" in err, err)
    check("InboundRedis" in err and "RedisHandler" in err, f"names what it looked for: {err}")


if __name__ == "__main__":
    T.main()
