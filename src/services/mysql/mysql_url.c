/*
 * mysql_url.c -- the guest's MySQL address (mysql_url.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mysql_url.h"
#include "services/svc_addr.h"

/* A %-decoded copy of s[0..n) without NUL bytes, or NULL. */
static char *decoded(const char *s, size_t n) {
  char *out = malloc(n + 1);
  if (out && pe_svc_pct_decode(s, n, out, n + 1, PE_PCT_NO_NUL) < 0) {
    free(out);
    return NULL;
  }
  return out;
}

bool pe_mysql_url_parse(const char *s, size_t len, pe_mysql_url *u, char *err, size_t errlen) {
  memset(u, 0, sizeof *u);
  u->port = 3306;
  if (len > 4096) return pe_svc_addr_fail(err, errlen, "the address is over 4096 bytes");
  if (memchr(s, 0, len)) return pe_svc_addr_fail(err, errlen, "the address holds a NUL byte");
  if (len < 8 || memcmp(s, "mysql://", 8))
    return pe_svc_addr_fail(err, errlen,
                            "the address must be a URL: mysql://user:password@host:port/database");
  const char *p = s + 8, *end = s + len, *auth_end = p;
  while (auth_end < end && *auth_end != '/' && *auth_end != '?' && *auth_end != '#') auth_end++;
  pe_svc_authority a;
  pe_svc_url_authority(p, (size_t)(auth_end - p), &a);
  if (a.user.p && !(u->user = decoded(a.user.p, a.user.n))) goto bad_userinfo;
  if (a.password.p && !(u->password = decoded(a.password.p, a.password.n))) goto bad_userinfo;
  if (!a.host.p) {
    pe_mysql_url_free(u);
    return pe_svc_addr_fail(err, errlen, "unterminated [ in the host");
  }
  const char *h = a.host.p, *hend = h + a.host.n;
  p = a.rest.p;
  size_t hl = (size_t)(hend - h);
  if (hl == 0 || hl >= sizeof u->host) {
    pe_mysql_url_free(u);
    return pe_svc_addr_fail(err, errlen, hl ? "the host is too long" : "the address names no host");
  }
  bool colon = false;
  for (size_t i = 0; i < hl; i++) {
    unsigned char c = (unsigned char)h[i];
    colon |= c == ':';
    if (!isalnum(c) && c != '.' && c != '-' && c != '_' && c != ':') {
      pe_mysql_url_free(u);
      return pe_svc_addr_fail(err, errlen,
                              "the host must be one name or address (no list, no socket path)");
    }
  }
  for (size_t i = 0; colon && i < hl; i++)
    if (!isxdigit((unsigned char)h[i]) && h[i] != ':' && h[i] != '.') {
      pe_mysql_url_free(u);
      return pe_svc_addr_fail(err, errlen, "the host is not a valid IPv6 address");
    }
  memcpy(u->host, h, hl);
  u->host[hl] = 0;
  if (p < auth_end) {
    unsigned long port = 0;
    size_t n = (size_t)(auth_end - p - 1);
    bool ok = *p == ':' && n >= 1 && n <= 5;
    for (size_t i = 0; ok && i < n; i++) {
      ok = isdigit((unsigned char)p[1 + i]);
      port = port * 10 + (unsigned long)(p[1 + i] - '0');
    }
    if (!ok || port == 0 || port > 65535) {
      pe_mysql_url_free(u);
      return pe_svc_addr_fail(err, errlen, "the port must be one number from 1 to 65535");
    }
    u->port = (uint16_t)port;
  }
  p = auth_end;
  if (p < end && *p == '/') {
    const char *d = ++p;
    while (p < end && *p != '?' && *p != '#') p++;
    if (p > d && !(u->database = decoded(d, (size_t)(p - d)))) {
      pe_mysql_url_free(u);
      return pe_svc_addr_fail(err, errlen, "bad %%-encoding in the database name");
    }
  }
  if (p < end && *p == '?') {
    for (p++; p < end;) {
      const char *amp = memchr(p, '&', (size_t)(end - p)), *pend = amp ? amp : end;
      const char *eq = memchr(p, '=', (size_t)(pend - p));
      size_t kn = eq ? (size_t)(eq - p) : 0, vn = eq ? (size_t)(pend - eq - 1) : 0;
      if (!eq || !((kn == 8 && !strncasecmp(p, "ssl-mode", 8)) ||
                   (kn == 7 && !strncasecmp(p, "sslmode", 7)))) {
        pe_mysql_url_free(u);
        return pe_svc_addr_fail(
            err, errlen,
            "the only parameter a MySQL address may have is ssl-mode (disabled, "
            "preferred or required)");
      }
      if (vn == 8 && !strncasecmp(eq + 1, "disabled", 8)) {
        u->tls = false;
      } else if ((vn == 9 && !strncasecmp(eq + 1, "preferred", 9)) ||
                 (vn == 8 && !strncasecmp(eq + 1, "required", 8))) {
        u->tls = true;
      } else {
        pe_mysql_url_free(u);
        return pe_svc_addr_fail(
            err, errlen,
            "ssl-mode must be disabled, preferred or required (verify_ca and "
            "verify_identity need a name to check the certificate against, and pyedge "
            "connects to the checked address)");
      }
      p = amp ? amp + 1 : end;
    }
  }
  if (p < end) { /* a fragment */
    pe_mysql_url_free(u);
    return pe_svc_addr_fail(err, errlen, "unexpected '#' in the address");
  }
  return true;
bad_userinfo:
  pe_mysql_url_free(u);
  return pe_svc_addr_fail(err, errlen, "bad %%-encoding in the user or password");
}

void pe_mysql_url_free(pe_mysql_url *u) {
  free(u->user);
  free(u->password);
  free(u->database);
  u->user = u->password = u->database = NULL;
  u->host[0] = 0;
  u->tls = false;
}
