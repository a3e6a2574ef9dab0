/*
 * fuzz_http_request.c -- the HTTP/1.1 request parser (http_parse.c with
 * http_head.c) and the chunked body decoder (http_chunked.c), fed bytes as
 * a client sends them.
 *
 * Input: one mode byte (bit 0: the chunked decoder alone; bits 1-2 and 3-4
 * pick header and body limits, so small limits are reached too), a u32
 * seed for how the stream is cut into reads, then the stream.
 *
 * The stream is parsed twice, once as a single read and once cut into
 * pieces of 1 to 64 bytes, driving hx_parse_feed exactly as http_conn.c
 * does (heads published, messages taken, the rest fed again). Both runs
 * must give the same requests (method, target, headers, body, flags) and
 * both must end in an error or neither: where a client's reads happen to
 * fall must never change what the server sees. The status of an error may
 * differ (a head that is both too long and malformed is 431 or 400
 * depending on when its end arrived). Every published request is checked
 * against pe_http.h's promises: NUL-terminated strings of the stated
 * lengths, lower-case token names, values without control bytes or
 * surrounding blanks, a body within the limit.
 */
#include <string.h>

#include "fuzz_common.h"
#include "http/http_int.h"

static bool tchar_lower(unsigned char c) { return hx_tchar(c) && !(c >= 'A' && c <= 'Z'); }

static void check_published(const pe_http_request *q, const pe_http_config *cfg) {
  FZ_CHECK(q->method && q->target && q->path && q->query);
  FZ_CHECK(strlen(q->target) == q->target_len);
  FZ_CHECK(strlen(q->path) == q->path_len && q->path_len >= 1);
  FZ_CHECK(strlen(q->query) == q->query_len);
  FZ_CHECK(!memchr(q->target, '#', q->target_len));
  /* 1.2-1.9 are read as 1.1 (RFC 9112 2.3); other majors are refused */
  FZ_CHECK(q->version_major == 1 && q->version_minor >= 0 && q->version_minor <= 9);
  for (size_t i = 0; i < q->header_count; i++) {
    const pe_http_header *h = &q->headers[i];
    FZ_CHECK(strlen(h->name) == h->name_len && h->name_len > 0);
    for (size_t k = 0; k < h->name_len; k++) FZ_CHECK(tchar_lower((unsigned char)h->name[k]));
    FZ_CHECK(strlen(h->value) == h->value_len);
    for (size_t k = 0; k < h->value_len; k++) {
      unsigned char c = (unsigned char)h->value[k];
      FZ_CHECK(c == '\t' || (c >= 0x20 && c != 0x7f));
    }
    if (h->value_len) {
      FZ_CHECK(h->value[0] != ' ' && h->value[0] != '\t');
      FZ_CHECK(h->value[h->value_len - 1] != ' ' && h->value[h->value_len - 1] != '\t');
    }
  }
  FZ_CHECK(q->body != NULL && q->body_len <= cfg->max_body_bytes);
}

/* What one parse saw, in a form two parses can be compared by. */
static void note_request(pe_buf *t, const char *ev, const hx_req *r) {
  const pe_http_request *q = &r->pub;
  char line[96];
  snprintf(line, sizeof line, "%s %s %d.%d ka=%d cont=%d head=%d\n", ev, q->method,
           q->version_major, q->version_minor, r->keep_alive, r->need_continue, r->is_head);
  FZ_CHECK(pe_buf_append(t, line, strlen(line)));
  FZ_CHECK(pe_buf_append(t, q->target, q->target_len + 1));
  for (size_t i = 0; i < q->header_count; i++) {
    FZ_CHECK(pe_buf_append(t, q->headers[i].name, q->headers[i].name_len + 1));
    FZ_CHECK(pe_buf_append(t, q->headers[i].value, q->headers[i].value_len + 1));
  }
  snprintf(line, sizeof line, "\nbody %zu\n", q->body_len);
  FZ_CHECK(pe_buf_append(t, line, strlen(line)));
  FZ_CHECK(pe_buf_append(t, q->body, q->body_len));
}

static const int allowed_errors[] = {400, 413, 417, 431, 500, 501, 505};

/* Parses data in reads of `piece` bytes (0: all at once; -1: random sizes
 * from *seed), as http_conn.c's feed() does; the transcript goes to t. */
static void parse_stream(const uint8_t *data, size_t len, const pe_http_config *cfg, uint64_t seed,
                         bool split, pe_buf *t) {
  hx_parse p;
  hx_parse_init(&p, cfg);
  size_t pos = 0;
  uint64_t now = 1000;
  bool stop = false;
  while (pos < len && !stop) {
    size_t n = len - pos;
    if (split) {
      size_t want = 1 + (size_t)(fz_rng(&seed) % 64);
      if (want < n) n = want;
    }
    /* a read of its own, so a look past its end is caught */
    uint8_t *rd = fz_dup(data + pos, n);
    pos += n;
    size_t off = 0;
    while (off < n && !stop) {
      size_t used = 0;
      hx_event ev = hx_parse_feed(&p, (const char *)rd + off, n - off, now++, &used);
      FZ_CHECK(used <= n - off);
      off += used;
      switch (ev) {
        case HX_MORE:
          /* http_conn.c answers 400 here to never spin; it must not happen */
          FZ_CHECK(used > 0);
          break;
        case HX_HEAD: {
          hx_req *r = p.req;
          FZ_CHECK(r && r->method);
          FZ_CHECK(hx_req_publish(r, "127.0.0.1", 4242));
          check_published(&r->pub, cfg);
          note_request(t, "HEAD", r);
          break;
        }
        case HX_DONE_MSG: {
          hx_req *r = hx_parse_take(&p);
          FZ_CHECK(r && r->published);
          FZ_CHECK(hx_req_publish(r, "127.0.0.1", 4242));
          check_published(&r->pub, cfg);
          note_request(t, "DONE", r);
          hx_req_free(r);
          break;
        }
        case HX_ERROR: {
          bool known = false;
          for (size_t i = 0; i < sizeof allowed_errors / sizeof allowed_errors[0]; i++)
            known = known || p.error == allowed_errors[i];
          FZ_CHECK(known);
          hx_req *r = hx_parse_take(&p);
          /* as conn_fail: a complete head still gives the log its path */
          if (r && r->method && !r->published) FZ_CHECK(hx_req_publish(r, "127.0.0.1", 4242));
          hx_req_free(r);
          FZ_CHECK(pe_buf_append(t, "ERROR\n", 6));
          stop = true;
          break;
        }
      }
    }
    free(rd);
  }
  if (!stop) FZ_CHECK(pe_buf_append(t, p.req ? "PARTIAL\n" : "IDLE\n", p.req ? 8 : 5));
  hx_parse_free(&p);
}

/* The chunked decoder alone: the same body whatever the reads. */
static void chunked_stream(const uint8_t *data, size_t len, const pe_http_config *cfg,
                           uint64_t seed, bool split, pe_buf *t) {
  hx_chunked d;
  hx_chunked_init(&d);
  pe_buf body = {0};
  size_t pos = 0;
  int status = 0;
  bool done = false;
  while (pos < len && !status && !done) {
    size_t n = len - pos;
    if (split) {
      size_t want = 1 + (size_t)(fz_rng(&seed) % 64);
      if (want < n) n = want;
    }
    uint8_t *rd = fz_dup(data + pos, n);
    size_t used = hx_chunked_feed(&d, (const char *)rd, n, &body, cfg, &status, &done);
    free(rd);
    FZ_CHECK(used <= n);
    /* it stops early only to refuse or at the end of the body */
    FZ_CHECK(used == n || status || done);
    FZ_CHECK(body.len <= cfg->max_body_bytes);
    pos += used;
  }
  char line[96];
  snprintf(line, sizeof line, "status %d done %d at %zu body %zu\n", status, done, pos, body.len);
  FZ_CHECK(pe_buf_append(t, line, strlen(line)));
  FZ_CHECK(pe_buf_append(t, body.data ? body.data : "", body.len));
  pe_buf_free(&body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz f;
  fz_init(&f, data, size);
  uint8_t mode = fz_u8(&f);
  uint64_t seed = fz_u32(&f) | 1; /* xorshift must not start at 0 */
  pe_http_config cfg;
  pe_http_config_init(&cfg);
  static const size_t header_limits[] = {16384, 1024, 64, 81920};
  static const size_t body_limits[] = {10u << 20, 4096, 16, 0};
  cfg.max_header_bytes = header_limits[(mode >> 1) & 3];
  cfg.max_body_bytes = body_limits[(mode >> 3) & 3];
  const uint8_t *stream = f.p;
  size_t len = f.left;

  pe_buf whole = {0}, pieces = {0};
  if (mode & 1) {
    chunked_stream(stream, len, &cfg, seed, false, &whole);
    chunked_stream(stream, len, &cfg, seed, true, &pieces);
  } else {
    parse_stream(stream, len, &cfg, seed, false, &whole);
    parse_stream(stream, len, &cfg, seed, true, &pieces);
  }
  if (whole.len != pieces.len || memcmp(whole.data, pieces.data, whole.len) != 0) {
    fprintf(stderr, "one read:\n%.*s\n--- in pieces:\n%.*s\n", (int)whole.len, whole.data,
            (int)pieces.len, pieces.data);
    FZ_CHECK(!"the reads changed what was parsed");
  }
  pe_buf_free(&whole);
  pe_buf_free(&pieces);
  return 0;
}
