/*
 * test_sqlite.c -- the SQLite area without a server: "sqlite.*" calls
 * through the request dispatcher as the sandbox makes them. The reply
 * encoding of every value type, parameters bound (not pasted), one
 * statement per call, the guards (ATTACH, VACUUM INTO, load_extension,
 * PRAGMAs), per-request connection state (transactions rolled back, TEMP
 * objects and PRAGMAs not leaking to the next request), limits (time,
 * result size, open handles, SQLITE_FULL), start-up statements, and
 * malformed payloads. Runs under ASan/UBSan too.
 */
#include "pe_test.h"

#include <stdarg.h>

#include "services/sqlite/svc_sqlite.h"
#include "svc_fixture.h"

static const char *const manifest =
    "spin_manifest_version = 2\n"
    "[application]\nname = \"t\"\n"
    "[[trigger.http]]\nroute = \"/a/...\"\ncomponent = \"a\"\n"
    "[[trigger.http]]\nroute = \"/b/...\"\ncomponent = \"b\"\n"
    "[component.a]\nsource = \"app.wasm\"\nsqlite_databases = [\"default\", \"mem\"]\n"
    "[component.b]\nsource = \"app.wasm\"\n";

static const char *const rc =
    "[sqlite_database.mem]\ntype = \"spin\"\n"
    "[sqlite_database.hidden]\ntype = \"spin\"\npath = \"h.db\"\n";

static uint8_t handle[8];

static void open_db(fx *f, const char *label) {
  assert_int_equal(fx_call(f, "sqlite.open", fx_payload(S(label), NULL)), PE_HC_OK);
  fx_le64(handle, fx_u64(f, 0));
}

/* Runs one statement without parameters; returns the status. */
static int run(fx *f, const char *stmt) {
  return fx_call(f, "sqlite.execute", fx_payload(handle, (size_t)8, S(stmt), NULL));
}

static void must_run(fx *f, const char *stmt) {
  if (run(f, stmt) != PE_HC_OK) fail_msg("%s: %s", stmt, fx_msg(f));
}

static void expect_refused(fx *f, const char *stmt, int status, const char *msg) {
  int st = run(f, stmt);
  if (st != status || !strstr(fx_msg(f), msg))
    fail_msg("%s: status %d '%s', expected %d with '%s'", stmt, st, fx_msg(f), status, msg);
}

/* The value blob at index i of the last execute reply. */
static void value_at(fx *f, int i, char *type, const uint8_t **p, size_t *n) {
  const uint8_t *b;
  size_t bn;
  if (!fx_blob(f, i, &b, &bn) || bn == 0) fail_msg("no value blob %d", i);
  *type = (char)b[0];
  *p = b + 1;
  *n = bn - 1;
}

static int64_t le64(const uint8_t *p) {
  uint64_t v = 0;
  for (int k = 7; k >= 0; k--) v = v << 8 | p[k];
  return (int64_t)v;
}

static void test_values_and_reply_format(void **state) {
  (void)state;
  fx f;
  if (!fx_open(&f, manifest, rc, NULL)) fail_msg("%s", f.err);
  fx_request(&f, "a");
  open_db(&f, "default");
  must_run(&f, "CREATE TABLE t (v)");
  uint8_t imin[9] = {'i'}, imax[9] = {'i'}, real[9] = {'r'};
  fx_le64(imin + 1, (uint64_t)INT64_MIN);
  fx_le64(imax + 1, (uint64_t)INT64_MAX);
  double d = -2.5;
  uint64_t bits;
  memcpy(&bits, &d, 8);
  fx_le64(real + 1, bits);
  const char *ins = "INSERT INTO t VALUES (?)";
  assert_int_equal(fx_call(&f, "sqlite.execute",
                           fx_payload(handle, (size_t)8, S(ins), imin, (size_t)9, NULL)),
                   PE_HC_OK);
  assert_int_equal(fx_u64(&f, 0), 1); /* changes */
  assert_int_equal(fx_u64(&f, 1), 1); /* last rowid */
  assert_int_equal(fx_u64(&f, 2), 0); /* no columns */
  assert_int_equal(fx_call(&f, "sqlite.execute",
                           fx_payload(handle, (size_t)8, S(ins), imax, (size_t)9, NULL)),
                   PE_HC_OK);
  assert_int_equal(fx_call(&f, "sqlite.execute",
                           fx_payload(handle, (size_t)8, S(ins), real, (size_t)9, NULL)),
                   PE_HC_OK);
  assert_int_equal(fx_call(&f, "sqlite.execute",
                           fx_payload(handle, (size_t)8, S(ins), "t'); DROP TABLE t; --",
                                      (size_t)21, NULL)),
                   PE_HC_OK);
  assert_int_equal(fx_call(&f, "sqlite.execute",
                           fx_payload(handle, (size_t)8, S(ins), "b\0\1\2", (size_t)4, NULL)),
                   PE_HC_OK);
  assert_int_equal(fx_call(&f, "sqlite.execute",
                           fx_payload(handle, (size_t)8, S(ins), "n", (size_t)1, NULL)),
                   PE_HC_OK);
  assert_int_equal(fx_call(&f, "sqlite.execute",
                           fx_payload(handle, (size_t)8, S(ins), "t", (size_t)1, NULL)),
                   PE_HC_OK);
  assert_int_equal(fx_u64(&f, 1), 7);
  must_run(&f, "SELECT v AS value FROM t ORDER BY rowid");
  assert_int_equal(fx_u64(&f, 2), 1);
  assert_int_equal(fx_nblobs(&f), 4 + 7);
  const uint8_t *p;
  size_t n;
  char type;
  assert_true(fx_blob(&f, 3, &p, &n));
  assert_int_equal(n, 5);
  assert_memory_equal(p, "value", 5);
  value_at(&f, 4, &type, &p, &n);
  assert_int_equal(type, 'i');
  assert_int_equal(le64(p), INT64_MIN);
  value_at(&f, 5, &type, &p, &n);
  assert_int_equal(le64(p), INT64_MAX);
  value_at(&f, 6, &type, &p, &n);
  assert_int_equal(type, 'r');
  uint64_t got = (uint64_t)le64(p);
  memcpy(&d, &got, 8);
  assert_true(d == -2.5);
  value_at(&f, 7, &type, &p, &n);
  assert_int_equal(type, 't');
  assert_int_equal(n, 20);
  assert_memory_equal(p, "'); DROP TABLE t; --", 20);
  value_at(&f, 8, &type, &p, &n);
  assert_int_equal(type, 'b');
  assert_int_equal(n, 3);
  assert_memory_equal(p, "\0\1\2", 3);
  value_at(&f, 9, &type, &p, &n);
  assert_int_equal(type, 'n');
  assert_int_equal(n, 0);
  value_at(&f, 10, &type, &p, &n);
  assert_int_equal(type, 't');
  assert_int_equal(n, 0);
  /* a statement of only blanks and a comment */
  must_run(&f, "  -- nothing\n");
  assert_int_equal(fx_u64(&f, 2), 0);
  assert_int_equal(fx_nblobs(&f), 3);
  fx_close(&f);
}

static void test_statement_and_parameter_checks(void **state) {
  (void)state;
  fx f;
  if (!fx_open(&f, manifest, rc, NULL)) fail_msg("%s", f.err);
  fx_request(&f, "a");
  open_db(&f, "default");
  expect_refused(&f, "SELECT 1; SELECT 2", PE_HC_BACKEND, "one SQL statement");
  expect_refused(&f, "SELECT ?", PE_HC_BACKEND, "takes 1 parameters, 0 were given");
  expect_refused(&f, "SELEC 1", PE_HC_BACKEND, "syntax error");
  assert_int_equal(fx_call(&f, "sqlite.execute",
                           fx_payload(handle, (size_t)8, S("SELECT 1"), "n", (size_t)1, NULL)),
                   PE_HC_BACKEND);
  assert_non_null(strstr(fx_msg(&f), "too many parameters"));
  static const struct {
    const char *blob;
    size_t n;
  } bad[] = {{"", 0},      {"i\1", 2},          {"r", 1}, {"z", 1}, {"n\0", 2},
             {"t\xc3", 2}, {"t\xed\xa0\x80", 4}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(fx_call(&f, "sqlite.execute",
                             fx_payload(handle, (size_t)8, S("SELECT ?"), bad[i].blob, bad[i].n,
                                        NULL)),
                     PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "sqlite.execute",
                           fx_payload(handle, (size_t)8, "SELECT 1\0", (size_t)9, NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "sqlite.execute",
                           fx_payload(handle, (size_t)8, "SELECT '\xff'", (size_t)11, NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "sqlite.execute", fx_payload(handle, (size_t)8, NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "sqlite.execute",
                           fx_payload(handle, (size_t)4, S("SELECT 1"), NULL)),
                   PE_HC_INVALID);
  uint8_t other[8];
  fx_le64(other, 999);
  assert_int_equal(fx_call(&f, "sqlite.execute", fx_payload(other, (size_t)8, S("SELECT 1"), NULL)),
                   PE_HC_NOT_FOUND);
  assert_int_equal(fx_call(&f, "sqlite.close", fx_payload(other, (size_t)8, NULL)),
                   PE_HC_NOT_FOUND);
  assert_int_equal(fx_call(&f, "sqlite.close", fx_payload(handle, (size_t)8, S("x"), NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "sqlite.bogus", fx_payload(handle, (size_t)8, NULL)),
                   PE_HC_NO_SERVICE);
  const uint8_t junk[] = {0xff, 0xff, 0xff, 0x7f, 1, 2, 3};
  for (size_t n = 0; n <= sizeof junk; n++) {
    int st = fx_call_raw(&f, "sqlite.execute", junk, n);
    assert_true(st == PE_HC_INVALID);
    st = fx_call_raw(&f, "sqlite.open", junk, n);
    assert_true(st == PE_HC_INVALID);
  }
  /* a statement over the size limit */
  size_t big = PE_SQL_MAX_STATEMENT + 16;
  char *s = malloc(big + 1);
  memset(s, ' ', big);
  memcpy(s, "SELECT 1", 8);
  s[big] = 0;
  assert_int_equal(fx_call(&f, "sqlite.execute", fx_payload(handle, (size_t)8, s, big, NULL)),
                   PE_HC_BACKEND);
  assert_non_null(strstr(fx_msg(&f), "the limit is"));
  free(s);
  expect_refused(&f, "SELECT zeroblob(20000000)", PE_HC_BACKEND, "too big");
  expect_refused(&f,
                 "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 20) "
                 "SELECT zeroblob(1000000) FROM c",
                 PE_HC_BACKEND, "larger than 16 MiB");
  must_run(&f, "SELECT 1"); /* still usable */
  fx_close(&f);
}

static void test_guards(void **state) {
  (void)state;
  fx f;
  if (!fx_open(&f, manifest, rc, NULL)) fail_msg("%s", f.err);
  fx_request(&f, "a");
  open_db(&f, "default");
  char vacuum[160], target[128];
  snprintf(target, sizeof target, "%s/copy.db", f.dir);
  snprintf(vacuum, sizeof vacuum, "VACUUM INTO '%s'", target);
  expect_refused(&f, "ATTACH '/etc/passwd' AS p", PE_HC_BACKEND, "ATTACH, DETACH and VACUUM");
  expect_refused(&f, "ATTACH 'file:/etc/passwd?mode=ro' AS p", PE_HC_BACKEND, "not authorized");
  expect_refused(&f, vacuum, PE_HC_BACKEND, "not authorized");
  assert_int_equal(access(target, F_OK), -1);
  expect_refused(&f, "SELECT load_extension('libc.so.6')", PE_HC_BACKEND, "not authorized");
  expect_refused(&f, "PRAGMA database_list", PE_HC_BACKEND, "PRAGMA database_list is not allowed");
  expect_refused(&f, "SELECT * FROM pragma_database_list", PE_HC_BACKEND, "database_list");
  expect_refused(&f, "PRAGMA temp_store_directory = '/tmp'", PE_HC_BACKEND, "not allowed");
  expect_refused(&f, "PRAGMA writable_schema = 1", PE_HC_BACKEND, "not allowed");
  expect_refused(&f, "PRAGMA journal_mode = OFF", PE_HC_BACKEND, "may only be read");
  must_run(&f, "PRAGMA journal_mode");
  must_run(&f, "PRAGMA user_version = 5");
  must_run(&f, "PRAGMA table_list");
  /* in memory: state-changing PRAGMAs and TEMP objects are refused */
  open_db(&f, "mem");
  expect_refused(&f, "PRAGMA foreign_keys = ON", PE_HC_BACKEND, "in-memory");
  expect_refused(&f, "CREATE TEMP TABLE x (v)", PE_HC_BACKEND, "in-memory");
  must_run(&f, "CREATE TABLE IF NOT EXISTS kept (v)");
  must_run(&f, "INSERT INTO kept VALUES (1)");
  pe_svc_request_finish(&f.rq);
  fx_request(&f, "a");
  open_db(&f, "mem");
  must_run(&f, "SELECT count(*) FROM kept"); /* the memory database outlives requests */
  fx_close(&f);
}

/* What the adversarial pass reached through plain SQL: fts3_tokenizer's
 * host pointer (read, then called through a forged one), sqlite_stmt,
 * functions and modules nobody needs, a page cache of gigabytes. */
static void test_functions_modules_and_memory(void **state) {
  (void)state;
  fx f;
  if (!fx_open(&f, manifest, rc, NULL)) fail_msg("%s", f.err);
  fx_request(&f, "a");
  open_db(&f, "default");
  expect_refused(&f, "SELECT fts3_tokenizer('simple')", PE_HC_BACKEND,
                 "the SQL function fts3_tokenizer is not allowed");
  uint8_t forged[8];
  fx_le64(forged, 0x4141414141414141ull);
  uint8_t blob[9] = {'b'};
  memcpy(blob + 1, forged, 8);
  assert_int_equal(fx_call(&f, "sqlite.execute",
                           fx_payload(handle, (size_t)8, S("SELECT fts3_tokenizer(?, ?)"), "tevil",
                                      (size_t)5, blob, sizeof blob, NULL)),
                   PE_HC_BACKEND);
  assert_non_null(strstr(fx_msg(&f), "fts3_tokenizer is not allowed"));
  /* had the registration gone through, this would call 0x4141414141414141 */
  expect_refused(&f, "CREATE VIRTUAL TABLE pwn USING fts3(a, tokenize=evil)", PE_HC_BACKEND,
                 "unknown tokenizer");
  expect_refused(&f, "SELECT sqlite_log(1, 'x')", PE_HC_BACKEND, "sqlite_log is not allowed");
  expect_refused(&f, "SELECT rtreenode(2, zeroblob(64))", PE_HC_BACKEND, "not allowed");
  expect_refused(&f, "SELECT fts5(NULL)", PE_HC_BACKEND, "not allowed");
  expect_refused(&f, "SELECT load_extension('libc.so.6')", PE_HC_BACKEND, "not allowed");
  expect_refused(&f, "SELECT sql FROM sqlite_stmt", PE_HC_BACKEND, "sqlite_stmt");
  expect_refused(&f, "CREATE VIRTUAL TABLE s USING dbstat", PE_HC_BACKEND, "module dbstat");
  /* what apps use keeps working: full-text search, r-trees, JSON, math */
  must_run(&f, "CREATE VIRTUAL TABLE docs USING fts5(body)");
  must_run(&f, "INSERT INTO docs VALUES ('the quick brown fox')");
  must_run(&f,
           "SELECT highlight(docs, 0, '[', ']'), bm25(docs) FROM docs WHERE docs MATCH 'quick'");
  const uint8_t *p;
  size_t n;
  char type;
  value_at(&f, 5, &type, &p, &n); /* after changes, rowid, 2 and the two names */
  assert_int_equal(type, 't');
  assert_int_equal(n, strlen("the [quick] brown fox"));
  assert_memory_equal(p, "the [quick] brown fox", n);
  must_run(&f, "CREATE VIRTUAL TABLE old USING fts4(body, tokenize=porter)");
  must_run(&f, "SELECT snippet(old), offsets(old) FROM old WHERE old MATCH 'x'");
  must_run(&f, "CREATE VIRTUAL TABLE box USING rtree(id, x0, x1)");
  must_run(&f,
           "SELECT json_extract('{\"a\": [1, 2]}', '$.a[1]') + sqrt(16), '[1]' ->> 0, "
           "group_concat(value) FROM json_each('[1, 2]')");
  must_run(&f, "SELECT count(*) FROM dbstat");
  /* the page cache: a sort spills to disk beyond it */
  expect_refused(&f, "PRAGMA cache_size = -4000000", PE_HC_BACKEND, "at most 16 MiB");
  expect_refused(&f, "PRAGMA cache_size = 1000000", PE_HC_BACKEND, "at most 16 MiB");
  expect_refused(&f, "PRAGMA cache_size = -9223372036854775808", PE_HC_BACKEND, "at most 16 MiB");
  expect_refused(&f, "PRAGMA temp.cache_size = -4000000", PE_HC_BACKEND, "at most 16 MiB");
  expect_refused(&f, "PRAGMA cache_size = 'lots'", PE_HC_BACKEND, "whole number");
  must_run(&f, "PRAGMA cache_size = -16384");
  must_run(&f, "PRAGMA cache_size = 100");
  /* an in-memory database is capped */
  open_db(&f, "mem");
  must_run(&f, "PRAGMA max_page_count");
  value_at(&f, 4, &type, &p, &n);
  assert_true(le64(p) > 0 && le64(p) * 4096 <= (int64_t)PE_SQL_MAX_MEMORY_DB);
  expect_refused(&f, "PRAGMA max_page_count = 100000000", PE_HC_BACKEND, "in-memory");
  fx_close(&f);
}

static void test_connection_state_per_request(void **state) {
  (void)state;
  fx f;
  if (!fx_open(&f, manifest, rc, NULL)) fail_msg("%s", f.err);
  fx_request(&f, "a");
  open_db(&f, "default");
  must_run(&f, "CREATE TABLE t (v)");
  must_run(&f, "BEGIN");
  must_run(&f, "INSERT INTO t VALUES (1)");
  must_run(&f, "CREATE TEMP TABLE scratch (v)");
  must_run(&f, "PRAGMA foreign_keys = ON");
  must_run(&f, "SELECT count(*) FROM scratch"); /* same connection throughout */
  pe_svc_request_finish(&f.rq);                 /* rolls back, closes the tainted connection */
  fx_request(&f, "a");
  open_db(&f, "default");
  must_run(&f, "SELECT count(*) FROM t");
  const uint8_t *p;
  size_t n;
  char type;
  value_at(&f, 4, &type, &p, &n);
  assert_int_equal(le64(p), 0);
  expect_refused(&f, "SELECT * FROM scratch", PE_HC_BACKEND, "no such table");
  must_run(&f, "PRAGMA foreign_keys");
  value_at(&f, 4, &type, &p, &n);
  assert_int_equal(le64(p), 0);
  must_run(&f, "INSERT INTO t VALUES (2)"); /* no lock was left behind */
  /* closing mid-transaction rolls back too */
  must_run(&f, "BEGIN");
  must_run(&f, "INSERT INTO t VALUES (3)");
  assert_int_equal(fx_call(&f, "sqlite.close", fx_payload(handle, (size_t)8, NULL)), PE_HC_OK);
  open_db(&f, "default");
  must_run(&f, "SELECT count(*) FROM t");
  value_at(&f, 4, &type, &p, &n);
  assert_int_equal(le64(p), 1);
  fx_close(&f);
}

static void test_limits_and_full(void **state) {
  (void)state;
  setenv("PYEDGE_SQLITE_STATEMENT_TIMEOUT_MS", "100", 1);
  fx f;
  pe_services *s = fx_open(&f, manifest, rc, NULL);
  unsetenv("PYEDGE_SQLITE_STATEMENT_TIMEOUT_MS");
  if (!s) fail_msg("%s", f.err);
  fx_request(&f, "a");
  open_db(&f, "default");
  expect_refused(
      &f, "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) SELECT count(*) FROM c",
      PE_HC_TIMEOUT, "time limit");
  must_run(&f, "CREATE TABLE big (b)");
  must_run(&f, "PRAGMA max_page_count = 3");
  expect_refused(&f, "INSERT INTO big VALUES (zeroblob(100000))", PE_HC_LIMIT, "full");
  for (int i = 1; i < PE_SQLITE_MAX_OPEN; i++) open_db(&f, "default");
  assert_int_equal(fx_call(&f, "sqlite.open", fx_payload(S("default"), NULL)), PE_HC_LIMIT);
  fx_close(&f);
  setenv("PYEDGE_SQLITE_STATEMENT_TIMEOUT_MS", "soon", 1);
  assert_null(fx_open(&f, manifest, rc, NULL));
  unsetenv("PYEDGE_SQLITE_STATEMENT_TIMEOUT_MS");
  assert_non_null(strstr(f.err, "PYEDGE_SQLITE_STATEMENT_TIMEOUT_MS"));
  fx_close(&f);
}

static void test_grants_and_startup(void **state) {
  (void)state;
  fx f;
  pe_services_options o;
  memset(&o, 0, sizeof o);
  if (!fx_open(&f, manifest, rc, NULL)) fail_msg("%s", f.err);
  fx_request(&f, "b");
  assert_int_equal(fx_call(&f, "sqlite.open", fx_payload(S("default"), NULL)), PE_HC_DENIED);
  assert_int_equal(fx_call(&f, "sqlite.open", fx_payload(S("hidden"), NULL)), PE_HC_DENIED);
  assert_int_equal(fx_call(&f, "sqlite.open", fx_payload(S("missing"), NULL)), PE_HC_NOT_FOUND);
  assert_int_equal(fx_call(&f, "sqlite.open", fx_payload("x\0y", (size_t)3, NULL)), PE_HC_INVALID);
  fx_close(&f);

  char mig_path[160];
  const char *stmts[3];
  assert_null(fx_open(&f, manifest, NULL, NULL));
  assert_non_null(strstr(f.err, "component 'a' uses SQLite database 'mem', which is not defined"));
  fx_close(&f);

  /* --sqlite: a file, then a statement, in order */
  memset(&o, 0, sizeof o);
  snprintf(mig_path, sizeof mig_path, "@/tmp/pe-sqlmig-%d.sql", (int)getpid());
  FILE *fp = fopen(mig_path + 1, "w");
  fputs("CREATE TABLE items (name TEXT);\nINSERT INTO items VALUES ('file');\n", fp);
  fclose(fp);
  stmts[0] = mig_path;
  stmts[1] = "INSERT INTO items VALUES ('option')";
  o.sqlite_stmts = stmts;
  o.nsqlite_stmts = 2;
  if (!fx_open(&f, manifest, rc, &o)) fail_msg("%s", f.err);
  fx_request(&f, "a");
  open_db(&f, "default");
  must_run(&f, "SELECT group_concat(name) FROM items");
  const uint8_t *p;
  size_t n;
  char type;
  value_at(&f, 4, &type, &p, &n);
  assert_int_equal(n, 11);
  assert_memory_equal(p, "file,option", 11);
  fx_close(&f);
  stmts[2] = "INSERT INTO nowhere VALUES (1)";
  o.sqlite_stmts = stmts + 2;
  o.nsqlite_stmts = 1;
  assert_null(fx_open(&f, manifest, rc, &o));
  assert_non_null(strstr(f.err, "--sqlite INSERT INTO nowhere VALUES (1): no such table: nowhere"));
  fx_close(&f);
  stmts[2] = "@/no/such.sql";
  assert_null(fx_open(&f, manifest, rc, &o));
  assert_non_null(strstr(f.err, "--sqlite @/no/such.sql: cannot open"));
  fx_close(&f);
  unlink(mig_path + 1);
}

/* The same text prepared once per connection: new parameters each time, a
 * schema change in between, the changes() flag kept with it. */
static void test_statement_cache(void **state) {
  (void)state;
  fx f;
  if (!fx_open(&f, manifest, rc, NULL)) fail_msg("%s", f.err);
  fx_request(&f, "a");
  open_db(&f, "default");
  must_run(&f, "CREATE TABLE c (a, b)");
  const char *ins = "INSERT INTO c VALUES (?, 'x')";
  for (uint64_t i = 1; i <= 5; i++) {
    uint8_t v[9] = {'i'};
    fx_le64(v + 1, i);
    assert_int_equal(fx_call(&f, "sqlite.execute",
                             fx_payload(handle, (size_t)8, S(ins), v, (size_t)9, NULL)),
                     PE_HC_OK);
    assert_int_equal(fx_u64(&f, 0), 1); /* changes: still a DML statement when cached */
    assert_int_equal(fx_u64(&f, 1), i); /* last rowid */
  }
  must_run(&f, "SELECT * FROM c");
  assert_int_equal(fx_u64(&f, 2), 2);
  assert_int_equal(fx_nblobs(&f), 3 + 2 + 10);
  /* the schema changes under the cached SELECT: SQLite prepares it again */
  must_run(&f, "DROP TABLE c");
  must_run(&f, "CREATE TABLE c (a, b, extra)");
  must_run(&f, "INSERT INTO c VALUES (1, 2, 3)");
  must_run(&f, "SELECT * FROM c");
  assert_int_equal(fx_u64(&f, 2), 3);
  assert_int_equal(fx_nblobs(&f), 3 + 3 + 3);
  must_run(&f, "DROP TABLE c");
  expect_refused(&f, "SELECT * FROM c", PE_HC_BACKEND, "no such table: c");
  /* more distinct statements than the cache holds */
  for (int i = 0; i < 40; i++) {
    char q[64];
    snprintf(q, sizeof q, "SELECT %d", i);
    must_run(&f, q);
    must_run(&f, "SELECT 1");
  }
  fx_close(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_values_and_reply_format),
      cmocka_unit_test(test_statement_and_parameter_checks),
      cmocka_unit_test(test_guards),
      cmocka_unit_test(test_functions_modules_and_memory),
      cmocka_unit_test(test_connection_state_per_request),
      cmocka_unit_test(test_limits_and_full),
      cmocka_unit_test(test_grants_and_startup),
      cmocka_unit_test(test_statement_cache),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
