"""Hybrid retrieval over a knowledge base: BM25, dense vectors, reciprocal rank fusion, answer snippets."""
