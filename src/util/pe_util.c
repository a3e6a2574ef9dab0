/*
 * pe_util.c -- see pe_util.h.
 */
#include "pe_util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

bool pe_buf_append(pe_buf *b, const void *p, size_t n) {
  if (n > SIZE_MAX - b->len - 1) return false;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) {
      if (cap > SIZE_MAX / 2) return false;
      cap *= 2;
    }
    char *d = realloc(b->data, cap);
    if (!d) return false;
    b->data = d;
    b->cap = cap;
  }
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = 0;
  return true;
}

bool pe_buf_puts(pe_buf *b, const char *s) { return pe_buf_append(b, s, strlen(s)); }

bool pe_buf_json_string(pe_buf *b, const char *s) {
  bool ok = pe_buf_append(b, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; ok && *p; p++) {
    if (*p == '"' || *p == '\\')
      ok = pe_buf_append(b, "\\", 1) && pe_buf_append(b, p, 1);
    else if (*p < 0x20 || *p == 0x7f)
      ok = pe_buf_printf(b, "\\u%04x", *p);
    else
      ok = pe_buf_append(b, p, 1);
  }
  return ok && pe_buf_append(b, "\"", 1);
}

bool pe_buf_printf(pe_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return false;
  if (!pe_buf_append(b, "", 0)) return false;
  size_t need = b->len + (size_t)n + 1;
  if (need > b->cap) {
    char *d = realloc(b->data, need);
    if (!d) return false;
    b->data = d;
    b->cap = need;
  }
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return true;
}

void pe_buf_free(pe_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

bool pe_read_file(const char *path, pe_buf *out, char *err, size_t errlen) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
    return false;
  }
  out->len = 0;
  char chunk[65536];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
      close(fd);
      return false;
    }
    if (n == 0) break;
    if (!pe_buf_append(out, chunk, (size_t)n)) {
      snprintf(err, errlen, "out of memory reading %s", path);
      close(fd);
      return false;
    }
  }
  close(fd);
  return pe_buf_append(out, "", 0);
}

bool pe_write_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n > 0) {
    ssize_t w = write(fd, c, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return false;
    if (w == 0) { /* not for files, pipes or sockets; never loop on it */
      errno = EIO;
      return false;
    }
    c += w;
    n -= (size_t)w;
  }
  return true;
}

bool pe_write_file(const char *path, const void *data, size_t len, char *err, size_t errlen) {
  char tmp[PATH_MAX];
  if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid()) >= sizeof tmp) {
    snprintf(err, errlen, "path too long: %s", path);
    return false;
  }
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
    return false;
  }
  if (!pe_write_all(fd, data, len)) {
    snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
    close(fd);
    unlink(tmp);
    return false;
  }
  if (close(fd) != 0 || rename(tmp, path) != 0) {
    snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    unlink(tmp);
    return false;
  }
  return true;
}

bool pe_mkdir_p(const char *path, char *err, size_t errlen) {
  char p[PATH_MAX];
  if ((size_t)snprintf(p, sizeof p, "%s", path) >= sizeof p) {
    snprintf(err, errlen, "path too long: %s", path);
    return false;
  }
  for (char *s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = 0;
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
      snprintf(err, errlen, "cannot create %s: %s", p, strerror(errno));
      return false;
    }
    *s = '/';
  }
  if (mkdir(p, 0755) != 0 && errno != EEXIST) {
    snprintf(err, errlen, "cannot create %s: %s", p, strerror(errno));
    return false;
  }
  return true;
}

static void hex(const unsigned char *md, unsigned n, char *out) {
  for (unsigned i = 0; i < n; i++) {
    out[2 * i] = "0123456789abcdef"[md[i] >> 4];
    out[2 * i + 1] = "0123456789abcdef"[md[i] & 15];
  }
  out[2 * n] = 0;
}

struct pe_sha256 {
  EVP_MD_CTX *ctx;
};

pe_sha256 *pe_sha256_begin(void) {
  pe_sha256 *h = malloc(sizeof *h);
  if (!h) return NULL;
  h->ctx = EVP_MD_CTX_new();
  if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
    EVP_MD_CTX_free(h->ctx);
    free(h);
    return NULL;
  }
  return h;
}

void pe_sha256_update(pe_sha256 *h, const void *data, size_t len) {
  EVP_DigestUpdate(h->ctx, data, len);
}

void pe_sha256_end(pe_sha256 *h, char out[65]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_DigestFinal_ex(h->ctx, md, &n);
  hex(md, n > 32 ? 32 : n, out);
  EVP_MD_CTX_free(h->ctx);
  free(h);
}

void pe_sha256_hex(const void *data, size_t len, char out[65]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
  hex(md, n > 32 ? 32 : n, out);
}

bool pe_cache_dir(char *out, size_t outlen) {
  const char *c = getenv("PYEDGE_CACHE");
  int n;
  if (c && *c) {
    n = snprintf(out, outlen, "%s", c);
  } else if ((c = getenv("XDG_CACHE_HOME")) && *c) {
    n = snprintf(out, outlen, "%s/pyedge", c);
  } else {
    const char *home = getenv("HOME");
    if (!home || !*home) home = "/tmp";
    n = snprintf(out, outlen, "%s/.cache/pyedge", home);
  }
  return n > 0 && (size_t)n < outlen;
}

pid_t pe_spawn(char *const argv[], const char *stderr_path, char *err, size_t errlen) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  if (stderr_path)
    posix_spawn_file_actions_addopen(&fa, 2, stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(rc));
    return -1;
  }
  return pid;
}

static int decode_status(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return 127;
}

int pe_wait(pid_t pid) {
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return 127;
  return decode_status(st);
}

int pe_wait_any(const pid_t *pids, int n, int *status) {
  if (n <= 0) return -1;
  /* Polls only our own pids: waitpid(-1) could reap a child that belongs
   * to someone else in the process. */
  for (;;) {
    for (int i = 0; i < n; i++) {
      int st;
      pid_t r = waitpid(pids[i], &st, WNOHANG);
      if (r == pids[i]) {
        *status = decode_status(st);
        return i;
      }
      if (r < 0 && errno != EINTR) {
        *status = 127;
        return i;
      }
    }
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

bool pe_exe_dir(char *out, size_t outlen) {
  char p[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", p, sizeof p - 1);
  if (n <= 0) return false;
  p[n] = 0;
  char *slash = strrchr(p, '/');
  if (!slash) return false;
  *slash = 0;
  return (size_t)snprintf(out, outlen, "%s", p) < outlen;
}

bool pe_path_join(char *out, size_t n, const char *dir, const char *fmt, ...) {
  int k = snprintf(out, n, "%s/", dir);
  if (k < 0 || (size_t)k >= n) return false;
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(out + k, n - (size_t)k, fmt, ap);
  va_end(ap);
  return m >= 0 && (size_t)m < n - (size_t)k;
}

void pe_cond_init_monotonic(pthread_cond_t *cv) {
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(cv, &ca);
  pthread_condattr_destroy(&ca);
}
