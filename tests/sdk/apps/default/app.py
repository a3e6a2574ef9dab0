"""The module found as `app` when PYEDGE_APP is unset (tests put this
directory on sys.path)."""
from spin_sdk.http import Response


def handle_request(request):
    return Response(200, {}, b"default app")
