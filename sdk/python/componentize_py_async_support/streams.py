"""StreamReader: reads a finished sequence of items (see the package doc)."""

__all__ = ["StreamReader"]


class StreamReader:
    """Items in order. `writer_dropped` turns True once the last item has
    been read (a read that returns the rest, or [] when empty)."""

    def __init__(self, items):
        self._items = list(items)
        self._pos = 0
        self.writer_dropped = False

    async def read(self, max_count):
        """Up to max_count (>= 1) next items; [] at the end."""
        if not isinstance(max_count, int) or max_count < 1:
            raise ValueError("max_count must be a positive int")
        chunk = self._items[self._pos:self._pos + max_count]
        self._pos += len(chunk)
        if self._pos >= len(self._items):
            self.writer_dropped = True
        return chunk

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self._pos >= len(self._items):
            self.writer_dropped = True
            raise StopAsyncIteration
        item = self._items[self._pos]
        self._pos += 1
        return item

    def close(self):
        self._items = []
        self._pos = 0
        self.writer_dropped = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return None
