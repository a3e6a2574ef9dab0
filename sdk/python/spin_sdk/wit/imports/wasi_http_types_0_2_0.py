"""spin_sdk.wit.imports.wasi_http_types_0_2_0: wasi:http/types 0.2, as spin-sdk 3.x's bindings name it (pyedge: spin_sdk.wit._wasi_http_p2)."""

from spin_sdk.wit._wasi_http_p2 import *  # noqa: F401,F403
