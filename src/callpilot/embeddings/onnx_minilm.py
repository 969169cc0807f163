"""all-MiniLM-L6-v2 on onnxruntime, int8, with a graph built here from the safetensors weights (no PyTorch).

The usual way to an ONNX BERT is ``torch.onnx.export``, which needs PyTorch. This module writes the same
network with ``onnx.helper`` from the weights the numpy encoder reads (embeddings, six layers of attention and
GELU feed-forward; pooling stays in numpy), then quantizes its weight matrices to int8 per output channel with
onnxruntime's dynamic quantization. The attention products (activation by activation) stay float: quantizing
them is what loses accuracy. Built once per model directory into a cache folder (a few seconds), then loaded
in milliseconds. Same tokenizer and truncation as :class:`callpilot.embeddings.minilm.MiniLMEncoder`; against
the PyTorch reference, float32 agrees to a cosine above 0.9999 and int8 to 0.99 and more, 0.97 at worst for a
one-word text (tests/embeddings).
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from threading import Lock
from typing import Any

import numpy as np

from callpilot.core.errors import ConfigError
from callpilot.embeddings.base import TextEncoder, Vectors
from callpilot.embeddings.minilm import MiniLMEncoder, attention_bias, encode_batched, load_minilm, mean_pool, pad

__all__ = ["OnnxMiniLMEncoder", "load_onnx_minilm"]

_OPSET = 17
_BUILD_VERSION = 1  # bump when the graph changes, so caches rebuild


class OnnxMiniLMEncoder(TextEncoder):
    """``quantize``: int8 weights (default; 3-4x faster on CPUs with VNNI) or float32. ``threads``: onnxruntime's
    intra-op threads (1 keeps a query's latency predictable next to other work; 0 lets it use every core).
    ``cache_dir``: where the built model is kept (settings pass ``cache_dir``; without one, the temp folder)."""

    def __init__(self, base: MiniLMEncoder, *, cache_dir: str | Path | None = None, quantize: bool = True,
                 threads: int = 1) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise ConfigError("the ONNX encoder needs onnxruntime: pip install onnxruntime") from exc
        self.base, self.dim, self.max_tokens = base, base.dim, base.max_tokens
        path = _built(base, Path(cache_dir) if cache_dir else Path(tempfile.gettempdir()) / "callpilot-onnx", quantize)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own bare exception types on a bad file
            raise ConfigError(f"cannot load the ONNX encoder {path}: {exc} (delete it to rebuild)") from exc
        self.path = path

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> Vectors:
        return encode_batched(self.base.token_ids(texts), self._forward, self.dim, batch_size)

    def _forward(self, batch: list[list[int]]) -> Vectors:
        ids, mask = pad(batch)
        hidden = self.session.run(None, {"input_ids": ids, "positions": np.arange(ids.shape[1], dtype=np.int64),
                                         "attention_bias": attention_bias(mask)})[0]
        return mean_pool(hidden, mask)


def _fingerprint(base: MiniLMEncoder, quantize: bool) -> str:
    weights = base.path / "model.safetensors"
    stat = weights.stat()
    key = f"{_BUILD_VERSION}:{weights.resolve()}:{stat.st_size}:{stat.st_mtime_ns}:{quantize}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


_BUILD_LOCK = Lock()


def _built(base: MiniLMEncoder, cache: Path, quantize: bool) -> Path:
    """The cached model file, built on first use (written to a temporary name, then renamed: a crash or two
    processes building at once never leave a half-written model behind)."""
    target = cache / f"minilm-{_fingerprint(base, quantize)}{'-int8' if quantize else ''}.onnx"
    with _BUILD_LOCK:
        if target.is_file():
            return target
        try:
            cache.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=cache) as tmp:
                float_path = Path(tmp) / "float.onnx"
                _write_graph(base, float_path)
                final = float_path
                if quantize:
                    final = Path(tmp) / "int8.onnx"
                    _quantize(float_path, final)
                os.replace(final, target)
        except OSError as exc:
            raise ConfigError(f"cannot write the ONNX encoder to {cache}: {exc} (set the cache directory to a "
                              "writable folder)") from exc
        return target


def _write_graph(base: MiniLMEncoder, path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes: list[Any] = []
    inits: list[Any] = []
    hidden, heads = base.dim, base.heads
    head_dim = hidden // heads

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(op: str, inputs: list[str], name: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def linear(x: str, weight: np.ndarray, bias: np.ndarray, name: str) -> str:
        product = node("MatMul", [x, const(f"{name}.w", weight)], f"{name}.matmul")
        return node("Add", [product, const(f"{name}.b", bias)], f"{name}.out")

    def layer_norm(x: str, gain: np.ndarray, bias: np.ndarray, name: str) -> str:
        return node("LayerNormalization", [x, const(f"{name}.g", gain), const(f"{name}.b", bias)], name,
                    axis=-1, epsilon=base.eps)

    split_heads = const("shape.heads", np.array([0, 0, heads, head_dim], dtype=np.int64))
    merge_heads = const("shape.merge", np.array([0, 0, hidden], dtype=np.int64))
    half, one = const("c.half", np.array(0.5, np.float32)), const("c.one", np.array(1.0, np.float32))
    inv_sqrt2 = const("c.isqrt2", np.array(1.0 / math.sqrt(2.0), np.float32))

    words = node("Gather", [const("emb.words", base.word_emb), "input_ids"], "emb.gather")
    positions = node("Gather", [const("emb.positions", base.pos_emb), "positions"], "emb.pos")
    x = layer_norm(node("Add", [words, positions], "emb.sum"), *base.emb_ln, "emb.ln")
    for i, p in enumerate(base.layers):
        n = f"l{i}"
        q_w, k_w, v_w = np.split(p.qkv_w, 3, axis=1)  # the query part is already scaled by 1/sqrt(head_dim)
        q_b, k_b, v_b = np.split(p.qkv_b, 3)
        q = node("Transpose", [node("Reshape", [linear(x, q_w, q_b, f"{n}.q"), split_heads], f"{n}.q.r")],
                 f"{n}.q.t", perm=[0, 2, 1, 3])
        k = node("Transpose", [node("Reshape", [linear(x, k_w, k_b, f"{n}.k"), split_heads], f"{n}.k.r")],
                 f"{n}.k.t", perm=[0, 2, 3, 1])
        v = node("Transpose", [node("Reshape", [linear(x, v_w, v_b, f"{n}.v"), split_heads], f"{n}.v.r")],
                 f"{n}.v.t", perm=[0, 2, 1, 3])
        scores = node("Add", [node("MatMul", [q, k], f"{n}.att.scores"), "attention_bias"], f"{n}.att.masked")
        weights = node("Softmax", [scores], f"{n}.att.softmax", axis=-1)
        context = node("MatMul", [weights, v], f"{n}.att.context")
        merged = node("Reshape", [node("Transpose", [context], f"{n}.att.ct", perm=[0, 2, 1, 3]), merge_heads],
                      f"{n}.att.merged")
        attended = linear(merged, p.out_w, p.out_b, f"{n}.att.out")
        x = layer_norm(node("Add", [x, attended], f"{n}.att.res"), p.ln1_g, p.ln1_b, f"{n}.ln1")
        inner = linear(x, p.ff1_w, p.ff1_b, f"{n}.ff1")
        erf = node("Erf", [node("Mul", [inner, inv_sqrt2], f"{n}.gelu.s")], f"{n}.gelu.erf")
        gelu = node("Mul", [node("Mul", [inner, half], f"{n}.gelu.h"), node("Add", [erf, one], f"{n}.gelu.a")],
                    f"{n}.gelu")
        x = layer_norm(node("Add", [x, linear(gelu, p.ff2_w, p.ff2_b, f"{n}.ff2")], f"{n}.ff.res"),
                       p.ln2_g, p.ln2_b, f"{n}.ln2")
    nodes.append(helper.make_node("Identity", [x], ["hidden"], name="output"))
    graph = helper.make_graph(
        nodes, "all-MiniLM-L6-v2",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "length"]),
         helper.make_tensor_value_info("positions", TensorProto.INT64, ["length"]),
         helper.make_tensor_value_info("attention_bias", TensorProto.FLOAT, ["batch", 1, 1, "length"])],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "length", hidden])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", _OPSET)], producer_name="callpilot")
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def _quantize(source: Path, target: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(source)).graph
    activations = [n.name for n in graph.node if n.op_type == "MatMul" and ".att." in n.name]
    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=["MatMul"], nodes_to_exclude=activations)


_LOADED: dict[tuple[str, int, bool, int, str], OnnxMiniLMEncoder] = {}
_LOAD_LOCK = Lock()


def load_onnx_minilm(model_path: str | Path | None = None, *, max_tokens: int = 128, quantize: bool = True,
                     threads: int = 1, cache_dir: str | Path | None = None) -> OnnxMiniLMEncoder:
    """The process-wide ONNX encoder for that model directory and truncation."""
    base = load_minilm(model_path, max_tokens=max_tokens)
    key = (str(base.path), max_tokens, quantize, threads, str(cache_dir))
    with _LOAD_LOCK:
        encoder = _LOADED.get(key)
        if encoder is None:
            encoder = _LOADED[key] = OnnxMiniLMEncoder(base, cache_dir=cache_dir, quantize=quantize,
                                                       threads=threads)
        return encoder
