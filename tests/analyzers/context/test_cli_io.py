from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from callpilot.analyzers.context.cli_io import run_intent_lines
from callpilot.core.errors import ConfigError
from callpilot.embeddings import MiniLMEncoder

TAXONOMY = """
- name: card_declined
  description: a card payment was refused
- name: password_reset
  description: the customer cannot log in and needs a new password
- name: delivery_status
  description: where is my package or order delivery
"""


@pytest.fixture
def taxonomy(tmp_path: Path, encoder: MiniLMEncoder) -> Path:  # encoder: skips when the model is missing
    path = tmp_path / "taxonomy.yaml"
    path.write_text(TAXONOMY)
    return path


def run(taxonomy: Path, lines: list[str]) -> list[dict]:
    out = io.StringIO()
    run_intent_lines(taxonomy, lines, out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_text_lines(taxonomy: Path) -> None:
    answers = run(taxonomy, [
        json.dumps({"text": "my card was declined at the store, about $40"}),
        json.dumps({"id": 7, "text": "i forgot my password"}),
        json.dumps({"text": "the quick brown fox jumps over the lazy dog"}),
    ])
    assert [a["intent"] for a in answers] == ["card_declined", "password_reset", "other"]
    assert answers[0]["entities"] == [{"type": "amount", "value": "$40", "start": 41, "end": 44}]
    assert answers[1]["id"] == 7 and answers[1]["entities"] == []
    assert all(0.0 <= a["confidence"] <= 1.0 for a in answers)
    assert set(answers[2]) == {"intent", "confidence", "entities"}


def test_segments_use_the_customer_and_name_each_entity_segment(taxonomy: Path) -> None:
    line = json.dumps({"segments": [
        {"speaker": "agent", "text": "what's your order number", "segment_id": "a1"},
        {"speaker": "customer", "text": "it's order 55512, my package never arrived", "segment_id": "c1"},
        "it was due on march third",
    ]})
    (answer,) = run(taxonomy, [line])
    assert answer["intent"] == "delivery_status"
    assert [(e["type"], e["value"], e["segment"]) for e in answer["entities"]] == [
        ("order_number", "55512", "c1"), ("date", "march 3", 2)]


@pytest.mark.parametrize("line, error", [
    ("{not json", "line 1: not valid JSON"),
    ("[1, 2]", "line 1: expected a JSON object"),
    ('{"txt": "typo"}', 'line 1: needs "text"'),
    ('{"text": 42}', 'line 1: needs "text"'),
    ('{"segments": []}', 'line 1: needs "text"'),
    ('{"segments": [{"speaker": "customer"}]}', "line 1: segment 0 is neither"),
])
def test_bad_lines_give_error_lines_and_the_batch_goes_on(taxonomy: Path, line: str, error: str) -> None:
    answers = run(taxonomy, [line, "", json.dumps({"text": "where is my package"})])
    assert len(answers) == 2
    assert answers[0]["error"].startswith(error)
    assert answers[1]["intent"] == "delivery_status"


def test_many_lines_keep_their_order(taxonomy: Path) -> None:
    texts = ["my card was declined", "i forgot my password", "where is my package"] * 30  # more than a batch
    lines = [json.dumps({"id": i, "text": t}) for i, t in enumerate(texts)]
    lines.insert(40, "oops")
    answers = run(taxonomy, lines)
    assert len(answers) == len(lines)
    assert answers[40] == {"error": "line 41: not valid JSON (Expecting value at column 1)"}
    good = [a for a in answers if "error" not in a]
    assert [a["id"] for a in good] == list(range(len(texts)))
    assert [a["intent"] for a in good[:3]] == ["card_declined", "password_reset", "delivery_status"]


def test_bad_taxonomy_fails_before_any_output(tmp_path: Path) -> None:
    out = io.StringIO()
    with pytest.raises(ConfigError, match="taxonomy"):
        run_intent_lines(tmp_path / "missing.yaml", ['{"text": "x"}'], out)
    assert out.getvalue() == ""
