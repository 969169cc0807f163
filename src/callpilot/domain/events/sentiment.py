"""Events of the sentiment analyzer, and how they change the call's state.

``call.analyzers["sentiment"]`` stays small however long the call: the smoothed score per speaker and for
the call, the customer's current negative run (with at most ``MAX_EVIDENCE`` evidence items), whether the
current negative episode was already escalated, and a trajectory of at most ``MAX_TRAJECTORY`` points that
is halved (every other point dropped, sampling stride doubled) whenever it fills up.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from callpilot.domain.events.base import AnalyzerApplier, Event, Speaker

__all__ = [
    "APPLIERS",
    "EVENTS",
    "MAX_EVIDENCE",
    "MAX_TRAJECTORY",
    "CallbackRecommended",
    "EscalationSuggested",
    "SentimentEvidence",
    "SentimentScored",
]

NAME = "sentiment"
MAX_TRAJECTORY = 200
MAX_EVIDENCE = 20

Score = float  # in [-1, 1]


class SentimentEvidence(BaseModel):
    """The (already redacted) clause that drove a segment's score, with its character span in the segment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    segment_id: str
    excerpt: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    score: Score = Field(ge=-1, le=1, description="the whole segment's score")


class SentimentScored(Event):
    """One final segment scored, with the running values the analyzer derived from it."""

    segment_id: str
    speaker: Speaker
    score: Score = Field(ge=-1, le=1)
    label: Literal["negative", "neutral", "positive"]
    counted: bool = Field(True, description="false for a short neutral segment (a backchannel): no evidence "
                                            "either way, so smoothing and the negative run did not move")
    at: float = Field(description="the segment's end, seconds into the call")
    smoothed: dict[str, Score] = Field(description="exponentially smoothed score per speaker after this segment")
    call_score: Score = Field(ge=-1, le=1, description="the call-level smoothed score (the trajectory)")
    negative_run: int = Field(ge=0, description="consecutive counted customer segments with the smoothed "
                                                "customer score below the escalation threshold")
    episode_open: bool = Field(description="the customer is in a negative episode (ends on recovery)")
    evidence: SentimentEvidence | None = None
    cues: list[str] = Field(default_factory=list, description="call-lexicon expressions found in the segment")


class EscalationSuggested(Event):
    """The customer stayed negative long enough that a supervisor should look; once per negative episode."""

    reason: str
    segment_ids: list[str]
    evidence: list[SentimentEvidence]
    customer_score: Score = Field(ge=-1, le=1)
    run_length: int = Field(ge=1)
    threshold: float
    suggested_action: str


class CallbackRecommended(Event):
    """The call ended with the customer negative: the after-call work should include a callback."""

    reason: str
    final_score: Score = Field(ge=-1, le=1)
    threshold: float
    escalated: bool = Field(description="an escalation was suggested during the call")
    evidence: list[SentimentEvidence] = Field(default_factory=list)


def _state(analyzers: dict[str, Any]) -> dict[str, Any]:
    state: dict[str, Any] = analyzers.setdefault(NAME, {
        "smoothed": {}, "call_score": 0.0, "negative_run": 0, "run_evidence": [], "episode_open": False,
        "escalated": False, "escalations": 0, "scored": 0, "trajectory": [], "stride": 1, "since_point": 0,
        "callback": None,
    })
    return state


def _scored(analyzers: dict[str, Any], event: SentimentScored, seq: int) -> None:
    state = _state(analyzers)
    state["smoothed"] = dict(event.smoothed)
    state["call_score"] = event.call_score
    state["negative_run"] = event.negative_run
    state["scored"] += 1
    state["last_segment_id"] = event.segment_id
    if event.speaker == "customer" and event.counted:
        evidence = state["run_evidence"] if event.negative_run else []
        if event.negative_run and event.evidence is not None:
            evidence = [*evidence, event.evidence.model_dump()][-MAX_EVIDENCE:]
        state["run_evidence"] = evidence
    if not event.episode_open:
        state["escalated"] = False
    state["episode_open"] = event.episode_open
    _add_point(state, {"seq": seq, "at": event.at, "speaker": event.speaker, "score": event.score,
                       "call": event.call_score, **{s: v for s, v in event.smoothed.items()}})


def _add_point(state: dict[str, Any], point: dict[str, Any]) -> None:
    """Keep every ``stride``-th point; when full, drop every other point and double the stride."""
    state["since_point"] += 1
    if state["since_point"] < state["stride"]:
        return
    state["since_point"] = 0
    trajectory = [*state["trajectory"], point]
    if len(trajectory) > MAX_TRAJECTORY:
        trajectory, state["stride"] = trajectory[::2], state["stride"] * 2
    state["trajectory"] = trajectory


def _escalated(analyzers: dict[str, Any], event: EscalationSuggested, seq: int) -> None:
    state = _state(analyzers)
    state["escalated"] = True
    state["escalations"] += 1
    state["last_escalation_seq"] = seq


def _callback(analyzers: dict[str, Any], event: CallbackRecommended, seq: int) -> None:
    _state(analyzers)["callback"] = {"seq": seq, "final_score": event.final_score, "reason": event.reason}


EVENTS: tuple[type[Event], ...] = (SentimentScored, EscalationSuggested, CallbackRecommended)

# How each event changes ``CallState.analyzers`` (called with that dict, the event and its seq).
APPLIERS: dict[type[Event], AnalyzerApplier] = {
    SentimentScored: _scored,
    EscalationSuggested: _escalated,
    CallbackRecommended: _callback,
}
