/*
 * test_serve_out.c -- pe_out, the batched standard output of `pyedge up`:
 * every line from many threads arrives once, whole and in each thread's
 * order; a small batch is written by the flusher without any further call,
 * a full one at once by the writer, what is left at close; a long line
 * survives printf; a reader that went away costs nothing but the text.
 *
 * And pe_log, the component log files: a file is renamed to .1 before a
 * write would take it past its limit, so neither file ever exceeds it;
 * every write lands whole in one file, also from many threads at once; a
 * write larger than the limit keeps its head and says how much is left
 * out; a file left too large by an earlier run, or removed by someone
 * else, is rotated or recreated.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* ---- pe_log ------------------------------------------------------------------ */

#define LOG_MAX (64 * 1024)

static char log_dir[64];
static char log_path[128], log_old[160];

static int log_setup(void **state) {
  (void)state;
  snprintf(log_dir, sizeof log_dir, "/tmp/pe-log-test-XXXXXX");
  if (!mkdtemp(log_dir)) return -1;
  snprintf(log_path, sizeof log_path, "%s/c_stdout.txt", log_dir);
  snprintf(log_old, sizeof log_old, "%s.1", log_path);
  return 0;
}

static int log_teardown(void **state) {
  (void)state;
  unlink(log_path);
  unlink(log_old);
  rmdir(log_dir);
  return 0;
}

static off_t file_size(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 ? st.st_size : -1;
}

static char *slurp(const char *p, size_t *len) {
  int fd = open(p, O_RDONLY);
  assert_true(fd >= 0);
  char *t = read_file(fd, len);
  close(fd);
  return t;
}

/* A record: "<tag> <seq> " padded with '.' to n - 1 bytes, then '\n'. */
static void record(char *buf, size_t n, int tag, int seq) {
  int k = snprintf(buf, n, "%d %d ", tag, seq);
  memset(buf + k, '.', n - 1 - (size_t)k);
  buf[n - 1] = '\n';
}

/* Every record in file p has size n and is whole; *count of them; the
 * last sequence number of tag 0 in *last (-1: none). */
static void check_records(const char *p, size_t n, int *count, int *last) {
  size_t len;
  char *t = slurp(p, &len);
  assert_int_equal(len % n, 0);
  *count = (int)(len / n);
  *last = -1;
  for (size_t at = 0; at < len; at += n) {
    int tag, seq;
    assert_int_equal(sscanf(t + at, "%d %d ", &tag, &seq), 2);
    assert_int_equal(t[at + n - 1], '\n');
    if (tag == 0) *last = seq;
  }
  free(t);
}

static void test_log_rotates_at_the_limit(void **state) {
  (void)state;
  char err[256];
  pe_log *l = pe_log_open(log_path, LOG_MAX, err, sizeof err);
  assert_non_null(l);
  enum { N = 10000 }; /* 6.4 records a file: rotations, and writes that do not fill it */
  char rec[N];
  for (int i = 0; i < 40; i++) {
    record(rec, N, 0, i);
    pe_log_write(l, rec, N);
    assert_true(file_size(log_path) <= LOG_MAX);
    assert_true(file_size(log_old) <= LOG_MAX);
  }
  pe_log_write(l, rec, 0); /* nothing: no rotation, no empty write */
  pe_log_close(l);
  int cur, old, last_cur, last_old;
  check_records(log_path, N, &cur, &last_cur);
  check_records(log_old, N, &old, &last_old);
  /* 6 records fill a file (a 7th would pass 64 KiB): 36..39 here, 30..35 in .1 */
  assert_int_equal(cur, 40 % 6);
  assert_int_equal(old, 6);
  assert_int_equal(last_cur, 39);
  assert_int_equal(last_old, 35);
}

static void test_log_oversized_write(void **state) {
  (void)state;
  char err[256];
  pe_log *l = pe_log_open(log_path, LOG_MAX, err, sizeof err);
  assert_non_null(l);
  pe_log_write(l, "before\n", 7);
  size_t n = 200 * 1024;
  char *big = malloc(n);
  assert_non_null(big);
  memset(big, 'z', n);
  pe_log_write(l, big, n);
  pe_log_close(l);
  /* "before" went to .1; the big write keeps its head and a note */
  size_t len, olen;
  char *old = slurp(log_old, &olen);
  assert_int_equal(olen, 7);
  free(old);
  char *t = slurp(log_path, &len);
  assert_true(len <= LOG_MAX && len > LOG_MAX - 200);
  const char *note = strstr(t, "\n[pyedge: ");
  assert_non_null(note);
  size_t head = (size_t)(note - t);
  for (size_t i = 0; i < head; i++) assert_int_equal(t[i], 'z');
  char want[160];
  snprintf(want, sizeof want, "\n[pyedge: %zu more bytes not written: ", n - head);
  assert_memory_equal(note, want, strlen(want));
  assert_int_equal(t[len - 1], '\n');
  free(t);
  free(big);
}

static void test_log_left_too_large_or_removed(void **state) {
  (void)state;
  /* a file from a run with a larger limit: the first write rotates it */
  int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(fd >= 0);
  char junk[4096];
  memset(junk, 'j', sizeof junk);
  for (int i = 0; i < 30; i++) assert_int_equal(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
  close(fd);
  char err[256];
  pe_log *l = pe_log_open(log_path, LOG_MAX, err, sizeof err);
  assert_non_null(l);
  pe_log_write(l, "x\n", 2);
  assert_int_equal(file_size(log_old), 30 * 4096);
  assert_int_equal(file_size(log_path), 2);
  /* removed behind our back: recreated at the next rotation, not lost */
  assert_int_equal(unlink(log_path), 0);
  char rec[40000];
  memset(rec, 'r', sizeof rec);
  pe_log_write(l, rec, sizeof rec); /* into the unlinked file */
  pe_log_write(l, rec, sizeof rec); /* past the limit: rotation finds no file */
  pe_log_close(l);
  assert_int_equal(file_size(log_path), (off_t)sizeof rec);
  /* a path that cannot be opened is an error with its name */
  char bad[256];
  snprintf(bad, sizeof bad, "%s/no/such/dir/x.txt", log_dir);
  assert_null(pe_log_open(bad, LOG_MAX, err, sizeof err));
  assert_non_null(strstr(err, "no/such/dir"));
  pe_log_close(NULL);
}

#define LOG_THREADS 4
#define LOG_RECORDS 2000
#define LOG_REC 300

static pe_log *shared_log;

static void *log_writer(void *arg) {
  int tag = (int)(intptr_t)arg;
  char rec[LOG_REC];
  for (int i = 0; i < LOG_RECORDS; i++) {
    record(rec, sizeof rec, tag, i);
    pe_log_write(shared_log, rec, sizeof rec);
  }
  return NULL;
}

static void test_log_threads(void **state) {
  (void)state;
  char err[256];
  shared_log = pe_log_open(log_path, LOG_MAX, err, sizeof err);
  assert_non_null(shared_log);
  pthread_t t[LOG_THREADS];
  for (int i = 0; i < LOG_THREADS; i++)
    assert_int_equal(pthread_create(&t[i], NULL, log_writer, (void *)(intptr_t)i), 0);
  for (int i = 0; i < LOG_THREADS; i++) pthread_join(t[i], NULL);
  pe_log_close(shared_log);
  assert_true(file_size(log_path) <= LOG_MAX && file_size(log_old) <= LOG_MAX);
  int cur, old, last_cur, last_old;
  check_records(log_path, LOG_REC, &cur, &last_cur); /* whole records only */
  check_records(log_old, LOG_REC, &old, &last_old);
  assert_true(cur > 0 && old > 0);
}

int main(void) {
  alarm(120);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_threads_keep_their_order),
      cmocka_unit_test(test_flusher_writes_a_small_batch),
      cmocka_unit_test(test_full_batch_goes_at_once),
      cmocka_unit_test(test_close_writes_the_rest_and_long_lines),
      cmocka_unit_test(test_reader_gone),
      cmocka_unit_test_setup_teardown(test_log_rotates_at_the_limit, log_setup, log_teardown),
      cmocka_unit_test_setup_teardown(test_log_oversized_write, log_setup, log_teardown),
      cmocka_unit_test_setup_teardown(test_log_left_too_large_or_removed, log_setup, log_teardown),
      cmocka_unit_test_setup_teardown(test_log_threads, log_setup, log_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
