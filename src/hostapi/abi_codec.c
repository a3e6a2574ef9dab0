/*
 * abi_codec.c -- the request/response byte format of docs/abi.md (pe_abi.h).
 *
 * Little-endian u32 lengths everywhere. Decoding treats the buffer as
 * hostile (it comes out of the sandbox): every length is checked against
 * what is left before it is used, counts are bounded, and nothing points
 * outside the buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "pe_abi.h"

#define PE_ABI_MAX_HEADERS 4096

static bool put_u32(pe_buf *b, uint32_t v) {
  unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                        (unsigned char)(v >> 24)};
  return pe_buf_append(b, c, 4);
}

static bool put_bytes(pe_buf *b, const void *p, size_t n) {
  return n <= UINT32_MAX && put_u32(b, (uint32_t)n) && pe_buf_append(b, p, n);
}

bool pe_abi_encode_request(pe_buf *out, const char *method, const char *uri, size_t uri_len,
                           const pe_abi_header *headers, size_t n, const uint8_t *body,
                           size_t body_len) {
  if (n > PE_ABI_MAX_HEADERS) return false;
  bool ok = pe_buf_append(out, "PEQ1", 4) && put_bytes(out, method, strlen(method)) &&
            put_bytes(out, uri, uri_len) && put_u32(out, (uint32_t)n);
  for (size_t i = 0; ok && i < n; i++)
    ok = put_bytes(out, headers[i].name, headers[i].name_len) &&
         put_bytes(out, headers[i].value, headers[i].value_len);
  return ok && put_bytes(out, body, body_len);
}

typedef struct {
  const uint8_t *p;
  size_t left;
} reader;

static bool get_u32(reader *r, uint32_t *v) {
  if (r->left < 4) return false;
  *v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
       (uint32_t)r->p[3] << 24;
  r->p += 4;
  r->left -= 4;
  return true;
}

static bool get_bytes(reader *r, const uint8_t **p, size_t *n) {
  uint32_t len;
  if (!get_u32(r, &len) || len > r->left) return false;
  *p = r->p;
  *n = len;
  r->p += len;
  r->left -= len;
  return true;
}

bool pe_abi_decode_response(const uint8_t *buf, size_t len, pe_abi_response *out) {
  memset(out, 0, sizeof *out);
  reader r = {buf, len};
  uint32_t status, n;
  if (len < 4 || memcmp(buf, "PES1", 4) != 0) return false;
  r.p += 4;
  r.left -= 4;
  if (!get_u32(&r, &status) || status < 100 || status > 999) return false;
  if (!get_u32(&r, &n) || n > PE_ABI_MAX_HEADERS || (size_t)n * 8 > r.left) return false;
  out->status = (int)status;
  out->headers = calloc(n ? n : 1, sizeof *out->headers);
  if (!out->headers) return false;
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *name, *value;
    size_t nl, vl;
    if (!get_bytes(&r, &name, &nl) || !get_bytes(&r, &value, &vl)) goto bad;
    out->headers[i] = (pe_abi_header){(const char *)name, (const char *)value, nl, vl};
  }
  out->n_headers = n;
  if (!get_bytes(&r, &out->body, &out->body_len) || r.left != 0) goto bad;
  return true;
bad:
  pe_abi_response_free(out);
  return false;
}

void pe_abi_response_free(pe_abi_response *r) {
  free(r->headers);
  memset(r, 0, sizeof *r);
}
