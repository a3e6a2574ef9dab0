"""spin_sdk.wit.imports.wasi_io_error_0_2_6: wasi:io/error 0.2 (pyedge: spin_sdk.wit._wasi_http_p2)."""

from spin_sdk.wit._wasi_http_p2 import Error  # noqa: F401,F403
