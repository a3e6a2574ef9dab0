/*
 * pe_manifest.h -- a Spin application manifest (spin.toml, version 2) as a
 * plain C model.
 *
 * What is read is the subset of Spin's schema that a Python HTTP runtime
 * needs (see /work/shared/notes/compat.md, part B): [application],
 * [variables], [[trigger.http]] and [component.<id>], with the same names,
 * types, defaults and refusals as Spin, so that a manifest written for Spin
 * loads here unchanged or fails with a message that says why:
 *
 *   spin.toml:12: unknown key 'x' in [component.hello]
 *   spin.toml:3: expected a string for 'route' in [[trigger.http]] (found integer)
 *
 * Every model item keeps the line it was defined on, so later stages (the
 * router, the host) can point at the manifest too.
 *
 * Normalisation done here, as Spin does it when loading:
 *  - a trigger's inline `component = { ... }` becomes an ordinary component
 *    with a generated id ("<trigger-id>-component", else "inline-component<N>"),
 *    flagged `inline_defined`, and the trigger refers to it by id;
 *  - triggers without `id` get "<component>-http-trigger" when that is free,
 *    else "http-trigger<N>";
 *  - `build.command` given as one string becomes a one-element list;
 *  - a static response's status defaults to 200.
 * Checks beyond the schema: component ids are kebab-case and variable names
 * lower_snake_case as in Spin; every trigger's component exists; each app
 * variable is `required` xor has a `default`; `{{ name }}` templates in
 * component variables name app variables; trigger ids are unique.
 *
 * [[trigger.redis]] (Spin's keys: channel, component, address, id) is kept
 * apart, in redis_triggers: each names a component by id and a channel; its
 * address is its own or [application.trigger.redis] address (one of the two
 * must be given). Both may hold `{{ variable }}` templates naming app
 * variables, which the server resolves, as Spin does. Unnamed ones get
 * "<component>-redis-trigger", else "redis-trigger<N>"; ids are unique
 * across both types.
 *
 * Deliberately refused (with a message naming the feature): trigger types
 * other than http and redis, inline components in [[trigger.redis]],
 * component `dependencies`, trigger `components` and `dependencies`.
 * Accepted but only kept for the caller: `targets`, `ai_models` (the llm
 * service's grants), `tool` tables, `[application.trigger.*]` settings, the
 * deprecated `allowed_http_hosts` (with a warning), profiles (applied with
 * pe_manifest_apply_profile).
 *
 * All strings are NUL-terminated and valid UTF-8 (strings containing U+0000
 * are refused). A manifest is read-only after loading (except for applying
 * a profile), so it may be shared between threads; everything it points to
 * is freed by pe_manifest_free.
 */
#ifndef PE_MANIFEST_H
#define PE_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include "pe_toml.h"

typedef struct pe_manifest_error {
  int line;      /* 0 if not tied to a line */
  char msg[512]; /* complete message, "file:line: ..." */
} pe_manifest_error;

typedef struct pe_manifest_pair {
  const char *key, *value;
  int line;
} pe_manifest_pair;

typedef struct pe_manifest_list {
  const char **items;
  size_t len;
} pe_manifest_list;

typedef enum pe_manifest_source_kind {
  PE_MANIFEST_SOURCE_LOCAL,    /* path, relative to the manifest's directory */
  PE_MANIFEST_SOURCE_URL,      /* url + digest ("sha256:...") */
  PE_MANIFEST_SOURCE_REGISTRY, /* [registry] + package + version */
} pe_manifest_source_kind;

typedef struct pe_manifest_source {
  pe_manifest_source_kind kind;
  const char *path;
  const char *url, *digest;
  const char *registry, *package, *version; /* registry may be NULL */
  int line;
} pe_manifest_source;

/* `files` entry: a glob (destination NULL: same relative path in the guest)
 * or { source = "dir", destination = "/abs" }. */
typedef struct pe_manifest_files {
  const char *source, *destination;
  int line;
} pe_manifest_files;

typedef struct pe_manifest_build {
  pe_manifest_list commands; /* run in order */
  const char *workdir;       /* NULL: the manifest's directory */
  pe_manifest_list watch;
  int line;
} pe_manifest_build;

/* [component.x.profile.<name>]: what `--profile <name>` overrides. */
typedef struct pe_manifest_profile {
  const char *name;
  bool has_source;
  pe_manifest_source source;
  pe_manifest_pair *environment; /* merged over the component's */
  size_t n_environment;
  bool has_build_commands;
  pe_manifest_list build_commands;
  int line;
} pe_manifest_profile;

typedef struct pe_manifest_component {
  const char *id;
  int line;
  bool inline_defined;     /* written inline in a trigger */
  const char *description; /* "" if absent */
  pe_manifest_source source;
  pe_manifest_pair *variables; /* values may hold {{ app_variable }} */
  size_t n_variables;
  pe_manifest_pair *environment;
  size_t n_environment;
  pe_manifest_files *files;
  size_t n_files;
  pe_manifest_list exclude_files;
  pe_manifest_list allowed_outbound_hosts;
  pe_manifest_list allowed_http_hosts; /* deprecated spelling, kept verbatim */
  pe_manifest_list key_value_stores;
  pe_manifest_list sqlite_databases;
  pe_manifest_list ai_models;
  pe_manifest_list targets;
  bool has_build;
  pe_manifest_build build;
  pe_manifest_profile *profiles;
  size_t n_profiles;
} pe_manifest_component;

typedef enum pe_manifest_executor {
  PE_MANIFEST_EXECUTOR_HTTP, /* default; "spin" is an alias */
  PE_MANIFEST_EXECUTOR_WAGI,
} pe_manifest_executor;

typedef struct pe_manifest_trigger {
  const char *id;
  int line;
  const char *route; /* as written; NULL when private */
  bool is_private;   /* route = { private = true } */
  int route_line;
  const char *component; /* component id; NULL for a static response */
  bool has_static_response;
  int status_code; /* 200 unless given */
  pe_manifest_pair *headers;
  size_t n_headers;
  const char *body; /* NULL: no body */
  pe_manifest_executor executor;
  const char *wagi_argv;       /* "${SCRIPT_NAME} ${ARGS}" unless given */
  const char *wagi_entrypoint; /* deprecated; "_start" unless given */
} pe_manifest_trigger;

/* [[trigger.redis]]: messages published on `channel` at `address` run
 * `component`'s handle_message. */
typedef struct pe_manifest_redis_trigger {
  const char *id;
  int line;
  const char *component; /* component id */
  const char *channel;   /* as written; may hold {{ templates }} */
  const char *address;   /* its own, else the app-wide one; may hold {{ templates }} */
  int address_line;      /* where that address is written */
} pe_manifest_redis_trigger;

typedef struct pe_manifest_variable {
  const char *name;
  const char *description;   /* NULL if absent */
  const char *default_value; /* NULL when required */
  bool required, secret;
  int line;
} pe_manifest_variable;

typedef struct pe_manifest_mem pe_manifest_mem;

typedef struct pe_manifest {
  const char *file; /* as given to the loader; used in messages */
  const char *name;
  const char *version;     /* "" if absent */
  const char *description; /* "" if absent */
  pe_manifest_list authors;
  pe_manifest_list targets;
  pe_manifest_variable *variables;
  size_t n_variables;
  pe_manifest_trigger *triggers; /* [[trigger.http]] in document order */
  size_t n_triggers;
  pe_manifest_redis_trigger *redis_triggers; /* [[trigger.redis]] in document order */
  size_t n_redis_triggers;
  const char *redis_address;         /* [application.trigger.redis] address, or NULL */
  pe_manifest_component *components; /* [component.*] in document order, then inline ones */
  size_t n_components;
  /* "file:line: ..." notes that do not stop loading (deprecations) */
  pe_manifest_list warnings;
  /* [application.trigger.http] (trigger-wide settings), or NULL */
  const pe_toml_value *http_settings;
  /* the parsed document, for anything else a caller wants to read */
  const pe_toml_value *toml;
  pe_manifest_mem *mem;
} pe_manifest;

/* Parses manifest text; `file` names it in messages (NULL: "spin.toml").
 * Returns NULL with *err filled (err may be NULL). */
pe_manifest *pe_manifest_parse(const char *text, size_t len, const char *file,
                               pe_manifest_error *err);
/* Reads and parses a file; the path is used in messages. */
pe_manifest *pe_manifest_load(const char *path, pe_manifest_error *err);
void pe_manifest_free(pe_manifest *m);

const pe_manifest_component *pe_manifest_component_by_id(const pe_manifest *m, const char *id);
const pe_manifest_variable *pe_manifest_variable_by_name(const pe_manifest *m, const char *name);

/* Applies `--profile name` (Spin semantics: source and build commands are
 * replaced, environment merged). False, with a message, if no component
 * defines that profile. */
bool pe_manifest_apply_profile(pe_manifest *m, const char *name, pe_manifest_error *err);

#endif /* PE_MANIFEST_H */
