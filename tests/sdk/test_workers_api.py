"""sdk/python/workers without the host: Headers, Request, Response, the
handler discovery of pyedge_entry for Default / on_fetch, and
ctx.waitUntil (env bindings need the host: tests/platform/test_workers.py)."""
import asyncio
import json
import types
import unittest

import workers
from sdk_testlib import call, entry, load_entry
from spin_sdk.http import Request as SpinRequest
from workers import Headers, Response
from workers._entry import find_handler


def run(coro):
    return entry().run_async(coro)


class HeadersApi(unittest.TestCase):
    def test_case_insensitive_and_repeated(self):
        h = Headers({"Content-Type": "text/plain"})
        self.assertEqual(h.get("content-TYPE"), "text/plain")
        self.assertIn("CONTENT-type", h)
        self.assertEqual(h.get("x-none", "d"), "d")
        h.append("Set-Cookie", "a=1")
        h.append("set-cookie", "b=2")
        self.assertEqual(h.get_all("SET-COOKIE"), ["a=1", "b=2"])
        self.assertEqual(h.get("set-cookie"), "a=1, b=2")
        h["Set-Cookie"] = "c=3"
        self.assertEqual(h.get_all("set-cookie"), ["c=3"])
        del h["set-cookie"]
        self.assertNotIn("set-cookie", h)
        self.assertEqual(list(h), ["content-type"])
        with self.assertRaises(KeyError):
            h["missing"]
        self.assertEqual(Headers([("A", b"x"), ("b", 5)]).items(), [("a", "x"), ("b", "5")])
        with self.assertRaises(TypeError):
            Headers({5: "x"})


class ResponseApi(unittest.TestCase):
    def test_bodies(self):
        r = Response("hé")
        self.assertEqual((r.status, r.body, r.headers.get("content-type")),
                         (200, "hé".encode(), "text/plain;charset=UTF-8"))
        r = Response(b"\x00", status=201, headers={"Content-Type": "x/y"})
        self.assertEqual((r.status, r.body, r.headers.get("content-type")), (201, b"\x00", "x/y"))
        self.assertEqual(Response().body, b"")
        self.assertEqual(Response({"a": 1}).headers.get("content-type"), "application/json")
        for bad in (object(), 5):
            with self.assertRaises(TypeError):
                Response(bad)
        for status in (99, 600, "200", True):
            with self.assertRaises(ValueError):
                Response("x", status=status)

    def test_json_redirect_readers(self):
        r = Response.json({"a": [1]}, status=202, headers={"x-h": "1"})
        self.assertEqual((r.status, r.body, r.headers.get("content-type"), r.headers.get("x-h")),
                         (202, b'{"a": [1]}', "application/json", "1"))
        self.assertEqual(run(r.json()), {"a": [1]})
        self.assertEqual(run(r.text()), '{"a": [1]}')
        self.assertEqual(Response.from_json([1]).body, b"[1]")
        r = Response.redirect("https://x.test/", 301)
        self.assertEqual((r.status, r.headers.get("location"), r.body), (301, "https://x.test/", b""))
        self.assertEqual(Response.redirect("/a").status, 302)
        with self.assertRaises(ValueError):
            Response.redirect("/a", 200)

    def test_normalized_like_any_response(self):
        normalize_response = entry().normalize_response
        r = Response(b"x", headers=[("set-cookie", "a=1"), ("set-cookie", "b=2")])
        status, headers, body = normalize_response(r)
        self.assertEqual(status, 200)
        self.assertEqual(headers, [(b"set-cookie", b"a=1"), (b"set-cookie", b"b=2"),
                                   (b"content-length", b"1")])


class RequestApi(unittest.TestCase):
    def spin(self, headers):
        return SpinRequest("POST", "/p?q=1", headers, b'{"k": 2}')

    def test_from_spin_request(self):
        r = workers.Request._from_spin(self.spin({
            "spin-full-url": "http://h.test/p?q=1", "spin-client-addr": "::1:5000",
            "x-user-location": "NO", "cf-connecting-ip": "6.6.6.6", "X-A": "b"}))
        self.assertEqual((r.method, r.url), ("POST", "http://h.test/p?q=1"))
        self.assertEqual(r.headers.get("x-a"), "b")
        self.assertEqual(r.headers.get("cf-connecting-ip"), "::1")
        self.assertEqual(r.headers.get("cf-ipcountry"), "NO")
        self.assertEqual(run(r.json()), {"k": 2})
        self.assertEqual(run(r.bytes()), b'{"k": 2}')
        self.assertTrue(r.body_used)
        r2 = workers.Request._from_spin(self.spin({"cf-ipcountry": "XX"}))
        self.assertIsNone(r2.headers.get("cf-ipcountry"))
        self.assertEqual(r2.url, "http://localhost/p?q=1")
        self.assertEqual(workers.Request("u", "PURGE").method, "PURGE")


class Discovery(unittest.TestCase):
    def module(self, **attrs):
        return types.SimpleNamespace(**attrs)

    def test_near_misses(self):
        class NotSub:
            async def fetch(self, request):
                pass

        class NoFetch(workers.WorkerEntrypoint):
            pass

        cases = [
            (self.module(Default=NotSub), "Default does not subclass workers.WorkerEntrypoint"),
            (self.module(Default=NoFetch), "Default does not define fetch(self, request)"),
            (self.module(Default=workers.WorkerEntrypoint), "WorkerEntrypoint itself"),
            (self.module(Default=3), "Default is a int, not a class"),
            (self.module(on_fetch="x"), "on_fetch is a str"),
            (self.module(on_fetch=lambda: None), "on_fetch must take"),
            (self.module(on_fetch=lambda a, b, c, d: None), "on_fetch must take"),
        ]
        for mod, note in cases:
            kind, target = find_handler(mod)
            self.assertIsNone(kind, note)
            self.assertIn(note, target)

    def test_forms_are_called(self):
        seen = []

        class Default(workers.WorkerEntrypoint):
            async def fetch(self, request):
                seen.append((type(self.ctx).__name__, type(self.env).__name__))
                return Response("class " + request.url)

        async def three(request, env, ctx):
            return Response("three")

        def one(request):
            return Response("one")

        def star(*args):
            return Response(str(len(args)))

        spin = SpinRequest("GET", "/x", {"spin-full-url": "http://h/x"}, b"")
        for mod, body in ((self.module(Default=Default), b"class http://h/x"),
                          (self.module(on_fetch=three), b"three"),
                          (self.module(on_fetch=one), b"one"),
                          (self.module(on_fetch=star), b"3")):
            kind, caller = find_handler(mod)
            self.assertIsNotNone(kind)
            self.assertEqual(run(caller(spin)).body, body)
        self.assertEqual(seen, [("Context", "Env")])

    def test_wait_until_is_awaited(self):
        done = []

        async def later():
            await asyncio.sleep(0.01)
            done.append(1)

        async def on_fetch(request, env, ctx):
            ctx.waitUntil(later())
            ctx.passThroughOnException()
            return Response("r")

        kind, caller = find_handler(self.module(on_fetch=on_fetch))
        self.assertEqual(run(caller(SpinRequest("GET", "/", {}, b""))).body, b"r")
        self.assertEqual(done, [1])

    def test_through_pyedge_entry(self):
        mod = load_entry("apps.workers_app")
        self.assertEqual(mod.app.kind, "Default")
        status, headers, body, err = call(mod, uri="/w?x=1")
        self.assertEqual((status, err), (200, ""))
        self.assertEqual(json.loads(body), {"url": "http://localhost/w?x=1", "method": "GET"})
        self.assertEqual(headers["content-type"], "application/json")


if __name__ == "__main__":
    unittest.main()
