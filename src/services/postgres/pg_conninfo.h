/*
 * pg_conninfo.h -- the guest's PostgreSQL connection string, parsed by
 * pyedge before libpq sees any of it (svc_postgres.c), so that the host
 * and port the component's allowed_outbound_hosts is asked about are the
 * ones connected to, and nothing in the string reaches the host's files.
 *
 * Two forms, as libpq reads them:
 *   key=value pairs   host=db.example port=5432 dbname=app user='a b'
 *   a URL             postgres[ql]://user:pass@host:port/dbname?sslmode=disable
 * Accepted keywords: host, port, dbname, user, password, sslmode (disable,
 * allow, prefer, require), application_name, options, connect_timeout
 * (read, then replaced by pyedge's own limit), channel_binding,
 * target_session_attrs, keepalives, keepalives_idle/interval/count,
 * tcp_user_timeout. Anything else is refused
 * with its name: hostaddr (pyedge sets it to the checked address),
 * service and passfile (files of the host), sslcert, sslkey, sslrootcert,
 * sslcrl (paths on the host's disk), sslmode verify-ca/verify-full (they
 * need a root certificate file), requirepeer, krbsrvname... . The host is
 * one name or address: a list (a,b), a socket directory (/run/...), an
 * empty host (libpq's default socket) are refused; the port one number.
 */
#ifndef PE_PG_CONNINFO_H
#define PE_PG_CONNINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/pe_assert.h"

#define PE_PG_MAX_OPTS 16

typedef struct pe_pg_conninfo {
  char host[256]; /* a name, an IPv4 address or a bare IPv6 address */
  uint16_t port;  /* 5432 unless given */
  unsigned n;     /* the other options, NUL-terminated copies (malloc) */
  char *key[PE_PG_MAX_OPTS], *val[PE_PG_MAX_OPTS];
} pe_pg_conninfo;

/* Parses s[0..len) (NUL bytes refused). false with a message in err (which
 * never repeats a password); ci is then empty. Free with
 * pe_pg_conninfo_free either way. */
PE_MUST_CHECK bool pe_pg_conninfo_parse(const char *s, size_t len, pe_pg_conninfo *ci, char *err,
                                        size_t errlen);
void pe_pg_conninfo_free(pe_pg_conninfo *ci);
/* The option's value, or NULL. */
const char *pe_pg_conninfo_get(const pe_pg_conninfo *ci, const char *key);

#endif /* PE_PG_CONNINFO_H */
