/*
 * recurse.c -- unbounded recursion.
 *
 *   recurse.wasm native       recursion that keeps everything in wasm locals
 *                             (native stack only): "call stack exhausted"
 *   recurse.wasm frames       recursion with a 4 KiB array per frame, which
 *                             lives on the shadow stack in linear memory
 *   recurse.wasm hostcall N   recursion that calls a WASI function at every
 *                             level (0 clock_time_get, 1 fd_fdstat_get,
 *                             2 path_filestat_get on fd 3's file.txt,
 *                             3 fd_write of nothing, 4 random_get,
 *                             5 pyedge.log with a bad pointer,
 *                             6 memory.grow by 0 pages: the runtime's own
 *                             wasm_rt_grow_memory, called by generated
 *                             code), so that
 *                             the native stack runs out inside the host's
 *                             import: still "call stack exhausted", and the
 *                             host must survive
 */
#include <stdlib.h>

#include "_common.c"

/* Calls go through volatile pointers so that the compiler can neither turn
 * the recursion into a loop nor prove that it never ends. */
static int native(int n);
static int frames(int n);
static int hostcall(int n);
static int (*volatile native_p)(int) = native;
static int (*volatile frames_p)(int) = frames;
static int (*volatile hostcall_p)(int) = hostcall;

static int native(int n) { return native_p(n + 1) + 1; }

static int frames(int n) {
  volatile char buf[4096];
  buf[n & 4095] = (char)n;
  return frames_p(n + 1) + buf[(n * 7) & 4095];
}

/* Static, not on the shadow stack: that one is only 64 KiB and would run
 * over the module's data long before the native stack ran out. */
static int which;
static uint8_t scratch[64];

static int hostcall(int n) {
  u32 e = 0;
  switch (which) {
    case 0: e = raw_clock_time_get(1, 0, A(scratch)); break;
    case 1: e = raw_fd_fdstat_get(1, A(scratch)); break;
    case 2: e = raw_path_filestat_get(3, 0, S("file.txt"), A(scratch)); break;
    case 3: /* scratch[0..8) is an empty iovec at address 0 */
      e = raw_fd_write(1, A(scratch), 1, A(scratch + 16));
      break;
    case 4: e = raw_random_get(A(scratch), 16); break;
    case 5: pyedge_log(1, 0xFFFFFFF0u, 16); break; /* ignored: bad pointer */
    case 6: e = (u32)__builtin_wasm_memory_grow(0, 0); break;
  }
  return hostcall_p(n + 1) + (int)e;
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "native")) return native(0);
  if (argc > 1 && !strcmp(argv[1], "frames")) return frames(0);
  if (argc > 2 && !strcmp(argv[1], "hostcall")) {
    which = atoi(argv[2]);
    return hostcall(0);
  }
  fprintf(stderr, "usage: recurse native|frames|hostcall N\n");
  return 2;
}
