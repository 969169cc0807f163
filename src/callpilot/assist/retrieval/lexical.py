"""BM25 over chunks with bm25s (sparse matrices; ~1 ms a query on 10,000 chunks) and an English stemmer."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = ["Bm25Index", "stem_terms"]


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def stem_terms(text: str) -> list[str]:
    """The stemmed, stop-word-free terms of a text, as the index sees them (for snippet scoring)."""
    import bm25s

    tokens = bm25s.tokenize([text], stopwords="en", stemmer=_stemmer(), show_progress=False, return_ids=False)
    return list(tokens[0]) if tokens else []


class Bm25Index:
    def __init__(self, texts: Sequence[str]) -> None:
        import bm25s

        self.size = len(texts)
        self._retriever: Any = None
        if texts:
            tokens = bm25s.tokenize(list(texts), stopwords="en", stemmer=_stemmer(), show_progress=False)
            self._retriever = bm25s.BM25()
            self._retriever.index(tokens, show_progress=False)

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """(row, score) of the best ``k`` rows with any query term, best first."""
        import bm25s

        if self._retriever is None or k < 1:
            return []
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=_stemmer(), show_progress=False,
                                return_ids=False)
        terms = [t for t in tokens[0] if t in self._retriever.vocab_dict] if tokens else []
        if not terms:
            return []
        rows, scores = self._retriever.retrieve([terms], k=min(k, self.size), show_progress=False, n_threads=1)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if s > 0 and np.isfinite(s)]
