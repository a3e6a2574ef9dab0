/*
 * test_http_load.c -- the HTTP server under concurrency and abuse: a slow
 * handler does not delay other connections, the workers' scheduling
 * policy, back-pressure on a deep
 * pipeline, clients that leave while their handler runs or waits, 200
 * concurrent connections, graceful shutdown (in-flight requests finish,
 * idle connections close, new ones are refused; also before run and from a
 * signal handler), and 2,000 random byte strings after which the server
 * still answers a valid request.
 */
#include <signal.h>

#include "test_http.h"

static void test_slow_handler_does_not_block_others(void **state) {
  th_server *t = th_start(NULL);
  th_conn *a = th_open(t->port), *b = th_open(t->port);
  uint64_t t0 = th_now_ms();
  assert_true(th_sendstr(a, "GET /slow?ms=300 HTTP/1.1\r\nHost: h\r\n\r\n"));
  th_wait_entered(t);
  uint64_t t1 = th_now_ms();
  assert_true(th_sendstr(b, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n"));
  th_resp r;
  assert_true(th_read(b, &r, false));
  uint64_t fast = th_now_ms() - t1;
  assert_string_equal(r.body, "hello");
  th_resp_free(&r);
  assert_true(th_read(a, &r, false));
  uint64_t slow = th_now_ms() - t0;
  assert_string_equal(r.body, "slow");
  th_resp_free(&r);
  if (fast >= 150 || slow < 290)
    fail_msg("fast request took %llu ms, slow one %llu ms", (unsigned long long)fast,
             (unsigned long long)slow);
  th_close(a);
  th_close(b);
  th_stop(t);
}

/* Handlers run on batch-scheduled workers; the loop thread, which every
 * client waits on, keeps the normal policy. */
static void test_worker_scheduling_policy(void **state) {
  th_server *t = th_start(NULL);
  th_resp r;
  for (int i = 0; i < 8; i++) { /* whichever worker takes it */
    assert_true(th_roundtrip(t->port, "GET /sched HTTP/1.1\r\nHost: h\r\n\r\n", &r));
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "batch");
    th_resp_free(&r);
  }
  int policy = -1;
  struct sched_param sp;
  assert_int_equal(pthread_getschedparam(t->thread, &policy, &sp), 0);
  assert_int_equal(policy, SCHED_OTHER);
  th_stop(t);
}

static void test_deep_pipeline_backpressure(void **state) {
  pe_http_config cfg;
  th_config(&cfg);
  cfg.max_pipeline = 4;
  th_server *t = th_start(&cfg);
  enum { N = 40 };
  char *all = malloc(N * 64);
  assert_non_null(all);
  size_t off = 0;
  for (int i = 0; i < N; i++)
    off += (size_t)sprintf(all + off, "GET /big?n=%d HTTP/1.1\r\nHost: h\r\n\r\n", 1000000 + i);
  th_conn *c = th_open(t->port);
  assert_true(th_send(c, all, off));
  /* The client reads nothing: the server parses only as far as its
   * pipeline limit (4) allows, plus the few responses the socket buffers
   * swallowed whole. */
  th_sleep_ms(500);
  int ran = atomic_load(&t->started);
  if (ran > 12) fail_msg("%d handlers ran while the client read nothing", ran);
  for (int i = 0; i < N; i++) {
    th_resp r;
    assert_true(th_read(c, &r, false));
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 1000000 + i);
    th_resp_free(&r);
  }
  assert_int_equal(atomic_load(&t->started), N);
  th_close(c);
  free(all);
  th_stop(t);
}

static void test_pipeline_limit_one(void **state) {
  /* the limit counts finished requests: one still receiving its body is
   * read to the end */
  pe_http_config cfg;
  th_config(&cfg);
  cfg.max_pipeline = 1;
  th_server *t = th_start(&cfg);
  th_conn *c = th_open(t->port);
  assert_true(th_sendstr(c,
                         "GET /slow?ms=50 HTTP/1.1\r\nHost: h\r\n\r\n"
                         "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\nabc"));
  th_sleep_ms(20);
  assert_true(th_sendstr(c, "def"));
  th_resp r;
  assert_true(th_read(c, &r, false));
  assert_string_equal(r.body, "slow");
  th_resp_free(&r);
  assert_true(th_read(c, &r, false));
  assert_string_equal(r.body, "abcdef");
  th_resp_free(&r);
  assert_true(th_sendstr(c, "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nx"));
  th_sleep_ms(20);
  assert_true(th_sendstr(c, "y"));
  assert_true(th_read(c, &r, false));
  assert_string_equal(r.body, "xy");
  th_resp_free(&r);
  th_close(c);
  th_stop(t);
}

static void test_client_leaves_during_handler(void **state) {
  pe_http_config cfg;
  th_config(&cfg);
  cfg.workers = 1;
  th_server *t = th_start(&cfg);
  /* a running handler whose client is gone */
  th_conn *a = th_open(t->port);
  assert_true(th_sendstr(a, "GET /slow?ms=100 HTTP/1.1\r\nHost: h\r\n\r\n"));
  th_wait_entered(t);
  th_abort(a);
  /* a queued one whose client is gone is never run */
  th_conn *b = th_open(t->port), *c = th_open(t->port);
  assert_true(th_sendstr(b, "GET /block HTTP/1.1\r\nHost: h\r\n\r\n"));
  th_wait_entered(t);
  assert_true(th_sendstr(c, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n"));
  th_sleep_ms(50);
  th_abort(c);
  th_sleep_ms(50);
  sem_post(&t->block);
  th_resp r;
  assert_true(th_read(b, &r, false));
  assert_string_equal(r.body, "unblocked");
  th_resp_free(&r);
  th_close(b);
  th_sleep_ms(50);
  assert_int_equal(atomic_load(&t->started), 2);
  /* still serving */
  assert_true(th_roundtrip(t->port, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n", &r));
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  th_stop(t);
}

static void test_many_connections(void **state) {
  th_server *t = th_start(NULL);
  enum { N = 200 };
  th_conn *c[N];
  for (int i = 0; i < N; i++) c[i] = th_open(t->port);
  for (int i = 0; i < N; i++) {
    char req[64];
    snprintf(req, sizeof req, "GET /info?n=%d HTTP/1.1\r\nHost: h\r\n\r\n", i);
    assert_true(th_sendstr(c[i], req));
  }
  for (int i = N - 1; i >= 0; i--) {
    th_resp r;
    assert_true(th_read(c[i], &r, false));
    assert_int_equal(r.status, 200);
    char want[32];
    snprintf(want, sizeof want, "query=n=%d\n", i);
    assert_non_null(strstr(r.body, want));
    th_resp_free(&r);
    th_close(c[i]);
  }
  th_stop(t);
}

static void test_graceful_shutdown(void **state) {
  th_server *t = th_start(NULL);
  th_conn *idle = th_open(t->port), *busy = th_open(t->port);
  th_resp r;
  assert_true(th_sendstr(idle, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n"));
  assert_true(th_read(idle, &r, false));
  th_resp_free(&r);
  /* that handler's entry, so that the wait below is for /slow's: else the
   * shutdown could come before the server has read the busy requests */
  th_wait_entered(t);
  /* a request in flight, and one pipelined behind it */
  assert_true(th_sendstr(busy,
                         "GET /slow?ms=400 HTTP/1.1\r\nHost: h\r\n\r\n"
                         "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n"));
  th_wait_entered(t);
  pe_http_server_shutdown(t->srv);
  th_sleep_ms(100);
  assert_int_equal(atomic_load(&t->run_returned), 0);
  /* new connections are refused, idle ones closed */
  int fd = th_connect_fd(t->port);
  if (fd >= 0) close(fd);
  assert_true(fd < 0);
  assert_true(th_wait_close(idle, 2000, NULL));
  /* the in-flight requests are answered, the last one saying close */
  assert_true(th_read(busy, &r, false));
  assert_string_equal(r.body, "slow");
  assert_null(th_header(&r, "connection"));
  th_resp_free(&r);
  assert_true(th_read(busy, &r, false));
  assert_string_equal(r.body, "hello");
  assert_string_equal(th_header(&r, "connection"), "close");
  th_resp_free(&r);
  assert_true(th_wait_close(busy, 3000, NULL));
  th_close(idle);
  th_close(busy);
  /* and then run returns */
  for (int i = 0; i < 300 && !atomic_load(&t->run_returned); i++) th_sleep_ms(10);
  assert_int_equal(atomic_load(&t->run_returned), 1);
  th_stop(t); /* a second shutdown after run returned is harmless */
}

static void test_shutdown_drops_partial_requests(void **state) {
  th_server *t = th_start(NULL);
  th_conn *c = th_open(t->port);
  assert_true(th_sendstr(c, "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nabc"));
  th_sleep_ms(50);
  uint64_t t0 = th_now_ms();
  pe_http_server_shutdown(t->srv);
  size_t extra = 1;
  assert_true(th_wait_close(c, 3000, &extra));
  assert_int_equal(extra, 0);
  th_close(c);
  th_finish(t);
  assert_true(th_now_ms() - t0 < 2000);
}

static void test_shutdown_timeout(void **state) {
  /* a handler that outlives shutdown_timeout_ms: its connection is closed
   * then, and run returns once the handler does */
  pe_http_config cfg;
  th_config(&cfg);
  cfg.shutdown_timeout_ms = 200;
  th_server *t = th_start(&cfg);
  th_conn *c = th_open(t->port);
  assert_true(th_sendstr(c, "GET /block HTTP/1.1\r\nHost: h\r\n\r\n"));
  th_wait_entered(t);
  uint64_t t0 = th_now_ms();
  pe_http_server_shutdown(t->srv);
  size_t extra = 1;
  assert_true(th_wait_close(c, 3000, &extra));
  uint64_t dt = th_now_ms() - t0;
  assert_int_equal(extra, 0);
  assert_true(dt >= 150 && dt < 2000);
  th_sleep_ms(50);
  assert_int_equal(atomic_load(&t->run_returned), 0);
  sem_post(&t->block);
  th_close(c);
  th_finish(t);
}

static void test_shutdown_before_run(void **state) {
  pe_http_config cfg;
  th_config(&cfg);
  char err[256];
  pe_http_server *s = pe_http_server_new(&cfg, th_handler, NULL, err, sizeof err);
  assert_non_null(s);
  pe_http_server_shutdown(s);
  uint64_t t0 = th_now_ms();
  assert_int_equal(pe_http_server_run(s), 0);
  assert_true(th_now_ms() - t0 < 1000);
  assert_int_equal(pe_http_server_run(s), -1); /* once only */
  pe_http_server_shutdown(s);
  pe_http_server_free(s);
  /* never run at all */
  s = pe_http_server_new(&cfg, th_handler, NULL, err, sizeof err);
  assert_non_null(s);
  pe_http_server_free(s);
}

static pe_http_server *signal_target;

static void on_sigusr1(int sig) { pe_http_server_shutdown(signal_target); }

static void test_shutdown_from_signal_handler(void **state) {
  th_server *t = th_start(NULL);
  signal_target = t->srv;
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigusr1;
  sigaction(SIGUSR1, &sa, &old);
  th_resp r;
  assert_true(th_roundtrip(t->port, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n", &r));
  th_resp_free(&r);
  kill(getpid(), SIGUSR1);
  for (int i = 0; i < 300 && !atomic_load(&t->run_returned); i++) th_sleep_ms(10);
  assert_int_equal(atomic_load(&t->run_returned), 1);
  sigaction(SIGUSR1, &old, NULL);
  th_stop(t);
}

/* xorshift: the same "random" input on every run */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state % n);
}

/* One fuzz input: random bytes, a mutated valid request, or a shuffle of
 * HTTP-ish tokens (which reaches deeper into the parser). */
static size_t fuzz_input(char *out, size_t cap) {
  static const char *valid[] = {
      "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n",
      "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
      "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;x=y\r\nhello\r\n0\r\nT: 1\r\n\r\n",
      "PUT /info?a=b HTTP/1.0\r\nConnection: keep-alive\r\nExpect: 100-continue\r\n"
      "Content-Length: 1\r\n\r\nx",
  };
  static const char *tokens[] = {
      "GET ",
      "POST ",
      "HEAD ",
      "/",
      "/echo",
      "/info?x",
      " HTTP/1.1",
      " HTTP/1.0",
      "\r\n",
      "\r\n\r\n",
      "\r",
      "\n",
      "Host: h",
      "Content-Length: ",
      "Transfer-Encoding: chunked",
      "Connection: close",
      "Expect: 100-continue",
      "0",
      "5",
      "ffffffff",
      ";",
      ":",
      " ",
      "\t",
      "hello",
      "\x00",
      "\xff",
      "-1",
      "99999999999999999999",
      "0\r\n\r\n",
      "X-A: b",
  };
  size_t n = 0;
  switch (rnd(3)) {
    case 0:
      n = 1 + rnd(300);
      for (size_t i = 0; i < n; i++) out[i] = (char)rnd(256);
      break;
    case 1: {
      const char *v = valid[rnd(sizeof valid / sizeof valid[0])];
      n = strlen(v);
      memcpy(out, v, n);
      for (uint32_t k = 1 + rnd(4); k; k--) {
        size_t at = rnd((uint32_t)n);
        switch (rnd(3)) {
          case 0: out[at] = (char)rnd(256); break;
          case 1: /* truncate */ n = at + 1; break;
          default:
            if (n + 1 < cap) {
              memmove(out + at + 1, out + at, n - at);
              out[at] = (char)rnd(256);
              n++;
            }
        }
      }
      break;
    }
    default:
      for (uint32_t k = 1 + rnd(20); k; k--) {
        const char *tk = tokens[rnd(sizeof tokens / sizeof tokens[0])];
        size_t l = tk[0] ? strlen(tk) : 1;
        if (n + l >= cap) break;
        memcpy(out + n, tk, l);
        n += l;
      }
  }
  return n;
}

static void test_fuzz_keeps_serving(void **state) {
  pe_http_config cfg;
  th_config(&cfg);
  cfg.header_timeout_ms = 1000;
  th_server *t = th_start(&cfg);
  char buf[1024];
  for (int i = 0; i < 2000; i++) {
    size_t n = fuzz_input(buf, sizeof buf);
    th_conn *c = th_open(t->port);
    /* sometimes behind a valid request on the same connection */
    if (i % 5 == 0) th_sendstr(c, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n");
    th_send(c, buf, n);
    /* end of input: the server answers what is complete and closes */
    shutdown(c->fd, SHUT_WR);
    if (!th_wait_close(c, 3000, NULL)) fail_msg("input %d left the connection open", i);
    th_close(c);
  }
  th_resp r;
  assert_true(
      th_roundtrip(t->port, "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nok", &r));
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "ok");
  th_resp_free(&r);
  th_stop(t);
}

int main(void) {
  th_alarm(300);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_slow_handler_does_not_block_others),
      cmocka_unit_test(test_worker_scheduling_policy),
      cmocka_unit_test(test_deep_pipeline_backpressure),
      cmocka_unit_test(test_pipeline_limit_one),
      cmocka_unit_test(test_client_leaves_during_handler),
      cmocka_unit_test(test_many_connections),
      cmocka_unit_test(test_graceful_shutdown),
      cmocka_unit_test(test_shutdown_drops_partial_requests),
      cmocka_unit_test(test_shutdown_timeout),
      cmocka_unit_test(test_shutdown_before_run),
      cmocka_unit_test(test_shutdown_from_signal_handler),
      cmocka_unit_test(test_fuzz_keeps_serving),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
