/*
 * svc_redis.h -- the "redis" service area: outbound Redis connections for
 * the guest's spin_sdk.redis (Spin's fermyon:spin/redis@2.0.0 and
 * spin:redis/redis@3.0.0).
 *
 * Guest calls (docs/hostcall.md; handles are per request, svc_conns.h):
 *   redis.open     [address]                -> OK [handle]
 *   redis.get      [handle, key]            -> OK [result]...
 *   redis.set      [handle, key, value]     -> OK [result]...
 *   redis.incr     [handle, key]            -> OK [result]...
 *   redis.del      [handle, key, key...]    -> OK [result]...
 *   redis.sadd     [handle, key, member...] -> OK [result]...
 *   redis.smembers [handle, key]            -> OK [result]...
 *   redis.srem     [handle, key, member...] -> OK [result]...
 *   redis.publish  [handle, channel, payload] -> OK [result]...
 *   redis.execute  [handle, command, param...] -> OK [result]...
 *   redis.close    [handle]                 -> OK
 * A param is 'i' + 8-byte little-endian two's complement, or 'b' + bytes;
 * a result is 'n' (nil), 's' + status text, 'i' + 8-byte integer or
 * 'b' + bytes, arrays flattened in order as Spin does. The SDK checks the
 * result's type for the typed calls (Error_TypeError when it is wrong).
 *
 * open: a malformed address is INVALID; one that allowed_outbound_hosts
 * does not allow (rule redis://host:port) DENIED; more than
 * PE_REDIS_MAX_OPEN connections LIMIT; a server that does not answer
 * BACKEND or TIMEOUT. A Redis error reply is BACKEND with Redis's text.
 */
#ifndef PE_SVC_REDIS_H
#define PE_SVC_REDIS_H

#include "services/services_int.h"

#define PE_REDIS_MAX_OPEN 8u           /* connections open at once per request */
#define PE_REDIS_MAX_ADDRESS 2048u     /* bytes of an address */
#define PE_REDIS_MAX_SEND (16u << 20)  /* bytes of a command's arguments */
#define PE_REDIS_MAX_ARGS (1u << 20)   /* arguments of one command */
#define PE_REDIS_MAX_REPLY (16u << 20) /* bytes of a reply as Redis sends it */
#define PE_REDIS_CONNECT_MS 2000u      /* connecting, AUTH and SELECT */
#define PE_REDIS_COMMAND_MS 30000u     /* one command (a BLPOP may wait) */

bool pe_svc_redis_open(pe_services *s, char *err, size_t errlen);
void pe_svc_redis_close(pe_services *s);
void pe_svc_redis_call(pe_svc_request *rq, const char *op, const uint8_t *in, size_t n,
                       pe_buf *out);
/* Closes the request's connections (pe_svc_request_finish). */
void pe_svc_redis_request_end(pe_svc_request *rq);

#endif /* PE_SVC_REDIS_H */
