/*
 * traps.c -- each argument makes the guest trap in one way:
 *   div0 ovf unreachable null mistyped oob conv
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

typedef int (*fn_int)(int);
typedef double (*fn_dbl)(double, double);

__attribute__((noinline)) static int twice(int x) { return 2 * x; }

int main(int argc, char **argv) {
  const char *m = argc > 1 ? argv[1] : "";
  volatile int zero = 0, minus1 = -1, min = INT_MIN;
  if (!strcmp(m, "div0")) return 10 / zero;
  if (!strcmp(m, "ovf")) return min / minus1;
  if (!strcmp(m, "unreachable")) __builtin_trap();
  if (!strcmp(m, "null")) {
    fn_int volatile f = 0;
    return f(1);
  }
  if (!strcmp(m, "mistyped")) {
    /* The table holds twice (i32)->i32; call it as (f64,f64)->f64. */
    void *volatile p = (void *)twice;
    fn_dbl g = (fn_dbl)p;
    return (int)g(1.0, 2.0);
  }
  if (!strcmp(m, "oob")) {
    volatile int *p = (volatile int *)(uintptr_t)0xFFFFFFF0u;
    return *p;
  }
  if (!strcmp(m, "conv")) {
    volatile float nan = __builtin_nanf("");
    return __builtin_wasm_trunc_s_i32_f32(nan);
  }
  fprintf(stderr, "usage: traps div0|ovf|unreachable|null|mistyped|oob|conv\n");
  return 2;
}
