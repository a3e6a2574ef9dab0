/*
 * test_wasi_escape.c -- every way out of the sandbox we could think of must
 * fail, for every path call, and leave the outside untouched.
 *
 * The tree (see test_wasi.h) has <tmp>/outside/secret next to the preopen
 * <tmp>/sb. Each test plants hostile symlinks inside sb from the host side
 * and then attacks through the WASI calls. After every test, outside/ must
 * still hold exactly `secret`, with its content, and <tmp> nothing new.
 */
#include "test_wasi.h"

#include <dirent.h>

static void plant(tw *t, const char *target, const char *link) {
  char l[PATH_MAX];
  snprintf(l, sizeof l, "%s/%s", t->root, link);
  assert_int_equal(symlink(target, l), 0);
}

static int count_entries(const char *dir) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
  closedir(d);
  return n;
}

static void assert_outside_intact(tw *t, int root_entries) {
  assert_string_equal(tw_slurp(t, "outside/secret"), "TOP SECRET");
  assert_int_equal(count_entries(t->outside), 1);
  assert_int_equal(count_entries(t->root), root_entries);
  struct stat st;
  assert_int_equal(stat(tw_path(t, "outside/secret"), &st), 0);
  assert_int_equal(st.st_nlink, 1);            /* no hard link was made to it */
  assert_true(st.st_mtim.tv_sec > 1000000000); /* times untouched (set_times uses 1e9) */
}

/* The hostile links planted for most tests. */
static void plant_all(tw *t) {
  char abs_secret[PATH_MAX], abs_inside[PATH_MAX];
  snprintf(abs_secret, sizeof abs_secret, "%s/outside/secret", t->root);
  snprintf(abs_inside, sizeof abs_inside, "%s/sb/file.txt", t->root);
  plant(t, "/etc/passwd", "sb/abs_passwd");
  plant(t, abs_secret, "sb/abs_secret");
  plant(t, abs_inside, "sb/abs_inside"); /* absolute, even if it points inside */
  plant(t, "/", "sb/to_root");
  plant(t, "../outside/secret", "sb/rel_secret");
  plant(t, "../outside", "sb/rel_outside");
  plant(t, "../..", "sb/up2");
  plant(t, "..", "sb/up1");
  plant(t, "../../outside", "sb/dir/deep");
  plant(t, "c2", "sb/c1"); /* c1 -> c2 -> dir/c3 -> ../../outside/secret */
  plant(t, "dir/c3", "sb/c2");
  plant(t, "../../outside/secret", "sb/dir/c3");
  plant(t, "../../sb/file.txt", "sb/dir/out_and_back"); /* leaves, then re-enters */
  plant(t, "../file.txt", "sb/dir/ok");                 /* stays inside: allowed */
  plant(t, "/proc/self/root", "sb/magic");
}

/* Paths that name something outside, directly or through the links above. */
static const char *const escapes[] = {
    "..",
    "../outside/secret",
    "/etc/passwd",
    "/",
    "//etc",
    "dir/../../outside/secret",
    "dir/../..",
    "./../outside",
    "dir/./../../outside/secret",
    "abs_passwd",
    "abs_secret",
    "abs_inside",
    "to_root",
    "to_root/etc/passwd",
    "rel_secret",
    "rel_outside/secret",
    "up2",
    "up2/outside/secret",
    "up1",
    "up1/outside/secret",
    "dir/deep/secret",
    "c1",
    "dir/out_and_back",
    "magic",
    "magic/etc/passwd",
};
#define NESCAPES (sizeof escapes / sizeof escapes[0])

static void test_open_and_stat_refused(void **state) {
  tw *t = *state;
  plant_all(t);
  for (size_t i = 0; i < NESCAPES; i++) {
    const char *p = escapes[i];
    uint32_t fd;
    uint8_t type;
    /* following symlinks: the strongest form of each attack */
    uint32_t e = tw_open_simple(t, TW_SB, p, 0, &fd);
    if (e != PE_WASI_ENOTCAPABLE) fail_msg("path_open %s: %u", p, e);
    e = tw_open(t, TW_SB, PE_WASI_LOOKUP_SYMLINK_FOLLOW, p, PE_WASI_O_CREAT | PE_WASI_O_TRUNC,
                PE_WASI_RIGHT_FD_WRITE, 0, 0, &fd);
    if (e != PE_WASI_ENOTCAPABLE) fail_msg("path_open creat|trunc %s: %u", p, e);
    e = tw_open(t, TW_SB, PE_WASI_LOOKUP_SYMLINK_FOLLOW, p, PE_WASI_O_DIRECTORY, 0, 0, 0, &fd);
    if (e != PE_WASI_ENOTCAPABLE) fail_msg("path_open dir %s: %u", p, e);
    e = tw_stat(t, TW_SB, PE_WASI_LOOKUP_SYMLINK_FOLLOW, p, &type, NULL);
    if (e != PE_WASI_ENOTCAPABLE) fail_msg("path_filestat_get %s: %u", p, e);
    uint32_t pp = tw_str(t, p);
    e = Z_wasi_snapshot_preview1Z_path_filestat_set_times(t->w, TW_SB,
                                                          PE_WASI_LOOKUP_SYMLINK_FOLLOW, pp,
                                                          (uint32_t)strlen(p), 0, 1000000000ull,
                                                          PE_WASI_FST_MTIM);
    if (e != PE_WASI_ENOTCAPABLE) fail_msg("path_filestat_set_times %s: %u", p, e);
    t->brk = TW_HEAP;
  }
  assert_outside_intact(t, 3);
}

static void test_name_ops_refused(void **state) {
  tw *t = *state;
  plant_all(t);
  /* every escape as the parent of a new or existing name */
  static const char *const parents[] = {"..",        "up2",           "up1",
                                        "to_root",   "rel_outside",   "dir/deep",
                                        "dir/../..", "abs_inside/..", "magic"};
  for (size_t i = 0; i < sizeof parents / sizeof parents[0]; i++) {
    char p[256], q[256];
    snprintf(p, sizeof p, "%s/newdir", parents[i]);
    snprintf(q, sizeof q, "%s/secret", parents[i]);
    uint32_t e;
    if ((e = tw_mkdir(t, TW_SB, p)) != PE_WASI_ENOTCAPABLE) fail_msg("mkdir %s: %u", p, e);
    if ((e = tw_unlink(t, TW_SB, q)) != PE_WASI_ENOTCAPABLE) fail_msg("unlink %s: %u", q, e);
    if ((e = tw_rmdir(t, TW_SB, p)) != PE_WASI_ENOTCAPABLE) fail_msg("rmdir %s: %u", p, e);
    if ((e = tw_symlink(t, "x", TW_SB, p)) != PE_WASI_ENOTCAPABLE) fail_msg("symlink %s: %u", p, e);
    if ((e = tw_rename(t, TW_SB, "file.txt", TW_SB, p)) != PE_WASI_ENOTCAPABLE)
      fail_msg("rename to %s: %u", p, e);
    if ((e = tw_rename(t, TW_SB, q, TW_SB, "stolen")) != PE_WASI_ENOTCAPABLE)
      fail_msg("rename from %s: %u", q, e);
    if ((e = tw_link(t, TW_SB, 0, "file.txt", TW_SB, p)) != PE_WASI_ENOTCAPABLE)
      fail_msg("link to %s: %u", p, e);
    if ((e = tw_link(t, TW_SB, 0, q, TW_SB, "hard")) != PE_WASI_ENOTCAPABLE)
      fail_msg("link from %s: %u", q, e);
    char buf[64];
    if ((e = tw_readlink(t, TW_SB, q, buf, 64)) != PE_WASI_ENOTCAPABLE)
      fail_msg("readlink %s: %u", q, e);
    t->brk = TW_HEAP;
  }
  assert_false(tw_exists(t, "sb/stolen"));
  assert_false(tw_exists(t, "sb/hard"));
  assert_true(tw_exists(t, "sb/file.txt"));
  assert_outside_intact(t, 3);
}

static void test_dot_names_at_the_root(void **state) {
  tw *t = *state;
  /* ".." as the last component of a path at the preopen root names the
   * directory above the sandbox: never passed to an *at() call. */
  assert_int_equal(tw_rmdir(t, TW_SB, ".."), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_rmdir(t, TW_SB, "dir/../.."), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_unlink(t, TW_SB, ".."), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_mkdir(t, TW_SB, ".."), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_symlink(t, "x", TW_SB, ".."), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_rename(t, TW_SB, "..", TW_SB, "x"), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_rename(t, TW_SB, "dir", TW_SB, ".."), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_link(t, TW_SB, 0, "..", TW_SB, "x"), PE_WASI_ENOTCAPABLE);
  uint8_t type;
  assert_int_equal(tw_stat(t, TW_SB, 0, "..", &type, NULL), PE_WASI_ENOTCAPABLE);
  uint32_t p = tw_str(t, "..");
  assert_int_equal(Z_wasi_snapshot_preview1Z_path_filestat_set_times(t->w, TW_SB, 0, p, 2, 0,
                                                                     1000000000ull,
                                                                     PE_WASI_FST_MTIM),
                   PE_WASI_ENOTCAPABLE);
  struct stat st;
  assert_int_equal(stat(t->root, &st), 0);
  assert_true(st.st_mtim.tv_sec > 1000000000);
  /* "." at the root is the sandbox itself: allowed where harmless */
  assert_int_equal(tw_stat(t, TW_SB, 0, ".", &type, NULL), 0);
  assert_int_equal(tw_rmdir(t, TW_SB, "."), PE_WASI_EINVAL);
  assert_true(tw_exists(t, "sb"));
  assert_outside_intact(t, 3);
}

static void test_subdirectory_fd_is_its_own_root(void **state) {
  tw *t = *state;
  uint32_t dfd;
  assert_int_equal(tw_open(t, TW_SB, 0, "dir", PE_WASI_O_DIRECTORY, PE_WASI_RIGHTS_DIR_BASE,
                           TW_ALL_RIGHTS, 0, &dfd),
                   0);
  uint32_t fd;
  assert_int_equal(tw_open_simple(t, dfd, "nested.txt", 0, &fd), 0);
  /* still inside the preopen, but above the descriptor: refused */
  assert_int_equal(tw_open_simple(t, dfd, "../file.txt", 0, &fd), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_unlink(t, dfd, "../file.txt"), PE_WASI_ENOTCAPABLE);
  plant(t, "../file.txt", "sb/dir/ok");
  assert_int_equal(tw_open_simple(t, dfd, "ok", 0, &fd), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_open_simple(t, TW_SB, "dir/ok", 0, &fd), 0); /* from the root: fine */
  char buf[32];
  assert_int_equal(tw_read(t, fd, 32, buf), 0);
  assert_string_equal(buf, "hello world");
}

static void test_symlink_creation(void **state) {
  tw *t = *state;
  /* absolute targets are refused outright */
  assert_int_equal(tw_symlink(t, "/", TW_SB, "l1"), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_symlink(t, "/etc/passwd", TW_SB, "l1"), PE_WASI_ENOTCAPABLE);
  assert_false(tw_exists(t, "sb/l1"));
  /* relative targets that climb out can be created but never followed */
  assert_int_equal(tw_symlink(t, "../outside/secret", TW_SB, "l2"), 0);
  assert_int_equal(tw_symlink(t, "../../../../../../../../etc/passwd", TW_SB, "dir/l3"), 0);
  char buf[128];
  assert_int_equal(tw_readlink(t, TW_SB, "l2", buf, sizeof buf), 0);
  assert_string_equal(buf, "../outside/secret");
  uint32_t fd;
  assert_int_equal(tw_open_simple(t, TW_SB, "l2", 0, &fd), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_open_simple(t, TW_SB, "dir/l3", 0, &fd), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_open(t, TW_SB, PE_WASI_LOOKUP_SYMLINK_FOLLOW, "l2",
                           PE_WASI_O_CREAT | PE_WASI_O_TRUNC, PE_WASI_RIGHT_FD_WRITE, 0, 0, &fd),
                   PE_WASI_ENOTCAPABLE);
  /* a dangling link pointing out: creating through it is refused too */
  assert_int_equal(tw_symlink(t, "../outside/new_file", TW_SB, "l4"), 0);
  assert_int_equal(tw_open(t, TW_SB, PE_WASI_LOOKUP_SYMLINK_FOLLOW, "l4", PE_WASI_O_CREAT,
                           PE_WASI_RIGHT_FD_WRITE, 0, 0, &fd),
                   PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_symlink(t, "../outside", TW_SB, "l5"), 0);
  assert_int_equal(tw_mkdir(t, TW_SB, "l5/x"), PE_WASI_ENOTCAPABLE);
  /* the links themselves can be removed, without touching their targets */
  assert_int_equal(tw_unlink(t, TW_SB, "l2"), 0);
  assert_int_equal(tw_unlink(t, TW_SB, "l5"), 0);
  assert_outside_intact(t, 3);
}

static void test_hard_link_to_outside(void **state) {
  tw *t = *state;
  plant_all(t);
  /* The source is resolved beneath the source directory: no way to name an
   * outside file, with or without symlinks in the way. */
  assert_int_equal(tw_link(t, TW_SB, 0, "../outside/secret", TW_SB, "h"), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_link(t, TW_SB, 0, "dir/deep/secret", TW_SB, "h"), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_link(t, TW_SB, 0, "rel_outside/secret", TW_SB, "h"), PE_WASI_ENOTCAPABLE);
  /* Linking a symlink that points out copies the link, not the file. */
  assert_int_equal(tw_link(t, TW_SB, 0, "rel_secret", TW_SB, "h"), 0);
  uint32_t fd;
  assert_int_equal(tw_open_simple(t, TW_SB, "h", 0, &fd), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_link(t, TW_SB, PE_WASI_LOOKUP_SYMLINK_FOLLOW, "rel_secret", TW_SB, "h2"),
                   PE_WASI_EINVAL);
  /* Nor can the new name be put outside. */
  assert_int_equal(tw_link(t, TW_SB, 0, "file.txt", TW_SB, "../outside/h"), PE_WASI_ENOTCAPABLE);
  assert_outside_intact(t, 3);
}

static void test_rename_out(void **state) {
  tw *t = *state;
  plant_all(t);
  assert_int_equal(tw_rename(t, TW_SB, "file.txt", TW_SB, "../outside/got"), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_rename(t, TW_SB, "file.txt", TW_SB, "rel_outside/got"), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_rename(t, TW_SB, "../outside/secret", TW_SB, "got"), PE_WASI_ENOTCAPABLE);
  /* renaming a symlink that points out moves the link only */
  assert_int_equal(tw_rename(t, TW_SB, "rel_secret", TW_SB, "moved"), 0);
  uint32_t fd;
  assert_int_equal(tw_open_simple(t, TW_SB, "moved", 0, &fd), PE_WASI_ENOTCAPABLE);
  /* renaming the preopen itself away is not possible from inside */
  assert_int_equal(tw_rename(t, TW_SB, ".", TW_SB, "dir/x"), PE_WASI_EBUSY);
  assert_true(tw_exists(t, "sb/file.txt"));
  assert_outside_intact(t, 3);
}

static void test_swapped_directory(void **state) {
  tw *t = *state;
  /* The guest holds a descriptor for sb/dir; the host (or another guest)
   * then replaces sb/dir with a symlink to outside. The descriptor still
   * means the original directory, and the path through the new symlink is
   * refused: no check-then-use window to race. */
  uint32_t dfd;
  assert_int_equal(tw_open(t, TW_SB, 0, "dir", PE_WASI_O_DIRECTORY, PE_WASI_RIGHTS_DIR_BASE,
                           TW_ALL_RIGHTS, 0, &dfd),
                   0);
  char from[PATH_MAX], to[PATH_MAX];
  snprintf(from, sizeof from, "%s/sb/dir", t->root);
  snprintf(to, sizeof to, "%s/sb/dir_orig", t->root);
  assert_int_equal(rename(from, to), 0);
  plant(t, "../outside", "sb/dir");
  uint32_t fd;
  char buf[32];
  assert_int_equal(tw_open_simple(t, dfd, "nested.txt", 0, &fd), 0);
  assert_int_equal(tw_read(t, fd, 32, buf), 0);
  assert_string_equal(buf, "nested");
  assert_int_equal(tw_open_simple(t, dfd, "secret", 0, &fd), PE_WASI_ENOENT);
  assert_int_equal(tw_open_simple(t, TW_SB, "dir/secret", 0, &fd), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_unlink(t, TW_SB, "dir/secret"), PE_WASI_ENOTCAPABLE);
  assert_outside_intact(t, 3);
}

static void test_preopen_through_symlink(void **state) {
  tw *t = *state;
  /* The host names the preopen through a symlink: it is the symlink's
   * target that becomes the root, and ".." still stops there. */
  plant(t, "sb", "via");
  pe_wasi_preopen po = {.host_path = tw_path(t, "via"), .guest_path = "/"};
  pe_wasi_config cfg = {.npreopens = 1,
                        .preopens = &po,
                        .stdin_null = true,
                        .stdout_mode = PE_WASI_STDIO_NULL,
                        .stderr_mode = PE_WASI_STDIO_NULL};
  pe_wasi_free(t->w);
  t->w = tw_new_ctx(t, &cfg);
  uint32_t fd;
  char buf[32];
  assert_int_equal(tw_open_simple(t, 3, "file.txt", 0, &fd), 0);
  assert_int_equal(tw_read(t, fd, 32, buf), 0);
  assert_string_equal(buf, "hello world");
  assert_int_equal(tw_open_simple(t, 3, "../outside/secret", 0, &fd), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_open_simple(t, 3, "../via/file.txt", 0, &fd), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_open_simple(t, 3, "..", 0, &fd), PE_WASI_ENOTCAPABLE);
  assert_outside_intact(t, 4);
}

static void test_bad_path_strings(void **state) {
  tw *t = *state;
  uint32_t fd;
  uint32_t out = tw_alloc(t, 4);
  /* embedded NUL: refused, never truncated to "file.txt" */
  uint32_t p = tw_alloc(t, 32);
  memcpy(tw_at(t, p), "file.txt\0../../outside/secret", 29);
  assert_int_equal(Z_wasi_snapshot_preview1Z_path_open(t->w, TW_SB, 0, p, 29, 0,
                                                       PE_WASI_RIGHT_FD_READ, 0, 0, out),
                   PE_WASI_EINVAL);
  assert_int_equal(Z_wasi_snapshot_preview1Z_path_open(t->w, TW_SB, 0, p, 9, 0,
                                                       PE_WASI_RIGHT_FD_READ, 0, 0, out),
                   PE_WASI_EINVAL); /* trailing NUL */
  assert_int_equal(Z_wasi_snapshot_preview1Z_path_unlink_file(t->w, TW_SB, p, 9), PE_WASI_EINVAL);
  assert_true(tw_exists(t, "sb/file.txt"));
  /* empty */
  assert_int_equal(Z_wasi_snapshot_preview1Z_path_open(t->w, TW_SB, 0, p, 0, 0, 0, 0, 0, out),
                   PE_WASI_ENOENT);
  /* too long: 4097 bytes, and exactly 4096 (left to the kernel) */
  uint32_t big = tw_alloc(t, 5000);
  memset(tw_at(t, big), 'a', 5000);
  assert_int_equal(Z_wasi_snapshot_preview1Z_path_open(t->w, TW_SB, 0, big, 4097, 0, 0, 0, 0, out),
                   PE_WASI_ENAMETOOLONG);
  assert_int_equal(Z_wasi_snapshot_preview1Z_path_create_directory(t->w, TW_SB, big, 4097),
                   PE_WASI_ENAMETOOLONG);
  assert_int_equal(Z_wasi_snapshot_preview1Z_path_open(t->w, TW_SB, 0, big, 4096, 0, 0, 0, 0, out),
                   PE_WASI_ENAMETOOLONG); /* one 4096-byte component: the kernel says so */
  for (int i = 1; i < 4096; i += 2) tw_at(t, big)[i] = '/';
  assert_int_equal(Z_wasi_snapshot_preview1Z_path_open(t->w, TW_SB, 0, big, 4095, 0, 0, 0, 0, out),
                   PE_WASI_ENOENT);
  assert_int_equal(Z_wasi_snapshot_preview1Z_path_symlink(t->w, big, 4097, TW_SB, p, 4),
                   PE_WASI_ENAMETOOLONG);
  (void)fd;
  assert_outside_intact(t, 3);
}

static void test_non_directory_bases(void **state) {
  tw *t = *state;
  uint32_t fd, ffd;
  assert_int_equal(tw_open_simple(t, TW_SB, "file.txt", 0, &ffd), 0);
  for (uint32_t base = 0; base < 8; base++) {
    uint32_t d = base < 3 ? base : base == 3 ? ffd : 100 + base;
    uint32_t want = base < 4 ? PE_WASI_ENOTDIR : PE_WASI_EBADF;
    assert_int_equal(tw_open_simple(t, d, "x", 0, &fd), want);
    assert_int_equal(tw_mkdir(t, d, "x"), want);
    assert_int_equal(tw_unlink(t, d, "x"), want);
    assert_int_equal(tw_symlink(t, "a", d, "x"), want);
    assert_int_equal(tw_rename(t, TW_SB, "file.txt", d, "x"), want);
    assert_int_equal(tw_link(t, d, 0, "x", TW_SB, "y"), want);
  }
  assert_true(tw_exists(t, "sb/file.txt"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      TW_TEST(test_open_and_stat_refused),
      TW_TEST(test_name_ops_refused),
      TW_TEST(test_dot_names_at_the_root),
      TW_TEST(test_subdirectory_fd_is_its_own_root),
      TW_TEST(test_symlink_creation),
      TW_TEST(test_hard_link_to_outside),
      TW_TEST(test_rename_out),
      TW_TEST(test_swapped_directory),
      TW_TEST(test_preopen_through_symlink),
      TW_TEST(test_bad_path_strings),
      TW_TEST(test_non_directory_bases),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
