/*
 * mqtt_addr.h -- the broker address a guest gives spin_sdk.mqtt.open,
 * parsed strictly (svc_mqtt.c; tests/fuzz/fuzz_mqtt_addr.c).
 *
 *   mqtt://host[:port][/][?client_id=ID[&name=value...]]
 *
 * The form Spin reads (rumqttc's MqttOptions::parse_url): scheme `mqtt` or
 * `tcp` (plain TCP, port 1883 by default); `client_id` is required; the
 * other parameters rumqttc knows are checked and accepted: `clean_session`
 * (true/false, used), `keep_alive_secs` (the open call's own argument wins,
 * as in Spin), and rumqttc's client tuning (`max_incoming_packet_size_bytes`,
 * `max_outgoing_packet_size_bytes`, `request_channel_capacity_num`,
 * `max_request_batch_num`, `pending_throttle_usecs`, `inflight_num`,
 * `conn_timeout_secs`: numbers, not used by pyedge). Any other parameter is
 * refused, as rumqttc refuses it. `mqtts`/`ssl`/`ws`/`wss` are refused:
 * pyedge speaks MQTT over plain TCP only. A user:password@ in the address
 * is refused too (Spin takes the credentials from open's arguments, which
 * replace any in the address).
 *
 * Values are percent-decoded ('+' is a space, as in a form). The host is a
 * name of letters, digits, '-', '.', '_', an IPv4 address or a bracketed
 * IPv6 address; whether it may be reached is pe_svc_outbound_check's
 * decision, not this parser's.
 */
#ifndef PE_MQTT_ADDR_H
#define PE_MQTT_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/pe_assert.h"

#define PE_MQTT_ADDR_MAX 4096      /* the whole address */
#define PE_MQTT_HOST_MAX 253       /* as DNS names; "[v6]" fits too */
#define PE_MQTT_CLIENT_ID_MAX 1024 /* decoded bytes (MQTT allows 65535; brokers far fewer) */
#define PE_MQTT_DEFAULT_PORT 1883

typedef struct pe_mqtt_addr {
  char scheme[8];                            /* "mqtt" or "tcp", lower-case */
  char host[PE_MQTT_HOST_MAX + 3];           /* as written (IPv6 keeps its brackets), NUL-ended */
  uint16_t port;                             /* 1883 when not given */
  char client_id[PE_MQTT_CLIENT_ID_MAX + 1]; /* decoded, UTF-8, no NUL, NUL-ended */
  bool clean_session;                        /* default true */
} pe_mqtt_addr;

/* Parses s[0..n) into *a; false with a message (which quotes no more than
 * 64 bytes of the input) in err. */
PE_MUST_CHECK bool pe_mqtt_addr_parse(const char *s, size_t n, pe_mqtt_addr *a, char *err,
                                      size_t errlen);

#endif /* PE_MQTT_ADDR_H */
