"""Answers the component's variables as JSON.

The token is a secret: the response only says how long it is, which is
enough to show it arrived without printing it.
"""

import json

from spin_sdk import variables
from spin_sdk.http import IncomingHandler as Base
from spin_sdk.http import Response


class IncomingHandler(Base):
    def handle_request(self, request):
        token = variables.get("token")
        doc = {
            "message": variables.get("message"),
            "api_version": variables.get("api_version"),
            "token_length": len(token),
        }
        return Response(200, {"content-type": "application/json"}, json.dumps(doc).encode())
