/*
 * test_http_basic.c -- the HTTP server's ordinary behaviour: requests as the
 * handler sees them, bodies (length, chunked, empty, 5 MiB), keep-alive and
 * its HTTP/1.0 and `Connection: close` variants, pipelining, 100-continue,
 * HEAD, the headers every response carries, the response-header helper,
 * the access log and IPv6.
 */
#include "test_http.h"

static th_server *srv;

static int setup(void **state) {
  srv = th_start(NULL);
  return 0;
}

static int teardown(void **state) {
  th_stop(srv);
  srv = NULL;
  return 0;
}

static void test_get_request_fields(void **state) {
  th_resp r;
  assert_true(th_roundtrip(srv->port,
                           "GET /info/a%20b?x=1&y=2 HTTP/1.1\r\nHost: example\r\n"
                           "X-Dup: one\r\nUser-Agent: t\r\nx-dup:  two  \r\n\r\n",
                           &r));
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "method=GET\n"));
  assert_non_null(strstr(r.body, "target=/info/a%20b?x=1&y=2\n"));
  assert_non_null(strstr(r.body, "path=/info/a%20b\n"));
  assert_non_null(strstr(r.body, "query=x=1&y=2\n"));
  assert_non_null(strstr(r.body, "version=1.1\n"));
  assert_non_null(strstr(r.body, "ip=127.0.0.1\n"));
  /* lower-cased names, duplicates in order, blanks trimmed */
  const char *a = strstr(r.body, "h:x-dup=one\n"), *b = strstr(r.body, "h:x-dup=two\n");
  assert_non_null(a);
  assert_non_null(b);
  assert_true(a < b);
  assert_non_null(strstr(r.body, "h:host=example\n"));
  assert_non_null(strstr(r.body, "h:user-agent=t\n"));
  th_resp_free(&r);
}

static void test_path_forms(void **state) {
  th_resp r;
  /* /info is matched on the path, so the query and absolute form must be cut off */
  assert_true(th_roundtrip(srv->port, "GET http://h:1/info?q HTTP/1.1\r\nHost: h\r\n\r\n", &r));
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "path=/info\nquery=q\n"));
  th_resp_free(&r);
  assert_true(th_roundtrip(srv->port, "GET /info#frag HTTP/1.1\r\nHost: h\r\n\r\n", &r));
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "path=/info\nquery=\n"));
  th_resp_free(&r);
  assert_true(th_roundtrip(srv->port, "GET /nope HTTP/1.1\r\nHost: h\r\n\r\n", &r));
  assert_int_equal(r.status, 404);
  th_resp_free(&r);
}

static void test_every_response_has_date_server_length(void **state) {
  th_resp r;
  assert_true(th_roundtrip(srv->port, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n", &r));
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "hello");
  assert_int_equal(r.content_length, 5);
  assert_string_equal(th_header(&r, "server"), "pyedge");
  const char *d = th_header(&r, "date");
  assert_non_null(d);
  assert_int_equal(strlen(d), 29);
  assert_non_null(strstr(d, " GMT"));
  th_resp_free(&r);
  /* errors too */
  assert_true(th_roundtrip(srv->port, "BLAH\r\n\r\n", &r));
  assert_int_equal(r.status, 400);
  assert_non_null(th_header(&r, "date"));
  assert_string_equal(th_header(&r, "server"), "pyedge");
  assert_true(r.content_length > 0);
  th_resp_free(&r);
  /* 204 has neither body nor Content-Length */
  assert_true(th_roundtrip(srv->port, "GET /status?code=204 HTTP/1.1\r\nHost: h\r\n\r\n", &r));
  assert_int_equal(r.status, 204);
  assert_null(th_header(&r, "content-length"));
  th_resp_free(&r);
}

static void test_post_content_length(void **state) {
  th_resp r;
  assert_true(
      th_roundtrip(srv->port,
                   "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world", &r));
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "hello world");
  assert_string_equal(th_header(&r, "x-body-len"), "11");
  th_resp_free(&r);
}

static void test_post_split_in_pieces(void **state) {
  /* every byte in its own write: all parser states resume correctly */
  const char *req =
      "POST /echo?a=b HTTP/1.1\r\nHost: h\r\nX-Long-Name: some value\r\n"
      "Content-Length: 4\r\n\r\nabcd";
  th_conn *c = th_open(srv->port);
  for (const char *p = req; *p; p++) {
    assert_true(th_send(c, p, 1));
    if ((p - req) % 7 == 0) th_sleep_ms(1);
  }
  th_resp r;
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "abcd");
  th_resp_free(&r);
  th_close(c);
}

static void test_chunked_upload(void **state) {
  th_resp r;
  assert_true(th_roundtrip(srv->port,
                           "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "5\r\nhello\r\n1;ext=1\r\n \r\nA\r\n0123456789\r\n0\r\n"
                           "Trailer-X: t\r\n\r\n",
                           &r));
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "hello 0123456789");
  th_resp_free(&r);
  /* and a keep-alive request after a chunked one on the same connection */
  th_conn *c = th_open(srv->port);
  assert_true(th_sendstr(c,
                         "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "3\r\nabc\r\n0\r\n\r\nGET /hello HTTP/1.1\r\nHost: h\r\n\r\n"));
  assert_true(th_read(c, &r, false));
  assert_string_equal(r.body, "abc");
  th_resp_free(&r);
  assert_true(th_read(c, &r, false));
  assert_string_equal(r.body, "hello");
  th_resp_free(&r);
  th_close(c);
}

static void test_empty_bodies(void **state) {
  th_resp r;
  assert_true(
      th_roundtrip(srv->port, "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", &r));
  assert_int_equal(r.status, 200);
  assert_int_equal(r.content_length, 0);
  assert_int_equal(r.body_len, 0);
  th_resp_free(&r);
  assert_true(
      th_roundtrip(srv->port,
                   "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                   &r));
  assert_int_equal(r.status, 200);
  assert_int_equal(r.content_length, 0);
  th_resp_free(&r);
}

static void test_large_body_5mib(void **state) {
  size_t n = 5u << 20;
  char *body = malloc(n);
  assert_non_null(body);
  for (size_t i = 0; i < n; i++) body[i] = (char)(i * 2654435761u >> 13);
  char head[128];
  snprintf(head, sizeof head, "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: %zu\r\n\r\n", n);
  th_conn *c = th_open(srv->port);
  assert_true(th_sendstr(c, head));
  assert_true(th_send(c, body, n));
  th_resp r;
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 200);
  assert_int_equal(r.body_len, n);
  assert_memory_equal(r.body, body, n);
  th_resp_free(&r);
  /* and a large response */
  assert_true(th_sendstr(c, "GET /big?n=5242880 HTTP/1.1\r\nHost: h\r\n\r\n"));
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.body_len, n);
  for (size_t i = 0; i < n; i += 4099) assert_int_equal(r.body[i], 'a' + i % 23);
  th_resp_free(&r);
  th_close(c);
  free(body);
}

/* A response too big for the socket buffer is finished by a queued write;
 * the small ones pipelined behind it, which could go out at once, must
 * still wait for it and come after it, whole. */
static void test_pipelined_behind_large_response(void **state) {
  (void)state;
  const size_t big = 3u << 20;
  char all[1024];
  int off = snprintf(all, sizeof all, "GET /big?n=%zu HTTP/1.1\r\nHost: h\r\n\r\n", big);
  for (int i = 0; i < 4; i++)
    off += snprintf(all + off, sizeof all - (size_t)off,
                    i == 2 ? "GET /big?n=%zu HTTP/1.1\r\nHost: h\r\n\r\n"
                           : "GET /info?i=%zu HTTP/1.1\r\nHost: h\r\n\r\n",
                    i == 2 ? big : (size_t)i);
  th_conn *c = th_open(srv->port);
  assert_true(th_send(c, all, (size_t)off));
  /* let the server write into full buffers before reading anything */
  th_sleep_ms(200);
  for (int i = -1; i < 4; i++) {
    th_resp r;
    assert_true(th_read(c, &r, false));
    assert_int_equal(r.status, 200);
    if (i == -1 || i == 2) {
      assert_int_equal(r.body_len, big);
      for (size_t k = 0; k < big; k += 4099) assert_int_equal(r.body[k], 'a' + k % 23);
      assert_int_equal(r.body[big - 1], 'a' + (big - 1) % 23);
    } else {
      char want[32];
      snprintf(want, sizeof want, "query=i=%d\n", i);
      assert_non_null(strstr(r.body, want));
    }
    th_resp_free(&r);
  }
  th_close(c);
}

static void test_keep_alive_reuse(void **state) {
  th_conn *c = th_open(srv->port);
  char port[32] = "";
  for (int i = 0; i < 5; i++) {
    assert_true(th_sendstr(c, "GET /info HTTP/1.1\r\nHost: h\r\n\r\n"));
    th_resp r;
    assert_true(th_read(c, &r, false));
    assert_int_equal(r.status, 200);
    assert_null(th_header(&r, "connection"));
    const char *p = strstr(r.body, "port=");
    assert_non_null(p);
    if (i == 0)
      snprintf(port, sizeof port, "%.*s", (int)strcspn(p, "\n"), p);
    else
      assert_int_equal(strncmp(p, port, strlen(port)), 0); /* the same client socket */
    th_resp_free(&r);
  }
  th_close(c);
}

static void test_connection_close_honoured(void **state) {
  th_conn *c = th_open(srv->port);
  assert_true(th_sendstr(c,
                         "GET /hello HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
                         "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n"));
  th_resp r;
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 200);
  assert_string_equal(th_header(&r, "connection"), "close");
  th_resp_free(&r);
  size_t extra = 0;
  assert_true(th_wait_close(c, 3000, &extra));
  assert_int_equal(extra, 0); /* the second request was not answered */
  th_close(c);
}

static void test_odd_but_valid(void **state) {
  th_conn *c = th_open(srv->port);
  /* blank lines before a request, an Upgrade we do not act on (the
   * request is served as plain HTTP and parsing goes on), OPTIONS *,
   * a header with an empty value, a value with obs-text */
  assert_true(th_sendstr(c,
                         "\r\n\r\nGET /info HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n"
                         "Upgrade: websocket\r\n\r\n"
                         "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"
                         "GET /info HTTP/1.1\r\nHost: h\r\nX-Empty:\r\nX-Utf8: \xc3\xa9\r\n\r\n"));
  th_resp r;
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "h:upgrade=websocket\n"));
  th_resp_free(&r);
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 404);
  th_resp_free(&r);
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "h:x-empty=\n"));
  assert_non_null(strstr(r.body, "h:x-utf8=\xc3\xa9\n"));
  th_resp_free(&r);
  /* HTTP/1.0 never gets a 100 */
  assert_true(th_sendstr(c,
                         "POST /echo HTTP/1.0\r\nConnection: keep-alive\r\nExpect: 100-continue\r\n"
                         "Content-Length: 2\r\n\r\nhi"));
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "hi");
  th_resp_free(&r);
  th_close(c);
}

static void test_http10(void **state) {
  th_conn *c = th_open(srv->port);
  assert_true(th_sendstr(c, "GET /info HTTP/1.0\r\n\r\n"));
  th_resp r;
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "version=1.0\n"));
  assert_string_equal(th_header(&r, "connection"), "close");
  th_resp_free(&r);
  assert_true(th_wait_close(c, 3000, NULL));
  th_close(c);
  /* keep-alive when asked */
  c = th_open(srv->port);
  for (int i = 0; i < 2; i++) {
    assert_true(th_sendstr(c, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    assert_true(th_read(c, &r, false));
    assert_string_equal(r.body, "hello");
    assert_string_equal(th_header(&r, "connection"), "keep-alive");
    th_resp_free(&r);
  }
  th_close(c);
}

static void test_pipelining_in_order(void **state) {
  /* 10 requests in one write; the first is slow, so order cannot be luck */
  char all[4096] = "";
  size_t off = 0;
  off +=
      (size_t)snprintf(all + off, sizeof all - off, "GET /slow?ms=100 HTTP/1.1\r\nHost: h\r\n\r\n");
  for (int i = 1; i < 10; i++)
    off += (size_t)
        snprintf(all + off, sizeof all - off,
                 i % 3 ? "GET /info?i=%d HTTP/1.1\r\nHost: h\r\n\r\n"
                       : "POST /info?i=%d HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz",
                 i);
  th_conn *c = th_open(srv->port);
  assert_true(th_send(c, all, off));
  th_resp r;
  assert_true(th_read(c, &r, false));
  assert_string_equal(r.body, "slow");
  th_resp_free(&r);
  for (int i = 1; i < 10; i++) {
    assert_true(th_read(c, &r, false));
    assert_int_equal(r.status, 200);
    char want[32];
    snprintf(want, sizeof want, "query=i=%d\n", i);
    assert_non_null(strstr(r.body, want));
    assert_non_null(strstr(r.body, i % 3 ? "body=0\n" : "body=3\n"));
    th_resp_free(&r);
  }
  th_close(c);
}

static void test_expect_continue(void **state) {
  th_conn *c = th_open(srv->port);
  assert_true(th_sendstr(c,
                         "POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                         "Content-Length: 5\r\n\r\n"));
  th_resp r;
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 100);
  th_resp_free(&r);
  assert_true(th_sendstr(c, "12345"));
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "12345");
  th_resp_free(&r);
  /* a body sent without waiting gets no 100 */
  assert_true(th_sendstr(c,
                         "POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\n"
                         "Content-Length: 2\r\n\r\nok"));
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "ok");
  th_resp_free(&r);
  th_close(c);
}

static void test_expect_continue_after_pipelined(void **state) {
  /* the 100 must come after the response to the request before it */
  th_conn *c = th_open(srv->port);
  assert_true(th_sendstr(c,
                         "GET /slow?ms=150 HTTP/1.1\r\nHost: h\r\n\r\n"
                         "POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                         "Content-Length: 3\r\n\r\n"));
  th_resp r;
  assert_true(th_read(c, &r, false));
  assert_string_equal(r.body, "slow");
  th_resp_free(&r);
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 100);
  th_resp_free(&r);
  assert_true(th_sendstr(c, "abc"));
  assert_true(th_read(c, &r, false));
  assert_string_equal(r.body, "abc");
  th_resp_free(&r);
  th_close(c);
}

static void test_head_has_no_body(void **state) {
  th_conn *c = th_open(srv->port);
  assert_true(th_sendstr(c, "HEAD /hello HTTP/1.1\r\nHost: h\r\n\r\n"));
  th_resp r;
  assert_true(th_read(c, &r, true));
  assert_int_equal(r.status, 200);
  assert_int_equal(r.content_length, 5);
  th_resp_free(&r);
  /* had a body been sent, it would now be read as the next status line */
  assert_true(th_sendstr(c, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n"));
  assert_true(th_read(c, &r, false));
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "hello");
  th_resp_free(&r);
  th_close(c);
}

static void test_response_header_helper(void **state) {
  th_resp r;
  assert_true(th_roundtrip(srv->port, "GET /headers HTTP/1.1\r\nHost: h\r\n\r\n", &r));
  assert_int_equal(r.status, 200);
  /* good accepted; reserved, bad name, CR/LF, Server and status 99 refused */
  assert_string_equal(r.body, "100000");
  assert_string_equal(th_header(&r, "x-good"), "yes");
  assert_null(th_header(&r, "x-evil"));
  assert_null(th_header(&r, "x-crlf"));
  assert_string_equal(th_header(&r, "server"), "pyedge");
  assert_int_equal(r.content_length, 6);
  th_resp_free(&r);
}

static void test_access_log(void **state) {
  th_resp r;
  assert_true(th_roundtrip(srv->port, "GET /big?n=1234 HTTP/1.1\r\nHost: h\r\n\r\n", &r));
  th_resp_free(&r);
  /* the log line comes after the last byte is written: give it a moment */
  char line[512] = "";
  for (int i = 0; i < 100; i++) {
    pthread_mutex_lock(&srv->log_lock);
    snprintf(line, sizeof line, "%s", srv->last_log);
    pthread_mutex_unlock(&srv->log_lock);
    if (strstr(line, "/big")) break;
    th_sleep_ms(10);
  }
  assert_string_equal(line, "127.0.0.1 GET /big 200 1234");
}

static void test_ipv6_listen(void **state) {
  pe_http_config cfg;
  th_config(&cfg);
  cfg.listen = "[::1]:0";
  char err[256];
  pe_http_server *s = pe_http_server_new(&cfg, th_handler, NULL, err, sizeof err);
  if (!s) {
    /* no IPv6 loopback on this machine */
    skip();
  }
  assert_true(pe_http_server_port(s) > 0);
  pe_http_server_free(s);
  /* bad addresses are refused with a message */
  const char *bad[] = {"127.0.0.1", "[::1]", "::1:80", "1.2.3.4:99999", "host:80", "[::1]:x", ""};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cfg.listen = bad[i];
    err[0] = 0;
    assert_null(pe_http_server_new(&cfg, th_handler, NULL, err, sizeof err));
    assert_true(err[0] != 0);
  }
}

static void test_ipv6_serves(void **state) {
  pe_http_config cfg;
  th_config(&cfg);
  cfg.listen = "[::1]:0";
  char err[256];
  pe_http_server *probe = pe_http_server_new(&cfg, th_handler, NULL, err, sizeof err);
  if (!probe) skip();
  pe_http_server_free(probe);
  th_server *t = th_start(&cfg);
  int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)t->port)};
  a.sin6_addr = in6addr_loopback;
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  th_timeouts(fd, TH_RECV_TIMEOUT_MS);
  th_conn c = {.fd = fd};
  assert_true(th_sendstr(&c, "GET /info HTTP/1.1\r\nHost: h\r\n\r\n"));
  th_resp r;
  assert_true(th_read(&c, &r, false));
  assert_non_null(strstr(r.body, "ip=::1\n"));
  th_resp_free(&r);
  close(fd);
  free(c.buf);
  th_stop(t);
}

int main(void) {
  th_alarm(300);
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_get_request_fields),
      T(test_path_forms),
      T(test_every_response_has_date_server_length),
      T(test_post_content_length),
      T(test_post_split_in_pieces),
      T(test_chunked_upload),
      T(test_empty_bodies),
      T(test_large_body_5mib),
      T(test_pipelined_behind_large_response),
      T(test_keep_alive_reuse),
      T(test_connection_close_honoured),
      T(test_odd_but_valid),
      T(test_http10),
      T(test_pipelining_in_order),
      T(test_expect_continue),
      T(test_expect_continue_after_pipelined),
      T(test_head_has_no_body),
      T(test_response_header_helper),
      T(test_access_log),
      cmocka_unit_test(test_ipv6_listen),
      cmocka_unit_test(test_ipv6_serves),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
