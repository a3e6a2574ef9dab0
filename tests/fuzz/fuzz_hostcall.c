/*
 * fuzz_hostcall.c -- what a hostile guest can send through `_pyedge.call`:
 * the blob reader (src/hostapi/hostcall_wire.c) and every service's
 * decoding of its payload, through the same dispatcher the sandbox
 * reaches (pe_svc_request.hs.call), as tests/unit/svc_fixture.h does.
 *
 * The app (built once, in a temporary directory under /dev/shm): a
 * component "app" granted the key-value stores "default" (Spin's SQLite
 * file in the state directory), "mem" (in memory), "other" (a file named
 * by the runtime config) and "red" (Redis at 127.0.0.1:1, where nothing
 * listens: every call fails to connect), the SQLite databases "default"
 * and "mem", variables (one secret), outbound rules and the models "m"
 * and "emb" (the LLM endpoint is 127.0.0.1:1 as well); a component
 * "bare" granted nothing. Outbound HTTP never leaves the machine: the
 * rules allow only 127.0.0.1 and [::1] on port 1 (closed), service
 * chaining and `self` (no listen address, so it fails before any socket);
 * proxy variables are removed from the environment. MQTT likewise reaches
 * only [::1] port 1 (the "*://[::1]:1" rule), where nothing listens. Names are never
 * looked up: the rules for 127.0.0.1 and [::1] are address rules, which
 * make svc_http.c resolve any host name on port 1 to check its address,
 * so this program replaces getaddrinfo with one that reads numeric
 * addresses only (for svc_http.c, libcurl and hiredis alike): no DNS query
 * leaves the machine either. Service chaining runs the callback below
 * in place of a component: the request's body is the callee's answer (a
 * first byte 'T', 'N', 'M' or 'F' for a timeout, an unserved component,
 * no memory or a failure; anything else, then the response bytes of
 * docs/abi.md), so a chained response is as hostile as the guest likes.
 * The caller must get exactly the headers and body the callee sent.
 *
 * Input: a mode byte (bit 0: the "bare" component; bit 1: the blob reader
 * alone), then calls until the input ends (at most 32): a selector byte
 * (low 6 bits: a service from the table below, or past it a name read
 * from the input; bits 6-7: k, nonzero to put the k-th handle this input
 * opened into the payload's first 8-byte blob, since handle ids come from
 * process-wide counters and a fixed one would only ever be stale) and a
 * length-prefixed payload. Each reply must be well formed: a known status
 * byte, then for OK a sequence of whole blobs (one 8-byte blob for an
 * open), else a message of at most 1 KiB.
 *
 * Each input is one request; whatever it opened is released at its end.
 * An input that wrote (an OK kv.set or sqlite.execute) is followed by a
 * clean-up through the same calls -- every key deleted, every view and
 * table dropped, user_version and application_id zeroed -- so each input
 * starts from empty stores, whatever ran before it, and nothing grows from
 * one input to the next; should that fail, the app is made again. SQL
 * statements stop after 100 ms. FUZZ_TRACE=1 prints each call and its reply.
 */
#include <dlfcn.h>
#include <netdb.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "manifest/pe_manifest.h"
#include "serve/pe_serve.h"
#include "services/pe_services.h"

static const char manifest[] =
    "spin_manifest_version = 2\n"
    "[application]\nname = \"fuzz\"\n"
    "[variables]\n"
    "host = { default = \"127.0.0.1\" }\n"
    "token = { default = \"s3cr3t-value\", secret = true }\n"
    "needed = { required = true }\n"
    "[[trigger.http]]\nroute = \"/...\"\ncomponent = \"app\"\n"
    "[[trigger.http]]\nroute = \"/bare\"\ncomponent = \"bare\"\n"
    "[component.app]\nsource = \"app.wasm\"\n"
    "key_value_stores = [\"default\", \"mem\", \"other\", \"red\"]\n"
    "sqlite_databases = [\"default\", \"mem\"]\n"
    "ai_models = [\"m\", \"emb\"]\n"
    "allowed_outbound_hosts = [\"http://{{ host }}:1\", \"https://127.0.0.1:1\", "
    "\"*://[::1]:1\", \"http://*.spin.internal\", \"http://self\"]\n"
    "[component.app.variables]\n"
    "greeting = \"hello {{ host }}\"\nsecret = \"{{ token }}\"\nplain = \"x\"\n"
    "needed = \"{{ needed }}\"\n"
    "[component.bare]\nsource = \"bare.wasm\"\n";

static const char runtime_config[] =
    "[key_value_store.mem]\ntype = \"spin\"\n"
    "[key_value_store.other]\ntype = \"spin\"\npath = \"other_kv.db\"\n"
    "[key_value_store.red]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:1/0\"\n"
    "[sqlite_database.mem]\ntype = \"spin\"\n"
    "[llm_compute]\ntype = \"remote_http\"\nurl = \"http://127.0.0.1:1\"\n"
    "auth_token = \"fuzz-token\"\n";

static const char *const services[] = {
    "kv.open",        "kv.get",        "kv.set",         "kv.delete",      "kv.exists",
    "kv.get_keys",    "kv.close",      "sqlite.open",    "sqlite.execute", "sqlite.close",
    "vars.get",       "crypto.verify", "crypto.sign",    "http.send",      "kv.nope",
    "nope.get",       "redis.open",    "redis.get",      "redis.set",      "redis.incr",
    "redis.del",      "redis.sadd",    "redis.smembers", "redis.srem",     "redis.publish",
    "redis.execute",  "redis.close",   "llm.infer",      "llm.embed",      "mqtt.open",
    "mqtt.publish",   "mqtt.close",    "postgres.open",  "postgres.query", "postgres.execute",
    "postgres.close", "mysql.open",    "mysql.query",    "mysql.execute",  "mysql.close",
};
#define NSERVICES (sizeof services / sizeof services[0])
/* the selector's 6 bits name a service, 63 reads a name from the input */
_Static_assert(NSERVICES < 63, "the hostcall selector has room for 62 services");

/* ---- no name lookups --------------------------------------------------------- */

typedef int (*getaddrinfo_fn)(const char *, const char *, const struct addrinfo *,
                              struct addrinfo **);
static getaddrinfo_fn real_getaddrinfo; /* set in open_app, before any call */

/* The executable's own definition wins over libc's for every caller
 * (libcurl is loaded later and binds to it too). */
int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res) {
  struct addrinfo h;
  if (hints) {
    h = *hints;
  } else {
    memset(&h, 0, sizeof h);
    h.ai_family = AF_UNSPEC;
  }
  h.ai_flags |= AI_NUMERICHOST;
  return real_getaddrinfo ? real_getaddrinfo(node, service, &h, res) : EAI_FAIL;
}

/* ---- service chaining ------------------------------------------------------ */

static struct {
  bool called;   /* by the current http.send */
  pe_buf answer; /* the callee's response bytes, when it answered */
  bool answered;
} chained;

static pe_chain_status chain(void *ctx, const char *id, const pe_chain_request *req,
                             pe_svc_request *child, pe_buf *response, char *why, size_t whylen) {
  (void)ctx, (void)id, (void)child;
  /* what the caller passes on: names lower-case, no hop-by-hop header */
  for (size_t i = 0; i < req->n_headers; i++) {
    const pe_abi_header *h = &req->headers[i];
    for (size_t k = 0; k < h->name_len; k++) FZ_CHECK(!(h->name[k] >= 'A' && h->name[k] <= 'Z'));
    FZ_CHECK(!(h->name_len == 4 && memcmp(h->name, "host", 4) == 0));
  }
  FZ_CHECK(req->target_len == strlen(req->target));
  const uint8_t *body = req->body;
  size_t n = req->body_len;
  chained.called = true;
  snprintf(why, whylen, "fuzzed");
  switch (n ? body[0] : 'F') {
    case 'T': return PE_CHAIN_TIMEOUT;
    case 'N': return PE_CHAIN_NO_COMPONENT;
    case 'M': return PE_CHAIN_NO_MEMORY;
    case 'F': return PE_CHAIN_FAILED;
  }
  FZ_CHECK(pe_buf_append(response, body + 1, n - 1));
  chained.answer.len = 0;
  FZ_CHECK(pe_buf_append(&chained.answer, body + 1, n - 1));
  chained.answered = true;
  return PE_CHAIN_OK;
}

/* An OK reply to a chained http.send: what the callee answered, headers
 * (names lower-cased) in order, body; a header whose name holds a NUL is
 * no header and a NUL in a value is a space (RFC 9110 5.5). */
static void check_chained(const pe_buf *out) {
  pe_abi_response want;
  if (!pe_abi_decode_response((const uint8_t *)chained.answer.data, chained.answer.len, &want))
    return; /* a malformed answer is a 500 */
  pe_hc_reader r;
  pe_hc_reader_init(&r, (const uint8_t *)out->data + 1, out->len - 1);
  uint64_t status, nh;
  FZ_CHECK(pe_hc_u64(&r, &status) && pe_hc_u64(&r, &nh));
  FZ_CHECK(status == (uint64_t)want.status);
  size_t k = 0;
  for (size_t i = 0; i < want.n_headers; i++) {
    const pe_abi_header *h = &want.headers[i];
    if (memchr(h->name, 0, h->name_len)) continue;
    const uint8_t *name, *value;
    size_t nl, vl;
    FZ_CHECK(k++ < nh && pe_hc_blob(&r, &name, &nl) && pe_hc_blob(&r, &value, &vl));
    const uint8_t *hn = (const uint8_t *)h->name, *hv = (const uint8_t *)h->value;
    bool same = nl == h->name_len && vl == h->value_len;
    for (size_t c = 0; same && c < vl; c++) same = value[c] == (hv[c] ? hv[c] : ' ');
    for (size_t c = 0; same && c < nl; c++)
      same = name[c] == (hn[c] >= 'A' && hn[c] <= 'Z' ? hn[c] + 32 : hn[c]);
    if (!same) {
      fprintf(stderr, "chained header %zu: callee sent '%.*s: %.*s', caller got '%.*s: %.*s'\n", i,
              (int)h->name_len, h->name, (int)h->value_len, h->value, (int)nl, name, (int)vl,
              value);
      FZ_CHECK(!"a chained response's header reached the caller changed");
    }
  }
  FZ_CHECK(k == nh);
  const uint8_t *body;
  size_t bl;
  FZ_CHECK(pe_hc_blob(&r, &body, &bl) && pe_hc_done(&r));
  FZ_CHECK(bl == want.body_len && !memcmp(body, want.body, bl));
  pe_abi_response_free(&want);
}

static pe_manifest *app_manifest;
static pe_services *app;
static bool trace; /* FUZZ_TRACE=1: each call and its reply on stderr */

static void close_app(void) {
  pe_services_free(app);
  pe_manifest_free(app_manifest);
  app = NULL;
  app_manifest = NULL;
}

static void open_app(void) {
  if (!real_getaddrinfo) {
    *(void **)&real_getaddrinfo = dlsym(RTLD_NEXT, "getaddrinfo");
    FZ_CHECK(real_getaddrinfo && real_getaddrinfo != getaddrinfo);
  }
  /* no proxy may turn a refused local connection into one to elsewhere */
  static const char *const proxies[] = {"http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                                        "ALL_PROXY",  "all_proxy",   NULL};
  for (const char *const *p = proxies; *p; p++) unsetenv(*p);
  setenv("PYEDGE_SQLITE_STATEMENT_TIMEOUT_MS", "100", 1);
  static char dir[64], rc[128];
  fz_tmpdir(dir, "hostcall");
  snprintf(rc, sizeof rc, "%s/rc.toml", dir);
  FILE *fp = fopen(rc, "w");
  FZ_CHECK(fp && fputs(runtime_config, fp) >= 0 && fclose(fp) == 0);
  pe_manifest_error me;
  app_manifest = pe_manifest_parse(manifest, strlen(manifest), "spin.toml", &me);
  if (!app_manifest) {
    fprintf(stderr, "manifest: %s\n", me.msg);
    abort();
  }
  static const char *const vars[] = {"needed=given"};
  pe_services_options o = {.state_dir = dir,
                           .runtime_config = rc,
                           .variables = vars,
                           .nvariables = 1};
  char err[1024];
  app = pe_services_new(app_manifest, dir, &o, err, sizeof err);
  if (!app) {
    fprintf(stderr, "services: %s\n", err);
    abort();
  }
  pe_services_set_chain(app, chain, NULL);
  static bool registered;
  if (!registered) atexit(close_app);
  registered = true;
  trace = getenv("FUZZ_TRACE") != NULL;
}

/* The blob reader alone: ops from the input, over the rest of it. */
static void fuzz_reader(fz *f) {
  size_t nops;
  const uint8_t *ops = fz_bytes(f, fz_u8(f) % 32, &nops);
  size_t n;
  uint8_t *payload = fz_rest(f, &n);
  pe_hc_reader r;
  pe_hc_reader_init(&r, payload, n);
  pe_buf again = {0};
  size_t consumed = 0;
  for (size_t i = 0; i < nops; i++) {
    bool was_bad = r.bad;
    size_t left = r.left;
    const uint8_t *p = NULL;
    size_t len = 0;
    bool ok = false;
    switch (ops[i] % 4) {
      case 0:
        ok = pe_hc_blob(&r, &p, &len);
        if (ok) FZ_CHECK(p >= payload && len <= n && (size_t)(p - payload) <= n - len);
        if (ok) FZ_CHECK(pe_hc_put_blob(&again, p, len));
        break;
      case 1: {
        char *s = pe_hc_string(&r);
        ok = s != NULL;
        if (ok) {
          len = strlen(s);
          FZ_CHECK(pe_hc_put_str(&again, s));
        }
        free(s);
        break;
      }
      case 2: {
        uint64_t v;
        ok = pe_hc_u64(&r, &v);
        if (ok) {
          len = 8;
          FZ_CHECK(pe_hc_put_u64(&again, v));
        }
        break;
      }
      default: FZ_CHECK(pe_hc_done(&r) == (!r.bad && r.left == 0)); continue;
    }
    if (was_bad) FZ_CHECK(!ok); /* once bad, always bad */
    if (ok) {
      FZ_CHECK(!r.bad && r.left == left - 4 - len);
      consumed += 4 + len;
    } else {
      FZ_CHECK(r.bad);
    }
    FZ_CHECK(r.left <= n);
  }
  /* what was read, written again, is the bytes it was read from */
  FZ_CHECK(again.len == consumed && (consumed == 0 || !memcmp(again.data, payload, consumed)));
  pe_buf_free(&again);
  free(payload);
}

static void check_reply(const char *svc, const pe_buf *out) {
  FZ_CHECK(out->len >= 1);
  uint8_t st = (uint8_t)out->data[0];
  FZ_CHECK(st <= PE_HC_NO_SERVICE);
  if (st != PE_HC_OK) {
    FZ_CHECK(out->len - 1 < 1024);
    return;
  }
  pe_hc_reader r;
  pe_hc_reader_init(&r, (const uint8_t *)out->data + 1, out->len - 1);
  const uint8_t *p;
  size_t n, blobs = 0;
  while (r.left && pe_hc_blob(&r, &p, &n)) blobs++;
  FZ_CHECK(pe_hc_done(&r));
  size_t sl = strlen(svc);
  if (sl > 5 && !strcmp(svc + sl - 5, ".open")) FZ_CHECK(blobs == 1);
}

/* ---- clean-up ------------------------------------------------------------ */

/* One call with a payload of C-string blobs (a blob "\x01h" is the handle). */
static int call_str(pe_svc_request *rq, pe_buf *out, const char *svc, uint64_t handle,
                    const char *const *strs, int n) {
  pe_buf in = {0};
  if (handle) FZ_CHECK(pe_hc_put_u64(&in, handle));
  for (int i = 0; i < n; i++) FZ_CHECK(pe_hc_put_str(&in, strs[i]));
  out->len = 0;
  rq->hs.call(rq->hs.ctx, svc, strlen(svc), (const uint8_t *)(in.data ? in.data : ""), in.len, out);
  pe_buf_free(&in);
  return out->len ? (uint8_t)out->data[0] : -1;
}

static uint64_t open_label(pe_svc_request *rq, pe_buf *out, const char *svc, const char *label) {
  const uint8_t *p;
  size_t n;
  pe_hc_reader r;
  if (call_str(rq, out, svc, 0, &label, 1) != PE_HC_OK) return 0;
  pe_hc_reader_init(&r, (const uint8_t *)out->data + 1, out->len - 1);
  if (!pe_hc_blob(&r, &p, &n) || n != 8) return 0;
  uint64_t h = 0;
  for (int i = 7; i >= 0; i--) h = h << 8 | p[i];
  return h;
}

/* Deletes every key of a store; false if some stay. */
static bool empty_store(pe_svc_request *rq, pe_buf *out, const char *label) {
  uint64_t h = open_label(rq, out, "kv.open", label);
  if (!h) return false;
  for (int round = 0; round < 4; round++) {
    if (call_str(rq, out, "kv.get_keys", h, NULL, 0) != PE_HC_OK) return false;
    pe_buf keys = {0};
    FZ_CHECK(pe_buf_append(&keys, out->data + 1, out->len - 1));
    pe_hc_reader r;
    pe_hc_reader_init(&r, (const uint8_t *)keys.data, keys.len);
    const uint8_t *k;
    size_t kl;
    size_t n = 0;
    while (r.left && pe_hc_blob(&r, &k, &kl)) {
      pe_buf in = {0};
      FZ_CHECK(pe_hc_put_u64(&in, h) && pe_hc_put_blob(&in, k, kl));
      out->len = 0;
      rq->hs.call(rq->hs.ctx, "kv.delete", 9, (const uint8_t *)in.data, in.len, out);
      pe_buf_free(&in);
      n++;
    }
    pe_buf_free(&keys);
    if (n == 0) return true;
  }
  return false;
}

/* Drops every view and table of a database; false if some stay. */
static bool empty_database(pe_svc_request *rq, pe_buf *out, const char *label) {
  uint64_t h = open_label(rq, out, "sqlite.open", label);
  if (!h) return false;
  static const char *const reset[] = {"PRAGMA user_version = 0", "PRAGMA application_id = 0"};
  for (int i = 0; i < 2; i++)
    if (call_str(rq, out, "sqlite.execute", h, &reset[i], 1) != PE_HC_OK) return false;
  static const char *const list[] = {
      "SELECT type, name FROM sqlite_schema WHERE type IN ('view', 'table') AND name NOT LIKE "
      "'sqlite\\_%' ESCAPE '\\' ORDER BY type = 'table', sql NOT LIKE 'CREATE VIRTUAL%'"};
  for (int round = 0; round < 8; round++) {
    if (call_str(rq, out, "sqlite.execute", h, list, 1) != PE_HC_OK) return false;
    pe_buf rows = {0};
    FZ_CHECK(pe_buf_append(&rows, out->data + 1, out->len - 1));
    pe_hc_reader r;
    pe_hc_reader_init(&r, (const uint8_t *)rows.data, rows.len);
    uint64_t skip;
    const uint8_t *p;
    size_t n, objects = 0;
    /* changes, last rowid, ncols (2), the two column names */
    bool ok = pe_hc_u64(&r, &skip) && pe_hc_u64(&r, &skip) && pe_hc_u64(&r, &skip) && skip == 2 &&
              pe_hc_blob(&r, &p, &n) && pe_hc_blob(&r, &p, &n);
    while (ok && r.left) {
      const uint8_t *type, *name;
      size_t tl, nl;
      ok = pe_hc_blob(&r, &type, &tl) && pe_hc_blob(&r, &name, &nl) && tl > 1 && nl > 0 &&
           type[0] == 't' && name[0] == 't';
      if (!ok) break;
      pe_buf sql = {0};
      FZ_CHECK(pe_buf_printf(&sql, "DROP %s \"", tl == 5 ? "VIEW" : "TABLE"));
      for (size_t i = 1; i < nl; i++)
        FZ_CHECK(name[i] == '"' ? pe_buf_puts(&sql, "\"\"") : pe_buf_append(&sql, &name[i], 1));
      FZ_CHECK(pe_buf_puts(&sql, "\""));
      const char *stmt = sql.data;
      call_str(rq, out, "sqlite.execute", h, &stmt, 1); /* a shadow table may be gone already */
      pe_buf_free(&sql);
      objects++;
    }
    pe_buf_free(&rows);
    if (!ok) return false;
    if (objects == 0) return true;
  }
  return false;
}

static void clean_up(void) {
  pe_svc_request rq;
  pe_svc_request_init(&rq, app, pe_manifest_component_by_id(app_manifest, "app"));
  pe_buf out = {0};
  bool ok = empty_store(&rq, &out, "default") && empty_store(&rq, &out, "mem") &&
            empty_store(&rq, &out, "other") && empty_database(&rq, &out, "default") &&
            empty_database(&rq, &out, "mem");
  pe_buf_free(&out);
  pe_svc_request_finish(&rq);
  if (trace) fprintf(stderr, "clean-up: %s\n", ok ? "stores emptied" : "failed, app made again");
  if (!ok) {
    /* start over: a new app in a new directory */
    close_app();
    fz_rm_tmp_dirs();
    open_app();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!app) open_app();
  fz f;
  fz_init(&f, data, size);
  uint8_t mode = fz_u8(&f);
  if (mode & 2) {
    fuzz_reader(&f);
    return 0;
  }
  pe_svc_request rq;
  pe_svc_request_init(&rq, app,
                      pe_manifest_component_by_id(app_manifest, mode & 1 ? "bare" : "app"));
  uint64_t handles[16];
  size_t nhandles = 0;
  pe_buf out = {0};
  bool wrote = false;
  for (int call = 0; call < 32 && f.left; call++) {
    uint8_t sel = fz_u8(&f);
    size_t idx = sel & 63, namelen;
    char *name;
    if (idx < NSERVICES) {
      namelen = strlen(services[idx]);
      name = (char *)fz_dup((const uint8_t *)services[idx], namelen);
    } else {
      name = (char *)fz_piece(&f, &namelen); /* not NUL-terminated, as from the guest */
    }
    size_t n;
    uint8_t *payload = fz_piece(&f, &n);
    unsigned k = (sel >> 6) & 3;
    if (k && nhandles && n >= 12 && payload[0] == 8 && !payload[1] && !payload[2] && !payload[3]) {
      uint64_t h = handles[(k - 1) % nhandles];
      for (int i = 0; i < 8; i++) payload[4 + i] = (uint8_t)(h >> (8 * i));
    }
    out.len = 0;
    chained.called = chained.answered = false;
    rq.hs.call(rq.hs.ctx, name, namelen, payload, n, &out);
    char shown[64];
    snprintf(shown, sizeof shown, "%.*s", (int)(namelen < 63 ? namelen : 63), name);
    check_reply(shown, &out);
    if (chained.answered && out.data[0] == PE_HC_OK) check_chained(&out);
    if (trace)
      fprintf(stderr, "%s -> %d %.*s\n", shown, out.data[0], out.data[0] ? (int)out.len - 1 : 0,
              out.data + 1);
    if (idx < NSERVICES && out.data[0] == PE_HC_OK &&
        (!strcmp(services[idx], "kv.set") || !strcmp(services[idx], "sqlite.execute")))
      wrote = true;
    /* remember opened handles for the calls that follow */
    if (idx < NSERVICES && out.data[0] == PE_HC_OK && strstr(services[idx], ".open") &&
        out.len == 13 && nhandles < 16) {
      uint64_t h = 0;
      for (int i = 7; i >= 0; i--) h = h << 8 | (uint8_t)out.data[5 + i];
      handles[nhandles++] = h;
    }
    free(payload);
    free(name);
  }
  pe_buf_free(&out);
  pe_svc_request_finish(&rq);
  if (wrote) clean_up();
  return 0;
}
