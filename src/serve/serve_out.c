/*
 * serve_out.c -- what `pyedge up` prints on standard output (the access log
 * and the components' prefixed stdout), written in batches.
 *
 * Printing each line with its own write(2) -- line-buffered stdout, as
 * before -- cost a system call per request and made the workers queue on
 * stdio's lock: at 32 connections the server answered 41.7k req/s with its
 * access log against 57.3k without (bench/serve, same run). Lines now go
 * into one buffer under a mutex, in the order they are added, and the
 * buffer is written:
 *   - as soon as it holds PE_OUT_FLUSH_BYTES,
 *   - at most PE_OUT_DELAY_MS after its first line, by a flusher thread that
 *     sleeps without a timeout while the buffer is empty (an idle server
 *     wakes nobody),
 *   - when the output is closed.
 * A human at a terminal sees lines within a twentieth of a second. Writes
 * happen under the mutex, so batches cannot overtake each other; a reader
 * that stops reading blocks the writers as stdio did.
 *
 * Nothing is lost on a short write or EINTR; a write error (EPIPE, a full
 * disk) drops that batch: the server keeps serving. A batch that fills up is
 * written by the thread that filled it, so threads that add text must have
 * SIGPIPE blocked or ignored (the HTTP workers block it); the flusher
 * blocks every signal itself.
 *
 * Also here: the component log files (<log dir>/<id>_stdout.txt and
 * _stderr.txt), pe_log. A handler that prints in a loop would otherwise
 * fill the disk: each request adds up to 1 MiB a stream (the capture cap),
 * forever. A log file is renamed to <name>.1 (replacing the previous one)
 * before a write would take it past its limit, and a new one is started,
 * so a stream never has more than twice the limit on disk. A request's
 * output is one write(2) under the file's mutex, so concurrent requests
 * neither interleave within a request nor race a rotation; a request whose
 * output alone exceeds the limit keeps its head and a line saying how much
 * was left out.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pe_serve.h"

#define PE_OUT_FLUSH_BYTES (32 * 1024)
#define PE_OUT_DELAY_MS 50

struct pe_out {
  int fd;
  pthread_mutex_t lock;
  pthread_cond_t wake; /* the buffer became non-empty, or closing */
  pe_buf buf;
  bool closing;
  bool failing; /* the last write failed: said once, until one succeeds */
  pthread_t flusher;
};

/* Writes p under the lock. A failure (stdout closed, disk full) loses the
 * text, but not silently: the first of a run of failures is said on
 * stderr. */
static void write_locked(pe_out *o, const void *p, size_t n) {
  bool ok = pe_write_all(o->fd, p, n);
  if (!ok && !o->failing)
    fprintf(stderr,
            "pyedge: writing standard output failed (%s): the access log and guest "
            "output are lost until it works again\n",
            strerror(errno));
  o->failing = !ok;
}

/* Under the lock. */
static void flush_locked(pe_out *o) {
  if (o->buf.len == 0) return;
  write_locked(o, o->buf.data, o->buf.len); /* an error drops the batch */
  o->buf.len = 0;
}

static void *flusher_main(void *arg) {
  pe_out *o = arg;
  pthread_mutex_lock(&o->lock);
  while (!o->closing) {
    if (o->buf.len == 0) {
      pthread_cond_wait(&o->wake, &o->lock);
      continue;
    }
    struct timespec due;
    clock_gettime(CLOCK_MONOTONIC, &due);
    due.tv_nsec += PE_OUT_DELAY_MS * 1000000L;
    if (due.tv_nsec >= 1000000000L) {
      due.tv_sec++;
      due.tv_nsec -= 1000000000L;
    }
    while (!o->closing && pthread_cond_timedwait(&o->wake, &o->lock, &due) != ETIMEDOUT) {
    }
    flush_locked(o);
  }
  pthread_mutex_unlock(&o->lock);
  return NULL;
}

pe_out *pe_out_open(int fd, char *err, size_t errlen) {
  pe_out *o = calloc(1, sizeof *o);
  if (!o) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  o->fd = fd;
  pthread_mutex_init(&o->lock, NULL);
  pe_cond_init_monotonic(&o->wake);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old); /* the thread inherits it */
  int rc = pthread_create(&o->flusher, NULL, flusher_main, o);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc != 0) {
    snprintf(err, errlen, "cannot start the output thread: %s", strerror(rc));
    pthread_cond_destroy(&o->wake);
    pthread_mutex_destroy(&o->lock);
    free(o);
    return NULL;
  }
  return o;
}

void pe_out_write(pe_out *o, const char *p, size_t n) {
  if (n == 0) return;
  pthread_mutex_lock(&o->lock);
  bool was_empty = o->buf.len == 0;
  if (!pe_buf_append(&o->buf, p, n)) {
    /* no memory for the batch: this text goes out alone, nothing queued
     * before it is overtaken */
    flush_locked(o);
    write_locked(o, p, n);
  } else if (o->buf.len >= PE_OUT_FLUSH_BYTES) {
    flush_locked(o);
  } else if (was_empty) {
    pthread_cond_signal(&o->wake);
  }
  pthread_mutex_unlock(&o->lock);
}

void pe_out_printf(pe_out *o, const char *fmt, ...) {
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof line) {
    pe_out_write(o, line, (size_t)n);
    return;
  }
  char *big = malloc((size_t)n + 1);
  if (!big) {
    pe_out_write(o, line, sizeof line - 1); /* what fits */
    return;
  }
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  pe_out_write(o, big, (size_t)n);
  free(big);
}

void pe_out_close(pe_out *o) {
  if (!o) return;
  pthread_mutex_lock(&o->lock);
  o->closing = true;
  pthread_cond_signal(&o->wake);
  pthread_mutex_unlock(&o->lock);
  pthread_join(o->flusher, NULL);
  flush_locked(o); /* the flusher has gone: nobody else holds o */
  pe_buf_free(&o->buf);
  pthread_cond_destroy(&o->wake);
  pthread_mutex_destroy(&o->lock);
  free(o);
}

/* ---- component log files, rotated at a size limit ------------------------------ */

struct pe_log {
  pthread_mutex_t lock;
  int fd;        /* -1 once a rotation failed: the log is given up, not retried */
  uint64_t size; /* bytes in the current file, as far as we know */
  uint64_t max;  /* rotate before a write would pass this */
  char path[PATH_MAX];
  char old[PATH_MAX + 2]; /* path + ".1" */
  bool failing;           /* the last write failed: said once, until one succeeds */
};

/* Under the lock. A failed write loses only the log, and is said on
 * stderr once per run of failures. */
static void log_write_locked(pe_log *l, const void *p, size_t n) {
  bool ok = pe_write_all(l->fd, p, n);
  if (!ok && !l->failing)
    fprintf(stderr, "pyedge: writing %s failed (%s): output is lost until it works again\n",
            l->path, strerror(errno));
  l->failing = !ok;
}

static int open_append(const char *path, uint64_t *size) {
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  struct stat st;
  *size = fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0 ? (uint64_t)st.st_size : 0;
  return fd;
}

pe_log *pe_log_open(const char *path, uint64_t max_bytes, char *err, size_t errlen) {
  pe_log *l = calloc(1, sizeof *l);
  if (!l) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  if ((size_t)snprintf(l->path, sizeof l->path, "%s", path) >= sizeof l->path ||
      (size_t)snprintf(l->old, sizeof l->old, "%s.1", path) >= sizeof l->old) {
    snprintf(err, errlen, "log path too long");
    free(l);
    return NULL;
  }
  l->max = max_bytes ? max_bytes : PE_LOG_DEFAULT_MAX;
  l->fd = open_append(l->path, &l->size);
  if (l->fd < 0) {
    snprintf(err, errlen, "cannot open log file %.1500s: %s", path, strerror(errno));
    free(l);
    return NULL;
  }
  pthread_mutex_init(&l->lock, NULL);
  return l;
}

/* Under the lock: path -> path.1, and a new empty path. When the rename is
 * impossible the file is emptied instead (the limit matters more than the
 * old lines); when that fails too, logging stops for good, said once. A
 * file someone else removed (ENOENT) is simply created again. */
static void rotate_locked(pe_log *l) {
  int why;
  if (rename(l->path, l->old) == 0 || errno == ENOENT) {
    int fd = open_append(l->path, &l->size);
    why = errno;
    close(l->fd);
    l->fd = fd;
    if (fd >= 0) return;
  } else if (ftruncate(l->fd, 0) == 0) {
    l->size = 0;
    return;
  } else {
    why = errno;
    close(l->fd);
    l->fd = -1;
  }
  fprintf(stderr, "pyedge: warning: cannot rotate the log file %s (%s); it is no longer written\n",
          l->path, strerror(why));
}

void pe_log_write(pe_log *l, const void *p, size_t n) {
  if (!l || n == 0) return;
  pthread_mutex_lock(&l->lock);
  /* l->size may start above the limit: a file left by a run with a larger one */
  if (l->fd >= 0 && l->size > 0 && (l->size >= l->max || n > l->max - l->size)) rotate_locked(l);
  if (l->fd < 0) {
    pthread_mutex_unlock(&l->lock);
    return;
  }
  if (n <= l->max) {
    log_write_locked(l, p, n);
    l->size += n;
  } else {
    /* more than a whole file: its head, and a line saying how much is left
     * out. The head leaves room for the longest such line (two 20-digit
     * numbers), so head + note never passes the limit. */
    enum { NOTE_ROOM = 160 };
    char note[NOTE_ROOM];
    size_t head = (size_t)l->max, nlen = 0;
    if (l->max > NOTE_ROOM) {
      head = (size_t)(l->max - NOTE_ROOM);
      int m = snprintf(note, sizeof note,
                       "\n[pyedge: %zu more bytes not written: more than the log file limit "
                       "(--max-log-size %" PRIu64 ") at once]\n",
                       n - head, l->max);
      nlen = m > 0 && (size_t)m < sizeof note ? (size_t)m : 0;
    }
    log_write_locked(l, p, head);
    if (nlen) log_write_locked(l, note, nlen);
    l->size += head + nlen;
  }
  pthread_mutex_unlock(&l->lock);
}

void pe_log_close(pe_log *l) {
  if (!l) return;
  if (l->fd >= 0) close(l->fd);
  pthread_mutex_destroy(&l->lock);
  free(l);
}
