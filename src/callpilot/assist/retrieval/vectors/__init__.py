"""Vector stores behind one interface (see callpilot.testing.vectorstore_contract): numpy in process, pgvector."""

from callpilot.assist.retrieval.vectors.base import VectorStore, reconcile
from callpilot.assist.retrieval.vectors.factory import VECTOR_STORES, open_vector_store
from callpilot.assist.retrieval.vectors.numpy_store import NumpyVectorStore

__all__ = ["VECTOR_STORES", "NumpyVectorStore", "VectorStore", "open_vector_store", "reconcile"]
