"""sdk/python/jwt without the host: HS256/384/512, the token format, claim
checks and errors, exactly as PyJWT 2.6 behaves (the asymmetric algorithms
need the host's crypto service: tests/platform/test_jwt.py), and the
require_low_s option, whose ECDSA check is made here in Python after the
host's verification (stood in for by a stub)."""
import base64
import datetime
import hashlib
import hmac
import json
import time
import unittest
from unittest import mock

import jwt
from jwt import algorithms, utils

SECRET = "s3cret"


def b64(d):
    return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()


def signed(header, payload, secret=SECRET):
    si = f"{b64(header)}.{b64(payload)}".encode()
    sig = hmac.new(secret.encode(), si, hashlib.sha256).digest()
    return si.decode() + "." + base64.urlsafe_b64encode(sig).rstrip(b"=").decode()


class Hmac(unittest.TestCase):
    def test_round_trip_every_hash(self):
        for alg in ("HS256", "HS384", "HS512"):
            tok = jwt.encode({"sub": "x"}, SECRET, algorithm=alg)
            self.assertEqual(jwt.decode(tok, SECRET, algorithms=[alg]), {"sub": "x"})
            self.assertEqual(jwt.get_unverified_header(tok), {"alg": alg, "typ": "JWT"})

    def test_known_token(self):
        # made by hand with hmac: the same bytes PyJWT produces
        tok = signed({"alg": "HS256", "typ": "JWT"}, {"a": 1})
        self.assertEqual(jwt.decode(tok, SECRET, algorithms=["HS256"]), {"a": 1})
        # and encode() writes compact JSON, the header's keys sorted, as PyJWT
        h, p, s = jwt.encode({"a": 1}, SECRET).split(".")
        self.assertEqual(utils.base64url_decode(h), b'{"alg":"HS256","typ":"JWT"}')
        self.assertEqual(utils.base64url_decode(p), b'{"a":1}')
        want = hmac.new(SECRET.encode(), f"{h}.{p}".encode(), hashlib.sha256).digest()
        self.assertEqual(utils.base64url_decode(s), want)

    def test_wrong_secret_and_tampering(self):
        tok = jwt.encode({"sub": "x"}, SECRET)
        with self.assertRaises(jwt.InvalidSignatureError):
            jwt.decode(tok, "other", algorithms=["HS256"])
        h, p, s = tok.split(".")
        with self.assertRaises(jwt.InvalidSignatureError):
            jwt.decode(f"{h}.{b64({'sub': 'admin'})}.{s}", SECRET, algorithms=["HS256"])

    def test_pem_and_ssh_keys_are_not_secrets(self):
        tok = jwt.encode({"sub": "x"}, SECRET)
        for key in ("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n",
                    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
                    "ssh-rsa AAAAB3NzaC1yc2E user@host", b"ssh-ed25519 AAAA"):
            with self.assertRaises(jwt.InvalidKeyError):
                jwt.decode(tok, key, algorithms=["HS256"])
            with self.assertRaises(jwt.InvalidKeyError):
                jwt.encode({"a": 1}, key, algorithm="HS256")


class Format(unittest.TestCase):
    def test_malformed(self):
        good = jwt.encode({"a": 1}, SECRET)
        h, p, s = good.split(".")
        cases = ["", "a", "a.b", f"{h}.{p}.{s}=x", f"{h}+.{p}.{s}", f"{b64([1])}.{p}.{s}",
                 f"{h}.{p}.{s[:-1]}/", f"{h}.{p}.{s} ", 5]
        for tok in cases:
            with self.assertRaises(jwt.DecodeError, msg=repr(tok)):
                jwt.decode(tok, SECRET, algorithms=["HS256"])
        bad_payload = signed({"alg": "HS256"}, [1, 2])
        with self.assertRaises(jwt.DecodeError):
            jwt.decode(bad_payload, SECRET, algorithms=["HS256"])

    def test_base64url_is_strict(self):
        self.assertEqual(utils.base64url_decode("YQ"), b"a")
        self.assertEqual(utils.base64url_decode("YQ=="), b"a")
        for bad in ("Y", "Y Q", "YQ=a", "Y+Q", "YQ/", "Y\nQ"):
            with self.assertRaises(Exception, msg=bad):
                utils.base64url_decode(bad)

    def test_algorithms_required_and_checked(self):
        tok = jwt.encode({"a": 1}, SECRET)
        with self.assertRaises(jwt.DecodeError):
            jwt.decode(tok, SECRET)
        with self.assertRaises(jwt.InvalidAlgorithmError):
            jwt.decode(tok, SECRET, algorithms=["HS512"])
        with self.assertRaises(jwt.InvalidAlgorithmError):
            jwt.decode(tok, SECRET, algorithms="HS2")  # not a substring test
        self.assertEqual(jwt.decode(tok, SECRET, algorithms="HS256"), {"a": 1})
        unknown = signed({"alg": "XS256"}, {"a": 1})
        with self.assertRaises(jwt.InvalidAlgorithmError):
            jwt.decode(unknown, SECRET, algorithms=["XS256"])
        for alg in (None, 5, ["HS256"]):
            with self.assertRaises(jwt.InvalidAlgorithmError):
                jwt.decode(signed({"alg": alg}, {"a": 1}), SECRET, algorithms=["HS256"])

    def test_alg_none(self):
        tok = jwt.encode({"a": 1}, None, algorithm=None)
        self.assertTrue(tok.endswith("."))
        with self.assertRaises(jwt.InvalidAlgorithmError):
            jwt.decode(tok, SECRET, algorithms=["HS256"])
        with self.assertRaises(jwt.InvalidSignatureError):
            jwt.decode(tok, None, algorithms=["none"])
        with self.assertRaises(jwt.InvalidKeyError):
            jwt.decode(tok, "key", algorithms=["none"])
        self.assertEqual(jwt.decode(tok, options={"verify_signature": False}), {"a": 1})

    def test_kid_must_be_a_string(self):
        with self.assertRaises(jwt.InvalidTokenError):
            jwt.encode({"a": 1}, SECRET, headers={"kid": 5})
        tok = signed({"alg": "HS256", "kid": 5}, {"a": 1})
        with self.assertRaises(jwt.InvalidTokenError):
            jwt.get_unverified_header(tok)

    def test_decode_refuses_a_non_string_kid(self):
        for kid in (5, None, ["k"], {"k": 1}, True):
            tok = signed({"alg": "HS256", "kid": kid}, {"a": 1})
            with self.assertRaises(jwt.InvalidTokenError, msg=repr(kid)) as cm:
                jwt.decode(tok, SECRET, algorithms=["HS256"])
            self.assertEqual(str(cm.exception), "Key ID header parameter must be a string")
            with self.assertRaises(jwt.InvalidTokenError, msg=repr(kid)):
                jwt.decode(tok, options={"verify_signature": False})
        tok = signed({"alg": "HS256", "kid": "k1"}, {"a": 1})
        self.assertEqual(jwt.decode(tok, SECRET, algorithms=["HS256"]), {"a": 1})

    def test_decode_refuses_unknown_critical_extensions(self):
        # RFC 7515 4.1.11: an extension named in "crit" that the recipient
        # does not understand makes the token invalid
        for header in ({"crit": ["exp"], "exp": 1}, {"crit": ["x-ext"], "x-ext": True},
                       {"crit": ["b64", "zip2"], "b64": True, "zip2": 1},
                       {"crit": []}, {"crit": "b64", "b64": True}, {"crit": [5]},
                       {"crit": None}, {"crit": {"b64": True}}, {"crit": ["b64"]}):
            tok = signed({"alg": "HS256", **header}, {"a": 1})
            with self.assertRaises(jwt.InvalidTokenError, msg=repr(header)):
                jwt.decode(tok, SECRET, algorithms=["HS256"])
            with self.assertRaises(jwt.InvalidTokenError, msg=repr(header)):
                jwt.get_unverified_header(tok)
        # b64 (RFC 7797) is understood: a detached payload with crit works
        tok = jwt.api_jws.encode(b"raw payload", SECRET, headers={"b64": False, "crit": ["b64"]},
                                 is_payload_detached=True)
        self.assertEqual(jwt.get_unverified_header(tok)["crit"], ["b64"])
        self.assertEqual(jwt.api_jws.decode(tok, SECRET, algorithms=["HS256"],
                                            detached_payload=b"raw payload"), b"raw payload")

    def test_segments_are_canonical_base64url(self):
        tok = signed({"alg": "HS256"}, {"a": 1})  # every segment's length % 4 != 0
        h, p, s = tok.split(".")
        self.assertNotEqual(len(s) % 4, 0)
        self.assertEqual(jwt.decode(tok, SECRET, algorithms=["HS256"]), {"a": 1})

        def pad(seg):
            return seg + "=" * (-len(seg) % 4)

        def stray_bits(seg):  # the same bytes, a bit set past the last one
            alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
            return seg[:-1] + alphabet[alphabet.index(seg[-1]) | 1]

        self.assertEqual(base64.urlsafe_b64decode(pad(stray_bits(s))),
                         base64.urlsafe_b64decode(pad(s)))
        cases = {"padded signature": f"{h}.{p}.{pad(s)}",
                 "signature with one =": f"{h}.{p}.{s}=",
                 "signature with stray bits": f"{h}.{p}.{stray_bits(s)}",
                 "padded header": f"{pad(h)}.{p}.{s}",
                 "padded payload": f"{h}.{pad(p)}.{s}"}
        if len(h) % 4 in (2, 3) and stray_bits(h) != h:  # the last character has spare bits
            cases["header with stray bits"] = f"{stray_bits(h)}.{p}.{s}"
        for what, bad in cases.items():
            self.assertNotEqual(bad, tok)
            with self.assertRaises(jwt.DecodeError, msg=what):
                jwt.decode(bad, SECRET, algorithms=["HS256"])
            with self.assertRaises(jwt.DecodeError, msg=what):
                jwt.decode(bad, options={"verify_signature": False})

    def test_payload_must_be_a_mapping(self):
        with self.assertRaises(TypeError):
            jwt.encode([1], SECRET)


class Claims(unittest.TestCase):
    def dec(self, claims, **kw):
        return jwt.decode(jwt.encode(claims, SECRET), SECRET, algorithms=["HS256"], **kw)

    def test_time_claims(self):
        now = int(time.time())
        with self.assertRaises(jwt.ExpiredSignatureError):
            self.dec({"exp": now - 1})
        self.assertEqual(self.dec({"exp": now - 5}, leeway=10)["exp"], now - 5)
        self.dec({"exp": now - 5}, leeway=datetime.timedelta(seconds=10))
        with self.assertRaises(jwt.ImmatureSignatureError):
            self.dec({"nbf": now + 60})
        with self.assertRaises(jwt.ImmatureSignatureError):
            self.dec({"iat": now + 60})
        with self.assertRaises(jwt.InvalidIssuedAtError):
            self.dec({"iat": "x"})
        for claim in ("exp", "nbf"):
            for bad in ("x", [1], None, True, float("nan")):
                with self.assertRaises(jwt.DecodeError, msg=f"{claim}={bad!r}"):
                    self.dec({claim: bad})
        self.dec({"exp": now - 1}, options={"verify_exp": False})
        exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
        self.assertIsInstance(self.dec({"exp": exp})["exp"], int)

    def test_audience_issuer_require(self):
        with self.assertRaises(jwt.InvalidAudienceError):
            self.dec({"aud": "a"})
        self.assertEqual(self.dec({"aud": ["a", "b"]}, audience="b")["aud"], ["a", "b"])
        self.dec({"aud": "a"}, audience=["x", "a"])
        with self.assertRaises(jwt.InvalidAudienceError):
            self.dec({"aud": "a"}, audience="b")
        with self.assertRaises(jwt.InvalidAudienceError):
            self.dec({"aud": [1]}, audience="a")
        with self.assertRaises(jwt.MissingRequiredClaimError) as cm:
            self.dec({}, audience="a")
        self.assertEqual(str(cm.exception), 'Token is missing the "aud" claim')
        with self.assertRaises(jwt.InvalidIssuerError):
            self.dec({"iss": "a"}, issuer="b")
        with self.assertRaises(jwt.MissingRequiredClaimError):
            self.dec({}, issuer="b")
        with self.assertRaises(jwt.MissingRequiredClaimError):
            self.dec({"a": 1}, options={"require": ["exp"]})

    def test_exception_hierarchy_matches_pyjwt(self):
        expect = {
            "InvalidTokenError": "PyJWTError", "DecodeError": "InvalidTokenError",
            "InvalidSignatureError": "DecodeError", "ExpiredSignatureError": "InvalidTokenError",
            "InvalidAudienceError": "InvalidTokenError", "InvalidIssuerError": "InvalidTokenError",
            "InvalidIssuedAtError": "InvalidTokenError",
            "ImmatureSignatureError": "InvalidTokenError", "InvalidKeyError": "PyJWTError",
            "InvalidAlgorithmError": "InvalidTokenError",
            "MissingRequiredClaimError": "InvalidTokenError", "PyJWKError": "PyJWTError",
            "PyJWKSetError": "PyJWTError", "PyJWTError": "Exception",
        }
        for name, base in expect.items():
            self.assertEqual(getattr(jwt, name).__bases__[0].__name__, base, name)


PEM_PUB = "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n"


def raw_signed(alg, payload, sig):
    """A token with the given alg and raw signature bytes (not a real one)."""
    si = f"{b64({'alg': alg, 'typ': 'JWT'})}.{b64(payload)}"
    return si + "." + base64.urlsafe_b64encode(sig).rstrip(b"=").decode()


class LowS(unittest.TestCase):
    """options require_low_s: an ECDSA S above n/2 is valid by default (as in
    PyJWT) and refused with the option, once the signature has verified.
    The host's verification is a stub here that says yes (or no); the
    signatures only have to carry the S under test."""

    def setUp(self):
        patch = mock.patch.object(algorithms.ECAlgorithm, "verify", return_value=True)
        self.verify = patch.start()
        self.addCleanup(patch.stop)

    def tokens(self, alg):
        """(low-S tokens, high-S tokens) for alg, the boundaries included."""
        n, size = jwt.api_jws._EC_ORDERS[alg]
        r = (n // 3).to_bytes(size, "big")

        def tok(s, i):
            return raw_signed(alg, {"a": i}, r + s.to_bytes(size, "big"))

        low = [tok(s, i) for i, s in enumerate((1, 12345, n // 2))]
        high = [tok(s, i) for i, s in enumerate((n // 2 + 1, n - 12345, n - 1))]
        return low, high

    def expect_high_s(self, call, what):
        with self.assertRaises(jwt.InvalidSignatureError, msg=what) as cm:
            call()
        self.assertIn("high S", str(cm.exception), what)
        self.assertIn("(options require_low_s)", str(cm.exception), what)

    def test_curve_orders(self):
        # the sizes of R and S in a JWS signature (RFC 7518 3.4) fit the orders
        for alg, bits, size in (("ES256", 256, 32), ("ES256K", 256, 32), ("ES384", 384, 48),
                                ("ES512", 521, 66)):
            n, got = jwt.api_jws._EC_ORDERS[alg]
            self.assertEqual((n.bit_length(), got), (bits, size), alg)
            self.assertEqual(n % 2, 1, alg)  # n is prime: n/2 is never a whole S

    def test_high_s_accepted_by_default_refused_when_required(self):
        on = {"require_low_s": True}
        for alg in ("ES256", "ES256K", "ES384", "ES512"):
            low, high = self.tokens(alg)
            for i, tok in enumerate(low + high):
                what = f"{alg} token {i}"
                want = {"a": i % 3}
                self.assertEqual(jwt.decode(tok, PEM_PUB, algorithms=[alg]), want, what)
                self.assertEqual(jwt.decode(tok, PEM_PUB, algorithms=[alg],
                                            options={"require_low_s": False}), want, what)
                self.assertEqual(jwt.PyJWT().decode(tok, PEM_PUB, algorithms=[alg]), want, what)
                self.assertEqual(jwt.api_jws.decode(tok, PEM_PUB, algorithms=[alg]),
                                 json.dumps(want).encode(), what)
                # the option is part of signature verification
                self.assertEqual(jwt.decode(tok, options={"verify_signature": False,
                                                          "require_low_s": True}), want, what)
            for i, tok in enumerate(low):
                what = f"{alg} low S {i}"
                self.assertEqual(jwt.decode(tok, PEM_PUB, algorithms=[alg], options=on),
                                 {"a": i}, what)
                self.assertEqual(jwt.PyJWT(options=on).decode(tok, PEM_PUB, algorithms=[alg]),
                                 {"a": i}, what)
                self.assertEqual(jwt.PyJWS(options=on).decode(tok, PEM_PUB, algorithms=[alg]),
                                 json.dumps({"a": i}).encode(), what)
            for i, tok in enumerate(high):
                what = f"{alg} high S {i}"
                self.expect_high_s(lambda: jwt.decode(tok, PEM_PUB, algorithms=[alg],
                                                      options=on), what)
                self.expect_high_s(lambda: jwt.decode_complete(tok, PEM_PUB, algorithms=[alg],
                                                               options=on), what)
                self.expect_high_s(lambda: jwt.PyJWT().decode(tok, PEM_PUB, algorithms=[alg],
                                                              options=on), what)
                self.expect_high_s(lambda: jwt.PyJWT(options=on).decode(
                    tok, PEM_PUB, algorithms=[alg]), what)
                self.expect_high_s(lambda: jwt.PyJWS(options=on).decode(
                    tok, PEM_PUB, algorithms=[alg]), what)
                self.expect_high_s(lambda: jwt.api_jws.decode_complete(
                    tok, PEM_PUB, algorithms=[alg], options=on), what)
                # the call's options win over the instance's
                self.assertEqual(jwt.PyJWT(options=on).decode(
                    tok, PEM_PUB, algorithms=[alg], options={"require_low_s": False}),
                    {"a": i}, what)

    def test_a_bad_signature_stays_a_bad_signature(self):
        self.verify.return_value = False
        low, high = self.tokens("ES256")
        for tok in low + high:
            with self.assertRaises(jwt.InvalidSignatureError) as cm:
                jwt.decode(tok, PEM_PUB, algorithms=["ES256"], options={"require_low_s": True})
            self.assertEqual(str(cm.exception), "Signature verification failed")

    def test_other_algorithms_are_not_concerned(self):
        on = {"require_low_s": True}
        n = jwt.api_jws._EC_ORDERS["ES256"][0]
        # HS512: 64 bytes, as long as an ES256 signature; one whose second
        # half would be a high S
        for i in range(200):
            tok = jwt.encode({"i": i}, SECRET, algorithm="HS512")
            sig = utils.base64url_decode(tok.split(".")[2])
            if int.from_bytes(sig[32:], "big") > n // 2:
                break
        else:
            self.fail("no HS512 signature with a high second half in 200")
        self.assertEqual(jwt.decode(tok, SECRET, algorithms=["HS512"], options=on), {"i": i})
        # EdDSA (64 bytes with Ed25519) and RS256 checked by the host (a stub)
        sig = (n // 3).to_bytes(32, "big") + (n - 1).to_bytes(32, "big")
        with mock.patch.object(algorithms.OKPAlgorithm, "verify", return_value=True):
            tok = raw_signed("EdDSA", {"a": 1}, sig)
            self.assertEqual(jwt.decode(tok, PEM_PUB, algorithms=["EdDSA"], options=on), {"a": 1})
        with mock.patch.object(algorithms.RSAAlgorithm, "verify", return_value=True):
            tok = raw_signed("RS256", {"a": 1}, sig * 4)
            self.assertEqual(jwt.decode(tok, PEM_PUB, algorithms=["RS256"], options=on), {"a": 1})


class Jwk(unittest.TestCase):
    def test_oct_jwk(self):
        jwk = {"kty": "oct", "k": base64.urlsafe_b64encode(b"k3y").rstrip(b"=").decode()}
        key = jwt.PyJWK(jwk)
        self.assertEqual((key.key, key.key_type, key.Algorithm.name), (b"k3y", "oct", "HS256"))
        tok = jwt.encode({"a": 1}, b"k3y")
        self.assertEqual(jwt.decode(tok, key.key, algorithms=["HS256"]), {"a": 1})

    def test_bad_jwks(self):
        for bad, err in (({}, jwt.InvalidKeyError), ({"kty": "XYZ"}, jwt.InvalidKeyError),
                         ({"kty": "EC", "crv": "P-1"}, jwt.InvalidKeyError),
                         ({"kty": "OKP"}, jwt.InvalidKeyError),
                         ({"kty": "RSA", "alg": "XX1"}, jwt.PyJWKError),
                         ({"kty": "RSA", "n": "AQAB"}, jwt.InvalidKeyError),
                         ({"kty": "EC", "crv": "P-256", "x": "A" * 60, "y": "AA"},
                          jwt.InvalidKeyError),
                         ({"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}, jwt.InvalidKeyError),
                         ({"kty": "oct", "k": "***"}, jwt.InvalidKeyError)):
            with self.assertRaises(err, msg=repr(bad)):
                jwt.PyJWK(bad)
        with self.assertRaises(jwt.PyJWKSetError):
            jwt.PyJWKSet([])
        with self.assertRaises(jwt.PyJWKSetError):
            jwt.PyJWKSet({"keys": 1})

    def test_public_jwk_components(self):
        x = base64.urlsafe_b64encode(bytes(range(32))).rstrip(b"=").decode()
        key = algorithms.OKPAlgorithm.from_jwk({"kty": "OKP", "crv": "Ed25519", "x": x, "d": x})
        self.assertEqual((key.fmt, key.kty, key.private_jwk), ("jwk", "OKP", True))
        self.assertEqual(json.loads(algorithms.OKPAlgorithm.to_jwk(key)),
                         {"kty": "OKP", "crv": "Ed25519", "x": x})
        with self.assertRaises(jwt.InvalidKeyError):  # signing with a JWK private key
            jwt.encode({"a": 1}, key, algorithm="EdDSA")
        set_ = jwt.PyJWKSet.from_dict({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x,
                                                 "kid": "k1"}]})
        self.assertEqual(set_["k1"].key.kty, "OKP")
        with self.assertRaises(KeyError):
            set_["nope"]


if __name__ == "__main__":
    unittest.main()
