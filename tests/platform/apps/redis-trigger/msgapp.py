"""spin-sdk 3.x Redis trigger test component (tests/platform/test_redis_trigger.py).

Each message is recorded in the default key-value store (a Redis store the
test configures, so the test reads it with plain GETs): count:<TAG> counts
the messages, msg:<TAG>:<n> holds the n-th payload as received. TAG is the
component's environment variable, so components sharing this module keep
separate records. A few payloads ask for something else first:
  b"raise"       the handler raises (the next message must still be served)
  b"spin"        the handler loops past its time limit
  b"print:TEXT"  prints TEXT to stdout (the component log), then records
"""

import os

from spin_sdk import key_value
from spin_sdk.wit import exports


def fail(message):
    raise ValueError(f"asked to fail by {message!r}")


def record(store, message):
    tag = os.environ.get("TAG", "none")
    n = int(store.get(f"count:{tag}") or b"0") + 1
    store.set(f"msg:{tag}:{n}", message)
    store.set(f"count:{tag}", str(n).encode())


class InboundRedis(exports.InboundRedis):
    def handle_message(self, message: bytes) -> None:
        if message == b"raise":
            fail(message)
        if message == b"spin":
            while True:
                pass
        if message.startswith(b"print:"):
            print(message[6:].decode())
        record(key_value.open_default(), message)
