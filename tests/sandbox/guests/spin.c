/*
 * spin.c -- never finishes by itself (run under --timeout):
 *
 *   spin.wasm loop    a tight loop in guest code
 *   spin.wasm sleep   sleeps 100 s (poll_oneoff)
 *   spin.wasm stdin   reads stdin until end of file
 *   spin.wasm poll    poll_oneoff on stdin with no timeout
 *   spin.wasm write   writes to stdout until a write fails, then prints the
 *                     errno on stderr and exits 5 (stdout: a pipe that is
 *                     never read blocks; one without a reader fails)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

int main(int argc, char **argv) {
  const char *m = argc > 1 ? argv[1] : "";
  if (!strcmp(m, "loop")) {
    volatile unsigned long n = 0;
    for (;;) n++;
  }
  if (!strcmp(m, "sleep")) {
    struct timespec ts = {100, 0};
    nanosleep(&ts, NULL);
    printf("woke up\n");
    return 0;
  }
  if (!strcmp(m, "stdin")) {
    char buf[256];
    ssize_t n, total = 0;
    while ((n = read(0, buf, sizeof buf)) > 0) total += n;
    printf("stdin ended after %zd bytes\n", total);
    return 0;
  }
  if (!strcmp(m, "poll")) {
    __wasi_subscription_t sub;
    memset(&sub, 0, sizeof sub);
    sub.u.tag = __WASI_EVENTTYPE_FD_READ;
    sub.u.u.fd_read.file_descriptor = 0;
    __wasi_event_t ev;
    __wasi_size_t n = 0;
    __wasi_errno_t e = __wasi_poll_oneoff(&sub, &ev, 1, &n);
    printf("poll returned %u with %u events\n", (unsigned)e, (unsigned)n);
    return 0;
  }
  if (!strcmp(m, "write")) {
    static char buf[4096];
    memset(buf, 'x', sizeof buf);
    for (;;) {
      if (write(1, buf, sizeof buf) < 0) {
        fprintf(stderr, "write failed: errno %d (%s)\n", errno, errno == EPIPE ? "EPIPE" : "?");
        return 5;
      }
    }
  }
  fprintf(stderr, "usage: spin loop|sleep|stdin|poll|write\n");
  return 2;
}
