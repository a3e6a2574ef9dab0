"""spin-sdk 3.x style: a synchronous IncomingHandler subclass."""
from spin_sdk import http
from spin_sdk.http import Response

from apps.echo import describe

instances = 0


class IncomingHandler(http.IncomingHandler):
    def __init__(self):
        global instances
        instances += 1
        self.calls = 0

    def handle_request(self, request):
        self.calls += 1
        return Response(200, {"content-type": "application/json",
                              "x-calls-on-instance": str(self.calls)},
                        describe(request, "sync_class"))
