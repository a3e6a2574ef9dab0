/*
 * test_util.c -- util/pe_util.h: JSON strings from any text (the app's
 * name and version in /.well-known/spin/info come from the manifest).
 */
#include <string.h>

#include "pe_test.h"
#include "util/pe_util.h"

static void expect_json(const char *in, const char *want) {
  pe_buf b = {0};
  assert_true(pe_buf_json_string(&b, in));
  assert_int_equal(b.len, strlen(want));
  assert_memory_equal(b.data, want, b.len);
  pe_buf_free(&b);
}

static void test_json_string(void **state) {
  expect_json("", "\"\"");
  expect_json("hello", "\"hello\"");
  expect_json("a\"b\\c", "\"a\\\"b\\\\c\"");
  expect_json("tab\there\nline\x01\x1f\x7f", "\"tab\\u0009here\\u000aline\\u0001\\u001f\\u007f\"");
  expect_json("caf\xc3\xa9 \xe2\x82\xac", "\"caf\xc3\xa9 \xe2\x82\xac\""); /* UTF-8 as is */
  /* appends to what the buffer holds */
  pe_buf b = {0};
  assert_true(pe_buf_puts(&b, "{\"k\":") && pe_buf_json_string(&b, "v\"") && pe_buf_puts(&b, "}"));
  assert_int_equal(b.len, strlen("{\"k\":\"v\\\"\"}"));
  assert_memory_equal(b.data, "{\"k\":\"v\\\"\"}", b.len);
  pe_buf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_json_string),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
