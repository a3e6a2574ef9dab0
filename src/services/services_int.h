/*
 * services_int.h -- what the svc_*.c files share: the app-wide struct and
 * each area's entry points. An area has:
 *   bool pe_svc_<area>_open(pe_services *s, char *err, size_t errlen);
 *   void pe_svc_<area>_close(pe_services *s);
 *   void pe_svc_<area>_call(pe_svc_request *rq, const char *op,
 *                           const uint8_t *in, size_t n, pe_buf *out);
 * _call writes the whole reply into out (pe_hc_ok then blobs, or
 * pe_hc_error); it runs on worker threads, concurrently.
 */
#ifndef PE_SERVICES_INT_H
#define PE_SERVICES_INT_H

#include "pe_services.h"

struct pe_services {
  const pe_manifest *m;
  char *app_dir;
  pe_services_options o;
  /* each area's own state, opaque to the others */
  void *http, *kv, *sqlite, *vars, *crypto;
  pe_chain_fn chain; /* service chaining, set by the server */
  void *chain_ctx;
};

typedef void (*pe_svc_call_fn)(pe_svc_request *rq, const char *op, const uint8_t *in, size_t n,
                               pe_buf *out);

#endif /* PE_SERVICES_INT_H */
