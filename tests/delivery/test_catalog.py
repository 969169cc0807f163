"""Which events become webhooks, and what they carry (no personal data; only approved wrap-ups)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from callpilot.delivery.catalog import WEBHOOK_EVENT_TYPES, webhook_event
from callpilot.domain.analysis import FieldResult
from callpilot.domain.call import CallState
from callpilot.domain.events import AnalyzerFailed, CallEnded, CallStarted, Event, SegmentReceived
from callpilot.domain.events.aftercall import AnalysisApproved, AnalysisEdited, CallAnalyzed, FieldChange
from callpilot.domain.events.customer import CallbackScheduled, CustomerIdentified
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


def test_the_wrap_up_names_the_agent_and_the_customer_and_keeps_seals_only_when_asked() -> None:
    state = _call()
    state.record(CustomerIdentified(crm="hubspot", found=True, record_type="contact", record_id="501",
                                    name_sealed="gAAAA-name", elapsed_ms=3))
    analysis = _analysis().model_copy(update={"fields": {"callback_number": FieldResult(
        value="[PHONE_NUMBER]", confidence=0.9, evidence=[1], sealed="gAAAA-secret")}})
    state.record(CallAnalyzed(revision=1, run_id="r", trigger="call_ended", analysis=analysis, input_seq=1,
                              elapsed_ms=1))
    approved = state.record(AnalysisApproved(revision=1, run_id="r", approved_by="auto", auto=True))
    plain, sealed = webhook_event(approved, state), webhook_event(approved, state, sealed=True)
    assert plain is not None and sealed is not None
    data = plain.payload["data"]
    assert data["agent_id"] == "a1" and data["queue"] == "billing"
    assert data["customer"]["crm"] == {"hubspot": {"found": True, "record_type": "contact", "record_id": "501",
                                                   "record_url": None, "account_id": None, "matches": 0}}
    assert "gAAAA" not in str(plain.payload)
    assert sealed.payload["data"]["analysis"]["fields"]["callback_number"]["sealed"] == "gAAAA-secret"
    assert "gAAAA-name" not in str(sealed.payload)  # the name is for the agent's screen, not for deliveries


def test_a_scheduled_callback_and_an_identified_customer_are_webhooks() -> None:
    state = _call()
    due = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    recorded = state.record(CallbackScheduled(callback_id="cb_1", due_at=due, reason="ended negative",
                                              final_score=-0.6, agent_id="a1"))
    out = webhook_event(recorded, state)
    assert out is not None and out.type == "callback_scheduled"
    assert out.payload["data"]["due_at"] == "2026-12-04T09:00:00Z"
    assert out.payload["data"]["customer"]["phone_masked"] == "******0142"
    found = webhook_event(state.record(CustomerIdentified(crm="zendesk", found=False, elapsed_ms=2)), state)
    assert found is not None and found.type == "customer_identified" and found.payload["data"]["found"] is False
