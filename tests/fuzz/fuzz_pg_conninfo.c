/*
 * fuzz_pg_conninfo.c -- the guest's PostgreSQL connection string
 * (src/services/postgres/pg_conninfo.c): it decides which host and port
 * allowed_outbound_hosts is asked about and which options reach libpq.
 *
 * Input: the connection string, all of it (key=value pairs or a
 * postgres:// URL). An accepted string must give one TCP host (no socket
 * path, no list, only host-name or address characters), a port other than
 * 0, and only options from the allowed list, each once, with sslmode one
 * of the four accepted; and writing the result back as key=value pairs
 * (every value quoted) must parse to exactly the same result, unless the
 * quoting made it longer than the 4096 bytes accepted. A refusal
 * must leave a message and nothing parsed.
 */
#include <ctype.h>

#include "fuzz_common.h"
#include "services/postgres/pg_conninfo.h"
#include "util/pe_util.h"

static const char *const allowed[] = {
    "dbname",
    "user",
    "password",
    "sslmode",
    "options",
    "application_name",
    "connect_timeout",
    "channel_binding",
    "target_session_attrs",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
};

static void check_ok(const pe_pg_conninfo *ci) {
  FZ_CHECK(ci->host[0] && ci->port != 0);
  for (const char *p = ci->host; *p; p++)
    FZ_CHECK(isalnum((unsigned char)*p) || strchr(".-_:", *p));
  FZ_CHECK(ci->n <= PE_PG_MAX_OPTS);
  for (unsigned i = 0; i < ci->n; i++) {
    bool known = false;
    for (size_t j = 0; j < sizeof allowed / sizeof *allowed; j++)
      known |= !strcmp(allowed[j], ci->key[i]);
    FZ_CHECK(known);
    for (unsigned j = 0; j < i; j++) FZ_CHECK(strcmp(ci->key[i], ci->key[j]) != 0);
    if (!strcmp(ci->key[i], "sslmode"))
      FZ_CHECK(!strcmp(ci->val[i], "disable") || !strcmp(ci->val[i], "allow") ||
               !strcmp(ci->val[i], "prefer") || !strcmp(ci->val[i], "require"));
  }
}

static bool same(const pe_pg_conninfo *a, const pe_pg_conninfo *b) {
  if (strcmp(a->host, b->host) || a->port != b->port || a->n != b->n) return false;
  for (unsigned i = 0; i < a->n; i++) {
    const char *v = pe_pg_conninfo_get(b, a->key[i]);
    if (!v || strcmp(v, a->val[i])) return false;
  }
  return true;
}

static void quoted(pe_buf *b, const char *key, const char *v) {
  FZ_CHECK(pe_buf_printf(b, " %s='", key));
  for (; *v; v++) {
    if (*v == '\'' || *v == '\\') FZ_CHECK(pe_buf_append(b, "\\", 1));
    FZ_CHECK(pe_buf_append(b, v, 1));
  }
  FZ_CHECK(pe_buf_append(b, "'", 1));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pe_pg_conninfo ci;
  char err[512] = "";
  if (!pe_pg_conninfo_parse((const char *)data, size, &ci, err, sizeof err)) {
    FZ_CHECK(err[0] && ci.n == 0);
    pe_pg_conninfo_free(&ci);
    return 0;
  }
  check_ok(&ci);
  pe_buf b = {0};
  char port[8];
  snprintf(port, sizeof port, "%u", (unsigned)ci.port);
  quoted(&b, "host", ci.host);
  quoted(&b, "port", port);
  for (unsigned i = 0; i < ci.n; i++) quoted(&b, ci.key[i], ci.val[i]);
  pe_pg_conninfo again;
  bool ok = pe_pg_conninfo_parse(b.data, b.len, &again, err, sizeof err);
  if (!ok && b.len <= 4096) fprintf(stderr, "the rewritten string was refused: %s\n", err);
  FZ_CHECK(ok || b.len > 4096); /* quoting can push a long string over the limit */
  FZ_CHECK(!ok || same(&ci, &again));
  pe_pg_conninfo_free(&again);
  pe_pg_conninfo_free(&ci);
  pe_buf_free(&b);
  return 0;
}
