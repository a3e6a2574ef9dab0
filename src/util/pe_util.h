/*
 * pe_util.h -- small host helpers shared by the CLI and the compiler:
 * whole-file I/O, hashing, directories, running a tool, growable strings.
 * Errors are reported as a message in a caller-provided buffer.
 */
#ifndef PE_UTIL_H
#define PE_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pe_assert.h"

typedef struct pe_buf {
  char *data;
  size_t len, cap;
} pe_buf;

PE_MUST_CHECK bool pe_buf_append(pe_buf *b, const void *p, size_t n);
PE_MUST_CHECK bool pe_buf_puts(pe_buf *b, const char *s);
PE_MUST_CHECK bool pe_buf_printf(pe_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* s as a JSON string, quotes included: '"', '\\' and control characters
 * escaped, other bytes as they are (the caller's text is UTF-8). */
PE_MUST_CHECK bool pe_buf_json_string(pe_buf *b, const char *s);
void pe_buf_free(pe_buf *b);

/* Reads a whole file; the result is NUL-terminated (not counted in len). */
PE_MUST_CHECK bool pe_read_file(const char *path, pe_buf *out, char *err, size_t errlen);
/* Writes via a temporary file and rename(2), so readers never see half. */
PE_MUST_CHECK bool pe_write_file(const char *path, const void *data, size_t len, char *err,
                                 size_t errlen);
/* write(2) until all n bytes are out, retrying on EINTR; false (errno set)
 * on an error. */
PE_MUST_CHECK bool pe_write_all(int fd, const void *p, size_t n);
PE_MUST_CHECK bool pe_mkdir_p(const char *path, char *err, size_t errlen);

/* sha256 as 64 hex chars + NUL */
void pe_sha256_hex(const void *data, size_t len, char out[65]);
typedef struct pe_sha256 pe_sha256;
pe_sha256 *pe_sha256_begin(void);
void pe_sha256_update(pe_sha256 *h, const void *data, size_t len);
void pe_sha256_end(pe_sha256 *h, char out[65]);

/* $PYEDGE_CACHE, else $XDG_CACHE_HOME/pyedge, else ~/.cache/pyedge */
PE_MUST_CHECK bool pe_cache_dir(char *out, size_t outlen);

/* Starts argv[0] (searched in PATH) with stdout to /dev/null and stderr to
 * `stderr_path` (or inherited if NULL). Returns the pid or -1. */
pid_t pe_spawn(char *const argv[], const char *stderr_path, char *err, size_t errlen);
/* Waits for pid; returns its exit status, or 128+signal. */
int pe_wait(pid_t pid);

/* out = dir + "/" + the formatted name; false if it does not fit. */
PE_MUST_CHECK bool pe_path_join(char *out, size_t n, const char *dir, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Waits until one of pids[0..n) exits; returns its index and stores its
 * status (as pe_wait) in *status. -1 if n == 0. */
int pe_wait_any(const pid_t *pids, int n, int *status);

/* Directory holding the running executable (no trailing slash). */
PE_MUST_CHECK bool pe_exe_dir(char *out, size_t outlen);

/* A condition variable whose timed waits count CLOCK_MONOTONIC time, so a
 * change of the wall clock cannot stretch or cut them. */
void pe_cond_init_monotonic(pthread_cond_t *cv);

#endif /* PE_UTIL_H */
