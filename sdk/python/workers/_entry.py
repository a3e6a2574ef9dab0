"""workers entry points: how pyedge_entry calls a Python Workers app.

Two shapes are found in the app module (pyedge_entry.load_app, after the
Spin forms):
  class Default(workers.WorkerEntrypoint):      (current Python Workers)
      async def fetch(self, request) -> Response
  async def on_fetch(request, env[, ctx])       (the older module form;
                                                 on_fetch(request) too)
Each request gets a new workers.Request (from the decoded spin_sdk Request),
a new Env and a new Context; for Default, a new instance (ctx, env).

ctx.waitUntil(awaitable): Workers keep running such work after the response
is sent. A pyedge sandbox ends with the request, so the work is started at
once as a task and awaited after the handler returns, before the response
goes out (an exception there is printed to stderr, the response stands).
"""

import asyncio
import inspect
import sys
import traceback

from ._env import Env
from ._request import Request

__all__ = ["WorkerEntrypoint", "Context", "find_handler"]


class Context:
    """The `ctx` of a Workers handler."""

    def __init__(self):
        self._pending = []

    def waitUntil(self, awaitable):
        try:
            self._pending.append(asyncio.ensure_future(awaitable))
        except RuntimeError:  # no running loop (called from a sync handler)
            self._pending.append(awaitable)

    wait_until = waitUntil

    def passThroughOnException(self):
        pass  # there is no origin behind a pyedge app to fall through to

    async def _drain(self):
        while self._pending:
            pending, self._pending = self._pending, []
            for result in await asyncio.gather(*pending, return_exceptions=True):
                if isinstance(result, BaseException):
                    print("pyedge: a ctx.waitUntil() task failed:", file=sys.stderr)
                    traceback.print_exception(result)


class WorkerEntrypoint:
    """Base class of a Workers app's `Default` class."""

    def __init__(self, ctx, env):
        self.ctx = ctx
        self.env = env

    async def fetch(self, request):
        raise NotImplementedError("the Default class must define async def fetch(self, request)")


async def _run(make_call, ctx):
    result = make_call()
    if inspect.isawaitable(result):
        result = await result
    await ctx._drain()
    return result


def _default_caller(cls):
    def call(spin_request):
        request, ctx, env = Request._from_spin(spin_request), Context(), Env()
        return _run(lambda: cls(ctx, env).fetch(request), ctx)

    return call


def _on_fetch_caller(fn, nargs):
    def call(spin_request):
        request, ctx, env = Request._from_spin(spin_request), Context(), Env()
        args = (request, env, ctx)[:nargs]
        return _run(lambda: fn(*args), ctx)

    return call


def _positional_count(fn):
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 2
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return 3
    return sum(1 for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


def find_handler(module):
    """(kind, caller) for the module's Workers handler, or (None, note):
    note says why a near miss was skipped (or is None). caller takes the
    spin_sdk Request and returns a coroutine giving the response."""
    cls = getattr(module, "Default", None)
    note = None
    if cls is not None:
        if not isinstance(cls, type):
            note = f"Default is a {type(cls).__name__}, not a class"
        elif cls is WorkerEntrypoint:
            note = "Default is workers.WorkerEntrypoint itself: define a subclass named Default"
        elif not issubclass(cls, WorkerEntrypoint):
            note = "Default does not subclass workers.WorkerEntrypoint"
        elif getattr(cls, "fetch", None) is WorkerEntrypoint.fetch:
            note = "Default does not define fetch(self, request)"
        else:
            return "Default", _default_caller(cls)
    fn = getattr(module, "on_fetch", None)
    if fn is not None:
        if not callable(fn) or isinstance(fn, type):
            return None, (note + "; " if note else "") + f"on_fetch is a {type(fn).__name__}"
        n = _positional_count(fn)
        if not 1 <= n <= 3:
            return None, (note + "; " if note else "") + \
                "on_fetch must take (request), (request, env) or (request, env, ctx)"
        return "on_fetch", _on_fetch_caller(fn, n)
    return None, note
