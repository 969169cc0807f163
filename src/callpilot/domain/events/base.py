"""The event base class, the core call events, and the registry every stored event is decoded with.

Every fact about a call is one of these immutable, past-tense, versioned events.

Events hold the facts only; where and when they were recorded (call id, sequence number, global position,
trace id) lives in the :class:`RecordedEvent` envelope. Each event type is listed in ``EVENT_TYPES`` by name;
an event whose stored ``version`` is older than its class's ``VERSION`` is upcast with ``UPCASTERS`` on read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from callpilot.core.errors import ErrorCategory, EventLogError

__all__ = [
    "CORE_EVENTS",
    "EVENT_TYPES",
    "AnalyzerApplier",
    "UPCASTERS",
    "AnalyzerFailed",
    "CallEnded",
    "CallStarted",
    "Event",
    "RecordedEvent",
    "SegmentReceived",
    "SegmentRedactionAmended",
    "Speaker",
    "SuggestionFeedbackGiven",
    "TalkStats",
    "TalkStatsUpdated",
    "decode_event",
]

Speaker = Literal["agent", "customer"]


class Event(BaseModel):
    """Base of all events. ``VERSION`` is the schema version new events are written with."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    VERSION: ClassVar[int] = 1

    @classmethod
    def type_name(cls) -> str:
        return cls.__name__


class CallStarted(Event):
    agent_id: str
    agent_name: str | None = None
    customer_id: str | None = None
    customer_name: str | None = Field(None, description="only when PII redaction is off; else sealed below")
    customer_name_sealed: str | None = Field(None, description="the customer's name, sealed with the vault key")
    customer_phone_masked: str | None = Field(
        None, description="all but the last four digits masked; the raw number is never stored in the log"
    )
    customer_phone_sealed: str | None = Field(
        None, description="the number sealed with the vault key (for the CRM lookup), when there is a vault"
    )
    queue: str | None = None
    acd_metadata: dict[str, Any] = Field(default_factory=dict)
    crm_metadata: dict[str, Any] = Field(default_factory=dict)


class SegmentReceived(Event):
    segment_id: str
    speaker: Speaker
    text: str
    start: float
    end: float
    confidence: float | None = None
    final: bool = True


class SegmentRedactionAmended(Event):
    """A stored segment's text, redacted further after the fact (a number read out in pieces was recognised)."""

    segment_id: str
    text: str
    reason: str


class CallEnded(Event):
    status: str = "completed"


class AnalyzerFailed(Event):
    analyzer: str
    category: ErrorCategory
    permanent: bool
    message: str
    trigger_seq: int


class TalkStats(BaseModel):
    model_config = ConfigDict(frozen=True)

    talk_seconds: dict[str, float]
    talk_ratio: dict[str, float]
    turns: dict[str, int]
    longest_monologue: dict[str, float]
    interruptions: dict[str, int] = Field(description="times this speaker started while the other was talking")
    silence_seconds: float
    longest_silence: float
    last_speaker: Speaker | None
    last_end: float
    current_run_start: float


class TalkStatsUpdated(Event):
    stats: TalkStats


class SuggestionFeedbackGiven(Event):
    suggestion_id: str
    feedback: Literal["helpful", "not_helpful", "irrelevant", "clicked"]
    agent_id: str | None = None
    comment: str | None = Field(None, max_length=2000)


CORE_EVENTS: tuple[type[Event], ...] = (
    CallStarted,
    SegmentReceived,
    SegmentRedactionAmended,
    CallEnded,
    AnalyzerFailed,
    TalkStatsUpdated,
    SuggestionFeedbackGiven,
)

# Every event type by name; the package's __init__ adds each analyzer area's events.
EVENT_TYPES: dict[str, type[Event]] = {cls.type_name(): cls for cls in CORE_EVENTS}

# (type name, stored version) -> function turning that version's data into the next version's data.
UPCASTERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {}

# Event type -> how it changes ``CallState.analyzers`` (the analyzer areas' own state), given the event's seq.
AnalyzerApplier = Callable[[dict[str, Any], Any, int], None]


def decode_event(type_name: str, version: int, data: dict[str, Any]) -> Event:
    """Rebuild a stored event, upcasting old schema versions step by step."""
    cls = EVENT_TYPES.get(type_name)
    if cls is None:
        raise EventLogError(f"stored event has unknown type {type_name!r}")
    while version < cls.VERSION:
        upcast = UPCASTERS.get((type_name, version))
        if upcast is None:
            raise EventLogError(f"no upcaster for {type_name} v{version}")
        data, version = upcast(data), version + 1
    if version > cls.VERSION:
        raise EventLogError(f"{type_name} v{version} is newer than this callpilot understands (v{cls.VERSION})")
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise EventLogError(f"stored {type_name} v{version} does not match its schema: {exc}") from exc


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event as the log holds it: where it stands in its call and in the whole log."""

    position: int
    call_id: str
    seq: int
    event: Event
    recorded_at: datetime
    trace_id: str | None = None
    data_json: str | None = field(default=None, compare=False, repr=False)
    """The event's data as stored (JSON); streams embed it as is instead of serialising the event again."""

    @property
    def type(self) -> str:
        return self.event.type_name()

    def to_wire(self) -> dict[str, Any]:
        """The JSON shape every stream, page and client sees."""
        return {
            "position": self.position,
            "call_id": self.call_id,
            "seq": self.seq,
            "type": self.type,
            "version": self.event.VERSION,
            "recorded_at": self.recorded_at.isoformat(),
            "trace_id": self.trace_id,
            "data": self.event.model_dump(mode="json"),
        }

    def to_json(self) -> bytes:
        """``to_wire()`` as JSON bytes, reusing the stored JSON of the data when there is one."""
        if self.data_json is None:
            return orjson.dumps(self.to_wire())
        return orjson.dumps({
            "position": self.position, "call_id": self.call_id, "seq": self.seq, "type": self.type,
            "version": self.event.VERSION, "recorded_at": self.recorded_at.isoformat(), "trace_id": self.trace_id,
            "data": orjson.Fragment(self.data_json),
        })
