/*
 * geo.h -- the `x-user-location` request header: the client's country from
 * a MaxMind DB (`pyedge up --geoip-db FILE.mmdb`), and which peers may set
 * the header themselves (`--trusted-proxy CIDR`, repeatable).
 *
 * The rule, per request (pe_geo_decide):
 *   - neither option given: pyedge is not the edge; a client's
 *     x-user-location passes through untouched (PE_GEO_PASS);
 *   - the peer address is inside a trusted proxy's CIDR: that proxy is the
 *     edge, its x-user-location (or its lack of one) is kept as sent, and
 *     no lookup is made, since the peer address is the proxy's, not the
 *     user's (PE_GEO_PASS);
 *   - otherwise the client's header is dropped, so nobody can claim a
 *     location, and with --geoip-db the header is set to the ISO 3166
 *     country code (country.iso_code) found for the peer address
 *     (PE_GEO_SET), or left out when the address is not in the database
 *     (PE_GEO_DROP).
 * IPv4-mapped IPv6 peers (::ffff:a.b.c.d) count as their IPv4 address.
 *
 * The database is opened once (memory-mapped) at start-up; a missing,
 * unreadable or corrupt file stops `pyedge up` with libmaxminddb's reason.
 * Lookups are read-only and safe from every worker thread at once.
 */
#ifndef PE_GEO_H
#define PE_GEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "services/pe_services.h"

typedef struct pe_geo pe_geo;

typedef enum pe_geo_verdict {
  PE_GEO_PASS, /* keep whatever x-user-location the client sent */
  PE_GEO_DROP, /* drop the client's; set none */
  PE_GEO_SET,  /* drop the client's; set the value written to out */
} pe_geo_verdict;

/* From o->geoip_db and o->trusted_proxies. *out is NULL when neither is
 * given (nothing to do). False with a message naming the option and value
 * that is wrong. */
bool pe_geo_open(const pe_services_options *o, pe_geo **out, char *err, size_t errlen);
void pe_geo_free(pe_geo *g);

/* The verdict for a request from client_ip ("127.0.0.1", "::1"); g may be
 * NULL (PE_GEO_PASS). For PE_GEO_SET, out (outlen >= 16) holds the code. */
pe_geo_verdict pe_geo_decide(const pe_geo *g, const char *client_ip, char *out, size_t outlen);

/* --- CIDR lists (geo_cidr.c) ------------------------------------------------ */

typedef struct pe_cidr {
  uint8_t addr[16]; /* IPv4 in the first 4 bytes */
  uint8_t family;   /* 4 or 6 */
  uint8_t prefix;   /* bits */
} pe_cidr;

/* Parses "10.0.0.0/8", "fd00::/8", or a bare address (one host). Bits past
 * the prefix are cleared. False for anything else. */
bool pe_cidr_parse(const char *s, pe_cidr *c);

/* An address in text form as (family, 16 bytes); IPv4-mapped IPv6 becomes
 * IPv4. False if it is not a numeric IPv4 or IPv6 address. */
bool pe_ip_parse(const char *s, uint8_t *family, uint8_t addr[16]);

bool pe_cidr_contains(const pe_cidr *c, uint8_t family, const uint8_t addr[16]);

#endif /* PE_GEO_H */
