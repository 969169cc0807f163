from __future__ import annotations

from datetime import UTC, datetime

import pytest

from callpilot.analyzers.talk_stats import TalkStatsAnalyzer
from callpilot.domain.call import CallState
from callpilot.domain.events import RecordedEvent, SegmentReceived, TalkStatsUpdated

A, C = "agent", "customer"


async def run(segments: list[tuple[str, float, float]], **options: float) -> dict:
    """Feed segments through the analyzer the way the pipeline does; return the last stats."""
    analyzer = TalkStatsAnalyzer(**options)
    call = CallState(call_id="c")
    for i, (speaker, start, end) in enumerate(segments, start=1):
        event = SegmentReceived(segment_id=f"s{i}", speaker=speaker, text="x", start=start, end=end)
        (update,) = await analyzer.analyze(call, event)
        assert isinstance(update, TalkStatsUpdated)
        call.apply(RecordedEvent(position=2 * i, call_id="c", seq=2 * i, event=update,
                                 recorded_at=datetime.now(UTC)))
    return call.analyzers["talk_stats"]


@pytest.mark.parametrize("segments, expected", [
    pytest.param([(A, 0, 4), (C, 4.5, 6)], {"talk_seconds": {A: 4, C: 1.5}, "turns": {A: 1, C: 1}},
                 id="two turns"),
    pytest.param([(A, 0, 3), (C, 3.2, 4)], {"talk_ratio": {A: 0.7895, C: 0.2105}}, id="ratio"),
    pytest.param([(A, 0, 5), (A, 5.5, 12), (C, 12.5, 14), (A, 14, 16)],
                 {"longest_monologue": {A: 12.0, C: 1.5}, "turns": {A: 2, C: 1}}, id="monologue across segments"),
    pytest.param([(A, 0, 5), (C, 4.0, 6), (A, 5.9, 8)], {"interruptions": {A: 0, C: 1}},
                 id="overlap of 1 s interrupts, 0.1 s does not"),
    pytest.param([(A, 0, 2), (C, 5, 6), (A, 6.5, 7), (C, 17, 18)],
                 {"silence_seconds": 13.0, "longest_silence": 10.0}, id="silences of 3 s and 10 s"),
    pytest.param([(A, 0, 2), (C, 3.5, 4)], {"silence_seconds": 0.0}, id="short gap is no silence"),
    pytest.param([(C, 30, 31)], {"silence_seconds": 0.0, "talk_seconds": {A: 0.0, C: 1.0}},
                 id="time before the first segment is not silence"),
])
async def test_talk_stats(segments: list[tuple[str, float, float]], expected: dict) -> None:
    stats = await run(segments)
    for key, value in expected.items():
        assert stats[key] == (pytest.approx(value) if not isinstance(value, dict)
                              else {k: pytest.approx(v) for k, v in value.items()}), key


async def test_thresholds_are_options() -> None:
    stats = await run([(A, 0, 2), (C, 3.5, 4)], min_silence=1.0)
    assert stats["silence_seconds"] == pytest.approx(1.5)


async def test_partials_and_other_events_are_ignored() -> None:
    analyzer = TalkStatsAnalyzer()
    partial = SegmentReceived(segment_id="p", speaker="agent", text="he", start=0, end=1, final=False)
    assert await analyzer.analyze(CallState(call_id="c"), partial) == []
