"""The outbox against a real local receiver, on SQLite and PostgreSQL: every event delivered, signed, retried
through failures (500, 429, 503, a hang), never twice to a receiver that honours webhook-id, even across a
crash; redirects not followed; a backlog sent as soon as its receiver is back; senders leasing disjoint rows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from standardwebhooks.webhooks import Webhook

from callpilot.analyzers.pii.vault import Vault
from callpilot.delivery.outbox.destination import Attempt, Destination
from callpilot.delivery.outbox.outbox import Outbox
from callpilot.delivery.outbox.retry import RetryPolicy
from callpilot.delivery.outbox.store import Delivery, OutboxStore, Subscription
from callpilot.delivery.webhooks import UrlPolicy, generate_secret
from callpilot.domain.events import CallEnded, CallStarted, SegmentReceived
from callpilot.eventlog.base import EventLog
from callpilot.eventlog.postgres import PostgresEventLog
from callpilot.eventlog.sqlite import SqliteEventLog
from tests.api.conftest import free_port
from tests.fake_llm import serving_app

KEY = "q3yCkqTzfgvlmdS2Yr_pm31BMYG0yBVGSuHgNRmzf20="
SECRET = generate_secret()


class Receiver:
    """Verifies each request's signature; answers with the scripted statuses, then 204."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.statuses: list[int] = []
        self.app = FastAPI()

        @self.app.post("/hook")
        async def hook(request: Request) -> Response:
            body = await request.body()
            payload = Webhook(SECRET).verify(body, dict(request.headers))  # raises on a bad signature
            self.received.append((request.headers["webhook-id"], payload))
            status = self.statuses.pop(0) if self.statuses else 204
            return Response(status_code=status, headers={"retry-after": "0"} if status == 429 else {})

    @property
    def unique(self) -> set[str]:
        return {msg_id for msg_id, _ in self.received}


@pytest.fixture(params=["sqlite", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str | None]:
    """(database URL, PostgreSQL schema): the event log and the outbox share the database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'outbox.db'}", None
    url, schema = request.getfixturevalue("pg_schema")
    return url, schema


@pytest.fixture
async def stores(location: tuple[str, str | None]) -> AsyncIterator[tuple[EventLog, OutboxStore]]:
    url, schema = location
    log: EventLog = (SqliteEventLog(url.removeprefix("sqlite:///")) if schema is None
                     else PostgresEventLog(url, search_path=schema, pool_size=2))
    await log.start()  # migrates: the outbox tables come with the event log's
    store = OutboxStore(url, search_path=schema)
    yield log, store
    store.engine.dispose()
    await log.close()


def _outbox(log: EventLog, store: OutboxStore, **options: Any) -> Outbox:
    async def no_state(call_id: str) -> None:
        return None

    return Outbox(store=store, log=log, vault=Vault(KEY), states=no_state, policy=UrlPolicy(allow=["127.0.0.1/32"]),
                  retry=options.pop("retry", RetryPolicy(base_seconds=0.01, max_attempts=4)), **options)


def _subscribe(store: OutboxStore, url: str, *types: str) -> None:
    store.add_subscription(Subscription(id="wh_1", url=url, event_types=types or ("call_started", "call_ended"),
                                        secret_sealed=Vault(KEY).seal(SECRET), description=None, enabled=True,
                                        disabled_reason=None, created_at=datetime.now(UTC)))


async def _calls(log: EventLog, n: int) -> None:
    for i in range(n):
        await log.append(f"c-{i}", [CallStarted(agent_id="a"), SegmentReceived(segment_id="s", speaker="agent",
                                    text="hello", start=0, end=1), CallEnded()], expected_seq=0)


async def test_every_event_is_delivered_signed_once(stores: tuple[EventLog, OutboxStore]) -> None:
    log, store = stores
    receiver = Receiver()
    async with serving_app(receiver.app) as base:
        _subscribe(store, f"{base}/hook")
        await _calls(log, 3)
        outbox = _outbox(log, store)
        await outbox.drain()
        await outbox.dispatch_once()  # the cursor moved: nothing is enqueued twice
        await outbox.close()
    assert len(receiver.received) == 6 == len(receiver.unique)  # segments are not subscribed
    assert sorted(p["type"] for _, p in receiver.received) == ["call_ended"] * 3 + ["call_started"] * 3
    assert all(d.status == "delivered" for d in store.deliveries())


async def test_failures_are_retried_and_a_crash_sends_nothing_twice(stores: tuple[EventLog, OutboxStore]) -> None:
    log, store = stores
    receiver = Receiver()
    receiver.statuses = [500, 429, 503]
    async with serving_app(receiver.app) as base:
        _subscribe(store, f"{base}/hook")
        await _calls(log, 2)
        first = _outbox(log, store)
        await first.dispatch_once()
        # the process dies after the receiver got a request, before the row was marked delivered
        now = datetime.now(UTC)
        due = store.claim_due(limit=10, now=now, lease_until=now + timedelta(seconds=70))
        async with httpx.AsyncClient() as client:
            await client.post(f"{base}/hook", content=due[0].payload.encode(),
                              headers=_headers(due[0].msg_id, due[0].payload))
        await first.close()
        # the restarted process, once the dead one's lease has ended
        second = _outbox(log, store, clock=lambda: datetime.now(UTC) + timedelta(seconds=71))
        for _ in range(20):
            await second.drain()
            if all(d.status == "delivered" for d in store.deliveries()):
                break
            await asyncio.sleep(0.05)
        await second.close()
    assert {d.status for d in store.deliveries()} == {"delivered"}
    assert len(receiver.unique) == 4  # every event, once by webhook-id
    assert len(receiver.received) > 4  # though some were sent more than once
    attempts = {d.msg_id: d.attempts for d in store.deliveries()}
    assert max(attempts.values()) >= 2


@pytest.mark.parametrize(("status", "enabled_after"), [(410, False), (400, True)])
async def test_final_answers_are_dead_letters(stores: tuple[EventLog, OutboxStore], status: int,
                                              enabled_after: bool) -> None:
    log, store = stores
    receiver = Receiver()
    receiver.statuses = [status] * 10
    async with serving_app(receiver.app) as base:
        _subscribe(store, f"{base}/hook", "call_started")
        await _calls(log, 1)
        outbox = _outbox(log, store)
        await outbox.drain()
        [dead] = store.deliveries(status="dead")
        assert dead.last_status == status and dead.attempts == 1
        assert store.subscription("wh_1").enabled is enabled_after
        if enabled_after:  # manual redelivery of a dead letter, once the receiver is fixed
            receiver.statuses = []
            store.redeliver(dead.msg_id)
            await outbox.drain()
            assert store.deliveries()[0].status == "delivered"
        await outbox.close()


async def test_a_receiver_that_stays_down_ends_in_the_dead_letters(stores: tuple[EventLog, OutboxStore]) -> None:
    log, store = stores
    _subscribe(store, f"http://127.0.0.1:{free_port()}/hook", "call_started")  # nobody listens
    await _calls(log, 1)
    outbox = _outbox(log, store, retry=RetryPolicy(base_seconds=0.0, max_attempts=3))
    for _ in range(5):
        await outbox.drain()
    assert store.deliveries(status="pending") == []
    await outbox.close()
    [dead] = store.deliveries(status="dead")
    assert dead.attempts == 3 and "gave up after 3 attempts" in (dead.last_error or "")


async def test_internal_addresses_are_refused_at_send_time(stores: tuple[EventLog, OutboxStore]) -> None:
    log, store = stores
    _subscribe(store, "http://169.254.169.254/latest/meta-data/", "call_started")
    await _calls(log, 1)
    outbox = _outbox(log, store)
    await outbox.drain()
    await outbox.close()
    [dead] = store.deliveries(status="dead")
    assert "metadata" in (dead.last_error or "") and dead.last_status is None


def _headers(msg_id: str, body: str) -> dict[str, str]:
    from callpilot.delivery.webhooks.signing import WebhookSigner

    return WebhookSigner(SECRET).headers(msg_id, body)


async def test_a_new_webhook_gets_the_events_after_it_was_created(stores: tuple[EventLog, OutboxStore]) -> None:
    log, store = stores
    receiver = Receiver()
    async with serving_app(receiver.app) as base:
        await _calls(log, 2)
        outbox = _outbox(log, store)
        await outbox.drain()  # nobody listens yet: the cursor skips to the end
        _subscribe(store, f"{base}/hook", "call_started")
        await log.append("later", [CallStarted(agent_id="a")], expected_seq=0)
        await outbox.drain()
        await outbox.close()
    assert [p["data"]["call_id"] for _, p in receiver.received] == ["later"]


class Looping:
    """A receiver that redirects to itself, or hangs for a while before answering."""

    def __init__(self, *, hang_seconds: float = 0.0) -> None:
        self.hits = 0
        self.hang_seconds = hang_seconds
        self.app = FastAPI()

        @self.app.post("/loop")
        async def loop(request: Request) -> JSONResponse:
            self.hits += 1
            return JSONResponse({}, status_code=302, headers={"location": str(request.url)})

        @self.app.post("/hang")
        async def hang() -> Response:
            self.hits += 1
            if self.hang_seconds:
                await asyncio.sleep(self.hang_seconds)
            return Response(status_code=204)


async def test_a_redirect_loop_is_not_followed(stores: tuple[EventLog, OutboxStore]) -> None:
    log, store = stores
    receiver = Looping()
    async with serving_app(receiver.app) as base:
        _subscribe(store, f"{base}/loop", "call_started")
        await _calls(log, 1)
        outbox = _outbox(log, store)
        await outbox.drain()
        await outbox.close()
    [dead] = store.deliveries(status="dead")
    assert receiver.hits == 1 and dead.last_status == 302
    assert "redirects are not followed" in (dead.last_error or "")


async def test_a_hanging_receiver_times_out_and_is_tried_again(stores: tuple[EventLog, OutboxStore]) -> None:
    log, store = stores
    receiver = Looping(hang_seconds=3.0)
    async with serving_app(receiver.app) as base:
        _subscribe(store, f"{base}/hang", "call_started")
        await _calls(log, 1)
        now = [datetime.now(UTC)]
        outbox = _outbox(log, store, timeout_seconds=0.3, clock=lambda: now[0],
                         retry=RetryPolicy(base_seconds=60.0, max_attempts=5))
        await outbox.drain()
        [waiting] = store.deliveries(status="pending")
        assert waiting.attempts == 1 and waiting.last_status is None
        assert waiting.last_error == "the receiver did not answer in time"
        receiver.hang_seconds = 0.0  # it answers again
        now[0] += timedelta(minutes=2)  # and the retry is due
        await outbox.drain()
        await outbox.close()
    assert [d.status for d in store.deliveries()] == ["delivered"]


async def test_a_recovered_receiver_gets_its_backlog_at_once(stores: tuple[EventLog, OutboxStore]) -> None:
    """Rows backed off for minutes are sent as soon as one delivery to their receiver succeeds again."""
    log, store = stores
    receiver = Receiver()
    now = [datetime.now(UTC)]
    async with serving_app(receiver.app) as base:
        _subscribe(store, f"{base}/hook", "call_started")
        outbox = _outbox(log, store, clock=lambda: now[0], retry=RetryPolicy(base_seconds=300.0, max_attempts=9))
        receiver.statuses = [503] * 5
        await _calls(log, 5)
        await outbox.drain()
        assert len(store.deliveries(status="pending")) == 5  # each waits 150-300 s
        await log.append("c-new", [CallStarted(agent_id="a")], expected_seq=0)  # the receiver is back
        now[0] += timedelta(seconds=1)
        await outbox.drain()
        await outbox.close()
    assert {d.status for d in store.deliveries()} == {"delivered"}
    assert len(receiver.unique) == 6


async def test_senders_claim_disjoint_rows(stores: tuple[EventLog, OutboxStore]) -> None:
    """The lease: two senders claiming at once never get the same row (FOR UPDATE SKIP LOCKED on PostgreSQL)."""
    log, store = stores
    _subscribe(store, "http://127.0.0.1:9/hook", "call_started")
    await _calls(log, 40)
    await _outbox(log, store).dispatch_once()
    now = datetime.now(UTC)

    def claim() -> list[str]:
        return [d.msg_id for d in store.claim_due(limit=15, now=now, lease_until=now + timedelta(minutes=1))]

    claims = await asyncio.gather(*(asyncio.to_thread(claim) for _ in range(4)))
    claimed = [msg_id for batch in claims for msg_id in batch]
    assert len(claimed) == len(set(claimed)) == 40
    assert store.claim_due(limit=100, now=now, lease_until=now) == []  # leased: not due again until it ends
    later = now + timedelta(minutes=2)
    assert len(store.claim_due(limit=100, now=later, lease_until=later)) == 40  # a crashed sender's rows


class Crashing(Destination):
    id = "broken"

    def wants(self, event_type: str) -> bool:
        return True

    async def send(self, delivery: Delivery) -> Attempt:
        raise RuntimeError("a bug")


async def test_a_destination_that_crashes_loses_only_its_own_rows(stores: tuple[EventLog, OutboxStore]) -> None:
    log, store = stores
    receiver = Receiver()
    async with serving_app(receiver.app) as base:
        _subscribe(store, f"{base}/hook", "call_started")
        await _calls(log, 1)
        outbox = _outbox(log, store, destinations=[Crashing()])
        await outbox.drain()
        await outbox.close()
    by_id = {d.subscription_id: d for d in store.deliveries()}
    assert by_id["wh_1"].status == "delivered"
    assert by_id["broken"].status == "dead" and "RuntimeError" in (by_id["broken"].last_error or "")
