/*
 * toml_doc.c -- the document level: [table] and [[array]] headers, dotted
 * key/value pairs, the redefinition rules, and pe_toml_parse itself.
 *
 * Keys are resolved while they are read, one dotted part at a time: each
 * part but the last walks into (or creates) a table, applying the rule for
 * the way that table was made (see toml_int.h); the last part is checked
 * for duplicates before its value is parsed, so the error points at the
 * key. Messages quote the key as it was written, dots and quotes included.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml_int.h"

/* "a string", "an integer" */
static const char *a_type(pe_toml_type t) {
  static const char *const an[] = {"a string",     "an integer",          "a float",
                                   "a boolean",    "an offset date-time", "a local date-time",
                                   "a local date", "a local time",        "an array",
                                   "a table"};
  return (unsigned)t < sizeof an / sizeof an[0] ? an[t] : "a value";
}

static pe_toml_value *new_table(toml_parser *p, pe_toml_value *parent, int kind, size_t pos) {
  pe_toml_value *t = toml_new_value(p, PE_TOML_TABLE, parent->depth + 1, pos);
  if (t) t->kind = (uint8_t)kind;
  return t;
}

static bool add_new(toml_parser *p, pe_toml_value *parent, pe_toml_value *v) {
  size_t keylen = p->buflen;
  char *key = toml_buf_dup(p);
  return key && toml_table_add(p, parent, key, keylen, v);
}

/* One non-final part of a [header] key: walk into it, creating it if need be. */
static pe_toml_value *header_step(toml_parser *p, pe_toml_value *t, size_t start,
                                  const char *name) {
  pe_toml_value *v = toml_table_find(t, p->buf, p->buflen);
  if (!v) {
    v = new_table(p, t, TOML_TAB_IMPLICIT, start);
    return v && add_new(p, t, v) ? v : NULL;
  }
  if (v->type == PE_TOML_TABLE) {
    if (v->kind == TOML_TAB_INLINE)
      return toml_fail(p, start, "cannot add to inline table '%s'", name), NULL;
    return v;
  }
  if (v->type == PE_TOML_ARRAY) {
    /* [[a]] then [a.b]: b belongs to the last table of a */
    if (v->kind == TOML_ARR_TABLES) return v->u.arr.items[v->u.arr.len - 1];
    return toml_fail(p, start, "cannot add to static array '%s'", name), NULL;
  }
  return toml_fail(p, start, "key '%s' already holds %s, not a table", name, a_type(v->type)), NULL;
}

static pe_toml_value *define_table(toml_parser *p, pe_toml_value *t, size_t start,
                                   const char *name) {
  pe_toml_value *v = toml_table_find(t, p->buf, p->buflen);
  if (!v) {
    v = new_table(p, t, TOML_TAB_HEADER, start);
    return v && add_new(p, t, v) ? v : NULL;
  }
  if (v->type == PE_TOML_TABLE) {
    switch (v->kind) {
      case TOML_TAB_IMPLICIT:
        v->kind = TOML_TAB_HEADER;
        v->line = v->key_line = toml_line_at(p, start);
        return v;
      case TOML_TAB_HEADER: return toml_fail(p, start, "table [%s] defined twice", name), NULL;
      case TOML_TAB_DOTTED:
        return toml_fail(p, start, "table [%s] was already defined by dotted keys", name), NULL;
      default:
        return toml_fail(p, start, "table [%s] was already defined as an inline table", name), NULL;
    }
  }
  if (v->type == PE_TOML_ARRAY && v->kind == TOML_ARR_TABLES)
    return toml_fail(p, start, "table [%s] conflicts with array of tables [[%s]]", name, name),
           NULL;
  return toml_fail(p, start, "cannot define table [%s]: the key already holds %s", name,
                   a_type(v->type)),
         NULL;
}

static pe_toml_value *append_table(toml_parser *p, pe_toml_value *t, size_t start,
                                   const char *name) {
  pe_toml_value *a = toml_table_find(t, p->buf, p->buflen);
  if (!a) {
    a = toml_new_value(p, PE_TOML_ARRAY, t->depth + 1, start);
    if (!a) return NULL;
    a->kind = TOML_ARR_TABLES;
    if (!add_new(p, t, a)) return NULL;
  } else if (a->type == PE_TOML_ARRAY && a->kind == TOML_ARR_STATIC) {
    return toml_fail(p, start, "cannot append to static array '%s' with [[%s]]", name, name), NULL;
  } else if (a->type == PE_TOML_TABLE) {
    return toml_fail(p, start, "array of tables [[%s]] conflicts with table [%s]", name, name),
           NULL;
  } else if (a->type != PE_TOML_ARRAY) {
    return toml_fail(p, start, "cannot define array of tables [[%s]]: the key already holds %s",
                     name, a_type(a->type)),
           NULL;
  }
  pe_toml_value *elem = new_table(p, a, TOML_TAB_HEADER, start);
  return elem && toml_array_push(p, a, elem) ? elem : NULL;
}

/* [a.b.c] or [[a.b.c]]; on success *current is the table that follows. */
static bool header(toml_parser *p, pe_toml_value *root, pe_toml_value **current) {
  size_t start = p->pos;
  bool aot = toml_peek_at(p, 1) == '[';
  p->pos += aot ? 2 : 1;
  toml_skip_ws(p);
  size_t kstart = p->pos;
  pe_toml_value *t = root;
  char name[128];
  for (;;) {
    if (!toml_parse_simple_key(p)) return false;
    toml_key_text(p, kstart, p->pos, name, sizeof name);
    toml_skip_ws(p);
    if (toml_peek(p) != '.') break;
    t = header_step(p, t, start, name);
    if (!t) return false;
    p->pos++;
    toml_skip_ws(p);
  }
  if (aot ? !(toml_peek(p) == ']' && toml_peek_at(p, 1) == ']') : toml_peek(p) != ']') {
    char d[16];
    toml_describe_char(p, p->pos, d);
    return toml_fail(p, p->pos, "expected '%s' to close the header, found %s", aot ? "]]" : "]", d);
  }
  pe_toml_value *next = aot ? append_table(p, t, start, name) : define_table(p, t, start, name);
  if (!next) return false;
  p->pos += aot ? 2 : 1;
  *current = next;
  return true;
}

bool toml_parse_keyval(toml_parser *p, pe_toml_value *t) {
  size_t kstart = p->pos;
  char name[128];
  for (;;) {
    if (!toml_parse_simple_key(p)) return false;
    toml_key_text(p, kstart, p->pos, name, sizeof name);
    toml_skip_ws(p);
    if (toml_peek(p) != '.') break;
    pe_toml_value *v = toml_table_find(t, p->buf, p->buflen);
    if (!v) {
      v = new_table(p, t, TOML_TAB_DOTTED, kstart);
      if (!v || !add_new(p, t, v)) return false;
    } else if (v->type == PE_TOML_TABLE) {
      if (v->kind == TOML_TAB_INLINE)
        return toml_fail(p, kstart, "cannot add to inline table '%s'", name);
      if (v->kind == TOML_TAB_HEADER)
        return toml_fail(p, kstart,
                         "cannot add to table '%s' with dotted keys: it is defined by a [header]",
                         name);
      /* a table so far only implied by a [x.y] header becomes dotted-defined,
       * so a later [header] can no longer define it */
      v->kind = TOML_TAB_DOTTED;
    } else if (v->type == PE_TOML_ARRAY) {
      return toml_fail(p, kstart, "cannot add to array '%s' with dotted keys", name);
    } else {
      return toml_fail(p, kstart, "key '%s' already holds %s, not a table", name, a_type(v->type));
    }
    t = v;
    p->pos++;
    toml_skip_ws(p);
  }
  if (toml_peek(p) != '=') {
    char d[16];
    toml_describe_char(p, p->pos, d);
    return toml_fail(p, p->pos, "expected '=' after key '%s', found %s", name, d);
  }
  if (toml_table_find(t, p->buf, p->buflen))
    return toml_fail(p, kstart, "duplicate key '%s'", name);
  size_t keylen = p->buflen;
  char *key = toml_buf_dup(p);
  if (!key) return false;
  p->pos++;
  toml_skip_ws(p);
  pe_toml_value *v = toml_parse_value(p, t->depth + 1);
  if (!v) return false;
  v->key_line = toml_line_at(p, kstart);
  return toml_table_add(p, t, key, keylen, v);
}

static bool document(toml_parser *p, pe_toml_value *root) {
  pe_toml_value *current = root;
  if (p->len >= 3 && memcmp(p->src, "\xef\xbb\xbf", 3) == 0) p->pos = 3;
  for (;;) {
    toml_skip_ws(p);
    if (toml_eof(p)) return true;
    int c = toml_peek(p);
    if (c == '#') {
      if (!toml_skip_comment(p)) return false;
    } else if (toml_at_newline(p)) {
      toml_newline(p);
    } else if (c == '[') {
      if (!header(p, root, &current) || !toml_expect_eol(p, "the table header")) return false;
    } else if (c == '\r') {
      return toml_fail(
          p, p->pos, "control character U+000D (a carriage return must be followed by a newline)");
    } else {
      if (!toml_parse_keyval(p, current) || !toml_expect_eol(p, "the value")) return false;
    }
  }
}

pe_toml_value *pe_toml_parse_limits(const char *text, size_t len, const pe_toml_limits *limits,
                                    pe_toml_error *err) {
  pe_toml_limits lim = {PE_TOML_MAX_SIZE, PE_TOML_MAX_DEPTH, PE_TOML_MAX_VALUES};
  if (limits) lim = *limits;
  if (err) memset(err, 0, sizeof *err);
  if (!text && len) {
    if (err) snprintf(err->msg, sizeof err->msg, "no text");
    return NULL;
  }
  if (len > lim.max_size) {
    if (err)
      snprintf(err->msg, sizeof err->msg, "document too large (%zu bytes; limit %zu)", len,
               lim.max_size);
    return NULL;
  }
  toml_doc *doc = calloc(1, sizeof *doc);
  if (!doc) {
    if (err) snprintf(err->msg, sizeof err->msg, "out of memory");
    return NULL;
  }
  pe_toml_value *root = &doc->root;
  root->type = PE_TOML_TABLE;
  root->kind = TOML_TAB_HEADER;
  root->line = 1;
  toml_parser p = {.src = text ? text : "",
                   .len = len,
                   .arena = &doc->arena,
                   .lim = lim,
                   .err = err,
                   .line_no = 1};
  size_t bad;
  bool ok;
  if (!toml_utf8_valid(p.src, len, &bad))
    ok = toml_fail(&p, bad, "invalid UTF-8");
  else
    ok = document(&p, root);
  free(p.buf);
  if (p.c_locale) freelocale(p.c_locale);
  if (!ok) {
    toml_arena_free(&doc->arena);
    free(doc);
    return NULL;
  }
  return root;
}

pe_toml_value *pe_toml_parse(const char *text, size_t len, pe_toml_error *err) {
  return pe_toml_parse_limits(text, len, NULL, err);
}
