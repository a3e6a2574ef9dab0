/*
 * svc_redis_conn.h -- talking to a Redis server, for the two areas that do:
 * kv (kv/kv_redis.c, stores of type "redis" named by the runtime config)
 * and redis (redis/svc_redis.c, outbound connections the guest opens).
 *
 * hiredis only formats commands and parses replies; the socket is ours, non-
 * blocking, and every wait is a poll() bounded by a deadline. That is the
 * point of this file: after an inbound request's deadline the runtime
 * interrupts the worker thread every millisecond (no SA_RESTART), and
 * hiredis's own blocking loop would retry EINTR forever; a socket timeout
 * also bounds each read, not the whole reply. Here a command ends by its
 * own cap or the request's deadline, whichever is first, or when the
 * runtime asks the thread to stop (pe_rt_should_stop), and a reply larger
 * than the caller's cap is refused before it is all in memory.
 *
 * A connection on which anything failed (refused, reset, timed out, a
 * protocol error, a reply over the cap) must be closed: its stream is no
 * longer in step with the server.
 */
#ifndef PE_SVC_REDIS_CONN_H
#define PE_SVC_REDIS_CONN_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostapi/pe_hostcall.h"
#include "util/pe_assert.h"

/* redis://[[user]:password@]host[:port][/db] */
typedef struct pe_redis_url {
  char *host;            /* without brackets for IPv6 */
  int port;              /* 6379 unless given */
  char *user, *password; /* NULL when absent */
  long db;               /* 0 unless given */
} pe_redis_url;

/* Strict: the scheme redis:// only, no query or fragment, a port of 1 to
 * 65535, a decimal database number; the message never shows a password. */
PE_MUST_CHECK bool pe_redis_url_parse(const char *url, pe_redis_url *u, char *err, size_t errlen);
void pe_redis_url_free(pe_redis_url *u);

typedef struct pe_redis_conn pe_redis_conn;

typedef struct pe_redis_limits {
  unsigned connect_ms;  /* cap on connecting, AUTH and SELECT included */
  unsigned command_ms;  /* cap on one command, from sending to the whole reply */
  size_t max_reply;     /* bytes one reply may take on the wire */
  uint64_t deadline_ns; /* CLOCK_MONOTONIC end of the request; 0 none */
} pe_redis_limits;

/* Connects to host:port (a name is resolved; pass a numeric address to
 * reach exactly that one), then AUTH and SELECT as the url says (its host
 * and port are not used). `where` names the server in every message
 * ("redis 127.0.0.1:6379/0: cannot connect: Connection refused"). NULL on
 * failure with *st (BACKEND, TIMEOUT) and the message in err. */
pe_redis_conn *pe_redis_connect(const char *host, int port, const pe_redis_url *auth,
                                const char *where, const pe_redis_limits *lim, pe_hc_status *st,
                                char *err, size_t errlen);
/* Sends one command and reads its reply, which the caller frees with
 * freeReplyObject (a Redis error reply is a reply). NULL on failure with *st
 * (BACKEND, TIMEOUT, LIMIT) and err; the connection must then be closed. */
redisReply *pe_redis_command(pe_redis_conn *c, int argc, const char **argv, const size_t *lens,
                             const pe_redis_limits *lim, pe_hc_status *st, char *err,
                             size_t errlen);
void pe_redis_close(pe_redis_conn *c);

#endif /* PE_SVC_REDIS_CONN_H */
