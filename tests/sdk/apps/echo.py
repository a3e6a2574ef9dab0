"""Shared by the echo apps: describes the request as JSON."""
import json


def describe(request, style):
    return json.dumps({
        "style": style,
        "method": request.method,
        "uri": request.uri,
        "headers": request.headers,
        "body": request.body.decode("latin-1"),
        "body_type": type(request.body).__name__,
        "headers_type": type(request.headers).__name__,
    }, sort_keys=True).encode()
