"""The knowledge-base tables (documents, chunks with embeddings, ingested files, feedback).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "kb_bases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("revision", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("updated_at", _WHEN, nullable=False),
    )
    op.create_table(
        "kb_documents",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("kb", sa.String(64), nullable=False),
        sa.Column("doc_id", sa.String(255), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("source", sa.String(2000), nullable=True),
        sa.Column("product", sa.String(200), nullable=True),
        sa.Column("section", sa.String(200), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("metadata", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("origin", sa.String(1000), nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.UniqueConstraint("kb", "doc_id", name="uq_kb_documents_doc"),
    )
    op.create_index("ix_kb_documents_origin", "kb_documents", ["kb", "origin"])
    op.create_table(
        "kb_chunks",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("document", _ID, sa.ForeignKey("kb_documents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kb", sa.String(64), nullable=False),
        sa.Column("ordinal", sa.Integer, nullable=False),
        sa.Column("heading", sa.String(500), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("embedding", sa.LargeBinary, nullable=True),
    )
    op.create_index("ix_kb_chunks_kb", "kb_chunks", ["kb", "id"])
    op.create_index("ix_kb_chunks_document", "kb_chunks", ["document"])
    op.create_table(
        "kb_sources",
        sa.Column("kb", sa.String(64), primary_key=True),
        sa.Column("path", sa.String(1000), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("documents", sa.Integer, nullable=False),
        sa.Column("ingested_at", _WHEN, nullable=False),
    )
    op.create_table(
        "kb_feedback",
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
    )
    op.create_index("ix_kb_feedback_kb", "kb_feedback", ["kb"])


def downgrade() -> None:
    for table in ("kb_feedback", "kb_sources", "kb_chunks", "kb_documents", "kb_bases"):
        op.drop_table(table)
