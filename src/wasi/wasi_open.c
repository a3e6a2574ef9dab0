/*
 * wasi_open.c -- path_open.
 *
 * One openat2() call, confined beneath the directory descriptor, opens the
 * target; the kernel does the whole walk (see wasi_path.c).
 *
 * Rights: the new descriptor gets what was asked for, masked by the
 * directory's inheriting rights and then by what its file type can use.
 * Asking for more is not an error -- wasi-libc and the conformance suite
 * expect a silent mask -- but nothing beyond the parent's inheriting rights
 * is ever granted. The access mode follows the granted rights: write-class
 * rights open O_WRONLY/O_RDWR, so a descriptor from a read-only preopen can
 * only be a read-only host descriptor. Creating needs PATH_CREATE_FILE and
 * truncating PATH_FILESTAT_SET_SIZE on the directory. Write-class rights on
 * a directory are the kernel's EISDIR, as for open(dir, O_RDWR).
 *
 * Always opened O_NONBLOCK, and switched back afterwards unless the guest
 * asked for it, so that opening a FIFO can never block the host thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pe_wasi_int.h"
#include "runtime/pe_rt.h"

static int host_flags(uint32_t oflags, uint32_t fdflags, uint32_t dirflags, uint64_t base) {
  bool rd = (base & PE_WASI_RIGHTS_NEED_READ) != 0;
  bool wr = (base & PE_WASI_RIGHTS_NEED_WRITE) != 0;
  int fl = wr ? (rd ? O_RDWR : O_WRONLY) : O_RDONLY;
  fl |= O_NOCTTY | O_NONBLOCK;
  if (oflags & PE_WASI_O_CREAT) fl |= O_CREAT;
  if (oflags & PE_WASI_O_DIRECTORY) fl |= O_DIRECTORY;
  if (oflags & PE_WASI_O_EXCL) fl |= O_EXCL;
  if (oflags & PE_WASI_O_TRUNC) fl |= O_TRUNC;
  if (!(dirflags & PE_WASI_LOOKUP_SYMLINK_FOLLOW)) fl |= O_NOFOLLOW;
  if (fdflags & PE_WASI_FDFLAG_APPEND) fl |= O_APPEND;
  if (fdflags & PE_WASI_FDFLAG_DSYNC) fl |= O_DSYNC;
  if (fdflags & PE_WASI_FDFLAG_SYNC) fl |= O_SYNC;
  if (fdflags & PE_WASI_FDFLAG_RSYNC) fl |= O_RSYNC;
  return fl;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_path_open(pe_wasi *w, uint32_t fd,
                                                              uint32_t dirflags, uint32_t path_ptr,
                                                              uint32_t path_len, uint32_t oflags,
                                                              uint64_t fs_rights_base,
                                                              uint64_t fs_rights_inheriting,
                                                              uint32_t fdflags, uint32_t fd_ptr) {
  pe_rt_host_enter();
  uint64_t need = PE_WASI_RIGHT_PATH_OPEN;
  if (oflags & PE_WASI_O_CREAT) need |= PE_WASI_RIGHT_PATH_CREATE_FILE;
  if (oflags & PE_WASI_O_TRUNC) need |= PE_WASI_RIGHT_PATH_FILESTAT_SET_SIZE;
  pe_wasi_fd *dir;
  uint32_t e = pe_wasi_dir_get(w, fd, need, &dir);
  if (e != PE_WASI_ESUCCESS) return e;
  if ((dirflags & ~PE_WASI_LOOKUP_SYMLINK_FOLLOW) || (oflags & ~PE_WASI_OFLAGS_ALL) ||
      (fdflags & ~PE_WASI_FDFLAGS_ALL))
    return PE_WASI_EINVAL;
  uint8_t *out = pe_wasi_mem(w, fd_ptr, 4);
  if (out == NULL) return PE_WASI_EFAULT;
  pe_wasi_path p;
  e = pe_wasi_path_read(w, 0, path_ptr, path_len, &p);
  if (e != PE_WASI_ESUCCESS) return e;

  uint64_t base = fs_rights_base & dir->rights_inheriting;
  uint64_t inheriting = fs_rights_inheriting & dir->rights_inheriting;
  uint32_t slot;
  e = pe_wasi_fd_slot(w, &slot); /* fail before opening, not after */
  if (e != PE_WASI_ESUCCESS) return e;

  int h = pe_wasi_openat_beneath(dir->host_fd, p.full, host_flags(oflags, fdflags, dirflags, base),
                                 0666);
  if (h < 0) return pe_wasi_resolve_errno(errno);
  struct stat st;
  int fl = fcntl(h, F_GETFL);
  if (fstat(h, &st) != 0 || fl < 0 ||
      (!(fdflags & PE_WASI_FDFLAG_NONBLOCK) && fcntl(h, F_SETFL, fl & ~O_NONBLOCK) != 0)) {
    e = pe_wasi_errno(errno);
    close(h);
    return e;
  }
  uint8_t type = pe_wasi_filetype(st.st_mode);
  base &= type == PE_WASI_FILETYPE_DIRECTORY ? PE_WASI_RIGHTS_DIR_BASE : PE_WASI_RIGHTS_FILE_BASE;
  uint32_t newfd;
  e = pe_wasi_fd_install(w, h, type, base, inheriting, &newfd);
  if (e != PE_WASI_ESUCCESS) return e;
  pe_wasi_st32(out, newfd);
  return PE_WASI_ESUCCESS;
}
