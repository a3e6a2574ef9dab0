/*
 * test_http_limits.c -- what the HTTP server refuses, and how: malformed
 * input (400), request smuggling shapes (400), unsupported things (417,
 * 501, 505), limits (413 from Content-Length and chunk sizes, 431), timeouts
 * (408 for a slow head or body, silent close when idle) and a full queue
 * (503). Every refusal but 503 must also close the connection.
 */
#include "test_http.h"

/* Sends raw on a fresh connection, expects `status` with Connection: close
 * and then the server closing. */
static void expect_refusal(int port, const char *raw, size_t len, int status) {
  th_conn *c = th_open(port);
  assert_true(th_send(c, raw, len));
  th_resp r;
  if (!th_read(c, &r, false)) fail_msg("no response to %.60s", raw);
  if (r.status != status) fail_msg("status %d, want %d, for %.60s", r.status, status, raw);
  assert_string_equal(th_header(&r, "connection"), "close");
  assert_non_null(th_header(&r, "date"));
  th_resp_free(&r);
  assert_true(th_wait_close(c, 3000, NULL));
  th_close(c);
}

#define REFUSE(port, s, st) expect_refusal(port, s, sizeof s - 1, st)

static void test_malformed_400(void **state) {
  th_server *t = th_start(NULL);
  REFUSE(t->port, "GARBAGE\r\n\r\n", 400);
  REFUSE(t->port, "GET\r\n\r\n", 400);
  REFUSE(t->port, "GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n", 400);
  REFUSE(t->port, "GET / HTTX/1.1\r\nHost: h\r\n\r\n", 400);
  REFUSE(t->port, "GET / HTTP/1.1\r\nHost: h\r\nBad Header\r\n\r\n", 400);
  REFUSE(t->port, "GET / HTTP/1.1\r\nHost: h\r\nX: a\x01z\r\n\r\n", 400);
  REFUSE(t->port, "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", 400);
  REFUSE(t->port, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400); /* a TLS hello */
  REFUSE(t->port, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n", 400);
  REFUSE(t->port, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
         400);
  /* what the lenient library build would let through (see http_head.c) */
  REFUSE(t->port, "GET / HTTP/1.1\nHost: h\n\n", 400);
  REFUSE(t->port, "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400);
  REFUSE(t->port, "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n folded\r\n\r\n", 400);
  REFUSE(t->port, "GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400);
  REFUSE(t->port, "GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n", 400);
  REFUSE(t->port, "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
  REFUSE(t->port, "GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", 400);
  REFUSE(t->port, "GET / HTTP/1.1\r\nHost: h\r\n\rX", 400);
  REFUSE(t->port, "FOO / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
  /* HTTP/1.1 needs exactly one Host */
  REFUSE(t->port, "GET / HTTP/1.1\r\n\r\n", 400);
  REFUSE(t->port, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
  /* after a good request, the bad one is answered in order */
  th_conn *c = th_open(t->port);
  assert_true(th_sendstr(c, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\nBAD REQUEST\r\n\r\n"));
  th_resp r;
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 400);
  th_resp_free(&r);
  assert_true(th_wait_close(c, 3000, NULL));
  th_close(c);
  th_stop(t);
}

static void test_framing_400_501_505(void **state) {
  th_server *t = th_start(NULL);
  /* both framings: a smuggling attempt */
  REFUSE(t->port,
         "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
         "0\r\n\r\n",
         400);
  REFUSE(t->port,
         "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
         "0\r\n\r\n",
         400);
  /* bad chunk sizes */
  REFUSE(t->port, "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
         400);
  REFUSE(t->port, "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n",
         400);
  REFUSE(t->port,
         "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
         "fffffffffffffffffff\r\n",
         400);
  REFUSE(t->port,
         "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", 400);
  REFUSE(t->port, "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\rXabc\r\n",
         400);
  REFUSE(t->port, "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n",
         400);
  REFUSE(t->port,
         "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;a\x01\r\nabc\r\n",
         400);
  REFUSE(
      t->port,
      "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nno colon\r\n\r\n",
      400);
  REFUSE(t->port, "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\r",
         400);
  /* codings we cannot undo, methods and versions we do not speak */
  REFUSE(t->port, "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
         501);
  REFUSE(t->port, "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", 501);
  REFUSE(t->port, "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505);
  REFUSE(t->port, "POST /echo HTTP/1.1\r\nHost: h\r\nExpect: magic\r\nContent-Length: 1\r\n\r\n",
         417);
  th_stop(t);
}

static void test_header_too_large_431(void **state) {
  th_server *t = th_start(NULL);
  size_t n = 20000;
  char *big = malloc(n + 64);
  assert_non_null(big);
  int off = snprintf(big, 64, "GET / HTTP/1.1\r\nHost: h\r\nX-Big: ");
  memset(big + off, 'a', n);
  memcpy(big + off + n, "\r\n\r\n", 4);
  expect_refusal(t->port, big, (size_t)off + n + 4, 431);
  /* also while the head is still incomplete */
  expect_refusal(t->port, big, (size_t)off + n, 431);
  /* a long request line, and many small headers */
  memcpy(big, "GET /", 5);
  memset(big + 5, 'p', n);
  memcpy(big + 5 + n, " HTTP/1.1\r\n\r\n", 13);
  expect_refusal(t->port, big, 5 + n + 13, 431);
  size_t len = (size_t)snprintf(big, 64, "GET / HTTP/1.1\r\nHost: h\r\n");
  while (len + 20 < n) len += (size_t)snprintf(big + len, 32, "X-%05zu: v\r\n", len);
  memcpy(big + len, "\r\n", 2);
  expect_refusal(t->port, big, len + 2, 431);
  /* just under the limit is fine */
  off = snprintf(big, 64, "GET /hello HTTP/1.1\r\nHost: h\r\nX-Big: ");
  size_t fill = 16 * 1024 - (size_t)off - 8;
  memset(big + off, 'b', fill);
  memcpy(big + off + fill, "\r\n\r\n", 4);
  th_conn *c = th_open(t->port);
  assert_true(th_send(c, big, (size_t)off + fill + 4));
  th_resp r;
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  th_close(c);
  free(big);
  th_stop(t);
}

static void test_body_too_large_413(void **state) {
  pe_http_config cfg;
  th_config(&cfg);
  cfg.max_body_bytes = 1 << 20;
  th_server *t = th_start(&cfg);
  /* from Content-Length, before any body */
  REFUSE(t->port, "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 1048577\r\n\r\n", 413);
  /* a chunk that claims too much */
  REFUSE(t->port, "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n100001\r\n",
         413);
  /* chunks that add up to too much */
  th_conn *c = th_open(t->port);
  assert_true(
      th_sendstr(c, "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"));
  char *chunk = malloc(65536 + 16);
  assert_non_null(chunk);
  int hl = snprintf(chunk, 16, "10000\r\n");
  memset(chunk + hl, 'c', 65536);
  memcpy(chunk + hl + 65536, "\r\n", 2);
  th_resp r;
  bool sent = true;
  for (int i = 0; i < 17 && sent; i++) sent = th_send(c, chunk, (size_t)hl + 65536 + 2);
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 413);
  th_resp_free(&r);
  th_close(c);
  free(chunk);
  /* exactly the limit is fine */
  size_t n = 1 << 20;
  char *body = calloc(1, n);
  assert_non_null(body);
  c = th_open(t->port);
  assert_true(th_sendstr(c, "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 1048576\r\n\r\n"));
  assert_true(th_send(c, body, n));
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 200);
  assert_int_equal(r.body_len, n);
  th_resp_free(&r);
  th_close(c);
  /* a client that sends the body anyway still gets to read the 413 */
  c = th_open(t->port);
  assert_true(th_sendstr(c, "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 20000000\r\n\r\n"));
  th_send(c, body, 256 * 1024); /* may fail once the server closes: fine */
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 413);
  th_resp_free(&r);
  th_close(c);
  free(body);
  th_stop(t);
}

static void test_expect_too_large_413(void **state) {
  th_server *t = th_start(NULL);
  th_conn *c = th_open(t->port);
  assert_true(th_sendstr(c,
                         "POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                         "Content-Length: 20000000\r\n\r\n"));
  th_resp r;
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 413); /* and no 100 before it */
  assert_string_equal(th_header(&r, "connection"), "close");
  th_resp_free(&r);
  assert_true(th_wait_close(c, 3000, NULL));
  th_close(c);
  assert_int_equal(atomic_load(&t->started), 0);
  th_stop(t);
}

static void test_header_timeout_408(void **state) {
  pe_http_config cfg;
  th_config(&cfg);
  cfg.header_timeout_ms = 200;
  th_server *t = th_start(&cfg);
  /* a head that never ends */
  uint64_t t0 = th_now_ms();
  th_conn *c = th_open(t->port);
  assert_true(th_sendstr(c, "GET /hello HTTP/1.1\r\nHost: h\r\n"));
  th_resp r;
  assert_true(th_read(c, &r, false));
  uint64_t dt = th_now_ms() - t0;
  assert_int_equal(r.status, 408);
  assert_true(dt >= 190 && dt < 2000);
  th_resp_free(&r);
  assert_true(th_wait_close(c, 3000, NULL));
  th_close(c);
  /* trickling bytes does not extend the deadline */
  t0 = th_now_ms();
  c = th_open(t->port);
  assert_true(th_sendstr(c, "GET /hello HTTP/1.1\r\n"));
  for (int i = 0; i < 10 && th_sendstr(c, "X-A: b\r\n"); i++) th_sleep_ms(50);
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 408);
  dt = th_now_ms() - t0;
  assert_true(dt < 1000);
  th_resp_free(&r);
  th_close(c);
  /* a connection that sends nothing */
  c = th_open(t->port);
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 408);
  th_resp_free(&r);
  th_close(c);
  /* a body that stalls */
  c = th_open(t->port);
  assert_true(th_sendstr(c, "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc"));
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 408);
  th_resp_free(&r);
  th_close(c);
  /* a handler slower than the timeout is not a timeout */
  c = th_open(t->port);
  assert_true(th_sendstr(c, "GET /slow?ms=400 HTTP/1.1\r\nHost: h\r\n\r\n"));
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  th_close(c);
  assert_int_equal(atomic_load(&t->started), 1);
  th_stop(t);
}

static void test_idle_timeout_closes(void **state) {
  pe_http_config cfg;
  th_config(&cfg);
  cfg.idle_timeout_ms = 200;
  th_server *t = th_start(&cfg);
  th_conn *c = th_open(t->port);
  assert_true(th_sendstr(c, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n"));
  th_resp r;
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  uint64_t t0 = th_now_ms();
  size_t extra = 1;
  assert_true(th_wait_close(c, 3000, &extra));
  uint64_t dt = th_now_ms() - t0;
  assert_int_equal(extra, 0); /* closed without a word */
  assert_true(dt >= 150 && dt < 2000);
  th_close(c);
  /* activity before the timeout keeps the connection */
  c = th_open(t->port);
  for (int i = 0; i < 4; i++) {
    assert_true(th_sendstr(c, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n"));
    assert_true(th_read(c, &r, false));
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
    th_sleep_ms(100);
  }
  th_close(c);
  th_stop(t);
}

static void test_write_timeout_drops_non_reader(void **state) {
  pe_http_config cfg;
  th_config(&cfg);
  cfg.write_timeout_ms = 300;
  th_server *t = th_start(&cfg);
  th_conn *c = th_open(t->port);
  int small = 4096;
  setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  assert_true(th_sendstr(c, "GET /big?n=20000000 HTTP/1.1\r\nHost: h\r\n\r\n"));
  th_sleep_ms(1500); /* read nothing for a while */
  size_t got = 0;
  assert_true(th_wait_close(c, 3000, &got));
  assert_true(got < 20000000);
  th_close(c);
  /* a slow reader that keeps reading is not dropped */
  c = th_open(t->port);
  assert_true(th_sendstr(c, "GET /big?n=3000000 HTTP/1.1\r\nHost: h\r\n\r\n"));
  size_t total = 0;
  char buf[65536];
  while (total < 3000000) {
    ssize_t n = recv(c->fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    total += (size_t)n;
    th_sleep_ms(5);
  }
  assert_true(total > 3000000); /* the body and its head */
  th_close(c);
  th_stop(t);
}

static void test_queue_full_503(void **state) {
  pe_http_config cfg;
  th_config(&cfg);
  cfg.workers = 1;
  cfg.queue_size = 1;
  th_server *t = th_start(&cfg);
  th_conn *a = th_open(t->port), *b = th_open(t->port), *c = th_open(t->port);
  assert_true(th_sendstr(a, "GET /block HTTP/1.1\r\nHost: h\r\n\r\n"));
  th_wait_entered(t); /* a runs */
  assert_true(th_sendstr(b, "GET /block HTTP/1.1\r\nHost: h\r\n\r\n"));
  th_sleep_ms(50); /* b waits in the queue */
  assert_true(th_sendstr(c, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n"));
  th_resp r;
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 503);
  assert_non_null(th_header(&r, "retry-after"));
  assert_null(th_header(&r, "connection")); /* the connection stays usable */
  th_resp_free(&r);
  sem_post(&t->block);
  sem_post(&t->block);
  assert_true(th_read(a, &r, false));
  assert_string_equal(r.body, "unblocked");
  th_resp_free(&r);
  assert_true(th_read(b, &r, false));
  assert_string_equal(r.body, "unblocked");
  th_resp_free(&r);
  assert_true(th_sendstr(c, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n"));
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  th_close(a);
  th_close(b);
  th_close(c);
  th_stop(t);
}

static void test_bad_config(void **state) {
  pe_http_config cfg;
  th_config(&cfg);
  char err[256];
  cfg.max_header_bytes = 1 << 20;
  assert_null(pe_http_server_new(&cfg, th_handler, NULL, err, sizeof err));
  th_config(&cfg);
  cfg.max_pipeline = 0;
  assert_null(pe_http_server_new(&cfg, th_handler, NULL, err, sizeof err));
  th_config(&cfg);
  assert_null(pe_http_server_new(&cfg, NULL, NULL, err, sizeof err));
  /* a port in use */
  th_server *t = th_start(NULL);
  char listen[64];
  snprintf(listen, sizeof listen, "127.0.0.1:%d", t->port);
  cfg.listen = listen;
  err[0] = 0;
  assert_null(pe_http_server_new(&cfg, th_handler, NULL, err, sizeof err));
  assert_non_null(strstr(err, "listen"));
  th_stop(t);
}

int main(void) {
  th_alarm(300);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_malformed_400),
      cmocka_unit_test(test_framing_400_501_505),
      cmocka_unit_test(test_header_too_large_431),
      cmocka_unit_test(test_body_too_large_413),
      cmocka_unit_test(test_expect_too_large_413),
      cmocka_unit_test(test_header_timeout_408),
      cmocka_unit_test(test_idle_timeout_closes),
      cmocka_unit_test(test_write_timeout_drops_non_reader),
      cmocka_unit_test(test_queue_full_503),
      cmocka_unit_test(test_bad_config),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
