"""Sentence embeddings: the encoder interface and the offline all-MiniLM-L6-v2 encoder."""

from callpilot.embeddings.base import CachedEncoder, TextEncoder, Vectors
from callpilot.embeddings.minilm import MiniLMEncoder, default_model_path, load_minilm

__all__ = ["CachedEncoder", "MiniLMEncoder", "TextEncoder", "Vectors", "default_model_path", "load_minilm"]
