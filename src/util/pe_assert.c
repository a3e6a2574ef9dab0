/*
 * pe_assert.c -- where a broken invariant stops the process (pe_assert.h).
 * One write(2) and abort(): no stdio buffers, no allocation, so it works
 * from any thread and in whatever state the invariant's breaker left.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pe_assert.h"

void pe_assert_fail(const char *expr, const char *file, int line) {
  char msg[512];
  int n = snprintf(msg, sizeof msg, "pyedge: invariant broken at %s:%d: %s\n", file, line, expr);
  if (n > 0) {
    ssize_t w = write(STDERR_FILENO, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
    (void)w; /* nothing more to do if stderr is gone */
  }
  abort();
}
