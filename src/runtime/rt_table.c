/*
 * rt_table.c -- funcref and externref tables.
 *
 * Tables are plain heap arrays: call_indirect in generated code checks the
 * index against table.size and the signature against func_type before the
 * call, so the table itself needs no guard. Growth is bounded by the module's
 * maximum and by PE_RT_MAX_TABLE so that a guest cannot make the host
 * allocate without limit.
 */
#include <stdio.h>

#include "rt_internal.h"

#define PE_RT_MAX_TABLE (1u << 24)

static uint32_t table_limit(uint32_t max) { return max > PE_RT_MAX_TABLE ? PE_RT_MAX_TABLE : max; }

static void *alloc_elems(uint32_t n, size_t elem) {
  void *p = calloc(n ? n : 1, elem);
  if (!p) {
    fprintf(stderr, "pyedge: out of host memory for a table of %u elements\n", n);
    wasm_rt_trap(PE_RT_TRAP_HOST);
  }
  return p;
}

/* Shared growth step: returns the old size or UINT32_MAX, like table.grow. */
static uint32_t grow_elems(void **data, uint32_t *size, uint32_t max_size, uint32_t delta,
                           size_t elem, const void *init) {
  uint32_t old = *size;
  if (delta == 0) return old;
  uint32_t limit = table_limit(max_size);
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
  if (elements > table_limit(max_elements)) wasm_rt_trap(PE_RT_TRAP_MEMORY_LIMIT);
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
  uint32_t r = grow_elems(&data, &t->size, t->max_size, delta, sizeof *t->data, &init);
  t->data = data;
  return r;
}

void wasm_rt_allocate_externref_table(wasm_rt_externref_table_t *t, uint32_t elements,
                                      uint32_t max_elements) {
  if (elements > table_limit(max_elements)) wasm_rt_trap(PE_RT_TRAP_MEMORY_LIMIT);
  t->data = alloc_elems(elements, sizeof *t->data);
  t->size = elements;
  t->max_size = max_elements;
}

void wasm_rt_free_externref_table(wasm_rt_externref_table_t *t) {
  free(t->data);
  memset(t, 0, sizeof *t);
}

PE_RT_HOST_ENTRY uint32_t wasm_rt_grow_externref_table(wasm_rt_externref_table_t *t,
                                                       uint32_t delta, wasm_rt_externref_t init) {
  pe_rt_host_enter();
  void *data = t->data;
  uint32_t r = grow_elems(&data, &t->size, t->max_size, delta, sizeof *t->data, &init);
  t->data = data;
  return r;
}
