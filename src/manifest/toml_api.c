/*
 * toml_api.c -- the read-only accessors of a parsed tree, and freeing it.
 *
 * Accessors never convert between types: a caller asking for an integer
 * gets false for a float or a string, so every type error can be reported
 * by the caller in its own words. All of them accept NULL and answer as if
 * for a missing value, which lets lookups be chained without checks.
 */
#include <stdlib.h>
#include <string.h>

#include "toml_int.h"

void pe_toml_free(pe_toml_value *root) {
  if (!root) return;
  /* root is the first member of its toml_doc */
  toml_doc *doc = (toml_doc *)root;
  toml_arena_free(&doc->arena);
  free(doc);
}

pe_toml_type pe_toml_type_of(const pe_toml_value *v) { return v ? v->type : PE_TOML_NONE; }

const char *pe_toml_type_name(pe_toml_type t) {
  switch (t) {
    case PE_TOML_STRING: return "string";
    case PE_TOML_INTEGER: return "integer";
    case PE_TOML_FLOAT: return "float";
    case PE_TOML_BOOL: return "boolean";
    case PE_TOML_DATETIME: return "offset date-time";
    case PE_TOML_LOCAL_DATETIME: return "local date-time";
    case PE_TOML_LOCAL_DATE: return "local date";
    case PE_TOML_LOCAL_TIME: return "local time";
    case PE_TOML_ARRAY: return "array";
    case PE_TOML_TABLE: return "table";
    case PE_TOML_NONE: return "nothing";
  }
  return "value";
}

int pe_toml_line(const pe_toml_value *v) { return v ? v->line : 0; }
int pe_toml_key_line(const pe_toml_value *v) { return v ? v->key_line : 0; }

size_t pe_toml_len(const pe_toml_value *v) {
  if (!v) return 0;
  switch (v->type) {
    case PE_TOML_TABLE: return v->u.tab.len;
    case PE_TOML_ARRAY: return v->u.arr.len;
    case PE_TOML_STRING: return v->u.str.len;
    default: return 0;
  }
}

const pe_toml_value *pe_toml_get_n(const pe_toml_value *table, const char *key, size_t keylen) {
  if (!key) return NULL;
  return toml_table_find(table, key, keylen);
}

const pe_toml_value *pe_toml_get(const pe_toml_value *table, const char *key) {
  return key ? pe_toml_get_n(table, key, strlen(key)) : NULL;
}

const char *pe_toml_key_at(const pe_toml_value *table, size_t i, size_t *keylen) {
  if (!table || table->type != PE_TOML_TABLE || i >= table->u.tab.len) return NULL;
  if (keylen) *keylen = table->u.tab.items[i].keylen;
  return table->u.tab.items[i].key;
}

const pe_toml_value *pe_toml_at(const pe_toml_value *c, size_t i) {
  if (!c) return NULL;
  if (c->type == PE_TOML_TABLE) return i < c->u.tab.len ? c->u.tab.items[i].val : NULL;
  if (c->type == PE_TOML_ARRAY) return i < c->u.arr.len ? c->u.arr.items[i] : NULL;
  return NULL;
}

bool pe_toml_string(const pe_toml_value *v, const char **s, size_t *len) {
  if (!v || v->type != PE_TOML_STRING) return false;
  if (s) *s = v->u.str.s;
  if (len) *len = v->u.str.len;
  return true;
}

const char *pe_toml_cstr(const pe_toml_value *v) {
  return v && v->type == PE_TOML_STRING ? v->u.str.s : NULL;
}

bool pe_toml_int(const pe_toml_value *v, int64_t *out) {
  if (!v || v->type != PE_TOML_INTEGER) return false;
  if (out) *out = v->u.i;
  return true;
}

bool pe_toml_float(const pe_toml_value *v, double *out) {
  if (!v || v->type != PE_TOML_FLOAT) return false;
  if (out) *out = v->u.f;
  return true;
}

bool pe_toml_bool(const pe_toml_value *v, bool *out) {
  if (!v || v->type != PE_TOML_BOOL) return false;
  if (out) *out = v->u.b;
  return true;
}

bool pe_toml_datetime_of(const pe_toml_value *v, pe_toml_datetime *out) {
  if (!v) return false;
  switch (v->type) {
    case PE_TOML_DATETIME:
    case PE_TOML_LOCAL_DATETIME:
    case PE_TOML_LOCAL_DATE:
    case PE_TOML_LOCAL_TIME:
      if (out) *out = v->u.dt;
      return true;
    default: return false;
  }
}
