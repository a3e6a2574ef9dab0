/*
 * escape.c -- tries to leave the preopened directory with raw WASI calls.
 *
 * Run as: pyedge run --dir SB::/sb escape.wasm, where run.sh has planted in
 * SB (from the host side) symlinks that lead out (h_*), and next to SB a
 * directory `outside` with a secret file. Every attempt prints one line
 * "label: RESULT"; an open that succeeds prints its content, so a leak shows
 * up in the output (run.sh also greps for the secret).
 */
#include "_common.c"

#define SB 3u

static void try_open(const char *label, u32 dir, u32 dirflags, const char *path, u32 oflags,
                     u64 rights) {
  u32 fd = 0;
  u32 e = raw_path_open(dir, dirflags, S(path), oflags, rights, rights, 0, A(&fd));
  if (e != 0) {
    show(label, e);
    return;
  }
  char buf[128] = {0};
  struct {
    u32 p, n;
  } iov = {A(buf), sizeof buf - 1};
  u32 n = 0;
  e = raw_fd_read(fd, A(&iov), 1, A(&n));
  if (e == 0) {
    for (u32 i = 0; i < n; i++)
      if (buf[i] == '\n') buf[i] = '|';
    printf("%s: OPENED read=\"%s\"\n", label, buf);
  } else {
    printf("%s: OPENED read:%s\n", label, ename(e));
  }
  raw_fd_close(fd);
}

static void rd(const char *label, const char *path) {
  try_open(label, SB, LOOKUP_FOLLOW, path, 0, R_FD_READ);
}

int main(void) {
  /* The preopen is what we think it is. */
  char name[64] = {0};
  struct {
    uint8_t tag;
    u32 len;
  } pre;
  u32 e = raw_fd_prestat_get(SB, A(&pre));
  if (e == 0) e = raw_fd_prestat_dir_name(SB, A(name), pre.len < 63 ? pre.len : 63);
  printf("preopen 3: %s %s\n", ename(e), name);
  rd("inside file.txt", "file.txt");
  rd("inside sub/inner.txt", "sub/inner.txt");
  rd("inside sub/../file.txt", "sub/../file.txt");

  /* .. chains and absolute paths */
  rd("..", "..");
  rd("../", "../");
  rd("../outside/secret", "../outside/secret");
  rd("sub/../../outside/secret", "sub/../../outside/secret");
  rd("sub/../..", "sub/../..");
  rd("./sub/./../../outside/secret", "./sub/./../../outside/secret");
  rd("sub/../sub/../../outside/secret", "sub/../sub/../../outside/secret");
  rd("/etc/passwd", "/etc/passwd");
  rd("//etc/passwd", "//etc/passwd");
  rd("/sb/file.txt", "/sb/file.txt");
  rd("/proc/self/environ", "/proc/self/environ");
  rd("/proc/self/fd/0", "/proc/self/fd/0");
  {
    static char deep[3 * 1400 + 32];
    size_t k = 0;
    for (int i = 0; i < 1400; i++) k += (size_t)sprintf(deep + k, "../");
    strcpy(deep + k, "etc/passwd");
    rd("../ x1400 + etc/passwd", deep);
  }
  {
    /* A NUL byte inside the path: the host must not see a shorter path. */
    static const char nul[] = "file.txt\0/../../outside/secret";
    u32 fd = 0;
    e = raw_path_open(SB, 0, A(nul), sizeof nul - 1, 0, R_FD_READ, 0, 0, A(&fd));
    show("path with embedded NUL", e);
  }

  /* symlinks planted on the host side */
  rd("h_abs_secret (-> /abs/outside/secret)", "h_abs_secret");
  rd("h_abs_dir/secret (-> /abs/outside)", "h_abs_dir/secret");
  rd("h_rel_secret (-> ../outside/secret)", "h_rel_secret");
  rd("h_rel_dir/secret (-> ../outside)", "h_rel_dir/secret");
  rd("h_etc/passwd (-> /etc)", "h_etc/passwd");
  rd("h_root/etc/passwd (-> /)", "h_root/etc/passwd");
  rd("h_proc/environ (-> /proc/self)", "h_proc/environ");
  rd("h_chain1 (-> h_chain2 -> sub/h_chain3 -> ../../outside/secret)", "h_chain1");
  rd("h_loop (-> h_loop)", "h_loop");
  rd("h_inside (-> sub/inner.txt)", "h_inside");
  try_open("h_abs_secret nofollow", SB, 0, "h_abs_secret", 0, R_FD_READ);

  /* symlinks the guest makes */
  show("symlink /etc -> g_abs", raw_path_symlink(S("/etc"), SB, S("g_abs")));
  rd("g_abs/passwd", "g_abs/passwd");
  show("symlink ../.. -> g_up", raw_path_symlink(S("../.."), SB, S("g_up")));
  rd("g_up/etc/passwd", "g_up/etc/passwd");
  show("symlink ../outside/secret -> g_rel",
       raw_path_symlink(S("../outside/secret"), SB, S("g_rel")));
  rd("g_rel", "g_rel");
  show("symlink g_rel -> sub/g_c2", raw_path_symlink(S("../g_rel"), SB, S("sub/g_c2")));
  show("symlink sub/g_c2 -> g_c1", raw_path_symlink(S("sub/g_c2"), SB, S("g_c1")));
  rd("g_c1 (-> sub/g_c2 -> ../g_rel -> ../outside/secret)", "g_c1");
  show("symlink .. -> sub/g_dotdot", raw_path_symlink(S(".."), SB, S("sub/g_dotdot")));
  rd("sub/g_dotdot/file.txt (stays inside)", "sub/g_dotdot/file.txt");
  rd("sub/g_dotdot/../outside/secret", "sub/g_dotdot/../outside/secret");
  show("symlink x at ../evil", raw_path_symlink(S("x"), SB, S("../evil")));
  show("symlink x at h_abs_dir/evil", raw_path_symlink(S("x"), SB, S("h_abs_dir/evil")));

  /* hard links */
  show("link ../outside/secret -> hl1", raw_path_link(SB, 0, S("../outside/secret"), SB, S("hl1")));
  show("link h_abs_dir/secret -> hl2", raw_path_link(SB, 0, S("h_abs_dir/secret"), SB, S("hl2")));
  show("link follow h_abs_secret -> hl3",
       raw_path_link(SB, LOOKUP_FOLLOW, S("h_abs_secret"), SB, S("hl3")));
  show("link nofollow h_abs_secret -> hl4", raw_path_link(SB, 0, S("h_abs_secret"), SB, S("hl4")));
  rd("hl4", "hl4");
  show("link file.txt -> ../outside/planted",
       raw_path_link(SB, 0, S("file.txt"), SB, S("../outside/planted")));

  /* renames out (and in) */
  show("rename file.txt -> ../stolen", raw_path_rename(SB, S("file.txt"), SB, S("../stolen")));
  show("rename sub -> ../outside/sub", raw_path_rename(SB, S("sub"), SB, S("../outside/sub")));
  show("rename sub -> h_abs_dir/sub", raw_path_rename(SB, S("sub"), SB, S("h_abs_dir/sub")));
  show("rename ../outside/secret -> got",
       raw_path_rename(SB, S("../outside/secret"), SB, S("got")));
  show("rename h_abs_dir/secret -> got", raw_path_rename(SB, S("h_abs_dir/secret"), SB, S("got")));
  show("rename . -> moved", raw_path_rename(SB, S("."), SB, S("moved")));
  show("rename .. -> moved", raw_path_rename(SB, S(".."), SB, S("moved")));

  /* creating, removing, touching outside */
  try_open("create ../created", SB, 0, "../created", O_CREAT_, R_FD_READ | R_FD_WRITE);
  try_open("create h_abs_dir/created", SB, 0, "h_abs_dir/created", O_CREAT_,
           R_FD_READ | R_FD_WRITE);
  try_open("trunc h_abs_secret", SB, LOOKUP_FOLLOW, "h_abs_secret", O_TRUNC_,
           R_FD_READ | R_FD_WRITE | ((u64)1 << 19) | ((u64)1 << 22));
  try_open("create h_rel_secret", SB, LOOKUP_FOLLOW, "h_rel_secret", O_CREAT_,
           R_FD_READ | R_FD_WRITE);
  show("mkdir ../newdir", raw_path_create_directory(SB, S("../newdir")));
  show("mkdir h_abs_dir/newdir", raw_path_create_directory(SB, S("h_abs_dir/newdir")));
  show("unlink ../outside/secret", raw_path_unlink_file(SB, S("../outside/secret")));
  show("unlink h_abs_dir/secret", raw_path_unlink_file(SB, S("h_abs_dir/secret")));
  show("rmdir ../outside/dir", raw_path_remove_directory(SB, S("../outside/dir")));
  show("rmdir h_abs_dir/dir", raw_path_remove_directory(SB, S("h_abs_dir/dir")));
  show("rmdir ..", raw_path_remove_directory(SB, S("..")));
  show("set_times follow h_abs_secret",
       raw_path_filestat_set_times(SB, LOOKUP_FOLLOW, S("h_abs_secret"), 1000000000ull * 1000,
                                   1000000000ull * 1000, 1 | 4));
  show("set_times ../outside/secret",
       raw_path_filestat_set_times(SB, 0, S("../outside/secret"), 1, 1, 1 | 4));
  {
    uint8_t st[64];
    show("stat ../outside/secret", raw_path_filestat_get(SB, 0, S("../outside/secret"), A(st)));
    show("stat follow h_abs_secret",
         raw_path_filestat_get(SB, LOOKUP_FOLLOW, S("h_abs_secret"), A(st)));
    show("stat follow h_rel_dir/secret",
         raw_path_filestat_get(SB, LOOKUP_FOLLOW, S("h_rel_dir/secret"), A(st)));
    char buf[64];
    u32 used = 0;
    show("readlink ../outside", raw_path_readlink(SB, S("../outside"), A(buf), 64, A(&used)));
  }

  /* A descriptor for a subdirectory is a root of its own: no way up. */
  {
    u32 sub = 0;
    e = raw_path_open(SB, 0, S("sub"), O_DIRECTORY_, RIGHTS_DIR, RIGHTS_ALL, 0, A(&sub));
    printf("open dir sub: %s\n", ename(e));
    if (e == 0) {
      try_open("sub-fd: inner.txt", sub, 0, "inner.txt", 0, R_FD_READ);
      try_open("sub-fd: ..", sub, 0, "..", 0, R_FD_READ);
      try_open("sub-fd: ../file.txt", sub, 0, "../file.txt", 0, R_FD_READ);
      try_open("sub-fd: ../../outside/secret", sub, 0, "../../outside/secret", 0, R_FD_READ);
      raw_fd_close(sub);
    }
  }

  /* Descriptors we were never given. */
  {
    int bad = 0;
    char list[512] = "";
    for (u32 fd = 4; fd <= 1100; fd++) {
      uint8_t st[24];
      u32 e1 = raw_fd_fdstat_get(fd, A(st));
      u32 fdo = 0;
      u32 e2 = raw_path_open(fd, 0, S("secret"), 0, R_FD_READ, 0, 0, A(&fdo));
      char b[8];
      struct {
        u32 p, n;
      } iov = {A(b), sizeof b};
      u32 n = 0;
      u32 e3 = raw_fd_read(fd, A(&iov), 1, A(&n));
      if (e1 != 8 || e2 != 8 || e3 != 8) {
        bad++;
        size_t l = strlen(list);
        if (l < 400) snprintf(list + l, sizeof list - l, " %u", (unsigned)fd);
      }
    }
    printf("fds 4..1100 all EBADF: %s%s\n", bad ? "NO:" : "yes", list);
    uint8_t st[24];
    show("fdstat fd 0xffffffff", raw_fd_fdstat_get(0xffffffffu, A(st)));
    show("fdstat fd 0x80000000", raw_fd_fdstat_get(0x80000000u, A(st)));
    show("renumber 3 -> 10", raw_fd_renumber(SB, 10));
  }

  /* What is in the preopen after all this (names only). */
  {
    static uint8_t buf[8192];
    u32 used = 0;
    e = raw_fd_readdir(SB, A(buf), sizeof buf, 0, A(&used));
    printf("readdir: %s\n", ename(e));
  }
  return 0;
}
