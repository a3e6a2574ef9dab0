"""pyedge_wasi_http: calls an app written against the wasi:http bindings
themselves (spin_sdk.wit.exports) rather than spin_sdk.http's Request and
Response; pyedge_entry hands such apps here.

    wasi:http 0.2 (spin-sdk 3.x): handle(IncomingRequest, ResponseOutparam)
        The response is what the handler gives ResponseOutparam.set; its
        body goes out on each flush of the body's output stream (the head
        with the first) and ends at OutgoingBody.finish.
    wasi:http 0.3 (spin-sdk 4.0): async handle(Request) -> Response
        The body stream of the returned Response is read as the handler's
        tasks (spawn) write it, and sent when the loop waits, before a host
        call and every 64 KiB (pyedge_response).

Either way a body complete before anything was flushed goes out as an
ordinary response with a content-length. handle_* return a
spin_sdk.http.Response for that case, or STREAMED when the host already
has the response; they raise (so a 500, or a broken stream once the head
is out) when the handler fails or leaves its response unfinished."""

from spin_sdk.http import Response
from spin_sdk.wit.types import Err, Ok

import pyedge_response
from pyedge_loop import spawned_done

__all__ = ["STREAMED", "handle_p2", "handle_p3"]

# What handle_* return once the host has the whole response (the buffer
# pyedge_call then returns is not used).
STREAMED = Response(200, {}, b"")


class ResponseNotFinished(RuntimeError):
    """The handler returned without finishing its response."""


class BodyWriterFailed(RuntimeError):
    """A task the handler spawned to write the body raised."""


def _header_pairs(fields):
    return [(name, value) for name, value in fields.entries()]


def handle_p2(cls, request):
    from spin_sdk.wit import _wasi_http_p2 as p2

    req = p2.IncomingRequest(request)
    param = p2.ResponseOutparam()
    state = {"out": None, "finished": None}

    def on_set(result):
        if not isinstance(result, Ok):
            return
        response = result.value
        if not isinstance(response, p2.OutgoingResponse):
            raise TypeError("ResponseOutparam.set takes Ok(OutgoingResponse)")
        out = pyedge_response.Output(response.status_code(), _header_pairs(response.headers()))
        out.activate()
        state["out"] = out

        def on_finish():
            state["finished"] = out.finish()

        body = response._body
        if body is None:
            body = response._body = p2.OutgoingBody()
        for chunk in body._chunks:
            out.write(chunk)
        body._chunks = []
        body._on_write = out.write
        body._on_flush = out.flush
        body._on_finish = on_finish

    param.on_set = on_set
    try:
        cls().handle(req, param)
        result = param.result
        if result is None:
            raise ResponseNotFinished("the handler returned without calling "
                                      "ResponseOutparam.set")
        if isinstance(result, Err):
            raise ResponseNotFinished(f"the handler answered with an error: {result.value!r}")
        response = result.value
        out = state["out"]
        if response._body is not None and not response._body.finished:
            if response._body._stream_taken or out.started:
                raise ResponseNotFinished("the handler returned without OutgoingBody.finish")
            on_finish_now = response._body._on_finish
            on_finish_now()
        elif response._body is None or not response._body.finished:
            state["finished"] = out.finish()
        body = state["finished"]
        if body is None:
            return STREAMED
        return Response(out.status, out.headers, body)
    finally:
        if state["out"] is not None:
            state["out"].deactivate()


def handle_p3(cls, request):
    """A coroutine (run by pyedge_entry's loop)."""
    return _run_p3(cls, request)


async def _run_p3(cls, request):
    from spin_sdk.wit import _wasi_http_p3 as p3

    response = await cls().handle(p3.Request._inbound(request))
    if not isinstance(response, p3.Response):
        raise TypeError(f"handle() must return a wasi:http Response, not "
                        f"{type(response).__name__}")
    out = pyedge_response.Output(response.get_status_code(),
                                 _header_pairs(response.get_headers()))
    out.activate()
    try:
        rx = response._contents
        if rx is not None:
            while not rx.writer_dropped:
                chunk = await rx.read(64 * 1024)
                if not chunk:
                    continue
                try:
                    out.write(chunk)
                except pyedge_response.ClientGone:
                    rx.close()  # the writer's next write returns 0 (reader_dropped)
                    break
        failures = await spawned_done()
        if failures:
            raise BodyWriterFailed(f"a task writing the response body failed: "
                                   f"{failures[0]!r}") from failures[0]
        body = out.finish()
    finally:
        out.deactivate()
    if body is None:
        return STREAMED
    return Response(out.status, out.headers, body)
