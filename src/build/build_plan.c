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
  if (bytes < 1000000) snprintf(out, outlen, "%.1f kB", (double)bytes / 1e3);
  else snprintf(out, outlen, "%.1f MB", (double)bytes / 1e6);
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

static bool build_paths(const pe_strs *paths, pe_plan *p, pe_buf *pythonpath, pe_strs *outside,
                        char *err, size_t errlen) {
  size_t napp = strlen(p->app_dir);
  for (size_t i = 0; i < paths->len; i++) {
    const char *given = paths->items[i];
    char joined[PATH_MAX], real[PATH_MAX], guest[PATH_MAX];
    if (given[0] == '/') snprintf(joined, sizeof joined, "%s", given);
    else if (!pe_path_join(joined, sizeof joined, p->app_dir, "%s", given)) {
      snprintf(err, errlen, "-p path too long: %s", given);
      return false;
    }
    struct stat st;
    if (!realpath(joined, real) || stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
      snprintf(err, errlen, "the -p path '%s' of the build command is not a directory (%s)", given,
               joined);
      return false;
    }
    if (!strcmp(real, p->app_dir)) {
      snprintf(guest, sizeof guest, "/app");
    } else if (!strncmp(real, p->app_dir, napp) && real[napp] == '/' &&
               !left_out_of_mirror(real, napp)) {
      snprintf(guest, sizeof guest, "/app%s", real + napp);
    } else {
      /* reuse the mount of an earlier -p naming the same directory */
      guest[0] = 0;
      for (size_t k = 0; k < p->nmounts; k++)
        if (!strcmp(p->mounts[k].host_dir, real)) snprintf(guest, sizeof guest, "%s", p->mounts[k].guest_path);
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

bool pe_plan_component(const pe_plan_options *o, const pe_manifest_component *mc, pe_plan *p,
                       char *err, size_t errlen) {
  memset(p, 0, sizeof *p);
  pe_cz_command cz = {0};
  pe_strs default_paths = {0}, outside = {0}, private = {0}, mirror = {0};
  pe_buf pythonpath = {0};
  pe_tree_walk w = {0};
  pe_sha256 *key = NULL;
  const pe_strs *paths = &default_paths;
  bool ok = false;

  /* 1. the build command */
  if (mc->has_build && mc->build.commands.len > 0) {
    pe_cz_status st = pe_cz_parse(mc->build.commands.items, mc->build.commands.len, &cz, err, errlen);
    if (st != PE_CZ_OK) goto out;
    for (size_t i = 0; i < cz.warnings.len; i++)
      pe_build_notef(o->note, o->note_ctx, true, "%s", cz.warnings.items[i]);
    snprintf(p->module, sizeof p->module, "%s", cz.module);
    paths = &cz.python_paths;
  } else {
    snprintf(p->module, sizeof p->module, "app");
    if (!pe_strs_push(&default_paths, ".")) goto oom;
  }

  /* 2. the component directory */
  char dir[PATH_MAX];
  if (mc->has_build && mc->build.workdir) {
    if (!pe_path_join(dir, sizeof dir, o->manifest_dir, "%s", mc->build.workdir)) goto toolong;
  } else {
    snprintf(dir, sizeof dir, "%s", o->manifest_dir);
  }
  if (!realpath(dir, p->app_dir)) {
    snprintf(err, errlen, "directory %s not found", dir);
    goto out;
  }

  /* the state directory is never part of the component */
  char pyedge_dir[PATH_MAX], bundles[PATH_MAX], files_root[PATH_MAX];
  if (!pe_path_join(pyedge_dir, sizeof pyedge_dir, o->state_dir, "pyedge") ||
      !pe_path_join(bundles, sizeof bundles, pyedge_dir, "bundles") ||
      !pe_path_join(files_root, sizeof files_root, pyedge_dir, "files"))
    goto toolong;
  if (!pe_mkdir_p(o->state_dir, err, errlen)) goto out;
  char state_real[PATH_MAX];
  if (!realpath(o->state_dir, state_real)) {
    snprintf(err, errlen, "state directory %s: %s", o->state_dir, strerror(errno));
    goto out;
  }
  if (!pe_strs_push(&private, state_real)) goto oom;
  for (size_t i = 0; i < o->nprivate; i++)
    if (!pe_strs_push(&private, o->private_paths[i])) goto oom;
  const char *const *priv = (const char *const *)private.items;

  /* 3. -p paths */
  if (!build_paths(paths, p, &pythonpath, &outside, err, errlen)) goto out;

  /* 4. requirements.txt */
  char pyver[32], site[PATH_MAX];
  guest_python_version(o->stdlib_dir, pyver, sizeof pyver);
  pe_bundle_options bo = {.component_dir = p->app_dir, .bundles_root = bundles,
                          .python_version = pyver, .note = o->note, .note_ctx = o->note_ctx};
  if (!pe_bundle_prepare(&bo, site, sizeof site, err, errlen)) goto out;
  if (site[0] && !add_mount(p, site, "/usr/local/site-packages", err, errlen)) goto out;
  if (!pe_buf_printf(&pythonpath, ":/usr/local/pyedge%s", site[0] ? ":/usr/local/site-packages" : ""))
    goto oom;

  /* 5. files */
  key = pe_sha256_begin();
  if (!key) goto oom;
  char tree[PATH_MAX];
  if (!pe_files_prepare(mc, o->manifest_dir, files_root, priv, private.len, key, o->note,
                        o->note_ctx, tree, sizeof tree, err, errlen))
    goto out;
  if (tree[0] && !add_mount(p, tree, "/", err, errlen)) goto out;

  /* 6. one walk: native code, size, key */
  pe_sha256_update(key, pythonpath.data, pythonpath.len + 1);
  for (size_t i = 0; i < p->nmounts; i++)
    pe_sha256_update(key, p->mounts[i].guest_path, strlen(p->mounts[i].guest_path) + 1);
  w = (pe_tree_walk){.hash = key, .scan_native = true, .skip_hidden = true,
                     .private_paths = priv, .nprivate = private.len, .record = &mirror};
  if (!walk_into(&w, p->app_dir, "the component directory", err, errlen)) goto out;
  w.record = NULL;
  for (size_t i = 0; i < outside.len; i++) {
    /* mounted as they are: nothing of pyedge's may lie below them */
    for (size_t k = 0; k < private.len; k++)
      if (pe_path_is_within(private.items[k], (const char *const *)&outside.items[i], 1)) {
        snprintf(err, errlen,
                 "the -p path %s holds %s, pyedge's own state, which the guest must not see",
                 outside.items[i], private.items[k]);
        goto out;
      }
    if (!walk_into(&w, outside.items[i], outside.items[i], err, errlen)) goto out;
  }
  /* the bundle is pyedge's own making, inside the state directory on purpose */
  w.private_paths = NULL;
  w.nprivate = 0;
  if (site[0] && !walk_into(&w, site, "the requirements bundle", err, errlen)) goto out;
  p->bundle_bytes = w.bytes;
  pe_tree_walk sdk = {.hash = key, .skip_hidden = true};
  bool sdk_ok = pe_tree_walk_dir(&sdk, o->sdk_dir, err, errlen);
  pe_tree_walk_free(&sdk);
  if (!sdk_ok) goto out;
  char have[32], limit[32];
  fmt_mb(p->bundle_bytes, have, sizeof have);
  if (o->max_bundle && p->bundle_bytes > o->max_bundle) {
    fmt_mb(o->max_bundle, limit, sizeof limit);
    snprintf(err, errlen,
             "its bundle (component files and installed packages, without .spin and "
             "__pycache__) is %s, above the maximum of %s (--max-bundle-size)",
             have, limit);
    goto out;
  }
  if (o->warn_bundle && p->bundle_bytes > o->warn_bundle) {
    fmt_mb(o->warn_bundle, limit, sizeof limit);
    pe_build_notef(o->note, o->note_ctx, true,
                   "its bundle (component files and installed packages) is %s, above %s: every "
                   "request's imports read from it; consider trimming requirements.txt",
                   have, limit);
  }
  if (!(p->python_path = strdup(pythonpath.data))) goto oom;
  pe_sha256_end(key, p->key);
  key = NULL;
  char apps_root[PATH_MAX], name[300];
  snprintf(name, sizeof name, "%s-%.16s", mc->id, p->key);
  if (!pe_path_join(apps_root, sizeof apps_root, pyedge_dir, "app")) goto toolong;
  if (!pe_tree_mirror(&mirror, apps_root, name, p->app_tree, sizeof p->app_tree, err, errlen))
    goto out;
  ok = true;
  goto out;
toolong:
  snprintf(err, errlen, "path too long");
  goto out;
oom:
  snprintf(err, errlen, "out of memory");
out:
  if (key) {
    char discard[65];
    pe_sha256_end(key, discard);
  }
  pe_tree_walk_free(&w);
  pe_cz_free(&cz);
  pe_strs_free(&default_paths);
  pe_strs_free(&outside);
  pe_strs_free(&private);
  pe_strs_free(&mirror);
  pe_buf_free(&pythonpath);
  if (!ok) pe_plan_free(p);
  return ok;
}

void pe_plan_free(pe_plan *p) {
  pe_strs_free(&p->owned);
  free(p->python_path);
  p->python_path = NULL;
  p->nmounts = 0;
}
