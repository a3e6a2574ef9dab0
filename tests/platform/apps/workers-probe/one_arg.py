"""The oldest Workers form: a module-level on_fetch(request), not async."""
from workers import Response, handler


@handler
def on_fetch(request):
    return Response(f"one {request.method} {request.url}")
