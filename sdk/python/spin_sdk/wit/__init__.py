"""spin_sdk.wit: the names spin-sdk's generated bindings export that apps
import directly (result types and per-interface error variants). pyedge
implements the interfaces over its own host calls; only these value types
are kept so that `except Err as e: ... e.value` code runs unchanged."""

from componentize_py_async_support.futures import future_pair as _future_pair
from componentize_py_async_support.streams import byte_stream as _byte_stream
from componentize_py_async_support.streams import item_stream as _item_stream


def byte_stream():
    """(ByteStreamWriter, ByteStreamReader) joined by one stream of bytes
    (spin-sdk 4.0: a response body written by a spawned task)."""
    return _byte_stream()


def string_stream():
    """(StreamWriter[str], StreamReader[str])."""
    return _item_stream()


def result_option_wasi_http_types_0_3_0_rc_2026_03_15_fields_wasi_http_types_0_3_0_rc_2026_03_15_error_code_future(default):  # noqa: E501  the binding's name
    """(FutureWriter, FutureReader) of a body's trailers; the reader reads
    default() if the writer is dropped unwritten."""
    return _future_pair(default)


def result_unit_wasi_http_types_0_3_0_rc_2026_03_15_error_code_future(default):
    """(FutureWriter, FutureReader) of a transmission result."""
    return _future_pair(default)
