"""spin_sdk for pyedge: the Python API of Spin HTTP components, implemented
for pyedge's WebAssembly sandbox.

Modules:
    spin_sdk.http        Request, Response, the handler base classes
                         (IncomingHandler for spin-sdk 3.x, Handler for 4.0),
                         outbound send / send_async / send_to_origin
    spin_sdk.key_value   key-value stores (open, open_default, Store)
    spin_sdk.sqlite      SQLite databases (open, open_default, Connection,
                         Value_*, QueryResult, RowResult)
    spin_sdk.variables   component variables (get)
    spin_sdk.util        collect() for spin-sdk 4.0 stream results
    spin_sdk.wit.exports handler base classes for the Redis trigger
                         (InboundRedis for 3.x, RedisHandler for 4.0)

key_value and sqlite answer in the shape of the SDK generation the app's
handler belongs to (spin_sdk._mode): plain values for 3.x, awaitables for
4.0.

Only the interface follows spin-sdk; the implementation is pyedge's own. The
request/response plumbing between the host and these classes lives in the
top-level module `pyedge_entry` (see docs/abi.md).
"""

__all__ = ["http"]
