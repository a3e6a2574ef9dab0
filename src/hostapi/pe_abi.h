/*
 * pe_abi.h -- the byte format in which a request goes into a guest and its
 * response comes out (docs/abi.md): "PEQ1" requests, "PES1" responses.
 *
 * It sits below serve and services because both speak it: the server for
 * inbound requests, service chaining for a component called by another.
 * Decoding treats its input as hostile (it comes out of a sandbox).
 */
#ifndef PE_ABI_H
#define PE_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/pe_util.h"

typedef struct pe_abi_header {
  const char *name, *value;
  size_t name_len, value_len;
} pe_abi_header;

/* Appends the encoded request to out. */
PE_MUST_CHECK bool pe_abi_encode_request(pe_buf *out, const char *method, const char *uri,
                                         size_t uri_len, const pe_abi_header *headers, size_t n,
                                         const uint8_t *body, size_t body_len);

typedef struct pe_abi_response {
  int status;
  pe_abi_header *headers; /* pointing into the decoded buffer */
  size_t n_headers;
  const uint8_t *body;
  size_t body_len;
} pe_abi_response;

/* Decodes a response; pointers refer into buf. false on a malformed buffer. */
PE_MUST_CHECK bool pe_abi_decode_response(const uint8_t *buf, size_t len, pe_abi_response *out);
void pe_abi_response_free(pe_abi_response *r);

#endif /* PE_ABI_H */
