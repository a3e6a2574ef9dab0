/*
 * outbound_rules.h -- Spin's `allowed_outbound_hosts`: parsing the rules and
 * deciding whether a URL may be fetched.
 *
 * Grammar of one rule (as Spin reads it), after `{{ var }}` templates have
 * been replaced by the caller:
 *
 *   scheme "://" host [":" port] ["/"]
 *   scheme  "*" or letters ("http", "https", "redis"...)
 *   host    "*"                any host
 *           "*.example.com"    any subdomain of example.com (not the apex)
 *           "self"/"self.alt"  the app itself (relative URLs such as "/api")
 *           "10.0.0.0/8"       an IPv4 or IPv6 CIDR block (host bits ignored)
 *           "[::1]", "1.2.3.4" an IP address
 *           "example.com"      one name (compared case-insensitively)
 *                              ("<id>.spin.internal" and "*.spin.internal"
 *                              grant service chaining)
 *   port    "*", a number, or a range "8000..8010" (half-open as in Spin:
 *           8000 to 8009); omitted: the scheme's default (http 80, https
 *           443, postgres 5432, mysql 3306, redis 6379, mqtt 1883); a `*`
 *           scheme or an unknown one needs an explicit port.
 *   '*' as scheme, host and port at once allows everything.
 *
 * Why a separate file: the rules are pure string and address logic, tested
 * row by row without a network (tests/unit/test_outbound_rules.c); the
 * HTTP service (svc_http.c) resolves names and pins connections.
 *
 * URLs are parsed strictly here too, and the HTTP service hands curl a URL
 * rebuilt from the parsed parts, so the host that was checked is the host
 * that is contacted (no parser disagreement: userinfo, backslashes, spaces,
 * control and non-ASCII bytes are refused rather than interpreted).
 */
#ifndef PE_OUTBOUND_RULES_H
#define PE_OUTBOUND_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PE_OB_MAX_HOST 253
#define PE_OB_MAX_TARGET 8192

typedef struct pe_ob_addr {
  int family; /* 4 or 6 */
  uint8_t b[16];
} pe_ob_addr;

typedef enum pe_ob_host_kind {
  PE_OB_HOST_ANY,
  PE_OB_HOST_SUBDOMAIN, /* host holds ".example.com" */
  PE_OB_HOST_SELF,
  PE_OB_HOST_NAME,
  PE_OB_HOST_CIDR, /* a single address is a /32 or /128 */
} pe_ob_host_kind;

typedef struct pe_outbound_rule {
  char *shown; /* as written in the manifest (templates unresolved) */
  bool any_scheme;
  char scheme[16];
  pe_ob_host_kind host_kind;
  char host[PE_OB_MAX_HOST + 2];
  pe_ob_addr net;
  unsigned prefix;
  bool any_port;
  uint16_t port_lo, port_hi; /* inclusive */
} pe_outbound_rule;

typedef struct pe_outbound_rules {
  pe_outbound_rule *v;
  size_t n;
} pe_outbound_rules;

/* Parses one resolved rule. `shown` (may equal text) is kept for messages.
 * false with a message naming what is wrong. */
bool pe_outbound_rule_parse(const char *text, const char *shown, pe_outbound_rule *r, char *err,
                            size_t errlen);
/* Parses and appends; false (nothing added) with a message. */
bool pe_outbound_rules_add(pe_outbound_rules *rs, const char *text, const char *shown, char *err,
                           size_t errlen);
void pe_outbound_rules_free(pe_outbound_rules *rs);

typedef struct pe_outbound_url {
  bool relative;                 /* "/path": a request to the app itself (`self`) */
  char scheme[16];               /* lower-case; "http" for relative URLs */
  char host[PE_OB_MAX_HOST + 1]; /* lower-case; IPv6 without brackets */
  bool host_is_ip;
  pe_ob_addr ip;
  uint16_t port; /* the effective port: given, else the scheme's default */
  bool port_given;
  char target[PE_OB_MAX_TARGET + 1]; /* path and query, never empty; no fragment */
} pe_outbound_url;

/* Parses an absolute http(s)-style URL or a relative one ("/x?y").
 * false with a message for anything malformed or ambiguous. */
bool pe_outbound_url_parse(const char *url, size_t len, pe_outbound_url *u, char *err,
                           size_t errlen);
/* scheme://host[:port] (IPv6 bracketed; port only when given). */
void pe_outbound_url_origin(const pe_outbound_url *u, char *out, size_t n);

/* By the URL alone: scheme, port and host (names, wildcards, and CIDR
 * rules for an IP-literal host). Relative URLs: a `self` or `*` host rule
 * for http or https. */
bool pe_outbound_allows(const pe_outbound_rules *rs, const pe_outbound_url *u);
/* Whether some CIDR rule matches the URL's scheme and port: only then is it
 * worth resolving a name to check its addresses. */
bool pe_outbound_has_cidr(const pe_outbound_rules *rs, const pe_outbound_url *u);
/* Whether a CIDR rule with the URL's scheme and port contains address a. */
bool pe_outbound_allows_addr(const pe_outbound_rules *rs, const pe_outbound_url *u,
                             const pe_ob_addr *a);

/* Parses a textual IPv4 or IPv6 address (no brackets). */
bool pe_ob_addr_parse(const char *s, pe_ob_addr *a);
/* Whether a lies in net/prefix (IPv4-mapped IPv6 addresses count as IPv4). */
bool pe_ob_addr_in(const pe_ob_addr *a, const pe_ob_addr *net, unsigned prefix);

/* The scheme's default port, or 0. */
uint16_t pe_ob_default_port(const char *scheme);

/* `"rule1", "rule2"` (shown forms), truncated to fit. */
void pe_outbound_rules_describe(const pe_outbound_rules *rs, char *out, size_t n);

#endif /* PE_OUTBOUND_RULES_H */
