/*
 * sock.c -- pyedge hands out no sockets: every sock_* call on fds 0..5 (stdio,
 * a preopen, a regular file, a closed fd) fails.
 *
 * Run as: pyedge run --dir SB::/sb sock.wasm </dev/null, SB holding file.txt.
 */
#include "_common.c"

int main(void) {
  u32 f = 0;
  raw_path_open(3, 0, S("file.txt"), 0, R_FD_READ, 0, 0, A(&f));
  printf("file.txt is fd %u\n", (unsigned)f);
  static char buf[64];
  struct {
    u32 p, n;
  } iov = {A(buf), sizeof buf};
  for (u32 fd = 0; fd <= 5; fd++) {
    u32 nfd = 0, len = 0, fl = 0;
    u32 a = raw_sock_accept(fd, 0, A(&nfd));
    u32 r = raw_sock_recv(fd, A(&iov), 1, 0, A(&len), A(&fl));
    u32 s = raw_sock_send(fd, A(&iov), 1, 0, A(&len));
    u32 h = raw_sock_shutdown(fd, 3);
    printf("fd %u: accept %s, recv %s, send %s, shutdown %s\n", (unsigned)fd, ename(a), ename(r),
           ename(s), ename(h));
  }
  return 0;
}
