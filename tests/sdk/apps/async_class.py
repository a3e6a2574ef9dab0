"""spin-sdk 4.0 style: HttpHandler subclassing Handler, async handle_request."""
import asyncio

from spin_sdk.http import Handler, Response

from apps.echo import describe


async def _later(value):
    await asyncio.sleep(0.001)
    return value


class HttpHandler(Handler):
    async def handle_request(self, request):
        await asyncio.sleep(0)
        a, b = await asyncio.gather(_later("a"), _later("b"))
        async with asyncio.timeout(5):
            task = asyncio.get_running_loop().create_task(_later(a + b))
            joined = await task
        return Response(201, {"content-type": "application/json", "x-joined": joined},
                        describe(request, "async_class"))
