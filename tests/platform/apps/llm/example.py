"""The shape of spin-python-sdk's examples/spin-llm app (spin-sdk 4.0): an
async HttpHandler that calls the synchronous llm functions, prints the
results and answers with a greeting. Written from the API for pyedge's
tests; it also returns what it got, so the test can check it."""

from spin_sdk import http, llm
from spin_sdk.http import Request, Response

MODEL = "all-minilm-l6-v2"


class HttpHandler(http.Handler):
    async def handle_request(self, request: Request) -> Response:
        joke = llm.infer(MODEL, "tell me a joke")
        print(joke.text)
        print(joke.usage)
        physics = llm.infer_with_options(MODEL, "what is the theory of relativity",
                                         llm.InferencingParams(temperature=0.5))
        print(physics.text)
        print(physics.usage)
        body = "\n".join(["Hello from Python!", joke.text, physics.text,
                          str(physics.usage.generated_token_count)])
        return Response(200, {"content-type": "text/plain"}, body.encode("utf-8"))
