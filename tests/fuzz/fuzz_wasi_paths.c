/*
 * fuzz_wasi_paths.c -- WASI path resolution (src/wasi/), the sandbox
 * boundary, driven as a guest would drive it: a sequence of preview1 calls
 * decoded from the input, made on a context over a temporary tree, without
 * a module (the Z_wasi_snapshot_preview1Z_* functions are called directly
 * with a fake linear memory, as tests/unit/test_wasi.h does).
 *
 * The tree (under /dev/shm when it exists):
 *   R/sb/        preopen fd 3, read-write; rebuilt before every input:
 *                file.txt, dir/nested.txt, and links that lead out
 *                (up -> .., out -> ../outside, abs -> R/outside/secret,
 *                root -> /, magic -> /proc/self/root, a chain ending
 *                outside) or stay in (dir/ok -> ../file.txt)
 *   R/ro/        preopen fd 4, read-only (data.txt, sub/x, esc -> ../outside)
 *   R/outside/   the sentinel: secret, sub/x, never reachable
 * After every call: R holds exactly sb, ro and outside; everything under
 * outside/ and ro/ has the names, types, sizes, link counts, inode numbers
 * and modification times it had at start-up (so nothing outside the
 * read-write tree was created, removed, renamed, linked, written,
 * truncated or touched); every errno is a WASI one; and no call hands the
 * guest anything that is outside -- the inode of each host descriptor in
 * its table, of each path_filestat_get / fd_filestat_get, and of
 * each fd_readdir entry (but "..") is never that of R, R/outside or what
 * is in it, /, /etc or /etc/passwd.
 *
 * Input: calls until it ends (at most 48), each an op byte, a descriptor
 * byte (3, 4, one this input opened, or a raw number), two paths (a byte
 * saying raw bytes or 1-4 pieces from a table of names, "..", "." and the
 * planted links, with slashes), then the op's own bytes (flags, rights,
 * offsets, sizes: kept small, so no input fills the disk).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "wasi/pe_wasi.h"
#include "wasi/pe_wasi_abi.h"
#include "wasi/pe_wasi_defs.h"
#include "wasi/pe_wasi_int.h"

#define Z(fn) Z_wasi_snapshot_preview1Z_##fn

#define MEM_SIZE (2u * 65536u)
#define PATH_A 0x1000u
#define PATH_B 0x2000u
#define DATA 0x4000u   /* 4 KiB of data for reads and writes */
#define DIRBUF 0x8000u /* 8 KiB for fd_readdir */
#define OUT 0x100u
#define IOV 0x200u
#define ALL_RIGHTS (((uint64_t)1 << 30) - 1)

static char root[64], sb[96], ro[96], outside[96];
static bool trace; /* FUZZ_TRACE=1: each call and its errno on stderr */
static wasm_rt_memory_t mem;
static bool ready;

/* ---- the sentinel ---------------------------------------------------------- */

typedef struct entry {
  char path[160];
  mode_t mode;
  off_t size;
  nlink_t nlink;
  ino_t ino;
  struct timespec mtim;
} entry;

static entry before[64];
static int nbefore;

typedef struct {
  dev_t dev;
  ino_t ino;
} node;
static node forbidden[32];
static int nforbidden;

/* lstat of everything under dir (not following links), in readdir order
 * sorted by name, appended to list. */
static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void scan(const char *dir, entry *list, int *n, int cap) {
  DIR *d = opendir(dir);
  FZ_CHECK(d);
  char *names[64];
  int k = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    FZ_CHECK(k < 64);
    names[k++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, (size_t)k, sizeof *names, cmp_names);
  for (int i = 0; i < k; i++) {
    FZ_CHECK(*n < cap);
    entry *x = &list[(*n)++];
    snprintf(x->path, sizeof x->path, "%s/%s", dir, names[i]);
    struct stat st;
    FZ_CHECK(lstat(x->path, &st) == 0);
    x->mode = st.st_mode;
    x->size = st.st_size;
    x->nlink = st.st_nlink;
    x->ino = st.st_ino;
    x->mtim = st.st_mtim;
    if (S_ISDIR(st.st_mode) && strcmp(x->path, sb) != 0) scan(x->path, list, n, cap);
    free(names[i]);
  }
}

/* R itself, then everything but sb's contents (sb's own entry is kept:
 * its inode and type must not change either). */
static int snapshot(entry *list, int cap) {
  int n = 0;
  struct stat st;
  FZ_CHECK(lstat(root, &st) == 0);
  list[n++] =
      (entry){.mode = st.st_mode, .nlink = st.st_nlink, .ino = st.st_ino, .mtim = st.st_mtim};
  snprintf(list[0].path, sizeof list[0].path, "%s", root);
  scan(root, list, &n, cap);
  /* sb's size, link count and times follow what the guest does inside it */
  for (int i = 0; i < n; i++)
    if (!strcmp(list[i].path, sb)) {
      list[i].size = 0;
      list[i].nlink = 0;
      list[i].mtim = (struct timespec){0};
    }
  return n;
}

static void check_outside(const char *after_what) {
  entry now[64];
  int n = snapshot(now, 64);
  bool same = n == nbefore;
  for (int i = 0; same && i < n; i++)
    same = !strcmp(now[i].path, before[i].path) && now[i].mode == before[i].mode &&
           now[i].size == before[i].size && now[i].nlink == before[i].nlink &&
           now[i].ino == before[i].ino && now[i].mtim.tv_sec == before[i].mtim.tv_sec &&
           now[i].mtim.tv_nsec == before[i].mtim.tv_nsec;
  if (!same) {
    fprintf(stderr, "after %s, outside the read-write tree:\n", after_what);
    for (int i = 0; i < n; i++) fprintf(stderr, "  now    %s\n", now[i].path);
    for (int i = 0; i < nbefore; i++) fprintf(stderr, "  before %s\n", before[i].path);
    FZ_CHECK(!"something outside the sandbox changed");
  }
}

static void forbid(const char *path) {
  struct stat st;
  if (stat(path, &st) == 0 && nforbidden < 32)
    forbidden[nforbidden++] = (node){st.st_dev, st.st_ino};
}

static void check_node(uint64_t dev, uint64_t ino, const char *what) {
  for (int i = 0; i < nforbidden; i++)
    if ((uint64_t)forbidden[i].dev == dev && (uint64_t)forbidden[i].ino == ino) {
      fprintf(stderr, "%s reached inode %llu outside the sandbox\n", what, (unsigned long long)ino);
      FZ_CHECK(!"a call reached outside the sandbox");
    }
}

/* ---- the tree ---------------------------------------------------------------- */

static void put(const char *dir, const char *name, const char *text) {
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  FZ_CHECK(f && fputs(text, f) >= 0 && fclose(f) == 0);
}

static void link_at(const char *dir, const char *name, const char *target) {
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FZ_CHECK(symlink(target, p) == 0);
}

/* Removes everything inside the directory fd, never following a link. */
static void empty_dir(int fd) {
  DIR *d = fdopendir(fd);
  FZ_CHECK(d);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (unlinkat(fd, e->d_name, 0) == 0) continue;
    FZ_CHECK(errno == EISDIR);
    int sub = openat(fd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    FZ_CHECK(sub >= 0);
    empty_dir(sub);
    FZ_CHECK(unlinkat(fd, e->d_name, AT_REMOVEDIR) == 0);
    rewinddir(d);
  }
  closedir(d); /* closes fd */
}

static void fill_sb(void) {
  int fd = open(sb, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  FZ_CHECK(fd >= 0);
  empty_dir(fd);
  char p[PATH_MAX];
  put(sb, "file.txt", "hello world");
  snprintf(p, sizeof p, "%s/dir", sb);
  FZ_CHECK(mkdir(p, 0777) == 0);
  put(p, "nested.txt", "nested");
  link_at(sb, "up", "..");
  link_at(sb, "out", "../outside");
  snprintf(p, sizeof p, "%s/secret", outside);
  link_at(sb, "abs", p);
  link_at(sb, "root", "/");
  link_at(sb, "magic", "/proc/self/root");
  link_at(sb, "chain1", "chain2");
  link_at(sb, "chain2", "dir/chain3");
  snprintf(p, sizeof p, "%s/dir", sb);
  link_at(p, "chain3", "../../outside/secret");
  link_at(p, "ok", "../file.txt");
  link_at(p, "back", "../../sb/file.txt");
}

static void setup(void) {
  fz_tmpdir(root, "wasi");
  snprintf(sb, sizeof sb, "%s/sb", root);
  snprintf(ro, sizeof ro, "%s/ro", root);
  snprintf(outside, sizeof outside, "%s/outside", root);
  char p[PATH_MAX];
  FZ_CHECK(mkdir(sb, 0777) == 0 && mkdir(ro, 0777) == 0 && mkdir(outside, 0777) == 0);
  put(outside, "secret", "TOP SECRET");
  snprintf(p, sizeof p, "%s/sub", outside);
  FZ_CHECK(mkdir(p, 0777) == 0);
  put(p, "x", "outside x");
  put(ro, "data.txt", "read only data");
  snprintf(p, sizeof p, "%s/sub", ro);
  FZ_CHECK(mkdir(p, 0777) == 0);
  put(p, "x", "x");
  link_at(ro, "esc", "../outside");
  fill_sb();
  nbefore = snapshot(before, 64);
  forbid(root);
  forbid(outside);
  snprintf(p, sizeof p, "%s/secret", outside);
  forbid(p);
  snprintf(p, sizeof p, "%s/sub", outside);
  forbid(p);
  snprintf(p, sizeof p, "%s/sub/x", outside);
  forbid(p);
  forbid("/");
  forbid("/etc");
  forbid("/etc/passwd");
  snprintf(p, sizeof p, "%s/..", root);
  forbid(p);
  mem.data = calloc(1, MEM_SIZE);
  FZ_CHECK(mem.data);
  mem.pages = mem.max_pages = MEM_SIZE / 65536u;
  mem.size = MEM_SIZE;
  trace = getenv("FUZZ_TRACE") != NULL;
  ready = true;
}

/* ---- decoding calls ------------------------------------------------------------ */

static const char *const pieces[] = {
    "a",    "b",          "dir",  "file.txt", "..",     ".",      "",       "up",
    "out",  "abs",        "root", "magic",    "chain1", "chain2", "chain3", "ok",
    "back", "nested.txt", "new",  "outside",  "secret", "sub",    "x",      "data.txt",
    "esc",  "sb",         "ro",   "proc",     "etc",    "passwd", "...",    "l",
};

static const char *const link_targets[] = {
    "a",        "..",        "../outside",           "/",          "/etc",
    "file.txt", "dir/../..", "../../outside/secret", "up/outside", "l",
    ".",        "dir",       "/proc/self/root",      "x/y",        "../sb/file.txt",
    "",
};

/* A path into guest memory at addr; returns its length. */
static uint32_t make_path(fz *f, uint32_t addr) {
  uint8_t c = fz_u8(f);
  uint8_t *p = mem.data + addr;
  size_t n = 0;
  if (c & 0x80) {
    size_t got;
    const uint8_t *raw = fz_bytes(f, c & 0x3f, &got);
    memcpy(p, raw, got);
    return (uint32_t)got;
  }
  int count = 1 + (c & 3);
  if (c & 4) p[n++] = '/';
  for (int i = 0; i < count; i++) {
    if (i) {
      p[n++] = '/';
      if (c & 0x10) p[n++] = '/';
    }
    const char *piece = pieces[fz_u8(f) % (sizeof pieces / sizeof pieces[0])];
    memcpy(p + n, piece, strlen(piece));
    n += strlen(piece);
  }
  if (c & 8) p[n++] = '/';
  return (uint32_t)n;
}

static uint32_t opened[16];
static int nopened;

static uint32_t pick_fd(fz *f) {
  uint8_t c = fz_u8(f);
  switch (c & 3) {
    case 0: return 3;
    case 1: return 4;
    case 2: return nopened ? opened[(c >> 2) % nopened] : 3;
    default: return c >> 2;
  }
}

static uint64_t pick_rights(fz *f) {
  switch (fz_u8(f) & 3) {
    case 0: return ALL_RIGHTS;
    case 1: return fz_u64(f);
    case 2: return ALL_RIGHTS & ~PE_WASI_RIGHTS_NEED_WRITE;
    default: return PE_WASI_RIGHT_FD_READ | PE_WASI_RIGHT_FD_SEEK | PE_WASI_RIGHT_FD_READDIR;
  }
}

static uint64_t u64_at(uint32_t addr) {
  uint64_t v;
  memcpy(&v, mem.data + addr, 8);
  return v;
}

static uint32_t u32_at(uint32_t addr) {
  uint32_t v;
  memcpy(&v, mem.data + addr, 4);
  return v;
}

static void set_iov(uint32_t len) {
  memcpy(mem.data + IOV, &(uint32_t){DATA}, 4);
  memcpy(mem.data + IOV + 4, &len, 4);
}

/* The filestat at OUT: dev and inode must not be outside. */
static void check_filestat(const char *what) { check_node(u64_at(OUT), u64_at(OUT + 8), what); }

static void check_dirents(uint32_t used) {
  uint32_t off = 0;
  while (off + 24 <= used) {
    uint64_t ino = u64_at(DIRBUF + off + 8);
    uint32_t namlen = u32_at(DIRBUF + off + 16);
    const char *name = (const char *)mem.data + DIRBUF + off + 24;
    size_t shown = namlen < used - off - 24 ? namlen : used - off - 24;
    /* the last entry may be cut off: its name partly or wholly missing */
    bool dotdot = namlen == 2 && !memcmp(name, "..", shown);
    if (!dotdot) {
      struct stat st;
      FZ_CHECK(fstatat(AT_FDCWD, sb, &st, 0) == 0);
      for (int i = 0; i < nforbidden; i++)
        if (forbidden[i].ino == (ino_t)ino && forbidden[i].dev == st.st_dev) {
          fprintf(stderr, "fd_readdir listed '%.*s' (inode %llu) from outside\n", (int)shown, name,
                  (unsigned long long)ino);
          FZ_CHECK(!"fd_readdir reached outside the sandbox");
        }
    }
    off += 24 + namlen;
  }
}

/* Every host descriptor the guest holds (whatever its rights; the first 64
 * numbers: an input opens at most 48) names something inside. */
static void check_descriptors(pe_wasi *w, const char *after_what) {
  for (uint32_t fd = 0; fd < 64; fd++) {
    pe_wasi_fd *e;
    if (pe_wasi_fd_get(w, fd, 0, &e) != 0 || e->kind != PE_WASI_FD_HOST) continue;
    struct stat st;
    FZ_CHECK(fstat(e->host_fd, &st) == 0);
    check_node((uint64_t)st.st_dev, (uint64_t)st.st_ino, after_what);
  }
}

static const char *const op_names[] = {
    "path_open",
    "path_create_directory",
    "path_remove_directory",
    "path_unlink_file",
    "path_symlink",
    "path_link",
    "path_rename",
    "path_filestat_get",
    "path_filestat_set_times",
    "path_readlink",
    "fd_readdir",
    "fd_write",
    "fd_read",
    "fd_close",
    "fd_renumber",
    "fd_fdstat_set_rights",
    "fd_filestat_set_size",
    "fd_filestat_get",
    "fd_seek",
    "fd_pwrite",
    "fd_pread",
    "fd_allocate",
    "fd_filestat_set_times",
    "fd_prestat_dir_name",
};
#define NOPS (sizeof op_names / sizeof op_names[0])

static void one_call(pe_wasi *w, fz *f) {
  unsigned op = fz_u8(f) % NOPS;
  uint32_t fd = pick_fd(f);
  uint32_t al = make_path(f, PATH_A), bl = make_path(f, PATH_B);
  uint32_t e = 0;
  memset(mem.data + OUT, 0xa5, 64);
  switch (op) {
    case 0: {
      uint32_t lookup = fz_u8(f) & 1, oflags = fz_u8(f) & 0xf, fdflags = fz_u8(f) & 0x1f;
      uint64_t base = pick_rights(f), inh = pick_rights(f);
      e = Z(path_open)(w, fd, lookup, PATH_A, al, oflags, base, inh, fdflags, OUT);
      if (e == 0 && nopened < 16) opened[nopened++] = u32_at(OUT);
      break;
    }
    case 1: e = Z(path_create_directory)(w, fd, PATH_A, al); break;
    case 2: e = Z(path_remove_directory)(w, fd, PATH_A, al); break;
    case 3: e = Z(path_unlink_file)(w, fd, PATH_A, al); break;
    case 4: {
      uint8_t t = fz_u8(f);
      if (t < 128) {
        const char *tg = link_targets[t % (sizeof link_targets / sizeof link_targets[0])];
        memcpy(mem.data + PATH_B, tg, strlen(tg));
        bl = (uint32_t)strlen(tg);
      }
      e = Z(path_symlink)(w, PATH_B, bl, fd, PATH_A, al);
      break;
    }
    case 5: e = Z(path_link)(w, fd, fz_u8(f) & 1, PATH_A, al, pick_fd(f), PATH_B, bl); break;
    case 6: e = Z(path_rename)(w, fd, PATH_A, al, pick_fd(f), PATH_B, bl); break;
    case 7:
      e = Z(path_filestat_get)(w, fd, fz_u8(f) & 1, PATH_A, al, OUT);
      if (e == 0) check_filestat("path_filestat_get");
      break;
    case 8:
      e = Z(path_filestat_set_times)(w, fd, fz_u8(f) & 1, PATH_A, al, 1000000000ull * fz_u16(f),
                                     1000000000ull * fz_u16(f), fz_u8(f) & 0x1f);
      break;
    case 9: e = Z(path_readlink)(w, fd, PATH_A, al, DATA, fz_u16(f) % 4096, OUT); break;
    case 10: {
      uint32_t len = fz_u16(f) % 8192;
      e = Z(fd_readdir)(w, fd, DIRBUF, len, fz_u8(f) % 16, OUT);
      if (e == 0) {
        uint32_t used = u32_at(OUT);
        FZ_CHECK(used <= len);
        check_dirents(used);
      }
      break;
    }
    case 11: {
      uint32_t len = fz_u16(f) % 4096;
      set_iov(len);
      e = Z(fd_write)(w, fd, IOV, 1, OUT);
      break;
    }
    case 12:
      set_iov(fz_u16(f) % 4096);
      e = Z(fd_read)(w, fd, IOV, 1, OUT);
      break;
    case 13: e = Z(fd_close)(w, fd); break;
    case 14: e = Z(fd_renumber)(w, fd, pick_fd(f)); break;
    case 15: e = Z(fd_fdstat_set_rights)(w, fd, pick_rights(f), pick_rights(f)); break;
    case 16: e = Z(fd_filestat_set_size)(w, fd, (uint64_t)fz_u16(f) * 16); break;
    case 17:
      e = Z(fd_filestat_get)(w, fd, OUT);
      if (e == 0) check_filestat("fd_filestat_get");
      break;
    case 18: e = Z(fd_seek)(w, fd, (uint64_t)(int64_t)(int16_t)fz_u16(f), fz_u8(f) % 4, OUT); break;
    case 19:
      set_iov(fz_u16(f) % 4096);
      e = Z(fd_pwrite)(w, fd, IOV, 1, (uint64_t)fz_u16(f) * 16, OUT);
      break;
    case 20:
      set_iov(fz_u16(f) % 4096);
      e = Z(fd_pread)(w, fd, IOV, 1, (uint64_t)fz_u16(f) * 16, OUT);
      break;
    case 21: e = Z(fd_allocate)(w, fd, fz_u16(f), fz_u16(f)); break;
    case 22:
      e = Z(fd_filestat_set_times)(w, fd, 1000000000ull * fz_u16(f), 1000000000ull * fz_u16(f),
                                   fz_u8(f) & 0x1f);
      break;
    case 23: e = Z(fd_prestat_dir_name)(w, fd, DATA, fz_u8(f)); break;
  }
  FZ_CHECK(e <= PE_WASI_ENOTCAPABLE);
  if (trace)
    fprintf(stderr, "%s(%u, '%.*s', '%.*s') -> %u\n", op_names[op], fd, (int)al,
            (const char *)mem.data + PATH_A, (int)bl, (const char *)mem.data + PATH_B, e);
  check_outside(op_names[op]);
  check_descriptors(w, op_names[op]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!ready) setup();
  fill_sb();
  check_outside("rebuilding sb");
  pe_wasi_preopen po[2] = {{.host_path = sb, .guest_path = "sb"},
                           {.host_path = ro, .guest_path = "ro", .read_only = true}};
  static const char *const argv[] = {"prog"};
  pe_wasi_config cfg = {.argc = 1,
                        .argv = argv,
                        .npreopens = 2,
                        .preopens = po,
                        .stdout_mode = PE_WASI_STDIO_NULL,
                        .stderr_mode = PE_WASI_STDIO_NULL,
                        .stdin_null = true};
  char err[256];
  pe_wasi *w = pe_wasi_new(&cfg, err, sizeof err);
  if (!w) {
    fprintf(stderr, "pe_wasi_new: %s\n", err);
    abort();
  }
  pe_wasi_attach_memory(w, &mem);
  nopened = 0;
  fz f;
  fz_init(&f, data, size);
  for (int i = 0; i < 48 && f.left; i++) one_call(w, &f);
  pe_wasi_free(w);
  return 0;
}
