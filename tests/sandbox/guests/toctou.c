/*
 * toctou.c -- opens a path in a loop while the host swaps a directory on it
 * for a symlink that leads out of the preopen.
 *
 * Run as: pyedge run --dir SB::/sb toctou.wasm SECONDS. SB/swap is a
 * directory holding target ("inside"); run.sh's background loop keeps
 * replacing SB/swap by symlinks to outside/ (absolute and relative), whose
 * target holds the secret, and putting the directory back. The guest opens
 * swap/target (raw and through libc), and also swap itself then target
 * beneath that descriptor, and reads each file it gets. It prints counts and
 * "LEAK" lines if it ever reads anything but "inside".
 */
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "_common.c"

#define SB 3u

static long inside, fails, leaks, total, notcap;

static void check(u32 fd) {
  char buf[64] = {0};
  struct {
    u32 p, n;
  } iov = {A(buf), sizeof buf - 1};
  u32 n = 0;
  if (raw_fd_read(fd, A(&iov), 1, A(&n)) != 0) {
    fails++;
  } else if (!strncmp(buf, "inside", 6)) {
    inside++;
  } else {
    leaks++;
    buf[strcspn(buf, "\n")] = 0;
    if (leaks < 5) printf("LEAK: read \"%s\"\n", buf);
  }
  raw_fd_close(fd);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  double secs = argc > 1 ? atof(argv[1]) : 1.0;
  double end = now() + secs;
  while (now() < end) {
    for (int i = 0; i < 50; i++) {
      u32 fd;
      total++;
      u32 e = raw_path_open(SB, LOOKUP_FOLLOW, S("swap/target"), 0, R_FD_READ, 0, 0, A(&fd));
      if (e == 0) {
        check(fd);
      } else {
        fails++;
        notcap += e == 76;
      }
      total++;
      int h = open("/sb/swap/target", O_RDONLY);
      if (h >= 0)
        check((u32)h);
      else
        fails++;
      total++;
      u32 d;
      if (raw_path_open(SB, LOOKUP_FOLLOW, S("swap"), O_DIRECTORY_, RIGHTS_DIR, RIGHTS_ALL, 0,
                        A(&d)) == 0) {
        if (raw_path_open(d, LOOKUP_FOLLOW, S("target"), 0, R_FD_READ, 0, 0, A(&fd)) == 0)
          check(fd);
        else
          fails++;
        raw_fd_close(d);
      } else {
        fails++;
      }
    }
  }
  printf("attempts %ld, read inside %ld, failed %ld (ENOTCAPABLE %ld), leaked %ld\n", total, inside,
         fails, notcap, leaks);
  /* Both states must have been seen for the race to mean anything. */
  printf("%s\n", leaks ? "LEAKED" : inside > 0 && notcap > 0 ? "RACE HELD" : "RACE NOT EXERCISED");
  return leaks ? 1 : 0;
}
