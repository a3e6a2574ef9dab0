/*
 * serve_lockdown.c -- once start-up is over, the serving process gives up
 * what serving does not need.
 *
 * The guest runs as native code made by our compiler pipeline, next to
 * libcurl, SQLite, hiredis and OpenSSL in one process. A bug in any of them
 * must not hand over the host, so after start-up (components loaded, stores
 * open, the listening socket bound):
 *
 *   1. --user NAME[:GROUP]: a server started as root drops to that user and
 *      group (supplementary groups cleared) and cannot get root back;
 *   2. no_new_privs, so nothing it could still execute gains privileges;
 *   3. a seccomp-bpf allow-list (libseccomp) on every thread (TSYNC):
 *      `allowed` below lists each system call serving makes, with why. Two
 *      are allowed only in part: mmap/mprotect never with PROT_EXEC (no new
 *      native code once start-up has mapped its own: injected bytes cannot
 *      be made executable), clone only for threads (CLONE_THREAD: no new
 *      process); clone3 answers ENOSYS so glibc falls back to clone, whose
 *      flags a filter can see. Calls that only an attacker makes (execve,
 *      ptrace, mount, bpf, ...) kill the process; any other unlisted call
 *      fails with EPERM.
 * What would be mapped executable later is loaded first: libcurl (and
 * through it OpenSSL) when a component may call out, and the resolver's
 * NSS modules (getaddrinfo("localhost")).
 *
 * Sanitizer builds (make SAN=...) keep the filter off by default: their
 * runtimes fork a symbolizer and make calls of their own when they report.
 */
#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "curl_lazy.h"
#include "pe_serve.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define PE_LOCKDOWN_DEFAULT PE_SECCOMP_OFF
#else
#define PE_LOCKDOWN_DEFAULT PE_SECCOMP_ON
#endif

pe_seccomp_mode pe_seccomp_default(void) { return PE_LOCKDOWN_DEFAULT; }

/* Every system call the serving process makes after start-up, and why. */
static const struct {
  const char *name;
  const char *why;
} allowed[] = {
    /* memory: the allocator, instance clones (8 GiB reservations, CoW
     * mappings of the snapshot's sealed memfd, recycling), thread stacks */
    {"brk", "malloc"},
    {"mmap", "malloc, instance memory, thread stacks (never PROT_EXEC)"},
    {"munmap", "the same"},
    {"mremap", "realloc of large blocks"},
    {"mprotect", "linear memory growth, guard pages (never PROT_EXEC)"},
    {"madvise", "recycling drops pages of a reset clone"},
    {"memfd_create", "memory grown past the snapshot is sealed again"},
    {"ftruncate", "memfd sizes; SQLite and WASI files"},
    {"fallocate", "WASI fd_allocate"},
    /* threads and their synchronisation */
    {"clone", "worker and resolver threads (CLONE_THREAD only)"},
    {"futex", "locks, condition variables"},
    {"set_robust_list", "thread start"},
    {"rseq", "thread start"},
    {"gettid", "per-thread deadline timers"},
    {"getpid", "SQLite, OpenSSL"},
    {"sched_yield", "spin waits"},
    {"sched_getaffinity", "core counts"},
    {"sched_setscheduler", "workers run SCHED_BATCH"},
    {"sched_setattr", "the same"},
    {"sched_getattr", "the same"},
    {"exit", "a thread ends"},
    {"exit_group", "the process ends"},
    /* signals: deadlines are per-thread POSIX timers; traps unwind */
    {"rt_sigaction", "trap and deadline handlers"},
    {"rt_sigprocmask", "signal masks around guest calls"},
    {"rt_sigreturn", "return from a handler"},
    {"rt_sigpending", "deadline bookkeeping"},
    {"rt_sigtimedwait", "draining a pending deadline signal"},
    {"sigaltstack", "handlers run on their own stack (stack exhaustion)"},
    {"timer_create", "per-thread deadlines"},
    {"timer_settime", "the same"},
    {"timer_gettime", "the same"},
    {"timer_delete", "the same"},
    {"tgkill", "pthread_kill, raise (own process only)"},
    {"getrusage", "page-fault counts decide whether a reset walks pagemap"},
    {"prlimit64", "stack size of new threads"},
    /* time */
    {"clock_gettime", "time (when the vDSO is not used)"},
    {"clock_getres", "WASI clock_res_get"},
    {"gettimeofday", "time"},
    {"clock_nanosleep", "WASI poll_oneoff sleeps, busy waits"},
    {"nanosleep", "the same"},
    {"getrandom", "WASI random_get, OpenSSL, hash seeds"},
    /* the HTTP server: libuv's loop */
    {"epoll_create1", "libuv"},
    {"epoll_ctl", "libuv"},
    {"epoll_wait", "libuv"},
    {"epoll_pwait", "libuv"},
    {"eventfd2", "libuv's async wake-ups"},
    {"pipe2", "libuv, libcurl's wake-ups"},
    {"accept4", "inbound connections"},
    {"getpeername", "the client's address"},
    {"getsockname", "the bound port"},
    {"shutdown", "closing connections"},
    {"listen", "libuv"},
    {"bind", "libcurl binds local ends"},
    {"ppoll", "WASI poll_oneoff, libcurl"},
    {"poll", "libcurl, hiredis"},
    {"select", "hiredis timeouts"},
    {"pselect6", "the same"},
    /* files: WASI through descriptors (openat2 beneath a preopen), SQLite
     * stores, logs. A filter cannot read path strings: confining guest
     * paths is the WASI layer's work, these only let the host do its own */
    {"openat", "SQLite, logs, /proc/self/pagemap"},
    {"openat2", "WASI path resolution"},
    {"open", "libraries that still call it"},
    {"close", "descriptors"},
    {"read", "sockets, files"},
    {"write", "sockets, files, logs"},
    {"readv", "WASI fd_read"},
    {"writev", "responses, WASI fd_write"},
    {"pread64", "SQLite, WASI fd_pread, pagemap"},
    {"pwrite64", "SQLite, WASI fd_pwrite"},
    {"preadv", "WASI fd_pread"},
    {"pwritev", "WASI fd_pwrite"},
    {"lseek", "WASI fd_seek, SQLite"},
    {"fstat", "descriptors"},
    {"newfstatat", "WASI path_filestat_get"},
    {"statx", "the same"},
    {"fstatfs", "SQLite"},
    {"fcntl", "non-blocking flags, SQLite locks, memfd seals"},
    {"flock", "key-value store files"},
    {"fsync", "durable stores"},
    {"fdatasync", "the same"},
    {"getdents64", "WASI fd_readdir"},
    {"readlink", "SQLite resolves its path"},
    {"readlinkat", "WASI path_readlink"},
    {"unlink", "SQLite journals"},
    {"unlinkat", "WASI path_unlink_file, path_remove_directory"},
    {"mkdirat", "WASI path_create_directory"},
    {"mkdir", "log rotation"},
    {"rename", "log rotation"},
    {"renameat", "WASI path_rename"},
    {"renameat2", "the same"},
    {"symlinkat", "WASI path_symlink"},
    {"linkat", "WASI path_link"},
    {"utimensat", "WASI fd_filestat_set_times"},
    {"access", "SQLite"},
    {"faccessat", "the same"},
    {"faccessat2", "the same"},
    {"dup", "descriptors"},
    {"dup3", "the same"},
    {"ioctl", "FIONBIO, FIOCLEX, FIONREAD, TCGETS (isatty)"},
    {"getcwd", "SQLite"},
    {"fchown", "SQLite, run as root, gives a new -wal/-shm file the database's owner"},
    {"fchmod", "SQLite sets a new journal's mode"},
    {"umask", "libraries creating files"},
    {"fadvise64", "reading snapshot and store files"},
    {"dup2", "descriptors"},
    {"close_range", "descriptors"},
    {"getppid", "libraries ask"},
    {"prctl", "thread names (PR_SET_NAME, PR_GET_NAME only)"},
    {"uname", "libraries ask once"},
    {"sysinfo", "libraries ask once"},
    {"getuid", "SQLite, the resolver"},
    {"geteuid", "the same"},
    {"getgid", "the same"},
    {"getegid", "the same"},
    /* outbound: libcurl, hiredis, the resolver */
    {"socket", "outbound HTTP, Redis, DNS (AF_INET, AF_INET6, AF_UNIX, AF_NETLINK)"},
    {"connect", "the same"},
    {"getsockopt", "the same"},
    {"setsockopt", "the same"},
    {"sendto", "the same"},
    {"recvfrom", "the same"},
    {"sendmsg", "the same"},
    {"recvmsg", "the same"},
    {"sendmmsg", "the resolver"},
    {"recvmmsg", "the resolver"},
};

/* Only an attacker makes these: the process dies rather than answer. */
static const char *const fatal[] = {
    "execve", "execveat", "fork", "vfork", "ptrace", "process_vm_readv", "process_vm_writev",
    "mount", "umount2", "pivot_root", "chroot", "init_module", "finit_module",
    "delete_module", "kexec_load", "kexec_file_load", "bpf", "perf_event_open", "userfaultfd",
    "unshare", "setns", "keyctl", "add_key", "request_key", "setuid", "setgid", "setreuid",
    "setregid", "setresuid", "setresgid", "setgroups", "capset", "personality",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "open_by_handle_at",
    "name_to_handle_at", "pkey_mprotect", "memfd_secret", "process_madvise", "pidfd_getfd",
};

static bool add(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n,
                const struct scmp_arg_cmp *args, char *err, size_t errlen) {
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) return true; /* not on this architecture */
  int rc = seccomp_rule_add_array(ctx, action, nr, n, args);
  if (rc < 0) {
    snprintf(err, errlen, "seccomp: cannot add %s: %s", name, strerror(-rc));
    return false;
  }
  return true;
}

static bool build_filter(scmp_filter_ctx ctx, uint32_t allow, uint32_t kill, char *err,
                         size_t errlen) {
  bool ok = true;
  for (size_t i = 0; ok && i < sizeof allowed / sizeof *allowed; i++) {
    const char *n = allowed[i].name;
    if (!strcmp(n, "mmap") || !strcmp(n, "mprotect") || !strcmp(n, "clone") ||
        !strcmp(n, "socket") || !strcmp(n, "ioctl") || !strcmp(n, "tgkill") ||
        !strcmp(n, "prctl"))
      continue; /* with conditions below */
    ok = add(ctx, allow, n, 0, NULL, err, errlen);
  }
  struct scmp_arg_cmp no_exec = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
  struct scmp_arg_cmp thread = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD);
  struct scmp_arg_cmp own = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid());
  ok = ok && add(ctx, allow, "mmap", 1, &no_exec, err, errlen) &&
       add(ctx, allow, "mprotect", 1, &no_exec, err, errlen) &&
       add(ctx, allow, "clone", 1, &thread, err, errlen) &&
       add(ctx, allow, "tgkill", 1, &own, err, errlen) &&
       add(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL, err, errlen);
  static const int names[] = {PR_SET_NAME, PR_GET_NAME};
  for (size_t i = 0; ok && i < sizeof names / sizeof *names; i++) {
    struct scmp_arg_cmp opt = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)names[i]);
    ok = add(ctx, allow, "prctl", 1, &opt, err, errlen);
  }
  static const int families[] = {AF_INET, AF_INET6, AF_UNIX, AF_NETLINK};
  for (size_t i = 0; ok && i < sizeof families / sizeof *families; i++) {
    struct scmp_arg_cmp fam = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i]);
    ok = add(ctx, allow, "socket", 1, &fam, err, errlen);
  }
  static const unsigned long requests[] = {0x5421 /* FIONBIO */, 0x5451 /* FIOCLEX */,
                                           0x5450 /* FIONCLEX */, 0x541B /* FIONREAD */,
                                           0x5401 /* TCGETS */};
  for (size_t i = 0; ok && i < sizeof requests / sizeof *requests; i++) {
    struct scmp_arg_cmp req = SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)requests[i]);
    ok = add(ctx, allow, "ioctl", 1, &req, err, errlen);
  }
  for (size_t i = 0; ok && i < sizeof fatal / sizeof *fatal; i++)
    ok = add(ctx, kill, fatal[i], 0, NULL, err, errlen);
  return ok;
}

/* What would map code after the filter is on is loaded now. */
static void preload(bool outbound) {
  if (outbound) {
    char why[256];
    if (pe_curl_load(why, sizeof why)) curl_global_init(CURL_GLOBAL_ALL);
  }
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
  if (getaddrinfo("localhost", NULL, &hints, &res) == 0) freeaddrinfo(res);
}

bool pe_lockdown_resolve_user(const char *spec, pe_lockdown_user *u, char *err, size_t errlen) {
  char name[256];
  const char *colon = strchr(spec, ':');
  size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
  if (n == 0 || n >= sizeof name) {
    snprintf(err, errlen, "--user wants NAME or NAME:GROUP, got '%s'", spec);
    return false;
  }
  memcpy(name, spec, n);
  name[n] = 0;
  struct passwd *pw = getpwnam(name);
  if (!pw) {
    snprintf(err, errlen, "--user: no user named '%s'", name);
    return false;
  }
  u->uid = pw->pw_uid;
  u->gid = pw->pw_gid;
  if (colon) {
    struct group *gr = getgrnam(colon + 1);
    if (!gr) {
      snprintf(err, errlen, "--user: no group named '%s'", colon + 1);
      return false;
    }
    u->gid = gr->gr_gid;
  }
  return true;
}

bool pe_lockdown(const pe_lockdown_options *o, char *err, size_t errlen) {
  if (o->user) {
    if (geteuid() != 0) {
      snprintf(err, errlen, "--user needs pyedge to be started as root");
      return false;
    }
    /* groups first: after setuid there is no right left to change them */
    if (setgroups(0, NULL) != 0 || setresgid(o->user->gid, o->user->gid, o->user->gid) != 0 ||
        setresuid(o->user->uid, o->user->uid, o->user->uid) != 0) {
      snprintf(err, errlen, "--user: cannot drop privileges: %s", strerror(errno));
      return false;
    }
    if (setuid(0) == 0) {
      snprintf(err, errlen, "--user: root could be regained after dropping it");
      return false;
    }
  }
  if (o->mode == PE_SECCOMP_OFF) return true;
  preload(o->outbound);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    snprintf(err, errlen, "no_new_privs: %s", strerror(errno));
    return false;
  }
  /* log: what would be refused or fatal is only logged (the kernel's audit
   * log), for an operator finding what a new library needs */
  bool log = o->mode == PE_SECCOMP_LOG;
  scmp_filter_ctx ctx = seccomp_init(log ? SCMP_ACT_LOG : SCMP_ACT_ERRNO(EPERM));
  if (!ctx) {
    snprintf(err, errlen, "seccomp: cannot start a filter");
    return false;
  }
  bool ok = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) == 0 &&
            seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1) == 0;
  if (!ok) snprintf(err, errlen, "seccomp: cannot set the filter's attributes");
  ok = ok && build_filter(ctx, SCMP_ACT_ALLOW, log ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS, err,
                          errlen);
  int rc = ok ? seccomp_load(ctx) : 0;
  if (ok && rc < 0) {
    snprintf(err, errlen, "seccomp: cannot load the filter: %s", strerror(-rc));
    ok = false;
  }
  seccomp_release(ctx);
  return ok;
}
