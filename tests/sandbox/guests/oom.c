/*
 * oom.c -- allocates until the memory limit says no.
 *
 * Run as: pyedge run --max-memory 32M oom.wasm. Mallocs (and touches) 1 MiB
 * blocks until malloc returns NULL, then grows memory page by page until
 * memory.grow returns -1, and exits 42 reporting how far it got: with the
 * limit at work, malloc fails after 24..31 MiB and memory ends at exactly
 * 512 pages (32 MiB).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The blocks are chained so that the compiler cannot drop the allocations. */
struct block {
  struct block *next;
  char fill[(1 << 20) - sizeof(struct block *)];
};
struct block *volatile head;

int main(void) {
  size_t mib = 0;
  for (;;) {
    struct block *b = malloc(sizeof *b);
    if (!b) break;
    memset(b->fill, 0x5A, sizeof b->fill);
    b->next = head;
    head = b;
    if (++mib > 8192) return 1;
  }
  /* Then page by page up to the limit, which must be exactly 32 MiB. */
  long pages_at_null = (long)__builtin_wasm_memory_size(0);
  while (__builtin_wasm_memory_grow(0, 1) != (size_t)-1) {
  }
  long pages = (long)__builtin_wasm_memory_size(0);
  long grow1 = (long)__builtin_wasm_memory_grow(0, 1);
  long grow_big = (long)__builtin_wasm_memory_grow(0, 65535);
  /* Small allocations still work (the heap is sane). */
  char *small = malloc(16);
  printf(
      "malloc NULL after %s MiB; grew page by page to %ld pages; then grow(1) %ld, "
      "grow(65535) %ld; small malloc %s\n",
      mib >= 24 && mib < 32 ? "24..31" : "UNEXPECTED", pages, grow1, grow_big,
      small ? "ok" : "NULL");
  if (mib < 24 || mib >= 32) printf("(got %zu MiB, %ld pages)\n", mib, pages_at_null);
  return 42;
}
