"""Cool-down, the running state folded into call.analyzers, language choice, and input that must not break it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from callpilot.analyzers.signals import SignalsAnalyzer
from callpilot.core.errors import AnalyzerError, ErrorCategory
from callpilot.domain.call import CallState, fold
from callpilot.domain.events import RecordedEvent, SegmentReceived, decode_event
from callpilot.domain.events.signals import SignalsState, SignalsTracked
from tests.analyzers.signals._support import A, C, feed, kinds

ASK = "i want to speak to a supervisor"


@pytest.mark.parametrize("times, options, expected", [
    pytest.param([0, 5, 10], {}, 1, id="three asks in ten seconds fire once"),
    pytest.param([0, 5, 10], {"cooldown_seconds": 0, "cooldown_segments": 0}, 3, id="no cool-down"),
    pytest.param([0, 50, 100, 150], {}, 4, id="after the cool-down it fires again"),
    pytest.param([0, 50, 100], {"cooldown_segments": 2}, 2, id="segments and seconds must both pass"),
    pytest.param([0, 50, 100], {"cooldown_segments": 5, "cooldown_seconds": 0}, 1, id="in segments"),
    pytest.param([0, 20, 40, 60], {"cooldown_seconds": 30, "cooldown_segments": 0}, 2, id="in seconds"),
])
async def test_cool_down(times: list[float], options: dict[str, Any], expected: int) -> None:
    signals, _ = await feed([(C, ASK, t, t + 2) for t in times], **options)
    assert kinds(signals, "human_requested") == ["human_requested"] * expected


async def test_signals_can_be_switched_off() -> None:
    signals, _ = await feed([(C, ASK, 0, 2), (C, "i don't understand", 30, 31)], signals=["confusion"])
    assert kinds(signals) == ["confusion"]


async def test_cool_down_is_per_kind() -> None:
    signals, _ = await feed([(C, ASK, 0, 2), (C, "i don't understand", 3, 4), (C, ASK, 5, 7)])
    assert kinds(signals) == ["human_requested", "confusion"]


async def test_state_is_folded_for_the_supervisor() -> None:
    signals, call = await feed([
        (C, "why was i charged twice", 0, 3), (A, "it may be a pending authorization", 4, 8),
        (C, "so why was i charged twice", 9, 12), (C, ASK, 13, 15), (A, "one moment please", 16, 17),
    ])
    area = call.analyzers["signals"]
    assert area["counts"] == {"repeated_question": 1, "human_requested": 1}
    assert area["active"] == ["repeated_question", "human_requested"]
    assert area["last"]["human_requested"]["evidence"] == ASK and area["last"]["human_requested"]["segment_id"] == "s4"
    assert [r["signal"] for r in area["recent"]] == ["repeated_question", "human_requested"]
    state = SignalsState.model_validate(area["state"])
    assert state.segments == 5 and state.hold is not None and state.hold.segment_id == "s5"
    assert [q.segment_id for q in state.questions] == ["s1", "s3"] and state.language == "en"
    json.dumps(area)  # JSON-able, as CallState.analyzers must be


async def test_active_signals_expire() -> None:
    _, call = await feed([(C, ASK, 0, 2), (C, "okay", 100, 101)], active_seconds=60, signals=["human_requested"])
    assert call.analyzers["signals"]["active"] == [] and call.analyzers["signals"]["counts"] == {"human_requested": 1}


async def test_rebuilt_state_equals_live_state() -> None:
    """Folding the stored (serialised, decoded) events again gives the same analyzer state as the live call."""
    analyzer, live, log = SignalsAnalyzer(), CallState(call_id="c1"), []
    for i, (speaker, text, start) in enumerate([(C, "this is ridiculous", 0.0), (C, ASK, 3.0),
                                                (A, "let me put you on hold", 6.0), (A, "thanks for holding", 90.0)]):
        segment = SegmentReceived(segment_id=f"s{i}", speaker=speaker, text=text, start=start, end=start + 2)
        for event in (segment, *(await analyzer.analyze(live, segment))):
            recorded = RecordedEvent(position=len(log) + 1, call_id="c1", seq=len(log) + 1, event=event,
                                     recorded_at=datetime.now(UTC))
            live.apply(recorded)
            log.append(recorded)
    stored = [RecordedEvent(position=r.position, call_id="c1", seq=r.seq, recorded_at=r.recorded_at,
                            event=decode_event(r.type, r.event.VERSION, json.loads(r.to_json())["data"]))
              for r in log]
    assert fold("c1", stored).analyzers == live.analyzers
    assert live.analyzers["signals"]["counts"] == {"human_requested": 1, "long_silence": 1}


async def test_analyze_leaves_the_call_untouched() -> None:
    analyzer = SignalsAnalyzer()
    _, call = await feed([(C, "why was i charged twice", 0, 3), (A, "it may be pending", 4, 8)], analyzer=analyzer)
    before = json.dumps(call.analyzers, sort_keys=True)
    again = SegmentReceived(segment_id="x", speaker="customer", text="so why was i charged twice", start=9, end=12)
    first, second = await analyzer.analyze(call, again), await analyzer.analyze(call, again)
    assert first == second and json.dumps(call.analyzers, sort_keys=True) == before
    assert [type(e).__name__ for e in first] == ["SignalDetected", "SignalsTracked"]


async def test_state_stays_bounded_in_a_long_call() -> None:
    analyzer = SignalsAnalyzer()
    call = CallState(call_id="c1")
    sizes = []
    for n in range(600):
        text = f"why is invoice number {n} wrong and when does item {n} ship" if n % 2 else "okay let me check that"
        seg = SegmentReceived(segment_id=f"s{n}", speaker="customer" if n % 2 else "agent", text=text,
                              start=3.0 * n, end=3.0 * n + 2.5)
        for event in (seg, *(await analyzer.analyze(call, seg))):
            call.apply(RecordedEvent(position=call.seq + 1, call_id="c1", seq=call.seq + 1, event=event,
                                     recorded_at=datetime.now(UTC)))
        sizes.append(len(json.dumps(call.analyzers["signals"]["state"])))
    state = SignalsState.model_validate(call.analyzers["signals"]["state"])
    assert len(state.questions) == 5 and state.segments == 600
    assert max(sizes[100:]) < 1.1 * max(sizes[50:100])  # no growth with the call's length
    assert call.analyzers["signals"]["counts"]["repeated_question"] > 20
    assert len(call.analyzers["signals"]["recent"]) == 20


async def test_partials_and_other_events_are_ignored() -> None:
    analyzer = SignalsAnalyzer()
    partial = SegmentReceived(segment_id="p", speaker="customer", text=ASK, start=0, end=1, final=False)
    assert await analyzer.analyze(CallState(call_id="c1"), partial) == []
    assert await analyzer.analyze(CallState(call_id="c1"), SignalsTracked(state=SignalsState())) == []


@pytest.mark.parametrize("options, metadata, text, language, signal", [
    pytest.param({}, None, "no entiendo nada", "es", "confusion", id="auto detects es"),
    pytest.param({}, None, "i don't understand", "en", "confusion", id="auto detects en"),
    pytest.param({"language": "metadata"}, {"language": "es-MX"}, "agente", "es", "human_requested",
                 id="from metadata"),
    pytest.param({"language": "metadata"}, {}, "quiero hablar con un supervisor", "es", "human_requested",
                 id="no metadata: detected"),
    pytest.param({"language": "en", "match_all_languages": False}, None, "no entiendo nada", None, None,
                 id="fixed language, one phrase set"),
    pytest.param({"language": "en"}, None, "no entiendo nada", "es", "confusion",
                 id="code-switching: other phrase sets still match"),
])
async def test_language(options: dict[str, Any], metadata: dict[str, str] | None, text: str, language: str | None,
                        signal: str | None) -> None:
    signals, _ = await feed([(C, text, 0, 2)], metadata=metadata, **options)
    assert [(s.signal, s.language) for s in signals] == ([(signal, language)] if signal else [])


@pytest.mark.parametrize("text", [
    "", "   ", "😡😡😡", "🙂 ok 🙂", "你为什么收费两次", "Почему с меня списали дважды?", "[CARD_NUMBER] [PERSON]",
    "?!?!", "l'l'l'", "ａｂｃ", "a\u0301\u0301\u0301", "x" * 50_000, "why " * 5000,
])
async def test_odd_text_is_safe(text: str) -> None:
    signals, call = await feed([(C, "why was i charged twice", 0, 2), (A, "let me check that for you", 3, 5),
                                (C, text, 6, 8), (A, text, 9, 10)])
    assert all(s.signal in ("confusion", "repeated_question") for s in signals)
    assert SignalsState.model_validate(call.analyzers["signals"]["state"]).segments == 4


async def test_unreadable_state_is_a_permanent_bad_input() -> None:
    call = CallState(call_id="c1", analyzers={"signals": {"state": {"segments": "many"}}})
    segment = SegmentReceived(segment_id="s1", speaker="customer", text="hi", start=0, end=1)
    with pytest.raises(AnalyzerError) as caught:
        await SignalsAnalyzer().analyze(call, segment)
    assert caught.value.permanent and caught.value.category == ErrorCategory.BAD_INPUT
