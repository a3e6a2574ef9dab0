/*
 * test_redis.c -- the "redis.*" services through the request dispatcher,
 * as the sandbox reaches them, against a scripted Redis peer: a loopback
 * listener in a thread of this test that answers each command it reads
 * with the next reply the case queued (a mock, named so; the platform test
 * tests/platform/test_redis.py runs the real redis-server). The peer can
 * send what a real server would not: huge array headers, replies past the
 * size limit, nothing at all. Runs under ASan/UBSan too.
 */
#include "pe_test.h"

#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#include "services/redis/svc_redis.h"
#include "services/svc_redis_conn.h"
#include "svc_fixture.h"

/* ---- the scripted peer ------------------------------------------------------ */

#define MAX_QUEUED 8

typedef struct peer {
  int lfd, port;
  pthread_t th;
  pthread_mutex_t mu;
  const char *replies[MAX_QUEUED]; /* NULL: read the command, answer nothing */
  size_t reply_len[MAX_QUEUED];
  int head, tail;
  _Atomic int accepted, commands, eofs, stop;
} peer;

static peer P;

static void peer_queue(const char *reply, size_t len) {
  pthread_mutex_lock(&P.mu);
  P.replies[P.tail % MAX_QUEUED] = reply;
  P.reply_len[P.tail % MAX_QUEUED] = len;
  P.tail++;
  pthread_mutex_unlock(&P.mu);
}

#define QUEUE(lit) peer_queue((lit), sizeof(lit) - 1)

static void write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return; /* the client went away: that is its right */
    p += w;
    n -= (size_t)w;
  }
}

static void *peer_main(void *arg) {
  (void)arg;
  int cfd = -1;
  char buf[65536];
  while (!P.stop) {
    struct pollfd pf[2] = {{.fd = P.lfd, .events = POLLIN}, {.fd = cfd, .events = POLLIN}};
    if (poll(pf, cfd >= 0 ? 2 : 1, 20) <= 0) continue;
    if (pf[0].revents & POLLIN) {
      int fd = accept(P.lfd, NULL, NULL);
      if (fd >= 0) {
        if (cfd >= 0) close(cfd);
        cfd = fd;
        P.accepted++;
      }
      continue;
    }
    if (cfd < 0 || !(pf[1].revents & (POLLIN | POLLHUP))) continue;
    ssize_t r = read(cfd, buf, sizeof buf);
    if (r <= 0) {
      close(cfd);
      cfd = -1;
      P.eofs++;
      continue;
    }
    P.commands++;
    pthread_mutex_lock(&P.mu);
    const char *reply = P.head < P.tail ? P.replies[P.head % MAX_QUEUED] : "+OK\r\n";
    size_t len = P.head < P.tail ? P.reply_len[P.head % MAX_QUEUED] : 5;
    if (P.head < P.tail) P.head++;
    pthread_mutex_unlock(&P.mu);
    if (reply) write_all(cfd, reply, len);
  }
  if (cfd >= 0) close(cfd);
  return NULL;
}

static int peer_setup(void **state) {
  (void)state;
  memset(&P, 0, sizeof P);
  pthread_mutex_init(&P.mu, NULL);
  P.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  if (P.lfd < 0 || bind(P.lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(P.lfd, 8) != 0 ||
      getsockname(P.lfd, (struct sockaddr *)&a, &al) != 0)
    return -1;
  P.port = ntohs(a.sin_port);
  return pthread_create(&P.th, NULL, peer_main, NULL) == 0 ? 0 : -1;
}

static int peer_teardown(void **state) {
  (void)state;
  P.stop = 1;
  pthread_join(P.th, NULL);
  close(P.lfd);
  pthread_mutex_destroy(&P.mu);
  return 0;
}

/* ---- the app ------------------------------------------------------------------ */

static const char *const manifest =
    "spin_manifest_version = 2\n"
    "[application]\nname = \"t\"\n"
    "[[trigger.http]]\nroute = \"/a/...\"\ncomponent = \"a\"\n"
    "[[trigger.http]]\nroute = \"/b/...\"\ncomponent = \"b\"\n"
    "[component.a]\nsource = \"app.wasm\"\n"
    "allowed_outbound_hosts = [\"redis://127.0.0.1:*\"]\n"
    "[component.b]\nsource = \"app.wasm\"\n";

static char addr[64];

static uint64_t open_ok(fx *f) {
  snprintf(addr, sizeof addr, "redis://127.0.0.1:%d", P.port);
  int st = fx_call(f, "redis.open", fx_payload(S(addr), NULL));
  if (st != PE_HC_OK) fail_msg("redis.open: %d %s", st, fx_msg(f));
  return fx_u64(f, 0);
}

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The i-th result blob: its type byte and payload. */
static void result(fx *f, int i, char type, const void *payload, size_t n) {
  const uint8_t *p;
  size_t len;
  if (!fx_blob(f, i, &p, &len)) fail_msg("no result %d", i);
  assert_int_equal(len, n + 1);
  assert_int_equal(p[0], (uint8_t)type);
  assert_memory_equal(p + 1, payload, n);
}

/* ---- cases -------------------------------------------------------------------- */

static void test_addresses_and_grants(void **state) {
  (void)state;
  fx f;
  if (!fx_open(&f, manifest, NULL, NULL)) fail_msg("%s", f.err);
  fx_request(&f, "b");
  snprintf(addr, sizeof addr, "redis://127.0.0.1:%d", P.port);
  assert_int_equal(fx_call(&f, "redis.open", fx_payload(S(addr), NULL)), PE_HC_DENIED);
  assert_non_null(strstr(fx_msg(&f), "redis://127.0.0.1"));
  pe_svc_request_finish(&f.rq);
  fx_request(&f, "a");
  static const char *const bad[] = {"http://127.0.0.1:1",
                                    "redis://",
                                    "redis://127.0.0.1:0",
                                    "redis://127.0.0.1:65536",
                                    "redis://h:1/x",
                                    "redis://[::1",
                                    "rediss://127.0.0.1",
                                    "redis://127.0.0.1:1?q",
                                    ""};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(fx_call(&f, "redis.open", fx_payload(S(bad[i]), NULL)), PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "redis.open", fx_payload("redis://a\0b", (size_t)11, NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "redis.open", fx_payload("redis://\xff", (size_t)9, NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "redis.open", fx_payload(NULL)), PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "redis.open", fx_payload(S(addr), S(addr), NULL)), PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "redis.open", fx_payload(S("redis://10.0.0.1:1"), NULL)),
                   PE_HC_DENIED); /* denied before any connection is tried */
  assert_int_equal(fx_call(&f, "redis.nope", fx_payload(NULL)), PE_HC_NO_SERVICE);
  /* nothing listens on a port just closed: BACKEND, quickly */
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(getsockname(s, (struct sockaddr *)&a, &al), 0);
  close(s);
  char closed[64];
  snprintf(closed, sizeof closed, "redis://127.0.0.1:%d", ntohs(a.sin_port));
  assert_int_equal(fx_call(&f, "redis.open", fx_payload(S(closed), NULL)), PE_HC_BACKEND);
  assert_non_null(strstr(fx_msg(&f), "Connection refused"));
  fx_close(&f);
}

static void test_replies_flattened(void **state) {
  (void)state;
  fx f;
  if (!fx_open(&f, manifest, NULL, NULL)) fail_msg("%s", f.err);
  fx_request(&f, "a");
  uint8_t h[8];
  fx_le64(h, open_ok(&f));
  QUEUE("$3\r\nabc\r\n");
  assert_int_equal(fx_call(&f, "redis.get", fx_payload(h, (size_t)8, S("k"), NULL)), PE_HC_OK);
  result(&f, 0, 'b', "abc", 3);
  QUEUE("*4\r\n:-2\r\n*2\r\n+OK\r\n$-1\r\n$0\r\n\r\n*0\r\n");
  uint8_t ip[9] = {'i'};
  fx_le64(ip + 1, (uint64_t)-7);
  assert_int_equal(fx_call(&f, "redis.execute",
                           fx_payload(h, (size_t)8, S("X"), ip, (size_t)9, S("bval"), NULL)),
                   PE_HC_OK);
  assert_int_equal(fx_nblobs(&f), 4);
  uint8_t m2[8];
  fx_le64(m2, (uint64_t)-2);
  result(&f, 0, 'i', m2, 8);
  result(&f, 1, 's', "OK", 2);
  result(&f, 2, 'n', "", 0);
  result(&f, 3, 'b', "", 0);
  QUEUE("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  assert_int_equal(fx_call(&f, "redis.incr", fx_payload(h, (size_t)8, S("k"), NULL)),
                   PE_HC_BACKEND);
  assert_non_null(strstr(fx_msg(&f), "WRONGTYPE"));
  QUEUE("*2\r\n:1\r\n-ERR inside\r\n");
  assert_int_equal(fx_call(&f, "redis.execute", fx_payload(h, (size_t)8, S("EXEC"), NULL)),
                   PE_HC_BACKEND);
  assert_non_null(strstr(fx_msg(&f), "ERR inside"));
  fx_close(&f);
}

static void test_hostile_payloads(void **state) {
  (void)state;
  fx f;
  if (!fx_open(&f, manifest, NULL, NULL)) fail_msg("%s", f.err);
  fx_request(&f, "a");
  uint64_t id = open_ok(&f);
  uint8_t h[8], forged[8];
  fx_le64(h, id);
  fx_le64(forged, id + 1000);
  int before = P.commands;
  assert_int_equal(fx_call(&f, "redis.get", fx_payload(forged, (size_t)8, S("k"), NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "redis.get", fx_payload("abc", (size_t)3, S("k"), NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "redis.get", fx_payload(h, (size_t)8, NULL)), PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "redis.get", fx_payload(h, (size_t)8, S("k"), S("x"), NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "redis.set", fx_payload(h, (size_t)8, S("k"), NULL)), PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "redis.del", fx_payload(h, (size_t)8, NULL)), PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "redis.sadd", fx_payload(h, (size_t)8, S("s"), NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "redis.get", fx_payload(h, (size_t)8, "\xc3", (size_t)1, NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "redis.execute", fx_payload(h, (size_t)8, NULL)), PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "redis.execute", fx_payload(h, (size_t)8, S(""), NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "redis.execute", fx_payload(h, (size_t)8, S("PING"), S("x"), NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "redis.execute", fx_payload(h, (size_t)8, S("PING"), S("i1"), NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "redis.execute", fx_payload(h, (size_t)8, S("PING"), S(""), NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "redis.execute", fx_payload(h, (size_t)8, S("psubscribe"), NULL)),
                   PE_HC_INVALID);
  static const uint8_t truncated[] = {8, 0, 0, 0, 1, 2, 3};
  assert_int_equal(fx_call_raw(&f, "redis.get", truncated, sizeof truncated), PE_HC_INVALID);
  uint8_t lying[16] = {8, 0, 0, 0};
  memcpy(lying + 4, h, 8);
  lying[12] = 0xff, lying[13] = 0xff, lying[14] = 0xff, lying[15] = 0x7f;
  assert_int_equal(fx_call_raw(&f, "redis.get", lying, sizeof lying), PE_HC_INVALID);
  /* more than 16 MiB of arguments, and more than 2^20 of them: LIMIT, unsent */
  char *big = calloc(1, (16u << 20) + 1);
  assert_non_null(big);
  assert_int_equal(fx_call(&f, "redis.set",
                           fx_payload(h, (size_t)8, S("k"), big, (size_t)(16u << 20) + 1, NULL)),
                   PE_HC_LIMIT);
  free(big);
  pe_buf many = fx_payload(h, (size_t)8, S("k"), NULL);
  for (unsigned i = 0; i < PE_REDIS_MAX_ARGS; i++) assert_true(pe_hc_put_blob(&many, "m", 1));
  assert_int_equal(fx_call(&f, "redis.sadd", many), PE_HC_LIMIT);
  assert_int_equal(P.commands, before); /* none of these reached the server */
  /* closed, then another request's handle */
  assert_int_equal(fx_call(&f, "redis.close", fx_payload(h, (size_t)8, NULL)), PE_HC_OK);
  assert_int_equal(fx_call(&f, "redis.close", fx_payload(h, (size_t)8, NULL)), PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "redis.get", fx_payload(h, (size_t)8, S("k"), NULL)), PE_HC_INVALID);
  fx_le64(h, open_ok(&f));
  pe_svc_request_finish(&f.rq);
  fx_request(&f, "a");
  assert_int_equal(fx_call(&f, "redis.get", fx_payload(h, (size_t)8, S("k"), NULL)), PE_HC_INVALID);
  assert_non_null(strstr(fx_msg(&f), "no open redis connection"));
  fx_close(&f);
}

static void test_connection_limit_and_request_end(void **state) {
  (void)state;
  fx f;
  if (!fx_open(&f, manifest, NULL, NULL)) fail_msg("%s", f.err);
  fx_request(&f, "a");
  int accepted = P.accepted;
  for (unsigned i = 0; i < PE_REDIS_MAX_OPEN; i++) open_ok(&f);
  assert_int_equal(fx_call(&f, "redis.open", fx_payload(S(addr), NULL)), PE_HC_LIMIT);
  /* refused before connecting: the peer saw exactly 8 (it keeps the newest) */
  for (int i = 0; i < 100 && P.accepted < accepted + (int)PE_REDIS_MAX_OPEN; i++) usleep(10000);
  assert_int_equal(P.accepted, accepted + (int)PE_REDIS_MAX_OPEN);
  int eofs = P.eofs;
  pe_svc_request_finish(&f.rq); /* closes them all; the peer sees its one socket end */
  for (int i = 0; i < 100 && P.eofs == eofs; i++) usleep(10000);
  assert_int_equal(P.eofs, eofs + 1);
  fx_request(&f, "a");
  open_ok(&f); /* a new request has its own 8 */
  fx_close(&f);
}

static void test_limits_deadline_and_reconnect(void **state) {
  (void)state;
  fx f;
  if (!fx_open(&f, manifest, NULL, NULL)) fail_msg("%s", f.err);
  fx_request(&f, "a");
  uint8_t h[8];
  fx_le64(h, open_ok(&f));
  /* an array header asking for two billion elements: refused, not allocated */
  QUEUE("*2000000000\r\n");
  assert_int_equal(fx_call(&f, "redis.execute", fx_payload(h, (size_t)8, S("X"), NULL)),
                   PE_HC_BACKEND);
  assert_non_null(strstr(fx_msg(&f), "too many elements"));
  /* the handle reconnects after a failure */
  int accepted = P.accepted;
  QUEUE("+PONG\r\n");
  assert_int_equal(fx_call(&f, "redis.execute", fx_payload(h, (size_t)8, S("PING"), NULL)),
                   PE_HC_OK);
  result(&f, 0, 's', "PONG", 4);
  assert_int_equal(P.accepted, accepted + 1);
  /* a bulk reply past 16 MiB: LIMIT once that much has arrived */
  size_t n = (16u << 20) + 100;
  char *huge = malloc(n + 32);
  assert_non_null(huge);
  int hl = snprintf(huge, 32, "$%zu\r\n", n);
  memset(huge + hl, 'x', n + 32 - (size_t)hl);
  peer_queue(huge, n + (size_t)hl + 2);
  assert_int_equal(fx_call(&f, "redis.get", fx_payload(h, (size_t)8, S("k"), NULL)), PE_HC_LIMIT);
  assert_non_null(strstr(fx_msg(&f), "larger than"));
  /* no answer: the request's deadline ends the wait */
  peer_queue(NULL, 0);
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  f.rq.deadline_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec + 300000000u;
  uint64_t t0 = now_ms();
  assert_int_equal(fx_call(&f, "redis.execute", fx_payload(h, (size_t)8, S("BLPOP"), NULL)),
                   PE_HC_TIMEOUT);
  uint64_t took = now_ms() - t0;
  assert_true(took >= 250 && took < 2000);
  /* once the deadline has passed, nothing more waits */
  t0 = now_ms();
  assert_int_equal(fx_call(&f, "redis.get", fx_payload(h, (size_t)8, S("k"), NULL)), PE_HC_TIMEOUT);
  assert_true(now_ms() - t0 < 500);
  f.rq.deadline_ns = 0;
  free(huge); /* the peer has sent it (or given up) by now: the reply above came after */
  fx_close(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_addresses_and_grants),
      cmocka_unit_test(test_replies_flattened),
      cmocka_unit_test(test_hostile_payloads),
      cmocka_unit_test(test_connection_limit_and_request_end),
      cmocka_unit_test(test_limits_deadline_and_reconnect),
  };
  return cmocka_run_group_tests(tests, peer_setup, peer_teardown);
}
