"""Where a request's objects are allocated (guest/pyedge_reqheap.c).
GET /heap/where: the region's bounds, and whether an object made at import
(start-up) and one made now lie in it. GET /heap/churn?n=N: heapwork.work(N),
with the region's top before and after."""
import json

import _pyedge
from spin_sdk import http
from spin_sdk.http import Request, Response

from heapwork import work

AT_IMPORT = _pyedge.heap_bounds()
STARTUP_OBJECT = ["made at import"]


class Fresh:
    """No free list keeps instances of a Python class: each is allocated."""


def inside(obj, bounds):
    lo, hi, _ = bounds
    return lo <= id(obj) < hi


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        before = _pyedge.heap_bounds()
        answer = {"at_import": list(AT_IMPORT), "before": list(before)}
        if request.uri.startswith("/heap/churn"):
            n = int(request.uri.partition("n=")[2] or "1000")
            answer["work"] = work(n)
        fresh = Fresh()
        answer["startup_object_inside"] = inside(STARTUP_OBJECT, before)
        answer["fresh_object_inside"] = inside(fresh, before)
        answer["after"] = list(_pyedge.heap_bounds())
        return Response(200, {"content-type": "application/json"}, json.dumps(answer).encode())
