"""spin_sdk for pyedge: the Python API of Spin HTTP components, implemented
for pyedge's WebAssembly sandbox.

Modules:
    spin_sdk.http        Request, Response, the handler base classes
                         (IncomingHandler for spin-sdk 3.x, Handler for 4.0),
                         outbound send / send_async / send_to_origin
    spin_sdk.key_value   key-value stores (open, open_default, Store)
    spin_sdk.redis       outbound Redis (open, Connection, RedisParameter_*,
                         RedisResult_*)
    spin_sdk.sqlite      SQLite databases (open, open_default, Connection,
                         Value_*, QueryResult, RowResult)
    spin_sdk.variables   component variables (get)
    spin_sdk.llm         large language models (infer, infer_with_options,
                         generate_embeddings), synchronous in 3.x and 4.0
    spin_sdk.mqtt        publishing to MQTT brokers (open, Connection, Qos)
    spin_sdk.postgres    outbound PostgreSQL (open, Connection, RowSet; values
                         in spin_sdk.wit.imports.postgres / rdbms_types)
    spin_sdk.mysql       outbound MySQL/MariaDB (open, Connection; sync in both
                         generations, values in rdbms_types)
    spin_sdk.util        collect() for spin-sdk 4.0 stream results
    spin_sdk.http.poll_loop  spin-sdk 3.x's asyncio loop over wasi:io pollables
    spin_sdk.wit         the wasi:http bindings apps use directly:
                         exports (IncomingHandler, HttpHandler; InboundRedis
                         and RedisHandler for the Redis trigger), imports
                         (types / wasi_http_types_0_2_0 / _0_3_0_rc_2026_03_15,
                         streams, poll, outgoing_handler, wasi_http_client),
                         byte_stream() and the future constructors

key_value, redis, sqlite, postgres and mqtt answer in the shape of the SDK generation the app's
handler belongs to (spin_sdk._mode): plain values for 3.x, awaitables for
4.0.

Only the interface follows spin-sdk; the implementation is pyedge's own. The
request/response plumbing between the host and these classes lives in the
top-level module `pyedge_entry` (see docs/abi.md).
"""

__all__ = ["http"]
