"""spin_sdk._mode: which generation of the spin-sdk API the app is written
against, so that one module can serve both.

spin-sdk 3.x is synchronous (`store = key_value.open("x")`,
`store.get(k)`); spin-sdk 4.0 is asynchronous (`store = await
key_value.open("x")`, `await store.get(k)`). The two share names, so
pyedge decides per app, from the handler pyedge_entry found:

    class HttpHandler(spin_sdk.http.Handler)    4.0   -> async API
    class RedisHandler(exports.RedisHandler)    4.0   -> async API
    async def handle_request(request)           async -> async API
    class IncomingHandler / def handle_request  3.x   -> sync API

`returns(fn)` runs a host operation now in the sync API, or wraps it in a
coroutine (run when awaited, errors raised by the await) in the async one.
"""

import inspect
import sys

__all__ = ["is_async", "returns"]

_cache = (None, False)


def is_async():
    """True when the app's handler is a spin-sdk 4.0 class or a coroutine
    function; False otherwise (and outside a request)."""
    global _cache
    entry = sys.modules.get("pyedge_entry")
    app = getattr(entry, "current", None) or getattr(entry, "app", None)
    if app is None:
        return False
    if _cache[0] is app:
        return _cache[1]
    kind = getattr(app, "kind", None)
    result = kind in ("HttpHandler", "wasi-http-0.3", "RedisHandler") or (
        kind == "handle_request" and inspect.iscoroutinefunction(getattr(app, "target", None)))
    _cache = (app, result)
    return result


async def _later(fn, args):
    return fn(*args)


def returns(fn, *args):
    """fn(*args) in the sync API; a coroutine computing it in the async API."""
    if is_async():
        return _later(fn, args)
    return fn(*args)
