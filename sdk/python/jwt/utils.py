"""jwt.utils: base64url (RFC 7515 2) and the checks that tell a PEM or SSH
key from an HMAC secret.

Decoding is strict: only the URL-safe alphabet, no padding characters
inside, and a length that a base64 encoding can have. (A lenient decoder
that skips stray characters would accept many spellings of one token.)
"""

import base64
import binascii
import re

__all__ = [
    "force_bytes", "base64url_encode", "base64url_decode", "to_base64url_uint",
    "from_base64url_uint", "is_pem_format", "is_ssh_key",
]

_B64URL = re.compile(rb"\A[A-Za-z0-9_-]*\Z")


def force_bytes(value):
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError("Expected a string value")


def base64url_encode(data):
    """bytes -> base64url bytes without padding."""
    return base64.urlsafe_b64encode(force_bytes(data)).rstrip(b"=")


def base64url_decode(data):
    """base64url (str or bytes, padding optional) -> bytes; binascii.Error
    if it is not base64url."""
    data = force_bytes(data)
    if data.endswith(b"="):
        data = data[:-2] if data.endswith(b"==") else data[:-1]
    if not _B64URL.match(data) or len(data) % 4 == 1:
        raise binascii.Error("not base64url")
    return base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))


def to_base64url_uint(val):
    if not isinstance(val, int) or val < 0:
        raise ValueError("Must be a positive integer")
    return base64url_encode(val.to_bytes(max(1, (val.bit_length() + 7) // 8), "big"))


def from_base64url_uint(val):
    return int.from_bytes(base64url_decode(val), "big")


_PEM_RE = re.compile(rb"-----BEGIN [A-Z0-9 ]+-----")
_SSH_TYPES = (b"ssh-ed25519", b"ssh-rsa", b"ssh-dss", b"ecdsa-sha2-nistp256",
              b"ecdsa-sha2-nistp384", b"ecdsa-sha2-nistp521")
_SSH_CERT = re.compile(rb"\A\S+-cert-v01@openssh\.com[ \t]")


def is_pem_format(key):
    """Whether key (bytes) holds a PEM block (a key or certificate)."""
    return bool(_PEM_RE.search(key))


def is_ssh_key(key):
    """Whether key (bytes) looks like an OpenSSH public key."""
    return any(t in key for t in _SSH_TYPES) or bool(_SSH_CERT.match(key))
