/*
 * toml_text.c -- the parser's view of the raw text: UTF-8 checking, line
 * and column numbers, errors, whitespace, comments and newlines, and the
 * scratch buffer strings are decoded into.
 *
 * Line numbers are computed on demand from byte offsets (with a cursor
 * cache that makes the usual forward-moving queries linear overall) rather
 * than counted while consuming newlines, so no code path that forgets to
 * count a newline can make later positions wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml_int.h"

bool toml_utf8_valid(const char *s, size_t len, size_t *bad) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0;
  while (i < len) {
    unsigned c = u[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t n;
    uint32_t cp, min;
    if ((c & 0xe0) == 0xc0)
      n = 2, cp = c & 0x1f, min = 0x80;
    else if ((c & 0xf0) == 0xe0)
      n = 3, cp = c & 0x0f, min = 0x800;
    else if ((c & 0xf8) == 0xf0)
      n = 4, cp = c & 0x07, min = 0x10000;
    else
      goto fail;
    if (len - i < n) goto fail;
    for (size_t k = 1; k < n; k++) {
      if ((u[i + k] & 0xc0) != 0x80) goto fail;
      cp = cp << 6 | (u[i + k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) goto fail;
    i += n;
  }
  return true;
fail:
  *bad = i;
  return false;
}

int toml_line_at(toml_parser *p, size_t pos) {
  if (pos > p->len) pos = p->len;
  const char *s = p->src;
  if (pos >= p->line_pos) {
    for (const char *q = s + p->line_pos, *end = s + pos; q < end; q++) {
      q = memchr(q, '\n', (size_t)(end - q));
      if (!q) break;
      p->line_no++;
    }
  } else {
    for (const char *q = s + pos, *end = s + p->line_pos; q < end; q++) {
      q = memchr(q, '\n', (size_t)(end - q));
      if (!q) break;
      p->line_no--;
    }
  }
  p->line_pos = pos;
  return p->line_no;
}

static int column_at(const toml_parser *p, size_t pos) {
  size_t start = pos;
  while (start > 0 && p->src[start - 1] != '\n') start--;
  int col = 1;
  for (size_t i = start; i < pos; i++)
    if (((unsigned char)p->src[i] & 0xc0) != 0x80) col++;
  return col;
}

bool toml_fail(toml_parser *p, size_t pos, const char *fmt, ...) {
  if (p->failed) return false;
  p->failed = true;
  if (!p->err) return false;
  if (pos > p->len) pos = p->len;
  p->err->line = toml_line_at(p, pos);
  p->err->col = column_at(p, pos);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
  va_end(ap);
  return false;
}

void toml_describe_char(const toml_parser *p, size_t pos, char out[16]) {
  if (pos >= p->len) {
    snprintf(out, 16, "end of file");
    return;
  }
  unsigned char c = (unsigned char)p->src[pos];
  if (c == '\n' || (c == '\r' && pos + 1 < p->len && p->src[pos + 1] == '\n')) {
    snprintf(out, 16, "end of line");
  } else if (c >= 0x20 && c < 0x7f) {
    snprintf(out, 16, "'%c'", c);
  } else if (c < 0x80) {
    snprintf(out, 16, "U+%04X", c);
  } else {
    /* a whole (already validated) UTF-8 sequence */
    size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    if (n > p->len - pos) n = p->len - pos;
    snprintf(out, 16, "'%.*s'", (int)n, p->src + pos);
  }
}

void toml_skip_ws(toml_parser *p) {
  while (p->pos < p->len && (p->src[p->pos] == ' ' || p->src[p->pos] == '\t')) p->pos++;
}

bool toml_at_newline(const toml_parser *p) {
  int c = toml_peek(p);
  return c == '\n' || (c == '\r' && toml_peek_at(p, 1) == '\n');
}

bool toml_newline(toml_parser *p) {
  int c = toml_peek(p);
  if (c == '\n') {
    p->pos++;
    return true;
  }
  if (c == '\r' && toml_peek_at(p, 1) == '\n') {
    p->pos += 2;
    return true;
  }
  return toml_fail(p, p->pos, "expected a newline");
}

/* Comments may hold any character except controls other than tab. */
bool toml_skip_comment(toml_parser *p) {
  p->pos++; /* '#' */
  while (p->pos < p->len) {
    unsigned char c = (unsigned char)p->src[p->pos];
    if (c == '\n' || (c == '\r' && toml_peek_at(p, 1) == '\n')) break;
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      return toml_fail(p, p->pos, "control character U+%04X in comment", c);
    p->pos++;
  }
  return true;
}

bool toml_skip_ws_nl(toml_parser *p) {
  for (;;) {
    toml_skip_ws(p);
    int c = toml_peek(p);
    if (c == '#') {
      if (!toml_skip_comment(p)) return false;
    } else if (toml_at_newline(p)) {
      toml_newline(p);
    } else {
      return true;
    }
  }
}

bool toml_expect_eol(toml_parser *p, const char *what) {
  toml_skip_ws(p);
  if (toml_peek(p) == '#' && !toml_skip_comment(p)) return false;
  if (toml_eof(p)) return true;
  if (toml_at_newline(p)) return toml_newline(p);
  char d[16];
  toml_describe_char(p, p->pos, d);
  return toml_fail(p, p->pos, "unexpected %s after %s", d, what);
}

bool toml_buf_put(toml_parser *p, const char *s, size_t n) {
  if (n == 0) return true;
  if (n > p->bufcap - p->buflen) {
    size_t cap = p->bufcap ? p->bufcap : 256;
    while (cap - p->buflen < n) {
      if (cap > SIZE_MAX / 2) return toml_fail(p, p->pos, "out of memory");
      cap *= 2;
    }
    char *b = realloc(p->buf, cap);
    if (!b) return toml_fail(p, p->pos, "out of memory");
    p->buf = b;
    p->bufcap = cap;
  }
  memcpy(p->buf + p->buflen, s, n);
  p->buflen += n;
  return true;
}

bool toml_buf_put_cp(toml_parser *p, uint32_t cp) {
  char b[4];
  size_t n;
  if (cp < 0x80) {
    b[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    b[0] = (char)(0xc0 | cp >> 6);
    b[1] = (char)(0x80 | (cp & 0x3f));
    n = 2;
  } else if (cp < 0x10000) {
    b[0] = (char)(0xe0 | cp >> 12);
    b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
    b[2] = (char)(0x80 | (cp & 0x3f));
    n = 3;
  } else {
    b[0] = (char)(0xf0 | cp >> 18);
    b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    b[3] = (char)(0x80 | (cp & 0x3f));
    n = 4;
  }
  return toml_buf_put(p, b, n);
}

char *toml_buf_dup(toml_parser *p) {
  char *s = toml_alloc(p->arena, p->buflen + 1);
  if (!s) return toml_fail(p, p->pos, "out of memory"), NULL;
  if (p->buflen) memcpy(s, p->buf, p->buflen);
  s[p->buflen] = 0;
  return s;
}

void toml_key_text(const toml_parser *p, size_t start, size_t end, char *out, size_t outlen) {
  if (end > p->len) end = p->len;
  while (end > start && (p->src[end - 1] == ' ' || p->src[end - 1] == '\t')) end--;
  size_t n = end - start;
  const size_t max = 80;
  if (n > max) {
    /* cut on a character boundary */
    n = max;
    while (n > 0 && ((unsigned char)p->src[start + n] & 0xc0) == 0x80) n--;
    snprintf(out, outlen, "%.*s...", (int)n, p->src + start);
  } else {
    snprintf(out, outlen, "%.*s", (int)n, p->src + start);
  }
}
