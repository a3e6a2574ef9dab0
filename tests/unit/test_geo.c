/*
 * test_geo.c -- x-user-location decisions (geo.c) and trusted-proxy CIDR
 * blocks (geo_cidr.c).
 *
 * CIDR parsing and matching are checked value by value (IPv4, IPv6,
 * IPv4-mapped peers, prefixes at every boundary, everything malformed).
 * For the database side a small MaxMind DB (IPv4 tree, 24-bit records) is
 * built here byte by byte, following the format specification, with
 * records that are fine, missing, of the wrong type or hostile (a CR LF in
 * the country code), and pe_geo_decide is asked about each address. Files
 * that are missing, empty, truncated, junk or not regular must fail
 * pe_geo_open with a message naming the file.
 */
#include "pe_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "serve/geo.h"

/* ---- CIDR ------------------------------------------------------------------ */

static bool in(const char *cidr, const char *ip) {
  pe_cidr c;
  uint8_t fam, addr[16];
  if (!pe_cidr_parse(cidr, &c)) fail_msg("cannot parse %s", cidr);
  if (!pe_ip_parse(ip, &fam, addr)) fail_msg("cannot parse %s", ip);
  return pe_cidr_contains(&c, fam, addr);
}

static void test_cidr_match(void **state) {
  (void)state;
  assert_true(in("10.0.0.0/8", "10.255.1.2"));
  assert_false(in("10.0.0.0/8", "11.0.0.1"));
  assert_true(in("192.0.2.7", "192.0.2.7"));
  assert_false(in("192.0.2.7", "192.0.2.6"));
  assert_true(in("192.0.2.7/32", "192.0.2.7"));
  assert_true(in("0.0.0.0/0", "203.0.113.9"));
  assert_false(in("0.0.0.0/0", "::1")); /* families never mix */
  assert_true(in("::/0", "2001:db8::1"));
  assert_false(in("::/0", "127.0.0.1"));
  assert_true(in("fd00::/8", "fd12:3456::1"));
  assert_false(in("fd00::/8", "fe80::1"));
  assert_true(in("::1", "::1"));
  assert_true(in("::1/128", "::1"));
  assert_false(in("::1/128", "::2"));
  /* an odd prefix: 10.0.0.0/9 holds 10.0-127.x.x */
  assert_true(in("10.0.0.0/9", "10.127.255.255"));
  assert_false(in("10.0.0.0/9", "10.128.0.0"));
  assert_true(in("2001:db8::/33", "2001:db8:7fff::1"));
  assert_false(in("2001:db8::/33", "2001:db8:8000::1"));
  /* host bits in the block are cleared */
  assert_true(in("10.1.2.3/8", "10.9.9.9"));
  /* an IPv4-mapped peer is its IPv4 address */
  assert_true(in("127.0.0.0/8", "::ffff:127.0.0.1"));
  assert_false(in("::ffff:0:0/96", "::ffff:127.0.0.1"));
}

static void test_cidr_invalid(void **state) {
  (void)state;
  static const char *const bad[] = {
      "",           "/8",          "10.0.0.0/",   "10.0.0.0/33", "10.0.0.0/08", "10.0.0.0/-1",
      "10.0.0/8",   "10.0.0.0/8x", "abc",         "::/129",      "::/1280",     "10.0.0.0/ 8",
      " 10.0.0.1",  "10.0.0.1 ",   "1.2.3.4/8/8", "localhost",   "[::1]",       "::1%lo",
      "10.0.0.256", "1e.0.0.0/8",
  };
  pe_cidr c;
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    if (pe_cidr_parse(bad[i], &c)) fail_msg("'%s' parsed as a CIDR block", bad[i]);
  char long_one[200];
  memset(long_one, '1', sizeof long_one - 1);
  long_one[sizeof long_one - 1] = 0;
  assert_false(pe_cidr_parse(long_one, &c));
  uint8_t fam, addr[16];
  assert_false(pe_ip_parse("?", &fam, addr));
  assert_false(pe_ip_parse("", &fam, addr));
  assert_true(pe_ip_parse("::ffff:10.0.0.1", &fam, addr));
  assert_int_equal(fam, 4);
  assert_memory_equal(addr, "\x0a\x00\x00\x01", 4);
}

/* ---- options and files -------------------------------------------------------- */

static char dir[64];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/pyedge-test-geo-XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(p, 1, n, f), n);
  fclose(f);
}

static void open_fails(const pe_services_options *o, const char *want) {
  char err[2048] = "";
  pe_geo *g = (pe_geo *)1;
  assert_false(pe_geo_open(o, &g, err, sizeof err));
  assert_null(g);
  if (!strstr(err, want)) fail_msg("message '%s' lacks '%s'", err, want);
}

static void test_no_options(void **state) {
  (void)state;
  pe_services_options o = {0};
  pe_geo *g = (pe_geo *)1;
  char err[64];
  assert_true(pe_geo_open(&o, &g, err, sizeof err));
  assert_null(g);
  assert_true(pe_geo_open(NULL, &g, err, sizeof err));
  assert_null(g);
  char out[16];
  assert_int_equal(pe_geo_decide(NULL, "127.0.0.1", out, sizeof out), PE_GEO_PASS);
}

static void test_bad_proxy_option(void **state) {
  (void)state;
  const char *proxies[] = {"10.0.0.0/8", "10.0.0.0/33"};
  pe_services_options o = {.trusted_proxies = proxies, .ntrusted_proxies = 2};
  open_fails(&o, "--trusted-proxy '10.0.0.0/33' is not an IP address or CIDR block");
  const char *null_one[] = {NULL};
  o.trusted_proxies = null_one;
  o.ntrusted_proxies = 1;
  open_fails(&o, "--trusted-proxy");
  o.ntrusted_proxies = 65;
  open_fails(&o, "at most 64");
  o.trusted_proxies = NULL;
  o.ntrusted_proxies = 1;
  open_fails(&o, "at most 64");
}

static void test_bad_db_files(void **state) {
  (void)state;
  char path[128];
  pe_services_options o = {.geoip_db = path};
  snprintf(path, sizeof path, "%s/missing.mmdb", dir);
  open_fails(&o, "missing.mmdb: No such file or directory");
  snprintf(path, sizeof path, "%s", dir);
  open_fails(&o, "not a regular file");
  snprintf(path, sizeof path, "%s/empty.mmdb", dir);
  write_file(path, "", 0);
  open_fails(&o, "not a usable MaxMind DB file");
  snprintf(path, sizeof path, "%s/junk.mmdb", dir);
  char junk[4096];
  for (size_t i = 0; i < sizeof junk; i++) junk[i] = (char)(i * 7 + 3);
  write_file(path, junk, sizeof junk);
  open_fails(&o, "not a usable MaxMind DB file");
  /* the metadata marker followed by junk */
  snprintf(path, sizeof path, "%s/badmeta.mmdb", dir);
  char bad_meta[64] = "\xab\xcd\xefMaxMind.com\xff\xff\xff\xff";
  write_file(path, bad_meta, 30);
  open_fails(&o, "not a usable MaxMind DB file");
  /* a good proxy list does not excuse a bad file */
  const char *proxies[] = {"10.0.0.0/8"};
  o.trusted_proxies = proxies;
  o.ntrusted_proxies = 1;
  open_fails(&o, "badmeta.mmdb");
}

/* ---- a database built here ------------------------------------------------------ */

typedef struct {
  uint32_t rec[2]; /* EMPTY, a node index, or DATA | value index */
} tnode;

#define EMPTY 0xffffffffu
#define DATA 0x80000000u

typedef struct {
  tnode nodes[512];
  uint32_t n;
} tree;

static void insert(tree *t, uint32_t addr, unsigned prefix, uint32_t value) {
  uint32_t at = 0;
  for (unsigned i = 0; i < prefix; i++) {
    unsigned b = (addr >> (31 - i)) & 1;
    if (i == prefix - 1) {
      t->nodes[at].rec[b] = DATA | value;
      return;
    }
    uint32_t r = t->nodes[at].rec[b];
    if (r == EMPTY || (r & DATA)) {
      assert_true(t->n < 512);
      t->nodes[t->n] = (tnode){{r, r}};
      t->nodes[at].rec[b] = t->n++;
    }
    at = t->nodes[at].rec[b];
  }
}

static void put_str(pe_buf *b, const char *s, size_t n) {
  uint8_t ctl = (uint8_t)(2 << 5 | n); /* UTF-8 string, n < 29 */
  assert_true(n < 29 && pe_buf_append(b, &ctl, 1) && pe_buf_append(b, s, n));
}

static void put_uint(pe_buf *b, int type, uint64_t v, int width) {
  uint8_t bytes[8];
  int n = 0;
  for (int i = width - 1; i >= 0; i--) {
    uint8_t x = (uint8_t)(v >> (8 * i));
    if (n || x) bytes[n++] = x;
  }
  if (type <= 7) {
    uint8_t ctl = (uint8_t)(type << 5 | n);
    assert_true(pe_buf_append(b, &ctl, 1));
  } else {
    uint8_t ctl[2] = {(uint8_t)n, (uint8_t)(type - 7)};
    assert_true(pe_buf_append(b, ctl, 2));
  }
  assert_true(pe_buf_append(b, bytes, (size_t)n));
}

static void put_map(pe_buf *b, unsigned pairs) {
  uint8_t ctl = (uint8_t)(7 << 5 | pairs);
  assert_true(pe_buf_append(b, &ctl, 1));
}

/* {"country": {"iso_code": <string code>}} or, with code NULL, a uint32 */
static void put_country(pe_buf *b, const char *code, size_t n) {
  put_map(b, 1);
  put_str(b, "country", 7);
  put_map(b, 1);
  put_str(b, "iso_code", 8);
  if (code)
    put_str(b, code, n);
  else
    put_uint(b, 6, 826, 4);
}

static void build_db(const char *path) {
  tree *t = calloc(1, sizeof *t);
  t->n = 1;
  t->nodes[0] = (tnode){{EMPTY, EMPTY}};
  pe_buf data = {0};
  uint32_t off[8];
  int nv = 0;
#define VALUE(stmt) (off[nv] = (uint32_t)data.len, stmt, nv++)
  VALUE(put_country(&data, "GB", 2));                                            /* 0 */
  VALUE(put_country(&data, "FR", 2));                                            /* 1 */
  VALUE(put_country(&data, "G\r\nB", 4));                                        /* 2: hostile */
  VALUE(put_country(&data, NULL, 0));                                            /* 3: wrong type */
  VALUE((put_map(&data, 1), put_str(&data, "city", 4), put_str(&data, "x", 1))); /* 4 */
  VALUE(put_country(&data, "ABCDEFGHIJ", 10));                                   /* 5: too long */
  VALUE(put_country(&data, "", 0));                                              /* 6: empty */
#undef VALUE
  insert(t, 0x0a000000, 8, 0);  /* 10.0.0.0/8 GB */
  insert(t, 0x0a010000, 16, 1); /* 10.1.0.0/16 FR, inside it */
  insert(t, 0xc0000201, 32, 2); /* 192.0.2.1 */
  insert(t, 0xc0000202, 32, 3);
  insert(t, 0xc0000203, 32, 4);
  insert(t, 0xc0000204, 32, 5);
  insert(t, 0xc0000205, 32, 6);
  pe_buf f = {0};
  for (uint32_t i = 0; i < t->n; i++)
    for (int k = 0; k < 2; k++) {
      uint32_t r = t->nodes[i].rec[k];
      uint32_t v = r == EMPTY ? t->n : (r & DATA) ? t->n + 16 + off[r & ~DATA] : r;
      uint8_t b[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
      assert_true(pe_buf_append(&f, b, 3));
    }
  static const uint8_t zeros[16];
  assert_true(pe_buf_append(&f, zeros, 16) && pe_buf_append(&f, data.data, data.len));
  assert_true(pe_buf_append(&f, "\xab\xcd\xefMaxMind.com", 14));
  put_map(&f, 9);
  put_str(&f, "binary_format_major_version", 27);
  put_uint(&f, 5, 2, 2);
  put_str(&f, "binary_format_minor_version", 27);
  put_uint(&f, 5, 0, 2);
  put_str(&f, "build_epoch", 11);
  put_uint(&f, 9, 1700000000, 8);
  put_str(&f, "database_type", 13);
  put_str(&f, "test", 4);
  put_str(&f, "description", 11);
  put_map(&f, 0);
  put_str(&f, "ip_version", 10);
  put_uint(&f, 5, 4, 2);
  put_str(&f, "languages", 9);
  uint8_t empty_array[2] = {0, 11 - 7};
  assert_true(pe_buf_append(&f, empty_array, 2));
  put_str(&f, "node_count", 10);
  put_uint(&f, 6, t->n, 4);
  put_str(&f, "record_size", 11);
  put_uint(&f, 5, 24, 2);
  write_file(path, f.data, f.len);
  pe_buf_free(&f);
  pe_buf_free(&data);
  free(t);
}

static const char *decide(pe_geo *g, const char *ip, pe_geo_verdict want) {
  static char out[16];
  memset(out, 'x', sizeof out);
  pe_geo_verdict v = pe_geo_decide(g, ip, out, sizeof out);
  if (v != want) fail_msg("%s: verdict %d, want %d", ip, v, want);
  return out;
}

static void test_lookups(void **state) {
  (void)state;
  char path[128];
  snprintf(path, sizeof path, "%s/test.mmdb", dir);
  build_db(path);
  const char *proxies[] = {"192.0.2.0/30", "2001:db8::/32"};
  pe_services_options o = {.geoip_db = path, .trusted_proxies = proxies, .ntrusted_proxies = 2};
  pe_geo *g = NULL;
  char err[512];
  if (!pe_geo_open(&o, &g, err, sizeof err)) fail_msg("%s", err);
  assert_non_null(g);
  assert_string_equal(decide(g, "10.2.3.4", PE_GEO_SET), "GB");
  assert_string_equal(decide(g, "10.1.3.4", PE_GEO_SET), "FR");
  assert_string_equal(decide(g, "::ffff:10.1.0.1", PE_GEO_SET), "FR");
  decide(g, "11.0.0.1", PE_GEO_DROP);  /* not in the database */
  decide(g, "192.0.2.4", PE_GEO_DROP); /* a code too long */
  decide(g, "192.0.2.5", PE_GEO_DROP); /* an empty code */
  decide(g, "::1", PE_GEO_DROP);       /* IPv6 in an IPv4 database */
  decide(g, "?", PE_GEO_DROP);         /* no peer address */
  decide(g, NULL, PE_GEO_DROP);
  /* trusted proxies: 192.0.2.0-3 (the hostile, wrong-type and no-country
   * records are behind them, so check those without the proxies below) */
  decide(g, "192.0.2.1", PE_GEO_PASS);
  decide(g, "2001:db8::5", PE_GEO_PASS);
  decide(g, "2001:db9::5", PE_GEO_DROP);
  pe_geo_free(g);
  o.ntrusted_proxies = 0;
  assert_true(pe_geo_open(&o, &g, err, sizeof err));
  decide(g, "192.0.2.1", PE_GEO_DROP); /* G\r\nB never becomes a header */
  decide(g, "192.0.2.2", PE_GEO_DROP); /* a number, not a string */
  decide(g, "192.0.2.3", PE_GEO_DROP); /* no country */
  /* a buffer too small for any code */
  char small[4];
  assert_int_equal(pe_geo_decide(g, "10.2.3.4", small, sizeof small), PE_GEO_DROP);
  pe_geo_free(g);
  /* truncating the file anywhere before the metadata: refused at open or
   * harmless at lookup, never a crash */
  pe_buf whole = {0};
  char e2[128];
  assert_true(pe_read_file(path, &whole, e2, sizeof e2));
  char cut[160];
  snprintf(cut, sizeof cut, "%s/cut.mmdb", dir);
  for (size_t n = 0; n < whole.len; n += 7) {
    write_file(cut, whole.data, n);
    o.geoip_db = cut;
    if (pe_geo_open(&o, &g, err, sizeof err)) {
      char out[16];
      pe_geo_decide(g, "10.1.3.4", out, sizeof out);
      pe_geo_free(g);
    }
  }
  pe_buf_free(&whole);
  pe_geo_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cidr_match),   cmocka_unit_test(test_cidr_invalid),
      cmocka_unit_test(test_no_options),   cmocka_unit_test(test_bad_proxy_option),
      cmocka_unit_test(test_bad_db_files), cmocka_unit_test(test_lookups),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
