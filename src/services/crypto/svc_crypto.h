/*
 * svc_crypto.h -- entry points of the "crypto" host-service area
 * (svc_crypto.c): JWS verify/sign for the guest's `jwt` package.
 */
#ifndef PE_SVC_CRYPTO_H
#define PE_SVC_CRYPTO_H

#include "services/services_int.h"

bool pe_svc_crypto_open(pe_services *s, char *err, size_t errlen);
void pe_svc_crypto_close(pe_services *s);
void pe_svc_crypto_call(pe_svc_request *rq, const char *op, const uint8_t *in, size_t n,
                        pe_buf *out);

#endif /* PE_SVC_CRYPTO_H */
