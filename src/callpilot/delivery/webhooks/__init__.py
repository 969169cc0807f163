"""Outgoing webhooks: URL policy (no requests to internal or metadata addresses), Standard Webhooks signing,
the subscription as an outbox destination, and the registration service."""

from callpilot.delivery.webhooks.signing import WebhookSigner, generate_secret
from callpilot.delivery.webhooks.urls import UrlPolicy

__all__ = ["UrlPolicy", "WebhookSigner", "generate_secret"]
