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
 * through it OpenSSL) when a component may call out, libpq when a rule may
 * allow postgres://, libmariadb for mysql://, libmosquitto for mqtt://, and the resolver's
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
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "services/http/curl_lazy.h"
#include "services/mqtt/svc_mqtt.h"
#include "services/mysql/svc_mysql.h"
#include "services/postgres/svc_postgres.h"
#include "pe_serve.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define PE_LOCKDOWN_DEFAULT PE_SECCOMP_OFF
#else
#define PE_LOCKDOWN_DEFAULT PE_SECCOMP_ON
#endif

pe_seccomp_mode pe_seccomp_default(void) { return PE_LOCKDOWN_DEFAULT; }

/* What a rule of `allowed` lets through: every call, or only calls whose
 * arguments pass one check. */
typedef enum {
  ANY,
  NO_EXEC,     /* the protection (arg 2) lacks PROT_EXEC */
  THREAD,      /* the flags (arg 0) hold CLONE_THREAD */
  OWN_PROCESS, /* the target (arg 0) is this process */
  ARG0_IN,     /* arg 0 is one of `values` */
  ARG1_IN,     /* arg 1 is one of `values` */
} arg_rule;

/* designated, so that the fields a call does not use stay zero */
#define CALL(n, w) \
  { .name = n, .why = w }
#define CALL_IF(n, w, r) \
  { .name = n, .why = w, .rule = r }
#define CALL_IN(n, w, r, ...)                                                      \
  {                                                                                \
    .name = n, .why = w, .rule = r, .values = (const scmp_datum_t[]){__VA_ARGS__}, \
    .nvalues = sizeof((scmp_datum_t[]){__VA_ARGS__}) / sizeof(scmp_datum_t)        \
  }

/* Every system call the serving process makes after start-up, and why. */
static const struct {
  const char *name;
  const char *why;
  arg_rule rule;
  const scmp_datum_t *values;
  size_t nvalues;
} allowed[] = {
    /* memory: the allocator, instance clones (8 GiB reservations, CoW
     * mappings of the snapshot's sealed memfd, recycling), thread stacks */
    CALL("brk", "malloc"),
    CALL_IF("mmap", "malloc, instance memory, thread stacks (never PROT_EXEC)", NO_EXEC),
    CALL("munmap", "the same"),
    CALL("mremap", "realloc of large blocks"),
    CALL_IF("mprotect", "linear memory growth, guard pages (never PROT_EXEC)", NO_EXEC),
    CALL("madvise", "recycling drops pages of a reset clone"),
    CALL("memfd_create", "memory grown past the snapshot is sealed again"),
    CALL("ftruncate", "memfd sizes; SQLite and WASI files"),
    CALL("fallocate", "WASI fd_allocate"),
    /* threads and their synchronisation */
    CALL_IF("clone", "worker and resolver threads (CLONE_THREAD only)", THREAD),
    CALL("futex", "locks, condition variables"),
    CALL("set_robust_list", "thread start"),
    CALL("rseq", "thread start"),
    CALL("gettid", "per-thread deadline timers"),
    CALL("getpid", "SQLite, OpenSSL"),
    CALL("sched_yield", "spin waits"),
    CALL("sched_getaffinity", "core counts"),
    CALL("sched_setscheduler", "workers run SCHED_BATCH"),
    CALL("sched_setattr", "the same"),
    CALL("sched_getattr", "the same"),
    CALL("exit", "a thread ends"),
    CALL("exit_group", "the process ends"),
    /* signals: deadlines are per-thread POSIX timers; traps unwind */
    CALL("rt_sigaction", "trap and deadline handlers"),
    CALL("rt_sigprocmask", "signal masks around guest calls"),
    CALL("rt_sigreturn", "return from a handler"),
    CALL("rt_sigpending", "deadline bookkeeping"),
    CALL("rt_sigtimedwait", "draining a pending deadline signal"),
    CALL("sigaltstack", "handlers run on their own stack (stack exhaustion)"),
    CALL("timer_create", "per-thread deadlines"),
    CALL("timer_settime", "the same"),
    CALL("timer_gettime", "the same"),
    CALL("timer_delete", "the same"),
    CALL_IF("tgkill", "pthread_kill, raise (own process only)", OWN_PROCESS),
    CALL("getrusage", "page-fault counts decide whether a reset walks pagemap"),
    CALL("prlimit64", "stack size of new threads"),
    /* time */
    CALL("clock_gettime", "time (when the vDSO is not used)"),
    CALL("clock_getres", "WASI clock_res_get"),
    CALL("gettimeofday", "time"),
    CALL("clock_nanosleep", "WASI poll_oneoff sleeps, busy waits"),
    CALL("nanosleep", "the same"),
    CALL("getrandom", "WASI random_get, OpenSSL, hash seeds"),
    /* the HTTP server: libuv's loop */
    CALL("epoll_create1", "libuv"),
    CALL("epoll_ctl", "libuv"),
    CALL("epoll_wait", "libuv"),
    CALL("epoll_pwait", "libuv"),
    CALL("eventfd2", "libuv's async wake-ups"),
    CALL("pipe2", "libuv, libcurl's wake-ups"),
    CALL("accept4", "inbound connections"),
    CALL("getpeername", "the client's address"),
    CALL("getsockname", "the bound port"),
    CALL("shutdown", "closing connections"),
    CALL("listen", "libuv"),
    CALL("bind", "libcurl binds local ends"),
    CALL("ppoll", "WASI poll_oneoff, libcurl"),
    CALL("poll", "libcurl, hiredis"),
    CALL("select", "hiredis timeouts"),
    CALL("pselect6", "the same"),
    /* files: WASI through descriptors (openat2 beneath a preopen), SQLite
     * stores, logs. A filter cannot read path strings: confining guest
     * paths is the WASI layer's work, these only let the host do its own */
    CALL("openat", "SQLite, logs, /proc/self/pagemap"),
    CALL("openat2", "WASI path resolution"),
    CALL("open", "libraries that still call it"),
    CALL("close", "descriptors"),
    CALL("read", "sockets, files"),
    CALL("write", "sockets, files, logs"),
    CALL("readv", "WASI fd_read"),
    CALL("writev", "responses, WASI fd_write"),
    CALL("pread64", "SQLite, WASI fd_pread, pagemap"),
    CALL("pwrite64", "SQLite, WASI fd_pwrite"),
    CALL("preadv", "WASI fd_pread"),
    CALL("pwritev", "WASI fd_pwrite"),
    CALL("lseek", "WASI fd_seek, SQLite"),
    CALL("fstat", "descriptors"),
    CALL("newfstatat", "WASI path_filestat_get"),
    CALL("statx", "the same"),
    CALL("fstatfs", "SQLite"),
    CALL("fcntl", "non-blocking flags, SQLite locks, memfd seals"),
    CALL("flock", "key-value store files"),
    CALL("fsync", "durable stores"),
    CALL("fdatasync", "the same"),
    CALL("getdents64", "WASI fd_readdir"),
    CALL("readlink", "SQLite resolves its path"),
    CALL("readlinkat", "WASI path_readlink"),
    CALL("unlink", "SQLite journals"),
    CALL("unlinkat", "WASI path_unlink_file, path_remove_directory"),
    CALL("mkdirat", "WASI path_create_directory"),
    CALL("mkdir", "log rotation"),
    CALL("rename", "log rotation"),
    CALL("renameat", "WASI path_rename"),
    CALL("renameat2", "the same"),
    CALL("symlinkat", "WASI path_symlink"),
    CALL("linkat", "WASI path_link"),
    CALL("utimensat", "WASI fd_filestat_set_times"),
    CALL("access", "SQLite"),
    CALL("faccessat", "the same"),
    CALL("faccessat2", "the same"),
    CALL("dup", "descriptors"),
    CALL("dup3", "the same"),
    CALL_IN("ioctl", "FIONBIO, FIOCLEX, FIONCLEX, FIONREAD, TCGETS (isatty)", ARG1_IN, FIONBIO,
            FIOCLEX, FIONCLEX, FIONREAD, TCGETS),
    CALL("getcwd", "SQLite"),
    CALL("fchown", "SQLite, run as root, gives a new -wal/-shm file the database's owner"),
    CALL("fchmod", "SQLite sets a new journal's mode"),
    CALL("umask", "libraries creating files"),
    CALL("fadvise64", "reading snapshot and store files"),
    CALL("dup2", "descriptors"),
    CALL("close_range", "descriptors"),
    CALL("getppid", "libraries ask"),
    CALL_IN("prctl", "thread names (PR_SET_NAME, PR_GET_NAME only)", ARG0_IN, PR_SET_NAME,
            PR_GET_NAME),
    CALL("uname", "libraries ask once"),
    CALL("sysinfo", "libraries ask once"),
    CALL("getuid", "SQLite, the resolver"),
    CALL("geteuid", "the same"),
    CALL("getgid", "the same"),
    CALL("getegid", "the same"),
    /* outbound: libcurl, hiredis, the resolver */
    CALL_IN("socket", "outbound HTTP, Redis, DNS (AF_INET, AF_INET6, AF_UNIX, AF_NETLINK)", ARG0_IN,
            AF_INET, AF_INET6, AF_UNIX, AF_NETLINK),
    CALL_IN("socketpair", "libcurl's threaded resolver wakes its caller (AF_UNIX only)", ARG0_IN,
            AF_UNIX),
    CALL("connect", "the same"),
    CALL("getsockopt", "the same"),
    CALL("setsockopt", "the same"),
    CALL("sendto", "the same"),
    CALL("recvfrom", "the same"),
    CALL("sendmsg", "the same"),
    CALL("recvmsg", "the same"),
    CALL("sendmmsg", "the resolver"),
    CALL("recvmmsg", "the resolver"),
};
#undef CALL
#undef CALL_IF
#undef CALL_IN

/* Only an attacker makes these: the process dies rather than answer. */
static const char *const fatal[] = {
    "execve",
    "execveat",
    "fork",
    "vfork",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "init_module",
    "finit_module",
    "delete_module",
    "kexec_load",
    "kexec_file_load",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "unshare",
    "setns",
    "keyctl",
    "add_key",
    "request_key",
    "setuid",
    "setgid",
    "setreuid",
    "setregid",
    "setresuid",
    "setresgid",
    "setgroups",
    "capset",
    "personality",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "open_by_handle_at",
    "name_to_handle_at",
    "pkey_mprotect",
    "memfd_secret",
    "process_madvise",
    "pidfd_getfd",
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
    struct scmp_arg_cmp cmp;
    switch (allowed[i].rule) {
      case ANY: ok = add(ctx, allow, n, 0, NULL, err, errlen); break;
      case NO_EXEC:
        cmp = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
        ok = add(ctx, allow, n, 1, &cmp, err, errlen);
        break;
      case THREAD:
        cmp = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD);
        ok = add(ctx, allow, n, 1, &cmp, err, errlen);
        break;
      case OWN_PROCESS:
        cmp = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid());
        ok = add(ctx, allow, n, 1, &cmp, err, errlen);
        break;
      case ARG0_IN:
      case ARG1_IN:
        /* one rule per value: the rules of a call are alternatives */
        for (size_t k = 0; ok && k < allowed[i].nvalues; k++) {
          cmp = allowed[i].rule == ARG0_IN ? SCMP_A0(SCMP_CMP_EQ, allowed[i].values[k])
                                           : SCMP_A1(SCMP_CMP_EQ, allowed[i].values[k]);
          ok = add(ctx, allow, n, 1, &cmp, err, errlen);
        }
        break;
    }
  }
  /* glibc falls back to clone, whose flags a filter can see */
  ok = ok && add(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL, err, errlen);
  for (size_t i = 0; ok && i < sizeof fatal / sizeof *fatal; i++)
    ok = add(ctx, kill, fatal[i], 0, NULL, err, errlen);
  return ok;
}

/* What would map code after the filter is on is loaded now. */
static void preload(const pe_lockdown_options *o) {
  char why[256];
  if (o->outbound && pe_curl_load(why, sizeof why)) curl_global_init(CURL_GLOBAL_ALL);
  if (o->postgres && !pe_svc_postgres_preload(why, sizeof why))
    fprintf(stderr, "pyedge: postgres connections will fail: %s\n", why);
  if (o->mysql && !pe_svc_mysql_preload(why, sizeof why))
    fprintf(stderr, "pyedge: mysql connections will fail: %s\n", why);
  if (o->mqtt && !pe_svc_mqtt_preload(why, sizeof why))
    fprintf(stderr, "pyedge: mqtt connections will fail: %s\n", why);
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
  preload(o);
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
  ok = ok &&
       build_filter(ctx, SCMP_ACT_ALLOW, log ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS, err, errlen);
  int rc = ok ? seccomp_load(ctx) : 0;
  if (ok && rc < 0) {
    snprintf(err, errlen, "seccomp: cannot load the filter: %s", strerror(-rc));
    ok = false;
  }
  seccomp_release(ctx);
  return ok;
}
