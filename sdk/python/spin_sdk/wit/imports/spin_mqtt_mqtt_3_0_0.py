"""spin_sdk.wit.imports.spin_mqtt_mqtt_3_0_0: spin:mqtt/mqtt@3.0.0 (spin-sdk
4.0), whose open and publish are async: the same Qos and error variants
as spin_sdk.wit.imports.mqtt (see its docstring), and a Connection whose
open() and publish() are always coroutines."""

from spin_sdk.wit.imports import mqtt as _m
from spin_sdk.wit.imports.mqtt import (Error, Error_ConnectionFailed, Error_InvalidAddress,  # noqa: F401
                                       Error_Other, Error_TooManyConnections, Payload, Qos)

__all__ = _m.__all__


class Connection(_m.Connection):
    __slots__ = ()

    @classmethod
    async def open(cls, address: str, username: str, password: str,
                   keep_alive_interval_in_secs: int) -> "Connection":
        return _m._open_now(cls, address, username, password, keep_alive_interval_in_secs)

    async def publish(self, topic: str, payload: bytes, qos: Qos) -> None:
        return _m._publish_now(self, topic, payload, qos)
