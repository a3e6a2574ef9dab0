/*
 * crypto_key.c -- JWS public/private keys from guest bytes (crypto_jws.h):
 * PEM through OpenSSL's readers, JWK components through EVP_PKEY_fromdata,
 * then the family/curve/size check that stops algorithm confusion.
 *
 * PEM is dispatched on the label of the first "-----BEGIN <label>-----"
 * line, so each kind goes to the one reader meant for it and an unsupported
 * kind gets a message naming it. A private key is read with a password
 * callback that refuses: an encrypted key fails instead of prompting on the
 * host's terminal. Every OpenSSL error queued on the way is cleared before
 * returning, so nothing leaks into the next request on this thread.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto_jws.h"
#include "hostapi/pe_hostcall.h"

static const pe_jws_alg algs[] = {
    {"RS256", PE_JWS_RSA, "SHA256", NULL, 0},
    {"RS384", PE_JWS_RSA, "SHA384", NULL, 0},
    {"RS512", PE_JWS_RSA, "SHA512", NULL, 0},
    {"PS256", PE_JWS_PSS, "SHA256", NULL, 0},
    {"PS384", PE_JWS_PSS, "SHA384", NULL, 0},
    {"PS512", PE_JWS_PSS, "SHA512", NULL, 0},
    {"ES256", PE_JWS_EC, "SHA256", "prime256v1", 32},
    {"ES256K", PE_JWS_EC, "SHA256", "secp256k1", 32},
    {"ES384", PE_JWS_EC, "SHA384", "secp384r1", 48},
    {"ES512", PE_JWS_EC, "SHA512", "secp521r1", 66},
    {"EdDSA", PE_JWS_EDDSA, NULL, NULL, 0},
};

const pe_jws_alg *pe_jws_alg_find(const uint8_t *name, size_t n) {
  for (size_t i = 0; i < sizeof algs / sizeof *algs; i++)
    if (strlen(algs[i].name) == n && memcmp(algs[i].name, name, n) == 0) return &algs[i];
  return NULL;
}

/* JWK curve names -> OpenSSL group names and coordinate sizes */
static const struct {
  const char *crv, *group;
  size_t coord;
} ec_curves[] = {
    {"P-256", "prime256v1", 32},
    {"secp256k1", "secp256k1", 32},
    {"P-384", "secp384r1", 48},
    {"P-521", "secp521r1", 66},
};

static int refuse_password(char *buf, int size, int rwflag, void *u) {
  (void)buf, (void)size, (void)rwflag, (void)u;
  return -1;
}

/* The label of the first PEM block ("PUBLIC KEY"), in out; false if none. */
static bool pem_label(const uint8_t *p, size_t n, char *out, size_t outlen) {
  static const char begin[] = "-----BEGIN ";
  const uint8_t *b = memmem(p, n, begin, sizeof begin - 1);
  if (!b) return false;
  const uint8_t *s = b + sizeof begin - 1, *end = p + n;
  const uint8_t *e = memmem(s, (size_t)(end - s), "-----", 5);
  if (!e || (size_t)(e - s) >= outlen || e == s) return false;
  for (const uint8_t *q = s; q < e; q++)
    if (!((*q >= 'A' && *q <= 'Z') || *q == ' ' || (*q >= '0' && *q <= '9'))) return false;
  memcpy(out, s, (size_t)(e - s));
  out[e - s] = 0;
  return true;
}

static EVP_PKEY *load_pem(const uint8_t *key, size_t n, bool *priv, char *err, size_t errlen) {
  char label[64];
  if (!pem_label(key, n, label, sizeof label)) {
    snprintf(err, errlen,
             n >= 4 && memcmp(key, "ssh-", 4) == 0
                 ? "OpenSSH public keys are not supported: use a PEM public key"
                 : "the key is not in PEM format (no -----BEGIN ...----- line)");
    return NULL;
  }
  BIO *bio = BIO_new_mem_buf(key, (int)n);
  if (!bio) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  EVP_PKEY *pk = NULL;
  *priv = false;
  if (!strcmp(label, "PUBLIC KEY")) {
    pk = PEM_read_bio_PUBKEY_ex(bio, NULL, refuse_password, NULL, NULL, NULL);
  } else if (!strcmp(label, "RSA PUBLIC KEY")) {
    OSSL_DECODER_CTX *d =
        OSSL_DECODER_CTX_new_for_pkey(&pk, "PEM", NULL, "RSA", EVP_PKEY_PUBLIC_KEY, NULL, NULL);
    const unsigned char *data = key;
    size_t len = n;
    if (d && OSSL_DECODER_from_data(d, &data, &len) != 1) {
      EVP_PKEY_free(pk);
      pk = NULL;
    }
    OSSL_DECODER_CTX_free(d);
  } else if (!strcmp(label, "CERTIFICATE")) {
    X509 *x = PEM_read_bio_X509(bio, NULL, refuse_password, NULL);
    if (x) pk = X509_get_pubkey(x);
    X509_free(x);
  } else if (!strcmp(label, "PRIVATE KEY") || !strcmp(label, "RSA PRIVATE KEY") ||
             !strcmp(label, "EC PRIVATE KEY")) {
    pk = PEM_read_bio_PrivateKey_ex(bio, NULL, refuse_password, NULL, NULL, NULL);
    *priv = pk != NULL;
  } else if (!strcmp(label, "ENCRYPTED PRIVATE KEY")) {
    snprintf(err, errlen, "encrypted private keys are not supported: give the key unencrypted");
    BIO_free(bio);
    return NULL;
  } else {
    snprintf(err, errlen,
             "unsupported PEM block '%s' (expected PUBLIC KEY, RSA PUBLIC KEY, "
             "CERTIFICATE or PRIVATE KEY)",
             label);
    BIO_free(bio);
    return NULL;
  }
  BIO_free(bio);
  if (!pk) snprintf(err, errlen, "the PEM %s cannot be read (malformed or unsupported)", label);
  return pk;
}

/* Leading zero bytes of a big-endian unsigned integer removed. */
static void strip_zeros(const uint8_t **p, size_t *n) {
  while (*n > 0 && **p == 0) (*p)++, (*n)--;
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM *params, char *err, size_t errlen,
                             const char *what) {
  EVP_PKEY *pk = NULL;
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
  if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
      EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    snprintf(err, errlen, "the JWK's %s is not a valid public key", what);
    pk = NULL;
  }
  EVP_PKEY_CTX_free(ctx);
  return pk;
}

static EVP_PKEY *jwk_rsa(pe_hc_reader *r, char *err, size_t errlen) {
  const uint8_t *n, *e;
  size_t nn, ne;
  if (!pe_hc_blob(r, &n, &nn) || !pe_hc_blob(r, &e, &ne) || !pe_hc_done(r)) {
    snprintf(err, errlen, "an RSA JWK needs exactly n and e");
    return NULL;
  }
  strip_zeros(&n, &nn);
  strip_zeros(&e, &ne);
  if (nn < PE_JWS_MIN_RSA_BITS / 8 || nn > PE_JWS_MAX_RSA_BITS / 8 || !(n[nn - 1] & 1)) {
    snprintf(err, errlen, "the RSA JWK's n is not an odd modulus of %d to %d bits",
             PE_JWS_MIN_RSA_BITS, PE_JWS_MAX_RSA_BITS);
    return NULL;
  }
  if (ne == 0 || ne > 8 || !(e[ne - 1] & 1) || (ne == 1 && e[0] < 3)) {
    snprintf(err, errlen, "the RSA JWK's e is not an odd exponent of at least 3 (at most 64 bits)");
    return NULL;
  }
  EVP_PKEY *pk = NULL;
  BIGNUM *bn = BN_bin2bn(n, (int)nn, NULL), *be = BN_bin2bn(e, (int)ne, NULL);
  OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM *params = NULL;
  if (bn && be && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) &&
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) &&
      (params = OSSL_PARAM_BLD_to_param(bld)) != NULL)
    pk = from_params("RSA", params, err, errlen, "RSA n/e");
  else
    snprintf(err, errlen, "out of memory");
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_free(bn);
  BN_free(be);
  return pk;
}

static EVP_PKEY *jwk_ec(pe_hc_reader *r, char *err, size_t errlen) {
  const uint8_t *crv, *x, *y;
  size_t ncrv, nx, ny;
  if (!pe_hc_blob(r, &crv, &ncrv) || !pe_hc_blob(r, &x, &nx) || !pe_hc_blob(r, &y, &ny) ||
      !pe_hc_done(r)) {
    snprintf(err, errlen, "an EC JWK needs exactly crv, x and y");
    return NULL;
  }
  for (size_t i = 0; i < sizeof ec_curves / sizeof *ec_curves; i++) {
    if (strlen(ec_curves[i].crv) != ncrv || memcmp(ec_curves[i].crv, crv, ncrv)) continue;
    size_t c = ec_curves[i].coord;
    if (nx != c || ny != c) {
      snprintf(err, errlen, "the EC JWK's x and y must be %zu bytes each for %s", c,
               ec_curves[i].crv);
      return NULL;
    }
    uint8_t pub[1 + 2 * 66];
    pub[0] = 0x04; /* uncompressed point */
    memcpy(pub + 1, x, c);
    memcpy(pub + 1 + c, y, c);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)ec_curves[i].group, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub, 1 + 2 * c),
        OSSL_PARAM_construct_end(),
    };
    return from_params("EC", params, err, errlen, "EC point");
  }
  snprintf(err, errlen, "unsupported EC curve '%.*s' (P-256, P-384, P-521, secp256k1)",
           (int)(ncrv > 32 ? 32 : ncrv), (const char *)crv);
  return NULL;
}

static EVP_PKEY *jwk_okp(pe_hc_reader *r, char *err, size_t errlen) {
  const uint8_t *crv, *x;
  size_t ncrv, nx;
  if (!pe_hc_blob(r, &crv, &ncrv) || !pe_hc_blob(r, &x, &nx) || !pe_hc_done(r)) {
    snprintf(err, errlen, "an OKP JWK needs exactly crv and x");
    return NULL;
  }
  const char *type = NULL;
  size_t want = 0;
  if (ncrv == 7 && !memcmp(crv, "Ed25519", 7))
    type = "ED25519", want = 32;
  else if (ncrv == 5 && !memcmp(crv, "Ed448", 5))
    type = "ED448", want = 57;
  if (!type) {
    snprintf(err, errlen, "unsupported OKP curve '%.*s' (Ed25519, Ed448)",
             (int)(ncrv > 32 ? 32 : ncrv), (const char *)crv);
    return NULL;
  }
  if (nx != want) {
    snprintf(err, errlen, "the OKP JWK's x must be %zu bytes for %s", want, type);
    return NULL;
  }
  EVP_PKEY *pk = EVP_PKEY_new_raw_public_key_ex(NULL, type, NULL, x, nx);
  if (!pk) snprintf(err, errlen, "the OKP JWK's x is not a valid %s public key", type);
  return pk;
}

static EVP_PKEY *load_jwk(const uint8_t *key, size_t n, char *err, size_t errlen) {
  pe_hc_reader r;
  pe_hc_reader_init(&r, key, n);
  const uint8_t *kty;
  size_t nkty;
  if (!pe_hc_blob(&r, &kty, &nkty)) {
    snprintf(err, errlen, "malformed JWK components (expected kty and its parameters as blobs)");
    return NULL;
  }
  if (nkty == 3 && !memcmp(kty, "RSA", 3)) return jwk_rsa(&r, err, errlen);
  if (nkty == 2 && !memcmp(kty, "EC", 2)) return jwk_ec(&r, err, errlen);
  if (nkty == 3 && !memcmp(kty, "OKP", 3)) return jwk_okp(&r, err, errlen);
  snprintf(err, errlen, "unsupported JWK kty '%.*s' (RSA, EC, OKP)", (int)(nkty > 16 ? 16 : nkty),
           (const char *)kty);
  return NULL;
}

/* EC keys: the point must be valid on its curve (the guest chose it). */
static bool ec_point_ok(EVP_PKEY *pk) {
  EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
  bool ok = c && EVP_PKEY_public_check(c) == 1;
  EVP_PKEY_CTX_free(c);
  return ok;
}

EVP_PKEY *pe_jws_key_load(const char *fmt, const uint8_t *key, size_t n, bool *has_private,
                          char *err, size_t errlen) {
  EVP_PKEY *pk = NULL;
  *has_private = false;
  if (n > INT32_MAX)
    snprintf(err, errlen, "key too large");
  else if (!strcmp(fmt, "pem"))
    pk = load_pem(key, n, has_private, err, errlen);
  else if (!strcmp(fmt, "jwk"))
    pk = load_jwk(key, n, err, errlen);
  else
    snprintf(err, errlen, "unknown key format '%.16s' (pem, jwk)", fmt);
  if (pk) {
    int id = EVP_PKEY_get_base_id(pk);
    if (id != EVP_PKEY_RSA && id != EVP_PKEY_RSA_PSS && id != EVP_PKEY_EC &&
        id != EVP_PKEY_ED25519 && id != EVP_PKEY_ED448) {
      snprintf(err, errlen, "unsupported key type %s (RSA, EC, Ed25519, Ed448)",
               EVP_PKEY_get0_type_name(pk) ? EVP_PKEY_get0_type_name(pk) : "?");
      EVP_PKEY_free(pk);
      pk = NULL;
    } else if (id == EVP_PKEY_EC && !ec_point_ok(pk)) {
      snprintf(err, errlen, "the EC public key is not a valid point on its curve");
      EVP_PKEY_free(pk);
      pk = NULL;
    }
  }
  ERR_clear_error();
  return pk;
}

static const char *kind(EVP_PKEY *k) {
  switch (EVP_PKEY_get_base_id(k)) {
    case EVP_PKEY_RSA: return "an RSA key";
    case EVP_PKEY_RSA_PSS: return "an RSA-PSS key";
    case EVP_PKEY_EC: return "an EC key";
    case EVP_PKEY_ED25519: return "an Ed25519 key";
    case EVP_PKEY_ED448: return "an Ed448 key";
    default: return "an unsupported key";
  }
}

bool pe_jws_key_fits(const pe_jws_alg *a, EVP_PKEY *k, char *err, size_t errlen) {
  int id = EVP_PKEY_get_base_id(k);
  switch (a->family) {
    case PE_JWS_RSA:
    case PE_JWS_PSS: {
      if (id != EVP_PKEY_RSA && !(a->family == PE_JWS_PSS && id == EVP_PKEY_RSA_PSS)) {
        snprintf(err, errlen, "%s needs an RSA key, got %s", a->name, kind(k));
        return false;
      }
      int bits = EVP_PKEY_get_bits(k);
      if (bits < PE_JWS_MIN_RSA_BITS || bits > PE_JWS_MAX_RSA_BITS) {
        snprintf(err, errlen, "%s: the RSA key has %d bits; %d to %d are accepted", a->name, bits,
                 PE_JWS_MIN_RSA_BITS, PE_JWS_MAX_RSA_BITS);
        return false;
      }
      return true;
    }
    case PE_JWS_EC: {
      char group[64];
      size_t len = 0;
      if (id != EVP_PKEY_EC) {
        snprintf(err, errlen, "%s needs an EC key, got %s", a->name, kind(k));
        return false;
      }
      if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                         &len) != 1 ||
          strcmp(group, a->group) != 0) {
        ERR_clear_error();
        snprintf(err, errlen, "%s needs an EC key on curve %s, got one on %s", a->name, a->group,
                 len ? group : "an unknown curve");
        return false;
      }
      return true;
    }
    case PE_JWS_EDDSA:
      if (id != EVP_PKEY_ED25519 && id != EVP_PKEY_ED448) {
        snprintf(err, errlen, "%s needs an Ed25519 or Ed448 key, got %s", a->name, kind(k));
        return false;
      }
      return true;
  }
  snprintf(err, errlen, "unknown algorithm family");
  return false;
}
