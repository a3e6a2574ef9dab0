/*
 * http_response.c -- what a handler fills in, and the bytes of a response
 * head.
 *
 * Handler headers are stored already serialised ("Name: value\r\n"), in the
 * order added, so writing a head is one copy. The headers that describe the
 * connection or the framing (content-length, transfer-encoding, connection,
 * keep-alive) and the ones the server always sends (date, server) are
 * refused: the server alone decides them, so a handler can never produce a
 * response whose framing lies. An allocation failure is remembered and turns
 * the response into a 500, instead of sending something half-built.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http_int.h"

void hx_resp_init(pe_http_response *r) {
  memset(r, 0, sizeof *r);
  r->status = 200;
}

void hx_resp_free(pe_http_response *r) {
  pe_buf_free(&r->headers);
  free(r->body);
  r->body = NULL;
  r->body_len = r->body_cap = 0;
}

bool pe_http_status_valid(int status) { return status >= 200 && status <= 599; }

bool pe_http_response_set_status(pe_http_response *r, int status) {
  if (!pe_http_status_valid(status)) return false;
  r->status = status;
  return true;
}

bool pe_http_header_reserved(const char *name) {
  static const char *const names[] = {"content-length", "transfer-encoding",
                                      "connection",     "keep-alive",
                                      "date",           "server"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcasecmp(name, names[i]) == 0) return true;
  return false;
}

bool pe_http_header_valid(const char *name, const char *value) {
  if (!name || !value || !*name) return false;
  for (const unsigned char *p = (const unsigned char *)name; *p; p++)
    if (!hx_tchar(*p)) return false;
  /* CR or LF would let a value start a header (or a body) of its own. */
  for (const unsigned char *p = (const unsigned char *)value; *p; p++)
    if ((*p < 0x20 && *p != '\t') || *p == 0x7f) return false;
  return true;
}

bool pe_http_response_add_header(pe_http_response *r, const char *name, const char *value) {
  if (!pe_http_header_valid(name, value) || pe_http_header_reserved(name)) return false;
  size_t old = r->headers.len;
  if (!pe_buf_puts(&r->headers, name) || !pe_buf_append(&r->headers, ": ", 2) ||
      !pe_buf_puts(&r->headers, value) || !pe_buf_append(&r->headers, "\r\n", 2)) {
    r->headers.len = old;
    r->oom = true;
    return false;
  }
  return true;
}

static bool body_reserve(pe_http_response *r, size_t extra) {
  if (extra > SIZE_MAX - r->body_len) return false;
  size_t need = r->body_len + extra;
  if (need <= r->body_cap) return true;
  size_t cap = r->body_cap ? r->body_cap : 256;
  while (cap < need) {
    if (cap > SIZE_MAX / 2) {
      cap = need;
      break;
    }
    cap *= 2;
  }
  char *d = realloc(r->body, cap);
  if (!d) return false;
  r->body = d;
  r->body_cap = cap;
  return true;
}

bool pe_http_response_append_body(pe_http_response *r, const void *data, size_t len) {
  if (len == 0) return true;
  if (!data) return false;
  if (!body_reserve(r, len)) {
    r->oom = true;
    return false;
  }
  memcpy(r->body + r->body_len, data, len);
  r->body_len += len;
  return true;
}

bool pe_http_response_set_body(pe_http_response *r, const void *data, size_t len) {
  r->body_len = 0;
  return pe_http_response_append_body(r, data, len);
}

void pe_http_response_take_body(pe_http_response *r, void *data, size_t len) {
  free(r->body);
  r->body = data;
  r->body_len = data ? len : 0;
  r->body_cap = r->body_len;
}

bool hx_status_has_body(int status) { return status >= 200 && status != 204 && status != 304; }

static const char *reason(int status) {
  const char *s = http_status_str((enum http_status)status);
  /* http_parser answers "<unknown>" for codes it has no name for. */
  return s[0] == '<' ? "Unknown" : s;
}

void hx_resp_error(pe_http_response *r, int status) {
  hx_req *req = r->req;
  hx_resp_free(r);
  hx_resp_init(r);
  r->req = req;
  r->status = status;
  if (status == 503) pe_http_response_add_header(r, "retry-after", "1");
  pe_http_response_add_header(r, "content-type", "text/plain; charset=utf-8");
  char text[64];
  int n = snprintf(text, sizeof text, "%d %s\n", status, reason(status));
  pe_http_response_set_body(r, text, (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
}

void hx_resp_finish(pe_http_response *r) {
  if (r->oom) {
    hx_resp_error(r, 500);
    return;
  }
  if (!hx_status_has_body(r->status)) {
    free(r->body);
    r->body = NULL;
    r->body_len = r->body_cap = 0;
  }
}

static bool append_decimal(pe_buf *out, uint64_t v) {
  char digits[20];
  size_t i = sizeof digits;
  do digits[--i] = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  return pe_buf_append(out, digits + i, sizeof digits - i);
}

enum { FRAME_LENGTH, FRAME_CHUNKED, FRAME_NONE };

/* Built by appending rather than with printf: this runs for every
 * response, and formatting was a visible part of the loop thread's time. */
static bool head(const pe_http_response *r, int framing, hx_conn_header conn, const char *date,
                 pe_buf *out) {
  bool ok = pe_buf_puts(out, "HTTP/1.1 ") && append_decimal(out, (uint64_t)r->status) &&
            pe_buf_puts(out, " ") && pe_buf_puts(out, reason(r->status)) &&
            pe_buf_puts(out, "\r\nServer: pyedge\r\nDate: ") && pe_buf_puts(out, date) &&
            pe_buf_puts(out, "\r\n");
  if (ok && framing == FRAME_LENGTH && hx_status_has_body(r->status))
    ok = pe_buf_puts(out, "Content-Length: ") && append_decimal(out, r->body_len) &&
         pe_buf_puts(out, "\r\n");
  if (ok && framing == FRAME_CHUNKED) ok = pe_buf_puts(out, "Transfer-Encoding: chunked\r\n");
  if (ok && conn == HX_CONN_CLOSE) ok = pe_buf_puts(out, "Connection: close\r\n");
  if (ok && conn == HX_CONN_KEEP_ALIVE) ok = pe_buf_puts(out, "Connection: keep-alive\r\n");
  if (ok && r->headers.len) ok = pe_buf_append(out, r->headers.data, r->headers.len);
  return ok && pe_buf_append(out, "\r\n", 2);
}

bool hx_resp_head(const pe_http_response *r, hx_conn_header conn, const char *date, pe_buf *out) {
  return head(r, FRAME_LENGTH, conn, date, out);
}

bool hx_resp_stream_head(const pe_http_response *r, bool chunked, hx_conn_header conn,
                         const char *date, pe_buf *out) {
  return head(r, chunked ? FRAME_CHUNKED : FRAME_NONE, conn, date, out);
}

/* Not strftime: %a and %b follow the locale, HTTP dates are English. */
void hx_http_date(char out[32], int64_t unix_seconds) {
  static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  time_t t = (time_t)unix_seconds;
  struct tm tm;
  if (!gmtime_r(&t, &tm) || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 || tm.tm_mon > 11 ||
      tm.tm_year < -1900 || tm.tm_year > 9999 - 1900) {
    snprintf(out, 32, "Thu, 01 Jan 1970 00:00:00 GMT");
    return;
  }
  snprintf(out, 32, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
           months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}
