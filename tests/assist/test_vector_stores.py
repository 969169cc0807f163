"""The vector-store contract, run against the numpy store and pgvector."""

from __future__ import annotations

import pytest

from callpilot.assist.retrieval.vectors import NumpyVectorStore, VectorStore
from callpilot.assist.retrieval.vectors.pgvector_store import PgVectorStore
from callpilot.core.errors import ConfigError
from callpilot.testing.vectorstore_contract import DIM, VectorStoreContract


class TestNumpyVectorStore(VectorStoreContract):
    def make_store(self) -> VectorStore:
        return NumpyVectorStore(dim=DIM)


class TestPgVectorStore(VectorStoreContract):
    @pytest.fixture(autouse=True)
    def _schema(self, pgvector_schema: tuple[str, str]) -> None:
        self.url, self.search_path = pgvector_schema

    def make_store(self) -> VectorStore:
        return PgVectorStore(self.url, dim=DIM, search_path=self.search_path)


def test_pgvector_needs_postgresql(tmp_path) -> None:
    with pytest.raises(ConfigError, match="PostgreSQL"):
        PgVectorStore(f"sqlite:///{tmp_path}/x.db")


async def test_pgvector_without_the_extension_is_a_clear_error(pg_schema: tuple[str, str]) -> None:
    """The CI's PostgreSQL has no pgvector: the store says what to install instead of failing later."""
    url, schema = pg_schema
    try:
        store = PgVectorStore(url, dim=DIM, search_path=schema)
    except ConfigError as exc:
        assert "vector extension" in str(exc) and "vector_store: numpy" in str(exc)
    else:  # a server that has pgvector after all: then it must work
        store.upsert("kb", [1], NumpyVectorStore(dim=DIM)._check([1], __import__("numpy").eye(1, DIM)))
        assert store.ids("kb") == {1}
        store.close()
