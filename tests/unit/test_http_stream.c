/*
 * test_http_stream.c -- streamed responses in the HTTP server alone (a C
 * handler, no sandbox; test_http.h's /stream route): pieces reach the
 * client while the handler runs, chunked framing and its last chunk, the
 * head decided for HTTP/1.0 and HEAD, pipelined requests answered in order
 * around a stream, a handler that returns without ending (the client never
 * sees a complete response), a client that goes away (the handler's writes
 * fail), and a client that does not read (the handler waits; the server
 * holds at most PE_HTTP_STREAM_BUFFER). Built with ASan too.
 */
#include "test_http.h"
#include "util/pe_util.h"

/* Reads a chunked body off c after its head; the pieces' arrival times in
 * at[] (ms), their data joined in *body. False when the connection ends
 * before the last chunk. */
static bool read_chunked(th_conn *c, pe_buf *body, uint64_t *at, size_t max_at, size_t *nat) {
  *nat = 0;
  for (;;) {
    char *eol;
    while (!c->buf || !(eol = strstr(c->buf, "\r\n")))
      if (th_fill(c) <= 0) return false;
    size_t size = (size_t)strtoul(c->buf, NULL, 16);
    size_t line = (size_t)(eol - c->buf) + 2;
    while (c->len < line + size + 2)
      if (th_fill(c) <= 0) return false;
    if (size == 0) {
      th_consume(c, line + 2);
      return true;
    }
    if (*nat < max_at) at[(*nat)++] = th_now_ms();
    assert_true(pe_buf_append(body, c->buf + line, size));
    th_consume(c, line + size + 2);
  }
}

static bool read_head(th_conn *c, th_resp *r) { return th_read(c, r, true); }

static void test_pieces_arrive_while_the_handler_runs(void **state) {
  (void)state;
  th_server *t = th_start(NULL);
  th_conn *c = th_open(t->port);
  assert_true(th_sendstr(c, "GET /stream?n=4&ms=400 HTTP/1.1\r\nHost: x\r\n\r\n"));
  th_resp r;
  assert_true(read_head(c, &r));
  assert_int_equal(r.status, 200);
  assert_string_equal(th_header(&r, "transfer-encoding"), "chunked");
  assert_null(th_header(&r, "content-length"));
  assert_string_equal(th_header(&r, "content-type"), "text/plain");
  pe_buf body = {0};
  uint64_t at[8];
  size_t nat;
  assert_true(read_chunked(c, &body, at, 8, &nat));
  assert_int_equal(nat, 4);
  /* each piece came before the next was written (400 ms later) */
  char *line = body.data;
  for (size_t i = 0; i < 4; i++) {
    unsigned long long written = strtoull(strstr(line, " at ") + 4, &line, 10);
    assert_true(at[i] >= written && at[i] - written < 300);
    if (i) assert_true(at[i] - at[i - 1] >= 300);
  }
  /* the connection goes on: a whole response next */
  assert_true(th_sendstr(c, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  th_resp_free(&r);
  assert_true(th_read(c, &r, false));
  assert_string_equal(r.body, "hello");
  th_resp_free(&r);
  pe_buf_free(&body);
  th_close(c);
  th_stop(t);
}

static void test_pipelined_around_a_stream(void **state) {
  (void)state;
  th_server *t = th_start(NULL);
  th_conn *c = th_open(t->port);
  assert_true(th_sendstr(c,
                         "GET /slow?ms=200 HTTP/1.1\r\nHost: x\r\n\r\n"
                         "GET /stream?n=3&size=100000 HTTP/1.1\r\nHost: x\r\n\r\n"
                         "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  th_resp r;
  assert_true(th_read(c, &r, false));
  assert_string_equal(r.body, "slow");
  th_resp_free(&r);
  assert_true(read_head(c, &r));
  th_resp_free(&r);
  pe_buf body = {0};
  uint64_t at[8];
  size_t nat;
  assert_true(read_chunked(c, &body, at, 8, &nat));
  assert_int_equal(body.len, 300000);
  assert_true(body.data[0] == 'a' && body.data[100000] == 'b' && body.data[299999] == 'c');
  assert_true(th_read(c, &r, false));
  assert_string_equal(r.body, "hello");
  th_resp_free(&r);
  pe_buf_free(&body);
  th_close(c);
  th_stop(t);
}

static void test_http10_and_head(void **state) {
  (void)state;
  th_server *t = th_start(NULL);
  th_conn *c = th_open(t->port);
  assert_true(th_sendstr(c, "GET /stream?n=2 HTTP/1.0\r\n\r\n"));
  th_resp r;
  assert_true(read_head(c, &r));
  assert_null(th_header(&r, "transfer-encoding"));
  assert_string_equal(th_header(&r, "connection"), "close");
  while (th_fill(c) > 0) {
  }
  assert_non_null(strstr(c->buf, "piece 0"));
  assert_non_null(strstr(c->buf, "piece 1"));
  th_resp_free(&r);
  th_close(c);
  c = th_open(t->port);
  assert_true(th_sendstr(c,
                         "HEAD /stream?n=2 HTTP/1.1\r\nHost: x\r\n\r\n"
                         "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  assert_true(read_head(c, &r));
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  assert_true(th_read(c, &r, false)); /* no body came before the next response */
  assert_string_equal(r.body, "hello");
  th_resp_free(&r);
  th_close(c);
  th_stop(t);
}

static void test_unended_stream_is_broken(void **state) {
  (void)state;
  th_server *t = th_start(NULL);
  th_conn *c = th_open(t->port);
  assert_true(th_sendstr(c, "GET /stream?n=2&fail=1 HTTP/1.1\r\nHost: x\r\n\r\n"));
  th_resp r;
  assert_true(read_head(c, &r));
  pe_buf body = {0};
  uint64_t at[4];
  size_t nat;
  assert_false(read_chunked(c, &body, at, 4, &nat)); /* closed before the last chunk */
  assert_int_equal(nat, 2);
  th_resp_free(&r);
  pe_buf_free(&body);
  th_close(c);
  th_stop(t);
}

static void test_client_gone_fails_the_writes(void **state) {
  (void)state;
  th_server *t = th_start(NULL);
  th_conn *c = th_open(t->port);
  assert_true(th_sendstr(c, "GET /stream?n=100000&size=65536 HTTP/1.1\r\nHost: x\r\n\r\n"));
  th_resp r;
  assert_true(read_head(c, &r));
  th_resp_free(&r);
  th_abort(c);
  for (int i = 0; i < 500 && !atomic_load(&t->stream_gone); i++) th_sleep_ms(10);
  assert_int_equal(atomic_load(&t->stream_gone), 1);
  assert_true(atomic_load(&t->stream_written) < 100000LL * 65536);
  th_stop(t);
}

static void test_client_gone_before_the_stream_began(void **state) {
  (void)state;
  th_server *t = th_start(NULL);
  th_conn *c = th_open(t->port);
  assert_true(
      th_sendstr(c, "GET /stream?delay=300&n=100000&size=65536 HTTP/1.1\r\nHost: x\r\n\r\n"));
  th_wait_entered(t);
  th_abort(c); /* the connection is closed while the handler has not begun */
  for (int i = 0; i < 500 && !atomic_load(&t->stream_gone); i++) th_sleep_ms(10);
  assert_int_equal(atomic_load(&t->stream_gone), 1);
  assert_true(atomic_load(&t->stream_written) < 8LL << 20);
  th_stop(t);
}

static void test_slow_reader_holds_the_handler(void **state) {
  (void)state;
  th_server *t = th_start(NULL);
  th_conn *c = th_open(t->port);
  int small = 16384; /* a small receive buffer, so the kernel holds little */
  setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  assert_true(th_sendstr(c, "GET /stream?n=512&size=65536 HTTP/1.1\r\nHost: x\r\n\r\n"));
  th_sleep_ms(1000);
  long long written = atomic_load(&t->stream_written);
  /* what the handler got rid of: the stream's buffer, the server's socket
   * buffer and ours, not the 32 MiB it wants to write */
  assert_true(written < 12LL << 20);
  assert_true(atomic_load(&t->stream_timeouts) > 0);
  th_resp r;
  assert_true(read_head(c, &r));
  th_resp_free(&r);
  pe_buf body = {0};
  uint64_t at[1];
  size_t nat;
  assert_true(read_chunked(c, &body, at, 1, &nat));
  assert_int_equal(body.len, 512u * 65536);
  pe_buf_free(&body);
  th_close(c);
  th_stop(t);
}

int main(void) {
  th_alarm(120);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pieces_arrive_while_the_handler_runs),
      cmocka_unit_test(test_pipelined_around_a_stream),
      cmocka_unit_test(test_http10_and_head),
      cmocka_unit_test(test_unended_stream_is_broken),
      cmocka_unit_test(test_client_gone_fails_the_writes),
      cmocka_unit_test(test_client_gone_before_the_stream_began),
      cmocka_unit_test(test_slow_reader_holds_the_handler),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
