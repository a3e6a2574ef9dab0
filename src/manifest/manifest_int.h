/*
 * manifest_int.h -- what the manifest_*.c files share: the loading context,
 * the allocation list every model string and array lives on, and the typed
 * readers that turn TOML values into model fields or into messages.
 *
 * Loading stops at the first error, like Spin's. Every reader takes the
 * table it reads from and a `ctx` naming that table as the user wrote it
 * ("[component.hello]", "[[trigger.http]]") so that each message can say
 * where, on top of the line number.
 */
#ifndef MANIFEST_INT_H
#define MANIFEST_INT_H

#include <stdarg.h>

#include "pe_manifest.h"

typedef struct manifest_ctx {
  pe_manifest *m;
  const char *file;
  pe_manifest_error *err;
  bool failed;
  /* for each trigger, the index in m->components of its inline component,
   * or -1; inline components get their ids only after all triggers are read */
  long *inline_component;
  size_t components_cap;
} manifest_ctx;

/* ---- manifest_mem.c ---- */

/* Zeroed memory owned by the manifest; NULL (and an error) if out of memory. */
void *manifest_alloc(manifest_ctx *c, size_t n);
void *manifest_alloc_array(manifest_ctx *c, size_t n, size_t size);
char *manifest_printf(manifest_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void manifest_mem_free(pe_manifest_mem *mem);
/* Records "file:line: message" once and returns false. */
bool manifest_fail(manifest_ctx *c, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds "file:line: message" to m->warnings. */
bool manifest_warn(manifest_ctx *c, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A key made safe to quote in a message: controls replaced, long keys cut. */
void manifest_key_text(const char *key, size_t len, char *out, size_t outlen);

/* ---- manifest_read.c ---- */

/* Refuses any key of table t not in `allowed` (NULL-terminated). */
bool manifest_only_keys(manifest_ctx *c, const pe_toml_value *t, const char *ctx,
                        const char *const *allowed);
bool manifest_type_error(manifest_ctx *c, const pe_toml_value *v, const char *what, const char *key,
                         const char *ctx);
bool manifest_missing(manifest_ctx *c, const pe_toml_value *t, const char *key, const char *ctx);
/* A string value (v) that must not contain NUL. */
bool manifest_as_string(manifest_ctx *c, const pe_toml_value *v, const char *key, const char *ctx,
                        const char **out);
/* t[key] as a string; when absent: error if required, else *out = dflt. */
bool manifest_string(manifest_ctx *c, const pe_toml_value *t, const char *key, const char *ctx,
                     bool required, const char *dflt, const char **out);
/* t[key] as a boolean; *out unchanged when absent. */
bool manifest_bool(manifest_ctx *c, const pe_toml_value *t, const char *key, const char *ctx,
                   bool *out);
/* t[key] as an array of strings (empty when absent). */
bool manifest_list(manifest_ctx *c, const pe_toml_value *t, const char *key, const char *ctx,
                   pe_manifest_list *out);
/* An array value of strings. */
bool manifest_as_list(manifest_ctx *c, const pe_toml_value *v, const char *key, const char *ctx,
                      pe_manifest_list *out);
/* t[key] as a table of strings (empty when absent). */
bool manifest_pairs(manifest_ctx *c, const pe_toml_value *t, const char *key, const char *ctx,
                    pe_manifest_pair **out, size_t *n);
/* A table key as a C string (refusing NUL). */
bool manifest_key(manifest_ctx *c, const pe_toml_value *t, size_t i, const char *ctx,
                  const char **out);
/* Spin's id rules: words separated by `delim`, each starting with an ASCII
 * letter, alphanumeric, all-lower or all-upper (only lower if lower_only).
 * On failure `why` says which rule. */
bool manifest_id_ok(const char *id, char delim, bool lower_only, char *why, size_t whylen);

/* ---- the sections ---- */

bool manifest_read_application(manifest_ctx *c, const pe_toml_value *app); /* manifest_app.c */
bool manifest_read_variables(manifest_ctx *c, const pe_toml_value *vars);  /* manifest_app.c */
/* One component table; `ctx` like "[component.x]". */
bool manifest_read_component(manifest_ctx *c, const pe_toml_value *t, const char *ctx,
                             pe_manifest_component *out); /* manifest_component.c */
bool manifest_read_triggers(manifest_ctx *c, const pe_toml_value *trigger); /* manifest_trigger.c */
/* Trigger ids, inline components, references, templates. */
bool manifest_normalize(manifest_ctx *c); /* manifest_check.c */

#endif /* MANIFEST_INT_H */
