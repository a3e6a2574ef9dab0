/*
 * wasi_readdir.c -- fd_readdir.
 *
 * Cookies are the kernel's own directory offsets (getdents64 d_off, what
 * telldir/seekdir use): cookie 0 is the start, and an entry's d_next is the
 * d_off the kernel gave it, i.e. where reading resumes after it. Every call
 * seeks to its cookie, so calls are independent of each other and of the
 * descriptor's current position, and no state is kept between them.
 *
 * Output: entries back to back, each a 24-byte header (d_next u64, d_ino
 * u64, d_namlen u32, d_type u8, 3 bytes zero) followed by the name without a
 * NUL. When the buffer fills, the last entry is cut at the end of the buffer
 * and bufused == buf_len, which tells the guest to call again from the last
 * complete entry's d_next. "." and ".." are reported like any entry.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pe_wasi_int.h"
#include "runtime/pe_rt.h"

struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

static uint8_t type_of(int dirfd, const char *name, unsigned char d_type) {
  switch (d_type) {
    case DT_REG: return PE_WASI_FILETYPE_REGULAR_FILE;
    case DT_DIR: return PE_WASI_FILETYPE_DIRECTORY;
    case DT_LNK: return PE_WASI_FILETYPE_SYMBOLIC_LINK;
    case DT_CHR: return PE_WASI_FILETYPE_CHARACTER_DEVICE;
    case DT_BLK: return PE_WASI_FILETYPE_BLOCK_DEVICE;
    case DT_SOCK: return PE_WASI_FILETYPE_SOCKET_STREAM;
    case DT_FIFO: return PE_WASI_FILETYPE_UNKNOWN;
    default: {
      /* Some file systems do not fill d_type. The name comes from the
       * directory itself and is looked up without following. */
      struct stat st;
      if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return PE_WASI_FILETYPE_UNKNOWN;
      return pe_wasi_filetype(st.st_mode);
    }
  }
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_fd_readdir(pe_wasi *w, uint32_t fd,
                                                               uint32_t buf_ptr, uint32_t buf_len,
                                                               uint64_t cookie,
                                                               uint32_t bufused_ptr) {
  pe_rt_host_enter();
  pe_wasi_fd *f;
  uint32_t e = pe_wasi_fd_get(w, fd, PE_WASI_RIGHT_FD_READDIR, &f);
  if (e != PE_WASI_ESUCCESS) return e;
  if (f->kind != PE_WASI_FD_HOST || f->filetype != PE_WASI_FILETYPE_DIRECTORY)
    return PE_WASI_ENOTDIR;
  uint8_t *buf = pe_wasi_mem(w, buf_ptr, buf_len);
  uint8_t *used = pe_wasi_mem(w, bufused_ptr, 4);
  if (buf == NULL || used == NULL) return PE_WASI_EFAULT;
  if (cookie > INT64_MAX) return PE_WASI_EINVAL;
  f->touched = true;
  if (lseek(f->host_fd, (off_t)cookie, SEEK_SET) < 0) return pe_wasi_errno(errno);

  uint32_t pos = 0;
  while (pos < buf_len) {
    long n = syscall(SYS_getdents64, f->host_fd, w->dirent_buf, PE_WASI_DIRENT_SCRATCH);
    if (n < 0) {
      if (errno == EINTR) continue; /* not a blocking call: just retry */
      return pe_wasi_errno(errno);
    }
    if (n == 0) break; /* end of directory */
    for (long off = 0; off < n && pos < buf_len;) {
      struct linux_dirent64 d;
      memcpy(&d, w->dirent_buf + off, sizeof d);
      const char *name = (const char *)w->dirent_buf + off +
                         offsetof(struct linux_dirent64, d_name);
      size_t namlen = strlen(name); /* NUL-terminated within d_reclen */
      off += d.d_reclen;

      uint8_t hdr[PE_WASI_DIRENT_SIZE] = {0};
      pe_wasi_st64(hdr + 0, (uint64_t)d.d_off);
      pe_wasi_st64(hdr + 8, d.d_ino);
      pe_wasi_st32(hdr + 16, (uint32_t)namlen);
      hdr[20] = type_of(f->host_fd, name, d.d_type);

      uint32_t room = buf_len - pos;
      uint32_t k = room < PE_WASI_DIRENT_SIZE ? room : PE_WASI_DIRENT_SIZE;
      memcpy(buf + pos, hdr, k);
      pos += k;
      room -= k;
      k = room < namlen ? room : (uint32_t)namlen;
      memcpy(buf + pos, name, k);
      pos += k;
    }
  }
  pe_wasi_st32(used, pos);
  return PE_WASI_ESUCCESS;
}
