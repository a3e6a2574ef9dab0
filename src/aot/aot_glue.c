/*
 * aot_glue.c -- the module descriptor for a compiled module.
 *
 * Reads the header wasm2c generated for module `mod` and writes glue.c,
 * which defines `pe_module_desc` (see pe_rt.h): the instance size, the
 * init/instantiate/free entry points, the memory export, and one trampoline
 * per callable export that unpacks uint64_t argument slots into the real C
 * signature. The host therefore calls exports by name with a checked
 * signature string and never casts function pointers itself.
 *
 * glue.c also includes the host's import declarations (pe_wasi_abi.h,
 * pe_host_abi.h) after the generated header. If the module imports a host
 * function with a different signature, the two prototypes conflict and the
 * compile fails: a mismatched import never runs.
 *
 * Header lines we read (wasm2c 1.0.32):
 *   / * import: 'MODULE' 'NAME' * /      then its prototype
 *   / * export: 'NAME' * /               then its prototype
 *   void Z_mod_instantiate(Z_mod_instance_t*, struct Z_X_instance_t*, ...);
 */
#include <stdio.h>
#include <string.h>

#include "pe_aot.h"

static const char *const supported_modules[] = {"wasi_snapshot_preview1", "pyedge"};

bool pe_aot_import_module_supported(const char *module) {
  for (size_t i = 0; i < sizeof supported_modules / sizeof *supported_modules; i++)
    if (strcmp(module, supported_modules[i]) == 0) return true;
  return false;
}

/* Next line of text starting at *pos (without newline); false at the end. */
static bool next_line(const char *text, size_t *pos, char *line, size_t cap) {
  if (!text[*pos]) return false;
  const char *s = text + *pos;
  const char *e = strchr(s, '\n');
  size_t n = e ? (size_t)(e - s) : strlen(s);
  *pos += n + (e ? 1 : 0);
  if (n >= cap) n = cap - 1; /* prototypes we need are short; long ones are cut */
  memcpy(line, s, n);
  line[n] = 0;
  return true;
}

/* Parses "'A' 'B'" after a marker into a and b (quotes excluded). */
static int quoted(const char *s, char *a, size_t acap, char *b, size_t bcap) {
  int got = 0;
  char *outs[2] = {a, b};
  size_t caps[2] = {acap, bcap};
  while (got < 2) {
    const char *q = strchr(s, '\'');
    if (!q) break;
    const char *r = strchr(q + 1, '\'');
    if (!r) break;
    size_t n = (size_t)(r - q - 1);
    if (n >= caps[got]) return -1;
    memcpy(outs[got], q + 1, n);
    outs[got][n] = 0;
    got++;
    s = r + 1;
  }
  return got;
}

static char type_code(const char *t, size_t n) {
  if (n == 3 && !memcmp(t, "u32", 3)) return 'i';
  if (n == 3 && !memcmp(t, "u64", 3)) return 'I';
  if (n == 3 && !memcmp(t, "f32", 3)) return 'f';
  if (n == 3 && !memcmp(t, "f64", 3)) return 'F';
  if (n == 4 && !memcmp(t, "void", 4)) return 'v';
  return 0;
}

/* From "RET NAME(Z_mod_instance_t*, T, T);" gets NAME and the signature
 * "params:results". Returns false for exports the host cannot call
 * (memories, globals, tables, multi-value results). */
static bool parse_func_proto(const char *proto, char *name, size_t ncap, char *sig, size_t scap) {
  const char *sp = strchr(proto, ' ');
  const char *lp = strchr(proto, '(');
  if (!sp || !lp || sp > lp) return false;
  char ret = type_code(proto, (size_t)(sp - proto));
  if (!ret) return false;
  size_t nn = (size_t)(lp - sp - 1);
  if (nn >= ncap) return false;
  memcpy(name, sp + 1, nn);
  name[nn] = 0;
  const char *p = strchr(lp, ',');
  size_t k = 0;
  while (p) {
    p++;
    while (*p == ' ') p++;
    const char *e = p;
    while (*e && *e != ',' && *e != ')') e++;
    char c = type_code(p, (size_t)(e - p));
    if (!c || c == 'v' || k + 3 >= scap) return false;
    sig[k++] = c;
    p = *e == ',' ? e : NULL;
  }
  sig[k++] = ':';
  if (ret != 'v') sig[k++] = ret;
  sig[k] = 0;
  return true;
}

/* Kind of an instance-struct field line: 0 memory, 1 funcref table,
 * 2 externref table, 3 import-instance pointer, -1 anything else. */
static int field_kind(const char *line) {
  while (*line == ' ') line++;
  if (strncmp(line, "wasm_rt_memory_t ", 17) == 0) return 0;
  if (strncmp(line, "wasm_rt_funcref_table_t ", 24) == 0) return 1;
  if (strncmp(line, "wasm_rt_externref_table_t ", 26) == 0) return 2;
  if (strncmp(line, "struct Z_", 9) == 0 && strstr(line, "_instance_t* ")) return 3;
  return -1;
}

static bool c_string(pe_buf *b, const char *s) {
  if (!pe_buf_puts(b, "\"")) return false;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    bool ok = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '?')
                  ? pe_buf_append(b, s, 1)
                  : pe_buf_printf(b, "\\%03o", c);
    if (!ok) return false;
  }
  return pe_buf_puts(b, "\"");
}

static const char *c_type(char c) {
  switch (c) {
    case 'i': return "u32";
    case 'I': return "u64";
    case 'f': return "f32";
    default: return "f64";
  }
}

static bool write_trampoline(pe_buf *b, int idx, const char *fn, const char *sig) {
  const char *colon = strchr(sig, ':');
  char ret = colon[1];
  bool ok = pe_buf_printf(b,
                          "static void pe_tramp_%d(void *inst, const uint64_t *a, uint64_t *r) {\n"
                          "  (void)a; (void)r;\n  ",
                          idx);
  if (ret) ok = ok && pe_buf_printf(b, "%s v = ", c_type(ret));
  ok = ok && pe_buf_printf(b, "%s((Z_mod_instance_t *)inst", fn);
  for (const char *p = sig; p < colon; p++)
    ok = ok && pe_buf_printf(b, ", pe_arg_%s(a[%d])", c_type(*p), (int)(p - sig));
  ok = ok && pe_buf_puts(b, ");\n");
  if (ret) ok = ok && pe_buf_printf(b, "  r[0] = pe_res_%s(v);\n", c_type(ret));
  return ok && pe_buf_puts(b, "}\n\n");
}

/* What the header says, gathered as it is read: the pieces of glue.c. */
typedef struct {
  pe_buf trampolines; /* one function per callable export */
  pe_buf exports;     /* pe_export initialisers */
  pe_buf imports;     /* pe_import initialisers */
  pe_buf lay[4];      /* offsetof() lists for the instance layout, by field kind */
  int nlay[4];
  int nexports, nimports;
  char memory_fn[512];         /* the memory export's accessor; "" if none */
  char instantiate_args[2048]; /* Z_mod_instantiate's arguments after the instance */
} glue_parts;

static void free_glue_parts(glue_parts *g) {
  for (int k = 0; k < 4; k++) pe_buf_free(&g->lay[k]);
  pe_buf_free(&g->trampolines);
  pe_buf_free(&g->exports);
  pe_buf_free(&g->imports);
}

/* A line inside the instance struct: a field whose pointer a clone rewrites
 * (field_kind) joins the offsetof() list of its kind. False: out of memory. */
static bool note_field(glue_parts *g, const char *line) {
  int kind = field_kind(line);
  if (kind < 0) return true;
  const char *name = strrchr(line, ' ');
  size_t nn = name ? strlen(name + 1) : 0;
  if (nn < 2 || name[nn] != ';') return true;
  bool ok =
      pe_buf_printf(&g->lay[kind], "offsetof(Z_mod_instance_t, %.*s), ", (int)(nn - 1), name + 1);
  g->nlay[kind]++;
  return ok;
}

/* The quoted 'MODULE' 'NAME' of an import line. False: a module pyedge does
 * not provide (err names the import), or out of memory (err untouched). */
static bool note_import(glue_parts *g, const char *quotes, char *err, size_t errlen) {
  char module[512], name[512];
  if (quoted(quotes, module, sizeof module, name, sizeof name) != 2) return true;
  if (!pe_aot_import_module_supported(module)) {
    snprintf(err, errlen,
             "the module imports '%s' '%s'; pyedge provides only WASI preview1 "
             "(wasi_snapshot_preview1) and pyedge host functions",
             module, name);
    return false;
  }
  bool ok = pe_buf_puts(&g->imports, "  {") && c_string(&g->imports, module) &&
            pe_buf_puts(&g->imports, ", ") && c_string(&g->imports, name) &&
            pe_buf_puts(&g->imports, "},\n");
  g->nimports++;
  return ok;
}

/* The memory the host sees is the export named "memory", else the first
 * memory exported; proto is "wasm_rt_memory_t* FN(...);". */
static void note_memory_export(glue_parts *g, const char *export_name, const char *proto) {
  if (g->memory_fn[0] && strcmp(export_name, "memory") != 0) return;
  const char *lp = strchr(proto, '(');
  size_t nn = lp ? (size_t)(lp - proto - 18) : 0;
  if (nn && nn < sizeof g->memory_fn) {
    memcpy(g->memory_fn, proto + 18, nn);
    g->memory_fn[nn] = 0;
  }
}

/* The quoted 'NAME' of an export line, whose prototype is the header's next
 * line (read here). False: out of memory. */
static bool note_export(glue_parts *g, const char *quotes, const char *header, size_t *pos) {
  char export_name[512], unused[512], proto[4096], fn[512], sig[256];
  if (quoted(quotes, export_name, sizeof export_name, unused, sizeof unused) < 1) return true;
  /* the header ends here: there is nothing left to describe */
  if (!next_line(header, pos, proto, sizeof proto)) return true;
  if (strncmp(proto, "wasm_rt_memory_t* ", 18) == 0) {
    note_memory_export(g, export_name, proto);
    return true;
  }
  if (!parse_func_proto(proto, fn, sizeof fn, sig, sizeof sig)) return true;
  bool ok = write_trampoline(&g->trampolines, g->nexports, fn, sig) &&
            pe_buf_puts(&g->exports, "  {") && c_string(&g->exports, export_name) &&
            pe_buf_printf(&g->exports, ", \"%s\", pe_tramp_%d},\n", sig, g->nexports);
  g->nexports++;
  return ok;
}

/* From the parameters of "void Z_mod_instantiate(Z_mod_instance_t*, struct
 * Z_X_instance_t*, ...);": one `host` argument per import module, cast to
 * its struct type. */
static bool note_instantiate(glue_parts *g, const char *params, char *err, size_t errlen) {
  char *args = g->instantiate_args;
  size_t cap = sizeof g->instantiate_args, k = 0;
  for (const char *p = params; (p = strstr(p, ", struct ")) != NULL;) {
    p += 2;
    const char *e = strchr(p, '*');
    if (!e) break;
    int w = snprintf(args + k, cap - k, ", (%.*s*)host", (int)(e - p), p);
    if (w < 0 || (size_t)w >= cap - k) {
      snprintf(err, errlen, "too many import modules");
      return false;
    }
    k += (size_t)w;
    p = e;
  }
  return true;
}

/* Reads the generated header into g. False: an import refused or too many
 * import modules (err says which), or out of memory (err untouched). */
static bool read_header(const char *header, glue_parts *g, char *err, size_t errlen) {
  char line[4096];
  bool in_struct = false, ok = true;
  size_t pos = 0;
  while (ok && next_line(header, &pos, line, sizeof line)) {
    if (strcmp(line, "typedef struct Z_mod_instance_t {") == 0)
      in_struct = true;
    else if (in_struct && line[0] == '}')
      in_struct = false;
    else if (in_struct)
      ok = note_field(g, line);
    else if (strncmp(line, "/* import: ", 11) == 0)
      ok = note_import(g, line + 11, err, errlen);
    else if (strncmp(line, "/* export: ", 11) == 0)
      ok = note_export(g, line + 11, header, &pos);
    else if (strncmp(line, "void Z_mod_instantiate(Z_mod_instance_t*", 40) == 0)
      ok = note_instantiate(g, line + 40, err, errlen);
  }
  return ok;
}

/* The includes and the argument and result conversions the trampolines use. */
static bool write_prelude(pe_buf *out, const char *header_file) {
  return pe_buf_printf(out,
                       "/* generated by pyedge: the descriptor of this compiled module */\n"
                       "#include \"%s\"\n#include \"pe_wasi_abi.h\"\n#include \"pe_host_abi.h\"\n"
                       "#include \"pe_rt.h\"\n\n"
                       "static inline u32 pe_arg_u32(uint64_t v) { return (u32)v; }\n"
                       "static inline u64 pe_arg_u64(uint64_t v) { return v; }\n"
                       "static inline f32 pe_arg_f32(uint64_t v) { u32 b = (u32)v; f32 f; "
                       "memcpy(&f, &b, 4); return f; }\n"
                       "static inline f64 pe_arg_f64(uint64_t v) { f64 f; memcpy(&f, &v, 8); "
                       "return f; }\n"
                       "static inline uint64_t pe_res_u32(u32 v) { return v; }\n"
                       "static inline uint64_t pe_res_u64(u64 v) { return v; }\n"
                       "static inline uint64_t pe_res_f32(f32 v) { u32 b; memcpy(&b, &v, 4); "
                       "return b; }\n"
                       "static inline uint64_t pe_res_f64(f64 v) { uint64_t b; memcpy(&b, &v, 8); "
                       "return b; }\n\n",
                       header_file);
}

/* pe_instantiate, pe_free and, for a module exporting a memory, pe_memory. */
static bool write_entry_points(pe_buf *out, const glue_parts *g) {
  bool ok = pe_buf_printf(out,
                          "static void pe_instantiate(void *inst, void *host) {\n"
                          "  (void)host;\n  Z_mod_instantiate((Z_mod_instance_t *)inst%s);\n}\n"
                          "static void pe_free(void *inst) { "
                          "Z_mod_free((Z_mod_instance_t *)inst); }\n",
                          g->instantiate_args);
  if (g->memory_fn[0])
    ok = ok && pe_buf_printf(out,
                             "static wasm_rt_memory_t *pe_memory(void *inst) { return %s("
                             "(Z_mod_instance_t *)inst); }\n",
                             g->memory_fn);
  return ok;
}

/* The export, import and instance-layout arrays, each ending in a zero. */
static bool write_tables(pe_buf *out, const glue_parts *g) {
  static const char *const lay_names[4] = {"pe_lay_mem", "pe_lay_ftab", "pe_lay_etab",
                                           "pe_lay_imp"};
  bool ok = pe_buf_printf(out, "static const pe_export pe_exports[] = {\n%s  {0, 0, 0}\n};\n",
                          g->exports.data ? g->exports.data : "") &&
            pe_buf_printf(out, "static const pe_import pe_imports[] = {\n%s  {0, 0}\n};\n",
                          g->imports.data ? g->imports.data : "") &&
            pe_buf_puts(out, "#include <stddef.h>\n");
  for (int k = 0; k < 4; k++)
    ok = ok && pe_buf_printf(out, "static const uint32_t %s[] = {%s0};\n", lay_names[k],
                             g->lay[k].data ? g->lay[k].data : "");
  return ok;
}

/* pe_module_descriptor, the one symbol the runtime looks up. */
static bool write_descriptor(pe_buf *out, const glue_parts *g) {
  return pe_buf_printf(out,
                       "__attribute__((visibility(\"default\")))\n"
                       "const pe_module_desc pe_module_descriptor = {\n"
                       "  PE_MODULE_ABI_VERSION, sizeof(Z_mod_instance_t), Z_mod_init_module,\n"
                       "  pe_instantiate, pe_free, %s, %d, pe_exports, %d, pe_imports,\n"
                       "  {%d, %d, %d, %d, pe_lay_mem, pe_lay_ftab, pe_lay_etab, pe_lay_imp}\n};\n",
                       g->memory_fn[0] ? "pe_memory" : "0", g->nexports, g->nimports, g->nlay[0],
                       g->nlay[1], g->nlay[2], g->nlay[3]);
}

static bool write_glue(pe_buf *out, const char *header_file, const glue_parts *g) {
  const pe_buf *t = &g->trampolines;
  return write_prelude(out, header_file) && pe_buf_append(out, t->data ? t->data : "", t->len) &&
         write_entry_points(out, g) && write_tables(out, g) && write_descriptor(out, g);
}

bool pe_aot_glue(const char *header, const char *header_file, pe_buf *out, char *err,
                 size_t errlen) {
  glue_parts g = {0};
  bool ok = read_header(header, &g, err, errlen);
  if (ok) {
    ok = write_glue(out, header_file, &g);
    if (!ok) snprintf(err, errlen, "out of memory writing glue");
  }
  free_glue_parts(&g);
  return ok;
}
