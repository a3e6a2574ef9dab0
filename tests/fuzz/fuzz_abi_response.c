/*
 * fuzz_abi_response.c -- the byte format of docs/abi.md between the host
 * and the guest (hostapi/abi_codec.c).
 *
 * The response decoder reads what comes out of the sandbox, so it gets the
 * input as is (bit 0 of the first byte clear; the rest is the buffer). A
 * buffer it accepts must describe itself exactly: every pointer inside the
 * buffer, and encoding the decoded response again must give back the very
 * same bytes (the format has one spelling per response).
 *
 * The host has no request decoder (the guest's is CPython code in
 * guest/pyedge_codec.c), so the request encoder is checked the other way
 * round (bit 0 set): a request built from the input is encoded, decoded by
 * a reader written here from docs/abi.md, and compared field by field.
 */
#include "fuzz_common.h"
#include "hostapi/pe_abi.h"

static void put_u32(pe_buf *b, uint32_t v) {
  uint8_t c[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  FZ_CHECK(pe_buf_append(b, c, 4));
}

static void put_bytes(pe_buf *b, const void *p, size_t n) {
  put_u32(b, (uint32_t)n);
  FZ_CHECK(pe_buf_append(b, p, n));
}

static bool inside(const uint8_t *buf, size_t len, const void *p, size_t n) {
  const uint8_t *q = p;
  return q >= buf && n <= len && (size_t)(q - buf) <= len - n;
}

static void fuzz_response(const uint8_t *data, size_t size) {
  uint8_t *buf = fz_dup(data, size); /* exact size: a read past it is caught */
  pe_abi_response r;
  if (pe_abi_decode_response(buf, size, &r)) {
    FZ_CHECK(r.status >= 100 && r.status <= 999);
    pe_buf again = {0};
    FZ_CHECK(pe_buf_append(&again, "PES1", 4));
    put_u32(&again, (uint32_t)r.status);
    put_u32(&again, (uint32_t)r.n_headers);
    for (size_t i = 0; i < r.n_headers; i++) {
      const pe_abi_header *h = &r.headers[i];
      FZ_CHECK(inside(buf, size, h->name, h->name_len));
      FZ_CHECK(inside(buf, size, h->value, h->value_len));
      put_bytes(&again, h->name, h->name_len);
      put_bytes(&again, h->value, h->value_len);
    }
    FZ_CHECK(inside(buf, size, r.body, r.body_len));
    put_bytes(&again, r.body, r.body_len);
    FZ_CHECK(again.len == size && memcmp(again.data, buf, size) == 0);
    pe_buf_free(&again);
    pe_abi_response_free(&r);
  } else {
    /* refused: nothing left to free, nothing pointing anywhere */
    FZ_CHECK(r.headers == NULL && r.n_headers == 0 && r.body == NULL);
  }
  free(buf);
}

/* docs/abi.md's request, read back: the next field must be `want`. */
static void expect_bytes(fz_abi_reader *r, const void *want, size_t n) {
  size_t got;
  const uint8_t *p = fz_abi_bytes(r, &got);
  FZ_CHECK(got == n && (n == 0 || memcmp(p, want, n) == 0));
}

static void fuzz_request(fz *f) {
  size_t ml, ul, bl;
  char *method = fz_cstr(f, &ml);
  uint8_t *uri = fz_piece(f, &ul);
  uint16_t want = fz_u16(f);
  /* a few headers, or (the 16 top values) around the encoder's limit */
  size_t n = want >= 0xfff0 ? 4088 + (want & 15u) : want % 64;
  pe_abi_header *h = calloc(n ? n : 1, sizeof *h);
  uint8_t **owned = calloc(2 * (n ? n : 1), sizeof *owned);
  FZ_CHECK(h && owned);
  for (size_t i = 0; i < n; i++) {
    /* past the input every header is empty and shares one string, so
     * that big counts stay cheap */
    size_t nl = 0, vl = 0;
    if (f->left) {
      owned[2 * i] = fz_piece(f, &nl);
      owned[2 * i + 1] = fz_piece(f, &vl);
    }
    h[i] = (pe_abi_header){owned[2 * i] ? (const char *)owned[2 * i] : "",
                           owned[2 * i + 1] ? (const char *)owned[2 * i + 1] : "", nl, vl};
  }
  uint8_t *body = fz_rest(f, &bl);
  pe_buf out = {0};
  bool ok = pe_abi_encode_request(&out, method, (const char *)uri, ul, h, n, body, bl);
  FZ_CHECK(ok == (n <= 4096));
  if (ok) {
    fz_abi_reader r = {(const uint8_t *)out.data, out.len};
    FZ_CHECK(r.left >= 4 && memcmp(r.p, "PEQ1", 4) == 0);
    r.p += 4;
    r.left -= 4;
    expect_bytes(&r, method, strlen(method));
    expect_bytes(&r, uri, ul);
    FZ_CHECK(fz_abi_u32(&r) == n);
    for (size_t i = 0; i < n; i++) {
      expect_bytes(&r, h[i].name, h[i].name_len);
      expect_bytes(&r, h[i].value, h[i].value_len);
    }
    expect_bytes(&r, body, bl);
    FZ_CHECK(r.left == 0);
  }
  pe_buf_free(&out);
  for (size_t i = 0; i < 2 * n; i++) free(owned[i]);
  free(owned);
  free(h);
  free(body);
  free(uri);
  free(method);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  if (data[0] & 1) {
    fz f;
    fz_init(&f, data + 1, size - 1);
    fuzz_request(&f);
  } else {
    fuzz_response(data + 1, size - 1);
  }
  return 0;
}
