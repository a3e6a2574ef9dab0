/*
 * toml_int.h -- what the toml_*.c files share: the tree's node layout, the
 * arena it lives in, and the parser's cursor.
 *
 * The parser is a recursive-descent reader over the raw bytes (no separate
 * token stream): every function takes the cursor, consumes what it
 * recognises and returns false after recording the first error. The whole
 * input is checked to be UTF-8 before parsing starts, so later code may
 * treat bytes >= 0x80 as opaque parts of characters.
 *
 * Why tables carry a `kind`: TOML's redefinition rules depend on how a table
 * came to exist. A [header] may define a table that an earlier header only
 * created on the way (IMPLICIT), but not one it defined itself (HEADER) or
 * one that dotted keys created (DOTTED); dotted keys may extend IMPLICIT and
 * DOTTED tables but not HEADER ones; nothing may extend an INLINE table.
 * Arrays likewise remember whether [[headers]] made them (TABLES) or a
 * literal [ ... ] did (STATIC), since only the former may be appended to.
 */
#ifndef TOML_INT_H
#define TOML_INT_H

#include <locale.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pe_toml.h"

enum { TOML_TAB_IMPLICIT, TOML_TAB_HEADER, TOML_TAB_DOTTED, TOML_TAB_INLINE };
enum { TOML_ARR_STATIC, TOML_ARR_TABLES };

typedef struct toml_entry {
  const char *key;
  size_t keylen;
  pe_toml_value *val;
} toml_entry;

struct pe_toml_value {
  pe_toml_type type;
  uint8_t kind; /* TOML_TAB_* or TOML_ARR_* */
  int depth;    /* root = 0 */
  int line, key_line;
  union {
    struct {
      char *s;
      size_t len;
    } str;
    int64_t i;
    double f;
    bool b;
    pe_toml_datetime dt;
    struct {
      pe_toml_value **items;
      size_t len, cap;
    } arr;
    struct {
      toml_entry *items;
      size_t len, cap;
      uint32_t *index; /* open addressing, entry index + 1; NULL while small */
      size_t index_cap;
    } tab;
  } u;
};

/* ---- arena (toml_arena.c) ---- */

typedef struct toml_chunk toml_chunk;
typedef struct toml_arena {
  toml_chunk *head;
} toml_arena;

/* Zeroed, suitably aligned memory; NULL on overflow or exhaustion. */
void *toml_alloc(toml_arena *a, size_t n);
void toml_arena_free(toml_arena *a);

/* The root and its arena in one allocation, so pe_toml_free(root) can find
 * the arena (root is the first member). */
typedef struct toml_doc {
  pe_toml_value root;
  toml_arena arena;
} toml_doc;

/* ---- parser state (toml_text.c) ---- */

typedef struct toml_parser {
  const char *src;
  size_t len, pos;
  toml_arena *arena;
  pe_toml_limits lim;
  size_t nvalues;
  pe_toml_error *err;
  bool failed;
  /* line-number cache: line_no is the line containing offset line_pos */
  size_t line_pos;
  int line_no;
  /* scratch buffer for decoding strings and keys */
  char *buf;
  size_t buflen, bufcap;
  /* "C" numeric locale for strtod, made on first use (floats must not
   * depend on the process locale's decimal point) */
  locale_t c_locale;
} toml_parser;

/* Records the first error (at byte offset pos) and returns false. */
bool toml_fail(toml_parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int toml_line_at(toml_parser *p, size_t pos);
/* Validates UTF-8 (RFC 3629: no overlongs, surrogates or > U+10FFFF). On
 * failure *bad is the offset of the offending byte. */
bool toml_utf8_valid(const char *s, size_t len, size_t *bad);
/* Appends cp as UTF-8 to the scratch buffer. */
bool toml_buf_put_cp(toml_parser *p, uint32_t cp);
bool toml_buf_put(toml_parser *p, const char *s, size_t n);
/* Copies the scratch buffer into the arena, NUL-terminated. */
char *toml_buf_dup(toml_parser *p);

static inline bool toml_eof(const toml_parser *p) { return p->pos >= p->len; }
static inline int toml_peek(const toml_parser *p) {
  return p->pos < p->len ? (unsigned char)p->src[p->pos] : -1;
}
static inline int toml_peek_at(const toml_parser *p, size_t off) {
  return p->len - p->pos > off ? (unsigned char)p->src[p->pos + off] : -1;
}
static inline bool toml_is_bare(int c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}
static inline bool toml_is_digit(int c) { return c >= '0' && c <= '9'; }

/* Spaces and tabs. */
void toml_skip_ws(toml_parser *p);
/* True if a newline (LF or CRLF) starts at the cursor. */
bool toml_at_newline(const toml_parser *p);
/* Consumes one newline; false (with an error) on a lone CR. */
bool toml_newline(toml_parser *p);
/* A '#' comment up to (not including) the end of the line. */
bool toml_skip_comment(toml_parser *p);
/* Whitespace, comments and newlines (inside arrays). */
bool toml_skip_ws_nl(toml_parser *p);
/* After a key/value pair or header: optional comment, then newline or EOF. */
bool toml_expect_eol(toml_parser *p, const char *what);
/* A short printable rendering of the character at pos for messages. */
void toml_describe_char(const toml_parser *p, size_t pos, char out[16]);

/* ---- tree (toml_arena.c) ---- */

pe_toml_value *toml_new_value(toml_parser *p, pe_toml_type t, int depth, size_t pos);
pe_toml_value *toml_table_find(const pe_toml_value *t, const char *key, size_t keylen);
/* key must already live in the arena. */
bool toml_table_add(toml_parser *p, pe_toml_value *t, const char *key, size_t keylen,
                    pe_toml_value *v);
bool toml_array_push(toml_parser *p, pe_toml_value *a, pe_toml_value *v);

/* ---- values ---- */

/* A simple key (bare, "basic" or 'literal') into the scratch buffer. */
bool toml_parse_simple_key(toml_parser *p);
bool toml_parse_string(toml_parser *p, pe_toml_value *v); /* toml_string.c */
bool toml_parse_number(toml_parser *p, pe_toml_value *v); /* toml_number.c */
bool toml_looks_like_datetime(const toml_parser *p);      /* toml_datetime.c */
bool toml_parse_datetime(toml_parser *p, pe_toml_value *v);
/* Any value; `depth` is the depth the value will have in the tree. */
pe_toml_value *toml_parse_value(toml_parser *p, int depth); /* toml_value.c */
/* key = value into table t (used by the document and by inline tables). */
bool toml_parse_keyval(toml_parser *p, pe_toml_value *t); /* toml_doc.c */
/* Renders the key text [start, end) of the source for messages. */
void toml_key_text(const toml_parser *p, size_t start, size_t end, char *out, size_t outlen);

#endif /* TOML_INT_H */
