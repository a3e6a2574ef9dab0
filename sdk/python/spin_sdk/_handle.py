"""spin_sdk._handle: what the key-value Store, the SQLite Connection and the
redis, postgres, mysql and MQTT Connections share -- a host resource held
through a handle that lasts one request (the host side is
src/services/svc_labels.c, svc_conns.c for the connections).

`open_handle` asks the host for the handle and turns a refusal into the
interface's own Err variant; `Handle` holds the handle and the label and
gives close() (also `drop` and the end of a `with` block; closing twice is
harmless, and the host closes whatever is still open when the request
ends) and the repr. The interfaces need exactly this; one copy keeps
them behaving the same. `Closable` is the part without a label, for the
connections that have none (postgres, mysql, mqtt).
"""

import pyedge_hostcall as _hc
from spin_sdk.wit.types import Err

__all__ = ["open_handle", "Closable", "Handle"]


def open_handle(service, label, what, errors, other):
    """The handle `service` ("kv.open", "sqlite.open") gives for `label`.
    A refusal raises Err(errors[status]()) when its status is in `errors`,
    else Err(other(message)); a label that is not a str raises TypeError
    naming it `what` ("store label")."""
    if not isinstance(label, str):
        raise TypeError(f"a {what} must be a str, not {type(label).__name__}")
    try:
        (handle,) = _hc.call(service, label)
    except _hc.HostCallError as e:
        variant = errors.get(e.status)
        raise Err(variant() if variant is not None else other(e.message)) from None
    return handle


class Closable:
    """Base of the connections and of Handle: subclasses set _close_service
    (the host call that releases the handle)."""

    __slots__ = ("_handle",)
    _close_service = ""

    def close(self) -> None:
        """Releases the handle (also done by `with` and at the end of the
        request; for a database, an open transaction is rolled back).
        Closing twice is harmless."""
        handle, self._handle = self._handle, None
        if handle is not None:
            try:
                _hc.call(self._close_service, handle)
            except _hc.HostCallError:
                pass

    drop = close

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()
        return None


class Handle(Closable):
    """Base of Store and Connection: subclasses set _close_service (the
    host call that releases the handle) and _what (for the repr)."""

    __slots__ = ("label",)
    _what = ""

    def __init__(self, handle, label):
        self._handle = handle
        self.label = label

    def __repr__(self):
        state = "closed" if self._handle is None else "open"
        return f"<spin_sdk {self._what} {self.label!r} ({state})>"
