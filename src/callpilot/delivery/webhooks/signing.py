"""Signing per the Standard Webhooks specification (webhook-id, webhook-timestamp, webhook-signature:
HMAC-SHA256 over ``id.timestamp.body``), with the specification's own Python library (``standardwebhooks``),
so that any receiver using a Standard Webhooks verifier accepts our requests."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from callpilot.core.errors import ConfigError

__all__ = ["SECRET_PREFIX", "WebhookSigner", "generate_secret"]

SECRET_PREFIX = "whsec_"


def generate_secret() -> str:
    """A new signing secret in the specification's format: ``whsec_`` and 24 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


class WebhookSigner:
    def __init__(self, secret: str) -> None:
        if not secret.startswith(SECRET_PREFIX):
            raise ConfigError(f"a webhook secret starts with {SECRET_PREFIX!r} (see generate_secret)")
        try:
            self._webhook = Webhook(secret)
        except Exception as exc:  # the library raises plain exceptions for a bad key
            raise ConfigError(f"not a valid webhook secret: {type(exc).__name__}") from exc

    def headers(self, msg_id: str, body: str, *, timestamp: datetime | None = None) -> dict[str, str]:
        """The three headers of one delivery attempt; ``msg_id`` stays the same across retries, so receivers
        can drop duplicates."""
        when = timestamp or datetime.now(UTC)
        return {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(when.timestamp())),
            "webhook-signature": self._webhook.sign(msg_id, when, body),
            "content-type": "application/json",
        }

    def verify(self, body: bytes | str, headers: dict[str, str]) -> None:
        """What a receiver does (tests, the benchmark's receiver); raises on a bad or stale signature."""
        self._webhook.verify(body, headers)
