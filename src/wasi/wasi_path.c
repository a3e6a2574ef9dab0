/*
 * wasi_path.c -- turning a guest path into host descriptors, confined.
 *
 * The kernel does all resolution: openat2(2) with RESOLVE_BENEATH refuses
 * (EXDEV) any walk that would leave the starting directory -- `..` above it,
 * an absolute path, a symlink whose target is absolute or climbs out -- and
 * RESOLVE_NO_MAGICLINKS refuses /proc-style links. Resolution and the use of
 * its result are one atomic step or are chained through descriptors, so
 * renaming directories underneath a running call cannot redirect it.
 *
 * Operations on a name (mkdir, unlink, rename, link, symlink) open the
 * parent this way and then use the *at() call with the last component
 * alone: one name, no slash, resolved by the kernel inside that parent
 * without following it, so it cannot escape either. Trailing slashes are
 * stripped from that component and their meaning ("must be a directory")
 * is applied by the callers, because a trailing slash would make some *at()
 * calls follow a final symlink outside openat2's confinement. A last
 * component of "." or ".." must never be given to an *at() call (".." of the
 * preopen itself lies outside); pe_wasi_path flags it.
 *
 * We never build host path strings: the guest's path is only interpreted
 * relative to a descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/pe_rt.h"
#include "pe_wasi_int.h"

uint32_t pe_wasi_path_read(pe_wasi *w, int slot, uint32_t ptr, uint32_t len, pe_wasi_path *p) {
  const uint8_t *src = pe_wasi_mem(w, ptr, len);
  if (src == NULL) return PE_WASI_EFAULT;
  if (len > PE_WASI_PATH_MAX) return PE_WASI_ENAMETOOLONG;
  if (memchr(src, 0, len) != NULL) return PE_WASI_EINVAL;
  if (len == 0) return PE_WASI_ENOENT;
  if (src[0] == '/') return PE_WASI_ENOTCAPABLE;

  char *full = w->path[slot];
  memcpy(full, src, len);
  full[len] = '\0';

  size_t n = len;
  while (n > 0 && full[n - 1] == '/') n--; /* n >= 1: full[0] is not '/' */
  p->trailing_slash = n < len;

  size_t cut = n; /* index of the last '/' before the last component, or n */
  for (size_t i = n; i-- > 0;) {
    if (full[i] == '/') {
      cut = i;
      break;
    }
  }
  /* parent and last are copied after the full path: both fit in
   * 2*PE_WASI_PATH_MAX + 8 bytes since together they are at most len + 1. */
  char *parent = full + len + 1;
  char *last;
  if (cut == n) {
    parent[0] = '.';
    parent[1] = '\0';
    last = parent + 2;
    memcpy(last, full, n);
    last[n] = '\0';
  } else {
    memcpy(parent, full, cut + 1); /* keep the slash: "a/" and "/"-free prefix */
    parent[cut + 1] = '\0';
    last = parent + cut + 2;
    memcpy(last, full + cut + 1, n - cut - 1);
    last[n - cut - 1] = '\0';
  }
  p->full = full;
  p->parent = parent;
  p->last = last;
  p->last_is_dot = strcmp(last, ".") == 0 || strcmp(last, "..") == 0;
  return PE_WASI_ESUCCESS;
}

uint32_t pe_wasi_dir_get(pe_wasi *w, uint32_t fd, uint64_t rights, pe_wasi_fd **out) {
  pe_wasi_fd *f;
  uint32_t e = pe_wasi_fd_get(w, fd, 0, &f);
  if (e != PE_WASI_ESUCCESS) return e;
  if (f->kind != PE_WASI_FD_HOST || f->filetype != PE_WASI_FILETYPE_DIRECTORY)
    return PE_WASI_ENOTDIR;
  if ((f->rights_base & rights) != rights) return PE_WASI_ENOTCAPABLE;
  *out = f;
  return PE_WASI_ESUCCESS;
}

#if defined(__SANITIZE_THREAD__)
/* ThreadSanitizer follows descriptors through its libc interceptors, and
 * neither this openat2 (a raw system call) nor libuv's closes (it closes
 * sockets with syscall(SYS_close)) pass through one: to TSan, the number
 * openat2 returns may still be a socket the loop thread used, and the
 * guest's later close of its own file a race with that thread. The kernel
 * hands out a number only once it is closed, so tell TSan the number starts
 * a new life here, as its open() interceptor does, without a race check. */
void AnnotateIgnoreWritesBegin(const char *file, int line);
void AnnotateIgnoreWritesEnd(const char *file, int line);
void __sanitizer_syscall_pre_impl_close(long fd);
static void tsan_new_descriptor(int fd) {
  AnnotateIgnoreWritesBegin(__FILE__, __LINE__);
  __sanitizer_syscall_pre_impl_close(fd);
  AnnotateIgnoreWritesEnd(__FILE__, __LINE__);
}
#else
static void tsan_new_descriptor(int fd) { (void)fd; }
#endif

int pe_wasi_openat_beneath(int dirfd, const char *path, int flags, unsigned mode) {
  struct open_how how = {
      .flags = (uint64_t)(unsigned)(flags | O_CLOEXEC),
      .mode = (flags & O_CREAT) ? mode : 0, /* openat2 rejects a mode without O_CREAT */
      .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
  };
  for (;;) {
    long r = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    if (r >= 0) {
      tsan_new_descriptor((int)r);
      return (int)r;
    }
    /* Callers may hold descriptors, so never trap from here: give up with
     * EINTR once the call must stop (opens rarely block: O_NONBLOCK/O_PATH). */
    if (errno != EINTR || pe_rt_should_stop()) return -1;
  }
}

int pe_wasi_open_parent(int dirfd, const pe_wasi_path *p, uint32_t *err) {
  int fd = pe_wasi_openat_beneath(dirfd, p->parent, O_PATH | O_DIRECTORY, 0);
  if (fd < 0) *err = pe_wasi_resolve_errno(errno);
  return fd;
}
