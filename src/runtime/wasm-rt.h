/*
 * wasm-rt.h -- pyedge's implementation of the interface that wasm2c-generated
 * code (wabt 1.0.32, the version Debian 12 ships) compiles against.
 *
 * Generated C includes "wasm-rt.h" by name; pyedge puts this file first on
 * the include path, so modules are built against our runtime, not wabt's.
 * Differences from wabt's reference runtime, and why:
 *
 *  - Trap state is per thread (see rt_trap.c): any number of instances may run
 *    on any number of threads at once.
 *  - Memory bounds are enforced by guard pages (WASM_RT_MEMCHECK_SIGNAL_HANDLER):
 *    every memory reserves PE_RT_MEMORY_RESERVATION bytes of address space, so
 *    a 32-bit index plus a 32-bit offset can never leave it. Explicit bounds
 *    checks measured +40% run time on CPython.
 *  - Call depth is not counted (WASM_RT_USE_STACK_DEPTH_COUNT 0): stack
 *    exhaustion is detected by the fault address landing in the running
 *    thread's stack guard while the faulting instruction is module code.
 *  - wasm_rt_memory_t carries extra fields after wabt's four, for the host's
 *    memory limit and the reservation (generated code only touches the first
 *    four).
 *
 * Nothing here is included by host code except through pe_rt.h.
 */
#ifndef PE_WASM_RT_H
#define PE_WASM_RT_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define wasm_rt_memcpy __builtin_memcpy
#define wasm_rt_unreachable __builtin_unreachable

#define WASM_RT_SKIP_SIGNAL_RECOVERY 0
#define WASM_RT_SIGNAL_RECOVERY_SUPPORTED 1
#define WASM_RT_MEMCHECK_SIGNAL_HANDLER 1
#define WASM_RT_USE_STACK_DEPTH_COUNT 0
#define WASM_RT_MERGED_OOB_AND_EXHAUSTION_TRAPS 0
#define WASM_RT_NO_RETURN __attribute__((noreturn))

/* 4 GiB of index space + 4 GiB of static offset + one guard page. */
#define PE_RT_MEMORY_RESERVATION ((uint64_t)8 << 30)
#define PE_RT_PAGE_SIZE 65536u

typedef enum {
  WASM_RT_TRAP_NONE,
  WASM_RT_TRAP_OOB,
  WASM_RT_TRAP_INT_OVERFLOW,
  WASM_RT_TRAP_DIV_BY_ZERO,
  WASM_RT_TRAP_INVALID_CONVERSION,
  WASM_RT_TRAP_UNREACHABLE,
  WASM_RT_TRAP_CALL_INDIRECT,
  WASM_RT_TRAP_UNCAUGHT_EXCEPTION,
  WASM_RT_TRAP_EXHAUSTION,
  /* pyedge's own kinds: never raised by generated code. */
  PE_RT_TRAP_TIMEOUT,     /* the call's wall-clock deadline passed */
  PE_RT_TRAP_EXIT,        /* proc_exit: a clean end, not a fault */
  PE_RT_TRAP_HOST,        /* a host function refused to continue */
  PE_RT_TRAP_MEMORY_LIMIT /* reserved: memory.grow past the limit returns -1 instead */
} wasm_rt_trap_t;

typedef enum {
  WASM_RT_I32,
  WASM_RT_I64,
  WASM_RT_F32,
  WASM_RT_F64,
  WASM_RT_FUNCREF,
  WASM_RT_EXTERNREF,
} wasm_rt_type_t;

typedef void (*wasm_rt_function_ptr_t)(void);

typedef struct {
  uint32_t func_type;
  wasm_rt_function_ptr_t func;
  void *module_instance;
} wasm_rt_funcref_t;

static const wasm_rt_funcref_t wasm_rt_funcref_null_value = {0, NULL, NULL};

typedef void *wasm_rt_externref_t;
static const wasm_rt_externref_t wasm_rt_externref_null_value = NULL;

typedef struct {
  uint8_t *data;      /* base of the reservation; valid bytes: [0, size) */
  uint32_t pages;     /* current size in 64 KiB pages */
  uint32_t max_pages; /* effective maximum: min(module's, host's limit) */
  uint32_t size;      /* pages * 64 KiB, saturating at 0xffffffff for 4 GiB */
  /* pyedge fields */
  uint32_t declared_max_pages; /* the module's own maximum (65536 if none) */
  uint64_t committed;          /* bytes made readable+writable so far */
} wasm_rt_memory_t;

/* Tables are host memory: `limit` (pyedge's) caps growth so that a table
 * never takes more bytes than the instance's memory limit allows. */
typedef struct {
  wasm_rt_funcref_t *data;
  uint32_t max_size;
  uint32_t size;
  uint32_t limit;
} wasm_rt_funcref_table_t;

typedef struct {
  wasm_rt_externref_t *data;
  uint32_t max_size;
  uint32_t size;
  uint32_t limit;
} wasm_rt_externref_table_t;

void wasm_rt_init(void);
bool wasm_rt_is_initialized(void);
void wasm_rt_free(void);
WASM_RT_NO_RETURN void wasm_rt_trap(wasm_rt_trap_t);
const char *wasm_rt_strerror(wasm_rt_trap_t trap);
uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...);

uint32_t wasm_rt_register_tag(uint32_t size);
void wasm_rt_load_exception(uint32_t tag, uint32_t size, const void *values);
WASM_RT_NO_RETURN void wasm_rt_throw(void);
#define WASM_RT_UNWIND_TARGET sigjmp_buf
WASM_RT_UNWIND_TARGET *wasm_rt_get_unwind_target(void);
void wasm_rt_set_unwind_target(WASM_RT_UNWIND_TARGET *target);
uint32_t wasm_rt_exception_tag(void);
uint32_t wasm_rt_exception_size(void);
void *wasm_rt_exception(void);
#define WASM_RT_SETJMP(buf) sigsetjmp(buf, 1)
#define wasm_rt_try(target) WASM_RT_SETJMP(target)

void wasm_rt_allocate_memory(wasm_rt_memory_t *, uint32_t initial_pages, uint32_t max_pages);
uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *, uint32_t pages);
void wasm_rt_free_memory(wasm_rt_memory_t *);
void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t *, uint32_t elements,
                                    uint32_t max_elements);
void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t *);
void wasm_rt_allocate_externref_table(wasm_rt_externref_table_t *, uint32_t elements,
                                      uint32_t max_elements);
void wasm_rt_free_externref_table(wasm_rt_externref_table_t *);
uint32_t wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t *, uint32_t delta,
                                    wasm_rt_funcref_t init);
uint32_t wasm_rt_grow_externref_table(wasm_rt_externref_table_t *, uint32_t delta,
                                      wasm_rt_externref_t init);

#ifdef __cplusplus
}
#endif

#endif /* PE_WASM_RT_H */
