"""Alembic migrations, run programmatically on the log's own connection (``callpilot db upgrade`` too)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["MIGRATION_LOCK_ID", "alembic_config", "upgrade"]

# Any constant works; it only has to be the same in every process that migrates this database.
MIGRATION_LOCK_ID = 7_264_117


def alembic_config(connection: Any = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "callpilot:migrations")
    cfg.attributes["connection"] = connection
    return cfg


async def upgrade(engine: AsyncEngine, revision: str = "head", *, advisory_lock: bool = False) -> None:
    async with engine.begin() as conn:
        if advisory_lock:  # two processes starting at once must not both create the tables
            await conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})"))
        await conn.run_sync(lambda sync_conn: command.upgrade(alembic_config(sync_conn), revision))
