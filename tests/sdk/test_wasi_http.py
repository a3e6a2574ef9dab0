"""The wasi:http bindings apps use directly (spin_sdk.wit.exports /
imports, spin_sdk.http.poll_loop, componentize_py_async_support streams):
the types on their own, and apps of both generations through pyedge_call.
Under `pyedge python` there is no host to stream to, so every response
comes back whole (the streaming itself is tested over HTTP in
tests/serve: stream_* cases)."""
import asyncio
import unittest

from sdk_testlib import call, load_entry


class Fields_(unittest.TestCase):
    def setUp(self):
        from spin_sdk.wit.imports import types
        self.t = types

    def test_from_list_get_set_append_delete(self):
        f = self.t.Fields.from_list([("Content-Type", b"text/plain"), ("x-a", b"1")])
        f.append("X-A", b"2")
        self.assertEqual(f.get("x-a"), [b"1", b"2"])
        self.assertTrue(f.has("content-type"))
        f.set("x-a", [b"3"])
        self.assertEqual(f.entries(), [("Content-Type", b"text/plain"), ("x-a", b"3")])
        f.delete("CONTENT-TYPE")
        self.assertEqual(f.entries(), [("x-a", b"3")])
        self.assertEqual(f.clone().entries(), f.entries())

    def test_invalid_names_and_values_are_header_errors(self):
        from spin_sdk.wit.types import Err
        for entries in ([("bad name", b"v")], [("x", b"a\r\nb: c")], [("", b"v")]):
            with self.assertRaises(Err) as cm:
                self.t.Fields.from_list(entries)
            self.assertIsInstance(cm.exception.value, self.t.HeaderError_InvalidSyntax)

    def test_request_headers_are_immutable(self):
        from spin_sdk.http import Request
        from spin_sdk.wit.types import Err
        req = self.t.IncomingRequest(Request("GET", "/", {"a": "b"}, b""))
        with self.assertRaises(Err) as cm:
            req.headers().append("c", b"d")
        self.assertIsInstance(cm.exception.value, self.t.HeaderError_Immutable)

    def test_one_module_for_every_spelling(self):
        from spin_sdk.wit.imports import types, wasi_http_types_0_2_0, wasi_http_types_0_2_6
        from spin_sdk.wit.imports import wasi_http_types_0_3_0_rc_2026_03_15 as p3
        import spin_sdk.http
        self.assertIs(types.Fields, wasi_http_types_0_2_0.Fields)
        self.assertIs(types.Fields, p3.Fields)
        self.assertIs(types.MethodGet, wasi_http_types_0_2_6.Method_Get)
        self.assertIs(p3.ErrorCode_ConnectionRefused, spin_sdk.http.ErrorCode_ConnectionRefused)


class Streams(unittest.TestCase):
    def setUp(self):
        load_entry("apps.func_sync")  # pyedge_loop's policy in the sandbox

    def run_loop(self, coro):
        from pyedge_loop import run_async
        return run_async(coro)

    def test_incoming_body_reads_in_pieces(self):
        from spin_sdk.http import Request
        from spin_sdk.wit.imports.streams import StreamError_Closed
        from spin_sdk.wit.imports.types import IncomingRequest
        from spin_sdk.wit.types import Err
        req = IncomingRequest(Request("POST", "/", {}, b"a" * 40000))
        stream = req.consume().stream()
        sizes = []
        while True:
            try:
                sizes.append(len(stream.blocking_read(16384)))
            except Err as e:
                self.assertIsInstance(e.value, StreamError_Closed)
                break
        self.assertEqual(sizes, [16384, 16384, 7232])
        with self.assertRaises(Err):
            req.consume()  # a body is consumed once

    def test_byte_stream_between_tasks(self):
        import componentize_py_async_support
        from spin_sdk import wit

        async def main():
            tx, rx = wit.byte_stream()

            async def writer():
                with tx:
                    for i in range(3):
                        await tx.write_all(b"%d" % i)
                        await asyncio.sleep(0)
            componentize_py_async_support.spawn(writer())
            got = []
            while not rx.writer_dropped:
                got.append(await rx.read(10))
            return got
        got = self.run_loop(main())
        self.assertEqual(b"".join(got), b"012")
        self.assertEqual(got[-1], b"")

    def test_dropped_reader_makes_writes_return_zero(self):
        from spin_sdk import wit

        async def main():
            tx, rx = wit.byte_stream()
            rx.close()
            n = await tx.write_all(b"abc")
            return n, tx.reader_dropped
        self.assertEqual(self.run_loop(main()), (0, True))

    def test_future_default_when_writer_dropped(self):
        from spin_sdk import wit
        from spin_sdk.wit.types import Ok

        async def main():
            w, r = wit.result_unit_wasi_http_types_0_3_0_rc_2026_03_15_error_code_future(
                lambda: Ok(None))
            del w
            return await r.read()
        self.assertEqual(self.run_loop(main()), Ok(None))

    def test_poll_refuses_what_can_never_be_ready(self):
        from spin_sdk.wit.imports import poll
        with self.assertRaises(RuntimeError):
            poll.poll([poll.Pollable(lambda: False)])
        self.assertEqual(poll.poll([poll.Pollable(lambda: False), poll.Pollable()]), [1])


class RawHandlers(unittest.TestCase):
    def check(self, app, kind):
        mod = load_entry(app)
        self.assertEqual(mod.app.kind, kind)
        status, headers, body, err = call(mod, "GET", "/stream")
        self.assertEqual((status, body, err), (200, b"line 0\nline 1\nline 2\n", ""))
        self.assertEqual(headers["content-type"], "text/plain")
        big = bytes(range(256)) * 400
        status, headers, body, err = call(mod, "POST", "/echo", [("content-type", "app/x")], big)
        self.assertEqual((status, body, headers["content-type"]), (200, big, "app/x"))
        status, _, body, err = call(mod, "GET", "/fail")
        self.assertEqual((status, body), (500, b""))
        self.assertIn("broken after the head", err)
        status, headers, body, err = call(mod, "DELETE", "/other")
        self.assertEqual((status, body, headers["content-length"]), (400, b"", "0"))
        return mod

    def test_wasi_http_02_app(self):
        mod = self.check("apps.wasi_p2", "wasi-http-0.2")
        status, headers, body, _ = call(mod, "GET", "/whole")
        self.assertEqual((status, headers["x-kind"], body), (201, "whole", b"all at once"))

    def test_wasi_http_03_app(self):
        self.check("apps.wasi_p3", "wasi-http-0.3")
        import spin_sdk._mode
        self.assertTrue(spin_sdk._mode.is_async())

    def test_overridden_handle_is_called_with_repeated_headers(self):
        mod = load_entry("apps.override_handle")
        self.assertEqual(mod.app.kind, "wasi-http-0.2")
        status, headers, body, err = call(mod, "GET", "/", [("x-twice", "a"), ("x-twice", "b")])
        self.assertEqual((status, headers["x-via"], body, err), (200, "handle", b"raw a,b", ""))

    def test_spin_sdk_handlers_still_preferred(self):
        mod = load_entry("apps.sync_class")
        self.assertEqual(mod.app.kind, "IncomingHandler")


if __name__ == "__main__":
    unittest.main()
