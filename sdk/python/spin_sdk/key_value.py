"""spin_sdk.key_value: Spin key-value stores.

    from spin_sdk import key_value

    # spin-sdk 3.x (class IncomingHandler)
    with key_value.open_default() as store:
        store.set("hits", b"1")
        store.get("hits")            # b"1", or None when absent

    # spin-sdk 4.0 (class HttpHandler)
    with await key_value.open_default() as store:
        await store.set("hits", b"1")
        keys = await spin_sdk.util.collect(await store.get_keys())

Which of the two shapes a call has follows the app's handler
(spin_sdk._mode). A component may open only the labels listed in its
`key_value_stores` in spin.toml: "default" is a SQLite file in the state
directory (.spin/sqlite_key_value.db), others come from the runtime config
file. Keys are str of at most 256 bytes of UTF-8, values bytes of at most
1 MiB. Errors: `spin_sdk.wit.types.Err` (the same class as
`componentize_py_types.Err`) whose `.value` is an Error_* variant below.
"""

from spin_sdk.wit.imports.key_value import (
    Error,
    Error_AccessDenied,
    Error_NoSuchStore,
    Error_Other,
    Error_StoreTableFull,
    Store,
)

__all__ = ["open", "open_default", "Store", "Error", "Error_StoreTableFull",
           "Error_NoSuchStore", "Error_AccessDenied", "Error_Other"]


def open(name: str) -> Store:
    """Opens the store `name` ("default" or a label from the runtime
    config); the component must list it in key_value_stores."""
    return Store.open(name)


def open_default() -> Store:
    """Opens the default store."""
    return Store.open("default")
