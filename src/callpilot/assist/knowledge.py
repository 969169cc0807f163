"""KnowledgeService: one process's access to the knowledge bases (store, encoder, search indexes).

The server, the CLI and the suggestion orchestrator share it. Search indexes are built in memory from the
database and rebuilt when a base's revision moves (checked at most every ``check_seconds``), so a change made by
another process (an ingest from the CLI while the server runs) is picked up within that time.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from threading import Lock
from typing import Any

import numpy as np

from callpilot.assist.kb.chunker import Chunker
from callpilot.assist.kb.documents import Document, valid_kb_name
from callpilot.assist.kb.ingest import MAX_FILE_BYTES, IngestReport, ingest_paths
from callpilot.assist.kb.store import KnowledgeStore
from callpilot.assist.retrieval.hybrid import LEXICAL_WEIGHT, KnowledgeIndex, SearchHit, SearchMode
from callpilot.assist.retrieval.vectors import VECTOR_STORES, open_vector_store, reconcile
from callpilot.core.errors import ConfigError, InvalidInput, NotFound
from callpilot.core.logging import get_logger
from callpilot.core.settings import Settings
from callpilot.embeddings.base import TextEncoder, Vectors
from callpilot.embeddings.factory import ENCODERS, load_encoder

__all__ = ["DEFAULT_KB", "KnowledgeHandle", "KnowledgeService", "check_kb_name", "knowledge_for", "open_knowledge"]

log = get_logger(__name__)
DEFAULT_KB = "default"
CHUNK_TOKENS = 64  # measured: same Recall@1 as 128 on StackFAQ, half the ingest time (docs/benchmarks.md)
QUERY_TOKENS = 64


class KnowledgeService:
    def __init__(self, database_url: str, *, vector_store: str = "numpy", model_path: str | Path | None = None,
                 encoder_kind: str = "onnx-int8", cache_dir: str | Path | None = None, check_seconds: float = 1.0,
                 encoder: TextEncoder | None = None, query_encoder: TextEncoder | None = None, migrate: bool = True,
                 search_path: str | None = None) -> None:
        """``encoder_kind`` (onnx-int8, onnx, numpy) runs the model; ``encoder``/``query_encoder`` replace it
        (tests). Chunks are embedded on every core (ingest is batch work), queries on one."""
        if encoder_kind not in ENCODERS:
            raise ConfigError(f"unknown encoder {encoder_kind!r} (choose from {', '.join(ENCODERS)})")
        self.store = KnowledgeStore(database_url, search_path=search_path)
        if migrate:
            self.store.migrate()
        self.database_url = database_url
        self.vector_store_name = vector_store
        self.model_path = model_path
        self.encoder_kind, self.cache_dir = encoder_kind, cache_dir
        self.check_seconds = check_seconds
        self._chunk_encoder = encoder
        self._query_encoder = query_encoder or encoder
        self._vectors = open_vector_store(vector_store, database_url=database_url, dim=384, search_path=search_path)
        self._indexes: dict[str, tuple[KnowledgeIndex, float]] = {}
        self._lock = Lock()

    # -- encoders ----------------------------------------------------------------------------------------
    @property
    def chunk_encoder(self) -> TextEncoder:
        if self._chunk_encoder is None:
            self._chunk_encoder = load_encoder(self.encoder_kind, model_path=self.model_path, max_tokens=CHUNK_TOKENS,
                                               threads=0, cache_dir=self.cache_dir)
        return self._chunk_encoder

    @property
    def query_encoder(self) -> TextEncoder:
        if self._query_encoder is None:
            self._query_encoder = load_encoder(self.encoder_kind, model_path=self.model_path, max_tokens=QUERY_TOKENS,
                                               threads=1, cache_dir=self.cache_dir)
        return self._query_encoder

    def embed_queries(self, queries: Sequence[str]) -> Vectors:
        """One forward pass per query: queries differ in length, and a batch pads all to the longest."""
        if not queries:
            return np.zeros((0, 384), dtype=np.float32)
        return np.concatenate([self.query_encoder.encode([q]) for q in queries])

    # -- writing -----------------------------------------------------------------------------------------
    def ingest(self, paths: Sequence[Path], *, kb: str = DEFAULT_KB, max_file_bytes: int = MAX_FILE_BYTES
               ) -> IngestReport:
        check_kb_name(kb)
        report = ingest_paths(self.store, paths, kb=kb, encode=self.chunk_encoder.encode,
                              max_file_bytes=max_file_bytes)
        if report.changed:
            self._indexes.pop(kb, None)
        return report

    def put_document(self, kb: str, document: Document, *, create_only: bool = False) -> bool:
        check_kb_name(kb)
        chunks = Chunker().chunk(document)
        vectors = self.chunk_encoder.encode([c.search_text(document.title) for c in chunks])
        created = self.store.put_document(kb, document, chunks, vectors, create_only=create_only)
        self._indexes.pop(kb, None)
        return created

    def delete_document(self, kb: str, doc_id: str) -> None:
        self.store.delete_document(kb, doc_id)
        self._indexes.pop(kb, None)

    def record_feedback(self, kb: str, *, doc_id: str, feedback: str, query: str, call_id: str,
                        suggestion_id: str) -> bool:
        vector = self.embed_queries([query])[0]
        added = self.store.add_feedback(kb, doc_id=doc_id, feedback=feedback, query=query, embedding=vector,
                                        call_id=call_id, suggestion_id=suggestion_id)
        if added:
            self._indexes.pop(kb, None)
        return added

    # -- reading -----------------------------------------------------------------------------------------
    def index(self, kb: str) -> KnowledgeIndex:
        """The base's search index, rebuilt when its revision moved; NotFound for a base never created."""
        now = time.monotonic()
        cached = self._indexes.get(kb)
        if cached is not None and now - cached[1] < self.check_seconds:
            return cached[0]
        revision = self.store.revision(kb)
        if revision is None:
            raise NotFound(f"no knowledge base {kb!r} (ingest files into it first: callpilot kb ingest PATH --kb {kb})")
        if cached is not None and cached[0].revision == revision:
            self._indexes[kb] = (cached[0], now)
            return cached[0]
        with self._lock:  # one rebuild at a time; others wait for it rather than building their own
            cached = self._indexes.get(kb)
            if cached is not None and cached[0].revision == revision:
                return cached[0]
            index = self._build(kb, revision)
            self._indexes[kb] = (index, time.monotonic())
            return index

    def _build(self, kb: str, revision: int) -> KnowledgeIndex:
        started = time.perf_counter()
        chunks = self.store.load_chunks(kb)
        embedded = [(c.chunk_id, c.embedding) for c in chunks if c.embedding is not None]
        matrix = np.stack([v for _, v in embedded]) if embedded else np.zeros((0, 384), np.float32)
        added, removed = reconcile(self._vectors, kb, [i for i, _ in embedded], matrix)
        index = KnowledgeIndex(kb, chunks, self._vectors, revision=revision, feedback=self.store.load_feedback(kb))
        log.info("kb_index_built", kb=kb, revision=revision, chunks=len(chunks), vectors_added=added,
                 vectors_removed=removed, seconds=round(time.perf_counter() - started, 3))
        return index

    def search(self, kb: str, queries: Sequence[str], *, k: int = 5, mode: SearchMode = "hybrid",
               query_vectors: Vectors | None = None, dense_queries: int | None = None,
               lexical_weight: float = LEXICAL_WEIGHT, highlight_query: str | None = None) -> list[SearchHit]:
        """Search with several queries at once; the first ``dense_queries`` (default all) are embedded."""
        index = self.index(kb)
        queries = [q for q in queries if q.strip()]
        if mode != "bm25" and query_vectors is None and queries:
            query_vectors = self.embed_queries(queries[:dense_queries or len(queries)])
        return index.search(queries, query_vectors, k=k, mode=mode, lexical_weight=lexical_weight,
                            highlight_query=highlight_query)

    def close(self) -> None:
        self._vectors.close()
        self.store.close()


def check_kb_name(kb: str) -> None:
    """InvalidInput naming the ``kb`` field when the name is not a knowledge-base name."""
    if not valid_kb_name(kb):
        raise InvalidInput(f"knowledge-base name {kb!r}: use lower-case letters, digits, '-' and '_' (max 64)",
                           field="kb")


_OPEN: dict[tuple[str, ...], KnowledgeService] = {}
_OPEN_LOCK = Lock()


def open_knowledge(database_url: str, *, vector_store: str = "numpy", model_path: str | Path | None = None,
                   encoder_kind: str = "onnx-int8", cache_dir: str | Path | None = None,
                   search_path: str | None = None) -> KnowledgeService:
    """The process-wide service for that database: the API and the orchestrator share one index and encoder."""
    key = (database_url, str(search_path), vector_store, str(model_path), encoder_kind, str(cache_dir))
    with _OPEN_LOCK:
        service = _OPEN.get(key)
        if service is None:
            service = _OPEN[key] = KnowledgeService(database_url, vector_store=vector_store, model_path=model_path,
                                                    encoder_kind=encoder_kind, cache_dir=cache_dir,
                                                    search_path=search_path)
        return service


def knowledge_for(settings: Settings, *, database_url: str | None = None, search_path: str | None = None,
                  shared: bool = True) -> KnowledgeService:
    """The knowledge bases as ``settings`` configure them (``analyzers.assist``: vector store, encoder, model;
    ``cache_dir``), in ``database_url`` (default: the settings'). ``shared``: the process-wide service the
    server's API and orchestrator use; otherwise a new one the caller closes (the CLI)."""
    options = settings.analyzers.get("assist", {})
    kwargs: dict[str, Any] = {"vector_store": options.get("vector_store", "numpy"),
                              "model_path": options.get("model_path"),
                              "encoder_kind": options.get("encoder", "onnx-int8"),
                              "cache_dir": settings.cache_dir / "onnx", "search_path": search_path}
    url = database_url or settings.database_url
    return open_knowledge(url, **kwargs) if shared else KnowledgeService(url, **kwargs)


class KnowledgeHandle:
    """How an analyzer reaches the knowledge bases: the process-wide service for its settings, opened on first
    use (the runtime warms it at start-up, so a bad store fails there, loudly), or one handed in (tests)."""

    def __init__(self, *, analyzer: str, database_url: str | None, search_path: str | None = None,
                 vector_store: str = "numpy", model_path: str | Path | None = None, encoder: str = "onnx-int8",
                 cache_dir: str | Path | None = None, service: KnowledgeService | None = None) -> None:
        if service is None and database_url is None:
            raise ConfigError(f"the {analyzer} analyzer needs the database_url (the runtime passes it)")
        if vector_store not in VECTOR_STORES:
            raise ConfigError(f"{analyzer} option vector_store must be one of {', '.join(VECTOR_STORES)}, "
                              f"got {vector_store!r}")
        if encoder not in ENCODERS:
            raise ConfigError(f"{analyzer} option encoder must be one of {', '.join(ENCODERS)}, got {encoder!r}")
        self._service = service
        self._url, self._search_path, self._vector_store = database_url, search_path, vector_store
        self._model_path, self._encoder, self._cache_dir = model_path, encoder, cache_dir

    def get(self) -> KnowledgeService:
        if self._service is None:
            assert self._url is not None
            self._service = open_knowledge(self._url, search_path=self._search_path, vector_store=self._vector_store,
                                           model_path=self._model_path, encoder_kind=self._encoder,
                                           cache_dir=self._cache_dir)
        return self._service
