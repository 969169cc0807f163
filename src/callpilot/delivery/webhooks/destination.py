"""WebhookDestination: one subscription as an outbox destination. Each attempt checks the URL again (every
resolved address, against DNS rebinding), signs the body (Standard Webhooks, the row's key as ``webhook-id`` on
every attempt) and POSTs it without following redirects; the answer is classified by the retry policy."""

from __future__ import annotations

import asyncio

import httpx

from callpilot.analyzers.pii.vault import Vault, VaultError
from callpilot.core.errors import InvalidInput
from callpilot.delivery.outbox.destination import Attempt, Destination
from callpilot.delivery.outbox.retry import Outcome, classify_response
from callpilot.delivery.outbox.store import Delivery, Subscription
from callpilot.delivery.webhooks.signing import WebhookSigner
from callpilot.delivery.webhooks.urls import UrlPolicy

__all__ = ["WebhookDestination"]


class WebhookDestination(Destination):
    def __init__(self, sub: Subscription, *, vault: Vault, policy: UrlPolicy, client: httpx.AsyncClient) -> None:
        self.sub, self.id = sub, sub.id
        self.vault, self.policy, self.client = vault, policy, client

    def wants(self, event_type: str) -> bool:
        return self.sub.wants(event_type)

    async def send(self, delivery: Delivery) -> Attempt:
        if not self.sub.enabled:
            return Attempt(Outcome.DEAD, error="the webhook is disabled")
        try:
            await asyncio.to_thread(self.policy.check_url, self.sub.url)
            signer = WebhookSigner(self.vault.open(self.sub.secret_sealed))
        except InvalidInput as exc:
            return Attempt(Outcome.DEAD, error=str(exc))
        except VaultError:
            return Attempt(Outcome.DEAD, error="the signing secret was sealed with another vault key")
        try:
            response = await self.client.post(self.sub.url, content=delivery.payload.encode(),
                                              headers=signer.headers(delivery.msg_id, delivery.payload))
        except httpx.TimeoutException:
            return Attempt(Outcome.RETRY, error="the receiver did not answer in time")
        except httpx.HTTPError as exc:
            return Attempt(Outcome.RETRY, error=f"no answer: {type(exc).__name__}")
        status = response.status_code
        if 300 <= status < 400:
            error: str | None = f"HTTP {status}: redirects are not followed (update the webhook's URL)"
        else:
            error = f"HTTP {status}" if status >= 400 else None
        return Attempt(classify_response(status), status=status, error=error,
                       retry_after=response.headers.get("retry-after"))
