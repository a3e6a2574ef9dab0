"""The streaming routes on the wasi:http 0.3 bindings (spin-sdk 4.0 shape:
an HttpHandler returning a Response whose body a spawned task writes)."""
import asyncio
import hashlib
import json
import time
from typing import Optional
from urllib import parse

import componentize_py_async_support
from componentize_py_async_support.futures import FutureReader
from componentize_py_async_support.streams import ByteStreamWriter
from componentize_py_types import Ok, Result
from spin_sdk import wit
from spin_sdk.wit import exports
from spin_sdk.wit.imports import wasi_http_client_0_3_0_rc_2026_03_15 as client
from spin_sdk.wit.imports.wasi_http_types_0_3_0_rc_2026_03_15 import (
    ErrorCode, Fields, Method_Get, Method_Post, Request, Response, Scheme_Http)


def trailers() -> FutureReader[Result[Optional[Fields], ErrorCode]]:
    return wit.result_option_wasi_http_types_0_3_0_rc_2026_03_15_fields_wasi_http_types_0_3_0_rc_2026_03_15_error_code_future(lambda: Ok(None))[1]  # noqa: E501


def unit() -> FutureReader[Result[None, ErrorCode]]:
    return wit.result_unit_wasi_http_types_0_3_0_rc_2026_03_15_error_code_future(lambda: Ok(None))[1]  # noqa: E501


def streamed(writer, content_type=b"text/plain", status=200):
    tx, rx = wit.byte_stream()
    componentize_py_async_support.spawn(writer(tx))
    response = Response.new(Fields.from_list([("content-type", content_type)]), rx, trailers())[0]
    response.set_status_code(status)
    return response


class HttpHandler(exports.HttpHandler):
    async def handle(self, request: Request) -> Response:
        method = request.get_method()
        url = parse.urlsplit(request.get_path_with_query())
        path = url.path.split("/", 2)[-1]
        query = dict(parse.parse_qsl(url.query))
        headers = request.get_headers().copy_all()
        if isinstance(method, Method_Get) and path == "hash-all":
            urls = [str(v, "utf-8") for n, v in headers if n == "url"]

            async def hash_all(tx: ByteStreamWriter):
                with tx:
                    for done in asyncio.as_completed([sha256(u) for u in urls]):
                        u, digest = await done
                        await tx.write_all(f"{u}: {digest}\n".encode())
            return streamed(hash_all)
        if isinstance(method, Method_Post) and path == "echo":
            rx, trailer_future = Request.consume_body(request, unit())
            return Response.new(Fields.from_list([(n, v) for n, v in headers
                                                  if n == "content-type"]), rx,
                                trailer_future)[0]
        if path == "pieces":
            n, pause = int(query.get("n", "3")), float(query.get("pause", "0.3"))

            async def pieces(tx):
                with tx:
                    for i in range(n):
                        await tx.write_all(f"piece {i} {time.time():.3f}\n".encode())
                        await asyncio.sleep(pause)
                print(f"pieces: done {time.time():.3f}")
            return streamed(pieces)
        if path == "big":
            total = int(query.get("mb", "8")) << 20
            piece = bytes(range(256)) * 256

            async def big(tx):
                sent = 0
                with tx:
                    while sent < total:
                        if await tx.write_all(piece) == 0:
                            print(f"big: client gone after {sent} bytes")
                            return
                        sent += len(piece)
                print(f"big: wrote {sent} bytes")
            return streamed(big, b"application/octet-stream")
        if path == "late":
            async def late(tx):
                with tx:
                    await asyncio.sleep(1.2)  # the head is out while the task waits
                    await tx.write_all(b"late\n")
            return streamed(late)
        if path == "raise":
            async def fails(tx):
                with tx:
                    await tx.write_all(b"first piece\n")
                    await asyncio.sleep(0.05)
                    raise RuntimeError("the handler fails after the head")
            return streamed(fails)
        if path == "sleep":
            async def sleeps(tx):
                with tx:
                    await tx.write_all(b"first piece\n")
                    await asyncio.sleep(60)
            return streamed(sleeps)
        if path == "reqbody":
            rx, _ = Request.consume_body(request, unit())
            sizes, digest = [], hashlib.sha256()
            with rx:
                while not rx.writer_dropped:
                    chunk = await rx.read(int(query.get("read", "65536")))
                    if chunk:
                        sizes.append(len(chunk))
                        digest.update(chunk)
            body = json.dumps({"sizes": sizes, "sha256": digest.hexdigest()}).encode()

            async def whole(tx):
                with tx:
                    await tx.write_all(body)
            return streamed(whole, b"application/json")
        response = Response.new(Fields(), None, trailers())[0]
        response.set_status_code(400)
        return response


async def sha256(url):
    parts = parse.urlsplit(url)
    request = Request.new(Fields(), None, trailers(), None)[0]
    request.set_scheme(Scheme_Http())
    request.set_authority(parts.netloc)
    request.set_path_with_query(parts.path + ("?" + parts.query if parts.query else ""))
    response = await client.send(request)
    status = response.get_status_code()
    if not 200 <= status <= 299:
        return url, f"unexpected status: {status}"
    rx = Response.consume_body(response, unit())[0]
    hasher = hashlib.sha256()
    with rx:
        while not rx.writer_dropped:
            hasher.update(await rx.read(16 * 1024))
    return url, hasher.hexdigest()
