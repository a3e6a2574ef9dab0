/*
 * test_assert.c -- util/pe_assert.h: a broken PE_ASSERT stops the process
 * with SIGABRT and one line naming the rule, file and line, in every build;
 * ALWAYS and NEVER are their condition in a release build and abort on a
 * wrong belief in a debug one (PE_DEBUG: this file's ASan build).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pe_test.h"
#include "util/pe_assert.h"

/* Runs fn in a child with the default SIGABRT action (not cmocka's
 * handler); its stderr into out, its wait status returned. */
static void abort_by_default(void *fn) {
  signal(SIGABRT, SIG_DFL);
  ((void (*)(void))fn)();
}

static int in_child(void (*fn)(void), char *out, size_t outlen) {
  return pe_test_in_child(abort_by_default, (void *)fn, out, outlen);
}

static volatile int zero = 0;

static void broken_assert(void) { PE_ASSERT(zero == 1); }
static void kept_assert(void) { PE_ASSERT(zero == 0); }

static void test_assert_aborts_naming_the_rule(void **state) {
  char err[512];
  int st = in_child(broken_assert, err, sizeof err);
  assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
  assert_non_null(strstr(err, "pyedge: invariant broken at tests/unit/test_assert.c:"));
  assert_non_null(strstr(err, ": zero == 1\n"));
  st = in_child(kept_assert, err, sizeof err);
  assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  assert_string_equal(err, "");
}

static int seen; /* what the handling code below ran */

static void wrong_never(void) {
  if (NEVER(zero == 0)) seen = 1; /* a belief that is wrong here */
  _exit(seen == 1 ? 3 : 4);
}

static void wrong_always(void) {
  if (!ALWAYS(zero == 1)) seen = 1;
  _exit(seen == 1 ? 3 : 4);
}

static void test_always_never(void **state) {
  /* right beliefs are just their condition, in every build */
  assert_true(ALWAYS(zero == 0));
  assert_false(NEVER(zero == 1));
  char err[512];
  int st1 = in_child(wrong_never, err, sizeof err);
  int st2 = in_child(wrong_always, err, sizeof err);
#ifdef PE_DEBUG
  /* debug: the wrong belief stops the test run that met it */
  assert_true(WIFSIGNALED(st1) && WTERMSIG(st1) == SIGABRT);
  assert_true(WIFSIGNALED(st2) && WTERMSIG(st2) == SIGABRT);
  assert_non_null(strstr(err, "invariant broken"));
#else
  /* release: the condition, and the code that handles it runs */
  assert_true(WIFEXITED(st1) && WEXITSTATUS(st1) == 3);
  assert_true(WIFEXITED(st2) && WEXITSTATUS(st2) == 3);
#endif
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_assert_aborts_naming_the_rule),
      cmocka_unit_test(test_always_never),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
