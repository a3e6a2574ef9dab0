"""Old style: a module-level handle_request function. STYLE (the component's
environment) names the component in the answer; default "func"."""
import os

from spin_sdk.http import Response

from describe import describe

STYLE = os.environ.get("STYLE", "func")


def handle_request(request):
    return Response(200, {"content-type": "application/json", "x-style": STYLE},
                    describe(request, STYLE))
