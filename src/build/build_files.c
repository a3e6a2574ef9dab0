/*
 * build_files.c -- a component's `files`, laid out the way Spin lays them.
 *
 * Spin copies every file a component lists into one directory and mounts
 * it at the guest's root, so `files = ["static"]` (every file below
 * static/, as a ** glob would select) makes /static/index.html readable (and `open("static/index.html")`, the
 * working directory being /). pyedge does the same, with these rules
 * (Spin's, paths relative to the manifest's directory):
 *   - "pattern": an existing directory means every file below it; an
 *     existing file means that file; otherwise a glob (build_glob.c, where
 *     * stops at '/') over the application directory. Each file keeps its
 *     relative path.
 *   - { source = "dir", destination = "/d" }: every file below dir, at /d/...
 *   - { source = "file", destination = "/d/f" }: that file at /d/f.
 *   - exclude_files: globs matched against the application-relative path
 *     of every file that a glob or a directory brings in (* crosses '/'
 *     there, as in Spin); a file named exactly is never excluded.
 *   - nothing outside the application directory (absolute paths, .., or a
 *     symbolic link whose target is outside: refused by name, since the copy
 *     would hand a host file to the guest); nothing of pyedge's own state
 *     (the private paths: state directory, logs, stores) even inside it;
 *   - a later entry with the same destination replaces an earlier one.
 *
 * The tree is built under <state>/pyedge/files/<component>-<hash>/, where
 * the hash covers every destination and every byte: a tree that exists is
 * complete and never changes (it is built under a temporary name and
 * renamed into place), so servers running from it are not disturbed by a
 * rebuild, and an unchanged app reuses it. Files are hard-linked from their
 * resolved path in the app when the file system allows it, else copied
 * (pe_tree_place, which never follows a final link). The guest sees the tree
 * read-only.
 *
 * Not supported: a destination below a path pyedge mounts itself (/app,
 * /usr/local/lib, /usr/local/pyedge, /usr/local/site-packages,
 * /usr/local/pypath): such files would be hidden, and get a warning.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pe_build.h"

typedef struct {
  char *src;  /* host path */
  char *dest; /* guest path without the leading '/' */
  size_t order;
} entry;

typedef struct {
  entry *items;
  size_t len, cap;
  const pe_manifest_component *mc;
  const char *app_root;
  char app_real[PATH_MAX];
  const char *const *private_paths;
  size_t nprivate;
  size_t visited; /* directory entries looked at, for PE_FILES_MAX_VISITS */
  char *err;
  size_t errlen;
} gather;

/* Links can make a tree without end (`a -> .`) or one that doubles at
 * every level (`a -> ..`, `b -> ..` below it): a walk keeps the directories
 * it is inside (a link back to one of them is refused as a loop) and gives
 * up after this many entries, so no app directory makes `pyedge build`
 * run without end. */
#define PE_FILES_MAX_VISITS 200000u

typedef struct dir_chain {
  dev_t dev;
  ino_t ino;
  const struct dir_chain *up;
} dir_chain;

static bool add(gather *g, const char *src, const char *dest) {
  if (g->len == g->cap) {
    size_t cap = g->cap ? g->cap * 2 : 32;
    entry *n = realloc(g->items, cap * sizeof *n);
    if (!n) goto oom;
    g->items = n;
    g->cap = cap;
  }
  entry *e = &g->items[g->len];
  e->src = strdup(src);
  e->dest = strdup(dest);
  e->order = g->len;
  if (!e->src || !e->dest) {
    free(e->src);
    free(e->dest);
    goto oom;
  }
  g->len++;
  return true;
oom:
  snprintf(g->err, g->errlen, "out of memory");
  return false;
}

/* Normalises a relative path: no leading '/', no empty or "." parts;
 * false on a ".." part. */
static bool normalize(const char *in, char *out, size_t outlen) {
  size_t o = 0;
  const char *p = in;
  while (*p) {
    while (*p == '/') p++;
    const char *e = p;
    while (*e && *e != '/') e++;
    size_t n = (size_t)(e - p);
    if (n == 2 && p[0] == '.' && p[1] == '.') return false;
    if (n && !(n == 1 && p[0] == '.')) {
      if (o + n + 2 > outlen) return false;
      if (o) out[o++] = '/';
      memcpy(out + o, p, n);
      o += n;
    }
    p = e;
  }
  if (!outlen) return false;
  out[o] = 0;
  return true;
}

static bool excluded(const gather *g, const char *app_rel) {
  for (size_t i = 0; i < g->mc->exclude_files.len; i++)
    if (pe_glob_match(g->mc->exclude_files.items[i], app_rel, false)) return true;
  return false;
}

enum { INSIDE, PRIVATE, OUTSIDE };

/* Where path really is: its real path into real. ALWAYS resolved before a
 * file is taken: `static/passwd -> /etc/passwd` or a link to / inside the
 * app must never bring host files into the guest's tree. */
static int resolve(const gather *g, const char *path, char *real) {
  if (!realpath(path, real) || !pe_path_is_within(real, (const char *const[]){g->app_real}, 1))
    return OUTSIDE;
  return pe_path_is_within(real, g->private_paths, g->nprivate) ? PRIVATE : INSIDE;
}

static bool refuse_outside(gather *g, const char *app_rel, const char *path) {
  char target[PATH_MAX];
  ssize_t n = readlink(path, target, sizeof target - 1);
  if (n > 0) {
    target[n] = 0;
    snprintf(g->err, g->errlen,
             "files: '%s' is a symbolic link to %s, outside the application directory: pyedge "
             "does not follow links out of it (copy what it points to into the app instead)",
             app_rel, target);
  } else {
    snprintf(g->err, g->errlen,
             "files: '%s' leads out of the application directory through a symbolic link: "
             "pyedge does not follow links out of it",
             app_rel);
  }
  return false;
}

static bool refuse_private(gather *g, const pe_manifest_files *f) {
  snprintf(g->err, g->errlen,
           "files: '%s' (line %d) is pyedge's own state, never given to the guest", f->source,
           f->line);
  return false;
}

/* Every file below dir (app-relative path app_rel). For a glob, files
 * whose path matches it; else files go to dest_prefix/<path below dir>. */
static bool each_file(gather *g, const char *dir, const char *app_rel, const char *below,
                      const char *glob, const char *dest_prefix, int depth, size_t *count,
                      const dir_chain *up) {
  if (depth > 64) {
    snprintf(g->err, g->errlen, "files: directories nested too deep at %s", dir);
    return false;
  }
  struct stat dst;
  if (stat(dir, &dst) != 0) {
    snprintf(g->err, g->errlen, "files: cannot read directory %s: %s", dir, strerror(errno));
    return false;
  }
  for (const dir_chain *c = up; c; c = c->up)
    if (c->dev == dst.st_dev && c->ino == dst.st_ino) {
      snprintf(g->err, g->errlen,
               "files: '%s' is a symbolic link to a directory that holds it, a loop: pyedge "
               "does not follow it (remove the link, or list the files it should bring)",
               app_rel);
      return false;
    }
  dir_chain here = {dst.st_dev, dst.st_ino, up};
  DIR *d = opendir(dir);
  if (!d) {
    snprintf(g->err, g->errlen, "files: cannot read directory %s: %s", dir, strerror(errno));
    return false;
  }
  bool ok = true;
  for (struct dirent *e; ok && (e = readdir(d)) != NULL;) {
    const char *n = e->d_name;
    if (!strcmp(n, ".") || !strcmp(n, "..")) continue;
    if (++g->visited > PE_FILES_MAX_VISITS) {
      snprintf(g->err, g->errlen,
               "files: more than %u files and directories to look at (symbolic links that "
               "repeat directories?); pyedge stopped at %s",
               PE_FILES_MAX_VISITS, app_rel[0] ? app_rel : ".");
      ok = false;
      break;
    }
    char path[PATH_MAX], rel[PATH_MAX], sub[PATH_MAX];
    if (!pe_path_join(path, sizeof path, dir, "%s", n) ||
        (size_t)snprintf(rel, sizeof rel, "%s%s%s", app_rel, app_rel[0] ? "/" : "", n) >=
            sizeof rel ||
        (size_t)snprintf(sub, sizeof sub, "%s%s%s", below, below[0] ? "/" : "", n) >= sizeof sub) {
      snprintf(g->err, g->errlen, "files: path too long below %s", dir);
      ok = false;
      break;
    }
    struct stat st;
    char real[PATH_MAX];
    if (stat(path, &st) != 0) continue; /* dangling: nothing to copy */
    int where = resolve(g, path, real);
    if (where == PRIVATE) continue;
    if (S_ISDIR(st.st_mode)) {
      if (where == OUTSIDE)
        ok = refuse_outside(g, rel, path);
      else
        ok = each_file(g, path, rel, sub, glob, dest_prefix, depth + 1, count, &here);
    } else if (S_ISREG(st.st_mode)) {
      if (glob ? !pe_glob_match(glob, rel, true) : false) continue;
      if (excluded(g, rel)) continue;
      char dest[PATH_MAX];
      if (glob)
        snprintf(dest, sizeof dest, "%s", rel);
      else if ((size_t)snprintf(dest, sizeof dest, "%s%s%s", dest_prefix, dest_prefix[0] ? "/" : "",
                                sub) >= sizeof dest) {
        snprintf(g->err, g->errlen, "files: path too long: %s", sub);
        ok = false;
        break;
      }
      if (where == OUTSIDE)
        ok = refuse_outside(g, rel, path);
      else
        ok = add(g, real, dest);
      (*count)++;
    }
  }
  closedir(d);
  return ok;
}

/* The directory part of a glob before its first wildcard component. */
static void literal_prefix(const char *glob, char *out, size_t outlen) {
  size_t end = 0;
  for (const char *p = glob; *p;) {
    const char *e = strchr(p, '/');
    if (!e) break;
    size_t n = (size_t)(e - p);
    char part[PATH_MAX];
    snprintf(part, sizeof part, "%.*s", (int)n, p);
    if (pe_glob_has_magic(part)) break;
    end = (size_t)(e - glob);
    p = e + 1;
  }
  snprintf(out, outlen, "%.*s", (int)end, glob);
}

static bool gather_pattern(gather *g, const pe_manifest_files *f, pe_build_note_fn note,
                           void *nctx) {
  char rel[PATH_MAX], path[PATH_MAX];
  if (f->source[0] == '/' || !normalize(f->source, rel, sizeof rel)) {
    snprintf(g->err, g->errlen,
             "files: '%s' is outside the application directory (line %d); files must be within it",
             f->source, f->line);
    return false;
  }
  if (!pe_path_join(path, sizeof path, g->app_root, "%s", rel)) {
    snprintf(g->err, g->errlen, "files: path too long: %s", f->source);
    return false;
  }
  struct stat st;
  size_t count = 0;
  char real[PATH_MAX];
  if (rel[0] && stat(path, &st) == 0) {
    int where = resolve(g, path, real);
    if (where == OUTSIDE) return refuse_outside(g, rel, path);
    if (where == PRIVATE) return refuse_private(g, f);
    if (S_ISDIR(st.st_mode)) {
      if (!each_file(g, path, rel, "", NULL, rel, 0, &count, NULL)) return false;
    } else {
      if (!add(g, real, rel)) return false;
      count = 1;
    }
  } else if (pe_glob_has_magic(f->source)) {
    if (!pe_glob_valid(rel, g->err, g->errlen)) return false;
    char prefix[PATH_MAX], start[PATH_MAX];
    literal_prefix(rel, prefix, sizeof prefix);
    if (!pe_path_join(start, sizeof start, g->app_root, "%s", prefix)) return false;
    if (stat(start, &st) == 0 && S_ISDIR(st.st_mode)) {
      int where = resolve(g, start, real);
      if (where == OUTSIDE) return refuse_outside(g, prefix, start);
      if (where == INSIDE && !each_file(g, start, prefix, "", rel, "", 0, &count, NULL))
        return false;
    }
  } else {
    snprintf(g->err, g->errlen,
             "files: '%s' (line %d) does not exist and does not look like a glob pattern",
             f->source, f->line);
    return false;
  }
  if (count == 0 && note) {
    char msg[PATH_MAX + 128];
    snprintf(msg, sizeof msg, "files: pattern '%s' matches no file", f->source);
    note(nctx, true, msg);
  }
  return true;
}

static bool gather_placement(gather *g, const pe_manifest_files *f) {
  char src[PATH_MAX], dest[PATH_MAX], path[PATH_MAX];
  if (f->source[0] == '/' || !normalize(f->source, src, sizeof src)) {
    snprintf(g->err, g->errlen, "files: source '%s' is outside the application directory (line %d)",
             f->source, f->line);
    return false;
  }
  if (!normalize(f->destination, dest, sizeof dest)) {
    snprintf(g->err, g->errlen, "files: destination '%s' (line %d) may not contain '..'",
             f->destination, f->line);
    return false;
  }
  struct stat st;
  if (!pe_path_join(path, sizeof path, g->app_root, "%s", src) || stat(path, &st) != 0) {
    snprintf(g->err, g->errlen, "files: source '%s' (line %d) does not exist", f->source, f->line);
    return false;
  }
  char real[PATH_MAX];
  int where = resolve(g, path, real);
  if (where == OUTSIDE) return refuse_outside(g, src, path);
  if (where == PRIVATE) return refuse_private(g, f);
  size_t count = 0;
  if (S_ISDIR(st.st_mode)) return each_file(g, path, src, "", NULL, dest, 0, &count, NULL);
  size_t dl = strlen(f->destination);
  if (!dest[0] || f->destination[dl - 1] == '/') {
    snprintf(g->err, g->errlen, "files: '%s' (line %d) is not a valid destination file name",
             f->destination, f->line);
    return false;
  }
  return add(g, real, dest);
}

bool pe_files_reserved(const char *rel) {
  static const char *const mine[] = {"app", "usr/local/lib", "usr/local/pyedge",
                                     "usr/local/site-packages", "usr/local/pypath"};
  for (size_t i = 0; i < sizeof mine / sizeof *mine; i++) {
    size_t n = strlen(mine[i]);
    if (!strncmp(rel, mine[i], n) && (rel[n] == 0 || rel[n] == '/')) return true;
  }
  return false;
}

static int by_dest(const void *a, const void *b) {
  const entry *x = a, *y = b;
  int c = strcmp(x->dest, y->dest);
  return c ? c : (x->order < y->order ? -1 : 1);
}

static void free_gather(gather *g) {
  for (size_t i = 0; i < g->len; i++) {
    free(g->items[i].src);
    free(g->items[i].dest);
  }
  free(g->items);
}

bool pe_files_prepare(const pe_manifest_component *mc, const char *app_root, const char *files_root,
                      const char *const *private_paths, size_t nprivate, pe_sha256 *key,
                      pe_build_note_fn note, void *note_ctx, char *tree, size_t treelen, char *err,
                      size_t errlen) {
  if (treelen) tree[0] = 0;
  if (mc->n_files == 0) return true;
  for (size_t i = 0; i < mc->exclude_files.len; i++)
    if (!pe_glob_valid(mc->exclude_files.items[i], err, errlen)) return false;
  gather g = {.mc = mc,
              .app_root = app_root,
              .private_paths = private_paths,
              .nprivate = nprivate,
              .err = err,
              .errlen = errlen};
  if (!realpath(app_root, g.app_real)) {
    snprintf(err, errlen, "files: %s: %s", app_root, strerror(errno));
    return false;
  }
  bool ok = true;
  for (size_t i = 0; ok && i < mc->n_files; i++)
    ok = mc->files[i].destination ? gather_placement(&g, &mc->files[i])
                                  : gather_pattern(&g, &mc->files[i], note, note_ctx);
  if (!ok) {
    free_gather(&g);
    return false;
  }
  if (g.len) qsort(g.items, g.len, sizeof *g.items, by_dest);
  /* the last of equal destinations wins */
  size_t n = 0;
  for (size_t i = 0; i < g.len; i++) {
    if (i + 1 < g.len && !strcmp(g.items[i].dest, g.items[i + 1].dest)) {
      free(g.items[i].src);
      free(g.items[i].dest);
      continue;
    }
    g.items[n++] = g.items[i];
  }
  g.len = n;
  pe_sha256 *h = pe_sha256_begin();
  if (!h) {
    free_gather(&g);
    snprintf(err, errlen, "out of memory");
    return false;
  }
  size_t hidden = 0;
  const char *first_hidden = NULL;
  for (size_t i = 0; ok && i < g.len; i++) {
    if (pe_files_reserved(g.items[i].dest) && !hidden++) first_hidden = g.items[i].dest;
    pe_sha256_update(h, g.items[i].dest, strlen(g.items[i].dest) + 1);
    ok = pe_tree_hash_file(h, g.items[i].src, err, errlen);
  }
  char hex[65];
  pe_sha256_end(h, hex);
  if (ok && hidden && note) {
    char msg[PATH_MAX + 256];
    snprintf(msg, sizeof msg,
             "files: /%s%s is hidden by a directory pyedge mounts itself (/app, /usr/local/...); "
             "choose another destination",
             first_hidden, hidden > 1 ? " and others" : "");
    note(note_ctx, true, msg);
  }
  /* the tree is a mirror of the gathered files, named by their hash */
  pe_strs record = {0};
  for (size_t i = 0; ok && i < g.len; i++) {
    char tagged[PATH_MAX + 2];
    snprintf(tagged, sizeof tagged, "F%s", g.items[i].dest);
    ok = pe_strs_push(&record, tagged) && pe_strs_push(&record, g.items[i].src);
    if (!ok) snprintf(err, errlen, "out of memory");
  }
  char name[300], why[PATH_MAX + 200] = "";
  snprintf(name, sizeof name, "%s-%.16s", mc->id, hex);
  if (ok && !pe_tree_mirror(&record, files_root, name, tree, treelen, why, sizeof why)) {
    snprintf(err, errlen, "files: %s", why);
    ok = false;
  }
  pe_strs_free(&record);
  if (ok && key) pe_sha256_update(key, hex, strlen(hex) + 1);
  if (!ok) tree[0] = 0;
  free_gather(&g);
  return ok;
}
