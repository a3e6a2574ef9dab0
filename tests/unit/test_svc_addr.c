/*
 * test_svc_addr.c -- the percent-decoder, authority splitter and error
 * message the address parsers share (services/svc_addr.c): escapes, the flags, and that every
 * write stays within the buffer it is given. The parsers over it:
 * test_rdbms.c (mysql_url, pg_conninfo) and test_mqtt.c (mqtt_addr).
 */
#include "pe_test.h"

#include <string.h>

#include "services/svc_addr.h"

static long dec(const char *s, char *out, size_t cap, unsigned flags) {
  return pe_svc_pct_decode(s, strlen(s), out, cap, flags);
}

static void test_escapes(void **state) {
  (void)state;
  char out[32];
  assert_int_equal(dec("a%40b%2fc%2F", out, sizeof out, 0), 6);
  assert_string_equal(out, "a@b/c/");
  assert_int_equal(dec("", out, sizeof out, 0), 0);
  assert_string_equal(out, "");
  assert_int_equal(dec("%e2%82%ac", out, sizeof out, 0), 3); /* bytes, not checked as text */
  assert_string_equal(out, "\xe2\x82\xac");
  /* a '%' needs two hex digits after it, within the input */
  assert_int_equal(dec("%", out, sizeof out, 0), -1);
  assert_int_equal(dec("ab%4", out, sizeof out, 0), -1);
  assert_int_equal(dec("%g0", out, sizeof out, 0), -1);
  assert_int_equal(dec("%0g", out, sizeof out, 0), -1);
  assert_int_equal(pe_svc_pct_decode("%41%42", 4, out, sizeof out, 0), -1); /* "%41%4" */
}

static void test_flags(void **state) {
  (void)state;
  char out[32];
  assert_int_equal(dec("a+b%2B", out, sizeof out, 0), 4);
  assert_string_equal(out, "a+b+");
  assert_int_equal(dec("a+b%2B", out, sizeof out, PE_PCT_PLUS), 4);
  assert_string_equal(out, "a b+");
  /* %00 is a byte like any other, unless NUL is refused */
  assert_int_equal(pe_svc_pct_decode("a%00b", 5, out, sizeof out, 0), 3);
  assert_memory_equal(out, "a\0b", 4);
  assert_int_equal(pe_svc_pct_decode("a%00b", 5, out, sizeof out, PE_PCT_NO_NUL), -1);
  assert_int_equal(pe_svc_pct_decode("a\0b", 3, out, sizeof out, PE_PCT_NO_NUL), -1);
}

static void test_capacity(void **state) {
  (void)state;
  char out[8];
  memset(out, 'x', sizeof out);
  /* cap counts the NUL: 3 bytes of text need 4 */
  assert_int_equal(dec("abc", out, 3, 0), -1);
  assert_int_equal(out[3], 'x');
  assert_int_equal(dec("abc", out, 4, 0), 3);
  assert_string_equal(out, "abc");
  assert_int_equal(out[4], 'x');
  assert_int_equal(dec("%41%42%43", out, 4, 0), 3); /* n + 1 is more than enough */
  assert_string_equal(out, "ABC");
  assert_int_equal(dec("", out, 0, 0), -1);
}

static void span_is(pe_svc_span sp, const char *want) {
  if (!want) {
    assert_null(sp.p);
    return;
  }
  assert_non_null(sp.p);
  assert_int_equal(sp.n, strlen(want));
  assert_memory_equal(sp.p, want, sp.n);
}

static void split(const char *s, const char *user, const char *pw, const char *host,
                  const char *rest) {
  pe_svc_authority a;
  pe_svc_url_authority(s, strlen(s), &a);
  span_is(a.user, user);
  span_is(a.password, pw);
  span_is(a.host, host);
  span_is(a.rest, rest);
}

static void test_authority(void **state) {
  (void)state;
  split("db", NULL, NULL, "db", "");
  split("db:3306", NULL, NULL, "db", ":3306");
  split("u@db", "u", NULL, "db", "");
  split("u:p@db:1", "u", "p", "db", ":1");
  split("u:@db", "u", "", "db", "");           /* an empty password is given */
  split(":p@db", NULL, "p", "db", "");         /* an empty user is not */
  split("u:p:q@x@db", "u", "p:q@x", "db", ""); /* the last '@' ends the userinfo */
  split("[::1]:5432", NULL, NULL, "::1", ":5432");
  split("u@[fe80::1]", "u", NULL, "fe80::1", "");
  split("", NULL, NULL, "", "");
  split("u@[::1", "u", NULL, NULL, "[::1"); /* no ']' */
}

static void test_fail(void **state) {
  (void)state;
  char err[8];
  assert_false(pe_svc_addr_fail(err, sizeof err, "port %d is out of range", 70000));
  assert_string_equal(err, "port 70"); /* truncated to fit */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_escapes),  cmocka_unit_test(test_flags),
      cmocka_unit_test(test_capacity), cmocka_unit_test(test_authority),
      cmocka_unit_test(test_fail),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
