"""spin-sdk 3.x style outbound MQTT test component.

POST /v3/publish  {"address", "user", "password", "keep_alive",
                   "msgs": [[topic, b64 payload | {"zeros": n}, qos 0-2]
                            | ["sleep", ms], ...],
                   "via": "sdk" | "wit" | "fermyon" (which module opens)}
    -> {"ok": true, "published": n} or {"stage": "open"|"publish",
       "err": "<Error_* name>", "msg": str|None, "notes": [...]}
POST /v3/many     {"address", "n"}: opens n connections (client ids
                   <address's>-0...), returns {"opened": k, "err": ...}
POST /v3/with     {"address"}: publishes inside a `with` block, then once
                   after it (must fail: the connection is closed)
POST /v3/kept     {"address", "topic"}: the first request in a sandbox
                   keeps a connection in a global and publishes "first";
                   a later request in the reused sandbox publishes with
                   the kept one (must fail) and then with a new one
POST /v3/types    {"address"}: wrong argument types -> TypeError names
POST /v3/raw      a probe script (probe.py)
"""

import base64
import json
import time

import probe
from spin_sdk import http, mqtt
from spin_sdk.http import Response
from spin_sdk.mqtt import Qos
from spin_sdk.wit.imports import fermyon_spin_mqtt_2_0_0 as fermyon_mqtt
from spin_sdk.wit.imports import mqtt as wit_mqtt
from spin_sdk.wit.types import Err


def err(e, stage):
    v = e.value
    return {"stage": stage, "err": type(v).__name__, "msg": getattr(v, "value", None),
            "notes": getattr(e, "__notes__", [])}


def opener(via):
    if via == "wit":
        return wit_mqtt.Connection.open
    if via == "fermyon":
        return fermyon_mqtt.Connection.open
    return mqtt.open


def publish(doc):
    try:
        conn = opener(doc.get("via", "sdk"))(doc["address"], doc.get("user", ""),
                                             doc.get("password", ""), doc.get("keep_alive", 30))
    except Err as e:
        return err(e, "open")
    n = 0
    with conn:
        for item in doc.get("msgs", []):
            if item[0] == "sleep":  # ["sleep", ms]: the test acts on the broker meanwhile
                time.sleep(item[1] / 1000)
                continue
            topic, payload, qos = item
            try:
                if isinstance(payload, dict):
                    payload = bytes(payload["zeros"])
                else:
                    payload = base64.b64decode(payload)
                conn.publish(topic, payload, Qos(qos))
            except Err as e:
                return dict(err(e, "publish"), published=n)
            n += 1
    return {"ok": True, "published": n}


def many(doc):
    conns = []
    try:
        for i in range(doc["n"]):
            conns.append(mqtt.open(f"{doc['address']}-{i}", "", "", 30))
    except Err as e:
        return dict(err(e, "open"), opened=len(conns))
    return {"opened": len(conns)}


def with_block(doc):
    with mqtt.open(doc["address"], "", "", 30) as conn:
        conn.publish("with/inside", b"inside", Qos.AT_LEAST_ONCE)
    try:
        conn.publish("with/after", b"after", Qos.AT_LEAST_ONCE)
        return {"after": "published"}
    except Err as e:
        return err(e, "publish")


_kept = None


def kept(doc):
    global _kept
    if _kept is None:
        _kept = mqtt.open(doc["address"], "", "", 30)
        _kept.publish(doc["topic"], b"first", Qos.AT_LEAST_ONCE)
        return {"first": True}
    out = {"first": False}
    try:
        _kept.publish(doc["topic"], b"kept", Qos.AT_LEAST_ONCE)
        out["kept"] = "published"
    except Err as e:
        out["kept"] = err(e, "publish")
    with mqtt.open(doc["address"] + "-fresh", "", "", 30) as fresh:
        fresh.publish(doc["topic"], b"fresh", Qos.AT_LEAST_ONCE)
    return out


def types(doc):
    out = []
    attempts = [
        lambda: mqtt.open(b"mqtt://127.0.0.1:1?client_id=x", "", "", 30),
        lambda: mqtt.open(doc["address"], None, "", 30),
        lambda: mqtt.open(doc["address"], "", "", "30"),
        lambda: mqtt.open(doc["address"], "", "", -1),
    ]
    for a in attempts:
        try:
            a()
            out.append("no error")
        except Err as e:
            out.append(err(e, "open"))
        except (TypeError, OverflowError) as e:
            out.append(type(e).__name__)
    with mqtt.open(doc["address"], "", "", 30) as conn:
        for a in (lambda: conn.publish("t", "text", Qos.AT_MOST_ONCE),
                  lambda: conn.publish("t", b"x", 1),
                  lambda: conn.publish(7, b"x", Qos.AT_MOST_ONCE)):
            try:
                a()
                out.append("no error")
            except TypeError as e:
                out.append(type(e).__name__)
    return out


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request):
        path = request.uri.split("?")[0]
        if path.endswith("/raw"):
            return probe.response(request.body)
        doc = json.loads(request.body or b"{}")
        if path.endswith("/publish"):
            out = publish(doc)
        elif path.endswith("/many"):
            out = many(doc)
        elif path.endswith("/with"):
            out = with_block(doc)
        elif path.endswith("/kept"):
            out = kept(doc)
        elif path.endswith("/types"):
            out = types(doc)
        else:
            return Response(404, {}, b"")
        return Response(200, {"content-type": "application/json"}, json.dumps(out).encode())
