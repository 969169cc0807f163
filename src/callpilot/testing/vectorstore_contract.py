"""The contract every VectorStore must pass. Subclass it with ``make_store`` (an empty store, ``dim`` 8)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

import numpy as np
import pytest

from callpilot.assist.retrieval.vectors.base import VectorStore, reconcile

__all__ = ["VectorStoreContract", "unit_vectors"]

DIM = 8


def unit_vectors(n: int, *, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)  # type: ignore[no-any-return]


class VectorStoreContract(ABC):
    @abstractmethod
    def make_store(self) -> VectorStore: ...

    @pytest.fixture
    def store(self) -> Iterator[VectorStore]:
        store = self.make_store()
        yield store
        store.close()

    def test_nearest_first_with_cosine_scores(self, store: VectorStore) -> None:
        vectors = unit_vectors(20)
        store.upsert("kb", list(range(100, 120)), vectors)
        query = vectors[7]
        found = store.search("kb", query, 5)
        expected = np.argsort(-(vectors @ query))[:5]
        assert [i for i, _ in found] == [100 + int(j) for j in expected]
        assert found[0][1] == pytest.approx(1.0, abs=1e-5)
        assert all(a[1] >= b[1] for a, b in zip(found, found[1:], strict=False))

    def test_k_larger_than_the_store(self, store: VectorStore) -> None:
        store.upsert("kb", [1, 2], unit_vectors(2))
        assert sorted(i for i, _ in store.search("kb", unit_vectors(1, seed=3)[0], 10)) == [1, 2]

    def test_empty_or_unknown_base_finds_nothing(self, store: VectorStore) -> None:
        assert store.search("nothing-here", unit_vectors(1)[0], 3) == []
        assert store.ids("nothing-here") == set()

    def test_bases_are_separate(self, store: VectorStore) -> None:
        store.upsert("kb-a", [1, 2, 3], unit_vectors(3, seed=1))
        store.upsert("kb-b", [4, 5], unit_vectors(2, seed=2))
        assert {i for i, _ in store.search("kb-a", unit_vectors(1)[0], 10)} == {1, 2, 3}
        assert store.ids("kb-b") == {4, 5}

    def test_upsert_replaces_a_vector(self, store: VectorStore) -> None:
        vectors = unit_vectors(3)
        store.upsert("kb", [1, 2, 3], vectors)
        store.upsert("kb", [1], -vectors[1:2])  # id 1 now points away from vector 1's direction... and at -v1
        found = dict(store.search("kb", -vectors[1], 3))
        assert found[1] == pytest.approx(1.0, abs=1e-5)
        assert store.ids("kb") == {1, 2, 3}

    def test_delete(self, store: VectorStore) -> None:
        vectors = unit_vectors(4)
        store.upsert("kb", [1, 2, 3, 4], vectors)
        store.delete("kb", [2, 4])
        assert store.ids("kb") == {1, 3}
        assert 2 not in {i for i, _ in store.search("kb", vectors[1], 4)}

    def test_reconcile_makes_the_store_match(self, store: VectorStore) -> None:
        vectors = unit_vectors(5)
        store.upsert("kb", [1, 2, 9], vectors[:3])
        added, removed = reconcile(store, "kb", [1, 2, 3, 4], vectors[:4])
        assert (added, removed) == (2, 1)
        assert store.ids("kb") == {1, 2, 3, 4}
        assert store.search("kb", vectors[3], 1)[0][0] == 4

    def test_wrong_shapes_are_refused(self, store: VectorStore) -> None:
        with pytest.raises(ValueError):
            store.upsert("kb", [1, 2], unit_vectors(1))
        with pytest.raises(ValueError):
            store.upsert("kb", [1], np.ones((1, DIM + 1), dtype=np.float32))
        with pytest.raises(ValueError):
            store.upsert("kb", [1, 1], unit_vectors(2))
