/*
 * runtime_config.c -- reads the store and database sections of a Spin
 * runtime configuration file (see runtime_config.h). The TOML parser keeps
 * line numbers, so every refusal points at the line that caused it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/http/outbound_rules.h"
#include "services/kv/kv_backend.h"
#include "manifest/pe_toml.h"
#include "util/pe_util.h"
#include "runtime_config.h"

/* Top-level keys of Spin's runtime config that other parts (or nobody yet)
 * handle: accepted here without a look inside. */
static const char *const other_sections[] = {
    "variables_provider",
    "config_provider",
    "outbound_networking",
    "client_tls",
    "outbound_http",
    "max_instance_memory",
    NULL,
};

static void fail(char *err, size_t errlen, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void fail(char *err, size_t errlen, const char *file, int line, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (line > 0)
    snprintf(err, errlen, "%s:%d: %s", file, line, msg);
  else
    snprintf(err, errlen, "%s: %s", file, msg);
}

void pe_runtime_config_free(pe_runtime_config *c) {
  if (!c) return;
  pe_rc_entry *lists[2] = {c->kv, c->sqlite};
  size_t ns[2] = {c->nkv, c->nsqlite};
  for (int k = 0; k < 2; k++) {
    for (size_t i = 0; i < ns[k]; i++) {
      free(lists[k][i].label);
      free(lists[k][i].path);
      free(lists[k][i].url);
    }
    free(lists[k]);
  }
  free(c->llm.origin);
  free(c->llm.auth_token);
  free(c->file);
  memset(c, 0, sizeof *c);
}

/* dir of `file` + "/" + path, unless path is absolute. */
static char *resolve(const char *file, const char *path) {
  if (path[0] == '/') return strdup(path);
  const char *slash = strrchr(file, '/');
  /* "rc.toml" -> "./", "/rc.toml" -> "/", "a/rc.toml" -> "a/" */
  const char *dir = slash ? file : "./";
  size_t dlen = slash ? (size_t)(slash - file) + 1 : 2;
  size_t n = dlen + strlen(path) + 1;
  char *out = malloc(n);
  if (out) snprintf(out, n, "%.*s%s", (int)dlen, dir, path);
  return out;
}

/* One [key_value_store.<label>] or [sqlite_database.<label>] table. */
static bool read_entry(const char *file, const char *section, bool redis_ok, const char *label,
                       const pe_toml_value *t, pe_rc_entry *e, char *err, size_t errlen) {
  int line = pe_toml_key_line(t);
  memset(e, 0, sizeof *e);
  e->line = line;
  if (pe_toml_type_of(t) != PE_TOML_TABLE) {
    fail(err, errlen, file, line, "[%s.%s] must be a table (found %s)", section, label,
         pe_toml_type_name(pe_toml_type_of(t)));
    return false;
  }
  const pe_toml_value *type = pe_toml_get(t, "type");
  const char *ts = pe_toml_cstr(type);
  if (!type) {
    fail(err, errlen, file, line, "[%s.%s] has no 'type' (\"spin\"%s)", section, label,
         redis_ok ? " or \"redis\"" : "");
    return false;
  }
  if (!ts) {
    fail(err, errlen, file, pe_toml_line(type),
         "expected a string for 'type' in [%s.%s] (found %s)", section, label,
         pe_toml_type_name(pe_toml_type_of(type)));
    return false;
  }
  if (!strcmp(ts, "spin")) {
    e->kind = PE_RC_SPIN;
  } else if (redis_ok && !strcmp(ts, "redis")) {
    e->kind = PE_RC_REDIS;
  } else {
    fail(err, errlen, file, pe_toml_line(type), "unknown %s type '%s' in [%s.%s] (pyedge knows %s)",
         redis_ok ? "key-value store" : "SQLite database", ts, section, label,
         redis_ok ? "\"spin\" and \"redis\"" : "\"spin\"");
    return false;
  }
  for (size_t i = 0; i < pe_toml_len(t); i++) {
    const char *k = pe_toml_key_at(t, i, NULL);
    const pe_toml_value *v = pe_toml_at(t, i);
    bool known = !strcmp(k, "type") || (e->kind == PE_RC_SPIN && !strcmp(k, "path")) ||
                 (e->kind == PE_RC_REDIS && !strcmp(k, "url"));
    if (!known) {
      fail(err, errlen, file, pe_toml_key_line(v),
           "unknown key '%s' in [%s.%s] (type \"%s\" takes %s)", k, section, label, ts,
           e->kind == PE_RC_SPIN ? "'path'" : "'url'");
      return false;
    }
    if (strcmp(k, "type") && pe_toml_type_of(v) != PE_TOML_STRING) {
      fail(err, errlen, file, pe_toml_key_line(v),
           "expected a string for '%s' in [%s.%s] (found %s)", k, section, label,
           pe_toml_type_name(pe_toml_type_of(v)));
      return false;
    }
  }
  const pe_toml_value *pv = pe_toml_get(t, "path"), *uv = pe_toml_get(t, "url");
  if (pv) {
    const char *p;
    size_t plen;
    pe_toml_string(pv, &p, &plen);
    if (plen == 0 || memchr(p, 0, plen)) {
      fail(err, errlen, file, pe_toml_key_line(pv), "'path' in [%s.%s] must be a file name",
           section, label);
      return false;
    }
    e->path = resolve(file, p);
    if (!e->path) goto oom;
  }
  if (e->kind == PE_RC_REDIS) {
    if (!uv) {
      fail(err, errlen, file, line, "[%s.%s] of type \"redis\" needs a 'url' (redis://host:port)",
           section, label);
      return false;
    }
    pe_redis_url u;
    char why[256];
    if (!pe_redis_url_parse(pe_toml_cstr(uv), &u, why, sizeof why)) {
      fail(err, errlen, file, pe_toml_key_line(uv), "bad 'url' in [%s.%s]: %s", section, label,
           why);
      return false;
    }
    pe_redis_url_free(&u);
    if (!(e->url = strdup(pe_toml_cstr(uv)))) goto oom;
  }
  if (!(e->label = strdup(label))) goto oom;
  return true;
oom:
  fail(err, errlen, file, line, "out of memory");
  return false;
}

static bool read_section(const char *file, const pe_toml_value *root, const char *section,
                         bool redis_ok, pe_rc_entry **out, size_t *n, char *err, size_t errlen) {
  const pe_toml_value *s = pe_toml_get(root, section);
  if (!s) return true;
  if (pe_toml_type_of(s) != PE_TOML_TABLE) {
    fail(err, errlen, file, pe_toml_key_line(s), "'%s' must be a table of [%s.<label>] tables",
         section, section);
    return false;
  }
  size_t count = pe_toml_len(s);
  *out = calloc(count ? count : 1, sizeof **out);
  if (!*out) {
    fail(err, errlen, file, 0, "out of memory");
    return false;
  }
  for (size_t i = 0; i < count; i++) {
    size_t klen;
    const char *label = pe_toml_key_at(s, i, &klen);
    if (klen == 0 || strlen(label) != klen) {
      fail(err, errlen, file, pe_toml_key_line(pe_toml_at(s, i)),
           "a [%s] label must be a non-empty name without NUL", section);
      return false;
    }
    if (!read_entry(file, section, redis_ok, label, pe_toml_at(s, i), &(*out)[i], err, errlen))
      return false;
    (*n)++;
  }
  return true;
}

/* [llm_compute]. The token's value never appears in a message. */
static bool read_llm(const char *file, const pe_toml_value *root, pe_rc_llm *l, char *err,
                     size_t errlen) {
  const pe_toml_value *t = pe_toml_get(root, "llm_compute");
  if (!t) return true;
  int line = pe_toml_key_line(t);
  l->line = line;
  if (pe_toml_type_of(t) != PE_TOML_TABLE) {
    fail(err, errlen, file, line, "[llm_compute] must be a table (found %s)",
         pe_toml_type_name(pe_toml_type_of(t)));
    return false;
  }
  const pe_toml_value *type = pe_toml_get(t, "type");
  const char *ts = pe_toml_cstr(type);
  if (!type) {
    fail(err, errlen, file, line,
         "[llm_compute] has no 'type' (pyedge supports type = \"remote_http\")");
    return false;
  }
  if (!ts) {
    fail(err, errlen, file, pe_toml_line(type),
         "expected a string for 'type' in [llm_compute] (found %s)",
         pe_toml_type_name(pe_toml_type_of(type)));
    return false;
  }
  if (strcmp(ts, "remote_http")) {
    fail(err, errlen, file, pe_toml_line(type),
         "%s [llm_compute] type '%s': pyedge runs no models itself and supports only type = "
         "\"remote_http\" (with 'url', 'auth_token' and optionally api_type = \"open_ai\")",
         strcmp(ts, "spin") ? "unknown" : "unsupported", ts);
    return false;
  }
  for (size_t i = 0; i < pe_toml_len(t); i++) {
    size_t klen;
    const char *k = pe_toml_key_at(t, i, &klen);
    const pe_toml_value *v = pe_toml_at(t, i);
    if (strcmp(k, "type") && strcmp(k, "url") && strcmp(k, "auth_token") && strcmp(k, "api_type")) {
      fail(err, errlen, file, pe_toml_key_line(v),
           "unknown key '%s' in [llm_compute] (type \"remote_http\" takes 'url', 'auth_token' "
           "and 'api_type')",
           k);
      return false;
    }
    const char *sv;
    size_t sl;
    if (!pe_toml_string(v, &sv, &sl)) {
      fail(err, errlen, file, pe_toml_key_line(v),
           "expected a string for '%s' in [llm_compute] (found %s)", k,
           pe_toml_type_name(pe_toml_type_of(v)));
      return false;
    }
    if (strlen(sv) != sl) {
      fail(err, errlen, file, pe_toml_key_line(v), "'%s' in [llm_compute] contains a NUL", k);
      return false;
    }
  }
  const pe_toml_value *uv = pe_toml_get(t, "url"), *tv = pe_toml_get(t, "auth_token"),
                      *av = pe_toml_get(t, "api_type");
  if (!uv || !tv) {
    fail(err, errlen, file, line, "[llm_compute] of type \"remote_http\" needs %s",
         !uv ? "a 'url' (http:// or https://)" : "an 'auth_token'");
    return false;
  }
  const char *url = pe_toml_cstr(uv), *tok = pe_toml_cstr(tv);
  pe_outbound_url u;
  char why[256];
  bool parsed = pe_outbound_url_parse(url, strlen(url), &u, why, sizeof why);
  if (parsed && (u.relative || (strcmp(u.scheme, "http") && strcmp(u.scheme, "https"))))
    snprintf(why, sizeof why, "expected http://host[:port] or https://host[:port]");
  if (!parsed || u.relative || (strcmp(u.scheme, "http") && strcmp(u.scheme, "https"))) {
    fail(err, errlen, file, pe_toml_key_line(uv), "bad 'url' in [llm_compute]: %s", why);
    return false;
  }
  for (const char *p = tok; *p; p++)
    if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f) {
      fail(err, errlen, file, pe_toml_key_line(tv),
           "'auth_token' in [llm_compute] must be printable ASCII: it is sent in an HTTP header");
      return false;
    }
  if (av) {
    const char *as = pe_toml_cstr(av);
    if (!strcmp(as, "open_ai")) {
      l->api = PE_RC_LLM_OPEN_AI;
    } else if (strcmp(as, "default")) {
      fail(err, errlen, file, pe_toml_key_line(av),
           "unknown api_type '%s' in [llm_compute] (\"default\": Spin's cloud-gpu protocol, or "
           "\"open_ai\": an OpenAI-compatible endpoint)",
           as);
      return false;
    }
  }
  char origin[PE_OB_MAX_HOST + 32];
  pe_outbound_url_origin(&u, origin, sizeof origin);
  if (!(l->origin = strdup(origin)) || !(l->auth_token = strdup(tok))) {
    fail(err, errlen, file, line, "out of memory");
    return false;
  }
  return true;
}

bool pe_runtime_config_parse(const char *text, size_t len, const char *file, pe_runtime_config *c,
                             char *err, size_t errlen) {
  memset(c, 0, sizeof *c);
  if (errlen) err[0] = 0;
  pe_toml_error te;
  pe_toml_value *root = pe_toml_parse(text, len, &te);
  if (!root) {
    fail(err, errlen, file, te.line, "%s", te.msg);
    return false;
  }
  bool ok = true;
  for (size_t i = 0; ok && i < pe_toml_len(root); i++) {
    const char *k = pe_toml_key_at(root, i, NULL);
    if (!strcmp(k, "key_value_store") || !strcmp(k, "sqlite_database") || !strcmp(k, "llm_compute"))
      continue;
    bool known = false;
    for (const char *const *o = other_sections; *o; o++) known = known || !strcmp(*o, k);
    if (!known) {
      fail(err, errlen, file, pe_toml_key_line(pe_toml_at(root, i)),
           "unknown runtime config key '%s' (stores are [key_value_store.<label>], databases "
           "[sqlite_database.<label>])",
           k);
      ok = false;
    }
  }
  ok = ok && (c->file = strdup(file)) != NULL;
  ok = ok && read_section(file, root, "key_value_store", true, &c->kv, &c->nkv, err, errlen);
  ok = ok &&
       read_section(file, root, "sqlite_database", false, &c->sqlite, &c->nsqlite, err, errlen);
  ok = ok && read_llm(file, root, &c->llm, err, errlen);
  pe_toml_free(root);
  if (!ok) {
    if (!err[0]) fail(err, errlen, file, 0, "out of memory");
    pe_runtime_config_free(c);
  }
  return ok;
}

bool pe_runtime_config_load(const char *file, pe_runtime_config *c, char *err, size_t errlen) {
  memset(c, 0, sizeof *c);
  if (!file) return true;
  pe_buf b = {0};
  char why[512];
  if (!pe_read_file(file, &b, why, sizeof why)) {
    snprintf(err, errlen, "runtime config: %s", why);
    pe_buf_free(&b);
    return false;
  }
  bool ok = pe_runtime_config_parse(b.data ? b.data : "", b.len, file, c, err, errlen);
  pe_buf_free(&b);
  return ok;
}

static const pe_rc_entry *find(const pe_rc_entry *list, size_t n, const char *label) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(list[i].label, label)) return &list[i];
  return NULL;
}

const pe_rc_entry *pe_runtime_config_kv(const pe_runtime_config *c, const char *label) {
  return find(c->kv, c->nkv, label);
}

const pe_rc_entry *pe_runtime_config_sqlite(const pe_runtime_config *c, const char *label) {
  return find(c->sqlite, c->nsqlite, label);
}
