/*
 * ro.c -- a read-only preopen refuses every change; reading works.
 *
 * Run as: pyedge run --ro-dir RO::/ro --dir RW::/rw ro.wasm. RO holds
 * file.txt ("ro-content"), sub/inner.txt, empty/ and link -> file.txt; RW is
 * an empty writable directory. Fd 3 is /ro, fd 4 is /rw. Every attempt
 * prints "label: RESULT"; run.sh also checks that RO is unchanged.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "_common.c"

#define RO 3u
#define RW 4u
#define R_FD_ALLOCATE ((u64)1 << 8)
#define R_FD_FILESTAT_SET_SIZE ((u64)1 << 22)
#define R_FD_FILESTAT_SET_TIMES ((u64)1 << 23)

static u32 fdstat_base(u32 fd, u64 *base, u64 *inh) {
  uint8_t st[24];
  u32 e = raw_fd_fdstat_get(fd, A(st));
  memcpy(base, st + 8, 8);
  memcpy(inh, st + 16, 8);
  return e;
}

static void read_fd(const char *label, u32 fd) {
  char buf[64] = {0};
  struct {
    u32 p, n;
  } iov = {A(buf), sizeof buf - 1};
  u32 n = 0;
  u32 e = raw_fd_read(fd, A(&iov), 1, A(&n));
  if (e)
    show(label, e);
  else {
    for (u32 i = 0; i < n; i++)
      if (buf[i] == '\n') buf[i] = '|';
    printf("%s: \"%s\"\n", label, buf);
  }
}

static void libc(const char *label, int r) {
  printf("libc %s: %s\n", label, r >= 0 ? "SUCCESS" : ename((u32)errno));
  errno = 0;
}

int main(void) {
  u64 base, inh;
  u32 e = fdstat_base(RO, &base, &inh);
  printf("ro preopen mutating rights: %s base=%s inheriting=%s\n", ename(e),
         (base & 0x07fffe00ull &
          ~((u64)1 << 13 | (u64)1 << 14 | (u64)1 << 15 | (u64)1 << 18 | (u64)1 << 21)) == 0
             ? "none"
             : "SOME",
         (inh & ((u64)1 << 6 | (u64)1 << 8 | (u64)1 << 9 | (u64)1 << 10 | (u64)1 << 22)) == 0
             ? "none"
             : "SOME");

  /* Reading works. */
  u32 fd = 0;
  e = raw_path_open(RO, LOOKUP_FOLLOW, S("file.txt"), 0, R_FD_READ, 0, 0, A(&fd));
  show("open file.txt for reading", e);
  read_fd("read file.txt", fd);
  u32 fdl = 0;
  e = raw_path_open(RO, LOOKUP_FOLLOW, S("link"), 0, R_FD_READ, 0, 0, A(&fdl));
  show("open link (-> file.txt)", e);
  read_fd("read link", fdl);
  {
    uint8_t st[64];
    show("stat sub/inner.txt", raw_path_filestat_get(RO, 0, S("sub/inner.txt"), A(st)));
    static uint8_t buf[4096];
    u32 used = 0;
    show("readdir", raw_fd_readdir(RO, A(buf), sizeof buf, 0, A(&used)));
    char l[64];
    show("readlink link", raw_path_readlink(RO, S("link"), A(l), sizeof l, A(&used)));
  }

  /* The open file: no write of any kind. */
  const char data[] = "OVERWRITTEN";
  struct {
    u32 p, n;
  } ciov = {A(data), sizeof data - 1};
  u32 n = 0;
  show("fd_write on it", raw_fd_write(fd, A(&ciov), 1, A(&n)));
  show("fd_pwrite on it", raw_fd_pwrite(fd, A(&ciov), 1, 0, A(&n)));
  show("fd_filestat_set_size 0", raw_fd_filestat_set_size(fd, 0));
  show("fd_allocate 0 4096", raw_fd_allocate(fd, 0, 4096));
  show("fd_filestat_set_times", raw_fd_filestat_set_times(fd, 1, 1, 1 | 4));
  show("fd_filestat_set_times now", raw_fd_filestat_set_times(fd, 0, 0, 2 | 8));
  show("fd_fdstat_set_rights +write", raw_fd_fdstat_set_rights(fd, R_FD_READ | R_FD_WRITE, 0));
  show("fd_fdstat_set_flags append", raw_fd_fdstat_set_flags(fd, 1));
  show("fd_write after those", raw_fd_write(fd, A(&ciov), 1, A(&n)));
  raw_fd_close(fd);

  /* Opening for writing: the rights are masked to what the directory can
   * pass on, so the descriptor cannot write. */
  u32 wfd = 0;
  e = raw_path_open(RO, 0, S("file.txt"), 0, R_FD_READ | R_FD_WRITE, 0, 0, A(&wfd));
  show("open file.txt asking for write", e);
  if (e == 0) {
    e = fdstat_base(wfd, &base, &inh);
    printf("  granted write: %s\n", (base & R_FD_WRITE) ? "YES" : "no");
    show("  fd_write", raw_fd_write(wfd, A(&ciov), 1, A(&n)));
    raw_fd_close(wfd);
  }
  e = raw_path_open(RO, 0, S("file.txt"), O_TRUNC_, R_FD_READ | R_FD_WRITE, 0, 0, A(&wfd));
  show("open file.txt O_TRUNC", e);
  e = raw_path_open(RO, 0, S("new.txt"), O_CREAT_, R_FD_READ | R_FD_WRITE, 0, 0, A(&wfd));
  show("open new.txt O_CREAT", e);
  e = raw_path_open(RO, 0, S("file.txt"), O_CREAT_, R_FD_READ, 0, 0, A(&wfd));
  show("open file.txt O_CREAT (exists)", e);

  /* Path operations. */
  show("mkdir newdir", raw_path_create_directory(RO, S("newdir")));
  show("mkdir sub/newdir", raw_path_create_directory(RO, S("sub/newdir")));
  show("unlink file.txt", raw_path_unlink_file(RO, S("file.txt")));
  show("unlink link", raw_path_unlink_file(RO, S("link")));
  show("rmdir empty", raw_path_remove_directory(RO, S("empty")));
  show("rename file.txt -> renamed", raw_path_rename(RO, S("file.txt"), RO, S("renamed")));
  show("rename sub/inner.txt -> inner", raw_path_rename(RO, S("sub/inner.txt"), RO, S("inner")));
  show("rename /ro file.txt -> /rw stolen", raw_path_rename(RO, S("file.txt"), RW, S("stolen")));
  show("rename /rw x -> /ro x", raw_path_rename(RW, S("x"), RO, S("x")));
  show("symlink file.txt -> sl", raw_path_symlink(S("file.txt"), RO, S("sl")));
  show("link file.txt -> hl", raw_path_link(RO, 0, S("file.txt"), RO, S("hl")));
  show("link /ro file.txt -> /rw hl", raw_path_link(RO, 0, S("file.txt"), RW, S("hl")));
  show("link /rw x -> /ro x", raw_path_link(RW, 0, S("x"), RO, S("x")));
  show("set_times file.txt", raw_path_filestat_set_times(RO, 0, S("file.txt"), 1, 1, 1 | 4));
  show("set_times link nofollow", raw_path_filestat_set_times(RO, 0, S("link"), 1, 1, 1 | 4));
  show("set_times . now", raw_path_filestat_set_times(RO, 0, S("."), 0, 0, 2 | 8));

  /* A subdirectory opened beneath: the same limits. */
  u32 sub = 0;
  e = raw_path_open(RO, 0, S("sub"), O_DIRECTORY_, RIGHTS_DIR, RIGHTS_ALL, 0, A(&sub));
  show("open dir sub asking for all rights", e);
  if (e == 0) {
    e = fdstat_base(sub, &base, &inh);
    printf("  sub inheriting write: %s\n", (inh & R_FD_WRITE) ? "YES" : "no");
    e = raw_path_open(sub, 0, S("made"), O_CREAT_, R_FD_READ | R_FD_WRITE, 0, 0, A(&wfd));
    show("  create sub/made", e);
    show("  unlink sub/inner.txt", raw_path_unlink_file(sub, S("inner.txt")));
    show("  fd_fdstat_set_rights +create",
         raw_fd_fdstat_set_rights(sub, base | ((u64)1 << 10), inh));
  }

  /* The same through wasi-libc. */
  errno = 0;
  FILE *f = fopen("/ro/file.txt", "r");
  char b[32] = {0};
  if (f) {
    fgets(b, sizeof b, f);
    fclose(f);
    b[strcspn(b, "\n")] = 0;
  }
  printf("libc fopen r: %s \"%s\"\n", f ? "SUCCESS" : ename((u32)errno), b);
  errno = 0;
  f = fopen("/ro/file.txt", "w");
  printf("libc fopen w: %s\n", f ? "SUCCESS" : ename((u32)errno));
  if (f) fclose(f);
  errno = 0;
  f = fopen("/ro/file.txt", "a");
  if (f) {
    int w = fputs("APPENDED", f);
    int c = fclose(f);
    printf("libc fopen a: SUCCESS fputs=%s fclose=%s\n", w >= 0 ? "ok" : "fail",
           c == 0 ? "ok" : ename((u32)errno));
  } else {
    printf("libc fopen a: %s\n", ename((u32)errno));
  }
  errno = 0;
  int h = open("/ro/file.txt", O_RDWR);
  if (h >= 0) {
    ssize_t w = write(h, "X", 1);
    printf("libc open O_RDWR: SUCCESS write=%s\n", w == 1 ? "WROTE" : ename((u32)errno));
    close(h);
  } else {
    libc("open O_RDWR", -1);
  }
  errno = 0;
  libc("open new O_CREAT", open("/ro/new2", O_CREAT | O_WRONLY, 0666));
  libc("mkdir", mkdir("/ro/d", 0777));
  libc("unlink", unlink("/ro/file.txt"));
  libc("rmdir", rmdir("/ro/empty"));
  libc("rename", rename("/ro/file.txt", "/ro/r"));
  libc("rename to /rw", rename("/ro/file.txt", "/rw/r"));
  libc("truncate", truncate("/ro/file.txt", 0));
  libc("symlink", symlink("x", "/ro/s"));
  libc("link", link("/ro/file.txt", "/rw/l"));
  struct timeval tv[2] = {{1, 0}, {1, 0}};
  libc("utimes", utimes("/ro/file.txt", tv));
  libc("chmod", chmod("/ro/file.txt", 0777));
  return 0;
}
