/* pe_test.h -- what every unit test includes: cmocka and its prerequisites,
 * and the test filter.
 *
 * PE_TEST_FILTER=GLOB runs only the tests whose name matches GLOB, through
 * cmocka's own filter (cmocka_set_test_filter): '*' and '?' are wildcards and
 * the pattern must match the whole name, so PE_TEST_FILTER=test_get_set runs
 * that test and PE_TEST_FILTER='*get*' every test with "get" in its name.
 * When no test of the binary matches, it prints
 *   [ NO MATCH ] PE_TEST_FILTER='GLOB' matches none of the N tests of BINARY
 * runs nothing (not even the group setup) and exits 1.
 *
 * PE_TEST_LIST=1 prints the binary's test names, one a line, and runs
 * nothing: tests/unit/run.sh -k lists them to pick the binaries and the
 * filter that select a test by name.
 *
 * Every main() keeps calling cmocka_run_group_tests() (or
 * _cmocka_run_group_tests()) as usual: the macro below routes the call
 * through pe_run_group_tests(), which applies the filter first. */
#ifndef PE_TEST_H
#define PE_TEST_H
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

/* Runs fn(arg) in a forked child, which then exits 0 unless fn ended it;
 * what the child wrote on stderr goes into out (NUL-terminated, cut to
 * fit), and its wait status is returned: the tests of code that is meant
 * to stop the process (a broken invariant, a host fault). */
static inline int pe_test_in_child(void (*fn)(void *), void *arg, char *out, size_t outlen) {
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    fn(arg);
    _exit(0);
  }
  close(fds[1]);
  size_t n = 0;
  ssize_t r;
  while (n + 1 < outlen && (r = read(fds[0], out + n, outlen - 1 - n)) > 0) n += (size_t)r;
  out[n] = 0;
  close(fds[0]);
  int st = 0;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  return st;
}

/* cmocka's matching (c_strmatch): '*' any run of characters, '?' one. */
static inline int pe_test_glob(const char *pat, const char *s) {
  for (; *pat; pat++, s++) {
    if (*pat == '*') {
      for (;; s++) {
        if (pe_test_glob(pat + 1, s)) return 1;
        if (!*s) return 0;
      }
    }
    if (!*s || (*pat != '?' && *pat != *s)) return 0;
  }
  return !*s;
}

static inline int pe_run_group_tests(const char *group, const struct CMUnitTest *const tests,
                                     const size_t n, CMFixtureFunction setup,
                                     CMFixtureFunction teardown) {
  const char *list = getenv("PE_TEST_LIST");
  if (list && *list) {
    for (size_t i = 0; i < n; i++)
      if (tests[i].name) printf("%s\n", tests[i].name);
    return 0;
  }
  const char *filter = getenv("PE_TEST_FILTER");
  if (filter && *filter) {
    size_t matched = 0;
    for (size_t i = 0; i < n; i++)
      if (tests[i].name && pe_test_glob(filter, tests[i].name)) matched++;
    if (matched == 0) {
      printf("[ NO MATCH ] PE_TEST_FILTER='%s' matches none of the %zu tests of %s\n", filter, n,
             program_invocation_short_name);
      fflush(stdout);
      return 1;
    }
    cmocka_set_test_filter(filter);
  }
  return _cmocka_run_group_tests(group, tests, n, setup, teardown);
}
#define _cmocka_run_group_tests pe_run_group_tests

#endif
