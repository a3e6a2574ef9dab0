/*
 * mysql_url.h -- the guest's MySQL address, parsed by pyedge (svc_mysql.c)
 * so that the host and port allowed_outbound_hosts is asked about are the
 * ones connected to.
 *
 *   mysql://[user[:password]@]host[:port][/database]
 *
 *   ...?ssl-mode=DISABLED|PREFERRED|REQUIRED   (also sslmode, any case)
 *
 * As Spin takes it: user, password and database %-decoded, port 3306 when
 * absent. The host is one name or address ([v6] bracketed): an empty host
 * (the client's local socket), a socket path, a list are refused. The one
 * parameter is Spin's ssl-mode: DISABLED (the default) or PREFERRED and
 * REQUIRED, which both require TLS without verifying the certificate
 * (pyedge connects to the checked address, so there is no name to verify
 * it against); VERIFY_CA, VERIFY_IDENTITY and any other parameter (TLS
 * options would name files of the host) are refused.
 */
#ifndef PE_MYSQL_URL_H
#define PE_MYSQL_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/pe_assert.h"

typedef struct pe_mysql_url {
  char host[256]; /* a name, an IPv4 address or a bare IPv6 address */
  uint16_t port;
  char *user, *password, *database; /* malloc'd, NUL-terminated; NULL when absent */
  bool tls;                         /* ssl-mode PREFERRED or REQUIRED: TLS, unverified */
} pe_mysql_url;

/* Parses s[0..len). false with a message in err (never the password); u
 * is then empty. Free with pe_mysql_url_free either way. */
PE_MUST_CHECK bool pe_mysql_url_parse(const char *s, size_t len, pe_mysql_url *u, char *err,
                                      size_t errlen);
void pe_mysql_url_free(pe_mysql_url *u);

#endif /* PE_MYSQL_URL_H */
