/*
 * rt_internal.h -- state shared by the runtime's own files; not for the host.
 *
 * Per-thread state (pe_rt_thread) lives in a __thread variable of the
 * executable. Generated module code never touches it: it only calls
 * wasm_rt_trap() and the allocation functions, which are ours. So the state
 * is reachable from signal handlers (initial-exec TLS of the executable is
 * async-signal-safe) and costs generated code nothing.
 */
#ifndef PE_RT_INTERNAL_H
#define PE_RT_INTERNAL_H

#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "pe_rt.h"

struct pe_module {
  void *dl;
  const pe_module_desc *desc;
  char *path;
  /* no guest code can change its tables (pe_module_tables_fixed, defined by
   * src/aot/aot_split.c): resets leave them alone */
  bool tables_fixed;
};

struct pe_instance {
  pe_module *module;
  void *host;
  wasm_rt_memory_t *memory; /* the exported memory, or NULL */
  atomic_int interrupt_requested;
  atomic_int running_tid; /* kernel tid of the thread in a call, or 0 */
  /* recycling (pe_rt_reuse.h): the runs of pages this clone owns, as last
   * found in /proc/self/pagemap, and the fault count of the thread using it
   * when its use began */
  struct pe_page_run *owned_runs;
  uint32_t nowned_runs, owned_runs_cap;
  bool owned_runs_valid;
  bool used_elsewhere;       /* a call ran on another thread than use_tid's */
  bool memory_from_snapshot; /* memory maps a snapshot (else anonymous:
                                pages never touched read as zero) */
  /* Loaded from a snapshot file (rt_snapshot_file.c): the memory's first
   * backing_bytes are a memfd mapped shared, so what the instance writes
   * goes straight into the file a snapshot of it seals. `backed` until
   * pe_snapshot_take makes the mapping private; the fd is the instance's
   * until it is freed. */
  bool has_backing_fd, backed;
  int backing_fd;
  uint64_t backing_bytes;
  int use_tid;
  long use_minflt;
  /* the module's own instance struct follows, 16-byte aligned */
  _Alignas(16) unsigned char state[];
};

typedef struct pe_rt_thread {
  sigjmp_buf *jmp;      /* where a trap goes; NULL outside a call */
  pe_instance *current; /* instance of the running call */
  volatile sig_atomic_t stop;
  int exit_code;
  uint64_t deadline_ns;       /* CLOCK_MONOTONIC; 0: none */
  uint32_t pending_max_pages; /* host limit, read by wasm_rt_allocate_memory */
  /* Pages of linear memory held by the instances whose calls enclose the
   * running one on this thread (service chaining nests a callee's call in
   * its caller's host call). ALWAYS counted against the running instance's
   * own limit: a chain shares one budget, so ten nested callees cannot take
   * ten times --max-instance-memory. */
  uint64_t outer_pages;
  /* stack bounds, for telling stack exhaustion from other faults */
  uintptr_t stack_guard_lo, stack_guard_hi;
  void *altstack;
  timer_t timer;
  int timer_ready;
  /* when the timer will fire (CLOCK_MONOTONIC ns), 0 when it is off; see
   * pe_rt_deadline_arm */
  volatile uint64_t timer_due_ns;
  int tid;
  /* wasm exception being thrown (exception-handling proposal) */
  sigjmp_buf *unwind_target;
  uint32_t exc_tag, exc_size;
  unsigned char exc_data[256];
} pe_rt_thread;

extern __thread pe_rt_thread pe_rt_tls __attribute__((tls_model("initial-exec")));

/* rt_thread.c */
void pe_rt_thread_init(void);
/* After a trap's siglongjmp: the signals whose handlers trap, unblocked. */
void pe_rt_unblock_trap_signals(void);
void pe_rt_deadline_arm(uint64_t timeout_ns);
void pe_rt_deadline_disarm(void);
uint64_t pe_rt_now_ns(void);

/* rt_module.c: is this instruction address inside a loaded module's code? */
int pe_rt_is_module_code(uintptr_t pc);

/* Writes the pages of [base + from, base + to) that are mapped, and not
 * marked in `skip` (one byte per 4 KiB page from base; may be NULL), at
 * the same offsets of fd. Without pagemap it writes them all. */
bool pe_rt_write_present_pages(int fd, const uint8_t *base, uint64_t from, uint64_t to,
                               const uint8_t *skip);
/* pwrite of all of it, retried on EINTR and short writes. */
bool pe_rt_pwrite_all(int fd, const void *p, uint64_t n, uint64_t off);

#endif /* PE_RT_INTERNAL_H */
