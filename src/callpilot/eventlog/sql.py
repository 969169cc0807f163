"""What the SQLite and PostgreSQL event logs share: group commit, the batch plan, and reads.

Appends go through one writer task per process that commits whatever requests are waiting as one transaction
(group commit): one lock, one fsync and a handful of statements per batch instead of per segment. Each request
in a batch is still all-or-nothing on its own: its checks (expected sequence number, idempotency key) are made
before anything of the batch is inserted, and a request that fails them is answered with its error while the
others commit. Those decisions are one pure function (:func:`plan_batch`); each backend does the batch's I/O
on its driver directly, off the API's event loop. Reads go through SQLAlchemy Core.
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from callpilot.core.errors import CallpilotError, ConcurrencyConflict, EventLogError, StorageUnavailable
from callpilot.core.logging import get_logger
from callpilot.domain.events import Event, RecordedEvent, decode_event
from callpilot.eventlog.base import AppendResult, EventLog
from callpilot.eventlog.schema import events_table as T

__all__ = [
    "AppendRequest", "BatchPlan", "SqlEventLog", "finish_batch", "plan_batch", "row_to_event", "translate_errors",
]

R = TypeVar("R")
log = get_logger(__name__)

_COLUMNS = (T.c.position, T.c.call_id, T.c.seq, T.c.type, T.c.version, T.c.data, T.c.recorded_at, T.c.trace_id)
_MAX_BATCH = 256


@contextmanager
def translate_errors() -> Iterator[None]:
    """The one place where driver exceptions become callpilot's own."""
    try:
        yield
    except sa_exc.IntegrityError as exc:
        raise ConcurrencyConflict(f"another writer stored the same sequence number or key: {exc.orig}") from exc
    except (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, OSError) as exc:
        raise StorageUnavailable(f"event store unavailable: {exc}") from exc
    except sa_exc.SQLAlchemyError as exc:
        raise EventLogError(f"event store error: {exc}") from exc


def row_to_event(row: Any) -> RecordedEvent:
    """A stored row (a SQLAlchemy Row's mapping or an asyncpg Record) as a RecordedEvent."""
    recorded_at = row["recorded_at"]
    if recorded_at.tzinfo is None:  # SQLite hands back naive datetimes; we only ever store UTC
        recorded_at = recorded_at.replace(tzinfo=UTC)
    return RecordedEvent(
        position=row["position"], call_id=row["call_id"], seq=row["seq"],
        event=decode_event(row["type"], row["version"], orjson.loads(row["data"])),
        recorded_at=recorded_at, trace_id=row["trace_id"], data_json=row["data"],
    )


@dataclass
class AppendRequest:
    call_id: str
    events: Sequence[Event]
    expected_seq: int | None
    idempotency_key: str | None
    trace_id: str | None
    future: asyncio.Future[AppendResult]
    data: list[str] = field(default_factory=list)


class SqlEventLog(EventLog):
    def __init__(self) -> None:
        super().__init__()
        self._queue: asyncio.Queue[AppendRequest] | None = None
        self._writer_task: asyncio.Task[None] | None = None

    # -- what a backend provides -------------------------------------------------------------------------
    @abstractmethod
    async def _open(self) -> None:
        """Create engines and bring the schema up to date."""

    @abstractmethod
    async def _dispose(self) -> None: ...

    @abstractmethod
    async def _run_read(self, fn: Callable[[Connection], R]) -> R: ...

    # -- lifecycle ---------------------------------------------------------------------------------------
    async def start(self) -> None:
        with translate_errors():
            await self._open()
        self._queue = asyncio.Queue()
        self._writer_task = asyncio.create_task(self._writer_loop(), name="eventlog-writer")

    async def close(self) -> None:
        if self._writer_task is not None:
            self._writer_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer_task
            self._writer_task = None
        await self._dispose()

    # -- appends -----------------------------------------------------------------------------------------
    async def append(
        self,
        call_id: str,
        events: Sequence[Event],
        *,
        expected_seq: int | None = None,
        idempotency_key: str | None = None,
        trace_id: str | None = None,
    ) -> AppendResult:
        if not events:
            raise ValueError("append needs at least one event")
        if self._queue is None or self._writer_task is None or self._writer_task.done():
            raise EventLogError("event log is not started")
        request = AppendRequest(
            call_id, events, expected_seq, idempotency_key, trace_id,
            asyncio.get_running_loop().create_future(),
            [orjson.dumps(e.model_dump(mode="json")).decode() for e in events],
        )
        await self._queue.put(request)
        return await request.future

    async def _writer_loop(self) -> None:
        assert self._queue is not None
        while True:
            batch = [await self._queue.get()]
            while len(batch) < _MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            batch = [r for r in batch if not r.future.cancelled()]
            if batch:
                await self._commit_batch(batch)

    async def _commit_batch(self, batch: list[AppendRequest]) -> None:
        now = datetime.now(UTC)
        try:
            outcomes = await self._write_batch(batch, now)
        except CallpilotError as exc:
            for request in batch:
                _settle(request, exc)
            return
        except Exception as exc:  # a bug must not kill the writer; every waiting caller gets the error
            log.exception("eventlog_batch_failed")
            for request in batch:
                _settle(request, EventLogError(f"append failed: {type(exc).__name__}"))
            return
        # Committed. Listeners hear of it here, in this single task, so they see commit order.
        for request, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, AppendResult) and not outcome.duplicate:
                self._notify(outcome.events)
            _settle(request, outcome)

    @abstractmethod
    async def _write_batch(self, batch: list[AppendRequest], now: datetime) -> list[AppendResult | Exception]:
        """Store one batch in one write transaction that excludes every other writer: fetch the calls' last
        sequence numbers and the stored keys, :func:`plan_batch`, insert, :func:`finish_batch`. Driver errors
        come out as callpilot's own (ConcurrencyConflict, StorageUnavailable, EventLogError)."""

    # -- reads -------------------------------------------------------------------------------------------
    async def read_call(self, call_id: str, *, after_seq: int = 0, limit: int | None = None
                        ) -> list[RecordedEvent]:
        query = sa.select(*_COLUMNS).where(T.c.call_id == call_id, T.c.seq > after_seq).order_by(T.c.seq)
        if limit is not None:
            query = query.limit(limit)
        return await self._fetch(query)

    async def read(
        self,
        *,
        after_position: int = 0,
        limit: int = 1000,
        call_id: str | None = None,
        types: Sequence[str] | None = None,
    ) -> list[RecordedEvent]:
        query = sa.select(*_COLUMNS).where(T.c.position > after_position)
        if types is not None:
            query = query.where(T.c.type.in_(list(types)))
        if call_id is not None:
            # Within a call, seq order is position order; ordering by seq lets the (call_id, seq) index answer.
            return await self._fetch(query.where(T.c.call_id == call_id).order_by(T.c.seq).limit(limit))
        return await self._fetch(query.order_by(T.c.position).limit(limit))

    async def find_key(self, call_id: str, idempotency_key: str) -> RecordedEvent | None:
        found = await self._fetch(
            sa.select(*_COLUMNS).where(T.c.call_id == call_id, T.c.idempotency_key == idempotency_key))
        return found[0] if found else None

    async def last_position(self) -> int:
        query = sa.select(sa.func.coalesce(sa.func.max(T.c.position), 0))
        with translate_errors():
            return int(await self._run_read(lambda conn: conn.execute(query).scalar_one()))

    async def _fetch(self, query: sa.Select[Any]) -> list[RecordedEvent]:
        with translate_errors():
            rows = await self._run_read(lambda conn: conn.execute(query).all())
        return [row_to_event(row._mapping) for row in rows]


def _settle(request: AppendRequest, outcome: AppendResult | Exception) -> None:
    if request.future.done():
        return
    if isinstance(outcome, Exception):
        request.future.set_exception(outcome)
    else:
        request.future.set_result(outcome)


@dataclass
class BatchPlan:
    """What a batch will write, decided before anything is written."""

    outcomes: list[AppendResult | Exception | None]
    params: list[dict[str, Any]]  # rows to insert, in order
    spans: dict[int, tuple[int, int]]  # request index -> its rows in params
    repeats: dict[int, int]  # request index -> index of the request it repeats within this batch


def plan_batch(batch: Sequence[AppendRequest], last_seq: dict[str, int], stored: dict[tuple[str, str], RecordedEvent],
               now: datetime) -> BatchPlan:
    """Decide each request's fate from the calls' last sequence numbers and the keys already stored.

    Pure logic, no I/O: every backend fetches ``last_seq`` and ``stored`` its own way, then inserts
    ``params`` and hands the positions to :func:`finish_batch`.
    """
    plan = BatchPlan(outcomes=[None] * len(batch), params=[], spans={}, repeats={})
    last_seq = dict(last_seq)
    key_owner: dict[tuple[str, str], int] = {}  # key -> the request of this batch that stores it
    for index, request in enumerate(batch):
        key = (request.call_id, request.idempotency_key) if request.idempotency_key is not None else None
        if key is not None and key in stored:
            plan.outcomes[index] = AppendResult(events=(stored[key],), duplicate=True)
            continue
        if key is not None and key in key_owner:
            plan.repeats[index] = key_owner[key]
            continue
        current = last_seq.get(request.call_id, 0)
        if request.expected_seq is not None and request.expected_seq != current:
            plan.outcomes[index] = ConcurrencyConflict(
                f"call {request.call_id}: expected last seq {request.expected_seq}, the log has {current}")
            continue
        start = len(plan.params)
        for i, (event, data) in enumerate(zip(request.events, request.data, strict=True)):
            plan.params.append({
                "call_id": request.call_id, "seq": current + 1 + i, "type": event.type_name(),
                "version": event.VERSION, "data": data, "trace_id": request.trace_id, "recorded_at": now,
                "idempotency_key": request.idempotency_key if i == 0 else None,
            })
        plan.spans[index] = (start, len(plan.params))
        last_seq[request.call_id] = current + len(request.events)
        if key is not None:
            key_owner[key] = index
    return plan


def finish_batch(batch: Sequence[AppendRequest], plan: BatchPlan, positions: Sequence[int], now: datetime
                 ) -> list[AppendResult | Exception]:
    """Every request's outcome, once the planned rows are stored at ``positions`` (in ``plan.params`` order)."""
    outcomes = list(plan.outcomes)
    for index, (start, end) in plan.spans.items():
        request = batch[index]
        outcomes[index] = AppendResult(events=tuple(
            RecordedEvent(position=positions[start + i], call_id=request.call_id,
                          seq=plan.params[start + i]["seq"], event=request.events[i], recorded_at=now,
                          trace_id=request.trace_id, data_json=request.data[i])
            for i in range(end - start)
        ))
    for index, owner in plan.repeats.items():
        first = outcomes[owner]
        assert isinstance(first, AppendResult)
        outcomes[index] = AppendResult(events=first.events[:1], duplicate=True)
    return [o if o is not None else EventLogError("append produced no result") for o in outcomes]
