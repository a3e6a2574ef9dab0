"""jwt.exceptions: the error classes, in PyJWT's hierarchy, so that apps
catching jwt.InvalidTokenError (or any narrower class) behave the same.

    PyJWTError
     +-- InvalidTokenError          the token must be refused
     |    +-- DecodeError           not a well-formed JWS/JWT
     |    |    +-- InvalidSignatureError
     |    +-- ExpiredSignatureError (exp)
     |    +-- InvalidAudienceError  (aud)
     |    +-- InvalidIssuerError    (iss)
     |    +-- InvalidIssuedAtError  (iat not a number)
     |    +-- ImmatureSignatureError (nbf or iat in the future)
     |    +-- InvalidAlgorithmError (alg not allowed or not supported)
     |    +-- MissingRequiredClaimError
     +-- InvalidKeyError            the key given by the app is unusable
     +-- PyJWKError, PyJWKSetError, PyJWKClientError

An InvalidKeyError is the app's mistake (a wrong or malformed key, a key of
the wrong type for the algorithm), not the token's: it is deliberately not
an InvalidTokenError.
"""

__all__ = [
    "PyJWTError", "InvalidTokenError", "DecodeError", "InvalidSignatureError",
    "ExpiredSignatureError", "InvalidAudienceError", "InvalidIssuerError",
    "InvalidIssuedAtError", "ImmatureSignatureError", "InvalidKeyError",
    "InvalidAlgorithmError", "MissingRequiredClaimError", "PyJWKError", "PyJWKSetError",
    "PyJWKClientError",
]


class PyJWTError(Exception):
    """Base class of every error raised by this package."""


class InvalidTokenError(PyJWTError):
    """The token cannot be accepted."""


class DecodeError(InvalidTokenError):
    """The token is not a well-formed JWS or its payload is not a JSON object."""


class InvalidSignatureError(DecodeError):
    """The signature does not match the header, payload and key."""


class ExpiredSignatureError(InvalidTokenError):
    """The exp claim is in the past (beyond the leeway)."""


class InvalidAudienceError(InvalidTokenError):
    """The aud claim does not name the expected audience."""


class InvalidIssuerError(InvalidTokenError):
    """The iss claim is not the expected issuer."""


class InvalidIssuedAtError(InvalidTokenError):
    """The iat claim is not a number."""


class ImmatureSignatureError(InvalidTokenError):
    """The nbf (or iat) claim is in the future (beyond the leeway)."""


class InvalidKeyError(PyJWTError):
    """The key cannot be used: malformed, or of the wrong type for the algorithm."""


class InvalidAlgorithmError(InvalidTokenError):
    """The token's alg is not among the allowed algorithms, or not supported."""


class MissingRequiredClaimError(InvalidTokenError):
    """A claim the caller requires is absent."""

    def __init__(self, claim):
        super().__init__(claim)
        self.claim = claim

    def __str__(self):
        return f'Token is missing the "{self.claim}" claim'


class PyJWKError(PyJWTError):
    """A JWK cannot be used."""


class PyJWKSetError(PyJWTError):
    """A JWK Set is malformed or has no usable key."""


class PyJWKClientError(PyJWTError):
    """Fetching a JWK Set failed (PyJWKClient is not available in pyedge)."""
