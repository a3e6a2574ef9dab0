"""chatty: GET /print?out=N&err=M&tag=T writes N bytes to stdout and M to
stderr, in 100-byte lines "T:out:00000042:xxx...x\\n" (N and M multiples of
100), then answers "printed"."""
import sys
from urllib.parse import parse_qs, urlsplit

from spin_sdk.http import IncomingHandler as _Base
from spin_sdk.http import Response


def emit(stream, name, tag, n):
    lines = [f"{tag}:{name}:{i:08d}:".ljust(99, "x") + "\n" for i in range(n // 100)]
    for k in range(0, len(lines), 1000):  # many writes, as a chatty handler makes
        stream.write("".join(lines[k:k + 1000]))


class IncomingHandler(_Base):
    def handle_request(self, request):
        q = {k: v[0] for k, v in parse_qs(urlsplit(request.uri).query).items()}
        tag = q.get("tag", "t")
        emit(sys.stdout, "out", tag, int(q.get("out", "0")))
        emit(sys.stderr, "err", tag, int(q.get("err", "0")))
        return Response(200, {"content-type": "text/plain"}, b"printed")
