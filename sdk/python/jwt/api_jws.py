"""jwt.api_jws: JWS compact serialization (RFC 7515): header.payload.signature.

PyJWS splits and assembles tokens and checks signatures; the claims of a
JWT are api_jwt's business. The rules, as in PyJWT:
  - decode() with signature verification needs `algorithms`, the list of
    algorithms the caller accepts; the token's own "alg" must be in it
    (InvalidAlgorithmError otherwise), so a token cannot choose a weaker or
    different algorithm than the application expects;
  - "none" only ever verifies as False (InvalidSignatureError); a token
    without a signature is only readable with verify_signature=False;
  - the header must be a JSON object; "kid", when present, a string;
    "crit", when present, a non-empty list of the names of extensions this
    implementation understands ("b64", RFC 7797) that the header carries:
    RFC 7515 4.1.11 makes a token naming any other one invalid;
  - each segment is canonical base64url (RFC 7515 2: no "=" padding, no
    bits set past the last byte), so a segment's bytes have exactly one
    spelling;
  - an ECDSA signature (ES256, ES256K, ES384, ES512) is valid with S in
    either form, low (S <= n/2, n the curve's group order) or high, as in
    PyJWT and every JOSE library: RFC 7518 does not ask for low S, and most
    signers (python-cryptography, Go, Node, Java, identity providers) make
    a high S half the time. (R, n - S) verifies wherever (R, S) does, so
    the holder of a valid token can write a second valid token string with
    the same claims; an application that keys a replay cache or revocation
    list on the token string decodes with options={"require_low_s": True}
    (pyedge's option, not PyJWT's), which refuses a high S
    (InvalidSignatureError) once the signature has verified. The option
    belongs to signature verification: it does nothing with
    verify_signature False, nor to the other algorithms. pyedge itself
    signs with low S (the host normalizes it).
"""

import base64
import json
import re

from .algorithms import MAX_SIGNING_INPUT, ECAlgorithm, get_default_algorithms
from .exceptions import (
    DecodeError,
    InvalidAlgorithmError,
    InvalidSignatureError,
    InvalidTokenError,
)
from .utils import base64url_encode

# Header parameters that "crit" may name: the extensions this package
# implements (RFC 7797's unencoded payload). Anything else is refused.
_SUPPORTED_CRIT = frozenset({"b64"})

_B64URL = re.compile(rb"\A[A-Za-z0-9_-]*\Z")

# The group order n of each JWS ECDSA curve (SEC 2, FIPS 186-4) and the
# size in bytes of R and S in the signature, by algorithm name:
# require_low_s refuses S > n // 2.
_EC_ORDERS = {
    "ES256": (int("FFFFFFFF00000000FFFFFFFFFFFFFFFF"
                  "BCE6FAADA7179E84F3B9CAC2FC632551", 16), 32),  # P-256
    "ES256K": (int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFE"
                   "BAAEDCE6AF48A03BBFD25E8CD0364141", 16), 32),  # secp256k1
    "ES384": (int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
                  "C7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973", 16), 48),  # P-384
    "ES512": (int("01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
                  "FA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409", 16),
              66),  # P-521
}


def _segment(data, what):
    """A token segment, strict base64url -> bytes; DecodeError otherwise.

    jwt.utils.base64url_decode accepts "=" padding (JWKs in the wild carry
    it); a JWS segment may not (RFC 7515 2), and the last character must
    leave no stray bits, which base64 decoders silently drop: "...Q" and
    "...R" would otherwise be the same signature."""
    if not _B64URL.match(data) or len(data) % 4 == 1:
        raise DecodeError(f"Invalid {what} padding")
    raw = base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))
    if base64.urlsafe_b64encode(raw).rstrip(b"=") != data:
        raise DecodeError(f"Invalid {what} padding")
    return raw


__all__ = ["PyJWS", "encode", "decode", "decode_complete", "get_unverified_header",
           "get_algorithm_by_name", "register_algorithm", "unregister_algorithm"]


class PyJWS:
    header_typ = "JWT"

    def __init__(self, algorithms=None, options=None):
        self._algorithms = get_default_algorithms()
        self._valid_algs = set(algorithms) if algorithms is not None else set(self._algorithms)
        for name in list(self._algorithms):
            if name not in self._valid_algs:
                del self._algorithms[name]
        self.options = {"verify_signature": True, "require_low_s": False, **(options or {})}

    def register_algorithm(self, alg_id, alg_obj):
        from .algorithms import Algorithm

        if alg_id in self._algorithms:
            raise ValueError("Algorithm already has a handler.")
        if not isinstance(alg_obj, Algorithm):
            raise TypeError("Object is not of type `Algorithm`")
        self._algorithms[alg_id] = alg_obj
        self._valid_algs.add(alg_id)

    def unregister_algorithm(self, alg_id):
        if alg_id not in self._algorithms:
            raise KeyError("The specified algorithm could not be removed because it is not "
                           "registered.")
        del self._algorithms[alg_id]
        self._valid_algs.discard(alg_id)

    def get_algorithms(self):
        return list(self._valid_algs)

    def get_algorithm_by_name(self, alg_name):
        try:
            return self._algorithms[alg_name]
        except (KeyError, TypeError):
            raise NotImplementedError("Algorithm not supported") from None

    # ---- encoding -----------------------------------------------------------------

    def encode(self, payload, key, algorithm="HS256", headers=None, json_encoder=None,
               is_payload_detached=False):
        alg = algorithm if algorithm is not None else "none"
        if headers:
            if headers.get("alg"):
                alg = headers["alg"]
            if headers.get("b64") is False:
                is_payload_detached = True
        header = {"typ": self.header_typ, "alg": alg}
        if headers:
            # only kid: a producer may write "crit" for extensions that the
            # token's consumer (not this package) understands
            self._validate_kid(headers)
            header.update(headers)
        if not header["typ"]:
            del header["typ"]
        if is_payload_detached:
            header["b64"] = False
        else:
            header.pop("b64", None)
        json_header = json.dumps(header, separators=(",", ":"), cls=json_encoder,
                                 sort_keys=True).encode()
        segments = [base64url_encode(json_header)]
        segments.append(payload if is_payload_detached else base64url_encode(payload))
        signing_input = b".".join(segments)
        alg_obj = self.get_algorithm_by_name(alg)
        signature = alg_obj.sign(signing_input, alg_obj.prepare_key(key))
        segments.append(base64url_encode(signature))
        if is_payload_detached:
            segments[1] = b""
        return b".".join(segments).decode("utf-8")

    # ---- decoding -----------------------------------------------------------------

    def decode_complete(self, jwt, key="", algorithms=None, options=None,
                        detached_payload=None, **kwargs):
        merged = {**self.options, **(options or {})}
        if isinstance(algorithms, str):  # "RS256" must not also allow "RS2"
            algorithms = [algorithms]
        verify_signature = merged["verify_signature"]
        if verify_signature and not algorithms:
            raise DecodeError('It is required that you pass in a value for the "algorithms" '
                              "argument when calling decode().")
        payload, signing_input, header, signature = self._load(jwt)
        self._validate_headers(header)
        if header.get("b64", True) is False:
            if detached_payload is None:
                raise DecodeError('It is required that you pass in a value for the '
                                  '"detached_payload" argument to decode a message having the '
                                  "b64 header set to false.")
            payload = detached_payload
            signing_input = b".".join([signing_input.rsplit(b".", 1)[0], payload])
        if verify_signature:
            self._verify_signature(signing_input, header, signature, key, algorithms,
                                   require_low_s=merged.get("require_low_s", False))
        return {"payload": payload, "header": header, "signature": signature}

    def decode(self, jwt, key="", algorithms=None, options=None, detached_payload=None,
               **kwargs):
        return self.decode_complete(jwt, key, algorithms, options,
                                    detached_payload=detached_payload)["payload"]

    def get_unverified_header(self, jwt):
        """The token's header, NOT verified: do not trust it before decode()."""
        header = self._load(jwt)[2]
        self._validate_headers(header)
        return header

    def _load(self, jwt):
        if isinstance(jwt, str):
            jwt = jwt.encode("utf-8")
        if not isinstance(jwt, bytes):
            raise DecodeError(f"Invalid token type. Token must be a {bytes}")
        try:
            signing_input, crypto_segment = jwt.rsplit(b".", 1)
            header_segment, payload_segment = signing_input.split(b".", 1)
        except ValueError:
            raise DecodeError("Not enough segments") from None
        header_data = _segment(header_segment, "header")
        try:
            header = json.loads(header_data)
        except ValueError as e:
            raise DecodeError(f"Invalid header string: {e}") from None
        if not isinstance(header, dict):
            raise DecodeError("Invalid header string: must be a json object")
        payload = _segment(payload_segment, "payload")
        signature = _segment(crypto_segment, "crypto")
        return payload, signing_input, header, signature

    def _verify_signature(self, signing_input, header, signature, key="", algorithms=None,
                          require_low_s=False):
        alg = header.get("alg")
        if not isinstance(alg, str) or not alg or (algorithms is not None and
                                                   alg not in algorithms):
            raise InvalidAlgorithmError("The specified alg value is not allowed")
        try:
            alg_obj = self.get_algorithm_by_name(alg)
        except NotImplementedError:
            raise InvalidAlgorithmError("Algorithm not supported") from None
        if len(signing_input) > MAX_SIGNING_INPUT:
            raise DecodeError("Token too large")
        prepared = alg_obj.prepare_key(key)
        if not alg_obj.verify(signing_input, prepared, signature):
            raise InvalidSignatureError("Signature verification failed")
        if require_low_s:
            self._check_low_s(alg_obj, signature)

    @staticmethod
    def _check_low_s(alg_obj, signature):
        """options require_low_s: a verified ECDSA signature R || S must
        have S <= n/2 (see the module docstring); other algorithms pass."""
        if not isinstance(alg_obj, ECAlgorithm) or alg_obj.name not in _EC_ORDERS:
            return
        n, size = _EC_ORDERS[alg_obj.name]
        if len(signature) != 2 * size:  # not R || S: the host has refused it already
            raise InvalidSignatureError("Signature verification failed")
        if int.from_bytes(signature[size:], "big") > n // 2:
            raise InvalidSignatureError("Signature verification failed: ECDSA signature with a "
                                        "high S, above half the curve order "
                                        "(options require_low_s)")

    def _validate_headers(self, headers):
        """The header checks of decode() and get_unverified_header()."""
        self._validate_kid(headers)
        self._validate_crit(headers)

    @staticmethod
    def _validate_kid(headers):
        if "kid" in headers and not isinstance(headers["kid"], str):
            raise InvalidTokenError("Key ID header parameter must be a string")

    @staticmethod
    def _validate_crit(headers):
        """RFC 7515 4.1.11: "crit" lists extensions the recipient must
        understand, or refuse the token; never empty, never absent from the
        header."""
        if "crit" not in headers:
            return
        crit = headers["crit"]
        if not isinstance(crit, list) or not crit:
            raise InvalidTokenError("Invalid 'crit' header: must be a non-empty list")
        for name in crit:
            if not isinstance(name, str):
                raise InvalidTokenError("Invalid 'crit' header: values must be strings")
            if name not in _SUPPORTED_CRIT:
                raise InvalidTokenError(f"Unsupported critical extension: {name}")
            if name not in headers:
                raise InvalidTokenError(f"Critical extension '{name}' is missing from headers")


_jws = PyJWS()
encode = _jws.encode
decode = _jws.decode
decode_complete = _jws.decode_complete
get_unverified_header = _jws.get_unverified_header
get_algorithm_by_name = _jws.get_algorithm_by_name
register_algorithm = _jws.register_algorithm
unregister_algorithm = _jws.unregister_algorithm
