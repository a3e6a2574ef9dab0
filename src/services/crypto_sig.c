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
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "crypto_jws.h"

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

/* DER -> R || S at the curve's size, appended to out. */
static bool der_to_raw(const pe_jws_alg *a, const uint8_t *der, size_t n, pe_buf *out) {
  const unsigned char *p = der;
  ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
  if (!es) return false;
  const BIGNUM *r, *s;
  ECDSA_SIG_get0(es, &r, &s);
  uint8_t raw[2 * 66];
  bool ok = a->coord <= 66 && BN_bn2binpad(r, raw, (int)a->coord) == (int)a->coord &&
            BN_bn2binpad(s, raw + a->coord, (int)a->coord) == (int)a->coord &&
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
