/*
 * crypto_sig.c -- JWS signatures with OpenSSL 3's EVP interface
 * (crypto_jws.h): one EVP_DigestVerify / EVP_DigestSign per call, with the
 * padding RFC 7518 fixes for each family.
 *
 * ECDSA is the one format difference: JWS carries R || S, each left-padded
 * to the curve's size, while OpenSSL speaks DER (SEQUENCE of two INTEGERs).
 * A signature whose length is not exactly twice the coordinate size is
 * simply invalid; otherwise R and S become an ECDSA_SIG and its DER, and
 * back the same way when signing. The keys were checked by
 * pe_jws_key_fits, so a family mismatch cannot reach these functions.
 *
 * ECDSA signatures are malleable: if (R, S) verifies, so does (R, n - S),
 * n being the curve's group order, so whoever holds one token can make a
 * second token string with the same claims. Verification accepts both
 * forms (1 <= S < n, high S included): RFC 7518 does not ask for low S,
 * PyJWT (python-cryptography), Go, Node, Java and the identity providers
 * sign with S as ECDSA makes it, above n/2 half the time, and refusing
 * high S would refuse about half of the legitimate ES256/ES384/ES512/
 * ES256K tokens real issuers send. The second spelling only matters to an
 * application keying a replay cache or revocation list on the token
 * string; the guest's jwt package refuses high S for it with
 * options={"require_low_s": True} (sdk/python/jwt/api_jws.py). What is
 * refused here is a scalar out of range: R and S must lie in [1, n - 1]
 * (OpenSSL checks that too; checking here says why and does not depend on
 * it). Signing produces low-S signatures (OpenSSL's S is replaced by n - S
 * when above n/2): harmless, and verifiers that insist on low S accept
 * what pyedge signs.
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>

#include "crypto_jws.h"

/* ---- curve orders ------------------------------------------------------------- */

#define MAX_COORD 66 /* P-521 */

/* One curve's group order n, and floor(n / 2), as big-endian bytes at the
 * coordinate size, so that a JWS scalar (R or S at that size) compares with
 * memcmp (n: the range check of both; n/2: the low-S form pyedge signs);
 * and n as a BIGNUM for turning a high S into n - S when signing. */
typedef struct {
  const char *group; /* OpenSSL group name, as in pe_jws_alg */
  uint8_t n[MAX_COORD], half[MAX_COORD];
  BIGNUM *order;
} curve_order;

static curve_order orders[] = {
    {.group = "prime256v1"},
    {.group = "secp256k1"},
    {.group = "secp384r1"},
    {.group = "secp521r1"},
};
static pthread_once_t orders_once = PTHREAD_ONCE_INIT;
static bool orders_ok;

/* Reads every order from OpenSSL once (not written down here, where a typo
 * would go unnoticed); afterwards the table is only read, by any thread. */
static void load_orders(void) {
  BIGNUM *half = BN_new();
  bool ok = half != NULL;
  for (size_t i = 0; ok && i < sizeof orders / sizeof *orders; i++) {
    curve_order *c = &orders[i];
    int nid = OBJ_txt2nid(c->group);
    EC_GROUP *g = nid != NID_undef ? EC_GROUP_new_by_curve_name(nid) : NULL;
    const BIGNUM *n = g ? EC_GROUP_get0_order(g) : NULL;
    int bytes = n ? BN_num_bytes(n) : 0;
    ok = n && bytes > 0 && bytes <= MAX_COORD && (c->order = BN_dup(n)) != NULL &&
         BN_rshift1(half, n) == 1 && BN_bn2binpad(n, c->n, bytes) == bytes &&
         BN_bn2binpad(half, c->half, bytes) == bytes;
    EC_GROUP_free(g);
  }
  BN_free(half);
  ERR_clear_error();
  orders_ok = ok;
}

/* The order of a's curve, its bytes at a->coord; NULL if unknown (or the
 * table could not be made: out of memory). */
static const curve_order *order_of(const pe_jws_alg *a) {
  if (pthread_once(&orders_once, load_orders) != 0 || !orders_ok || !a->group) return NULL;
  for (size_t i = 0; i < sizeof orders / sizeof *orders; i++) {
    const curve_order *c = &orders[i];
    /* the table holds each order at its own byte length, which is the
     * coordinate size for every JWS curve; a mismatch would compare wrong */
    if (!strcmp(c->group, a->group) && a->coord <= MAX_COORD &&
        BN_num_bytes(c->order) == (int)a->coord)
      return c;
  }
  return NULL;
}

static bool all_zero(const uint8_t *p, size_t n) {
  uint8_t acc = 0;
  for (size_t i = 0; i < n; i++) acc |= p[i];
  return acc == 0;
}

/* Whether the JWS scalars R || S (each coord bytes) are in range:
 * 1 <= R < n and 1 <= S < n. S above n/2 is in range (see the top). */
static bool scalars_in_range(const curve_order *c, size_t coord, const uint8_t *sig) {
  const uint8_t *r = sig, *s = sig + coord;
  return !all_zero(r, coord) && memcmp(r, c->n, coord) < 0 && !all_zero(s, coord) &&
         memcmp(s, c->n, coord) < 0;
}

/* Whether S of the JWS scalars R || S is in the low form, S <= n/2. */
static bool s_is_low(const curve_order *c, size_t coord, const uint8_t *sig) {
  return memcmp(sig + coord, c->half, coord) <= 0;
}

/* Sets RSASSA-PSS on a signing or verifying context: MGF1 defaults to the
 * message digest; the salt is as long as the digest (RFC 7518 3.5). */
static bool set_padding(const pe_jws_alg *a, EVP_PKEY_CTX *pctx) {
  if (a->family != PE_JWS_PSS) return true;
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0;
}

/* R || S -> DER; NULL when the length is wrong (or out of memory). */
static uint8_t *raw_to_der(const pe_jws_alg *a, const uint8_t *sig, size_t n, int *der_len) {
  if (n != 2 * a->coord) return NULL;
  ECDSA_SIG *es = ECDSA_SIG_new();
  BIGNUM *r = BN_bin2bn(sig, (int)a->coord, NULL);
  BIGNUM *s = BN_bin2bn(sig + a->coord, (int)a->coord, NULL);
  uint8_t *der = NULL;
  if (!es || !r || !s || ECDSA_SIG_set0(es, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return NULL;
  }
  int len = i2d_ECDSA_SIG(es, NULL);
  if (len > 0 && (der = malloc((size_t)len)) != NULL) {
    uint8_t *p = der;
    if (i2d_ECDSA_SIG(es, &p) != len) {
      free(der);
      der = NULL;
    }
  }
  ECDSA_SIG_free(es);
  *der_len = len;
  return der;
}

int pe_jws_verify(const pe_jws_alg *a, EVP_PKEY *key, const uint8_t *msg, size_t msg_len,
                  const uint8_t *sig, size_t sig_len, char *err, size_t errlen) {
  uint8_t *der = NULL;
  int der_len = 0;
  if (a->family == PE_JWS_EC) {
    if (sig_len != 2 * a->coord) return 0;
    const curve_order *c = order_of(a);
    if (!c) {
      snprintf(err, errlen, "%s: cannot set up verification", a->name);
      return -1;
    }
    if (!scalars_in_range(c, a->coord, sig)) return 0; /* zero or >= n; high S is valid */
    if (!(der = raw_to_der(a, sig, sig_len, &der_len))) {
      snprintf(err, errlen, "out of memory");
      return -1;
    }
    sig = der;
    sig_len = (size_t)der_len;
  } else if ((a->family == PE_JWS_RSA || a->family == PE_JWS_PSS) &&
             sig_len != (size_t)EVP_PKEY_get_size(key)) {
    return 0; /* an RSA signature is exactly as long as the modulus */
  }
  int rc = -1;
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  if (!md || EVP_DigestVerifyInit_ex(md, &pctx, a->md, NULL, NULL, key, NULL) != 1 ||
      !set_padding(a, pctx)) {
    snprintf(err, errlen, "%s: cannot set up verification", a->name);
  } else {
    rc = EVP_DigestVerify(md, sig, sig_len, msg, msg_len) == 1 ? 1 : 0;
  }
  EVP_MD_CTX_free(md);
  free(der);
  ERR_clear_error();
  return rc;
}

/* DER -> R || S at the curve's size, S in its low form, appended to out. */
static bool der_to_raw(const pe_jws_alg *a, const uint8_t *der, size_t n, pe_buf *out) {
  const curve_order *c = order_of(a);
  if (!c || a->coord > MAX_COORD || n > LONG_MAX) return false;
  const unsigned char *p = der;
  ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
  if (!es) return false;
  const BIGNUM *r, *s;
  ECDSA_SIG_get0(es, &r, &s);
  uint8_t raw[2 * MAX_COORD];
  int coord = (int)a->coord;
  bool ok = BN_bn2binpad(r, raw, coord) == coord && BN_bn2binpad(s, raw + coord, coord) == coord;
  if (ok && !s_is_low(c, a->coord, raw)) {
    /* high S: n - S is the same signature's other form, the one that
     * verifiers insisting on low S (require_low_s included) accept */
    BIGNUM *low = BN_new();
    ok = low && BN_sub(low, c->order, s) == 1 && BN_bn2binpad(low, raw + coord, coord) == coord;
    BN_free(low);
  }
  ok = ok && scalars_in_range(c, a->coord, raw) && s_is_low(c, a->coord, raw) &&
       pe_buf_append(out, raw, 2 * a->coord);
  ECDSA_SIG_free(es);
  return ok;
}

bool pe_jws_sign(const pe_jws_alg *a, EVP_PKEY *key, const uint8_t *msg, size_t msg_len,
                 pe_buf *out, char *err, size_t errlen) {
  bool ok = false;
  size_t len = 0;
  uint8_t *sig = NULL;
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  if (!md || EVP_DigestSignInit_ex(md, &pctx, a->md, NULL, NULL, key, NULL) != 1 ||
      !set_padding(a, pctx) || EVP_DigestSign(md, NULL, &len, msg, msg_len) != 1 ||
      !(sig = malloc(len ? len : 1)) || EVP_DigestSign(md, sig, &len, msg, msg_len) != 1) {
    snprintf(err, errlen, "%s: signing failed", a->name);
  } else if (a->family == PE_JWS_EC) {
    ok = der_to_raw(a, sig, len, out);
    if (!ok) snprintf(err, errlen, "%s: cannot convert the ECDSA signature", a->name);
  } else {
    ok = pe_buf_append(out, sig, len);
    if (!ok) snprintf(err, errlen, "out of memory");
  }
  free(sig);
  EVP_MD_CTX_free(md);
  ERR_clear_error();
  return ok;
}
