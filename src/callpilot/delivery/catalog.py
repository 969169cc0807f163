"""The events integrations subscribe to, as webhook payloads: one pure translation from a recorded event (and
the call's state, for the wrap-up) to ``{type, timestamp, data}``, or None for events no one subscribes to.

Only approved after-call results go out (``call_analyzed`` is sent on ``AnalysisApproved``, with reviewers'
edits applied, the agent and the customer's CRM records). Payloads hold redacted text only. Sealed values (the
personal values of CRM fields, the customer's phone) are removed, except in the ``sealed`` variant for
destinations that hold the vault key (the CRM connectors), where they stay sealed until they are sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from callpilot.domain.call import CallState
from callpilot.domain.events import AnalyzerFailed, CallEnded, CallStarted, RecordedEvent
from callpilot.domain.events.aftercall import AnalysisApproved, ReviewRequested
from callpilot.domain.events.customer import CallbackScheduled, CustomerIdentified
from callpilot.domain.events.rules import RuleViolated
from callpilot.domain.events.sentiment import CallbackRecommended, EscalationSuggested
from callpilot.domain.events.signals import SignalDetected

__all__ = ["WEBHOOK_EVENT_TYPES", "WebhookEvent", "needs_state", "webhook_event"]

WEBHOOK_EVENT_TYPES = ("call_started", "call_ended", "call_analyzed", "review_requested", "transfer_requested",
                       "callback_recommended", "callback_scheduled", "customer_identified", "sentiment_alert",
                       "signal_detected", "compliance_violation", "error")


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    type: str
    position: int
    payload: dict[str, Any]


def needs_state(recorded: RecordedEvent) -> bool:
    """Whether :func:`webhook_event` needs the call's state for this event."""
    return isinstance(recorded.event, AnalysisApproved | CallbackScheduled)


def webhook_event(recorded: RecordedEvent, state: CallState | None = None, *,
                  sealed: bool = False) -> WebhookEvent | None:
    """The webhook for ``recorded``; ``state`` (the call after it) is needed when :func:`needs_state` says so.
    ``sealed``: keep the sealed values (for a destination holding the vault key)."""
    found = _data(recorded, state, sealed)
    if found is None:
        return None
    kind, data = found
    payload = {"type": kind, "timestamp": recorded.recorded_at.isoformat(),
               "data": {"call_id": recorded.call_id, **data}}
    return WebhookEvent(type=kind, position=recorded.position, payload=payload)


def _data(recorded: RecordedEvent, state: CallState | None, sealed: bool) -> tuple[str, dict[str, Any]] | None:
    event = recorded.event
    if isinstance(event, CallStarted):
        return "call_started", {"agent_id": event.agent_id, "queue": event.queue,
                                "customer_id": event.customer_id, "customer_phone_masked": event.customer_phone_masked}
    if isinstance(event, CustomerIdentified):
        return "customer_identified", event.model_dump(mode="json", exclude={"name_sealed", "elapsed_ms"})
    if isinstance(event, CallbackScheduled):
        return "callback_scheduled", {**event.model_dump(mode="json"), "customer": _customer(state, sealed)}
    if isinstance(event, CallEnded):
        return "call_ended", {"status": event.status}
    if isinstance(event, AnalysisApproved):
        return _analyzed(event, state, sealed)
    if isinstance(event, ReviewRequested):
        return "review_requested", {"revision": event.revision, "reasons": list(event.reasons)}
    if isinstance(event, EscalationSuggested):
        return "sentiment_alert", {"reason": event.reason, "customer_score": event.customer_score,
                                   "suggested_action": event.suggested_action}
    if isinstance(event, CallbackRecommended):
        return "callback_recommended", {"reason": event.reason, "final_score": event.final_score}
    if isinstance(event, SignalDetected):
        kind = "transfer_requested" if event.signal == "human_requested" else "signal_detected"
        return kind, {"signal": event.signal, "speaker": event.speaker, "evidence": event.evidence,
                      "suggested_action": event.suggested_action}
    if isinstance(event, RuleViolated):
        return "compliance_violation", {"ruleset": event.ruleset, "rule_id": event.rule_id,
                                        "severity": event.severity, "message": event.message,
                                        "evidence": event.evidence}
    if isinstance(event, AnalyzerFailed):
        return "error", {"analyzer": event.analyzer, "category": event.category, "permanent": event.permanent,
                         "message": event.message}
    return None


def _analyzed(event: AnalysisApproved, state: CallState | None, sealed: bool
              ) -> tuple[str, dict[str, Any]] | None:
    current = (state.analyzers.get("aftercall") if state is not None else None) or {}
    if state is None or current.get("revision") != event.revision or current.get("status") != "approved":
        return None  # a newer run replaced it, or it was edited after approval: nothing approved to send
    analysis = dict(current["analysis"])
    if not sealed:
        analysis["fields"] = {name: {k: v for k, v in result.items() if k != "sealed"}
                              for name, result in analysis.get("fields", {}).items()}
    duration = ((state.ended_at - state.started_at).total_seconds()
                if state.ended_at is not None and state.started_at is not None else None)
    return "call_analyzed", {"revision": event.revision, "approved_by": event.approved_by,
                             "agent_id": state.agent_id, "queue": state.queue, "duration_seconds": duration,
                             "customer": _customer(state, sealed), "analysis": analysis}


def _customer(state: CallState | None, sealed: bool) -> dict[str, Any]:
    """Who the customer is: the ACD's id, the masked phone, and the CRM records the lookup found."""
    if state is None:
        return {}
    records = {crm: {k: v for k, v in found.items() if k not in ("seq", "name_sealed")}
               for crm, found in (state.analyzers.get("crm_lookup") or {}).items() if found.get("found")}
    customer: dict[str, Any] = {"customer_id": state.customer_id, "phone_masked": state.customer_phone_masked,
                                "crm": records}
    if sealed:
        customer["phone_sealed"] = state.customer_phone_sealed
    return customer
