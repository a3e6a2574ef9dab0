"""spin_sdk.wit.imports.mqtt: Spin's outbound MQTT interface over pyedge's
host calls ("mqtt.*", docs/hostcall.md).

    conn = Connection.open("mqtt://127.0.0.1:1883?client_id=me", user, password, 30)
    conn.publish("telemetry", b"21.5", Qos.AT_LEAST_ONCE)

`Connection` serves both spin-sdk generations (spin_sdk._mode): in a 3.x
app open() and publish() return values, in a 4.0 app coroutines to await.
(The generated modules fermyon_spin_mqtt_2_0_0 and spin_mqtt_mqtt_3_0_0
fix the shape their WIT gives: always plain, always awaitable.)

open() connects and waits for the broker's CONNACK; publish() returns once
the message is written (AT_MOST_ONCE), acknowledged (AT_LEAST_ONCE: PUBACK)
or complete (EXACTLY_ONCE: PUBCOMP). A connection lasts until close() (or
the end of its `with` block) or the end of the request.

Errors are raised as `spin_sdk.wit.types.Err` with `.value` one of
    Error_InvalidAddress      the address is not mqtt://host[:port]?client_id=...
    Error_TooManyConnections  8 connections are open in this request
    Error_ConnectionFailed    not allowed by allowed_outbound_hosts, refused,
                              unreachable, credentials refused, no answer in
                              time, or the connection was lost
    Error_Other(str)          anything else: a bad topic, a payload over
                              16 MiB, a closed connection
The host's message is attached to the exception as a note.
"""

from dataclasses import dataclass
from enum import Enum
from typing import Union

import pyedge_hostcall as _hc
from spin_sdk._handle import Closable
from spin_sdk import _mode
from spin_sdk.wit.types import Err

__all__ = ["Connection", "Qos", "Payload", "Error", "Error_InvalidAddress",
           "Error_TooManyConnections", "Error_ConnectionFailed", "Error_Other"]


@dataclass
class Error_InvalidAddress:
    pass


@dataclass
class Error_TooManyConnections:
    pass


@dataclass
class Error_ConnectionFailed:
    value: str


@dataclass
class Error_Other:
    value: str


Error = Union[Error_InvalidAddress, Error_TooManyConnections, Error_ConnectionFailed, Error_Other]

Payload = bytes


class Qos(Enum):
    """QoS for publishing MQTT messages."""
    AT_MOST_ONCE = 0
    AT_LEAST_ONCE = 1
    EXACTLY_ONCE = 2


def _err(variant, message):
    e = Err(variant)
    if message:
        e.add_note(message)
    return e


def _open_error(e):
    if e.status == _hc.INVALID:
        return _err(Error_InvalidAddress(), e.message)
    if e.status == _hc.LIMIT:
        return _err(Error_TooManyConnections(), e.message)
    if e.status == _hc.DENIED:
        # Spin's own words for an address allowed_outbound_hosts refuses
        return _err(Error_ConnectionFailed(e.message), None)
    if e.status in (_hc.BACKEND, _hc.TIMEOUT):
        return _err(Error_ConnectionFailed(e.message), None)
    return _err(Error_Other(e.message), None)


def _text(value, what):
    if not isinstance(value, str):
        raise TypeError(f"the MQTT {what} must be a str, not {type(value).__name__}")
    return value.encode("utf-8", "surrogatepass")


def _open_now(cls, address, username, password, keep_alive_interval_in_secs):
    addr = _text(address, "address")
    user = _text(username, "user name")
    pw = _text(password, "password")
    if isinstance(keep_alive_interval_in_secs, bool) or not isinstance(keep_alive_interval_in_secs, int):
        raise TypeError("keep_alive_interval_in_secs must be an int")
    if not 0 <= keep_alive_interval_in_secs < 1 << 64:
        raise OverflowError("keep_alive_interval_in_secs must fit in 64 unsigned bits")
    try:
        (handle,) = _hc.call("mqtt.open", addr, user, pw, _hc.u64(keep_alive_interval_in_secs))
    except _hc.HostCallError as e:
        raise _open_error(e) from None
    return cls._wrap(handle, address)


def _publish_now(conn, topic, payload, qos):
    t = _text(topic, "topic")
    if not isinstance(payload, (bytes, bytearray, memoryview)):
        raise TypeError(f"an MQTT payload must be bytes, not {type(payload).__name__}")
    if not isinstance(qos, Qos):
        raise TypeError(f"qos must be a spin_sdk.mqtt.Qos, not {type(qos).__name__}")
    handle = conn._handle
    if handle is None:
        raise Err(Error_Other("the MQTT connection is closed"))
    try:
        _hc.call("mqtt.publish", handle, t, bytes(payload), _hc.u64(qos.value))
    except _hc.HostCallError as e:
        if e.status in (_hc.BACKEND, _hc.TIMEOUT):
            raise Err(Error_ConnectionFailed(e.message)) from None
        raise Err(Error_Other(e.message)) from None
    return None


class Connection(Closable):
    """An open connection to an MQTT broker (a context manager: leaving the
    `with` block disconnects; close() also, and the end of the request;
    closing twice is harmless)."""

    __slots__ = ("address", "__weakref__")
    _close_service = "mqtt.close"

    @classmethod
    def _wrap(cls, handle, address):
        c = object.__new__(cls)
        c._handle = handle
        c.address = address
        return c

    @classmethod
    def open(cls, address: str, username: str, password: str,
             keep_alive_interval_in_secs: int) -> "Connection":
        """Connects to the broker at `address` (mqtt://host[:port]?client_id=ID),
        which the component's allowed_outbound_hosts must allow."""
        return _mode.returns(_open_now, cls, address, username, password,
                             keep_alive_interval_in_secs)

    def publish(self, topic: str, payload: bytes, qos: Qos) -> None:
        """Publishes `payload` to `topic` (no wildcards) with `qos`."""
        return _mode.returns(_publish_now, self, topic, payload, qos)

    def __repr__(self):
        state = "closed" if self._handle is None else "open"
        return f"<spin_sdk mqtt Connection ({state})>"
