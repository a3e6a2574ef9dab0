"""workers.Headers: HTTP header fields with case-insensitive names, in the
shape Python Workers code uses (`request.headers.get("content-type")`,
`"x-a" in headers`, `headers.items()`), keeping repeated fields
(`get_all`, and several `set-cookie` on a response).

Names are stored lower-case; `get` returns the values of a repeated field
joined with ", " (as a JS Headers object does), `get_all` the list.
"""

__all__ = ["Headers"]


def _name(name):
    if not isinstance(name, str):
        raise TypeError(f"a header name must be a str, not {type(name).__name__}")
    return name.lower()


def _value(value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8")
    return value if isinstance(value, str) else str(value)


class Headers:
    __slots__ = ("_items",)

    def __init__(self, init=None):
        self._items = []  # (lower-case name, str value), in order
        if init is None:
            return
        if isinstance(init, Headers):
            self._items = list(init._items)
            return
        pairs = init.items() if hasattr(init, "items") else init
        for pair in pairs:
            name, value = pair
            self.append(name, value)

    def append(self, name, value):
        self._items.append((_name(name), _value(value)))

    def set(self, name, value):
        self.delete(name)
        self.append(name, value)

    def delete(self, name):
        n = _name(name)
        self._items = [(k, v) for k, v in self._items if k != n]

    def get(self, name, default=None):
        vals = self.get_all(name)
        return ", ".join(vals) if vals else default

    def get_all(self, name, default=None):
        n = _name(name)
        vals = [v for k, v in self._items if k == n]
        return vals if vals else ([] if default is None else default)

    def has(self, name):
        return name in self

    def items(self):
        return list(self._items)

    def keys(self):
        seen = []
        for k, _ in self._items:
            if k not in seen:
                seen.append(k)
        return seen

    def values(self):
        return [self.get(k) for k in self.keys()]

    def __getitem__(self, name):
        v = self.get(name)
        if v is None:
            raise KeyError(name)
        return v

    def __setitem__(self, name, value):
        self.set(name, value)

    def __delitem__(self, name):
        self.delete(name)

    def __contains__(self, name):
        return isinstance(name, str) and any(k == name.lower() for k, _ in self._items)

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.keys())

    def __repr__(self):
        return f"Headers({self._items!r})"
