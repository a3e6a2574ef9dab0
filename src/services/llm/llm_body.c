/*
 * llm_body.c -- writes the JSON request bodies of the "llm" area (see
 * llm_body.h for the shapes and why the host writes them).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "llm_body.h"
#include "util/pe_assert.h"

const char *pe_llm_path(pe_rc_llm_api api, bool embed) {
  if (api == PE_RC_LLM_OPEN_AI) return embed ? "/v1/embeddings" : "/v1/chat/completions";
  return embed ? "/embed" : "/infer";
}

bool pe_llm_json_string(pe_buf *b, const uint8_t *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  bool ok = pe_buf_append(b, "\"", 1);
  size_t run = 0; /* bytes copied as they are, flushed in one append */
  for (size_t i = 0; ok && i < n; i++) {
    unsigned char c = s[i];
    if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) {
      run++;
      continue;
    }
    ok = !run || pe_buf_append(b, s + i - run, run);
    run = 0;
    if (!ok) break;
    if (c == '"' || c == '\\') {
      char e[2] = {'\\', (char)c};
      ok = pe_buf_append(b, e, 2);
    } else {
      char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      ok = pe_buf_append(b, e, 6);
    }
  }
  return ok && (!run || pe_buf_append(b, s + n - run, run)) && pe_buf_append(b, "\"", 1);
}

bool pe_llm_json_float(pe_buf *b, float f) {
  if (NEVER(!isfinite(f))) f = 0; /* JSON has no NaN: the caller refuses them */
  char t[32];
  for (int prec = 1; prec <= 9; prec++) { /* 9 digits always read back as the same f32 */
    snprintf(t, sizeof t, "%.*g", prec, (double)f);
    if (strtof(t, NULL) == f) break;
  }
  return pe_buf_puts(b, t);
}

static bool key(pe_buf *b, const char *k) { return pe_buf_printf(b, "\"%s\":", k); }

static bool model_field(pe_buf *b, pe_llm_text model) {
  return key(b, "model") && pe_llm_json_string(b, model.p, model.n);
}

bool pe_llm_infer_body(pe_buf *b, pe_rc_llm_api api, pe_llm_text model, pe_llm_text prompt,
                       const pe_llm_params *o) {
  if (api == PE_RC_LLM_OPEN_AI) /* Spin sends these two of the six and no others */
    return pe_buf_puts(b, "{\"messages\":[{\"role\":\"user\",\"content\":") &&
           pe_llm_json_string(b, prompt.p, prompt.n) && pe_buf_puts(b, "}],") &&
           model_field(b, model) &&
           pe_buf_printf(b, ",\"max_completion_tokens\":%u,\"frequency_penalty\":",
                         (unsigned)o->max_tokens) &&
           pe_llm_json_float(b, o->repeat_penalty) && pe_buf_puts(b, "}");
  return pe_buf_puts(b, "{") && model_field(b, model) && pe_buf_puts(b, ",\"prompt\":") &&
         pe_llm_json_string(b, prompt.p, prompt.n) &&
         pe_buf_printf(b, ",\"options\":{\"maxTokens\":%u,\"repeatPenalty\":",
                       (unsigned)o->max_tokens) &&
         pe_llm_json_float(b, o->repeat_penalty) &&
         pe_buf_printf(b, ",\"repeatPenaltyLastNTokenCount\":%u,\"temperature\":",
                       (unsigned)o->repeat_penalty_last_n_token_count) &&
         pe_llm_json_float(b, o->temperature) &&
         pe_buf_printf(b, ",\"topK\":%u,\"topP\":", (unsigned)o->top_k) &&
         pe_llm_json_float(b, o->top_p) && pe_buf_puts(b, "}}");
}

bool pe_llm_embed_body(pe_buf *b, pe_rc_llm_api api, pe_llm_text model, const pe_llm_text *texts,
                       size_t n) {
  bool ok = pe_buf_puts(b, "{");
  if (api != PE_RC_LLM_OPEN_AI) ok = ok && model_field(b, model) && pe_buf_puts(b, ",");
  ok = ok && pe_buf_puts(b, "\"input\":[");
  for (size_t i = 0; ok && i < n; i++)
    ok = (i == 0 || pe_buf_append(b, ",", 1)) && pe_llm_json_string(b, texts[i].p, texts[i].n);
  ok = ok && pe_buf_puts(b, "]");
  if (api == PE_RC_LLM_OPEN_AI) ok = ok && pe_buf_puts(b, ",") && model_field(b, model);
  return ok && pe_buf_puts(b, "}");
}
