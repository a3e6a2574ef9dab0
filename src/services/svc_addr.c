/*
 * svc_addr.c -- percent-decoding and error messages for the parsers of
 * guests' server addresses (svc_addr.h).
 */
#include <stdarg.h>
#include <stdio.h>

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

bool pe_svc_addr_fail(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return false;
}
