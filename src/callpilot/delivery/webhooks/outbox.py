"""The webhook outbox at work: the dispatcher turns new log events into delivery rows, the sender sends the
rows that are due, and both can stop at any moment.

- **Dispatch.** Read the log after the cursor; for each event of the catalog and each enabled subscription that
  wants it, a row keyed ``{subscription}:{position}``; rows and the new cursor in one transaction.
- **Send.** Each due row: the subscription's URL is checked again (every resolved address, against DNS
  rebinding), the body is signed (Standard Webhooks, the row's key as ``webhook-id`` on every attempt), POSTed
  without following redirects, and the answer classified: delivered, retried later with backoff, a dead letter,
  or gone (410: the subscription is disabled).
- **Crash.** A crash after a receiver got a request but before the row was marked sends it again with the same
  ``webhook-id``; a receiver that honours it keeps one. Nothing is lost: rows are written before anything is
  sent, and the cursor moves with them.

One process sends at a time (the embedded default). Several would need a lease on the rows (``SELECT ... FOR
UPDATE SKIP LOCKED``), which is the next step of issue 6.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx

from callpilot.analyzers.pii.vault import Vault, VaultError
from callpilot.core.errors import InvalidInput
from callpilot.core.logging import get_logger
from callpilot.delivery.catalog import webhook_event
from callpilot.delivery.webhooks.retry import Outcome, RetryPolicy, classify_response
from callpilot.delivery.webhooks.signing import WebhookSigner
from callpilot.delivery.webhooks.store import Delivery, NewDelivery, Subscription, WebhookStore
from callpilot.delivery.webhooks.urls import UrlPolicy
from callpilot.domain.call import CallState
from callpilot.domain.events.aftercall import AnalysisApproved
from callpilot.eventlog.base import EventLog

__all__ = ["WebhookOutbox"]

log = get_logger(__name__)

StateLoader = Callable[[str], Awaitable[CallState | None]]


class WebhookOutbox:
    def __init__(self, *, store: WebhookStore, log: EventLog, vault: Vault, states: StateLoader,
                 policy: UrlPolicy | None = None, retry: RetryPolicy | None = None,
                 client: httpx.AsyncClient | None = None, timeout_seconds: float = 10.0, batch: int = 500) -> None:
        self.store, self.log, self.vault, self.states = store, log, vault, states
        self.policy = policy or UrlPolicy()
        self.retry = retry or RetryPolicy()
        self.client = client or httpx.AsyncClient(follow_redirects=False, timeout=timeout_seconds)
        self.batch = batch

    async def dispatch_once(self) -> int:
        """Turn the next batch of log events into delivery rows; how many events were read."""
        after = await asyncio.to_thread(self.store.cursor)
        subscriptions = [s for s in await asyncio.to_thread(self.store.subscriptions) if s.enabled]
        if not subscriptions:  # nobody listens: skip to the end (a webhook gets the events after it is created)
            last = await self.log.last_position()
            if last > after:
                await asyncio.to_thread(self.store.enqueue, [], cursor=last)
            return 0
        events = await self.log.read(after_position=after, limit=self.batch)
        if not events:
            return 0
        rows: list[NewDelivery] = []
        for recorded in events:
            state = await self.states(recorded.call_id) if isinstance(recorded.event, AnalysisApproved) else None
            found = webhook_event(recorded, state)
            if found is None:
                continue
            body = json.dumps(found.payload, ensure_ascii=False, separators=(",", ":"))
            rows += [NewDelivery(msg_id=f"{sub.id}:{recorded.position}", subscription_id=sub.id,
                                 event_type=found.type, position=recorded.position, call_id=recorded.call_id,
                                 payload=body) for sub in subscriptions if sub.wants(found.type)]
        await asyncio.to_thread(self.store.enqueue, rows, cursor=events[-1].position)
        return len(events)

    async def send_due(self, *, now: datetime | None = None) -> int:
        """Send every row that is due; how many were attempted."""
        due = await asyncio.to_thread(self.store.due, limit=self.batch, now=now)
        subscriptions = {s.id: s for s in await asyncio.to_thread(self.store.subscriptions)}
        for delivery in due:
            await self._send(delivery, subscriptions.get(delivery.subscription_id))
        return len(due)

    async def drain(self, *, rounds: int = 100) -> None:
        """Dispatch and send until nothing is left to do now (tests, the benchmark)."""
        for _ in range(rounds):
            if not await self.dispatch_once() and not await self.send_due():
                return

    async def close(self) -> None:
        await self.client.aclose()

    async def _send(self, delivery: Delivery, sub: Subscription | None) -> None:
        if sub is None or not sub.enabled:
            await self._record(delivery, Outcome.DEAD, None, "the webhook is deleted or disabled")
            return
        try:
            await asyncio.to_thread(self.policy.check_url, sub.url)
            signer = WebhookSigner(self.vault.open(sub.secret_sealed))
        except InvalidInput as exc:
            await self._record(delivery, Outcome.DEAD, None, str(exc))
            return
        except VaultError:
            await self._record(delivery, Outcome.DEAD, None, "the signing secret was sealed with another vault key")
            return
        status, retry_after, error = None, None, None
        try:
            response = await self.client.post(sub.url, content=delivery.payload.encode(),
                                              headers=signer.headers(delivery.msg_id, delivery.payload))
            status, retry_after = response.status_code, response.headers.get("retry-after")
            if status >= 300:
                error = f"HTTP {status}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}"
        outcome = classify_response(status)
        if outcome is Outcome.GONE:
            await asyncio.to_thread(self.store.set_enabled, sub.id, False, reason="the receiver answered 410 Gone")
        await self._record(delivery, outcome, status, error, retry_after=retry_after)

    async def _record(self, delivery: Delivery, outcome: Outcome, status: int | None, error: str | None, *,
                      retry_after: str | None = None) -> None:
        next_at = None
        final = {Outcome.DELIVERED: "delivered", Outcome.DEAD: "dead", Outcome.GONE: "dead"}.get(outcome)
        if outcome is Outcome.RETRY:
            delay = self.retry.delay(delivery.attempts + 1, retry_after=retry_after)
            if delay is None:
                final, error = "dead", f"{error} (gave up after {delivery.attempts + 1} attempts)"
            else:
                next_at = datetime.now(UTC) + timedelta(seconds=delay)
        if final == "dead":
            log.warning("webhook_dead_letter", msg_id=delivery.msg_id, error=error)
        await asyncio.to_thread(self.store.record_attempt, delivery.msg_id, status=final or "pending",
                                next_attempt_at=next_at, http_status=status, error=error)
