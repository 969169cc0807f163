"""The embedded default: a float32 matrix per knowledge base and a brute-force dot product.

Exact, and fast enough for the knowledge bases contact centers have (10,000 x 384 takes about half a
millisecond a query here); the vectors themselves persist in the database's kb_chunks table.
"""

from __future__ import annotations

from collections.abc import Sequence
from threading import Lock

import numpy as np

from callpilot.assist.retrieval.vectors.base import VectorStore
from callpilot.embeddings.base import Vectors

__all__ = ["NumpyVectorStore"]


class _Table:
    def __init__(self, dim: int) -> None:
        self.ids = np.empty(0, dtype=np.int64)
        self.matrix = np.empty((0, dim), dtype=np.float32)


class NumpyVectorStore(VectorStore):
    def __init__(self, *, dim: int = 384) -> None:
        self.dim = dim
        self._tables: dict[str, _Table] = {}
        self._lock = Lock()

    def upsert(self, kb: str, ids: Sequence[int], vectors: Vectors) -> None:
        array = self._check(ids, vectors)
        with self._lock:
            table = self._tables.setdefault(kb, _Table(self.dim))
            new = np.asarray(ids, dtype=np.int64)
            keep = ~np.isin(table.ids, new)
            table.ids = np.concatenate([table.ids[keep], new])
            table.matrix = np.ascontiguousarray(np.concatenate([table.matrix[keep], array]))

    def delete(self, kb: str, ids: Sequence[int]) -> None:
        with self._lock:
            table = self._tables.get(kb)
            if table is None:
                return
            keep = ~np.isin(table.ids, np.asarray(ids, dtype=np.int64))
            table.ids, table.matrix = table.ids[keep], np.ascontiguousarray(table.matrix[keep])

    def search(self, kb: str, vector: Vectors, k: int) -> list[tuple[int, float]]:
        table = self._tables.get(kb)
        if table is None or not len(table.ids) or k < 1:
            return []
        ids, matrix = table.ids, table.matrix  # one consistent snapshot: upserts replace both together
        scores = matrix @ np.asarray(vector, dtype=np.float32).reshape(-1)
        k = min(k, len(ids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(ids[i]), float(scores[i])) for i in top]

    def ids(self, kb: str) -> set[int]:
        table = self._tables.get(kb)
        return set() if table is None else {int(i) for i in table.ids}
