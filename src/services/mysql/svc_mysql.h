/*
 * svc_mysql.h -- the "mysql" service area: outbound MySQL/MariaDB for the
 * guest's spin_sdk.mysql (libmariadb, loaded on first use).
 *
 * Guest calls (docs/hostcall.md, "mysql"):
 *   mysql.open    [address]                       -> OK [handle]
 *   mysql.query   [handle, statement, param...]   -> OK [u64 ncols,
 *                 (name, u64 type) x ncols, value x ncols x rows]
 *   mysql.execute [handle, statement, param...]   -> OK [u64 rows affected]
 *   mysql.close   [handle]                        -> OK
 * Parameters and values: svc_rdbms.h; a column's type is MySQL's field
 * type, with PE_MYSQL_UNSIGNED and PE_MYSQL_BINARY or'ed in. The address
 * is parsed by mysql_url.c, checked against allowed_outbound_hosts (scheme
 * "mysql") and connected to by the checked address. Statements are
 * prepared server-side (`?` parameters); LOAD DATA LOCAL is off.
 */
#ifndef PE_SVC_MYSQL_H
#define PE_SVC_MYSQL_H

#include "services/services_int.h"

#define PE_MYSQL_UNSIGNED (1u << 31) /* an integer column or parameter is unsigned */
#define PE_MYSQL_BINARY (1u << 30)   /* a string column holds bytes (binary charset) */

bool pe_svc_mysql_open(pe_services *s, char *err, size_t errlen);
void pe_svc_mysql_close(pe_services *s);
void pe_svc_mysql_call(pe_svc_request *rq, const char *op, const uint8_t *in, size_t n,
                       pe_buf *out);
void pe_svc_mysql_request_end(pe_svc_request *rq);
/* Loads libmariadb now (before the seccomp filter forbids mapping code). */
PE_MUST_CHECK bool pe_svc_mysql_preload(char *err, size_t errlen);

#endif /* PE_SVC_MYSQL_H */
