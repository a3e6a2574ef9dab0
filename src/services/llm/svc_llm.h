/*
 * svc_llm.h -- the "llm" service area: Spin's LLM interface
 * (fermyon:spin/llm@2.0.0) over an HTTP endpoint named by the runtime
 * config's [llm_compute] (type "remote_http").
 *
 * Guest calls (docs/hostcall.md):
 *   llm.infer [model, prompt, u64 max_tokens, f64 repeat_penalty,
 *              u64 repeat_penalty_last_n_token_count, f64 temperature,
 *              u64 top_k, f64 top_p]
 *   llm.embed [model, text...]
 *     -> OK [api_type ("default" | "open_ai"), u64 HTTP status, body]
 *     | DENIED (the component's ai_models lacks the model)
 *     | NOT_FOUND (no [llm_compute] in the runtime config)
 *     | INVALID (malformed payload, text not UTF-8, a parameter out of range)
 *     | TIMEOUT | LIMIT (answer too large, too many outbound calls)
 *     | BACKEND (connection or protocol failure)
 *
 * The host writes the request JSON (llm_body.h) and moves the endpoint's
 * answer back as bytes; the guest (spin_sdk.wit.imports.llm) parses it.
 * No JSON parser runs on the host.
 *
 * Limits: prompt 1 MiB; 1024 texts and 4 MiB of them per embed; answer
 * 16 MiB; 60 s per call (PYEDGE_LLM_TIMEOUT_MS lowers or raises it), never
 * past the inbound request's deadline; each call counts against the
 * request's 64 outbound calls (svc_http.h).
 */
#ifndef PE_SVC_LLM_H
#define PE_SVC_LLM_H

#include "services/services_int.h"

#define PE_LLM_TIMEOUT_MS 60000u
#define PE_LLM_MAX_PROMPT (1u << 20)
#define PE_LLM_MAX_TEXTS 1024u
#define PE_LLM_MAX_TEXT_BYTES (4u << 20)
#define PE_LLM_MAX_ANSWER (16u << 20)

bool pe_svc_llm_open(pe_services *s, char *err, size_t errlen);
void pe_svc_llm_close(pe_services *s);
void pe_svc_llm_call(pe_svc_request *rq, const char *op, const uint8_t *in, size_t n, pe_buf *out);

#endif /* PE_SVC_LLM_H */
