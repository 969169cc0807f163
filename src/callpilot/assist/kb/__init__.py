"""The knowledge base: documents read from files or the API, chunked, and stored in the configured database."""

from callpilot.assist.kb.documents import Chunk, Document
from callpilot.assist.kb.ingest import FileReport, IngestReport, ingest_paths
from callpilot.assist.kb.store import KnowledgeStore, StoredChunk

__all__ = ["Chunk", "Document", "FileReport", "IngestReport", "KnowledgeStore", "StoredChunk", "ingest_paths"]
