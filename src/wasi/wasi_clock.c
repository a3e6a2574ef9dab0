/*
 * wasi_clock.c -- clock_res_get, clock_time_get.
 *
 * The four preview1 clocks map to their Linux namesakes. The CPU-time clocks
 * measure the host process / the host thread, which may also run other
 * instances; that is what a guest asking for them gets. `precision` is a hint
 * and is ignored (the spec allows it).
 */
#include "pe_wasi_int.h"
#include "runtime/pe_rt.h"

bool pe_wasi_clock(uint32_t id, clockid_t *out) {
  switch (id) {
    case PE_WASI_CLOCK_REALTIME: *out = CLOCK_REALTIME; return true;
    case PE_WASI_CLOCK_MONOTONIC: *out = CLOCK_MONOTONIC; return true;
    case PE_WASI_CLOCK_PROCESS_CPUTIME_ID: *out = CLOCK_PROCESS_CPUTIME_ID; return true;
    case PE_WASI_CLOCK_THREAD_CPUTIME_ID: *out = CLOCK_THREAD_CPUTIME_ID; return true;
    default: return false;
  }
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_clock_res_get(pe_wasi *w, uint32_t clock_id,
                                                                  uint32_t resolution_ptr) {
  pe_rt_host_enter();
  clockid_t c;
  if (!pe_wasi_clock(clock_id, &c)) return PE_WASI_EINVAL;
  uint8_t *out = pe_wasi_mem(w, resolution_ptr, 8);
  if (out == NULL) return PE_WASI_EFAULT;
  struct timespec ts;
  if (clock_getres(c, &ts) != 0) return PE_WASI_EINVAL;
  uint64_t ns = pe_wasi_ns(&ts);
  pe_wasi_st64(out, ns ? ns : 1); /* a resolution of 0 would mean "none" */
  return PE_WASI_ESUCCESS;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_clock_time_get(pe_wasi *w, uint32_t clock_id,
                                                                   uint64_t precision,
                                                                   uint32_t time_ptr) {
  pe_rt_host_enter();
  (void)precision;
  clockid_t c;
  if (!pe_wasi_clock(clock_id, &c)) return PE_WASI_EINVAL;
  uint8_t *out = pe_wasi_mem(w, time_ptr, 8);
  if (out == NULL) return PE_WASI_EFAULT;
  struct timespec ts;
  if (clock_gettime(c, &ts) != 0) return PE_WASI_EINVAL;
  pe_wasi_st64(out, pe_wasi_ns(&ts));
  return PE_WASI_ESUCCESS;
}
