"""The vault: raw values of personal data that are needed later (a phone number for the CRM), encrypted.

Sealed values are Fernet tokens (AES-128-CBC with HMAC-SHA256, from the ``cryptography`` package), stored in the
PII events instead of clear text; only a holder of the key reads them, and the service records every read as a
``PiiRevealed`` event. Several comma-separated keys rotate: the first seals, any of them opens.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from callpilot.core.errors import CallpilotError, ConfigError

__all__ = ["Vault", "VaultError"]

_KEY_HINT = ("make one with: python -c 'from cryptography.fernet import Fernet; "
             "print(Fernet.generate_key().decode())'")


class VaultError(CallpilotError):
    """A sealed value could not be opened (wrong key, or the token was altered)."""


class Vault:
    """Seals and opens values with the configured key(s); without a key, with a key that lives only as long as
    this process (``persistent`` is then False, and nothing sealed survives a restart)."""

    def __init__(self, keys: str | None = None) -> None:
        self.persistent = bool(keys)
        if not keys:
            self._fernet = MultiFernet([Fernet(Fernet.generate_key())])
            return
        try:
            self._fernet = MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"vault_key: not a Fernet key (32 url-safe base64-encoded bytes); {_KEY_HINT}") from exc

    def seal(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def open(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise VaultError("this value was sealed with another vault key, or altered") from exc
