/*
 * wasi_stdio.c -- guest fds 0, 1 and 2.
 *
 * Inherited streams are duplicates of the host's descriptors, so the guest
 * closing or renumbering "its" stdout never closes the host's. A duplicate
 * still shares the open file description (and so O_NONBLOCK/O_APPEND) with
 * the host process and any other instance, hence such entries are marked
 * `shared` and fd_fdstat_set_flags refuses to change them.
 *
 * Captured output goes to a growable buffer with a cap; what exceeds the cap
 * is dropped (the write still reports success, so a guest does not spin
 * retrying) and the stream is marked truncated. The stdin buffer is a copy
 * of the configured bytes; "null" stdin is that buffer empty.
 *
 * In-memory streams report SEEK/TELL rights (fd_seek says ESPIPE, as for a
 * pipe) so that wasi-libc's isatty(), which needs them absent, says no.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pe_wasi_int.h"

#define STREAM_COMMON                                                  \
  (PE_WASI_RIGHT_FD_FDSTAT_SET_FLAGS | PE_WASI_RIGHT_FD_FILESTAT_GET | \
   PE_WASI_RIGHT_POLL_FD_READWRITE)
#define IN_RIGHTS (STREAM_COMMON | PE_WASI_RIGHT_FD_READ)
#define OUT_RIGHTS \
  (STREAM_COMMON | PE_WASI_RIGHT_FD_WRITE | PE_WASI_RIGHT_FD_SYNC | PE_WASI_RIGHT_FD_DATASYNC)
#define SEEKABLE (PE_WASI_RIGHT_FD_SEEK | PE_WASI_RIGHT_FD_TELL)

void pe_wasi_capture_append(pe_wasi_capture *c, const uint8_t *data, size_t len) {
  size_t room = c->limit - c->len;
  if (len > room) {
    c->dropped += len - room; /* counted, so the host can say how much was lost */
    len = room;
    c->truncated = true;
  }
  if (len == 0) return;
  if (c->cap - c->len < len) {
    size_t want = c->cap ? c->cap : 4096;
    while (want - c->len < len) want = want > c->limit / 2 ? c->limit : want * 2;
    uint8_t *p = realloc(c->data, want);
    if (p == NULL) {
      c->truncated = true;
      c->dropped += len;
      return;
    }
    c->data = p;
    c->cap = want;
  }
  memcpy(c->data + c->len, data, len);
  c->len += len;
}

/* Duplicates host descriptor `n` into guest slot `n`. False if the host has
 * no such descriptor (the caller substitutes an in-memory stream). */
static bool inherit(pe_wasi *w, int n, uint64_t rights) {
  int h = fcntl(n, F_DUPFD_CLOEXEC, 3);
  if (h < 0) return false;
  struct stat st;
  uint8_t type = fstat(h, &st) == 0 ? pe_wasi_filetype(st.st_mode) : PE_WASI_FILETYPE_UNKNOWN;
  if (!isatty(h)) rights |= SEEKABLE;
  w->fds[n] = (pe_wasi_fd){.kind = PE_WASI_FD_HOST,
                           .filetype = type,
                           .shared = true,
                           .host_fd = h,
                           .rights_base = rights};
  return true;
}

static void memory_stream(pe_wasi *w, int n, pe_wasi_fd_kind kind, uint8_t type, uint64_t rights) {
  w->fds[n] = (pe_wasi_fd){.kind = kind,
                           .filetype = type,
                           .host_fd = -1,
                           .stream = n - 1,
                           .rights_base = rights | SEEKABLE};
}

static void output(pe_wasi *w, int n, pe_wasi_stdio_mode mode) {
  switch (mode) {
    case PE_WASI_STDIO_CAPTURE:
      memory_stream(w, n, PE_WASI_FD_CAPTURE, PE_WASI_FILETYPE_UNKNOWN, OUT_RIGHTS);
      return;
    case PE_WASI_STDIO_INHERIT:
      if (inherit(w, n, OUT_RIGHTS)) return;
      break;
    case PE_WASI_STDIO_NULL: break;
  }
  memory_stream(w, n, PE_WASI_FD_SINK, PE_WASI_FILETYPE_CHARACTER_DEVICE, OUT_RIGHTS);
}

uint32_t pe_wasi_stdio_init(pe_wasi *w, const pe_wasi_config *cfg, char *err, size_t errlen) {
  size_t limit = cfg->capture_limit ? cfg->capture_limit : PE_WASI_DEFAULT_CAPTURE_LIMIT;
  w->capture[0].limit = limit;
  w->capture[1].limit = limit;

  if (cfg->stdin_data != NULL) {
    if (cfg->stdin_len > 0) {
      w->stdin_buf = malloc(cfg->stdin_len);
      if (w->stdin_buf == NULL) {
        snprintf(err, errlen, "out of memory copying stdin (%zu bytes)", cfg->stdin_len);
        return PE_WASI_ENOMEM;
      }
      memcpy(w->stdin_buf, cfg->stdin_data, cfg->stdin_len);
      w->stdin_len = cfg->stdin_len;
    }
    memory_stream(w, 0, PE_WASI_FD_STDIN, PE_WASI_FILETYPE_UNKNOWN, IN_RIGHTS);
  } else if (cfg->stdin_null || !inherit(w, 0, IN_RIGHTS)) {
    memory_stream(w, 0, PE_WASI_FD_STDIN, PE_WASI_FILETYPE_CHARACTER_DEVICE, IN_RIGHTS);
  }
  output(w, 1, cfg->stdout_mode);
  output(w, 2, cfg->stderr_mode);
  return PE_WASI_ESUCCESS;
}
