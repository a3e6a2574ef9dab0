"""spin_sdk.wit: the names spin-sdk's generated bindings export that apps
import directly: result types and per-interface error variants (so that
`except Err as e: ... e.value` code runs unchanged), the wasi:http
bindings (exports, imports.types / wasi_http_types_*, pyedge's own
Python over its request and response), the handler base classes of the
Redis trigger (exports.InboundRedis, exports.RedisHandler), and the stream
and future constructors of spin-sdk 4.0 below."""

# The constructors import their types when called: every app imports this
# package (spin_sdk.wit.types), few make streams.


def byte_stream():
    """(ByteStreamWriter, ByteStreamReader) joined by one stream of bytes
    (spin-sdk 4.0: a response body written by a spawned task)."""
    from componentize_py_async_support.streams import byte_stream

    return byte_stream()


def string_stream():
    """(StreamWriter[str], StreamReader[str])."""
    from componentize_py_async_support.streams import item_stream

    return item_stream()


def _future(default):
    from componentize_py_async_support.futures import future_pair

    return future_pair(default)


def result_option_wasi_http_types_0_3_0_rc_2026_03_15_fields_wasi_http_types_0_3_0_rc_2026_03_15_error_code_future(default):  # noqa: E501  the binding's name
    """(FutureWriter, FutureReader) of a body's trailers; the reader reads
    default() if the writer is dropped unwritten."""
    return _future(default)


def result_unit_wasi_http_types_0_3_0_rc_2026_03_15_error_code_future(default):
    """(FutureWriter, FutureReader) of a transmission result."""
    return _future(default)
