"""A spin-sdk 4.0 app on the wasi:http 0.3 bindings themselves: /stream
returns at once and a spawned task writes three lines with pauses, /echo
streams the request body back, /fail's task raises after one line,
anything else is a 400."""
import asyncio
from typing import Optional

import componentize_py_async_support
from componentize_py_async_support.futures import FutureReader
from componentize_py_async_support.streams import ByteStreamWriter
from componentize_py_types import Ok, Result
from spin_sdk import wit
from spin_sdk.wit import exports
from spin_sdk.wit.imports.wasi_http_types_0_3_0_rc_2026_03_15 import (ErrorCode, Fields,
                                                                      Method_Get, Method_Post,
                                                                      Request, Response)


class HttpHandler(exports.HttpHandler):
    async def handle(self, request: Request) -> Response:
        method, path = request.get_method(), request.get_path_with_query()
        headers = request.get_headers().copy_all()
        if isinstance(method, Method_Get) and path in ("/stream", "/fail"):
            tx, rx = wit.byte_stream()
            componentize_py_async_support.spawn(lines(tx, path == "/fail"))
            return Response.new(Fields.from_list([("content-type", b"text/plain")]), rx,
                                trailers())[0]
        if isinstance(method, Method_Post) and path == "/echo":
            rx, trailer_future = Request.consume_body(request, unit())
            return Response.new(Fields.from_list(
                [(n, v) for n, v in headers if n == "content-type"]), rx, trailer_future)[0]
        response = Response.new(Fields(), None, trailers())[0]
        response.set_status_code(400)
        return response


async def lines(tx: ByteStreamWriter, fail: bool) -> None:
    with tx:
        for i in range(3):
            await tx.write_all(f"line {i}\n".encode())
            if fail:
                raise ValueError("broken after the head")
            await asyncio.sleep(0.01)


def trailers() -> FutureReader[Result[Optional[Fields], ErrorCode]]:
    return wit.result_option_wasi_http_types_0_3_0_rc_2026_03_15_fields_wasi_http_types_0_3_0_rc_2026_03_15_error_code_future(lambda: Ok(None))[1]  # noqa: E501


def unit() -> FutureReader[Result[None, ErrorCode]]:
    return wit.result_unit_wasi_http_types_0_3_0_rc_2026_03_15_error_code_future(lambda: Ok(None))[1]  # noqa: E501
