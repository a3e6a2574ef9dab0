"""loopback_origin: a real HTTP(S) origin for outbound-HTTP tests and benches.

Origin() serves on 127.0.0.1 (a free port) from a thread, HTTP/1.1 with
keep-alive, and records every request it receives (method, target, header
list, body) so a test can check what actually arrived. With `tls=(cert,
key)` it serves HTTPS. Paths:

  /status/<n>    status n, body "status <n>"
  /sleep/<s>     waits s seconds (float), then 200 "slept"
  /big/<n>       200 with an n-byte body
  /chunked       200, body "hello chunked world" in chunked encoding
  /redirect      302 to /echo/redirected
  /cookies       200 with two Set-Cookie headers
  anything else  201 for /base/..., else 200: a JSON echo of the request,
                 with the response header x-origin: yes
"""

import json
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def _read_body(self):
        te = self.headers.get("Transfer-Encoding", "")
        if te.lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if status not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and status not in (204, 304):
            self.wfile.write(body)

    def _handle(self):
        body = self._read_body()
        rec = {"method": self.command, "target": self.path,
               "headers": [(k.lower(), v) for k, v in self.headers.items()], "body": body}
        self.server.origin._record(rec)
        p = self.path.split("?")[0]
        if p.startswith("/status/"):
            n = int(p.split("/")[2])
            return self._send(n, f"status {n}".encode())
        if p.startswith("/sleep/"):
            time.sleep(float(p.split("/")[2]))
            return self._send(200, b"slept")
        if p.startswith("/big/"):
            n = int(p.split("/")[2])
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            chunk = b"x" * 65536
            left = n
            try:
                while left > 0:
                    k = min(left, len(chunk))
                    self.wfile.write(chunk[:k])
                    left -= k
            except OSError:
                pass
            return None
        if p == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"hello ", b"chunked ", b"world"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
            return None
        if p == "/redirect":
            return self._send(302, b"", [("Location", "/echo/redirected")])
        if p == "/cookies":
            return self._send(200, b"ok", [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
        doc = {"method": self.command, "target": self.path, "headers": rec["headers"],
               "body": body.decode("latin-1")}
        status = 201 if p.startswith("/base/") else 200
        return self._send(status, json.dumps(doc).encode(),
                          [("Content-Type", "application/json"), ("X-Origin", "yes")])

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients that give up (timeouts, size limits) are expected here


class Origin:
    def __init__(self, tls=None):
        self.requests = []
        self.lock = threading.Lock()
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.origin = self
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def _record(self, rec):
        with self.lock:
            self.requests.append(rec)

    def clear(self):
        with self.lock:
            self.requests.clear()

    def received(self):
        with self.lock:
            return list(self.requests)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def unused_port():
    """A loopback port nothing listens on (for refused connections)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
