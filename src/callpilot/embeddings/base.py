"""The sentence-encoder interface, so that other embedding backends can plug in where MiniLM is used."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Sequence
from threading import Lock

import numpy as np
import numpy.typing as npt

__all__ = ["CachedEncoder", "TextEncoder", "Vectors"]

Vectors = npt.NDArray[np.float32]


class TextEncoder(ABC):
    """Turns texts into unit-length float32 vectors of ``dim`` dimensions (cosine = dot product)."""

    dim: int

    @abstractmethod
    def encode(self, texts: Sequence[str]) -> Vectors:
        """One row per text, shape ``(len(texts), dim)``, each row L2-normalised."""


class CachedEncoder(TextEncoder):
    """Remembers the vectors of the last ``size`` distinct texts another encoder produced.

    Calls repeat the same texts often (a taxonomy's examples across folds, ASR fillers across calls), and one
    encoder forward pass costs milliseconds, a dictionary look-up microseconds.
    """

    def __init__(self, inner: TextEncoder, *, size: int = 4096) -> None:
        if size < 1:
            raise ValueError("cache size must be at least 1")
        self.inner, self.size, self.dim = inner, size, inner.dim
        self._cache: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = Lock()

    def encode(self, texts: Sequence[str]) -> Vectors:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for i, text in enumerate(texts):
                hit = self._cache.get(text)
                if hit is None:
                    missing.setdefault(text, []).append(i)
                else:
                    self._cache.move_to_end(text)
                    out[i] = hit
        if missing:
            new = self.inner.encode(list(missing))
            with self._lock:
                for (text, rows), vec in zip(missing.items(), new, strict=True):
                    out[rows] = vec
                    self._cache[text] = vec
                    if len(self._cache) > self.size:
                        self._cache.popitem(last=False)
        return out
