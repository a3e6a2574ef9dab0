/*
 * wasi_path_stat.c -- path calls that look at (or touch the times of) one
 * object: path_filestat_get, path_filestat_set_times, path_readlink.
 *
 * The object itself is opened O_PATH beneath the directory (with O_NOFOLLOW
 * unless the guest asked to follow), and the call then works on that
 * descriptor alone (fstat, utimensat/readlinkat with AT_EMPTY_PATH). O_PATH
 * needs no read permission and, with O_NOFOLLOW, yields the symlink itself,
 * so "stat the link" and "set the link's times" need no second lookup.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pe_wasi_int.h"
#include "runtime/pe_rt.h"

/* Opens the object `path` names beneath dir `fd`; -1 with *err set. */
static int open_object(pe_wasi *w, uint32_t fd, uint64_t right, uint32_t lookupflags,
                       uint32_t path_ptr, uint32_t path_len, uint32_t *err) {
  pe_wasi_fd *dir;
  *err = pe_wasi_dir_get(w, fd, right, &dir);
  if (*err != PE_WASI_ESUCCESS) return -1;
  if (lookupflags & ~PE_WASI_LOOKUP_SYMLINK_FOLLOW) {
    *err = PE_WASI_EINVAL;
    return -1;
  }
  pe_wasi_path p;
  *err = pe_wasi_path_read(w, 0, path_ptr, path_len, &p);
  if (*err != PE_WASI_ESUCCESS) return -1;
  int flags = O_PATH | ((lookupflags & PE_WASI_LOOKUP_SYMLINK_FOLLOW) ? 0 : O_NOFOLLOW);
  int o = pe_wasi_openat_beneath(dir->host_fd, p.full, flags, 0);
  if (o < 0) *err = pe_wasi_resolve_errno(errno);
  return o;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_path_filestat_get(pe_wasi *w, uint32_t fd,
                                                                      uint32_t flags,
                                                                      uint32_t path_ptr,
                                                                      uint32_t path_len,
                                                                      uint32_t buf_ptr) {
  pe_rt_host_enter();
  uint8_t *out = pe_wasi_mem(w, buf_ptr, PE_WASI_FILESTAT_SIZE);
  if (out == NULL) return PE_WASI_EFAULT;
  uint32_t e;
  int o = open_object(w, fd, PE_WASI_RIGHT_PATH_FILESTAT_GET, flags, path_ptr, path_len, &e);
  if (o < 0) return e;
  struct stat st;
  e = fstat(o, &st) == 0 ? PE_WASI_ESUCCESS : pe_wasi_errno(errno);
  close(o);
  if (e != PE_WASI_ESUCCESS) return e;
  pe_wasi_store_filestat(out, &st);
  return PE_WASI_ESUCCESS;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_path_filestat_set_times(
    pe_wasi *w, uint32_t fd, uint32_t flags, uint32_t path_ptr, uint32_t path_len, uint64_t atim,
    uint64_t mtim, uint32_t fst_flags) {
  pe_rt_host_enter();
  struct timespec ts[2];
  uint32_t e = pe_wasi_times(atim, mtim, fst_flags, ts);
  if (e != PE_WASI_ESUCCESS) return e;
  int o = open_object(w, fd, PE_WASI_RIGHT_PATH_FILESTAT_SET_TIMES, flags, path_ptr, path_len, &e);
  if (o < 0) return e;
  e = utimensat(o, "", ts, AT_EMPTY_PATH) == 0 ? PE_WASI_ESUCCESS : pe_wasi_errno(errno);
  close(o);
  return e;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_path_readlink(
    pe_wasi *w, uint32_t fd, uint32_t path_ptr, uint32_t path_len, uint32_t buf_ptr,
    uint32_t buf_len, uint32_t bufused_ptr) {
  pe_rt_host_enter();
  uint8_t *buf = pe_wasi_mem(w, buf_ptr, buf_len);
  uint8_t *used = pe_wasi_mem(w, bufused_ptr, 4);
  if (buf == NULL || used == NULL) return PE_WASI_EFAULT;
  uint32_t e;
  int o = open_object(w, fd, PE_WASI_RIGHT_PATH_READLINK, 0, path_ptr, path_len, &e);
  if (o < 0) return e;
  /* The target goes through the second path scratch buffer: it may be
   * longer than the guest's buffer, which then gets a truncated copy. */
  char *tmp = w->path[1];
  ssize_t n = readlinkat(o, "", tmp, PE_WASI_PATH_MAX + 1);
  int err = errno;
  close(o);
  /* With an empty path, a non-symlink is ENOENT; the object does exist. */
  if (n < 0) return err == ENOENT ? PE_WASI_EINVAL : pe_wasi_errno(err);
  size_t k = (size_t)n < buf_len ? (size_t)n : buf_len;
  memcpy(buf, tmp, k);
  pe_wasi_st32(used, (uint32_t)k);
  return PE_WASI_ESUCCESS;
}
