"""geo-router: a greeting chosen by the visitor's location.

The country code comes in the `x-user-location` request header, set by
`pyedge up --geoip-db FILE.mmdb` from the client's address (or by an edge
proxy or CDN in front of the app): GB gets a British greeting, FR a
French one, and everyone else, or a request without the header, the US one.
The code is matched case-insensitively, surrounding blanks ignored.

Written as for Spin's Python SDK (spin-sdk 3.x): `pyedge up -f
examples/geo-router` serves it, each request in a fresh sandbox.
"""
from spin_sdk import http
from spin_sdk.http import Request, Response

DEFAULT_REGION = "US"

GREETINGS = {
    "GB": "Hello from London! Fancy a cuppa?\n",
    "FR": "Bonjour de Paris ! Ça va ?\n",
    "US": "Hello from New York! Have a nice day.\n",
}


def region_of(location):
    """The greeting region for an x-user-location value (None: absent)."""
    code = (location or "").strip().upper()
    return code if code in GREETINGS else DEFAULT_REGION


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        region = region_of(request.headers.get("x-user-location"))
        return Response(
            200,
            {
                "content-type": "text/plain; charset=utf-8",
                # the answer depends on this header: caches must key on it
                "vary": "x-user-location",
                "x-greeting-region": region,
            },
            GREETINGS[region].encode("utf-8"),
        )
