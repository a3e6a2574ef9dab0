/*
 * geo.c -- x-user-location from a MaxMind DB (the rule is in geo.h).
 *
 * libmaxminddb maps the file once (MMDB_MODE_MMAP) and its lookups only
 * read it, so one MMDB_s serves every worker thread without a lock. The
 * peer address is parsed once with inet_pton (pe_ip_parse: the same parse
 * decides the trusted-proxy question) and looked up with
 * MMDB_lookup_sockaddr, which is MMDB_lookup_string without its
 * getaddrinfo call. What the database says is not trusted blindly: the
 * value must be a UTF-8 string of 1 to 8 ASCII letters, digits or '-'
 * (ISO 3166 codes are two letters) before it becomes a header; anything
 * else, a lookup error included, means no header.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <maxminddb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "geo.h"

#define MAX_PROXIES 64

struct pe_geo {
  bool have_db;
  MMDB_s db;
  pe_cidr proxies[MAX_PROXIES];
  int nproxies;
};

bool pe_geo_open(const pe_services_options *o, pe_geo **out, char *err, size_t errlen) {
  *out = NULL;
  if (!o || (!o->geoip_db && o->ntrusted_proxies == 0)) return true;
  if (o->ntrusted_proxies < 0 || o->ntrusted_proxies > MAX_PROXIES ||
      (o->ntrusted_proxies > 0 && !o->trusted_proxies)) {
    snprintf(err, errlen, "--trusted-proxy: at most %d blocks", MAX_PROXIES);
    return false;
  }
  pe_geo *g = calloc(1, sizeof *g);
  if (!g) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  for (int i = 0; i < o->ntrusted_proxies; i++) {
    const char *s = o->trusted_proxies[i];
    if (!s || !pe_cidr_parse(s, &g->proxies[i])) {
      snprintf(err, errlen,
               "--trusted-proxy '%.200s' is not an IP address or CIDR block (for example "
               "10.0.0.0/8, 192.0.2.7 or fd00::/8)",
               s ? s : "");
      free(g);
      return false;
    }
    g->nproxies = i + 1;
  }
  if (o->geoip_db) {
    struct stat st;
    if (stat(o->geoip_db, &st) != 0) {
      snprintf(err, errlen, "--geoip-db %.1000s: %s", o->geoip_db, strerror(errno));
      free(g);
      return false;
    }
    if (!S_ISREG(st.st_mode)) {
      snprintf(err, errlen, "--geoip-db %.1000s: not a regular file", o->geoip_db);
      free(g);
      return false;
    }
    int rc = MMDB_open(o->geoip_db, MMDB_MODE_MMAP, &g->db);
    if (rc != MMDB_SUCCESS) {
      snprintf(err, errlen, "--geoip-db %.1000s: not a usable MaxMind DB file: %s%s%s", o->geoip_db,
               MMDB_strerror(rc), rc == MMDB_IO_ERROR ? ": " : "",
               rc == MMDB_IO_ERROR ? strerror(errno) : "");
      free(g);
      return false;
    }
    g->have_db = true;
  }
  *out = g;
  return true;
}

void pe_geo_free(pe_geo *g) {
  if (!g) return;
  if (g->have_db) MMDB_close(&g->db);
  free(g);
}

static bool code_ok(const char *s, uint32_t n) {
  if (n == 0 || n > 8) return false;
  for (uint32_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
      return false;
  }
  return true;
}

/* country.iso_code for the address, into out; false if there is none. */
static bool lookup(const pe_geo *g, uint8_t family, const uint8_t addr[16], char *out,
                   size_t outlen) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  if (family == 4) {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    memcpy(&a->sin_addr, addr, 4);
  } else {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    memcpy(&a->sin6_addr, addr, 16);
  }
  int mmdb_err = MMDB_SUCCESS;
  /* MMDB_lookup_sockaddr takes a non-const MMDB_s but only reads it */
  MMDB_lookup_result_s r =
      MMDB_lookup_sockaddr((MMDB_s *)&g->db, (const struct sockaddr *)&ss, &mmdb_err);
  if (mmdb_err != MMDB_SUCCESS || !r.found_entry) return false;
  MMDB_entry_data_s d;
  if (MMDB_get_value(&r.entry, &d, "country", "iso_code", NULL) != MMDB_SUCCESS || !d.has_data ||
      d.type != MMDB_DATA_TYPE_UTF8_STRING || !code_ok(d.utf8_string, d.data_size) ||
      d.data_size >= outlen)
    return false;
  memcpy(out, d.utf8_string, d.data_size);
  out[d.data_size] = 0;
  return true;
}

pe_geo_verdict pe_geo_decide(const pe_geo *g, const char *client_ip, char *out, size_t outlen) {
  if (!g) return PE_GEO_PASS;
  uint8_t family, addr[16];
  if (!client_ip || !pe_ip_parse(client_ip, &family, addr)) return PE_GEO_DROP;
  for (int i = 0; i < g->nproxies; i++)
    if (pe_cidr_contains(&g->proxies[i], family, addr)) return PE_GEO_PASS;
  if (g->have_db && outlen >= 16 && lookup(g, family, addr, out, outlen)) return PE_GEO_SET;
  return PE_GEO_DROP;
}
