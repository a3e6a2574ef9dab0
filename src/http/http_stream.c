/*
 * http_stream.c -- a response whose body leaves while its handler runs.
 *
 * The worker running the handler never touches the socket: it frames what
 * the handler writes (the head, chunks, the last chunk) into the stream's
 * queue under the stream's lock and wakes the loop thread with the
 * server's stream_async; the loop takes the whole queue at once (swapping
 * buffers, so the copy is the worker's only) and writes it when the
 * request is at the head of its connection's pipeline (http_conn.c).
 * Memory: the worker waits while PE_HTTP_STREAM_BUFFER bytes are queued or
 * being written, and writes in slices of at most that, so a stream holds
 * at most twice that however slowly its client reads; the client itself is
 * bounded by write_timeout_ms (dropped, and the worker's writes fail).
 *
 * Lifetime: the stream belongs to its request (freed with it on the loop
 * thread, after the job is done, so never while a worker uses it). The
 * worker publishes it once, fully built, through hx_req.stream.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_int.h"

hx_stream *hx_req_stream(hx_req *r) {
  return atomic_load_explicit(&r->stream, memory_order_acquire);
}

static hx_stream *worker_stream(pe_http_response *resp) {
  return resp->req ? atomic_load_explicit(&resp->req->stream, memory_order_relaxed) : NULL;
}

bool pe_http_response_streaming(const pe_http_response *resp) {
  return resp->req && atomic_load_explicit(&resp->req->stream, memory_order_relaxed) != NULL;
}

static void wake_loop(pe_http_response *resp) {
  uv_async_send(&hx_req_server(resp->req)->stream_async);
}

bool pe_http_response_stream_begin(pe_http_response *resp) {
  hx_req *r = resp->req;
  if (!r || !r->conn || worker_stream(resp) || resp->oom) return false;
  hx_stream *st = calloc(1, sizeof *st);
  if (!st) return false;
  /* What the request said is fixed since its head was parsed, so the
   * worker may read it; the loop decides nothing more about this head. */
  bool http10 = r->pub.version_major == 1 && r->pub.version_minor == 0;
  st->mode = r->is_head || !hx_status_has_body(resp->status) ? HX_STREAM_NONE
             : http10                                        ? HX_STREAM_RAW
                                                             : HX_STREAM_CHUNKED;
  hx_conn_header conn = st->mode == HX_STREAM_RAW || !r->keep_alive ? HX_CONN_CLOSE
                        : http10                                    ? HX_CONN_KEEP_ALIVE
                                                                    : HX_CONN_DEFAULT;
  char date[32];
  hx_http_date(date, (int64_t)time(NULL));
  bool chunked = !http10 && (st->mode == HX_STREAM_CHUNKED || r->is_head) &&
                 hx_status_has_body(resp->status);
  if (!hx_resp_stream_head(resp, chunked, conn, date, &st->queued)) {
    pe_buf_free(&st->queued);
    free(st);
    return false;
  }
  pthread_mutex_init(&st->lock, NULL);
  pthread_cond_init(&st->room, NULL);
  atomic_store_explicit(&r->stream, st, memory_order_release);
  wake_loop(resp);
  return true;
}

/* Whether the queue can take n more bytes: it is empty, or they fit. */
static bool has_room(const hx_stream *st, size_t n) {
  size_t held = st->queued.len + st->inflight;
  return held == 0 || held + n <= PE_HTTP_STREAM_BUFFER;
}

static struct timespec deadline_in(unsigned ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += ms / 1000;
  ts.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

static bool frame(hx_stream *st, const uint8_t *p, size_t n) {
  if (st->mode == HX_STREAM_RAW) return pe_buf_append(&st->queued, p, n);
  char size[24];
  int k = snprintf(size, sizeof size, "%zx\r\n", n);
  return pe_buf_append(&st->queued, size, (size_t)k) && pe_buf_append(&st->queued, p, n) &&
         pe_buf_append(&st->queued, "\r\n", 2);
}

pe_http_stream_status pe_http_response_stream_write(pe_http_response *resp, const void *data,
                                                    size_t len, unsigned timeout_ms, size_t *done) {
  hx_stream *st = worker_stream(resp);
  *done = 0;
  if (!st) return PE_HTTP_STREAM_STATE;
  const uint8_t *p = data;
  struct timespec until = deadline_in(timeout_ms);
  pe_http_stream_status rc = PE_HTTP_STREAM_OK;
  pthread_mutex_lock(&st->lock);
  /* The connection closed before the stream began (the loop then found no
   * stream to mark gone): its request was cancelled. */
  if (atomic_load(&resp->req->job.cancelled)) st->gone = true;
  while (*done < len) {
    if (st->ended) {
      rc = PE_HTTP_STREAM_STATE;
      break;
    }
    size_t n = len - *done;
    if (n > PE_HTTP_STREAM_BUFFER) n = PE_HTTP_STREAM_BUFFER;
    while (!st->gone && !has_room(st, n)) {
      int w = pthread_cond_timedwait(&st->room, &st->lock, &until);
      if (w == ETIMEDOUT && !st->gone && !has_room(st, n)) {
        rc = PE_HTTP_STREAM_TIMEOUT;
        break;
      }
    }
    if (rc != PE_HTTP_STREAM_OK) break;
    if (st->gone) {
      rc = PE_HTTP_STREAM_GONE;
      break;
    }
    if (st->mode != HX_STREAM_NONE && !frame(st, p + *done, n)) {
      /* Out of memory: the client cannot get this body whole any more. */
      st->gone = true;
      rc = PE_HTTP_STREAM_GONE;
      break;
    }
    st->body_bytes += n;
    *done += n;
    if (st->mode != HX_STREAM_NONE) {
      pthread_mutex_unlock(&st->lock);
      wake_loop(resp);
      pthread_mutex_lock(&st->lock);
    }
  }
  pthread_mutex_unlock(&st->lock);
  return rc;
}

void pe_http_response_stream_end(pe_http_response *resp, bool complete) {
  hx_stream *st = worker_stream(resp);
  if (!st) return;
  pthread_mutex_lock(&st->lock);
  if (!st->ended) {
    st->ended = true;
    st->complete = complete;
    if (complete && st->mode == HX_STREAM_CHUNKED && !pe_buf_append(&st->queued, "0\r\n\r\n", 5))
      st->complete = false; /* out of memory: broken rather than cut short */
  }
  pthread_mutex_unlock(&st->lock);
  wake_loop(resp);
}

void hx_stream_handler_done(pe_http_response *resp) { pe_http_response_stream_end(resp, false); }

void hx_stream_take(hx_stream *st, pe_buf *out, bool *ended, bool *complete) {
  pthread_mutex_lock(&st->lock);
  pe_buf t = *out;
  *out = st->queued;
  t.len = 0;
  st->queued = t;
  st->inflight = out->len;
  *ended = st->ended;
  *complete = st->complete;
  pthread_mutex_unlock(&st->lock);
}

void hx_stream_written(hx_stream *st) {
  pthread_mutex_lock(&st->lock);
  st->inflight = 0;
  pthread_cond_broadcast(&st->room);
  pthread_mutex_unlock(&st->lock);
}

void hx_stream_gone(hx_stream *st) {
  pthread_mutex_lock(&st->lock);
  st->gone = true;
  pthread_cond_broadcast(&st->room);
  pthread_mutex_unlock(&st->lock);
}

void hx_stream_free(hx_stream *st) {
  if (!st) return;
  pthread_mutex_destroy(&st->lock);
  pthread_cond_destroy(&st->room);
  pe_buf_free(&st->queued);
  free(st);
}
