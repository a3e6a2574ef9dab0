/*
 * test_llm.c -- the "llm" area without a model server: the request bodies
 * (llm_body.c: both protocols, string escapes, f32 formatting), the
 * [llm_compute] section of the runtime config, and the "llm.*" calls
 * through the request dispatcher as the sandbox reaches them (grants, no
 * endpoint, hostile payloads, limits, the deadline, an endpoint that is
 * down, the token kept out of messages). Runs under ASan/UBSan too.
 * tests/platform/test_llm.py covers real transfers against a fake endpoint.
 */
#include "pe_test.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <sys/socket.h>

#include "services/llm/llm_body.h"
#include "services/llm/svc_llm.h"
#include "services/runtime_config.h"
#include "svc_fixture.h"

#define TOKEN "tok-unit-S3CRET"

static const char *const manifest =
    "spin_manifest_version = 2\n"
    "[application]\nname = \"t\"\n"
    "[[trigger.http]]\nroute = \"/a/...\"\ncomponent = \"a\"\n"
    "[[trigger.http]]\nroute = \"/b/...\"\ncomponent = \"b\"\n"
    "[component.a]\nsource = \"app.wasm\"\nai_models = [\"llama2-chat\", \"emb\"]\n"
    "[component.b]\nsource = \"app.wasm\"\n";

/* --- bodies ------------------------------------------------------------------ */

static pe_llm_text T(const char *s) { return (pe_llm_text){(const uint8_t *)s, strlen(s)}; }

static void expect_body(pe_buf *b, const char *want) {
  assert_true(pe_buf_append(b, "", 1));
  if (strcmp(b->data, want)) fail_msg("body\n  got  %s\n  want %s", b->data, want);
  pe_buf_free(b);
}

static void test_bodies(void **state) {
  (void)state;
  pe_llm_params o = {.max_tokens = 100,
                     .repeat_penalty = 1.1f,
                     .repeat_penalty_last_n_token_count = 64,
                     .temperature = 0.8f,
                     .top_k = 40,
                     .top_p = 0.9f};
  pe_buf b = {0};
  assert_true(pe_llm_infer_body(&b, PE_RC_LLM_DEFAULT, T("m"), T("hi"), &o));
  expect_body(&b,
              "{\"model\":\"m\",\"prompt\":\"hi\",\"options\":{\"maxTokens\":100,"
              "\"repeatPenalty\":1.1,\"repeatPenaltyLastNTokenCount\":64,\"temperature\":0.8,"
              "\"topK\":40,\"topP\":0.9}}");
  o.max_tokens = UINT32_MAX;
  assert_true(pe_llm_infer_body(&b, PE_RC_LLM_OPEN_AI, T("gpt"), T("q"), &o));
  expect_body(&b,
              "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"model\":\"gpt\","
              "\"max_completion_tokens\":4294967295,\"frequency_penalty\":1.1}");
  pe_llm_text texts[] = {T("a"), T(""), T("ü")};
  assert_true(pe_llm_embed_body(&b, PE_RC_LLM_DEFAULT, T("e"), texts, 3));
  expect_body(&b, "{\"model\":\"e\",\"input\":[\"a\",\"\",\"ü\"]}");
  assert_true(pe_llm_embed_body(&b, PE_RC_LLM_OPEN_AI, T("e"), texts, 0));
  expect_body(&b, "{\"input\":[],\"model\":\"e\"}");
  assert_string_equal(pe_llm_path(PE_RC_LLM_DEFAULT, false), "/infer");
  assert_string_equal(pe_llm_path(PE_RC_LLM_DEFAULT, true), "/embed");
  assert_string_equal(pe_llm_path(PE_RC_LLM_OPEN_AI, false), "/v1/chat/completions");
  assert_string_equal(pe_llm_path(PE_RC_LLM_OPEN_AI, true), "/v1/embeddings");
}

static void test_json_string_escapes(void **state) {
  (void)state;
  static const uint8_t in[] = "q\" b\\ n\n t\t nul\0 del\x7f \x1f end \xe2\x9c\x93";
  pe_buf b = {0};
  assert_true(pe_llm_json_string(&b, in, sizeof in - 1));
  expect_body(&b,
              "\"q\\\" b\\\\ n\\u000a t\\u0009 nul\\u0000 del\\u007f \\u001f end \xe2\x9c\x93\"");
  assert_true(pe_llm_json_string(&b, NULL, 0));
  expect_body(&b, "\"\"");
  /* every byte value alone: nothing below 0x20, no bare quote or backslash */
  for (int c = 0; c < 256; c++) {
    uint8_t one = (uint8_t)c;
    assert_true(pe_llm_json_string(&b, &one, 1));
    assert_true(b.len >= 3 && b.data[0] == '"' && b.data[b.len - 1] == '"');
    for (size_t i = 1; i + 1 < b.len; i++) assert_true((uint8_t)b.data[i] >= 0x20);
    if (c == '"' || c == '\\') assert_int_equal(b.data[1], '\\');
    pe_buf_free(&b);
  }
}

static void float_is(float f, const char *want) {
  pe_buf b = {0};
  assert_true(pe_llm_json_float(&b, f));
  expect_body(&b, want);
}

static void test_json_floats(void **state) {
  (void)state;
  float_is(1.1f, "1.1");
  float_is(0.1f, "0.1");
  float_is(0.0f, "0");
  float_is(-2.5f, "-2.5");
  float_is(3e38f, "3e+38");
  float_is(1e-45f, "1e-45"); /* the smallest denormal */
  float_is(16777216.0f, "16777216");
  /* any finite f32 reads back exactly, in at most 9 significant digits */
  uint32_t x = 0x12345678;
  for (int i = 0; i < 200000; i++) {
    x = x * 1664525u + 1013904223u;
    float f;
    memcpy(&f, &x, sizeof f);
    if (!isfinite(f)) continue;
    pe_buf b = {0};
    assert_true(pe_llm_json_float(&b, f));
    assert_true(pe_buf_append(&b, "", 1));
    if (strtof(b.data, NULL) != f) fail_msg("%s does not read back as %a", b.data, (double)f);
    assert_true(strlen(b.data) <= 15);
    pe_buf_free(&b);
  }
}

/* --- [llm_compute] --------------------------------------------------------------- */

static bool parse(const char *text, pe_runtime_config *c, char *err, size_t errlen) {
  return pe_runtime_config_parse(text, strlen(text), "rc.toml", c, err, errlen);
}

static void expect_rc_error(const char *text, const char *want) {
  pe_runtime_config c;
  char err[1024] = "";
  if (parse(text, &c, err, sizeof err)) {
    pe_runtime_config_free(&c);
    fail_msg("accepted:\n%s", text);
  }
  if (!strstr(err, want)) fail_msg("for:\n%s\nexpected '%s' in '%s'", text, want, err);
  if (strstr(err, "S3CRET")) fail_msg("the token shows: %s", err);
  assert_null(c.llm.origin);
}

#define RH "[llm_compute]\ntype = \"remote_http\"\n"

static void test_runtime_config_llm(void **state) {
  (void)state;
  pe_runtime_config c;
  char err[1024];
  assert_true(parse("", &c, err, sizeof err));
  assert_null(c.llm.origin);
  pe_runtime_config_free(&c);
  assert_true(parse(RH "url = \"https://LLM.example.com/base/path?q=1\"\nauth_token = \"" TOKEN
                       "\"\n",
                    &c, err, sizeof err));
  assert_string_equal(c.llm.origin, "https://llm.example.com"); /* Spin joins "/infer" onto it */
  assert_string_equal(c.llm.auth_token, TOKEN);
  assert_int_equal(c.llm.api, PE_RC_LLM_DEFAULT);
  assert_int_equal(c.llm.line, 1);
  pe_runtime_config_free(&c);
  assert_true(parse("[key_value_store.x]\ntype = \"spin\"\n" RH
                    "url = \"http://[::1]:8080\"\nauth_token = \"\"\napi_type = \"open_ai\"\n",
                    &c, err, sizeof err));
  assert_string_equal(c.llm.origin, "http://[::1]:8080");
  assert_int_equal(c.llm.api, PE_RC_LLM_OPEN_AI);
  assert_int_equal(c.llm.line, 3);
  pe_runtime_config_free(&c);
  assert_true(parse(RH "url = \"http://h\"\nauth_token = \"t\"\napi_type = \"default\"\n", &c, err,
                    sizeof err));
  assert_int_equal(c.llm.api, PE_RC_LLM_DEFAULT);
  pe_runtime_config_free(&c);

  expect_rc_error("llm_compute = 5\n", "rc.toml:1: [llm_compute] must be a table");
  expect_rc_error("[llm_compute]\nurl = \"http://h\"\n", "rc.toml:1: [llm_compute] has no 'type'");
  expect_rc_error("[llm_compute]\ntype = 3\n", "rc.toml:2: expected a string for 'type'");
  expect_rc_error("[llm_compute]\ntype = \"spin\"\n",
                  "rc.toml:2: unsupported [llm_compute] type 'spin': pyedge runs no models");
  expect_rc_error("[llm_compute]\ntype = \"local\"\n",
                  "unknown [llm_compute] type 'local': pyedge runs no models itself and supports "
                  "only type = \"remote_http\"");
  expect_rc_error(RH "auth_token = \"" TOKEN "\"\n",
                  "rc.toml:1: [llm_compute] of type "
                  "\"remote_http\" needs a 'url'");
  expect_rc_error(RH "url = \"http://h\"\n", "needs an 'auth_token'");
  expect_rc_error(RH "url = \"http://h\"\nauth_token = \"" TOKEN "\"\nmodels = []\n",
                  "rc.toml:5: unknown key 'models' in [llm_compute]");
  expect_rc_error(RH "url = \"http://h\"\nauth_token = 7\n",
                  "rc.toml:4: expected a string for 'auth_token'");
  expect_rc_error(RH "url = \"/relative\"\nauth_token = \"" TOKEN "\"\n",
                  "rc.toml:3: bad 'url' in [llm_compute]: expected http://host[:port]");
  expect_rc_error(RH "url = \"redis://h:1\"\nauth_token = \"" TOKEN "\"\n", "bad 'url'");
  expect_rc_error(RH "url = \"http://u@h\"\nauth_token = \"" TOKEN "\"\n", "bad 'url'");
  expect_rc_error(RH "url = \"http://h\\u0000x\"\nauth_token = \"" TOKEN "\"\n",
                  "'url' in [llm_compute] contains a NUL");
  expect_rc_error(RH "url = \"http://h\"\nauth_token = \"S3CRET\\r\\nx-evil: 1\"\n",
                  "rc.toml:4: 'auth_token' in [llm_compute] must be printable ASCII");
  expect_rc_error(RH "url = \"http://h\"\nauth_token = \"S3CRET\u00e9\"\n", "printable ASCII");
  expect_rc_error(RH "url = \"http://h\"\nauth_token = \"t\"\napi_type = \"OpenAI\"\n",
                  "rc.toml:5: unknown api_type 'OpenAI' in [llm_compute]");
}

/* --- the calls --------------------------------------------------------------------- */

/* A loopback port nothing listens on (bound, then closed). */
static int closed_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  close(fd);
  return ntohs(a.sin_port);
}

static void open_with_endpoint(fx *f) {
  char rc[256];
  snprintf(rc, sizeof rc, RH "url = \"http://127.0.0.1:%d\"\nauth_token = \"" TOKEN "\"\n",
           closed_port());
  if (!fx_open(f, manifest, rc, NULL)) fail_msg("%s", f->err);
}

static pe_buf infer_payload(const char *model, const char *prompt) {
  uint8_t u[8], d[8];
  fx_le64(u, 5);
  double one = 1.0;
  memcpy(d, &one, 8); /* little-endian host */
  return fx_payload(S(model), S(prompt), u, (size_t)8, d, (size_t)8, u, (size_t)8, d, (size_t)8, u,
                    (size_t)8, d, (size_t)8, NULL);
}

static void test_grants_and_no_endpoint(void **state) {
  (void)state;
  fx f;
  if (!fx_open(&f, manifest, NULL, NULL)) fail_msg("%s", f.err);
  fx_request(&f, "a");
  assert_int_equal(fx_call(&f, "llm.infer", infer_payload("llama2-chat", "p")), PE_HC_NOT_FOUND);
  assert_non_null(strstr(fx_msg(&f), "no LLM is configured"));
  assert_non_null(strstr(fx_msg(&f), "[llm_compute]"));
  assert_int_equal(fx_call(&f, "llm.embed", fx_payload(S("emb"), S("x"), NULL)), PE_HC_NOT_FOUND);
  /* the grant comes first, as in Spin */
  assert_int_equal(fx_call(&f, "llm.infer", infer_payload("gpt-4", "p")), PE_HC_DENIED);
  assert_non_null(strstr(fx_msg(&f), "component 'a' may not use the model 'gpt-4'"));
  assert_non_null(strstr(fx_msg(&f), "ai_models"));
  assert_int_equal(fx_call(&f, "llm.infer", infer_payload("llama2", "p")), PE_HC_DENIED);
  assert_int_equal(fx_call(&f, "llm.infer", infer_payload("llama2-chatx", "p")), PE_HC_DENIED);
  pe_svc_request_finish(&f.rq);
  fx_request(&f, "b");
  assert_int_equal(fx_call(&f, "llm.infer", infer_payload("llama2-chat", "p")), PE_HC_DENIED);
  assert_non_null(strstr(fx_msg(&f), "component 'b'"));
  pe_svc_request_finish(&f.rq);
  pe_svc_request_init(&f.rq, f.s, NULL); /* no component (defensive): denied, not crashed */
  assert_int_equal(fx_call(&f, "llm.infer", infer_payload("llama2-chat", "p")), PE_HC_DENIED);
  fx_close(&f);
}

static void test_hostile_payloads(void **state) {
  (void)state;
  fx f;
  open_with_endpoint(&f);
  fx_request(&f, "a");
  const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 'a', 'b', 0, 1, 2};
  for (size_t n = 0; n <= sizeof junk; n++) {
    assert_int_equal(fx_call_raw(&f, "llm.infer", junk, n), PE_HC_INVALID);
    assert_int_equal(fx_call_raw(&f, "llm.embed", junk, n), PE_HC_INVALID);
  }
  uint8_t u[8], big[8], d[8], nan8[8], inf8[8], huge8[8];
  fx_le64(u, 1);
  fx_le64(big, (uint64_t)UINT32_MAX + 1);
  double one = 1.0, nan_ = NAN, inf_ = INFINITY, huge = 1e39;
  memcpy(d, &one, 8);
  memcpy(nan8, &nan_, 8);
  memcpy(inf8, &inf_, 8);
  memcpy(huge8, &huge, 8);
  /* each parameter bad in turn */
  const uint8_t *bad_u[] = {big}, *bad_f[] = {nan8, inf8, huge8};
  for (int slot = 0; slot < 6; slot++) {
    bool is_float = slot % 2 == 1;
    size_t nbad = is_float ? 3 : 1;
    for (size_t k = 0; k < nbad; k++) {
      const uint8_t *p[6];
      for (int i = 0; i < 6; i++) p[i] = i % 2 ? d : u;
      p[slot] = is_float ? bad_f[k] : bad_u[k];
      pe_buf b = fx_payload(S("llama2-chat"), S("p"), p[0], (size_t)8, p[1], (size_t)8, p[2],
                            (size_t)8, p[3], (size_t)8, p[4], (size_t)8, p[5], (size_t)8, NULL);
      assert_int_equal(fx_call(&f, "llm.infer", b), PE_HC_INVALID);
    }
  }
  assert_non_null(strstr(fx_msg(&f), "top_p must be a finite 32-bit float"));
  /* a float of the wrong size, missing and extra blobs */
  assert_int_equal(fx_call(&f, "llm.infer",
                           fx_payload(S("llama2-chat"), S("p"), u, (size_t)8, d, (size_t)4, u,
                                      (size_t)8, d, (size_t)8, u, (size_t)8, d, (size_t)8, NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "llm.infer", fx_payload(S("llama2-chat"), S("p"), NULL)),
                   PE_HC_INVALID);
  pe_buf extra = infer_payload("llama2-chat", "p");
  assert_true(pe_hc_put_blob(&extra, "x", 1));
  assert_int_equal(fx_call(&f, "llm.infer", extra), PE_HC_INVALID);
  assert_non_null(strstr(fx_msg(&f), "unexpected data after the parameters"));
  /* text that is not UTF-8, in the model, the prompt and a text */
  assert_int_equal(fx_call(&f, "llm.infer", infer_payload("llama2-chat", "\xc0\xaf")),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "llm.infer", infer_payload("\xff", "p")), PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "llm.embed", fx_payload(S("emb"), S("ok"), S("\xed\xa0\x80"), NULL)),
                   PE_HC_INVALID);
  /* a model name with a NUL matches no entry */
  assert_int_equal(fx_call(&f, "llm.embed", fx_payload("emb\0", (size_t)4, NULL)), PE_HC_DENIED);
  /* sizes: the prompt, the number of texts, their total */
  size_t big_n = PE_LLM_MAX_PROMPT + 1;
  char *big_p = malloc(big_n + 1);
  memset(big_p, 'x', big_n);
  big_p[big_n] = 0;
  assert_int_equal(fx_call(&f, "llm.infer", infer_payload("llama2-chat", big_p)), PE_HC_INVALID);
  assert_non_null(strstr(fx_msg(&f), "the prompt is 1048577 bytes; the limit is 1048576"));
  pe_buf many = fx_payload(S("emb"), NULL);
  for (unsigned i = 0; i <= PE_LLM_MAX_TEXTS; i++) assert_true(pe_hc_put_blob(&many, "t", 1));
  assert_int_equal(fx_call(&f, "llm.embed", many), PE_HC_INVALID);
  assert_non_null(strstr(fx_msg(&f), "more than 1024 texts"));
  pe_buf heavy = fx_payload(S("emb"), NULL);
  for (int i = 0; i < 5; i++) assert_true(pe_hc_put_blob(&heavy, big_p, 1u << 20));
  assert_int_equal(fx_call(&f, "llm.embed", heavy), PE_HC_INVALID);
  assert_non_null(strstr(fx_msg(&f), "the texts add up to more than"));
  free(big_p);
  /* unknown ops */
  assert_int_equal(fx_call(&f, "llm.generate", fx_payload(S("emb"), NULL)), PE_HC_NO_SERVICE);
  assert_int_equal(fx_call(&f, "llm.", fx_payload(S("emb"), NULL)), PE_HC_NO_SERVICE);
  /* nothing above reached the network: the budget is untouched */
  assert_int_equal(f.rq.outbound_calls, 0);
  fx_close(&f);
}

static void test_endpoint_down_deadline_and_budget(void **state) {
  (void)state;
  fx f;
  open_with_endpoint(&f);
  fx_request(&f, "a");
  assert_int_equal(fx_call(&f, "llm.infer", infer_payload("llama2-chat", "p")), PE_HC_BACKEND);
  assert_non_null(strstr(fx_msg(&f), "POST http://127.0.0.1:"));
  assert_non_null(strstr(fx_msg(&f), "/infer: "));
  assert_null(strstr(fx_msg(&f), "S3CRET"));
  assert_int_equal(fx_call(&f, "llm.embed", fx_payload(S("emb"), S("x"), NULL)), PE_HC_BACKEND);
  assert_non_null(strstr(fx_msg(&f), "/embed: "));
  assert_int_equal(f.rq.outbound_calls, 2);
  /* the request's deadline has passed: no transfer starts */
  f.rq.deadline_ns = 1;
  assert_int_equal(fx_call(&f, "llm.infer", infer_payload("llama2-chat", "p")), PE_HC_TIMEOUT);
  assert_non_null(strstr(fx_msg(&f), "time limit was reached"));
  f.rq.deadline_ns = 0;
  /* the 64 outbound calls of a request are shared with http.send */
  f.rq.outbound_calls = 64;
  assert_int_equal(fx_call(&f, "llm.infer", infer_payload("llama2-chat", "p")), PE_HC_LIMIT);
  assert_non_null(strstr(fx_msg(&f), "more than 64 outbound calls"));
  fx_close(&f);
}

static void test_timeout_setting(void **state) {
  (void)state;
  fx f;
  setenv("PYEDGE_LLM_TIMEOUT_MS", "soon", 1);
  assert_null(fx_open(&f, manifest, NULL, NULL));
  assert_non_null(strstr(f.err, "PYEDGE_LLM_TIMEOUT_MS='soon'"));
  pe_manifest_free(f.m);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f.dir);
  if (system(cmd) != 0) fail_msg("rm");
  setenv("PYEDGE_LLM_TIMEOUT_MS", "2500", 1);
  if (!fx_open(&f, manifest, NULL, NULL)) fail_msg("%s", f.err);
  unsetenv("PYEDGE_LLM_TIMEOUT_MS");
  fx_close(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bodies),
      cmocka_unit_test(test_json_string_escapes),
      cmocka_unit_test(test_json_floats),
      cmocka_unit_test(test_runtime_config_llm),
      cmocka_unit_test(test_grants_and_no_endpoint),
      cmocka_unit_test(test_hostile_payloads),
      cmocka_unit_test(test_endpoint_down_deadline_and_budget),
      cmocka_unit_test(test_timeout_setting),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
