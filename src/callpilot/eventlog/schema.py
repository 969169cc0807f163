"""The events table, as SQLAlchemy Core metadata (the Alembic migrations create it)."""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["events_table", "metadata"]

metadata = sa.MetaData()

events_table = sa.Table(
    "events",
    metadata,
    # INTEGER PRIMARY KEY AUTOINCREMENT on SQLite: positions are never reused, even after a rollback.
    sa.Column("position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("call_id", sa.String(128), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("version", sa.SmallInteger, nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("trace_id", sa.String(64), nullable=True),
    sa.Column("idempotency_key", sa.String(128), nullable=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("call_id", "seq", name="uq_events_call_seq"),
    sa.UniqueConstraint("call_id", "idempotency_key", name="uq_events_call_key"),
    sa.Index("ix_events_type_position", "type", "position"),
    sqlite_autoincrement=True,
)
