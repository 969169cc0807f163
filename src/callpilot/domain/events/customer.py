"""Events of the delivery area that come back into the call: who the customer is in the CRM (looked up by
phone when the call starts) and the callback scheduled when it ended badly.

``CustomerIdentified`` holds the CRM's record id and link and the customer's name sealed with the vault key
(the log never holds it in clear); ``call.analyzers["crm_lookup"]`` keeps the last result per CRM.
``CallbackScheduled`` is the callback a negative ending asked for (``CallbackRecommended``);
``call.analyzers["callback"]`` holds it, and the outbox sends it as ``callback_scheduled`` to webhooks and as a
task to the CRMs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from callpilot.domain.events.base import AnalyzerApplier, Event

__all__ = ["APPLIERS", "EVENTS", "CallbackScheduled", "CustomerIdentified"]


class CustomerIdentified(Event):
    crm: str = Field(description="the connector that answered: salesforce, hubspot or zendesk")
    found: bool
    record_type: str | None = Field(None, description="Contact, contact, user")
    record_id: str | None = None
    record_url: str | None = None
    account_id: str | None = None
    name_sealed: str | None = Field(None, description="the record's name, sealed with the vault key")
    matches: int = Field(0, ge=0, description="how many records have this number (the first is used)")
    elapsed_ms: float = Field(ge=0)


class CallbackScheduled(Event):
    callback_id: str
    due_at: datetime
    reason: str
    final_score: float
    priority: Literal["low", "normal", "high"] = "high"
    agent_id: str | None = Field(None, description="who should call back: the call's agent, unless a queue")
    queue: str | None = None


def _identified(analyzers: dict[str, Any], event: CustomerIdentified, seq: int) -> None:
    found = analyzers.setdefault("crm_lookup", {})
    found[event.crm] = {"seq": seq, **event.model_dump(mode="json", exclude={"crm", "elapsed_ms"})}


def _scheduled(analyzers: dict[str, Any], event: CallbackScheduled, seq: int) -> None:
    analyzers["callback"] = {"seq": seq, **event.model_dump(mode="json")}


EVENTS: tuple[type[Event], ...] = (CustomerIdentified, CallbackScheduled)

APPLIERS: dict[type[Event], AnalyzerApplier] = {CustomerIdentified: _identified, CallbackScheduled: _scheduled}
