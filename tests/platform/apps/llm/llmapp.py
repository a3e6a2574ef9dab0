"""spin-sdk 3.x style LLM test component (tests/platform/test_llm.py).

POST /<route>/infer  {"model", "prompt", "options": null | {field: value},
                      "class": true (pass the InferencingParams class
                      itself, as spin-sdk 3.x's own infer did)}
    no "options" key: llm.infer; otherwise llm.infer_with_options
    -> {"text", "usage": [prompt_token_count, generated_token_count]}
POST /<route>/embed  {"model", "text": [...]}
    -> {"embeddings": [[...]], "usage": prompt_token_count}
POST /<route>/raw    a probe script (../common/probe.py)
Any error: {"err": "<Error_* name>", "msg": ..., "cls": "<exception class>"}
"""

import json

import probe
from spin_sdk import http, llm
from spin_sdk.http import Response
from spin_sdk.wit.types import Err


def infer(doc):
    if "options" not in doc:
        r = llm.infer(doc["model"], doc["prompt"])
    elif doc.get("class"):
        r = llm.infer_with_options(doc["model"], doc["prompt"], llm.InferencingParams)
    else:
        opts = doc["options"]
        r = llm.infer_with_options(doc["model"], doc["prompt"],
                                   None if opts is None else llm.InferencingParams(**opts))
    assert isinstance(r, llm.InferencingResult), type(r)
    return {"text": r.text, "usage": [r.usage.prompt_token_count, r.usage.generated_token_count]}


def embed(doc):
    r = llm.generate_embeddings(doc["model"], doc["text"])
    assert isinstance(r, llm.EmbeddingsResult), type(r)
    return {"embeddings": r.embeddings, "usage": r.usage.prompt_token_count}


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request):
        path = request.uri.split("?")[0].rsplit("/", 1)[-1]
        doc = json.loads(request.body or b"null")
        try:
            if path == "raw":
                out = probe.run(doc)
            else:
                out = {"infer": infer, "embed": embed}[path](doc)
        except Err as e:
            v = e.value
            out = {"err": type(v).__name__, "msg": getattr(v, "value", None),
                   "cls": type(e).__module__ + "." + type(e).__name__}
        return Response(200, {"content-type": "application/json"}, json.dumps(out).encode())
