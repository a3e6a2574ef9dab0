"""spin_sdk.wit: the names spin-sdk's generated bindings export that apps
import directly (result types and per-interface error variants, and in
spin_sdk.wit.exports the handler base classes of non-HTTP triggers).
pyedge implements the interfaces over its own host calls; only these names
are kept so that `except Err as e: ... e.value` code, and `class
InboundRedis(exports.InboundRedis)`, run unchanged."""
