"""spin_sdk.mqtt: publishing to MQTT brokers (Spin's outbound MQTT).

    from spin_sdk import mqtt
    from spin_sdk.mqtt import Qos

    # spin-sdk 3.x (class IncomingHandler)
    with mqtt.open("mqtt://127.0.0.1:1883?client_id=sensor-1", "user", "pw", 30) as conn:
        conn.publish("telemetry", b"21.5", Qos.AT_LEAST_ONCE)

    # spin-sdk 4.0 (class HttpHandler)
    with await mqtt.open("mqtt://127.0.0.1:1883?client_id=sensor-1", "user", "pw", 30) as conn:
        await conn.publish("telemetry", b"21.5", Qos.AT_LEAST_ONCE)

Which of the two shapes a call has follows the app's handler
(spin_sdk._mode). The broker's address must be allowed by the component's
`allowed_outbound_hosts` (`mqtt://127.0.0.1:1883`, `mqtt://*:*`...); an
empty user name connects without credentials. Errors:
`spin_sdk.wit.types.Err` whose `.value` is an Error_* variant of
spin_sdk.wit.imports.mqtt (see there for when each is raised).
"""

from spin_sdk.wit.imports.mqtt import (Connection, Error, Error_ConnectionFailed,
                                       Error_InvalidAddress, Error_Other,
                                       Error_TooManyConnections, Qos)

__all__ = ["open", "Connection", "Qos", "Error", "Error_InvalidAddress",
           "Error_TooManyConnections", "Error_ConnectionFailed", "Error_Other"]


def open(address: str, username: str, password: str,
         keep_alive_interval_in_secs: int) -> Connection:
    """Connects to the MQTT broker at `address`
    (mqtt://host[:port]?client_id=ID); awaitable in spin-sdk 4.0 apps."""
    return Connection.open(address, username, password, keep_alive_interval_in_secs)
