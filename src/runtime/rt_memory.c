/*
 * rt_memory.c -- linear memory in a guarded reservation.
 *
 * Each memory reserves PE_RT_MEMORY_RESERVATION bytes of address space with
 * PROT_NONE and makes only [0, pages * 64 KiB) readable and writable. Because
 * generated code computes addresses as data + (u64)u32_index + u32_offset,
 * every access a guest can form lands inside the reservation, and any byte
 * past the live size faults; rt_thread.c turns that fault into an OOB trap.
 * The data pointer never moves, so grow is an mprotect, not a copy, and host
 * functions may keep using mem->data after the guest grows memory.
 *
 * The host's memory limit arrives through pe_rt_tls.pending_max_pages (set by
 * pe_instance_new around instantiation): wasm_rt_allocate_memory has no
 * parameter for it in the wasm2c interface.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>

#include "rt_internal.h"

/* 65536 pages would be 4 GiB, which does not fit wasm_rt_memory_t.size. */
#define PE_RT_MAX_PAGES 65535u

static uint32_t clamp_pages(uint32_t pages) {
  return pages > PE_RT_MAX_PAGES ? PE_RT_MAX_PAGES : pages;
}

void wasm_rt_allocate_memory(wasm_rt_memory_t *m, uint32_t initial_pages, uint32_t max_pages) {
  memset(m, 0, sizeof *m);
  uint32_t limit = clamp_pages(max_pages);
  uint32_t host_limit = pe_rt_tls.pending_max_pages;
  if (host_limit && host_limit < limit) limit = host_limit;
  if (initial_pages > limit) {
    fprintf(stderr, "pyedge: module needs %u pages of memory at start, limit is %u\n",
            initial_pages, limit);
    wasm_rt_trap(PE_RT_TRAP_MEMORY_LIMIT);
  }
  void *base = mmap(NULL, PE_RT_MEMORY_RESERVATION, PROT_NONE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) {
    fprintf(stderr, "pyedge: cannot reserve linear memory: %s\n", strerror(errno));
    wasm_rt_trap(PE_RT_TRAP_MEMORY_LIMIT);
  }
  uint64_t bytes = (uint64_t)initial_pages * PE_RT_PAGE_SIZE;
  if (bytes && mprotect(base, bytes, PROT_READ | PROT_WRITE) != 0) {
    munmap(base, PE_RT_MEMORY_RESERVATION);
    fprintf(stderr, "pyedge: cannot commit linear memory: %s\n", strerror(errno));
    wasm_rt_trap(PE_RT_TRAP_MEMORY_LIMIT);
  }
  m->data = base;
  m->pages = initial_pages;
  m->max_pages = limit;
  m->declared_max_pages = max_pages;
  m->size = (uint32_t)bytes;
  m->committed = bytes;
}

/* Called by generated code (memory.grow): see PE_RT_HOST_ENTRY. */
PE_RT_HOST_ENTRY uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *m, uint32_t delta) {
  pe_rt_host_enter();
  uint32_t old = m->pages;
  if (delta == 0) return old;
  if (delta > m->max_pages || old > m->max_pages - delta) return UINT32_MAX;
  /* the instances enclosing this call share the limit (service chaining) */
  if (pe_rt_tls.outer_pages + old + delta > m->max_pages) return UINT32_MAX;
  uint64_t new_bytes = (uint64_t)(old + delta) * PE_RT_PAGE_SIZE;
  if (new_bytes > m->committed) {
    if (mprotect(m->data + m->committed, new_bytes - m->committed, PROT_READ | PROT_WRITE) != 0)
      return UINT32_MAX;
    m->committed = new_bytes;
  }
  m->pages = old + delta;
  m->size = (uint32_t)new_bytes;
  return old;
}

void wasm_rt_free_memory(wasm_rt_memory_t *m) {
  if (m->data) munmap(m->data, PE_RT_MEMORY_RESERVATION);
  memset(m, 0, sizeof *m);
}
