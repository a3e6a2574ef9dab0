/*
 * pg_conninfo.c -- the guest's PostgreSQL connection string (pg_conninfo.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_conninfo.h"
#include "services/svc_addr.h"

/* The options a component may set: none names a file of the host or
 * another host. (host and port are read apart.) */
static const char *const allowed[] = {
    "dbname",
    "user",
    "password",
    "sslmode",
    "options",
    "application_name",
    "connect_timeout",
    "channel_binding",
    "target_session_attrs",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
};

/* A host libpq would take as one TCP host: a name or an address, never a
 * socket directory, a list or an empty string. */
static bool set_host(pe_pg_conninfo *ci, const char *v, size_t n, char *err, size_t errlen) {
  if (n == 0)
    return pe_svc_addr_fail(err, errlen,
                            "an empty host means a local socket, which is not allowed");
  if (n >= sizeof ci->host) return pe_svc_addr_fail(err, errlen, "the host is too long");
  bool colon = false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)v[i];
    if (c == ',') return pe_svc_addr_fail(err, errlen, "only one host may be given");
    if (c == '/' || c == '@')
      return pe_svc_addr_fail(err, errlen,
                              "the host must be a name or an address, not a socket path");
    if (c == ':') colon = true;
    if (!isalnum(c) && c != '.' && c != '-' && c != '_' && c != ':')
      return pe_svc_addr_fail(err, errlen, "the host has a character a host name cannot hold");
  }
  if (colon) /* an IPv6 address: hex digits, colons and dots only */
    for (size_t i = 0; i < n; i++)
      if (!isxdigit((unsigned char)v[i]) && v[i] != ':' && v[i] != '.')
        return pe_svc_addr_fail(err, errlen, "the host is not a valid IPv6 address");
  memcpy(ci->host, v, n);
  ci->host[n] = 0;
  return true;
}

static bool set_port(pe_pg_conninfo *ci, const char *v, size_t n, char *err, size_t errlen) {
  unsigned long port = 0;
  if (n == 0 || n > 5)
    return pe_svc_addr_fail(err, errlen, "the port must be one number from 1 to 65535");
  for (size_t i = 0; i < n; i++) {
    if (!isdigit((unsigned char)v[i]))
      return pe_svc_addr_fail(err, errlen, "the port must be one number from 1 to 65535");
    port = port * 10 + (unsigned long)(v[i] - '0');
  }
  if (port == 0 || port > 65535)
    return pe_svc_addr_fail(err, errlen, "the port must be one number from 1 to 65535");
  ci->port = (uint16_t)port;
  return true;
}

/* One keyword and its (already unquoted or decoded) value. */
static bool add(pe_pg_conninfo *ci, const char *k, size_t kn, const char *v, size_t vn, char *err,
                size_t errlen) {
  if (memchr(v, 0, vn)) return pe_svc_addr_fail(err, errlen, "a value holds a NUL byte");
  if (kn == 4 && !memcmp(k, "host", 4)) return set_host(ci, v, vn, err, errlen);
  if (kn == 4 && !memcmp(k, "port", 4)) return set_port(ci, v, vn, err, errlen);
  const char *name = NULL;
  for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
    if (strlen(allowed[i]) == kn && !memcmp(allowed[i], k, kn)) name = allowed[i];
  if (!name) {
    bool printable = kn <= 40;
    for (size_t i = 0; printable && i < kn; i++)
      printable = isalnum((unsigned char)k[i]) || k[i] == '_';
    return pe_svc_addr_fail(
        err, errlen,
        "the connection option '%.*s' is not supported (pyedge accepts host, port, "
        "dbname, user, password, sslmode, options, application_name, connect_timeout, "
        "channel_binding, target_session_attrs, keepalives*, tcp_user_timeout)",
        printable ? (int)kn : 1, printable ? k : "?");
  }
  if (!strcmp(name, "sslmode")) {
    static const char *const modes[] = {"disable", "allow", "prefer", "require"};
    bool ok = false;
    for (size_t i = 0; i < 4; i++) ok |= strlen(modes[i]) == vn && !memcmp(modes[i], v, vn);
    if (!ok)
      return pe_svc_addr_fail(
          err, errlen,
          "sslmode must be disable, allow, prefer or require (verify-ca and verify-full "
          "need a root certificate file, which a component cannot name)");
  }
  unsigned at = ci->n;
  for (unsigned i = 0; i < ci->n; i++)
    if (!strcmp(ci->key[i], name)) at = i; /* a repeated keyword: the last one wins, as in libpq */
  if (at == ci->n && ci->n == PE_PG_MAX_OPTS)
    return pe_svc_addr_fail(err, errlen, "too many options");
  char *copy = malloc(vn + 1);
  if (!copy) return pe_svc_addr_fail(err, errlen, "out of memory");
  memcpy(copy, v, vn);
  copy[vn] = 0;
  if (at == ci->n) {
    ci->key[at] = (char *)name;
    ci->val[at] = NULL;
    ci->n++;
  }
  free(ci->val[at]);
  ci->val[at] = copy;
  return true;
}

/* ---- key=value form ----------------------------------------------------- */

static bool parse_pairs(const char *s, size_t len, pe_pg_conninfo *ci, char *buf, char *err,
                        size_t errlen) {
  size_t i = 0;
  for (;;) {
    while (i < len && isspace((unsigned char)s[i])) i++;
    if (i == len) return true;
    size_t k0 = i;
    while (i < len && !isspace((unsigned char)s[i]) && s[i] != '=') i++;
    size_t kn = i - k0;
    while (i < len && isspace((unsigned char)s[i])) i++;
    if (kn == 0 || i == len || s[i] != '=')
      return pe_svc_addr_fail(err, errlen, "expected keyword=value in the connection string");
    i++;
    while (i < len && isspace((unsigned char)s[i])) i++;
    size_t vn = 0;
    if (i < len && s[i] == '\'') {
      i++;
      for (;;) {
        if (i == len) return pe_svc_addr_fail(err, errlen, "unterminated quoted value");
        if (s[i] == '\'') {
          i++;
          break;
        }
        if (s[i] == '\\') {
          if (++i == len) return pe_svc_addr_fail(err, errlen, "unterminated quoted value");
        }
        buf[vn++] = s[i++];
      }
    } else {
      while (i < len && !isspace((unsigned char)s[i])) {
        if (s[i] == '\\' && i + 1 < len) i++;
        buf[vn++] = s[i++];
      }
    }
    if (!add(ci, s + k0, kn, buf, vn, err, errlen)) return false;
  }
}

/* ---- URL form ----------------------------------------------------------- */

/* Percent-decodes s[0..n) into buf, which holds at least n + 1 bytes
 * (the whole string's length + 1); its length, or -1 when malformed. */
static long decode(const char *s, size_t n, char *buf) {
  return pe_svc_pct_decode(s, n, buf, n + 1, 0);
}

static bool add_decoded(pe_pg_conninfo *ci, const char *k, const char *v, size_t vn, char *buf,
                        char *err, size_t errlen) {
  long n = decode(v, vn, buf);
  if (n < 0) return pe_svc_addr_fail(err, errlen, "bad %%-encoding in the %s of the URL", k);
  return add(ci, k, strlen(k), buf, (size_t)n, err, errlen);
}

static bool parse_url(const char *s, size_t len, pe_pg_conninfo *ci, char *buf, char *err,
                      size_t errlen) {
  const char *end = s + len, *p = memchr(s, ':', len) + 3; /* after "://" */
  const char *auth_end = p;
  while (auth_end < end && *auth_end != '/' && *auth_end != '?') auth_end++;
  pe_svc_authority a;
  pe_svc_url_authority(p, (size_t)(auth_end - p), &a);
  if (a.user.p && !add_decoded(ci, "user", a.user.p, a.user.n, buf, err, errlen)) return false;
  if (a.password.p && !add_decoded(ci, "password", a.password.p, a.password.n, buf, err, errlen))
    return false;
  /* host[:port] */
  if (!a.host.p) return pe_svc_addr_fail(err, errlen, "unterminated [ in the URL's host");
  const char *h = a.host.p, *hend = h + a.host.n;
  p = a.rest.p;
  if (hend > h) {
    long n = decode(h, (size_t)(hend - h), buf);
    if (n < 0) return pe_svc_addr_fail(err, errlen, "bad %%-encoding in the host of the URL");
    if (!set_host(ci, buf, (size_t)n, err, errlen)) return false;
  }
  if (p < auth_end) {
    if (*p != ':') return pe_svc_addr_fail(err, errlen, "unexpected text after the URL's host");
    if (!set_port(ci, p + 1, (size_t)(auth_end - p - 1), err, errlen)) return false;
  }
  p = auth_end;
  if (p < end && *p == '/') {
    const char *d = ++p;
    while (p < end && *p != '?') p++;
    if (p > d && !add_decoded(ci, "dbname", d, (size_t)(p - d), buf, err, errlen)) return false;
  }
  if (p < end && *p == '?') {
    p++;
    while (p < end) {
      const char *amp = memchr(p, '&', (size_t)(end - p));
      const char *pend = amp ? amp : end;
      const char *eq = memchr(p, '=', (size_t)(pend - p));
      if (!eq) return pe_svc_addr_fail(err, errlen, "a URL parameter lacks '='");
      long kn = decode(p, (size_t)(eq - p), buf);
      if (kn < 0) return pe_svc_addr_fail(err, errlen, "bad %%-encoding in a URL parameter");
      char key[64];
      if ((size_t)kn >= sizeof key || memchr(buf, 0, (size_t)kn))
        return pe_svc_addr_fail(err, errlen, "a URL parameter's name is too long");
      memcpy(key, buf, (size_t)kn);
      key[kn] = 0;
      if (!add_decoded(ci, key, eq + 1, (size_t)(pend - eq - 1), buf, err, errlen)) return false;
      p = amp ? amp + 1 : end;
    }
  }
  return true;
}

bool pe_pg_conninfo_parse(const char *s, size_t len, pe_pg_conninfo *ci, char *err, size_t errlen) {
  memset(ci, 0, sizeof *ci);
  ci->port = 5432;
  if (len > 4096) return pe_svc_addr_fail(err, errlen, "the connection string is over 4096 bytes");
  if (memchr(s, 0, len))
    return pe_svc_addr_fail(err, errlen, "the connection string holds a NUL byte");
  char *buf = malloc(len + 1);
  if (!buf) return pe_svc_addr_fail(err, errlen, "out of memory");
  bool ok;
  if ((len >= 13 && !memcmp(s, "postgresql://", 13)) ||
      (len >= 11 && !memcmp(s, "postgres://", 11)))
    ok = parse_url(s, len, ci, buf, err, errlen);
  else
    ok = parse_pairs(s, len, ci, buf, err, errlen);
  free(buf);
  if (ok && !ci->host[0])
    ok = pe_svc_addr_fail(err, errlen,
                          "the connection string names no host (a local socket is not allowed)");
  if (!ok) pe_pg_conninfo_free(ci);
  return ok;
}

void pe_pg_conninfo_free(pe_pg_conninfo *ci) {
  for (unsigned i = 0; i < ci->n; i++) free(ci->val[i]);
  ci->n = 0;
  ci->host[0] = 0;
}

const char *pe_pg_conninfo_get(const pe_pg_conninfo *ci, const char *key) {
  for (unsigned i = 0; i < ci->n; i++)
    if (!strcmp(ci->key[i], key)) return ci->val[i];
  return NULL;
}
