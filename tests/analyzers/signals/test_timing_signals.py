"""Signals found in segment timings: long silences, long holds, the agent talking over the customer."""

from __future__ import annotations

import pytest

from callpilot.analyzers.signals import ACTIONS
from tests.analyzers.signals._support import A, C, Seg, feed, kinds


@pytest.mark.parametrize("segments, gap", [
    pytest.param([(A, "how can i help you today", 0, 3), (C, "my card was declined", 18, 20)], 15.0, id="15 s gap"),
    pytest.param([(C, "my card was declined", 0, 3), (A, "okay let me see what happened", 5, 8),
                  (C, "hello are you still there", 30, 32)], 22.0, id="dead air after the agent"),
    pytest.param([(A, "hola buenas tardes en qué le puedo ayudar", 0, 3), (C, "sí, hola", 14, 15)], 11.0, id="es"),
])
async def test_long_silence(segments: list[Seg], gap: float) -> None:
    signals, _ = await feed(segments)
    (signal,) = [s for s in signals if s.signal == "long_silence"]
    assert signal.value == pytest.approx(gap) and signal.segment_id == f"s{len(segments)}"
    assert signal.related_segment_id == f"s{len(segments) - 1}" and signal.evidence == ""
    assert signal.suggested_action == ACTIONS["long_silence"]


@pytest.mark.parametrize("segments", [
    pytest.param([(A, "how can i help you today", 0, 3), (C, "my card was declined", 5, 7)], id="normal turn gap"),
    pytest.param([(C, "hi", 30, 31)], id="time before the first segment"),
    pytest.param([(A, "one moment please while i check", 0, 3), (A, "okay i found it", 35, 37)],
                 id="an announced short hold is no dead air"),
    pytest.param([(C, "my card was declined", 0, 10), (A, "i see", 9.5, 11)], id="overlap is no silence"),
])
async def test_no_silence(segments: list[Seg]) -> None:
    assert kinds((await feed(segments))[0], "long_silence") == []


@pytest.mark.parametrize("hold_phrase, back_after, fires", [
    ("let me put you on hold while i check with billing", 90.0, True),
    ("please hold, i'll be right back", 75.0, True),
    ("un momento por favor, voy a revisar", 90.0, True),
    ("le voy a poner en espera un momento", 120.0, True),
    ("let me put you on hold while i check with billing", 45.0, False),
])
async def test_long_hold(hold_phrase: str, back_after: float, fires: bool) -> None:
    segments = [(C, "can you check the payment", 0.0, 2.0), (A, hold_phrase, 3.0, 6.0),
                (C, "okay", 20.0, 20.5),  # the customer talking during the hold does not end it
                (A, "thank you for holding", 6.0 + back_after, 8.0 + back_after)]
    signals, _ = await feed(segments)
    holds = [s for s in signals if s.signal == "long_silence"]
    if not fires:
        assert holds == []
        return
    (signal,) = holds
    assert signal.segment_id == "s4" and signal.related_segment_id == "s2"
    assert signal.value == pytest.approx(back_after) and signal.suggested_action == ACTIONS["long_hold"]


@pytest.mark.parametrize("segments, fires", [
    pytest.param([(C, "i was charged twice and i want to know why", 0, 6), (A, "okay so what i can do is", 3, 8),
                  (C, "no listen the problem is the autopay ran twice", 9, 15),
                  (A, "right but the system shows one payment", 12, 16)], True, id="two talk-overs"),
    pytest.param([(C, "me cobraron dos veces y quiero saber por qué", 0, 6),
                  (A, "bueno lo que puedo hacer es", 3, 8),
                  (C, "no escuche el problema es el pago automático", 9, 15),
                  (A, "sí pero el sistema muestra un solo pago", 12, 16)], True, id="es"),
    pytest.param([(C, "i was charged twice and i want to know why", 0, 6), (A, "okay so what i can do is", 3, 8)],
                 False, id="once is not a pattern"),
    pytest.param([(C, "i was charged twice and i want to know why", 0, 6), (A, "mm hmm", 3, 3.5),
                  (C, "no listen the problem is the autopay ran twice", 9, 15), (A, "right", 12, 12.5)], False,
                 id="backchannels are not talk-over"),
    pytest.param([(C, "i was charged twice and i want to know why", 0, 6), (A, "okay so what i can do is", 5.5, 8),
                  (C, "no listen the problem is the autopay ran twice", 9, 15),
                  (A, "right but the system shows one payment", 14.6, 16)], False, id="small overlaps are turn-taking"),
    pytest.param([(C, "i was charged twice and i want to know why", 0, 6), (A, "okay so what i can do is", 3, 8),
                  (C, "no listen the problem is the autopay ran twice", 300, 306),
                  (A, "right but the system shows one payment", 303, 307)], False, id="too far apart"),
    pytest.param([(A, "okay so what i can do is refund it", 3, 5),
                  (C, "i was charged twice and i want to know why", 0, 9),  # arrives last: it ended last
                  (A, "right but the system shows one payment", 12, 16),
                  (C, "no listen the problem is the autopay ran twice", 10, 18)], True,
                 id="agent speech inside a customer segment that arrives later"),
])
async def test_talk_over(segments: list[Seg], fires: bool) -> None:
    signals, _ = await feed(segments)
    talk_overs = [s for s in signals if s.signal == "talk_over"]
    assert len(talk_overs) == (1 if fires else 0)
    if fires:
        assert talk_overs[0].speaker == "agent" and talk_overs[0].suggested_action == ACTIONS["talk_over"]


async def test_talk_over_evidence_is_what_the_agent_said() -> None:
    signals, _ = await feed([
        (C, "i was charged twice and i want to know why", 0, 6), (A, "okay so what i can do", 3, 8),
        (C, "no listen the problem is the autopay", 9, 15), (A, "right but the system says", 12, 16),
    ])
    (signal,) = signals
    assert signal.evidence == "right but the system says" and signal.value == pytest.approx(3.0)
