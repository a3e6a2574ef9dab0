/*
 * test_build_rules.c -- the rules of pyedge's own build (src/build/):
 * requirements.txt filtering, glob patterns, native-code detection, the
 * directory walk behind snapshot keys and bundle sizes, the `files` tree
 * and the requirements bundle's failure messages. File-system cases run in
 * a fresh temporary directory.
 */
#include "pe_test.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/pe_build.h"

/* --- helpers ---------------------------------------------------------------- */

static char root[256];

static void put(const char *rel, const char *text) {
  char path[PATH_MAX], err[256];
  snprintf(path, sizeof path, "%s/%s", root, rel);
  char *slash = strrchr(path, '/');
  *slash = 0;
  if (!pe_mkdir_p(path, err, sizeof err)) fail_msg("%s", err);
  *slash = '/';
  if (!pe_write_file(path, text, strlen(text), err, sizeof err)) fail_msg("%s", err);
}

static void read_back(const char *path, char *out, size_t outlen) {
  pe_buf b = {0};
  char err[256];
  if (!pe_read_file(path, &b, err, sizeof err)) fail_msg("%s", err);
  snprintf(out, outlen, "%s", b.data);
  pe_buf_free(&b);
}

static int setup(void **state) {
  (void)state;
  snprintf(root, sizeof root, "/tmp/pe-build-rules-XXXXXX");
  return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  pe_tree_remove(root);
  return 0;
}

/* --- requirements.txt ----------------------------------------------------------- */

static void test_req_normalize(void **state) {
  (void)state;
  char out[64];
  static const char *const same[] = {"spin-sdk", "Spin_SDK", "spin.sdk", "SPIN__-sdk", "spin_sdk"};
  for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
    pe_req_normalize(same[i], strlen(same[i]), out, sizeof out);
    assert_string_equal(out, "spin-sdk");
  }
  pe_req_normalize("x", 1, out, 1);
  assert_string_equal(out, "");
}

static void test_req_filter(void **state) {
  (void)state;
  const char text[] =
      "# the template's build tools\n"
      "spin-sdk == 3.4.1\n"
      "Componentize_Py>=0.16  # comment\n"
      "spin.sdk[extra] ; python_version >= '3.10'\n"
      "\n"
      "requests==2.31 \\\n"
      "    --hash=sha256:abc\n"
      "-r more.txt\n"
      "--constraint=/abs/c.txt\n"
      "-f wheels\n"
      "-i https://example.org/simple\n"
      "spin-sdk-extras==1.0\n"
      "https://example.org/x.whl\n"
      "-e ./local\n"
      "pkg#not-a-comment\n";
  pe_req_filtered r;
  char err[256];
  assert_true(pe_req_filter(text, sizeof text - 1, "/base", &r, err, sizeof err));
  assert_int_equal(r.skipped.len, 3);
  assert_string_equal(r.skipped.items[0], "spin-sdk == 3.4.1");
  assert_string_equal(r.skipped.items[1], "Componentize_Py>=0.16");
  assert_int_equal(r.kept.len, 5);
  assert_string_equal(r.kept.items[0], "requests==2.31     --hash=sha256:abc");
  assert_string_equal(r.kept.items[1], "spin-sdk-extras==1.0");
  assert_string_equal(r.kept.items[3], "-e ./local");
  assert_string_equal(r.kept.items[4], "pkg#not-a-comment");
  assert_int_equal(r.included.len, 2);
  assert_string_equal(r.included.items[0], "/base/more.txt");
  assert_string_equal(r.included.items[1], "/abs/c.txt");
  assert_non_null(strstr(r.text.data, "--requirement /base/more.txt\n"));
  assert_non_null(strstr(r.text.data, "--find-links /base/wheels\n"));
  assert_non_null(strstr(r.text.data, "-i https://example.org/simple\n"));
  assert_null(strstr(r.text.data, "spin-sdk =="));
  assert_null(strstr(r.text.data, "omponentize"));
  pe_req_free(&r);

  /* only the template's lines: nothing for pip */
  const char tpl[] = "spin-sdk == 3.4.1\r\ncomponentize-py == 0.16.0\r\n";
  assert_true(pe_req_filter(tpl, sizeof tpl - 1, "/b", &r, err, sizeof err));
  assert_int_equal(r.kept.len, 0);
  assert_int_equal(r.text.len, 0);
  pe_req_free(&r);

  /* a NUL byte is refused */
  const char nul[] = "a\0b\n";
  assert_false(pe_req_filter(nul, sizeof nul - 1, "/b", &r, err, sizeof err));
  assert_non_null(strstr(err, "NUL"));
}

/* --- globs -------------------------------------------------------------------- */

static void test_glob(void **state) {
  (void)state;
  struct {
    const char *pat, *path;
    bool lit, match;
  } cases[] = {
      {"static/*", "static/a.html", true, true},
      {"static/*", "static/sub/a.html", true, false},
      {"static/*", "static/sub/a.html", false, true},
      {"static/**/*", "static/a.html", true, true},
      {"static/**/*", "static/x/y/z.css", true, true},
      {"static/**/*", "other/a.html", true, false},
      {"**/*.py", "app.py", true, true},
      {"**/*.py", "a/b/c.py", true, true},
      {"**/*.py", "a/b/c.pyc", true, false},
      {"static/**", "static/a/b", true, true},
      {"a/**/b", "a/b", true, true},
      {"a/**/b", "a/x/y/b", true, true},
      {"a/**/b", "a/xb", true, false},
      {"*.txt", ".hidden.txt", true, true},
      {"?.txt", "a.txt", true, true},
      {"?.txt", "ab.txt", true, false},
      {"?", "/", true, false},
      {"?", "/", false, true},
      {"[abc].txt", "b.txt", true, true},
      {"[!abc].txt", "b.txt", true, false},
      {"[a-c][!x-z]", "bq", true, true},
      {"[]]", "]", true, true},
      {"[*]", "*", true, true},
      {"[*]", "a", true, false},
      {"*.bak", "dir/old.bak", false, true},
      {"*.bak", "dir/old.bak", true, false},
      {"exact.txt", "exact.txt", true, true},
      {"exact.txt", "exact.txt2", true, false},
      {"", "", true, true},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
    if (pe_glob_match(cases[i].pat, cases[i].path, cases[i].lit) != cases[i].match)
      fail_msg("'%s' ~ '%s' (%s): expected %s", cases[i].pat, cases[i].path,
               cases[i].lit ? "literal /" : "any", cases[i].match ? "match" : "no match");
  char err[128];
  assert_false(pe_glob_valid("a**", err, sizeof err));
  assert_non_null(strstr(err, "whole path component"));
  assert_false(pe_glob_valid("**b/c", err, sizeof err));
  assert_false(pe_glob_valid("***", err, sizeof err));
  assert_false(pe_glob_valid("[abc", err, sizeof err));
  assert_non_null(strstr(err, "unclosed"));
  assert_false(pe_glob_match("[abc", "a", true));
  assert_true(pe_glob_valid("**/x/**", err, sizeof err));
  assert_true(pe_glob_has_magic("a/*.py"));
  assert_false(pe_glob_has_magic("a/b.py"));
}

static void test_glob_pathological_is_fast(void **state) {
  (void)state;
  char path[2001];
  memset(path, 'a', 2000);
  path[2000] = 0;
  /* backtracking without memo would take forever here */
  assert_false(pe_glob_match("*a*a*a*a*a*a*a*a*a*a*a*a*b", path, false));
  assert_true(pe_glob_match("*a*a*a*a*a*a*a*a*a*a*a*a*", path, false));
}

/* --- native code ------------------------------------------------------------------ */

static void test_native_names(void **state) {
  (void)state;
  static const char *const native[] = {"_speed.so", "x.cpython-313-x86_64-linux-gnu.so",
                                       "mod.pyd",   "lib.dylib",
                                       "libz.so.1", "libq.so.1.2.3"};
  static const char *const plain[] = {"so",       ".so",   "x.py",          "x.so.py",
                                      "libz.so.", "x.sox", "readme.so.txt", "x.pyd.bak"};
  for (size_t i = 0; i < sizeof native / sizeof *native; i++)
    if (!pe_tree_is_native(native[i])) fail_msg("%s is native", native[i]);
  for (size_t i = 0; i < sizeof plain / sizeof *plain; i++)
    if (pe_tree_is_native(plain[i])) fail_msg("%s is not native", plain[i]);
}

static void test_package_of(void **state) {
  (void)state;
  put("site/fastnative/__init__.py", "");
  put("site/fastnative/_speed.so", "ELF");
  put("site/fastnative-1.0.dist-info/RECORD",
      "fastnative/__init__.py,,\nfastnative/_speed.so,sha256=x,3\n");
  put("site/fast_lib.libs/libz.so.1", "ELF");
  put("site/fast_lib-2.0.dist-info/RECORD", "fast_lib.libs/libz.so.1,,\n");
  put("app/vendor/pkg/__init__.py", "");
  put("app/vendor/pkg/sub/c.so", "ELF");
  put("app/loose/x.so", "ELF");
  char site[PATH_MAX], app[PATH_MAX], name[256];
  snprintf(site, sizeof site, "%s/site", root);
  snprintf(app, sizeof app, "%s/app", root);
  pe_tree_package_of(site, "fastnative/_speed.so", name, sizeof name);
  assert_string_equal(name, "fastnative");
  pe_tree_package_of(site, "fast_lib.libs/libz.so.1", name, sizeof name);
  assert_string_equal(name, "fast_lib");
  pe_tree_package_of(root, "site/fastnative/_speed.so", name, sizeof name);
  assert_string_equal(name, "fastnative"); /* a vendored site-packages */
  pe_tree_package_of(app, "vendor/pkg/sub/c.so", name, sizeof name);
  assert_string_equal(name, "pkg");
  pe_tree_package_of(app, "loose/x.so", name, sizeof name);
  assert_string_equal(name, "loose");
}

/* --- the walk ------------------------------------------------------------------------ */

static void walk_hash(const char *dir, bool hidden, char out[65], uint64_t *bytes,
                      size_t *natives) {
  pe_sha256 *h = pe_sha256_begin();
  pe_tree_walk w = {.hash = h, .scan_native = true, .skip_hidden = hidden};
  char err[256];
  if (!pe_tree_walk_dir(&w, dir, err, sizeof err)) fail_msg("%s", err);
  pe_sha256_end(h, out);
  if (bytes) *bytes = w.bytes;
  if (natives) *natives = w.native.len;
  pe_tree_walk_free(&w);
}

static void test_walk(void **state) {
  (void)state;
  put("w/app.py", "print(1)\n");  /* 9 bytes */
  put("w/pkg/mod.py", "x = 1\n"); /* 6 */
  put("w/__pycache__/app.pyc", "zzzzzzzzzzzzzzzzzz");
  put("w/pkg/__pycache__/mod.pyc", "zzzzzzzzzzzz");
  put("w/venv/pyvenv.cfg", "home = /usr/bin\n");
  put("w/venv/lib/native.so", "ELF");
  put("w/.git/objects/x", "yyyyyyyyyyyyyy");
  char dir[PATH_MAX], a[65], b[65];
  snprintf(dir, sizeof dir, "%s/w", root);
  uint64_t bytes;
  size_t natives;
  walk_hash(dir, true, a, &bytes, &natives);
  assert_int_equal(bytes, 15);
  assert_int_equal(natives, 0); /* the venv is not looked into */
  /* bytecode and hidden files do not change the key */
  put("w/__pycache__/other.pyc", "q");
  put("w/.git/objects/y", "q");
  walk_hash(dir, true, b, NULL, NULL);
  assert_string_equal(a, b);
  /* a changed byte, a new file, a renamed file do */
  put("w/pkg/mod.py", "x = 2\n");
  walk_hash(dir, true, b, NULL, NULL);
  assert_string_not_equal(a, b);
  char c[65];
  put("w/pkg/new.py", "");
  walk_hash(dir, true, c, NULL, NULL);
  assert_string_not_equal(b, c);
  /* hidden entries count when asked */
  walk_hash(dir, false, c, &bytes, NULL);
  assert_true(bytes > 15);
  /* a native file anywhere else is found */
  put("w/pkg/_c.cpython-313-x86_64-linux-gnu.so", "ELF");
  walk_hash(dir, true, c, NULL, &natives);
  assert_int_equal(natives, 1);
  /* a symlink loop is walked once */
  char link[PATH_MAX];
  snprintf(link, sizeof link, "%s/w/pkg/loop", root);
  assert_int_equal(symlink("..", link), 0);
  walk_hash(dir, true, c, NULL, NULL);
  /* a private directory, named by its real path, is never entered */
  char venvless[PATH_MAX], venvless_real[PATH_MAX];
  snprintf(venvless, sizeof venvless, "%s/w/pkg", root);
  assert_non_null(realpath(venvless, venvless_real));
  const char *private_dirs[] = {venvless_real};
  pe_tree_walk w = {.private_paths = private_dirs, .nprivate = 1, .skip_hidden = true};
  char err[256];
  assert_true(pe_tree_walk_dir(&w, dir, err, sizeof err));
  assert_int_equal(w.bytes, 9);
  pe_tree_walk_free(&w);
  /* not a directory */
  assert_false(pe_tree_walk_dir(&w, "/nonexistent/pyedge", err, sizeof err));
  assert_non_null(strstr(err, "not a directory"));
}

/* --- files ---------------------------------------------------------------------------- */

static void component_files(pe_manifest_component *mc, pe_manifest_files *f, size_t n,
                            const char **excl, size_t nexcl) {
  memset(mc, 0, sizeof *mc);
  mc->id = "web";
  mc->files = f;
  mc->n_files = n;
  mc->exclude_files.items = excl;
  mc->exclude_files.len = nexcl;
}

typedef struct {
  int warnings;
  char last[512];
} notes;

static void note(void *ctx, bool warning, const char *msg) {
  notes *n = ctx;
  n->warnings += warning;
  snprintf(n->last, sizeof n->last, "%s", msg);
}

static bool exists(const char *tree, const char *rel) {
  char p[PATH_MAX * 2];
  snprintf(p, sizeof p, "%s/%s", tree, rel);
  return access(p, F_OK) == 0;
}

static void test_files_tree(void **state) {
  (void)state;
  put("f/static/index.html", "<h1>hi</h1>");
  put("f/static/css/site.css", "body{}");
  put("f/static/old.bak", "old");
  put("f/static/css/older.bak", "old");
  put("f/config.json", "{}");
  put("f/assets/logo.txt", "LOGO");
  put("f/assets/deep/x.txt", "X");
  put("f/data/one.txt", "1");
  char app[PATH_MAX], files_root[PATH_MAX], tree[PATH_MAX], err[512];
  snprintf(app, sizeof app, "%s/f", root);
  snprintf(files_root, sizeof files_root, "%s/state/pyedge/files", root);
  pe_manifest_files f[] = {
      {"static/**/*", NULL, 1},
      {"config.json", NULL, 2},
      {"assets", "/srv/assets", 3},
      {"data/one.txt", "/etc/one.conf", 4},
      {"data", NULL, 5},
  };
  const char *excl[] = {"*.bak"};
  pe_manifest_component mc;
  component_files(&mc, f, 5, excl, 1);
  notes n = {0};
  pe_sha256 *key = pe_sha256_begin();
  assert_true(pe_files_prepare(&mc, app, files_root, NULL, 0, key, note, &n, tree, sizeof tree, err,
                               sizeof err));
  char k1[65];
  pe_sha256_end(key, k1);
  assert_non_null(strstr(tree, "/web-"));
  assert_true(exists(tree, "static/index.html"));
  assert_true(exists(tree, "static/css/site.css"));
  assert_false(exists(tree, "static/old.bak"));       /* excluded */
  assert_false(exists(tree, "static/css/older.bak")); /* * crosses / in exclude_files */
  assert_true(exists(tree, "config.json"));
  assert_true(exists(tree, "srv/assets/logo.txt"));
  assert_true(exists(tree, "srv/assets/deep/x.txt"));
  assert_true(exists(tree, "etc/one.conf"));
  assert_true(exists(tree, "data/one.txt"));
  assert_false(exists(tree, "assets"));
  char text[64], p[PATH_MAX * 2];
  snprintf(p, sizeof p, "%s/srv/assets/logo.txt", tree);
  read_back(p, text, sizeof text);
  assert_string_equal(text, "LOGO");
  assert_int_equal(n.warnings, 0);

  /* same contents: the same tree; a changed byte: another one */
  char tree2[PATH_MAX];
  assert_true(pe_files_prepare(&mc, app, files_root, NULL, 0, NULL, note, &n, tree2, sizeof tree2,
                               err, sizeof err));
  assert_string_equal(tree, tree2);
  put("f/static/index.html", "<h1>changed</h1>");
  assert_true(pe_files_prepare(&mc, app, files_root, NULL, 0, NULL, note, &n, tree2, sizeof tree2,
                               err, sizeof err));
  assert_string_not_equal(tree, tree2);
  /* no temporary directories are left */
  DIR *d = opendir(files_root);
  assert_non_null(d);
  int count = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    assert_null(strstr(e->d_name, ".tmp"));
    count += e->d_name[0] != '.';
  }
  closedir(d);
  assert_int_equal(count, 2);

  /* no files: no tree */
  component_files(&mc, NULL, 0, NULL, 0);
  assert_true(pe_files_prepare(&mc, app, files_root, NULL, 0, NULL, note, &n, tree2, sizeof tree2,
                               err, sizeof err));
  assert_string_equal(tree2, "");
}

static void test_files_refusals(void **state) {
  (void)state;
  put("g/ok.txt", "ok");
  put("g/app/x.txt", "hidden by /app");
  char app[PATH_MAX], files_root[PATH_MAX], tree[PATH_MAX], err[512];
  snprintf(app, sizeof app, "%s/g", root);
  snprintf(files_root, sizeof files_root, "%s/state2", root);
  struct {
    pe_manifest_files f;
    const char *want;
  } bad[] = {
      {{"../outside.txt", NULL, 1}, "outside the application directory"},
      {{"/etc/passwd", NULL, 1}, "outside the application directory"},
      {{"missing.txt", NULL, 1}, "does not exist and does not look like a glob"},
      {{"a**/x", NULL, 1}, "whole path component"},
      {{"missing", "/m", 2}, "source 'missing' (line 2) does not exist"},
      {{"../g", "/m", 2}, "outside the application directory"},
      {{"ok.txt", "/a/../../b", 2}, "may not contain '..'"},
      {{"ok.txt", "/", 2}, "not a valid destination file name"},
      {{"ok.txt", "/dir/", 2}, "not a valid destination file name"},
  };
  pe_manifest_component mc;
  notes n = {0};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    component_files(&mc, &bad[i].f, 1, NULL, 0);
    err[0] = 0;
    if (pe_files_prepare(&mc, app, files_root, NULL, 0, NULL, note, &n, tree, sizeof tree, err,
                         sizeof err))
      fail_msg("case %zu accepted", i);
    if (!strstr(err, bad[i].want)) fail_msg("case %zu: '%s' lacks '%s'", i, err, bad[i].want);
  }
  const char *bad_excl[] = {"[x"};
  pe_manifest_files ok = {"ok.txt", NULL, 1};
  component_files(&mc, &ok, 1, bad_excl, 1);
  assert_false(pe_files_prepare(&mc, app, files_root, NULL, 0, NULL, note, &n, tree, sizeof tree,
                                err, sizeof err));
  /* warnings: a pattern matching nothing, a destination pyedge hides */
  pe_manifest_files warn[] = {{"nothing/*.x", NULL, 1}, {"app/x.txt", NULL, 2}};
  component_files(&mc, warn, 2, NULL, 0);
  n.warnings = 0;
  assert_true(pe_files_prepare(&mc, app, files_root, NULL, 0, NULL, note, &n, tree, sizeof tree,
                               err, sizeof err));
  assert_int_equal(n.warnings, 2);
  assert_non_null(strstr(n.last, "/app/x.txt is hidden"));
  assert_true(pe_files_reserved("usr/local/lib/x"));
  assert_true(pe_files_reserved("app"));
  assert_false(pe_files_reserved("apps/x"));
  assert_false(pe_files_reserved("usr/local/share/x"));
}

/* Links that make the walk endless: a link back to a directory that holds
 * it is refused by name (found by fuzz_files_tree: two such links doubled
 * the walk at every level, 2^64 visits); links that only repeat siblings
 * are followed, each file taken at every path that reaches it. */
static void test_files_link_loops(void **state) {
  (void)state;
  put("h/static/index.html", "hi");
  put("h/shared/x.txt", "x");
  char app[PATH_MAX], files_root[PATH_MAX], tree[PATH_MAX], err[512], p[PATH_MAX + 32];
  snprintf(app, sizeof app, "%s/h", root);
  snprintf(files_root, sizeof files_root, "%s/state3", root);
  snprintf(p, sizeof p, "%s/static/again", app);
  assert_int_equal(symlink(".", p), 0);
  snprintf(p, sizeof p, "%s/static/up", app);
  assert_int_equal(symlink("..", p), 0);
  pe_manifest_files f[] = {{"static", NULL, 1}};
  pe_manifest_component mc;
  component_files(&mc, f, 1, NULL, 0);
  notes n = {0};
  assert_false(pe_files_prepare(&mc, app, files_root, NULL, 0, NULL, note, &n, tree, sizeof tree,
                                err, sizeof err));
  assert_non_null(strstr(err, "is a symbolic link to a directory that holds it, a loop"));
  /* the same through a glob, and through a { source, destination } */
  pe_manifest_files g[] = {{"static/**/*.html", NULL, 1}};
  component_files(&mc, g, 1, NULL, 0);
  assert_false(pe_files_prepare(&mc, app, files_root, NULL, 0, NULL, note, &n, tree, sizeof tree,
                                err, sizeof err));
  assert_non_null(strstr(err, "a loop"));
  pe_manifest_files d[] = {{"static", "/site", 1}};
  component_files(&mc, d, 1, NULL, 0);
  assert_false(pe_files_prepare(&mc, app, files_root, NULL, 0, NULL, note, &n, tree, sizeof tree,
                                err, sizeof err));
  assert_non_null(strstr(err, "a loop"));
  /* without the loops: two links to one directory bring its files twice */
  snprintf(p, sizeof p, "%s/static/again", app);
  assert_int_equal(unlink(p), 0);
  snprintf(p, sizeof p, "%s/static/up", app);
  assert_int_equal(unlink(p), 0);
  snprintf(p, sizeof p, "%s/static/s1", app);
  assert_int_equal(symlink("../shared", p), 0);
  snprintf(p, sizeof p, "%s/static/s2", app);
  assert_int_equal(symlink("../shared", p), 0);
  component_files(&mc, f, 1, NULL, 0);
  assert_true(pe_files_prepare(&mc, app, files_root, NULL, 0, NULL, note, &n, tree, sizeof tree,
                               err, sizeof err));
  assert_true(exists(tree, "static/s1/x.txt"));
  assert_true(exists(tree, "static/s2/x.txt"));
  assert_true(exists(tree, "static/index.html"));
}

/* --- the bundle --------------------------------------------------------------------------- */

static void test_bundle_without_pip(void **state) {
  (void)state;
  char comp[PATH_MAX], bundles[PATH_MAX], site[PATH_MAX], err[1024];
  snprintf(comp, sizeof comp, "%s/b", root);
  snprintf(bundles, sizeof bundles, "%s/b-state/bundles", root);
  notes n = {0};
  pe_bundle_options o = {.component_dir = comp,
                         .bundles_root = bundles,
                         .python_version = "3.13",
                         .python = "/nonexistent/python3",
                         .note = note,
                         .note_ctx = &n};
  /* no requirements.txt */
  put("b/app.py", "");
  assert_true(pe_bundle_prepare(&o, site, sizeof site, err, sizeof err));
  assert_string_equal(site, "");
  /* only the template's build tools: skipped, pip never runs */
  put("b/requirements.txt", "spin-sdk == 3.4.1\ncomponentize-py == 0.16.0\n");
  assert_true(pe_bundle_prepare(&o, site, sizeof site, err, sizeof err));
  assert_string_equal(site, "");
  assert_non_null(strstr(n.last, "'componentize-py == 0.16.0' skipped"));
  /* something to install, but no python: a clear refusal naming it */
  put("b/requirements.txt", "spin-sdk == 3.4.1\nhumanize==4.9\n");
  assert_false(pe_bundle_prepare(&o, site, sizeof site, err, sizeof err));
  assert_non_null(strstr(err, "'humanize==4.9'"));
  assert_non_null(strstr(err, "pip is not available"));
  assert_string_equal(site, "");
  /* a python without pip */
  o.python = "/bin/false";
  assert_false(pe_bundle_prepare(&o, site, sizeof site, err, sizeof err));
  assert_non_null(strstr(err, "'humanize==4.9'"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_req_normalize),
      cmocka_unit_test(test_req_filter),
      cmocka_unit_test(test_glob),
      cmocka_unit_test(test_glob_pathological_is_fast),
      cmocka_unit_test(test_native_names),
      cmocka_unit_test(test_package_of),
      cmocka_unit_test(test_walk),
      cmocka_unit_test(test_files_tree),
      cmocka_unit_test(test_files_refusals),
      cmocka_unit_test(test_files_link_loops),
      cmocka_unit_test(test_bundle_without_pip),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
