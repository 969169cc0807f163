"""The server-grade store: pgvector in PostgreSQL, an HNSW index (cosine) per knowledge base.

Needs the ``vector`` extension in the database (Debian/Ubuntu: ``postgresql-NN-pgvector``; it is created here
when the role may). The vectors live in ``kb_vector_items`` beside the knowledge-base tables; that table is
created here rather than in a migration because the extension is optional for the rest of callpilot.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from callpilot.assist.kb.documents import valid_kb_name
from callpilot.assist.kb.store import create_sync_engine, sync_url
from callpilot.assist.retrieval.vectors.base import VectorStore
from callpilot.core.errors import ConfigError, StorageUnavailable
from callpilot.embeddings.base import Vectors

__all__ = ["PgVectorStore"]

_TABLE = "kb_vector_items"


class PgVectorStore(VectorStore):
    EF_SEARCH = 100

    def __init__(self, url: str, *, dim: int = 384, search_path: str | None = None) -> None:
        from pgvector.psycopg import register_vector

        self.dim = dim
        if not sync_url(url).startswith("postgresql"):
            raise ConfigError("the pgvector store needs a PostgreSQL database_url")
        self.engine = create_sync_engine(url, search_path=search_path)
        sa.event.listen(self.engine, "connect", lambda conn, _rec: register_vector(conn))
        self._indexed: set[str] = set()
        self._setup()

    def _setup(self) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector"))
        except sa_exc.DBAPIError as exc:
            raise ConfigError(
                "the pgvector store needs PostgreSQL's vector extension, which this server cannot create "
                f"({exc.orig}); install pgvector (postgresql-NN-pgvector) or set assist.vector_store: numpy"
            ) from exc
        self.engine.dispose()  # connections made before the extension existed do not know its type
        with self.engine.begin() as conn:
            conn.execute(sa.text(f"CREATE TABLE IF NOT EXISTS {_TABLE} (chunk_id BIGINT PRIMARY KEY, "
                                 f"kb VARCHAR(64) NOT NULL, embedding vector({self.dim}) NOT NULL)"))

    def _index(self, kb: str) -> None:
        """A partial HNSW index per knowledge base, so that a search of one base never filters another's."""
        if kb in self._indexed:
            return
        if not valid_kb_name(kb):
            raise ValueError(f"bad knowledge-base name {kb!r}")
        with self._begin() as conn:
            conn.execute(sa.text(f'CREATE INDEX IF NOT EXISTS "{_TABLE}_hnsw_{kb}" ON {_TABLE} '
                                 f"USING hnsw (embedding vector_cosine_ops) WHERE kb = '{kb}'"))
        self._indexed.add(kb)

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except (sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
            raise StorageUnavailable(f"pgvector store unavailable: {exc.orig}") from exc

    def upsert(self, kb: str, ids: Sequence[int], vectors: Vectors) -> None:
        array = self._check(ids, vectors)
        self._index(kb)
        rows = [{"id": int(i), "kb": kb, "v": array[n]} for n, i in enumerate(ids)]
        with self._begin() as conn:
            for first in range(0, len(rows), 1000):
                conn.execute(sa.text(
                    f"INSERT INTO {_TABLE} (chunk_id, kb, embedding) VALUES (:id, :kb, :v) "
                    "ON CONFLICT (chunk_id) DO UPDATE SET kb = EXCLUDED.kb, embedding = EXCLUDED.embedding"),
                    rows[first:first + 1000])

    def delete(self, kb: str, ids: Sequence[int]) -> None:
        with self._begin() as conn:
            conn.execute(sa.text(f"DELETE FROM {_TABLE} WHERE kb = :kb AND chunk_id = ANY(:ids)"),
                         {"kb": kb, "ids": [int(i) for i in ids]})

    def search(self, kb: str, vector: Vectors, k: int) -> list[tuple[int, float]]:
        if k < 1 or not valid_kb_name(kb):
            return []
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        with self._begin() as conn:
            conn.execute(sa.text(f"SET LOCAL hnsw.ef_search = {max(self.EF_SEARCH, k)}"))
            # The kb literal (validated above) lets the planner match the partial index's predicate.
            rows = conn.execute(sa.text(
                f"SELECT chunk_id, 1 - (embedding <=> :q) AS score FROM {_TABLE} WHERE kb = '{kb}' "
                "ORDER BY embedding <=> :q LIMIT :k"), {"q": query, "k": k}).all()
        return [(int(r[0]), float(r[1])) for r in rows]

    def ids(self, kb: str) -> set[int]:
        with self._begin() as conn:
            return {int(r[0]) for r in conn.execute(sa.text(f"SELECT chunk_id FROM {_TABLE} WHERE kb = :kb"),
                                                   {"kb": kb})}

    def close(self) -> None:
        self.engine.dispose()
