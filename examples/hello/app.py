"""The pyedge example app.

Until pyedge serves HTTP, `make up` runs this file inside the sandbox with
`pyedge python`: it builds the response the hello handler will return
(JSON with service, runtime, ok and a timestamp) and prints it, along with
what the sandbox lets it see.
"""
import json
import os
import sys
import time

import _pyedge


def hello():
    return {
        "service": "hello",
        "runtime": "cpython-wasm",
        "ok": True,
        "timestamp": int(time.time()),
    }


def main():
    _pyedge.log(1, "hello app starting")
    print(json.dumps(hello()))
    print("python", sys.version.split()[0], "on", sys.platform, "- pyedge", _pyedge.version(),
          file=sys.stderr)
    print("files the sandbox was given:", sorted(os.listdir("/app")), file=sys.stderr)
    try:
        open("/etc/passwd")
    except OSError as e:
        print("and nothing else: /etc/passwd ->", e.strerror, file=sys.stderr)


if __name__ == "__main__":
    main()
