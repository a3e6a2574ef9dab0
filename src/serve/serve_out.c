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
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
  pthread_t flusher;
};

/* Under the lock. */
static void flush_locked(pe_out *o) {
  if (o->buf.len == 0) return;
  pe_write_all(o->fd, o->buf.data, o->buf.len); /* an error drops the batch */
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
    pe_write_all(o->fd, p, n);
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
