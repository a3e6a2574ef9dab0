/*
 * manifest_mem.c -- ownership and messages: every string and array of a
 * loaded manifest hangs on one list freed by pe_manifest_free, and errors
 * and warnings are formatted "file:line: message" in one place.
 *
 * A list of blocks (not an arena) because the model is small and built
 * once; it keeps each allocation exactly sized and ASan-checked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest_int.h"

struct pe_manifest_mem {
  pe_manifest_mem *next;
  max_align_t data[];
};

void *manifest_alloc(manifest_ctx *c, size_t n) {
  if (n > SIZE_MAX - sizeof(pe_manifest_mem)) {
    manifest_fail(c, 0, "out of memory");
    return NULL;
  }
  pe_manifest_mem *b = calloc(1, sizeof *b + (n ? n : 1));
  if (!b) {
    manifest_fail(c, 0, "out of memory");
    return NULL;
  }
  b->next = c->m->mem;
  c->m->mem = b;
  return b->data;
}

void *manifest_alloc_array(manifest_ctx *c, size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) {
    manifest_fail(c, 0, "out of memory");
    return NULL;
  }
  return manifest_alloc(c, n * size);
}

char *manifest_printf(manifest_ctx *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return NULL;
  char *s = manifest_alloc(c, (size_t)n + 1);
  if (!s) return NULL;
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

void manifest_mem_free(pe_manifest_mem *mem) {
  while (mem) {
    pe_manifest_mem *next = mem->next;
    free(mem);
    mem = next;
  }
}

static void format(char *out, size_t outlen, const char *file, int line, const char *fmt,
                   va_list ap) {
  int n = line > 0 ? snprintf(out, outlen, "%s:%d: ", file, line)
                   : snprintf(out, outlen, "%s: ", file);
  if (n < 0 || (size_t)n >= outlen) return;
  vsnprintf(out + n, outlen - (size_t)n, fmt, ap);
}

bool manifest_fail(manifest_ctx *c, int line, const char *fmt, ...) {
  if (c->failed) return false;
  c->failed = true;
  if (!c->err) return false;
  c->err->line = line;
  va_list ap;
  va_start(ap, fmt);
  format(c->err->msg, sizeof c->err->msg, c->file, line, fmt, ap);
  va_end(ap);
  return false;
}

bool manifest_warn(manifest_ctx *c, int line, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  format(msg, sizeof msg, c->file, line, fmt, ap);
  va_end(ap);
  pe_manifest_list *w = &c->m->warnings;
  const char **items = manifest_alloc_array(c, w->len + 1, sizeof *items);
  char *copy = manifest_printf(c, "%s", msg);
  if (!items || !copy) return false;
  if (w->len) memcpy(items, w->items, w->len * sizeof *items);
  items[w->len++] = copy;
  w->items = items;
  return true;
}

void manifest_key_text(const char *key, size_t len, char *out, size_t outlen) {
  size_t o = 0;
  for (size_t i = 0; i < len && o + 4 < outlen; i++) {
    unsigned char ch = (unsigned char)key[i];
    if (o >= 64 && (ch & 0xc0) != 0x80) {
      memcpy(out + o, "...", 3);
      o += 3;
      break;
    }
    out[o++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
  }
  out[o] = 0;
}
