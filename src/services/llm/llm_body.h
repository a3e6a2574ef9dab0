/*
 * llm_body.h -- the JSON requests the "llm" area sends to the endpoint of
 * [llm_compute] (svc_llm.c), in the two protocols Spin's remote_http engine
 * speaks:
 *
 *   default  POST /infer  {"model", "prompt", "options": {"maxTokens",
 *                          "repeatPenalty", "repeatPenaltyLastNTokenCount",
 *                          "temperature", "topK", "topP"}}
 *            POST /embed  {"model", "input": [text...]}
 *   open_ai  POST /v1/chat/completions  {"messages": [{"role": "user",
 *                          "content": prompt}], "model",
 *                          "max_completion_tokens", "frequency_penalty"}
 *            POST /v1/embeddings        {"input": [text...], "model"}
 *
 * Why the host writes these and not the guest: the model named in the body
 * is the one the grant (`ai_models`) was checked against. The answers are
 * not parsed here: they go back to the guest as bytes, and Python's json
 * reads them inside the sandbox (docs/hostcall.md, "llm").
 *
 * Strings are written from (pointer, length), so any UTF-8 the caller
 * checked, U+0000 included, comes out as one valid JSON string. Spin's
 * parameters are f32: a float is written as the shortest decimal that reads
 * back as the same f32 (1.1, not 1.100000023841858), as Spin's serde does.
 */
#ifndef PE_LLM_BODY_H
#define PE_LLM_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "services/runtime_config.h"
#include "util/pe_util.h"

typedef struct pe_llm_params {
  uint32_t max_tokens, repeat_penalty_last_n_token_count, top_k;
  float repeat_penalty, temperature, top_p; /* finite: the caller checks */
} pe_llm_params;

typedef struct pe_llm_text {
  const uint8_t *p;
  size_t n;
} pe_llm_text;

/* The path on the endpoint's origin: "/infer", "/v1/embeddings"... */
const char *pe_llm_path(pe_rc_llm_api api, bool embed);

/* Append the request body to b; false only when out of memory. */
PE_MUST_CHECK bool pe_llm_infer_body(pe_buf *b, pe_rc_llm_api api, pe_llm_text model,
                                     pe_llm_text prompt, const pe_llm_params *o);
PE_MUST_CHECK bool pe_llm_embed_body(pe_buf *b, pe_rc_llm_api api, pe_llm_text model,
                                     const pe_llm_text *texts, size_t n);

/* s[0..n) as a JSON string, quotes included. */
PE_MUST_CHECK bool pe_llm_json_string(pe_buf *b, const uint8_t *s, size_t n);
/* f (finite) as the shortest decimal that reads back as f. */
PE_MUST_CHECK bool pe_llm_json_float(pe_buf *b, float f);

#endif /* PE_LLM_BODY_H */
