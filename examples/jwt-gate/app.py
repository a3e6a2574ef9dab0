"""jwt-gate: an authenticating gatekeeper in front of an origin server.

Every request must carry `Authorization: Bearer <JWT>` signed with RS256 by
the private key that matches public.pem (next to this file). Without one:
401; with one that does not verify (bad signature, expired, not yet valid,
another algorithm, alg "none"...): 403. A valid token's `sub` claim is
passed on as `x-internal-user-id` (replacing any the client sent) and the
request goes to the origin (the `origin` variable), whose response is
returned as it is.

`import jwt` is pyedge's PyJWT-compatible package; RS256 is verified by the
host (OpenSSL). The key is read once, when the app is imported at start-up,
so it is part of the snapshot every request starts from.
"""
import os

import jwt
from spin_sdk import http

# next to this file: the component's directory (mounted read-only as /app)
with open(os.path.join(os.path.dirname(__file__), "public.pem")) as f:
    PUBLIC_KEY = f.read()


def handle_request(request):
    auth = request.headers.get("authorization", "")
    if not auth.startswith("Bearer "):
        return http.Response(401, {}, b"missing bearer token")
    try:
        claims = jwt.decode(auth[7:], PUBLIC_KEY, algorithms=["RS256"])
    except jwt.InvalidTokenError:
        return http.Response(403, {}, b"invalid token")
    request.headers["x-internal-user-id"] = claims["sub"]
    return http.send_to_origin(request)
