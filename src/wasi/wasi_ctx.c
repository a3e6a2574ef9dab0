/*
 * wasi_ctx.c -- creating and destroying a WASI context.
 *
 * Everything the guest can ask about its environment is fixed here: argv and
 * environ are packed once (so args_get/environ_get are plain copies whose
 * sizes were validated to fit the guest's u32 sizes), stdio is set up, and
 * preopens are opened as directories now, so a bad --dir fails before any
 * guest code runs. Preopen descriptors are O_RDONLY|O_DIRECTORY (readable by
 * fd_readdir); they are the roots beneath which the guest resolves paths.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pe_wasi_int.h"

static bool pack(pe_wasi_strings *s, int n, const char *const *v, const char *what, char *err,
                 size_t errlen) {
  if (n < 0 || (n > 0 && v == NULL)) {
    snprintf(err, errlen, "bad %s count", what);
    return false;
  }
  uint64_t size = 0;
  for (int i = 0; i < n; i++) {
    if (v[i] == NULL) {
      snprintf(err, errlen, "%s[%d] is NULL", what, i);
      return false;
    }
    size += strlen(v[i]) + 1;
  }
  /* The guest needs count*4 bytes of pointers plus the strings, all below
   * 4 GiB; refuse what could never fit rather than wrap a u32. */
  if (size + (uint64_t)n * 4 > UINT32_MAX) {
    snprintf(err, errlen, "%s too large", what);
    return false;
  }
  s->buf = malloc(size ? size : 1);
  s->offsets = malloc(n ? (size_t)n * sizeof *s->offsets : 1);
  if (s->buf == NULL || s->offsets == NULL) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  uint32_t off = 0;
  for (int i = 0; i < n; i++) {
    size_t len = strlen(v[i]) + 1;
    memcpy(s->buf + off, v[i], len);
    s->offsets[i] = off;
    off += (uint32_t)len;
  }
  s->count = (uint32_t)n;
  s->size = off;
  return true;
}

static bool preopen(pe_wasi *w, int i, const pe_wasi_preopen *po, char *err, size_t errlen) {
  if (po->host_path == NULL) {
    snprintf(err, errlen, "preopen %d has no host path", i);
    return false;
  }
  const char *name = po->guest_path ? po->guest_path : po->host_path;
  size_t name_len = strlen(name);
  if (name_len == 0 || name_len > PE_WASI_PATH_MAX) {
    snprintf(err, errlen, "bad guest name for directory %s", po->host_path);
    return false;
  }
  /* a fresh open file description either way: contexts never share a
   * directory offset */
  int h = po->has_dir_fd ? openat(po->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                         : open(po->host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (h < 0) {
    snprintf(err, errlen, "cannot open directory %s: %s", po->host_path, strerror(errno));
    return false;
  }
  char *copy = strdup(name);
  if (copy == NULL) {
    close(h);
    snprintf(err, errlen, "out of memory");
    return false;
  }
  uint64_t base = PE_WASI_RIGHTS_DIR_BASE;
  uint64_t inheriting = PE_WASI_RIGHTS_DIR_BASE | PE_WASI_RIGHTS_FILE_BASE;
  if (po->read_only) {
    base &= ~PE_WASI_RIGHTS_MUTATING;
    inheriting &= ~PE_WASI_RIGHTS_MUTATING;
  }
  uint32_t fd = 3 + (uint32_t)i;
  w->fds[fd] = (pe_wasi_fd){
      .kind = PE_WASI_FD_HOST,
      .filetype = PE_WASI_FILETYPE_DIRECTORY,
      .host_fd = h,
      .rights_base = base,
      .rights_inheriting = inheriting,
      .preopen_name = copy,
      .preopen_name_len = (uint32_t)name_len,
  };
  return true;
}

pe_wasi *pe_wasi_new(const pe_wasi_config *cfg, char *err, size_t errlen) {
  char dummy[1];
  if (err == NULL || errlen == 0) {
    err = dummy;
    errlen = sizeof dummy;
  }
  err[0] = '\0';
  if (cfg == NULL) {
    snprintf(err, errlen, "no configuration");
    return NULL;
  }
  if (cfg->npreopens < 0 || (cfg->npreopens > 0 && cfg->preopens == NULL) ||
      (uint64_t)cfg->npreopens > PE_WASI_MAX_FDS - 3) {
    snprintf(err, errlen, "bad number of preopened directories");
    return NULL;
  }
  pe_wasi *w = calloc(1, sizeof *w);
  if (w == NULL) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  w->fds = calloc(PE_WASI_MAX_FDS, sizeof *w->fds);
  w->dirent_buf = malloc(PE_WASI_DIRENT_SCRATCH);
  if (w->fds == NULL || w->dirent_buf == NULL) {
    snprintf(err, errlen, "out of memory");
    goto fail;
  }
  for (uint32_t i = 0; i < PE_WASI_MAX_FDS; i++) w->fds[i].host_fd = -1;
  if (!pack(&w->args, cfg->argc, cfg->argv, "argv", err, errlen)) goto fail;
  if (!pack(&w->env, cfg->envc, cfg->envp, "environ", err, errlen)) goto fail;
  if (pe_wasi_stdio_init(w, cfg, err, errlen) != PE_WASI_ESUCCESS) goto fail;
  for (int i = 0; i < cfg->npreopens; i++)
    if (!preopen(w, i, &cfg->preopens[i], err, errlen)) goto fail;
  w->nbase = 3 + (uint32_t)cfg->npreopens;
  w->fd_top = w->nbase;
  w->base = malloc(w->nbase * sizeof *w->base);
  if (w->base == NULL) {
    snprintf(err, errlen, "out of memory");
    goto fail;
  }
  memcpy(w->base, w->fds, w->nbase * sizeof *w->base);
  return w;
fail:
  pe_wasi_free(w);
  return NULL;
}

void pe_wasi_attach_memory(pe_wasi *w, wasm_rt_memory_t *mem) { w->mem = mem; }

void pe_wasi_set_host_data(pe_wasi *w, void *data) { w->host_data = data; }

void *pe_wasi_host_data(pe_wasi *w) { return w->host_data; }

const uint8_t *pe_wasi_captured(const pe_wasi *w, int fd, size_t *len) {
  if (w == NULL || (fd != 1 && fd != 2) || w->capture[fd - 1].data == NULL) {
    if (len) *len = 0;
    return NULL;
  }
  if (len) *len = w->capture[fd - 1].len;
  return w->capture[fd - 1].data;
}

bool pe_wasi_capture_truncated(const pe_wasi *w, int fd) {
  return w != NULL && (fd == 1 || fd == 2) && w->capture[fd - 1].truncated;
}

uint64_t pe_wasi_capture_dropped(const pe_wasi *w, int fd) {
  return w != NULL && (fd == 1 || fd == 2) ? w->capture[fd - 1].dropped : 0;
}

static bool same_slot(const pe_wasi_fd *a, const pe_wasi_fd *b) {
  return a->kind == b->kind && a->filetype == b->filetype && a->shared == b->shared &&
         a->mem_flags == b->mem_flags && a->host_fd == b->host_fd && a->stream == b->stream &&
         a->rights_base == b->rights_base && a->rights_inheriting == b->rights_inheriting &&
         a->preopen_name == b->preopen_name && a->preopen_name_len == b->preopen_name_len &&
         !a->touched;
}

bool pe_wasi_reset(pe_wasi *w) {
  if (w == NULL || w->base == NULL) return false;
  for (uint32_t i = w->nbase; i < w->fd_top; i++)
    if (w->fds[i].kind != PE_WASI_FD_FREE) pe_wasi_fd_release(&w->fds[i]);
  w->fd_top = w->nbase;
  if (w->base_moved) return false;
  for (uint32_t i = 0; i < w->nbase; i++)
    if (!same_slot(&w->fds[i], &w->base[i])) return false;
  for (int s = 0; s < 2; s++) {
    w->capture[s].len = 0;
    w->capture[s].truncated = false;
    w->capture[s].dropped = 0;
  }
  w->stdin_pos = 0;
  w->host_data = NULL;
  return true;
}

void pe_wasi_free(pe_wasi *w) {
  if (w == NULL) return;
  if (w->fds != NULL)
    for (uint32_t i = 0; i < PE_WASI_MAX_FDS; i++)
      if (w->fds[i].kind != PE_WASI_FD_FREE) pe_wasi_fd_release(&w->fds[i]);
  free(w->fds);
  free(w->base);
  free(w->args.buf);
  free(w->args.offsets);
  free(w->env.buf);
  free(w->env.offsets);
  free(w->capture[0].data);
  free(w->capture[1].data);
  free(w->stdin_buf);
  free(w->dirent_buf);
  free(w->poll_scratch);
  free(w);
}
