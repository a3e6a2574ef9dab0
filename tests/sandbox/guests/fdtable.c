/*
 * fdtable.c -- games with the descriptor table: renumbering onto itself and
 * over the preopen, path calls on non-directories, exhausting the table,
 * closing and reusing numbers, oversized poll_oneoff.
 *
 * Run as: pyedge run --dir SB::/sb fdtable.wasm </dev/null, SB holding
 * file.txt. Prints "label: RESULT" per step.
 */
#include "_common.c"

#define SB 3u

static u32 open_file(const char *p, u32 *fd) {
  return raw_path_open(SB, 0, S(p), 0, R_FD_READ | ((u64)1 << 2), 0, 0, A(fd));
}

int main(void) {
  uint8_t st[64];
  u32 f = 0, g = 0;
  show("open file.txt", open_file("file.txt", &f));
  show("renumber f -> f", raw_fd_renumber(f, f));
  show("fdstat f after self-renumber", raw_fd_fdstat_get(f, A(st)));
  show("renumber 3 -> 3", raw_fd_renumber(SB, SB));
  show("open beneath 3 after self-renumber", open_file("file.txt", &g));
  raw_fd_close(g);
  u32 fd2 = 0;
  show("path_open beneath a file fd", raw_path_open(f, 0, S("x"), 0, R_FD_READ, 0, 0, A(&fd2)));
  show("path_open .. beneath a file fd", raw_path_open(f, 0, S(".."), 0, R_FD_READ, 0, 0, A(&fd2)));
  show("path_filestat_get beneath stdout", raw_path_filestat_get(1, 0, S("x"), A(st)));

  /* Put a file over the preopen: fd 3 is then that file, not a directory. */
  u32 h = 0;
  open_file("file.txt", &h);
  show("renumber file -> 3", raw_fd_renumber(h, SB));
  show("fd_prestat_get 3 now", raw_fd_prestat_get(SB, A(st)));
  show("path_open beneath 3 now", raw_path_open(SB, 0, S("file.txt"), 0, R_FD_READ, 0, 0, A(&fd2)));
  char buf[16] = {0};
  struct {
    u32 p, n;
  } iov = {A(buf), 9};
  u32 n = 0;
  show("read 3 now", raw_fd_read(SB, A(&iov), 1, A(&n)));
  printf("read 3 now got: \"%s\"\n", buf);
  show("close 3", raw_fd_close(SB));
  show("close 3 again", raw_fd_close(SB));
  show("path_open beneath closed 3",
       raw_path_open(SB, 0, S("file.txt"), 0, R_FD_READ, 0, 0, A(&fd2)));

  /* poll_oneoff: the limit is 4096 subscriptions; more is EINVAL. */
  static uint8_t subs[4097 * 48], evs[4097 * 32];
  memset(subs, 0, sizeof subs);
  for (int i = 0; i < 4097; i++) {
    subs[i * 48 + 8] = 0;  /* clock */
    subs[i * 48 + 16] = 1; /* monotonic */
    u64 t = 1000;          /* 1 us */
    memcpy(subs + i * 48 + 24, &t, 8);
  }
  u32 ne = 0;
  show("poll_oneoff 4096 clocks", raw_poll_oneoff(A(subs), A(evs), 4096, A(&ne)));
  printf("poll_oneoff 4096 clocks: %u events\n", (unsigned)ne);
  show("poll_oneoff 4097 clocks", raw_poll_oneoff(A(subs), A(evs), 4097, A(&ne)));
  /* events overlapping the subscriptions */
  show("poll_oneoff events over subs", raw_poll_oneoff(A(subs), A(subs) + 8, 16, A(&ne)));

  /* Fill the table: stops with an error, and everything still works. */
  u32 last = 0, e = 0;
  int count = 0;
  for (int i = 0; i < 5000; i++) {
    u32 fd;
    e = raw_path_open(4, 0, S("file.txt"), 0, R_FD_READ, 0, 0, A(&fd));
    if (e) break;
    last = fd;
    count++;
  }
  printf("opened %s before %s; highest fd %s\n", count > 900 ? "900+" : "FEW", ename(e),
         last < 1024 ? "< 1024" : ">= 1024");
  for (u32 fd = 5; fd <= last; fd++) raw_fd_close(fd);
  show("open after closing them all",
       raw_path_open(4, 0, S("file.txt"), 0, R_FD_READ, 0, 0, A(&fd2)));
  printf("it is fd %u\n", (unsigned)fd2);
  return 0;
}
