#!/usr/bin/env python3
"""tests/platform/test_jwt.py -- `import jwt` inside the sandbox against
Debian's PyJWT 2.6 on the host.

Keys are generated here with python-cryptography (RSA 2048, P-256, P-384,
P-521, secp256k1, Ed25519, Ed448); tokens are made by PyJWT and decoded by
the sandbox's jwt (tests/platform/apps/jwt, served by `pyedge up`), and the
other way round. Every algorithm, with PEM public keys, certificates and
JWKs; then tampered, expired, premature, mis-addressed and mis-signed
tokens must fail with the exception class PyJWT raises for the same token
(its name and its class hierarchy are compared); a few refusals are
stricter than PyJWT 2.6 (padded segments, "crit"). PyJWT's tokens are
decoded as PyJWT issues them: an ECDSA S is high or low (python-
cryptography leaves it as OpenSSL makes it), and the sandbox accepts both,
as PyJWT does, unless options={"require_low_s": True}. Finally the host's
"crypto" service is called directly from the sandbox with malformed
payloads, and each must get the right status, never a crash.
"""

import ast
import base64
import datetime
import functools
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time

from edge_harness import APPS, ROOT, Cases, check, eq, start, stop_cleanly, use_debian_python

use_debian_python()

import jwt  # noqa: E402  Debian's PyJWT, on the host
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

import drive  # noqa: E402

case = Cases()
server = None

PEM = serialization.Encoding.PEM


def pub_pem(k):
    return k.public_key().public_bytes(PEM,
                                       serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def priv_pem(k):
    return k.private_bytes(PEM, serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption()).decode()


def cert_pem(k):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pyedge jwt test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    is_ed = isinstance(k, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey))
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(k.public_key()).serial_number(7)
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(k, None if is_ed else hashes.SHA256()))
    return cert.public_bytes(PEM).decode()


KEYS = {}


def keys():
    if not KEYS:
        KEYS["rsa"] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        KEYS["rsa2"] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        KEYS["P-256"] = ec.generate_private_key(ec.SECP256R1())
        KEYS["P-256b"] = ec.generate_private_key(ec.SECP256R1())
        KEYS["P-384"] = ec.generate_private_key(ec.SECP384R1())
        KEYS["P-521"] = ec.generate_private_key(ec.SECP521R1())
        KEYS["secp256k1"] = ec.generate_private_key(ec.SECP256K1())
        KEYS["Ed25519"] = ed25519.Ed25519PrivateKey.generate()
        KEYS["Ed448"] = ed448.Ed448PrivateKey.generate()
    return KEYS


# (alg, key name) for every asymmetric algorithm
ASYM = [("RS256", "rsa"), ("RS384", "rsa"), ("RS512", "rsa"), ("PS256", "rsa"), ("PS384", "rsa"),
        ("PS512", "rsa"), ("ES256", "P-256"), ("ES384", "P-384"), ("ES512", "P-521"),
        ("ES256K", "secp256k1"), ("EdDSA", "Ed25519"), ("EdDSA", "Ed448")]
HMAC_SECRET = "a shared secret of enough length for HS512!"


def jwk_of(k):
    """The public JWK (a dict) of a private key, made by PyJWT."""
    pub = k.public_key()
    if isinstance(pub, rsa.RSAPublicKey):
        s = jwt.algorithms.RSAAlgorithm.to_jwk(pub)
    elif isinstance(pub, ec.EllipticCurvePublicKey):
        s = jwt.algorithms.ECAlgorithm.to_jwk(pub)
    else:
        s = jwt.algorithms.OKPAlgorithm.to_jwk(pub)
    return json.loads(s)


def probe(**req):
    r = drive.request(server.port, "POST", "/", body=json.dumps(req).encode(),
                      headers={"content-type": "application/json"}, timeout=30)
    eq(r.status, 200, f"probe status (body {r.body[:300]!r})")
    return json.loads(r.body)


def claims(**extra):
    now = int(time.time())
    c = {"sub": "user-42", "iat": now, "exp": now + 300, "name": "Zoë"}
    c.update(extra)
    return c


def host_error(token, key, **kw):
    """The exception class PyJWT raises on the host for this decode."""
    try:
        jwt.decode(token, key, **kw)
    except Exception as e:
        return type(e)
    return None


def expect_error(res, cls, what):
    """res (from the sandbox) failed with PyJWT's cls, same hierarchy."""
    check("error" in res, f"{what}: expected {cls.__name__}, got claims {res.get('claims')}")
    eq(res["error"], cls.__name__, f"{what}: exception class ({res.get('msg')})")
    want = [c.__name__ for c in cls.__mro__ if c not in (BaseException, object)]
    eq(res["mro"], want, f"{what}: class hierarchy")


def expect_same_error(token, key_for_host, sandbox_key, algs, what, **kw):
    """Decode in both places; the same exception class must come out."""
    cls = host_error(token, key_for_host, algorithms=algs, **kw)
    check(cls is not None, f"{what}: PyJWT accepted the token, the case is wrong")
    res = probe(op="decode", token=token, key=sandbox_key, algs=algs, **kw)
    expect_error(res, cls, what)


EC_ALGS = [("ES256", "P-256", "prime256v1", 32), ("ES384", "P-384", "secp384r1", 48),
           ("ES512", "P-521", "secp521r1", 66), ("ES256K", "secp256k1", "secp256k1", 32)]


@functools.lru_cache(maxsize=None)
def curve_order(group):
    """The group order n of an OpenSSL curve, read from `openssl ecparam`."""
    out = subprocess.run(["openssl", "ecparam", "-name", group, "-param_enc", "explicit",
                          "-text", "-noout"], check=True, capture_output=True, text=True).stdout
    lines = out.split("Order:", 1)[1].split("Cofactor:", 1)[0]
    return int("".join(lines.split()).replace(":", ""), 16)


def unb64(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def enb64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def s_of(tok, size):
    """The S of an ECDSA token's R || S signature."""
    return int.from_bytes(unb64(tok.split(".")[2])[size:], "big")


def with_s(tok, n, size, high):
    """tok with its ECDSA S in the high (n - S > S) or the low form."""
    h, p, s = tok.split(".")
    raw = unb64(s)
    r, sv = raw[:size], int.from_bytes(raw[size:], "big")
    if (sv > n // 2) != high:
        sv = n - sv
    return f"{h}.{p}." + enb64(r + sv.to_bytes(size, "big"))


# ---- every algorithm, both directions ------------------------------------------


@case
def hmac_made_by_pyjwt():
    for alg in ("HS256", "HS384", "HS512"):
        c = claims()
        tok = jwt.encode(c, HMAC_SECRET, algorithm=alg)
        eq(probe(op="decode", token=tok, key=HMAC_SECRET, algs=[alg]).get("claims"), c, alg)


@case
def asymmetric_made_by_pyjwt_pem():
    for alg, name in ASYM:
        k = keys()[name]
        c = claims(alg_used=alg)
        tok = jwt.encode(c, k, algorithm=alg)
        res = probe(op="decode", token=tok, key=pub_pem(k), algs=[alg])
        eq(res.get("claims"), c, f"{alg}/{name} with a PEM public key ({res.get('msg')})")


@case
def asymmetric_made_by_pyjwt_certificate():
    for alg, name in ASYM:
        k = keys()[name]
        tok = jwt.encode(claims(), k, algorithm=alg)
        res = probe(op="decode", token=tok, key=cert_pem(k), algs=[alg])
        check("claims" in res, f"{alg}/{name} with a certificate: {res}")


@case
def asymmetric_made_by_pyjwt_jwk():
    for alg, name in ASYM:
        k = keys()[name]
        tok = jwt.encode(claims(), k, algorithm=alg)
        res = probe(op="decode", token=tok, jwk=jwk_of(k), algs=[alg])
        check("claims" in res, f"{alg}/{name} with a JWK: {res}")


@case
def jwk_coordinates_without_leading_zeros():
    """PyJWT 2.6 writes EC coordinates as minimal integers (a leading zero
    byte dropped), RFC 7518 wants them full length: both are accepted."""
    while True:
        k = ec.generate_private_key(ec.SECP256R1())
        if k.public_key().public_numbers().x < 1 << 248:
            break
    j = jwk_of(k)
    x = base64.urlsafe_b64decode(j["x"] + "=" * (-len(j["x"]) % 4))
    check(len(x) < 32, f"the key's x is {len(x)} bytes in PyJWT's JWK")
    tok = jwt.encode(claims(), k, algorithm="ES256")
    res = probe(op="decode", token=tok, jwk=j, algs=["ES256"])
    check("claims" in res, f"short x: {res}")


@case
def jwk_set_selects_by_kid():
    ks = keys()
    jwks = {"keys": []}
    for i, name in enumerate(("rsa", "rsa2", "P-256", "Ed25519")):
        j = jwk_of(ks[name])
        j["kid"] = f"k{i}"
        jwks["keys"].append(j)
    tok = jwt.encode(claims(), ks["rsa2"], algorithm="RS256", headers={"kid": "k1"})
    res = probe(op="decode", token=tok, jwks=jwks, kid="k1", algs=["RS256"])
    check("claims" in res, f"kid k1: {res}")
    res = probe(op="decode", token=tok, jwks=jwks, kid="k0", algs=["RS256"])
    expect_error(res, jwt.InvalidSignatureError, "the other RSA key of the set")
    eq(probe(op="header", token=tok).get("header"), jwt.get_unverified_header(tok), "header")


@case
def sandbox_signs_pyjwt_verifies():
    for alg in ("HS256", "HS384", "HS512"):
        res = probe(op="encode", claims=claims(), key=HMAC_SECRET, alg=alg)
        check("token" in res, f"{alg}: {res}")
        jwt.decode(res["token"], HMAC_SECRET, algorithms=[alg])
    for alg, name in ASYM:
        k = keys()[name]
        c = claims(by="sandbox")
        res = probe(op="encode", claims=c, key=priv_pem(k), alg=alg, headers={"kid": "x"})
        check("token" in res, f"{alg}/{name}: {res}")
        try:
            got = jwt.decode(res["token"], k.public_key(), algorithms=[alg])
        except jwt.PyJWTError as e:
            raise drive.CaseFailure(f"{alg}/{name}: PyJWT refused the sandbox's token: {e!r}")
        eq(got, c, f"{alg}/{name} claims")
        eq(jwt.get_unverified_header(res["token"])["kid"], "x", f"{alg} header")


@case
def sandbox_signing_errors():
    k = keys()["rsa"]
    res = probe(op="encode", claims=claims(), key=pub_pem(k), alg="RS256")
    expect_error(res, jwt.InvalidKeyError, "signing with a public key")
    res = probe(op="encode", claims=claims(), key=priv_pem(keys()["P-256"]), alg="RS256")
    expect_error(res, jwt.InvalidKeyError, "RS256 with an EC private key")
    res = probe(op="encode", claims=claims(), key="not a pem", alg="ES256")
    expect_error(res, jwt.InvalidKeyError, "ES256 with a non-PEM string")
    res = probe(op="encode", claims=claims(), key=HMAC_SECRET, alg="HS999")
    eq(res.get("error"), "NotImplementedError", "an unknown algorithm (as PyJWT)")


# ---- ECDSA: S high or low ---------------------------------------------------------------

def pyjwt_token_with_s(alg, k, n, size, high):
    """A token PyJWT makes, with S in the form asked for (python-
    cryptography leaves S as OpenSSL makes it, above n/2 half the time:
    tokens are made until one fits), and its claims."""
    for i in range(64):
        c = claims(i=i)
        tok = jwt.encode(c, k, algorithm=alg)
        if (s_of(tok, size) > n // 2) == high:
            return tok, c
    check(False, f"{alg}: PyJWT made no {'high' if high else 'low'}-S token in 64")


@case
def ecdsa_high_s_accepted_unless_required():
    """(R, n - S) verifies wherever (R, S) does. PyJWT, as every JOSE
    library, signs with either and accepts both; so does the sandbox, which
    refuses a high S only with options={"require_low_s": True} (for apps
    that key on the token string). The sandbox signs with low S."""
    strict = {"require_low_s": True}
    for alg, name, group, size in EC_ALGS:
        n, k = curve_order(group), keys()[name]
        for high in (True, False):
            form = "high" if high else "low"
            tok, c = pyjwt_token_with_s(alg, k, n, size, high)
            other = with_s(tok, n, size, not high)  # the same signature, the other form
            c_other = jwt.decode(other, k.public_key(), algorithms=[alg])  # PyJWT takes both
            for t, want, t_high, what in ((tok, c, high, f"PyJWT's {form}-S token"),
                                          (other, c_other, not high,
                                           f"PyJWT's {form}-S token, S flipped")):
                for how in ({"key": pub_pem(k)}, {"jwk": jwk_of(k)}):
                    w = f"{alg}: {what}, {'PEM' if 'key' in how else 'JWK'}"
                    res = probe(op="decode", token=t, algs=[alg], **how)
                    eq(res.get("claims"), want, f"{w} ({res.get('msg')})")
                    res = probe(op="decode", token=t, algs=[alg], options=strict, **how)
                    if t_high:
                        expect_error(res, jwt.InvalidSignatureError, f"{w}, require_low_s")
                        check("high S" in res["msg"] and "(options require_low_s)" in res["msg"],
                              f"{w}, require_low_s: message {res['msg']!r}")
                    else:
                        eq(res.get("claims"), want, f"{w}, require_low_s ({res.get('msg')})")
            # a high S is refused only once the signature has verified
            bad = tamper_signature(tok if high else other)
            res = probe(op="decode", token=bad, key=pub_pem(k), algs=[alg], options=strict)
            expect_error(res, jwt.InvalidSignatureError, f"{alg}: tampered, require_low_s")
            eq(res["msg"], "Signature verification failed", f"{alg}: tampered: message")
        for i in range(8):  # OpenSSL's S is high half the time: the host normalizes it
            res = probe(op="encode", claims=claims(i=i), key=priv_pem(k), alg=alg)
            check("token" in res, f"{alg}: signing failed: {res}")
            check(0 < s_of(res["token"], size) <= n // 2,
                  f"{alg}: the sandbox signed with a high S")
            jwt.decode(res["token"], k.public_key(), algorithms=[alg])


@case
def guest_curve_orders_match_openssl():
    """require_low_s compares S with curve orders written down in the guest
    package (sdk/python/jwt/api_jws.py); they must be OpenSSL's."""
    path = os.path.join(ROOT, "sdk", "python", "jwt", "api_jws.py")
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    table = None
    for node in tree.body:
        names = [getattr(t, "id", None) for t in getattr(node, "targets", [])]
        if isinstance(node, ast.Assign) and names == ["_EC_ORDERS"]:
            table = eval(compile(ast.Expression(node.value), path, "eval"), {"int": int})
    check(table is not None, "_EC_ORDERS not found in api_jws.py")
    eq(sorted(table), sorted(alg for alg, _, _, _ in EC_ALGS), "the algorithms")
    for alg, _, group, size in EC_ALGS:
        eq(table[alg], (curve_order(group), size), f"{alg}: order and size")


# ---- refusals stricter than PyJWT 2.6 ---------------------------------------------------

@case
def header_kid_crit_and_padding_refused():
    k = keys()["rsa"]
    pub = pub_pem(k)
    good = jwt.encode(claims(), k, algorithm="RS256")
    h, p, s = good.split(".")
    check(len(s) % 4, "an RS256 signature's base64url needs padding")
    padded = f"{h}.{p}.{s}{'=' * (-len(s) % 4)}"
    jwt.decode(padded, k.public_key(), algorithms=["RS256"])  # PyJWT 2.6 takes it
    for tok, what in ((padded, "padded signature"), (f"{h}.{p}.{s}=", "one '='"),
                      (f"{h}==.{p}.{s}", "padded header")):
        res = probe(op="decode", token=tok, key=pub, algs=["RS256"])
        expect_error(res, jwt.DecodeError, what)
    # a non-string kid: PyJWT 2.6 refuses it only in get_unverified_header,
    # later PyJWT in decode too, with this message
    si = f"{enb64(json.dumps({'alg': 'HS256', 'kid': 7}).encode())}.{p}"
    mac = hmac.new(HMAC_SECRET.encode(), si.encode(), hashlib.sha256).digest()
    res = probe(op="decode", token=f"{si}.{enb64(mac)}", key=HMAC_SECRET, algs=["HS256"])
    expect_error(res, jwt.InvalidTokenError, "kid 7")
    eq(res["msg"], "Key ID header parameter must be a string", "kid 7: message")
    # RFC 7515 4.1.11: an extension in "crit" the recipient does not know
    for headers in ({"crit": ["x-must"], "x-must": 1}, {"crit": []}, {"crit": "b64"}):
        tok = jwt.encode(claims(), k, algorithm="RS256", headers=headers)
        res = probe(op="decode", token=tok, key=pub, algs=["RS256"])
        expect_error(res, jwt.InvalidTokenError, f"crit {headers}")


# ---- refusals: the same class as PyJWT -----------------------------------------------


def tamper_payload(tok, **changes):
    h, p, s = tok.split(".")
    body = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    body.update(changes)
    p2 = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    return f"{h}.{p2}.{s}"


def tamper_signature(tok):
    h, p, s = tok.split(".")
    raw = bytearray(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
    raw[len(raw) // 2] ^= 1
    return f"{h}.{p}." + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


@case
def tampered_payload_and_signature():
    for alg, name in ASYM + [("HS256", None)]:
        k = keys()[name] if name else HMAC_SECRET
        host_key = k.public_key() if name else HMAC_SECRET
        sb_key = pub_pem(k) if name else HMAC_SECRET
        tok = jwt.encode(claims(), k, algorithm=alg)
        expect_same_error(tamper_payload(tok, sub="admin"), host_key, sb_key, [alg],
                          f"{alg}: changed payload")
        expect_same_error(tamper_signature(tok), host_key, sb_key, [alg],
                          f"{alg}: changed signature")
        h, p, _ = tok.split(".")
        expect_same_error(f"{h}.{p}.", host_key, sb_key, [alg], f"{alg}: empty signature")


@case
def wrong_key():
    ks = keys()
    for alg, a, b in (("RS256", "rsa", "rsa2"), ("PS256", "rsa", "rsa2"),
                      ("ES256", "P-256", "P-256b")):
        tok = jwt.encode(claims(), ks[a], algorithm=alg)
        expect_same_error(tok, ks[b].public_key(), pub_pem(ks[b]), [alg], f"{alg} wrong key")
    tok = jwt.encode(claims(), HMAC_SECRET, algorithm="HS256")
    expect_same_error(tok, "another secret", "another secret", ["HS256"], "HS256 wrong secret")


@case
def time_claims():
    k = keys()["rsa"]
    pub, algs = pub_pem(k), ["RS256"]
    now = int(time.time())
    expired = jwt.encode(claims(exp=now - 10), k, algorithm="RS256")
    expect_same_error(expired, k.public_key(), pub, algs, "expired")
    res = probe(op="decode", token=expired, key=pub, algs=algs, leeway=60)
    check("claims" in res, f"expired 10 s ago, leeway 60: {res}")
    res = probe(op="decode", token=expired, key=pub, algs=algs, options={"verify_exp": False})
    check("claims" in res, f"verify_exp False: {res}")
    early = jwt.encode(claims(nbf=now + 3600), k, algorithm="RS256")
    expect_same_error(early, k.public_key(), pub, algs, "nbf in the future")
    future_iat = jwt.encode(claims(iat=now + 3600), k, algorithm="RS256")
    expect_same_error(future_iat, k.public_key(), pub, algs, "iat in the future")
    bad_iat = jwt.encode(claims(iat="yesterday"), k, algorithm="RS256")
    res = probe(op="decode", token=bad_iat, key=pub, algs=algs)
    expect_error(res, jwt.InvalidIssuedAtError, "iat not a number")
    bad_exp = jwt.encode(claims(exp="soon"), k, algorithm="RS256")
    expect_error(probe(op="decode", token=bad_exp, key=pub, algs=algs), jwt.DecodeError,
                 "exp not a number")


@case
def audience_and_issuer():
    k = keys()["P-256"]
    pub, algs, pk = pub_pem(k), ["ES256"], k.public_key()
    tok = jwt.encode(claims(aud=["api", "admin"], iss="https://issuer.test"), k,
                     algorithm="ES256")
    res = probe(op="decode", token=tok, key=pub, algs=algs, audience="admin",
                issuer="https://issuer.test")
    check("claims" in res, f"right aud and iss: {res}")
    expect_same_error(tok, pk, pub, algs, "wrong audience", audience="web")
    expect_same_error(tok, pk, pub, algs, "aud but no audience asked")
    expect_same_error(tok, pk, pub, algs, "wrong issuer", audience="api", issuer="https://evil")
    no_aud = jwt.encode(claims(), k, algorithm="ES256")
    expect_same_error(no_aud, pk, pub, algs, "audience asked, token has none", audience="api")
    expect_same_error(no_aud, pk, pub, algs, "required claim missing",
                      options={"require": ["jti"]})
    res = probe(op="decode", token=no_aud, key=pub, algs=algs, options={"require": ["sub"]})
    check("claims" in res, f"required claim present: {res}")


@case
def algorithm_not_allowed():
    ks = keys()
    tok = jwt.encode(claims(), ks["rsa"], algorithm="RS256")
    expect_same_error(tok, ks["rsa"].public_key(), pub_pem(ks["rsa"]), ["ES256"],
                      "RS256 token, only ES256 allowed")
    expect_same_error(tok, ks["rsa"].public_key(), pub_pem(ks["rsa"]), ["PS256"],
                      "RS256 token, only PS256 allowed")
    res = probe(op="decode", token=tok, key=pub_pem(ks["rsa"]), algs=[])
    expect_error(res, jwt.DecodeError, "no algorithms given")
    res = probe(op="decode", token=tok, key=pub_pem(ks["rsa"]), algs="RS2")
    expect_error(res, jwt.InvalidAlgorithmError, "algorithms='RS2' is not a substring match")


@case
def alg_none_refused():
    k = keys()["rsa"]
    unsigned = jwt.encode(claims(), None, algorithm=None)
    check(unsigned.endswith("."), f"PyJWT made an unsigned token: {unsigned}")
    expect_same_error(unsigned, k.public_key(), pub_pem(k), ["RS256"], "alg none, RS256 asked")
    res = probe(op="decode", token=unsigned, key="", algs=["none"])
    expect_error(res, jwt.InvalidSignatureError, "alg none, none allowed, still unverifiable")
    res = probe(op="decode", token=unsigned, key=pub_pem(k), algs=["RS256"],
                options={"verify_signature": False})
    eq(res.get("claims", {}).get("sub"), "user-42", "alg none without verification")
    # "None", "NONE": not algorithms at all
    for spelled in ("None", "NONE", "nOnE"):
        h = base64.urlsafe_b64encode(json.dumps({"alg": spelled}).encode()).rstrip(b"=").decode()
        tok = h + "." + unsigned.split(".")[1] + "."
        res = probe(op="decode", token=tok, key=pub_pem(k), algs=["RS256"])
        expect_error(res, jwt.InvalidAlgorithmError, f"alg {spelled}")


@case
def hmac_with_public_key_is_confusion():
    """The classic attack: an HS256 token whose HMAC key is the server's RSA
    public key PEM. PyJWT refuses the PEM as an HMAC secret (InvalidKeyError);
    so does the sandbox, even when HS256 is among the allowed algorithms."""
    k = keys()["rsa"]
    pem = pub_pem(k)
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps(claims(sub="admin")).encode()).rstrip(b"=")
    signing_input = header + b"." + payload
    sig = hmac.new(pem.encode(), signing_input, hashlib.sha256).digest()
    forged = (signing_input + b"." + base64.urlsafe_b64encode(sig).rstrip(b"=")).decode()
    eq(host_error(forged, pem, algorithms=["RS256", "HS256"]), jwt.InvalidKeyError, "PyJWT")
    res = probe(op="decode", token=forged, key=pem, algs=["RS256", "HS256"])
    expect_error(res, jwt.InvalidKeyError, "HS256 with an RSA public key PEM")
    res = probe(op="decode", token=forged, key=pem, algs=["RS256"])
    expect_error(res, jwt.InvalidAlgorithmError, "HS256 token, RS256 only")
    # a certificate and an OpenSSH key are not HMAC secrets either
    res = probe(op="decode", token=forged, key=cert_pem(k), algs=["HS256"])
    expect_error(res, jwt.InvalidKeyError, "HS256 with a certificate")
    ssh = k.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                      serialization.PublicFormat.OpenSSH).decode()
    res = probe(op="decode", token=forged, key=ssh, algs=["HS256"])
    expect_error(res, jwt.InvalidKeyError, "HS256 with an OpenSSH key")


@case
def key_of_the_wrong_family():
    ks = keys()
    tok = jwt.encode(claims(), ks["P-256"], algorithm="ES256")
    res = probe(op="decode", token=tok, key=pub_pem(ks["rsa"]), algs=["ES256"])
    expect_error(res, jwt.InvalidKeyError, "ES256 token, RSA key")
    check("needs an EC key" in res["msg"], f"message: {res['msg']}")
    tok = jwt.encode(claims(), ks["rsa"], algorithm="RS256")
    res = probe(op="decode", token=tok, key=pub_pem(ks["P-256"]), algs=["RS256"])
    expect_error(res, jwt.InvalidKeyError, "RS256 token, EC key")
    tok = jwt.encode(claims(), ks["P-384"], algorithm="ES384")
    res = probe(op="decode", token=tok, key=pub_pem(ks["P-256"]), algs=["ES384"])
    expect_error(res, jwt.InvalidKeyError, "ES384 token, P-256 key")
    tok = jwt.encode(claims(), ks["Ed25519"], algorithm="EdDSA")
    res = probe(op="decode", token=tok, jwk=jwk_of(ks["P-256"]), algs=["EdDSA"])
    expect_error(res, jwt.InvalidKeyError, "EdDSA token, EC JWK")


@case
def malformed_tokens_and_keys():
    k = keys()["rsa"]
    pub = pub_pem(k)
    good = jwt.encode(claims(), k, algorithm="RS256")
    h, p, s = good.split(".")
    for tok, what in (("", "empty"), ("abc", "one segment"), ("a.b", "two segments"),
                      (f"{h}!.{p}.{s}", "bad base64 header"), (f"e30.{p}.{s}", "header {}"),
                      (f"W10.{p}.{s}", "header []"), (f"{h}.{p}.{s}$", "bad signature b64"),
                      (f"{h}.{p[:-1]}*.{s}", "bad payload b64"),
                      (f"{h}.W10.{s}", "payload []")):
        res = probe(op="decode", token=tok, key=pub, algs=["RS256"])
        check("error" in res, f"{what}: accepted {res}")
        check("InvalidTokenError" in res["mro"], f"{what}: {res['error']} is no InvalidTokenError")
    for key, what in (("not a key", "plain text"),
                      ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "junk PEM"),
                      (pub.replace("A", "B", 5), "corrupted PEM")):
        res = probe(op="decode", token=good, key=key, algs=["RS256"])
        check(res.get("error") in ("InvalidKeyError", "InvalidSignatureError"),
              f"{what}: {res}")
    long_x = base64.urlsafe_b64encode(b"\1" * 33).rstrip(b"=").decode()
    for jwk_, what in (({"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}, "(0, 0)"),
                       ({"kty": "EC", "crv": "P-256", "x": long_x, "y": long_x}, "33-byte x"),
                       ({"kty": "EC", "crv": "P-999", "x": "AA", "y": "AA"}, "unknown curve"),
                       ({"kty": "RSA", "n": "AQAB"}, "no e"),
                       ({"kty": "OKP", "crv": "Ed25519", "x": "****"}, "bad b64"),
                       ({"kty": "RSA", "n": "AQAB", "e": "AQAB"}, "tiny modulus")):
        res = probe(op="decode", token=good, jwk=jwk_, algs=["RS256", "ES256", "EdDSA"])
        eq(res.get("error"), "InvalidKeyError", f"JWK {what} ({res.get('msg')})")
    huge = "eyJhbGciOiJSUzI1NiJ9." + "A" * (5 << 20) + ".AAAA"
    res = probe(op="decode", token=huge, key=pub, algs=["RS256"])
    eq(res.get("error"), "DecodeError", f"a 5 MiB token ({res.get('msg')})")


# ---- the host service, called directly --------------------------------------------------


def b64(b):
    return base64.b64encode(b).decode()


def raw(service, payload):
    res = probe(op="raw", service=service, payload=b64(payload))
    return res["status"], base64.b64decode(res["reply"])


def blobs(*bs):
    return b"".join(len(b).to_bytes(4, "little") + b for b in bs)


@case
def host_op_valid_and_invalid_signature():
    k = keys()["Ed25519"]
    msg = b"header.payload"
    sig = k.sign(msg)
    st, reply = raw("crypto.verify", blobs(b"EdDSA", b"pem", pub_pem(k).encode(), msg, sig))
    eq((st, reply), (0, blobs((1).to_bytes(8, "little"))), "valid")
    st, reply = raw("crypto.verify", blobs(b"EdDSA", b"pem", pub_pem(k).encode(), msg + b"x", sig))
    eq((st, reply), (0, blobs((0).to_bytes(8, "little"))), "invalid")


@case
def host_op_malformed_payloads():
    k = keys()["P-256"]
    pem = pub_pem(k).encode()
    good = [b"ES256", b"pem", pem, b"m", b"s" * 64]
    INVALID, LIMIT, NO_SERVICE = 3, 6, 7
    cases = [
        (blobs(*good[:4]), INVALID, "four blobs"),
        (blobs(*good, b""), INVALID, "six blobs"),
        (blobs(*good)[:-1], INVALID, "truncated"),
        (blobs(*good) + b"\x00", INVALID, "a stray byte"),
        (b"\xff\xff\xff\xffES256", INVALID, "a 4 GiB length"),
        (b"", INVALID, "empty"),
        (blobs(b"ES999", *good[1:]), INVALID, "unknown alg"),
        (blobs(b"HS256", *good[1:]), INVALID, "HS256 is not the host's"),
        (blobs(b"none", *good[1:]), INVALID, "none"),
        (blobs(b"ES256", b"xml", *good[2:]), INVALID, "unknown key format"),
        (blobs(b"ES256", b"pem", b"-----BEGIN PUBLIC KEY-----\nZm9v\n-----END PUBLIC KEY-----\n",
               b"m", b"s"), INVALID, "junk key"),
        (blobs(b"ES256", b"jwk", b"\x10\x00\x00\x00EC", b"m", b"s"), INVALID, "jwk overrun"),
        (blobs(b"ES256", b"pem", b"A" * (64 << 10 | 1), b"m", b"s"), LIMIT, "65 KiB key"),
        (blobs(b"ES256", b"pem", pem, b"A" * ((4 << 20) + 1), b"s"), LIMIT, "4 MiB + 1 input"),
    ]
    for payload, status, what in cases:
        st, reply = raw("crypto.verify", payload)
        eq(st, status, f"{what} ({reply[:200]!r})")
        check(len(reply) < 1100 and b"\x00" not in reply, f"{what}: reply {reply[:100]!r}")
    st, _ = raw("crypto.nosuchop", blobs(*good))
    eq(st, NO_SERVICE, "an unknown op")
    st, reply = raw("crypto.verify", blobs(b"ES256", b"pem", pem, b"m", b"s" * 100000))
    eq((st, reply), (0, blobs((0).to_bytes(8, "little"))), "a 100 kB signature is just invalid")
    st, _ = raw("crypto.sign", blobs(b"ES256", b"pem", pem, b"m"))
    eq(st, INVALID, "signing with a public key")


@case
def host_op_keys_of_every_form():
    """JWK components packed by hand, as the guest does, against PEM."""
    k = keys()["rsa"]
    nums = k.public_key().public_numbers()
    n = nums.n.to_bytes(256, "big")
    e = nums.e.to_bytes(3, "big")
    msg = b"a.b"
    from cryptography.hazmat.primitives.asymmetric import padding
    sig = k.sign(msg, padding.PKCS1v15(), hashes.SHA256())
    ok = blobs((1).to_bytes(8, "little"))
    for key, what in ((blobs(b"RSA", n, e), "n, e"), (blobs(b"RSA", b"\0\0" + n, b"\0" + e),
                                                      "with leading zeros")):
        eq(raw("crypto.verify", blobs(b"RS256", b"jwk", key, msg, sig)), (0, ok), what)
    for key, what in ((blobs(b"RSA", n), "no e"), (blobs(b"RSA", n, e, e), "three members"),
                      (blobs(b"RSA", n[:-1] + b"\x02", e), "even n"),
                      (blobs(b"RSA", n, b"\x01"), "e = 1"),
                      (blobs(b"RSA", n[:128], e), "1024-bit n")):
        st, reply = raw("crypto.verify", blobs(b"RS256", b"jwk", key, msg, sig))
        eq(st, 3, f"{what} ({reply!r})")


def setup():
    global server
    keys()
    server = start(os.path.join(APPS, "jwt"), ["--quiet"], name="jwt")


def teardown():
    return stop_cleanly(server)


if __name__ == "__main__":
    sys.exit(case.run(setup, teardown))
