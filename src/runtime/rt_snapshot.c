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
#include <unistd.h>

#include "rt_internal.h"

#define PE_RT_MAX_SNAPSHOT_MEMORIES 4
#define PE_RT_MAX_SNAPSHOT_TABLES 8

typedef struct {
  int fd;         /* sealed memfd holding the bytes */
  uint64_t bytes; /* pages * 64 KiB at snapshot time */
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

static bool write_all(int fd, const uint8_t *p, uint64_t n) {
  while (n) {
    ssize_t w = write(fd, p, n > (1u << 30) ? (1u << 30) : (size_t)n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= (uint64_t)w;
  }
  return true;
}

void pe_snapshot_free(pe_snapshot *s) {
  if (!s) return;
  for (int i = 0; i < PE_RT_MAX_SNAPSHOT_MEMORIES; i++)
    if (s->mem[i].fd > 0) close(s->mem[i].fd);
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
    int fd = memfd_create("pyedge-snapshot", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0 || ftruncate(fd, (off_t)bytes) != 0 || !write_all(fd, m->data, bytes) ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
      snprintf(err, errlen, "cannot save linear memory: %s", strerror(errno));
      if (fd >= 0) close(fd);
      pe_snapshot_free(s);
      return NULL;
    }
    s->mem[i].fd = fd;
    s->mem[i].bytes = bytes;
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
  if (sm->bytes &&
      mmap(base, sm->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, sm->fd, 0) ==
          MAP_FAILED) {
    munmap(base, PE_RT_MEMORY_RESERVATION);
    return false;
  }
  m->data = base;
  m->committed = sm->bytes;
  return true;
}

pe_instance *pe_instance_from_snapshot(const pe_snapshot *s, void *host, char *err,
                                       size_t errlen) {
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
  for (uint32_t i = 0; i < lay->nimport_ptrs; i++)
    memcpy(inst->state + lay->import_ptrs[i], &host, sizeof host);

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
  return inst;
fail:
  d->free_instance(inst->state);
  free(inst);
  return NULL;
}
