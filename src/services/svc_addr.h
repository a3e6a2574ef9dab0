/*
 * svc_addr.h -- what the parsers of a guest's server address share
 * (mysql/mysql_url.c, postgres/pg_conninfo.c, mqtt/mqtt_addr.c): URL
 * authority split into its parts, percent-decoding and the error message
 * they return.
 *
 * One decoder, so that what counts as a malformed escape ('%' without two
 * hex digits after it) is the same for every scheme; what a scheme adds
 * ('+' as a space in MQTT's query, no NUL in a MySQL user or database) is
 * a flag.
 */
#ifndef PE_SVC_ADDR_H
#define PE_SVC_ADDR_H

#include <stdbool.h>
#include <stddef.h>

enum {
  PE_PCT_PLUS = 1,   /* '+' decodes to a space (a query's form encoding) */
  PE_PCT_NO_NUL = 2, /* a NUL, written or %00, is malformed */
};

/* Percent-decodes s[0..n) into out, which holds cap bytes with the NUL
 * added after the text. Its length, or -1 when an escape is malformed, a
 * flag refuses a byte or the text and its NUL do not fit in cap. The
 * decoded text is never longer than n, so cap n + 1 always fits. */
long pe_svc_pct_decode(const char *s, size_t n, char *out, size_t cap, unsigned flags);

/* Bytes of the guest's string, not NUL-terminated. */
typedef struct pe_svc_span {
  const char *p;
  size_t n;
} pe_svc_span;

/* A URL's authority, "[user[:password]@]host[:port]", in parts still
 * %-encoded. user.p is NULL without a user (or an empty one), password.p
 * NULL without a ':' in the userinfo; host is within the [] of an IPv6
 * address, host.p NULL when the '[' has no ']'; rest is what follows the
 * host (":port", or empty). */
typedef struct pe_svc_authority {
  pe_svc_span user, password, host, rest;
} pe_svc_authority;

/* Splits s[0..n), an authority whose end the caller found (the schemes
 * end it at different characters). The userinfo ends at the last '@'. */
void pe_svc_url_authority(const char *s, size_t n, pe_svc_authority *a);

/* Writes the printf-style message into err (errlen bytes, truncated to
 * fit) and returns false, for `return pe_svc_addr_fail(...)`. */
bool pe_svc_addr_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* PE_SVC_ADDR_H */
