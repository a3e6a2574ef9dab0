"""workers env: the component's bindings as attributes, Cloudflare style.

    env.API_URL             a component variable (spin.toml
                            [component.<id>.variables] api_url = "..."),
                            read through spin_sdk.variables: names are
                            matched lower-case, as Spin variable names are
    await env.CACHE.get(k)  a key-value store the component may use
                            (key_value_stores = ["cache"]), through
                            spin_sdk.key_value; the label is matched as
                            given, lower-case, and with '_' as '-'

A name is tried as a variable first, then as a store label; the first that
exists is kept on the object (one host call per name and request).
Nothing is read before it is used. An attribute that is neither raises
AttributeError naming both places looked in.

A store binding has Cloudflare's KV methods, all async:
    get(key, type="text")  -> str (type "json": parsed, "bytes" or
                              "arrayBuffer": bytes), None when absent
    put(key, value)        value str (stored as UTF-8) or bytes
    delete(key)
    list(prefix=None)      -> {"keys": [{"name": k}, ...], "list_complete": True}
Expiration and metadata options are not supported (NotImplementedError).
"""

import inspect
import json

__all__ = ["Env", "KVNamespace"]


async def _settle(value):
    """spin_sdk calls return values or, for async-style apps, awaitables."""
    if inspect.isawaitable(value):
        value = await value
    return value


class KVNamespace:
    """A Spin key-value store with the methods of a Workers KV binding."""

    def __init__(self, store, label):
        self._store = store
        self.label = label

    async def get(self, key, type="text", **options):
        if options.get("cacheTtl") is None:
            options.pop("cacheTtl", None)
        if options:
            raise NotImplementedError(f"KV get options {sorted(options)} are not supported")
        raw = await _settle(self._store.get(key))
        if raw is None:
            return None
        if type == "text":
            return raw.decode("utf-8")
        if type == "json":
            return json.loads(raw)
        if type in ("bytes", "arrayBuffer"):
            return bytes(raw)
        raise ValueError(f"unknown KV get type {type!r} (text, json, bytes, arrayBuffer)")

    async def put(self, key, value, **options):
        if options:
            raise NotImplementedError(
                f"KV put options {sorted(options)} (expiration, metadata) are not supported")
        if isinstance(value, str):
            value = value.encode("utf-8")
        elif isinstance(value, (bytearray, memoryview)):
            value = bytes(value)
        elif not isinstance(value, bytes):
            raise TypeError(f"a KV value must be str or bytes, not {type(value).__name__}")
        await _settle(self._store.set(key, value))

    async def delete(self, key):
        await _settle(self._store.delete(key))

    async def list(self, prefix=None, **options):
        if options:
            raise NotImplementedError(f"KV list options {sorted(options)} are not supported")
        keys = await _settle(self._store.get_keys())
        if isinstance(keys, tuple):  # a spin-sdk 4.0 (stream, future) pair
            from spin_sdk.util import collect

            keys = await collect(keys)
        names = sorted(k for k in keys if prefix is None or k.startswith(prefix))
        return {"keys": [{"name": k} for k in names], "list_complete": True, "cursor": ""}

    def __repr__(self):
        return f"<KVNamespace {self.label!r}>"


def _variable(name):
    """The variable's value, or None when the component has no such one."""
    from spin_sdk import variables
    from spin_sdk.wit.imports.variables import Error_InvalidName, Error_Undefined
    from spin_sdk.wit.types import Err

    try:
        return str(variables.get(name.lower()))
    except Err as e:
        if isinstance(e.value, (Error_Undefined, Error_InvalidName)):
            return None
        raise


def _store(name):
    """A KVNamespace for the first label the component may open, or None."""
    from spin_sdk import key_value
    from spin_sdk.wit.imports.key_value import Error_AccessDenied, Error_NoSuchStore
    from spin_sdk.wit.types import Err

    labels = []
    for label in (name, name.lower(), name.lower().replace("_", "-")):
        if label not in labels:
            labels.append(label)
    for label in labels:
        try:
            store = key_value.open(label)
            if inspect.isawaitable(store):  # (only in async-style apps)
                raise RuntimeError("env store bindings need spin_sdk.key_value's sync API")
            return KVNamespace(store, label)
        except Err as e:
            if not isinstance(e.value, (Error_NoSuchStore, Error_AccessDenied)):
                raise
    return None


class Env:
    """The bindings of the component (see the module docstring)."""

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        value = _variable(name)
        if value is None:
            value = _store(name)
        if value is None:
            raise AttributeError(
                f"env has no binding {name!r}: the component has no variable "
                f"{name.lower()!r} and may not open a key-value store labelled {name!r}"
                f"{' or ' + repr(name.lower()) if name != name.lower() else ''}"
            )
        object.__setattr__(self, name, value)
        return value

    def __repr__(self):
        return "<workers env>"
