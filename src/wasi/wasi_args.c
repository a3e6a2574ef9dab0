/*
 * wasi_args.c -- args_* and environ_*: copies of strings packed at creation.
 *
 * Both destination ranges are validated before anything is written; the
 * pointers stored for the guest are buf + offset, which cannot wrap because
 * the whole buffer was just checked to lie below the memory size.
 */
#include <string.h>

#include "pe_wasi_int.h"
#include "runtime/pe_rt.h"

static uint32_t sizes(pe_wasi *w, const pe_wasi_strings *s, uint32_t count_ptr, uint32_t size_ptr) {
  uint8_t *c = pe_wasi_mem(w, count_ptr, 4);
  uint8_t *z = pe_wasi_mem(w, size_ptr, 4);
  if (c == NULL || z == NULL) return PE_WASI_EFAULT;
  pe_wasi_st32(c, s->count);
  pe_wasi_st32(z, s->size);
  return PE_WASI_ESUCCESS;
}

static uint32_t get(pe_wasi *w, const pe_wasi_strings *s, uint32_t vec_ptr, uint32_t buf_ptr) {
  uint8_t *vec = pe_wasi_mem(w, vec_ptr, (uint64_t)s->count * 4);
  uint8_t *buf = pe_wasi_mem(w, buf_ptr, s->size);
  if (vec == NULL || buf == NULL) return PE_WASI_EFAULT;
  if (s->size > 0) memcpy(buf, s->buf, s->size);
  for (uint32_t i = 0; i < s->count; i++)
    pe_wasi_st32(vec + 4 * (size_t)i, buf_ptr + s->offsets[i]);
  return PE_WASI_ESUCCESS;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_args_sizes_get(pe_wasi *w, uint32_t argc_ptr,
                                                                   uint32_t argv_buf_size_ptr) {
  pe_rt_host_enter();
  return sizes(w, &w->args, argc_ptr, argv_buf_size_ptr);
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_args_get(pe_wasi *w, uint32_t argv_ptr,
                                                             uint32_t argv_buf_ptr) {
  pe_rt_host_enter();
  return get(w, &w->args, argv_ptr, argv_buf_ptr);
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_environ_sizes_get(pe_wasi *w,
                                                                      uint32_t count_ptr,
                                                                      uint32_t buf_size_ptr) {
  pe_rt_host_enter();
  return sizes(w, &w->env, count_ptr, buf_size_ptr);
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_environ_get(pe_wasi *w, uint32_t environ_ptr,
                                                                uint32_t environ_buf_ptr) {
  pe_rt_host_enter();
  return get(w, &w->env, environ_ptr, environ_buf_ptr);
}
