"""The HTTP side the connectors share: a ``requests`` session for the SDKs built on it (simple-salesforce,
Zenpy) with a default timeout (``requests`` has none), the TLS bundle, and the last response kept per thread,
because those SDKs drop the response headers (``Retry-After``) when they raise; and the translation of an
HTTP status into ``DeliveryFailed``."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import requests

from callpilot.delivery.errors import DeliveryFailed

__all__ = ["CrmSession", "failure", "retry_after_seconds"]


class CrmSession(requests.Session):
    def __init__(self, *, timeout_seconds: float, ca_bundle: str | None = None) -> None:
        super().__init__()
        self.timeout_seconds = timeout_seconds
        if ca_bundle:
            self.verify = ca_bundle
        self._last = threading.local()
        self.hooks["response"].append(self._keep)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout_seconds
        # per request: REQUESTS_CA_BUNDLE in the environment would otherwise win over the session's bundle
        # (psf/requests#3829)
        kwargs.setdefault("verify", self.verify)
        self._last.response = None
        return super().request(method, url, *args, **kwargs)

    def last_response(self) -> requests.Response | None:
        """The response of this thread's last request (None when it got none)."""
        return getattr(self._last, "response", None)

    def _keep(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last.response = response


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    value = (headers or {}).get("Retry-After") or (headers or {}).get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare from CRMs; the outbox's backoff decides


def failure(crm: str, what: str, status: int | None, detail: str, headers: Mapping[str, str] | None = None
            ) -> DeliveryFailed:
    """A CRM's answer as a DeliveryFailed: 408, 429 and 5xx (and no answer) are retried; the rest is a dead
    letter, since the same request cannot succeed (a rejected field, a refused token)."""
    retryable = status is None or status >= 500 or status in (408, 429)
    where = f"HTTP {status}" if status is not None else "no answer"
    message = f"{crm} {what}: {where}: {detail}".strip().rstrip(":")
    return DeliveryFailed(message[:480], retryable=retryable, status=status,
                          retry_after=retry_after_seconds(headers) if status == 429 else None)
