"""spin_sdk.wit.imports.wasi_io_streams_0_2_0: wasi:io/streams 0.2 (pyedge: spin_sdk.wit._wasi_http_p2)."""

from spin_sdk.wit._wasi_http_p2 import (InputStream, OutputStream, StreamError, StreamError_Closed, StreamError_LastOperationFailed, StreamErrorClosed, StreamErrorLastOperationFailed)  # noqa: F401,F403
