"""bench/serve/fastapi_app.py -- reference app for bench/serve/run.sh:
FastAPI answering GET / with the same JSON as examples/hello."""
import json
import time

from fastapi import FastAPI
from fastapi.responses import Response

app = FastAPI()


@app.get("/")
async def root():
    body = {"service": "hello", "runtime": "cpython-wasm", "ok": True,
            "timestamp": int(time.time())}
    return Response(json.dumps(body).encode(), media_type="application/json",
                    headers={"cache-control": "no-store"})
