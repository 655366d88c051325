"""Encryption of channel credentials at rest (Fernet: AES-128-CBC with HMAC-SHA256).

The keys are KEFU_CHANNEL_SECRETS_KEYS (Fernet keys, comma-separated: the first encrypts, all
decrypt, so a key is rotated by putting the new one first). Without them one key is derived
from SECRET_KEY with HKDF — changing SECRET_KEY then makes the stored credentials unreadable,
which `decrypt` reports instead of returning garbage.
"""

from __future__ import annotations

import base64
import functools
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

HKDF_INFO = b"kefu channel account credentials"


class UnreadableSecrets(ValueError):
    """The stored credentials cannot be decrypted with the configured keys."""


def derived_key(secret_key: str) -> bytes:
    """A Fernet key from SECRET_KEY (HKDF-SHA256; the info string keeps it apart from other uses)."""
    material = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(secret_key.encode())
    return base64.urlsafe_b64encode(material)


@functools.cache
def _fernet() -> MultiFernet:
    configured: list[str] = list(settings.KEFU_CHANNEL_SECRETS_KEYS)
    keys = [key.encode() for key in configured] or [derived_key(settings.SECRET_KEY)]
    return MultiFernet([Fernet(key) for key in keys])  # a malformed key fails here, loudly


@receiver(setting_changed)
def _forget_keys(*, setting: str, **kwargs: object) -> None:
    # Tests change the keys with pytest-django's `settings`; production settings never change.
    if setting in {"KEFU_CHANNEL_SECRETS_KEYS", "SECRET_KEY"}:
        _fernet.cache_clear()


def encrypt(values: dict[str, str]) -> str:
    """The credentials as one token; an empty dict is stored as nothing."""
    if not values:
        return ""
    return _fernet().encrypt(json.dumps(values, ensure_ascii=False, sort_keys=True).encode()).decode("ascii")


def decrypt(token: str) -> dict[str, str]:
    if not token:
        return {}
    try:
        data = json.loads(_fernet().decrypt(token.encode("ascii")))
    except (InvalidToken, ValueError) as error:
        raise UnreadableSecrets("the channel credentials cannot be decrypted with the configured keys") from error
    if not isinstance(data, dict):
        raise UnreadableSecrets("the channel credentials are not a JSON object")
    return {str(name): str(value) for name, value in data.items()}
