"""Entropy after a snapshot: start-up seeds random's global generator, an
unseeded Random(), a seeded Random(42) and tempfile's name sequence, all of
which are in the snapshot every request starts from. Each request reports
what it draws from each, plus the CSPRNG-backed sources (docs: pyedge_entropy)."""
import json
import os
import random
import secrets
import tempfile
import uuid

from spin_sdk import http
from spin_sdk.http import Request, Response

AT_IMPORT = random.Random()          # seeded from entropy at start-up
FIXED = random.Random(42)            # the app chose its sequence
from random import random as global_random  # bound at import
tempfile._get_candidate_names()      # tempfile's sequence made at start-up
START_UP_DRAW = random.random()


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        body = {
            "global": [random.random() for _ in range(3)],
            "bound": global_random(),
            "at_import": AT_IMPORT.random(),
            "fixed": FIXED.random(),
            "fresh": random.Random().random(),
            "tempname": next(tempfile._get_candidate_names()),
            "secrets": secrets.token_hex(8),
            "uuid4": str(uuid.uuid4()),
            "urandom": os.urandom(8).hex(),
            "start_up_draw": START_UP_DRAW,
        }
        return Response(200, {"content-type": "application/json"}, json.dumps(body).encode())
