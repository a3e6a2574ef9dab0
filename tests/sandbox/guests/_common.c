/*
 * _common.c -- included by the sandbox guests (run.sh builds only the files
 * whose name does not start with '_').
 *
 * Raw WASI preview1 imports with every pointer and length as a plain u32, so
 * that a guest can pass any value at all (wasi-libc's wrappers take C
 * pointers and compute string lengths themselves), and helpers to print
 * results as "label: ERRNO_NAME" lines that run.sh compares verbatim.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define RAW(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))
typedef uint32_t u32;
typedef uint64_t u64;

u32 raw_args_get(u32 argv, u32 buf) RAW(args_get);
u32 raw_args_sizes_get(u32 argc, u32 size) RAW(args_sizes_get);
u32 raw_environ_get(u32 env, u32 buf) RAW(environ_get);
u32 raw_environ_sizes_get(u32 count, u32 size) RAW(environ_sizes_get);
u32 raw_clock_res_get(u32 id, u32 out) RAW(clock_res_get);
u32 raw_clock_time_get(u32 id, u64 precision, u32 out) RAW(clock_time_get);
u32 raw_fd_advise(u32 fd, u64 off, u64 len, u32 advice) RAW(fd_advise);
u32 raw_fd_allocate(u32 fd, u64 off, u64 len) RAW(fd_allocate);
u32 raw_fd_close(u32 fd) RAW(fd_close);
u32 raw_fd_datasync(u32 fd) RAW(fd_datasync);
u32 raw_fd_fdstat_get(u32 fd, u32 out) RAW(fd_fdstat_get);
u32 raw_fd_fdstat_set_flags(u32 fd, u32 flags) RAW(fd_fdstat_set_flags);
u32 raw_fd_fdstat_set_rights(u32 fd, u64 base, u64 inh) RAW(fd_fdstat_set_rights);
u32 raw_fd_filestat_get(u32 fd, u32 out) RAW(fd_filestat_get);
u32 raw_fd_filestat_set_size(u32 fd, u64 size) RAW(fd_filestat_set_size);
u32 raw_fd_filestat_set_times(u32 fd, u64 atim, u64 mtim, u32 fl) RAW(fd_filestat_set_times);
u32 raw_fd_pread(u32 fd, u32 iovs, u32 n, u64 off, u32 nread) RAW(fd_pread);
u32 raw_fd_prestat_get(u32 fd, u32 out) RAW(fd_prestat_get);
u32 raw_fd_prestat_dir_name(u32 fd, u32 buf, u32 len) RAW(fd_prestat_dir_name);
u32 raw_fd_pwrite(u32 fd, u32 iovs, u32 n, u64 off, u32 nwritten) RAW(fd_pwrite);
u32 raw_fd_read(u32 fd, u32 iovs, u32 n, u32 nread) RAW(fd_read);
u32 raw_fd_readdir(u32 fd, u32 buf, u32 len, u64 cookie, u32 used) RAW(fd_readdir);
u32 raw_fd_renumber(u32 fd, u32 to) RAW(fd_renumber);
u32 raw_fd_seek(u32 fd, u64 off, u32 whence, u32 out) RAW(fd_seek);
u32 raw_fd_sync(u32 fd) RAW(fd_sync);
u32 raw_fd_tell(u32 fd, u32 out) RAW(fd_tell);
u32 raw_fd_write(u32 fd, u32 iovs, u32 n, u32 nwritten) RAW(fd_write);
u32 raw_path_create_directory(u32 fd, u32 p, u32 plen) RAW(path_create_directory);
u32 raw_path_filestat_get(u32 fd, u32 fl, u32 p, u32 plen, u32 out) RAW(path_filestat_get);
u32 raw_path_filestat_set_times(u32 fd, u32 fl, u32 p, u32 plen, u64 atim, u64 mtim, u32 fst)
    RAW(path_filestat_set_times);
u32 raw_path_link(u32 ofd, u32 ofl, u32 op, u32 oplen, u32 nfd, u32 np, u32 nplen) RAW(path_link);
u32 raw_path_open(u32 fd, u32 dirflags, u32 p, u32 plen, u32 oflags, u64 base, u64 inh, u32 fdflags,
                  u32 out) RAW(path_open);
u32 raw_path_readlink(u32 fd, u32 p, u32 plen, u32 buf, u32 len, u32 used) RAW(path_readlink);
u32 raw_path_remove_directory(u32 fd, u32 p, u32 plen) RAW(path_remove_directory);
u32 raw_path_rename(u32 fd, u32 op, u32 oplen, u32 nfd, u32 np, u32 nplen) RAW(path_rename);
u32 raw_path_symlink(u32 op, u32 oplen, u32 fd, u32 np, u32 nplen) RAW(path_symlink);
u32 raw_path_unlink_file(u32 fd, u32 p, u32 plen) RAW(path_unlink_file);
u32 raw_poll_oneoff(u32 in, u32 out, u32 n, u32 nevents) RAW(poll_oneoff);
u32 raw_proc_raise(u32 sig) RAW(proc_raise);
u32 raw_sched_yield(void) RAW(sched_yield);
u32 raw_random_get(u32 buf, u32 len) RAW(random_get);
u32 raw_sock_accept(u32 fd, u32 flags, u32 out) RAW(sock_accept);
u32 raw_sock_recv(u32 fd, u32 iovs, u32 n, u32 flags, u32 len, u32 oflags) RAW(sock_recv);
u32 raw_sock_send(u32 fd, u32 iovs, u32 n, u32 flags, u32 len) RAW(sock_send);
u32 raw_sock_shutdown(u32 fd, u32 how) RAW(sock_shutdown);

/* pyedge's own host functions (see src/hostapi/pe_host_abi.h). */
void pyedge_log(u32 level, u32 ptr, u32 len)
    __attribute__((import_module("pyedge"), import_name("log")));
u32 pyedge_version(u32 buf, u32 cap)
    __attribute__((import_module("pyedge"), import_name("version")));

#define RIGHTS_ALL ((u64)0x1fffffff)
#define R_FD_READ ((u64)1 << 1)
/* Everything but the rights that need a writable open (EISDIR on a directory). */
#define RIGHTS_DIR (RIGHTS_ALL & ~(((u64)1 << 6) | ((u64)1 << 8) | ((u64)1 << 22)))
#define R_FD_WRITE ((u64)1 << 6)
#define LOOKUP_FOLLOW 1u
#define O_CREAT_ 1u
#define O_DIRECTORY_ 2u
#define O_EXCL_ 4u
#define O_TRUNC_ 8u

static const char *const errnames[] = {
    "SUCCESS",      "E2BIG",           "EACCES",       "EADDRINUSE",   "EADDRNOTAVAIL",
    "EAFNOSUPPORT", "EAGAIN",          "EALREADY",     "EBADF",        "EBADMSG",
    "EBUSY",        "ECANCELED",       "ECHILD",       "ECONNABORTED", "ECONNREFUSED",
    "ECONNRESET",   "EDEADLK",         "EDESTADDRREQ", "EDOM",         "EDQUOT",
    "EEXIST",       "EFAULT",          "EFBIG",        "EHOSTUNREACH", "EIDRM",
    "EILSEQ",       "EINPROGRESS",     "EINTR",        "EINVAL",       "EIO",
    "EISCONN",      "EISDIR",          "ELOOP",        "EMFILE",       "EMLINK",
    "EMSGSIZE",     "EMULTIHOP",       "ENAMETOOLONG", "ENETDOWN",     "ENETRESET",
    "ENETUNREACH",  "ENFILE",          "ENOBUFS",      "ENODEV",       "ENOENT",
    "ENOEXEC",      "ENOLCK",          "ENOLINK",      "ENOMEM",       "ENOMSG",
    "ENOPROTOOPT",  "ENOSPC",          "ENOSYS",       "ENOTCONN",     "ENOTDIR",
    "ENOTEMPTY",    "ENOTRECOVERABLE", "ENOTSOCK",     "ENOTSUP",      "ENOTTY",
    "ENXIO",        "EOVERFLOW",       "EOWNERDEAD",   "EPERM",        "EPIPE",
    "EPROTO",       "EPROTONOSUPPORT", "EPROTOTYPE",   "ERANGE",       "EROFS",
    "ESPIPE",       "ESRCH",           "ESTALE",       "ETIMEDOUT",    "ETXTBSY",
    "EXDEV",        "ENOTCAPABLE"};

/* WASI errno numbers are also wasi-libc's errno values. */
__attribute__((unused)) static const char *ename(u32 e) {
  static char buf[16];
  if (e < sizeof errnames / sizeof errnames[0]) return errnames[e];
  snprintf(buf, sizeof buf, "E#%u", (unsigned)e);
  return buf;
}

__attribute__((unused)) static void show(const char *label, u32 e) {
  printf("%s: %s\n", label, ename(e));
}

/* Guest address of a C object, as the u32 the raw calls take. */
#define A(p) ((u32)(uintptr_t)(p))
/* A string and its length, for raw path arguments. */
#define S(str) A(str), (u32)strlen(str)

/* Bytes of linear memory right now. */
__attribute__((unused)) static u32 mem_size(void) {
  return (u32)__builtin_wasm_memory_size(0) * 65536u;
}
