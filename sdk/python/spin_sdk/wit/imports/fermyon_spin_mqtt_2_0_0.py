"""spin_sdk.wit.imports.fermyon_spin_mqtt_2_0_0: fermyon:spin/mqtt@2.0.0,
whose functions are synchronous in every spin-sdk generation: the same
Qos and error variants as spin_sdk.wit.imports.mqtt (see its docstring),
and a Connection whose open() and publish() always return plain values."""

from spin_sdk.wit.imports import mqtt as _m
from spin_sdk.wit.imports.mqtt import (Error, Error_ConnectionFailed, Error_InvalidAddress,  # noqa: F401
                                       Error_Other, Error_TooManyConnections, Payload, Qos)

__all__ = _m.__all__


class Connection(_m.Connection):
    __slots__ = ()

    @classmethod
    def open(cls, address: str, username: str, password: str,
             keep_alive_interval_in_secs: int) -> "Connection":
        return _m._open_now(cls, address, username, password, keep_alive_interval_in_secs)

    def publish(self, topic: str, payload: bytes, qos: Qos) -> None:
        return _m._publish_now(self, topic, payload, qos)
