/*
 * test_toml_api.c -- the document tree API: getters, document order, line
 * numbers of values and keys, error columns, and the limits that protect
 * against hostile documents (depth, size, number of values).
 *
 * Data files live in tests/unit/data/toml/ (tests run from the repo root).
 */
#include "pe_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/pe_toml.h"

static pe_toml_value *parse_ok(const char *doc) {
  pe_toml_error err;
  pe_toml_value *root = pe_toml_parse(doc, strlen(doc), &err);
  if (!root) fail_msg("unexpected error %d:%d: %s", err.line, err.col, err.msg);
  return root;
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  char *buf = malloc(1 << 16);
  assert_non_null(buf);
  *len = fread(buf, 1, 1 << 16, f);
  fclose(f);
  return buf;
}

static const char *str_at(const pe_toml_value *t, const char *key) {
  const char *s = pe_toml_cstr(pe_toml_get(t, key));
  if (!s) fail_msg("no string '%s'", key);
  return s;
}

static void test_example_file(void **state) {
  (void)state;
  size_t len;
  char *text = slurp("tests/unit/data/toml/example.toml", &len);
  pe_toml_error err;
  pe_toml_value *root = pe_toml_parse(text, len, &err);
  free(text);
  if (!root) fail_msg("example.toml:%d:%d: %s", err.line, err.col, err.msg);

  assert_string_equal(str_at(root, "title"), "pyedge sample");
  assert_string_equal(str_at(root, "quoted key"), "literal \\no escapes");

  const pe_toml_value *owner = pe_toml_get(root, "owner");
  assert_int_equal(pe_toml_type_of(owner), PE_TOML_TABLE);
  assert_int_equal(pe_toml_line(owner), 6);
  pe_toml_datetime dt;
  assert_true(pe_toml_datetime_of(pe_toml_get(owner, "born"), &dt));
  assert_int_equal(pe_toml_type_of(pe_toml_get(owner, "born")), PE_TOML_DATETIME);
  assert_int_equal(dt.year, 1815);
  assert_int_equal(dt.month, 12);
  assert_int_equal(dt.day, 10);
  assert_int_equal(dt.hour, 6);
  assert_int_equal(dt.offset_minutes, 0);
  const pe_toml_value *site = pe_toml_get(owner, "site");
  assert_string_equal(str_at(site, "url"), "https://example.org");
  assert_int_equal(pe_toml_len(pe_toml_get(site, "tags")), 2);
  assert_int_equal(pe_toml_key_line(site), 9);

  const pe_toml_value *server = pe_toml_get(root, "server");
  const pe_toml_value *ports = pe_toml_get(server, "ports");
  int64_t i;
  assert_true(pe_toml_int(pe_toml_at(ports, 2), &i));
  assert_int_equal(i, 8002);
  double d;
  assert_true(pe_toml_float(pe_toml_get(server, "ratio"), &d));
  assert_true(d == 0.75);
  bool b;
  assert_true(pe_toml_bool(pe_toml_get(server, "enabled"), &b));
  assert_true(b);
  const pe_toml_value *limits = pe_toml_get(server, "limits");
  assert_true(pe_toml_int(pe_toml_get(limits, "memory"), &i));
  assert_int_equal(i, 128000000);
  assert_int_equal(pe_toml_len(pe_toml_get(limits, "names")), 2);
  assert_string_equal(str_at(pe_toml_get(server, "tls"), "cert"), "/etc/cert.pem");
  assert_int_equal(pe_toml_line(pe_toml_get(server, "tls")), 19);

  const pe_toml_value *routes = pe_toml_get(root, "route");
  assert_int_equal(pe_toml_type_of(routes), PE_TOML_ARRAY);
  assert_int_equal(pe_toml_len(routes), 3);
  assert_int_equal(pe_toml_line(routes), 23);
  const pe_toml_value *r1 = pe_toml_at(routes, 1);
  assert_int_equal(pe_toml_line(r1), 27);
  assert_int_equal(pe_toml_key_line(r1), 27);
  const pe_toml_value *methods = pe_toml_get(r1, "methods");
  assert_int_equal(pe_toml_len(methods), 2);
  assert_int_equal(pe_toml_key_line(methods), 29);
  assert_int_equal(pe_toml_line(pe_toml_at(methods, 1)), 31);
  assert_int_equal(pe_toml_key_line(pe_toml_at(methods, 1)), 31);
  const pe_toml_value *meta = pe_toml_get(r1, "meta");
  assert_true(pe_toml_datetime_of(pe_toml_get(meta, "since"), &dt));
  assert_int_equal(pe_toml_type_of(pe_toml_get(meta, "since")), PE_TOML_LOCAL_DATE);
  assert_int_equal(dt.day, 31);
  assert_true(pe_toml_datetime_of(pe_toml_get(meta, "at"), &dt));
  assert_int_equal(pe_toml_type_of(pe_toml_get(meta, "at")), PE_TOML_LOCAL_TIME);
  assert_int_equal(dt.nanosecond, 250000000);
  assert_string_equal(str_at(pe_toml_at(routes, 2), "path"), "/static/...");

  /* document order at the top level */
  const char *order[] = {"title", "quoted key", "owner", "server", "route"};
  assert_int_equal(pe_toml_len(root), 5);
  for (size_t k = 0; k < 5; k++) assert_string_equal(pe_toml_key_at(root, k, NULL), order[k]);
  pe_toml_free(root);
}

static void test_crlf_file(void **state) {
  (void)state;
  size_t len;
  char *text = slurp("tests/unit/data/toml/crlf.toml", &len);
  pe_toml_error err;
  pe_toml_value *root = pe_toml_parse(text, len, &err);
  free(text);
  assert_non_null(root);
  const pe_toml_value *t = pe_toml_get(root, "t");
  assert_string_equal(str_at(t, "b"), "x\ny");
  assert_int_equal(pe_toml_line(pe_toml_get(t, "c")), 5);
  assert_int_equal(pe_toml_line(pe_toml_at(pe_toml_get(t, "c"), 1)), 7);
  pe_toml_free(root);
}

static void test_lines_of_keys_and_values(void **state) {
  (void)state;
  pe_toml_value *root =
      parse_ok("a = 1\n\n[x.y]\nk = [\n  'v'\n]\n[x]\nz.w = 2\n[[arr]]\n[[arr]]\nq = 1\n");
  assert_int_equal(pe_toml_key_line(root), 0);
  assert_int_equal(pe_toml_line(pe_toml_get(root, "a")), 1);
  const pe_toml_value *x = pe_toml_get(root, "x");
  /* x was implied on line 3 and defined by its own header on line 7 */
  assert_int_equal(pe_toml_line(x), 7);
  const pe_toml_value *y = pe_toml_get(x, "y");
  assert_int_equal(pe_toml_line(y), 3);
  const pe_toml_value *k = pe_toml_get(y, "k");
  assert_int_equal(pe_toml_key_line(k), 4);
  assert_int_equal(pe_toml_line(k), 4);
  assert_int_equal(pe_toml_line(pe_toml_at(k, 0)), 5);
  assert_int_equal(pe_toml_key_line(pe_toml_get(pe_toml_get(x, "z"), "w")), 8);
  const pe_toml_value *arr = pe_toml_get(root, "arr");
  assert_int_equal(pe_toml_key_line(pe_toml_at(arr, 1)), 10);
  assert_int_equal(pe_toml_key_line(pe_toml_get(pe_toml_at(arr, 1), "q")), 11);
  pe_toml_free(root);
}

static void test_value_line_differs_from_key_line(void **state) {
  (void)state;
  /* a multi-line string value starts on the key's line; an array item not */
  pe_toml_value *root = parse_ok("s = '''\nx'''\nt = 2\n");
  assert_int_equal(pe_toml_line(pe_toml_get(root, "s")), 1);
  assert_int_equal(pe_toml_line(pe_toml_get(root, "t")), 3);
  pe_toml_free(root);
}

static void test_document_order_in_large_tables(void **state) {
  (void)state;
  /* enough keys for the hash index, in an order that is not sorted */
  char *doc = malloc(64 * 1024);
  assert_non_null(doc);
  size_t n = 0;
  for (int k = 0; k < 2000; k++) n += (size_t)sprintf(doc + n, "k%d = %d\n", (k * 7919) % 2000, k);
  pe_toml_error err;
  pe_toml_value *root = pe_toml_parse(doc, n, &err);
  assert_non_null(root);
  assert_int_equal(pe_toml_len(root), 2000);
  for (int k = 0; k < 2000; k++) {
    char key[16];
    snprintf(key, sizeof key, "k%d", (k * 7919) % 2000);
    assert_string_equal(pe_toml_key_at(root, (size_t)k, NULL), key);
    int64_t v;
    assert_true(pe_toml_int(pe_toml_get(root, key), &v));
    assert_int_equal(v, k);
  }
  assert_null(pe_toml_get(root, "k2000"));
  pe_toml_free(root);
  /* and a duplicate among them is still caught */
  n += (size_t)sprintf(doc + n, "k1234 = 0\n");
  assert_null(pe_toml_parse(doc, n, &err));
  assert_int_equal(err.line, 2001);
  assert_string_equal(err.msg, "duplicate key 'k1234'");
  free(doc);
}

static void test_keys_with_nul(void **state) {
  (void)state;
  pe_toml_value *root = parse_ok("\"a\\u0000b\" = \"x\\u0000y\"\n");
  size_t kl;
  const char *k = pe_toml_key_at(root, 0, &kl);
  assert_int_equal(kl, 3);
  assert_memory_equal(k, "a\0b", 3);
  assert_null(pe_toml_get(root, "a"));
  const pe_toml_value *v = pe_toml_get_n(root, "a\0b", 3);
  const char *s;
  size_t sl;
  assert_true(pe_toml_string(v, &s, &sl));
  assert_int_equal(sl, 3);
  assert_memory_equal(s, "x\0y", 4); /* NUL-terminated too */
  assert_int_equal(pe_toml_len(v), 3);
  pe_toml_free(root);
}

static void test_getters_refuse_other_types(void **state) {
  (void)state;
  pe_toml_value *root =
      parse_ok("i = 1\nf = 1.0\ns = '1'\nb = true\nd = 1979-05-27\na = [1]\nt = {}\n");
  const pe_toml_value *i = pe_toml_get(root, "i"), *f = pe_toml_get(root, "f"),
                      *s = pe_toml_get(root, "s"), *b = pe_toml_get(root, "b"),
                      *d = pe_toml_get(root, "d"), *a = pe_toml_get(root, "a"),
                      *t = pe_toml_get(root, "t");
  int64_t iv;
  double fv;
  bool bv;
  pe_toml_datetime dv;
  assert_false(pe_toml_int(f, &iv));
  assert_false(pe_toml_int(s, &iv));
  assert_false(pe_toml_float(i, &fv));
  assert_false(pe_toml_bool(i, &bv));
  assert_false(pe_toml_string(i, NULL, NULL));
  assert_null(pe_toml_cstr(a));
  assert_false(pe_toml_datetime_of(s, &dv));
  assert_true(pe_toml_datetime_of(d, &dv));
  assert_false(pe_toml_bool(d, &bv));
  assert_null(pe_toml_get(a, "x"));
  assert_null(pe_toml_get(s, "x"));
  assert_null(pe_toml_at(t, 0));
  assert_null(pe_toml_at(a, 1));
  assert_non_null(pe_toml_at(a, 0));
  assert_null(pe_toml_key_at(a, 0, NULL));
  assert_int_equal(pe_toml_len(i), 0);
  assert_true(pe_toml_bool(b, &bv) && bv);
  /* NULL is a missing value everywhere */
  assert_null(pe_toml_get(NULL, "x"));
  assert_null(pe_toml_get(root, NULL));
  assert_int_equal(pe_toml_len(NULL), 0);
  assert_int_equal(pe_toml_line(NULL), 0);
  assert_false(pe_toml_int(NULL, &iv));
  assert_null(pe_toml_cstr(NULL));
  pe_toml_free(root);
  pe_toml_free(NULL);
}

static void test_type_names(void **state) {
  (void)state;
  assert_string_equal(pe_toml_type_name(PE_TOML_STRING), "string");
  assert_string_equal(pe_toml_type_name(PE_TOML_INTEGER), "integer");
  assert_string_equal(pe_toml_type_name(PE_TOML_FLOAT), "float");
  assert_string_equal(pe_toml_type_name(PE_TOML_BOOL), "boolean");
  assert_string_equal(pe_toml_type_name(PE_TOML_DATETIME), "offset date-time");
  assert_string_equal(pe_toml_type_name(PE_TOML_LOCAL_DATETIME), "local date-time");
  assert_string_equal(pe_toml_type_name(PE_TOML_LOCAL_DATE), "local date");
  assert_string_equal(pe_toml_type_name(PE_TOML_LOCAL_TIME), "local time");
  assert_string_equal(pe_toml_type_name(PE_TOML_ARRAY), "array");
  assert_string_equal(pe_toml_type_name(PE_TOML_TABLE), "table");
  assert_string_equal(pe_toml_type_name(PE_TOML_NONE), "nothing");
  assert_int_equal(pe_toml_type_of(NULL), PE_TOML_NONE);
}

static void test_special_floats(void **state) {
  (void)state;
  pe_toml_value *root = parse_ok("a = -inf\nb = -nan\nc = -0.0\n");
  double d;
  assert_true(pe_toml_float(pe_toml_get(root, "a"), &d));
  assert_true(isinf(d) && d < 0);
  assert_true(pe_toml_float(pe_toml_get(root, "b"), &d));
  assert_true(isnan(d));
  assert_true(pe_toml_float(pe_toml_get(root, "c"), &d));
  assert_true(d == 0.0 && signbit(d));
  pe_toml_free(root);
}

static void test_offset_fields(void **state) {
  (void)state;
  pe_toml_value *root = parse_ok("a = 2001-02-03T04:05:06.000007-01:30\nb = 23:59:60\n");
  pe_toml_datetime dt;
  assert_true(pe_toml_datetime_of(pe_toml_get(root, "a"), &dt));
  assert_int_equal(dt.year, 2001);
  assert_int_equal(dt.month, 2);
  assert_int_equal(dt.day, 3);
  assert_int_equal(dt.hour, 4);
  assert_int_equal(dt.minute, 5);
  assert_int_equal(dt.second, 6);
  assert_int_equal(dt.nanosecond, 7000);
  assert_int_equal(dt.offset_minutes, -90);
  assert_true(pe_toml_datetime_of(pe_toml_get(root, "b"), &dt));
  assert_int_equal(dt.year, 0);
  assert_int_equal(dt.second, 60);
  pe_toml_free(root);
}

static void expect_error(const char *doc, size_t len, int line, int col, const char *msg) {
  pe_toml_error err;
  pe_toml_value *root = pe_toml_parse(doc, len, &err);
  if (root) {
    pe_toml_free(root);
    fail_msg("accepted");
  }
  assert_int_equal(err.line, line);
  if (col) assert_int_equal(err.col, col);
  if (!strstr(err.msg, msg)) fail_msg("message '%s' lacks '%s'", err.msg, msg);
}

static void test_error_columns(void **state) {
  (void)state;
  expect_error("a = @", 5, 1, 5, "expected a value");
  expect_error("x = 1\n  y = 2 z", 15, 2, 9, "unexpected 'z'");
  /* columns count characters, not bytes */
  expect_error("s = \"é\" x", strlen("s = \"é\" x"), 1, 9, "unexpected 'x'");
  /* an unterminated string is reported at its opening quote */
  expect_error("a = 1\nb = 'xyz", 13, 2, 5, "unterminated string");
  /* a duplicate key at the key */
  expect_error("[t]\na=1\n  a = 2", 15, 3, 3, "duplicate key 'a'");
  /* invalid UTF-8 at the offending byte */
  expect_error("ab = 'c\xff'", 9, 1, 8, "invalid UTF-8");
}

static char *repeat(const char *head, const char *unit, int n, const char *tail, size_t *len) {
  size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
  char *s = malloc(hl + ul * (size_t)n + tl + 1);
  assert_non_null(s);
  memcpy(s, head, hl);
  for (int i = 0; i < n; i++) memcpy(s + hl + ul * (size_t)i, unit, ul);
  memcpy(s + hl + ul * (size_t)n, tail, tl + 1);
  *len = hl + ul * (size_t)n + tl;
  return s;
}

static void test_depth_limit_arrays(void **state) {
  (void)state;
  /* 128 arrays below the root table are fine */
  size_t len;
  char *ok = repeat("a = ", "[", 128, "", &len);
  char *okdoc = malloc(len + 200);
  assert_non_null(okdoc);
  memcpy(okdoc, ok, len);
  memset(okdoc + len, ']', 128);
  pe_toml_error err;
  pe_toml_value *root = pe_toml_parse(okdoc, len + 128, &err);
  if (!root) fail_msg("%s", err.msg);
  pe_toml_free(root);
  free(ok);
  free(okdoc);
  /* one more level is refused, and a million levels too (no stack overflow) */
  char *deep = repeat("a = ", "[", 129, "", &len);
  expect_error(deep, len, 1, 0, "nesting too deep (limit 128)");
  free(deep);
  deep = repeat("a = ", "[", 1000000, "", &len);
  pe_toml_limits lim = {16 << 20, 128, 1 << 20};
  assert_null(pe_toml_parse_limits(deep, len, &lim, &err));
  assert_string_equal(err.msg, "nesting too deep (limit 128)");
  free(deep);
}

static void test_depth_limit_inline_tables(void **state) {
  (void)state;
  size_t len;
  char *deep = repeat("a = ", "{b=", 200, "", &len);
  expect_error(deep, len, 1, 0, "nesting too deep");
  free(deep);
  deep = repeat("a = [", "{b=[", 100, "", &len);
  expect_error(deep, len, 1, 0, "nesting too deep");
  free(deep);
}

static void test_depth_limit_keys_and_headers(void **state) {
  (void)state;
  size_t len;
  char *deep = repeat("", "a.", 300, "b = 1", &len);
  expect_error(deep, len, 1, 1, "nesting too deep");
  free(deep);
  deep = repeat("[", "a.", 300, "b]", &len);
  expect_error(deep, len, 1, 1, "nesting too deep");
  free(deep);
  deep = repeat("[[", "a.", 300, "b]]", &len);
  expect_error(deep, len, 1, 1, "nesting too deep");
  free(deep);
  /* depth adds up across a header, a dotted key and a value */
  pe_toml_limits lim = {1 << 20, 4, 1000};
  pe_toml_error err;
  const char *fits = "[a.b]\nc.d = []";
  pe_toml_value *root = pe_toml_parse_limits(fits, strlen(fits), &lim, &err);
  assert_non_null(root);
  pe_toml_free(root);
  const char *over = "[a.b]\nc.d = [[]]";
  assert_null(pe_toml_parse_limits(over, strlen(over), &lim, &err));
  assert_int_equal(err.line, 2);
  assert_string_equal(err.msg, "nesting too deep (limit 4)");
}

static void test_value_count_limit(void **state) {
  (void)state;
  pe_toml_limits lim = {1 << 20, 128, 10};
  pe_toml_error err;
  const char *fits = "a = [1, 2, 3]\nb = {c = 1, d = 2}\ne = 1\nf = 2";
  pe_toml_value *root = pe_toml_parse_limits(fits, strlen(fits), &lim, &err);
  if (!root) fail_msg("%s", err.msg);
  pe_toml_free(root);
  const char *over = "a = [1, 2, 3]\nb = {c = 1, d = 2}\ne = 1\nf = 2\ng = 3\nh = 4";
  assert_null(pe_toml_parse_limits(over, strlen(over), &lim, &err));
  assert_int_equal(err.line, 6);
  assert_string_equal(err.msg, "too many values (limit 10)");
}

static void test_size_limit(void **state) {
  (void)state;
  pe_toml_limits lim = {8, 128, 100};
  pe_toml_error err;
  assert_null(pe_toml_parse_limits("a = 12345", 9, &lim, &err));
  assert_int_equal(err.line, 0);
  assert_string_equal(err.msg, "document too large (9 bytes; limit 8)");
  pe_toml_value *root = pe_toml_parse_limits("a = 1234", 8, &lim, &err);
  assert_non_null(root);
  pe_toml_free(root);
  /* the default limit */
  size_t big = PE_TOML_MAX_SIZE + 1;
  char *doc = malloc(big);
  assert_non_null(doc);
  memset(doc, '\n', big);
  assert_null(pe_toml_parse(doc, big, &err));
  assert_non_null(strstr(err.msg, "document too large"));
  free(doc);
}

static void test_many_keys_is_fast_enough(void **state) {
  (void)state;
  /* 200k distinct keys in one table: quadratic lookups would take minutes */
  size_t cap = 200000 * 16, n = 0;
  char *doc = malloc(cap);
  assert_non_null(doc);
  for (int k = 0; k < 200000; k++) n += (size_t)snprintf(doc + n, cap - n, "k%d=1\n", k);
  pe_toml_error err;
  pe_toml_value *root = pe_toml_parse(doc, n, &err);
  if (!root) fail_msg("%s", err.msg);
  assert_int_equal(pe_toml_len(root), 200000);
  pe_toml_free(root);
  free(doc);
}

static void test_no_text(void **state) {
  (void)state;
  pe_toml_error err;
  pe_toml_value *root = pe_toml_parse(NULL, 0, &err);
  assert_non_null(root);
  assert_int_equal(pe_toml_len(root), 0);
  pe_toml_free(root);
  assert_null(pe_toml_parse(NULL, 1, &err));
  /* a NULL error pointer is allowed */
  assert_null(pe_toml_parse("a = ", 4, NULL));
}

static void test_text_need_not_be_terminated(void **state) {
  (void)state;
  /* the parser must stop at len, not at a NUL */
  const char doc[] = {'a', ' ', '=', ' ', '1', '2'};
  pe_toml_error err;
  pe_toml_value *root = pe_toml_parse(doc, 5, &err);
  assert_non_null(root);
  int64_t v;
  assert_true(pe_toml_int(pe_toml_get(root, "a"), &v));
  assert_int_equal(v, 1);
  pe_toml_free(root);
  /* each kind of token cut at the end of the buffer */
  const char *cuts[] = {"a = \"ab",    "a = 'ab", "a = \"\"\"ab\"\"", "a = 0x", "a = 1979-05-2",
                        "a = 07:32:0", "a = [1,", "a = {b",           "[a",     "[[a]",
                        "a = tru",     "a = 1e",  "a = \"\\u00"};
  for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
    size_t len = strlen(cuts[k]);
    char *copy = malloc(len); /* exactly len bytes: ASan catches any over-read */
    assert_non_null(copy);
    memcpy(copy, cuts[k], len);
    root = pe_toml_parse(copy, len, &err);
    if (root) fail_msg("accepted '%s'", cuts[k]);
    free(copy);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_example_file),
      cmocka_unit_test(test_crlf_file),
      cmocka_unit_test(test_lines_of_keys_and_values),
      cmocka_unit_test(test_value_line_differs_from_key_line),
      cmocka_unit_test(test_document_order_in_large_tables),
      cmocka_unit_test(test_keys_with_nul),
      cmocka_unit_test(test_getters_refuse_other_types),
      cmocka_unit_test(test_type_names),
      cmocka_unit_test(test_special_floats),
      cmocka_unit_test(test_offset_fields),
      cmocka_unit_test(test_error_columns),
      cmocka_unit_test(test_depth_limit_arrays),
      cmocka_unit_test(test_depth_limit_inline_tables),
      cmocka_unit_test(test_depth_limit_keys_and_headers),
      cmocka_unit_test(test_value_count_limit),
      cmocka_unit_test(test_size_limit),
      cmocka_unit_test(test_many_keys_is_fast_enough),
      cmocka_unit_test(test_no_text),
      cmocka_unit_test(test_text_need_not_be_terminated),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
