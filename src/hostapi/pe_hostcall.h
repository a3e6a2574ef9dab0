/*
 * pe_hostcall.h -- host services behind the guest's `_pyedge.call`.
 *
 * The guest has one generic entry for everything pyedge offers beyond WASI
 * (outbound HTTP, key-value, SQLite, variables, crypto...): it names a
 * service ("kv.get") and passes a payload; the host answers with a reply.
 * Adding a service therefore never changes the guest module (no CPython
 * rebuild); it is a host function plus a pure-Python SDK module.
 *
 * Who answers: the pe_wasi context of the running instance carries a
 * pe_host_services (pe_wasi_set_host_data). `pyedge up` installs one per
 * request; `pyedge run`/`python` install none, so the guest gets -1 and
 * raises "not available here".
 *
 * Wire format of payloads and replies (docs/hostcall.md):
 *   payload = a sequence of blobs, each a u32 little-endian length and that
 *             many bytes (pe_hc_reader walks them);
 *   reply   = one status byte (pe_hc_status), then, for PE_HC_OK, the
 *             service's blobs, else a UTF-8 message.
 */
#ifndef PE_HOSTCALL_H
#define PE_HOSTCALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/pe_util.h"

typedef enum pe_hc_status {
  PE_HC_OK = 0,
  PE_HC_DENIED = 1,    /* not allowed: a store label, an outbound host */
  PE_HC_NOT_FOUND = 2, /* no such store, database, variable */
  PE_HC_INVALID = 3,   /* malformed payload or argument */
  PE_HC_BACKEND = 4,   /* the service failed (I/O, SQL error, connection) */
  PE_HC_TIMEOUT = 5,
  PE_HC_LIMIT = 6,      /* a size or count limit */
  PE_HC_NO_SERVICE = 7, /* unknown service name */
} pe_hc_status;

typedef struct pe_host_services {
  /* Runs one request; fills out with the whole reply (status byte first).
   * Runs on the guest's thread, inside its call: it may block (it should
   * honour pe_rt_should_stop), never longjmp. */
  void (*call)(void *ctx, const char *svc, size_t svc_len, const uint8_t *in, size_t in_len,
               pe_buf *out);
  void *ctx;
} pe_host_services;

/* --- payload reading and reply writing ---------------------------------- */

typedef struct pe_hc_reader {
  const uint8_t *p;
  size_t left;
  const uint8_t *end; /* p + left, always: a read never leaves [start, end) */
  bool bad;           /* a read ran past the end */
} pe_hc_reader;

void pe_hc_reader_init(pe_hc_reader *r, const uint8_t *p, size_t n);
/* Next blob; false (and r->bad) if none or it overruns. */
PE_MUST_CHECK bool pe_hc_blob(pe_hc_reader *r, const uint8_t **p, size_t *n);
/* Next blob as a NUL-terminated copy (malloc); NULL if missing or it holds a
 * NUL byte. */
char *pe_hc_string(pe_hc_reader *r);
/* Next blob as a u32/u64 in decimal text is avoided: integers are 8-byte
 * little-endian blobs. */
PE_MUST_CHECK bool pe_hc_u64(pe_hc_reader *r, uint64_t *v);
/* True if every blob was consumed and nothing overran. */
bool pe_hc_done(const pe_hc_reader *r);

PE_MUST_CHECK bool pe_hc_put_blob(pe_buf *out, const void *p, size_t n);
PE_MUST_CHECK bool pe_hc_put_str(pe_buf *out, const char *s);
PE_MUST_CHECK bool pe_hc_put_u64(pe_buf *out, uint64_t v);
/* Replaces out with an error reply: status byte and printf-style message. */
void pe_hc_error(pe_buf *out, pe_hc_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Starts a success reply (clears out, writes PE_HC_OK). */
PE_MUST_CHECK bool pe_hc_ok(pe_buf *out);

#endif /* PE_HOSTCALL_H */
