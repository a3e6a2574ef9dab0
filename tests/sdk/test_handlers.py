"""Handler discovery and calling: each handler style, precedence, state,
request mutation, async behaviour, and what a missing handler reports."""
import json
import os
import sys
import unittest

import sdk_testlib
from sdk_testlib import IN_SANDBOX, call, captured_stderr, load_entry

HEADERS = [("accept", "*/*"), ("X-Mixed-Case", "Keep Value"), ("spin-full-url",
           "http://localhost:3000/echo/x?y=1")]


class HandlerStyles(unittest.TestCase):
    def echo(self, app, expect_status, style):
        mod = load_entry(app)
        status, headers, body, err = call(mod, "POST", "/echo/x?y=1", HEADERS, b"hello body")
        self.assertEqual(status, expect_status, err)
        self.assertEqual(err, "")
        got = json.loads(body)
        self.assertEqual(got["style"], style)
        self.assertEqual(got["method"], "POST")
        self.assertEqual(got["uri"], "/echo/x?y=1")
        self.assertEqual(got["headers"], {"accept": "*/*", "x-mixed-case": "Keep Value",
                                          "spin-full-url": "http://localhost:3000/echo/x?y=1"})
        self.assertEqual(got["body"], "hello body")
        self.assertEqual(got["body_type"], "bytes")
        self.assertEqual(got["headers_type"], "dict")
        self.assertEqual(headers["content-type"], "application/json")
        self.assertEqual(headers["content-length"], str(len(body)))
        return mod, headers

    def test_sync_class(self):
        mod, _ = self.echo("apps.sync_class", 200, "sync_class")
        self.assertEqual(mod.app.kind, "IncomingHandler")

    def test_async_class(self):
        mod, headers = self.echo("apps.async_class", 201, "async_class")
        self.assertEqual(mod.app.kind, "HttpHandler")
        self.assertEqual(headers["x-joined"], "ab")

    def test_module_function_sync(self):
        mod, _ = self.echo("apps.func_sync", 200, "func_sync")
        self.assertEqual(mod.app.kind, "handle_request")

    def test_module_function_async(self):
        mod, _ = self.echo("apps.func_async", 202, "func_async")
        self.assertEqual(mod.app.kind, "handle_request")

    def test_empty_body_is_empty_bytes(self):
        mod = load_entry("apps.func_sync")
        _, _, body, _ = call(mod, "GET", "", [], b"")
        got = json.loads(body)
        self.assertEqual((got["uri"], got["body"], got["body_type"]), ("/", "", "bytes"))

    def test_new_instance_per_request(self):
        mod = load_entry("apps.sync_class")
        for _ in range(3):
            _, headers, _, _ = call(mod)
            self.assertEqual(headers["x-calls-on-instance"], "1")
        self.assertEqual(mod.app.module.instances, 3)

    def test_precedence_incoming_handler_first(self):
        mod = load_entry("apps.precedence_all")
        self.assertEqual(mod.app.kind, "IncomingHandler")
        self.assertEqual(call(mod)[2], b"IncomingHandler")

    def test_precedence_http_handler_before_function(self):
        mod = load_entry("apps.precedence_v4")
        self.assertEqual(mod.app.kind, "HttpHandler")
        self.assertEqual(call(mod)[2], b"HttpHandler")

    def test_accepts_bytearray_and_memoryview_argument(self):
        mod = load_entry("apps.counter")
        data = mod.encode_request("GET", "/", [], b"")
        self.assertEqual(mod.decode_response(mod.pyedge_call(bytearray(data)))[2], b"1")
        self.assertEqual(mod.decode_response(mod.pyedge_call(memoryview(data)))[2], b"2")


class WarmUp(unittest.TestCase):
    """pyedge_warm_up: paths the SDK sends through the handler at start-up,
    before the snapshot."""

    def load(self, mode=""):
        os.environ["WARM_MODE"] = mode
        try:
            return load_entry("apps.warm")
        finally:
            del os.environ["WARM_MODE"]

    def test_each_path_runs_the_real_request_path(self):
        mod = self.load()
        seen = mod.app.module.seen
        rounds = mod.WARM_UP_ROUNDS
        self.assertEqual(len(seen), 2 * rounds)
        self.assertEqual(seen[0], ("GET", "/", "/", "http://localhost/"))
        self.assertEqual(seen[rounds], ("GET", "/items?id=1", "/items",
                                        "http://localhost/items?id=1"))
        # requests after it are ordinary ones
        self.assertEqual(call(mod, uri="/x")[2], str(2 * rounds + 1).encode())

    def test_no_attribute_no_warm_up(self):
        mod = load_entry("apps.counter")
        self.assertEqual(mod.app.module.count, 0)

    def test_not_a_list(self):
        with self.assertRaisesRegex(TypeError, "apps.warm.pyedge_warm_up must be a list"):
            self.load("str")

    def test_bad_paths(self):
        for mode in ("relative", "space"):
            with self.assertRaisesRegex(ValueError, "is not a request path"):
                self.load(mode)

    def test_failing_handler_stops_start_up(self):
        with captured_stderr() as err:
            with self.assertRaisesRegex(RuntimeError, r"GET /items\?id=1 was answered 500"):
                self.load("fails")
        self.assertIn("KeyError: 'no store at start-up'", err.getvalue())

    def test_4xx_is_an_answer(self):
        mod = self.load("404")
        self.assertEqual(len(mod.app.module.seen), 2 * mod.WARM_UP_ROUNDS)


class State(unittest.TestCase):
    def test_global_counter_increments_per_call(self):
        mod = load_entry("apps.counter")
        bodies = [call(mod)[2] for _ in range(5)]
        self.assertEqual(bodies, [b"1", b"2", b"3", b"4", b"5"])
        self.assertEqual(mod.app.module.count, 5)

    def test_reimport_starts_over(self):
        mod = load_entry("apps.counter")
        call(mod)
        mod = load_entry("apps.counter")
        self.assertEqual(call(mod)[2], b"1")

    def test_handler_mutating_request_headers(self):
        mod = load_entry("apps.mutate")
        hs = [("x-remove", "gone"), ("x-keep", "k"), ("accept", "*/*")]
        status, headers, body, err = call(mod, "GET", "/orig", hs, b"")
        self.assertEqual(status, 200, err)
        self.assertEqual(err, "")
        self.assertEqual(json.loads(body), [["accept", "*/*"], ["x-added", "yes"], ["x-keep", "k!"]])
        self.assertEqual(headers["x-added"], "yes")
        self.assertNotIn("x-remove", headers)
        self.assertEqual(headers["content-length"], str(len(body)))
        # a second request is built afresh: the mutations did not stick
        call(mod, "GET", "/orig", hs, b"")
        seen = mod.app.module.seen
        self.assertEqual(seen[0], seen[1])
        self.assertEqual(seen[1], {"x-remove": "gone", "x-keep": "k", "accept": "*/*"})

    def test_error_log_names_the_request_as_received(self):
        mod = load_entry("apps.mutate")
        status, _, body, err = call(mod, "DELETE", "/orig?a=1", [("x-fail", "1")], b"")
        self.assertEqual((status, body), (500, b""))
        self.assertIn("pyedge: 500: DELETE /orig?a=1: the handler failed", err)
        self.assertIn("RuntimeError: failed after mutating the request", err)


class Async(unittest.TestCase):
    def setUp(self):
        self.mod = load_entry("apps.async_edges")

    def test_loop_is_the_sandbox_loop(self):
        self.assertEqual(call(self.mod, uri="/loop-kind")[2], b"SandboxEventLoop")

    def test_leftover_task_is_cancelled(self):
        status, _, body, err = call(self.mod, uri="/leftover")
        self.assertEqual((status, body), (200, b"left a task"), err)
        edges = self.mod.app.module
        self.assertEqual(edges.cancelled, [True])
        self.assertEqual(edges.ran_after, [])

    def test_await_that_never_completes_is_500(self):
        status, _, body, err = call(self.mod, uri="/never")
        self.assertEqual((status, body), (500, b""))
        self.assertIn("RuntimeError", err)
        self.assertIn("can never happen", err)

    def test_async_exception_is_500(self):
        status, _, body, err = call(self.mod, uri="/raise")
        self.assertEqual((status, body), (500, b""))
        self.assertIn("KeyError: 'async-missing'", err)

    def test_system_exit_is_500_and_next_request_works(self):
        status, _, _, err = call(self.mod, uri="/exit")
        self.assertEqual(status, 500)
        self.assertIn("SystemExit: 4", err)
        self.assertEqual(call(self.mod, uri="/")[:3], (200, {"content-length": "8"}, b"async ok"))

    def test_cancelled_error_is_500(self):
        status, _, _, err = call(self.mod, uri="/cancel")
        self.assertEqual(status, 500)
        self.assertIn("CancelledError", err)

    def test_timeout_is_500(self):
        status, _, _, err = call(self.mod, uri="/timeout")
        self.assertEqual(status, 500)
        self.assertIn("TimeoutError", err)

    def test_run_async_directly(self):
        import asyncio

        async def add(a, b):
            await asyncio.sleep(0.001)
            return a + b
        self.assertEqual(self.mod.run_async(add(2, 3)), 5)


class MissingHandler(unittest.TestCase):
    def test_no_handler_message_names_all_forms(self):
        with self.assertRaises(ImportError) as cm:
            load_entry("apps.no_handler")
        e = cm.exception
        self.assertEqual(type(e).__name__, "HandlerNotFound")
        msg = str(e)
        for needle in ("'apps.no_handler'", "no_handler.py", "IncomingHandler",
                       "spin_sdk.http.IncomingHandler", "HttpHandler", "spin_sdk.http.Handler",
                       "handle_request(request)"):
            self.assertIn(needle, msg)
        self.assertNotIn("pyedge_entry", sys.modules)

    def test_near_misses_are_explained(self):
        with self.assertRaises(ImportError) as cm:
            load_entry("apps.near_miss")
        msg = str(cm.exception)
        self.assertIn("IncomingHandler is spin_sdk.http.IncomingHandler itself", msg)
        self.assertIn("HttpHandler does not subclass spin_sdk.http.Handler", msg)
        self.assertIn("handle_request is a str, not a function", msg)

    def test_missing_app_module(self):
        with self.assertRaises(ImportError) as cm:
            load_entry("apps.does_not_exist")
        self.assertIn("cannot import the app module 'apps.does_not_exist' (PYEDGE_APP)",
                      str(cm.exception))

    def test_spin_sdk_name_pyedge_lacks(self):
        with self.assertRaises(ImportError) as cm:
            load_entry("apps.sdk_missing_name")
        msg = str(cm.exception)
        self.assertIn("the app imports spin_sdk.frobnicate, which pyedge's spin_sdk does not "
                      "provide (it has spin_sdk.http, spin_sdk.key_value", msg)
        self.assertIn("cannot import name 'frobnicate'", str(cm.exception.__cause__))

    def test_spin_sdk_module_pyedge_lacks(self):
        with self.assertRaises(ImportError) as cm:
            load_entry("apps.sdk_missing_module")
        msg = str(cm.exception)
        self.assertIn("the app imports the module spin_sdk.wit.imports.no_such_interface, which "
                      "pyedge's spin_sdk does not provide", msg)
        self.assertNotIn("spin_sdk._mode", msg)  # private modules are not offered

    def test_missing_dependency_of_app_is_not_disguised(self):
        with self.assertRaises(ModuleNotFoundError) as cm:
            load_entry("apps.missing_dep")
        self.assertEqual(cm.exception.name, "pyedge_no_such_dependency")

    def test_app_import_error_propagates(self):
        with self.assertRaises(ZeroDivisionError) as cm:
            load_entry("apps.import_fails")
        self.assertIn("failed while importing", str(cm.exception))

    def test_default_app_name(self):
        here = os.path.dirname(os.path.abspath(__file__))
        sys.path.insert(0, os.path.join(here, "apps", "default"))
        try:
            mod = load_entry(None)
            self.assertEqual(mod.APP_NAME, "app")
            self.assertEqual(call(mod)[2], b"default app")
            os.environ["PYEDGE_APP"] = ""
            mod = load_entry("")
            self.assertEqual(mod.APP_NAME, "app")
        finally:
            sys.path.pop(0)
            sdk_testlib._forget(["app"])


if __name__ == "__main__":
    unittest.main()
