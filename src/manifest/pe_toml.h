/*
 * pe_toml.h -- a TOML 1.0 parser producing a read-only document tree.
 *
 * The manifest loader is the first user: spin.toml files are read with it,
 * and every value keeps the line it was written on (and the line of the key
 * or [header] that introduced it) so that a later, semantic error can still
 * say "spin.toml:12: unknown key 'x'".
 *
 * Design:
 *  - One call parses a whole document into a tree owned by one arena; the
 *    root is a table and pe_toml_free(root) releases everything at once.
 *    Nothing in the tree points into the caller's text.
 *  - Values are opaque; typed getters fail (return false / NULL) on a type
 *    mismatch instead of converting, so callers can word their own "expected
 *    a string for 'route'" message.
 *  - Tables keep their keys in document order (the order in which each key
 *    was first defined) and are hashed when they grow, so lookups stay cheap
 *    even in hostile documents.
 *  - Strings (and keys) may legally contain U+0000; the getters return a
 *    length, and every string is also NUL-terminated for convenience.
 *  - Hostile input is refused with an error, never a crash: the document
 *    size, the nesting depth (arrays, inline tables, dotted keys and headers
 *    all count) and the number of values are bounded (pe_toml_limits). The
 *    parser recurses only per nesting level, so the depth limit also bounds
 *    its stack use.
 *  - What is accepted is TOML 1.0.0 exactly, plus a leading UTF-8 byte
 *    order mark (skipped). Newlines in multi-line strings are returned as
 *    LF even when the document uses CRLF. Floats that overflow a double
 *    ("1e400") are refused rather than rounded to infinity. Fractional
 *    seconds beyond nanoseconds are truncated, as the spec allows.
 *
 * A parsed tree is immutable, so it may be read from several threads.
 */
#ifndef PE_TOML_H
#define PE_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum pe_toml_type {
  PE_TOML_STRING,
  PE_TOML_INTEGER,
  PE_TOML_FLOAT,
  PE_TOML_BOOL,
  PE_TOML_DATETIME,       /* offset date-time: 1979-05-27T07:32:00Z */
  PE_TOML_LOCAL_DATETIME, /* 1979-05-27T07:32:00 */
  PE_TOML_LOCAL_DATE,     /* 1979-05-27 */
  PE_TOML_LOCAL_TIME,     /* 07:32:00 */
  PE_TOML_ARRAY,
  PE_TOML_TABLE,
  PE_TOML_NONE, /* what pe_toml_type_of says for a missing (NULL) value */
} pe_toml_type;

/* The fields a value's type does not have are zero. */
typedef struct pe_toml_datetime {
  int year, month, day;
  int hour, minute, second;
  uint32_t nanosecond;
  int offset_minutes; /* east of UTC; 0 for "Z" */
} pe_toml_datetime;

typedef struct pe_toml_error {
  int line;      /* 1-based; 0 if the error has no position */
  int col;       /* 1-based, in characters (not bytes) */
  char msg[256]; /* plain message without the position, e.g. "duplicate key 'route'" */
} pe_toml_error;

typedef struct pe_toml_limits {
  size_t max_size;   /* bytes of input */
  int max_depth;     /* nesting of tables and arrays below the root */
  size_t max_values; /* keys and array items, tables included */
} pe_toml_limits;

/* What pe_toml_parse uses: 4 MiB, depth 128, 262144 values. */
#define PE_TOML_MAX_SIZE ((size_t)4 << 20)
#define PE_TOML_MAX_DEPTH 128
#define PE_TOML_MAX_VALUES ((size_t)1 << 18)

typedef struct pe_toml_value pe_toml_value;

/* Parses `len` bytes (no NUL terminator needed). Returns the root table, or
 * NULL with *err filled in (err may be NULL). */
pe_toml_value *pe_toml_parse(const char *text, size_t len, pe_toml_error *err);
/* Same with explicit limits; NULL limits means the defaults above. */
pe_toml_value *pe_toml_parse_limits(const char *text, size_t len, const pe_toml_limits *limits,
                                    pe_toml_error *err);
/* Frees a tree returned by the parser (only the root may be passed). */
void pe_toml_free(pe_toml_value *root);

pe_toml_type pe_toml_type_of(const pe_toml_value *v);
/* "string", "integer", "float", "boolean", "offset date-time", ..., "table" */
const char *pe_toml_type_name(pe_toml_type t);

/* Line of the value's first character (for a table defined by a [header],
 * the header's line; for a table made implicitly, the line that made it). */
int pe_toml_line(const pe_toml_value *v);
/* Line of the key (or [header]) that introduced the value; for array items
 * the item's own line; 0 for the root. */
int pe_toml_key_line(const pe_toml_value *v);

/* Entries of a table, items of an array, bytes of a string; else 0. */
size_t pe_toml_len(const pe_toml_value *v);

/* Tables. Lookups return NULL when the key is absent or v is not a table. */
const pe_toml_value *pe_toml_get(const pe_toml_value *table, const char *key);
const pe_toml_value *pe_toml_get_n(const pe_toml_value *table, const char *key, size_t keylen);
/* i-th key in document order (NUL-terminated; *keylen may be NULL). */
const char *pe_toml_key_at(const pe_toml_value *table, size_t i, size_t *keylen);
/* i-th value of a table (in the same order as pe_toml_key_at) or of an array. */
const pe_toml_value *pe_toml_at(const pe_toml_value *container, size_t i);

/* Scalars: true and *out set if v has exactly that type. */
bool pe_toml_string(const pe_toml_value *v, const char **s, size_t *len);
bool pe_toml_int(const pe_toml_value *v, int64_t *out);
bool pe_toml_float(const pe_toml_value *v, double *out);
bool pe_toml_bool(const pe_toml_value *v, bool *out);
/* Any of the four date/time types. */
bool pe_toml_datetime_of(const pe_toml_value *v, pe_toml_datetime *out);
/* The string as a C string, or NULL if v is not a string. */
const char *pe_toml_cstr(const pe_toml_value *v);

#endif /* PE_TOML_H */
