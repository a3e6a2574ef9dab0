/*
 * pe_wasi_int.h -- the WASI context's insides, shared by the files of src/wasi only.
 *
 * Descriptor table: a fixed array of PE_WASI_MAX_FDS slots allocated with the
 * context, so an entry's address never changes while a call runs (no
 * realloc behind a pointer). A guest fd is an index; a free slot has kind
 * PE_WASI_FD_FREE. New descriptors take the lowest free index, like POSIX.
 *
 * Entries are either a host descriptor that the context owns (files,
 * directories, duplicates of the host's stdio) or an in-memory stream
 * (captured output, a discarding sink, a stdin byte buffer).
 *
 * Calls may end by longjmp (pe_rt_trap when a deadline passes inside a
 * blocking syscall), so blocking code holds no temporary allocation or
 * descriptor: it uses the scratch buffers kept here instead.
 */
#ifndef PE_WASI_INT_H
#define PE_WASI_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <time.h>

#include "pe_wasi.h"
#include "pe_wasi_abi.h"
#include "pe_wasi_defs.h"

#define PE_WASI_MAX_FDS 1024u  /* per context; beyond: EMFILE */
#define PE_WASI_IOV_MAX 1024u  /* iovecs per call; beyond: EINVAL */
#define PE_WASI_PATH_MAX 4096u /* bytes of a guest path; beyond: ENAMETOOLONG */
#define PE_WASI_POLL_MAX 4096u /* subscriptions per poll_oneoff; beyond: EINVAL */
#define PE_WASI_DIRENT_SCRATCH 32768u

typedef enum {
  PE_WASI_FD_FREE = 0,
  PE_WASI_FD_HOST,    /* host_fd, owned */
  PE_WASI_FD_CAPTURE, /* appends to w->capture[stream] */
  PE_WASI_FD_SINK,    /* writes are dropped, reads see EOF */
  PE_WASI_FD_STDIN    /* reads w->stdin_buf */
} pe_wasi_fd_kind;

typedef struct pe_wasi_fd {
  pe_wasi_fd_kind kind;
  uint8_t filetype;   /* PE_WASI_FILETYPE_* */
  bool shared;        /* host_fd shares its open file description with the
                            host process (inherited stdio): flags are frozen */
  uint16_t mem_flags; /* fdflags of in-memory streams */
  int host_fd;        /* PE_WASI_FD_HOST */
  int stream;         /* PE_WASI_FD_CAPTURE: 0 stdout, 1 stderr */
  uint64_t rights_base, rights_inheriting;
  char *preopen_name; /* non-NULL: a preopen, under this guest name */
  uint32_t preopen_name_len;
  bool touched; /* the open file description's own state (offset,
                            status flags) was changed: see pe_wasi_reset */
} pe_wasi_fd;

typedef struct {
  uint8_t *data;
  size_t len, cap, limit;
  bool truncated;
  uint64_t dropped; /* bytes written past the limit (or lost to memory) */
} pe_wasi_capture;

/* NUL-terminated strings packed back to back, as args_get wants them. */
typedef struct {
  char *buf;
  uint32_t *offsets;
  uint32_t count, size;
} pe_wasi_strings;

struct Z_wasi_snapshot_preview1_instance_t {
  wasm_rt_memory_t *mem;
  void *host_data;
  pe_wasi_strings args, env;
  pe_wasi_fd *fds;  /* PE_WASI_MAX_FDS slots */
  uint32_t fd_top;  /* slots at and above it have never been used */
  uint32_t nbase;   /* stdio and preopens: the slots a new context has */
  pe_wasi_fd *base; /* those slots as made, for pe_wasi_reset */
  bool base_moved;  /* one of them was closed or renumbered */
  pe_wasi_capture capture[2];
  uint8_t *stdin_buf;
  size_t stdin_len, stdin_pos;
  /* scratch, see above */
  /* per path argument: the whole path, then the parent and last component */
  char path[2][2 * PE_WASI_PATH_MAX + 8];
  struct iovec iov[PE_WASI_IOV_MAX];
  uint8_t *dirent_buf; /* PE_WASI_DIRENT_SCRATCH bytes */
  void *poll_scratch;  /* allocated on first poll_oneoff */
};

/* --- guest memory (wasi_mem.c) ---------------------------------------- */

/* Host address of guest [ptr, ptr+len), or NULL if any byte is outside the
 * current memory (or no memory is attached). len 0 is valid up to mem->size. */
uint8_t *pe_wasi_mem(pe_wasi *w, uint32_t ptr, uint64_t len);

static inline uint16_t pe_wasi_ld16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t pe_wasi_ld32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t pe_wasi_ld64(const uint8_t *p) {
  return (uint64_t)pe_wasi_ld32(p) | (uint64_t)pe_wasi_ld32(p + 4) << 32;
}
static inline void pe_wasi_st16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static inline void pe_wasi_st32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void pe_wasi_st64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
/* Stores to a guest u32/u64 if it fits; EFAULT otherwise. */
uint32_t pe_wasi_put32(pe_wasi *w, uint32_t ptr, uint32_t v);
uint32_t pe_wasi_put64(pe_wasi *w, uint32_t ptr, uint64_t v);

/* Gathers a guest iovec array into w->iov. *total: sum of lengths. EINVAL
 * for more than PE_WASI_IOV_MAX entries or a total over UINT32_MAX (it could
 * not be reported), EFAULT for any entry or buffer outside memory. */
uint32_t pe_wasi_iovecs(pe_wasi *w, uint32_t iovs_ptr, uint32_t iovs_len, int *count,
                        uint64_t *total);

/* --- errors (wasi_errno.c) --------------------------------------------- */

uint32_t pe_wasi_errno(int host_errno);
/* For errors of path resolution: EXDEV there means "would leave the
 * directory", i.e. ENOTCAPABLE; everything else maps as usual. */
uint32_t pe_wasi_resolve_errno(int host_errno);
/* After a syscall failed with EINTR: traps (does not return) if the running
 * call must stop, otherwise returns so the caller retries. */
void pe_wasi_interrupted(void);

/* --- descriptor table (wasi_fdtable.c) ---------------------------------- */

/* The open entry `fd` if it holds all of `rights`: EBADF if not open,
 * ENOTCAPABLE if a right is missing. */
uint32_t pe_wasi_fd_get(pe_wasi *w, uint32_t fd, uint64_t rights, pe_wasi_fd **out);
/* Lowest free index, or EMFILE. Marks nothing: fill the slot before the next
 * call to pe_wasi_fd_slot. */
uint32_t pe_wasi_fd_slot(pe_wasi *w, uint32_t *fd);
/* Closes the entry's host descriptor (if owned) and frees the slot. */
void pe_wasi_fd_release(pe_wasi_fd *f);
/* WASI filetype of a host file mode. */
uint8_t pe_wasi_filetype(unsigned mode);
/* Installs an owned host descriptor at the lowest free index. On failure the
 * host descriptor is closed. */
uint32_t pe_wasi_fd_install(pe_wasi *w, int host_fd, uint8_t filetype, uint64_t base,
                            uint64_t inheriting, uint32_t *fd);

/* --- paths (wasi_path.c) ----------------------------------------------- */

/* A guest path copied into w->path[slot] and split for *at() calls. */
typedef struct {
  const char *full;   /* the whole path, NUL-terminated */
  const char *parent; /* all but the last component ("." if none) */
  const char *last;   /* the last component, without trailing slashes */
  bool trailing_slash;
  bool last_is_dot; /* last is "." or "..": no *at() call may use it */
} pe_wasi_path;

/* Copies and validates a guest path: EFAULT, ENAMETOOLONG (> PE_WASI_PATH_MAX),
 * EINVAL (NUL byte), ENOENT (empty), ENOTCAPABLE (absolute). */
uint32_t pe_wasi_path_read(pe_wasi *w, int slot, uint32_t ptr, uint32_t len, pe_wasi_path *p);
/* The directory entry `fd` for a path operation needing `rights`: ENOTDIR if
 * it is not a directory. */
uint32_t pe_wasi_dir_get(pe_wasi *w, uint32_t fd, uint64_t rights, pe_wasi_fd **out);
/* openat2(dirfd, path, flags, mode) confined beneath dirfd. Returns the host
 * descriptor or -1 with errno set. */
int pe_wasi_openat_beneath(int dirfd, const char *path, int flags, unsigned mode);
/* Opens p->parent beneath dirfd as an O_PATH directory. -1: *err is set. */
int pe_wasi_open_parent(int dirfd, const pe_wasi_path *p, uint32_t *err);

/* --- in-memory streams (wasi_stdio.c) ----------------------------------- */

/* Sets up fds 0-2 from the config. */
uint32_t pe_wasi_stdio_init(pe_wasi *w, const pe_wasi_config *cfg, char *err, size_t errlen);
/* Appends to a capture buffer, dropping what exceeds its limit. */
void pe_wasi_capture_append(pe_wasi_capture *c, const uint8_t *data, size_t len);

/* --- stat helpers (wasi_stat.c) ----------------------------------------- */

struct stat;
/* Writes a WASI filestat for `st` at guest `ptr` (already validated). */
void pe_wasi_store_filestat(uint8_t *p, const struct stat *st);
/* Nanoseconds since the epoch of a host time (0 before 1970, saturating). */
uint64_t pe_wasi_ns(const struct timespec *ts);
/* The host clock for a WASI clock id; false for an unknown id. */
bool pe_wasi_clock(uint32_t id, clockid_t *out);
/* Converts fstflags and times to a utimensat() pair; EINVAL on bad flags. */
uint32_t pe_wasi_times(uint64_t atim, uint64_t mtim, uint32_t fst_flags, struct timespec ts[2]);

#endif /* PE_WASI_INT_H */
