/*
 * test_componentize_cmd.c -- reading a component's componentize-py build
 * command (src/build/build_cmdline.c): Spin's template commands, quoting,
 * repeated and spelled-out -p, unknown options, commands that are not
 * componentize-py, and malformed ones.
 */
#include "pe_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build/pe_build.h"

static pe_cz_status parse1(const char *cmd, pe_cz_command *c, char *err, size_t errlen) {
  const char *cmds[1] = {cmd};
  err[0] = 0;
  return pe_cz_parse(cmds, 1, c, err, errlen);
}

static void expect_paths(const pe_cz_command *c, const char *const *want) {
  size_t n = 0;
  while (want[n]) n++;
  if (c->python_paths.len != n) fail_msg("%zu -p paths, want %zu", c->python_paths.len, n);
  for (size_t i = 0; i < n; i++) assert_string_equal(c->python_paths.items[i], want[i]);
}

static void test_template_v3(void **state) {
  (void)state;
  pe_cz_command c;
  char err[512];
  assert_int_equal(parse1("componentize-py -w spin-http componentize app -o app.wasm", &c, err,
                          sizeof err),
                   PE_CZ_OK);
  assert_string_equal(c.module, "app");
  assert_string_equal(c.world, "spin-http");
  assert_string_equal(c.output, "app.wasm");
  expect_paths(&c, (const char *[]){".", NULL});
  assert_int_equal(c.warnings.len, 0);
  pe_cz_free(&c);
}

static void test_template_v4_worlds(void **state) {
  (void)state;
  static const char *const worlds[] = {"spin:up/http-trigger@4.0.0",
                                       "fermyon:spin/http-trigger@3.0.0"};
  for (size_t i = 0; i < 2; i++) {
    char cmd[256], err[512];
    snprintf(cmd, sizeof cmd, "componentize-py -w %s componentize app -o app.wasm", worlds[i]);
    pe_cz_command c;
    assert_int_equal(parse1(cmd, &c, err, sizeof err), PE_CZ_OK);
    assert_string_equal(c.world, worlds[i]);
    assert_string_equal(c.module, "app");
    pe_cz_free(&c);
  }
}

static void test_defaults(void **state) {
  (void)state;
  pe_cz_command c;
  char err[512];
  assert_int_equal(parse1("componentize-py componentize handler", &c, err, sizeof err), PE_CZ_OK);
  assert_string_equal(c.module, "handler");
  assert_null(c.world);
  assert_string_equal(c.output, "index.wasm"); /* componentize-py's default */
  expect_paths(&c, (const char *[]){".", NULL});
  pe_cz_free(&c);
}

static void test_python_path_repeated_in_order(void **state) {
  (void)state;
  pe_cz_command c;
  char err[512];
  assert_int_equal(parse1("componentize-py -w spin-http componentize -p . -p ../lib "
                          "--python-path vendor --python-path=src -psite -p=more app -o x.wasm",
                          &c, err, sizeof err),
                   PE_CZ_OK);
  expect_paths(&c, (const char *[]){".", "../lib", "vendor", "src", "site", "more", NULL});
  assert_string_equal(c.module, "app");
  assert_string_equal(c.output, "x.wasm");
  pe_cz_free(&c);
}

static void test_long_options_with_equals(void **state) {
  (void)state;
  pe_cz_command c;
  char err[512];
  assert_int_equal(parse1("componentize-py --world=spin-http --wit-path=wit --quiet componentize "
                          "--output=out.wasm --stub-wasi -m a=b main.app",
                          &c, err, sizeof err),
                   PE_CZ_OK);
  assert_string_equal(c.world, "spin-http");
  assert_string_equal(c.output, "out.wasm");
  assert_string_equal(c.module, "main.app");
  assert_int_equal(c.warnings.len, 0);
  pe_cz_free(&c);
}

static void test_quoting(void **state) {
  (void)state;
  pe_cz_command c;
  char err[512];
  assert_int_equal(parse1("componentize-py -w 'spin-http' componentize \"app\" -p 'my dir' "
                          "-p \"with \\\"quote\\\"\" -p back\\ slash -o 'a b.wasm'",
                          &c, err, sizeof err),
                   PE_CZ_OK);
  assert_string_equal(c.module, "app");
  assert_string_equal(c.world, "spin-http");
  assert_string_equal(c.output, "a b.wasm");
  expect_paths(&c, (const char *[]){"my dir", "with \"quote\"", "back slash", NULL});
  pe_cz_free(&c);
}

static void test_unknown_option_warns(void **state) {
  (void)state;
  pe_cz_command c;
  char err[512];
  assert_int_equal(parse1("componentize-py --frobnicate -w spin-http componentize app --zap -o a",
                          &c, err, sizeof err),
                   PE_CZ_OK);
  assert_string_equal(c.module, "app");
  assert_int_equal(c.warnings.len, 2);
  assert_non_null(strstr(c.warnings.items[0], "--frobnicate"));
  assert_non_null(strstr(c.warnings.items[0], "ignored"));
  assert_non_null(strstr(c.warnings.items[1], "--zap"));
  pe_cz_free(&c);
}

/* Spin's older Python templates: `-p $(python3 -c '...site...')`, the
 * host's site-packages through the shell; kept whole as one word, and
 * left out with a warning */
static void test_site_packages_substitution_left_out(void **state) {
  (void)state;
  pe_cz_command c;
  char err[512];
  assert_int_equal(
      parse1("componentize-py -w spin-http componentize -p . -p $(python3 -c 'import site; "
             "print(site.getsitepackages()[0])') app -o app.wasm",
             &c, err, sizeof err),
      PE_CZ_OK);
  assert_string_equal(c.module, "app");
  static const char *const want[] = {".", NULL};
  expect_paths(&c, want);
  assert_int_equal(c.warnings.len, 0); /* nothing for the user to change: a note */
  assert_int_equal(c.notes.len, 1);
  assert_non_null(strstr(c.notes.items[0],
                         "-p $(python3 -c 'import site; "
                         "print(site.getsitepackages()[0])') is left out"));
  pe_cz_free(&c);
  /* nested and unterminated */
  pe_strs w = {0};
  assert_true(pe_shell_split("a $(b $(c) \")\") d", &w, NULL, err, sizeof err));
  assert_int_equal(w.len, 3);
  assert_string_equal(w.items[1], "$(b $(c) \")\")");
  pe_strs_free(&w);
  assert_false(pe_shell_split("a $(b (c)", &w, NULL, err, sizeof err));
  assert_non_null(strstr(err, "unterminated $("));
  pe_strs_free(&w);
}

static void test_unknown_option_with_value_is_ambiguous(void **state) {
  (void)state;
  pe_cz_command c;
  char err[512];
  assert_int_equal(parse1("componentize-py componentize --level 3 app", &c, err, sizeof err),
                   PE_CZ_INVALID);
  assert_non_null(strstr(err, "cannot tell the app module"));
  assert_non_null(strstr(err, "unknown option"));
}

static void test_not_componentize_py(void **state) {
  (void)state;
  pe_cz_command c;
  char err[512];
  assert_int_equal(parse1("cargo build --target wasm32-wasip1 --release", &c, err, sizeof err),
                   PE_CZ_NOT_OURS);
  assert_non_null(strstr(err, "cargo build --target wasm32-wasip1 --release"));
  assert_non_null(strstr(err, "not componentize-py"));
  assert_int_equal(parse1("npm run build", &c, err, sizeof err), PE_CZ_NOT_OURS);
  assert_non_null(strstr(err, "'npm run build'"));
  assert_int_equal(parse1("  ", &c, err, sizeof err), PE_CZ_NOT_OURS);
  assert_non_null(strstr(err, "empty"));
  /* componentize-py, but only bindings */
  assert_int_equal(parse1("componentize-py -d wit -w x bindings out", &c, err, sizeof err),
                   PE_CZ_NOT_OURS);
  /* the name inside an argument is not the program */
  assert_int_equal(parse1("echo componentize-py componentize app", &c, err, sizeof err),
                   PE_CZ_NOT_OURS);
}

static void test_other_commands_are_not_run(void **state) {
  (void)state;
  pe_cz_command c;
  char err[512];
  const char *cmds[] = {"pip install -r requirements.txt -t deps",
                        "componentize-py -w spin-http componentize app -p deps -o app.wasm"};
  assert_int_equal(pe_cz_parse(cmds, 2, &c, err, sizeof err), PE_CZ_OK);
  assert_string_equal(c.module, "app");
  expect_paths(&c, (const char *[]){"deps", NULL});
  assert_int_equal(c.warnings.len, 1);
  assert_non_null(strstr(c.warnings.items[0], "'pip install -r requirements.txt -t deps'"));
  assert_non_null(strstr(c.warnings.items[0], "not run"));
  pe_cz_free(&c);

  assert_int_equal(parse1("pip install x; componentize-py componentize web&&echo done", &c, err,
                          sizeof err),
                   PE_CZ_OK);
  assert_string_equal(c.module, "web");
  assert_int_equal(c.warnings.len, 2);
  pe_cz_free(&c);
}

static void test_program_spellings(void **state) {
  (void)state;
  pe_cz_command c;
  char err[512];
  static const char *const cmds[] = {
      "python3 -m componentize_py -w spin-http componentize app -o app.wasm",
      "python -m componentize_py componentize app",
      "/usr/bin/python3.12 -m componentize_py componentize app",
      "venv/bin/componentize-py componentize app",
      "PYTHONPATH=x FOO=1 componentize-py componentize app",
  };
  for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
    if (parse1(cmds[i], &c, err, sizeof err) != PE_CZ_OK) fail_msg("%s: %s", cmds[i], err);
    assert_string_equal(c.module, "app");
    pe_cz_free(&c);
  }
}

static void test_invalid(void **state) {
  (void)state;
  pe_cz_command c;
  char err[512];
  assert_int_equal(parse1("componentize-py componentize", &c, err, sizeof err), PE_CZ_INVALID);
  assert_non_null(strstr(err, "no app module"));
  assert_int_equal(parse1("componentize-py componentize app.py", &c, err, sizeof err),
                   PE_CZ_INVALID);
  assert_non_null(strstr(err, "'app.py'"));
  assert_non_null(strstr(err, "write 'app'"));
  assert_int_equal(parse1("componentize-py componentize 9lives", &c, err, sizeof err),
                   PE_CZ_INVALID);
  assert_int_equal(parse1("componentize-py componentize app -o", &c, err, sizeof err),
                   PE_CZ_INVALID);
  assert_non_null(strstr(err, "-o needs a value"));
  assert_int_equal(parse1("componentize-py componentize 'app", &c, err, sizeof err), PE_CZ_INVALID);
  assert_non_null(strstr(err, "unterminated"));
  assert_int_equal(parse1("componentize-py componentize \"app", &c, err, sizeof err),
                   PE_CZ_INVALID);
  assert_int_equal(parse1("componentize-py componentize a b", &c, err, sizeof err), PE_CZ_INVALID);
}

static void test_shell_split(void **state) {
  (void)state;
  pe_strs w = {0}, ops = {0};
  char err[128];
  assert_true(pe_shell_split("  a 'b c'\"d\"e\\ f ; g&&h || i|j &", &w, &ops, err, sizeof err));
  static const char *const want[] = {"a", "b cde f", ";", "g", "&&", "h", "||", "i", "|", "j", "&"};
  static const bool is_op[] = {0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1};
  assert_int_equal(w.len, sizeof want / sizeof *want);
  for (size_t i = 0; i < w.len; i++) {
    assert_string_equal(w.items[i], want[i]);
    assert_int_equal(ops.items[i][0] != 0, is_op[i]);
  }
  pe_strs_free(&w);
  pe_strs_free(&ops);
  /* quoted operators and empty quotes are words */
  assert_true(pe_shell_split("x ';' \"&&\" ''", &w, NULL, err, sizeof err));
  assert_int_equal(w.len, 4);
  assert_string_equal(w.items[1], ";");
  assert_string_equal(w.items[2], "&&");
  assert_string_equal(w.items[3], "");
  pe_strs_free(&w);
  /* a long command */
  char big[20000];
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = 0;
  big[5000] = ' ';
  assert_true(pe_shell_split(big, &w, NULL, err, sizeof err));
  assert_int_equal(w.len, 2);
  assert_int_equal(strlen(w.items[1]), sizeof big - 1 - 5001);
  pe_strs_free(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_template_v3),
      cmocka_unit_test(test_template_v4_worlds),
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_python_path_repeated_in_order),
      cmocka_unit_test(test_long_options_with_equals),
      cmocka_unit_test(test_quoting),
      cmocka_unit_test(test_unknown_option_warns),
      cmocka_unit_test(test_site_packages_substitution_left_out),
      cmocka_unit_test(test_unknown_option_with_value_is_ambiguous),
      cmocka_unit_test(test_not_componentize_py),
      cmocka_unit_test(test_other_commands_are_not_run),
      cmocka_unit_test(test_program_spellings),
      cmocka_unit_test(test_invalid),
      cmocka_unit_test(test_shell_split),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
