"""Sealed secrets: AES-256-GCM, so a secret can travel over Kafka and rest in Redis unreadable.

Intake seals each system's webhook signing secret; the notifier, which holds the same sealing
key, opens it when it signs a delivery. Neither Kafka nor either service's Redis ever holds
a secret in the clear, and nothing is derived from the key: without a sealed value, the key
tells nothing about any secret.

A sealed value reads ``v1.<key id>.<base64url(nonce | ciphertext | tag)>``. The key id is
the first 8 hex digits of the key's SHA-256, so a keyring can hold old keys for opening
while the first one seals (key rotation). The associated data binds the value to its
context (the system id): a sealed secret copied onto another system does not open.

A key is configured as text of at least 32 characters (``secrets.token_urlsafe(32)``); the
AES key is its HKDF-SHA256 expansion.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["MIN_KEY_CHARS", "SealingError", "SecretBox", "parse_keyring"]

MIN_KEY_CHARS = 32
_VERSION = "v1"
_NONCE_BYTES = 12
_INFO = b"sysaccess webhook secret sealing v1"


class SealingError(ValueError):
    """A sealed value that does not open: unknown key, tampered, or sealed for another context."""


def _aes_key(material: str) -> bytes:
    if len(material) < MIN_KEY_CHARS:
        raise ValueError(f"a sealing key needs at least {MIN_KEY_CHARS} characters")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(material.encode())


def parse_keyring(text: str) -> list[str]:
    """Keys from a setting: comma- or whitespace-separated; the first one seals."""
    return [part for part in text.replace(",", " ").split() if part]


class SecretBox:
    """Seals with the first key of the ring and opens with any of them."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("a SecretBox needs at least one key")
        self._keys = [(hashlib.sha256(k).hexdigest()[:8], AESGCM(k)) for k in map(_aes_key, keys)]

    def seal(self, plaintext: str, context: str) -> str:
        kid, aead = self._keys[0]
        nonce = os.urandom(_NONCE_BYTES)
        sealed = nonce + aead.encrypt(nonce, plaintext.encode(), context.encode())
        return f"{_VERSION}.{kid}.{base64.urlsafe_b64encode(sealed).decode().rstrip('=')}"

    def open(self, sealed: str, context: str) -> str:
        try:
            version, kid, data = sealed.split(".")
            raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
        except ValueError as exc:
            raise SealingError("not a sealed value") from exc
        if version != _VERSION:
            raise SealingError(f"unknown sealing version {version!r}")
        aead = next((aead for key_id, aead in self._keys if key_id == kid), None)
        if aead is None:
            raise SealingError(f"no key {kid} in the keyring")
        try:
            return aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode()).decode()
        except (InvalidTag, ValueError) as exc:
            raise SealingError("the sealed value does not open with its key and context") from exc
