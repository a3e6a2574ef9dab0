"""spin-sdk 4.0 style outbound MQTT test component.

POST /v4/publish  as /v3/publish (mqttapp.py), awaiting open and publish;
                  "via": "sdk" (spin_sdk.mqtt) | "wit" (spin_mqtt_mqtt_3_0_0)
                  | "fermyon" (fermyon_spin_mqtt_2_0_0, synchronous)
"""

import base64
import json

from spin_sdk import http, mqtt
from spin_sdk.http import Request, Response
from spin_sdk.mqtt import Qos
from spin_sdk.wit.imports import fermyon_spin_mqtt_2_0_0 as fermyon_mqtt
from spin_sdk.wit.imports import spin_mqtt_mqtt_3_0_0 as wit_mqtt
from spin_sdk.wit.types import Err


def err(e, stage):
    v = e.value
    return {"stage": stage, "err": type(v).__name__, "msg": getattr(v, "value", None),
            "notes": getattr(e, "__notes__", [])}


async def publish(doc):
    via = doc.get("via", "sdk")
    args = (doc["address"], doc.get("user", ""), doc.get("password", ""), doc.get("keep_alive", 30))
    try:
        if via == "fermyon":
            conn = fermyon_mqtt.Connection.open(*args)
        elif via == "wit":
            conn = await wit_mqtt.Connection.open(*args)
        else:
            conn = await mqtt.open(*args)
    except Err as e:
        return err(e, "open")
    n = 0
    with conn:
        for topic, payload, qos in doc.get("msgs", []):
            try:
                if via == "fermyon":
                    conn.publish(topic, base64.b64decode(payload), Qos(qos))
                else:
                    await conn.publish(topic, base64.b64decode(payload), Qos(qos))
            except Err as e:
                return dict(err(e, "publish"), published=n)
            n += 1
    return {"ok": True, "published": n}


class HttpHandler(http.Handler):
    async def handle_request(self, request: Request) -> Response:
        doc = json.loads(request.body or b"{}")
        out = await publish(doc)
        return Response(200, {"content-type": "application/json"}, json.dumps(out).encode())
