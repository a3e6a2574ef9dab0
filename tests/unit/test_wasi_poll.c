/*
 * test_wasi_poll.c -- poll_oneoff (clocks relative and absolute, fds,
 * errors as events) and blocking calls: a stray signal makes them retry, the
 * runtime's deadline makes them trap (that part drives the runtime's
 * per-thread state directly, as pe_instance_call would, since no module is
 * needed to test the host side).
 */
#include "test_wasi.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "runtime/rt_internal.h"

#define Z(fn) Z_wasi_snapshot_preview1Z_##fn
#define MS 1000000ull

static uint64_t now_ns(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sub_clock(tw *t, uint32_t in, int i, uint64_t ud, uint32_t id, uint64_t timeout,
                      uint16_t flags) {
  uint32_t s = in + 48u * (uint32_t)i;
  memset(tw_at(t, s), 0, 48);
  tw_set64(t, s, ud);
  tw_at(t, s)[8] = PE_WASI_EVENT_CLOCK;
  tw_set32(t, s + 16, id);
  tw_set64(t, s + 24, timeout);
  memcpy(tw_at(t, s + 40), &flags, 2);
}

static void sub_fd(tw *t, uint32_t in, int i, uint64_t ud, uint8_t type, uint32_t fd) {
  uint32_t s = in + 48u * (uint32_t)i;
  memset(tw_at(t, s), 0, 48);
  tw_set64(t, s, ud);
  tw_at(t, s)[8] = type;
  tw_set32(t, s + 16, fd);
}

typedef struct {
  uint64_t ud, nbytes;
  uint16_t error, flags;
  uint8_t type;
} event;

/* Runs poll_oneoff over n subscriptions at `in`; returns the errno, the
 * events in ev[], their number in *count and the elapsed time in *ns. */
static uint32_t poll_run(tw *t, uint32_t in, int n, event *ev, uint32_t *count, uint64_t *ns) {
  uint32_t out = tw_alloc(t, 32u * (uint32_t)n), nev = tw_alloc(t, 4);
  memset(tw_at(t, out), 0xEE, 32u * (uint32_t)n);
  uint64_t t0 = now_ns(CLOCK_MONOTONIC);
  uint32_t e = Z(poll_oneoff)(t->w, in, out, (uint32_t)n, nev);
  if (ns) *ns = now_ns(CLOCK_MONOTONIC) - t0;
  if (e) return e;
  *count = tw_u32(t, nev);
  for (uint32_t i = 0; i < *count; i++) {
    uint32_t o = out + 32 * i;
    ev[i] = (event){.ud = tw_u64(t, o),
                    .error = tw_u16(t, o + 8),
                    .type = tw_at(t, o)[10],
                    .nbytes = tw_u64(t, o + 16),
                    .flags = tw_u16(t, o + 24)};
    assert_int_equal(tw_at(t, o)[11], 0); /* padding zeroed */
  }
  return 0;
}

static void test_relative_sleep(void **state) {
  tw *t = *state;
  uint32_t in = tw_alloc(t, 48);
  sub_clock(t, in, 0, 0x1122334455667788ull, PE_WASI_CLOCK_MONOTONIC, 20 * MS, 0);
  event ev[1];
  uint32_t n;
  uint64_t ns;
  assert_int_equal(poll_run(t, in, 1, ev, &n, &ns), 0);
  assert_int_equal(n, 1);
  assert_int_equal(ev[0].ud, 0x1122334455667788ull);
  assert_int_equal(ev[0].type, PE_WASI_EVENT_CLOCK);
  assert_int_equal(ev[0].error, 0);
  assert_true(ns >= 20 * MS);
  assert_true(ns < 1000 * MS);
  /* realtime, relative; and a zero timeout returns at once */
  sub_clock(t, in, 0, 1, PE_WASI_CLOCK_REALTIME, 20 * MS, 0);
  assert_int_equal(poll_run(t, in, 1, ev, &n, &ns), 0);
  assert_true(ns >= 20 * MS);
  sub_clock(t, in, 0, 1, PE_WASI_CLOCK_MONOTONIC, 0, 0);
  assert_int_equal(poll_run(t, in, 1, ev, &n, &ns), 0);
  assert_int_equal(n, 1);
  assert_true(ns < 100 * MS);
}

static void test_absolute_sleep(void **state) {
  tw *t = *state;
  uint32_t in = tw_alloc(t, 48);
  event ev[1];
  uint32_t n;
  uint64_t ns;
  sub_clock(t, in, 0, 7, PE_WASI_CLOCK_MONOTONIC, now_ns(CLOCK_MONOTONIC) + 20 * MS,
            PE_WASI_SUBCLOCK_ABSTIME);
  assert_int_equal(poll_run(t, in, 1, ev, &n, &ns), 0);
  assert_int_equal(n, 1);
  assert_int_equal(ev[0].ud, 7);
  assert_true(ns >= 19 * MS); /* the deadline was computed just before the call */
  assert_true(ns < 1000 * MS);
  sub_clock(t, in, 0, 8, PE_WASI_CLOCK_REALTIME, now_ns(CLOCK_REALTIME) + 20 * MS,
            PE_WASI_SUBCLOCK_ABSTIME);
  assert_int_equal(poll_run(t, in, 1, ev, &n, &ns), 0);
  assert_true(ns >= 19 * MS);
  assert_true(ns < 1000 * MS);
  /* in the past: immediately */
  sub_clock(t, in, 0, 9, PE_WASI_CLOCK_MONOTONIC, 1, PE_WASI_SUBCLOCK_ABSTIME);
  assert_int_equal(poll_run(t, in, 1, ev, &n, &ns), 0);
  assert_int_equal(n, 1);
  assert_true(ns < 100 * MS);
  /* a huge absolute deadline with an earlier relative one */
  uint32_t in2 = tw_alloc(t, 96);
  sub_clock(t, in2, 0, 1, PE_WASI_CLOCK_MONOTONIC, UINT64_MAX, PE_WASI_SUBCLOCK_ABSTIME);
  sub_clock(t, in2, 1, 2, PE_WASI_CLOCK_MONOTONIC, 10 * MS, 0);
  event ev2[2];
  assert_int_equal(poll_run(t, in2, 2, ev2, &n, &ns), 0);
  assert_int_equal(n, 1);
  assert_int_equal(ev2[0].ud, 2);
}

static void test_earliest_clock_wins(void **state) {
  tw *t = *state;
  uint32_t in = tw_alloc(t, 96);
  sub_clock(t, in, 0, 1, PE_WASI_CLOCK_MONOTONIC, 300 * MS, 0);
  sub_clock(t, in, 1, 2, PE_WASI_CLOCK_MONOTONIC, 20 * MS, 0);
  event ev[2];
  uint32_t n;
  uint64_t ns;
  assert_int_equal(poll_run(t, in, 2, ev, &n, &ns), 0);
  assert_int_equal(n, 1);
  assert_int_equal(ev[0].ud, 2);
  assert_true(ns >= 20 * MS && ns < 250 * MS);
}

static void test_errors_are_events(void **state) {
  tw *t = *state;
  uint32_t fd;
  assert_int_equal(tw_open(t, TW_SB, 0, "file.txt", 0, PE_WASI_RIGHT_FD_READ, 0, 0, &fd), 0);
  uint32_t in = tw_alloc(t, 48 * 6);
  sub_clock(t, in, 0, 1, PE_WASI_CLOCK_MONOTONIC, 5000 * MS, 0);
  sub_fd(t, in, 1, 2, PE_WASI_EVENT_FD_READ, 999);         /* no such fd */
  sub_clock(t, in, 2, 3, 17, 0, 0);                        /* no such clock */
  sub_clock(t, in, 3, 4, PE_WASI_CLOCK_MONOTONIC, 0, 0x2); /* bad flags */
  sub_fd(t, in, 4, 5, PE_WASI_EVENT_FD_WRITE, fd);         /* lacks POLL_FD_READWRITE */
  sub_fd(t, in, 5, 6, PE_WASI_EVENT_FD_WRITE, 1);          /* captured stdout: ready */
  event ev[6];
  uint32_t n;
  uint64_t ns;
  assert_int_equal(poll_run(t, in, 6, ev, &n, &ns), 0);
  assert_true(ns < 1000 * MS); /* no waiting for the 5 s clock */
  assert_int_equal(n, 5);
  assert_int_equal(ev[0].ud, 2);
  assert_int_equal(ev[0].error, PE_WASI_EBADF);
  assert_int_equal(ev[0].type, PE_WASI_EVENT_FD_READ);
  assert_int_equal(ev[1].ud, 3);
  assert_int_equal(ev[1].error, PE_WASI_EINVAL);
  assert_int_equal(ev[2].ud, 4);
  assert_int_equal(ev[2].error, PE_WASI_EINVAL);
  assert_int_equal(ev[3].ud, 5);
  assert_int_equal(ev[3].error, PE_WASI_ENOTCAPABLE);
  assert_int_equal(ev[4].ud, 6);
  assert_int_equal(ev[4].error, 0);
  assert_int_equal(ev[4].type, PE_WASI_EVENT_FD_WRITE);
  /* an unknown subscription type fails the whole call */
  sub_fd(t, in, 1, 2, 3, 1);
  assert_int_equal(poll_run(t, in, 2, ev, &n, &ns), PE_WASI_EINVAL);
  /* events may overwrite the subscriptions (same buffer) */
  sub_clock(t, in, 0, 11, PE_WASI_CLOCK_MONOTONIC, 0, 0);
  sub_clock(t, in, 1, 12, PE_WASI_CLOCK_MONOTONIC, 0, 0);
  uint32_t nev = tw_alloc(t, 4);
  assert_int_equal(Z(poll_oneoff)(t->w, in, in, 2, nev), 0);
  assert_int_equal(tw_u32(t, nev), 2);
  assert_int_equal(tw_u64(t, in), 11);
  assert_int_equal(tw_u64(t, in + 32), 12);
}

static void test_regular_file_ready(void **state) {
  tw *t = *state;
  uint32_t fd;
  assert_int_equal(tw_open_simple(t, TW_SB, "file.txt", 0, &fd), 0);
  char buf[8];
  assert_int_equal(tw_read(t, fd, 4, buf), 0);
  uint32_t in = tw_alloc(t, 96);
  sub_fd(t, in, 0, 1, PE_WASI_EVENT_FD_READ, fd);
  sub_fd(t, in, 1, 2, PE_WASI_EVENT_FD_WRITE, fd);
  event ev[2];
  uint32_t n;
  assert_int_equal(poll_run(t, in, 2, ev, &n, NULL), 0);
  assert_int_equal(n, 2);
  assert_int_equal(ev[0].nbytes, 7); /* 11 bytes, 4 read */
  assert_int_equal(ev[1].type, PE_WASI_EVENT_FD_WRITE);
}

/* A context whose stdin is the host descriptor `fd` (inherited). */
static pe_wasi *ctx_with_stdin(tw *t, int fd) {
  int save = dup(0);
  dup2(fd, 0);
  pe_wasi_config cfg = {.stdout_mode = PE_WASI_STDIO_CAPTURE, .stderr_mode = PE_WASI_STDIO_NULL};
  pe_wasi *w = tw_new_ctx(t, &cfg);
  dup2(save, 0);
  close(save);
  return w;
}

static void test_pipe_readiness(void **state) {
  tw *t = *state;
  int p[2];
  assert_int_equal(pipe(p), 0);
  pe_wasi *w = ctx_with_stdin(t, p[0]);
  close(p[0]);
  pe_wasi *keep = t->w;
  t->w = w;
  uint32_t in = tw_alloc(t, 96);
  sub_fd(t, in, 0, 1, PE_WASI_EVENT_FD_READ, 0);
  sub_clock(t, in, 1, 2, PE_WASI_CLOCK_MONOTONIC, 30 * MS, 0);
  event ev[2];
  uint32_t n;
  uint64_t ns;
  /* empty pipe: the clock fires */
  assert_int_equal(poll_run(t, in, 2, ev, &n, &ns), 0);
  assert_int_equal(n, 1);
  assert_int_equal(ev[0].ud, 2);
  assert_true(ns >= 30 * MS);
  /* data: readable, with the byte count */
  assert_int_equal(write(p[1], "12345", 5), 5);
  assert_int_equal(poll_run(t, in, 2, ev, &n, &ns), 0);
  assert_int_equal(n, 1);
  assert_int_equal(ev[0].ud, 1);
  assert_int_equal(ev[0].nbytes, 5);
  assert_int_equal(ev[0].flags, 0);
  assert_true(ns < 30 * MS);
  char buf[8];
  assert_int_equal(tw_read(t, 0, 8, buf), 0);
  assert_string_equal(buf, "12345");
  /* writer gone: hang-up */
  close(p[1]);
  assert_int_equal(poll_run(t, in, 2, ev, &n, &ns), 0);
  assert_int_equal(ev[0].ud, 1);
  assert_int_equal(ev[0].flags, PE_WASI_EVENTRW_HANGUP);
  t->w = keep;
  pe_wasi_free(w);
}

/* --- signals: retry on a stray one, trap on the deadline --- */

static void on_usr1(int sig) { (void)sig; }

typedef struct {
  pthread_t target;
  int write_fd; /* >= 0: write "late" there after the signal */
} kicker;

static void *kick(void *arg) {
  kicker *k = arg;
  struct timespec d = {0, 10 * MS};
  nanosleep(&d, NULL);
  pthread_kill(k->target, SIGUSR1);
  nanosleep(&d, NULL);
  pthread_kill(k->target, SIGUSR1);
  if (k->write_fd >= 0) {
    nanosleep(&d, NULL);
    if (write(k->write_fd, "late", 4) != 4) abort();
  }
  return NULL;
}

static void test_stray_signal_retries(void **state) {
  tw *t = *state;
  struct sigaction sa = {.sa_handler = on_usr1}, old; /* no SA_RESTART: EINTR */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, &old);
  /* a sleep is resumed for the remaining time */
  kicker k = {.target = pthread_self(), .write_fd = -1};
  pthread_t th;
  pthread_create(&th, NULL, kick, &k);
  uint32_t in = tw_alloc(t, 48);
  sub_clock(t, in, 0, 1, PE_WASI_CLOCK_MONOTONIC, 60 * MS, 0);
  event ev[1];
  uint32_t n;
  uint64_t ns;
  assert_int_equal(poll_run(t, in, 1, ev, &n, &ns), 0);
  assert_int_equal(n, 1);
  assert_true(ns >= 60 * MS);
  pthread_join(th, NULL);
  /* a blocking read waits on until data comes */
  int p[2];
  assert_int_equal(pipe(p), 0);
  pe_wasi *w = ctx_with_stdin(t, p[0]);
  close(p[0]);
  k.write_fd = p[1];
  pthread_create(&th, NULL, kick, &k);
  pe_wasi *keep = t->w;
  t->w = w;
  char buf[8];
  assert_int_equal(tw_read(t, 0, 8, buf), 0);
  assert_string_equal(buf, "late");
  pthread_join(th, NULL);
  t->w = keep;
  pe_wasi_free(w);
  close(p[1]);
  sigaction(SIGUSR1, &old, NULL);
}

/* Runs fn inside a fake guest call with a deadline, as pe_instance_call
 * does; returns the trap kind (0: returned normally). */
static int guarded(void (*fn)(tw *), tw *t, uint64_t timeout_ns, int *exit_code) {
  pe_rt_thread_init();
  pe_rt_thread *th = &pe_rt_tls;
  pe_instance *inst = calloc(1, sizeof *inst);
  assert_non_null(inst);
  sigjmp_buf jb;
  th->current = inst;
  th->stop = 0;
  if (timeout_ns) pe_rt_deadline_arm(timeout_ns);
  volatile int kind = sigsetjmp(jb, 1);
  if (kind == 0) {
    th->jmp = &jb;
    fn(t);
  }
  if (timeout_ns) pe_rt_deadline_disarm();
  th->jmp = NULL;
  th->current = NULL;
  th->stop = 0;
  if (exit_code) *exit_code = th->exit_code;
  free(inst);
  return kind;
}

static void blocking_read(tw *t) {
  char buf[8];
  tw_read(t, 0, 8, buf);
}

static void long_poll(tw *t) {
  uint32_t in = tw_alloc(t, 48);
  sub_clock(t, in, 0, 1, PE_WASI_CLOCK_MONOTONIC, 10000 * MS, 0);
  event ev[1];
  uint32_t n;
  poll_run(t, in, 1, ev, &n, NULL);
}

static void exit_42(tw *t) { Z(proc_exit)(t->w, 42); }
static void exit_minus_1(tw *t) { Z(proc_exit)(t->w, 0xFFFFFFFFu); }

static void test_deadline_traps_blocking_calls(void **state) {
  tw *t = *state;
  int p[2];
  assert_int_equal(pipe(p), 0);
  pe_wasi *w = ctx_with_stdin(t, p[0]);
  close(p[0]);
  pe_wasi *keep = t->w;
  t->w = w;
  uint64_t t0 = now_ns(CLOCK_MONOTONIC);
  assert_int_equal(guarded(blocking_read, t, 30 * MS, NULL), PE_RT_TRAP_TIMEOUT);
  uint64_t el = now_ns(CLOCK_MONOTONIC) - t0;
  assert_true(el >= 30 * MS && el < 2000 * MS);
  t0 = now_ns(CLOCK_MONOTONIC);
  assert_int_equal(guarded(long_poll, t, 30 * MS, NULL), PE_RT_TRAP_TIMEOUT);
  el = now_ns(CLOCK_MONOTONIC) - t0;
  assert_true(el >= 30 * MS && el < 2000 * MS);
  /* the context is still usable afterwards */
  assert_int_equal(write(p[1], "ok", 2), 2);
  char buf[8];
  assert_int_equal(tw_read(t, 0, 8, buf), 0);
  assert_string_equal(buf, "ok");
  t->w = keep;
  pe_wasi_free(w);
  close(p[1]);
}

static void test_proc_exit(void **state) {
  tw *t = *state;
  int code = 0;
  assert_int_equal(guarded(exit_42, t, 0, &code), PE_RT_TRAP_EXIT);
  assert_int_equal(code, 42);
  assert_int_equal(guarded(exit_minus_1, t, 0, &code), PE_RT_TRAP_EXIT);
  assert_int_equal(code, -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      TW_TEST(test_relative_sleep),
      TW_TEST(test_absolute_sleep),
      TW_TEST(test_earliest_clock_wins),
      TW_TEST(test_errors_are_events),
      TW_TEST(test_regular_file_ready),
      TW_TEST(test_pipe_readiness),
      TW_TEST(test_stray_signal_retries),
      TW_TEST(test_deadline_traps_blocking_calls),
      TW_TEST(test_proc_exit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
