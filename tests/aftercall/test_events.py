"""How the after-call events fold into the call's state: revisions, runs racing, edits and approvals."""

from __future__ import annotations

from callpilot.domain.analysis import CallAnalysis, Compliance, Disposition, IntentResult, SentimentSummary, Summary
from callpilot.domain.call import CallState
from callpilot.domain.events import CallStarted
from callpilot.domain.events.aftercall import (
    AnalysisApproved,
    AnalysisEdited,
    CallAnalyzed,
    FieldChange,
    ReviewRequested,
)


def _analysis(disposition: str = "Resolved") -> CallAnalysis:
    return CallAnalysis(engine="local", summary=Summary(text="s", bullets=[]), intent=IntentResult(name="other",
                        confidence=0.5), resolution="resolved", disposition=Disposition(value=disposition,
                        confidence=0.9), sentiment=SentimentSummary(start=None, end=None, trend="unknown"),
                        compliance=Compliance(), confidence=0.7, needs_review=True)


def _call() -> CallState:
    state = CallState(call_id="c")
    state.record(CallStarted(agent_id="a"))
    return state


def test_two_runs_racing_for_one_revision_keep_the_first_and_its_review() -> None:
    state = _call()
    state.record(CallAnalyzed(revision=1, run_id="ondemand", trigger="on_demand", analysis=_analysis("Booked"),
                              input_seq=1, elapsed_ms=1))
    state.record(ReviewRequested(revision=1, run_id="ondemand", reasons=["disposition low"]))
    state.record(AnalysisEdited(revision=1, reviewer="r", changes=[FieldChange(path="resolution",
                                                                               before="resolved", after="follow_up")]))
    # the post-call job, started before the on-demand run, lands second with the same revision number
    state.record(CallAnalyzed(revision=1, run_id="job", trigger="call_ended", analysis=_analysis(), input_seq=1,
                              elapsed_ms=1))
    state.record(AnalysisApproved(revision=1, run_id="job", approved_by="auto", auto=True))
    current = state.analyzers["aftercall"]
    assert current["run_id"] == "ondemand" and current["analysis"]["disposition"]["value"] == "Booked"
    assert current["status"] == "pending_review" and len(current["edits"]) == 1  # nothing lost, nothing approved
    assert current["end_revision"] == 1  # the job's end-of-call run is not started again


def test_an_edit_after_approval_needs_approving_again() -> None:
    state = _call()
    state.record(CallAnalyzed(revision=1, run_id="x", trigger="call_ended", analysis=_analysis(), input_seq=1,
                              elapsed_ms=1))
    state.record(AnalysisApproved(revision=1, run_id="x", approved_by="auto", auto=True))
    assert state.analyzers["aftercall"]["status"] == "approved"
    state.record(AnalysisEdited(revision=1, reviewer="r", changes=[FieldChange(path="summary.text", before="s",
                                                                               after="better")]))
    current = state.analyzers["aftercall"]
    assert current["status"] == "pending_review" and current["approved_by"] is None
    assert current["analysis"]["summary"]["text"] == "better"
    state.record(AnalysisApproved(revision=1, approved_by="r"))
    assert state.analyzers["aftercall"]["status"] == "approved"
