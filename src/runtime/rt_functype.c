/*
 * rt_functype.c -- the process-wide registry of function signatures, and
 * wasm exceptions.
 *
 * call_indirect compares small integers, so each distinct signature gets one
 * id for the whole process, whichever module registers it. Registration
 * happens only in a module's init_module (once per module, under the
 * registry lock); lookups never happen at run time.
 *
 * Exceptions (the exception-handling proposal) keep the in-flight payload in
 * per-thread state; a throw with no enclosing try traps as uncaught.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "rt_internal.h"

#define PE_RT_MAX_SIG_TYPES 64

typedef struct {
  uint32_t nparams, nresults;
  unsigned char types[PE_RT_MAX_SIG_TYPES];
} func_sig;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static func_sig *sigs;
static uint32_t nsigs, capsigs;
static uint32_t ntags;

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
  func_sig s;
  memset(&s, 0, sizeof s);
  if (params + results > PE_RT_MAX_SIG_TYPES) {
    /* Not representable: give it an id of its own that matches nothing. */
    pthread_mutex_lock(&registry_lock);
    uint32_t id = 0x80000000u | nsigs++;
    pthread_mutex_unlock(&registry_lock);
    return id;
  }
  s.nparams = params;
  s.nresults = results;
  va_list ap;
  va_start(ap, results);
  for (uint32_t i = 0; i < params + results; i++) s.types[i] = (unsigned char)va_arg(ap, int);
  va_end(ap);

  pthread_mutex_lock(&registry_lock);
  for (uint32_t i = 0; i < nsigs; i++) {
    if (memcmp(&sigs[i], &s, sizeof s) == 0) {
      pthread_mutex_unlock(&registry_lock);
      return i + 1; /* 0 is the null funcref's type */
    }
  }
  if (nsigs == capsigs) {
    uint32_t cap = capsigs ? capsigs * 2 : 64;
    func_sig *n = realloc(sigs, cap * sizeof *n);
    if (!n) {
      pthread_mutex_unlock(&registry_lock);
      fprintf(stderr, "pyedge: out of memory registering function types\n");
      abort();
    }
    sigs = n;
    capsigs = cap;
  }
  sigs[nsigs] = s;
  uint32_t id = ++nsigs;
  pthread_mutex_unlock(&registry_lock);
  return id;
}

uint32_t wasm_rt_register_tag(uint32_t size) {
  (void)size;
  pthread_mutex_lock(&registry_lock);
  uint32_t id = ntags++;
  pthread_mutex_unlock(&registry_lock);
  return id;
}

PE_RT_HOST_ENTRY void wasm_rt_load_exception(uint32_t tag, uint32_t size, const void *values) {
  pe_rt_thread *t = &pe_rt_tls;
  if (size > sizeof t->exc_data) wasm_rt_trap(PE_RT_TRAP_HOST);
  t->exc_tag = tag;
  t->exc_size = size;
  if (size) memcpy(t->exc_data, values, size);
}

PE_RT_HOST_ENTRY void wasm_rt_throw(void) {
  pe_rt_thread *t = &pe_rt_tls;
  if (!t->unwind_target) wasm_rt_trap(WASM_RT_TRAP_UNCAUGHT_EXCEPTION);
  siglongjmp(*t->unwind_target, 1);
}

WASM_RT_UNWIND_TARGET *wasm_rt_get_unwind_target(void) { return pe_rt_tls.unwind_target; }
void wasm_rt_set_unwind_target(WASM_RT_UNWIND_TARGET *target) { pe_rt_tls.unwind_target = target; }
uint32_t wasm_rt_exception_tag(void) { return pe_rt_tls.exc_tag; }
uint32_t wasm_rt_exception_size(void) { return pe_rt_tls.exc_size; }
void *wasm_rt_exception(void) { return pe_rt_tls.exc_data; }
