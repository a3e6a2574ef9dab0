"""A module global incremented by every request (state lives as long as the
instance does)."""
from spin_sdk.http import Response

count = 0


def handle_request(request):
    global count
    count += 1
    return Response(200, {"content-type": "text/plain"}, str(count).encode())
