"""pyedge_response: a response whose body may reach the client as it is
written, for the wasi-http bindings (spin_sdk.wit.imports...).

Body bytes are kept here until a flush: an explicit one (wasi:io
`flush`, `blocking_write_and_flush`), the event loop going idle
(pyedge_loop.idle_hooks), a host call (anything that may block), or
FLUSH_BYTES held. The head goes with the first flush; an idle loop or a
host call sends it even with no body yet, as Spin sends a response's head
once the handler has given it (ResponseOutparam.set, or returning it). The first flush sends the head through the host call
"response.start" (docs/hostcall.md), each later one a "response.write",
and finish() a "response.end". A body finished before any flush goes out
as an ordinary whole response (content-length, the fast path), so a
handler that writes its body and returns costs no host call at all.

Where the host cannot stream (a chained component's response, the SDK
tests under `pyedge python`), the first flush finds out and everything is
kept for the whole response instead. When the client has gone away,
writes raise ClientGone and the rest of the body is dropped.
"""

import pyedge_hostcall as _hc

__all__ = ["Output", "ClientGone", "current", "FLUSH_BYTES"]

FLUSH_BYTES = 64 * 1024
WRITE_BYTES = 4 << 20


class ClientGone(ConnectionError):
    """The client closed the connection while the body was streamed."""


_active = None  # the Output of the request being handled, if it may stream


def current():
    return _active


def _flush_active():
    """The handler is about to wait (its loop is idle, or a host call): the
    head, which is known, and what was written go out now."""
    out = _active
    if out is not None and (out.pending or not out.started):
        try:
            out.flush()
        except ClientGone:
            pass  # told to the writer by its next write


class Output:
    """One response: status and headers ([(str, bytes)]), then the body."""

    def __init__(self, status, headers):
        self.status = status
        self.headers = headers
        self.chunks = []
        self.pending = 0       # bytes in chunks
        self.started = False   # the head went to the host
        self.can_stream = True
        self.gone = False
        self.finished = False
        self.sent = 0

    # -- the request's output ---------------------------------------------

    def activate(self):
        """Makes this the output that idle loops and host calls flush."""
        global _active
        _active = self
        _hc.before_call = _flush_active
        from pyedge_loop import idle_hooks
        if _flush_active not in idle_hooks:
            idle_hooks.append(_flush_active)

    def deactivate(self):
        global _active
        if _active is self:
            _active = None
            _hc.before_call = None

    # -- body ---------------------------------------------------------------

    def write(self, data):
        if self.finished:
            raise ValueError("the response body is already finished")
        if self.gone:
            raise ClientGone("the client closed the connection")
        if not data:
            return
        self.chunks.append(bytes(data))
        self.pending += len(data)
        if self.pending >= FLUSH_BYTES and (self.started or self.can_stream):
            self.flush()

    def flush(self):
        """Sends the head (first time) and what is held; keeps it when the
        host cannot stream. Raises ClientGone when the client left."""
        if self.gone:
            raise ClientGone("the client closed the connection")
        if not self.can_stream or self.finished:
            return
        if not self.started:
            if not self._start():
                return
        if self.chunks:
            data = b"".join(self.chunks)
            self.chunks = []
            self.pending = 0
            view = memoryview(data)
            for i in range(0, len(data), WRITE_BYTES):  # the host takes at most 16 MiB a call
                try:
                    _hc.call("response.write", view[i:i + WRITE_BYTES])
                except _hc.Backend as e:
                    self.gone = True
                    raise ClientGone(e.message) from None
            self.sent += len(data)

    def _start(self):
        blobs = [_hc.u64(self.status), _hc.u64(len(self.headers))]
        for name, value in self.headers:
            blobs.append(name.encode("utf-8") if isinstance(name, str) else bytes(name))
            blobs.append(value.encode("utf-8") if isinstance(value, str) else bytes(value))
        try:
            _hc.call("response.start", *blobs)
        except _hc.NoService:
            self.can_stream = False  # a chained call: the whole response
            return False
        except (RuntimeError, ImportError):  # no host services (pyedge python, host Python)
            self.can_stream = False
            return False
        self.started = True
        return True

    def finish(self):
        """The body is complete. Returns None when it was streamed (the host
        has it all), else the whole body as bytes."""
        if self.finished:
            return None if self.started else b""
        if self.started:
            if not self.gone:
                try:
                    self.flush()
                    _hc.call("response.end")
                except ClientGone:
                    pass
            self.finished = True
            self.deactivate()
            return None
        self.finished = True
        self.deactivate()
        body = b"".join(self.chunks)
        self.chunks = []
        self.pending = 0
        return body
