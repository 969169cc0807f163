"""The knowledge-base tables, in the same database as the event log (migration 0002 creates them).

Documents and chunks are state, not events: a knowledge base is edited in place and is not part of any call's
history. Embeddings are stored with the chunks (float32 bytes), so every process and every vector store can be
rebuilt from this table without running the encoder again.
"""

from __future__ import annotations

import sqlalchemy as sa

from callpilot.eventlog.schema import metadata

__all__ = ["kb_bases", "kb_chunks", "kb_documents", "kb_feedback", "kb_sources"]

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = sa.DateTime(timezone=True)

kb_bases = sa.Table(
    "kb_bases", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("revision", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("updated_at", _WHEN, nullable=False),
)

kb_documents = sa.Table(
    "kb_documents", metadata,
    sa.Column("id", _ID, primary_key=True, autoincrement=True),
    sa.Column("kb", sa.String(64), nullable=False),
    sa.Column("doc_id", sa.String(255), nullable=False),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("source", sa.String(2000), nullable=True),
    sa.Column("product", sa.String(200), nullable=True),
    sa.Column("section", sa.String(200), nullable=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("metadata", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False, comment="the document as JSON sections, for the API's GET"),
    sa.Column("origin", sa.String(1000), nullable=False, comment="the file it came from, or 'api'"),
    sa.Column("updated_at", _WHEN, nullable=False),
    sa.UniqueConstraint("kb", "doc_id", name="uq_kb_documents_doc"),
    sa.Index("ix_kb_documents_origin", "kb", "origin"),
)

kb_chunks = sa.Table(
    "kb_chunks", metadata,
    sa.Column("id", _ID, primary_key=True, autoincrement=True),
    sa.Column("document", _ID, sa.ForeignKey("kb_documents.id", ondelete="CASCADE"), nullable=False),
    sa.Column("kb", sa.String(64), nullable=False),
    sa.Column("ordinal", sa.Integer, nullable=False),
    sa.Column("heading", sa.String(500), nullable=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("embedding", sa.LargeBinary, nullable=True),
    sa.Index("ix_kb_chunks_kb", "kb", "id"),
    sa.Index("ix_kb_chunks_document", "document"),
)

kb_sources = sa.Table(
    "kb_sources", metadata,
    sa.Column("kb", sa.String(64), primary_key=True),
    sa.Column("path", sa.String(1000), primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("documents", sa.Integer, nullable=False),
    sa.Column("ingested_at", _WHEN, nullable=False),
)

kb_feedback = sa.Table(
    "kb_feedback", metadata,
    sa.Column("id", _ID, primary_key=True, autoincrement=True),
    sa.Column("kb", sa.String(64), nullable=False),
    sa.Column("doc_id", sa.String(255), nullable=False),
    sa.Column("feedback", sa.String(16), nullable=False),
    sa.Column("query", sa.Text, nullable=False),
    sa.Column("embedding", sa.LargeBinary, nullable=False),
    sa.Column("call_id", sa.String(128), nullable=False),
    sa.Column("suggestion_id", sa.String(128), nullable=False),
    sa.Column("recorded_at", _WHEN, nullable=False),
    sa.UniqueConstraint("call_id", "suggestion_id", "feedback", name="uq_kb_feedback_once"),
    sa.Index("ix_kb_feedback_kb", "kb"),
)
