"""Module-level synchronous handle_request."""
from spin_sdk.http import Response

from apps.echo import describe


def handle_request(request):
    return Response(200, {"content-type": "application/json"}, describe(request, "func_sync"))
