/*
 * test_aot_split.c -- cutting wasm2c output into parts, and the glue that
 * describes a module, on small texts in wasm2c 1.0.32's shape.
 */
#include "pe_test.h"

#include <string.h>

#include "aot/pe_aot.h"

static const char generated[] =
    "#include \"mod.h\"\n"
    "#define FUNC_PROLOGUE\n"
    "static u32 func_types[2];\n"
    "static void init_func_types(void) {\n"
    "  func_types[0] = wasm_rt_register_func_type(0, 0);\n"
    "}\n"
    "static void w2c_a(Z_mod_instance_t*);\n"
    "static u32 w2c_b(Z_mod_instance_t*, u32, u32, u32, u32, u32, u32, u32,\n"
    "    u32);\n"
    "static void init_globals(Z_mod_instance_t* instance) {\n"
    "}\n"
    "static const u8 data_segment_data_w2c_d0[] = {\n"
    "  0x68, 0x69,\n"
    "};\n"
    "\n"
    "static void w2c_a(Z_mod_instance_t* instance) {\n"
    "  FUNC_PROLOGUE;\n"
    "  w2c_b(instance, 1, 2, 3, 4, 5, 6, 7, 8);\n"
    "}\n"
    "\n"
    "static u32 w2c_b(Z_mod_instance_t* instance, u32 w2c_p0, u32 w2c_p1, u32 w2c_p2,\n"
    "    u32 w2c_p3, u32 w2c_p4, u32 w2c_p5, u32 w2c_p6, u32 w2c_p7) {\n"
    "  FUNC_PROLOGUE;\n"
    "  i32_store8(&instance->w2c_memory, (u64)(w2c_p1), i64_load(&instance->w2c_memory, 8u));\n"
    "  memory_fill(&instance->w2c_memory, 0, 0, 1);\n"
    "  return w2c_p0 + data_segment_data_w2c_d0[0];\n"
    "}\n"
    "\n"
    "/* export: 'a' */\n"
    "void Z_modZ_a(Z_mod_instance_t* instance) {\n"
    "  return w2c_a(instance);\n"
    "}\n";

static void test_split_two_parts(void **state) {
  (void)state;
  pe_buf parts[4];
  memset(parts, 0, sizeof parts);
  char err[256];
  int n = pe_aot_split(generated, sizeof generated - 1, 2, parts, err, sizeof err);
  assert_int_equal(n, 2);
  /* every function and the segment lose `static` so other parts can use them */
  assert_non_null(strstr(parts[0].data, "\nu32 func_types[2];"));
  assert_non_null(strstr(parts[1].data, "extern u32 func_types[2];"));
  assert_non_null(strstr(parts[0].data, "\nconst u8 data_segment_data_w2c_d0[] = {"));
  assert_non_null(strstr(parts[1].data, "extern const u8 data_segment_data_w2c_d0[];"));
  assert_null(strstr(parts[1].data, "0x68, 0x69"));
  /* the wrapped declaration and definition were treated as one line each */
  assert_non_null(
      strstr(parts[1].data,
             "\nu32 w2c_b(Z_mod_instance_t*, u32, u32, u32, u32, u32, u32, u32,\n    u32);"));
  assert_null(strstr(parts[0].data, "static u32 w2c_b"));
  assert_null(strstr(parts[1].data, "static u32 w2c_b"));
  /* each body is in exactly one part */
  int a0 = strstr(parts[0].data, "void w2c_a(Z_mod_instance_t* instance) {") != NULL;
  int a1 = strstr(parts[1].data, "void w2c_a(Z_mod_instance_t* instance) {") != NULL;
  int b0 = strstr(parts[0].data, "return w2c_p0 +") != NULL;
  int b1 = strstr(parts[1].data, "return w2c_p0 +") != NULL;
  assert_int_equal(a0 + a1, 1);
  assert_int_equal(b0 + b1, 1);
  assert_true(a0 != b0);
  /* the exports and initialisers stay in part 0 */
  assert_non_null(strstr(parts[0].data, "void Z_modZ_a("));
  assert_null(strstr(parts[1].data, "void Z_modZ_a("));
  assert_null(strstr(parts[1].data, "init_globals"));
  for (int i = 0; i < 4; i++) pe_buf_free(&parts[i]);
}

/* pe_module_tables_fixed is defined only when no body changes a table; the
 * table set up by the initialisers and memory.grow do not count. */
static void test_split_marks_fixed_tables(void **state) {
  (void)state;
  static const char *const changers[] = {
      "  funcref_table_set(&instance->w2c_T0, w2c_i0, w2c_r1);\n",
      "  w2c_i0 = wasm_rt_grow_funcref_table(&instance->w2c_T0, w2c_i1, w2c_r0);\n",
      "  w2c_i0 = wasm_rt_grow_externref_table(&instance->w2c_T1, w2c_i1, w2c_r0);\n",
      "  funcref_table_fill(&instance->w2c_T0, w2c_i0, w2c_r1, w2c_i2);\n",
      "  funcref_table_copy(&instance->w2c_T0, &instance->w2c_T0, w2c_i0, w2c_i1, w2c_i2);\n",
      "  funcref_table_init(&instance->w2c_T0, elem_segment_exprs_w2c_e0, 2, w2c_i0, w2c_i1, "
      "w2c_i2, instance, func_types);\n",
      "  externref_table_set(&instance->w2c_T1, w2c_i0, w2c_r1);\n",
  };
  const char *marker = "const int pe_module_tables_fixed = 1;";
  const char *body = "  memory_fill(&instance->w2c_memory, 0, 0, 1);\n";
  for (size_t i = 0; i <= sizeof changers / sizeof changers[0]; i++) {
    /* the body line of w2c_b replaced by a table change (or, last, by a
     * memory.grow: not a change) */
    const char *line = i < sizeof changers / sizeof changers[0]
                           ? changers[i]
                           : "  w2c_i0 = wasm_rt_grow_memory(&instance->w2c_memory, w2c_i0);\n";
    const char *at = strstr(generated, body);
    assert_non_null(at);
    pe_buf text = {0};
    assert_true(pe_buf_append(&text, generated, (size_t)(at - generated)));
    assert_true(pe_buf_puts(&text, line));
    assert_true(pe_buf_puts(&text, at + strlen(body)));
    for (int nparts = 1; nparts <= 2; nparts++) {
      pe_buf parts[2];
      memset(parts, 0, sizeof parts);
      char err[256];
      assert_int_equal(pe_aot_split((const char *)text.data, text.len, nparts, parts, err,
                                    sizeof err),
                       nparts);
      bool fixed = strstr((const char *)parts[0].data, marker) != NULL;
      if (fixed != (i == sizeof changers / sizeof changers[0]))
        fail_msg("%s: tables %s", line, fixed ? "marked fixed" : "not marked fixed");
      if (nparts == 2) assert_null(strstr((const char *)parts[1].data, marker));
      for (int k = 0; k < 2; k++) pe_buf_free(&parts[k]);
    }
    pe_buf_free(&text);
  }
}

static void test_split_bases_memory_accesses(void **state) {
  (void)state;
  pe_buf parts[1];
  memset(parts, 0, sizeof parts);
  char err[256];
  assert_int_equal(pe_aot_split(generated, sizeof generated - 1, 1, parts, err, sizeof err), 1);
  const char *t = parts[0].data;
  assert_non_null(strstr(t, "i32_store8_b(pe_mb, (u64)(w2c_p1), i64_load_b(pe_mb, 8u));"));
  /* not a load or store: left alone */
  assert_non_null(strstr(t, "memory_fill(&instance->w2c_memory, 0, 0, 1);"));
  /* the base is taken once, only where memory is used */
  const char *b = strstr(t, "u32 w2c_b(Z_mod_instance_t* instance");
  assert_non_null(b);
  assert_non_null(strstr(b, "{\n  u8 *const pe_mb = instance->w2c_memory.data;\n  FUNC_PROLOGUE;"));
  const char *a = strstr(t, "void w2c_a(Z_mod_instance_t* instance) {\n");
  assert_non_null(a);
  assert_memory_equal(a + strlen("void w2c_a(Z_mod_instance_t* instance) {\n"), "  FUNC_PROLOGUE;",
                      15);
  assert_non_null(strstr(t, "PE_LOAD_B(i64_load, u64, u64, u64)"));
  pe_buf_free(&parts[0]);
}

static void test_split_one_part_keeps_everything(void **state) {
  (void)state;
  pe_buf parts[1];
  memset(parts, 0, sizeof parts);
  char err[256];
  assert_int_equal(pe_aot_split(generated, sizeof generated - 1, 1, parts, err, sizeof err), 1);
  assert_non_null(strstr(parts[0].data, "void w2c_a(Z_mod_instance_t* instance) {"));
  assert_non_null(strstr(parts[0].data, "return w2c_p0 +"));
  assert_non_null(strstr(parts[0].data, "0x68, 0x69"));
  pe_buf_free(&parts[0]);
}

static void test_split_more_parts_than_functions(void **state) {
  (void)state;
  pe_buf parts[8];
  memset(parts, 0, sizeof parts);
  char err[256];
  assert_int_equal(pe_aot_split(generated, sizeof generated - 1, 8, parts, err, sizeof err), 2);
  for (int i = 0; i < 8; i++) pe_buf_free(&parts[i]);
}

static void test_split_rejects_unterminated_function(void **state) {
  (void)state;
  static const char bad[] =
      "static void w2c_a(Z_mod_instance_t*);\n"
      "static void w2c_a(Z_mod_instance_t* instance) {\n"
      "  return;\n";
  pe_buf parts[2];
  memset(parts, 0, sizeof parts);
  char err[256] = "";
  assert_int_equal(pe_aot_split(bad, sizeof bad - 1, 2, parts, err, sizeof err), 0);
  assert_non_null(strstr(err, "does not end"));
  for (int i = 0; i < 2; i++) pe_buf_free(&parts[i]);
}

static void test_split_rejects_bodies_without_declarations(void **state) {
  (void)state;
  static const char bad[] = "static void w2c_a(Z_mod_instance_t* instance) {\n}\n";
  pe_buf parts[2];
  memset(parts, 0, sizeof parts);
  char err[256] = "";
  assert_int_equal(pe_aot_split(bad, sizeof bad - 1, 2, parts, err, sizeof err), 0);
  assert_non_null(strstr(err, "no forward declarations"));
  for (int i = 0; i < 2; i++) pe_buf_free(&parts[i]);
}

static const char header[] =
    "struct Z_wasi_snapshot_preview1_instance_t;\n"
    "struct Z_pyedge_instance_t;\n"
    "void Z_mod_instantiate(Z_mod_instance_t*, struct Z_pyedge_instance_t*, "
    "struct Z_wasi_snapshot_preview1_instance_t*);\n"
    "/* import: 'pyedge' 'log' */\n"
    "void Z_pyedgeZ_log(struct Z_pyedge_instance_t*, u32, u32, u32);\n"
    "/* import: 'wasi_snapshot_preview1' 'fd_write' */\n"
    "u32 Z_wasi_snapshot_preview1Z_fd_write(struct Z_wasi_snapshot_preview1_instance_t*, u32, "
    "u32, u32, u32);\n"
    "/* export: 'memory' */\n"
    "wasm_rt_memory_t* Z_modZ_memory(Z_mod_instance_t* instance);\n"
    "/* export: '_start' */\n"
    "void Z_modZ__start(Z_mod_instance_t*);\n"
    "/* export: 'mix' */\n"
    "f64 Z_modZ_mix(Z_mod_instance_t*, u32, u64, f32, f64);\n"
    "/* export: 'counter' */\n"
    "u32* Z_modZ_counter(Z_mod_instance_t* instance);\n";

static void test_glue_describes_exports_and_imports(void **state) {
  (void)state;
  pe_buf out = {0};
  char err[256];
  assert_true(pe_aot_glue(header, "mod.h", &out, err, sizeof err));
  assert_non_null(strstr(out.data, "{\"_start\", \":\", pe_tramp_0}"));
  assert_non_null(strstr(out.data, "{\"mix\", \"iIfF:F\", pe_tramp_1}"));
  assert_null(strstr(out.data, "\"counter\"")); /* a global: not callable */
  assert_non_null(strstr(out.data, "{\"pyedge\", \"log\"}"));
  assert_non_null(strstr(out.data, "{\"wasi_snapshot_preview1\", \"fd_write\"}"));
  assert_non_null(strstr(out.data, "return Z_modZ_memory("));
  assert_non_null(strstr(out.data,
                         "(struct Z_pyedge_instance_t*)host, "
                         "(struct Z_wasi_snapshot_preview1_instance_t*)host"));
  assert_non_null(strstr(out.data, "pe_module_descriptor"));
  pe_buf_free(&out);
}

static void test_glue_refuses_unknown_import_module(void **state) {
  (void)state;
  static const char bad[] =
      "/* import: 'env' 'system' */\n"
      "u32 Z_envZ_system(struct Z_env_instance_t*, u32);\n";
  pe_buf out = {0};
  char err[256] = "";
  assert_false(pe_aot_glue(bad, "mod.h", &out, err, sizeof err));
  assert_non_null(strstr(err, "'env' 'system'"));
  pe_buf_free(&out);
}

static void test_glue_escapes_export_names(void **state) {
  (void)state;
  static const char hdr[] =
      "/* export: 'a\"b\\\\c' */\n"
      "void Z_modZ_weird(Z_mod_instance_t*);\n";
  pe_buf out = {0};
  char err[256];
  assert_true(pe_aot_glue(hdr, "mod.h", &out, err, sizeof err));
  assert_non_null(strstr(out.data, "{\"a\\042b\\134\\134c\", \":\""));
  pe_buf_free(&out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_split_two_parts),
      cmocka_unit_test(test_split_marks_fixed_tables),
      cmocka_unit_test(test_split_bases_memory_accesses),
      cmocka_unit_test(test_split_one_part_keeps_everything),
      cmocka_unit_test(test_split_more_parts_than_functions),
      cmocka_unit_test(test_split_rejects_unterminated_function),
      cmocka_unit_test(test_split_rejects_bodies_without_declarations),
      cmocka_unit_test(test_glue_describes_exports_and_imports),
      cmocka_unit_test(test_glue_refuses_unknown_import_module),
      cmocka_unit_test(test_glue_escapes_export_names),
  };
  return cmocka_run_group_tests_name("aot", tests, NULL, NULL);
}
