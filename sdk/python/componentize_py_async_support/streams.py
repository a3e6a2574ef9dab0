"""Streams of bytes (ByteStreamReader/Writer) and of items (StreamReader/
Writer), see the package doc. A writer's data waits in the stream until the
reader takes it; a writer that has HIGH_WATER bytes (or items) waiting
yields until the reader takes some, so a fast writer cannot fill memory.
Dropping the writer (`with tx:`, or __exit__) ends the stream for the
reader (writer_dropped); dropping the reader makes writes return 0
(reader_dropped)."""

import asyncio
from typing import Generic, TypeVar

T = TypeVar("T")

__all__ = ["StreamReader", "StreamWriter", "ByteStreamReader", "ByteStreamWriter"]

HIGH_WATER = 256 * 1024


class _Channel:
    def __init__(self, data=None, closed=False, is_bytes=True):
        self.is_bytes = is_bytes
        self.data = (bytearray(data or b"") if is_bytes else list(data or []))
        self.writer_gone = closed
        self.reader_gone = False
        self.waiters = []  # futures woken by any change

    def wake(self):
        waiters, self.waiters = self.waiters, []
        for f in waiters:
            if not f.done():
                f.set_result(None)

    async def changed(self):
        f = asyncio.get_event_loop().create_future()
        self.waiters.append(f)
        await f


class _Reader:
    def __init__(self, channel):
        self._ch = channel
        self.writer_dropped = False

    async def read(self, max_count):
        """Up to max_count next bytes (items); empty at the end, when
        writer_dropped becomes True."""
        if not isinstance(max_count, int) or max_count < 1:
            raise ValueError("max_count must be a positive int")
        ch = self._ch
        while not ch.data and not ch.writer_gone and not ch.reader_gone:
            await ch.changed()
        if ch.reader_gone:
            return b"" if ch.is_bytes else []
        chunk = ch.data[:max_count]
        del ch.data[:max_count]
        if ch.is_bytes:
            chunk = bytes(chunk)
        if not ch.data and ch.writer_gone:
            self.writer_dropped = True
        ch.wake()
        return chunk

    def ready(self):
        """Data, or the end, is there now (a read would not wait)."""
        return bool(self._ch.data) or self._ch.writer_gone

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return None

    def close(self):
        self._ch.reader_gone = True
        self._ch.data = bytearray() if self._ch.is_bytes else []
        self.writer_dropped = True
        self._ch.wake()


class _Writer:
    def __init__(self, channel):
        self._ch = channel
        self.reader_dropped = False

    async def write(self, source):
        """Hands source to the reader; returns how much was taken (all of
        it, or 0 once the reader is gone)."""
        ch = self._ch
        if ch.writer_gone:
            raise ValueError("write to a dropped stream writer")
        while len(ch.data) >= HIGH_WATER and not ch.reader_gone:
            await ch.changed()
        if ch.reader_gone:
            self.reader_dropped = True
            return 0
        ch.data += source
        ch.wake()
        await asyncio.sleep(0)  # let the reader run, as a rendezvous would
        return len(source)

    async def write_all(self, source):
        total = 0
        while len(source) > 0 and not self.reader_dropped:
            count = await self.write(source)
            source = source[count:]
            total += count
        return total

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return None

    def close(self):
        if not self._ch.writer_gone:
            self._ch.writer_gone = True
            self._ch.wake()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class ByteStreamReader(_Reader):
    """Reads bytes: `await rx.read(n)` until `rx.writer_dropped`."""

    def __init__(self, data=b"", closed=True, _channel=None):
        super().__init__(_channel or _Channel(data, closed, True))


class ByteStreamWriter(_Writer):
    """Writes bytes: `await tx.write_all(b)`; `with tx:` drops it at the end."""

    def __init__(self, _channel=None):
        super().__init__(_channel or _Channel(b"", False, True))


class StreamReader(_Reader, Generic[T]):
    """Items in order (a finished list, or what a StreamWriter writes);
    `writer_dropped` turns True once the last item has been read."""

    def __init__(self, items=(), closed=True, _channel=None):
        super().__init__(_channel or _Channel(list(items), closed, False))

    async def read(self, max_count):
        chunk = await super().read(max_count)
        if not self._ch.data and self._ch.writer_gone:
            self.writer_dropped = True
        return chunk

    def __aiter__(self):
        return self

    async def __anext__(self):
        items = await self.read(1)
        if not items:
            raise StopAsyncIteration
        return items[0]


class StreamWriter(_Writer, Generic[T]):
    def __init__(self, _channel=None):
        super().__init__(_channel or _Channel([], False, False))


def byte_stream():
    """(writer, reader) joined by one stream of bytes."""
    ch = _Channel(b"", False, True)
    return ByteStreamWriter(ch), ByteStreamReader(_channel=ch)


def item_stream():
    """(writer, reader) joined by one stream of items."""
    ch = _Channel([], False, False)
    return StreamWriter(ch), StreamReader(closed=False, _channel=ch)
