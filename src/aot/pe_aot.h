/*
 * pe_aot.h -- ahead-of-time compilation of a WebAssembly module to a shared
 * object the runtime can load (pe_module_open).
 *
 * Pipeline (aot_compile.c): wasm2c translates the module to one C file;
 * aot_split.c cuts it into parts that compile in parallel; aot_glue.c writes
 * the module descriptor (exports behind uniform trampolines, the import
 * list); the C compiler builds the parts; the linker makes the .so. Results
 * are cached by a hash of the module bytes, the compiler and its flags, the
 * wasm2c version and the runtime headers, so a module compiles once per
 * machine and toolchain.
 */
#ifndef PE_AOT_H
#define PE_AOT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/pe_util.h"

/* Bump when the C that pyedge derives from wasm2c's output changes
 * (aot_split.c, aot_glue.c): it is part of every cache key. */
#define PE_AOT_CODEGEN_VERSION 4

typedef struct pe_aot_options {
  const char *cc;    /* NULL: $PYEDGE_CC, else clang-19 if on PATH, else cc */
  const char *opt;   /* NULL: $PYEDGE_OPT, else -O2 */
  int jobs;          /* 0: number of CPUs */
  bool quiet;        /* no progress line on stderr */
  const char *label; /* name shown in the progress line */
} pe_aot_options;

/* Compiles (or finds in the cache) the module at wasm_path; writes the path
 * of the shared object to so_path. */
bool pe_aot_compile(const char *wasm_path, const pe_aot_options *o, char *so_path, size_t so_len,
                    char *err, size_t errlen);

/* aot_split.c: cuts wasm2c 1.0.32 output into nparts C files. parts[0] gets
 * everything that is not a function body plus its share of the bodies;
 * every part gets the shared preamble. Returns the number of parts made
 * (fewer than asked when there are few functions), or 0 on error. */
int pe_aot_split(const char *c_text, size_t len, int nparts, pe_buf *parts, char *err,
                 size_t errlen);

/* aot_glue.c: from the generated header (module name `mod`), writes the C of
 * the module descriptor. Refuses modules whose imports pyedge cannot
 * satisfy, with the import named. */
bool pe_aot_glue(const char *header_text, const char *header_file, pe_buf *out, char *err,
                 size_t errlen);

/* The import modules pyedge provides functions for. */
bool pe_aot_import_module_supported(const char *module);

#endif /* PE_AOT_H */
