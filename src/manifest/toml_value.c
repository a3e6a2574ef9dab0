/*
 * toml_value.c -- the right-hand side of `key = value`: dispatch on the
 * first character, arrays and inline tables.
 *
 * Arrays may span lines and hold comments; items of any types may be mixed
 * (TOML 1.0). Inline tables must stay on one line and may not end with a
 * comma; once their closing brace is read, they and every table created
 * inside them by dotted keys become INLINE, which nothing may extend later.
 *
 * Recursion happens once per nesting level and each level's node is
 * created (and depth-checked) before its contents are read, so a document
 * of ten thousand '[' fails at the limit instead of exhausting the stack.
 */
#include <string.h>

#include "toml_int.h"

static bool keyword(toml_parser *p, const char *kw) {
  size_t n = strlen(kw);
  if (p->len - p->pos < n || memcmp(p->src + p->pos, kw, n) != 0) return false;
  if (toml_is_bare(toml_peek_at(p, n))) return false;
  p->pos += n;
  return true;
}

static pe_toml_value *array(toml_parser *p, int depth) {
  size_t start = p->pos;
  pe_toml_value *a = toml_new_value(p, PE_TOML_ARRAY, depth, start);
  if (!a) return NULL;
  a->kind = TOML_ARR_STATIC;
  p->pos++; /* '[' */
  for (;;) {
    if (!toml_skip_ws_nl(p)) return NULL;
    if (toml_eof(p)) return toml_fail(p, start, "unterminated array"), NULL;
    if (toml_peek(p) == ']') break;
    pe_toml_value *item = toml_parse_value(p, depth + 1);
    if (!item || !toml_array_push(p, a, item)) return NULL;
    if (!toml_skip_ws_nl(p)) return NULL;
    int c = toml_peek(p);
    if (c == ',') {
      p->pos++;
      continue;
    }
    if (c == ']') break;
    if (c < 0) return toml_fail(p, start, "unterminated array"), NULL;
    char d[16];
    toml_describe_char(p, p->pos, d);
    return toml_fail(p, p->pos, "expected ',' or ']' in array, found %s", d), NULL;
  }
  p->pos++; /* ']' */
  return a;
}

static void freeze(pe_toml_value *t) {
  t->kind = TOML_TAB_INLINE;
  for (size_t i = 0; i < t->u.tab.len; i++) {
    pe_toml_value *v = t->u.tab.items[i].val;
    if (v->type == PE_TOML_TABLE && v->kind != TOML_TAB_INLINE) freeze(v);
  }
}

static pe_toml_value *inline_table(toml_parser *p, int depth) {
  size_t start = p->pos;
  pe_toml_value *t = toml_new_value(p, PE_TOML_TABLE, depth, start);
  if (!t) return NULL;
  /* while open, dotted keys inside may still add to its sub-tables */
  t->kind = TOML_TAB_DOTTED;
  p->pos++; /* '{' */
  toml_skip_ws(p);
  if (toml_peek(p) != '}') {
    for (;;) {
      if (toml_eof(p)) return toml_fail(p, start, "unterminated inline table"), NULL;
      if (toml_at_newline(p) || toml_peek(p) == '\r')
        return toml_fail(p, p->pos, "an inline table must be on one line"), NULL;
      if (!toml_parse_keyval(p, t)) return NULL;
      toml_skip_ws(p);
      int c = toml_peek(p);
      if (c == ',') {
        p->pos++;
        toml_skip_ws(p);
        if (toml_peek(p) == '}')
          return toml_fail(p, p->pos, "trailing comma not allowed in an inline table"), NULL;
        continue;
      }
      if (c == '}') break;
      if (c < 0) return toml_fail(p, start, "unterminated inline table"), NULL;
      if (toml_at_newline(p))
        return toml_fail(p, p->pos, "an inline table must be on one line"), NULL;
      char d[16];
      toml_describe_char(p, p->pos, d);
      return toml_fail(p, p->pos, "expected ',' or '}' in inline table, found %s", d), NULL;
    }
  }
  p->pos++; /* '}' */
  freeze(t);
  return t;
}

pe_toml_value *toml_parse_value(toml_parser *p, int depth) {
  size_t start = p->pos;
  int c = toml_peek(p);
  if (c == '[') return array(p, depth);
  if (c == '{') return inline_table(p, depth);

  pe_toml_value *v = toml_new_value(p, PE_TOML_STRING, depth, start);
  if (!v) return NULL;
  bool ok;
  if (c == '"' || c == '\'') {
    ok = toml_parse_string(p, v);
  } else if (c == 't' || c == 'f') {
    ok = keyword(p, c == 't' ? "true" : "false");
    if (ok) {
      v->type = PE_TOML_BOOL;
      v->u.b = c == 't';
    }
  } else if (toml_is_digit(c) && toml_looks_like_datetime(p)) {
    ok = toml_parse_datetime(p, v);
  } else if (toml_is_digit(c) || c == '+' || c == '-' || c == 'i' || c == 'n') {
    ok = toml_parse_number(p, v);
  } else {
    ok = false;
  }
  if (ok) return v;
  if (!p->failed) {
    /* name the offending word rather than its first character */
    size_t end = start;
    while (end < p->len && (toml_is_bare((unsigned char)p->src[end]) || p->src[end] == '.')) end++;
    if (end > start && end - start <= 40)
      toml_fail(p, start, "invalid value '%.*s'", (int)(end - start), p->src + start);
    else if (c < 0 || toml_at_newline(p))
      toml_fail(p, start, "expected a value");
    else {
      char d[16];
      toml_describe_char(p, start, d);
      toml_fail(p, start, "expected a value, found %s", d);
    }
  }
  return NULL;
}
