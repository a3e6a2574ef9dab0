/*
 * runtime_config.h -- the parts of Spin's runtime configuration file
 * (`pyedge up --runtime-config-file FILE`) that say where key-value stores
 * and SQLite databases live:
 *
 *   [key_value_store.<label>]
 *   type = "spin"                  # SQLite; optional path (else in memory)
 *   path = "data/kv.db"            # relative to the config file's directory
 *
 *   [key_value_store.<label>]
 *   type = "redis"
 *   url = "redis://host:port/db"
 *
 *   [sqlite_database.<label>]
 *   type = "spin"                  # optional path (else in memory)
 *   path = "data/app.db"
 *
 *   [llm_compute]                  # where spin_sdk.llm's calls go (svc_llm.c)
 *   type = "remote_http"           # the only type: pyedge runs no local model
 *   url = "https://llm.example"    # only scheme, host and port are used
 *   auth_token = "..."             # sent as "authorization: bearer ..."
 *   api_type = "open_ai"           # or "default" (Spin's cloud-gpu protocol)
 *
 * Why its own file: both the key-value and the SQLite area need it, and the
 * checks (unknown type, unknown key, wrong value type) are the same; each
 * refusal names the file and line, like the manifest loader does.
 *
 * The other sections Spin knows (variables providers,
 * outbound networking, client TLS, max_instance_memory) are accepted here
 * and left to whoever implements them; a top-level key Spin does not know
 * is refused, so a typo ("key_value_stores") is not silently ignored.
 */
#ifndef PE_RUNTIME_CONFIG_H
#define PE_RUNTIME_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

typedef enum pe_rc_kind {
  PE_RC_SPIN,  /* SQLite file (path) or in memory (path NULL) */
  PE_RC_REDIS, /* url */
} pe_rc_kind;

typedef struct pe_rc_entry {
  char *label;
  pe_rc_kind kind;
  char *path; /* resolved against the config file's directory; NULL: in memory */
  char *url;  /* redis only */
  int line;   /* of the [table] header */
} pe_rc_entry;

typedef enum pe_rc_llm_api {
  PE_RC_LLM_DEFAULT, /* Spin's cloud-gpu protocol: POST /infer, /embed */
  PE_RC_LLM_OPEN_AI, /* POST /v1/chat/completions, /v1/embeddings */
} pe_rc_llm_api;

/* [llm_compute] type = "remote_http"; origin NULL when the file has none. */
typedef struct pe_rc_llm {
  char *origin;     /* scheme://host[:port] of `url` (Spin joins "/infer" onto it) */
  char *auth_token; /* printable ASCII; a secret: no message shows it */
  pe_rc_llm_api api;
  int line; /* of the [llm_compute] header */
} pe_rc_llm;

typedef struct pe_runtime_config {
  char *file; /* as given, for messages; NULL when there is no file */
  pe_rc_entry *kv;
  size_t nkv;
  pe_rc_entry *sqlite;
  size_t nsqlite;
  pe_rc_llm llm;
} pe_runtime_config;

/* Reads and checks FILE. file NULL gives an empty config. On failure *c is
 * left empty and err holds "FILE:LINE: why". */
bool pe_runtime_config_load(const char *file, pe_runtime_config *c, char *err, size_t errlen);
/* The same from text; `file` names it in messages and its directory is
 * where relative paths start. */
bool pe_runtime_config_parse(const char *text, size_t len, const char *file, pe_runtime_config *c,
                             char *err, size_t errlen);
void pe_runtime_config_free(pe_runtime_config *c);

const pe_rc_entry *pe_runtime_config_kv(const pe_runtime_config *c, const char *label);
const pe_rc_entry *pe_runtime_config_sqlite(const pe_runtime_config *c, const char *label);

#endif /* PE_RUNTIME_CONFIG_H */
