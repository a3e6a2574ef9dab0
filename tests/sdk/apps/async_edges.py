"""Async handler edge cases, chosen by path."""
import asyncio

from spin_sdk.http import Handler, Response

cancelled = []
ran_after = []


async def _background():
    try:
        await asyncio.sleep(60)
        ran_after.append(True)
    except asyncio.CancelledError:
        cancelled.append(True)
        raise


class HttpHandler(Handler):
    async def handle_request(self, request):
        if request.uri == "/leftover":
            asyncio.get_running_loop().create_task(_background())
            await asyncio.sleep(0)
            return Response(200, {}, b"left a task")
        if request.uri == "/never":
            await asyncio.get_running_loop().create_future()
        if request.uri == "/raise":
            await asyncio.sleep(0)
            raise KeyError("async-missing")
        if request.uri == "/exit":
            await asyncio.sleep(0)
            raise SystemExit(4)
        if request.uri == "/cancel":
            raise asyncio.CancelledError()
        if request.uri == "/timeout":
            async with asyncio.timeout(0.001):
                await asyncio.sleep(10)
        if request.uri == "/loop-kind":
            return Response(200, {}, type(asyncio.get_running_loop()).__name__.encode())
        return Response(200, {}, b"async ok")
