/*
 * fuzz_files_tree.c -- a component's `files` gathered at build time
 * (src/build/build_files.c, build_tree.c) from an application directory the
 * fuzzer lays out, symbolic links included: the copy must never hand the
 * guest a host file it was not given.
 *
 * The tree (under /dev/shm when it exists):
 *   R/outside/    the sentinel: secret ("PYEDGE-FUZZ-SECRET"), dir/secret2
 *   R/app/        rebuilt for every input from the input's ops; its .spin/
 *                 holds private ("PYEDGE-FUZZ-PRIVATE"), a private path as
 *                 pyedge's state directory is
 *   R/files/      where pe_files_prepare builds its tree
 * Input: up to 24 ops, each an op byte and its bytes:
 *   dir    a directory under one made before (or app/)
 *   file   a regular file there ("data-N")
 *   link   a symbolic link there to a target from a table: relative and
 *          absolute ways out (../outside/secret, R/outside, /etc/passwd, /,
 *          .., ../..), ways that stay in (a sibling, ., a made path), a
 *          link to itself, into .spin/
 *   files  a `files` entry from a table of patterns ("**", "*", "static",
 *          "*\/x", a made path) and { source, destination } placements
 *   excl   an exclude_files glob from a table
 * Then, when the manifest has files: pe_files_prepare with app/.spin
 * private. Whatever it answers, R/outside and app/.spin are unchanged and,
 * when it succeeds, the tree it built holds only directories and regular
 * files, none with the sentinel's bytes, the private file's or
 * /etc/passwd's first line.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/pe_build.h"
#include "fuzz_common.h"
#include "manifest/pe_manifest.h"

#define MAX_OPS 24
#define MAX_MADE 32

static char root[64], app[128], outside[128], files_root[128], private_dir[160];
static bool ready;

static void put(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  FZ_CHECK(fd >= 0);
  FZ_CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
  close(fd);
}

static void setup(void) {
  if (ready) return;
  fz_tmpdir(root, "files");
  snprintf(outside, sizeof outside, "%s/outside", root);
  snprintf(app, sizeof app, "%s/app", root);
  snprintf(files_root, sizeof files_root, "%s/files", root);
  char p[PATH_MAX];
  FZ_CHECK(mkdir(outside, 0755) == 0);
  snprintf(p, sizeof p, "%s/secret", outside);
  put(p, "PYEDGE-FUZZ-SECRET");
  snprintf(p, sizeof p, "%s/dir", outside);
  FZ_CHECK(mkdir(p, 0755) == 0);
  snprintf(p, sizeof p, "%s/dir/secret2", outside);
  put(p, "PYEDGE-FUZZ-SECRET two");
  ready = true;
}

/* What a tree must not contain: the sentinel's or the private file's
 * bytes, or a host file's. */
static bool forbidden(const char *text) {
  return strstr(text, "PYEDGE-FUZZ-SECRET") || strstr(text, "PYEDGE-FUZZ-PRIVATE") ||
         !strncmp(text, "root:", 5);
}

static int check_built(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)ftw;
  FZ_CHECK(flag == FTW_F || flag == FTW_D || flag == FTW_DP);
  FZ_CHECK(S_ISREG(st->st_mode) || S_ISDIR(st->st_mode)); /* never a link */
  if (S_ISREG(st->st_mode)) {
    char buf[256];
    int fd = open(path, O_RDONLY | O_NOFOLLOW);
    FZ_CHECK(fd >= 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    FZ_CHECK(n >= 0);
    buf[n] = 0;
    FZ_CHECK(!forbidden(buf));
  }
  return 0;
}

/* Names under app/ this input made (for parents, links and patterns). */
typedef struct made {
  char rel[MAX_MADE][128];
  bool dir[MAX_MADE];
  int n;
} made;

static const char *const names[] = {"static", "a", "b", "x", "index.html", ".spin", "data.txt"};
#define N_NAMES (sizeof names / sizeof names[0])

static const char *parent_of(fz *f, const made *m) {
  int k = fz_u8(f) % (m->n + 1);
  for (int i = 0, seen = 0; i < m->n; i++)
    if (m->dir[i] && seen++ == k - 1) return m->rel[i];
  return "";
}

static bool child(fz *f, made *m, char *rel, size_t cap) {
  const char *parent = parent_of(f, m);
  const char *name = names[fz_u8(f) % N_NAMES];
  int n = snprintf(rel, cap, "%s%s%s", parent, *parent ? "/" : "", name);
  return n > 0 && (size_t)n < cap && m->n < MAX_MADE;
}

/* A link's target: out of the app, in it, or odd. */
static void link_target(fz *f, const made *m, const char *rel, char *out, size_t cap) {
  int depth = 0;
  for (const char *p = rel; *p; p++) depth += *p == '/';
  char up[64] = "";
  for (int i = 0; i <= depth && strlen(up) + 4 < sizeof up; i++) strcat(up, "../");
  switch (fz_u8(f) % 11) {
    case 0: snprintf(out, cap, "%soutside/secret", up); break;
    case 1: snprintf(out, cap, "%s/secret", outside); break;
    case 2: snprintf(out, cap, "%s", outside); break;
    case 3: snprintf(out, cap, "/etc/passwd"); break;
    case 4: snprintf(out, cap, "/"); break;
    case 5: snprintf(out, cap, ".."); break;
    case 6: snprintf(out, cap, "%s..", up); break;
    case 7: snprintf(out, cap, "."); break;
    case 8: snprintf(out, cap, "%s", strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel); break;
    case 9: snprintf(out, cap, "%s.spin/private", up + 3); break;
    default: snprintf(out, cap, "%s%s", up + 3, m->n ? m->rel[fz_u8(f) % m->n] : "a"); break;
  }
}

static const char *const patterns[] = {"**",  "*",      "static", "static/**",     "*/*", "a",
                                       "a/*", "b/**/*", ".spin",  ".spin/private", "x"};
static const char *const excludes[] = {"**/*.txt", "a/**", "static/x", "*"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  setup();
  pe_tree_remove(app);
  pe_tree_remove(files_root);
  FZ_CHECK(mkdir(app, 0755) == 0 && mkdir(files_root, 0755) == 0);
  snprintf(private_dir, sizeof private_dir, "%s/.spin", app);
  FZ_CHECK(mkdir(private_dir, 0755) == 0);
  char p[PATH_MAX], target[PATH_MAX];
  snprintf(p, sizeof p, "%s/private", private_dir);
  put(p, "PYEDGE-FUZZ-PRIVATE");

  fz f;
  fz_init(&f, data, size);
  made m = {.n = 0};
  pe_buf files = {0}, excl = {0};
  for (int op = 0; op < MAX_OPS && f.left; op++) {
    char rel[128];
    switch (fz_u8(&f) % 5) {
      case 0: /* dir */
        if (!child(&f, &m, rel, sizeof rel)) break;
        snprintf(p, sizeof p, "%s/%s", app, rel);
        if (mkdir(p, 0755) == 0) {
          snprintf(m.rel[m.n], sizeof m.rel[0], "%s", rel);
          m.dir[m.n++] = true;
        }
        break;
      case 1: /* file */
        if (!child(&f, &m, rel, sizeof rel)) break;
        snprintf(p, sizeof p, "%s/%s", app, rel);
        {
          int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
          if (fd < 0) break;
          char text[32];
          int n = snprintf(text, sizeof text, "data-%d", op);
          FZ_CHECK(write(fd, text, (size_t)n) == n);
          close(fd);
        }
        snprintf(m.rel[m.n], sizeof m.rel[0], "%s", rel);
        m.dir[m.n++] = false;
        break;
      case 2: /* link */
        if (!child(&f, &m, rel, sizeof rel)) break;
        snprintf(p, sizeof p, "%s/%s", app, rel);
        link_target(&f, &m, rel, target, sizeof target);
        if (symlink(target, p) == 0) {
          snprintf(m.rel[m.n], sizeof m.rel[0], "%s", rel);
          m.dir[m.n++] = false;
        }
        break;
      case 3: { /* files entry */
        uint8_t k = fz_u8(&f);
        const char *what = k % 3 == 2 && m.n
                               ? m.rel[fz_u8(&f) % m.n]
                               : patterns[fz_u8(&f) % (sizeof patterns / sizeof *patterns)];
        bool ok;
        if (k % 4 == 3)
          ok = pe_buf_printf(&files, "{ source = \"%s\", destination = \"/d%d\" }, ", what, op);
        else
          ok = pe_buf_printf(&files, "\"%s\", ", what);
        FZ_CHECK(ok);
        break;
      }
      default: /* exclude */
        FZ_CHECK(pe_buf_printf(&excl, "\"%s\", ",
                               excludes[fz_u8(&f) % (sizeof excludes / sizeof *excludes)]));
        break;
    }
  }

  pe_buf manifest = {0};
  FZ_CHECK(pe_buf_printf(&manifest,
                         "spin_manifest_version = 2\n[application]\nname = \"f\"\n"
                         "[[trigger.http]]\nroute = \"/...\"\ncomponent = \"c\"\n"
                         "[component.c]\nsource = \"app.wasm\"\nfiles = [%.*s]\n"
                         "exclude_files = [%.*s]\n",
                         (int)files.len, files.data ? files.data : "", (int)excl.len,
                         excl.data ? excl.data : ""));
  pe_manifest_error me;
  pe_manifest *man = pe_manifest_parse(manifest.data, manifest.len, "spin.toml", &me);
  FZ_CHECK(man != NULL); /* every entry above is valid TOML and a valid files entry */
  char private_real[PATH_MAX];
  FZ_CHECK(realpath(private_dir, private_real));
  const char *privates[] = {private_real};
  char tree[PATH_MAX], err[PATH_MAX + 512];
  if (pe_files_prepare(pe_manifest_component_by_id(man, "c"), app, files_root, privates, 1, NULL,
                       NULL, NULL, tree, sizeof tree, err, sizeof err) &&
      tree[0])
    FZ_CHECK(nftw(tree, check_built, 16, FTW_PHYS) == 0);

  /* the sentinel and the private file are as they were */
  char buf[64];
  snprintf(p, sizeof p, "%s/secret", outside);
  int fd = open(p, O_RDONLY);
  FZ_CHECK(fd >= 0);
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  FZ_CHECK(n == 18 && !memcmp(buf, "PYEDGE-FUZZ-SECRET", 18));
  pe_manifest_free(man);
  pe_buf_free(&manifest);
  pe_buf_free(&files);
  pe_buf_free(&excl);
  return 0;
}
