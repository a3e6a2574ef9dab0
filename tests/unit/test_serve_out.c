/*
 * test_serve_out.c -- pe_out, the batched standard output of `pyedge up`:
 * every line from many threads arrives once, whole and in each thread's
 * order; a small batch is written by the flusher without any further call,
 * a full one at once by the writer, what is left at close; a long line
 * survives printf; a reader that went away costs nothing but the text.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pe_test.h"
#include "serve/pe_serve.h"

#define THREADS 4
#define LINES 5000

static pe_out *shared;

static void *writer(void *arg) {
  int id = (int)(intptr_t)arg;
  for (int i = 0; i < LINES; i++) pe_out_printf(shared, "t%d %d\n", id, i);
  return NULL;
}

static char *read_file(int fd, size_t *len) {
  off_t n = lseek(fd, 0, SEEK_END);
  assert_true(n >= 0);
  char *b = malloc((size_t)n + 1);
  assert_non_null(b);
  assert_int_equal(pread(fd, b, (size_t)n, 0), n);
  b[n] = 0;
  *len = (size_t)n;
  return b;
}

static int temp_file(void) {
  char path[] = "/tmp/pe-out-test-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  unlink(path);
  return fd;
}

static void test_threads_keep_their_order(void **state) {
  (void)state;
  int fd = temp_file();
  char err[128];
  shared = pe_out_open(fd, err, sizeof err);
  assert_non_null(shared);
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++)
    assert_int_equal(pthread_create(&t[i], NULL, writer, (void *)(intptr_t)i), 0);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  pe_out_close(shared);
  size_t len;
  char *text = read_file(fd, &len);
  int next[THREADS] = {0};
  int lines = 0;
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    int id, seq;
    assert_int_equal(sscanf(line, "t%d %d", &id, &seq), 2);
    assert_true(id >= 0 && id < THREADS);
    assert_int_equal(seq, next[id]); /* nothing lost, repeated or reordered */
    next[id]++;
    lines++;
  }
  assert_int_equal(lines, THREADS * LINES);
  free(text);
  close(fd);
}

static bool readable_within(int fd, int ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

static void test_flusher_writes_a_small_batch(void **state) {
  (void)state;
  int pipefd[2];
  assert_int_equal(pipe(pipefd), 0);
  char err[128];
  pe_out *o = pe_out_open(pipefd[1], err, sizeof err);
  assert_non_null(o);
  for (int round = 0; round < 3; round++) { /* also after the buffer emptied */
    pe_out_write(o, "GET / 200\n", 10);
    assert_true(readable_within(pipefd[0], 2000));
    char buf[64];
    assert_int_equal(read(pipefd[0], buf, sizeof buf), 10);
    assert_memory_equal(buf, "GET / 200\n", 10);
  }
  pe_out_close(o);
  close(pipefd[0]);
  close(pipefd[1]);
}

static void test_full_batch_goes_at_once(void **state) {
  (void)state;
  int pipefd[2];
  assert_int_equal(pipe(pipefd), 0);
  fcntl(pipefd[1], F_SETPIPE_SZ, 1 << 20);
  char err[128];
  pe_out *o = pe_out_open(pipefd[1], err, sizeof err);
  assert_non_null(o);
  size_t n = 40 * 1024;
  char *big = malloc(n);
  assert_non_null(big);
  memset(big, 'x', n);
  pe_out_write(o, big, n);
  /* written by this call, not 50 ms later by the flusher */
  assert_true(readable_within(pipefd[0], 0));
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(pipefd[0], big, n - got);
    assert_true(r > 0);
    got += (size_t)r;
  }
  pe_out_close(o);
  free(big);
  close(pipefd[0]);
  close(pipefd[1]);
}

static void test_close_writes_the_rest_and_long_lines(void **state) {
  (void)state;
  int fd = temp_file();
  char err[128];
  pe_out *o = pe_out_open(fd, err, sizeof err);
  assert_non_null(o);
  char path[3000];
  memset(path, 'p', sizeof path - 1);
  path[sizeof path - 1] = 0;
  pe_out_printf(o, "first\n");
  pe_out_printf(o, "GET /%s 200\n", path); /* longer than printf's stack line */
  pe_out_close(o);
  size_t len;
  char *text = read_file(fd, &len);
  assert_int_equal(len, 6 + 5 + strlen(path) + 5);
  assert_memory_equal(text, "first\nGET /", 11);
  assert_memory_equal(text + 11, path, strlen(path));
  assert_string_equal(text + 11 + strlen(path), " 200\n");
  free(text);
  close(fd);
}

static void test_reader_gone(void **state) {
  (void)state;
  signal(SIGPIPE, SIG_IGN); /* as the workers block it */
  int pipefd[2];
  assert_int_equal(pipe(pipefd), 0);
  close(pipefd[0]);
  char err[128];
  pe_out *o = pe_out_open(pipefd[1], err, sizeof err);
  assert_non_null(o);
  char big[40 * 1024];
  memset(big, 'y', sizeof big);
  pe_out_write(o, big, sizeof big); /* EPIPE in this thread */
  pe_out_write(o, "later\n", 6);    /* EPIPE in the flusher, or at close */
  pe_out_close(o);
  close(pipefd[1]);
  pe_out_close(NULL);
}

int main(void) {
  alarm(120);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_threads_keep_their_order),
      cmocka_unit_test(test_flusher_writes_a_small_batch),
      cmocka_unit_test(test_full_batch_goes_at_once),
      cmocka_unit_test(test_close_writes_the_rest_and_long_lines),
      cmocka_unit_test(test_reader_gone),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
