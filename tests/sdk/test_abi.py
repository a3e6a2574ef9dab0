"""Request/response buffers: round trips, the documented layout, and
malformed buffers (truncations, huge counts and lengths, bad text)."""
import random
import struct
import time
import unittest

from sdk_testlib import IN_SANDBOX, entry, request

U32 = struct.Struct("<I")


def blob(b):
    return U32.pack(len(b)) + b


def raw_request(method=b"GET", uri=b"/", headers=(), body=b"", count=None):
    hs = b"".join(blob(n) + blob(v) for n, v in headers)
    return (b"PEQ1" + blob(method) + blob(uri)
            + U32.pack(len(headers) if count is None else count) + hs + blob(body))


class RequestRoundTrip(unittest.TestCase):
    def setUp(self):
        self.e = entry()

    def roundtrip(self, method, uri, headers, body):
        data = self.e.encode_request(method, uri, headers, body)
        return self.e.decode_request(data)

    def test_simple_get(self):
        r = self.roundtrip("GET", "/a/b?x=1&y=2", [("accept", "*/*")], b"")
        self.assertEqual(r.method, "GET")
        self.assertEqual(r.uri, "/a/b?x=1&y=2")
        self.assertEqual(r.headers, {"accept": "*/*"})
        self.assertEqual(r.body, b"")
        self.assertIs(type(r.body), bytes)
        self.assertIs(type(r.headers), dict)

    def test_request_is_spin_sdk_request(self):
        from spin_sdk.http import Request
        r = self.roundtrip("POST", "/", [], b"x")
        self.assertIsInstance(r, Request)

    def test_binary_body_and_unicode(self):
        body = bytes(range(256)) * 7
        r = self.roundtrip("PUT", "/caf\u00e9?q=\u2603", [("x-name", "h\u00e9llo \u2603")], body)
        self.assertEqual(r.body, body)
        self.assertEqual(r.uri, "/caf\u00e9?q=\u2603")
        self.assertEqual(r.headers["x-name"], "h\u00e9llo \u2603")

    def test_large_body(self):
        body = b"z" * (1 << 20)
        self.assertEqual(self.roundtrip("POST", "/", [], body).body, body)

    def test_many_headers(self):
        hs = [(f"x-h{i}", f"v{i}") for i in range(500)]
        r = self.roundtrip("GET", "/", hs, b"")
        self.assertEqual(r.headers, dict(hs))

    def test_empty_header_value(self):
        self.assertEqual(self.roundtrip("GET", "/", [("x-e", "")], b"").headers, {"x-e": ""})

    def test_names_lower_cased(self):
        r = self.roundtrip("GET", "/", [("Content-Type", "text/plain"), ("X-MiXeD", "V")], b"")
        self.assertEqual(r.headers, {"content-type": "text/plain", "x-mixed": "V"})

    def test_duplicate_names_last_wins(self):
        r = self.roundtrip("GET", "/", [("x-d", "1"), ("X-D", "2"), ("x-d", "3")], b"")
        self.assertEqual(r.headers, {"x-d": "3"})

    def test_empty_uri_is_slash(self):
        self.assertEqual(self.roundtrip("GET", "", [], b"").uri, "/")

    def test_other_method_kept_as_sent(self):
        self.assertEqual(self.roundtrip("PURGE", "/", [], b"").method, "PURGE")
        self.assertEqual(self.roundtrip("get", "/", [], b"").method, "get")

    def test_accepts_bytearray_and_memoryview(self):
        data = self.e.encode_request("GET", "/m", [], b"b")
        for buf in (bytearray(data), memoryview(data)):
            self.assertEqual(self.e.decode_request(buf).uri, "/m")

    def test_documented_example(self):
        # docs/abi.md, "Example": GET /hi?x=1, accept: */*
        expected = bytes.fromhex(
            "50455131" "03000000" "474554" "07000000" "2f68693f783d31"
            "01000000" "06000000" "616363657074" "03000000" "2a2f2a" "00000000")
        self.assertEqual(self.e.encode_request("GET", "/hi?x=1", [("accept", "*/*")], b""),
                         expected)
        r = self.e.decode_request(expected)
        self.assertEqual((r.method, r.uri, r.headers, r.body),
                         ("GET", "/hi?x=1", {"accept": "*/*"}, b""))


def mutations(seeds, per_seed, seed=7):
    """Each seed as it is, then per_seed - 1 copies with one to three bytes
    flipped, cut or inserted."""
    rng = random.Random(seed)
    for base in seeds:
        for i in range(per_seed):
            data = bytearray(base)
            for _ in range(rng.randint(0 if i == 0 else 1, 3)):
                op = rng.randrange(3)
                if op == 0 and data:
                    data[rng.randrange(len(data))] = rng.randrange(256)
                elif op == 1 and data:
                    del data[rng.randrange(len(data)):]
                else:
                    data.insert(rng.randrange(len(data) + 1), rng.randrange(256))
            yield bytes(data)


class FastDecodeAgrees(unittest.TestCase):
    """decode_request's fast paths (one pass in Python for host Python; C,
    _pyedge.decode_request, in the sandbox) must accept exactly what the
    checked path accepts, with the same result: compared on valid buffers
    and on thousands of mutations of them (bytes flipped, cut, inserted)."""

    SEEDS = [
        raw_request(),
        raw_request(b"POST", b"/a?b=c", [(b"Host", b"x"), (b"x-y", b"\xc3\xa9")], b"body"),
        raw_request(b"GET", b"", [(b"a", b"")], b""),
        raw_request(b"PUT", b"/p", [(b"n%d" % i, b"v" * i) for i in range(20)], bytes(300)),
        raw_request(b"GET", b"/\xe2\x98\x83?q", [(b"X-A", b"1"), (b"x-a", b"2"), (b"~!", b"\t")]),
    ]

    def setUp(self):
        self.e = entry()

    def slow(self, data):
        e = self.e
        saved = e._decode_request_fast, e._decode_request_c
        e._decode_request_fast = lambda d: None
        e._decode_request_c = None
        try:
            return e.decode_request(data)
        except e.MalformedBuffer:
            return None
        finally:
            e._decode_request_fast, e._decode_request_c = saved

    def agree(self, fast, to_fields):
        accepted = 0
        for data in mutations(self.SEEDS, 1500):
            got = fast(data)
            slow = self.slow(data)
            if got is None:
                self.assertIsNone(slow, f"fast refused a buffer the checked path accepts: {data!r}")
                continue
            accepted += 1
            self.assertIsNotNone(slow, f"fast accepted what the checked path refuses: {data!r}")
            want = (slow.method, slow.uri, slow.headers, slow.body)
            self.assertEqual(to_fields(got), want, f"different results for {data!r}")
            self.assertEqual([type(x) for x in to_fields(got)], [str, str, dict, bytes])
        self.assertGreater(accepted, len(self.SEEDS))  # the mutations did not only break things

    def test_python_fast_path_agrees(self):
        self.agree(self.e._decode_request_fast, lambda r: (r.method, r.uri, r.headers, r.body))

    def test_c_fast_path_agrees(self):
        if not IN_SANDBOX:
            self.skipTest("_pyedge exists only in the sandbox")
        self.assertIsNotNone(self.e._decode_request_c)
        self.agree(self.e._decode_request_c, tuple)

    def test_c_fast_path_takes_other_buffers(self):
        if not IN_SANDBOX:
            self.skipTest("_pyedge exists only in the sandbox")
        data = raw_request(b"GET", b"/x", [(b"A", b"b")], b"z")
        want = ("GET", "/x", {"a": "b"}, b"z")
        self.assertEqual(self.e._decode_request_c(bytearray(data)), want)
        self.assertEqual(self.e._decode_request_c(memoryview(data)), want)
        with self.assertRaises(TypeError):
            self.e._decode_request_c("PEQ1")


class _IntSub(int):
    pass


class _StrSub(str):
    pass


class CEncodeAgrees(unittest.TestCase):
    """_pyedge.encode_response (the sandbox's fast path for respond()) must
    give byte for byte what normalize_response + encode_response give, and
    answer None, never a buffer, for whatever those refuse: compared over
    thousands of combinations of statuses, header names and values, and
    bodies, valid and not."""

    STATUSES = [200, 404, 100, 999, 99, 1000, -1, 2**70, True, 200.0, _IntSub(201), "200"]
    NAMES = ["content-type", "X-Mixed-Case", "a", "!#$%&'*+-.^_`|~", "", "bad name", "caf\u00e9",
             "x:y", "Content-Length", "content-length", _StrSub("x-sub"), b"bytes-name", 7]
    VALUES = ["text/plain", "", "\u2603 snow", "a\rb", "a\nb", "a\x00b", "\ud800", "\tq",
              b"bytes", 12, None, _StrSub("sub"), "5", "05", "x", "\uff15", " 5"]
    BODIES = [b"", b"hello", None, "str \u00e9", "\ud800", bytearray(b"ba"), 5, bytes(1000)]

    def setUp(self):
        self.e = entry()
        if not IN_SANDBOX:
            self.skipTest("_pyedge exists only in the sandbox")
        self.c = self.e._encode_response_c
        self.assertIsNotNone(self.c)

    def python(self, status, headers, body):
        from spin_sdk.http import Response
        try:
            return self.e.encode_response(*self.e.normalize_response(Response(status, headers, body)))
        except (TypeError, ValueError, OverflowError):
            return None

    def check(self, status, headers, body):
        got = self.c(status, headers, body)
        want = self.python(status, headers, body)
        if got is not None:
            self.assertIsNotNone(want, f"C accepted what Python refuses: {status!r} {headers!r} {body!r}")
            self.assertEqual(got, want, f"{status!r} {headers!r} {body!r}")
        return got is not None

    def test_agrees_on_combinations(self):
        rng = random.Random(11)
        handled = 0
        for _ in range(4000):
            headers = {}
            for _ in range(rng.randrange(4)):
                headers[rng.choice(self.NAMES)] = rng.choice(self.VALUES)
            handled += self.check(rng.choice(self.STATUSES), headers, rng.choice(self.BODIES))
        self.assertGreater(handled, 200)  # not all refused (281 with this seed)

    def test_plain_responses_are_handled(self):
        for status, headers, body in [
            (200, {"content-type": "application/json", "cache-control": "no-store"}, b"{}"),
            (204, {}, None),
            (200, None, "text"),
            (302, {"Location": "/x", "content-length": "0"}, b""),
            (200, {"x-u": "\u2603"}, bytes(70000)),
        ]:
            self.assertTrue(self.check(status, headers, body), f"{status} {headers}")

    def test_left_to_python(self):
        for status, headers, body in [
            (_IntSub(200), {}, b""),                         # accepted by Python, not by C
            (200, [("a", "b")], b""),                         # pairs
            (200, {"a": b"b"}, b""),                          # bytes value
            (200, {}, bytearray(b"x")),
            (200, {"content-length": "1", "Content-Length": "1"}, b"x"),
            (200, {"a\r": "b"}, b""),
        ]:
            self.assertIsNone(self.c(status, headers, body))
        with self.assertRaises(TypeError):
            self.c(200, {})

    def test_respond_uses_both_paths(self):
        from spin_sdk.http import Response

        class Sub(Response):
            pass

        for r in (Response(200, {"a": "b"}, b"x"), Sub(200, {"a": "b"}, b"x"),
                  Response(200, [("a", "b")], b"x")):
            self.assertEqual(self.e.respond(r), self.python(r.status, r.headers, r.body))
        with self.assertRaises(ValueError):
            self.e.respond(Response(200, {"a": "b\n"}, b""))


class ResponseEncoding(unittest.TestCase):
    def setUp(self):
        self.e = entry()

    def encode(self, status, headers, body):
        from spin_sdk.http import Response
        return self.e.encode_response(*self.e.normalize_response(Response(status, headers, body)))

    def test_round_trip(self):
        out = self.encode(404, {"Content-Type": "text/plain", "x-u": "\u2603"}, b"nope")
        status, pairs, body = self.e.decode_response(out)
        self.assertEqual(status, 404)
        self.assertEqual(pairs, [("content-type", "text/plain"), ("x-u", "\u2603"),
                                 ("content-length", "4")])
        self.assertEqual(body, b"nope")

    def test_documented_example(self):
        expected = (bytes.fromhex("50455331" "c8000000" "02000000")
                    + blob(b"content-type") + blob(b"text/plain")
                    + blob(b"content-length") + blob(b"2") + blob(b"hi"))
        self.assertEqual(self.encode(200, {"content-type": "text/plain"}, b"hi"), expected)

    def test_fixed_error_responses(self):
        for buf, code in ((self.e.RESPONSE_400, 400), (self.e.RESPONSE_500, 500)):
            self.assertEqual(self.e.decode_response(buf), (code, [("content-length", "0")], b""))

    def test_response_truncations_rejected(self):
        out = self.encode(200, {"a": "b"}, b"body")
        for k in range(len(out)):
            with self.assertRaises(self.e.MalformedBuffer):
                self.e.decode_response(out[:k])
        with self.assertRaises(self.e.MalformedBuffer):
            self.e.decode_response(out + b"\0")


class MalformedRequests(unittest.TestCase):
    def setUp(self):
        self.e = entry()

    def bad(self, data, fragment=None):
        with self.assertRaises(self.e.MalformedBuffer) as cm:
            self.e.decode_request(data)
        if fragment is not None:
            self.assertIn(fragment, str(cm.exception))
        return cm.exception

    def test_truncated_at_every_offset(self):
        data = request("POST", "/path?q=1", [("a", "1"), ("bb", "22"), ("ccc", "")], b"body!")
        self.e.decode_request(data)  # the whole buffer is fine
        for k in range(len(data)):
            self.bad(data[:k])

    def test_truncated_at_every_offset_through_pyedge_call(self):
        import sdk_testlib
        mod = sdk_testlib.load_entry("apps.counter")
        data = mod.encode_request("GET", "/x", [("h", "v")], b"12")
        for k in range(len(data)):
            status, _, body, err = sdk_testlib.call(mod, raw=data[:k])
            self.assertEqual((status, body), (400, b""), k)
            self.assertIn("pyedge: 400: malformed request buffer", err)
            self.assertNotIn("Traceback", err)
            self.assertEqual(err.count("\n"), 1)
        self.assertEqual(mod.app.module.count, 0, "the handler must not run on a 400")

    def test_trailing_bytes(self):
        self.bad(request() + b"\0", "unexpected bytes")

    def test_empty_and_bad_magic(self):
        self.bad(b"")
        self.bad(b"PEQ")
        self.bad(b"PES1" + request()[4:], "magic")
        self.bad(b"peq1" + request()[4:], "magic")

    def test_huge_header_count(self):
        for count in (0xFFFFFFFF, 0x80000000, 0x20000000, 2):
            t0 = time.perf_counter()
            self.bad(raw_request(headers=[(b"a", b"b")], count=count), "header count")
            self.assertLess(time.perf_counter() - t0, 0.5)

    def test_count_fits_but_items_do_not(self):
        # count 2 fits the remaining bytes by size but the second header is garbage
        data = raw_request(headers=[(b"a", b"b")], count=2)
        self.bad(data)

    def test_huge_lengths(self):
        big = U32.pack(0xFFFFFFFF)
        self.bad(b"PEQ1" + big + b"GET", "method")
        self.bad(b"PEQ1" + blob(b"GET") + big + b"/", "uri")
        self.bad(b"PEQ1" + blob(b"GET") + blob(b"/") + U32.pack(1) + big + b"abcd", "header 0 name")
        self.bad(b"PEQ1" + blob(b"GET") + blob(b"/") + U32.pack(0) + big + b"body", "body")

    def test_non_utf8_name(self):
        self.bad(raw_request(headers=[(b"x-\xff", b"v")]), "UTF-8")
        self.bad(raw_request(headers=[(b"\xc3", b"v")]), "UTF-8")

    def test_non_utf8_value_uri_method(self):
        self.bad(raw_request(headers=[(b"x", b"\xff\xfe")]), "UTF-8")
        self.bad(raw_request(uri=b"/\xff"), "UTF-8")
        self.bad(raw_request(method=b"G\xffT"), "UTF-8")

    def test_invalid_names(self):
        for name in (b"", b"bad name", b"x:y", b"caf\xc3\xa9", b"a\r\nb", b"a\x00"):
            self.bad(raw_request(headers=[(name, b"v")]), "invalid name")

    def test_invalid_values(self):
        for value in (b"a\r\nx-injected: 1", b"a\nb", b"a\rb", b"a\x00b"):
            self.bad(raw_request(headers=[(b"x", value)]), "CR, LF or NUL")

    def test_invalid_methods(self):
        for method in (b"", b"GE T", b"GET\r\n", b"G(ET)"):
            self.bad(raw_request(method=method), "method")

    def test_invalid_uris(self):
        for uri in (b"/a b", b"/a\r\nb", b"/\x00", b"/\x7f", b"/\t"):
            self.bad(raw_request(uri=uri), "uri")

    def test_not_bytes(self):
        with self.assertRaises(TypeError):
            self.e.decode_request("PEQ1")

    def test_random_mutations_never_crash(self):
        rng = random.Random(1234)
        base = request("POST", "/r?s=1", [("a", "1"), ("b", "2")], b"payload")
        for _ in range(3000):
            data = bytearray(base)
            for _ in range(rng.randint(1, 4)):
                op = rng.randrange(3)
                if op == 0 and data:
                    data[rng.randrange(len(data))] = rng.randrange(256)
                elif op == 1 and data:
                    pos = rng.randrange(len(data))
                    del data[pos:pos + rng.randint(1, 8)]
                else:
                    pos = rng.randrange(len(data) + 1)
                    data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
            try:
                r = self.e.decode_request(bytes(data))
            except self.e.MalformedBuffer:
                continue
            self.assertIsInstance(r.body, bytes)
            self.assertTrue(all(k == k.lower() for k in r.headers))


if __name__ == "__main__":
    unittest.main()
