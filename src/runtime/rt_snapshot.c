/*
 * rt_snapshot.c -- pre-initialized instances, cloned copy-on-write.
 *
 * Taking a snapshot (between calls, never during one):
 *   - each linear memory's live bytes go into a memfd, which is then sealed
 *     so that nothing can change what clones map;
 *   - the module's instance struct is copied byte for byte: it holds the
 *     globals, the memory and table descriptors, dropped-segment flags and
 *     the import-instance pointers;
 *   - each table's elements are copied.
 *
 * Cloning: the instance struct is copied back, then the fields the layout
 * (pe_instance_layout, from the module's glue) names are rewritten:
 *   - memories: a fresh PE_RT_MEMORY_RESERVATION of PROT_NONE, with the
 *     memfd mapped MAP_PRIVATE|MAP_FIXED over its start, so reads share the
 *     snapshot's pages and the first write to a page copies it;
 *   - tables: a private copy, with every funcref whose module_instance was
 *     the snapshotted instance pointed at the clone (call_indirect passes it
 *     as the callee's instance);
 *   - import-instance pointers: the clone's host.
 * The memory limit of the snapshotted instance carries over (max_pages is
 * part of the copied descriptor).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "pe_rt_reuse.h"
#include "rt_internal.h"

#define PE_RT_MAX_SNAPSHOT_MEMORIES 4
#define PE_RT_MAX_SNAPSHOT_TABLES 8

typedef struct {
  int fd;              /* sealed memfd holding the bytes */
  uint64_t bytes;      /* pages * 64 KiB at snapshot time */
  const uint8_t *view; /* the memfd mapped read-only: the source for resets */
} snap_memory;

typedef struct {
  void *data; /* copied elements */
  uint32_t size;
} snap_table;

struct pe_snapshot {
  pe_module *module;
  void *old_state; /* the snapshotted instance's state pointer */
  unsigned char *state;
  snap_memory mem[PE_RT_MAX_SNAPSHOT_MEMORIES];
  snap_table ftab[PE_RT_MAX_SNAPSHOT_TABLES], etab[PE_RT_MAX_SNAPSHOT_TABLES];
};

void pe_snapshot_free(pe_snapshot *s) {
  if (!s) return;
  for (int i = 0; i < PE_RT_MAX_SNAPSHOT_MEMORIES; i++) {
    if (s->mem[i].view) munmap((void *)s->mem[i].view, s->mem[i].bytes);
    if (s->mem[i].fd > 0) close(s->mem[i].fd);
  }
  for (int i = 0; i < PE_RT_MAX_SNAPSHOT_TABLES; i++) {
    free(s->ftab[i].data);
    free(s->etab[i].data);
  }
  free(s->state);
  free(s);
}

uint64_t pe_snapshot_memory_bytes(const pe_snapshot *s) {
  uint64_t total = 0;
  for (int i = 0; i < PE_RT_MAX_SNAPSHOT_MEMORIES; i++) total += s->mem[i].bytes;
  return total;
}

static void *copy_of(const void *p, size_t n) {
  void *c = malloc(n ? n : 1);
  if (c && n) memcpy(c, p, n);
  return c;
}

void pe_instance_set_host(pe_instance *inst, void *host) {
  const pe_instance_layout *lay = &inst->module->desc->layout;
  inst->host = host;
  for (uint32_t i = 0; i < lay->nimport_ptrs; i++)
    memcpy(inst->state + lay->import_ptrs[i], &host, sizeof host);
}

/* The memfd a loaded instance already writes into becomes the snapshot's
 * (see rt_snapshot_file.c), saving a copy of every page: memory grown since
 * the load is added to it, and the instance's shared mapping is replaced by
 * a private one of the same bytes, since a memfd cannot be sealed against
 * writes while it is mapped shared and writable. Returns its own fd (a
 * duplicate), or -1. */
static int adopt_backing(pe_instance *inst, const wasm_rt_memory_t *m, uint64_t bytes) {
  uint64_t have = inst->backing_bytes;
  if (bytes < have) return -1; /* memories do not shrink */
  int fd = fcntl(inst->backing_fd, F_DUPFD_CLOEXEC, 3);
  if (fd < 0) return -1;
  if ((bytes > have && (ftruncate(fd, (off_t)bytes) != 0 ||
                        !pe_rt_write_present_pages(fd, m->data, have, bytes, NULL))) ||
      (have &&
       mmap(m->data, have, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0) == MAP_FAILED)) {
    close(fd);
    return -1;
  }
  inst->backed = false;
  inst->memory_from_snapshot = true;
  return fd;
}

pe_snapshot *pe_snapshot_take(pe_instance *inst, char *err, size_t errlen) {
  const pe_module_desc *d = inst->module->desc;
  const pe_instance_layout *lay = &d->layout;
  if (lay->nmemories > PE_RT_MAX_SNAPSHOT_MEMORIES ||
      lay->nfuncref_tables > PE_RT_MAX_SNAPSHOT_TABLES ||
      lay->nexternref_tables > PE_RT_MAX_SNAPSHOT_TABLES) {
    snprintf(err, errlen, "module has too many memories or tables to snapshot");
    return NULL;
  }
  if (atomic_load(&inst->running_tid) != 0) {
    snprintf(err, errlen, "cannot snapshot an instance during a call");
    return NULL;
  }
  pe_snapshot *s = calloc(1, sizeof *s);
  if (!s || !(s->state = copy_of(inst->state, d->instance_size))) {
    free(s);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  s->module = inst->module;
  s->old_state = inst->state;
  for (uint32_t i = 0; i < lay->nmemories; i++) {
    const wasm_rt_memory_t *m = (const wasm_rt_memory_t *)(inst->state + lay->memories[i]);
    uint64_t bytes = (uint64_t)m->pages * PE_RT_PAGE_SIZE;
    int fd;
    bool filled;
    if (i == 0 && inst->backed) {
      fd = adopt_backing(inst, m, bytes);
      filled = fd >= 0;
    } else {
      fd = memfd_create("pyedge-snapshot", MFD_CLOEXEC | MFD_ALLOW_SEALING);
      /* An anonymous memory's untouched pages are zero, as a fresh memfd's
       * are: only the pages ever mapped need writing (a third of CPython's
       * 20 MiB after start-up), which makes cold start from a snapshot file
       * ~8 ms faster. */
      bool sparse = !inst->memory_from_snapshot;
      filled = fd >= 0 && ftruncate(fd, (off_t)bytes) == 0 &&
               (sparse ? pe_rt_write_present_pages(fd, m->data, 0, bytes, NULL)
                       : pe_rt_pwrite_all(fd, m->data, bytes, 0));
    }
    if (!filled ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
      snprintf(err, errlen, "cannot save linear memory: %s", strerror(errno));
      if (fd >= 0) close(fd);
      pe_snapshot_free(s);
      return NULL;
    }
    s->mem[i].fd = fd;
    s->mem[i].bytes = bytes;
    if (bytes) {
      void *view = mmap(NULL, bytes, PROT_READ, MAP_SHARED, fd, 0);
      if (view == MAP_FAILED) {
        snprintf(err, errlen, "cannot map the snapshot: %s", strerror(errno));
        pe_snapshot_free(s);
        return NULL;
      }
      s->mem[i].view = view;
    }
  }
  for (uint32_t i = 0; i < lay->nfuncref_tables; i++) {
    const wasm_rt_funcref_table_t *t =
        (const wasm_rt_funcref_table_t *)(inst->state + lay->funcref_tables[i]);
    s->ftab[i].size = t->size;
    if (!(s->ftab[i].data = copy_of(t->data, (size_t)t->size * sizeof *t->data))) goto oom;
  }
  for (uint32_t i = 0; i < lay->nexternref_tables; i++) {
    const wasm_rt_externref_table_t *t =
        (const wasm_rt_externref_table_t *)(inst->state + lay->externref_tables[i]);
    s->etab[i].size = t->size;
    if (!(s->etab[i].data = copy_of(t->data, (size_t)t->size * sizeof *t->data))) goto oom;
  }
  return s;
oom:
  snprintf(err, errlen, "out of memory");
  pe_snapshot_free(s);
  return NULL;
}

/* Maps the snapshot's bytes copy-on-write at the start of a new reservation. */
static bool map_memory(wasm_rt_memory_t *m, const snap_memory *sm) {
  uint8_t *base = mmap(NULL, PE_RT_MEMORY_RESERVATION, PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) return false;
  if (sm->bytes && mmap(base, sm->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, sm->fd,
                        0) == MAP_FAILED) {
    munmap(base, PE_RT_MEMORY_RESERVATION);
    return false;
  }
  m->data = base;
  m->committed = sm->bytes;
  return true;
}

pe_instance *pe_instance_from_snapshot(const pe_snapshot *s, void *host, char *err, size_t errlen) {
  const pe_module_desc *d = s->module->desc;
  const pe_instance_layout *lay = &d->layout;
  pe_instance *inst = calloc(1, sizeof *inst + d->instance_size);
  if (!inst) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  inst->module = s->module;
  inst->host = host;
  memcpy(inst->state, s->state, d->instance_size);
  /* Until each field is rewritten it still points at the snapshot's
   * instance; clear them all first so that a failure can free safely. */
  for (uint32_t i = 0; i < lay->nmemories; i++)
    ((wasm_rt_memory_t *)(inst->state + lay->memories[i]))->data = NULL;
  for (uint32_t i = 0; i < lay->nfuncref_tables; i++)
    ((wasm_rt_funcref_table_t *)(inst->state + lay->funcref_tables[i]))->data = NULL;
  for (uint32_t i = 0; i < lay->nexternref_tables; i++)
    ((wasm_rt_externref_table_t *)(inst->state + lay->externref_tables[i]))->data = NULL;
  pe_instance_set_host(inst, host);

  for (uint32_t i = 0; i < lay->nmemories; i++) {
    wasm_rt_memory_t *m = (wasm_rt_memory_t *)(inst->state + lay->memories[i]);
    if (!map_memory(m, &s->mem[i])) {
      snprintf(err, errlen, "cannot map snapshot memory: %s", strerror(errno));
      goto fail;
    }
  }
  for (uint32_t i = 0; i < lay->nfuncref_tables; i++) {
    wasm_rt_funcref_table_t *t = (wasm_rt_funcref_table_t *)(inst->state + lay->funcref_tables[i]);
    if (!(t->data = copy_of(s->ftab[i].data, (size_t)s->ftab[i].size * sizeof *t->data))) {
      snprintf(err, errlen, "out of memory");
      goto fail;
    }
    for (uint32_t k = 0; k < s->ftab[i].size; k++)
      if (t->data[k].module_instance == s->old_state) t->data[k].module_instance = inst->state;
  }
  for (uint32_t i = 0; i < lay->nexternref_tables; i++) {
    wasm_rt_externref_table_t *t =
        (wasm_rt_externref_table_t *)(inst->state + lay->externref_tables[i]);
    if (!(t->data = copy_of(s->etab[i].data, (size_t)s->etab[i].size * sizeof *t->data))) {
      snprintf(err, errlen, "out of memory");
      goto fail;
    }
  }
  inst->memory = d->memory ? d->memory(inst->state) : NULL;
  inst->memory_from_snapshot = true;
  return inst;
fail:
  d->free_instance(inst->state);
  free(inst);
  return NULL;
}

/* Page accounting of a clone, from /proc/self/pagemap: a page of the
 * linear memory is *resident* when mapped at all, and *dirty* when it is an
 * anonymous page (bit 61 clear) -- the clone's private copy made by a write
 * (or, past the snapshot's end, a page the guest grew into and touched). */
#define PAGEMAP_PRESENT (1ull << 63)
#define PAGEMAP_SWAPPED (1ull << 62)
#define PAGEMAP_FILE_OR_SHARED (1ull << 61)

static int pagemap_fd(void) {
  static _Atomic int fd = -1;
  int f = atomic_load(&fd);
  if (f >= 0) return f;
  int n = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (n < 0) return -1;
  int expected = -1;
  if (!atomic_compare_exchange_strong(&fd, &expected, n)) {
    close(n);
    return expected;
  }
  return n;
}

typedef enum { PAGE_DIRTY, PAGE_PRESENT } page_kind;

/* Calls fn(first_page, count) for each run of pages of the given kind in
 * [0, pages); counts mapped and dirty pages on the way. */
static bool scan_page_runs(const uint8_t *base, uint64_t pages, page_kind kind,
                           void (*fn)(void *, uint64_t, uint64_t), void *arg, uint64_t *resident,
                           uint64_t *dirty) {
  int fd = pagemap_fd();
  if (fd < 0) return false;
  long psz = sysconf(_SC_PAGESIZE);
  uint64_t entries[512];
  uint64_t run_start = 0, run_len = 0;
  for (uint64_t done = 0; done < pages;) {
    uint64_t n = pages - done < 512 ? pages - done : 512;
    off_t off = (off_t)(((uintptr_t)base / (uint64_t)psz + done) * sizeof(uint64_t));
    ssize_t got = pread(fd, entries, n * sizeof(uint64_t), off);
    if (got <= 0) return false;
    n = (uint64_t)got / sizeof(uint64_t);
    for (uint64_t i = 0; i < n; i++) {
      uint64_t e = entries[i];
      /* a page swapped out is a private (anonymous) one: it counts as
       * dirty and as holding data */
      bool swapped = e & PAGEMAP_SWAPPED;
      bool present = (e & PAGEMAP_PRESENT) || swapped;
      bool is_dirty = swapped || (present && !(e & PAGEMAP_FILE_OR_SHARED));
      if (present && resident) (*resident)++;
      if (is_dirty && dirty) (*dirty)++;
      if (kind == PAGE_DIRTY ? is_dirty : present) {
        if (run_len == 0) run_start = done + i;
        run_len++;
      } else if (run_len) {
        if (fn) fn(arg, run_start, run_len);
        run_len = 0;
      }
    }
    done += n;
  }
  if (run_len && fn) fn(arg, run_start, run_len);
  return true;
}

static bool for_dirty_runs(const uint8_t *base, uint64_t pages,
                           void (*fn)(void *, uint64_t, uint64_t), void *arg, uint64_t *resident,
                           uint64_t *dirty) {
  return scan_page_runs(base, pages, PAGE_DIRTY, fn, arg, resident, dirty);
}

static bool for_page_runs(const uint8_t *base, uint64_t pages, page_kind kind,
                          void (*fn)(void *, uint64_t, uint64_t), void *arg) {
  return scan_page_runs(base, pages, kind, fn, arg, NULL, NULL);
}

bool pe_instance_page_stats(pe_instance *inst, uint64_t *resident, uint64_t *dirty) {
  *resident = *dirty = 0;
  wasm_rt_memory_t *m = inst ? inst->memory : NULL;
  if (!m || !m->data) return true;
  long psz = sysconf(_SC_PAGESIZE);
  return for_dirty_runs(m->data, m->committed / (uint64_t)psz, NULL, NULL, resident, dirty);
}

struct pe_page_run {
  uint32_t first, count;
};

static long thread_minor_faults(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_THREAD, &ru) != 0) return -1;
  return ru.ru_minflt + ru.ru_majflt;
}

static int this_tid(void) {
  pe_rt_thread_init();
  return pe_rt_tls.tid;
}

void pe_instance_begin_use(pe_instance *inst) {
  inst->use_tid = this_tid();
  inst->used_elsewhere = false;
  inst->use_minflt = thread_minor_faults();
}

static void note_run(void *arg, uint64_t first, uint64_t count) {
  pe_instance *inst = arg;
  if (!inst->owned_runs_valid) return;
  if (inst->nowned_runs == inst->owned_runs_cap) {
    uint32_t cap = inst->owned_runs_cap ? inst->owned_runs_cap * 2 : 64;
    struct pe_page_run *runs = realloc(inst->owned_runs, cap * sizeof *runs);
    if (!runs) {
      inst->owned_runs_valid = false;
      return;
    }
    inst->owned_runs = runs;
    inst->owned_runs_cap = cap;
  }
  inst->owned_runs[inst->nowned_runs++] = (struct pe_page_run){(uint32_t)first, (uint32_t)count};
}

typedef struct {
  uint8_t *base;
  const uint8_t *source;
  long page_size;
} restore_ctx;

/* Copies the snapshot's bytes over a run of the clone's own pages. The
 * pages stay the clone's (private, writable), so the next request writing
 * them takes no fault at all; dropping them instead (MADV_DONTNEED) costs a
 * TLB shootdown per run now and a copy-on-write fault per page later. */
static void restore_run(void *arg, uint64_t first, uint64_t count) {
  restore_ctx *r = arg;
  uint64_t off = first * (uint64_t)r->page_size, len = count * (uint64_t)r->page_size;
  memcpy(r->base + off, r->source + off, len);
}

/* Back to the snapshot's bytes and size: the clone's own pages get the
 * snapshot's bytes again, memory grown past the snapshot is dropped and
 * sealed. */
static bool reset_memory(pe_instance *inst, wasm_rt_memory_t *m, const snap_memory *sm) {
  long psz = sysconf(_SC_PAGESIZE);
  restore_ctx r = {m->data, sm->view, psz};
  bool quiet = inst->owned_runs_valid && m->committed == sm->bytes && !inst->used_elsewhere &&
               inst->use_tid == this_tid() && inst->use_minflt >= 0 &&
               thread_minor_faults() == inst->use_minflt;
  if (quiet) {
    for (uint32_t i = 0; i < inst->nowned_runs; i++)
      restore_run(&r, inst->owned_runs[i].first, inst->owned_runs[i].count);
    return true;
  }
  if (m->committed > sm->bytes) {
    uint8_t *extra = m->data + sm->bytes;
    uint64_t len = m->committed - sm->bytes;
    if (madvise(extra, len, MADV_DONTNEED) != 0 || mprotect(extra, len, PROT_NONE) != 0)
      return false;
  }
  uint64_t live = m->committed < sm->bytes ? m->committed : sm->bytes;
  inst->nowned_runs = 0;
  inst->owned_runs_valid = true;
  if (live && !for_dirty_runs(m->data, live / (uint64_t)psz, note_run, inst, NULL, NULL)) {
    inst->owned_runs_valid = false;
    return false;
  }
  for (uint32_t i = 0; i < inst->nowned_runs; i++)
    restore_run(&r, inst->owned_runs[i].first, inst->owned_runs[i].count);
  if (!inst->owned_runs_valid) { /* out of memory for the list: restore by walking */
    if (!for_dirty_runs(m->data, live / (uint64_t)psz, restore_run, &r, NULL, NULL)) return false;
  }
  m->committed = sm->bytes;
  return true;
}

bool pe_instance_reset(pe_instance *inst, const pe_snapshot *s, void *host) {
  const pe_module_desc *d = s->module->desc;
  const pe_instance_layout *lay = &d->layout;
  /* a backed instance's writes are in its memfd, not in pages of its own
   * that pagemap could find */
  if (inst->module != s->module || atomic_load(&inst->running_tid) != 0 || inst->backed)
    return false;
  uint8_t *mem_data[PE_RT_MAX_SNAPSHOT_MEMORIES];
  void *ftab[PE_RT_MAX_SNAPSHOT_TABLES], *etab[PE_RT_MAX_SNAPSHOT_TABLES];
  uint32_t ftab_cap[PE_RT_MAX_SNAPSHOT_TABLES], etab_cap[PE_RT_MAX_SNAPSHOT_TABLES];
  for (uint32_t i = 0; i < lay->nmemories; i++) {
    wasm_rt_memory_t *m = (wasm_rt_memory_t *)(inst->state + lay->memories[i]);
    /* the fast path knows one memory's pages only */
    if (lay->nmemories != 1) inst->owned_runs_valid = false;
    if (!reset_memory(inst, m, &s->mem[i])) return false;
    mem_data[i] = m->data;
  }
  for (uint32_t i = 0; i < lay->nfuncref_tables; i++) {
    wasm_rt_funcref_table_t *t = (wasm_rt_funcref_table_t *)(inst->state + lay->funcref_tables[i]);
    ftab[i] = t->data;
    ftab_cap[i] = t->size;
  }
  for (uint32_t i = 0; i < lay->nexternref_tables; i++) {
    wasm_rt_externref_table_t *t =
        (wasm_rt_externref_table_t *)(inst->state + lay->externref_tables[i]);
    etab[i] = t->data;
    etab_cap[i] = t->size;
  }
  /* globals, descriptors and flags as snapshotted; then our own pointers */
  memcpy(inst->state, s->state, d->instance_size);
  pe_instance_set_host(inst, host);
  for (uint32_t i = 0; i < lay->nmemories; i++) {
    wasm_rt_memory_t *m = (wasm_rt_memory_t *)(inst->state + lay->memories[i]);
    m->data = mem_data[i];
    m->committed = s->mem[i].bytes;
  }
  bool ok = true;
  if (s->module->tables_fixed) {
    /* no guest code can have changed them: same contents, same sizes (the
     * instance state just copied back says so too) */
    for (uint32_t i = 0; i < lay->nfuncref_tables; i++)
      ((wasm_rt_funcref_table_t *)(inst->state + lay->funcref_tables[i]))->data = ftab[i];
    for (uint32_t i = 0; i < lay->nexternref_tables; i++)
      ((wasm_rt_externref_table_t *)(inst->state + lay->externref_tables[i]))->data = etab[i];
    atomic_store(&inst->interrupt_requested, 0);
    return true;
  }
  for (uint32_t i = 0; i < lay->nfuncref_tables; i++) {
    wasm_rt_funcref_table_t *t = (wasm_rt_funcref_table_t *)(inst->state + lay->funcref_tables[i]);
    const snap_table *st = &s->ftab[i];
    void *data = ftab[i];
    if (ftab_cap[i] < st->size) {
      void *bigger = realloc(data, (size_t)st->size * sizeof *t->data);
      if (!bigger)
        ok = false;
      else
        data = bigger;
    }
    t->data = data;
    if (ok) {
      memcpy(t->data, st->data, (size_t)st->size * sizeof *t->data);
      for (uint32_t k = 0; k < st->size; k++)
        if (t->data[k].module_instance == s->old_state) t->data[k].module_instance = inst->state;
    } else {
      t->size = ftab_cap[i]; /* keep free_instance's view consistent */
    }
  }
  for (uint32_t i = 0; i < lay->nexternref_tables; i++) {
    wasm_rt_externref_table_t *t =
        (wasm_rt_externref_table_t *)(inst->state + lay->externref_tables[i]);
    const snap_table *st = &s->etab[i];
    void *data = etab[i];
    if (etab_cap[i] < st->size) {
      void *bigger = realloc(data, (size_t)st->size * sizeof *t->data);
      if (!bigger)
        ok = false;
      else
        data = bigger;
    }
    t->data = data;
    if (ok)
      memcpy(t->data, st->data, (size_t)st->size * sizeof *t->data);
    else
      t->size = etab_cap[i];
  }
  atomic_store(&inst->interrupt_requested, 0);
  return ok;
}

bool pe_rt_pwrite_all(int fd, const void *p, uint64_t n, uint64_t off) {
  const uint8_t *b = p;
  while (n) {
    ssize_t w = pwrite(fd, b, n > (1u << 30) ? (1u << 30) : (size_t)n, (off_t)off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    b += w;
    off += (uint64_t)w;
    n -= (uint64_t)w;
  }
  return true;
}

typedef struct {
  int fd;
  const uint8_t *base;
  uint64_t first_page; /* of the scanned range, from base */
  long page_size;
  const uint8_t *skip;
  bool ok;
} present_writer;

static void write_present_run(void *arg, uint64_t first, uint64_t count) {
  present_writer *pw = arg;
  uint64_t psz = (uint64_t)pw->page_size;
  first += pw->first_page;
  for (uint64_t p = first, end = first + count; pw->ok && p < end;) {
    if (pw->skip && pw->skip[p]) {
      p++;
      continue;
    }
    uint64_t q = p + 1;
    while (q < end && !(pw->skip && pw->skip[q])) q++;
    pw->ok = pe_rt_pwrite_all(pw->fd, pw->base + p * psz, (q - p) * psz, p * psz);
    p = q;
  }
}

bool pe_rt_write_present_pages(int fd, const uint8_t *base, uint64_t from, uint64_t to,
                               const uint8_t *skip) {
  long psz = sysconf(_SC_PAGESIZE);
  if (from > to || from % (uint64_t)psz || to % (uint64_t)psz) return false;
  uint64_t first = from / (uint64_t)psz, pages = (to - from) / (uint64_t)psz;
  present_writer pw = {fd, base, first, psz, skip, true};
  if (!for_page_runs(base + from, pages, PAGE_PRESENT, write_present_run, &pw)) {
    pw.ok = true;
    write_present_run(&pw, 0, pages);
  }
  return pw.ok;
}
