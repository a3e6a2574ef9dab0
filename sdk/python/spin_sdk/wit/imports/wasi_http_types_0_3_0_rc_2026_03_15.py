"""spin_sdk.wit.imports.wasi_http_types_0_3_0_rc_2026_03_15: wasi:http/types 0.3 (rc-2026-03-15), spin-sdk 4.0 (pyedge: spin_sdk.wit._wasi_http_p3)."""

from spin_sdk.wit._wasi_http_p3 import *  # noqa: F401,F403
