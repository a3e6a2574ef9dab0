/*
 * toml_arena.c -- where a document's nodes live: a chunked arena, and the
 * growable tables and arrays built in it.
 *
 * Every node, key and string of one document comes from one arena, so a
 * tree is freed in one sweep and no partially built tree can leak when a
 * parse fails half-way. Growing an array or table copies it to a larger
 * block and abandons the old one; with doubling, the abandoned blocks add
 * up to less than the final size, which is a fair price for never freeing
 * individually.
 *
 * Tables are a vector of entries in document order plus, once they hold
 * more than a few keys, an open-addressing hash index over that vector, so
 * a hostile document with many keys in one table costs O(n), not O(n^2).
 */
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "toml_int.h"

#define CHUNK_BYTES ((size_t)64 * 1024)
#define INDEX_FROM 8 /* tables with fewer entries are searched linearly */

struct toml_chunk {
  toml_chunk *next;
  size_t used, cap;
  max_align_t data[];
};

void *toml_alloc(toml_arena *a, size_t n) {
  const size_t align = alignof(max_align_t);
  if (n == 0) n = 1;
  if (n > SIZE_MAX - align) return NULL;
  n = (n + align - 1) / align * align;
  toml_chunk *c = a->head;
  if (c && c->cap - c->used >= n) {
    void *p = (char *)c->data + c->used;
    c->used += n;
    return p;
  }
  size_t cap = n > CHUNK_BYTES / 4 ? n : CHUNK_BYTES;
  if (cap > SIZE_MAX - sizeof(toml_chunk)) return NULL;
  toml_chunk *nc = calloc(1, sizeof(toml_chunk) + cap);
  if (!nc) return NULL;
  nc->cap = cap;
  nc->used = n;
  if (c && cap != CHUNK_BYTES) {
    /* a big block gets its own chunk behind the head, which keeps its room */
    nc->next = c->next;
    c->next = nc;
  } else {
    nc->next = c;
    a->head = nc;
  }
  return nc->data;
}

void toml_arena_free(toml_arena *a) {
  toml_chunk *c = a->head;
  while (c) {
    toml_chunk *next = c->next;
    free(c);
    c = next;
  }
  a->head = NULL;
}

pe_toml_value *toml_new_value(toml_parser *p, pe_toml_type t, int depth, size_t pos) {
  bool container = t == PE_TOML_TABLE || t == PE_TOML_ARRAY;
  if (container && depth > p->lim.max_depth)
    return toml_fail(p, pos, "nesting too deep (limit %d)", p->lim.max_depth), NULL;
  if (p->nvalues >= p->lim.max_values)
    return toml_fail(p, pos, "too many values (limit %zu)", p->lim.max_values), NULL;
  pe_toml_value *v = toml_alloc(p->arena, sizeof *v);
  if (!v) return toml_fail(p, pos, "out of memory"), NULL;
  p->nvalues++;
  v->type = t;
  v->depth = depth;
  v->line = v->key_line = toml_line_at(p, pos);
  return v;
}

static uint32_t hash_key(const char *key, size_t len) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (size_t i = 0; i < len; i++) {
    h ^= (unsigned char)key[i];
    h *= 16777619u;
  }
  return h;
}

static bool same_key(const toml_entry *e, const char *key, size_t len) {
  /* an empty key may come with a NULL pointer */
  return e->keylen == len && (len == 0 || memcmp(e->key, key, len) == 0);
}

pe_toml_value *toml_table_find(const pe_toml_value *t, const char *key, size_t keylen) {
  if (!t || t->type != PE_TOML_TABLE) return NULL;
  if (!t->u.tab.index) {
    for (size_t i = 0; i < t->u.tab.len; i++)
      if (same_key(&t->u.tab.items[i], key, keylen)) return t->u.tab.items[i].val;
    return NULL;
  }
  size_t mask = t->u.tab.index_cap - 1;
  for (size_t s = hash_key(key, keylen) & mask;; s = (s + 1) & mask) {
    uint32_t slot = t->u.tab.index[s];
    if (!slot) return NULL;
    const toml_entry *e = &t->u.tab.items[slot - 1];
    if (same_key(e, key, keylen)) return e->val;
  }
}

static void index_put(uint32_t *index, size_t cap, const toml_entry *items, uint32_t i) {
  size_t mask = cap - 1;
  size_t s = hash_key(items[i].key, items[i].keylen) & mask;
  while (index[s]) s = (s + 1) & mask;
  index[s] = i + 1;
}

/* Keeps the index at most half full. */
static bool reindex(toml_parser *p, pe_toml_value *t, size_t want_len) {
  if (want_len < INDEX_FROM) return true;
  if (t->u.tab.index && want_len * 2 <= t->u.tab.index_cap) return true;
  size_t cap = t->u.tab.index_cap ? t->u.tab.index_cap : 32;
  while (want_len * 2 > cap) {
    if (cap > SIZE_MAX / 2 / sizeof(uint32_t)) return false;
    cap *= 2;
  }
  uint32_t *index = toml_alloc(p->arena, cap * sizeof *index);
  if (!index) return false;
  for (size_t i = 0; i < t->u.tab.len; i++) index_put(index, cap, t->u.tab.items, (uint32_t)i);
  t->u.tab.index = index;
  t->u.tab.index_cap = cap;
  return true;
}

/* Grows a vector of `size`-byte elements to hold one more. */
static bool grow(toml_parser *p, void **items, size_t len, size_t *cap, size_t size) {
  if (len < *cap) return true;
  size_t ncap = *cap ? *cap * 2 : 4;
  if (ncap > SIZE_MAX / size || ncap > UINT32_MAX - 1) return false;
  void *n = toml_alloc(p->arena, ncap * size);
  if (!n) return false;
  if (len) memcpy(n, *items, len * size);
  *items = n;
  *cap = ncap;
  return true;
}

bool toml_table_add(toml_parser *p, pe_toml_value *t, const char *key, size_t keylen,
                    pe_toml_value *v) {
  void *items = t->u.tab.items;
  if (!grow(p, &items, t->u.tab.len, &t->u.tab.cap, sizeof(toml_entry)) ||
      !reindex(p, t, t->u.tab.len + 1))
    return toml_fail(p, p->pos, "out of memory");
  t->u.tab.items = items;
  size_t i = t->u.tab.len++;
  t->u.tab.items[i] = (toml_entry){key, keylen, v};
  if (t->u.tab.index) index_put(t->u.tab.index, t->u.tab.index_cap, t->u.tab.items, (uint32_t)i);
  return true;
}

bool toml_array_push(toml_parser *p, pe_toml_value *a, pe_toml_value *v) {
  void *items = a->u.arr.items;
  if (!grow(p, &items, a->u.arr.len, &a->u.arr.cap, sizeof(pe_toml_value *)))
    return toml_fail(p, p->pos, "out of memory");
  a->u.arr.items = items;
  a->u.arr.items[a->u.arr.len++] = v;
  return true;
}
