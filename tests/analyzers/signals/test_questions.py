"""Question detection in ASR text, with and without punctuation, in English and Spanish."""

from __future__ import annotations

import pytest

from callpilot.analyzers.signals import SignalsAnalyzer
from callpilot.analyzers.signals.questions import find_questions, jaccard
from callpilot.analyzers.signals.text import Text

PACKS = SignalsAnalyzer().packs


@pytest.mark.parametrize("language, text, questions", [
    ("en", "why was i charged twice", ["why was i charged twice"]),
    ("en", "well on my side I'm seeing two, so why was I charged twice", ["why was I charged twice"]),
    ("en", "i see two charges so why was i charged twice", ["why was i charged twice"]),
    ("en", "okay and um how long will that take", ["how long will that take"]),
    ("en", "is that okay", ["is that okay"]),
    ("en", "can you check the payment and can you refund it", ["can you check the payment", "can you refund it"]),
    ("en", "you charged me twice?", ["you charged me twice"]),
    ("en", "this charge? which one? the one from monday?", ["this charge", "which one", "the one from monday"]),
    ("en", "i don't know what happened", []),
    ("en", "that's right, thank you", []),
    ("en", "what a joke", []),
    ("en", "", []),
    ("es", "por qué me cobraron dos veces", ["por qué me cobraron dos veces"]),
    ("es", "bueno y cuándo llega el técnico", ["cuándo llega el técnico"]),
    ("es", "¿me puede ayudar con mi factura?", ["me puede ayudar con mi factura"]),
    ("es", "hay un cargo que no reconozco", []),
    ("es", "como le dije ya pagué la factura", []),
    ("es", "porque no tenía saldo", []),
])
def test_find_questions(language: str, text: str, questions: list[str]) -> None:
    parsed = Text.of(text)
    found = find_questions(parsed, PACKS[language])
    assert [parsed.excerpt(q.first, q.last) for q in found] == questions


@pytest.mark.parametrize("language, a, b, overlap", [
    ("en", "why was i charged twice", "so why was i charged twice", 1.0),
    ("en", "why was I charged twice", "why was i charged twice in the first place", 0.5),
    ("en", "what's the refund reference", "what's the refund amount", 1 / 3),
    ("en", "when does the charge post", "when do the charges post", 1.0),  # crude stemming
    ("es", "por qué me cobraron dos veces", "pero por qué me cobraron dos veces", 1.0),
])
def test_content_overlap(language: str, a: str, b: str, overlap: float) -> None:
    pack = PACKS[language]
    (qa,), (qb,) = find_questions(Text.of(a), pack), find_questions(Text.of(b), pack)
    assert jaccard(qa.tokens, qb.tokens) == pytest.approx(overlap)


def test_text_keeps_offsets_through_normalization() -> None:
    text = Text.of("¿Cómo? I DON'T understand [CARD_NUMBER] 😡")
    assert text.tokens == ("como", "i", "dont", "understand", "[card_number]")
    assert text.excerpt(1, 3) == "I DON'T understand" and text.norm == "como i dont understand [card_number]"
