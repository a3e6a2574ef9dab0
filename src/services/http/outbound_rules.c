/*
 * outbound_rules.c -- `allowed_outbound_hosts` rules and strict URL parsing
 * (see outbound_rules.h for the grammar and why it is kept apart).
 *
 * Rules are split the way Spin splits them: the scheme before "://", the
 * port after the last ':' (so "[::1]:8001" and "10.0.0.0/8:80" work), then
 * the host. Every rejection says what was wrong with which entry, because a
 * manifest author reads these messages at `pyedge up`.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outbound_rules.h"

#define FAIL(...)                       \
  do {                                  \
    snprintf(err, errlen, __VA_ARGS__); \
    return false;                       \
  } while (0)

uint16_t pe_ob_default_port(const char *scheme) {
  static const struct {
    const char *scheme;
    uint16_t port;
  } known[] = {{"http", 80},    {"https", 443},  {"postgres", 5432},
               {"mysql", 3306}, {"redis", 6379}, {"mqtt", 1883}};
  for (size_t i = 0; i < sizeof known / sizeof *known; i++)
    if (!strcmp(scheme, known[i].scheme)) return known[i].port;
  return 0;
}

bool pe_ob_addr_parse(const char *s, pe_ob_addr *a) {
  memset(a, 0, sizeof *a);
  if (inet_pton(AF_INET, s, a->b) == 1) {
    a->family = 4;
    return true;
  }
  if (inet_pton(AF_INET6, s, a->b) == 1) {
    a->family = 6;
    return true;
  }
  return false;
}

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) becomes IPv4. */
static pe_ob_addr unmap(const pe_ob_addr *a) {
  static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  pe_ob_addr r = *a;
  if (a->family == 6 && memcmp(a->b, prefix, 12) == 0) {
    memset(&r, 0, sizeof r);
    r.family = 4;
    memcpy(r.b, a->b + 12, 4);
  }
  return r;
}

bool pe_ob_addr_in(const pe_ob_addr *a, const pe_ob_addr *net, unsigned prefix) {
  pe_ob_addr x = unmap(a), n = unmap(net);
  if (n.family != net->family) prefix = prefix >= 96 ? prefix - 96 : 0; /* mapped net */
  if (x.family != n.family) return false;
  unsigned bits = x.family == 4 ? 32 : 128;
  if (prefix > bits) return false;
  for (unsigned i = 0; i < prefix; i++) {
    unsigned byte = i / 8, bit = 7 - i % 8;
    if (((x.b[byte] >> bit) & 1) != ((n.b[byte] >> bit) & 1)) return false;
  }
  return true;
}

static void trim(const char **s, size_t *n) {
  while (*n && isspace((unsigned char)**s)) (*s)++, (*n)--;
  while (*n && isspace((unsigned char)(*s)[*n - 1])) (*n)--;
}

static bool parse_u16(const char *s, size_t n, uint16_t *out) {
  if (n == 0 || n > 5) return false;
  unsigned v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (unsigned)(s[i] - '0');
  }
  if (v > 65535) return false;
  *out = (uint16_t)v;
  return true;
}

/* A DNS name: letters, digits, '-', '_' in dot-separated labels. */
static bool valid_name(const char *h) {
  size_t n = strlen(h), label = 0;
  if (n == 0 || n > PE_OB_MAX_HOST) return false;
  for (size_t i = 0; i < n; i++) {
    char c = h[i];
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else if (isalnum((unsigned char)c) || c == '-' || c == '_') {
      if (++label > 63) return false;
    } else {
      return false;
    }
  }
  return true;
}

static void lower(char *s) {
  for (; *s; s++) *s = (char)tolower((unsigned char)*s);
}

static bool parse_port(const char *p, size_t n, const char *scheme, pe_outbound_rule *r,
                       const char *text, char *err, size_t errlen) {
  if (n == 0) {
    uint16_t d = r->any_scheme ? 0 : pe_ob_default_port(scheme);
    if (!d)
      FAIL(
          "'%s': no port was given and the scheme '%s' has no default port (add one, e.g. "
          "':443' or ':*')",
          text, scheme);
    r->port_lo = r->port_hi = d;
    return true;
  }
  if (n == 1 && p[0] == '*') {
    r->any_port = true;
    return true;
  }
  if (p[0] == '{') FAIL("'%s': port lists are not supported", text);
  const char *dots = NULL;
  for (size_t i = 0; i + 1 < n; i++)
    if (p[i] == '.' && p[i + 1] == '.') {
      dots = p + i;
      break;
    }
  if (dots) {
    uint16_t a, b;
    if (!parse_u16(p, (size_t)(dots - p), &a) ||
        !parse_u16(dots + 2, n - (size_t)(dots - p) - 2, &b))
      FAIL("'%s': port range '%.*s' must be two numbers from 0 to 65535, as in 8000..8010", text,
           (int)n, p);
    if (b <= a)
      FAIL(
          "'%s': port range '%.*s' is empty (the end is excluded, as in Spin: 8000..8010 is "
          "8000 to 8009)",
          text, (int)n, p);
    r->port_lo = a;
    r->port_hi = (uint16_t)(b - 1);
    return true;
  }
  uint16_t v;
  if (!parse_u16(p, n, &v))
    FAIL("'%s': port '%.*s' is not a number from 0 to 65535", text, (int)n, p);
  r->port_lo = r->port_hi = v;
  return true;
}

static bool parse_host(const char *h, size_t n, pe_outbound_rule *r, const char *text, char *err,
                       size_t errlen) {
  trim(&h, &n);
  while (n > 1 && h[n - 1] == '/' && !memchr(h, '/', n - 1)) n--; /* "host/" */
  if (n == 0) FAIL("'%s': the host is empty", text);
  if (n > PE_OB_MAX_HOST) FAIL("'%s': the host is too long", text);
  char host[PE_OB_MAX_HOST + 1];
  memcpy(host, h, n);
  host[n] = 0;
  lower(host);
  if (!strcmp(host, "*")) {
    r->host_kind = PE_OB_HOST_ANY;
    return true;
  }
  if (!strcmp(host, "self") || !strcmp(host, "self.alt")) {
    r->host_kind = PE_OB_HOST_SELF;
    return true;
  }
  if (host[0] == '{') FAIL("'%s': host lists are not supported", text);
  /* CIDR block or IP address */
  char *slash = strchr(host, '/');
  char addr[PE_OB_MAX_HOST + 1];
  snprintf(addr, sizeof addr, "%s", host);
  if (slash) addr[slash - host] = 0;
  size_t al = strlen(addr);
  if (al > 2 && addr[0] == '[' && addr[al - 1] == ']') {
    memmove(addr, addr + 1, al - 2);
    addr[al - 2] = 0;
  }
  if (pe_ob_addr_parse(addr, &r->net)) {
    unsigned bits = r->net.family == 4 ? 32 : 128, prefix = bits;
    if (slash) {
      const char *p = slash + 1;
      uint16_t v;
      if (!parse_u16(p, strlen(p), &v) || v > bits)
        FAIL("'%s': '%s' is not a CIDR block (the prefix length must be 0 to %u)", text, host,
             bits);
      prefix = v;
    }
    /* host bits are ignored, as Spin truncates them */
    for (unsigned i = prefix; i < bits; i++) r->net.b[i / 8] &= (uint8_t) ~(1u << (7 - i % 8));
    r->prefix = prefix;
    r->host_kind = PE_OB_HOST_CIDR;
    return true;
  }
  if (slash) FAIL("'%s': the host must not include a path", text);
  if (!strncmp(host, "*.", 2)) {
    if (strchr(host + 2, '*')) FAIL("'%s': wildcards are allowed only as a prefix ('*.')", text);
    if (!valid_name(host + 2)) FAIL("'%s': '%s' is not a valid domain", text, host + 2);
    snprintf(r->host, sizeof r->host, "%s", host + 1); /* ".example.com" */
    r->host_kind = PE_OB_HOST_SUBDOMAIN;
    return true;
  }
  if (strchr(host, '*'))
    FAIL("'%s': wildcards are allowed only as subdomains ('*.example.com')", text);
  if (!valid_name(host)) FAIL("'%s': '%s' is not a valid host name", text, host);
  snprintf(r->host, sizeof r->host, "%s", host);
  r->host_kind = PE_OB_HOST_NAME;
  return true;
}

bool pe_outbound_rule_parse(const char *text, const char *shown, pe_outbound_rule *r, char *err,
                            size_t errlen) {
  memset(r, 0, sizeof *r);
  const char *s = text;
  size_t n = strlen(text);
  trim(&s, &n);
  if (n == 18 && !memcmp(s, "insecure:allow-all", 18))
    FAIL(
        "'insecure:allow-all' is not allowed: use '*://*:*' if you really want to allow all "
        "outbound traffic");
  const char *sep = NULL;
  for (size_t i = 0; i + 3 <= n; i++)
    if (!memcmp(s + i, "://", 3)) {
      sep = s + i;
      break;
    }
  if (!sep) {
    if (n <= 1)
      FAIL(
          "'%s' is not an allowed outbound host: use <scheme>://<host>[:<port>], with '*' "
          "wildcards allowed in each part ('*://*:*' allows everything)",
          text);
    FAIL("'%s' does not contain a scheme (e.g. 'http://' or '*://')", text);
  }
  size_t sl = (size_t)(sep - s);
  if (sl == 0 || sl >= sizeof r->scheme) FAIL("'%s': invalid scheme", text);
  memcpy(r->scheme, s, sl);
  r->scheme[sl] = 0;
  if (!strcmp(r->scheme, "*")) {
    r->any_scheme = true;
  } else {
    if (r->scheme[0] == '{') FAIL("'%s': scheme lists are not supported", text);
    for (size_t i = 0; i < sl; i++)
      if (!isalpha((unsigned char)r->scheme[i]))
        FAIL("'%s': invalid scheme '%s' (only letters are allowed)", text, r->scheme);
    lower(r->scheme);
  }
  const char *rest = sep + 3, *end = s + n;
  const char *host = rest, *host_end, *port = end, *port_end = end;
  if (rest < end && *rest == '[') { /* [v6] or [v6]:port */
    const char *close = memchr(rest, ']', (size_t)(end - rest));
    if (!close) FAIL("'%s': unclosed '[' in the host", text);
    host_end = close + 1;
    if (host_end < end && *host_end == ':')
      port = host_end + 1;
    else if (host_end < end && !(host_end + 1 == end && *host_end == '/'))
      FAIL("'%s' has a path but is not allowed to", text);
  } else {
    const char *colon = NULL;
    for (const char *p = rest; p < end; p++)
      if (*p == ':') colon = p;
    host_end = colon ? colon : end;
    if (colon) port = colon + 1;
  }
  if (port < end) {
    const char *slash = memchr(port, '/', (size_t)(end - port));
    if (slash) {
      if (slash + 1 != end) FAIL("'%s' has a path but is not allowed to", text);
      port_end = slash;
    }
  } else {
    port = port_end = end;
  }
  if (!parse_port(port, (size_t)(port_end - port), r->scheme, r, text, err, errlen)) return false;
  if (!parse_host(host, (size_t)(host_end - host), r, text, err, errlen)) return false;
  r->shown = strdup(shown ? shown : text);
  if (!r->shown) FAIL("out of memory");
  return true;
}

bool pe_outbound_rules_add(pe_outbound_rules *rs, const char *text, const char *shown, char *err,
                           size_t errlen) {
  pe_outbound_rule r;
  if (!pe_outbound_rule_parse(text, shown, &r, err, errlen)) return false;
  pe_outbound_rule *v = realloc(rs->v, (rs->n + 1) * sizeof *v);
  if (!v) {
    free(r.shown);
    FAIL("out of memory");
  }
  rs->v = v;
  rs->v[rs->n++] = r;
  return true;
}

void pe_outbound_rules_free(pe_outbound_rules *rs) {
  for (size_t i = 0; i < rs->n; i++) free(rs->v[i].shown);
  free(rs->v);
  rs->v = NULL;
  rs->n = 0;
}

/* --- URLs ------------------------------------------------------------------ */

bool pe_outbound_url_parse(const char *url, size_t len, pe_outbound_url *u, char *err,
                           size_t errlen) {
  memset(u, 0, sizeof *u);
  if (len == 0) FAIL("the URL is empty");
  if (len > PE_OB_MAX_TARGET) FAIL("the URL is longer than %d bytes", PE_OB_MAX_TARGET);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)url[i];
    if (c <= 0x20 || c >= 0x7f)
      FAIL(
          "the URL contains a space, a control character or a non-ASCII byte (at offset %zu); "
          "percent-encode it",
          i);
    if (c == '\\') FAIL("the URL contains a backslash");
  }
  const char *end = url + len, *p = url;
  const char *hash = memchr(url, '#', len);
  if (hash) end = hash;
  if (*p == '/') {
    if (len > 1 && p[1] == '/') FAIL("a URL starting with '//' needs a scheme (http: or https:)");
    u->relative = true;
    snprintf(u->scheme, sizeof u->scheme, "http");
  } else {
    const char *q = p;
    if (!isalpha((unsigned char)*q))
      FAIL(
          "the URL has no scheme (it should start with http:// or https://, or be a path such as /api)");
    while (q < end && (isalnum((unsigned char)*q) || *q == '+' || *q == '-' || *q == '.')) q++;
    if ((size_t)(end - q) < 3 || memcmp(q, "://", 3) != 0)
      FAIL(
          "the URL has no scheme (it should start with http:// or https://, or be a path such as /api)");
    if ((size_t)(q - p) >= sizeof u->scheme) FAIL("the URL's scheme is too long");
    memcpy(u->scheme, p, (size_t)(q - p));
    lower(u->scheme);
    p = q + 3;
    const char *auth_end = p;
    while (auth_end < end && *auth_end != '/' && *auth_end != '?') auth_end++;
    if (memchr(p, '@', (size_t)(auth_end - p)))
      FAIL("credentials in the URL (user@host) are not supported; send an Authorization header");
    const char *h = p, *h_end, *port = NULL;
    if (h < auth_end && *h == '[') {
      const char *close = memchr(h, ']', (size_t)(auth_end - h));
      if (!close) FAIL("unclosed '[' in the URL's host");
      char v6[64];
      size_t vl = (size_t)(close - h - 1);
      if (vl >= sizeof v6) FAIL("invalid IPv6 address in the URL");
      memcpy(v6, h + 1, vl);
      v6[vl] = 0;
      if (inet_pton(AF_INET6, v6, u->ip.b) != 1) FAIL("invalid IPv6 address '%s' in the URL", v6);
      u->ip.family = 6;
      u->host_is_ip = true;
      snprintf(u->host, sizeof u->host, "%s", v6);
      lower(u->host);
      h_end = close + 1;
      if (h_end < auth_end) {
        if (*h_end != ':') FAIL("unexpected characters after the URL's IPv6 host");
        port = h_end + 1;
      }
    } else {
      const char *colon = memchr(h, ':', (size_t)(auth_end - h));
      h_end = colon ? colon : auth_end;
      if (colon) port = colon + 1;
      size_t hl = (size_t)(h_end - h);
      if (hl == 0) FAIL("the URL has no host");
      if (hl > PE_OB_MAX_HOST) FAIL("the URL's host is too long");
      memcpy(u->host, h, hl);
      u->host[hl] = 0;
      lower(u->host);
      struct in_addr a4;
      if (inet_pton(AF_INET, u->host, u->ip.b) == 1) {
        u->ip.family = 4;
        u->host_is_ip = true;
      } else if (inet_aton(u->host, &a4)) {
        /* "127.1", "0x7f.0.0.1", "2130706433": curl (like the resolver)
         * reads these as the IPv4 address inet_aton gives, so they are that
         * address here too, checked as one and rebuilt in dotted form, as
         * Spin's URL parser does; as names they would be checked as one
         * thing and contacted as another */
        memcpy(u->ip.b, &a4, 4);
        u->ip.family = 4;
        u->host_is_ip = true;
        inet_ntop(AF_INET, u->ip.b, u->host, sizeof u->host);
      } else if (!valid_name(u->host)) {
        FAIL("'%s' is not a valid host name", u->host);
      }
    }
    if (port) {
      if (!parse_u16(port, (size_t)(auth_end - port), &u->port) || u->port == 0)
        FAIL("the URL's port '%.*s' is not a number from 1 to 65535",
             (int)(auth_end - port > 16 ? 16 : auth_end - port), port);
      u->port_given = true;
    } else {
      u->port = pe_ob_default_port(u->scheme);
    }
    p = auth_end;
  }
  size_t tl = (size_t)(end - p);
  size_t off = 0;
  if (tl == 0 || *p == '?') u->target[off++] = '/';
  if (tl + off > PE_OB_MAX_TARGET) FAIL("the URL's path is too long");
  memcpy(u->target + off, p, tl);
  u->target[off + tl] = 0;
  return true;
}

void pe_outbound_url_origin(const pe_outbound_url *u, char *out, size_t n) {
  bool v6 = u->host_is_ip && u->ip.family == 6;
  if (u->port_given)
    snprintf(out, n, "%s://%s%s%s:%u", u->scheme, v6 ? "[" : "", u->host, v6 ? "]" : "",
             (unsigned)u->port);
  else
    snprintf(out, n, "%s://%s%s%s", u->scheme, v6 ? "[" : "", u->host, v6 ? "]" : "");
}

/* --- decisions --------------------------------------------------------------- */

static bool scheme_ok(const pe_outbound_rule *r, const char *scheme) {
  return r->any_scheme || !strcmp(r->scheme, scheme);
}

static bool port_ok(const pe_outbound_rule *r, uint16_t port) {
  return r->any_port || (port != 0 && port >= r->port_lo && port <= r->port_hi);
}

static bool host_ok(const pe_outbound_rule *r, const pe_outbound_url *u) {
  switch (r->host_kind) {
    case PE_OB_HOST_ANY: return true;
    case PE_OB_HOST_SELF: return false;
    case PE_OB_HOST_SUBDOMAIN: {
      size_t hl = strlen(u->host), sl = strlen(r->host);
      return !u->host_is_ip && hl > sl && !strcmp(u->host + hl - sl, r->host);
    }
    case PE_OB_HOST_NAME: return !u->host_is_ip && !strcmp(u->host, r->host);
    case PE_OB_HOST_CIDR: return u->host_is_ip && pe_ob_addr_in(&u->ip, &r->net, r->prefix);
  }
  return false;
}

bool pe_outbound_allows(const pe_outbound_rules *rs, const pe_outbound_url *u) {
  for (size_t i = 0; i < rs->n; i++) {
    const pe_outbound_rule *r = &rs->v[i];
    if (u->relative) {
      if ((r->host_kind == PE_OB_HOST_SELF || r->host_kind == PE_OB_HOST_ANY) &&
          (scheme_ok(r, "http") || scheme_ok(r, "https")))
        return true;
      continue;
    }
    if (scheme_ok(r, u->scheme) && port_ok(r, u->port) && host_ok(r, u)) return true;
  }
  return false;
}

bool pe_outbound_has_cidr(const pe_outbound_rules *rs, const pe_outbound_url *u) {
  if (u->relative || u->host_is_ip) return false;
  for (size_t i = 0; i < rs->n; i++) {
    const pe_outbound_rule *r = &rs->v[i];
    if (r->host_kind == PE_OB_HOST_CIDR && scheme_ok(r, u->scheme) && port_ok(r, u->port))
      return true;
  }
  return false;
}

bool pe_outbound_allows_addr(const pe_outbound_rules *rs, const pe_outbound_url *u,
                             const pe_ob_addr *a) {
  if (u->relative) return false;
  for (size_t i = 0; i < rs->n; i++) {
    const pe_outbound_rule *r = &rs->v[i];
    if (r->host_kind == PE_OB_HOST_CIDR && scheme_ok(r, u->scheme) && port_ok(r, u->port) &&
        pe_ob_addr_in(a, &r->net, r->prefix))
      return true;
  }
  return false;
}

void pe_outbound_rules_describe(const pe_outbound_rules *rs, char *out, size_t n) {
  if (n == 0) return;
  out[0] = 0;
  size_t len = 0;
  for (size_t i = 0; i < rs->n; i++) {
    int w = snprintf(out + len, n - len, "%s\"%s\"", i ? ", " : "", rs->v[i].shown);
    if (w < 0 || (size_t)w >= n - len) {
      if (n > 4) memcpy(out + n - 4, "...", 4);
      return;
    }
    len += (size_t)w;
  }
}
