/*
 * test_wasi_misc.c -- everything that is not a path: args and environ,
 * clocks, random, stdio modes and capture, the descriptor table (renumber,
 * close, limits, prestat), sockets, the public API's edge cases.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <dirent.h>

#include "test_wasi.h"

#include <sys/resource.h>
#include <time.h>

#define Z(fn) Z_wasi_snapshot_preview1Z_##fn

static void test_args_environ(void **state) {
  tw *t = *state;
  uint32_t c = tw_alloc(t, 4), sz = tw_alloc(t, 4);
  assert_int_equal(Z(args_sizes_get)(t->w, c, sz), 0);
  assert_int_equal(tw_u32(t, c), 3);
  assert_int_equal(tw_u32(t, sz), 5 + 5 + 4);
  uint32_t argv = tw_alloc(t, 12), buf = tw_alloc(t, 14);
  assert_int_equal(Z(args_get)(t->w, argv, buf), 0);
  assert_int_equal(tw_u32(t, argv), buf);
  assert_string_equal((char *)tw_at(t, tw_u32(t, argv)), "prog");
  assert_string_equal((char *)tw_at(t, tw_u32(t, argv + 4)), "arg1");
  assert_string_equal((char *)tw_at(t, tw_u32(t, argv + 8)), "x y");
  assert_int_equal(Z(environ_sizes_get)(t->w, c, sz), 0);
  assert_int_equal(tw_u32(t, c), 2);
  assert_int_equal(tw_u32(t, sz), 9 + 7);
  uint32_t env = tw_alloc(t, 8), ebuf = tw_alloc(t, 16);
  assert_int_equal(Z(environ_get)(t->w, env, ebuf), 0);
  assert_string_equal((char *)tw_at(t, tw_u32(t, env)), "HOME=/sb");
  assert_string_equal((char *)tw_at(t, tw_u32(t, env + 4)), "EMPTY=");

  /* no arguments at all */
  pe_wasi_config cfg = {.stdin_null = true};
  pe_wasi *w = tw_new_ctx(t, &cfg);
  assert_int_equal(Z(args_sizes_get)(w, c, sz), 0);
  assert_int_equal(tw_u32(t, c), 0);
  assert_int_equal(tw_u32(t, sz), 0);
  assert_int_equal(Z(args_get)(w, 100, 200), 0); /* nothing to write */
  assert_int_equal(Z(environ_get)(w, 0, 0), 0);
  pe_wasi_free(w);
}

static void test_clocks_random(void **state) {
  tw *t = *state;
  uint32_t p = tw_alloc(t, 8);
  for (uint32_t id = 0; id < 4; id++) {
    assert_int_equal(Z(clock_res_get)(t->w, id, p), 0);
    assert_true(tw_u64(t, p) > 0);
    assert_int_equal(Z(clock_time_get)(t->w, id, 1, p), 0);
  }
  assert_int_equal(Z(clock_res_get)(t->w, 4, p), PE_WASI_EINVAL);
  assert_int_equal(Z(clock_time_get)(t->w, 0xFFFFFFFFu, 0, p), PE_WASI_EINVAL);
  assert_int_equal(Z(clock_time_get)(t->w, PE_WASI_CLOCK_REALTIME, 0, p), 0);
  uint64_t rt = tw_u64(t, p);
  uint64_t now = (uint64_t)time(NULL) * 1000000000ull;
  assert_true(rt > now - 5000000000ull && rt < now + 5000000000ull);
  assert_int_equal(Z(clock_time_get)(t->w, PE_WASI_CLOCK_MONOTONIC, 0, p), 0);
  uint64_t m1 = tw_u64(t, p);
  assert_int_equal(Z(clock_time_get)(t->w, PE_WASI_CLOCK_MONOTONIC, 0, p), 0);
  assert_true(tw_u64(t, p) >= m1);

  uint32_t r = tw_alloc(t, 1024);
  memset(tw_at(t, r), 0, 1024);
  assert_int_equal(Z(random_get)(t->w, r, 1024), 0);
  int nonzero = 0;
  for (int i = 0; i < 1024; i++) nonzero += tw_at(t, r)[i] != 0;
  assert_true(nonzero > 900);
  assert_int_equal(Z(random_get)(t->w, r, 0), 0);
  assert_int_equal(Z(sched_yield)(t->w), 0);
  assert_int_equal(Z(proc_raise)(t->w, 9), PE_WASI_ENOSYS);
}

static void test_capture(void **state) {
  tw *t = *state;
  uint32_t n;
  assert_int_equal(tw_write(t, 1, "out1 ", &n), 0);
  assert_int_equal(n, 5);
  assert_int_equal(tw_write(t, 2, "err", &n), 0);
  assert_int_equal(tw_write(t, 1, "out2", &n), 0);
  size_t len;
  const uint8_t *o = pe_wasi_captured(t->w, 1, &len);
  assert_int_equal(len, 9);
  assert_memory_equal(o, "out1 out2", 9);
  o = pe_wasi_captured(t->w, 2, &len);
  assert_int_equal(len, 3);
  assert_memory_equal(o, "err", 3);
  assert_null(pe_wasi_captured(t->w, 0, &len));
  assert_int_equal(len, 0);
  assert_null(pe_wasi_captured(t->w, 3, &len));
  assert_false(pe_wasi_capture_truncated(t->w, 1));
  /* stdout moved to another number still feeds stream 1 */
  uint32_t fd;
  assert_int_equal(tw_open_simple(t, TW_SB, "file.txt", 0, &fd), 0);
  assert_int_equal(Z(fd_renumber)(t->w, 1, fd), 0);
  assert_int_equal(tw_write(t, fd, "+", NULL), 0);
  assert_int_equal(tw_write(t, 1, "x", NULL), PE_WASI_EBADF);
  pe_wasi_captured(t->w, 1, &len);
  assert_int_equal(len, 10);
  assert_string_equal(tw_slurp(t, "sb/file.txt"), "hello world"); /* the file was closed */
  /* stdio metadata */
  uint8_t type;
  uint64_t base;
  assert_int_equal(tw_fdstat(t, 2, &type, NULL, &base, NULL), 0);
  assert_int_equal(type, PE_WASI_FILETYPE_UNKNOWN);
  assert_true(base & PE_WASI_RIGHT_FD_WRITE);
  assert_true(base & PE_WASI_RIGHT_FD_SEEK); /* so that isatty() says no */
  uint32_t pos = tw_alloc(t, 8);
  assert_int_equal(Z(fd_seek)(t->w, 2, 0, PE_WASI_WHENCE_SET, pos), PE_WASI_ESPIPE);
  assert_int_equal(Z(fd_tell)(t->w, 2, pos), PE_WASI_ESPIPE);
  uint32_t fs = tw_alloc(t, 64);
  assert_int_equal(Z(fd_filestat_get)(t->w, 2, fs), 0);
  assert_int_equal(tw_u64(t, fs + 32), 0);
  uint32_t iov = tw_iov(t, tw_str(t, "z"), 1);
  assert_int_equal(Z(fd_pwrite)(t->w, 2, iov, 1, 0, pos), PE_WASI_ESPIPE);
  assert_int_equal(Z(fd_fdstat_set_flags)(t->w, 2, PE_WASI_FDFLAG_NONBLOCK), 0);
  uint16_t flags;
  assert_int_equal(tw_fdstat(t, 2, NULL, &flags, NULL, NULL), 0);
  assert_int_equal(flags, PE_WASI_FDFLAG_NONBLOCK);
}

static void test_capture_limit(void **state) {
  tw *t = *state;
  pe_wasi_config cfg = {.stdout_mode = PE_WASI_STDIO_CAPTURE,
                        .stderr_mode = PE_WASI_STDIO_NULL,
                        .stdin_null = true,
                        .capture_limit = 10};
  pe_wasi *w = tw_new_ctx(t, &cfg);
  pe_wasi *keep = t->w;
  t->w = w;
  uint32_t n;
  assert_int_equal(tw_write(t, 1, "123456", &n), 0);
  assert_int_equal(tw_write(t, 1, "789abc", &n), 0);
  assert_int_equal(n, 6); /* reported as written even though dropped */
  assert_int_equal(tw_write(t, 1, "def", &n), 0);
  size_t len;
  const uint8_t *o = pe_wasi_captured(w, 1, &len);
  assert_int_equal(len, 10);
  assert_memory_equal(o, "123456789a", 10);
  assert_true(pe_wasi_capture_truncated(w, 1));
  assert_int_equal(pe_wasi_capture_dropped(w, 1), 2 + 3); /* "bc", "def": the host says so */
  assert_int_equal(pe_wasi_capture_dropped(w, 2), 0);
  /* NULL mode: everything vanishes, successfully */
  assert_int_equal(tw_write(t, 2, "gone", &n), 0);
  assert_int_equal(n, 4);
  assert_null(pe_wasi_captured(w, 2, &len));
  uint8_t type;
  assert_int_equal(tw_fdstat(t, 2, &type, NULL, NULL, NULL), 0);
  assert_int_equal(type, PE_WASI_FILETYPE_CHARACTER_DEVICE);
  /* a recycled context starts counting afresh */
  assert_true(pe_wasi_reset(w));
  assert_int_equal(pe_wasi_capture_dropped(w, 1), 0);
  assert_false(pe_wasi_capture_truncated(w, 1));
  t->w = keep;
  pe_wasi_free(w);
}

static void test_stdin(void **state) {
  tw *t = *state;
  char buf[64];
  /* null stdin: end of file at once */
  assert_int_equal(tw_read(t, 0, 64, buf), 0);
  assert_string_equal(buf, "");
  /* given bytes, read in pieces */
  static const uint8_t data[] = "line one\nline two\n";
  pe_wasi_config cfg = {.stdin_data = data, .stdin_len = sizeof data - 1};
  pe_wasi *w = tw_new_ctx(t, &cfg);
  pe_wasi *keep = t->w;
  t->w = w;
  assert_int_equal(tw_read(t, 0, 5, buf), 0);
  assert_string_equal(buf, "line ");
  /* poll sees what is left */
  uint32_t in = tw_alloc(t, 48), out = tw_alloc(t, 32), nev = tw_alloc(t, 4);
  memset(tw_at(t, in), 0, 48);
  tw_set64(t, in, 77);
  tw_at(t, in)[8] = PE_WASI_EVENT_FD_READ;
  tw_set32(t, in + 16, 0);
  assert_int_equal(Z(poll_oneoff)(w, in, out, 1, nev), 0);
  assert_int_equal(tw_u32(t, nev), 1);
  assert_int_equal(tw_u64(t, out), 77);
  assert_int_equal(tw_at(t, out)[10], PE_WASI_EVENT_FD_READ);
  assert_int_equal(tw_u64(t, out + 16), 13);
  assert_int_equal(tw_read(t, 0, 64, buf), 0);
  assert_string_equal(buf, "one\nline two\n");
  assert_int_equal(tw_read(t, 0, 64, buf), 0);
  assert_string_equal(buf, "");
  assert_int_equal(Z(poll_oneoff)(w, in, out, 1, nev), 0);
  assert_int_equal(tw_u16(t, out + 24), PE_WASI_EVENTRW_HANGUP);
  t->w = keep;
  pe_wasi_free(w);
}

static void test_inherited_stdio(void **state) {
  tw *t = *state;
  /* Swap the process's stdin/stdout for pipes while the context is made. */
  int in_pipe[2], out_pipe[2];
  assert_int_equal(pipe(in_pipe), 0);
  assert_int_equal(pipe(out_pipe), 0);
  int save0 = dup(0), save1 = dup(1);
  dup2(in_pipe[0], 0);
  dup2(out_pipe[1], 1);
  pe_wasi_config cfg = {.stdout_mode = PE_WASI_STDIO_INHERIT, .stderr_mode = PE_WASI_STDIO_NULL};
  pe_wasi *w = tw_new_ctx(t, &cfg);
  dup2(save0, 0);
  dup2(save1, 1);
  close(save0);
  close(save1);
  close(in_pipe[0]);
  close(out_pipe[1]);
  pe_wasi *keep = t->w;
  t->w = w;

  assert_int_equal(tw_write(t, 1, "to host", NULL), 0);
  char buf[64];
  assert_int_equal(read(out_pipe[0], buf, sizeof buf), 7);
  assert_int_equal(write(in_pipe[1], "from host", 9), 9);
  assert_int_equal(tw_read(t, 0, 64, buf), 0);
  assert_string_equal(buf, "from host");
  /* flags of a descriptor shared with the host stay as they are */
  assert_int_equal(Z(fd_fdstat_set_flags)(w, 0, PE_WASI_FDFLAG_NONBLOCK), PE_WASI_ENOTSUP);
  assert_int_equal(Z(fd_fdstat_set_flags)(w, 0, 0), 0); /* no change: fine */
  uint8_t type;
  uint64_t base;
  assert_int_equal(tw_fdstat(t, 0, &type, NULL, &base, NULL), 0);
  assert_int_equal(type, PE_WASI_FILETYPE_UNKNOWN); /* a FIFO */
  assert_true(base & PE_WASI_RIGHT_FD_READ);
  assert_false(base & PE_WASI_RIGHT_FD_WRITE);
  /* the guest closing its stdout does not close the host's */
  assert_int_equal(tw_close(t, 1), 0);
  assert_true(fcntl(1, F_GETFD) >= 0);
  t->w = keep;
  pe_wasi_free(w);
  close(in_pipe[1]);
  /* a reader that went away: EPIPE, and no SIGPIPE kills us */

  assert_int_equal(pipe(out_pipe), 0);
  save1 = dup(1);
  dup2(out_pipe[1], 1);
  w = tw_new_ctx(t, &cfg);
  dup2(save1, 1);
  close(save1);
  close(out_pipe[1]);
  close(out_pipe[0]);
  t->w = w;
  assert_int_equal(tw_write(t, 1, "nobody listens", NULL), PE_WASI_EPIPE);
  t->w = keep;
  pe_wasi_free(w);
}

static void test_renumber_close(void **state) {
  tw *t = *state;
  uint32_t a, b;
  assert_int_equal(tw_open(t, TW_SB, 0, "file.txt", 0, PE_WASI_RIGHT_FD_READ, 0, 0, &a), 0);
  assert_int_equal(tw_open(t, TW_SB, 0, "dir/nested.txt", 0,
                           PE_WASI_RIGHT_FD_READ | PE_WASI_RIGHT_FD_TELL, 0, 0, &b),
                   0);
  assert_int_equal(Z(fd_renumber)(t->w, a, b), 0);
  char buf[32];
  assert_int_equal(tw_read(t, b, 32, buf), 0);
  assert_string_equal(buf, "hello world");
  uint64_t base;
  assert_int_equal(tw_fdstat(t, b, NULL, NULL, &base, NULL), 0);
  assert_int_equal(base, PE_WASI_RIGHT_FD_READ); /* rights moved too */
  assert_int_equal(tw_close(t, a), PE_WASI_EBADF);
  assert_int_equal(Z(fd_renumber)(t->w, b, a), PE_WASI_EBADF); /* target must be open */
  assert_int_equal(Z(fd_renumber)(t->w, a, b), PE_WASI_EBADF);
  assert_int_equal(Z(fd_renumber)(t->w, b, b), 0);
  assert_int_equal(Z(fd_renumber)(t->w, b, 5000), PE_WASI_EBADF);
  assert_int_equal(Z(fd_renumber)(t->w, 0xFFFFFFFFu, b), PE_WASI_EBADF);
  /* over a preopen: the preopen is gone, its number now holds the file */
  assert_int_equal(Z(fd_renumber)(t->w, b, TW_RO), 0);
  uint32_t pre = tw_alloc(t, 8);
  assert_int_equal(Z(fd_prestat_get)(t->w, TW_RO, pre), PE_WASI_EBADF);
  assert_int_equal(tw_open_simple(t, TW_RO, "data.txt", 0, &a), PE_WASI_ENOTDIR);
  /* a preopen moved elsewhere keeps being a preopen */
  uint32_t d;
  assert_int_equal(tw_open_simple(t, TW_SB, "file.txt", 0, &d), 0);
  assert_int_equal(Z(fd_renumber)(t->w, TW_SB, d), 0);
  assert_int_equal(Z(fd_prestat_get)(t->w, d, pre), 0);
  assert_int_equal(Z(fd_prestat_get)(t->w, TW_SB, pre), PE_WASI_EBADF);
  /* stdio can be closed like anything else; numbers are reused lowest first */
  assert_int_equal(tw_close(t, 0), 0);
  assert_int_equal(tw_read(t, 0, 4, buf), PE_WASI_EBADF);
  assert_int_equal(tw_open_simple(t, d, "file.txt", 0, &a), 0);
  assert_int_equal(a, 0);
  assert_int_equal(tw_open_simple(t, d, "file.txt", 0, &a), 0);
  assert_int_equal(a, TW_SB);
  /* closing a preopen is allowed */
  assert_int_equal(tw_close(t, d), 0);
  assert_int_equal(tw_fdstat(t, d, NULL, NULL, NULL, NULL), PE_WASI_EBADF);
  assert_int_equal(tw_open_simple(t, d, "file.txt", 0, &a), PE_WASI_EBADF);
}

static void test_prestat(void **state) {
  tw *t = *state;
  uint32_t p = tw_alloc(t, 8);
  memset(tw_at(t, p), 0xAA, 8);
  assert_int_equal(Z(fd_prestat_get)(t->w, TW_SB, p), 0);
  assert_int_equal(tw_at(t, p)[0], PE_WASI_PREOPEN_DIR);
  assert_int_equal(tw_at(t, p)[1], 0); /* padding zeroed */
  assert_int_equal(tw_u32(t, p + 4), 2);
  uint32_t name = tw_alloc(t, 8);
  memset(tw_at(t, name), 0, 8);
  assert_int_equal(Z(fd_prestat_dir_name)(t->w, TW_RO, name, 2), 0);
  assert_memory_equal(tw_at(t, name), "ro", 2);
  assert_int_equal(Z(fd_prestat_dir_name)(t->w, TW_RO, name, 8), 0); /* bigger is fine */
  assert_int_equal(Z(fd_prestat_dir_name)(t->w, TW_RO, name, 1), PE_WASI_ENAMETOOLONG);
  assert_int_equal(Z(fd_prestat_dir_name)(t->w, TW_RO, name, 0), PE_WASI_ENAMETOOLONG);
  /* wasi-libc stops enumerating at the first EBADF */
  assert_int_equal(Z(fd_prestat_get)(t->w, 5, p), PE_WASI_EBADF);
  assert_int_equal(Z(fd_prestat_get)(t->w, 0, p), PE_WASI_EBADF);
  assert_int_equal(Z(fd_prestat_get)(t->w, 1u << 31, p), PE_WASI_EBADF);
  uint32_t fd;
  assert_int_equal(tw_open_simple(t, TW_SB, "dir", PE_WASI_O_DIRECTORY, &fd), PE_WASI_EISDIR);
  assert_int_equal(tw_open(t, TW_SB, 0, "dir", PE_WASI_O_DIRECTORY, 0, 0, 0, &fd), 0);
  assert_int_equal(Z(fd_prestat_get)(t->w, fd, p), PE_WASI_EBADF);
  assert_int_equal(Z(fd_prestat_dir_name)(t->w, fd, name, 8), PE_WASI_EBADF);
}

static void test_fd_limit(void **state) {
  tw *t = *state;
  /* make sure the host's own limit is not what stops us */
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < 4096 && rl.rlim_max >= 4096) {
    rl.rlim_cur = 4096;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  uint32_t fd = 0, e = 0;
  int opened = 0;
  while ((e = tw_open(t, TW_SB, 0, "file.txt", 0, PE_WASI_RIGHT_FD_READ, 0, 0, &fd)) == 0) {
    opened++;
    t->brk = TW_HEAP; /* recycle guest scratch */
    assert_true(opened <= 1024);
  }
  assert_int_equal(e, PE_WASI_EMFILE);
  assert_int_equal(opened, 1024 - 5);
  assert_int_equal(tw_close(t, 700), 0);
  assert_int_equal(tw_open(t, TW_SB, 0, "file.txt", 0, PE_WASI_RIGHT_FD_READ, 0, 0, &fd), 0);
  assert_int_equal(fd, 700);
  assert_int_equal(tw_open(t, TW_SB, 0, "file.txt", 0, PE_WASI_RIGHT_FD_READ, 0, 0, &fd),
                   PE_WASI_EMFILE);
  assert_false(tw_exists(t, "sb/new"));
  assert_int_equal(tw_open_simple(t, TW_SB, "new", PE_WASI_O_CREAT, &fd), PE_WASI_EMFILE);
  assert_false(tw_exists(t, "sb/new")); /* refused before creating anything */
}

static void test_sockets(void **state) {
  tw *t = *state;
  uint32_t p = tw_alloc(t, 16);
  assert_int_equal(Z(sock_shutdown)(t->w, 1, 1), PE_WASI_ENOTSOCK);
  assert_int_equal(Z(sock_shutdown)(t->w, TW_SB, 1), PE_WASI_ENOTSOCK);
  assert_int_equal(Z(sock_shutdown)(t->w, 99, 1), PE_WASI_EBADF);
  assert_int_equal(Z(sock_accept)(t->w, TW_SB, 0, p), PE_WASI_ENOTSOCK);
  assert_int_equal(Z(sock_accept)(t->w, 50, 0, p), PE_WASI_EBADF);
  assert_int_equal(Z(sock_recv)(t->w, 0, p, 1, 0, p, p + 4), PE_WASI_ENOTSOCK);
  assert_int_equal(Z(sock_recv)(t->w, 0, 0xFFFFFFFFu, 9, 0, 0xFFFFFFFFu, 0), PE_WASI_ENOTSOCK);
  assert_int_equal(Z(sock_send)(t->w, 2, p, 1, 0, p), PE_WASI_ENOTSOCK);
  assert_int_equal(Z(sock_send)(t->w, 1234, p, 1, 0, p), PE_WASI_EBADF);
}

static void test_parse_dir(void **state) {
  (void)state;
  pe_wasi_preopen po;
  assert_int_equal(pe_wasi_parse_dir("/data", false, &po), 0);
  assert_string_equal(po.host_path, "/data");
  assert_string_equal(po.guest_path, "/data");
  assert_false(po.read_only);
  free((void *)po.host_path);
  assert_int_equal(pe_wasi_parse_dir("/srv/x::/app", true, &po), 0);
  assert_string_equal(po.host_path, "/srv/x");
  assert_string_equal(po.guest_path, "/app");
  assert_true(po.read_only);
  free((void *)po.host_path);
  assert_int_equal(pe_wasi_parse_dir("a::b::c", false, &po), 0);
  assert_string_equal(po.host_path, "a");
  assert_string_equal(po.guest_path, "b::c");
  free((void *)po.host_path);
  assert_int_equal(pe_wasi_parse_dir("a::", false, &po), -1);
  assert_int_equal(pe_wasi_parse_dir("::b", false, &po), -1);
  assert_int_equal(pe_wasi_parse_dir("", false, &po), -1);
  assert_int_equal(pe_wasi_parse_dir(NULL, false, &po), -1);
}

/* A preopen given as a directory descriptor opens that directory, even
 * after its host path was renamed and replaced, and each context gets its
 * own open file description (no shared directory offset). */
static void test_preopen_by_dir_fd(void **state) {
  tw *t = *state;
  char *orig = strdup(tw_path(t, "sb/held"));
  assert_int_equal(mkdir(orig, 0755), 0);
  char *file = strdup(tw_path(t, "sb/held/inside.txt"));
  tw_write_file(file, "kept");
  int dfd = open(orig, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  assert_true(dfd >= 0);
  char *moved = strdup(tw_path(t, "sb/moved"));
  assert_int_equal(rename(orig, moved), 0);
  assert_int_equal(mkdir(orig, 0755), 0); /* an impostor at the old path */
  pe_wasi_preopen po = {
      .host_path = orig, .guest_path = "/d", .read_only = true, .has_dir_fd = true, .dir_fd = dfd};
  pe_wasi_config cfg = {.npreopens = 1, .preopens = &po, .stdin_null = true};
  pe_wasi *old = t->w;
  for (int round = 0; round < 2; round++) {
    t->w = tw_new_ctx(t, &cfg);
    uint32_t fd;
    assert_int_equal(tw_open_simple(t, 3, "inside.txt", 0, &fd), 0);
    char buf[16] = {0};
    assert_int_equal(tw_read(t, fd, sizeof buf - 1, buf), 0);
    assert_string_equal(buf, "kept");
    pe_wasi_free(t->w);
  }
  t->w = old;
  close(dfd);
  free(orig);
  free(file);
  free(moved);
}

/* pe_wasi_reset: a recycled context must be indistinguishable from a new
 * one, or refuse (and then the caller makes a new one). */
static int open_host_fds(void) {
  int n = 0;
  DIR *d = opendir("/proc/self/fd");
  assert_non_null(d);
  while (readdir(d)) n++;
  closedir(d);
  return n;
}

static void test_reset(void **state) {
  tw *t = *state;
  pe_wasi_config cfg;
  pe_wasi_preopen po[2];
  tw_default_config(t, &cfg, po);
  pe_wasi *old = t->w;
  t->w = tw_new_ctx(t, &cfg);
  int fds_at_start = open_host_fds();
  /* files opened and left open, output written, stdin read, host data set */
  uint32_t a, b, n;
  assert_int_equal(tw_open_simple(t, TW_SB, "file.txt", 0, &a), 0);
  assert_int_equal(tw_open_simple(t, TW_RO, "data.txt", 0, &b), 0);
  assert_int_equal(Z(fd_renumber)(t->w, a, b), 0); /* among the guest's own: allowed */
  assert_int_equal(tw_write(t, 1, "out", &n), 0);
  assert_int_equal(tw_write(t, 2, "err", &n), 0);
  pe_wasi_set_host_data(t->w, t);
  assert_true(open_host_fds() > fds_at_start);
  assert_true(pe_wasi_reset(t->w));
  assert_int_equal(open_host_fds(), fds_at_start); /* the guest's files are closed */
  char buf[32];
  assert_int_equal(tw_read(t, b, sizeof buf, buf), PE_WASI_EBADF);
  size_t len;
  pe_wasi_captured(t->w, 1, &len);
  assert_int_equal(len, 0);
  pe_wasi_captured(t->w, 2, &len);
  assert_int_equal(len, 0);
  assert_null(pe_wasi_host_data(t->w));
  /* the lowest free number is handed out again, as in a new context */
  uint32_t again;
  assert_int_equal(tw_open_simple(t, TW_SB, "file.txt", 0, &again), 0);
  assert_int_equal(again, TW_RO + 1);
  assert_int_equal(tw_read(t, again, sizeof buf, buf), 0);
  assert_string_equal(buf, "hello world");
  assert_true(pe_wasi_reset(t->w));
  /* the preopens still work */
  assert_int_equal(tw_open_simple(t, TW_RO, "data.txt", 0, &a), 0);
  assert_true(pe_wasi_reset(t->w));

  /* whatever changes stdio or a preopen makes the context unusable */
  struct {
    const char *what;
    int op;
  } spoil[] = {{"close a preopen", 0},    {"renumber onto a preopen", 1},
               {"restrict a preopen", 2}, {"read a preopen's directory", 3},
               {"close stdout", 4},       {"move a preopen", 5},
               {"stdin flags", 6}};
  for (size_t i = 0; i < sizeof spoil / sizeof spoil[0]; i++) {
    uint32_t f;
    switch (spoil[i].op) {
      case 0: assert_int_equal(tw_close(t, TW_SB), 0); break;
      case 1:
        assert_int_equal(tw_open_simple(t, TW_SB, "file.txt", 0, &f), 0);
        assert_int_equal(Z(fd_renumber)(t->w, f, TW_RO), 0);
        break;
      case 2: assert_int_equal(Z(fd_fdstat_set_rights)(t->w, TW_RO, 0, 0), 0); break;
      case 3: {
        uint32_t rbuf = tw_alloc(t, 256), used = tw_alloc(t, 4);
        assert_int_equal(Z(fd_readdir)(t->w, TW_RO, rbuf, 256, 0, used), 0);
        break;
      }
      case 4: assert_int_equal(tw_close(t, 1), 0); break;
      case 5:
        assert_int_equal(tw_open_simple(t, TW_SB, "file.txt", 0, &f), 0);
        assert_int_equal(Z(fd_renumber)(t->w, TW_SB, f), 0);
        break;
      case 6: assert_int_equal(Z(fd_fdstat_set_flags)(t->w, 0, PE_WASI_FDFLAG_NONBLOCK), 0); break;
    }
    if (pe_wasi_reset(t->w)) fail_msg("reset accepted a context after: %s", spoil[i].what);
    pe_wasi_free(t->w);
    assert_int_equal(open_host_fds(), fds_at_start - 2); /* its preopens closed too */
    t->w = tw_new_ctx(t, &cfg);
  }
  pe_wasi_free(t->w);
  t->w = old;
}

static void test_new_errors(void **state) {
  tw *t = *state;
  char err[256];
  pe_wasi_preopen po = {.host_path = tw_path(t, "no/such/dir"), .guest_path = "x"};
  pe_wasi_config cfg = {.npreopens = 1, .preopens = &po};
  assert_null(pe_wasi_new(&cfg, err, sizeof err));
  assert_non_null(strstr(err, "no/such/dir"));
  po.host_path = tw_path(t, "sb/file.txt");
  assert_null(pe_wasi_new(&cfg, err, sizeof err));
  assert_non_null(strstr(err, "file.txt"));
  po.host_path = t->sb;
  po.guest_path = "";
  assert_null(pe_wasi_new(&cfg, err, sizeof err));
  cfg.npreopens = 2000;
  assert_null(pe_wasi_new(&cfg, err, sizeof err));
  cfg.npreopens = -1;
  assert_null(pe_wasi_new(&cfg, err, sizeof err));
  static const char *const argv[] = {"a", NULL};
  pe_wasi_config c2 = {.argc = 2, .argv = argv};
  assert_null(pe_wasi_new(&c2, err, sizeof err));
  c2.argc = -3;
  assert_null(pe_wasi_new(&c2, err, sizeof err));
  assert_null(pe_wasi_new(NULL, err, sizeof err));
  assert_null(pe_wasi_new(NULL, NULL, 0));
  pe_wasi_free(NULL);
  /* many preopens: fds 3.. in order, all named */
  pe_wasi_preopen many[40];
  char names[40][8];
  for (int i = 0; i < 40; i++) {
    snprintf(names[i], sizeof names[i], "p%d", i);
    many[i] = (pe_wasi_preopen){.host_path = t->sb, .guest_path = names[i], .read_only = i % 2};
  }
  pe_wasi_config c3 = {.npreopens = 40, .preopens = many};
  pe_wasi *w = tw_new_ctx(t, &c3);
  uint32_t p = tw_alloc(t, 8), nm = tw_alloc(t, 8);
  assert_int_equal(Z(fd_prestat_get)(w, 3 + 39, p), 0);
  assert_int_equal(tw_u32(t, p + 4), 3);
  assert_int_equal(Z(fd_prestat_dir_name)(w, 3 + 39, nm, 3), 0);
  assert_memory_equal(tw_at(t, nm), "p39", 3);
  assert_int_equal(Z(fd_prestat_get)(w, 3 + 40, p), PE_WASI_EBADF);
  uint64_t base;
  pe_wasi *keep = t->w;
  t->w = w;
  assert_int_equal(tw_fdstat(t, 3 + 39, NULL, NULL, &base, NULL), 0);
  assert_int_equal(base & PE_WASI_RIGHTS_MUTATING, 0);
  t->w = keep;
  /* host data */
  int cookie;
  assert_null(pe_wasi_host_data(w));
  pe_wasi_set_host_data(w, &cookie);
  assert_ptr_equal(pe_wasi_host_data(w), &cookie);
  pe_wasi_free(w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      TW_TEST(test_args_environ),      TW_TEST(test_clocks_random), TW_TEST(test_capture),
      TW_TEST(test_capture_limit),     TW_TEST(test_stdin),         TW_TEST(test_inherited_stdio),
      TW_TEST(test_renumber_close),    TW_TEST(test_prestat),       TW_TEST(test_fd_limit),
      TW_TEST(test_sockets),           TW_TEST(test_parse_dir),     TW_TEST(test_new_errors),
      TW_TEST(test_preopen_by_dir_fd), TW_TEST(test_reset),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
