/*
 * test_toml_fuzz.c -- the parser on mutated documents: whatever the input,
 * it must either return a tree whose every value can be walked, or an error
 * with a position inside the document; never crash, hang or leak (the ASan
 * build checks the last two).
 *
 * Mutations are deterministic (a fixed xorshift seed) so that a failure
 * reproduces: bytes are deleted, replaced, or spliced with TOML tokens,
 * starting from documents that together use every construct.
 */
#include "pe_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/pe_toml.h"

static const char *const seeds[] = {
    "a = 1\nb = 'x'\n[t]\nc = [1, 2.5, true]\nd = { e = 1979-05-27T07:32:00Z }\n",
    "[[a]]\nb.c = \"\\u00e9\\n\"\n[[a]]\n[a.d]\ne = '''\nml'''\n",
    "s = \"\"\"\nx \\\n  y\"\"\"\ni = 0x_ff\nf = -1e+05\nt = 07:32:00.5\nl = 1979-05-27 07:32:00\n",
    "# c\r\n[ \"q k\" . 'l' ]\r\nk = [\r\n  {a = [1]}, # x\r\n]\r\n",
    "x.y.z = inf\n[x.w]\nv = nan\narr = [[[]], [{}]]\n",
};

static const char *const tokens[] = {"[",    "]",          "{",  "}",   "\"", "'",  "\"\"\"",
                                     "'''",  "=",          ".",  ",",   "\n", "\r", "\\",
                                     "\\u",  "#",          "[[", "]]",  "0x", "_",  "e",
                                     "T",    ":",          "+",  "inf", " ",  "\t", "é",
                                     "\xff", "1979-05-27", "-",  "\x01"};

static unsigned long long rng_state = 0x9e3779b97f4a7c15ull;
static unsigned rnd(unsigned n) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (unsigned)(rng_state % n);
}

/* Touches every value through the public API. */
static size_t walk(const pe_toml_value *v, int depth) {
  assert_true(depth <= PE_TOML_MAX_DEPTH + 1);
  size_t n = 1;
  pe_toml_type t = pe_toml_type_of(v);
  assert_true(pe_toml_line(v) >= 1);
  if (t == PE_TOML_TABLE || t == PE_TOML_ARRAY) {
    for (size_t i = 0; i < pe_toml_len(v); i++) {
      if (t == PE_TOML_TABLE) {
        size_t kl;
        const char *k = pe_toml_key_at(v, i, &kl);
        assert_non_null(k);
        assert_true(pe_toml_get_n(v, k, kl) == pe_toml_at(v, i));
      }
      n += walk(pe_toml_at(v, i), depth + 1);
    }
  } else if (t == PE_TOML_STRING) {
    const char *s;
    size_t len;
    assert_true(pe_toml_string(v, &s, &len));
    assert_int_equal(s[len], 0);
  }
  return n;
}

static void test_mutations(void **state) {
  (void)state;
  char buf[1024];
  size_t accepted = 0, rejected = 0;
  for (int it = 0; it < 40000; it++) {
    const char *seed = seeds[rnd(sizeof seeds / sizeof seeds[0])];
    size_t n = strlen(seed);
    memcpy(buf, seed, n);
    int muts = 1 + (int)rnd(4);
    for (int m = 0; m < muts; m++) {
      size_t pos = rnd((unsigned)n + 1);
      switch (rnd(3)) {
        case 0:
          if (pos < n) {
            memmove(buf + pos, buf + pos + 1, n - pos - 1);
            n--;
          }
          break;
        case 1: {
          const char *tok = tokens[rnd(sizeof tokens / sizeof tokens[0])];
          size_t tl = strlen(tok);
          if (n + tl <= sizeof buf) {
            memmove(buf + pos + tl, buf + pos, n - pos);
            memcpy(buf + pos, tok, tl);
            n += tl;
          }
          break;
        }
        default:
          if (pos < n) buf[pos] = (char)rnd(256);
      }
    }
    /* an exact-size copy, so any read past the end is caught */
    char *doc = malloc(n ? n : 1);
    assert_non_null(doc);
    memcpy(doc, buf, n);
    pe_toml_error err;
    pe_toml_value *root = pe_toml_parse(doc, n, &err);
    if (root) {
      walk(root, 0);
      pe_toml_free(root);
      accepted++;
    } else {
      assert_true(err.msg[0] != 0);
      assert_true(err.line >= 1 && err.col >= 1);
      rejected++;
    }
    free(doc);
  }
  /* both outcomes must be well represented for the test to mean anything */
  assert_true(accepted > 1000);
  assert_true(rejected > 1000);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mutations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
