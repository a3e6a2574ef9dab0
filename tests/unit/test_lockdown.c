/*
 * test_lockdown.c -- the serving process's lockdown (serve_lockdown.c), each
 * case in a child process so the filter and the dropped user do not stay
 * on the test runner: what serving needs still works (threads, files,
 * sockets, memory), and what an attacker would need is refused (code made
 * executable, new processes, raw sockets, terminal injection) or kills the
 * process (execve, ptrace, setuid). --user drops root for good.
 */
#include "pe_test.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "serve/pe_serve.h"

/* Runs fn in a child; returns its wait status. */
static int in_child(int (*fn)(void)) {
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) _exit(fn());
  int st;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  return st;
}

static int lock(pe_seccomp_mode mode) {
  pe_lockdown_options o = {.mode = mode};
  char err[256];
  if (!pe_lockdown(&o, err, sizeof err)) {
    fprintf(stderr, "lockdown: %s\n", err);
    return 0;
  }
  return 1;
}

static int thread_token;
static void *thread_body(void *arg) { return arg; }

/* exit codes: 0 all as expected, else the number of the failed check */
static int serving_still_works(void) {
  if (!lock(PE_SECCOMP_ON)) return 1;
  pthread_t t;
  void *r = NULL;
  if (pthread_create(&t, NULL, thread_body, &thread_token) != 0 || pthread_join(t, &r) != 0 ||
      r != &thread_token)
    return 2;
  char path[] = "/tmp/pe-lockdown-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0 || write(fd, "x", 1) != 1 || fsync(fd) != 0) return 3;
  close(fd);
  unlink(path);
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return 4;
  close(s);
  void *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED || mprotect(m, 4096, PROT_NONE) != 0) return 5;
  int nb = 1;
  if (ioctl(STDERR_FILENO, FIONBIO, &nb) != 0) return 6;
  nb = 0;
  ioctl(STDERR_FILENO, FIONBIO, &nb);
  /* libcurl's threaded resolver starts each lookup with a socketpair: without
   * it every outbound request to a host name failed to resolve */
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return 7;
  close(sv[0]);
  close(sv[1]);
  return 0;
}

static int refused(void) {
  if (!lock(PE_SECCOMP_ON)) return 1;
  void *x = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (x != MAP_FAILED || errno != EPERM) return 2;
  void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return 3;
  if (mprotect(m, 4096, PROT_READ | PROT_EXEC) == 0 || errno != EPERM) return 4;
  if (fork() >= 0 || errno != EPERM) return 5; /* clone without CLONE_THREAD */
  if (syscall(SYS_clone3, NULL, 0) >= 0 || errno != ENOSYS) return 6;
  if (socket(AF_PACKET, SOCK_RAW, 0) >= 0 || errno != EPERM) return 7;
  char c = 'x';
  if (ioctl(STDIN_FILENO, TIOCSTI, &c) == 0 || errno != EPERM) return 8;
  if (kill(1, 0) == 0 || errno != EPERM) return 9; /* signals to other processes */
  return 0;
}

static int exec_kills(void) {
  if (!lock(PE_SECCOMP_ON)) return 1;
  char *const argv[] = {"/bin/true", NULL};
  execv("/bin/true", argv);
  return 2; /* not reached when the filter works: the process is killed */
}

static int ptrace_kills(void) {
  if (!lock(PE_SECCOMP_ON)) return 1;
  ptrace(PTRACE_TRACEME, 0, NULL, NULL);
  return 2;
}

static int setuid_kills(void) {
  if (!lock(PE_SECCOMP_ON)) return 1;
  if (setuid(getuid()) != 0) return 3;
  return 2;
}

static int off_is_off(void) {
  if (!lock(PE_SECCOMP_OFF)) return 1;
  void *x = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return x == MAP_FAILED ? 2 : 0;
}

static int drops_to_nobody(void) {
  pe_lockdown_user u;
  char err[256];
  if (!pe_lockdown_resolve_user("nobody", &u, err, sizeof err)) return 1;
  pe_lockdown_options o = {.user = &u, .mode = PE_SECCOMP_OFF};
  if (!pe_lockdown(&o, err, sizeof err)) return 2;
  if (getuid() != u.uid || geteuid() != u.uid || getgid() != u.gid || getegid() != u.gid) return 3;
  if (setuid(0) == 0 || seteuid(0) == 0) return 4;
  if (getgroups(0, NULL) != 0) return 5;
  return 0;
}

static void test_serving_still_works(void **state) {
  (void)state;
  int st = in_child(serving_still_works);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_attacker_calls_refused(void **state) {
  (void)state;
  int st = in_child(refused);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_attacker_calls_kill(void **state) {
  (void)state;
  int (*const fns[])(void) = {exec_kills, ptrace_kills, setuid_kills};
  for (size_t i = 0; i < sizeof fns / sizeof *fns; i++) {
    int st = in_child(fns[i]);
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS)
      fail_msg("case %zu: status %#x, expected death by SIGSYS", i, (unsigned)st);
  }
}

static void test_off_and_bad_user(void **state) {
  (void)state;
  int st = in_child(off_is_off);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 0);
  pe_lockdown_user u;
  char err[256];
  assert_false(pe_lockdown_resolve_user("no-such-user-pyedge", &u, err, sizeof err));
  assert_non_null(strstr(err, "no user named 'no-such-user-pyedge'"));
  assert_false(pe_lockdown_resolve_user("root:no-such-group-pyedge", &u, err, sizeof err));
  assert_non_null(strstr(err, "no group named"));
  assert_false(pe_lockdown_resolve_user(":root", &u, err, sizeof err));
  assert_true(pe_lockdown_resolve_user("root:root", &u, err, sizeof err));
  assert_int_equal(u.uid, 0);
}

static void test_user_dropped_for_good(void **state) {
  (void)state;
  if (geteuid() != 0) skip(); /* needs root, as CI runs */
  int st = in_child(drops_to_nobody);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_serving_still_works),   cmocka_unit_test(test_attacker_calls_refused),
      cmocka_unit_test(test_attacker_calls_kill),   cmocka_unit_test(test_off_and_bad_user),
      cmocka_unit_test(test_user_dropped_for_good),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
