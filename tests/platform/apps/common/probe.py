"""Raw host calls for the adversarial tests of the kv and sqlite apps: a
JSON script of calls sent straight through _pyedge.call, bypassing the SDK.
The apps reach this one copy through `-p ../common` in their build command
(a directory outside the app gets its own mount on sys.path; copy_app in
platform_util.py copies common/ next to each app it copies).

    [{"svc": "kv.get", "raw": "<base64 payload>"},
     {"svc": "kv.get", "blobs": [{"ref": 0}, {"b64": "..."}, {"u64": 7}, {"str": "x"}]}]

{"ref": i} is the first blob of call i's reply (a handle). Each result is
{"status": s, "blobs": [base64...]} for OK, else {"status": s, "msg": str}.
"""

import base64
import json

import _pyedge
import pyedge_hostcall as hc


def run(script):
    results = []
    for call in script:
        if "raw" in call:
            payload = base64.b64decode(call["raw"])
        else:
            blobs = []
            for item in call["blobs"]:
                if "ref" in item:
                    blobs.append(base64.b64decode(results[item["ref"]]["blobs"][0]))
                elif "u64" in item:
                    blobs.append(hc.u64(item["u64"]))
                elif "str" in item:
                    blobs.append(item["str"].encode("utf-8"))
                else:
                    blobs.append(base64.b64decode(item["b64"]))
            payload = hc.encode(*blobs)
        if "pad" in call:  # a length prefix claiming more than is sent
            payload = call["pad"].to_bytes(4, "little") + payload
        reply = _pyedge.call(call["svc"], payload)
        status, rest = reply[0], reply[1:]
        if status == hc.OK:
            results.append({"status": 0, "blobs": [base64.b64encode(b).decode() for b in hc.decode(rest)]})
        else:
            results.append({"status": status, "msg": rest.decode("utf-8", "replace")})
    return results


def response(body):
    from spin_sdk.http import Response
    out = json.dumps(run(json.loads(body))).encode()
    return Response(200, {"content-type": "application/json"}, out)
