"""A spin-sdk 3.x app on the wasi:http 0.2 bindings themselves: /stream
writes three lines with flushes, /echo copies the request body in pieces
through spin_sdk.http.poll_loop, /fail breaks after the first piece,
/whole writes without flushing, anything else is a 400 with no body."""
import asyncio

from spin_sdk.http import poll_loop
from spin_sdk.http.poll_loop import PollLoop, Sink, Stream
from spin_sdk.wit import exports
from spin_sdk.wit.imports.types import (Fields, IncomingRequest, Method_Get, Method_Post,
                                        OutgoingBody, OutgoingResponse, ResponseOutparam)
from spin_sdk.wit.types import Ok


class IncomingHandler(exports.IncomingHandler):
    def handle(self, request: IncomingRequest, response_out: ResponseOutparam):
        loop = PollLoop()
        asyncio.set_event_loop(loop)
        loop.run_until_complete(answer(request, response_out))


async def answer(request, response_out):
    method, path = request.method(), request.path_with_query()
    headers = request.headers().entries()
    if isinstance(method, Method_Get) and path == "/stream":
        response = OutgoingResponse(Fields.from_list([("content-type", b"text/plain")]))
        body = response.body()
        ResponseOutparam.set(response_out, Ok(response))
        out = body.write()
        for i in range(3):
            out.blocking_write_and_flush(f"line {i}\n".encode())
            await asyncio.sleep(0.01)
        out.__exit__(None, None, None)
        OutgoingBody.finish(body, None)
    elif isinstance(method, Method_Post) and path == "/echo":
        response = OutgoingResponse(Fields.from_list(
            [(n, v) for n, v in headers if n == "content-type"]))
        sink = Sink(response.body())
        ResponseOutparam.set(response_out, Ok(response))
        stream = Stream(request.consume())
        pieces = 0
        while (chunk := await stream.next()) is not None:
            pieces += 1
            await sink.send(chunk)
        sink.close()
    elif path == "/fail":
        response = OutgoingResponse(Fields())
        body = response.body()
        ResponseOutparam.set(response_out, Ok(response))
        body.write().blocking_write_and_flush(b"partial\n")
        raise ValueError("broken after the head")
    elif path == "/whole":
        response = OutgoingResponse(Fields.from_list([("x-kind", b"whole")]))
        response.set_status_code(201)
        body = response.body()
        ResponseOutparam.set(response_out, Ok(response))
        out = body.write()
        out.write(b"all ")
        out.write(b"at once")
        OutgoingBody.finish(body, None)
    else:
        response = OutgoingResponse(Fields.from_list([]))
        response.set_status_code(400)
        body = response.body()
        ResponseOutparam.set(response_out, Ok(response))
        OutgoingBody.finish(body, None)
