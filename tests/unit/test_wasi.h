/*
 * test_wasi.h -- fixture shared by the tests/unit/test_wasi_*.c programs.
 *
 * Each test gets a fresh temporary tree and a WASI context over it, and
 * drives the Z_wasi_snapshot_preview1Z_* functions directly, exactly as
 * generated module code would, with a fake linear memory (calloc'd pages in
 * a wasm_rt_memory_t). Guest data is placed by a bump allocator.
 *
 *   <tmp>/sb/            preopen fd 3, guest name "sb", read-write
 *         file.txt       "hello world"
 *         dir/nested.txt "nested"
 *   <tmp>/ro/            preopen fd 4, guest name "ro", read-only
 *         data.txt       "read only data"
 *         sub/x          "x"
 *   <tmp>/outside/       not preopened
 *         secret         "TOP SECRET"
 *
 * Tests add whatever symlinks they attack with. Everything is removed at
 * teardown (with the host's own tools: the tree may hold hostile links).
 */
#ifndef TEST_WASI_H
#define TEST_WASI_H

#include "pe_test.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi/pe_wasi.h"
#include "wasi/pe_wasi_abi.h"
#include "wasi/pe_wasi_defs.h"

#define TW_PAGES 16u
#define TW_MEM_SIZE (TW_PAGES * 65536u)
#define TW_HEAP 4096u /* guest addresses below this are left for tests */

typedef struct {
  pe_wasi *w;
  wasm_rt_memory_t mem;
  uint32_t brk; /* bump allocator in guest memory */
  char root[64];
  char sb[80];
  char ro[80];
  char outside[80];
} tw;

enum { TW_SB = 3, TW_RO = 4 };

static inline void tw_write_file(const char *path, const char *data) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(data, f);
  fclose(f);
}

static inline char *tw_path(tw *t, const char *rel) {
  static char buf[PATH_MAX];
  snprintf(buf, sizeof buf, "%s/%s", t->root, rel);
  return buf;
}

static inline bool tw_exists(tw *t, const char *rel) {
  struct stat st;
  return lstat(tw_path(t, rel), &st) == 0;
}

static inline char *tw_slurp(tw *t, const char *rel) {
  static char buf[4096];
  FILE *f = fopen(tw_path(t, rel), "r");
  if (!f) return NULL;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = 0;
  fclose(f);
  return buf;
}

static inline pe_wasi *tw_new_ctx(tw *t, pe_wasi_config *cfg) {
  char err[512];
  pe_wasi *w = pe_wasi_new(cfg, err, sizeof err);
  if (!w) fprintf(stderr, "pe_wasi_new: %s\n", err);
  assert_non_null(w);
  pe_wasi_attach_memory(w, &t->mem);
  return w;
}

static inline void tw_default_config(tw *t, pe_wasi_config *cfg, pe_wasi_preopen po[2]) {
  po[0] = (pe_wasi_preopen){.host_path = t->sb, .guest_path = "sb"};
  po[1] = (pe_wasi_preopen){.host_path = t->ro, .guest_path = "ro", .read_only = true};
  static const char *const argv[] = {"prog", "arg1", "x y"};
  static const char *const envp[] = {"HOME=/sb", "EMPTY="};
  memset(cfg, 0, sizeof *cfg);
  cfg->argc = 3;
  cfg->argv = argv;
  cfg->envc = 2;
  cfg->envp = envp;
  cfg->npreopens = 2;
  cfg->preopens = po;
  cfg->stdout_mode = PE_WASI_STDIO_CAPTURE;
  cfg->stderr_mode = PE_WASI_STDIO_CAPTURE;
  cfg->stdin_null = true;
}

static inline int tw_setup(void **state) {
  tw *t = calloc(1, sizeof *t);
  assert_non_null(t);
  strcpy(t->root, "/tmp/pe_wasi_test.XXXXXX");
  assert_non_null(mkdtemp(t->root));
  snprintf(t->sb, sizeof t->sb, "%s/sb", t->root);
  snprintf(t->ro, sizeof t->ro, "%s/ro", t->root);
  snprintf(t->outside, sizeof t->outside, "%s/outside", t->root);
  assert_int_equal(mkdir(t->sb, 0777), 0);
  assert_int_equal(mkdir(t->ro, 0777), 0);
  assert_int_equal(mkdir(t->outside, 0777), 0);
  assert_int_equal(mkdir(tw_path(t, "sb/dir"), 0777), 0);
  assert_int_equal(mkdir(tw_path(t, "ro/sub"), 0777), 0);
  tw_write_file(tw_path(t, "sb/file.txt"), "hello world");
  tw_write_file(tw_path(t, "sb/dir/nested.txt"), "nested");
  tw_write_file(tw_path(t, "ro/data.txt"), "read only data");
  tw_write_file(tw_path(t, "ro/sub/x"), "x");
  tw_write_file(tw_path(t, "outside/secret"), "TOP SECRET");

  t->mem.data = calloc(1, TW_MEM_SIZE);
  assert_non_null(t->mem.data);
  t->mem.pages = TW_PAGES;
  t->mem.max_pages = TW_PAGES;
  t->mem.size = TW_MEM_SIZE;
  t->brk = TW_HEAP;

  pe_wasi_config cfg;
  pe_wasi_preopen po[2];
  tw_default_config(t, &cfg, po);
  t->w = tw_new_ctx(t, &cfg);
  *state = t;
  return 0;
}

static inline int tw_teardown(void **state) {
  tw *t = *state;
  pe_wasi_free(t->w);
  free(t->mem.data);
  char cmd[256];
  /* The tree is ours (mkdtemp); make everything writable so rm succeeds. */
  snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", t->root, t->root);
  if (system(cmd) != 0) fprintf(stderr, "cleanup of %s failed\n", t->root);
  free(t);
  return 0;
}

/* --- guest memory --- */

static inline uint32_t tw_alloc(tw *t, uint32_t n) {
  uint32_t p = t->brk;
  t->brk += (n + 7u) & ~7u;
  assert_true(t->brk <= TW_MEM_SIZE);
  return p;
}

static inline uint8_t *tw_at(tw *t, uint32_t p) { return t->mem.data + p; }

/* Copies a string (no NUL) into guest memory; returns its address. */
static inline uint32_t tw_str(tw *t, const char *s) {
  uint32_t n = (uint32_t)strlen(s);
  uint32_t p = tw_alloc(t, n + 1);
  memcpy(tw_at(t, p), s, n);
  return p;
}

static inline uint32_t tw_u32(tw *t, uint32_t p) {
  uint32_t v;
  memcpy(&v, tw_at(t, p), 4);
  return v;
}

static inline uint16_t tw_u16(tw *t, uint32_t p) {
  uint16_t v;
  memcpy(&v, tw_at(t, p), 2);
  return v;
}

static inline uint64_t tw_u64(tw *t, uint32_t p) {
  uint64_t v;
  memcpy(&v, tw_at(t, p), 8);
  return v;
}

static inline void tw_set32(tw *t, uint32_t p, uint32_t v) { memcpy(tw_at(t, p), &v, 4); }
static inline void tw_set64(tw *t, uint32_t p, uint64_t v) { memcpy(tw_at(t, p), &v, 8); }

/* One iovec {buf, len} in guest memory; returns the iovec array address. */
static inline uint32_t tw_iov(tw *t, uint32_t buf, uint32_t len) {
  uint32_t p = tw_alloc(t, 8);
  tw_set32(t, p, buf);
  tw_set32(t, p + 4, len);
  return p;
}

/* --- call wrappers --- */

#define TW_ALL_RIGHTS (((uint64_t)1 << 30) - 1)

static inline uint32_t tw_open(tw *t, uint32_t dirfd, uint32_t lookup, const char *path,
                               uint32_t oflags, uint64_t base, uint64_t inh, uint32_t fdflags,
                               uint32_t *fd) {
  uint32_t p = tw_str(t, path);
  uint32_t out = tw_alloc(t, 4);
  tw_set32(t, out, 0xdeadbeef);
  uint32_t e = Z_wasi_snapshot_preview1Z_path_open(t->w, dirfd, lookup, p, (uint32_t)strlen(path),
                                                   oflags, base, inh, fdflags, out);
  if (fd) *fd = e == 0 ? tw_u32(t, out) : UINT32_MAX;
  if (e != 0) assert_int_equal(tw_u32(t, out), 0xdeadbeef); /* untouched on error */
  return e;
}

/* Opens with every right (masked by the directory) and SYMLINK_FOLLOW. */
static inline uint32_t tw_open_simple(tw *t, uint32_t dirfd, const char *path, uint32_t oflags,
                                      uint32_t *fd) {
  return tw_open(t, dirfd, PE_WASI_LOOKUP_SYMLINK_FOLLOW, path, oflags, TW_ALL_RIGHTS,
                 TW_ALL_RIGHTS, 0, fd);
}

static inline uint32_t tw_write(tw *t, uint32_t fd, const char *data, uint32_t *n) {
  uint32_t len = (uint32_t)strlen(data);
  uint32_t buf = tw_alloc(t, len + 1);
  memcpy(tw_at(t, buf), data, len);
  uint32_t iov = tw_iov(t, buf, len);
  uint32_t out = tw_alloc(t, 4);
  uint32_t e = Z_wasi_snapshot_preview1Z_fd_write(t->w, fd, iov, 1, out);
  if (n) *n = e == 0 ? tw_u32(t, out) : 0;
  return e;
}

/* Reads up to cap bytes; returns the errno, the data NUL-terminated in out. */
static inline uint32_t tw_read(tw *t, uint32_t fd, uint32_t cap, char *out) {
  uint32_t buf = tw_alloc(t, cap);
  uint32_t iov = tw_iov(t, buf, cap);
  uint32_t nptr = tw_alloc(t, 4);
  uint32_t e = Z_wasi_snapshot_preview1Z_fd_read(t->w, fd, iov, 1, nptr);
  if (out) {
    uint32_t n = e == 0 ? tw_u32(t, nptr) : 0;
    memcpy(out, tw_at(t, buf), n);
    out[n] = 0;
  }
  return e;
}

#define TW_PATH_CALL(fn, t, fd, path) \
  Z_wasi_snapshot_preview1Z_##fn((t)->w, (fd), tw_str((t), (path)), (uint32_t)strlen(path))

static inline uint32_t tw_mkdir(tw *t, uint32_t fd, const char *path) {
  return TW_PATH_CALL(path_create_directory, t, fd, path);
}
static inline uint32_t tw_rmdir(tw *t, uint32_t fd, const char *path) {
  return TW_PATH_CALL(path_remove_directory, t, fd, path);
}
static inline uint32_t tw_unlink(tw *t, uint32_t fd, const char *path) {
  return TW_PATH_CALL(path_unlink_file, t, fd, path);
}
static inline uint32_t tw_symlink(tw *t, const char *target, uint32_t fd, const char *path) {
  return Z_wasi_snapshot_preview1Z_path_symlink(t->w, tw_str(t, target), (uint32_t)strlen(target),
                                                fd, tw_str(t, path), (uint32_t)strlen(path));
}
static inline uint32_t tw_link(tw *t, uint32_t ofd, uint32_t flags, const char *from, uint32_t nfd,
                               const char *to) {
  return Z_wasi_snapshot_preview1Z_path_link(t->w, ofd, flags, tw_str(t, from),
                                             (uint32_t)strlen(from), nfd, tw_str(t, to),
                                             (uint32_t)strlen(to));
}
static inline uint32_t tw_rename(tw *t, uint32_t ofd, const char *from, uint32_t nfd,
                                 const char *to) {
  return Z_wasi_snapshot_preview1Z_path_rename(t->w, ofd, tw_str(t, from), (uint32_t)strlen(from),
                                               nfd, tw_str(t, to), (uint32_t)strlen(to));
}
/* path_filestat_get; *type gets the filetype, *size the size. */
static inline uint32_t tw_stat(tw *t, uint32_t fd, uint32_t lookup, const char *path, uint8_t *type,
                               uint64_t *size) {
  uint32_t buf = tw_alloc(t, 64);
  uint32_t e = Z_wasi_snapshot_preview1Z_path_filestat_get(t->w, fd, lookup, tw_str(t, path),
                                                           (uint32_t)strlen(path), buf);
  if (e == 0) {
    if (type) *type = tw_at(t, buf)[16];
    if (size) *size = tw_u64(t, buf + 32);
  }
  return e;
}
static inline uint32_t tw_readlink(tw *t, uint32_t fd, const char *path, char *out, uint32_t cap) {
  uint32_t buf = tw_alloc(t, cap + 1);
  uint32_t used = tw_alloc(t, 4);
  uint32_t e = Z_wasi_snapshot_preview1Z_path_readlink(t->w, fd, tw_str(t, path),
                                                       (uint32_t)strlen(path), buf, cap, used);
  if (e == 0 && out) {
    uint32_t n = tw_u32(t, used);
    memcpy(out, tw_at(t, buf), n);
    out[n] = 0;
  }
  return e;
}
/* fd_fdstat_get: base and inheriting rights, filetype, flags. */
static inline uint32_t tw_fdstat(tw *t, uint32_t fd, uint8_t *type, uint16_t *flags, uint64_t *base,
                                 uint64_t *inh) {
  uint32_t buf = tw_alloc(t, 24);
  uint32_t e = Z_wasi_snapshot_preview1Z_fd_fdstat_get(t->w, fd, buf);
  if (e == 0) {
    if (type) *type = tw_at(t, buf)[0];
    if (flags) memcpy(flags, tw_at(t, buf + 2), 2);
    if (base) *base = tw_u64(t, buf + 8);
    if (inh) *inh = tw_u64(t, buf + 16);
  }
  return e;
}
static inline uint32_t tw_close(tw *t, uint32_t fd) {
  return Z_wasi_snapshot_preview1Z_fd_close(t->w, fd);
}

#define TW_TEST(f) cmocka_unit_test_setup_teardown(f, tw_setup, tw_teardown)

#endif /* TEST_WASI_H */
