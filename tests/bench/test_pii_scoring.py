"""The PII benchmark's scorer: overlap matching, type mapping, empty predictions. No shared data, no Presidio."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from callpilot.bench.pii import (
    EviTurn,
    Example,
    Span,
    load_presidio_synth,
    load_spoken,
    resolve_dates,
    run,
    score,
    score_evi,
)

TEXT = "my card is four one one one one one one one one one one one one one one one ok"  # card at 11..75
CARD = Span("CARD_NUMBER", 11, 75)


def _one(gold: tuple[Span, ...], preds: list[Span], ignore: tuple[Span, ...] = ()) -> dict[str, Any]:
    return score([Example("x", TEXT, None, gold, ignore)], [preds]).as_dict()


@pytest.mark.parametrize("preds, recall, precision", [
    pytest.param([CARD], 1.0, 1.0, id="same span"),
    pytest.param([Span("CARD_NUMBER", 11, 45)], 1.0, 1.0, id="covers just over half of the gold"),
    pytest.param([Span("CARD_NUMBER", 11, 40)], 0.0, 1.0, id="under half: missed, but a fragment is no false alarm"),
    pytest.param([Span("CARD_NUMBER", 11, 40), Span("CARD_NUMBER", 41, 75)], 1.0, 1.0, id="fragments add up"),
    pytest.param([Span("CARD_NUMBER", 0, 78)], 1.0, 1.0, id="wider prediction still matches"),
    pytest.param([Span("PHONE_NUMBER", 11, 75)], 0.0, 0.0, id="wrong type"),
    pytest.param([Span("CARD_NUMBER", 0, 10)], 0.0, 0.0, id="no overlap"),
    pytest.param([], 0.0, None, id="no predictions"),
    pytest.param([CARD, CARD], 1.0, 1.0, id="duplicates count once"),
])
def test_overlap_matching(preds: list[Span], recall: float, precision: float | None) -> None:
    typed = _one((CARD,), preds)["typed"]
    assert typed["recall"] == recall
    assert typed["precision"] == precision


@pytest.mark.parametrize("pred, typed_recall, any_recall, mismatch", [
    (Span("NUMBER", 11, 75), 0.0, 1.0, {"CARD_NUMBER->NUMBER": 1}),
    (Span("SSN", 11, 75), 0.0, 1.0, {"CARD_NUMBER->SSN": 1}),
    (Span("CARD_NUMBER", 11, 75), 1.0, 1.0, {}),
])
def test_any_type_and_mismatches(pred: Span, typed_recall: float, any_recall: float, mismatch: dict[str, int]
                                 ) -> None:
    result = _one((CARD,), [pred])
    assert result["typed"]["recall"] == typed_recall
    assert result["any_type"]["recall"] == any_recall
    assert result["mismatches"] == mismatch


@pytest.mark.parametrize("pred, exact", [
    (Span("CARD_NUMBER", 11, 75), 1.0),
    (Span("CARD_NUMBER", 10, 75), 1.0),  # a leading space is trimmed
    (Span("CARD_NUMBER", 8, 75), 0.0),
])
def test_exact_boundaries(pred: Span, exact: float) -> None:
    assert _one((CARD,), [pred])["typed"]["exact"]["recall"] == exact


def test_negatives_and_ignored_regions() -> None:
    examples = [Example("n1", "forty five minutes", None, ()), Example("n2", "error four oh one", None, ()),
                Example("s", "born 1977 in paris", None, (), (Span("DATE_TIME", 5, 9),))]
    result = score(examples, [[], [Span("NUMBER", 6, 17)], [Span("DATE_OF_BIRTH", 5, 9)]])
    assert (result.negatives, result.negatives_flagged) == (3, 1)  # the one in the ignored region is not counted
    assert result.typed.pred == 1 and result.typed.correct == 0
    assert result.per_type["NUMBER"].prf() == (0.0, None, None)


@pytest.mark.parametrize("pred_type, gold_type, expected", [
    ("DATE_TIME", "DATE_OF_BIRTH", ["DATE_OF_BIRTH"]),
    ("DATE_TIME", "CARD_EXPIRY", []),
    ("PHONE_NUMBER", "DATE_OF_BIRTH", ["PHONE_NUMBER"]),
])
def test_date_time_counts_only_on_birth_dates(pred_type: str, gold_type: str, expected: list[str]) -> None:
    assert [p.type for p in resolve_dates([Span(gold_type, 0, 10)], [Span(pred_type, 2, 8)])] == expected


@pytest.mark.parametrize("kind, ours", [("CREDIT_CARD", "CARD_NUMBER"), ("STREET_ADDRESS", "ADDRESS"),
                                        ("ZIP_CODE", "ADDRESS"), ("US_SSN", "SSN"), ("EMAIL_ADDRESS", "EMAIL")])
def test_synth_types_map_to_ours(tmp_path: Path, kind: str, ours: str) -> None:
    row = {"full_text": "x 12345 y in 1999", "spans": [
        {"entity_type": kind, "start_position": 2, "end_position": 7},
        {"entity_type": "DATE_TIME", "start_position": 13, "end_position": 17}]}
    (tmp_path / "s.json").write_text(json.dumps([row]))
    [ex] = load_presidio_synth(tmp_path / "s.json")
    assert ex.gold == (Span(ours, 2, 7),) and ex.ignore == (Span("DATE_TIME", 13, 17),)


def test_unknown_synth_type_fails_loudly(tmp_path: Path) -> None:
    (tmp_path / "s.json").write_text(json.dumps([{"full_text": "x", "spans": [
        {"entity_type": "SHOE_SIZE", "start_position": 0, "end_position": 1}]}]))
    with pytest.raises(ValueError, match="SHOE_SIZE"):
        load_presidio_synth(tmp_path / "s.json")


@pytest.mark.parametrize("preds, recall, full", [
    ([Span("ADDRESS", 0, 8)], 1.0, 1.0),
    ([Span("ADDRESS", 0, 4)], 0.5, 0.0),
    ([Span("ADDRESS", 0, 3)], 0.0, 0.0),  # a token counts only when covered whole
    ([Span("NUMBER", 0, 4), Span("ADDRESS", 4, 8)], 1.0, 1.0),  # any type, adjacent spans join
    ([], 0.0, 0.0),
])
def test_evi_token_recall(preds: list[Span], recall: float, full: float) -> None:
    turn = EviTurn("t", "postcode", "sw1a 1aa", "what is your postcode", ((0, 4), (5, 8)))
    result = score_evi([turn], [preds])
    assert result["all"]["token_recall"] == pytest.approx(recall)
    assert result["postcode"]["fully_redacted"] == full


@pytest.mark.parametrize("bad", [Span("CARD_NUMBER", 70, 79), Span("CARD_NUMBER", 5, 5), Span("SSN", -1, 3)])
def test_spans_outside_the_text_fail_loudly(bad: Span) -> None:
    with pytest.raises(ValueError, match="outside the text"):
        _one((CARD,), [bad])


def _fake(text: str, context: str | None) -> list[Span]:
    """Finds written four-digit groups as cards: enough to drive the whole run without the redactor."""
    import re

    return [Span("CARD_NUMBER", m.start(), m.end()) for m in re.finditer(r"\d{4}(?: \d{4}){3}", text)]


def test_run_with_a_fake_and_no_shared_data(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    result, lines = run(root=root, shared=tmp_path / "missing", systems={"fake": _fake}, repeats=1)
    spoken = result["sets"]["spoken"]["fake"]
    assert set(result["sets"]) == {"spoken"} and "evi" not in result
    assert any("not found" in n for n in result["notes"])
    assert 0.5 < spoken["per_type"]["CARD_NUMBER"]["precision"] < 1  # the fake also takes IBAN digit groups
    assert 0 < spoken["per_type"]["CARD_NUMBER"]["recall"] < 0.5  # the written cards only
    assert spoken["negatives"] == sum(1 for ex in load_spoken() if not ex.gold)
    assert any(line.startswith("| CARD_NUMBER |") for line in lines)
    assert result["latency_ms"]["fake"]["n"] == len(load_spoken())
