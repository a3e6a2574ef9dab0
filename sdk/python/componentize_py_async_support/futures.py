"""FutureReader/FutureWriter: one value, written once (see the package doc).
A reader whose writer is dropped unwritten reads the default the pair was
made with."""

import asyncio
from typing import Generic, TypeVar

T = TypeVar("T")

__all__ = ["FutureReader", "FutureWriter", "future_pair"]

_UNSET = object()


class _Slot:
    def __init__(self, value=_UNSET, default=None):
        self.value = value
        self.default = default
        self.dropped = False
        self.waiters = []

    def settle(self, value):
        self.value = value
        for f in self.waiters:
            if not f.done():
                f.set_result(None)
        self.waiters = []


class FutureReader(Generic[T]):
    def __init__(self, value=None, _slot=None):
        self._slot = _slot or _Slot(value)

    async def read(self):
        """The value (for spin-sdk's calls, Ok(None) or an Err)."""
        s = self._slot
        while s.value is _UNSET:
            f = asyncio.get_event_loop().create_future()
            s.waiters.append(f)
            await f
        return s.value

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


class FutureWriter(Generic[T]):
    def __init__(self, _slot):
        self._slot = _slot

    async def write(self, value):
        """Sets the value; False if it was already settled."""
        if self._slot.value is not _UNSET:
            return False
        self._slot.settle(value)
        return True

    def close(self):
        s = self._slot
        if s.value is _UNSET:
            s.settle(s.default() if callable(s.default) else s.default)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


def future_pair(default):
    """(writer, reader); the reader reads default() if the writer is
    dropped without writing."""
    slot = _Slot(_UNSET, default)
    return FutureWriter(slot), FutureReader(_slot=slot)
