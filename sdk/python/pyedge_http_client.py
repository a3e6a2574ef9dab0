"""pyedge_http_client: http.client (and so urllib.request) inside the sandbox.

WASI preview 1 has no sockets, so the standard library's HTTP client cannot
connect anywhere. Whenever http.client is imported (by the app, by
urllib.request...), the import hook in pyedge_http_hook (installed by
pyedge_entry at start-up) imports this module and calls install(), which
replaces http.client's HTTPConnection and HTTPSConnection, right after that
module runs, by subclasses whose "socket" is the host's outbound HTTP
service
(`http.send`, the same call spin_sdk.http.send makes, under the same
allowed_outbound_hosts rules and limits). urllib.request looks the classes
up in http.client when it opens a URL, so `urllib.request.urlopen` works
too, redirects and HTTPError for 4xx/5xx included.

How: the stdlib code still formats the request (request line, headers,
Content-Length or chunked body) and still parses the response; only the
bytes in between differ. _HostSocket collects what HTTPConnection sends;
as soon as a whole request is buffered (normally when endheaders() has sent
the body) it is decoded and sent through the host, and the response is
handed back to HTTPResponse as the bytes of an HTTP/1.1 message. The
destination is always the connection's own host and port (a Host header
the caller sets cannot redirect it).

Errors are the OSErrors socket code would raise, so urllib turns them into
URLError: PermissionError (no allowed_outbound_hosts rule allows the URL),
TimeoutError, ConnectionRefusedError, ConnectionError (TLS and other
failures), OSError (limits). The message names the URL and why.

Not supported: CONNECT tunnels and proxies (set_tunnel), client
certificates; TLS is always verified by the host against its CA store, so
an SSLContext passed in is accepted and ignored.
"""

import io
import re
import socket
import sys

import pyedge_hostcall as _hc

__all__ = ["install"]

_client = None  # the http.client module, once installed into
HTTPConnection = HTTPSConnection = None  # the classes, once defined

# An absolute-form request target (RFC 9112 3.2.2) starts with a scheme
# (RFC 3986 3.1) and "://". Merely containing "://" is not enough: the
# origin-form "/q?u=http://x" carries one in its query, and taking it for a
# whole URL would send the request somewhere else entirely.
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def _timeout_ms(timeout):
    if timeout is None or timeout is socket._GLOBAL_DEFAULT_TIMEOUT:
        return 0
    try:
        t = float(timeout)
    except (TypeError, ValueError):
        return 0
    return max(1, int(t * 1000)) if t > 0 else 1


def _os_error(e):
    """The OSError a socket-based client would have raised for host error e."""
    msg = e.message
    if isinstance(e, _hc.Denied):
        return PermissionError(msg)
    if isinstance(e, _hc.Timeout):
        return TimeoutError(msg)
    if isinstance(e, _hc.Invalid):
        return _client.InvalidURL(msg)
    if isinstance(e, _hc.Backend):
        if "Couldn't connect" in msg or "refused" in msg.lower():
            return ConnectionRefusedError(msg)
        return ConnectionError(msg)
    return OSError(msg)


class _Request:
    """Incremental parse of the bytes HTTPConnection sent."""

    def __init__(self, data):
        self.data = data

    def complete(self):
        """(method, target, [(name, value)], body) once a whole request is
        buffered, else None."""
        data = self.data
        end = data.find(b"\r\n\r\n")
        if end < 0:
            return None
        lines = bytes(data[:end]).split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3:
            raise _client.InvalidURL(f"pyedge: malformed request line {lines[0][:200]!r}")
        method, target = parts[0].decode("latin-1"), parts[1].decode("latin-1")
        headers = []
        for line in lines[1:]:
            if line[:1] in (b" ", b"\t") and headers:  # folded continuation
                name, value = headers[-1]
                headers[-1] = (name, value + b" " + line.strip())
                continue
            name, sep, value = line.partition(b":")
            if not sep:
                raise _client.InvalidURL(f"pyedge: malformed header line {line[:200]!r}")
            headers.append((name.decode("latin-1").strip(), value.strip()))
        rest = memoryview(data)[end + 4:]
        te = [v for n, v in headers if n.lower() == "transfer-encoding"]
        cl = [v for n, v in headers if n.lower() == "content-length"]
        if te and te[-1].lower().endswith(b"chunked"):
            body = self._dechunk(rest)
            if body is None:
                return None
        elif cl:
            try:
                n = int(cl[-1])
            except ValueError:
                raise _client.InvalidURL(f"pyedge: bad Content-Length {cl[-1]!r}") from None
            if len(rest) < n:
                return None
            body = bytes(rest[:n])
        else:
            body = b""
        headers = [(n, v) for n, v in headers
                   if n.lower() not in ("host", "transfer-encoding", "content-length")]
        return method, target, headers, body

    @staticmethod
    def _dechunk(buf):
        out, pos = bytearray(), 0
        while True:
            eol = bytes(buf[pos:pos + 4096]).find(b"\r\n")
            if eol < 0:
                return None
            size_text = bytes(buf[pos:pos + eol]).split(b";")[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise _client.InvalidURL("pyedge: malformed chunked body") from None
            pos += eol + 2
            if size == 0:
                return bytes(out)  # trailers, if any, are not forwarded
            if len(buf) < pos + size + 2:
                return None
            out += buf[pos:pos + size]
            pos += size + 2


class _HostSocket:
    """The object HTTPConnection writes its request to and reads its
    response from."""

    def __init__(self, conn):
        self._conn = conn
        self._out = bytearray()
        self._response = None  # bytes, ready for makefile()
        self._error = None
        self._parsed = None  # the buffered request, once complete

    # -- what http.client calls ----------------------------------------------
    def sendall(self, data):
        if self._response is not None or self._error is not None:
            raise OSError("pyedge: the previous response was not read before a new request")
        self._out += data
        self._parsed = None
        return None

    def send(self, data):
        self.sendall(data)
        return len(data)

    def makefile(self, mode="rb", buffering=None):
        self.finish()
        data, self._response = self._response, None
        return io.BytesIO(data)

    def settimeout(self, t):
        pass

    def setsockopt(self, *a):
        pass

    def close(self):
        pass

    # -- the exchange -----------------------------------------------------------
    def ready(self):
        self._parsed = _Request(self._out).complete()
        return self._parsed is not None

    def finish(self):
        """Performs the buffered request now (if not yet done); raises its error."""
        if self._response is None and self._error is None:
            req = self._parsed or _Request(self._out).complete()
            self._parsed = None
            if req is None:
                raise OSError("pyedge: getresponse() before the whole request was sent")
            self._out = bytearray()
            try:
                self._response = self._conn._pyedge_exchange(*req)
            except OSError as e:
                self._error = e
            except _client.HTTPException as e:
                self._error = e
        if self._error is not None:
            e, self._error = self._error, None
            raise e


class _HostTLSContext:
    """What http.client._create_https_context returns when the guest has no
    ssl module: urllib.request only sets attributes on it."""

    check_hostname = True
    verify_mode = 2  # ssl.CERT_REQUIRED
    post_handshake_auth = None

    def set_alpn_protocols(self, protocols):
        pass

    def load_verify_locations(self, *a, **kw):
        pass

    def load_default_certs(self, *a, **kw):
        pass


def _create_https_context(http_version):
    return _HostTLSContext()


def _define(client):
    """The replacement classes, subclassing `client`'s own."""

    class HTTPConnection(client.HTTPConnection):
        """http.client.HTTPConnection over pyedge's outbound HTTP."""

        _pyedge_scheme = "http"

        def connect(self):
            if self._tunnel_host:
                raise OSError("pyedge: proxies and CONNECT tunnels are not supported; "
                              "request the URL directly")
            sys.audit("http.client.connect", self, self.host, self.port)
            self.sock = _HostSocket(self)

        def endheaders(self, message_body=None, *, encode_chunked=False):
            super().endheaders(message_body, encode_chunked=encode_chunked)
            sock = self.sock
            if isinstance(sock, _HostSocket) and sock.ready():
                sock.finish()

        def getresponse(self):
            sock = self.sock
            if isinstance(sock, _HostSocket):
                sock.finish()
            return super().getresponse()

        def _pyedge_url(self, target):
            if _ABSOLUTE.match(target):  # absolute-form (what a proxy would get)
                return target
            host = self.host
            if ":" in host:
                host = f"[{host}]"
            port = "" if self.port == self.default_port else f":{self.port}"
            if not target.startswith("/"):
                target = "/" + target
            return f"{self._pyedge_scheme}://{host}{port}{target}"

        def _pyedge_exchange(self, method, target, headers, body):
            from spin_sdk.http import _exchange

            url = self._pyedge_url(target)
            try:
                status, pairs, data = _exchange(method, url, headers, body,
                                                _timeout_ms(self.timeout))
            except _hc.HostCallError as e:
                raise _os_error(e) from None
            reason = client.responses.get(status, "")
            head = [f"HTTP/1.1 {status} {reason}\r\n".encode("latin-1")]
            no_body = method == "HEAD" or status in (204, 304) or 100 <= status < 200
            for name, value in pairs:
                if name in ("transfer-encoding", "connection", "keep-alive"):
                    continue
                if name == "content-length" and not no_body:
                    continue
                head.append(name.encode("latin-1") + b": " + value + b"\r\n")
            if not no_body:
                head.append(b"content-length: %d\r\n" % len(data))
                head.append(b"\r\n")
                head.append(data)
            else:
                head.append(b"\r\n")
            return b"".join(head)


    class HTTPSConnection(HTTPConnection):
        """http.client.HTTPSConnection over pyedge's outbound HTTP (the host
        verifies the server's certificate; `context` is accepted and ignored)."""

        default_port = client.HTTPS_PORT
        _pyedge_scheme = "https"

        def __init__(self, host, port=None, *, timeout=socket._GLOBAL_DEFAULT_TIMEOUT,
                     source_address=None, context=None, blocksize=8192, **legacy):
            super().__init__(host, port, timeout, source_address, blocksize=blocksize)
            self._context = context

    return HTTPConnection, HTTPSConnection


def install(client):
    """Puts the classes into the http.client module `client` (idempotent)."""
    global _client, HTTPConnection, HTTPSConnection
    if getattr(client, "_pyedge_installed", False):
        return
    _client = client
    HTTPConnection, HTTPSConnection = _define(client)
    client.HTTPConnection = HTTPConnection
    client.HTTPSConnection = HTTPSConnection
    if "HTTPSConnection" not in client.__all__:
        client.__all__.append("HTTPSConnection")
    try:
        import ssl  # noqa: F401  (absent in the sandbox)
    except ImportError:
        client._create_https_context = _create_https_context
    client._pyedge_installed = True
