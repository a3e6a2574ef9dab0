/*
 * svc_redis_conn.c -- a Redis connection on our own non-blocking socket,
 * hiredis as the protocol codec (svc_redis_conn.h), and the redis:// URL.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "svc_redis_conn.h"
#include "runtime/pe_rt.h"

/* ---- the url ------------------------------------------------------------- */

void pe_redis_url_free(pe_redis_url *u) {
  free(u->host);
  free(u->user);
  free(u->password);
  memset(u, 0, sizeof *u);
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = tolower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A percent-decoded copy of s[0..n); NULL if malformed or it decodes to NUL. */
static char *decode(const char *s, size_t n) {
  char *out = malloc(n + 1), *o = out;
  if (!out) return NULL;
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '%') {
      *o++ = s[i];
      continue;
    }
    int a = i + 1 < n ? hexval((unsigned char)s[i + 1]) : -1;
    int h = a < 0 || i + 2 >= n || hexval((unsigned char)s[i + 2]) < 0
                ? -1
                : a * 16 + hexval((unsigned char)s[i + 2]);
    if (h <= 0) {
      free(out);
      return NULL;
    }
    *o++ = (char)h;
    i += 2;
  }
  *o = 0;
  return out;
}

/* url for a message: a password in it is replaced by "***" (NEVER echo a
 * secret: these messages reach the terminal and logs). */
static void shown(const char *url, char *out, size_t outlen) {
  const char *auth = strstr(url, "://");
  auth = auth ? auth + 3 : url;
  size_t alen = strcspn(auth, "/?#");
  const char *at = memrchr(auth, '@', alen);
  const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
  if (!colon) {
    snprintf(out, outlen, "%s", url);
    return;
  }
  snprintf(out, outlen, "%.*s***%s", (int)(colon + 1 - url), url, at);
}

bool pe_redis_url_parse(const char *url, pe_redis_url *u, char *err, size_t errlen) {
  memset(u, 0, sizeof *u);
  u->port = 6379;
  static const char scheme[] = "redis://";
  char safe[512];
  shown(url ? url : "", safe, sizeof safe);
  url = url ? url : "";
  if (strncmp(url, scheme, sizeof scheme - 1) != 0) {
    snprintf(err, errlen, "'%s' does not start with redis:// (TLS, rediss://, is not supported)",
             safe);
    return false;
  }
  const char *p = url + sizeof scheme - 1;
  if (strpbrk(p, "?#")) {
    snprintf(err, errlen, "query and fragment are not supported in '%s'", safe);
    return false;
  }
  const char *path = strchr(p, '/');
  const char *end = path ? path : p + strlen(p);
  const char *at = memrchr(p, '@', (size_t)(end - p));
  if (at) {
    const char *colon = memchr(p, ':', (size_t)(at - p));
    const char *uend = colon ? colon : at;
    if (uend > p && !(u->user = decode(p, (size_t)(uend - p)))) goto bad_userinfo;
    if (colon && !(u->password = decode(colon + 1, (size_t)(at - colon - 1)))) goto bad_userinfo;
    p = at + 1;
  }
  const char *host_end;
  if (*p == '[') {
    const char *close = memchr(p, ']', (size_t)(end - p));
    if (!close || close == p + 1) {
      snprintf(err, errlen, "bad IPv6 address in '%s'", safe);
      goto fail;
    }
    u->host = strndup(p + 1, (size_t)(close - p - 1));
    host_end = close + 1;
  } else {
    host_end = memchr(p, ':', (size_t)(end - p));
    if (!host_end) host_end = end;
    u->host = strndup(p, (size_t)(host_end - p));
  }
  if (!u->host) {
    snprintf(err, errlen, "out of memory");
    goto fail;
  }
  if (!u->host[0]) {
    snprintf(err, errlen, "no host in '%s'", safe);
    goto fail;
  }
  if (host_end < end) {
    if (*host_end != ':' || host_end + 1 == end) {
      snprintf(err, errlen, "bad port in '%s'", safe);
      goto fail;
    }
    long port = 0;
    for (const char *q = host_end + 1; q < end; q++) {
      if (!isdigit((unsigned char)*q) || (port = port * 10 + (*q - '0')) > 65535) {
        snprintf(err, errlen, "bad port in '%s'", safe);
        goto fail;
      }
    }
    if (port == 0) {
      snprintf(err, errlen, "bad port in '%s'", safe);
      goto fail;
    }
    u->port = (int)port;
  }
  if (path && path[1]) {
    long db = 0;
    for (const char *q = path + 1; *q; q++) {
      if (!isdigit((unsigned char)*q) || (db = db * 10 + (*q - '0')) > 1000000) {
        snprintf(err, errlen, "the path of '%s' must be a database number", safe);
        goto fail;
      }
    }
    u->db = db;
  }
  return true;
bad_userinfo:
  snprintf(err, errlen, "bad user or password encoding in the url");
fail:
  pe_redis_url_free(u);
  return false;
}

/* ---- connections --------------------------------------------------------- */

/* Elements one array of a reply may have: the reader allocates the array
 * before its elements arrive, so "*2000000000" alone would ask for 16 GB. */
#define MAX_ARRAY 1048576

struct pe_redis_conn {
  int fd;
  redisReader *reader;
  char where[300];
};

static redisReplyObjectFunctions capped_fns;
static void *(*plain_array)(const redisReadTask *, int);

static void *capped_array(const redisReadTask *t, int n) {
  return n < 0 || n > MAX_ARRAY ? NULL : plain_array(t, n);
}

static pthread_once_t fns_once = PTHREAD_ONCE_INIT;

static void fns_init(void) {
  redisReader *r = redisReaderCreate();
  if (!r) return;
  capped_fns = *r->fn;
  plain_array = capped_fns.createArray;
  capped_fns.createArray = capped_array;
  redisReaderFree(r);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The end of a wait of cap_ms, or the request's deadline if nearer. */
static uint64_t until(unsigned cap_ms, const pe_redis_limits *lim) {
  uint64_t end = now_ns() + (uint64_t)cap_ms * 1000000u;
  return lim->deadline_ns && lim->deadline_ns < end ? lim->deadline_ns : end;
}

static void fail(pe_redis_conn *c, pe_hc_status *st, pe_hc_status what, char *err, size_t errlen,
                 const char *fmt, const char *detail) {
  *st = what;
  char msg[200];
  snprintf(msg, sizeof msg, fmt, detail ? detail : "");
  snprintf(err, errlen, "redis %s: %s", c->where, msg);
}

/* Waits for fd to be ready for events; false with the error set when the
 * wait ends first (TIMEOUT) or poll fails (BACKEND). */
static bool wait_fd(pe_redis_conn *c, short events, uint64_t end, const char *doing,
                    pe_hc_status *st, char *err, size_t errlen) {
  for (;;) {
    if (pe_rt_should_stop()) {
      fail(c, st, PE_HC_TIMEOUT, err, errlen, "%s: the request's deadline passed", doing);
      return false;
    }
    uint64_t now = now_ns();
    if (now >= end) {
      fail(c, st, PE_HC_TIMEOUT, err, errlen, "%s: no answer in time", doing);
      return false;
    }
    uint64_t ms = (end - now + 999999u) / 1000000u;
    struct pollfd p = {.fd = c->fd, .events = events};
    int n = poll(&p, 1, ms > 60000 ? 60000 : (int)ms);
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) {
      fail(c, st, PE_HC_BACKEND, err, errlen, "%s", strerror(errno));
      return false;
    }
  }
}

static bool connect_one(pe_redis_conn *c, const struct addrinfo *ai, uint64_t end, pe_hc_status *st,
                        char *err, size_t errlen) {
  c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
  if (c->fd < 0) {
    fail(c, st, PE_HC_BACKEND, err, errlen, "cannot connect: %s", strerror(errno));
    return false;
  }
  int one = 1;
  (void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* only latency */
  if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
    fail(c, st, PE_HC_BACKEND, err, errlen, "cannot connect: %s", strerror(errno));
  } else if (wait_fd(c, POLLOUT, end, "cannot connect", st, err, errlen)) {
    int so = 0;
    socklen_t sl = sizeof so;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &so, &sl) == 0 && so == 0) return true;
    fail(c, st, PE_HC_BACKEND, err, errlen, "cannot connect: %s", strerror(so ? so : errno));
  }
  close(c->fd);
  c->fd = -1;
  return false;
}

static bool send_all(pe_redis_conn *c, const char *p, size_t n, uint64_t end, pe_hc_status *st,
                     char *err, size_t errlen) {
  while (n > 0) {
    ssize_t w = write(c->fd, p, n);
    if (w > 0) {
      p += w;
      n -= (size_t)w;
    } else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      fail(c, st, PE_HC_BACKEND, err, errlen, "write failed: %s", strerror(errno));
      return false;
    } else if (!wait_fd(c, POLLOUT, end, "sending", st, err, errlen)) {
      return false;
    }
  }
  return true;
}

static redisReply *read_reply(pe_redis_conn *c, uint64_t end, size_t max_reply, pe_hc_status *st,
                              char *err, size_t errlen) {
  size_t got = 0;
  char buf[16384];
  for (;;) {
    void *reply = NULL;
    if (redisReaderGetReply(c->reader, &reply) != REDIS_OK) {
      fail(c, st, PE_HC_BACKEND, err, errlen, "bad reply: %s",
           c->reader->err == REDIS_ERR_OOM ? "too many elements, or out of memory"
                                           : c->reader->errstr);
      return NULL;
    }
    if (reply) return reply;
    ssize_t r = read(c->fd, buf, sizeof buf);
    if (r > 0) {
      got += (size_t)r;
      if (got > max_reply) {
        char lim[40];
        snprintf(lim, sizeof lim, "%zu", max_reply);
        fail(c, st, PE_HC_LIMIT, err, errlen, "the reply is larger than %s bytes", lim);
        return NULL;
      }
      if (redisReaderFeed(c->reader, buf, (size_t)r) != REDIS_OK) {
        fail(c, st, PE_HC_BACKEND, err, errlen, "out of memory", NULL);
        return NULL;
      }
    } else if (r == 0) {
      fail(c, st, PE_HC_BACKEND, err, errlen, "the server closed the connection", NULL);
      return NULL;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      fail(c, st, PE_HC_BACKEND, err, errlen, "read failed: %s", strerror(errno));
      return NULL;
    } else if (!wait_fd(c, POLLIN, end, "waiting for the reply", st, err, errlen)) {
      return NULL;
    }
  }
}

static redisReply *command_until(pe_redis_conn *c, int argc, const char **argv, const size_t *lens,
                                 uint64_t end, size_t max_reply, pe_hc_status *st, char *err,
                                 size_t errlen) {
  char *cmd = NULL;
  int n = redisFormatCommandArgv(&cmd, argc, argv, lens);
  if (n < 0 || !cmd) {
    fail(c, st, PE_HC_BACKEND, err, errlen, "cannot format the command (out of memory)", NULL);
    return NULL;
  }
  bool sent = send_all(c, cmd, (size_t)n, end, st, err, errlen);
  redisFreeCommand(cmd);
  return sent ? read_reply(c, end, max_reply, st, err, errlen) : NULL;
}

/* AUTH or SELECT while connecting: a Redis error reply fails the connect. */
static bool setup(pe_redis_conn *c, int argc, const char **argv, uint64_t end, pe_hc_status *st,
                  char *err, size_t errlen) {
  size_t lens[3];
  for (int i = 0; i < argc; i++) lens[i] = strlen(argv[i]);
  redisReply *r = command_until(c, argc, argv, lens, end, 4096, st, err, errlen);
  if (!r) return false;
  bool ok = r->type != REDIS_REPLY_ERROR;
  if (!ok) {
    *st = PE_HC_BACKEND;
    snprintf(err, errlen, "redis %s: %s: %.*s", c->where, argv[0],
             (int)(r->len > 200 ? 200 : r->len), r->str);
  }
  freeReplyObject(r);
  return ok;
}

void pe_redis_close(pe_redis_conn *c) {
  if (!c) return;
  if (c->fd >= 0) close(c->fd);
  if (c->reader) redisReaderFree(c->reader);
  free(c);
}

pe_redis_conn *pe_redis_connect(const char *host, int port, const pe_redis_url *auth,
                                const char *where, const pe_redis_limits *lim, pe_hc_status *st,
                                char *err, size_t errlen) {
  pthread_once(&fns_once, fns_init);
  pe_redis_conn *c = calloc(1, sizeof *c);
  if (!c) {
    *st = PE_HC_BACKEND;
    snprintf(err, errlen, "redis %s: out of memory", where);
    return NULL;
  }
  c->fd = -1;
  snprintf(c->where, sizeof c->where, "%s", where);
  c->reader = plain_array ? redisReaderCreateWithFunctions(&capped_fns) : NULL;
  if (!c->reader) {
    fail(c, st, PE_HC_BACKEND, err, errlen, "out of memory", NULL);
    pe_redis_close(c);
    return NULL;
  }
  uint64_t end = until(lim->connect_ms, lim);
  char service[8];
  snprintf(service, sizeof service, "%d", port);
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *res = NULL;
  int gai = getaddrinfo(host, service, &hints, &res);
  if (gai != 0) {
    fail(c, st, PE_HC_BACKEND, err, errlen, "cannot connect: %s", gai_strerror(gai));
    pe_redis_close(c);
    return NULL;
  }
  bool up = false;
  for (const struct addrinfo *ai = res; ai && !up; ai = ai->ai_next)
    up = connect_one(c, ai, end, st, err, errlen);
  freeaddrinfo(res);
  if (up && auth && auth->password) {
    const char *a[3] = {"AUTH", auth->user ? auth->user : auth->password, auth->password};
    up = setup(c, auth->user ? 3 : 2, a, end, st, err, errlen);
  }
  if (up && auth && auth->db) {
    char db[24];
    snprintf(db, sizeof db, "%ld", auth->db);
    const char *a[2] = {"SELECT", db};
    up = setup(c, 2, a, end, st, err, errlen);
  }
  if (!up) {
    pe_redis_close(c);
    return NULL;
  }
  return c;
}

redisReply *pe_redis_command(pe_redis_conn *c, int argc, const char **argv, const size_t *lens,
                             const pe_redis_limits *lim, pe_hc_status *st, char *err,
                             size_t errlen) {
  return command_until(c, argc, argv, lens, until(lim->command_ms, lim), lim->max_reply, st, err,
                       errlen);
}
