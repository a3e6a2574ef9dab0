/*
 * wasi_io.c -- fd_read, fd_write, fd_pread, fd_pwrite.
 *
 * The guest's iovecs are checked and translated into w->iov, pointing
 * straight into linear memory, and handed to readv/writev: no copy, no
 * allocation, so a deadline trap from a blocking read leaks nothing. The
 * result pointer is validated before the I/O, so a bad one cannot turn a
 * completed write into an error the guest would retry.
 *
 * Writing to a pipe whose reader is gone raises SIGPIPE, which by default
 * kills the whole host. Writes to anything but regular files therefore run
 * with SIGPIPE blocked in this thread and a SIGPIPE they cause is consumed,
 * so the guest just sees EPIPE. A deadline that interrupts such a write
 * traps only after the mask is restored: the runtime does not save masks
 * around guest calls.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "pe_wasi_int.h"
#include "runtime/pe_rt.h"

static uint32_t host_read(int fd, const struct iovec *iov, int n, int64_t off, size_t *done) {
  for (;;) {
    ssize_t r = off < 0 ? readv(fd, iov, n) : preadv(fd, iov, n, off);
    if (r >= 0) {
      *done = (size_t)r;
      return PE_WASI_ESUCCESS;
    }
    if (errno != EINTR) return pe_wasi_errno(errno);
    pe_wasi_interrupted();
  }
}

static uint32_t host_write(const pe_wasi_fd *f, const struct iovec *iov, int n, int64_t off,
                           size_t *done) {
  bool guard = f->filetype != PE_WASI_FILETYPE_REGULAR_FILE;
  sigset_t pipe_set, old, pending;
  bool was_pending = false;
  if (guard) {
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
  }
  uint32_t e;
  bool stop = false;
  for (;;) {
    ssize_t r = off < 0 ? writev(f->host_fd, iov, n) : pwritev(f->host_fd, iov, n, off);
    if (r >= 0) {
      *done = (size_t)r;
      e = PE_WASI_ESUCCESS;
      break;
    }
    if (errno != EINTR) {
      e = pe_wasi_errno(errno);
      break;
    }
    if (pe_rt_should_stop()) {
      stop = true;
      e = PE_WASI_EINTR;
      break;
    }
  }
  if (guard) {
    if (e == PE_WASI_EPIPE && !was_pending) {
      static const struct timespec zero = {0, 0};
      while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
  }
  if (stop) pe_wasi_interrupted();
  return e;
}

/* The checks every read and write starts with, in the order the spec's
 * errors are expected: the descriptor and its rights (plus FD_SEEK for the
 * positional forms), the result pointer, the iovec array, the offset. */
static uint32_t begin_io(pe_wasi *w, uint32_t fd, uint64_t right, uint32_t iovs, uint32_t iovs_len,
                         bool positional, uint64_t offset, uint32_t count_ptr, pe_wasi_fd **f,
                         uint8_t **out, int *n, uint64_t *total) {
  uint64_t rights = right | (positional ? PE_WASI_RIGHT_FD_SEEK : 0);
  uint32_t e = pe_wasi_fd_get(w, fd, rights, f);
  if (e != PE_WASI_ESUCCESS) return e;
  *out = pe_wasi_mem(w, count_ptr, 4);
  if (*out == NULL) return PE_WASI_EFAULT;
  e = pe_wasi_iovecs(w, iovs, iovs_len, n, total);
  if (e != PE_WASI_ESUCCESS) return e;
  if (positional && offset > INT64_MAX) return PE_WASI_EINVAL;
  return PE_WASI_ESUCCESS;
}

static uint32_t do_read(pe_wasi *w, uint32_t fd, uint32_t iovs, uint32_t iovs_len, bool positional,
                        uint64_t offset, uint32_t nread_ptr) {
  pe_wasi_fd *f;
  uint8_t *out;
  int n;
  uint64_t total;
  uint32_t e = begin_io(w, fd, PE_WASI_RIGHT_FD_READ, iovs, iovs_len, positional, offset, nread_ptr,
                        &f, &out, &n, &total);
  if (e != PE_WASI_ESUCCESS) return e;

  size_t done = 0;
  switch (f->kind) {
    case PE_WASI_FD_HOST:
      if (f->filetype == PE_WASI_FILETYPE_DIRECTORY) return PE_WASI_EISDIR;
      e = host_read(f->host_fd, w->iov, n, positional ? (int64_t)offset : -1, &done);
      break;
    case PE_WASI_FD_STDIN:
      if (positional) return PE_WASI_ESPIPE;
      for (int i = 0; i < n && w->stdin_pos < w->stdin_len; i++) {
        size_t k = w->stdin_len - w->stdin_pos;
        if (k > w->iov[i].iov_len) k = w->iov[i].iov_len;
        memcpy(w->iov[i].iov_base, w->stdin_buf + w->stdin_pos, k);
        w->stdin_pos += k;
        done += k;
      }
      break;
    default:
      if (positional) return PE_WASI_ESPIPE;
      break; /* a sink reads as end of file */
  }
  if (e != PE_WASI_ESUCCESS) return e;
  pe_wasi_st32(out, (uint32_t)done);
  return PE_WASI_ESUCCESS;
}

static uint32_t do_write(pe_wasi *w, uint32_t fd, uint32_t iovs, uint32_t iovs_len, bool positional,
                         uint64_t offset, uint32_t nwritten_ptr) {
  pe_wasi_fd *f;
  uint8_t *out;
  int n;
  uint64_t total;
  uint32_t e = begin_io(w, fd, PE_WASI_RIGHT_FD_WRITE, iovs, iovs_len, positional, offset,
                        nwritten_ptr, &f, &out, &n, &total);
  if (e != PE_WASI_ESUCCESS) return e;

  size_t done = 0;
  switch (f->kind) {
    case PE_WASI_FD_HOST:
      if (f->filetype == PE_WASI_FILETYPE_DIRECTORY) return PE_WASI_EISDIR;
      e = host_write(f, w->iov, n, positional ? (int64_t)offset : -1, &done);
      break;
    case PE_WASI_FD_CAPTURE:
      if (positional) return PE_WASI_ESPIPE;
      for (int i = 0; i < n; i++)
        pe_wasi_capture_append(&w->capture[f->stream], w->iov[i].iov_base, w->iov[i].iov_len);
      done = (size_t)total;
      break;
    default:
      if (positional) return PE_WASI_ESPIPE;
      done = (size_t)total; /* a sink swallows everything */
      break;
  }
  if (e != PE_WASI_ESUCCESS) return e;
  pe_wasi_st32(out, (uint32_t)done);
  return PE_WASI_ESUCCESS;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_fd_read(pe_wasi *w, uint32_t fd,
                                                            uint32_t iovs_ptr, uint32_t iovs_len,
                                                            uint32_t nread_ptr) {
  pe_rt_host_enter();
  return do_read(w, fd, iovs_ptr, iovs_len, false, 0, nread_ptr);
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_fd_pread(pe_wasi *w, uint32_t fd,
                                                             uint32_t iovs_ptr, uint32_t iovs_len,
                                                             uint64_t offset, uint32_t nread_ptr) {
  pe_rt_host_enter();
  return do_read(w, fd, iovs_ptr, iovs_len, true, offset, nread_ptr);
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_fd_write(pe_wasi *w, uint32_t fd,
                                                             uint32_t iovs_ptr, uint32_t iovs_len,
                                                             uint32_t nwritten_ptr) {
  pe_rt_host_enter();
  return do_write(w, fd, iovs_ptr, iovs_len, false, 0, nwritten_ptr);
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_fd_pwrite(pe_wasi *w, uint32_t fd,
                                                              uint32_t iovs_ptr, uint32_t iovs_len,
                                                              uint64_t offset,
                                                              uint32_t nwritten_ptr) {
  pe_rt_host_enter();
  return do_write(w, fd, iovs_ptr, iovs_len, true, offset, nwritten_ptr);
}
