"""spin-sdk 4.0 style (async) key-value test component.

GET /v4/roundtrip   sets, reads, lists (spin_sdk.util.collect and the raw
                    stream), checks and deletes keys through the async API,
                    returns what it saw as JSON
GET /v4/denied      opens a store the component was not granted
"""

import json

from componentize_py_types import Err
from spin_sdk import http, key_value, util
from spin_sdk.http import Response


class HttpHandler(http.Handler):
    async def handle_request(self, request):
        path = request.uri.split("?")[0]
        if path.endswith("/denied"):
            try:
                await key_value.open("mem")
                doc = {"opened": True}
            except Err as e:
                doc = {"err": type(e.value).__name__}
            return Response(200, {"content-type": "application/json"}, json.dumps(doc).encode())
        with await key_value.open_default() as store:
            await store.set("v4-a", b"1")
            await store.set("v4-b", b"two")
            got = await store.get("v4-b")
            missing = await store.get("v4-missing")
            exists = await store.exists("v4-a")
            keys = await util.collect(await store.get_keys())
            stream, future = await store.get_keys()
            streamed = []
            async for k in stream:
                streamed.append(k)
            status = await future.read()
            await store.delete("v4-a")
            gone = not await store.exists("v4-a")
        with await key_value.open("other") as other:
            other_keys = await util.collect(await other.get_keys())
        doc = {"got": got.decode(), "missing": missing, "exists": exists,
               "keys": sorted(k for k in keys if k.startswith("v4-")),
               "streamed": sorted(k for k in streamed if k.startswith("v4-")),
               "status": type(status).__name__, "gone": gone,
               "other_has_v4": any(k.startswith("v4-") for k in other_keys)}
        return Response(200, {"content-type": "application/json"}, json.dumps(doc).encode())
