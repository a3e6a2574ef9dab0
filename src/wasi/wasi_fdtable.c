/*
 * wasi_fdtable.c -- the guest's descriptor table (layout in pe_wasi_int.h).
 *
 * A guest fd is only ever an index checked against PE_WASI_MAX_FDS and the
 * slot's kind; host descriptor numbers never reach the guest. Closing a slot
 * closes the owned host descriptor at once, so a reused index can never
 * reach the previous file.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pe_wasi_int.h"

uint32_t pe_wasi_fd_get(pe_wasi *w, uint32_t fd, uint64_t rights, pe_wasi_fd **out) {
  if (fd >= PE_WASI_MAX_FDS || w->fds[fd].kind == PE_WASI_FD_FREE) return PE_WASI_EBADF;
  pe_wasi_fd *f = &w->fds[fd];
  if ((f->rights_base & rights) != rights) return PE_WASI_ENOTCAPABLE;
  *out = f;
  return PE_WASI_ESUCCESS;
}

uint32_t pe_wasi_fd_slot(pe_wasi *w, uint32_t *fd) {
  for (uint32_t i = 0; i < PE_WASI_MAX_FDS; i++) {
    if (w->fds[i].kind == PE_WASI_FD_FREE) {
      *fd = i;
      if (w->fd_top <= i) w->fd_top = i + 1;
      return PE_WASI_ESUCCESS;
    }
  }
  return PE_WASI_EMFILE;
}

void pe_wasi_fd_release(pe_wasi_fd *f) {
  if (f->kind == PE_WASI_FD_HOST && f->host_fd >= 0) {
    /* Linux closes the descriptor even when close() reports EINTR or EIO;
     * retrying could close someone else's new descriptor. */
    (void)close(f->host_fd);
  }
  free(f->preopen_name);
  *f = (pe_wasi_fd){.kind = PE_WASI_FD_FREE, .host_fd = -1};
}

uint8_t pe_wasi_filetype(unsigned mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return PE_WASI_FILETYPE_REGULAR_FILE;
    case S_IFDIR: return PE_WASI_FILETYPE_DIRECTORY;
    case S_IFCHR: return PE_WASI_FILETYPE_CHARACTER_DEVICE;
    case S_IFBLK: return PE_WASI_FILETYPE_BLOCK_DEVICE;
    case S_IFLNK: return PE_WASI_FILETYPE_SYMBOLIC_LINK;
    case S_IFSOCK: return PE_WASI_FILETYPE_SOCKET_STREAM;
    default: return PE_WASI_FILETYPE_UNKNOWN; /* FIFOs too: preview1 has no type for them */
  }
}

uint32_t pe_wasi_fd_install(pe_wasi *w, int host_fd, uint8_t filetype, uint64_t base,
                            uint64_t inheriting, uint32_t *fd) {
  uint32_t slot;
  uint32_t e = pe_wasi_fd_slot(w, &slot);
  if (e != PE_WASI_ESUCCESS) {
    (void)close(host_fd);
    return e;
  }
  w->fds[slot] = (pe_wasi_fd){
      .kind = PE_WASI_FD_HOST,
      .filetype = filetype,
      .host_fd = host_fd,
      .rights_base = base,
      .rights_inheriting = inheriting,
  };
  *fd = slot;
  return PE_WASI_ESUCCESS;
}
