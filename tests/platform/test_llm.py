#!/usr/bin/env python3
"""tests/platform/test_llm.py -- Spin's LLM API (spin_sdk.llm) in `pyedge up`,
end to end: the SDK in the sandbox (tests/platform/apps/llm), the host's
"llm.*" calls and libcurl, against a FAKE model server.

The endpoint is a fake, not a model: FakeLLM below is a small Python
http.server on loopback, started by this test, that answers in the shapes
of Spin's two remote_http protocols (api_type "default": POST /infer,
/embed; "open_ai": POST /v1/chat/completions, /v1/embeddings) with made-up
text and vectors, and records every request it receives (path, headers,
JSON body) so the cases can check what pyedge sent. No real LLM runs.

Covers infer with and without options (the options reach the endpoint),
embeddings, the bearer token, both api_types, a model not in ai_models, no
[llm_compute], the endpoint down, slow past the request's deadline and
past the call's own cap, answering garbage, an error or 17 MiB, the
spin-sdk 4.0 example app's shape, runtime config errors, hostile payloads
sent straight through _pyedge.call, and that the token never shows in
messages or the server's output.

Usage: tests/platform/test_llm.py [-k SUBSTRING]... [-v]
"""

import base64
import json
import os
import ssl
import struct
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from platform_util import (HOST, CaseFailure, Runner, Server, check, copy_app, eq, free_port, post,
                           post_ok, request, start_fails)

T = Runner(__doc__.split("\n")[0])

TOKEN_DEFAULT = "tok-default-S3CRET-4242"
TOKEN_OPENAI = "tok-openai-S3CRET-4343"
MODEL = "llama2-chat"
EMBED_MODEL = "all-minilm-l6-v2"
DEFAULTS = {"maxTokens": 100, "repeatPenalty": 1.1, "repeatPenaltyLastNTokenCount": 64,
            "temperature": 0.8, "topK": 40, "topP": 0.9}


# --- the fake endpoint ------------------------------------------------------------------

class FakeLLM:
    """A fake LLM endpoint (not a model): canned answers, every request
    recorded. `mode` picks the behaviour for the next requests."""

    def __init__(self, tls=None):
        self.requests = []
        self.mode = "ok"
        self.delay = 0
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                try:
                    doc = json.loads(body)
                except ValueError:
                    doc = None
                with fake.lock:
                    fake.requests.append({"path": self.path, "body": doc, "raw": body,
                                          "headers": {k.lower(): v for k, v in self.headers.items()}})
                    mode, delay = fake.mode, fake.delay
                try:
                    self.answer(mode, delay, doc)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def send(self, status, data, ctype="application/json"):
                self.send_response(status)
                self.send_header("content-type", ctype)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def answer(self, mode, delay, doc):
                if delay:
                    time.sleep(delay)
                if mode == "garbage":
                    return self.send(200, b"<html>upstream gateway says hi</html>", "text/html")
                if mode == "wrongshape":
                    return self.send(200, json.dumps({"text": 5, "usage": {}}).encode())
                if mode == "error":
                    return self.send(500, json.dumps(
                        {"error": {"message": "the model is overloaded", "type": "server"}}).encode())
                if mode == "huge":
                    n = 17 << 20
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(n))
                    self.end_headers()
                    chunk = b" " * (1 << 20)
                    for _ in range(17):
                        self.wfile.write(chunk)
                    return None
                return self.send(200, json.dumps(fake.ok_answer(self.path, doc)).encode())

        class Quiet(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # pyedge hanging up on a huge or slow answer is expected

        self.httpd = Quiet((HOST, 0), Handler)
        self.httpd.daemon_threads = True
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @staticmethod
    def ok_answer(path, doc):
        if path == "/infer":
            p = doc["prompt"]
            return {"text": "echo: " + p,
                    "usage": {"promptTokenCount": len(p.split()), "generatedTokenCount": 7}}
        if path == "/embed":
            return {"embeddings": [[float(len(t)), 0.5, -1.25] for t in doc["input"]],
                    "usage": {"promptTokenCount": len(doc["input"])}}
        if path == "/v1/chat/completions":
            p = doc["messages"][0]["content"]
            return {"id": "x", "object": "chat.completion",
                    "choices": [{"index": 0, "message": {"role": "assistant",
                                                         "content": "openai: " + p}}],
                    "usage": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}}
        if path == "/v1/embeddings":
            return {"object": "list", "model": doc["model"],
                    "data": [{"object": "embedding", "index": i,
                              "embedding": [0.25 * (i + 1), float(len(t))]}
                             for i, t in enumerate(doc["input"])],
                    "usage": {"prompt_tokens": 11, "total_tokens": 11}}
        return {"unexpected path": path}

    def reset(self, mode="ok", delay=0):
        with self.lock:
            self.requests.clear()
            self.mode, self.delay = mode, delay

    def last(self):
        with self.lock:
            if not self.requests:
                raise CaseFailure("the fake endpoint received no request")
            return self.requests[-1]


_fake = {}
_servers = {}


def fake(kind="plain"):
    """The plain-HTTP fake; "tls": HTTPS with a certificate of a test CA;
    "untrusted": HTTPS with a self-signed certificate."""
    if kind not in _fake:
        tls = None
        if kind != "plain":
            d = certs()
            tls = (os.path.join(d, "srv.pem" if kind == "tls" else "bad.pem"),
                   os.path.join(d, "srv.key" if kind == "tls" else "bad.key"))
        _fake[kind] = FakeLLM(tls)
    return _fake[kind]


def certs():
    """A test CA and a 127.0.0.1 certificate it signs; a self-signed one."""
    if "certs" in _fake:
        return _fake["certs"]
    d = tempfile.mkdtemp(prefix="pe-llm-tls-")

    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=pyedge llm test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", *ec, "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=localhost")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "srv.pem", "-days", "2", "-extfile", "ext.cnf")
    openssl("req", "-x509", *ec, "-keyout", "bad.key", "-out", "bad.pem", "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1")
    _fake["certs"] = d
    return d


def rc_file(app, name, text):
    path = os.path.join(os.path.dirname(app), name)
    with open(path, "w") as f:
        f.write(text)
    return path


def server(kind):
    """One pyedge per endpoint set-up, started on first use:
    default  api_type default, --request-timeout 3s
    open_ai  api_type open_ai, PYEDGE_LLM_TIMEOUT_MS=1500
    none     no runtime config at all
    down     [llm_compute] pointing at a closed loopback port"""
    srv = _servers.get(kind)
    if srv and srv.alive():
        return srv
    app = copy_app("llm")
    args, env = [], {}
    if kind == "default":
        rc = rc_file(app, "rc-default.toml", f'[llm_compute]\ntype = "remote_http"\n'
                     f'url = "http://{HOST}:{fake().port}"\nauth_token = "{TOKEN_DEFAULT}"\n')
        args = ["--runtime-config-file", rc, "--request-timeout", "3s"]
    elif kind == "open_ai":
        rc = rc_file(app, "rc-openai.toml", f'[llm_compute]\ntype = "remote_http"\n'
                     f'url = "http://{HOST}:{fake().port}/ignored/path"\n'
                     f'auth_token = "{TOKEN_OPENAI}"\napi_type = "open_ai"\n')
        args = ["--runtime-config-file", rc]
        env = {"PYEDGE_LLM_TIMEOUT_MS": "1500"}
    elif kind in ("tls", "untrusted"):
        rc = rc_file(app, f"rc-{kind}.toml", f'[llm_compute]\ntype = "remote_http"\n'
                     f'url = "https://{HOST}:{fake(kind).port}"\nauth_token = "{TOKEN_DEFAULT}"\n')
        args = ["--runtime-config-file", rc]
        env = {"CURL_CA_BUNDLE": os.path.join(certs(), "ca.pem")}
    elif kind == "down":
        rc = rc_file(app, "rc-down.toml", f'[llm_compute]\ntype = "remote_http"\n'
                     f'url = "http://{HOST}:{free_port()}"\nauth_token = "{TOKEN_DEFAULT}"\n')
        args = ["--runtime-config-file", rc]
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        srv = Server(app, args, name=f"llm-{kind}")
        srv.start()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    _servers[kind] = srv
    return srv


def infer(srv, model=MODEL, prompt="hello there", route="v3", **extra):
    return post_ok(srv.port, f"/{route}/infer", {"model": model, "prompt": prompt, **extra})


def embed(srv, text, model=EMBED_MODEL, route="v3"):
    return post_ok(srv.port, f"/{route}/embed", {"model": model, "text": text})


def expect_err(doc, name, *needles):
    check(isinstance(doc, dict) and doc.get("err") == name, f"expected {name}, got {doc}")
    eq(doc.get("cls"), "spin_sdk.wit.types.Err", "exception class")
    for n in needles:
        check(n in (doc.get("msg") or ""), f"message lacks {n!r}: {doc.get('msg')!r}")
    for tok in (TOKEN_DEFAULT, TOKEN_OPENAI):
        check(tok not in json.dumps(doc), "the auth token shows in the error")


# --- api_type "default" ------------------------------------------------------------------

@T.case
def infer_default_api_without_options():
    s, f = server("default"), fake()
    f.reset()
    eq(infer(s, prompt="tell me a joke"), {"text": "echo: tell me a joke", "usage": [4, 7]},
       "result")
    r = f.last()
    eq(r["path"], "/infer", "path")
    eq(r["body"], {"model": MODEL, "prompt": "tell me a joke", "options": DEFAULTS},
       "request body (Spin's defaults)")
    eq(r["headers"].get("authorization"), f"bearer {TOKEN_DEFAULT}", "auth header")
    eq(r["headers"].get("content-type"), "application/json", "content type")
    eq(len(f.requests), 1, "requests sent")


@T.case
def infer_default_api_with_options():
    s, f = server("default"), fake()
    f.reset()
    opts = {"max_tokens": 7, "repeat_penalty": 1.5, "repeat_penalty_last_n_token_count": 9,
            "temperature": 0.25, "top_k": 3, "top_p": 0.5}
    eq(infer(s, options=opts)["text"], "echo: hello there", "result")
    eq(f.last()["body"]["options"],
       {"maxTokens": 7, "repeatPenalty": 1.5, "repeatPenaltyLastNTokenCount": 9,
        "temperature": 0.25, "topK": 3, "topP": 0.5}, "options sent")
    # only some given: the others keep Spin's defaults; None: all defaults
    infer(s, options={"temperature": 0.5})
    eq(f.last()["body"]["options"], dict(DEFAULTS, temperature=0.5), "one option")
    infer(s, options=None)
    eq(f.last()["body"]["options"], DEFAULTS, "options None")
    infer(s, options={}, **{"class": True})  # spin-sdk 3.x passed the class itself
    eq(f.last()["body"]["options"], DEFAULTS, "the InferencingParams class")
    # f32 semantics: 0.1 is written as Spin writes an f32 0.1
    infer(s, options={"top_p": 0.1, "repeat_penalty": 3e38})
    raw = f.last()["raw"].decode()
    check('"topP":0.1' in raw and '"repeatPenalty":3e+38' in raw, f"floats as f32: {raw}")


@T.case
def infer_prompt_bytes_reach_the_endpoint():
    s, f = server("default"), fake()
    f.reset()
    prompt = 'quote " backslash \\ newline \n tab \t nul \x00 del \x7f ünï ✓ 🦀 </script>'
    eq(infer(s, prompt=prompt)["text"], "echo: " + prompt, "echoed")
    eq(f.last()["body"]["prompt"], prompt, "prompt as sent")
    big = "word " * 200000  # 1,000,000 bytes: under the 1 MiB limit
    eq(infer(s, prompt=big)["usage"][0], 200000, "a 1 MB prompt")


@T.case
def embeddings_default_api():
    s, f = server("default"), fake()
    f.reset()
    eq(embed(s, ["a", "bbb", "ünï"]),
       {"embeddings": [[1.0, 0.5, -1.25], [3.0, 0.5, -1.25], [3.0, 0.5, -1.25]], "usage": 3},
       "result")
    eq(f.last()["path"], "/embed", "path")
    eq(f.last()["body"], {"model": EMBED_MODEL, "input": ["a", "bbb", "ünï"]}, "request body")
    eq(f.last()["headers"].get("authorization"), f"bearer {TOKEN_DEFAULT}", "auth header")
    eq(embed(s, []), {"embeddings": [], "usage": 0}, "no texts")


# --- api_type "open_ai" ------------------------------------------------------------------

@T.case
def infer_open_ai_api():
    s, f = server("open_ai"), fake()
    f.reset()
    eq(infer(s, prompt="hi"), {"text": "openai: hi", "usage": [3, 5]}, "result")
    r = f.last()
    eq(r["path"], "/v1/chat/completions", "path (the url's own path is replaced, as in Spin)")
    eq(r["body"], {"messages": [{"role": "user", "content": "hi"}], "model": MODEL,
                   "max_completion_tokens": 100, "frequency_penalty": 1.1}, "request body")
    eq(r["headers"].get("authorization"), f"bearer {TOKEN_OPENAI}", "auth header")
    infer(s, prompt="hi", options={"max_tokens": 12, "repeat_penalty": 0.5})
    eq((f.last()["body"]["max_completion_tokens"], f.last()["body"]["frequency_penalty"]),
       (12, 0.5), "the options OpenAI's API takes")


@T.case
def embeddings_open_ai_api():
    s, f = server("open_ai"), fake()
    f.reset()
    eq(embed(s, ["x", "yy"]), {"embeddings": [[0.25, 1.0], [0.5, 2.0]], "usage": 11}, "result")
    eq(f.last()["path"], "/v1/embeddings", "path")
    eq(f.last()["body"], {"input": ["x", "yy"], "model": EMBED_MODEL}, "request body")


@T.case
def open_ai_error_answer():
    s, f = server("open_ai"), fake()
    f.reset("error")
    expect_err(infer(s), "Error_RuntimeError", "the model is overloaded")
    expect_err(embed(s, ["x"]), "Error_RuntimeError", "the model is overloaded")


# --- grants and configuration ------------------------------------------------------------

@T.case
def model_not_in_ai_models():
    s, f = server("default"), fake()
    f.reset()
    # Spin answers InvalidInput here (factor-llm's host.rs), not ModelNotSupported
    expect_err(infer(s, model="gpt-4"), "Error_InvalidInput", "gpt-4", "ai_models")
    expect_err(embed(s, ["x"], model="gpt-4"), "Error_InvalidInput", "ai_models")
    expect_err(infer(s, route="none"), "Error_InvalidInput", "'nollm'", MODEL)
    expect_err(infer(s, model="LLAMA2-CHAT"), "Error_InvalidInput")  # exact names only
    expect_err(infer(s, model=MODEL + "\x00"), "Error_InvalidInput")
    eq(len(f.requests), 0, "requests that reached the endpoint")


@T.case
def no_llm_compute():
    s = server("none")
    expect_err(infer(s), "Error_RuntimeError", "no LLM is configured", "[llm_compute]",
               "--runtime-config-file", "remote_http")
    expect_err(embed(s, ["x"]), "Error_RuntimeError", "no LLM is configured")
    # the grant is checked first, as in Spin
    expect_err(infer(s, model="gpt-4"), "Error_InvalidInput", "ai_models")


@T.case
def runtime_config_errors():
    app = copy_app("llm")
    cases = [
        ('[llm_compute]\ntype = "spin"\n', ":2:", "unsupported [llm_compute] type 'spin'",
         'supports only type = "remote_http"'),
        ('[llm_compute]\ntype = "cloud"\n', ":2:", "unknown [llm_compute] type 'cloud'"),
        ('\n[llm_compute]\ntype = "remote_http"\nurl = "http://127.0.0.1:1"\n', ":2:",
         "needs an 'auth_token'"),
        ('[llm_compute]\ntype = "remote_http"\nurl = "ftp://x"\nauth_token = "tok-XYZ-secret"\n',
         ":3:", "bad 'url' in [llm_compute]"),
        ('[llm_compute]\ntype = "remote_http"\nurl = "http://h"\nauth_token = "a\\nb-secret"\n',
         ":4:", "'auth_token' in [llm_compute] must be printable ASCII"),
        ('[llm_compute]\ntype = "remote_http"\nurl = "http://h"\nauth_token = "t-secret"\n'
         'api_type = "anthropic"\n', ":5:", "unknown api_type 'anthropic'"),
        ('[llm_compute]\ntype = "remote_http"\nurl = "http://h"\nauth_token = "t-secret"\n'
         'model = "x"\n', ":5:", "unknown key 'model' in [llm_compute]"),
        ('[llm_compute]\ntype = "remote_http"\nurl = 5\nauth_token = "t-secret"\n', ":3:",
         "expected a string for 'url'"),
    ]
    for i, (text, line, *needles) in enumerate(cases):
        rc = rc_file(app, f"bad{i}.toml", text)
        err = start_fails(app, ["--runtime-config-file", rc])
        for n in (rc + line, *needles):
            check(n in err, f"case {i}: stderr lacks {n!r}: {err.strip()[-400:]}")
        check("secret" not in err.lower().replace("s3cret", ""),
              f"case {i}: the token shows: {err.strip()[-300:]}")


# --- the endpoint failing -----------------------------------------------------------------

@T.case
def endpoint_down():
    s = server("down")
    doc = infer(s)
    expect_err(doc, "Error_RuntimeError", "POST http://127.0.0.1:", "/infer")
    check("connect" in doc["msg"].lower(), f"message says the connection failed: {doc['msg']}")
    expect_err(embed(s, ["x"]), "Error_RuntimeError", "/embed")


@T.case
def endpoint_slow_past_the_deadline():
    s, f = server("default"), fake()  # --request-timeout 3s
    f.reset("ok", delay=8)
    t0 = time.monotonic()
    r = request(s.port, "POST", "/v3/infer", body=json.dumps({"model": MODEL, "prompt": "p"}),
                headers={"content-type": "application/json"}, timeout=20)
    took = time.monotonic() - t0
    check(2.5 < took < 6, f"answered after {took:.1f} s; the request's limit is 3 s")
    # The call ends at the deadline; whether the handler still gets to answer
    # (with the error) or the runtime stops it first (504) is a race of
    # milliseconds. Either way the request ends on time.
    if r.status == 200:
        expect_err(json.loads(r.body), "Error_RuntimeError", "time limit was reached")
    else:
        eq(r.status, 504, f"status (body {r.body[:200]!r})")
    f.reset()
    eq(infer(s)["text"], "echo: hello there", "the next request works")


@T.case
def endpoint_slow_past_the_call_cap():
    s, f = server("open_ai"), fake()  # PYEDGE_LLM_TIMEOUT_MS=1500
    f.reset("ok", delay=5)
    t0 = time.monotonic()
    doc = infer(s)
    took = time.monotonic() - t0
    expect_err(doc, "Error_RuntimeError", "no answer within 1500 ms")
    check(1.3 < took < 4, f"gave up after {took:.1f} s; the cap is 1.5 s")
    f.reset()


@T.case
def endpoint_answers_garbage():
    s, f = server("default"), fake()
    f.reset("garbage")
    expect_err(infer(s), "Error_RuntimeError", "POST /infer", "HTTP 200", "not JSON")
    expect_err(embed(s, ["x"]), "Error_RuntimeError", "POST /embed", "not JSON")
    f.reset("wrongshape")
    expect_err(infer(s), "Error_RuntimeError", "'text' is not a string")
    f.reset("error")  # an OpenAI-style error body means nothing to the default protocol
    expect_err(infer(s), "Error_RuntimeError", "HTTP 500", "no 'text'")
    s2 = server("open_ai")
    f.reset("garbage")
    expect_err(infer(s2), "Error_RuntimeError", "POST /v1/chat/completions", "not JSON")
    f.reset()


@T.case
def endpoint_answers_huge():
    s, f = server("default"), fake()
    f.reset("huge")
    expect_err(infer(s), "Error_RuntimeError", "larger than the limit of 16 MiB")
    f.reset()
    eq(infer(s)["text"], "echo: hello there", "the next call works")


@T.case
def https_endpoint():
    s, f = server("tls"), fake("tls")
    f.reset()
    eq(infer(s, prompt="over tls"), {"text": "echo: over tls", "usage": [2, 7]}, "result")
    eq(f.last()["headers"].get("authorization"), f"bearer {TOKEN_DEFAULT}", "auth header")
    u = server("untrusted")
    expect_err(infer(u), "Error_RuntimeError", "TLS certificate is not trusted")
    eq(len(fake("untrusted").requests), 0, "requests the untrusted endpoint got")


# --- the SDK example's shape (spin-sdk 4.0) ----------------------------------------------

@T.case
def example_app_v4():
    s, f = server("default"), fake()
    f.reset()
    r = request(s.port, "GET", "/example/")
    eq(r.status, 200, f"status (body {r.body[:300]!r})")
    eq(r.body.decode(), "Hello from Python!\necho: tell me a joke\n"
       "echo: what is the theory of relativity\n7", "body")
    eq([q["body"]["options"]["temperature"] for q in f.requests], [0.8, 0.5], "temperatures")
    eq([q["body"]["model"] for q in f.requests], [EMBED_MODEL] * 2, "models")
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and not any("echo: tell me a joke" in ln for ln in s.stdout):
        time.sleep(0.05)
    check(any("echo: tell me a joke" in ln for ln in s.stdout), "the app's print reached stdout")


# --- hostile payloads ---------------------------------------------------------------------

def f64(x):
    return {"b64": base64.b64encode(struct.pack("<d", x)).decode()}


def params(**over):
    p = {"max_tokens": {"u64": 1}, "repeat_penalty": f64(1.0),
         "repeat_penalty_last_n_token_count": {"u64": 1}, "temperature": f64(1.0),
         "top_k": {"u64": 1}, "top_p": f64(1.0)}
    p.update(over)
    return list(p.values())


@T.case
def hostile_payloads():
    s, f = server("default"), fake()
    f.reset()
    m = {"str": MODEL}
    b64 = lambda b: {"b64": base64.b64encode(b).decode()}  # noqa: E731
    script = [
        ("llm.infer", [m, {"str": "p"}, *params()], 0),                       # well formed
        ("llm.infer", [m, {"str": "p"}], 3),                                  # no parameters
        ("llm.infer", [m, {"str": "p"}, *params(), {"u64": 1}], 3),           # one too many
        ("llm.infer", [m, {"str": "p"}, *params(max_tokens={"u64": 1 << 32})], 3),
        ("llm.infer", [m, {"str": "p"}, *params(temperature=f64(float("nan")))], 3),
        ("llm.infer", [m, {"str": "p"}, *params(top_p=f64(float("inf")))], 3),
        ("llm.infer", [m, {"str": "p"}, *params(top_p=f64(1e39))], 3),        # not an f32
        ("llm.infer", [m, {"str": "p"}, *params(top_p={"u64": 1}), ], 0),     # 8 bytes: a float
        ("llm.infer", [m, {"str": "p"}, *params(top_p=b64(b"\x00" * 4))], 3),
        ("llm.infer", [m, b64(b"\xff\xfe bad utf-8"), *params()], 3),
        ("llm.infer", [b64(b"\xc3"), {"str": "p"}, *params()], 3),
        ("llm.infer", [m, {"str": "x" * ((1 << 20) + 1)}, *params()], 3),    # prompt > 1 MiB
        ("llm.infer", [{"str": "gpt-4"}, {"str": "p"}, *params()], 1),        # not granted
        ("llm.infer", [], 3),
        ("llm.embed", [], 3),
        ("llm.embed", [m], 0),                      # no texts, and any granted model will do
        ("llm.embed", [{"str": EMBED_MODEL}, *[{"str": "t"}] * 1025], 3),     # too many texts
        ("llm.embed", [{"str": EMBED_MODEL}, *[{"str": "y" * (1 << 20)}] * 5], 3),  # > 4 MiB
        ("llm.embed", [{"str": EMBED_MODEL}, b64(b"\xed\xa0\x80")], 3),       # a surrogate
        ("llm.frobnicate", [m], 7),
        ("llm.", [], 7),
    ]
    calls = [{"svc": svc, "blobs": blobs} for svc, blobs, _ in script]
    calls.append({"svc": "llm.infer", "raw": base64.b64encode(b"\x05\x00\x00\x00ab").decode()})
    calls.append({"svc": "llm.embed", "blobs": [{"str": EMBED_MODEL}], "pad": 1 << 30})
    expected = [st for _, _, st in script] + [3, 3]
    got = post_ok(s.port, "/v3/raw", calls, timeout=60)
    eq([g["status"] for g in got], expected, f"statuses ({[g.get('msg') for g in got]})")
    sent = [q["path"] for q in f.requests]
    eq(sent, ["/infer", "/infer", "/embed"], "only the well-formed calls reached the endpoint")
    eq(f.requests[1]["body"]["options"]["topP"], 0, "a denormal double is an f32 0")


@T.case
def secrets_never_in_output():
    for kind, srv in _servers.items():
        text = "\n".join(srv.stdout + srv.stderr)
        for tok in (TOKEN_DEFAULT, TOKEN_OPENAI):
            check(tok not in text, f"{kind}: the token shows in the server's output")
    check(_servers, "no server ran before this case (run it with the others)")


if __name__ == "__main__":
    raise SystemExit(T.main())
