/*
 * http_parse.c -- turns a connection's bytes into requests, with
 * http_parser, and decides whether a head is acceptable.
 *
 * The parser is paused in on_headers_complete and on_message_complete, so
 * each call stops exactly at the end of a head or of a message. That gives
 * the caller a decision point at each: an exact count of head bytes (the
 * 431 limit), a look at the head before any body is read (413 from
 * Content-Length, 417, 100-continue), and one request at a time for
 * pipelining and back-pressure. When paused in on_headers_complete,
 * http_parser leaves the head's final LF unconsumed and parses it again on
 * resume; that one byte is simply counted as body.
 *
 * Strings arrive in pieces (a callback may see part of a header name), so
 * they are appended to one buffer per request and recorded as offsets;
 * pointers are made only once the head is complete and the buffer stops
 * moving.
 *
 * Debian's libhttp_parser is built non-strict (see http_head.c), so the raw
 * bytes of each head are kept and checked against the grammar once the head
 * is complete, including the final LF, which is checked when it arrives;
 * and chunked bodies bypass http_parser for a strict decoder
 * (http_chunked.c), after which http_parser is re-initialised, between two
 * messages, where that loses nothing.
 *
 * http_parser's own head limit (HTTP_MAX_HEADER_SIZE, 80 KiB) is process
 * wide, so it is left alone; ours is at most that (checked at server
 * creation), so ours always fires first. Its overflow error maps to 431 too.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_int.h"

static hx_parse *P(http_parser *hp) { return hp->data; }

static bool append(hx_parse *p, const char *at, size_t len) {
  if (pe_buf_append(&p->req->text, at, len)) return true;
  p->error = 500;
  return false;
}

static int on_message_begin(http_parser *hp) {
  hx_parse *p = P(hp);
  hx_req *r = calloc(1, sizeof *r);
  if (!r) {
    p->error = 500;
    return -1;
  }
  hx_resp_init(&r->resp);
  r->resp.req = r;
  r->start_ms = p->now_ms;
  r->start_ns = uv_hrtime();
  p->req = r;
  p->in_body = false;
  p->last_value = false;
  return 0;
}

static int on_url(http_parser *hp, const char *at, size_t len) {
  hx_parse *p = P(hp);
  if (!append(p, at, len)) return -1;
  p->req->target_len += len;
  return 0;
}

/* Ends the string being built: the target, or the open header's value
 * (and its name, if it got no value). */
static bool close_string(hx_parse *p) {
  hx_req *r = p->req;
  if (r->nhdr == 0) return append(p, "", 1);
  struct hx_hdr *h = &r->hdr[r->nhdr - 1];
  if (!p->last_value) {
    if (!append(p, "", 1)) return false;
    h->value_off = r->text.len;
    h->value_len = 0;
  }
  return append(p, "", 1);
}

static int on_header_field(http_parser *hp, const char *at, size_t len) {
  hx_parse *p = P(hp);
  if (p->in_body) return 0; /* trailers go to http_chunked.c; never here */
  hx_req *r = p->req;
  if (r->nhdr == 0 || p->last_value) {
    if (!close_string(p)) return -1;
    /* A count limit beside the byte limit: ~500 one-byte headers fit in
     * 16 KiB, and everything after the parser walks them per request. */
    unsigned max = p->cfg->max_header_count ? p->cfg->max_header_count : HX_MAX_HEADER_COUNT;
    if (r->nhdr >= max) {
      p->error = 431;
      return -1;
    }
    if (r->nhdr == r->hdr_cap) {
      size_t cap = r->hdr_cap ? r->hdr_cap * 2 : 16;
      struct hx_hdr *h = realloc(r->hdr, cap * sizeof *h);
      if (!h) {
        p->error = 500;
        return -1;
      }
      r->hdr = h;
      r->hdr_cap = cap;
    }
    r->hdr[r->nhdr++] = (struct hx_hdr){.name_off = r->text.len};
    p->last_value = false;
  }
  size_t off = r->text.len;
  if (!append(p, at, len)) return -1;
  for (size_t i = 0; i < len; i++)
    r->text.data[off + i] = (char)tolower((unsigned char)r->text.data[off + i]);
  r->hdr[r->nhdr - 1].name_len += len;
  return 0;
}

static int on_header_value(http_parser *hp, const char *at, size_t len) {
  hx_parse *p = P(hp);
  if (p->in_body) return 0;
  hx_req *r = p->req;
  if (r->nhdr == 0) return 0; /* http_parser never does this */
  struct hx_hdr *h = &r->hdr[r->nhdr - 1];
  if (!p->last_value) {
    if (!append(p, "", 1)) return -1;
    h->value_off = r->text.len;
    p->last_value = true;
  }
  if (!append(p, at, len)) return -1;
  h->value_len += len;
  return 0;
}

static int on_headers_complete(http_parser *hp) {
  hx_parse *p = P(hp);
  hx_req *r = p->req;
  if (!close_string(p)) return -1;
  r->method = http_method_str((enum http_method)hp->method);
  r->is_head = hp->method == HTTP_HEAD;
  r->keep_alive = http_should_keep_alive(hp) != 0;
  r->pub.version_major = hp->http_major;
  r->pub.version_minor = hp->http_minor;
  p->in_body = true;
  http_parser_pause(hp, 1);
  return 0;
}

static int on_body(http_parser *hp, const char *at, size_t len) {
  hx_parse *p = P(hp);
  pe_buf *b = &p->req->body;
  if (len > p->cfg->max_body_bytes - b->len) {
    p->error = 413;
    return -1;
  }
  if (!pe_buf_append(b, at, len)) {
    p->error = 500;
    return -1;
  }
  return 0;
}

static int on_message_complete(http_parser *hp) {
  http_parser_pause(hp, 1);
  return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void hx_parse_init(hx_parse *p, const pe_http_config *cfg) {
  memset(p, 0, sizeof *p);
  http_parser_init(&p->hp, HTTP_REQUEST);
  p->hp.data = p;
  p->cfg = cfg;
}

static const char *hdr_value(const hx_req *r, size_t i) {
  return r->text.data + r->hdr[i].value_off;
}

static bool hdr_is(const hx_req *r, size_t i, const char *name) {
  return r->hdr[i].name_len == strlen(name) &&
         memcmp(r->text.data + r->hdr[i].name_off, name, r->hdr[i].name_len) == 0;
}

/* Compares a header value, blanks around it ignored, without case. */
static bool value_is(const hx_req *r, size_t i, const char *want) {
  const char *v = hdr_value(r, i);
  size_t n = r->hdr[i].value_len;
  while (n && (*v == ' ' || *v == '\t')) v++, n--;
  while (n && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
  return n == strlen(want) && strncasecmp(v, want, n) == 0;
}

/* The status that refuses this head, or 0. */
static int head_verdict(hx_parse *p) {
  http_parser *hp = &p->hp;
  hx_req *r = p->req;
  if (p->head_bytes > p->cfg->max_header_bytes) return 431;
  if (!hx_head_valid(p->raw.data, p->raw.len)) return 400;
  if (hp->http_major != 1) return 505;
  if (hp->method == HTTP_CONNECT) return 501;
  size_t te = 0, hosts = 0, expects = 0;
  bool te_chunked = false, continue_ok = true;
  for (size_t i = 0; i < r->nhdr; i++) {
    if (hdr_is(r, i, "transfer-encoding")) {
      te++;
      te_chunked = value_is(r, i, "chunked");
    } else if (hdr_is(r, i, "host")) {
      hosts++;
    } else if (hdr_is(r, i, "expect")) {
      expects++;
      continue_ok = continue_ok && value_is(r, i, "100-continue");
    }
  }
  bool has_cl = (hp->flags & F_CONTENTLENGTH) != 0;
  /* RFC 9112 6.3: both is a smuggling attempt or a broken client. */
  if (te && has_cl) return 400;
  /* RFC 9112 6.1: HTTP/1.0 has no transfer codings, so a 1.0 message with
   * one is framed in a way its sender and any proxy between may read
   * differently; refusing it (and so closing) is the only safe reading. */
  if (te && hp->http_minor == 0) return 400;
  if (te && (te > 1 || !te_chunked)) return 501;
  if (hosts > 1 || (hp->http_minor >= 1 && hosts == 0)) return 400;
  if (has_cl && hp->content_length > p->cfg->max_body_bytes) return 413;
  if (expects) {
    if (!continue_ok || expects > 1) return 417;
    bool body = (hp->flags & F_CHUNKED) || (has_cl && hp->content_length > 0);
    /* HTTP/1.0 clients do not know 100 (RFC 9110 10.1.1). */
    r->need_continue = body && hp->http_minor >= 1;
  }
  return 0;
}

static hx_event fail(hx_parse *p, int status) {
  p->error = status;
  return HX_ERROR;
}

/* A chunked body, through the strict decoder. */
static hx_event feed_chunked(hx_parse *p, const char *data, size_t len, size_t *used) {
  int status;
  bool done;
  *used += hx_chunked_feed(&p->ch, data, len, &p->req->body, p->cfg, &status, &done);
  if (status) return fail(p, status);
  if (!done) return HX_MORE;
  p->chunked = false;
  http_parser_init(&p->hp, HTTP_REQUEST);
  p->hp.data = p;
  return HX_DONE_MSG;
}

hx_event hx_parse_feed(hx_parse *p, const char *data, size_t len, uint64_t now_ms, size_t *used) {
  *used = 0;
  if (p->error) return HX_ERROR;
  if (len == 0) return HX_MORE;
  p->now_ms = now_ms;
  if (p->expect_lf) {
    /* http_parser would take any byte here */
    if (data[0] != '\n') return fail(p, 400);
    p->expect_lf = false;
    if (p->chunked) {
      *used = 1;
      return feed_chunked(p, data + 1, len - 1, used);
    }
  } else if (p->chunked) {
    return feed_chunked(p, data, len, used);
  }
  if (HTTP_PARSER_ERRNO(&p->hp) == HPE_PAUSED) http_parser_pause(&p->hp, 0);
  bool was_head = !p->in_body;
  size_t n = http_parser_execute(&p->hp, &settings, data, len);
  *used = n;
  if (was_head) {
    p->head_bytes += n;
    /* Past the limit the head is refused anyway: keep no more of it. */
    if (p->head_bytes <= p->cfg->max_header_bytes && !pe_buf_append(&p->raw, data, n))
      return fail(p, 500);
  }
  enum http_errno e = HTTP_PARSER_ERRNO(&p->hp);
  if (e == HPE_PAUSED) {
    if (was_head && p->in_body) {
      int st = head_verdict(p);
      if (st) return fail(p, st);
      p->req->head_ms = now_ms;
      p->expect_lf = true;
      p->chunked = (p->hp.flags & F_CHUNKED) != 0;
      if (p->chunked) hx_chunked_init(&p->ch);
      return HX_HEAD;
    }
    return HX_DONE_MSG;
  }
  if (e != HPE_OK) {
    if (p->error) return HX_ERROR;
    return fail(p, e == HPE_HEADER_OVERFLOW ? 431 : 400);
  }
  if (!p->in_body && p->head_bytes > p->cfg->max_header_bytes) return fail(p, 431);
  return HX_MORE;
}

hx_req *hx_parse_take(hx_parse *p) {
  hx_req *r = p->req;
  p->req = NULL;
  p->head_bytes = 0;
  p->raw.len = 0;
  p->in_body = false;
  p->expect_lf = p->chunked = false;
  p->last_value = false;
  return r;
}

void hx_parse_free(hx_parse *p) {
  hx_req *r = hx_parse_take(p);
  if (r && !r->in_pipeline) hx_req_free(r);
  pe_buf_free(&p->raw);
}

void hx_req_free(hx_req *r) {
  if (!r) return;
  pe_buf_free(&r->text);
  pe_buf_free(&r->body);
  free(r->hdr);
  free(r->headers);
  hx_resp_free(&r->resp);
  hx_stream_free(hx_req_stream(r));
  free(r);
}

/* Where the path starts in a target: after "scheme://authority" for the
 * absolute form, else at once. */
static size_t path_start(const char *t, size_t n) {
  if (n == 0 || t[0] == '/' || t[0] == '*') return 0;
  const char *s = memmem(t, n, "://", 3);
  if (!s) return 0;
  size_t i = (size_t)(s - t) + 3;
  while (i < n && t[i] != '/' && t[i] != '?' && t[i] != '#') i++;
  return i;
}

/* The length of a target without its fragment. RFC 9112 3.2 has no
 * fragment in a request-target, but some clients send one anyway. It is cut
 * off rather than refused: what stays is exactly the bytes before the '#',
 * unchanged, which is also how anything that knows what a fragment is reads
 * the target, and such requests keep working. Handlers (and so the Spin
 * request URI and spin-full-url, built from `target`) never see it. */
static size_t without_fragment(const char *t, size_t n) {
  const char *hash = memchr(t, '#', n);
  return hash ? (size_t)(hash - t) : n;
}

/* Room for `extra` more bytes (and pe_buf's NUL), so that appending a copy
 * of the buffer's own bytes cannot move them first. */
static bool reserve(pe_buf *b, size_t extra) {
  if (b->data && b->cap - b->len > extra) return true;
  if (extra > SIZE_MAX - b->len - 1) return false;
  char *d = realloc(b->data, b->len + extra + 1);
  if (!d) return false;
  b->data = d;
  b->cap = b->len + extra + 1;
  return true;
}

bool hx_req_publish(hx_req *r, const char *ip, uint16_t port) {
  if (r->published) {
    r->pub.body = r->body.data ? (const uint8_t *)r->body.data : (const uint8_t *)"";
    r->pub.body_len = r->body.len;
    return true;
  }
  /* Path and query are copied to the end of the text so that each ends
   * with a NUL of its own. */
  if (!reserve(&r->text, r->target_len + 3)) return false;
  size_t tlen = without_fragment(r->text.data, r->target_len);
  r->text.data[tlen] = '\0';
  size_t ps = path_start(r->text.data, tlen), pe = ps;
  while (pe < tlen && r->text.data[pe] != '?') pe++;
  size_t qs = pe < tlen ? pe + 1 : pe, qe = tlen; /* after the '?' */
  size_t path_off = r->text.len, path_len = pe - ps;
  bool ok = path_len ? pe_buf_append(&r->text, r->text.data + ps, path_len)
                     : pe_buf_append(&r->text, "/", 1);
  if (!path_len) path_len = 1;
  ok = ok && pe_buf_append(&r->text, "", 1);
  size_t query_off = r->text.len;
  ok = ok && pe_buf_append(&r->text, r->text.data + qs, qe - qs) && pe_buf_append(&r->text, "", 1);
  if (r->nhdr && ok) {
    r->headers = calloc(r->nhdr, sizeof *r->headers);
    ok = r->headers != NULL;
  }
  if (!ok) return false;

  for (size_t i = 0; i < r->nhdr; i++) {
    struct hx_hdr *h = &r->hdr[i];
    /* http_parser drops the blanks before a value, not always after. */
    while (h->value_len && (r->text.data[h->value_off + h->value_len - 1] == ' ' ||
                            r->text.data[h->value_off + h->value_len - 1] == '\t'))
      r->text.data[h->value_off + --h->value_len] = '\0';
    r->headers[i] = (pe_http_header){.name = r->text.data + h->name_off,
                                     .name_len = h->name_len,
                                     .value = r->text.data + h->value_off,
                                     .value_len = h->value_len};
  }
  pe_http_request *q = &r->pub;
  q->method = r->method;
  q->target = r->text.data;
  q->target_len = tlen;
  q->path = r->text.data + path_off;
  q->path_len = path_len;
  q->query = r->text.data + query_off;
  q->query_len = qe - qs;
  q->headers = r->headers;
  q->header_count = r->nhdr;
  q->body = r->body.data ? (const uint8_t *)r->body.data : (const uint8_t *)"";
  q->body_len = r->body.len;
  q->client_ip = ip;
  q->client_port = port;
  r->published = true;
  return true;
}

const char *pe_http_request_header(const pe_http_request *req, const char *name) {
  for (size_t i = 0; i < req->header_count; i++)
    if (strcasecmp(req->headers[i].name, name) == 0) return req->headers[i].value;
  return NULL;
}
