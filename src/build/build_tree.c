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
 * guest's path), and the directories the caller names (the state dir when
 * it lies inside the app). Hidden entries (.spin, .git, .venv) are skipped
 * when asked. Symlinks are followed; a directory already being walked
 * (a symlink loop) is not entered again.
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

static bool is_venv(const char *dir) {
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

static bool skipped_dir(const pe_tree_walk *w, const struct stat *st) {
  for (size_t i = 0; i < w->nskip; i++)
    if (w->skip_dev[i] == st->st_dev && w->skip_ino[i] == st->st_ino) return true;
  return false;
}

static bool walk(pe_tree_walk *w, const char *dir, const char *rel, dir_stack *stack, char *err,
                 size_t errlen) {
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
    char path[PATH_MAX], sub[PATH_MAX];
    if (!pe_path_join(path, sizeof path, dir, "%s", n) ||
        (size_t)snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", n) >= sizeof sub) {
      snprintf(err, errlen, "path too long below %s", dir);
      ok = false;
      break;
    }
    struct stat st;
    if (stat(path, &st) != 0) continue; /* a dangling symlink: nothing to read */
    if (S_ISDIR(st.st_mode)) {
      bool loop = false;
      for (int k = 0; k < stack->n; k++)
        loop |= stack->dev[k] == st.st_dev && stack->ino[k] == st.st_ino;
      if (loop || skipped_dir(w, &st) || is_venv(path)) continue;
      if (w->hash) {
        pe_sha256_update(w->hash, "D", 1);
        pe_sha256_update(w->hash, n, strlen(n) + 1);
      }
      stack->dev[stack->n] = st.st_dev;
      stack->ino[stack->n++] = st.st_ino;
      ok = walk(w, path, sub, stack, err, errlen);
      stack->n--;
      if (w->hash) pe_sha256_update(w->hash, "U", 1);
    } else if (S_ISREG(st.st_mode)) {
      w->files++;
      w->bytes += (uint64_t)st.st_size;
      if (w->scan_native && pe_tree_is_native(n) && !pe_strs_push(&w->native, sub)) {
        snprintf(err, errlen, "out of memory");
        ok = false;
      }
      if (ok && w->hash) {
        pe_sha256_update(w->hash, "F", 1);
        pe_sha256_update(w->hash, n, strlen(n) + 1);
        ok = pe_tree_hash_file(w->hash, path, err, errlen);
      }
    }
  }
  pe_strs_free(&names);
  return ok;
}

bool pe_tree_walk_dir(pe_tree_walk *w, const char *root, char *err, size_t errlen) {
  struct stat st;
  if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
    snprintf(err, errlen, "%s is not a directory", root);
    return false;
  }
  dir_stack *stack = calloc(1, sizeof *stack);
  if (!stack) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  stack->dev[0] = st.st_dev;
  stack->ino[0] = st.st_ino;
  stack->n = 1;
  bool ok = walk(w, root, "", stack, err, errlen);
  free(stack);
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
  if (flag == FTW_DP) rmdir(path);
  else unlink(path);
  return 0;
}

void pe_tree_remove(const char *path) {
  nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}
