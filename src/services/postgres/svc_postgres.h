/*
 * svc_postgres.h -- the "postgres" service area: outbound PostgreSQL for
 * the guest's spin_sdk.postgres (libpq, loaded on first use).
 *
 * Guest calls (docs/hostcall.md, "postgres"):
 *   postgres.open    [connection string]          -> OK [handle]
 *   postgres.query   [handle, statement, param...] -> OK [u64 ncols,
 *                    (name, u64 type OID) x ncols, value x ncols x rows]
 *   postgres.execute [handle, statement, param...] -> OK [u64 rows affected]
 *   postgres.close   [handle]                      -> OK
 * Parameters and values: svc_rdbms.h. The string is parsed by
 * pg_conninfo.c, the host:port checked against allowed_outbound_hosts
 * (scheme "postgres") and libpq connects to the checked address only.
 * At most PE_RDBMS_MAX_OPEN connections a request, all closed when it ends.
 */
#ifndef PE_SVC_POSTGRES_H
#define PE_SVC_POSTGRES_H

#include "services/services_int.h"

bool pe_svc_postgres_open(pe_services *s, char *err, size_t errlen);
void pe_svc_postgres_close(pe_services *s);
void pe_svc_postgres_call(pe_svc_request *rq, const char *op, const uint8_t *in, size_t n,
                          pe_buf *out);
void pe_svc_postgres_request_end(pe_svc_request *rq);
/* Loads libpq now (before the seccomp filter forbids mapping code);
 * false with the reason. */
PE_MUST_CHECK bool pe_svc_postgres_preload(char *err, size_t errlen);

#endif /* PE_SVC_POSTGRES_H */
