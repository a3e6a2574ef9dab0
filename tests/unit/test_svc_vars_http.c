/*
 * test_svc_vars_http.c -- the "vars" and "http" host services called the
 * way the sandbox calls them (pe_svc_request's dispatcher), without a
 * sandbox, so that ASan/UBSan watch every payload-parsing path: variable
 * resolution order, templates, required variables, secrets kept out of
 * messages, and hostile http.send payloads. The only network use is a
 * connection to 127.0.0.1:1, which is refused at once.
 */
#include "pe_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/pe_manifest.h"
#include "services/pe_services.h"
#include "services/svc_vars.h"

static const char manifest[] =
    "spin_manifest_version = 2\n"
    "[application]\nname = \"t\"\n"
    "[variables]\n"
    "greeting = { default = \"hi\" }\n"
    "secret_key = { default = \"s3cr3t-value\", secret = true }\n"
    "port = { default = \"1\" }\n"
    "needed = { required = true }\n"
    "[[trigger.http]]\nroute = \"/...\"\ncomponent = \"a\"\n"
    "[component.a]\nsource = \"app.wasm\"\n"
    "allowed_outbound_hosts = [\"http://127.0.0.1:{{ port }}\", \"http://*.spin.internal\",\n"
    "  \"http://{{ secret_key }}.example\"]\n"
    "variables = { msg = \"{{ greeting }}, world\", key = \"k={{secret_key}}\", both = \"{{port}}{{ greeting}}\" }\n"
    "[component.b]\nsource = \"app.wasm\"\n";

typedef struct fixture {
  pe_manifest *m;
  pe_services *s;
  pe_svc_request rq;
  pe_buf out;
} fixture;

static pe_services *open_with(pe_manifest *m, const char *const *vars, int n, char *err,
                              size_t errlen) {
  pe_services_options o;
  memset(&o, 0, sizeof o);
  o.variables = vars;
  o.nvariables = n;
  return pe_services_new(m, ".", &o, err, errlen);
}

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  pe_manifest_error e;
  f->m = pe_manifest_parse(manifest, sizeof manifest - 1, "spin.toml", &e);
  if (!f->m) fail_msg("%s", e.msg);
  static const char *const vars[] = {"needed=yes"};
  char err[512];
  f->s = open_with(f->m, vars, 1, err, sizeof err);
  if (!f->s) fail_msg("%s", err);
  pe_svc_request_init(&f->rq, f->s, pe_manifest_component_by_id(f->m, "a"));
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  pe_services_free(f->s);
  pe_manifest_free(f->m);
  pe_buf_free(&f->out);
  free(f);
  return 0;
}

/* Calls svc; returns the status byte; *msg points at the rest (NUL-terminated). */
static int call(fixture *f, const char *svc, const void *in, size_t n, const char **msg) {
  f->out.len = 0;
  f->rq.hs.call(f->rq.hs.ctx, svc, strlen(svc), in, n, &f->out);
  assert_true(f->out.len >= 1);
  assert_true(pe_buf_append(&f->out, "", 0)); /* terminate */
  if (msg) *msg = f->out.data + 1;
  return (unsigned char)f->out.data[0];
}

static void put(pe_buf *b, const void *p, size_t n) {
  uint8_t len[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
  assert_true(pe_buf_append(b, len, 4) && pe_buf_append(b, p, n));
}

static void put_s(pe_buf *b, const char *s) { put(b, s, strlen(s)); }

static void put_u64(pe_buf *b, uint64_t v) {
  uint8_t x[8];
  for (int i = 0; i < 8; i++) x[i] = (uint8_t)(v >> (8 * i));
  put(b, x, 8);
}

/* --- vars ------------------------------------------------------------------ */

static const char *get(fixture *f, const char *name, int *st) {
  pe_buf p = {0};
  put_s(&p, name);
  const char *msg;
  *st = call(f, "vars.get", p.data, p.len, &msg);
  pe_buf_free(&p);
  return msg;
}

static void test_vars_get(void **state) {
  fixture *f = *state;
  int st;
  const char *v = get(f, "msg", &st);
  assert_int_equal(st, PE_HC_OK);
  assert_memory_equal(v, "\x09\0\0\0hi, world", 13);
  v = get(f, "both", &st);
  assert_int_equal(st, PE_HC_OK);
  assert_memory_equal(v,
                      "\x03\0\0\0"
                      "1hi",
                      7);
  v = get(f, "greeting", &st); /* an app variable the component does not declare */
  assert_int_equal(st, PE_HC_NOT_FOUND);
  assert_non_null(strstr(v, "[component.a.variables]"));
  static const char *const bad[] = {"", "Msg", "1abc", "a__b", "a_", "a-b", "a b", "\xc3\xa9"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    v = get(f, bad[i], &st);
    if (st != PE_HC_INVALID) fail_msg("'%s': status %d", bad[i], st);
    assert_non_null(strstr(v, "invalid variable name"));
  }
}

static void test_vars_hostile(void **state) {
  fixture *f = *state;
  const char *msg;
  assert_int_equal(call(f, "vars.get", "", 0, &msg), PE_HC_INVALID);
  assert_int_equal(call(f, "vars.get", "\xff\xff\xff\xff", 4, &msg), PE_HC_INVALID);
  assert_int_equal(call(f, "vars.get", "\x03\0\0\0msgX", 8, &msg), PE_HC_INVALID);
  assert_int_equal(call(f, "vars.get", "\x04\0\0\0m\0sg", 8, &msg), PE_HC_INVALID);
  assert_int_equal(call(f, "vars.nope", "", 0, &msg), PE_HC_NO_SERVICE);
  char big[4 + 1000];
  memset(big, 'a', sizeof big);
  big[0] = (char)0xe8, big[1] = 0x03, big[2] = 0, big[3] = 0;
  assert_int_equal(call(f, "vars.get", big, sizeof big, &msg), PE_HC_INVALID);
  /* a request with no component (defensive) */
  const pe_manifest_component *c = f->rq.component;
  f->rq.component = NULL;
  pe_buf p = {0};
  put_s(&p, "msg");
  assert_int_equal(call(f, "vars.get", p.data, p.len, &msg), PE_HC_NOT_FOUND);
  pe_buf_free(&p);
  f->rq.component = c;
}

static void test_vars_providers(void **state) {
  fixture *f = *state;
  char err[512];
  /* a required variable without a value stops start-up, naming it */
  pe_services *s = open_with(f->m, NULL, 0, err, sizeof err);
  assert_null(s);
  assert_non_null(strstr(err, "variable 'needed' is required"));
  assert_non_null(strstr(err, "SPIN_VARIABLE_NEEDED"));
  /* the environment supplies it; --variable beats the environment */
  setenv("SPIN_VARIABLE_NEEDED", "from-env", 1);
  setenv("SPIN_VARIABLE_GREETING", "hello", 1);
  static const char *const vars[] = {"greeting=first", "greeting=bonjour", "unknown=1"};
  s = open_with(f->m, vars, 3, err, sizeof err);
  assert_non_null(s);
  const char *v = pe_svc_vars_component(s, "a", "msg");
  assert_string_equal(v, "bonjour, world");
  char *x = pe_svc_vars_expand(s, "[{{needed}}]", NULL, err, sizeof err);
  assert_string_equal(x, "[from-env]");
  free(x);
  pe_services_free(s);
  s = open_with(f->m, NULL, 0, err, sizeof err);
  assert_non_null(s);
  assert_string_equal(pe_svc_vars_component(s, "a", "msg"), "hello, world");
  assert_null(pe_svc_vars_component(s, "a", "nope"));
  assert_null(pe_svc_vars_component(s, "b", "msg"));
  pe_services_free(s);
  unsetenv("SPIN_VARIABLE_NEEDED");
  unsetenv("SPIN_VARIABLE_GREETING");
}

static void test_vars_templates_and_secrets(void **state) {
  fixture *f = *state;
  char err[512];
  bool secret = false;
  char *x = pe_svc_vars_expand(f->s, "a{{ greeting }}b{{secret_key}}", &secret, err, sizeof err);
  assert_string_equal(x, "ahibs3cr3t-value");
  assert_true(secret);
  free(x);
  x = pe_svc_vars_expand(f->s, "no templates", &secret, err, sizeof err);
  assert_string_equal(x, "no templates");
  assert_false(secret);
  free(x);
  assert_null(pe_svc_vars_expand(f->s, "{{ missing }}", NULL, err, sizeof err));
  assert_non_null(strstr(err, "missing"));
  assert_null(pe_svc_vars_expand(f->s, "{{ open", NULL, err, sizeof err));
  assert_non_null(strstr(err, "unmatched"));
  char msg[128] = "k=s3cr3t-value and s3cr3t-value!";
  pe_svc_vars_redact(f->s, msg);
  assert_string_equal(msg, "k=*** and ***!");
  assert_null(pe_svc_vars_name_problem("ok_name1", 8));
  assert_non_null(pe_svc_vars_name_problem("x", 0));
}

/* --- http -------------------------------------------------------------------- */

static void send_payload(pe_buf *p, const char *method, const char *url, uint64_t count,
                         const char *const *headers, const char *body) {
  p->len = 0;
  put_s(p, method);
  put_s(p, url);
  put_u64(p, 0);
  put_u64(p, count);
  for (uint64_t i = 0; headers && headers[2 * i]; i++) {
    put_s(p, headers[2 * i]);
    put_s(p, headers[2 * i + 1]);
  }
  put_s(p, body);
}

static void test_http_hostile(void **state) {
  fixture *f = *state;
  pe_buf p = {0};
  const char *msg;
  static const char *const crlf[] = {"x-a", "1\r\nx-injected: 1", NULL};
  static const char *const nul_name[] = {"x a", "1", NULL};
  struct {
    const char *method, *url;
    uint64_t count;
    const char *const *headers;
    const char *why;
  } rows[] = {
      {"GET", "http://127.0.0.1:1/", 1, crlf, "control character"},
      {"GET", "http://127.0.0.1:1/", 1, nul_name, "invalid header name"},
      {"GET", "http://127.0.0.1:1/", 1ull << 40, NULL, "too many request headers"},
      {"GET", "http://127.0.0.1:1/", 1, NULL, "too many request headers"},
      {"G T", "http://127.0.0.1:1/", 0, NULL, "invalid HTTP method"},
      {"", "http://127.0.0.1:1/", 0, NULL, "invalid HTTP method"},
      {"GET", "file:///etc/passwd", 0, NULL, "scheme 'file' is not supported"},
      {"GET", "gopher://127.0.0.1:1/", 0, NULL, "scheme 'gopher'"},
      {"GET", "http://127.0.0.1:1@evil.example/", 0, NULL, "credentials"},
      {"GET", "http://evil\\@127.0.0.1:1/", 0, NULL, "backslash"},
      {"GET", "http://127.0.0.1:1/a b", 0, NULL, "space"},
      {"GET", "", 0, NULL, "empty"},
  };
  for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
    send_payload(&p, rows[i].method, rows[i].url, rows[i].count, rows[i].headers, "");
    int st = call(f, "http.send", p.data, p.len, &msg);
    if (st != PE_HC_INVALID || !strstr(msg, rows[i].why))
      fail_msg("row %zu: status %d, message '%s'", i, st, msg);
  }
  /* truncations of a good payload at every length, and junk after it */
  send_payload(&p, "GET", "http://127.0.0.1:2/", 0, NULL, "body");
  for (size_t n = 0; n < p.len; n++)
    assert_int_equal(call(f, "http.send", p.data, n, &msg), PE_HC_INVALID);
  assert_true(pe_buf_append(&p, "x", 1));
  assert_int_equal(call(f, "http.send", p.data, p.len, &msg), PE_HC_INVALID);
  assert_int_equal(call(f, "http.other", p.data, p.len, &msg), PE_HC_NO_SERVICE);
  pe_buf_free(&p);
}

static void test_http_policy(void **state) {
  fixture *f = *state;
  pe_buf p = {0};
  const char *msg;
  /* denied: the message names the URL and the rules as written */
  send_payload(&p, "GET", "http://127.0.0.2:1/x?k=s3cr3t-value", 0, NULL, "");
  assert_int_equal(call(f, "http.send", p.data, p.len, &msg), PE_HC_DENIED);
  assert_non_null(strstr(msg, "http://127.0.0.2:1/x?k=***"));
  assert_non_null(strstr(msg, "\"http://127.0.0.1:{{ port }}\""));
  assert_non_null(strstr(msg, "\"http://{{ secret_key }}.example\""));
  assert_null(strstr(msg, "s3cr3t-value"));
  /* allowed, nobody listens: refused by the peer, not by the rules */
  send_payload(&p, "POST", "http://127.0.0.1:1/x", 0, NULL, "data");
  assert_int_equal(call(f, "http.send", p.data, p.len, &msg), PE_HC_BACKEND);
  /* service chaining with no server behind it */
  send_payload(&p, "GET", "http://a.spin.internal/", 0, NULL, "");
  assert_int_equal(call(f, "http.send", p.data, p.len, &msg), PE_HC_NOT_FOUND);
  send_payload(&p, "GET", "http://a.b.spin.internal/", 0, NULL, "");
  assert_int_equal(call(f, "http.send", p.data, p.len, &msg), PE_HC_NOT_FOUND);
  /* relative URLs need `self` */
  send_payload(&p, "GET", "/x", 0, NULL, "");
  assert_int_equal(call(f, "http.send", p.data, p.len, &msg), PE_HC_DENIED);
  /* the inbound request's time is up: no connection is attempted */
  f->rq.deadline_ns = 1;
  send_payload(&p, "GET", "http://127.0.0.1:1/x", 0, NULL, "");
  assert_int_equal(call(f, "http.send", p.data, p.len, &msg), PE_HC_TIMEOUT);
  f->rq.deadline_ns = 0;
  /* the per-request budget */
  f->rq.outbound_calls = 64;
  assert_int_equal(call(f, "http.send", p.data, p.len, &msg), PE_HC_LIMIT);
  assert_non_null(strstr(msg, "64"));
  f->rq.outbound_calls = 0;
  /* a component without rules */
  f->rq.component = pe_manifest_component_by_id(f->m, "b");
  assert_int_equal(call(f, "http.send", p.data, p.len, &msg), PE_HC_DENIED);
  assert_non_null(strstr(msg, "has no allowed_outbound_hosts"));
  f->rq.component = pe_manifest_component_by_id(f->m, "a");
  pe_buf_free(&p);
}

/* A chained component answers with NULs in its headers (the response
 * format allows any bytes): the caller must see the headers as sent, not
 * names and values shifted by them (the reply's headers were NUL-split). */
static pe_chain_status nul_answer(void *ctx, const char *id, const pe_chain_request *req,
                                  pe_svc_request *child, pe_buf *response, char *why,
                                  size_t whylen) {
  (void)ctx, (void)id, (void)req, (void)child, (void)why, (void)whylen;
  static const uint8_t answer[] =
      "PES1\xc8\0\0\0\3\0\0\0" /* 200, 3 headers */
      "\3\0\0\0a\0b"
      "\1\0\0\0v" /* "a\0b": "v" */
      "\1\0\0\0x"
      "\3\0\0\0"
      "1\0002" /* "x": "1\02" */
      "\1\0\0\0y"
      "\1\0\0\0z" /* "y": "z" */
      "\4\0\0\0body";
  assert_true(pe_buf_append(response, answer, sizeof answer - 1));
  return PE_CHAIN_OK;
}

static void test_http_chain_nul_headers(void **state) {
  fixture *f = *state;
  pe_services_set_chain(f->s, nul_answer, NULL);
  pe_buf p = {0};
  send_payload(&p, "GET", "http://a.spin.internal/", 0, NULL, "");
  assert_int_equal(call(f, "http.send", p.data, p.len, NULL), PE_HC_OK);
  /* u64 status, u64 count, then (name, value) blobs and the body */
  static const uint8_t want[] =
      "\x08\0\0\0\xc8\0\0\0\0\0\0\0"
      "\x08\0\0\0\2\0\0\0\0\0\0\0"
      "\1\0\0\0x"
      "\3\0\0\0"
      "1 2"
      "\1\0\0\0y"
      "\1\0\0\0z"
      "\4\0\0\0body";
  assert_int_equal(f->out.len - 1, sizeof want - 1);
  assert_memory_equal(f->out.data + 1, want, sizeof want - 1);
  pe_services_set_chain(f->s, NULL, NULL);
  pe_buf_free(&p);
}

static void test_http_bad_rules_stop_startup(void **state) {
  (void)state;
  static const char text[] =
      "spin_manifest_version = 2\n[application]\nname = \"t\"\n"
      "[variables]\nh = { default = \"bad host\" }\n"
      "[[trigger.http]]\nroute = \"/...\"\ncomponent = \"a\"\n"
      "[component.a]\nsource = \"app.wasm\"\nallowed_outbound_hosts = [\"http://{{ h }}\"]\n";
  pe_manifest_error e;
  pe_manifest *m = pe_manifest_parse(text, sizeof text - 1, "spin.toml", &e);
  assert_non_null(m);
  char err[512];
  assert_null(open_with(m, NULL, 0, err, sizeof err));
  assert_non_null(strstr(err, "component 'a'"));
  assert_non_null(strstr(err, "not a valid host name"));
  static const char *const fix[] = {"h=ok.example"};
  pe_services *s = open_with(m, fix, 1, err, sizeof err);
  assert_non_null(s);
  pe_services_free(s);
  pe_manifest_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_vars_get, setup, teardown),
      cmocka_unit_test_setup_teardown(test_vars_hostile, setup, teardown),
      cmocka_unit_test_setup_teardown(test_vars_providers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_vars_templates_and_secrets, setup, teardown),
      cmocka_unit_test_setup_teardown(test_http_hostile, setup, teardown),
      cmocka_unit_test_setup_teardown(test_http_policy, setup, teardown),
      cmocka_unit_test_setup_teardown(test_http_chain_nul_headers, setup, teardown),
      cmocka_unit_test(test_http_bad_rules_stop_startup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
