#!/usr/bin/env python3
"""tests/platform/test_mqtt.py -- outbound MQTT (spin_sdk.mqtt) in `pyedge up`,
end to end: the SDK in the sandbox (tests/platform/apps/mqtt), the host's
"mqtt.*" services over libmosquitto, a real mosquitto broker on loopback and
a real subscriber (mosquitto_sub) that must receive what was published.

Covers each QoS in both SDK generations and through every module name apps
import, credentials accepted and refused, denied hosts, bad addresses, a
broker that is down, one that accepts TCP but never answers (the request's
deadline), the per-request connection limit, connections closed at the end
of a `with` block and of the request (and useless when kept in a global of
a reused sandbox), hostile payloads sent straight through _pyedge.call, and
the outbound-mqtt example.

Usage: tests/platform/test_mqtt.py [-k SUBSTRING]... [-v]
"""

import base64
import json
import os
import socket
import subprocess
import threading
import time

from platform_util import (HOST, CaseFailure, Runner, Server, check, copy_app, copy_example, eq,
                           free_port, post_ok, tempdir)
import drive

T = Runner(__doc__.split("\n")[0])

MOSQUITTO = "/usr/sbin/mosquitto"
MOSQUITTO_SUB = "/usr/bin/mosquitto_sub"
MOSQUITTO_PASSWD = "/usr/bin/mosquitto_passwd"


def b64(b):
    return base64.b64encode(b).decode()


# --- a real broker and a real subscriber ------------------------------------------------

class Broker:
    """mosquitto on a free loopback port, configured in a temporary
    directory; with users={name: password} it refuses anonymous clients."""

    def __init__(self, users=None, port=None, log_all=False):
        self.users = users
        self.log_all = log_all
        self.log = []
        self.port = port or free_port()
        self.dir = tempdir("pe-mqtt-broker-")
        self.proc = None

    def start(self):
        conf = os.path.join(self.dir, "mosquitto.conf")
        lines = [f"listener {self.port} {HOST}", "persistence false", "log_dest stderr",
                 "log_type all" if self.log_all else "log_type error"]
        if os.geteuid() == 0:
            lines.append("user root")  # keep reading the files made here
        if self.users:
            pwfile = os.path.join(self.dir, "passwords")
            for i, (name, pw) in enumerate(self.users.items()):
                subprocess.run([MOSQUITTO_PASSWD, "-b"] + (["-c"] if i == 0 else []) +
                               [pwfile, name, pw], check=True, capture_output=True)
            lines += ["allow_anonymous false", f"password_file {pwfile}"]
        else:
            lines.append("allow_anonymous true")
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", conf], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     preexec_fn=drive._die_with_driver)
        threading.Thread(target=self._read_log, daemon=True).start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection((HOST, self.port), timeout=1).close()
                return self
            except OSError:
                pass
            if self.proc.poll() is not None:
                time.sleep(0.2)
                raise CaseFailure(f"mosquitto exited with {self.proc.returncode}: {self.log[-5:]}")
            time.sleep(0.05)
        raise CaseFailure("mosquitto did not listen within 10 s")

    def _read_log(self):
        for raw in iter(self.proc.stderr.readline, b""):
            self.log.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def wait_log(self, text, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.log):
                return True
            time.sleep(0.05)
        return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def address(self, client_id="pyedge-test", host=HOST):
        return f"mqtt://{host}:{self.port}?client_id={client_id}"


class Subscriber:
    """mosquitto_sub on `topic` (QoS 2, so each message arrives with the QoS
    it was published with); collects (topic, qos, payload) tuples."""

    def __init__(self, broker, topic, user=None, password=None):
        cmd = ["stdbuf", "-oL", MOSQUITTO_SUB, "-h", HOST, "-p", str(broker.port), "-t", topic, "-q", "2", "-d",
               "-i", f"sub-{os.getpid()}-{time.monotonic_ns()}", "-F", "M %q %x %t"]
        if user:
            cmd += ["-u", user, "-P", password]
        # stdbuf: a line at a time through the pipe, not when its buffer fills
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, preexec_fn=drive._die_with_driver)
        self.got = []
        self.lines = []
        self.subscribed = threading.Event()
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        if not self.subscribed.wait(10):
            self.stop()
            raise CaseFailure(f"mosquitto_sub did not subscribe: {self.lines[-5:]}")

    def _read(self):
        for raw in iter(self.proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines.append(line)
            if "SUBACK" in line:
                self.subscribed.set()
            if line.startswith("M "):
                parts = line.split(" ", 3)
                with self.cond:
                    self.got.append((parts[3], int(parts[1]), bytes.fromhex(parts[2])))
                    self.cond.notify_all()

    def wait(self, n, timeout=10):
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.got) < n and time.monotonic() < deadline:
                self.cond.wait(0.1)
            return list(self.got)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


class Silent:
    """A TCP listener that accepts and never says a word (not a broker)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind((HOST, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held = []
        self.stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(c)

    def stop(self):
        self.stopping = True
        self.sock.close()
        for c in self.held:
            c.close()


def closed_port():
    """A loopback port nothing listens on."""
    s = socket.socket()
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


# --- shared servers -------------------------------------------------------------------

_main = {}


def broker():
    if "broker" not in _main or _main["broker"].proc.poll() is not None:
        _main["broker"] = Broker().start()
        T.cleanups.append(_main["broker"].stop)
    return _main["broker"]


def server():
    if "srv" not in _main or not _main["srv"].alive():
        srv = Server(copy_app("mqtt"), [], name="mqtt")
        srv.start()
        _main["srv"] = srv
    return _main["srv"]


def publish(path, address, msgs, srv=None, **kw):
    doc = dict(address=address, msgs=[m if m[0] == "sleep" else [m[0], b64(m[1]), m[2]]
                                      for m in msgs], **kw)
    return post_ok((srv or server()).port, path, doc, timeout=60)


def expect_err(r, stage, name, contains=None):
    check(r.get("stage") == stage and r.get("err") == name,
          f"expected {name} at {stage}, got {r}")
    if contains is not None:
        text = " ".join([r.get("msg") or ""] + r.get("notes", []))
        check(contains in text, f"expected '{contains}' in the error, got {r}")


# --- publishing --------------------------------------------------------------------------

def each_qos(path, via, tag):
    b = broker()
    sub = Subscriber(b, f"{tag}/#")
    try:
        payloads = [b"at most once", b"at least once \x00\xff", b"exactly once " + bytes(range(256))]
        msgs = [(f"{tag}/q{q}", payloads[q], q) for q in range(3)]
        r = publish(path, b.address(f"pub-{tag}"), msgs, via=via)
        eq(r, {"ok": True, "published": 3}, "publish result")
        got = sub.wait(3)
        eq(sorted(got), sorted((t, q, p) for t, p, q in msgs), "what the subscriber received")
    finally:
        sub.stop()


@T.case
def mqtt_v3_each_qos():
    each_qos("/v3/publish", "sdk", "v3sdk")


@T.case
def mqtt_v3_wit_modules():
    """spin_sdk.wit.imports.mqtt (3.x's generated name) and
    fermyon_spin_mqtt_2_0_0 work the same."""
    each_qos("/v3/publish", "wit", "v3wit")
    each_qos("/v3/publish", "fermyon", "v3fermyon")


@T.case
def mqtt_v4_each_qos():
    each_qos("/v4/publish", "sdk", "v4sdk")


@T.case
def mqtt_v4_wit_modules():
    """spin_mqtt_mqtt_3_0_0 (async) and fermyon_spin_mqtt_2_0_0 (sync) in a
    4.0 app."""
    each_qos("/v4/publish", "wit", "v4wit")
    each_qos("/v4/publish", "fermyon", "v4fermyon")


@T.case
def mqtt_address_forms():
    """tcp://, a host name (localhost), a trailing '/', clean_session and
    rumqttc's tuning parameters are accepted; the keep-alive argument may
    be 0 or huge."""
    b = broker()
    sub = Subscriber(b, "forms/#")
    try:
        forms = [
            (f"tcp://{HOST}:{b.port}?client_id=f1", 30),
            (f"mqtt://localhost:{b.port}/?client_id=f2", 0),
            (f"MQTT://{HOST}:{b.port}?client_id=f%33&clean_session=false&keep_alive_secs=5", 1),
            (f"mqtt://{HOST}:{b.port}?inflight_num=10&client_id=f+4&conn_timeout_secs=3", 2**64 - 1),
        ]
        for i, (addr, ka) in enumerate(forms):
            r = publish("/v3/publish", addr, [(f"forms/{i}", b"x", 1)], keep_alive=ka)
            eq(r, {"ok": True, "published": 1}, addr)
        eq(sorted(t for t, _, _ in sub.wait(4)), [f"forms/{i}" for i in range(4)], "received")
    finally:
        sub.stop()


@T.case
def mqtt_payload_sizes():
    """Empty and 1 MiB payloads arrive whole; over 16 MiB is refused before
    anything is sent."""
    b = broker()
    sub = Subscriber(b, "sizes/#")
    try:
        big = os.urandom(1 << 20)
        r = publish("/v3/publish", b.address("sizes"), [("sizes/empty", b"", 1),
                                                         ("sizes/big", big, 2)])
        eq(r, {"ok": True, "published": 2}, "publish")
        got = dict((t, p) for t, _, p in sub.wait(2))
        eq(got.get("sizes/empty"), b"", "empty payload")
        check(got.get("sizes/big") == big, "the 1 MiB payload arrived changed")
        # made in the app: a request body that large is refused inbound
        r = post_ok(server().port, "/v3/publish",
                    {"address": b.address("sizes2"),
                     "msgs": [["sizes/huge", {"zeros": (16 << 20) + 1}, 0]]}, timeout=60)
        expect_err(r, "publish", "Error_Other", "payload")
    finally:
        sub.stop()


@T.case
def mqtt_bad_topics():
    b = broker()
    for topic, why in [("", "topic"), ("a/+/b", "wildcard"), ("a/#", "wildcard"),
                       ("x" * 65536, "topic")]:
        r = publish("/v3/publish", b.address("topics"), [(topic, b"x", 0)])
        expect_err(r, "publish", "Error_Other", why)


# --- credentials -----------------------------------------------------------------------

@T.case
def mqtt_credentials():
    b = Broker(users={"user": "s3cret pass", "other": "x"}).start()
    try:
        sub = Subscriber(b, "auth/#", "other", "x")
        try:
            r = publish("/v3/publish", b.address("auth-ok"), [("auth/ok", b"yes", 1)],
                        user="user", password="s3cret pass")
            eq(r, {"ok": True, "published": 1}, "right password")
            r = publish("/v4/publish", b.address("auth-ok4"), [("auth/ok4", b"yes", 2)],
                        user="user", password="s3cret pass")
            eq(r, {"ok": True, "published": 1}, "right password, 4.0")
            eq(sorted(t for t, _, _ in sub.wait(2)), ["auth/ok", "auth/ok4"], "received")
        finally:
            sub.stop()
        for user, pw in [("user", "wrong"), ("nobody", "x"), ("", "")]:
            r = publish("/v3/publish", b.address("auth-bad"), [("auth/no", b"no", 1)],
                        user=user, password=pw)
            expect_err(r, "open", "Error_ConnectionFailed", "refused")
            check("s3cret" not in str(r) and (not pw or pw not in (r.get("msg") or "")),
                  f"a password appears in the error: {r}")
    finally:
        b.stop()


# --- refusals and failures ------------------------------------------------------------

@T.case
def mqtt_denied_host():
    b = broker()
    r = publish("/none/publish", b.address("denied"), [("denied/x", b"x", 0)])
    expect_err(r, "open", "Error_ConnectionFailed", "not allowed")
    # mqtt4 allows only mqtt://127.0.0.1:* (a name resolving to it too)
    for addr in (b.address("d2", host="127.0.0.2"), f"tcp://{HOST}:{b.port}?client_id=d3"):
        r = publish("/v4/publish", addr, [("denied/x", b"x", 0)])
        expect_err(r, "open", "Error_ConnectionFailed", "not allowed")


@T.case
def mqtt_bad_addresses():
    port = broker().port
    bad = [
        "", "127.0.0.1:1883", f"http://{HOST}:{port}?client_id=x",
        f"mqtt://{HOST}:{port}",                       # no client id (Spin requires one)
        f"mqtt://{HOST}:{port}?client_id=",            # empty
        f"mqtt://{HOST}:{port}?client_id=%20x",         # leading space
        f"mqtt://{HOST}:{port}?client_id=x&client_id=y",
        f"mqtt://{HOST}:{port}?client_id=x&bogus=1",
        f"mqtt://{HOST}:{port}?client_id=x&clean_session=maybe",
        f"mqtt://{HOST}:{port}?client_id=x&inflight_num=-1",
        f"mqtt://{HOST}:{port}?client_id=%zz",
        f"mqtt://{HOST}:{port}?client_id=%00",
        f"mqtt://{HOST}:0?client_id=x", f"mqtt://{HOST}:65536?client_id=x",
        f"mqtt://{HOST}:?client_id=x", f"mqtt://:{port}?client_id=x",
        f"mqtt://user:pw@{HOST}:{port}?client_id=x",
        f"mqtt://{HOST}:{port}/topic?client_id=x", f"mqtt://{HOST}:{port}?client_id=x#f",
        f"mqtt://{HOST} :{port}?client_id=x", f"mqtt://[::1?client_id=x",
        f"mqtts://{HOST}:8883?client_id=x", f"ws://{HOST}:{port}?client_id=x",
        f"mqtt://{HOST}:{port}?client_id=" + "a" * 1025,
        f"mqtt://{HOST}:{port}?client_id=é",
    ]
    for addr in bad:
        r = publish("/v3/publish", addr, [])
        expect_err(r, "open", "Error_InvalidAddress")
        check(r["notes"] and "invalid MQTT address" in r["notes"][0],
              f"{addr!r}: no explanation attached: {r}")


@T.case
def mqtt_broker_down():
    """Nothing listens: open fails at once with a clear error."""
    t0 = time.monotonic()
    r = publish("/v3/publish", f"mqtt://{HOST}:{closed_port()}?client_id=down", [])
    expect_err(r, "open", "Error_ConnectionFailed", "refused")
    check(time.monotonic() - t0 < 5, "took more than 5 s")


@T.case
def mqtt_silent_broker_deadline():
    """A peer that accepts TCP and never sends CONNACK: open gives up at the
    request's deadline (here 2 s), the worker is free again."""
    silent = Silent()
    srv = Server(copy_app("mqtt"), ["--request-timeout", "2"], name="mqtt-deadline")
    srv.start()
    try:
        t0 = time.monotonic()
        status, body = drive_post(srv.port, "/v3/publish",
                                  {"address": f"mqtt://{HOST}:{silent.port}?client_id=s",
                                   "msgs": []})
        took = time.monotonic() - t0
        # either the runtime stopped the handler (5xx) or open returned its
        # TIMEOUT first and the handler answered with the error at once
        if status == 200:
            doc = json.loads(body)
            expect_err(doc, "open", "Error_ConnectionFailed", "no answer from the broker in time")
        else:
            check(status in (500, 503, 504), f"status {status}: {body!r}")
        check(1.5 < took < 4, f"answered after {took:.1f} s, not at the 2 s deadline")
        check(srv.alive(), "server alive")
        # the next request runs normally
        r = post_ok(srv.port, "/v3/publish", {"address": broker().address("after"), "msgs": []})
        eq(r, {"ok": True, "published": 0}, "a request after the deadline")
    finally:
        srv.stop()
        silent.stop()


@T.case
def mqtt_broker_stops_answering_publish():
    """The broker stops (SIGSTOP) after CONNACK: a QoS 1 publish waits for
    its PUBACK only until the request's deadline (3 s here)."""
    b = Broker().start()
    srv = Server(copy_app("mqtt"), ["--request-timeout", "3"], name="mqtt-stopped")
    srv.start()
    try:
        out = {}

        def run():
            t0 = time.monotonic()
            out["r"] = drive_post(srv.port, "/v3/publish", {
                "address": b.address("stopped"),
                "msgs": [["stopped/a", b64(b"a"), 1], ["sleep", 600], ["stopped/b", b64(b"b"), 1]]})
            out["took"] = time.monotonic() - t0

        t = threading.Thread(target=run)
        t.start()
        time.sleep(0.3)
        os.kill(b.proc.pid, 19)  # SIGSTOP: the socket stays open, nothing answers
        t.join(20)
        os.kill(b.proc.pid, 18)  # SIGCONT
        check("r" in out, "no answer within 20 s")
        status, body = out["r"]
        if status == 200:
            doc = json.loads(body)
            expect_err(doc, "publish", "Error_ConnectionFailed", "no answer from the broker in time")
            eq(doc.get("published"), 1, "the first publish was acknowledged")
        else:
            check(status in (500, 503, 504), f"status {status}: {body!r}")
        check(2.5 < out["took"] < 5, f"answered after {out['took']:.1f} s, not at the deadline")
        check(srv.alive(), "server alive")
    finally:
        srv.stop()
        b.stop()


@T.case
def mqtt_broker_dies_mid_connection():
    """The broker is killed between two publishes on one connection: the
    second fails with Error_ConnectionFailed (no SIGPIPE, no hang), and the
    server goes on; a QoS 0 publish, which waits for no answer, too."""
    b = Broker().start()
    server()  # started before the clock below runs
    try:
        out = {}

        def run():
            out["r"] = publish("/v3/publish", b.address("dies"),
                               [("dies/a", b"a", 1), ("sleep", 600), ("dies/b", b"b", 1),
                                ("dies/c", b"c", 0)])

        t = threading.Thread(target=run)
        t.start()
        time.sleep(0.3)
        b.stop()
        t.join(30)
        check("r" in out, "no answer within 30 s")
        r = out["r"]
        expect_err(r, "publish", "Error_ConnectionFailed", "the broker closed the connection")
        eq(r.get("published"), 1, "published before the broker died")
        check(server().alive(), "server alive")
    finally:
        b.stop()
    b = Broker().start()
    try:
        out = {}

        def run0():
            out["r"] = publish("/v3/publish", b.address("dies0"),
                               [("dies/a", b"a", 0), ("sleep", 600), ("dies/c", b"c", 0)])

        t = threading.Thread(target=run0)
        t.start()
        time.sleep(0.3)
        b.stop()
        t.join(30)
        check("r" in out, "no answer within 30 s")
        expect_err(out["r"], "publish", "Error_ConnectionFailed", "the broker closed the connection")
        eq(out["r"].get("published"), 1, "QoS 0: published before the broker died")
    finally:
        b.stop()


@T.case
def mqtt_concurrent_requests():
    """Requests on every worker publish at once, each on its own connection;
    the subscriber receives every message exactly once."""
    b = broker()
    sub = Subscriber(b, "conc/#")
    try:
        results = [None] * 16

        def run(i):
            results[i] = publish("/v3/publish", b.address(f"conc-{i}"),
                                 [(f"conc/{i}/{k}", f"{i}-{k}".encode(), k % 3) for k in range(5)])

        threads = [threading.Thread(target=run, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        eq(results, [{"ok": True, "published": 5}] * 16, "results")
        got = sub.wait(80, timeout=20)
        eq(sorted(p for _, _, p in got), sorted(f"{i}-{k}".encode() for i in range(16) for k in range(5)),
           "received, each once")
    finally:
        sub.stop()


def drive_post(port, path, doc):
    r = drive.request(port, "POST", path, {"content-type": "application/json"},
                      json.dumps(doc).encode(), timeout=30)
    return r.status, r.body


# --- lifetimes and limits --------------------------------------------------------------

@T.case
def mqtt_connection_limit():
    b = broker()
    r = post_ok(server().port, "/v3/many", {"address": b.address("many"), "n": 9})
    eq((r.get("opened"), r.get("err")), (8, "Error_TooManyConnections"), "9th open")
    # the request's connections were closed at its end: 8 more open fine
    r = post_ok(server().port, "/v3/many", {"address": b.address("many2"), "n": 8})
    eq(r, {"opened": 8}, "next request")


@T.case
def mqtt_with_block_closes():
    b = broker()
    r = post_ok(server().port, "/v3/with", {"address": b.address("with")})
    expect_err(r, "publish", "Error_Other", "closed")


@T.case
def mqtt_disconnect_at_request_end():
    """A connection the app leaves open is closed with a DISCONNECT when
    the request ends (the broker logs receiving it), not left to time out."""
    b = Broker(log_all=True).start()
    try:
        app = Server(copy_app("mqtt"), [], name="mqtt-end")
        app.start()
        try:
            # /v3/kept opens a connection, publishes and returns without closing it
            eq(post_ok(app.port, "/v3/kept", {"address": b.address("end-1"), "topic": "end/x"}),
               {"first": True}, "first")
            check(b.wait_log("Received PUBLISH from end-1"), f"no PUBLISH: {b.log[-5:]}")
            check(b.wait_log("Received DISCONNECT from end-1"),
                  f"no DISCONNECT at the end of the request: {b.log[-5:]}")
            check(b.wait_log("Client end-1 disconnected"), f"not disconnected: {b.log[-5:]}")
        finally:
            app.stop()
    finally:
        b.stop()


@T.case
def mqtt_kept_connection_in_reused_sandbox():
    """A Connection kept in a module global is useless in the next request
    of a reused sandbox (the host closed it when the first ended)."""
    b = broker()
    sub = Subscriber(b, "kept/#")
    srv = Server(copy_app("mqtt"), ["--workers", "1", "--max-instance-reuse-count", "5"],
                 name="mqtt-reuse")
    srv.start()
    try:
        doc = {"address": b.address("kept"), "topic": "kept/x"}
        eq(post_ok(srv.port, "/v3/kept", doc), {"first": True}, "first request")
        d = post_ok(srv.port, "/v3/kept", doc)
        check(d.get("first") is False, f"the sandbox was not reused: {d}")
        expect_err(d["kept"], "publish", "Error_Other", "no open mqtt connection")
        eq(sorted(p for _, _, p in sub.wait(2)), [b"first", b"fresh"], "received")
    finally:
        srv.stop()
        sub.stop()


@T.case
def mqtt_argument_types():
    r = post_ok(server().port, "/v3/types", {"address": broker().address("types")})
    eq(r, ["TypeError", "TypeError", "TypeError", "OverflowError",
           "TypeError", "TypeError", "TypeError"], "errors")


# --- hostile payloads ---------------------------------------------------------------------

def raw(script):
    return post_ok(server().port, "/v3/raw", script)


def statuses(results):
    return [r["status"] for r in results]


@T.case
def mqtt_raw_hostile_payloads():
    b = broker()
    addr = {"str": b.address("raw")}
    u, p, ka = {"str": ""}, {"str": ""}, {"u64": 30}
    script = [
        {"svc": "mqtt.open", "blobs": [addr, u, p, ka]},                    # 0: ok
        {"svc": "mqtt.open", "blobs": [addr, u, p]},                        # 1: too few
        {"svc": "mqtt.open", "blobs": [addr, u, p, ka, ka]},                # 2: too many
        {"svc": "mqtt.open", "blobs": [addr, u, p, {"b64": b64(b"abc")}]},  # 3: not a u64
        {"svc": "mqtt.open", "blobs": [addr, {"b64": b64(b"u\x00x")}, p, ka]},  # 4: NUL
        {"svc": "mqtt.open", "blobs": [addr, {"b64": b64(b"\xff\xfe")}, p, ka]},  # 5: not UTF-8
        {"svc": "mqtt.open", "blobs": [addr, {"b64": b64(b"u" * 65536)}, p, ka]},  # 6: too long
        {"svc": "mqtt.open", "blobs": [{"b64": b64(b"mqtt://" + b"a" * 5000)}, u, p, ka]},  # 7
        {"svc": "mqtt.open", "raw": b64(b"\xff\xff\xff\xff")},              # 8: overrunning
        {"svc": "mqtt.publish", "blobs": [{"ref": 0}, {"str": "raw/x"}, {"b64": ""}, {"u64": 3}]},  # 9
        {"svc": "mqtt.publish", "blobs": [{"u64": 999999}, {"str": "raw/x"}, {"b64": ""}, {"u64": 0}]},  # 10
        {"svc": "mqtt.publish", "blobs": [{"ref": 0}, {"b64": b64(b"raw/\xc0\x80")}, {"b64": ""}, {"u64": 0}]},  # 11
        {"svc": "mqtt.publish", "blobs": [{"ref": 0}, {"b64": b64(b"raw/\x00")}, {"b64": ""}, {"u64": 0}]},  # 12
        {"svc": "mqtt.publish", "blobs": [{"ref": 0}, {"str": "raw/x"}, {"b64": ""}]},  # 13
        {"svc": "mqtt.publish", "blobs": [{"ref": 0}, {"str": "raw/ok"}, {"b64": b64(b"ok")}, {"u64": 2}]},  # 14: ok
        {"svc": "mqtt.close", "blobs": [{"ref": 0}]},                        # 15
        {"svc": "mqtt.publish", "blobs": [{"ref": 0}, {"str": "raw/x"}, {"b64": ""}, {"u64": 0}]},  # 16: closed
        {"svc": "mqtt.close", "blobs": [{"ref": 0}]},                        # 17: twice: harmless
        {"svc": "mqtt.close", "blobs": []},                                  # 18
        {"svc": "mqtt.frobnicate", "blobs": []},                             # 19
    ]
    r = raw(script)
    eq(statuses(r), [0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 3, 0, 3, 7], "statuses")
    check("no open mqtt connection" in r[10]["msg"], f"forged handle: {r[10]}")
    check("no open mqtt connection" in r[16]["msg"], f"closed handle: {r[16]}")
    check(server().alive(), "server alive")


@T.case
def mqtt_raw_handle_of_another_request():
    b = broker()
    first = raw([{"svc": "mqtt.open", "blobs": [{"str": b.address("other-req")}, {"str": ""},
                                               {"str": ""}, {"u64": 30}]}])
    eq(statuses(first), [0], "open")
    handle = first[0]["blobs"][0]
    r = raw([{"svc": "mqtt.publish", "blobs": [{"b64": handle}, {"str": "o/x"}, {"b64": ""},
                                               {"u64": 0}]}])
    eq(statuses(r), [3], "a handle of an earlier request")


# --- examples/outbound-mqtt -------------------------------------------------------------------

@T.case
def example_outbound_mqtt():
    b = Broker(users={"user": "password"}).start()
    try:
        sub = Subscriber(b, "telemetry", "user", "password")
        app = copy_example("outbound-mqtt")
        srv = Server(app, ["--variable", f"mqtt_address={b.address('client001')}"],
                     name="outbound-mqtt")
        srv.start()
        try:
            r = drive.request(srv.port, "GET", "/")
            eq((r.status, r.body), (200, b"Sent outbound mqtt message!"), "response")
            eq(sub.wait(1), [("telemetry", 1, b"Eureka!")], "received")
        finally:
            srv.stop()
            sub.stop()
    finally:
        b.stop()


if __name__ == "__main__":
    raise SystemExit(T.main())
