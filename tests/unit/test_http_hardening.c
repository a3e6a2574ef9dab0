/*
 * test_http_hardening.c -- what an adversarial client tried against the HTTP
 * server, each a regression test: chunk sizes with blanks or junk in them,
 * chunked framing on HTTP/1.0, a fragment in the request target, a body
 * trickled in one byte at a time, and the caps on connections and on what
 * one connection may make the server hold (pipelined bodies, responses the
 * client does not read, a client that reads a byte at a time), and a head
 * of ~500 one-byte headers that fits the byte limit.
 */
#include <poll.h>

#include "test_http.h"

/* Sends raw on a fresh connection, expects `status` with Connection: close
 * and then the server closing. */
static void expect_refusal(int port, const char *raw, size_t len, int status) {
  th_conn *c = th_open(port);
  assert_true(th_send(c, raw, len));
  th_resp r;
  if (!th_read(c, &r, false)) fail_msg("no response to %.80s", raw);
  if (r.status != status) fail_msg("status %d, want %d, for %.80s", r.status, status, raw);
  assert_string_equal(th_header(&r, "connection"), "close");
  th_resp_free(&r);
  assert_true(th_wait_close(c, 3000, NULL));
  th_close(c);
}

#define REFUSE(port, s, st) expect_refusal(port, s, sizeof s - 1, st)
#define CHUNKED_HEAD "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"

/* A chunked upload that must be accepted: the echoed body is `want`. */
static void expect_echo(int port, const char *raw, const char *want) {
  th_resp r;
  if (!th_roundtrip(port, raw, &r)) fail_msg("no response to %.80s", raw);
  if (r.status != 200) fail_msg("status %d for %.80s", r.status, raw);
  assert_string_equal(r.body, want);
  th_resp_free(&r);
}

/* RFC 9112 7.1: chunk-size is 1*HEXDIG, and blanks (BWS) may only come
 * before the ';' of an extension. */
static void test_chunk_size_strict(void **state) {
  th_server *t = th_start(NULL);
  REFUSE(t->port, CHUNKED_HEAD "1 0\r\n0123456789abcdef\r\n0\r\n\r\n", 400);
  REFUSE(t->port, CHUNKED_HEAD "1\t0\r\nx\r\n0\r\n\r\n", 400);
  REFUSE(t->port, CHUNKED_HEAD "1 \r\nx\r\n0\r\n\r\n", 400); /* blanks, no ';' */
  REFUSE(t->port, CHUNKED_HEAD " 1\r\nx\r\n0\r\n\r\n", 400);
  REFUSE(t->port, CHUNKED_HEAD "0x1\r\nx\r\n0\r\n\r\n", 400);
  REFUSE(t->port, CHUNKED_HEAD "+1\r\nx\r\n0\r\n\r\n", 400);
  REFUSE(t->port, CHUNKED_HEAD "-0\r\n\r\n", 400);
  REFUSE(t->port, CHUNKED_HEAD "\r\n\r\n", 400); /* empty size */
  REFUSE(t->port, CHUNKED_HEAD ";x\r\n\r\n", 400);
  REFUSE(t->port, CHUNKED_HEAD "1x\r\nx\r\n0\r\n\r\n", 400);
  REFUSE(t->port, CHUNKED_HEAD "1 x\r\nx\r\n0\r\n\r\n", 400);
  REFUSE(t->port, CHUNKED_HEAD "1\r\nx\r\n0 0\r\n\r\n", 400);
  /* 17 digits: more than 64 bits can hold, however small the value */
  REFUSE(t->port, CHUNKED_HEAD "10000000000000000\r\n", 400);
  /* what is allowed: blanks before ';', leading zeros, either case */
  expect_echo(t->port, CHUNKED_HEAD "1 ;a=b\r\nx\r\n0\r\n\r\n", "x");
  expect_echo(t->port, CHUNKED_HEAD "1\t \t;a\r\ny\r\n0 ;z\r\n\r\n", "y");
  expect_echo(t->port, CHUNKED_HEAD "0000000000000000000002\r\nzz\r\n0\r\n\r\n", "zz");
  expect_echo(t->port, CHUNKED_HEAD "a\r\n0123456789\r\n0\r\n\r\n", "0123456789");
  expect_echo(t->port, CHUNKED_HEAD "A\r\n0123456789\r\n0\r\n\r\n", "0123456789");
  th_stop(t);
}

/* RFC 9112 6.1: Transfer-Encoding in an HTTP/1.0 request is faulty framing;
 * answer and close, whatever the client asked for. */
static void test_http10_transfer_encoding(void **state) {
  th_server *t = th_start(NULL);
  REFUSE(t->port,
         "POST /echo HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
         "5\r\nhello\r\n0\r\n\r\nGET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
         400);
  REFUSE(t->port, "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
  REFUSE(t->port, "POST /echo HTTP/1.0\r\nTransfer-Encoding: gzip\r\n\r\n", 400);
  REFUSE(t->port,
         "POST /echo HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n"
         "\r\nhello",
         400);
  /* the handler never saw any of them */
  assert_int_equal(atomic_load(&t->started), 0);
  /* HTTP/1.0 with Content-Length still keeps alive when asked */
  th_conn *c = th_open(t->port);
  for (int i = 0; i < 2; i++) {
    assert_true(
        th_sendstr(c,
                   "POST /echo HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok"));
    th_resp r;
    assert_true(th_read(c, &r, false));
    assert_string_equal(r.body, "ok");
    assert_string_equal(th_header(&r, "connection"), "keep-alive");
    th_resp_free(&r);
  }
  th_close(c);
  th_stop(t);
}

/* The handler's view of a target sent with a fragment (/info lists it). */
static void expect_target(int port, const char *target, const char *want) {
  char raw[512], line[256];
  snprintf(raw, sizeof raw, "GET %s HTTP/1.1\r\nHost: h\r\n\r\n", target);
  th_resp r;
  assert_true(th_roundtrip(port, raw, &r));
  assert_int_equal(r.status, 200);
  snprintf(line, sizeof line, "target=%s\n", want);
  if (!strstr(r.body, line)) fail_msg("for %s: %s", target, r.body);
  assert_null(strchr(r.body, '#'));
  th_resp_free(&r);
}

/* A fragment is never part of a request target (RFC 9110 7.1): what the
 * handler gets is the target without it, and otherwise byte for byte. */
static void test_fragment_not_in_target(void **state) {
  th_server *t = th_start(NULL);
  expect_target(t->port, "/info?q=1#frag", "/info?q=1\npath=/info\nquery=q=1");
  expect_target(t->port, "/info#frag", "/info\npath=/info\nquery=");
  expect_target(t->port, "/info/a%23b?x=%23#y?z", "/info/a%23b?x=%23\npath=/info/a%23b");
  expect_target(t->port, "/info#", "/info\npath=/info");
  expect_target(t->port, "/info?#", "/info?\npath=/info\nquery=");
  expect_target(t->port, "http://h:1/info?q#f", "http://h:1/info?q\npath=/info\nquery=q");
  th_stop(t);
}

/* A head of many tiny headers fits max_header_bytes; the count limit
 * answers 431 before the handler runs, and exactly the limit passes. */
static void test_header_count_431(void **state) {
  th_server *t = th_start(NULL);
  enum { TOO_MANY = 500 };
  char *raw = malloc(32 + TOO_MANY * 8);
  assert_non_null(raw);
  size_t len = (size_t)sprintf(raw, "GET /hello HTTP/1.1\r\n");
  for (int i = 0; i < TOO_MANY; i++) len += (size_t)sprintf(raw + len, "a%d:\r\n", i % 10);
  len += (size_t)sprintf(raw + len, "\r\n");
  assert_true(len < 16 * 1024); /* under the byte limit: the count decides */
  expect_refusal(t->port, raw, len, 431);
  assert_int_equal(atomic_load(&t->started), 0);
  /* 100 headers, Host among them, are served */
  len = (size_t)sprintf(raw, "GET /hello HTTP/1.1\r\nHost: h\r\n");
  for (int i = 1; i < 100; i++) len += (size_t)sprintf(raw + len, "a%d:\r\n", i % 10);
  len += (size_t)sprintf(raw + len, "\r\n");
  th_resp r;
  assert_true(th_roundtrip(t->port, raw, &r));
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  /* one more is refused */
  len = (size_t)sprintf(raw, "GET /hello HTTP/1.1\r\nHost: h\r\n");
  for (int i = 1; i < 101; i++) len += (size_t)sprintf(raw + len, "a%d:\r\n", i % 10);
  len += (size_t)sprintf(raw + len, "\r\n");
  expect_refusal(t->port, raw, len, 431);
  free(raw);
  th_stop(t);
}

/* Whether the server has sent something (or closed) within ms. */
static bool readable(th_conn *c, int ms) {
  struct pollfd p = {.fd = c->fd, .events = POLLIN};
  return c->len > 0 || poll(&p, 1, ms) > 0;
}

/* A body is due body_timeout_ms after its head, however steadily it
 * trickles in: one byte every 100 ms never trips the stall rule
 * (header_timeout_ms since the last byte) but must not take 10 s. */
static void test_body_deadline_408(void **state) {
  pe_http_config cfg;
  th_config(&cfg);
  cfg.header_timeout_ms = 400;
  cfg.body_timeout_ms = 600;
  th_server *t = th_start(&cfg);
  for (int chunked = 0; chunked < 2; chunked++) {
    th_conn *c = th_open(t->port);
    assert_true(
        th_sendstr(c, chunked ? CHUNKED_HEAD "64\r\n"
                              : "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n"));
    uint64_t t0 = th_now_ms();
    while (th_now_ms() - t0 < 3000 && !readable(c, 100)) th_send(c, "x", 1);
    uint64_t dt = th_now_ms() - t0;
    th_resp r;
    assert_true(th_read(c, &r, false));
    assert_int_equal(r.status, 408);
    assert_string_equal(th_header(&r, "connection"), "close");
    th_resp_free(&r);
    if (dt < 550 || dt > 1500) fail_msg("408 after %llu ms, want ~600", (unsigned long long)dt);
    assert_true(th_wait_close(c, 3000, NULL));
    th_close(c);
  }
  /* a body that arrives in time, in pieces, is served */
  th_conn *c = th_open(t->port);
  assert_true(th_sendstr(c, "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n"));
  for (int i = 0; i < 5; i++) {
    th_sleep_ms(60);
    assert_true(th_send(c, "abcde" + i, 1));
  }
  th_resp r;
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "abcde");
  th_resp_free(&r);
  th_close(c);
  assert_int_equal(atomic_load(&t->started), 1);
  th_stop(t);
}

/* Beyond max_connections a new connection is accepted and told so: a
 * complete 503 with Connection: close, then closed. */
static void test_max_connections_503(void **state) {
  pe_http_config cfg;
  th_config(&cfg);
  cfg.max_connections = 2;
  th_server *t = th_start(&cfg);
  th_conn *a = th_open(t->port), *b = th_open(t->port);
  th_resp r;
  for (int i = 0; i < 2; i++) {
    assert_true(th_sendstr(i ? b : a, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n"));
    assert_true(th_read(i ? b : a, &r, false));
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
  }
  th_conn *c = th_open(t->port);
  th_sendstr(c, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n"); /* may be refused: fine */
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 503);
  assert_string_equal(th_header(&r, "connection"), "close");
  assert_true(r.body_len > 0 && r.body_len < 100);
  th_resp_free(&r);
  assert_true(th_wait_close(c, 3000, NULL));
  th_close(c);
  /* the two served ones were not disturbed */
  assert_true(th_sendstr(a, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n"));
  assert_true(th_read(a, &r, false));
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  /* once one leaves, a newcomer is served (as soon as the server saw it go) */
  th_close(b);
  int status = 0;
  for (int i = 0; i < 100 && status != 200; i++) {
    assert_true(th_roundtrip(t->port, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n", &r));
    status = r.status;
    th_resp_free(&r);
    if (status != 200) th_sleep_ms(20);
  }
  assert_int_equal(status, 200);
  assert_int_equal(atomic_load(&t->started), 4);
  th_close(a);
  th_stop(t);
}

/* Responses a client does not read are not piled up without end: the
 * connection's next handler runs only while less than max_buffered_bytes
 * of responses wait for it. */
static void test_unread_responses_capped(void **state) {
  pe_http_config cfg;
  th_config(&cfg);
  cfg.max_body_bytes = 1 << 20;
  cfg.max_buffered_bytes = 8 << 20;
  th_server *t = th_start(&cfg);
  enum { N = 12, SIZE = 4 << 20 };
  char all[N * 64];
  size_t off = 0;
  for (int i = 0; i < N; i++)
    off += (size_t)snprintf(all + off, sizeof all - off,
                            "GET /big?n=%d HTTP/1.1\r\nHost: h\r\n\r\n", SIZE + i);
  th_conn *c = th_open(t->port);
  assert_true(th_send(c, all, off));
  th_sleep_ms(500);
  int ran = atomic_load(&t->started);
  if (ran > 3) fail_msg("%d handlers ran for a client that reads nothing", ran);
  for (int i = 0; i < N; i++) { /* and all of it still comes, in order */
    th_resp r;
    assert_true(th_read(c, &r, false));
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, SIZE + i);
    assert_int_equal(r.body[SIZE + i - 1], 'a' + (SIZE + i - 1) % 23);
    th_resp_free(&r);
  }
  assert_int_equal(atomic_load(&t->started), N);
  th_close(c);
  th_stop(t);
}

static size_t rss_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  unsigned long size = 0, resident = 0;
  assert_non_null(f);
  assert_int_equal(fscanf(f, "%lu %lu", &size, &resident), 2);
  fclose(f);
  return resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* Sends as much of data as goes without waiting longer than ms at a time;
 * returns how much. */
static size_t send_while_taken(th_conn *c, const char *data, size_t len, int ms) {
  size_t sent = 0;
  while (sent < len) {
    struct pollfd p = {.fd = c->fd, .events = POLLOUT};
    if (poll(&p, 1, ms) <= 0) break;
    ssize_t w = send(c->fd, data + sent, len - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    assert_true(w > 0);
    sent += (size_t)w;
  }
  return sent;
}

/* Sends the rest of data while taking in whatever comes back, so that
 * neither side waits for the other. */
static void send_reading(th_conn *c, const char *data, size_t len) {
  while (len) {
    struct pollfd p = {.fd = c->fd, .events = POLLIN | POLLOUT};
    assert_true(poll(&p, 1, 5000) > 0);
    if (p.revents & POLLIN) assert_true(th_fill(c) > 0);
    if (!(p.revents & POLLOUT)) continue;
    ssize_t w = send(c->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    assert_true(w > 0);
    data += w;
    len -= (size_t)w;
  }
}

/* Pipelined bodies behind a request that runs long are read only up to
 * max_buffered_bytes; the rest waits in the socket, not in our memory. */
static void test_pipelined_bodies_capped(void **state) {
  pe_http_config cfg;
  th_config(&cfg);
  cfg.max_body_bytes = 1 << 20;
  cfg.max_buffered_bytes = 2 << 20;
  th_server *t = th_start(&cfg);
  enum { N = 15, SIZE = 1 << 20 };
  size_t cap = N * (SIZE + 128), off = 0;
  char *all = malloc(cap);
  assert_non_null(all);
  for (int i = 0; i < N; i++) {
    off += (size_t)snprintf(all + off, cap - off,
                            "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n", SIZE);
    memset(all + off, 'a' + i, SIZE);
    off += SIZE;
  }
  th_conn *c = th_open(t->port);
  assert_true(th_sendstr(c, "GET /block HTTP/1.1\r\nHost: h\r\n\r\n"));
  th_wait_entered(t);
  size_t rss0 = rss_bytes();
  size_t sent = send_while_taken(c, all, off, 300);
  th_sleep_ms(200);
  size_t grew = rss_bytes() - rss0;
  if (grew > (size_t)8 << 20)
    fail_msg("memory grew by %zu KiB for %zu KiB sent", grew >> 10, sent >> 10);
  /* let it go: everything is answered, in order */
  sem_post(&t->block);
  send_reading(c, all + sent, off - sent);
  th_resp r;
  assert_true(th_read(c, &r, false));
  assert_string_equal(r.body, "unblocked");
  th_resp_free(&r);
  for (int i = 0; i < N; i++) {
    assert_true(th_read(c, &r, false));
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, SIZE);
    assert_int_equal(r.body[0], 'a' + i);
    th_resp_free(&r);
  }
  th_close(c);
  free(all);
  th_stop(t);
}

/* A client must take min_write_bytes of its responses per
 * write_timeout_ms: one that reads steadily but too little (here 2 MiB per
 * period of 500 ms against 8 MiB asked) is dropped, where restarting the
 * period on any progress kept it, and its huge response, forever. */
static void test_write_min_progress(void **state) {
  pe_http_config cfg;
  th_config(&cfg);
  cfg.write_timeout_ms = 500;
  cfg.min_write_bytes = 8 << 20;
  th_server *t = th_start(&cfg);
  th_conn *c = th_open(t->port);
  assert_true(th_sendstr(c, "GET /big?n=100000000 HTTP/1.1\r\nHost: h\r\n\r\n"));
  uint64_t t0 = th_now_ms();
  size_t got = 0;
  bool closed = false;
  char buf[65536];
  while (!closed && th_now_ms() - t0 < 4000) {
    ssize_t n = recv(c->fd, buf, sizeof buf, 0);
    closed = n == 0 || (n < 0 && errno == ECONNRESET);
    if (n > 0) got += (size_t)n;
    th_sleep_ms(16); /* about 4 MB/s */
  }
  uint64_t dt = th_now_ms() - t0;
  if (!closed || dt > 2500)
    fail_msg("%s after %llu ms and %zu KiB", closed ? "dropped" : "still open",
             (unsigned long long)dt, got >> 10);
  th_close(c);
  /* one that keeps up is served in full */
  th_resp r;
  assert_true(th_roundtrip(t->port, "GET /big?n=30000000 HTTP/1.1\r\nHost: h\r\n\r\n", &r));
  assert_int_equal(r.status, 200);
  assert_int_equal(r.body_len, 30000000);
  th_resp_free(&r);
  th_stop(t);
}

int main(void) {
  th_alarm(300);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_chunk_size_strict),
      cmocka_unit_test(test_http10_transfer_encoding),
      cmocka_unit_test(test_fragment_not_in_target),
      cmocka_unit_test(test_header_count_431),
      cmocka_unit_test(test_body_deadline_408),
      cmocka_unit_test(test_max_connections_503),
      cmocka_unit_test(test_unread_responses_capped),
      cmocka_unit_test(test_pipelined_bodies_capped),
      cmocka_unit_test(test_write_min_progress),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
