/*
 * hostcall_wire.c -- the blob encoding of host-service payloads and
 * replies (pe_hostcall.h). Every length is checked against what is left
 * before it is used; a short or overlong payload marks the reader bad
 * instead of reading past the guest's bytes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pe_hostcall.h"
#include "util/pe_assert.h"

void pe_hc_reader_init(pe_hc_reader *r, const uint8_t *p, size_t n) {
  r->p = p;
  r->left = n;
  r->end = p ? p + n : p; /* (NULL + 0 is undefined) */
  r->bad = false;
}

bool pe_hc_blob(pe_hc_reader *r, const uint8_t **p, size_t *n) {
  if (r->bad || r->left < 4) {
    r->bad = true;
    return false;
  }
  uint32_t len = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
                 (uint32_t)r->p[3] << 24;
  if ((size_t)len > r->left - 4) {
    r->bad = true;
    return false;
  }
  *p = r->p + 4;
  *n = len;
  r->p += 4 + (size_t)len;
  r->left -= 4 + (size_t)len;
  /* the blob handed out lies inside the guest's payload */
  PE_ASSERT(r->p + r->left == r->end && *p + len <= r->end);
  return true;
}

char *pe_hc_string(pe_hc_reader *r) {
  const uint8_t *p;
  size_t n;
  if (!pe_hc_blob(r, &p, &n)) return NULL;
  if (memchr(p, 0, n)) {
    r->bad = true;
    return NULL;
  }
  char *s = malloc(n + 1);
  if (!s) return NULL;
  memcpy(s, p, n);
  s[n] = 0;
  return s;
}

bool pe_hc_u64(pe_hc_reader *r, uint64_t *v) {
  const uint8_t *p;
  size_t n;
  if (!pe_hc_blob(r, &p, &n)) return false;
  if (n != 8) {
    r->bad = true;
    return false;
  }
  uint64_t x = 0;
  for (int i = 7; i >= 0; i--) x = x << 8 | p[i];
  *v = x;
  return true;
}

bool pe_hc_done(const pe_hc_reader *r) { return !r->bad && r->left == 0; }

bool pe_hc_put_blob(pe_buf *out, const void *p, size_t n) {
  if (n > UINT32_MAX) return false;
  uint8_t len[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
  return pe_buf_append(out, len, 4) && pe_buf_append(out, p, n);
}

bool pe_hc_put_str(pe_buf *out, const char *s) { return pe_hc_put_blob(out, s, strlen(s)); }

bool pe_hc_put_u64(pe_buf *out, uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
  return pe_hc_put_blob(out, b, 8);
}

void pe_hc_error(pe_buf *out, pe_hc_status st, const char *fmt, ...) {
  out->len = 0;
  uint8_t s = (uint8_t)st;
  if (!pe_buf_append(out, &s, 1)) return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof msg) n = sizeof msg - 1;
  if (!pe_buf_append(out, msg, (size_t)n)) out->len = 1; /* the status, without its message */
}

bool pe_hc_ok(pe_buf *out) {
  out->len = 0;
  uint8_t s = PE_HC_OK;
  return pe_buf_append(out, &s, 1);
}
