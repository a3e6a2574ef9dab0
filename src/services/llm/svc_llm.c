/*
 * svc_llm.c -- the "llm" area (svc_llm.h): payload checks, the ai_models
 * grant, and one HTTP POST per call to the [llm_compute] endpoint.
 *
 * Order of work, cheapest refusal first: decode and validate every blob
 * (the guest is hostile), check the model against the component's
 * ai_models (as Spin does, before asking whether an engine exists), check
 * that an endpoint is configured, count the call against the request's
 * outbound budget, write the JSON body (llm_body.c), POST it.
 *
 * The transfer uses libcurl (loaded on first use, curl_lazy.h) on a handle
 * made for the call: LLM calls take seconds, a handle's set-up does not
 * matter, and nothing of one call (cookies, connections) outlives it. The
 * deadline is the inbound request's, capped at 60 s; the progress callback
 * stops the transfer when the runtime asks the call to stop. The auth
 * token travels only in the authorization header: every message is
 * scrubbed of it (and of secret variables) before it leaves this file.
 */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm_body.h"
#include "svc_llm.h"
#include "runtime/pe_rt.h"
#include "services/http/curl_lazy.h"
#include "services/http/svc_http.h"
#include "services/svc_conns.h"
#include "services/svc_utf8.h"
#include "services/svc_vars.h"

typedef struct llm_state {
  pe_rc_llm rc;      /* origin NULL: no [llm_compute] */
  char *ca_file;     /* CURL_CA_BUNDLE or SSL_CERT_FILE, as for http.send */
  char *auth_header; /* "authorization: bearer <token>" */
  unsigned timeout_ms;
} llm_state;

/* ---- start-up ---------------------------------------------------------------- */

bool pe_svc_llm_open(pe_services *s, char *err, size_t errlen) {
  pe_runtime_config rc;
  if (!pe_runtime_config_load(s->o.runtime_config, &rc, err, errlen)) return false;
  llm_state *st = calloc(1, sizeof *st);
  if (!st) goto oom;
  st->rc = rc.llm; /* taken over: rc must no longer free them */
  rc.llm.origin = rc.llm.auth_token = NULL;
  pe_runtime_config_free(&rc);
  st->timeout_ms = PE_LLM_TIMEOUT_MS;
  const char *t = getenv("PYEDGE_LLM_TIMEOUT_MS");
  if (t && *t) {
    char *end;
    unsigned long v = strtoul(t, &end, 10);
    if (*end || v == 0 || v > 3600000ul) {
      snprintf(err, errlen, "PYEDGE_LLM_TIMEOUT_MS='%s': expected milliseconds, 1 to 3600000", t);
      s->llm = st;
      return false;
    }
    st->timeout_ms = (unsigned)v;
  }
  const char *ca = getenv("CURL_CA_BUNDLE");
  if (!ca || !*ca) ca = getenv("SSL_CERT_FILE");
  s->llm = st;
  if (ca && *ca && !(st->ca_file = strdup(ca))) goto oom;
  if (st->rc.origin) {
    size_t n = strlen(st->rc.auth_token) + 32;
    if (!(st->auth_header = malloc(n))) goto oom;
    snprintf(st->auth_header, n, "authorization: bearer %s", st->rc.auth_token);
  }
  return true;
oom:
  pe_runtime_config_free(&rc);
  snprintf(err, errlen, "out of memory");
  return false;
}

void pe_svc_llm_close(pe_services *s) {
  llm_state *st = s->llm;
  if (!st) return;
  free(st->rc.origin);
  free(st->rc.auth_token);
  free(st->ca_file);
  free(st->auth_header);
  free(st);
  s->llm = NULL;
}

/* ---- messages ------------------------------------------------------------------ */

/* Every message the guest or the log gets: the token and secret variables
 * replaced by "***". */
static void scrub(const pe_svc_request *rq, const llm_state *st, char *msg) {
  const char *tok = st->rc.auth_token;
  size_t tl = tok ? strlen(tok) : 0;
  for (char *p = msg; tl > 0 && (p = strstr(p, tok));) {
    size_t stars = tl < 3 ? tl : 3; /* never longer than what it replaces */
    memmove(p + stars, p + tl, strlen(p + tl) + 1);
    memset(p, '*', stars);
    p += stars;
  }
  pe_svc_vars_redact(rq->app, msg);
}

static void fail(const pe_svc_request *rq, const llm_state *st, pe_buf *out, pe_hc_status code,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void fail(const pe_svc_request *rq, const llm_state *st, pe_buf *out, pe_hc_status code,
                 const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  scrub(rq, st, msg);
  pe_hc_error(out, code, "%s", msg);
}

/* ---- the payload --------------------------------------------------------------- */

static bool read_text(pe_hc_reader *r, const char *what, size_t max, pe_llm_text *t, char *why,
                      size_t whylen) {
  if (!pe_hc_blob(r, &t->p, &t->n)) {
    snprintf(why, whylen, "expected the %s", what);
    return false;
  }
  if (t->n > max) {
    snprintf(why, whylen, "the %s is %zu bytes; the limit is %zu", what, t->n, max);
    return false;
  }
  if (!pe_svc_utf8_valid(t->p, t->n)) {
    snprintf(why, whylen, "the %s is not valid UTF-8", what);
    return false;
  }
  return true;
}

static bool read_u32(pe_hc_reader *r, const char *what, uint32_t *v, char *why, size_t whylen) {
  uint64_t x;
  if (!pe_hc_u64(r, &x) || x > UINT32_MAX) {
    snprintf(why, whylen, "%s must be an integer from 0 to %u", what, UINT32_MAX);
    return false;
  }
  *v = (uint32_t)x;
  return true;
}

/* An 8-byte little-endian IEEE-754 double that fits a finite f32. */
static bool read_f32(pe_hc_reader *r, const char *what, float *v, char *why, size_t whylen) {
  const uint8_t *p;
  size_t n;
  if (!pe_hc_blob(r, &p, &n) || n != 8) {
    snprintf(why, whylen, "expected %s as an 8-byte float", what);
    return false;
  }
  uint64_t bits = 0;
  for (int i = 7; i >= 0; i--) bits = bits << 8 | p[i];
  double d;
  memcpy(&d, &bits, sizeof d);
  if (!isfinite(d) || fabs(d) > FLT_MAX) {
    snprintf(why, whylen, "%s must be a finite 32-bit float", what);
    return false;
  }
  *v = (float)d;
  return true;
}

static bool read_params(pe_hc_reader *r, pe_llm_params *o, char *why, size_t whylen) {
  return read_u32(r, "max_tokens", &o->max_tokens, why, whylen) &&
         read_f32(r, "repeat_penalty", &o->repeat_penalty, why, whylen) &&
         read_u32(r, "repeat_penalty_last_n_token_count", &o->repeat_penalty_last_n_token_count,
                  why, whylen) &&
         read_f32(r, "temperature", &o->temperature, why, whylen) &&
         read_u32(r, "top_k", &o->top_k, why, whylen) &&
         read_f32(r, "top_p", &o->top_p, why, whylen);
}

static bool granted(const pe_manifest_component *c, pe_llm_text model) {
  for (size_t i = 0; c && i < c->ai_models.len; i++) {
    const char *m = c->ai_models.items[i];
    if (strlen(m) == model.n && !memcmp(m, model.p, model.n)) return true;
  }
  return false;
}

/* ---- the transfer -------------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static bool curl_ready;
static char curl_error[256];

/* libcurl counts its global inits, so this one and http.send's may both run. */
static void curl_setup(void) {
  if (!pe_curl_load(curl_error, sizeof curl_error)) return;
  curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!curl_ready) snprintf(curl_error, sizeof curl_error, "libcurl failed to initialize");
}

typedef struct xfer {
  pe_buf *body;
  bool too_big, stopped, oom;
} xfer;

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud) {
  xfer *x = ud;
  size_t n = size * nmemb;
  if (x->body->len + n > PE_LLM_MAX_ANSWER) {
    x->too_big = true;
    return 0;
  }
  if (!pe_buf_append(x->body, p, n)) {
    x->oom = true;
    return 0;
  }
  return n;
}

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d) {
  (void)a, (void)b, (void)c, (void)d;
  xfer *x = ud;
  x->stopped = pe_rt_should_stop();
  return x->stopped;
}

/* POSTs body to the endpoint; OK [api, status, answer] into out, or the
 * error. */
static void post(const pe_svc_request *rq, const llm_state *st, const char *path,
                 const pe_buf *body, pe_buf *out) {
  unsigned ms = pe_svc_ms_left(rq, st->timeout_ms);
  if (ms == 0) {
    fail(rq, st, out, PE_HC_TIMEOUT, "timed out: the inbound request's time limit was reached");
    return;
  }
  bool by_deadline = ms < st->timeout_ms;
  pthread_once(&curl_once, curl_setup);
  CURL *h = curl_ready ? curl_easy_init() : NULL;
  if (!h) {
    fail(rq, st, out, PE_HC_BACKEND, "cannot start an HTTP client: %s",
         curl_ready ? "out of memory" : curl_error);
    return;
  }
  char url[PE_OB_MAX_HOST + 64];
  snprintf(url, sizeof url, "%s%s", st->rc.origin, path);
  struct curl_slist *hdrs = NULL, *l;
  const char *lines[] = {"content-type: application/json", "Expect:", st->auth_header};
  bool ok = true;
  for (size_t i = 0; ok && i < sizeof lines / sizeof *lines; i++) {
    ok = (l = curl_slist_append(hdrs, lines[i])) != NULL;
    if (ok) hdrs = l;
  }
  pe_buf answer = {0};
  xfer x = {.body = &answer};
  char errbuf[CURL_ERROR_SIZE] = "";
  CURLcode rc = CURLE_OUT_OF_MEMORY;
  long status = 0;
  if (ok) {
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)ms);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    if (st->ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, st->ca_file);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body->data);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &x);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  }
  curl_easy_cleanup(h);
  curl_slist_free_all(hdrs);
  const char *api = st->rc.api == PE_RC_LLM_OPEN_AI ? "open_ai" : "default";
  if (rc == CURLE_OK && status >= 100 && status <= 999) {
    if (!pe_hc_ok(out) || !pe_hc_put_str(out, api) || !pe_hc_put_u64(out, (uint64_t)status) ||
        !pe_hc_put_blob(out, answer.data, answer.len))
      fail(rq, st, out, PE_HC_BACKEND, "out of memory");
  } else if (x.too_big) {
    fail(rq, st, out, PE_HC_LIMIT, "POST %s: the answer is larger than the limit of %u MiB", path,
         PE_LLM_MAX_ANSWER >> 20);
  } else if (x.oom || rc == CURLE_OUT_OF_MEMORY) {
    fail(rq, st, out, PE_HC_BACKEND, "out of memory");
  } else if (x.stopped || (rc == CURLE_OPERATION_TIMEDOUT && by_deadline)) {
    fail(rq, st, out, PE_HC_TIMEOUT,
         "POST %s: timed out: the inbound request's time limit was reached", path);
  } else if (rc == CURLE_OPERATION_TIMEDOUT) {
    fail(rq, st, out, PE_HC_TIMEOUT, "POST %s: the LLM endpoint gave no answer within %u ms", path,
         st->timeout_ms);
  } else if (rc == CURLE_OK) {
    fail(rq, st, out, PE_HC_BACKEND, "POST %s: the LLM endpoint sent no valid HTTP status", path);
  } else {
    const char *what = curl_easy_strerror(rc);
    if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE)
      what = "the endpoint's TLS certificate is not trusted";
    fail(rq, st, out, PE_HC_BACKEND, "POST %s%s: %s%s%s", st->rc.origin, path, what,
         errbuf[0] ? ": " : "", errbuf);
  }
  pe_buf_free(&answer);
}

/* ---- the ops -------------------------------------------------------------------- */

void pe_svc_llm_call(pe_svc_request *rq, const char *op, const uint8_t *in, size_t n, pe_buf *out) {
  const llm_state *st = rq->app ? rq->app->llm : NULL;
  bool embed = !strcmp(op, "embed");
  if (!st || (!embed && strcmp(op, "infer"))) {
    pe_hc_error(out, PE_HC_NO_SERVICE, "no host service named 'llm.%.64s'", op);
    return;
  }
  pe_hc_reader r;
  pe_hc_reader_init(&r, in, n);
  char why[256] = "";
  pe_llm_text model, prompt = {0};
  pe_llm_params o = {0};
  pe_llm_text *texts = NULL;
  size_t ntexts = 0, total = 0;
  pe_buf body = {0};
  bool ok = read_text(&r, "model name", 256, &model, why, sizeof why);
  if (ok && !embed)
    ok = read_text(&r, "prompt", PE_LLM_MAX_PROMPT, &prompt, why, sizeof why) &&
         read_params(&r, &o, why, sizeof why);
  if (ok && embed && !(texts = calloc(PE_LLM_MAX_TEXTS, sizeof *texts))) {
    fail(rq, st, out, PE_HC_BACKEND, "out of memory");
    return;
  }
  while (ok && embed && r.left > 0) {
    if (ntexts == PE_LLM_MAX_TEXTS) {
      snprintf(why, sizeof why, "more than %u texts to embed in one call", PE_LLM_MAX_TEXTS);
      ok = false;
    } else if (read_text(&r, "text", PE_LLM_MAX_TEXT_BYTES, &texts[ntexts], why, sizeof why) &&
               (total += texts[ntexts].n) <= PE_LLM_MAX_TEXT_BYTES) {
      ntexts++;
    } else {
      if (total > PE_LLM_MAX_TEXT_BYTES)
        snprintf(why, sizeof why, "the texts add up to more than the limit of %u bytes",
                 PE_LLM_MAX_TEXT_BYTES);
      ok = false;
    }
  }
  if (ok && !pe_hc_done(&r)) {
    snprintf(why, sizeof why, "unexpected data after the %s", embed ? "texts" : "parameters");
    ok = false;
  }
  if (!ok) {
    fail(rq, st, out, PE_HC_INVALID, "llm.%s: %s", op, why);
  } else if (!granted(rq->component, model)) {
    fail(rq, st, out, PE_HC_DENIED,
         "component '%s' may not use the model '%.*s': list it in the component's ai_models in "
         "spin.toml",
         rq->component ? rq->component->id : "?", (int)(model.n > 200 ? 200 : model.n),
         (const char *)model.p);
  } else if (!st->rc.origin) {
    fail(rq, st, out, PE_HC_NOT_FOUND,
         "no LLM is configured: pyedge runs no models itself; give `pyedge up` a "
         "--runtime-config-file with an [llm_compute] table (type = \"remote_http\", url, "
         "auth_token, and api_type = \"open_ai\" for an OpenAI-compatible endpoint)");
  } else if (++rq->outbound_calls > PE_OB_MAX_CALLS) {
    fail(rq, st, out, PE_HC_LIMIT, "more than %u outbound calls in one request", PE_OB_MAX_CALLS);
  } else if (!(embed ? pe_llm_embed_body(&body, st->rc.api, model, texts, ntexts)
                     : pe_llm_infer_body(&body, st->rc.api, model, prompt, &o))) {
    fail(rq, st, out, PE_HC_BACKEND, "out of memory");
  } else {
    post(rq, st, pe_llm_path(st->rc.api, embed), &body, out);
  }
  pe_buf_free(&body);
  free(texts);
}
