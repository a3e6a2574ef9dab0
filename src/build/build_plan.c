/*
 * build_plan.c -- everything one component's sandbox is made of, decided
 * once at start-up (pyedge build and pyedge up alike).
 *
 * In order:
 *   1. the build command (build_cmdline.c): the app module and the -p
 *      paths; a build command that is not componentize-py is refused (the
 *      component is not a Python one pyedge can build);
 *   2. the component directory: the build workdir, else the manifest's
 *      directory; what the guest sees of it at /app is a mirror (hard
 *      links) of what the walk of step 6 covers, so the guest NEVER sees
 *      pyedge's own state, hidden entries (.spin, .git, .env) or a link out
 *      of the directory, wherever they are;
 *   3. each -p path, relative to that directory: inside it, it is reached
 *      through /app; outside, or below a hidden or virtual-environment
 *      directory the mirror leaves out, it gets its own mount
 *      /usr/local/pypath/N; a -p path holding pyedge's state is refused;
 *   4. the pip bundle of requirements.txt (build_bundle.c), mounted at
 *      /usr/local/site-packages;
 *   5. the `files` tree (build_files.c), mounted at /;
 *   6. one walk over the component directory, the outside -p paths and the
 *      bundle (build_tree.c): native code is refused with the package
 *      named, the size is checked against the limits, and every name and
 *      byte goes into the key -- with the SDK's files, the `files` tree and
 *      the mount layout -- that names the component's snapshot.
 * sys.path is the -p paths in order (componentize-py's default "." when
 * none is given), then the SDK, then the bundle: the SDK comes before the
 * bundle so that pyedge's spin_sdk is the one imported even if a package
 * pulled the PyPI one in.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pe_build.h"

/* "3.13" from <stdlib>/python3.13 */
static void guest_python_version(const char *stdlib_dir, char *out, size_t outlen) {
  snprintf(out, outlen, "3.13");
  DIR *d = stdlib_dir ? opendir(stdlib_dir) : NULL;
  if (!d) return;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    const char *n = e->d_name;
    if (!strncmp(n, "python3.", 8) && n[8] >= '0' && n[8] <= '9' &&
        strspn(n + 8, "0123456789") == strlen(n + 8)) {
      snprintf(out, outlen, "%s", n + 6);
      break;
    }
  }
  closedir(d);
}

static bool add_mount(pe_plan *p, const char *host, const char *guest, char *err, size_t errlen) {
  if (p->nmounts == PE_PLAN_MAX_MOUNTS) {
    snprintf(err, errlen, "too many -p paths (at most %d)", PE_PLAN_MAX_MOUNTS - 2);
    return false;
  }
  if (!pe_strs_push(&p->owned, host) || !pe_strs_push(&p->owned, guest)) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  p->mounts[p->nmounts++] =
      (pe_component_mount){p->owned.items[p->owned.len - 2], p->owned.items[p->owned.len - 1]};
  return true;
}

static void fmt_mb(uint64_t bytes, char *out, size_t outlen) {
  if (bytes < 1000000)
    snprintf(out, outlen, "%.1f kB", (double)bytes / 1e3);
  else
    snprintf(out, outlen, "%.1f MB", (double)bytes / 1e6);
}

/* Walks one directory into the key, size and native list; refuses native
 * code naming its package. */
static bool walk_into(pe_tree_walk *w, const char *root, const char *what, char *err,
                      size_t errlen) {
  size_t before = w->native.len;
  if (!pe_tree_walk_dir(w, root, err, errlen)) return false;
  if (w->native.len == before) return true;
  char name[256];
  pe_tree_package_of(root, w->native.items[before], name, sizeof name);
  snprintf(err, errlen,
           "package '%s' in %s has native code (%s): only pure-Python packages run in the "
           "sandbox (its CPython is WebAssembly and cannot load native extensions)",
           name, what, w->native.items[before]);
  return false;
}

/* Whether the mirror of the app leaves real (below the app, whose path is
 * napp long) out: some directory on the way is hidden or a virtual
 * environment. */
static bool left_out_of_mirror(const char *real, size_t napp) {
  char prefix[PATH_MAX];
  for (size_t i = napp + 1;; i++) {
    if (real[i - 1] == '/' && real[i] == '.') return true;
    if (real[i] == '/' || real[i] == 0) {
      snprintf(prefix, sizeof prefix, "%.*s", (int)i, real);
      if (pe_tree_is_venv(prefix)) return true;
      if (real[i] == 0) return false;
    }
  }
}

/* A -p directory with a spin_sdk or componentize_py_* of its own (the
 * SDK's repository layout, `-p ../../src`): pyedge's is imported instead
 * (pyedge_entry.py), which the build says once per directory. */
static void note_own_sdk(const pe_plan_options *o, const char *given, const char *real) {
  static const char *const names[] = {"spin_sdk", "componentize_py_types.py",
                                      "componentize_py_async_support"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    char path[PATH_MAX];
    struct stat st;
    if (pe_path_join(path, sizeof path, real, "%s", names[i]) && stat(path, &st) == 0) {
      pe_build_notef(o->note, o->note_ctx, false,
                     "the -p path '%s' holds its own %s: pyedge's spin_sdk and "
                     "componentize_py_* are used instead",
                     given, names[i]);
      return;
    }
  }
}

static bool build_paths(const pe_plan_options *o, const pe_strs *paths, pe_plan *p,
                        pe_buf *pythonpath, pe_strs *outside, char *err, size_t errlen) {
  size_t napp = strlen(p->app_dir);
  for (size_t i = 0; i < paths->len; i++) {
    const char *given = paths->items[i];
    char joined[PATH_MAX], real[PATH_MAX], guest[PATH_MAX];
    if (given[0] == '/')
      snprintf(joined, sizeof joined, "%s", given);
    else if (!pe_path_join(joined, sizeof joined, p->app_dir, "%s", given)) {
      snprintf(err, errlen, "-p path too long: %s", given);
      return false;
    }
    struct stat st;
    if (!realpath(joined, real) || stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
      /* as componentize-py, which adds it to sys.path all the same: an
       * app copied out of its repository often names a -p it no longer needs */
      pe_build_notef(o->note, o->note_ctx, true,
                     "the -p path '%s' of the build command is not a directory (%s): left out",
                     given, joined);
      continue;
    }
    note_own_sdk(o, given, real);
    if (!strcmp(real, p->app_dir)) {
      snprintf(guest, sizeof guest, "/app");
    } else if (!strncmp(real, p->app_dir, napp) && real[napp] == '/' &&
               !left_out_of_mirror(real, napp)) {
      snprintf(guest, sizeof guest, "/app%s", real + napp);
    } else {
      /* reuse the mount of an earlier -p naming the same directory */
      guest[0] = 0;
      for (size_t k = 0; k < p->nmounts; k++)
        if (!strcmp(p->mounts[k].host_dir, real))
          snprintf(guest, sizeof guest, "%s", p->mounts[k].guest_path);
      if (!guest[0]) {
        snprintf(guest, sizeof guest, "/usr/local/pypath/%zu", outside->len);
        if (!add_mount(p, real, guest, err, errlen) || !pe_strs_push(outside, real)) return false;
      }
    }
    /* each directory once, at its first position */
    bool dup = false;
    for (const char *q = pythonpath->data; q && *q;) {
      size_t n = strcspn(q, ":");
      dup |= n == strlen(guest) && !strncmp(q, guest, n);
      q += n + (q[n] == ':');
    }
    if (!dup && !pe_buf_printf(pythonpath, "%s%s", pythonpath->len ? ":" : "", guest)) {
      snprintf(err, errlen, "out of memory");
      return false;
    }
  }
  return true;
}

static bool out_of_memory(char *err, size_t errlen) {
  snprintf(err, errlen, "out of memory");
  return false;
}

static bool path_too_long(char *err, size_t errlen) {
  snprintf(err, errlen, "path too long");
  return false;
}

/* What planning holds from one step to the next; end_planning frees it. */
typedef struct {
  pe_cz_command cz;
  pe_strs default_paths; /* the -p paths when there is no build command */
  const pe_strs *paths;  /* the -p paths: cz's or default_paths */
  pe_strs private;       /* what no walk enters: the state directory, the caller's paths */
  pe_strs outside;       /* -p paths with mounts of their own */
  pe_strs mirror;        /* what the mirror of the app holds (pe_tree_walk.record) */
  pe_buf pythonpath;
  pe_sha256 *key; /* from step 5 until the plan takes it */
  char pyedge_dir[PATH_MAX], bundles[PATH_MAX], files_root[PATH_MAX];
  char site[PATH_MAX]; /* the requirements bundle; "" if none */
} planning;

static const char *const *private_paths(const planning *pl) {
  return (const char *const *)pl->private.items;
}

static void end_planning(planning *pl) {
  if (pl->key) {
    char discard[65];
    pe_sha256_end(pl->key, discard);
  }
  pe_cz_free(&pl->cz);
  pe_strs_free(&pl->default_paths);
  pe_strs_free(&pl->outside);
  pe_strs_free(&pl->private);
  pe_strs_free(&pl->mirror);
  pe_buf_free(&pl->pythonpath);
}

/* 1. The app module and the -p paths from the build command, else
 * componentize-py's defaults ("app", "."). */
static bool read_build_command(const pe_plan_options *o, const pe_manifest_component *mc,
                               pe_plan *p, planning *pl, char *err, size_t errlen) {
  if (!mc->has_build || mc->build.commands.len == 0) {
    snprintf(p->module, sizeof p->module, "app");
    pl->paths = &pl->default_paths;
    if (!pe_strs_push(&pl->default_paths, ".")) return out_of_memory(err, errlen);
    return true;
  }
  if (pe_cz_parse(mc->build.commands.items, mc->build.commands.len, &pl->cz, err, errlen) !=
      PE_CZ_OK)
    return false;
  for (size_t i = 0; i < pl->cz.warnings.len; i++)
    pe_build_notef(o->note, o->note_ctx, true, "%s", pl->cz.warnings.items[i]);
  for (size_t i = 0; i < pl->cz.notes.len; i++)
    pe_build_notef(o->note, o->note_ctx, false, "%s", pl->cz.notes.items[i]);
  snprintf(p->module, sizeof p->module, "%s", pl->cz.module);
  pl->paths = &pl->cz.python_paths;
  return true;
}

/* 2. The component directory: the build workdir, else the manifest's. */
static bool find_app_dir(const pe_plan_options *o, const pe_manifest_component *mc, pe_plan *p,
                         char *err, size_t errlen) {
  char dir[PATH_MAX];
  if (mc->has_build && mc->build.workdir) {
    if (!pe_path_join(dir, sizeof dir, o->manifest_dir, "%s", mc->build.workdir))
      return path_too_long(err, errlen);
  } else {
    snprintf(dir, sizeof dir, "%s", o->manifest_dir);
  }
  if (!realpath(dir, p->app_dir)) {
    snprintf(err, errlen, "directory %s not found", dir);
    return false;
  }
  return true;
}

/* pyedge's directories in the state directory, and what no walk may enter:
 * the state directory, never part of the component, and the caller's
 * private paths. */
static bool keep_state_private(const pe_plan_options *o, planning *pl, char *err, size_t errlen) {
  if (!pe_path_join(pl->pyedge_dir, sizeof pl->pyedge_dir, o->state_dir, "pyedge") ||
      !pe_path_join(pl->bundles, sizeof pl->bundles, pl->pyedge_dir, "bundles") ||
      !pe_path_join(pl->files_root, sizeof pl->files_root, pl->pyedge_dir, "files"))
    return path_too_long(err, errlen);
  if (!pe_mkdir_p(o->state_dir, err, errlen)) return false;
  char state_real[PATH_MAX];
  if (!realpath(o->state_dir, state_real)) {
    snprintf(err, errlen, "state directory %s: %s", o->state_dir, strerror(errno));
    return false;
  }
  if (!pe_strs_push(&pl->private, state_real)) return out_of_memory(err, errlen);
  for (size_t i = 0; i < o->nprivate; i++)
    if (!pe_strs_push(&pl->private, o->private_paths[i])) return out_of_memory(err, errlen);
  return true;
}

/* 4. The pip bundle of requirements.txt, mounted at /usr/local/site-packages;
 * sys.path ends with the SDK, then the bundle. */
static bool add_requirements(const pe_plan_options *o, pe_plan *p, planning *pl, char *err,
                             size_t errlen) {
  char pyver[32];
  guest_python_version(o->stdlib_dir, pyver, sizeof pyver);
  pe_bundle_options bo = {.component_dir = p->app_dir,
                          .bundles_root = pl->bundles,
                          .python_version = pyver,
                          .note = o->note,
                          .note_ctx = o->note_ctx};
  if (!pe_bundle_prepare(&bo, pl->site, sizeof pl->site, err, errlen)) return false;
  if (pl->site[0] && !add_mount(p, pl->site, "/usr/local/site-packages", err, errlen)) return false;
  if (!pe_buf_printf(&pl->pythonpath, ":/usr/local/pyedge%s",
                     pl->site[0] ? ":/usr/local/site-packages" : ""))
    return out_of_memory(err, errlen);
  return true;
}

/* 5. The `files` tree, mounted at /; the key begins here, with its files. */
static bool add_files(const pe_plan_options *o, const pe_manifest_component *mc, pe_plan *p,
                      planning *pl, char *err, size_t errlen) {
  pl->key = pe_sha256_begin();
  if (!pl->key) return out_of_memory(err, errlen);
  char tree[PATH_MAX];
  if (!pe_files_prepare(mc, o->manifest_dir, pl->files_root, private_paths(pl), pl->private.len,
                        pl->key, o->note, o->note_ctx, tree, sizeof tree, err, errlen))
    return false;
  return !tree[0] || add_mount(p, tree, "/", err, errlen);
}

/* The -p paths outside the component directory, mounted as they are:
 * nothing of pyedge's may lie below them. */
static bool walk_outside_paths(pe_tree_walk *w, const planning *pl, char *err, size_t errlen) {
  for (size_t i = 0; i < pl->outside.len; i++) {
    for (size_t k = 0; k < pl->private.len; k++)
      if (pe_path_is_within(pl->private.items[k], (const char *const *)&pl->outside.items[i], 1)) {
        snprintf(err, errlen,
                 "the -p path %s holds %s, pyedge's own state, which the guest must not see",
                 pl->outside.items[i], pl->private.items[k]);
        return false;
      }
    if (!walk_into(w, pl->outside.items[i], pl->outside.items[i], err, errlen)) return false;
  }
  return true;
}

/* The SDK's names and bytes into the key (it is not counted in the bundle). */
static bool walk_sdk(const char *sdk_dir, pe_sha256 *key, char *err, size_t errlen) {
  pe_tree_walk sdk = {.hash = key, .skip_hidden = true};
  bool ok = pe_tree_walk_dir(&sdk, sdk_dir, err, errlen);
  pe_tree_walk_free(&sdk);
  return ok;
}

/* 6. One walk over what the guest can import or read: native code refused,
 * the bundle's size counted, every name and byte into the key after
 * sys.path and the mount layout. The component directory's walk also
 * records what its mirror holds. */
static bool walk_component(const pe_plan_options *o, pe_plan *p, planning *pl, char *err,
                           size_t errlen) {
  pe_sha256_update(pl->key, pl->pythonpath.data, pl->pythonpath.len + 1);
  for (size_t i = 0; i < p->nmounts; i++)
    pe_sha256_update(pl->key, p->mounts[i].guest_path, strlen(p->mounts[i].guest_path) + 1);
  pe_tree_walk w = {.hash = pl->key,
                    .scan_native = true,
                    .skip_hidden = true,
                    .private_paths = private_paths(pl),
                    .nprivate = pl->private.len,
                    .record = &pl->mirror};
  bool ok = walk_into(&w, p->app_dir, "the component directory", err, errlen);
  w.record = NULL;
  ok = ok && walk_outside_paths(&w, pl, err, errlen);
  /* the bundle is pyedge's own making, inside the state directory on purpose */
  w.private_paths = NULL;
  w.nprivate = 0;
  ok = ok && (!pl->site[0] || walk_into(&w, pl->site, "the requirements bundle", err, errlen));
  if (ok) p->bundle_bytes = w.bytes;
  pe_tree_walk_free(&w);
  return ok && walk_sdk(o->sdk_dir, pl->key, err, errlen);
}

/* The bundle above --max-bundle-size is refused; above the warning size it
 * gets a note. */
static bool check_bundle_size(const pe_plan_options *o, const pe_plan *p, char *err,
                              size_t errlen) {
  char have[32], limit[32];
  fmt_mb(p->bundle_bytes, have, sizeof have);
  if (o->max_bundle && p->bundle_bytes > o->max_bundle) {
    fmt_mb(o->max_bundle, limit, sizeof limit);
    snprintf(err, errlen,
             "its bundle (component files and installed packages, without .spin and "
             "__pycache__) is %s, above the maximum of %s (--max-bundle-size)",
             have, limit);
    return false;
  }
  if (o->warn_bundle && p->bundle_bytes > o->warn_bundle) {
    fmt_mb(o->warn_bundle, limit, sizeof limit);
    pe_build_notef(o->note, o->note_ctx, true,
                   "its bundle (component files and installed packages) is %s, above %s: every "
                   "request's imports read from it; consider trimming requirements.txt",
                   have, limit);
  }
  return true;
}

/* PYTHONPATH and the key into the plan, then the mirror the guest sees at
 * /app, named by the component and its key. */
static bool finish_plan(const pe_manifest_component *mc, pe_plan *p, planning *pl, char *err,
                        size_t errlen) {
  if (!(p->python_path = strdup(pl->pythonpath.data))) return out_of_memory(err, errlen);
  pe_sha256_end(pl->key, p->key);
  pl->key = NULL;
  char apps_root[PATH_MAX], name[300];
  snprintf(name, sizeof name, "%s-%.16s", mc->id, p->key);
  if (!pe_path_join(apps_root, sizeof apps_root, pl->pyedge_dir, "app"))
    return path_too_long(err, errlen);
  return pe_tree_mirror(&pl->mirror, apps_root, name, p->app_tree, sizeof p->app_tree, err, errlen);
}

bool pe_plan_component(const pe_plan_options *o, const pe_manifest_component *mc, pe_plan *p,
                       char *err, size_t errlen) {
  memset(p, 0, sizeof *p);
  planning pl = {0};
  /* the steps of the top comment in order; 3. is build_paths */
  bool ok = read_build_command(o, mc, p, &pl, err, errlen) && find_app_dir(o, mc, p, err, errlen) &&
            keep_state_private(o, &pl, err, errlen) &&
            build_paths(o, pl.paths, p, &pl.pythonpath, &pl.outside, err, errlen) &&
            add_requirements(o, p, &pl, err, errlen) && add_files(o, mc, p, &pl, err, errlen) &&
            walk_component(o, p, &pl, err, errlen) && check_bundle_size(o, p, err, errlen) &&
            finish_plan(mc, p, &pl, err, errlen);
  end_planning(&pl);
  if (!ok) pe_plan_free(p);
  return ok;
}

void pe_plan_free(pe_plan *p) {
  pe_strs_free(&p->owned);
  free(p->python_path);
  p->python_path = NULL;
  p->nmounts = 0;
}
