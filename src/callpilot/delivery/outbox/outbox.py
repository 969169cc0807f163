"""The outbox at work: the dispatcher turns new log events into delivery rows, the sender sends the rows that
are due to their destinations (webhooks, the agent's email, CRMs), and both can stop at any moment.

- **Dispatch.** Read the log after the cursor; for each event of the catalog and each destination that wants
  it, a row keyed ``{destination}:{position}``; rows and the new cursor in one transaction.
- **Send.** Claim ``concurrency`` due rows at a time (a lease: no other sender takes them until it ends, under
  ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several processes can send without sending a row twice at
  once), send them at once, and record each outcome: delivered, tried again later with backoff, a dead letter,
  or gone (410: the subscription is disabled).
- **Recovery.** When a destination that was failing takes a delivery again, its waiting rows are made due now:
  a backlog drains as soon as the receiver is back instead of at each row's backed-off time.
- **Crash.** A crash after a receiver got a request but before the row was marked sends it again when the
  lease ends (``lease_seconds``, by default twice the timeout and 10 s), with the same message id
  (``webhook-id``); a receiver that honours it keeps one. Nothing is lost: rows are written before anything
  is sent, and the cursor moves with them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

import aiohttp

from callpilot.analyzers.pii.vault import Vault
from callpilot.core.errors import ConfigError
from callpilot.core.logging import get_logger
from callpilot.delivery.catalog import needs_state, webhook_event
from callpilot.delivery.outbox.destination import Attempt, Destination
from callpilot.delivery.outbox.retry import Outcome, RetryPolicy
from callpilot.delivery.outbox.store import AttemptRecord, Delivery, NewDelivery, OutboxStore
from callpilot.delivery.webhooks.destination import WebhookDestination
from callpilot.delivery.webhooks.urls import UrlPolicy
from callpilot.domain.call import CallState
from callpilot.domain.events import RecordedEvent
from callpilot.eventlog.base import EventLog

__all__ = ["Clock", "Outbox"]

log = get_logger(__name__)

StateLoader = Callable[[str], Awaitable[CallState | None]]
# The server's loop wakes on every append; this gap between rounds batches a busy log's appends into a round
# (a few database reads and one write) instead of a round for each, at the cost of up to 20 ms of latency.
_ROUND_GAP_SECONDS = 0.02
_CURSOR_EVERY_SECONDS = 1.0
Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Outbox:
    """``destinations`` are the configured ones (email, CRMs); each webhook subscription is one more, read
    from the store every round. ``clock`` is the time rows are due by and retried from (the benchmark runs a
    simulated one)."""

    def __init__(self, *, store: OutboxStore, log: EventLog, vault: Vault, states: StateLoader,
                 destinations: Sequence[Destination] = (), policy: UrlPolicy | None = None,
                 retry: RetryPolicy | None = None,
                 timeout_seconds: float = 10.0, batch: int = 500, concurrency: int = 16,
                 lease_seconds: float | None = None, clock: Clock = _utcnow) -> None:
        self.store, self.log, self.vault, self.states = store, log, vault, states
        self.destinations = list(destinations)
        self.policy = policy or UrlPolicy()
        self.retry = retry or RetryPolicy()
        self.timeout_seconds = timeout_seconds
        self._client: aiohttp.ClientSession | None = None  # made in the event loop, on first use
        self.batch, self.clock, self.concurrency = batch, clock, concurrency
        # Past any attempt's end (a connect, a send and a read can each take the timeout): a crashed sender's
        # rows come back after it, and another sender never takes a row that is still in flight.
        lease = lease_seconds if lease_seconds is not None else 2 * timeout_seconds + 10
        if lease <= timeout_seconds:
            raise ConfigError(f"delivery.lease_seconds ({lease}) must be longer than timeout_seconds "
                              f"({timeout_seconds})")
        self.lease = timedelta(seconds=lease)
        self._failing: set[str] = set()  # destinations whose last attempt failed
        self._wake = asyncio.Event()
        self._idle = False  # the last round found no destination at all: appends need not wake it
        self._read_to, self._cursor_written = 0, 0.0

    def notify(self, events: Sequence[RecordedEvent]) -> None:
        """The log's listener: this process appended events, so the next round need not wait for the poll
        (unless nothing is listening: then the poll finds the first webhook, and nothing is written per append)."""
        if events and not self._idle:
            self._wake.set()

    async def wait(self, seconds: float) -> None:
        """Until this process appends events, or ``seconds`` (other processes' events, retries coming due)."""
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation that arrives as the
        # event is set, and the server's shutdown would then wait for this loop forever
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        self._wake.clear()  # before the round: what is appended during it sets it again

    async def run(self, poll_seconds: float) -> None:
        """Dispatch and send until cancelled; a failing round is logged and the next one tries again."""
        while True:
            try:
                await self.drain()
            except Exception as exc:  # the database away for a moment, a bug: logged, and the loop goes on
                log.error("outbox_failed", exc_info=exc)
            await asyncio.sleep(_ROUND_GAP_SECONDS)  # appends in the meantime are one round, not one each
            await self.wait(poll_seconds)

    async def dispatch_once(self) -> int:
        """Turn the next batch of log events into delivery rows; how many events were read."""
        # the stored cursor, or further when rounds without deliveries have read on without writing it
        after = max(await asyncio.to_thread(self.store.cursor), self._read_to)
        destinations = [d for d in await self._all_destinations() if not isinstance(d, _Gone)]
        self._idle = not destinations
        if not destinations:  # nobody listens: skip to the end (a webhook gets the events after it is created)
            last = await self.log.last_position()
            if last > after:
                await asyncio.to_thread(self.store.enqueue, [], cursor=last)
            return 0
        events = await self.log.read(after_position=after, limit=self.batch)
        if not events:
            return 0
        rows: list[NewDelivery] = []
        for recorded in events:
            state = await self.states(recorded.call_id) if needs_state(recorded) else None
            bodies: dict[bool, tuple[str, str] | None] = {}
            for destination in destinations:
                if destination.sealed not in bodies:
                    found = webhook_event(recorded, state, sealed=destination.sealed)
                    bodies[destination.sealed] = None if found is None else (
                        found.type, json.dumps(found.payload, ensure_ascii=False, separators=(",", ":")))
                body = bodies[destination.sealed]
                if body is not None and destination.wants(body[0]):
                    rows.append(NewDelivery(
                        msg_id=f"{destination.id}:{recorded.position}", subscription_id=destination.id,
                        event_type=body[0], position=recorded.position, call_id=recorded.call_id, payload=body[1]))
        self._read_to = events[-1].position
        if rows or time.monotonic() - self._cursor_written >= _CURSOR_EVERY_SECONDS:
            # a busy log of events nobody subscribed to (segments) moves the stored cursor once a second, not
            # once a round; a crash re-reads at most that second, and rows already there are left alone
            await asyncio.to_thread(self.store.enqueue, rows, cursor=self._read_to, now=self.clock())
            self._cursor_written = time.monotonic()
        return len(events)

    async def send_due(self) -> int:
        """Send the rows that are due, up to ``batch``; how many were attempted. Rows are claimed
        ``concurrency`` at a time, so none waits under its lease for others to be sent."""
        by_id = {d.id: d for d in await self._all_destinations()}
        sent = 0
        while sent < self.batch:
            now = self.clock()
            due = await asyncio.to_thread(self.store.claim_due, limit=min(self.concurrency, self.batch - sent),
                                          now=now, lease_until=now + self.lease)
            if not due:
                break
            attempts = await asyncio.gather(*(self._send(row, by_id.get(row.subscription_id)) for row in due))
            await self._record(list(zip(due, attempts, strict=True)))
            sent += len(due)
        return sent

    async def drain(self, *, rounds: int = 100) -> None:
        """Dispatch and send until nothing is left to do now (tests, the benchmark, the server's loop)."""
        for _ in range(rounds):
            if not await self.dispatch_once() and not await self.send_due():
                return

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
        for destination in self.destinations:
            await destination.close()

    def client(self) -> aiohttp.ClientSession:
        """The webhooks' HTTP client: no redirects followed (per request), ``timeout_seconds`` for each attempt."""
        if self._client is None or self._client.closed:
            self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout_seconds))
        return self._client

    async def _all_destinations(self) -> list[Destination]:
        subscriptions = await asyncio.to_thread(self.store.subscriptions)
        hooks: list[Destination] = [
            WebhookDestination(s, vault=self.vault, policy=self.policy, client=self.client()) if s.enabled
            else _Gone(s.id, "the webhook is disabled") for s in subscriptions]
        return [*self.destinations, *hooks]

    async def _send(self, delivery: Delivery, destination: Destination | None) -> Attempt:
        if destination is None:
            return Attempt(Outcome.DEAD, error="the destination is deleted or no longer configured")
        try:
            return await destination.send(delivery)
        except Exception as exc:  # a destination's bug must not stop the others: this row dies, loudly
            log.error("delivery_crashed", msg_id=delivery.msg_id, exc_info=exc)
            return Attempt(Outcome.DEAD, error=f"the {destination.id} destination failed: {type(exc).__name__}")

    async def _record(self, sent: list[tuple[Delivery, Attempt]]) -> None:
        """One round's outcomes in one transaction, then what they say about their destinations."""
        now = self.clock()
        records: list[AttemptRecord] = []
        recovered: set[str] = set()
        for delivery, attempt in sent:
            error, next_at, destination = attempt.error, None, delivery.subscription_id
            final = {Outcome.DELIVERED: "delivered", Outcome.DEAD: "dead",
                     Outcome.GONE: "dead"}.get(attempt.outcome)
            if attempt.outcome is Outcome.RETRY:
                self._failing.add(destination)
                delay = self.retry.delay(delivery.attempts + 1, retry_after=attempt.retry_after, now=now)
                if delay is None:
                    final, error = "dead", f"{error} (gave up after {delivery.attempts + 1} attempts)"
                else:
                    next_at = now + timedelta(seconds=delay)
            elif attempt.outcome is Outcome.DELIVERED and (destination in self._failing or delivery.attempts > 0):
                recovered.add(destination)
            if final == "dead":
                log.warning("delivery_dead_letter", msg_id=delivery.msg_id, error=error)
            records.append(AttemptRecord(msg_id=delivery.msg_id, status=final or "pending", next_attempt_at=next_at,
                                         http_status=attempt.status, error=error))
        await asyncio.to_thread(self.store.record_attempts, records, now=now)
        for delivery, attempt in sent:
            if attempt.outcome is Outcome.GONE:
                await asyncio.to_thread(self.store.set_enabled, delivery.subscription_id, False,
                                        reason="the receiver answered 410 Gone")
        for destination in recovered:
            self._failing.discard(destination)
            hastened = await asyncio.to_thread(self.store.hasten, destination, now=now)
            if hastened:
                log.info("delivery_recovered", destination=destination, backlog=hastened)


class _Gone(Destination):
    """A subscription that exists but takes nothing (disabled): its rows become dead letters."""

    def __init__(self, destination_id: str, why: str) -> None:
        self.id, self.why = destination_id, why

    def wants(self, event_type: str) -> bool:
        return False

    async def send(self, delivery: Delivery) -> Attempt:
        return Attempt(Outcome.DEAD, error=self.why)
