/*
 * wasi_fd.c -- descriptor-level calls: close, renumber, fdstat, prestat.
 *
 * Rights only ever shrink: fd_fdstat_set_rights refuses (ENOTCAPABLE) any bit
 * the descriptor does not already hold. fd_renumber moves an entry -- rights,
 * preopen name and all -- over another open one, closing that one first;
 * both must be open (EBADF otherwise), as preview1 requires. Closing a
 * preopen is allowed; its number then behaves like any closed fd.
 *
 * Flags: only APPEND and NONBLOCK can change on an open Linux descriptor
 * (F_SETFL ignores the sync flags), so asking to change SYNC, DSYNC or RSYNC
 * is ENOTSUP, as is changing anything on a descriptor shared with the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "pe_wasi_int.h"
#include "runtime/pe_rt.h"

static uint16_t fdflags_of(int fl) {
  uint16_t r = 0;
  if (fl & O_APPEND) r |= PE_WASI_FDFLAG_APPEND;
  if (fl & O_NONBLOCK) r |= PE_WASI_FDFLAG_NONBLOCK;
  if ((fl & O_SYNC) == O_SYNC)
    r |= PE_WASI_FDFLAG_SYNC;
  else if (fl & O_DSYNC)
    r |= PE_WASI_FDFLAG_DSYNC;
  return r;
}

static uint32_t current_flags(const pe_wasi_fd *f, uint16_t *out, int *host_fl) {
  if (f->kind != PE_WASI_FD_HOST) {
    *out = f->mem_flags;
    return PE_WASI_ESUCCESS;
  }
  int fl = fcntl(f->host_fd, F_GETFL);
  if (fl < 0) return pe_wasi_errno(errno);
  if (host_fl) *host_fl = fl;
  *out = fdflags_of(fl);
  return PE_WASI_ESUCCESS;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_fd_close(pe_wasi *w, uint32_t fd) {
  pe_rt_host_enter();
  pe_wasi_fd *f;
  uint32_t e = pe_wasi_fd_get(w, fd, 0, &f);
  if (e != PE_WASI_ESUCCESS) return e;
  if (fd < w->nbase) w->base_moved = true;
  pe_wasi_fd_release(f);
  return PE_WASI_ESUCCESS;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_fd_renumber(pe_wasi *w, uint32_t fd,
                                                                uint32_t to) {
  pe_rt_host_enter();
  pe_wasi_fd *from, *dst;
  uint32_t e = pe_wasi_fd_get(w, fd, 0, &from);
  if (e == PE_WASI_ESUCCESS) e = pe_wasi_fd_get(w, to, 0, &dst);
  if (e != PE_WASI_ESUCCESS) return e;
  if (fd == to) return PE_WASI_ESUCCESS;
  if (fd < w->nbase || to < w->nbase) w->base_moved = true;
  pe_wasi_fd_release(dst);
  *dst = *from;
  *from = (pe_wasi_fd){.kind = PE_WASI_FD_FREE, .host_fd = -1}; /* moved, not closed */
  return PE_WASI_ESUCCESS;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_fd_fdstat_get(pe_wasi *w, uint32_t fd,
                                                                  uint32_t stat_ptr) {
  pe_rt_host_enter();
  pe_wasi_fd *f;
  uint32_t e = pe_wasi_fd_get(w, fd, 0, &f);
  if (e != PE_WASI_ESUCCESS) return e;
  uint8_t *p = pe_wasi_mem(w, stat_ptr, PE_WASI_FDSTAT_SIZE);
  if (p == NULL) return PE_WASI_EFAULT;
  uint16_t flags = 0;
  e = current_flags(f, &flags, NULL);
  if (e != PE_WASI_ESUCCESS) return e;
  memset(p, 0, PE_WASI_FDSTAT_SIZE);
  p[PE_WASI_FDSTAT_FILETYPE] = f->filetype;
  pe_wasi_st16(p + PE_WASI_FDSTAT_FLAGS, flags);
  pe_wasi_st64(p + PE_WASI_FDSTAT_BASE, f->rights_base);
  pe_wasi_st64(p + PE_WASI_FDSTAT_INHERIT, f->rights_inheriting);
  return PE_WASI_ESUCCESS;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_fd_fdstat_set_flags(pe_wasi *w, uint32_t fd,
                                                                        uint32_t flags) {
  pe_rt_host_enter();
  pe_wasi_fd *f;
  uint32_t e = pe_wasi_fd_get(w, fd, PE_WASI_RIGHT_FD_FDSTAT_SET_FLAGS, &f);
  if (e != PE_WASI_ESUCCESS) return e;
  if (flags & ~PE_WASI_FDFLAGS_ALL) return PE_WASI_EINVAL;
  uint16_t cur = 0;
  int fl = 0;
  e = current_flags(f, &cur, &fl);
  if (e != PE_WASI_ESUCCESS) return e;
  const uint32_t changeable = PE_WASI_FDFLAG_APPEND | PE_WASI_FDFLAG_NONBLOCK;
  if ((flags & ~changeable) != (cur & ~changeable)) return PE_WASI_ENOTSUP;
  if (flags == cur) return PE_WASI_ESUCCESS;
  if (f->kind != PE_WASI_FD_HOST) {
    f->mem_flags = (uint16_t)flags;
    return PE_WASI_ESUCCESS;
  }
  if (f->shared) return PE_WASI_ENOTSUP;
  fl &= ~(O_APPEND | O_NONBLOCK);
  if (flags & PE_WASI_FDFLAG_APPEND) fl |= O_APPEND;
  if (flags & PE_WASI_FDFLAG_NONBLOCK) fl |= O_NONBLOCK;
  f->touched = true;
  if (fcntl(f->host_fd, F_SETFL, fl) != 0) return pe_wasi_errno(errno);
  return PE_WASI_ESUCCESS;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_fd_fdstat_set_rights(
    pe_wasi *w, uint32_t fd, uint64_t fs_rights_base, uint64_t fs_rights_inheriting) {
  pe_rt_host_enter();
  pe_wasi_fd *f;
  uint32_t e = pe_wasi_fd_get(w, fd, 0, &f);
  if (e != PE_WASI_ESUCCESS) return e;
  if ((fs_rights_base & ~f->rights_base) || (fs_rights_inheriting & ~f->rights_inheriting))
    return PE_WASI_ENOTCAPABLE;
  f->rights_base = fs_rights_base;
  f->rights_inheriting = fs_rights_inheriting;
  return PE_WASI_ESUCCESS;
}

static uint32_t preopen_get(pe_wasi *w, uint32_t fd, pe_wasi_fd **out) {
  uint32_t e = pe_wasi_fd_get(w, fd, 0, out);
  if (e != PE_WASI_ESUCCESS) return e;
  /* wasi-libc enumerates preopens from fd 3 until EBADF: any other error
   * would abort the guest at start-up. */
  return (*out)->preopen_name ? PE_WASI_ESUCCESS : PE_WASI_EBADF;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_fd_prestat_get(pe_wasi *w, uint32_t fd,
                                                                   uint32_t buf_ptr) {
  pe_rt_host_enter();
  pe_wasi_fd *f;
  uint32_t e = preopen_get(w, fd, &f);
  if (e != PE_WASI_ESUCCESS) return e;
  uint8_t *p = pe_wasi_mem(w, buf_ptr, PE_WASI_PRESTAT_SIZE);
  if (p == NULL) return PE_WASI_EFAULT;
  memset(p, 0, PE_WASI_PRESTAT_SIZE);
  p[0] = PE_WASI_PREOPEN_DIR;
  pe_wasi_st32(p + 4, f->preopen_name_len);
  return PE_WASI_ESUCCESS;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_fd_prestat_dir_name(pe_wasi *w, uint32_t fd,
                                                                        uint32_t path_ptr,
                                                                        uint32_t path_len) {
  pe_rt_host_enter();
  pe_wasi_fd *f;
  uint32_t e = preopen_get(w, fd, &f);
  if (e != PE_WASI_ESUCCESS) return e;
  if (path_len < f->preopen_name_len) return PE_WASI_ENAMETOOLONG;
  uint8_t *p = pe_wasi_mem(w, path_ptr, path_len);
  if (p == NULL) return PE_WASI_EFAULT;
  memcpy(p, f->preopen_name, f->preopen_name_len);
  return PE_WASI_ESUCCESS;
}
