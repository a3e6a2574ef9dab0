#!/usr/bin/env python3
"""tests/platform/test_http.py -- outbound HTTP from the sandbox, for real.

Starts loopback origins here (tests/platform/loopback_origin.py: plain HTTP,
HTTPS with a certificate from a test CA made with `openssl` in a temporary
directory, and HTTPS with an untrusted self-signed certificate), then
`pyedge up` on tests/platform/apps/outbound with the origins' ports passed
as --variable (the app's allowed_outbound_hosts are templates over them)
and SSL_CERT_FILE pointing at the test CA. Each case posts an operation to
a component of that app and checks both what the sandbox got back and what
the origin actually received: spin_sdk.http.send (sync and awaited),
urllib.request, http.client, send_to_origin, service chaining, `self`, the
allow-list grammar (exact, wildcards, ranges, CIDR, templates, none),
limits (time, size, count, chain depth), and hostile payloads sent
straight through `_pyedge.call`.
"""

import base64
import json
import os
import struct
import subprocess
import tempfile
import time

from edge_harness import APPS, Cases, check, eq, start, stop_cleanly

import drive  # noqa: E402
from loopback_origin import Origin, unused_port  # noqa: E402

case = Cases()
APP = os.path.join(APPS, "outbound")
S = {}  # servers
O = {}  # origins
TMP = tempfile.mkdtemp(prefix="pyedge-http-test-")


# --- set-up --------------------------------------------------------------------

def openssl(*args):
    subprocess.run(["openssl", *args], cwd=TMP, check=True, capture_output=True)


def make_certs():
    """A test CA and a localhost/127.0.0.1 server certificate it signs; and
    a self-signed certificate nobody trusts."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=pyedge test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", *ec, "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=localhost")
    with open(os.path.join(TMP, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "srv.pem", "-days", "2", "-extfile", "ext.cnf")
    openssl("req", "-x509", *ec, "-keyout", "bad.key", "-out", "bad.pem", "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1")


def etc_hosts_name():
    """A name /etc/hosts gives 127.0.0.1, other than localhost (which libcurl
    answers itself): a name only the resolver knows. localhost when there is
    none."""
    try:
        with open("/etc/hosts") as f:
            for line in f:
                parts = line.split("#")[0].split()
                if parts and parts[0] == "127.0.0.1":
                    for name in parts[1:]:
                        if name != "localhost" and not name.endswith(".localhost"):
                            return name
    except OSError:
        pass
    return "localhost"


def setup():
    make_certs()
    O["hosts_name"] = etc_hosts_name()
    O["plain"] = Origin()
    O["tls"] = Origin(tls=(os.path.join(TMP, "srv.pem"), os.path.join(TMP, "srv.key")))
    O["bad"] = Origin(tls=(os.path.join(TMP, "bad.pem"), os.path.join(TMP, "bad.key")))
    p = O["plain"].port
    O["excl_lo"] = max(1, p - 10)
    os.environ["CURL_CA_BUNDLE"] = os.environ["SSL_CERT_FILE"] = os.path.join(TMP, "ca.pem")
    args = ["--variable", f"origin_port={p}", "--variable", f"tls_port={O['tls'].port}",
            "--variable", f"bad_tls_port={O['bad'].port}", "--variable", f"range_lo={p}",
            "--variable", f"range_hi={p + 1}", "--variable", f"excl_lo={O['excl_lo']}",
            "--variable", f"hosts_name={O['hosts_name']}",
            "--log-dir", os.path.join(TMP, "logs")]
    S["main"] = start(APP, args, name="outbound")
    S["short"] = start(APP, args[:-2] + ["--request-timeout", "2", "--log-dir", ""],
                       name="outbound-2s")
    S["deep"] = start(APP, args[:-2] + ["--max-instance-memory", "1G", "--log-dir", ""],
                      name="outbound-1g")


def teardown():
    why = stop_cleanly(S.get("main"), S.get("short"), S.get("deep"))
    for o in ("plain", "tls", "bad"):
        if o in O:
            O[o].close()
    return why


# --- helpers ---------------------------------------------------------------------

def op(component, server="main", io_timeout=30, **a):
    """Runs one operation in `component`; returns the JSON it answered."""
    r = drive.request(S[server].port, "POST", f"/{component}/op", body=json.dumps(a).encode(),
                      timeout=io_timeout)
    eq(r.status, 200, f"{component} {a.get('op')}: HTTP status (body {r.body[:300]!r})")
    return r.json()


def url(path, origin="plain", scheme="http", host="127.0.0.1"):
    return f"{scheme}://{host}:{O[origin].port}{path}"


def hdr(rec, name):
    vals = [v for k, v in rec["headers"] if k == name]
    return vals[-1] if vals else None


def last(origin="plain"):
    got = O[origin].received()
    check(got, f"the {origin} origin received nothing")
    return got[-1]


def expect_error(doc, code, *words):
    check("error" in doc, f"expected an error, got {drive.short(doc)}")
    if code:
        eq(doc.get("code"), code, f"error code ({doc.get('message')})")
    for w in words:
        check(w in doc["message"], f"{w!r} not in the message: {doc['message']!r}")


def denied(doc, the_url, component="client"):
    expect_error(doc, "ErrorCode_HttpRequestDenied", the_url, "is not allowed", component)


def stderr_has(text, server="main", wait=2.0):
    end = time.monotonic() + wait
    while time.monotonic() < end:
        with S[server].lock:
            if any(text in line for line in S[server].stderr):
                return True
        time.sleep(0.05)
    return False


# --- spin_sdk.http.send ------------------------------------------------------------

@case
def send_get_with_headers():
    O["plain"].clear()
    d = op("client", op="send", url=url("/echo/a?b=1&c=%20"),
           headers={"X-Custom": "v1", "Accept": "text/plain"})
    eq(d["status"], 200, "status")
    eq(d["headers"].get("x-origin"), "yes", "response header (lower-case name)")
    check(all(k == k.lower() for k in d["headers"]), f"header names not lower-case: {d['headers']}")
    rec = last()
    eq((rec["method"], rec["target"]), ("GET", "/echo/a?b=1&c=%20"), "what the origin got")
    eq(hdr(rec, "x-custom"), "v1", "x-custom at the origin")
    eq(hdr(rec, "accept"), "text/plain", "accept at the origin")
    eq(hdr(rec, "host"), f"127.0.0.1:{O['plain'].port}", "host at the origin")
    for h in ("user-agent", "content-type", "expect", "content-length"):
        eq(hdr(rec, h), None, f"{h} the client did not set")


@case
def send_post_body_and_methods():
    O["plain"].clear()
    body = "payload \u00fc\u20ac"
    d = op("client", op="send", method="POST", url=url("/echo/post"), body=body,
           headers={"content-type": "text/plain; charset=utf-8"})
    eq(d["status"], 200, "POST status")
    rec = last()
    eq(rec["body"], body.encode(), "body bytes at the origin")
    eq(hdr(rec, "content-length"), str(len(body.encode())), "content-length at the origin")
    eq(json.loads(d["body"])["body"], body.encode().decode("latin-1"), "echoed body")
    for m, b in (("PUT", "put-body"), ("PATCH", "p"), ("DELETE", None), ("OPTIONS", None)):
        d = op("client", op="send", method=m, url=url("/echo/m"), body=b)
        eq(d["status"], 200, f"{m} status")
        rec = last()
        eq((rec["method"], rec["body"]), (m, (b or "").encode()), f"{m} at the origin")
    d = op("client", op="send", method="HEAD", url=url("/echo/head"))
    eq((d["status"], d["body_len"]), (200, 0), "HEAD: status and no body")
    check(int(d["headers"]["content-length"]) > 0, "HEAD keeps the origin's content-length")
    eq(last()["method"], "HEAD", "HEAD at the origin")


@case
def send_statuses_chunked_and_repeated_headers():
    for n in (204, 404, 500, 503):
        d = op("client", op="send", url=url(f"/status/{n}"))
        eq(d["status"], n, f"status {n} is returned, not raised")
    d = op("client", op="send", url=url("/chunked"))
    eq((d["status"], d["body"]), (200, "hello chunked world"), "chunked response body")
    d = op("client", op="send", url=url("/cookies"))
    eq(d["headers"].get("set-cookie"), "b=2", "a repeated header keeps its last value")


@case
def send_awaited_v4_style():
    d = op("client", op="send_await", url=url("/echo/await"), n=3)
    eq(d["statuses"], [200, 200, 200], "three awaited sends gathered")
    eq(d["types"], ["Response"] * 3, "awaiting gives a plain Response")


@case
def https_verified_with_the_test_ca():
    O["tls"].clear()
    d = op("client", op="send", url=url("/echo/tls", "tls", "https", "localhost"))
    eq(d["status"], 200, "status over HTTPS")
    eq(last("tls")["target"], "/echo/tls", "the HTTPS origin got it")
    d = op("client", op="urllib", url=url("/echo/tls2", "tls", "https", "localhost"))
    eq(d.get("status"), 200, f"urllib over HTTPS: {d}")


@case
def https_untrusted_certificate_fails():
    O["bad"].clear()
    d = op("client", op="send", url=url("/echo/bad", "bad", "https", "localhost"))
    expect_error(d, "ErrorCode_TlsCertificateError", "certificate")
    eq(O["bad"].received(), [], "the untrusted origin got no request")
    d = op("client", op="urllib", url=url("/echo/bad", "bad", "https", "localhost"))
    eq((d.get("error"), d.get("reason_type")), ("URLError", "ConnectionError"), f"urllib: {d}")


# --- the allow-list -----------------------------------------------------------------

@case
def denied_host_port_and_scheme():
    O["plain"].clear()
    p = O["plain"].port
    for u in (f"http://127.0.0.2:{p}/x", f"http://127.0.0.1:{unused_port()}/x",
              f"https://127.0.0.1:{p}/x", f"http://example.com:{p}/x"):
        d = op("client", op="send", url=u)
        denied(d, u)
        check("(rules: " in d["message"] and '"http://127.0.0.1:{{ origin_port }}"' in d["message"],
              f"the rules are listed as written: {d['message']}")
    eq(O["plain"].received(), [], "the origin got none of them")
    check(stderr_has(f"pyedge: client: outbound request to 'http://127.0.0.2:{p}/x' denied"),
          "no log line on the host's stderr for the denial")


@case
def no_rules_means_no_outbound():
    u = url("/echo/x")
    d = op("norules", op="send", url=u)
    expect_error(d, "ErrorCode_HttpRequestDenied", u, "has no allowed_outbound_hosts",
                 "[component.norules]")
    d = op("norules", op="send", url="/hello")
    expect_error(d, "ErrorCode_HttpRequestDenied", "/hello")
    d = op("norules", op="send", url="http://backend.spin.internal/")
    expect_error(d, "ErrorCode_HttpRequestDenied", "backend.spin.internal")


@case
def wildcard_scheme_host_and_port():
    p = O["plain"].port
    eq(op("wild", op="send", url=f"http://127.0.0.1:{p}/w")["status"], 200, "* scheme")
    eq(op("wild", op="send", url=f"http://localhost:{p}/w")["status"], 200, "* port (this port)")
    other = unused_port()
    d = op("wild", op="send", url=f"http://localhost:{other}/w")
    expect_error(d, "ErrorCode_ConnectionRefused")  # allowed, nobody listens
    d = op("wild", op="send", url=f"http://a.b.example.test:{p}/w")
    expect_error(d, "ErrorCode_InternalError", "resolve")  # allowed by *.example.test
    denied(op("wild", op="send", url=f"http://example.test:{p}/w"), f"http://example.test:{p}/w",
           "wild")  # the apex is not a subdomain
    denied(op("wild", op="send", url=f"http://a.example.test:{p + 1}/w"),
           f"http://a.example.test:{p + 1}/w", "wild")


@case
def host_name_resolved_in_the_serving_process():
    # a name rule leaves the lookup to libcurl, whose threaded resolver needs
    # socketpair under the system-call filter (every host name failed to
    # resolve without it)
    name, p = O["hosts_name"], O["plain"].port
    d = op("wild", op="send", url=f"http://{name}:{p}/byname")
    check("error" not in d, f"http://{name}:{p}/byname: {drive.short(d)}")
    eq(d["status"], 200, f"status via {name}")
    eq(last()["target"], "/byname", "the target the origin saw")


@case
def port_range_half_open():
    p = O["plain"].port
    eq(op("range", op="send", url=f"http://127.0.0.1:{p}/r")["status"], 200, f"{p} in {p}..{p + 1}")
    denied(op("range", op="send", url=f"http://127.0.0.1:{p + 1}/r"), f"http://127.0.0.1:{p + 1}/r",
           "range")
    denied(op("range-excl", op="send", url=f"http://127.0.0.1:{p}/r"), f"http://127.0.0.1:{p}/r",
           "range-excl")
    lo = O["excl_lo"]
    d = op("range-excl", op="send", url=f"http://127.0.0.1:{lo}/r")
    check(d.get("code") != "ErrorCode_HttpRequestDenied", f"port {lo} should be allowed: {d}")


@case
def cidr_rules_check_the_resolved_address():
    p = O["plain"].port
    O["plain"].clear()
    eq(op("cidr", op="send", url=f"http://127.0.0.1:{p}/c")["status"], 200, "an IP in 127.0.0.0/8")
    eq(op("cidr", op="send", url=f"http://localhost:{p}/c")["status"], 200,
       "a name resolving into 127.0.0.0/8")
    eq(hdr(last(), "host"), f"localhost:{p}", "the pinned request still names the host")
    u = f"http://localhost:{p}/c"
    d = op("cidr-other", op="send", url=u)
    denied(d, u, "cidr-other")
    check("127.0.0.1" in d["message"], f"the resolved address is named: {d['message']}")
    denied(op("cidr", op="send", url=f"http://127.0.0.1:{p + 1}/c"), f"http://127.0.0.1:{p + 1}/c",
           "cidr")


@case
def self_requests_go_to_the_app_itself():
    d = op("client", op="send", url="/hello", headers={"Host": "evil.example:80"})
    eq((d["status"], d["body"]), (200, "hello from self"), "relative URL with http://self")


# --- service chaining -------------------------------------------------------------------

@case
def chaining_to_a_private_component():
    d = op("client", op="send", method="POST", url="http://backend.spin.internal/a/b?x=1",
           body="hi", headers={"X-Test": "1", "spin-full-url": "forged"})
    eq((d["status"], d["headers"].get("x-backend")), (203, "yes"), "the backend answered")
    b = json.loads(d["body"])
    eq((b["component"], b["method"], b["uri"], b["body"]), ("backend", "POST", "/a/b?x=1", "hi"),
       "what the backend got")
    eq(b["headers"].get("x-test"), "1", "caller's header")
    eq(b["headers"].get("spin-full-url"), "http://backend.spin.internal/a/b?x=1",
       "spin-full-url is the host's, not the caller's")
    # routed as Spin routes a chained call: as if on "/...", whatever the
    # callee's own trigger says, with the whole path as path info
    got = {k: b["headers"].get(k) for k in ("spin-matched-route", "spin-raw-component-route",
                                             "spin-component-route", "spin-path-info",
                                             "spin-base-path", "spin-client-addr")}
    eq(got, {"spin-matched-route": "/...", "spin-raw-component-route": "/...",
             "spin-component-route": "", "spin-path-info": "/a/b", "spin-base-path": "/",
             "spin-client-addr": "127.0.0.1:0"}, "the spin-* headers of a chained call")
    r = drive.request(S["main"].port, "GET", "/a/b")
    eq(r.status, 404, "the private component is not routable from outside")


@case
def chaining_unknown_component():
    d = op("client", op="send", url="http://nosuch.spin.internal/")
    expect_error(d, "ErrorCode_DestinationNotFound", "nosuch")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


@case
def chaining_recursion_is_limited():
    # with room for ten callees (1G), the depth limit stops the chain
    r = drive.request(S["deep"].port, "GET", "/loop/start", timeout=60)
    eq(r.status, 200, "status")
    d = r.json()
    eq(d.get("depth"), 10, f"the innermost call ({d})")
    expect_error(d, "ErrorCode_ConnectionLimitReached", "nested more than 10 deep")


@case
def chaining_shares_one_memory_budget():
    # each callee's sandbox holds ~21 MiB at start: at 128M (the default) the
    # chain stops when the next one would not fit, not ten deep at 10x the limit
    before = rss_kib(S["main"].proc.pid)
    r = drive.request(S["main"].port, "GET", "/loop/start", timeout=60)
    eq(r.status, 200, "status")
    d = r.json()
    check(2 <= d.get("depth", 0) < 10, f"the innermost call ({d})")
    expect_error(d, "ErrorCode_ConnectionLimitReached", "a chain shares one budget")
    grew = rss_kib(S["main"].proc.pid) - before
    check(grew < 160 * 1024, f"the server grew by {grew // 1024} MiB for one chained request")


# --- limits -------------------------------------------------------------------------------

@case
def timeout_of_the_call():
    t0 = time.monotonic()
    d = op("client", op="urllib", url=url("/sleep/6"), timeout=1)
    took = time.monotonic() - t0
    eq((d.get("error"), d.get("reason_type")), ("URLError", "TimeoutError"), f"urllib: {d}")
    check("timed out" in d["reason"], f"message: {d['reason']}")
    check(took < 4, f"took {took:.1f} s")


@case
def timeout_never_past_the_inbound_deadline():
    t0 = time.monotonic()
    r = drive.request(S["short"].port, "POST", "/client/op", timeout=20,
                      body=json.dumps({"op": "send", "url": url("/sleep/8")}).encode())
    took = time.monotonic() - t0
    check(took < 4.5, f"the outbound call outlived the 2 s request limit: {took:.1f} s")
    if r.status == 200:  # the handler caught it just in time
        expect_error(r.json(), "ErrorCode_ConnectionTimeout", "time limit")
    else:
        eq(r.status, 504, "status")


@case
def oversized_response_is_refused():
    limit = 16 << 20
    d = op("client", op="send", url=url(f"/big/{limit + 1}"))
    expect_error(d, "ErrorCode_HttpResponseBodySize", "larger than the limit of 16 MiB")
    d = op("client", op="send", url=url(f"/big/{limit}"))
    eq((d.get("status"), d.get("body_len")), (200, limit), f"exactly 16 MiB is fine: {d.get('message')}")


@case
def too_many_outbound_calls():
    O["plain"].clear()
    d = op("client", op="many", n=70, url=url("/echo/many"))
    eq(d["ok"], 64, "calls that went through")
    expect_error(d["first_error"], "ErrorCode_ConnectionLimitReached", "maximum of 64")
    eq(len(O["plain"].received()), 64, "requests the origin got")
    d = op("client", op="many", n=2, url=url("/echo/many"))
    eq(d["ok"], 2, "the budget is per inbound request")


# --- the standard library ----------------------------------------------------------------

@case
def urllib_request_works():
    O["plain"].clear()
    d = op("client", op="urllib", url=url("/echo/u?q=1"), headers={"X-U": "2"})
    eq(d.get("status"), 200, f"GET: {d}")
    rec = last()
    eq((rec["method"], rec["target"], hdr(rec, "x-u")), ("GET", "/echo/u?q=1", "2"), "GET at origin")
    d = op("client", op="urllib", url=url("/echo/p"), body="a=1&b=2")
    eq(d.get("status"), 200, f"POST: {d}")
    eq((last()["method"], last()["body"]), ("POST", b"a=1&b=2"), "POST at the origin")
    d = op("client", op="urllib", url=url("/status/404"))
    eq((d.get("http_error"), d.get("body")), (404, "status 404"), "HTTPError for 404")
    d = op("client", op="urllib", url=url("/redirect"))
    eq((d.get("status"), d.get("url")), (200, url("/echo/redirected")), "redirect followed")
    u = f"http://127.0.0.2:{O['plain'].port}/x"
    d = op("client", op="urllib", url=u)
    eq((d.get("error"), d.get("reason_type")), ("URLError", "PermissionError"), f"denied: {d}")
    check(u in d["reason"] and "not allowed" in d["reason"], f"reason: {d['reason']}")


@case
def http_client_works():
    O["plain"].clear()
    reqs = [{"path": "/echo/1", "headers": {"X-N": "1"}},
            {"method": "POST", "path": "/echo/2", "body": "two"},
            {"method": "POST", "path": "/echo/3", "chunked": True, "chunks": ["ab", "cd", "e"]},
            {"path": "/cookies"}]
    d = op("client", op="httpclient", host="127.0.0.1", port=O["plain"].port, requests=reqs)
    rs = d.get("responses")
    check(rs, f"no responses: {d}")
    eq([r["status"] for r in rs], [200, 200, 200, 200], "statuses on one connection")
    got = O["plain"].received()
    eq([(g["method"], g["target"], g["body"]) for g in got],
       [("GET", "/echo/1", b""), ("POST", "/echo/2", b"two"), ("POST", "/echo/3", b"abcde"),
        ("GET", "/cookies", b"")], "what the origin got")
    eq(hdr(got[0], "x-n"), "1", "header")
    eq(hdr(got[2], "content-length"), "5", "a chunked body is sent with its length")
    cookies = [v for k, v in rs[3]["headers"] if k.lower() == "set-cookie"]
    eq(cookies, ["a=1", "b=2"], "both Set-Cookie headers reach http.client")
    d = op("client", op="httpclient", https=True, host="localhost", port=O["tls"].port,
           requests=[{"path": "/echo/tls"}])
    eq(d["responses"][0]["status"], 200, "HTTPSConnection")
    d = op("client", op="httpclient_manual", host="127.0.0.1", port=O["plain"].port,
           path="/echo/manual", body="manual-body")
    eq(d.get("status"), 200, f"putrequest/endheaders/send: {d}")
    eq((last()["method"], last()["body"], hdr(last(), "x-manual")), ("PUT", b"manual-body", "yes"),
       "manual request at the origin")


@case
def url_in_the_query_is_not_the_target():
    """A "://" inside the path or query does not make a target absolute: each
    request must reach the origin with its own target, not go to `self` or
    to the URL in the query."""
    O["plain"].clear()
    target = "/echo/q?u=http://x&v=https://127.0.0.1:1/y"
    d = op("client", op="urllib", url=url(target))
    eq(d.get("status"), 200, f"urllib: {d}")
    eq((last()["method"], last()["target"]), ("GET", target), "urllib: what the origin got")
    O["plain"].clear()
    d = op("client", op="httpclient", host="127.0.0.1", port=O["plain"].port,
           requests=[{"path": "/echo/hc?next=https://y/z"},
                     {"path": url("/echo/absolute-form")}])
    eq([r["status"] for r in d.get("responses", [])], [200, 200], f"http.client: {d}")
    eq([g["target"] for g in O["plain"].received()], ["/echo/hc?next=https://y/z",
                                                      "/echo/absolute-form"],
       "http.client: origin-form and absolute-form targets at the origin")
    O["plain"].clear()
    no_scheme = f"127.0.0.1:{O['plain'].port}/echo/s?u=http://x"
    d = op("client", op="send", url=no_scheme)
    eq(d.get("status"), 200, f"spin_sdk send without a scheme: {d}")
    eq(last()["target"], "/echo/s?u=http://x", "send without a scheme: what the origin got")


# --- send_to_origin -------------------------------------------------------------------------

@case
def send_to_origin_forwards():
    O["plain"].clear()
    r = drive.request(S["main"].port, "POST", "/proxy/some/path?q=1&r=2",
                      headers={"X-Keep": "k", "X-Remove-Me": "gone", "Content-Type": "text/plain",
                               "Host": "client.example"},
                      body=b"forward me")
    eq(r.status, 201, f"the origin's status (body {r.body[:300]!r})")
    eq(r.header("x-origin"), "yes", "the origin's header")
    rec = last()
    eq(json.loads(r.body)["target"], "/base/proxy/some/path?q=1&r=2", "the origin's body")
    eq((rec["method"], rec["target"], rec["body"]),
       ("POST", "/base/proxy/some/path?q=1&r=2", b"forward me"), "what the origin got")
    eq(hdr(rec, "x-keep"), "k", "kept header")
    eq(hdr(rec, "x-added"), "by-proxy", "header the handler added")
    eq(hdr(rec, "x-remove-me"), None, "header the handler removed")
    eq(hdr(rec, "content-type"), "text/plain", "content-type")
    eq(hdr(rec, "host"), f"127.0.0.1:{O['plain'].port}", "host is the origin's, not the client's")
    eq(hdr(rec, "connection"), None, "hop-by-hop header the handler set")


# --- secrets --------------------------------------------------------------------------------

@case
def secrets_stay_out_of_messages_and_logs():
    secret = "t0ps3cr3t-token"
    d = op("secretrule", op="send", url=f"http://{secret}.example.test/x")
    check("error" in d, f"expected a failure: {d}")
    check(secret not in d["message"] and "***" in d["message"], f"message: {d['message']}")
    d = op("secretrule", op="send", url=f"http://elsewhere.example.test/?k={secret}")
    denied(d, "elsewhere.example.test", "secretrule")
    check(secret not in d["message"], f"message: {d['message']}")
    check("{{ token }}" in d["message"], f"rules shown as written: {d['message']}")
    eq(op("secretrule", op="var", name="token").get("value"), secret, "the app can read it")
    time.sleep(0.2)
    with S["main"].lock:
        out = "\n".join(S["main"].stdout + S["main"].stderr)
    check(secret not in out, "the secret appeared in the server's output")
    logs = os.path.join(TMP, "logs")
    for name in os.listdir(logs):
        with open(os.path.join(logs, name), errors="replace") as f:
            check(secret not in f.read(), f"the secret appeared in {name}")


# --- hostile payloads -----------------------------------------------------------------------

def blob(b):
    b = b.encode() if isinstance(b, str) else b
    return struct.pack("<I", len(b)) + b


def u64(n):
    return blob(struct.pack("<Q", n))


def send_payload(method="GET", the_url=None, headers=(), body=b"", timeout=0, count=None):
    p = blob(method) + blob(url("/echo/raw") if the_url is None else the_url) + u64(timeout)
    p += u64(len(headers) if count is None else count)
    for k, v in headers:
        p += blob(k) + blob(v)
    return p + blob(body)


def raw(service, payload, component="client"):
    return op(component, op="raw", service=service, payload=base64.b64encode(payload).decode())


@case
def hostile_payloads_are_refused():
    O["plain"].clear()
    p = O["plain"].port
    good = send_payload()
    eq(raw("http.send", good)["status"], 0, "the well-formed payload works")
    O["plain"].clear()
    INVALID = 3
    bad = {
        "garbage": b"garbage",
        "empty": b"",
        "huge blob length": b"\xff\xff\xff\xff" + b"x" * 16,
        "huge header count": send_payload(count=1 << 40),
        "header count past the payload": send_payload(count=3),
        "7-byte integer": blob("GET") + blob(url("/x")) + blob(b"\0" * 7) + u64(0) + blob(b""),
        "trailing bytes": good + b"\0",
        "missing body": good[:-4],
        "method with a space": send_payload(method="GE T"),
        "CRLF in the method": send_payload(method="GET\r\nX-Injected: 1"),
        "empty method": send_payload(method=""),
        "CRLF in a header value": send_payload(headers=[("X-A", "a\r\nX-Injected: 1")]),
        "NUL in a header value": send_payload(headers=[("X-A", "a\0b")]),
        "space in a header name": send_payload(headers=[("X A", "1")]),
        "empty header name": send_payload(headers=[("", "1")]),
        "file URL": send_payload(the_url="file:///etc/passwd"),
        "gopher URL": send_payload(the_url=f"gopher://127.0.0.1:{p}/_GET"),
        "userinfo": send_payload(the_url=f"http://127.0.0.1:{p}@evil.example/"),
        "userinfo 2": send_payload(the_url=f"http://user:pw@127.0.0.1:{p}/"),
        "backslash": send_payload(the_url=f"http://evil.example\\@127.0.0.1:{p}/"),
        "space in URL": send_payload(the_url=f"http://127.0.0.1:{p}/a b"),
        "CRLF in URL": send_payload(the_url=f"http://127.0.0.1:{p}/a\r\nX-Injected: 1"),
        "non-ASCII host": send_payload(the_url=f"http://\u00e9vil.example:{p}/"),
        "unclosed IPv6": send_payload(the_url=f"http://[::1:{p}/"),
        "port too large": send_payload(the_url="http://127.0.0.1:99999/"),
        "port zero": send_payload(the_url="http://127.0.0.1:0/"),
        "no scheme": send_payload(the_url=f"127.0.0.1:{p}/"),
        "scheme-relative": send_payload(the_url=f"//127.0.0.1:{p}/"),
        "empty URL": send_payload(the_url=""),
        "long URL": send_payload(the_url=url("/" + "a" * 9000)),
        "too many headers": send_payload(headers=[("X-H", "v")] * 300),
        "header value too long": send_payload(headers=[("X-H", "v" * 20000)]),
    }
    for what, payload in bad.items():
        d = raw("http.send", payload)
        eq(d["status"], INVALID, f"{what}: status (message {d.get('rest')!r})")
        check(d["rest"], f"{what}: no message")
    eq(O["plain"].received(), [], "the origin got none of them")
    d = raw("http.send", send_payload(the_url=f"http://127.0.0.1:{p}@evil.example/"))
    check("credentials" in d["rest"], f"userinfo message: {d['rest']}")
    d = raw("http.send", send_payload(the_url="file:///etc/passwd"))
    check("'file'" in d["rest"] and "file:///etc/passwd" in d["rest"], f"file message: {d['rest']}")
    eq(raw("http.nosuchop", good)["status"], 7, "unknown http op")
    eq(raw("nosucharea.send", good)["status"], 7, "unknown area")
    eq(raw("vars.get", b"garbage")["status"], INVALID, "vars.get garbage")
    eq(raw("vars.get", blob("a") + blob("b"))["status"], INVALID, "vars.get two blobs")
    eq(raw("vars.get", blob("ab\0c"))["status"], INVALID, "vars.get NUL in the name")
    eq(raw("vars.get", blob("x" * 100000))["status"], INVALID, "vars.get huge name")
    # through the SDK too: the guest-side checks are not the only line
    d = op("client", op="send", url=url("/echo/x"), headers={"X-A": "a\r\nX-Injected: 1"})
    expect_error(d, "ErrorCode_HttpRequestUriInvalid", "control character")
    eq(O["plain"].received(), [], "the origin got nothing")
    check(S["main"].alive(), "the server died")


if __name__ == "__main__":
    raise SystemExit(case.run(setup, teardown))
