"""spin_sdk.wit: the names spin-sdk's generated bindings export that apps
import directly (result types and per-interface error variants). pyedge
implements the interfaces over its own host calls; only these value types
are kept so that `except Err as e: ... e.value` code runs unchanged."""
