"""spin_sdk.util: helpers of spin-sdk 4.0."""

from typing import List, Tuple, TypeVar

from componentize_py_async_support.futures import FutureReader
from componentize_py_async_support.streams import StreamReader
from spin_sdk.wit.types import Err

__all__ = ["collect"]

T = TypeVar("T")


async def collect(pair: Tuple[StreamReader, FutureReader]) -> List[T]:
    """All items of a (stream, future) pair as a list; raises the future's
    Err when the operation failed."""
    stream, future = pair
    items = []
    with stream, future:
        while not stream.writer_dropped:
            items += await stream.read(128)
        result = await future.read()
    if isinstance(result, Err):
        raise result
    return items
