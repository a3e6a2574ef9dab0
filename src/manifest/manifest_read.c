/*
 * manifest_read.c -- typed readers from TOML values to model fields.
 *
 * Spin deserialises with serde and `deny_unknown_fields`; the equivalent
 * here is a reader per field type plus manifest_only_keys for the unknown
 * keys. Type errors point at the key's line (where the user will look) and
 * name the key, the table and the type found. Strings with U+0000 are
 * refused because the model hands out C strings.
 */
#include <stdio.h>
#include <string.h>

#include "manifest_int.h"

static const char *article(pe_toml_type t) {
  return t == PE_TOML_INTEGER || t == PE_TOML_ARRAY || t == PE_TOML_LOCAL_DATE ||
                 t == PE_TOML_LOCAL_DATETIME || t == PE_TOML_LOCAL_TIME || t == PE_TOML_DATETIME
             ? "an"
             : "a";
}

bool manifest_type_error(manifest_ctx *c, const pe_toml_value *v, const char *what, const char *key,
                         const char *ctx) {
  pe_toml_type t = pe_toml_type_of(v);
  return manifest_fail(c, pe_toml_key_line(v) ? pe_toml_key_line(v) : pe_toml_line(v),
                       "expected %s for '%s' in %s (found %s %s)", what, key, ctx, article(t),
                       pe_toml_type_name(t));
}

bool manifest_missing(manifest_ctx *c, const pe_toml_value *t, const char *key, const char *ctx) {
  return manifest_fail(c, pe_toml_line(t), "missing '%s' in %s", key, ctx);
}

bool manifest_only_keys(manifest_ctx *c, const pe_toml_value *t, const char *ctx,
                        const char *const *allowed) {
  for (size_t i = 0; i < pe_toml_len(t); i++) {
    size_t kl;
    const char *k = pe_toml_key_at(t, i, &kl);
    bool known = false;
    for (const char *const *a = allowed; *a && !known; a++)
      known = strlen(*a) == kl && memcmp(*a, k, kl) == 0;
    if (!known) {
      char name[96];
      manifest_key_text(k, kl, name, sizeof name);
      return manifest_fail(c, pe_toml_key_line(pe_toml_at(t, i)), "unknown key '%s' in %s", name,
                           ctx);
    }
  }
  return true;
}

bool manifest_as_string(manifest_ctx *c, const pe_toml_value *v, const char *key, const char *ctx,
                        const char **out) {
  const char *s;
  size_t len;
  if (!pe_toml_string(v, &s, &len)) return manifest_type_error(c, v, "a string", key, ctx);
  if (strlen(s) != len)
    return manifest_fail(c, pe_toml_line(v), "'%s' in %s contains a NUL character", key, ctx);
  *out = s;
  return true;
}

bool manifest_string(manifest_ctx *c, const pe_toml_value *t, const char *key, const char *ctx,
                     bool required, const char *dflt, const char **out) {
  const pe_toml_value *v = pe_toml_get(t, key);
  if (!v) {
    if (required) return manifest_missing(c, t, key, ctx);
    *out = dflt;
    return true;
  }
  return manifest_as_string(c, v, key, ctx, out);
}

bool manifest_bool(manifest_ctx *c, const pe_toml_value *t, const char *key, const char *ctx,
                   bool *out) {
  const pe_toml_value *v = pe_toml_get(t, key);
  if (!v) return true;
  if (!pe_toml_bool(v, out)) return manifest_type_error(c, v, "a boolean", key, ctx);
  return true;
}

bool manifest_as_list(manifest_ctx *c, const pe_toml_value *v, const char *key, const char *ctx,
                      pe_manifest_list *out) {
  if (pe_toml_type_of(v) != PE_TOML_ARRAY)
    return manifest_type_error(c, v, "an array of strings", key, ctx);
  size_t n = pe_toml_len(v);
  const char **items = manifest_alloc_array(c, n, sizeof *items);
  if (!items) return false;
  for (size_t i = 0; i < n; i++) {
    const pe_toml_value *item = pe_toml_at(v, i);
    if (pe_toml_type_of(item) != PE_TOML_STRING)
      return manifest_fail(c, pe_toml_line(item),
                           "expected an array of strings for '%s' in %s (item %zu is %s %s)", key,
                           ctx, i + 1, article(pe_toml_type_of(item)),
                           pe_toml_type_name(pe_toml_type_of(item)));
    if (!manifest_as_string(c, item, key, ctx, &items[i])) return false;
  }
  out->items = items;
  out->len = n;
  return true;
}

bool manifest_list(manifest_ctx *c, const pe_toml_value *t, const char *key, const char *ctx,
                   pe_manifest_list *out) {
  const pe_toml_value *v = pe_toml_get(t, key);
  if (!v) {
    out->items = NULL;
    out->len = 0;
    return true;
  }
  return manifest_as_list(c, v, key, ctx, out);
}

bool manifest_key(manifest_ctx *c, const pe_toml_value *t, size_t i, const char *ctx,
                  const char **out) {
  size_t kl;
  const char *k = pe_toml_key_at(t, i, &kl);
  if (strlen(k) != kl)
    return manifest_fail(c, pe_toml_key_line(pe_toml_at(t, i)),
                         "a key in %s contains a NUL character", ctx);
  *out = k;
  return true;
}

bool manifest_pairs(manifest_ctx *c, const pe_toml_value *t, const char *key, const char *ctx,
                    pe_manifest_pair **out, size_t *n) {
  *out = NULL;
  *n = 0;
  const pe_toml_value *v = pe_toml_get(t, key);
  if (!v) return true;
  if (pe_toml_type_of(v) != PE_TOML_TABLE)
    return manifest_type_error(c, v, "a table of strings", key, ctx);
  size_t len = pe_toml_len(v);
  pe_manifest_pair *pairs = manifest_alloc_array(c, len, sizeof *pairs);
  if (!pairs && len) return false;
  for (size_t i = 0; i < len; i++) {
    const pe_toml_value *item = pe_toml_at(v, i);
    if (!manifest_key(c, v, i, ctx, &pairs[i].key)) return false;
    char name[192];
    char kt[96];
    manifest_key_text(pairs[i].key, strlen(pairs[i].key), kt, sizeof kt);
    snprintf(name, sizeof name, "%s.%s", key, kt);
    if (!manifest_as_string(c, item, name, ctx, &pairs[i].value)) return false;
    pairs[i].line = pe_toml_key_line(item);
  }
  *out = pairs;
  *n = len;
  return true;
}

bool manifest_id_ok(const char *id, char delim, bool lower_only, char *why, size_t whylen) {
  char wrong = delim == '-' ? '_' : '-';
  if (!*id) return snprintf(why, whylen, "it is empty"), false;
  if (strchr(id, wrong))
    return snprintf(why, whylen, "words must be separated with '%c', not '%c'", delim, wrong),
           false;
  for (const char *w = id;;) {
    const char *end = strchr(w, delim);
    size_t n = end ? (size_t)(end - w) : strlen(w);
    if (n == 0)
      return snprintf(why, whylen, "'%c'-separated words must not be empty", delim), false;
    bool upper = w[0] >= 'A' && w[0] <= 'Z';
    if (!upper && !(w[0] >= 'a' && w[0] <= 'z'))
      return snprintf(why, whylen, "'%c'-separated words must start with an ASCII letter", delim),
             false;
    for (size_t i = 1; i < n; i++) {
      char ch = w[i];
      bool digit = ch >= '0' && ch <= '9', up = ch >= 'A' && ch <= 'Z',
           low = ch >= 'a' && ch <= 'z';
      if (digit) continue;
      if (!up && !low)
        return snprintf(why, whylen, "'%c'-separated words may only contain alphanumeric ASCII",
                        delim),
               false;
      if (up != upper)
        return snprintf(why, whylen, "'%c'-separated words must be all lowercase or all UPPERCASE",
                        delim),
               false;
    }
    if (lower_only && upper) return snprintf(why, whylen, "it must be all lowercase"), false;
    if (!end) return true;
    w = end + 1;
  }
}
