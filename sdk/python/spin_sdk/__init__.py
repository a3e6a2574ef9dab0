"""spin_sdk for pyedge: the Python API of Spin HTTP components, implemented
for pyedge's WebAssembly sandbox.

Modules:
    spin_sdk.http        Request, Response, the handler base classes
                         (IncomingHandler for spin-sdk 3.x, Handler for 4.0)

Planned (not available yet): spin_sdk.key_value, spin_sdk.sqlite,
spin_sdk.variables.

Only the interface follows spin-sdk; the implementation is pyedge's own. The
request/response plumbing between the host and these classes lives in the
top-level module `pyedge_entry` (see docs/abi.md).
"""

__all__ = ["http"]
