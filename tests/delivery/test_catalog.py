"""Which events become webhooks, and what they carry (no personal data; only approved wrap-ups)."""

from __future__ import annotations

import pytest

from callpilot.delivery.catalog import WEBHOOK_EVENT_TYPES, webhook_event
from callpilot.domain.analysis import FieldResult
from callpilot.domain.call import CallState
from callpilot.domain.events import AnalyzerFailed, CallEnded, CallStarted, Event, SegmentReceived
from callpilot.domain.events.aftercall import AnalysisApproved, AnalysisEdited, CallAnalyzed, FieldChange
from callpilot.domain.events.sentiment import CallbackRecommended
from callpilot.domain.events.signals import SignalDetected
from tests.aftercall.test_events import _analysis


def _call() -> CallState:
    state = CallState(call_id="c-9")
    state.record(CallStarted(agent_id="a1", queue="billing", customer_phone_masked="******0142"))
    return state


@pytest.mark.parametrize(("event", "kind", "keys"), [
    (CallEnded(status="completed"), "call_ended", {"status"}),
    (SignalDetected(signal="human_requested", speaker="customer", segment_id="s1", evidence="a real person",
                    score=0.9, suggested_action="offer a transfer"), "transfer_requested", {"signal", "evidence"}),
    (SignalDetected(signal="frustration", speaker="customer", segment_id="s1", score=0.7,
                    suggested_action="acknowledge"), "signal_detected", {"signal"}),
    (CallbackRecommended(reason="ended negative", final_score=-0.5, threshold=-0.2, escalated=False),
     "callback_recommended", {"reason", "final_score"}),
    (AnalyzerFailed(analyzer="aftercall", category="connectivity", permanent=False, message="LLM down",
                    trigger_seq=3), "error", {"analyzer", "category"}),
])
def test_events_become_webhooks(event: Event, kind: str, keys: set[str]) -> None:
    state = _call()
    out = webhook_event(state.record(event), state)
    assert out is not None and out.type == kind and kind in WEBHOOK_EVENT_TYPES
    assert out.payload["type"] == kind and out.payload["data"]["call_id"] == "c-9"
    assert keys <= set(out.payload["data"])


def test_segments_are_not_webhooks() -> None:
    state = _call()
    recorded = state.record(SegmentReceived(segment_id="s", speaker="agent", text="hi", start=0, end=1))
    assert webhook_event(recorded, state) is None


def test_only_an_approved_wrap_up_is_sent_without_sealed_values() -> None:
    state = _call()
    analysis = _analysis().model_copy(update={"fields": {"callback_number": FieldResult(
        value="[PHONE_NUMBER]", confidence=0.9, evidence=[1], sealed="gAAAA-secret")}})
    state.record(CallAnalyzed(revision=1, run_id="r", trigger="call_ended", analysis=analysis, input_seq=1,
                              elapsed_ms=1))
    approved = state.record(AnalysisApproved(revision=1, run_id="r", approved_by="auto", auto=True))
    out = webhook_event(approved, state)
    assert out is not None and out.type == "call_analyzed"
    assert out.payload["data"]["analysis"]["fields"]["callback_number"] == {
        "value": "[PHONE_NUMBER]", "confidence": 0.9, "evidence": [1], "note": None}
    assert "gAAAA-secret" not in str(out.payload)
    # edited after approval: nothing approved to send until it is approved again
    state.record(AnalysisEdited(revision=1, reviewer="r", changes=[FieldChange(path="resolution", before="resolved",
                                                                               after="follow_up")]))
    assert webhook_event(approved, state) is None
