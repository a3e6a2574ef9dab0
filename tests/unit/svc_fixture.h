/*
 * svc_fixture.h -- what test_kv.c and test_sqlite.c share: an app's
 * service set built from manifest text in a temporary state directory, a
 * request for one of its components, and calls through the same dispatcher
 * the sandbox reaches (rq.hs.call), with payloads built blob by blob.
 */
#ifndef SVC_FIXTURE_H
#define SVC_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manifest/pe_manifest.h"
#include "services/pe_services.h"

typedef struct fx {
  char dir[64]; /* temporary app and state directory */
  pe_manifest *m;
  pe_services *s;
  pe_svc_request rq;
  pe_buf out;
  char err[1024];
} fx;

/* Writes `name` in fx->dir. */
static inline void fx_write(fx *f, const char *name, const char *text) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s", f->dir, name);
  FILE *fp = fopen(path, "w");
  if (!fp) fail_msg("cannot write %s", path);
  fputs(text, fp);
  fclose(fp);
}

/* Parses the manifest and makes the services; NULL (message in f->err) on
 * failure. rc_text: a runtime config to write and use, or NULL. */
static inline pe_services *fx_open(fx *f, const char *manifest, const char *rc_text,
                                   pe_services_options *o) {
  memset(f, 0, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/pe-svc-XXXXXX");
  if (!mkdtemp(f->dir)) fail_msg("mkdtemp");
  pe_manifest_error me;
  f->m = pe_manifest_parse(manifest, strlen(manifest), "spin.toml", &me);
  if (!f->m) fail_msg("manifest: %s", me.msg);
  pe_services_options def;
  if (!o) {
    memset(&def, 0, sizeof def);
    o = &def;
  }
  static char rc_path[128];
  if (rc_text) {
    fx_write(f, "rc.toml", rc_text);
    snprintf(rc_path, sizeof rc_path, "%s/rc.toml", f->dir);
    o->runtime_config = rc_path;
  }
  f->s = pe_services_new(f->m, f->dir, o, f->err, sizeof f->err);
  return f->s;
}

static inline void fx_request(fx *f, const char *component) {
  pe_svc_request_init(&f->rq, f->s, pe_manifest_component_by_id(f->m, component));
}

static inline void fx_close(fx *f) {
  pe_svc_request_finish(&f->rq);
  pe_services_free(f->s);
  pe_manifest_free(f->m);
  pe_buf_free(&f->out);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", f->dir);
}

/* A payload: blobs given as (pointer, length) pairs, ended by NULL. */
static inline pe_buf fx_payload(const void *p, ...) {
  pe_buf b = {0};
  va_list ap;
  va_start(ap, p);
  while (p) {
    size_t n = va_arg(ap, size_t);
    if (!pe_hc_put_blob(&b, p, n)) fail_msg("oom");
    p = va_arg(ap, const void *);
  }
  va_end(ap);
  if (!b.data) assert_true(pe_buf_append(&b, "", 0));
  return b;
}

#define S(str) (str), strlen(str) /* a C string as a blob */

/* Calls svc with the raw payload; returns the reply's status byte. */
static inline int fx_call_raw(fx *f, const char *svc, const void *in, size_t n) {
  f->out.len = 0;
  f->rq.hs.call(f->rq.hs.ctx, svc, strlen(svc), in, n, &f->out);
  if (f->out.len == 0) fail_msg("%s: empty reply", svc);
  return (uint8_t)f->out.data[0];
}

/* Calls svc with the payload and frees it. */
static inline int fx_call(fx *f, const char *svc, pe_buf payload) {
  int st = fx_call_raw(f, svc, payload.data, payload.len);
  pe_buf_free(&payload);
  return st;
}

/* The reply's message (error replies). */
static inline const char *fx_msg(fx *f) { return f->out.len > 1 ? f->out.data + 1 : ""; }

/* The i-th blob of an OK reply; false if there is none. */
static inline bool fx_blob(fx *f, int i, const uint8_t **p, size_t *n) {
  pe_hc_reader r;
  pe_hc_reader_init(&r, (const uint8_t *)f->out.data + 1, f->out.len - 1);
  for (int k = 0; k <= i; k++)
    if (!pe_hc_blob(&r, p, n)) return false;
  return true;
}

static inline int fx_nblobs(fx *f) {
  pe_hc_reader r;
  pe_hc_reader_init(&r, (const uint8_t *)f->out.data + 1, f->out.len - 1);
  const uint8_t *p;
  size_t n;
  int k = 0;
  while (r.left && pe_hc_blob(&r, &p, &n)) k++;
  return r.bad ? -1 : k;
}

static inline uint64_t fx_u64(fx *f, int i) {
  const uint8_t *p;
  size_t n;
  if (!fx_blob(f, i, &p, &n) || n != 8) fail_msg("blob %d is not a u64", i);
  uint64_t v = 0;
  for (int k = 7; k >= 0; k--) v = v << 8 | p[k];
  return v;
}

static inline void fx_le64(uint8_t out[8], uint64_t v) {
  for (int i = 0; i < 8; i++) out[i] = (uint8_t)(v >> (8 * i));
}

#endif /* SVC_FIXTURE_H */
