/*
 * services_int.h -- what the svc_*.c files share: the app-wide struct and
 * each area's entry points. An area has:
 *   bool pe_svc_<area>_open(pe_services *s, char *err, size_t errlen);
 *   void pe_svc_<area>_close(pe_services *s);
 *   void pe_svc_<area>_call(pe_svc_request *rq, const char *op,
 *                           const uint8_t *in, size_t n, pe_buf *out);
 *   void pe_svc_<area>_request_end(pe_svc_request *rq);   (if it needs one)
 * and one row in services.c's table (pe_svc_area).
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
  void *redis, *pg, *mysql, *mqtt, *llm; /* outbound servers by address, and LLM */
  pe_chain_fn chain;                     /* service chaining, set by the server */
  void *chain_ctx;
};

typedef void (*pe_svc_call_fn)(pe_svc_request *rq, const char *op, const uint8_t *in, size_t n,
                               pe_buf *out);

/* One row of services.c's table of areas. close must accept an area whose
 * open failed or never ran (its state pointer NULL); request_end, NULL if
 * the area holds nothing per request, releases what a request opened. */
typedef struct pe_svc_area {
  const char *name; /* the "<area>" of "<area>.<op>" */
  bool (*open)(pe_services *s, char *err, size_t errlen);
  void (*close)(pe_services *s);
  pe_svc_call_fn call;
  void (*request_end)(pe_svc_request *rq);
} pe_svc_area;

#endif /* PE_SERVICES_INT_H */
