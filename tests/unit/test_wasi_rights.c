/*
 * test_wasi_rights.c -- the rights model: read-only preopens, per-descriptor
 * rights, inheritance, and rights that can only be dropped.
 */
#include "test_wasi.h"

static void assert_ro_tree_intact(tw *t) {
  assert_string_equal(tw_slurp(t, "ro/data.txt"), "read only data");
  assert_string_equal(tw_slurp(t, "ro/sub/x"), "x");
  struct stat st;
  assert_int_equal(stat(tw_path(t, "ro/data.txt"), &st), 0);
  assert_int_equal(st.st_nlink, 1);
  assert_true(st.st_mtim.tv_sec > 1000000000);
  assert_false(tw_exists(t, "ro/new"));
}

static void test_read_only_preopen(void **state) {
  tw *t = *state;
  uint64_t base = 0, inh = 0;
  assert_int_equal(tw_fdstat(t, TW_RO, NULL, NULL, &base, &inh), 0);
  assert_int_equal(base & PE_WASI_RIGHTS_MUTATING, 0);
  assert_int_equal(inh & PE_WASI_RIGHTS_MUTATING, 0);
  assert_true(base & PE_WASI_RIGHT_PATH_OPEN);
  assert_true(inh & PE_WASI_RIGHT_FD_READ);

  uint32_t fd;
  char buf[64];
  /* reading works */
  assert_int_equal(tw_open_simple(t, TW_RO, "data.txt", 0, &fd), 0);
  assert_int_equal(tw_read(t, fd, 64, buf), 0);
  assert_string_equal(buf, "read only data");
  /* asking for everything grants only the read side */
  assert_int_equal(tw_fdstat(t, fd, NULL, NULL, &base, NULL), 0);
  assert_int_equal(base & PE_WASI_RIGHTS_MUTATING, 0);
  assert_int_equal(tw_write(t, fd, "x", NULL), PE_WASI_ENOTCAPABLE);
  uint32_t bufp = tw_alloc(t, 8), iov = tw_iov(t, bufp, 1), n = tw_alloc(t, 4);
  assert_int_equal(Z_wasi_snapshot_preview1Z_fd_pwrite(t->w, fd, iov, 1, 0, n),
                   PE_WASI_ENOTCAPABLE);
  assert_int_equal(Z_wasi_snapshot_preview1Z_fd_filestat_set_size(t->w, fd, 0),
                   PE_WASI_ENOTCAPABLE);
  assert_int_equal(Z_wasi_snapshot_preview1Z_fd_allocate(t->w, fd, 0, 100), PE_WASI_ENOTCAPABLE);
  assert_int_equal(Z_wasi_snapshot_preview1Z_fd_filestat_set_times(t->w, fd, 0, 0,
                                                                   PE_WASI_FST_MTIM),
                   PE_WASI_ENOTCAPABLE);
  /* and the rights cannot be given back */
  assert_int_equal(Z_wasi_snapshot_preview1Z_fd_fdstat_set_rights(t->w, fd,
                                                                  base | PE_WASI_RIGHT_FD_WRITE, 0),
                   PE_WASI_ENOTCAPABLE);

  /* every mutation by path */
  assert_int_equal(tw_open_simple(t, TW_RO, "new", PE_WASI_O_CREAT, &fd), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_open_simple(t, TW_RO, "data.txt", PE_WASI_O_TRUNC, &fd), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_open_simple(t, TW_RO, "data.txt", PE_WASI_O_CREAT, &fd), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_mkdir(t, TW_RO, "new"), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_rmdir(t, TW_RO, "sub"), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_unlink(t, TW_RO, "data.txt"), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_unlink(t, TW_RO, "sub/x"), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_symlink(t, "data.txt", TW_RO, "new"), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_link(t, TW_RO, 0, "data.txt", TW_RO, "new"), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_rename(t, TW_RO, "data.txt", TW_RO, "new"), PE_WASI_ENOTCAPABLE);
  uint32_t p = tw_str(t, "data.txt");
  assert_int_equal(Z_wasi_snapshot_preview1Z_path_filestat_set_times(t->w, TW_RO, 0, p, 8, 0,
                                                                     1000000000ull,
                                                                     PE_WASI_FST_MTIM),
                   PE_WASI_ENOTCAPABLE);
  /* stat and readdir are fine */
  uint8_t type;
  assert_int_equal(tw_stat(t, TW_RO, 0, "data.txt", &type, NULL), 0);
  uint32_t rb = tw_alloc(t, 512), used = tw_alloc(t, 4);
  assert_int_equal(Z_wasi_snapshot_preview1Z_fd_readdir(t->w, TW_RO, rb, 512, 0, used), 0);
  assert_true(tw_u32(t, used) > 0);
  assert_ro_tree_intact(t);
}

static void test_read_only_is_inherited(void **state) {
  tw *t = *state;
  uint32_t dfd;
  /* a subdirectory asking for every right still has no mutating one */
  assert_int_equal(tw_open(t, TW_RO, 0, "sub", PE_WASI_O_DIRECTORY,
                           TW_ALL_RIGHTS & ~PE_WASI_RIGHTS_NEED_WRITE, TW_ALL_RIGHTS, 0, &dfd),
                   0);
  uint64_t base = 0, inh = 0;
  assert_int_equal(tw_fdstat(t, dfd, NULL, NULL, &base, &inh), 0);
  assert_int_equal(base & PE_WASI_RIGHTS_MUTATING, 0);
  assert_int_equal(inh & PE_WASI_RIGHTS_MUTATING, 0);
  assert_int_equal(tw_mkdir(t, dfd, "new"), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_unlink(t, dfd, "x"), PE_WASI_ENOTCAPABLE);
  uint32_t fd;
  assert_int_equal(tw_open_simple(t, dfd, "x", PE_WASI_O_TRUNC, &fd), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_open_simple(t, dfd, "x", 0, &fd), 0);
  assert_int_equal(tw_write(t, fd, "overwrite", NULL), PE_WASI_ENOTCAPABLE);
  /* all rights asked on a read-only directory: masked to read, so it opens */
  assert_int_equal(tw_open_simple(t, TW_RO, "sub", PE_WASI_O_DIRECTORY, &fd), 0);
  assert_ro_tree_intact(t);
}

static void test_cross_preopen(void **state) {
  tw *t = *state;
  /* read-only -> writable: no link, no rename (that would make the file
   * writable through the other preopen) */
  assert_int_equal(tw_link(t, TW_RO, 0, "data.txt", TW_SB, "stolen"), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_rename(t, TW_RO, "data.txt", TW_SB, "stolen"), PE_WASI_ENOTCAPABLE);
  /* writable -> read-only: nothing lands there either */
  assert_int_equal(tw_link(t, TW_SB, 0, "file.txt", TW_RO, "new"), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_rename(t, TW_SB, "file.txt", TW_RO, "new"), PE_WASI_ENOTCAPABLE);
  assert_false(tw_exists(t, "sb/stolen"));
  assert_true(tw_exists(t, "sb/file.txt"));
  assert_ro_tree_intact(t);
}

static void test_descriptor_rights(void **state) {
  tw *t = *state;
  uint32_t fd;
  char buf[64];
  uint32_t n = tw_alloc(t, 8);
  /* read only */
  assert_int_equal(tw_open(t, TW_SB, 0, "file.txt", 0, PE_WASI_RIGHT_FD_READ, 0, 0, &fd), 0);
  assert_int_equal(tw_write(t, fd, "x", NULL), PE_WASI_ENOTCAPABLE);
  assert_int_equal(Z_wasi_snapshot_preview1Z_fd_seek(t->w, fd, 1, 0, n), PE_WASI_ENOTCAPABLE);
  assert_int_equal(Z_wasi_snapshot_preview1Z_fd_tell(t->w, fd, n), PE_WASI_ENOTCAPABLE);
  uint32_t fs = tw_alloc(t, 64);
  assert_int_equal(Z_wasi_snapshot_preview1Z_fd_filestat_get(t->w, fd, fs), PE_WASI_ENOTCAPABLE);
  uint32_t bufp = tw_alloc(t, 8), iov = tw_iov(t, bufp, 8);
  /* pread needs FD_SEEK as well */
  assert_int_equal(Z_wasi_snapshot_preview1Z_fd_pread(t->w, fd, iov, 1, 0, n), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_read(t, fd, 64, buf), 0);
  assert_string_equal(buf, "hello world");
  /* write only: the file really is open write-only */
  assert_int_equal(tw_open(t, TW_SB, 0, "file.txt", 0, PE_WASI_RIGHT_FD_WRITE, 0, 0, &fd), 0);
  assert_int_equal(tw_read(t, fd, 64, buf), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_write(t, fd, "J", NULL), 0);
  assert_string_equal(tw_slurp(t, "sb/file.txt"), "Jello world");
  /* TELL alone allows fd_seek(0, CUR) but no other seek */
  assert_int_equal(tw_open(t, TW_SB, 0, "file.txt", 0, PE_WASI_RIGHT_FD_TELL, 0, 0, &fd), 0);
  assert_int_equal(Z_wasi_snapshot_preview1Z_fd_seek(t->w, fd, 0, PE_WASI_WHENCE_CUR, n), 0);
  assert_int_equal(Z_wasi_snapshot_preview1Z_fd_seek(t->w, fd, 0, PE_WASI_WHENCE_SET, n),
                   PE_WASI_ENOTCAPABLE);
  assert_int_equal(Z_wasi_snapshot_preview1Z_fd_tell(t->w, fd, n), 0);
  /* stdio: stdin cannot be written, stdout not read */
  assert_int_equal(tw_write(t, 0, "x", NULL), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_read(t, 1, 4, buf), PE_WASI_ENOTCAPABLE);
}

static void test_set_rights_only_drops(void **state) {
  tw *t = *state;
  uint32_t fd;
  uint64_t rw = PE_WASI_RIGHT_FD_READ | PE_WASI_RIGHT_FD_WRITE | PE_WASI_RIGHT_FD_SEEK |
                PE_WASI_RIGHT_FD_TELL;
  assert_int_equal(tw_open(t, TW_SB, 0, "file.txt", 0, rw, 0, 0, &fd), 0);
  uint64_t base = 0, inh = 0;
  assert_int_equal(tw_fdstat(t, fd, NULL, NULL, &base, &inh), 0);
  assert_int_equal(base, rw);
  /* the same rights: accepted (hosts that "support rights") */
  assert_int_equal(Z_wasi_snapshot_preview1Z_fd_fdstat_set_rights(t->w, fd, base, inh), 0);
  assert_int_equal(Z_wasi_snapshot_preview1Z_fd_fdstat_set_rights(
                       t->w, fd, PE_WASI_RIGHT_FD_SEEK | PE_WASI_RIGHT_FD_TELL, 0),
                   0);
  assert_int_equal(tw_fdstat(t, fd, NULL, NULL, &base, NULL), 0);
  assert_int_equal(base, PE_WASI_RIGHT_FD_SEEK | PE_WASI_RIGHT_FD_TELL);
  assert_int_equal(tw_write(t, fd, "x", NULL), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_read(t, fd, 4, NULL), PE_WASI_ENOTCAPABLE);
  assert_int_equal(Z_wasi_snapshot_preview1Z_fd_fdstat_set_rights(t->w, fd, rw, 0),
                   PE_WASI_ENOTCAPABLE);
  assert_int_equal(Z_wasi_snapshot_preview1Z_fd_fdstat_set_rights(t->w, fd, base, 1),
                   PE_WASI_ENOTCAPABLE);
  assert_int_equal(Z_wasi_snapshot_preview1Z_fd_fdstat_set_rights(t->w, fd, UINT64_MAX, 0),
                   PE_WASI_ENOTCAPABLE);
  assert_int_equal(Z_wasi_snapshot_preview1Z_fd_fdstat_set_rights(t->w, 99, 0, 0), PE_WASI_EBADF);
  /* dropping rights from a preopen limits everything opened beneath it */
  assert_int_equal(tw_fdstat(t, TW_SB, NULL, NULL, &base, &inh), 0);
  assert_int_equal(Z_wasi_snapshot_preview1Z_fd_fdstat_set_rights(
                       t->w, TW_SB, base & ~PE_WASI_RIGHT_PATH_FILESTAT_SET_SIZE,
                       inh & ~PE_WASI_RIGHT_FD_WRITE),
                   0);
  assert_int_equal(tw_open_simple(t, TW_SB, "file.txt", PE_WASI_O_TRUNC, &fd), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_open_simple(t, TW_SB, "file.txt", 0, &fd), 0);
  assert_int_equal(tw_write(t, fd, "x", NULL), PE_WASI_ENOTCAPABLE);
  assert_int_equal(Z_wasi_snapshot_preview1Z_fd_fdstat_set_rights(
                       t->w, TW_SB,
                       base & ~(PE_WASI_RIGHT_PATH_OPEN | PE_WASI_RIGHT_PATH_FILESTAT_SET_SIZE), 0),
                   0);
  assert_int_equal(tw_open_simple(t, TW_SB, "file.txt", 0, &fd), PE_WASI_ENOTCAPABLE);
  assert_string_equal(tw_slurp(t, "sb/file.txt"), "hello world");
}

static void test_inheriting_masks_children(void **state) {
  tw *t = *state;
  uint32_t dfd, fd;
  /* a directory whose children may only be read */
  assert_int_equal(tw_open(t, TW_SB, 0, "dir", PE_WASI_O_DIRECTORY,
                           PE_WASI_RIGHT_PATH_OPEN | PE_WASI_RIGHT_FD_READDIR,
                           PE_WASI_RIGHT_FD_READ, 0, &dfd),
                   0);
  uint64_t base = 0, inh = 0;
  assert_int_equal(tw_open_simple(t, dfd, "nested.txt", 0, &fd), 0);
  assert_int_equal(tw_fdstat(t, fd, NULL, NULL, &base, &inh), 0);
  assert_int_equal(base, PE_WASI_RIGHT_FD_READ);
  assert_int_equal(inh, PE_WASI_RIGHT_FD_READ);
  assert_int_equal(tw_write(t, fd, "x", NULL), PE_WASI_ENOTCAPABLE);
  /* it was not given PATH_CREATE_* */
  assert_int_equal(tw_mkdir(t, dfd, "x"), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_open_simple(t, dfd, "new", PE_WASI_O_CREAT, &fd), PE_WASI_ENOTCAPABLE);
  assert_int_equal(tw_unlink(t, dfd, "nested.txt"), PE_WASI_ENOTCAPABLE);
  uint8_t type;
  assert_int_equal(tw_stat(t, dfd, 0, "nested.txt", &type, NULL), PE_WASI_ENOTCAPABLE);
  /* a child directory cannot widen what its parent may hand out */
  uint32_t sub;
  assert_int_equal(tw_open(t, dfd, 0, ".", PE_WASI_O_DIRECTORY,
                           TW_ALL_RIGHTS & ~PE_WASI_RIGHTS_NEED_WRITE, TW_ALL_RIGHTS, 0, &sub),
                   0);
  assert_int_equal(tw_fdstat(t, sub, NULL, NULL, &base, &inh), 0);
  assert_int_equal(base, 0); /* FD_READ is not a directory right */
  assert_int_equal(inh, PE_WASI_RIGHT_FD_READ);
}

static void test_preopen_rights_match_expectations(void **state) {
  tw *t = *state;
  /* wasi-libc and the conformance suite expect at least these. */
  const uint64_t dir_base =
      PE_WASI_RIGHT_PATH_CREATE_DIRECTORY | PE_WASI_RIGHT_PATH_CREATE_FILE |
      PE_WASI_RIGHT_PATH_LINK_SOURCE | PE_WASI_RIGHT_PATH_LINK_TARGET | PE_WASI_RIGHT_PATH_OPEN |
      PE_WASI_RIGHT_FD_READDIR | PE_WASI_RIGHT_PATH_READLINK | PE_WASI_RIGHT_PATH_RENAME_SOURCE |
      PE_WASI_RIGHT_PATH_RENAME_TARGET | PE_WASI_RIGHT_PATH_SYMLINK |
      PE_WASI_RIGHT_PATH_REMOVE_DIRECTORY | PE_WASI_RIGHT_PATH_UNLINK_FILE |
      PE_WASI_RIGHT_PATH_FILESTAT_GET | PE_WASI_RIGHT_PATH_FILESTAT_SET_TIMES |
      PE_WASI_RIGHT_FD_FILESTAT_GET | PE_WASI_RIGHT_FD_FILESTAT_SET_TIMES;
  const uint64_t dir_inh = dir_base | PE_WASI_RIGHT_FD_DATASYNC | PE_WASI_RIGHT_FD_READ |
                           PE_WASI_RIGHT_FD_SEEK | PE_WASI_RIGHT_FD_FDSTAT_SET_FLAGS |
                           PE_WASI_RIGHT_FD_SYNC | PE_WASI_RIGHT_FD_TELL | PE_WASI_RIGHT_FD_WRITE |
                           PE_WASI_RIGHT_FD_ADVISE | PE_WASI_RIGHT_FD_ALLOCATE |
                           PE_WASI_RIGHT_FD_FILESTAT_SET_SIZE | PE_WASI_RIGHT_POLL_FD_READWRITE;
  uint64_t base = 0, inh = 0;
  uint8_t type;
  uint16_t flags;
  assert_int_equal(tw_fdstat(t, TW_SB, &type, &flags, &base, &inh), 0);
  assert_int_equal(type, PE_WASI_FILETYPE_DIRECTORY);
  assert_int_equal(flags, 0);
  assert_int_equal(base & dir_base, dir_base);
  assert_int_equal(inh & dir_inh, dir_inh);
  assert_int_equal(base & PE_WASI_RIGHTS_NEED_WRITE, 0);
  assert_int_equal(base & (PE_WASI_RIGHT_FD_SEEK | PE_WASI_RIGHT_FD_TELL), 0);
  /* reopening the preopen with its own rights works (wasi-testsuite) */
  uint32_t fd;
  assert_int_equal(tw_open(t, TW_SB, 0, ".", PE_WASI_O_DIRECTORY, base, inh, 0, &fd), 0);
  uint64_t b2 = 0, i2 = 0;
  assert_int_equal(tw_fdstat(t, fd, NULL, NULL, &b2, &i2), 0);
  assert_int_equal(b2, base);
  assert_int_equal(i2, inh);
  /* sockets are never granted */
  assert_int_equal(inh & (PE_WASI_RIGHT_SOCK_ACCEPT | PE_WASI_RIGHT_SOCK_SHUTDOWN), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      TW_TEST(test_read_only_preopen),
      TW_TEST(test_read_only_is_inherited),
      TW_TEST(test_cross_preopen),
      TW_TEST(test_descriptor_rights),
      TW_TEST(test_set_rights_only_drops),
      TW_TEST(test_inheriting_masks_children),
      TW_TEST(test_preopen_rights_match_expectations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
