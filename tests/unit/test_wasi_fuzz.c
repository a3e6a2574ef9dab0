/*
 * test_wasi_fuzz.c -- a seeded random walk over the whole preview1 surface.
 *
 * Tens of thousands of calls with random descriptors, flags, rights, offsets
 * and paths built from hostile pieces ("..", "/", symlinks planted to point
 * out, names the walk itself creates), plus now and then a wild pointer.
 * Under ASan/UBSan this checks that nothing crashes or misbehaves; at the
 * end, the directory outside the sandbox and its parent must be exactly as
 * they were, and every result must have been a valid WASI errno.
 * (Blocking calls are left out: poll_oneoff has its own tests.)
 */
#include "test_wasi.h"

#define Z(fn) Z_wasi_snapshot_preview1Z_##fn

static uint64_t rng_state;

static uint64_t rnd(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 2685821657736338717ull;
}

static uint32_t pick(uint32_t n) { return (uint32_t)(rnd() % n); }

static const char *const pieces[] = {
    "a", "b", "dir", "file.txt", "l", "x", "..", ".", "", "up", "out", "nested.txt",
};
static const char *const targets[] = {
    "a",
    "../outside",
    "..",
    "/",
    "/etc",
    "file.txt",
    "dir/../..",
    "l",
    "b/../../outside/secret",
    "../../outside/secret",
    "x/y",
};

/* A random path: 1-4 pieces, maybe a leading or trailing slash. */
static void random_path(char *buf, size_t cap) {
  buf[0] = 0;
  int n = 1 + (int)pick(4);
  if (pick(16) == 0) strncat(buf, "/", cap - strlen(buf) - 1);
  for (int i = 0; i < n; i++) {
    if (i) strncat(buf, pick(8) ? "/" : "//", cap - strlen(buf) - 1);
    strncat(buf, pieces[pick(sizeof pieces / sizeof pieces[0])], cap - strlen(buf) - 1);
  }
  if (pick(8) == 0) strncat(buf, "/", cap - strlen(buf) - 1);
}

/* A guest pointer: usually `good`, sometimes wild. */
static uint32_t ptr(uint32_t good) {
  switch (pick(64)) {
    case 0: return TW_MEM_SIZE - 1;
    case 1: return 0xFFFFFFFFu;
    case 2: return 0xFFFFFFF8u;
    case 3: return TW_MEM_SIZE;
    default: return good;
  }
}

static uint32_t any_fd(void) {
  switch (pick(8)) {
    case 0: return pick(32) == 0 ? (uint32_t)rnd() : pick(14);
    case 1: return 5 + pick(9);
    case 2: return TW_RO;
    default: return TW_SB;
  }
}

/* A descriptor the walk may close, renumber or strip: never a preopen, or
 * the walk would soon lose its way in and only test EBADF. */
static uint32_t victim_fd(void) {
  uint32_t fd = any_fd();
  return fd == TW_SB || fd == TW_RO ? 5 + pick(9) : fd;
}

static unsigned successes[30];

static uint64_t any_rights(void) {
  switch (pick(4)) {
    case 0: return TW_ALL_RIGHTS;
    case 1: return rnd();
    case 2: return TW_ALL_RIGHTS & ~PE_WASI_RIGHTS_NEED_WRITE;
    default: return PE_WASI_RIGHT_FD_READ | PE_WASI_RIGHT_FD_SEEK;
  }
}

static void one_call(tw *t) {
  char p1[128], p2[128];
  random_path(p1, sizeof p1);
  random_path(p2, sizeof p2);
  uint32_t a = tw_str(t, p1), al = (uint32_t)strlen(p1);
  uint32_t b = tw_str(t, p2), bl = (uint32_t)strlen(p2);
  if (pick(64) == 0) al = (uint32_t)rnd(); /* wild length */
  uint32_t buf = tw_alloc(t, 512), out = tw_alloc(t, 64);
  uint32_t iov = tw_iov(t, ptr(buf), pick(4) ? pick(512) : (uint32_t)rnd());
  uint32_t fd = any_fd();
  uint32_t e = 0;
  uint32_t op = pick(30);
  switch (op) {
    case 0:
    case 1:
    case 2:
      e = Z(path_open)(t->w, fd, pick(16) ? pick(2) : pick(8), a, al,
                       pick(16) ? pick(16) & ~PE_WASI_O_DIRECTORY : pick(64), any_rights(),
                       any_rights(), pick(4) ? 0 : pick(40), ptr(out));
      break;
    case 3: e = Z(path_create_directory)(t->w, fd, a, al); break;
    case 4: e = Z(path_remove_directory)(t->w, fd, a, al); break;
    case 5: e = Z(path_unlink_file)(t->w, fd, a, al); break;
    case 6: {
      const char *tg = targets[pick(sizeof targets / sizeof targets[0])];
      e = Z(path_symlink)(t->w, tw_str(t, tg), (uint32_t)strlen(tg), fd, a, al);
      break;
    }
    case 7: e = Z(path_link)(t->w, fd, pick(8) ? 0 : pick(4), a, al, any_fd(), b, bl); break;
    case 8: e = Z(path_rename)(t->w, fd, a, al, any_fd(), b, bl); break;
    case 9: e = Z(path_filestat_get)(t->w, fd, pick(3), a, al, ptr(out)); break;
    case 10:
      e = Z(path_filestat_set_times)(t->w, fd, pick(3), a, al, 123ull * 1000000000u,
                                     123ull * 1000000000u, pick(20));
      break;
    case 11: e = Z(path_readlink)(t->w, fd, a, al, ptr(buf), pick(600), ptr(out)); break;
    case 12: e = Z(fd_write)(t->w, fd, ptr(iov), pick(3), ptr(out)); break;
    case 13: e = Z(fd_read)(t->w, fd, ptr(iov), pick(3), ptr(out)); break;
    case 14: e = Z(fd_pwrite)(t->w, fd, iov, 1, pick(4) ? pick(4096) : rnd(), ptr(out)); break;
    case 15: e = Z(fd_pread)(t->w, fd, iov, 1, pick(4) ? pick(4096) : rnd(), ptr(out)); break;
    case 16: e = Z(fd_seek)(t->w, fd, pick(2) ? pick(100) : rnd(), pick(4), ptr(out)); break;
    case 17:
      e = Z(fd_readdir)(t->w, fd, ptr(buf), pick(512), pick(2) ? 0 : rnd() >> 1, ptr(out));
      break;
    case 18: e = Z(fd_close)(t->w, victim_fd()); break;
    case 19: e = Z(fd_renumber)(t->w, victim_fd(), victim_fd()); break;
    case 20: e = Z(fd_fdstat_set_rights)(t->w, victim_fd(), any_rights(), any_rights()); break;
    case 21: e = Z(fd_filestat_set_size)(t->w, fd, pick(8) ? pick(70000) : rnd()); break;
    case 22: e = Z(fd_allocate)(t->w, fd, pick(1000), pick(8) ? pick(70000) : rnd()); break;
    case 23: e = Z(fd_fdstat_get)(t->w, fd, ptr(out)); break;
    case 24: e = Z(fd_filestat_get)(t->w, fd, ptr(out)); break;
    case 25: e = Z(fd_fdstat_set_flags)(t->w, fd, pick(40)); break;
    case 26: e = Z(fd_prestat_dir_name)(t->w, fd, ptr(buf), pick(8)); break;
    case 27: e = Z(fd_filestat_set_times)(t->w, fd, 123ull * 1000000000u, 0, pick(20)); break;
    case 28: e = Z(fd_advise)(t->w, fd, pick(100), pick(100), pick(8)); break;
    case 29: e = Z(sock_shutdown)(t->w, fd, pick(4)); break;
  }
  assert_true(e <= PE_WASI_ENOTCAPABLE);
  if (e == 0) successes[op]++;
}

static void test_random_walk(void **state) {
  tw *t = *state;
  /* plant attackers, including a directory symlink out and a link chain */
  char l[PATH_MAX];
  snprintf(l, sizeof l, "%s/sb/up", t->root);
  assert_int_equal(symlink("..", l), 0);
  snprintf(l, sizeof l, "%s/sb/out", t->root);
  assert_int_equal(symlink("../outside", l), 0);
  struct stat before;
  assert_int_equal(stat(tw_path(t, "outside/secret"), &before), 0);
  rng_state = 0x9E3779B97F4A7C15ull;
  for (int i = 0; i < 40000; i++) {
    one_call(t);
    t->brk = TW_HEAP;
  }
  /* the walk did real work: opens, creations, renames, links succeeded */
  assert_true(successes[0] + successes[1] + successes[2] > 100);
  for (int op = 3; op <= 8; op++)
    if (op != 7) assert_true(successes[op] > 5); /* path_link rarely finds a free name */
  /* outside: untouched */
  assert_string_equal(tw_slurp(t, "outside/secret"), "TOP SECRET");
  struct stat after;
  assert_int_equal(stat(tw_path(t, "outside/secret"), &after), 0);
  assert_int_equal(after.st_nlink, 1);
  assert_int_equal(after.st_size, before.st_size);
  assert_int_equal(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
  assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) = 3 && test $(ls -A '%s' | wc -l) = 1",
           t->root, t->outside);
  assert_int_equal(system(cmd), 0);
  /* the read-only preopen: untouched too */
  assert_string_equal(tw_slurp(t, "ro/data.txt"), "read only data");
  assert_string_equal(tw_slurp(t, "ro/sub/x"), "x");
  snprintf(cmd, sizeof cmd, "test $(find '%s' | wc -l) = 4", t->ro);
  assert_int_equal(system(cmd), 0);
  struct stat ro;
  assert_int_equal(stat(tw_path(t, "ro/data.txt"), &ro), 0);
  assert_true(ro.st_mtim.tv_sec > 123);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      TW_TEST(test_random_walk),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
