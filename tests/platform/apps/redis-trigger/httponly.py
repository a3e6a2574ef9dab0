"""An HTTP-only module: a redis trigger naming it must stop start-up."""

from spin_sdk.http import Response


def handle_request(request):
    return Response(200, {}, b"http only")
