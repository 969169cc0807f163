"""Events of the rules analyzer, and how they change the call's state.

``call.analyzers["rules"]`` is the live compliance checklist: which ruleset runs, each requirement's status
(pending, met, missed), the most recent violations, and the little running state the analyzer needs to judge
windows (agent speech so far). It is rebuilt from these events alone.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from callpilot.domain.events.base import AnalyzerApplier, Event, Speaker

__all__ = [
    "APPLIERS",
    "EVENTS",
    "MAX_VIOLATIONS_KEPT",
    "ChecklistItem",
    "ChecklistStarted",
    "RequirementMet",
    "RequirementMissed",
    "RuleViolated",
    "RuleWindowsAdvanced",
    "Severity",
]

Severity = Literal["info", "warning", "critical"]
MAX_VIOLATIONS_KEPT = 50
"""The state keeps the most recent violations only (counts are kept for all), so it stays small on long calls."""

_NAME = "rules"


class ChecklistItem(BaseModel):
    """One requirement the call is checked against, as the agent's checklist shows it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule_id: str
    ruleset: str
    description: str
    severity: Severity
    message: str = Field(description="what the agent sees while the requirement is pending or after it is missed")
    speaker: Speaker | Literal["any"]
    window: str = Field(description="when it is due, in words: 'within the first 30 s of agent speech', 'by call end'")


class ChecklistStarted(Event):
    """The rules analyzer began checking this call: the ruleset and the requirements in scope, all pending."""

    ruleset: str
    checklist: list[ChecklistItem]


class RuleViolated(Event):
    """A prohibited phrase was said, or something was said before a requirement that must come first."""

    ruleset: str
    rule_id: str
    kind: Literal["prohibited", "ordering"]
    severity: Severity
    message: str
    segment_id: str
    speaker: Speaker
    evidence: str = Field(description="the (already redacted) excerpt of the segment that matched")
    char_start: int = Field(ge=0, description="offset of the evidence in the segment's text")
    char_end: int = Field(ge=0)
    at: float = Field(description="the segment's start, seconds into the call")


class RequirementMet(Event):
    """A required statement was made within its window."""

    ruleset: str
    rule_id: str
    segment_id: str
    speaker: Speaker
    evidence: str
    char_start: int = Field(ge=0)
    char_end: int = Field(ge=0)
    at: float


class RequirementMissed(Event):
    """A required statement's window closed (or the call ended) without it."""

    ruleset: str
    rule_id: str
    severity: Severity
    message: str
    reason: str
    at: float | None = Field(None, description="seconds into the call when the window closed; None at call end")


class RuleWindowsAdvanced(Event):
    """Agent speech so far, recorded only while a requirement with a window on it is still pending."""

    agent_seconds: float = Field(ge=0)
    agent_segments: int = Field(ge=0)


def _state(analyzers: dict[str, Any]) -> dict[str, Any]:
    state: dict[str, Any] | None = analyzers.get(_NAME)
    if state is None:  # an event without ChecklistStarted (e.g. an older log): start an empty state
        state = analyzers[_NAME] = _empty("")
    return state


def _empty(ruleset: str) -> dict[str, Any]:
    return {"ruleset": ruleset, "checklist": {}, "violations": [], "violation_counts": {}, "violations_total": 0,
            "agent_seconds": 0.0, "agent_segments": 0}


def _apply_started(analyzers: dict[str, Any], event: ChecklistStarted, seq: int) -> None:
    state = _empty(event.ruleset)
    for item in event.checklist:
        state["checklist"][item.rule_id] = item.model_dump() | {
            "status": "pending", "segment_id": None, "evidence": None, "at": None, "reason": None, "seq": seq}
    analyzers[_NAME] = state


def _apply_violated(analyzers: dict[str, Any], event: RuleViolated, seq: int) -> None:
    state = _state(analyzers)
    state["violations"].append(event.model_dump() | {"seq": seq})
    del state["violations"][:-MAX_VIOLATIONS_KEPT]
    if event.severity == "critical":  # kept apart, so a long call's wrap-up still sees an early critical one
        critical = state.setdefault("critical", [])
        critical.append(event.model_dump() | {"seq": seq})
        del critical[:-MAX_VIOLATIONS_KEPT]
    state["violation_counts"][event.rule_id] = state["violation_counts"].get(event.rule_id, 0) + 1
    state["violations_total"] += 1


def _apply_met(analyzers: dict[str, Any], event: RequirementMet, seq: int) -> None:
    item = _state(analyzers)["checklist"].setdefault(event.rule_id, {"rule_id": event.rule_id})
    item.update(status="met", segment_id=event.segment_id, evidence=event.evidence, at=event.at, seq=seq)


def _apply_missed(analyzers: dict[str, Any], event: RequirementMissed, seq: int) -> None:
    item = _state(analyzers)["checklist"].setdefault(event.rule_id, {"rule_id": event.rule_id})
    item.update(status="missed", reason=event.reason, at=event.at, seq=seq)


def _apply_windows(analyzers: dict[str, Any], event: RuleWindowsAdvanced, seq: int) -> None:
    state = _state(analyzers)
    state["agent_seconds"], state["agent_segments"] = event.agent_seconds, event.agent_segments


EVENTS: tuple[type[Event], ...] = (ChecklistStarted, RuleViolated, RequirementMet, RequirementMissed,
                                   RuleWindowsAdvanced)

# How each event changes ``CallState.analyzers`` (called with that dict, the event and its seq).
APPLIERS: dict[type[Event], AnalyzerApplier] = {
    ChecklistStarted: _apply_started,
    RuleViolated: _apply_violated,
    RequirementMet: _apply_met,
    RequirementMissed: _apply_missed,
    RuleWindowsAdvanced: _apply_windows,
}
