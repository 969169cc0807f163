"""The outbox's tables, in the same database as the event log (migrations 0003 and 0004 create them).

Subscriptions are webhook configuration, edited in place. Deliveries are the outbox: one row per (destination,
event), keyed ``{destination}:{position}``, which is also the ``webhook-id`` every attempt carries, so a
receiver that honours it sees each event once. A destination is a webhook subscription (``wh_...``) or a
configured connector (``email``, ``salesforce``, ``hubspot``, ``zendesk``); the tables keep their first names.
The cursor is how far the dispatcher has read the log; rows and cursor move in one transaction, so a crash
between reading and recording loses nothing and inserts nothing twice.
"""

from __future__ import annotations

import sqlalchemy as sa

from callpilot.eventlog.schema import metadata

__all__ = ["webhook_cursor", "webhook_deliveries", "webhook_subscriptions"]

_WHEN = sa.DateTime(timezone=True)

webhook_subscriptions = sa.Table(
    "webhook_subscriptions", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("event_types", sa.Text, nullable=False, doc="JSON list of catalog types"),
    sa.Column("secret_sealed", sa.Text, nullable=False, doc="the whsec_ secret, sealed with the vault key"),
    sa.Column("description", sa.String(500), nullable=True),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("disabled_reason", sa.String(500), nullable=True),
    sa.Column("created_at", _WHEN, nullable=False),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries", metadata,
    sa.Column("msg_id", sa.String(80), primary_key=True),
    sa.Column("subscription_id", sa.String(40), nullable=False),
    sa.Column("event_type", sa.String(40), nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("call_id", sa.String(128), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, doc="pending | delivered | dead"),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", _WHEN, nullable=False),
    sa.Column("leased_until", _WHEN, nullable=True, doc="a sender is sending it until then (migration 0004)"),
    sa.Column("last_status", sa.Integer, nullable=True),
    sa.Column("last_error", sa.String(500), nullable=True),
    sa.Column("created_at", _WHEN, nullable=False),
    sa.Column("updated_at", _WHEN, nullable=False),
    sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
)

webhook_cursor = sa.Table(
    "webhook_cursor", metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
)
