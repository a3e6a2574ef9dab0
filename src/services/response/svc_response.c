/*
 * svc_response.c -- the "response" area: the guest sends its response's
 * head, then body pieces, then the end, while its handler runs
 * (docs/hostcall.md). The area checks every byte of the payload and the
 * order of the calls; where the bytes go is the server's (rq->stream,
 * installed for inbound requests only: a chained component's response goes
 * back whole, so there the area answers NO_SERVICE and the guest falls
 * back to a whole response).
 *
 * Time: a write waits for a slow client in slices of at most 100 ms,
 * checking between them that the request's deadline has not passed and
 * the runtime has not asked the call to stop (pe_rt_should_stop), so a
 * handler blocked on a client that does not read still ends at its
 * deadline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc_response.h"
#include "runtime/pe_rt.h"
#include "services/svc_conns.h"

enum { NOT_STARTED, STARTED, ENDED };

#define MAX_HEADERS 256u
#define MAX_NAME 256u
#define MAX_VALUE (16u * 1024)
#define MAX_PIECE ((size_t)16 << 20)
#define WAIT_SLICE_MS 100u

bool pe_svc_response_open(pe_services *s, char *err, size_t errlen) { return true; }
void pe_svc_response_close(pe_services *s) {}

static bool tchar(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool name_ok(const uint8_t *p, size_t n) {
  if (n == 0 || n > MAX_NAME) return false;
  for (size_t i = 0; i < n; i++)
    if (!tchar(p[i])) return false;
  return true;
}

/* Tab and visible bytes (obs-text included); never CR, LF or NUL. */
static bool value_ok(const uint8_t *p, size_t n) {
  if (n > MAX_VALUE) return false;
  for (size_t i = 0; i < n; i++)
    if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f) return false;
  return true;
}

/* response.start: u64 status, u64 n, n x (name, value). */
static void start(pe_svc_request *rq, const uint8_t *in, size_t n, pe_buf *out) {
  pe_hc_reader r;
  pe_hc_reader_init(&r, in, n);
  uint64_t status, count;
  if (!pe_hc_u64(&r, &status) || !pe_hc_u64(&r, &count)) {
    pe_hc_error(out, PE_HC_INVALID, "response.start: want status, header count, headers");
    return;
  }
  if (status < 100 || status > 999) {
    pe_hc_error(out, PE_HC_INVALID, "response.start: status %llu is not 100..999",
                (unsigned long long)status);
    return;
  }
  if (count > MAX_HEADERS) {
    pe_hc_error(out, PE_HC_LIMIT, "response.start: more than %u headers", MAX_HEADERS);
    return;
  }
  pe_abi_header *h = calloc(count ? count : 1, sizeof *h);
  if (!h) {
    pe_hc_error(out, PE_HC_LIMIT, "response.start: out of memory");
    return;
  }
  for (uint64_t i = 0; i < count; i++) {
    const uint8_t *np, *vp;
    size_t nl, vl;
    if (!pe_hc_blob(&r, &np, &nl) || !pe_hc_blob(&r, &vp, &vl)) {
      pe_hc_error(out, PE_HC_INVALID, "response.start: %llu headers announced, fewer sent",
                  (unsigned long long)count);
      free(h);
      return;
    }
    if (!name_ok(np, nl) || !value_ok(vp, vl)) {
      pe_hc_error(out, PE_HC_INVALID,
                  "response.start: header %llu is not a valid name (a token of 1..%u bytes) "
                  "and value (at most %u bytes, no control characters)",
                  (unsigned long long)i, MAX_NAME, MAX_VALUE);
      free(h);
      return;
    }
    h[i] = (pe_abi_header){.name = (const char *)np,
                           .name_len = nl,
                           .value = (const char *)vp,
                           .value_len = vl};
  }
  if (!pe_hc_done(&r)) {
    pe_hc_error(out, PE_HC_INVALID, "response.start: bytes after the headers");
    free(h);
    return;
  }
  char why[256] = "";
  if (!rq->stream->start(rq->stream->ctx, (unsigned)status, h, (size_t)count, why, sizeof why)) {
    pe_hc_error(out, PE_HC_INVALID, "response.start: %s", why[0] ? why : "refused");
  } else {
    rq->stream_state = STARTED;
    if (!pe_hc_ok(out)) pe_hc_error(out, PE_HC_LIMIT, "out of memory");
  }
  free(h);
}

/* response.write: one blob, the next piece of the body. */
static void write_piece(pe_svc_request *rq, const uint8_t *in, size_t n, pe_buf *out) {
  pe_hc_reader r;
  pe_hc_reader_init(&r, in, n);
  const uint8_t *p;
  size_t len;
  if (!pe_hc_blob(&r, &p, &len) || !pe_hc_done(&r)) {
    pe_hc_error(out, PE_HC_INVALID, "response.write: want one blob, the piece");
    return;
  }
  if (len > MAX_PIECE) {
    pe_hc_error(out, PE_HC_LIMIT, "response.write: a piece is at most 16 MiB");
    return;
  }
  size_t off = 0;
  while (off < len) {
    unsigned ms = pe_svc_ms_left(rq, WAIT_SLICE_MS);
    if (ms == 0 || pe_rt_should_stop()) {
      pe_hc_error(out, PE_HC_TIMEOUT,
                  "response.write: the request's time is up (the client is not reading)");
      return;
    }
    size_t done = 0;
    pe_svc_stream_status st = rq->stream->write(rq->stream->ctx, p + off, len - off, ms, &done);
    off += done <= len - off ? done : len - off;
    if (st == PE_SVC_STREAM_GONE) {
      pe_hc_error(out, PE_HC_BACKEND, "response.write: the client closed the connection");
      return;
    }
  }
  if (!pe_hc_ok(out)) pe_hc_error(out, PE_HC_LIMIT, "out of memory");
}

void pe_svc_response_call(pe_svc_request *rq, const char *op, const uint8_t *in, size_t n,
                          pe_buf *out) {
  bool is_start = !strcmp(op, "start"), is_write = !strcmp(op, "write"),
       is_end = !strcmp(op, "end");
  if (!is_start && !is_write && !is_end) {
    pe_hc_error(out, PE_HC_NO_SERVICE, "no host service named 'response.%.60s'", op);
    return;
  }
  if (!rq->stream) {
    pe_hc_error(out, PE_HC_NO_SERVICE,
                "response.%s: this response cannot be streamed (a chained call's response "
                "goes back whole)",
                op);
    return;
  }
  if (is_start) {
    if (rq->stream_state != NOT_STARTED)
      pe_hc_error(out, PE_HC_INVALID, "response.start: the response has already started");
    else
      start(rq, in, n, out);
    return;
  }
  if (rq->stream_state != STARTED) {
    pe_hc_error(out, PE_HC_INVALID, "response.%s: the response %s", op,
                rq->stream_state == NOT_STARTED ? "has not started" : "has already ended");
    return;
  }
  if (is_write) {
    write_piece(rq, in, n, out);
    return;
  }
  if (n != 0) {
    pe_hc_error(out, PE_HC_INVALID, "response.end: takes no blobs");
    return;
  }
  rq->stream->end(rq->stream->ctx);
  rq->stream_state = ENDED;
  if (!pe_hc_ok(out)) pe_hc_error(out, PE_HC_LIMIT, "out of memory");
}
