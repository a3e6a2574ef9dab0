/*
 * aot_compile.c -- wasm -> C -> shared object, cached.
 *
 * The cache key covers everything that decides the machine code: the module
 * bytes, the C compiler (resolved path, size, mtime) and its flags, the
 * wasm2c binary, and the runtime headers the C is compiled against (they are
 * embedded in this executable, see embedded.h). Output goes to
 * <cache>/aot/<key>.so via a private temporary directory and rename(2), so
 * concurrent compilations of the same module cannot corrupt each other.
 */
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "embedded.h"
#include "pe_aot.h"
#include "runtime/pe_rt.h"

#define PE_AOT_PART_BYTES (8u << 20)
#define PE_AOT_LINK_LIBS "-lm"
/* bind every symbol at load: no lazy resolution at the bottom of a guest stack */
#define PE_AOT_LINK_NOW "-Wl,-z,now"

#define PE_AOT_MAX_PARTS 16

/* Finds prog in PATH; false if absent. */
static bool which(const char *prog, char *out, size_t outlen) {
  if (strchr(prog, '/')) {
    if (access(prog, X_OK) != 0) return false;
    return realpath(prog, out) != NULL || snprintf(out, outlen, "%s", prog) > 0;
  }
  const char *path = getenv("PATH");
  if (!path) path = "/usr/bin:/bin";
  while (*path) {
    const char *c = strchr(path, ':');
    size_t n = c ? (size_t)(c - path) : strlen(path);
    char cand[PATH_MAX];
    if (n && n + strlen(prog) + 2 < sizeof cand) {
      snprintf(cand, sizeof cand, "%.*s/%s", (int)n, path, prog);
      if (access(cand, X_OK) == 0) {
        char real[PATH_MAX];
        snprintf(out, outlen, "%s", realpath(cand, real) ? real : cand);
        return true;
      }
    }
    path += n + (c ? 1 : 0);
  }
  return false;
}

static void hash_file_identity(pe_sha256 *h, const char *path) {
  struct stat st;
  char id[PATH_MAX + 64];
  if (stat(path, &st) == 0)
    snprintf(id, sizeof id, "%s|%lld|%lld", path, (long long)st.st_size, (long long)st.st_mtime);
  else
    snprintf(id, sizeof id, "%s|missing", path);
  pe_sha256_update(h, id, strlen(id) + 1);
}

static double seconds_since(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void progress(const pe_aot_options *o, const char *label, const char *what, int done,
                     int total, const struct timespec *t0) {
  if (o->quiet) return;
  fprintf(stderr, "pyedge: compiling %s to native code: %s", label, what);
  if (total) fprintf(stderr, " %d/%d", done, total);
  fprintf(stderr, " (%.1f s)\n", seconds_since(t0));
}

static void remove_tree(const char *dir) {
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      char p[PATH_MAX];
      if ((size_t)snprintf(p, sizeof p, "%s/%s", dir, e->d_name) < sizeof p) unlink(p);
    }
    closedir(d);
  }
  rmdir(dir);
}

/* Appends the first lines of a tool's log to err. */
static void log_excerpt(const char *log, char *err, size_t errlen) {
  pe_buf b = {0};
  char e2[64];
  if (!pe_read_file(log, &b, e2, sizeof e2)) return;
  size_t used = strlen(err);
  if (used + 4 < errlen) {
    snprintf(err + used, errlen - used, ":\n%.*s", (int)(b.len > 1500 ? 1500 : b.len), b.data);
  }
  pe_buf_free(&b);
}

typedef struct {
  const char *name;
  const char *text;
} embedded_file;

static bool write_headers(const char *dir, char *err, size_t errlen) {
  const embedded_file files[] = {
      {"wasm-rt.h", pe_embedded_wasm_rt_h},
      {"pe_rt.h", pe_embedded_pe_rt_h},
      {"pe_wasi_abi.h", pe_embedded_pe_wasi_abi_h},
      {"pe_host_abi.h", pe_embedded_pe_host_abi_h},
  };
  for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
    char p[PATH_MAX];
    if (!pe_path_join(p, sizeof p, dir, "%s", files[i].name)) return false;
    if (!pe_write_file(p, files[i].text, strlen(files[i].text), err, errlen)) return false;
  }
  return true;
}

static int cpu_count(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : (n > 64 ? 64 : (int)n);
}

/* Compiles srcs[i] -> objs[i] with up to `jobs` compilers at once. */
static bool compile_all(const char *cc, const char *opt, const char *dir, int n, int jobs,
                        const pe_aot_options *o, const char *label, const struct timespec *t0,
                        char *err, size_t errlen) {
  pid_t pids[PE_AOT_MAX_PARTS + 1];
  int which_of[PE_AOT_MAX_PARTS + 1];
  int running = 0, next = 0, done = 0;
  bool ok = true;
  char inc[PATH_MAX + 2] = "-I";
  if (strlen(dir) >= PATH_MAX) return false;
  memcpy(inc + 2, dir, strlen(dir) + 1);
  while (done < n) {
    while (ok && running < jobs && next < n) {
      char src[PATH_MAX], obj[PATH_MAX], log[PATH_MAX];
      if (!(next == n - 1 ? pe_path_join(src, sizeof src, dir, "glue.c")
                          : pe_path_join(src, sizeof src, dir, "mod_%d.c", next)) ||
          !pe_path_join(obj, sizeof obj, dir, "obj_%d.o", next) ||
          !pe_path_join(log, sizeof log, dir, "cc_%d.log", next)) {
        snprintf(err, errlen, "path too long under %s", dir);
        ok = false;
        break;
      }
      char *argv[] = {(char *)cc,
                      (char *)opt,
                      "-fPIC",
                      "-fvisibility=hidden",
                      "-ffp-contract=off",
                      "-fno-strict-aliasing",
                      "-w",
                      inc,
                      "-c",
                      src,
                      "-o",
                      obj,
                      NULL};
      pid_t pid = pe_spawn(argv, log, err, errlen);
      if (pid < 0) {
        ok = false;
        break;
      }
      pids[running] = pid;
      which_of[running] = next++;
      running++;
    }
    if (running == 0) break;
    int st;
    int slot = pe_wait_any(pids, running, &st);
    int idx = which_of[slot];
    pids[slot] = pids[running - 1];
    which_of[slot] = which_of[running - 1];
    running--;
    done++;
    if (st != 0 && ok) {
      char log[PATH_MAX];
      snprintf(err, errlen, "the C compiler failed on %s (%s, exit %d)",
               idx == n - 1 ? "the module's import/export glue (an import whose signature "
                              "differs from the host's?)"
                            : "generated code",
               cc, st);
      /* the same path the compile wrote its log to, so it fits */
      if (pe_path_join(log, sizeof log, dir, "cc_%d.log", idx)) log_excerpt(log, err, errlen);
      ok = false;
    }
    if (ok && n > 2) progress(o, label, "compiled part", done, n, t0);
  }
  while (running > 0) pe_wait(pids[--running]);
  return ok;
}

static bool compile_locked(const char *wasm_path, const pe_aot_options *op, const char *label,
                           const char *cc, const char *opt, const char *wasm2c, const char *cache,
                           const char *key, const char *so_path, char *err, size_t errlen);

bool pe_aot_compile(const char *wasm_path, const pe_aot_options *opts, char *so_path, size_t so_len,
                    char *err, size_t errlen) {
  pe_aot_options o = opts ? *opts : (pe_aot_options){0};
  char cc[PATH_MAX], wasm2c[PATH_MAX], cache[PATH_MAX], dir[PATH_MAX + 32];
  const char *want_cc = o.cc ? o.cc : getenv("PYEDGE_CC");
  if (want_cc && *want_cc) {
    if (!which(want_cc, cc, sizeof cc)) {
      snprintf(err, errlen, "C compiler %s not found", want_cc);
      return false;
    }
  } else if (!which("clang-19", cc, sizeof cc) && !which("cc", cc, sizeof cc)) {
    snprintf(err, errlen, "no C compiler found (install clang-19 or gcc)");
    return false;
  }
  const char *opt = o.opt ? o.opt : getenv("PYEDGE_OPT");
  if (!opt || !*opt) opt = "-O2";
  if (!which("wasm2c", wasm2c, sizeof wasm2c)) {
    snprintf(err, errlen, "wasm2c not found (install Debian's wabt package)");
    return false;
  }
  if (!pe_cache_dir(cache, sizeof cache)) {
    snprintf(err, errlen, "cache directory path too long");
    return false;
  }
  const char *label = o.label;
  if (!label) {
    const char *slash = strrchr(wasm_path, '/');
    label = slash ? slash + 1 : wasm_path;
  }

  pe_buf wasm = {0};
  if (!pe_read_file(wasm_path, &wasm, err, errlen)) return false;
  if (wasm.len < 8 || memcmp(wasm.data, "\0asm", 4) != 0) {
    snprintf(err, errlen, "%s is not a WebAssembly module", wasm_path);
    pe_buf_free(&wasm);
    return false;
  }
  pe_sha256 *h = pe_sha256_begin();
  if (!h) {
    pe_buf_free(&wasm);
    snprintf(err, errlen, "cannot hash");
    return false;
  }
  char abi[32];
  snprintf(abi, sizeof abi, "pyedge-aot|%u|%u", PE_MODULE_ABI_VERSION, PE_AOT_CODEGEN_VERSION);
  pe_sha256_update(h, abi, strlen(abi) + 1);
  pe_sha256_update(h, wasm.data, wasm.len);
  pe_buf_free(&wasm);
  hash_file_identity(h, cc);
  pe_sha256_update(h, opt, strlen(opt) + 1);
  pe_sha256_update(h, PE_AOT_LINK_LIBS, sizeof PE_AOT_LINK_LIBS);
  pe_sha256_update(h, PE_AOT_LINK_NOW, sizeof PE_AOT_LINK_NOW);
  hash_file_identity(h, wasm2c);
  pe_sha256_update(h, pe_embedded_wasm_rt_h, strlen(pe_embedded_wasm_rt_h));
  pe_sha256_update(h, pe_embedded_pe_rt_h, strlen(pe_embedded_pe_rt_h));
  pe_sha256_update(h, pe_embedded_pe_wasi_abi_h, strlen(pe_embedded_pe_wasi_abi_h));
  pe_sha256_update(h, pe_embedded_pe_host_abi_h, strlen(pe_embedded_pe_host_abi_h));
  char key[65];
  pe_sha256_end(h, key);

  if ((size_t)snprintf(so_path, so_len, "%s/aot/%.32s.so", cache, key) >= so_len) {
    snprintf(err, errlen, "cache path too long");
    return false;
  }
  if (access(so_path, R_OK) == 0) return true;

  snprintf(dir, sizeof dir, "%s/aot", cache);
  if (!pe_mkdir_p(dir, err, errlen)) return false;
  /* One compiler per module at a time: others wait here, then find it. */
  char lock_path[PATH_MAX + 64];
  snprintf(lock_path, sizeof lock_path, "%s/aot/%.32s.lock", cache, key);
  int lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd >= 0) {
    if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
      if (!o.quiet) fprintf(stderr, "pyedge: waiting for another pyedge compiling %s\n", label);
      flock(lock_fd, LOCK_EX);
    }
    if (access(so_path, R_OK) == 0) {
      close(lock_fd);
      return true;
    }
  }
  bool ok = compile_locked(wasm_path, &o, label, cc, opt, wasm2c, cache, key, so_path, err, errlen);
  if (lock_fd >= 0) close(lock_fd);
  return ok;
}

static bool compile_locked(const char *wasm_path, const pe_aot_options *op, const char *label,
                           const char *cc, const char *opt, const char *wasm2c, const char *cache,
                           const char *key, const char *so_path, char *err, size_t errlen) {
  pe_aot_options o = *op;
  char dir[PATH_MAX + 32];
  snprintf(dir, sizeof dir, "%s/aot/tmp-%.16s-XXXXXX", cache, key);
  if (!mkdtemp(dir)) {
    snprintf(err, errlen, "cannot create a directory under %s/aot: %s", cache, strerror(errno));
    return false;
  }
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  bool ok = false;
  pe_buf c = {0}, hdr = {0}, glue = {0};
  pe_buf parts[PE_AOT_MAX_PARTS];
  memset(parts, 0, sizeof parts);
  char p1[PATH_MAX + 64], p2[PATH_MAX + 64], log[PATH_MAX + 64];

  progress(&o, label, "translating with wasm2c", 0, 0, &t0);
  snprintf(p1, sizeof p1, "%s/mod.c", dir);
  snprintf(log, sizeof log, "%s/wasm2c.log", dir);
  {
    char *argv[] = {(char *)wasm2c, (char *)wasm_path, "-n", "mod", "-o", p1, NULL};
    pid_t pid = pe_spawn(argv, log, err, errlen);
    if (pid < 0) goto out;
    int st = pe_wait(pid);
    if (st != 0) {
      snprintf(err, errlen, "wasm2c rejected %s (exit %d)", wasm_path, st);
      log_excerpt(log, err, errlen);
      goto out;
    }
  }
  snprintf(p2, sizeof p2, "%s/mod.h", dir);
  if (!pe_read_file(p1, &c, err, errlen) || !pe_read_file(p2, &hdr, err, errlen)) goto out;
  if (!pe_aot_glue(hdr.data, "mod.h", &glue, err, errlen)) goto out;
  snprintf(p2, sizeof p2, "%s/glue.c", dir);
  if (!pe_write_file(p2, glue.data, glue.len, err, errlen)) goto out;
  if (!write_headers(dir, err, errlen)) goto out;

  int want = (int)(c.len / PE_AOT_PART_BYTES) + 1;
  if (want > PE_AOT_MAX_PARTS) want = PE_AOT_MAX_PARTS;
  int nparts = pe_aot_split(c.data, c.len, want, parts, err, errlen);
  if (nparts == 0) goto out;
  pe_buf_free(&c);
  unlink(p1);
  for (int i = 0; i < nparts; i++) {
    snprintf(p1, sizeof p1, "%s/mod_%d.c", dir, i);
    if (!pe_write_file(p1, parts[i].data, parts[i].len, err, errlen)) goto out;
    pe_buf_free(&parts[i]);
  }
  int jobs = o.jobs > 0 ? o.jobs : cpu_count();
  if (nparts > 1) progress(&o, label, "compiling C parts", 0, nparts + 1, &t0);
  if (!compile_all(cc, opt, dir, nparts + 1, jobs, &o, label, &t0, err, errlen)) goto out;

  {
    /* link: cc -shared -o out.so obj_0.o ... obj_n.o */
    char *argv[PE_AOT_MAX_PARTS + 8];
    char objs[PE_AOT_MAX_PARTS + 1][PATH_MAX + 32];
    int k = 0;
    argv[k++] = (char *)cc;
    argv[k++] = "-shared";
    argv[k++] = "-o";
    snprintf(p2, sizeof p2, "%s/mod.so", dir);
    argv[k++] = p2;
    for (int i = 0; i <= nparts; i++) {
      if (!pe_path_join(objs[i], sizeof objs[i], dir, "obj_%d.o", i)) {
        snprintf(err, errlen, "path too long under %s", dir);
        goto out;
      }
      argv[k++] = objs[i];
    }
    argv[k++] = PE_AOT_LINK_LIBS; /* generated code calls libm (sqrt, floor, ...) */
    argv[k++] = PE_AOT_LINK_NOW;
    argv[k] = NULL;
    snprintf(log, sizeof log, "%s/ld.log", dir);
    pid_t pid = pe_spawn(argv, log, err, errlen);
    if (pid < 0) goto out;
    if (pe_wait(pid) != 0) {
      snprintf(err, errlen, "linking the compiled module failed");
      log_excerpt(log, err, errlen);
      goto out;
    }
  }
  if (rename(p2, so_path) != 0) {
    snprintf(err, errlen, "cannot move the compiled module to %s: %s", so_path, strerror(errno));
    goto out;
  }
  progress(&o, label, "done", 0, 0, &t0);
  ok = true;
out:
  pe_buf_free(&c);
  pe_buf_free(&hdr);
  pe_buf_free(&glue);
  for (int i = 0; i < PE_AOT_MAX_PARTS; i++) pe_buf_free(&parts[i]);
  if (!getenv("PYEDGE_KEEP_TMP"))
    remove_tree(dir);
  else if (!ok)
    fprintf(stderr, "pyedge: kept %s\n", dir);
  return ok;
}
