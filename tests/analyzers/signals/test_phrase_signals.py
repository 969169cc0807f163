"""Signals found in what the customer says: requests for a person, confusion, frustration, repeated questions."""

from __future__ import annotations

import pytest

from callpilot.analyzers.signals import ACTIONS
from tests.analyzers.signals._support import A, C, feed, kinds


@pytest.mark.parametrize("text, evidence, language", [
    ("let me talk to a person", "let me talk to a person", "en"),
    ("can i speak to your supervisor please", "can i speak to your supervisor", "en"),
    ("representative", "representative", "en"),
    ("uh representative please", "representative please", "en"),
    ("get me a manager right now", "get me a manager", "en"),
    ("transfer me to a supervisor", "transfer me to a supervisor", "en"),
    ("fine, but I still want the manager", "I still want the manager", "en"),
    ("i want to speak to a super visor", "i want to speak to a super visor", "en"),  # ASR split: fuzzy match
    ("I'd like to talk with a real person", "I'd like to talk with a real person", "en"),
    ("quiero hablar con un supervisor", "quiero hablar con un supervisor", "es"),
    ("agent por favor", "agent por favor", "es"),
    ("páseme con su gerente por favor", "páseme con su gerente", "es"),
    ("necesito hablar con una persona real", "necesito hablar con una persona real", "es"),
    ("Quiero hablar con el encargado, ¡ya!", "Quiero hablar con el encargado", "es"),
])
async def test_human_requested(text: str, evidence: str, language: str) -> None:
    signals, _ = await feed([(C, text, 0, 3)])
    (signal,) = signals
    assert (signal.signal, signal.evidence, signal.language) == ("human_requested", evidence, language)
    assert signal.suggested_action == ACTIONS["human_requested"] and "transfer" in signal.suggested_action


@pytest.mark.parametrize("speaker, text", [
    (C, "the human resources department sent me a letter"),
    (C, "our sales representative called me yesterday about the upgrade"),
    (C, "my manager told me to call you about the invoice"),
    (C, "i talked to an agent yesterday and she said it was fixed"),
    (C, "i need a person to come and look at the boiler"),
    (C, "mi jefe me dijo que llamara"),
    (C, "el representante de ventas me llamó ayer"),
    (A, "let me get my supervisor on the line for you"),  # the agent offering is not the customer asking
])
async def test_not_a_human_request(speaker: str, text: str) -> None:
    signals, _ = await feed([(speaker, text, 0, 3)])
    assert kinds(signals) == []


@pytest.mark.parametrize("text, expected", [
    ("i don't understand", "i don't understand"),
    ("sorry i dont understand what that means", "i dont understand"),
    ("what do you mean by pending", "what do you mean"),
    ("sorry what", "sorry what"),
    ("huh?", "huh"),
    ("i dont under stand any of this", "i dont under stand"),  # ASR split: fuzzy match
    ("that makes no sense to me", "that makes no sense"),
    ("no entiendo", "no entiendo"),
    ("perdón, ¿qué quiere decir con eso?", "qué quiere decir"),
    ("mande", "mande"),
    ("la verdad no le entiendo nada", "no le entiendo"),
])
async def test_confusion_phrases(text: str, expected: str) -> None:
    signals, _ = await feed([(C, text, 0, 3)])
    assert [(s.signal, s.evidence) for s in signals] == [("confusion", expected)]


@pytest.mark.parametrize("text", [
    "i understand",
    "okay i understand that",
    "i do understand, thanks",
    "is that okay",
    "what do you need from me",
    "ya entiendo, gracias",
    "sí, está bien",
])
async def test_not_confusion(text: str) -> None:
    signals, _ = await feed([(C, text, 0, 3)])
    assert kinds(signals) == []


@pytest.mark.parametrize("turns, fires", [
    pytest.param([(C, "what is this charge"), (C, "why is it so high"), (C, "when did you add it")], True,
                 id="three unpunctuated questions in a row"),
    pytest.param([(C, "qué es este cargo"), (C, "por qué es tan alto"), (C, "cuándo lo agregaron")], True,
                 id="tres preguntas seguidas"),
    pytest.param([(C, "this charge? which one? the one from monday?")], True, id="three in one segment"),
    pytest.param([(C, "what is this charge"), (A, "yes"), (C, "why is it so high"), (C, "when did you add it")], True,
                 id="a one-word reply does not answer"),
    pytest.param([(C, "what is this charge"), (C, "why is it so high")], False, id="two are not several"),
    pytest.param([(C, "what is this charge"), (C, "okay"), (C, "why is it so high"), (C, "when did you add it")],
                 False, id="a statement breaks the run"),
    pytest.param([(C, "what is this charge"), (A, "that is the monthly fee for the premium plan you added"),
                  (C, "why is it so high"), (A, "the premium plan costs twenty dollars more than basic"),
                  (C, "when did you add it")], False, id="questions that get answers are a conversation"),
    pytest.param([(C, "i see two charges so why was i charged twice"), (C, "so how do i fix it"),
                  (C, "and can you refund it")], True, id="openers after joiners"),
    pytest.param([(C, "i dont know what happened"), (C, "i wonder why it did that"), (C, "i know how it works")],
                 False, id="embedded wh-words are not questions"),
])
async def test_questions_in_a_row(turns: list[tuple[str, str]], fires: bool) -> None:
    segments = [(speaker, text, 5.0 * i, 5.0 * i + 3) for i, (speaker, text) in enumerate(turns)]
    signals, _ = await feed(segments)
    assert kinds(signals, "confusion") == (["confusion"] if fires else [])
    if fires:
        assert signals[-1].value is not None and signals[-1].value >= 3


@pytest.mark.parametrize("first, reply, again, fires", [
    ("why was i charged twice", "it may be a pending authorization", "so why was i charged twice", True),
    ("why was i charged twice", "it may be a pending authorization",
     "ok but why was I charged twice in the first place", True),
    ("what's the refund reference", "it's R F seven seven two", "what's the refund reference again", True),
    ("why was i charged twice", "it may be a pending authorization", "when will the refund arrive", False),
    ("why was i charged twice", None, "why was i charged twice", False),  # said twice in one turn: not re-asked
    ("¿por qué me cobraron dos veces?", "puede ser una autorización pendiente", "pero por qué me cobraron dos veces",
     True),
    ("¿cuándo llega el técnico?", "mañana por la mañana entre ocho y diez", "¿cuánto cuesta la reparación?", False),
])
async def test_repeated_question(first: str, reply: str | None, again: str, fires: bool) -> None:
    segments = [(C, first, 0.0, 3.0)]
    if reply is not None:
        segments.append((A, reply, 4.0, 8.0))
    segments.append((C, again, 60.0, 63.0))
    signals, _ = await feed(segments)
    repeated = [s for s in signals if s.signal == "repeated_question"]
    assert len(repeated) == (1 if fires else 0)
    if fires:
        assert repeated[0].related_segment_id == "s1" and repeated[0].score >= 0.5
        assert "asked this before" in repeated[0].suggested_action


async def test_semantic_hook_catches_a_reworded_question() -> None:
    segments = [(C, "why was i charged twice", 0.0, 3.0), (A, "it may be a pending authorization", 4.0, 8.0),
                (C, "how come you billed me two times", 60.0, 63.0)]
    assert kinds((await feed(segments))[0], "repeated_question") == []
    calls: list[tuple[str, str]] = []

    def similar(a: str, b: str) -> float:
        calls.append((a, b))
        return 0.9 if "billed" in a and "charged" in b else 0.1

    from callpilot.analyzers.signals import SignalsAnalyzer
    signals, _ = await feed(segments, analyzer=SignalsAnalyzer(similarity=similar))
    (repeated,) = [s for s in signals if s.signal == "repeated_question"]
    assert repeated.score == pytest.approx(0.9) and "same meaning" in repeated.detail
    assert calls == [("how come you billed me two times", "why was i charged twice")]


@pytest.mark.parametrize("turns, fires_at", [
    pytest.param([(0, "this is ridiculous")], None, id="one cue is not accumulated frustration"),
    pytest.param([(0, "this is ridiculous"), (30, "are you kidding me")], 1, id="two cues close together"),
    pytest.param([(0, "this is ridiculous"), (1200, "are you kidding me")], None, id="the first cue decayed"),
    pytest.param([(0, "i've been waiting for an hour"), (20, "okay"), (40, "this is unacceptable, i'm fed up")], 2,
                 id="accumulates across neutral turns"),
    pytest.param([(0, "esto es ridículo"), (20, "estoy harta, es el colmo")], 1, id="es"),
    pytest.param([(0, "this is ridiculus"), (10, "are you kiding me")], 1, id="ASR slips match fuzzily"),
    pytest.param([(0, "thanks that's great"), (10, "perfect, that works")], None, id="no cues"),
])
async def test_frustration(turns: list[tuple[float, str]], fires_at: int | None) -> None:
    signals, _ = await feed([(C, text, t, t + 3) for t, text in turns])
    frustration = [s for s in signals if s.signal == "frustration"]
    if fires_at is None:
        assert frustration == []
    else:
        (signal,) = frustration
        assert signal.segment_id == f"s{fires_at + 1}" and signal.value is not None and signal.value >= 2.0
        assert signal.evidence and "frustrat" in signal.suggested_action


async def test_frustration_threshold_is_an_option() -> None:
    signals, _ = await feed([(C, "this is ridiculous", 0, 3)], frustration_threshold=1.0)
    assert kinds(signals) == ["frustration"]


async def test_repeated_question_feeds_frustration() -> None:
    segments = [(C, "this is ridiculous", 0, 3), (C, "why was i charged twice", 5, 8), (A, "let me check that", 9, 11),
                (C, "why was i charged twice", 12, 15), (C, "how many times do i have to ask", 16, 19)]
    plain, _ = await feed(segments)
    assert "frustration" in kinds(plain)
    without, _ = await feed(segments, frustration_repeat_weight=0.0)
    assert "frustration" not in kinds(without)
