"""FutureReader: a value that is already known (see the package doc)."""

__all__ = ["FutureReader"]


class FutureReader:
    def __init__(self, value):
        self._value = value

    async def read(self):
        """The value (for spin-sdk's calls, Ok(None) or an Err)."""
        return self._value

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None
