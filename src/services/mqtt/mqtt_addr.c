/*
 * mqtt_addr.c -- parses a guest's MQTT broker address (mqtt_addr.h).
 * Every byte is the guest's: each part is checked against the characters
 * it may hold before it is copied, and every copy against its buffer.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mqtt_addr.h"
#include "services/svc_addr.h"
#include "services/svc_utf8.h"

static bool fail(char *err, size_t errlen, const char *s, size_t n, const char *fmt, ...) {
  char why[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  /* quote at most 64 bytes, printable ASCII only */
  char shown[65];
  size_t k = 0;
  for (size_t i = 0; i < n && k < 64; i++) shown[k++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
  shown[k] = 0;
  snprintf(err, errlen, "invalid MQTT address '%s%s': %s", shown, n > 64 ? "..." : "", why);
  return false;
}

/* Query bytes a URL may hold unencoded (RFC 3986 query: pchar / "/" / "?"),
 * less '&' and '=', which separate. */
static bool query_char(unsigned char c) {
  if (c >= 'a' && c <= 'z') return true;
  if (c >= 'A' && c <= 'Z') return true;
  if (c >= '0' && c <= '9') return true;
  return strchr("-._~!$'()*+,;:@/?%", c) != NULL && c != 0;
}

/* Percent-decodes p[0..n) into out (capacity cap, NUL added); '+' is a
 * space. The length decoded, or -1 for a bad escape or too long. */
static long decode(const char *p, size_t n, char *out, size_t cap) {
  return pe_svc_pct_decode(p, n, out, cap, PE_PCT_PLUS);
}

static bool is_digits(const char *v, size_t n) {
  if (n == 0 || n > 20) return false;
  for (size_t i = 0; i < n; i++)
    if (v[i] < '0' || v[i] > '9') return false;
  return true;
}

static bool host_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

/* rumqttc's tuning parameters: numbers it uses, pyedge does not */
static const char *const numeric_params[] = {
    "keep_alive_secs",
    "max_incoming_packet_size_bytes",
    "max_outgoing_packet_size_bytes",
    "request_channel_capacity_num",
    "max_request_batch_num",
    "pending_throttle_usecs",
    "inflight_num",
    "conn_timeout_secs",
};

static bool query_param(const char *name, size_t nl, const char *val, size_t vl, pe_mqtt_addr *a,
                        bool *have_id, const char *s, size_t n, char *err, size_t errlen) {
  char key[40];
  if (decode(name, nl, key, sizeof key) < 0)
    return fail(err, errlen, s, n, "unknown or malformed query parameter");
  if (strcmp(key, "client_id") == 0) {
    if (*have_id) return fail(err, errlen, s, n, "client_id is given twice");
    long k = decode(val, vl, a->client_id, sizeof a->client_id);
    if (k < 0)
      return fail(err, errlen, s, n, "client_id is malformed or longer than %d bytes",
                  PE_MQTT_CLIENT_ID_MAX);
    if (k == 0 || a->client_id[0] == ' ')
      return fail(err, errlen, s, n, "client_id must not be empty or start with a space");
    if (memchr(a->client_id, 0, (size_t)k) ||
        !pe_svc_utf8_valid((const uint8_t *)a->client_id, (size_t)k))
      return fail(err, errlen, s, n, "client_id must be UTF-8 text without NUL");
    *have_id = true;
    return true;
  }
  char v[24];
  long vk = decode(val, vl, v, sizeof v);
  if (strcmp(key, "clean_session") == 0) {
    if (vk == 4 && strcmp(v, "true") == 0)
      a->clean_session = true;
    else if (vk == 5 && strcmp(v, "false") == 0)
      a->clean_session = false;
    else
      return fail(err, errlen, s, n, "clean_session must be true or false");
    return true;
  }
  for (size_t i = 0; i < sizeof numeric_params / sizeof *numeric_params; i++)
    if (strcmp(key, numeric_params[i]) == 0) {
      if (vk < 0 || !is_digits(v, (size_t)vk))
        return fail(err, errlen, s, n, "%s must be a number", key);
      return true;
    }
  return fail(err, errlen, s, n, "unknown query parameter '%s'", key);
}

bool pe_mqtt_addr_parse(const char *s, size_t n, pe_mqtt_addr *a, char *err, size_t errlen) {
  memset(a, 0, sizeof *a);
  a->clean_session = true;
  if (n == 0) return fail(err, errlen, s, n, "it is empty");
  if (n > PE_MQTT_ADDR_MAX)
    return fail(err, errlen, s, n, "longer than %d bytes", PE_MQTT_ADDR_MAX);
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
      return fail(err, errlen, s, n,
                  "spaces, control characters and non-ASCII bytes must be "
                  "percent-encoded");

  /* scheme */
  const char *sep = NULL;
  for (size_t i = 0; i + 2 < n; i++)
    if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/') {
      sep = s + i;
      break;
    }
  if (!sep) return fail(err, errlen, s, n, "expected mqtt://host[:port]?client_id=...");
  size_t sl = (size_t)(sep - s);
  char scheme[8];
  if (sl == 0 || sl >= sizeof scheme) return fail(err, errlen, s, n, "unknown scheme");
  for (size_t i = 0; i < sl; i++) {
    char c = s[i];
    scheme[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
  }
  scheme[sl] = 0;
  if (strcmp(scheme, "mqtts") == 0 || strcmp(scheme, "ssl") == 0 || strcmp(scheme, "ws") == 0 ||
      strcmp(scheme, "wss") == 0)
    return fail(err, errlen, s, n,
                "pyedge connects to MQTT brokers over plain TCP only "
                "(mqtt:// or tcp://), not %s://",
                scheme);
  if (strcmp(scheme, "mqtt") != 0 && strcmp(scheme, "tcp") != 0)
    return fail(err, errlen, s, n, "the scheme must be mqtt:// or tcp://");
  memcpy(a->scheme, scheme, sl + 1);

  /* authority: up to the first '/', '?' or '#' */
  const char *p = sep + 3, *end = s + n;
  const char *auth_end = p;
  while (auth_end < end && *auth_end != '/' && *auth_end != '?' && *auth_end != '#') auth_end++;
  if (memchr(p, '@', (size_t)(auth_end - p)))
    return fail(err, errlen, s, n, "user and password go in open()'s arguments, not the address");
  const char *host = p, *host_end;
  if (p < auth_end && *p == '[') {
    const char *rb = memchr(p, ']', (size_t)(auth_end - p));
    if (!rb) return fail(err, errlen, s, n, "an IPv6 address needs its closing ']'");
    for (const char *q = p + 1; q < rb; q++) {
      char c = *q;
      if (!(isxdigit((unsigned char)c) || c == ':' || c == '.'))
        return fail(err, errlen, s, n, "bad character in the IPv6 address");
    }
    host_end = rb + 1;
  } else {
    host_end = p;
    while (host_end < auth_end && *host_end != ':') {
      if (!host_char((unsigned char)*host_end))
        return fail(err, errlen, s, n, "bad character in the host name");
      host_end++;
    }
  }
  size_t hl = (size_t)(host_end - host);
  if (hl == 0 || (hl == 2 && host[0] == '[')) return fail(err, errlen, s, n, "it names no host");
  if (hl > PE_MQTT_HOST_MAX + 2) return fail(err, errlen, s, n, "the host is too long");
  memcpy(a->host, host, hl);
  a->host[hl] = 0;

  a->port = PE_MQTT_DEFAULT_PORT;
  if (host_end < auth_end) {
    if (*host_end != ':') return fail(err, errlen, s, n, "unexpected text after the host");
    const char *q = host_end + 1;
    if (q == auth_end) return fail(err, errlen, s, n, "the port is empty");
    unsigned long port = 0;
    for (; q < auth_end; q++) {
      if (*q < '0' || *q > '9' || (port = port * 10 + (unsigned long)(*q - '0')) > 65535)
        return fail(err, errlen, s, n, "the port must be a number from 1 to 65535");
    }
    if (port == 0) return fail(err, errlen, s, n, "the port must be a number from 1 to 65535");
    a->port = (uint16_t)port;
  }

  /* path: none, or "/" */
  p = auth_end;
  if (p < end && *p == '/') {
    p++;
    if (p < end && *p != '?' && *p != '#')
      return fail(err, errlen, s, n, "an MQTT address has no path");
  }
  if (p < end && *p == '#') return fail(err, errlen, s, n, "an MQTT address has no fragment");

  /* query */
  bool have_id = false;
  if (p < end && *p == '?') {
    p++;
    while (p < end) {
      const char *pe = p;
      while (pe < end && *pe != '&') {
        if (*pe == '#') return fail(err, errlen, s, n, "an MQTT address has no fragment");
        if (*pe != '=' && !query_char((unsigned char)*pe))
          return fail(err, errlen, s, n, "bad character in the query");
        pe++;
      }
      if (pe > p) {
        const char *eq = memchr(p, '=', (size_t)(pe - p));
        const char *val = eq ? eq + 1 : pe;
        size_t nl = (size_t)((eq ? eq : pe) - p);
        if (!query_param(p, nl, val, (size_t)(pe - val), a, &have_id, s, n, err, errlen))
          return false;
      }
      p = pe < end ? pe + 1 : pe;
    }
  }
  if (!have_id) return fail(err, errlen, s, n, "it needs a client id: ?client_id=NAME");
  return true;
}
