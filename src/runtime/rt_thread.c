/*
 * rt_thread.c -- traps, faults and deadlines, per thread.
 *
 * A trap is a siglongjmp to the sigjmp_buf of the call running on this
 * thread (pe_rt_tls.jmp). Three paths lead there:
 *
 *  1. Generated code calls wasm_rt_trap() for explicit checks (division by
 *     zero, unreachable, call_indirect, ...). Host functions call
 *     pe_rt_trap() / pe_rt_exit() the same way.
 *  2. SIGSEGV/SIGBUS. The handler trusts a fault only when the faulting
 *     instruction is module code (pe_rt_is_module_code) and we are in a call.
 *     Then: an address inside the running instance's memory reservation is
 *     an out-of-bounds access; an address in this thread's stack guard zone
 *     is stack exhaustion. Every other fault is a bug in the host: we print a
 *     report and let the default action kill the process, so a host bug is
 *     never reported as a guest trap. The handler runs on an alternate stack
 *     (a stack overflow leaves no room on the normal one).
 *  3. The deadline signal (PE_RT_SIG_DEADLINE), from a per-thread POSIX timer
 *     or from pe_instance_interrupt on another thread. If it lands in module
 *     code we trap at once. If it lands in host or libc code (a WASI call, a
 *     memcpy) unwinding there could leave a lock held, so we only set `stop`
 *     and re-arm the timer for 1 ms: the next tick that finds module code
 *     traps, and blocking host calls see EINTR and check pe_rt_should_stop().
 *
 * The timer is armed lazily. A request makes several guest calls, each with
 * a deadline seconds away; setting and clearing the timer around every call
 * cost two system calls each (8 of a request's ~25). Instead the timer is
 * only moved *earlier*: a call whose deadline is later than the time the
 * timer is already due leaves it alone, and ending a call only forgets the
 * deadline. When an early tick finds the deadline still ahead (or no call
 * running) it re-arms for what is left, or lets the timer stop. So a steady
 * stream of requests costs one tick per timeout period, not two system
 * calls per call; a deadline is never missed because the timer is always
 * due at or before it.
 *
 * Everything here is per thread, so instances on different threads never
 * share trap state.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "rt_internal.h"

__thread pe_rt_thread pe_rt_tls __attribute__((tls_model("initial-exec")));

#define PE_RT_ALTSTACK_SIZE (64 * 1024)
/* The kernel keeps a gap below the main thread's stack (stack_guard_gap,
 * 1 MiB by default); a frame can also skip a few pages. */
#define PE_RT_STACK_GUARD_SLACK (1u << 20)
#define PE_RT_RETRY_NS 1000000ull

static int sig_deadline(void) { return SIGRTMIN + 3; }

static atomic_int global_ready;
static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sigaction prev_segv, prev_bus;

uint64_t pe_rt_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uintptr_t fault_pc(void *ucv) {
  ucontext_t *uc = ucv;
#if defined(__x86_64__)
  return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
  return (uintptr_t)uc->uc_mcontext.pc;
#else
#error "pyedge: unsupported architecture"
#endif
}

/* async-signal-safe formatting for the crash report */
static void put_str(const char *s) {
  ssize_t r = write(2, s, strlen(s));
  (void)r;
}
static void put_hex(uintptr_t v) {
  char buf[2 + 16 + 1];
  buf[0] = '0';
  buf[1] = 'x';
  for (int i = 0; i < 16; i++) buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
  buf[18] = 0;
  put_str(buf);
}

/* Bounds of the host entry section (the linker defines these symbols). */
extern const char __start_pe_host_entry[] __attribute__((weak));
extern const char __stop_pe_host_entry[] __attribute__((weak));

static int is_host_entry(uintptr_t pc) {
  return __start_pe_host_entry && pc >= (uintptr_t)__start_pe_host_entry &&
         pc < (uintptr_t)__stop_pe_host_entry;
}

static int in_memory_reservation(const pe_instance *inst, uintptr_t addr) {
  if (!inst || !inst->memory || !inst->memory->data) return 0;
  uintptr_t base = (uintptr_t)inst->memory->data;
  return addr >= base && addr - base < PE_RT_MEMORY_RESERVATION;
}

static void on_fault(int sig, siginfo_t *si, void *ucv) {
  pe_rt_thread *t = &pe_rt_tls;
  uintptr_t pc = fault_pc(ucv);
  uintptr_t addr = (uintptr_t)si->si_addr;
  int in_stack_guard = addr >= t->stack_guard_lo && addr < t->stack_guard_hi;
  if (t->jmp && pe_rt_is_module_code(pc)) {
    if (in_memory_reservation(t->current, addr)) siglongjmp(*t->jmp, WASM_RT_TRAP_OOB);
    if (in_stack_guard) siglongjmp(*t->jmp, WASM_RT_TRAP_EXHAUSTION);
  }
  if (t->jmp && in_stack_guard && is_host_entry(pc)) siglongjmp(*t->jmp, WASM_RT_TRAP_EXHAUSTION);
  put_str("pyedge: fatal: ");
  put_str(sig == SIGBUS ? "SIGBUS" : "SIGSEGV");
  put_str(" in host code at pc ");
  put_hex(pc);
  put_str(", address ");
  put_hex(addr);
  put_str(t->jmp ? " (during a guest call)\n" : "\n");
  /* Restore the previous disposition; returning re-executes the faulting
   * instruction, which then takes the default action (core dump). */
  sigaction(sig, sig == SIGBUS ? &prev_bus : &prev_segv, NULL);
}

/* Async-signal-safe (timer_settime is): the deadline handler re-arms. */
static void rearm_in(uint64_t ns) {
  pe_rt_thread *t = &pe_rt_tls;
  if (!t->timer_ready) return;
  if (ns == 0) ns = 1; /* an all-zero it_value would disarm */
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  its.it_value.tv_sec = (time_t)(ns / 1000000000ull);
  its.it_value.tv_nsec = (long)(ns % 1000000000ull);
  t->timer_due_ns = pe_rt_now_ns() + ns;
  atomic_signal_fence(memory_order_seq_cst);
  if (timer_settime(t->timer, 0, &its, NULL) != 0) t->timer_due_ns = 0;
}

static void on_deadline(int sig, siginfo_t *si, void *ucv) {
  (void)sig;
  pe_rt_thread *t = &pe_rt_tls;
  /* our timer fired (a one-shot: it is off now), or another thread asked
   * this one to stop (pe_instance_interrupt) and the timer is unchanged */
  if (si->si_code == SI_TIMER) t->timer_due_ns = 0;
  uint64_t deadline = t->deadline_ns;
  int in_call = t->jmp && t->current;
  int interrupted = in_call && atomic_load(&t->current->interrupt_requested);
  uint64_t now = pe_rt_now_ns();
  int expired = deadline && now >= deadline;
  if (!in_call || (!expired && !interrupted)) {
    /* early (the timer was due before this deadline), or between calls:
     * keep a tick coming for the deadline there is, if any */
    if (deadline && !t->timer_due_ns) rearm_in(deadline > now ? deadline - now : 1);
    return;
  }
  t->stop = 1;
  if (pe_rt_is_module_code(fault_pc(ucv))) siglongjmp(*t->jmp, PE_RT_TRAP_TIMEOUT);
  rearm_in(PE_RT_RETRY_NS);
}

static void install_handlers(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &prev_segv);
  sigaction(SIGBUS, &sa, &prev_bus);
  struct sigaction sd;
  memset(&sd, 0, sizeof sd);
  sd.sa_sigaction = on_deadline;
  sd.sa_flags = SA_SIGINFO | SA_ONSTACK; /* no SA_RESTART: blocking calls see EINTR */
  sigemptyset(&sd.sa_mask);
  sigaction(sig_deadline(), &sd, NULL);
}

void pe_rt_unblock_trap_signals(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGSEGV);
  sigaddset(&set, SIGBUS);
  sigaddset(&set, sig_deadline());
  pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

void pe_rt_global_init(void) {
  if (atomic_load(&global_ready)) return;
  pthread_mutex_lock(&global_lock);
  if (!atomic_load(&global_ready)) {
    install_handlers();
    atomic_store(&global_ready, 1);
  }
  pthread_mutex_unlock(&global_lock);
}

void pe_rt_reinstall_handlers(void) {
  pe_rt_global_init();
  pthread_mutex_lock(&global_lock);
  install_handlers();
  pthread_mutex_unlock(&global_lock);
}

void wasm_rt_init(void) { pe_rt_global_init(); }
bool wasm_rt_is_initialized(void) { return atomic_load(&global_ready) != 0; }
void wasm_rt_free(void) {}

static void find_stack_guard(pe_rt_thread *t) {
  pthread_attr_t attr;
  void *addr = NULL;
  size_t size = 0, guard = 0;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
  pthread_attr_getstack(&attr, &addr, &size);
  pthread_attr_getguardsize(&attr, &guard);
  pthread_attr_destroy(&attr);
  uintptr_t lo = (uintptr_t)addr;
  uintptr_t slack = guard + PE_RT_STACK_GUARD_SLACK;
  t->stack_guard_lo = lo > slack ? lo - slack : 0;
  /* a fault within the lowest page of the usable stack is exhaustion too */
  t->stack_guard_hi = lo + 4096;
}

void pe_rt_thread_init(void) {
  pe_rt_thread *t = &pe_rt_tls;
  if (t->tid) return;
  pe_rt_global_init();
  t->tid = (int)syscall(SYS_gettid);
  find_stack_guard(t);
  t->altstack =
      mmap(NULL, PE_RT_ALTSTACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (t->altstack != MAP_FAILED) {
    stack_t ss = {.ss_sp = t->altstack, .ss_size = PE_RT_ALTSTACK_SIZE, .ss_flags = 0};
    sigaltstack(&ss, NULL);
  }
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = sig_deadline();
  sev._sigev_un._tid = t->tid;
  t->timer_ready = timer_create(CLOCK_MONOTONIC, &sev, &t->timer) == 0;
}

void pe_rt_deadline_arm(uint64_t timeout_ns) {
  pe_rt_thread *t = &pe_rt_tls;
  if (!timeout_ns) {
    t->deadline_ns = 0;
    return;
  }
  uint64_t deadline = pe_rt_now_ns() + timeout_ns;
  t->deadline_ns = deadline;
  /* The handler reads deadline_ns and clears timer_due_ns; it runs on this
   * thread, so only the compiler's order matters. A tick between the store
   * above and the test below re-arms for this deadline itself. */
  atomic_signal_fence(memory_order_seq_cst);
  uint64_t due = t->timer_due_ns;
  if (!due || due > deadline) rearm_in(timeout_ns);
}

/* Forgets the deadline; the timer, if due, ticks once more and stops. */
void pe_rt_deadline_disarm(void) { pe_rt_tls.deadline_ns = 0; }

static void fault_in_stack_guard(const pe_rt_thread *t);

/* Generated code calls this directly, possibly at the very bottom of the
 * stack: it lives in the host entry section and makes sure siglongjmp has
 * room to run. */
PE_RT_HOST_ENTRY void wasm_rt_trap(wasm_rt_trap_t kind) {
  pe_rt_thread *t = &pe_rt_tls;
  if (t->jmp && (uintptr_t)__builtin_frame_address(0) < t->stack_guard_hi + 16384)
    fault_in_stack_guard(t);
  if (!t->jmp) {
    fprintf(stderr, "pyedge: fatal: trap '%s' outside of a guest call\n", pe_rt_trap_name(kind));
    abort();
  }
  siglongjmp(*t->jmp, (int)kind);
}

void pe_rt_trap(wasm_rt_trap_t kind) { wasm_rt_trap(kind); }

void pe_rt_exit(int code) {
  pe_rt_tls.exit_code = code;
  wasm_rt_trap(PE_RT_TRAP_EXIT);
}

/* Too little stack left to run host code: fault on purpose in the stack
 * guard (the byte just below the lowest usable stack page), from inside the
 * host entry section, so that the signal handler unwinds on its own
 * alternate stack. Calling anything here (even siglongjmp, or the dynamic
 * linker resolving it) could itself overflow in code the handler must not
 * trust. */
PE_RT_HOST_ENTRY static void fault_in_stack_guard(const pe_rt_thread *t) {
  volatile const char *probe = (volatile const char *)(t->stack_guard_hi - 4096 - 1);
  (void)*probe;
}

PE_RT_HOST_ENTRY void pe_rt_host_enter(void) {
  pe_rt_thread *t = &pe_rt_tls;
  if (!t->jmp) return;
  uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
  if (sp < t->stack_guard_hi + PE_RT_HOST_STACK_RESERVE) {
    fault_in_stack_guard(t);
    wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION); /* not reached when the probe faults */
  }
}

bool pe_rt_should_stop(void) {
  pe_rt_thread *t = &pe_rt_tls;
  if (t->stop) return true;
  if (t->deadline_ns && pe_rt_now_ns() >= t->deadline_ns) return true;
  return t->current && atomic_load(&t->current->interrupt_requested);
}

pe_instance *pe_rt_current(void) { return pe_rt_tls.current; }

void pe_instance_interrupt(pe_instance *inst) {
  atomic_store(&inst->interrupt_requested, 1);
  int tid = atomic_load(&inst->running_tid);
  if (tid) syscall(SYS_tgkill, getpid(), tid, sig_deadline());
}

const char *pe_rt_trap_name(wasm_rt_trap_t kind) {
  switch (kind) {
    case WASM_RT_TRAP_NONE: return "none";
    case WASM_RT_TRAP_OOB: return "out of bounds memory access";
    case WASM_RT_TRAP_INT_OVERFLOW: return "integer overflow";
    case WASM_RT_TRAP_DIV_BY_ZERO: return "integer divide by zero";
    case WASM_RT_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
    case WASM_RT_TRAP_UNREACHABLE: return "unreachable executed";
    case WASM_RT_TRAP_CALL_INDIRECT: return "indirect call type mismatch or null";
    case WASM_RT_TRAP_UNCAUGHT_EXCEPTION: return "uncaught exception";
    case WASM_RT_TRAP_EXHAUSTION: return "call stack exhausted";
    case PE_RT_TRAP_TIMEOUT: return "deadline exceeded";
    case PE_RT_TRAP_EXIT: return "exit";
    case PE_RT_TRAP_HOST: return "host error";
    case PE_RT_TRAP_MEMORY_LIMIT: return "memory limit exceeded";
  }
  return "unknown trap";
}

const char *wasm_rt_strerror(wasm_rt_trap_t trap) { return pe_rt_trap_name(trap); }
