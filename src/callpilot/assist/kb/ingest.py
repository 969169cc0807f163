"""Files and folders -> a knowledge base, incrementally: unchanged files are skipped, removed files removed.

Each file is one transaction: it is stored whole or not at all, and a file that fails keeps what an earlier
ingest stored of it. A failure is reported for that file and the ingest goes on with the next.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from callpilot.assist.kb.chunker import Chunker
from callpilot.assist.kb.documents import Chunk, Document
from callpilot.assist.kb.loaders import load_file, supported
from callpilot.assist.kb.store import KnowledgeStore
from callpilot.core.errors import KnowledgeBaseError
from callpilot.core.logging import get_logger
from callpilot.embeddings.base import Vectors

__all__ = ["MAX_FILE_BYTES", "FileReport", "IngestReport", "ingest_paths"]

log = get_logger(__name__)
MAX_FILE_BYTES = 20 * 1024 * 1024
Status = Literal["added", "updated", "unchanged", "removed", "skipped", "failed"]
Encode = Callable[[list[str]], Vectors]


@dataclass(frozen=True, slots=True)
class FileReport:
    path: str
    status: Status
    documents: int = 0
    chunks: int = 0
    message: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in {"path": self.path, "status": self.status, "documents": self.documents,
                                  "chunks": self.chunks, "message": self.message}.items() if v is not None}


@dataclass
class IngestReport:
    kb: str
    files: list[FileReport] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def ok(self) -> bool:
        return self.count("failed") == 0

    @property
    def changed(self) -> bool:
        return any(f.status in ("added", "updated", "removed") for f in self.files)


def ingest_paths(store: KnowledgeStore, paths: Sequence[Path], *, kb: str, encode: Encode | None,
                 chunker: Chunker | None = None, max_file_bytes: int = MAX_FILE_BYTES) -> IngestReport:
    """Ingest files and folders (recursively). ``encode`` embeds chunk texts (None stores no vectors: a
    lexical-only knowledge base)."""
    chunker = chunker or Chunker()
    report = IngestReport(kb=kb)
    with store.transaction() as conn:
        store.ensure_kb(conn, kb)
    known = store.source_hashes(kb)
    seen: set[str] = set()
    for root in paths:
        root = root.expanduser()
        if not root.exists():
            report.files.append(FileReport(str(root), "failed", message="no such file or folder"))
            continue
        for path, doc_id, section in _walk(root):
            key = str(path.resolve())
            seen.add(key)
            report.files.append(_ingest_file(store, kb, path, key, doc_id, section, known.get(key), encode,
                                             chunker, max_file_bytes))
        if root.is_dir():
            prefix = str(root.resolve()) + "/"
            for key in sorted(k for k in known if k.startswith(prefix) and k not in seen):
                with store.transaction() as conn:
                    removed = store.remove_file(conn, kb, key)
                report.files.append(FileReport(key, "removed", documents=removed))
    return report


def _walk(root: Path) -> Iterator[tuple[Path, str, str | None]]:
    """(file, its document id, its section) for a file, or every file under a folder (hidden ones skipped)."""
    if root.is_file():
        yield root, root.name, None
        return
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        section = relative.parts[0] if len(relative.parts) > 1 else None
        yield path, relative.as_posix(), section


def _ingest_file(store: KnowledgeStore, kb: str, path: Path, key: str, doc_id: str, section: str | None,
                 known_sha: str | None, encode: Encode | None, chunker: Chunker, max_file_bytes: int) -> FileReport:
    if not supported(path):
        return FileReport(key, "skipped", message=f"unsupported file type {path.suffix or '(none)'!r}")
    try:
        sha = _sha256(path)
        if sha == known_sha:
            return FileReport(key, "unchanged")
        documents = load_file(path, doc_id=doc_id, section=section, max_bytes=max_file_bytes)
        prepared = _prepare(documents, chunker, encode)
        with store.transaction() as conn:
            store.replace_file(conn, kb, key, sha, prepared)
    except KnowledgeBaseError as exc:
        log.warning("kb_file_failed", kb=kb, path=key, reason=str(exc))
        return FileReport(key, "failed", message=str(exc))
    except OSError as exc:
        return FileReport(key, "failed", message=f"cannot read file: {exc.strerror or exc}")
    chunks = sum(len(c) for _, c, _ in prepared)
    return FileReport(key, "updated" if known_sha else "added", documents=len(documents), chunks=chunks)


def _prepare(documents: Sequence[Document], chunker: Chunker, encode: Encode | None
             ) -> list[tuple[Document, list[Chunk], Vectors | None]]:
    """Chunk every document and embed all chunks of the file in one encoder call (batched inside)."""
    chunked = [(doc, chunker.chunk(doc)) for doc in documents]
    if encode is None:
        return [(doc, chunks, None) for doc, chunks in chunked]
    texts = [chunk.search_text(doc.title) for doc, chunks in chunked for chunk in chunks]
    vectors = encode(texts)
    out: list[tuple[Document, list[Chunk], Vectors | None]] = []
    start = 0
    for doc, chunks in chunked:
        out.append((doc, chunks, vectors[start:start + len(chunks)]))
        start += len(chunks)
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
