/*
 * crypto_jws.h -- the asymmetric JWS algorithms (RFC 7518) the host signs
 * and verifies for the guest's `jwt` package, and the public keys they use.
 *
 * Why on the host: RSA, ECDSA and EdDSA in pure Python inside the sandbox
 * would be slow (big-integer arithmetic in the interpreter) and hard to make
 * constant-time; OpenSSL 3 does them natively. HMAC (HS256/384/512) stays in
 * the guest, where CPython's hashlib and hmac are fast enough.
 *
 * Keys arrive from a hostile guest as bytes, in one of two formats:
 *   "pem"  PEM text: PUBLIC KEY, RSA PUBLIC KEY, CERTIFICATE (its public
 *          key), or an unencrypted PRIVATE KEY / RSA PRIVATE KEY /
 *          EC PRIVATE KEY (for signing; verifying with one uses its public
 *          half). Only the first PEM block of a supported kind is read.
 *   "jwk"  a JWK's public components, already base64url-decoded by the
 *          guest and packed as blobs (pe_hostcall.h): "RSA", n, e |
 *          "EC", crv, x, y | "OKP", crv, x (big-endian unsigned integers;
 *          EC coordinates and OKP keys at their exact curve size).
 * Every key is checked before use: its type must be the algorithm's family
 * (an RS256 token never meets an EC key, ES256 only a P-256 key), RSA
 * moduli are 2048 to 16384 bits (RFC 7518 3.3 asks for at least 2048),
 * EC points must be on their curve.
 */
#ifndef PE_CRYPTO_JWS_H
#define PE_CRYPTO_JWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "util/pe_util.h"

typedef enum pe_jws_family {
  PE_JWS_RSA,   /* RSASSA-PKCS1-v1_5 */
  PE_JWS_PSS,   /* RSASSA-PSS, MGF1 with the same hash, salt = hash length */
  PE_JWS_EC,    /* ECDSA, signature R || S at the curve's size */
  PE_JWS_EDDSA, /* Ed25519 or Ed448 */
} pe_jws_family;

typedef struct pe_jws_alg {
  const char *name; /* "RS256" ... as in a JWS header */
  pe_jws_family family;
  const char *md;    /* digest name for OpenSSL; NULL for EdDSA */
  const char *group; /* EC: the curve's OpenSSL group name */
  size_t coord;      /* EC: bytes of one coordinate, R and S */
} pe_jws_alg;

#define PE_JWS_MIN_RSA_BITS 2048
#define PE_JWS_MAX_RSA_BITS 16384

/* The algorithm named by the n bytes at name (exact, case-sensitive), or
 * NULL. "none" and the HS family are not here: they never reach the host. */
const pe_jws_alg *pe_jws_alg_find(const uint8_t *name, size_t n);

/* Decodes a key in format fmt ("pem" or "jwk", see above). Returns a new
 * key (EVP_PKEY_free it) and sets *has_private, or NULL with a message. */
EVP_PKEY *pe_jws_key_load(const char *fmt, const uint8_t *key, size_t n, bool *has_private,
                          char *err, size_t errlen);

/* Whether key may be used with alg (family, curve, size); a message if not. */
bool pe_jws_key_fits(const pe_jws_alg *alg, EVP_PKEY *key, char *err, size_t errlen);

/* 1: sig is a valid signature of msg under key; 0: it is not (wrong
 * length or encoding included; ECDSA: R or S zero or not below the curve
 * order n); -1: OpenSSL failed (err says why). key must fit alg. An ECDSA
 * S above n/2 (the high-S form, which other signers produce half the time)
 * is valid, as RFC 7518 and every JOSE library have it; an application
 * that needs one spelling per token refuses it in the guest (jwt's
 * require_low_s option). */
int pe_jws_verify(const pe_jws_alg *alg, EVP_PKEY *key, const uint8_t *msg, size_t msg_len,
                  const uint8_t *sig, size_t sig_len, char *err, size_t errlen);

/* Signs msg with a private key fitting alg; appends the JWS signature (EC:
 * R || S, S in its low form S <= n/2, which strict verifiers also accept)
 * to out. */
bool pe_jws_sign(const pe_jws_alg *alg, EVP_PKEY *key, const uint8_t *msg, size_t msg_len,
                 pe_buf *out, char *err, size_t errlen);

#endif /* PE_CRYPTO_JWS_H */
