/*
 * serve_app.c -- `pyedge up`: manifest -> components -> router -> HTTP.
 *
 * Start-up loads spin.toml, builds the router (warnings printed), and
 * pre-initializes every component that a trigger uses (serve_component.c).
 * Each request is routed; Spin's reserved routes and static responses are
 * answered here; everything else runs in its component's fresh sandbox with
 * the `spin-*` headers added (client-sent `spin-*` headers are dropped first,
 * so a client cannot forge them). One access-log line per request goes to
 * stdout; the guest's stdout/stderr lines go to the terminal prefixed with
 * the component id, and are appended to <log dir>/<component>_stdout.txt and
 * _stderr.txt (Spin's layout; one write(2) per request and stream, so
 * concurrent requests do not interleave within a request's output; each
 * file is rotated to .1 at --max-log-size, serve_out.c).
 *
 * What a component's sandbox holds (module, component directory, -p paths,
 * pip bundle, `files`) is decided by src/build/build_plan.c from the
 * manifest and the componentize-py build command; its key names the
 * snapshot file. Everything pyedge keeps for an app lives in the state
 * directory (--state-dir, default .spin next to spin.toml): logs/,
 * pyedge/<component>-<key>.snap, pyedge/bundles/, pyedge/files/.
 *
 * [[trigger.redis]]: serve_redis.c subscribes and queues; each message runs
 * here (run_message) exactly as a request's sandbox does. An app with only
 * redis triggers opens no listener (serve_redis_only).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "build/pe_build.h"
#include "http/pe_http.h"
#include "manifest/pe_manifest.h"
#include "pe_serve.h"
#include "serve_int.h"
#include "geo.h"
#include "services/pe_services.h"
#include "util/pe_version.h"
#include "router/pe_router.h"
#include "services/runtime_config.h"
#include "services/svc_vars.h"

typedef struct app {
  const pe_serve_options *o;
  pe_manifest *m;
  pe_router *router;
  pe_services *services;
  pe_component **comps; /* parallel to m->components; NULL if unused */
  const char **ids;     /* parallel: the components' ids */
  pe_geo *geo;          /* x-user-location (geo.h); NULL: pass it through */
  pe_log *(*logs)[2];   /* parallel: stdout, stderr log files, or NULL */
  pe_out *out;          /* our stdout while serving: access log, guest stdout */
  serve_redis *redis;   /* [[trigger.redis]] subscribers, or NULL */
  /* where things are, decided at start-up */
  char base[PATH_MAX];         /* the manifest's directory */
  char state[PATH_MAX];        /* the state directory, absolute */
  char log_dir[PATH_MAX + 16]; /* "": no log files */
  pe_strs private;             /* paths the guest must never see */
  size_t log_shown; /* log_dir + log_shown: as the console shows it (relative to the working
                     * directory when under it) */
} app;

static pe_http_server *volatile running_server;
static volatile sig_atomic_t stop_asked; /* an app without HTTP waits for it */

static void on_signal(int sig) {
  (void)sig;
  stop_asked = 1;
  pe_http_server *s = running_server;
  if (s) pe_http_server_shutdown(s);
}

static void manifest_dir(const char *manifest, char *out, size_t outlen) {
  snprintf(out, outlen, "%s", manifest);
  char *slash = strrchr(out, '/');
  if (slash)
    *slash = 0;
  else
    snprintf(out, outlen, ".");
}

/* --state-dir, else <manifest dir>/.spin; created, and made absolute. */
static bool state_dir(const pe_serve_options *o, const char *base, char *out, size_t outlen,
                      char *err, size_t errlen) {
  char want[PATH_MAX];
  if (o->services.state_dir && o->services.state_dir[0])
    snprintf(want, sizeof want, "%s", o->services.state_dir);
  else if (!pe_path_join(want, sizeof want, base, ".spin")) {
    snprintf(err, errlen, "path too long");
    return false;
  }
  char real[PATH_MAX];
  if (!pe_mkdir_p(want, err, errlen)) return false;
  if (!realpath(want, real)) {
    snprintf(err, errlen, "%.1500s: %s", want, strerror(errno));
    return false;
  }
  return (size_t)snprintf(out, outlen, "%s", real) < outlen;
}

static void warn(void *ctx, const char *msg) {
  (void)ctx;
  fprintf(stderr, "pyedge: warning: %s\n", msg);
}

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000ull + (uint64_t)ts.tv_nsec / 1000;
}

/* Prints guest output line by line with the component's prefix: its stdout
 * through `out`, its stderr (out NULL) straight to stderr. */
static void print_prefixed(pe_out *out, const char *id, const pe_buf *b) {
  size_t s = 0;
  for (size_t i = 0; i <= b->len; i++) {
    if (i == b->len || b->data[i] == '\n') {
      if (i > s && out)
        pe_out_printf(out, "[%s] %.*s\n", id, (int)(i - s), b->data + s);
      else if (i > s)
        fprintf(stderr, "[%s] %.*s\n", id, (int)(i - s), b->data + s);
      s = i + 1;
    }
  }
}

/* The server's own answers. (A failed set_body or add_header marks the
 * response out of memory, which the server answers with a 500: pe_http.h.) */
static void text_response(pe_http_response *resp, int status, const char *body) {
  bool valid = pe_http_response_set_status(resp, status);
  PE_ASSERT(valid); /* only the statuses written in this file */
  pe_http_response_add_header(resp, "content-type", "text/plain; charset=utf-8");
  pe_http_response_set_body(resp, body, strlen(body));
}

/* A static response as its trigger describes it; a status the server
 * cannot send (the manifest takes 100..999) is a 500, said at start-up
 * (check_static_responses) and here. */
static int static_response(const pe_manifest_trigger *t, pe_http_response *resp) {
  if (!pe_http_response_set_status(resp, t->status_code)) {
    fprintf(stderr, "pyedge: %s: status_code %d cannot be sent as a response\n", t->id,
            t->status_code);
    text_response(resp, 500, "Internal Server Error\n");
    return 500;
  }
  for (size_t i = 0; i < t->n_headers; i++)
    pe_http_response_add_header(resp, t->headers[i].key, t->headers[i].value);
  if (t->body) pe_http_response_set_body(resp, t->body, strlen(t->body));
  return t->status_code;
}

/* Start-up warnings for what a static response will not send as written:
 * a status outside 200..599, a header the server refuses or writes itself. */
static void check_static_responses(const pe_manifest *m) {
  for (size_t i = 0; i < m->n_triggers; i++) {
    const pe_manifest_trigger *t = &m->triggers[i];
    if (t->component) continue;
    if (!pe_http_status_valid(t->status_code))
      fprintf(stderr,
              "pyedge: warning: %s: status_code %d cannot be a response; it will "
              "answer 500\n",
              t->id, t->status_code);
    for (size_t k = 0; k < t->n_headers; k++) {
      const char *name = t->headers[k].key, *value = t->headers[k].value;
      if (!pe_http_header_valid(name, value))
        fprintf(stderr, "pyedge: warning: %s: header '%s' is not sent: not a valid header\n", t->id,
                name);
      else if (pe_http_header_reserved(name))
        fprintf(stderr, "pyedge: warning: %s: header '%s' is not sent: the server writes it\n",
                t->id, name);
    }
  }
}

static void append_log(pe_log *l, const pe_buf *b) {
  pe_log_write(l, b->data, b->len); /* a failed log write loses only the log */
}

/* Opens <dir>/<id>_stdout.txt and _stderr.txt for appending, each bounded
 * by max bytes (and its .1). */
static bool open_logs(const char *dir, const char *id, uint64_t max, pe_log *logs[2], char *err,
                      size_t errlen) {
  static const char *const names[2] = {"stdout", "stderr"};
  for (int k = 0; k < 2; k++) {
    char path[PATH_MAX];
    if (!pe_path_join(path, sizeof path, dir, "%s_%s.txt", id, names[k])) {
      snprintf(err, errlen, "log path too long");
      return false;
    }
    if (!(logs[k] = pe_log_open(path, max, err, errlen))) return false;
  }
  return true;
}

/* Passes the guest's response headers to resp. A header the server must
 * not send as given is dropped with a line on stderr: one whose name or
 * value is too long or holds a NUL or is not a valid header; content-length
 * and the other framing headers are the server's to write and are dropped
 * without one (frameworks set them routinely). */
static void copy_response_headers(const char *id, const pe_abi_header *headers, size_t n,
                                  pe_http_response *resp) {
  char name[256], value[8192];
  size_t logged = 0, dropped = 0;
  for (size_t i = 0; i < n; i++) {
    const pe_abi_header *h = &headers[i];
    const char *why = NULL;
    if (h->name_len >= sizeof name || h->value_len >= sizeof value)
      why = h->name_len >= sizeof name ? "name over 255 bytes" : "value over 8191 bytes";
    else if (memchr(h->name, 0, h->name_len) || memchr(h->value, 0, h->value_len))
      why = "holds a NUL byte";
    if (!why) {
      memcpy(name, h->name, h->name_len);
      name[h->name_len] = 0;
      memcpy(value, h->value, h->value_len);
      value[h->value_len] = 0;
      if (pe_http_response_add_header(resp, name, value) || pe_http_header_reserved(name)) continue;
      why = "not a valid header name or value";
    }
    dropped++;
    if (logged++ < 3)
      fprintf(stderr, "pyedge: %s: response header '%.*s' dropped: %s\n", id,
              (int)(h->name_len < 64 ? h->name_len : 64), h->name, why);
  }
  if (dropped > logged)
    fprintf(stderr, "pyedge: %s: %zu more response headers dropped\n", id, dropped - logged);
}

/* Runs an encoded request on comp, with the component's services, and
 * sends its output to the terminal and the component's logs. */
static void run_sandbox(app *a, const pe_manifest_component *mc, pe_component *comp,
                        pe_log *logs[2], const pe_buf *enc, pe_svc_request *svc,
                        pe_component_result *res) {
  pe_component_handle(comp, (const uint8_t *)enc->data, enc->len, &svc->hs, res);
  if (res->resident_pages)
    fprintf(stderr, "pyedge: %s: pages mapped %llu, dirty %llu\n", mc->id,
            (unsigned long long)res->resident_pages, (unsigned long long)res->dirty_pages);
  print_prefixed(a->out, mc->id, &res->out);
  print_prefixed(NULL, mc->id, &res->err);
  append_log(logs[0], &res->out);
  append_log(logs[1], &res->err);
}

/* A response the guest streams (the "response" host calls,
 * services/response/svc_response.c) goes through here to the HTTP server,
 * which sends each piece as it comes (pe_http.h). */
typedef struct stream_sink {
  pe_svc_stream ops;
  pe_http_response *resp;
  const char *id;
  int status;
  bool begun, ended;
} stream_sink;

static bool sink_start(void *ctx, unsigned status, const pe_abi_header *h, size_t n, char *why,
                       size_t whylen) {
  stream_sink *k = ctx;
  if (!pe_http_response_set_status(k->resp, (int)status)) {
    snprintf(why, whylen, "status %u cannot be sent (200..599)", status);
    return false;
  }
  copy_response_headers(k->id, h, n, k->resp);
  if (!pe_http_response_stream_begin(k->resp)) {
    snprintf(why, whylen, "out of memory");
    return false;
  }
  k->status = (int)status;
  k->begun = true;
  return true;
}

static pe_svc_stream_status sink_write(void *ctx, const uint8_t *p, size_t n, unsigned timeout_ms,
                                       size_t *done) {
  stream_sink *k = ctx;
  switch (pe_http_response_stream_write(k->resp, p, n, timeout_ms, done)) {
    case PE_HTTP_STREAM_OK: return PE_SVC_STREAM_OK;
    case PE_HTTP_STREAM_TIMEOUT: return PE_SVC_STREAM_TIMEOUT;
    default: return PE_SVC_STREAM_GONE;
  }
}

static void sink_end(void *ctx) {
  stream_sink *k = ctx;
  pe_http_response_stream_end(k->resp, true);
  k->ended = true;
}

static void log_dropped_request_headers(const char *id, const guest_request *g) {
  if (g->dropped)
    fprintf(stderr, "pyedge: %s: %zu request headers over the limit of %u not passed on\n", id,
            g->dropped, PE_GUEST_CLIENT_HEADERS);
}

static int run_component(app *a, const pe_manifest_component *mc, pe_component *comp,
                         pe_log *logs[2], const pe_http_request *req, const pe_buf *uri,
                         const pe_router_result *rr, pe_http_response *resp, uint64_t *sandbox_ns,
                         bool *stream_broken) {
  guest_request *g = malloc(sizeof *g);
  char location[16];
  pe_buf full_url = {0}, enc = {0};
  if (!g) {
    text_response(resp, 500, "Internal Server Error\n");
    return 500;
  }
  guest_request_init(g);
  pe_geo_verdict geo = pe_geo_decide(a->geo, req->client_ip, location, sizeof location);
  for (size_t i = 0; i < req->header_count; i++) {
    const pe_http_header *h = &req->headers[i];
    if (geo != PE_GEO_PASS && h->name_len == 15 && memcmp(h->name, "x-user-location", 15) == 0)
      continue;
    guest_request_client_header(g, h->name, h->name_len, h->value, h->value_len);
  }
  log_dropped_request_headers(mc->id, g);
  const char *host = pe_http_request_header(req, "host");
  char client[128];
  snprintf(client, sizeof client, "%s:%u", req->client_ip, req->client_port);
  bool ok = pe_buf_printf(&full_url, "http://%s", host ? host : "localhost") &&
            pe_buf_append(&full_url, uri->data, uri->len) &&
            guest_request_spin_headers(g, rr, full_url.data, full_url.len, client);
  if (ok && geo == PE_GEO_SET)
    guest_request_host_header(g, "x-user-location", location, strlen(location));
  ok = ok &&
       guest_request_encode(g, &enc, req->method, uri->data, uri->len, req->body, req->body_len);
  guest_request_free(g);
  free(g);
  pe_buf_free(&full_url);
  if (!ok) {
    text_response(resp, 500, "Internal Server Error\n");
    pe_buf_free(&enc);
    return 500;
  }
  pe_component_result res;
  pe_svc_request svc;
  pe_svc_request_init(&svc, a->services, mc);
  stream_sink sink = {.ops = {sink_start, sink_write, sink_end, NULL}, .resp = resp, .id = mc->id};
  sink.ops.ctx = &sink;
  svc.stream = &sink.ops;
  run_sandbox(a, mc, comp, logs, &enc, &svc, &res);
  pe_svc_request_finish(&svc);
  pe_buf_free(&enc);
  *sandbox_ns = res.instantiate_ns;
  int status = 500;
  pe_abi_response r;
  if (sink.begun) {
    /* The head is out: the outcome can no longer be a 500 or a 504, only
     * a body that ends (sink.ended) or breaks. */
    if (res.status != PE_COMPONENT_OK || !sink.ended) {
      pe_http_response_stream_end(resp, false);
      fprintf(stderr, "pyedge: %s: the streamed response broke after its head: %s\n", mc->id,
              res.status == PE_COMPONENT_TIMEOUT ? "the request timed out"
              : res.status != PE_COMPONENT_OK    ? res.reason
                                                 : "the handler ended without finishing the body");
      *stream_broken = true;
    }
    status = sink.status;
  } else if (res.status == PE_COMPONENT_TIMEOUT) {
    fprintf(stderr, "pyedge: %s: request timed out: %s\n", mc->id, res.reason);
    text_response(resp, status = 504, "Gateway Timeout\n");
  } else if (res.status != PE_COMPONENT_OK) {
    fprintf(stderr, "pyedge: %s: %s\n", mc->id, res.reason);
    text_response(resp, status = 500, "Internal Server Error\n");
  } else if (!pe_abi_decode_response((const uint8_t *)res.response.data, res.response.len, &r) ||
             !pe_http_response_set_status(resp, r.status)) {
    fprintf(stderr, "pyedge: %s: the handler returned a malformed response\n", mc->id);
    text_response(resp, status = 500, "Internal Server Error\n");
    pe_abi_response_free(&r); /* decoded, but a status the server refuses */
  } else {
    status = r.status;
    copy_response_headers(mc->id, r.headers, r.n_headers, resp);
    if (!pe_http_response_set_body(resp, r.body, r.body_len)) {
      fprintf(stderr, "pyedge: %s: out of memory for the response body\n", mc->id);
      text_response(resp, status = 500, "Internal Server Error\n");
    }
    pe_abi_response_free(&r);
  }
  pe_component_result_free(&res);
  return status;
}

/* A Redis message on a trigger worker (serve_redis.c): the component's
 * fresh sandbox with its services, output and logs, as for a request. The
 * guest answers a status only: 200 handled, else it failed (the guest has
 * written why, with the traceback, to its stderr). */
static void run_message(void *ctx, size_t ci, const char *server, const char *channel,
                        const uint8_t *msg, size_t len) {
  app *a = ctx;
  const pe_manifest_component *mc = &a->m->components[ci];
  uint64_t t0 = now_us();
  pe_buf enc = {.data = (char *)msg, .len = len, .cap = len}; /* read only */
  pe_component_result res;
  pe_svc_request svc;
  pe_svc_request_init(&svc, a->services, mc);
  run_sandbox(a, mc, a->comps[ci], a->logs[ci], &enc, &svc, &res);
  pe_svc_request_finish(&svc);
  const char *outcome = "ok";
  pe_abi_response r;
  if (res.status == PE_COMPONENT_TIMEOUT) {
    fprintf(stderr, "pyedge: %s: redis message on %s/%s timed out: %s\n", mc->id, server, channel,
            res.reason);
    outcome = "timeout";
  } else if (res.status != PE_COMPONENT_OK) {
    fprintf(stderr, "pyedge: %s: redis message on %s/%s: %s\n", mc->id, server, channel,
            res.reason);
    outcome = "failed";
  } else if (!pe_abi_decode_response((const uint8_t *)res.response.data, res.response.len, &r)) {
    fprintf(stderr, "pyedge: %s: redis message on %s/%s: malformed result\n", mc->id, server,
            channel);
    outcome = "failed";
  } else {
    if (r.status != 200) outcome = "failed";
    pe_abi_response_free(&r);
  }
  if (!a->o->quiet)
    pe_out_printf(a->out, "REDIS %s/%s %s %s %.3fms (sandbox %.3fms)\n", server, channel, outcome,
                  mc->id, (double)(now_us() - t0) / 1000.0, (double)res.instantiate_ns / 1e6);
  pe_component_result_free(&res);
}

/* Service chaining (pe_services_set_chain): a request from one component
 * to another, routed as Spin routes it (pe_router_match_internal: the
 * callee answers as if on "/...") with the spin-* headers built as for an
 * inbound request, run in this thread nested in the caller's host call. */
static pe_chain_status chain(void *ctx, const char *id, const pe_chain_request *cr,
                             pe_svc_request *child, pe_buf *response, char *why, size_t whylen) {
  app *a = ctx;
  pe_router_result rr;
  if (!pe_router_match_internal(a->router, id, cr->target, cr->target_len, &rr))
    return PE_CHAIN_NO_COMPONENT;
  size_t ci = a->m->n_components;
  for (size_t i = 0; i < a->m->n_components; i++)
    if (a->comps[i] && strcmp(a->m->components[i].id, rr.target) == 0) ci = i;
  if (ci == a->m->n_components) return PE_CHAIN_NO_COMPONENT;
  const pe_manifest_component *mc = &a->m->components[ci];
  guest_request *g = malloc(sizeof *g);
  pe_buf enc = {0};
  bool ok = g != NULL;
  if (ok) {
    guest_request_init(g);
    for (size_t i = 0; i < cr->n_headers; i++)
      guest_request_client_header(g, cr->headers[i].name, cr->headers[i].name_len,
                                  cr->headers[i].value, cr->headers[i].value_len);
    log_dropped_request_headers(mc->id, g);
    ok = guest_request_spin_headers(g, &rr, cr->full_url, cr->full_url_len, "127.0.0.1:0") &&
         guest_request_encode(g, &enc, cr->method, cr->target, cr->target_len, cr->body,
                              cr->body_len);
    guest_request_free(g);
    free(g);
  }
  if (!ok) {
    pe_buf_free(&enc);
    snprintf(why, whylen, "out of memory");
    fprintf(stderr, "pyedge: %s (chained): out of memory\n", id);
    return PE_CHAIN_FAILED;
  }
  pe_component_result res;
  run_sandbox(a, mc, a->comps[ci], a->logs[ci], &enc, child, &res);
  pe_buf_free(&enc);
  pe_chain_status st = res.status == PE_COMPONENT_OK          ? PE_CHAIN_OK
                       : res.status == PE_COMPONENT_TIMEOUT   ? PE_CHAIN_TIMEOUT
                       : res.status == PE_COMPONENT_NO_MEMORY ? PE_CHAIN_NO_MEMORY
                                                              : PE_CHAIN_FAILED;
  if (st != PE_CHAIN_OK) fprintf(stderr, "pyedge: %s (chained): %s\n", id, res.reason);
  snprintf(why, whylen, "%s", res.reason);
  *response = res.response;
  res.response = (pe_buf){0};
  pe_component_result_free(&res);
  return st;
}

static void handle(const pe_http_request *req, pe_http_response *resp, void *user) {
  app *a = user;
  uint64_t t0 = now_us();
  pe_router_result rr;
  const char *who = "-";
  int status = 404;
  uint64_t sandbox_ns = 0; /* time to make the request's sandbox */
  bool broken = false;     /* a streamed response that did not end whole */
  /* origin-form "/path?query", also for an absolute-form target
   * ("http://host/path?query", RFC 9112 3.2.2): routing and the guest see
   * the path and query only */
  pe_buf uri = {0};
  bool ok = req->target_len && req->target[0] == '/'
                ? pe_buf_append(&uri, req->target, req->target_len) /* as sent, "?" included */
                : pe_buf_append(&uri, req->path, req->path_len) &&
                      (!req->query_len ||
                       (pe_buf_puts(&uri, "?") && pe_buf_append(&uri, req->query, req->query_len)));
  if (!ok) {
    text_response(resp, 500, "Internal Server Error\n");
    pe_buf_free(&uri);
    return;
  }
  switch (pe_router_match(a->router, uri.data, uri.len, &rr)) {
    case PE_ROUTER_HEALTH: text_response(resp, status = 200, "OK"); break;
    case PE_ROUTER_INFO: {
      /* the manifest's name and version are any text: escaped, never cut */
      pe_buf body = {0};
      bool ok = pe_buf_puts(&body, "{\"name\":") && pe_buf_json_string(&body, a->m->name) &&
                pe_buf_puts(&body, ",\"version\":") && pe_buf_json_string(&body, a->m->version) &&
                pe_buf_printf(&body, ",\"host\":\"pyedge %s\"}", PE_VERSION);
      if (!ok) {
        text_response(resp, status = 500, "Internal Server Error\n");
      } else {
        bool valid = pe_http_response_set_status(resp, status = 200);
        PE_ASSERT(valid);
        pe_http_response_add_header(resp, "content-type", "application/json");
        pe_http_response_set_body(resp, body.data, body.len);
      }
      pe_buf_free(&body);
      break;
    }
    case PE_ROUTER_MATCH:
      if (rr.is_static) {
        const pe_manifest_trigger *t = &a->m->triggers[rr.index];
        status = static_response(t, resp);
        who = t->id;
      } else {
        pe_component *comp = NULL;
        const pe_manifest_component *mc = NULL;
        pe_log **logs = NULL;
        for (size_t i = 0; i < a->m->n_components; i++)
          if (a->comps[i] && !strcmp(a->m->components[i].id, rr.target)) {
            comp = a->comps[i];
            mc = &a->m->components[i];
            logs = a->logs[i];
          }
        if (!comp) {
          text_response(resp, status = 500, "Internal Server Error\n");
          break;
        }
        who = pe_component_id(comp);
        status = run_component(a, mc, comp, logs, req, &uri, &rr, resp, &sandbox_ns, &broken);
      }
      break;
    default: text_response(resp, status = 404, "Not Found\n");
  }
  if (!a->o->quiet)
    pe_out_printf(a->out, "%s %.*s %d %s %.3fms (sandbox %.3fms)%s\n", req->method,
                  (int)req->path_len, req->path, status, who, (double)(now_us() - t0) / 1000.0,
                  (double)sandbox_ns / 1e6, broken ? " stream broken" : "");
  pe_buf_free(&uri);
}

/* <state>/pyedge/<component>-<key>.snap, the key covering everything that
 * decides what pre-initialization produces: the runtime, the module, the
 * environment, the memory limit and the plan's key (build_plan.c: the
 * component's files, -p paths, bundle, `files` tree, SDK and mounts). */
static bool snapshot_path(const pe_serve_options *o, const char *state, const char *id,
                          const pe_plan *plan, const char *const *env, int nenv, char *out,
                          size_t outlen) {
  pe_sha256 *h = pe_sha256_begin();
  if (!h) return false;
  char so[PATH_MAX];
  const char *parts[] = {PE_VERSION, realpath(o->python_so, so) ? so : o->python_so, plan->module,
                         plan->key};
  for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
    pe_sha256_update(h, parts[i], strlen(parts[i]) + 1);
  for (int i = 0; i < nenv; i++) pe_sha256_update(h, env[i], strlen(env[i]) + 1);
  char max[32];
  snprintf(max, sizeof max, "%llu", (unsigned long long)o->max_memory);
  pe_sha256_update(h, max, strlen(max) + 1);
  char key[65];
  pe_sha256_end(h, key);
  return (size_t)snprintf(out, outlen, "%s/pyedge/%s-%.16s.snap", state, id, key) < outlen;
}

/* Build notes (requirements skipped, warnings) with the component's name. */
static void build_note(void *ctx, bool warning, const char *msg) {
  fprintf(stderr, "pyedge: %s%s: %s\n", warning ? "warning: " : "", (const char *)ctx, msg);
}

/* One path the guest must never see, as a real path even when it does
 * not exist yet (a store's -wal file appears later). */
static bool push_private(pe_strs *out, const char *path, const char *suffix) {
  char full[PATH_MAX], real[PATH_MAX], dir[PATH_MAX];
  if ((size_t)snprintf(full, sizeof full, "%s%s", path, suffix) >= sizeof full) return false;
  if (realpath(full, real)) return pe_strs_push(out, real);
  manifest_dir(full, dir, sizeof dir); /* its directory, or "." */
  const char *slash = strrchr(full, '/');
  const char *leaf = slash ? slash + 1 : full;
  char dreal[PATH_MAX];
  if (!realpath(dir, dreal)) return pe_strs_push(out, full);
  return pe_path_join(real, sizeof real, dreal, "%s", leaf) && pe_strs_push(out, real);
}

/* Everything of pyedge's that may lie inside an app directory besides the
 * state directory (which pe_plan_component adds itself): the log
 * directory, the runtime config file and every store file it names, with
 * SQLite's side files. */
static bool private_paths(const pe_serve_options *o, const char *log_dir, pe_strs *out, char *err,
                          size_t errlen) {
  bool ok = !log_dir[0] || push_private(out, log_dir, "");
  const char *rcfile = o->services.runtime_config;
  if (ok && rcfile) ok = push_private(out, rcfile, "");
  pe_runtime_config rc = {0};
  if (ok && rcfile && !pe_runtime_config_load(rcfile, &rc, err, errlen)) return false;
  static const char *const sides[] = {"", "-wal", "-shm", "-journal"};
  for (int pass = 0; ok && pass < 2; pass++) {
    const pe_rc_entry *e = pass ? rc.sqlite : rc.kv;
    size_t n = pass ? rc.nsqlite : rc.nkv;
    for (size_t i = 0; ok && i < n; i++)
      for (size_t k = 0; ok && e[i].path && k < sizeof sides / sizeof *sides; k++)
        ok = push_private(out, e[i].path, sides[k]);
  }
  pe_runtime_config_free(&rc);
  if (!ok) snprintf(err, errlen, "out of memory");
  return ok;
}

/* Gives dir's own entries (not below them, except one level of logs/) to
 * the user: start-up, as root, created the stores, their WAL and the log
 * files, which the server must go on writing as that user. */
static bool give_dir(const char *dir, const pe_lockdown_user *u, int depth, char *err,
                     size_t errlen) {
  DIR *d = opendir(dir);
  if (!d) return true;
  bool ok = fchown(dirfd(d), u->uid, u->gid) == 0;
  for (struct dirent *e; ok && (e = readdir(d)) != NULL;) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, "pyedge"))
      continue;
    char path[PATH_MAX];
    struct stat st;
    if (!pe_path_join(path, sizeof path, dir, "%s", e->d_name) || lstat(path, &st) != 0) continue;
    if (S_ISDIR(st.st_mode) && depth > 0)
      ok = give_dir(path, u, depth - 1, err, errlen);
    else if (S_ISREG(st.st_mode))
      ok = lchown(path, u->uid, u->gid) == 0;
  }
  closedir(d);
  if (!ok) snprintf(err, errlen, "--user: cannot give %s to the user: %s", dir, strerror(errno));
  return ok;
}

static bool give_state(const pe_lockdown_user *u, const char *state, const char *log_dir,
                       const pe_strs *private, char *err, size_t errlen) {
  if (!give_dir(state, u, 1, err, errlen) || (log_dir[0] && !give_dir(log_dir, u, 0, err, errlen)))
    return false;
  for (size_t i = 0; i < private->len; i++) {
    struct stat st;
    if (lstat(private->items[i], &st) == 0 && S_ISREG(st.st_mode) &&
        lchown(private->items[i], u->uid, u->gid) != 0) {
      snprintf(err, errlen, "--user: cannot give %s to the user: %s", private->items[i],
               strerror(errno));
      return false;
    }
  }
  return true;
}

/* Start-up is over: drop the user, then the system calls (serve_lockdown.c). */
static bool lock_down(const pe_serve_options *o, const app *a, const char *state,
                      const char *log_dir, const pe_strs *private, char *err, size_t errlen) {
  pe_lockdown_user user;
  if (o->user && !pe_lockdown_resolve_user(o->user, &user, err, errlen)) return false;
  if (o->user && geteuid() == 0 && !give_state(&user, state, log_dir, private, err, errlen))
    return false;
  pe_lockdown_options lo = {.user = o->user ? &user : NULL, .mode = o->seccomp};
  for (size_t i = 0; i < a->m->n_components; i++) {
    const pe_manifest_list *l = &a->m->components[i].allowed_outbound_hosts;
    /* llm calls go through libcurl too */
    lo.outbound |= l->len > 0 || a->m->components[i].ai_models.len > 0;
    for (size_t j = 0; j < l->len; j++) { /* "*://", "{{ scheme }}://" may be either */
      bool any = l->items[j][0] && strchr("*{", l->items[j][0]);
      lo.postgres |= any || !strncmp(l->items[j], "postgres", 8);
      lo.mysql |= any || !strncmp(l->items[j], "mysql", 5);
      lo.mqtt |= any || !strncmp(l->items[j], "mqtt", 4);
    }
  }
  lo.outbound |= a->redis != NULL; /* the subscribers resolve names: NSS loaded first */
  return pe_lockdown(&lo, err, errlen);
}

static bool redis_used(const pe_manifest *m, const char *id) {
  for (size_t i = 0; i < m->n_redis_triggers; i++)
    if (!strcmp(m->redis_triggers[i].component, id)) return true;
  return false;
}

static bool http_used(const pe_manifest *m, const char *id) {
  for (size_t i = 0; i < m->n_triggers; i++)
    if (m->triggers[i].component && !strcmp(m->triggers[i].component, id)) return true;
  return false;
}

static bool component_used(const pe_manifest *m, const char *id) {
  return http_used(m, id) || redis_used(m, id);
}

static bool redis_open(app *a, char *err, size_t errlen);

/* Start-up before any component: the manifest, router, state and log
 * directories, the private paths and the services (a missing required
 * variable stops us here, before the slow part). */
static bool app_open(app *a, char *err, size_t errlen) {
  const pe_serve_options *o = a->o;
  pe_manifest_error merr;
  a->m = pe_manifest_load(o->manifest, &merr);
  if (!a->m) {
    snprintf(err, errlen, "%s", merr.msg);
    return false;
  }
  for (size_t i = 0; i < a->m->warnings.len; i++) warn(NULL, a->m->warnings.items[i]);
  check_static_responses(a->m);
  a->router = pe_router_from_manifest(a->m, warn, NULL, err, errlen);
  if (!a->router) return false;
  a->comps = calloc(a->m->n_components ? a->m->n_components : 1, sizeof *a->comps);
  a->logs = calloc(a->m->n_components ? a->m->n_components : 1, sizeof *a->logs);
  a->ids = calloc(a->m->n_components ? a->m->n_components : 1, sizeof *a->ids);
  if (!a->comps || !a->logs || !a->ids) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  for (size_t i = 0; i < a->m->n_components; i++) a->ids[i] = a->m->components[i].id;
  if (!o->build_only && !pe_geo_open(&o->services, &a->geo, err, errlen)) return false;
  manifest_dir(o->manifest, a->base, sizeof a->base);
  char why[1800];
  if (!state_dir(o, a->base, a->state, sizeof a->state, why, sizeof why)) {
    snprintf(err, errlen, "state directory: %s", why);
    return false;
  }
  if (o->log_dir)
    snprintf(a->log_dir, sizeof a->log_dir, "%s", o->log_dir);
  else
    snprintf(a->log_dir, sizeof a->log_dir, "%s/logs", a->state);
  if (a->log_dir[0] && !pe_mkdir_p(a->log_dir, why, sizeof why)) {
    snprintf(err, errlen, "log directory: %s", why);
    return false;
  }
  if (!private_paths(o, a->log_dir, &a->private, err, errlen)) return false;
  char cwd[PATH_MAX]; /* now: the serving process may not ask later (serve_lockdown.c) */
  size_t cl = getcwd(cwd, sizeof cwd) ? strlen(cwd) : 0;
  if (cl > 1 && !strncmp(a->log_dir, cwd, cl) && a->log_dir[cl] == '/') a->log_shown = cl + 1;
  if (o->build_only) return true;
  pe_services_options so = o->services;
  so.listen = o->listen;
  so.request_timeout_ns = o->timeout_ns;
  a->services = pe_services_new(a->m, a->base, &so, err, errlen);
  if (!a->services) return false;
  pe_services_set_chain(a->services, chain, a);
  return redis_open(a, err, errlen);
}

/* The component's environment: its manifest's K=V, then every -e; for a
 * component a redis trigger names, PYEDGE_TRIGGERS says which calls it
 * gets, so that pyedge_entry looks for those handlers (an HTTP-only
 * component's environment, and so its snapshot key, is as before). */
static bool component_env(const pe_serve_options *o, const pe_manifest *m,
                          const pe_manifest_component *mc, pe_strs *env) {
  for (size_t k = 0; k < mc->n_environment; k++)
    if (!pe_strs_pushf(env, "%s=%s", mc->environment[k].key, mc->environment[k].value))
      return false;
  for (int k = 0; k < o->nenv; k++)
    if (!pe_strs_push(env, o->env[k])) return false;
  /* last, so that the app's own K=V cannot change it */
  return !redis_used(m, mc->id) ||
         pe_strs_pushf(env, "PYEDGE_TRIGGERS=%s", http_used(m, mc->id) ? "http,redis" : "redis");
}

/* Where the component's snapshot file goes (its directory made for
 * `pyedge build`); "" when it cannot be named, which only build minds. */
static bool component_snapshot(const app *a, const pe_manifest_component *mc, const pe_plan *plan,
                               const pe_strs *env, char *snap, size_t snaplen, char *err,
                               size_t errlen) {
  const pe_serve_options *o = a->o;
  if (!snapshot_path(o, a->state, mc->id, plan, (const char *const *)env->items, (int)env->len,
                     snap, snaplen)) {
    snap[0] = 0;
    if (!o->build_only) return true;
    snprintf(err, errlen, "component %s: snapshot path too long", mc->id);
    return false;
  }
  char snap_dir[PATH_MAX + 16];
  snprintf(snap_dir, sizeof snap_dir, "%s/pyedge", a->state);
  return !o->build_only || pe_mkdir_p(snap_dir, err, errlen);
}

static void report_ready(const app *a, size_t i, const char *module, const char *snap, double ms) {
  const char *id = a->m->components[i].id;
  const pe_component *c = a->comps[i];
  if (a->o->build_only)
    fprintf(stderr, "pyedge: %s built: %s.py pre-initialized in %.1f ms; snapshot %s (%.1f KiB)\n",
            id, module, ms, snap, (double)pe_component_file_bytes(c) / 1024);
  else if (pe_component_from_file(c))
    fprintf(stderr, "pyedge: %s ready: %s.py from its snapshot file in %.1f ms (%.1f KiB)\n", id,
            module, ms, (double)pe_component_file_bytes(c) / 1024);
  else
    fprintf(stderr, "pyedge: %s ready: %s.py pre-initialized in %.1f ms, snapshot %.1f MiB\n", id,
            module, ms, (double)pe_component_snapshot_bytes(c) / (1 << 20));
}

/* Plans component i's sandbox, starts (or loads) its snapshot and opens
 * its log files. */
static bool start_component(app *a, size_t i, char *err, size_t errlen) {
  const pe_serve_options *o = a->o;
  const pe_manifest_component *mc = &a->m->components[i];
  /* what the sandbox is made of: module, mounts, bundle, files, key */
  pe_plan plan;
  pe_plan_options po = {.manifest_dir = a->base,
                        .state_dir = a->state,
                        .sdk_dir = o->sdk_dir,
                        .stdlib_dir = o->stdlib_dir,
                        .max_bundle = o->max_bundle,
                        .warn_bundle = o->warn_bundle,
                        .note = o->build_notes_said ? NULL : build_note,
                        .private_paths = (const char *const *)a->private.items,
                        .nprivate = a->private.len,
                        .note_ctx = (void *)mc->id};
  char why[1800];
  if (!pe_plan_component(&po, mc, &plan, why, sizeof why)) {
    snprintf(err, errlen, "component %.100s: %s", mc->id, why);
    return false;
  }
  pe_strs env = {0};
  char snap[PATH_MAX + 64], module[256];
  snprintf(module, sizeof module, "%s", plan.module);
  bool ok = component_env(o, a->m, mc, &env);
  if (!ok) snprintf(err, errlen, "out of memory");
  ok = ok && component_snapshot(a, mc, &plan, &env, snap, sizeof snap, err, errlen);
  uint64_t t0 = now_us();
  if (ok) {
    pe_component_config cc = {.id = mc->id,
                              .python_so = o->python_so,
                              .stdlib_dir = o->stdlib_dir,
                              .sdk_dir = o->sdk_dir,
                              .app_dir = plan.app_tree,
                              .app_module = plan.module,
                              .mounts = plan.mounts,
                              .nmounts = plan.nmounts,
                              .python_path = plan.python_path,
                              .env = (const char *const *)env.items,
                              .nenv = (int)env.len,
                              .max_memory = o->max_memory,
                              .timeout_ns = o->timeout_ns,
                              .max_reuse = o->max_reuse,
                              .snapshot_file = snap[0] ? snap : NULL,
                              .save_snapshot = o->build_only};
    ok = (a->comps[i] = pe_component_new(&cc, err, errlen)) != NULL;
  }
  pe_plan_free(&plan);
  pe_strs_free(&env);
  if (!ok ||
      (a->log_dir[0] && !open_logs(a->log_dir, mc->id, o->max_log_size, a->logs[i], err, errlen)))
    return false;
  report_ready(a, i, module, snap, (double)(now_us() - t0) / 1000.0);
  return true;
}

/* [[trigger.redis]] resolved ({{ variables }} in address and channel, as
 * Spin resolves them) and grouped by server; nothing connects yet. */
static bool redis_open(app *a, char *err, size_t errlen) {
  const pe_manifest *m = a->m;
  size_t n = m->n_redis_triggers;
  if (!n || a->o->build_only) return true;
  serve_redis_sub *subs = calloc(n, sizeof *subs);
  char **owned = calloc(3 * n, sizeof *owned);
  bool ok = subs && owned;
  if (!ok) snprintf(err, errlen, "out of memory");
  for (size_t i = 0; ok && i < n; i++) {
    const pe_manifest_redis_trigger *t = &m->redis_triggers[i];
    char why[600], *where = malloc(512);
    if (!(owned[3 * i] = where)) {
      snprintf(err, errlen, "out of memory");
      ok = false;
      break;
    }
    snprintf(where, 512, "%s:%d: [[trigger.redis]] '%.200s'", m->file, t->line, t->id);
    subs[i].where = where;
    char *addr = owned[3 * i + 1] =
        pe_svc_vars_expand(a->services, t->address, NULL, why, sizeof why);
    char *chan = addr ? (owned[3 * i + 2] =
                             pe_svc_vars_expand(a->services, t->channel, NULL, why, sizeof why))
                      : NULL;
    if (!addr || !chan) {
      snprintf(err, errlen, "%s: %s: %s", where, addr ? "channel" : "address", why);
      ok = false;
    } else if (!chan[0]) {
      snprintf(err, errlen, "%s: the channel is empty once its variables are resolved", where);
      ok = false;
    }
    subs[i].address = addr;
    subs[i].channel = chan;
    for (size_t c = 0; c < m->n_components; c++)
      if (!strcmp(m->components[c].id, t->component)) subs[i].component = c;
  }
  unsigned workers = a->o->workers;
  if (!workers) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    workers = cpus > 0 && cpus < 256 ? (unsigned)cpus : 4;
  }
  if (ok) ok = (a->redis = serve_redis_new(subs, n, workers, run_message, a, err, errlen)) != NULL;
  if (!ok) pe_svc_vars_redact(a->services, err); /* an address may hold a secret */
  for (size_t i = 0; owned && i < 3 * n; i++) free(owned[i]);
  free(owned);
  free(subs);
  return ok;
}

static void say_logging(const app *a) {
  if (a->log_dir[0])
    pe_out_printf(a->out, "Logging component stdio to \"%s/\"\n\n", a->log_dir + a->log_shown);
}

/* Spin's console lines on standard output, as `spin up` prints them and
 * scripts wait for: where component output is logged, the address, and
 * one line per route ("name: URL", "(wildcard)" for a trailing "/..."). */
static void say_serving(const app *a, int port) {
  const char *listen = a->o->listen;
  const char *colon = listen[0] == '[' ? strchr(listen, ']') : strrchr(listen, ':');
  int host_len = colon ? (int)(colon - listen) + (listen[0] == '[') : (int)strlen(listen);
  char base[160];
  snprintf(base, sizeof base, "http://%.*s:%d", host_len, listen, port);
  say_logging(a);
  pe_out_printf(a->out, "Serving %s\nAvailable Routes:\n", base);
  for (size_t i = 0; i < pe_router_count(a->router); i++) {
    const char *target;
    const char *route = pe_router_route_at(a->router, i, &target);
    size_t rl = strlen(route);
    bool wild = rl >= 4 && !strcmp(route + rl - 4, "/...");
    int keep = (int)(wild ? rl - 4 : rl);
    pe_out_printf(a->out, "  %s: %s%.*s%s\n", target, base, keep, route, wild ? " (wildcard)" : "");
  }
}

/* Listens, locks the process down and serves until SIGINT or SIGTERM. */
static bool serve_http(app *a, char *err, size_t errlen) {
  const pe_serve_options *o = a->o;
  pe_http_config hc;
  pe_http_config_init(&hc);
  hc.listen = o->listen;
  if (o->workers) hc.workers = o->workers;
  if (o->find_free_port) hc.port_tries = 100;
  pe_http_server *srv = pe_http_server_new(&hc, handle, a, err, errlen);
  if (!srv) return false;
  fflush(stdout); /* what stdio holds goes before what `out` will write */
  a->out = pe_out_open(STDOUT_FILENO, err, errlen);
  if (!a->out || !lock_down(o, a, a->state, a->log_dir, &a->private, err, errlen)) {
    pe_http_server_free(srv);
    return false;
  }
  /* before the ready line: whoever waits for it may stop us right away
   * (a shutdown asked for before the loop runs is kept until it does) */
  running_server = srv;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  if (a->redis && !serve_redis_start(a->redis, err, errlen)) {
    running_server = NULL;
    serve_redis_stop(a->redis);
    pe_http_server_free(srv);
    return false;
  }
  say_serving(a, pe_http_server_port(srv));
  if (a->redis) serve_redis_describe(a->redis, a->ids, a->out);
  fprintf(stderr, "pyedge: serving %s on http://%s (port %d)\n", a->m->name, o->listen,
          pe_http_server_port(srv));
  for (size_t i = 0; i < pe_router_count(a->router); i++) {
    const char *target;
    const char *route = pe_router_route_at(a->router, i, &target);
    fprintf(stderr, "  %s -> %s\n", route, target);
  }
  bool ok = pe_http_server_run(srv) == 0;
  if (!ok) snprintf(err, errlen, "the server stopped with an error");
  serve_redis_stop(a->redis); /* before the output it writes to goes */
  pe_out_close(a->out);
  a->out = NULL;
  running_server = NULL;
  pe_http_server_free(srv);
  fprintf(stderr, "pyedge: stopped\n");
  return ok;
}

/* An app with only [[trigger.redis]]: no HTTP listener (as `spin up`
 * runs only the triggers an app has); subscribes and waits for SIGINT or
 * SIGTERM. */
static bool serve_redis_only(app *a, char *err, size_t errlen) {
  fflush(stdout);
  a->out = pe_out_open(STDOUT_FILENO, err, errlen);
  if (!a->out || !lock_down(a->o, a, a->state, a->log_dir, &a->private, err, errlen)) return false;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  if (!serve_redis_start(a->redis, err, errlen)) {
    serve_redis_stop(a->redis);
    return false;
  }
  say_logging(a);
  serve_redis_describe(a->redis, a->ids, a->out);
  fprintf(stderr, "pyedge: serving %s: %zu redis channel%s, no HTTP listener\n", a->m->name,
          serve_redis_channels(a->redis), serve_redis_channels(a->redis) == 1 ? "" : "s");
  while (!stop_asked) {
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  serve_redis_stop(a->redis);
  pe_out_close(a->out);
  a->out = NULL;
  fprintf(stderr, "pyedge: stopped\n");
  return true;
}

static void app_close(app *a) {
  pe_out_close(a->out);
  serve_redis_free(a->redis);
  free(a->ids);
  for (size_t i = 0; a->comps && i < a->m->n_components; i++) pe_component_free(a->comps[i]);
  for (size_t i = 0; a->logs && i < a->m->n_components; i++)
    for (int k = 0; k < 2; k++) pe_log_close(a->logs[i][k]);
  free(a->comps);
  free(a->logs);
  pe_services_free(a->services);
  pe_geo_free(a->geo);
  pe_router_free(a->router);
  pe_manifest_free(a->m);
  pe_strs_free(&a->private);
}

int pe_serve(const pe_serve_options *o) {
  app *a = calloc(1, sizeof *a);
  char err[2048] = "";
  if (!a) {
    fprintf(stderr, "pyedge: out of memory\n");
    return 1;
  }
  a->o = o;
  bool ok = app_open(a, err, sizeof err);
  for (size_t i = 0; ok && i < a->m->n_components; i++)
    if (component_used(a->m, a->m->components[i].id)) ok = start_component(a, i, err, sizeof err);
  if (ok && !o->build_only)
    ok = a->m->n_triggers || !a->redis ? serve_http(a, err, sizeof err)
                                       : serve_redis_only(a, err, sizeof err);
  if (!ok && err[0]) fprintf(stderr, "pyedge: %s\n", err);
  app_close(a);
  free(a);
  return ok ? 0 : 1;
}
