/*
 * rt_module.c -- loading compiled modules, instances and calls.
 *
 * A compiled module is a shared object made by src/aot/. Loading is dlopen
 * with RTLD_NOW, so an import the host does not provide fails here, with the
 * symbol named, rather than at the first call. After loading, the module's
 * executable segments are recorded in a fixed table that the signal handlers
 * read without locks (entries are written before the count is published, and
 * never removed: modules stay loaded for the life of the process).
 *
 * A call saves the thread's previous call state, so a host function may call
 * back into another instance and the outer call still unwinds correctly.
 */
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "rt_internal.h"

#define PE_RT_MAX_CODE_RANGES 256

typedef struct {
  uintptr_t lo, hi;
} code_range;

static code_range ranges[PE_RT_MAX_CODE_RANGES];
static atomic_uint nranges;
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

int pe_rt_is_module_code(uintptr_t pc) {
  unsigned n = atomic_load_explicit(&nranges, memory_order_acquire);
  for (unsigned i = 0; i < n; i++)
    if (pc >= ranges[i].lo && pc < ranges[i].hi) return 1;
  return 0;
}

static int already_recorded(uintptr_t lo) {
  unsigned n = atomic_load_explicit(&nranges, memory_order_acquire);
  for (unsigned i = 0; i < n; i++)
    if (ranges[i].lo == lo) return 1;
  return 0;
}

typedef struct {
  uintptr_t base;
  int found;
} phdr_query;

static int record_segments(struct dl_phdr_info *info, size_t size, void *arg) {
  (void)size;
  phdr_query *q = arg;
  if (info->dlpi_addr != q->base) return 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
    uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
    if (already_recorded(lo)) continue;
    unsigned n = atomic_load_explicit(&nranges, memory_order_relaxed);
    if (n == PE_RT_MAX_CODE_RANGES) return 1;
    ranges[n].lo = lo;
    ranges[n].hi = lo + ph->p_memsz;
    atomic_store_explicit(&nranges, n + 1, memory_order_release);
  }
  q->found = 1;
  return 1;
}

pe_module *pe_module_open(const char *so_path, char *err, size_t errlen) {
  pe_rt_global_init();
  pthread_mutex_lock(&load_lock);
  pe_module *m = NULL;
  void *dl = dlopen(so_path, RTLD_NOW | RTLD_LOCAL);
  if (!dl) {
    const char *why = dlerror();
    const char *sym = why ? strstr(why, "undefined symbol: ") : NULL;
    if (sym)
      snprintf(err, errlen, "the module imports a function pyedge does not provide (%s)",
               sym + strlen("undefined symbol: "));
    else
      snprintf(err, errlen, "cannot load compiled module %s: %s", so_path, why ? why : "?");
    goto out;
  }
  const pe_module_desc *desc = dlsym(dl, "pe_module_descriptor");
  if (!desc || desc->abi_version != PE_MODULE_ABI_VERSION) {
    snprintf(err, errlen, "%s is not a pyedge module of ABI version %u", so_path,
             PE_MODULE_ABI_VERSION);
    dlclose(dl);
    goto out;
  }
  struct link_map *lm = NULL;
  if (dlinfo(dl, RTLD_DI_LINKMAP, &lm) != 0 || !lm) {
    snprintf(err, errlen, "cannot locate %s in memory", so_path);
    dlclose(dl);
    goto out;
  }
  phdr_query q = {.base = lm->l_addr, .found = 0};
  dl_iterate_phdr(record_segments, &q);
  if (!q.found) {
    snprintf(err, errlen, "cannot find the code segments of %s", so_path);
    dlclose(dl);
    goto out;
  }
  m = calloc(1, sizeof *m);
  if (!m || !(m->path = strdup(so_path))) {
    free(m);
    m = NULL;
    snprintf(err, errlen, "out of memory");
    goto out;
  }
  m->dl = dl;
  m->desc = desc;
  const int *fixed = dlsym(dl, "pe_module_tables_fixed");
  m->tables_fixed = fixed && *fixed == 1;
  /* init_module registers function types; dlopen returns the same handle
   * for the same object, and registration is idempotent per signature. */
  desc->init_module();
out:
  pthread_mutex_unlock(&load_lock);
  return m;
}

const pe_module_desc *pe_module_describe(const pe_module *m) { return m->desc; }

const pe_export *pe_module_find(const pe_module *m, const char *name) {
  for (uint32_t i = 0; i < m->desc->nexports; i++)
    if (strcmp(m->desc->exports[i].name, name) == 0) return &m->desc->exports[i];
  return NULL;
}

void pe_module_close(pe_module *m) {
  if (!m) return;
  free(m->path);
  free(m);
}

/* Runs fn(arg) as a guest call on this thread: trap handling, deadline. */
typedef void (*guest_thunk)(pe_instance *inst, void *arg);

static pe_outcome run_guarded(pe_instance *inst, guest_thunk fn, void *arg, uint64_t timeout_ns) {
  pe_rt_thread_init();
  pe_rt_thread *t = &pe_rt_tls;
  sigjmp_buf *prev_jmp = t->jmp;
  pe_instance *prev_current = t->current;
  uint64_t prev_deadline = t->deadline_ns;
  sigjmp_buf *prev_unwind = t->unwind_target;
  sigjmp_buf jb;
  pe_outcome out = {WASM_RT_TRAP_NONE, 0};

  uint64_t prev_outer = t->outer_pages;
  if (prev_current && prev_current != inst && prev_current->memory) {
    t->outer_pages += prev_current->memory->pages;
    /* a nested call whose instance does not fit in what the chain has left
     * does not start */
    if (inst->memory && t->outer_pages + inst->memory->pages > inst->memory->max_pages) {
      t->outer_pages = prev_outer;
      out.trap = PE_RT_TRAP_MEMORY_LIMIT;
      return out;
    }
  }
  atomic_store(&inst->running_tid, t->tid);
  /* see pe_instance_reset: its no-fault shortcut trusts one thread's count */
  if (t->tid != inst->use_tid) inst->used_elsewhere = true;
  t->current = inst;
  t->stop = 0;
  t->unwind_target = NULL;
  if (timeout_ns) pe_rt_deadline_arm(timeout_ns);
  /* The mask is not saved (that is a system call on every guest call):
   * only the handlers of the signals below jump here, and a trap taken in
   * one of them leaves that signal blocked, so a trap unblocks them. */
  int kind = sigsetjmp(jb, 0);
  if (kind == 0) {
    t->jmp = &jb;
    fn(inst, arg);
  } else {
    pe_rt_unblock_trap_signals();
    out.trap = (wasm_rt_trap_t)kind;
    if (out.trap == PE_RT_TRAP_EXIT) out.exit_code = t->exit_code;
  }
  if (timeout_ns) pe_rt_deadline_disarm();
  atomic_store(&inst->running_tid, 0);
  t->jmp = prev_jmp;
  t->current = prev_current;
  t->outer_pages = prev_outer;
  t->unwind_target = prev_unwind;
  t->stop = 0;
  if (prev_deadline) {
    uint64_t now = pe_rt_now_ns();
    pe_rt_deadline_arm(prev_deadline > now ? prev_deadline - now : 1);
  }
  return out;
}

static void instantiate_thunk(pe_instance *inst, void *arg) {
  (void)arg;
  inst->module->desc->instantiate(inst->state, inst->host);
}

pe_instance *pe_instance_new(pe_module *m, void *host, uint64_t max_memory_bytes,
                             pe_outcome *outcome, char *err, size_t errlen) {
  pe_instance *inst = calloc(1, sizeof *inst + m->desc->instance_size);
  if (!inst) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  inst->module = m;
  inst->host = host;
  pe_rt_thread_init();
  uint64_t pages = max_memory_bytes / PE_RT_PAGE_SIZE;
  if (max_memory_bytes && pages == 0) pages = 1;
  uint32_t saved = pe_rt_tls.pending_max_pages;
  pe_rt_tls.pending_max_pages = pages > 65535 ? 65535 : (uint32_t)pages;
  pe_outcome o = run_guarded(inst, instantiate_thunk, NULL, 0);
  pe_rt_tls.pending_max_pages = saved;
  if (outcome) *outcome = o;
  if (o.trap != WASM_RT_TRAP_NONE) {
    snprintf(err, errlen, "instantiation failed: %s", pe_rt_trap_name(o.trap));
    /* Parts may have been allocated before the trap; free what exists.
     * free_instance tolerates zeroed members (calloc). */
    m->desc->free_instance(inst->state);
    free(inst);
    return NULL;
  }
  inst->memory = m->desc->memory ? m->desc->memory(inst->state) : NULL;
  return inst;
}

wasm_rt_memory_t *pe_instance_memory(pe_instance *inst) { return inst->memory; }

typedef struct {
  const pe_export *fn;
  const uint64_t *args;
  uint64_t *results;
} call_args;

static void call_thunk(pe_instance *inst, void *arg) {
  call_args *c = arg;
  c->fn->call(inst->state, c->args, c->results);
}

pe_outcome pe_instance_call(pe_instance *inst, const pe_export *fn, const uint64_t *args,
                            uint64_t *results, uint64_t timeout_ns) {
  call_args c = {fn, args, results};
  atomic_store(&inst->interrupt_requested, 0);
  return run_guarded(inst, call_thunk, &c, timeout_ns);
}

void pe_instance_free(pe_instance *inst) {
  if (!inst) return;
  inst->module->desc->free_instance(inst->state);
  if (inst->has_backing_fd) close(inst->backing_fd);
  free(inst->owned_runs);
  free(inst);
}
