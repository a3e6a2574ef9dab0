/*
 * build_tree.c -- one walk over a directory the guest will import from.
 *
 * The same walk serves three purposes, so that they always agree on what
 * "the component's files" are:
 *   - the snapshot key: names and contents, in sorted order, hashed (a
 *     changed byte anywhere means a new pre-initialization);
 *   - the bundle size (warned about, and refused above a maximum);
 *   - native code: *.so (also versioned, libx.so.1), *.pyd and *.dylib
 *     files are collected, because CPython inside the sandbox is
 *     WebAssembly and can load none of them.
 * Always skipped: __pycache__ (written by host Pythons, never read by the
 * guest, which does not write bytecode either), virtual environments (any
 * directory holding pyvenv.cfg, as Spin's templates suggest creating
 * `venv/` next to app.py for componentize-py: nothing in it is on the
 * guest's path), and the private paths the caller names (every file
 * pyedge keeps: state, logs, stores, runtime config), by real path, so that
 * no link or nesting reaches them. Hidden entries (.spin, .git, .venv) are skipped
 * when asked. A symlink is followed only while its target stays below the
 * root: the guest resolves links beneath its mount and could not follow one
 * out, and following one to / walked the whole host file system; a
 * directory already being walked (a symlink loop) is not entered again.
 *
 * The same record makes the mirror mounted at /app (pe_tree_mirror): the
 * guest sees what the key covers and nothing else.
 */
#include <dirent.h>
#include <ftw.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pe_build.h"

#define MAX_DEPTH 64

typedef struct {
  dev_t dev[MAX_DEPTH + 1];
  ino_t ino[MAX_DEPTH + 1];
  int n;
} dir_stack;

bool pe_tree_is_native(const char *name) {
  size_t n = strlen(name);
  static const char *const ext[] = {".so", ".pyd", ".dylib"};
  for (size_t k = 0; k < sizeof ext / sizeof *ext; k++) {
    size_t e = strlen(ext[k]);
    if (n > e && !strcmp(name + n - e, ext[k])) return true;
  }
  /* libfoo.so.1, libfoo.so.1.2.3 */
  const char *so = strstr(name, ".so.");
  if (so && so != name) {
    const char *p = so + 4;
    if (!*p) return false;
    for (; *p; p++)
      if (!((*p >= '0' && *p <= '9') || *p == '.')) return false;
    return true;
  }
  return false;
}

static int name_cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

bool pe_tree_is_venv(const char *dir) {
  char p[PATH_MAX];
  return pe_path_join(p, sizeof p, dir, "pyvenv.cfg") && access(p, F_OK) == 0;
}

bool pe_tree_hash_file(pe_sha256 *h, const char *path, char *err, size_t errlen) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
    if (fd >= 0) close(fd);
    return false;
  }
  uint64_t size = (uint64_t)st.st_size;
  unsigned char len[8];
  for (int i = 0; i < 8; i++) len[i] = (unsigned char)(size >> (8 * i));
  pe_sha256_update(h, len, sizeof len);
  char buf[65536];
  for (;;) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
      close(fd);
      return false;
    }
    if (r == 0) break;
    pe_sha256_update(h, buf, (size_t)r);
  }
  close(fd);
  return true;
}

bool pe_path_is_within(const char *real, const char *const *paths, size_t n) {
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(paths[i]);
    while (len > 1 && paths[i][len - 1] == '/') len--;
    if (!strncmp(real, paths[i], len) && (real[len] == 0 || real[len] == '/' || len == 1))
      return true;
  }
  return false;
}

typedef struct {
  pe_tree_walk *w;
  const char *root_real;
  dir_stack stack;
  char *err;
  size_t errlen;
} walker;

/* The real path of dir/n into out: for a symlink resolved (false when it
 * dangles or leads out of the root), else real_dir/n. */
static bool real_path_of(const walker *k, const char *path, const char *real_dir, const char *n,
                         bool is_link, char *out) {
  if (!is_link) return pe_path_join(out, PATH_MAX, real_dir, "%s", n);
  if (!realpath(path, out)) return false;
  return pe_path_is_within(out, &k->root_real, 1);
}

static bool record(pe_tree_walk *w, char kind, const char *rel, const char *real) {
  if (!w->record) return true;
  char tagged[PATH_MAX + 2];
  snprintf(tagged, sizeof tagged, "%c%s", kind, rel);
  return pe_strs_push(w->record, tagged) && (!real || pe_strs_push(w->record, real));
}

static bool walk(walker *k, const char *dir, const char *real_dir, const char *rel) {
  pe_tree_walk *w = k->w;
  dir_stack *stack = &k->stack;
  char *err = k->err;
  size_t errlen = k->errlen;
  if (stack->n >= MAX_DEPTH) {
    snprintf(err, errlen, "%s: directories nested too deep", dir);
    return false;
  }
  DIR *d = opendir(dir);
  if (!d) {
    snprintf(err, errlen, "cannot read directory %s: %s", dir, strerror(errno));
    return false;
  }
  pe_strs names = {0};
  bool ok = true;
  for (struct dirent *e; ok && (e = readdir(d)) != NULL;) {
    const char *n = e->d_name;
    if (!strcmp(n, ".") || !strcmp(n, "..") || !strcmp(n, "__pycache__")) continue;
    if (w->skip_hidden && n[0] == '.') continue;
    ok = pe_strs_push(&names, n);
  }
  closedir(d);
  if (!ok) snprintf(err, errlen, "out of memory");
  if (names.len) qsort(names.items, names.len, sizeof *names.items, name_cmp);
  for (size_t i = 0; ok && i < names.len; i++) {
    const char *n = names.items[i];
    char path[PATH_MAX], sub[PATH_MAX], real[PATH_MAX];
    if (!pe_path_join(path, sizeof path, dir, "%s", n) ||
        (size_t)snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", n) >= sizeof sub) {
      snprintf(err, errlen, "path too long below %s", dir);
      ok = false;
      break;
    }
    struct stat st;
    if (lstat(path, &st) != 0) continue;
    bool is_link = S_ISLNK(st.st_mode);
    if (!real_path_of(k, path, real_dir, n, is_link, real)) continue; /* dangling, or out */
    if (pe_path_is_within(real, w->private_paths, w->nprivate)) continue;
    if (is_link && stat(path, &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      bool loop = false;
      for (int j = 0; j < stack->n; j++)
        loop |= stack->dev[j] == st.st_dev && stack->ino[j] == st.st_ino;
      if (loop || pe_tree_is_venv(path)) continue;
      if (w->hash) {
        pe_sha256_update(w->hash, "D", 1);
        pe_sha256_update(w->hash, n, strlen(n) + 1);
      }
      if (!record(w, 'D', sub, NULL)) {
        snprintf(err, errlen, "out of memory");
        ok = false;
        break;
      }
      stack->dev[stack->n] = st.st_dev;
      stack->ino[stack->n++] = st.st_ino;
      ok = walk(k, path, real, sub);
      stack->n--;
      if (w->hash) pe_sha256_update(w->hash, "U", 1);
    } else if (S_ISREG(st.st_mode)) {
      w->files++;
      w->bytes += (uint64_t)st.st_size;
      if ((w->scan_native && pe_tree_is_native(n) && !pe_strs_push(&w->native, sub)) ||
          !record(w, 'F', sub, real)) {
        snprintf(err, errlen, "out of memory");
        ok = false;
      }
      if (ok && w->hash) {
        pe_sha256_update(w->hash, "F", 1);
        pe_sha256_update(w->hash, n, strlen(n) + 1);
        ok = pe_tree_hash_file(w->hash, real, err, errlen);
      }
    }
  }
  pe_strs_free(&names);
  return ok;
}

bool pe_tree_walk_dir(pe_tree_walk *w, const char *root, char *err, size_t errlen) {
  struct stat st;
  char root_real[PATH_MAX];
  if (!realpath(root, root_real) || stat(root_real, &st) != 0 || !S_ISDIR(st.st_mode)) {
    snprintf(err, errlen, "%s is not a directory", root);
    return false;
  }
  if (pe_path_is_within(root_real, w->private_paths, w->nprivate)) {
    snprintf(err, errlen, "%s holds pyedge's own state, which the guest must not see", root);
    return false;
  }
  walker *k = calloc(1, sizeof *k);
  if (!k) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  *k = (walker){.w = w, .root_real = root_real, .err = err, .errlen = errlen};
  k->stack.dev[0] = st.st_dev;
  k->stack.ino[0] = st.st_ino;
  k->stack.n = 1;
  bool ok = walk(k, root_real, root_real, "");
  free(k);
  return ok;
}

static bool copy_fd(int in, const char *dst) {
  int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  bool ok = out >= 0;
  char buf[65536];
  while (ok) {
    ssize_t r = read(in, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      ok = r == 0;
      break;
    }
    ok = pe_write_all(out, buf, (size_t)r);
  }
  if (out >= 0 && close(out) != 0) ok = false;
  return ok;
}

bool pe_tree_place(const char *tmp, const char *rel, const char *src, char *err, size_t errlen) {
  char dst[PATH_MAX];
  if (!pe_path_join(dst, sizeof dst, tmp, "%s", rel)) {
    snprintf(err, errlen, "path too long: %s", rel);
    return false;
  }
  char *slash = strrchr(dst, '/');
  *slash = 0;
  if (!pe_mkdir_p(dst, err, errlen)) return false;
  *slash = '/';
  /* NEVER follow a final symlink: src is a resolved path, and a link put
   * there since would point anywhere on the host */
  if (linkat(AT_FDCWD, src, AT_FDCWD, dst, 0) == 0) {
    struct stat st;
    if (lstat(dst, &st) == 0 && S_ISREG(st.st_mode)) return true;
    unlink(dst);
  }
  int in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  bool ok = in >= 0 && fstat(in, &st) == 0 && S_ISREG(st.st_mode) && copy_fd(in, dst);
  int saved = errno;
  if (in >= 0) close(in);
  if (!ok)
    snprintf(err, errlen, "cannot copy %s to %s: %s", src, dst, strerror(saved ? saved : EINVAL));
  return ok;
}

bool pe_tree_mirror(const pe_strs *record, const char *root, const char *name, char *out,
                    size_t outlen, char *err, size_t errlen) {
  if (!pe_path_join(out, outlen, root, "%s", name)) {
    snprintf(err, errlen, "state directory path too long");
    return false;
  }
  struct stat st;
  if (stat(out, &st) == 0) return true;
  char tmp[PATH_MAX];
  static unsigned counter;
  if (!pe_mkdir_p(root, err, errlen)) return false;
  if ((size_t)snprintf(tmp, sizeof tmp, "%s/.tmp-%s-%ld-%u", root, name, (long)getpid(),
                       __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED)) >= sizeof tmp) {
    snprintf(err, errlen, "state directory path too long");
    return false;
  }
  pe_tree_remove(tmp);
  bool ok = mkdir(tmp, 0755) == 0;
  if (!ok) snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
  for (size_t i = 0; ok && i < record->len; i++) {
    const char *r = record->items[i];
    if (r[0] == 'F' && i + 1 < record->len) {
      ok = pe_tree_place(tmp, r + 1, record->items[++i], err, errlen);
    } else if (r[0] == 'D') {
      char dir[PATH_MAX];
      ok = pe_path_join(dir, sizeof dir, tmp, "%s", r + 1) && pe_mkdir_p(dir, err, errlen);
      if (!ok && !err[0]) snprintf(err, errlen, "path too long: %s", r + 1);
    }
  }
  if (ok && rename(tmp, out) != 0) {
    /* another pyedge made the same tree meanwhile: use that one */
    ok = stat(out, &st) == 0;
    if (!ok) snprintf(err, errlen, "cannot create %s: %s", out, strerror(errno));
  }
  pe_tree_remove(tmp);
  return ok;
}

void pe_tree_walk_free(pe_tree_walk *w) { pe_strs_free(&w->native); }

/* The distribution whose RECORD (in a *.dist-info directly under dir)
 * lists rel, into out; false if none does. */
static bool record_owner(const char *dir, const char *rel, char *out, size_t outlen) {
  DIR *d = opendir(dir);
  if (!d) return false;
  bool found = false;
  size_t rl = strlen(rel);
  for (struct dirent *e; !found && (e = readdir(d)) != NULL;) {
    size_t n = strlen(e->d_name);
    if (n <= 10 || strcmp(e->d_name + n - 10, ".dist-info") != 0) continue;
    char path[PATH_MAX];
    pe_buf b = {0};
    char why[64];
    if (!pe_path_join(path, sizeof path, dir, "%s/RECORD", e->d_name) ||
        !pe_read_file(path, &b, why, sizeof why))
      continue;
    for (size_t i = 0; i < b.len && !found;) {
      size_t j = i;
      while (j < b.len && b.data[j] != '\n') j++;
      if (j - i > rl && !memcmp(b.data + i, rel, rl) && b.data[i + rl] == ',') found = true;
      i = j + 1;
    }
    pe_buf_free(&b);
    if (found) {
      const char *dash = strchr(e->d_name, '-');
      size_t len = dash ? (size_t)(dash - e->d_name) : n - 10;
      snprintf(out, outlen, "%.*s", (int)len, e->d_name);
    }
  }
  closedir(d);
  return found;
}

void pe_tree_package_of(const char *root, const char *rel, char *out, size_t outlen) {
  /* the deepest directory whose dist-info records the file: a site-packages
   * directory, wherever it was vendored */
  for (size_t k = strlen(rel); k-- > 0;) {
    if (rel[k] != '/') continue;
    char dir[PATH_MAX];
    if ((size_t)snprintf(dir, sizeof dir, "%s/%.*s", root, (int)k, rel) < sizeof dir &&
        record_owner(dir, rel + k + 1, out, outlen))
      return;
  }
  if (record_owner(root, rel, out, outlen)) return;
  /* else the outermost package (a directory with __init__.py) on its path,
   * else its first path component */
  const char *slash = strchr(rel, '/');
  size_t top = slash ? (size_t)(slash - rel) : strlen(rel);
  for (const char *p = rel; (p = strchr(p, '/')) != NULL; p++) {
    char init[PATH_MAX];
    if ((size_t)snprintf(init, sizeof init, "%s/%.*s/__init__.py", root, (int)(p - rel), rel) <
            sizeof init &&
        access(init, F_OK) == 0) {
      const char *start = p;
      while (start > rel && start[-1] != '/') start--;
      snprintf(out, outlen, "%.*s", (int)(p - start), start);
      return;
    }
  }
  snprintf(out, outlen, "%.*s", (int)top, rel);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)ftw;
  if (flag == FTW_DP)
    rmdir(path);
  else
    unlink(path);
  return 0;
}

void pe_tree_remove(const char *path) { nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS); }
