"""Escarcelle API keys at rest: Fernet, with keys derived from Django's secret keys.

The encryption key is HKDF-SHA256(SECRET_KEY, info=INFO). Ciphertexts made under an old
``SECRET_KEY`` stay readable as long as that key is listed in ``SECRET_KEY_FALLBACKS``;
``manage.py rotate_escarcelle_keys`` re-encrypts every stored key with the current one, after
which the fallback can be dropped (docs/operations.md).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

INFO = b"epiclic/escarcelle-api-key/v1"


class UndecryptableKey(Exception):
    """The stored key was encrypted under a secret key that is no longer configured."""


def _fernet(secret: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(
        secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def _multi() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return MultiFernet([_fernet(secret) for secret in secrets])


def encrypt(plain: str) -> str:
    return _multi().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _multi().decrypt(token.encode()).decode()
    except InvalidToken:
        raise UndecryptableKey("stored Escarcelle key cannot be decrypted") from None


def reencrypt(token: str) -> str:
    """The same secret, encrypted with the current SECRET_KEY."""
    try:
        return _multi().rotate(token.encode()).decode()
    except InvalidToken:
        raise UndecryptableKey("stored Escarcelle key cannot be decrypted") from None
