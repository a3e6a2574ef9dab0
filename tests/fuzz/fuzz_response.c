/*
 * fuzz_response.c -- the "response" area (services/response/svc_response.c):
 * what a hostile guest can send as a streamed response's head, pieces and
 * end, in any order, with any payload bytes. The server's side is a
 * recording sink that checks what reaches it (a stand-in: the area's
 * contract is with that callback).
 *
 * Input: a mode byte (bit 0: no stream installed, as for a chained call;
 * bit 1: the sink refuses starts; bit 2: the sink reports the client gone
 * from the second write on; bit 3: the sink takes at most 7 bytes a call,
 * as a slow client makes it), then calls until the input ends (at most
 * 32): an op byte (low 2 bits: start, write, end, or a name read from the
 * input) and a length-prefixed payload.
 *
 * What must hold:
 *  - every reply is a known status byte, then nothing for OK (these ops
 *    return no blobs) or a message of at most 1 KiB;
 *  - without a stream, every op is NO_SERVICE and the sink sees nothing;
 *  - the sink sees at most one start, only with a status of 100..999, at
 *    most 256 headers, names that are tokens and values without control
 *    characters other than tab; writes only between a start the area
 *    answered OK and an end; at most one end;
 *  - the bytes the sink received are exactly the pieces of the OK writes,
 *    in order.
 */
#include "fuzz_common.h"
#include "services/response/svc_response.h"

typedef struct sink {
  int starts, ends, writes;
  bool refuse, gone_after_first, slow, ended;
  pe_buf got;
} sink;

static bool tchar(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool k_start(void *ctx, unsigned status, const pe_abi_header *h, size_t n, char *why,
                    size_t whylen) {
  sink *k = ctx;
  FZ_CHECK(k->starts == 0 && !k->ended);
  FZ_CHECK(status >= 100 && status <= 999 && n <= 256);
  for (size_t i = 0; i < n; i++) {
    FZ_CHECK(h[i].name_len > 0);
    for (size_t j = 0; j < h[i].name_len; j++) FZ_CHECK(tchar((unsigned char)h[i].name[j]));
    for (size_t j = 0; j < h[i].value_len; j++) {
      unsigned char c = (unsigned char)h[i].value[j];
      FZ_CHECK(c >= 0x20 || c == '\t');
      FZ_CHECK(c != 0x7f);
    }
  }
  if (k->refuse) {
    snprintf(why, whylen, "refused");
    return false;
  }
  k->starts++;
  return true;
}

static pe_svc_stream_status k_write(void *ctx, const uint8_t *p, size_t n, unsigned ms,
                                    size_t *done) {
  sink *k = ctx;
  FZ_CHECK(k->starts == 1 && !k->ended && n > 0 && ms > 0);
  *done = 0;
  if (k->gone_after_first && k->writes++ > 0) return PE_SVC_STREAM_GONE;
  size_t t = k->slow && n > 7 ? 7 : n;
  if (!pe_buf_append(&k->got, p, t)) abort();
  *done = t;
  return t == n ? PE_SVC_STREAM_OK : PE_SVC_STREAM_TIMEOUT;
}

static void k_end(void *ctx) {
  sink *k = ctx;
  FZ_CHECK(k->starts == 1 && !k->ended);
  k->ended = true;
  k->ends++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz f;
  fz_init(&f, data, size);
  uint8_t mode = fz_u8(&f);
  sink k = {.refuse = mode & 2, .gone_after_first = mode & 4, .slow = mode & 8};
  pe_svc_stream ops = {k_start, k_write, k_end, &k};
  pe_svc_request rq;
  memset(&rq, 0, sizeof rq);
  if (!(mode & 1)) rq.stream = &ops;
  pe_buf out = {0}, expect = {0};
  static const char *const names[] = {"start", "write", "end"};
  for (int call = 0; call < 32 && f.left; call++) {
    uint8_t op = fz_u8(&f);
    char name[64];
    if ((op & 3) < 3) {
      snprintf(name, sizeof name, "%s", names[op & 3]);
    } else {
      size_t n;
      uint8_t *raw = fz_piece(&f, &n);
      snprintf(name, sizeof name, "%.*s", (int)(n < 40 ? n : 40), (const char *)raw);
      free(raw);
      if (memchr(name, 0, strlen(name) + 1) != name + strlen(name)) name[0] = 0;
    }
    size_t n;
    uint8_t *payload = fz_piece(&f, &n);
    out.len = 0;
    pe_svc_response_call(&rq, name, payload, n, &out);
    FZ_CHECK(out.len >= 1 && (uint8_t)out.data[0] <= PE_HC_NO_SERVICE);
    if (out.data[0] == PE_HC_OK)
      FZ_CHECK(out.len == 1);
    else
      FZ_CHECK(out.len - 1 <= 1024);
    if (!rq.stream) FZ_CHECK(out.data[0] == PE_HC_NO_SERVICE);
    if (out.data[0] == PE_HC_OK && !strcmp(name, "write")) {
      /* the piece is the payload's one blob */
      FZ_CHECK(n >= 4);
      if (!pe_buf_append(&expect, payload + 4, n - 4)) abort();
    }
    free(payload);
  }
  FZ_CHECK(k.starts <= 1 && k.ends <= 1);
  FZ_CHECK(k.got.len >= expect.len);
  /* a write the area failed (client gone) may have passed part of a piece */
  FZ_CHECK(expect.len == 0 || memcmp(k.got.data, expect.data, expect.len) == 0 ||
           k.gone_after_first);
  if (!k.gone_after_first) FZ_CHECK(k.got.len == expect.len);
  if (!rq.stream) FZ_CHECK(k.starts == 0 && k.got.len == 0);
  pe_buf_free(&out);
  pe_buf_free(&expect);
  pe_buf_free(&k.got);
  return 0;
}
