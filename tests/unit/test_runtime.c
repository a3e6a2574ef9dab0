/*
 * test_runtime.c -- the wasm runtime and the AOT compiler, end to end.
 *
 * Modules are written in WebAssembly text (tests/unit/data/, .wat files), turned
 * into binaries with wabt's wat2wasm, compiled by pe_aot_compile into a
 * private cache, loaded and run. Every trap kind, the memory limit,
 * deadlines, interruption from another thread, concurrent instances and the
 * compiler's refusals are checked here.
 */
#include "pe_test.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aot/pe_aot.h"
#include "runtime/pe_rt.h"
#include "runtime/pe_rt_reuse.h"
#include "util/pe_util.h"
#include "util/pe_version.h"

static char tmpdir[] = "/tmp/pe-test-rt-XXXXXX";
static pe_module *basic;

/* wat -> wasm -> compiled .so path; NULL + message on failure */
static bool compile_wat(const char *name, char *so, size_t solen, char *err, size_t errlen) {
  char wasm[PATH_MAX], cmd[3 * PATH_MAX];
  snprintf(wasm, sizeof wasm, "%s/%s.wasm", tmpdir, name);
  snprintf(cmd, sizeof cmd, "wat2wasm tests/unit/data/%s.wat -o %s", name, wasm);
  if (system(cmd) != 0) {
    snprintf(err, errlen, "wat2wasm failed for %s", name);
    return false;
  }
  pe_aot_options o = {.quiet = true};
  return pe_aot_compile(wasm, &o, so, solen, err, errlen);
}

static int setup(void **state) {
  (void)state;
  if (!mkdtemp(tmpdir)) return -1;
  setenv("PYEDGE_CACHE", tmpdir, 1);
  char so[PATH_MAX], err[4096];
  if (!compile_wat("rt_basic", so, sizeof so, err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    return -1;
  }
  basic = pe_module_open(so, err, sizeof err);
  if (!basic) fprintf(stderr, "%s\n", err);
  return basic ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  pe_module_close(basic);
  char cmd[PATH_MAX + 16];
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

static pe_instance *new_instance(uint64_t max_memory) {
  char err[256];
  pe_outcome o;
  pe_instance *inst = pe_instance_new(basic, NULL, max_memory, &o, err, sizeof err);
  assert_non_null(inst);
  return inst;
}

static pe_outcome call2(pe_instance *inst, const char *fn, uint64_t a, uint64_t b, uint64_t *r,
                        uint64_t timeout_ns) {
  /* cmocka installs its own SIGSEGV handler around each test */
  pe_rt_reinstall_handlers();
  const pe_export *e = pe_module_find(basic, fn);
  assert_non_null(e);
  uint64_t args[2] = {a, b}, res[1] = {0};
  pe_outcome o = pe_instance_call(inst, e, args, res, timeout_ns);
  if (r) *r = res[0];
  return o;
}

static void test_exports_and_signatures(void **state) {
  (void)state;
  const pe_export *e = pe_module_find(basic, "add");
  assert_non_null(e);
  assert_string_equal(e->sig, "ii:i");
  assert_string_equal(pe_module_find(basic, "f64add")->sig, "FF:F");
  assert_string_equal(pe_module_find(basic, "unreachable")->sig, ":");
  assert_null(pe_module_find(basic, "memory")); /* not a function */
  assert_null(pe_module_find(basic, "nope"));
  const pe_module_desc *d = pe_module_describe(basic);
  assert_int_equal(d->nimports, 1);
  assert_string_equal(d->imports[0].module, "pyedge");
  assert_string_equal(d->imports[0].name, "version");
}

static void test_calls_return_values(void **state) {
  (void)state;
  pe_instance *inst = new_instance(0);
  uint64_t r;
  assert_int_equal(call2(inst, "add", 2, 40, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 42);
  double a = 1.5, b = 2.25, sum;
  uint64_t ab, bb;
  memcpy(&ab, &a, 8);
  memcpy(&bb, &b, 8);
  assert_int_equal(call2(inst, "f64add", ab, bb, &r, 0).trap, WASM_RT_TRAP_NONE);
  memcpy(&sum, &r, 8);
  assert_true(sum == 3.75);
  assert_int_equal(call2(inst, "indirect", 0, 5, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 6);
  pe_instance_free(inst);
}

static void test_memory_bounds(void **state) {
  (void)state;
  pe_instance *inst = new_instance(0);
  uint64_t r;
  assert_int_equal(call2(inst, "store", 65532, 7, NULL, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal(call2(inst, "load", 65532, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 7);
  /* straddling the end, just past it, and at the top of the index space */
  assert_int_equal(call2(inst, "load", 65533, 0, NULL, 0).trap, WASM_RT_TRAP_OOB);
  assert_int_equal(call2(inst, "load", 65536, 0, NULL, 0).trap, WASM_RT_TRAP_OOB);
  assert_int_equal(call2(inst, "store", 0xfffffffc, 1, NULL, 0).trap, WASM_RT_TRAP_OOB);
  assert_int_equal(call2(inst, "load", 0xffffffff, 0, NULL, 0).trap, WASM_RT_TRAP_OOB);
  /* after growing, the new page is usable */
  assert_int_equal(call2(inst, "grow", 1, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 1);
  assert_int_equal(call2(inst, "store", 65536 * 2 - 4, 9, NULL, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal(call2(inst, "load", 65536 * 2 - 3, 0, NULL, 0).trap, WASM_RT_TRAP_OOB);
  /* the instance still works after traps */
  assert_int_equal(call2(inst, "add", 1, 2, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 3);
  pe_instance_free(inst);
}

static void test_memory_limit(void **state) {
  (void)state;
  /* module maximum: 4 pages */
  pe_instance *inst = new_instance(0);
  uint64_t r;
  assert_int_equal(call2(inst, "grow", 3, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 1);
  assert_int_equal(call2(inst, "grow", 1, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 0xffffffffu);
  pe_instance_free(inst);
  /* host limit: 2 pages */
  inst = new_instance(2 * 65536);
  assert_int_equal(call2(inst, "grow", 2, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 0xffffffffu);
  assert_int_equal(call2(inst, "grow", 1, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 1);
  assert_int_equal(call2(inst, "size", 0, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 2);
  assert_int_equal(call2(inst, "grow", 1, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 0xffffffffu);
  pe_instance_free(inst);
}

static void test_initial_memory_over_limit(void **state) {
  (void)state;
  char so[PATH_MAX], err[4096];
  assert_true(compile_wat("rt_big_memory", so, sizeof so, err, sizeof err));
  pe_module *m = pe_module_open(so, err, sizeof err);
  assert_non_null(m);
  pe_outcome o;
  pe_instance *inst = pe_instance_new(m, NULL, 32 << 20, &o, err, sizeof err);
  assert_null(inst);
  assert_int_equal(o.trap, PE_RT_TRAP_MEMORY_LIMIT);
  inst = pe_instance_new(m, NULL, 64 << 20, &o, err, sizeof err);
  assert_non_null(inst);
  pe_instance_free(inst);
  pe_module_close(m);
}

static void test_trap_kinds(void **state) {
  (void)state;
  pe_instance *inst = new_instance(0);
  double nan = NAN, big = 1e20;
  uint64_t nanb, bigb;
  memcpy(&nanb, &nan, 8);
  memcpy(&bigb, &big, 8);
  assert_int_equal(call2(inst, "div", 1, 0, NULL, 0).trap, WASM_RT_TRAP_DIV_BY_ZERO);
  assert_int_equal(call2(inst, "div", 0x80000000u, 0xffffffffu, NULL, 0).trap,
                   WASM_RT_TRAP_INT_OVERFLOW);
  assert_int_equal(call2(inst, "trunc", nanb, 0, NULL, 0).trap, WASM_RT_TRAP_INVALID_CONVERSION);
  assert_int_equal(call2(inst, "trunc", bigb, 0, NULL, 0).trap, WASM_RT_TRAP_INT_OVERFLOW);
  assert_int_equal(call2(inst, "unreachable", 0, 0, NULL, 0).trap, WASM_RT_TRAP_UNREACHABLE);
  assert_int_equal(call2(inst, "indirect", 7, 5, NULL, 0).trap, WASM_RT_TRAP_CALL_INDIRECT);
  assert_int_equal(call2(inst, "indirect", 1, 5, NULL, 0).trap, WASM_RT_TRAP_NONE);
  pe_instance_free(inst);
}

static void test_stack_exhaustion(void **state) {
  (void)state;
  pe_instance *inst = new_instance(0);
  assert_int_equal(call2(inst, "recurse", 0, 0, NULL, 10ull * 1000000000ull).trap,
                   WASM_RT_TRAP_EXHAUSTION);
  /* and again: the alternate signal stack and guard are reusable */
  assert_int_equal(call2(inst, "recurse", 0, 0, NULL, 10ull * 1000000000ull).trap,
                   WASM_RT_TRAP_EXHAUSTION);
  uint64_t r;
  assert_int_equal(call2(inst, "add", 1, 1, &r, 0).trap, WASM_RT_TRAP_NONE);
  pe_instance_free(inst);
}

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void test_deadline(void **state) {
  (void)state;
  pe_instance *inst = new_instance(0);
  uint64_t t0 = now_ms();
  assert_int_equal(call2(inst, "spin", 0, 0, NULL, 100 * 1000000ull).trap, PE_RT_TRAP_TIMEOUT);
  uint64_t took = now_ms() - t0;
  assert_true(took >= 100 && took < 2000);
  /* a deadline that does not expire changes nothing */
  uint64_t r;
  assert_int_equal(call2(inst, "sum", 1000, 0, &r, 5000 * 1000000ull).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 500500);
  /* a later call without a deadline is not hit by a stale timer */
  usleep(20000);
  assert_int_equal(call2(inst, "sum", 10, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 55);
  pe_instance_free(inst);
}

/* The timer is armed lazily (rt_thread.c): it only ever moves earlier, and
 * a tick that comes before the running call's deadline re-arms for the
 * rest. Each case below fails if one of those rules is broken. */
static void test_deadline_lazy_timer(void **state) {
  (void)state;
  pe_instance *inst = new_instance(0);
  uint64_t r;
  /* a long deadline first, then a short one: the timer must move earlier */
  assert_int_equal(call2(inst, "sum", 10, 0, &r, 60000 * 1000000ull).trap, WASM_RT_TRAP_NONE);
  uint64_t t0 = now_ms();
  assert_int_equal(call2(inst, "spin", 0, 0, NULL, 80 * 1000000ull).trap, PE_RT_TRAP_TIMEOUT);
  uint64_t took = now_ms() - t0;
  assert_true(took >= 80 && took < 2000);
  /* a short deadline that passes unused leaves the timer due early; the
   * next call's later deadline must be neither cut short by that early
   * tick nor forgotten after it */
  assert_int_equal(call2(inst, "sum", 10, 0, &r, 50 * 1000000ull).trap, WASM_RT_TRAP_NONE);
  t0 = now_ms();
  assert_int_equal(call2(inst, "spin", 0, 0, NULL, 300 * 1000000ull).trap, PE_RT_TRAP_TIMEOUT);
  took = now_ms() - t0;
  assert_true(took >= 300 && took < 3000);
  /* timeouts in a row: the trap leaves the deadline signal unblocked */
  for (int i = 0; i < 3; i++) {
    t0 = now_ms();
    assert_int_equal(call2(inst, "spin", 0, 0, NULL, 30 * 1000000ull).trap, PE_RT_TRAP_TIMEOUT);
    assert_true(now_ms() - t0 < 2000);
  }
  sigset_t mask;
  pthread_sigmask(SIG_BLOCK, NULL, &mask);
  assert_false(sigismember(&mask, SIGRTMIN + 3));
  assert_false(sigismember(&mask, SIGSEGV));
  /* a tick due while no call runs is harmless */
  assert_int_equal(call2(inst, "sum", 10, 0, &r, 20 * 1000000ull).trap, WASM_RT_TRAP_NONE);
  usleep(60000);
  assert_int_equal(call2(inst, "sum", 100, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 5050);
  pe_instance_free(inst);
}

typedef struct {
  pe_instance *inst;
  pe_outcome out;
} spin_job;

static void *spin_thread(void *arg) {
  spin_job *j = arg;
  j->out = call2(j->inst, "spin", 0, 0, NULL, 0);
  return NULL;
}

static void test_interrupt_from_another_thread(void **state) {
  (void)state;
  spin_job j = {new_instance(0), {0, 0}};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, spin_thread, &j), 0);
  usleep(50000);
  pe_instance_interrupt(j.inst);
  pthread_join(th, NULL);
  assert_int_equal(j.out.trap, PE_RT_TRAP_TIMEOUT);
  pe_instance_free(j.inst);
}

typedef struct {
  int id;
  int ok;
} worker_job;

/* Each thread runs its own instances; traps on one never reach another. */
static void *worker(void *arg) {
  worker_job *w = arg;
  w->ok = 1;
  for (int round = 0; round < 20; round++) {
    char err[256];
    pe_outcome o;
    pe_instance *inst = pe_instance_new(basic, NULL, 0, &o, err, sizeof err);
    if (!inst) {
      w->ok = 0;
      return NULL;
    }
    uint64_t r;
    uint32_t n = (uint32_t)(100 + w->id * 10 + round);
    if (call2(inst, "sum", n, 0, &r, 0).trap != WASM_RT_TRAP_NONE || r != n * (n + 1) / 2)
      w->ok = 0;
    if (call2(inst, "load", 0xfffffff0u, 0, NULL, 0).trap != WASM_RT_TRAP_OOB) w->ok = 0;
    if (call2(inst, "div", 5, 0, NULL, 0).trap != WASM_RT_TRAP_DIV_BY_ZERO) w->ok = 0;
    if (round % 5 == 0 && call2(inst, "spin", 0, 0, NULL, 5000000).trap != PE_RT_TRAP_TIMEOUT)
      w->ok = 0;
    pe_instance_free(inst);
  }
  return NULL;
}

static void test_concurrent_instances(void **state) {
  (void)state;
  enum { N = 8 };
  pthread_t th[N];
  worker_job jobs[N];
  for (int i = 0; i < N; i++) {
    jobs[i] = (worker_job){i, 0};
    assert_int_equal(pthread_create(&th[i], NULL, worker, &jobs[i]), 0);
  }
  for (int i = 0; i < N; i++) {
    pthread_join(th[i], NULL);
    assert_true(jobs[i].ok);
  }
}

static void test_host_import_validates_pointers(void **state) {
  (void)state;
  pe_instance *inst = new_instance(0);
  uint64_t r;
  assert_int_equal(call2(inst, "version", 100, 64, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, strlen(PE_VERSION));
  wasm_rt_memory_t *mem = pe_instance_memory(inst);
  assert_memory_equal(mem->data + 100, PE_VERSION, strlen(PE_VERSION));
  /* a buffer past the end of memory: nothing written, 0 returned */
  assert_int_equal(call2(inst, "version", 65535, 64, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 0);
  assert_int_equal(call2(inst, "version", 0xffffffffu, 0xffffffffu, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 0);
  pe_instance_free(inst);
}

/* A "guest export" that is really host code faulting, as a buggy host
 * function called from the guest would. */
static void host_bug_null(void *inst, const uint64_t *a, uint64_t *r) {
  (void)inst;
  (void)r;
  volatile int *p = (volatile int *)(uintptr_t)a[0];
  *p = 1;
}

static void host_bug_in_reservation(void *inst, const uint64_t *a, uint64_t *r) {
  (void)inst;
  (void)a;
  (void)r;
  /* past the live size but inside the instance's reservation: from host
   * code this is a host bug, not a guest out-of-bounds access */
  wasm_rt_memory_t *mem = pe_instance_memory(pe_rt_current());
  volatile uint8_t *p = mem->data + mem->size + 4096;
  *p = 1;
}

typedef struct host_bug {
  pe_trampoline fn;
  uint64_t arg;
} host_bug;

static void call_host_bug(void *p) {
  const host_bug *b = p;
  /* the default action, not cmocka's handler, must follow ours */
  signal(SIGSEGV, SIG_DFL);
  signal(SIGBUS, SIG_DFL);
  pe_rt_reinstall_handlers();
  char err[256];
  pe_outcome o;
  pe_instance *inst = pe_instance_new(basic, NULL, 0, &o, err, sizeof err);
  pe_export bug = {"bug", ":", b->fn};
  uint64_t args[1] = {b->arg};
  o = pe_instance_call(inst, &bug, args, NULL, 0);
  fprintf(stderr, "returned with trap %d\n", o.trap);
}

/* Runs fn as a guest call in a child; returns its wait status and what it
 * printed on stderr. */
static int run_host_bug(pe_trampoline fn, uint64_t arg, char *out, size_t outlen) {
  host_bug b = {fn, arg};
  return pe_test_in_child(call_host_bug, &b, out, outlen);
}

static void test_host_fault_is_not_a_guest_trap(void **state) {
  (void)state;
  char out[1024];
  int st = run_host_bug(host_bug_null, 16, out, sizeof out);
  assert_true(WIFSIGNALED(st));
  assert_int_equal(WTERMSIG(st), SIGSEGV);
  assert_non_null(strstr(out, "fatal: SIGSEGV in host code"));
  assert_non_null(strstr(out, "during a guest call"));
  assert_null(strstr(out, "returned with trap"));

  st = run_host_bug(host_bug_in_reservation, 0, out, sizeof out);
  assert_true(WIFSIGNALED(st));
  assert_int_equal(WTERMSIG(st), SIGSEGV);
  assert_non_null(strstr(out, "fatal: SIGSEGV in host code"));
}

static pthread_barrier_t store_barrier;

static void *store_on_thread(void *arg) {
  pthread_barrier_wait(&store_barrier); /* the use begins on the main thread */
  call2(arg, "store", 100, 99, NULL, 0);
  call2(arg, "store", 60000, 99, NULL, 0);
  pthread_barrier_wait(&store_barrier);
  return NULL;
}

static void test_snapshot_clones_are_independent(void **state) {
  (void)state;
  char err[256];
  uint64_t r;
  pe_instance *a = new_instance(3 * 65536);
  assert_int_equal(call2(a, "store", 100, 123, NULL, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal(call2(a, "bump", 0, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal(call2(a, "bump", 0, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  pe_snapshot *snap = pe_snapshot_take(a, err, sizeof err);
  assert_non_null(snap);
  assert_int_equal(pe_snapshot_memory_bytes(snap), 65536);
  /* the original keeps going on its own memory */
  assert_int_equal(call2(a, "store", 100, 7, NULL, 0).trap, WASM_RT_TRAP_NONE);
  pe_instance_free(a);

  pe_instance *b = pe_instance_from_snapshot(snap, NULL, err, sizeof err);
  pe_instance *c = pe_instance_from_snapshot(snap, NULL, err, sizeof err);
  assert_non_null(b);
  assert_non_null(c);
  assert_int_equal(call2(b, "load", 100, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 123);
  assert_int_equal(call2(b, "store", 100, 456, NULL, 0).trap, WASM_RT_TRAP_NONE);
  /* call_indirect runs the table's function on the clone's own memory */
  assert_int_equal(call2(b, "indirect", 1, 100, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 456);
  assert_int_equal(call2(c, "indirect", 1, 100, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 123);
  /* globals come from the snapshot, and are private after */
  assert_int_equal(call2(b, "bump", 0, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 3);
  assert_int_equal(call2(b, "bump", 0, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 4);
  assert_int_equal(call2(c, "bump", 0, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 3);
  /* bounds and the memory limit carry over; growth past the snapshot works */
  assert_int_equal(call2(c, "load", 65536, 0, NULL, 0).trap, WASM_RT_TRAP_OOB);
  assert_int_equal(call2(c, "grow", 2, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 1);
  assert_int_equal(call2(c, "store", 3 * 65536 - 4, 9, NULL, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal(call2(c, "load", 3 * 65536 - 4, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 9);
  assert_int_equal(call2(c, "grow", 1, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 0xffffffffu);
  assert_int_equal(call2(b, "load", 3 * 65536 - 4, 0, NULL, 0).trap, WASM_RT_TRAP_OOB);
  pe_instance_free(b);
  pe_instance_free(c);

  /* many clones, each starting from the same state */
  for (int i = 0; i < 200; i++) {
    pe_instance *x = pe_instance_from_snapshot(snap, NULL, err, sizeof err);
    assert_non_null(x);
    assert_int_equal(call2(x, "bump", 0, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
    assert_int_equal((uint32_t)r, 3);
    pe_instance_free(x);
  }
  pe_snapshot_free(snap);
}

/* A module that changes its own table: a reset must undo table.set and
 * table.grow (its tables are not marked fixed, see aot_split.c). */
static void test_snapshot_reset_restores_tables(void **state) {
  (void)state;
  char so[4096], err[512];
  if (!compile_wat("rt_table", so, sizeof so, err, sizeof err)) fail_msg("%s", err);
  pe_module *m = pe_module_open(so, err, sizeof err);
  assert_non_null(m);
  pe_instance *a = pe_instance_new(m, NULL, 0, NULL, err, sizeof err);
  assert_non_null(a);
  uint64_t r;
  const pe_export *call = pe_module_find(m, "call"), *set = pe_module_find(m, "set"),
                  *grow = pe_module_find(m, "grow"), *size = pe_module_find(m, "size");
  assert_true(call && set && grow && size);
  pe_snapshot *snap = pe_snapshot_take(a, err, sizeof err);
  assert_non_null(snap);
  pe_instance_free(a);
  pe_instance *x = pe_instance_from_snapshot(snap, NULL, err, sizeof err);
  assert_non_null(x);
  for (int round = 0; round < 3; round++) {
    pe_instance_begin_use(x);
    uint64_t arg = 0;
    assert_int_equal(pe_instance_call(x, call, &arg, &r, 0).trap, WASM_RT_TRAP_NONE);
    assert_int_equal((uint32_t)r, 1);
    assert_int_equal(pe_instance_call(x, size, NULL, &r, 0).trap, WASM_RT_TRAP_NONE);
    assert_int_equal((uint32_t)r, 2);
    assert_int_equal(pe_instance_call(x, set, &arg, NULL, 0).trap, WASM_RT_TRAP_NONE);
    assert_int_equal(pe_instance_call(x, call, &arg, &r, 0).trap, WASM_RT_TRAP_NONE);
    assert_int_equal((uint32_t)r, 2);
    assert_int_equal(pe_instance_call(x, grow, NULL, &r, 0).trap, WASM_RT_TRAP_NONE);
    assert_int_equal((uint32_t)r, 2);
    assert_true(pe_instance_reset(x, snap, NULL));
  }
  pe_instance_free(x);
  pe_snapshot_free(snap);
  pe_module_close(m);
}

/* A recycled clone must be indistinguishable from a fresh one, whatever the
 * request before did: memory written (on pages found by the pagemap walk and
 * on pages only the no-fault fast path would see), memory grown, globals
 * changed, a trap. */
static void expect_pristine(pe_instance *x) {
  uint64_t r;
  assert_int_equal(call2(x, "load", 100, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 123);
  for (uint32_t page = 1; page < 16; page++) {
    assert_int_equal(call2(x, "load", page * 4096 + 8, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
    assert_int_equal((uint32_t)r, 0);
  }
  assert_int_equal(call2(x, "load", 60000, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 0);
  assert_int_equal(call2(x, "size", 0, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 1);
  assert_int_equal(call2(x, "load", 65536, 0, NULL, 0).trap, WASM_RT_TRAP_OOB);
}

static void test_snapshot_reset_restores_everything(void **state) {
  (void)state;
  char err[256];
  uint64_t r, resident, dirty;
  pe_instance *a = new_instance(3 * 65536);
  assert_int_equal(call2(a, "store", 100, 123, NULL, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal(call2(a, "bump", 0, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  pe_snapshot *snap = pe_snapshot_take(a, err, sizeof err);
  assert_non_null(snap);
  pe_instance_free(a);

  pe_instance *x = pe_instance_from_snapshot(snap, NULL, err, sizeof err);
  assert_non_null(x);
  for (int round = 0; round < 50; round++) {
    pe_instance_begin_use(x);
    expect_pristine(x);
    assert_int_equal(call2(x, "bump", 0, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
    assert_int_equal((uint32_t)r, 2); /* the global as snapshotted, plus one */
    /* the same page every round (after the first, no fault: fast path) */
    assert_int_equal(call2(x, "store", 100, 1000 + round, NULL, 0).trap, WASM_RT_TRAP_NONE);
    if (round % 3 == 1 && round / 3 < 10) /* now and then a page never written before */
      assert_int_equal(call2(x, "store", (uint32_t)(round / 3 + 1) * 4096 + 8, 7, NULL, 0).trap,
                       WASM_RT_TRAP_NONE);
    if (round % 7 == 0) {
      assert_int_equal(call2(x, "grow", 2, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
      assert_int_equal(call2(x, "store", 2 * 65536, 5, NULL, 0).trap, WASM_RT_TRAP_NONE);
    }
    if (round % 3 == 0) /* a request that ends in a trap */
      assert_int_equal(call2(x, "load", 5 * 65536, 0, NULL, 0).trap, WASM_RT_TRAP_OOB);
    assert_true(pe_instance_page_stats(x, &resident, &dirty));
    assert_true(dirty >= 1);
    assert_true(pe_instance_reset(x, snap, NULL));
  }
  pe_instance_begin_use(x);
  expect_pristine(x);
  /* memory grown and dropped by resets can be grown again */
  assert_int_equal(call2(x, "grow", 2, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 1);
  assert_int_equal(call2(x, "load", 2 * 65536, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 0);
  assert_true(pe_instance_reset(x, snap, NULL));

  /* a page written on another thread than the one that began the use is
   * still found: the fast path applies only to the same thread */
  pthread_t t;
  assert_int_equal(pthread_barrier_init(&store_barrier, NULL, 2), 0);
  assert_int_equal(pthread_create(&t, NULL, store_on_thread, x), 0);
  pe_instance_begin_use(x);
  pthread_barrier_wait(&store_barrier);
  pthread_barrier_wait(&store_barrier);
  assert_true(pe_instance_reset(x, snap, NULL));
  pthread_join(t, NULL);
  pthread_barrier_destroy(&store_barrier);
  pe_instance_begin_use(x);
  expect_pristine(x);
  pe_instance_free(x);
  pe_snapshot_free(snap);
}

/* The i32 at addr, through the module's own load. */
static uint32_t load32(pe_instance *x, uint32_t addr) {
  uint64_t r = 0;
  assert_int_equal(call2(x, "load", addr, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  return (uint32_t)r;
}

static void test_snapshot_file_round_trip(void **state) {
  (void)state;
  char err[256], path[PATH_MAX];
  uint64_t r, bytes = 0;
  pe_instance *a = new_instance(0);
  assert_int_equal(call2(a, "store", 100, 123, NULL, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal(call2(a, "bump", 0, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal(call2(a, "bump", 0, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal(call2(a, "grow", 1, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal(call2(a, "store", 65536 + 8, 77, NULL, 0).trap, WASM_RT_TRAP_NONE);
  snprintf(path, sizeof path, "%s/basic.snap", tmpdir);
  assert_true(pe_snapshot_save_file(a, path, &bytes, err, sizeof err));
  pe_instance_free(a);
  /* two changed 4 KiB pages and the header: nothing else of 128 KiB */
  assert_true(bytes > 2 * 4096 && bytes < 3 * 4096);

  pe_instance *b = pe_snapshot_load_file(basic, path, NULL, 0, err, sizeof err);
  assert_non_null(b);
  assert_int_equal(call2(b, "load", 100, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 123);
  assert_int_equal(call2(b, "load", 65536 + 8, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 77);
  assert_int_equal(call2(b, "size", 0, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 2);
  assert_int_equal(call2(b, "bump", 0, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 3);
  assert_int_equal(call2(b, "indirect", 1, 100, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 123);
  /* the data segments, which the file does not hold: in a page the file
   * replaced and in one it did not */
  assert_int_equal(load32(b, 96), 0x61746164); /* "data" */
  assert_int_equal(load32(b, 20496), 0x7a7a7a7a);

  /* A loaded instance writes into the memfd a snapshot of it seals; memory
   * grown after the load is added to it. */
  assert_int_equal(call2(b, "store", 200, 5, NULL, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal(call2(b, "grow", 1, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal(call2(b, "store", 2 * 65536 + 12, 9, NULL, 0).trap, WASM_RT_TRAP_NONE);
  /* not resettable while its memory is shared with the memfd */
  pe_instance *other = pe_snapshot_load_file(basic, path, NULL, 0, err, sizeof err);
  assert_non_null(other);
  pe_snapshot *osnap = pe_snapshot_take(other, err, sizeof err);
  assert_non_null(osnap);
  pe_instance_free(other);
  assert_false(pe_instance_reset(b, osnap, NULL));
  pe_snapshot_free(osnap);

  pe_snapshot *snap = pe_snapshot_take(b, err, sizeof err);
  assert_non_null(snap);
  assert_int_equal(pe_snapshot_memory_bytes(snap), 3 * 65536);
  /* b goes on with a private copy: what it writes now reaches no clone */
  assert_int_equal(call2(b, "store", 200, 6, NULL, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal(call2(b, "store", 2 * 65536 + 12, 10, NULL, 0).trap, WASM_RT_TRAP_NONE);
  pe_instance *x = pe_instance_from_snapshot(snap, NULL, err, sizeof err);
  pe_instance *y = pe_instance_from_snapshot(snap, NULL, err, sizeof err);
  assert_non_null(x);
  assert_non_null(y);
  static const uint32_t want[][2] = {{100, 123},          {200, 5},         {65536 + 8, 77},
                                     {2 * 65536 + 12, 9}, {96, 0x61746164}, {20496, 0x7a7a7a7a},
                                     {3 * 4096 + 8, 0}};
  for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
    assert_int_equal(load32(x, want[k][0]), want[k][1]);
  assert_int_equal(call2(x, "size", 0, 0, &r, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal((uint32_t)r, 3);
  assert_int_equal(call2(x, "store", 200, 8, NULL, 0).trap, WASM_RT_TRAP_NONE);
  assert_int_equal(load32(y, 200), 5);
  assert_int_equal(load32(b, 200), 6);
  assert_true(pe_instance_reset(x, snap, NULL));
  assert_int_equal(load32(x, 200), 5);
  pe_instance_free(x);
  pe_instance_free(y);
  pe_snapshot_free(snap);
  pe_instance_free(b);

  /* a memory limit below the saved size refuses the file */
  assert_null(pe_snapshot_load_file(basic, path, NULL, 65536, err, sizeof err));
  /* truncated, and not a snapshot at all */
  pe_buf f = {0};
  assert_true(pe_read_file(path, &f, err, sizeof err));
  assert_true(pe_write_file(path, f.data, f.len - 9, err, sizeof err));
  assert_null(pe_snapshot_load_file(basic, path, NULL, 0, err, sizeof err));
  assert_non_null(strstr(err, "truncated"));
  assert_true(pe_write_file(path, "hello", 5, err, sizeof err));
  assert_null(pe_snapshot_load_file(basic, path, NULL, 0, err, sizeof err));
  assert_non_null(strstr(err, "not a snapshot"));
  pe_buf_free(&f);
}

static void test_refuses_unknown_import(void **state) {
  (void)state;
  char so[PATH_MAX], err[4096];
  assert_false(compile_wat("rt_bad_import", so, sizeof so, err, sizeof err));
  assert_non_null(strstr(err, "launch_missiles"));
}

static void test_refuses_mismatched_import_signature(void **state) {
  (void)state;
  char so[PATH_MAX], err[4096];
  assert_false(compile_wat("rt_bad_signature", so, sizeof so, err, sizeof err));
  assert_non_null(strstr(err, "glue"));
}

static void test_compile_cache_hit(void **state) {
  (void)state;
  char so1[PATH_MAX], so2[PATH_MAX], err[4096];
  assert_true(compile_wat("rt_basic", so1, sizeof so1, err, sizeof err));
  uint64_t t0 = now_ms();
  assert_true(compile_wat("rt_basic", so2, sizeof so2, err, sizeof err));
  assert_string_equal(so1, so2);
  assert_true(now_ms() - t0 < 1000);
}

static void test_rejects_non_wasm(void **state) {
  (void)state;
  char path[PATH_MAX], so[PATH_MAX], err[4096];
  snprintf(path, sizeof path, "%s/not.wasm", tmpdir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("hello, not a module", f);
  fclose(f);
  pe_aot_options o = {.quiet = true};
  assert_false(pe_aot_compile(path, &o, so, sizeof so, err, sizeof err));
  assert_non_null(strstr(err, "not a WebAssembly module"));
  /* valid magic, broken body: wasm2c's complaint is passed on */
  f = fopen(path, "w");
  fwrite("\0asm\1\0\0\0\1\xff", 1, 10, f);
  fclose(f);
  assert_false(pe_aot_compile(path, &o, so, sizeof so, err, sizeof err));
  assert_non_null(strstr(err, "wasm2c rejected"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exports_and_signatures),
      cmocka_unit_test(test_calls_return_values),
      cmocka_unit_test(test_memory_bounds),
      cmocka_unit_test(test_memory_limit),
      cmocka_unit_test(test_initial_memory_over_limit),
      cmocka_unit_test(test_trap_kinds),
      cmocka_unit_test(test_stack_exhaustion),
      cmocka_unit_test(test_deadline),
      cmocka_unit_test(test_deadline_lazy_timer),
      cmocka_unit_test(test_interrupt_from_another_thread),
      cmocka_unit_test(test_concurrent_instances),
      cmocka_unit_test(test_host_import_validates_pointers),
      cmocka_unit_test(test_host_fault_is_not_a_guest_trap),
      cmocka_unit_test(test_snapshot_clones_are_independent),
      cmocka_unit_test(test_snapshot_reset_restores_everything),
      cmocka_unit_test(test_snapshot_reset_restores_tables),
      cmocka_unit_test(test_snapshot_file_round_trip),
      cmocka_unit_test(test_refuses_unknown_import),
      cmocka_unit_test(test_refuses_mismatched_import_signature),
      cmocka_unit_test(test_compile_cache_hit),
      cmocka_unit_test(test_rejects_non_wasm),
  };
  return cmocka_run_group_tests_name("runtime", tests, setup, teardown);
}
