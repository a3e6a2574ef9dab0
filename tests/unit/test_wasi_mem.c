/*
 * test_wasi_mem.c -- hostile pointers and lengths for every call.
 *
 * Every guest range must be checked against the memory size with no 32-bit
 * wrap-around: a bad one is EFAULT (or EINVAL for a count over a limit),
 * never a crash (ASan/UBSan run these too), and the call has no effect --
 * e.g. a write whose result pointer is bad must not have written.
 */
#include "test_wasi.h"

#include <sys/mman.h>

#define S TW_MEM_SIZE
#define Z(fn) Z_wasi_snapshot_preview1Z_##fn

/* Pointers that are out of range for an object of `n` bytes. */
static uint32_t bad_ptrs(uint32_t n, uint32_t out[5]) {
  out[0] = S - n + 1;
  out[1] = S;
  out[2] = 0xFFFFFFFFu;
  out[3] = 0xFFFFFFFFu - n + 2; /* ptr + n wraps to a small value in 32 bits */
  out[4] = 0x80000000u;
  return 5;
}

static void test_args_env_clock(void **state) {
  tw *t = *state;
  uint32_t bad[5], ok = tw_alloc(t, 64), okb = tw_alloc(t, 64);
  for (uint32_t i = 0, n = bad_ptrs(4, bad); i < n; i++) {
    assert_int_equal(Z(args_sizes_get)(t->w, bad[i], ok), PE_WASI_EFAULT);
    assert_int_equal(Z(args_sizes_get)(t->w, ok, bad[i]), PE_WASI_EFAULT);
    assert_int_equal(Z(environ_sizes_get)(t->w, bad[i], ok), PE_WASI_EFAULT);
    assert_int_equal(Z(environ_sizes_get)(t->w, ok, bad[i]), PE_WASI_EFAULT);
  }
  /* argv: 3 pointers (12 bytes), strings "prog\0arg1\0x y\0" (14 bytes) */
  for (uint32_t i = 0, n = bad_ptrs(12, bad); i < n; i++)
    assert_int_equal(Z(args_get)(t->w, bad[i], okb), PE_WASI_EFAULT);
  for (uint32_t i = 0, n = bad_ptrs(14, bad); i < n; i++)
    assert_int_equal(Z(args_get)(t->w, ok, bad[i]), PE_WASI_EFAULT);
  assert_int_equal(Z(args_get)(t->w, S - 12, S - 40), 0); /* exactly at the end: fine */
  for (uint32_t i = 0, n = bad_ptrs(8, bad); i < n; i++) {
    assert_int_equal(Z(clock_time_get)(t->w, PE_WASI_CLOCK_MONOTONIC, 0, bad[i]), PE_WASI_EFAULT);
    assert_int_equal(Z(clock_res_get)(t->w, PE_WASI_CLOCK_REALTIME, bad[i]), PE_WASI_EFAULT);
  }
  assert_int_equal(Z(clock_time_get)(t->w, PE_WASI_CLOCK_MONOTONIC, 0, S - 8), 0);
  /* random_get: [S-1, S+1) is out, [0, S) and empty at S are in */
  assert_int_equal(Z(random_get)(t->w, S - 1, 2), PE_WASI_EFAULT);
  assert_int_equal(Z(random_get)(t->w, 0xFFFFFFFFu, 2), PE_WASI_EFAULT);
  assert_int_equal(Z(random_get)(t->w, 1, 0xFFFFFFFFu), PE_WASI_EFAULT);
  assert_int_equal(Z(random_get)(t->w, S + 1, 0), PE_WASI_EFAULT);
  assert_int_equal(Z(random_get)(t->w, S, 0), 0);
  assert_int_equal(Z(random_get)(t->w, 0, S), 0);
}

static void test_fd_calls(void **state) {
  tw *t = *state;
  uint32_t fd;
  assert_int_equal(tw_open_simple(t, TW_SB, "file.txt", 0, &fd), 0);
  uint32_t bad[5];
  for (uint32_t i = 0, n = bad_ptrs(24, bad); i < n; i++)
    assert_int_equal(Z(fd_fdstat_get)(t->w, fd, bad[i]), PE_WASI_EFAULT);
  for (uint32_t i = 0, n = bad_ptrs(64, bad); i < n; i++) {
    assert_int_equal(Z(fd_filestat_get)(t->w, fd, bad[i]), PE_WASI_EFAULT);
    assert_int_equal(Z(path_filestat_get)(t->w, TW_SB, 0, tw_str(t, "file.txt"), 8, bad[i]),
                     PE_WASI_EFAULT);
  }
  for (uint32_t i = 0, n = bad_ptrs(8, bad); i < n; i++) {
    assert_int_equal(Z(fd_prestat_get)(t->w, TW_SB, bad[i]), PE_WASI_EFAULT);
    assert_int_equal(Z(fd_tell)(t->w, fd, bad[i]), PE_WASI_EFAULT);
    assert_int_equal(Z(fd_seek)(t->w, fd, 5, PE_WASI_WHENCE_SET, bad[i]), PE_WASI_EFAULT);
  }
  /* the failed seeks did not move the position */
  uint32_t pos = tw_alloc(t, 8);
  assert_int_equal(Z(fd_tell)(t->w, fd, pos), 0);
  assert_int_equal(tw_u64(t, pos), 0);
  for (uint32_t i = 0, n = bad_ptrs(2, bad); i < n; i++)
    assert_int_equal(Z(fd_prestat_dir_name)(t->w, TW_SB, bad[i], 2), PE_WASI_EFAULT);
  assert_int_equal(Z(fd_prestat_dir_name)(t->w, TW_SB, S - 2, 2), 0);
  assert_memory_equal(tw_at(t, S - 2), "sb", 2);
  assert_int_equal(Z(fd_prestat_dir_name)(t->w, TW_SB, S - 1, 0xFFFFFFFFu), PE_WASI_EFAULT);
  /* readdir */
  uint32_t used = tw_alloc(t, 4);
  assert_int_equal(Z(fd_readdir)(t->w, TW_SB, S - 10, 20, 0, used), PE_WASI_EFAULT);
  assert_int_equal(Z(fd_readdir)(t->w, TW_SB, 0xFFFFFFF0u, 0x20, 0, used), PE_WASI_EFAULT);
  assert_int_equal(Z(fd_readdir)(t->w, TW_SB, 16, 0xFFFFFFFFu, 0, used), PE_WASI_EFAULT);
  assert_int_equal(Z(fd_readdir)(t->w, TW_SB, 16, 64, 0, S - 3), PE_WASI_EFAULT);
  assert_int_equal(Z(fd_readdir)(t->w, TW_SB, S - 24, 24, 0, used), 0);
  assert_int_equal(tw_u32(t, used), 24);
}

static void test_iovecs(void **state) {
  tw *t = *state;
  uint32_t fd;
  assert_int_equal(tw_open(t, TW_SB, 0, "file.txt", 0,
                           PE_WASI_RIGHT_FD_READ | PE_WASI_RIGHT_FD_WRITE | PE_WASI_RIGHT_FD_SEEK |
                               PE_WASI_RIGHT_FD_TELL,
                           0, 0, &fd),
                   0);
  uint32_t n = tw_alloc(t, 4), buf = tw_alloc(t, 16);
  memcpy(tw_at(t, buf), "XXXXXXXXXXXXXXXX", 16);
  struct {
    uint32_t base, len;
  } bad_iov[] = {
      {S - 2, 4},         {S, 1},  {0xFFFFFFFFu, 2}, {0xFFFFFFF0u, 0x20},
      {buf, 0xFFFFFFFFu}, {16, S}, {S + 1, 0},
  };
  for (size_t i = 0; i < sizeof bad_iov / sizeof bad_iov[0]; i++) {
    uint32_t iovs = tw_alloc(t, 16);
    tw_set32(t, iovs, buf); /* a good first entry: nothing may happen anyway */
    tw_set32(t, iovs + 4, 4);
    tw_set32(t, iovs + 8, bad_iov[i].base);
    tw_set32(t, iovs + 12, bad_iov[i].len);
    assert_int_equal(Z(fd_read)(t->w, fd, iovs, 2, n), PE_WASI_EFAULT);
    assert_int_equal(Z(fd_write)(t->w, fd, iovs, 2, n), PE_WASI_EFAULT);
    assert_int_equal(Z(fd_pread)(t->w, fd, iovs, 2, 0, n), PE_WASI_EFAULT);
    assert_int_equal(Z(fd_pwrite)(t->w, fd, iovs, 2, 0, n), PE_WASI_EFAULT);
    assert_int_equal(Z(fd_write)(t->w, 1, iovs, 2, n), PE_WASI_EFAULT);
  }
  /* the iovec array itself outside */
  assert_int_equal(Z(fd_read)(t->w, fd, S - 4, 1, n), PE_WASI_EFAULT);
  assert_int_equal(Z(fd_write)(t->w, fd, 0xFFFFFFF8u, 2, n), PE_WASI_EFAULT);
  assert_int_equal(Z(fd_write)(t->w, fd, S - 8 * 1000, 1001, n), PE_WASI_EFAULT);
  /* too many iovecs: EINVAL, however large the count */
  assert_int_equal(Z(fd_write)(t->w, fd, buf, 1025, n), PE_WASI_EINVAL);
  assert_int_equal(Z(fd_write)(t->w, fd, buf, 0x20000000u, n), PE_WASI_EINVAL);
  assert_int_equal(Z(fd_write)(t->w, fd, buf, 0xFFFFFFFFu, n), PE_WASI_EINVAL);
  /* a bad result pointer: EFAULT and nothing read or written */
  uint32_t iov = tw_iov(t, buf, 4);
  assert_int_equal(Z(fd_write)(t->w, fd, iov, 1, S - 2), PE_WASI_EFAULT);
  assert_int_equal(Z(fd_pwrite)(t->w, fd, iov, 1, 0, 0xFFFFFFFFu), PE_WASI_EFAULT);
  assert_int_equal(Z(fd_read)(t->w, fd, iov, 1, S), PE_WASI_EFAULT);
  assert_string_equal(tw_slurp(t, "sb/file.txt"), "hello world");
  assert_memory_equal(tw_at(t, buf), "XXXX", 4);
  uint32_t pos = tw_alloc(t, 8);
  assert_int_equal(Z(fd_tell)(t->w, fd, pos), 0);
  assert_int_equal(tw_u64(t, pos), 0);
  /* captured stdout: nothing captured either */
  assert_int_equal(Z(fd_write)(t->w, 1, iov, 1, S - 1), PE_WASI_EFAULT);
  size_t len;
  pe_wasi_captured(t->w, 1, &len);
  assert_int_equal(len, 0);
  /* the last byte of memory is usable */
  uint32_t iov_end = tw_iov(t, S - 1, 1);
  assert_int_equal(Z(fd_read)(t->w, fd, iov_end, 1, n), 0);
  assert_int_equal(tw_u32(t, n), 1);
  assert_int_equal(tw_at(t, S - 1)[0], 'h');
}

static void test_iovec_total_over_u32(void **state) {
  tw *t = *state;
  /* A 4 GiB memory whose pages are never touched: two overlapping 3 GiB
   * iovecs are each in range but their sum cannot be reported in a u32. */
  uint64_t span = (uint64_t)4 << 30;
  uint8_t *big = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  assert_true(big != MAP_FAILED);
  assert_int_equal(mprotect(big, 65536, PROT_READ | PROT_WRITE), 0);
  wasm_rt_memory_t m = {.data = big, .pages = 65535, .max_pages = 65536, .size = 0xFFFFFFFFu};
  pe_wasi_attach_memory(t->w, &m);
  uint32_t iovs = 64;
  uint32_t e[4] = {1024, 0xC0000000u, 1024, 0xC0000000u};
  memcpy(big + iovs, e, sizeof e);
  assert_int_equal(Z(fd_write)(t->w, 1, iovs, 2, 16), PE_WASI_EINVAL);
  assert_int_equal(Z(fd_read)(t->w, 0, iovs, 2, 16), PE_WASI_EINVAL);
  pe_wasi_attach_memory(t->w, &t->mem);
  munmap(big, span);
}

static void test_path_calls(void **state) {
  tw *t = *state;
  uint32_t ok = tw_str(t, "file.txt"), out = tw_alloc(t, 64);
  struct {
    uint32_t p, len;
  } bad[] = {
      {S - 1, 2}, {S, 1}, {0xFFFFFFFFu, 1}, {0xFFFFFFFFu, 2}, {ok, 0xFFFFFFFFu}, {16, S},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint32_t p = bad[i].p, l = bad[i].len;
    assert_int_equal(Z(path_open)(t->w, TW_SB, 0, p, l, PE_WASI_O_CREAT, 0, 0, 0, out),
                     PE_WASI_EFAULT);
    assert_int_equal(Z(path_create_directory)(t->w, TW_SB, p, l), PE_WASI_EFAULT);
    assert_int_equal(Z(path_remove_directory)(t->w, TW_SB, p, l), PE_WASI_EFAULT);
    assert_int_equal(Z(path_unlink_file)(t->w, TW_SB, p, l), PE_WASI_EFAULT);
    assert_int_equal(Z(path_filestat_get)(t->w, TW_SB, 0, p, l, out), PE_WASI_EFAULT);
    assert_int_equal(Z(path_filestat_set_times)(t->w, TW_SB, 0, p, l, 0, 0, 0), PE_WASI_EFAULT);
    assert_int_equal(Z(path_readlink)(t->w, TW_SB, p, l, out, 8, out + 8), PE_WASI_EFAULT);
    assert_int_equal(Z(path_symlink)(t->w, p, l, TW_SB, ok, 8), PE_WASI_EFAULT);
    assert_int_equal(Z(path_symlink)(t->w, ok, 8, TW_SB, p, l), PE_WASI_EFAULT);
    assert_int_equal(Z(path_link)(t->w, TW_SB, 0, p, l, TW_SB, ok, 8), PE_WASI_EFAULT);
    assert_int_equal(Z(path_link)(t->w, TW_SB, 0, ok, 8, TW_SB, p, l), PE_WASI_EFAULT);
    assert_int_equal(Z(path_rename)(t->w, TW_SB, p, l, TW_SB, ok, 8), PE_WASI_EFAULT);
    assert_int_equal(Z(path_rename)(t->w, TW_SB, ok, 8, TW_SB, p, l), PE_WASI_EFAULT);
  }
  /* bad output pointers: no effect */
  uint32_t newname = tw_str(t, "created");
  assert_int_equal(Z(path_open)(t->w, TW_SB, 0, newname, 7, PE_WASI_O_CREAT, 0, 0, 0, S - 3),
                   PE_WASI_EFAULT);
  assert_false(tw_exists(t, "sb/created"));
  assert_int_equal(Z(path_open)(t->w, TW_SB, 0, ok, 8, PE_WASI_O_TRUNC, 0, 0, 0, 0xFFFFFFFFu),
                   PE_WASI_EFAULT);
  assert_string_equal(tw_slurp(t, "sb/file.txt"), "hello world");
  assert_int_equal(tw_symlink(t, "file.txt", TW_SB, "l"), 0);
  uint32_t l = tw_str(t, "l");
  assert_int_equal(Z(path_readlink)(t->w, TW_SB, l, 1, S - 4, 8, out), PE_WASI_EFAULT);
  assert_int_equal(Z(path_readlink)(t->w, TW_SB, l, 1, out, 8, S - 2), PE_WASI_EFAULT);
  assert_int_equal(Z(path_readlink)(t->w, TW_SB, l, 1, S - 8, 8, out + 60), 0);
  assert_memory_equal(tw_at(t, S - 8), "file.txt", 8);
  /* no descriptor was leaked by all the failures: the next one is 5 */
  uint32_t fd;
  assert_int_equal(tw_open_simple(t, TW_SB, "file.txt", 0, &fd), 0);
  assert_int_equal(fd, 5);
}

static void test_poll_pointers(void **state) {
  tw *t = *state;
  uint32_t in = tw_alloc(t, 48), outp = tw_alloc(t, 32), nev = tw_alloc(t, 4);
  memset(tw_at(t, in), 0, 48);
  tw_at(t, in)[8] = PE_WASI_EVENT_CLOCK;
  tw_set32(t, in + 16, PE_WASI_CLOCK_MONOTONIC);
  assert_int_equal(Z(poll_oneoff)(t->w, in, outp, 0, nev), PE_WASI_EINVAL);
  assert_int_equal(Z(poll_oneoff)(t->w, in, outp, 0xFFFFFFFFu, nev), PE_WASI_EINVAL);
  assert_int_equal(Z(poll_oneoff)(t->w, S - 47, outp, 1, nev), PE_WASI_EFAULT);
  assert_int_equal(Z(poll_oneoff)(t->w, 0xFFFFFFF0u, outp, 1, nev), PE_WASI_EFAULT);
  assert_int_equal(Z(poll_oneoff)(t->w, in, S - 31, 1, nev), PE_WASI_EFAULT);
  assert_int_equal(Z(poll_oneoff)(t->w, in, outp, 1, S - 3), PE_WASI_EFAULT);
  assert_int_equal(Z(poll_oneoff)(t->w, in, outp, 2, nev), 0); /* 2 subs fit in memory here */
  assert_int_equal(Z(poll_oneoff)(t->w, S - 48 * 100, outp, 101, nev), PE_WASI_EFAULT);
  assert_int_equal(Z(poll_oneoff)(t->w, in, S - 32, 1, nev), 0);
  assert_int_equal(tw_u32(t, nev), 1);
}

static void test_no_memory_attached(void **state) {
  tw *t = *state;
  pe_wasi_attach_memory(t->w, NULL);
  assert_int_equal(Z(args_sizes_get)(t->w, 0, 4), PE_WASI_EFAULT);
  assert_int_equal(Z(fd_write)(t->w, 1, 0, 0, 0), PE_WASI_EFAULT);
  assert_int_equal(Z(random_get)(t->w, 0, 0), PE_WASI_EFAULT);
  assert_int_equal(Z(path_open)(t->w, TW_SB, 0, 0, 1, 0, 0, 0, 0, 0), PE_WASI_EFAULT);
  /* calls that touch no memory still work */
  assert_int_equal(Z(sched_yield)(t->w), 0);
  assert_int_equal(Z(fd_close)(t->w, 1), 0);
  pe_wasi_attach_memory(t->w, &t->mem);
}

static void test_memory_grows(void **state) {
  tw *t = *state;
  /* Bounds are read at every call: shrink the visible size, then grow. */
  t->mem.size = 65536;
  assert_int_equal(Z(clock_time_get)(t->w, 0, 0, 65536), PE_WASI_EFAULT);
  t->mem.size = 2 * 65536;
  assert_int_equal(Z(clock_time_get)(t->w, 0, 0, 65536), 0);
  t->mem.size = TW_MEM_SIZE;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      TW_TEST(test_args_env_clock),       TW_TEST(test_fd_calls),     TW_TEST(test_iovecs),
      TW_TEST(test_iovec_total_over_u32), TW_TEST(test_path_calls),   TW_TEST(test_poll_pointers),
      TW_TEST(test_no_memory_attached),   TW_TEST(test_memory_grows),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
