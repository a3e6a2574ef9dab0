"""jwt.algorithms: the JWS algorithms (RFC 7518) and the keys they take.

Where the work happens:
  HS256/384/512   here, in the sandbox, with hmac and hashlib (CPython's
                  builtin SHA-2); comparison with hmac.compare_digest.
  RS*, PS*, ES*,  on the host, through the "crypto" service (OpenSSL 3):
  EdDSA           _pyedge.call("crypto.verify" / "crypto.sign"), see
                  docs/hostcall.md. Big-number cryptography in the
                  interpreter would be slow and not constant-time.
  none            no signature; only accepted by decode() when signature
                  verification is turned off.

Keys for the host algorithms are HostKey objects: PEM text (public key,
certificate, or an unencrypted private key for signing) is passed through
as is; a JWK is parsed here into its public components (base64url-decoded
RSA n/e, EC crv/x/y, OKP crv/x), which the host turns into a key. The host
checks every key against the algorithm (family, curve, size), so a token
cannot make an RSA key act as an EC key or the other way round. The
classic confusion the other way, an RSA public key's PEM text used as an
HMAC secret, is refused by HMACAlgorithm.prepare_key, as PyJWT does.
"""

import hashlib
import hmac
import json

import pyedge_hostcall as hc

from .exceptions import InvalidKeyError
from .utils import (
    base64url_decode,
    base64url_encode,
    force_bytes,
    is_pem_format,
    is_ssh_key,
)

__all__ = [
    "Algorithm", "NoneAlgorithm", "HMACAlgorithm", "RSAAlgorithm", "RSAPSSAlgorithm",
    "ECAlgorithm", "OKPAlgorithm", "HostKey", "get_default_algorithms", "has_crypto",
    "requires_cryptography",
]

# PyJWT names: here the host provides what python-cryptography would.
has_crypto = True
requires_cryptography = {"RS256", "RS384", "RS512", "ES256", "ES256K", "ES384", "ES512",
                         "PS256", "PS384", "PS512", "EdDSA"}

# Larger signing inputs are refused before they reach the host (its limit).
MAX_SIGNING_INPUT = 4 << 20


class HostKey:
    """A key for the host's crypto service.

    fmt   "pem" (data: the PEM bytes) or "jwk" (data: the public components
          packed as host-call blobs: kty, then n, e | crv, x, y | crv, x)
    kty   "RSA", "EC", "OKP", or None for PEM (the host reads the type)
    jwk   the JWK's public members as a dict (for to_jwk), or None
    is_private   a PEM private key, usable for signing
    """

    __slots__ = ("fmt", "data", "kty", "jwk", "is_private", "private_jwk")

    def __init__(self, fmt, data, kty=None, jwk=None, is_private=False, private_jwk=False):
        self.fmt = fmt
        self.data = data
        self.kty = kty
        self.jwk = jwk
        self.is_private = is_private
        self.private_jwk = private_jwk

    @classmethod
    def from_pem(cls, pem):
        pem = force_bytes(pem)
        if not is_pem_format(pem):
            if pem.startswith(b"ssh-") or pem.startswith(b"ecdsa-sha2-"):
                raise InvalidKeyError("OpenSSH public keys are not supported: use a PEM public key")
            raise InvalidKeyError("Expecting a PEM-formatted key.")
        private = b"PRIVATE KEY-----" in pem
        return cls("pem", pem, is_private=private)

    def __repr__(self):
        what = self.kty or "PEM"
        return f"<jwt HostKey {what}{' private' if self.is_private else ''}>"


def _host(op, *blobs):
    """One call to the host's crypto service; key problems -> InvalidKeyError."""
    try:
        return hc.call("crypto." + op, *blobs)
    except (hc.Invalid, hc.Limit) as e:
        raise InvalidKeyError(e.message) from None


def _load_jwk(jwk):
    if isinstance(jwk, (str, bytes)):
        try:
            obj = json.loads(jwk)
        except ValueError:
            raise InvalidKeyError("Key is not valid JSON") from None
    elif isinstance(jwk, dict):
        obj = jwk
    else:
        raise InvalidKeyError("Key is not valid JSON")
    if not isinstance(obj, dict):
        raise InvalidKeyError("Key is not a JSON object")
    return obj


def _b64_member(obj, name, kty):
    v = obj.get(name)
    if not isinstance(v, str) or not v:
        raise InvalidKeyError(f'{kty} key must have a "{name}" member')
    try:
        return base64url_decode(v)
    except (ValueError, TypeError):
        raise InvalidKeyError(f'{kty} key: "{name}" is not base64url') from None


class Algorithm:
    """One JWS algorithm: prepare_key, sign, verify, and JWK conversion."""

    name = None

    def prepare_key(self, key):
        raise NotImplementedError

    def sign(self, msg, key):
        raise NotImplementedError

    def verify(self, msg, key, sig):
        raise NotImplementedError

    @staticmethod
    def to_jwk(key_obj):
        raise NotImplementedError

    @staticmethod
    def from_jwk(jwk):
        raise NotImplementedError


class NoneAlgorithm(Algorithm):
    """alg "none": no signature; verify() is always False."""

    name = "none"

    def prepare_key(self, key):
        if key == "" or key == b"":
            key = None
        if key is not None:
            raise InvalidKeyError('When alg = "none", key value must be None.')
        return key

    def sign(self, msg, key):
        return b""

    def verify(self, msg, key, sig):
        return False


class HMACAlgorithm(Algorithm):
    """HS256/384/512, in the sandbox."""

    SHA256 = hashlib.sha256
    SHA384 = hashlib.sha384
    SHA512 = hashlib.sha512
    _NAMES = {"sha256": "HS256", "sha384": "HS384", "sha512": "HS512"}

    def __init__(self, hash_alg):
        self.hash_alg = hash_alg
        self.name = self._NAMES.get(hash_alg().name)

    def prepare_key(self, key):
        if isinstance(key, HostKey):
            raise InvalidKeyError("An asymmetric key cannot be used as an HMAC secret.")
        key = force_bytes(key)
        if is_pem_format(key) or is_ssh_key(key):
            raise InvalidKeyError(
                "The specified key is an asymmetric key or x509 certificate and"
                " should not be used as an HMAC secret."
            )
        return key

    def sign(self, msg, key):
        return hmac.new(key, msg, self.hash_alg).digest()

    def verify(self, msg, key, sig):
        return hmac.compare_digest(sig, self.sign(msg, key))

    @staticmethod
    def to_jwk(key_obj):
        return json.dumps({"k": base64url_encode(force_bytes(key_obj)).decode(), "kty": "oct"})

    @staticmethod
    def from_jwk(jwk):
        obj = _load_jwk(jwk)
        if obj.get("kty") != "oct":
            raise InvalidKeyError("Not an HMAC key")
        return _b64_member(obj, "k", "oct")


class _HostAlgorithm(Algorithm):
    """An algorithm the host signs and verifies (see the module docstring)."""

    def prepare_key(self, key):
        if hasattr(key, "Algorithm") and isinstance(getattr(key, "key", None), HostKey):
            key = key.key  # a PyJWK
        if isinstance(key, HostKey):
            return key
        if not isinstance(key, (str, bytes)):
            raise TypeError("Expecting a PEM-formatted key.")
        return HostKey.from_pem(key)

    def sign(self, msg, key):
        if not key.is_private:
            if key.private_jwk:
                raise InvalidKeyError("Signing with a JWK private key is not supported in "
                                      "pyedge: use a PEM private key.")
            raise InvalidKeyError(f"{self.name} signing needs a private key (PEM PRIVATE KEY).")
        if len(msg) > MAX_SIGNING_INPUT:
            raise ValueError("the token is too large to sign")
        return _host("sign", self.name, key.fmt, key.data, msg)[0]

    def verify(self, msg, key, sig):
        if len(msg) > MAX_SIGNING_INPUT:
            return False
        reply = _host("verify", self.name, key.fmt, key.data, msg, sig)
        return len(reply) == 1 and hc.from_u64(reply[0]) == 1

    @staticmethod
    def to_jwk(key_obj):
        if isinstance(key_obj, HostKey) and key_obj.jwk is not None:
            return json.dumps(key_obj.jwk)
        raise InvalidKeyError("Only keys made from a JWK can be turned back into one in pyedge")


def _hash_name(hash_alg):
    name = hash_alg if isinstance(hash_alg, str) else getattr(hash_alg, "name", "")
    name = name.upper().replace("-", "")
    if name not in ("SHA256", "SHA384", "SHA512"):
        raise ValueError(f"unsupported hash {hash_alg!r}")
    return name


class RSAAlgorithm(_HostAlgorithm):
    """RS256/384/512: RSASSA-PKCS1-v1_5."""

    SHA256 = "SHA256"
    SHA384 = "SHA384"
    SHA512 = "SHA512"
    _PREFIX = "RS"

    def __init__(self, hash_alg):
        self.hash_alg = hash_alg
        self.name = self._PREFIX + _hash_name(hash_alg)[3:]

    @staticmethod
    def from_jwk(jwk):
        obj = _load_jwk(jwk)
        if obj.get("kty") != "RSA":
            raise InvalidKeyError("Not an RSA key")
        if "n" not in obj or "e" not in obj:
            raise InvalidKeyError("Not a public or private key")
        if "oth" in obj:
            raise InvalidKeyError("Unsupported RSA private key: > 2 primes not supported")
        n, e = _b64_member(obj, "n", "RSA"), _b64_member(obj, "e", "RSA")
        public = {"kty": "RSA", "n": obj["n"], "e": obj["e"]}
        return HostKey("jwk", hc.encode("RSA", n, e), "RSA", public, private_jwk="d" in obj)


class RSAPSSAlgorithm(RSAAlgorithm):
    """PS256/384/512: RSASSA-PSS, MGF1 with the same hash, salt = hash length."""

    _PREFIX = "PS"


_EC_SIZES = {"P-256": 32, "P-384": 48, "P-521": 66, "secp256k1": 32}


class ECAlgorithm(_HostAlgorithm):
    """ES256 (P-256), ES384 (P-384), ES512 (P-521), ES256K (secp256k1)."""

    SHA256 = "SHA256"
    SHA384 = "SHA384"
    SHA512 = "SHA512"

    def __init__(self, hash_alg, name=None):
        self.hash_alg = hash_alg
        self.name = name or "ES" + _hash_name(hash_alg)[3:]

    @staticmethod
    def from_jwk(jwk):
        obj = _load_jwk(jwk)
        if obj.get("kty") != "EC":
            raise InvalidKeyError("Not an Elliptic curve key")
        if "x" not in obj or "y" not in obj:
            raise InvalidKeyError("Not an Elliptic curve key")
        crv = obj.get("crv")
        size = _EC_SIZES.get(crv) if isinstance(crv, str) else None
        if size is None:
            raise InvalidKeyError(f"Invalid curve: {crv}")
        x, y = _b64_member(obj, "x", "EC"), _b64_member(obj, "y", "EC")
        if len(x) > size or len(y) > size:
            raise InvalidKeyError(f"Coords should be {size} bytes for curve {crv}")
        # RFC 7518 wants full-length coordinates, but some writers (PyJWT
        # 2.6's to_jwk among them) drop leading zero bytes: pad them back
        x, y = x.rjust(size, b"\0"), y.rjust(size, b"\0")
        public = {"kty": "EC", "crv": crv, "x": obj["x"], "y": obj["y"]}
        return HostKey("jwk", hc.encode("EC", crv, x, y), "EC", public, private_jwk="d" in obj)


_OKP_SIZES = {"Ed25519": 32, "Ed448": 57}


class OKPAlgorithm(_HostAlgorithm):
    """EdDSA with Ed25519 or Ed448."""

    name = "EdDSA"

    def __init__(self, **kwargs):
        pass

    @staticmethod
    def from_jwk(jwk):
        obj = _load_jwk(jwk)
        if obj.get("kty") != "OKP":
            raise InvalidKeyError("Not an Octet Key Pair")
        crv = obj.get("crv")
        if crv not in _OKP_SIZES:
            raise InvalidKeyError(f"Invalid curve: {crv}")
        if "x" not in obj:
            raise InvalidKeyError('OKP should have "x" parameter')
        x = _b64_member(obj, "x", "OKP")
        if len(x) != _OKP_SIZES[crv]:
            raise InvalidKeyError("Invalid key parameter")
        public = {"kty": "OKP", "crv": crv, "x": obj["x"]}
        return HostKey("jwk", hc.encode("OKP", crv, x), "OKP", public, private_jwk="d" in obj)


def get_default_algorithms():
    """A new dict of every supported algorithm name -> Algorithm."""
    return {
        "none": NoneAlgorithm(),
        "HS256": HMACAlgorithm(HMACAlgorithm.SHA256),
        "HS384": HMACAlgorithm(HMACAlgorithm.SHA384),
        "HS512": HMACAlgorithm(HMACAlgorithm.SHA512),
        "RS256": RSAAlgorithm(RSAAlgorithm.SHA256),
        "RS384": RSAAlgorithm(RSAAlgorithm.SHA384),
        "RS512": RSAAlgorithm(RSAAlgorithm.SHA512),
        "PS256": RSAPSSAlgorithm(RSAPSSAlgorithm.SHA256),
        "PS384": RSAPSSAlgorithm(RSAPSSAlgorithm.SHA384),
        "PS512": RSAPSSAlgorithm(RSAPSSAlgorithm.SHA512),
        "ES256": ECAlgorithm(ECAlgorithm.SHA256),
        "ES256K": ECAlgorithm(ECAlgorithm.SHA256, name="ES256K"),
        "ES384": ECAlgorithm(ECAlgorithm.SHA384),
        "ES512": ECAlgorithm(ECAlgorithm.SHA512),
        "EdDSA": OKPAlgorithm(),
    }
