"""workers-probe: `async def on_fetch(request, env, ctx)` answering what the
test asks, one path per feature (see tests/platform/test_workers.py)."""
import asyncio
import json
from urllib.parse import parse_qs, urlsplit

import workers
from workers import Response


async def echo(request, env, ctx):
    body = await request.text()
    return Response.json({
        "method": str(request.method),
        "method_is_str": isinstance(request.method, str),
        "url": request.url,
        "x_test": request.headers.get("X-TEST"),
        "multi": request.headers.get_all("x-multi"),
        "has_x_test": "x-Test" in request.headers,
        "missing": request.headers.get("x-missing", "default"),
        "cf_connecting_ip": request.headers.get("cf-connecting-ip"),
        "cf_ipcountry": request.headers.get("cf-ipcountry"),
        "body": body,
        "bytes": len(await request.bytes()),
        "json": await request.json() if request.headers.get("content-type") == "application/json"
        else None,
    })


async def kv(request, env, ctx, q):
    store = env.DEFAULT
    action = q["do"]
    if action == "put":
        await store.put(q["k"], q["v"])
        return Response("stored")
    if action == "get":
        v = await store.get(q["k"], type=q.get("type", "text"))
        return Response.json({"value": v if not isinstance(v, bytes) else list(v)})
    if action == "delete":
        await store.delete(q["k"])
        return Response("deleted")
    if action == "list":
        return Response.json(await store.list(prefix=q.get("prefix")))
    return Response("?", status=400)


async def later(env, key, fail=False):
    await asyncio.sleep(0.05)
    if fail:
        raise RuntimeError("waitUntil task failed on purpose")
    await env.DEFAULT.put(key, "done")


async def on_fetch(request, env, ctx):
    parts = urlsplit(request.url)
    path = parts.path[len("/probe"):]
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    if path == "/echo":
        return await echo(request, env, ctx)
    if path == "/var":
        return Response(env.API_URL + "|" + env.api_url)
    if path == "/missing-binding":
        return Response(env.NO_SUCH_BINDING)
    if path == "/kv":
        return await kv(request, env, ctx, q)
    if path == "/wait-until":
        ctx.waitUntil(later(env, q["k"]))
        return Response("scheduled")
    if path == "/wait-until-fails":
        ctx.waitUntil(later(env, "never", fail=True))
        return Response("scheduled")
    if path == "/fetch":
        r = await workers.fetch(q["url"], headers={"x-from": "probe"})
        return Response(f"{r.status}:{await r.text()}:{r.headers.get('x-origin')}")
    if path == "/json":
        return Response.json({"a": [1, 2]}, status=202, headers={"x-h": "1"})
    if path == "/text":
        return Response("héllo")
    if path == "/bytes":
        return Response(b"\x00\x01", headers=[("set-cookie", "a=1"), ("set-cookie", "b=2")])
    if path == "/dict":
        return Response({"k": 1})
    if path == "/redirect":
        return Response.redirect(q["to"], int(q.get("status", "302")))
    if path == "/bad-status":
        return Response("x", status=700)
    if path == "/readers":
        r = Response.json({"x": 1})
        return Response.json({"json": await r.json(), "text": await r.text(),
                              "bytes": len(await r.bytes()), "ok": r.ok})
    if path == "/none":
        return None
    return Response("no such probe\n", status=404)
