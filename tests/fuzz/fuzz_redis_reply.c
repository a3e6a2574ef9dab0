/*
 * fuzz_redis_reply.c -- what a Redis server (or anything listening where a
 * component was allowed to connect) can send back: the reply reading of
 * src/services/svc_redis_conn.c (hiredis's parser behind our byte and array
 * caps) and the result mapping of src/services/redis/svc_redis.c, reached
 * through the dispatcher as the sandbox reaches them.
 *
 * The "server" is this program: a listening socket on 127.0.0.1 that the
 * component "app" may reach (redis://127.0.0.1:*). Each input is one
 * request: redis.open connects (the kernel completes the handshake from the
 * listen backlog), this program accepts, writes the input's reply bytes and
 * shuts its side for writing, so the client reads exactly those bytes and
 * then an end of stream -- never a wait. Then one call on the handle.
 *
 * Input: an op byte (low 2 bits: redis.get, redis.smembers, redis.incr or
 * redis.execute), then the bytes the server sends. The reply must be well
 * formed: OK, BACKEND, LIMIT or TIMEOUT; an OK one a sequence of results,
 * each a known type byte ('n' alone, 'i' with 8 bytes, 's' or 'b' with any),
 * no more results than the server sent values (every RESP value takes at
 * least 3 bytes); an error message at most 1 KiB.
 */
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "hostapi/pe_hostcall.h"
#include "manifest/pe_manifest.h"
#include "services/pe_services.h"

static const char manifest[] =
    "spin_manifest_version = 2\n"
    "[application]\nname = \"fuzz\"\n"
    "[[trigger.http]]\nroute = \"/...\"\ncomponent = \"app\"\n"
    "[component.app]\nsource = \"app.wasm\"\n"
    "allowed_outbound_hosts = [\"redis://127.0.0.1:*\"]\n";

static pe_manifest *app_manifest;
static pe_services *app;
static int lfd = -1;
static char address[64];

static void close_app(void) {
  pe_services_free(app);
  pe_manifest_free(app_manifest);
  if (lfd >= 0) close(lfd);
}

static void open_app(void) {
  static char dir[64];
  fz_tmpdir(dir, "redis_reply");
  pe_manifest_error me;
  app_manifest = pe_manifest_parse(manifest, strlen(manifest), "spin.toml", &me);
  FZ_CHECK(app_manifest);
  pe_services_options o = {.state_dir = dir};
  char err[1024];
  app = pe_services_new(app_manifest, dir, &o, err, sizeof err);
  if (!app) {
    fprintf(stderr, "services: %s\n", err);
    abort();
  }
  lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  FZ_CHECK(lfd >= 0 && bind(lfd, (struct sockaddr *)&a, sizeof a) == 0 && listen(lfd, 16) == 0 &&
           getsockname(lfd, (struct sockaddr *)&a, &al) == 0);
  snprintf(address, sizeof address, "redis://127.0.0.1:%d", ntohs(a.sin_port));
  atexit(close_app);
}

static void put_blob(pe_buf *b, const void *p, size_t n) { FZ_CHECK(pe_hc_put_blob(b, p, n)); }

/* Every RESP value ("+x\r\n", ":1\r\n", "$-1\r\n", ...) is at least 3 bytes. */
static void check_reply(const pe_buf *out, size_t sent) {
  FZ_CHECK(out->len >= 1);
  uint8_t st = (uint8_t)out->data[0];
  if (st != PE_HC_OK) {
    FZ_CHECK(st == PE_HC_BACKEND || st == PE_HC_LIMIT || st == PE_HC_TIMEOUT);
    FZ_CHECK(out->len - 1 <= 1024);
    return;
  }
  pe_hc_reader r;
  pe_hc_reader_init(&r, (const uint8_t *)out->data + 1, out->len - 1);
  size_t results = 0;
  while (r.left > 0) {
    const uint8_t *p;
    size_t n;
    FZ_CHECK(pe_hc_blob(&r, &p, &n));
    FZ_CHECK(n >= 1);
    switch (p[0]) {
      case 'n': FZ_CHECK(n == 1); break;
      case 'i': FZ_CHECK(n == 9); break;
      case 's':
      case 'b': break;
      default: FZ_CHECK(!"unknown result type");
    }
    results++;
  }
  FZ_CHECK(results <= sent / 3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!app) open_app();
  fz f;
  fz_init(&f, data, size);
  static const char *const ops[] = {"redis.get", "redis.smembers", "redis.incr", "redis.execute"};
  const char *op = ops[fz_u8(&f) & 3];
  size_t sent;
  uint8_t *reply = fz_rest(&f, &sent);

  pe_svc_request rq;
  pe_svc_request_init(&rq, app, pe_manifest_component_by_id(app_manifest, "app"));
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  rq.deadline_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec + 2000000000u;
  pe_buf in = {0}, out = {0};
  put_blob(&in, address, strlen(address));
  rq.hs.call(rq.hs.ctx, "redis.open", 10, (const uint8_t *)in.data, in.len, &out);
  FZ_CHECK(out.len == 1 + 4 + 8 && out.data[0] == PE_HC_OK);
  uint8_t handle[8];
  memcpy(handle, out.data + 5, 8);
  int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
  FZ_CHECK(cfd >= 0);
  for (size_t done = 0; done < sent;) {
    ssize_t w = write(cfd, reply + done, sent - done);
    FZ_CHECK(w > 0); /* inputs are far smaller than a loopback socket's buffer */
    done += (size_t)w;
  }
  FZ_CHECK(shutdown(cfd, SHUT_WR) == 0);

  in.len = 0;
  put_blob(&in, handle, 8);
  if (op[6] == 'e') {
    put_blob(&in, "X", 1);
    put_blob(&in, "bk", 2);
  } else {
    put_blob(&in, "k", 1);
  }
  out.len = 0;
  rq.hs.call(rq.hs.ctx, op, strlen(op), (const uint8_t *)in.data, in.len, &out);
  check_reply(&out, sent);

  pe_svc_request_finish(&rq);
  close(cfd);
  /* a call that failed made no new connection, but drain the backlog anyway */
  for (int extra; (extra = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0;) close(extra);
  pe_buf_free(&in);
  pe_buf_free(&out);
  free(reply);
  return 0;
}
