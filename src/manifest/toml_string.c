/*
 * toml_string.c -- the four string forms and the keys built from them.
 *
 *   "basic"      escapes, one line
 *   """basic"""  escapes, newlines, line-ending backslash
 *   'literal'    no escapes, one line
 *   '''literal'''  no escapes, newlines
 *
 * Text is decoded into the parser's scratch buffer and copied into the
 * arena once complete. An unterminated string is reported at its opening
 * quote, which is where the reader has to look. Control characters other
 * than tab are refused everywhere (in multi-line strings, newlines too
 * except as LF or CRLF, which come out as LF).
 */
#include "toml_int.h"

static bool is_ctrl(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; }

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* \uXXXX or \UXXXXXXXX; the cursor is on the 'u' or 'U'. */
static bool unicode_escape(toml_parser *p, size_t at) {
  int n = p->src[p->pos] == 'u' ? 4 : 8;
  p->pos++;
  uint32_t cp = 0;
  for (int i = 0; i < n; i++) {
    int h = hexval(toml_peek(p));
    if (h < 0)
      return toml_fail(p, at, "invalid unicode escape: \\%c needs %d hex digits",
                       n == 4 ? 'u' : 'U', n);
    cp = cp << 4 | (uint32_t)h;
    p->pos++;
  }
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return toml_fail(p, at, "invalid unicode escape: U+%04X is not a Unicode scalar value", cp);
  return toml_buf_put_cp(p, cp);
}

/* An escape other than the line-ending backslash; the cursor is on '\'. */
static bool escape(toml_parser *p) {
  size_t at = p->pos++;
  int c = toml_peek(p);
  char out;
  switch (c) {
    case 'b': out = '\b'; break;
    case 't': out = '\t'; break;
    case 'n': out = '\n'; break;
    case 'f': out = '\f'; break;
    case 'r': out = '\r'; break;
    case '"': out = '"'; break;
    case '\\': out = '\\'; break;
    case 'u':
    case 'U': return unicode_escape(p, at);
    default: {
      char d[16];
      toml_describe_char(p, p->pos, d);
      return toml_fail(p, at, "invalid escape sequence: backslash followed by %s", d);
    }
  }
  p->pos++;
  return toml_buf_put(p, &out, 1);
}

/* A backslash at the end of a line in a """string""" swallows the newline
 * and all whitespace up to the next visible character. */
static bool line_ending_backslash(toml_parser *p) {
  size_t at = p->pos++;
  toml_skip_ws(p);
  if (!toml_at_newline(p))
    return toml_fail(p, at,
                     "invalid escape sequence: backslash followed by whitespace must end the line");
  for (;;) {
    toml_skip_ws(p);
    if (!toml_at_newline(p)) return true;
    toml_newline(p);
  }
}

/* Content up to the closing quote; the cursor is after the opening one(s). */
static bool string_body(toml_parser *p, char q, bool multi, size_t start) {
  bool escapes = q == '"';
  for (;;) {
    if (toml_eof(p)) return toml_fail(p, start, "unterminated string");
    unsigned char c = (unsigned char)p->src[p->pos];
    if (c == (unsigned char)q) {
      if (!multi) {
        p->pos++;
        return true;
      }
      size_t n = 0;
      while (toml_peek_at(p, n) == q) n++;
      if (n > 5)
        return toml_fail(
            p, p->pos,
            "too many quotes in a multi-line string (at most two may precede the closing three)");
      if (n >= 3) {
        /* up to two quotes directly before the closing three are content */
        for (size_t i = 0; i < n - 3; i++)
          if (!toml_buf_put(p, &q, 1)) return false;
        p->pos += n;
        return true;
      }
      if (!toml_buf_put(p, p->src + p->pos, n)) return false;
      p->pos += n;
      continue;
    }
    if (c == '\\' && escapes) {
      int next = toml_peek_at(p, 1);
      bool ws = next == ' ' || next == '\t' || next == '\n' || next == '\r';
      if (multi && ws) {
        if (!line_ending_backslash(p)) return false;
      } else if (!escape(p)) {
        return false;
      }
      continue;
    }
    if (c == '\n' || c == '\r') {
      if (!multi) {
        if (c == '\n' || toml_peek_at(p, 1) == '\n')
          return toml_fail(p, start, "unterminated string");
        return toml_fail(p, p->pos, "control character U+000D in string");
      }
      if (c == '\r' && toml_peek_at(p, 1) != '\n')
        return toml_fail(
            p, p->pos,
            "control character U+000D in string (a carriage return must be followed by a newline)");
      p->pos += c == '\r' ? 2 : 1;
      if (!toml_buf_put(p, "\n", 1)) return false;
      continue;
    }
    if (is_ctrl(c)) return toml_fail(p, p->pos, "control character U+%04X in string", c);
    /* copy a run of ordinary bytes at once */
    size_t run = 1;
    while (p->pos + run < p->len) {
      unsigned char d = (unsigned char)p->src[p->pos + run];
      if (d == (unsigned char)q || d == '\\' || d == '\n' || d == '\r' || is_ctrl(d)) break;
      run++;
    }
    if (!toml_buf_put(p, p->src + p->pos, run)) return false;
    p->pos += run;
  }
}

static bool opens_multi(const toml_parser *p, char q) {
  return toml_peek(p) == q && toml_peek_at(p, 1) == q && toml_peek_at(p, 2) == q;
}

bool toml_parse_string(toml_parser *p, pe_toml_value *v) {
  char q = p->src[p->pos];
  size_t start = p->pos;
  bool multi = opens_multi(p, q);
  p->buflen = 0;
  if (multi) {
    p->pos += 3;
    /* a newline right after the opening delimiter is not content */
    if (toml_at_newline(p)) toml_newline(p);
  } else {
    p->pos++;
  }
  if (!string_body(p, q, multi, start)) return false;
  char *s = toml_buf_dup(p);
  if (!s) return false;
  v->type = PE_TOML_STRING;
  v->u.str.s = s;
  v->u.str.len = p->buflen;
  return true;
}

bool toml_parse_simple_key(toml_parser *p) {
  p->buflen = 0;
  int c = toml_peek(p);
  if (c == '"' || c == '\'') {
    if (opens_multi(p, (char)c)) return toml_fail(p, p->pos, "a multi-line string cannot be a key");
    size_t start = p->pos++;
    return string_body(p, (char)c, false, start);
  }
  size_t start = p->pos;
  while (toml_is_bare(toml_peek(p))) p->pos++;
  if (p->pos == start) {
    char d[16];
    toml_describe_char(p, p->pos, d);
    return toml_fail(p, p->pos, "expected a key, found %s", d);
  }
  return toml_buf_put(p, p->src + start, p->pos - start);
}
