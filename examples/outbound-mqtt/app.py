"""Outbound MQTT: each request publishes "Eureka!" to the topic `telemetry`
with QoS 1, as user "user" with password "password", and answers once the
broker has acknowledged it."""

from spin_sdk import http, mqtt, variables
from spin_sdk.http import Request, Response
from spin_sdk.mqtt import Qos


class HttpHandler(http.Handler):
    async def handle_request(self, request: Request) -> Response:
        address = await variables.get("mqtt_address")
        with await mqtt.open(address, "user", "password", 30) as conn:
            await conn.publish("telemetry", "Eureka!".encode(), Qos.AT_LEAST_ONCE)
        return Response(200, {"content-type": "text/plain"}, b"Sent outbound mqtt message!")
