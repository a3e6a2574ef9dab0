"""Redis messages through pyedge_entry (PYEDGE_TRIGGERS, "PEM1" buffers,
docs/abi.md): both SDK generations, a component with HTTP too, what a
handler that raises and a malformed buffer answer, and a module without a
Redis handler."""
import os
import struct
import unittest

from sdk_testlib import captured_stderr, load_entry


def load(app, triggers):
    os.environ["PYEDGE_TRIGGERS"] = triggers
    try:
        return load_entry(app)
    finally:
        del os.environ["PYEDGE_TRIGGERS"]


def status(mod, data):
    with captured_stderr() as err:
        out = mod.pyedge_call(data)
    return mod.decode_response(out)[0], err.getvalue()


class Messages(unittest.TestCase):
    def test_v3_handler_gets_the_payload(self):
        mod = load("apps.redis_v3", "redis")
        self.assertEqual(mod.app.kind, "InboundRedis")
        payload = bytes(range(256)) * 3
        st, err = status(mod, mod.encode_message("ch", payload))
        self.assertEqual((st, err), (200, ""))
        self.assertEqual(mod.app.module.RECEIVED, [(payload, False)])

    def test_v4_handler_is_awaited_with_the_async_api(self):
        mod = load("apps.redis_v4", "redis")
        self.assertEqual(mod.app.kind, "RedisHandler")
        st, err = status(mod, mod.encode_message("ch", b""))
        self.assertEqual((st, err), (200, ""))
        self.assertEqual(mod.app.module.RECEIVED, [(b"", True)])

    def test_handler_that_raises_is_a_500_with_the_app_frame(self):
        mod = load("apps.redis_v3", "redis")
        st, err = status(mod, mod.encode_message("jobs", b"raise"))
        self.assertEqual(st, 500)
        first = err.splitlines()[0]
        self.assertIn("pyedge: redis message on 'jobs': the handler failed: RuntimeError: asked "
                      "to fail (at ", first)
        self.assertIn("redis_v3.py:", first)
        self.assertIn("Traceback", err)
        st, _ = status(mod, mod.encode_message("jobs", b"next"))
        self.assertEqual(st, 200)

    def test_http_and_redis_in_one_component(self):
        mod = load("apps.redis_both", "http,redis")
        self.assertEqual(mod.app.kind, "IncomingHandler")
        self.assertEqual(mod.redis_app.kind, "RedisHandler")
        st, err = status(mod, mod.encode_message("c", b"m"))
        self.assertEqual((st, err), (200, ""))
        self.assertEqual(mod.app.module.RECEIVED, [(b"m", True)], "4.0 API during the message")
        with captured_stderr():
            out = mod.pyedge_call(mod.encode_request("GET", "/", [], b""))
        st, _, body = mod.decode_response(out)
        self.assertEqual((st, body), (200, b"sync"), "3.x API again for the request")

    def test_redis_only_component_refuses_requests(self):
        mod = load("apps.redis_v3", "redis")
        st, err = status(mod, mod.encode_request("GET", "/", [], b""))
        self.assertEqual(st, 400)
        self.assertIn("only Redis messages", err)

    def test_http_only_component_refuses_messages(self):
        mod = load_entry("apps.func_sync")
        st, err = status(mod, mod.encode_message("c", b"m"))
        self.assertEqual(st, 400)
        self.assertIn("bad magic", err)


class MalformedMessages(unittest.TestCase):
    def test_each_malformation_is_a_400_and_the_handler_not_called(self):
        mod = load("apps.redis_v3", "redis")
        good = mod.encode_message("ch", b"payload")
        u32 = struct.Struct("<I").pack
        bad = {
            "truncated": good[:-1],
            "trailing": good + b"x",
            "magic": b"PEQ1" + good[4:],
            "huge channel length": b"PEM1" + u32(0xFFFFFFFF) + b"ch",
            "huge payload length": b"PEM1" + u32(2) + b"ch" + u32(1 << 30) + b"x",
            "channel not UTF-8": b"PEM1" + u32(2) + b"\xff\xfe" + u32(0),
            "empty": b"",
        }
        for what, data in bad.items():
            with self.subTest(what):
                st, err = status(mod, data)
                self.assertEqual(st, 400)
                # not "PEM1": not a message, and this component takes nothing else
                self.assertIn("only Redis messages" if what in ("magic", "empty")
                              else "malformed message buffer", err)
        self.assertEqual(mod.app.module.RECEIVED, [])


class NoHandler(unittest.TestCase):
    def test_module_without_a_redis_handler(self):
        with self.assertRaises(ImportError) as cm:
            load("apps.func_sync", "redis")
        msg = str(cm.exception)
        self.assertIn("has no Redis handler, which [[trigger.redis]] needs", msg)
        for name in ("InboundRedis", "RedisHandler", "FermyonSpinInboundRedis"):
            self.assertIn(name, msg)

    def test_near_misses_are_named(self):
        with self.assertRaises(ImportError) as cm:
            load("apps.redis_base_only", "redis")
        msg = str(cm.exception)
        self.assertIn("InboundRedis is spin_sdk.wit.exports.InboundRedis itself", msg)
        self.assertIn("RedisHandler does not subclass spin_sdk.wit.exports.RedisHandler", msg)


if __name__ == "__main__":
    unittest.main()
