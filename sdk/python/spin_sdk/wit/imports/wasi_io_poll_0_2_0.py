"""spin_sdk.wit.imports.wasi_io_poll_0_2_0: wasi:io/poll 0.2 (pyedge: spin_sdk.wit._wasi_http_p2)."""

from spin_sdk.wit._wasi_http_p2 import Pollable, poll  # noqa: F401,F403
