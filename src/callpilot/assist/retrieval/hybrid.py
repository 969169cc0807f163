"""One knowledge base's search structures, and hybrid search: BM25 and dense rankings fused by reciprocal rank.

Results are distinct documents, best first, each with the chunk that matched best, its answering sentence and
a confidence. Reciprocal rank fusion (Cormack et al., 2009) needs no score calibration between the two
rankers; the confidence is calibrated separately from the dense cosine, since RRF scores mean nothing alone.
Feedback from earlier calls scales a document's score when the query is close to the one it was given for.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from callpilot.assist.kb.store import FeedbackRow, StoredChunk
from callpilot.assist.retrieval.lexical import Bm25Index, stem_terms
from callpilot.assist.retrieval.snippets import make_snippet
from callpilot.assist.retrieval.vectors.base import VectorStore
from callpilot.embeddings.base import Vectors

__all__ = ["FEEDBACK_WEIGHTS", "KnowledgeIndex", "SearchHit", "SearchMode"]

SearchMode = Literal["hybrid", "bm25", "dense"]
RRF_K = 60
# BM25's vote in the fusion, against 1 for the dense ranking. Measured on StackFAQ and ABCD (docs/benchmarks.md):
# equal weights cost 5 points of Recall@1 against dense alone on paraphrased questions; at 0.3 hybrid is within
# about a point of dense there, while exact identifiers (error codes, product names) still lift a document.
LEXICAL_WEIGHT = 0.3
# How much one piece of feedback given for a similar query scales a document's score and confidence.
FEEDBACK_WEIGHTS = {"irrelevant": 0.25, "not_helpful": 0.6, "helpful": 1.25, "clicked": 1.1}
FEEDBACK_SIMILARITY = 0.75
# Confidence from the mean cosine over the embedded queries: 0.35 maps to 0, 0.80 to 1. On StackFAQ's
# paraphrased questions the right document's cosine has median 0.73 and the best wrong one's 0.52; a caller's
# words against an article passage score lower (the sample calls' right articles: 0.50-0.80), which is why the
# orchestrator's default card threshold is 0.3 (a cosine of about 0.49). The benchmark reports what that shows
# and hides (docs/benchmarks.md). A margin over the base's background was tried and dropped: in a base with many
# near-duplicate articles nothing stands out, and it hid right answers.
COSINE_FLOOR, COSINE_SPAN = 0.35, 0.45


@dataclass(frozen=True, slots=True)
class SearchHit:
    doc_id: str
    title: str
    source: str | None
    product: str | None
    section: str | None
    chunk_id: int
    score: float
    confidence: float
    snippet: str
    highlight: tuple[int, int]
    kind: str = "article"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.doc_id, "title": self.title, "score": round(self.score, 6), "source": self.source,
                "snippet": self.snippet, "highlight": list(self.highlight), "confidence": round(self.confidence, 4),
                "chunk_id": self.chunk_id, "product": self.product, "section": self.section}


class KnowledgeIndex:
    """Built from the store's chunks at one revision; immutable afterwards (a newer revision builds anew)."""

    CANDIDATES = 50

    def __init__(self, kb: str, chunks: Sequence[StoredChunk], vectors: VectorStore, *, revision: int,
                 feedback: Sequence[FeedbackRow] = (), dim: int = 384) -> None:
        self.kb, self.revision, self.vectors = kb, revision, vectors
        self.chunks = list(chunks)
        self.row_of = {c.chunk_id: i for i, c in enumerate(self.chunks)}
        self.bm25 = Bm25Index([c.search_text() for c in self.chunks])
        self.embeddings = np.zeros((len(self.chunks), dim), dtype=np.float32)
        for i, chunk in enumerate(self.chunks):
            if chunk.embedding is not None:
                self.embeddings[i] = chunk.embedding
        self.idf = _idf([c.search_text() for c in self.chunks])
        self.feedback = list(feedback)
        self.feedback_matrix = (np.stack([f.embedding for f in self.feedback]) if self.feedback
                                else np.zeros((0, dim), dtype=np.float32))

    def __len__(self) -> int:
        return len(self.chunks)

    def search(self, queries: Sequence[str], query_vectors: Vectors | None, *, k: int = 5,
               mode: SearchMode = "hybrid", use_feedback: bool = True, lexical_weight: float = LEXICAL_WEIGHT,
               highlight_query: str | None = None) -> list[SearchHit]:
        """BM25 ranks every query; the dense ranking runs for the first ``len(query_vectors)`` of them (an
        embedding costs milliseconds, so callers embed only their best queries). The answering sentence is
        chosen by ``highlight_query``'s words (default: the first query's), the other queries' break ties."""
        queries = [q for q in queries if q.strip()]
        if not queries or not self.chunks or k < 1:
            return []
        if mode != "bm25" and (query_vectors is None or not 0 < len(query_vectors) <= len(queries)):
            raise ValueError("dense and hybrid search need the vectors of the first queries (at least one)")
        fused: dict[int, float] = {}
        lexical_top: set[str] = set()
        for n, query in enumerate(queries):
            if mode != "dense":
                ranked = self.bm25.search(query, self.CANDIDATES)
                _accumulate(fused, [row for row, _ in ranked], 1.0 if mode == "bm25" else lexical_weight)
                lexical_top.update(self.chunks[row].doc_id for row, _ in ranked[:3])
            if mode != "bm25" and query_vectors is not None and n < len(query_vectors):
                found = self.vectors.search(self.kb, query_vectors[n], self.CANDIDATES)
                _accumulate(fused, [self.row_of[i] for i, _ in found if i in self.row_of], 1.0)
        best: dict[str, tuple[float, int]] = {}
        for row, score in fused.items():
            doc = self.chunks[row].doc_id
            if doc not in best or score > best[doc][0]:
                best[doc] = (score, row)
        dense = 0 if mode == "bm25" or query_vectors is None else len(query_vectors)
        cosines = self._cosines(query_vectors, dense, [row for _, row in best.values()])
        factors = self._feedback_factors(query_vectors) if use_feedback else {}
        scored = []
        for doc, (score, row) in best.items():
            confidence = _confidence(cosines.get(row), doc in lexical_top)
            factor = factors.get(doc, 1.0)
            scored.append((score * factor, min(1.0, confidence * factor), row))
        scored.sort(key=lambda t: (-t[0], -t[1], t[2]))  # ties: the more confident (higher cosine) first
        terms = _query_terms(queries, highlight_query or queries[0])
        return [self._hit(row, score, confidence, terms) for score, confidence, row in scored[:k]]

    def _cosines(self, query_vectors: Vectors | None, dense: int, rows: list[int]) -> dict[int, float]:
        """Each row's cosine to the embedded queries, averaged (callers embed their best queries only)."""
        if query_vectors is None or not rows or not dense:
            return {}
        sims = self.embeddings[rows] @ np.asarray(query_vectors, dtype=np.float32)[:dense].T
        return {row: float(value) for row, value in zip(rows, sims.mean(axis=1), strict=True)}

    def _feedback_factors(self, query_vectors: Vectors | None) -> dict[str, float]:
        """Per document, the product of the weights of the feedback given for queries like these (one matrix
        product for all feedback, once per search)."""
        if query_vectors is None or not self.feedback:
            return {}
        sims = (self.feedback_matrix @ np.asarray(query_vectors, dtype=np.float32).T).max(axis=1)
        factors: dict[str, float] = {}
        for row, similarity in zip(self.feedback, sims, strict=True):
            if similarity >= FEEDBACK_SIMILARITY:
                factors[row.doc_id] = factors.get(row.doc_id, 1.0) * FEEDBACK_WEIGHTS.get(row.feedback, 1.0)
        return {doc: min(2.0, max(0.05, factor)) for doc, factor in factors.items()}

    def _hit(self, row: int, score: float, confidence: float, terms: dict[str, float]) -> SearchHit:
        chunk = self.chunks[row]
        weights = {t: w * self.idf.get(t, 1.0) for t, w in terms.items()}
        snippet = make_snippet(chunk.text, set(terms), idf=weights)
        return SearchHit(doc_id=chunk.doc_id, title=chunk.title, source=chunk.source, product=chunk.product,
                         section=chunk.section, chunk_id=chunk.chunk_id, score=score, confidence=confidence,
                         snippet=snippet.text, highlight=snippet.highlight, kind=chunk.kind)


def _query_terms(queries: Sequence[str], main: str) -> dict[str, float]:
    """Snippet term weights: the main query's terms decide, the others' break ties."""
    weights = {term: 0.3 for query in queries for term in stem_terms(query)}
    weights.update({term: 1.0 for term in stem_terms(main)})
    return weights


def _idf(texts: Sequence[str]) -> dict[str, float]:
    """Inverse document frequency of each stemmed term over the chunks (for choosing the answering sentence)."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(set(stem_terms(text)))
    total = max(1, len(texts))
    return {term: math.log(1 + total / n) for term, n in counts.items()}


def _accumulate(fused: dict[int, float], rows: Sequence[int], weight: float) -> None:
    for rank, row in enumerate(rows):
        fused[row] = fused.get(row, 0.0) + weight / (RRF_K + rank + 1)


def _confidence(cosine: float | None, lexical_agrees: bool) -> float:
    """From the cosine, plus 0.1 when BM25 ranks the document in its top three. BM25 alone (no vectors) gives
    its top three documents 0.25: a shared word is not enough for an answer card at the default threshold."""
    if cosine is None:
        return 0.25 if lexical_agrees else 0.0
    value = (cosine - COSINE_FLOOR) / COSINE_SPAN + (0.1 if lexical_agrees else 0.0)
    return float(min(1.0, max(0.0, value)))
