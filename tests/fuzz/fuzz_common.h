/*
 * fuzz_common.h -- what the libFuzzer targets share: a cursor that hands
 * out the input's bytes as the values a target decodes from it, a check
 * that aborts (so libFuzzer records the input as a crash) whatever NDEBUG
 * says, and temporary directories removed at exit.
 *
 * Targets read their input front to back; once it is used up every read
 * gives zeros, so any input is a complete program for the target and a
 * shorter one is simply a smaller case.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_CHECK(cond)                                                         \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                 \
    }                                                                          \
  } while (0)

typedef struct fz {
  const uint8_t *p;
  size_t left;
} fz;

static inline void fz_init(fz *f, const uint8_t *p, size_t n) {
  f->p = p;
  f->left = n;
}

static inline uint8_t fz_u8(fz *f) {
  if (!f->left) return 0;
  f->left--;
  return *f->p++;
}

static inline uint16_t fz_u16(fz *f) {
  uint16_t lo = fz_u8(f);
  return (uint16_t)(lo | (uint16_t)fz_u8(f) << 8);
}

static inline uint32_t fz_u32(fz *f) {
  uint32_t lo = fz_u16(f);
  return lo | (uint32_t)fz_u16(f) << 16;
}

static inline uint64_t fz_u64(fz *f) {
  uint64_t lo = fz_u32(f);
  return lo | (uint64_t)fz_u32(f) << 32;
}

/* Up to n bytes (fewer at the end of the input); *got says how many. */
static inline const uint8_t *fz_bytes(fz *f, size_t n, size_t *got) {
  if (n > f->left) n = f->left;
  const uint8_t *p = f->p;
  f->p += n;
  f->left -= n;
  *got = n;
  return p;
}

/* A length-prefixed piece: a u8 length (or, for 255, a u16 one), then
 * those bytes. Copied to the heap with no terminator, so a read past its
 * end is an ASan report; free it. */
static inline uint8_t *fz_piece(fz *f, size_t *n) {
  size_t want = fz_u8(f);
  if (want == 255) want = fz_u16(f);
  const uint8_t *p = fz_bytes(f, want, n);
  uint8_t *c = malloc(*n ? *n : 1);
  if (!c) abort();
  memcpy(c, p, *n);
  return c;
}

/* The same as a NUL-terminated string (bytes after an embedded NUL are
 * kept but unseen). */
static inline char *fz_cstr(fz *f, size_t *n) {
  size_t want = fz_u8(f);
  if (want == 255) want = fz_u16(f);
  const uint8_t *p = fz_bytes(f, want, n);
  char *c = malloc(*n + 1);
  if (!c) abort();
  memcpy(c, p, *n);
  c[*n] = 0;
  return c;
}

/* An exact-size heap copy of the whole rest of the input. */
static inline uint8_t *fz_rest(fz *f, size_t *n) {
  const uint8_t *p = fz_bytes(f, f->left, n);
  uint8_t *c = malloc(*n ? *n : 1);
  if (!c) abort();
  memcpy(c, p, *n);
  return c;
}

/* A private copy of data (exactly len bytes, no terminator). */
static inline uint8_t *fz_dup(const uint8_t *data, size_t len) {
  uint8_t *c = malloc(len ? len : 1);
  if (!c) abort();
  memcpy(c, data, len);
  return c;
}

/* xorshift64*: piece sizes and other choices that must not eat input. */
static inline uint64_t fz_rng(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 2685821657736338717ull;
}

/* mkdtemp under /dev/shm when it exists (no disk I/O per input), else
 * /tmp; the directory is removed at exit. path must hold 64 bytes. */
static char fz_tmp_dirs[8][64];
static int fz_ntmp;

static inline void fz_rm_tmp_dirs(void) {
  for (int i = 0; i < fz_ntmp; i++) {
    char cmd[160];
    snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", fz_tmp_dirs[i],
             fz_tmp_dirs[i]);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", fz_tmp_dirs[i]);
  }
  fz_ntmp = 0;
}

static inline void fz_tmpdir(char path[64], const char *name) {
  snprintf(path, 64, "/dev/shm/pe-fuzz-%s-XXXXXX", name);
  if (!mkdtemp(path)) {
    snprintf(path, 64, "/tmp/pe-fuzz-%s-XXXXXX", name);
    if (!mkdtemp(path)) {
      perror("mkdtemp");
      abort();
    }
  }
  if (fz_ntmp == 0) atexit(fz_rm_tmp_dirs);
  if (fz_ntmp < 8) snprintf(fz_tmp_dirs[fz_ntmp++], 64, "%s", path);
}

/* Reads back what an encoder wrote in docs/abi.md's format (u32
 * little-endian lengths); a read past the end fails the check. */
typedef struct fz_abi_reader {
  const uint8_t *p;
  size_t left;
} fz_abi_reader;

static inline uint32_t fz_abi_u32(fz_abi_reader *r) {
  FZ_CHECK(r->left >= 4);
  uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
               (uint32_t)r->p[3] << 24;
  r->p += 4;
  r->left -= 4;
  return v;
}

/* A length and that many bytes; returns them, their length in *n. */
static inline const uint8_t *fz_abi_bytes(fz_abi_reader *r, size_t *n) {
  *n = fz_abi_u32(r);
  FZ_CHECK(r->left >= *n);
  const uint8_t *p = r->p;
  r->p += *n;
  r->left -= *n;
  return p;
}

#endif /* FUZZ_COMMON_H */
