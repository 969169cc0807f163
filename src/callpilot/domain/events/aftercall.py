"""Events of the after-call work, and how they change the call's state.

``analyzers["aftercall"]`` is the call's wrap-up as the review queue and the desktop show it: the latest
revision of the analysis with every reviewer edit applied, its status (``pending_review`` or ``approved``), why
it needs review, and the edit history. Delivery (webhooks, email, CRMs) sends only ``approved`` revisions.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from callpilot.domain.analysis import CallAnalysis
from callpilot.domain.events.base import AnalyzerApplier, Event

__all__ = ["APPLIERS", "EVENTS", "AnalysisApproved", "AnalysisEdited", "CallAnalyzed", "FieldChange",
           "LlmUsage", "ReviewRequested"]

_NAME = "aftercall"


class LlmUsage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str
    requests: int = Field(ge=0)
    prompt_tokens: int = Field(ge=0)
    completion_tokens: int = Field(ge=0)
    cost: float | None = Field(None, description="in the configured currency, from the configured token prices")


class CallAnalyzed(Event):
    """The after-call job analysed the call (again: each run is a new ``revision``)."""

    revision: int = Field(ge=1)
    run_id: str | None = Field(None, description="ties this run's ReviewRequested/AnalysisApproved to it")
    trigger: Literal["call_ended", "on_demand"]
    analysis: CallAnalysis
    input_seq: int = Field(ge=0, description="the call's seq the analysis read up to")
    elapsed_ms: float = Field(ge=0)
    usage: LlmUsage | None = None
    fallback_reason: str | None = Field(None, description="the LLM engine failed; this is the local engine's result")


class ReviewRequested(Event):
    revision: int = Field(ge=1)
    run_id: str | None = None
    reasons: list[str]


class FieldChange(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str = Field(description="what changed: summary.text, disposition, resolution, fields.<name>, ...")
    before: Any = None
    after: Any = None


class AnalysisEdited(Event):
    """A reviewer changed the analysis; ``changes`` holds each value before and after."""

    revision: int = Field(ge=1)
    reviewer: str
    changes: list[FieldChange]
    comment: str | None = Field(None, max_length=2000)


class AnalysisApproved(Event):
    """The revision may be delivered: by a reviewer, or automatically when nothing was below the threshold."""

    revision: int = Field(ge=1)
    run_id: str | None = Field(None, description="set for 'auto': the run whose result this approves")
    approved_by: str = Field(description="the reviewer, or 'auto'")
    auto: bool = False


def _analyzed(analyzers: dict[str, Any], event: CallAnalyzed, seq: int) -> None:
    previous = analyzers.get(_NAME) or {}
    if previous.get("revision", 0) >= event.revision:
        # two runs raced for one revision (the post-call job and an on-demand run): the first one stored stays,
        # with whatever reviewers did to it; the late run's decision is ignored by its run id
        if event.trigger == "call_ended" and previous.get("end_revision") is None:
            previous["end_revision"] = previous["revision"]
        return
    analyzers[_NAME] = {
        "revision": event.revision, "run_id": event.run_id, "trigger": event.trigger, "seq": seq,
        "analysis": event.analysis.model_dump(mode="json"), "status": "analyzed",
        "review_reasons": list(event.analysis.review_reasons), "edits": [], "approved_by": None,
        "engine": event.analysis.engine, "fallback_reason": event.fallback_reason,
        "usage": event.usage.model_dump() if event.usage else None,
        "runs": previous.get("runs", 0) + 1,
        # the revision the post-call job made when the call ended (a job delivered twice finds it here)
        "end_revision": event.revision if event.trigger == "call_ended" else previous.get("end_revision"),
    }


def _current(analyzers: dict[str, Any], revision: int, run_id: str | None = None) -> dict[str, Any] | None:
    """The state of ``revision`` if it is the latest (and, for a run's own decision, that run's)."""
    state: dict[str, Any] | None = analyzers.get(_NAME)
    if state is None or state["revision"] != revision:
        return None
    return state if run_id is None or state.get("run_id") in (None, run_id) else None


def _review(analyzers: dict[str, Any], event: ReviewRequested, seq: int) -> None:
    if (state := _current(analyzers, event.revision, event.run_id)) is not None:
        state["status"], state["review_reasons"] = "pending_review", list(event.reasons)


def _edited(analyzers: dict[str, Any], event: AnalysisEdited, seq: int) -> None:
    if (state := _current(analyzers, event.revision)) is None:
        return
    for change in event.changes:
        _set_path(state["analysis"], change.path, change.after)
    state["edits"].append({"seq": seq, "reviewer": event.reviewer, "comment": event.comment,
                           "changes": [c.model_dump(mode="json") for c in event.changes]})
    if state["status"] == "approved":  # changed after approval: it needs approving again before delivery
        state["status"], state["approved_by"] = "pending_review", None


def _approved(analyzers: dict[str, Any], event: AnalysisApproved, seq: int) -> None:
    if (state := _current(analyzers, event.revision, event.run_id)) is not None:
        state["status"], state["approved_by"], state["approved_seq"] = "approved", event.approved_by, seq


def _set_path(analysis: dict[str, Any], path: str, value: Any) -> None:
    """Apply one change: ``fields.<name>`` replaces the field's result, other paths a (nested) value."""
    keys = path.split(".")
    target = analysis
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = value


EVENTS: tuple[type[Event], ...] = (CallAnalyzed, ReviewRequested, AnalysisEdited, AnalysisApproved)

# How each event changes ``CallState.analyzers`` (called with that dict, the event and its seq).
APPLIERS: dict[type[Event], AnalyzerApplier] = {
    CallAnalyzed: _analyzed, ReviewRequested: _review, AnalysisEdited: _edited, AnalysisApproved: _approved,
}
