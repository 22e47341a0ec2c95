"""Realm signing keys, RS256 JSON Web Tokens and JWKS documents (uses the ``cryptography`` package)."""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import threading
from typing import Any, Dict, Optional

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

_cache_lock = threading.Lock()
_private_cache: Dict[str, Any] = {}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def new_realm_key(realm: str) -> Dict[str, str]:
    """An RSA-2048 key with a self-signed certificate, the way Keycloak's ``rsa-generated`` provider keeps one."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()
    thumbprint = json.dumps(
        {"e": b64url(_int_bytes(numbers.e)), "kty": "RSA", "n": b64url(_int_bytes(numbers.n))},
        separators=(",", ":"), sort_keys=True,
    )
    kid = b64url(hashlib.sha256(thumbprint.encode()).digest())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, realm)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return {
        "kid": kid,
        "private_pem": pem,
        "certificate": base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode(),
    }


def _private_key(key: Dict[str, str]) -> Any:
    with _cache_lock:
        cached = _private_cache.get(key["kid"])
        if cached is None:
            cached = serialization.load_pem_private_key(key["private_pem"].encode(), password=None)
            _private_cache[key["kid"]] = cached
        return cached


def public_key_b64(key: Dict[str, str]) -> str:
    """The realm's ``public_key`` as ``GET /realms/{realm}`` shows it (DER SubjectPublicKeyInfo, base64)."""
    der = _private_key(key).public_key().public_bytes(serialization.Encoding.DER,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def jwk(key: Dict[str, str]) -> Dict[str, Any]:
    numbers = _private_key(key).public_key().public_numbers()
    der = base64.b64decode(key["certificate"])
    return {
        "kid": key["kid"],
        "kty": "RSA",
        "alg": "RS256",
        "use": "sig",
        "n": b64url(_int_bytes(numbers.n)),
        "e": b64url(_int_bytes(numbers.e)),
        "x5c": [key["certificate"]],
        "x5t": b64url(hashlib.sha1(der).digest()),  # nosec - thumbprint format mandated by RFC 7517
        "x5t#S256": b64url(hashlib.sha256(der).digest()),
    }


def sign(key: Dict[str, str], claims: Dict[str, Any]) -> str:
    header = {"alg": "RS256", "typ": "JWT", "kid": key["kid"]}
    signing_input = "%s.%s" % (b64url(json.dumps(header, separators=(",", ":")).encode()),
                               b64url(json.dumps(claims, separators=(",", ":")).encode()))
    signature = _private_key(key).sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64url(signature)


def unverified_claims(token: str) -> Optional[Dict[str, Any]]:
    try:
        return json.loads(b64url_decode(token.split(".")[1]))
    except (ValueError, IndexError):
        return None


def verify(key: Dict[str, str], token: str) -> Optional[Dict[str, Any]]:
    """Claims of a token signed by ``key``, or None (bad format or signature). Expiry is the caller's check."""
    try:
        head, body, signature = token.split(".")
        _private_key(key).public_key().verify(b64url_decode(signature), ("%s.%s" % (head, body)).encode(),
                                              padding.PKCS1v15(), hashes.SHA256())
        return json.loads(b64url_decode(body))
    except (ValueError, InvalidSignature):
        return None
