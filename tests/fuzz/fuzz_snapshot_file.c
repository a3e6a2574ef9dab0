/*
 * fuzz_snapshot_file.c -- the snapshot-file loader
 * (src/runtime/rt_snapshot_file.c): a file `pyedge build` wrote, read back
 * by `pyedge up`. A corrupt, truncated or foreign file must be refused
 * with a message, never crash or leave memory it should not touch.
 *
 * The loader needs a real module, so the target compiles
 * tests/unit/data/rt_basic.wat once at start-up (wat2wasm, then
 * pe_aot_compile into $PYEDGE_CACHE, as test_runtime.c does) and saves a
 * snapshot of an instance that changed memory, grew it and bumped a
 * global: the template.
 *
 * Input: a mode byte, then either the file itself (mode bit 0 clear) or
 * edits of the template (bit 0 set: a u16 length to cut or extend it to,
 * 0 keeping it whole, then (u16 offset, byte) pairs), which reaches the
 * page runs behind a header the fuzzer could hardly guess. Bit 1 sets a
 * memory limit of two wasm pages. The bytes go into a memfd loaded
 * through /proc/self/fd. A file that loads gives a working instance: its
 * memory size within the limit, its exports callable, and a snapshot of
 * it can be taken and cloned.
 */
#include <limits.h>
#include <sys/mman.h>
#include <unistd.h>

#include "aot/pe_aot.h"
#include "fuzz_common.h"
#include "runtime/pe_rt.h"

static pe_module *mod;
static uint8_t *tmpl;
static size_t tmpl_len;
static int memfd = -1;

static uint64_t call(pe_instance *inst, const char *fn, uint64_t a, uint64_t b) {
  const pe_export *e = pe_module_find(mod, fn);
  FZ_CHECK(e);
  uint64_t args[2] = {a, b}, res[1] = {0};
  pe_outcome o = pe_instance_call(inst, e, args, res, 1000000000ull);
  FZ_CHECK(o.trap == WASM_RT_TRAP_NONE);
  return res[0];
}

static void setup(void) {
  char dir[PATH_MAX], wat[PATH_MAX + 64], tmp[64], wasm[128], cmd[2 * PATH_MAX + 256];
  char so[PATH_MAX], err[4096];
  FZ_CHECK(pe_exe_dir(dir, sizeof dir));
  snprintf(wat, sizeof wat, "%s/../../tests/unit/data/rt_basic.wat", dir);
  fz_tmpdir(tmp, "snapshot");
  snprintf(wasm, sizeof wasm, "%s/rt_basic.wasm", tmp);
  snprintf(cmd, sizeof cmd, "wat2wasm '%s' -o '%s'", wat, wasm);
  if (system(cmd) != 0) {
    fprintf(stderr, "fuzz_snapshot_file: %s failed\n", cmd);
    abort();
  }
  pe_aot_options o = {.quiet = true};
  if (!pe_aot_compile(wasm, &o, so, sizeof so, err, sizeof err) ||
      !(mod = pe_module_open(so, err, sizeof err))) {
    fprintf(stderr, "fuzz_snapshot_file: %s\n", err);
    abort();
  }
  pe_outcome out;
  pe_instance *a = pe_instance_new(mod, NULL, 0, &out, err, sizeof err);
  FZ_CHECK(a);
  call(a, "store", 100, 123);
  call(a, "bump", 0, 0);
  call(a, "grow", 1, 0);
  call(a, "store", 65536 + 8, 77);
  char path[128];
  snprintf(path, sizeof path, "%s/t.snap", tmp);
  uint64_t bytes;
  FZ_CHECK(pe_snapshot_save_file(a, path, &bytes, err, sizeof err));
  pe_instance_free(a);
  pe_buf b = {0};
  FZ_CHECK(pe_read_file(path, &b, err, sizeof err) && b.len == bytes);
  tmpl = (uint8_t *)b.data;
  tmpl_len = b.len;
  memfd = memfd_create("fuzz-snapshot", MFD_CLOEXEC);
  FZ_CHECK(memfd >= 0);
  /* FUZZ_SNAPSHOT_SEED=FILE writes the template out as a seed (mode 0) */
  const char *seed = getenv("FUZZ_SNAPSHOT_SEED");
  if (seed) {
    pe_buf s = {0};
    FZ_CHECK(pe_buf_append(&s, "\0", 1) && pe_buf_append(&s, tmpl, tmpl_len));
    FZ_CHECK(pe_write_file(seed, s.data, s.len, err, sizeof err));
    pe_buf_free(&s);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!mod) setup();
  fz f;
  fz_init(&f, data, size);
  uint8_t mode = fz_u8(&f);
  uint8_t *file;
  size_t len;
  if (mode & 1) {
    size_t want = fz_u16(&f);
    len = want ? want : tmpl_len;
    file = calloc(len ? len : 1, 1);
    FZ_CHECK(file);
    memcpy(file, tmpl, len < tmpl_len ? len : tmpl_len);
    while (f.left >= 3) {
      size_t off = fz_u16(&f);
      uint8_t v = fz_u8(&f);
      if (len) file[off % len] = v;
    }
  } else {
    file = fz_rest(&f, &len);
  }
  FZ_CHECK(ftruncate(memfd, 0) == 0 && ftruncate(memfd, (off_t)len) == 0);
  FZ_CHECK(pwrite(memfd, file, len, 0) == (ssize_t)len);
  char path[64], err[512];
  snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
  uint64_t limit = mode & 2 ? 2 * 65536 : 0;
  err[0] = 0;
  pe_instance *inst = pe_snapshot_load_file(mod, path, NULL, limit, err, sizeof err);
  if (!inst) {
    FZ_CHECK(err[0] && memchr(err, 0, sizeof err));
  } else {
    wasm_rt_memory_t *m = pe_instance_memory(inst);
    FZ_CHECK(m && m->pages >= 1 && m->pages <= 4);
    if (limit) FZ_CHECK((uint64_t)m->pages * 65536 <= limit);
    FZ_CHECK(call(inst, "size", 0, 0) == m->pages);
    FZ_CHECK(call(inst, "add", 2, 40) == 42);
    call(inst, "load", (uint32_t)(m->pages * 65536 - 4), 0);
    call(inst, "store", 100, 5);
    FZ_CHECK(call(inst, "load", 100, 0) == 5);
    if (mode & 4) {
      pe_snapshot *s = pe_snapshot_take(inst, err, sizeof err);
      FZ_CHECK(s);
      pe_instance *c = pe_instance_from_snapshot(s, NULL, err, sizeof err);
      FZ_CHECK(c);
      FZ_CHECK(call(c, "load", 100, 0) == 5);
      pe_instance_free(c);
      pe_snapshot_free(s);
    }
    pe_instance_free(inst);
  }
  free(file);
  return 0;
}
