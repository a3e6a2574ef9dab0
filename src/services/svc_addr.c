/*
 * svc_addr.c -- percent-decoding and error messages for the parsers of
 * guests' server addresses (svc_addr.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "svc_addr.h"

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

long pe_svc_pct_decode(const char *s, size_t n, char *out, size_t cap, unsigned flags) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '%') {
      if (n - i < 3) return -1;
      int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
      if (hi < 0 || lo < 0) return -1;
      c = (char)(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && (flags & PE_PCT_PLUS)) {
      c = ' ';
    }
    if (c == 0 && (flags & PE_PCT_NO_NUL)) return -1;
    if (k + 1 >= cap) return -1; /* room for c and the NUL */
    out[k++] = c;
  }
  if (cap == 0) return -1;
  out[k] = 0;
  return (long)k;
}

void pe_svc_url_authority(const char *s, size_t n, pe_svc_authority *a) {
  const char *p = s, *end = s + n, *at = NULL;
  *a = (pe_svc_authority){{NULL, 0}, {NULL, 0}, {NULL, 0}, {NULL, 0}};
  for (const char *q = p; q < end; q++)
    if (*q == '@') at = q;
  if (at) {
    const char *colon = memchr(p, ':', (size_t)(at - p));
    const char *uend = colon ? colon : at;
    if (uend > p) a->user = (pe_svc_span){p, (size_t)(uend - p)};
    if (colon) a->password = (pe_svc_span){colon + 1, (size_t)(at - colon - 1)};
    p = at + 1;
  }
  if (p < end && *p == '[') {
    const char *rb = memchr(p, ']', (size_t)(end - p));
    if (!rb) {
      a->rest = (pe_svc_span){p, (size_t)(end - p)};
      return; /* host.p NULL: the caller says what is wrong, after the userinfo */
    }
    a->host = (pe_svc_span){p + 1, (size_t)(rb - p - 1)};
    p = rb + 1;
  } else {
    const char *hend = p;
    while (hend < end && *hend != ':') hend++;
    a->host = (pe_svc_span){p, (size_t)(hend - p)};
    p = hend;
  }
  a->rest = (pe_svc_span){p, (size_t)(end - p)};
}

bool pe_svc_addr_fail(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return false;
}
