/*
 * test_toml_invalid.c -- documents TOML 1.0 forbids, each with the line the
 * error must be reported on and a part of the message.
 *
 * The line matters as much as the refusal: the manifest loader shows it to
 * the user. Cases are grouped like the spec's sections; each is its own
 * cmocka test. `len` is given only for documents that contain a NUL byte.
 */
#include "pe_test.h"

#include <stdlib.h>
#include <string.h>

#include "manifest/pe_toml.h"

typedef struct {
  const char *name;
  const char *doc;
  int line;
  const char *msg; /* substring of the message */
  size_t len;      /* 0: strlen(doc) */
} invalid_case;

static const invalid_case cases[] = {
    /* --- encoding and control characters --- */
    {"invalid UTF-8 byte", "a = \"\xff\"", 1, "invalid UTF-8", 0},
    {"overlong UTF-8", "a = \"\xc0\xaf\"", 1, "invalid UTF-8", 0},
    {"UTF-8 encoded surrogate", "a = '\xed\xa0\x80'", 1, "invalid UTF-8", 0},
    {"UTF-8 above U+10FFFF", "a = '\xf4\x90\x80\x80'", 1, "invalid UTF-8", 0},
    {"truncated UTF-8 at end of file", "a = 'x\xe2\x82", 1, "invalid UTF-8", 0},
    {"invalid UTF-8 in a comment on line 3", "a = 1\nb = 2\n# \xfe\n", 3, "invalid UTF-8", 0},
    {"NUL in a basic string", "a = \"x\0y\"", 1, "control character U+0000", 9},
    {"NUL in a comment", "# x\0y\na = 1", 1, "control character U+0000 in comment", 11},
    {"control character in a literal string", "a = 'x\x01'", 1, "control character U+0001", 0},
    {"DEL in a basic string", "a = \"\x7f\"", 1, "control character U+007F", 0},
    {"control character in a comment", "a = 1 # \x1b[31m\n", 1, "in comment", 0},
    {"DEL in a comment", "# \x7f", 1, "U+007F in comment", 0},
    {"form feed in a multi-line string", "a = \"\"\"\n\f\"\"\"", 2, "control character U+000C", 0},
    {"lone CR after a value", "a = 1\rb = 2", 1, "U+000D", 0},
    {"lone CR in a comment", "# x\ry\n", 1, "U+000D in comment", 0},
    {"lone CR on its own line", "a = 1\n\r\nb = 2\n\r", 4, "U+000D", 0},
    {"lone CR in a multi-line string", "a = '''x\ry'''", 1, "U+000D", 0},
    {"control character in a key position", "\x01 = 1", 1, "expected a key", 0},
    /* --- keys --- */
    {"missing key", "= 1", 1, "expected a key, found '='", 0},
    {"missing equals", "a 1", 1, "expected '=' after key 'a'", 0},
    {"missing value at end of line", "a =\nb = 1", 1, "expected a value", 0},
    {"missing value at end of file", "a = ", 1, "expected a value", 0},
    {"two pairs on one line", "a = 1 b = 2", 1, "unexpected 'b' after the value", 0},
    {"key with a space", "a b = 1", 1, "expected '=' after key 'a', found 'b'", 0},
    {"multi-line string as a key", "\"\"\"a\"\"\" = 1", 1, "multi-line string cannot be a key", 0},
    {"multi-line literal as a key", "'''a''' = 1", 1, "multi-line string cannot be a key", 0},
    {"dotted key ending in a dot", "a. = 1", 1, "expected a key, found '='", 0},
    {"dotted key starting with a dot", ".a = 1", 1, "expected a key, found '.'", 0},
    {"dotted key with two dots", "a..b = 1", 1, "expected a key, found '.'", 0},
    {"duplicate key", "a = 1\na = 2", 2, "duplicate key 'a'", 0},
    {"duplicate key quoted and bare", "a = 1\n\"a\" = 2", 2, "duplicate key '\"a\"'", 0},
    {"duplicate key through an escape", "\"\\u0061\" = 1\na = 2", 2, "duplicate key 'a'", 0},
    {"duplicate dotted key", "a.b = 1\na.b = 2", 2, "duplicate key 'a.b'", 0},
    {"duplicate key in a table", "[t]\nx = 1\ny = 2\nx = 3", 4, "duplicate key 'x'", 0},
    {"duplicate empty key", "\"\" = 1\n'' = 2", 2, "duplicate key", 0},
    {"newline between key and equals", "a\n= 1", 1, "expected '=' after key 'a', found end of line",
     0},
    {"two equals", "a = = 1", 1, "expected a value, found '='", 0},
    {"special character in a bare key", "a@b = 1", 1, "expected '=' after key 'a', found '@'", 0},
    {"non-ASCII bare key", "é = 1", 1, "expected a key, found 'é'", 0},
    {"unterminated quoted key", "\"a = 1", 1, "unterminated string", 0},
    {"key after a header on the same line", "[t] a = 1", 1, "unexpected 'a' after the table header",
     0},
    /* --- strings --- */
    {"unterminated basic string", "a = \"abc", 1, "unterminated string", 0},
    {"basic string cut by a newline", "a = \"abc\nb = 1", 1, "unterminated string", 0},
    {"unterminated literal string", "x = 1\na = 'abc\n", 2, "unterminated string", 0},
    {"unterminated multi-line basic string", "a = \"\"\"\nabc\n\nd", 1, "unterminated string", 0},
    {"unterminated multi-line literal string", "a = 1\nb = '''\nabc''\n", 2, "unterminated string",
     0},
    {"invalid escape \\x", "a = \"\\x41\"", 1, "invalid escape sequence", 0},
    {"invalid escape \\e (TOML 1.1 only)", "a = \"\\e\"", 1, "invalid escape sequence", 0},
    {"backslash space in a basic string", "a = \"a\\ b\"", 1, "invalid escape sequence", 0},
    {"backslash at end of a basic string line", "a = \"a\\\nb\"", 1, "invalid escape sequence", 0},
    {"short \\u escape", "a = \"\\u12\"", 1, "needs 4 hex digits", 0},
    {"short \\U escape", "a = \"\\U0001F60\"", 1, "needs 8 hex digits", 0},
    {"\\u escape of a surrogate", "a = \"\\uD800\"", 1, "not a Unicode scalar value", 0},
    {"\\u escape of a low surrogate", "a = \"\\uDFFF\"", 1, "not a Unicode scalar value", 0},
    {"\\U escape above U+10FFFF", "a = \"\\U00110000\"", 1, "not a Unicode scalar value", 0},
    {"\\U escape with a non-hex digit", "a = \"\\U0000004G\"", 1, "needs 8 hex digits", 0},
    {"backslash space not ending the line", "a = \"\"\"x\\ y\"\"\"", 1, "must end the line", 0},
    {"six quotes closing a multi-line string", "a = \"\"\"x\"\"\"\"\"\"", 1, "too many quotes", 0},
    {"six quotes closing a multi-line literal", "a = '''x''''''", 1, "too many quotes", 0},
    {"three quotes inside a multi-line string", "a = \"\"\"x\"\"\"y\"\"\"", 1, "unexpected 'y'", 0},
    {"newline in a literal string", "a = 'x\ny'", 1, "unterminated string", 0},
    {"text after a string", "a = \"x\"y", 1, "unexpected 'y' after the value", 0},
    {"escape error on a later line of a multi-line string", "a = \"\"\"\nok\n\\q\"\"\"", 3,
     "invalid escape", 0},
    /* --- integers --- */
    {"leading zero", "a = 01", 1, "leading zeros", 0},
    {"leading zero after a sign", "a = -01", 1, "leading zeros", 0},
    {"leading zero with underscore", "a = 0_1", 1, "leading zeros", 0},
    {"double underscore", "a = 1__0", 1, "underscore must be between two digits", 0},
    {"trailing underscore", "a = 1_", 1, "underscore must be between two digits", 0},
    {"leading underscore", "a = _1", 1, "invalid value '_1'", 0},
    {"underscore after a sign", "a = +_1", 1, "underscore must be between two digits", 0},
    {"integer overflow", "a = 9223372036854775808", 1, "out of range", 0},
    {"negative integer overflow", "a = -9223372036854775809", 1, "out of range", 0},
    {"hex overflow", "a = 0x8000000000000000", 1, "out of range", 0},
    {"binary overflow", "a = 0b1000000000000000000000000000000000000000000000000000000000000000", 1,
     "out of range", 0},
    {"capital hex prefix", "a = 0X1", 1, "invalid number '0X1'", 0},
    {"sign on a hex integer", "a = +0x1", 1, "sign is not allowed", 0},
    {"sign on a binary integer", "a = -0b1", 1, "sign is not allowed", 0},
    {"bad hex digit", "a = 0xg", 1, "invalid number", 0},
    {"octal digit 8", "a = 0o8", 1, "invalid number", 0},
    {"binary digit 2", "a = 0b2", 1, "invalid number", 0},
    {"prefix without digits", "a = 0x", 1, "invalid number", 0},
    {"underscore after a prefix", "a = 0x_1", 1, "underscore must be between two digits", 0},
    {"letters after an integer", "a = 12a", 1, "invalid number '12a'", 0},
    {"sign alone", "a = +", 1, "invalid number", 0},
    {"two signs", "a = --1", 1, "invalid number", 0},
    {"two integers", "a = 1 2", 1, "unexpected '2' after the value", 0},
    /* --- floats --- */
    {"trailing decimal point", "a = 1.", 1, "decimal point must be followed by digits", 0},
    {"leading decimal point", "a = .5", 1, "invalid value '.5'", 0},
    {"decimal point before an exponent", "a = 1.e5", 1, "decimal point must be followed by digits",
     0},
    {"exponent without digits", "a = 1e", 1, "exponent needs digits", 0},
    {"exponent sign without digits", "a = 1e+", 1, "exponent needs digits", 0},
    {"two exponents", "a = 1e2e3", 1, "invalid number", 0},
    {"underscore before a decimal point", "a = 1_.5", 1, "underscore must be between two digits",
     0},
    {"underscore after a decimal point", "a = 1._5", 1, "underscore must be between two digits", 0},
    {"underscore in front of an exponent", "a = 1e_5", 1, "underscore must be between two digits",
     0},
    {"leading zero in a float", "a = 01.5", 1, "leading zeros", 0},
    {"float overflow", "a = 1e400", 1, "out of range", 0},
    {"infinity spelled out", "a = infinity", 1, "invalid number", 0},
    {"capital Inf", "a = Inf", 1, "invalid value 'Inf'", 0},
    {"capital NaN", "a = NaN", 1, "invalid value 'NaN'", 0},
    {"two decimal points", "a = 1.2.3", 1, "invalid number", 0},
    {"float with two signs", "a = +-1.0", 1, "invalid number", 0},
    /* --- booleans --- */
    {"capitalised true", "a = True", 1, "invalid value 'True'", 0},
    {"truncated true", "a = tru", 1, "invalid value 'tru'", 0},
    {"true with a suffix", "a = truee", 1, "invalid value 'truee'", 0},
    {"upper-case false", "a = FALSE", 1, "invalid value 'FALSE'", 0},
    {"bare word value", "a = hello", 1, "invalid value 'hello'", 0},
    /* --- dates and times --- */
    {"month 13", "a = 1979-13-01", 1, "month 13 is out of range", 0},
    {"month 00", "a = 1979-00-01", 1, "month 00 is out of range", 0},
    {"day 32", "a = 1979-01-32", 1, "day 32 is out of range", 0},
    {"day 00", "a = 1979-01-00", 1, "day 00 is out of range", 0},
    {"February 30", "a = 2024-02-30", 1, "day 30 is out of range", 0},
    {"February 29 in a common year", "a = 2023-02-29", 1, "day 29 is out of range", 0},
    {"February 29 in 1900", "a = 1900-02-29", 1, "day 29 is out of range", 0},
    {"April 31", "a = 2024-04-31", 1, "day 31 is out of range", 0},
    {"hour 24", "a = 24:00:00", 1, "hour 24 is out of range", 0},
    {"minute 60", "a = 1979-05-27T07:60:00", 1, "minute 60 is out of range", 0},
    {"second 61", "a = 07:32:61", 1, "second 61 is out of range", 0},
    {"time without seconds (TOML 1.1 only)", "a = 07:32", 1, "expected HH:MM:SS", 0},
    {"date-time without seconds", "a = 1979-05-27T07:32Z", 1, "expected HH:MM:SS", 0},
    {"T without a time", "a = 1979-05-27T", 1, "expected HH:MM:SS", 0},
    {"offset hour 24", "a = 1979-05-27T07:32:00+24:00", 1, "offset", 0},
    {"offset minute 60", "a = 1979-05-27T07:32:00+05:60", 1, "offset", 0},
    {"offset without a colon", "a = 1979-05-27T07:32:00+0700", 1, "offset", 0},
    {"local time with an offset", "a = 07:32:00Z", 1, "unexpected 'Z'", 0},
    {"three-digit year", "a = 197-05-27", 1, "invalid number", 0},
    {"one-digit month", "a = 1979-5-27", 1, "expected YYYY-MM-DD", 0},
    {"fraction without digits", "a = 07:32:00.", 1, "decimal point must be followed by digits", 0},
    {"two spaces between date and time", "a = 1979-05-27  07:32:00", 1, "unexpected '0'", 0},
    {"letter after a date", "a = 1979-05-27x", 1, "unexpected 'x'", 0},
    {"date error on line 4", "a = 1\nb = 2\n\nc = 2021-02-29\n", 4, "day 29", 0},
    /* --- arrays --- */
    {"unterminated array", "a = [1, 2", 1, "unterminated array", 0},
    {"unterminated multi-line array", "a = [\n1,\n2,\n", 1, "unterminated array", 0},
    {"missing comma in an array", "a = [1 2]", 1, "expected ',' or ']' in array, found '2'", 0},
    {"double comma in an array", "a = [1,,2]", 1, "expected a value, found ','", 0},
    {"leading comma in an array", "a = [,1]", 1, "expected a value, found ','", 0},
    {"only a comma in an array", "a = [,]", 1, "expected a value", 0},
    {"text after an array", "a = [1] x", 1, "unexpected 'x'", 0},
    {"key/value inside an array", "a = [b = 1]", 1, "invalid value 'b'", 0},
    {"missing comma on a later line", "a = [\n1,\n2\n3\n]", 4, "expected ',' or ']'", 0},
    /* --- inline tables --- */
    {"newline inside an inline table", "a = { b = 1,\n c = 2 }", 1, "must be on one line", 0},
    {"newline right after the brace", "a = {\n}", 1, "must be on one line", 0},
    {"trailing comma in an inline table", "a = { b = 1, }", 1, "trailing comma", 0},
    {"missing comma in an inline table", "a = { b = 1 c = 2 }", 1, "expected ',' or '}'", 0},
    {"double comma in an inline table", "a = { b = 1,, c = 2 }", 1, "expected a key, found ','", 0},
    {"unterminated inline table", "a = { b = 1", 1, "unterminated inline table", 0},
    {"duplicate key in an inline table", "a = { b = 1, b = 2 }", 1, "duplicate key 'b'", 0},
    {"dotted key then value in an inline table", "a = { b.c = 1, b = 2 }", 1, "duplicate key 'b'",
     0},
    {"extending a nested inline table", "a = { b = { c = 1 }, b.d = 2 }", 1,
     "cannot add to inline table 'b'", 0},
    {"dotted key extending an inline table", "t = { a = 1 }\nt.b = 2", 2,
     "cannot add to inline table 't'", 0},
    {"header defining an inline table", "t = { a = 1 }\n[t]", 2,
     "already defined as an inline table", 0},
    {"header inside an inline table", "t = {}\n[t.sub]", 2, "cannot add to inline table 't'", 0},
    {"array of tables over an inline table", "t = {}\n[[t]]", 2, "conflicts with table", 0},
    {"header under a nested inline table", "a = { b = {} }\n[a.b.c]", 2,
     "cannot add to inline table 'a'", 0},
    {"comment inside an inline table", "a = { b = 1 # c\n}", 1,
     "expected ',' or '}' in inline table, found '#'", 0},
    {"key without a value in an inline table", "a = { b }", 1, "expected '=' after key 'b'", 0},
    /* --- tables --- */
    {"table defined twice", "[a]\n[a]", 2, "table [a] defined twice", 0},
    {"table defined twice with another between", "[a]\nx = 1\n[b]\n[a]", 4,
     "table [a] defined twice", 0},
    {"implicit table defined twice", "[a.b]\n[a]\n[a]", 3, "table [a] defined twice", 0},
    {"sub-table defined twice", "[a.b]\n[a.b]", 2, "table [a.b] defined twice", 0},
    {"quoted and bare header for one table", "[a]\n[\"a\"]", 2, "defined twice", 0},
    {"header over a dotted-key table", "a.b = 1\n[a]", 2, "already defined by dotted keys", 0},
    {"header over a dotted-key sub-table", "[x]\na.b = 1\n[x.a]", 3,
     "table [x.a] was already defined by dotted keys", 0},
    {"dotted key extending a header table", "[a.b]\nx = 1\n[a]\nb.c = 1", 4,
     "defined by a [header]", 0},
    {"dotted key through a header table", "[a.b.c]\nz = 9\n[a]\nb.c.t = 1", 4,
     "defined by a [header]", 0},
    {"dotted key over a value", "a = 1\na.b = 2", 2, "key 'a' already holds an integer", 0},
    {"header over a value", "a = 1\n[a]", 2,
     "cannot define table [a]: the key already holds an integer", 0},
    {"header through a value", "a = 'x'\n[a.b]", 2, "key 'a' already holds a string", 0},
    {"header through a static array", "a = [1]\n[a.b]", 2, "cannot add to static array 'a'", 0},
    {"value over a table", "[a.b]\n[a]\nb = 1", 3, "duplicate key 'b'", 0},
    {"empty header", "[]", 1, "expected a key, found ']'", 0},
    {"unterminated header", "[a", 1, "expected ']' to close the header", 0},
    {"header cut by a newline", "[a\n]", 1, "expected ']' to close the header, found end of line",
     0},
    {"header ending in a dot", "[a.]", 1, "expected a key, found ']'", 0},
    {"text after a header", "[a] x", 1, "unexpected 'x' after the table header", 0},
    {"extra bracket after a header", "[a]]", 1, "unexpected ']'", 0},
    {"nested brackets in a header", "[a[b]]", 1, "expected ']' to close the header, found '['", 0},
    {"table header on a later line", "a = 1\n\n# c\n[b]\n[b]", 5, "defined twice", 0},
    /* --- arrays of tables --- */
    {"array-of-tables header with a space", "[[a] ]", 1, "expected ']]' to close the header", 0},
    {"unterminated array-of-tables header", "[[a]", 1, "expected ']]'", 0},
    {"array of tables after a table", "[a]\n[[a]]", 2, "conflicts with table", 0},
    {"table after an array of tables", "[[a]]\n[a]", 2, "conflicts with array of tables [[a]]", 0},
    {"array of tables over a static array", "a = []\n[[a]]", 2, "cannot append to static array 'a'",
     0},
    {"array of tables over a value", "a = 1\n[[a]]", 2, "the key already holds an integer", 0},
    {"dotted key into an array of tables", "[[a.b]]\n[a]\nb.c = 1", 3, "cannot add to array 'b'",
     0},
    {"array of tables after its implied parent", "[[albums.songs]]\nname = 'x'\n[[albums]]", 3,
     "conflicts with table [albums]", 0},
    {"sub-table of an array defined twice", "[[a]]\n[a.b]\n[a.b]", 3, "table [a.b] defined twice",
     0},
    /* --- line counting across constructs --- */
    {"line counted after a multi-line string", "s = \"\"\"\na\nb\n\"\"\"\nx = @", 5,
     "expected a value, found '@'", 0},
    {"line counted after a multi-line array", "a = [\n1,\n2,\n]\nb = 1\nb = 2", 6,
     "duplicate key 'b'", 0},
    {"line counted with CRLF", "a = 1\r\nb = 2\r\nc = 3\r\na = 4\r\n", 4, "duplicate key 'a'", 0},
    {"line counted after a line-ending backslash", "s = \"\"\"a\\\n\n\n  b\"\"\"\ns = 1", 5,
     "duplicate key 's'", 0},
};

static void run_case(void **state) {
  const invalid_case *c = *state;
  size_t len = c->len ? c->len : strlen(c->doc);
  pe_toml_error err;
  pe_toml_value *root = pe_toml_parse(c->doc, len, &err);
  if (root) {
    pe_toml_free(root);
    fail_msg("%s: accepted", c->name);
  }
  if (err.line != c->line || !strstr(err.msg, c->msg))
    fail_msg("%s\n  got:  line %d: %s\n  want: line %d: ...%s...", c->name, err.line, err.msg,
             c->line, c->msg);
  assert_true(err.col >= 1);
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
  int rc = _cmocka_run_group_tests("toml_invalid", tests, n, NULL, NULL);
  free(tests);
  return rc;
}
