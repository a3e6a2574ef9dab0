/*
 * http_workers.c -- the threads that run handlers, and their bounded queue.
 *
 * One mutex guards a FIFO of submitted jobs and a list of finished ones.
 * Capacity counts jobs running *and* waiting (workers + queue_size): counting
 * only the waiting ones would make admission depend on whether an idle
 * worker has woken up yet, so the same load could be refused or not.
 * Finished jobs go on a list and one uv_async_send wakes the loop, which
 * takes the whole list at once (libuv coalesces sends, so the list, not the
 * number of wake-ups, is what counts).
 *
 * Workers run under SCHED_BATCH (same weight, same share of the CPU as any
 * normal thread), because a hand-off is two wake-ups -- the loop wakes a
 * worker, the worker wakes the loop -- and under the default policy each
 * woken thread may preempt the one that woke it: the loop, mid-way through
 * a batch of reads, is switched out for a worker, then back. A batch thread
 * is never preferred at wake-up; it runs when the CPU is free or its turn
 * comes. Measured at 32 connections (bench/serve, 2 CPUs shared with wrk):
 * the loop thread's involuntary switches fell from 0.13 to 0.045 a request
 * and a worker's CPU from 8.5 to 6.4 us a request. The loop thread keeps
 * the normal policy: it is the one a client waits on. Where the policy
 * cannot be set (not Linux, a filter), workers run as before.
 *
 * Workers block the signals meant for the whole process (SIGINT, SIGTERM,
 * SIGHUP, ...): the kernel delivers those to any thread that does not block
 * them, and they must reach the thread that acts on them rather than
 * interrupt a handler. Everything else stays open, in particular the
 * runtime's per-thread deadline signal and synchronous faults.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_int.h"

struct hx_pool {
  pthread_mutex_t lock;
  pthread_cond_t wake;
  hx_job *head, *tail; /* waiting */
  hx_job *done;        /* finished, newest first */
  unsigned inside;     /* waiting + running */
  unsigned capacity;
  bool stopping;
  unsigned nthreads;
  pthread_t *threads;
  uv_async_t async;
  void (*on_done)(hx_job *);
};

static void *worker_main(void *arg) {
  hx_pool *p = arg;
#ifdef SCHED_BATCH
  struct sched_param batch = {.sched_priority = 0};
  pthread_setschedparam(pthread_self(), SCHED_BATCH, &batch);
#endif
  pthread_mutex_lock(&p->lock);
  for (;;) {
    while (!p->head && !p->stopping) pthread_cond_wait(&p->wake, &p->lock);
    if (!p->head) break;
    hx_job *j = p->head;
    p->head = j->next;
    if (!p->head) p->tail = NULL;
    pthread_mutex_unlock(&p->lock);

    if (!atomic_load(&j->cancelled)) j->run(j);

    pthread_mutex_lock(&p->lock);
    j->next = p->done;
    p->done = j;
    /* Under the lock, so the send is over before the loop can take this
     * job, find the server idle and close the handle. */
    uv_async_send(&p->async);
  }
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

static void on_async(uv_async_t *h) {
  hx_pool *p = h->data;
  pthread_mutex_lock(&p->lock);
  hx_job *list = p->done;
  p->done = NULL;
  pthread_mutex_unlock(&p->lock);
  /* Oldest first, so completions keep their order. */
  hx_job *rev = NULL;
  while (list) {
    hx_job *n = list->next;
    list->next = rev;
    rev = list;
    list = n;
  }
  while (rev) {
    hx_job *n = rev->next;
    pthread_mutex_lock(&p->lock);
    p->inside--;
    pthread_mutex_unlock(&p->lock);
    p->on_done(rev);
    rev = n;
  }
}

static void stop_threads(hx_pool *p, unsigned n) {
  pthread_mutex_lock(&p->lock);
  p->stopping = true;
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->lock);
  for (unsigned i = 0; i < n; i++) pthread_join(p->threads[i], NULL);
}

hx_pool *hx_pool_new(uv_loop_t *loop, unsigned workers, unsigned queue_size, size_t stack,
                     void (*done)(hx_job *), char *err, size_t errlen) {
  hx_pool *p = calloc(1, sizeof *p);
  if (!p || !(p->threads = calloc(workers, sizeof *p->threads))) {
    free(p);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->wake, NULL);
  p->capacity = workers + queue_size;
  p->on_done = done;

  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, stack);
  sigset_t procsigs, old;
  sigemptyset(&procsigs);
  static const int blocked[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT,  SIGUSR1,
                                SIGUSR2, SIGCHLD, SIGALRM, SIGWINCH, SIGPIPE};
  for (size_t i = 0; i < sizeof blocked / sizeof blocked[0]; i++) sigaddset(&procsigs, blocked[i]);
  /* Threads inherit the creator's mask. */
  pthread_sigmask(SIG_BLOCK, &procsigs, &old);
  int rc = 0;
  for (unsigned i = 0; i < workers && rc == 0; i++) {
    rc = pthread_create(&p->threads[i], &attr, worker_main, p);
    if (rc == 0) p->nthreads = i + 1;
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    snprintf(err, errlen, "cannot start worker thread: %s", strerror(rc));
    goto fail;
  }
  /* Last: nothing can fail after it, so it never needs closing here (a
   * close completes only on a later loop iteration). No worker sends before
   * a job is submitted. */
  rc = uv_async_init(loop, &p->async, on_async);
  if (rc != 0) {
    snprintf(err, errlen, "uv_async_init: %s", uv_strerror(rc));
    goto fail;
  }
  p->async.data = p;
  return p;

fail:
  stop_threads(p, p->nthreads);
  pthread_cond_destroy(&p->wake);
  pthread_mutex_destroy(&p->lock);
  free(p->threads);
  free(p);
  return NULL;
}

bool hx_pool_submit(hx_pool *p, hx_job *job) {
  pthread_mutex_lock(&p->lock);
  if (p->inside >= p->capacity || p->stopping) {
    pthread_mutex_unlock(&p->lock);
    return false;
  }
  p->inside++;
  job->next = NULL;
  if (p->tail)
    p->tail->next = job;
  else
    p->head = job;
  p->tail = job;
  pthread_cond_signal(&p->wake);
  pthread_mutex_unlock(&p->lock);
  return true;
}

void hx_pool_close(hx_pool *p) {
  stop_threads(p, p->nthreads);
  p->nthreads = 0;
  uv_close((uv_handle_t *)&p->async, NULL);
}

void hx_pool_free(hx_pool *p) {
  if (!p) return;
  stop_threads(p, p->nthreads);
  pthread_cond_destroy(&p->wake);
  pthread_mutex_destroy(&p->lock);
  free(p->threads);
  free(p);
}
