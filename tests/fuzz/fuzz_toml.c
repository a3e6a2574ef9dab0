/*
 * fuzz_toml.c -- the TOML 1.0 parser (src/manifest/toml_*.c) on any bytes:
 * spin.toml and the runtime config file are written by people and tools
 * pyedge does not control.
 *
 * The input is the document. It is parsed with the default limits and
 * again with small ones (depth 4, 64 values). Each parse either returns a
 * tree whose every value can be walked through the public API (strings
 * NUL-terminated at their length, keys found again by name, lines
 * positive) or an error with a position. Limits only ever refuse: when the
 * small-limit parse accepts, the default one accepts the very same tree.
 */
#include "fuzz_common.h"
#include "manifest/pe_toml.h"
#include "util/pe_util.h"

/* Walks v into a canonical text (types, keys, scalars, lines). */
static void walk(const pe_toml_value *v, int depth, pe_buf *out) {
  FZ_CHECK(depth <= PE_TOML_MAX_DEPTH + 1);
  pe_toml_type t = pe_toml_type_of(v);
  FZ_CHECK(t != PE_TOML_NONE);
  FZ_CHECK(pe_toml_line(v) >= 1);
  FZ_CHECK(
      pe_buf_printf(out, "%s@%d:%d ", pe_toml_type_name(t), pe_toml_line(v), pe_toml_key_line(v)));
  switch (t) {
    case PE_TOML_TABLE:
    case PE_TOML_ARRAY: {
      size_t n = pe_toml_len(v);
      FZ_CHECK(pe_buf_printf(out, "%zu{", n));
      for (size_t i = 0; i < n; i++) {
        if (t == PE_TOML_TABLE) {
          size_t kl;
          const char *k = pe_toml_key_at(v, i, &kl);
          FZ_CHECK(k && k[kl] == 0);
          FZ_CHECK(pe_toml_get_n(v, k, kl) == pe_toml_at(v, i));
          FZ_CHECK(pe_buf_printf(out, "%zu:", kl) && pe_buf_append(out, k, kl));
        }
        walk(pe_toml_at(v, i), depth + 1, out);
      }
      FZ_CHECK(pe_toml_at(v, n) == NULL);
      FZ_CHECK(pe_buf_puts(out, "}"));
      break;
    }
    case PE_TOML_STRING: {
      const char *s;
      size_t len;
      FZ_CHECK(pe_toml_string(v, &s, &len) && s[len] == 0 && pe_toml_len(v) == len);
      FZ_CHECK(pe_buf_printf(out, "%zu:", len) && pe_buf_append(out, s, len));
      FZ_CHECK(pe_toml_cstr(v) == s);
      break;
    }
    case PE_TOML_INTEGER: {
      int64_t i;
      FZ_CHECK(pe_toml_int(v, &i) && pe_buf_printf(out, "%lld", (long long)i));
      break;
    }
    case PE_TOML_FLOAT: {
      double d;
      FZ_CHECK(pe_toml_float(v, &d));
      uint64_t bits;
      memcpy(&bits, &d, 8);
      FZ_CHECK(pe_buf_printf(out, "%016llx", (unsigned long long)bits));
      break;
    }
    case PE_TOML_BOOL: {
      bool b;
      FZ_CHECK(pe_toml_bool(v, &b) && pe_buf_puts(out, b ? "true" : "false"));
      break;
    }
    default: {
      pe_toml_datetime dt;
      FZ_CHECK(pe_toml_datetime_of(v, &dt));
      FZ_CHECK(dt.month >= 0 && dt.month <= 12 && dt.day >= 0 && dt.day <= 31);
      FZ_CHECK(dt.hour >= 0 && dt.hour <= 23 && dt.minute >= 0 && dt.minute <= 59);
      FZ_CHECK(dt.second >= 0 && dt.second <= 60 && dt.nanosecond < 1000000000u);
      FZ_CHECK(pe_buf_printf(out, "%d-%d-%dT%d:%d:%d.%u%+d", dt.year, dt.month, dt.day, dt.hour,
                             dt.minute, dt.second, dt.nanosecond, dt.offset_minutes));
    }
  }
  /* typed getters refuse other types */
  if (t != PE_TOML_STRING) FZ_CHECK(pe_toml_cstr(v) == NULL);
  int64_t i;
  if (t != PE_TOML_INTEGER) FZ_CHECK(!pe_toml_int(v, &i));
}

static pe_toml_value *parse(const char *doc, size_t n, const pe_toml_limits *lim, pe_buf *tree) {
  pe_toml_error err;
  memset(&err, 0, sizeof err);
  pe_toml_value *root = pe_toml_parse_limits(doc, n, lim, &err);
  if (root) {
    FZ_CHECK(pe_toml_type_of(root) == PE_TOML_TABLE && pe_toml_key_line(root) == 0);
    walk(root, 0, tree);
  } else {
    FZ_CHECK(err.msg[0] != 0 && memchr(err.msg, 0, sizeof err.msg));
    FZ_CHECK(err.line >= 0 && err.col >= 0);
    if (err.line) FZ_CHECK(err.col >= 1);
  }
  return root;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *doc = (char *)fz_dup(data, size); /* exact size: no terminator to lean on */
  pe_buf full = {0}, small = {0};
  pe_toml_value *a = parse(doc, size, NULL, &full);
  const pe_toml_limits lim = {.max_size = 1 << 20, .max_depth = 4, .max_values = 64};
  pe_toml_value *b = parse(doc, size, &lim, &small);
  if (b) {
    FZ_CHECK(a != NULL);
    FZ_CHECK(full.len == small.len && memcmp(full.data, small.data, full.len) == 0);
  }
  pe_toml_free(a);
  pe_toml_free(b);
  pe_buf_free(&full);
  pe_buf_free(&small);
  free(doc);
  return 0;
}
