"""SQLite backend: the embedded default (one file, WAL mode)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic import command
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from callpilot.core.errors import ConcurrencyConflict, ConfigError, EventLogError, StorageUnavailable
from callpilot.core.logging import get_logger
from callpilot.eventlog.base import AppendResult
from callpilot.eventlog.migrate import alembic_config
from callpilot.eventlog.sql import AppendRequest, SqlEventLog, finish_batch, plan_batch, row_to_event

__all__ = ["SqliteEventLog"]

R = TypeVar("R")
log = get_logger(__name__)


class SqliteEventLog(SqlEventLog):
    """Runs the stdlib sqlite3 driver on its own threads: one writer thread (so a whole batch is one hop from
    the event loop, not one per statement as an async bridge would make it) and a few reader threads.

    Writers take SQLite's write lock up front (BEGIN IMMEDIATE), so several processes appending to one file
    serialise on it instead of failing half-way; readers use WAL snapshots and never block the writer.

    ``synchronous``: FULL (default) fsyncs every commit, so an acknowledged segment survives a power loss;
    NORMAL survives a process crash but may lose the last commits on power loss.
    """

    def __init__(self, path: str | Path, *, synchronous: str = "FULL", busy_timeout_ms: int = 10_000,
                 readers: int = 4, checkpoint_seconds: float = 1.0) -> None:
        super().__init__()
        if str(path) in ("", ":memory:"):
            raise ConfigError("an in-memory SQLite database cannot be shared by the log's connections; "
                              "use a file path (a temporary file in tests)")
        self.path = Path(path)
        self.synchronous = synchronous
        self.busy_timeout_ms = busy_timeout_ms
        self._readers = readers
        self._writer: Engine | None = None
        self._reader: Engine | None = None
        self._write_thread: ThreadPoolExecutor | None = None
        self._read_threads: ThreadPoolExecutor | None = None
        self._checkpoint_thread: ThreadPoolExecutor | None = None
        self._checkpointer: asyncio.Task[None] | None = None
        self.checkpoint_seconds = checkpoint_seconds

    def location(self) -> tuple[str, str | None]:
        return f"sqlite:///{self.path}", None

    async def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{self.path}"
        args = {"check_same_thread": False}
        self._writer = self._configure(sa.create_engine(url, pool_size=1, max_overflow=0, connect_args=args),
                                       begin="BEGIN IMMEDIATE", extra=("PRAGMA wal_autocheckpoint=0",))
        self._reader = self._configure(
            sa.create_engine(url, pool_size=self._readers, max_overflow=0, connect_args=args), begin="BEGIN")
        self._write_thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
        self._read_threads = ThreadPoolExecutor(self._readers, thread_name_prefix="sqlite-reader")
        self._checkpoint_thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-checkpoint")
        await self._run_write(lambda conn: command.upgrade(alembic_config(conn), "head"))
        self._checkpointer = asyncio.create_task(self._checkpoint_loop(), name="sqlite-checkpoint")

    async def _checkpoint_loop(self) -> None:
        """Copy the WAL back into the database file off the write path.

        The writer's connection has automatic checkpoints turned off: they ran inside a commit, with an fsync
        of the database file, and stalled every append waiting behind it (the benchmark's p99 spikes). A
        PASSIVE checkpoint here runs beside the writer without blocking it.
        """
        engine, pool = self._reader, self._checkpoint_thread
        assert engine is not None and pool is not None

        def checkpoint() -> None:
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.checkpoint_seconds)
            try:
                await loop.run_in_executor(pool, checkpoint)
            except Exception:  # a failed checkpoint is retried next time; the WAL only grows meanwhile
                log.warning("sqlite_checkpoint_failed", path=str(self.path), exc_info=True)

    async def _dispose(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checkpointer
            self._checkpointer = None
        for pool in (self._write_thread, self._read_threads, self._checkpoint_thread):
            if pool is not None:
                pool.shutdown(wait=True)
        for engine in (self._writer, self._reader):
            if engine is not None:
                engine.dispose()
        self._writer = self._reader = None
        self._write_thread = self._read_threads = self._checkpoint_thread = None

    def _configure(self, engine: Engine, *, begin: str, extra: tuple[str, ...] = ()) -> Engine:
        pragmas = (
            "PRAGMA journal_mode=WAL",
            f"PRAGMA synchronous={self.synchronous}",
            f"PRAGMA busy_timeout={self.busy_timeout_ms}",
            *extra,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Take transaction control away from the driver so BEGIN is ours (SQLAlchemy's documented recipe).
            dbapi_connection.isolation_level = None
            for pragma in pragmas:
                dbapi_connection.execute(pragma)

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql(begin)

        return engine

    async def _run_write(self, fn: Callable[[Connection], R]) -> R:
        return await _in_transaction(self._writer, self._write_thread, fn)

    async def _write_batch(self, batch: list[AppendRequest], now: datetime) -> list[AppendResult | Exception]:
        """The batch on the sqlite3 connection directly, in the writer thread: the same plan as every backend,
        without SQLAlchemy's per-statement work, which held the GIL against the event loop for a large share
        of the writer's time in the benchmark profile."""
        engine, pool = self._writer, self._write_thread
        if engine is None or pool is None:
            raise EventLogError("event log is not started")

        def work() -> list[AppendResult | Exception]:
            with engine.connect() as conn:
                dbapi = conn.connection.dbapi_connection
                assert dbapi is not None
                try:
                    return _write_raw(dbapi, batch, now)
                except sqlite3.IntegrityError as exc:
                    raise ConcurrencyConflict(f"another writer stored the same sequence number or key: {exc}") \
                        from exc
                except sqlite3.OperationalError as exc:
                    raise StorageUnavailable(f"event store unavailable: {exc}") from exc
                except sqlite3.Error as exc:
                    raise EventLogError(f"event store error: {exc}") from exc

        return await asyncio.get_running_loop().run_in_executor(pool, work)

    async def _run_read(self, fn: Callable[[Connection], R]) -> R:
        return await _in_transaction(self._reader, self._read_threads, fn)


async def _in_transaction(engine: Engine | None, pool: ThreadPoolExecutor | None, fn: Callable[[Connection], R]
                          ) -> R:
    """Run ``fn`` in one transaction on one of ``pool``'s threads."""
    if engine is None or pool is None:
        raise EventLogError("event log is not started")

    def work() -> R:
        with engine.begin() as conn:
            return fn(conn)

    return await asyncio.get_running_loop().run_in_executor(pool, work)


# SQLAlchemy's storage format for DateTime on SQLite, so that rows written here read back through it.
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"
_STORED_COLUMNS = "position, call_id, seq, type, version, data, recorded_at, trace_id, idempotency_key"


def _write_raw(dbapi: Any, batch: list[AppendRequest], now: datetime) -> list[AppendResult | Exception]:
    call_ids = sorted({r.call_id for r in batch})
    keys = sorted({r.idempotency_key for r in batch if r.idempotency_key is not None})
    ids = ",".join("?" * len(call_ids))
    cursor = dbapi.cursor()
    cursor.execute("BEGIN IMMEDIATE")
    try:
        last_seq = dict(cursor.execute(
            f"SELECT call_id, max(seq) FROM events WHERE call_id IN ({ids}) GROUP BY call_id", call_ids).fetchall())
        stored = {}
        if keys:
            rows = cursor.execute(
                f"SELECT {_STORED_COLUMNS} FROM events WHERE call_id IN ({ids}) "
                f"AND idempotency_key IN ({','.join('?' * len(keys))})", [*call_ids, *keys]).fetchall()
            for row in rows:
                record = dict(zip(_STORED_COLUMNS.split(", "), row, strict=True))
                record["recorded_at"] = datetime.strptime(record["recorded_at"], _SQLITE_TIME)
                stored[(record["call_id"], record["idempotency_key"])] = row_to_event(record)
        plan = plan_batch(batch, last_seq, stored, now)
        positions: list[int] = []
        if plan.params:
            stamp = now.astimezone(UTC).replace(tzinfo=None).strftime(_SQLITE_TIME)
            values = [v for p in plan.params for v in (p["call_id"], p["seq"], p["type"], p["version"], p["data"],
                                                       p["trace_id"], p["idempotency_key"], stamp)]
            rows = cursor.execute(
                "INSERT INTO events (call_id, seq, type, version, data, trace_id, idempotency_key, recorded_at) "
                f"VALUES {','.join(['(?,?,?,?,?,?,?,?)'] * len(plan.params))} RETURNING position, call_id, seq",
                values).fetchall()
            by_seq = {(call_id, seq): position for position, call_id, seq in rows}
            positions = [by_seq[(p["call_id"], p["seq"])] for p in plan.params]
        cursor.execute("COMMIT")
    except BaseException:
        cursor.execute("ROLLBACK")
        raise
    finally:
        cursor.close()
    return finish_batch(batch, plan, positions, now)
