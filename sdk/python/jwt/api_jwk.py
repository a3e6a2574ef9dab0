"""jwt.api_jwk: PyJWK (one JSON Web Key, RFC 7517) and PyJWKSet (a
{"keys": [...]} document), as in PyJWT: the key's algorithm comes from its
"alg" member, or else from kty and crv; .key is what decode() takes.

Public keys only for the asymmetric types: .key of an RSA, EC or OKP JWK is
a HostKey holding the public components (a JWK with a private part "d" can
verify but not sign; sign with a PEM private key). PyJWKClient, which
fetches a JWK Set over HTTP, is not provided: fetch the set with
spin_sdk.http.send and give it to PyJWKSet.from_json.
"""

import json

from .algorithms import get_default_algorithms
from .exceptions import InvalidKeyError, PyJWKError, PyJWKSetError

__all__ = ["PyJWK", "PyJWKSet"]


class PyJWK:
    def __init__(self, jwk_data, algorithm=None):
        if not isinstance(jwk_data, dict):
            raise InvalidKeyError("A JWK must be a JSON object")
        self._algorithms = get_default_algorithms()
        self._jwk_data = jwk_data
        kty = jwk_data.get("kty")
        if not kty:
            raise InvalidKeyError(f"kty is not found: {jwk_data}")
        if not algorithm:
            algorithm = jwk_data.get("alg")
        if not algorithm:
            crv = jwk_data.get("crv")
            if kty == "EC":
                by_crv = {None: "ES256", "P-256": "ES256", "P-384": "ES384", "P-521": "ES512",
                          "secp256k1": "ES256K"}
                if crv not in by_crv:
                    raise InvalidKeyError(f"Unsupported crv: {crv}")
                algorithm = by_crv[crv]
            elif kty == "RSA":
                algorithm = "RS256"
            elif kty == "oct":
                algorithm = "HS256"
            elif kty == "OKP":
                if not crv:
                    raise InvalidKeyError(f"crv is not found: {jwk_data}")
                if crv not in ("Ed25519", "Ed448"):
                    raise InvalidKeyError(f"Unsupported crv: {crv}")
                algorithm = "EdDSA"
            else:
                raise InvalidKeyError(f"Unsupported kty: {kty}")
        self.Algorithm = self._algorithms.get(algorithm)
        if not self.Algorithm:
            raise PyJWKError(f"Unable to find an algorithm for key: {jwk_data}")
        self.key = self.Algorithm.from_jwk(jwk_data)

    @staticmethod
    def from_dict(obj, algorithm=None):
        return PyJWK(obj, algorithm)

    @staticmethod
    def from_json(data, algorithm=None):
        return PyJWK.from_dict(json.loads(data), algorithm)

    @property
    def key_type(self):
        return self._jwk_data.get("kty")

    @property
    def key_id(self):
        return self._jwk_data.get("kid")

    @property
    def public_key_use(self):
        return self._jwk_data.get("use")


class PyJWKSet:
    def __init__(self, keys):
        self.keys = []
        if not keys:
            raise PyJWKSetError("The JWK Set did not contain any keys")
        if not isinstance(keys, list):
            raise PyJWKSetError("Invalid JWK Set value")
        for key in keys:
            try:
                self.keys.append(PyJWK(key))
            except PyJWKError:
                continue  # an unusable key is skipped
        if not self.keys:
            raise PyJWKSetError("The JWK Set did not contain any usable keys")

    @staticmethod
    def from_dict(obj):
        return PyJWKSet(obj.get("keys", []))

    @staticmethod
    def from_json(data):
        return PyJWKSet.from_dict(json.loads(data))

    def __getitem__(self, kid):
        for key in self.keys:
            if key.key_id == kid:
                return key
        raise KeyError(f"keyset has no key for kid: {kid}")
