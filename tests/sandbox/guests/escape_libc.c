/*
 * escape_libc.c -- the same escapes as escape.c, through wasi-libc's POSIX
 * layer (open, fopen, stat, opendir, symlink, link, rename, chdir), which
 * maps absolute paths onto preopens and keeps a current directory.
 *
 * Run as: pyedge run --dir SB::/sb escape_libc.wasm (tree as for escape.c).
 * Prints "label: RESULT" per attempt; RESULT is the errno name, or OPENED and
 * what was read.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "_common.c"

static void rd(const char *path) {
  errno = 0;
  FILE *f = fopen(path, "r");
  if (!f) {
    printf("fopen %s: %s\n", path, ename((u32)errno));
    return;
  }
  char buf[128] = {0};
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  for (size_t i = 0; i < n; i++)
    if (buf[i] == '\n') buf[i] = '|';
  printf("fopen %s: OPENED read=\"%s\"\n", path, buf);
  fclose(f);
}

static void res(const char *what, const char *path, int r) {
  printf("%s %s: %s\n", what, path, r == 0 ? "SUCCESS" : ename((u32)errno));
}

static void ls(const char *path) {
  errno = 0;
  DIR *d = opendir(path);
  if (!d) {
    printf("opendir %s: %s\n", path, ename((u32)errno));
    return;
  }
  int outside = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, "outside") || !strcmp(e->d_name, "etc")) outside++;
  }
  closedir(d);
  printf("opendir %s: OPENED %s\n", path, outside ? "LISTS THE HOST" : "(its own entries)");
}

int main(void) {
  struct stat st;
  rd("/sb/file.txt");
  rd("/etc/passwd");
  rd("/sb/../outside/secret");
  rd("/sb/sub/../../outside/secret");
  rd("/sb/h_abs_secret");
  rd("/sb/h_rel_secret");
  rd("/sb/h_abs_dir/secret");
  rd("/sb/h_etc/passwd");
  rd("/sb/h_chain1");
  rd("/proc/self/environ");
  rd("/proc/self/mem");
  rd("/dev/stdin");
  rd("../outside/secret");
  errno = 0;
  res("stat", "/sb/h_abs_secret", stat("/sb/h_abs_secret", &st));
  res("stat", "/sb/..", stat("/sb/..", &st));
  res("stat", "/", stat("/", &st));
  ls("/");
  ls("/sb/..");
  ls("/sb/h_abs_dir");
  ls("/sb/h_root");
  res("symlink /etc ->", "/sb/l_abs", symlink("/etc", "/sb/l_abs"));
  res("symlink ../.. ->", "/sb/l_up", symlink("../..", "/sb/l_up"));
  rd("/sb/l_up/etc/passwd");
  res("link", "/sb/h_abs_secret -> /sb/l_hard", link("/sb/h_abs_secret", "/sb/l_hard"));
  rd("/sb/l_hard");
  res("link", "/sb/../outside/secret -> /sb/l_hard2", link("/sb/../outside/secret", "/sb/l_hard2"));
  res("rename", "/sb/file.txt -> /sb/../stolen", rename("/sb/file.txt", "/sb/../stolen"));
  res("rename", "/sb/h_abs_dir/secret -> /sb/got", rename("/sb/h_abs_dir/secret", "/sb/got"));
  res("unlink", "/sb/h_abs_dir/secret", unlink("/sb/h_abs_dir/secret"));
  res("mkdir", "/sb/../made", mkdir("/sb/../made", 0777));
  res("truncate", "/sb/h_abs_secret", truncate("/sb/h_abs_secret", 0));
  errno = 0;
  int fd = open("/sb/h_rel_dir/new", O_CREAT | O_WRONLY, 0666);
  res("open O_CREAT", "/sb/h_rel_dir/new", fd < 0 ? -1 : 0);
  /* With a current directory inside the preopen. */
  res("chdir", "/sb/sub", chdir("/sb/sub"));
  rd("../../outside/secret");
  rd("../file.txt");
  res("chdir", "..", chdir(".."));
  res("chdir", "..", chdir(".."));
  rd("outside/secret");
  res("chdir", "/sb/h_abs_dir", chdir("/sb/h_abs_dir"));
  rd("secret");
  /* openat on the preopen's descriptor directly. */
  errno = 0;
  fd = openat(3, "../outside/secret", O_RDONLY);
  res("openat(3)", "../outside/secret", fd < 0 ? -1 : 0);
  errno = 0;
  fd = openat(10, "secret", O_RDONLY);
  res("openat(10)", "secret", fd < 0 ? -1 : 0);
  char b[8];
  errno = 0;
  res("read(10)", "", read(10, b, sizeof b) < 0 ? -1 : 0);
  return 0;
}
