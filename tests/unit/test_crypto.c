/*
 * test_crypto.c -- the "crypto" host-service area (svc_crypto.c,
 * crypto_key.c, crypto_sig.c) called the way the guest calls it: payloads
 * of blobs in, replies out.
 *
 * Keys are generated here with OpenSSL (RSA 2048, P-256, P-384, P-521,
 * secp256k1, Ed25519, Ed448), written as PEM, as a certificate and as JWK
 * components, and every algorithm is signed and verified through the
 * service; then tampered inputs, wrong keys, confused key types and
 * malformed payloads (truncations, lengths past the end, wrong blob counts,
 * oversized keys and inputs, unknown names) must all be refused with the
 * right status and never crash (this file also runs under ASan/UBSan).
 * Signatures made by OpenSSL directly (not through the service) check that
 * the R || S conversion matches the standard format, and that ECDSA
 * signatures are accepted with S in either form (low or high, as other
 * signers make it) but R and S in range, and are made with low S.
 */
#include "pe_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "services/services_int.h"
#include "services/crypto/svc_crypto.h"

/* ---- payloads and replies ---------------------------------------------------- */

typedef struct {
  const void *p;
  size_t n;
} blob;

#define B(s) ((blob){(s), strlen(s)})
#define BB(b) ((blob){(b).data, (b).len})

static void put_blob(pe_buf *b, const void *p, size_t n) {
  uint8_t len[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
  assert_true(pe_buf_append(b, len, 4));
  if (n) assert_true(pe_buf_append(b, p, n));
}

static pe_buf payload(const blob *bs, size_t count) {
  pe_buf b = {0};
  for (size_t i = 0; i < count; i++) put_blob(&b, bs[i].p, bs[i].n);
  return b;
}

static pe_services app;
static pe_svc_request rq;

static int setup(void **state) {
  (void)state;
  memset(&app, 0, sizeof app);
  char err[256];
  if (!pe_svc_crypto_open(&app, err, sizeof err)) return -1;
  memset(&rq, 0, sizeof rq);
  rq.app = &app;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  pe_svc_crypto_close(&app);
  return 0;
}

/* Calls op with the payload; returns the status byte, reply in *out. */
static int call_raw(const char *op, const void *in, size_t n, pe_buf *out) {
  out->len = 0;
  pe_svc_crypto_call(&rq, op, in, n, out);
  assert_true(out->len >= 1);
  return (uint8_t)out->data[0];
}

static int call(const char *op, const blob *bs, size_t count, pe_buf *out) {
  pe_buf in = payload(bs, count);
  int st = call_raw(op, in.data, in.len, out);
  pe_buf_free(&in);
  return st;
}

/* The error message of a non-OK reply, NUL-terminated in a static buffer. */
static const char *message(const pe_buf *out) {
  static char msg[1100];
  snprintf(msg, sizeof msg, "%.*s", (int)(out->len - 1), out->data + 1);
  return msg;
}

#define assert_status(st, want, out)                                               \
  do {                                                                             \
    int st_ = (st);                                                                \
    if (st_ != (want))                                                             \
      fail_msg("status %d, want %d (%s)", st_, (want), st_ ? message(out) : "ok"); \
  } while (0)

/* ---- keys -------------------------------------------------------------------- */

typedef struct {
  EVP_PKEY *pk;
  pe_buf priv_pem, pub_pem, cert_pem, jwk;
} key;

static pe_buf bio_bytes(BIO *bio) {
  char *p;
  long n = BIO_get_mem_data(bio, &p);
  pe_buf b = {0};
  assert_true(n > 0 && pe_buf_append(&b, p, (size_t)n));
  BIO_free(bio);
  return b;
}

static pe_buf cert_of(EVP_PKEY *pk) {
  X509 *x = X509_new();
  assert_non_null(x);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, pk);
  X509_NAME *name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"pyedge test", -1, -1,
                             0);
  X509_set_issuer_name(x, name);
  int id = EVP_PKEY_get_base_id(pk);
  bool no_md = id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448;
  assert_true(X509_sign(x, pk, no_md ? NULL : EVP_sha256()) > 0);
  BIO *bio = BIO_new(BIO_s_mem());
  assert_true(PEM_write_bio_X509(bio, x) == 1);
  X509_free(x);
  return bio_bytes(bio);
}

static void bn_blob(pe_buf *b, EVP_PKEY *pk, const char *param) {
  BIGNUM *bn = NULL;
  assert_true(EVP_PKEY_get_bn_param(pk, param, &bn) == 1);
  uint8_t tmp[2048];
  int n = BN_bn2bin(bn, tmp);
  put_blob(b, tmp, (size_t)n);
  BN_free(bn);
}

/* JWK components as the guest packs them. */
static pe_buf jwk_of(EVP_PKEY *pk) {
  pe_buf b = {0};
  int id = EVP_PKEY_get_base_id(pk);
  if (id == EVP_PKEY_RSA) {
    put_blob(&b, "RSA", 3);
    bn_blob(&b, pk, OSSL_PKEY_PARAM_RSA_N);
    bn_blob(&b, pk, OSSL_PKEY_PARAM_RSA_E);
  } else if (id == EVP_PKEY_EC) {
    char group[64];
    size_t glen;
    assert_true(EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                               &glen) == 1);
    const char *crv = !strcmp(group, "prime256v1")  ? "P-256"
                      : !strcmp(group, "secp384r1") ? "P-384"
                      : !strcmp(group, "secp521r1") ? "P-521"
                                                    : "secp256k1";
    uint8_t pub[200];
    size_t n;
    assert_true(EVP_PKEY_set_utf8_string_param(pk, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                               "uncompressed") == 1);
    assert_true(EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub, &n) ==
                1);
    size_t c = (n - 1) / 2;
    put_blob(&b, "EC", 2);
    put_blob(&b, crv, strlen(crv));
    put_blob(&b, pub + 1, c);
    put_blob(&b, pub + 1 + c, c);
  } else {
    uint8_t x[64];
    size_t n = sizeof x;
    assert_true(EVP_PKEY_get_raw_public_key(pk, x, &n) == 1);
    put_blob(&b, "OKP", 3);
    const char *crv = id == EVP_PKEY_ED25519 ? "Ed25519" : "Ed448";
    put_blob(&b, crv, strlen(crv));
    put_blob(&b, x, n);
  }
  return b;
}

static key make_key(EVP_PKEY *pk) {
  key k = {.pk = pk};
  assert_non_null(pk);
  BIO *bio = BIO_new(BIO_s_mem());
  assert_true(PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL) == 1);
  k.priv_pem = bio_bytes(bio);
  bio = BIO_new(BIO_s_mem());
  assert_true(PEM_write_bio_PUBKEY(bio, pk) == 1);
  k.pub_pem = bio_bytes(bio);
  k.cert_pem = cert_of(pk);
  k.jwk = jwk_of(pk);
  return k;
}

static void free_key(key *k) {
  EVP_PKEY_free(k->pk);
  pe_buf_free(&k->priv_pem);
  pe_buf_free(&k->pub_pem);
  pe_buf_free(&k->cert_pem);
  pe_buf_free(&k->jwk);
}

static key rsa_key(unsigned bits) {
  return make_key(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits));
}
static key ec_key(const char *group) {
  return make_key(EVP_PKEY_Q_keygen(NULL, NULL, "EC", group));
}
static key ed_key(const char *type) { return make_key(EVP_PKEY_Q_keygen(NULL, NULL, type)); }

static const char msg[] = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiI0MiJ9";

/* Signs msg through the service; the signature in *sig. */
static void sign(const char *alg, const pe_buf *priv, pe_buf *sig) {
  pe_buf out = {0};
  blob in[] = {B(alg), B("pem"), BB(*priv), B(msg)};
  assert_status(call("sign", in, 4, &out), PE_HC_OK, &out);
  /* reply: status, one blob */
  assert_true(out.len >= 5);
  uint32_t n = (uint8_t)out.data[1] | (uint32_t)(uint8_t)out.data[2] << 8 |
               (uint32_t)(uint8_t)out.data[3] << 16 | (uint32_t)(uint8_t)out.data[4] << 24;
  assert_int_equal(out.len, 5 + (size_t)n);
  sig->len = 0;
  assert_true(pe_buf_append(sig, out.data + 5, n));
  pe_buf_free(&out);
}

/* 1 valid, 0 invalid; fails the test on an error reply. */
static int verify_with(const char *alg, const char *fmt, const pe_buf *k, const void *m, size_t mn,
                       const pe_buf *sig) {
  pe_buf out = {0};
  blob in[] = {B(alg), B(fmt), BB(*k), {m, mn}, BB(*sig)};
  assert_status(call("verify", in, 5, &out), PE_HC_OK, &out);
  assert_int_equal(out.len, 1 + 4 + 8);
  int v = out.data[5];
  for (int i = 6; i < 13; i++) assert_int_equal(out.data[i], 0);
  assert_true(v == 0 || v == 1);
  pe_buf_free(&out);
  return v;
}

static int verify(const char *alg, const char *fmt, const pe_buf *k, const pe_buf *sig) {
  return verify_with(alg, fmt, k, msg, strlen(msg), sig);
}

/* The status of a verify whose key is refused; message must contain want. */
static void verify_refused(const char *alg, const char *fmt, const void *k, size_t kn, int status,
                           const char *want) {
  pe_buf out = {0};
  blob in[] = {B(alg), B(fmt), {k, kn}, B(msg), B("sig")};
  assert_status(call("verify", in, 5, &out), status, &out);
  if (want && !strstr(message(&out), want))
    fail_msg("message '%s' does not mention '%s'", message(&out), want);
  pe_buf_free(&out);
}

/* ---- every algorithm, every key form ----------------------------------------------- */

static void roundtrip(const char *alg, key *k, size_t sig_len) {
  pe_buf sig = {0};
  sign(alg, &k->priv_pem, &sig);
  if (sig_len) assert_int_equal(sig.len, sig_len);
  assert_int_equal(verify(alg, "pem", &k->pub_pem, &sig), 1);
  assert_int_equal(verify(alg, "pem", &k->priv_pem, &sig), 1);
  assert_int_equal(verify(alg, "pem", &k->cert_pem, &sig), 1);
  assert_int_equal(verify(alg, "jwk", &k->jwk, &sig), 1);
  /* a changed input, a changed signature, a truncated or extended one */
  char m2[sizeof msg];
  memcpy(m2, msg, sizeof msg);
  m2[5] ^= 1;
  assert_int_equal(verify_with(alg, "pem", &k->pub_pem, m2, strlen(m2), &sig), 0);
  sig.data[sig.len / 2] ^= 0x40;
  assert_int_equal(verify(alg, "pem", &k->pub_pem, &sig), 0);
  sig.data[sig.len / 2] ^= 0x40;
  sig.len--;
  assert_int_equal(verify(alg, "jwk", &k->jwk, &sig), 0);
  sig.len++;
  assert_true(pe_buf_append(&sig, "", 1));
  assert_int_equal(verify(alg, "jwk", &k->jwk, &sig), 0);
  sig.len = 0;
  assert_int_equal(verify(alg, "pem", &k->pub_pem, &sig), 0);
  pe_buf_free(&sig);
}

static void test_rsa(void **state) {
  (void)state;
  key k = rsa_key(2048), other = rsa_key(2048);
  for (const char *const *a =
           (const char *const[]){"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", NULL};
       *a; a++) {
    roundtrip(*a, &k, 256);
    pe_buf sig = {0};
    sign(*a, &k.priv_pem, &sig);
    assert_int_equal(verify(*a, "pem", &other.pub_pem, &sig), 0); /* another key */
    assert_int_equal(verify(*a, "jwk", &other.jwk, &sig), 0);
    pe_buf_free(&sig);
  }
  /* PKCS#1 v1.5 and PSS signatures are not interchangeable */
  pe_buf sig = {0};
  sign("RS256", &k.priv_pem, &sig);
  /* a PKCS#1 "RSA PUBLIC KEY" PEM works too */
  OSSL_ENCODER_CTX *ec =
      OSSL_ENCODER_CTX_new_for_pkey(k.pk, EVP_PKEY_PUBLIC_KEY, "PEM", "type-specific", NULL);
  unsigned char *pkcs1 = NULL;
  size_t pkcs1_len = 0;
  assert_true(ec && OSSL_ENCODER_to_data(ec, &pkcs1, &pkcs1_len) == 1);
  OSSL_ENCODER_CTX_free(ec);
  pe_buf p1 = {0};
  assert_true(pe_buf_append(&p1, pkcs1, pkcs1_len));
  OPENSSL_free(pkcs1);
  assert_non_null(strstr(p1.data, "BEGIN RSA PUBLIC KEY"));
  assert_int_equal(verify("RS256", "pem", &p1, &sig), 1);
  assert_int_equal(verify("RS256", "pem", &p1, &other.jwk), 0);
  pe_buf_free(&p1);
  assert_int_equal(verify("PS256", "pem", &k.pub_pem, &sig), 0);
  sign("PS256", &k.priv_pem, &sig);
  assert_int_equal(verify("RS256", "pem", &k.pub_pem, &sig), 0);
  /* ... and one hash is not another */
  assert_int_equal(verify("PS384", "pem", &k.pub_pem, &sig), 0);
  pe_buf_free(&sig);
  free_key(&k);
  free_key(&other);
}

static void test_ec(void **state) {
  (void)state;
  struct {
    const char *alg, *group;
    size_t len;
  } cases[] = {{"ES256", "P-256", 64},
               {"ES384", "P-384", 96},
               {"ES512", "P-521", 132},
               {"ES256K", "secp256k1", 64}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    key k = ec_key(cases[i].group), other = ec_key(cases[i].group);
    roundtrip(cases[i].alg, &k, cases[i].len);
    pe_buf sig = {0};
    sign(cases[i].alg, &k.priv_pem, &sig);
    assert_int_equal(verify(cases[i].alg, "pem", &other.pub_pem, &sig), 0);
    /* R = 0 and S = 0: invalid, not an error */
    memset(sig.data, 0, sig.len);
    assert_int_equal(verify(cases[i].alg, "pem", &k.pub_pem, &sig), 0);
    pe_buf_free(&sig);
    free_key(&k);
    free_key(&other);
  }
}

/* ---- ECDSA scalars: the curve order ------------------------------------------------ */

typedef struct {
  const char *alg, *keygen, *group; /* JWS name, EVP_PKEY_Q_keygen group, OpenSSL group */
  size_t coord;
} ec_curve;

static const ec_curve ec_curves[] = {{"ES256", "P-256", "prime256v1", 32},
                                     {"ES384", "P-384", "secp384r1", 48},
                                     {"ES512", "P-521", "secp521r1", 66},
                                     {"ES256K", "secp256k1", "secp256k1", 32}};

/* The group order n of c's curve (BN_free it). */
static BIGNUM *order_of(const ec_curve *c) {
  EC_GROUP *g = EC_GROUP_new_by_curve_name(OBJ_txt2nid(c->group));
  assert_non_null(g);
  BIGNUM *n = BN_dup(EC_GROUP_get0_order(g));
  assert_non_null(n);
  EC_GROUP_free(g);
  return n;
}

/* The scalar at p (c->coord bytes, big-endian) as a BIGNUM (BN_free it). */
static BIGNUM *scalar(const ec_curve *c, const uint8_t *p) {
  BIGNUM *b = BN_bin2bn(p, (int)c->coord, NULL);
  assert_non_null(b);
  return b;
}

static void put_scalar(const ec_curve *c, const BIGNUM *b, uint8_t *p) {
  assert_int_equal(BN_bn2binpad(b, p, (int)c->coord), (int)c->coord);
}

/* Whether S of the JWS signature raw (R || S) is above n/2. */
static bool high_s(const ec_curve *c, const uint8_t *raw) {
  BIGNUM *n = order_of(c), *s = scalar(c, raw + c->coord);
  assert_true(BN_rshift1(n, n) == 1);
  bool high = BN_cmp(s, n) > 0;
  BN_free(n);
  BN_free(s);
  return high;
}

/* Replaces S by n - S: the other form of the same ECDSA signature. */
static void flip_s(const ec_curve *c, uint8_t *raw) {
  BIGNUM *n = order_of(c), *s = scalar(c, raw + c->coord);
  assert_true(BN_sub(s, n, s) == 1);
  put_scalar(c, s, raw + c->coord);
  BN_free(n);
  BN_free(s);
}

static void low_s(const ec_curve *c, uint8_t *raw) {
  if (high_s(c, raw)) flip_s(c, raw);
}

/* A DER signature made by OpenSSL itself, converted to R || S by hand,
 * verifies through the service: the conversion is the standard one. */
static void test_ec_matches_openssl(void **state) {
  (void)state;
  key k = ec_key("P-256");
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  uint8_t der[128];
  size_t n = sizeof der;
  assert_true(EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, k.pk, NULL) == 1);
  assert_true(EVP_DigestSign(md, der, &n, (const uint8_t *)msg, strlen(msg)) == 1);
  EVP_MD_CTX_free(md);
  const unsigned char *p = der;
  ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
  assert_non_null(es);
  uint8_t raw[64];
  assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32), 32);
  assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32), 32);
  ECDSA_SIG_free(es);
  pe_buf sig = {0}; /* S as OpenSSL made it: high or low, both verify */
  assert_true(pe_buf_append(&sig, raw, 64));
  assert_int_equal(verify("ES256", "jwk", &k.jwk, &sig), 1);
  /* the DER form itself is not a JWS signature */
  sig.len = 0;
  assert_true(pe_buf_append(&sig, der, n));
  assert_int_equal(verify("ES256", "jwk", &k.jwk, &sig), 0);
  pe_buf_free(&sig);
  free_key(&k);
}

/* Makes an ECDSA signature of msg with OpenSSL directly (not through the
 * service), as R || S in raw (2 * c->coord bytes), S as OpenSSL left it. */
static void openssl_sign(const ec_curve *c, const key *k, uint8_t *raw) {
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  uint8_t der[256];
  size_t n = sizeof der;
  const char *digest = c->coord == 48 ? "SHA384" : c->coord == 66 ? "SHA512" : "SHA256";
  assert_non_null(md);
  assert_true(EVP_DigestSignInit_ex(md, NULL, digest, NULL, NULL, k->pk, NULL) == 1);
  assert_true(EVP_DigestSign(md, der, &n, (const uint8_t *)msg, strlen(msg)) == 1);
  EVP_MD_CTX_free(md);
  const unsigned char *p = der;
  ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
  assert_non_null(es);
  put_scalar(c, ECDSA_SIG_get0_r(es), raw);
  put_scalar(c, ECDSA_SIG_get0_s(es), raw + c->coord);
  ECDSA_SIG_free(es);
}

/* ECDSA malleability: (R, n - S) verifies wherever (R, S) does. Both forms
 * are accepted, as by PyJWT and every JOSE library (other signers leave S
 * above n/2 half the time; refusing that is the guest's require_low_s
 * option); R and S must still be in [1, n - 1]; the service signs with
 * low S. */
static void test_ec_high_and_low_s_accepted(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof ec_curves / sizeof *ec_curves; i++) {
    const ec_curve *c = &ec_curves[i];
    size_t w = c->coord;
    key k = ec_key(c->keygen);
    pe_buf sig = {0};
    /* OpenSSL's own S is above n/2 half the time: 24 signatures all low
     * means they were normalized (a chance of 2^-24 otherwise); each one
     * flipped to its high-S form verifies as well */
    for (int round = 0; round < 24; round++) {
      sign(c->alg, &k.priv_pem, &sig);
      assert_int_equal(sig.len, 2 * w);
      if (high_s(c, (uint8_t *)sig.data)) fail_msg("%s: the service signed with a high S", c->alg);
      assert_int_equal(verify(c->alg, "pem", &k.pub_pem, &sig), 1);
      flip_s(c, (uint8_t *)sig.data); /* the same signature, high S */
      assert_true(high_s(c, (uint8_t *)sig.data));
      if (verify(c->alg, "pem", &k.pub_pem, &sig) != 1)
        fail_msg("%s: a high-S signature (the service's, flipped) was refused", c->alg);
      assert_int_equal(verify(c->alg, "jwk", &k.jwk, &sig), 1);
    }
    /* a high-S signature made by OpenSSL directly, as other signers make
     * them: verifies as made, and in its low form too */
    bool seen_high = false;
    for (int tries = 0; tries < 64 && !seen_high; tries++) {
      uint8_t raw[2 * 66];
      openssl_sign(c, &k, raw);
      seen_high = high_s(c, raw);
      sig.len = 0;
      assert_true(pe_buf_append(&sig, raw, 2 * w));
      if (verify(c->alg, "pem", &k.pub_pem, &sig) != 1)
        fail_msg("%s: OpenSSL's signature (%s S) was refused", c->alg, seen_high ? "high" : "low");
      assert_int_equal(verify(c->alg, "jwk", &k.jwk, &sig), 1);
      low_s(c, (uint8_t *)sig.data);
      assert_int_equal(verify(c->alg, "pem", &k.pub_pem, &sig), 1);
    }
    assert_true(seen_high);
    /* out-of-range scalars around a valid signature, in its low and its
     * high form: invalid, never an error */
    sign(c->alg, &k.priv_pem, &sig);
    uint8_t good[2][2 * 66], bad[2 * 66];
    memcpy(good[0], sig.data, 2 * w);
    memcpy(good[1], sig.data, 2 * w);
    flip_s(c, good[1]);
    BIGNUM *order = order_of(c), *big = BN_new();
    assert_non_null(big);
    struct {
      int which; /* 0: R, 1: S */
      int how;   /* 0: zero, 1: n, 2: n + R (or S) if it fits, 3: n - 1 (in range, wrong) */
    } cases[] = {{0, 0}, {1, 0}, {0, 1}, {1, 1}, {0, 2}, {1, 2}, {0, 3}, {1, 3}};
    for (int form = 0; form < 2; form++) {
      for (size_t j = 0; j < sizeof cases / sizeof *cases; j++) {
        memcpy(bad, good[form], 2 * w);
        uint8_t *at = bad + (size_t)cases[j].which * w;
        BIGNUM *cur = scalar(c, at);
        switch (cases[j].how) {
          case 0: BN_zero(big); break;
          case 1: assert_non_null(BN_copy(big, order)); break;
          case 2: assert_true(BN_add(big, order, cur) == 1); break;
          default: assert_true(BN_sub(big, order, BN_value_one()) == 1); break;
        }
        BN_free(cur);
        if (BN_num_bytes(big) > (int)w) continue; /* R + n does not fit: nothing to try */
        put_scalar(c, big, at);
        sig.len = 0;
        assert_true(pe_buf_append(&sig, bad, 2 * w));
        if (verify(c->alg, "pem", &k.pub_pem, &sig) != 0)
          fail_msg("%s: %s S, case %zu (scalar %d, form %d) verified", c->alg,
                   form ? "high" : "low", j, cases[j].which, cases[j].how);
        assert_int_equal(verify(c->alg, "jwk", &k.jwk, &sig), 0);
      }
      sig.len = 0;
      assert_true(pe_buf_append(&sig, good[form], 2 * w));
      assert_int_equal(verify(c->alg, "pem", &k.pub_pem, &sig), 1);
    }
    BN_free(order);
    BN_free(big);
    pe_buf_free(&sig);
    free_key(&k);
  }
}

static void test_eddsa(void **state) {
  (void)state;
  key k = ed_key("ED25519"), k448 = ed_key("ED448"), other = ed_key("ED25519");
  roundtrip("EdDSA", &k, 64);
  roundtrip("EdDSA", &k448, 114);
  pe_buf sig = {0};
  sign("EdDSA", &k.priv_pem, &sig);
  assert_int_equal(verify("EdDSA", "jwk", &other.jwk, &sig), 0);
  assert_int_equal(verify("EdDSA", "jwk", &k448.jwk, &sig), 0);
  pe_buf_free(&sig);
  free_key(&k);
  free_key(&k448);
  free_key(&other);
}

/* ---- keys of the wrong kind ----------------------------------------------------------- */

static void test_key_confusion(void **state) {
  (void)state;
  key rsa = rsa_key(2048), p256 = ec_key("P-256"), p384 = ec_key("P-384"), ed = ed_key("ED25519");
  verify_refused("RS256", "pem", p256.pub_pem.data, p256.pub_pem.len, PE_HC_INVALID,
                 "needs an RSA key, got an EC key");
  verify_refused("PS256", "jwk", ed.jwk.data, ed.jwk.len, PE_HC_INVALID, "needs an RSA key");
  verify_refused("ES256", "pem", rsa.pub_pem.data, rsa.pub_pem.len, PE_HC_INVALID,
                 "needs an EC key, got an RSA key");
  verify_refused("ES256", "pem", p384.pub_pem.data, p384.pub_pem.len, PE_HC_INVALID,
                 "on curve prime256v1, got one on secp384r1");
  verify_refused("ES384", "jwk", p256.jwk.data, p256.jwk.len, PE_HC_INVALID, "secp384r1");
  verify_refused("EdDSA", "pem", rsa.cert_pem.data, rsa.cert_pem.len, PE_HC_INVALID,
                 "needs an Ed25519 or Ed448 key");
  verify_refused("EdDSA", "jwk", p256.jwk.data, p256.jwk.len, PE_HC_INVALID, "Ed25519");
  /* signing needs a private key */
  pe_buf out = {0};
  blob in[] = {B("RS256"), B("pem"), BB(rsa.pub_pem), B(msg)};
  assert_status(call("sign", in, 4, &out), PE_HC_INVALID, &out);
  assert_non_null(strstr(message(&out), "needs a private key"));
  blob in2[] = {B("ES256"), B("jwk"), BB(p256.jwk), B(msg)};
  assert_status(call("sign", in2, 4, &out), PE_HC_INVALID, &out);
  pe_buf_free(&out);
  free_key(&rsa);
  free_key(&p256);
  free_key(&p384);
  free_key(&ed);
}

static void test_rsa_size_limits(void **state) {
  (void)state;
  key small = rsa_key(1024);
  verify_refused("RS256", "pem", small.pub_pem.data, small.pub_pem.len, PE_HC_INVALID, "1024 bits");
  verify_refused("RS256", "jwk", small.jwk.data, small.jwk.len, PE_HC_INVALID, "n is not");
  free_key(&small);
}

/* ---- malformed keys -------------------------------------------------------------------- */

static void test_bad_pem(void **state) {
  (void)state;
  static const char *const bad[] = {
      "",
      "not a key",
      "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n",
      "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
      "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n",
      "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n",
      "-----BEGIN RSA PUBLIC KEY-----\nMAA=\n-----END RSA PUBLIC KEY-----\n",
      "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
      "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n",
      "-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----\n",
      "-----BEGIN ",
      "-----BEGIN -----",
      "-----BEGIN lower case-----\n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    verify_refused("RS256", "pem", bad[i], strlen(bad[i]), PE_HC_INVALID, NULL);
  verify_refused("RS256", "pem", "ssh-rsa AAAAB3NzaC1yc2E", 23, PE_HC_INVALID, "OpenSSH");
  const char enc[] =
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE "
      "KEY-----\n";
  verify_refused("RS256", "pem", enc, strlen(enc), PE_HC_INVALID, "encrypted");
  const char dh[] = "-----BEGIN DH PARAMETERS-----\nMAA=\n-----END DH PARAMETERS-----\n";
  verify_refused("RS256", "pem", dh, strlen(dh), PE_HC_INVALID, "unsupported PEM block");
  /* binary junk with a NUL in it */
  const char junk[] = "-----BEGIN PUBLIC KEY-----\n\0\xff\xfe\n-----END PUBLIC KEY-----\n";
  verify_refused("RS256", "pem", junk, sizeof junk - 1, PE_HC_INVALID, NULL);

  /* a real encrypted private key is refused without asking for a password */
  key k = rsa_key(2048);
  BIO *bio = BIO_new(BIO_s_mem());
  assert_true(PEM_write_bio_PKCS8PrivateKey(bio, k.pk, EVP_aes_128_cbc(), "pw", 2, NULL, NULL) ==
              1);
  pe_buf e = bio_bytes(bio);
  verify_refused("RS256", "pem", e.data, e.len, PE_HC_INVALID, "encrypted");
  pe_buf_free(&e);
  /* a DSA key is a key, but not one JWS uses */
  EVP_PKEY *dsa = NULL;
  EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "DSA", NULL);
  EVP_PKEY *params = NULL;
  if (pc && EVP_PKEY_paramgen_init(pc) == 1 && EVP_PKEY_CTX_set_dsa_paramgen_bits(pc, 2048) == 1 &&
      EVP_PKEY_paramgen(pc, &params) == 1) {
    EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL);
    assert_true(EVP_PKEY_keygen_init(kc) == 1 && EVP_PKEY_keygen(kc, &dsa) == 1);
    EVP_PKEY_CTX_free(kc);
    bio = BIO_new(BIO_s_mem());
    assert_true(PEM_write_bio_PUBKEY(bio, dsa) == 1);
    pe_buf d = bio_bytes(bio);
    verify_refused("RS256", "pem", d.data, d.len, PE_HC_INVALID, "unsupported key type");
    pe_buf_free(&d);
  }
  EVP_PKEY_free(params);
  EVP_PKEY_free(dsa);
  EVP_PKEY_CTX_free(pc);
  free_key(&k);
}

static void test_bad_jwk(void **state) {
  (void)state;
  key rsa = rsa_key(2048), p256 = ec_key("P-256");
  pe_buf b = {0};
  /* structure: no kty, unknown kty, missing or extra members, overruns */
  verify_refused("RS256", "jwk", "", 0, PE_HC_INVALID, "malformed JWK");
  verify_refused("RS256", "jwk", "\x05\0\0\0RS", 6, PE_HC_INVALID, "malformed JWK");
  put_blob(&b, "DSA", 3);
  verify_refused("RS256", "jwk", b.data, b.len, PE_HC_INVALID, "unsupported JWK kty");
  b.len = 0;
  put_blob(&b, "RSA", 3);
  put_blob(&b, "\x01", 1);
  verify_refused("RS256", "jwk", b.data, b.len, PE_HC_INVALID, "exactly n and e");
  /* RSA n/e values */
  pe_buf n = {0};
  uint8_t nbuf[512];
  memset(nbuf, 0xff, sizeof nbuf);
  static const struct {
    size_t nlen;
    uint8_t last;
    const char *e;
    size_t elen;
  } rsa_cases[] = {
      {256, 0xfe, "\x01\x00\x01", 3},                         /* even modulus */
      {255, 0xff, "\x01\x00\x01", 3},                         /* 2040 bits */
      {0, 0, "\x01\x00\x01", 3},                              /* empty */
      {256, 0xff, "\x01", 1},                                 /* e = 1 */
      {256, 0xff, "\x01\x00\x00", 3},                         /* even e */
      {256, 0xff, "", 0},                                     /* empty e */
      {256, 0xff, "\x01\x00\x00\x00\x00\x00\x00\x00\x01", 9}, /* e over 64 bits */
  };
  for (size_t i = 0; i < sizeof rsa_cases / sizeof *rsa_cases; i++) {
    b.len = 0;
    put_blob(&b, "RSA", 3);
    memset(nbuf, 0xff, sizeof nbuf);
    if (rsa_cases[i].nlen) nbuf[rsa_cases[i].nlen - 1] = rsa_cases[i].last;
    put_blob(&b, nbuf, rsa_cases[i].nlen);
    put_blob(&b, rsa_cases[i].e, rsa_cases[i].elen);
    verify_refused("RS256", "jwk", b.data, b.len, PE_HC_INVALID, "RSA JWK");
  }
  /* a 16 KiB-bit modulus is the limit; beyond it is refused */
  b.len = 0;
  put_blob(&b, "RSA", 3);
  uint8_t big[2049];
  memset(big, 0xff, sizeof big);
  put_blob(&b, big, sizeof big);
  put_blob(&b, "\x01\x00\x01", 3);
  verify_refused("RS256", "jwk", b.data, b.len, PE_HC_INVALID, "RSA JWK");
  /* leading zero bytes are fine (a JWK may carry them) */
  b.len = 0;
  {
    pe_hc_reader r;
    pe_hc_reader_init(&r, (const uint8_t *)rsa.jwk.data, rsa.jwk.len);
    const uint8_t *kty, *nn, *e;
    size_t lk, ln, le;
    assert_true(pe_hc_blob(&r, &kty, &lk) && pe_hc_blob(&r, &nn, &ln) && pe_hc_blob(&r, &e, &le));
    put_blob(&b, "RSA", 3);
    uint8_t padded[600] = {0};
    memcpy(padded + 3, nn, ln);
    put_blob(&b, padded, ln + 3);
    put_blob(&b, e, le);
    pe_buf sig = {0};
    sign("RS256", &rsa.priv_pem, &sig);
    assert_int_equal(verify("RS256", "jwk", &b, &sig), 1);
    pe_buf_free(&sig);
  }
  /* EC: unknown curve, wrong sizes, a point not on the curve */
  static const char *const crvs[] = {"P-192", "", "p-256", "P-256 "};
  for (size_t i = 0; i < sizeof crvs / sizeof *crvs; i++) {
    b.len = 0;
    put_blob(&b, "EC", 2);
    put_blob(&b, crvs[i], strlen(crvs[i]));
    put_blob(&b, big, 32);
    put_blob(&b, big, 32);
    verify_refused("ES256", "jwk", b.data, b.len, PE_HC_INVALID, "unsupported EC curve");
  }
  b.len = 0;
  put_blob(&b, "EC", 2);
  put_blob(&b, "P-256", 5);
  put_blob(&b, big, 31);
  put_blob(&b, big, 32);
  verify_refused("ES256", "jwk", b.data, b.len, PE_HC_INVALID, "32 bytes each");
  b.len = 0;
  put_blob(&b, "EC", 2);
  put_blob(&b, "P-256", 5);
  uint8_t x[32] = {1}, y[32] = {2};
  put_blob(&b, x, 32);
  put_blob(&b, y, 32);
  verify_refused("ES256", "jwk", b.data, b.len, PE_HC_INVALID, NULL);
  b.len = 0;
  put_blob(&b, "EC", 2);
  put_blob(&b, "P-256", 5);
  put_blob(&b, x, 32);
  verify_refused("ES256", "jwk", b.data, b.len, PE_HC_INVALID, "exactly crv, x and y");
  /* OKP */
  b.len = 0;
  put_blob(&b, "OKP", 3);
  put_blob(&b, "X25519", 6);
  put_blob(&b, big, 32);
  verify_refused("EdDSA", "jwk", b.data, b.len, PE_HC_INVALID, "unsupported OKP curve");
  b.len = 0;
  put_blob(&b, "OKP", 3);
  put_blob(&b, "Ed25519", 7);
  put_blob(&b, big, 31);
  verify_refused("EdDSA", "jwk", b.data, b.len, PE_HC_INVALID, "32 bytes");
  b.len = 0;
  put_blob(&b, "OKP", 3);
  put_blob(&b, "Ed25519", 7);
  put_blob(&b, big, 32);
  put_blob(&b, big, 32);
  verify_refused("EdDSA", "jwk", b.data, b.len, PE_HC_INVALID, "exactly crv and x");
  /* a length field inside the key blob past its end */
  b.len = 0;
  put_blob(&b, "EC", 2);
  put_blob(&b, "P-256", 5);
  assert_true(pe_buf_append(&b, "\xff\xff\xff\x7f", 4));
  verify_refused("ES256", "jwk", b.data, b.len, PE_HC_INVALID, NULL);
  /* the right format name matters */
  verify_refused("ES256", "pem", p256.jwk.data, p256.jwk.len, PE_HC_INVALID, "not in PEM");
  verify_refused("ES256", "jwk", p256.pub_pem.data, p256.pub_pem.len, PE_HC_INVALID, NULL);
  verify_refused("ES256", "der", p256.pub_pem.data, p256.pub_pem.len, PE_HC_INVALID,
                 "unknown key format");
  pe_buf out = {0};
  blob nul_fmt[] = {B("ES256"), {"pem\0x", 5}, BB(p256.pub_pem), B(msg), B("sig")};
  assert_status(call("verify", nul_fmt, 5, &out), PE_HC_INVALID, &out);
  assert_non_null(strstr(message(&out), "unknown key format"));
  pe_buf_free(&out);
  pe_buf_free(&n);
  pe_buf_free(&b);
  free_key(&rsa);
  free_key(&p256);
}

/* ---- malformed payloads ------------------------------------------------------------------ */

static void test_payloads(void **state) {
  (void)state;
  key k = ec_key("P-256");
  pe_buf sig = {0}, out = {0};
  sign("ES256", &k.priv_pem, &sig);
  blob good[] = {B("ES256"), B("pem"), BB(k.pub_pem), B(msg), BB(sig)};
  pe_buf in = payload(good, 5);
  assert_status(call_raw("verify", in.data, in.len, &out), PE_HC_OK, &out);
  /* every truncation of a valid payload is refused, none crashes */
  for (size_t cut = 0; cut < in.len; cut++) {
    uint8_t *copy = malloc(cut ? cut : 1); /* exact size: ASan sees overreads */
    memcpy(copy, in.data, cut);
    int st = call_raw("verify", copy, cut, &out);
    free(copy);
    if (st != PE_HC_INVALID) fail_msg("cut at %zu: status %d", cut, st);
  }
  /* a trailing byte, a sixth blob */
  assert_true(pe_buf_append(&in, "x", 1));
  assert_status(call_raw("verify", in.data, in.len, &out), PE_HC_INVALID, &out);
  blob six[] = {B("ES256"), B("pem"), BB(k.pub_pem), B(msg), BB(sig), B("")};
  assert_status(call("verify", six, 6, &out), PE_HC_INVALID, &out);
  assert_non_null(strstr(message(&out), "exactly 5 blobs"));
  blob four[] = {B("ES256"), B("pem"), BB(k.pub_pem), B(msg)};
  assert_status(call("verify", four, 4, &out), PE_HC_INVALID, &out);
  blob five_sign[] = {B("ES256"), B("pem"), BB(k.priv_pem), B(msg), B("")};
  assert_status(call("sign", five_sign, 5, &out), PE_HC_INVALID, &out);
  assert_non_null(strstr(message(&out), "exactly 4 blobs"));
  assert_status(call_raw("verify", NULL, 0, &out), PE_HC_INVALID, &out);
  /* a length field claiming 4 GiB */
  assert_status(call_raw("verify",
                         "\xff\xff\xff\xff"
                         "ES256",
                         9, &out),
                PE_HC_INVALID, &out);
  /* names */
  static const char *const algs[] = {"none", "HS256", "rs256",   "RS256 ",
                                     "",     "ES521", "EdDSA\n", "RS1"};
  for (size_t i = 0; i < sizeof algs / sizeof *algs; i++) {
    blob in2[] = {B(algs[i]), B("pem"), BB(k.pub_pem), B(msg), BB(sig)};
    assert_status(call("verify", in2, 5, &out), PE_HC_INVALID, &out);
    assert_non_null(strstr(message(&out), "unsupported algorithm"));
  }
  char long_alg[5000];
  memset(long_alg, 'A', sizeof long_alg - 1);
  long_alg[sizeof long_alg - 1] = 0;
  blob la[] = {B(long_alg), B("pem"), BB(k.pub_pem), B(msg), BB(sig)};
  assert_status(call("verify", la, 5, &out), PE_HC_INVALID, &out);
  assert_true(out.len < 1100); /* the message quotes a bounded part of it */
  assert_status(call("frobnicate", good, 5, &out), PE_HC_NO_SERVICE, &out);
  assert_status(call("", good, 5, &out), PE_HC_NO_SERVICE, &out);
  pe_buf_free(&in);
  pe_buf_free(&sig);
  pe_buf_free(&out);
  free_key(&k);
}

static void test_limits(void **state) {
  (void)state;
  key k = rsa_key(2048);
  pe_buf sig = {0}, out = {0};
  sign("RS256", &k.priv_pem, &sig);
  /* a key over 64 KiB: refused before it is parsed */
  size_t big = (64u << 10) + 1;
  char *huge = malloc(4u << 20 | 1);
  memset(huge, 'A', 4u << 20 | 1);
  blob bk[] = {B("RS256"), B("pem"), {huge, big}, B(msg), BB(sig)};
  assert_status(call("verify", bk, 5, &out), PE_HC_LIMIT, &out);
  /* a signing input over 4 MiB */
  blob bi[] = {B("RS256"), B("pem"), BB(k.pub_pem), {huge, (4u << 20) + 1}, BB(sig)};
  assert_status(call("verify", bi, 5, &out), PE_HC_LIMIT, &out);
  blob bs[] = {B("RS256"), B("pem"), BB(k.priv_pem), {huge, (4u << 20) + 1}};
  assert_status(call("sign", bs, 4, &out), PE_HC_LIMIT, &out);
  /* exactly 4 MiB is fine: signed and verified */
  blob ok[] = {B("RS256"), B("pem"), BB(k.priv_pem), {huge, 4u << 20}};
  assert_status(call("sign", ok, 4, &out), PE_HC_OK, &out);
  pe_buf s2 = {0};
  assert_true(pe_buf_append(&s2, out.data + 5, out.len - 5));
  assert_int_equal(verify_with("RS256", "pem", &k.pub_pem, huge, 4u << 20, &s2), 1);
  /* a signature over 2 KiB is invalid, not an error */
  pe_buf long_sig = {0};
  assert_true(pe_buf_append(&long_sig, huge, 4096));
  assert_int_equal(verify("RS256", "pem", &k.pub_pem, &long_sig), 0);
  pe_buf_free(&long_sig);
  pe_buf_free(&s2);
  free(huge);
  pe_buf_free(&sig);
  pe_buf_free(&out);
  free_key(&k);
}

/* ---- the key cache ------------------------------------------------------------------------ */

/* More distinct keys than cache slots, used over and over, each verifying
 * only its own signatures: eviction never hands out the wrong key. */
static void test_cache_churn(void **state) {
  (void)state;
  enum { N = 40 };
  key *ks = calloc(N, sizeof *ks);
  pe_buf *sigs = calloc(N, sizeof *sigs);
  for (int i = 0; i < N; i++) {
    ks[i] = ed_key("ED25519");
    sign("EdDSA", &ks[i].priv_pem, &sigs[i]);
  }
  for (int round = 0; round < 3; round++)
    for (int i = 0; i < N; i++) {
      assert_int_equal(verify("EdDSA", "pem", &ks[i].pub_pem, &sigs[i]), 1);
      assert_int_equal(verify("EdDSA", "jwk", &ks[i].jwk, &sigs[(i + 1) % N]), 0);
    }
  for (int i = 0; i < N; i++) {
    free_key(&ks[i]);
    pe_buf_free(&sigs[i]);
  }
  free(ks);
  free(sigs);
}

typedef struct {
  key *k;
  pe_buf *sig;
  int ok;
} worker_arg;

static void *worker(void *p) {
  worker_arg *w = p;
  pe_buf out = {0};
  w->ok = 1;
  for (int i = 0; i < 200; i++) {
    key *k = &w->k[i % 8];
    blob in[] = {B("ES256"), B(i & 1 ? "jwk" : "pem"), i & 1 ? BB(k->jwk) : BB(k->pub_pem), B(msg),
                 BB(w->sig[i % 8])};
    pe_buf pl = payload(in, 5);
    out.len = 0;
    pe_svc_crypto_call(&rq, "verify", (const uint8_t *)pl.data, pl.len, &out);
    if (out.len != 13 || out.data[0] != 0 || out.data[5] != 1) w->ok = 0;
    pe_buf_free(&pl);
  }
  pe_buf_free(&out);
  return NULL;
}

/* Four threads share the cache (and its eviction) at once. */
static void test_cache_threads(void **state) {
  (void)state;
  key ks[8];
  pe_buf sigs[8] = {{0}};
  for (int i = 0; i < 8; i++) {
    ks[i] = ec_key("P-256");
    sign("ES256", &ks[i].priv_pem, &sigs[i]);
  }
  pthread_t t[4];
  worker_arg w[4];
  for (int i = 0; i < 4; i++) {
    w[i] = (worker_arg){ks, sigs, 0};
    assert_int_equal(pthread_create(&t[i], NULL, worker, &w[i]), 0);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(t[i], NULL);
    assert_int_equal(w[i].ok, 1);
  }
  for (int i = 0; i < 8; i++) {
    free_key(&ks[i]);
    pe_buf_free(&sigs[i]);
  }
}

/* Without app state (no cache) the service still works. */
static void test_no_cache(void **state) {
  (void)state;
  key k = ed_key("ED25519");
  pe_buf sig = {0};
  sign("EdDSA", &k.priv_pem, &sig);
  pe_services *saved = rq.app;
  rq.app = NULL;
  assert_int_equal(verify("EdDSA", "pem", &k.pub_pem, &sig), 1);
  rq.app = saved;
  pe_buf_free(&sig);
  free_key(&k);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rsa),
      cmocka_unit_test(test_ec),
      cmocka_unit_test(test_ec_matches_openssl),
      cmocka_unit_test(test_ec_high_and_low_s_accepted),
      cmocka_unit_test(test_eddsa),
      cmocka_unit_test(test_key_confusion),
      cmocka_unit_test(test_rsa_size_limits),
      cmocka_unit_test(test_bad_pem),
      cmocka_unit_test(test_bad_jwk),
      cmocka_unit_test(test_payloads),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_cache_churn),
      cmocka_unit_test(test_cache_threads),
      cmocka_unit_test(test_no_cache),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
