"""Module-level async handle_request."""
import asyncio

from spin_sdk.http import Response

from apps.echo import describe


async def handle_request(request):
    await asyncio.sleep(0.001)
    return Response(202, {"content-type": "application/json"}, describe(request, "func_async"))
