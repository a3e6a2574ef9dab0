/*
 * svc_response.h -- entry points of the "response" host-service area
 * (svc_response.c): a response body sent while the handler runs.
 */
#ifndef PE_SVC_RESPONSE_H
#define PE_SVC_RESPONSE_H

#include "services/services_int.h"

bool pe_svc_response_open(pe_services *s, char *err, size_t errlen);
void pe_svc_response_close(pe_services *s);
void pe_svc_response_call(pe_svc_request *rq, const char *op, const uint8_t *in, size_t n,
                          pe_buf *out);

#endif /* PE_SVC_RESPONSE_H */
