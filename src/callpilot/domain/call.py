"""A call's state, folded from its events. Nothing here is true unless an event says so."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from callpilot.domain.events import (
    ANALYZER_APPLIERS,
    AnalyzerFailed,
    CallEnded,
    CallStarted,
    Event,
    RecordedEvent,
    SegmentReceived,
    SegmentRedactionAmended,
    Speaker,
    SuggestionFeedbackGiven,
    TalkStatsUpdated,
)

__all__ = ["AnalyzerHealth", "CallState", "CallSummary", "Segment", "fold", "summarize_calls"]


class Segment(BaseModel):
    segment_id: str
    seq: int
    speaker: Speaker
    text: str
    start: float
    end: float
    confidence: float | None = None
    final: bool = True


class AnalyzerHealth(BaseModel):
    failures: int = 0
    disabled: bool = False
    last_error: str | None = None


class CallState(BaseModel):
    """Everything known about one call at sequence number ``seq``."""

    call_id: str
    status: Literal["live", "ended"] = "live"
    agent_id: str | None = None
    agent_name: str | None = None
    customer_id: str | None = None
    customer_name: str | None = None
    customer_name_sealed: str | None = Field(None, description="vault token; the PII analyzer opens it")
    customer_phone_masked: str | None = None
    customer_phone_sealed: str | None = Field(None, description="vault token; the CRM lookup opens it")
    queue: str | None = None
    acd_metadata: dict[str, Any] = Field(default_factory=dict)
    crm_metadata: dict[str, Any] = Field(default_factory=dict)
    started_at: datetime | None = None
    ended_at: datetime | None = None
    end_status: str | None = None
    segments: list[Segment] = Field(default_factory=list, description="final segments, in arrival order")
    partials: dict[str, Segment] = Field(default_factory=dict, description="latest partial per speaker")
    analyzers: dict[str, Any] = Field(default_factory=dict, description="each analyzer's latest output")
    analyzer_health: dict[str, AnalyzerHealth] = Field(default_factory=dict)
    feedback: list[dict[str, Any]] = Field(default_factory=list)
    seq: int = 0
    position: int = 0

    def apply(self, recorded: RecordedEvent) -> None:
        """Advance the state by one recorded event (events of other calls are a programming error)."""
        if recorded.call_id != self.call_id:
            raise ValueError(f"event of call {recorded.call_id} applied to call {self.call_id}")
        applier = _APPLIERS.get(type(recorded.event))
        if applier is not None:
            applier(self, recorded.event, recorded)
        else:
            area_applier = ANALYZER_APPLIERS.get(type(recorded.event))
            if area_applier is not None:
                area_applier(self.analyzers, recorded.event, recorded.seq)
        self.seq = recorded.seq
        self.position = recorded.position

    def record(self, event: Event) -> RecordedEvent:
        """Apply ``event`` as the call's next one without a log, for tools and benchmarks that replay a call
        in memory (``rules check``, ``bench``)."""
        recorded = RecordedEvent(position=self.position + 1, call_id=self.call_id, seq=self.seq + 1, event=event,
                                 recorded_at=datetime.now(UTC))
        self.apply(recorded)
        return recorded

    def is_disabled(self, analyzer: str) -> bool:
        health = self.analyzer_health.get(analyzer)
        return bool(health and health.disabled)


def _started(call: CallState, event: Event, recorded: RecordedEvent) -> None:
    assert isinstance(event, CallStarted)
    call.agent_id, call.agent_name = event.agent_id, event.agent_name
    call.customer_id, call.customer_name = event.customer_id, event.customer_name
    call.customer_name_sealed = event.customer_name_sealed
    call.customer_phone_masked, call.queue = event.customer_phone_masked, event.queue
    call.customer_phone_sealed = event.customer_phone_sealed
    call.acd_metadata, call.crm_metadata = dict(event.acd_metadata), dict(event.crm_metadata)
    call.started_at = recorded.recorded_at


def _segment(call: CallState, event: Event, recorded: RecordedEvent) -> None:
    assert isinstance(event, SegmentReceived)
    segment = Segment(seq=recorded.seq, **event.model_dump())
    if event.final:
        call.partials.pop(event.speaker, None)
        call.segments.append(segment)
    else:
        call.partials[event.speaker] = segment


def _amended(call: CallState, event: Event, recorded: RecordedEvent) -> None:
    assert isinstance(event, SegmentRedactionAmended)
    for segment in reversed(call.segments):  # the amended segment is one of the last few
        if segment.segment_id == event.segment_id:
            segment.text = event.text
            return


def _ended(call: CallState, event: Event, recorded: RecordedEvent) -> None:
    assert isinstance(event, CallEnded)
    call.status, call.end_status, call.ended_at = "ended", event.status, recorded.recorded_at
    call.partials.clear()


def _talk_stats(call: CallState, event: Event, recorded: RecordedEvent) -> None:
    assert isinstance(event, TalkStatsUpdated)
    call.analyzers["talk_stats"] = event.stats.model_dump()


def _analyzer_failed(call: CallState, event: Event, recorded: RecordedEvent) -> None:
    assert isinstance(event, AnalyzerFailed)
    health = call.analyzer_health.setdefault(event.analyzer, AnalyzerHealth())
    health.failures += 1
    health.disabled = health.disabled or event.permanent
    health.last_error = f"{event.category}: {event.message}"


def _feedback(call: CallState, event: Event, recorded: RecordedEvent) -> None:
    assert isinstance(event, SuggestionFeedbackGiven)
    call.feedback.append(event.model_dump() | {"seq": recorded.seq})


_APPLIERS: dict[type[Event], Callable[[CallState, Event, RecordedEvent], None]] = {
    CallStarted: _started,
    SegmentReceived: _segment,
    SegmentRedactionAmended: _amended,
    CallEnded: _ended,
    TalkStatsUpdated: _talk_stats,
    AnalyzerFailed: _analyzer_failed,
    SuggestionFeedbackGiven: _feedback,
}


def fold(call_id: str, events: Iterable[RecordedEvent], state: CallState | None = None) -> CallState:
    """Rebuild (or advance) a call's state from its events."""
    call = state if state is not None else CallState(call_id=call_id)
    for recorded in events:
        call.apply(recorded)
    return call


class CallSummary(BaseModel):
    """One row of the supervisor's call list."""

    call_id: str
    status: Literal["live", "ended"]
    agent_id: str | None
    agent_name: str | None
    queue: str | None
    started_at: datetime
    ended_at: datetime | None = None
    end_status: str | None = None


def summarize_calls(events: Iterable[RecordedEvent]) -> list[CallSummary]:
    """Fold CallStarted/CallEnded events into call-list rows, newest call first."""
    rows: dict[str, CallSummary] = {}
    for recorded in events:
        event = recorded.event
        if isinstance(event, CallStarted):
            rows[recorded.call_id] = CallSummary(
                call_id=recorded.call_id, status="live", agent_id=event.agent_id,
                agent_name=event.agent_name, queue=event.queue, started_at=recorded.recorded_at,
            )
        elif isinstance(event, CallEnded) and recorded.call_id in rows:
            row = rows[recorded.call_id]
            row.status, row.ended_at, row.end_status = "ended", recorded.recorded_at, event.status
    return sorted(rows.values(), key=lambda r: r.started_at, reverse=True)
