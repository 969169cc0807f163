"""WebhookDestination: one subscription as an outbox destination. Each round of sends checks the URL again
(every resolved address, against DNS rebinding); each attempt signs the body (Standard Webhooks, the row's key
as ``webhook-id`` on every attempt) and POSTs it without following redirects; the answer is classified by the
retry policy.

The POSTs go through aiohttp rather than httpx (used elsewhere): with 16 requests in flight, httpx's connection
pool spent most of the sender's CPU (about 320 requests/s against 3,600 with aiohttp on the benchmark
machine), and the outbox is the one place that sends at that rate.
"""

from __future__ import annotations

import asyncio

import aiohttp

from callpilot.analyzers.pii.vault import Vault, VaultError
from callpilot.core.errors import InvalidInput
from callpilot.delivery.outbox.destination import Attempt, Destination
from callpilot.delivery.outbox.retry import Outcome, classify_response
from callpilot.delivery.outbox.store import Delivery, Subscription
from callpilot.delivery.webhooks.signing import WebhookSigner
from callpilot.delivery.webhooks.urls import UrlPolicy

__all__ = ["WebhookDestination"]


class WebhookDestination(Destination):
    def __init__(self, sub: Subscription, *, vault: Vault, policy: UrlPolicy, client: aiohttp.ClientSession) -> None:
        self.sub, self.id = sub, sub.id
        self.vault, self.policy, self.client = vault, policy, client
        self._checked: WebhookSigner | Attempt | None = None  # the URL check and the key, once per round

    def wants(self, event_type: str) -> bool:
        return self.sub.wants(event_type)

    async def send(self, delivery: Delivery) -> Attempt:
        if not self.sub.enabled:
            return Attempt(Outcome.DEAD, error="the webhook is disabled")
        signer = await self._signer()
        if isinstance(signer, Attempt):
            return signer
        try:
            async with self.client.post(self.sub.url, data=delivery.payload.encode(), allow_redirects=False,
                                        headers=signer.headers(delivery.msg_id, delivery.payload)) as response:
                await response.read()  # the body is not used; reading it lets the connection be reused
                status, retry_after = response.status, response.headers.get("retry-after")
        except TimeoutError:
            return Attempt(Outcome.RETRY, error="the receiver did not answer in time")
        except aiohttp.ClientError as exc:
            return Attempt(Outcome.RETRY, error=f"no answer: {type(exc).__name__}")
        if 300 <= status < 400:
            error: str | None = f"HTTP {status}: redirects are not followed (update the webhook's URL)"
        else:
            error = f"HTTP {status}" if status >= 400 else None
        return Attempt(classify_response(status), status=status, error=error, retry_after=retry_after)

    async def _signer(self) -> WebhookSigner | Attempt:
        """The URL checked (every resolved address) and the key opened, once for the round this destination
        is made for: the outbox makes a new one every round, so the check is as fresh as the round."""
        if self._checked is None:
            try:
                await asyncio.to_thread(self.policy.check_url, self.sub.url)
                self._checked = WebhookSigner(self.vault.open(self.sub.secret_sealed))
            except InvalidInput as exc:
                self._checked = Attempt(Outcome.DEAD, error=str(exc))
            except VaultError:
                self._checked = Attempt(Outcome.DEAD, error="the signing secret was sealed with another vault key")
        return self._checked
