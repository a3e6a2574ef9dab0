/*
 * wasi_mem.c -- checked access to the guest's linear memory.
 *
 * Every (ptr, len) the guest passes is checked here with 64-bit arithmetic
 * against the memory's size *now* (memory grows between calls, so nothing is
 * cached). A range is good iff ptr + len <= size; a zero-length range at
 * ptr == size is good, one past it is not. Callers validate every range a
 * call touches before the first side effect, so a bad pointer yields EFAULT
 * with nothing done.
 */
#include "pe_wasi_int.h"

uint8_t *pe_wasi_mem(pe_wasi *w, uint32_t ptr, uint64_t len) {
  wasm_rt_memory_t *m = w->mem;
  if (m == NULL || m->data == NULL) return NULL;
  /* ptr < 2^32 and len < 2^64 - 2^32 here or the sum is already too big. */
  if (len > (uint64_t)m->size || (uint64_t)ptr > (uint64_t)m->size - len) return NULL;
  return m->data + ptr;
}

uint32_t pe_wasi_put32(pe_wasi *w, uint32_t ptr, uint32_t v) {
  uint8_t *p = pe_wasi_mem(w, ptr, 4);
  if (p == NULL) return PE_WASI_EFAULT;
  pe_wasi_st32(p, v);
  return PE_WASI_ESUCCESS;
}

uint32_t pe_wasi_put64(pe_wasi *w, uint32_t ptr, uint64_t v) {
  uint8_t *p = pe_wasi_mem(w, ptr, 8);
  if (p == NULL) return PE_WASI_EFAULT;
  pe_wasi_st64(p, v);
  return PE_WASI_ESUCCESS;
}

uint32_t pe_wasi_iovecs(pe_wasi *w, uint32_t iovs_ptr, uint32_t iovs_len, int *count,
                        uint64_t *total) {
  if (iovs_len > PE_WASI_IOV_MAX) return PE_WASI_EINVAL;
  const uint8_t *arr = pe_wasi_mem(w, iovs_ptr, (uint64_t)iovs_len * PE_WASI_IOVEC_SIZE);
  if (arr == NULL) return PE_WASI_EFAULT;
  uint64_t sum = 0;
  for (uint32_t i = 0; i < iovs_len; i++) {
    uint32_t buf = pe_wasi_ld32(arr + (size_t)i * PE_WASI_IOVEC_SIZE);
    uint32_t len = pe_wasi_ld32(arr + (size_t)i * PE_WASI_IOVEC_SIZE + 4);
    uint8_t *p = pe_wasi_mem(w, buf, len);
    if (p == NULL) return PE_WASI_EFAULT;
    sum += len;
    w->iov[i].iov_base = p;
    w->iov[i].iov_len = len;
  }
  if (sum > UINT32_MAX) return PE_WASI_EINVAL;
  *count = (int)iovs_len;
  *total = sum;
  return PE_WASI_ESUCCESS;
}
