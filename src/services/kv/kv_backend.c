/*
 * kv_backend.c -- the parts of a key-value backend (kv_backend.h) that do
 * not depend on the storage: allocation, and the byte limit on a keys()
 * reply, so that every backend reports both the same way.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kv_backend.h"

void *pe_kv_backend_alloc(size_t size, const pe_kv_ops *ops, char *err, size_t errlen) {
  pe_kv_backend *b = calloc(1, size);
  if (!b) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  b->ops = ops;
  return b;
}

pe_hc_status pe_kv_put_key(pe_buf *out, const char *store, const void *key, size_t len,
                           size_t max_bytes, char *err, size_t errlen) {
  /* 4: the blob's length prefix, which counts against the reply too */
  if (out->len + 4 + len > max_bytes) {
    snprintf(err, errlen, "the keys of store '%s' take more than %zu bytes", store, max_bytes);
    return PE_HC_LIMIT;
  }
  /* an empty key may come back as NULL; a blob wants a pointer */
  if (!pe_hc_put_blob(out, key ? key : "", len)) {
    snprintf(err, errlen, "out of memory");
    return PE_HC_BACKEND;
  }
  return PE_HC_OK;
}
