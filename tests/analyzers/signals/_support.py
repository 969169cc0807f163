"""Feeding segments through the signals analyzer the way the pipeline does."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from callpilot.analyzers.signals import SignalsAnalyzer
from callpilot.domain.call import CallState
from callpilot.domain.events import CallStarted, Event, RecordedEvent, SegmentReceived
from callpilot.domain.events.signals import SignalDetected

A, C = "agent", "customer"
Seg = tuple[str, str, float, float]  # speaker, text, start, end


def record(call: CallState, event: Event) -> None:
    seq = call.seq + 1
    call.apply(RecordedEvent(position=seq, call_id=call.call_id, seq=seq, event=event, recorded_at=datetime.now(UTC)))


async def feed(segments: Sequence[Seg], *, analyzer: SignalsAnalyzer | None = None,
               metadata: dict[str, Any] | None = None, **options: Any) -> tuple[list[SignalDetected], CallState]:
    """Run every segment through the analyzer, storing segments and its events; the signals, and the call."""
    analyzer = analyzer or SignalsAnalyzer(**options)
    call = CallState(call_id="c1")
    if metadata is not None:
        record(call, CallStarted(agent_id="a1", acd_metadata=metadata))
    signals: list[SignalDetected] = []
    for i, (speaker, text, start, end) in enumerate(segments, start=1):
        segment = SegmentReceived(segment_id=f"s{i}", speaker=speaker, text=text, start=start, end=end)
        produced = await analyzer.analyze(call, segment)
        for event in (segment, *produced):
            record(call, event)
        for event in produced:
            if isinstance(event, SignalDetected):
                assert text[event.start:event.end] == event.evidence, "evidence offsets must point into the text"
                signals.append(event)
    return signals, call


def kinds(signals: list[SignalDetected], kind: str | None = None) -> list[str]:
    return [s.signal for s in signals if kind is None or s.signal == kind]
