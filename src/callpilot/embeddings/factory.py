"""Settings -> sentence encoder: the same all-MiniLM-L6-v2 weights run three ways.

``onnx-int8`` (the knowledge base's default): onnxruntime with int8 weights, 3-4x the numpy speed, vectors
within a cosine of 0.99 of float32. ``onnx``: onnxruntime in float32 (identical vectors, about 2x numpy).
``numpy``: no runtime beyond numpy (what the context analyzer uses by default; its thresholds were calibrated
on it).
"""

from __future__ import annotations

from pathlib import Path

from callpilot.core.errors import ConfigError
from callpilot.embeddings.base import TextEncoder
from callpilot.embeddings.minilm import load_minilm

__all__ = ["ENCODERS", "load_encoder"]

ENCODERS = ("onnx-int8", "onnx", "numpy")


def load_encoder(kind: str, *, model_path: str | Path | None = None, max_tokens: int = 128, threads: int = 1,
                 cache_dir: str | Path | None = None) -> TextEncoder:
    """``threads`` applies to onnxruntime (0: every core); numpy's BLAS decides its own."""
    if kind == "numpy":
        return load_minilm(model_path, max_tokens=max_tokens)
    if kind in ("onnx", "onnx-int8"):
        from callpilot.embeddings.onnx_minilm import load_onnx_minilm

        return load_onnx_minilm(model_path, max_tokens=max_tokens, quantize=kind == "onnx-int8", threads=threads,
                                cache_dir=cache_dir)
    raise ConfigError(f"unknown encoder {kind!r} (choose from {', '.join(ENCODERS)})")
