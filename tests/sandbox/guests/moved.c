/*
 * moved.c -- the host moves directories the guest holds open out of the
 * preopen; the descriptors must stay roots that `..` cannot climb out of.
 *
 * Run as: pyedge run --dir SB::/sb moved.wasm, SB holding sub/inner.txt.
 * The guest opens sub, creates SB/ready and waits (up to 10 s) for SB/go.
 * Meanwhile run.sh moves SB/sub to outside/moved (next to outside/secret)
 * and then SB itself to outside/sb, and creates go inside it. Then every
 * attempt to reach outside/secret through the moved descriptors must fail.
 */
#include <time.h>

#include "_common.c"

#define SB 3u

static void rd(const char *label, u32 dir, const char *path) {
  u32 fd = 0;
  u32 e = raw_path_open(dir, LOOKUP_FOLLOW, S(path), 0, R_FD_READ, 0, 0, A(&fd));
  if (e) {
    show(label, e);
    return;
  }
  char buf[64] = {0};
  struct {
    u32 p, n;
  } iov = {A(buf), sizeof buf - 1};
  u32 n = 0;
  raw_fd_read(fd, A(&iov), 1, A(&n));
  buf[strcspn(buf, "\n")] = 0;
  printf("%s: OPENED read=\"%s\"\n", label, buf);
  raw_fd_close(fd);
}

int main(void) {
  u32 sub = 0;
  u32 e = raw_path_open(SB, 0, S("sub"), O_DIRECTORY_, RIGHTS_DIR, RIGHTS_ALL, 0, A(&sub));
  show("open sub", e);
  u32 fd = 0;
  e = raw_path_open(SB, 0, S("ready"), O_CREAT_, R_FD_READ | R_FD_WRITE, 0, 0, A(&fd));
  show("create ready", e);
  raw_fd_close(fd);
  int waited = 0;
  for (;;) {
    uint8_t st[64];
    if (raw_path_filestat_get(SB, 0, S("go"), A(st)) == 0) break;
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
    if (++waited > 1000) {
      printf("go never appeared\n");
      return 1;
    }
  }
  printf("go seen\n");
  rd("sub-fd: inner.txt (still works)", sub, "inner.txt");
  rd("sub-fd: ../secret", sub, "../secret");
  rd("sub-fd: ..", sub, "..");
  rd("sub-fd: ./../secret", sub, "./../secret");
  rd("preopen: ../secret", SB, "../secret");
  rd("preopen: ../moved/inner.txt", SB, "../moved/inner.txt");
  rd("preopen: ..", SB, "..");
  show("sub-fd: symlink ../secret -> esc", raw_path_symlink(S("../secret"), sub, S("esc")));
  rd("sub-fd: esc", sub, "esc");
  show("sub-fd: rename inner.txt -> ../stolen",
       raw_path_rename(sub, S("inner.txt"), sub, S("../stolen")));
  show("sub-fd: link ../secret -> hl", raw_path_link(sub, 0, S("../secret"), sub, S("hl")));
  show("sub-fd: unlink ../secret", raw_path_unlink_file(sub, S("../secret")));
  return 0;
}
