/*
 * wasi_fd_file.c -- calls on an open file's contents and metadata: seek,
 * tell, advise, allocate, sync, datasync, filestat get/set.
 *
 * Directories hold none of the rights these need except filestat get/set
 * times and the syncs, so seeking a directory (which on Linux would also
 * move its readdir position) is ENOTCAPABLE before any syscall. In-memory
 * stdio streams behave like pipes: ESPIPE for positions, an all-zero stat.
 *
 * Guest offsets are u64; anything above INT64_MAX cannot be a host off_t
 * and is EINVAL (EFBIG for sizes), never a silent negative.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pe_wasi_int.h"
#include "runtime/pe_rt.h"

static uint32_t host_file(pe_wasi *w, uint32_t fd, uint64_t rights, int *h) {
  pe_wasi_fd *f;
  uint32_t e = pe_wasi_fd_get(w, fd, rights, &f);
  if (e != PE_WASI_ESUCCESS) return e;
  if (f->kind != PE_WASI_FD_HOST) return PE_WASI_ESPIPE;
  if (f->filetype == PE_WASI_FILETYPE_DIRECTORY) return PE_WASI_EISDIR;
  *h = f->host_fd;
  return PE_WASI_ESUCCESS;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_fd_seek(pe_wasi *w, uint32_t fd,
                                                            uint64_t offset, uint32_t whence,
                                                            uint32_t newoffset_ptr) {
  pe_rt_host_enter();
  /* A pure query (0 from the current position) needs only FD_TELL. */
  uint64_t right = (offset == 0 && whence == PE_WASI_WHENCE_CUR) ? PE_WASI_RIGHT_FD_TELL
                                                                 : PE_WASI_RIGHT_FD_SEEK;
  int h;
  uint32_t e = host_file(w, fd, right, &h);
  if (e != PE_WASI_ESUCCESS) return e;
  int how;
  switch (whence) {
    case PE_WASI_WHENCE_SET: how = SEEK_SET; break;
    case PE_WASI_WHENCE_CUR: how = SEEK_CUR; break;
    case PE_WASI_WHENCE_END: how = SEEK_END; break;
    default: return PE_WASI_EINVAL;
  }
  uint8_t *out = pe_wasi_mem(w, newoffset_ptr, 8);
  if (out == NULL) return PE_WASI_EFAULT;
  int64_t delta; /* filedelta is s64 carried in a u64 */
  memcpy(&delta, &offset, sizeof delta);
  w->fds[fd].touched = true; /* host_file checked fd */
  off_t r = lseek(h, (off_t)delta, how);
  if (r < 0) return pe_wasi_errno(errno);
  pe_wasi_st64(out, (uint64_t)r);
  return PE_WASI_ESUCCESS;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_fd_tell(pe_wasi *w, uint32_t fd,
                                                            uint32_t offset_ptr) {
  pe_rt_host_enter();
  int h;
  uint32_t e = host_file(w, fd, PE_WASI_RIGHT_FD_TELL, &h);
  if (e != PE_WASI_ESUCCESS) return e;
  uint8_t *out = pe_wasi_mem(w, offset_ptr, 8);
  if (out == NULL) return PE_WASI_EFAULT;
  off_t r = lseek(h, 0, SEEK_CUR);
  if (r < 0) return pe_wasi_errno(errno);
  pe_wasi_st64(out, (uint64_t)r);
  return PE_WASI_ESUCCESS;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_fd_advise(pe_wasi *w, uint32_t fd,
                                                              uint64_t offset, uint64_t len,
                                                              uint32_t advice) {
  pe_rt_host_enter();
  int h;
  uint32_t e = host_file(w, fd, PE_WASI_RIGHT_FD_ADVISE, &h);
  if (e != PE_WASI_ESUCCESS) return e;
  int adv;
  switch (advice) {
    case PE_WASI_ADVICE_NORMAL: adv = POSIX_FADV_NORMAL; break;
    case PE_WASI_ADVICE_SEQUENTIAL: adv = POSIX_FADV_SEQUENTIAL; break;
    case PE_WASI_ADVICE_RANDOM: adv = POSIX_FADV_RANDOM; break;
    case PE_WASI_ADVICE_WILLNEED: adv = POSIX_FADV_WILLNEED; break;
    case PE_WASI_ADVICE_DONTNEED: adv = POSIX_FADV_DONTNEED; break;
    case PE_WASI_ADVICE_NOREUSE: adv = POSIX_FADV_NOREUSE; break;
    default: return PE_WASI_EINVAL;
  }
  if (offset > INT64_MAX || len > INT64_MAX) return PE_WASI_EINVAL;
  int r = posix_fadvise(h, (off_t)offset, (off_t)len, adv);
  return pe_wasi_errno(r); /* returns the error number itself */
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_fd_allocate(pe_wasi *w, uint32_t fd,
                                                                uint64_t offset, uint64_t len) {
  pe_rt_host_enter();
  int h;
  uint32_t e = host_file(w, fd, PE_WASI_RIGHT_FD_ALLOCATE, &h);
  if (e != PE_WASI_ESUCCESS) return e;
  if (offset > INT64_MAX || len > INT64_MAX - offset) return PE_WASI_EFBIG;
  /* fallocate(2), not posix_fallocate(3): glibc's fallback would write
   * zeros block by block for as long as the guest asked. */
  if (fallocate(h, 0, (off_t)offset, (off_t)len) != 0) return pe_wasi_errno(errno);
  return PE_WASI_ESUCCESS;
}

static uint32_t sync_fd(pe_wasi *w, uint32_t fd, uint64_t right, int (*fn)(int)) {
  pe_wasi_fd *f;
  uint32_t e = pe_wasi_fd_get(w, fd, right, &f);
  if (e != PE_WASI_ESUCCESS) return e;
  if (f->kind != PE_WASI_FD_HOST) return PE_WASI_ESUCCESS; /* nothing to flush */
  if (fn(f->host_fd) != 0) return pe_wasi_errno(errno);
  return PE_WASI_ESUCCESS;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_fd_sync(pe_wasi *w, uint32_t fd) {
  pe_rt_host_enter();
  return sync_fd(w, fd, PE_WASI_RIGHT_FD_SYNC, fsync);
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_fd_datasync(pe_wasi *w, uint32_t fd) {
  pe_rt_host_enter();
  return sync_fd(w, fd, PE_WASI_RIGHT_FD_DATASYNC, fdatasync);
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_fd_filestat_get(pe_wasi *w, uint32_t fd,
                                                                    uint32_t buf_ptr) {
  pe_rt_host_enter();
  pe_wasi_fd *f;
  uint32_t e = pe_wasi_fd_get(w, fd, PE_WASI_RIGHT_FD_FILESTAT_GET, &f);
  if (e != PE_WASI_ESUCCESS) return e;
  uint8_t *p = pe_wasi_mem(w, buf_ptr, PE_WASI_FILESTAT_SIZE);
  if (p == NULL) return PE_WASI_EFAULT;
  if (f->kind != PE_WASI_FD_HOST) {
    memset(p, 0, PE_WASI_FILESTAT_SIZE);
    p[16] = f->filetype;
    return PE_WASI_ESUCCESS;
  }
  struct stat st;
  if (fstat(f->host_fd, &st) != 0) return pe_wasi_errno(errno);
  pe_wasi_store_filestat(p, &st);
  return PE_WASI_ESUCCESS;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_fd_filestat_set_size(pe_wasi *w, uint32_t fd,
                                                                         uint64_t size) {
  pe_rt_host_enter();
  int h;
  uint32_t e = host_file(w, fd, PE_WASI_RIGHT_FD_FILESTAT_SET_SIZE, &h);
  if (e != PE_WASI_ESUCCESS) return e;
  if (size > INT64_MAX) return PE_WASI_EFBIG;
  if (ftruncate(h, (off_t)size) != 0) return pe_wasi_errno(errno);
  return PE_WASI_ESUCCESS;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_fd_filestat_set_times(pe_wasi *w, uint32_t fd,
                                                                          uint64_t atim,
                                                                          uint64_t mtim,
                                                                          uint32_t fst_flags) {
  pe_rt_host_enter();
  pe_wasi_fd *f;
  uint32_t e = pe_wasi_fd_get(w, fd, PE_WASI_RIGHT_FD_FILESTAT_SET_TIMES, &f);
  if (e != PE_WASI_ESUCCESS) return e;
  struct timespec ts[2];
  e = pe_wasi_times(atim, mtim, fst_flags, ts);
  if (e != PE_WASI_ESUCCESS) return e;
  if (f->kind != PE_WASI_FD_HOST) return PE_WASI_EBADF;
  if (futimens(f->host_fd, ts) != 0) return pe_wasi_errno(errno);
  return PE_WASI_ESUCCESS;
}
