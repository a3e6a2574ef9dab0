"""What a handler returns and what goes back: normalisation, content-length,
exceptions (500, empty body, traceback on stderr), and outbound HTTP without host services."""
import unittest

from sdk_testlib import IN_SANDBOX, call, load_entry


class Responses(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mod = load_entry("apps.behaviours")

    def get(self, uri):
        return call(self.mod, uri=uri)

    def ok(self, uri):
        status, headers, body, err = self.get(uri)
        self.assertEqual(err, "", uri)
        return status, headers, body

    def fails(self, uri, *needles):
        status, headers, body, err = self.get(uri)
        self.assertEqual(status, 500, uri)
        self.assertEqual(body, b"", uri)
        self.assertEqual(headers, {"content-length": "0"}, uri)
        self.assertIn("Traceback (most recent call last)", err, uri)
        self.assertIn(f"pyedge: 500: GET {uri}: the handler failed", err)
        for n in needles:
            self.assertIn(n, err, uri)
        return err

    def test_plain(self):
        self.assertEqual(self.ok("/ok"), (200, {"content-length": "2"}, b"ok"))

    def test_exception_is_500_with_traceback(self):
        err = self.fails("/raise", "Boom: kaboom from the handler", "behaviours.py")
        self.assertEqual(err.count("Traceback"), 1)

    def test_sys_exit_is_500(self):
        self.fails("/exit", "SystemExit: 3")

    def test_handler_keeps_working_after_errors(self):
        self.fails("/raise")
        self.assertEqual(self.ok("/ok")[0], 200)

    def test_returned_none(self):
        self.fails("/none", "returned None")

    def test_not_a_response(self):
        self.fails("/not-a-response", "returned a dict")

    def test_bad_statuses(self):
        self.fails("/status-str", "status must be an int, not str")
        self.fails("/status-bool", "status must be an int, not bool")
        self.fails("/status-low", "99 is not between 100 and 999")
        self.fails("/status-high", "1000 is not between 100 and 999")
        self.assertEqual(self.ok("/status-418")[0], 418)

    def test_headers_shapes(self):
        self.fails("/headers-int", "headers must be a mapping")
        self.assertEqual(self.ok("/headers-none")[1], {"content-length": "2"})
        status, pairs, _ = self.mod.decode_response(
            self.mod.pyedge_call(self.mod.encode_request("GET", "/headers-pairs", [], b"")))
        self.assertEqual(pairs, [("x-a", "1"), ("x-a", "2"), ("content-length", "2")])

    def test_header_names(self):
        self.fails("/name-space", "'bad name' is not a valid HTTP field name")
        self.fails("/name-bytes", "header name must be a str")
        _, headers, _ = self.ok("/name-upper")
        self.assertEqual(headers["x-upper-case"], "Value Kept")
        self.assertNotIn("X-Upper-Case", headers)

    def test_header_values(self):
        self.fails("/value-crlf", "CR, LF or NUL")
        self.fails("/value-nul", "CR, LF or NUL")
        self.fails("/value-bad-utf8", "not valid UTF-8")
        self.assertEqual(self.ok("/value-int")[1]["x-int"], "42")
        self.assertEqual(self.ok("/value-bytes")[1]["x-bytes"], "raw")
        self.assertEqual(self.ok("/value-unicode")[1]["x-uni"], "h\u00e9llo \u2603")

    def test_bodies(self):
        self.assertEqual(self.ok("/body-none"), (200, {"content-length": "0"}, b""))
        self.assertEqual(self.ok("/body-str"), (200, {"content-length": "3"}, "h\u00e9".encode()))
        self.assertEqual(self.ok("/body-bytearray")[2], b"ba")
        self.assertEqual(self.ok("/body-memoryview")[2], b"mv")
        self.fails("/body-int", "body must be bytes or None, not int")

    def test_content_length(self):
        # present: kept as the handler set it (lower-cased name), not added again
        self.assertEqual(self.ok("/cl-kept"), (200, {"content-length": "10"}, b""))
        self.assertEqual(self.ok("/cl-int"), (200, {"content-length": "2"}, b"ok"))
        self.fails("/cl-bad", "'ten' is not a decimal number")
        self.fails("/cl-negative", "is not a decimal number")
        self.fails("/cl-twice", "more than one content-length")

    def test_outbound_send_not_available(self):
        # outside `pyedge up` there are no host services (tests/platform/test_http.py
        # covers outbound HTTP for real)
        self.fails("/send", "RuntimeError: pyedge: the host service 'http.send' is not available here")
        self.fails("/send-async", "RuntimeError: pyedge: the host service 'http.send' is not available here")

    def test_asyncio_run_inside_sync_handler(self):
        self.assertEqual(self.ok("/asyncio-run")[2], b"slept")

    @unittest.skipUnless(IN_SANDBOX, "the sandbox loop policy is installed only on WASI")
    def test_asyncio_run_that_never_completes(self):
        self.fails("/never", "can never happen")

    def test_unknown_path_key_error(self):
        self.fails("/nope", "KeyError: '/nope'")


class NormalizeDirect(unittest.TestCase):
    def setUp(self):
        self.mod = load_entry("apps.func_sync")

    def test_duck_typed_response(self):
        class R:
            status = 204
            headers = {"X-A": "b"}
            body = None
        self.assertEqual(self.mod.normalize_response(R()),
                         (204, [(b"x-a", b"b"), (b"content-length", b"0")], b""))

    def test_int_subclass_status(self):
        import http
        from spin_sdk.http import Response
        status, _, _ = self.mod.normalize_response(Response(http.HTTPStatus.CREATED, {}, b""))
        self.assertEqual(status, 201)
        self.assertIs(type(status), http.HTTPStatus)
        out = self.mod.encode_response(*self.mod.normalize_response(
            Response(http.HTTPStatus.CREATED, {}, b"")))
        self.assertEqual(self.mod.decode_response(out)[0], 201)


class SdkApi(unittest.TestCase):
    def test_dataclass_fields(self):
        import dataclasses
        from spin_sdk.http import Request, Response
        self.assertEqual([f.name for f in dataclasses.fields(Request)],
                         ["method", "uri", "headers", "body"])
        self.assertEqual([f.name for f in dataclasses.fields(Response)],
                         ["status", "headers", "body"])
        r = Response(200, {"a": "b"}, None)
        self.assertEqual((r.status, r.headers, r.body), (200, {"a": "b"}, None))
        self.assertEqual(Request("GET", "/", {}, None), Request("GET", "/", {}, None))

    def test_base_classes(self):
        import asyncio
        import inspect
        from spin_sdk.http import Handler, IncomingHandler, Request
        req = Request("GET", "/", {}, b"")
        with self.assertRaises(NotImplementedError):
            IncomingHandler().handle_request(req)
        self.assertTrue(inspect.iscoroutinefunction(Handler.handle_request))
        coro = Handler().handle_request(req)
        with self.assertRaises(NotImplementedError):
            coro.send(None)
        coro.close()
        self.assertFalse(issubclass(Handler, IncomingHandler))
        del asyncio

    def test_send_without_host_services(self):
        import inspect
        from spin_sdk import http
        req = http.Request("GET", "http://example.com/", {}, None)
        with self.assertRaisesRegex(RuntimeError, "'http.send' is not available here"):
            http.send(req)
        self.assertTrue(inspect.iscoroutinefunction(http.send_async))
        coro = http.send_async(req)
        with self.assertRaisesRegex(RuntimeError, "'http.send' is not available here"):
            coro.send(None)
        coro.close()

    def test_strip_forbidden_headers(self):
        from spin_sdk.http import strip_forbidden_headers
        h = {"Host": "x", "connection": "close", "Transfer-Encoding": "chunked",
             "keep-alive": "1", "upgrade": "h2c", "proxy-connection": "x",
             "proxy-authenticate": "x", "proxy-authorization": "x", "http2-settings": "x",
             "content-type": "text/plain", "x-ok": "1"}
        self.assertIs(strip_forbidden_headers(h), h)
        self.assertEqual(h, {"content-type": "text/plain", "x-ok": "1"})


if __name__ == "__main__":
    unittest.main()
