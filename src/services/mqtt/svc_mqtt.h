/*
 * svc_mqtt.h -- the "mqtt" service area: outbound MQTT publishing for
 * spin_sdk.mqtt (docs/hostcall.md).
 *
 *   mqtt.open    [address, username, password, keep_alive_secs u64]
 *                -> OK [handle u64]
 *   mqtt.publish [handle u64, topic, payload, qos u64 (0, 1, 2)] -> OK []
 *   mqtt.close   [handle u64] -> OK []
 *
 * One broker connection per open (libmosquitto, MQTT 3.1.1, plain TCP),
 * made and acknowledged (CONNACK) before open returns; publish returns once
 * the message is written (QoS 0), acknowledged (QoS 1, PUBACK) or complete
 * (QoS 2, PUBCOMP). Connections belong to the request (svc_conns.h: at most
 * PE_MQTT_MAX_CONNS, DISCONNECT and closed when the request ends, never
 * pooled). Waiting is bounded by the request's deadline and by the caps
 * below.
 */
#ifndef PE_SVC_MQTT_H
#define PE_SVC_MQTT_H

#include "services/services_int.h"

#define PE_MQTT_MAX_CONNS 8
#define PE_MQTT_CONNECT_MS 10000u /* TCP connect and CONNACK */
#define PE_MQTT_PUBLISH_MS 10000u /* write and PUBACK / PUBCOMP */
#define PE_MQTT_MAX_PAYLOAD (16u << 20)
#define PE_MQTT_MAX_TOPIC 65535u /* MQTT's own limit */
#define PE_MQTT_MAX_CREDENTIAL 65535u

bool pe_svc_mqtt_open(pe_services *s, char *err, size_t errlen);
void pe_svc_mqtt_close(pe_services *s);
void pe_svc_mqtt_call(pe_svc_request *rq, const char *op, const uint8_t *in, size_t n, pe_buf *out);
void pe_svc_mqtt_request_end(pe_svc_request *rq);

/* Loads libmosquitto now (serve_lockdown.c, before the filter forbids
 * mapping code); false with the reason, which is not fatal: open calls
 * then fail with it. */
bool pe_svc_mqtt_preload(char *err, size_t errlen);

#endif /* PE_SVC_MQTT_H */
