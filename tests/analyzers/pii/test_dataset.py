"""The PII test set (tests/data/pii_spoken.jsonl): exact, in-bounds, non-overlapping spans of known types."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from callpilot.bench.pii import TYPES

DATA = Path(__file__).resolve().parents[2] / "data"
ROWS: list[dict[str, Any]] = [json.loads(line) for line in (DATA / "pii_spoken.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_spans_are_exact(row: dict[str, Any]) -> None:
    text, entities = row["text"], row["entities"]
    assert set(row) == {"id", "context", "text", "entities"}
    assert row["context"] is None or (isinstance(row["context"], str) and row["context"])
    assert text == text.strip() and "[[" not in text
    previous_end = 0
    for e in sorted(entities, key=lambda e: e["start"]):
        assert e["type"] in TYPES and e["type"] != "NUMBER"
        assert 0 <= e["start"] < e["end"] <= len(text)
        assert e["start"] >= previous_end, "entities overlap"
        assert text[e["start"]:e["end"]] == e["value"], "span is not the marked words"
        assert e["value"] == e["value"].strip(" ,.")
        previous_end = e["end"]


def test_ids_unique_and_composition() -> None:
    assert len({r["id"] for r in ROWS}) == len(ROWS)
    negatives = [r for r in ROWS if not r["entities"]]
    assert len(ROWS) - len(negatives) >= 250 and len(negatives) >= 80
    types = Counter(e["type"] for r in ROWS for e in r["entities"])
    assert set(types) == set(TYPES) - {"NUMBER"}
    assert min(types.values()) >= 7


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("make_pii_spoken", DATA / "make_pii_spoken.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATOR = _generator()


def test_file_matches_its_generator() -> None:
    assert GENERATOR.build() == (DATA / "pii_spoken.jsonl").read_text().splitlines()


@pytest.mark.parametrize("card", GENERATOR.CARDS + GENERATOR.AMEX)
def test_test_cards_are_luhn_valid(card: str) -> None:
    """Spoken cards are generated from these digits; a typo here would make the set test something else."""
    total = sum(d if i % 2 == 0 else (2 * d - 9 if 2 * d > 9 else 2 * d)
                for i, d in enumerate(int(c) for c in reversed(card)))
    assert total % 10 == 0


@pytest.mark.parametrize("say, digits", [
    (lambda g: g.digits("4111", doubles=True), "four triple one"),
    (lambda g: g.digits("1111", doubles=True), "double one double one"),
    (lambda g: g.pairs("41110500"), "forty one eleven oh five double oh"),
    (lambda g: g.year(1907), "nineteen oh seven"),
    (lambda g: g.year(2001), "two thousand one"),
    (lambda g: g.routing("12100035"), "121000358"),
])
def test_generator_says_numbers_right(say: Any, digits: str) -> None:
    assert say(GENERATOR) == digits
