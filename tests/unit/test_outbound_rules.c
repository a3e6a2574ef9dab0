/*
 * test_outbound_rules.c -- allowed_outbound_hosts (src/services/
 * outbound_rules.c), table by table: which rule texts parse and what they
 * mean, which are refused and with what message, which URLs parse (and to
 * what parts), and the allow decision for (rules, URL) pairs, including
 * resolved addresses checked against CIDR rules. No network is used.
 */
#include "pe_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/http/outbound_rules.h"

/* --- rule parsing ------------------------------------------------------------ */

typedef struct {
  const char *text;
  bool any_scheme;
  const char *scheme;
  pe_ob_host_kind kind;
  const char *host; /* NAME/SUBDOMAIN host, or CIDR address text */
  unsigned prefix;
  bool any_port;
  unsigned lo, hi;
} rule_row;

static void test_rules_parse(void **state) {
  (void)state;
  static const rule_row rows[] = {
      {"http://example.com", false, "http", PE_OB_HOST_NAME, "example.com", 0, false, 80, 80},
      {"https://Example.COM/", false, "https", PE_OB_HOST_NAME, "example.com", 0, false, 443, 443},
      {"HTTP://example.com:8080", false, "http", PE_OB_HOST_NAME, "example.com", 0, false, 8080,
       8080},
      {"http://example.com:8080/", false, "http", PE_OB_HOST_NAME, "example.com", 0, false, 8080,
       8080},
      {"  https://example.com  ", false, "https", PE_OB_HOST_NAME, "example.com", 0, false, 443,
       443},
      {"*://example.com:7777", true, "*", PE_OB_HOST_NAME, "example.com", 0, false, 7777, 7777},
      {"http://*:*", false, "http", PE_OB_HOST_ANY, NULL, 0, true, 0, 0},
      {"*://*:*", true, "*", PE_OB_HOST_ANY, NULL, 0, true, 0, 0},
      {"http://*.example.com", false, "http", PE_OB_HOST_SUBDOMAIN, ".example.com", 0, false, 80,
       80},
      {"http://*.spin.internal", false, "http", PE_OB_HOST_SUBDOMAIN, ".spin.internal", 0, false,
       80, 80},
      {"http://backend.spin.internal", false, "http", PE_OB_HOST_NAME, "backend.spin.internal", 0,
       false, 80, 80},
      {"http://self", false, "http", PE_OB_HOST_SELF, NULL, 0, false, 80, 80},
      {"https://self.alt", false, "https", PE_OB_HOST_SELF, NULL, 0, false, 443, 443},
      {"http://localhost:8000..8010", false, "http", PE_OB_HOST_NAME, "localhost", 0, false, 8000,
       8009},
      {"http://localhost:1..2", false, "http", PE_OB_HOST_NAME, "localhost", 0, false, 1, 1},
      {"http://10.0.0.0/8:80", false, "http", PE_OB_HOST_CIDR, "10.0.0.0", 8, false, 80, 80},
      {"http://10.1.2.3/8", false, "http", PE_OB_HOST_CIDR, "10.0.0.0", 8, false, 80, 80},
      {"*://127.0.0.0/24:80", true, "*", PE_OB_HOST_CIDR, "127.0.0.0", 24, false, 80, 80},
      {"*://ff00::/8:80", true, "*", PE_OB_HOST_CIDR, "ff00::", 8, false, 80, 80},
      {"http://192.168.1.1", false, "http", PE_OB_HOST_CIDR, "192.168.1.1", 32, false, 80, 80},
      {"http://192.168.1.1:3002", false, "http", PE_OB_HOST_CIDR, "192.168.1.1", 32, false, 3002,
       3002},
      {"http://[::1]:8001", false, "http", PE_OB_HOST_CIDR, "::1", 128, false, 8001, 8001},
      {"http://[::1]", false, "http", PE_OB_HOST_CIDR, "::1", 128, false, 80, 80},
      {"postgres://db.internal", false, "postgres", PE_OB_HOST_NAME, "db.internal", 0, false, 5432,
       5432},
      {"mysql://db", false, "mysql", PE_OB_HOST_NAME, "db", 0, false, 3306, 3306},
      {"redis://cache", false, "redis", PE_OB_HOST_NAME, "cache", 0, false, 6379, 6379},
      {"mqtt://broker", false, "mqtt", PE_OB_HOST_NAME, "broker", 0, false, 1883, 1883},
      {"ftp://files:21", false, "ftp", PE_OB_HOST_NAME, "files", 0, false, 21, 21},
  };
  for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
    const rule_row *w = &rows[i];
    pe_outbound_rule r;
    char err[512];
    if (!pe_outbound_rule_parse(w->text, NULL, &r, err, sizeof err))
      fail_msg("'%s' was refused: %s", w->text, err);
    if (r.any_scheme != w->any_scheme || (!w->any_scheme && strcmp(r.scheme, w->scheme)))
      fail_msg("'%s': scheme %s", w->text, r.scheme);
    if (r.host_kind != w->kind)
      fail_msg("'%s': host kind %d, want %d", w->text, r.host_kind, w->kind);
    if (w->kind == PE_OB_HOST_NAME || w->kind == PE_OB_HOST_SUBDOMAIN)
      if (strcmp(r.host, w->host)) fail_msg("'%s': host '%s', want '%s'", w->text, r.host, w->host);
    if (w->kind == PE_OB_HOST_CIDR) {
      pe_ob_addr want;
      assert_true(pe_ob_addr_parse(w->host, &want));
      if (r.net.family != want.family || memcmp(r.net.b, want.b, 16) || r.prefix != w->prefix)
        fail_msg("'%s': network or prefix %u differs", w->text, r.prefix);
    }
    if (r.any_port != w->any_port || (!w->any_port && (r.port_lo != w->lo || r.port_hi != w->hi)))
      fail_msg("'%s': ports %u..%u any=%d", w->text, r.port_lo, r.port_hi, r.any_port);
    assert_string_equal(r.shown, w->text);
    free(r.shown);
  }
}

typedef struct {
  const char *text, *why;
} bad_row;

static void test_rules_refused(void **state) {
  (void)state;
  static const bad_row rows[] = {
      {"example.com", "does not contain a scheme"},
      {"example.com:80", "does not contain a scheme"},
      {"*", "not an allowed outbound host"},
      {"", "not an allowed outbound host"},
      {"insecure:allow-all", "use '*://*:*'"},
      {"*://example.com", "has no default port"},
      {"*://127.0.0.0/24", "has no default port"},
      {"ftp://files", "has no default port"},
      {"http://example.com/a", "must not include a path"},
      {"http://example.com:6666/a/b", "has a path"},
      {"http://*.example.com/a", "must not include a path"},
      {"http://example.com:http", "is not a number"},
      {"http://example.com:70000", "is not a number"},
      {"http://example.com:10..x", "port range"},
      {"http://example.com:10..5", "is empty"},
      {"http://example.com:10..10", "is empty"},
      {"http://example.com:{80,443}", "port lists"},
      {"h2c+x://example.com:80", "only letters"},
      {"{http,https}://example.com", "scheme lists"},
      {"http://{a,b}.com", "host lists"},
      {"http://ex*ample.com", "only as subdomains"},
      {"http://*.ex*ample.com", "only as a prefix"},
      {"http://*.", "not a valid domain"},
      {"http://exa mple.com", "not a valid host name"},
      {"http://a..b", "not a valid host name"},
      {"http://10.0.0.0/33:80", "not a CIDR block"},
      {"http://::1/129:80", "not a CIDR block"},
      {"http://:80", "the host is empty"},
      {"http://[::1", "unclosed '['"},
      {"http://[::1]x", "has a path"},
      {"://example.com", "invalid scheme"},
  };
  for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
    pe_outbound_rule r;
    char err[512] = "";
    if (pe_outbound_rule_parse(rows[i].text, NULL, &r, err, sizeof err)) {
      free(r.shown);
      fail_msg("'%s' was accepted", rows[i].text);
    }
    if (!strstr(err, rows[i].why))
      fail_msg("'%s': message '%s' lacks '%s'", rows[i].text, err, rows[i].why);
  }
}

/* --- URLs -------------------------------------------------------------------- */

typedef struct {
  const char *url;
  bool relative;
  const char *scheme, *host;
  bool is_ip;
  unsigned port;
  bool port_given;
  const char *target;
} url_row;

static void test_urls_parse(void **state) {
  (void)state;
  static const url_row rows[] = {
      {"http://example.com", false, "http", "example.com", false, 80, false, "/"},
      {"HTTPS://Example.com:8443/a/b?x=1#frag", false, "https", "example.com", false, 8443, true,
       "/a/b?x=1"},
      {"http://example.com?q=1", false, "http", "example.com", false, 80, false, "/?q=1"},
      {"http://127.0.0.1:3000/", false, "http", "127.0.0.1", true, 3000, true, "/"},
      {"http://[::1]:8080/x", false, "http", "::1", true, 8080, true, "/x"},
      {"http://[FE80::1]/", false, "http", "fe80::1", true, 80, false, "/"},
      {"/api/items?id=3", true, "http", "", false, 0, false, "/api/items?id=3"},
      {"/", true, "http", "", false, 0, false, "/"},
      {"http://backend.spin.internal/a%20b", false, "http", "backend.spin.internal", false, 80,
       false, "/a%20b"},
      /* numeric forms curl reads as IPv4 addresses are those addresses */
      {"http://2130706433/", false, "http", "127.0.0.1", true, 80, false, "/"},
      {"http://0x7f.1:8080/x", false, "http", "127.0.0.1", true, 8080, true, "/x"},
      {"http://1/", false, "http", "0.0.0.1", true, 80, false, "/"},
      {"http://1.2.3.4./", false, "http", "1.2.3.4.", false, 80, false, "/"},
      {"http://a_b.example/", false, "http", "a_b.example", false, 80, false, "/"},
  };
  for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
    const url_row *w = &rows[i];
    pe_outbound_url u;
    char err[512];
    if (!pe_outbound_url_parse(w->url, strlen(w->url), &u, err, sizeof err))
      fail_msg("'%s' was refused: %s", w->url, err);
    if (u.relative != w->relative || strcmp(u.scheme, w->scheme) || strcmp(u.host, w->host) ||
        u.host_is_ip != w->is_ip || u.port != w->port || u.port_given != w->port_given ||
        strcmp(u.target, w->target))
      fail_msg("'%s': rel=%d %s %s ip=%d %u given=%d %s", w->url, u.relative, u.scheme, u.host,
               u.host_is_ip, u.port, u.port_given, u.target);
  }
  pe_outbound_url u;
  char err[256], o[300];
  assert_true(pe_outbound_url_parse("http://[::1]:81/x", 17, &u, err, sizeof err));
  pe_outbound_url_origin(&u, o, sizeof o);
  assert_string_equal(o, "http://[::1]:81");
  assert_true(pe_outbound_url_parse("https://a.b/x", 13, &u, err, sizeof err));
  pe_outbound_url_origin(&u, o, sizeof o);
  assert_string_equal(o, "https://a.b");
}

static void test_urls_refused(void **state) {
  (void)state;
  static const bad_row rows[] = {
      {"", "empty"},
      {"http://user@example.com/", "credentials"},
      {"http://user:pw@example.com/", "credentials"},
      {"http://allowed.com@evil.com/", "credentials"},
      {"http://evil.com\\@allowed.com/", "backslash"},
      {"http://example.com/a b", "space"},
      {"http://example.com/a\r\nHost: x", "control"},
      {"http://example.com/\x7f", "control"},
      {"http://ex\xc3\xa9mple.com/", "non-ASCII"},
      {"http://example.com:99999/", "port"},
      {"http://example.com:0/", "port"},
      {"http://example.com:/", "port"},
      {"http://example.com:8x/", "port"},
      {"http://:80/", "no host"},
      {"http:///x", "no host"},
      {"http://[::1/", "unclosed"},
      {"http://[::g]/", "invalid IPv6"},
      {"http://[::1]x/", "after the URL's IPv6 host"},
      {"http://exa%6dple.com/", "not a valid host name"},
      {"//example.com/", "needs a scheme"},
      {"example.com/x", "no scheme"},
      {"1http://x/", "no scheme"},
      {"http:/x", "no scheme"},
  };
  for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
    pe_outbound_url u;
    char err[512] = "";
    if (pe_outbound_url_parse(rows[i].text, strlen(rows[i].text), &u, err, sizeof err))
      fail_msg("'%s' was accepted", rows[i].text);
    if (!strstr(err, rows[i].why))
      fail_msg("'%s': message '%s' lacks '%s'", rows[i].text, err, rows[i].why);
  }
  /* lengths are checked before anything is read */
  size_t big = PE_OB_MAX_TARGET + 10;
  char *s = malloc(big + 1);
  assert_non_null(s);
  memset(s, 'a', big);
  memcpy(s, "http://x/", 9);
  s[big] = 0;
  pe_outbound_url u;
  char err[256];
  assert_false(pe_outbound_url_parse(s, big, &u, err, sizeof err));
  assert_non_null(strstr(err, "longer than"));
  free(s);
}

/* --- decisions ------------------------------------------------------------------ */

static pe_outbound_rules make(const char *const *texts) {
  pe_outbound_rules rs = {0};
  char err[512];
  for (; *texts; texts++)
    if (!pe_outbound_rules_add(&rs, *texts, NULL, err, sizeof err)) fail_msg("%s: %s", *texts, err);
  return rs;
}

typedef struct {
  const char *url;
  bool allowed;
} decision_row;

static void check_decisions(const char *const *rules, const decision_row *rows, size_t n) {
  pe_outbound_rules rs = make(rules);
  for (size_t i = 0; i < n; i++) {
    pe_outbound_url u;
    char err[512];
    if (!pe_outbound_url_parse(rows[i].url, strlen(rows[i].url), &u, err, sizeof err))
      fail_msg("'%s': %s", rows[i].url, err);
    if (pe_outbound_allows(&rs, &u) != rows[i].allowed)
      fail_msg("rules[0]='%s': '%s' should be %s", rules[0], rows[i].url,
               rows[i].allowed ? "allowed" : "denied");
  }
  pe_outbound_rules_free(&rs);
}

#define CHECK(rules, rows) check_decisions(rules, rows, sizeof rows / sizeof *rows)

static void test_decisions(void **state) {
  (void)state;
  static const char *const specific[] = {"*://spin.fermyon.dev:443", "http://example.com:8383",
                                         NULL};
  static const decision_row specific_rows[] = {
      {"http://example.com:8383/foo/bar", true},
      {"https://spin.fermyon.dev", true},
      {"https://spin.fermyon.dev/", true},
      {"http://spin.fermyon.dev:443/", true},
      {"http://example.com/", false},
      {"http://google.com/", false},
      {"https://example.com:8383/", false},
      {"/relative", false},
  };
  CHECK(specific, specific_rows);

  static const char *const wild[] = {"http://*.example.com", "https://*:8443", NULL};
  static const decision_row wild_rows[] = {
      {"http://a.example.com/", true},   {"http://a.b.example.com/", true},
      {"http://example.com/", false}, /* the apex is not a subdomain */
      {"http://aexample.com/", false},   {"http://a.example.com:81/", false},
      {"https://a.example.com/", false}, {"https://anything.at.all:8443/", true},
      {"https://10.0.0.1:8443/", true},  {"https://anything:443/", false},
  };
  CHECK(wild, wild_rows);

  static const char *const ranges[] = {"http://localhost:8000..8010", "https://*:*", NULL};
  static const decision_row range_rows[] = {
      {"http://localhost:8000/", true},  {"http://localhost:8009/", true},
      {"http://localhost:8010/", false}, {"http://localhost:7999/", false},
      {"http://localhost/", false},      {"https://any.where:1/", true},
      {"https://any.where/", true},
  };
  CHECK(ranges, range_rows);

  static const char *const cidr[] = {"http://10.0.0.0/8:80", "*://fd00::/8:*", NULL};
  static const decision_row cidr_rows[] = {
      {"http://10.1.2.3/", true},     {"http://10.255.255.255:80/", true},
      {"http://11.0.0.1/", false},    {"http://10.1.2.3:81/", false},
      {"http://[fd12::1]:9/", true},  {"https://[fd12::1]/", true},
      {"http://[fe80::1]/", false},   {"http://[::ffff:10.0.0.7]/", true},
      {"http://ten.example/", false}, /* a name: only its resolved address can match */
      {"http://10.1/", true},         /* 10.0.0.1, as curl reads it */
      {"http://167772161/", true},    /* 10.0.0.1 too */
      {"http://0x0b.1/", false},      /* 11.0.0.1 */
  };
  CHECK(cidr, cidr_rows);

  static const char *const self[] = {"http://self", NULL};
  static const decision_row self_rows[] = {
      {"/api", true},
      {"http://self/", false},
      {"http://localhost/", false},
  };
  CHECK(self, self_rows);

  static const char *const anyhost[] = {"https://*", NULL};
  static const decision_row anyhost_rows[] = {{"/api", true},
                                              {"http://x/", false},
                                              {"https://x/", true}};
  CHECK(anyhost, anyhost_rows);

  static const char *const chaining[] = {"http://*.spin.internal", NULL};
  static const decision_row chaining_rows[] = {
      {"http://backend.spin.internal/x", true},
      {"http://backend.spin.internal:8080/x", false},
      {"https://backend.spin.internal/x", false},
      {"http://spin.internal/x", false},
  };
  CHECK(chaining, chaining_rows);

  static const char *const all[] = {"*://*:*", NULL};
  static const decision_row all_rows[] = {
      {"http://x/", true},
      {"https://10.0.0.1:1/", true},
      {"/self", true},
      {"http://a.spin.internal/", true},
  };
  CHECK(all, all_rows);

  static const char *const none[] = {NULL};
  static const decision_row none_rows[] = {{"http://x/", false}, {"/self", false}};
  CHECK(none, none_rows);
}

static void test_resolved_addresses(void **state) {
  (void)state;
  static const char *const rules[] = {"http://127.0.0.0/8:8080", "https://api.example.com", NULL};
  pe_outbound_rules rs = make(rules);
  pe_outbound_url u;
  char err[256];
  assert_true(pe_outbound_url_parse("http://localhost:8080/x", 23, &u, err, sizeof err));
  assert_false(pe_outbound_allows(&rs, &u));
  assert_true(pe_outbound_has_cidr(&rs, &u));
  pe_ob_addr a;
  assert_true(pe_ob_addr_parse("127.0.0.1", &a));
  assert_true(pe_outbound_allows_addr(&rs, &u, &a));
  assert_true(pe_ob_addr_parse("::ffff:127.9.9.9", &a));
  assert_true(pe_outbound_allows_addr(&rs, &u, &a));
  assert_true(pe_ob_addr_parse("10.0.0.1", &a));
  assert_false(pe_outbound_allows_addr(&rs, &u, &a));
  assert_true(pe_ob_addr_parse("::1", &a));
  assert_false(pe_outbound_allows_addr(&rs, &u, &a));
  /* another port or scheme: no CIDR rule applies, nothing to resolve */
  assert_true(pe_outbound_url_parse("http://localhost:8081/x", 23, &u, err, sizeof err));
  assert_false(pe_outbound_has_cidr(&rs, &u));
  assert_true(pe_ob_addr_parse("127.0.0.1", &a));
  assert_false(pe_outbound_allows_addr(&rs, &u, &a));
  assert_true(pe_outbound_url_parse("https://api.example.com/", 24, &u, err, sizeof err));
  assert_true(pe_outbound_allows(&rs, &u));
  assert_false(pe_outbound_has_cidr(&rs, &u));
  assert_true(pe_outbound_url_parse("/x", 2, &u, err, sizeof err));
  assert_false(pe_outbound_allows_addr(&rs, &u, &a));
  pe_outbound_rules_free(&rs);
}

static void test_addr_in(void **state) {
  (void)state;
  pe_ob_addr a, n;
  assert_true(pe_ob_addr_parse("192.168.1.77", &a));
  assert_true(pe_ob_addr_parse("192.168.1.0", &n));
  assert_true(pe_ob_addr_in(&a, &n, 24));
  assert_true(pe_ob_addr_in(&a, &n, 0));
  assert_false(pe_ob_addr_in(&a, &n, 32));
  assert_false(pe_ob_addr_in(&a, &n, 33)); /* a prefix past the family's width */
  assert_true(pe_ob_addr_parse("::ffff:192.168.1.0", &n));
  assert_true(pe_ob_addr_in(&a, &n, 120)); /* a mapped network */
  assert_true(pe_ob_addr_parse("2001:db8::1", &a));
  assert_true(pe_ob_addr_parse("2001:db8::", &n));
  assert_true(pe_ob_addr_in(&a, &n, 32));
  assert_false(pe_ob_addr_in(&a, &n, 128));
  assert_false(pe_ob_addr_parse("300.1.1.1", &a));
  assert_false(pe_ob_addr_parse("", &a));
}

static void test_describe(void **state) {
  (void)state;
  static const char *const rules[] = {"http://a.com", "https://*.b.com:1..9", NULL};
  pe_outbound_rules rs = make(rules);
  char out[256], small[12];
  pe_outbound_rules_describe(&rs, out, sizeof out);
  assert_string_equal(out, "\"http://a.com\", \"https://*.b.com:1..9\"");
  pe_outbound_rules_describe(&rs, small, sizeof small);
  assert_int_equal(strlen(small), sizeof small - 1);
  assert_string_equal(small + sizeof small - 4, "...");
  pe_outbound_rules_free(&rs);
  /* the shown form is what the manifest said, templates and all */
  pe_outbound_rules t = {0};
  char err[256];
  assert_true(pe_outbound_rules_add(&t, "http://h:8080", "http://h:{{ port }}", err, sizeof err));
  pe_outbound_rules_describe(&t, out, sizeof out);
  assert_string_equal(out, "\"http://h:{{ port }}\"");
  pe_outbound_rules_free(&t);
  assert_int_equal(pe_ob_default_port("https"), 443);
  assert_int_equal(pe_ob_default_port("gopher"), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rules_parse), cmocka_unit_test(test_rules_refused),
      cmocka_unit_test(test_urls_parse),  cmocka_unit_test(test_urls_refused),
      cmocka_unit_test(test_decisions),   cmocka_unit_test(test_resolved_addresses),
      cmocka_unit_test(test_addr_in),     cmocka_unit_test(test_describe),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
