"""The streaming routes on the wasi:http 0.2 bindings (spin-sdk 3.x shape:
an IncomingHandler running a PollLoop, Sink/Stream from poll_loop)."""
import asyncio
import hashlib
import json
import sys
import time
from urllib import parse

from spin_sdk.http import poll_loop
from spin_sdk.http.poll_loop import PollLoop, Sink, Stream
from spin_sdk.wit import exports
from spin_sdk.wit.imports.types import (Fields, IncomingRequest, Method_Get, Method_Post,
                                        OutgoingBody, OutgoingRequest, OutgoingResponse,
                                        ResponseOutparam, Scheme_Http)
from spin_sdk.wit.types import Err, Ok


class IncomingHandler(exports.IncomingHandler):
    def handle(self, request: IncomingRequest, response_out: ResponseOutparam):
        loop = PollLoop()
        asyncio.set_event_loop(loop)
        loop.run_until_complete(route(request, response_out))


def start(response_out, status=200, headers=(("content-type", b"text/plain"),)):
    response = OutgoingResponse(Fields.from_list(list(headers)))
    response.set_status_code(status)
    body = response.body()
    ResponseOutparam.set(response_out, Ok(response))
    return body


async def route(request, response_out):
    method = request.method()
    url = parse.urlsplit(request.path_with_query())
    path = url.path.split("/", 2)[-1]
    query = dict(parse.parse_qsl(url.query))
    headers = request.headers().entries()
    if isinstance(method, Method_Get) and path == "hash-all":
        urls = [str(v, "utf-8") for n, v in headers if n == "url"]
        sink = Sink(start(response_out))
        for done in asyncio.as_completed([sha256(u) for u in urls]):
            u, digest = await done
            await sink.send(f"{u}: {digest}\n".encode())
        sink.close()
    elif isinstance(method, Method_Post) and path == "echo":
        sink = Sink(start(response_out, headers=[(n, v) for n, v in headers
                                                  if n == "content-type"]))
        stream = Stream(request.consume())
        while (chunk := await stream.next()) is not None:
            await sink.send(chunk)
        sink.close()
    elif path == "pieces":
        n, pause = int(query.get("n", "3")), float(query.get("pause", "0.3"))
        sink = Sink(start(response_out))
        for i in range(n):
            await sink.send(f"piece {i} {time.time():.3f}\n".encode())
            await asyncio.sleep(pause)
        sink.close()
        print(f"pieces: done {time.time():.3f}")
    elif path == "big":
        total = int(query.get("mb", "8")) << 20
        piece = bytes(range(256)) * 256
        body = start(response_out, headers=[("content-type", b"application/octet-stream")])
        out = body.write()
        sent = 0
        try:
            while sent < total:
                out.blocking_write_and_flush(piece)
                sent += len(piece)
        except Err as e:
            print(f"big: client gone after {sent} bytes: {e.value}")
            return
        out.__exit__(None, None, None)
        OutgoingBody.finish(body, None)
        print(f"big: wrote {sent} bytes")
    elif path == "late":
        body = start(response_out)
        await asyncio.sleep(1.2)  # the head is out while the handler waits
        out = body.write()
        out.blocking_write_and_flush(b"late\n")
        out.__exit__(None, None, None)
        OutgoingBody.finish(body, None)
    elif path == "raise":
        out = start(response_out).write()
        out.blocking_write_and_flush(b"first piece\n")
        raise RuntimeError("the handler fails after the head")
    elif path == "sleep":
        out = start(response_out).write()
        out.blocking_write_and_flush(b"first piece\n")
        time.sleep(60)
    elif path == "reqbody":
        stream = request.consume().stream()
        sizes, digest = [], hashlib.sha256()
        while True:
            try:
                chunk = stream.blocking_read(int(query.get("read", "65536")))
            except Err:
                break
            sizes.append(len(chunk))
            digest.update(chunk)
        body = start(response_out, headers=[("content-type", b"application/json")])
        out = body.write()
        out.write(json.dumps({"sizes": sizes, "sha256": digest.hexdigest()}).encode())
        OutgoingBody.finish(body, None)
    else:
        body = start(response_out, status=400, headers=[])
        OutgoingBody.finish(body, None)


async def sha256(url):
    parts = parse.urlsplit(url)
    request = OutgoingRequest(Fields.from_list([]))
    request.set_scheme(Scheme_Http())
    request.set_authority(parts.netloc)
    request.set_path_with_query(parts.path + ("?" + parts.query if parts.query else ""))
    response = await poll_loop.send(request)
    if not 200 <= response.status() <= 299:
        return url, f"unexpected status: {response.status()}"
    stream = Stream(response.consume())
    hasher = hashlib.sha256()
    while (chunk := await stream.next()) is not None:
        hasher.update(chunk)
    return url, hasher.hexdigest()


sys.stdout.reconfigure(line_buffering=True)
