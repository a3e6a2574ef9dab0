/*
 * test_response.c -- the "response" area (a streamed response's head,
 * pieces and end) through the request dispatcher, as the sandbox reaches
 * it: the order of the calls, every malformed payload, limits, a client
 * that went away, a deadline passing while the client does not read, and
 * a request without a stream (a chained call). The server's side is stood
 * in for by a recording sink (a mock, unavoidably: the area's contract is
 * with that callback; tests/platform/test_stream.py runs the real one).
 */
#include "pe_test.h"

#include <stdarg.h>
#include <time.h>

#include "services/response/svc_response.h"
#include "svc_fixture.h"

static const char *const manifest =
    "spin_manifest_version = 2\n"
    "[application]\nname = \"t\"\n"
    "[[trigger.http]]\nroute = \"/...\"\ncomponent = \"a\"\n"
    "[component.a]\nsource = \"app.wasm\"\n";

typedef struct sink {
  pe_svc_stream ops;
  int starts, ends;
  unsigned status;
  size_t nheaders;
  char first_header[64];
  pe_buf body;
  bool refuse;  /* start answers false */
  bool gone;    /* writes answer GONE */
  int timeouts; /* writes answer TIMEOUT this many times first */
  bool stalled; /* writes answer TIMEOUT, always: a client that reads nothing */
  size_t take;  /* at most this much per write (0: all) */
} sink;

static bool k_start(void *ctx, unsigned status, const pe_abi_header *h, size_t n, char *why,
                    size_t whylen) {
  sink *k = ctx;
  if (k->refuse) {
    snprintf(why, whylen, "status %u cannot be sent", status);
    return false;
  }
  k->starts++;
  k->status = status;
  k->nheaders = n;
  if (n)
    snprintf(k->first_header, sizeof k->first_header, "%.*s: %.*s", (int)h[0].name_len, h[0].name,
             (int)h[0].value_len, h[0].value);
  return true;
}

static pe_svc_stream_status k_write(void *ctx, const uint8_t *p, size_t n, unsigned ms,
                                    size_t *done) {
  sink *k = ctx;
  *done = 0;
  assert_true(ms > 0);
  if (k->gone) return PE_SVC_STREAM_GONE;
  if (k->stalled) return PE_SVC_STREAM_TIMEOUT;
  if (k->timeouts > 0) {
    k->timeouts--;
    return PE_SVC_STREAM_TIMEOUT;
  }
  size_t t = k->take && k->take < n ? k->take : n;
  assert_true(pe_buf_append(&k->body, p, t));
  *done = t;
  return t == n ? PE_SVC_STREAM_OK : PE_SVC_STREAM_TIMEOUT;
}

static void k_end(void *ctx) { ((sink *)ctx)->ends++; }

static void open_with_sink(fx *f, sink *k) {
  memset(k, 0, sizeof *k);
  k->ops = (pe_svc_stream){k_start, k_write, k_end, k};
  if (!fx_open(f, manifest, NULL, NULL)) fail_msg("%s", f->err);
  fx_request(f, "a");
  f->rq.stream = &k->ops;
}

static void close_sink(fx *f, sink *k) {
  pe_buf_free(&k->body);
  fx_close(f);
}

static pe_buf start_payload(uint64_t status, uint64_t n, ...) {
  uint8_t s[8], c[8];
  fx_le64(s, status);
  fx_le64(c, n);
  pe_buf b = {0};
  assert_true(pe_hc_put_blob(&b, s, 8) && pe_hc_put_blob(&b, c, 8));
  va_list ap;
  va_start(ap, n);
  for (const char *p; (p = va_arg(ap, const char *)) != NULL;)
    assert_true(pe_hc_put_blob(&b, p, strlen(p)));
  va_end(ap);
  return b;
}

static void test_head_pieces_end(void **state) {
  (void)state;
  fx f;
  sink k;
  open_with_sink(&f, &k);
  assert_int_equal(fx_call(&f, "response.start",
                           start_payload(201, 2, "content-type", "text/plain", "x-a", "b", NULL)),
                   PE_HC_OK);
  assert_int_equal(k.status, 201);
  assert_int_equal(k.nheaders, 2);
  assert_string_equal(k.first_header, "content-type: text/plain");
  assert_int_equal(fx_call(&f, "response.write", fx_payload(S("hello "), NULL)), PE_HC_OK);
  assert_int_equal(fx_call(&f, "response.write", fx_payload("", (size_t)0, NULL)), PE_HC_OK);
  k.take = 3; /* the server takes a piece in parts: the area goes on until all is taken */
  assert_int_equal(fx_call(&f, "response.write", fx_payload(S("world"), NULL)), PE_HC_OK);
  assert_int_equal(k.body.len, 11);
  assert_memory_equal(k.body.data, "hello world", 11);
  assert_int_equal(fx_call_raw(&f, "response.end", "", 0), PE_HC_OK);
  assert_int_equal(k.ends, 1);
  close_sink(&f, &k);
}

static void test_order_of_calls(void **state) {
  (void)state;
  fx f;
  sink k;
  open_with_sink(&f, &k);
  assert_int_equal(fx_call(&f, "response.write", fx_payload(S("x"), NULL)), PE_HC_INVALID);
  assert_non_null(strstr(fx_msg(&f), "has not started"));
  assert_int_equal(fx_call_raw(&f, "response.end", "", 0), PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "response.start", start_payload(200, 0, NULL)), PE_HC_OK);
  assert_int_equal(fx_call(&f, "response.start", start_payload(200, 0, NULL)), PE_HC_INVALID);
  assert_int_equal(k.starts, 1);
  assert_int_equal(fx_call_raw(&f, "response.end", "", 0), PE_HC_OK);
  assert_int_equal(fx_call_raw(&f, "response.end", "", 0), PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "response.write", fx_payload(S("x"), NULL)), PE_HC_INVALID);
  assert_non_null(strstr(fx_msg(&f), "already ended"));
  assert_int_equal(k.ends, 1);
  assert_int_equal(k.body.len, 0);
  assert_int_equal(fx_call_raw(&f, "response.frob", "", 0), PE_HC_NO_SERVICE);
  close_sink(&f, &k);
}

static void test_malformed_heads(void **state) {
  (void)state;
  fx f;
  sink k;
  open_with_sink(&f, &k);
  /* junk of every short length */
  const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 8, 0, 0, 0, 1, 2, 3};
  for (size_t n = 0; n <= sizeof junk; n++)
    assert_int_equal(fx_call_raw(&f, "response.start", junk, n), PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "response.start", start_payload(99, 0, NULL)), PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "response.start", start_payload(1000, 0, NULL)), PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "response.start", start_payload(200, 257, NULL)), PE_HC_LIMIT);
  /* a count the blobs do not honour, either way */
  assert_int_equal(fx_call(&f, "response.start", start_payload(200, 2, "a", "b", NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "response.start", start_payload(200, 0, "a", "b", NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "response.start", start_payload(200, 1, "a", NULL)), PE_HC_INVALID);
  /* names that are not tokens, values with CR/LF/NUL or control bytes */
  static const char *const bad[][2] = {{"", "v"},          {"a b", "v"},  {"a:b", "v"},
                                       {"x", "a\r\nb: c"}, {"x", "a\nb"}, {"x", "\x01"}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(fx_call(&f, "response.start",
                             start_payload(200, 1, bad[i][0], bad[i][1], NULL)),
                     PE_HC_INVALID);
  pe_buf nul = start_payload(200, 1, "x", NULL);
  assert_true(pe_hc_put_blob(&nul, "a\0b", 3));
  assert_int_equal(fx_call(&f, "response.start", nul), PE_HC_INVALID);
  char big[20000];
  memset(big, 'v', sizeof big - 1);
  big[sizeof big - 1] = 0;
  assert_int_equal(fx_call(&f, "response.start", start_payload(200, 1, "x", big, NULL)),
                   PE_HC_INVALID);
  /* the server refuses (a status it cannot send): the start did not happen */
  k.refuse = true;
  assert_int_equal(fx_call(&f, "response.start", start_payload(150, 0, NULL)), PE_HC_INVALID);
  assert_non_null(strstr(fx_msg(&f), "cannot be sent"));
  k.refuse = false;
  assert_int_equal(k.starts, 0);
  assert_int_equal(fx_call(&f, "response.start", start_payload(200, 0, NULL)), PE_HC_OK);
  /* writes take exactly one blob; end takes none */
  assert_int_equal(fx_call_raw(&f, "response.write", "", 0), PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "response.write", fx_payload(S("a"), S("b"), NULL)), PE_HC_INVALID);
  assert_int_equal(fx_call_raw(&f, "response.write", junk, 5), PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "response.end", fx_payload(S("x"), NULL)), PE_HC_INVALID);
  size_t huge = ((size_t)16 << 20) + 1; /* one byte over a piece's limit */
  char *big_piece = calloc(1, huge);
  assert_non_null(big_piece);
  assert_int_equal(fx_call(&f, "response.write", fx_payload(big_piece, huge, NULL)), PE_HC_LIMIT);
  free(big_piece);
  assert_int_equal(k.body.len, 0);
  assert_int_equal(k.ends, 0);
  close_sink(&f, &k);
}

static void test_client_gone_and_deadline(void **state) {
  (void)state;
  fx f;
  sink k;
  open_with_sink(&f, &k);
  assert_int_equal(fx_call(&f, "response.start", start_payload(200, 0, NULL)), PE_HC_OK);
  k.timeouts = 3; /* the client is slow: the area waits again, within the deadline */
  assert_int_equal(fx_call(&f, "response.write", fx_payload(S("slow"), NULL)), PE_HC_OK);
  assert_int_equal(k.body.len, 4);
  k.gone = true;
  assert_int_equal(fx_call(&f, "response.write", fx_payload(S("x"), NULL)), PE_HC_BACKEND);
  assert_non_null(strstr(fx_msg(&f), "client closed the connection"));
  k.gone = false;
  /* the request's deadline has passed while the client does not read */
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  f.rq.deadline_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec + 30000000ull;
  k.stalled = true;
  assert_int_equal(fx_call(&f, "response.write", fx_payload(S("late"), NULL)), PE_HC_TIMEOUT);
  assert_int_equal(k.body.len, 4);
  f.rq.deadline_ns = 1; /* long past */
  k.stalled = false;
  assert_int_equal(fx_call(&f, "response.write", fx_payload(S("late"), NULL)), PE_HC_TIMEOUT);
  close_sink(&f, &k);
}

static void test_no_stream_for_a_chained_call(void **state) {
  (void)state;
  fx f;
  if (!fx_open(&f, manifest, NULL, NULL)) fail_msg("%s", f.err);
  fx_request(&f, "a"); /* no stream installed, as for a chained request */
  assert_int_equal(fx_call(&f, "response.start", start_payload(200, 0, NULL)), PE_HC_NO_SERVICE);
  assert_int_equal(fx_call(&f, "response.write", fx_payload(S("x"), NULL)), PE_HC_NO_SERVICE);
  assert_int_equal(fx_call_raw(&f, "response.end", "", 0), PE_HC_NO_SERVICE);
  fx_close(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_head_pieces_end),
      cmocka_unit_test(test_order_of_calls),
      cmocka_unit_test(test_malformed_heads),
      cmocka_unit_test(test_client_gone_and_deadline),
      cmocka_unit_test(test_no_stream_for_a_chained_call),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
