from __future__ import annotations

import pytest

from callpilot.analyzers.pii.spoken import find_digit_runs


@pytest.mark.parametrize("text, expected", [
    pytest.param("four one one one one one one one one one one one one one one one",
                 ["4111111111111111"], id="card read digit by digit"),
    pytest.param("my number is five five five, two one two, oh four nine eight", ["5552120498"],
                 id="phone with commas and oh"),
    pytest.param("it's double five triple seven", ["55777"], id="double and triple"),
    pytest.param("forty one eleven", ["4111"], id="pairs of digits"),
    pytest.param("4 one 1 1 and then 2 2", ["4111", "22"], id="digits and words mixed, split by and"),
    pytest.param("zip code nine oh two one oh", ["90210"], id="oh inside a run"),
    pytest.param("oh I see, thanks", [], id="oh alone is not zero"),
    pytest.param("oh five five", ["055"], id="oh before digits"),
    pytest.param("that's forty five minutes", ["45"], id="ordinary number found, judged later"),
    pytest.param("two hundred dollars", ["200"], id="hundreds"),
    pytest.param("room four hundred twenty one", ["421"], id="hundreds with tens"),
    pytest.param("version 2.5", ["25"], id="dotted version joins: recognizers decide"),
    pytest.param("no digits here at all", [], id="nothing"),
    pytest.param("", [], id="empty"),
    pytest.param("call 555-123-4567 now", ["5551234567"], id="written digits with hyphens"),
    pytest.param("Four One One One", ["4111"], id="case does not matter"),
])
def test_digit_runs(text: str, expected: list[str]) -> None:
    assert [run.digits for run in find_digit_runs(text)] == expected


def test_spans_cover_the_words_that_carried_the_digits() -> None:
    text = "sure, it's four one one one and the code is double seven"
    runs = find_digit_runs(text)
    assert [text[r.start:r.end] for r in runs] == ["four one one one", "double seven"]
    assert [r.words for r in runs] == [4, 2]


def test_long_and_odd_input_does_not_break() -> None:
    text = "nine " * 5000 + "🙂 ünïcödé 九"
    runs = find_digit_runs(text)
    assert len(runs) == 1 and len(runs[0].digits) == 5000


@pytest.mark.parametrize("text, expected", [
    ("four hundred and five", ["405"]),
    ("one hundred and thanks", ["100"]),
    ("double", []),
    ("triple oh seven", ["0007"]),
    ("twenty zero", ["200"]),  # "twenty" then "zero", one run
])
def test_edges(text: str, expected: list[str]) -> None:
    assert [run.digits for run in find_digit_runs(text)] == expected
