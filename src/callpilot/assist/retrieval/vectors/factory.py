"""Settings -> vector store: ``numpy`` (in process, the embedded default) or ``pgvector`` (PostgreSQL)."""

from __future__ import annotations

from typing import Literal

from callpilot.assist.retrieval.vectors.base import VectorStore
from callpilot.assist.retrieval.vectors.numpy_store import NumpyVectorStore

__all__ = ["VECTOR_STORES", "VectorStoreName", "open_vector_store"]

VectorStoreName = Literal["numpy", "pgvector"]
VECTOR_STORES: tuple[str, ...] = ("numpy", "pgvector")


def open_vector_store(name: str, *, database_url: str, dim: int, search_path: str | None = None) -> VectorStore:
    if name == "numpy":
        return NumpyVectorStore(dim=dim)
    if name == "pgvector":
        from callpilot.assist.retrieval.vectors.pgvector_store import PgVectorStore

        return PgVectorStore(database_url, dim=dim, search_path=search_path)
    raise ValueError(f"unknown vector store {name!r} (choose from {', '.join(VECTOR_STORES)})")
