"""Outgoing webhooks: URL policy (no requests to internal or metadata addresses), Standard Webhooks signing,
and the retry policy."""

from callpilot.delivery.webhooks.retry import Outcome, RetryPolicy, classify_response
from callpilot.delivery.webhooks.signing import WebhookSigner, generate_secret
from callpilot.delivery.webhooks.urls import UrlPolicy

__all__ = ["Outcome", "RetryPolicy", "UrlPolicy", "WebhookSigner", "classify_response", "generate_secret"]
