"""workers: Cloudflare Python Workers' API for pyedge apps.

    from workers import WorkerEntrypoint, Response

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            name = self.env.GREETING            # a component variable
            count = await self.env.CACHE.get("n")  # a key-value store
            return Response.json({"hello": name, "url": request.url})

or the older form, `async def on_fetch(request, env)`. pyedge_entry finds
either after the Spin handler forms (docs/abi.md). The app is still served
from spin.toml: bindings are the component's variables and key-value stores
(workers._env). What is here:

  WorkerEntrypoint   base class of `Default` (self.ctx, self.env)
  Request            .method .url .headers, await .text() .json() .bytes()
  Response           Response(body, status=, headers=), Response.json(),
                     Response.redirect(); await .text() .json() .bytes()
  Headers            case-insensitive header fields
  fetch(url, ...)    an outbound request through spin_sdk.http.send (so
                     allowed_outbound_hosts applies); returns a Response
  handler            a no-op decorator (old code marks on_fetch with it)

Not here: Durable Objects, Workflows, queues, cron (`scheduled`), R2, D1,
FormData, Blob, WebSockets, import_from_javascript.
"""

import inspect

from ._entry import Context, WorkerEntrypoint
from ._env import Env, KVNamespace
from ._headers import Headers
from ._request import Request
from ._response import Response

__all__ = ["WorkerEntrypoint", "Request", "Response", "Headers", "Context", "Env",
           "KVNamespace", "fetch", "handler"]


def handler(fn):
    """Marks a legacy on_fetch handler; pyedge already passes Python objects."""
    return fn


async def fetch(resource, method="GET", headers=None, body=None, **kwargs):
    """An outbound request (spin_sdk.http.send, allowed_outbound_hosts
    applies); returns a workers.Response."""
    if kwargs:
        raise NotImplementedError(f"fetch options {sorted(kwargs)} are not supported by pyedge")
    from spin_sdk.http import Request as SpinRequest
    from spin_sdk.http import send

    if isinstance(resource, Request):
        method, headers = resource.method, headers or resource.headers
        body, resource = body if body is not None else resource.body, resource.url
    hdrs = dict(Headers(headers).items())
    if isinstance(body, str):
        body = body.encode("utf-8")
    r = send(SpinRequest(str(method), str(resource), hdrs, body))
    if inspect.isawaitable(r):
        r = await r
    return Response(r.body, status=r.status, headers=r.headers)

