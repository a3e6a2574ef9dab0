/*
 * svc_kv.c -- the "kv" area (svc_kv.h): which stores exist, who may open
 * them and the per-request handles (through svc_labels.c, shared with the
 * sqlite area), the start-up seed, limits, and the wire format of the calls
 * on a handle. Storage is the backends' business (kv_backend.h).
 *
 * App-wide state (the label set) is built once in pe_svc_kv_open and only
 * read afterwards, so worker threads share it without a lock (backends lock
 * their own connection pools). A request's handles live in rq->kv,
 * allocated on its first kv.open and dropped by pe_svc_kv_request_end: a
 * handle is an id that only means something inside the request that
 * opened it (ids are never reused, so a closed handle stays invalid), and
 * a sandbox reused for the next request cannot reach the previous one's
 * stores.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv_backend.h"
#include "svc_kv.h"
#include "services/svc_labels.h"
#include "services/svc_utf8.h"

/* ---- start-up -------------------------------------------------------------- */

/* Handle ids: one counter for the whole process (svc_labels.h). */
static _Atomic uint64_t last_handle;

static const pe_manifest_list *kv_grants(const pe_manifest_component *mc) {
  return &mc->key_value_stores;
}

static const pe_rc_entry *kv_section(const pe_runtime_config *rc, size_t *n) {
  *n = rc->nkv;
  return rc->kv;
}

static void *kv_backend_open(const char *file, const char *url, char *why, size_t whylen) {
  return url ? pe_kv_redis_open(url, why, whylen) : pe_kv_sqlite_open(file, why, whylen);
}

static void kv_backend_free(void *b) { ((pe_kv_backend *)b)->ops->free(b); }

static const pe_svc_label_kind kv_kind = {
    .area = "kv",
    .what = "key-value store",
    .label_name = "store label",
    .rc_table = "key_value_store",
    .manifest_key = "key_value_stores",
    .handle_name = "store",
    .handle_what = "key-value store",
    .stale = PE_HC_INVALID,
    .default_file = "sqlite_key_value.db",
    .max_open = PE_KV_MAX_OPEN,
    .handle_size = sizeof(pe_svc_handle),
    .last_id = &last_handle,
    .grants = kv_grants,
    .rc_section = kv_section,
    .open = kv_backend_open,
    .free = kv_backend_free,
};

/* --key-value k=v, into the default store */
static bool seed(const pe_svc_labels *L, const pe_services *s, char *err, size_t errlen) {
  const pe_svc_label *st = pe_svc_labels_find(L, "default");
  for (int i = 0; i < s->o.nkv_seed; i++) {
    const char *kv = s->o.kv_seed[i], *eq = strchr(kv, '=');
    size_t klen = eq ? (size_t)(eq - kv) : 0;
    if (!eq || klen == 0 || klen > PE_KV_MAX_KEY || !pe_svc_utf8_valid((const uint8_t *)kv, klen)) {
      snprintf(err, errlen, "--key-value '%s': expected KEY=VALUE with a key of 1 to %d bytes", kv,
               PE_KV_MAX_KEY);
      return false;
    }
    size_t vlen = strlen(eq + 1);
    if (vlen > PE_KV_MAX_VALUE) {
      snprintf(err, errlen, "--key-value %.*s: the value is larger than 1 MiB", (int)klen, kv);
      return false;
    }
    char why[512];
    pe_kv_backend *b = st->res;
    if (b->ops->set(b, "default", (const uint8_t *)kv, klen, (const uint8_t *)eq + 1, vlen, why,
                    sizeof why) != PE_HC_OK) {
      snprintf(err, errlen, "--key-value %.*s: %s", (int)klen, kv, why);
      return false;
    }
  }
  return true;
}

bool pe_svc_kv_open(pe_services *s, char *err, size_t errlen) {
  pe_runtime_config rc;
  if (!pe_runtime_config_load(s->o.runtime_config, &rc, err, errlen)) return false;
  pe_svc_labels *L = pe_svc_labels_new(&kv_kind, &rc, err, errlen);
  bool ok =
      L &&
      pe_svc_labels_grant(L, s, &rc, s->o.nkv_seed > 0 ? "(--key-value)" : NULL, err, errlen) &&
      seed(L, s, err, errlen);
  pe_runtime_config_free(&rc);
  if (!ok) {
    pe_svc_labels_free(L);
    return false;
  }
  s->kv = L;
  return true;
}

void pe_svc_kv_close(pe_services *s) {
  pe_svc_labels_free(s->kv);
  s->kv = NULL;
}

void pe_svc_kv_request_end(pe_svc_request *rq) { pe_svc_handles_end(&rq->kv, NULL); }

/* ---- calls ----------------------------------------------------------------- */

static bool read_key(pe_hc_reader *r, const uint8_t **k, size_t *klen, pe_buf *out) {
  if (!pe_hc_blob(r, k, klen)) {
    pe_hc_error(out, PE_HC_INVALID, "expected a key");
    return false;
  }
  if (*klen > PE_KV_MAX_KEY) {
    pe_hc_error(out, PE_HC_INVALID, "key is %zu bytes; the limit is %d", *klen, PE_KV_MAX_KEY);
    return false;
  }
  if (!pe_svc_utf8_valid(*k, *klen)) {
    pe_hc_error(out, PE_HC_INVALID, "key is not valid UTF-8");
    return false;
  }
  return true;
}

static void reply(pe_hc_status st, const char *why, pe_buf *out) {
  if (st != PE_HC_OK) pe_hc_error(out, st, "%s", why);
}

void pe_svc_kv_call(pe_svc_request *rq, const char *op, const uint8_t *in, size_t n, pe_buf *out) {
  const pe_svc_labels *L = rq->app ? rq->app->kv : NULL;
  if (!L) {
    pe_hc_error(out, PE_HC_NO_SERVICE, "key-value stores are not available");
    return;
  }
  pe_hc_reader r;
  pe_hc_reader_init(&r, in, n);
  if (!strcmp(op, "open")) {
    pe_svc_labels_op_open(L, rq, &rq->kv, &r, out);
    return;
  }
  bool get = !strcmp(op, "get"), set = !strcmp(op, "set"), del = !strcmp(op, "delete"),
       exists = !strcmp(op, "exists"), keys = !strcmp(op, "get_keys"), close = !strcmp(op, "close");
  if (!(get || set || del || exists || keys || close)) {
    pe_hc_error(out, PE_HC_NO_SERVICE, "no host service named 'kv.%s'", op);
    return;
  }
  pe_svc_handle *h = pe_svc_handle_find(L, rq->kv, &r, out);
  if (!h) return;
  const uint8_t *key = NULL, *val = NULL;
  size_t klen = 0, vlen = 0;
  if ((get || set || del || exists) && !read_key(&r, &key, &klen, out)) return;
  if (set && !pe_hc_blob(&r, &val, &vlen)) {
    pe_hc_error(out, PE_HC_INVALID, "kv.set takes a handle, a key and a value");
    return;
  }
  if (!pe_hc_done(&r)) {
    pe_hc_error(out, PE_HC_INVALID, "kv.%s: malformed payload (extra or truncated blobs)", op);
    return;
  }
  if (set && vlen > PE_KV_MAX_VALUE) {
    pe_hc_error(out, PE_HC_LIMIT, "value is %zu bytes; the limit is %u (1 MiB)", vlen,
                PE_KV_MAX_VALUE);
    return;
  }
  if (!pe_hc_ok(out)) {
    pe_hc_error(out, PE_HC_BACKEND, "out of memory");
    return;
  }
  pe_kv_backend *b = h->lab->res;
  const char *label = h->lab->label;
  char why[600];
  bool found = false;
  if (get) {
    reply(b->ops->get(b, label, key, klen, out, &found, why, sizeof why), why, out);
  } else if (set) {
    reply(b->ops->set(b, label, key, klen, val, vlen, why, sizeof why), why, out);
  } else if (del) {
    reply(b->ops->del(b, label, key, klen, why, sizeof why), why, out);
  } else if (exists) {
    pe_hc_status s = b->ops->exists(b, label, key, klen, &found, why, sizeof why);
    if (s == PE_HC_OK && !pe_hc_put_u64(out, found ? 1 : 0)) {
      s = PE_HC_BACKEND;
      snprintf(why, sizeof why, "out of memory");
    }
    reply(s, why, out);
  } else if (keys) {
    reply(b->ops->keys(b, label, out, PE_KV_MAX_KEYS_REPLY, why, sizeof why), why, out);
  } else { /* close */
    pe_svc_handle_drop(rq->kv, h);
  }
}
