/*
 * fuzz_mqtt_addr.c -- the MQTT broker address a guest passes to
 * spin_sdk.mqtt.open (src/services/mqtt/mqtt_addr.c), parsed before any
 * policy decision or connection.
 *
 * Input: the address (all of it). A refusal must come with a message of
 * bounded length that names the address. An accepted address must hold
 * only what it promises -- scheme mqtt or tcp, a host of name characters
 * or a bracketed IPv6 address, a port from 1 to 65535, a client id of
 * UTF-8 without NUL that does not start with a space -- and the address
 * rebuilt from those parts (the client id percent-encoded byte by byte)
 * must parse back to exactly the same parts.
 */
#include <stdarg.h>

#include "fuzz_common.h"
#include "services/mqtt/mqtt_addr.h"
#include "services/svc_utf8.h"

static bool same(const pe_mqtt_addr *a, const pe_mqtt_addr *b) {
  return !strcmp(a->scheme, b->scheme) && !strcmp(a->host, b->host) && a->port == b->port &&
         !strcmp(a->client_id, b->client_id) && a->clean_session == b->clean_session;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size ? size : 1); /* no terminator: a read past the end is an ASan report */
  if (!s) abort();
  memcpy(s, data, size);
  pe_mqtt_addr a;
  char err[256];
  err[0] = 0;
  if (!pe_mqtt_addr_parse(s, size, &a, err, sizeof err)) {
    FZ_CHECK(strncmp(err, "invalid MQTT address '", 22) == 0 && strlen(err) < 250);
    free(s);
    return 0;
  }
  FZ_CHECK(!strcmp(a.scheme, "mqtt") || !strcmp(a.scheme, "tcp"));
  size_t hl = strlen(a.host);
  FZ_CHECK(hl > 0 && hl <= PE_MQTT_HOST_MAX + 2);
  if (a.host[0] == '[') {
    FZ_CHECK(hl > 2 && a.host[hl - 1] == ']');
    for (size_t i = 1; i + 1 < hl; i++) FZ_CHECK(strchr("0123456789abcdefABCDEF:.", a.host[i]));
  } else {
    for (size_t i = 0; i < hl; i++)
      FZ_CHECK(
          strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._", a.host[i]));
  }
  FZ_CHECK(a.port != 0);
  size_t il = strlen(a.client_id);
  FZ_CHECK(il > 0 && il <= PE_MQTT_CLIENT_ID_MAX && a.client_id[0] != ' ');
  FZ_CHECK(pe_svc_utf8_valid((const uint8_t *)a.client_id, il));

  /* rebuilt from the parts, it parses to the same parts */
  size_t cap = 64 + hl + 3 * il + 32;
  char *re = malloc(cap);
  if (!re) abort();
  int k = snprintf(re, cap, "%s://%s:%u?clean_session=%s&client_id=", a.scheme, a.host,
                   (unsigned)a.port, a.clean_session ? "true" : "false");
  FZ_CHECK(k > 0 && (size_t)k < cap);
  for (size_t i = 0; i < il; i++)
    k += snprintf(re + k, cap - (size_t)k, "%%%02X", (unsigned char)a.client_id[i]);
  pe_mqtt_addr b;
  if ((size_t)k <= PE_MQTT_ADDR_MAX) {
    FZ_CHECK(pe_mqtt_addr_parse(re, (size_t)k, &b, err, sizeof err));
    FZ_CHECK(same(&a, &b));
  }
  free(re);
  free(s);
  return 0;
}
