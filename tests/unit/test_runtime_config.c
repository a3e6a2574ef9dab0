/*
 * test_runtime_config.c -- the key-value and SQLite sections of the runtime
 * config file (src/services/runtime_config.c) and the Redis URL parser
 * (kv_redis.c): what is accepted, how paths resolve, and that every refusal
 * names the file and line.
 */
#include "pe_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "services/kv/kv_backend.h"
#include "services/runtime_config.h"

static bool parse(const char *text, const char *file, pe_runtime_config *c, char *err,
                  size_t errlen) {
  return pe_runtime_config_parse(text, strlen(text), file, c, err, errlen);
}

static void expect_error(const char *text, const char *want) {
  pe_runtime_config c;
  char err[1024] = "";
  if (parse(text, "rc.toml", &c, err, sizeof err)) {
    pe_runtime_config_free(&c);
    fail_msg("accepted:\n%s", text);
  }
  if (!strstr(err, want)) fail_msg("for:\n%s\nexpected '%s' in '%s'", text, want, err);
  assert_null(c.kv);
  assert_null(c.sqlite);
}

static void test_empty_and_no_file(void **state) {
  (void)state;
  pe_runtime_config c;
  char err[256];
  assert_true(parse("", "rc.toml", &c, err, sizeof err));
  assert_int_equal(c.nkv, 0);
  assert_int_equal(c.nsqlite, 0);
  pe_runtime_config_free(&c);
  assert_true(pe_runtime_config_load(NULL, &c, err, sizeof err));
  assert_null(c.file);
  pe_runtime_config_free(&c);
}

static void test_spin_and_redis_entries(void **state) {
  (void)state;
  const char *text =
      "max_instance_memory = 1000000\n"
      "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:7000/2\"\n"
      "[key_value_store.files]\ntype = \"spin\"\npath = \"data/kv.db\"\n"
      "[key_value_store.abs]\ntype = \"spin\"\npath = \"/var/kv.db\"\n"
      "[key_value_store.mem]\ntype = \"spin\"\n"
      "[sqlite_database.reports]\ntype = \"spin\"\npath = \"../r.db\"\n"
      "[sqlite_database.scratch]\ntype = \"spin\"\n";
  pe_runtime_config c;
  char err[256];
  if (!parse(text, "/etc/app/rc.toml", &c, err, sizeof err)) fail_msg("%s", err);
  assert_int_equal(c.nkv, 4);
  assert_int_equal(c.nsqlite, 2);
  const pe_rc_entry *e = pe_runtime_config_kv(&c, "default");
  assert_non_null(e);
  assert_int_equal(e->kind, PE_RC_REDIS);
  assert_string_equal(e->url, "redis://127.0.0.1:7000/2");
  assert_null(e->path);
  assert_int_equal(e->line, 2);
  e = pe_runtime_config_kv(&c, "files");
  assert_int_equal(e->kind, PE_RC_SPIN);
  assert_string_equal(e->path, "/etc/app/data/kv.db");
  assert_string_equal(pe_runtime_config_kv(&c, "abs")->path, "/var/kv.db");
  assert_null(pe_runtime_config_kv(&c, "mem")->path);
  assert_string_equal(pe_runtime_config_sqlite(&c, "reports")->path, "/etc/app/../r.db");
  assert_null(pe_runtime_config_sqlite(&c, "scratch")->path);
  assert_null(pe_runtime_config_sqlite(&c, "files"));
  assert_null(pe_runtime_config_kv(&c, "reports"));
  pe_runtime_config_free(&c);
  assert_null(c.kv);
}

static void test_relative_config_file(void **state) {
  (void)state;
  pe_runtime_config c;
  char err[256];
  assert_true(parse("[key_value_store.x]\ntype = \"spin\"\npath = \"x.db\"\n", "rc.toml", &c, err,
                    sizeof err));
  assert_string_equal(pe_runtime_config_kv(&c, "x")->path, "./x.db");
  pe_runtime_config_free(&c);
  assert_true(parse("[key_value_store.x]\ntype = \"spin\"\npath = \"x.db\"\n", "/rc.toml", &c, err,
                    sizeof err));
  assert_string_equal(pe_runtime_config_kv(&c, "x")->path, "/x.db");
  pe_runtime_config_free(&c);
}

static void test_refusals(void **state) {
  (void)state;
  expect_error("[key_value_store.a]\ntype = \"memcached\"\n",
               "rc.toml:2: unknown key-value store type 'memcached' in [key_value_store.a]");
  expect_error("[sqlite_database.a]\ntype = \"redis\"\nurl = \"redis://h\"\n",
               "rc.toml:2: unknown SQLite database type 'redis'");
  expect_error("[key_value_store.a]\npath = \"x\"\n",
               "rc.toml:1: [key_value_store.a] has no 'type'");
  expect_error("[key_value_store.a]\ntype = 1\n", "rc.toml:2: expected a string for 'type'");
  expect_error("[key_value_store.a]\ntype = \"spin\"\nurl = \"redis://h\"\n",
               "rc.toml:3: unknown key 'url' in [key_value_store.a]");
  expect_error("[key_value_store.a]\ntype = \"redis\"\npath = \"x\"\n",
               "rc.toml:3: unknown key 'path' in [key_value_store.a]");
  expect_error("[key_value_store.a]\ntype = \"spin\"\npath = true\n",
               "rc.toml:3: expected a string for 'path'");
  expect_error("[key_value_store.a]\ntype = \"spin\"\npath = \"\"\n", "rc.toml:3: 'path'");
  expect_error("[key_value_store.a]\ntype = \"redis\"\n",
               "rc.toml:1: [key_value_store.a] of type \"redis\" needs a 'url'");
  expect_error("[key_value_store.a]\ntype = \"redis\"\nurl = \"rediss://h\"\n",
               "rc.toml:3: bad 'url' in [key_value_store.a]");
  expect_error("key_value_store = 5\n", "rc.toml:1: 'key_value_store' must be a table");
  expect_error("[key_value_store]\na = 5\n", "rc.toml:2: [key_value_store.a] must be a table");
  expect_error("[key_value_stores.a]\ntype = \"spin\"\n",
               "rc.toml:1: unknown runtime config key 'key_value_stores'");
  expect_error("[key_value_store.a\n", "rc.toml:1:");
  expect_error("[key_value_store.\"\"]\ntype = \"spin\"\n", "rc.toml:1: a [key_value_store] label");
}

static void test_other_sections_accepted(void **state) {
  (void)state;
  pe_runtime_config c;
  char err[256];
  const char *text =
      "[[config_provider]]\ntype = \"vault\"\n[outbound_networking]\nblock_networks = []\n";
  /* [llm_compute] is read (and its type "spin" refused): test_llm.c */
  if (!parse(text, "rc.toml", &c, err, sizeof err)) fail_msg("%s", err);
  pe_runtime_config_free(&c);
}

static void test_load_errors(void **state) {
  (void)state;
  pe_runtime_config c;
  char err[512];
  assert_false(pe_runtime_config_load("/no/such/rc.toml", &c, err, sizeof err));
  assert_non_null(strstr(err, "/no/such/rc.toml"));
  char path[] = "/tmp/pe-rc-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fputs("[sqlite_database.x]\ntype = \"spin\"\nbogus = 1\n", f);
  fclose(f);
  assert_false(pe_runtime_config_load(path, &c, err, sizeof err));
  char want[64];
  snprintf(want, sizeof want, "%s:3: unknown key 'bogus'", path);
  if (!strstr(err, want)) fail_msg("%s", err);
  unlink(path);
}

/* --- redis URLs ------------------------------------------------------------ */

static void test_redis_urls(void **state) {
  (void)state;
  pe_redis_url u;
  char err[256];
  assert_true(pe_redis_url_parse("redis://localhost", &u, err, sizeof err));
  assert_string_equal(u.host, "localhost");
  assert_int_equal(u.port, 6379);
  assert_int_equal(u.db, 0);
  assert_null(u.user);
  assert_null(u.password);
  pe_redis_url_free(&u);

  assert_true(pe_redis_url_parse("redis://:s%40cret@10.0.0.1:7001/15", &u, err, sizeof err));
  assert_string_equal(u.host, "10.0.0.1");
  assert_int_equal(u.port, 7001);
  assert_int_equal(u.db, 15);
  assert_null(u.user);
  assert_string_equal(u.password, "s@cret");
  pe_redis_url_free(&u);

  assert_true(pe_redis_url_parse("redis://alice:pw@[::1]:6380/", &u, err, sizeof err));
  assert_string_equal(u.host, "::1");
  assert_int_equal(u.port, 6380);
  assert_string_equal(u.user, "alice");
  assert_string_equal(u.password, "pw");
  assert_int_equal(u.db, 0);
  pe_redis_url_free(&u);

  static const char *const bad[] = {
      "",
      "http://h",
      "rediss://h",
      "redis://",
      "redis://:6379",
      "redis://h:",
      "redis://h:0",
      "redis://h:65536",
      "redis://h:12a",
      "redis://h/x",
      "redis://h/1/2",
      "redis://h?db=1",
      "redis://h#f",
      "redis://[::1",
      "redis://[]:1",
      "redis://u:%zz@h",
      "redis://u:%00@h",
      "redis://u:%4@h",
      "redis://h/99999999",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (pe_redis_url_parse(bad[i], &u, err, sizeof err)) {
      pe_redis_url_free(&u);
      fail_msg("accepted '%s'", bad[i]);
    }
    assert_null(u.host);
    assert_true(err[0] != 0);
  }
  assert_false(pe_redis_url_parse(NULL, &u, err, sizeof err));
  /* a message never shows the password */
  static const char *const secret[] = {"redis://alice:hunter2@h:12a", "redis://:hunter2@h?db=1",
                                       "http://bob:hunter2@h", "redis://:hunter2@[::1"};
  for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++) {
    assert_false(pe_redis_url_parse(secret[i], &u, err, sizeof err));
    if (strstr(err, "hunter2") || !strstr(err, ":***@")) fail_msg("%s: '%s'", secret[i], err);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_empty_and_no_file),
      cmocka_unit_test(test_spin_and_redis_entries),
      cmocka_unit_test(test_relative_config_file),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_other_sections_accepted),
      cmocka_unit_test(test_load_errors),
      cmocka_unit_test(test_redis_urls),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
