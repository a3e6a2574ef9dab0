/*
 * test_rdbms.c -- the postgres and mysql areas without a server: their
 * address parsers (pg_conninfo.c, mysql_url.c), the shared parameter blobs
 * (svc_rdbms.c), and the "postgres.*" / "mysql.*" services reached through
 * the request dispatcher as the sandbox reaches them: denied hosts,
 * refused options, a closed port, forged and closed handles, malformed
 * payloads. Against real servers: tests/platform/test_postgres.py and
 * test_mysql.py. Runs under ASan/UBSan too.
 */
#include "pe_test.h"

#include <stdarg.h>

#include "services/mysql/mysql_url.h"
#include "services/postgres/pg_conninfo.h"
#include "services/svc_rdbms.h"
#include "svc_fixture.h"

/* --- parsers ---------------------------------------------------------------- */

static bool pg(const char *s, pe_pg_conninfo *ci, char *err) {
  return pe_pg_conninfo_parse(s, strlen(s), ci, err, 256);
}

static void test_pg_conninfo(void **state) {
  (void)state;
  pe_pg_conninfo ci;
  char err[256];
  assert_true(
      pg("host=db.example port=6543 dbname=app user='a b' password='it\\'s \\\\x'", &ci, err));
  assert_string_equal(ci.host, "db.example");
  assert_int_equal(ci.port, 6543);
  assert_string_equal(pe_pg_conninfo_get(&ci, "user"), "a b");
  assert_string_equal(pe_pg_conninfo_get(&ci, "password"), "it's \\x");
  assert_string_equal(pe_pg_conninfo_get(&ci, "dbname"), "app");
  pe_pg_conninfo_free(&ci);
  assert_true(pg("postgresql://u:p%40ss@[::1]/d%2Fb?sslmode=require&application_name=x", &ci, err));
  assert_string_equal(ci.host, "::1");
  assert_int_equal(ci.port, 5432);
  assert_string_equal(pe_pg_conninfo_get(&ci, "password"), "p@ss");
  assert_string_equal(pe_pg_conninfo_get(&ci, "dbname"), "d/b");
  assert_string_equal(pe_pg_conninfo_get(&ci, "sslmode"), "require");
  pe_pg_conninfo_free(&ci);
  assert_true(pg(" host = h  user=a user=b ", &ci, err)); /* the last one wins, as in libpq */
  assert_string_equal(pe_pg_conninfo_get(&ci, "user"), "b");
  assert_int_equal(ci.n, 1);
  pe_pg_conninfo_free(&ci);
  static const char *const refused[][2] = {
      {"host=/run/postgresql", "socket"},
      {"host=@abstract", "socket"},
      {"host=a,b", "one host"},
      {"user=x", "no host"},
      {"host=", "local socket"},
      {"host=h port=0", "port"},
      {"host=h port=5432,5433", "port"},
      {"host=h hostaddr=10.0.0.1", "'hostaddr'"},
      {"host=h passfile=/etc/passwd", "'passfile'"},
      {"host=h sslkey=/k", "'sslkey'"},
      {"host=h service=s", "'service'"},
      {"host=h sslmode=verify-full", "verify-full"},
      {"host='h", "unterminated"},
      {"host h", "keyword=value"},
      {"postgres://h/db?sslcert=/c", "'sslcert'"},
      {"postgres://%2Ftmp/db", "socket"},
      {"postgres://h:99999/db", "port"},
      {"postgres://[::1/db", "unterminated"},
      {"postgres://h/d%zz", "encoding"},
  };
  for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
    if (pg(refused[i][0], &ci, err)) fail_msg("accepted: %s", refused[i][0]);
    if (!strstr(err, refused[i][1]))
      fail_msg("%s: '%s' lacks '%s'", refused[i][0], err, refused[i][1]);
    assert_int_equal(ci.n, 0);
    pe_pg_conninfo_free(&ci);
  }
  /* a password is never repeated in a message */
  assert_false(pg("host=h password=hunter2 bogus=1", &ci, err));
  assert_null(strstr(err, "hunter2"));
  assert_false(pe_pg_conninfo_parse("host=h\0x", 8, &ci, err, sizeof err));
  pe_pg_conninfo_free(&ci);
}

static void test_mysql_url(void **state) {
  (void)state;
  pe_mysql_url u;
  char err[256];
  const char *s = "mysql://app:p%40ss%3A@127.0.0.1:3307/my%20db";
  assert_true(pe_mysql_url_parse(s, strlen(s), &u, err, sizeof err));
  assert_string_equal(u.host, "127.0.0.1");
  assert_int_equal(u.port, 3307);
  assert_string_equal(u.user, "app");
  assert_string_equal(u.password, "p@ss:");
  assert_string_equal(u.database, "my db");
  pe_mysql_url_free(&u);
  s = "mysql://h/d?SSLMODE=Preferred&ssl-mode=required";
  assert_true(pe_mysql_url_parse(s, strlen(s), &u, err, sizeof err));
  assert_true(u.tls);
  pe_mysql_url_free(&u);
  s = "mysql://h/d?ssl-mode=required&ssl-mode=DISABLED"; /* the last one wins */
  assert_true(pe_mysql_url_parse(s, strlen(s), &u, err, sizeof err));
  assert_false(u.tls);
  pe_mysql_url_free(&u);
  s = "mysql://[::1]";
  assert_true(pe_mysql_url_parse(s, strlen(s), &u, err, sizeof err));
  assert_string_equal(u.host, "::1");
  assert_int_equal(u.port, 3306);
  assert_null(u.user);
  assert_null(u.database);
  pe_mysql_url_free(&u);
  static const char *const refused[] = {"mysql://h/d?ssl-mode=verify_ca",
                                        "mysql://h/d?sslmode",
                                        "mysql://h/d#x",
                                        "mysql://h/d?ssl-mode=required&x=1",
                                        "mysql://u@/db",
                                        "mysql://a,b/db",
                                        "mysql://h/db?ssl-ca=/x",
                                        "mysql://h:0",
                                        "mysqlx://h",
                                        "mysql://u:%zz@h",
                                        "mysql://u:%00@h",
                                        "mysql://h/%2"};
  for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
    if (pe_mysql_url_parse(refused[i], strlen(refused[i]), &u, err, sizeof err))
      fail_msg("accepted: %s", refused[i]);
    assert_null(u.user);
    pe_mysql_url_free(&u);
  }
}

/* --- parameter blobs ------------------------------------------------------------- */

static void test_params(void **state) {
  (void)state;
  pe_buf in = fx_payload(S("SELECT $1, $2, $3"), "n", (size_t)1,
                         "t\x17\x00\x00\x00"
                         "42",
                         (size_t)7, "b\x00\xff", (size_t)3, NULL);
  pe_hc_reader r;
  pe_hc_reader_init(&r, (const uint8_t *)in.data, in.len);
  char *sql;
  pe_rdbms_param *ps;
  size_t np;
  pe_buf out = {0};
  assert_true(pe_rdbms_read(&r, "t", &sql, &ps, &np, &out));
  assert_string_equal(sql, "SELECT $1, $2, $3");
  assert_int_equal(np, 3);
  assert_int_equal(ps[0].kind, 'n');
  assert_int_equal(ps[1].kind, 't');
  assert_int_equal(ps[1].type, 23);
  assert_int_equal(ps[1].n, 2);
  assert_memory_equal(ps[1].p, "42", 2);
  assert_int_equal(ps[2].kind, 'b');
  assert_int_equal(ps[2].n, 2);
  free(sql);
  free(ps);
  pe_buf_free(&in);
  /* malformed: bad tag, short type, NUL or bad UTF-8 in text or statement */
  static const struct {
    const char *blob;
    size_t n;
  } bad[] = {{"x", 1},
             {"t\x01\x00", 3},
             {"t\x19\x00\x00\x00"
              "a\x00",
              7},
             {"t\x19\x00\x00\x00\xff", 6},
             {"", 0},
             {"nn", 2}};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    in = fx_payload(S("SELECT 1"), bad[i].blob, bad[i].n, NULL);
    pe_hc_reader_init(&r, (const uint8_t *)in.data, in.len);
    if (pe_rdbms_read(&r, "t", &sql, &ps, &np, &out)) fail_msg("bad parameter %zu accepted", i);
    assert_int_equal((uint8_t)out.data[0], PE_HC_INVALID);
    pe_buf_free(&in);
  }
  /* limits: a statement over 1 MiB, more than 4096 parameters */
  char *big = malloc(PE_RDBMS_MAX_STATEMENT + 1);
  assert_non_null(big);
  memset(big, ' ', PE_RDBMS_MAX_STATEMENT + 1);
  in = fx_payload(big, (size_t)PE_RDBMS_MAX_STATEMENT + 1, NULL);
  free(big);
  pe_hc_reader_init(&r, (const uint8_t *)in.data, in.len);
  assert_false(pe_rdbms_read(&r, "t", &sql, &ps, &np, &out));
  assert_int_equal((uint8_t)out.data[0], PE_HC_LIMIT);
  pe_buf_free(&in);
  in = fx_payload(S("SELECT 1"), NULL);
  for (unsigned i = 0; i <= PE_RDBMS_MAX_PARAMS; i++) assert_true(pe_hc_put_blob(&in, "n", 1));
  pe_hc_reader_init(&r, (const uint8_t *)in.data, in.len);
  assert_false(pe_rdbms_read(&r, "t", &sql, &ps, &np, &out));
  assert_int_equal((uint8_t)out.data[0], PE_HC_LIMIT);
  pe_buf_free(&in);
  in = fx_payload("SELECT \xff", (size_t)8, NULL);
  pe_hc_reader_init(&r, (const uint8_t *)in.data, in.len);
  assert_false(pe_rdbms_read(&r, "t", &sql, &ps, &np, &out));
  pe_buf_free(&in);
  pe_buf_free(&out);
}

/* --- the services through the dispatcher ----------------------------------------- */

static const char *const manifest =
    "spin_manifest_version = 2\n"
    "[application]\nname = \"t\"\n"
    "[[trigger.http]]\nroute = \"/a/...\"\ncomponent = \"a\"\n"
    "[[trigger.http]]\nroute = \"/b/...\"\ncomponent = \"b\"\n"
    "[component.a]\nsource = \"app.wasm\"\n"
    "allowed_outbound_hosts = [\"postgres://127.0.0.1:1\", \"mysql://127.0.0.1:1\"]\n"
    "[component.b]\nsource = \"app.wasm\"\n";

static void test_services(void **state) {
  (void)state;
  fx f;
  if (!fx_open(&f, manifest, NULL, NULL)) fail_msg("%s", f.err);
  fx_request(&f, "a");
  /* a closed port: a clear error at once, no handle */
  assert_int_equal(fx_call(&f, "postgres.open", fx_payload(S("host=127.0.0.1 port=1"), NULL)),
                   PE_HC_BACKEND);
  assert_non_null(strstr(fx_msg(&f), "refused"));
  assert_int_equal(fx_call(&f, "mysql.open", fx_payload(S("mysql://u@127.0.0.1:1/d"), NULL)),
                   PE_HC_BACKEND);
  /* hosts and ports the rules do not name */
  assert_int_equal(fx_call(&f, "postgres.open", fx_payload(S("host=127.0.0.1 port=5432"), NULL)),
                   PE_HC_DENIED);
  assert_int_equal(fx_call(&f, "mysql.open", fx_payload(S("mysql://127.0.0.2:1"), NULL)),
                   PE_HC_DENIED);
  /* refused options never reach the policy or libpq */
  assert_int_equal(fx_call(&f, "postgres.open",
                           fx_payload(S("host=127.0.0.1 port=1 sslrootcert=/etc/x"), NULL)),
                   PE_HC_INVALID);
  /* handles: forged, missing, wrong blob counts */
  uint8_t h[8];
  fx_le64(h, 12345);
  assert_int_equal(fx_call(&f, "postgres.query", fx_payload(h, (size_t)8, S("SELECT 1"), NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "mysql.execute", fx_payload(h, (size_t)8, S("SELECT 1"), NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "postgres.close", fx_payload(h, (size_t)8, NULL)), PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "mysql.close", fx_payload(h, (size_t)8, h, (size_t)8, NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "postgres.open", fx_payload(NULL)), PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "postgres.query", fx_payload(S("x"), NULL)), PE_HC_INVALID);
  assert_int_equal(fx_call_raw(&f, "mysql.query", "\x08\x00\x00", 3), PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "postgres.nope", fx_payload(NULL)), PE_HC_NO_SERVICE);
  assert_int_equal(fx_call(&f, "mysql.nope", fx_payload(NULL)), PE_HC_NO_SERVICE);
  pe_svc_request_finish(&f.rq);
  /* a component without rules reaches nothing */
  fx_request(&f, "b");
  assert_int_equal(fx_call(&f, "postgres.open", fx_payload(S("host=127.0.0.1 port=1"), NULL)),
                   PE_HC_DENIED);
  assert_int_equal(fx_call(&f, "mysql.open", fx_payload(S("mysql://127.0.0.1:1"), NULL)),
                   PE_HC_DENIED);
  fx_close(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pg_conninfo),
      cmocka_unit_test(test_mysql_url),
      cmocka_unit_test(test_params),
      cmocka_unit_test(test_services),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
