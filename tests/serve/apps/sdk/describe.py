"""Shared by the sdk test app's handlers: the request as the handler sees it."""
import hashlib
import json


def describe(request, style):
    return json.dumps({
        "style": style,
        "method": request.method,
        "uri": request.uri,
        "headers": request.headers,
        "headers_type": type(request.headers).__name__,
        "body_type": type(request.body).__name__,
        "body_len": len(request.body),
        "body_sha256": hashlib.sha256(request.body).hexdigest(),
    }, sort_keys=True).encode()
