"""componentize_py_async_support: streams, futures and spawn() as spin-sdk
4.0 apps use them (`await stream.read(n)`, `writer_dropped`, `await
future.read()`, `async for`, `spin_sdk.util.collect`, `tx, rx =
spin_sdk.wit.byte_stream()`, `await tx.write_all(b)`, `spawn(coro)`).

In pyedge they are plain Python over the running asyncio loop
(pyedge_loop): a stream is a buffer between a writer and a reader in the
same sandbox, a future a value written once. Results the host gives in one
piece (key_value.Store.get_keys, sqlite.Connection.execute) are readers
over items that are already here.

spawn(coro) runs coro as a task that may outlive the handler: pyedge waits
for every spawned task before the request ends (a 4.0 handler returns its
Response while a spawned task still writes the body)."""

import asyncio

__all__ = ["spawn"]

_spawned = set()


def spawn(coroutine):
    """Runs coroutine concurrently, to completion, even after the handler
    returned (pyedge_loop.run_async waits for it)."""
    task = asyncio.get_event_loop().create_task(coroutine)
    _spawned.add(task)
    return None
