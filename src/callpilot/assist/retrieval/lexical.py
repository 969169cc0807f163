"""BM25 over chunks with bm25s (sparse matrices; ~1 ms a query on 10,000 chunks) and an English stemmer."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = ["Bm25Index", "stem_terms"]


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # bm25s.tokenize's default pattern, so queries split as the index did


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def stem_terms(text: str) -> list[str]:
    """The stemmed, stop-word-free terms of a text, exactly as ``bm25s.tokenize(stopwords="en")`` makes them
    for the index. Written out because that function builds a vocabulary and progress bars on every call,
    which cost more than the search on short queries (profiled: 0.2 ms a call, 60% of a search)."""
    stop = _stop_words()
    words = [w for w in _TOKEN.findall(text.lower()) if w not in stop]
    return list(_stemmer().stemWords(words)) if words else []


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
        if self._retriever is None or k < 1:
            return []
        terms = [t for t in stem_terms(query) if t in self._retriever.vocab_dict]
        if not terms:
            return []
        # n_threads=0 searches in this thread; 1 starts a thread pool per call (1.5 ms, profiled)
        rows, scores = self._retriever.retrieve([terms], k=min(k, self.size), show_progress=False, n_threads=0)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if s > 0 and np.isfinite(s)]
