/*
 * geo_cidr.c -- CIDR blocks for --trusted-proxy (geo.h): parsing with
 * inet_pton (numeric addresses only, no name lookups) and a strict decimal
 * prefix, and bitwise containment. An IPv4 block never contains an IPv6
 * address or the other way round; IPv4-mapped IPv6 addresses are turned
 * into IPv4 first so a dual-stack listener sees the same peer either way.
 */
#include <arpa/inet.h>
#include <string.h>

#include "geo.h"

bool pe_ip_parse(const char *s, uint8_t *family, uint8_t addr[16]) {
  memset(addr, 0, 16);
  if (inet_pton(AF_INET, s, addr) == 1) {
    *family = 4;
    return true;
  }
  uint8_t a6[16];
  if (inet_pton(AF_INET6, s, a6) != 1) return false;
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (memcmp(a6, mapped, 12) == 0) {
    memcpy(addr, a6 + 12, 4);
    *family = 4;
  } else {
    memcpy(addr, a6, 16);
    *family = 6;
  }
  return true;
}

static void clear_host_bits(uint8_t addr[16], unsigned prefix) {
  for (unsigned bit = prefix; bit < 128; bit++) addr[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
}

bool pe_cidr_parse(const char *s, pe_cidr *c) {
  char host[64];
  const char *slash = strchr(s, '/');
  size_t hl = slash ? (size_t)(slash - s) : strlen(s);
  if (hl == 0 || hl >= sizeof host) return false;
  memcpy(host, s, hl);
  host[hl] = 0;
  memset(c, 0, sizeof *c);
  /* a plain address only: "::ffff:10.0.0.1/104" style mapped blocks are
   * not needed, and pe_ip_parse would turn them into IPv4 */
  if (inet_pton(AF_INET, host, c->addr) == 1)
    c->family = 4;
  else if (inet_pton(AF_INET6, host, c->addr) == 1)
    c->family = 6;
  else
    return false;
  unsigned max = c->family == 4 ? 32 : 128, prefix = max;
  if (slash) {
    const char *p = slash + 1;
    size_t n = strlen(p);
    if (n == 0 || n > 3 || strspn(p, "0123456789") != n || (n > 1 && p[0] == '0')) return false;
    prefix = 0;
    for (size_t i = 0; i < n; i++) prefix = prefix * 10 + (unsigned)(p[i] - '0');
    if (prefix > max) return false;
  }
  c->prefix = (uint8_t)prefix;
  clear_host_bits(c->addr, prefix); /* IPv4 sits in the first 4 bytes */
  return true;
}

bool pe_cidr_contains(const pe_cidr *c, uint8_t family, const uint8_t addr[16]) {
  if (family != c->family) return false;
  unsigned full = c->prefix / 8, rest = c->prefix % 8;
  if (memcmp(c->addr, addr, full) != 0) return false;
  if (rest == 0) return true;
  uint8_t mask = (uint8_t)(0xffu << (8 - rest));
  return (c->addr[full] & mask) == (addr[full] & mask);
}
