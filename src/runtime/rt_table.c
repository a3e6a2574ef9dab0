/*
 * rt_table.c -- funcref and externref tables.
 *
 * Tables are plain heap arrays: call_indirect in generated code checks the
 * index against table.size and the signature against func_type before the
 * call, so the table itself needs no guard. Growth is bounded by the module's
 * maximum, by PE_RT_MAX_TABLE, and by the instance's memory limit (a table
 * may take at most as many bytes as linear memory may), so that a guest
 * cannot make the host allocate without limit.
 */
#include <stdio.h>

#include "rt_internal.h"

#define PE_RT_MAX_TABLE (1u << 24)

static uint32_t table_limit(uint32_t max) { return max > PE_RT_MAX_TABLE ? PE_RT_MAX_TABLE : max; }

/* Elements of `elem` bytes that fit in the host's memory limit (set around
 * instantiation), capped by the module's own maximum. */
static uint32_t host_table_limit(uint32_t max, size_t elem) {
  uint32_t limit = table_limit(max);
  uint32_t pages = pe_rt_tls.pending_max_pages;
  if (pages) {
    uint64_t fit = (uint64_t)pages * PE_RT_PAGE_SIZE / elem;
    if (fit < limit) limit = (uint32_t)fit;
  }
  return limit;
}

static void *alloc_elems(uint32_t n, size_t elem) {
  void *p = calloc(n ? n : 1, elem);
  if (!p) {
    fprintf(stderr, "pyedge: out of host memory for a table of %u elements\n", n);
    wasm_rt_trap(PE_RT_TRAP_HOST);
  }
  return p;
}

/* Shared growth step: returns the old size or UINT32_MAX, like table.grow. */
static uint32_t grow_elems(void **data, uint32_t *size, uint32_t limit, uint32_t delta, size_t elem,
                           const void *init) {
  uint32_t old = *size;
  if (delta == 0) return old;
  if (delta > limit || old > limit - delta) return UINT32_MAX;
  uint32_t n = old + delta;
  unsigned char *p = realloc(*data, (size_t)n * elem);
  if (!p) return UINT32_MAX;
  for (uint32_t i = old; i < n; i++) memcpy(p + (size_t)i * elem, init, elem);
  *data = p;
  *size = n;
  return old;
}

void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t *t, uint32_t elements,
                                    uint32_t max_elements) {
  t->limit = host_table_limit(max_elements, sizeof *t->data);
  if (elements > t->limit) wasm_rt_trap(PE_RT_TRAP_MEMORY_LIMIT);
  t->data = alloc_elems(elements, sizeof *t->data);
  t->size = elements;
  t->max_size = max_elements;
}

void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t *t) {
  free(t->data);
  memset(t, 0, sizeof *t);
}

/* Called by generated code (table.grow): see PE_RT_HOST_ENTRY. */
PE_RT_HOST_ENTRY uint32_t wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t *t, uint32_t delta,
                                                     wasm_rt_funcref_t init) {
  pe_rt_host_enter();
  void *data = t->data;
  uint32_t r = grow_elems(&data, &t->size, t->limit, delta, sizeof *t->data, &init);
  t->data = data;
  return r;
}

void wasm_rt_allocate_externref_table(wasm_rt_externref_table_t *t, uint32_t elements,
                                      uint32_t max_elements) {
  t->limit = host_table_limit(max_elements, sizeof *t->data);
  if (elements > t->limit) wasm_rt_trap(PE_RT_TRAP_MEMORY_LIMIT);
  t->data = alloc_elems(elements, sizeof *t->data);
  t->size = elements;
  t->max_size = max_elements;
}

void wasm_rt_free_externref_table(wasm_rt_externref_table_t *t) {
  free(t->data);
  memset(t, 0, sizeof *t);
}

PE_RT_HOST_ENTRY uint32_t wasm_rt_grow_externref_table(wasm_rt_externref_table_t *t, uint32_t delta,
                                                       wasm_rt_externref_t init) {
  pe_rt_host_enter();
  void *data = t->data;
  uint32_t r = grow_elems(&data, &t->size, t->limit, delta, sizeof *t->data, &init);
  t->data = data;
  return r;
}
