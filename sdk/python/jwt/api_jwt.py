"""jwt.api_jwt: JSON Web Tokens (RFC 7519) on top of api_jws.

encode() serializes a claims mapping (datetime values of exp, iat and nbf
become NumericDates); decode() verifies the signature (api_jws), parses the
payload as a JSON object and validates the registered claims, with PyJWT's
options and defaults:

  verify_signature  True; when False, the other verify_* default to False
  verify_exp        exp <= now - leeway      -> ExpiredSignatureError
  verify_nbf        nbf >  now + leeway      -> ImmatureSignatureError
  verify_iat        iat not a number         -> InvalidIssuedAtError,
                    iat >  now + leeway      -> ImmatureSignatureError
  verify_aud        audience given: aud must name one of them, a token
                    with aud but no audience given is refused too
  verify_iss        issuer given: iss must equal it
  require           claim names that must be present (MissingRequiredClaimError)
  require_low_s     False; True refuses an ECDSA signature (ES256, ES256K,
                    ES384, ES512) whose S is above half the curve order,
                    the second spelling of a valid token, with
                    InvalidSignatureError (see api_jws); other algorithms
                    are not concerned
"""

import json
import time
from calendar import timegm
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from . import api_jws
from .exceptions import (
    DecodeError,
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAudienceError,
    InvalidIssuedAtError,
    InvalidIssuerError,
    MissingRequiredClaimError,
)

__all__ = ["PyJWT", "encode", "decode", "decode_complete"]


def _numeric(value, error, what):
    """int(value) for a JSON number claim; error(what) for anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise error(f"{what} must be an integer.")
    try:
        return int(value)
    except (ValueError, OverflowError):
        raise error(f"{what} must be an integer.") from None


class PyJWT:
    def __init__(self, options=None):
        self.options = {**self._get_default_options(), **(options or {})}

    @staticmethod
    def _get_default_options():
        return {
            "verify_signature": True,
            "verify_exp": True,
            "verify_nbf": True,
            "verify_iat": True,
            "verify_aud": True,
            "verify_iss": True,
            "require": [],
            "require_low_s": False,
        }

    def encode(self, payload, key, algorithm="HS256", headers=None, json_encoder=None):
        if not isinstance(payload, Mapping):
            raise TypeError("Expecting a mapping object, as JWT only supports JSON objects as "
                            "payloads.")
        payload = dict(payload)
        for claim in ("exp", "iat", "nbf"):
            if isinstance(payload.get(claim), datetime):
                payload[claim] = timegm(payload[claim].utctimetuple())
        json_payload = json.dumps(payload, separators=(",", ":"), cls=json_encoder).encode()
        return api_jws.encode(json_payload, key, algorithm, headers, json_encoder)

    def decode_complete(self, jwt, key="", algorithms=None, options=None, verify=None,
                        detached_payload=None, audience=None, issuer=None, leeway=0, **kwargs):
        options = dict(options or {})
        options.setdefault("verify_signature", True)
        if not options["verify_signature"]:
            for name in ("verify_exp", "verify_nbf", "verify_iat", "verify_aud", "verify_iss"):
                options.setdefault(name, False)
        if options["verify_signature"] and not algorithms:
            raise DecodeError('It is required that you pass in a value for the "algorithms" '
                              "argument when calling decode().")
        # the signature options go to api_jws: require_low_s may come from
        # this instance's options (PyJWT(options=...)) as well as the call's
        jws_options = {**options,
                       "require_low_s": {**self.options, **options}.get("require_low_s", False)}
        decoded = api_jws.decode_complete(jwt, key=key, algorithms=algorithms,
                                          options=jws_options, detached_payload=detached_payload)
        try:
            payload = json.loads(decoded["payload"])
        except ValueError as e:
            raise DecodeError(f"Invalid payload string: {e}") from None
        if not isinstance(payload, dict):
            raise DecodeError("Invalid payload string: must be a json object")
        merged = {**self.options, **options}
        self._validate_claims(payload, merged, audience=audience, issuer=issuer, leeway=leeway)
        decoded["payload"] = payload
        return decoded

    def decode(self, jwt, key="", algorithms=None, options=None, verify=None,
               detached_payload=None, audience=None, issuer=None, leeway=0, **kwargs):
        return self.decode_complete(jwt, key, algorithms, options, verify=verify,
                                    detached_payload=detached_payload, audience=audience,
                                    issuer=issuer, leeway=leeway)["payload"]

    # ---- claims ------------------------------------------------------------------------

    def _validate_claims(self, payload, options, audience=None, issuer=None, leeway=0):
        if isinstance(leeway, timedelta):
            leeway = leeway.total_seconds()
        if audience is not None and not isinstance(audience, (str, Iterable)):
            raise TypeError("audience must be a string, iterable or None")
        for claim in options["require"]:
            if payload.get(claim) is None:
                raise MissingRequiredClaimError(claim)
        now = int(time.time())
        if "iat" in payload and options["verify_iat"]:
            iat = _numeric(payload["iat"], InvalidIssuedAtError, "Issued At claim (iat)")
            if iat > now + leeway:
                raise ImmatureSignatureError("The token is not yet valid (iat)")
        if "nbf" in payload and options["verify_nbf"]:
            nbf = _numeric(payload["nbf"], DecodeError, "Not Before claim (nbf)")
            if nbf > now + leeway:
                raise ImmatureSignatureError("The token is not yet valid (nbf)")
        if "exp" in payload and options["verify_exp"]:
            exp = _numeric(payload["exp"], DecodeError, "Expiration Time claim (exp)")
            if exp <= now - leeway:
                raise ExpiredSignatureError("Signature has expired")
        if options["verify_iss"]:
            self._validate_iss(payload, issuer)
        if options["verify_aud"]:
            self._validate_aud(payload, audience)

    @staticmethod
    def _validate_aud(payload, audience):
        if audience is None:
            if payload.get("aud"):
                raise InvalidAudienceError("Invalid audience")
            return
        if not payload.get("aud"):
            raise MissingRequiredClaimError("aud")
        claims = payload["aud"]
        if isinstance(claims, str):
            claims = [claims]
        if not isinstance(claims, list) or any(not isinstance(c, str) for c in claims):
            raise InvalidAudienceError("Invalid claim format in token")
        wanted = [audience] if isinstance(audience, str) else list(audience)
        if not any(a in claims for a in wanted):
            raise InvalidAudienceError("Invalid audience")

    @staticmethod
    def _validate_iss(payload, issuer):
        if issuer is None:
            return
        if "iss" not in payload:
            raise MissingRequiredClaimError("iss")
        if payload["iss"] != issuer:
            raise InvalidIssuerError("Invalid issuer")


_jwt = PyJWT()
encode = _jwt.encode
decode_complete = _jwt.decode_complete
decode = _jwt.decode
