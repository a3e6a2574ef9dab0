/*
 * http_head.c -- a strict syntax check of a request head (RFC 9112 sections
 * 2-5), run once http_parser has found its end.
 *
 * Why: Debian's libhttp_parser is built with HTTP_PARSER_STRICT=0, so it
 * takes "HTTX/1.1", spaces inside header names, a CR followed by anything
 * as a line end, and more. Each leniency is a place where a proxy in front
 * of us may read the same bytes differently (request smuggling), so the
 * head is held to the grammar here: every line ends in CRLF (no bare CR or
 * LF), method and field names are tokens, the target is visible ASCII, the
 * version is HTTP/d.d, field values hold no control character but tab, and
 * there is no obs-fold (RFC 9112 5.2 allows answering it with 400). Empty
 * lines before the request line are skipped, as RFC 9112 2.2 suggests.
 *
 * The head is at most max_header_bytes, so checking it costs one pass over
 * bytes already in cache.
 */
#include <string.h>

#include "http_int.h"

bool hx_tchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool field_byte(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

static bool digit(unsigned char c) { return c >= '0' && c <= '9'; }

bool hx_head_valid(const char *raw, size_t len) {
  const unsigned char *s = (const unsigned char *)raw;
  size_t i = 0;
  while (i + 1 < len && s[i] == '\r' && s[i + 1] == '\n') i += 2;

  size_t start = i;
  while (i < len && hx_tchar(s[i])) i++;
  if (i == start || i >= len || s[i] != ' ') return false;
  start = ++i;
  while (i < len && s[i] > 0x20 && s[i] < 0x7f) i++;
  if (i == start || i >= len || s[i] != ' ') return false;
  i++;
  if (len - i < 10 || memcmp(s + i, "HTTP/", 5) != 0 || !digit(s[i + 5]) || s[i + 6] != '.' ||
      !digit(s[i + 7]) || s[i + 8] != '\r' || s[i + 9] != '\n')
    return false;
  i += 10;

  /* Fields, then the CR of the empty line; its LF is the caller's. */
  for (;;) {
    if (i >= len) return false;
    if (s[i] == '\r') return i + 1 == len;
    start = i;
    while (i < len && hx_tchar(s[i])) i++;
    if (i == start || i >= len || s[i] != ':') return false;
    i++;
    while (i < len && field_byte(s[i])) i++;
    if (i + 1 >= len || s[i] != '\r' || s[i + 1] != '\n') return false;
    i += 2;
  }
}
