/*
 * fuzz_outbound_url.c -- outbound URL parsing and the allow-list
 * (src/services/http/outbound_rules.c): both come from outside (the guest sends
 * the URL, the manifest holds the rules), and together they decide what
 * the host connects to.
 *
 * Input: a count byte, that many rule strings (length-prefixed), then the
 * URL (the rest). Rules are parsed one by one (a refusal must come with a
 * message that quotes the rule); the URL is parsed strictly. An accepted
 * URL must hold only what it promises (lower-case scheme and host, a
 * target that starts with '/' and has no fragment, an effective port), and
 * -- the property svc_http.c relies on when it hands curl a URL rebuilt
 * from the parts -- the rebuilt URL (origin + target, or the target alone
 * for a relative one) parses back to exactly the same parts and gets the
 * same decision from every rule; and libcurl, given that URL as
 * svc_http.c gives it, must read the same scheme, host and port (its own
 * URL parser, loaded with dlopen as curl_lazy.c does; skipped when
 * libcurl is missing). The decisions themselves are checked against each
 * other: no CIDR lookup is wanted for an IP host, and an IP host allowed
 * by address is allowed by the URL alone.
 */
#define CURL_DISABLE_TYPECHECK 1
#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <strings.h>

#include "fuzz_common.h"
#include "services/http/outbound_rules.h"
#include "util/pe_util.h"

static bool same_url(const pe_outbound_url *a, const pe_outbound_url *b) {
  return a->relative == b->relative && !strcmp(a->scheme, b->scheme) && !strcmp(a->host, b->host) &&
         a->host_is_ip == b->host_is_ip &&
         (!a->host_is_ip || (a->ip.family == b->ip.family && !memcmp(a->ip.b, b->ip.b, 16))) &&
         a->port == b->port && a->port_given == b->port_given && !strcmp(a->target, b->target);
}

static void check_url(const pe_outbound_url *u) {
  FZ_CHECK(u->scheme[0]);
  for (const char *p = u->scheme; *p; p++) FZ_CHECK(!isupper((unsigned char)*p));
  for (const char *p = u->host; *p; p++)
    FZ_CHECK(*p > 0x20 && *p < 0x7f && !isupper((unsigned char)*p) && *p != '/' && *p != '@');
  FZ_CHECK(u->target[0] == '/' && !strchr(u->target, '#'));
  if (u->relative) {
    FZ_CHECK(!strcmp(u->scheme, "http") && u->host[0] == 0);
    FZ_CHECK(u->target[1] != '/');
  } else {
    FZ_CHECK(u->host[0]);
    if (u->port_given)
      FZ_CHECK(u->port != 0);
    else
      FZ_CHECK(u->port == pe_ob_default_port(u->scheme));
    if (u->host_is_ip) {
      pe_ob_addr a;
      FZ_CHECK(pe_ob_addr_parse(u->host, &a) && a.family == u->ip.family &&
               !memcmp(a.b, u->ip.b, 16));
    }
  }
}

/* libcurl's URL API, or NULLs */
static struct {
  CURLU *(*url)(void);
  void (*cleanup)(CURLU *h);
  CURLUcode (*set)(CURLU *h, CURLUPart what, const char *part, unsigned int flags);
  CURLUcode (*get)(CURLU *h, CURLUPart what, char **part, unsigned int flags);
  void (*free)(void *p);
} cu;

static void load_curl(void) {
  void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "fuzz_outbound_url: no libcurl (%s): its reading is not compared\n", dlerror());
    return;
  }
  *(void **)&cu.url = dlsym(lib, "curl_url");
  *(void **)&cu.cleanup = dlsym(lib, "curl_url_cleanup");
  *(void **)&cu.set = dlsym(lib, "curl_url_set");
  *(void **)&cu.get = dlsym(lib, "curl_url_get");
  *(void **)&cu.free = dlsym(lib, "curl_free");
  if (!cu.url || !cu.cleanup || !cu.set || !cu.get || !cu.free) cu.url = NULL;
}

/* What curl makes of the URL svc_http.c would hand it. */
static void compare_with_curl(const pe_outbound_url *u, const char *url) {
  if (!cu.url || u->relative) return;
  if (strcmp(u->scheme, "http") && strcmp(u->scheme, "https")) return; /* refused before */
  CURLU *h = cu.url();
  FZ_CHECK(h);
  if (cu.set(h, CURLUPART_URL, url, 0) != CURLUE_OK) {
    fprintf(stderr, "curl refuses '%s', which was allowed to reach it\n", url);
    FZ_CHECK(!"curl cannot read a URL pyedge accepted");
  }
  char *scheme = NULL, *host = NULL, *port = NULL;
  FZ_CHECK(cu.get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK);
  FZ_CHECK(cu.get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK);
  FZ_CHECK(cu.get(h, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK);
  bool same = !strcasecmp(scheme, u->scheme) && (unsigned)atoi(port) == u->port;
  if (u->host_is_ip) {
    char bare[64];
    size_t hl = strlen(host);
    if (u->ip.family == 6 && hl >= 2 && host[0] == '[' && hl - 2 < sizeof bare) {
      memcpy(bare, host + 1, hl - 2);
      bare[hl - 2] = 0;
    } else {
      snprintf(bare, sizeof bare, "%s", host);
    }
    pe_ob_addr a;
    same = same && pe_ob_addr_parse(bare, &a) && a.family == u->ip.family &&
           !memcmp(a.b, u->ip.b, 16);
  } else {
    same = same && !strcasecmp(host, u->host);
  }
  if (!same) {
    fprintf(stderr, "'%s': pyedge checked %s://%s:%u, curl would contact %s://%s:%s\n", url,
            u->scheme, u->host, (unsigned)u->port, scheme, host, port);
    FZ_CHECK(!"curl reads the rebuilt URL differently");
  }
  cu.free(scheme);
  cu.free(host);
  cu.free(port);
  cu.cleanup(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static bool loaded;
  if (!loaded) load_curl();
  loaded = true;
  fz f;
  fz_init(&f, data, size);
  unsigned nrules = fz_u8(&f) % 8;
  pe_outbound_rules rs = {0};
  for (unsigned i = 0; i < nrules; i++) {
    size_t n;
    char *text = fz_cstr(&f, &n);
    char err[1024];
    err[0] = 0;
    size_t before = rs.n;
    if (pe_outbound_rules_add(&rs, text, NULL, err, sizeof err)) {
      FZ_CHECK(rs.n == before + 1 && !strcmp(rs.v[rs.n - 1].shown, text));
      const pe_outbound_rule *r = &rs.v[rs.n - 1];
      FZ_CHECK(r->any_port || r->port_lo <= r->port_hi);
      if (r->host_kind == PE_OB_HOST_CIDR) FZ_CHECK(r->prefix <= (r->net.family == 4 ? 32u : 128u));
    } else {
      FZ_CHECK(rs.n == before && err[0]);
    }
    free(text);
  }
  size_t ul;
  char *url = (char *)fz_rest(&f, &ul); /* exact size: no terminator */
  pe_outbound_url *u = malloc(sizeof *u), *again = malloc(sizeof *again);
  FZ_CHECK(u && again);
  char err[1024];
  if (pe_outbound_url_parse(url, ul, u, err, sizeof err)) {
    check_url(u);
    char origin[PE_OB_MAX_HOST + 64];
    pe_buf rebuilt = {0};
    if (!u->relative) {
      pe_outbound_url_origin(u, origin, sizeof origin);
      FZ_CHECK(pe_buf_puts(&rebuilt, origin));
    }
    FZ_CHECK(pe_buf_puts(&rebuilt, u->target));
    if (!pe_outbound_url_parse(rebuilt.data, rebuilt.len, again, err, sizeof err)) {
      fprintf(stderr, "rebuilt '%s' refused: %s\n", rebuilt.data, err);
      FZ_CHECK(!"a rebuilt URL must parse");
    }
    FZ_CHECK(same_url(u, again));
    compare_with_curl(u, rebuilt.data);
    bool allowed = pe_outbound_allows(&rs, u);
    FZ_CHECK(allowed == pe_outbound_allows(&rs, again));
    bool cidr = pe_outbound_has_cidr(&rs, u);
    FZ_CHECK(cidr == pe_outbound_has_cidr(&rs, again));
    if (u->host_is_ip || u->relative) FZ_CHECK(!cidr);
    if (u->host_is_ip && pe_outbound_allows_addr(&rs, u, &u->ip)) FZ_CHECK(allowed);
    pe_buf_free(&rebuilt);
  }
  /* the message helper, at any size */
  char shown[64];
  size_t cap = size % sizeof shown;
  pe_outbound_rules_describe(&rs, shown, cap);
  if (cap) FZ_CHECK(memchr(shown, 0, cap));
  free(u);
  free(again);
  free(url);
  pe_outbound_rules_free(&rs);
  return 0;
}
