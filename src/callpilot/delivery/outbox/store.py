"""OutboxStore: subscriptions, the outbox of deliveries and the dispatcher's cursor (SQLAlchemy Core).

Synchronous, like the knowledge base's store, and called from worker threads: the outbox is batch work beside
the event loop. Inserting a delivery that exists already does nothing (the message id is the key), which is what
makes re-reading the log after a crash harmless.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from callpilot.assist.kb.store import create_sync_engine
from callpilot.core.errors import NotFound, StorageUnavailable
from callpilot.delivery.outbox.schema import webhook_cursor, webhook_deliveries, webhook_subscriptions

__all__ = ["AttemptRecord", "Delivery", "NewDelivery", "OutboxStore", "Subscription"]

_CURSOR = "webhooks"


@dataclass(frozen=True, slots=True)
class Subscription:
    id: str
    url: str
    event_types: tuple[str, ...]
    secret_sealed: str
    description: str | None
    enabled: bool
    disabled_reason: str | None
    created_at: datetime

    def wants(self, event_type: str) -> bool:
        return self.enabled and (event_type in self.event_types or "*" in self.event_types)


@dataclass(frozen=True, slots=True)
class NewDelivery:
    msg_id: str
    subscription_id: str
    event_type: str
    position: int
    call_id: str
    payload: str


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """What one attempt did to its row: its status now (pending, delivered, dead) and when to try again."""

    msg_id: str
    status: str
    next_attempt_at: datetime | None
    http_status: int | None
    error: str | None


@dataclass(frozen=True, slots=True)
class Delivery:
    msg_id: str
    subscription_id: str
    event_type: str
    position: int
    call_id: str
    payload: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None


class OutboxStore:
    def __init__(self, url: str, *, search_path: str | None = None, engine: Engine | None = None) -> None:
        self.engine = engine if engine is not None else create_sync_engine(url, search_path=search_path)
        self.dialect = self.engine.dialect.name

    # -- subscriptions ---------------------------------------------------------------------------------------
    def add_subscription(self, sub: Subscription) -> None:
        with self._begin() as conn:
            conn.execute(webhook_subscriptions.insert().values(
                id=sub.id, url=sub.url, event_types=json.dumps(list(sub.event_types)),
                secret_sealed=sub.secret_sealed, description=sub.description, enabled=sub.enabled,
                disabled_reason=sub.disabled_reason, created_at=sub.created_at))

    def subscriptions(self) -> list[Subscription]:
        with self._begin() as conn:
            rows = conn.execute(webhook_subscriptions.select().order_by(webhook_subscriptions.c.created_at))
            return [_subscription(r._mapping) for r in rows]

    def subscription(self, sub_id: str) -> Subscription:
        with self._begin() as conn:
            row = conn.execute(webhook_subscriptions.select().where(webhook_subscriptions.c.id == sub_id)).first()
        if row is None:
            raise NotFound(f"no webhook {sub_id!r}")
        return _subscription(row._mapping)

    def set_enabled(self, sub_id: str, enabled: bool, *, reason: str | None = None) -> Subscription:
        with self._begin() as conn:
            done = conn.execute(webhook_subscriptions.update().where(webhook_subscriptions.c.id == sub_id).values(
                enabled=enabled, disabled_reason=None if enabled else reason))
        if done.rowcount == 0:
            raise NotFound(f"no webhook {sub_id!r}")
        return self.subscription(sub_id)

    def delete_subscription(self, sub_id: str) -> None:
        with self._begin() as conn:
            done = conn.execute(webhook_subscriptions.delete().where(webhook_subscriptions.c.id == sub_id))
            conn.execute(webhook_deliveries.update().where(
                (webhook_deliveries.c.subscription_id == sub_id) & (webhook_deliveries.c.status == "pending"))
                .values(status="dead", last_error="the webhook was deleted", updated_at=_now()))
        if done.rowcount == 0:
            raise NotFound(f"no webhook {sub_id!r}")

    # -- the outbox ------------------------------------------------------------------------------------------
    def cursor(self) -> int:
        with self._begin() as conn:
            value = conn.execute(sa.select(webhook_cursor.c.position).where(webhook_cursor.c.name == _CURSOR)).scalar()
        return int(value or 0)

    def enqueue(self, rows: Sequence[NewDelivery], *, cursor: int, now: datetime | None = None) -> int:
        """Add ``rows`` (those already there are left alone), due at ``now``, and move the cursor, in one
        transaction; how many were new."""
        now = now or _now()
        added = 0
        with self._begin() as conn:
            for row in rows:
                statement = self._insert_ignore(webhook_deliveries).values(
                    msg_id=row.msg_id, subscription_id=row.subscription_id, event_type=row.event_type,
                    position=row.position, call_id=row.call_id, payload=row.payload, status="pending",
                    attempts=0, next_attempt_at=now, created_at=now, updated_at=now)
                added += conn.execute(statement).rowcount or 0
            moved = conn.execute(webhook_cursor.update().where(webhook_cursor.c.name == _CURSOR)
                                 .values(position=cursor))
            if moved.rowcount == 0:
                conn.execute(webhook_cursor.insert().values(name=_CURSOR, position=cursor))
        return added

    def add_delivery(self, row: NewDelivery) -> None:
        """One row outside the log (a test event), due now; the cursor does not move."""
        now = _now()
        with self._begin() as conn:
            conn.execute(webhook_deliveries.insert().values(
                msg_id=row.msg_id, subscription_id=row.subscription_id, event_type=row.event_type,
                position=row.position, call_id=row.call_id, payload=row.payload, status="pending", attempts=0,
                next_attempt_at=now, created_at=now, updated_at=now))

    def claim_due(self, *, limit: int, now: datetime, lease_until: datetime) -> list[Delivery]:
        """The due rows, leased until ``lease_until``: no other sender (nor this one's next round) takes them
        while they are in flight, and a crashed sender's rows come back when the lease ends. On PostgreSQL
        the rows are locked with ``FOR UPDATE SKIP LOCKED``, so concurrent senders claim disjoint rows; SQLite
        has one writer at a time, which serialises the claim anyway."""
        t = webhook_deliveries
        due = ((t.c.status == "pending") & (t.c.next_attempt_at <= now)
               & (t.c.leased_until.is_(None) | (t.c.leased_until <= now)))
        picked = sa.select(t.c.msg_id).where(due).order_by(t.c.position).limit(limit)
        if self.dialect == "postgresql":
            picked = picked.with_for_update(skip_locked=True)
        claim = t.update().where(t.c.msg_id.in_(picked.scalar_subquery())).values(leased_until=lease_until)
        with self._begin() as conn:
            if conn.execute(sa.select(t.c.msg_id).where(due).limit(1)).first() is None:
                return []  # a read: an idle outbox writes nothing
            rows = [_delivery(r._mapping) for r in conn.execute(claim.returning(*t.c))]
        return sorted(rows, key=lambda d: d.position)

    def hasten(self, subscription_id: str, *, now: datetime) -> int:
        """Make the destination's waiting retries due now (it answers again); how many there were."""
        t = webhook_deliveries
        with self._begin() as conn:
            done = conn.execute(t.update().where(
                (t.c.subscription_id == subscription_id) & (t.c.status == "pending") & (t.c.attempts > 0)
                & (t.c.next_attempt_at > now)).values(next_attempt_at=now))
        return done.rowcount or 0

    def record_attempts(self, records: Sequence[AttemptRecord], *, now: datetime | None = None) -> None:
        """Each row's attempt and what comes next, in one transaction (one commit for a whole round of
        sends: on SQLite with ``synchronous=FULL`` a commit per row would cap the outbox at ~120 a second)."""
        with self._begin() as conn:
            for record in records:
                values: dict[str, Any] = {
                    "status": record.status, "attempts": webhook_deliveries.c.attempts + 1,
                    "last_status": record.http_status, "last_error": (record.error or "")[:500] or None,
                    "updated_at": now or _now(), "leased_until": None}
                if record.next_attempt_at is not None:
                    values["next_attempt_at"] = record.next_attempt_at
                conn.execute(webhook_deliveries.update().where(webhook_deliveries.c.msg_id == record.msg_id)
                             .values(**values))

    def deliveries(self, *, status: str | None = None, subscription_id: str | None = None,
                   call_id: str | None = None, limit: int = 100) -> list[Delivery]:
        query = webhook_deliveries.select().order_by(webhook_deliveries.c.position.desc()).limit(limit)
        if call_id is not None:
            query = query.where(webhook_deliveries.c.call_id == call_id)
        if status is not None:
            query = query.where(webhook_deliveries.c.status == status)
        if subscription_id is not None:
            query = query.where(webhook_deliveries.c.subscription_id == subscription_id)
        with self._begin() as conn:
            return [_delivery(r._mapping) for r in conn.execute(query)]

    def redeliver(self, msg_id: str) -> None:
        """A dead letter back in the queue, due now (its attempts are kept, for the log)."""
        with self._begin() as conn:
            done = conn.execute(webhook_deliveries.update().where(webhook_deliveries.c.msg_id == msg_id).values(
                status="pending", next_attempt_at=_now(), updated_at=_now(), leased_until=None))
        if done.rowcount == 0:
            raise NotFound(f"no delivery {msg_id!r}")

    # -- plumbing --------------------------------------------------------------------------------------------
    def _insert_ignore(self, table: sa.Table) -> Any:
        if self.dialect == "postgresql":
            return postgresql.insert(table).on_conflict_do_nothing()
        return sqlite.insert(table).on_conflict_do_nothing()

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except sa_exc.OperationalError as exc:
            raise StorageUnavailable(f"webhook store: {type(exc.orig).__name__}") from exc


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)  # SQLite returns naive times


def _subscription(row: Any) -> Subscription:
    return Subscription(id=row["id"], url=row["url"], event_types=tuple(json.loads(row["event_types"])),
                        secret_sealed=row["secret_sealed"], description=row["description"],
                        enabled=bool(row["enabled"]), disabled_reason=row["disabled_reason"],
                        created_at=_aware(row["created_at"]))


def _delivery(row: Any) -> Delivery:
    return Delivery(msg_id=row["msg_id"], subscription_id=row["subscription_id"], event_type=row["event_type"],
                    position=int(row["position"]), call_id=row["call_id"], payload=row["payload"],
                    status=row["status"], attempts=int(row["attempts"]), next_attempt_at=_aware(row["next_attempt_at"]),
                    last_status=row["last_status"], last_error=row["last_error"])
