/*
 * wasi_path_ops.c -- path calls that create or remove a name:
 * path_create_directory, path_remove_directory, path_unlink_file,
 * path_symlink, path_link, path_rename.
 *
 * Each opens the parent directory beneath the guest's descriptor and then
 * calls mkdirat/unlinkat/symlinkat/linkat/renameat on that descriptor with
 * the bare last component (see wasi_path.c for why that cannot escape).
 * None of these *at() calls follows a final symlink, so e.g. unlinking a
 * symlink that points outside removes the link, nothing else.
 *
 * A last component of "." or ".." is never passed to the kernel: after
 * checking that the whole path stays beneath (else ENOTCAPABLE), the call
 * fails with the errno Linux gives for that operation on such a name.
 *
 * Trailing slashes ("must be a directory") are applied here, not by the
 * kernel, with an lstat of the last component in the parent.
 *
 * path_symlink refuses absolute targets (ENOTCAPABLE): they could never
 * resolve inside the sandbox. Relative targets that climb out may be
 * created; resolution beneath the preopen refuses to follow them.
 * path_link refuses LOOKUP_SYMLINK_FOLLOW (EINVAL), as wasmtime does: the
 * link is made to the name itself, never to where a symlink points.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pe_wasi_int.h"
#include "runtime/pe_rt.h"

typedef struct {
  pe_wasi_path p;
  int parent; /* O_PATH descriptor of the parent, or -1 */
} name;

/* Resolves the parent of the guest path at (ptr, len) beneath directory
 * `fd` (which must hold `right`). `dot_errno`: the answer when the last
 * component is "." or "..". */
static uint32_t name_open(pe_wasi *w, uint32_t fd, uint64_t right, int slot, uint32_t ptr,
                          uint32_t len, uint32_t dot_errno, name *n) {
  n->parent = -1;
  pe_wasi_fd *dir;
  uint32_t e = pe_wasi_dir_get(w, fd, right, &dir);
  if (e == PE_WASI_ESUCCESS) e = pe_wasi_path_read(w, slot, ptr, len, &n->p);
  if (e != PE_WASI_ESUCCESS) return e;
  if (n->p.last_is_dot) {
    int o = pe_wasi_openat_beneath(dir->host_fd, n->p.full, O_PATH, 0);
    if (o < 0) return pe_wasi_resolve_errno(errno);
    close(o);
    return dot_errno;
  }
  n->parent = pe_wasi_open_parent(dir->host_fd, &n->p, &e);
  return e;
}

static void name_close(name *n) {
  if (n->parent >= 0) close(n->parent);
  n->parent = -1;
}

/* lstat of the last component; PE_WASI_ESUCCESS or the mapped error. */
static uint32_t name_stat(const name *n, struct stat *st) {
  if (fstatat(n->parent, n->p.last, st, AT_SYMLINK_NOFOLLOW) != 0) return pe_wasi_errno(errno);
  return PE_WASI_ESUCCESS;
}

/* For a new name with a trailing slash (it cannot be created as a
 * directory by this call): ENOENT if absent, else EEXIST / ENOTDIR. */
static uint32_t new_name_with_slash(const name *n) {
  struct stat st;
  uint32_t e = name_stat(n, &st);
  if (e != PE_WASI_ESUCCESS) return e;
  return S_ISDIR(st.st_mode) ? PE_WASI_EEXIST : PE_WASI_ENOTDIR;
}

static uint32_t result(int r) { return r == 0 ? PE_WASI_ESUCCESS : pe_wasi_errno(errno); }

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_path_create_directory(pe_wasi *w, uint32_t fd,
                                                                          uint32_t path_ptr,
                                                                          uint32_t path_len) {
  pe_rt_host_enter();
  name n;
  uint32_t e = name_open(w, fd, PE_WASI_RIGHT_PATH_CREATE_DIRECTORY, 0, path_ptr, path_len,
                         PE_WASI_EEXIST, &n);
  if (e == PE_WASI_ESUCCESS) e = result(mkdirat(n.parent, n.p.last, 0777));
  name_close(&n);
  return e;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_path_remove_directory(pe_wasi *w, uint32_t fd,
                                                                          uint32_t path_ptr,
                                                                          uint32_t path_len) {
  pe_rt_host_enter();
  name n;
  uint32_t e = name_open(w, fd, PE_WASI_RIGHT_PATH_REMOVE_DIRECTORY, 0, path_ptr, path_len,
                         PE_WASI_EINVAL, &n);
  /* unlinkat(AT_REMOVEDIR) already demands a directory: a trailing slash
   * adds nothing. */
  if (e == PE_WASI_ESUCCESS) e = result(unlinkat(n.parent, n.p.last, AT_REMOVEDIR));
  name_close(&n);
  return e;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_path_unlink_file(pe_wasi *w, uint32_t fd,
                                                                     uint32_t path_ptr,
                                                                     uint32_t path_len) {
  pe_rt_host_enter();
  name n;
  uint32_t e =
      name_open(w, fd, PE_WASI_RIGHT_PATH_UNLINK_FILE, 0, path_ptr, path_len, PE_WASI_EISDIR, &n);
  if (e == PE_WASI_ESUCCESS) {
    if (n.p.trailing_slash) {
      struct stat st;
      e = name_stat(&n, &st);
      if (e == PE_WASI_ESUCCESS) e = S_ISDIR(st.st_mode) ? PE_WASI_EISDIR : PE_WASI_ENOTDIR;
    } else {
      e = result(unlinkat(n.parent, n.p.last, 0));
    }
  }
  name_close(&n);
  return e;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_path_symlink(pe_wasi *w, uint32_t old_path_ptr,
                                                                 uint32_t old_path_len, uint32_t fd,
                                                                 uint32_t new_path_ptr,
                                                                 uint32_t new_path_len) {
  pe_rt_host_enter();
  /* The target is only text stored in the link, but it gets the same checks
   * as a path (no NUL, not absolute, not over-long, not empty). */
  pe_wasi_path target;
  uint32_t e = pe_wasi_path_read(w, 1, old_path_ptr, old_path_len, &target);
  if (e != PE_WASI_ESUCCESS) return e;
  name n;
  e = name_open(w, fd, PE_WASI_RIGHT_PATH_SYMLINK, 0, new_path_ptr, new_path_len, PE_WASI_EEXIST,
                &n);
  if (e == PE_WASI_ESUCCESS)
    e = n.p.trailing_slash ? new_name_with_slash(&n)
                           : result(symlinkat(target.full, n.parent, n.p.last));
  name_close(&n);
  return e;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_path_link(
    pe_wasi *w, uint32_t old_fd, uint32_t old_flags, uint32_t old_path_ptr, uint32_t old_path_len,
    uint32_t new_fd, uint32_t new_path_ptr, uint32_t new_path_len) {
  pe_rt_host_enter();
  if (old_flags != 0) return PE_WASI_EINVAL;
  name src, dst;
  dst.parent = -1;
  uint32_t e = name_open(w, old_fd, PE_WASI_RIGHT_PATH_LINK_SOURCE, 0, old_path_ptr, old_path_len,
                         PE_WASI_EPERM, &src);
  if (e == PE_WASI_ESUCCESS)
    e = name_open(w, new_fd, PE_WASI_RIGHT_PATH_LINK_TARGET, 1, new_path_ptr, new_path_len,
                  PE_WASI_EEXIST, &dst);
  if (e == PE_WASI_ESUCCESS && src.p.trailing_slash) {
    struct stat st;
    e = name_stat(&src, &st);
    if (e == PE_WASI_ESUCCESS) e = S_ISDIR(st.st_mode) ? PE_WASI_EPERM : PE_WASI_ENOTDIR;
  }
  if (e == PE_WASI_ESUCCESS)
    e = dst.p.trailing_slash ? new_name_with_slash(&dst)
                             : result(linkat(src.parent, src.p.last, dst.parent, dst.p.last, 0));
  name_close(&src);
  name_close(&dst);
  return e;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_path_rename(
    pe_wasi *w, uint32_t fd, uint32_t old_path_ptr, uint32_t old_path_len, uint32_t new_fd,
    uint32_t new_path_ptr, uint32_t new_path_len) {
  pe_rt_host_enter();
  name src, dst;
  dst.parent = -1;
  uint32_t e = name_open(w, fd, PE_WASI_RIGHT_PATH_RENAME_SOURCE, 0, old_path_ptr, old_path_len,
                         PE_WASI_EBUSY, &src);
  if (e == PE_WASI_ESUCCESS)
    e = name_open(w, new_fd, PE_WASI_RIGHT_PATH_RENAME_TARGET, 1, new_path_ptr, new_path_len,
                  PE_WASI_EBUSY, &dst);
  if (e == PE_WASI_ESUCCESS && (src.p.trailing_slash || dst.p.trailing_slash)) {
    /* Either slash means the source must be a directory. */
    struct stat st;
    e = name_stat(&src, &st);
    if (e == PE_WASI_ESUCCESS && !S_ISDIR(st.st_mode)) e = PE_WASI_ENOTDIR;
  }
  if (e == PE_WASI_ESUCCESS) e = result(renameat(src.parent, src.p.last, dst.parent, dst.p.last));
  name_close(&src);
  name_close(&dst);
  return e;
}
