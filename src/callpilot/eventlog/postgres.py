"""PostgreSQL backend (asyncpg), for many API processes and workers on one database."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from callpilot.core.errors import EventLogError
from callpilot.eventlog.migrate import upgrade
from callpilot.eventlog.sql import SqlEventLog

__all__ = ["PostgresEventLog", "asyncpg_url"]

R = TypeVar("R")


def asyncpg_url(url: str) -> str:
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


class PostgresEventLog(SqlEventLog):
    def __init__(self, url: str, *, pool_size: int = 10, search_path: str | None = None) -> None:
        super().__init__()
        self.url = asyncpg_url(url)
        self.pool_size = pool_size
        self.search_path = search_path
        self._engine: AsyncEngine | None = None

    async def _open(self) -> None:
        connect_args = {"server_settings": {"search_path": self.search_path}} if self.search_path else {}
        # No pool_pre_ping: it costs a round trip per checkout on the hot path. A connection that died with the
        # server fails its next statement (StorageUnavailable, a 503 the client retries) and SQLAlchemy
        # discards it, so the following checkout gets a fresh one.
        self._engine = create_async_engine(self.url, pool_size=self.pool_size, max_overflow=self.pool_size,
                                           connect_args=connect_args)
        await upgrade(self._engine, advisory_lock=True)

    async def _dispose(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise EventLogError("event log is not started")
        return self._engine

    async def _run_write(self, fn: Callable[[Connection], R]) -> R:
        async with self.engine.begin() as conn:
            # Positions come from a sequence, which hands out numbers at INSERT time, not at COMMIT: two
            # concurrent transactions could commit positions 11 then 10, and a reader tailing "after 10" would
            # skip the 10 it had not yet seen. An EXCLUSIVE table lock (plain readers still pass) held to the end
            # of the write transaction makes commit order equal position order, as the eventsourcing library
            # does. It also makes the "last seq + 1" step safe across processes. Group commit keeps the cost
            # of this serialisation to one lock per batch.
            await conn.execute(sa.text("LOCK TABLE events IN EXCLUSIVE MODE"))
            return await conn.run_sync(fn)

    async def _run_read(self, fn: Callable[[Connection], R]) -> R:
        async with self.engine.connect() as conn:
            return await conn.run_sync(fn)
