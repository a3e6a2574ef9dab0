"""componentize_py_async_support: the stream and future readers spin-sdk
4.0 returns from calls that produce many items (key_value.Store.get_keys,
sqlite.Connection.execute). In pyedge the host answers such a call in one
piece, so these readers hand out items that are already here; the API is
the one apps use (`await stream.read(n)`, `writer_dropped`, `await
future.read()`, `async for`, `spin_sdk.util.collect`)."""
