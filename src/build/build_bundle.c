/*
 * build_bundle.c -- a component's requirements, installed by the host's pip.
 *
 * When the component directory holds a requirements.txt with anything left
 * after build_requirements.c has dropped spin-sdk and componentize-py, pyedge
 * runs, in the component directory,
 *
 *   python3 -m pip install --target DIR --no-compile --only-binary=:all:
 *       --python-version 3.13 --no-input --disable-pip-version-check
 *       -r FILTERED
 *
 * (wheels only: nothing is compiled on the host; --python-version makes pip
 * choose wheels for the guest's CPython, not the host's). pip reads its
 * usual environment (PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS,
 * PIP_NO_INDEX, ...) and its configuration files. The result is cached in
 * <state>/pyedge/bundles/<hash>/site-packages, the hash covering the
 * filtered requirements, the files they include (-r, -c) and the guest's
 * Python version; it is built under a temporary name and renamed into
 * place when complete, so a half-installed bundle is never used. Delete the
 * directory to force a new resolution (unpinned requirements are not
 * re-resolved while the file is unchanged).
 *
 * Refused, with the package named: a wheel holding native code (any *.so,
 * *.pyd, *.dylib), since CPython in the sandbox is WebAssembly and loads
 * pure Python only. Failures say what went wrong in pip's own words and
 * keep pip's log next to the bundles: no python3 or no pip module on the
 * host, no matching distribution (with a hint when no package index could
 * be reached), anything else pip reports.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pe_build.h"

extern char **environ;

/* Runs pip; returns its exit status (127 when it cannot start). */
static int run_pip(const pe_bundle_options *o, const char *target, const char *reqs,
                   const char *log) {
  const char *python = o->python ? o->python : "python3";
  char *const argv[] = {(char *)python,
                        "-m",
                        "pip",
                        "install",
                        "--target",
                        (char *)target,
                        "--no-compile",
                        "--only-binary=:all:",
                        "--python-version",
                        (char *)o->python_version,
                        "--no-input",
                        "--disable-pip-version-check",
                        "-r",
                        (char *)reqs,
                        NULL};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawn_file_actions_addchdir_np(&fa, o->component_dir);
  pid_t pid;
  int rc = posix_spawnp(&pid, python, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    FILE *f = fopen(log, "a");
    if (f) {
      fprintf(f, "pyedge: cannot run %s: %s\n", python, strerror(rc));
      fclose(f);
    }
    return 127;
  }
  return pe_wait(pid);
}

/* The text after `marker` up to the end of its line, into out. */
static bool after(const char *text, const char *marker, char *out, size_t outlen) {
  const char *p = strstr(text, marker);
  if (!p) return false;
  p += strlen(marker);
  size_t n = strcspn(p, "\n");
  snprintf(out, outlen, "%.*s", (int)n, p);
  return true;
}

/* The last line of pip's log starting with "ERROR:". */
static void last_error(const char *text, char *out, size_t outlen) {
  out[0] = 0;
  for (const char *p = text; p && *p;) {
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (!strncmp(p, "ERROR: ", 7)) snprintf(out, outlen, "%.*s", (int)(n - 7), p + 7);
    p = e ? e + 1 : NULL;
  }
}

static void explain_failure(const pe_bundle_options *o, int status, const char *log,
                            const pe_req_filtered *req, char *err, size_t errlen) {
  pe_buf b = {0};
  char why[128];
  bool have_log = pe_read_file(log, &b, why, sizeof why); /* else: the status alone */
  const char *text = have_log && b.data ? b.data : "";
  const char *python = o->python ? o->python : "python3";
  char what[512], pip_said[512];
  last_error(text, pip_said, sizeof pip_said);
  char names[512] = "";
  for (size_t i = 0, off = 0; i < req->kept.len && off < sizeof names; i++) {
    int n = snprintf(names + off, sizeof names - off, "%s'%s'", i ? ", " : "", req->kept.items[i]);
    if (n < 0) break;
    off += (size_t)n;
  }
  bool no_network = strstr(text, "NewConnectionError") || strstr(text, "Failed to establish") ||
                    strstr(text, "Temporary failure in name resolution") ||
                    strstr(text, "Network is unreachable") || strstr(text, "Could not fetch URL");
  if (status == 127 && strstr(text, "pyedge: cannot run")) {
    snprintf(err, errlen,
             "requirements.txt lists %s, but pip is not available: %s cannot be run; install "
             "Python 3 with pip, or put the packages into the component directory",
             names, python);
  } else if (strstr(text, "No module named pip")) {
    snprintf(err, errlen,
             "requirements.txt lists %s, but pip is not available (%s has no pip module); "
             "install pip, or put the packages into the component directory",
             names, python);
  } else if (after(text, "No matching distribution found for ", what, sizeof what) ||
             after(text, "Could not find a version that satisfies the requirement ", what,
                   sizeof what)) {
    char *paren = strstr(what, " (from versions");
    if (paren) *paren = 0;
    snprintf(err, errlen,
             "cannot install '%s' from requirements.txt: pip found no matching wheel%s; set "
             "PIP_INDEX_URL or PIP_FIND_LINKS, or put the package into the component directory "
             "(pip's log: %s)",
             what, no_network ? " (no package index is reachable)" : "", log);
  } else {
    snprintf(err, errlen, "pip could not install %s from requirements.txt (exit %d)%s%s (log: %s)",
             names, status, pip_said[0] ? ": " : "", pip_said, log);
  }
  pe_buf_free(&b);
}

/* Refuses native code in the installed bundle, naming the packages. */
static bool check_pure(const char *site, char *err, size_t errlen) {
  pe_tree_walk w = {.scan_native = true};
  if (!pe_tree_walk_dir(&w, site, err, errlen)) {
    pe_tree_walk_free(&w);
    return false;
  }
  bool ok = w.native.len == 0;
  if (!ok) {
    char pkgs[1024] = "";
    size_t off = 0;
    pe_strs seen = {0};
    for (size_t i = 0; i < w.native.len && off < sizeof pkgs; i++) {
      char name[256];
      pe_tree_package_of(site, w.native.items[i], name, sizeof name);
      bool dup = false;
      for (size_t k = 0; k < seen.len; k++) dup |= !strcmp(seen.items[k], name);
      if (dup) continue;
      if (!pe_strs_push(&seen, name)) break; /* out of memory: the list so far */
      int n = snprintf(pkgs + off, sizeof pkgs - off, "%s'%s' (%s)", off ? ", " : "", name,
                       w.native.items[i]);
      if (n < 0) break;
      off += (size_t)n;
    }
    snprintf(err, errlen,
             "requirements.txt: %s %s %s native code: only pure-Python packages run in the "
             "sandbox (its CPython is WebAssembly and cannot load native extensions)",
             seen.len > 1 ? "packages" : "package", pkgs, seen.len > 1 ? "have" : "has");
    pe_strs_free(&seen);
  }
  pe_tree_walk_free(&w);
  return ok;
}

bool pe_bundle_prepare(const pe_bundle_options *o, char *site, size_t sitelen, char *err,
                       size_t errlen) {
  if (sitelen) site[0] = 0;
  char req_path[PATH_MAX];
  if (!pe_path_join(req_path, sizeof req_path, o->component_dir, "requirements.txt")) {
    snprintf(err, errlen, "component directory path too long");
    return false;
  }
  if (access(req_path, F_OK) != 0) return true;
  pe_buf text = {0};
  if (!pe_read_file(req_path, &text, err, errlen)) return false;
  pe_req_filtered req;
  bool ok = pe_req_filter(text.data, text.len, o->component_dir, &req, err, errlen);
  pe_buf_free(&text);
  if (!ok) return false;
  for (size_t i = 0; i < req.skipped.len; i++) {
    char norm[64];
    pe_req_normalize(req.skipped.items[i], strcspn(req.skipped.items[i], " \t[(<>=!~;@,"), norm,
                     sizeof norm);
    pe_build_notef(o->note, o->note_ctx, false, "requirements.txt: '%s' skipped: %s",
                   req.skipped.items[i],
                   !strcmp(norm, "spin-sdk") ? "pyedge provides spin_sdk itself"
                                             : "pyedge builds the component itself");
  }
  if (req.kept.len == 0) {
    pe_req_free(&req);
    return true;
  }
  /* the cache key */
  pe_sha256 *h = pe_sha256_begin();
  if (!h) {
    pe_req_free(&req);
    snprintf(err, errlen, "out of memory");
    return false;
  }
  pe_sha256_update(h, o->python_version, strlen(o->python_version) + 1);
  pe_sha256_update(h, req.text.data, req.text.len);
  for (size_t i = 0; i < req.included.len; i++) {
    pe_buf inc = {0};
    char why[128];
    pe_sha256_update(h, req.included.items[i], strlen(req.included.items[i]) + 1);
    if (pe_read_file(req.included.items[i], &inc, why, sizeof why))
      pe_sha256_update(h, inc.data, inc.len);
    pe_buf_free(&inc);
  }
  char hex[65];
  pe_sha256_end(h, hex);
  char final[PATH_MAX], done[PATH_MAX], tmp[PATH_MAX], target[PATH_MAX], reqs[PATH_MAX],
      log[PATH_MAX];
  if (!pe_path_join(final, sizeof final, o->bundles_root, "%.16s", hex) ||
      !pe_path_join(done, sizeof done, final, ".complete") ||
      !pe_path_join(tmp, sizeof tmp, o->bundles_root, ".tmp-%.16s-%ld", hex, (long)getpid()) ||
      !pe_path_join(target, sizeof target, tmp, "site-packages") ||
      !pe_path_join(reqs, sizeof reqs, tmp, "requirements.txt") ||
      !pe_path_join(log, sizeof log, o->bundles_root, "pip-%.16s.log", hex) ||
      (size_t)snprintf(site, sitelen, "%s/site-packages", final) >= sitelen) {
    pe_req_free(&req);
    snprintf(err, errlen, "state directory path too long");
    return false;
  }
  if (access(done, F_OK) == 0) {
    pe_req_free(&req);
    return true;
  }
  pe_build_notef(o->note, o->note_ctx, false,
                 "installing %zu requirement%s from requirements.txt with pip into %s",
                 req.kept.len, req.kept.len == 1 ? "" : "s", final);
  pe_tree_remove(tmp);
  unlink(log);
  ok = pe_mkdir_p(tmp, err, errlen) &&
       pe_write_file(reqs, req.text.data, req.text.len, err, errlen);
  if (ok) {
    int status = run_pip(o, target, reqs, log);
    if (status != 0) {
      explain_failure(o, status, log, &req, err, errlen);
      ok = false;
    }
  }
  /* a package with nothing to install leaves no directory */
  if (ok && access(target, F_OK) != 0) ok = pe_mkdir_p(target, err, errlen);
  ok = ok && check_pure(target, err, errlen);
  if (ok) {
    char marker[PATH_MAX];
    ok = pe_path_join(marker, sizeof marker, tmp, ".complete") &&
         pe_write_file(marker, "", 0, err, errlen);
  }
  if (ok && rename(tmp, final) != 0 && access(done, F_OK) != 0) {
    snprintf(err, errlen, "cannot create %s: %s", final, strerror(errno));
    ok = false;
  }
  pe_tree_remove(tmp);
  pe_req_free(&req);
  if (!ok) site[0] = 0;
  return ok;
}
