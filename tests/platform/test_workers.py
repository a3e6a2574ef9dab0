#!/usr/bin/env python3
"""tests/platform/test_workers.py -- Cloudflare Python Workers-style apps.

examples/workers-style (class Default(WorkerEntrypoint), a link shortener
over the default key-value store and a variable) end to end, and
tests/platform/apps/workers-probe, whose `on_fetch(request, env, ctx)`
answers one feature per path: the Request (method, full URL,
case-insensitive headers, body readers, cf-* headers), Response forms
(text, bytes, dict, json, redirect, repeated headers, a bad status), env
bindings (variables by any case, the KV store: get/put/delete/list), ctx.waitUntil,
workers.fetch to a real loopback origin, and the one-argument on_fetch
form. A module whose Default does not subclass WorkerEntrypoint must stop
`pyedge up` with a message saying so.
"""

import http.server
import json
import os
import shutil
import subprocess
import sys
import time
import tempfile
import threading

from edge_harness import APPS, ROOT, Cases, check, eq, start, stop_cleanly

import drive  # noqa: E402

case = Cases()
TMP = tempfile.mkdtemp(prefix="pyedge-workers-")
servers = {}
origin = {}


class Origin(http.server.BaseHTTPRequestHandler):
    """A real origin for workers.fetch: answers "origin saw <path>" and
    records the x-from header."""

    def do_GET(self):
        origin["seen"] = (self.path, self.headers.get("x-from"))
        body = f"origin saw {self.path}".encode()
        self.send_response(203)
        self.send_header("content-length", str(len(body)))
        self.send_header("x-origin", "yes")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def setup():
    o = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Origin)
    threading.Thread(target=o.serve_forever, daemon=True).start()
    origin["server"], origin["port"] = o, o.server_address[1]
    servers["example"] = start(os.path.join(ROOT, "examples", "workers-style"),
                               ["--quiet", "--state-dir", os.path.join(TMP, "example-state"),
                                "--variable", "greeting=Hi from the test"], name="workers-style")
    servers["probe"] = start(os.path.join(APPS, "workers-probe"),
                             ["--quiet", "--state-dir", os.path.join(TMP, "probe-state")],
                             name="workers-probe")


def req(name, method, path, body=None, headers=None):
    return drive.request(servers[name].port, method, path, headers=headers, body=body, timeout=20)


def probe(path, **kw):
    return req("probe", "GET", "/probe" + path, **kw)


# ---- examples/workers-style ---------------------------------------------------


@case
def example_greeting_and_url():
    s = servers["example"]
    r = req("example", "GET", "/?x=1")
    drive.expect(r, 200)
    eq(r.header("content-type"), "application/json", "content-type")
    eq(r.json(), {"greeting": "Hi from the test", "url": f"http://127.0.0.1:{s.port}/?x=1",
                  "country": None}, "body")


@case
def example_links_round_trip():
    drive.expect(req("example", "GET", "/go/spin"), 404, b"no such link\n")
    r = req("example", "PUT", "/links/spin", body=b"https://spinframework.dev/")
    drive.expect(r, 201)
    eq(r.json(), {"name": "spin", "target": "https://spinframework.dev/"}, "created")
    drive.expect(req("example", "PUT", "/links/docs", body=b"https://example.com/docs"), 201)
    r = req("example", "GET", "/go/spin")
    drive.expect(r, 302)
    eq(r.header("location"), "https://spinframework.dev/", "location")
    eq(req("example", "GET", "/links").json(), ["docs", "spin"], "listed")
    drive.expect(req("example", "DELETE", "/links/spin"), 204)
    drive.expect(req("example", "GET", "/go/spin"), 404)
    eq(req("example", "GET", "/links").json(), ["docs"], "listed after delete")
    drive.expect(req("example", "PUT", "/links/x", body=b"ftp://nope"), 400)
    drive.expect(req("example", "POST", "/nothing"), 404)


@case
def example_state_survives_restart():
    """The default store is a file under --state-dir, not the sandbox."""
    s = servers["example"]
    drive.expect(req("example", "PUT", "/links/keep", body=b"https://keep.test/"), 201)
    check(s.stop() == 0, f"stop: {s.tail(3)}")
    s.start()
    r = req("example", "GET", "/go/keep")
    drive.expect(r, 302)
    eq(r.header("location"), "https://keep.test/", "location after restart")


# ---- the probe ------------------------------------------------------------------


@case
def request_fields():
    s = servers["probe"]
    r = probe("/echo?q=1", headers={"X-Test": "yes", "Content-Type": "application/json",
                                    "x-user-location": "SE"},
              body=json.dumps({"n": 5}).encode())
    drive.expect(r, 200)
    d = r.json()
    eq(d["method"], "GET", "method")
    eq(d["method_is_str"], True, "method compares as str")
    eq(d["url"], f"http://127.0.0.1:{s.port}/probe/echo?q=1", "url")
    eq((d["x_test"], d["has_x_test"], d["missing"]), ("yes", True, "default"), "headers")
    eq(d["cf_connecting_ip"], "127.0.0.1", "cf-connecting-ip")
    eq(d["cf_ipcountry"], "SE", "cf-ipcountry from x-user-location")
    eq((d["body"], d["bytes"], d["json"]), ('{"n": 5}', 8, {"n": 5}), "body readers")


@case
def client_cannot_forge_cf_headers():
    r = probe("/echo", headers={"cf-connecting-ip": "6.6.6.6", "cf-ipcountry": "XX"})
    d = r.json()
    eq(d["cf_connecting_ip"], "127.0.0.1", "cf-connecting-ip is the peer's")
    eq(d["cf_ipcountry"], None, "no x-user-location: no cf-ipcountry")


@case
def repeated_request_headers():
    with drive.RawConn(servers["probe"].port) as c:
        c.send(b"GET /probe/echo HTTP/1.1\r\nHost: t\r\nx-multi: a\r\nx-multi: b\r\n"
               b"connection: close\r\n\r\n")
        r = c.response()
    eq(r.status, 200, "status")
    # docs/abi.md: the app sees the last value of a repeated request header
    eq(json.loads(r.body)["multi"], ["b"], "a repeated header")


@case
def variables_by_any_case():
    r = probe("/var")
    drive.expect(r, 200, b"https://api.example.test/v1|https://api.example.test/v1")


def stderr_since(server, before, *needles, timeout=5.0):
    """The server's stderr lines after index `before`, joined, once all the
    needles are in it or the timeout passed: another thread reads the pipe,
    so a line can arrive after the response it belongs to."""
    deadline = time.monotonic() + timeout
    while True:
        err = "\n".join(server.stderr[before:])
        if all(n in err for n in needles) or time.monotonic() > deadline:
            return err
        time.sleep(0.02)


@case
def missing_binding_is_a_clear_error():
    s = servers["probe"]
    before = len(s.stderr)
    drive.expect(probe("/missing-binding"), 500)
    want = "AttributeError: env has no binding 'NO_SUCH_BINDING'"
    err = stderr_since(s, before, want)
    check(want in err, f"stderr: {err[-600:]}")


@case
def kv_binding():
    drive.expect(probe("/kv?do=get&k=a"), 200, b'{"value": null}')
    drive.expect(probe("/kv?do=put&k=a&v=h%C3%A9"), 200, b"stored")
    drive.expect(probe("/kv?do=put&k=b&v=%7B%22j%22%3A1%7D"), 200, b"stored")
    drive.expect(probe("/kv?do=put&k=other&v=x"), 200, b"stored")
    eq(probe("/kv?do=get&k=a").json(), {"value": "hé"}, "text")
    eq(probe("/kv?do=get&k=a&type=bytes").json(), {"value": list("hé".encode())}, "bytes")
    eq(probe("/kv?do=get&k=b&type=json").json(), {"value": {"j": 1}}, "json")
    eq(probe("/kv?do=list").json()["keys"], [{"name": "a"}, {"name": "b"}, {"name": "other"}],
       "list")
    eq(probe("/kv?do=list&prefix=o").json(),
       {"keys": [{"name": "other"}], "list_complete": True, "cursor": ""}, "list with prefix")
    drive.expect(probe("/kv?do=delete&k=a"), 200, b"deleted")
    drive.expect(probe("/kv?do=get&k=a"), 200, b'{"value": null}')
    drive.expect(probe("/kv?do=get&k=b&type=stream"), 500)


@case
def wait_until_runs_before_the_response_ends():
    drive.expect(probe("/wait-until?k=wu1"), 200, b"scheduled")
    eq(probe("/kv?do=get&k=wu1").json(), {"value": "done"}, "the task's write")
    s = servers["probe"]
    before = len(s.stderr)
    drive.expect(probe("/wait-until-fails"), 200, b"scheduled")
    err = stderr_since(s, before, "a ctx.waitUntil() task failed", "on purpose")
    check("a ctx.waitUntil() task failed" in err and "on purpose" in err, f"stderr: {err[-400:]}")


@case
def fetch_goes_out_through_the_host():
    url = f"http://127.0.0.1:{origin['port']}/hello?x=1"
    r = probe("/fetch?url=" + url.replace("?", "%3F").replace("=", "%3D").replace("&", "%26"))
    drive.expect(r, 200, b"203:origin saw /hello?x=1:yes")
    eq(origin.get("seen"), ("/hello?x=1", "probe"), "what the origin received")
    # not in allowed_outbound_hosts: the app's fetch raises, a 500
    drive.expect(probe("/fetch?url=http%3A//localhost%3A1/x"), 500)


@case
def response_forms():
    r = probe("/json")
    drive.expect(r, 202, b'{"a": [1, 2]}')
    eq((r.header("content-type"), r.header("x-h")), ("application/json", "1"), "json headers")
    r = probe("/text")
    drive.expect(r, 200, "héllo".encode())
    eq(r.header("content-type"), "text/plain;charset=UTF-8", "text content-type")
    r = probe("/bytes")
    drive.expect(r, 200, b"\x00\x01")
    eq(r.all("set-cookie"), ["a=1", "b=2"], "two set-cookie headers")
    eq(r.header("content-type"), None, "bytes: no content-type")
    r = probe("/dict")
    drive.expect(r, 200, b'{"k": 1}')
    eq(r.header("content-type"), "application/json", "dict content-type")
    r = probe("/readers")
    eq(r.json(), {"json": {"x": 1}, "text": '{"x": 1}', "bytes": 8, "ok": True}, "readers")


@case
def redirects_and_bad_responses():
    r = probe("/redirect?to=https%3A//example.com/a&status=308")
    drive.expect(r, 308)
    eq(r.header("location"), "https://example.com/a", "location")
    eq(probe("/redirect?to=/b").header("location"), "/b", "302 default")
    drive.expect(probe("/redirect?to=/b&status=200"), 500)
    drive.expect(probe("/bad-status"), 500)
    drive.expect(probe("/none"), 500)


@case
def one_argument_on_fetch():
    s = servers["probe"]
    r = req("probe", "POST", "/one/x?y=2")
    drive.expect(r, 200, f"one POST http://127.0.0.1:{s.port}/one/x?y=2".encode())


def up_fails(app_source, want):
    d = tempfile.mkdtemp(dir=TMP)
    with open(os.path.join(d, "spin.toml"), "w") as f:
        f.write('spin_manifest_version = 2\n[application]\nname = "bad"\n'
                '[[trigger.http]]\nroute = "/..."\ncomponent = "bad"\n'
                '[component.bad]\nsource = "app.wasm"\n')
    with open(os.path.join(d, "app.py"), "w") as f:
        f.write(app_source)
    p = subprocess.run([drive.PYEDGE, "up", "-f", d, "--listen",
                        f"127.0.0.1:{drive.free_port()}"], capture_output=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    err = p.stderr.decode("utf-8", "replace")
    check(p.returncode != 0, f"pyedge up exited 0: {err[-300:]}")
    check(want in err, f"stderr lacks {want!r}: {err[-700:]}")


@case
def handler_near_misses_are_explained():
    up_fails("class Default:\n    async def fetch(self, request):\n        pass\n",
             "Default does not subclass workers.WorkerEntrypoint")
    up_fails("import workers\nclass Default(workers.WorkerEntrypoint):\n    pass\n",
             "Default does not define fetch(self, request)")
    up_fails("on_fetch = 3\n", "on_fetch is a int")
    up_fails("def on_fetch(a, b, c, d):\n    pass\n",
             "on_fetch must take (request), (request, env) or (request, env, ctx)")


def teardown():
    why = stop_cleanly(*servers.values())
    origin["server"].shutdown()
    shutil.rmtree(TMP, ignore_errors=True)
    return why


if __name__ == "__main__":
    sys.exit(case.run(setup, teardown))
