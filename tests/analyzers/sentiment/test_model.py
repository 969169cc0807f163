from __future__ import annotations

import math

import pytest

from callpilot.analyzers.sentiment import CalibratedVader, RawVader
from callpilot.analyzers.sentiment.model import normalize_tokens, split_clauses


@pytest.fixture(scope="module")
def model() -> CalibratedVader:
    return CalibratedVader()


@pytest.mark.parametrize("text, sign", [
    pytest.param("you guys charged me twice and i want a refund", -1, id="double charge without cue words"),
    pytest.param("this is the third time ive called about this", -1, id="repeat contact, no apostrophe"),
    pytest.param("i want to cancel my account", -1, id="churn"),
    pytest.param("it's still not working", -1, id="still not working"),
    pytest.param("i dont want a credit i want my money back", -1, id="credit is not praise here"),
    pytest.param("i appreciate your help but this still doesn't solve anything", -1, id="polite but angry"),
    pytest.param("whatever fine", -1, id="grudging"),
    pytest.param("five to ten days are you kidding me", -1, id="kidding is not a joke"),
    pytest.param("me cobraron dos veces", -1, id="spanish double charge"),
    pytest.param("thank you for calling how can i help you today", 0, id="greeting formula"),
    pytest.param("sorry for the wait", 0, id="apology formula"),
    pytest.param("okay let me check that for you one moment please", 0, id="agent procedure"),
    pytest.param("can i have the last four digits of the card", 0, id="account talk"),
    pytest.param("yeah", 0, id="backchannel"),
    pytest.param("yes please", 0, id="yes please is not praise"),
    pytest.param("my credit card number is [CARD_NUMBER]", 0, id="credit card with placeholder"),
    pytest.param("thank you so much that fixed it", 1, id="resolution"),
    pytest.param("that did the trick thanks", 1, id="did the trick"),
    pytest.param("good news the refund has been approved", 1, id="agent good news"),
    pytest.param("muchas gracias", 1, id="spanish thanks"),
])
def test_sign_of_score(model: CalibratedVader, text: str, sign: int) -> None:
    score = model.score(text)
    assert -1.0 <= score <= 1.0
    if sign == 0:
        assert abs(score) < model.neutral_band, score
    else:
        assert math.copysign(1, score) == sign and abs(score) >= model.neutral_band, score


@pytest.mark.parametrize("text", [
    "my card [CARD_NUMBER] was charged twice",
    "you can reach me at [PHONE_NUMBER] or [EMAIL]",
    "[PERSON] at [ADDRESS] born [DATE_OF_BIRTH] thanks so much",
])
def test_placeholders_do_not_affect_the_score(model: CalibratedVader, text: str) -> None:
    without = " ".join(w for w in text.split() if not w.startswith("["))
    assert model.score(text) == model.score(without)


@pytest.mark.parametrize("text", ["", "   ", "😀", "😡😡😡", "это ужасно", "这很好", "[CARD_NUMBER]", "!!!,,,", "' ' '",
                                  "a" * 5000, "no " * 2000])
def test_odd_input_gives_a_bounded_score(model: CalibratedVader, text: str) -> None:
    assert -1.0 <= model.score(text) <= 1.0


def test_emoji_still_counts(model: CalibratedVader) -> None:
    assert model.score("😡 this is terrible") < 0 < model.score("😊")


def test_calibration_fixes_what_raw_vader_misreads(model: CalibratedVader) -> None:
    text = "so i just looked at my bank statement and you guys charged me twice"
    assert model.score(text) < -0.3 and RawVader().score(text) > -0.3


@pytest.mark.parametrize("text, clauses", [
    ("thank you but that doesn't help", ["thank you ", " that doesn't help"]),
    ("so i looked and you charged me twice", [" i looked ", " you charged me twice"]),
    ("thank you so much and have a good day", ["thank you so much and have a good day"]),
    ("okay, fine. whatever", ["okay", " fine", " whatever"]),
])
def test_clauses(text: str, clauses: list[str]) -> None:
    assert [text[s:e] for s, e, _ in split_clauses(text)] == clauses


def test_but_clause_outweighs_what_it_contradicts(model: CalibratedVader) -> None:
    explained = model.explain("thank you but that doesn't help me at all")
    assert explained.score < 0
    assert [c.valence < 0 for c in explained.clauses] == [False, True]


@pytest.mark.parametrize("text, tokens", [
    ("I've CAN'T dont it's", ["i", "have", "can", "not", "do", "not", "it", "is"]),
    ("the customer's [CARD_NUMBER] Pésimo", ["the", "customers", "pesimo"]),
    ("won\u2019t, okay?", ["will", "not", "okay"]),
])
def test_normalize_tokens(text: str, tokens: list[str]) -> None:
    assert normalize_tokens(text) == tokens
