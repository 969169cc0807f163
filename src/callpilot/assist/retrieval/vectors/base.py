"""The vector-store interface: unit vectors keyed by chunk id, per knowledge base, searched by cosine."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from callpilot.embeddings.base import Vectors

__all__ = ["VectorStore", "reconcile"]


class VectorStore(ABC):
    """``search`` answers the ``k`` nearest ids by cosine similarity (vectors are unit length), best first."""

    dim: int

    @abstractmethod
    def upsert(self, kb: str, ids: Sequence[int], vectors: Vectors) -> None: ...

    @abstractmethod
    def delete(self, kb: str, ids: Sequence[int]) -> None: ...

    @abstractmethod
    def search(self, kb: str, vector: Vectors, k: int) -> list[tuple[int, float]]: ...

    @abstractmethod
    def ids(self, kb: str) -> set[int]: ...

    def close(self) -> None:  # noqa: B027 - optional hook: in-process stores hold no connections
        """Release connections."""

    def _check(self, ids: Sequence[int], vectors: Vectors) -> Vectors:
        array = np.asarray(vectors, dtype=np.float32)
        if array.ndim != 2 or array.shape[1] != self.dim or len(array) != len(ids):
            raise ValueError(f"expected {len(ids)} vectors of {self.dim} dimensions, got shape {array.shape}")
        if len(set(ids)) != len(ids):
            raise ValueError("ids must be distinct")
        return array


def reconcile(store: VectorStore, kb: str, ids: Sequence[int], vectors: Vectors) -> tuple[int, int]:
    """Make the store hold exactly these chunks (the database's kb_chunks are the truth): add the missing,
    drop the extra. Returns (added, removed). Chunks are immutable once written (an edit makes new ids), so
    ids present in both need no rewrite."""
    have = store.ids(kb)
    wanted = {int(i): row for row, i in enumerate(ids)}
    extra = sorted(have - wanted.keys())
    missing = [i for i in wanted if i not in have]
    if extra:
        store.delete(kb, extra)
    if missing:
        store.upsert(kb, missing, np.asarray(vectors)[[wanted[i] for i in missing]])
    return len(missing), len(extra)
