/*
 * fuzz_mysql_url.c -- the guest's MySQL address
 * (src/services/mysql/mysql_url.c): it decides which host and port
 * allowed_outbound_hosts is asked about.
 *
 * Input: the address, all of it. An accepted address must give one host
 * of host-name or address characters only (no socket path, no list) and a
 * port other than 0; and the address written back (user, password and
 * database %-encoded byte by byte, an IPv6 host bracketed, ssl-mode when
 * TLS was asked for) must parse to
 * exactly the same parts, unless that made it longer than the 4096 bytes
 * accepted. A refusal must leave a message and nothing parsed.
 */
#include <ctype.h>

#include "fuzz_common.h"
#include "services/mysql/mysql_url.h"
#include "util/pe_util.h"

static void encoded(pe_buf *b, const char *s) {
  for (; *s; s++) FZ_CHECK(pe_buf_printf(b, "%%%02X", (unsigned char)*s));
}

static bool same_str(const char *a, const char *b) {
  return (!a && !b) || (a && b && !strcmp(a, b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pe_mysql_url u;
  char err[512] = "";
  if (!pe_mysql_url_parse((const char *)data, size, &u, err, sizeof err)) {
    FZ_CHECK(err[0] && !u.user && !u.password && !u.database && !u.host[0]);
    pe_mysql_url_free(&u);
    return 0;
  }
  FZ_CHECK(u.host[0] && u.port != 0);
  for (const char *p = u.host; *p; p++) FZ_CHECK(isalnum((unsigned char)*p) || strchr(".-_:", *p));
  pe_buf b = {0};
  FZ_CHECK(pe_buf_puts(&b, "mysql://"));
  if (u.user || u.password) {
    if (u.user) encoded(&b, u.user);
    if (u.password) {
      FZ_CHECK(pe_buf_puts(&b, ":"));
      encoded(&b, u.password);
    }
    FZ_CHECK(pe_buf_puts(&b, "@"));
  }
  FZ_CHECK(pe_buf_printf(&b, strchr(u.host, ':') ? "[%s]:%u" : "%s:%u", u.host, (unsigned)u.port));
  if (u.database) {
    FZ_CHECK(pe_buf_puts(&b, "/"));
    encoded(&b, u.database);
  }
  if (u.tls) FZ_CHECK(pe_buf_puts(&b, "?ssl-mode=required"));
  pe_mysql_url again;
  bool ok = pe_mysql_url_parse(b.data, b.len, &again, err, sizeof err);
  if (!ok && b.len <= 4096) fprintf(stderr, "the rewritten address was refused: %s\n", err);
  FZ_CHECK(ok || b.len > 4096);
  if (ok)
    FZ_CHECK(!strcmp(u.host, again.host) && u.port == again.port && same_str(u.user, again.user) &&
             same_str(u.password, again.password) && same_str(u.database, again.database) &&
             u.tls == again.tls);
  pe_mysql_url_free(&again);
  pe_mysql_url_free(&u);
  pe_buf_free(&b);
  return 0;
}
