"""KnowledgeStore: the knowledge bases' documents and chunks in the configured database (SQLAlchemy Core).

Synchronous on purpose: ingest and the CLI are batch work, and the server calls it from a worker thread. Every
change to a knowledge base is one transaction and bumps the base's ``revision``, which is how processes that
keep a search index in memory learn that theirs is stale.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from alembic import command
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine, make_url

from callpilot.assist.kb.documents import Chunk, Document, Section
from callpilot.assist.kb.schema import kb_bases, kb_chunks, kb_documents, kb_feedback, kb_sources
from callpilot.core.errors import ConfigError, KnowledgeBaseError, NotFound, StorageUnavailable
from callpilot.embeddings.base import Vectors
from callpilot.eventlog.migrate import MIGRATION_LOCK_ID, alembic_config

__all__ = ["API_ORIGIN", "FeedbackRow", "KbInfo", "KnowledgeStore", "StoredChunk", "create_sync_engine", "sync_url"]

API_ORIGIN = "api"


def sync_url(url: str) -> str:
    """The database URL with a synchronous driver (psycopg for PostgreSQL; the stdlib for SQLite)."""
    try:
        parsed = make_url(url)
    except sa_exc.ArgumentError as exc:
        raise ConfigError(f"database URL {url!r} is not a valid URL: {exc}") from exc
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if backend == "sqlite":
        return parsed.set(drivername="sqlite").render_as_string(hide_password=False)
    raise ConfigError(f"unsupported database backend {backend!r} for the knowledge base")


@dataclass(frozen=True, slots=True)
class StoredChunk:
    chunk_id: int
    doc_id: str
    title: str
    source: str | None
    product: str | None
    section: str | None
    heading: str | None
    text: str
    embedding: Vectors | None
    kind: str = "article"

    def search_text(self) -> str:
        return Chunk(ordinal=0, heading=self.heading, text=self.text).search_text(self.title)


@dataclass(frozen=True, slots=True)
class KbInfo:
    name: str
    documents: int
    chunks: int
    files: int
    revision: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    doc_id: str
    feedback: str
    embedding: Vectors


@contextmanager
def _translated() -> Iterator[None]:
    """Driver errors become callpilot's own, here only."""
    try:
        yield
    except (sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
        raise StorageUnavailable(f"knowledge-base store unavailable: {exc.orig}") from exc


def create_sync_engine(url: str, *, search_path: str | None = None) -> Engine:
    """A synchronous engine for the knowledge-base tables; ``search_path`` (PostgreSQL) isolates tests."""
    target = sync_url(url)
    args: dict[str, Any] = {}
    if search_path is not None and make_url(target).get_backend_name() == "postgresql":
        args["options"] = f"-csearch_path={search_path}"
    return sa.create_engine(target, connect_args=args)


class KnowledgeStore:
    def __init__(self, url: str, *, search_path: str | None = None) -> None:
        self.url = url
        self.dialect = make_url(sync_url(url)).get_backend_name()
        self.engine: Engine = create_sync_engine(url, search_path=search_path)
        if self.dialect == "sqlite":
            @sa.event.listens_for(self.engine, "connect")
            def _pragmas(dbapi_conn: Any, _record: Any) -> None:
                cursor = dbapi_conn.cursor()
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA busy_timeout=10000")
                cursor.close()

    def migrate(self) -> None:
        """Bring the schema (event log and knowledge base) up to date, as the event log does at start."""
        with _translated(), self.engine.begin() as conn:
            if self.dialect == "postgresql":
                conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})"))
            command.upgrade(alembic_config(conn), "head")

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with _translated(), self.engine.begin() as conn:
            yield conn

    # -- knowledge bases ---------------------------------------------------------------------------------
    def ensure_kb(self, conn: Connection, kb: str) -> None:
        if conn.execute(sa.select(kb_bases.c.name).where(kb_bases.c.name == kb)).first() is None:
            conn.execute(kb_bases.insert().values(name=kb, revision=0, updated_at=datetime.now(UTC)))

    def _bump(self, conn: Connection, kb: str) -> None:
        conn.execute(kb_bases.update().where(kb_bases.c.name == kb)
                     .values(revision=kb_bases.c.revision + 1, updated_at=datetime.now(UTC)))

    def revision(self, kb: str) -> int | None:
        with _translated(), self.engine.connect() as conn:
            value = conn.execute(sa.select(kb_bases.c.revision).where(kb_bases.c.name == kb)).scalar()
        return None if value is None else int(value)

    def list_kbs(self) -> list[KbInfo]:
        docs = sa.select(sa.func.count()).where(kb_documents.c.kb == kb_bases.c.name).scalar_subquery()
        chunks = sa.select(sa.func.count()).where(kb_chunks.c.kb == kb_bases.c.name).scalar_subquery()
        files = sa.select(sa.func.count()).where(kb_sources.c.kb == kb_bases.c.name).scalar_subquery()
        query = sa.select(kb_bases.c.name, docs, chunks, files, kb_bases.c.revision, kb_bases.c.updated_at)
        with _translated(), self.engine.connect() as conn:
            rows = conn.execute(query.order_by(kb_bases.c.name)).all()
        return [KbInfo(name=r[0], documents=r[1], chunks=r[2], files=r[3], revision=r[4],
                       updated_at=_utc(r[5])) for r in rows]

    # -- files -------------------------------------------------------------------------------------------
    def source_hashes(self, kb: str) -> dict[str, str]:
        with _translated(), self.engine.connect() as conn:
            rows = conn.execute(sa.select(kb_sources.c.path, kb_sources.c.sha256).where(kb_sources.c.kb == kb))
            return {path: sha for path, sha in rows}

    def replace_file(self, conn: Connection, kb: str, path: str, sha256: str,
                     documents: Sequence[tuple[Document, Sequence[Chunk], Vectors | None]]) -> None:
        """Store a file's documents in place of what it gave before (in the caller's transaction). A document
        id another file or the API already holds is refused, and nothing of this file is written."""
        ids = [doc.doc_id for doc, _, _ in documents]
        clashes = conn.execute(sa.select(kb_documents.c.doc_id, kb_documents.c.origin).where(
            kb_documents.c.kb == kb, kb_documents.c.doc_id.in_(ids), kb_documents.c.origin != path)).all()
        if clashes:
            shown = ", ".join(f"{d!r} (from {o})" for d, o in clashes[:5])
            raise KnowledgeBaseError(f"duplicate document id: {shown} already in knowledge base {kb!r}; "
                                     "nothing of this file was stored")
        self._delete_origin(conn, kb, path)
        for document, chunks, vectors in documents:
            self._insert(conn, kb, document, chunks, vectors, origin=path)
        conn.execute(kb_sources.delete().where(kb_sources.c.kb == kb, kb_sources.c.path == path))
        conn.execute(kb_sources.insert().values(kb=kb, path=path, sha256=sha256, documents=len(documents),
                                                ingested_at=datetime.now(UTC)))
        self._bump(conn, kb)

    def remove_file(self, conn: Connection, kb: str, path: str) -> int:
        removed = self._delete_origin(conn, kb, path)
        conn.execute(kb_sources.delete().where(kb_sources.c.kb == kb, kb_sources.c.path == path))
        self._bump(conn, kb)
        return removed

    def _delete_origin(self, conn: Connection, kb: str, origin: str) -> int:
        pks = [r[0] for r in conn.execute(sa.select(kb_documents.c.id).where(
            kb_documents.c.kb == kb, kb_documents.c.origin == origin))]
        self._delete_pks(conn, pks)
        return len(pks)

    def _delete_pks(self, conn: Connection, pks: list[int]) -> None:
        for first in range(0, len(pks), 500):  # SQLite's bound-parameter limit
            part = pks[first:first + 500]
            conn.execute(kb_chunks.delete().where(kb_chunks.c.document.in_(part)))
            conn.execute(kb_documents.delete().where(kb_documents.c.id.in_(part)))

    def _insert(self, conn: Connection, kb: str, document: Document, chunks: Sequence[Chunk],
                vectors: Vectors | None, *, origin: str) -> None:
        body = json.dumps([s.model_dump() for s in document.sections])
        pk = conn.execute(kb_documents.insert().values(
            kb=kb, doc_id=document.doc_id, title=document.title, source=document.source, product=document.product,
            section=document.section, kind=document.kind, metadata=json.dumps(document.metadata), body=body,
            origin=origin, updated_at=datetime.now(UTC)).returning(kb_documents.c.id)).scalar_one()
        if vectors is not None and len(vectors) != len(chunks):
            raise ValueError("one vector per chunk")
        rows = [{"document": pk, "kb": kb, "ordinal": c.ordinal, "heading": c.heading, "text": c.text,
                 "embedding": None if vectors is None else np.asarray(vectors[i], dtype=np.float32).tobytes()}
                for i, c in enumerate(chunks)]
        if rows:
            conn.execute(kb_chunks.insert(), rows)

    # -- articles (the API) ------------------------------------------------------------------------------
    def put_document(self, kb: str, document: Document, chunks: Sequence[Chunk], vectors: Vectors | None,
                     *, create_only: bool = False) -> bool:
        """Add or replace one document; True when it was new. ``create_only`` refuses an existing id."""
        with self.transaction() as conn:
            self.ensure_kb(conn, kb)
            row = conn.execute(sa.select(kb_documents.c.id, kb_documents.c.origin).where(
                kb_documents.c.kb == kb, kb_documents.c.doc_id == document.doc_id)).first()
            if row is not None and create_only:
                raise KnowledgeBaseError(f"document id {document.doc_id!r} already exists in knowledge base {kb!r}")
            origin = row[1] if row is not None else API_ORIGIN
            if row is not None:
                self._delete_pks(conn, [row[0]])
            self._insert(conn, kb, document, chunks, vectors, origin=origin)
            self._bump(conn, kb)
        return row is None

    def delete_document(self, kb: str, doc_id: str) -> None:
        with self.transaction() as conn:
            pk = conn.execute(sa.select(kb_documents.c.id).where(
                kb_documents.c.kb == kb, kb_documents.c.doc_id == doc_id)).scalar()
            if pk is None:
                raise NotFound(f"no document {doc_id!r} in knowledge base {kb!r}")
            self._delete_pks(conn, [pk])
            self._bump(conn, kb)

    def get_document(self, kb: str, doc_id: str) -> tuple[Document, str]:
        with _translated(), self.engine.connect() as conn:
            row = conn.execute(sa.select(kb_documents).where(
                kb_documents.c.kb == kb, kb_documents.c.doc_id == doc_id)).first()
        if row is None:
            raise NotFound(f"no document {doc_id!r} in knowledge base {kb!r}")
        return _document(row._mapping), row.origin

    def list_documents(self, kb: str, *, limit: int = 100, offset: int = 0) -> tuple[list[tuple[Document, str]], int]:
        query = sa.select(kb_documents).where(kb_documents.c.kb == kb).order_by(kb_documents.c.doc_id)
        total = sa.select(sa.func.count()).select_from(kb_documents).where(kb_documents.c.kb == kb)
        with _translated(), self.engine.connect() as conn:
            rows = conn.execute(query.limit(limit).offset(offset)).all()
            count = int(conn.execute(total).scalar_one())
        return [(_document(r._mapping), r.origin) for r in rows], count

    # -- what retrieval loads ----------------------------------------------------------------------------
    def load_chunks(self, kb: str) -> list[StoredChunk]:
        d, c = kb_documents.c, kb_chunks.c
        query = (sa.select(c.id, d.doc_id, d.title, d.source, d.product, d.section, c.heading, c.text, c.embedding,
                            d.kind)
                 .join(kb_documents, kb_documents.c.id == kb_chunks.c.document)
                 .where(c.kb == kb).order_by(c.id))
        with _translated(), self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [StoredChunk(chunk_id=r[0], doc_id=r[1], title=r[2], source=r[3], product=r[4], section=r[5],
                            heading=r[6], text=r[7],
                            embedding=None if r[8] is None else np.frombuffer(r[8], dtype=np.float32), kind=r[9])
                for r in rows]

    def add_feedback(self, kb: str, *, doc_id: str, feedback: str, query: str, embedding: Vectors, call_id: str,
                     suggestion_id: str) -> bool:
        """Remember feedback for ranking; False when this suggestion's feedback of that kind is already kept."""
        try:
            with self.transaction() as conn:
                conn.execute(kb_feedback.insert().values(
                    kb=kb, doc_id=doc_id, feedback=feedback, query=query,
                    embedding=np.asarray(embedding, dtype=np.float32).tobytes(), call_id=call_id,
                    suggestion_id=suggestion_id, recorded_at=datetime.now(UTC)))
                self._bump(conn, kb)
        except sa_exc.IntegrityError:
            return False
        return True

    def load_feedback(self, kb: str) -> list[FeedbackRow]:
        query = sa.select(kb_feedback.c.doc_id, kb_feedback.c.feedback, kb_feedback.c.embedding).where(
            kb_feedback.c.kb == kb).order_by(kb_feedback.c.id)
        with _translated(), self.engine.connect() as conn:
            return [FeedbackRow(doc_id=r[0], feedback=r[1], embedding=np.frombuffer(r[2], dtype=np.float32))
                    for r in conn.execute(query)]


def _document(row: Any) -> Document:
    sections = tuple(Section.model_validate(s) for s in json.loads(row["body"]))
    return Document(doc_id=row["doc_id"], title=row["title"], source=row["source"], product=row["product"],
                    section=row["section"], kind=row["kind"], metadata=json.loads(row["metadata"]),
                    sections=sections)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
