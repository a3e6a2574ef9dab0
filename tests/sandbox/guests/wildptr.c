/*
 * wildptr.c -- every WASI preview1 import called with pointers and lengths
 * that lie (partly) outside linear memory: at its end, at 0xFFFFFFF0, with
 * lengths that wrap, iovec arrays whose entries point outside. Each must
 * fail with an error (EFAULT, or EINVAL/ENAMETOOLONG for a bad length) and
 * write nothing; the host must survive.
 *
 * The two `pyedge` host imports (log, version) get the same treatment; the
 * one valid log line goes to stderr.
 *
 * Run as: pyedge run --dir SB::/sb --env A=B wildptr.wasm, SB holding
 * file.txt and link -> file.txt. Prints "function case: RESULT" per probe;
 * calls with a valid output slot next to a bad one also check that the valid
 * one was left alone (": SENTINEL CHANGED" otherwise).
 */
#include "_common.c"

#define SB 3u
#define END mem_size()
#define WILD 0xFFFFFFF0u

static uint8_t ok[4096] __attribute__((aligned(16)));
static uint8_t ok2[4096] __attribute__((aligned(16)));
typedef struct {
  u32 p, n;
} iov_t;
static iov_t iov[4];
static u32 file; /* sb/wild.txt, read+write+seek */

static void probe(const char *fn, const char *c, u32 e) { printf("%s %s: %s\n", fn, c, ename(e)); }

/* Probe that also checks that `ok` stayed as it was. */
static void probe_untouched(const char *fn, const char *c, u32 e) {
  int changed = 0;
  for (size_t i = 0; i < 64; i++) changed |= ok[i] != 0xAA;
  printf("%s %s: %s%s\n", fn, c, ename(e), changed ? " SENTINEL CHANGED" : "");
}
static void fill(void) { memset(ok, 0xAA, 64); }

/* Sets up iov[0] = {p, n} and returns its address. */
static u32 one_iov(u32 p, u32 n) {
  iov[0].p = p;
  iov[0].n = n;
  return A(iov);
}

static void io_probes(const char *fn, int kind, u32 fd) {
  /* kind: 0 read, 1 write, 2 pread, 3 pwrite */
#define IO(iovs, n, out)                           \
  (kind == 0   ? raw_fd_read(fd, iovs, n, out)     \
   : kind == 1 ? raw_fd_write(fd, iovs, n, out)    \
   : kind == 2 ? raw_fd_pread(fd, iovs, n, 0, out) \
               : raw_fd_pwrite(fd, iovs, n, 0, out))
  fill();
  probe_untouched(fn, "iovs=WILD", IO(WILD, 1, A(ok)));
  fill();
  probe_untouched(fn, "iovs=END-4", IO(END - 4, 1, A(ok)));
  fill();
  probe_untouched(fn, "iovs_len=0xFFFFFFFF", IO(A(iov), 0xFFFFFFFFu, A(ok)));
  fill();
  probe_untouched(fn, "iovs_len=0x20000000", IO(A(iov), 0x20000000u, A(ok)));
  fill();
  probe_untouched(fn, "entry {WILD,32}", IO(one_iov(WILD, 32), 1, A(ok)));
  fill();
  probe_untouched(fn, "entry {END-1,2}", IO(one_iov(END - 1, 2), 1, A(ok)));
  fill();
  probe_untouched(fn, "entry {16,0xFFFFFFFF}", IO(one_iov(16, 0xFFFFFFFFu), 1, A(ok)));
  fill();
  probe_untouched(fn, "entry {0xFFFFFFFF,0}", IO(one_iov(0xFFFFFFFFu, 0), 1, A(ok)));
  iov[0] = (iov_t){A(ok2), 8};
  iov[1] = (iov_t){END - 8, 16};
  fill();
  probe_untouched(fn, "2nd entry {END-8,16}", IO(A(iov), 2, A(ok)));
  iov[0] = (iov_t){A(ok2), 0x80000000u};
  iov[1] = (iov_t){A(ok2), 0x80000000u};
  fill();
  probe_untouched(fn, "entries summing past 4G", IO(A(iov), 2, A(ok)));
  probe(fn, "nread/nwritten=END-3", IO(one_iov(A(ok2), 4), 1, END - 3));
  probe(fn, "nread/nwritten=WILD", IO(one_iov(A(ok2), 4), 1, WILD));
  probe(fn, "entry {END,0} (empty, at the end: valid)", IO(one_iov(END, 0), 1, A(ok)));
#undef IO
}

static void path1(const char *fn, u32 (*f)(u32, u32, u32)) {
  probe(fn, "path=WILD", f(SB, WILD, 16));
  probe(fn, "path=END-2,len 8", f(SB, END - 2, 8));
  probe(fn, "path len=0xFFFFFFFF", f(SB, A("file.txt"), 0xFFFFFFFFu));
  probe(fn, "path=0xFFFFFFFF,len 1", f(SB, 0xFFFFFFFFu, 1));
}

int main(void) {
  u32 e = raw_path_open(SB, 0, S("wild.txt"), O_CREAT_,
                        R_FD_READ | R_FD_WRITE | ((u64)1 << 2) | ((u64)1 << 3) | ((u64)1 << 5) |
                            ((u64)1 << 7) | ((u64)1 << 8) | ((u64)1 << 21) | ((u64)1 << 22) |
                            ((u64)1 << 23),
                        0, 0, A(&file));
  printf("setup open wild.txt: %s\n", ename(e));

  /* args / environ */
  fill();
  probe_untouched("args_sizes_get", "argc=ok size=WILD", raw_args_sizes_get(A(ok), WILD));
  fill();
  probe_untouched("args_sizes_get", "argc=END-2 size=ok", raw_args_sizes_get(END - 2, A(ok)));
  fill();
  probe_untouched("args_get", "argv=WILD buf=ok", raw_args_get(WILD, A(ok)));
  fill();
  probe_untouched("args_get", "argv=ok buf=END-1", raw_args_get(A(ok), END - 1));
  fill();
  probe_untouched("environ_sizes_get", "count=ok size=END", raw_environ_sizes_get(A(ok), END));
  fill();
  probe_untouched("environ_get", "env=END-2 buf=ok", raw_environ_get(END - 2, A(ok)));
  fill();
  probe_untouched("environ_get", "env=ok buf=WILD", raw_environ_get(A(ok), WILD));

  /* clocks */
  probe("clock_res_get", "out=END-4", raw_clock_res_get(0, END - 4));
  probe("clock_res_get", "out=0xFFFFFFFF", raw_clock_res_get(1, 0xFFFFFFFFu));
  probe("clock_res_get", "clock=0xFFFFFFFF", raw_clock_res_get(0xFFFFFFFFu, A(ok)));
  probe("clock_time_get", "out=END-7", raw_clock_time_get(1, 0, END - 7));
  probe("clock_time_get", "out=WILD", raw_clock_time_get(0, ~(u64)0, WILD));

  /* descriptor calls without pointers: wild values */
  probe("fd_advise", "offset+len wrap", raw_fd_advise(file, ~(u64)0, ~(u64)0, 0));
  probe("fd_advise", "advice=99", raw_fd_advise(file, 0, 0, 99));
  probe("fd_allocate", "offset=2^63 len=2^63", raw_fd_allocate(file, (u64)1 << 63, (u64)1 << 63));
  probe("fd_allocate", "offset=~0 len=1", raw_fd_allocate(file, ~(u64)0, 1));
  probe("fd_close", "fd=0xFFFFFFFF", raw_fd_close(0xFFFFFFFFu));
  probe("fd_datasync", "fd=65536", raw_fd_datasync(65536));
  probe("fd_fdstat_set_flags", "flags=0xFFFF", raw_fd_fdstat_set_flags(file, 0xFFFF));
  probe("fd_fdstat_set_rights", "rights=~0", raw_fd_fdstat_set_rights(file, ~(u64)0, ~(u64)0));
  probe("fd_filestat_set_size", "size=2^63", raw_fd_filestat_set_size(file, (u64)1 << 63));
  probe("fd_filestat_set_size", "size=~0", raw_fd_filestat_set_size(file, ~(u64)0));
  probe("fd_filestat_set_times", "flags=0xFFFF", raw_fd_filestat_set_times(file, 0, 0, 0xFFFF));
  probe("fd_filestat_set_times", "ATIM|ATIM_NOW", raw_fd_filestat_set_times(file, 0, 0, 1 | 2));
  probe("fd_renumber", "to=0xFFFFFFFF", raw_fd_renumber(file, 0xFFFFFFFFu));
  probe("fd_renumber", "from=0xFFFFFFFF", raw_fd_renumber(0xFFFFFFFFu, file));
  probe("fd_sync", "fd=0xFFFFFFFF", raw_fd_sync(0xFFFFFFFFu));
  probe("fd_seek", "whence=99", raw_fd_seek(file, 0, 99, A(ok)));
  probe("fd_seek", "SET -1", raw_fd_seek(file, ~(u64)0, 0, A(ok)));
  raw_fd_seek(file, 1, 0, A(ok));
  probe("fd_seek", "CUR 2^63-1 from 1", raw_fd_seek(file, ~(u64)0 >> 1, 1, A(ok)));
  raw_fd_seek(file, 0, 0, A(ok));

  /* descriptor calls with output pointers */
  fill();
  probe("fd_fdstat_get", "out=END-8", raw_fd_fdstat_get(1, END - 8));
  probe("fd_fdstat_get", "out=WILD", raw_fd_fdstat_get(SB, WILD));
  probe("fd_filestat_get", "out=END-32", raw_fd_filestat_get(file, END - 32));
  probe("fd_filestat_get", "out=0xFFFFFFC0", raw_fd_filestat_get(SB, 0xFFFFFFC0u));
  probe("fd_prestat_get", "out=END-4", raw_fd_prestat_get(SB, END - 4));
  probe("fd_prestat_get", "out=0xFFFFFFFF", raw_fd_prestat_get(SB, 0xFFFFFFFFu));
  probe("fd_prestat_dir_name", "buf=END-1 len=3", raw_fd_prestat_dir_name(SB, END - 1, 3));
  probe("fd_prestat_dir_name", "buf=WILD len=32", raw_fd_prestat_dir_name(SB, WILD, 32));
  probe("fd_prestat_dir_name", "buf=ok len=0xFFFFFFFF",
        raw_fd_prestat_dir_name(SB, A(ok), 0xFFFFFFFFu));
  probe("fd_seek", "out=END-4", raw_fd_seek(file, 0, 0, END - 4));
  probe("fd_seek", "out=WILD", raw_fd_seek(file, 0, 2, WILD));
  probe("fd_tell", "out=END-7", raw_fd_tell(file, END - 7));
  probe("fd_tell", "out=WILD", raw_fd_tell(file, WILD));
  probe("fd_readdir", "buf=END-10 len=100", raw_fd_readdir(SB, END - 10, 100, 0, A(ok)));
  probe("fd_readdir", "buf=WILD len=64", raw_fd_readdir(SB, WILD, 64, 0, A(ok)));
  probe("fd_readdir", "buf=ok len=0xFFFFFFFF", raw_fd_readdir(SB, A(ok), 0xFFFFFFFFu, 0, A(ok2)));
  probe("fd_readdir", "bufused=END-2", raw_fd_readdir(SB, A(ok2), 256, 0, END - 2));
  probe("fd_readdir", "cookie=~0", raw_fd_readdir(SB, A(ok2), 256, ~(u64)0, A(ok)));

  /* read/write families */
  io_probes("fd_read", 0, file);
  io_probes("fd_write", 1, file);
  io_probes("fd_pread", 2, file);
  io_probes("fd_pwrite", 3, file);
  io_probes("fd_write(stdout)", 1, 1);
  io_probes("fd_read(stdin)", 0, 0);
  probe("fd_pread", "offset=~0", raw_fd_pread(file, one_iov(A(ok2), 4), 1, ~(u64)0, A(ok)));
  probe("fd_pwrite", "offset=~0", raw_fd_pwrite(file, one_iov(A(ok2), 4), 1, ~(u64)0, A(ok)));

  /* path calls */
  path1("path_create_directory", raw_path_create_directory);
  path1("path_remove_directory", raw_path_remove_directory);
  path1("path_unlink_file", raw_path_unlink_file);
  probe("path_filestat_get", "path=WILD", raw_path_filestat_get(SB, 0, WILD, 8, A(ok)));
  probe("path_filestat_get", "path=END-4 len 8", raw_path_filestat_get(SB, 0, END - 4, 8, A(ok)));
  probe("path_filestat_get", "out=END-32", raw_path_filestat_get(SB, 0, S("file.txt"), END - 32));
  probe("path_filestat_get", "out=WILD", raw_path_filestat_get(SB, 0, S("file.txt"), WILD));
  probe("path_filestat_set_times", "path=WILD",
        raw_path_filestat_set_times(SB, 0, WILD, 8, 0, 0, 2 | 8));
  probe("path_filestat_set_times", "path len=0xFFFFFFFF",
        raw_path_filestat_set_times(SB, 0, A("file.txt"), 0xFFFFFFFFu, 0, 0, 2 | 8));
  probe("path_link", "old=WILD", raw_path_link(SB, 0, WILD, 8, SB, S("l1")));
  probe("path_link", "new=END-1 len 4", raw_path_link(SB, 0, S("file.txt"), SB, END - 1, 4));
  probe("path_link", "new len=0xFFFFFFFF",
        raw_path_link(SB, 0, S("file.txt"), SB, A("l2"), 0xFFFFFFFFu));
  probe("path_open", "path=WILD", raw_path_open(SB, 0, WILD, 8, 0, R_FD_READ, 0, 0, A(ok)));
  probe("path_open", "path=END-3 len 8",
        raw_path_open(SB, 0, END - 3, 8, 0, R_FD_READ, 0, 0, A(ok)));
  probe("path_open", "path len=0x7FFFFFFF",
        raw_path_open(SB, 0, A("file.txt"), 0x7FFFFFFFu, 0, R_FD_READ, 0, 0, A(ok)));
  probe("path_open", "fd out=END-2",
        raw_path_open(SB, 0, S("file.txt"), 0, R_FD_READ, 0, 0, END - 2));
  probe("path_open", "fd out=WILD", raw_path_open(SB, 0, S("file.txt"), 0, R_FD_READ, 0, 0, WILD));
  probe("path_open", "O_CREAT fd out=WILD",
        raw_path_open(SB, 0, S("created_by_wild_open"), O_CREAT_, R_FD_READ, 0, 0, WILD));
  {
    /* No descriptor leaked by the failed opens: the next one is file + 1. */
    u32 fd = 0;
    e = raw_path_open(SB, 0, S("file.txt"), 0, R_FD_READ, 0, 0, A(&fd));
    printf("path_open after the failures: %s, fd is %s\n", ename(e),
           fd == file + 1 ? "the next free one" : "NOT THE NEXT ONE (leak?)");
    raw_fd_close(fd);
  }
  probe("path_readlink", "path=WILD", raw_path_readlink(SB, WILD, 4, A(ok), 64, A(ok2)));
  probe("path_readlink", "buf=END-2 len 64", raw_path_readlink(SB, S("link"), END - 2, 64, A(ok2)));
  probe("path_readlink", "buf=WILD len 64", raw_path_readlink(SB, S("link"), WILD, 64, A(ok2)));
  probe("path_readlink", "buf len=0xFFFFFFFF",
        raw_path_readlink(SB, S("link"), A(ok), 0xFFFFFFFFu, A(ok2)));
  probe("path_readlink", "bufused=END", raw_path_readlink(SB, S("link"), A(ok), 64, END));
  probe("path_rename", "old=WILD", raw_path_rename(SB, WILD, 8, SB, S("r1")));
  probe("path_rename", "new=WILD", raw_path_rename(SB, S("file.txt"), SB, WILD, 8));
  probe("path_rename", "new len=0xFFFFFFFF",
        raw_path_rename(SB, S("file.txt"), SB, A("r2"), 0xFFFFFFFFu));
  probe("path_symlink", "target=WILD", raw_path_symlink(WILD, 8, SB, S("s1")));
  probe("path_symlink", "target len=0xFFFFFFFF",
        raw_path_symlink(A("x"), 0xFFFFFFFFu, SB, S("s2")));
  probe("path_symlink", "new=END-1 len 8", raw_path_symlink(S("x"), SB, END - 1, 8));

  /* poll_oneoff: one 1 ms clock subscription at ok2, events at ok */
  memset(ok2, 0, 48);
  ok2[8] = 0;  /* tag clock */
  ok2[16] = 1; /* clock id monotonic (u32 at 16) */
  u64 timeout = 1000000;
  memcpy(ok2 + 24, &timeout, 8);
  fill();
  probe_untouched("poll_oneoff", "in=WILD", raw_poll_oneoff(WILD, A(ok), 1, A(ok) + 32));
  fill();
  probe_untouched("poll_oneoff", "in=END-40", raw_poll_oneoff(END - 40, A(ok), 1, A(ok) + 32));
  probe("poll_oneoff", "out=END-16", raw_poll_oneoff(A(ok2), END - 16, 1, A(ok)));
  probe("poll_oneoff", "out=WILD", raw_poll_oneoff(A(ok2), WILD, 1, A(ok)));
  probe("poll_oneoff", "nsubs=0xFFFFFFFF", raw_poll_oneoff(A(ok2), A(ok), 0xFFFFFFFFu, A(ok) + 64));
  probe("poll_oneoff", "nsubs=0x05555556 (48*n wraps u32)",
        raw_poll_oneoff(A(ok2), A(ok), 0x05555556u, A(ok) + 64));
  probe("poll_oneoff", "nevents=END-2", raw_poll_oneoff(A(ok2), A(ok), 1, END - 2));
  probe("poll_oneoff", "nsubs=0", raw_poll_oneoff(A(ok2), A(ok), 0, A(ok) + 64));

  /* the rest */
  probe("random_get", "buf=END-4 len 16", raw_random_get(END - 4, 16));
  probe("random_get", "buf=WILD len 32", raw_random_get(WILD, 32));
  probe("random_get", "buf=ok len 0xFFFFFFFF", raw_random_get(A(ok), 0xFFFFFFFFu));
  probe("random_get", "buf=END len 0 (valid)", raw_random_get(END, 0));
  probe("proc_raise", "sig=9", raw_proc_raise(9));
  probe("proc_raise", "sig=0xFFFFFFFF", raw_proc_raise(0xFFFFFFFFu));
  probe("sched_yield", "", raw_sched_yield());
  probe("sock_accept", "fd=0 out=WILD", raw_sock_accept(0, 0, WILD));
  probe("sock_accept", "fd=3 out=END", raw_sock_accept(SB, 0, END));
  probe("sock_recv", "fd=0 iovs=WILD", raw_sock_recv(0, WILD, 1, 0, A(ok), A(ok2)));
  probe("sock_recv", "fd=0 outs=WILD", raw_sock_recv(0, one_iov(A(ok2), 4), 1, 0, WILD, WILD));
  probe("sock_send", "fd=1 iovs=WILD", raw_sock_send(1, WILD, 1, 0, A(ok)));
  probe("sock_send", "fd=1 entry {WILD,32}", raw_sock_send(1, one_iov(WILD, 32), 1, 0, A(ok)));
  probe("sock_shutdown", "fd=1 how=99", raw_sock_shutdown(1, 99));

  /* pyedge's own imports: a bad span is ignored (log) or yields 0 (version). */
  pyedge_log(1, WILD, 16);
  pyedge_log(1, END - 4, 8);
  pyedge_log(1, END - 4, 0xFFFFFFFFu);
  pyedge_log(2, A("valid\nline"), 10);
  printf("pyedge.version buf=WILD cap=32: %u\n", (unsigned)pyedge_version(WILD, 32));
  printf("pyedge.version buf=END-2 cap=32: %u\n", (unsigned)pyedge_version(END - 2, 32));
  printf("pyedge.version buf=ok cap=0: %s\n", pyedge_version(A(ok), 0) > 0 ? "full length" : "0");

  /* Bounds follow the memory as it grows: the old end becomes valid. */
  u32 old_end = END;
  printf("memory.grow 1 page: %s\n", __builtin_wasm_memory_grow(0, 1) >= 0 ? "ok" : "failed");
  probe("fd_fdstat_get", "out=old END (now valid)", raw_fd_fdstat_get(1, old_end));
  probe("fd_fdstat_get", "out=new END-8", raw_fd_fdstat_get(1, END - 8));

  /* Still alive and sane. */
  uint8_t st[24];
  printf("after all: fd_fdstat_get(1) %s\n", ename(raw_fd_fdstat_get(1, A(st))));
  return 0;
}
