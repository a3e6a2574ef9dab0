/*
 * svc_crypto.c -- the "crypto" host-service area: JWS signatures for the
 * guest's `jwt` package (sdk/python/jwt). Ops and their blobs
 * (docs/hostcall.md):
 *
 *   crypto.verify  alg, key format, key, signing input, signature
 *                  -> OK [u64 1 (valid) | 0 (invalid)]
 *   crypto.sign    alg, key format, private key, signing input
 *                  -> OK [signature]
 *
 * alg is a JWS name from crypto_jws.h (RS*, PS*, ES*, EdDSA); the key
 * format "pem" or "jwk". A bad key, a key of the wrong family or curve for
 * alg, or a malformed payload is PE_HC_INVALID with a message (the guest
 * raises jwt.InvalidKeyError); a signature that does not verify is not an
 * error but a 0. Sizes are bounded before any work: keys 64 KiB, signing
 * input 4 MiB (PE_HC_LIMIT past them), signatures 2 KiB (longer ones are
 * invalid).
 *
 * App-wide state: a small cache of decoded keys, keyed by SHA-256 of the
 * format and key bytes. An app verifies every request's token with the same
 * key, and decoding PEM costs more than the verification itself; the cache
 * makes it once per key. It is bounded (oldest entry replaced), shared by
 * the worker threads under a mutex, and holds one reference to each
 * EVP_PKEY (read-only use from several threads is safe in OpenSSL 3).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto_jws.h"
#include "services/services_int.h"
#include "svc_crypto.h"

#define MAX_KEY_BYTES (64u << 10)
#define MAX_SIGNING_INPUT (4u << 20)
#define MAX_SIG_BYTES 2048u
#define CACHE_SLOTS 32

typedef struct {
  uint8_t id[32];
  EVP_PKEY *key; /* NULL: empty slot */
  bool has_private;
  uint64_t used;
} cache_entry;

typedef struct {
  pthread_mutex_t mu;
  cache_entry slots[CACHE_SLOTS];
  uint64_t clock;
} crypto_state;

bool pe_svc_crypto_open(pe_services *s, char *err, size_t errlen) {
  crypto_state *st = calloc(1, sizeof *st);
  if (!st || pthread_mutex_init(&st->mu, NULL) != 0) {
    free(st);
    snprintf(err, errlen, "crypto: out of memory");
    return false;
  }
  s->crypto = st;
  return true;
}

void pe_svc_crypto_close(pe_services *s) {
  crypto_state *st = s ? s->crypto : NULL;
  if (!st) return;
  for (int i = 0; i < CACHE_SLOTS; i++) EVP_PKEY_free(st->slots[i].key);
  pthread_mutex_destroy(&st->mu);
  free(st);
  s->crypto = NULL;
}

static bool key_id(const char *fmt, const uint8_t *key, size_t n, uint8_t id[32]) {
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  unsigned int len = 0;
  bool ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
            EVP_DigestUpdate(md, fmt, strlen(fmt) + 1) == 1 && EVP_DigestUpdate(md, key, n) == 1 &&
            EVP_DigestFinal_ex(md, id, &len) == 1 && len == 32;
  EVP_MD_CTX_free(md);
  return ok;
}

/* The decoded key (a new reference), from the cache or decoded now. */
static EVP_PKEY *get_key(crypto_state *st, const char *fmt, const uint8_t *key, size_t n,
                         bool *has_private, char *err, size_t errlen) {
  uint8_t id[32];
  bool have_id = st && key_id(fmt, key, n, id);
  if (have_id) {
    pthread_mutex_lock(&st->mu);
    for (int i = 0; i < CACHE_SLOTS; i++) {
      cache_entry *e = &st->slots[i];
      if (e->key && !memcmp(e->id, id, 32) && EVP_PKEY_up_ref(e->key) == 1) {
        e->used = ++st->clock;
        *has_private = e->has_private;
        EVP_PKEY *k = e->key;
        pthread_mutex_unlock(&st->mu);
        return k;
      }
    }
    pthread_mutex_unlock(&st->mu);
  }
  EVP_PKEY *k = pe_jws_key_load(fmt, key, n, has_private, err, errlen);
  if (!k || !have_id) return k;
  pthread_mutex_lock(&st->mu);
  cache_entry *victim = &st->slots[0];
  for (int i = 0; i < CACHE_SLOTS; i++) {
    cache_entry *e = &st->slots[i];
    if (e->key && !memcmp(e->id, id, 32)) { /* another thread got here first */
      victim = NULL;
      break;
    }
    if (!e->key || (victim->key && e->used < victim->used)) victim = e;
  }
  if (victim && EVP_PKEY_up_ref(k) == 1) {
    EVP_PKEY_free(victim->key);
    memcpy(victim->id, id, 32);
    victim->key = k;
    victim->has_private = *has_private;
    victim->used = ++st->clock;
  }
  pthread_mutex_unlock(&st->mu);
  return k;
}

/* Reads alg, format and key; returns the checked key or writes the error. */
static EVP_PKEY *read_key(pe_svc_request *rq, const char *op, pe_hc_reader *r,
                          const pe_jws_alg **alg, bool *has_private, pe_buf *out) {
  const uint8_t *name, *fmt, *key;
  size_t nname, nfmt, nkey;
  char fmts[8], err[512];
  if (!pe_hc_blob(r, &name, &nname) || !pe_hc_blob(r, &fmt, &nfmt) || !pe_hc_blob(r, &key, &nkey)) {
    pe_hc_error(out, PE_HC_INVALID, "crypto.%s: expected blobs alg, key format, key, ...", op);
    return NULL;
  }
  if (!(*alg = pe_jws_alg_find(name, nname))) {
    pe_hc_error(out, PE_HC_INVALID,
                "crypto.%s: unsupported algorithm '%.*s' (RS256/384/512, PS256/384/512, "
                "ES256, ES256K, ES384, ES512, EdDSA)",
                op, (int)(nname > 32 ? 32 : nname), (const char *)name);
    return NULL;
  }
  if (nfmt >= sizeof fmts || memchr(fmt, 0, nfmt)) {
    pe_hc_error(out, PE_HC_INVALID, "crypto.%s: unknown key format (pem, jwk)", op);
    return NULL;
  }
  memcpy(fmts, fmt, nfmt);
  fmts[nfmt] = 0;
  if (nkey > MAX_KEY_BYTES) {
    pe_hc_error(out, PE_HC_LIMIT, "crypto.%s: the key is %zu bytes, more than the %u allowed", op,
                nkey, MAX_KEY_BYTES);
    return NULL;
  }
  EVP_PKEY *k = get_key(rq && rq->app ? rq->app->crypto : NULL, fmts, key, nkey, has_private, err,
                        sizeof err);
  if (!k) {
    pe_hc_error(out, PE_HC_INVALID, "crypto.%s: %s", op, err);
    return NULL;
  }
  if (!pe_jws_key_fits(*alg, k, err, sizeof err)) {
    pe_hc_error(out, PE_HC_INVALID, "crypto.%s: %s", op, err);
    EVP_PKEY_free(k);
    return NULL;
  }
  return k;
}

static bool read_input(const char *op, pe_hc_reader *r, const uint8_t **msg, size_t *n,
                       pe_buf *out) {
  if (!pe_hc_blob(r, msg, n)) {
    pe_hc_error(out, PE_HC_INVALID, "crypto.%s: missing the signing input", op);
    return false;
  }
  if (*n > MAX_SIGNING_INPUT) {
    pe_hc_error(out, PE_HC_LIMIT,
                "crypto.%s: the signing input is %zu bytes, more than the %u "
                "allowed",
                op, *n, MAX_SIGNING_INPUT);
    return false;
  }
  return true;
}

static void op_verify(pe_svc_request *rq, const uint8_t *in, size_t n, pe_buf *out) {
  pe_hc_reader r;
  pe_hc_reader_init(&r, in, n);
  const pe_jws_alg *alg;
  bool priv;
  EVP_PKEY *k = read_key(rq, "verify", &r, &alg, &priv, out);
  if (!k) return;
  const uint8_t *msg, *sig;
  size_t nmsg, nsig;
  char err[256];
  if (read_input("verify", &r, &msg, &nmsg, out)) {
    if (!pe_hc_blob(&r, &sig, &nsig) || !pe_hc_done(&r)) {
      pe_hc_error(out, PE_HC_INVALID,
                  "crypto.verify: expected exactly 5 blobs: alg, key format, key, signing input, "
                  "signature");
    } else {
      int v = nsig > MAX_SIG_BYTES ? 0
                                   : pe_jws_verify(alg, k, msg, nmsg, sig, nsig, err, sizeof err);
      if (v < 0)
        pe_hc_error(out, PE_HC_BACKEND, "crypto.verify: %s", err);
      else if (!pe_hc_ok(out) || !pe_hc_put_u64(out, (uint64_t)v))
        pe_hc_error(out, PE_HC_BACKEND, "out of memory");
    }
  }
  EVP_PKEY_free(k);
}

static void op_sign(pe_svc_request *rq, const uint8_t *in, size_t n, pe_buf *out) {
  pe_hc_reader r;
  pe_hc_reader_init(&r, in, n);
  const pe_jws_alg *alg;
  bool priv;
  EVP_PKEY *k = read_key(rq, "sign", &r, &alg, &priv, out);
  if (!k) return;
  const uint8_t *msg;
  size_t nmsg;
  char err[256];
  pe_buf sig = {0};
  if (read_input("sign", &r, &msg, &nmsg, out)) {
    if (!pe_hc_done(&r)) {
      pe_hc_error(out, PE_HC_INVALID,
                  "crypto.sign: expected exactly 4 blobs: alg, key format, key, signing input");
    } else if (!priv) {
      pe_hc_error(out, PE_HC_INVALID, "crypto.sign: %s needs a private key (PEM PRIVATE KEY)",
                  alg->name);
    } else if (!pe_jws_sign(alg, k, msg, nmsg, &sig, err, sizeof err)) {
      pe_hc_error(out, PE_HC_BACKEND, "crypto.sign: %s", err);
    } else if (!pe_hc_ok(out) || !pe_hc_put_blob(out, sig.data, sig.len)) {
      pe_hc_error(out, PE_HC_BACKEND, "out of memory");
    }
  }
  pe_buf_free(&sig);
  EVP_PKEY_free(k);
}

void pe_svc_crypto_call(pe_svc_request *rq, const char *op, const uint8_t *in, size_t n,
                        pe_buf *out) {
  if (!strcmp(op, "verify"))
    op_verify(rq, in, n, out);
  else if (!strcmp(op, "sign"))
    op_sign(rq, in, n, out);
  else
    pe_hc_error(out, PE_HC_NO_SERVICE, "no host service named 'crypto.%.100s'", op);
}
