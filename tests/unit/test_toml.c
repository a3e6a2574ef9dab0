/*
 * test_toml.c -- valid TOML 1.0 documents and the values they must produce.
 *
 * Each case is a document and the tree it must parse to, written in a
 * compact canonical form (printed by `render` below) so that every value,
 * type and nesting is asserted in one string:
 *   tables {k=v,...} in document order, arrays [v,...], strings "..." with
 *   \n \t \" \\ \uXXXX escapes, integers in decimal, floats always with a
 *   '.' or exponent (shortest form that reads back exactly; inf, -inf,
 *   nan), booleans, and date-times in RFC 3339 form (fraction only when
 *   non-zero; offset "Z" when zero).
 * Keys that are not bare are quoted.
 *
 * Every case is its own cmocka test, named after what it covers.
 */
#include "pe_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/pe_toml.h"

typedef struct {
  char *s;
  size_t len, cap;
} out_t;

static void put(out_t *o, const char *s, size_t n) {
  if (o->len + n + 1 > o->cap) {
    o->cap = (o->len + n + 1) * 2;
    o->s = realloc(o->s, o->cap);
    assert_non_null(o->s);
  }
  memcpy(o->s + o->len, s, n);
  o->len += n;
  o->s[o->len] = 0;
}

static void puts_(out_t *o, const char *s) { put(o, s, strlen(s)); }

static void quoted(out_t *o, const char *s, size_t n) {
  puts_(o, "\"");
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char b[8];
    if (c == '"' || c == '\\')
      snprintf(b, sizeof b, "\\%c", c);
    else if (c == '\n')
      snprintf(b, sizeof b, "\\n");
    else if (c == '\t')
      snprintf(b, sizeof b, "\\t");
    else if (c < 0x20 || c == 0x7f)
      snprintf(b, sizeof b, "\\u%04X", c);
    else
      snprintf(b, sizeof b, "%c", c);
    puts_(o, b);
  }
  puts_(o, "\"");
}

static bool bare(const char *s, size_t n) {
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-'))
      return false;
  }
  return true;
}

static void render_float(out_t *o, double d) {
  char b[64];
  if (isnan(d))
    snprintf(b, sizeof b, "nan");
  else if (isinf(d))
    snprintf(b, sizeof b, "%sinf", d < 0 ? "-" : "");
  else {
    for (int prec = 1; prec <= 17; prec++) {
      snprintf(b, sizeof b, "%.*g", prec, d);
      if (strtod(b, NULL) == d) break;
    }
    if (!strpbrk(b, ".e")) strcat(b, ".0");
  }
  puts_(o, b);
}

static void render_datetime(out_t *o, pe_toml_type t, const pe_toml_datetime *dt) {
  char b[64];
  if (t != PE_TOML_LOCAL_TIME) {
    snprintf(b, sizeof b, "%04d-%02d-%02d", dt->year, dt->month, dt->day);
    puts_(o, b);
    if (t == PE_TOML_LOCAL_DATE) return;
    puts_(o, "T");
  }
  snprintf(b, sizeof b, "%02d:%02d:%02d", dt->hour, dt->minute, dt->second);
  puts_(o, b);
  if (dt->nanosecond) {
    snprintf(b, sizeof b, ".%09u", dt->nanosecond);
    size_t n = strlen(b);
    while (b[n - 1] == '0') b[--n] = 0;
    puts_(o, b);
  }
  if (t == PE_TOML_DATETIME) {
    int m = dt->offset_minutes;
    if (m == 0)
      puts_(o, "Z");
    else {
      snprintf(b, sizeof b, "%c%02d:%02d", m < 0 ? '-' : '+', abs(m) / 60, abs(m) % 60);
      puts_(o, b);
    }
  }
}

static void render(out_t *o, const pe_toml_value *v) {
  pe_toml_type t = pe_toml_type_of(v);
  const char *s;
  size_t n;
  int64_t i;
  double d;
  bool b;
  pe_toml_datetime dt;
  char buf[32];
  switch (t) {
    case PE_TOML_TABLE:
      puts_(o, "{");
      for (size_t k = 0; k < pe_toml_len(v); k++) {
        size_t kl;
        const char *key = pe_toml_key_at(v, k, &kl);
        if (k) puts_(o, ",");
        if (bare(key, kl))
          put(o, key, kl);
        else
          quoted(o, key, kl);
        puts_(o, "=");
        render(o, pe_toml_at(v, k));
      }
      puts_(o, "}");
      break;
    case PE_TOML_ARRAY:
      puts_(o, "[");
      for (size_t k = 0; k < pe_toml_len(v); k++) {
        if (k) puts_(o, ",");
        render(o, pe_toml_at(v, k));
      }
      puts_(o, "]");
      break;
    case PE_TOML_STRING:
      assert_true(pe_toml_string(v, &s, &n));
      quoted(o, s, n);
      break;
    case PE_TOML_INTEGER:
      assert_true(pe_toml_int(v, &i));
      snprintf(buf, sizeof buf, "%lld", (long long)i);
      puts_(o, buf);
      break;
    case PE_TOML_FLOAT:
      assert_true(pe_toml_float(v, &d));
      render_float(o, d);
      break;
    case PE_TOML_BOOL:
      assert_true(pe_toml_bool(v, &b));
      puts_(o, b ? "true" : "false");
      break;
    default:
      assert_true(pe_toml_datetime_of(v, &dt));
      render_datetime(o, t, &dt);
      break;
  }
}

typedef struct {
  const char *name;
  const char *doc;
  const char *want;
} valid_case;

static const valid_case cases[] = {
    /* --- comments, whitespace, newlines --- */
    {"empty document", "", "{}"},
    {"only blank lines", "\n\n  \t\n", "{}"},
    {"only a comment", "# nothing here", "{}"},
    {"comment after value", "a = 1 # one\n", "{a=1}"},
    {"comment with tab and unicode", "#\tcafé ☕ \xf0\x9f\x98\x80\na = 1", "{a=1}"},
    {"comment right after header", "[t]# c\nx = 1", "{t={x=1}}"},
    {"hash inside strings is no comment", "a = \"#x\"\nb = '#y'", "{a=\"#x\",b=\"#y\"}"},
    {"no trailing newline", "a = 1", "{a=1}"},
    {"CRLF line endings", "a = 1\r\nb = 2\r\n", "{a=1,b=2}"},
    {"indented keys and headers", "  [t]\n\t  x = 1\n", "{t={x=1}}"},
    {"byte order mark is skipped",
     "\xef\xbb\xbf"
     "a = 1",
     "{a=1}"},
    {"whitespace around equals", "a\t=\t1\nb=2", "{a=1,b=2}"},
    /* --- keys --- */
    {"bare key characters", "A-z_0-9 = 1", "{A-z_0-9=1}"},
    {"bare key of digits", "1234 = 1", "{1234=1}"},
    {"bare key that looks like a boolean", "true = 1\nfalse = 2", "{true=1,false=2}"},
    {"bare key that looks like inf", "inf = 1\nnan = 2", "{inf=1,nan=2}"},
    {"bare key with dashes only", "--- = 1", "{---=1}"},
    {"quoted basic key", "\"a b\" = 1", "{\"a b\"=1}"},
    {"quoted literal key", "'a.b' = 1", "{\"a.b\"=1}"},
    {"empty quoted key", "\"\" = 1", "{\"\"=1}"},
    {"empty literal key", "'' = 1", "{\"\"=1}"},
    {"escape in quoted key", "\"\\u00e9t\\u00e9\" = 1", "{\"été\"=1}"},
    {"quoted key equals bare key", "a = 1\n[t]\n\"b\" = 2", "{a=1,t={b=2}}"},
    {"dotted key", "a.b.c = 1", "{a={b={c=1}}}"},
    {"dotted key with spaces", "a . b\t.c = 1", "{a={b={c=1}}}"},
    {"dotted key with quoted parts", "a.\"b.c\".'d' = 1", "{a={\"b.c\"={d=1}}}"},
    {"number-like dotted key", "3.14 = 1", "{3={14=1}}"},
    {"sibling dotted keys", "a.b = 1\na.c = 2", "{a={b=1,c=2}}"},
    {"dotted keys interleaved", "a.x = 1\nb.y = 2\na.z = 3", "{a={x=1,z=3},b={y=2}}"},
    {"dotted key inside a table", "[t]\na.b = 1\na.c = 2", "{t={a={b=1,c=2}}}"},
    {"unicode in quoted key", "\"ʎǝʞ\" = 1", "{\"ʎǝʞ\"=1}"},
    /* --- basic strings --- */
    {"basic string", "s = \"hello\"", "{s=\"hello\"}"},
    {"empty basic string", "s = \"\"", "{s=\"\"}"},
    {"all simple escapes", "s = \"\\b\\t\\n\\f\\r\\\"\\\\\"",
     "{s=\"\\u0008\\t\\n\\u000C\\u000D\\\"\\\\\"}"},
    {"unicode escape 4", "s = \"\\u00E9\\u20AC\"", "{s=\"é€\"}"},
    {"unicode escape 8", "s = \"\\U0001F600\"", "{s=\"\xf0\x9f\x98\x80\"}"},
    {"unicode escape of NUL", "s = \"a\\u0000b\"", "{s=\"a\\u0000b\"}"},
    {"unicode escape of the last scalar", "s = \"\\U0010FFFF\"", "{s=\"\xf4\x8f\xbf\xbf\"}"},
    {"unicode escape just below surrogates", "s = \"\\uD7FF\\uE000\"",
     "{s=\"\xed\x9f\xbf\xee\x80\x80\"}"},
    {"tab in basic string", "s = \"a\tb\"", "{s=\"a\\tb\"}"},
    {"raw unicode in basic string", "s = \"日本語\"", "{s=\"日本語\"}"},
    {"single quote in basic string", "s = \"it's\"", "{s=\"it's\"}"},
    {"DEL written as an escape", "s = \"\\u007f\"", "{s=\"\\u007F\"}"},
    /* --- literal strings --- */
    {"literal string keeps backslashes", "s = 'C:\\Users\\nodejs'",
     "{s=\"C:\\\\Users\\\\nodejs\"}"},
    {"empty literal string", "s = ''", "{s=\"\"}"},
    {"literal string with double quotes", "s = 'say \"hi\"'", "{s=\"say \\\"hi\\\"\"}"},
    {"tab in literal string", "s = 'a\tb'", "{s=\"a\\tb\"}"},
    /* --- multi-line basic strings --- */
    {"ml basic trims first newline", "s = \"\"\"\nline1\nline2\"\"\"", "{s=\"line1\\nline2\"}"},
    {"ml basic trims first CRLF", "s = \"\"\"\r\nx\r\ny\"\"\"", "{s=\"x\\ny\"}"},
    {"ml basic keeps later newlines", "s = \"\"\"a\n\nb\n\"\"\"", "{s=\"a\\n\\nb\\n\"}"},
    {"ml basic line-ending backslash", "s = \"\"\"\nThe quick \\\n\n    brown fox\"\"\"",
     "{s=\"The quick brown fox\"}"},
    {"ml basic backslash then spaces then newline", "s = \"\"\"a \\  \t\n  b\"\"\"", "{s=\"a b\"}"},
    {"ml basic backslash at the very end", "s = \"\"\"a\\\n   \"\"\"", "{s=\"a\"}"},
    {"ml basic one quote before the end", "s = \"\"\"a\"\"\"\"", "{s=\"a\\\"\"}"},
    {"ml basic two quotes before the end", "s = \"\"\"a\"\"\"\"\"", "{s=\"a\\\"\\\"\"}"},
    {"ml basic quotes at the start", "s = \"\"\"\"\"a\"\"\"", "{s=\"\\\"\\\"a\"}"},
    {"ml basic two quotes inside", "s = \"\"\"a\"\"b\"\"\"", "{s=\"a\\\"\\\"b\"}"},
    {"ml basic escaped triple quote", "s = \"\"\"a\\\"\"\"b\"\"\"", "{s=\"a\\\"\\\"\\\"b\"}"},
    {"ml basic escapes", "s = \"\"\"\\t\\u00e9\"\"\"", "{s=\"\\té\"}"},
    {"ml basic empty", "s = \"\"\"\"\"\"", "{s=\"\"}"},
    {"ml basic CRLF becomes LF", "s = \"\"\"a\r\nb\"\"\"", "{s=\"a\\nb\"}"},
    {"ml basic tab", "s = \"\"\"\ta\"\"\"", "{s=\"\\ta\"}"},
    /* --- multi-line literal strings --- */
    {"ml literal", "s = '''\nI [dw]on't need \\d{2} apples'''",
     "{s=\"I [dw]on't need \\\\d{2} apples\"}"},
    {"ml literal keeps newlines", "s = '''a\n  b\n'''", "{s=\"a\\n  b\\n\"}"},
    {"ml literal quotes before the end", "s = '''a'''''", "{s=\"a''\"}"},
    {"ml literal quotes at the start", "s = ''''a'''", "{s=\"'a\"}"},
    {"ml literal empty", "s = ''''''", "{s=\"\"}"},
    {"ml literal backslash is literal", "s = '''a\\\nb'''", "{s=\"a\\\\\\nb\"}"},
    /* --- integers --- */
    {"integer zero", "i = 0", "{i=0}"},
    {"integer signed zeros", "a = +0\nb = -0", "{a=0,b=0}"},
    {"integer positive sign", "i = +99", "{i=99}"},
    {"integer negative", "i = -17", "{i=-17}"},
    {"integer underscores", "i = 1_000_000", "{i=1000000}"},
    {"integer max", "i = 9223372036854775807", "{i=9223372036854775807}"},
    {"integer min", "i = -9223372036854775808", "{i=-9223372036854775808}"},
    {"hex integer", "i = 0xDEADbeef", "{i=3735928559}"},
    {"hex integer underscores", "i = 0xdead_beef", "{i=3735928559}"},
    {"hex integer max", "i = 0x7FFFFFFFFFFFFFFF", "{i=9223372036854775807}"},
    {"hex integer leading zeros", "i = 0x00ff", "{i=255}"},
    {"octal integer", "i = 0o755", "{i=493}"},
    {"octal integer zero", "i = 0o0", "{i=0}"},
    {"binary integer", "i = 0b1101_0110", "{i=214}"},
    {"binary integer leading zeros", "i = 0b0001", "{i=1}"},
    /* --- floats --- */
    {"float fraction", "f = 3.1415", "{f=3.1415}"},
    {"float negative fraction", "f = -0.01", "{f=-0.01}"},
    {"float exponent", "f = 5e+22", "{f=5e+22}"},
    {"float exponent leading zeros", "f = 1e06", "{f=1e+06}"},
    {"float capital exponent", "f = -2E-2", "{f=-0.02}"},
    {"float fraction and exponent", "f = 6.626e-34", "{f=6.626e-34}"},
    {"float underscores", "f = 224_617.445_991_228", "{f=224617.445991228}"},
    {"float zero exponent", "f = 0e0", "{f=0.0}"},
    {"float signed zero", "a = +0.0\nb = -0.0", "{a=0.0,b=-0.0}"},
    {"float inf", "a = inf\nb = +inf\nc = -inf", "{a=inf,b=inf,c=-inf}"},
    {"float nan", "a = nan\nb = +nan\nc = -nan", "{a=nan,b=nan,c=nan}"},
    {"float underflow becomes zero", "f = 1e-400", "{f=0.0}"},
    {"float many digits", "f = 0.1000000000000000000000001", "{f=0.1}"},
    /* --- booleans --- */
    {"booleans", "t = true\nf = false", "{t=true,f=false}"},
    /* --- dates and times --- */
    {"offset date-time Z", "d = 1979-05-27T07:32:00Z", "{d=1979-05-27T07:32:00Z}"},
    {"offset date-time negative offset", "d = 1979-05-27T00:32:00-07:00",
     "{d=1979-05-27T00:32:00-07:00}"},
    {"offset date-time positive offset", "d = 1979-05-27T00:32:00+05:30",
     "{d=1979-05-27T00:32:00+05:30}"},
    {"offset date-time fraction", "d = 1979-05-27T00:32:00.999999-07:00",
     "{d=1979-05-27T00:32:00.999999-07:00}"},
    {"offset date-time space separator", "d = 1979-05-27 07:32:00Z", "{d=1979-05-27T07:32:00Z}"},
    {"offset date-time lower case t and z", "d = 1979-05-27t07:32:00z", "{d=1979-05-27T07:32:00Z}"},
    {"offset -00:00", "d = 1979-05-27T07:32:00-00:00", "{d=1979-05-27T07:32:00Z}"},
    {"local date-time", "d = 1979-05-27T07:32:00", "{d=1979-05-27T07:32:00}"},
    {"local date-time fraction", "d = 1979-05-27T00:32:00.5", "{d=1979-05-27T00:32:00.5}"},
    {"local date", "d = 1979-05-27", "{d=1979-05-27}"},
    {"local date then comment", "d = 1979-05-27 # birthday", "{d=1979-05-27}"},
    {"local time", "t = 07:32:00", "{t=07:32:00}"},
    {"local time fraction", "t = 00:32:00.999999", "{t=00:32:00.999999}"},
    {"fraction truncated to nanoseconds", "t = 00:00:00.1234567891234", "{t=00:00:00.123456789}"},
    {"leap day in a leap year", "a = 2000-02-29\nb = 2024-02-29", "{a=2000-02-29,b=2024-02-29}"},
    {"leap second", "d = 1990-12-31T23:59:60Z", "{d=1990-12-31T23:59:60Z}"},
    {"year zero and end of day", "d = 0000-01-01T23:59:59", "{d=0000-01-01T23:59:59}"},
    {"date-times in an array", "a = [1979-05-27, 07:32:00, 1979-05-27T07:32:00Z]",
     "{a=[1979-05-27,07:32:00,1979-05-27T07:32:00Z]}"},
    /* --- arrays --- */
    {"empty array", "a = []", "{a=[]}"},
    {"array of integers", "a = [1, 2, 3]", "{a=[1,2,3]}"},
    {"array trailing comma", "a = [1, 2,]", "{a=[1,2]}"},
    {"array spanning lines with comments", "a = [\n  1, # one\n  2 # two\n  , 3,\n  # end\n]",
     "{a=[1,2,3]}"},
    {"array with CRLF", "a = [\r\n1,\r\n2\r\n]", "{a=[1,2]}"},
    {"array of mixed types", "a = [1, 'x', 2.5, true, [], {}]", "{a=[1,\"x\",2.5,true,[],{}]}"},
    {"nested arrays", "a = [[1, 2], [\"a\", [3]]]", "{a=[[1,2],[\"a\",[3]]]}"},
    {"array of inline tables", "a = [{x = 1}, {y = 2}]", "{a=[{x=1},{y=2}]}"},
    {"array with no spaces", "a=[1,2]", "{a=[1,2]}"},
    {"array of strings of all kinds", "a = [\"b\", 'l', \"\"\"m\"\"\", '''n''']",
     "{a=[\"b\",\"l\",\"m\",\"n\"]}"},
    /* --- inline tables --- */
    {"empty inline table", "t = {}", "{t={}}"},
    {"empty inline table with spaces", "t = {   }", "{t={}}"},
    {"inline table", "t = { a = 1, b = \"x\" }", "{t={a=1,b=\"x\"}}"},
    {"nested inline tables", "t = { a = { b = { c = 1 } } }", "{t={a={b={c=1}}}}"},
    {"dotted keys in an inline table", "t = { a.b = 1, a.c = 2 }", "{t={a={b=1,c=2}}}"},
    {"inline table holding a multi-line array", "t = { a = [\n1,\n2\n] }", "{t={a=[1,2]}}"},
    {"inline table with quoted keys", "t = { \"a b\" = 1, 'c' = 2 }", "{t={\"a b\"=1,c=2}}"},
    {"inline table under a dotted key", "a.b = { c = 1 }", "{a={b={c=1}}}"},
    /* --- tables --- */
    {"table", "[t]\na = 1", "{t={a=1}}"},
    {"empty table", "[t]", "{t={}}"},
    {"two tables", "[a]\nx = 1\n[b]\ny = 2", "{a={x=1},b={y=2}}"},
    {"sub-table implies its parent", "[a.b.c]\nx = 1", "{a={b={c={x=1}}}}"},
    {"parent defined after its sub-table", "[a.b]\nx = 1\n[a]\ny = 2", "{a={b={x=1},y=2}}"},
    {"header with spaces and quotes", "[ a . \"b c\" . 'd' ]\nx = 1", "{a={\"b c\"={d={x=1}}}}"},
    {"header after root keys", "r = 1\n[t]\nx = 2", "{r=1,t={x=2}}"},
    {"sub-table of a dotted-key table",
     "[fruit]\napple.color = 'red'\n[fruit.apple.texture]\nsmooth = true",
     "{fruit={apple={color=\"red\",texture={smooth=true}}}}"},
    {"dotted keys into an implicit table", "[a.b.c]\nx = 1\n[a]\nb.d = 2", "{a={b={c={x=1},d=2}}}"},
    {"same key in different tables", "[a]\nk = 1\n[b]\nk = 2", "{a={k=1},b={k=2}}"},
    {"header with a numeric key", "[1]\n[1.2]", "{1={2={}}}"},
    /* --- arrays of tables --- */
    {"array of tables", "[[p]]\nn = 1\n[[p]]\nn = 2", "{p=[{n=1},{n=2}]}"},
    {"empty tables in an array", "[[p]]\n[[p]]", "{p=[{},{}]}"},
    {"nested arrays of tables",
     "[[fruit]]\nname = 'apple'\n[fruit.physical]\ncolor = 'red'\n[[fruit.variety]]\nname = 'red delicious'\n"
     "[[fruit.variety]]\nname = 'granny smith'\n[[fruit]]\nname = 'banana'\n[[fruit.variety]]\nname = 'plantain'",
     "{fruit=[{name=\"apple\",physical={color=\"red\"},variety=[{name=\"red delicious\"},{name=\"granny smith\"}]},"
     "{name=\"banana\",variety=[{name=\"plantain\"}]}]}"},
    {"array of tables under a table", "[a]\n[[a.b]]\nx = 1\n[[a.b]]\nx = 2",
     "{a={b=[{x=1},{x=2}]}}"},
    {"dotted keys in array-of-table elements", "[[a]]\nb.c = 1\n[[a]]\nb.c = 2",
     "{a=[{b={c=1}},{b={c=2}}]}"},
    {"array of tables with quoted name", "[[\"a b\"]]\nx = 1", "{\"a b\"=[{x=1}]}"},
};

static void run_case(void **state) {
  const valid_case *c = *state;
  pe_toml_error err;
  pe_toml_value *root = pe_toml_parse(c->doc, strlen(c->doc), &err);
  if (!root) fail_msg("%s: unexpected error at %d:%d: %s", c->name, err.line, err.col, err.msg);
  out_t o = {0};
  render(&o, root);
  if (strcmp(o.s, c->want) != 0) {
    print_error("%s\n  got:  %s\n  want: %s\n", c->name, o.s, c->want);
    free(o.s);
    pe_toml_free(root);
    fail();
  }
  free(o.s);
  pe_toml_free(root);
}

int main(void) {
  size_t n = sizeof cases / sizeof cases[0];
  struct CMUnitTest *tests = calloc(n, sizeof *tests);
  if (!tests) return 1;
  for (size_t i = 0; i < n; i++) {
    tests[i].name = cases[i].name;
    tests[i].test_func = run_case;
    tests[i].initial_state = (void *)&cases[i];
  }
  int rc = _cmocka_run_group_tests("toml_valid", tests, n, NULL, NULL);
  free(tests);
  return rc;
}
