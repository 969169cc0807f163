"""PostgreSQL backend (asyncpg), for many API processes and workers on one database."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

import asyncpg
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from callpilot.core.errors import ConcurrencyConflict, EventLogError, StorageUnavailable
from callpilot.eventlog.base import AppendResult
from callpilot.eventlog.migrate import upgrade
from callpilot.eventlog.sql import AppendRequest, SqlEventLog, finish_batch, plan_batch, row_to_event

__all__ = ["PostgresEventLog", "asyncpg_url"]

R = TypeVar("R")

# Positions come from a sequence, which hands out numbers at INSERT time, not at COMMIT: two concurrent
# transactions could commit positions 11 then 10, and a reader tailing "after 10" would skip the 10 it had not
# yet seen. Every append therefore holds one transaction-scoped lock to its commit, so commit order equals
# position order (the eventsourcing library does the same with LOCK TABLE); it also makes the "last seq + 1"
# step safe across processes, and group commit keeps its cost to one lock per batch. An advisory lock rather
# than LOCK TABLE ... EXCLUSIVE: the table lock conflicts with autovacuum's and autoanalyze's lock, and appends
# then stalled for a second or more (the deadlock timeout) whenever autoanalyze ran on the growing table.
_APPEND_LOCK_SQL = "SELECT pg_advisory_xact_lock(7264118)"
# Both lookups are written as joins against the batch's own ids, which PostgreSQL always answers from the
# unique indexes. The first version (call_id = ANY($1) ... GROUP BY) got a generic plan with a sequential scan
# once the prepared statement had run a few times, and the writer's CPU grew with the table.
_LAST_SEQS_SQL = (
    "SELECT c.call_id, (SELECT max(e.seq) FROM events e WHERE e.call_id = c.call_id) AS seq "
    "FROM unnest($1::text[]) AS c(call_id)"
)
_STORED_KEYS_SQL = (
    "SELECT e.position, e.call_id, e.seq, e.type, e.version, e.data, e.recorded_at, e.trace_id, "
    "e.idempotency_key FROM unnest($1::text[], $2::text[]) AS k(call_id, idempotency_key) "
    "JOIN events e ON e.call_id = k.call_id AND e.idempotency_key = k.idempotency_key"
)
_INSERT_COLUMNS = ("call_id", "seq", "type", "version", "data", "trace_id", "idempotency_key")
_INSERT_SQL = (
    "INSERT INTO events (call_id, seq, type, version, data, trace_id, idempotency_key, recorded_at) "
    "SELECT c, s, t, v, d, tr, k, $8 FROM unnest($1::text[], $2::int[], $3::text[], $4::int2[], $5::text[], "
    "$6::text[], $7::text[]) AS u(c, s, t, v, d, tr, k) RETURNING position, call_id, seq"
)


def asyncpg_url(url: str) -> str:
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


class PostgresEventLog(SqlEventLog):
    def __init__(self, url: str, *, pool_size: int = 10, search_path: str | None = None) -> None:
        super().__init__()
        self.url = asyncpg_url(url)
        self.dsn = self.url.replace("postgresql+asyncpg://", "postgresql://", 1)
        self._pg: asyncpg.Connection | None = None  # lives on the writer loop
        self._pg_loop: asyncio.AbstractEventLoop | None = None
        self._pg_thread: threading.Thread | None = None
        self.pool_size = pool_size
        self.search_path = search_path
        self._engine: AsyncEngine | None = None

    def location(self) -> tuple[str, str | None]:
        return self.dsn, self.search_path

    async def _open(self) -> None:
        connect_args = {"server_settings": self._server_settings()}
        # No pool_pre_ping: it costs a round trip per checkout on the hot path. A connection that died with the
        # server fails its next statement (StorageUnavailable, a 503 the client retries) and SQLAlchemy
        # discards it, so the following checkout gets a fresh one.
        self._engine = create_async_engine(self.url, pool_size=self.pool_size, max_overflow=self.pool_size,
                                           connect_args=connect_args)
        await upgrade(self._engine, advisory_lock=True)
        self._pg_loop = asyncio.new_event_loop()
        self._pg_thread = threading.Thread(target=self._pg_loop.run_forever, name="pg-writer", daemon=True)
        self._pg_thread.start()

    def _server_settings(self) -> dict[str, str]:
        # asyncpg prepares and caches every statement per connection, and PostgreSQL switches a prepared
        # statement to a generic plan after a few runs. A generic plan made while the table was still small
        # chose sequential scans, and the writer's key lookup grew slower with every row (1 ms -> 6 ms in
        # 30,000 rows, measured). Custom plans cost a fraction of a millisecond and always use the indexes.
        settings = {"plan_cache_mode": "force_custom_plan"}
        if self.search_path:
            settings["search_path"] = self.search_path
        return settings

    async def _dispose(self) -> None:
        if self._pg_loop is not None and self._pg_thread is not None:
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._close_writer(), self._pg_loop))
            self._pg_loop.call_soon_threadsafe(self._pg_loop.stop)
            self._pg_thread.join(10)
            self._pg_loop.close()
            self._pg_loop = self._pg_thread = None
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise EventLogError("event log is not started")
        return self._engine

    async def _write_batch(self, batch: list[AppendRequest], now: datetime) -> list[AppendResult | Exception]:
        """The batch runs on the writer's own event loop, in its own thread, as SQLite's runs in its writer
        thread: its six round trips then do not wait behind the API's request handling on the main loop,
        which under load stretched every batch and let the backlog grow."""
        if self._pg_loop is None:
            raise EventLogError("event log is not started")
        future = asyncio.run_coroutine_threadsafe(self._write_batch_here(batch, now), self._pg_loop)
        return await asyncio.wrap_future(future)

    async def _write_batch_here(self, batch: list[AppendRequest], now: datetime) -> list[AppendResult | Exception]:
        """The batch on the asyncpg connection directly: the same plan as every backend, without SQLAlchemy's
        per-statement work. Rows are inserted with one ``unnest`` statement."""
        call_ids = sorted({r.call_id for r in batch})
        keyed = sorted({(r.call_id, r.idempotency_key) for r in batch if r.idempotency_key is not None})
        try:
            pg = await self._writer_connection()
            async with pg.transaction():
                await pg.execute(_APPEND_LOCK_SQL)
                last_seq = {r["call_id"]: r["seq"] for r in await pg.fetch(_LAST_SEQS_SQL, call_ids)
                            if r["seq"] is not None}
                stored = {}
                if keyed:
                    rows = await pg.fetch(_STORED_KEYS_SQL, [c for c, _ in keyed], [k for _, k in keyed])
                    stored = {(r["call_id"], r["idempotency_key"]): row_to_event(r) for r in rows}
                plan = plan_batch(batch, last_seq, stored, now)
                positions: list[int] = []
                if plan.params:
                    columns = [[p[c] for p in plan.params] for c in _INSERT_COLUMNS]
                    rows = await pg.fetch(_INSERT_SQL, *columns, now)
                    by_seq = {(r["call_id"], r["seq"]): r["position"] for r in rows}
                    positions = [by_seq[(p["call_id"], p["seq"])] for p in plan.params]
        except asyncpg.UniqueViolationError as exc:
            raise ConcurrencyConflict(f"another writer stored the same sequence number or key: {exc}") from exc
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError) as exc:
            await self._drop_writer_connection()
            raise StorageUnavailable(f"event store unavailable: {exc}") from exc
        except asyncpg.PostgresError as exc:
            raise EventLogError(f"event store error: {exc}") from exc
        return finish_batch(batch, plan, positions, now)

    async def _writer_connection(self) -> asyncpg.Connection:
        """The writer's own connection, kept open (only the single writer task uses it); reopened after a
        failure. Checking one out of the pool per batch was a visible cost."""
        if self._pg is None or self._pg.is_closed():
            self._pg = await asyncpg.connect(self.dsn, server_settings=self._server_settings(), timeout=10)
        return self._pg

    async def _close_writer(self) -> None:
        if self._pg is not None:
            await self._pg.close()
            self._pg = None

    async def _drop_writer_connection(self) -> None:
        if self._pg is not None:
            self._pg.terminate()
            self._pg = None

    async def _run_read(self, fn: Callable[[Connection], R]) -> R:
        async with self.engine.connect() as conn:
            return await conn.run_sync(fn)
