/*
 * rt_snapshot_file.c -- a pre-initialized instance saved to disk, small.
 *
 * A file holds only what pre-initialization changed: the pages of linear
 * memory that differ from a freshly instantiated copy of the same module
 * (which the loader can always recreate), and the module's instance struct
 * (globals, memory sizes). Loading instantiates the module afresh, grows its
 * memory to the saved size, writes the saved pages over it and copies the
 * instance struct back, keeping the fields that hold this process's
 * pointers (memories, tables, imports: pe_instance_layout).
 *
 * A module with one memory is loaded into a memfd rather than into the
 * instance's anonymous pages: the saved pages are written to it straight
 * from the page cache, then the fresh instance's own pages where the file
 * has none, and it is mapped shared over the memory. pe_snapshot_take then
 * seals that memfd instead of copying every page into a new one: the
 * loader's bytes are copied once instead of twice.
 *
 * Tables are not saved: they hold code addresses and signature ids that
 * are only valid in one process, so the file is refused if
 * pre-initialization changed a table's size (CPython never does).
 *
 * Layout, little-endian:
 *   "PESNAP1\0"  u32 abi  u32 instance_size  u32 nmemories  u32 ntables
 *   instance struct bytes
 *   per memory: u32 pages  u32 nruns, then nruns x (u32 first_page4k,
 *               u32 count4k, count4k * 4096 bytes)
 *   per table: u32 size
 *   "PEEND\0\0\0"
 * Everything read is checked against the module (ABI, sizes, bounds) before
 * it is used: a file from another module or a truncated one is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/pe_util.h"
#include "rt_internal.h"

#define SNAP_MAGIC "PESNAP1"
#define SNAP_END "PEEND\0\0"
#define SNAP_PAGE 4096u

static bool put32(pe_buf *b, uint32_t v) { return pe_buf_append(b, &v, 4); }

static bool is_zero(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return false;
  return true;
}

/* Whether page `off` of m is what a fresh instance has there: the
 * baseline's bytes, or zeros past the baseline's size (memory.grow gives
 * zeroed pages). */
static bool unchanged(const wasm_rt_memory_t *m, const wasm_rt_memory_t *bm, uint64_t base_size,
                      uint64_t off) {
  if (off + SNAP_PAGE <= base_size) return !memcmp(m->data + off, bm->data + off, SNAP_PAGE);
  return is_zero(m->data + off, SNAP_PAGE);
}

static uint8_t *mem_at(pe_instance *inst, uint32_t off) { return inst->state + off; }

bool pe_snapshot_save_file(pe_instance *inst, const char *path, uint64_t *bytes_written, char *err,
                           size_t errlen) {
  const pe_module_desc *d = inst->module->desc;
  const pe_instance_layout *lay = &d->layout;
  pe_outcome o;
  char why[256];
  pe_instance *base = pe_instance_new(inst->module, NULL, 0, &o, why, sizeof why);
  if (!base) {
    snprintf(err, errlen, "cannot instantiate a baseline: %s", why);
    return false;
  }
  pe_buf b = {0};
  bool ok = pe_buf_append(&b, SNAP_MAGIC, 8) && put32(&b, PE_MODULE_ABI_VERSION) &&
            put32(&b, d->instance_size) && put32(&b, lay->nmemories) &&
            put32(&b, lay->nfuncref_tables) && pe_buf_append(&b, inst->state, d->instance_size);
  for (uint32_t i = 0; ok && i < lay->nmemories; i++) {
    const wasm_rt_memory_t *m = (const wasm_rt_memory_t *)mem_at(inst, lay->memories[i]);
    const wasm_rt_memory_t *bm = (const wasm_rt_memory_t *)mem_at(base, lay->memories[i]);
    uint64_t size = (uint64_t)m->pages * PE_RT_PAGE_SIZE;
    uint64_t base_size = (uint64_t)bm->pages * PE_RT_PAGE_SIZE;
    ok = put32(&b, m->pages);
    size_t count_at = b.len;
    uint32_t nruns = 0;
    ok = ok && put32(&b, 0);
    uint64_t npages = size / SNAP_PAGE;
    for (uint64_t p = 0; ok && p < npages;) {
      uint64_t off = p * SNAP_PAGE;
      if (unchanged(m, bm, base_size, off)) {
        p++;
        continue;
      }
      uint64_t q = p + 1;
      while (q < npages) {
        if (unchanged(m, bm, base_size, q * SNAP_PAGE)) break;
        q++;
      }
      ok = put32(&b, (uint32_t)p) && put32(&b, (uint32_t)(q - p)) &&
           pe_buf_append(&b, m->data + off, (size_t)((q - p) * SNAP_PAGE));
      nruns++;
      p = q;
    }
    if (ok) memcpy(b.data + count_at, &nruns, 4);
  }
  for (uint32_t i = 0; ok && i < lay->nfuncref_tables; i++) {
    const wasm_rt_funcref_table_t *t =
        (const wasm_rt_funcref_table_t *)mem_at(inst, lay->funcref_tables[i]);
    ok = put32(&b, t->size);
  }
  ok = ok && pe_buf_append(&b, SNAP_END, 8);
  pe_instance_free(base);
  if (!ok) {
    snprintf(err, errlen, "out of memory writing a snapshot");
    pe_buf_free(&b);
    return false;
  }
  ok = pe_write_file(path, b.data, b.len, err, errlen);
  if (ok && bytes_written) *bytes_written = b.len;
  pe_buf_free(&b);
  return ok;
}

typedef struct {
  const uint8_t *p;
  size_t left;
} reader;

static bool get(reader *r, void *out, size_t n) {
  if (r->left < n) return false;
  memcpy(out, r->p, n);
  r->p += n;
  r->left -= n;
  return true;
}

/* Loading into a memfd: the file's pages are written to it as they are
 * read, then the instance's own mapped pages (its data segments) where the
 * file has none, and the memfd is mapped shared over the memory. */
typedef struct {
  int fd;
  uint64_t bytes;
  uint8_t *from_file; /* per 4 KiB page: written from the file */
} page_sink;

static bool open_sink(page_sink *k, uint64_t npages) {
  k->bytes = npages * SNAP_PAGE;
  if (sysconf(_SC_PAGESIZE) != SNAP_PAGE) return true; /* fd -1: copy into the instance */
  k->fd = memfd_create("pyedge-snapshot", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  k->from_file = calloc(npages ? npages : 1, 1);
  if (k->fd >= 0 && k->from_file && ftruncate(k->fd, (off_t)k->bytes) == 0) return true;
  if (!k->from_file) errno = ENOMEM;
  int saved = errno;
  if (k->fd >= 0) close(k->fd);
  free(k->from_file);
  errno = saved;
  return false;
}

static void close_sink(page_sink *k) {
  if (k->fd >= 0) close(k->fd);
  free(k->from_file);
  k->fd = -1;
  k->from_file = NULL;
}

/* Hands the sink to the instance; closes it either way. */
static bool back_memory(pe_instance *inst, wasm_rt_memory_t *mem, page_sink *k) {
  bool ok = pe_rt_write_present_pages(k->fd, mem->data, 0, k->bytes, k->from_file) &&
            (k->bytes == 0 || mmap(mem->data, k->bytes, PROT_READ | PROT_WRITE,
                                   MAP_SHARED | MAP_FIXED, k->fd, 0) != MAP_FAILED);
  if (!ok) {
    int saved = errno;
    close_sink(k);
    errno = saved;
    return false;
  }
  free(k->from_file);
  inst->has_backing_fd = inst->backed = true;
  inst->backing_fd = k->fd;
  inst->backing_bytes = k->bytes;
  return true;
}

/* Maps the file at path: the pages are then copied once, from the page
 * cache into the instance, instead of twice through a heap buffer. */
static bool map_snapshot(const char *path, void **map, size_t *len, char *err, size_t errlen) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
    snprintf(err, errlen, "cannot read %s: %s", path,
             fd < 0 ? strerror(errno) : "not a regular file");
    if (fd >= 0) close(fd);
    return false;
  }
  *len = (size_t)st.st_size;
  *map = mmap(NULL, *len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  close(fd);
  if (*map == MAP_FAILED) {
    snprintf(err, errlen, "cannot map %s: %s", path, strerror(errno));
    return false;
  }
  return true;
}

/* The header, checked against the module, and a copy of the saved instance
 * struct; NULL if the file is not a snapshot of this module (or out of
 * memory). */
static uint8_t *read_saved_state(reader *r, const pe_module_desc *d) {
  const pe_instance_layout *lay = &d->layout;
  char magic[8];
  uint32_t abi, isize, nmem, ntab;
  if (!get(r, magic, 8) || memcmp(magic, SNAP_MAGIC, 8) || !get(r, &abi, 4) ||
      abi != PE_MODULE_ABI_VERSION || !get(r, &isize, 4) || isize != d->instance_size ||
      !get(r, &nmem, 4) || nmem != lay->nmemories || !get(r, &ntab, 4) ||
      ntab != lay->nfuncref_tables)
    return NULL;
  uint8_t *state = malloc(isize ? isize : 1);
  if (state && !get(r, state, isize)) {
    free(state);
    return NULL;
  }
  return state;
}

static pe_instance *fresh_instance(pe_module *m, void *host, uint64_t max_memory, char *err,
                                   size_t errlen) {
  pe_outcome o;
  char why[256];
  pe_instance *inst = pe_instance_new(m, host, max_memory, &o, why, sizeof why);
  if (!inst) snprintf(err, errlen, "cannot instantiate: %s", why);
  return inst;
}

typedef enum { RUN_OK, RUN_CORRUPT, RUN_WRITE_FAILED } run_status;

/* One run of saved pages (u32 first_page4k, u32 count4k, the bytes) into the
 * sink's memfd if it has one, else straight into mem. */
static run_status load_run(reader *r, wasm_rt_memory_t *mem, page_sink *sink, uint64_t npages) {
  uint32_t first, count;
  if (!get(r, &first, 4) || !get(r, &count, 4) || (uint64_t)first + count > npages ||
      r->left < (uint64_t)count * SNAP_PAGE)
    return RUN_CORRUPT;
  size_t len = (size_t)count * SNAP_PAGE;
  if (sink->fd < 0) {
    get(r, mem->data + (uint64_t)first * SNAP_PAGE, len);
    return RUN_OK;
  }
  if (!pe_rt_pwrite_all(sink->fd, r->p, len, (uint64_t)first * SNAP_PAGE)) return RUN_WRITE_FAILED;
  memset(sink->from_file + first, 1, count);
  r->p += len;
  r->left -= len;
  return RUN_OK;
}

/* One memory's saved pages: mem grows to the saved size and the runs go
 * over it, through a memfd that then backs it when into_memfd. */
static bool load_memory(reader *r, pe_instance *inst, wasm_rt_memory_t *mem, bool into_memfd,
                        const char *path, char *err, size_t errlen) {
  uint32_t pages = 0, nruns = 0;
  if (!get(r, &pages, 4) || !get(r, &nruns, 4) || pages < mem->pages ||
      (pages > mem->pages && wasm_rt_grow_memory(mem, pages - mem->pages) == UINT32_MAX)) {
    snprintf(err, errlen, "%s: memory of %u pages does not fit the limit", path, pages);
    return false;
  }
  uint64_t npages = (uint64_t)pages * (PE_RT_PAGE_SIZE / SNAP_PAGE);
  page_sink sink = {.fd = -1};
  if (into_memfd && !open_sink(&sink, npages)) {
    snprintf(err, errlen, "cannot load %s: %s", path, strerror(errno));
    return false;
  }
  for (uint32_t k = 0; k < nruns; k++) {
    run_status st = load_run(r, mem, &sink, npages);
    if (st == RUN_OK) continue;
    close_sink(&sink);
    if (st == RUN_CORRUPT)
      snprintf(err, errlen, "%s is truncated or corrupt", path);
    else
      snprintf(err, errlen, "cannot load %s: %s", path, strerror(errno));
    return false;
  }
  if (sink.fd >= 0 && !back_memory(inst, mem, &sink)) {
    snprintf(err, errlen, "cannot load %s: %s", path, strerror(errno));
    return false;
  }
  return true;
}

/* Every memory; one alone (CPython's case) has its saved pages go straight
 * into the memfd the snapshot will seal (see the top). */
static bool load_memories(reader *r, pe_instance *inst, const char *path, char *err,
                          size_t errlen) {
  const pe_instance_layout *lay = &inst->module->desc->layout;
  for (uint32_t i = 0; i < lay->nmemories; i++) {
    wasm_rt_memory_t *mem = (wasm_rt_memory_t *)mem_at(inst, lay->memories[i]);
    if (!load_memory(r, inst, mem, lay->nmemories == 1, path, err, errlen)) return false;
  }
  return true;
}

/* Tables are not saved, only their sizes: each must be a fresh instance's. */
static bool check_tables(reader *r, pe_instance *inst, const char *path, char *err, size_t errlen) {
  const pe_instance_layout *lay = &inst->module->desc->layout;
  for (uint32_t i = 0; i < lay->nfuncref_tables; i++) {
    const wasm_rt_funcref_table_t *t =
        (const wasm_rt_funcref_table_t *)mem_at(inst, lay->funcref_tables[i]);
    uint32_t size;
    if (!get(r, &size, 4)) {
      snprintf(err, errlen, "%s is truncated or corrupt", path);
      return false;
    }
    if (size != t->size) {
      snprintf(err, errlen, "%s: a table changed size during pre-initialization", path);
      return false;
    }
  }
  return true;
}

/* The end marker, with nothing after it. */
static bool at_end(reader *r) {
  char magic[8];
  return get(r, magic, 8) && !memcmp(magic, SNAP_END, 8) && r->left == 0;
}

/* Globals and the rest from the file's instance struct; this process's
 * pointers (and the memory descriptors as grown by load_memory) stay.
 * False: out of memory. */
static bool restore_state(pe_instance *inst, const uint8_t *state) {
  const pe_instance_layout *lay = &inst->module->desc->layout;
  uint32_t isize = inst->module->desc->instance_size;
  uint8_t *live = inst->state;
  uint8_t *keep = malloc(isize ? isize : 1);
  if (!keep) return false;
  memcpy(keep, live, isize);
  memcpy(live, state, isize);
  for (uint32_t i = 0; i < lay->nmemories; i++)
    memcpy(live + lay->memories[i], keep + lay->memories[i], sizeof(wasm_rt_memory_t));
  for (uint32_t i = 0; i < lay->nfuncref_tables; i++)
    memcpy(live + lay->funcref_tables[i], keep + lay->funcref_tables[i],
           sizeof(wasm_rt_funcref_table_t));
  for (uint32_t i = 0; i < lay->nexternref_tables; i++)
    memcpy(live + lay->externref_tables[i], keep + lay->externref_tables[i],
           sizeof(wasm_rt_externref_table_t));
  for (uint32_t i = 0; i < lay->nimport_ptrs; i++)
    memcpy(live + lay->import_ptrs[i], keep + lay->import_ptrs[i], sizeof(void *));
  free(keep);
  return true;
}

pe_instance *pe_snapshot_load_file(pe_module *m, const char *path, void *host, uint64_t max_memory,
                                   char *err, size_t errlen) {
  void *file_map;
  size_t file_len;
  if (!map_snapshot(path, &file_map, &file_len, err, errlen)) return NULL;
  reader r = {(const uint8_t *)file_map, file_len};
  pe_instance *inst = NULL;
  uint8_t *state = read_saved_state(&r, m->desc);
  if (!state) {
    snprintf(err, errlen, "%s is not a snapshot of this module", path);
    goto fail;
  }
  inst = fresh_instance(m, host, max_memory, err, errlen);
  if (!inst || !load_memories(&r, inst, path, err, errlen) ||
      !check_tables(&r, inst, path, err, errlen))
    goto fail;
  if (!at_end(&r)) {
    snprintf(err, errlen, "%s is truncated or corrupt", path);
    goto fail;
  }
  if (!restore_state(inst, state)) {
    snprintf(err, errlen, "out of memory");
    goto fail;
  }
  free(state);
  munmap(file_map, file_len);
  return inst;
fail:
  pe_instance_free(inst);
  free(state);
  munmap(file_map, file_len);
  return NULL;
}
