/*
 * wasi_sock.c -- sock_accept, sock_recv, sock_send, sock_shutdown.
 *
 * pyedge offers the guest no sockets: preview1 cannot create them, and we
 * never hand any over (an inherited stdio socket is only read and written).
 * So an unknown fd is EBADF, an fd that is not a socket ENOTSOCK (what
 * wasi-libc's shutdown() on stdout expects), and a socket ENOTSUP.
 */
#include "pe_wasi_int.h"
#include "runtime/pe_rt.h"

static uint32_t no_sockets(pe_wasi *w, uint32_t fd) {
  pe_wasi_fd *f;
  uint32_t e = pe_wasi_fd_get(w, fd, 0, &f);
  if (e != PE_WASI_ESUCCESS) return e;
  if (f->filetype == PE_WASI_FILETYPE_SOCKET_STREAM || f->filetype == PE_WASI_FILETYPE_SOCKET_DGRAM)
    return PE_WASI_ENOTSUP;
  return PE_WASI_ENOTSOCK;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_sock_accept(pe_wasi *w, uint32_t fd,
                                                                uint32_t flags, uint32_t fd_ptr) {
  pe_rt_host_enter();
  (void)flags;
  (void)fd_ptr;
  return no_sockets(w, fd);
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_sock_recv(
    pe_wasi *w, uint32_t fd, uint32_t ri_data_ptr, uint32_t ri_data_len, uint32_t ri_flags,
    uint32_t ro_datalen_ptr, uint32_t ro_flags_ptr) {
  pe_rt_host_enter();
  (void)ri_data_ptr;
  (void)ri_data_len;
  (void)ri_flags;
  (void)ro_datalen_ptr;
  (void)ro_flags_ptr;
  return no_sockets(w, fd);
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_sock_send(pe_wasi *w, uint32_t fd,
                                                              uint32_t si_data_ptr,
                                                              uint32_t si_data_len,
                                                              uint32_t si_flags,
                                                              uint32_t so_datalen_ptr) {
  pe_rt_host_enter();
  (void)si_data_ptr;
  (void)si_data_len;
  (void)si_flags;
  (void)so_datalen_ptr;
  return no_sockets(w, fd);
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_sock_shutdown(pe_wasi *w, uint32_t fd,
                                                                  uint32_t how) {
  pe_rt_host_enter();
  (void)how;
  return no_sockets(w, fd);
}
