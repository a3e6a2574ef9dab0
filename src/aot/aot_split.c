/*
 * aot_split.c -- cut wasm2c's single C file into parts.
 *
 * wasm2c 1.0.32 writes one file: a preamble (includes, macros, inline
 * helpers), `static u32 func_types[N]`, forward declarations of every
 * function (`static <ret> w2c_<name>(...);`), then the initialisers with the
 * data and element segments, then every function body, then the exports and
 * instantiate/free. CPython's is ~70 MB; as one translation unit it takes
 * minutes and gigabytes to compile, so we cut it:
 *
 *   head  = preamble through the last forward declaration
 *   init  = from there to the first function body (segments, init_*)
 *   funcs = the function bodies (contiguous, each ends with a line "}")
 *   tail  = exports, instantiate, free
 *
 * Part 0 is head + init + its bodies + tail; parts 1..n-1 are head + extern
 * declarations of the segment arrays + their bodies. For functions and
 * arrays to be shared between parts they lose `static`; the compiler runs
 * with -fvisibility=hidden so nothing leaks out of the shared object.
 *
 * Memory base in a local. Generated loads and stores take the memory struct
 * and read mem->data on every access; since wasm stores write bytes that
 * could, as far as the C compiler knows, alias that field, it reloads it
 * after every store. pyedge's memories never move (rt_memory.c reserves
 * the whole address range up front), so each function body that touches
 * memory gets `u8 *const pe_mb = instance->w2c_memory.data;` and its
 * accesses become base+offset helpers (`i32_load_b(pe_mb, a)`) with the
 * same semantics as wasm2c's own (guard pages do the bounds checking).
 *
 * Fixed tables. When no function body changes a table (table.set, .grow,
 * .fill, .copy, .init -- CPython's never does), part 0 also defines
 * `pe_module_tables_fixed`: the runtime then knows a clone's tables still
 * equal the snapshot's and skips copying them back on every reset (a
 * 4,500-entry copy and pointer fix-up, ~7% of a request).
 *
 * The format is checked as we go; anything unexpected is an error naming the
 * line, not a silently wrong split.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pe_aot.h"

typedef struct {
  const char *p;
  size_t len; /* without the newline */
} line_t;

static bool starts(line_t l, const char *s) {
  size_t n = strlen(s);
  return l.len >= n && memcmp(l.p, s, n) == 0;
}

static bool ends(line_t l, const char *s) {
  size_t n = strlen(s);
  return l.len >= n && memcmp(l.p + l.len - n, s, n) == 0;
}

static bool contains(line_t l, const char *s) {
  size_t n = strlen(s);
  if (l.len < n) return false;
  for (size_t i = 0; i + n <= l.len; i++)
    if (memcmp(l.p + i, s, n) == 0) return true;
  return false;
}

/* "static <type> w2c_<name>(<params>)" followed by ";" or " {" */
static bool is_func_line(line_t l, const char *suffix) {
  return starts(l, "static ") && contains(l, " w2c_") && contains(l, "(") && ends(l, suffix);
}

/* "static const <type> <name>[] = {" */
static bool is_segment_line(line_t l) { return starts(l, "static const ") && ends(l, "[] = {"); }

/* base+offset twins of wasm2c's DEFINE_LOAD / DEFINE_STORE helpers */
static const char base_helpers[] =
    "#define PE_LOAD_B(name, t1, t2, t3) static inline t3 name##_b(u8 *b, u64 a) { "
    "t1 r; wasm_rt_memcpy(&r, b + a, sizeof(t1)); __asm__(\"\" ::\"r\"(r)); "
    "return (t3)(t2)r; }\n"
    "#define PE_STORE_B(name, t1, t2) static inline void name##_b(u8 *b, u64 a, t2 v) { "
    "t1 w = (t1)v; wasm_rt_memcpy(b + a, &w, sizeof(t1)); }\n"
    "PE_LOAD_B(i32_load, u32, u32, u32)\nPE_LOAD_B(i64_load, u64, u64, u64)\n"
    "PE_LOAD_B(f32_load, f32, f32, f32)\nPE_LOAD_B(f64_load, f64, f64, f64)\n"
    "PE_LOAD_B(i32_load8_s, s8, s32, u32)\nPE_LOAD_B(i64_load8_s, s8, s64, u64)\n"
    "PE_LOAD_B(i32_load8_u, u8, u32, u32)\nPE_LOAD_B(i64_load8_u, u8, u64, u64)\n"
    "PE_LOAD_B(i32_load16_s, s16, s32, u32)\nPE_LOAD_B(i64_load16_s, s16, s64, u64)\n"
    "PE_LOAD_B(i32_load16_u, u16, u32, u32)\nPE_LOAD_B(i64_load16_u, u16, u64, u64)\n"
    "PE_LOAD_B(i64_load32_s, s32, s64, u64)\nPE_LOAD_B(i64_load32_u, u32, u64, u64)\n"
    "PE_STORE_B(i32_store, u32, u32)\nPE_STORE_B(i64_store, u64, u64)\n"
    "PE_STORE_B(f32_store, f32, f32)\nPE_STORE_B(f64_store, f64, f64)\n"
    "PE_STORE_B(i32_store8, u8, u32)\nPE_STORE_B(i32_store16, u16, u32)\n"
    "PE_STORE_B(i64_store8, u8, u64)\nPE_STORE_B(i64_store16, u16, u64)\n"
    "PE_STORE_B(i64_store32, u32, u64)\n";

static const char mem_arg[] = "(&instance->w2c_memory, ";

/* Is p[0..n) one of the load/store helper names ([if](32|64)_(load|store)...)? */
static bool is_access_helper(const char *p, size_t n) {
  if (n < 7 || (p[0] != 'i' && p[0] != 'f')) return false;
  if (memcmp(p + 1, "32_", 3) != 0 && memcmp(p + 1, "64_", 3) != 0) return false;
  return (n >= 8 && memcmp(p + 4, "load", 4) == 0) || (n >= 9 && memcmp(p + 4, "store", 5) == 0);
}

static bool is_ident(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Emits a body line with every helper(&instance->w2c_memory, x) rewritten
 * to helper_b(pe_mb, x). */
static bool emit_based(pe_buf *b, line_t l) {
  size_t n = sizeof mem_arg - 1, from = 0;
  for (size_t i = 0; i + n <= l.len; i++) {
    if (l.p[i] != '(' || memcmp(l.p + i, mem_arg, n) != 0) continue;
    size_t s = i;
    while (s > 0 && is_ident(l.p[s - 1])) s--;
    if (!is_access_helper(l.p + s, i - s)) continue;
    if (!pe_buf_append(b, l.p + from, i - from) || !pe_buf_puts(b, "_b(pe_mb, ")) return false;
    from = i + n;
    i = from - 1;
  }
  return pe_buf_append(b, l.p + from, l.len - from) && pe_buf_puts(b, "\n");
}

/* A line of a function body that changes a table (see the top comment). */
static bool changes_table(line_t l) {
  return contains(l, "_table_set(&") || contains(l, "_table_fill(&") ||
         contains(l, "_table_copy(&") || contains(l, "_table_init(&") ||
         contains(l, "wasm_rt_grow_funcref_table(") || contains(l, "wasm_rt_grow_externref_table(");
}

static bool emit(pe_buf *b, line_t l) {
  return pe_buf_append(b, l.p, l.len) && pe_buf_puts(b, "\n");
}

/* Emits l without its leading "static ". */
static bool emit_unstatic(pe_buf *b, line_t l) {
  line_t r = {l.p + 7, l.len - 7};
  return emit(b, r);
}

/* "static const T name[] = {" -> "extern const T name[];" */
static bool emit_extern_decl(pe_buf *b, line_t l) {
  line_t r = {l.p + 7, l.len - 7 - strlen(" = {")};
  return pe_buf_puts(b, "extern ") && pe_buf_append(b, r.p, r.len) && pe_buf_puts(b, ";\n");
}

static int paren_balance(line_t l) {
  int b = 0;
  for (size_t i = 0; i < l.len; i++) b += (l.p[i] == '(') - (l.p[i] == ')');
  return b;
}

/* wasm2c wraps long parameter lists over several lines. A declaration or
 * definition that starts with "static " and leaves a parenthesis open takes
 * the following lines into one logical line (they are contiguous in the
 * text, so the logical line is still a plain span). */
static size_t join_wrapped(line_t *lines, size_t n) {
  size_t out = 0;
  for (size_t i = 0; i < n; i++) {
    line_t l = lines[i];
    if (starts(l, "static ")) {
      int b = paren_balance(l);
      while (b > 0 && i + 1 < n) {
        i++;
        b += paren_balance(lines[i]);
        l.len = (size_t)(lines[i].p + lines[i].len - l.p);
      }
    }
    lines[out++] = l;
  }
  return out;
}

/* The text's lines, wrapped ones joined (join_wrapped); *n of them. NULL when
 * out of memory. */
static line_t *logical_lines(const char *text, size_t len, size_t *n) {
  size_t nlines = 0;
  for (size_t i = 0; i < len; i++)
    if (text[i] == '\n') nlines++;
  line_t *lines = malloc((nlines + 1) * sizeof *lines);
  if (!lines) return NULL;
  size_t k = 0;
  for (size_t i = 0, s = 0; i <= len; i++) {
    if (i == len || text[i] == '\n') {
      if (i > s || i < len) lines[k++] = (line_t){text + s, i - s};
      s = i + 1;
    }
  }
  *n = join_wrapped(lines, k);
  return lines;
}

/* Where the sections of the file (see the top) lie, in logical lines. */
typedef struct {
  bool have_decl;
  size_t last_decl;  /* the last forward declaration */
  size_t first_body; /* the first line of the first function body */
  size_t body_end;   /* the first line after the bodies: the tail */
  size_t nfuncs, body_bytes;
} sections;

/* Finds the first function body and the last forward declaration before it;
 * false when the file has no function body at all. */
static bool find_first_body(const line_t *lines, size_t n, sections *s) {
  for (size_t i = 0; i < n; i++) {
    if (is_func_line(lines[i], ");")) {
      s->last_decl = i;
      s->have_decl = true;
    } else if (is_func_line(lines[i], ") {")) {
      s->first_body = i;
      return true;
    }
  }
  return false;
}

/* The line "}" that closes the function body opening at line i, or end if
 * none does before it. */
static size_t body_close(const line_t *lines, size_t i, size_t end) {
  size_t j = i + 1;
  while (j < end && !(lines[j].len == 1 && lines[j].p[0] == '}')) j++;
  return j;
}

/* Checks that forward declarations come first and measures the bodies: runs
 * of "static ... w2c_...) {" ... "}" separated by blank lines. False, with
 * err naming the line, for output of another shape. */
static bool measure_bodies(const line_t *lines, size_t n, sections *s, char *err, size_t errlen) {
  if (!s->have_decl || s->last_decl > s->first_body) {
    snprintf(err, errlen, "unexpected wasm2c output: no forward declarations before line %zu",
             s->first_body + 1);
    return false;
  }
  size_t i = s->first_body;
  while (i < n) {
    if (lines[i].len == 0) {
      i++;
      continue;
    }
    if (!is_func_line(lines[i], ") {")) break;
    size_t j = body_close(lines, i, n);
    if (j == n) {
      snprintf(err, errlen, "unexpected wasm2c output: function at line %zu does not end", i + 1);
      return false;
    }
    s->body_bytes += (size_t)(lines[j].p - lines[i].p);
    s->nfuncs++;
    i = j + 1;
  }
  s->body_end = i;
  return true;
}

/* The preamble through the last forward declaration, in every part: functions
 * lose `static`, func_types is defined in part 0 and declared elsewhere; then
 * the base+offset helpers. */
static bool write_heads(const line_t *lines, const sections *s, int nparts, pe_buf *parts) {
  for (int p = 0; p < nparts; p++) {
    for (size_t k = 0; k <= s->last_decl; k++) {
      line_t l = lines[k];
      bool ok;
      if (starts(l, "static u32 func_types["))
        ok = p == 0 ? emit_unstatic(&parts[p], l)
                    : (pe_buf_puts(&parts[p], "extern ") && emit_unstatic(&parts[p], l));
      else if (is_func_line(l, ");"))
        ok = emit_unstatic(&parts[p], l);
      else
        ok = emit(&parts[p], l);
      if (!ok) return false;
    }
  }
  for (int p = 0; p < nparts; p++)
    if (!pe_buf_puts(&parts[p], base_helpers)) return false;
  return true;
}

/* The initialisers, whole in part 0; the segment arrays they define are
 * declared extern in the other parts. */
static bool write_init(const line_t *lines, const sections *s, int nparts, pe_buf *parts) {
  for (size_t k = s->last_decl + 1; k < s->first_body; k++) {
    line_t l = lines[k];
    if (!is_segment_line(l)) {
      if (!emit(&parts[0], l)) return false;
      continue;
    }
    if (!emit_unstatic(&parts[0], l)) return false;
    for (int p = 1; p < nparts; p++)
      if (!emit_extern_decl(&parts[p], l)) return false;
  }
  return true;
}

/* The first line of the body from line k to its closing line j, without
 * `static`, then the memory base in a local if the body touches memory. */
static bool write_body_start(pe_buf *b, const line_t *lines, size_t k, size_t j) {
  if (!emit_unstatic(b, lines[k])) return false;
  bool uses_memory = false;
  for (size_t m = k + 1; m < j && !uses_memory; m++) uses_memory = contains(lines[m], mem_arg);
  return !uses_memory || pe_buf_puts(b, "  u8 *const pe_mb = instance->w2c_memory.data;\n");
}

/* Bodies, dealt out in order: a function goes to the next part once its
 * midpoint passes this part's share of all body bytes. Sets *tables_change
 * if a line changes a table. */
static bool write_bodies(const line_t *lines, const sections *s, int nparts, pe_buf *parts,
                         bool *tables_change) {
  size_t done_bytes = 0;
  int p = 0;
  for (size_t k = s->first_body; k < s->body_end; k++) {
    line_t l = lines[k];
    if (!*tables_change && changes_table(l)) *tables_change = true;
    if (!is_func_line(l, ") {")) {
      if (!emit_based(&parts[p], l)) return false;
      continue;
    }
    size_t j = body_close(lines, k, s->body_end);
    size_t size = (size_t)(lines[j].p - l.p);
    while (p + 1 < nparts &&
           (done_bytes + size / 2) * (size_t)nparts > s->body_bytes * (size_t)(p + 1))
      p++;
    done_bytes += size;
    if (!write_body_start(&parts[p], lines, k, j)) return false;
  }
  return true;
}

/* Exports, instantiate and free into part 0, and the fixed-tables mark when
 * no body changes a table. */
static bool write_tail(const line_t *lines, size_t n, const sections *s, pe_buf *part0,
                       bool tables_change) {
  for (size_t k = s->body_end; k < n; k++)
    if (!emit(part0, lines[k])) return false;
  return tables_change || pe_buf_puts(part0,
                                      "\n/* no function body changes a table: see aot_split.c */\n"
                                      "__attribute__((visibility(\"default\"))) "
                                      "const int pe_module_tables_fixed = 1;\n");
}

/* Writes the parts of a file whose sections s describes: nparts of them,
 * fewer if there are fewer functions. Returns how many, 0 when out of
 * memory. */
static int write_parts(const line_t *lines, size_t n, const sections *s, int nparts,
                       pe_buf *parts) {
  if (nparts < 1) nparts = 1;
  if ((size_t)nparts > s->nfuncs) nparts = (int)(s->nfuncs ? s->nfuncs : 1);
  for (int p = 0; p < nparts; p++) parts[p].len = 0;
  bool tables_change = false;
  bool ok = write_heads(lines, s, nparts, parts) && write_init(lines, s, nparts, parts) &&
            write_bodies(lines, s, nparts, parts, &tables_change) &&
            write_tail(lines, n, s, &parts[0], tables_change);
  return ok ? nparts : 0;
}

int pe_aot_split(const char *text, size_t len, int nparts, pe_buf *parts, char *err,
                 size_t errlen) {
  size_t n = 0;
  line_t *lines = logical_lines(text, len, &n);
  if (!lines) {
    snprintf(err, errlen, "out of memory");
    return 0;
  }
  sections s = {0};
  int made = 0;
  bool well_formed = true;
  if (!find_first_body(lines, n, &s)) {
    /* A module without functions: nothing to split. */
    parts[0].len = 0;
    made = pe_buf_append(&parts[0], text, len) ? 1 : 0;
  } else if ((well_formed = measure_bodies(lines, n, &s, err, errlen))) {
    made = write_parts(lines, n, &s, nparts, parts);
  }
  if (!made && well_formed) snprintf(err, errlen, "out of memory splitting generated C");
  free(lines);
  return made;
}
