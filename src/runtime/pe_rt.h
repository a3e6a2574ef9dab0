/*
 * pe_rt.h -- the wasm runtime as the host sees it.
 *
 * A *module* is a WebAssembly module compiled ahead of time to a shared
 * object (src/aot/ makes them). Each such object exports one symbol,
 * `pe_module_descriptor`, a pe_module_desc that tells the runtime how big an
 * instance is, how to instantiate and free it, and which functions it
 * exports, each behind a uniform trampoline (arguments and results as
 * uint64_t arrays) so that the host never casts to a guessed signature.
 *
 * An *instance* is one sandbox: a linear memory in its own 8 GiB reservation,
 * tables and globals. Any number of instances may run at once, one call per
 * instance at a time, on any threads.
 *
 * Calls: pe_instance_call() runs one export under a trap handler and an
 * optional wall-clock deadline, and reports how it ended (pe_outcome).
 * Host functions that the guest imports run on the caller's thread, inside
 * that call; they end it early with pe_rt_exit() (proc_exit) or pe_rt_trap().
 *
 * Faults: SIGSEGV/SIGBUS whose faulting instruction is module code and whose
 * address lies in the running instance's reservation become an OOB trap;
 * in the thread's stack guard, an exhaustion trap. Anything else is a host
 * bug: the handler prints a report and re-raises, so it is never disguised
 * as a guest trap.
 */
#ifndef PE_RT_H
#define PE_RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasm-rt.h"

/* Bump whenever wasm-rt.h or this header changes a layout modules rely on. */
#define PE_MODULE_ABI_VERSION 3u

/* Value types in export signatures, one char each: i32 'i', i64 'I',
 * f32 'f', f64 'F'. A signature is "params:results", e.g. "ii:i". */
typedef void (*pe_trampoline)(void *instance, const uint64_t *args, uint64_t *results);

typedef struct pe_export {
  const char *name;
  const char *sig;
  pe_trampoline call;
} pe_export;

typedef struct pe_import {
  const char *module;
  const char *name;
} pe_import;

/* Where the module's own instance struct keeps what a snapshot must
 * rewrite when it is cloned: offsets (bytes) of its memories, funcref and
 * externref tables and import-instance pointers. */
typedef struct pe_instance_layout {
  uint32_t nmemories, nfuncref_tables, nexternref_tables, nimport_ptrs;
  const uint32_t *memories, *funcref_tables, *externref_tables, *import_ptrs;
} pe_instance_layout;

typedef struct pe_module_desc {
  uint32_t abi_version;
  uint32_t instance_size;
  void (*init_module)(void);
  /* Passes `host` as the instance pointer of every import module. */
  void (*instantiate)(void *instance, void *host);
  void (*free_instance)(void *instance);
  wasm_rt_memory_t *(*memory)(void *instance); /* NULL: no exported memory */
  uint32_t nexports;
  const pe_export *exports;
  uint32_t nimports;
  const pe_import *imports;
  pe_instance_layout layout;
} pe_module_desc;

typedef struct pe_module pe_module;
typedef struct pe_instance pe_instance;

/* How a call ended. trap == WASM_RT_TRAP_NONE: returned normally;
 * PE_RT_TRAP_EXIT: the guest called proc_exit(exit_code). */
typedef struct pe_outcome {
  wasm_rt_trap_t trap;
  int exit_code;
} pe_outcome;

/* Process-wide set-up: signal handlers. Idempotent and thread-safe. */
void pe_rt_global_init(void);
/* Installs the handlers again, for hosts in which other code (a test
 * framework, a language runtime) may have replaced them since. */
void pe_rt_reinstall_handlers(void);

/* Loads a compiled module (.so). NULL with a message in err on failure. */
pe_module *pe_module_open(const char *so_path, char *err, size_t errlen);
const pe_module_desc *pe_module_describe(const pe_module *m);
const pe_export *pe_module_find(const pe_module *m, const char *name);
/* Modules are kept for the life of the process (their code may be running
 * on other threads); pe_module_close only drops the handle's bookkeeping. */
void pe_module_close(pe_module *m);

/* Instantiates `m`. `host` is what every import receives (the WASI context).
 * max_memory_bytes caps linear memory (0: the module's own maximum). */
pe_instance *pe_instance_new(pe_module *m, void *host, uint64_t max_memory_bytes,
                             pe_outcome *out, char *err, size_t errlen);
wasm_rt_memory_t *pe_instance_memory(pe_instance *inst);
/* Runs one export. timeout_ns 0: no deadline. */
pe_outcome pe_instance_call(pe_instance *inst, const pe_export *fn, const uint64_t *args,
                            uint64_t *results, uint64_t timeout_ns);
void pe_instance_free(pe_instance *inst);

/* Snapshots. pe_snapshot_take captures an instance between calls: its
 * linear memory (copied once into a sealed memfd), globals and tables. Each
 * pe_instance_from_snapshot is then a new, independent instance whose memory
 * is a private copy-on-write mapping of that memfd: it costs a few mappings
 * and a copy of the instance struct and tables, and pages are copied only
 * when the new instance writes them. The snapshot must outlive nothing: each
 * clone owns its mappings. Host-side state (the WASI context) is not part of
 * it: the caller gives each clone a fresh host with the same preopens in the
 * same order, because the guest's libc remembers descriptor numbers. */
typedef struct pe_snapshot pe_snapshot;
pe_snapshot *pe_snapshot_take(pe_instance *inst, char *err, size_t errlen);
pe_instance *pe_instance_from_snapshot(const pe_snapshot *s, void *host, char *err,
                                       size_t errlen);
/* Bytes of linear memory the snapshot holds. */
uint64_t pe_snapshot_memory_bytes(const pe_snapshot *s);
void pe_snapshot_free(pe_snapshot *s);

/* A pre-initialized instance on disk (rt_snapshot_file.c): only the pages
 * that differ from a fresh instance of the module, and the instance struct.
 * Load gives a live instance (its memory under max_memory) ready for
 * pe_snapshot_take. */
bool pe_snapshot_save_file(pe_instance *inst, const char *path, uint64_t *bytes_written, char *err,
                           size_t errlen);
pe_instance *pe_snapshot_load_file(pe_module *m, const char *path, void *host,
                                   uint64_t max_memory, char *err, size_t errlen);

/* Asks the call running on `inst` (from any thread) to stop with
 * PE_RT_TRAP_TIMEOUT as soon as it is in guest code or a blocking host call. */
void pe_instance_interrupt(pe_instance *inst);

/* For host functions, on the guest's thread, inside a call. */
WASM_RT_NO_RETURN void pe_rt_exit(int code);
WASM_RT_NO_RETURN void pe_rt_trap(wasm_rt_trap_t kind);
/* First statement of every host function the guest can call: a guest that
 * recursed to just above its stack limit and then calls the host would
 * otherwise overflow the stack inside host code, which pyedge must treat as
 * a host crash. With less than PE_RT_HOST_STACK_RESERVE bytes of stack left
 * this traps (call stack exhausted) instead, before the host does anything.
 * Outside a guest call it does nothing. */
#define PE_RT_HOST_STACK_RESERVE (256u * 1024u)
void pe_rt_host_enter(void);
/* Host functions the guest imports are defined with PE_RT_HOST_ENTRY: they
 * live in one ELF section, so that a stack overflow in their prologue (the
 * guest left too little stack even for pe_rt_host_enter to run) is told
 * apart from a host bug and reported as stack exhaustion. Nothing in such
 * a prologue holds a lock, so unwinding from it is safe. */
#define PE_RT_HOST_ENTRY __attribute__((section("pe_host_entry"), noinline))

/* True once the running call's deadline has passed or it was interrupted.
 * A host function that blocks (poll_oneoff, fd_read on a pipe) wakes on
 * EINTR, checks this and calls pe_rt_trap(PE_RT_TRAP_TIMEOUT). */
bool pe_rt_should_stop(void);
/* The instance whose call runs on this thread, or NULL. */
pe_instance *pe_rt_current(void);

const char *pe_rt_trap_name(wasm_rt_trap_t kind);

#endif /* PE_RT_H */
