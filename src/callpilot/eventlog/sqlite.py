"""SQLite backend: the embedded default (one file, WAL mode)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic import command
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from callpilot.core.errors import ConfigError, EventLogError
from callpilot.eventlog.migrate import alembic_config
from callpilot.eventlog.sql import SqlEventLog

__all__ = ["SqliteEventLog"]

R = TypeVar("R")


class SqliteEventLog(SqlEventLog):
    """Runs the stdlib sqlite3 driver on its own threads: one writer thread (so a whole batch is one hop from
    the event loop, not one per statement as an async bridge would make it) and a few reader threads.

    Writers take SQLite's write lock up front (BEGIN IMMEDIATE), so several processes appending to one file
    serialise on it instead of failing half-way; readers use WAL snapshots and never block the writer.

    ``synchronous``: FULL (default) fsyncs every commit, so an acknowledged segment survives a power loss;
    NORMAL survives a process crash but may lose the last commits on power loss.
    """

    def __init__(self, path: str | Path, *, synchronous: str = "FULL", busy_timeout_ms: int = 10_000,
                 readers: int = 4) -> None:
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

    async def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{self.path}"
        args = {"check_same_thread": False}
        self._writer = self._configure(sa.create_engine(url, pool_size=1, max_overflow=0, connect_args=args),
                                       begin="BEGIN IMMEDIATE")
        self._reader = self._configure(
            sa.create_engine(url, pool_size=self._readers, max_overflow=0, connect_args=args), begin="BEGIN")
        self._write_thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
        self._read_threads = ThreadPoolExecutor(self._readers, thread_name_prefix="sqlite-reader")
        await self._run_write(lambda conn: command.upgrade(alembic_config(conn), "head"))

    async def _dispose(self) -> None:
        for pool in (self._write_thread, self._read_threads):
            if pool is not None:
                pool.shutdown(wait=True)
        for engine in (self._writer, self._reader):
            if engine is not None:
                engine.dispose()
        self._writer = self._reader = None
        self._write_thread = self._read_threads = None

    def _configure(self, engine: Engine, *, begin: str) -> Engine:
        pragmas = (
            "PRAGMA journal_mode=WAL",
            f"PRAGMA synchronous={self.synchronous}",
            f"PRAGMA busy_timeout={self.busy_timeout_ms}",
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
        engine, pool = self._writer, self._write_thread
        if engine is None or pool is None:
            raise EventLogError("event log is not started")

        def work() -> R:
            with engine.begin() as conn:
                return fn(conn)

        return await asyncio.get_running_loop().run_in_executor(pool, work)

    async def _run_read(self, fn: Callable[[Connection], R]) -> R:
        engine, pool = self._reader, self._read_threads
        if engine is None or pool is None:
            raise EventLogError("event log is not started")

        def work() -> R:
            with engine.begin() as conn:
                return fn(conn)

        return await asyncio.get_running_loop().run_in_executor(pool, work)
