"""jwt: JSON Web Tokens for pyedge apps, with PyJWT's interface.

    import jwt
    token = jwt.encode({"sub": "42"}, "secret", algorithm="HS256")
    claims = jwt.decode(token, PUBLIC_KEY_PEM, algorithms=["RS256"],
                        audience="api", issuer="https://issuer.example")

Inside pyedge's sandbox this package is found before any other `jwt` (it
lives in the SDK directory, on PYTHONPATH; an app that ships its own `jwt`
still gets its own). HMAC algorithms run in the sandbox; RSA, RSA-PSS,
ECDSA and EdDSA signatures are checked by the host with OpenSSL (the
"crypto" host service, docs/hostcall.md), so those need `pyedge up`.

Supported: HS256/384/512, RS256/384/512, PS256/384/512, ES256, ES256K,
ES384, ES512, EdDSA (Ed25519, Ed448); keys as PEM (public key, certificate,
unencrypted private key for encode) or JWK (PyJWK, PyJWKSet,
jwt.algorithms.RSAAlgorithm.from_jwk ...). Not provided: PyJWKClient (no
background fetching), OpenSSH-format keys, signing with a JWK private key.
"""

from .api_jwk import PyJWK, PyJWKSet
from .api_jws import (
    PyJWS,
    get_algorithm_by_name,
    get_unverified_header,
    register_algorithm,
    unregister_algorithm,
)
from .api_jwt import PyJWT, decode, decode_complete, encode
from .exceptions import (
    DecodeError,
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAlgorithmError,
    InvalidAudienceError,
    InvalidIssuedAtError,
    InvalidIssuerError,
    InvalidKeyError,
    InvalidSignatureError,
    InvalidTokenError,
    MissingRequiredClaimError,
    PyJWKClientError,
    PyJWKError,
    PyJWKSetError,
    PyJWTError,
)

__version__ = "2.6.0"  # the PyJWT interface this follows

__all__ = [
    "PyJWS", "PyJWT", "PyJWK", "PyJWKSet", "decode", "decode_complete", "encode",
    "get_unverified_header", "register_algorithm", "unregister_algorithm",
    "get_algorithm_by_name",
    "DecodeError", "ExpiredSignatureError", "ImmatureSignatureError", "InvalidAlgorithmError",
    "InvalidAudienceError", "InvalidIssuedAtError", "InvalidIssuerError", "InvalidKeyError",
    "InvalidSignatureError", "InvalidTokenError", "MissingRequiredClaimError",
    "PyJWKClientError", "PyJWKError", "PyJWKSetError", "PyJWTError",
]
