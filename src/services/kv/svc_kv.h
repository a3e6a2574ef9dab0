/*
 * svc_kv.h -- the "kv" service area: Spin key-value stores for the guest's
 * spin_sdk.key_value.
 *
 * Stores: the label "default" is a SQLite file, <state dir>/
 * sqlite_key_value.db (state dir: --state-dir, else <app>/.spin), unless
 * the runtime config file defines [key_value_store.default]; every other
 * label a component lists in `key_value_stores` must be defined there
 * (type "spin" or "redis"), or `pyedge up` stops naming the label and the
 * component. Labels sharing a file or a Redis URL share one backend.
 * `--key-value k=v` seeds the default store before serving.
 *
 * Guest calls (docs/hostcall.md; handles are per request):
 *   kv.open      [label]                 -> OK [handle]
 *                DENIED (label defined but not granted to the component),
 *                NOT_FOUND (label defined nowhere), LIMIT (too many open)
 *   kv.get       [handle, key]           -> OK [] (absent) | OK [value]
 *   kv.set       [handle, key, value]    -> OK
 *   kv.delete    [handle, key]           -> OK (absent is fine)
 *   kv.exists    [handle, key]           -> OK [u64 0|1]
 *   kv.get_keys  [handle]                -> OK [key]...
 *   kv.close     [handle]                -> OK
 * A handle not open in this request, a key that is not UTF-8 or is longer
 * than PE_KV_MAX_KEY bytes: INVALID; a value over PE_KV_MAX_VALUE: LIMIT;
 * a backend failure: BACKEND.
 */
#ifndef PE_SVC_KV_H
#define PE_SVC_KV_H

#include "services/services_int.h"

#define PE_KV_MAX_KEY 256          /* bytes of UTF-8, as Spin documents */
#define PE_KV_MAX_VALUE (1u << 20) /* 1 MiB */
#define PE_KV_MAX_OPEN 64          /* stores open at once per request */
#define PE_KV_MAX_KEYS_REPLY (16u << 20)

bool pe_svc_kv_open(pe_services *s, char *err, size_t errlen);
void pe_svc_kv_close(pe_services *s);
void pe_svc_kv_call(pe_svc_request *rq, const char *op, const uint8_t *in, size_t n, pe_buf *out);
/* Forgets the request's handles (pe_svc_request_finish). */
void pe_svc_kv_request_end(pe_svc_request *rq);

#endif /* PE_SVC_KV_H */
