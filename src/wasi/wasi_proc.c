/*
 * wasi_proc.c -- proc_exit, proc_raise, sched_yield, random_get.
 *
 * proc_exit ends the running call through the runtime (pe_rt_exit), never
 * the host process. proc_raise is not offered: signals are the host's.
 * random_get fills the range from getrandom(2), looping over short reads.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/random.h>

#include "runtime/pe_rt.h"
#include "pe_wasi_int.h"

PE_RT_HOST_ENTRY void Z_wasi_snapshot_preview1Z_proc_exit(pe_wasi *w, uint32_t rval) {
  pe_rt_host_enter();
  (void)w;
  /* WASI's u32 reinterpreted as the int C's exit() took: exit(-1) in the
   * guest is -1 here, and the embedder decides how to report it. */
  int32_t code;
  memcpy(&code, &rval, sizeof code);
  pe_rt_exit(code);
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_proc_raise(pe_wasi *w, uint32_t sig) {
  pe_rt_host_enter();
  (void)w;
  (void)sig;
  return PE_WASI_ENOSYS;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_sched_yield(pe_wasi *w) {
  pe_rt_host_enter();
  (void)w;
  (void)sched_yield();
  return PE_WASI_ESUCCESS;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_random_get(pe_wasi *w, uint32_t buf_ptr,
                                                               uint32_t buf_len) {
  pe_rt_host_enter();
  uint8_t *p = pe_wasi_mem(w, buf_ptr, buf_len);
  if (p == NULL) return PE_WASI_EFAULT;
  size_t done = 0;
  while (done < buf_len) {
    ssize_t n = getrandom(p + done, buf_len - done, 0);
    if (n < 0) {
      if (errno != EINTR) return pe_wasi_errno(errno);
      pe_wasi_interrupted();
      continue;
    }
    done += (size_t)n;
  }
  return PE_WASI_ESUCCESS;
}
