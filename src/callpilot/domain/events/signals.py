"""Events of the signals analyzer, and how they change the call's state.

``SignalDetected`` is one conversation signal (a repeated question, frustration, a request for a person, ...) with
its evidence and the action suggested to the agent. ``SignalsTracked`` carries the analyzer's compact running state
(bounded in size whatever the call's length), so the next segment can be judged without rereading the call.
``call.analyzers["signals"]`` holds counts per signal, the last of each kind, the most recent signals, the kinds
active now, and that running state.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from callpilot.domain.events.base import AnalyzerApplier, Event, Speaker

__all__ = [
    "APPLIERS",
    "EVENTS",
    "SIGNAL_KINDS",
    "FiredAt",
    "HeldSince",
    "SignalDetected",
    "SignalKind",
    "SignalsState",
    "SignalsTracked",
    "SpeakerTurn",
    "TrackedQuestion",
]

SignalKind = Literal["repeated_question", "frustration", "human_requested", "confusion", "long_silence", "talk_over"]
SIGNAL_KINDS: tuple[SignalKind, ...] = (
    "repeated_question", "frustration", "human_requested", "confusion", "long_silence", "talk_over",
)
_NAME = "signals"
_RECENT = 20  # signals kept in call.analyzers["signals"]["recent"] for the supervisor view


class SignalDetected(Event):
    """One conversation signal, found in segment ``segment_id`` (the segment that revealed it)."""

    signal: SignalKind
    speaker: Speaker = Field(description="who showed the signal; for a silence, the speaker who broke it")
    segment_id: str
    evidence: str = Field("", max_length=300, description="the (already redacted) excerpt; empty for timing signals")
    start: int = Field(0, ge=0, description="offset of the evidence in the segment text")
    end: int = Field(0, ge=0, description="offset just past the evidence in the segment text")
    score: float = Field(ge=0, le=1, description="strength of the signal, 0-1")
    value: float | None = Field(
        None, description="what was measured: overlap, frustration level, question count or seconds"
    )
    suggested_action: str
    language: str | None = None
    detail: str = Field("", max_length=300, description="why it fired, in a line, for the supervisor")
    related_segment_id: str | None = Field(None, description="the earlier segment involved (first ask, hold start)")


class TrackedQuestion(BaseModel):
    """A recent customer question, kept as content tokens for the repeated-question check."""

    segment_id: str
    at: float
    tokens: list[str]
    text: str = Field(max_length=200)
    answered: bool = Field(False, description="the agent has spoken since it was asked")


class SpeakerTurn(BaseModel):
    segment_id: str
    start: float
    end: float
    words: int


class HeldSince(BaseModel):
    segment_id: str
    since: float


class FiredAt(BaseModel):
    segment: int
    at: float


class SignalsState(BaseModel):
    """The signals analyzer's running state: a fixed number of small fields, never a copy of the transcript."""

    segments: int = Field(0, description="final segments seen (the clock of segment cool-downs)")
    language: str | None = None
    questions: list[TrackedQuestion] = Field(default_factory=list, description="last few customer questions")
    questions_in_row: int = 0
    question_run_start: float = 0.0
    frustration: float = 0.0
    frustration_at: float = 0.0
    last: dict[str, SpeakerTurn] = Field(default_factory=dict, description="last final segment of each speaker")
    hold: HeldSince | None = None
    talk_overs: list[SpeakerTurn] = Field(default_factory=list, description="recent agent talk-overs")
    fired: dict[str, FiredAt] = Field(default_factory=dict, description="when each kind last fired")


class SignalsTracked(Event):
    """The running state after a segment, and which signal kinds are active (fired recently)."""

    state: SignalsState
    active: list[SignalKind] = Field(default_factory=list)


def _area(analyzers: dict[str, Any]) -> dict[str, Any]:
    area: dict[str, Any] = analyzers.setdefault(_NAME, {})
    area.setdefault("counts", {})
    area.setdefault("last", {})
    area.setdefault("recent", [])
    area.setdefault("active", [])
    return area


def _apply_detected(analyzers: dict[str, Any], event: Any, seq: int) -> None:
    assert isinstance(event, SignalDetected)
    area = _area(analyzers)
    area["counts"][event.signal] = area["counts"].get(event.signal, 0) + 1
    summary = {"signal": event.signal, "seq": seq, "segment_id": event.segment_id, "speaker": event.speaker,
               "score": event.score, "evidence": event.evidence, "detail": event.detail,
               "suggested_action": event.suggested_action}
    area["last"][event.signal] = summary
    area["recent"] = [*area["recent"][-(_RECENT - 1):], summary]
    if event.signal not in area["active"]:
        area["active"] = [*area["active"], event.signal]


def _apply_tracked(analyzers: dict[str, Any], event: Any, seq: int) -> None:
    assert isinstance(event, SignalsTracked)
    area = _area(analyzers)
    area["state"] = event.state.model_dump(mode="json")
    area["active"] = list(event.active)


EVENTS: tuple[type[Event], ...] = (SignalDetected, SignalsTracked)

# How each event changes ``CallState.analyzers`` (called with that dict, the event and its seq).
APPLIERS: dict[type[Event], AnalyzerApplier] = {
    SignalDetected: _apply_detected,
    SignalsTracked: _apply_tracked,
}
