"""spin_sdk.wit.imports.outgoing_handler: wasi:http/outgoing-handler 0.2 (pyedge: spin_sdk.wit._wasi_http_p2)."""

from spin_sdk.wit._wasi_http_p2 import ErrorCode, handle  # noqa: F401,F403
