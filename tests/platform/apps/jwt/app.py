"""jwt-probe: the sandbox side of tests/platform/test_jwt.py.

POST / with a JSON object {"op": ..., ...}; the answer is JSON:
  decode   token, algs, and one key: "key" (PEM text or HMAC secret),
           "jwk" (a JWK object, through jwt.PyJWK), or "jwks" + "kid"
           (through jwt.PyJWKSet); optional options, audience, issuer,
           leeway -> {"claims": ...} or {"error": class, "mro": [...], "msg"}
  encode   claims, key (PEM private key or secret), alg, headers
           -> {"token": ...} or the error
  header   token -> {"header": jwt.get_unverified_header(token)}
  raw      service, payload (base64) -> {"status": int, "reply": base64}:
           one _pyedge.call with exactly these bytes
  raw_blobs service, blobs (list of base64) -> the same, blobs encoded
           by pyedge_hostcall
"""
import base64
import json

import jwt
import pyedge_hostcall
from spin_sdk.http import Response


def failure(e):
    names = [c.__name__ for c in type(e).__mro__ if c not in (BaseException, object)]
    return {"error": type(e).__name__, "mro": names, "msg": str(e)}


def key_of(d):
    if "jwk" in d:
        return jwt.PyJWK(d["jwk"]).key
    if "jwks" in d:
        return jwt.PyJWKSet.from_dict(d["jwks"])[d["kid"]].key
    return d.get("key", "")


def run(d):
    op = d["op"]
    if op == "decode":
        try:
            claims = jwt.decode(d["token"], key_of(d), algorithms=d.get("algs"),
                                options=d.get("options"), audience=d.get("audience"),
                                issuer=d.get("issuer"), leeway=d.get("leeway", 0))
            return {"claims": claims}
        except Exception as e:  # the test compares the class with PyJWT's
            return failure(e)
    if op == "encode":
        try:
            return {"token": jwt.encode(d["claims"], d["key"], algorithm=d["alg"],
                                        headers=d.get("headers"))}
        except Exception as e:
            return failure(e)
    if op == "header":
        try:
            return {"header": jwt.get_unverified_header(d["token"])}
        except Exception as e:
            return failure(e)
    if op in ("raw", "raw_blobs"):
        if op == "raw":
            payload = base64.b64decode(d["payload"])
        else:
            payload = pyedge_hostcall.encode(*[base64.b64decode(b) for b in d["blobs"]])
        status, reply = pyedge_hostcall.call_raw(d["service"], payload)
        return {"status": status, "reply": base64.b64encode(reply).decode()}
    return {"error": "bad op"}


def handle_request(request):
    return Response(200, {"content-type": "application/json"},
                    json.dumps(run(json.loads(request.body))).encode())
