/*
 * test_svc_conns.c -- the ground the outbound-server areas (redis,
 * postgres, mysql, mqtt) stand on: per-request connection tables
 * (services/svc_conns.h), the allowed_outbound_hosts check for a
 * scheme://host:port (pe_svc_outbound_check) and libraries loaded on first
 * use (util/pe_dl.h). No network: every host below is an IP literal or
 * "localhost", which resolves from /etc/hosts.
 */
#include "pe_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "manifest/pe_manifest.h"
#include "services/http/svc_http.h"
#include "services/svc_conns.h"
#include "util/pe_dl.h"

/* ---- connection tables ------------------------------------------------------- */

static int closed[16], nclosed;
static void close_conn(void *c) { closed[nclosed++] = *(int *)c; }
static _Atomic uint64_t last_id;
static const pe_svc_conn_kind kind = {"test", 3, close_conn, &last_id};

static uint64_t reply_u64(const pe_buf *out) {
  assert_true(out->len == 1 + 4 + 8 && out->data[0] == PE_HC_OK);
  uint64_t v = 0;
  for (int k = 7; k >= 0; k--) v = v << 8 | (uint8_t)out->data[5 + k];
  return v;
}

static void *find(void *table, uint64_t id, pe_buf *out) {
  pe_buf in = {0};
  assert_true(pe_hc_put_u64(&in, id));
  pe_hc_reader r;
  pe_hc_reader_init(&r, (const uint8_t *)in.data, in.len);
  void *c = pe_svc_conn_find(&kind, table, &r, out);
  pe_buf_free(&in);
  return c;
}

static void test_conn_table(void **state) {
  (void)state;
  int conns[5] = {10, 11, 12, 13, 14};
  void *table = NULL;
  pe_buf out = {0};
  nclosed = 0;
  /* an empty table: no connection, any handle is invalid */
  assert_null(find(table, 1, &out));
  assert_int_equal(out.data[0], PE_HC_INVALID);
  uint64_t ids[3];
  for (int i = 0; i < 3; i++) {
    assert_true(pe_svc_conn_room(&kind, &table, &out));
    pe_svc_conn_add(&kind, &table, &conns[i], &out);
    ids[i] = reply_u64(&out);
  }
  assert_true(ids[0] < ids[1] && ids[1] < ids[2]);
  /* full: room says LIMIT; an add anyway closes the connection it was given */
  assert_false(pe_svc_conn_room(&kind, &table, &out));
  assert_int_equal(out.data[0], PE_HC_LIMIT);
  pe_svc_conn_add(&kind, &table, &conns[3], &out);
  assert_int_equal(out.data[0], PE_HC_LIMIT);
  assert_int_equal(nclosed, 1);
  assert_int_equal(closed[0], 13);
  assert_ptr_equal(find(table, ids[1], &out), &conns[1]);
  /* closing frees a place; the closed handle stays invalid, never reused */
  assert_true(pe_svc_conn_close(&kind, table, ids[1]));
  assert_false(pe_svc_conn_close(&kind, table, ids[1]));
  assert_int_equal(closed[1], 11);
  assert_null(find(table, ids[1], &out));
  assert_int_equal(out.data[0], PE_HC_INVALID);
  assert_non_null(strstr(out.data + 1, "no open test connection with handle"));
  pe_svc_conn_add(&kind, &table, &conns[4], &out);
  assert_true(reply_u64(&out) > ids[2]);
  /* a handle blob that is not 8 bytes long */
  pe_buf bad = {0};
  assert_true(pe_hc_put_blob(&bad, "abc", 3));
  pe_hc_reader r;
  pe_hc_reader_init(&r, (const uint8_t *)bad.data, bad.len);
  assert_null(pe_svc_conn_find(&kind, table, &r, &out));
  assert_int_equal(out.data[0], PE_HC_INVALID);
  pe_buf_free(&bad);
  /* the request's end closes what is left and frees the table */
  pe_svc_conns_end(&kind, &table);
  assert_null(table);
  assert_int_equal(nclosed, 5);
  pe_svc_conns_end(&kind, &table); /* twice is harmless */
  pe_buf_free(&out);
}

static void test_ms_left(void **state) {
  (void)state;
  pe_svc_request rq;
  memset(&rq, 0, sizeof rq);
  assert_int_equal(pe_svc_ms_left(&rq, 5000), 5000); /* no deadline */
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
  rq.deadline_ns = now + 200000000ull; /* 200 ms */
  unsigned left = pe_svc_ms_left(&rq, 5000);
  assert_true(left > 100 && left <= 200);
  assert_int_equal(pe_svc_ms_left(&rq, 50), 50);
  rq.deadline_ns = now - 1;
  assert_int_equal(pe_svc_ms_left(&rq, 5000), 0);
}

/* ---- allowed_outbound_hosts for connections ---------------------------------- */

static const char manifest[] =
    "spin_manifest_version = 2\n"
    "[application]\nname = \"t\"\n"
    "[[trigger.http]]\nroute = \"/...\"\ncomponent = \"a\"\n"
    "[[trigger.http]]\nroute = \"/b/...\"\ncomponent = \"b\"\n"
    "[component.a]\nsource = \"app.wasm\"\n"
    "allowed_outbound_hosts = [\"redis://127.0.0.1\", \"postgres://localhost:5433\",\n"
    "  \"mysql://10.1.0.0/16\", \"mqtt://[::1]:*\", \"redis://127.0.0.0/8:7000\"]\n"
    "[component.b]\nsource = \"app.wasm\"\n";

typedef struct fixture {
  pe_manifest *m;
  pe_services *s;
  pe_svc_request rq;
  pe_buf out;
  char addr[PE_OB_ADDR_TEXT];
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  pe_manifest_error e;
  f->m = pe_manifest_parse(manifest, sizeof manifest - 1, "spin.toml", &e);
  if (!f->m) fail_msg("%s", e.msg);
  pe_services_options o;
  memset(&o, 0, sizeof o);
  char err[512];
  f->s = pe_services_new(f->m, ".", &o, err, sizeof err);
  if (!f->s) fail_msg("%s", err);
  pe_svc_request_init(&f->rq, f->s, pe_manifest_component_by_id(f->m, "a"));
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  pe_svc_request_finish(&f->rq);
  pe_services_free(f->s);
  pe_manifest_free(f->m);
  pe_buf_free(&f->out);
  free(f);
  return 0;
}

static bool check(fixture *f, const char *scheme, const char *host, unsigned port) {
  f->addr[0] = 0;
  f->out.len = 0;
  return pe_svc_outbound_check(&f->rq, scheme, host, (uint16_t)port, f->addr, &f->out);
}

static void test_outbound_allowed(void **state) {
  fixture *f = *state;
  assert_true(check(f, "redis", "127.0.0.1", 6379)); /* the scheme's default port */
  assert_string_equal(f->addr, "127.0.0.1");
  assert_true(check(f, "REDIS", "127.0.0.1", 6379)); /* schemes are case-insensitive */
  assert_true(check(f, "postgres", "LocalHost", 5433));
  assert_true(strcmp(f->addr, "127.0.0.1") == 0 || strcmp(f->addr, "::1") == 0);
  assert_true(check(f, "mysql", "10.1.200.3", 3306)); /* inside the CIDR rule */
  assert_string_equal(f->addr, "10.1.200.3");
  assert_true(check(f, "mqtt", "[::1]", 8883)); /* bracketed IPv6, any port */
  assert_string_equal(f->addr, "::1");
  /* a name allowed only through a CIDR rule: resolved, the address checked */
  assert_true(check(f, "redis", "localhost", 7000));
  assert_string_equal(f->addr, "127.0.0.1");
}

static void expect_denied(fixture *f, const char *scheme, const char *host, unsigned port,
                          const char *says) {
  assert_false(check(f, scheme, host, port));
  assert_int_equal(f->out.data[0], PE_HC_DENIED);
  if (!strstr(f->out.data + 1, says)) fail_msg("'%s' does not say '%s'", f->out.data + 1, says);
  assert_string_equal(f->addr, "");
}

static void test_outbound_denied(void **state) {
  fixture *f = *state;
  expect_denied(f, "redis", "127.0.0.1", 6380,
                "outbound connection to 'redis://127.0.0.1:6380' is not allowed");
  expect_denied(f, "postgres", "localhost", 5432, "allows postgres://localhost:5432");
  expect_denied(f, "mysql", "10.2.0.1", 3306, "allows mysql://10.2.0.1:3306");
  expect_denied(f, "http", "127.0.0.1", 6379, "outbound request to"); /* another scheme */
  expect_denied(f, "redis", "localhost", 7001, "not allowed");
  /* a component without rules may connect nowhere */
  pe_svc_request_finish(&f->rq);
  pe_svc_request_init(&f->rq, f->s, pe_manifest_component_by_id(f->m, "b"));
  expect_denied(f, "redis", "127.0.0.1", 6379,
                "has no allowed_outbound_hosts, so it may make no outbound requests (to allow "
                "this one, add \"redis://127.0.0.1\" to allowed_outbound_hosts in [component.b])");
}

static void test_outbound_malformed(void **state) {
  fixture *f = *state;
  static const char *const hosts[] = {"",     "a b",  "x/y", "user@127.0.0.1", "127.0.0.1:1",
                                      "\x01", "[::1", "h\\x"};
  for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
    assert_false(check(f, "redis", hosts[i], 6379));
    assert_int_equal(f->out.data[0], PE_HC_INVALID);
  }
  char longhost[300];
  memset(longhost, 'a', sizeof longhost - 1);
  longhost[sizeof longhost - 1] = 0;
  assert_false(check(f, "redis", longhost, 6379));
  assert_int_equal(f->out.data[0], PE_HC_INVALID);
  assert_false(check(f, "redis", "127.0.0.1", 0));
  assert_int_equal(f->out.data[0], PE_HC_INVALID);
  assert_false(check(f, "", "127.0.0.1", 1));
  assert_int_equal(f->out.data[0], PE_HC_INVALID);
  assert_false(check(f, "averyveryverylongscheme", "127.0.0.1", 1));
  assert_int_equal(f->out.data[0], PE_HC_INVALID);
}

/* ---- libraries on first use --------------------------------------------------- */

static size_t (*my_strlen)(const char *);
static int (*my_missing)(void);

static void test_dl_load(void **state) {
  (void)state;
  char err[256];
  static const pe_dl_sym ok_syms[] = {{"strlen", (void *)&my_strlen}};
  static pe_dl_lib ok = PE_DL_LIB("libc.so.6", ok_syms);
  assert_true(pe_dl_load(&ok, err, sizeof err));
  assert_int_equal(my_strlen("four"), 4);
  assert_true(pe_dl_load(&ok, err, sizeof err)); /* once, then the same answer */

  static const pe_dl_sym no_syms[] = {{"strlen", (void *)&my_strlen}};
  static pe_dl_lib absent = PE_DL_LIB("libpyedge-absent.so.9", no_syms);
  assert_false(pe_dl_load(&absent, err, sizeof err));
  assert_non_null(strstr(err, "cannot load libpyedge-absent.so.9"));

  static const pe_dl_sym bad_syms[] = {{"strlen", (void *)&my_strlen},
                                       {"pyedge_no_such_symbol", (void *)&my_missing}};
  static pe_dl_lib lacking = PE_DL_LIB("libc.so.6", bad_syms);
  assert_false(pe_dl_load(&lacking, err, sizeof err));
  assert_string_equal(err, "libc.so.6 lacks pyedge_no_such_symbol");
  err[0] = 0;
  assert_false(pe_dl_load(&lacking, err, sizeof err)); /* the first answer stands */
  assert_string_equal(err, "libc.so.6 lacks pyedge_no_such_symbol");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_conn_table),
      cmocka_unit_test(test_ms_left),
      cmocka_unit_test_setup_teardown(test_outbound_allowed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_outbound_denied, setup, teardown),
      cmocka_unit_test_setup_teardown(test_outbound_malformed, setup, teardown),
      cmocka_unit_test(test_dl_load),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
